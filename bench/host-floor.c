/*
 * host-floor: the floor for host-exporter's scrape cost — read the same
 * /proc and /sys files its default collectors read (and statfs the same
 * mounts), in one process, N times; prints the mean time per iteration in
 * microseconds, twice:
 *
 *   orc   open, read, close every file (what a reader without kept
 *         descriptors pays; node_exporter's way);
 *   kept  pread from offset 0 on descriptors kept open for the /proc files
 *         and the /sys/devices/system attributes (the kernel regenerates
 *         them on every read from 0), open/read/close for the others — what
 *         host-exporter does (procfile.c).
 *
 * Reads are sized as a sensible reader sizes them: 4 KiB first, the buffer
 * doubled only when a read fills it.  The size matters: /proc/sys handlers
 * (fs/proc/proc_sysctl.c proc_sys_call_handler) allocate and zero a kernel
 * buffer of the requested count, so one 1 MiB read of /proc/sys/fs/file-nr
 * costs ~100 us where a 4 KiB read costs ~0.6 us.
 *
 * usage: host-floor [N]   (default 1000) -> "ORC_US KEPT_US"
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define MAXF 256

static char *buf;
static size_t cap = 4096;

/* Read fd from offset 0 to EOF: 4 KiB chunks, doubling when one fills. */
static void slurp_fd(int fd, int use_pread)
{
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (cap - off < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = use_pread ? pread(fd, buf + off, cap - off, (off_t)off) : read(fd, buf + off, cap - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	slurp_fd(fd, 0);
	close(fd);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static char files[MAXF][320];
static int nfiles;
static char mounts[64][256];
static int nm;

static void add(const char *fmt, const char *a, const char *b)
{
	if (nfiles < MAXF)
		snprintf(files[nfiles++], sizeof(files[0]), fmt, a, b);
}

/* The directories a scrape lists, each time (process_open_fds, the CPU
 * and clocksource collectors). */
static void walk_dirs(void)
{
	static const char *const dirs[] = { "/proc/self/fd", "/sys/devices/system/cpu",
					    "/sys/devices/system/clocksource" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d = opendir(dirs[i]);

		while (d && readdir(d))
			;
		if (d)
			closedir(d);
	}
}

int main(int argc, char **argv)
{
	/* What host-exporter's 16 collectors read on this kernel (strace of a
	 * scrape), its process_* metrics included (/proc/self/...). */
	static const char *const fixed[] = {
		"/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/vmstat",
		"/proc/diskstats", "/proc/net/dev", "/proc/net/netstat", "/proc/net/snmp",
		"/proc/net/snmp6", "/proc/net/sockstat", "/proc/net/sockstat6", "/proc/pressure/cpu",
		"/proc/pressure/io", "/proc/pressure/memory", "/proc/sys/fs/file-nr", "/proc/1/mounts",
		"/proc/self/stat", "/proc/self/limits",
		"/etc/os-release", "/sys/devices/system/cpu/isolated",
		"/sys/devices/system/clocksource/clocksource0/available_clocksource",
		"/sys/devices/system/clocksource/clocksource0/current_clocksource",
	};
	int n = argc > 1 ? atoi(argv[1]) : 1000, kfd[MAXF];
	DIR *d;
	struct dirent *de;
	FILE *f;
	char line[1024];
	double t0, orc, kept;

	buf = malloc(cap);
	if (!buf)
		return 1;
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		add("%s%s", fixed[k], "");
	d = opendir("/sys/class/net");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, "lo") != 0)
			add("/sys/class/net/%s/statistics/%s", de->d_name, "rx_nohandler");
	if (d)
		closedir(d);
	d = opendir("/sys/devices/system/cpu");
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "cpu", 3) && de->d_name[3] >= '0' && de->d_name[3] <= '9') {
			add("/sys/devices/system/cpu/%s/topology/%s", de->d_name, "core_id");
			add("/sys/devices/system/cpu/%s/topology/%s", de->d_name, "physical_package_id");
			/* absent on VMs: the exporter still tries them */
			add("/sys/devices/system/cpu/%s/thermal_throttle/%s", de->d_name, "core_throttle_count");
			add("/sys/devices/system/cpu/%s/thermal_throttle/%s", de->d_name, "package_throttle_count");
		}
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

	/* open/read/close everything; the directories walked per scrape too */
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		struct statfs st;

		for (int k = 0; k < nfiles; k++)
			slurp(files[k]);
		walk_dirs();
		for (int k = 0; k < nm; k++)
			statfs(mounts[k], &st);
	}
	orc = (now_us() - t0) / n;

	/* kept descriptors for /proc (not /proc/self: the exporter reads its
	 * own files through the shared library, afresh) and for the CPU and
	 * clocksource attributes under /sys/devices/system; afresh for the
	 * rest (os-release, network device attributes) */
	for (int k = 0; k < nfiles; k++)
		kfd[k] = (!strncmp(files[k], "/proc/", 6) && strncmp(files[k], "/proc/self/", 11)) ||
				 !strncmp(files[k], "/sys/devices/system/", 20)
				 ? open(files[k], O_RDONLY | O_CLOEXEC) : -1;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		struct statfs st;

		for (int k = 0; k < nfiles; k++) {
			if (kfd[k] >= 0)
				slurp_fd(kfd[k], 1);
			else
				slurp(files[k]);
		}
		walk_dirs();
		for (int k = 0; k < nm; k++)
			statfs(mounts[k], &st);
	}
	kept = (now_us() - t0) / n;
	printf("%.1f %.1f\n", orc, kept);
	return 0;
}
