/*
 * Unit tests of the protobuf exposition, native buckets and exemplars
 * (common/metrics_pb.c, common/metrics.c): what metrics_registry_expose
 * writes for METRICS_FORMAT_PROTOBUF is read back with protobuf-c's own
 * unpack (length-delimited MetricFamily messages) and must carry every
 * family, label, value and bucket the text scrape carries; the native
 * buckets' spans and deltas decode to the counts of the observations' keys;
 * negotiation picks protobuf only for the delimited MetricFamily type;
 * OpenMetrics and protobuf show exemplars and 0.0.4 does not; exemplars written by two
 * threads while scrapes read them are never torn (each id names its value;
 * also run under ThreadSanitizer).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metrics_int.h"
#include "metrics.pb-c.h"
#include "../harness.h"

typedef Io__Prometheus__Client__MetricFamily PbFamily;

#define MAXF 16

/* Splits a delimited stream into unpacked families; returns how many. */
static size_t unpack_all(const struct buf *b, PbFamily **fams)
{
	size_t off = 0, n = 0;

	while (off < b->len && n < MAXF) {
		uint64_t len = 0;
		int shift = 0;

		for (;;) {
			uint8_t c = (uint8_t)b->data[off++];

			len |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
			if (!(c & 0x80) || off >= b->len)
				break;
		}
		if (len > b->len - off)
			break;
		fams[n] = io__prometheus__client__metric_family__unpack(
			NULL, len, (const uint8_t *)b->data + off);
		CHECK(fams[n] != NULL);
		if (!fams[n])
			break;
		n++;
		off += len;
	}
	CHECK_INT(off, b->len);
	return n;
}

static int collect(struct metrics_writer *w, void *ctx)
{
	static const char *const ln[] = { "kind", NULL };

	writer_family(w, "coll_gauge", METRIC_GAUGE, "From a collector.", ln);
	writer_sample(w, (const char *const[]){ "a" }, 1.5);
	writer_sample(w, (const char *const[]){ "b" }, -2);
	return 0;
}

static const PbFamily *find(PbFamily **f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i]->name, name))
			return f[i];
	return NULL;
}

static void test_roundtrip(void)
{
	static const char *const cl[] = { "code", "path", NULL };
	static const char *const hl[] = { "route", NULL };
	static const double bounds[] = { .001, .01, .1 };
	static const struct metrics_histogram_opts o = { .native = true };
	struct metrics_registry *r = metrics_registry_new();
	struct metric_family *c, *h;
	struct counter *c1;
	struct histogram *h1;
	struct buf b;
	PbFamily *fams[MAXF];
	const PbFamily *f;
	size_t n;
	/* observations (ns) and their native keys */
	static const uint64_t obs[] = { 250000, 250000, 900000, 3000000, 3100000, 40000000, 0 };
	int64_t want[METRICS_NATIVE_BUCKETS] = { 0 };

	c = metrics_counter_new(r, "rt_requests_total", "Requests \"quoted\"\\ and\nnewline.", cl);
	h = metrics_histogram_new_opts(r, "rt_duration_seconds", "Durations.", hl, bounds, 3, &o);
	CHECK(c && h);
	c1 = counter_labels(c, (const char *const[]){ "200", "a\"b\\c\nd" });
	counter_add(c1, 7);
	h1 = histogram_labels(h, (const char *const[]){ "/x" });
	histogram_labels(h, (const char *const[]){ "/empty" });
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++) {
		histogram_observe_ns(h1, obs[i]);
		if (obs[i])
			want[metrics_native_key((double)obs[i] / 1e9) - METRICS_NATIVE_KMIN]++;
	}
	CHECK_INT(metrics_registry_add_collector(r, collect, NULL), 0);

	buf_init(&b, 0);
	CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_PROTOBUF, &b), 0);
	n = unpack_all(&b, fams);
	CHECK_INT(n, 3);

	f = find(fams, n, "rt_requests_total");
	CHECK(f != NULL);
	if (f) {
		CHECK_STR(f->help, "Requests \"quoted\"\\ and\nnewline.");
		CHECK_INT(f->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
		CHECK_INT(f->n_metric, 1);
		CHECK_INT(f->metric[0]->n_label, 2);
		CHECK_STR(f->metric[0]->label[0]->name, "code");
		CHECK_STR(f->metric[0]->label[0]->value, "200");
		CHECK_STR(f->metric[0]->label[1]->value, "a\"b\\c\nd");
		CHECK(f->metric[0]->counter && f->metric[0]->counter->value == 7);
	}
	f = find(fams, n, "coll_gauge");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(f->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
		CHECK_INT(f->n_metric, 2);
		CHECK(f->metric[0]->gauge && f->metric[0]->gauge->value == 1.5);
		CHECK(f->metric[1]->gauge && f->metric[1]->gauge->value == -2);
		CHECK_STR(f->metric[1]->label[0]->value, "b");
	}
	f = find(fams, n, "rt_duration_seconds");
	CHECK(f != NULL);
	if (f) {
		const Io__Prometheus__Client__Histogram *hg;
		int64_t got[METRICS_NATIVE_BUCKETS] = { 0 }, cur = 0;
		long key = 0;
		size_t d = 0;

		CHECK_INT(f->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
		CHECK_INT(f->n_metric, 2);
		hg = f->metric[0]->histogram;
		CHECK(hg != NULL);
		if (!hg)
			goto out;
		CHECK_STR(f->metric[0]->label[0]->value, "/x");
		CHECK_INT(hg->sample_count, 7);
		CHECK(fabs(hg->sample_sum - 0.0475) < 1e-12);
		/* classic: le .001 .01 .1 (+Inf implied) */
		CHECK_INT(hg->n_bucket, 3);
		if (hg->n_bucket == 3) {
			CHECK(hg->bucket[0]->upper_bound == .001);
			CHECK_INT(hg->bucket[0]->cumulative_count, 4);
			CHECK_INT(hg->bucket[1]->cumulative_count, 6);
			CHECK_INT(hg->bucket[2]->cumulative_count, 7);
		}
		/* native */
		CHECK_INT(hg->schema, 3);
		CHECK(hg->zero_threshold == 1.0 / 1048576);
		CHECK_INT(hg->zero_count, 1);
		CHECK(hg->n_positive_span >= 1);
		for (size_t s = 0; s < hg->n_positive_span; s++) {
			key += hg->positive_span[s]->offset;
			for (uint32_t j = 0; j < hg->positive_span[s]->length; j++, key++) {
				CHECK(d < hg->n_positive_delta);
				if (d >= hg->n_positive_delta)
					goto out;
				cur += hg->positive_delta[d++];
				if (key >= METRICS_NATIVE_KMIN && key <= METRICS_NATIVE_KMAX)
					got[key - METRICS_NATIVE_KMIN] = cur;
				else
					CHECK(!"native key out of range");
			}
		}
		CHECK_INT(d, hg->n_positive_delta);
		CHECK(!memcmp(got, want, sizeof(got)));
		/* the empty series: native but nothing in it */
		hg = f->metric[1]->histogram;
		CHECK(hg && hg->sample_count == 0 && hg->n_positive_span == 0 && hg->schema == 3);
	}
out:
	for (size_t i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(fams[i], NULL);
	buf_done(&b);
	metrics_registry_free(r);
}

/* The key is the smallest k with v <= 2^(k/8): check around bounds. */
static void test_native_key(void)
{
	for (int k = -150; k <= 50; k++) {
		double b = exp2(k / 8.0);

		CHECK_INT(metrics_native_key(b), k);
		CHECK_INT(metrics_native_key(nextafter(b, INFINITY)), k + 1);
		CHECK_INT(metrics_native_key(b * 0.99), k - (b * 0.99 <= exp2((k - 1) / 8.0)));
	}
	CHECK_INT(metrics_native_key(1.0), 0);
	CHECK_INT(metrics_native_key(0.5), -8);
	CHECK_INT(metrics_native_key(0.001), -79);	/* 2^(-80/8) < 0.001 <= 2^(-79/8) */
}

static void test_negotiate_protobuf(void)
{
	static const char *const pb =
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3";
	static const char *const prom_native =
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
		"encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
		"application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
		"*/*;q=0.1";

	CHECK_INT(metrics_negotiate_all(pb, true, true), METRICS_FORMAT_PROTOBUF);
	CHECK_INT(metrics_negotiate_all(prom_native, true, true), METRICS_FORMAT_PROTOBUF);
	CHECK_INT(metrics_negotiate_all(prom_native, true, false), METRICS_FORMAT_OPENMETRICS);
	CHECK_INT(metrics_negotiate_all(prom_native, false, false), METRICS_FORMAT_TEXT);
	CHECK_INT(metrics_negotiate(prom_native, true), METRICS_FORMAT_OPENMETRICS);
	/* other encodings or messages: not ours */
	CHECK_INT(metrics_negotiate_all("application/vnd.google.protobuf;proto=io.prometheus."
					"client.MetricFamily;encoding=text", true, true),
		  METRICS_FORMAT_TEXT);
	CHECK_INT(metrics_negotiate_all("application/vnd.google.protobuf;proto=x.Y;"
					"encoding=delimited", true, true),
		  METRICS_FORMAT_TEXT);
	CHECK_INT(metrics_negotiate_all("application/vnd.google.protobuf", true, true),
		  METRICS_FORMAT_TEXT);
	CHECK_INT(metrics_negotiate_all("garbage;;;=,,q=", true, true), METRICS_FORMAT_TEXT);
	CHECK_INT(metrics_negotiate_all(pb, true, true), METRICS_FORMAT_PROTOBUF);
	CHECK_STR(metrics_content_type(METRICS_FORMAT_PROTOBUF),
		  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
		  "encoding=delimited");
}

static void test_exemplars(void)
{
	static const double bounds[] = { .001, .01 };
	static const struct metrics_histogram_opts o = { .exemplars = true };
	struct metrics_registry *r = metrics_registry_new();
	struct metric_family *h = metrics_histogram_new_opts(r, "ex_seconds", "H.", NULL, bounds, 2,
							     &o);
	struct histogram *h1 = histogram_get(h);
	struct buf b;

	CHECK(h1 != NULL);
	histogram_observe_ns_ex(h1, 500000, "first");
	histogram_observe_ns_ex(h1, 600000, "second");		/* same bucket: the latest */
	histogram_observe_ns_ex(h1, 5000000, "bad\"id");	/* refused: no exemplar */
	histogram_observe_ns_ex(h1, 20000000, NULL);
	histogram_observe_ns_ex(h1, 30000000,
				"x1234567890123456789012345678901234567890123456789012345678901234");
	buf_init(&b, 0);
	CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_OPENMETRICS, &b), 0);
	CHECK(strstr(b.data, "ex_seconds_bucket{le=\"0.001\"} 2 # {request_id=\"second\"} 0.0006 ") != NULL);
	CHECK(strstr(b.data, "ex_seconds_bucket{le=\"0.01\"} 3\n") != NULL);
	CHECK(strstr(b.data, "ex_seconds_bucket{le=\"+Inf\"} 5\n") != NULL);
	CHECK(strstr(b.data, "first") == NULL);
	buf_reset(&b);
	CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_TEXT, &b), 0);
	CHECK(strstr(b.data, " # ") == NULL);
	CHECK(strstr(b.data, "ex_seconds_bucket{le=\"0.001\"} 2\n") != NULL);
	/* protobuf: the same exemplars in Bucket.exemplar; a +Inf bucket only
	 * when it has one (it does: the 30 ms observation's id is 65 bytes,
	 * refused, so first give it one that fits) */
	histogram_observe_ns_ex(h1, 40000000, "inf-id");
	buf_reset(&b);
	CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_PROTOBUF, &b), 0);
	{
		PbFamily *f[MAXF];
		size_t n = unpack_all(&b, f);
		const Io__Prometheus__Client__Histogram *ph;

		CHECK_INT(n, 1);
		ph = n == 1 && f[0]->n_metric == 1 ? f[0]->metric[0]->histogram : NULL;
		CHECK(ph != NULL);
		if (ph) {
			CHECK_INT(ph->n_bucket, 3);
			for (size_t i = 0; i < ph->n_bucket && i < 3; i++) {
				const Io__Prometheus__Client__Exemplar *e = ph->bucket[i]->exemplar;
				static const char *const want[] = { "second", NULL, "inf-id" };
				static const double val[] = { .0006, 0, .04 };

				CHECK((e != NULL) == (want[i] != NULL));
				if (!e || !want[i])
					continue;
				CHECK_INT(e->n_label, 1);
				CHECK(e->n_label == 1 && !strcmp(e->label[0]->name, "request_id") &&
				      !strcmp(e->label[0]->value, want[i]));
				CHECK(e->has_value && fabs(e->value - val[i]) < 1e-12);
				CHECK(e->timestamp && e->timestamp->seconds > 1600000000 &&
				      e->timestamp->nanos >= 0 && e->timestamp->nanos < 1000000000);
			}
			CHECK(ph->n_bucket == 3 && isinf(ph->bucket[2]->upper_bound) &&
			      ph->bucket[2]->cumulative_count == 6);
			CHECK_INT(ph->sample_count, 6);
		}
		for (size_t i = 0; i < n; i++)
			io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
	}
	buf_done(&b);
	metrics_registry_free(r);
	/* options only for histograms, and a valid label name */
	r = metrics_registry_new();
	CHECK(metrics_histogram_new_opts(r, "bad", "", NULL, bounds, 2,
					 &(struct metrics_histogram_opts){ .exemplars = true,
									   .exemplar_label = "0x" }) == NULL);
	metrics_registry_free(r);
}

static struct histogram *race_h;
static _Atomic int race_stop;
static _Atomic uint64_t race_written[2];

static void *race_writer(void *arg)
{
	int t = (int)(intptr_t)arg;
	char id[32];

	for (uint64_t i = 1; !atomic_load_explicit(&race_stop, memory_order_relaxed); i++) {
		uint64_t ns = (i * 7919 + (uint64_t)t) % 20000000;

		/* the id names the value: a torn exemplar would not match */
		snprintf(id, sizeof(id), "t%d-%" PRIu64, t, ns);
		histogram_observe_ns_ex(race_h, ns, id);
		atomic_store_explicit(&race_written[t], i, memory_order_relaxed);
	}
	return NULL;
}

static void test_exemplar_race(void)
{
	static const double bounds[] = { .001, .002, .005, .01 };
	static const struct metrics_histogram_opts o = { .exemplars = true, .native = true };
	struct metrics_registry *r = metrics_registry_new();
	pthread_t th[2];
	struct buf b;
	int seen = 0, bad = 0;

	race_h = histogram_get(metrics_histogram_new_opts(r, "race_seconds", "R.", NULL, bounds, 4, &o));
	CHECK(race_h != NULL);
	atomic_store(&race_stop, 0);
	for (int i = 0; i < 2; i++) {
		atomic_store(&race_written[i], 0);
		pthread_create(&th[i], NULL, race_writer, (void *)(intptr_t)i);
	}
	/* no timing: scrape only once both writers are running (they run until
	 * told to stop, so the scrapes below race them throughout) */
	while (atomic_load(&race_written[0]) < 100 || atomic_load(&race_written[1]) < 100)
		sched_yield();
	buf_init(&b, 0);
	for (int k = 0; k < 300; k++) {
		const char *p;

		buf_reset(&b);
		CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_OPENMETRICS, &b), 0);
		for (p = b.data; (p = strstr(p, " # {request_id=\"t")) != NULL; p++) {
			int t;
			uint64_t idns;
			double v;

			if (sscanf(p, " # {request_id=\"t%d-%" SCNu64 "\"} %lf", &t, &idns, &v) != 3 ||
			    fabs(v * 1e9 - (double)idns) > 0.5)
				bad++;
			seen++;
		}
		buf_reset(&b);
		CHECK_INT(metrics_registry_expose(r, METRICS_FORMAT_PROTOBUF, &b), 0);
	}
	atomic_store(&race_stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("# %d exemplars read during the race, %d torn\n", seen, bad);
	CHECK(seen > 0);
	CHECK_INT(bad, 0);
	buf_done(&b);
	metrics_registry_free(r);
}

int main(void)
{
	RUN(test_roundtrip);
	RUN(test_native_key);
	RUN(test_negotiate_protobuf);
	RUN(test_exemplars);
	RUN(test_exemplar_race);
	return harness_done();
}
