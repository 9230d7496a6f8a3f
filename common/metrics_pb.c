/*
 * metrics_pb: the protobuf exposition (Prometheus's "delimited" protobuf
 * format: each MetricFamily message preceded by its length as a varint),
 * encoded with protobuf-c from common/metrics.proto.
 *
 * One rendering path: the registry and the collectors write the 0.0.4 text
 * exposition exactly as a text scrape gets it (the writer validates names,
 * labels, duplicates), and this module reads that text back into messages.
 * So a protobuf scrape can never carry other families, series or values than
 * a text scrape taken at the same instant, and collectors need no second
 * output path.  The text is our own canonical output, so the reader below
 * only needs its subset of the format: "# HELP", "# TYPE", samples without
 * timestamps, a family's lines together, a histogram series' buckets
 * followed by its _sum and _count.
 *
 * Histogram series of registered families that keep native buckets
 * (metrics_histogram_opts.native) also get the native fields: schema 3, the
 * zero threshold and count, positive spans and deltas (the format's sparse
 * buckets: a span's offset counts from the previous span's end, deltas from
 * the previous bucket's count).  sample_count is then the native total,
 * read after the classic buckets, so it is at least every classic count.
 *
 * Scrape-time work: allocates (an arena freed at the end), never touches
 * the update path.  metrics_registry_expose lives here, on top of
 * metrics.c's text exposition, so the modules call each other one way.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"
#include "metrics.pb-c.h"

typedef Io__Prometheus__Client__MetricFamily PbFamily;
typedef Io__Prometheus__Client__Metric PbMetric;
typedef Io__Prometheus__Client__LabelPair PbLabel;
typedef Io__Prometheus__Client__Histogram PbHistogram;
typedef Io__Prometheus__Client__Bucket PbBucket;
typedef Io__Prometheus__Client__BucketSpan PbSpan;
typedef Io__Prometheus__Client__Exemplar PbExemplar;
typedef Io__Prometheus__Client__Timestamp PbTimestamp;

/* ---- a bump arena for one family's messages ---- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	bool failed;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			a->failed = true;
			return NULL;
		}
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_reset(struct arena *a)
{
	while (a->head) {
		struct chunk *n = a->head->next;

		free(a->head);
		a->head = n;
	}
	a->failed = false;
}

static char *arena_str(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* A growable array of pointers in the arena (old copies are left behind). */
struct ptrs {
	void **v;
	size_t n, cap;
};

static int ptrs_push(struct arena *a, struct ptrs *p, void *x)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void **v = arena_alloc(a, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		if (p->n)
			memcpy(v, p->v, p->n * sizeof(*v));
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = x;
	return 0;
}

/* ---- reading our own 0.0.4 text ---- */

/* Unescapes a HELP text (\\ and \n) or label value (also \") into the arena. */
static char *unescape(struct arena *a, const char *s, size_t n)
{
	char *o = arena_alloc(a, n + 1), *p = o;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*p++ = s[i] == 'n' ? '\n' : s[i];
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return o;
}

/* One sample line, split. */
struct line {
	const char *name;
	size_t name_len;
	const char *labels;	/* escaped label text without braces, le included */
	size_t labels_len;
	const char *value;
	size_t value_len;
};

/* Splits `name{labels} value`; -EINVAL on anything else. */
static int split_line(const char *s, size_t n, struct line *l)
{
	const char *e = s + n, *p = s;

	l->name = s;
	while (p < e && *p != '{' && *p != ' ')
		p++;
	l->name_len = (size_t)(p - s);
	l->labels = NULL;
	l->labels_len = 0;
	if (p < e && *p == '{') {
		const char *q = ++p;
		bool in = false;

		for (; q < e; q++) {
			if (in && *q == '\\')
				q++;
			else if (*q == '"')
				in = !in;
			else if (!in && *q == '}')
				break;
		}
		if (q >= e)
			return -EINVAL;
		l->labels = p;
		l->labels_len = (size_t)(q - p);
		p = q + 1;
	}
	if (p >= e || *p != ' ' || !l->name_len)
		return -EINVAL;
	l->value = p + 1;
	l->value_len = (size_t)(e - p - 1);
	return 0;
}

/*
 * Parses escaped label text into LabelPairs, leaving out le (returned in
 * ret_le, NULL if absent) and giving the length of the text without it (le
 * comes last in our bucket lines).
 */
static int parse_labels(struct arena *a, const char *s, size_t n, struct ptrs *out,
			const char **ret_le, size_t *ret_le_len, size_t *ret_series_len)
{
	const char *e = s + n, *p = s;

	*ret_le = NULL;
	*ret_series_len = n;
	while (p < e) {
		const char *name = p, *v, *q;
		PbLabel *lp;

		while (p < e && *p != '=')
			p++;
		if (p + 1 >= e || p[1] != '"')
			return -EINVAL;
		v = p + 2;
		for (q = v; q < e && *q != '"'; q++)
			if (*q == '\\')
				q++;
		if (q >= e)
			return -EINVAL;
		if (p - name == 2 && !memcmp(name, "le", 2)) {
			*ret_le = v;
			*ret_le_len = (size_t)(q - v);
			*ret_series_len = name > s ? (size_t)(name - 1 - s) : 0;
		} else {
			lp = arena_alloc(a, sizeof(*lp));
			if (!lp)
				return -ENOMEM;
			io__prometheus__client__label_pair__init(lp);
			lp->name = arena_str(a, name, (size_t)(p - name));
			lp->value = unescape(a, v, (size_t)(q - v));
			if (!lp->name || !lp->value || ptrs_push(a, out, lp) < 0)
				return -ENOMEM;
		}
		p = q + 1;
		if (p < e && *p == ',')
			p++;
	}
	return 0;
}

static double num(const char *s, size_t n)
{
	char tmp[64];

	if (n >= sizeof(tmp))
		return NAN;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return strtod(tmp, NULL);	/* +Inf, -Inf, NaN, plain decimals: C locale */
}

/* ---- building messages ---- */

struct fam {
	PbFamily f;
	char *name;
	size_t name_len;
	struct ptrs metrics;
	/* the histogram series being read */
	PbMetric *cur;
	PbHistogram *hist;
	const char *cur_labels;
	size_t cur_labels_len;
	struct ptrs buckets;
	const struct histogram *h;	/* its registry series, NULL for a collector's */
	size_t bi;			/* index of its next bucket line */
};

/* Native buckets of h into m: spans over runs of non-empty buckets. */
static int add_native(struct arena *a, PbHistogram *m, const struct histogram *h)
{
	uint64_t counts[METRICS_NATIVE_BUCKETS], total, zero;
	struct ptrs spans = { 0 };
	size_t nb = 0;
	int64_t *deltas, prev = 0;
	int last_end = 0;	/* key after the previous span */
	bool first = true;

	total = zero = atomic_load_explicit(&h->native_zero, memory_order_relaxed);
	for (size_t i = 0; i < METRICS_NATIVE_BUCKETS; i++) {
		counts[i] = atomic_load_explicit(&h->native[i], memory_order_relaxed);
		total += counts[i];
		nb += counts[i] != 0;
	}
	m->has_schema = true;
	m->schema = METRICS_NATIVE_SCHEMA;
	m->has_zero_threshold = true;
	m->zero_threshold = METRICS_NATIVE_ZERO_THRESHOLD;
	m->has_zero_count = true;
	m->zero_count = zero;
	if (total > m->sample_count) {
		m->sample_count = total;
		m->has_sample_count = true;
	}
	if (!nb)
		return 0;
	deltas = arena_alloc(a, nb * sizeof(*deltas));
	if (!deltas)
		return -ENOMEM;
	for (size_t i = 0; i < METRICS_NATIVE_BUCKETS;) {
		size_t j;
		PbSpan *sp;
		int key = (int)i + METRICS_NATIVE_KMIN;

		if (!counts[i]) {
			i++;
			continue;
		}
		for (j = i; j < METRICS_NATIVE_BUCKETS && counts[j]; j++) {
			deltas[m->n_positive_delta++] = (int64_t)counts[j] - prev;
			prev = (int64_t)counts[j];
		}
		sp = arena_alloc(a, sizeof(*sp));
		if (!sp)
			return -ENOMEM;
		io__prometheus__client__bucket_span__init(sp);
		sp->has_offset = sp->has_length = true;
		sp->offset = first ? key : key - last_end;
		sp->length = (uint32_t)(j - i);
		first = false;
		last_end = key + (int)(j - i);
		if (ptrs_push(a, &spans, sp) < 0)
			return -ENOMEM;
		i = j;
	}
	m->positive_delta = deltas;
	m->n_positive_span = spans.n;
	m->positive_span = (PbSpan **)spans.v;
	return 0;
}

/*
 * Bucket i's latest exemplar of h as a message (the OpenMetrics exemplar's
 * label, value and timestamp); NULL when it has none, or out of memory
 * (a->failed tells).
 */
static PbExemplar *exemplar(struct arena *a, const struct histogram *h, size_t i)
{
	char id[METRICS_EXEMPLAR_ID_MAX];
	const char *label;
	size_t len;
	uint64_t ns, ts;
	PbExemplar *e;
	PbLabel *lp, **lv;

	if (!metrics_exemplar_get(h, i, &label, id, &len, &ns, &ts))
		return NULL;
	e = arena_alloc(a, sizeof(*e));
	lp = arena_alloc(a, sizeof(*lp));
	lv = arena_alloc(a, sizeof(*lv));
	if (!e || !lp || !lv)
		return NULL;
	io__prometheus__client__exemplar__init(e);
	io__prometheus__client__label_pair__init(lp);
	lp->name = arena_str(a, label, strlen(label));
	lp->value = arena_str(a, id, len);	/* printable ASCII, no escapes */
	if (!lp->name || !lp->value)
		return NULL;
	lv[0] = lp;
	e->n_label = 1;
	e->label = lv;
	e->has_value = true;
	e->value = (double)ns / 1e9;
	e->timestamp = arena_alloc(a, sizeof(*e->timestamp));
	if (!e->timestamp)
		return NULL;
	io__prometheus__client__timestamp__init(e->timestamp);
	e->timestamp->has_seconds = e->timestamp->has_nanos = true;
	e->timestamp->seconds = (int64_t)(ts / 1000000000u);
	e->timestamp->nanos = (int32_t)(ts % 1000000000u);
	return e;
}

/* Closes the histogram series being read (its _count came). */
static void hist_close(struct fam *fm)
{
	fm->hist->n_bucket = fm->buckets.n;
	fm->hist->bucket = (PbBucket **)fm->buckets.v;
	fm->cur = NULL;
	fm->hist = NULL;
	fm->buckets = (struct ptrs){ 0 };
	fm->h = NULL;
	fm->bi = 0;
}

/* Packs the family (if any) into out, length-delimited, and resets. */
static int fam_flush(struct arena *a, struct fam *fm, struct buf *out)
{
	uint8_t hdr[10];
	size_t len, hl = 0;
	int r;

	if (!fm->name)
		return 0;
	if (fm->hist)
		hist_close(fm);
	fm->f.n_metric = fm->metrics.n;
	fm->f.metric = (PbMetric **)fm->metrics.v;
	if (a->failed)
		return -ENOMEM;
	len = io__prometheus__client__metric_family__get_packed_size(&fm->f);
	for (size_t v = len; hl == 0 || v; v >>= 7)
		hdr[hl++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
	if ((r = buf_reserve(out, hl + len)) < 0)
		return r;
	memcpy(out->data + out->len, hdr, hl);
	io__prometheus__client__metric_family__pack(&fm->f, (uint8_t *)out->data + out->len + hl);
	out->len += hl + len;
	arena_reset(a);
	memset(fm, 0, sizeof(*fm));
	return 0;
}

static bool has_suffix(const struct line *l, const struct fam *fm, const char *suf)
{
	size_t n = strlen(suf);

	return l->name_len == fm->name_len + n && !memcmp(l->name, fm->name, fm->name_len) &&
	       !memcmp(l->name + fm->name_len, suf, n);
}

static int sample(struct metrics_registry *r, struct arena *a, struct fam *fm,
		  const struct line *l)
{
	struct ptrs labels = { 0 };
	const char *le;
	size_t le_len = 0, slen;
	PbMetric *m;
	int rc;

	if (fm->f.type == IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM) {
		bool bucket = has_suffix(l, fm, "_bucket"), sum = has_suffix(l, fm, "_sum");
		bool count = has_suffix(l, fm, "_count");
		const char *lt = l->labels ? l->labels : "";

		if (!bucket && !sum && !count)
			return -EINVAL;
		if (bucket) {
			/* series label text: without ",le=..." (le is last) */
			const char *lep = NULL;

			for (size_t i = l->labels_len; i >= 4; i--)
				if (!memcmp(lt + i - 4, "le=\"", 4) && (i == 4 || lt[i - 5] == ',')) {
					lep = lt + i - 4;
					break;
				}
			slen = lep ? (size_t)(lep - lt) - (lep > lt) : l->labels_len;
		} else
			slen = l->labels_len;
		if (!fm->cur || fm->cur_labels_len != slen || memcmp(fm->cur_labels, lt, slen)) {
			if (fm->hist)
				hist_close(fm);
			m = arena_alloc(a, sizeof(*m));
			fm->hist = arena_alloc(a, sizeof(*fm->hist));
			if (!m || !fm->hist)
				return -ENOMEM;
			io__prometheus__client__metric__init(m);
			io__prometheus__client__histogram__init(fm->hist);
			if ((rc = parse_labels(a, lt, slen, &labels, &le, &le_len, &slen)) < 0)
				return rc;
			m->n_label = labels.n;
			m->label = (PbLabel **)labels.v;
			m->histogram = fm->hist;
			fm->cur = m;
			fm->h = metrics_histogram_find(r, fm->name, fm->name_len, lt, slen);
			fm->bi = 0;
			fm->cur_labels = arena_str(a, lt, slen);
			fm->cur_labels_len = slen;
			if (!fm->cur_labels || ptrs_push(a, &fm->metrics, m) < 0)
				return -ENOMEM;
		}
		if (bucket) {
			struct ptrs tmp = { 0 };
			PbBucket *b;

			if ((rc = parse_labels(a, lt, l->labels_len, &tmp, &le, &le_len, &slen)) < 0)
				return rc;
			PbExemplar *ex;
			size_t bi = fm->bi++;

			if (!le)
				return -EINVAL;
			/* The bucket's exemplar, as OpenMetrics shows it; the +Inf
			 * bucket is implied by sample_count unless it has one (then
			 * written out to carry it, as client_golang does). */
			ex = fm->h ? exemplar(a, fm->h, bi) : NULL;
			if (a->failed)
				return -ENOMEM;
			if (le_len == 4 && !memcmp(le, "+Inf", 4) && !ex)
				return 0;
			b = arena_alloc(a, sizeof(*b));
			if (!b)
				return -ENOMEM;
			io__prometheus__client__bucket__init(b);
			b->has_upper_bound = b->has_cumulative_count = true;
			b->upper_bound = num(le, le_len);
			b->cumulative_count = (uint64_t)num(l->value, l->value_len);
			b->exemplar = ex;
			return ptrs_push(a, &fm->buckets, b);
		}
		if (sum) {
			fm->hist->has_sample_sum = true;
			fm->hist->sample_sum = num(l->value, l->value_len);
			return 0;
		}
		/* _count: the series is complete */
		fm->hist->has_sample_count = true;
		fm->hist->sample_count = strtoull(l->value, NULL, 10);
		if (fm->h && fm->h->native && (rc = add_native(a, fm->hist, fm->h)) < 0)
			return rc;
		hist_close(fm);
		return 0;
	}

	m = arena_alloc(a, sizeof(*m));
	if (!m)
		return -ENOMEM;
	io__prometheus__client__metric__init(m);
	if (l->labels && (rc = parse_labels(a, l->labels, l->labels_len, &labels, &le, &le_len,
					    &slen)) < 0)
		return rc;
	m->n_label = labels.n;
	m->label = (PbLabel **)labels.v;
	switch (fm->f.type) {
	case IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER:
		m->counter = arena_alloc(a, sizeof(*m->counter));
		if (!m->counter)
			return -ENOMEM;
		io__prometheus__client__counter__init(m->counter);
		m->counter->has_value = true;
		m->counter->value = num(l->value, l->value_len);
		break;
	case IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE:
		m->gauge = arena_alloc(a, sizeof(*m->gauge));
		if (!m->gauge)
			return -ENOMEM;
		io__prometheus__client__gauge__init(m->gauge);
		m->gauge->has_value = true;
		m->gauge->value = num(l->value, l->value_len);
		break;
	default:
		m->untyped = arena_alloc(a, sizeof(*m->untyped));
		if (!m->untyped)
			return -ENOMEM;
		io__prometheus__client__untyped__init(m->untyped);
		m->untyped->has_value = true;
		m->untyped->value = num(l->value, l->value_len);
	}
	return ptrs_push(a, &fm->metrics, m);
}

static bool word(const char **p, const char *e, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(e - *p) < n || memcmp(*p, w, n))
		return false;
	*p += n;
	return true;
}

/* "# HELP name text" / "# TYPE name type" (HELP, when there is one, first). */
static int meta(struct arena *a, struct fam *fm, struct buf *out, const char *s, const char *e)
{
	const char *p = s + 2, *name;
	bool help;
	int r;

	if (word(&p, e, "HELP "))
		help = true;
	else if (word(&p, e, "TYPE "))
		help = false;
	else
		return 0;	/* a comment */
	name = p;
	while (p < e && *p != ' ')
		p++;
	if (!fm->name || (size_t)(p - name) != fm->name_len || memcmp(fm->name, name, fm->name_len)) {
		if ((r = fam_flush(a, fm, out)) < 0)
			return r;
		io__prometheus__client__metric_family__init(&fm->f);
		fm->name = arena_str(a, name, (size_t)(p - name));
		fm->name_len = (size_t)(p - name);
		fm->f.name = fm->name;
		if (!fm->name)
			return -ENOMEM;
	}
	p = p < e ? p + 1 : p;
	if (help) {
		fm->f.help = unescape(a, p, (size_t)(e - p));
		return fm->f.help ? 0 : -ENOMEM;
	}
	fm->f.has_type = true;
	if (word(&p, e, "counter"))
		fm->f.type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER;
	else if (word(&p, e, "gauge"))
		fm->f.type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE;
	else if (word(&p, e, "histogram"))
		fm->f.type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM;
	else
		fm->f.type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__UNTYPED;
	return 0;
}

static int expose_protobuf(struct metrics_registry *r, struct buf *out)
{
	struct buf text;
	struct arena a = { 0 };
	struct fam fm;
	const char *s, *e, *nl;
	int rc;

	buf_init(&text, 0);
	rc = metrics_expose_text(r, METRICS_FORMAT_TEXT, &text);
	if (rc < 0)
		goto done;
	memset(&fm, 0, sizeof(fm));
	s = text.data ? text.data : "";
	e = s + text.len;
	for (; s < e && rc >= 0; s = nl + 1) {
		struct line l;

		nl = memchr(s, '\n', (size_t)(e - s));
		if (!nl)
			nl = e;
		if (nl == s)
			continue;
		if (*s == '#') {
			rc = meta(&a, &fm, out, s, nl);
			continue;
		}
		if (!fm.name || split_line(s, (size_t)(nl - s), &l) < 0) {
			rc = -EINVAL;	/* not our own output: a bug, not the client's */
			break;
		}
		rc = sample(r, &a, &fm, &l);
	}
	if (rc >= 0)
		rc = fam_flush(&a, &fm, out);
done:
	arena_reset(&a);
	buf_done(&text);
	if (rc >= 0 && buf_failed(out))
		rc = -ENOBUFS;
	return rc < 0 ? rc : 0;
}

int metrics_registry_expose(struct metrics_registry *r, enum metrics_format f, struct buf *out)
{
	if (r && out && f == METRICS_FORMAT_PROTOBUF)
		return expose_protobuf(r, out);
	return metrics_expose_text(r, f, out);
}
