/*
 * orderd-floor: the client side of a GET and nothing else -- THREADS threads,
 * each with one connection made like orderd's reader (the my.cnf's [client]
 * group, read/write timeouts, utf8mb4), running orderd's order query as a
 * prepared statement with a random id and fetching every row into bound
 * buffers, for SECONDS seconds.  No HTTP, no JSON, no hand-off: what any
 * process pays in CPU to get one order from MariaDB with libmariadb over
 * the same socket.  bench/orderd-cpu.sh runs it beside orderd and prints
 * its CPU per query against mariadbd's: the lowest ratio orderd could
 * reach with this client library and this protocol.
 *
 * usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS; prints "queries N".
 */
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char sql[] =
	"SELECT o.order_id, o.customer_id, c.customer_id, c.name, c.email, o.status, "
	"o.total_amount, o.created_at, i.item_id, i.product_id, i.quantity, i.unit_price "
	"FROM orders o LEFT JOIN customer c ON c.customer_id = o.customer_id "
	"LEFT JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ?";

static const char *my_cnf;
static long max_order;
static double seconds;
static atomic_long queries;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u, t = 2;
	MYSQL *my = mysql_init(NULL);
	MYSQL_STMT *st;
	MYSQL_BIND p, res[12];
	long long ll[12], id;
	char str[12][256];
	unsigned long len[12];
	my_bool nul[12], err[12];
	long n = 0;
	double end;

	mysql_thread_init();
	mysql_options(my, MYSQL_READ_DEFAULT_FILE, my_cnf);
	mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(my, NULL, NULL, NULL, NULL, 0, NULL, 0) ||
	    mysql_select_db(my, "orders_db") || !(st = mysql_stmt_init(my)) ||
	    mysql_stmt_prepare(st, sql, sizeof(sql) - 1)) {
		fprintf(stderr, "orderd-floor: %s\n", mysql_error(my));
		exit(1);
	}
	memset(&p, 0, sizeof(p));
	p.buffer_type = MYSQL_TYPE_LONGLONG;
	p.buffer = &id;
	memset(res, 0, sizeof(res));
	for (int i = 0; i < 12; i++) {
		/* the integer columns as integers, the rest as text, like orderd */
		int is_ll = i == 0 || i == 1 || i == 2 || i == 8 || i == 9 || i == 10;

		res[i].buffer_type = is_ll ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_STRING;
		res[i].buffer = is_ll ? (void *)&ll[i] : (void *)str[i];
		res[i].buffer_length = is_ll ? 0 : sizeof(str[i]);
		res[i].length = &len[i];
		res[i].is_null = &nul[i];
		res[i].error = &err[i];
	}
	mysql_stmt_bind_param(st, &p);
	mysql_stmt_bind_result(st, res);
	end = now() + seconds;
	while (now() < end) {
		int r;

		id = 1 + rand_r(&seed) % max_order;
		if (mysql_stmt_execute(st)) {
			fprintf(stderr, "orderd-floor: %s\n", mysql_stmt_error(st));
			exit(1);
		}
		while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED)
			;
		n++;
	}
	atomic_fetch_add(&queries, n);
	mysql_stmt_close(st);
	mysql_close(my);
	mysql_thread_end();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[256];
	long threads;

	if (argc != 5) {
		fprintf(stderr, "usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS\n");
		return 2;
	}
	my_cnf = argv[1];
	max_order = atol(argv[2]);
	threads = atol(argv[3]);
	seconds = atof(argv[4]);
	if (max_order < 1 || threads < 1 || threads > 256 || seconds <= 0) {
		fprintf(stderr, "orderd-floor: bad arguments\n");
		return 2;
	}
	mysql_library_init(0, NULL, NULL);
	for (long i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, run, (void *)(uintptr_t)(i + 1));
	for (long i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	mysql_library_end();
	printf("queries %ld\n", atomic_load(&queries));
	return 0;
}
