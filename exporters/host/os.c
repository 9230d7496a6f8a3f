/*
 * os: node_os_info and node_os_version from os-release(5) under --path.rootfs
 * (etc/os-release, else usr/lib/os-release), as node_exporter 1.5's
 * os_release.go.  Values follow os-release(5)'s shell-like quoting.  No file
 * at all is -ENODATA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int collect_os(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const vl[] = { "id", "id_like", "name", NULL };
	struct rbuf *b = c->rb[0];
	const char *val[NKEYS];
	char *cur, *line, ver[32];
	double version = 0;
	size_t i, k;
	int r;

	r = pf_read(c, b, c->cfg->rootfs, "etc/os-release");
	if (r == -ENOENT) {
		c->err[0] = '\0';
		r = pf_read(c, b, c->cfg->rootfs, "usr/lib/os-release");
		if (r == -ENOENT)
			return -ENODATA;	/* "no os-release file found" */
	}
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
