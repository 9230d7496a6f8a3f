/*
 * fibrechannel: /sys/class/fc_host/<host> as node_exporter 1.5's
 * fibrechannel_linux.go with the sysfs FibreChannelClass of its procfs
 * library: node_fibrechannel_info{dev_loss_tmo,fabric_name,fc_host,port_id,
 * port_name,port_state,port_type,speed,supported_classes,supported_speeds,
 * symbolic_name} (all eleven attributes must be readable; the "0x" of
 * port_id, port_name and fabric_name is cut off) and fourteen counters from
 * statistics/ (strconv.ParseUint(v, 0, 64): the kernel writes them in hex;
 * one that is missing or not supported is 0, one that does not parse fails
 * the scrape).  A missing class/fc_host is no data.  Every host is read
 * before anything is written.
 *
 * Reading statistics makes the driver ask the adapter: SRC_DEVICE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "sysdir.h"
#include "util.h"

/* Attributes, in node_fibrechannel_info's label order (fc_host between). */
enum { A_DEV_LOSS, A_FABRIC, A_PORT_ID, A_PORT_NAME, A_PORT_STATE, A_PORT_TYPE, A_SPEED,
       A_CLASSES, A_SPEEDS, A_SYMBOLIC, A_NODE_NAME, NATTR };
/* Read in the library's order (the first failure names the file). */
static const struct { int a; const char *file; } attr_order[NATTR] = {
	{ A_SPEED, "speed" }, { A_PORT_STATE, "port_state" }, { A_PORT_TYPE, "port_type" },
	{ A_NODE_NAME, "node_name" }, { A_PORT_ID, "port_id" }, { A_PORT_NAME, "port_name" },
	{ A_FABRIC, "fabric_name" }, { A_DEV_LOSS, "dev_loss_tmo" }, { A_SYMBOLIC, "symbolic_name" },
	{ A_CLASSES, "supported_classes" }, { A_SPEEDS, "supported_speeds" },
};

static const struct { const char *file, *name, *help; } ctrs[] = {
	{ "dumped_frames", "dumped_frames_total", "Number of dumped frames" },
	{ "error_frames", "error_frames_total", "Number of errors in frames" },
	{ "fcp_packet_aborts", "fcp_packet_aborts_total", "Number of aborted packets" },
	{ "invalid_crc_count", "invalid_crc_total", "Invalid Cyclic Redundancy Check count" },
	{ "invalid_tx_word_count", "invalid_tx_words_total", "Number of invalid words transmitted by host port" },
	{ "link_failure_count", "link_failure_total", "Number of times the host port link has failed" },
	{ "loss_of_signal_count", "loss_of_signal_total", "Number of times signal has been lost" },
	{ "loss_of_sync_count", "loss_of_sync_total", "Number of failures on either bit or transmission word boundaries" },
	{ "nos_count", "nos_total", "Number Not_Operational Primitive Sequence received by host port" },
	{ "rx_frames", "rx_frames_total", "Number of frames received" },
	{ "rx_words", "rx_words_total", "Number of words received by host port" },
	{ "seconds_since_last_reset", "seconds_since_last_reset_total", "Number of seconds since last host port reset" },
	{ "tx_frames", "tx_frames_total", "Number of frames transmitted by host port" },
	{ "tx_words", "tx_words_total", "Number of words transmitted by host port" },
};
#define NCTR (sizeof(ctrs) / sizeof(ctrs[0]))

struct fchost {
	const char *name;
	char a[NATTR][SD_ATTR_MAX + 1];
	uint64_t v[NCTR];
};

static int read_host(struct collector_ctx *c, const char *base, struct fchost *h)
{
	char dir[PATH_MAX], stats[PATH_MAX], val[SD_ATTR_MAX + 1];
	int fd, r;

	if (snprintf(dir, sizeof(dir), "%s/%s", base, h->name) >= (int)sizeof(dir))
		return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, h->name);
	for (int i = 0; i < NATTR; i++) {
		int a = attr_order[i].a;

		if ((r = sd_read_attr(dir, attr_order[i].file, h->a[a])) < 0)
			return ctx_error(c, r, "failed to read file \"%s/%s\": %s", dir,
					 attr_order[i].file, strerror(-r));
		if ((a == A_NODE_NAME || a == A_PORT_ID || a == A_PORT_NAME || a == A_FABRIC) &&
		    strlen(h->a[a]) > 2)
			memmove(h->a[a], h->a[a] + 2, strlen(h->a[a] + 2) + 1);
	}
	if (snprintf(stats, sizeof(stats), "%s/statistics", dir) >= (int)sizeof(stats))
		return ctx_error(c, -ENAMETOOLONG, "%s/statistics: path too long", dir);
	if ((fd = open(stats, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		return ctx_error(c, r, "%s: %s", stats, strerror(-r));
	}
	close(fd);
	for (size_t i = 0; i < NCTR; i++) {
		h->v[i] = 0;
		r = sd_read_attr(stats, ctrs[i].file, val);
		if (r == -ENOENT || r == -EOPNOTSUPP || r == -EINVAL || r == -ELOOP || r == -EISDIR)
			continue;
		if (r < 0)
			return ctx_error(c, r, "failed to read file \"%s/%s\": %s", stats, ctrs[i].file,
					 strerror(-r));
		if (sd_parse_uint0(val, &h->v[i]) < 0)
			return ctx_error(c, -EINVAL, "%s/%s: not a counter: \"%.40s\"", stats,
					 ctrs[i].file, val);
	}
	return 0;
}

static int collect_fibrechannel(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const il[] = { "dev_loss_tmo", "fabric_name", "fc_host", "port_id",
					  "port_name", "port_state", "port_type", "speed",
					  "supported_classes", "supported_speeds", "symbolic_name",
					  NULL };
	static const char *const hl[] = { "fc_host", NULL };
	struct rbuf *names = c->rb[0], *ents = c->rb[1], *arr = c->rb[2];
	char base[PATH_MAX], name[96];
	struct sd_ent *e;
	struct fchost *h;
	size_t n;
	int r;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/fc_host")) < 0)
		return ctx_error(c, r, "%s/class/fc_host: path too long", c->cfg->sysfs);
	if ((r = sd_list(base, names, ents, &n)) < 0) {
		if (r == -ENOENT)
			return -ENODATA;
		return ctx_error(c, r, "error obtaining FibreChannel class info: %s: %s", base,
				 strerror(-r));
	}
	if (n == 0)
		return 0;
	if ((r = rbuf_reserve(arr, n * sizeof(*h))) < 0)
		return ctx_error(c, r, "out of memory");
	e = (struct sd_ent *)(void *)ents->data;
	h = (struct fchost *)(void *)arr->data;
	for (size_t i = 0; i < n; i++) {
		h[i].name = e[i].name;
		if ((r = read_host(c, base, &h[i])) < 0)
			return r;
	}
	if ((r = writer_family(w, "node_fibrechannel_info", METRIC_GAUGE,
			       "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.", il)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *lv[] = { h[i].a[A_DEV_LOSS], h[i].a[A_FABRIC], h[i].name,
				     h[i].a[A_PORT_ID], h[i].a[A_PORT_NAME], h[i].a[A_PORT_STATE],
				     h[i].a[A_PORT_TYPE], h[i].a[A_SPEED], h[i].a[A_CLASSES],
				     h[i].a[A_SPEEDS], h[i].a[A_SYMBOLIC] };

		(void)writer_sample(w, lv, 1);
	}
	for (size_t f = 0; f < NCTR; f++) {
		bool any = false;

		for (size_t i = 0; i < n && !any; i++)
			any = h[i].v[f] != UINT64_MAX;
		if (!any)
			continue;
		str_join(name, sizeof(name), "node_fibrechannel_", ctrs[f].name, (char *)NULL);
		if ((r = writer_family(w, name, METRIC_COUNTER, ctrs[f].help, hl)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			const char *lv[] = { h[i].name };

			if (h[i].v[f] != UINT64_MAX)
				(void)writer_sample(w, lv, (double)h[i].v[f]);
		}
	}
	return 0;
}

const struct collector collector_fibrechannel = {
	.name = "fibrechannel", .default_on = true, .collect = collect_fibrechannel,
	.src = SRC_DEVICE,
};
