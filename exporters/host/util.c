/* Helpers shared by the collectors (see util.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int wr_one(struct metrics_writer *w, const char *name, enum metric_type t, const char *help,
	   double v)
{
	int r = writer_family(w, name, t, help, no_labels);

	if (r < 0)
		return r;
	return writer_sample(w, no_labels, v);
}

int wr_one_u64(struct metrics_writer *w, const char *name, enum metric_type t,
	       const char *help, uint64_t v)
{
	int r = writer_family(w, name, t, help, no_labels);

	if (r < 0)
		return r;
	return writer_sample_u64(w, no_labels, v);
}

size_t scan_u64s(const char *s, uint64_t *v, size_t max)
{
	size_t n = 0;

	while (n < max) {
		uint64_t x = 0;
		int digits = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		while (*s >= '0' && *s <= '9') {
			x = x * 10 + (uint64_t)(*s - '0');
			s++;
			digits++;
		}
		if (!digits || (*s && *s != ' ' && *s != '\t' && *s != '\n'))
			break;
		v[n++] = x;
	}
	return n;
}

void xsnprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

size_t str_join(char *dst, size_t n, ...)
{
	va_list ap;
	const char *part;
	size_t len = 0;

	va_start(ap, n);
	while ((part = va_arg(ap, const char *)) != NULL) {
		size_t pl = strlen(part);

		if (len < n - 1) {
			size_t room = n - 1 - len;

			memcpy(dst + len, part, pl < room ? pl : room);
		}
		len += pl;
	}
	va_end(ap);
	dst[len < n - 1 ? len : n - 1] = '\0';
	return len;
}

int go_parse_float(const char *s, size_t len, double *ret)
{
	char tmp[128], *end;
	size_t i = 0;
	double v;

	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;	/* (no longer number occurs in these files) */
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strlen(tmp) != len)
		return -EINVAL;
	if (tmp[0] == '+' || tmp[0] == '-')
		i = 1;
	if (!strcasecmp(tmp + i, "inf") || !strcasecmp(tmp + i, "infinity")) {
		*ret = tmp[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (!strcasecmp(tmp + i, "nan")) {
		*ret = NAN;
		return 0;
	}
	if (!(tmp[i] >= '0' && tmp[i] <= '9') && tmp[i] != '.')
		return -EINVAL;	/* no blanks, no other words */
	if (tmp[i] == '0' && (tmp[i + 1] == 'x' || tmp[i + 1] == 'X') && !strpbrk(tmp, "pP"))
		return -EINVAL;
	if (strchr(tmp, '_'))
		return -EINVAL;
	v = strtod(tmp, &end);
	if (*end || end == tmp + i)
		return -EINVAL;
	*ret = v;
	return 0;
}
