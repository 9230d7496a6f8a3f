/*
 * fuzz_writer: untrusted text (label values, HELP) through the metrics
 * writer into a buf, then the exposition is parsed back line by line.
 * Input: flags byte, then NUL-separated help, value1, value2.
 * Invariants:
 *  - writer_family accepts the HELP iff it is valid UTF-8; writer_sample
 *    accepts values iff they are valid UTF-8 and the series is new;
 *  - every line of the output ends in '\n' and is a HELP, TYPE, EOF or
 *    sample line; escaping round-trips: the HELP text and the label values
 *    parsed back (unescaped per the format) equal the input;
 *  - the output never holds a raw newline inside a line.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "fuzz_writer: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/*
 * Unescape [p, e) into out: label values and OpenMetrics HELP know \\, \"
 * and \n; text-format HELP knows \\ and \n (a quote is literal).  Stops at
 * the closing quote when quoted.  Returns the end of what was read.
 */
static const char *unescape(const char *p, const char *e, bool quoted, bool quote_esc, char *out)
{
	while (p < e) {
		if (quoted && *p == '"')
			break;
		if (*p == '\\') {
			CHECK(p + 1 < e);
			p++;
			if (*p == 'n')
				*out++ = '\n';
			else if (*p == '\\')
				*out++ = '\\';
			else {
				CHECK(*p == '"' && quote_esc);
				*out++ = '"';
			}
			p++;
			continue;
		}
		CHECK(*p != '\n');
		CHECK(!quoted || *p != '"');
		*out++ = *p++;
	}
	*out = '\0';
	return p;
}

/* labels a="..",b=".." between { and }: checks each value against want[] */
static void check_labels(const char *p, const char *e, const char *const *want, size_t n,
			 char *tmp)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = i ? "b=\"" : "a=\"";

		if (i) {
			CHECK(*p == ',');
			p++;
		}
		CHECK((size_t)(e - p) >= 3 && memcmp(p, name, 3) == 0);
		p = unescape(p + 3, e, true, true, tmp);
		CHECK(p < e && *p == '"');
		p++;
		CHECK(strcmp(tmp, want[i]) == 0);
	}
	/* a histogram's le label may follow */
	if (p < e) {
		CHECK(*p == ',' || n == 0);
		if (*p == ',')
			p++;
		CHECK((size_t)(e - p) >= 4 && memcmp(p, "le=\"", 4) == 0);
	}
}

/* The value text reads back as exactly v (the shortest round-trip form). */
static void check_number(const char *p, const char *e, double v)
{
	char num[64], *end;
	double got;

	CHECK(e - p > 0 && e - p < (long)sizeof(num));
	memcpy(num, p, (size_t)(e - p));
	num[e - p] = '\0';
	if (isnan(v)) {
		CHECK(strcmp(num, "NaN") == 0);
		return;
	}
	if (isinf(v)) {
		CHECK(strcmp(num, v > 0 ? "+Inf" : "-Inf") == 0);
		return;
	}
	got = strtod(num, &end);
	CHECK(*end == '\0');
	CHECK(got == v);
	/* no leading '+' or '.': Go's strconv layout, as expfmt writes it */
	CHECK(num[0] != '+' && num[0] != '.');
}

static void parse_back(const struct buf *b, bool om, const char *help, const char *const *v,
		       bool help_ok, int samples, double first_value)
{
	char *tmp = malloc(b->len + 1);
	const char *p = b->data ? b->data : "", *end = p + b->len;
	int seen_samples = 0, nl_samples = 0;
	bool eof = false;

	CHECK(tmp);
	CHECK(b->len == 0 || end[-1] == '\n');
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;

		CHECK(nl);
		CHECK(!eof);	/* # EOF is last */
		if (!strncmp(p, "# HELP ", 7)) {
			sp = memchr(p + 7, ' ', (size_t)(nl - p - 7));
			CHECK(sp);
			unescape(sp + 1, nl, false, om, tmp);
			if (!strncmp(p + 7, "fz", 2) && help_ok)
				CHECK(strcmp(tmp, help) == 0);
		} else if (!strncmp(p, "# TYPE ", 7)) {
			CHECK(memchr(p + 7, ' ', (size_t)(nl - p - 7)));
		} else if (!strncmp(p, "# EOF", 5)) {
			CHECK(om && nl == p + 5);
			eof = true;
		} else {
			const char *brace = memchr(p, '{', (size_t)(nl - p)), *close;

			CHECK(*p != '#');
			if (brace) {
				/* the closing brace is the last '}' before the value */
				sp = nl;
				while (sp > brace && *sp != ' ')
					sp--;
				close = sp - 1;
				CHECK(sp > brace && *close == '}');
				if (!strncmp(p, "fz_l", 4)) {
					/* the second sample has the values swapped */
					const char *vr[] = { v[1], v[0] };

					check_labels(brace + 1, close, nl_samples ? vr : v, 2, tmp);
					if (!nl_samples++)
						check_number(sp + 1, nl, first_value);
				}
				else if (!strncmp(p, "fz_h", 4))
					check_labels(brace + 1, close, v, 1, tmp);
			} else {
				sp = memchr(p, ' ', (size_t)(nl - p));
				CHECK(sp);
			}
			/* the value: a number, +Inf, -Inf or NaN, no spaces */
			CHECK(nl > sp + 1 && !memchr(sp + 1, ' ', (size_t)(nl - sp - 1)));
			seen_samples++;
		}
		p = nl + 1;
	}
	CHECK(eof == om);
	CHECK(seen_samples == samples);
	free(tmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[3] = { "", "", "" };
	char *s;
	size_t np = 0;
	struct buf b;
	struct metrics_writer *w;
	bool om, help_ok, vals_ok, same;
	int r, samples = 0;
	double num;

	if (size < 1)
		return 0;
	om = data[0] & 1;
	s = fuzz_cstr(data + 1, size - 1);
	parts[np++] = s;
	for (size_t i = 0; i + 1 < size && np < 3; i++)
		if (s[i] == '\0')
			parts[np++] = s + i + 1;
	{
		const char *v[] = { parts[1], parts[2] }, *vr[] = { parts[2], parts[1] };
		const char *lab[] = { "a", "b", NULL }, *hl[] = { "a", NULL };
		const double bounds[] = { -1, 0.25, 1e9 };
		const uint64_t cum[] = { 1, 2, 3 };

		help_ok = fuzz_utf8_valid(parts[0]);
		vals_ok = fuzz_utf8_valid(v[0]) && fuzz_utf8_valid(v[1]);
		same = strcmp(v[0], v[1]) == 0;
		/* a value from the input's last 8 bytes (any bit pattern: NaN,
		 * infinities, subnormals, integers), else from its size */
		if (size >= 9)
			memcpy(&num, data + size - 8, 8);
		else
			num = (double)size / 3 - 1;
		buf_init(&b, 0);
		w = metrics_writer_new(&b, om ? METRICS_FORMAT_OPENMETRICS : METRICS_FORMAT_TEXT);
		CHECK(w);
		r = writer_family(w, "fz_labels", (data[0] >> 1) & 1 ? METRIC_GAUGE : METRIC_UNTYPED,
				  parts[0], lab);
		CHECK(help_ok ? r == 0 : r == -EINVAL);
		if (r == 0) {
			r = writer_sample(w, v, num);
			CHECK(vals_ok ? r == 0 : r == -EINVAL);
			samples += r == 0;
			r = writer_sample_u64(w, vr, 42);
			CHECK(vals_ok && !same ? r == 0 : r == -EINVAL);
			samples += r == 0;
			r = writer_sample(w, v, 1);	/* always a duplicate, or invalid */
			CHECK(r == -EINVAL);
		}
		r = writer_family(w, "fz_hist", METRIC_HISTOGRAM, parts[0], hl);
		CHECK(help_ok ? r == 0 : r == -EINVAL);
		if (r == 0) {
			r = writer_histogram(w, v, bounds, cum, 3, 4, num);
			CHECK(fuzz_utf8_valid(v[0]) ? r == 0 : r == -EINVAL);
			samples += r == 0 ? 3 + 1 + 2 : 0;
		}
		CHECK(metrics_writer_finish(w) == 0);
		CHECK(!buf_failed(&b));
		parse_back(&b, om, parts[0], v, help_ok, samples, num);
		metrics_writer_free(w);
		buf_done(&b);
	}
	free(s);
	return 0;
}
