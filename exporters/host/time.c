/*
 * time: node_time_seconds (CLOCK_REALTIME), node_time_zone_offset_seconds
 * {time_zone} (localtime_r's tm_gmtoff/tm_zone, i.e. TZ or /etc/localtime),
 * and the clocksources of <sysfs>/devices/system/clocksource/clocksource<N>/
 * {available,current}_clocksource as node_time_clocksource_{available,
 * current}_info{clocksource,device}; as node_exporter 1.5's time.go and
 * time_linux.go.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "daemon.h"
#include "sysdir.h"
#include "util.h"

/* One listing of devices/system/clocksource serves both families (it was
 * listed twice per scrape; getdents64 into the worker's buffers, no
 * malloc per entry and no fstat as scandir(3) makes), through a kept
 * descriptor on sysfs (sysdir.h sd_kdir). */
static struct sd_kdir csdir = SD_KDIR_INIT;

static int clocksources(struct collector_ctx *c, struct metrics_writer *w,
			const struct sd_ent *e, size_t n, bool current)
{
	static const char *const labels[] = { "clocksource", "device", NULL };
	struct rbuf *b = c->rb[0];
	int r = 0;
	bool fam = false;

	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *name = e[i].name;
		char rel[NAME_MAX + 64], *cur, *tok, *save = NULL;

		if (strncmp(name, "clocksource", 11) != 0 || !name[11])
			continue;
		snprintf(rel, sizeof(rel), "devices/system/clocksource/%s/%s_clocksource", name,
			 current ? "current" : "available");
		r = pf_read(c, b, c->cfg->sysfs, rel);
		if (r < 0)
			break;
		if (!fam) {
			r = writer_family(w, current ? "node_time_clocksource_current_info"
						     : "node_time_clocksource_available_info",
					  METRIC_GAUGE,
					  current ? "Current clocksource read from '/sys/devices/system/clocksource'."
						  : "Available clocksources read from '/sys/devices/system/clocksource'.",
					  labels);
			if (r < 0)
				break;
			fam = true;
		}
		cur = b->data;
		for (tok = strtok_r(cur, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
			const char *lv[] = { tok, name + 11 };

			(void)writer_sample(w, lv, 1);
		}
	}
	return r;
}

int collect_time(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const tzl[] = { "time_zone", NULL };
	uint64_t ns = daemon_realtime_ns();
	time_t now = (time_t)(ns / 1000000000u);
	char dir[PATH_MAX];
	struct sd_ent *e;
	struct tm tm;
	size_t n = 0;
	int r;

	r = wr_one(w, "node_time_seconds", METRIC_GAUGE, "System time in seconds since epoch (1970).",
		   (double)ns / 1e9);
	if (r < 0)
		return r;
	if (!localtime_r(&now, &tm))
		return ctx_error(c, -EINVAL, "localtime_r failed");
	r = writer_family(w, "node_time_zone_offset_seconds", METRIC_GAUGE,
			  "System time zone offset in seconds.", tzl);
	if (r >= 0) {
		const char *lv[] = { tm.tm_zone ? tm.tm_zone : "" };

		r = writer_sample(w, lv, (double)tm.tm_gmtoff);
	}
	if (r < 0)
		return r;
	/* no clocksource directory: nothing to report */
	if (pf_path(dir, sizeof(dir), c->cfg->sysfs, "devices/system/clocksource") < 0 ||
	    sd_list_keep(&csdir, dir, c->rb[1], c->rb[2], &n) < 0)
		return 0;
	e = (struct sd_ent *)(void *)c->rb[2]->data;
	r = clocksources(c, w, e, n, false);
	if (r >= 0)
		r = clocksources(c, w, e, n, true);
	return r;
}

static void time_teardown(void)
{
	sd_kdir_close(&csdir);
}

const struct collector collector_time = {
	.name = "time", .default_on = true, .collect = collect_time, .src = SRC_SYSFS,
	.teardown = time_teardown,
};
