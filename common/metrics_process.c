/*
 * metrics_process: the standard process_* families and <prefix>_build_info.
 *
 * Names, HELP texts and computations follow client_golang's process
 * collector (prometheus/process_collector*.go over prometheus/procfs), so
 * dashboards built for Go services work unchanged:
 *   process_cpu_seconds_total      (utime + stime) / USER_HZ   proc(5) stat 14, 15
 *   process_open_fds               entries of /proc/self/fd (its st_size since
 *                                  Linux 6.2: no listing)
 *   process_max_fds                soft "Max open files", /proc/self/limits
 *   process_virtual_memory_bytes   vsize                       proc(5) stat 23
 *   process_virtual_memory_max_bytes soft "Max address space"
 *   process_resident_memory_bytes  rss * page size             proc(5) stat 24
 *   process_start_time_seconds     btime (/proc/stat) + starttime / USER_HZ (stat 22)
 * USER_HZ is sysconf(_SC_CLK_TCK) (Go's procfs assumes 100, the value on
 * every Linux it runs on).  Values are read at scrape time by a collector.
 *
 * Cheap scrapes (issue 13): /proc/self/stat, /proc/self/limits and the
 * /proc/self/fd directory are opened once, at registration, and kept
 * (O_CLOEXEC); a scrape preads the two files from offset 0 (seq_file
 * regenerates them) and counts descriptors with one fstat() of the
 * directory (Linux >= 6.2 reports the number of open descriptors as its
 * size), or where that says 0, with getdents64 over the kept descriptor
 * rewound to 0 (one scrape at a time; a concurrent one opens its own).  So
 * a scrape opens nothing: the figures come even when the process is out of
 * descriptors, when they matter most.  The three kept descriptors count in
 * process_open_fds, as the directory listing's own did before.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buf.h"
#include "metrics_int.h"

struct process_ctx {
	long clk_tck;
	long page_size;
	double btime;	/* boot time, seconds since the epoch; < 0: not read yet */
	int stat_fd;	/* /proc/self/stat, /proc/self/limits, /proc/self/fd; */
	int limits_fd;	/* -1 where the open failed: then opened per scrape */
	int fd_dir;
	pthread_mutex_t dir_lock;	/* fd_dir's offset, for the getdents64 path */
};

/* Reads a small /proc file from a kept descriptor (NUL-terminated).
 * /proc/PID/stat and /proc/PID/limits are single_open seq_files
 * (fs/proc/base.c): the first read from offset 0 formats the whole file
 * and returns all of it that fits, so a read shorter than asked is the
 * end; no second pread to see 0 (one system call per file per scrape). */
static ssize_t pread_small(int fd, char *b, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = pread(fd, b + len, size - 1 - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if ((size_t)n < size - 1 - (len - (size_t)n))
			break;	/* short: the end */
	}
	b[len] = '\0';
	return (ssize_t)len;
}

/* The soft limit of a /proc/self/limits row ("unlimited" -> UINT64_MAX). */
static int limits_soft(const char *limits, const char *row, uint64_t *ret)
{
	const char *p = strstr(limits, row);

	if (!p)
		return -ENOENT;
	p += strlen(row);
	while (*p == ' ')
		p++;
	if (!strncmp(p, "unlimited", 9)) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	*ret = strtoull(p, NULL, 10);
	return 0;
}

static double read_btime(void)
{
	/* /proc/stat has a line per CPU; 64 KiB covers a few hundred CPUs. */
	size_t size = 65536;
	char *b = malloc(size);
	double bt = -1;

	if (!b)
		return -1;
	if (file_read_small("/proc/stat", b, size) > 0) {
		char *p = strstr(b, "\nbtime ");

		if (p)
			bt = (double)strtoull(p + 7, NULL, 10);
	}
	free(b);
	return bt;
}

/* Entries of the directory open at fd but "." and "..": getdents64 from
 * offset 0 (glibc's readdir would need a DIR of its own). */
static int list_count(int fd, uint64_t *ret)
{
	/* struct linux_dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name */
	char buf[4096] __attribute__((aligned(8)));
	uint64_t n = 0;
	long got;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			unsigned short reclen;
			const char *name = buf + off + 19;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (reclen == 0)
				return -EIO;
			if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))))
				n++;
			off += reclen;
		}
	}
	if (got < 0)
		return -errno;
	*ret = n;
	return 0;
}

/* The number of open descriptors: the fd directory's st_size (Linux >= 6.2),
 * else its entries.  0 or -errno. */
static int count_fds_list(struct process_ctx *ctx, uint64_t *ret)
{
	int r, fd;

	if (ctx->fd_dir >= 0 && pthread_mutex_trylock(&ctx->dir_lock) == 0) {
		r = list_count(ctx->fd_dir, ret);
		pthread_mutex_unlock(&ctx->dir_lock);
		return r;
	}
	/* another scrape is listing (or the directory could not be kept) */
	fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = list_count(fd, ret);
	close(fd);
	return r;
}

static int count_fds(struct process_ctx *ctx, uint64_t *ret)
{
	struct stat st;

	if (ctx->fd_dir >= 0 && fstat(ctx->fd_dir, &st) == 0 && st.st_size > 0) {
		*ret = (uint64_t)st.st_size;
		return 0;
	}
	return count_fds_list(ctx, ret);
}

static int process_collect(struct metrics_writer *w, void *arg)
{
	struct process_ctx *ctx = arg;
	char b[4096];
	const char *p;
	int rc = 0;
	ssize_t n;

	/* /proc/self/stat: fields after the last ')' (comm may hold ')' or ' ') */
	n = ctx->stat_fd >= 0 ? pread_small(ctx->stat_fd, b, sizeof(b))
			      : file_read_small("/proc/self/stat", b, sizeof(b));
	if (n > 0 && (p = strrchr(b, ')'))) {
		unsigned long long f[25] = {0};	/* f[k] = field k (1-based), from 3 */
		char *end;

		p += 2;	/* ") " -> state */
		p = strchr(p, ' ');
		for (int k = 4; p && k <= 24; k++) {
			f[k] = strtoull(p, &end, 10);
			p = end;
		}
		writer_family(w, "process_cpu_seconds_total", METRIC_COUNTER,
			      "Total user and system CPU time spent in seconds.", NULL);
		writer_sample(w, NULL, (double)(f[14] + f[15]) / (double)ctx->clk_tck);
		/* open/max fds come next in Go's order */
		uint64_t nfd = 0;
		int e = count_fds(ctx, &nfd);

		if (e == 0) {
			writer_family(w, "process_open_fds", METRIC_GAUGE,
				      "Number of open file descriptors.", NULL);
			writer_sample_u64(w, NULL, nfd);
		} else
			rc = e;
		char lim[4096];
		uint64_t maxfds = 0, maxas = 0;
		bool have_limits = (ctx->limits_fd >= 0
					    ? pread_small(ctx->limits_fd, lim, sizeof(lim))
					    : file_read_small("/proc/self/limits", lim, sizeof(lim))) > 0 &&
				   limits_soft(lim, "Max open files", &maxfds) == 0 &&
				   limits_soft(lim, "Max address space", &maxas) == 0;

		if (have_limits) {
			writer_family(w, "process_max_fds", METRIC_GAUGE,
				      "Maximum number of open file descriptors.", NULL);
			writer_sample_u64(w, NULL, maxfds);
		} else
			rc = -EIO;
		writer_family(w, "process_virtual_memory_bytes", METRIC_GAUGE,
			      "Virtual memory size in bytes.", NULL);
		writer_sample_u64(w, NULL, f[23]);
		if (have_limits) {
			writer_family(w, "process_virtual_memory_max_bytes", METRIC_GAUGE,
				      "Maximum amount of virtual memory available in bytes.", NULL);
			writer_sample_u64(w, NULL, maxas);
		}
		writer_family(w, "process_resident_memory_bytes", METRIC_GAUGE,
			      "Resident memory size in bytes.", NULL);
		writer_sample_u64(w, NULL, f[24] * (uint64_t)ctx->page_size);
		if (ctx->btime >= 0) {
			writer_family(w, "process_start_time_seconds", METRIC_GAUGE,
				      "Start time of the process since unix epoch in seconds.",
				      NULL);
			writer_sample(w, NULL, ctx->btime + (double)f[22] / (double)ctx->clk_tck);
		}
		return rc;
	}
	return n < 0 ? (int)n : -EIO;
}

/* One context for the whole process, filled once; scrapes only read it. */
static struct process_ctx process_ctx_static;
static pthread_once_t process_ctx_once = PTHREAD_ONCE_INIT;

static void process_ctx_init(void)
{
	struct process_ctx *ctx = &process_ctx_static;

	ctx->clk_tck = sysconf(_SC_CLK_TCK);
	if (ctx->clk_tck <= 0)
		ctx->clk_tck = 100;
	ctx->page_size = sysconf(_SC_PAGESIZE);
	if (ctx->page_size <= 0)
		ctx->page_size = 4096;
	ctx->btime = read_btime();	/* boot time does not change */
	ctx->stat_fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ctx->limits_fd = open("/proc/self/limits", O_RDONLY | O_CLOEXEC);
	ctx->fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pthread_mutex_init(&ctx->dir_lock, NULL);
}

int metrics_register_process(struct metrics_registry *r)
{
	if (!r)
		return -EINVAL;
	pthread_once(&process_ctx_once, process_ctx_init);
	return metrics_registry_add_collector(r, process_collect, &process_ctx_static);
}

int metrics_register_build_info(struct metrics_registry *r, const char *prefix,
				const char *version, const char *revision)
{
	static const char *const labels[] = {"version", "revision", NULL};
	char name[256], help[384];
	struct metric_family *f;
	struct gauge *g;

	if (!r || !prefix || !version || !revision)
		return -EINVAL;
	if ((size_t)snprintf(name, sizeof(name), "%s_build_info", prefix) >= sizeof(name))
		return -EINVAL;
	snprintf(help, sizeof(help),
		 "A metric with a constant '1' value labeled by version and revision from which "
		 "%s was built.",
		 prefix);
	f = metrics_gauge_new(r, name, help, labels);
	if (!f)
		return -errno;
	g = gauge_labels(f, (const char *const[]){version, revision});
	if (!g)
		return -errno;
	gauge_set(g, 1);
	return 0;
}
