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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "sysattr.h"
#include "sysdir.h"

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
	size_t ent;		/* index into the directory list */
	uint8_t have;		/* bit per val_files[] */
	uint64_t v[NVAL];
};

/* Go's filepath.Glob("cpu[0-9]*") */
static bool cpu_glob(const char *name)
{
	return strncmp(name, "cpu", 3) == 0 && name[3] >= '0' && name[3] <= '9';
}

/* devices/system/cpu, rewound rather than reopened on sysfs (sysdir.h):
 * a CPU added or removed shows in the listing as with a fresh open */
static struct sd_kdir cpudir = SD_KDIR_INIT;

/*
 * On a real sysfs (cpu_dir listed through a kept sysfs descriptor): true
 * when no CPU can have a cpufreq directory, asked with one stat(2) instead
 * of one per CPU (a cloud VM without a cpufreq driver: every CPU's stat
 * failed, on every scrape).  cpuN/cpufreq is a symlink to the policy's
 * kobject, cpu/cpufreq/policyM (drivers/cpufreq/cpufreq.c
 * add_cpu_dev_symlink); a kernfs directory's link count is 2 plus its
 * subdirectories (fs/kernfs/inode.c kernfs_refresh_inode), so cpu/cpufreq
 * with a link count of 2 has no policy, and a missing cpu/cpufreq means a
 * kernel without cpufreq (CONFIG_CPU_FREQ=n).
 */
static bool no_policies(const char *cpu_dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/cpufreq", cpu_dir) >= (int)sizeof(path))
		return false;
	if (stat(path, &st) < 0)
		return errno == ENOENT;
	return S_ISDIR(st.st_mode) && st.st_nlink == 2;
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
	const struct sd_ent *e;
	struct cpu_freq *f;
	size_t nf = 0, n, eoff;
	int r = 0;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "devices/system/cpu")) < 0)
		return ctx_error(c, r, "%s/devices/system/cpu: path too long", c->cfg->sysfs);
	/* names in rb[2]; the entries, then the per-CPU values, in rb[1];
	 * read_cpu reads into rb[0] */
	if ((r = sd_list_keep(&cpudir, base, c->rb[2], c->rb[1], &n)) < 0)
		return 0;	/* Glob: an unreadable directory matches nothing */
	if (n == 0)
		return 0;
	if (r == 1 && no_policies(base))
		return 0;	/* no CPU has a cpufreq directory */
	r = 0;
	eoff = (n + 1) * sizeof(*e);
	eoff = (eoff + 15) & ~(size_t)15;
	if ((r = rbuf_reserve(c->rb[1], eoff + n * sizeof(*f))) < 0)
		return ctx_error(c, r, "%zu CPUs: %s", n, strerror(-r));
	e = (const struct sd_ent *)(void *)c->rb[1]->data;
	f = (struct cpu_freq *)(void *)(c->rb[1]->data + eoff);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!cpu_glob(e[i].name))
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s/cpufreq", base, e[i].name) >= (int)sizeof(dir))
			return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, e[i].name);
		if (stat(dir, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return ctx_error(c, -errno, "stat %s: %s", dir, strerror(errno));
		}
		f[nf] = (struct cpu_freq){ .ent = i };
		if ((r = read_cpu(c, dir, &f[nf])) < 0)
			return r;
		nf++;
	}
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		bool begun = false;

		for (size_t i = 0; i < nf; i++) {
			const char *cpu;

			if (!(f[i].have & (1u << fam[k].val)))
				continue;
			if (!begun && (r = writer_family(w, fam[k].name, METRIC_GAUGE, fam[k].help, labels)) < 0)
				return r;
			begun = true;
			cpu = e[f[i].ent].name + 3;
			if ((r = writer_sample(w, &cpu, (double)f[i].v[fam[k].val] * 1000.0)) < 0)
				return r;
		}
	}
	return 0;
}

static void cpufreq_teardown(void)
{
	sd_kdir_close(&cpudir);
}

const struct collector collector_cpufreq = {
	.name = "cpufreq", .default_on = true, .collect = collect_cpufreq, .src = SRC_DEVICE,
	.teardown = cpufreq_teardown,
};
