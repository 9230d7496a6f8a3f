/*
 * bonding: node_bonding_slaves{master} and node_bonding_active{master} as
 * node_exporter 1.5's bonding_linux.go: the masters are the words of
 * <sysfs>/class/net/bonding_masters, a master's slaves the words of
 * <master>/bonding/slaves, and a slave is active when
 * <master>/lower_<slave>/bonding_slave/mii_status (slave_<slave>/... on
 * older kernels) reads "up".  A missing file anywhere (no bonding module,
 * a master or slave that went away meanwhile) is no data, another error a
 * failure; either way nothing is sent, as every master is read first.
 *
 * The slaves attribute takes RTNL (rtnl_trylock, the read restarts while
 * another holds it): SRC_DEVICE, on a pool worker under the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "util.h"

struct master {
	const char *name;
	unsigned slaves, active;
};

static int master_cmp(const void *a, const void *b)
{
	return strcmp(((const struct master *)a)->name, ((const struct master *)b)->name);
}

/* Next whitespace-separated word of *cur (NUL-terminated in place), or NULL. */
static char *next_word(char **cur)
{
	char *s = *cur, *w;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && !(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f'))
		s++;
	if (*s)
		*s++ = '\0';
	*cur = s;
	return w;
}

/* Is the whole of path, white space trimmed, "up"?  0/1 or negative errno. */
static int read_up(const char *path)
{
	char buf[512];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char *s, *e;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1) {
			/* longer than any sysfs state word: drain to EOF, not "up"
			 * unless all that follows is white space */
			char more[256];
			bool blank = true;

			while ((n = read(fd, more, sizeof(more))) > 0 || (n < 0 && errno == EINTR))
				for (ssize_t i = 0; i < n; i++)
					blank = blank && strchr(" \t\n\r\v\f", more[i]);
			if (!blank) {
				close(fd);
				return n < 0 ? -errno : 0;
			}
			break;
		}
	}
	close(fd);
	buf[len] = '\0';
	for (s = buf; *s && strchr(" \t\n\r\v\f", *s); s++)
		;
	for (e = buf + len; e > s && strchr(" \t\n\r\v\f", e[-1]); e--)
		;
	return e - s == 2 && s[0] == 'u' && s[1] == 'p';
}

static int collect_bonding(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const ml[] = { "master", NULL };
	struct rbuf *mb = c->rb[0], *sb = c->rb[1], *arr = c->rb[2];
	char root[PATH_MAX], rel[PATH_MAX], path[PATH_MAX];
	struct master *m;
	char *cur, *name;
	size_t nm = 0, i;
	int r;

	if ((r = pf_path(root, sizeof(root), c->cfg->sysfs, "class/net")) < 0)
		return ctx_error(c, r, "%s/class/net: path too long", c->cfg->sysfs);
	if ((r = pf_read_optional(c, mb, root, "bonding_masters")) < 0)
		return r == -ENOENT ? -ENODATA : r;
	cur = mb->data;
	while ((name = next_word(&cur))) {
		char *scur, *slave;
		unsigned slaves = 0, active = 0;

		if (snprintf(rel, sizeof(rel), "%s/bonding/slaves", name) >= (int)sizeof(rel))
			return ctx_error(c, -ENAMETOOLONG, "%s/%s/bonding/slaves: path too long", root, name);
		if ((r = pf_read_optional(c, sb, root, rel)) < 0)
			return r == -ENOENT ? -ENODATA : r;
		scur = sb->data;
		while ((slave = next_word(&scur))) {
			if (snprintf(path, sizeof(path), "%s/%s/lower_%s/bonding_slave/mii_status", root,
				     name, slave) >= (int)sizeof(path))
				return ctx_error(c, -ENAMETOOLONG, "%s: path too long", path);
			r = read_up(path);
			if (r == -ENOENT) {	/* older kernels: slave_<name> */
				r = snprintf(path, sizeof(path), "%s/%s/slave_%s/bonding_slave/mii_status",
					     root, name, slave) >= (int)sizeof(path) ? -ENAMETOOLONG
										     : read_up(path);
			}
			if (r == -ENOENT)
				return -ENODATA;
			if (r < 0)
				return ctx_error(c, r, "%s: %s", path, strerror(-r));
			slaves++;
			active += (unsigned)r;
		}
		if ((r = rbuf_reserve(arr, (nm + 1) * sizeof(*m))) < 0)
			return ctx_error(c, r, "out of memory");
		m = (struct master *)(void *)arr->data + nm++;
		m->name = name;
		m->slaves = slaves;
		m->active = active;
	}
	if (nm == 0)
		return 0;
	m = (struct master *)(void *)arr->data;
	qsort(m, nm, sizeof(*m), master_cmp);
	/* a master named twice is one series (a map there): the last read */
	for (int f = 0; f < 2; f++) {
		r = f == 0 ? writer_family(w, "node_bonding_active", METRIC_GAUGE,
					  "Number of active slaves per bonding interface.", ml)
			   : writer_family(w, "node_bonding_slaves", METRIC_GAUGE,
					  "Number of configured slaves per bonding interface.", ml);
		if (r < 0)
			return r;
		for (i = 0; i < nm; i++) {
			const char *lv[] = { m[i].name };

			if (i + 1 < nm && strcmp(m[i].name, m[i + 1].name) == 0)
				continue;
			(void)writer_sample(w, lv, f == 0 ? m[i].active : m[i].slaves);
		}
	}
	return 0;
}

const struct collector collector_bonding = {
	.name = "bonding", .default_on = true, .collect = collect_bonding, .src = SRC_DEVICE,
};
