/*
 * nfs: NFS client RPC statistics from /proc/net/rpc/nfs, as node_exporter
 * 1.5's nfs_linux.go over procfs 0.8's nfs.ParseClientRPCStats.  Each line
 * is "key v1 v2 ..." (decimal): net (4 values: packets, udp, tcp, tcp
 * connections), rpc (3: calls, retransmissions, auth refreshes), proc2 /
 * proc3 / proc4 (a count, then that many per-procedure calls; at least 18
 * for v2 and 22 for v3; v4 is padded with zeros to 59 on older kernels).
 * Any other key, a wrong count or a non-number fails the whole file; a
 * missing file (no NFS client module) is no data.  Every procedure of each
 * version is exported, zeros included, labelled with procfs's field names.
 */
#include <errno.h>
#include <string.h>

#include "collector.h"
#include "gofields.h"
#include "util.h"

static const char *const v2_names[18] = {
	"Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write",
	"Create", "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
};
static const char *const v3_names[22] = {
	"Null", "GetAttr", "SetAttr", "Lookup", "Access", "ReadLink", "Read", "Write", "Create",
	"MkDir", "SymLink", "MkNod", "Remove", "RmDir", "Rename", "Link", "ReadDir", "ReadDirPlus",
	"FsStat", "FsInfo", "PathConf", "Commit",
};
static const char *const v4_names[59] = {
	"Null", "Read", "Write", "Commit", "Open", "OpenConfirm", "OpenNoattr", "OpenDowngrade",
	"Close", "Setattr", "FsInfo", "Renew", "SetClientID", "SetClientIDConfirm", "Lock",
	"Lockt", "Locku", "Access", "Getattr", "Lookup", "LookupRoot", "Remove", "Rename", "Link",
	"Symlink", "Create", "Pathconf", "StatFs", "ReadLink", "ReadDir", "ServerCaps",
	"DelegReturn", "GetACL", "SetACL", "FsLocations", "ReleaseLockowner", "Secinfo",
	"FsidPresent", "ExchangeID", "CreateSession", "DestroySession", "Sequence",
	"GetLeaseTime", "ReclaimComplete", "LayoutGet", "GetDeviceInfo", "LayoutCommit",
	"LayoutReturn", "SecinfoNoName", "TestStateID", "FreeStateID", "GetDeviceList",
	"BindConnToSession", "DestroyClientID", "Seek", "Allocate", "DeAllocate", "LayoutStats",
	"Clone",
};

#define NFS_MAXV 256

struct nfs_client {
	uint64_t net[4], rpc[3], v2[18], v3[22], v4[59];
};

/* One "procN count v..." line into dst (n slots): the count must match the
 * values and be at least min; a shorter one pads with zeros (v4). */
static int proc_line(const uint64_t *v, long nv, uint64_t *dst, size_t n, size_t min)
{
	if ((uint64_t)(nv - 1) != v[0] || v[0] < min)
		return -EINVAL;
	memset(dst, 0, n * sizeof(*dst));
	for (size_t i = 0; i < n && i < (size_t)(nv - 1) && i + 1 < NFS_MAXV; i++)
		dst[i] = v[i + 1];
	return 0;
}

static int parse(struct collector_ctx *c, char *data, struct nfs_client *st)
{
	uint64_t v[NFS_MAXV];
	char *cur = data, *line;

	memset(st, 0, sizeof(*st));
	while ((line = pf_next_line(&cur))) {
		char *f[1] = { line };
		long nv;
		int r = 0;

		go_trim_cr(line, strlen(line));
		nv = go_line_u64s(line, v, NFS_MAXV);
		if (go_fields(line, f, 1) < 2)	/* at least <key> <value> */
			return ctx_error(c, -EINVAL, "failed to retrieve nfs stats: invalid NFS metric line \"%.60s\"", line);
		if (nv < 0)
			return ctx_error(c, -EINVAL, "failed to retrieve nfs stats: error parsing NFS metric line \"%.60s\"", f[0]);
		if (!strcmp(f[0], "net")) {
			if (nv != 4)
				r = -EINVAL;
			else
				memcpy(st->net, v, sizeof(st->net));
		} else if (!strcmp(f[0], "rpc")) {
			if (nv != 3)
				r = -EINVAL;
			else
				memcpy(st->rpc, v, sizeof(st->rpc));
		} else if (!strcmp(f[0], "proc2")) {
			r = proc_line(v, nv, st->v2, 18, 18);
		} else if (!strcmp(f[0], "proc3")) {
			r = proc_line(v, nv, st->v3, 22, 22);
		} else if (!strcmp(f[0], "proc4")) {
			r = proc_line(v, nv, st->v4, 59, 0);
		} else {
			return ctx_error(c, -EINVAL, "failed to retrieve nfs stats: unknown NFS metric line \"%.40s\"", f[0]);
		}
		if (r < 0)
			return ctx_error(c, r, "failed to retrieve nfs stats: errors parsing NFS metric line \"%.40s\"", f[0]);
	}
	return 0;
}

int collect_nfs(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const proto_l[] = { "protocol", NULL };
	/* exposed in name order, as client_golang sorts label names */
	static const char *const req_l[] = { "method", "proto", NULL };
	struct nfs_client st;
	int r;

	r = pf_read_optional(c, c->rb[0], c->cfg->procfs, "net/rpc/nfs");
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return r;
	if ((r = parse(c, c->rb[0]->data, &st)) < 0)
		return r;
	if ((r = writer_family(w, "node_nfs_packets_total", METRIC_COUNTER,
			       "Total NFSd network packets (sent+received) by protocol type.", proto_l)) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "udp" }, (double)st.net[1])) < 0 ||
	    (r = writer_sample(w, (const char *const[]){ "tcp" }, (double)st.net[2])) < 0 ||
	    (r = wr_one(w, "node_nfs_connections_total", METRIC_COUNTER,
			"Total number of NFSd TCP connections.", (double)st.net[3])) < 0 ||
	    (r = wr_one(w, "node_nfs_rpcs_total", METRIC_COUNTER, "Total number of RPCs performed.",
			(double)st.rpc[0])) < 0 ||
	    (r = wr_one(w, "node_nfs_rpc_retransmissions_total", METRIC_COUNTER,
			"Number of RPC transmissions performed.", (double)st.rpc[1])) < 0 ||
	    (r = wr_one(w, "node_nfs_rpc_authentication_refreshes_total", METRIC_COUNTER,
			"Number of RPC authentication refreshes performed.", (double)st.rpc[2])) < 0)
		return r;
	if ((r = writer_family(w, "node_nfs_requests_total", METRIC_COUNTER,
			       "Number of NFS procedures invoked.", req_l)) < 0)
		return r;
	for (size_t i = 0; i < 18; i++)
		if ((r = writer_sample(w, (const char *const[]){ v2_names[i], "2" }, (double)st.v2[i])) < 0)
			return r;
	for (size_t i = 0; i < 22; i++)
		if ((r = writer_sample(w, (const char *const[]){ v3_names[i], "3" }, (double)st.v3[i])) < 0)
			return r;
	for (size_t i = 0; i < 59; i++)
		if ((r = writer_sample(w, (const char *const[]){ v4_names[i], "4" }, (double)st.v4[i])) < 0)
			return r;
	return 0;
}

const struct collector collector_nfs = {
	.name = "nfs", .default_on = true, .collect = collect_nfs, .src = SRC_PROCFS,
};
