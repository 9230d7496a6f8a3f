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
 *           mysql_read_query_result finds the reply there -- 3 system calls;
 *   async   binary, but THREADS connections served by ONE thread with the
 *           non-blocking API (MYSQL_OPT_NONBLOCK: mysql_stmt_execute_start
 *           / _cont, mysql_stmt_fetch_start / _cont) multiplexed in one
 *           epoll loop, every connection with a query in flight: the
 *           thread sleeps only when no reply is there, not once per query
 *           (what a GET path without a blocking wait could reach);
 *   post    orderd's POST transaction instead of a GET, on a connection set
 *           up like orderd's writer (autocommit=0, READ COMMITTED,
 *           time_zone '+00:00'), prepared statements as orderd sends them:
 *           the customer's SELECT, the order's INSERT, one multi-row
 *           INSERT of its 1-3 items, COMMIT -- 4 round trips, one commit
 *           waiting for the server's redo log flush (its durability
 *           settings, whatever they are).  MAX_ORDER is then the highest
 *           customer id (customers exist, as in the bench's POSTs).  The
 *           POST floor: what any client of this server reaches doing the
 *           same transaction at the same concurrency, without HTTP;
 *   call    the same rows in 2 round trips: one prepared CALL order_create
 *           (bench/order_create.sql, which the bench loads: not in the
 *           schema) with the items as a JSON array, its result set (order
 *           id, name, email, item ids) read, then COMMIT;
 *   multi   the same rows in 2 round trips: one text query of four
 *           statements (INSERT IGNORE of the customer, its SELECT, the
 *           order's INSERT, the items' INSERT with LAST_INSERT_ID()), every
 *           value formatted in (numbers only: the name and email are
 *           constants), then COMMIT.  call and multi measure the "fewer
 *           round trips" cut of issue 15 (bench/order_create.sql: not taken).
 *
 * usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS [MODE];
 * prints "queries N" (mode post: "transactions N"), then
 * "p50_us N p99_us N": the latency of one GET or one transaction, each
 * timed from its first send to its last reply, then "csw N": the process's
 * context switches (getrusage: voluntary + involuntary), to set beside
 * orderd's per GET.
 */
#include <errno.h>
#include <fcntl.h>
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char sql[] =
	"SELECT o.order_id, o.customer_id, c.customer_id, c.name, c.email, o.status, "
	"o.total_amount, o.created_at, i.item_id, i.product_id, i.quantity, i.unit_price "
	"FROM orders o LEFT JOIN customer c ON c.customer_id = o.customer_id "
	"LEFT JOIN order_items i ON i.order_id = o.order_id WHERE o.order_id = ?";

enum mode { M_BINARY, M_TEXT, M_WAIT, M_POST, M_ASYNC, M_CALL, M_MULTI };

static const char *my_cnf;
static enum mode mode;
static long max_order;
static double seconds;
static atomic_long queries;

/*
 * Latencies in microseconds, counted per thread in buckets of 10 us up to
 * LAT_FINE us, then of 1 ms up to LAT_MAX us (the last one: beyond).
 */
#define LAT_FINE 20000
#define LAT_MAX 5000000
#define LAT_NB (LAT_FINE / 10 + (LAT_MAX - LAT_FINE) / 1000 + 1)
static atomic_long lat_total[LAT_NB];

static int lat_bucket(double us)
{
	if (us < LAT_FINE)
		return (int)(us / 10);
	if (us < LAT_MAX)
		return LAT_FINE / 10 + (int)((us - LAT_FINE) / 1000);
	return LAT_NB - 1;
}

/* The upper bound of bucket b, in microseconds. */
static long lat_upper(int b)
{
	if (b < LAT_FINE / 10)
		return (b + 1) * 10L;
	return LAT_FINE + (b - LAT_FINE / 10 + 1) * 1000L;
}

static long lat_quantile(double q, long n)
{
	long want = (long)(q * (double)n + 0.999999), seen = 0;

	for (int b = 0; b < LAT_NB; b++) {
		seen += atomic_load(&lat_total[b]);
		if (seen >= want && seen > 0)
			return lat_upper(b);
	}
	return 0;
}

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

#define POST_ITEMS 3
static const char post_customer_sql[] = "SELECT name, email FROM customer WHERE customer_id = ?";
static const char post_order_sql[] =
	"INSERT INTO orders (customer_id, total_amount, status, idempotency_key, request_hash, "
	"created_at) VALUES (?, ?, 'pending', ?, ?, ?)";

struct post {
	MYSQL *my;
	MYSQL_STMT *cust, *order, *items[POST_ITEMS + 1], *commit, *call;
	long long cust_id, it_order, it_prod[POST_ITEMS], it_qty[POST_ITEMS];
	char total[24], it_price[POST_ITEMS][24], name[256], email[256];
	unsigned long total_len, it_price_len[POST_ITEMS], name_len, email_len;
	MYSQL_TIME created;
	MYSQL_BIND cust_p, cust_r[2], order_p[5], items_p[4 * POST_ITEMS];
	/* mode call */
	char json[POST_ITEMS * 48 + 3];
	unsigned long json_len;
	long long r_order, r_item;
	MYSQL_BIND call_p[8], call_r[4];
};

static MYSQL_STMT *prepare(MYSQL *my, const char *q)
{
	MYSQL_STMT *st = mysql_stmt_init(my);

	if (!st || mysql_stmt_prepare(st, q, strlen(q)))
		die(my);
	return st;
}

static void stmt_run(MYSQL_STMT *st)
{
	if (mysql_stmt_execute(st)) {
		fprintf(stderr, "orderd-floor: %s\n", mysql_stmt_error(st));
		exit(1);
	}
}

static void post_prepare(struct post *p)
{
	char q[256];

	p->cust = prepare(p->my, post_customer_sql);
	p->order = prepare(p->my, post_order_sql);
	p->commit = prepare(p->my, "COMMIT");
	for (int n = 1; n <= POST_ITEMS; n++) {
		int len = snprintf(q, sizeof(q), "INSERT INTO order_items (order_id, product_id, "
				   "quantity, unit_price) VALUES (?,?,?,?)");

		for (int i = 1; i < n; i++)
			len += snprintf(q + len, sizeof(q) - (size_t)len, ",(?,?,?,?)");
		p->items[n] = prepare(p->my, q);
	}
	memset(&p->cust_p, 0, sizeof(p->cust_p));
	p->cust_p.buffer_type = MYSQL_TYPE_LONGLONG;
	p->cust_p.buffer = &p->cust_id;
	memset(p->cust_r, 0, sizeof(p->cust_r));
	p->cust_r[0].buffer_type = p->cust_r[1].buffer_type = MYSQL_TYPE_STRING;
	p->cust_r[0].buffer = p->name;
	p->cust_r[0].buffer_length = sizeof(p->name);
	p->cust_r[0].length = &p->name_len;
	p->cust_r[1].buffer = p->email;
	p->cust_r[1].buffer_length = sizeof(p->email);
	p->cust_r[1].length = &p->email_len;
	mysql_stmt_bind_param(p->cust, &p->cust_p);
	mysql_stmt_bind_result(p->cust, p->cust_r);
	memset(p->order_p, 0, sizeof(p->order_p));
	p->order_p[0].buffer_type = MYSQL_TYPE_LONGLONG;
	p->order_p[0].buffer = &p->cust_id;
	p->order_p[1].buffer_type = MYSQL_TYPE_STRING;
	p->order_p[1].buffer = p->total;
	p->order_p[1].length = &p->total_len;
	/* no Idempotency-Key: both NULL, as orderd sends them then */
	p->order_p[2].buffer_type = MYSQL_TYPE_NULL;
	p->order_p[3].buffer_type = MYSQL_TYPE_NULL;
	p->order_p[4].buffer_type = MYSQL_TYPE_DATETIME;
	p->order_p[4].buffer = &p->created;
	mysql_stmt_bind_param(p->order, p->order_p);
	memset(p->items_p, 0, sizeof(p->items_p));
	for (int i = 0; i < POST_ITEMS; i++) {
		MYSQL_BIND *b = &p->items_p[4 * i];

		b[0].buffer_type = MYSQL_TYPE_LONGLONG;
		b[0].buffer = &p->it_order;
		b[1].buffer_type = MYSQL_TYPE_LONGLONG;
		b[1].buffer = &p->it_prod[i];
		b[2].buffer_type = MYSQL_TYPE_LONGLONG;
		b[2].buffer = &p->it_qty[i];
		b[3].buffer_type = MYSQL_TYPE_STRING;
		b[3].buffer = p->it_price[i];
		b[3].length = &p->it_price_len[i];
	}
	for (int n = 1; n <= POST_ITEMS; n++)
		mysql_stmt_bind_param(p->items[n], p->items_p);
	if (mode != M_CALL)
		return;
	/* CALL order_create(customer, name, email, total, key, hash, created, items) */
	static char fname[] = "floor", femail[] = "floor@example.com";
	static unsigned long fname_len = sizeof(fname) - 1, femail_len = sizeof(femail) - 1;

	p->call = prepare(p->my, "CALL order_create(?, ?, ?, ?, ?, ?, ?, ?)");
	memset(p->call_p, 0, sizeof(p->call_p));
	p->call_p[0] = p->order_p[0];
	p->call_p[1].buffer_type = MYSQL_TYPE_STRING;
	p->call_p[1].buffer = fname;
	p->call_p[1].length = &fname_len;
	p->call_p[2].buffer_type = MYSQL_TYPE_STRING;
	p->call_p[2].buffer = femail;
	p->call_p[2].length = &femail_len;
	p->call_p[3] = p->order_p[1];
	p->call_p[4].buffer_type = MYSQL_TYPE_NULL;
	p->call_p[5].buffer_type = MYSQL_TYPE_NULL;
	p->call_p[6] = p->order_p[4];
	p->call_p[7].buffer_type = MYSQL_TYPE_STRING;
	p->call_p[7].buffer = p->json;
	p->call_p[7].length = &p->json_len;
	mysql_stmt_bind_param(p->call, p->call_p);
	memset(p->call_r, 0, sizeof(p->call_r));
	p->call_r[0].buffer_type = MYSQL_TYPE_LONGLONG;
	p->call_r[0].buffer = &p->r_order;
	p->call_r[1] = p->cust_r[0];
	p->call_r[2] = p->cust_r[1];
	p->call_r[3].buffer_type = MYSQL_TYPE_LONGLONG;
	p->call_r[3].buffer = &p->r_item;
}

/* Mode multi: one text query of four statements, then COMMIT. */
static void multi_tx(struct post *p, int n)
{
	char q[2048];
	int len, rows = 0;
	MYSQL_RES *res;

	len = snprintf(q, sizeof(q),
		       "INSERT IGNORE INTO customer (customer_id, name, email) VALUES (%lld, 'floor', 'floor@example.com');"
		       "SELECT name, email FROM customer WHERE customer_id = %lld;"
		       "INSERT INTO orders (customer_id, total_amount, status, idempotency_key, request_hash, created_at) "
		       "VALUES (%lld, %s, 'pending', NULL, NULL, '%04u-%02u-%02u %02u:%02u:%02u');"
		       "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ",
		       p->cust_id, p->cust_id, p->cust_id, p->total, p->created.year, p->created.month,
		       p->created.day, p->created.hour, p->created.minute, p->created.second);
	for (int i = 0; i < n; i++)
		len += snprintf(q + len, sizeof(q) - (size_t)len, "%s(LAST_INSERT_ID(), %lld, %lld, %s)",
				i ? "," : "", p->it_prod[i], p->it_qty[i], p->it_price[i]);
	if (mysql_real_query(p->my, q, (unsigned long)len))
		die(p->my);
	do {
		if ((res = mysql_store_result(p->my))) {
			while (mysql_fetch_row(res))
				rows++;
			mysql_free_result(res);
		} else if (mysql_errno(p->my)) {
			die(p->my);
		}
	} while (mysql_next_result(p->my) == 0);
	if (mysql_errno(p->my) || rows != 1)
		die(p->my);
	stmt_run(p->commit);
}

/* Mode call: the CALL, its result set and its final status, then COMMIT. */
static void call_tx(struct post *p, int n)
{
	int r, rows = 0;

	p->json_len = 1;
	p->json[0] = '[';
	for (int i = 0; i < n; i++)
		p->json_len += (unsigned long)snprintf(p->json + p->json_len, sizeof(p->json) - p->json_len,
						       "%s[%lld,%lld,\"%s\"]", i ? "," : "", p->it_prod[i],
						       p->it_qty[i], p->it_price[i]);
	p->json[p->json_len++] = ']';
	p->json[p->json_len] = '\0';
	stmt_run(p->call);
	if (mysql_stmt_field_count(p->call) != 4 || mysql_stmt_bind_result(p->call, p->call_r)) {
		fprintf(stderr, "orderd-floor: CALL order_create: unexpected result\n");
		exit(1);
	}
	while ((r = mysql_stmt_fetch(p->call)) == 0 || r == MYSQL_DATA_TRUNCATED)
		rows++;
	while (mysql_stmt_more_results(p->call) && (r = mysql_stmt_next_result(p->call)) == 0)
		mysql_stmt_free_result(p->call);
	if (rows != n || p->r_order <= 0) {
		fprintf(stderr, "orderd-floor: CALL order_create: %d rows for %d items (%s)\n", rows, n,
			mysql_stmt_error(p->call));
		exit(1);
	}
	stmt_run(p->commit);
}

/* created_at: now, UTC, as orderd sends it */
static void post_created(struct post *p)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	memset(&p->created, 0, sizeof(p->created));
	p->created.year = (unsigned)tm.tm_year + 1900;
	p->created.month = (unsigned)tm.tm_mon + 1;
	p->created.day = (unsigned)tm.tm_mday;
	p->created.hour = (unsigned)tm.tm_hour;
	p->created.minute = (unsigned)tm.tm_min;
	p->created.second = (unsigned)tm.tm_sec;
	p->created.time_type = MYSQL_TIMESTAMP_DATETIME;
}

static void call_tx(struct post *p, int n);
static void multi_tx(struct post *p, int n);

/*
 * One POST's transaction, its input drawn like the bench's wrk script:
 * a random existing customer, 1-3 items of product 100-999, quantity 1-5,
 * unit price 0.00-99.99.
 */
static void post_tx(struct post *p, unsigned *seed)
{
	int n = 1 + rand_r(seed) % POST_ITEMS, r;
	long cents = 0;
	MYSQL_STMT *st;

	p->cust_id = 1 + rand_r(seed) % max_order;
	for (int i = 0; i < n; i++) {
		long c = rand_r(seed) % 10000;

		p->it_prod[i] = 100 + rand_r(seed) % 900;
		p->it_qty[i] = 1 + rand_r(seed) % 5;
		p->it_price_len[i] = (unsigned long)snprintf(p->it_price[i], sizeof(p->it_price[i]),
							     "%ld.%02ld", c / 100, c % 100);
		cents += c * p->it_qty[i];
	}
	p->total_len = (unsigned long)snprintf(p->total, sizeof(p->total), "%ld.%02ld",
					       cents / 100, cents % 100);
	if (mode == M_CALL || mode == M_MULTI) {
		post_created(p);
		if (mode == M_CALL)
			call_tx(p, n);
		else
			multi_tx(p, n);
		return;
	}
	stmt_run(p->cust);
	while ((r = mysql_stmt_fetch(p->cust)) == 0 || r == MYSQL_DATA_TRUNCATED)
		;
	post_created(p);
	stmt_run(p->order);
	p->it_order = (long long)mysql_stmt_insert_id(p->order);
	st = p->items[n];
	stmt_run(st);
	if (p->it_order <= 0 || mysql_stmt_affected_rows(st) != (my_ulonglong)n) {
		fprintf(stderr, "orderd-floor: unexpected insert id or row count\n");
		exit(1);
	}
	stmt_run(p->commit);
}

static void *run(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u, t = mode == M_POST || mode == M_CALL || mode == M_MULTI ? 10 : 2;
	MYSQL *my = mysql_init(NULL);
	MYSQL_STMT *st;
	MYSQL_BIND p, res[12];
	long long ll[12], id;
	char str[12][256];
	unsigned long len[12];
	my_bool nul[12], err[12];
	long n = 0, *lat = calloc(LAT_NB, sizeof(long));
	struct post *post = NULL;
	double end;

	if (!lat) {
		perror("orderd-floor");
		exit(1);
	}
	mysql_thread_init();
	mysql_options(my, MYSQL_READ_DEFAULT_FILE, my_cnf);
	mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* GET's reader: orderd's reader has time_zone '+00:00' too */
	mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mode == M_POST || mode == M_CALL || mode == M_MULTI) {
		/* orderd's writer connection */
		mysql_options(my, MYSQL_INIT_COMMAND,
			      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
		mysql_options(my, MYSQL_INIT_COMMAND, "SET autocommit = 0");
	}
	if (!mysql_real_connect(my, NULL, NULL, NULL, NULL, 0, NULL,
				mode == M_MULTI ? CLIENT_MULTI_STATEMENTS : 0) ||
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
	if (mode == M_POST || mode == M_CALL || mode == M_MULTI) {
		if (!(post = calloc(1, sizeof(*post)))) {
			perror("orderd-floor");
			exit(1);
		}
		post->my = my;
		post_prepare(post);
	}
	end = now() + seconds;
	for (double t0 = now(), t1; t0 < end; t0 = t1) {
		int r;

		if (mode == M_POST || mode == M_CALL || mode == M_MULTI) {
			post_tx(post, &seed);
		} else if (id = 1 + rand_r(&seed) % max_order, mode != M_BINARY) {
			text_query(my, mysql_get_socket(my), id);
		} else {
			if (mysql_stmt_execute(st)) {
				fprintf(stderr, "orderd-floor: %s\n", mysql_stmt_error(st));
				exit(1);
			}
			while ((r = mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED)
				;
		}
		t1 = now();
		lat[lat_bucket((t1 - t0) * 1e6)]++;
		n++;
	}
	atomic_fetch_add(&queries, n);
	for (int b = 0; b < LAT_NB; b++)
		if (lat[b])
			atomic_fetch_add(&lat_total[b], lat[b]);
	free(lat);
	if (post) {
		for (int i = 1; i <= POST_ITEMS; i++)
			mysql_stmt_close(post->items[i]);
		mysql_stmt_close(post->cust);
		mysql_stmt_close(post->order);
		mysql_stmt_close(post->commit);
		if (post->call)
			mysql_stmt_close(post->call);
		free(post);
	}
	mysql_stmt_close(st);
	mysql_close(my);
	mysql_thread_end();
	return NULL;
}

/* MODE async: one connection's state in the loop. */
struct aconn {
	MYSQL *my;
	MYSQL_STMT *st;
	MYSQL_BIND p, res[12];
	long long ll[12], id;
	char str[12][256];
	unsigned long len[12];
	my_bool nul[12], err[12];
	int fd, waiting;	/* MYSQL_WAIT_* the library asked for */
	bool fetching;
	double t0;
	unsigned seed;
};

static void aconn_setup(struct aconn *c, unsigned seed)
{
	unsigned t = 2;

	c->my = mysql_init(NULL);
	c->seed = seed;
	mysql_options(c->my, MYSQL_READ_DEFAULT_FILE, my_cnf);
	mysql_options(c->my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(c->my, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(c->my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	mysql_options(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(c->my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	mysql_options(c->my, MYSQL_OPT_NONBLOCK, 0);
	/* the blocking calls still work on a non-blocking connection */
	if (!mysql_real_connect(c->my, NULL, NULL, NULL, NULL, 0, NULL, 0) ||
	    mysql_select_db(c->my, "orders_db") || !(c->st = mysql_stmt_init(c->my)) ||
	    mysql_stmt_prepare(c->st, sql, sizeof(sql) - 1))
		die(c->my);
	memset(&c->p, 0, sizeof(c->p));
	c->p.buffer_type = MYSQL_TYPE_LONGLONG;
	c->p.buffer = &c->id;
	memset(c->res, 0, sizeof(c->res));
	for (int i = 0; i < 12; i++) {
		int is_ll = i == 0 || i == 1 || i == 2 || i == 8 || i == 9 || i == 10;

		c->res[i].buffer_type = is_ll ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_STRING;
		c->res[i].buffer = is_ll ? (void *)&c->ll[i] : (void *)c->str[i];
		c->res[i].buffer_length = is_ll ? 0 : sizeof(c->str[i]);
		c->res[i].length = &c->len[i];
		c->res[i].is_null = &c->nul[i];
		c->res[i].error = &c->err[i];
	}
	mysql_stmt_bind_param(c->st, &c->p);
	mysql_stmt_bind_result(c->st, c->res);
	c->fd = mysql_get_socket(c->my);
}

/*
 * Drive c as far as it goes without blocking, given the events that are
 * ready (0: none yet, a fresh start); starts the next query when one ends
 * and the time is not up.  Returns the MYSQL_WAIT_* it now waits for, or
 * 0 when it is done (time up).
 */
static int aconn_step(struct aconn *c, int ready, double end, long *n, long *lat)
{
	int st = ready;

	for (;;) {
		int ir;

		if (!c->waiting) {
			/* a new query */
			double t = now();

			if (t >= end)
				return 0;
			c->t0 = t;
			c->id = 1 + rand_r(&c->seed) % max_order;
			c->fetching = false;
			st = mysql_stmt_execute_start(&ir, c->st);
		} else if (!c->fetching) {
			st = mysql_stmt_execute_cont(&ir, c->st, st);
		} else {
			st = mysql_stmt_fetch_cont(&ir, c->st, st);
		}
		for (;;) {
			if (st) {
				c->waiting = st;
				return st;
			}
			if (!c->fetching) {
				if (ir) {
					fprintf(stderr, "orderd-floor: %s\n", mysql_stmt_error(c->st));
					exit(1);
				}
				c->fetching = true;
				st = mysql_stmt_fetch_start(&ir, c->st);
				continue;
			}
			if (ir == 0 || ir == MYSQL_DATA_TRUNCATED) {
				st = mysql_stmt_fetch_start(&ir, c->st);
				continue;
			}
			if (ir != MYSQL_NO_DATA) {
				fprintf(stderr, "orderd-floor: %s\n", mysql_stmt_error(c->st));
				exit(1);
			}
			break;
		}
		lat[lat_bucket((now() - c->t0) * 1e6)]++;
		(*n)++;
		c->waiting = 0;
	}
}

static int wait_events(int st)
{
	return (st & MYSQL_WAIT_READ ? EPOLLIN : 0) | (st & MYSQL_WAIT_WRITE ? EPOLLOUT : 0);
}

static void run_async(long nconn)
{
	struct aconn *c = calloc((size_t)nconn, sizeof(*c));
	long *lat = calloc(LAT_NB, sizeof(long)), n = 0, active = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev[256];
	double end;

	if (!c || !lat || ep < 0) {
		perror("orderd-floor");
		exit(1);
	}
	for (long i = 0; i < nconn; i++)
		aconn_setup(&c[i], (unsigned)(i + 1) * 2654435761u);
	end = now() + seconds;
	for (long i = 0; i < nconn; i++) {
		int st = aconn_step(&c[i], 0, end, &n, lat);
		struct epoll_event e = { .events = (uint32_t)wait_events(st), .data.ptr = &c[i] };

		if (st && epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &e) < 0) {
			perror("orderd-floor: epoll_ctl");
			exit(1);
		}
		active += st != 0;
	}
	while (active > 0) {
		int k = epoll_wait(ep, ev, 256, 3000);

		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			fprintf(stderr, "orderd-floor: no reply within the timeout\n");
			exit(1);
		}
		for (int i = 0; i < k; i++) {
			struct aconn *a = ev[i].data.ptr;
			int ready = (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? MYSQL_WAIT_READ : 0) |
				    (ev[i].events & EPOLLOUT ? MYSQL_WAIT_WRITE : 0);
			int was = a->waiting, st = aconn_step(a, ready, end, &n, lat);

			if (!st) {
				epoll_ctl(ep, EPOLL_CTL_DEL, a->fd, NULL);
				active--;
			} else if (wait_events(st) != wait_events(was)) {
				struct epoll_event e = { .events = (uint32_t)wait_events(st), .data.ptr = a };

				epoll_ctl(ep, EPOLL_CTL_MOD, a->fd, &e);
			}
		}
	}
	atomic_fetch_add(&queries, n);
	for (int b = 0; b < LAT_NB; b++)
		if (lat[b])
			atomic_fetch_add(&lat_total[b], lat[b]);
	for (long i = 0; i < nconn; i++) {
		mysql_stmt_close(c[i].st);
		mysql_close(c[i].my);
	}
	close(ep);
	free(lat);
	free(c);
}

int main(int argc, char **argv)
{
	pthread_t tid[256];
	long threads, n;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: orderd-floor MY_CNF MAX_ORDER THREADS SECONDS [binary|text|wait|post|async|call|multi]\n");
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
		else if (!strcmp(argv[5], "post"))
			mode = M_POST;
		else if (!strcmp(argv[5], "async"))
			mode = M_ASYNC;
		else if (!strcmp(argv[5], "call"))
			mode = M_CALL;
		else if (!strcmp(argv[5], "multi"))
			mode = M_MULTI;
		else if (strcmp(argv[5], "binary") != 0) {
			fprintf(stderr, "orderd-floor: MODE is binary, text, wait, post, async, call or multi\n");
			return 2;
		}
	}
	if (max_order < 1 || threads < 1 || threads > 256 || seconds <= 0) {
		fprintf(stderr, "orderd-floor: bad arguments\n");
		return 2;
	}
	mysql_library_init(0, NULL, NULL);
	if (mode == M_ASYNC) {
		run_async(threads);
		threads = 0;
	}
	for (long i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, run, (void *)(uintptr_t)(i + 1));
	for (long i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	mysql_library_end();
	n = atomic_load(&queries);
	printf("%s %ld\n", (mode == M_POST || mode == M_CALL || mode == M_MULTI) ? "transactions" : "queries", n);
	printf("p50_us %ld p99_us %ld\n", lat_quantile(0.50, n), lat_quantile(0.99, n));
	{
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("csw %ld\n", ru.ru_nvcsw + ru.ru_nivcsw);
	}
	return 0;
}
