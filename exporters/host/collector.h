/*
 * host-exporter collectors: the static table, the per-scrape context and the
 * parallel scrape loop.
 *
 * Each collector is one file (cpu.c, meminfo.c, ...) defining its table
 * entry `const struct collector collector_<name>` -- its collect function,
 * its own flags (--collector.<name>.*), init and teardown -- and one name in
 * HOST_COLLECTORS (collector.c).  Nothing of a collector lives in main.c.  A collector reads its sources fresh
 * on every call (nothing is cached between scrapes), streams whole families
 * into the writer it is given and returns 0, -ENODATA (nothing to report:
 * success 0, logged at debug, as node_exporter's ErrNoData) or another
 * negative errno after describing the failure with ctx_error().
 *
 * Thread-safety: collectors run concurrently, each on a worker thread of the
 * scrape pool or (those collector_classify() clears) on the scraping thread,
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

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "buf.h"
#include "collect.h"
#include "flags.h"
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
	bool inline_run;		/* on the scraping thread: may decline (COLLECT_NEEDS_POOL) */
	char err[256];			/* failure description for the log */
};

/* Describe the failure (first one wins); returns err for `return ctx_error(...)`. */
int ctx_error(struct collector_ctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What a collector reads, for deciding whether it may run unguarded. */
enum src_kind {
	SRC_PROCFS,	/* procfs files only (filesystem.c bounds its own statfs calls) */
	SRC_SYSFS,	/* + sysfs attributes kept in kernel memory (named in collector.c) */
	SRC_UDEV,	/* + udev's database files (diskstats) */
	SRC_ROOTFS,	/* + os-release under --path.rootfs */
	SRC_TEXTFILE,	/* + the textfile directory (may decline at run time) */
	SRC_DEVICE,	/* device queries that can block (hwmon sensors, power_supply,
			 * a NIC's speed under RTNL, D-Bus): always on a pool worker */
};

struct collector {
	const char *name;	/* --collector.<name> / --no-collector.<name> */
	bool default_on;
	int (*collect)(struct collector_ctx *ctx, struct metrics_writer *w);
	/* Optional: runs on the scraping thread after every other collector
	 * was merged; appends ctx->priv's output to the scrape's writer. */
	int (*merge)(struct collector_ctx *ctx, struct metrics_writer *w);
	/* Optional: frees ctx->priv (any thread). */
	void (*free_priv)(void *priv);
	/* Which of its sources can block (see collector_classify()): a
	 * collector whose sources cannot runs on the scraping thread instead
	 * of a pool worker (no thread hand-off). */
	enum src_kind src;
	/* May wait (bounded) on a helper (filesystem's statfs): runs last inline. */
	bool may_wait;
	/* Its own flags (--collector.<name>.*), added to the daemon's set by
	 * collectors_add_flags(); each flag's check names that flag. */
	const struct flag *flags;
	size_t nflags;
	/* Optional, after the flags parsed (every collector, enabled or not,
	 * as node_exporter validates every flag): 0 or negative errno with the
	 * reason in err, naming the flag. */
	int (*init)(const struct flagset *fs, char *err, size_t errlen);
	/* Optional, at exit after the scrapes stopped (also after a failed init). */
	void (*teardown)(void);
};

#define COLLECTOR_FLAGS(tab) .flags = (tab), .nflags = sizeof(tab) / sizeof((tab)[0])

extern const struct collector *const collectors[];
extern const size_t ncollectors;
extern bool collector_enabled[];	/* indexed like collectors[] */
/* Collectors that run on the scraping thread, indexed like collectors[]
 * (set once by collector_classify(), before the first scrape). */
extern bool collector_inline[];

/*
 * Decide which collectors cannot hang and so may run without the deadline
 * guard of a pool worker, from the filesystem types of the configured
 * roots as our mount table (/proc/self/mounts) lists them — never by
 * touching a path that could itself hang: procfs, sysfs and tmpfs contents
 * come from kernel memory; files on a local disk filesystem (ext2/3/4,
 * xfs, btrfs, f2fs) are read through the page cache.  Anything else (NFS,
 * FUSE, CIFS, overlay, a symlink on the way, a fixture tree where a real
 * procfs or sysfs is expected) keeps the collectors that read it on the
 * pool.  Fills collector_inline[] and enables the sysfs descriptor cache
 * (pf_cache_sysfs()); call once, before the first scrape.
 */
void collector_classify(const struct host_config *cfg);

/* Mount-table types (/proc/PID/mounts, third field): a local disk or memory
 * filesystem (statfs and page-cache reads there do not wait on a network
 * or a daemon); that or a kernel filesystem (a path walk may cross it). */
bool fs_type_local(const char *type);
bool fs_type_walkable(const char *type);
/* Is type one of the NULL-terminated list l? */
bool fs_type_in(const char *type, const char *const *l);

/* A collector running inline that finds a source it cannot vouch for
 * (textfile: a symlink in the directory) returns this before writing
 * anything; the scrape then runs it again on a pool worker. */
#define COLLECT_NEEDS_POOL (-EAGAIN)

/* Index of a collector by name, or -1. */
int collector_find(const char *name);

/*
 * The scrape framework's flags (--path.*, --collector.timeout,
 * --collector.threads, --collector.disable-defaults), one
 * --[no-]collector.<name> per collector and every collector's own flags.
 * 0 or negative errno (-EEXIST: two declare one name).
 */
int collectors_add_flags(struct flagset *fs);
/*
 * After the flags parsed: apply --collector.disable-defaults (collectors
 * not named on the command line go off), run every collector's init,
 * classify the sources (collector_classify), log the enabled ones.
 * 0, or negative errno after printing "host-exporter: error: ..." naming
 * the flag to stderr (exit 2).
 */
int collectors_setup(const struct flagset *fs);
/* Flag checks/helpers for a device include/exclude pair (dst of the
 * include flag: &filter.include.src; the exclude flag: &filter.exclude.src
 * with host_regex_flag_check). */
int device_filter_include_check(const struct flag *f, const struct flagset *fs, char *err,
				size_t errlen);
void device_filter_init(struct device_filter *d);
void device_filter_free(struct device_filter *d);
/* Threads for the scrape pool from --collector.threads. */
unsigned collectors_threads(void);
/* Every collector's teardown, the descriptor caches and the regexes. */
void collectors_teardown(void);
/* A flag check compiling a struct host_regex flag (dst: &regex.src). */
int host_regex_flag_check(const struct flag *f, const struct flagset *fs, char *err,
			  size_t errlen);

/* ---- /proc and /sys reading (procfile.c) ---- */

/*
 * Read a whole file <root>/<rel> into b (NUL-terminated): open, pread from
 * offset 0 until EOF, close.  Bounded at 64 MiB.  0 or negative errno (the
 * error is described in ctx).  Fresh data on every call.
 */
int pf_read(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel);
/* The same for a file that may be missing: -ENOENT then, not described. */
int pf_read_optional(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel);
/* The same without describing errors (optional files).  Files on procfs
 * under the root given to pf_cache_root() keep their descriptor open
 * between calls (re-read from offset 0: still fresh; see procfile.c). */
int pf_read_quiet(struct rbuf *b, const char *path);
/* Paths only a module's load or the boot creates (procfile.c gated():
 * /proc/mdstat, /sys/class/nvme, ...): -ENOENT when path was missing at a
 * previous open and the loaded modules have not changed since (then do
 * what a failed open with ENOENT does), else 0 and *ret_gen to hand to
 * pf_gate_note() with the open's result (0 or negative errno).  Any path
 * may be passed: others always give 0.  pf_read_quiet() does both. */
int pf_gate(const char *path, uint64_t *ret_gen);
void pf_gate_note(const char *path, uint64_t gen, int err);
/* A directory opened through the gate: open(O_DIRECTORY|O_CLOEXEC)'s
 * descriptor or negative errno; opendir(3) (NULL and errno). */
int pf_open_dir(const char *path);
DIR *pf_opendir(const char *path);
/* Enable the descriptor cache below procfs, if it is a real procfs mount
 * (call once, before the first scrape). */
void pf_cache_root(const char *procfs);
/* Also keep descriptors below <sysfs>/devices/system (CPU and clocksource
 * attributes), if sysfs is a real sysfs mount (call once, before the first
 * scrape; collector_classify() does). */
void pf_cache_sysfs(const char *sysfs);
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
/* A fast non-cryptographic hash of len bytes, a word at a time (the memo
 * tables of procfile.c and netstat.c; they compare the strings too). */
uint64_t pf_hash(const char *s, size_t len);
/* Unsigned/double parses of a whole token: 0 or -EINVAL. */
int pf_u64(const char *s, uint64_t *ret);
int pf_double(const char *s, double *ret);

/* PCRE2 match of a NUL-terminated subject (Go's MatchString: unanchored).
 * The answer for a subject is remembered (a regex is immutable), for up to
 * a few hundred distinct subjects per regex; lock-free, any thread. */
bool host_regex_match(const struct host_regex *r, const char *s);
/* The same for s[0..len), which must be NUL-terminated at len. */
bool host_regex_match_n(const struct host_regex *r, const char *s, size_t len);
/* node_exporter's deviceFilter.ignored(). */
bool device_filter_ignored(const struct device_filter *f, const char *name);
/* Compile r->src (if set): 0 or -EINVAL with a message in err. */
int host_regex_compile(struct host_regex *r, char *err, size_t errlen);
void host_regex_free(struct host_regex *r);
/* The match memo's current table size in slots (0: none); for tests. */
size_t host_regex_memo_slots(const struct host_regex *r);
/* Frees the calling thread's match data (call before a thread exits). */
void host_regex_thread_done(void);

/* ---- the scrape ---- */

struct scrape_pool;

/* Start the worker pool (nthreads >= 1).  NULL on failure. */
struct scrape_pool *scrape_pool_new(unsigned nthreads);
/* Joins idle workers; workers stuck in a hung read are left detached. */
void scrape_pool_free(struct scrape_pool *p);

/*
 * Check a request's collect[] names: 0, or -ENOENT / -EPERM (a missing or
 * disabled collector) with node_exporter's message in err.
 */
int scrape_req_check(const struct scrape_req *req, char *err, size_t errlen);
/*
 * The scrape entry: run the enabled collectors req selects in parallel
 * until req->deadline_ns, merge their output in table order into w, then
 * write node_scrape_collector_duration_seconds / _success (common's
 * collect_write_outcomes).  Safe to call from several threads at once.
 * 0 or negative errno (the writer failed).
 */
int scrape_run(struct scrape_pool *p, const struct scrape_req *req, struct metrics_writer *w);

/* ---- collectors ---- */
int collect_conntrack(struct collector_ctx *c, struct metrics_writer *w);
int collect_entropy(struct collector_ctx *c, struct metrics_writer *w);
int collect_udp_queues(struct collector_ctx *c, struct metrics_writer *w);
int collect_softnet(struct collector_ctx *c, struct metrics_writer *w);
int collect_schedstat(struct collector_ctx *c, struct metrics_writer *w);
int collect_arp(struct collector_ctx *c, struct metrics_writer *w);
int collect_ipvs(struct collector_ctx *c, struct metrics_writer *w);
int collect_nfs(struct collector_ctx *c, struct metrics_writer *w);
int collect_nfsd(struct collector_ctx *c, struct metrics_writer *w);
int collect_selinux(struct collector_ctx *c, struct metrics_writer *w);
int collect_timex(struct collector_ctx *c, struct metrics_writer *w);
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

/*
 * node_exporter 1.5 flags host-exporter does not implement (nodeflags.c):
 * removes them (and their values) from argv in place, keeping argv[0] and
 * every other argument in order; returns the new argc (argv[argc] = NULL).
 * Their names (static strings, each once) go to ignored[], at most
 * *nignored; *nignored is set to how many.
 */
int nodeflags_filter(const struct flagset *fs, int argc, char **argv, const char **ignored,
		     size_t *nignored);
/* One warning per ignored flag (after logging is configured). */
void nodeflags_warn(const char *const *ignored, size_t n);

/* The filesystem collector's stuck-mount bookkeeping (filesystem.c). */
void filesystem_shutdown(void);

/* Table entries, one per collector file. */
#define HOST_COLLECTORS(X) \
	X(arp) X(bcache) X(bonding) X(btrfs) X(conntrack) X(cpu) X(cpufreq) X(diskstats) X(dmi) \
	X(edac) X(entropy) X(fibrechannel) X(filefd) X(filesystem) X(hwmon) X(infiniband) \
	X(ipvs) X(loadavg) X(mdadm) X(meminfo) X(netclass) X(netdev) X(netstat) X(nfs) X(nfsd) \
	X(nvme) X(os) X(powersupplyclass) X(pressure) X(rapl) X(schedstat) X(selinux) \
	X(sockstat) X(softnet) X(stat) X(systemd) X(tapestats) X(textfile) X(thermal_zone) \
	X(time) X(timex) X(udp_queues) X(uname) X(vmstat) X(xfs) X(zfs)
#define HOST_COLLECTOR_DECL(n) extern const struct collector collector_##n;
HOST_COLLECTORS(HOST_COLLECTOR_DECL)
/* Table positions at compile time: COLLECTOR_IDX_<name> indexes collectors[]
 * and collector_enabled[] (which hostcfg.c holds, so a collector may read
 * its own switch without calling into collector.c). */
#define HOST_COLLECTOR_INDEX(n) COLLECTOR_IDX_##n,
enum { HOST_COLLECTORS(HOST_COLLECTOR_INDEX) HOST_NCOLL };

#endif
