/*
 * nvme: node_nvme_info{device,firmware_revision,model,serial,state} 1 per
 * entry of <sysfs>/class/nvme, as node_exporter 1.5's nvme_linux.go with
 * procfs' sysfs NVMeClass: every entry of the directory is a controller and
 * must have firmware_rev, model, serial and state (each read with one read
 * of at most 128 bytes and trimmed of white space, as util.SysReadFile).
 * A missing directory or file of any controller: no data; another error
 * (not a directory, a read error): an error.  Either way nothing is
 * exported, as the peer lists the whole class before it sends a series.
 * These attributes are copies the nvme driver keeps in memory (identify
 * data read at probe; the controller state), so no device is queried.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "util.h"

static const char *const attrs[4] = { "firmware_rev", "model", "serial", "state" };

/* Append s[0..len) and a NUL to b; its offset or a negative errno. */
static long append(struct rbuf *b, const char *s, size_t len)
{
	size_t off = b->len;
	int r;

	if ((r = rbuf_reserve(b, b->len + len + 1)) < 0)
		return r;
	memcpy(b->data + off, s, len);
	b->data[off + len] = '\0';
	b->len += len + 1;
	return (long)off;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* One attribute of a controller, trimmed, appended to vals. */
static int read_attr(struct collector_ctx *c, const char *dir, const char *dev, const char *attr,
		     struct rbuf *vals)
{
	char path[PATH_MAX], buf[128];
	const char *s;
	ssize_t n;
	size_t len;
	long off;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, dev, attr) >= (int)sizeof(path))
		return ctx_error(c, -ENAMETOOLONG, "%s/%s/%s: path too long", dir, dev, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : ctx_error(c, -errno, "failed to read file \"%s\": %s", path,
							     strerror(errno));
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		int e = errno;

		close(fd);
		return ctx_error(c, -e, "failed to read file \"%s\": %s", path, strerror(e));
	}
	close(fd);
	s = buf;
	len = (size_t)n;
	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	if ((off = append(vals, s, len)) < 0)
		return ctx_error(c, (int)off, "out of memory");
	return 0;
}

static int collect_nvme(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const labels[] = { "device", "firmware_revision", "model", "serial", "state", NULL };
	struct rbuf *vals = c->rb[1];
	char dir[PATH_MAX];
	struct dirent *de;
	size_t ndev = 0;
	DIR *d;
	int r = 0;

	if ((r = pf_path(dir, sizeof(dir), c->cfg->sysfs, "class/nvme")) < 0)
		return ctx_error(c, r, "%s/class/nvme: path too long", c->cfg->sysfs);
	if (!(d = pf_opendir(dir))) {
		if (errno == ENOENT)
			return -ENODATA;
		return ctx_error(c, -errno, "failed to list NVMe devices at \"%s\": %s", dir, strerror(errno));
	}
	/* name, then the four attributes, each NUL-terminated, per controller */
	vals->len = 0;
	while ((de = readdir(d))) {
		long off;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((off = append(vals, de->d_name, strlen(de->d_name))) < 0) {
			r = ctx_error(c, (int)off, "out of memory");
			break;
		}
		for (int i = 0; i < 4 && r >= 0; i++)
			r = read_attr(c, dir, de->d_name, attrs[i], vals);
		if (r < 0)
			break;
		ndev++;
	}
	closedir(d);
	if (r == -ENOENT)
		return -ENODATA;	/* a controller without one of its files */
	if (r < 0)
		return r;
	if (ndev == 0)
		return 0;
	if ((r = writer_family(w, "node_nvme_info", METRIC_GAUGE,
			       "Non-numeric data from /sys/class/nvme/<device>, value is always 1.", labels)) < 0)
		return r;
	for (size_t i = 0, off = 0; i < ndev; i++) {
		const char *lv[5];

		for (int k = 0; k < 5; k++) {
			lv[k] = vals->data + off;
			off += strlen(lv[k]) + 1;
		}
		(void)writer_sample(w, lv, 1);
	}
	return 0;
}

const struct collector collector_nvme = {
	.name = "nvme", .default_on = true, .collect = collect_nvme, .src = SRC_SYSFS,
};
