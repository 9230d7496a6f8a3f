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

#include "collector.h"

/* Write netclass's families for every link whose name ignored() does not
 * match (--collector.netclass.ignored-devices);
 * with_stats adds the IFLA_STATS64 counters
 * (--collector.netclass_rtnl.with-stats).  0 or negative errno (described
 * in ctx). */
int netclass_netlink_collect(struct collector_ctx *c, struct metrics_writer *w,
			     bool (*ignored)(const char *name), bool with_stats);

#endif
