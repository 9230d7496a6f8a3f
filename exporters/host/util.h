/*
 * Small helpers shared by the collectors: one-sample families and a
 * non-destructive number scanner.  Thread-safety: none needed (pure).
 */
#ifndef HOST_UTIL_H
#define HOST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

static const char *const no_labels[] = { NULL };

/* A family with one unlabelled sample. */
int wr_one(struct metrics_writer *w, const char *name, enum metric_type t, const char *help,
	   double v);
int wr_one_u64(struct metrics_writer *w, const char *name, enum metric_type t,
	       const char *help, uint64_t v);

/* Parse up to max unsigned decimal numbers separated by blanks from s;
 * stops at the first non-number.  Returns how many were parsed. */
size_t scan_u64s(const char *s, uint64_t *v, size_t max);

/* snprintf that may truncate on purpose (messages, labels). */
void xsnprintf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Concatenate the strings up to the NULL into dst (n > 0), truncating and
 * always NUL-terminating like snprintf; returns the untruncated length.
 * For family names and help texts: ~220 snprintf("%s...") per scrape
 * showed up in perf (vfprintf ~4% of a scrape's CPU). */
size_t str_join(char *dst, size_t n, ...) __attribute__((sentinel));

/* Go's strconv.ParseFloat(s[0..len), 64), which node_exporter applies to
 * sysfs, udev and mdstat text: decimal or hexadecimal (p exponent
 * required) floats, inf/infinity/nan in any case, an optional sign, no
 * blanks or underscores.  0 and *ret, or -EINVAL. */
int go_parse_float(const char *s, size_t len, double *ret);

/* Does s start with prefix? */
static inline int has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

#endif
