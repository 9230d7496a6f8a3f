/*
 * fuzz_mycnf: any bytes as a my.cnf (the file orderd and mysql-exporter
 * read at start, on reload and before each reconnect) through
 * mycnf_placeholder(), written to a temporary file as the daemons find it.
 * Invariants: the answer is 0 or 1 (the file is readable); 1 only when the
 * file holds CHANGE_ME, and then the option named is NUL-terminated inside
 * the caller's buffer and occurs in the file; with a 1-byte buffer the
 * answer is the same and the name empty.
 */
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
	return 0;
}
