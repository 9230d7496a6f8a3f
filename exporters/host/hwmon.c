/*
 * hwmon: hardware sensors from /sys/class/hwmon (temperatures, voltages,
 * fans, currents, power, energy, humidity, ...), as node_exporter 1.5's
 * hwmon_linux.go.
 *
 * Per hwmonN directory (a symlink followed; not a directory: skipped):
 *  - the chip label: "<type>_<name>" of the device link's resolved path's
 *    last two elements (each cleaned: lower case, every character outside
 *    [a-z0-9:_] made "_", "_" trimmed), else the cleaned "name" file, else
 *    the cleaned directory name;
 *  - sensor files of the directory, then of its device/ directory (later
 *    wins), named <type><num>[_<property>] (Go's regexp
 *    ^([^0-9]+)([0-9]*)?(_(.+))?$, leftmost-first) for the types vrm,
 *    beep_enable, update_interval, in, cpu, fan, pwm, temp, curr, power,
 *    energy, humidity, intrusion; each read with one read(2) of at most 128
 *    bytes (an error: the file is skipped), newlines trimmed; the sensor is
 *    <type><num as an integer>;
 *  - node_hwmon_chip_names{chip,chip_name} 1 if the name file cleans to
 *    something, node_hwmon_sensor_label{chip,sensor,label} 1 per sensor
 *    with a label file (invalid UTF-8 runs made U+FFFD), then per property
 *    a family named and scaled by type and property (volts, celsius, amps,
 *    joules, watts from milli/micro units; see emit_sensor()); values that
 *    do not parse as Go's strconv.ParseFloat are skipped.
 * A chip whose directory cannot be listed is an error (after the other
 * chips were reported), and so is a dangling hwmonN link unless a later
 * link resolves (1.5 keeps the last link's stat error); no
 * /sys/class/hwmon: no data.  Two series of one
 * name and labels, or one name with two HELP texts, keep the first (as
 * client_golang's registry drops the later one).
 *
 * Source kind: SRC_DEVICE -- a sensor read can talk to a chip over I2C,
 * IPMI or ACPI and block.
 *
 * Memory: the file buffer is c->rb[0]; the chip's sensor files are fixed
 * records in c->rb[1]; the series of the scrape go to an arena in c->rb[2]
 * (records with their strings, then an index sorted by name), so the
 * families can be written whole, in name order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "sysattr.h"
#include "utf8.h"

static const char *const sensor_types[] = {
	"vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr",
	"power", "energy", "humidity", "intrusion",
};

/* ---- Go compatible helpers ---- */

/* cleanMetricName: lower case, runes outside [a-z0-9:_] -> '_', trim '_'. */
static void clean_name(const char *s, size_t len, char *out, size_t outsz)
{
	size_t o = 0, i = 0;
	char *start, *end;

	while (i < len && o + 1 < outsz) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = 1;

		if (ch >= 0x80) {
			n = utf8_seq_len((const unsigned char *)s + i, len - i);
			if (n == 0)
				n = 1;
			out[o++] = '_';
		} else {
			ch = (unsigned char)tolower(ch);
			out[o++] = (char)(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
					  ch == ':' || ch == '_') ? ch : '_');
		}
		i += n;
	}
	out[o] = '\0';
	for (start = out; *start == '_'; start++)
		;
	end = start + strlen(start);
	while (end > start && end[-1] == '_')
		end--;
	*end = '\0';
	memmove(out, start, (size_t)(end - start) + 1);
}

/* strings.ToValidUTF8(s, "\uFFFD") */
static void valid_utf8(const char *s, char *out, size_t outsz)
{
	size_t o = 0, len = strlen(s);
	bool in_bad = false;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (n == 0) {
			if (!in_bad && o + 4 < outsz) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			in_bad = true;
			i++;
			continue;
		}
		in_bad = false;
		if (o + n >= outsz)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

static size_t prefix_ci(const char *s, const char *lit)
{
	size_t n = 0;

	while (s[n] && lit[n] && tolower((unsigned char)s[n]) == lit[n])
		n++;
	return n;
}

/* strconv.ParseFloat(s, 64) == nil: 0 and the value, or -EINVAL. */
static int go_float(const char *s, double *ret)
{
	const char *p = s;
	bool hex = false, digits = false;
	char *end;
	double v;

	if (!*p)
		return -EINVAL;
	if (*p == '+' || *p == '-') {
		size_t n = prefix_ci(p + 1, "infinity");

		if ((n == 3 && !p[4]) || (n == 8 && !p[9])) {
			*ret = *p == '-' ? -INFINITY : INFINITY;
			return 0;
		}
		p++;
	} else {
		size_t n = prefix_ci(p, "infinity");

		if ((n == 3 && !p[3]) || (n == 8 && !p[8])) {
			*ret = INFINITY;
			return 0;
		}
		if (prefix_ci(p, "nan") == 3 && !p[3]) {
			*ret = NAN;
			return 0;
		}
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = true;
		p += 2;
	}
	for (; *p && *p != '.' && *p != 'e' && *p != 'E' && *p != 'p' && *p != 'P'; p++) {
		if (!(hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
			return -EINVAL;
		digits = true;
	}
	if (*p == '.')
		for (p++; *p && *p != 'e' && *p != 'E' && *p != 'p' && *p != 'P'; p++) {
			if (!(hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
				return -EINVAL;
			digits = true;
		}
	if (!digits)
		return -EINVAL;
	if (hex ? (*p != 'p' && *p != 'P') : (*p && *p != 'e' && *p != 'E'))
		return -EINVAL;
	if (*p) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!*p)
			return -EINVAL;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end || isinf(v))
		return -EINVAL;	/* out of range: Go gives an error too */
	*ret = v;
	return 0;
}

/*
 * Go's ^(?P<type>[^0-9]+)(?P<id>[0-9]*)?(_(?P<property>.+))?$ with
 * leftmost-first matching: the longest type first, then the longest id.
 */
static bool explode(const char *s, size_t *tlen, size_t *idlen, const char **prop)
{
	size_t len = strlen(s), maxk = 0;

	while (maxk < len && !(s[maxk] >= '0' && s[maxk] <= '9'))
		maxk++;
	for (size_t k = maxk; k >= 1; k--) {
		size_t dl = 0;

		while (k + dl < len && s[k + dl] >= '0' && s[k + dl] <= '9')
			dl++;
		for (size_t j = k + dl + 1; j-- > k;) {
			const char *rest = s + j;

			if (!*rest) {
				*tlen = k, *idlen = j - k, *prop = rest;
				return true;
			}
			if (rest[0] == '_' && rest[1] && !strchr(rest + 1, '\n')) {
				*tlen = k, *idlen = j - k, *prop = rest + 1;
				return true;
			}
		}
	}
	return false;
}

/* ---- per-chip sensor files (c->rb[1]) ---- */

struct raw {
	char sensor[48];	/* type + decimal id */
	char prop[NAME_MAX + 1];
	char val[132];
	uint32_t seq;
};

struct chip {
	struct collector_ctx *c;
	size_t n;
	uint32_t seq;
};

static struct raw *raws(struct chip *ch)
{
	return (struct raw *)(void *)ch->c->rb[1]->data;
}

/* addValueFile over every sensor file of dir; 0 or -errno (described). */
static int collect_dir(struct chip *ch, const char *dir)
{
	struct collector_ctx *c = ch->c;
	struct dirent **ents;
	int n = sa_list(dir, NULL, &ents), r = 0;

	if (n < 0)
		return ctx_error(c, n, "open %s: %s", dir, strerror(-n));
	for (int i = 0; i < n; i++) {
		const char *fn = ents[i]->d_name, *prop;
		char path[PATH_MAX];
		size_t tl, il, t;
		unsigned long long id = 0;
		struct raw *rw;
		ssize_t got;
		int fd;

		if (!explode(fn, &tl, &il, &prop))
			continue;
		for (t = 0; t < sizeof(sensor_types) / sizeof(sensor_types[0]); t++)
			if (strlen(sensor_types[t]) == tl && memcmp(sensor_types[t], fn, tl) == 0)
				break;
		if (t == sizeof(sensor_types) / sizeof(sensor_types[0]))
			continue;
		if (il > 0) {
			bool bad = false;

			for (size_t k = 0; k < il; k++) {
				if (id > ((unsigned long long)INT64_MAX - (unsigned)(fn[tl + k] - '0')) / 10) {
					bad = true;	/* strconv.Atoi: out of range */
					break;
				}
				id = id * 10 + (unsigned)(fn[tl + k] - '0');
			}
			if (bad)
				continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir, fn) >= (int)sizeof(path))
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if ((r = rbuf_reserve(c->rb[1], (ch->n + 1) * sizeof(struct raw))) < 0) {
			close(fd);
			r = ctx_error(c, r, "%s: too many sensor files", dir);
			break;
		}
		rw = raws(ch) + ch->n;
		got = read(fd, rw->val, 128);
		close(fd);
		if (got < 0)
			continue;
		rw->val[got] = '\0';
		{	/* strings.Trim(value, "\n") */
			char *s = rw->val, *e = s + strlen(s);

			while (*s == '\n')
				s++;
			while (e > s && e[-1] == '\n')
				e--;
			*e = '\0';
			memmove(rw->val, s, (size_t)(e - s) + 1);
		}
		snprintf(rw->sensor, sizeof(rw->sensor), "%s%llu", sensor_types[t], id);
		snprintf(rw->prop, sizeof(rw->prop), "%s", prop);
		rw->seq = ch->seq++;
		ch->n++;
	}
	sa_free_list(ents, n);
	return r;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int d = strcmp(x->sensor, y->sensor);

	if (!d)
		d = strcmp(x->prop, y->prop);
	return d ? d : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* ---- the scrape's series (c->rb[2]) ---- */

enum { L_SENSOR, L_CHIPNAME, L_LABEL };

struct series {
	double v;
	uint32_t seq;
	uint16_t name_len, help_len, chip_len, sensor_len, label_len;
	uint8_t counter, labels;
	/* then name, help, chip, sensor[, label], each NUL-terminated */
};

struct out {
	struct collector_ctx *c;
	size_t used;	/* bytes of c->rb[2] */
	size_t n;
	uint32_t seq;
	int err;
};

static int add_series(struct out *o, const char *name, const char *help, bool counter, int labels,
		      const char *chip, const char *sensor, const char *label, double v)
{
	struct rbuf *b = o->c->rb[2];
	size_t ln = strlen(name), lh = strlen(help), lc = strlen(chip), ls = strlen(sensor);
	size_t ll = label ? strlen(label) : 0;
	size_t sz = sizeof(struct series) + ln + lh + lc + ls + ll + 5;
	struct series *s;
	char *p;
	int r;

	sz = (sz + 7) & ~(size_t)7;
	if ((r = rbuf_reserve(b, o->used + sz)) < 0)
		return o->err = ctx_error(o->c, r, "hwmon: too many series");
	s = (struct series *)(void *)(b->data + o->used);
	*s = (struct series){ .v = v, .seq = o->seq++, .name_len = (uint16_t)ln,
			      .help_len = (uint16_t)lh, .chip_len = (uint16_t)lc,
			      .sensor_len = (uint16_t)ls, .label_len = (uint16_t)ll,
			      .counter = counter, .labels = (uint8_t)labels };
	p = (char *)(s + 1);
	memcpy(p, name, ln + 1);
	p += ln + 1;
	memcpy(p, help, lh + 1);
	p += lh + 1;
	memcpy(p, chip, lc + 1);
	p += lc + 1;
	memcpy(p, sensor, ls + 1);
	p += ls + 1;
	if (label)
		memcpy(p, label, ll + 1);
	else
		*p = '\0';
	o->used += sz;
	o->n++;
	return 0;
}

static const char *s_name(const struct series *s) { return (const char *)(s + 1); }
static const char *s_help(const struct series *s) { return s_name(s) + s->name_len + 1; }
static const char *s_chip(const struct series *s) { return s_help(s) + s->help_len + 1; }
static const char *s_sensor(const struct series *s) { return s_chip(s) + s->chip_len + 1; }
static const char *s_label(const struct series *s) { return s_sensor(s) + s->sensor_len + 1; }

static int cmp_series(const void *a, const void *b, void *arg)
{
	const char *base = arg;
	const struct series *x = (const void *)(base + *(const uint32_t *)a);
	const struct series *y = (const void *)(base + *(const uint32_t *)b);
	int d = strcmp(s_name(x), s_name(y));

	return d ? d : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* The families of one sensor (the updateHwmon loop body). */
static void emit_sensor(struct out *o, const char *chip, const char *sensor, const struct raw *r,
			size_t n)
{
	const char *type_end, *prop, *label = NULL, *empty = NULL;
	char type[32], name[600], help[700], cleaned[NAME_MAX + 1], lbl[400];
	size_t tl, il;
	double v;

	explode(sensor, &tl, &il, &prop);
	type_end = sensor + tl;
	snprintf(type, sizeof(type), "%.*s", (int)(type_end - sensor), sensor);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(r[i].prop, "label"))
			label = r[i].val;
		else if (!r[i].prop[0])
			empty = r[i].val;
	}
	if (label) {
		valid_utf8(label, lbl, sizeof(lbl));
		add_series(o, "node_hwmon_sensor_label", "Label for given chip and sensor", false,
			   L_LABEL, chip, sensor, lbl, 1);
	}
	if (!strcmp(type, "beep_enable")) {
		add_series(o, "node_hwmon_beep_enabled", "Hardware beep enabled", false, L_SENSOR, chip,
			   sensor, NULL, empty && !strcmp(empty, "1") ? 1 : 0);
		return;
	}
	if (!strcmp(type, "vrm") || !strcmp(type, "update_interval")) {
		bool vrm = type[0] == 'v';

		if (go_float(empty ? empty : "", &v) < 0)
			return;
		add_series(o, vrm ? "node_hwmon_voltage_regulator_version" : "node_hwmon_update_interval_seconds",
			   vrm ? "Hardware voltage regulator" : "Hardware monitor update interval", false,
			   L_SENSOR, chip, sensor, NULL, vrm ? v : v * 0.001);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *el = r[i].prop;
		int nl;

		if (!strcmp(el, "label"))
			continue;
		if (!strcmp(el, "input"))
			nl = snprintf(name, sizeof(name), "node_hwmon_%s%s", type, empty ? "_input" : "");
		else if (el[0]) {
			clean_name(el, strlen(el), cleaned, sizeof(cleaned));
			nl = snprintf(name, sizeof(name), "node_hwmon_%s_%s", type, cleaned);
		} else
			nl = snprintf(name, sizeof(name), "node_hwmon_%s", type);
		if (go_float(r[i].val, &v) < 0)
			continue;
#define ADD(suffix, h, ctr, val) do { \
		snprintf(name + nl, sizeof(name) - (size_t)nl, "%s", suffix); \
		add_series(o, name, h, ctr, L_SENSOR, chip, sensor, NULL, val); \
	} while (0)
		if (!strcmp(el, "fault") || !strcmp(el, "alarm")) {
			snprintf(help, sizeof(help), "Hardware sensor %s status (%s)", el, type);
			ADD("", help, false, v);
		} else if (!strcmp(el, "beep")) {
			ADD("_enabled", "Hardware monitor sensor has beeping enabled", false, v);
		} else if (!strcmp(type, "in") || !strcmp(type, "cpu")) {
			snprintf(help, sizeof(help), "Hardware monitor for voltage (%s)", el);
			ADD("_volts", help, false, v * 0.001);
		} else if (!strcmp(type, "temp") && strcmp(el, "type")) {
			snprintf(help, sizeof(help), "Hardware monitor for temperature (%s)", el[0] ? el : "input");
			ADD("_celsius", help, false, v * 0.001);
		} else if (!strcmp(type, "curr")) {
			snprintf(help, sizeof(help), "Hardware monitor for current (%s)", el);
			ADD("_amps", help, false, v * 0.001);
		} else if (!strcmp(type, "energy")) {
			snprintf(help, sizeof(help), "Hardware monitor for joules used so far (%s)", el);
			ADD("_joule_total", help, true, v / 1000000.0);
		} else if (!strcmp(type, "power") && !strcmp(el, "accuracy")) {
			ADD("", "Hardware monitor power meter accuracy, as a ratio", false, v / 1000000.0);
		} else if (!strcmp(type, "power") && (!strcmp(el, "average_interval") ||
						      !strcmp(el, "average_interval_min") ||
						      !strcmp(el, "average_interval_max"))) {
			snprintf(help, sizeof(help), "Hardware monitor power usage update interval (%s)", el);
			ADD("_seconds", help, false, v * 0.001);
		} else if (!strcmp(type, "power")) {
			snprintf(help, sizeof(help), "Hardware monitor for power usage in watts (%s)", el);
			ADD("_watt", help, false, v / 1000000.0);
		} else if (!strcmp(type, "humidity")) {
			snprintf(help, sizeof(help), "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (%s)", el);
			ADD("", help, false, v / 1000000.0);
		} else if (!strcmp(type, "fan") && (!strcmp(el, "input") || !strcmp(el, "min") ||
						    !strcmp(el, "max") || !strcmp(el, "target"))) {
			snprintf(help, sizeof(help), "Hardware monitor for fan revolutions per minute (%s)", el);
			ADD("_rpm", help, false, v);
		} else {
			snprintf(help, sizeof(help), "Hardware monitor %s element %s", type, el);
			ADD("", help, false, v);
		}
#undef ADD
	}
}

/* hwmonName(): the chip label of dir into out. */
static int chip_label(struct collector_ctx *c, const char *dir, char *out, size_t outsz)
{
	char path[PATH_MAX], real[PATH_MAX], a[NAME_MAX + 1], b[NAME_MAX + 1];
	struct rbuf *buf = c->rb[0];

	/* preference 1: the device's resolved path, "<parent>_<name>" */
	if (snprintf(path, sizeof(path), "%s/device", dir) < (int)sizeof(path) && realpath(path, real)) {
		char *slash = strrchr(real, '/'), *pslash;

		*slash = '\0';
		clean_name(slash + 1, strlen(slash + 1), a, sizeof(a));
		pslash = strrchr(real, '/');
		if (pslash)
			clean_name(pslash + 1, strlen(pslash + 1), b, sizeof(b));
		else
			b[0] = '\0';
		if (b[0] && a[0]) {
			snprintf(out, outsz, "%s_%s", b, a);
			return 0;
		}
		if (a[0]) {
			snprintf(out, outsz, "%s", a);
			return 0;
		}
	}
	/* preference 2: the name file */
	if (snprintf(path, sizeof(path), "%s/name", dir) < (int)sizeof(path) &&
	    pf_read_quiet(buf, path) == 0 && buf->len > 0) {
		clean_name(buf->data, buf->len, out, outsz);
		if (out[0])
			return 0;
	}
	/* preference 3: the directory's own name */
	if (!realpath(dir, real))
		return ctx_error(c, -errno, "%s: %s", dir, strerror(errno));
	clean_name(strrchr(real, '/') + 1, strlen(strrchr(real, '/') + 1), out, outsz);
	if (out[0])
		return 0;
	return ctx_error(c, -EINVAL, "Could not derive a monitoring name for %s", dir);
}

static int update_chip(struct collector_ctx *c, struct out *o, const char *dir)
{
	char chip[NAME_MAX * 2 + 2], path[PATH_MAX], chip_name[NAME_MAX + 1];
	struct chip ch = { .c = c };
	struct stat st;
	struct raw *rw;
	int r;

	if ((r = chip_label(c, dir, chip, sizeof(chip))) < 0)
		return r;
	if ((r = collect_dir(&ch, dir)) < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/device", dir) < (int)sizeof(path) && stat(path, &st) == 0 &&
	    (r = collect_dir(&ch, path)) < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/name", dir) < (int)sizeof(path) &&
	    pf_read_quiet(c->rb[0], path) == 0 && c->rb[0]->len > 0) {
		clean_name(c->rb[0]->data, c->rb[0]->len, chip_name, sizeof(chip_name));
		if (chip_name[0])
			add_series(o, "node_hwmon_chip_names", "Annotation metric for human-readable chip names",
				   false, L_CHIPNAME, chip, chip_name, NULL, 1);
	}
	rw = raws(&ch);
	qsort(rw, ch.n, sizeof(*rw), cmp_raw);
	/* the map keeps the last value of a sensor's property */
	{
		size_t k = 0;

		for (size_t i = 0; i < ch.n; i++) {
			if (k > 0 && !strcmp(rw[k - 1].sensor, rw[i].sensor) && !strcmp(rw[k - 1].prop, rw[i].prop))
				rw[k - 1] = rw[i];
			else
				rw[k++] = rw[i];
		}
		ch.n = k;
	}
	for (size_t i = 0; i < ch.n;) {
		size_t j = i;

		while (j < ch.n && !strcmp(rw[j].sensor, rw[i].sensor))
			j++;
		emit_sensor(o, chip, rw[i].sensor, rw + i, j - i);
		i = j;
	}
	return o->err;
}

static int write_all(struct collector_ctx *c, struct out *o, struct metrics_writer *w)
{
	static const char *const ln[][4] = {
		[L_SENSOR] = { "chip", "sensor", NULL },
		[L_CHIPNAME] = { "chip", "chip_name", NULL },
		[L_LABEL] = { "chip", "label", "sensor", NULL },	/* sorted, as client_golang */
	};
	struct rbuf *b = c->rb[2];
	size_t idx_off = (o->used + 7) & ~(size_t)7;
	uint32_t *idx;
	size_t off = 0;
	int r;

	if (o->used > UINT32_MAX)
		return ctx_error(c, -EFBIG, "hwmon: too many series");
	if ((r = rbuf_reserve(b, idx_off + o->n * sizeof(uint32_t))) < 0)
		return ctx_error(c, r, "hwmon: too many series");
	idx = (uint32_t *)(void *)(b->data + idx_off);
	for (size_t i = 0; i < o->n; i++) {
		const struct series *s = (const void *)(b->data + off);

		idx[i] = (uint32_t)off;
		off += (sizeof(*s) + s->name_len + s->help_len + s->chip_len + s->sensor_len +
			s->label_len + 5 + 7) & ~(size_t)7;
	}
	qsort_r(idx, o->n, sizeof(*idx), cmp_series, b->data);
	for (size_t i = 0; i < o->n;) {
		const struct series *first = (const void *)(b->data + idx[i]);
		size_t j = i;

		if ((r = writer_family(w, s_name(first), first->counter ? METRIC_COUNTER : METRIC_GAUGE,
				       s_help(first), ln[first->labels])) < 0)
			return r;
		for (; j < o->n; j++) {
			const struct series *s = (const void *)(b->data + idx[j]);
			const char *lv[3] = { s_chip(s), s_sensor(s), s_label(s) };

			if (s->labels == L_LABEL)
				lv[1] = s_label(s), lv[2] = s_sensor(s);

			if (strcmp(s_name(s), s_name(first)))
				break;
			if (strcmp(s_help(s), s_help(first)))
				continue;	/* inconsistent help: client_golang drops it */
			r = writer_sample(w, lv, s->v);
			if (r < 0 && r != -EINVAL)
				return r;	/* -EINVAL: a duplicate series, dropped */
		}
		i = j;
	}
	return 0;
}

static int collect_hwmon(struct collector_ctx *c, struct metrics_writer *w)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dirent **ents;
	struct out o = { .c = c };
	int n, r = 0;

	if ((r = pf_path(base, sizeof(base), c->cfg->sysfs, "class/hwmon")) < 0)
		return ctx_error(c, r, "%s/class/hwmon: path too long", c->cfg->sysfs);
	n = sa_list(base, NULL, &ents);
	if (n == -ENOENT)
		return -ENODATA;
	if (n < 0)
		return ctx_error(c, n, "open %s: %s", base, strerror(-n));
	for (int i = 0; i < n; i++) {
		struct stat st;
		int e;

		if (snprintf(dir, sizeof(dir), "%s/%s", base, ents[i]->d_name) >= (int)sizeof(dir))
			continue;
		if (lstat(dir, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* as 1.5's Update: the error of following a link is
			 * the collector's result until something else sets it
			 * (a later link that resolves clears it) */
			if (stat(dir, &st) < 0) {
				e = -errno;
				c->err[0] = '\0';
				r = ctx_error(c, e, "stat %s: %s", dir, strerror(-e));
				continue;
			}
			r = 0;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		o.err = 0;
		if ((e = update_chip(c, &o, dir)) < 0) {
			if (o.err)
				break;	/* out of memory: stop */
			r = e;	/* the last chip's error, after the others */
		}
	}
	sa_free_list(ents, n);
	if (o.err)
		return o.err;
	{
		int wr = write_all(c, &o, w);

		if (wr < 0)
			return wr;
	}
	return r;
}

const struct collector collector_hwmon = {
	.name = "hwmon", .default_on = true, .collect = collect_hwmon, .src = SRC_DEVICE,
};
