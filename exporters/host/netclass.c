/*
 * netclass: /sys/class/net/<iface> attributes as node_exporter 1.5's
 * netclass_linux.go (sysfs mode) with the sysfs NetClass of its procfs
 * library: node_network_up (operstate "up"), node_network_info{address,
 * broadcast,device,duplex,ifalias,operstate} and one gauge or counter
 * "Network device property: <name>" per numeric attribute, each only for
 * the devices that have a readable value (strconv.ParseInt(v, 0, 64): flags
 * is hex; a value that does not parse is 0, as the library's ValueParser
 * gives it).  speed_bytes = speed (Mbit/s) * 1000 * 1000 / 8, also
 * for the -1 of a device that does not know its speed unless
 * --collector.netclass.ignore-invalid-speed.
 *
 * Entries of class/net that are regular files (bonding_masters) are no
 * devices; devices matching --collector.netclass.ignored-devices are not
 * read.  An attribute that is missing, not permitted, or whose read fails
 * with EINVAL or EOPNOTSUPP (speed and duplex of a link that is down, a
 * driver without phys_port_id) is left out; another read error fails the
 * scrape of the collector.  A missing or unreadable class/net or device
 * directory is no data (nothing sent), as there: every device is read
 * before anything is written.
 *
 * speed and duplex go through the driver's ethtool get_link_ksettings under
 * RTNL, which can block behind another netlink user: SRC_DEVICE (a pool
 * worker under the collector deadline).
 *
 * --collector.netclass.netlink switches to the netlink mode of
 * netclass_netlink.c (with --collector.netclass_rtnl.with-stats there).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "netclass_netlink.h"
#include "sysdir.h"
#include "util.h"

/* Numeric attributes, by family name (sorted, as node_exporter sends them). */
enum {
	A_ADDR_ASSIGN, A_CARRIER, A_CARRIER_CHANGES, A_CARRIER_DOWN, A_CARRIER_UP, A_DEV_ID,
	A_DORMANT, A_FLAGS, A_IFINDEX, A_IFLINK, A_LINK_MODE, A_MTU, A_NAME_ASSIGN, A_GROUP,
	A_TYPE, A_SPEED, A_TXQLEN, NNUM
};

static const struct {
	const char *file, *name;	/* sysfs attribute, family (node_network_<name>) */
	enum metric_type type;
} num[NNUM] = {
	[A_ADDR_ASSIGN] = { "addr_assign_type", "address_assign_type", METRIC_GAUGE },
	[A_CARRIER] = { "carrier", "carrier", METRIC_GAUGE },
	[A_CARRIER_CHANGES] = { "carrier_changes", "carrier_changes_total", METRIC_COUNTER },
	[A_CARRIER_DOWN] = { "carrier_down_count", "carrier_down_changes_total", METRIC_COUNTER },
	[A_CARRIER_UP] = { "carrier_up_count", "carrier_up_changes_total", METRIC_COUNTER },
	[A_DEV_ID] = { "dev_id", "device_id", METRIC_GAUGE },
	[A_DORMANT] = { "dormant", "dormant", METRIC_GAUGE },
	[A_FLAGS] = { "flags", "flags", METRIC_GAUGE },
	[A_IFINDEX] = { "ifindex", "iface_id", METRIC_GAUGE },
	[A_IFLINK] = { "iflink", "iface_link", METRIC_GAUGE },
	[A_LINK_MODE] = { "link_mode", "iface_link_mode", METRIC_GAUGE },
	[A_MTU] = { "mtu", "mtu_bytes", METRIC_GAUGE },
	[A_NAME_ASSIGN] = { "name_assign_type", "name_assign_type", METRIC_GAUGE },
	[A_GROUP] = { "netdev_group", "net_dev_group", METRIC_GAUGE },
	[A_TYPE] = { "type", "protocol_type", METRIC_GAUGE },
	[A_SPEED] = { "speed", "speed_bytes", METRIC_GAUGE },
	[A_TXQLEN] = { "tx_queue_len", "transmit_queue_length", METRIC_GAUGE },
};

/* String attributes, in node_network_info's label order. */
enum { S_ADDRESS, S_BROADCAST, S_DUPLEX, S_IFALIAS, S_OPERSTATE, NSTR };
static const char *const str_file[NSTR] = { "address", "broadcast", "duplex", "ifalias", "operstate" };

struct ncdev {
	const char *name;
	uint32_t have;			/* bit per num[] */
	bool nl;			/* the NL_SLOTS came from the link dump */
	bool proven;			/* ... and its address proved it ours */
	struct sd_kdev *kd;		/* its kept descriptors, or NULL */
	int64_t v[NNUM];
	char s[NSTR][SD_ATTR_MAX + 1];
};

/*
 * Attribute slots (bit i: str_file[i], bit NSTR + i: num[i]).  On a real
 * sysfs, 14 of the 22 come from one RTM_GETLINK dump instead of 14 preads
 * per device, for every device that is the one the dump describes: the
 * same name, ifindex and hardware address read from --path.sysfs (ID_SLOTS,
 * read first) as in the dump, which sent every attribute.  A non-zero
 * address equal in both proves the device ours (a net_device lives in one
 * namespace), and with it the namespace of --path.sysfs.  Without one such
 * device nothing is taken from the dump: lo (index 1, address 00:... in
 * every namespace) and other devices without an address tell nothing, and
 * a --path.sysfs of another network namespace (a container's view of the
 * host's /sys: its eth0 is not ours, even under our eth0's name and index)
 * proves nothing.  A device that fails the check (replaced between the
 * listing and the dump, another namespace's) is read from sysfs whole.
 * The dump gives what the sysfs attribute prints (net/core/net-sysfs.c and
 * rtnl_fill_ifinfo in net/core/rtnetlink.c): broadcast = IFLA_BROADCAST,
 * ifalias = IFLA_IFALIAS, operstate = IFLA_OPERSTATE (both DOWN for a link
 * that is not running), carrier = IFLA_CARRIER and dormant = IFF_DORMANT
 * only while the link is up (sysfs answers EINVAL otherwise),
 * carrier_changes/_up_count/_down_count = IFLA_CARRIER_CHANGES/_UP_COUNT/
 * _DOWN_COUNT, iflink = IFLA_LINK (ifindex when left out), link_mode =
 * IFLA_LINKMODE, mtu, netdev_group = IFLA_GROUP, type = ifi_type,
 * tx_queue_len = IFLA_TXQLEN.  flags (dev->flags, not ifi_flags), duplex and
 * speed (ethtool), addr_assign_type, dev_id and name_assign_type have no
 * netlink twin and stay sysfs reads.
 */
#define SLOT(i) (1u << (i))
#define NSLOT(a) (1u << (NSTR + (a)))
#define ALL_SLOTS ((1u << (NSTR + NNUM)) - 1)
#define ID_SLOTS (SLOT(S_ADDRESS) | NSLOT(A_IFINDEX))
#define NL_SLOTS                                                                                \
	(SLOT(S_BROADCAST) | SLOT(S_IFALIAS) | SLOT(S_OPERSTATE) | NSLOT(A_CARRIER) |           \
	 NSLOT(A_CARRIER_CHANGES) | NSLOT(A_CARRIER_DOWN) | NSLOT(A_CARRIER_UP) |               \
	 NSLOT(A_DORMANT) | NSLOT(A_IFLINK) | NSLOT(A_LINK_MODE) | NSLOT(A_MTU) |               \
	 NSLOT(A_GROUP) | NSLOT(A_TYPE) | NSLOT(A_TXQLEN))

static struct host_regex ignored_re;
/* Kept attribute descriptors (sysdir.h): on a real sysfs an open here walks
 * class/net/<dev> (a symlink) into devices/...; 22 of them per device were
 * 88 of a default scrape's 124 opens on a host with 4 devices. */
static struct sd_keep kept;
/* class/net itself, rewound rather than reopened (sysdir.h sd_kdir) */
static struct sd_kdir classdir = SD_KDIR_INIT;
static bool ignore_invalid_speed, use_netlink, rtnl_with_stats;
/* The link dump's socket and receive buffer: used only by the scrape that
 * holds `kept` (sd_keep_begin), so one at a time.  8 KiB: the kernel sends
 * one link per message (2-3 kB with IFLA_STATS64 and AF_SPEC); a larger
 * one fails the dump (-EMSGSIZE) and the scrape reads sysfs. */
static int rtnl_fd = -1;
static uint32_t rtnl_seq;
static char rtnl_buf[8192];

/* Errors the library passes over: the attribute is just not there. */
static bool attr_absent(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EPERM || err == -EOPNOTSUPP ||
	       err == -EINVAL || err == -ELOOP || err == -EISDIR || err == -ENOTDIR;
}

/* The attributes of slots `want` (d->have and the strings were reset). */
static int read_dev(struct collector_ctx *c, const char *dir, struct ncdev *d, struct sd_kdev *kd,
		    uint32_t want)
{
	char val[SD_ATTR_MAX + 1];
	int r;

	for (int i = 0; i < NSTR; i++) {
		if (!(want & SLOT(i)))
			continue;
		r = sd_keep_read(kd, (unsigned)i, dir, str_file[i], d->s[i]);
		if (r < 0) {
			d->s[i][0] = '\0';
			if (!attr_absent(r))
				return ctx_error(c, r, "failed to read file \"%s/%s\": %s", dir,
						 str_file[i], strerror(-r));
		}
	}
	for (int i = 0; i < NNUM; i++) {
		if (!(want & NSLOT(i)))
			continue;
		r = sd_keep_read(kd, (unsigned)(NSTR + i), dir, num[i].file, val);
		if (r < 0) {
			if (!attr_absent(r))
				return ctx_error(c, r, "failed to read file \"%s/%s\": %s", dir,
						 num[i].file, strerror(-r));
			continue;
		}
		/* the library's ValueParser.PInt64: a value that does not
		 * parse is sent as 0 */
		if (sd_parse_int(val, &d->v[i]) < 0)
			d->v[i] = 0;
		d->have |= 1u << i;
	}
	return 0;
}

/* What the sysfs read of "<v>\n" gives: SD_ATTR_MAX bytes at most, then
 * bytes.TrimSpace (sysdir.c); false when that is not v itself. */
static bool sysfs_same(const char *v)
{
	size_t n = strlen(v);

	return n + 1 <= SD_ATTR_MAX && !(n && (strchr(" \t\n\r\v\f", v[0]) ||
					       strchr(" \t\n\r\v\f", v[n - 1])));
}

static bool zero_addr(const char *a)
{
	for (; *a; a++)
		if (*a != '0' && *a != ':')
			return false;
	return true;
}

struct rtnl_match {
	struct ncdev *d;
	size_t nd;
};

/* One link of the dump: fill the NL_SLOTS of the device it proves to be. */
static int rtnl_link(const struct nc_rtlink *l, void *arg)
{
	const struct rtnl_match *m = arg;
	struct ncdev *d = NULL;
	bool up = l->flags & IFF_UP;

	for (size_t i = 0; i < m->nd && !d; i++)
		if (!strcmp(m->d[i].name, l->name))
			d = &m->d[i];
	if (!d || !l->complete || !(d->have & 1u << A_IFINDEX) || d->v[A_IFINDEX] != l->ifindex ||
	    strcmp(d->s[S_ADDRESS], l->addr) || !sysfs_same(l->alias) || !sysfs_same(l->brd))
		return 0;
	d->proven = d->s[S_ADDRESS][0] && !zero_addr(d->s[S_ADDRESS]);
	memcpy(d->s[S_BROADCAST], l->brd, strlen(l->brd) + 1);
	memcpy(d->s[S_IFALIAS], l->alias, strlen(l->alias) + 1);
	/* operstates[] of net-sysfs.c; past it the attribute is EINVAL */
	static const char *const ops[] = { "unknown", "notpresent", "down", "lowerlayerdown",
					   "testing", "dormant", "up" };
	snprintf(d->s[S_OPERSTATE], sizeof(d->s[S_OPERSTATE]), "%s",
		 l->operstate < sizeof(ops) / sizeof(ops[0]) ? ops[l->operstate] : "");
	if (up) {
		d->v[A_CARRIER] = l->carrier;
		d->v[A_DORMANT] = (l->flags & IFF_DORMANT) != 0;
		d->have |= 1u << A_CARRIER | 1u << A_DORMANT;
	}
	d->v[A_CARRIER_CHANGES] = l->carrier_changes;
	d->v[A_CARRIER_DOWN] = l->carrier_down;
	d->v[A_CARRIER_UP] = l->carrier_up;
	d->v[A_IFLINK] = l->iflink;
	d->v[A_LINK_MODE] = l->linkmode;
	d->v[A_MTU] = l->mtu;
	d->v[A_GROUP] = l->group;
	d->v[A_TYPE] = l->type;
	d->v[A_TXQLEN] = l->txqlen;
	d->have |= 1u << A_CARRIER_CHANGES | 1u << A_CARRIER_DOWN | 1u << A_CARRIER_UP |
		   1u << A_IFLINK | 1u << A_LINK_MODE | 1u << A_MTU | 1u << A_GROUP |
		   1u << A_TYPE | 1u << A_TXQLEN;
	d->nl = true;
	return 0;
}

static bool dev_ignored(const char *name)
{
	if (ignored_re.re)
		return host_regex_match(&ignored_re, name);
	/* an empty regexp matches every name */
	return ignored_re.src && !*ignored_re.src;
}

static int collect_netclass(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const dl[] = { "device", NULL };
	static const char *const il[] = { "address", "broadcast", "device", "duplex", "ifalias",
					  "operstate", NULL };
	struct rbuf *names = c->rb[0], *ents = c->rb[1], *devs = c->rb[2];
	char base[PATH_MAX], dir[PATH_MAX];
	struct sd_ent *e;
	struct ncdev *d;
	size_t n, nd = 0;
	bool keep;
	int r;

	if (use_netlink)
		return netclass_netlink_collect(c, w, dev_ignored, rtnl_with_stats);
	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/net")) < 0)
		return ctx_error(c, r, "%s/class/net: path too long", c->cfg->sysfs);
	if ((r = sd_list_keep(&classdir, base, names, ents, &n)) < 0) {
		if (r == -ENOENT || r == -EACCES || r == -EPERM)
			return -ENODATA;
		return ctx_error(c, r, "could not get net class info: cannot access dir \"%s\": %s",
				 base, strerror(-r));
	}
	e = (struct sd_ent *)(void *)ents->data;
	keep = sd_keep_begin(&kept, base, r == 1);
	for (size_t i = 0; i < n; i++) {
		if (e[i].type == DT_REG || dev_ignored(e[i].name))
			continue;
		if ((r = rbuf_reserve(devs, (nd + 1) * sizeof(*d))) < 0) {
			r = ctx_error(c, r, "out of memory");
			goto fail;
		}
		d = (struct ncdev *)(void *)devs->data + nd++;
		d->name = e[i].name;
		d->have = 0;
		d->nl = d->proven = false;
		d->kd = keep ? sd_keep_dev(&kept, &e[i]) : NULL;
		if (snprintf(dir, sizeof(dir), "%s/%s", base, e[i].name) >= (int)sizeof(dir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, e[i].name);
			goto fail;
		}
		/* on a real sysfs, what proves a device first (the rest below) */
		r = read_dev(c, dir, d, d->kd, keep ? ID_SLOTS : ALL_SLOTS);
		if (r < 0)
			goto fail;
	}
	d = (struct ncdev *)(void *)devs->data;
	if (keep && nd) {
		struct rtnl_match m = { .d = d, .nd = nd };
		bool proven = false;

		r = netclass_rtnl_links(&rtnl_fd, ++rtnl_seq, rtnl_buf, sizeof(rtnl_buf), rtnl_link,
					&m);
		for (size_t i = 0; i < nd && r == 0; i++)
			proven = proven || d[i].proven;
		if (r < 0)	/* no dump: every device from sysfs, as without netlink */
			log_debug("netclass: no link dump, reading sysfs", "err", strerror(-r), NULL);
		if (!proven)
			for (size_t i = 0; i < nd; i++)
				d[i].nl = false;
	}
	for (size_t i = 0; i < nd; i++) {
		uint32_t want = keep ? ALL_SLOTS & ~ID_SLOTS : 0;

		if (d[i].nl)
			want &= ~NL_SLOTS;
		else if (keep) {
			/* a failed dump may have filled part of it */
			d[i].have &= 1u << A_IFINDEX;
		}
		if (snprintf(dir, sizeof(dir), "%s/%s", base, d[i].name) >= (int)sizeof(dir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, d[i].name);
			goto fail;
		}
		if (want && (r = read_dev(c, dir, &d[i], d[i].kd, want)) < 0)
			goto fail;
		/* os.ReadDir of the device directory */
		if (!d[i].have && !d[i].s[S_OPERSTATE][0]) {
			int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fd < 0) {
				r = -errno;
				if (r == -ENOENT || r == -EACCES || r == -EPERM)
					r = -ENODATA;
				else
					r = ctx_error(c, r, "could not get net class info: %s: %s",
						      dir, strerror(-r));
				goto fail;
			}
			close(fd);
		}
	}
	if (keep)
		sd_keep_end(&kept);
	d = (struct ncdev *)(void *)devs->data;

	for (int f = 0; f < NNUM + 2; f++) {
		/* families in name order: the numeric ones with info after
		 * iface_link_mode, up last */
		char name[64], help[96];
		int a = f <= A_LINK_MODE ? f : f == A_LINK_MODE + 1 ? -1 : f <= NNUM ? f - 1 : -2;
		bool any = false;

		if (a == -1) {
			if (nd == 0)
				continue;
			if ((r = writer_family(w, "node_network_info", METRIC_GAUGE,
					       "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
					       il)) < 0)
				return r;
			for (size_t i = 0; i < nd; i++) {
				const char *lv[] = { d[i].s[S_ADDRESS], d[i].s[S_BROADCAST], d[i].name,
						     d[i].s[S_DUPLEX], d[i].s[S_IFALIAS],
						     d[i].s[S_OPERSTATE] };

				(void)writer_sample(w, lv, 1);
			}
			continue;
		}
		if (a == -2) {
			if (nd == 0)
				continue;
			if ((r = writer_family(w, "node_network_up", METRIC_GAUGE,
					       "Value is 1 if operstate is 'up', 0 otherwise.", dl)) < 0)
				return r;
			for (size_t i = 0; i < nd; i++) {
				const char *lv[] = { d[i].name };

				(void)writer_sample(w, lv, strcmp(d[i].s[S_OPERSTATE], "up") == 0);
			}
			continue;
		}
		for (size_t i = 0; i < nd && !any; i++)
			any = (d[i].have >> a & 1) &&
			      (a != A_SPEED || d[i].v[a] >= 0 || !ignore_invalid_speed);
		if (!any)
			continue;
		str_join(name, sizeof(name), "node_network_", num[a].name, (char *)NULL);
		str_join(help, sizeof(help), "Network device property: ", num[a].name, (char *)NULL);
		if ((r = writer_family(w, name, num[a].type, help, dl)) < 0)
			return r;
		for (size_t i = 0; i < nd; i++) {
			const char *lv[] = { d[i].name };
			int64_t v = d[i].v[a];

			if (!(d[i].have >> a & 1))
				continue;
			if (a == A_SPEED) {
				if (v < 0 && ignore_invalid_speed)
					continue;
				/* int64(speed * 1000 * 1000 / 8), Go's wrapping arithmetic */
				v = (int64_t)((uint64_t)v * 1000000u) / 8;
			}
			(void)writer_sample(w, lv, (double)v);
		}
	}
	return 0;
fail:
	if (keep)
		sd_keep_end(&kept);
	return r;
}

static const struct flag netclass_flags[] = {
	{ .name = "collector.netclass.ignored-devices", .type = FLAG_STRING,
	  .dst = &ignored_re.src, .def = "^$",
	  .help = "Regexp of net devices to ignore for netclass collector.",
	  .check = host_regex_flag_check },
	{ .name = "collector.netclass.ignore-invalid-speed", .type = FLAG_BOOL,
	  .dst = &ignore_invalid_speed,
	  .help = "Ignore devices where the speed is invalid. This will be the default behavior in 2.x." },
	{ .name = "collector.netclass.netlink", .type = FLAG_BOOL, .dst = &use_netlink,
	  .help = "Use netlink to gather stats instead of /proc/net/dev." },
	{ .name = "collector.netclass_rtnl.with-stats", .type = FLAG_BOOL, .dst = &rtnl_with_stats,
	  .help = "Expose the statistics for each network device, replacing netdev collector." },
};

static void netclass_teardown(void)
{
	host_regex_free(&ignored_re);
	sd_keep_free(&kept);
	sd_kdir_close(&classdir);
	if (rtnl_fd >= 0)
		close(rtnl_fd);
	rtnl_fd = -1;
}

const struct collector collector_netclass = {
	.name = "netclass", .default_on = true, .collect = collect_netclass, .src = SRC_DEVICE,
	COLLECTOR_FLAGS(netclass_flags), .teardown = netclass_teardown,
};
