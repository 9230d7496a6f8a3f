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

/* mycnf_tls_read over the same temporary file; NULL group unless given. */
static struct mycnf_tls tls_text(const char *text, const char *group)
{
	struct mycnf_tls t;
	char path[64];
	FILE *f;

	memset(&t, 0x55, sizeof(t));	/* garbage: every field must be written */
	snprintf(path, sizeof(path), "%s/my.cnf", dir);
	f = fopen(path, "w");
	if (!f)
		return t;
	fputs(text, f);
	fclose(f);
	CHECK_INT(mycnf_tls_read(path, group, &t), 0);
	return t;
}

static void test_tls(void)
{
	struct mycnf_tls t;
	char msg[512];

	t = tls_text("[client]\nuser=a\npassword=b\n", NULL);
	CHECK(!t.enabled && !t.verify);
	CHECK_STR(t.ca, "");
	t = tls_text("[client]\nssl-ca = /etc/ca.pem\nssl-verify-server-cert\n", NULL);
	CHECK(t.enabled && t.verify);
	CHECK_STR(t.ca, "/etc/ca.pem");
	/* MariaDB's spellings: underscores, loose- prefix, quoted, =ON */
	t = tls_text("[client]\nloose_ssl_ca = \"/x y/ca.pem\" # comment\nssl_verify_server_cert=ON\n",
		     NULL);
	CHECK(t.enabled && t.verify);
	CHECK_STR(t.ca, "/x y/ca.pem");
	/* the ones the client library alone would not turn TLS on for */
	t = tls_text("[client]\nssl\n", NULL);
	CHECK(t.enabled && !t.verify);
	t = tls_text("[client]\nssl-verify-server-cert\n", NULL);
	CHECK(t.enabled && t.verify);
	/* capath stands in for the CA in messages; off switches */
	t = tls_text("[client]\nssl-capath=/etc/cas\n", NULL);
	CHECK(t.enabled);
	CHECK_STR(t.ca, "/etc/cas");
	t = tls_text("[client]\nssl-ca=/a\nssl=0\n", NULL);
	CHECK(!t.enabled && !t.verify);
	t = tls_text("[client]\nssl-ca=/a\nskip-ssl\n", NULL);
	CHECK(!t.enabled);
	t = tls_text("[client]\nssl-verify-server-cert=off\n", NULL);
	CHECK(!t.enabled && !t.verify);
	/* groups: other programs' groups do not count, the named one does */
	t = tls_text("[mysqld]\nssl-ca=/srv\n[client]\nuser=a\n", NULL);
	CHECK(!t.enabled);
	t = tls_text("[client]\nuser=a\n[client.db2]\nssl-ca=/db2.pem\n", "client.db2");
	CHECK(t.enabled);
	CHECK_STR(t.ca, "/db2.pem");
	t = tls_text("[client-mariadb]\nssl\n", NULL);
	CHECK(t.enabled);
	CHECK_INT(mycnf_tls_read("/nonexistent/my.cnf", NULL, &t), -ENOENT);

	/* messages: TLS failures name the CA and the file; clear text hints */
	t = tls_text("[client]\nssl-ca=/etc/ca.pem\nssl-verify-server-cert\n", NULL);
	mycnf_tls_error(&t, "/etc/o/my.cnf", 2026, "TLS/SSL error: bad", msg, sizeof(msg));
	CHECK(strstr(msg, "TLS") && strstr(msg, "/etc/ca.pem") && strstr(msg, "/etc/o/my.cnf") &&
	      strstr(msg, "verified") && strstr(msg, "bad"));
	t = tls_text("[client]\n", NULL);
	mycnf_tls_error(&t, "/etc/o/my.cnf", 1045, "Access denied", msg, sizeof(msg));
	CHECK(strstr(msg, "require_secure_transport") && strstr(msg, "Access denied"));
	mycnf_tls_error(&t, "/etc/o/my.cnf", 2003, "Can't connect", msg, sizeof(msg));
	CHECK_STR(msg, "2003: Can't connect");
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
	RUN(test_tls);
	RUN(test_shipped_templates);
	snprintf(path, sizeof(path), "%s/my.cnf", dir);
	unlink(path);
	rmdir(dir);
	return harness_done();
}
