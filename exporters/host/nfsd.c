/*
 * nfsd: NFS server statistics from /proc/net/rpc/nfsd, as node_exporter
 * 1.5's nfsd_linux.go over procfs 0.8's nfs.ParseServerRPCStats.  Lines
 * "key v1 v2 ..." (decimal): rc (3: reply cache hits, misses, nocache), fh
 * (5; only stale is exported), io (2: bytes read, written), th (threads and
 * the pool-full count; the rest of the line, floats on old kernels, is not
 * parsed), ra (12: cache size, 10 histogram buckets, not found), net (4),
 * rpc (5: calls, bad, bad format, bad auth, bad client), proc2 / proc3 (a
 * count, then that many per-procedure calls, at least 18 / 22), proc4
 * (exactly 2), proc4ops (at least 39).  Any other key (newer kernels' extra
 * lines too), a wrong count or a non-number fails the whole file; a missing
 * file (nfsd not loaded) is no data.  The procedures exported per version
 * are node_exporter's lists (no Null, no unused v4 op slots).
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

#define NFSD_MAXV 256

/* procfs's V2Stats / V3Stats / V4Ops field positions (after the count) and
 * the names node_exporter exports them under. */
static const struct nfsd_proc {
	int idx;
	const char *name;
} v2[] = {
	{ 1, "GetAttr" }, { 2, "SetAttr" }, { 3, "Root" }, { 4, "Lookup" }, { 5, "ReadLink" },
	{ 6, "Read" }, { 7, "WrCache" }, { 8, "Write" }, { 9, "Create" }, { 10, "Remove" },
	{ 11, "Rename" }, { 12, "Link" }, { 13, "SymLink" }, { 14, "MkDir" }, { 15, "RmDir" },
	{ 16, "ReadDir" }, { 17, "FsStat" },
}, v3[] = {
	{ 1, "GetAttr" }, { 2, "SetAttr" }, { 3, "Lookup" }, { 4, "Access" }, { 5, "ReadLink" },
	{ 6, "Read" }, { 7, "Write" }, { 8, "Create" }, { 9, "MkDir" }, { 10, "SymLink" },
	{ 11, "MkNod" }, { 12, "Remove" }, { 13, "RmDir" }, { 14, "Rename" }, { 15, "Link" },
	{ 16, "ReadDir" }, { 17, "ReadDirPlus" }, { 18, "FsStat" }, { 19, "FsInfo" },
	{ 20, "PathConf" }, { 21, "Commit" },
}, v4[] = {
	{ 3, "Access" }, { 4, "Close" }, { 5, "Commit" }, { 6, "Create" }, { 7, "DelegPurge" },
	{ 8, "DelegReturn" }, { 9, "GetAttr" }, { 10, "GetFH" }, { 11, "Link" }, { 12, "Lock" },
	{ 13, "Lockt" }, { 14, "Locku" }, { 15, "Lookup" }, { 16, "LookupRoot" }, { 17, "Nverify" },
	{ 18, "Open" }, { 19, "OpenAttr" }, { 20, "OpenConfirm" }, { 21, "OpenDgrd" },
	{ 22, "PutFH" }, { 25, "Read" }, { 26, "ReadDir" }, { 27, "ReadLink" }, { 28, "Remove" },
	{ 29, "Rename" }, { 30, "Renew" }, { 31, "RestoreFH" }, { 32, "SaveFH" }, { 33, "SecInfo" },
	{ 34, "SetAttr" }, { 35, "Verify" }, { 36, "Write" }, { 37, "RelLockOwner" },
};

struct nfsd_stats {
	uint64_t rc[3], fh[5], io[2], th[2], ra[12], net[4], rpc[5], p2[18], p3[22], p4[2], ops[39];
};

/* "count v..." with count == values and min <= count (exact: count == min). */
static int counted(const uint64_t *v, long nv, uint64_t *dst, size_t n, bool exact)
{
	if ((uint64_t)(nv - 1) != v[0] || v[0] < n || (exact && v[0] != n))
		return -EINVAL;
	memcpy(dst, v + 1, n * sizeof(*dst));
	return 0;
}

static int fixed(const uint64_t *v, long nv, uint64_t *dst, size_t n)
{
	if ((size_t)nv != n)
		return -EINVAL;
	memcpy(dst, v, n * sizeof(*dst));
	return 0;
}

static int parse(struct collector_ctx *c, char *data, struct nfsd_stats *st)
{
	uint64_t v[NFSD_MAXV];
	char *cur = data, *line;

	memset(st, 0, sizeof(*st));
	while ((line = pf_next_line(&cur))) {
		char *f[3] = { line, line, line };
		size_t parts;
		long nv;
		int r;

		go_trim_cr(line, strlen(line));
		nv = go_line_u64s(line, v, NFSD_MAXV);
		parts = go_fields(line, f, 3);
		if (parts < 2)
			return ctx_error(c, -EINVAL, "failed to retrieve nfsd stats: invalid NFSd metric line \"%.60s\"", line);
		if (!strcmp(f[0], "th")) {
			/* only the two values after the key are parsed */
			if (parts < 3)
				return ctx_error(c, -EINVAL, "failed to retrieve nfsd stats: invalid NFSd th metric line");
			if (go_parse_uint(f[1], 10, 64, &st->th[0]) < 0 ||
			    go_parse_uint(f[2], 10, 64, &st->th[1]) < 0)
				return ctx_error(c, -EINVAL, "failed to retrieve nfsd stats: error parsing NFSd metric line \"th\"");
			continue;
		}
		if (nv < 0)
			return ctx_error(c, -EINVAL, "failed to retrieve nfsd stats: error parsing NFSd metric line \"%.40s\"", f[0]);
		if (!strcmp(f[0], "rc"))
			r = fixed(v, nv, st->rc, 3);
		else if (!strcmp(f[0], "fh"))
			r = fixed(v, nv, st->fh, 5);
		else if (!strcmp(f[0], "io"))
			r = fixed(v, nv, st->io, 2);
		else if (!strcmp(f[0], "ra"))
			r = fixed(v, nv, st->ra, 12);
		else if (!strcmp(f[0], "net"))
			r = fixed(v, nv, st->net, 4);
		else if (!strcmp(f[0], "rpc"))
			r = fixed(v, nv, st->rpc, 5);
		else if (!strcmp(f[0], "proc2"))
			r = counted(v, nv, st->p2, 18, false);
		else if (!strcmp(f[0], "proc3"))
			r = counted(v, nv, st->p3, 22, false);
		else if (!strcmp(f[0], "proc4"))
			r = counted(v, nv, st->p4, 2, true);
		else if (!strcmp(f[0], "proc4ops"))
			r = counted(v, nv, st->ops, 39, false);
		else
			return ctx_error(c, -EINVAL, "failed to retrieve nfsd stats: unknown NFSd metric line \"%.40s\"", f[0]);
		if (r < 0)
			return ctx_error(c, r, "failed to retrieve nfsd stats: errors parsing NFSd metric line \"%.40s\"", f[0]);
	}
	return 0;
}

int collect_nfsd(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const proto_l[] = { "proto", NULL };
	static const char *const err_l[] = { "error", NULL };
	/* exposed in name order, as client_golang sorts label names */
	static const char *const req_l[] = { "method", "proto", NULL };
	const struct {
		const char *name;
		enum metric_type t;
		const char *help;
		uint64_t v;
	} one[] = {
		{ "node_nfsd_reply_cache_hits_total", METRIC_COUNTER,
		  "Total number of NFSd Reply Cache hits (client lost server response).", 0 },
		{ "node_nfsd_reply_cache_misses_total", METRIC_COUNTER,
		  "Total number of NFSd Reply Cache an operation that requires caching (idempotent).", 0 },
		{ "node_nfsd_reply_cache_nocache_total", METRIC_COUNTER,
		  "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).", 0 },
		{ "node_nfsd_file_handles_stale_total", METRIC_COUNTER,
		  "Total number of NFSd stale file handles", 0 },
		{ "node_nfsd_disk_bytes_read_total", METRIC_COUNTER, "Total NFSd bytes read.", 0 },
		{ "node_nfsd_disk_bytes_written_total", METRIC_COUNTER, "Total NFSd bytes written.", 0 },
		{ "node_nfsd_server_threads", METRIC_GAUGE,
		  "Total number of NFSd kernel threads that are running.", 0 },
		{ "node_nfsd_read_ahead_cache_size_blocks", METRIC_GAUGE,
		  "How large the read ahead cache is in blocks.", 0 },
		{ "node_nfsd_read_ahead_cache_not_found_total", METRIC_COUNTER,
		  "Total number of NFSd read ahead cache not found.", 0 },
	};
	struct nfsd_stats st;
	uint64_t vals[9];
	int r;

	r = pf_read_optional(c, c->rb[0], c->cfg->procfs, "net/rpc/nfsd");
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return r;
	if ((r = parse(c, c->rb[0]->data, &st)) < 0)
		return r;
	vals[0] = st.rc[0];
	vals[1] = st.rc[1];
	vals[2] = st.rc[2];
	vals[3] = st.fh[0];
	vals[4] = st.io[0];
	vals[5] = st.io[1];
	vals[6] = st.th[0];
	vals[7] = st.ra[0];
	vals[8] = st.ra[11];
	for (size_t i = 0; i < 9; i++)
		if ((r = wr_one(w, one[i].name, one[i].t, one[i].help, (double)vals[i])) < 0)
			return r;
	if ((r = writer_family(w, "node_nfsd_packets_total", METRIC_COUNTER,
			       "Total NFSd network packets (sent+received) by protocol type.", proto_l)) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "udp" }, (double)st.net[1])) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "tcp" }, (double)st.net[2])) < 0 ||
	    (r = wr_one(w, "node_nfsd_connections_total", METRIC_COUNTER,
			"Total number of NFSd TCP connections.", (double)st.net[3])) < 0 ||
	    (r = writer_family(w, "node_nfsd_rpc_errors_total", METRIC_COUNTER,
			       "Total number of NFSd RPC errors by error type.", err_l)) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "fmt" }, (double)st.rpc[2])) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "auth" }, (double)st.rpc[3])) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "cInt" }, (double)st.rpc[4])) < 0 ||
	    (r = wr_one(w, "node_nfsd_server_rpcs_total", METRIC_COUNTER, "Total number of NFSd RPCs.",
			(double)st.rpc[0])) < 0)
		return r;
	if ((r = writer_family(w, "node_nfsd_requests_total", METRIC_COUNTER,
			       "Total number NFSd Requests by method and protocol.", req_l)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++)
		if ((r = writer_sample(w, (const char *const[]){ v2[i].name, "2" }, (double)st.p2[v2[i].idx])) < 0)
			return r;
	for (size_t i = 0; i < sizeof(v3) / sizeof(v3[0]); i++)
		if ((r = writer_sample(w, (const char *const[]){ v3[i].name, "3" }, (double)st.p3[v3[i].idx])) < 0)
			return r;
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		if ((r = writer_sample(w, (const char *const[]){ v4[i].name, "4" }, (double)st.ops[v4[i].idx])) < 0)
			return r;
	return 0;
}

const struct collector collector_nfsd = {
	.name = "nfsd", .default_on = true, .collect = collect_nfsd, .src = SRC_PROCFS,
};
