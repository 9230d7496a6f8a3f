/*
 * fuzz_log: untrusted text (a request path, a header, a client's field name)
 * as the message, a key and a value of a log event, in both formats.
 * Input: NUL-separated msg, key, value; the value is also repeated to reach
 * the line cut at 8 KiB.
 * Invariants, for every event: exactly one line, ending in '\n', of
 * well-formed UTF-8 with no raw control byte; in JSON a valid object of
 * string members (RFC 8259); in logfmt, "ts=... level=... msg=..." with
 * quoted values closed.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"

static int fd = -1;

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static const unsigned char *json_str(const unsigned char *p)
{
	CHECK(*p == '"');
	for (p++; *p != '"';) {
		CHECK(*p >= 0x20);
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					CHECK(isxdigit(p[i]));
				p += 5;
			} else {
				CHECK(*p && strchr("\"\\/bfnrt", *p));
				p++;
			}
		} else {
			size_t n = fuzz_utf8_len(p);

			CHECK(n);
			p += n;
		}
	}
	return p + 1;
}

static void check_json(const char *line)
{
	const unsigned char *p = (const unsigned char *)line;

	CHECK(*p++ == '{');
	for (;;) {
		p = json_str(p);
		CHECK(*p++ == ':');
		p = json_str(p);
		if (*p == '}') {
			CHECK(strcmp((const char *)p, "}\n") == 0);
			return;
		}
		CHECK(*p++ == ',');
	}
}

static void check_logfmt(const char *line)
{
	const unsigned char *p = (const unsigned char *)line;

	CHECK(strncmp(line, "ts=", 3) == 0);
	CHECK(strstr(line, " level=") && strstr(line, " msg="));
	/* every byte UTF-8, no raw control byte but the final '\n'; quotes pair up */
	while (*p != '\n') {
		size_t n;

		CHECK(*p >= 0x20 && *p != 0x7f);
		if (*p == '"') {
			for (p++; *p != '"'; p += n) {
				CHECK(*p >= 0x20 && *p != 0x7f && *p != '\n');
				if (*p == '\\') {
					CHECK(p[1] && strchr("\"\\nrtu", p[1]));
					n = 2;
				} else {
					n = fuzz_utf8_len(p);
					CHECK(n);
				}
			}
			p++;
			continue;
		}
		n = fuzz_utf8_len(p);
		CHECK(n);
		p += n;
	}
	CHECK(p[1] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[3] = { "", "k", "" };
	char *s = fuzz_cstr(data, size), *big, line[16384];
	size_t np = 0, vl;
	ssize_t n;

	if (fd < 0) {
		char path[] = "/tmp/prism-fuzz-log.XXXXXX";

		/* O_APPEND: after each ftruncate the next line starts at 0 */
		fd = mkostemp(path, O_APPEND | O_CLOEXEC);
		CHECK(fd >= 0);
		unlink(path);
		log_set_fd(fd);
		log_set_journal(false);
	}
	parts[np++] = s;
	for (size_t i = 0; i < size && np < 3; i++)
		if (s[i] == '\0')
			parts[np++] = s + i + 1;
	/* the value repeated up to ~9 KiB: the cut at 8 KiB lands anywhere */
	vl = strlen(parts[2]);
	big = malloc(9300);
	CHECK(big);
	big[0] = '\0';
	if (vl)
		for (size_t o = 0; o + vl < 9200; o += vl)
			memcpy(big + o, parts[2], vl + 1);
	for (int f = 0; f < 2; f++) {
		const char *vals[2] = { parts[2], big };

		log_setup("debug", f ? "json" : "logfmt");
		log_set_journal(false);
		for (int v = 0; v < 2; v++) {
			CHECK(ftruncate(fd, 0) == 0);
			log_kv(LOGL_WARN, parts[0], parts[1], vals[v], "end", "1", NULL);
			n = pread(fd, line, sizeof(line) - 1, 0);
			CHECK(n > 0 && n <= 8192);
			line[n] = '\0';
			CHECK(memchr(line, '\n', (size_t)n) == line + n - 1);
			if (f)
				check_json(line);
			else
				check_logfmt(line);
		}
	}
	free(big);
	free(s);
	return 0;
}
