/*
 * infiniband: /sys/class/infiniband/<device> as node_exporter 1.5's
 * infiniband_linux.go with the sysfs InfiniBandClass of its procfs library:
 * node_infiniband_info{board_id,device,firmware_version,hca_type} per
 * device (board_id and fw_ver must be readable, hca_type may be missing), and per port
 * (ports/<N>, N decimal) state_id and physical_state_id (the number before
 * the ':' of state and phys_state), rate_bytes_per_second (rate's "<R>
 * Gb/sec ...": R, read as a float32, times 125000000) and one counter per
 * file of counters/ and counters_ext/ (port_rcv_data, port_xmit_data and
 * their _64 versions are per lane: times 4).  A counter that reads
 * "N/A (no PMA)" is left out; another value that is no decimal fails the
 * scrape, as does a missing state, phys_state, rate or counters/ (missing:
 * no data).  Every device is read before anything is written.
 *
 * Counter reads are MAD queries to the adapter: SRC_DEVICE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "sysdir.h"
#include "util.h"

static const struct ctr {
	unsigned char ext;	/* 0: counters/, 1: counters_ext/ */
	unsigned char lanes;	/* per-lane data: times 4 */
	const char *file, *name, *help;
} ctrs[] = {
	{ 1, 0, "port_multicast_rcv_packets", "legacy_multicast_packets_received_total", "Number of multicast packets received" },
	{ 1, 0, "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total", "Number of multicast packets transmitted" },
	{ 1, 1, "port_rcv_data_64", "legacy_data_received_bytes_total", "Number of data octets received on all links" },
	{ 1, 0, "port_rcv_packets_64", "legacy_packets_received_total", "Number of data packets received on all links" },
	{ 1, 0, "port_unicast_rcv_packets", "legacy_unicast_packets_received_total", "Number of unicast packets received" },
	{ 1, 0, "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total", "Number of unicast packets transmitted" },
	{ 1, 1, "port_xmit_data_64", "legacy_data_transmitted_bytes_total", "Number of data octets transmitted on all links" },
	{ 1, 0, "port_xmit_packets_64", "legacy_packets_transmitted_total", "Number of data packets received on all links" },
	{ 0, 0, "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total", "Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error." },
	{ 0, 0, "link_downed", "link_downed_total", "Number of times the link failed to recover from an error state and went down" },
	{ 0, 0, "link_error_recovery", "link_error_recovery_total", "Number of times the link successfully recovered from an error state" },
	{ 0, 0, "local_link_integrity_errors", "local_link_integrity_errors_total", "Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors." },
	{ 0, 0, "multicast_rcv_packets", "multicast_packets_received_total", "Number of multicast packets received (including errors)" },
	{ 0, 0, "multicast_xmit_packets", "multicast_packets_transmitted_total", "Number of multicast packets transmitted (including errors)" },
	{ 0, 0, "port_rcv_constraint_errors", "port_constraint_errors_received_total", "Number of packets received on the switch physical port that are discarded" },
	{ 0, 0, "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total", "Number of packets not transmitted from the switch physical port" },
	{ 0, 1, "port_rcv_data", "port_data_received_bytes_total", "Number of data octets received on all links" },
	{ 0, 1, "port_xmit_data", "port_data_transmitted_bytes_total", "Number of data octets transmitted on all links" },
	{ 0, 0, "port_rcv_discards", "port_discards_received_total", "Number of inbound packets discarded by the port because the port is down or congested" },
	{ 0, 0, "port_xmit_discards", "port_discards_transmitted_total", "Number of outbound packets discarded by the port because the port is down or congested" },
	{ 0, 0, "port_rcv_errors", "port_errors_received_total", "Number of packets containing an error that were received on this port" },
	{ 0, 0, "port_rcv_packets", "port_packets_received_total", "Number of packets received on all VLs by this port (including errors)" },
	{ 0, 0, "port_xmit_packets", "port_packets_transmitted_total", "Number of packets transmitted on all VLs from this port (including errors)" },
	{ 0, 0, "port_xmit_wait", "port_transmit_wait_total", "Number of ticks during which the port had data to transmit but no data was sent during the entire tick" },
	{ 0, 0, "unicast_rcv_packets", "unicast_packets_received_total", "Number of unicast packets received (including errors)" },
	{ 0, 0, "unicast_xmit_packets", "unicast_packets_transmitted_total", "Number of unicast packets transmitted (including errors)" },
	{ 0, 0, "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total", "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port." },
	{ 0, 0, "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total", "Number of packets that could not be forwarded by the switch." },
	{ 0, 0, "symbol_error", "symbol_error_total", "Number of minor link errors detected on one or more physical lanes." },
	{ 0, 0, "VL15_dropped", "vl15_dropped_total", "Number of incoming VL15 packets dropped due to resource limitations." },
};
#define NCTR (sizeof(ctrs) / sizeof(ctrs[0]))

/* A device (port == -1: its info) or one of its ports. */
struct rec {
	const char *dev;
	long port;
	uint64_t state, phys, rate;
	uint64_t have;		/* bit per ctrs[] */
	uint64_t v[NCTR];
	char board[SD_ATTR_MAX + 1], fw[SD_ATTR_MAX + 1], hca[SD_ATTR_MAX + 1];
};

static bool absent(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EPERM || err == -EOPNOTSUPP ||
	       err == -EINVAL || err == -ELOOP || err == -EISDIR;
}

/* A whole small file (os.ReadFile) trimmed into out[SD_ATTR_MAX + 1]: a
 * longer one is refused (-EFBIG); 0 or negative errno. */
static int read_small(const char *dir, const char *name, char *out)
{
	char path[PATH_MAX], more;
	int fd, r;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = sd_read_attr(dir, name, out)) < 0)
		return r;
	/* sd_read_attr reads up to SD_ATTR_MAX bytes: make sure that was all */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	n = pread(fd, &more, 1, SD_ATTR_MAX);
	close(fd);
	return n == 1 ? -EFBIG : 0;
}

/* "4: ACTIVE" -> 4 (parseState: exactly one ':', the id a uint32). */
static int parse_state(char *s, uint64_t *id)
{
	char *colon = strchr(s, ':'), *e;

	if (!colon || strchr(colon + 1, ':'))
		return -EINVAL;
	*colon = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	for (e = colon; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (sd_parse_uint(s, id) < 0 || *id > UINT32_MAX)
		return -EINVAL;
	return 0;
}

/* "40 Gb/sec (4X QDR)" -> bytes/s (parseRate: the word before the first
 * space, a float32 of Gb/s, times 125000000; the unit is not checked). */
static int parse_rate(char *s, uint64_t *rate)
{
	char *sp = strchr(s, ' '), *end;
	double v;

	if (!sp)
		return -EINVAL;
	*sp = '\0';
	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || isnan(v) || errno)
		return -EINVAL;
	v = (double)(float)v * 125000000;
	*rate = v <= 0 ? 0 : v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
	return 0;
}

static int read_counters(struct collector_ctx *c, const char *portdir, struct rec *p)
{
	char dir[PATH_MAX], val[SD_ATTR_MAX + 1];
	int r;

	p->have = 0;
	for (int ext = 0; ext < 2; ext++) {
		int fd;

		if (snprintf(dir, sizeof(dir), "%s/%s", portdir, ext ? "counters_ext" : "counters") >=
		    (int)sizeof(dir))
			return -ENAMETOOLONG;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			if (ext && r == -ENOENT)
				continue;
			return r == -ENOENT ? -ENODATA
					    : ctx_error(c, r, "%s: %s", dir, strerror(-r));
		}
		close(fd);
		for (size_t i = 0; i < NCTR; i++) {
			uint64_t v;

			if (ctrs[i].ext != ext)
				continue;
			r = sd_read_attr(dir, ctrs[i].file, val);
			if (r < 0) {
				if (absent(r))
					continue;
				return ctx_error(c, r, "failed to read file \"%s/%s\": %s", dir,
						 ctrs[i].file, strerror(-r));
			}
			if (sd_parse_uint(val, &v) < 0) {
				if (strstr(val, "N/A (no PMA)"))
					continue;
				return ctx_error(c, -EINVAL, "%s/%s: not a counter: \"%.40s\"", dir,
						 ctrs[i].file, val);
			}
			p->v[i] = ctrs[i].lanes ? v * 4 : v;
			p->have |= 1ull << i;
		}
	}
	return 0;
}

static int add_rec(struct collector_ctx *c, struct rbuf *arr, size_t *n, struct rec **ret)
{
	int r = rbuf_reserve(arr, (*n + 1) * sizeof(struct rec));

	if (r < 0)
		return ctx_error(c, r, "out of memory");
	*ret = (struct rec *)(void *)arr->data + (*n)++;
	return 0;
}

static int read_device(struct collector_ctx *c, const char *base, const char *dev,
		       struct rbuf *arr, size_t *n)
{
	static const char *const info[3] = { "board_id", "fw_ver", "hca_type" };
	char path[PATH_MAX], ports[PATH_MAX], pdir[PATH_MAX], val[SD_ATTR_MAX + 1];
	char dbuf[1024] __attribute__((aligned(8)));
	struct rec *d = NULL;
	size_t di;
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", base, dev) >= (int)sizeof(path))
		return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, dev);
	if ((r = add_rec(c, arr, n, &d)) < 0)
		return r;
	di = *n - 1;
	d->dev = dev;
	d->port = -1;
	for (int i = 0; i < 3; i++) {
		char *dst = i == 0 ? d->board : i == 1 ? d->fw : d->hca;

		r = sd_read_attr(path, info[i], dst);
		if (r == -ENOENT && i == 2) {	/* not every driver has hca_type */
			*dst = '\0';
			continue;
		}
		if (r < 0)
			return r == -ENOENT ? -ENODATA
					    : ctx_error(c, r, "failed to read file \"%s/%s\": %s", path,
							info[i], strerror(-r));
	}
	if (snprintf(ports, sizeof(ports), "%s/ports", path) >= (int)sizeof(ports))
		return ctx_error(c, -ENAMETOOLONG, "%s/ports: path too long", path);
	fd = open(ports, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		return r == -ENOENT ? -ENODATA
				    : ctx_error(c, r, "failed to list InfiniBand ports at \"%s\": %s",
						ports, strerror(-r));
	}
	for (;;) {
		ssize_t got = getdents64(fd, dbuf, sizeof(dbuf));

		if (got <= 0) {
			r = got < 0 ? -errno : 0;
			close(fd);
			if (r < 0)
				return ctx_error(c, r, "%s: %s", ports, strerror(-r));
			break;
		}
		for (ssize_t o = 0; o < got;) {
			struct dirent64 *e = (struct dirent64 *)(void *)(dbuf + o);
			struct rec *p = NULL;
			uint64_t num;

			o += e->d_reclen;
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (sd_parse_uint(e->d_name, &num) < 0 || num > UINT32_MAX) {
				close(fd);
				return ctx_error(c, -EINVAL, "failed to convert %s into uint", e->d_name);
			}
			if (snprintf(pdir, sizeof(pdir), "%s/%s", ports, e->d_name) >= (int)sizeof(pdir)) {
				close(fd);
				return ctx_error(c, -ENAMETOOLONG, "%s: path too long", ports);
			}
			if ((r = add_rec(c, arr, n, &p)) < 0) {
				close(fd);
				return r;
			}
			p->dev = ((struct rec *)(void *)arr->data)[di].dev;
			p->port = (long)num;
			r = read_small(pdir, "state", val);
			if (r == 0 && (r = parse_state(val, &p->state)) < 0)
				ctx_error(c, r, "could not parse state file in \"%s\"", pdir);
			if (r == 0 && (r = read_small(pdir, "phys_state", val)) == 0 &&
			    (r = parse_state(val, &p->phys)) < 0)
				ctx_error(c, r, "could not parse phys_state file in \"%s\"", pdir);
			if (r == 0 && (r = read_small(pdir, "rate", val)) == 0 &&
			    (r = parse_rate(val, &p->rate)) < 0)
				ctx_error(c, r, "could not parse rate file in \"%s\"", pdir);
			if (r == 0)
				r = read_counters(c, pdir, p);
			if (r < 0) {
				close(fd);
				if (r == -ENOENT)
					return -ENODATA;
				return ctx_error(c, r, "%s: %s", pdir, strerror(-r));
			}
		}
	}
	return 0;
}

static int collect_infiniband(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const il[] = { "board_id", "device", "firmware_version", "hca_type", NULL };
	static const char *const pl[] = { "device", "port", NULL };
	struct rbuf *names = c->rb[0], *ents = c->rb[1], *arr = c->rb[2];
	char base[PATH_MAX], name[96];
	struct sd_ent *e;
	struct rec *rec;
	size_t n, nr = 0;
	int r;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/infiniband")) < 0)
		return ctx_error(c, r, "%s/class/infiniband: path too long", c->cfg->sysfs);
	if ((r = sd_list(base, names, ents, &n)) < 0) {
		if (r == -ENOENT)
			return -ENODATA;
		return ctx_error(c, r, "error obtaining InfiniBand class info: %s: %s", base,
				 strerror(-r));
	}
	e = (struct sd_ent *)(void *)ents->data;
	for (size_t i = 0; i < n; i++)
		if ((r = read_device(c, base, e[i].name, arr, &nr)) < 0)
			return r;
	rec = (struct rec *)(void *)arr->data;

	for (int f = -4; f < (int)NCTR; f++) {
		/* -4 info, -3 state_id, -2 physical_state_id, -1 rate */
		bool any = false;

		for (size_t i = 0; i < nr && !any; i++)
			any = f == -4 ? rec[i].port < 0
				      : rec[i].port >= 0 && (f < 0 || (rec[i].have >> f & 1));
		if (!any)
			continue;
		if (f == -4)
			r = writer_family(w, "node_infiniband_info", METRIC_GAUGE,
					  "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
					  il);
		else if (f == -3)
			r = writer_family(w, "node_infiniband_state_id", METRIC_GAUGE,
					  "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
					  pl);
		else if (f == -2)
			r = writer_family(w, "node_infiniband_physical_state_id", METRIC_GAUGE,
					  "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)",
					  pl);
		else if (f == -1)
			r = writer_family(w, "node_infiniband_rate_bytes_per_second", METRIC_GAUGE,
					  "Maximum signal transfer rate", pl);
		else {
			str_join(name, sizeof(name), "node_infiniband_", ctrs[f].name, (char *)NULL);
			r = writer_family(w, name, METRIC_COUNTER, ctrs[f].help, pl);
		}
		if (r < 0)
			return r;
		for (size_t i = 0; i < nr; i++) {
			char port[24];
			double v;

			if (f == -4) {
				const char *lv[] = { rec[i].board, rec[i].dev, rec[i].fw, rec[i].hca };

				if (rec[i].port < 0)
					(void)writer_sample(w, lv, 1);
				continue;
			}
			if (rec[i].port < 0 || (f >= 0 && !(rec[i].have >> f & 1)))
				continue;
			snprintf(port, sizeof(port), "%ld", rec[i].port);
			v = f == -3 ? (double)rec[i].state : f == -2 ? (double)rec[i].phys
				: f == -1 ? (double)rec[i].rate : (double)rec[i].v[f];
			(void)writer_sample(w, (const char *const[]){ rec[i].dev, port }, v);
		}
	}
	return 0;
}

const struct collector collector_infiniband = {
	.name = "infiniband", .default_on = true, .collect = collect_infiniband, .src = SRC_DEVICE,
};
