/*
 * mysql-exporter-floor: the floor for bench/mysql-exporter-bench.sh — the
 * very SQL batch mysql-exporter sends for a set of collectors (built by the
 * exporter's own collector table), run N times in ONE connection with the
 * results stored and every row fetched, and nothing else (no parsing, no
 * exposition, no HTTP).
 *
 *   mysql-exporter-floor MY_CNF N COLLECTOR...
 * prints: "statements S p50_ms P p99_ms Q cpu_s_per_1000 C"
 *
 *   mysql-exporter-floor --each SERVER_PID MY_CNF N COLLECTOR...
 * runs each collector's statement alone N times and prints, per collector,
 * the server's CPU per statement: "COLLECTOR ms SQL" (utime+stime of
 * SERVER_PID from /proc, clock ticks; choose N so a run spans many).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

/* utime+stime of a process in clock ticks (proc(5): fields 14 and 15). */
static long proc_ticks(long pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(b, 1, sizeof(b) - 1, f);
	fclose(f);
	b[n] = '\0';
	char *p = strrchr(b, ')');
	long ut = 0, st = 0;
	/* after ")": state is field 3; utime is field 14 */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2)
		return -1;
	return ut + st;
}

static int run_batch(MYSQL *m, const char *sql, size_t len)
{
	if (mysql_real_query(m, sql, (unsigned long)len)) {
		fprintf(stderr, "query: %s\n", mysql_error(m));
		return -1;
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
			return -1;
		}
	} while ((r = mysql_next_result(m)) == 0);
	if (r > 0) {
		fprintf(stderr, "next: %s\n", mysql_error(m));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long each_pid = 0;
	if (argc > 2 && !strcmp(argv[1], "--each")) {
		each_pid = atol(argv[2]);
		argv += 2;
		argc -= 2;
	}
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
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");	/* as the exporter's connection */
	if (!mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "connect: %s\n", mysql_error(m));
		return 1;
	}
	struct server_info si = { strstr(mysql_get_server_info(m), "MariaDB") ? SERVER_MARIADB : SERVER_MYSQL,
				  mysql_get_server_version(m) };
	struct scrape_opts o = { .statements_limit = 250, .statements_timelimit = 86400, .digest_text_limit = 120,
				 .memory_remove_prefix = "memory/", .processes_by_user = true,
				 .processes_by_host = true,
				 /* as the exporter's --exporter.disk_tmp_tables (default off) */
				 .disk_tmp = getenv("FLOOR_DISK_TMP") && !strcmp(getenv("FLOOR_DISK_TMP"), "1") };
	struct buf sql;
	buf_init(&sql, 0);
	if (each_pid > 0) {
		long hz = sysconf(_SC_CLK_TCK);
		for (int a = 3; a < argc; a++) {
			for (size_t i = 0; i < collectors_count; i++) {
				if (strcmp(collectors[i]->name, argv[a]))
					continue;
				buf_reset(&sql);
				collectors[i]->query(&o, &si, 0, &sql);
				for (int k = 0; k < 10; k++)
					if (run_batch(m, sql.data, sql.len) < 0)
						return 1;
				long t0 = proc_ticks(each_pid);
				for (int k = 0; k < n; k++)
					if (run_batch(m, sql.data, sql.len) < 0)
						return 1;
				long t1 = proc_ticks(each_pid);
				printf("%-30s %6.3f  %.90s\n", argv[a], (double)(t1 - t0) * 1000 / (double)hz / n, sql.data);
			}
		}
		buf_done(&sql);
		mysql_close(m);
		return 0;
	}
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
		if (run_batch(m, sql.data, sql.len) < 0)
			return 1;
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
