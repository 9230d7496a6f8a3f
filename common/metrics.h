/*
 * metrics: a Prometheus metrics registry and its exposition.
 *
 * Two ways to produce metrics:
 *  1. Registered families (counter, gauge, histogram) whose labelled series
 *     are resolved ONCE into handles (counter_labels() etc.).  Updating a
 *     handle is one relaxed atomic operation: no lock, no allocation, no
 *     string work; safe from any thread.
 *  2. Scrape-time collectors: callbacks that stream whole families into a
 *     metrics_writer while a scrape runs (the exporters).  The writer refuses
 *     malformed output: HELP/TYPE once per family, a family's samples kept
 *     together, no duplicate series, valid names, label arity checked.
 *
 * Thread-safety: registering families/series takes a per-registry mutex and
 * is meant for start-up; family and series lists are append-only and
 * published with release/acquire, so scrapes (any number, concurrently) take
 * no lock against updates.  A metrics_writer is owned by one thread.
 *
 * Ownership: the registry owns every family and series handle; handles are
 * valid until metrics_registry_free().  Strings passed in are copied.
 *
 * Exposition formats: Prometheus text 0.0.4, and OpenMetrics 1.0.0 when the
 * caller negotiates it (metrics_negotiate).  No _created series.  Label values
 * and HELP are escaped (\\, \", \n; HELP escapes only \\ and \n in 0.0.4);
 * UTF-8 passes through unchanged.  Doubles are printed without locale, as
 * "+Inf", "-Inf", "NaN", integers without exponent.
 */
#ifndef PRISM_METRICS_H
#define PRISM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

#include "buf.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
	METRIC_UNTYPED,
	METRIC_SUMMARY,		/* writer only (writer_summary): re-exposed summaries */
};

enum metrics_format {
	METRICS_FORMAT_TEXT,		/* text/plain; version=0.0.4; charset=utf-8 */
	METRICS_FORMAT_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0; charset=utf-8 */
	/* application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
	 * encoding=delimited: length-delimited MetricFamily messages (protobuf-c),
	 * histograms with native buckets when their family keeps them.  Only
	 * metrics_registry_expose speaks it (not the writer). */
	METRICS_FORMAT_PROTOBUF,
};

#define METRICS_MAX_LABELS 24		/* per family (node_dmi_info has 20) */
#define METRICS_MAX_BUCKETS 32		/* per histogram, excluding +Inf */

struct metrics_registry;
struct metric_family;
struct metrics_writer;

/* Series handles.  Opaque in spirit; defined here so updates inline. */
struct counter {
	_Atomic uint64_t v;
};
struct gauge {
	_Atomic uint64_t bits;	/* a double's bit pattern */
};
struct metrics_exemplar;
struct histogram {
	const struct metric_family *fam;	/* for the bounds */
	struct metrics_exemplar *ex;		/* per bucket (nbuckets + 1), or NULL */
	_Atomic uint64_t *native;		/* METRICS_NATIVE_BUCKETS, or NULL */
	_Atomic uint64_t native_zero;		/* observations <= the zero threshold */
	_Atomic uint64_t sum_nano;		/* sum of observations, in units of 1e-9 */
	_Atomic uint64_t buckets[];		/* nbuckets + 1 (+Inf), NOT cumulative */
};

/*
 * Native (sparse exponential) buckets, as Prometheus's native histograms
 * define them: schema 3, bucket k holds (2^((k-1)/8), 2^(k/8)], so
 * neighbouring bounds are 2^(1/8) = 1.09 apart and a quantile read from them
 * is within 4.5% of the truth.  Kept for k in [METRICS_NATIVE_KMIN,
 * METRICS_NATIVE_KMAX] (about 1 us .. 128 s): values at or below the zero
 * threshold 2^-20 (0.95 us), negative ones included (no negative buckets:
 * meant for durations), count in the zero bucket, values above 128 s in the
 * top bucket.  One relaxed add per observation.  Protobuf scrapes carry the
 * classic buckets' exemplars too (Bucket.exemplar), as OpenMetrics does.
 */
#define METRICS_NATIVE_SCHEMA 3
#define METRICS_NATIVE_KMIN (-20 * 8 + 1)
#define METRICS_NATIVE_KMAX (7 * 8)
#define METRICS_NATIVE_BUCKETS (METRICS_NATIVE_KMAX - METRICS_NATIVE_KMIN + 1)
#define METRICS_NATIVE_ZERO_THRESHOLD (1.0 / 1048576.0)	/* 2^-20 */

/* Options of a histogram family (metrics_histogram_new_opts). */
struct metrics_histogram_opts {
	/* Keep per bucket the latest exemplar given to histogram_observe_ns_ex;
	 * OpenMetrics scrapes show it (0.0.4 has no exemplars), as
	 * {<exemplar_label>="<id>"} <value> <timestamp>. */
	bool exemplars;
	const char *exemplar_label;	/* a label name; NULL: "request_id" */
	/* Keep native buckets too; protobuf scrapes carry them beside the
	 * classic ones (text scrapes are unchanged). */
	bool native;
};

/* Longest exemplar label value kept (longer ones are not recorded). */
#define METRICS_EXEMPLAR_ID_MAX 64

struct metrics_registry *metrics_registry_new(void);
void metrics_registry_free(struct metrics_registry *r);

/*
 * Register a family.  label_names is NULL-terminated (NULL or {NULL} for no
 * labels).  For histograms, bounds are strictly increasing finite values
 * (nbounds <= METRICS_MAX_BUCKETS; +Inf is implied).  Returns NULL with errno
 * EINVAL (bad name, label name, bounds), EEXIST (name taken) or ENOMEM.
 */
struct metric_family *metrics_counter_new(struct metrics_registry *r, const char *name,
					  const char *help, const char *const *label_names);
struct metric_family *metrics_gauge_new(struct metrics_registry *r, const char *name,
					const char *help, const char *const *label_names);
struct metric_family *metrics_histogram_new(struct metrics_registry *r, const char *name,
					    const char *help, const char *const *label_names,
					    const double *bounds, size_t nbounds);

/* The same, with options (NULL: none). */
struct metric_family *metrics_histogram_new_opts(struct metrics_registry *r, const char *name,
						 const char *help, const char *const *label_names,
						 const double *bounds, size_t nbounds,
						 const struct metrics_histogram_opts *o);

/*
 * Resolve one series: label values in the order of the family's label names
 * (exactly as many; a NULL among them is refused; entries past that count
 * are never read, so the array need not be NULL-terminated — the same holds
 * for the writer's label_values).  The same values return the same handle.  Returns NULL
 * with errno EINVAL (wrong type/arity, invalid UTF-8) or ENOMEM.
 * Start-up work: takes the registry mutex.
 */
struct counter *counter_labels(struct metric_family *f, const char *const *values);
struct gauge *gauge_labels(struct metric_family *f, const char *const *values);
struct histogram *histogram_labels(struct metric_family *f, const char *const *values);
/* The series of a family without labels. */
struct counter *counter_get(struct metric_family *f);
struct gauge *gauge_get(struct metric_family *f);
struct histogram *histogram_get(struct metric_family *f);

static inline void counter_inc(struct counter *c)
{
	atomic_fetch_add_explicit(&c->v, 1, memory_order_relaxed);
}
static inline void counter_add(struct counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}
static inline uint64_t counter_value(const struct counter *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

void gauge_set(struct gauge *g, double v);
void gauge_add(struct gauge *g, double v);	/* lock-free CAS loop */
static inline void gauge_inc(struct gauge *g) { gauge_add(g, 1.0); }
static inline void gauge_dec(struct gauge *g) { gauge_add(g, -1.0); }
double gauge_value(const struct gauge *g);

/* Observe a value; NaN is ignored.  Negative values count in the first
 * bucket whose bound they do not exceed, as the Go client does. */
void histogram_observe(struct histogram *h, double v);
/* Observe a duration in nanoseconds, for histograms whose unit is seconds.
 * The sum is kept in integer nano-units: it wraps past +-9.2e9 units in
 * total (292 years of seconds; observe large quantities in a scaled unit). */
void histogram_observe_ns(struct histogram *h, uint64_t ns);
/*
 * The same, and when the family keeps exemplars, record {label="id"} with
 * the value and the wall-clock time as the latest exemplar of the bucket
 * the value lands in.  Lock-free and allocation-free: a per-bucket seqlock;
 * when two threads hit one bucket at once, one exemplar is dropped.  id is
 * copied; NULL, empty, longer than METRICS_EXEMPLAR_ID_MAX bytes or holding
 * anything but printable ASCII other than " and \\ records no exemplar.
 */
void histogram_observe_ns_ex(struct histogram *h, uint64_t ns, const char *id);

/*
 * Scrape-time collector: called during every exposition, in registration
 * order, after the registered families.  It writes whole families through w
 * and returns 0 or a negative errno (the exposition carries on; what it
 * wrote stays).  ctx is borrowed.
 */
typedef int (*metrics_collect_fn)(struct metrics_writer *w, void *ctx);
int metrics_registry_add_collector(struct metrics_registry *r, metrics_collect_fn fn, void *ctx);

/* Choose the format from an Accept header; OpenMetrics only if allowed. */
enum metrics_format metrics_negotiate(const char *accept, bool openmetrics_allowed);
/* The same, also choosing protobuf when the client prefers it and it is
 * allowed (Prometheus asks for it first with --enable-feature=native-histograms).
 * An Accept naming nothing we speak gets text 0.0.4. */
enum metrics_format metrics_negotiate_all(const char *accept, bool openmetrics_allowed,
					  bool protobuf_allowed);
const char *metrics_content_type(enum metrics_format f);

/* Write every registered family and every collector's output to out. */
int metrics_registry_expose(struct metrics_registry *r, enum metrics_format f, struct buf *out);

/* ---- the writer ---- */

/* A writer that appends to out (borrowed, must outlive the writer). */
struct metrics_writer *metrics_writer_new(struct buf *out, enum metrics_format f);
void metrics_writer_free(struct metrics_writer *w);
/*
 * Append src's output (another writer, e.g. one a collector filled on another
 * thread) to w.  Fails with -EEXIST, appending nothing, if any family src
 * wrote was already written to w.  src is left empty and reusable.
 */
int metrics_writer_merge(struct metrics_writer *w, struct metrics_writer *src);
/*
 * End the family being written, if any: samples are refused (-EINVAL) until
 * the next writer_family().  For one writer handed to several producers in
 * turn, so one cannot append samples to the family another left open.
 */
void metrics_writer_end_family(struct metrics_writer *w);
/* Finish: for OpenMetrics appends "# EOF".  No writes after this. */
int metrics_writer_finish(struct metrics_writer *w);

/*
 * Begin a family: name, type, help (escaped here), NULL-terminated label
 * names.  Ends the previous family.  -EINVAL for an invalid name or label
 * name, -EEXIST if this writer already wrote a family of that name.
 * Until the next successful writer_family, samples go to this family; after
 * a failed one, samples are refused (-EINVAL).
 */
int writer_family(struct metrics_writer *w, const char *name, enum metric_type t,
		  const char *help, const char *const *label_names);
/*
 * Change the label names of the open family for the samples that follow
 * (NULL-terminated, checked as writer_family's): one family whose series
 * carry different label sets, as the text formats allow (node_exporter's
 * node_power_supply_info has one label per attribute a supply has).
 * HELP/TYPE are not repeated and the family stays open.  Duplicate series
 * are refused across label sets when each set lists its names in one
 * canonical order (e.g. sorted, as client_golang prints them).  -EINVAL
 * when no family is open or a name is invalid (samples are then refused
 * until the next writer_family), -ENOMEM.  Costs nothing to families that
 * do not call it.
 */
int writer_family_relabel(struct metrics_writer *w, const char *const *label_names);
/* One sample of a counter/gauge/untyped family: values as many as label names. */
int writer_sample(struct metrics_writer *w, const char *const *label_values, double v);
/* An integer sample (exact above 2^53). */
int writer_sample_u64(struct metrics_writer *w, const char *const *label_values, uint64_t v);
/*
 * One histogram series: bounds[nbounds] finite and increasing, counts
 * cumulative per bound, count (the +Inf bucket) and sum.
 */
int writer_histogram(struct metrics_writer *w, const char *const *label_values,
		     const double *bounds, const uint64_t *cumulative, size_t nbounds,
		     uint64_t count, double sum);
/*
 * One summary series (a family begun with METRIC_SUMMARY): n quantiles in
 * increasing order with their values, then _sum and _count, as client_golang's
 * const summaries are exposed.  "quantile" may not be a label name.
 */
int writer_summary(struct metrics_writer *w, const char *const *label_values,
		   const double *quantiles, const double *values, size_t n, uint64_t count,
		   double sum);
/* Duplicate series, bad arity or invalid UTF-8 give -EINVAL and write nothing. */

/* Append a double in exposition syntax (shared with other formatters). */
int metrics_format_double(struct buf *out, double v);

/* ---- standard families ---- */

/*
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_open_fds, process_max_fds,
 * process_start_time_seconds (as the Go client computes them, from
 * /proc/self/stat, /proc/self/fd, /proc/self/limits), read at scrape time.
 */
int metrics_register_process(struct metrics_registry *r);
/* <prefix>_build_info{version,revision,goversion-less} 1. */
int metrics_register_build_info(struct metrics_registry *r, const char *prefix,
				const char *version, const char *revision);

#endif
