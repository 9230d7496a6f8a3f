/*
 * ipvs: IP Virtual Server statistics, as node_exporter 1.5's ipvs_linux.go
 * over procfs 0.8's IPVSStats / IPVSBackendStatus.
 *
 * /proc/net/ip_vs_stats: two header lines, then the totals as five hex
 * fields (connections, packets in, packets out, bytes in, bytes out) —
 * node_ipvs_*_total.  Missing (no ip_vs module): no data.
 *
 * /proc/net/ip_vs: virtual services ("TCP|UDP HEXIP:HEXPORT sched" or
 * "FWM MARK sched", IPv6 as "[full address]:HEXPORT") each followed by
 * "-> REAL:PORT Forward Weight ActiveConn InActConn" lines; the backends'
 * weight and connection counts become node_ipvs_backend_* gauges, summed
 * over the backends that share the labels --collector.ipvs.backend-labels
 * keeps (any of local_address, local_port, remote_address, remote_port,
 * proto, local_mark; exposed in name order as node_exporter does).  Lines of another protocol (SCTP) are
 * not service lines there, so their backends count under the service
 * before them, as node_exporter does; a one-field line, on which
 * node_exporter 1.5 panics, is skipped.  Addresses print as Go's net.IP
 * does (IPv4-mapped IPv6 as dotted quad, "::" for the first longest run of
 * two or more zero groups).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

/* In the order node_exporter exposes them (client_golang sorts label names);
 * the flag's order does not matter. */
enum { L_LADDR, L_MARK, L_LPORT, L_PROTO, L_RADDR, L_RPORT, NLABELS };
static const char *const all_labels[NLABELS] = {
	"local_address", "local_mark", "local_port", "proto", "remote_address", "remote_port",
};
static const char *arg_backend_labels;
static const char *sel_names[NLABELS + 1];	/* selected, in fixed order, NULL-ended */
static int sel_idx[NLABELS];
static int nsel;

struct ipvs_backend {
	char laddr[48], lport[8], raddr[48], rport[8];
	const char *proto, *mark;	/* into the read buffer (or "") */
	uint64_t weight, active, inactive;
};

static const char *label_of(const struct ipvs_backend *b, int l)
{
	switch (l) {
	case L_LADDR: return b->laddr;
	case L_LPORT: return b->lport;
	case L_RADDR: return b->raddr;
	case L_RPORT: return b->rport;
	case L_PROTO: return b->proto;
	default: return b->mark;
	}
}

static int cmp_backend(const void *a, const void *b)
{
	for (int i = 0; i < nsel; i++) {
		int r = strcmp(label_of(a, sel_idx[i]), label_of(b, sel_idx[i]));

		if (r)
			return r;
	}
	return 0;
}

/* net.IP.String() of a 16-byte address. */
static void fmt_ip6(const unsigned char *ip, char *out, size_t n)
{
	static const unsigned char v4pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int best = -1, bestlen = 0, i;
	size_t len = 0;

	if (!memcmp(ip, v4pfx, 12)) {
		snprintf(out, n, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
		return;
	}
	for (i = 0; i < 8;) {
		int j = i;

		while (j < 8 && !ip[2 * j] && !ip[2 * j + 1])
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (bestlen < 2)
		best = -1;
	out[0] = '\0';
	for (i = 0; i < 8; i++) {
		if (i == best) {
			len += (size_t)snprintf(out + len, n - len, "::");
			i += bestlen - 1;
			continue;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%x", len && out[len - 1] != ':' ? ":" : "",
					ip[2 * i] << 8 | ip[2 * i + 1]);
	}
}

/* procfs's parseIPPort: "0A000001:0050" or "[v6 full]:0050". */
static int parse_ip_port(const char *s, char *addr, size_t alen, char *port, size_t plen)
{
	size_t len = strlen(s);
	uint64_t p;

	if (len == 13) {
		unsigned char ip[4];

		for (int i = 0; i < 4; i++) {
			char hx[3] = { s[2 * i], s[2 * i + 1], 0 };
			uint64_t v;

			if (go_parse_uint(hx, 16, 8, &v) < 0)
				return -EINVAL;
			ip[i] = (unsigned char)v;
		}
		snprintf(addr, alen, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	} else if (len == 46) {
		char txt[40];
		unsigned char ip[16];

		memcpy(txt, s + 1, 39);
		txt[39] = '\0';
		if (inet_pton(AF_INET6, txt, ip) != 1)
			return -EINVAL;
		fmt_ip6(ip, addr, alen);
	} else {
		return -EINVAL;
	}
	if (go_parse_uint(s + len - 4, 16, 16, &p) < 0)
		return -EINVAL;
	snprintf(port, plen, "%u", (unsigned)p);
	return 0;
}

static int read_stats(struct collector_ctx *c, uint64_t v[5])
{
	char *s = c->rb[0]->data, *line = NULL, *f[5];
	int nl = 0, r;

	r = pf_read_optional(c, c->rb[0], c->cfg->procfs, "net/ip_vs_stats");
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return r;
	s = c->rb[0]->data;
	/* strings.SplitN(content, "\n", 4): the third line, if 3 newlines follow it */
	for (char *p = s; *p && nl < 3; p++) {
		if (*p != '\n')
			continue;
		if (++nl == 2)
			line = p + 1;
		if (nl == 3)
			*p = '\0';
	}
	if (nl < 3)
		return ctx_error(c, -EINVAL, "could not get IPVS stats: ip_vs_stats corrupt: too short");
	if (go_fields(line, f, 5) != 5)
		return ctx_error(c, -EINVAL,
				 "could not get IPVS stats: ip_vs_stats corrupt: unexpected number of fields");
	for (int i = 0; i < 5; i++)
		if (go_parse_uint(f[i], 16, 64, &v[i]) < 0)
			return ctx_error(c, -EINVAL, "could not get IPVS stats: bad hex value \"%.40s\"", f[i]);
	return 0;
}

int collect_ipvs(struct collector_ctx *c, struct metrics_writer *w)
{
	static const struct {
		const char *name, *help;
	} tot[5] = {
		{ "node_ipvs_connections_total", "The total number of connections made." },
		{ "node_ipvs_incoming_packets_total", "The total number of incoming packets." },
		{ "node_ipvs_outgoing_packets_total", "The total number of outgoing packets." },
		{ "node_ipvs_incoming_bytes_total", "The total amount of incoming data." },
		{ "node_ipvs_outgoing_bytes_total", "The total amount of outgoing data." },
	};
	struct rbuf *b = c->rb[0], *arr = c->rb[1];
	struct ipvs_backend cur_svc = { .proto = "", .mark = "" }, *be;
	uint64_t v[5];
	char *cur, *line;
	size_t n = 0, i, j;
	int r;

	if ((r = read_stats(c, v)) < 0)
		return r;
	for (i = 0; i < 5; i++)
		if ((r = wr_one(w, tot[i].name, METRIC_COUNTER, tot[i].help, (double)v[i])) < 0)
			return r;

	if ((r = pf_read(c, b, c->cfg->procfs, "net/ip_vs")) < 0)
		return r;
	strcpy(cur_svc.lport, "0");
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[6];
		size_t nf;

		go_trim_cr(line, strlen(line));
		nf = go_fields(line, f, 6);
		if (nf < 2)
			continue;	/* node_exporter 1.5 panics on a one-field line */
		if (!strcmp(f[0], "IP") || !strcmp(f[0], "Prot") || !strcmp(f[1], "RemoteAddress:Port"))
			continue;
		if (!strcmp(f[0], "TCP") || !strcmp(f[0], "UDP")) {
			cur_svc.proto = f[0];
			cur_svc.mark = "";
			if (parse_ip_port(f[1], cur_svc.laddr, sizeof(cur_svc.laddr), cur_svc.lport,
					  sizeof(cur_svc.lport)) < 0)
				return ctx_error(c, -EINVAL, "could not get backend status: unexpected IP:Port: %.60s", f[1]);
		} else if (!strcmp(f[0], "FWM")) {
			cur_svc.proto = f[0];
			cur_svc.mark = f[1];
			cur_svc.laddr[0] = '\0';
			strcpy(cur_svc.lport, "0");
		} else if (!strcmp(f[0], "->")) {
			struct ipvs_backend one = cur_svc;

			if (nf < 6)
				continue;
			if (parse_ip_port(f[1], one.raddr, sizeof(one.raddr), one.rport, sizeof(one.rport)) < 0)
				return ctx_error(c, -EINVAL, "could not get backend status: unexpected IP:Port: %.60s", f[1]);
			if (go_parse_uint(f[3], 10, 64, &one.weight) < 0 ||
			    go_parse_uint(f[4], 10, 64, &one.active) < 0 ||
			    go_parse_uint(f[5], 10, 64, &one.inactive) < 0)
				return ctx_error(c, -EINVAL, "could not get backend status: bad number in \"%.80s\"", f[1]);
			if ((r = rbuf_reserve(arr, (n + 1) * sizeof(one))) < 0)
				return ctx_error(c, r, "ipvs: %s", strerror(-r));
			memcpy(arr->data + n * sizeof(one), &one, sizeof(one));
			n++;
		}
	}
	if (!n)
		return 0;
	be = (struct ipvs_backend *)(void *)arr->data;
	qsort(be, n, sizeof(*be), cmp_backend);
	/* sum runs of equal label tuples into their first element */
	for (i = 1, j = 0; i < n; i++) {
		if (!cmp_backend(&be[j], &be[i])) {
			be[j].weight += be[i].weight;
			be[j].active += be[i].active;
			be[j].inactive += be[i].inactive;
		} else {
			be[++j] = be[i];
		}
	}
	n = j + 1;
	static const struct {
		const char *name, *help;
	} fam[3] = {
		{ "node_ipvs_backend_connections_active", "The current active connections by local and remote address." },
		{ "node_ipvs_backend_connections_inactive", "The current inactive connections by local and remote address." },
		{ "node_ipvs_backend_weight", "The current backend weight by local and remote address." },
	};
	for (int k = 0; k < 3; k++) {
		if ((r = writer_family(w, fam[k].name, METRIC_GAUGE, fam[k].help, sel_names)) < 0)
			return r;
		for (i = 0; i < n; i++) {
			const char *lv[NLABELS];
			uint64_t x = k == 0 ? be[i].active : k == 1 ? be[i].inactive : be[i].weight;

			for (int l = 0; l < nsel; l++)
				lv[l] = label_of(&be[i], sel_idx[l]);
			if ((r = writer_sample(w, lv, (double)x)) < 0)
				return r;
		}
	}
	return 0;
}

/* parseIpvsLabels: a comma list; unknown names are an error (node_exporter
 * lists them sorted, we in the order given). */
static int ipvs_init(const struct flagset *fs, char *err, size_t errlen)
{
	const char *s = arg_backend_labels ? arg_backend_labels : "";
	bool want[NLABELS] = { false };
	char unknown[512] = "";
	size_t ul = 0;

	(void)fs;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int k;

		for (k = 0; k < NLABELS; k++)
			if (strlen(all_labels[k]) == len && !strncmp(all_labels[k], s, len))
				break;
		if (k < NLABELS)
			want[k] = true;
		else if (len && ul < sizeof(unknown) - 1)
			ul += (size_t)snprintf(unknown + ul, sizeof(unknown) - ul, "%s%.*s", ul ? ", " : "",
					       (int)len, s);
		s += len + (e ? 1 : 0);
	}
	if (ul) {
		snprintf(err, errlen, "invalid value for flag '--collector.ipvs.backend-labels': unknown IPVS backend labels: \"%s\"",
			 unknown);
		return -EINVAL;
	}
	nsel = 0;
	for (int k = 0; k < NLABELS; k++)
		if (want[k]) {
			sel_idx[nsel] = k;
			sel_names[nsel++] = all_labels[k];
		}
	sel_names[nsel] = NULL;
	return 0;
}

static const struct flag ipvs_flags[] = {
	{ .name = "collector.ipvs.backend-labels", .type = FLAG_STRING, .dst = &arg_backend_labels,
	  .def = "local_address,local_port,remote_address,remote_port,proto,local_mark",
	  .help = "Comma separated list for IPVS backend stats labels." },
};

const struct collector collector_ipvs = {
	.name = "ipvs", .default_on = true, .collect = collect_ipvs, .src = SRC_PROCFS,
	COLLECTOR_FLAGS(ipvs_flags), .init = ipvs_init,
};
