/*
 * dmi: node_dmi_info, a constant 1 labelled by the DMI strings of
 * /sys/class/dmi/id, as node_exporter 1.5's dmi.go over procfs 0.8's
 * DMIClass: every regular file of the directory except modalias and uevent
 * is read (whitespace trimmed; a permission error skips it: only root may
 * read the serials and product_uuid); those named below become labels (in
 * name order, invalid UTF-8 runs made U+FFFD; sys_vendor is system_vendor;
 * chassis_type is read but not exported).  Read once at start-up, as
 * node_exporter does (the values change only with a reboot): no directory
 * or no such file is no data on every scrape (success 0, as 1.5).  Where
 * node_exporter 1.5 refuses to start (another read error), host-exporter
 * starts and reports the collector failed on every scrape.
 *
 * Thread-safety: the values are written by init, before the first scrape,
 * and only read afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "sysattr.h"
#include "utf8.h"

static const char *const files[] = {
	"bios_date", "bios_release", "bios_vendor", "bios_version", "board_asset_tag", "board_name",
	"board_serial", "board_vendor", "board_version", "chassis_asset_tag", "chassis_serial",
	"chassis_vendor", "chassis_version", "product_family", "product_name", "product_serial",
	"product_sku", "product_uuid", "product_version", "sys_vendor",
};
#define NDMI (sizeof(files) / sizeof(files[0]))

static struct {
	int err;			/* 0, -ENODATA or a read error */
	char msg[PATH_MAX + 128];
	size_t n;
	const char *labels[NDMI + 1];	/* label names present, NULL-terminated */
	const char *values[NDMI];
	char store[NDMI][4096 * 3 + 1];	/* values, valid UTF-8 */
} dmi;

/* strings.ToValidUTF8(s, "\uFFFD") into out (3 x the input at most). */
static void to_valid(const char *s, char *out)
{
	size_t o = 0, len = strlen(s);
	bool bad = false;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (n == 0) {
			if (!bad) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
			}
			bad = true;
			i++;
			continue;
		}
		bad = false;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

static int dmi_init(const struct flagset *fs, char *err, size_t errlen)
{
	static const char *const label_names[NDMI] = {
		"bios_date", "bios_release", "bios_vendor", "bios_version", "board_asset_tag",
		"board_name", "board_serial", "board_vendor", "board_version", "chassis_asset_tag",
		"chassis_serial", "chassis_vendor", "chassis_version", "product_family", "product_name",
		"product_serial", "product_sku", "product_uuid", "product_version", "system_vendor",
	};
	char dir[PATH_MAX], path[PATH_MAX];
	bool have[NDMI] = { false };
	struct rbuf b = { 0 };
	struct dirent **ents;
	int n;

	(void)fs;
	(void)err;
	(void)errlen;
	dmi.err = -ENODATA;
	if (!collector_enabled[COLLECTOR_IDX_dmi])
		return 0;
	if (pf_path(dir, sizeof(dir), host_cfg.sysfs, "class/dmi/id") < 0)
		return 0;
	n = sa_list(dir, NULL, &ents);
	if (n < 0) {
		if (n != -ENOENT) {
			dmi.err = n;
			snprintf(dmi.msg, sizeof(dmi.msg), "failed to read directory %s: %s", dir, strerror(-n));
		}
		return 0;
	}
	dmi.err = 0;
	for (int i = 0; i < n && !dmi.err; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;
		char *v;
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
			continue;
		if (ents[i]->d_type == DT_UNKNOWN ? (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
						  : ents[i]->d_type != DT_REG)
			continue;
		if (!strcmp(name, "modalias") || !strcmp(name, "uevent"))
			continue;
		r = sa_read_str(&b, path, &v);
		if (r == -EACCES || r == -EPERM)
			continue;
		if (r < 0) {
			dmi.err = r;
			snprintf(dmi.msg, sizeof(dmi.msg), "failed to read file %s: %s", path, strerror(-r));
			break;
		}
		for (size_t k = 0; k < NDMI; k++)
			if (!strcmp(name, files[k])) {
				if (strlen(v) > 4096)
					v[4096] = '\0';	/* SysReadFile reads 4096 bytes */
				to_valid(v, dmi.store[k]);
				have[k] = true;
			}
	}
	sa_free_list(ents, n);
	rbuf_free(&b);
	for (size_t k = 0; k < NDMI; k++)
		if (have[k]) {
			dmi.labels[dmi.n] = label_names[k];
			dmi.values[dmi.n++] = dmi.store[k];
		}
	dmi.labels[dmi.n] = NULL;
	if (!dmi.err && dmi.n == 0)
		dmi.err = -ENODATA;
	return 0;
}

static int collect_dmi(struct collector_ctx *c, struct metrics_writer *w)
{
	int r;

	if (dmi.err == -ENODATA)
		return -ENODATA;
	if (dmi.err)
		return ctx_error(c, dmi.err, "failed to read Desktop Management Interface (DMI) information: %s", dmi.msg);
	if ((r = writer_family(w, "node_dmi_info", METRIC_GAUGE,
			       "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, "
			       "board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, "
			       "chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, "
			       "product_sku, product_uuid, product_version, system_vendor if provided by DMI.",
			       dmi.labels)) < 0)
		return r;
	return writer_sample(w, dmi.values, 1);
}

const struct collector collector_dmi = {
	.name = "dmi", .default_on = true, .collect = collect_dmi, .src = SRC_SYSFS, .init = dmi_init,
};
