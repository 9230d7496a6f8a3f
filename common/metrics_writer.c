/*
 * metrics_writer: streams whole metric families into a scrape buffer in the
 * Prometheus text format 0.0.4 or OpenMetrics 1.0.0, refusing anything that
 * would make the exposition malformed; plus the number formatting, escaping
 * and content negotiation shared with the registry (metrics.c).
 *
 * Speed matters here: the exporters stream thousands of samples per scrape
 * through writer_sample().  Each sample is one buf_reserve(), bytes written
 * straight into the output, a hash of the escaped label text just written,
 * and one probe of an open-addressing table whose keys are offsets into the
 * output itself (the escaped rendering is injective for fixed label names, so
 * comparing it is comparing the values).  The table is reset between families
 * by bumping a generation number, not by clearing or freeing it.
 *
 * Sources: the exposition formats
 * (https://prometheus.io/docs/instrumenting/exposition_formats/ and the
 * OpenMetrics 1.0 spec, "Escaping", "Numbers", "Canonical Numbers"), and
 * Go's expfmt (text_create.go, openmetrics_create.go) for the exact layout.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics_int.h"
#include "utf8.h"

/* ---- names, hashing, escaping ---- */

/* Character classes of names: 1 may start a metric name, 2 a label name,
 * 4 may follow in a metric name, 8 in a label name. */
static const unsigned char name_class[256] = {
	['a' ... 'z'] = 15, ['A' ... 'Z'] = 15, ['_'] = 15, [':'] = 5, ['0' ... '9'] = 12,
};

/* Length of a valid metric name, or 0 (one pass: it was strlen + check). */
static size_t metric_name_len(const char *s)
{
	size_t n;

	if (!s || !(name_class[(unsigned char)s[0]] & 1))
		return 0;
	for (n = 1; s[n]; n++)
		if (!(name_class[(unsigned char)s[n]] & 4))
			return 0;
	return n;
}

bool metrics_name_valid(const char *s)
{
	return metric_name_len(s) != 0;
}

bool metrics_label_name_valid(const char *s)
{
	if (!s || !(name_class[(unsigned char)s[0]] & 2) || (s[0] == '_' && s[1] == '_'))
		return false;	/* __ is reserved for Prometheus */
	for (const char *p = s + 1; *p; p++)
		if (!(name_class[(unsigned char)*p] & 8))
			return false;
	return true;
}

uint64_t metrics_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL), w = 0;

	if (n >= 8) {
		/* whole words, then the last 8 bytes (overlapping): no byte loop */
		for (; n > 8; s += 8, n -= 8) {
			memcpy(&w, s, 8);
			h = (h ^ w) * 0xff51afd7ed558ccdULL;
			h ^= h >> 32;
		}
		memcpy(&w, s + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)s[i] << (8 * i);
	}
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	/* murmur3 fmix64 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* 0: copy as is; 1: backslash-escape; 2: start of a multi-byte sequence. */
static const unsigned char esc_class[256] = {
	['\\'] = 1, ['"'] = 1, ['\n'] = 1, [0x80 ... 0xff] = 2,
};

/* Escaping of label values is the same in both formats: \\, \", \n. */
char *escape_label_value(char *p, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];

		switch (esc_class[c]) {
		case 0:
			*p++ = (char)c;
			i++;
			break;
		case 1:
			*p++ = '\\';
			*p++ = c == '\n' ? 'n' : (char)c;
			i++;
			break;
		default: {
			size_t n = utf8_seq_len(s + i, len - i);

			if (!n)
				return NULL;
			memcpy(p, s + i, n);
			p += n;
			i += n;
		}
		}
	}
	return p;
}

/*
 * HELP text: 0.0.4 escapes only \\ and \n; OpenMetrics escapes \" too
 * (its HELP is an escaped-string in the ABNF).  Writes at p (room for
 * 2 * len); returns the end, or NULL if help is not UTF-8.
 */
static char *put_help(char *p, const char *help, size_t len, enum metrics_format f)
{
	const unsigned char *s = (const unsigned char *)help;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];

		if (c == '\\' || c == '\n' || (c == '"' && f == METRICS_FORMAT_OPENMETRICS)) {
			*p++ = '\\';
			*p++ = c == '\n' ? 'n' : (char)c;
			i++;
		} else if (c < 0x80) {
			*p++ = (char)c;
			i++;
		} else {
			size_t n = utf8_seq_len(s + i, len - i);

			if (!n)
				return NULL;
			memcpy(p, s + i, n);
			p += n;
			i += n;
		}
	}
	return p;
}

/* ---- numbers ---- */

static const char digits2[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

size_t fmt_u64(char *p, uint64_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;
	size_t n;

	while (v >= 100) {
		unsigned i = (unsigned)(v % 100) * 2;

		v /= 100;
		q -= 2;
		memcpy(q, digits2 + i, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + v * 2, 2);
	} else
		*--q = (char)('0' + v);
	n = (size_t)(e - q);
	memcpy(p, q, n);
	return n;
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static const double pow10_exact[] = {
	1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Fast path of fmt_shortest for v > 0: the fewest decimals d such that the
 * integer m = round(v * 10^d) < 2^53 gives back v as m / 10^d.  Both m and
 * 10^d (d <= 22) are exact doubles, so that IEEE division is correctly
 * rounded, exactly as strtod would read "m e-d": the digits round-trip.
 * Covers values such as 0.25, 12345.67, 1e-07 without printf; -1 otherwise.
 */
static int shortest_fast(double v, char *dig, int *ret_nd, int *ret_exp)
{
	for (int d = 0; d <= 22; d++) {
		double x = v * pow10_exact[d];
		uint64_t m;

		if (x >= 9007199254740992.0)
			return -1;
		m = (uint64_t)(x + 0.5);
		if (m && (double)m / pow10_exact[d] == v) {
			int n = (int)fmt_u64(dig, m);

			*ret_nd = n;
			*ret_exp = n - 1 - d;
			return 0;
		}
	}
	return -1;
}

/*
 * Shortest decimal that reads back as v, laid out as Go's
 * strconv.FormatFloat(v, 'g', -1, 64) does (the rendering expfmt uses and
 * OpenMetrics calls canonical): exponent form when the decimal exponent is
 * < -4 or >= 6 ("1e+06", "1e-05"), plain otherwise ("100000", "0.0001").
 *
 * A decimal of at most 15 significant digits is unique for a double
 * (DBL_DIG), so if the 15-digit rounding reads back, stripping its trailing
 * zeros gives the shortest form; otherwise 16, then 17 digits (always exact).
 * printf/strtod run under the C locale (uselocale is per-thread).
 */
static size_t fmt_shortest(char *p, double v, bool point)
{
	char tmp[48], dig[24], *q = p;
	const char *s;
	int prec, exp = 0, nd = 0, esign = 1;
	locale_t old = (locale_t)0;

	if (v < 0) {
		*q++ = '-';
		v = -v;
	}
	if (shortest_fast(v, dig, &nd, &exp) < 0) {
		pthread_once(&c_locale_once, c_locale_init);
		if (c_locale)
			old = uselocale(c_locale);
		/* Subnormals carry fewer digits than DBL_DIG: search from 1 digit. */
		for (prec = v < DBL_MIN ? 0 : 14;; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
			if (prec >= 16 || strtod(tmp, NULL) == v)
				break;
		}
		if (c_locale)
			uselocale(old);
		nd = 0;
		for (s = tmp; *s && *s != 'e'; s++)
			if (*s >= '0' && *s <= '9')
				dig[nd++] = *s;
		if (*s == 'e') {
			s++;
			if (*s == '-')
				esign = -1;
			if (*s == '-' || *s == '+')
				s++;
			for (; *s >= '0' && *s <= '9'; s++)
				exp = exp * 10 + (*s - '0');
			exp *= esign;
		}
	}
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;

	if (exp < -4 || exp >= 6) {
		*q++ = dig[0];
		if (nd > 1) {
			*q++ = '.';
			memcpy(q, dig + 1, (size_t)nd - 1);
			q += nd - 1;
		}
		*q++ = 'e';
		*q++ = exp < 0 ? '-' : '+';
		if (exp < 0)
			exp = -exp;
		if (exp >= 100) {
			*q++ = (char)('0' + exp / 100);
			exp %= 100;
		}
		*q++ = (char)('0' + exp / 10);
		*q++ = (char)('0' + exp % 10);
		return (size_t)(q - p);
	}
	if (exp < 0) {
		*q++ = '0';
		*q++ = '.';
		for (int i = 0; i < -exp - 1; i++)
			*q++ = '0';
		memcpy(q, dig, (size_t)nd);
		q += nd;
		return (size_t)(q - p);
	}
	for (int i = 0; i <= exp; i++)
		*q++ = i < nd ? dig[i] : '0';
	if (nd > exp + 1) {
		*q++ = '.';
		memcpy(q, dig + exp + 1, (size_t)(nd - exp - 1));
		q += nd - exp - 1;
	} else if (point) {
		*q++ = '.';
		*q++ = '0';
	}
	return (size_t)(q - p);
}

static size_t fmt_special(char *p, double v)
{
	if (isnan(v)) {
		memcpy(p, "NaN", 3);
		return 3;
	}
	if (isinf(v)) {
		memcpy(p, v > 0 ? "+Inf" : "-Inf", 4);
		return 4;
	}
	return 0;
}

size_t fmt_double(char *p, double v)
{
	size_t n = fmt_special(p, v);

	if (n)
		return n;
	/* Integral values (the common case: counts, bytes) print exactly. */
	if (v >= -9223372036854775808.0 && v < 9223372036854775808.0 && v == (double)(int64_t)v) {
		int64_t i = (int64_t)v;

		if (i < 0) {
			*p = '-';
			return 1 + fmt_u64(p + 1, (uint64_t)0 - (uint64_t)i);
		}
		return fmt_u64(p, (uint64_t)i);
	}
	return fmt_shortest(p, v, false);
}

/* OpenMetrics "Canonical Numbers" for le: Go's %g with ".0" appended. */
size_t fmt_le(char *p, double v, enum metrics_format f)
{
	size_t n = fmt_special(p, v);

	if (n)
		return n;
	if (v == 0)
		v = 0;	/* -0 prints as 0 */
	return fmt_shortest(p, v, f == METRICS_FORMAT_OPENMETRICS);
}

int metrics_format_double(struct buf *out, double v)
{
	char num[METRICS_NUM_MAX];

	return buf_append(out, num, fmt_double(num, v));
}

/* ---- negotiation ---- */

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

/* First c in [s, e), or e. */
static const char *find_char(const char *s, const char *e, char c)
{
	while (s < e && *s != c)
		s++;
	return s;
}

static bool token_eq(const char *s, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(e - s) == n && strncasecmp(s, lit, n) == 0;
}

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")], in thousandths. */
static int parse_q(const char *s, const char *e)
{
	int q, scale = 100;

	if (s < e && *s == '"' && e - s >= 2 && e[-1] == '"') {
		s++;
		e--;
	}
	if (s >= e || (*s != '0' && *s != '1'))
		return -1;
	q = (*s++ - '0') * 1000;
	if (s < e && *s == '.')
		for (s++; s < e && *s >= '0' && *s <= '9' && scale; s++, scale /= 10)
			q += (*s - '0') * scale;
	if (s != e || q > 1000)
		return -1;
	return q;
}

/*
 * As expfmt.Negotiate: OpenMetrics when the client prefers it (highest q,
 * earlier on a tie) and it is allowed; otherwise text 0.0.4, which is also
 * the answer for anything we do not speak (protobuf, unknown versions).
 * Prometheus 2.42 sends "application/openmetrics-text;version=1.0.0,
 * application/openmetrics-text;version=0.0.1;q=0.75,
 * text/plain;version=0.0.4;q=0.5,*\/\*;q=0.1".
 */
enum metrics_format metrics_negotiate(const char *accept, bool openmetrics_allowed)
{
	return metrics_negotiate_all(accept, openmetrics_allowed, false);
}

/*
 * The protobuf media type counts only with proto=io.prometheus.client.
 * MetricFamily and encoding=delimited (the only encoding a scraper reads
 * as a stream), as expfmt.Negotiate requires.
 */
enum metrics_format metrics_negotiate_all(const char *accept, bool openmetrics_allowed,
					  bool protobuf_allowed)
{
	int best_om = 0, best_text = 0, pos_om = INT_MAX, pos_text = INT_MAX, idx = 0;
	int best_pb = 0, pos_pb = INT_MAX;
	const char *s = accept, *hend;

	if ((!openmetrics_allowed && !protobuf_allowed) || !accept)
		return METRICS_FORMAT_TEXT;
	hend = accept + strlen(accept);	/* once: per element it was quadratic */
	while (*s) {
		const char *end = find_char(s, hend, ',');
		const char *type = skip_ws(s, end), *p = find_char(type, end, ';');
		const char *type_end = trim_end(type, p);
		bool om_version_ok = true, text_version_ok = true, pb_proto = false, pb_delim = false;
		int q = 1000;

		while (p < end) {	/* ;key=value parameters */
			const char *k = skip_ws(p + 1, end), *pe = find_char(k, end, ';');
			const char *eq = find_char(k, pe, '=');

			if (eq < pe) {
				const char *ke = trim_end(k, eq), *v = skip_ws(eq + 1, pe);
				const char *ve = trim_end(v, pe);

				if (token_eq(k, ke, "q"))
					q = parse_q(v, ve);
				else if (token_eq(k, ke, "version")) {
					if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
						v++;
						ve--;
					}
					om_version_ok = token_eq(v, ve, "1.0.0") ||
							token_eq(v, ve, "0.0.1");
					text_version_ok = token_eq(v, ve, "0.0.4");
				} else if (token_eq(k, ke, "proto")) {
					pb_proto = token_eq(v, ve, "io.prometheus.client.MetricFamily");
				} else if (token_eq(k, ke, "encoding")) {
					pb_delim = token_eq(v, ve, "delimited");
				}
			}
			p = pe;
		}
		if (q > 0) {
			if (token_eq(type, type_end, "application/vnd.google.protobuf")) {
				if (protobuf_allowed && pb_proto && pb_delim && q > best_pb) {
					best_pb = q;
					pos_pb = idx;
				}
			} else if (token_eq(type, type_end, "application/openmetrics-text")) {
				if (openmetrics_allowed && om_version_ok && q > best_om) {
					best_om = q;
					pos_om = idx;
				}
			} else if ((token_eq(type, type_end, "text/plain") && text_version_ok) ||
				   token_eq(type, type_end, "text/*") ||
				   token_eq(type, type_end, "*/*")) {
				if (q > best_text) {
					best_text = q;
					pos_text = idx;
				}
			}
		}
		idx++;
		s = *end ? end + 1 : end;
	}
	/* the highest q wins; on a tie, the earlier in the header */
	if (best_pb > 0 && (best_pb > best_om || (best_pb == best_om && pos_pb < pos_om)) &&
	    (best_pb > best_text || (best_pb == best_text && pos_pb < pos_text)))
		return METRICS_FORMAT_PROTOBUF;
	if (best_om > 0 && (best_om > best_text || (best_om == best_text && pos_om < pos_text)))
		return METRICS_FORMAT_OPENMETRICS;
	return METRICS_FORMAT_TEXT;
}

const char *metrics_content_type(enum metrics_format f)
{
	switch (f) {
	case METRICS_FORMAT_OPENMETRICS:
		return "application/openmetrics-text; version=1.0.0; charset=utf-8";
	case METRICS_FORMAT_PROTOBUF:
		return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
		       "encoding=delimited";
	default:
		return "text/plain; version=0.0.4; charset=utf-8";
	}
}

/* ---- writer ---- */

void writer_init(struct metrics_writer *w, struct buf *out, enum metrics_format f)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->start = out->len;
	w->fmt = f;
	w->state = W_NONE;
	buf_init(&w->sname, 0);
	buf_init(&w->lpre, 0);
	buf_init(&w->fnames, 0);
	buf_init(&w->scratch, 0);
}

void writer_done(struct metrics_writer *w)
{
	buf_done(&w->sname);
	buf_done(&w->lpre);
	buf_done(&w->fnames);
	buf_done(&w->scratch);
	free(w->slots);
	free(w->fams);
	w->slots = NULL;
	w->fams = NULL;
}

struct metrics_writer *metrics_writer_new(struct buf *out, enum metrics_format f)
{
	struct metrics_writer *w;

	if (!out || (f != METRICS_FORMAT_TEXT && f != METRICS_FORMAT_OPENMETRICS)) {
		errno = EINVAL;
		return NULL;
	}
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	writer_init(w, out, f);
	return w;
}

void metrics_writer_free(struct metrics_writer *w)
{
	if (!w)
		return;
	writer_done(w);
	free(w);
}

void writer_family_end(struct metrics_writer *w)
{
	if (w->state == W_OPEN)
		w->state = W_NONE;
}

void metrics_writer_end_family(struct metrics_writer *w)
{
	if (w)
		writer_family_end(w);
}

/* Family-name set: returns the slot for name (empty if absent). */
static struct fslot *fam_find(struct metrics_writer *w, const char *name, size_t len, uint64_t h)
{
	size_t mask = w->nfslots - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct fslot *s = &w->fams[i];

		if (!s->len)
			return s;
		if (s->hash == h && s->len == len && !memcmp(w->fnames.data + s->off, name, len))
			return s;
	}
}

static int fam_grow(struct metrics_writer *w)
{
	size_t n = w->nfslots ? w->nfslots * 2 : 64;
	struct fslot *old = w->fams, *t = calloc(n, sizeof(*t));
	size_t oldn = w->nfslots;

	if (!t)
		return -ENOMEM;
	w->fams = t;
	w->nfslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].len)
			*fam_find(w, w->fnames.data + old[i].off, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

static bool fam_seen_h(struct metrics_writer *w, const char *name, size_t len, uint64_t h)
{
	return w->nfslots && fam_find(w, name, len, h)->len != 0;
}

static bool fam_seen(struct metrics_writer *w, const char *name, size_t len)
{
	return fam_seen_h(w, name, len, metrics_hash(name, len));
}

/* Adds name (whose hash is h); -EEXIST if present. */
static int fam_add_h(struct metrics_writer *w, const char *name, size_t len, uint64_t h)
{
	struct fslot *s;
	size_t off = w->fnames.len;
	int r;

	if ((w->nfams + 1) * 2 > w->nfslots && (r = fam_grow(w)) < 0)
		return r;
	s = fam_find(w, name, len, h);
	if (s->len)
		return -EEXIST;
	if ((r = buf_append(&w->fnames, name, len)) < 0)
		return r;
	s->hash = h;
	s->off = off;
	s->len = len;
	w->nfams++;
	return 0;
}

static int fam_add(struct metrics_writer *w, const char *name, size_t len)
{
	return fam_add_h(w, name, len, metrics_hash(name, len));
}

static const char *type_name(enum metric_type t, enum metrics_format f)
{
	switch (t) {
	case METRIC_COUNTER:
		return "counter";
	case METRIC_GAUGE:
		return "gauge";
	case METRIC_HISTOGRAM:
		return "histogram";
	case METRIC_SUMMARY:
		return "summary";
	default:
		return f == METRICS_FORMAT_OPENMETRICS ? "unknown" : "untyped";
	}
}

static bool has_total_suffix(const char *name, size_t len)
{
	return len > 6 && !memcmp(name + len - 6, "_total", 6);
}

/*
 * The names a family occupies in an exposition: its own and the sample
 * names its type derives from it (histogram: _bucket, _sum, _count;
 * OpenMetrics counter: both the metadata name without _total and the
 * sample name with it).  No other family may take any of them, or the
 * output would mix two families' samples under one name.  Written into
 * scratch (reset first); returns how many, or -ENOMEM.
 */
int metrics_family_names(struct buf *scratch, const char *name, enum metric_type t,
			 enum metrics_format f, size_t off[4], size_t len[4])
{
	static const char *const hsuf[] = {"_bucket", "_sum", "_count"};
	size_t n = strlen(name);
	int k = 0;

	buf_reset(scratch);
	off[k] = 0;
	len[k++] = n;
	buf_append(scratch, name, n);
	if (t == METRIC_HISTOGRAM || t == METRIC_SUMMARY) {
		for (int i = t == METRIC_SUMMARY; i < 3; i++) {
			off[k] = scratch->len;
			len[k++] = n + strlen(hsuf[i]);
			buf_append(scratch, name, n);
			buf_puts(scratch, hsuf[i]);
		}
	} else if (t == METRIC_COUNTER && f == METRICS_FORMAT_OPENMETRICS) {
		off[k] = scratch->len;
		if (has_total_suffix(name, n)) {
			len[k++] = n - 6;
			buf_append(scratch, name, n - 6);
		} else {
			len[k++] = n + 6;
			buf_append(scratch, name, n);
			buf_append(scratch, "_total", 6);
		}
	}
	return buf_failed(scratch) ? -ENOMEM : k;
}

/* The per-label prefixes [","]name=" of the samples to come. */
static void set_label_prefixes(struct metrics_writer *w, const char *const *label_names,
			       size_t nlabels)
{
	buf_reset(&w->lpre);
	for (size_t i = 0; i < nlabels; i++) {
		w->lpre_off[i] = w->lpre.len;
		if (i)
			buf_putc(&w->lpre, ',');
		buf_puts(&w->lpre, label_names[i]);
		buf_append(&w->lpre, "=\"", 2);
	}
	w->lpre_off[nlabels] = w->lpre.len;
}

/*
 * Writes HELP/TYPE and sets up sample name and label prefixes.  Names are
 * valid here; len is strlen(name).  OpenMetrics counters: the metadata name
 * drops "_total" and samples carry it (expfmt appends it when the name
 * lacks it).
 *
 * Cost matters: an exporter begins ~200 families per scrape.  The common
 * case (a family that occupies one name: gauge, untyped, 0.0.4 counter)
 * hashes its name once for both the duplicate check and the insertion and
 * writes HELP and TYPE straight into one reservation.
 */
static int family_begin(struct metrics_writer *w, const char *name, size_t len,
			enum metric_type t, const char *help, const char *const *label_names,
			size_t nlabels)
{
	struct buf *out = w->out;
	size_t mlen = len, hl = help ? strlen(help) : 0, tl;
	bool om = w->fmt == METRICS_FORMAT_OPENMETRICS;
	bool single = t == METRIC_GAUGE || t == METRIC_UNTYPED || (t == METRIC_COUNTER && !om);
	const char *tn = type_name(t, w->fmt);
	uint64_t h = 0;
	size_t noff[4], nlen[4];
	int nn = 1, r;
	char *p;

	if (w->finished)
		return -EINVAL;
	w->state = W_FAILED;
	if (single) {
		h = metrics_hash(name, len);
		if (fam_seen_h(w, name, len, h))
			return -EEXIST;
	} else {
		nn = metrics_family_names(&w->scratch, name, t, w->fmt, noff, nlen);
		if (nn < 0)
			return nn;
		for (int i = 0; i < nn; i++)
			if (fam_seen(w, w->scratch.data + noff[i], nlen[i]))
				return -EEXIST;
	}
	if (om && t == METRIC_COUNTER && has_total_suffix(name, len))
		mlen = len - 6;
	tl = strlen(tn);
	/* one reservation, so a full buffer reports its own error (-E2BIG):
	 * "# HELP " name ' ' help(<= 2x) '\n' "# TYPE " name ' ' type '\n' */
	r = buf_reserve(out, 2 * mlen + 2 * hl + tl + 18);
	if (r < 0)
		return r;
	p = out->data + out->len;
	if (hl) {
		memcpy(p, "# HELP ", 7);
		memcpy(p + 7, name, mlen);
		p += 7 + mlen;
		*p++ = ' ';
		p = put_help(p, help, hl, w->fmt);
		if (!p) {
			out->data[out->len] = '\0';
			return -EINVAL;
		}
		*p++ = '\n';
	}
	memcpy(p, "# TYPE ", 7);
	memcpy(p + 7, name, mlen);
	p += 7 + mlen;
	*p++ = ' ';
	memcpy(p, tn, tl);
	p += tl;
	*p++ = '\n';

	buf_reset(&w->sname);
	buf_append(&w->sname, name, len);
	if (om && t == METRIC_COUNTER && mlen == len)
		buf_append(&w->sname, "_total", 6);
	set_label_prefixes(w, label_names, nlabels);
	if (buf_failed(&w->sname) || buf_failed(&w->lpre)) {
		r = -ENOMEM;
		goto fail;
	}
	if (single) {
		if ((r = fam_add_h(w, name, len, h)) < 0)
			goto fail;
	} else {
		for (int i = 0; i < nn; i++)
			if ((r = fam_add(w, w->scratch.data + noff[i], nlen[i])) < 0)
				goto fail;
	}
	/* committed: the header stays */
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	w->type = t;
	w->nlabels = nlabels;
	w->gen++;
	if (w->gen == 0) {	/* wrapped: really clear the table once */
		if (w->slots)
			memset(w->slots, 0, w->nslots * sizeof(*w->slots));
		w->gen = 1;
	}
	w->used = 0;
	w->state = W_OPEN;
	return 0;
fail:
	out->data[out->len] = '\0';
	return r;
}

/* Label names valid for a family of type t (count in *n): 0 or -EINVAL. */
static int label_names_check(enum metric_type t, const char *const *label_names, size_t *n)
{
	size_t k = 0;

	for (; label_names && label_names[k]; k++) {
		if (k == METRICS_MAX_LABELS || !metrics_label_name_valid(label_names[k]))
			return -EINVAL;
		if (t == METRIC_HISTOGRAM && !strcmp(label_names[k], "le"))
			return -EINVAL;
		if (t == METRIC_SUMMARY && !strcmp(label_names[k], "quantile"))
			return -EINVAL;
		for (size_t j = 0; j < k; j++)
			if (!strcmp(label_names[j], label_names[k]))
				return -EINVAL;
	}
	*n = k;
	return 0;
}

int writer_family(struct metrics_writer *w, const char *name, enum metric_type t,
		  const char *help, const char *const *label_names)
{
	size_t n = 0, len;

	if (!w)
		return -EINVAL;
	w->state = W_FAILED;
	len = metric_name_len(name);
	if (!len || (unsigned)t > METRIC_SUMMARY)
		return -EINVAL;
	if (w->fmt == METRICS_FORMAT_OPENMETRICS && t == METRIC_COUNTER && len == 6 &&
	    !memcmp(name, "_total", 6))
		return -EINVAL;
	if (label_names_check(t, label_names, &n) < 0)
		return -EINVAL;
	return family_begin(w, name, len, t, help, label_names, n);
}

/*
 * A new label set for the open family: HELP/TYPE and the family's series
 * table stay; the series key (the escaped text between the braces) holds
 * the label names too, so it stays injective across label sets.
 */
int writer_family_relabel(struct metrics_writer *w, const char *const *label_names)
{
	size_t n = 0;

	if (!w || w->state != W_OPEN || w->finished)
		return -EINVAL;
	if (label_names_check(w->type, label_names, &n) < 0) {
		w->state = W_FAILED;
		return -EINVAL;
	}
	set_label_prefixes(w, label_names, n);
	if (buf_failed(&w->lpre)) {
		w->state = W_FAILED;
		return -ENOMEM;
	}
	w->nlabels = n;
	return 0;
}

int writer_family_trusted(struct metrics_writer *w, const char *name, enum metric_type t,
			  const char *help, const char *const *label_names, size_t nlabels)
{
	return family_begin(w, name, strlen(name), t, help, label_names, nlabels);
}

/* Series set of the current family (keys are escaped label text in out). */
static struct wslot *series_find(struct metrics_writer *w, const char *key, size_t len, uint64_t h)
{
	size_t mask = w->nslots - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct wslot *s = &w->slots[i];

		if (s->gen != w->gen)
			return s;
		if (s->hash == h && s->len == len && !memcmp(w->out->data + s->off, key, len))
			return s;
	}
}

static int series_grow(struct metrics_writer *w)
{
	size_t n = w->nslots ? w->nslots * 2 : 64, oldn = w->nslots;
	struct wslot *old = w->slots, *t = calloc(n, sizeof(*t));
	uint32_t gen = w->gen;

	if (!t)
		return -ENOMEM;
	w->slots = t;
	w->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].gen == gen)
			*series_find(w, w->out->data + old[i].off, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* Total length of the label values, each one's in lens[]; -EINVAL when one
 * is missing. */
static int values_len(const struct metrics_writer *w, const char *const *values, size_t *lens,
		      size_t *ret)
{
	size_t total = 0;

	if (w->nlabels && !values)
		return -EINVAL;
	for (size_t i = 0; i < w->nlabels; i++) {
		if (!values[i])
			return -EINVAL;	/* fewer values than label names */
		lens[i] = strlen(values[i]);
		total += lens[i];
	}
	*ret = total;
	return 0;
}

/*
 * Writes the escaped labels at p (no braces) for the current family.
 * Returns the end, or NULL if a value is not valid UTF-8.
 */
static char *put_labels(const struct metrics_writer *w, char *p, const char *const *values,
			const size_t *lens)
{
	for (size_t i = 0; i < w->nlabels; i++) {
		size_t pl = w->lpre_off[i + 1] - w->lpre_off[i];

		memcpy(p, w->lpre.data + w->lpre_off[i], pl);
		p = escape_label_value(p + pl, values[i], lens[i]);
		if (!p)
			return NULL;
		*p++ = '"';
	}
	return p;
}

/* Records the key [koff, koff+klen) of out; -EINVAL if already there. */
static int series_add(struct metrics_writer *w, size_t koff, size_t klen)
{
	const char *key = w->out->data + koff;
	uint64_t h = metrics_hash(key, klen);
	struct wslot *s;
	int r;

	if ((w->used + 1) * 2 > w->nslots && (r = series_grow(w)) < 0)
		return r;
	s = series_find(w, key, klen, h);
	if (s->gen == w->gen)
		return -EINVAL;	/* duplicate series */
	s->hash = h;
	s->off = koff;
	s->len = (uint32_t)klen;
	s->gen = w->gen;
	w->used++;
	return 0;
}

/*
 * At p (reserved in w->out): NAME SUFFIX{ and the labels, the series key
 * (the labels' text, [*koff, *koff + *klen) of w->out) recorded.  The end of
 * the labels (the caller closes them), or NULL with *err = -EINVAL (bad
 * label value, duplicate series) or -ENOMEM.
 */
static char *put_series_head(struct metrics_writer *w, char *p, const char *suffix,
			     size_t slen, const char *const *values, const size_t *lens,
			     size_t *koff, size_t *klen, int *err)
{
	char *k;

	memcpy(p, w->sname.data, w->sname.len);
	p += w->sname.len;
	memcpy(p, suffix, slen);
	p += slen;
	*p++ = '{';
	k = p;
	p = put_labels(w, p, values, lens);
	if (!p) {
		*err = -EINVAL;
		return NULL;
	}
	*koff = (size_t)(k - w->out->data);
	*klen = (size_t)(p - k);
	if ((*err = series_add(w, *koff, *klen)) < 0)
		return NULL;
	return p;
}

static int emit_sample(struct metrics_writer *w, const char *const *values, const char *num,
		       size_t nl)
{
	struct buf *out = w->out;
	size_t vlen, koff, klen, lens[METRICS_MAX_LABELS];
	char *p;
	int r;

	if (w->state != W_OPEN || w->type == METRIC_HISTOGRAM || w->type == METRIC_SUMMARY)
		return -EINVAL;
	if (!w->nlabels) {
		/* A family without labels has one series: no set to probe. */
		if (w->used)
			return -EINVAL;	/* duplicate series */
		if ((r = buf_reserve(out, w->sname.len + nl + 2)) < 0)
			return r;
		p = out->data + out->len;
		memcpy(p, w->sname.data, w->sname.len);
		p += w->sname.len;
		*p++ = ' ';
		memcpy(p, num, nl);
		p += nl;
		*p++ = '\n';
		out->len = (size_t)(p - out->data);
		out->data[out->len] = '\0';
		w->used = 1;
		return 0;
	}
	if ((r = values_len(w, values, lens, &vlen)) < 0)
		return r;
	if (vlen > UINT32_MAX / 4)
		return -EINVAL;
	/* name{ + per label: piece, escaped value (<= 2x), quote + } + ' ' num \n */
	r = buf_reserve(out, w->sname.len + w->lpre.len + 2 * vlen + w->nlabels + nl + 8);
	if (r < 0)
		return r;
	p = put_series_head(w, out->data + out->len, "", 0, values, lens, &koff, &klen, &r);
	if (!p)
		goto undo;
	*p++ = '}';
	*p++ = ' ';
	memcpy(p, num, nl);
	p += nl;
	*p++ = '\n';
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	return 0;
undo:
	out->data[out->len] = '\0';
	return r;
}

int writer_sample(struct metrics_writer *w, const char *const *label_values, double v)
{
	char num[METRICS_NUM_MAX];

	if (!w)
		return -EINVAL;
	return emit_sample(w, label_values, num, fmt_double(num, v));
}

int writer_sample_u64(struct metrics_writer *w, const char *const *label_values, uint64_t v)
{
	char num[METRICS_NUM_MAX];

	if (!w)
		return -EINVAL;
	return emit_sample(w, label_values, num, fmt_u64(num, v));
}

int writer_line_trusted(struct metrics_writer *w, const char *suffix, size_t suffix_len,
			const char *labels, size_t labels_len, const char *le, size_t le_len,
			const char *num, size_t num_len)
{
	return writer_line_trusted_ex(w, suffix, suffix_len, labels, labels_len, le, le_len, num,
				      num_len, NULL, 0);
}

int writer_line_trusted_ex(struct metrics_writer *w, const char *suffix, size_t suffix_len,
			   const char *labels, size_t labels_len, const char *le, size_t le_len,
			   const char *num, size_t num_len, const char *extra, size_t extra_len)
{
	struct buf *out = w->out;
	char *p;
	int r = buf_reserve(out, w->sname.len + suffix_len + labels_len + le_len + num_len +
					 extra_len + 16);

	if (r < 0)
		return r;
	p = out->data + out->len;
	memcpy(p, w->sname.data, w->sname.len);
	p += w->sname.len;
	memcpy(p, suffix, suffix_len);
	p += suffix_len;
	if (labels_len || le) {
		*p++ = '{';
		if (labels_len)
			memcpy(p, labels, labels_len);
		p += labels_len;
		if (le) {
			if (labels_len)
				*p++ = ',';
			memcpy(p, "le=\"", 4);
			memcpy(p + 4, le, le_len);
			p += 4 + le_len;
			*p++ = '"';
		}
		*p++ = '}';
	}
	*p++ = ' ';
	memcpy(p, num, num_len);
	p += num_len;
	if (extra_len) {
		memcpy(p, extra, extra_len);
		p += extra_len;
	}
	*p++ = '\n';
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int writer_histogram(struct metrics_writer *w, const char *const *label_values,
		     const double *bounds, const uint64_t *cumulative, size_t nbounds,
		     uint64_t count, double sum)
{
	struct buf *out;
	size_t vlen, koff, klen, prefix_len, lemax = 4, need, nl, lens[METRICS_MAX_LABELS];
	char *p, *line, num[METRICS_NUM_MAX];
	int r;

	if (!w || w->state != W_OPEN || w->type != METRIC_HISTOGRAM)
		return -EINVAL;
	if (nbounds > METRICS_MAX_BUCKETS || (nbounds && (!bounds || !cumulative)))
		return -EINVAL;
	for (size_t i = 0; i < nbounds; i++) {
		if (!isfinite(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])))
			return -EINVAL;
		if (i && cumulative[i] < cumulative[i - 1])
			return -EINVAL;
	}
	if (nbounds && count < cumulative[nbounds - 1])
		return -EINVAL;
	if ((r = values_len(w, label_values, lens, &vlen)) < 0)
		return r;
	if (vlen > UINT32_MAX / 4)
		return -EINVAL;

	/* Bucket bounds are usually the same for every series of a family. */
	if (w->le_n != nbounds ||
	    (nbounds && memcmp(w->le_bounds, bounds, nbounds * sizeof(double)))) {
		for (size_t i = 0; i < nbounds; i++) {
			w->le_bounds[i] = bounds[i];
			w->le_len[i] = (uint8_t)fmt_le(w->le_text[i], bounds[i], w->fmt);
		}
		w->le_n = nbounds;
	}
	for (size_t i = 0; i < nbounds; i++)
		if (w->le_len[i] > lemax)
			lemax = w->le_len[i];

	out = w->out;
	/* name_bucket{labels (each label: piece, escaped value, closing quote) */
	prefix_len = w->sname.len + 8 + w->lpre.len + 2 * vlen + w->nlabels;
	need = (nbounds + 3) * (prefix_len + lemax + METRICS_NUM_MAX + 12);
	if ((r = buf_reserve(out, need)) < 0)
		return r;
	line = out->data + out->len;
	p = put_series_head(w, line, "_bucket", 7, label_values, lens, &koff, &klen, &r);
	if (!p) {
		out->data[out->len] = '\0';
		return r;
	}
	/* out->data is stable from here on: everything fits in the reservation. */
	prefix_len = (size_t)(p - line);
	for (size_t i = 0; i <= nbounds; i++) {
		if (i) {
			memmove(p, line, prefix_len);
			p += prefix_len;
		}
		if (klen)
			*p++ = ',';
		memcpy(p, "le=\"", 4);
		p += 4;
		if (i < nbounds) {
			memcpy(p, w->le_text[i], w->le_len[i]);
			p += w->le_len[i];
		} else {
			memcpy(p, "+Inf", 4);
			p += 4;
		}
		memcpy(p, "\"} ", 3);
		p += 3;
		p += fmt_u64(p, i < nbounds ? cumulative[i] : count);
		*p++ = '\n';
	}
	/* name_sum{labels} sum, name_count{labels} count */
	for (int j = 0; j < 2; j++) {
		memcpy(p, w->sname.data, w->sname.len);
		p += w->sname.len;
		memcpy(p, j ? "_count" : "_sum", j ? 6 : 4);
		p += j ? 6 : 4;
		if (klen) {
			*p++ = '{';
			memmove(p, out->data + koff, klen);
			p += klen;
			*p++ = '}';
		}
		*p++ = ' ';
		nl = j ? fmt_u64(num, count) : fmt_double(num, sum);
		memcpy(p, num, nl);
		p += nl;
		*p++ = '\n';
	}
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int writer_summary(struct metrics_writer *w, const char *const *label_values,
		   const double *quantiles, const double *values, size_t n, uint64_t count,
		   double sum)
{
	struct buf *out;
	size_t vlen, koff, klen, prefix_len, need, nl, lens[METRICS_MAX_LABELS];
	char *p, *line, num[METRICS_NUM_MAX];
	int r;

	if (!w || w->state != W_OPEN || w->type != METRIC_SUMMARY)
		return -EINVAL;
	if (n > METRICS_MAX_BUCKETS || (n && (!quantiles || !values)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (isnan(quantiles[i]) || (i && !(quantiles[i] > quantiles[i - 1])))
			return -EINVAL;
	if ((r = values_len(w, label_values, lens, &vlen)) < 0)
		return r;
	if (vlen > UINT32_MAX / 4)
		return -EINVAL;
	out = w->out;
	/* name_sum{labels (each: piece, escaped value, quote) ,quantile="q"} v */
	prefix_len = w->sname.len + 6 + w->lpre.len + 2 * vlen + w->nlabels;
	need = (n + 2) * (prefix_len + 2 * METRICS_NUM_MAX + 24);
	if ((r = buf_reserve(out, need)) < 0)
		return r;
	/* The first line holds the series key: a quantile line, or _sum when
	 * there is no quantile. */
	line = out->data + out->len;
	p = put_series_head(w, line, "_sum", n ? 0 : 4, label_values, lens, &koff, &klen, &r);
	if (!p) {
		out->data[out->len] = '\0';
		return r;
	}
	/* out->data is stable from here on: everything fits in the reservation. */
	prefix_len = (size_t)(p - line);
	for (size_t i = 0; i < n; i++) {
		if (i) {
			memmove(p, line, prefix_len);
			p += prefix_len;
		}
		if (klen)
			*p++ = ',';
		memcpy(p, "quantile=\"", 10);
		p += 10;
		p += fmt_le(p, quantiles[i], w->fmt);
		memcpy(p, "\"} ", 3);
		p += 3;
		p += fmt_double(p, values[i]);
		*p++ = '\n';
	}
	/* name_sum{labels} sum (unless the first line began it), name_count */
	for (int j = 0; j < 2; j++) {
		if (j || n) {
			memcpy(p, w->sname.data, w->sname.len);
			p += w->sname.len;
			memcpy(p, j ? "_count" : "_sum", j ? 6 : 4);
			p += j ? 6 : 4;
			if (klen) {
				*p++ = '{';
				memmove(p, out->data + koff, klen);
				p += klen;
				*p++ = '}';
			}
		} else if (klen) {
			*p++ = '}';
		} else {
			p--;	/* the '{' of "name_sum{" */
		}
		*p++ = ' ';
		nl = j ? fmt_u64(num, count) : fmt_double(num, sum);
		memcpy(p, num, nl);
		p += nl;
		*p++ = '\n';
	}
	out->len = (size_t)(p - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int metrics_writer_merge(struct metrics_writer *w, struct metrics_writer *src)
{
	struct buf *so;
	size_t n;
	int r;

	if (!w || !src || w == src || w->finished || src->finished)
		return -EINVAL;
	if (w->out == src->out)
		return -EINVAL;
	so = src->out;
	/* The names' hashes travel with them: nothing is hashed again. */
	for (size_t i = 0; i < src->nfslots; i++)
		if (src->fams[i].len &&
		    fam_seen_h(w, src->fnames.data + src->fams[i].off, src->fams[i].len,
			       src->fams[i].hash))
			return -EEXIST;
	n = so->len - src->start;
	if ((r = buf_append(w->out, so->data ? so->data + src->start : "", n)) < 0)
		return r;
	for (size_t i = 0; i < src->nfslots; i++)
		if (src->fams[i].len &&
		    (r = fam_add_h(w, src->fnames.data + src->fams[i].off, src->fams[i].len,
				   src->fams[i].hash)) < 0)
			return r;
	writer_family_end(w);
	/* src is left empty and reusable. */
	so->len = src->start;
	if (so->data)
		so->data[so->len] = '\0';
	if (src->fams)
		memset(src->fams, 0, src->nfslots * sizeof(*src->fams));
	src->nfams = 0;
	buf_reset(&src->fnames);
	src->state = W_NONE;
	return 0;
}

int metrics_writer_finish(struct metrics_writer *w)
{
	int r = 0;

	if (!w || w->finished)
		return -EINVAL;
	w->finished = true;
	w->state = W_NONE;
	if (w->fmt == METRICS_FORMAT_OPENMETRICS)
		r = buf_append(w->out, "# EOF\n", 6);
	if (!r && buf_failed(w->out))
		r = -ENOBUFS;
	return r;
}
