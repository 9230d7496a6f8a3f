/*
 * sysfs attribute helpers for the hardware collectors (see sysattr.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "sysattr.h"

char *sa_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
			 e[-1] == '\v' || e[-1] == '\f'))
		e--;
	*e = '\0';
	return s;
}

int sa_read_str(struct rbuf *b, const char *path, char **out)
{
	int r = pf_read_quiet(b, path);

	if (r < 0)
		return r;
	*out = sa_trim(b->data);
	return 0;
}

int sa_read_u64(struct rbuf *b, const char *path, uint64_t *v)
{
	char *s;
	int r = sa_read_str(b, path, &s);

	if (r < 0)
		return r;
	return pf_u64(s, v) < 0 ? -EINVAL : 0;
}

int sa_i64(const char *s, int64_t *v)
{
	bool neg = false;
	uint64_t u;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (pf_u64(s, &u) < 0)
		return -EINVAL;
	if (u > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
		return -ERANGE;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int sa_read_i64(struct rbuf *b, const char *path, int64_t *v)
{
	char *s;
	int r = sa_read_str(b, path, &s);

	if (r < 0)
		return r;
	return sa_i64(s, v);
}

static int not_dots(const struct dirent *d)
{
	return !(d->d_name[0] == '.' && (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct dirent *const *)a)->d_name, (*(struct dirent *const *)b)->d_name);
}

/* scandir(3) with alphasort, without its fstat(2) of the directory (which
 * fdopendir makes: a system call per listing) and in byte order, as Go's
 * ReadDir/Glob sort (alphasort's strcoll is that in the "C" locale, which
 * host-exporter never leaves). */
int sa_list(const char *dir, int (*filter)(const struct dirent *), struct dirent ***out)
{
	char buf[4096] __attribute__((aligned(8)));
	struct dirent **v = NULL;
	size_t n = 0, cap = 0;
	int fd, r = 0;

	*out = NULL;
	if (!filter)
		filter = not_dots;
	fd = pf_open_dir(dir);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t got = getdents64(fd, buf, sizeof(buf));

		if (got < 0) {
			r = -errno;
			goto fail;
		}
		if (got == 0)
			break;
		for (ssize_t p = 0; p < got;) {
			const struct dirent64 *d = (const struct dirent64 *)(const void *)(buf + p);
			struct dirent *e;

			p += d->d_reclen;
			if (!(e = malloc(sizeof(*e)))) {
				r = -ENOMEM;
				goto fail;
			}
			e->d_ino = d->d_ino;
			e->d_off = d->d_off;
			e->d_reclen = sizeof(*e);
			e->d_type = d->d_type;
			snprintf(e->d_name, sizeof(e->d_name), "%s", d->d_name);
			if (!filter(e)) {
				free(e);
				continue;
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct dirent **nv = n > INT_MAX / 2 ? NULL : realloc(v, nc * sizeof(*v));

				if (!nv) {
					free(e);
					r = -ENOMEM;
					goto fail;
				}
				v = nv;
				cap = nc;
			}
			v[n++] = e;
		}
	}
	close(fd);
	if (n > 1)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return (int)n;
fail:
	close(fd);
	sa_free_list(v, (int)n);
	return r;
}

void sa_free_list(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}
