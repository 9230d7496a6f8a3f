/*
 * fuzz_textfile: any bytes as a *.prom file of the textfile collector,
 * through the same steps collect_textfile() runs after read_file(): the
 * text-format parser (tf_parse_text, static: this file #includes
 * textfile.c, as the unit tests do) and tf_write() into a metrics writer.
 * read_file() refuses NUL bytes, so an input with one is cut there.
 * Invariants:
 *  - a refusal says why (p.err);
 *  - a file is written only if every histogram count in it (_count,
 *    _bucket) fits the uint64 it becomes: 0 <= v < 2^64, not NaN/Inf;
 *  - what the writer makes of an accepted file, in the text format, is
 *    itself a file the parser accepts (the exposition is valid text
 *    format 0.0.4), with every sample line read back, valid UTF-8 with
 *    every line ended;
 *  - writing is stable: from the second generation on, parsing and
 *    writing gives the same bytes (histogram groups completed once stay
 *    complete, order and escaping are stable).
 */
#include "../../exporters/host/textfile.c"

#include "fuzz.h"

static size_t sample_lines(const char *s)
{
	size_t n = 0;

	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		if (*l != '#' && *l != '\n')
			n++;
		if (!strchr(l, '\n'))
			abort();	/* every line ends with a newline */
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *again;
	struct tf_parse p = { 0 }, q = { 0 };
	struct metrics_writer *w;
	char err[240] = "";
	struct buf b;
	int r;

	r = tf_parse_text(&p, text, strlen(text));
	if (r < 0) {
		if (r != -ENOMEM && !p.err[0])
			abort();
		goto out;
	}
	buf_init(&b, 0);
	w = metrics_writer_new(&b, METRICS_FORMAT_TEXT);
	if (!w)
		abort();
	r = tf_write(&p, w, "fuzz.prom", err, sizeof(err));
	if (r < 0 && !err[0])
		abort();
	metrics_writer_finish(w);
	metrics_writer_free(w);
	for (size_t i = 0; r == 0 && i < p.nsamples; i++) {
		const struct tf_sample *smp = &p.samples[i];

		if (p.fams[smp->fam].type == METRIC_HISTOGRAM &&
		    (smp->kind == K_COUNT || smp->kind == K_BUCKET) &&
		    !(smp->v >= 0 && smp->v < 18446744073709551616.0))
			abort();
	}
	if (r == 0 && b.data) {
		if (!fuzz_utf8_valid(b.data))
			abort();
		again = strdup(b.data);
		if (!again)
			abort();
		if (tf_parse_text(&q, again, strlen(again)) != 0) {
			fprintf(stderr, "exposition refused: %s\n%s", q.err, b.data);
			abort();
		}
		if (q.nsamples != sample_lines(b.data)) {
			fprintf(stderr, "%zu samples written, %zu read back:\n%s", sample_lines(b.data),
				q.nsamples, b.data);
			abort();
		}
		{
			/* the second generation is a fixed point (the first may
			 * still change: an empty "# HELP x" is written without a
			 * HELP line, which reads back as the default help) */
			struct tf_parse q2 = { 0 };
			struct metrics_writer *w2;
			struct buf b2, b3;
			char *again2;

			buf_init(&b2, 0);
			buf_init(&b3, 0);
			w2 = metrics_writer_new(&b2, METRICS_FORMAT_TEXT);
			if (!w2 || tf_write(&q, w2, "fuzz.prom", err, sizeof(err)) != 0)
				abort();
			metrics_writer_finish(w2);
			metrics_writer_free(w2);
			again2 = strdup(b2.data ? b2.data : "");
			if (!again2 || tf_parse_text(&q2, again2, strlen(again2)) != 0)
				abort();
			w2 = metrics_writer_new(&b3, METRICS_FORMAT_TEXT);
			if (!w2 || tf_write(&q2, w2, "fuzz.prom", err, sizeof(err)) != 0)
				abort();
			metrics_writer_finish(w2);
			metrics_writer_free(w2);
			if (!b2.data || !b3.data || strcmp(b2.data, b3.data) != 0) {
				fprintf(stderr, "not a fixed point:\n%s---\n%s", b2.data ? b2.data : "",
					b3.data ? b3.data : "");
				abort();
			}
			tf_parse_done(&q2);
			free(again2);
			buf_done(&b2);
			buf_done(&b3);
		}
		tf_parse_done(&q);
		free(again);
	}
	buf_done(&b);
out:
	tf_parse_done(&p);
	free(text);
	return 0;
}
