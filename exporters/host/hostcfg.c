/*
 * hostcfg: what the collectors share below the scrape engine (collector.c):
 * the configuration the --path.* flags fill, the mount-table filesystem
 * classes, and the flag checks for regexes and device include/exclude
 * pairs.  Collectors call in here, never into collector.c, which holds the
 * table of collectors: calls run one way (main -> collector -> each
 * collector -> hostcfg, procfile, util).
 * Thread-safety: host_cfg is written only while the flags are parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"

struct host_config host_cfg;
bool collector_enabled[HOST_NCOLL];

/*
 * Filesystem types judged from the mount table, not by statfs(2) or a path
 * walk: those would themselves block on a hung NFS or FUSE mount (the
 * textfile directory of a stale mount would then hang the start-up).
 */
static const char *const fs_local_types[] = { "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs",
					      "tmpfs", "ramfs", NULL };
/* Kernel filesystems a path walk may cross without waiting on anything. */
static const char *const fs_walk_types[] = { "proc", "sysfs", "devtmpfs", "devpts", "mqueue",
					     "cgroup", "cgroup2", "securityfs", "pstore", "bpf",
					     "debugfs", "tracefs", "hugetlbfs", "configfs",
					     "fusectl", "efivarfs", "binfmt_misc", NULL };

bool fs_type_in(const char *t, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(t, *l) == 0)
			return true;
	return false;
}

bool fs_type_local(const char *type)
{
	return fs_type_in(type, fs_local_types);
}

bool fs_type_walkable(const char *type)
{
	return fs_type_in(type, fs_local_types) || fs_type_in(type, fs_walk_types);
}

int host_regex_flag_check(const struct flag *f, const struct flagset *fs, char *err, size_t errlen)
{
	/* dst is &regex.src, the first member: the flag's regex itself */
	struct host_regex *re = (struct host_regex *)f->dst;
	char why[300];

	(void)fs;
	host_regex_free(re);
	if (host_regex_compile(re, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid regular expression: %s", why);
		return -EINVAL;
	}
	return 0;
}

/* node_exporter 1.5's deviceFilter flags: include and exclude are mutually
 * exclusive, but a default exclude yields to an explicit include (applied
 * by device_filter_init). dst: &filter.include.src. */
int device_filter_include_check(const struct flag *f, const struct flagset *fs, char *err,
				size_t errlen)
{
	struct device_filter *d = (struct device_filter *)f->dst;
	int r = host_regex_flag_check(f, fs, err, errlen);

	if (r < 0)
		return r;
	if (d->include.src && *d->include.src && flagset_given(fs, &d->exclude.src) &&
	    d->exclude.src && *d->exclude.src) {
		snprintf(err, errlen, "mutually exclusive with --%s", flagset_name(fs, &d->exclude.src));
		return -EINVAL;
	}
	return 0;
}

void device_filter_init(struct device_filter *d)
{
	if (d->include.src && *d->include.src) {
		host_regex_free(&d->exclude);
		d->exclude.src = NULL;
	}
}

void device_filter_free(struct device_filter *d)
{
	host_regex_free(&d->include);
	host_regex_free(&d->exclude);
}
