/*
 * fuzz_log: untrusted text (a request path, a header, a client's field name)
 * as the message, a key and a value of a log event, in both formats, to a
 * file and as journal entries; and the same bytes through json.h's escaper.
 * Input: NUL-separated msg, key, value; the value is also repeated to reach
 * the line cut at 8 KiB.
 * Invariants, for every event: exactly one line, ending in '\n', of
 * well-formed UTF-8 with no raw control byte; in JSON a valid object of
 * string members (RFC 8259); in logfmt, "ts=... level=... msg=..." with
 * quoted values closed.  As a journal entry (native protocol, received on a
 * socket bound here): every field name one journald accepts, well-formed
 * NAME=value / binary-length fields, one MESSAGE that is the same line
 * without ts=, PRIORITY=4, the last field END=1 kept.
 * json_escape: the whole input escaped is a valid JSON string's inside
 * whose length json_escaped_len predicts, decoding it gives the input with
 * U+FFFD for each bad byte, and a bounded escape is a prefix cut between
 * characters.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
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
		CHECK(*p >= 0x20 && *p != 0x7f);
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

static void check_logfmt(const char *line, bool with_ts)
{
	const unsigned char *p = (const unsigned char *)line;

	if (with_ts)
		CHECK(strncmp(line, "ts=", 3) == 0 && strstr(line, " level="));
	else
		CHECK(strncmp(line, "level=", 6) == 0);
	CHECK(strstr(line, " msg="));
	/* every byte UTF-8, no raw control byte but the final '\n'; quotes pair up */
	while (*p != '\n') {
		size_t n;

		CHECK(*p >= 0x20 && *p != 0x7f);
		if (*p == '"') {
			for (p++; *p != '"'; p += n) {
				CHECK(*p >= 0x20 && *p != 0x7f && *p != '\n');
				if (*p == '\\') {
					CHECK(p[1] && strchr("\"\\bfnrtu", p[1]));
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

/* ---- journal entries ---- */

static int jsock = -1;
static char jdir[] = "/tmp/prism-fuzz-journal.XXXXXX", jpath[100];

static void journal_cleanup(void)
{
	unlink(jpath);
	rmdir(jdir);
}

static void journal_listen(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	CHECK(mkdtemp(jdir) != NULL);
	snprintf(jpath, sizeof(jpath), "%s/socket", jdir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", jpath);
	jsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(jsock >= 0 && bind(jsock, (struct sockaddr *)&a, sizeof(a)) == 0);
	atexit(journal_cleanup);
}

static bool jname_ok(const char *n, size_t l)
{
	if (l == 0 || l > 64 || n[0] == '_' || (n[0] >= '0' && n[0] <= '9'))
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return false;
	return true;
}

/* The event just logged, as the journal received it (one datagram or a memfd). */
static void check_journal(int fmt, const char *msg, const char *key, const char *val)
{
	static char e[65536], line[16384];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { e, sizeof(e) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c;
	ssize_t n;
	size_t len, i = 0;
	int messages = 0, prio = 0;
	bool end = false;

	CHECK(log_set_journal_socket(jpath) == 0);
	log_kv(LOGL_WARN, msg, key, val, "end", "1", NULL);
	n = recvmsg(jsock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	CHECK(n >= 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
	len = (size_t)n;
	if ((c = CMSG_FIRSTHDR(&mh)) != NULL) {
		int mfd;

		CHECK(c->cmsg_type == SCM_RIGHTS && n == 0);
		memcpy(&mfd, CMSG_DATA(c), sizeof(int));
		n = pread(mfd, e, sizeof(e), 0);
		close(mfd);
		CHECK(n > 0);
		len = (size_t)n;
	}
	while (i < len) {
		size_t j = i, vl;
		const char *v;

		while (j < len && e[j] != '=' && e[j] != '\n')
			j++;
		CHECK(j < len && jname_ok(e + i, j - i));
		if (e[j] == '=') {
			const char *nl = memchr(e + j + 1, '\n', len - j - 1);

			CHECK(nl);
			v = e + j + 1;
			vl = (size_t)(nl - v);
		} else {
			uint64_t l = 0;

			CHECK(len - j - 1 >= 8);
			for (int b = 7; b >= 0; b--)
				l = l << 8 | (unsigned char)e[j + 1 + b];
			CHECK(l < len - j - 9 && e[j + 9 + l] == '\n');
			v = e + j + 9;
			vl = l;
		}
		if (j - i == 7 && memcmp(e + i, "MESSAGE", 7) == 0) {
			messages++;
			CHECK(vl + 2 <= sizeof(line) && !memchr(v, '\n', vl));
			memcpy(line, v, vl);
			memcpy(line + vl, "\n", 2);
			if (fmt)
				check_json(line);
			else
				check_logfmt(line, false);
		} else if (j - i == 8 && memcmp(e + i, "PRIORITY", 8) == 0) {
			prio++;
			CHECK(vl == 1 && v[0] == '4');
		} else if (j - i == 3 && memcmp(e + i, "END", 3) == 0 && vl == 1 && v[0] == '1') {
			end = true;
		}
		i = (size_t)(v - e) + vl + 1;
	}
	/* END comes last and is small: a field too big for the room left is
	 * dropped, never the ones after it */
	CHECK(messages == 1 && prio == 1 && end);
	log_set_journal(false);
}

/* ---- json.h ---- */

static size_t decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (in[i] != '\\') {
			out[o++] = in[i];
			continue;
		}
		switch (in[++i]) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			v = (unsigned)strtoul((char[]){ in[i + 1], in[i + 2], in[i + 3], in[i + 4], 0 },
					      NULL, 16);
			if (v == 0xfffd) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			} else {
				CHECK(v < 0x20 || v == 0x7f);
				out[o++] = (char)v;
			}
			i += 4;
			break;
		default: out[o++] = in[i]; break;
		}
	}
	return o;
}

static void check_escape(const uint8_t *data, size_t size, const char *cstr)
{
	size_t cl = strlen(cstr), n, used, el, wl = 0, cap;
	char *out = malloc(cl * 6 + 3), *dec = malloc(cl * 3 + 1), *want = malloc(cl * 3 + 1);
	struct buf b;

	CHECK(out && dec && want);
	/* the C string: escaped whole, a valid JSON string, decodes back */
	n = json_escape(out + 1, cl * 6, cstr, cl, &used);
	CHECK(used == cl && n == json_escaped_len(cstr, cl));
	out[0] = '"';
	out[n + 1] = '"';
	out[n + 2] = '\0';
	CHECK(json_str((const unsigned char *)out) == (const unsigned char *)out + n + 2);
	for (const unsigned char *p = (const unsigned char *)cstr; *p;) {
		size_t l = fuzz_utf8_len(p);

		if (l) {
			memcpy(want + wl, p, l);
			wl += l;
			p += l;
		} else {
			memcpy(want + wl, "\xef\xbf\xbd", 3);
			wl += 3;
			p++;
		}
	}
	el = decode(out + 1, n, dec);
	CHECK(el == wl && memcmp(dec, want, wl) == 0);
	/* bounded: a prefix of the whole, cut before a character that did not fit */
	cap = size ? data[size - 1] % (n + 1) : 0;
	{
		char *cut = malloc(cap + 1), next[JSON_ESCAPE_MAX];
		size_t cu, cn = json_escape(cut, cap, cstr, cl, &cu), nu;

		CHECK(cut && cn <= cap && memcmp(cut, out + 1, cn) == 0);
		CHECK(json_escaped_len(cstr, cu) == cn);
		CHECK(cu == cl || json_escape(next, cap - cn, cstr + cu, cl - cu, &nu) == 0);
		free(cut);
	}
	/* all the bytes, NULs included, into a buf */
	buf_init(&b, 0);
	CHECK(json_append_string(&b, (const char *)data, size) == 0);
	CHECK(b.len == json_escaped_len((const char *)data, size) + 2 && b.data[b.len] == '\0');
	CHECK(json_str((const unsigned char *)b.data) == (const unsigned char *)b.data + b.len);
	buf_done(&b);
	free(out);
	free(dec);
	free(want);
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
		journal_listen();
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
				check_logfmt(line, true);
			check_journal(f, parts[0], parts[1], vals[v]);
		}
	}
	free(big);
	check_escape(data, size, s);
	free(s);
	return 0;
}
