/*
 * metrics_int: private glue between common/metrics.c (registry, updates),
 * common/metrics_writer.c (writer, formatting, negotiation) and
 * common/metrics_process.c (process and build-info families).
 * Not for use outside common/metrics*.c.
 */
#ifndef PRISM_METRICS_INT_H
#define PRISM_METRICS_INT_H

#include <stdint.h>

#include "metrics.h"

/* Longest rendering of a double or uint64 by the formatters below. */
#define METRICS_NUM_MAX 32

/* One slot of the writer's per-family series set (keys live in out). */
struct wslot {
	uint64_t hash;
	size_t off;	/* of the escaped label text in out->data */
	uint32_t len;
	uint32_t gen;	/* occupied iff gen == writer's gen: O(1) reset per family */
};

/* One slot of the writer's family-name set (names live in fnames). */
struct fslot {
	uint64_t hash;
	size_t off;	/* into fnames; len 0 = empty slot */
	size_t len;
};

struct metrics_writer {
	struct buf *out;
	size_t start;			/* out->len when the writer began */
	enum metrics_format fmt;
	bool finished;
	int state;			/* W_NONE, W_OPEN, W_FAILED */

	/* The family being written. */
	enum metric_type type;
	struct buf sname;		/* sample name (OpenMetrics counters get _total) */
	size_t nlabels;
	struct buf lpre;		/* per label: [","]name="  back to back */
	size_t lpre_off[METRICS_MAX_LABELS + 1];

	/* Series of the current family: open addressing, linear probing. */
	struct wslot *slots;
	size_t nslots, used;
	uint32_t gen;

	/* Family names this writer has written. */
	struct fslot *fams;
	size_t nfslots, nfams;
	struct buf fnames;
	struct buf scratch;		/* derived family names */

	/* le="..." renderings of the last bounds seen by writer_histogram. */
	size_t le_n;
	double le_bounds[METRICS_MAX_BUCKETS];
	char le_text[METRICS_MAX_BUCKETS][METRICS_NUM_MAX];
	uint8_t le_len[METRICS_MAX_BUCKETS];
};

enum { W_NONE, W_OPEN, W_FAILED };

/* Writer life cycle for a writer embedded on the stack (expose). */
void writer_init(struct metrics_writer *w, struct buf *out, enum metrics_format f);
void writer_done(struct metrics_writer *w);
/* Starts a family whose names were validated at registration. */
int writer_family_trusted(struct metrics_writer *w, const char *name, enum metric_type t,
			  const char *help, const char *const *label_names, size_t nlabels);
/*
 * Appends one line "<sample name><suffix>{<labels>[,le="..."]} <num>\n" for
 * the current family; labels is already-escaped label text (no braces), le
 * NULL for none.  No duplicate check: the registry has deduplicated.
 */
int writer_line_trusted(struct metrics_writer *w, const char *suffix, size_t suffix_len,
			const char *labels, size_t labels_len, const char *le, size_t le_len,
			const char *num, size_t num_len);
/* The same with extra text (an OpenMetrics exemplar, " # {...} v ts") before
 * the newline; extra_len 0 for none. */
int writer_line_trusted_ex(struct metrics_writer *w, const char *suffix, size_t suffix_len,
			   const char *labels, size_t labels_len, const char *le, size_t le_len,
			   const char *num, size_t num_len, const char *extra, size_t extra_len);
/* Native-histogram key of v > 0 (schema METRICS_NATIVE_SCHEMA), unclamped:
 * the smallest k with v <= 2^(k/8).  Exposed for the unit test. */
int metrics_native_key(double v);
/* metrics_registry_expose for text 0.0.4 and OpenMetrics (metrics.c). */
int metrics_expose_text(struct metrics_registry *r, enum metrics_format f, struct buf *out);
/* The series of registered histogram family `name` (native or not) whose
 * escaped label text is `labels`; NULL if none.  Scrape-time. */
const struct histogram *metrics_histogram_find(struct metrics_registry *r, const char *name,
					       size_t name_len, const char *labels,
					       size_t labels_len);
/* Bucket i's (0 .. nbounds, the last +Inf) latest exemplar of h: its label
 * name, id (ret_id: METRICS_EXEMPLAR_ID_MAX bytes, not terminated), value and
 * CLOCK_REALTIME time in ns; false when there is none.  Scrape-time. */
bool metrics_exemplar_get(const struct histogram *h, size_t i, const char **ret_label,
			  char *ret_id, size_t *ret_len, uint64_t *ret_value_ns, uint64_t *ret_ts_ns);
/* Ends the family being written (collectors must begin their own). */
void writer_family_end(struct metrics_writer *w);

/* The names family `name` of type t occupies in format f (see the .c). */
int metrics_family_names(struct buf *scratch, const char *name, enum metric_type t,
			 enum metrics_format f, size_t off[4], size_t len[4]);

/* Number formatting: each returns the length written to p[METRICS_NUM_MAX]. */
size_t fmt_u64(char *p, uint64_t v);
size_t fmt_double(char *p, double v);		/* sample values: integers exact */
size_t fmt_le(char *p, double v, enum metrics_format f);	/* bucket bounds */

/* Name checks: [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*, no "__". */
bool metrics_name_valid(const char *s);
bool metrics_label_name_valid(const char *s);
/* Escapes a label value into p (room for 2 * len); NULL if s is not UTF-8. */
char *escape_label_value(char *p, const char *s, size_t len);
/* 64-bit hash of n bytes (not cryptographic; for dedup tables). */
uint64_t metrics_hash(const void *p, size_t n);

#endif
