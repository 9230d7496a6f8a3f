/*
 * metrics_process: process_* figures against references computed here, and
 * a scrape that opens nothing (issue 13: descriptors kept, so the figures
 * come even when the process is out of descriptors).  Includes the .c for
 * the directory-listing count (the path taken on kernels before 6.2).
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "../harness.h"
#include "../../../common/metrics_process.c"
#include "buf.h"
#include "metrics.h"

static char *expose(struct metrics_registry *r)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_TEXT, &b), 0);
	return buf_steal(&b, NULL);
}

/* The value of an unlabelled sample, or NAN. */
static double sample(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, name, n) == 0 && l[n] == ' ')
			return strtod(l + n + 1, NULL);
	return NAN;
}

/* Descriptors open in this process now, by listing /proc/self/fd with a
 * DIR of our own (not counted). */
static long ref_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* A soft limit from /proc/self/limits, read here independently. */
static double ref_limit(const char *row)
{
	char line[256];
	double v = NAN;
	FILE *f = fopen("/proc/self/limits", "re");

	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, row, strlen(row)) == 0) {
			const char *p = line + strlen(row);

			while (*p == ' ')
				p++;
			v = strncmp(p, "unlimited", 9) == 0 ? (double)UINT64_MAX : strtod(p, NULL);
		}
	fclose(f);
	return v;
}

static void test_values(void)
{
	struct metrics_registry *r = metrics_registry_new();
	char *s;
	int extra[7];

	CHECK_INT(metrics_register_process(r), 0);
	s = expose(r);
	CHECK(sample(s, "process_open_fds") == (double)ref_open_fds());
	CHECK(sample(s, "process_max_fds") == ref_limit("Max open files"));
	CHECK(sample(s, "process_virtual_memory_max_bytes") == ref_limit("Max address space"));
	CHECK(sample(s, "process_resident_memory_bytes") > 100000);
	free(s);
	for (int i = 0; i < 7; i++)
		extra[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s = expose(r);
	CHECK(sample(s, "process_open_fds") == (double)ref_open_fds());
	free(s);
	/* the listing path (kernels before 6.2) counts the same */
	{
		uint64_t listed = 0;

		CHECK_INT(count_fds_list(&process_ctx_static, &listed), 0);
		CHECK_INT(listed, ref_open_fds());
	}
	for (int i = 0; i < 7; i++)
		close(extra[i]);
	s = expose(r);
	CHECK(sample(s, "process_open_fds") == (double)ref_open_fds());
	free(s);
	metrics_registry_free(r);
}

/* Out of descriptors: a scrape still reports every process_* figure. */
static void test_no_fd_left(void)
{
	struct metrics_registry *r = metrics_registry_new();
	struct rlimit old, low;
	int fds[256], n = 0;
	long before;
	char *s;

	CHECK_INT(metrics_register_process(r), 0);
	before = ref_open_fds();
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = (rlim_t)before + 16;
	CHECK(before > 0 && (size_t)before + 16 < sizeof(fds) / sizeof(fds[0]) &&
	      setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (n < (int)(sizeof(fds) / sizeof(fds[0]))) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	CHECK(open("/dev/null", O_RDONLY | O_CLOEXEC) < 0 && errno == EMFILE);
	s = expose(r);
	/* what was open, and what we opened (EMFILE comes when no number
	 * below the limit is free: a descriptor inherited above it counts) */
	CHECK(sample(s, "process_open_fds") == (double)(before + n));
	CHECK(sample(s, "process_max_fds") == (double)low.rlim_cur);
	CHECK(sample(s, "process_cpu_seconds_total") >= 0);
	CHECK(sample(s, "process_resident_memory_bytes") > 100000);
	CHECK(!isnan(sample(s, "process_start_time_seconds")));
	free(s);
	while (n > 0)
		close(fds[--n]);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	metrics_registry_free(r);
}

/* Concurrent scrapes (make tsan): the kept descriptors are shared; the
 * listing path rewinds one directory descriptor under a trylock, and a
 * scrape that finds it busy lists a descriptor of its own (counted). */
#define SCRAPERS 4
static long ref_base;
static _Atomic int bad_counts;

static void *scraper(void *arg)
{
	struct metrics_registry *r = arg;

	for (int i = 0; i < 50; i++) {
		struct buf b;
		uint64_t listed = 0;
		double v;

		buf_init(&b, 0);
		if (metrics_registry_expose(r, METRICS_FORMAT_TEXT, &b) != 0)
			bad_counts++;
		v = b.data ? sample(b.data, "process_open_fds") : NAN;
		if (!(v >= (double)ref_base && v <= (double)(ref_base + SCRAPERS)))
			bad_counts++;
		buf_done(&b);
		if (count_fds_list(&process_ctx_static, &listed) != 0 ||
		    listed < (uint64_t)ref_base || listed > (uint64_t)(ref_base + SCRAPERS))
			bad_counts++;
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct metrics_registry *r = metrics_registry_new();
	pthread_t t[SCRAPERS];

	CHECK_INT(metrics_register_process(r), 0);
	ref_base = ref_open_fds();
	for (int i = 0; i < SCRAPERS; i++)
		CHECK_INT(pthread_create(&t[i], NULL, scraper, r), 0);
	for (int i = 0; i < SCRAPERS; i++)
		pthread_join(t[i], NULL);
	CHECK_INT(bad_counts, 0);
	CHECK_INT(ref_open_fds(), ref_base);
	metrics_registry_free(r);
}

int main(void)
{
	RUN(test_values);
	RUN(test_no_fd_left);
	RUN(test_concurrent);
	return harness_done();
}
