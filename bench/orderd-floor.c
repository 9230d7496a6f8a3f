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
 * MODE (default binary) picks the client protocol, each a choice any
 * libmariadb client can make:
 *   binary  a prepared statement (COM_STMT_EXECUTE), rows into bound buffers:
 *           libmariadb sends, tries recv (MSG_DONTWAIT: EAGAIN while the
 *           server works), poll()s, then recv()s the reply -- 4 system calls;
 *   text    the same query as text (mysql_real_query, the id formatted in),
 *           rows read with mysql_use_result/mysql_fetch_row: 4 system calls;
 *   wait    text, sent with mysql_send_query; the client waits for the
 *           reply itself with one blocking recv(MSG_PEEK) on the socket
 *           (O_NONBLOCK cleared, SO_RCVTIMEO bounding it), then
 *           mysql_read_query_result finds the reply there -- 3 system calls.
 *
 * usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS [MODE];
 * prints "queries N".
 */
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char sql[] =
	"SELECT o.order_id, o.customer_id, c.customer_id, c.name, c.email, o.status, "
	"o.total_amount, o.created_at, i.item_id, i.product_id, i.quantity, i.unit_price "
	"FROM orders o LEFT JOIN customer c ON c.customer_id = o.customer_id "
	"LEFT JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ?";

enum mode { M_BINARY, M_TEXT, M_WAIT };

static const char *my_cnf;
static enum mode mode;
static long max_order;
static double seconds;
static atomic_long queries;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(MYSQL *my)
{
	fprintf(stderr, "orderd-floor: %s\n", mysql_error(my));
	exit(1);
}

/* One order by the text protocol; MODE wait waits for the reply itself. */
static void text_query(MYSQL *my, int fd, long long id)
{
	char q[sizeof(sql) + 24];
	int n = snprintf(q, sizeof(q), "%.*s%lld", (int)sizeof(sql) - 2, sql, id);
	MYSQL_RES *res;

	if (mode == M_WAIT) {
		char c;
		ssize_t r;

		if (mysql_send_query(my, q, (unsigned long)n))
			die(my);
		while ((r = recv(fd, &c, 1, MSG_PEEK)) < 0 && errno == EINTR)
			;
		if (r < 0) {
			fprintf(stderr, "orderd-floor: no reply within the timeout\n");
			exit(1);
		}
		if (mysql_read_query_result(my))
			die(my);
	} else if (mysql_real_query(my, q, (unsigned long)n)) {
		die(my);
	}
	if (!(res = mysql_use_result(my)))
		die(my);
	while (mysql_fetch_row(res))
		(void)mysql_fetch_lengths(res);
	if (mysql_errno(my))
		die(my);
	mysql_free_result(res);
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
	if (mode == M_WAIT) {
		int fd = mysql_get_socket(my);
		struct timeval tv = { .tv_sec = t };

		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
			perror("orderd-floor: socket");
			exit(1);
		}
	}
	end = now() + seconds;
	while (now() < end) {
		int r;

		id = 1 + rand_r(&seed) % max_order;
		if (mode != M_BINARY) {
			text_query(my, mysql_get_socket(my), id);
			n++;
			continue;
		}
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

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS [binary|text|wait]\n");
		return 2;
	}
	my_cnf = argv[1];
	max_order = atol(argv[2]);
	threads = atol(argv[3]);
	seconds = atof(argv[4]);
	if (argc == 6) {
		if (!strcmp(argv[5], "text"))
			mode = M_TEXT;
		else if (!strcmp(argv[5], "wait"))
			mode = M_WAIT;
		else if (strcmp(argv[5], "binary") != 0) {
			fprintf(stderr, "orderd-floor: MODE is binary, text or wait\n");
			return 2;
		}
	}
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
