/*
 * selinux: node_selinux_enabled, and when enabled node_selinux_config_mode
 * and node_selinux_current_mode (1 enforcing, 0 permissive, -1 disabled or
 * unreadable), as node_exporter 1.5's selinux_linux.go over
 * opencontainers/selinux 1.10 (pure Go, no libselinux; neither do we link
 * it).  That library ignores --path.*: it looks at the host's own files,
 * and so do we:
 *   - the selinuxfs mount: /sys/fs/selinux if statfs(2) says SELINUX_MAGIC
 *     and not read-only; else, if /proc/filesystems lists selinuxfs, the
 *     first such mount in /proc/self/mountinfo that passes the same check;
 *   - enabled = a mount was found and our label
 *     (/proc/thread-self/attr/current, one trailing NUL dropped) is not
 *     "kernel".  Decided once, at the first scrape, and kept (the library
 *     caches it for the process's life);
 *   - config mode: SELINUX= in /etc/selinux/config (the first such line;
 *     blank lines and lines starting ';' or '#' skipped; the key must match
 *     exactly, the value loses surrounding '"'): "enforcing" 1,
 *     "permissive" 0, anything else -1;
 *   - current mode: <mount>/enforce read every scrape, the whole content as
 *     a decimal integer (strconv.Atoi: no spaces), else -1.
 * On a host without SELinux (this one: no selinuxfs in the kernel) the
 * result is node_selinux_enabled 0 alone, as node_exporter's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector.h"
#include "util.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8cU
#endif

/* The host's paths (not --path.*: see above); a unit test may point them elsewhere. */
static const char *sel_default_mount = "/sys/fs/selinux";
static const char *sel_filesystems = "/proc/filesystems";
static const char *sel_mountinfo = "/proc/self/mountinfo";
static const char *sel_config = "/etc/selinux/config";
static const char *sel_attr_current = "/proc/thread-self/attr/current";

static pthread_once_t sel_once = PTHREAD_ONCE_INIT;
static char sel_mount[4096];	/* "" = none */
static bool sel_enabled;

static bool verify_mount(const char *mnt)
{
	struct statfs st;

	while (statfs(mnt, &st) < 0)
		if (errno != EINTR && errno != EAGAIN)
			return false;
	return (uint32_t)st.f_type == (uint32_t)SELINUX_MAGIC && !(st.f_flags & ST_RDONLY);
}

/* The mount point (5th space-separated field) of a mountinfo line whose
 * filesystem type is selinuxfs, or NULL; ends the field in place. */
static char *mountinfo_selinuxfs(char *line)
{
	char *p = line;

	if (!strstr(line, " - selinuxfs "))
		return NULL;
	for (int i = 0; i < 4; i++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		p++;
	}
	char *e = strchr(p, ' ');
	if (!e)
		return NULL;
	*e = '\0';
	return p;
}

static void find_mount(char *buf, size_t size)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	sel_mount[0] = '\0';
	if (verify_mount(sel_default_mount)) {
		xsnprintf(sel_mount, sizeof(sel_mount), "%s", sel_default_mount);
		return;
	}
	if (file_read_small(sel_filesystems, buf, size) < 0 || !strstr(buf, "\tselinuxfs\n"))
		return;
	if (!(f = fopen(sel_mountinfo, "re")))
		return;
	while (getline(&line, &cap, f) > 0) {
		char *m;

		line[strcspn(line, "\n")] = '\0';
		if ((m = mountinfo_selinuxfs(line)) && verify_mount(m)) {
			xsnprintf(sel_mount, sizeof(sel_mount), "%s", m);
			break;
		}
	}
	free(line);
	fclose(f);
}

static void sel_decide(void)
{
	size_t size = 16384;	/* once per process: off the (small) worker stack */
	char *buf = malloc(size);
	ssize_t n;

	if (!buf)
		return;
	find_mount(buf, size);
	if (sel_mount[0]) {
		n = file_read_small(sel_attr_current, buf, size);
		if (n > 0 && buf[n - 1] == '\0')
			n--;
		sel_enabled = !(n == 6 && !memcmp(buf, "kernel", 6));
	}
	free(buf);
}

/* strconv.Atoi: optional sign, decimal digits, nothing else; else -1. */
static int go_atoi_or(const char *s, int dflt)
{
	long v = 0;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return dflt;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return dflt;
		v = v * 10 + (*s - '0');
	}
	return (int)(neg ? -v : v);
}

/* opencontainers/selinux readConfig(key): the value or "" (into out). */
static void read_config(const char *key, struct rbuf *b, char *out, size_t outlen)
{
	char *cur, *line;

	out[0] = '\0';
	if (pf_read_quiet(b, sel_config) < 0)
		return;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *e = line + strlen(line), *eq, *v, *ve;

		while (*line && strchr(" \t\r\v\f", *line))
			line++;
		while (e > line && strchr(" \t\r\v\f", e[-1]))
			*--e = '\0';
		if (!*line || *line == ';' || *line == '#')
			continue;
		if (!(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		if (strcmp(line, key))
			continue;
		for (v = eq + 1; *v == '"'; v++)
			;
		for (ve = v + strlen(v); ve > v && ve[-1] == '"'; ve--)
			;
		*ve = '\0';
		xsnprintf(out, outlen, "%s", v);
		return;
	}
}

static int config_mode(struct rbuf *b)
{
	char v[64];

	read_config("SELINUX", b, v, sizeof(v));
	if (!strcmp(v, "enforcing"))
		return 1;
	if (!strcmp(v, "permissive"))
		return 0;
	return -1;
}

static int current_mode(void)
{
	char path[4200], buf[64];

	xsnprintf(path, sizeof(path), "%s/enforce", sel_mount);
	if (file_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	return go_atoi_or(buf, -1);
}

int collect_selinux(struct collector_ctx *c, struct metrics_writer *w)
{
	int r;

	pthread_once(&sel_once, sel_decide);
	if ((r = wr_one(w, "node_selinux_enabled", METRIC_GAUGE,
			"SELinux is enabled, 1 is true, 0 is false", sel_enabled ? 1 : 0)) < 0 ||
	    !sel_enabled)
		return r;
	if ((r = wr_one(w, "node_selinux_config_mode", METRIC_GAUGE, "Configured SELinux enforcement mode",
			config_mode(c->rb[0]))) < 0)
		return r;
	return wr_one(w, "node_selinux_current_mode", METRIC_GAUGE, "Current SELinux enforcement mode",
		      current_mode());
}

const struct collector collector_selinux = {
	.name = "selinux", .default_on = true, .collect = collect_selinux, .src = SRC_PROCFS,
};
