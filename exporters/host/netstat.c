/*
 * netstat: /proc/net/netstat and /proc/net/snmp (pairs of "Proto: names" /
 * "Proto: values" lines) and /proc/net/snmp6 ("Ip6InReceives value" lines,
 * split at the first '6'), as node_exporter 1.5's netstat_linux.go:
 * node_netstat_<Proto>_<Name> untyped, for keys matching
 * --collector.netstat.fields.  A missing snmp6 (IPv6 disabled) is skipped.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "util.h"

/*
 * Emit one counter (or not, per --collector.netstat.fields).  want: 1 or 0
 * when the caller already knows whether the field matches (the names-line
 * memo below), -1 to ask the regex; *ret_match gets the answer.
 */
static int emit(struct collector_ctx *c, struct metrics_writer *w, const char *proto,
		const char *key, const char *val, int want, bool *ret_match)
{
	/* "node_netstat_" + proto + "_" + key, built once: full is its tail.
	 * This runs for every one of the ~400 counters, so no printf here. */
	static const char prefix[] = "node_netstat_";
	char name[256], help[256], *full = name + sizeof(prefix) - 1;
	size_t pl, kl;
	double d = 0;
	uint64_t u = 0;
	bool isint;

	*ret_match = false;
	/* Parsed before the filter, as netstat_linux.go does: a bad value
	 * fails the collector even in a field nobody exports. */
	isint = pf_u64(val, &u) == 0;
	if (!isint && pf_double(val, &d) < 0)
		return ctx_error(c, -EINVAL, "invalid value %s in netstats", val);
	if (want == 0)
		return 0;
	pl = strlen(proto);
	kl = strlen(key);
	if (sizeof(prefix) + pl + 1 + kl > sizeof(name))
		return 0;
	memcpy(name, prefix, sizeof(prefix) - 1);
	memcpy(full, proto, pl);
	full[pl] = '_';
	memcpy(full + pl + 1, key, kl + 1);
	if (want < 0 && !host_regex_match_n(&c->cfg->netstat_fields, full, pl + 1 + kl))
		return 0;
	*ret_match = true;
	str_join(help, sizeof(help), "Statistic ", proto, key, ".", (char *)NULL);
	if (writer_family(w, name, METRIC_UNTYPED, help, no_labels) < 0)
		return 0;
	return isint ? writer_sample_u64(w, no_labels, u) : writer_sample(w, no_labels, d);
}

/*
 * The names-line memo: /proc/net/netstat and /proc/net/snmp name their ~300
 * counters in header lines that are the same on every read (the kernel's
 * compiled-in MIB tables), and the field regex is fixed for the process.
 * So which fields of a header line match is remembered per (regex source,
 * line text): later scrapes compare the line (one memcmp) and skip building
 * and looking up ~300 names, of which ~30 match (perf: the lookups were
 * the collector's largest user-space cost).  Entries are immutable,
 * published once by compare-and-swap and kept for the process's life (a
 * worker left in a hung read may still look them up at exit); a line not
 * seen before (a new kernel MIB, another regex) takes the slow path and is
 * added while slots last.
 */
#define LM_SLOTS 32u
#define LM_FIELDS 512u

struct line_memo {
	uint64_t h;
	size_t len, nf;
	const char *src;	/* the regex source (copy below) */
	char *line;		/* copy, len bytes + NUL */
	unsigned char match[LM_FIELDS];
	char text[];		/* line, then src */
};

static _Atomic(struct line_memo *) lm_slot[LM_SLOTS];

static const struct line_memo *lm_find(const char *line, size_t len, uint64_t h, const char *src)
{
	for (size_t i = 0; i < LM_SLOTS; i++) {
		const struct line_memo *m = atomic_load_explicit(&lm_slot[i], memory_order_acquire);

		if (!m)
			return NULL;
		if (m->h == h && m->len == len && strcmp(m->src, src) == 0 &&
		    memcmp(m->line, line, len) == 0)
			return m;
	}
	return NULL;
}

static void lm_add(const char *line, size_t len, uint64_t h, const char *src, size_t nf,
		   const unsigned char *match)
{
	size_t sl = strlen(src);
	struct line_memo *m = malloc(sizeof(*m) + len + 1 + sl + 1);

	if (!m)
		return;
	m->h = h;
	m->len = len;
	m->nf = nf;
	m->line = m->text;
	memcpy(m->line, line, len);
	m->line[len] = '\0';
	memcpy(m->text + len + 1, src, sl + 1);
	m->src = m->text + len + 1;
	memcpy(m->match, match, nf);
	for (size_t i = 0; i < LM_SLOTS; i++) {
		struct line_memo *empty = NULL;

		/* failure: acquire, as lm_find's load (empty is read below) */
		if (atomic_compare_exchange_strong_explicit(&lm_slot[i], &empty, m, memory_order_release,
							    memory_order_acquire))
			return;
		if (empty->h == h && empty->len == len && strcmp(empty->src, src) == 0 &&
		    memcmp(empty->line, line, len) == 0)
			break;	/* another scrape added the same line */
	}
	free(m);
}

static int pairs_file(struct collector_ctx *c, struct metrics_writer *w, const char *rel)
{
	struct rbuf *b = c->rb[0];
	const char *src = c->cfg->netstat_fields.src ? c->cfg->netstat_fields.src : "";
	char *cur, *names, *vals;
	int r;

	r = pf_read(c, b, c->cfg->procfs, rel);
	if (r < 0)
		return r;
	cur = b->data;
	while ((names = pf_next_line(&cur))) {
		char *nf[LM_FIELDS], *vf[LM_FIELDS];
		unsigned char seen[LM_FIELDS];
		size_t nn, nv, i, pl, len = strlen(names);
		uint64_t h = pf_hash(names, len);
		const struct line_memo *m = lm_find(names, len, h, src);
		char *copy = NULL;

		if (!*names)
			continue;
		vals = pf_next_line(&cur);
		if (!vals)
			return ctx_error(c, -EINVAL, "%s/%s: header line without values", c->cfg->procfs, rel);
		if (!m)	/* the line as read, for the memo (split below cuts it) */
			copy = strndup(names, len);
		nn = pf_split(names, nf, LM_FIELDS);
		nv = pf_split(vals, vf, LM_FIELDS);
		if (nn != nv || nn == 0) {
			free(copy);
			return ctx_error(c, -EINVAL, "mismatch field count mismatch in %s/%s: %s",
					 c->cfg->procfs, rel, nn ? nf[0] : "");
		}
		pl = strlen(nf[0]);
		if (pl < 2 || nf[0][pl - 1] != ':' || strcmp(nf[0], vf[0]) != 0) {
			free(copy);
			return ctx_error(c, -EINVAL, "%s/%s: mismatched protocol lines %s / %s",
					 c->cfg->procfs, rel, nf[0], vf[0]);
		}
		nf[0][pl - 1] = '\0';
		seen[0] = 0;
		for (i = 1; i < nn; i++) {
			bool hit;

			r = emit(c, w, nf[0], nf[i], vf[i], m && i < m->nf ? m->match[i] : -1, &hit);
			if (r < 0) {
				free(copy);
				return r;
			}
			seen[i] = hit;
		}
		if (copy && nn < LM_FIELDS)
			lm_add(copy, len, h, src, nn, seen);
		free(copy);
	}
	return 0;
}

static int snmp6_file(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
	char *cur, *line;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "net/snmp6");
	if (r == -ENOENT) {
		c->err[0] = '\0';
		return 0;	/* IPv6 disabled */
	}
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[3], proto[64], *six;
		size_t n = pf_split(line, f, 3);

		if (n < 2)
			continue;
		six = strchr(f[0], '6');
		if (!six || (size_t)(six - f[0]) + 2 > sizeof(proto))
			continue;	/* node_exporter expects a "6" in the name */
		memcpy(proto, f[0], (size_t)(six - f[0]) + 1);
		proto[six - f[0] + 1] = '\0';
		r = emit(c, w, proto, six + 1, f[1], -1, &(bool){ false });
		if (r < 0)
			return r;
	}
	return 0;
}

int collect_netstat(struct collector_ctx *c, struct metrics_writer *w)
{
	int r = pairs_file(c, w, "net/netstat");

	if (r >= 0)
		r = pairs_file(c, w, "net/snmp");
	if (r >= 0)
		r = snmp6_file(c, w);
	return r;
}

static const struct flag netstat_flags[] = {
	{ .name = "collector.netstat.fields", .type = FLAG_STRING,
	  .dst = &host_cfg.netstat_fields.src,
	  .def = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|"
		 "Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|"
		 "Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|"
		 "Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$",
	  .help = "Regexp of fields to return for netstat collector.",
	  .check = host_regex_flag_check },
};

static void netstat_teardown(void)
{
	host_regex_free(&host_cfg.netstat_fields);
}

const struct collector collector_netstat = {
	.name = "netstat", .default_on = true, .collect = collect_netstat, .src = SRC_PROCFS,
	COLLECTOR_FLAGS(netstat_flags), .teardown = netstat_teardown,
};
