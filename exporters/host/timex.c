/*
 * timex: the kernel clock discipline's state from adjtimex(2) (modes 0: a
 * read), as node_exporter 1.5's timex.go: node_timex_sync_status is 0 when
 * the call returns TIME_ERROR (clock not synchronised), else 1; offset and
 * PPS jitter are in ns when STA_NANO is set in status, else in us; maxerror,
 * esterror and tick are in us; freq, ppsfreq and stabil are ppm with a
 * 16-bit fraction (adjtimex(2) NOTES).  EPERM (a seccomp filter) is no data.
 * node-mixin's NodeClockSkewDetected / NodeClockNotSynchronising read
 * offset_seconds, sync_status and maxerror_seconds.
 */
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

#include "collector.h"
#include "util.h"

#define PPM16FRAC (1000000.0 * 65536.0)

int collect_timex(struct collector_ctx *c, struct metrics_writer *w)
{
	struct timex tx;
	double div;
	int st;

	memset(&tx, 0, sizeof(tx));
	st = adjtimex(&tx);
	if (st < 0) {
		if (errno == EPERM)
			return -ENODATA;
		return ctx_error(c, -errno, "failed to retrieve adjtimex stats: %s", strerror(errno));
	}
	div = (tx.status & STA_NANO) ? 1e9 : 1e6;

	const struct {
		const char *name;
		enum metric_type t;
		const char *help;
		double v;
	} m[] = {
		{ "node_timex_sync_status", METRIC_GAUGE,
		  "Is clock synchronized to a reliable server (1 = yes, 0 = no).", st == TIME_ERROR ? 0 : 1 },
		{ "node_timex_offset_seconds", METRIC_GAUGE,
		  "Time offset in between local system and reference clock.", (double)tx.offset / div },
		{ "node_timex_frequency_adjustment_ratio", METRIC_GAUGE,
		  "Local clock frequency adjustment.", 1 + (double)tx.freq / PPM16FRAC },
		{ "node_timex_maxerror_seconds", METRIC_GAUGE, "Maximum error in seconds.",
		  (double)tx.maxerror / 1e6 },
		{ "node_timex_estimated_error_seconds", METRIC_GAUGE, "Estimated error in seconds.",
		  (double)tx.esterror / 1e6 },
		{ "node_timex_status", METRIC_GAUGE, "Value of the status array bits.", (double)tx.status },
		{ "node_timex_loop_time_constant", METRIC_GAUGE, "Phase-locked loop time constant.",
		  (double)tx.constant },
		{ "node_timex_tick_seconds", METRIC_GAUGE, "Seconds between clock ticks.",
		  (double)tx.tick / 1e6 },
		{ "node_timex_pps_frequency_hertz", METRIC_GAUGE, "Pulse per second frequency.",
		  (double)tx.ppsfreq / PPM16FRAC },
		{ "node_timex_pps_jitter_seconds", METRIC_GAUGE, "Pulse per second jitter.",
		  (double)tx.jitter / div },
		{ "node_timex_pps_shift_seconds", METRIC_GAUGE, "Pulse per second interval duration.",
		  (double)tx.shift },
		{ "node_timex_pps_stability_hertz", METRIC_GAUGE,
		  "Pulse per second stability, average of recent frequency changes.",
		  (double)tx.stabil / PPM16FRAC },
		{ "node_timex_pps_jitter_total", METRIC_COUNTER,
		  "Pulse per second count of jitter limit exceeded events.", (double)tx.jitcnt },
		{ "node_timex_pps_calibration_total", METRIC_COUNTER,
		  "Pulse per second count of calibration intervals.", (double)tx.calcnt },
		{ "node_timex_pps_error_total", METRIC_COUNTER,
		  "Pulse per second count of calibration errors.", (double)tx.errcnt },
		{ "node_timex_pps_stability_exceeded_total", METRIC_COUNTER,
		  "Pulse per second count of stability limit exceeded events.", (double)tx.stbcnt },
		{ "node_timex_tai_offset_seconds", METRIC_GAUGE,
		  "International Atomic Time (TAI) offset.", (double)tx.tai },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int r = wr_one(w, m[i].name, m[i].t, m[i].help, m[i].v);

		if (r < 0)
			return r;
	}
	return 0;
}

const struct collector collector_timex = {
	.name = "timex", .default_on = true, .collect = collect_timex, .src = SRC_PROCFS,
};
