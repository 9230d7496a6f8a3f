/*
 * bcache: statistics of bcache cache sets from <sysfs>/fs/bcache/<uuid>/
 * (Documentation/admin-guide/bcache.rst), as node_exporter 1.5's
 * bcache_linux.go with procfs 0.8's bcache package:
 *  - cache sets are the entries of fs/bcache whose name has a '-' (Go's
 *    Glob "*-*"); no fs/bcache or none there: success, no series;
 *  - each value file is read whole, its last byte dropped (the newline the
 *    kernel writes; a file without one loses its last character, as in the
 *    peer), then "dehumanized": a trailing k/M/G/T/P/E/Z/Y is a power of
 *    1024 and the mantissa bch_hprint's "int.frac" (frac/10.24, the peer's
 *    arithmetic), any other trailing non-digit a multiplier of 0, otherwise
 *    a float truncated to an integer; a missing value file counts 0;
 *  - <uuid>/{,internal/,stats_five_minute/,stats_total/},
 *    bdev<digit>*\/{,stats_five_minute/,stats_total/} and
 *    cache<digit>*\/ are read (five-minute and cache-set period stats only
 *    for their errors: they are not exported);
 *    bdevN/writeback_rate_debug must exist ("rate:", "dirty:", "target:",
 *    "proportional:", "integral:", "change:", "next io:" lines);
 *  - --collector.bcache.priorityStats (off) also reads each cache's
 *    priority_stats (its "Unused:" and "Metadata:" percentages): the
 *    kernel sorts every bucket to make it, hence the flag.
 * Any unreadable or unparsable file (an empty one included, which kills
 * node_exporter 1.5 with a slice panic) fails the whole scrape of the
 * collector: success 0, no bcache series.  btree_read_average_duration_us
 * is exported x 1e-9 as node_exporter does (its "seconds" are off by 1000).
 * Most values are the bcache driver's in-memory counters, but
 * root_usage_percent takes the btree root's lock and priority_stats sorts
 * every bucket under the bucket lock, which may wait behind btree I/O: the
 * collector is SRC_DEVICE (always on a pool worker, under the deadline).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

static bool priority_stats;

enum kind { K_SET, K_BDEV, K_CACHE };

/* Values of one record, by kind, in the order of the families below. */
enum { S_AVG_KEY, S_BTREE_CACHE, S_AVAIL, S_CONGESTED, S_ROOT_USAGE, S_DEPTH, S_JOURNAL,
       S_BTREE_NODES, S_BTREE_READ, S_READ_RACES, S_N };
enum { B_DIRTY, B_TARGET, B_RATE, B_PROP, B_INTEGRAL, B_CHANGE, B_BYPASSED, B_HITS, B_MISSES,
       B_BYPASS_HITS, B_BYPASS_MISSES, B_COLLISIONS, B_READAHEADS, B_N };
enum { C_IO_ERRORS, C_META_WRITTEN, C_WRITTEN, C_UNUSED, C_METADATA, C_N };

struct rec {
	enum kind kind;
	unsigned set;			/* index of its cache set's record */
	char name[NAME_MAX + 1];
	double v[B_N];
};

static const struct fam {
	enum kind kind;
	int idx;
	enum metric_type type;
	const char *name, *help;
} fams[] = {
	{ K_SET, S_AVG_KEY, METRIC_GAUGE, "node_bcache_average_key_size_sectors", "Average data per key in the btree (sectors)." },
	{ K_SET, S_BTREE_CACHE, METRIC_GAUGE, "node_bcache_btree_cache_size_bytes", "Amount of memory currently used by the btree cache." },
	{ K_SET, S_AVAIL, METRIC_GAUGE, "node_bcache_cache_available_percent", "Percentage of cache device without dirty data, usable for writeback (may contain clean cached data)." },
	{ K_SET, S_CONGESTED, METRIC_GAUGE, "node_bcache_congested", "Congestion." },
	{ K_SET, S_ROOT_USAGE, METRIC_GAUGE, "node_bcache_root_usage_percent", "Percentage of the root btree node in use (tree depth increases if too high)." },
	{ K_SET, S_DEPTH, METRIC_GAUGE, "node_bcache_tree_depth", "Depth of the btree." },
	{ K_SET, S_JOURNAL, METRIC_GAUGE, "node_bcache_active_journal_entries", "Number of journal entries that are newer than the index." },
	{ K_SET, S_BTREE_NODES, METRIC_GAUGE, "node_bcache_btree_nodes", "Total nodes in the btree." },
	{ K_SET, S_BTREE_READ, METRIC_GAUGE, "node_bcache_btree_read_average_duration_seconds", "Average btree read duration." },
	{ K_SET, S_READ_RACES, METRIC_COUNTER, "node_bcache_cache_read_races_total", "Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed." },
	{ K_BDEV, B_DIRTY, METRIC_GAUGE, "node_bcache_dirty_data_bytes", "Amount of dirty data for this backing device in the cache." },
	{ K_BDEV, B_TARGET, METRIC_GAUGE, "node_bcache_dirty_target_bytes", "Current dirty data target threshold for this backing device in bytes." },
	{ K_BDEV, B_RATE, METRIC_GAUGE, "node_bcache_writeback_rate", "Current writeback rate for this backing device in bytes." },
	{ K_BDEV, B_PROP, METRIC_GAUGE, "node_bcache_writeback_rate_proportional_term", "Current result of proportional controller, part of writeback rate" },
	{ K_BDEV, B_INTEGRAL, METRIC_GAUGE, "node_bcache_writeback_rate_integral_term", "Current result of integral controller, part of writeback rate" },
	{ K_BDEV, B_CHANGE, METRIC_GAUGE, "node_bcache_writeback_change", "Last writeback rate change step for this backing device." },
	{ K_BDEV, B_BYPASSED, METRIC_COUNTER, "node_bcache_bypassed_bytes_total", "Amount of IO (both reads and writes) that has bypassed the cache." },
	{ K_BDEV, B_HITS, METRIC_COUNTER, "node_bcache_cache_hits_total", "Hits counted per individual IO as bcache sees them." },
	{ K_BDEV, B_MISSES, METRIC_COUNTER, "node_bcache_cache_misses_total", "Misses counted per individual IO as bcache sees them." },
	{ K_BDEV, B_BYPASS_HITS, METRIC_COUNTER, "node_bcache_cache_bypass_hits_total", "Hits for IO intended to skip the cache." },
	{ K_BDEV, B_BYPASS_MISSES, METRIC_COUNTER, "node_bcache_cache_bypass_misses_total", "Misses for IO intended to skip the cache." },
	{ K_BDEV, B_COLLISIONS, METRIC_COUNTER, "node_bcache_cache_miss_collisions_total", "Instances where data insertion from cache miss raced with write (data already present)." },
	{ K_BDEV, B_READAHEADS, METRIC_COUNTER, "node_bcache_cache_readaheads_total", "Count of times readahead occurred." },
	{ K_CACHE, C_IO_ERRORS, METRIC_GAUGE, "node_bcache_io_errors", "Number of errors that have occurred, decayed by io_error_halflife." },
	{ K_CACHE, C_META_WRITTEN, METRIC_COUNTER, "node_bcache_metadata_written_bytes_total", "Sum of all non data writes (btree writes and all other metadata)." },
	{ K_CACHE, C_WRITTEN, METRIC_COUNTER, "node_bcache_written_bytes_total", "Sum of all data that has been written to the cache." },
	{ K_CACHE, C_UNUSED, METRIC_GAUGE, "node_bcache_priority_stats_unused_percent", "The percentage of the cache that doesn't contain any data." },
	{ K_CACHE, C_METADATA, METRIC_GAUGE, "node_bcache_priority_stats_metadata_percent", "Bcache's metadata overhead." },
};

/* The period statistics files, in B_BYPASSED.. order. */
static const char *const period_files[] = {
	"bypassed", "cache_hits", "cache_misses", "cache_bypass_hits", "cache_bypass_misses",
	"cache_miss_collisions", "cache_readaheads",
};

/* Go's uint64(float64) on amd64 (CVTTSD2SQ, with 2^63 added above 2^63):
 * out of range, NaN and infinities give 2^63. */
static uint64_t go_f2u(double f)
{
	const double two63 = 9223372036854775808.0;

	if (f < two63) {
		if (f > -two63)
			return (uint64_t)(int64_t)f;
		return UINT64_C(1) << 63;
	}
	f -= two63;
	if (f < two63)
		return (uint64_t)(int64_t)f | (UINT64_C(1) << 63);
	return UINT64_C(1) << 63;
}

/* strconv.ParseFloat(s, 64) for what bcache can print: decimal floats,
 * with sign, exponent, "inf"/"infinity"/"nan"; -EINVAL otherwise. */
static int go_float(const char *s, double *v)
{
	const char *p = s;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	if (!*p || !(((*p >= '0' && *p <= '9') || *p == '.') || strchr("iInN", *p)))
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return -EINVAL;	/* Go takes hex floats only with a p exponent */
	if ((*p == 'n' || *p == 'N') && strcasecmp(p, "nan"))
		return -EINVAL;	/* not C's nan(chars) */
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE && fabs(*v) > 1.0)
		return -ERANGE;
	return 0;
}

/* procfs' dehumanize of s[0..len) (NUL-terminated at len). */
static int dehumanize(char *s, size_t len, uint64_t *out)
{
	double mant, mul = 1;
	char last;

	if (!len)
		return -EINVAL;
	last = s[len - 1];
	if ((unsigned char)last > '9') {
		static const char units[] = "kMGTPEZY";
		const char *u = strchr(units, last);
		char *dot;
		int r;

		s[--len] = '\0';
		mul = 0;
		if (u && last)
			mul = ldexp(1.0, 10 * (int)(u - units + 1));
		/* bch_hprint's "int.frac": frac is tenths out of 1024/100 */
		dot = strchr(s, '.');
		if (dot) {
			char *dot2 = strchr(dot + 1, '.');
			double frac;

			*dot = '\0';
			if (dot2)
				*dot2 = '\0';
			if ((r = go_float(s, &mant)) < 0 || (r = go_float(dot + 1, &frac)) < 0)
				return r;
			mant += frac / 10.24;
		} else if ((r = go_float(s, &mant)) < 0) {
			return r;
		}
	} else if (go_float(s, &mant) < 0) {
		return -EINVAL;
	}
	*out = go_f2u(mant * mul);
	return 0;
}

static int dehumanize_signed(char *s, size_t len, int64_t *out)
{
	bool neg = s[0] == '-';
	uint64_t v;
	int r;

	if ((r = dehumanize(s + neg, len - neg, &v)) < 0)
		return r;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* One value file <dir>/<name>: 0 with *v (0 when missing) or an error. */
static int read_value(struct collector_ctx *c, const char *dir, const char *name, double *v)
{
	struct rbuf *b = c->rb[1];
	uint64_t u;
	int r;

	*v = 0;
	r = pf_read_optional(c, b, dir, name);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!b->len)
		return ctx_error(c, -EINVAL, "%s/%s: empty file", dir, name);
	b->data[--b->len] = '\0';
	if (dehumanize(b->data, b->len, &u) < 0)
		return ctx_error(c, -EINVAL, "%s/%s: not a bcache value: \"%s\"", dir, name, b->data);
	*v = (double)u;
	return 0;
}

static int read_values(struct collector_ctx *c, const char *dir, const char *const *names, size_t n,
		       double *v)
{
	double scratch;
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = read_value(c, dir, names[i], v ? &v[i] : &scratch)) < 0)
			return r;
	return 0;
}

/* The last field of line (strings.Fields), with suffix removed if there. */
static char *last_field(char *line, const char *suffix)
{
	char *e = line + strlen(line), *f;
	size_t sl = strlen(suffix);

	while (e > line && strchr(" \t\n\v\f\r", e[-1]))
		e--;
	*e = '\0';
	for (f = e; f > line && !strchr(" \t\n\v\f\r", f[-1]); f--)
		;
	if ((size_t)(e - f) >= sl && !strcmp(e - sl, suffix))
		e[-(ptrdiff_t)sl] = '\0';
	return f;
}

static bool starts(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* <dir>/writeback_rate_debug (must exist) into r->v. */
static int read_wrd(struct collector_ctx *c, const char *dir, struct rec *rec)
{
	struct rbuf *b = c->rb[1];
	const char *rel = "writeback_rate_debug";
	char *cur, *line;
	int r;

	if ((r = pf_read(c, b, dir, rel)) < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		static const struct {
			const char *prefix, *suffix;
			int idx;	/* -1: parsed, not kept */
			bool sign;
		} keys[] = {
			{ "rate:", "/sec", B_RATE, false }, { "dirty:", "", -1, false },
			{ "target:", "", B_TARGET, false }, { "proportional:", "", B_PROP, true },
			{ "integral:", "", B_INTEGRAL, true }, { "change:", "/sec", B_CHANGE, true },
		};
		size_t l = strlen(line);
		char *f;

		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (starts(line, "next io:")) {
			int64_t ms;
			char *end;

			f = last_field(line, "ms");
			errno = 0;
			ms = strtoll(f, &end, 10);
			(void)ms;
			if (!*f || *end || errno || strchr(" \t\n\v\f\r", *f))
				return ctx_error(c, -EINVAL, "failed to parse path \"%s/%s\": next io: \"%s\"", dir, rel, f);
			continue;
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			uint64_t u;
			int64_t i;

			if (!starts(line, keys[k].prefix))
				continue;
			f = last_field(line, keys[k].suffix);
			r = keys[k].sign ? dehumanize_signed(f, strlen(f), &i) : dehumanize(f, strlen(f), &u);
			if (r < 0)
				return ctx_error(c, -EINVAL, "failed to parse path \"%s/%s\": %s \"%s\"", dir, rel,
						 keys[k].prefix, f);
			if (keys[k].idx >= 0)
				rec->v[keys[k].idx] = keys[k].sign ? (double)i : (double)u;
			break;
		}
	}
	return 0;
}

/* strconv.ParseUint(s, 10, 64) */
static int parse_u10(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* <dir>/priority_stats (must exist): Unused: and Metadata: percentages. */
static int read_priority(struct collector_ctx *c, const char *dir, struct rec *rec)
{
	struct rbuf *b = c->rb[1];
	const char *rel = "priority_stats";
	char *cur, *line;
	int r;

	if ((r = pf_read(c, b, dir, rel)) < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		int idx = starts(line, "Unused:") ? C_UNUSED : starts(line, "Metadata:") ? C_METADATA : -1;
		uint64_t u;
		char *f;

		if (idx < 0)
			continue;
		f = last_field(line, "%");
		if (parse_u10(f, &u) < 0)
			return ctx_error(c, -EINVAL, "failed to parse path \"%s/%s\": \"%s\"", dir, rel, f);
		rec->v[idx] = (double)u;
	}
	return 0;
}

/* Append a record to the array in rb[0]. */
static struct rec *rec_new(struct collector_ctx *c, size_t *n, enum kind k, unsigned set, const char *name)
{
	struct rbuf *arr = c->rb[0];
	struct rec *r;

	if (rbuf_reserve(arr, (*n + 1) * sizeof(struct rec)) < 0)
		return NULL;
	r = (struct rec *)(void *)arr->data + (*n)++;
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->set = set;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

/* Go's Glob "<prefix>[0-9]*" */
static bool dev_name(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	return !strncmp(s, prefix, l) && s[l] >= '0' && s[l] <= '9';
}

static int read_set(struct collector_ctx *c, const char *setdir, unsigned set, size_t *n)
{
	static const char *const top[] = { "average_key_size", "btree_cache_size",
		"cache_available_percent", "congested", "root_usage_percent", "tree_depth" };
	static const char *const internal[] = { "active_journal_entries", "btree_nodes",
		"btree_read_average_duration_us", "cache_read_races" };
	static const char *const cache_files[] = { "io_errors", "metadata_written", "written" };
	char sub[PATH_MAX + NAME_MAX + 32];
	struct dirent *de;
	struct rec *rec;
	double v[S_N];
	int r = 0;
	DIR *d;

	/* the set's record first: rec_new may move the array */
	if (!rec_new(c, n, K_SET, set, strrchr(setdir, '/') + 1))
		return ctx_error(c, -ENOMEM, "too many bcache records");
	snprintf(sub, sizeof(sub), "%s/internal", setdir);
	if ((r = read_values(c, setdir, top, 6, v)) < 0 || (r = read_values(c, sub, internal, 4, v + 6)) < 0)
		return r;
	v[S_BTREE_READ] *= 1e-9;
	rec = (struct rec *)(void *)c->rb[0]->data + set;
	memcpy(rec->v, v, sizeof(v));
	snprintf(sub, sizeof(sub), "%s/stats_five_minute", setdir);
	if ((r = read_values(c, sub, period_files, 7, NULL)) < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s/stats_total", setdir);
	if ((r = read_values(c, sub, period_files, 7, NULL)) < 0)
		return r;
	/* backing devices, then caches (each a pass over the directory) */
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		if (!(d = opendir(setdir)))
			return ctx_error(c, -errno, "%s: %s", setdir, strerror(errno));
		while (r >= 0 && (de = readdir(d))) {
			bool bdev = pass == 0;

			if (!dev_name(de->d_name, bdev ? "bdev" : "cache"))
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", setdir, de->d_name) >= sizeof(sub)) {
				r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", setdir, de->d_name);
				break;
			}
			if (!(rec = rec_new(c, n, bdev ? K_BDEV : K_CACHE, set, de->d_name))) {
				r = ctx_error(c, -ENOMEM, "too many bcache records");
				break;
			}
			if (bdev) {
				char per[sizeof(sub) + 32];

				if ((r = read_value(c, sub, "dirty_data", &v[0])) < 0 || (r = read_wrd(c, sub, rec)) < 0)
					break;
				rec->v[B_DIRTY] = v[0];
				snprintf(per, sizeof(per), "%s/stats_five_minute", sub);
				if ((r = read_values(c, per, period_files, 7, NULL)) < 0)
					break;
				snprintf(per, sizeof(per), "%s/stats_total", sub);
				r = read_values(c, per, period_files, 7, rec->v + B_BYPASSED);
			} else {
				if ((r = read_values(c, sub, cache_files, 3, rec->v)) < 0)
					break;
				if (priority_stats)
					r = read_priority(c, sub, rec);
			}
		}
		closedir(d);
	}
	return r;
}

static int collect_bcache(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const ls[] = { "uuid", NULL };
	/* client_golang writes label pairs sorted by name */
	static const char *const lb[] = { "backing_device", "uuid", NULL };
	static const char *const lc[] = { "cache_device", "uuid", NULL };
	char dir[PATH_MAX], setdir[PATH_MAX];
	size_t n = 0, count[3] = { 0 };
	struct dirent *de;
	struct rec *recs;
	int r = 0;
	DIR *d;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "fs/bcache")) < 0)
		return ctx_error(c, r, "%s/fs/bcache: path too long", c->cfg->sysfs);
	if (!(d = pf_opendir(dir)))
		return 0;	/* Glob: an unreadable directory matches nothing */
	while ((de = readdir(d))) {
		if (!strchr(de->d_name, '-'))
			continue;
		if ((size_t)snprintf(setdir, sizeof(setdir), "%s/%s", dir, de->d_name) >= sizeof(setdir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", dir, de->d_name);
			break;
		}
		if ((r = read_set(c, setdir, (unsigned)n, &n)) < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	recs = (struct rec *)(void *)c->rb[0]->data;
	for (size_t i = 0; i < n; i++)
		count[recs[i].kind]++;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		enum kind k = fams[f].kind;

		if (!count[k] || (k == K_CACHE && fams[f].idx >= C_UNUSED && !priority_stats))
			continue;
		if ((r = writer_family(w, fams[f].name, fams[f].type, fams[f].help,
				       k == K_SET ? ls : k == K_BDEV ? lb : lc)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			const char *lv[] = { recs[i].name, recs[recs[i].set].name };

			if (recs[i].kind == k)
				(void)writer_sample(w, k == K_SET ? lv + 1 : lv, recs[i].v[fams[f].idx]);
		}
	}
	return 0;
}

static const struct flag bcache_flags[] = {
	{ .name = "collector.bcache.priorityStats", .type = FLAG_BOOL, .dst = &priority_stats,
	  .def = "false", .help = "Expose expensive priority stats." },
};

const struct collector collector_bcache = {
	.name = "bcache", .default_on = true, .collect = collect_bcache, .src = SRC_DEVICE,
	COLLECTOR_FLAGS(bcache_flags),
};
