/*
 * udp_queues: node_udp_queues{ip="v4"|"v6",queue="tx"|"rx"}, the bytes
 * queued in the kernel for UDP sockets: the sums of the tx_queue:rx_queue
 * column (hex, the 5th field) of every socket line of /proc/net/udp and
 * /proc/net/udp6 (proc(5)), as node_exporter 1.5's udp_queues_linux.go
 * (procfs NetUDPSummary: a header line, then lines of at least 10 fields).
 * A missing file skips its protocol; both missing is no data.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "util.h"

static int hex_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		int d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -EINVAL;
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | (uint64_t)d;
	}
	*ret = v;
	return 0;
}

/* Sums of one file's queues: 0, -ENOENT, or another error (described). */
static int sum_file(struct collector_ctx *c, const char *rel, uint64_t *tx, uint64_t *rx)
{
	struct rbuf *b = c->rb[0];
	char path[4096], *cur, *line;
	int r, ln = 0;

	*tx = *rx = 0;
	if ((r = pf_path(path, sizeof(path), c->cfg->procfs, rel)) < 0)
		return ctx_error(c, r, "%s/%s: path too long", c->cfg->procfs, rel);
	r = pf_read_quiet(b, path);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return ctx_error(c, r, "couldn't get udp queued bytes: read %s: %s", path, strerror(-r));
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[12], *colon;
		uint64_t t, x;
		size_t n;

		if (ln++ == 0)
			continue;	/* the header */
		n = pf_split(line, f, 12);
		if (n == 0)
			continue;
		if (n < 10)
			return ctx_error(c, -EINVAL, "couldn't get udp queued bytes: %s line %d: fewer than 10 columns",
					 path, ln);
		colon = strchr(f[4], ':');
		if (!colon || hex_u64(f[4], (size_t)(colon - f[4]), &t) < 0 ||
		    hex_u64(colon + 1, strlen(colon + 1), &x) < 0)
			return ctx_error(c, -EINVAL, "couldn't get udp queued bytes: %s line %d: bad tx_queue:rx_queue \"%.40s\"",
					 path, ln, f[4]);
		*tx += t;
		*rx += x;
	}
	return 0;
}

int collect_udp_queues(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const names[] = { "ip", "queue", NULL };
	static const char *const files[] = { "net/udp", "net/udp6" };
	static const char *const ips[] = { "v4", "v6" };
	uint64_t tx[2], rx[2];
	int r[2];

	for (int i = 0; i < 2; i++) {
		r[i] = sum_file(c, files[i], &tx[i], &rx[i]);
		if (r[i] < 0 && r[i] != -ENOENT)
			return r[i];
	}
	if (r[0] == -ENOENT && r[1] == -ENOENT)
		return -ENODATA;
	if (writer_family(w, "node_udp_queues", METRIC_GAUGE,
			  "Number of allocated memory in the kernel for UDP datagrams in bytes.", names) < 0)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		if (r[i] < 0)
			continue;
		if (writer_sample_u64(w, (const char *const[]){ ips[i], "tx" }, tx[i]) < 0 ||
		    writer_sample_u64(w, (const char *const[]){ ips[i], "rx" }, rx[i]) < 0)
			return -EINVAL;
	}
	return 0;
}

const struct collector collector_udp_queues = {
	.name = "udp_queues", .default_on = true, .collect = collect_udp_queues, .src = SRC_PROCFS,
};
