/*
 * fuzz_mycnf: any bytes as a my.cnf (the file orderd and mysql-exporter
 * read at start, on reload and before each reconnect) through
 * mycnf_placeholder(), written to a temporary file as the daemons find it.
 * Invariants: the answer is 0 or 1 (the file is readable); 1 only when the
 * file holds CHANGE_ME, and then the option named is NUL-terminated inside
 * the caller's buffer and occurs in the file; with a 1-byte buffer the
 * answer is the same and the name empty.
 * The same file through mycnf_tls_read() (groups "client" and a named one):
 * it answers 0; the CA is NUL-terminated and occurs in the file; verifying
 * implies TLS; a file without "ssl" anywhere asks for no TLS; and the
 * describe/error texts built from it are NUL-terminated in any buffer.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mycnf.h"

static char path[256];

static void cleanup(void)
{
	unlink(path);
}

static bool has_ssl(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 3 <= size; i++)
		if (tolower(data[i]) == 's' && tolower(data[i + 1]) == 's' && tolower(data[i + 2]) == 'l')
			return true;
	return false;
}

static void check_text(const char *buf, size_t len)
{
	if (len && !memchr(buf, '\0', len))
		abort();
}

static void check_tls(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { "client", "orderd" };
	static const unsigned errs[] = { 2026, 1045, 2003 };
	static const size_t lens[] = { 1, 9, 600 };
	char buf[600];

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct mycnf_tls t;

		memset(&t, 0x55, sizeof(t));
		if (mycnf_tls_read(path, groups[g], &t) != 0)
			abort();
		if (!memchr(t.ca, '\0', sizeof(t.ca)))
			abort();
		if (t.ca[0] && !memmem(data, size, t.ca, strlen(t.ca)))
			abort();
		if (t.verify && !t.enabled)
			abort();
		if (t.enabled && !has_ssl(data, size))
			abort();
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			memset(buf, 'x', sizeof(buf));
			mycnf_tls_describe(&t, buf, lens[l]);
			check_text(buf, lens[l]);
			for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
				memset(buf, 'x', sizeof(buf));
				mycnf_tls_error(&t, path, errs[e], "server said no", buf, lens[l]);
				check_text(buf, lens[l]);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char opt[16], one[1] = { 'x' };
	int fd, r;

	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/prism-fuzz-mycnf.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
	memset(opt, 'x', sizeof(opt));
	r = mycnf_placeholder(path, opt, sizeof(opt));
	if (r != 0 && r != 1)
		abort();
	if (r == 1) {
		if (!memmem(data, size, MYCNF_PLACEHOLDER, strlen(MYCNF_PLACEHOLDER)))
			abort();
		if (!memchr(opt, '\0', sizeof(opt)) || (opt[0] && !memmem(data, size, opt, strlen(opt))))
			abort();
	}
	if (mycnf_placeholder(path, one, sizeof(one)) != r || (r == 1 && one[0] != '\0'))
		abort();
	if (mycnf_placeholder(path, NULL, 0) != r)
		abort();
	check_tls(data, size);
	return 0;
}
