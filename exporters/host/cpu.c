/*
 * cpu: node_cpu_seconds_total{cpu,mode} and node_cpu_guest_seconds_total from
 * the "cpuN" lines of /proc/stat (proc(5): user nice system idle iowait irq
 * softirq steal guest guest_nice, in USER_HZ ticks); node_cpu_info and the
 * flag/bug info families from /proc/cpuinfo with --collector.cpu.info.
 * From sysfs: node_cpu_core_throttles_total{core,package} and
 * node_cpu_package_throttles_total{package} (devices/system/cpu/cpu<N>/
 * thermal_throttle, read once per core / package as topology/ says) and
 * node_cpu_isolated{cpu} (devices/system/cpu/isolated, a cpulist).
 * Names, help and label sets as node_exporter 1.5's cpu_linux.go.  A line
 * with fewer fields (old kernels: no steal/guest) reports 0 for the rest, as
 * procfs's Sscanf-based parser does.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "collector.h"
#include "sysdir.h"
#include "util.h"

static const char *const cpu_mode_labels[] = { "cpu", "mode", NULL };
static const char *const modes[] = { "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal" };

/* Calls fn for each per-CPU line of /proc/stat. */
static int each_cpu(const char *data, double hz, struct metrics_writer *w, bool guest)
{
	const char *p = data;
	int r;

	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *q;
		char cpu[24];
		uint64_t v[10] = { 0 };
		size_t n, i;

		if (!eol)
			eol = p + strlen(p);
		if (p[0] == 'c' && p[1] == 'p' && p[2] == 'u' && p[3] >= '0' && p[3] <= '9') {
			q = p + 3;
			for (i = 0; q < eol && *q >= '0' && *q <= '9' && i < sizeof(cpu) - 1; q++)
				cpu[i++] = *q;
			cpu[i] = '\0';
			n = scan_u64s(q, v, 10);
			if (n == 0)
				goto next;
			if (!guest) {
				for (i = 0; i < 8; i++) {
					const char *lv[] = { cpu, modes[i] };

					r = writer_sample(w, lv, (double)v[i] / hz);
					if (r < 0)
						return r;
				}
			} else {
				const char *lu[] = { cpu, "user" }, *ln[] = { cpu, "nice" };

				/* node_exporter's order: user, then nice. */
				r = writer_sample(w, lu, (double)v[8] / hz);
				if (r >= 0)
					r = writer_sample(w, ln, (double)v[9] / hz);
				if (r < 0)
					return r;
			}
		}
next:
		p = *eol ? eol + 1 : eol;
	}
	return 0;
}

/* /proc/cpuinfo "key\t: value" lines, one block per processor. */
struct cpuinfo {
	char processor[16], vendor[64], family[16], model[16], model_name[128], stepping[16],
		microcode[32], cachesize[32], package[16], core[16];
};

static void cpuinfo_field(struct cpuinfo *ci, const char *key, const char *val)
{
	static const struct {
		const char *k;
		size_t off, len;
	} map[] = {
#define F(k, f) { k, offsetof(struct cpuinfo, f), sizeof(((struct cpuinfo *)0)->f) }
		F("processor", processor), F("vendor_id", vendor), F("cpu family", family),
		F("model", model), F("model name", model_name), F("stepping", stepping),
		F("microcode", microcode), F("cache size", cachesize), F("physical id", package),
		F("core id", core),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i].k) == 0)
			snprintf((char *)ci + map[i].off, map[i].len, "%s", val);
}

static int cpu_info(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const labels[] = { "cachesize", "core", "cpu", "family", "microcode",
					      "model", "model_name", "package", "stepping", "vendor",
					      NULL };
	struct rbuf *b = c->rb[1];
	char *cur, *line, *flags = NULL, *bugs = NULL;
	struct cpuinfo ci;
	bool have = false;
	int r;

	r = pf_read(c, b, c->cfg->procfs, "cpuinfo");
	if (r < 0)
		return r;
	r = writer_family(w, "node_cpu_info", METRIC_GAUGE, "CPU information from /proc/cpuinfo.",
			  labels);
	if (r < 0)
		return r;
	memset(&ci, 0, sizeof(ci));
	cur = b->data;
	for (;;) {
		char *colon, *key, *val, *e;

		line = pf_next_line(&cur);
		if (!line || !*line) {
			if (have) {
				const char *lv[] = { ci.cachesize, ci.core, ci.processor, ci.family,
						     ci.microcode, ci.model, ci.model_name, ci.package,
						     ci.stepping, ci.vendor };

				(void)writer_sample(w, lv, 1);
			}
			memset(&ci, 0, sizeof(ci));
			have = false;
			if (!line)
				break;
			continue;
		}
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		key = line;
		e = colon;
		while (e > key && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		val = colon + 1;
		while (*val == ' ')
			val++;
		if (strcmp(key, "processor") == 0)
			have = true;
		if (strcmp(key, "flags") == 0 && !flags)
			flags = val;	/* the first core's, as node_exporter */
		else if (strcmp(key, "bugs") == 0 && !bugs)
			bugs = val;
		cpuinfo_field(&ci, key, val);
	}
	/* node_cpu_flag_info / node_cpu_bug_info only with an include regex. */
	for (int k = 0; k < 2; k++) {
		const struct host_regex *re = k ? &c->cfg->cpu_bugs_include : &c->cfg->cpu_flags_include;
		static const char *const fl[] = { "flag", NULL }, *const bl[] = { "bug", NULL };
		char *list = k ? bugs : flags, *tok, *save = NULL;

		if (!re->re || !list)
			continue;
		r = writer_family(w, k ? "node_cpu_bug_info" : "node_cpu_flag_info", METRIC_GAUGE,
				  k ? "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core."
				    : "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
				  k ? bl : fl);
		if (r < 0)
			return r;
		for (tok = strtok_r(list, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			const char *lv[] = { tok };

			if (host_regex_match(re, tok))
				(void)writer_sample(w, lv, 1);
		}
	}
	return 0;
}

/* readUintFromFile: the whole file, trimmed, as an unsigned number. */
static int read_uint(struct collector_ctx *c, const char *rel, uint64_t *ret)
{
	char path[PATH_MAX];
	struct rbuf *b = c->rb[2];
	char *s, *e;

	if (pf_path(path, sizeof(path), c->cfg->sysfs, rel) < 0 || pf_read_quiet(b, path) < 0)
		return -ENOENT;
	for (s = b->data; *s == ' ' || *s == '\t' || *s == '\n'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'); e--)
		;
	*e = '\0';
	return pf_u64(s, ret);
}

/* "cpu" and digits only (node_exporter globs cpu[0-9]* and skips the rest) */
static bool cpu_dir_name(const char *p)
{
	if (strncmp(p, "cpu", 3) != 0 || !p[3])
		return false;
	for (p += 3; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

struct throttle {
	uint64_t pkg, core, count;
	bool is_pkg;
};

/* devices/system/cpu, rewound rather than reopened on sysfs (sysdir.h):
 * a CPU added or removed shows in the listing as with a fresh open */
static struct sd_kdir cpudir = SD_KDIR_INIT;

static int thermal_throttle(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const pl[] = { "package", NULL }, *const cl[] = { "core", "package", NULL };
	char dir[PATH_MAX];
	const struct sd_ent *e;
	struct throttle *t;
	/* /proc/stat (rb[0]) is done with: names there; the entries, then
	 * the throttle array, in rb[1]; read_uint reads into rb[2] */
	struct rbuf *arr = c->rb[1];
	size_t nt = 0, ne, n, eoff;
	int r = 0;
	bool any_pkg = false, any_core = false;

	if (pf_path(dir, sizeof(dir), c->cfg->sysfs, "devices/system/cpu") < 0)
		return 0;
	if (sd_list_keep(&cpudir, dir, c->rb[0], arr, &ne) < 0 || ne == 0)
		return 0;
	eoff = (ne + 1) * sizeof(struct sd_ent);
	eoff = (eoff + 15) & ~(size_t)15;
	if ((r = rbuf_reserve(arr, eoff + ne * 2 * sizeof(*t))) < 0)
		return ctx_error(c, r, "out of memory");
	e = (const struct sd_ent *)(void *)arr->data;
	n = ne;
	t = (struct throttle *)(void *)(arr->data + eoff);
	for (size_t i = 0; i < n; i++) {
		char rel[NAME_MAX + 96];
		uint64_t pkg, core, v;
		size_t k;

		if (!cpu_dir_name(e[i].name))
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s/topology/physical_package_id", e[i].name);
		if (read_uint(c, rel, &pkg) < 0)
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s/topology/core_id", e[i].name);
		if (read_uint(c, rel, &core) < 0)
			continue;
		for (k = 0; k < nt; k++)
			if (!t[k].is_pkg && t[k].pkg == pkg && t[k].core == core)
				break;
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s/thermal_throttle/core_throttle_count", e[i].name);
		if (k == nt && read_uint(c, rel, &v) == 0)
			t[nt++] = (struct throttle){ pkg, core, v, false };
		for (k = 0; k < nt; k++)
			if (t[k].is_pkg && t[k].pkg == pkg)
				break;
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s/thermal_throttle/package_throttle_count", e[i].name);
		if (k == nt && read_uint(c, rel, &v) == 0)
			t[nt++] = (struct throttle){ pkg, 0, v, true };
	}
	for (size_t k = 0; k < nt; k++) {
		any_pkg |= t[k].is_pkg;
		any_core |= !t[k].is_pkg;
	}
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		bool pkgs = pass == 0;

		if (pkgs ? !any_pkg : !any_core)
			continue;
		r = pkgs ? writer_family(w, "node_cpu_package_throttles_total", METRIC_COUNTER,
					 "Number of times this CPU package has been throttled.", pl)
			 : writer_family(w, "node_cpu_core_throttles_total", METRIC_COUNTER,
					 "Number of times this CPU core has been throttled.", cl);
		for (size_t k = 0; k < nt && r >= 0; k++) {
			char ps[24], cs[24];
			const char *lv[2];

			if (t[k].is_pkg != pkgs)
				continue;
			snprintf(ps, sizeof(ps), "%llu", (unsigned long long)t[k].pkg);
			snprintf(cs, sizeof(cs), "%llu", (unsigned long long)t[k].core);
			lv[0] = pkgs ? ps : cs;
			lv[1] = ps;
			(void)writer_sample_u64(w, lv, t[k].count);
		}
	}
	return r;
}

/* devices/system/cpu/isolated: a cpulist ("1-3,8"); empty or absent: nothing. */
static int isolated(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const l[] = { "cpu", NULL };
	char path[PATH_MAX], *p;
	struct rbuf *b = c->rb[2];
	bool fam = false;
	int r;

	if (pf_path(path, sizeof(path), c->cfg->sysfs, "devices/system/cpu/isolated") < 0 ||
	    pf_read_quiet(b, path) < 0)
		return 0;
	for (p = b->data; *p;) {
		char *end;
		unsigned long lo, hi;

		while (*p == ' ' || *p == '\n' || *p == ',')
			p++;
		if (!*p)
			break;
		lo = strtoul(p, &end, 10);
		if (end == p)
			return ctx_error(c, -EINVAL, "invalid cpulist in %s", path);
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtoul(p + 1, &end, 10);
			if (end == p + 1 || hi < lo || hi - lo > 65536)
				return ctx_error(c, -EINVAL, "invalid cpulist in %s", path);
			p = end;
		}
		if (!fam) {
			r = writer_family(w, "node_cpu_isolated", METRIC_GAUGE,
					  "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.", l);
			if (r < 0)
				return r;
			fam = true;
		}
		for (unsigned long cpu = lo; cpu <= hi; cpu++) {
			char cs[24];
			const char *lv[] = { cs };

			snprintf(cs, sizeof(cs), "%lu", cpu);
			(void)writer_sample(w, lv, 1);
		}
	}
	return 0;
}

int collect_cpu(struct collector_ctx *c, struct metrics_writer *w)
{
	struct rbuf *b = c->rb[0];
	double hz;
	int r;

	if (c->cfg->cpu_info) {
		r = cpu_info(c, w);
		if (r < 0)
			return r;
	}
	r = pf_read(c, b, c->cfg->procfs, "stat");
	if (r < 0)
		return r;
	hz = (double)sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	r = writer_family(w, "node_cpu_seconds_total", METRIC_COUNTER,
			  "Seconds the CPUs spent in each mode.", cpu_mode_labels);
	if (r >= 0)
		r = each_cpu(b->data, hz, w, false);
	if (r >= 0 && c->cfg->cpu_guest) {
		r = writer_family(w, "node_cpu_guest_seconds_total", METRIC_COUNTER,
				  "Seconds the CPUs spent in guests (VMs) for each mode.",
				  cpu_mode_labels);
		if (r >= 0)
			r = each_cpu(b->data, hz, w, true);
	}
	if (r >= 0)
		r = thermal_throttle(c, w);
	if (r >= 0)
		r = isolated(c, w);
	return r < 0 ? ctx_error(c, r, "writing cpu metrics failed") : 0;
}

static const struct flag cpu_flags[] = {
	{ .name = "collector.cpu.guest", .type = FLAG_BOOL, .dst = &host_cfg.cpu_guest,
	  .def = "true", .help = "Enables metric node_cpu_guest_seconds_total." },
	{ .name = "collector.cpu.info", .type = FLAG_BOOL, .dst = &host_cfg.cpu_info,
	  .def = "false", .help = "Enables metric node_cpu_info." },
	{ .name = "collector.cpu.info.flags-include", .type = FLAG_STRING,
	  .dst = &host_cfg.cpu_flags_include.src,
	  .help = "Filter the `flags` field in cpuInfo with a value that must be a regular "
		  "expression.", .check = host_regex_flag_check },
	{ .name = "collector.cpu.info.bugs-include", .type = FLAG_STRING,
	  .dst = &host_cfg.cpu_bugs_include.src,
	  .help = "Filter the `bugs` field in cpuInfo with a value that must be a regular "
		  "expression.", .check = host_regex_flag_check },
};

static void cpu_teardown(void)
{
	sd_kdir_close(&cpudir);
	host_regex_free(&host_cfg.cpu_flags_include);
	host_regex_free(&host_cfg.cpu_bugs_include);
}

const struct collector collector_cpu = {
	.name = "cpu", .default_on = true, .collect = collect_cpu, .src = SRC_SYSFS,
	COLLECTOR_FLAGS(cpu_flags), .teardown = cpu_teardown,
};
