/* log: logfmt/JSON lines, quoting, level filter, one write per event, journal detection. */
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
	RUN(test_concurrent_lines);
	RUN(test_journal_detect);
	RUN(test_journal_names);
	close(fd);
	return harness_done();
}
