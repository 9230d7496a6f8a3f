/*
 * Unit tests of common/mycnf.{h,c}: the placeholder check that keeps
 * orderd and mysql-exporter not ready while the packaged my.cnf still holds
 * CHANGE_ME.  Files are written to a temporary directory; the two shipped
 * templates are checked too when the source tree is at SRC_DIR (or cwd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mycnf.h"
#include "../harness.h"

static char dir[] = "/tmp/test_mycnf.XXXXXX";

static int check_text(const char *text, char *key, size_t keylen)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/my.cnf", dir);
	f = fopen(path, "w");
	if (!f)
		return -999;
	fputs(text, f);
	fclose(f);
	return mycnf_placeholder(path, key, keylen);
}

static void test_placeholders(void)
{
	char key[32] = "";

	CHECK_INT(check_text("[client]\nuser = app\npassword = CHANGE_ME\n", key, sizeof(key)), 1);
	CHECK_STR(key, "password");
	CHECK_INT(check_text("[client]\nuser=CHANGE_ME\n", key, sizeof(key)), 1);
	CHECK_STR(key, "user");
	/* quoted, and inside a longer value */
	CHECK_INT(check_text("[client]\npassword = \"CHANGE_ME\"\n", NULL, 0), 1);
	CHECK_INT(check_text("[client]\n  host\t=\tCHANGE_ME.example\n", key, sizeof(key)), 1);
	CHECK_STR(key, "host");
	/* a name longer than the caller's room is cut, not overflowed */
	CHECK_INT(check_text("[client]\nvery-long-option-name = CHANGE_ME\n", key, 5), 1);
	CHECK_STR(key, "very");
}

static void test_filled_in(void)
{
	CHECK_INT(check_text("[client]\nuser = app\npassword = s3cret\n", NULL, 0), 0);
	/* comments, headers and directives mention it without being options */
	CHECK_INT(check_text("# Replace every CHANGE_ME, then restart\n"
			     "# password = CHANGE_ME\n;password=CHANGE_ME\n"
			     "; CHANGE_ME\n[CHANGE_ME]\n!include /etc/CHANGE_ME.cnf\n"
			     "[client]\npassword = s3cret # was CHANGE_ME\nskip-ssl\n",
			     NULL, 0),
		  0);
	/* inside quotes a '#' is part of the value */
	CHECK_INT(check_text("[client]\npassword = \"a#CHANGE_ME\"\n", NULL, 0), 1);
	CHECK_INT(check_text("", NULL, 0), 0);
}

static void test_unreadable(void)
{
	CHECK_INT(mycnf_placeholder("/nonexistent/my.cnf", NULL, 0), -ENOENT);
}

static void test_shipped_templates(void)
{
	const char *src = getenv("SRC_DIR");
	const char *names[] = { "orderd", "mysql-exporter" };
	char path[4096], key[32];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/packaging/config/%s/my.cnf", src ? src : ".",
			 names[i]);
		if (access(path, R_OK) < 0) {
			SKIP("no %s", path);
			return;
		}
		CHECK_INT(mycnf_placeholder(path, key, sizeof(key)), 1);
		CHECK_STR(key, "password");
	}
}

int main(void)
{
	char path[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_placeholders);
	RUN(test_filled_in);
	RUN(test_unreadable);
	RUN(test_shipped_templates);
	snprintf(path, sizeof(path), "%s/my.cnf", dir);
	unlink(path);
	rmdir(dir);
	return harness_done();
}
