/*
 * mdadm: Linux software RAID from /proc/mdstat (Documentation/admin-guide/
 * md.rst; drivers/md/md.c md_seq_show), as node_exporter 1.5's
 * mdadm_linux.go with the procfs MDStat parser it was built with.  Per array:
 *
 *   md0 : active raid1 sdb1[1](F) sda1[0] sdc1[2](S)     <- device line
 *         1048512 blocks super 1.2 [2/1] [U_]           <- status line
 *         [=>......]  recovery = 8.5% (89600/1048512) finish=2.1min speed=7466K/sec
 *         bitmap: 0/1 pages [0KB], 65536KB chunk          (optional, before it)
 *
 * A line that is blank, starts with a space or with "Personalities"/"unused"
 * is not a device line.  Every other line is: at least 3 fields (name, ":",
 * state) and 3 more lines after it in the file, or the whole file is an
 * error.  (F) and (S) on the device line count failed and spare disks.  The
 * status line's first field is the size in blocks; raid0/linear take the
 * disk count from the "[" on the device line, an inactive array has no
 * disks; any other needs "N blocks ... [total/active] [U_...]" (the last
 * such bracket pair).  The line after the status line (after the bitmap
 * line if that follows) names a running recovery/check/resync; the array's
 * state then becomes recovering/checking/resyncing and its synced blocks
 * come from "(synced/total)" -- 0 while it is PENDING or DELAYED -- and the
 * line must also carry "= pct%", "finish=Nmin" and "speed=N.../sec" or the
 * file is an error.  Otherwise synced = size.
 *
 * Series (gauges, per array, as node_exporter): node_md_disks_required,
 * node_md_disks{state=active|failed|spare}, node_md_state{state=active|
 * inactive|recovering|resync|check} (1 for the array's state: "resync" is 1
 * while resyncing, "check" while checking), node_md_blocks,
 * node_md_blocks_synced.  node-mixin's NodeRAIDDegraded compares
 * node_md_disks_required with node_md_disks{state="active"};
 * NodeRAIDDiskFailure alerts on node_md_disks{state="failed"} > 0.
 * No /proc/mdstat (no md driver): no data.  node_exporter 1.5 reads nothing
 * of /sys/block/md*\/md, so neither do we.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

struct md {
	const char *name, *state;
	int64_t active, total, failed, spare, size, synced;
};

struct line {
	char *s;
	size_t len;
};

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* s[0..len) contains the NUL-free needle? */
static const char *find(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

static int64_t count(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	int64_t k = 0;

	for (size_t i = 0; i + n <= len;)
		if (memcmp(s + i, needle, n) == 0)
			k++, i += n;
		else
			i++;
	return k;
}

/* Go's strconv.ParseInt(s, 10, 64) of s[0..len): sign allowed, no blanks. */
static int parse_i64(const char *s, size_t len, int64_t *ret)
{
	bool neg = false;
	uint64_t v = 0, lim;
	size_t i = 0;

	if (len && (s[0] == '+' || s[0] == '-'))
		neg = s[0] == '-', i = 1;
	if (i == len)
		return -EINVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static bool go_float_ok(const char *s, size_t len)
{
	double v;

	return go_parse_float(s, len, &v) == 0;
}

/* Go regexp `\((\d+)/\d+\)`, leftmost: the first group's digits. */
static bool match_synced(const char *s, size_t len, const char **g, size_t *glen)
{
	for (size_t i = 0; i < len; i++) {
		size_t a, b;

		if (s[i] != '(')
			continue;
		for (a = i + 1; a < len && s[a] >= '0' && s[a] <= '9'; a++)
			;
		if (a == i + 1 || a >= len || s[a] != '/')
			continue;
		for (b = a + 1; b < len && s[b] >= '0' && s[b] <= '9'; b++)
			;
		if (b == a + 1 || b >= len || s[b] != ')')
			continue;
		*g = s + i + 1;
		*glen = a - i - 1;
		return true;
	}
	return false;
}

/* Go regexp `PRE(.+)END` where END is the string end or, if end is NULL,
 * any uppercase ASCII letter: the leftmost PRE, the group greedy up to the
 * last END after at least one character. */
static bool match_greedy(const char *s, size_t len, const char *pre, const char *end,
			 const char **g, size_t *glen)
{
	size_t pl = strlen(pre), el = end ? strlen(end) : 1;
	size_t last = SIZE_MAX;

	/* the last END in the line */
	for (size_t i = len; i-- > 0;) {
		if (i + el > len)
			continue;
		if (end ? memcmp(s + i, end, el) == 0 : (s[i] >= 'A' && s[i] <= 'Z')) {
			last = i;
			break;
		}
	}
	if (last == SIZE_MAX)
		return false;
	for (size_t i = 0; i + pl <= len; i++)
		if (memcmp(s + i, pre, pl) == 0 && last >= i + pl + 1) {
			*g = s + i + pl;
			*glen = last - (i + pl);
			return true;
		}
	return false;
}

/* evalRecoveryLine: synced blocks; every other part must parse as well. */
static int eval_recovery(struct collector_ctx *c, const struct line *l, const char *md, int64_t *synced)
{
	const char *g;
	size_t gl;

	if (!match_synced(l->s, l->len, &g, &gl))
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": unexpected recoveryLine: %.80s",
				 md, l->s);
	if (parse_i64(g, gl, synced) < 0)
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": bad synced blocks", md);
	if (!match_greedy(l->s, l->len, "= ", "%", &g, &gl))
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": no percentage", md);
	while (gl && is_space(*g))
		g++, gl--;
	while (gl && is_space(g[gl - 1]))
		gl--;
	if (!go_float_ok(g, gl))
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": bad percentage", md);
	if (!match_greedy(l->s, l->len, "finish=", "min", &g, &gl) || !go_float_ok(g, gl))
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": bad finish time", md);
	if (!match_greedy(l->s, l->len, "speed=", NULL, &g, &gl) || !go_float_ok(g, gl))
		return ctx_error(c, -EINVAL, "error parsing sync line in md device \"%s\": bad speed", md);
	return 0;
}

/* The tail `\[(\d+)/(\d+)\] \[([U_]+)\]` at s[i..len)? */
static bool match_tail(const char *s, size_t len, size_t i, struct line *tot, struct line *act)
{
	size_t a, b, u;

	if (s[i] != '[')
		return false;
	for (a = i + 1; a < len && s[a] >= '0' && s[a] <= '9'; a++)
		;
	if (a == i + 1 || a >= len || s[a] != '/')
		return false;
	for (b = a + 1; b < len && s[b] >= '0' && s[b] <= '9'; b++)
		;
	if (b == a + 1 || b + 2 >= len || s[b] != ']' || s[b + 1] != ' ' || s[b + 2] != '[')
		return false;
	for (u = b + 3; u < len && (s[u] == 'U' || s[u] == '_'); u++)
		;
	if (u == b + 3 || u >= len || s[u] != ']')
		return false;
	tot->s = (char *)(uintptr_t)(s + i + 1);
	tot->len = a - i - 1;
	act->s = (char *)(uintptr_t)(s + a + 1);
	act->len = b - a - 1;
	return true;
}

/* Go regexp `(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]`: total, active. */
static bool match_status(const char *s, size_t len, struct line *tot, struct line *act)
{
	const char *b = NULL;

	for (size_t i = 1; i + 8 <= len; i++)
		if (memcmp(s + i, " blocks ", 8) == 0 && s[i - 1] >= '0' && s[i - 1] <= '9') {
			b = s + i + 8;
			break;
		}
	if (!b)
		return false;
	for (size_t i = len; i-- > (size_t)(b - s);)
		if (match_tail(s, len, i, tot, act))
			return true;
	return false;
}

static int eval_status(struct collector_ctx *c, const struct line *dev, const struct line *st,
		       struct md *m)
{
	struct line tot, act;
	const char *f = st->s, *e = st->s + st->len;

	while (f < e && is_space(*f))
		f++;
	if (f == e)
		return ctx_error(c, -EINVAL, "error parsing md device lines: unexpected statusLine \"%.80s\"", st->s);
	for (e = f; e < st->s + st->len && !is_space(*e); e++)
		;
	if (parse_i64(f, (size_t)(e - f), &m->size) < 0)
		return ctx_error(c, -EINVAL, "error parsing md device lines: unexpected statusLine \"%.80s\"", st->s);
	if (find(dev->s, dev->len, "raid0") || find(dev->s, dev->len, "linear")) {
		m->active = m->total = count(dev->s, dev->len, "[");
		return 0;
	}
	if (find(dev->s, dev->len, "inactive")) {
		m->active = m->total = 0;
		return 0;
	}
	if (!match_status(st->s, st->len, &tot, &act))
		return ctx_error(c, -EINVAL, "error parsing md device lines: couldn't find all the substring matches: %.80s",
				 st->s);
	if (parse_i64(tot.s, tot.len, &m->total) < 0 || parse_i64(act.s, act.len, &m->active) < 0)
		return ctx_error(c, -EINVAL, "error parsing md device lines: unexpected statusLine \"%.80s\"", st->s);
	return 0;
}

/* strings.Fields: how many fields s[0..len) has; the first max start in f
 * (not terminated: the caller ends them when done searching the line). */
static size_t fields(char *s, size_t len, char **f, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		while (i < len && is_space(s[i]))
			i++;
		if (i == len)
			break;
		if (n < max)
			f[n] = s + i;
		n++;
		while (i < len && !is_space(s[i]))
			i++;
	}
	return n;
}

static int parse(struct collector_ctx *c, struct line *lines, size_t nl, struct rbuf *arr,
		 size_t *ret_n)
{
	size_t nmd = 0;
	int r;

	for (size_t i = 0; i < nl; i++) {
		struct line *l = &lines[i];
		char *f[3];
		size_t nf, k, si;
		struct md *m;
		bool blank = true;

		for (k = 0; k < l->len && blank; k++)
			blank = is_space(l->s[k]);
		if (blank || l->s[0] == ' ' || has_prefix(l->s, "Personalities") || has_prefix(l->s, "unused"))
			continue;
		nf = fields(l->s, l->len, f, 3);
		if (nf < 3)
			return ctx_error(c, -EINVAL, "error parsing mdstat \"%s/mdstat\": not enough fields in mdline (expected at least 3): %.80s",
					 c->cfg->procfs, l->s);
		if (nl <= i + 3)
			return ctx_error(c, -EINVAL, "error parsing mdstat \"%s/mdstat\": too few lines for md device",
					 c->cfg->procfs);
		if ((r = rbuf_reserve(arr, (nmd + 1) * sizeof(struct md))) < 0)
			return ctx_error(c, r, "too many md devices");
		m = (struct md *)(void *)arr->data + nmd;
		memset(m, 0, sizeof(*m));
		m->failed = count(l->s, l->len, "(F)");
		m->spare = count(l->s, l->len, "(S)");
		if ((r = eval_status(c, l, &lines[i + 1], m)) < 0)
			return r;
		si = i + 2;
		if (find(lines[si].s, lines[si].len, "bitmap"))
			si++;
		m->synced = m->size;
		m->state = f[2];
		{
			const struct line *sl = &lines[si];
			bool rec = find(sl->s, sl->len, "recovery"), res = find(sl->s, sl->len, "resync"),
			     chk = find(sl->s, sl->len, "check");

			if (rec || res || chk) {
				m->state = rec ? "recovering" : chk ? "checking" : "resyncing";
				if (find(sl->s, sl->len, "PENDING") || find(sl->s, sl->len, "DELAYED"))
					m->synced = 0;
				else if ((r = eval_recovery(c, sl, f[0], &m->synced)) < 0)
					return r;
			}
		}
		/* end the name and state fields (after every search above) */
		f[0][strcspn(f[0], " \t\n\v\f\r")] = '\0';
		if (m->state == f[2])
			f[2][strcspn(f[2], " \t\n\v\f\r")] = '\0';
		m->name = f[0];
		nmd++;
	}
	*ret_n = nmd;
	return 0;
}

static int collect_mdadm(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	static const char *const dsl[] = { "device", "state", NULL };
	static const char *const disk_states[] = { "active", "failed", "spare" };
	/* node_md_state's state label and the parser's state it is 1 for */
	static const char *const st_label[] = { "active", "inactive", "recovering", "resync", "check" };
	static const char *const st_value[] = { "active", "inactive", "recovering", "resyncing", "checking" };
	struct rbuf *b = c->rb[0], *lb = c->rb[1], *arr = c->rb[2];
	struct line *lines;
	struct md *mds;
	size_t nl = 0, nmd = 0, i;
	char *p, *end;
	int r;

	if ((r = pf_read_optional(c, b, c->cfg->procfs, "mdstat")) < 0)
		return r == -ENOENT ? -ENODATA : r;
	/* strings.Split(data, "\n"): one line more than there are newlines */
	end = b->data + strlen(b->data);
	for (p = b->data;; p++) {
		char *nlp = memchr(p, '\n', (size_t)(end - p));

		if ((r = rbuf_reserve(lb, (nl + 1) * sizeof(struct line))) < 0)
			return ctx_error(c, r, "%s/mdstat: too many lines", c->cfg->procfs);
		lines = (struct line *)(void *)lb->data;
		lines[nl].s = p;
		lines[nl].len = nlp ? (size_t)(nlp - p) : (size_t)(end - p);
		nl++;
		if (!nlp)
			break;
		*nlp = '\0';
		p = nlp;
	}
	lines = (struct line *)(void *)lb->data;
	if ((r = parse(c, lines, nl, arr, &nmd)) < 0)
		return r;
	mds = (struct md *)(void *)arr->data;
	if (nmd == 0)
		return 0;

	if ((r = writer_family(w, "node_md_disks_required", METRIC_GAUGE, "Total number of disks of device.", dl)) < 0)
		return r;
	for (i = 0; i < nmd; i++)
		(void)writer_sample(w, (const char *const[]){ mds[i].name }, (double)mds[i].total);
	if ((r = writer_family(w, "node_md_disks", METRIC_GAUGE, "Number of active/failed/spare disks of device.", dsl)) < 0)
		return r;
	for (i = 0; i < nmd; i++) {
		const int64_t v[3] = { mds[i].active, mds[i].failed, mds[i].spare };

		for (int k = 0; k < 3; k++)
			(void)writer_sample(w, (const char *const[]){ mds[i].name, disk_states[k] }, (double)v[k]);
	}
	if ((r = writer_family(w, "node_md_state", METRIC_GAUGE, "Indicates the state of md-device.", dsl)) < 0)
		return r;
	for (i = 0; i < nmd; i++)
		for (int k = 0; k < 5; k++)
			(void)writer_sample(w, (const char *const[]){ mds[i].name, st_label[k] },
					    strcmp(mds[i].state, st_value[k]) == 0 ? 1 : 0);
	if ((r = writer_family(w, "node_md_blocks", METRIC_GAUGE, "Total number of blocks on device.", dl)) < 0)
		return r;
	for (i = 0; i < nmd; i++)
		(void)writer_sample(w, (const char *const[]){ mds[i].name }, (double)mds[i].size);
	if ((r = writer_family(w, "node_md_blocks_synced", METRIC_GAUGE, "Number of blocks synced on device.", dl)) < 0)
		return r;
	for (i = 0; i < nmd; i++)
		(void)writer_sample(w, (const char *const[]){ mds[i].name }, (double)mds[i].synced);
	return 0;
}

const struct collector collector_mdadm = {
	.name = "mdadm", .default_on = true, .collect = collect_mdadm, .src = SRC_PROCFS,
};
