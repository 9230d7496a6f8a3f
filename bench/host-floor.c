/*
 * host-floor: the floor for host-exporter's scrape cost — open, read and
 * close the same /proc and /sys files its default collectors read (and
 * statfs the same mounts), in one process, N times; prints the mean time
 * per iteration in microseconds.  Used by bench/host-exporter-bench.sh.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static void slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

int main(int argc, char **argv)
{
	static const char *const files[] = {
		"/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/vmstat", "/proc/diskstats",
		"/proc/net/dev", "/proc/net/netstat", "/proc/net/snmp", "/proc/net/snmp6",
		"/proc/net/sockstat", "/proc/net/sockstat6", "/proc/pressure/cpu", "/proc/pressure/io",
		"/proc/pressure/memory", "/proc/sys/fs/file-nr", "/proc/1/mounts", "/etc/os-release",
		"/sys/devices/system/clocksource/clocksource0/available_clocksource",
		"/sys/devices/system/clocksource/clocksource0/current_clocksource",
	};
	char nics[64][300], mounts[64][256];
	int n = argc > 1 ? atoi(argv[1]) : 1000, nn = 0, nm = 0;
	struct timespec a, b;
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	FILE *f;
	char line[1024];

	while (d && (de = readdir(d)) && nn < 64)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "lo") != 0)
			snprintf(nics[nn++], sizeof(nics[0]), "/sys/class/net/%s/statistics/rx_nohandler", de->d_name);
	if (d)
		closedir(d);
	/* the mounts the default excludes keep: a rough filter is enough */
	f = fopen("/proc/1/mounts", "r");
	while (f && fgets(line, sizeof(line), f) && nm < 64) {
		char dev[256], mp[256], type[64];

		if (sscanf(line, "%255s %255s %63s", dev, mp, type) != 3)
			continue;
		if (!strncmp(mp, "/dev", 4) || !strncmp(mp, "/proc", 5) || !strncmp(mp, "/sys", 4) ||
		    !strncmp(mp, "/run", 4) || strstr("proc sysfs cgroup2 cgroup devpts mqueue tracefs debugfs overlay", type))
			continue;
		snprintf(mounts[nm++], sizeof(mounts[0]), "%s", mp);
	}
	if (f)
		fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		struct statfs st;

		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
			slurp(files[k]);
		for (int k = 0; k < nn; k++)
			slurp(nics[k]);
		for (int k = 0; k < nm; k++)
			statfs(mounts[k], &st);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1e3);
	return 0;
}
