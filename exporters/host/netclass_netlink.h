/*
 * netclass's netlink mode (--collector.netclass.netlink), as node_exporter
 * 1.5's netclass_rtnl.go: an RTM_GETLINK dump over NETLINK_ROUTE, and link
 * speed and duplex from the ethtool generic netlink family's LINKMODES_GET
 * dump.  Thread-safety: one call per scrape on the collector's worker; the
 * sockets live for the call; records in the ctx's read buffers.
 */
#ifndef HOST_NETCLASS_NETLINK_H
#define HOST_NETCLASS_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/if.h>

#include "collector.h"

/* Write netclass's families for every link whose name ignored() does not
 * match (--collector.netclass.ignored-devices);
 * with_stats adds the IFLA_STATS64 counters
 * (--collector.netclass_rtnl.with-stats).  0 or negative errno (described
 * in ctx). */
int netclass_netlink_collect(struct collector_ctx *c, struct metrics_writer *w,
			     bool (*ignored)(const char *name), bool with_stats);

/*
 * For netclass's sysfs mode (netclass.c): one RTM_GETLINK dump, each link's
 * attributes as the kernel sends them handed to cb (a negative return
 * stops the walk and is returned).  *fd is a NETLINK_ROUTE socket opened on
 * first use and kept (closed and set to -1 after any error); buf (size
 * bytes) receives the dump; a message larger than it fails with
 * -EMSGSIZE.  The caller serialises calls on one *fd.
 */
struct nc_rtlink {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned flags, type, operstate, linkmode;
	bool complete;		/* every attribute below but addresses, alias sent */
	char addr[3 * 32], brd[3 * 32];	/* "aa:bb:..", "" without IFLA_ADDRESS */
	char alias[IFALIASZ];
	uint32_t mtu, txqlen, carrier_changes, carrier_up, carrier_down;
	int32_t group, iflink;	/* iflink: IFLA_LINK, else ifindex */
	bool carrier;
};
int netclass_rtnl_links(int *fd, uint32_t seq, char *buf, size_t size,
			int (*cb)(const struct nc_rtlink *, void *), void *arg);

#endif
