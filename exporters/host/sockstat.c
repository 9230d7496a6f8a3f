/*
 * sockstat: /proc/net/sockstat and sockstat6 (net/ipv4/proc.c,
 * net/ipv6/proc.c): "sockets: used N" and "PROTO: key value ..." lines.  As
 * node_exporter 1.5's sockstat_linux.go: node_sockstat_sockets_used, then per
 * protocol node_sockstat_<PROTO>_<key> for the keys procfs knows (inuse
 * always; orphan, tw, alloc, mem, memory when present), plus <PROTO>_mem_bytes
 * = mem * page size.  A missing file (no IPv6) is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "util.h"

static const char *const sock_keys[] = { "inuse", "orphan", "tw", "alloc", "mem", "memory" };
#define NKEYS 6

static int emit(struct metrics_writer *w, const char *proto, const char *key, uint64_t v)
{
	char name[128], help[160];

	str_join(name, sizeof(name), "node_sockstat_", proto, "_", key, (char *)NULL);
	str_join(help, sizeof(help), "Number of ", proto, " sockets in state ", key, ".", (char *)NULL);
	if (writer_family(w, name, METRIC_GAUGE, help, no_labels) < 0)
		return 0;	/* a protocol name the exposition cannot carry: skip */
	return writer_sample_u64(w, no_labels, v);
}

static int sockstat_file(struct collector_ctx *c, struct metrics_writer *w, const char *rel)
{
	struct rbuf *b = c->rb[0];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char *cur, *line;
	int r;

	r = pf_read(c, b, c->cfg->procfs, rel);
	if (r == -ENOENT) {
		c->err[0] = '\0';
		return 0;
	}
	if (r < 0)
		return r;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[32], *proto;
		size_t n = pf_split(line, f, 32), i, k, pl;
		uint64_t v[NKEYS] = { 0 }, u;
		bool have[NKEYS] = { false };

		if (n == 0)
			continue;
		pl = strlen(f[0]);
		if (pl < 2 || f[0][pl - 1] != ':' || n % 2 == 0)
			return ctx_error(c, -EINVAL, "malformed sockstat line in %s/%s: %s",
					 c->cfg->procfs, rel, f[0]);
		proto = f[0];
		proto[pl - 1] = '\0';
		if (strcmp(proto, "sockets") == 0) {
			if (n >= 3 && strcmp(f[1], "used") == 0 && pf_u64(f[2], &u) == 0) {
				r = writer_family(w, "node_sockstat_sockets_used", METRIC_GAUGE,
						  "Number of IPv4 sockets in use.", no_labels);
				if (r >= 0)
					r = writer_sample_u64(w, no_labels, u);
				if (r < 0)
					return r;
			}
			continue;
		}
		for (i = 1; i + 1 < n; i += 2) {
			if (pf_u64(f[i + 1], &u) < 0)
				return ctx_error(c, -EINVAL, "invalid value in %s/%s: %s %s",
						 c->cfg->procfs, rel, f[i], f[i + 1]);
			for (k = 0; k < NKEYS; k++)
				if (strcmp(f[i], sock_keys[k]) == 0) {
					v[k] = u;
					have[k] = true;
				}
		}
		have[0] = true;	/* procfs's InUse is not optional */
		for (k = 0; k < NKEYS; k++) {
			if (!have[k])
				continue;
			r = emit(w, proto, sock_keys[k], v[k]);
			if (r < 0)
				return r;
		}
		if (have[4]) {
			r = emit(w, proto, "mem_bytes", v[4] * page);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int collect_sockstat(struct collector_ctx *c, struct metrics_writer *w)
{
	int r = sockstat_file(c, w, "net/sockstat");

	if (r < 0)
		return r;
	return sockstat_file(c, w, "net/sockstat6");
}

const struct collector collector_sockstat = {
	.name = "sockstat", .default_on = true, .collect = collect_sockstat, .src = SRC_PROCFS,
};
