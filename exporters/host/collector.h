/*
 * host-exporter collectors: the static table, the per-scrape context and the
 * parallel scrape loop.
 *
 * Each collector is one file (cpu.c, meminfo.c, ...) exporting one
 * `int collect_<name>(struct collector_ctx *, struct metrics_writer *)` and
 * one line in the table of collector.c.  A collector reads its sources fresh
 * on every call (nothing is cached between scrapes), streams whole families
 * into the writer it is given and returns 0, -ENODATA (nothing to report:
 * success 0, logged at debug, as node_exporter's ErrNoData) or another
 * negative errno after describing the failure with ctx_error().
 *
 * Thread-safety: collectors run concurrently, each on a worker thread of the
 * scrape pool or (inline_ok ones, on a real procfs) on the scraping thread,
 * each into its own writer; the configuration (struct host_config) is
 * immutable after start-up.  A collector may only touch its ctx, its writer
 * and the running thread's read buffers (ctx->rb[]).
 *
 * Ownership: a scrape's per-collector output lives in a reference-counted
 * scrape object shared by the scraping thread and the workers; a worker that
 * finishes after the deadline drops its reference and its output is freed
 * unseen (see collector.c).
 */
#ifndef HOST_COLLECTOR_H
#define HOST_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "metrics.h"

/* A regular expression from a flag (PCRE2, used with RE2-compatible syntax). */
struct regex_memo;

struct host_regex {
	const char *src;	/* flag text; NULL/"" = not set */
	pcre2_code *re;		/* NULL when not set */
	/* Match results by subject (vmstat/netstat field names, devices,
	 * mounts recur every scrape); made by host_regex_compile(). */
	struct regex_memo *memo;
};

/* include/exclude pair as node_exporter's deviceFilter: at most one is set. */
struct device_filter {
	struct host_regex include, exclude;
};

struct host_config {
	const char *procfs, *sysfs, *rootfs, *udev_data;
	double collector_timeout;	/* seconds, per collector and scrape */
	double mount_timeout;		/* seconds, per statfs */
	bool cpu_guest, cpu_info;
	struct host_regex cpu_flags_include, cpu_bugs_include;
	struct host_regex fs_mount_exclude, fs_type_exclude;
	struct device_filter disk_filter, netdev_filter;
	struct host_regex netstat_fields, vmstat_fields;
	const char *textfile_dir;
	bool stat_softirq;
	size_t textfile_max_bytes;	/* per file */
};

extern struct host_config host_cfg;

/* A growable read buffer owned by one worker thread, reused across scrapes. */
struct rbuf {
	char *data;
	size_t cap;
	size_t len;
};

#define CTX_RBUFS 3

struct collector_ctx {
	const struct host_config *cfg;
	struct rbuf *rb[CTX_RBUFS];	/* the worker's buffers */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
	enum metrics_format fmt;	/* of the scrape (for writers a collector makes) */
	void *priv;			/* per-scrape collector state (textfile) */
	char err[256];			/* failure description for the log */
};

/* Describe the failure (first one wins); returns err for `return ctx_error(...)`. */
int ctx_error(struct collector_ctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct collector {
	const char *name;	/* --collector.<name> / --no-collector.<name> */
	bool default_on;
	int (*collect)(struct collector_ctx *ctx, struct metrics_writer *w);
	/* Optional: runs on the scraping thread after every other collector
	 * was merged; appends ctx->priv's output to the scrape's writer. */
	int (*merge)(struct collector_ctx *ctx, struct metrics_writer *w);
	/* Optional: frees ctx->priv (any thread). */
	void (*free_priv)(void *priv);
	/* Reads only procfs files (and hands any statfs to the filesystem
	 * collector's own deadline-bounded helper), so it cannot hang on a
	 * stuck source: when --path.procfs is a real procfs it runs on the
	 * scraping thread instead of a pool worker (no thread hand-off). */
	bool inline_ok;
};

extern const struct collector collectors[];
extern const size_t ncollectors;
extern bool collector_enabled[];	/* indexed like collectors[] */
/* Run inline_ok collectors on the scraping thread (set once at start-up,
 * before the first scrape, when --path.procfs is a procfs mount). */
extern bool collector_inline;

/* Index of a collector by name, or -1. */
int collector_find(const char *name);

/* ---- /proc and /sys reading (procfile.c) ---- */

/*
 * Read a whole file <root>/<rel> into b (NUL-terminated): open, pread from
 * offset 0 until EOF, close.  Bounded at 64 MiB.  0 or negative errno (the
 * error is described in ctx).  Fresh data on every call.
 */
int pf_read(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel);
/* The same without describing errors (optional files).  Files on procfs
 * under the root given to pf_cache_root() keep their descriptor open
 * between calls (re-read from offset 0: still fresh; see procfile.c). */
int pf_read_quiet(struct rbuf *b, const char *path);
/* Enable the descriptor cache below procfs, if it is a real procfs mount
 * (call once, before the first scrape). */
void pf_cache_root(const char *procfs);
/* Close the cached descriptors (at exit, after the scrapes stopped). */
void pf_cache_close(void);
/* Join root and rel into out (size PATH_MAX); -ENAMETOOLONG. */
int pf_path(char *out, size_t size, const char *root, const char *rel);
void rbuf_free(struct rbuf *b);
/* Make b->cap at least want bytes (doubling from 8 KiB); 0, -ENOMEM, or
 * -EFBIG past 64 MiB, which bounds every per-scrape array and file read. */
int rbuf_reserve(struct rbuf *b, size_t want);

/* Line iteration over a NUL-terminated buffer; modifies it (ends lines). */
char *pf_next_line(char **cursor);
/* Split s in place into at most max whitespace-separated fields. */
size_t pf_split(char *s, char **fields, size_t max);
/* Unsigned/double parses of a whole token: 0 or -EINVAL. */
int pf_u64(const char *s, uint64_t *ret);
int pf_double(const char *s, double *ret);

/* PCRE2 match of a NUL-terminated subject (Go's MatchString: unanchored).
 * The answer for a subject is remembered (a regex is immutable), for up to
 * a few hundred distinct subjects per regex; lock-free, any thread. */
bool host_regex_match(const struct host_regex *r, const char *s);
/* node_exporter's deviceFilter.ignored(). */
bool device_filter_ignored(const struct device_filter *f, const char *name);
/* Compile r->src (if set): 0 or -EINVAL with a message in err. */
int host_regex_compile(struct host_regex *r, char *err, size_t errlen);
void host_regex_free(struct host_regex *r);
/* Frees the calling thread's match data (call before a thread exits). */
void host_regex_thread_done(void);

/* ---- the scrape ---- */

struct scrape_pool;

/* Start the worker pool (nthreads >= 1).  NULL on failure. */
struct scrape_pool *scrape_pool_new(unsigned nthreads);
/* Joins idle workers; workers stuck in a hung read are left detached. */
void scrape_pool_free(struct scrape_pool *p);

/*
 * Run the collectors selected by want[] (NULL = the enabled ones) in
 * parallel, merge their output in table order into w, then write
 * node_scrape_collector_duration_seconds / _success.  Safe to call from
 * several threads at once.  0 or negative errno (the writer failed).
 */
int scrape_run(struct scrape_pool *p, const bool *want, enum metrics_format fmt,
	       double timeout_s, struct metrics_writer *w);

/* ---- collectors ---- */
int collect_cpu(struct collector_ctx *c, struct metrics_writer *w);
int collect_meminfo(struct collector_ctx *c, struct metrics_writer *w);
int collect_loadavg(struct collector_ctx *c, struct metrics_writer *w);
int collect_stat(struct collector_ctx *c, struct metrics_writer *w);
int collect_vmstat(struct collector_ctx *c, struct metrics_writer *w);
int collect_diskstats(struct collector_ctx *c, struct metrics_writer *w);
int collect_netdev(struct collector_ctx *c, struct metrics_writer *w);
int collect_filesystem(struct collector_ctx *c, struct metrics_writer *w);
int collect_uname(struct collector_ctx *c, struct metrics_writer *w);
int collect_time(struct collector_ctx *c, struct metrics_writer *w);
int collect_pressure(struct collector_ctx *c, struct metrics_writer *w);
int collect_filefd(struct collector_ctx *c, struct metrics_writer *w);
int collect_sockstat(struct collector_ctx *c, struct metrics_writer *w);
int collect_netstat(struct collector_ctx *c, struct metrics_writer *w);
int collect_os(struct collector_ctx *c, struct metrics_writer *w);
int collect_textfile(struct collector_ctx *c, struct metrics_writer *w);
int merge_textfile(struct collector_ctx *c, struct metrics_writer *w);
void free_textfile(void *priv);

/* The filesystem collector's stuck-mount bookkeeping (filesystem.c). */
void filesystem_shutdown(void);

#endif
