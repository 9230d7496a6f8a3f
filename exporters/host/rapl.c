/*
 * rapl: node_rapl_<zone>_joules_total{index,path} (counters, energy_uj /
 * 1e6) per powercap zone, as node_exporter 1.5's rapl_linux.go over
 * procfs 0.8's GetRaplZones: every entry of /sys/class/powercap with a
 * readable "name" file is a zone; "<name>-<int>" gives the name and index,
 * another name an index counting its earlier uses; max_energy_range_uj must
 * read as an unsigned decimal (missing or forbidden: no data; garbage: an
 * error), then each zone's energy_uj (forbidden: no data, another failure an
 * error, after the zones before it were sent).  The zone name in the metric
 * name is sanitized as node_exporter's SanitizeMetricName (runs of
 * characters outside [0-9A-Za-z_], with the underscores around them, become
 * one "_").  --collector.rapl.enable-zone-label: one family
 * node_rapl_joules_total{index,path,rapl_zone} instead.  No class/powercap:
 * no data.
 *
 * Source kind: SRC_DEVICE -- energy_uj is an MSR read on the package's CPU
 * by IPI for intel-rapl, and other powercap drivers (SCMI, DTPM) ask
 * firmware.
 *
 * Memory: the zones are records in c->rb[1], file reads in c->rb[0].
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "sysattr.h"

static bool zone_label;

struct zone {
	char name[256];		/* after the index was split off */
	char metric[300];	/* node_rapl_<sanitized>_joules_total */
	char path[PATH_MAX];
	long long index;
	uint64_t uj;
	bool sent;
};

/* SanitizeMetricName: _*[^0-9A-Za-z_]+_* -> "_" */
static void sanitize(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; s[i] && o + 2 < outsz;) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  ch == '_';

		if (ok) {
			out[o++] = (char)ch;
			i++;
			continue;
		}
		while (o > 0 && out[o - 1] == '_')
			o--;	/* the underscores before the run */
		while (s[i] && !(((unsigned char)s[i] >= '0' && (unsigned char)s[i] <= '9') ||
				 ((unsigned char)s[i] >= 'A' && (unsigned char)s[i] <= 'Z') ||
				 ((unsigned char)s[i] >= 'a' && (unsigned char)s[i] <= 'z') || s[i] == '_'))
			i++;
		while (s[i] == '_')
			i++;
		out[o++] = '_';
	}
	out[o] = '\0';
}

/* strconv.Atoi */
static bool atoi_go(const char *s, long long *v)
{
	int64_t x;

	return sa_i64(s, &x) == 0 && (*v = x, true);
}

static int collect_rapl(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const l2[] = { "index", "path", NULL }, *const l3[] = { "index", "path", "rapl_zone", NULL };
	char base[PATH_MAX], path[PATH_MAX + 32];
	struct dirent **ents;
	struct zone *z;
	size_t nz = 0;
	int n, r = 0;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/powercap")) < 0)
		return ctx_error(c, r, "%s/class/powercap: path too long", c->cfg->sysfs);
	n = sa_list(base, NULL, &ents);
	if (n < 0)
		return -ENODATA;	/* "Platform doesn't have powercap files present" */
	if ((r = rbuf_reserve(c->rb[1], ((size_t)n + 1) * sizeof(*z))) < 0) {
		sa_free_list(ents, n);
		return ctx_error(c, r, "rapl: %d zones: %s", n, strerror(-r));
	}
	z = (struct zone *)(void *)c->rb[1]->data;
	for (int i = 0; i < n; i++) {
		struct zone *q = &z[nz];
		char *name, *dash;
		long long idx;
		uint64_t max;

		if (snprintf(q->path, sizeof(q->path), "%s/%s", base, ents[i]->d_name) >= (int)sizeof(q->path))
			continue;
		snprintf(path, sizeof(path), "%s/name", q->path);
		if (sa_read_str(c->rb[0], path, &name) < 0)
			continue;
		snprintf(q->name, sizeof(q->name), "%s", name);
		/* getIndexAndName: "<name>-<int>", else the count of earlier uses */
		dash = strchr(q->name, '-');
		if (dash && !strchr(dash + 1, '-') && atoi_go(dash + 1, &idx)) {
			*dash = '\0';
			q->index = idx;
		} else {
			q->index = 0;
			for (size_t k = 0; k < nz; k++)	/* countNameUsages[name] */
				if (!strcmp(z[k].name, q->name))
					q->index = z[k].index + 1;
		}
		snprintf(path, sizeof(path), "%s/max_energy_range_uj", q->path);
		r = sa_read_u64(c->rb[0], path, &max);
		if (r == -ENOENT || r == -EACCES || r == -EPERM) {
			r = -ENODATA;
			goto out;
		}
		if (r < 0) {
			r = ctx_error(c, r, "failed to retrieve rapl stats: %s: %s", path,
				      r == -EINVAL ? "not an unsigned integer" : strerror(-r));
			goto out;
		}
		nz++;
	}
	/* the energy counters, up to the first failure */
	{
		size_t ok = 0;

		r = 0;
		for (; ok < nz; ok++) {
			snprintf(path, sizeof(path), "%s/energy_uj", z[ok].path);
			r = sa_read_u64(c->rb[0], path, &z[ok].uj);
			if (r == -EACCES || r == -EPERM) {
				r = -ENODATA;
				break;
			}
			if (r < 0) {
				r = ctx_error(c, r, "%s: %s", path,
					      r == -EINVAL ? "not an unsigned integer" : strerror(-r));
				break;
			}
		}
		for (size_t k = 0; k < ok; k++) {
			char sn[256];

			sanitize(z[k].name, sn, sizeof(sn));
			snprintf(z[k].metric, sizeof(z[k].metric), "node_rapl_%s_joules_total", sn);
			z[k].sent = false;
		}
		/* families whole, in order of first appearance */
		for (size_t k = 0; k < ok; k++) {
			char help[300], idx[24];
			int e;

			if (z[k].sent)
				continue;
			if (zone_label) {
				if (k == 0 && (e = writer_family(w, "node_rapl_joules_total", METRIC_COUNTER,
								 "Current RAPL value in joules", l3)) < 0) {
					r = e;
					break;
				}
				snprintf(idx, sizeof(idx), "%lld", z[k].index);
				writer_sample(w, (const char *const[]){ idx, z[k].path, z[k].name },
					      (double)z[k].uj / 1000000.0);
				z[k].sent = true;
				continue;
			}
			snprintf(help, sizeof(help), "Current RAPL %s value in joules", z[k].name);
			if ((e = writer_family(w, z[k].metric, METRIC_COUNTER, help, l2)) < 0) {
				r = e;
				break;
			}
			for (size_t j = k; j < ok; j++) {
				if (z[j].sent || strcmp(z[j].metric, z[k].metric))
					continue;
				z[j].sent = true;
				snprintf(idx, sizeof(idx), "%lld", z[j].index);
				if (strcmp(z[j].name, z[k].name)) {
					continue;	/* another HELP: client_golang drops it */
				}
				/* a duplicate series is refused (-EINVAL): dropped, as there */
				writer_sample(w, (const char *const[]){ idx, z[j].path }, (double)z[j].uj / 1000000.0);
			}
		}
	}
out:
	sa_free_list(ents, n);
	return r;
}

static const struct flag rapl_flags[] = {
	{ .name = "collector.rapl.enable-zone-label", .type = FLAG_BOOL, .dst = &zone_label,
	  .def = "false", .help = "Enables service unit metric unit_start_time_seconds" },
};

const struct collector collector_rapl = {
	.name = "rapl", .default_on = true, .collect = collect_rapl, .src = SRC_DEVICE,
	COLLECTOR_FLAGS(rapl_flags),
};
