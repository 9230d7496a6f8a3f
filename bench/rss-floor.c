/*
 * rss-floor: the memory floor of the chosen dependencies — a minimal HTTP
 * server on libmicrohttpd (which loads GnuTLS and its chain) answering
 * "ok" on every path, optionally (built with -DWITH_MYSQL, linked with
 * -lmariadb) holding one open MySQL connection made from a my.cnf file as
 * mysql-exporter does.  The benches start it beside the exporters, send it
 * the same number of requests and report its RSS: no exporter built on
 * these libraries can be smaller.
 *
 * usage: rss-floor PORT [MY.CNF]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#ifdef WITH_MYSQL
#include <mysql.h>
#endif

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_len, void **state)
{
	static const char body[] = "ok\n";
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void)cls, (void)url, (void)method, (void)version, (void)data, (void)data_len, (void)state;
	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	sigset_t set;
	int sig, port;

	if (argc < 2 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: %s PORT [MY.CNF]\n", argv[0]);
		return 2;
	}
#ifdef WITH_MYSQL
	MYSQL *m = mysql_init(NULL);

	if (argc < 3 || !m) {
		fprintf(stderr, "%s: a my.cnf file is needed\n", argv[0]);
		return 2;
	}
	mysql_options(m, MYSQL_READ_DEFAULT_FILE, argv[2]);
	mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
	if (!mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, 0)) {
		fprintf(stderr, "%s: connect: %s\n", argv[0], mysql_error(m));
		return 1;
	}
#endif
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port,
			     NULL, NULL, answer, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: cannot listen on port %d\n", argv[0], port);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
#ifdef WITH_MYSQL
	mysql_close(m);
#endif
	return 0;
}
