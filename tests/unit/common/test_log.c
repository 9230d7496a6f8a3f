/* log: logfmt/JSON lines, quoting, level filter, one write per event, journal detection. */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
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

static void test_journal_names(void)
{
	char n[72];
	size_t l;

	l = journal_field_name(n, sizeof(n), "request_id");
	CHECK(l == 10 && memcmp(n, "REQUEST_ID", l) == 0);
	l = journal_field_name(n, sizeof(n), "a-b.c");
	CHECK(l == 5 && memcmp(n, "A_B_C", l) == 0);
	l = journal_field_name(n, sizeof(n), "_secret");
	CHECK(l == 8 && memcmp(n, "F_SECRET", l) == 0);
	l = journal_field_name(n, sizeof(n), "9x");
	CHECK(l == 3 && memcmp(n, "F9X", l) == 0);
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
	RUN(test_journal_names);
	close(fd);
	return harness_done();
}
