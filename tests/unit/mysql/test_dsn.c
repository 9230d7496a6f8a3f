/*
 * DATA_SOURCE_NAME parsing (exporters/mysql/dsn.c): the Go MySQL driver's
 * DSN forms that mysqld_exporter 0.14 accepts, and clear errors (never
 * showing the password) for the ones it refuses.
 */
#include <errno.h>
#include <string.h>

#include "dsn.h"
#include "harness.h"

static void test_tcp(void)
{
	struct dsn d;
	char err[200];

	CHECK_INT(dsn_parse("exporter:s3cret@tcp(127.0.0.1:3307)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.user, "exporter");
	CHECK_STR(d.password, "s3cret");
	CHECK_STR(d.host, "127.0.0.1");
	CHECK_INT(d.port, 3307);
	CHECK(d.socket == NULL);
	CHECK(d.dbname == NULL);
	dsn_done(&d);

	/* Debian 12's /etc/default/prometheus-mysqld-exporter example */
	CHECK_INT(dsn_parse("prometheus:nopassword@unix(/run/mysqld/mysqld.sock)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.user, "prometheus");
	CHECK_STR(d.socket, "/run/mysqld/mysqld.sock");
	CHECK(d.host == NULL);
	dsn_done(&d);

	/* default port, default address, no password, a database, parameters */
	CHECK_INT(dsn_parse("u@tcp(db.example)/orders?timeout=5s&tls=false", &d, err, sizeof(err)), 0);
	CHECK_STR(d.host, "db.example");
	CHECK_INT(d.port, 3306);
	CHECK(d.password == NULL);
	CHECK_STR(d.dbname, "orders");
	CHECK_INT(d.nparams, 2);
	CHECK_STR(d.first_param, "timeout");
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:p@/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.host, "127.0.0.1");
	CHECK_INT(d.port, 3306);
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:p@tcp/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.host, "127.0.0.1");
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:p@unix/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.socket, "/tmp/mysql.sock");
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:p@tcp([::1]:3308)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.host, "::1");
	CHECK_INT(d.port, 3308);
	dsn_done(&d);
}

/* The driver's splitting rules: first ':' ends the user, last '@' before
 * the last '/' ends the credentials. */
static void test_password_characters(void)
{
	struct dsn d;
	char err[200];

	CHECK_INT(dsn_parse("u:p:a@ss@tcp(h:1)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.user, "u");
	CHECK_STR(d.password, "p:a@ss");
	CHECK_STR(d.host, "h");
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:p%40?x@unix(/a/b.sock)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.password, "p%40?x");	/* not percent-decoded, as the driver */
	CHECK_STR(d.socket, "/a/b.sock");
	dsn_done(&d);
	CHECK_INT(dsn_parse("u:@tcp(h)/", &d, err, sizeof(err)), 0);
	CHECK_STR(d.password, "");
	dsn_done(&d);
}

static void test_errors(void)
{
	static const char *const bad[] = {
		"exporter:hunter2@tcp(127.0.0.1:3306)",		/* no '/' */
		"exporter:hunter2@tcp(127.0.0.1:3306/",		/* no ')' */
		"exporter:hunter2@tcp(127.0.0.1:0)/",
		"exporter:hunter2@tcp(127.0.0.1:99999)/",
		"exporter:hunter2@tcp(127.0.0.1:33a)/",
		"exporter:hunter2@tcp(:3306)/",
		"exporter:hunter2@tcp(::1:3306)/",
		"exporter:hunter2@udp(127.0.0.1:3306)/",
		"exporter:hunter2@tcp(127.0.0.1)/?timeout",
		"exporter:hunter2@tcp(127.0.0.1)/\n",
		"",
	};
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dsn d = { .port = 4242 };

		err[0] = '\0';
		CHECK_INT(dsn_parse(bad[i], &d, err, sizeof(err)), -EINVAL);
		CHECK(err[0] != '\0');
		CHECK(strstr(err, "hunter2") == NULL);
		CHECK_INT(d.port, 4242);	/* untouched on failure */
	}
	CHECK_INT(dsn_parse("x", &(struct dsn){ 0 }, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'/'") != NULL);
	dsn_done(NULL);
}

int main(void)
{
	RUN(test_tcp);
	RUN(test_password_characters);
	RUN(test_errors);
	return harness_done();
}
