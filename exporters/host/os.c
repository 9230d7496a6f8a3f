/*
 * os: node_os_info and node_os_version from os-release(5) under --path.rootfs
 * (etc/os-release, else usr/lib/os-release), as node_exporter 1.5's
 * os_release.go.  Values follow os-release(5)'s shell-like quoting.  No file
 * at all is -ENODATA.
 *
 * The file is re-read only when stat(2) shows it changed, as node_exporter
 * keeps its parse until the file's mtime moves (UpdateStruct); here the key
 * is stricter -- device, inode, size, mtime and ctime of the file the path
 * leads to (a rewrite, a rename over it or a re-pointed symlink all change
 * it) -- and a scrape costs one stat instead of open, two reads and close.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "util.h"

#define NKEYS 12
/* node_os_info's labels (sorted) and the os-release keys they come from. */
static const char *const labels[NKEYS + 1] = { "build_id", "id", "id_like", "image_id",
					       "image_version", "name", "pretty_name", "variant",
					       "variant_id", "version", "version_codename",
					       "version_id", NULL };
static const char *const keys[NKEYS] = { "BUILD_ID", "ID", "ID_LIKE", "IMAGE_ID", "IMAGE_VERSION",
					 "NAME", "PRETTY_NAME", "VARIANT", "VARIANT_ID", "VERSION",
					 "VERSION_CODENAME", "VERSION_ID" };

/* Unquote an os-release value in place: "..." with \-escapes, '...' literal. */
static char *unquote(char *v)
{
	size_t l = strlen(v);
	char *o, *s;

	while (l && (v[l - 1] == ' ' || v[l - 1] == '\t' || v[l - 1] == '\r'))
		v[--l] = '\0';
	if (l >= 2 && v[0] == '\'' && v[l - 1] == '\'') {
		v[l - 1] = '\0';
		return v + 1;
	}
	if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
		v[l - 1] = '\0';
		v++;
	}
	for (s = o = v; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return v;
}

/* The last file read, while stat(2) says it is unchanged.  One scrape uses
 * it at a time (busy: a concurrent scrape reads afresh). */
#define OS_CACHE_MAX 4096
static struct {
	_Atomic bool busy;
	bool valid;
	int which;	/* index in rel[] below */
	struct stat st;
	size_t len;
	char data[OS_CACHE_MAX];
} osc;

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* etc/os-release, else usr/lib/os-release, into b: 0, -ENOENT (neither),
 * or another negative errno described in ctx (as pf_read). */
static int read_release(struct collector_ctx *c, struct rbuf *b)
{
	static const char *const rel[2] = { "etc/os-release", "usr/lib/os-release" };
	bool mine = !atomic_exchange(&osc.busy, true);
	char path[PATH_MAX];
	struct stat st;
	int r = -ENOENT;

	for (int i = 0; i < 2; i++) {
		bool have_st;

		if ((r = pf_path(path, sizeof(path), c->cfg->rootfs, rel[i])) < 0) {
			r = ctx_error(c, r, "path too long: %s/%s", c->cfg->rootfs, rel[i]);
			break;
		}
		have_st = stat(path, &st) == 0;
		if (!have_st && errno == ENOENT) {
			r = -ENOENT;	/* what the open would say */
			continue;
		}
		if (mine && have_st && osc.valid && osc.which == i && same_file(&st, &osc.st)) {
			if ((r = rbuf_reserve(b, osc.len + 1)) < 0) {
				r = ctx_error(c, r, "out of memory");
				break;
			}
			memcpy(b->data, osc.data, osc.len);
			b->data[osc.len] = '\0';
			b->len = osc.len;
			break;
		}
		r = pf_read(c, b, c->cfg->rootfs, rel[i]);
		if (r == -ENOENT) {
			c->err[0] = '\0';
			continue;
		}
		if (mine) {
			/* keyed by the stat made before the read: a change in
			 * between shows at the next scrape */
			osc.valid = r == 0 && have_st && S_ISREG(st.st_mode) && b->len < OS_CACHE_MAX;
			if (osc.valid) {
				osc.which = i;
				osc.st = st;
				osc.len = b->len;
				memcpy(osc.data, b->data, b->len);
			}
		}
		break;
	}
	if (mine)
		atomic_store(&osc.busy, false);
	return r;
}

int collect_os(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const vl[] = { "id", "id_like", "name", NULL };
	struct rbuf *b = c->rb[0];
	const char *val[NKEYS];
	char *cur, *line, ver[32];
	double version = 0;
	size_t i, k;
	int r;

	r = read_release(c, b);
	if (r == -ENOENT)
		return -ENODATA;	/* "no os-release file found" */
	if (r < 0)
		return r;
	for (k = 0; k < NKEYS; k++)
		val[k] = "";
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *eq, *key;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		key = line;
		for (k = 0; k < NKEYS; k++)
			if (strcmp(key, keys[k]) == 0)
				val[k] = unquote(eq + 1);
	}
	/* node_exporter: `^[0-9]+\.?[0-9]*` of VERSION_ID as a float. */
	for (i = 0; i < sizeof(ver) - 1 && val[11][i] >= '0' && val[11][i] <= '9'; i++)
		ver[i] = val[11][i];
	if (i > 0) {
		if (val[11][i] == '.' && i < sizeof(ver) - 2) {
			ver[i] = '.';
			for (i++; i < sizeof(ver) - 1 && val[11][i] >= '0' && val[11][i] <= '9'; i++)
				ver[i] = val[11][i];
		}
		ver[i] = '\0';
		version = strtod(ver, NULL);
	}
	r = writer_family(w, "node_os_info", METRIC_GAUGE,
			  "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
			  labels);
	if (r >= 0)
		r = writer_sample(w, val, 1);
	if (r >= 0)
		r = writer_family(w, "node_os_version", METRIC_GAUGE,
				  "Metric containing the major.minor part of the OS version.", vl);
	if (r >= 0) {
		const char *lv[] = { val[1], val[2], val[5] };

		r = writer_sample(w, lv, version);
	}
	return r;
}

const struct collector collector_os = {
	.name = "os", .default_on = true, .collect = collect_os, .src = SRC_ROOTFS,
};
