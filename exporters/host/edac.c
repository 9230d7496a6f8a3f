/*
 * edac: memory controller error counters from
 * /sys/devices/system/edac/mc/mc[0-9]*, as node_exporter 1.5's
 * edac_linux.go: per controller node_edac_correctable_errors_total and
 * node_edac_uncorrectable_errors_total{controller} (ce_count, ue_count),
 * ce_noinfo_count and ue_noinfo_count as node_edac_csrow_*_errors_total
 * {controller,csrow="unknown"}, then per csrow[0-9]* its ce_count and
 * ue_count.  Every file must hold an unsigned decimal; the first failure
 * ends the scrape with an error, keeping what was read before it (1.5
 * streams).  The controller (csrow) label is the run of digits after "mc"
 * ("csrow").  No EDAC: success, no series.
 *
 * Source kind: SRC_SYSFS -- the counts are kept by the EDAC core in kernel
 * memory.
 *
 * Memory: the counts are records in c->rb[1] (written per family after).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "sysattr.h"

enum { CE, UE, CSCE, CSUE, NKIND };

struct count {
	char ctrl[NAME_MAX + 1], csrow[NAME_MAX + 1];
	uint8_t kind;
	uint64_t v;
};

struct acc {
	struct collector_ctx *c;
	size_t n;
};

static int glob_mc(const struct dirent *d)
{
	return d->d_name[0] == 'm' && d->d_name[1] == 'c' && d->d_name[2] >= '0' && d->d_name[2] <= '9';
}

static int glob_csrow(const struct dirent *d)
{
	return strncmp(d->d_name, "csrow", 5) == 0 && d->d_name[5] >= '0' && d->d_name[5] <= '9';
}

static void digits(const char *s, char *out)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		out[i] = s[i], i++;
	out[i] = '\0';
}

/* Read dir/file, record it; 0 or an error described as 1.5 words it. */
static int add(struct acc *a, const char *dir, const char *file, int kind, const char *ctrl,
	       const char *csrow)
{
	struct collector_ctx *c = a->c;
	char path[PATH_MAX];
	struct count *q;
	uint64_t v;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", dir, file);
	r = sa_read_u64(c->rb[0], path, &v);
	if (r < 0) {
		const char *why = r == -EINVAL ? "not an unsigned integer" : strerror(-r);

		if (csrow && strcmp(csrow, "unknown"))
			return ctx_error(c, r, "couldn't get %s for controller/csrow %s/%s: %s: %s", file, ctrl,
					 csrow, path, why);
		return ctx_error(c, r, "couldn't get %s for controller %s: %s: %s", file, ctrl, path, why);
	}
	if ((r = rbuf_reserve(c->rb[1], (a->n + 1) * sizeof(*q))) < 0)
		return ctx_error(c, r, "edac: %s", strerror(-r));
	q = (struct count *)(void *)c->rb[1]->data + a->n++;
	snprintf(q->ctrl, sizeof(q->ctrl), "%s", ctrl);
	snprintf(q->csrow, sizeof(q->csrow), "%s", csrow ? csrow : "");
	q->kind = (uint8_t)kind;
	q->v = v;
	return 0;
}

static int walk(struct acc *a, const char *base)
{
	struct collector_ctx *c = a->c;
	struct dirent **mcs;
	int n = sa_list(base, glob_mc, &mcs), r = 0;

	for (int i = 0; i < n && r == 0; i++) {
		char dir[PATH_MAX], ctrl[NAME_MAX + 1], csdir[PATH_MAX];
		struct dirent **rows;
		const char *p;
		bool all_digits;
		int m;

		if (snprintf(dir, sizeof(dir), "%s/%s", base, mcs[i]->d_name) >= (int)sizeof(dir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s: path too long", base);
			break;
		}
		digits(mcs[i]->d_name + 2, ctrl);
		if ((r = add(a, dir, "ce_count", CE, ctrl, NULL)) < 0 ||
		    (r = add(a, dir, "ce_noinfo_count", CSCE, ctrl, "unknown")) < 0 ||
		    (r = add(a, dir, "ue_count", UE, ctrl, NULL)) < 0 ||
		    (r = add(a, dir, "ue_noinfo_count", CSUE, ctrl, "unknown")) < 0)
			break;
		for (p = mcs[i]->d_name + 2; *p >= '0' && *p <= '9'; p++)
			;
		all_digits = !*p;
		m = sa_list(dir, glob_csrow, &rows);
		for (int k = 0; k < m && r == 0; k++) {
			char row[NAME_MAX + 1];

			if (!all_digits) {	/* 1.5's csrow regexp wants mc[0-9]*\/csrow */
				r = ctx_error(c, -EINVAL, "csrow string didn't match regexp: %s/%s", dir,
					      rows[k]->d_name);
				break;
			}
			if (snprintf(csdir, sizeof(csdir), "%s/%s", dir, rows[k]->d_name) >= (int)sizeof(csdir)) {
				r = ctx_error(c, -ENAMETOOLONG, "%s: path too long", dir);
				break;
			}
			digits(rows[k]->d_name + 5, row);
			if ((r = add(a, csdir, "ce_count", CSCE, ctrl, row)) < 0 ||
			    (r = add(a, csdir, "ue_count", CSUE, ctrl, row)) < 0)
				break;
		}
		if (m > 0)
			sa_free_list(rows, m);
	}
	if (n > 0)
		sa_free_list(mcs, n);
	return r;
}

static int collect_edac(struct collector_ctx *c, struct metrics_writer *w)
{
	static const struct {
		const char *name, *help;
	} fam[NKIND] = {
		[CE] = { "node_edac_correctable_errors_total", "Total correctable memory errors." },
		[UE] = { "node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors." },
		[CSCE] = { "node_edac_csrow_correctable_errors_total", "Total correctable memory errors for this csrow." },
		[CSUE] = { "node_edac_csrow_uncorrectable_errors_total", "Total uncorrectable memory errors for this csrow." },
	};
	static const char *const l1[] = { "controller", NULL }, *const l2[] = { "controller", "csrow", NULL };
	char base[PATH_MAX];
	struct acc a = { .c = c };
	const struct count *q;
	int r, e;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "devices/system/edac/mc")) < 0)
		return ctx_error(c, r, "%s/devices/system/edac/mc: path too long", c->cfg->sysfs);
	r = walk(&a, base);
	q = (const struct count *)(const void *)c->rb[1]->data;
	for (int k = 0; k < NKIND; k++) {
		bool begun = false;

		for (size_t i = 0; i < a.n; i++) {
			const char *lv[2] = { q[i].ctrl, q[i].csrow };

			if (q[i].kind != k)
				continue;
			if (!begun && (e = writer_family(w, fam[k].name, METRIC_COUNTER, fam[k].help,
							 k == CE || k == UE ? l1 : l2)) < 0)
				return e;
			begun = true;
			/* a duplicate series (mc01 and mc1) is refused: dropped, as client_golang does */
			writer_sample_u64(w, lv, q[i].v);
		}
	}
	return r;
}

const struct collector collector_edac = {
	.name = "edac", .default_on = true, .collect = collect_edac, .src = SRC_SYSFS,
};
