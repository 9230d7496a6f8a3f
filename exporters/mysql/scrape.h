/*
 * scrape: mysql-exporter's collector table and the scrape loop.
 *
 * Each collector (one file each, mysqld_exporter 0.14's scrapers) is ONE SQL
 * statement plus a parser that turns its result into metric families.  A
 * scrape sends the statements of every enabled collector as one batch
 * (CLIENT_MULTI_STATEMENTS: one round trip, no extra statements) on the
 * persistent connection, and streams each result into the metrics writer as
 * it arrives.  If a statement fails (missing table, missing privilege) the
 * server runs none after it: that collector reports success 0 and the rest
 * go in a follow-up batch.  A statement that failed with "no such table" or
 * "unknown column" is not sent again on this connection (the server lacks
 * it) unless the collector has another variant to try (e.g. the
 * INNODB_METRICS STATUS/ENABLED column; for global_status and
 * global_variables, whose first variant is only a cheaper form of the plain
 * SHOW, any SQL error moves on to the plain one).
 *
 * Thread-safety: exporter_scrape() may be called from several HTTP threads;
 * a mutex serialises them on the connection (a waiter gives up at its own
 * deadline).  Ownership: the exporter owns its connection; collectors keep
 * nothing between scrapes except per-connection variant choices.
 */
#ifndef MYSQL_EXPORTER_SCRAPE_H
#define MYSQL_EXPORTER_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "collect.h"
#include "conn.h"
#include "flags.h"
#include "metrics.h"

/* A stored result as rows of NUL-terminated cells (NULL = SQL NULL). */
struct sqlres {
	unsigned ncols;
	size_t nrows;
	const char *const *names;	/* ncols column names */
	const char *const *cells;	/* nrows * ncols, row-major */
};

static inline const char *sqlres_cell(const struct sqlres *r, size_t row, unsigned col)
{
	return r->cells[row * r->ncols + col];
}

/* Options the collectors read (from flags). */
struct scrape_opts {
	long statements_limit;		/* --collect.perf_schema.eventsstatements.limit */
	long statements_timelimit;	/* ...timelimit (seconds) */
	long digest_text_limit;		/* ...digest_text_limit */
	const char *memory_remove_prefix; /* --collect.perf_schema.memory_events.remove_prefix */
	long processlist_min_time;	/* --collect.info_schema.processlist.min_time */
	bool processes_by_user, processes_by_host;
	bool log_slow_filter;		/* --exporter.log_slow_filter (see aria_tmp_prefix) */
	bool disk_tmp;			/* --exporter.disk_tmp_tables (see aria_tmp_prefix) */
	const char *tables_databases;	/* --collect.info_schema.tables.databases */
	const char *heartbeat_db, *heartbeat_table;	/* --collect.heartbeat.{database,table} */
	bool heartbeat_utc;		/* --collect.heartbeat.utc */
	const char *file_instances_filter;	/* --collect.perf_schema.file_instances.filter */
	const char *file_instances_remove_prefix; /* ...file_instances.remove_prefix */
	bool user_privileges;		/* --collect.mysql.user.privileges */
};

/* What the server is, for collectors that adapt their SQL. */
struct server_info {
	enum server_flavor flavor;
	unsigned long version;		/* 10.11.5 -> 101105, 8.0.36 -> 80036 */
};

struct collector {
	const char *name;	/* --collect.<name>; label "collect.<name>" */
	bool default_on;
	const char *help;
	/*
	 * Append this collector's single SQL statement (no trailing ';') for
	 * this server to sql; variant is 0 first and counts up each time
	 * retry_variant asked for another one.  0 or negative errno
	 * (-EOPNOTSUPP: the server cannot answer it).
	 */
	int (*query)(const struct scrape_opts *o, const struct server_info *s, unsigned variant,
		     struct buf *sql);
	/* Turn the result into families.  0 or negative errno. */
	int (*parse)(const struct scrape_opts *o, const struct sqlres *r, struct metrics_writer *w);
	/* How many SQL variants exist (1 if NULL-equivalent 0). */
	unsigned variants;
	/*
	 * Variant 0 is only a cheaper form of variant 1 (global_status,
	 * global_variables): ANY SQL error on it moves this connection to the
	 * next variant.  Otherwise only "unknown column" does.
	 */
	bool fallback_any_error;
	/* Its own flags (--collect.<name>.*, into collector_opts), added by
	 * exporter_add_flags(); each flag's check names that flag. */
	const struct flag *flags;
	size_t nflags;
	/*
	 * An SQL error code (mysqld_error.h) that means "nothing to report"
	 * rather than a failure (binlog_size: ER_NO_BINARY_LOGGING, as 0.14
	 * skips SHOW BINARY LOGS when log_bin is off): success 1, no series,
	 * and the statement is not sent again on this connection.  0: none.
	 */
	unsigned nodata_sqlerr;
};

#define COLLECTOR_FLAGS(tab) .flags = (tab), .nflags = sizeof(tab) / sizeof((tab)[0])

/* The options the collectors' flags set (copied into each exporter_config). */
extern struct scrape_opts collector_opts;
/* --collect.<name>, indexed like collectors[]. */
extern bool collector_enabled[];

extern const struct collector collector_global_status;
extern const struct collector collector_global_variables;
extern const struct collector collector_slave_status;
extern const struct collector collector_innodb_metrics;
extern const struct collector collector_processlist;
extern const struct collector collector_perf_statements;
extern const struct collector collector_perf_waits;
extern const struct collector collector_perf_file_events;
extern const struct collector collector_perf_tableio;
extern const struct collector collector_perf_indexio;
extern const struct collector collector_perf_tablelocks;
extern const struct collector collector_perf_memory;
extern const struct collector collector_innodb_cmp;
extern const struct collector collector_innodb_cmpmem;
extern const struct collector collector_info_tables;
extern const struct collector collector_auto_increment;
extern const struct collector collector_engine_innodb;
extern const struct collector collector_engine_tokudb;
extern const struct collector collector_replica_host;
extern const struct collector collector_binlog_size;
extern const struct collector collector_heartbeat;
extern const struct collector collector_query_response_time;
extern const struct collector collector_userstats;
extern const struct collector collector_clientstats;
extern const struct collector collector_tablestats;
extern const struct collector collector_schemastats;
extern const struct collector collector_innodb_tablespaces;
extern const struct collector collector_mysql_user;
extern const struct collector collector_perf_statements_sum;
extern const struct collector collector_perf_file_instances;
extern const struct collector collector_slave_hosts;
extern const struct collector collector_repl_group_members;
extern const struct collector collector_repl_group_member_stats;
extern const struct collector collector_repl_applier_by_worker;

/* The table, in scrape order. */
extern const struct collector *const collectors[];
extern const size_t collectors_count;

/* ---- helpers shared by the collectors (scrape.c) ---- */

/*
 * mysqld_exporter's parseStatus(): "ON"/"YES" 1, "OFF"/"NO"/"DISABLED" 0,
 * "Connecting" 0, "Primary" 1, "non-Primary"/"Disconnected" 0, timestamps
 * ("Jan 02 15:04:05 2006 GMT", "2006-01-02 15:04:05") as Unix seconds, else a
 * plain decimal number.  false when the value is not numeric.
 */
bool parse_status(const char *s, double *ret);
/* Unsigned integer cell (performance_schema counters); NULL or junk is 0. */
double cell_u64(const char *s);
/*
 * MariaDB 10.2.7+: prefix an information_schema-backed SHOW so that it runs
 * with an Aria temporary table instead of a fixed-row in-memory one (see
 * global_status.c).  Appends nothing for other servers.  With
 * --exporter.log_slow_filter the statement also gets a slow-log filter that
 * its on-disk temporary table does not match, so it stays out of the slow
 * log as the session's filter intends.  Appends nothing either with
 * --no-exporter.disk_tmp_tables (o->disk_tmp false): the side effect, 2 more
 * Created_tmp_disk_tables per scrape, may upset alerts on that counter.
 */
int aria_tmp_prefix(const struct scrape_opts *o, const struct server_info *s, struct buf *sql);
/* mysqld_exporter's validPrometheusName(): [^a-zA-Z0-9_] -> '_', lower case. */
void prom_name(char *dst, size_t dstlen, const char *src);

/*
 * A family written only when its first sample comes (the Go client omits
 * families without samples).  Duplicate series are skipped, not fatal.
 */
struct lazy_family {
	struct metrics_writer *w;
	const char *name, *help;
	enum metric_type type;
	const char *const *labels;
	bool begun, failed;
};
void lazy_init(struct lazy_family *f, struct metrics_writer *w, const char *name,
	       enum metric_type type, const char *help, const char *const *labels);
int lazy_sample(struct lazy_family *f, const char *const *values, double v);

/*
 * Table-driven emission for the performance_schema collectors: the first
 * nkeys columns are label values (key labels), each family takes samples
 * from one or more value columns, each optionally with one more label value
 * (e.g. operation="fetch").  Values are divided by div (PICO: picoseconds,
 * performance_schema's timer unit, to seconds, as 0.14 divides).
 */
struct perf_series {
	unsigned col;			/* value column */
	const char *extra;		/* extra label value, or NULL */
	const char *only_if;		/* emit only when key column only_col equals this */
	unsigned only_col;
};
struct perf_family {
	const char *name, *help;
	enum metric_type type;
	double div;	/* values are divided by this (1 or PICO) */
	const struct perf_series *series;
	size_t nseries;
};
#define PICO 1e12	/* divisor: performance_schema timers are picoseconds */
/*
 * labels: the nkeys key label names, then the extra label name if the
 * series have one; NULL-terminated.  trim_prefix (may be NULL) is removed
 * from key column 0 (memory_events' "memory/").
 */
int perf_emit(struct metrics_writer *w, const struct sqlres *r, unsigned nkeys,
	      const char *const *labels, const struct perf_family *fams, size_t nfams,
	      const char *trim_prefix);

/* ---- the exporter ---- */

struct exporter;

struct exporter_config {
	struct conn_config conn;
	struct scrape_opts opts;
	const bool *enabled;		/* indexed like collectors[] (borrowed); NULL: none */
	double timeout_offset;		/* subtracted from X-Prometheus-Scrape-Timeout-Seconds */
	double default_timeout;		/* scrape deadline without that header */
};

struct exporter *exporter_new(const struct exporter_config *cfg);
void exporter_free(struct exporter *e);

/*
 * The scrape entry: writes mysql_up, every enabled collector's families
 * (or only those req->only names, like mysqld_exporter's collect[]), and
 * the mysql_exporter_* families (common's collect_write_outcomes) before
 * req->deadline_ns (CLOCK_MONOTONIC).  Never fails the exposition for a
 * server problem: returns 0 unless the writer itself failed.
 */
int exporter_scrape(struct exporter *e, const struct scrape_req *req, struct metrics_writer *w);

/*
 * The exporter's flags (--config.my-cnf, --exporter.*, --timeout-offset),
 * one --[no-]collect.<name> per collector and every collector's own flags.
 * 0 or negative errno (-EEXIST: a name declared twice).
 */
int exporter_add_flags(struct flagset *fs);
/* slave_hosts.c: whether s parses as a UUID as Go's uuid.Parse() accepts it. */
bool slave_hosts_is_uuid(const char *s);
/* replication_group.c: "YYYY-MM-DD hh:mm:ss.ffffff" (UTC) as Unix seconds, 0 if it does not parse. */
double repl_timestamp(const char *s);
/* After the flags parsed: the configuration they give; logs the enabled
 * collectors. */
void exporter_config_from_flags(struct exporter_config *cfg);

/* Deadline for a request from its X-Prometheus-Scrape-Timeout-Seconds (may be NULL). */
uint64_t exporter_deadline(const struct exporter *e, const char *timeout_header, uint64_t now_ns);

/* Statement count of the last batch sent (for tests and the benchmark log). */
unsigned exporter_last_statements(struct exporter *e);

#endif
