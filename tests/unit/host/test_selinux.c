/*
 * The selinux collector's enabled branch, which this kernel (no selinuxfs)
 * and node_exporter (host paths only) cannot exercise: the config file's
 * SELINUX= parsing, the enforce file's Atoi, the mountinfo scan and the
 * mount search, on files in a temp dir.  selinux.c is included to reach its
 * statics; its two exported names are renamed so the collector objects the
 * test also links keep theirs.
 */
#define collect_selinux ut_collect_selinux
#define collector_selinux ut_collector_selinux
#include "selinux.c"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "harness.h"

static char dir[256];

static const char *put(const char *name, const char *content)
{
	static char path[8][512];
	static int k;
	char *p = path[k++ % 8];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	return p;
}

static int mode_of(const char *config)
{
	struct rbuf b = { 0 };
	int m;

	sel_config = put("config", config);
	m = config_mode(&b);
	rbuf_free(&b);
	return m;
}

static void test_config_mode(void)
{
	CHECK(mode_of("SELINUX=enforcing\nSELINUXTYPE=targeted\n") == 1);
	CHECK(mode_of("# comment\n\n  SELINUX=permissive  \n") == 0);
	CHECK(mode_of("SELINUX=\"enforcing\"\n") == 1);
	CHECK(mode_of("SELINUX=disabled\n") == -1);
	CHECK(mode_of("SELINUX = enforcing\n") == -1);	/* the key must match exactly */
	CHECK(mode_of("SELINUX= enforcing\n") == -1);	/* the value is not trimmed */
	CHECK(mode_of(";SELINUX=enforcing\nSELINUX=permissive\n") == 0);
	CHECK(mode_of("SELINUX=permissive\nSELINUX=enforcing\n") == 0);	/* the first wins */
	CHECK(mode_of("SELINUXTYPE=enforcing\n") == -1);
	CHECK(mode_of("SELINUX=enforcing\r\n") == 1);
	{
		struct rbuf b = { 0 };

		sel_config = "/nonexistent/selinux/config";
		CHECK(config_mode(&b) == -1);
		rbuf_free(&b);
	}
}

static void test_current_mode(void)
{
	xsnprintf(sel_mount, sizeof(sel_mount), "%s", dir);
	put("enforce", "1");
	CHECK(current_mode() == 1);
	put("enforce", "0");
	CHECK(current_mode() == 0);
	put("enforce", "1\n");	/* Atoi of the whole content */
	CHECK(current_mode() == -1);
	put("enforce", "+1");
	CHECK(current_mode() == 1);
	put("enforce", "");
	CHECK(current_mode() == -1);
	xsnprintf(sel_mount, sizeof(sel_mount), "%s/none", dir);
	CHECK(current_mode() == -1);
}

static void test_mount_search(void)
{
	char line[] = "36 25 0:30 / /sys/fs/selinux rw,relatime shared:7 - selinuxfs selinuxfs rw";
	char other[] = "36 25 0:30 / /sys/fs/cgroup rw,relatime shared:7 - cgroup2 cgroup2 rw";
	char buf[4096];

	CHECK_STR(mountinfo_selinuxfs(line), "/sys/fs/selinux");
	CHECK(mountinfo_selinuxfs(other) == NULL);
	/* no selinuxfs in the kernel: nothing, mountinfo unread */
	sel_default_mount = dir;	/* a directory, not selinuxfs */
	sel_filesystems = put("filesystems", "nodev\tsysfs\nnodev\tproc\n");
	sel_mountinfo = "/nonexistent";
	find_mount(buf, sizeof(buf));
	CHECK_STR(sel_mount, "");
	/* listed and mounted, but the mount point is not selinuxfs: refused */
	sel_filesystems = put("filesystems", "nodev\tsysfs\nnodev\tselinuxfs\n");
	snprintf(buf, sizeof(buf), "36 25 0:30 / %s rw - selinuxfs selinuxfs rw\n", dir);
	sel_mountinfo = put("mountinfo", buf);
	find_mount(buf, sizeof(buf));
	CHECK_STR(sel_mount, "");
	/* the real host: no selinuxfs here, so disabled */
	sel_default_mount = "/sys/fs/selinux";
	sel_filesystems = "/proc/filesystems";
	sel_mountinfo = "/proc/self/mountinfo";
	sel_decide();
	CHECK(!sel_enabled);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/prism-selinux.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_config_mode);
	RUN(test_current_mode);
	RUN(test_mount_search);
	{
		static const char *const files[] = { "config", "enforce", "filesystems", "mountinfo" };
		char p[600];

		for (size_t i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return harness_done();
}
