/*
 * procfile: read /proc and /sys files fresh into reused per-worker buffers
 * (netdata's procfile idea: pread from offset 0 into a buffer that only
 * grows), plus the small tokenisers and the PCRE2 wrappers the collectors
 * share.
 *
 * /proc files are seq_files: each read(2) at offset 0 regenerates them, so
 * reading them whole with pread is a fresh, self-consistent snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

#define RBUF_MIN 8192
#define RBUF_MAX (64u << 20)

int ctx_error(struct collector_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c && !c->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	return err;
}

void rbuf_free(struct rbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->cap = b->len = 0;
}

static int rbuf_grow(struct rbuf *b, size_t want)
{
	size_t cap = b->cap ? b->cap : RBUF_MIN;
	char *p;

	while (cap < want)
		cap *= 2;
	if (cap > RBUF_MAX + 1)
		return -EFBIG;
	if (cap == b->cap)
		return 0;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int pf_path(char *out, size_t size, const char *root, const char *rel)
{
	size_t rl = strlen(root);
	int n;

	/* "/" + "/stat" must not become "//stat" (it would still work, but
	 * the rootfs prefix stripping compares strings). */
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	while (*rel == '/')
		rel++;
	n = snprintf(out, size, "%.*s/%s", (int)rl, root, rel);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int pf_read_quiet(struct rbuf *b, const char *path)
{
	int fd, r = 0;
	size_t off = 0;
	ssize_t n;

	/* Blocking open on purpose: a hung source (a FIFO, a stuck sysfs
	 * attribute) is what the per-collector deadline is for. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = rbuf_grow(b, RBUF_MIN);
	if (r < 0)
		goto out;
	for (;;) {
		if (b->cap - off < 2) {
			r = rbuf_grow(b, b->cap * 2);
			if (r < 0)
				goto out;
		}
		n = pread(fd, b->data + off, b->cap - off - 1, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	b->data[off] = '\0';
	b->len = off;
out:
	close(fd);
	return r;
}

int pf_read(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel)
{
	char path[PATH_MAX];
	int r;

	r = pf_path(path, sizeof(path), root, rel);
	if (r < 0)
		return ctx_error(c, r, "path too long: %s/%s", root, rel);
	r = pf_read_quiet(b, path);
	if (r < 0)
		return ctx_error(c, r, "read %s: %s", path, strerror(-r));
	return 0;
}

char *pf_next_line(char **cursor)
{
	char *s = *cursor, *nl;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

size_t pf_split(char *s, char **fields, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		fields[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

int pf_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

int pf_double(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	/* strtod is locale-dependent only for the decimal point; the daemon
	 * never calls setlocale, so it is "C". */
	errno = 0;
	v = strtod(s, &end);
	if (*end || (errno == ERANGE && !isinf(v) && v != 0))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* ---- regexes ---- */

static __thread pcre2_match_data *tls_md;

int host_regex_compile(struct host_regex *r, char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	r->re = NULL;
	if (!r->src || !*r->src)
		return 0;
	/* Go's regexp (RE2): '$' without (?m) matches only at the very end
	 * (PCRE2_DOLLAR_ENDONLY); UTF-8 subjects (invalid bytes never match). */
	r->re = pcre2_compile((PCRE2_SPTR)r->src, PCRE2_ZERO_TERMINATED,
			      PCRE2_DOLLAR_ENDONLY | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off,
			      NULL);
	if (!r->re) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s at offset %zu", (char *)msg, (size_t)off);
		return -EINVAL;
	}
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	return 0;
}

void host_regex_free(struct host_regex *r)
{
	if (r && r->re) {
		pcre2_code_free(r->re);
		r->re = NULL;
	}
}

bool host_regex_match(const struct host_regex *r, const char *s)
{
	int rc;

	if (!r->re)
		return false;
	/* One match-data block per thread, made once: matching allocates nothing. */
	if (!tls_md) {
		tls_md = pcre2_match_data_create(1, NULL);
		if (!tls_md)
			return false;
	}
	rc = pcre2_match(r->re, (PCRE2_SPTR)s, strlen(s), 0, 0, tls_md, NULL);
	return rc >= 0;
}

void host_regex_thread_done(void)
{
	pcre2_match_data_free(tls_md);
	tls_md = NULL;
}

bool device_filter_ignored(const struct device_filter *f, const char *name)
{
	if (f->include.re)
		return !host_regex_match(&f->include, name);
	if (f->exclude.re)
		return host_regex_match(&f->exclude, name);
	return false;
}
