/*
 * scrape: the collector table and the batched scrape loop (see scrape.h);
 * the helpers the collectors share are in rows.c, below this file.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysqld_error.h>

#include "daemon.h"
#include "log.h"
#include "scrape.h"

const struct collector *const collectors[] = {
	&collector_global_status,
	&collector_global_variables,
	&collector_slave_status,
	&collector_innodb_metrics,
	&collector_processlist,
	&collector_perf_statements,
	&collector_perf_waits,
	&collector_perf_file_events,
	&collector_perf_tableio,
	&collector_perf_indexio,
	&collector_perf_tablelocks,
	&collector_perf_memory,
	&collector_innodb_cmp,
	&collector_innodb_cmpmem,
	&collector_info_tables,
	&collector_auto_increment,
	&collector_engine_innodb,
	&collector_userstats,
	&collector_clientstats,
	&collector_tablestats,
	&collector_schemastats,
	&collector_innodb_tablespaces,
	&collector_perf_statements_sum,
	&collector_perf_file_instances,
	/* needs SELECT on mysql.user, which the exporter's account seldom has */
	&collector_mysql_user,
	/* these two fail on MariaDB (no such engine/table): late in the batch */
	&collector_engine_tokudb,
	&collector_replica_host,
	&collector_heartbeat,
	/* needs REPLICATION MASTER ADMIN (MariaDB); the MySQL-only tables fail on MariaDB */
	&collector_slave_hosts,
	&collector_repl_group_members,
	&collector_repl_group_member_stats,
	&collector_repl_applier_by_worker,
	/* without the plugin its statement fails: late in the batch */
	&collector_query_response_time,
	/* last: without a binary log its statement fails, which ends the batch */
	&collector_binlog_size,
};
const size_t collectors_count = sizeof(collectors) / sizeof(collectors[0]);
#define NCOLL (sizeof(collectors) / sizeof(collectors[0]))
bool collector_enabled[NCOLL];

/* mysqld_exporter's names for the per-collector outcome (common's collect.h). */
static const struct scrape_meta mysql_meta = {
	.prefix = "mysql_exporter_collector",
	.duration_help = "Collector time duration.",
	.success_help = "mysql_exporter: Whether a collector succeeded.",
	.label_prefix = "collect.",
	.log_msg = "Error from scraper",
	.log_key = "scraper",
};

/* ---- the exporter ---- */

enum cstate { C_OFF, C_PENDING, C_OK, C_FAIL };

struct exporter {
	pthread_mutex_t lock;
	struct exporter_config cfg;
	struct conn *conn;
	uint64_t conn_seen;		/* conn_connects() when variants were reset */
	unsigned variant[NCOLL];
	bool unsupported[NCOLL];	/* no such table/column on this connection */
	bool nodata[NCOLL];		/* its nodata_sqlerr came on this connection */
	uint64_t scrapes;
	uint64_t errors[NCOLL + 1];	/* [NCOLL] = the connection */
	_Atomic uint64_t last_err[NCOLL];	/* log once per distinct error */
	unsigned last_statements;
	_Atomic bool last_up;		/* read without the lock by a scrape that timed out waiting */
	struct buf sql;
	const char **cells;
	size_t cells_cap;
	const char **names;
	size_t names_cap;
};

struct exporter *exporter_new(const struct exporter_config *cfg)
{
	struct exporter *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	pthread_mutex_init(&e->lock, NULL);
	buf_init(&e->sql, 1 << 20);
	e->conn = conn_new(&cfg->conn);
	if (!e->conn) {
		exporter_free(e);
		return NULL;
	}
	return e;
}

void exporter_free(struct exporter *e)
{
	if (!e)
		return;
	conn_free(e->conn);
	buf_done(&e->sql);
	free(e->cells);
	free(e->names);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

uint64_t exporter_deadline(const struct exporter *e, const char *hdr, uint64_t now)
{
	double t = e->cfg.default_timeout;
	if (hdr && *hdr) {
		char *end;
		double h = strtod(hdr, &end);
		if (end != hdr && !*end && h > 0 && isfinite(h)) {
			/* as mysqld_exporter: subtract the offset unless it leaves nothing */
			t = h > e->cfg.timeout_offset ? h - e->cfg.timeout_offset : h;
		}
	}
	if (t <= 0 || !isfinite(t))
		t = 10;
	if (t > 3600)
		t = 3600;
	return now + (uint64_t)(t * 1e9);
}

unsigned exporter_last_statements(struct exporter *e)
{
	pthread_mutex_lock(&e->lock);
	unsigned n = e->last_statements;
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* Materialise a stored result into the reusable cell arrays. */
static int to_sqlres(struct exporter *e, MYSQL_RES *res, struct sqlres *out)
{
	unsigned ncols = mysql_num_fields(res);
	size_t nrows = (size_t)mysql_num_rows(res);
	size_t need = nrows * ncols;
	if (need > e->cells_cap) {
		const char **p = realloc(e->cells, need * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->cells = p;
		e->cells_cap = need;
	}
	if (ncols > e->names_cap) {
		const char **p = realloc(e->names, ncols * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->names = p;
		e->names_cap = ncols;
	}
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	for (unsigned c = 0; c < ncols; c++)
		e->names[c] = f[c].name;
	MYSQL_ROW row;
	size_t i = 0;
	while (i < nrows && (row = mysql_fetch_row(res))) {
		for (unsigned c = 0; c < ncols; c++)
			e->cells[i * ncols + c] = row[c];
		i++;
	}
	*out = (struct sqlres){ .ncols = ncols, .nrows = i, .names = e->names, .cells = e->cells };
	return 0;
}

static bool selected(const struct exporter *e, size_t i, const struct scrape_req *req)
{
	return e->cfg.enabled && e->cfg.enabled[i] && scrape_req_selects(req, collectors[i]->name);
}

static void collector_failed(struct exporter *e, size_t i, const char *why)
{
	collect_log_outcome(&mysql_meta, &e->last_err[i], collectors[i]->name, -EIO, why);
	e->errors[i]++;
}

/*
 * An SQL error on collector i's statement.  Missing table/column: remember
 * for this connection (or try the next variant).  Returns true when the
 * collector should be retried in the next round.
 */
static bool sql_error(struct exporter *e, size_t i)
{
	unsigned code = conn_errno(e->conn);
	const struct collector *c = collectors[i];
	if ((code == ER_BAD_FIELD_ERROR || c->fallback_any_error) &&
	    e->variant[i] + 1 < (c->variants ? c->variants : 1)) {
		log_debug("trying the collector's next SQL variant", "scraper", c->name, "err",
			  conn_error(e->conn), NULL);
		e->variant[i]++;
		return true;
	}
	if (code == ER_NO_SUCH_TABLE || code == ER_BAD_FIELD_ERROR || code == ER_UNKNOWN_TABLE ||
	    code == ER_PARSE_ERROR)
		e->unsupported[i] = true;
	collector_failed(e, i, conn_error(e->conn));
	return false;
}

static int write_meta(struct exporter *e, struct metrics_writer *w, bool up, const enum cstate *st,
		      const double *dur, double conn_dur, double total)
{
	static const char *const cl[] = { "collector", NULL };
	char label[96];
	bool any_fail = !up;
	int r = 0;

	writer_family(w, "mysql_up", METRIC_GAUGE, "Whether the MySQL server is up.", NULL);
	writer_sample(w, NULL, up ? 1 : 0);

	{
		struct scrape_outcome o[NCOLL + 1];
		size_t n = 0;

		o[n++] = (struct scrape_outcome){ .name = "connection", .seconds = conn_dur,
						  .duration_only = true, .raw_label = true };
		for (size_t i = 0; i < NCOLL; i++) {
			if (st[i] == C_OFF)
				continue;
			o[n++] = (struct scrape_outcome){ .name = collectors[i]->name,
							  .seconds = dur[i], .ok = st[i] == C_OK };
			if (st[i] != C_OK)
				any_fail = true;
			else
				collect_log_outcome(&mysql_meta, &e->last_err[i], collectors[i]->name,
						    0, NULL);
		}
		collect_write_outcomes(w, &mysql_meta, o, n);
	}
	bool any_errors = false;
	for (size_t i = 0; i < NCOLL; i++)
		any_errors |= e->errors[i] > 0;
	if (any_errors) {
		writer_family(w, "mysql_exporter_scrape_errors_total", METRIC_COUNTER,
			      "Total number of times an error occurred scraping a MySQL.", cl);
		for (size_t i = 0; i < NCOLL; i++) {
			if (!e->errors[i])
				continue;
			snprintf(label, sizeof(label), "collect.%s", collectors[i]->name);
			writer_sample_u64(w, (const char *const[]){ label, NULL }, e->errors[i]);
		}
	}
	writer_family(w, "mysql_exporter_last_scrape_error", METRIC_GAUGE,
		      "Whether the last scrape of metrics from MySQL resulted in an error (1 for error, 0 for success).",
		      NULL);
	writer_sample(w, NULL, any_fail ? 1 : 0);
	writer_family(w, "mysql_exporter_scrapes_total", METRIC_COUNTER,
		      "Total number of times MySQL was scraped for metrics.", NULL);
	writer_sample_u64(w, NULL, e->scrapes);
	writer_family(w, "mysql_exporter_last_scrape_duration_seconds", METRIC_GAUGE,
		      "Duration of the last scrape of MySQL in seconds.", NULL);
	r = writer_sample(w, NULL, total);
	return r < 0 ? r : 0;
}

/* Lock the exporter, giving up at the deadline (another scrape holds the connection). */
static int lock_until(struct exporter *e, uint64_t deadline_ns)
{
	uint64_t now = daemon_now_ns();
	if (deadline_ns <= now)
		return pthread_mutex_trylock(&e->lock) ? -ETIMEDOUT : 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t left = deadline_ns - now;
	ts.tv_sec += (time_t)(left / 1000000000u);
	ts.tv_nsec += (long)(left % 1000000000u);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_mutex_timedlock(&e->lock, &ts) ? -ETIMEDOUT : 0;
}

int exporter_scrape(struct exporter *e, const struct scrape_req *req, struct metrics_writer *w)
{
	uint64_t deadline_ns = req->deadline_ns;
	enum cstate st[NCOLL];
	double dur[NCOLL] = { 0 };
	uint64_t t0 = daemon_now_ns();

	if (lock_until(e, deadline_ns) < 0) {
		/* another scrape held the connection until our deadline */
		writer_family(w, "mysql_up", METRIC_GAUGE, "Whether the MySQL server is up.", NULL);
		writer_sample(w, NULL, atomic_load_explicit(&e->last_up, memory_order_relaxed) ? 1 : 0);
		writer_family(w, "mysql_exporter_last_scrape_error", METRIC_GAUGE,
			      "Whether the last scrape of metrics from MySQL resulted in an error (1 for error, 0 for success).",
			      NULL);
		return writer_sample(w, NULL, 1) < 0 ? -EIO : 0;
	}
	e->scrapes++;
	for (size_t i = 0; i < NCOLL; i++)
		st[i] = selected(e, i, req) ? C_PENDING : C_OFF;

	bool up = false, reconnected = false;
	int r = conn_open(e->conn, deadline_ns);
	double conn_dur = (double)(daemon_now_ns() - t0) / 1e9;
	unsigned statements = 0;
	if (r < 0) {
		/* placeholders: said once at start and at each SIGHUP (main.c) */
		log_kv(r == -ENOKEY ? LOGL_DEBUG : LOGL_ERROR, "Error connecting to mysqld", "err",
		       conn_error(e->conn), NULL);
		goto done;
	}
	up = true;

	for (unsigned round = 0; round < 2 * NCOLL + 2; round++) {
		if (conn_connects(e->conn) != e->conn_seen) {
			/* a new connection (maybe a new server version): forget what failed */
			e->conn_seen = conn_connects(e->conn);
			memset(e->variant, 0, sizeof(e->variant));
			memset(e->unsupported, 0, sizeof(e->unsupported));
			memset(e->nodata, 0, sizeof(e->nodata));
		}
		struct server_info si = { conn_flavor(e->conn), conn_server_version(e->conn) };
		size_t order[NCOLL], n = 0;
		buf_reset(&e->sql);
		for (size_t i = 0; i < NCOLL; i++) {
			if (st[i] != C_PENDING)
				continue;
			if (e->nodata[i]) {
				st[i] = C_OK;
				continue;
			}
			if (e->unsupported[i]) {
				/* a failure on every scrape, counted as 0.14 counts it */
				st[i] = C_FAIL;
				e->errors[i]++;
				log_debug("collector not supported by this server", "scraper",
					  collectors[i]->name, NULL);
				continue;
			}
			size_t mark = e->sql.len;
			if (n)
				buf_puts(&e->sql, ";\n");
			if (collectors[i]->query(&e->cfg.opts, &si, e->variant[i], &e->sql) < 0) {
				e->sql.len = mark;
				e->sql.data[mark] = '\0';
				st[i] = C_FAIL;
				continue;
			}
			order[n++] = i;
		}
		if (!n)
			break;
		if (buf_failed(&e->sql)) {
			for (size_t k = 0; k < n; k++)
				st[order[k]] = C_FAIL;
			break;
		}
		uint64_t tprev = daemon_now_ns();
		statements += (unsigned)n;
		r = conn_query(e->conn, e->sql.data, e->sql.len, deadline_ns);
		size_t k = 0;
		int err = r;
		if (r == 0) {
			for (k = 0; k < n; k++) {
				MYSQL_RES *res = conn_result(e->conn, &err);
				if (!res) {
					if (err == 0)
						err = -EPROTO;	/* fewer results than statements */
					break;
				}
				size_t i = order[k];
				struct sqlres sr;
				int pr = to_sqlres(e, res, &sr);
				if (pr == 0)
					pr = collectors[i]->parse(&e->cfg.opts, &sr, w);
				mysql_free_result(res);
				uint64_t t = daemon_now_ns();
				dur[i] += (double)(t - tprev) / 1e9;
				tprev = t;
				if (pr < 0) {
					collector_failed(e, i, strerror(-pr));
					st[i] = C_FAIL;
				} else {
					st[i] = C_OK;
				}
			}
		}
		conn_query_done(e->conn);
		if (k == n)
			break;	/* the whole batch answered */
		/* statement order[k] failed; the server ran none after it */
		if (err == -EIO && collectors[order[k]]->nodata_sqlerr &&
		    conn_errno(e->conn) == collectors[order[k]]->nodata_sqlerr) {
			log_debug("collector has nothing to report on this server", "scraper",
				  collectors[order[k]]->name, "err", conn_error(e->conn), NULL);
			e->nodata[order[k]] = true;
			st[order[k]] = C_OK;
			continue;
		}
		if (err == -EIO) {
			if (!sql_error(e, order[k]))
				st[order[k]] = C_FAIL;
			continue;
		}
		if (err == -EPIPE && !reconnected && k == 0) {
			/* the server restarted or dropped us since the last scrape: reconnect once */
			reconnected = true;
			log_info("reconnecting to mysqld", "err", conn_error(e->conn), NULL);
			uint64_t tc = daemon_now_ns();
			r = conn_open(e->conn, deadline_ns);
			conn_dur += (double)(daemon_now_ns() - tc) / 1e9;
			if (r == 0)
				continue;
			log_error("Error connecting to mysqld", "err", conn_error(e->conn), NULL);
		} else {
			log_error("Error scraping mysqld", "err", conn_error(e->conn), NULL);
		}
		/* connection lost or deadline passed: the rest fail */
		if (k == 0)
			up = false;
		for (; k < n; k++) {
			st[order[k]] = C_FAIL;
			e->errors[order[k]]++;
		}
		break;
	}
done:
	e->last_statements = statements;
	atomic_store_explicit(&e->last_up, up, memory_order_relaxed);
	if (!up) {
		for (size_t i = 0; i < NCOLL; i++)
			if (st[i] != C_OFF)
				st[i] = C_FAIL;
	}
	r = write_meta(e, w, up, st, dur, conn_dur, (double)(daemon_now_ns() - t0) / 1e9);
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* ---- flags ---- */

static const char *arg_my_cnf, *arg_timeout_offset;
static double arg_offset, arg_connect_timeout, arg_read_timeout, arg_scrape_timeout;
static long arg_lock_wait_timeout;

/* mysqld_exporter's --timeout-offset is seconds ("0.25"); also take "250ms". */
static int check_offset(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	const char *s = *(const char **)f->dst;
	char *end;
	double v = strtod(s, &end);

	if (end != s && !*end && v >= 0 && isfinite(v)) {
		arg_offset = v;
		return 0;
	}
	return flags_parse_duration(s, &arg_offset) < 0 ? -EINVAL : 0;
}

/*
 * The option file must exist and be readable, and name a user under
 * [client] (as mysqld_exporter requires), unless it !includes others.
 * Only the user key is looked at; the password is never read here.
 */
static int check_my_cnf(const struct flag *fl, const struct flagset *fs, char *err, size_t errlen)
{
	const char *path = *(const char **)fl->dst;
	bool in_client = false, user = false, includes = false;
	char line[1024];
	FILE *f;

	/* as mysqld_exporter 0.14: a non-empty DATA_SOURCE_NAME wins, the
	 * option file is not read (main.c parses the DSN) */
	if (getenv("DATA_SOURCE_NAME") && *getenv("DATA_SOURCE_NAME"))
		return 0;
	f = fopen(path, "re");

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "cannot read it: %s", strerror(e));
		return -e;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (*p == '[') {
			in_client = !strncmp(p, "[client]", 8);
			continue;
		}
		if (!strncmp(p, "!include", 8))
			includes = true;
		if (in_client && !strncmp(p, "user", 4)) {
			char *q = p + 4 + strspn(p + 4, " \t");

			if (*q == '=' && q[1 + strspn(q + 1, " \t\r\n")] != '\0')
				user = true;
		}
	}
	fclose(f);
	if (!user && !includes) {
		snprintf(err, errlen, "no user specified under [client]");
		return -EINVAL;
	}
	return 0;
}

static const struct flag exporter_flags[] = {
	{ .name = "config.my-cnf", .type = FLAG_STRING, .dst = &arg_my_cnf,
	  .def = "/etc/mysql-exporter/my.cnf",
	  .help = "Option file with the [client] credentials (user, password, host, port or socket).",
	  .check = check_my_cnf },
	{ .name = "timeout-offset", .type = FLAG_STRING, .dst = &arg_timeout_offset, .def = "0.25",
	  .help = "Seconds subtracted from X-Prometheus-Scrape-Timeout-Seconds.",
	  .check = check_offset, .rule = "seconds >= 0 (0.25) or a duration (250ms)" },
	{ .name = "exporter.scrape_timeout", .type = FLAG_DURATION, .dst = &arg_scrape_timeout,
	  .def = "10s",
	  .help = "Scrape deadline when the request carries no X-Prometheus-Scrape-Timeout-Seconds.",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "exporter.connect_timeout", .type = FLAG_DURATION, .dst = &arg_connect_timeout,
	  .def = "2s",
	  .help = "Timeout for connecting to the server (also bounded by the scrape deadline).",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "exporter.read_timeout", .type = FLAG_DURATION, .dst = &arg_read_timeout,
	  .def = "30s",
	  .help = "Client library read/write timeout (a safety net; the scrape deadline is stricter).",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "exporter.lock_wait_timeout", .type = FLAG_INT, .dst = &arg_lock_wait_timeout,
	  .def = "2",
	  .help = "Set a lock_wait_timeout (in seconds) on the connection to avoid long metadata "
		  "locking.", .min = 1, .max = 31536000 },
	{ .name = "exporter.disk_tmp_tables", .type = FLAG_BOOL, .dst = &collector_opts.disk_tmp,
	  .def = "false",
	  .help = "MariaDB: run SHOW GLOBAL STATUS/VARIABLES with an on-disk (Aria) temporary "
		  "table: a third less server CPU, but each scrape then adds 2 to "
		  "Created_tmp_disk_tables, which alerts watch." },
	{ .name = "exporter.log_slow_filter", .type = FLAG_BOOL,
	  .dst = &collector_opts.log_slow_filter, .def = "false",
	  .help = "Add a log_slow_filter to avoid slow query logging of scrapes (not Oracle MySQL)." },
};

int exporter_add_flags(struct flagset *fs)
{
	int r = flagset_add(fs, exporter_flags, sizeof(exporter_flags) / sizeof(exporter_flags[0]));

	for (size_t i = 0; i < NCOLL && r == 0; i++) {
		struct flag f = {
			.name = flagset_printf(fs, "collect.%s", collectors[i]->name),
			.type = FLAG_BOOL,
			.dst = &collector_enabled[i],
			.def = collectors[i]->default_on ? "true" : "false",
			.help = flagset_printf(fs, "%s.", collectors[i]->help),
		};

		if (!f.name || !f.help)
			return -ENOMEM;
		r = flagset_add(fs, &f, 1);
	}
	for (size_t i = 0; i < NCOLL && r == 0; i++)
		r = flagset_add(fs, collectors[i]->flags, collectors[i]->nflags);
	return r;
}

void exporter_config_from_flags(struct exporter_config *cfg)
{
	*cfg = (struct exporter_config){
		.conn = {
			.my_cnf = arg_my_cnf,
			.connect_timeout = arg_connect_timeout,
			.read_timeout = arg_read_timeout,
			.lock_wait_timeout = arg_lock_wait_timeout,
			.log_slow_filter = collector_opts.log_slow_filter,
		},
		.opts = collector_opts,
		.enabled = collector_enabled,
		.timeout_offset = arg_offset,
		.default_timeout = arg_scrape_timeout,
	};
	for (size_t i = 0; i < NCOLL; i++)
		if (collector_enabled[i])
			log_info("Scraper enabled", "scraper", collectors[i]->name, NULL);
}
