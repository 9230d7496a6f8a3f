/*
 * netstat: /proc/net/netstat and /proc/net/snmp (pairs of "Proto: names" /
 * "Proto: values" lines) and /proc/net/snmp6 ("Ip6InReceives value" lines,
 * split at the first '6'), as node_exporter 1.5's netstat_linux.go:
 * node_netstat_<Proto>_<Name> untyped, for keys matching
 * --collector.netstat.fields.  A missing snmp6 (IPv6 disabled) is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "util.h"

static int emit(struct collector_ctx *c, struct metrics_writer *w, const char *proto,
		const char *key, const char *val)
{
	/* "node_netstat_" + proto + "_" + key, built once: full is its tail.
	 * This runs for every one of the ~400 counters, so no printf here. */
	static const char prefix[] = "node_netstat_";
	char name[256], help[256], *full = name + sizeof(prefix) - 1;
	size_t pl = strlen(proto), kl = strlen(key);
	double d = 0;
	uint64_t u = 0;
	bool isint;

	isint = pf_u64(val, &u) == 0;
	if (!isint && pf_double(val, &d) < 0)
		return ctx_error(c, -EINVAL, "invalid value %s in netstats", val);
	if (sizeof(prefix) + pl + 1 + kl > sizeof(name))
		return 0;
	memcpy(name, prefix, sizeof(prefix) - 1);
	memcpy(full, proto, pl);
	full[pl] = '_';
	memcpy(full + pl + 1, key, kl + 1);
	if (!host_regex_match(&c->cfg->netstat_fields, full))
		return 0;
	str_join(help, sizeof(help), "Statistic ", proto, key, ".", (char *)NULL);
	if (writer_family(w, name, METRIC_UNTYPED, help, no_labels) < 0)
		return 0;
	return isint ? writer_sample_u64(w, no_labels, u) : writer_sample(w, no_labels, d);
}

static int pairs_file(struct collector_ctx *c, struct metrics_writer *w, const char *rel)
{
	struct rbuf *b = c->rb[0];
	char *cur, *names, *vals;
	int r;

	r = pf_read(c, b, c->cfg->procfs, rel);
	if (r < 0)
		return r;
	cur = b->data;
	while ((names = pf_next_line(&cur))) {
		char *nf[512], *vf[512];
		size_t nn, nv, i, pl;

		if (!*names)
			continue;
		vals = pf_next_line(&cur);
		if (!vals)
			return ctx_error(c, -EINVAL, "%s/%s: header line without values", c->cfg->procfs, rel);
		nn = pf_split(names, nf, 512);
		nv = pf_split(vals, vf, 512);
		if (nn != nv || nn == 0)
			return ctx_error(c, -EINVAL, "mismatch field count mismatch in %s/%s: %s",
					 c->cfg->procfs, rel, nn ? nf[0] : "");
		pl = strlen(nf[0]);
		if (pl < 2 || nf[0][pl - 1] != ':' || strcmp(nf[0], vf[0]) != 0)
			return ctx_error(c, -EINVAL, "%s/%s: mismatched protocol lines %s / %s",
					 c->cfg->procfs, rel, nf[0], vf[0]);
		nf[0][pl - 1] = '\0';
		for (i = 1; i < nn; i++) {
			r = emit(c, w, nf[0], nf[i], vf[i]);
			if (r < 0)
				return r;
		}
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
		r = emit(c, w, proto, six + 1, f[1]);
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
