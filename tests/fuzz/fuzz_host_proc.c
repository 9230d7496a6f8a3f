/*
 * fuzz_host_proc: host-exporter's /proc, /sys and os-release parsers.  The
 * collectors read their files themselves (pf_read from --path.procfs etc.),
 * so the parse step is fuzzed through a file: at start the fixture trees
 * (tests/fixtures/host/) are copied to a temporary root; each input's first
 * line names one row of the table below ("COLLECTOR:FILE\n", e.g.
 * "cpu:proc/stat\n"), the rest becomes that file's content, its collector
 * runs against the root as a scrape would, and the file gets its fixture
 * content back.  Rows are found by name, not by position, so a row added
 * anywhere leaves every seed on its target; an input naming no row is
 * skipped.  No collector code changes for this.
 * Invariants:
 *  - a collector returns 0 or a negative errno (the log falls back to
 *    strerror when it did not describe it);
 *  - its exposition (text format) is valid UTF-8 and is accepted by the
 *    textfile collector's text-format parser (included from textfile.c),
 *    i.e. the scrape stays valid Prometheus text whatever /proc says.
 * Not here: filesystem (statfs of the mount points the input would name,
 * on this machine) and uname (a system call, no text).
 */
#include "../../exporters/host/textfile.c"

#include <ftw.h>

#include "fuzz.h"

extern const struct collector collector_stat, collector_cpu, collector_meminfo, collector_loadavg,
	collector_vmstat, collector_netdev, collector_netstat, collector_sockstat,
	collector_pressure, collector_filefd, collector_diskstats, collector_time, collector_os;
extern const struct collector collector_mdadm, collector_nvme, collector_xfs, collector_tapestats;
extern const struct collector collector_cpufreq, collector_hwmon, collector_thermal_zone,
	collector_rapl, collector_edac;
extern const struct collector collector_netclass, collector_bonding, collector_infiniband,
	collector_fibrechannel;
extern const struct collector collector_powersupplyclass;
extern const struct collector collector_bcache, collector_btrfs, collector_zfs;

static const struct target {
	const struct collector *col;
	const char *file;	/* under the temporary root */
} targets[] = {
	{ &collector_stat, "proc/stat" },
	{ &collector_cpu, "proc/stat" },
	{ &collector_cpu, "proc/cpuinfo" },
	{ &collector_meminfo, "proc/meminfo" },
	{ &collector_loadavg, "proc/loadavg" },
	{ &collector_vmstat, "proc/vmstat" },
	{ &collector_netdev, "proc/net/dev" },
	{ &collector_netstat, "proc/net/netstat" },
	{ &collector_netstat, "proc/net/snmp" },
	{ &collector_netstat, "proc/net/snmp6" },
	{ &collector_sockstat, "proc/net/sockstat" },
	{ &collector_sockstat, "proc/net/sockstat6" },
	{ &collector_pressure, "proc/pressure/cpu" },
	{ &collector_pressure, "proc/pressure/memory" },
	{ &collector_filefd, "proc/sys/fs/file-nr" },
	{ &collector_diskstats, "proc/diskstats" },
	{ &collector_time, "sys/devices/system/clocksource/clocksource0/current_clocksource" },
	{ &collector_time, "sys/devices/system/clocksource/clocksource0/available_clocksource" },
	{ &collector_os, "rootfs/etc/os-release" },
	{ &collector_mdadm, "proc/mdstat" },
	{ &collector_nvme, "sys/class/nvme/nvme0/model" },
	{ &collector_diskstats, "udev/b8:0" },
	{ &collector_xfs, "sys/fs/xfs/sda1/stats/stats" },
	{ &collector_tapestats, "sys/class/scsi_tape/st0/stats/io_ns" },
	{ &collector_cpufreq, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq" },
	{ &collector_hwmon, "sys/class/hwmon/hwmon0/temp1_input" },
	{ &collector_hwmon, "sys/class/hwmon/hwmon0/temp1_label" },
	{ &collector_thermal_zone, "sys/class/thermal/thermal_zone0/temp" },
	{ &collector_thermal_zone, "sys/class/thermal/cooling_device0/type" },
	{ &collector_rapl, "sys/class/powercap/intel-rapl:0/name" },
	{ &collector_edac, "sys/devices/system/edac/mc/mc0/ce_count" },
	{ &collector_netclass, "sys/class/net/eth0/flags" },
	{ &collector_bonding, "sys/class/net/bond0/bonding/slaves" },
	{ &collector_infiniband, "sys/class/infiniband/mlx5_0/ports/1/rate" },
	{ &collector_fibrechannel, "sys/class/fc_host/host0/statistics/rx_frames" },
	{ &collector_powersupplyclass, "sys/class/power_supply/BAT0/voltage_now" },
	{ &collector_powersupplyclass, "sys/class/power_supply/BAT0/model_name" },
	{ &collector_bcache, "sys/fs/bcache/5d4ab8b3-2c3a-4a8a-9b26-0c0e6a3b1f10/bdev0/writeback_rate_debug" },
	{ &collector_btrfs, "sys/fs/btrfs/0a1b2c3d-1111-2222-3333-444455556666/allocation/system/dup/used_bytes" },
	{ &collector_zfs, "proc/spl/kstat/zfs/tank/io" },
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* The row an input names on its first line (COLLECTOR:FILE); NULL if none. */
static const struct target *target_of(const uint8_t *data, size_t size, size_t *ret_skip)
{
	const uint8_t *nl = memchr(data, '\n', size < 512 ? size : 512);

	if (!nl)
		return NULL;
	for (size_t i = 0; i < NTARGETS; i++) {
		size_t cn = strlen(targets[i].col->name), fn = strlen(targets[i].file);

		if ((size_t)(nl - data) == cn + 1 + fn && memcmp(data, targets[i].col->name, cn) == 0 &&
		    data[cn] == ':' && memcmp(data + cn + 1, targets[i].file, fn) == 0) {
			*ret_skip = cn + 1 + fn + 1;
			return &targets[i];
		}
	}
	return NULL;
}

static char root[256];
static char *orig[NTARGETS];
static size_t orig_len[NTARGETS];
static char procfs[300], sysfs[300], rootfs[300], udev[300];

static void write_file(const char *rel, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "we");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

static void setup(void)
{
	const char *src = getenv("SRC_DIR");
	char cmd[1024];

	snprintf(root, sizeof(root), "%s/prism-fuzz-host.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		abort();
	snprintf(cmd, sizeof(cmd), "cp -r '%s/tests/fixtures/host/proc' '%s/tests/fixtures/host/sys' "
		 "'%s/tests/fixtures/host/rootfs' '%s/tests/fixtures/host/udev' '%s/'",
		 src ? src : ".", src ? src : ".", src ? src : ".", src ? src : ".", root);
	if (system(cmd) != 0)
		abort();
	for (size_t i = 0; i < NTARGETS; i++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", root, targets[i].file);
		f = fopen(path, "re");
		orig[i] = malloc(1 << 16);
		if (!orig[i])
			abort();
		orig_len[i] = f ? fread(orig[i], 1, 1 << 16, f) : 0;
		if (f)
			fclose(f);
	}
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", root);
	snprintf(udev, sizeof(udev), "%s/udev", root);
	host_cfg.procfs = procfs;
	host_cfg.sysfs = sysfs;
	host_cfg.rootfs = rootfs;
	host_cfg.udev_data = udev;
	host_cfg.cpu_info = true;
	host_cfg.cpu_guest = true;
	host_cfg.collector_timeout = 10;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rbuf rb[CTX_RBUFS];
	struct collector_ctx c = { .cfg = &host_cfg, .deadline_ns = UINT64_MAX / 2 };
	const struct target *t;
	struct tf_parse p = { 0 };
	struct metrics_writer *w;
	struct buf b;
	size_t ti, skip;
	int r;

	if (!root[0]) {
		setup();
		atexit(cleanup);
	}
	t = target_of(data, size, &skip);
	if (!t)
		return 0;
	ti = (size_t)(t - targets);
	write_file(t->file, data + skip, size - skip);
	for (int i = 0; i < CTX_RBUFS; i++)
		c.rb[i] = &rb[i];
	buf_init(&b, 0);
	w = metrics_writer_new(&b, METRICS_FORMAT_TEXT);
	if (!w)
		abort();
	r = t->col->collect(&c, w);
	metrics_writer_finish(w);
	metrics_writer_free(w);
	if (r > 0)
		abort();
	if (b.data && b.len) {
		if (!fuzz_utf8_valid(b.data) || b.data[b.len - 1] != '\n')
			abort();
		if (tf_parse_text(&p, b.data, b.len) != 0) {
			fprintf(stderr, "invalid exposition from %s: %s\n%s", t->col->name, p.err, b.data);
			abort();
		}
	}
	tf_parse_done(&p);
	buf_done(&b);
	write_file(t->file, orig[ti], orig_len[ti]);
	return 0;
}
