/*
 * powersupplyclass: /sys/class/power_supply, as node_exporter 1.5's
 * powersupplyclass_linux.go over procfs's sysfs.PowerSupplyClass:
 *  - every entry of class/power_supply is a supply; each regular file of
 *    its directory named like an attribute the library knows is read
 *    (SysReadFile: one read of at most 128 bytes, white space trimmed);
 *    a file that is gone, or whose read fails with EOPNOTSUPP, ENODEV or
 *    EINVAL (what a driver answers for a property it cannot give now, e.g.
 *    a network device's speed), is left out; any other failure (EIO,
 *    ENODATA, ...), or a numeric attribute that is not an
 *    integer (strconv.ParseInt(v, 0, 64)), fails the scrape before any
 *    series is sent -- also for a supply --collector.powersupply.ignored-
 *    supplies leaves out afterwards, as 1.5 filters after parsing;
 *  - node_power_supply_<name>{power_supply} gauges per numeric attribute
 *    present: counts as they are (capacity, online, time_to_*_seconds, ...),
 *    micro-units / 1e6 (current_ampere, voltage_volt, energy_watthour,
 *    power_watt, charge_*, ...), tenths of a degree / 10 (temp_*_celsius);
 *    the *_avg attributes are parsed (a bad one fails) but not exported;
 *  - node_power_supply_info 1 per supply, labelled power_supply and one
 *    label per non-empty string attribute it has (capacity_level,
 *    charge_type, health, manufacturer, model_name, scope, serial_number,
 *    status, technology, type, usb_type; invalid UTF-8 runs replaced by
 *    U+FFFD as strings.ToValidUTF8): one family whose series carry
 *    different label sets (writer_family_relabel), names sorted as
 *    client_golang prints them.
 * No class/power_supply, or an entry that is a dangling link: -ENODATA
 * (1.5's ErrNoData); an entry that is not a directory fails the scrape.
 *
 * Source kind: SRC_DEVICE -- reading an attribute asks the driver, which
 * may query an embedded controller, ACPI or a bus (seconds on some laptops).
 *
 * Memory: the supply listing in c->rb[0] and c->rb[2], the parsed supplies
 * (fixed-size records) in c->rb[1]; a supply's directory is read with
 * getdents64 into a stack buffer.  Nothing allocated per scrape once the
 * buffers have grown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "sysdir.h"
#include "utf8.h"

/* How an attribute becomes a metric. */
enum scale { S_NONE, S_ONE, S_MICRO, S_DECI };

struct num_attr {
	const char *file;	/* attribute file */
	const char *metric;	/* node_power_supply_<metric>; NULL: parsed, not exported */
	enum scale scale;
};

/* Sorted by file name (bsearch). */
static const struct num_attr nums[] = {
	{ "authentic", "authentic", S_ONE },
	{ "calibrate", "calibrate", S_ONE },
	{ "capacity", "capacity", S_ONE },
	{ "capacity_alert_max", "capacity_alert_max", S_ONE },
	{ "capacity_alert_min", "capacity_alert_min", S_ONE },
	{ "charge_avg", NULL, S_NONE },
	{ "charge_control_limit", "charge_control_limit", S_MICRO },
	{ "charge_control_limit_max", "charge_control_limit_max", S_MICRO },
	{ "charge_counter", "charge_counter", S_MICRO },
	{ "charge_empty", "charge_empty", S_MICRO },
	{ "charge_empty_design", "charge_empty_design", S_MICRO },
	{ "charge_full", "charge_full", S_MICRO },
	{ "charge_full_design", "charge_full_design", S_MICRO },
	{ "charge_now", "charge_ampere", S_MICRO },
	{ "charge_term_current", "charge_term_current", S_MICRO },
	{ "constant_charge_current", "constant_charge_current", S_MICRO },
	{ "constant_charge_current_max", "constant_charge_current_max", S_MICRO },
	{ "constant_charge_voltage", "constant_charge_voltage", S_MICRO },
	{ "constant_charge_voltage_max", "constant_charge_voltage_max", S_MICRO },
	{ "current_avg", NULL, S_NONE },
	{ "current_boot", "current_boot", S_MICRO },
	{ "current_max", "current_max", S_MICRO },
	{ "current_now", "current_ampere", S_MICRO },
	{ "cycle_count", "cyclecount", S_ONE },
	{ "energy_avg", NULL, S_NONE },
	{ "energy_empty", "energy_empty", S_MICRO },
	{ "energy_empty_design", "energy_empty_design", S_MICRO },
	{ "energy_full", "energy_full", S_MICRO },
	{ "energy_full_design", "energy_full_design", S_MICRO },
	{ "energy_now", "energy_watthour", S_MICRO },
	{ "input_current_limit", "input_current_limit", S_MICRO },
	{ "online", "online", S_ONE },
	{ "power_avg", NULL, S_NONE },
	{ "power_now", "power_watt", S_MICRO },
	{ "precharge_current", "precharge_current", S_MICRO },
	{ "present", "present", S_ONE },
	{ "temp", "temp_celsius", S_DECI },
	{ "temp_alert_max", "temp_alert_max_celsius", S_DECI },
	{ "temp_alert_min", "temp_alert_min_celsius", S_DECI },
	{ "temp_ambient", "temp_ambient_celsius", S_DECI },
	{ "temp_ambient_max", "temp_ambient_max_celsius", S_DECI },
	{ "temp_ambient_min", "temp_ambient_min_celsius", S_DECI },
	{ "temp_max", "temp_max_celsius", S_DECI },
	{ "temp_min", "temp_min_celsius", S_DECI },
	{ "time_to_empty_avg", NULL, S_NONE },
	{ "time_to_empty_now", "time_to_empty_seconds", S_ONE },
	{ "time_to_full_avg", NULL, S_NONE },
	{ "time_to_full_now", "time_to_full_seconds", S_ONE },
	{ "voltage_avg", NULL, S_NONE },
	{ "voltage_boot", "voltage_boot", S_MICRO },
	{ "voltage_max", "voltage_max", S_MICRO },
	{ "voltage_max_design", "voltage_max_design", S_MICRO },
	{ "voltage_min", "voltage_min", S_MICRO },
	{ "voltage_min_design", "voltage_min_design", S_MICRO },
	{ "voltage_now", "voltage_volt", S_MICRO },
	{ "voltage_ocv", "voltage_ocv", S_MICRO },
};
#define NNUM (sizeof(nums) / sizeof(nums[0]))

/* String attributes, sorted: they are also the info labels in print order
 * (with "power_supply" placed between model_name and scope). */
static const char *const strs[] = {
	"capacity_level", "charge_type", "health", "manufacturer", "model_name", "scope",
	"serial_number", "status", "technology", "type", "usb_type",
};
#define NSTR (sizeof(strs) / sizeof(strs[0]))
#define PS_LABEL_AT 5	/* "power_supply" sorts before strs[5] ("scope") */

struct psu {
	uint64_t have;			/* bit per nums[] */
	int64_t v[NNUM];
	char name[NAME_MAX + 1];
	char s[NSTR][SD_ATTR_MAX + 1];
};

_Static_assert(NNUM <= 64, "one bit per numeric attribute");

static struct host_regex ignored_re;

static int num_cmp(const void *key, const void *el)
{
	return strcmp(key, ((const struct num_attr *)el)->file);
}

static int str_cmp(const void *key, const void *el)
{
	return strcmp(key, *(const char *const *)el);
}

/* Errors of a read the library passes over: the attribute is not there. */
static bool attr_absent(int err)
{
	return err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV || err == -EINVAL;
}

/* One attribute file of a supply's directory. */
static int read_attr(struct collector_ctx *c, const char *dir, const char *file, struct psu *p)
{
	const struct num_attr *na = bsearch(file, nums, NNUM, sizeof(nums[0]), num_cmp);
	const char *const *sa = na ? NULL : bsearch(file, strs, NSTR, sizeof(strs[0]), str_cmp);
	char val[SD_ATTR_MAX + 1];
	int r;

	if (!na && !sa)
		return 0;	/* not an attribute the library knows: not even read */
	r = sd_read_attr(dir, file, sa ? p->s[sa - strs] : val);
	if (r < 0) {
		if (sa)
			p->s[sa - strs][0] = '\0';
		if (attr_absent(r))
			return 0;
		return ctx_error(c, r, "failed to read file \"%s/%s\": %s", dir, file, strerror(-r));
	}
	if (na) {
		size_t i = (size_t)(na - nums);

		if (sd_parse_int(val, &p->v[i]) < 0)
			return ctx_error(c, -EINVAL, "%s/%s: not an integer: \"%s\"", dir, file, val);
		p->have |= (uint64_t)1 << i;
	}
	return 0;
}

/* A supply's directory: every regular file in it (os.ReadDir, lstat types). */
static int read_supply(struct collector_ctx *c, const char *dir, struct psu *p)
{
	char dbuf[2048] __attribute__((aligned(8)));
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return -ENODATA;	/* 1.5: errors.Is(err, os.ErrNotExist) */
		return ctx_error(c, r, "could not get power_supply class info: %s: %s", dir,
				 strerror(-r));
	}
	for (;;) {
		ssize_t got = getdents64(fd, dbuf, sizeof(dbuf));

		if (got < 0) {
			r = ctx_error(c, -errno, "%s: %s", dir, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got && r == 0;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(dbuf + off);
			unsigned char t = d->d_type;

			off += d->d_reclen;
			if (t == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				t = S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
			}
			if (t == DT_REG)
				r = read_attr(c, dir, d->d_name, p);
		}
		if (r < 0)
			break;
	}
	close(fd);
	return r;
}

static bool supply_ignored(const char *name)
{
	if (ignored_re.re)
		return host_regex_match(&ignored_re, name);
	/* an empty regexp matches every name */
	return ignored_re.src && !*ignored_re.src;
}

/* Go's strings.ToValidUTF8(s, "\uFFFD") into out (room for 3 * strlen + 1). */
static const char *valid_utf8(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = out;
	bool in_bad = false;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_seq_len_str(p);

		if (n == 0) {
			if (!in_bad) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			in_bad = true;
			p++;
			continue;
		}
		in_bad = false;
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

/* node_power_supply_info for every kept supply, each with its own label set. */
static int write_info(struct metrics_writer *w, const struct psu *ps, size_t n)
{
	static const char help[] = "info of /sys/class/power_supply/<power_supply>.";
	char vbuf[NSTR][3 * SD_ATTR_MAX + 1];
	const char *names[NSTR + 2], *vals[NSTR + 1];
	bool begun = false;
	int r;

	for (size_t i = 0; i < n; i++) {
		const struct psu *p = &ps[i];
		size_t k = 0;

		if (!p->name[0])
			continue;	/* ignored */
		for (size_t j = 0; j <= NSTR; j++) {
			if (j == PS_LABEL_AT) {
				names[k] = "power_supply";
				vals[k++] = p->name;
			}
			if (j < NSTR && p->s[j][0]) {
				names[k] = strs[j];
				vals[k++] = valid_utf8(p->s[j], vbuf[j]);
			}
		}
		names[k] = NULL;
		if (!begun)
			r = writer_family(w, "node_power_supply_info", METRIC_GAUGE, help, names);
		else
			r = writer_family_relabel(w, names);
		if (r < 0 || (r = writer_sample(w, vals, 1)) < 0)
			return r;
		begun = true;
	}
	return 0;
}

static int collect_powersupplyclass(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const pl[] = { "power_supply", NULL };
	char base[PATH_MAX], dir[PATH_MAX], metric[96], help[128];
	const struct sd_ent *ents;
	struct psu *ps;
	size_t n, order[NNUM], nord = 0;
	bool info_done = false;
	int r;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/power_supply")) < 0)
		return ctx_error(c, r, "%s/class/power_supply: path too long", c->cfg->sysfs);
	r = sd_list(base, c->rb[0], c->rb[2], &n);
	if (r == -ENOENT)
		return -ENODATA;
	if (r < 0)
		return ctx_error(c, r, "could not get power_supply class info: %s: %s", base,
				 strerror(-r));
	if (n == 0)
		return 0;
	if ((r = rbuf_reserve(c->rb[1], n * sizeof(struct psu))) < 0)
		return ctx_error(c, r, "powersupplyclass: %s", strerror(-r));
	ps = (struct psu *)(void *)c->rb[1]->data;
	ents = (const struct sd_ent *)(const void *)c->rb[2]->data;
	for (size_t i = 0; i < n; i++) {
		struct psu *p = &ps[i];

		memset(p, 0, sizeof(*p));
		if (snprintf(dir, sizeof(dir), "%s/%s", base, ents[i].name) >= (int)sizeof(dir) ||
		    strlen(ents[i].name) >= sizeof(p->name))
			return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", base, ents[i].name);
		if ((r = read_supply(c, dir, p)) < 0)
			return r;
		if (!supply_ignored(ents[i].name))
			strcpy(p->name, ents[i].name);	/* an empty name marks an ignored one */
	}

	/* families in name order (as client_golang sorts them), info among them */
	for (size_t i = 0; i < NNUM; i++)
		if (nums[i].metric)
			order[nord++] = i;
	for (size_t i = 1; i < nord; i++)	/* insertion sort by metric name: 49 entries */
		for (size_t j = i; j > 0 && strcmp(nums[order[j - 1]].metric,
						   nums[order[j]].metric) > 0; j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t k = 0; k < nord; k++) {
		const struct num_attr *na = &nums[order[k]];
		bool begun = false;

		if (!info_done && strcmp(na->metric, "info") > 0) {
			if ((r = write_info(w, ps, n)) < 0)
				return r;
			info_done = true;
		}
		for (size_t i = 0; i < n; i++) {
			const struct psu *p = &ps[i];
			const char *lv[1] = { p->name };
			double v;

			if (!p->name[0] || !(p->have & ((uint64_t)1 << order[k])))
				continue;
			if (!begun) {
				snprintf(metric, sizeof(metric), "node_power_supply_%s", na->metric);
				snprintf(help, sizeof(help),
					 "%s value of /sys/class/power_supply/<power_supply>.", na->metric);
				if ((r = writer_family(w, metric, METRIC_GAUGE, help, pl)) < 0)
					return r;
				begun = true;
			}
			v = (double)p->v[order[k]];
			if (na->scale == S_MICRO)
				v /= 1e6;
			else if (na->scale == S_DECI)
				v /= 10.0;
			if ((r = writer_sample(w, lv, v)) < 0)
				return r;
		}
	}
	if (!info_done && (r = write_info(w, ps, n)) < 0)
		return r;
	return 0;
}

static const struct flag powersupply_flags[] = {
	{ .name = "collector.powersupply.ignored-supplies", .type = FLAG_STRING,
	  .dst = &ignored_re.src, .def = "^$",
	  .help = "Regexp of power supplies to ignore for powersupplyclass collector.",
	  .check = host_regex_flag_check },
};

static void powersupply_teardown(void)
{
	host_regex_free(&ignored_re);
}

const struct collector collector_powersupplyclass = {
	.name = "powersupplyclass", .default_on = true, .collect = collect_powersupplyclass,
	.src = SRC_DEVICE, COLLECTOR_FLAGS(powersupply_flags), .teardown = powersupply_teardown,
};
