/*
 * log: logfmt/JSON lines, quoting, level filter, one write per event,
 * journal detection, and the journal entries as journald's native protocol
 * receives them (a datagram socket bound here, parsed field by field).
 */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "../../../common/log.c"

static char tmpl[] = "/tmp/prism-test-log.XXXXXX";
static int fd = -1;

/* Read everything logged so far and truncate the file. */
static char *drain(void)
{
	static char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (ftruncate(fd, 0) < 0)
		buf[0] = '\0';
	return buf;
}

static void test_setup(void)
{
	CHECK_INT(log_setup("loud", "logfmt"), -EINVAL);
	CHECK_INT(log_setup("info", "xml"), -EINVAL);
	CHECK_INT(log_setup("info", "logfmt"), 0);
	log_set_journal(false);
	CHECK(!log_enabled(LOGL_DEBUG));
	CHECK(log_enabled(LOGL_INFO));
	CHECK(log_enabled(LOGL_ERROR));
}

static void test_logfmt(void)
{
	char *s;

	log_setup("info", "logfmt");
	log_set_journal(false);
	log_info("listening", "address", ":9100", "port", "9100", NULL);
	s = drain();
	CHECK(strncmp(s, "ts=20", 5) == 0);
	CHECK(s[7] == '-' && s[13] == 'T' && s[22] == '.' && s[26] == 'Z' && s[27] == ' ');
	CHECK_STR(s + 28, "level=info msg=listening address=:9100 port=9100\n");

	log_warn("two words", "k", "a=b", "q", "say \"hi\"", "nl", "x\ny", "e", "", "b", "back\\slash",
		 "u", "caf\xc3\xa9", "ctl", "\x01", NULL);
	s = drain();
	CHECK_STR(strstr(s, "level="), "level=warn msg=\"two words\" k=\"a=b\" q=\"say \\\"hi\\\"\" "
		  "nl=\"x\\ny\" e=\"\" b=back\\slash u=caf\xc3\xa9 ctl=\"\\u0001\"\n");
	/* a NULL value is logged empty, a bad key is made safe */
	log_error("m", "bad key", NULL, NULL);
	s = drain();
	CHECK_STR(strstr(s, "level="), "level=error msg=m bad_key=\"\"\n");
}

static void test_json(void)
{
	char *s;

	log_setup("debug", "json");
	log_set_journal(false);
	log_debug("hello \"you\"", "path", "/a\\b", "nl", "1\n2", "tab", "\t", NULL);
	s = drain();
	CHECK(strncmp(s, "{\"ts\":\"20", 9) == 0);
	CHECK_STR(strstr(s, "\"level\""), "\"level\":\"debug\",\"msg\":\"hello \\\"you\\\"\","
		  "\"path\":\"/a\\\\b\",\"nl\":\"1\\n2\",\"tab\":\"\\t\"}\n");
}

static void test_level_filter(void)
{
	log_setup("warn", "logfmt");
	log_set_journal(false);
	log_info("hidden", NULL);
	log_debug("hidden", NULL);
	CHECK_STR(drain(), "");
	log_warn("shown", NULL);
	CHECK(strstr(drain(), "msg=shown") != NULL);
	log_setup("error", "logfmt");
	log_warn("hidden", NULL);
	CHECK_STR(drain(), "");
}

static void test_truncation(void)
{
	char *big = malloc(20000), *s;
	size_t n;

	memset(big, 'x', 19999);
	big[19999] = '\0';
	log_setup("info", "logfmt");
	log_set_journal(false);
	/* an unquoted value is cut and marked */
	log_info("big", "v", big, "after", "1", NULL);
	s = drain();
	n = strlen(s);
	CHECK(n <= LINE_MAX_BYTES && n > 8000);
	CHECK(strcmp(s + n - 5, "xx...\n") == 0 || strcmp(s + n - 5, "x...\n") == 0);
	CHECK(strchr(s, '"') == NULL);
	CHECK(strchr(s, '\n') == s + n - 1);
	/* a quoted value is closed so the line stays parseable */
	big[10] = ' ';
	log_info("big", "v", big, NULL);
	s = drain();
	n = strlen(s);
	CHECK(n <= LINE_MAX_BYTES && n > 8000);
	CHECK(strcmp(s + n - 6, "x...\"\n") == 0);
	/* an escape is never split */
	for (int i = 0; i < 19999; i++)
		big[i] = '\n';
	log_info("big", "v", big, NULL);
	s = drain();
	n = strlen(s);
	CHECK(strcmp(s + n - 7, "\\n...\"\n") == 0);
	memset(big, 'x', 19999);
	log_setup("info", "json");
	log_info("big", "v", big, NULL);
	s = drain();
	n = strlen(s);
	CHECK(n <= LINE_MAX_BYTES);
	CHECK(strcmp(s + n - 6, "...\"}\n") == 0);
	free(big);
	/* cut between fields: the JSON object is closed after the last whole value */
	{
		char v[1000];

		memset(v, 'y', sizeof(v) - 1);
		v[sizeof(v) - 1] = '\0';
		log_info("many", "a", v, "b", v, "c", v, "d", v, "e", v, "f", v, "g", v, "h", v,
			 "i", v, "j", v, NULL);
		s = drain();
		n = strlen(s);
		CHECK(n <= LINE_MAX_BYTES);
		CHECK(strcmp(s + n - 3, "\"}\n") == 0 || strcmp(s + n - 6, "...\"}\n") == 0);
		CHECK(strstr(s, "\"j\":") == NULL);	/* the last one did not fit */
	}
}

/*
 * A strict check of one JSON log line: {"k":"v",...}\n, string values only,
 * RFC 8259 escapes, no raw control bytes, well-formed UTF-8 (section 8.1).
 */
static bool json_string_ok(const unsigned char **pp)
{
	const unsigned char *p = *pp;

	if (*p++ != '"')
		return false;
	while (*p != '"') {
		if (*p < 0x20)
			return false;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit(p[i]))
						return false;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return false;
			}
		} else if (*p < 0x80) {
			p++;
		} else {
			size_t n = utf8_seq_len_str(p);

			if (!n)
				return false;
			p += n;
		}
	}
	*pp = p + 1;
	return true;
}

static bool json_line_ok(const char *line)
{
	const unsigned char *p = (const unsigned char *)line;

	if (*p++ != '{')
		return false;
	for (;;) {
		if (!json_string_ok(&p) || *p++ != ':' || !json_string_ok(&p))
			return false;
		if (*p == '}')
			return strcmp((const char *)p, "}\n") == 0;
		if (*p++ != ',')
			return false;
	}
}

/* Invalid UTF-8 (a client's %ff in a logged path) must not make the line
 * invalid: Go's encoders write \ufffd for each bad byte, and go-logfmt quotes. */
static void test_invalid_utf8(void)
{
	char *s;

	log_setup("info", "json");
	log_set_journal(false);
	log_info("bad \xff", "path", "/a\xc3(\xed\xa0\x80z", "ok", "caf\xc3\xa9", NULL);
	s = drain();
	CHECK(json_line_ok(s));
	CHECK(strstr(s, "\"msg\":\"bad \\ufffd\"") != NULL);
	CHECK(strstr(s, "\"path\":\"/a\\ufffd(\\ufffd\\ufffd\\ufffdz\"") != NULL);
	CHECK(strstr(s, "\"ok\":\"caf\xc3\xa9\"") != NULL);
	log_setup("info", "logfmt");
	log_info("m", "path", "/a\xff", "ok", "caf\xc3\xa9", NULL);
	s = drain();
	CHECK_STR(strstr(s, "level="), "level=info msg=m path=\"/a\\ufffd\" ok=caf\xc3\xa9\n");
	/* keys too (found by fuzz_log): a bad byte becomes '_', UTF-8 stays */
	log_info("m", "k\xff\xc3\xa9y", "v", NULL);
	s = drain();
	CHECK_STR(strstr(s, "level="), "level=info msg=m k_\xc3\xa9y=v\n");
}

/*
 * Whatever the length, a cut JSON line stays one valid object: a key is
 * never written without room for its value (it used to end in "k":} when
 * the key ended exactly at the cut), and a multi-byte character is never
 * split, quoted or not.
 */
static void test_cut_everywhere(void)
{
	char *msg = malloc(LINE_MAX_BYTES + 64), *s;
	const char *e2 = "\xc3\xa9";	/* é */
	int bad = 0, badfmt = 0;

	for (size_t len = LINE_MAX_BYTES - 200; len < LINE_MAX_BYTES + 8; len++) {
		memset(msg, 'm', len);
		msg[len] = '\0';
		log_setup("info", "json");
		log_info(msg, "k", "v", "k2", "vv", NULL);
		s = drain();
		if (!json_line_ok(s))
			bad++;
		/* unquoted logfmt values of 2-byte characters, cut somewhere */
		for (size_t i = 0; i + 2 <= len; i += 2)
			memcpy(msg + i, e2, 2);
		msg[len & ~(size_t)1] = '\0';
		log_setup("info", "logfmt");
		log_info("m", "v", msg, NULL);
		s = drain();
		for (const unsigned char *p = (const unsigned char *)s; *p;) {
			size_t n = utf8_seq_len_str(p);

			if (!n) {
				badfmt++;
				break;
			}
			p += n;
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(badfmt, 0);
	free(msg);
}

#define THREADS 8
#define LINES 500
static void *writer(void *arg)
{
	char v[600];

	memset(v, 'a' + (int)(intptr_t)arg, sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	for (int i = 0; i < LINES; i++)
		log_info("concurrent", "v", v, "end", "yes", NULL);
	return NULL;
}

static void test_concurrent_lines(void)
{
	pthread_t t[THREADS];
	static char all[THREADS * LINES * 700];
	ssize_t n;
	int lines = 0, bad = 0;

	log_setup("info", "logfmt");
	log_set_journal(false);
	drain();
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	n = pread(fd, all, sizeof(all) - 1, 0);
	all[n > 0 ? n : 0] = '\0';
	/* every line whole: starts with ts=, one run of a single letter, ends end=yes */
	for (char *l = all, *e; *l; l = e + 1) {
		char *v;

		e = strchr(l, '\n');
		if (!e)
			break;
		*e = '\0';
		lines++;
		v = strstr(l, " v=");
		if (strncmp(l, "ts=", 3) != 0 || !v || strlen(v + 3) != 599 + 8 ||
		    strcmp(v + 3 + 599, " end=yes") != 0 || strspn(v + 3, (char[]){ v[3], 0 }) != 599)
			bad++;
	}
	CHECK_INT(lines, THREADS * LINES);
	CHECK_INT(bad, 0);
	drain();
}

static void test_journal_detect(void)
{
	struct stat st;
	char env[64];

	CHECK(fstat(fd, &st) == 0);
	unsetenv("JOURNAL_STREAM");
	CHECK(!journal_detect(fd));
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(journal_detect(fd));
	/* stderr is not that file: a child whose stderr was redirected */
	CHECK(!journal_detect(open("/dev/null", O_RDONLY | O_CLOEXEC)));
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(!journal_detect(fd));
	setenv("JOURNAL_STREAM", "garbage", 1);
	CHECK(!journal_detect(fd));
	snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(!journal_detect(fd));
	unsetenv("JOURNAL_STREAM");
	/* log_setup decides from fd 2: not the journal here */
	log_setup("info", "logfmt");
	CHECK(!journal_active());
}

/* ---- journald's native protocol, received and parsed here ---- */

struct jfield {
	char name[72];
	const char *v;	/* into the entry buffer; NUL-terminated there */
	size_t vl;
	bool binary;	/* sent in the length-prefixed form */
};

struct jentry {
	char data[65536];
	size_t len;
	bool via_memfd;
	struct jfield f[64];
	int n;
};

static int jsock = -1;
static char jdir[] = "/tmp/prism-test-journal.XXXXXX";
static char jpath[100];

/* journald's rule for a name a client may send (journal_field_valid()). */
static bool jname_ok(const char *n, size_t l)
{
	if (l == 0 || l > 64 || n[0] == '_' || (n[0] >= '0' && n[0] <= '9'))
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return false;
	return true;
}

/*
 * Parse one entry as journald does: NAME=value\n, or NAME\n, a 64-bit
 * little-endian length, the value, \n.  false on anything else (a bad
 * name, a missing terminator, a length past the end).
 */
static bool jparse(struct jentry *e)
{
	size_t i = 0;

	e->n = 0;
	while (i < e->len) {
		struct jfield *f = &e->f[e->n];
		size_t j = i;

		if (e->n == 64)
			return false;
		while (j < e->len && e->data[j] != '=' && e->data[j] != '\n')
			j++;
		if (j == e->len || !jname_ok(e->data + i, j - i))
			return false;
		memcpy(f->name, e->data + i, j - i);
		f->name[j - i] = '\0';
		if (e->data[j] == '=') {
			char *nl = memchr(e->data + j + 1, '\n', e->len - j - 1);

			if (!nl)
				return false;
			f->v = e->data + j + 1;
			f->vl = (size_t)(nl - f->v);
			f->binary = false;
			*nl = '\0';
			i = (size_t)(nl - e->data) + 1;
		} else {
			uint64_t l = 0;

			if (e->len - j - 1 < 8)
				return false;
			for (int b = 7; b >= 0; b--)
				l = l << 8 | (unsigned char)e->data[j + 1 + b];
			if (l > e->len - j - 9 - 1 || e->data[j + 9 + l] != '\n')
				return false;
			f->v = e->data + j + 9;
			f->vl = l;
			f->binary = true;
			e->data[j + 9 + l] = '\0';
			i = j + 9 + l + 1;
		}
		e->n++;
	}
	return true;
}

/* The next entry at the socket (waits at most 2 s); false if none or unparseable. */
static bool jrecv(struct jentry *e)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { e->data, sizeof(e->data) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct timeval tv = { 2, 0 };
	struct cmsghdr *c;
	ssize_t n;

	setsockopt(jsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recvmsg(jsock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return false;
	e->len = (size_t)n;
	e->via_memfd = false;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		int mfd, seals;

		memcpy(&mfd, CMSG_DATA(c), sizeof(int));
		/* the protocol: an empty datagram with a sealed memfd, never both */
		seals = fcntl(mfd, F_GET_SEALS);
		if (n != 0 || seals < 0 ||
		    (seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) !=
			    (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) {
			close(mfd);
			return false;
		}
		n = pread(mfd, e->data, sizeof(e->data) - 1, 0);
		close(mfd);
		if (n <= 0)
			return false;
		e->len = (size_t)n;
		e->via_memfd = true;
	}
	return jparse(e);
}

static const struct jfield *jget(const struct jentry *e, const char *name)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->f[i].name, name) == 0)
			return &e->f[i];
	return NULL;
}

static const char *jval(const struct jentry *e, const char *name)
{
	const struct jfield *f = jget(e, name);

	return f ? f->v : NULL;
}

static int jcount(const struct jentry *e, const char *prefix)
{
	int c = 0;

	for (int i = 0; i < e->n; i++)
		if (strncmp(e->f[i].name, prefix, strlen(prefix)) == 0)
			c++;
	return c;
}

static struct jentry je;

static void jstart(const char *fmt)
{
	log_setup("debug", fmt);
	CHECK_INT(log_set_journal_socket(jpath), 0);
}

/*
 * The whole line in MESSAGE (as --log.format says, no ts=), the level as
 * PRIORITY, each field as its own upper-cased field, the program as
 * SYSLOG_IDENTIFIER, and no CODE_* location; nothing on stderr.
 */
static void test_journal_entry(void)
{
	jstart("logfmt");
	log_info("Enabled collector", "collector", "cpu", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "MESSAGE"), "level=info msg=\"Enabled collector\" collector=cpu");
	CHECK_STR(jval(&je, "PRIORITY"), "6");
	CHECK_STR(jval(&je, "COLLECTOR"), "cpu");
	CHECK_STR(jval(&je, "SYSLOG_IDENTIFIER"), "test_log");
	CHECK_INT(jcount(&je, "CODE_"), 0);
	CHECK_INT(je.n, 4);
	CHECK(!je.via_memfd);
	CHECK_STR(drain(), "");

	jstart("json");
	log_warn("database not reachable, retrying", "error", "Can't connect to server on '127.0.0.1' (111)",
		 "attempt", "3", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "MESSAGE"), "{\"level\":\"warn\",\"msg\":\"database not reachable, retrying\","
		  "\"error\":\"Can't connect to server on '127.0.0.1' (111)\",\"attempt\":\"3\"}");
	CHECK_STR(jval(&je, "PRIORITY"), "4");
	CHECK_STR(jval(&je, "ERROR"), "Can't connect to server on '127.0.0.1' (111)");
	CHECK_STR(jval(&je, "ATTEMPT"), "3");
	CHECK_INT(jcount(&je, "CODE_"), 0);

	/* syslog(3) levels: debug 7, error 3; a level below --log.level sends nothing */
	log_debug("d", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "PRIORITY"), "7");
	CHECK_STR(jval(&je, "MESSAGE"), "{\"level\":\"debug\",\"msg\":\"d\"}");
	log_error("e", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "PRIORITY"), "3");
	log_setup("warn", "logfmt");
	log_set_journal_socket(jpath);
	log_info("hidden", NULL);
	log_warn("shown", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "MESSAGE"), "level=warn msg=shown");
	CHECK_STR(drain(), "");
}

/*
 * A value with a newline goes in the binary-safe form, byte for byte; the
 * MESSAGE line keeps it escaped (one line).  Other raw bytes are kept too.
 */
static void test_journal_multiline(void)
{
	const struct jfield *f;

	jstart("logfmt");
	log_error("query failed", "statement", "SELECT 1\nFROM dual", "raw", "tab\there \xff", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "MESSAGE"),
		  "level=error msg=\"query failed\" statement=\"SELECT 1\\nFROM dual\" raw=\"tab\\there \\ufffd\"");
	f = jget(&je, "STATEMENT");
	CHECK(f && f->binary && f->vl == 18 && memcmp(f->v, "SELECT 1\nFROM dual", 18) == 0);
	f = jget(&je, "RAW");
	CHECK(f && !f->binary && strcmp(f->v, "tab\there \xff") == 0);
	/* an empty value and a NULL one are fields with empty values */
	log_info("m", "empty", "", "null", NULL, NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "EMPTY"), "");
	CHECK_STR(jval(&je, "NULL"), "");
}

/*
 * Keys become valid journal names (jparse rejects any other): upper case,
 * '_' for other bytes, "F" before a leading '_' or digit, "F_" before a
 * name journald gives a meaning to, at most 64 bytes.
 */
static void test_journal_names(void)
{
	char longkey[101];

	memset(longkey, 'k', 100);
	longkey[100] = '\0';
	jstart("logfmt");
	log_info("m", "request_id", "1", "a-b.c", "2", "_secret", "3", "9x", "4", "message", "5",
		 "priority", "6", "errno", "-2", "code_file", "x.c", "\xc3\xa9", "7", "", "8",
		 longkey, "9", NULL);
	CHECK(jrecv(&je));
	CHECK_STR(jval(&je, "REQUEST_ID"), "1");
	CHECK_STR(jval(&je, "A_B_C"), "2");
	CHECK_STR(jval(&je, "F_SECRET"), "3");
	CHECK_STR(jval(&je, "F9X"), "4");
	CHECK_STR(jval(&je, "F_MESSAGE"), "5");
	CHECK_STR(jval(&je, "F_PRIORITY"), "6");
	CHECK_STR(jval(&je, "F_ERRNO"), "-2");
	CHECK_STR(jval(&je, "F_CODE_FILE"), "x.c");
	CHECK_STR(jval(&je, "F__"), "7");
	CHECK_STR(jval(&je, "F"), "8");
	CHECK_STR(jval(&je, "KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK"), "9");
	/* ours stay single: one MESSAGE, one PRIORITY, no CODE_* */
	CHECK_INT(jcount(&je, "MESSAGE"), 1);
	CHECK_INT(jcount(&je, "PRIORITY"), 1);
	CHECK_INT(jcount(&je, "CODE_"), 0);
	CHECK_STR(jval(&je, "PRIORITY"), "6");
}

/*
 * An entry larger than a datagram may be (here: a send buffer shrunk to the
 * kernel's minimum) goes as a sealed memfd; the receiver gets it all.
 */
static void test_journal_memfd(void)
{
	char v[6001];
	int one = 1, sfd;
	const struct jfield *f;

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	v[3000] = '\n';
	jstart("logfmt");
	sfd = journal_socket();
	CHECK(sfd >= 0);
	CHECK(setsockopt(sfd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) == 0);
	log_info("big", "payload", v, NULL);
	CHECK(jrecv(&je));
	CHECK(je.via_memfd);
	f = jget(&je, "PAYLOAD");
	CHECK(f && f->binary && f->vl == 6000 && memcmp(f->v, v, 6000) == 0);
	CHECK(jval(&je, "MESSAGE") && strlen(jval(&je, "MESSAGE")) > 6000);
	CHECK_STR(drain(), "");
	/* a small one still goes as a datagram */
	log_info("small", NULL);
	CHECK(jrecv(&je));
	CHECK(!je.via_memfd);
	CHECK_STR(jval(&je, "MESSAGE"), "level=info msg=small");
}

/*
 * A value longer than the room left for fields is left out of the fields
 * (MESSAGE has it, cut and marked); the entry still goes.
 */
static void test_journal_bounded(void)
{
	char *big = malloc(20000);
	const char *m;

	memset(big, 'x', 19999);
	big[19999] = '\0';
	jstart("logfmt");
	log_info("big", "v", big, "after", "1", NULL);
	CHECK(jrecv(&je));
	CHECK(jget(&je, "V") == NULL);
	CHECK_STR(jval(&je, "AFTER"), "1");
	m = jval(&je, "MESSAGE");
	CHECK(m && strlen(m) < LINE_MAX_BYTES && strcmp(m + strlen(m) - 3, "...") == 0);
	CHECK(je.len <= JOURNAL_ENTRY_MAX);
	free(big);
}

/* A journald that reads, slowly: counts datagrams until told to stop. */
static _Atomic int slow_got, slow_stop;

static void *slow_reader(void *arg)
{
	char b[65536];
	struct timeval tv = { 0, 200000 };

	setsockopt(jsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&slow_stop)) {
		if (recv(jsock, b, sizeof(b), 0) > 0)
			atomic_fetch_add(&slow_got, 1);
		usleep(1000);
	}
	return NULL;
}

static int count_lines(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *l = s; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/*
 * A burst larger than journald's queue (net.unix.max_dgram_qlen datagrams)
 * is paced by a journald that reads, not spilled to stderr; a journald that
 * reads nothing costs each event JOURNAL_SEND_TIMEOUT_MS, after which its
 * line goes to stderr with the level as a "<N>" prefix.
 */
static void test_journal_backpressure(void)
{
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
	int qlen = 10, burst, got = 0, spilled;
	struct timespec t0, t1;
	pthread_t t;
	char b[65536];
	double secs;

	if (f) {
		if (fscanf(f, "%d", &qlen) != 1)
			qlen = 10;
		fclose(f);
	}
	jstart("logfmt");
	drain();
	burst = qlen * 3 + 30;
	atomic_store(&slow_got, 0);
	atomic_store(&slow_stop, 0);
	pthread_create(&t, NULL, slow_reader, NULL);
	for (int i = 0; i < burst; i++)
		log_info("burst", NULL);
	for (int i = 0; i < 400 && atomic_load(&slow_got) < burst; i++)
		usleep(10000);
	atomic_store(&slow_stop, 1);
	pthread_join(t, NULL);
	CHECK_INT(atomic_load(&slow_got), burst);
	CHECK_STR(drain(), "");

	/* nobody reads: the queue fills, then each event waits and spills */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < qlen + 3; i++)
		log_warn("stuck", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	while (recv(jsock, b, sizeof(b), MSG_DONTWAIT) > 0)
		got++;
	spilled = count_lines(drain(), "<4>level=warn msg=stuck");
	CHECK_INT(got + spilled, qlen + 3);
	CHECK(spilled >= 1 && spilled <= 3);
	/* each spill waited the timeout, no longer */
	CHECK(secs >= spilled * JOURNAL_SEND_TIMEOUT_MS / 1000.0 * 0.9);
	CHECK(secs < spilled * JOURNAL_SEND_TIMEOUT_MS / 1000.0 + 2);
}

/* No journald at the socket: the same line (no ts=) goes to stderr's fd. */
static void test_journal_fallback(void)
{
	char gone[160];

	snprintf(gone, sizeof(gone), "%s/absent", jdir);
	log_setup("info", "logfmt");
	CHECK_INT(log_set_journal_socket(gone), 0);
	log_info("no journald", "k", "v", NULL);
	CHECK_STR(drain(), "<6>level=info msg=\"no journald\" k=v\n");
	/* a path that does not fit a sockaddr_un */
	{
		char lng[200];

		memset(lng, 'p', sizeof(lng) - 1);
		lng[sizeof(lng) - 1] = '\0';
		CHECK_INT(log_set_journal_socket(lng), -EINVAL);
	}
	log_set_journal(false);
}

static void journal_listen(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (!mkdtemp(jdir))
		abort();
	snprintf(jpath, sizeof(jpath), "%s/socket", jdir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", jpath);
	jsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (jsock < 0 || bind(jsock, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();
}

static void journal_unlisten(void)
{
	close(jsock);
	unlink(jpath);
	rmdir(jdir);
}

int main(void)
{
	fd = mkstemp(tmpl);
	if (fd < 0)
		return 1;
	unlink(tmpl);
	(void)fcntl(fd, F_SETFL, O_APPEND);
	log_set_fd(fd);
	RUN(test_setup);
	RUN(test_logfmt);
	RUN(test_json);
	RUN(test_level_filter);
	RUN(test_truncation);
	RUN(test_invalid_utf8);
	RUN(test_cut_everywhere);
	RUN(test_concurrent_lines);
	RUN(test_journal_detect);
	journal_listen();
	RUN(test_journal_entry);
	RUN(test_journal_multiline);
	RUN(test_journal_names);
	RUN(test_journal_memfd);
	RUN(test_journal_bounded);
	RUN(test_journal_backpressure);
	RUN(test_journal_fallback);
	journal_unlisten();
	close(fd);
	return harness_done();
}
