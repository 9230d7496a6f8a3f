/*
 * Concurrency test of the metrics registry (also run under ThreadSanitizer,
 * `make tsan`): 8 threads hammer distinct and shared counters, histograms and
 * a gauge while 2 threads scrape continuously (both formats) and a 9th thread
 * registers new series.  Scrapes must see monotonic, internally consistent
 * values; after the join every total must be exact.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "../harness.h"

#define WORKERS 8
#define SCRAPERS 2
#define LATE_SERIES 1000

#if defined(__SANITIZE_THREAD__)
#define ITER 40000
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ITER 40000
#endif
#endif
#ifndef ITER
#define ITER 200000
#endif

static const double obs[4] = {0.0005, 0.005, 0.05, 5};
static const uint64_t obs_ns[4] = {500000, 5000000, 50000000, 5000000000ULL};
static const double bounds[] = {0.001, 0.01, 0.1, 1};

static struct metrics_registry *reg;
static struct metric_family *own_c, *own_h, *late_c;
static struct counter *shared_c;
static struct histogram *shared_h;
static struct gauge *shared_g;
static struct counter *own_counter[WORKERS];
static struct histogram *own_hist[WORKERS];
static pthread_barrier_t start;
static atomic_bool stop;

struct scrape_result {
	int scrapes, errors;
};

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct counter *c = own_counter[id];
	struct histogram *h = own_hist[id];

	pthread_barrier_wait(&start);
	for (int i = 0; i < ITER; i++) {
		counter_inc(c);
		counter_inc(shared_c);
		histogram_observe(h, obs[i & 3]);
		histogram_observe_ns(shared_h, obs_ns[i & 3]);
		gauge_add(shared_g, 1);
	}
	return NULL;
}

/* Scrapes completed so far (all scrapers): the registrar paces itself on it. */
static atomic_int scrapes_done;

static void *registrar(void *arg)
{
	char v[16];

	pthread_barrier_wait(&start);
	for (int i = 0; i < LATE_SERIES; i++) {
		snprintf(v, sizeof(v), "%d", i);
		struct counter *c = counter_labels(late_c, (const char *const[]){v});

		if (c)
			counter_add(c, (uint64_t)i);
		/* every 50 series, let a scrape run over the list being appended
		 * (bounded: at most ~2 s per pause) */
		if (i % 50 == 49) {
			int seen = atomic_load(&scrapes_done);
			struct timespec ts = {0, 1000000};

			for (int k = 0; k < 2000 && atomic_load(&scrapes_done) < seen + 2; k++)
				nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, pl) == 0;
	return n;
}

static void *scraper(void *arg)
{
	struct scrape_result *res = arg;
	double last_shared = 0, last_count = 0;
	size_t last_late = 0;
	struct buf b;

	buf_init(&b, 0);
	pthread_barrier_wait(&start);
	while (!atomic_load(&stop) || res->scrapes < 3) {
		enum metrics_format f = res->scrapes & 1 ? METRICS_FORMAT_OPENMETRICS
							 : METRICS_FORMAT_TEXT;
		double v, cnt, inf;
		size_t late;

		buf_reset(&b);
		if (metrics_registry_expose(reg, f, &b) != 0) {
			res->errors++;
			continue;
		}
		v = value_of(b.data, "shared_total");
		cnt = value_of(b.data, "shared_seconds_count");
		inf = value_of(b.data, "shared_seconds_bucket{le=\"+Inf\"}");
		late = count_lines(b.data, "late_total{");
		/* counters only grow, _count is the +Inf bucket, series only appear */
		if (v < last_shared || cnt < last_count || cnt != inf || late < last_late) {
			fprintf(stderr, "# bad scrape: shared %g<%g count %g<%g inf %g late %zu<%zu\n",
				v, last_shared, cnt, last_count, inf, late, last_late);
			res->errors++;
		}
		if (f == METRICS_FORMAT_OPENMETRICS && !strstr(b.data, "# EOF\n"))
			res->errors++;
		last_shared = v;
		last_count = cnt;
		last_late = late;
		res->scrapes++;
		atomic_fetch_add(&scrapes_done, 1);
	}
	buf_done(&b);
	return NULL;
}

static void test_hammer(void)
{
	pthread_t w[WORKERS], s[SCRAPERS], r;
	struct scrape_result res[SCRAPERS] = {{0, 0}};
	char v[16];

	reg = metrics_registry_new();
	own_c = metrics_counter_new(reg, "hammer_total", "Per-thread.",
				    (const char *const[]){"thread", NULL});
	own_h = metrics_histogram_new(reg, "hammer_seconds", "Per-thread.",
				      (const char *const[]){"thread", NULL}, bounds, 4);
	late_c = metrics_counter_new(reg, "late_total", "Registered while scraping.",
				     (const char *const[]){"n", NULL});
	shared_c = counter_get(metrics_counter_new(reg, "shared_total", "Shared.", NULL));
	shared_h = histogram_get(
		metrics_histogram_new(reg, "shared_seconds", "Shared.", NULL, bounds, 4));
	shared_g = gauge_get(metrics_gauge_new(reg, "shared_gauge", "Shared.", NULL));
	CHECK(own_c && own_h && late_c && shared_c && shared_h && shared_g);
	for (int i = 0; i < WORKERS; i++) {
		snprintf(v, sizeof(v), "%d", i);
		own_counter[i] = counter_labels(own_c, (const char *const[]){v});
		own_hist[i] = histogram_labels(own_h, (const char *const[]){v});
		CHECK(own_counter[i] && own_hist[i]);
	}
	CHECK_INT(metrics_register_process(reg), 0);

	pthread_barrier_init(&start, NULL, WORKERS + SCRAPERS + 1);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < SCRAPERS; i++)
		pthread_create(&s[i], NULL, scraper, &res[i]);
	pthread_create(&r, NULL, registrar, NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(r, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < SCRAPERS; i++) {
		pthread_join(s[i], NULL);
		CHECK_INT(res[i].errors, 0);
		CHECK(res[i].scrapes >= 3);
		printf("# scraper %d: %d scrapes\n", i, res[i].scrapes);
	}
	pthread_barrier_destroy(&start);

	/* exact totals */
	const uint64_t q = ITER / 4;
	const uint64_t sum_ns = 500000 + 5000000 + 50000000 + 5000000000ULL;
	for (int i = 0; i < WORKERS; i++) {
		CHECK_INT(counter_value(own_counter[i]), ITER);
		for (int b = 0; b < 5; b++)
			CHECK_INT(atomic_load(&own_hist[i]->buckets[b]), b == 3 ? 0 : q);
		CHECK_INT(atomic_load(&own_hist[i]->sum_nano), q * sum_ns);
	}
	CHECK_INT(counter_value(shared_c), (uint64_t)WORKERS * ITER);
	for (int b = 0; b < 5; b++)
		CHECK_INT(atomic_load(&shared_h->buckets[b]), b == 3 ? 0 : WORKERS * q);
	CHECK_INT(atomic_load(&shared_h->sum_nano), WORKERS * q * sum_ns);
	CHECK(gauge_value(shared_g) == (double)WORKERS * ITER);

	/* and the exposition says the same */
	struct buf b;
	char want[256];
	buf_init(&b, 0);
	CHECK_INT(metrics_registry_expose(reg, METRICS_FORMAT_TEXT, &b), 0);
	snprintf(want, sizeof(want), "\nshared_total %llu\n", (unsigned long long)WORKERS * ITER);
	CHECK(strstr(b.data, want) != NULL);
	snprintf(want, sizeof(want),
		 "\nshared_seconds_bucket{le=\"0.001\"} %llu\n"
		 "shared_seconds_bucket{le=\"0.01\"} %llu\n"
		 "shared_seconds_bucket{le=\"0.1\"} %llu\n"
		 "shared_seconds_bucket{le=\"1\"} %llu\n"
		 "shared_seconds_bucket{le=\"+Inf\"} %llu\n",
		 (unsigned long long)WORKERS * q, (unsigned long long)2 * WORKERS * q,
		 (unsigned long long)3 * WORKERS * q, (unsigned long long)3 * WORKERS * q,
		 (unsigned long long)4 * WORKERS * q);
	CHECK(strstr(b.data, want) != NULL);
	snprintf(want, sizeof(want), "\nhammer_total{thread=\"7\"} %d\n", ITER);
	CHECK(strstr(b.data, want) != NULL);
	snprintf(want, sizeof(want), "\nshared_gauge %d\n", WORKERS * ITER);
	CHECK(strstr(b.data, want) != NULL);
	CHECK_INT(count_lines(b.data, "late_total{"), LATE_SERIES);
	CHECK(strstr(b.data, "\nlate_total{n=\"999\"} 999\n") != NULL);
	buf_done(&b);
	metrics_registry_free(reg);
}

int main(void)
{
	RUN(test_hammer);
	return harness_done();
}
