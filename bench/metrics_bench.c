/*
 * metrics_bench: the cost of the metrics hot path and of exposition.
 *
 *   counter_inc vs a bare atomic_fetch_add on a uint64_t (the floor): one
 *   thread, 2 threads on distinct series, 2 threads on the same series;
 *   histogram_observe (double) and histogram_observe_ns; exposition of a
 *   registry of 10,000 series (median of >= 20 runs, bytes); and the writer's
 *   cost per streamed sample (what the exporters pay per scrape).
 *   Issue 15: observe with native buckets and with an exemplar beside the
 *   classic-only observe_ns, and the time and size of a protobuf scrape
 *   beside text and OpenMetrics (histograms with and without native buckets).
 *
 * Prints a table with ratios to the bare atomic.  Never fails on speed.
 * METRICS_BENCH_QUICK=1 shortens every loop (smoke test).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

static long iters = 50000000;
static int runs = 25;

/*
 * Time is the calling thread's CPU time: the build machine runs other jobs
 * (2 cores shared with parallel builds), and wall time would charge their
 * preemption to us.  Spinning on a contended cache line is CPU time too.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Two bare atomics on distinct cache lines, as the registry lays out series. */
static struct {
	_Alignas(64) _Atomic uint64_t a;
	_Alignas(64) _Atomic uint64_t b;
} bare;

enum op { OP_BARE, OP_COUNTER, OP_OBSERVE, OP_OBSERVE_NS, OP_OBSERVE_NS_EX };

struct job {
	enum op op;
	_Atomic uint64_t *atom;
	struct counter *c;
	struct histogram *h;
	pthread_barrier_t *bar;
	double ns_per_op;
};

static double values[1024];
static uint64_t values_ns[1024];

static void *run_job(void *arg)
{
	struct job *j = arg;
	uint64_t t0;
	long n = iters;

	if (j->bar)
		pthread_barrier_wait(j->bar);
	t0 = now_ns();
	switch (j->op) {
	case OP_BARE:
		for (long i = 0; i < n; i++)
			atomic_fetch_add_explicit(j->atom, 1, memory_order_relaxed);
		break;
	case OP_COUNTER:
		for (long i = 0; i < n; i++)
			counter_inc(j->c);
		break;
	case OP_OBSERVE:
		n /= 4;
		for (long i = 0; i < n; i++)
			histogram_observe(j->h, values[i & 1023]);
		break;
	case OP_OBSERVE_NS:
		n /= 4;
		for (long i = 0; i < n; i++)
			histogram_observe_ns(j->h, values_ns[i & 1023]);
		break;
	case OP_OBSERVE_NS_EX:	/* with a request id, as orderd observes */
		n /= 4;
		for (long i = 0; i < n; i++)
			histogram_observe_ns_ex(j->h, values_ns[i & 1023], "5f3a9c0d1e-1b2c3d");
		break;
	}
	j->ns_per_op = (double)(now_ns() - t0) / (double)n;
	return NULL;
}

/* ns per op: one thread, or two threads (the mean of their per-op times). */
static double measure(struct job *a, struct job *b)
{
	pthread_barrier_t bar;
	pthread_t t1, t2;

	if (!b) {
		a->bar = NULL;
		run_job(a);
		return a->ns_per_op;
	}
	pthread_barrier_init(&bar, NULL, 2);
	a->bar = b->bar = &bar;
	pthread_create(&t1, NULL, run_job, a);
	pthread_create(&t2, NULL, run_job, b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_barrier_destroy(&bar);
	return (a->ns_per_op + b->ns_per_op) / 2;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median exposition time (ns) and size of r. */
static uint64_t expose_median(struct metrics_registry *r, enum metrics_format f, size_t *bytes)
{
	uint64_t *t = calloc((size_t)runs, sizeof(*t)), med;
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < runs; i++) {
		uint64_t t0;

		buf_reset(&b);
		t0 = now_ns();
		metrics_registry_expose(r, f, &b);
		t[i] = now_ns() - t0;
	}
	*bytes = b.len;
	qsort(t, (size_t)runs, sizeof(*t), cmp_u64);
	med = t[runs / 2];
	free(t);
	buf_done(&b);
	return med;
}

static const double lat_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NLAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

/* 10,000 counter series: 100 routes x 4 methods x 25 codes. */
static struct metrics_registry *registry_counters(void)
{
	struct metrics_registry *r = metrics_registry_new();
	struct metric_family *f = metrics_counter_new(
		r, "bench_http_requests_total", "Requests.",
		(const char *const[]){"route", "method", "code", NULL});
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	char route[48], code[16];

	for (int i = 0; i < 100; i++)
		for (int m = 0; m < 4; m++)
			for (int c = 0; c < 25; c++) {
				snprintf(route, sizeof(route), "/api/v1/resource%d", i);
				snprintf(code, sizeof(code), "%d", 200 + c);
				counter_add(counter_labels(f, (const char *const[]){route, methods[m],
										     code}),
					    (uint64_t)(i * 1000003 + m * 7 + c));
			}
	return r;
}

/* 10,000 series mixed: 5,000 counters, 4,000 gauges, 1,000 histograms (14 buckets),
 * the histograms with native buckets and exemplars when native. */
static struct metrics_registry *registry_mixed(bool native)
{
	static const struct metrics_histogram_opts o = { .native = true, .exemplars = true };
	struct metrics_registry *r = metrics_registry_new();
	struct metric_family *c = metrics_counter_new(r, "bench_ops_total", "Ops.",
						      (const char *const[]){"shard", NULL});
	struct metric_family *g = metrics_gauge_new(r, "bench_queue_depth", "Depth.",
						    (const char *const[]){"queue", NULL});
	struct metric_family *h = metrics_histogram_new_opts(
		r, "bench_latency_seconds", "Latency.", (const char *const[]){"endpoint", NULL},
		lat_bounds, NLAT, native ? &o : NULL);
	char v[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(v, sizeof(v), "shard-%d", i);
		counter_add(counter_labels(c, (const char *const[]){v}), (uint64_t)i * 977);
	}
	for (int i = 0; i < 4000; i++) {
		snprintf(v, sizeof(v), "q%d", i);
		gauge_set(gauge_labels(g, (const char *const[]){v}), i * 0.25);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(v, sizeof(v), "/e/%d", i);
		struct histogram *hs = histogram_labels(h, (const char *const[]){v});

		for (int k = 0; k < 50; k++)
			histogram_observe_ns_ex(hs, values_ns[(i + k) & 1023], "5f3a9c0d1e-1b2c3d");
	}
	return r;
}

/* Streams nfam families x nser series per scrape; returns ns per sample. */
static double writer_bench(int scrapes, int nfam, int nser, bool integral, size_t *bytes)
{
	char names[64][48], vals[256][16];
	struct buf b;
	uint64_t t0, total = 0;

	for (int f = 0; f < nfam; f++)
		snprintf(names[f], sizeof(names[f]), "node_bench_family%d_total", f);
	for (int s = 0; s < nser; s++)
		snprintf(vals[s], sizeof(vals[s]), "dev%d", s);
	buf_init(&b, 0);
	for (int i = 0; i < scrapes; i++) {
		buf_reset(&b);
		t0 = now_ns();
		struct metrics_writer *w = metrics_writer_new(&b, METRICS_FORMAT_TEXT);

		for (int f = 0; f < nfam; f++) {
			writer_family(w, names[f], METRIC_COUNTER, "A family of the benchmark.",
				      (const char *const[]){"device", "mode", NULL});
			for (int s = 0; s < nser; s++) {
				const char *lv[] = {vals[s], s & 1 ? "user" : "system"};
				double v = integral ? (double)(s * 1000 + f) : s * 1000.37 + f;

				writer_sample(w, lv, v);
			}
		}
		metrics_writer_finish(w);
		metrics_writer_free(w);
		total += now_ns() - t0;
	}
	*bytes = b.len;
	buf_done(&b);
	return (double)total / ((double)scrapes * nfam * nser);
}

int main(void)
{
	struct metrics_registry *r;
	struct metric_family *cf, *hf;
	struct counter *c1, *c2;
	struct histogram *h1, *h2, *hn, *hx;
	double bare1, bare2d, bare2s, inc1, inc2d, inc2s, obs1, obsns1, obs2d, obs2s;
	double obsnat, obsnatex, obsnat2s;
	size_t bytes;
	const char *q = getenv("METRICS_BENCH_QUICK");

	if (q && *q == '1') {
		iters = 200000;
		runs = 21;
	}
	srand(42);
	for (int i = 0; i < 1024; i++) {
		values_ns[i] = (uint64_t)(rand() % 20000000);	/* 0..20 ms */
		values[i] = (double)values_ns[i] / 1e9;
	}

	r = metrics_registry_new();
	cf = metrics_counter_new(r, "bench_total", "x", (const char *const[]){"k", NULL});
	hf = metrics_histogram_new(r, "bench_seconds", "x", (const char *const[]){"k", NULL},
				   lat_bounds, NLAT);
	c1 = counter_labels(cf, (const char *const[]){"a"});
	c2 = counter_labels(cf, (const char *const[]){"b"});
	h1 = histogram_labels(hf, (const char *const[]){"a"});
	h2 = histogram_labels(hf, (const char *const[]){"b"});
	hn = histogram_get(metrics_histogram_new_opts(r, "bench_native_seconds", "x", NULL, lat_bounds,
						      NLAT,
						      &(struct metrics_histogram_opts){ .native = true }));
	hx = histogram_get(metrics_histogram_new_opts(
		r, "bench_native_ex_seconds", "x", NULL, lat_bounds, NLAT,
		&(struct metrics_histogram_opts){ .native = true, .exemplars = true }));

	struct job ja = {.op = OP_BARE, .atom = &bare.a}, jb = {.op = OP_BARE, .atom = &bare.b};
	bare1 = measure(&ja, NULL);
	bare2d = measure(&ja, &jb);
	jb.atom = &bare.a;
	bare2s = measure(&ja, &jb);

	struct job ca = {.op = OP_COUNTER, .c = c1}, cb = {.op = OP_COUNTER, .c = c2};
	inc1 = measure(&ca, NULL);
	inc2d = measure(&ca, &cb);
	cb.c = c1;
	inc2s = measure(&ca, &cb);

	struct job ha = {.op = OP_OBSERVE, .h = h1}, hb = {.op = OP_OBSERVE, .h = h2};
	obs1 = measure(&ha, NULL);
	obs2d = measure(&ha, &hb);
	hb.h = h1;
	obs2s = measure(&ha, &hb);
	struct job na = {.op = OP_OBSERVE_NS, .h = h1};
	obsns1 = measure(&na, NULL);
	struct job nn = {.op = OP_OBSERVE_NS, .h = hn}, nx = {.op = OP_OBSERVE_NS_EX, .h = hx};
	struct job nx2 = {.op = OP_OBSERVE_NS_EX, .h = hx};
	obsnat = measure(&nn, NULL);
	obsnatex = measure(&nx, NULL);
	obsnat2s = measure(&nx, &nx2);
	if (counter_value(c1) == 0)	/* keep the loops honest */
		return 1;

	printf("metrics hot path (CPU ns per operation per thread; ratio = / bare "
	       "atomic_fetch_add on a uint64_t, same setup)\n");
	printf("%-44s %10s %10s %8s\n", "operation", "prism", "bare", "ratio");
	printf("%-44s %10.2f %10.2f %8.2f\n", "counter_inc, 1 thread", inc1, bare1, inc1 / bare1);
	printf("%-44s %10.2f %10.2f %8.2f\n", "counter_inc, 2 threads, distinct series", inc2d,
	       bare2d, inc2d / bare2d);
	printf("%-44s %10.2f %10.2f %8.2f\n", "counter_inc, 2 threads, same series", inc2s, bare2s,
	       inc2s / bare2s);
	printf("%-44s %10.2f %10.2f %8.2f\n", "histogram_observe (double), 1 thread", obs1, bare1,
	       obs1 / bare1);
	printf("%-44s %10.2f %10.2f %8.2f\n", "histogram_observe_ns, 1 thread", obsns1, bare1,
	       obsns1 / bare1);
	printf("%-44s %10.2f %10.2f %8.2f\n", "histogram_observe_ns + native buckets", obsnat,
	       bare1, obsnat / bare1);
	printf("%-44s %10.2f %10.2f %8.2f\n", "observe_ns_ex: native + exemplar (orderd)",
	       obsnatex, bare1, obsnatex / bare1);
	printf("%-44s %10.2f %10.2f %8.2f\n", "observe_ns_ex, 2 threads, same series", obsnat2s,
	       bare2s, obsnat2s / bare2s);
	printf("%-44s %10.2f %10.2f %8.2f\n", "histogram_observe, 2 threads, distinct", obs2d,
	       bare2d, obs2d / bare2d);
	printf("%-44s %10.2f %10.2f %8.2f\n", "histogram_observe, 2 threads, same series", obs2s,
	       bare2s, obs2s / bare2s);
	metrics_registry_free(r);

	printf("\nexposition (median of %d runs, CPU time)\n", runs);
	printf("%-44s %10s %12s %10s\n", "registry", "ms", "bytes", "ns/series");
	r = registry_counters();
	for (int f = 0; f < 2; f++) {
		uint64_t t = expose_median(r, (enum metrics_format)f, &bytes);

		printf("%-44s %10.3f %12zu %10.1f\n",
		       f ? "10,000 counters (3 labels), OpenMetrics" : "10,000 counters (3 labels), text",
		       (double)t / 1e6, bytes, (double)t / 10000);
	}
	metrics_registry_free(r);
	for (int nat = 0; nat < 2; nat++) {
		static const char *const fname[] = { "text", "OpenMetrics", "protobuf" };
		char label[64];

		r = registry_mixed(nat);
		for (int f = 0; f < 3; f++) {
			uint64_t t = expose_median(r, (enum metrics_format)f, &bytes);

			snprintf(label, sizeof(label), "10,000 mixed%s, %s",
				 nat ? " (native+exemplars)" : "", fname[f]);
			printf("%-44s %10.3f %12zu %10.1f\n", label, (double)t / 1e6, bytes,
			       (double)t / 10000);
		}
		metrics_registry_free(r);
	}

	printf("\nwriter (scrape-time collectors; a fresh writer per scrape)\n");
	printf("%-44s %10s %12s\n", "stream", "ns/sample", "bytes");
	int scrapes = q && *q == '1' ? 5 : 200;
	double ws = writer_bench(scrapes, 30, 100, true, &bytes);
	printf("%-44s %10.1f %12zu\n", "3,000 samples, 2 labels, integer values", ws, bytes);
	ws = writer_bench(scrapes, 30, 100, false, &bytes);
	printf("%-44s %10.1f %12zu\n", "3,000 samples, 2 labels, fractional values", ws, bytes);
	ws = writer_bench(scrapes, 10, 200, true, &bytes);
	printf("%-44s %10.1f %12zu\n", "2,000 samples in 10 families, integer", ws, bytes);
	return 0;
}
