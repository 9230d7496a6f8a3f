/*
 * cpufreq: CPU frequencies from /sys/devices/system/cpu/cpu[0-9]*\/cpufreq
 * (kHz, exported in hertz: x 1000), as node_exporter 1.5's
 * cpufreq_linux.go over procfs's SystemCpufreq: per CPU with a cpufreq
 * directory, cpuinfo_{cur,max,min}_freq, cpuinfo_transition_latency and
 * scaling_{cur,max,min}_freq (a missing or unreadable-for-permission one is
 * skipped, anything else unreadable or not an unsigned decimal fails the
 * scrape), then scaling_available_governors, scaling_driver,
 * scaling_governor, related_cpus and scaling_setspeed, which must all be
 * readable.  Everything is read before anything is written, as there: a
 * failure sends no cpufreq series.  No CPU with cpufreq (a VM): success,
 * no series.  The offline list is not consulted (1.5 does not).
 *
 * Source kind: SRC_DEVICE -- cpuinfo_cur_freq asks the hardware (an MSR
 * read on the CPU by IPI, a firmware mailbox with cppc_cpufreq).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "sysattr.h"

enum { CUR, MAX, MIN, LATENCY, SCUR, SMAX, SMIN, NVAL };

static const char *const val_files[NVAL] = {
	"cpuinfo_cur_freq", "cpuinfo_max_freq", "cpuinfo_min_freq", "cpuinfo_transition_latency",
	"scaling_cur_freq", "scaling_max_freq", "scaling_min_freq",
};
static const char *const str_files[] = {
	"scaling_available_governors", "scaling_driver", "scaling_governor", "related_cpus",
	"scaling_setspeed",
};

struct cpu_freq {
	int ent;		/* index into the directory list; -1: no cpufreq */
	uint8_t have;		/* bit per val_files[] */
	uint64_t v[NVAL];
};

/* Go's filepath.Glob("cpu[0-9]*") */
static int cpu_glob(const struct dirent *d)
{
	return strncmp(d->d_name, "cpu", 3) == 0 && d->d_name[3] >= '0' && d->d_name[3] <= '9';
}

static int read_cpu(struct collector_ctx *c, const char *dir, struct cpu_freq *f)
{
	char path[PATH_MAX];
	struct rbuf *b = c->rb[0];
	size_t dl = strlen(dir);
	char *s;
	int r;

	for (int i = 0; i < NVAL; i++) {
		if (dl + 1 + strlen(val_files[i]) >= sizeof(path))
			return ctx_error(c, -ENAMETOOLONG, "%s: path too long", dir);
		memcpy(path, dir, dl);
		path[dl] = '/';
		strcpy(path + dl + 1, val_files[i]);
		r = sa_read_u64(b, path, &f->v[i]);
		if (r == -ENOENT || r == -EACCES || r == -EPERM)
			continue;
		if (r == -EINVAL)
			return ctx_error(c, r, "%s: not an unsigned integer: \"%.40s\"", path,
					 sa_trim(b->data));
		if (r < 0)
			return ctx_error(c, r, "read %s: %s", path, strerror(-r));
		f->have |= (uint8_t)(1u << i);
	}
	for (size_t i = 0; i < sizeof(str_files) / sizeof(str_files[0]); i++) {
		if (dl + 1 + strlen(str_files[i]) >= sizeof(path))
			return ctx_error(c, -ENAMETOOLONG, "%s: path too long", dir);
		memcpy(path, dir, dl);
		path[dl] = '/';
		strcpy(path + dl + 1, str_files[i]);
		if ((r = sa_read_str(b, path, &s)) < 0)
			return ctx_error(c, r, "open %s: %s", path, strerror(-r));
	}
	return 0;
}

static int collect_cpufreq(struct collector_ctx *c, struct metrics_writer *w)
{
	static const struct {
		int val;
		const char *name, *help;
	} fam[] = {
		{ CUR, "node_cpu_frequency_hertz", "Current cpu thread frequency in hertz." },
		{ MAX, "node_cpu_frequency_max_hertz", "Maximum cpu thread frequency in hertz." },
		{ MIN, "node_cpu_frequency_min_hertz", "Minimum cpu thread frequency in hertz." },
		{ SCUR, "node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz." },
		{ SMAX, "node_cpu_scaling_frequency_max_hertz", "Maximum scaled CPU thread frequency in hertz." },
		{ SMIN, "node_cpu_scaling_frequency_min_hertz", "Minimum scaled CPU thread frequency in hertz." },
	};
	static const char *const labels[] = { "cpu", NULL };
	char base[PATH_MAX], dir[PATH_MAX];
	struct dirent **ents;
	struct cpu_freq *f;
	size_t nf = 0;
	int n, r = 0;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "devices/system/cpu")) < 0)
		return ctx_error(c, r, "%s/devices/system/cpu: path too long", c->cfg->sysfs);
	n = sa_list(base, cpu_glob, &ents);
	if (n < 0)	/* Glob: an unreadable directory matches nothing */
		return 0;
	if (n == 0)
		goto out;
	if ((r = rbuf_reserve(c->rb[1], (size_t)n * sizeof(*f))) < 0) {
		r = ctx_error(c, r, "%d CPUs: %s", n, strerror(-r));
		goto out;
	}
	f = (struct cpu_freq *)(void *)c->rb[1]->data;
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (snprintf(dir, sizeof(dir), "%s/%s/cpufreq", base, ents[i]->d_name) >= (int)sizeof(dir)) {
			r = ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, ents[i]->d_name);
			goto out;
		}
		if (stat(dir, &st) < 0) {
			if (errno == ENOENT)
				continue;
			r = ctx_error(c, -errno, "stat %s: %s", dir, strerror(errno));
			goto out;
		}
		f[nf] = (struct cpu_freq){ .ent = i };
		if ((r = read_cpu(c, dir, &f[nf])) < 0)
			goto out;
		nf++;
	}
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		bool begun = false;

		for (size_t i = 0; i < nf; i++) {
			const char *cpu;

			if (!(f[i].have & (1u << fam[k].val)))
				continue;
			if (!begun && (r = writer_family(w, fam[k].name, METRIC_GAUGE, fam[k].help, labels)) < 0)
				goto out;
			begun = true;
			cpu = ents[f[i].ent]->d_name + 3;
			if ((r = writer_sample(w, &cpu, (double)f[i].v[fam[k].val] * 1000.0)) < 0)
				goto out;
		}
	}
out:
	sa_free_list(ents, n);
	return r;
}

const struct collector collector_cpufreq = {
	.name = "cpufreq", .default_on = true, .collect = collect_cpufreq, .src = SRC_DEVICE,
};
