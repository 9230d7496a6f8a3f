/*
 * netclass's netlink mode: node_exporter 1.5's netclass_rtnl.go
 * (--collector.netclass.netlink), with plain rtnetlink and generic netlink
 * (<linux/rtnetlink.h>, <linux/genetlink.h>, <linux/ethtool_netlink.h>;
 * libmnl would add a dependency for the few attribute walks below).
 *
 * First the ethtool family's ETHTOOL_MSG_LINKMODES_GET dump (the kernel
 * leaves out devices without link settings): node_network_speed_bytes per
 * device it lists = ETHTOOL_A_LINKMODES_SPEED (Mbit/s, read as Go's uint32
 * -> int, so SPEED_UNKNOWN is 4294967295, not -1) * 1000 * 1000 / 8, and
 * the duplex label (Half/Full/Unknown, "Half" when the attribute is
 * missing; "" for a device not listed).  No ethtool family (an old kernel):
 * no speed and no duplex; another error fails the collector.
 *
 * Then an RTM_GETLINK dump, per link: node_network_up (IFLA_OPERSTATE is
 * IF_OPER_UP), node_network_info{address,broadcast,device,duplex,ifalias,
 * operstate} (hardware addresses as Go's net.HardwareAddr: "aa:bb:..", ""
 * when absent), and carrier, carrier_changes_total, carrier_up_changes_total,
 * carrier_down_changes_total, flags (ifi_flags), iface_id (ifi_index),
 * iface_link_mode and dormant (both IFLA_LINKMODE, as 1.5 has it),
 * iface_link (IFLA_LINK, or ifi_index when the kernel leaves it out),
 * mtu_bytes, net_dev_group, transmit_queue_length, protocol_type (ifi_type);
 * an attribute the kernel does not send counts 0.  With
 * --collector.netclass_rtnl.with-stats, the IFLA_STATS64 counters as gauges
 * named as 1.5 names them.  --collector.netclass.ignored-devices applies to
 * both dumps.
 *
 * Buffers: the receive buffer in c->rb[0] (32 KiB, the kernel's largest
 * dump message), the links in c->rb[1], the link modes in c->rb[2].  Each
 * socket waits at most until the scrape's deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netclass_netlink.h"

#define RCVBUF 32768

/* Stats64 counters as 1.5 names them, in struct rtnl_link_stats64 order. */
static const char *const stat_names[] = {
	"receive_packets_total", "transmit_packets_total", "receive_bytes_total",
	"transmit_bytes_total", "receive_errors_total", "transmit_errors_total",
	"receive_dropped_total", "transmit_dropped_total", "multicast_total", "collisions_total",
	"receive_length_errors_total", "receive_over_errors_total", "receive_crc_errors_total",
	"receive_frame_errors_total", "receive_fifo_errors_total", "receive_missed_errors_total",
	"transmit_aborted_errors_total", "transmit_carrier_errors_total",
	"transmit_fifo_errors_total", "transmit_heartbeat_errors_total",
	"transmit_window_errors_total", "receive_compressed_total", "transmit_compressed_total",
	"receive_nohandler_total",
};
#define NSTATS (sizeof(stat_names) / sizeof(stat_names[0]))

static const char *const operstate_str[] = {
	"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up",
};

/* Numeric families of a link, in name order. */
enum {
	F_CARRIER, F_CARRIER_CHANGES, F_CARRIER_DOWN, F_CARRIER_UP, F_DORMANT, F_FLAGS, F_IFACE_ID,
	F_IFACE_LINK, F_LINK_MODE, F_MTU, F_GROUP, F_PROTO, F_TXQLEN, NFAM
};

static const struct {
	const char *name;
	enum metric_type type;
} fam[NFAM] = {
	[F_CARRIER] = { "carrier", METRIC_GAUGE },
	[F_CARRIER_CHANGES] = { "carrier_changes_total", METRIC_COUNTER },
	[F_CARRIER_DOWN] = { "carrier_down_changes_total", METRIC_COUNTER },
	[F_CARRIER_UP] = { "carrier_up_changes_total", METRIC_COUNTER },
	[F_DORMANT] = { "dormant", METRIC_GAUGE },
	[F_FLAGS] = { "flags", METRIC_GAUGE },
	[F_IFACE_ID] = { "iface_id", METRIC_GAUGE },
	[F_IFACE_LINK] = { "iface_link", METRIC_GAUGE },
	[F_LINK_MODE] = { "iface_link_mode", METRIC_GAUGE },
	[F_MTU] = { "mtu_bytes", METRIC_GAUGE },
	[F_GROUP] = { "net_dev_group", METRIC_GAUGE },
	[F_PROTO] = { "protocol_type", METRIC_GAUGE },
	[F_TXQLEN] = { "transmit_queue_length", METRIC_GAUGE },
};

struct link {
	char name[IFNAMSIZ];
	char addr[3 * 32], brd[3 * 32];
	char alias[IFALIASZ];
	unsigned operstate;
	double v[NFAM];
	bool has_stats;
	uint64_t st[NSTATS];
};

struct lmode {
	char name[IFNAMSIZ];
	uint32_t speed;		/* Mbit/s, SPEED_UNKNOWN as the kernel sends it */
	uint8_t duplex;
};

struct dump {
	struct collector_ctx *c;
	bool (*ignored)(const char *);
	size_t n;
	int err;
};

static int nl_socket(struct collector_ctx *c, int proto)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timespec now;
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->deadline_ns) {
		uint64_t t = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		uint64_t left = c->deadline_ns > t ? c->deadline_ns - t : 1000000u;

		tv.tv_sec = (time_t)(left / 1000000000u);
		tv.tv_usec = (suseconds_t)(left % 1000000000u / 1000u);
		if (!tv.tv_sec && !tv.tv_usec)
			tv.tv_usec = 1000;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* NLMSG_OK/NLMSG_NEXT without signed lengths: h if a whole message fits
 * in len bytes, else NULL. */
static struct nlmsghdr *nl_ok(struct nlmsghdr *h, size_t len)
{
	return len >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= len ? h : NULL;
}

static struct nlmsghdr *nl_next(struct nlmsghdr *h, size_t *len)
{
	size_t step = NLMSG_ALIGN(h->nlmsg_len);

	if (step >= *len)
		return NULL;
	*len -= step;
	return nl_ok((struct nlmsghdr *)(void *)((char *)h + step), *len);
}

/*
 * Send req and hand every reply message to cb until NLMSG_DONE (dump) or
 * the first reply (not a dump).  0, the kernel's negative errno, or cb's.
 */
static int nl_talk_buf(int fd, struct nlmsghdr *req, bool dump, char *buf, size_t size,
		       int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	size_t len;
	int r;

	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		/* MSG_TRUNC: the datagram's real length, so a message larger
		 * than buf is an error, not a silently cut walk */
		ssize_t got = recv(fd, buf, size, MSG_TRUNC);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		if (got == 0)
			return -EPIPE;
		if ((size_t)got > size)
			return -EMSGSIZE;
		len = (size_t)got;
		for (struct nlmsghdr *h = nl_ok((struct nlmsghdr *)(void *)buf, len); h;
		     h = nl_next(h, &len)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				if (e->error)
					return e->error;
				if (!dump)
					return 0;
				continue;
			}
			if ((r = cb(h, arg)) < 0)
				return r;
			if (!dump)
				return 0;
		}
	}
}

static int nl_talk(struct collector_ctx *c, int fd, struct nlmsghdr *req, bool dump,
		   int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	int r = rbuf_reserve(c->rb[0], RCVBUF);

	return r < 0 ? r : nl_talk_buf(fd, req, dump, c->rb[0]->data, RCVBUF, cb, arg);
}

/* Attribute walk over [p, p + len): fills tb[type] (NULL when absent). */
static void attrs(const void *p, size_t len, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *a = p;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
		unsigned t = a->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(a->nla_len);

		if (t <= max)
			tb[t] = a;
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)(const void *)((const char *)a + step);
	}
}

static const void *payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t plen(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static uint64_t attr_uint(const struct nlattr *a)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	if (!a)
		return 0;
	switch (plen(a)) {
	case 1:
		memcpy(&u8, payload(a), 1);
		return u8;
	case 2:
		memcpy(&u16, payload(a), 2);
		return u16;
	case 4:
		memcpy(&u32, payload(a), 4);
		return u32;
	default:
		return 0;
	}
}

static void attr_str(const struct nlattr *a, char *out, size_t size)
{
	size_t n = a ? strnlen(payload(a), plen(a)) : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(out, payload(a), n);
	out[n] = '\0';
}

/* Go's net.HardwareAddr.String(). */
static void attr_hw(const struct nlattr *a, char *out, size_t size)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = a ? payload(a) : NULL;
	size_t n = a ? plen(a) : 0, o = 0;

	for (size_t i = 0; i < n && o + 3 < size; i++) {
		if (i)
			out[o++] = ':';
		out[o++] = hx[p[i] >> 4];
		out[o++] = hx[p[i] & 15];
	}
	out[o] = '\0';
}

/* ---- ethtool ---- */

static int family_cb(const struct nlmsghdr *h, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	size_t hl = NLMSG_LENGTH(GENL_HDRLEN);

	if (h->nlmsg_len < hl)
		return -EPROTO;
	attrs((const char *)h + hl, h->nlmsg_len - hl, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	*(uint16_t *)arg = (uint16_t)attr_uint(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

static int lmode_cb(const struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	const struct nlattr *tb[ETHTOOL_A_LINKMODES_MAX + 1], *hb[ETHTOOL_A_HEADER_MAX + 1];
	size_t hl = NLMSG_LENGTH(GENL_HDRLEN);
	char name[IFNAMSIZ];
	struct lmode *m;
	int r;

	if (h->nlmsg_len < hl)
		return -EPROTO;
	attrs((const char *)h + hl, h->nlmsg_len - hl, tb, ETHTOOL_A_LINKMODES_MAX);
	if (!tb[ETHTOOL_A_LINKMODES_HEADER])
		return 0;
	attrs(payload(tb[ETHTOOL_A_LINKMODES_HEADER]), plen(tb[ETHTOOL_A_LINKMODES_HEADER]), hb,
	      ETHTOOL_A_HEADER_MAX);
	attr_str(hb[ETHTOOL_A_HEADER_DEV_NAME], name, sizeof(name));
	if (d->ignored(name))
		return 0;
	if ((r = rbuf_reserve(d->c->rb[2], (d->n + 1) * sizeof(*m))) < 0)
		return r;
	m = (struct lmode *)(void *)d->c->rb[2]->data + d->n++;
	memcpy(m->name, name, sizeof(name));
	m->speed = (uint32_t)attr_uint(tb[ETHTOOL_A_LINKMODES_SPEED]);
	m->duplex = (uint8_t)attr_uint(tb[ETHTOOL_A_LINKMODES_DUPLEX]);
	return 0;
}

/* The link modes into c->rb[2]: count, or negative errno (-ENOENT: no
 * ethtool family in this kernel). */
static int read_link_modes(struct collector_ctx *c, bool (*ignored)(const char *), size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		char attrs[64];
	} req;
	struct dump d = { .c = c, .ignored = ignored };
	struct nlattr *a;
	uint16_t family = 0;
	int fd, r;

	if ((fd = nl_socket(c, NETLINK_GENERIC)) < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = GENL_ID_CTRL;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)(void *)req.attrs;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(ETHTOOL_GENL_NAME);
	memcpy((char *)a + NLA_HDRLEN, ETHTOOL_GENL_NAME, sizeof(ETHTOOL_GENL_NAME));
	req.h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if ((r = nl_talk(c, fd, &req.h, false, family_cb, &family)) < 0)
		goto out;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = family;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 2;
	req.g.cmd = ETHTOOL_MSG_LINKMODES_GET;
	req.g.version = ETHTOOL_GENL_VERSION;
	/* header nest: compact bitsets (smaller replies; the modes are unused) */
	a = (struct nlattr *)(void *)req.attrs;
	a->nla_type = ETHTOOL_A_LINKMODES_HEADER | NLA_F_NESTED;
	a->nla_len = NLA_HDRLEN + NLA_HDRLEN + sizeof(uint32_t);
	{
		struct nlattr *f = (struct nlattr *)(void *)(req.attrs + NLA_HDRLEN);
		uint32_t flags = ETHTOOL_FLAG_COMPACT_BITSETS;

		f->nla_type = ETHTOOL_A_HEADER_FLAGS;
		f->nla_len = NLA_HDRLEN + sizeof(flags);
		memcpy((char *)f + NLA_HDRLEN, &flags, sizeof(flags));
	}
	req.h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	r = nl_talk(c, fd, &req.h, true, lmode_cb, &d);
	*n = d.n;
out:
	close(fd);
	return r;
}

/* ---- rtnetlink ---- */

static int link_cb(const struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	const struct ifinfomsg *ifi = (const void *)((const char *)h + NLMSG_HDRLEN);
	const struct nlattr *tb[IFLA_MAX + 1];
	size_t hl = NLMSG_LENGTH(sizeof(*ifi));
	char name[IFNAMSIZ];
	struct link *l;
	uint64_t lm, iflink;
	int r;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < hl)
		return 0;
	attrs((const char *)h + hl, h->nlmsg_len - hl, tb, IFLA_MAX);
	attr_str(tb[IFLA_IFNAME], name, sizeof(name));
	if (d->ignored(name))
		return 0;
	if ((r = rbuf_reserve(d->c->rb[1], (d->n + 1) * sizeof(*l))) < 0)
		return r;
	l = (struct link *)(void *)d->c->rb[1]->data + d->n++;
	memset(l, 0, sizeof(*l));
	memcpy(l->name, name, sizeof(name));
	attr_hw(tb[IFLA_ADDRESS], l->addr, sizeof(l->addr));
	attr_hw(tb[IFLA_BROADCAST], l->brd, sizeof(l->brd));
	attr_str(tb[IFLA_IFALIAS], l->alias, sizeof(l->alias));
	l->operstate = (unsigned)attr_uint(tb[IFLA_OPERSTATE]);
	lm = attr_uint(tb[IFLA_LINKMODE]);
	iflink = attr_uint(tb[IFLA_LINK]);
	l->v[F_CARRIER] = (double)attr_uint(tb[IFLA_CARRIER]);
	l->v[F_CARRIER_CHANGES] = (double)attr_uint(tb[IFLA_CARRIER_CHANGES]);
	l->v[F_CARRIER_DOWN] = (double)attr_uint(tb[IFLA_CARRIER_DOWN_COUNT]);
	l->v[F_CARRIER_UP] = (double)attr_uint(tb[IFLA_CARRIER_UP_COUNT]);
	l->v[F_DORMANT] = (double)lm;
	l->v[F_FLAGS] = (double)ifi->ifi_flags;
	l->v[F_IFACE_ID] = (double)ifi->ifi_index;
	l->v[F_IFACE_LINK] = iflink > 0 ? (double)iflink : (double)ifi->ifi_index;
	l->v[F_LINK_MODE] = (double)lm;
	l->v[F_MTU] = (double)attr_uint(tb[IFLA_MTU]);
	l->v[F_GROUP] = (double)attr_uint(tb[IFLA_GROUP]);
	l->v[F_PROTO] = (double)ifi->ifi_type;
	l->v[F_TXQLEN] = (double)attr_uint(tb[IFLA_TXQLEN]);
	if (tb[IFLA_STATS64]) {
		size_t n = plen(tb[IFLA_STATS64]);

		if (n > sizeof(l->st))
			n = sizeof(l->st);
		memcpy(l->st, payload(tb[IFLA_STATS64]), n);
		l->has_stats = true;
	}
	return 0;
}

static int read_links(struct collector_ctx *c, bool (*ignored)(const char *), size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	struct dump d = { .c = c, .ignored = ignored };
	int fd, r;

	if ((fd = nl_socket(c, NETLINK_ROUTE)) < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.i.ifi_family = AF_UNSPEC;
	r = nl_talk(c, fd, &req.h, true, link_cb, &d);
	*n = d.n;
	close(fd);
	return r;
}

static const char *duplex_str(uint8_t d)
{
	/* mdlayher/ethtool's Duplex names */
	return d == DUPLEX_HALF ? "Half" : d == DUPLEX_FULL ? "Full" : d == DUPLEX_UNKNOWN ? "Unknown"
											: "Duplex";
}

int netclass_netlink_collect(struct collector_ctx *c, struct metrics_writer *w,
			     bool (*ignored)(const char *name), bool with_stats)
{
	static const char *const dl[] = { "device", NULL };
	static const char *const il[] = { "address", "broadcast", "device", "duplex", "ifalias",
		"operstate", NULL };
	size_t nm = 0, nl = 0;
	const struct lmode *m;
	const struct link *l;
	char name[64], help[96];
	int r;

	r = read_link_modes(c, ignored, &nm);
	if (r == -ENOENT)
		nm = 0;	/* no ethtool netlink: no speed, no duplex */
	else if (r < 0)
		return ctx_error(c, r, "could not get link modes: %s", strerror(-r));
	if ((r = read_links(c, ignored, &nl)) < 0)
		return ctx_error(c, r, "could not get net class info: %s", strerror(-r));
	m = (const struct lmode *)(const void *)c->rb[2]->data;
	l = (const struct link *)(const void *)c->rb[1]->data;

	if (nm) {
		if ((r = writer_family(w, "node_network_speed_bytes", METRIC_GAUGE,
				       "Network device property: speed_bytes", dl)) < 0)
			return r;
		for (size_t i = 0; i < nm; i++) {
			const char *lv[] = { m[i].name };

			/* uint64(int(speed) * 1000 * 1000 / 8) */
			(void)writer_sample_u64(w, lv, (uint64_t)m[i].speed * 1000000u / 8);
		}
	}
	if (!nl)
		return 0;
	if ((r = writer_family(w, "node_network_up", METRIC_GAUGE,
			       "Value is 1 if operstate is 'up', 0 otherwise.", dl)) < 0)
		return r;
	for (size_t i = 0; i < nl; i++) {
		const char *lv[] = { l[i].name };

		(void)writer_sample(w, lv, l[i].operstate == IF_OPER_UP);
	}
	if ((r = writer_family(w, "node_network_info", METRIC_GAUGE,
			       "Non-numeric data of <iface>, value is always 1.", il)) < 0)
		return r;
	for (size_t i = 0; i < nl; i++) {
		const char *duplex = "";
		const char *lv[6];

		for (size_t j = 0; j < nm; j++)
			if (!strcmp(m[j].name, l[i].name))
				duplex = duplex_str(m[j].duplex);
		lv[0] = l[i].addr, lv[1] = l[i].brd, lv[2] = l[i].name, lv[3] = duplex;
		lv[4] = l[i].alias;
		lv[5] = l[i].operstate < sizeof(operstate_str) / sizeof(operstate_str[0])
				? operstate_str[l[i].operstate] : "unknown";
		(void)writer_sample(w, lv, 1);
	}
	for (int f = 0; f < NFAM; f++) {
		snprintf(name, sizeof(name), "node_network_%s", fam[f].name);
		snprintf(help, sizeof(help), "Network device property: %s", fam[f].name);
		if ((r = writer_family(w, name, fam[f].type, help, dl)) < 0)
			return r;
		for (size_t i = 0; i < nl; i++) {
			const char *lv[] = { l[i].name };

			(void)writer_sample(w, lv, l[i].v[f]);
		}
	}
	if (!with_stats)
		return 0;
	for (size_t s = 0; s < NSTATS; s++) {
		bool any = false;

		for (size_t i = 0; i < nl && !any; i++)
			any = l[i].has_stats;
		if (!any)
			break;
		snprintf(name, sizeof(name), "node_network_%s", stat_names[s]);
		snprintf(help, sizeof(help), "Network device property: %s", stat_names[s]);
		if ((r = writer_family(w, name, METRIC_GAUGE, help, dl)) < 0)
			return r;
		for (size_t i = 0; i < nl; i++) {
			const char *lv[] = { l[i].name };

			if (l[i].has_stats)
				(void)writer_sample_u64(w, lv, l[i].st[s]);
		}
	}
	return 0;
}

/* ---- the sysfs mode's link attributes (netclass.c) ---- */

struct rtnl_walk {
	int (*cb)(const struct nc_rtlink *, void *);
	void *arg;
};

static int rtlink_cb(const struct nlmsghdr *h, void *arg)
{
	const struct rtnl_walk *wk = arg;
	const struct ifinfomsg *ifi = (const void *)((const char *)h + NLMSG_HDRLEN);
	const struct nlattr *tb[IFLA_MAX + 1];
	size_t hl = NLMSG_LENGTH(sizeof(*ifi));
	struct nc_rtlink l;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < hl)
		return 0;
	attrs((const char *)h + hl, h->nlmsg_len - hl, tb, IFLA_MAX);
	memset(&l, 0, sizeof(l));
	attr_str(tb[IFLA_IFNAME], l.name, sizeof(l.name));
	l.ifindex = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	l.type = ifi->ifi_type;
	/* what every kernel since 4.16 sends for a link (IFLA_CARRIER_*_COUNT) */
	l.complete = tb[IFLA_IFNAME] && tb[IFLA_MTU] && tb[IFLA_TXQLEN] && tb[IFLA_OPERSTATE] &&
		     tb[IFLA_LINKMODE] && tb[IFLA_GROUP] && tb[IFLA_CARRIER] &&
		     tb[IFLA_CARRIER_CHANGES] && tb[IFLA_CARRIER_UP_COUNT] &&
		     tb[IFLA_CARRIER_DOWN_COUNT];
	attr_hw(tb[IFLA_ADDRESS], l.addr, sizeof(l.addr));
	attr_hw(tb[IFLA_BROADCAST], l.brd, sizeof(l.brd));
	attr_str(tb[IFLA_IFALIAS], l.alias, sizeof(l.alias));
	l.operstate = (unsigned)attr_uint(tb[IFLA_OPERSTATE]);
	l.linkmode = (unsigned)attr_uint(tb[IFLA_LINKMODE]);
	l.mtu = (uint32_t)attr_uint(tb[IFLA_MTU]);
	l.txqlen = (uint32_t)attr_uint(tb[IFLA_TXQLEN]);
	l.group = (int32_t)(uint32_t)attr_uint(tb[IFLA_GROUP]);
	l.iflink = tb[IFLA_LINK] ? (int32_t)(uint32_t)attr_uint(tb[IFLA_LINK]) : ifi->ifi_index;
	l.carrier = attr_uint(tb[IFLA_CARRIER]) != 0;
	l.carrier_changes = (uint32_t)attr_uint(tb[IFLA_CARRIER_CHANGES]);
	l.carrier_up = (uint32_t)attr_uint(tb[IFLA_CARRIER_UP_COUNT]);
	l.carrier_down = (uint32_t)attr_uint(tb[IFLA_CARRIER_DOWN_COUNT]);
	return wk->cb(&l, wk->arg);
}

int netclass_rtnl_links(int *fd, uint32_t seq, char *buf, size_t size,
			int (*cb)(const struct nc_rtlink *, void *), void *arg)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		struct nlattr a;
		uint32_t mask;
	} req;
	struct rtnl_walk wk = { .cb = cb, .arg = arg };
	int r;

	if (*fd < 0) {
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
		/* a dump is built inside send() and recv() themselves; this
		 * only bounds a reply that never comes */
		struct timeval tv = { .tv_sec = 2 };

		*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (*fd < 0)
			return -errno;
		if (setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			goto fail;
		}
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.i.ifi_family = AF_UNSPEC;
	/* no IFLA_STATS/STATS64 (Linux 5.0+; an older kernel ignores the bit):
	 * the counters are netdev's, and each costs the driver's
	 * ndo_get_stats64 and 300 bytes per link */
	req.a.nla_type = IFLA_EXT_MASK;
	req.a.nla_len = NLA_HDRLEN + sizeof(req.mask);
	req.mask = RTEXT_FILTER_SKIP_STATS;
	if ((r = nl_talk_buf(*fd, &req.h, true, buf, size, rtlink_cb, &wk)) == 0)
		return 0;
fail:
	/* the socket may hold the rest of a dump: never reuse it */
	close(*fd);
	*fd = -1;
	return r;
}
