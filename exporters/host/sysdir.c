/*
 * sysdir: directory listings and attribute reads for the sysfs collectors
 * (see sysdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "collector.h"
#include "sysdir.h"

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sd_ent *)a)->name, ((const struct sd_ent *)b)->name);
}

/* The largest getdents64 record: header, a 255-byte name, NUL, aligned to 8. */
#define DIRENT_MAX ((offsetof(struct dirent64, d_name) + 256 + 7) & ~(size_t)7)

/* The listing of the open directory fd from its current position.
 * kernfs: fd is a sysfs directory, whose getdents64 emits children until
 * the buffer is full (fs/kernfs/dir.c kernfs_fop_readdir), so a call that
 * left room for the largest record listed everything: the call that would
 * return 0 is skipped. */
static int list_fd(int fd, struct rbuf *names, struct rbuf *ents, size_t *n, bool kernfs)
{
	char dbuf[2048] __attribute__((aligned(8)));
	size_t len = 0, cnt = 0, off;
	struct sd_ent *e;
	bool eof = false;
	int r = 0;

	*n = 0;
	/* names: [type byte][d_ino, 8 bytes][name NUL] packed; the entries
	 * point into it once it no longer grows. */
	for (;;) {
		ssize_t got = getdents64(fd, dbuf, sizeof(dbuf));

		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		if (kernfs && sizeof(dbuf) - (size_t)got >= DIRENT_MAX)
			kernfs = false, eof = true;	/* the last call (see above) */
		for (ssize_t p = 0; p < got;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(dbuf + p);
			size_t nl = strlen(d->d_name);
			unsigned char t = d->d_type;

			p += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			if (t == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					continue;	/* gone meanwhile */
				t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK :
				    S_ISREG(st.st_mode) ? DT_REG : DT_FIFO;
			}
			if ((r = rbuf_reserve(names, len + nl + 10)) < 0)
				goto out;
			names->data[len] = (char)t;
			memcpy(names->data + len + 1, &d->d_ino, 8);
			memcpy(names->data + len + 9, d->d_name, nl + 1);
			len += nl + 10;
			cnt++;
		}
		if (eof)
			break;
	}
	if ((r = rbuf_reserve(ents, (cnt + 1) * sizeof(*e))) < 0)
		goto out;
	e = (struct sd_ent *)(void *)ents->data;
	for (off = 0; off < len; e++) {
		e->type = (unsigned char)names->data[off];
		memcpy(&e->ino, names->data + off + 1, 8);
		e->name = names->data + off + 9;
		off += strlen(e->name) + 10;
	}
	e = (struct sd_ent *)(void *)ents->data;
	qsort(e, cnt, sizeof(*e), ent_cmp);
	*n = cnt;
out:
	return r;
}

int sd_list(const char *path, struct rbuf *names, struct rbuf *ents, size_t *n)
{
	int fd = pf_open_dir(path), r;

	*n = 0;
	if (fd < 0)
		return fd;
	r = list_fd(fd, names, ents, n, false);
	close(fd);
	return r;
}

#define SYSFS_MAGIC 0x62656572	/* statfs(2) */

int sd_list_keep(struct sd_kdir *k, const char *path, struct rbuf *names, struct rbuf *ents,
		 size_t *n)
{
	struct statfs st;
	int fd = atomic_exchange(&k->fd, -1), r, none = -1;

	*n = 0;
	if (fd >= 0) {
		/* rewinddir: kernfs lists the directory's children as they are
		 * now (fs/kernfs/dir.c kernfs_fop_readdir) */
		if (lseek(fd, 0, SEEK_SET) == 0 && (r = list_fd(fd, names, ents, n, true)) == 0 && *n > 0)
			goto keep;	/* (*n > 0 also means r is 0) */
		/* an error, or nothing listed (was the directory removed?):
		 * ask the path afresh */
		close(fd);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((r = list_fd(fd, names, ents, n, false)) < 0 || atomic_load(&k->nokeep) ||
	    fstatfs(fd, &st) < 0 || st.f_type != SYSFS_MAGIC) {
		if (r == 0)
			atomic_store(&k->nokeep, true);	/* not sysfs: never kept */
		close(fd);
		return r;
	}
keep:
	if (!atomic_compare_exchange_strong(&k->fd, &none, fd))
		close(fd);	/* a concurrent scrape kept its own */
	return 1;	/* listed through a sysfs descriptor */
}

void sd_kdir_close(struct sd_kdir *k)
{
	int fd = atomic_exchange(&k->fd, -1);

	if (fd >= 0)
		close(fd);
}

static int open_attr(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* O_NOFOLLOW: the library reads only regular files of a listing;
	 * O_NONBLOCK: a FIFO in a fixture tree must not hang the scrape. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* bytes.TrimSpace of the got bytes read into out */
static void trim_attr(char *out, ssize_t got)
{
	char *s, *e;

	out[got] = '\0';
	/* bytes.TrimSpace (ASCII white space; sysfs values are ASCII) */
	for (s = out; *s && strchr(" \t\n\r\v\f", *s); s++)
		;
	for (e = out + got; e > s && strchr(" \t\n\r\v\f", e[-1]); e--)
		;
	*e = '\0';
	if (s != out)
		memmove(out, s, (size_t)(e - s) + 1);
}

/* One read of at most SD_ATTR_MAX bytes: pread from offset 0 on a kept
 * (sysfs) descriptor, read(2) on a fresh one (pread would fail with ESPIPE
 * on a FIFO of a fixture tree). */
static ssize_t read_attr_fd(int fd, char *out, bool kept)
{
	ssize_t got;

	do
		got = kept ? pread(fd, out, SD_ATTR_MAX, 0) : read(fd, out, SD_ATTR_MAX);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

int sd_read_attr(const char *dir, const char *name, char *out)
{
	ssize_t got;
	int fd = open_attr(dir, name);

	if (fd < 0)
		return fd;
	got = read_attr_fd(fd, out, false);
	close(fd);
	if (got < 0)
		return (int)got;
	trim_attr(out, got);
	return 0;
}

bool sd_keep_begin(struct sd_keep *k, const char *classdir, bool on_sysfs)
{
	struct statfs st;
	bool idle = false;

	if (!atomic_compare_exchange_strong(&k->busy, &idle, true))
		return false;
	if (!on_sysfs && (statfs(classdir, &st) < 0 || st.f_type != SYSFS_MAGIC)) {
		atomic_store(&k->busy, false);
		return false;
	}
	if (!k->gen)	/* first use: no descriptor open yet */
		for (size_t i = 0; i < SD_KEEP_DEVS; i++)
			for (size_t a = 0; a < SD_KEEP_ATTRS; a++)
				k->dev[i].fd[a] = -1;
	k->gen++;
	if (!k->gen)
		k->gen = 1;
	return true;
}

static void kdev_close(struct sd_kdev *d)
{
	for (size_t a = 0; a < SD_KEEP_ATTRS; a++)
		if (d->fd[a] >= 0) {
			close(d->fd[a]);
			d->fd[a] = -1;
		}
	d->name[0] = '\0';
}

struct sd_kdev *sd_keep_dev(struct sd_keep *k, const struct sd_ent *e)
{
	struct sd_kdev *free_slot = NULL;
	size_t nl = strlen(e->name);

	if (nl >= sizeof(k->dev[0].name))
		return NULL;
	for (size_t i = 0; i < SD_KEEP_DEVS; i++) {
		struct sd_kdev *d = &k->dev[i];

		if (!d->name[0]) {
			if (!free_slot)
				free_slot = d;
			continue;
		}
		if (strcmp(d->name, e->name) != 0)
			continue;
		if (d->ino != e->ino)	/* another device under this name */
			kdev_close(d);
		else {
			d->gen = k->gen;
			return d;
		}
		free_slot = d;
		break;
	}
	if (!free_slot)
		return NULL;
	memcpy(free_slot->name, e->name, nl + 1);
	free_slot->ino = e->ino;
	free_slot->gen = k->gen;
	return free_slot;
}

int sd_keep_read(struct sd_kdev *d, unsigned idx, const char *dir, const char *name, char *out)
{
	ssize_t got;

	if (!d || idx >= SD_KEEP_ATTRS)
		return sd_read_attr(dir, name, out);
	if (d->fd[idx] >= 0) {
		got = read_attr_fd(d->fd[idx], out, true);
		if (got != -ENODEV)
			goto done;
		/* the node is gone: what does the path name now? */
		close(d->fd[idx]);
		d->fd[idx] = -1;
	}
	/* not kept when the open fails: an attribute that appears later is
	 * found by the next scrape */
	if ((d->fd[idx] = open_attr(dir, name)) < 0) {
		int r = d->fd[idx];

		d->fd[idx] = -1;
		return r;
	}
	got = read_attr_fd(d->fd[idx], out, true);
done:
	if (got < 0)
		return (int)got;
	trim_attr(out, got);
	return 0;
}

void sd_keep_end(struct sd_keep *k)
{
	for (size_t i = 0; i < SD_KEEP_DEVS; i++)
		if (k->dev[i].name[0] && k->dev[i].gen != k->gen)
			kdev_close(&k->dev[i]);
	atomic_store(&k->busy, false);
}

void sd_keep_free(struct sd_keep *k)
{
	if (!k->gen)
		return;
	for (size_t i = 0; i < SD_KEEP_DEVS; i++)
		kdev_close(&k->dev[i]);
}

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Unsigned magnitude of s in base (0: from the prefix), Go's rules. */
static int parse_mag(const char *s, int base, uint64_t *ret)
{
	bool prefixed = false, last_digit = false, any = false, us = base == 0;
	uint64_t v = 0;

	if (base == 0) {
		base = 10;
		if (s[0] == '0' && s[1]) {
			switch (s[1]) {
			case 'x': case 'X': base = 16; s += 2; prefixed = true; break;
			case 'o': case 'O': base = 8; s += 2; prefixed = true; break;
			case 'b': case 'B': base = 2; s += 2; prefixed = true; break;
			default: base = 8; s += 1; any = true; last_digit = true; break;
			}
		}
		/* underscores: only with base 0, between digits or after a prefix */
		last_digit = last_digit || prefixed;
	}
	for (; *s; s++) {
		int d;

		if (*s == '_' && us) {
			if (!last_digit || !s[1] || s[1] == '_')
				return -EINVAL;
			last_digit = false;
			continue;
		}
		d = digit_val(*s);
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
		any = true;
		last_digit = true;
	}
	if (!any)
		return -EINVAL;
	*ret = v;
	return 0;
}

int sd_parse_int(const char *s, int64_t *ret)
{
	bool neg = false;
	uint64_t m;
	int r;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if ((r = parse_mag(s, 0, &m)) < 0)
		return r;
	if (neg ? m > (uint64_t)INT64_MAX + 1 : m > (uint64_t)INT64_MAX)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int sd_parse_uint(const char *s, uint64_t *ret)
{
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	return parse_mag(s, 10, ret);
}

int sd_parse_uint0(const char *s, uint64_t *ret)
{
	return parse_mag(s, 0, ret);
}
