/*
 * metrics: the registry of families and series, their updates, and the
 * exposition of everything registered (see metrics.h).
 *
 * Layout, for the hot path: each series is one allocation aligned to a cache
 * line, metadata first, and the update handle (struct counter/gauge/
 * histogram) starting on its own cache line, so threads updating distinct
 * series never share a line (no false sharing) and scrapes reading the
 * metadata do not bounce the line being incremented.
 *
 * Concurrency: families, series and collectors are singly linked,
 * append-only lists.  Writers (registration) hold the registry mutex, fill
 * the new node completely and publish it with one release store into the
 * predecessor's next pointer; readers (scrapes, any number, any thread)
 * follow next pointers with acquire loads and never lock.  Nothing is
 * removed before metrics_registry_free().  Series deduplication uses a
 * per-family hash table touched only under the mutex.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics_int.h"
#include "utf8.h"

#define CACHE_LINE 64

/*
 * One bucket's latest exemplar, under a seqlock: seq is odd while a writer
 * fills the record.  Every field is an atomic word (relaxed), so a reader
 * racing a writer reads stale or mixed words, never undefined behaviour, and
 * throws them away when seq changed (Boehm, "Can seqlocks get along with
 * programming language memory models?", 2012: the fences below).
 */
#define EX_ID_WORDS (METRICS_EXEMPLAR_ID_MAX / 8)
struct metrics_exemplar {
	_Atomic uint64_t seq;
	_Atomic uint64_t value_ns;
	_Atomic uint64_t ts_ns;		/* CLOCK_REALTIME */
	_Atomic uint64_t id_len;
	_Atomic uint64_t id[EX_ID_WORDS];
};

struct series {
	struct series *_Atomic next;
	uint64_t hash;
	size_t labels_len;
	char *labels;		/* escaped label text without braces: a="x",b="y" */
	void *handle;		/* struct counter/gauge/histogram, on its own line */
};

struct metric_family {
	struct metric_family *_Atomic next;
	struct metrics_registry *reg;
	enum metric_type type;
	char *name;
	char *help;
	size_t nlabels;
	char *label_names[METRICS_MAX_LABELS];

	/* Histograms: bounds, their integer-nanosecond twins, le texts. */
	size_t nbounds;
	size_t ns_first;	/* first bound >= 0: where observe_ns starts */
	double bounds[METRICS_MAX_BUCKETS];
	uint64_t bound_ns[METRICS_MAX_BUCKETS];
	char le[2][METRICS_MAX_BUCKETS][METRICS_NUM_MAX];	/* per format */
	uint8_t le_len[2][METRICS_MAX_BUCKETS];
	bool exemplars, native;
	char *exemplar_label;

	/* Series: append-only list + dedup table (table under reg->lock). */
	struct series *_Atomic head;
	struct series *tail;
	struct series **table;
	size_t nslots, nseries;
};

struct collector_node {
	struct collector_node *_Atomic next;
	metrics_collect_fn fn;
	void *ctx;
};

struct metrics_registry {
	pthread_mutex_t lock;
	struct metric_family *_Atomic head;
	struct metric_family *tail;
	struct collector_node *_Atomic collectors;
	struct collector_node *ctail;
};

/* ---- registry ---- */

struct metrics_registry *metrics_registry_new(void)
{
	struct metrics_registry *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->labels);
	free(s);
}

static void family_free(struct metric_family *f)
{
	struct series *s, *n;

	if (!f)
		return;
	for (s = atomic_load_explicit(&f->head, memory_order_relaxed); s; s = n) {
		n = atomic_load_explicit(&s->next, memory_order_relaxed);
		series_free(s);
	}
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->label_names[i]);
	free(f->table);
	free(f->exemplar_label);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_registry_free(struct metrics_registry *r)
{
	struct metric_family *f, *fn;
	struct collector_node *c, *cn;

	if (!r)
		return;
	for (f = atomic_load_explicit(&r->head, memory_order_relaxed); f; f = fn) {
		fn = atomic_load_explicit(&f->next, memory_order_relaxed);
		family_free(f);
	}
	for (c = atomic_load_explicit(&r->collectors, memory_order_relaxed); c; c = cn) {
		cn = atomic_load_explicit(&c->next, memory_order_relaxed);
		free(c);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static size_t handle_size(const struct metric_family *f)
{
	switch (f->type) {
	case METRIC_COUNTER:
		return sizeof(struct counter);
	case METRIC_GAUGE:
		return sizeof(struct gauge);
	default:
		return sizeof(struct histogram) + (f->nbounds + 1) * sizeof(_Atomic uint64_t) +
		       (f->exemplars ? (f->nbounds + 1) * sizeof(struct metrics_exemplar) : 0) +
		       (f->native ? METRICS_NATIVE_BUCKETS * sizeof(_Atomic uint64_t) : 0);
	}
}

#define ROUND_LINE(n) (((n) + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1))

/* A new series with escaped label text lt (taken over). */
static struct series *series_new(struct metric_family *f, char *lt, size_t ltlen, uint64_t h)
{
	size_t head = ROUND_LINE(sizeof(struct series));
	size_t size = ROUND_LINE(head + handle_size(f));
	struct series *s = aligned_alloc(CACHE_LINE, size);

	if (!s)
		return NULL;
	memset(s, 0, size);
	atomic_init(&s->next, NULL);
	s->hash = h;
	s->labels = lt;
	s->labels_len = ltlen;
	s->handle = (char *)s + head;
	if (f->type == METRIC_HISTOGRAM) {
		struct histogram *hg = s->handle;
		char *tail = (char *)hg + sizeof(*hg) + (f->nbounds + 1) * sizeof(hg->buckets[0]);

		hg->fam = f;
		atomic_init(&hg->sum_nano, 0);
		atomic_init(&hg->native_zero, 0);
		for (size_t i = 0; i <= f->nbounds; i++)
			atomic_init(&hg->buckets[i], 0);
		if (f->exemplars) {	/* after the buckets: 8-byte words only */
			hg->ex = (void *)tail;
			tail += (f->nbounds + 1) * sizeof(struct metrics_exemplar);
		}
		if (f->native)
			hg->native = (void *)tail;	/* zeroed by the memset */
	} else if (f->type == METRIC_COUNTER)
		atomic_init(&((struct counter *)s->handle)->v, 0);
	else
		atomic_init(&((struct gauge *)s->handle)->bits, 0);	/* +0.0 */
	return s;
}

/* Publishes s at the end of f's list (reg->lock held). */
static void series_publish(struct metric_family *f, struct series *s)
{
	if (f->tail)
		atomic_store_explicit(&f->tail->next, s, memory_order_release);
	else
		atomic_store_explicit(&f->head, s, memory_order_release);
	f->tail = s;
}

/*
 * Whether two families would share a name in an exposition: the same name,
 * or one's name is a sample name the other derives (histogram foo vs a
 * counter foo_count).  Format-specific clashes (OpenMetrics counter foo vs
 * gauge foo_total) are caught by the writer at scrape time.
 */
static bool names_clash(const struct metric_family *a, const struct metric_family *b)
{
	struct buf sa, sb;
	size_t oa[4], la[4], ob[4], lb[4];
	int na, nb;
	bool clash = false;

	buf_init(&sa, 0);
	buf_init(&sb, 0);
	na = metrics_family_names(&sa, a->name, a->type, METRICS_FORMAT_TEXT, oa, la);
	nb = metrics_family_names(&sb, b->name, b->type, METRICS_FORMAT_TEXT, ob, lb);
	for (int i = 0; i < na && !clash; i++)
		for (int j = 0; j < nb && !clash; j++)
			clash = la[i] == lb[j] && !memcmp(sa.data + oa[i], sb.data + ob[j], la[i]);
	if (na < 0 || nb < 0)
		clash = true;	/* out of memory: refuse rather than risk it */
	buf_done(&sa);
	buf_done(&sb);
	return clash;
}

/*
 * The largest integer ns with (double)ns / 1e9 <= b, so that observe_ns(ns)
 * picks the bucket observe(ns / 1e9) would.  floor(b * 1e9) alone is off by
 * one for bounds whose double lies just below the decimal (0.00013 * 1e9 is
 * 129999.99999999999): a duration of exactly the bound went a bucket up.
 * Below 2^53 ns the product is within a unit of the answer; above, doubles
 * are coarser than a nanosecond and the floor is kept.
 */
static uint64_t bound_to_ns(double b)
{
	double x = b * 1e9;
	uint64_t n;

	if (x >= 18446744073709551615.0)
		return UINT64_MAX;
	n = (uint64_t)floor(x);
	if (x >= 9007199254740992.0)
		return n;
	for (int k = 0; k < 4 && n > 0 && (double)n / 1e9 > b; k++)
		n--;
	for (int k = 0; k < 4 && (double)(n + 1) / 1e9 <= b; k++)
		n++;
	return n;
}

static struct metric_family *family_new(struct metrics_registry *r, enum metric_type t,
					const char *name, const char *help,
					const char *const *label_names, const double *bounds,
					size_t nbounds, const struct metrics_histogram_opts *o)
{
	struct metric_family *f = NULL, *it;
	size_t n = 0;
	int err = EINVAL;

	if (!r || !metrics_name_valid(name))
		goto fail;
	for (; label_names && label_names[n]; n++) {
		if (n == METRICS_MAX_LABELS || !metrics_label_name_valid(label_names[n]))
			goto fail;
		if (t == METRIC_HISTOGRAM && !strcmp(label_names[n], "le"))
			goto fail;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(label_names[j], label_names[n]))
				goto fail;
	}
	if (t == METRIC_COUNTER && !strcmp(name, "_total"))
		goto fail;
	if (help && !utf8_valid(help, strlen(help)))
		goto fail;	/* the exposition writes HELP as UTF-8 text */
	if (t == METRIC_HISTOGRAM) {
		if (nbounds > METRICS_MAX_BUCKETS || (nbounds && !bounds))
			goto fail;
		for (size_t i = 0; i < nbounds; i++)
			if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
				goto fail;
	}

	if (o && (t != METRIC_HISTOGRAM ||
		  (o->exemplar_label && !metrics_label_name_valid(o->exemplar_label))))
		goto fail;

	err = ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto fail;
	if (o) {
		f->exemplars = o->exemplars;
		f->native = o->native;
		f->exemplar_label = strdup(o->exemplar_label ? o->exemplar_label : "request_id");
		if (!f->exemplar_label)
			goto fail;
	}
	f->reg = r;
	f->type = t;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		f->label_names[i] = strdup(label_names[i]);
		if (!f->label_names[i])
			goto fail;
		f->nlabels = i + 1;
	}
	if (t == METRIC_HISTOGRAM) {
		f->nbounds = nbounds;
		f->ns_first = nbounds;
		for (size_t i = 0; i < nbounds; i++) {
			double b = bounds[i];

			f->bounds[i] = b;
			/* v <= b  <=>  ns <= bound_ns for integer ns >= 0 */
			if (b < 0)
				f->bound_ns[i] = 0;
			else {
				if (f->ns_first == nbounds)
					f->ns_first = i;
				f->bound_ns[i] = bound_to_ns(b);
			}
			for (int k = 0; k < 2; k++)
				f->le_len[k][i] = (uint8_t)fmt_le(f->le[k][i], b, (enum metrics_format)k);
		}
	}
	if (n == 0) {	/* the one series of an unlabelled family */
		struct series *s = series_new(f, NULL, 0, 0);

		if (!s)
			goto fail;
		atomic_init(&f->head, s);
		f->tail = s;
		f->nseries = 1;
	}

	pthread_mutex_lock(&r->lock);
	for (it = atomic_load_explicit(&r->head, memory_order_relaxed); it;
	     it = atomic_load_explicit(&it->next, memory_order_relaxed))
		if (names_clash(it, f)) {
			pthread_mutex_unlock(&r->lock);
			err = EEXIST;
			goto fail;
		}
	if (r->tail)
		atomic_store_explicit(&r->tail->next, f, memory_order_release);
	else
		atomic_store_explicit(&r->head, f, memory_order_release);
	r->tail = f;
	pthread_mutex_unlock(&r->lock);
	return f;
fail:
	family_free(f);
	errno = err;
	return NULL;
}

struct metric_family *metrics_counter_new(struct metrics_registry *r, const char *name,
					  const char *help, const char *const *label_names)
{
	return family_new(r, METRIC_COUNTER, name, help, label_names, NULL, 0, NULL);
}

struct metric_family *metrics_gauge_new(struct metrics_registry *r, const char *name,
					const char *help, const char *const *label_names)
{
	return family_new(r, METRIC_GAUGE, name, help, label_names, NULL, 0, NULL);
}

struct metric_family *metrics_histogram_new(struct metrics_registry *r, const char *name,
					    const char *help, const char *const *label_names,
					    const double *bounds, size_t nbounds)
{
	return family_new(r, METRIC_HISTOGRAM, name, help, label_names, bounds, nbounds, NULL);
}

struct metric_family *metrics_histogram_new_opts(struct metrics_registry *r, const char *name,
						 const char *help, const char *const *label_names,
						 const double *bounds, size_t nbounds,
						 const struct metrics_histogram_opts *o)
{
	return family_new(r, METRIC_HISTOGRAM, name, help, label_names, bounds, nbounds, o);
}

/* ---- series resolution (start-up path, under the registry mutex) ---- */

static struct series **table_find(struct metric_family *f, const char *lt, size_t len, uint64_t h)
{
	size_t mask = f->nslots - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct series *s = f->table[i];

		if (!s || (s->hash == h && s->labels_len == len && !memcmp(s->labels, lt, len)))
			return &f->table[i];
	}
}

static int table_grow(struct metric_family *f)
{
	size_t n = f->nslots ? f->nslots * 2 : 16, oldn = f->nslots;
	struct series **old = f->table, **t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	f->table = t;
	f->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			*table_find(f, old[i]->labels, old[i]->labels_len, old[i]->hash) = old[i];
	free(old);
	return 0;
}

static void *series_labels(struct metric_family *f, enum metric_type t, const char *const *values)
{
	struct metrics_registry *r;
	struct series **slot, *s;
	size_t total = 0, pl;
	char *lt = NULL, *p;
	uint64_t h;
	int err = EINVAL;

	if (!f || f->type != t)
		goto fail;
	if (f->nlabels == 0)
		return atomic_load_explicit(&f->head, memory_order_relaxed)->handle;
	if (!values)
		goto fail;
	for (size_t i = 0; i < f->nlabels; i++) {
		if (!values[i])
			goto fail;	/* fewer values than label names */
		total += strlen(values[i]) * 2 + strlen(f->label_names[i]) + 4;
	}
	err = ENOMEM;
	lt = malloc(total + 1);
	if (!lt)
		goto fail;
	p = lt;
	for (size_t i = 0; i < f->nlabels; i++) {
		if (i)
			*p++ = ',';
		pl = strlen(f->label_names[i]);
		memcpy(p, f->label_names[i], pl);
		p += pl;
		*p++ = '=';
		*p++ = '"';
		p = escape_label_value(p, values[i], strlen(values[i]));
		if (!p) {
			err = EINVAL;
			goto fail;
		}
		*p++ = '"';
	}
	*p = '\0';
	pl = (size_t)(p - lt);
	h = metrics_hash(lt, pl);

	r = f->reg;
	pthread_mutex_lock(&r->lock);
	if ((f->nseries + 1) * 2 > f->nslots && table_grow(f) < 0) {
		pthread_mutex_unlock(&r->lock);
		goto fail;
	}
	slot = table_find(f, lt, pl, h);
	if (*slot) {
		s = *slot;
		pthread_mutex_unlock(&r->lock);
		free(lt);
		return s->handle;
	}
	s = series_new(f, lt, pl, h);
	if (!s) {
		pthread_mutex_unlock(&r->lock);
		goto fail;
	}
	*slot = s;
	f->nseries++;
	series_publish(f, s);
	pthread_mutex_unlock(&r->lock);
	return s->handle;
fail:
	free(lt);
	errno = err;
	return NULL;
}

struct counter *counter_labels(struct metric_family *f, const char *const *values)
{
	return series_labels(f, METRIC_COUNTER, values);
}

struct gauge *gauge_labels(struct metric_family *f, const char *const *values)
{
	return series_labels(f, METRIC_GAUGE, values);
}

struct histogram *histogram_labels(struct metric_family *f, const char *const *values)
{
	return series_labels(f, METRIC_HISTOGRAM, values);
}

static void *series_get(struct metric_family *f, enum metric_type t)
{
	if (!f || f->type != t || f->nlabels) {
		errno = EINVAL;
		return NULL;
	}
	return atomic_load_explicit(&f->head, memory_order_relaxed)->handle;
}

struct counter *counter_get(struct metric_family *f)
{
	return series_get(f, METRIC_COUNTER);
}

struct gauge *gauge_get(struct metric_family *f)
{
	return series_get(f, METRIC_GAUGE);
}

struct histogram *histogram_get(struct metric_family *f)
{
	return series_get(f, METRIC_HISTOGRAM);
}

/* ---- updates ---- */

static inline uint64_t d2bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static inline double bits2d(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

void gauge_set(struct gauge *g, double v)
{
	atomic_store_explicit(&g->bits, d2bits(v), memory_order_relaxed);
}

void gauge_add(struct gauge *g, double v)
{
	uint64_t old = atomic_load_explicit(&g->bits, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(&g->bits, &old, d2bits(bits2d(old) + v),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

double gauge_value(const struct gauge *g)
{
	return bits2d(atomic_load_explicit(&g->bits, memory_order_relaxed));
}

/*
 * The sum is kept in integer nano-units (two's complement in a uint64_t, so
 * negative observations subtract).  Its range is +-9.2e9 units in total: for
 * seconds that is 292 years of observed time; a histogram of large values
 * (bytes) should observe in a scaled unit.  Out-of-range inputs saturate.
 */
static inline uint64_t to_nano(double v)
{
	double x = v * 1e9;

	if (x >= 9.2e18)
		return (uint64_t)INT64_MAX;
	if (x <= -9.2e18)
		return (uint64_t)INT64_MIN;
	return (uint64_t)(int64_t)(x >= 0 ? x + 0.5 : x - 0.5);
}

/*
 * The bucket of v: the first bound v does not exceed, or nbounds (+Inf).
 * Branch-free binary search (the loop count depends only on n, the step is
 * a conditional move), so random latencies cost no mispredictions.
 */
#define BUCKET_SEARCH(b, n, v)                                  \
	({                                                      \
		size_t len_ = (n), base_ = 0;                   \
		while (len_ > 1) {                              \
			size_t half_ = len_ / 2;                \
			base_ += (b)[base_ + half_ - 1] < (v) ? half_ : 0; \
			len_ -= half_;                          \
		}                                               \
		len_ ? base_ + ((b)[base_] < (v)) : 0;          \
	})

/*
 * Native bucket of v > 0: with v = frac * 2^exp, frac in [0.5, 1) (frexp),
 * bucket k = (exp - 1) * 8 + j where j is the first of the eight sub-octave
 * bounds 2^(j/8 - 1) that frac does not exceed; so k is the smallest integer
 * with v <= 2^(k/8).  Clamped to the kept range; the caller handles the
 * zero bucket.  No loop over all buckets, no allocation.
 */
static const double sub_octave[8] = {
	0.5,
	0.54525386633262882960, /* 2^(1/8 - 1) */
	0.59460355750136053336, /* 2^(2/8 - 1) */
	0.64841977732550483296, /* 2^(3/8 - 1) */
	0.70710678118654752440, /* 2^(4/8 - 1) */
	0.77110541270397041180, /* 2^(5/8 - 1) */
	0.84089641525371454303, /* 2^(6/8 - 1) */
	0.91700404320467123175, /* 2^(7/8 - 1) */
};

static inline void native_observe(struct histogram *h, double v)
{
	int exp, k;
	double frac;
	size_t j;

	if (!(v > METRICS_NATIVE_ZERO_THRESHOLD)) {
		atomic_fetch_add_explicit(&h->native_zero, 1, memory_order_relaxed);
		return;
	}
	frac = frexp(v, &exp);
	j = BUCKET_SEARCH(sub_octave, 8, frac);	/* how many bounds are < frac: 0..8 */
	k = (exp - 1) * 8 + (int)j;
	if (k > METRICS_NATIVE_KMAX)
		k = METRICS_NATIVE_KMAX;
	if (k < METRICS_NATIVE_KMIN)
		k = METRICS_NATIVE_KMIN;
	atomic_fetch_add_explicit(&h->native[k - METRICS_NATIVE_KMIN], 1, memory_order_relaxed);
}

int metrics_native_key(double v)
{
	int exp;
	double frac = frexp(v, &exp);

	return (exp - 1) * 8 + (int)BUCKET_SEARCH(sub_octave, 8, frac);
}

void histogram_observe(struct histogram *h, double v)
{
	const struct metric_family *f = h->fam;
	size_t i;

	if (isnan(v))
		return;
	i = BUCKET_SEARCH(f->bounds, f->nbounds, v);
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_nano, to_nano(v), memory_order_relaxed);
	if (h->native)
		native_observe(h, v);
}

static inline size_t bucket_ns(const struct metric_family *f, uint64_t ns)
{
	return f->ns_first + BUCKET_SEARCH(f->bound_ns + f->ns_first, f->nbounds - f->ns_first, ns);
}

void histogram_observe_ns(struct histogram *h, uint64_t ns)
{
	size_t i = bucket_ns(h->fam, ns);

	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_nano, ns, memory_order_relaxed);
	if (h->native)
		native_observe(h, (double)ns / 1e9);
}

/* Writer side of the seqlock (see struct metrics_exemplar). */
static void exemplar_store(struct metrics_exemplar *e, uint64_t ns, const char *id, size_t n)
{
	uint64_t seq = atomic_load_explicit(&e->seq, memory_order_relaxed), w[EX_ID_WORDS] = { 0 };
	struct timespec ts;

	if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&e->seq, &seq, seq + 1,
								 memory_order_relaxed,
								 memory_order_relaxed))
		return;	/* another writer is filling it: keep theirs */
	atomic_thread_fence(memory_order_release);
	clock_gettime(CLOCK_REALTIME, &ts);
	memcpy(w, id, n);
	atomic_store_explicit(&e->value_ns, ns, memory_order_relaxed);
	atomic_store_explicit(&e->ts_ns, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
			      memory_order_relaxed);
	atomic_store_explicit(&e->id_len, n, memory_order_relaxed);
	for (size_t i = 0; i < EX_ID_WORDS; i++)
		atomic_store_explicit(&e->id[i], w[i], memory_order_relaxed);
	atomic_store_explicit(&e->seq, seq + 2, memory_order_release);
}

void histogram_observe_ns_ex(struct histogram *h, uint64_t ns, const char *id)
{
	size_t i = bucket_ns(h->fam, ns), n = 0;

	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_nano, ns, memory_order_relaxed);
	if (h->native)
		native_observe(h, (double)ns / 1e9);
	if (!h->ex || !id)
		return;
	for (; id[n]; n++) {
		unsigned char c = (unsigned char)id[n];

		if (n == METRICS_EXEMPLAR_ID_MAX || c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return;
	}
	if (n)
		exemplar_store(&h->ex[i], ns, id, n);
}

/*
 * Reader side: copies bucket i's exemplar; false when there is none or a
 * writer kept changing it (three tries: a scrape does not wait).
 */
static bool exemplar_load(const struct metrics_exemplar *e, uint64_t *ret_ns, uint64_t *ret_ts,
			  char *ret_id, size_t *ret_len)
{
	for (int tries = 0; tries < 3; tries++) {
		uint64_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire), s2;
		uint64_t ns, ts, len, w[EX_ID_WORDS];

		if (s1 == 0)
			return false;	/* never written */
		if (s1 & 1)
			continue;
		ns = atomic_load_explicit(&e->value_ns, memory_order_relaxed);
		ts = atomic_load_explicit(&e->ts_ns, memory_order_relaxed);
		len = atomic_load_explicit(&e->id_len, memory_order_relaxed);
		for (size_t i = 0; i < EX_ID_WORDS; i++)
			w[i] = atomic_load_explicit(&e->id[i], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&e->seq, memory_order_relaxed);
		if (s1 != s2 || len == 0 || len > METRICS_EXEMPLAR_ID_MAX)
			continue;
		*ret_ns = ns;
		*ret_ts = ts;
		memcpy(ret_id, w, len);
		*ret_len = len;
		return true;
	}
	return false;
}

/* ---- exposition ---- */

int metrics_registry_add_collector(struct metrics_registry *r, metrics_collect_fn fn, void *ctx)
{
	struct collector_node *c;

	if (!r || !fn)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->ctx = ctx;
	pthread_mutex_lock(&r->lock);
	if (r->ctail)
		atomic_store_explicit(&r->ctail->next, c, memory_order_release);
	else
		atomic_store_explicit(&r->collectors, c, memory_order_release);
	r->ctail = c;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/*
 * OpenMetrics exemplar of a bucket line: " # {label=\"id\"} value timestamp"
 * (OpenMetrics 1.0, "Exemplars"; the label set is at most 128 characters:
 * label names are short and ids at most METRICS_EXEMPLAR_ID_MAX).  The id
 * holds no character that needs escaping (histogram_observe_ns_ex).
 * Returns the length written to p, 0 when the bucket has none.
 */
#define EXEMPLAR_TEXT_MAX (METRICS_EXEMPLAR_ID_MAX + 64 + 2 * METRICS_NUM_MAX + 16)
static size_t exemplar_text(const struct metric_family *f, const struct metrics_exemplar *e,
			    char *p)
{
	uint64_t ns, ts;
	size_t len, ll = strlen(f->exemplar_label);
	char id[METRICS_EXEMPLAR_ID_MAX], *q = p;

	if (ll > 64 || !exemplar_load(e, &ns, &ts, id, &len))
		return 0;
	memcpy(q, " # {", 4);
	q += 4;
	memcpy(q, f->exemplar_label, ll);
	q += ll;
	*q++ = '=';
	*q++ = '"';
	memcpy(q, id, len);
	q += len;
	memcpy(q, "\"} ", 3);
	q += 3;
	q += fmt_double(q, (double)ns / 1e9);
	*q++ = ' ';
	/* seconds with millisecond precision, "1700000000.123" */
	q += fmt_u64(q, ts / 1000000000u);
	*q++ = '.';
	ts = ts / 1000000u % 1000u;
	*q++ = (char)('0' + ts / 100);
	*q++ = (char)('0' + ts / 10 % 10);
	*q++ = (char)('0' + ts % 10);
	return (size_t)(q - p);
}

static int expose_family(struct metrics_writer *w, const struct metric_family *f)
{
	const struct series *s = atomic_load_explicit(&f->head, memory_order_acquire);
	char num[METRICS_NUM_MAX], ex[EXEMPLAR_TEXT_MAX];
	int k = w->fmt == METRICS_FORMAT_OPENMETRICS;
	int r;

	if (!s)
		return 0;	/* a labelled family with no series yet: nothing, as Go */
	r = writer_family_trusted(w, f->name, f->type, f->help,
				  (const char *const *)f->label_names, f->nlabels);
	if (r < 0)
		return r;
	for (; s; s = atomic_load_explicit(&s->next, memory_order_acquire)) {
		if (f->type == METRIC_COUNTER) {
			const struct counter *c = s->handle;

			r = writer_line_trusted(w, "", 0, s->labels, s->labels_len, NULL, 0, num,
						fmt_u64(num, counter_value(c)));
		} else if (f->type == METRIC_GAUGE) {
			r = writer_line_trusted(w, "", 0, s->labels, s->labels_len, NULL, 0, num,
						fmt_double(num, gauge_value(s->handle)));
		} else {
			const struct histogram *h = s->handle;
			uint64_t cum = 0;

			/* Read each bucket once; _count is the +Inf total of the same
			 * reads, so a scrape is always internally consistent. */
			for (size_t i = 0; i <= f->nbounds && r >= 0; i++) {
				size_t exl = 0;

				cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
				if (k && h->ex)
					exl = exemplar_text(f, &h->ex[i], ex);
				r = writer_line_trusted_ex(
					w, "_bucket", 7, s->labels, s->labels_len,
					i < f->nbounds ? f->le[k][i] : "+Inf",
					i < f->nbounds ? f->le_len[k][i] : 4, num, fmt_u64(num, cum),
					ex, exl);
			}
			if (r < 0)
				break;
			double sum = (double)(int64_t)atomic_load_explicit(&h->sum_nano,
									   memory_order_relaxed) /
				     1e9;
			r = writer_line_trusted(w, "_sum", 4, s->labels, s->labels_len, NULL, 0, num,
						fmt_double(num, sum));
			if (r >= 0)
				r = writer_line_trusted(w, "_count", 6, s->labels, s->labels_len,
							NULL, 0, num, fmt_u64(num, cum));
		}
		if (r < 0)
			break;
	}
	writer_family_end(w);
	return r;
}

/* Text 0.0.4 and OpenMetrics; metrics_registry_expose (metrics_pb.c) adds
 * protobuf on top, so this module never calls the encoder (no loop). */
int metrics_expose_text(struct metrics_registry *r, enum metrics_format fmt, struct buf *out)
{
	struct metrics_writer w;
	const struct metric_family *f;
	const struct collector_node *c;
	int rc;

	if (!r || !out || (fmt != METRICS_FORMAT_TEXT && fmt != METRICS_FORMAT_OPENMETRICS))
		return -EINVAL;
	writer_init(&w, out, fmt);
	for (f = atomic_load_explicit(&r->head, memory_order_acquire); f;
	     f = atomic_load_explicit(&f->next, memory_order_acquire))
		expose_family(&w, f);
	for (c = atomic_load_explicit(&r->collectors, memory_order_acquire); c;
	     c = atomic_load_explicit(&c->next, memory_order_acquire)) {
		c->fn(&w, c->ctx);	/* errors: what it wrote stays (metrics.h) */
		writer_family_end(&w);
	}
	rc = metrics_writer_finish(&w);
	writer_done(&w);
	return rc;
}

bool metrics_exemplar_get(const struct histogram *h, size_t i, const char **ret_label,
			  char *ret_id, size_t *ret_len, uint64_t *ret_value_ns, uint64_t *ret_ts_ns)
{
	if (!h || !h->ex || i > h->fam->nbounds)
		return false;
	*ret_label = h->fam->exemplar_label;
	return exemplar_load(&h->ex[i], ret_value_ns, ret_ts_ns, ret_id, ret_len);
}

const struct histogram *metrics_histogram_find(struct metrics_registry *r, const char *name,
					       size_t name_len, const char *labels,
					       size_t labels_len)
{
	const struct metric_family *f;
	const struct series *s;

	for (f = atomic_load_explicit(&r->head, memory_order_acquire); f;
	     f = atomic_load_explicit(&f->next, memory_order_acquire)) {
		if (f->type != METRIC_HISTOGRAM || strlen(f->name) != name_len ||
		    memcmp(f->name, name, name_len))
			continue;
		for (s = atomic_load_explicit(&f->head, memory_order_acquire); s;
		     s = atomic_load_explicit(&s->next, memory_order_acquire))
			if (s->labels_len == labels_len &&
			    (!labels_len || !memcmp(s->labels, labels, labels_len)))
				return s->handle;
		return NULL;
	}
	return NULL;
}
