/*
 * nodeflags: node_exporter 1.5's command-line flags, so an ARGS= line written
 * for Debian's prometheus-node-exporter keeps working with host-exporter.
 *
 * A flag node_exporter 1.5 accepts that host-exporter does not declare (a
 * collector or an option not implemented here) is taken out of argv before
 * the flags are parsed, with its value (--flag=V, or the next argument for a
 * flag that takes one; --no-flag for a boolean), and named in one warning
 * once logging is set up.  Anything else, a truly unknown flag included,
 * goes to the ordinary parser (exit 2).  The table is the flag list of
 * Debian's prometheus-node-exporter 1.5.0 --help (name; true: a boolean,
 * which kingpin shows without "=VALUE"); --help, --help-long, --help-man and
 * --version are left out.  tests/integration/host/test_node_flags.sh checks
 * it against that --help at test time.
 *
 * Thread-safety: start-up only, on the main thread.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"

static const struct {
	const char *name;
	bool boolean;
} node_flags[] = {
	{ "collector.arp.device-include", false },
	{ "collector.arp.device-exclude", false },
	{ "collector.bcache.priority", true },
	{ "collector.cpu.guest", true },
	{ "collector.cpu.info", true },
	{ "collector.cpu.info.flags-include", false },
	{ "collector.cpu.info.bugs-include", false },
	{ "collector.diskstats.device-exclude", false },
	{ "collector.diskstats.device-include", false },
	{ "collector.ethtool.device-include", false },
	{ "collector.ethtool.device-exclude", false },
	{ "collector.ethtool.metrics-include", false },
	{ "collector.filesystem.mount-points-exclude", false },
	{ "collector.filesystem.fs-types-exclude", false },
	{ "collector.ipvs.backend-labels", false },
	{ "collector.netclass.ignored-devices", false },
	{ "collector.netclass.ignore-invalid-speed", true },
	{ "collector.netclass.netlink", true },
	{ "collector.netclass_rtnl.with-stats", true },
	{ "collector.netdev.device-include", false },
	{ "collector.netdev.device-exclude", false },
	{ "collector.netdev.address-info", true },
	{ "collector.netdev.enable-detailed-metrics", true },
	{ "collector.netdev.netlink", true },
	{ "collector.netstat.fields", false },
	{ "collector.ntp.server", false },
	{ "collector.ntp.server-port", false },
	{ "collector.ntp.protocol-version", false },
	{ "collector.ntp.server-is-local", true },
	{ "collector.ntp.ip-ttl", false },
	{ "collector.ntp.max-distance", false },
	{ "collector.ntp.local-offset-tolerance", false },
	{ "path.procfs", false },
	{ "path.sysfs", false },
	{ "path.rootfs", false },
	{ "path.udev.data", false },
	{ "collector.perf.cpus", false },
	{ "collector.perf.tracepoint", false },
	{ "collector.powersupply.ignored-supplies", false },
	{ "collector.qdisc.fixtures", false },
	{ "collector.qdisk.device-include", false },
	{ "collector.qdisk.device-exclude", false },
	{ "collector.rapl.enable-zone-label", true },
	{ "collector.runit.servicedir", false },
	{ "collector.stat.softirq", true },
	{ "collector.supervisord.url", false },
	{ "collector.sysctl.include", false },
	{ "collector.sysctl.include-info", false },
	{ "collector.systemd.unit-include", false },
	{ "collector.systemd.unit-exclude", false },
	{ "collector.systemd.enable-task-metrics", true },
	{ "collector.systemd.enable-restarts-metrics", true },
	{ "collector.systemd.enable-start-time-metrics", true },
	{ "collector.tapestats.ignored-devices", false },
	{ "collector.textfile.directory", false },
	{ "collector.vmstat.fields", false },
	{ "collector.wifi.fixtures", false },
	{ "collector.arp", true },
	{ "collector.bcache", true },
	{ "collector.bonding", true },
	{ "collector.btrfs", true },
	{ "collector.buddyinfo", true },
	{ "collector.cgroups", true },
	{ "collector.conntrack", true },
	{ "collector.cpu", true },
	{ "collector.cpufreq", true },
	{ "collector.diskstats", true },
	{ "collector.dmi", true },
	{ "collector.drbd", true },
	{ "collector.drm", true },
	{ "collector.edac", true },
	{ "collector.entropy", true },
	{ "collector.ethtool", true },
	{ "collector.fibrechannel", true },
	{ "collector.filefd", true },
	{ "collector.filesystem", true },
	{ "collector.hwmon", true },
	{ "collector.infiniband", true },
	{ "collector.interrupts", true },
	{ "collector.ipvs", true },
	{ "collector.ksmd", true },
	{ "collector.lnstat", true },
	{ "collector.loadavg", true },
	{ "collector.logind", true },
	{ "collector.mdadm", true },
	{ "collector.meminfo", true },
	{ "collector.meminfo_numa", true },
	{ "collector.mountstats", true },
	{ "collector.netclass", true },
	{ "collector.netdev", true },
	{ "collector.netstat", true },
	{ "collector.network_route", true },
	{ "collector.nfs", true },
	{ "collector.nfsd", true },
	{ "collector.ntp", true },
	{ "collector.nvme", true },
	{ "collector.os", true },
	{ "collector.perf", true },
	{ "collector.powersupplyclass", true },
	{ "collector.pressure", true },
	{ "collector.processes", true },
	{ "collector.qdisc", true },
	{ "collector.rapl", true },
	{ "collector.runit", true },
	{ "collector.schedstat", true },
	{ "collector.selinux", true },
	{ "collector.slabinfo", true },
	{ "collector.sockstat", true },
	{ "collector.softnet", true },
	{ "collector.stat", true },
	{ "collector.supervisord", true },
	{ "collector.sysctl", true },
	{ "collector.systemd", true },
	{ "collector.tapestats", true },
	{ "collector.tcpstat", true },
	{ "collector.textfile", true },
	{ "collector.thermal_zone", true },
	{ "collector.time", true },
	{ "collector.timex", true },
	{ "collector.udp_queues", true },
	{ "collector.uname", true },
	{ "collector.vmstat", true },
	{ "collector.wifi", true },
	{ "collector.xfs", true },
	{ "collector.zfs", true },
	{ "collector.zoneinfo", true },
	{ "web.telemetry-path", false },
	{ "web.disable-exporter-metrics", true },
	{ "web.max-requests", false },
	{ "collector.disable-defaults", true },
	{ "runtime.gomaxprocs", false },
	{ "web.systemd-socket", true },
	{ "web.listen-address", false },
	{ "web.config.file", false },
	{ "log.level", false },
	{ "log.format", false },
};

static int node_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(node_flags) / sizeof(node_flags[0]); i++)
		if (strlen(node_flags[i].name) == len && strncmp(node_flags[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int nodeflags_filter(const struct flagset *fs, int argc, char **argv, const char **ignored,
		     size_t *nignored)
{
	int o = 1;
	size_t ni = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		size_t len;
		int k;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			argv[o++] = argv[i];
			continue;
		}
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if (flagset_find(fs, name, len) ||
		    (len > 3 && strncmp(name, "no-", 3) == 0 && flagset_find(fs, name + 3, len - 3))) {
			argv[o++] = argv[i];
			continue;
		}
		k = node_flag(name, len);
		if (k < 0 && len > 3 && strncmp(name, "no-", 3) == 0 && !eq) {
			k = node_flag(name + 3, len - 3);
			if (k >= 0 && !node_flags[k].boolean)
				k = -1;
		}
		if (k < 0) {
			argv[o++] = argv[i];	/* unknown: the parser says so */
			continue;
		}
		if (!eq && !node_flags[k].boolean && i + 1 < argc)
			i++;	/* its value */
		{
			size_t j;

			for (j = 0; j < ni; j++)
				if (ignored[j] == node_flags[k].name)
					break;
			if (j == ni && ni < *nignored)
				ignored[ni++] = node_flags[k].name;
		}
	}
	argv[o] = NULL;
	*nignored = ni;
	return o;
}

void nodeflags_warn(const char *const *ignored, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_warn("flag of node_exporter 1.5 not implemented by host-exporter, ignored",
			 "flag", ignored[i], NULL);
}
