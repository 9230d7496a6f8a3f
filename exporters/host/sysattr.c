/*
 * sysfs attribute helpers for the hardware collectors (see sysattr.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int sa_list(const char *dir, int (*filter)(const struct dirent *), struct dirent ***out)
{
	int n = scandir(dir, out, filter ? filter : not_dots, alphasort);

	if (n < 0) {
		*out = NULL;
		return -errno;
	}
	return n;
}

void sa_free_list(struct dirent **ents, int n)
{
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}
