/*
 * mysql-exporter-floor: the floor for bench/mysql-exporter-bench.sh — the
 * very SQL batch mysql-exporter sends for a set of collectors (built by the
 * exporter's own collector table), run N times in ONE connection with the
 * results stored and every row fetched, and nothing else (no parsing, no
 * exposition, no HTTP).
 *
 *   mysql-exporter-floor MY_CNF N COLLECTOR...
 * prints: "statements S p50_ms P p99_ms Q cpu_s_per_1000 C"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <mysql.h>

#include "scrape.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s MY_CNF N COLLECTOR...\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[2]);
	if (n <= 0)
		return 2;
	MYSQL *m = mysql_init(NULL);
	mysql_optionsv(m, MYSQL_READ_DEFAULT_FILE, argv[1]);
	mysql_optionsv(m, MYSQL_READ_DEFAULT_GROUP, "client");
	if (!mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 1;
	}
	struct server_info si = { strstr(mysql_get_server_info(m), "MariaDB") ? SERVER_MARIADB : SERVER_MYSQL,
				  mysql_get_server_version(m) };
	struct scrape_opts o = { .statements_limit = 250, .statements_timelimit = 86400, .digest_text_limit = 120,
				 .memory_remove_prefix = "memory/", .processes_by_user = true,
				 .processes_by_host = true };
	struct buf sql;
	buf_init(&sql, 0);
	int stmts = 0;
	for (int a = 3; a < argc; a++) {
		for (size_t i = 0; i < collectors_count; i++) {
			if (strcmp(collectors[i]->name, argv[a]))
				continue;
			if (stmts++)
				buf_puts(&sql, ";\n");
			collectors[i]->query(&o, &si, 0, &sql);
		}
	}
	double *lat = calloc((size_t)n, sizeof(double));
	double c0 = cpu_s();
	for (int k = 0; k < n; k++) {
		double t0 = now_s();
		if (mysql_real_query(m, sql.data, (unsigned long)sql.len)) {
			fprintf(stderr, "query: %s\n", mysql_error(m));
			return 1;
		}
		int r;
		do {
			MYSQL_RES *res = mysql_store_result(m);
			if (res) {
				while (mysql_fetch_row(res))
					;
				mysql_free_result(res);
			} else if (mysql_errno(m)) {
				fprintf(stderr, "result: %s\n", mysql_error(m));
				return 1;
			}
		} while ((r = mysql_next_result(m)) == 0);
		if (r > 0) {
			fprintf(stderr, "next: %s\n", mysql_error(m));
			return 1;
		}
		lat[k] = now_s() - t0;
	}
	double c1 = cpu_s();
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	printf("statements %d p50_ms %.3f p99_ms %.3f cpu_s_per_1000 %.4f\n", stmts, lat[n / 2] * 1e3,
	       lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * 1e3, (c1 - c0) * 1000 / n);
	free(lat);
	buf_done(&sql);
	mysql_close(m);
	return 0;
}
