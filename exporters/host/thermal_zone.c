/*
 * thermal_zone: /sys/class/thermal, as node_exporter 1.5's
 * thermal_zone_linux.go over procfs 0.8's ClassThermalZoneStats and
 * ClassCoolingDeviceStats:
 *  - node_thermal_zone_temp{type,zone} (millidegrees / 1000) per
 *    thermal_zone[0-9]* with readable type, policy and temp (a signed
 *    decimal); mode and passive are read too and, when present, must be
 *    valid (passive an unsigned decimal); a temp read failing with ENODATA
 *    skips the zone, any other failure fails the scrape before any zone is
 *    sent;
 *  - node_cooling_device_cur_state and _max_state{name,type} per
 *    cooling_device[0-9]* (type, max_state, cur_state all required, states
 *    signed decimals: cur_state is -1 with intel_powerclamp); a failure
 *    there fails the scrape after the zones were sent.
 * No class/thermal: success, no series (1.5 globs).
 *
 * Source kind: SRC_DEVICE -- reading temp evaluates the zone (ACPI _TMP,
 * a sensor on a bus) and can take long.
 *
 * Memory: the zones (then the devices) are records with their strings in
 * c->rb[1]; file reads in c->rb[0].
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "sysattr.h"

struct rec {
	int64_t a, b;		/* zone: temp; device: cur, max */
	uint16_t name_len, type_len;
	/* then name and type, NUL-terminated */
};

static const char *r_name(const struct rec *r) { return (const char *)(r + 1); }
static const char *r_type(const struct rec *r) { return r_name(r) + r->name_len + 1; }
static size_t r_size(const struct rec *r)
{
	return (sizeof(*r) + r->name_len + r->type_len + 2 + 7) & ~(size_t)7;
}

static int add_rec(struct collector_ctx *c, size_t *used, const char *name, const char *type,
		   int64_t a, int64_t b)
{
	size_t ln = strlen(name), lt = strlen(type);
	struct rec *r;
	int e;

	if (ln > 4096 || lt > 4096)
		return ctx_error(c, -EINVAL, "%s: type too long", name);
	if ((e = rbuf_reserve(c->rb[1], *used + sizeof(*r) + ln + lt + 2 + 8)) < 0)
		return ctx_error(c, e, "thermal: %s", strerror(-e));
	r = (struct rec *)(void *)(c->rb[1]->data + *used);
	*r = (struct rec){ .a = a, .b = b, .name_len = (uint16_t)ln, .type_len = (uint16_t)lt };
	memcpy((char *)(r + 1), name, ln + 1);
	memcpy((char *)(r + 1) + ln + 1, type, lt + 1);
	*used += r_size(r);
	return 0;
}

static int glob_zone(const struct dirent *d)
{
	return strncmp(d->d_name, "thermal_zone", 12) == 0 && d->d_name[12] >= '0' && d->d_name[12] <= '9';
}

static int glob_cdev(const struct dirent *d)
{
	return strncmp(d->d_name, "cooling_device", 14) == 0 && d->d_name[14] >= '0' &&
	       d->d_name[14] <= '9';
}

static int glob_either(const struct dirent *d)
{
	return glob_zone(d) || glob_cdev(d);
}

/* <dir>/<file> into path; -ENAMETOOLONG described. */
static int join(struct collector_ctx *c, char *path, const char *dir, const char *file)
{
	if (snprintf(path, PATH_MAX, "%s/%s", dir, file) >= PATH_MAX)
		return ctx_error(c, -ENAMETOOLONG, "%s/%s: path too long", dir, file);
	return 0;
}

/* A required string attribute, copied to out. */
static int req_str(struct collector_ctx *c, const char *dir, const char *file, char *out, size_t outsz)
{
	char path[PATH_MAX], *s;
	int r;

	if ((r = join(c, path, dir, file)) < 0)
		return r;
	if ((r = sa_read_str(c->rb[0], path, &s)) < 0)
		return ctx_error(c, r, "read %s: %s", path, strerror(-r));
	if (strlen(s) >= outsz)
		return ctx_error(c, -EINVAL, "%s: too long", path);
	strcpy(out, s);
	return 0;
}

static int req_i64(struct collector_ctx *c, const char *dir, const char *file, int64_t *v)
{
	char path[PATH_MAX];
	int r;

	if ((r = join(c, path, dir, file)) < 0)
		return r;
	r = sa_read_i64(c->rb[0], path, v);
	if (r == -EINVAL || r == -ERANGE)
		return ctx_error(c, -EINVAL, "%s: not an integer: \"%.40s\"", path, sa_trim(c->rb[0]->data));
	if (r < 0)
		return ctx_error(c, r, "read %s: %s", path, strerror(-r));
	return 0;
}

/* 0, 1 (skip the zone: ENODATA) or negative errno. */
static int read_zone(struct collector_ctx *c, const char *dir, char *type, size_t typesz, int64_t *temp)
{
	char path[PATH_MAX];
	uint64_t passive;
	char *s;
	int r;

	if ((r = req_str(c, dir, "type", type, typesz)) < 0)
		return r;
	if ((r = join(c, path, dir, "policy")) < 0)
		return r;
	if ((r = sa_read_str(c->rb[0], path, &s)) < 0)
		return r == -ENODATA ? 1 : ctx_error(c, r, "read %s: %s", path, strerror(-r));
	if ((r = join(c, path, dir, "temp")) < 0)
		return r;
	r = sa_read_i64(c->rb[0], path, temp);
	if (r == -ENODATA)
		return 1;
	if (r == -EINVAL || r == -ERANGE)
		return ctx_error(c, -EINVAL, "%s: not an integer: \"%.40s\"", path, sa_trim(c->rb[0]->data));
	if (r < 0)
		return ctx_error(c, r, "read %s: %s", path, strerror(-r));
	if ((r = join(c, path, dir, "mode")) < 0)
		return r;
	r = sa_read_str(c->rb[0], path, &s);
	if (r < 0 && r != -ENOENT && r != -EACCES && r != -EPERM)
		return r == -ENODATA ? 1 : ctx_error(c, r, "read %s: %s", path, strerror(-r));
	if ((r = join(c, path, dir, "passive")) < 0)
		return r;
	r = sa_read_u64(c->rb[0], path, &passive);
	if (r == -EINVAL)
		return ctx_error(c, r, "%s: not an unsigned integer", path);
	if (r < 0 && r != -ENOENT && r != -EACCES && r != -EPERM)
		return r == -ENODATA ? 1 : ctx_error(c, r, "read %s: %s", path, strerror(-r));
	return 0;
}

static int collect_thermal_zone(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const zl[] = { "type", "zone", NULL }, *const dl[] = { "name", "type", NULL };
	char base[PATH_MAX], dir[PATH_MAX], type[4097];
	struct dirent **ents;
	size_t used = 0, off;
	int n, r = 0;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/thermal")) < 0)
		return ctx_error(c, r, "%s/class/thermal: path too long", c->cfg->sysfs);

	/* zones: all read, then sent.  One listing serves the zones and the
	 * cooling devices (it was listed once for each glob). */
	n = sa_list(base, glob_either, &ents);
	for (int i = 0; i < n; i++) {
		int64_t temp;

		if (!glob_zone(ents[i]))
			continue;
		if ((r = join(c, dir, base, ents[i]->d_name)) < 0)
			break;
		if ((r = read_zone(c, dir, type, sizeof(type), &temp)) < 0)
			break;
		if (r == 1) {
			r = 0;
			continue;
		}
		if ((r = add_rec(c, &used, ents[i]->d_name + 12, type, temp, 0)) < 0)
			break;
	}
	if (r < 0)
		goto out;
	for (off = 0; off < used;) {
		const struct rec *z = (const void *)(c->rb[1]->data + off);
		const char *lv[2] = { r_type(z), r_name(z) };

		if (off == 0 && (r = writer_family(w, "node_thermal_zone_temp", METRIC_GAUGE,
						   "Zone temperature in Celsius", zl)) < 0)
			goto out;
		if ((r = writer_sample(w, lv, (double)z->a / 1000.0)) < 0)
			goto out;
		off += r_size(z);
	}

	/* cooling devices: the same */
	used = 0;
	for (int i = 0; i < n; i++) {
		int64_t cur, max;

		if (!glob_cdev(ents[i]))
			continue;
		if ((r = join(c, dir, base, ents[i]->d_name)) < 0 ||
		    (r = req_str(c, dir, "type", type, sizeof(type))) < 0 ||
		    (r = req_i64(c, dir, "max_state", &max)) < 0 ||
		    (r = req_i64(c, dir, "cur_state", &cur)) < 0 ||
		    (r = add_rec(c, &used, ents[i]->d_name + 14, type, cur, max)) < 0)
			break;
	}
	if (n > 0)
		sa_free_list(ents, n);
	n = 0;
	if (r < 0)
		return r;
	for (int pass = 0; pass < 2 && used; pass++) {
		if ((r = writer_family(w, pass ? "node_cooling_device_max_state" : "node_cooling_device_cur_state",
				       METRIC_GAUGE,
				       pass ? "Maximum throttle state of the cooling device"
					    : "Current throttle state of the cooling device", dl)) < 0)
			return r;
		for (off = 0; off < used;) {
			const struct rec *d = (const void *)(c->rb[1]->data + off);
			const char *lv[2] = { r_name(d), r_type(d) };

			if ((r = writer_sample(w, lv, (double)(pass ? d->b : d->a))) < 0)
				return r;
			off += r_size(d);
		}
	}
	return 0;
out:
	if (n > 0)
		sa_free_list(ents, n);
	return r;
}

const struct collector collector_thermal_zone = {
	.name = "thermal_zone", .default_on = true, .collect = collect_thermal_zone, .src = SRC_DEVICE,
};
