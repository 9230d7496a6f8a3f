/*
 * Unit tests of host-exporter's helpers and collector parsers: tokenisers,
 * PCRE2 flag-regex semantics (Go's RE2 MatchString), device filters, and the
 * collectors on small hand-written /proc files (odd and broken input).
 */
#include <dirent.h>
#include <sys/statfs.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "harness.h"
#include "util.h"

static char root[256];

static void put(const char *rel, const char *content)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = path + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	fputs(content, f);
	fclose(f);
}

/* Run one collector on root; returns its rc, output in out (caller frees). */
static int run(int (*fn)(struct collector_ctx *, struct metrics_writer *), char **out, char *err)
{
	struct rbuf rb[CTX_RBUFS] = { { 0 } };
	struct collector_ctx c = { .cfg = &host_cfg, .deadline_ns = UINT64_MAX / 2 };
	struct buf b;
	struct metrics_writer *w;
	int r;

	for (int i = 0; i < CTX_RBUFS; i++)
		c.rb[i] = &rb[i];
	buf_init(&b, 0);
	w = metrics_writer_new(&b, METRICS_FORMAT_TEXT);
	r = fn(&c, w);
	metrics_writer_finish(w);
	metrics_writer_free(w);
	*out = b.data ? strdup(b.data) : strdup("");
	buf_done(&b);
	if (err)
		strcpy(err, c.err);
	for (int i = 0; i < CTX_RBUFS; i++)
		rbuf_free(&rb[i]);
	return r;
}

static void test_tokens(void)
{
	char s[] = "  a\tbb  ccc ", *f[4];
	uint64_t v[4];

	CHECK_INT(pf_split(s, f, 4), 3);
	CHECK_STR(f[0], "a");
	CHECK_STR(f[2], "ccc");
	CHECK_INT(scan_u64s(" 1 22\t333 x 4", v, 4), 3);
	CHECK_INT(v[2], 333);
	CHECK_INT(scan_u64s("12abc", v, 4), 0);
	CHECK_INT(pf_u64("18446744073709551615", &v[0]), 0);
	CHECK(v[0] == UINT64_MAX);
	CHECK_INT(pf_u64("18446744073709551616", &v[0]), -ERANGE);
	CHECK_INT(pf_u64("-1", &v[0]), -EINVAL);
	CHECK_INT(pf_u64("", &v[0]), -EINVAL);
}

static void test_path(void)
{
	char p[64];

	CHECK_INT(pf_path(p, sizeof(p), "/", "stat"), 0);
	CHECK_STR(p, "/stat");
	CHECK_INT(pf_path(p, sizeof(p), "/proc/", "/net/dev"), 0);
	CHECK_STR(p, "/proc/net/dev");
	CHECK_INT(pf_path(p, 8, "/proc", "net/dev"), -ENAMETOOLONG);
}

static void test_regex(void)
{
	struct host_regex r = { "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$", NULL, NULL };
	struct host_regex un = { "pg.*fault", NULL, NULL };
	struct host_regex bad = { "([a-z", NULL, NULL };
	struct device_filter f = { { NULL, NULL, NULL }, { "^lo$", NULL, NULL } };
	char err[128];

	CHECK_INT(host_regex_compile(&r, err, sizeof(err)), 0);
	CHECK(host_regex_match(&r, "sda1"));
	CHECK(host_regex_match(&r, "nvme0n1p2"));
	CHECK(!host_regex_match(&r, "nvme0n1"));
	CHECK(!host_regex_match(&r, "sda"));
	CHECK(!host_regex_match(&r, "dm-0"));
	/* Go: '$' is the end of text, not before a final newline. */
	CHECK(!host_regex_match(&r, "sda1\n"));
	/* MatchString is unanchored. */
	CHECK_INT(host_regex_compile(&un, err, sizeof(err)), 0);
	CHECK(host_regex_match(&un, "xx_pgmajfault_yy"));
	CHECK_INT(host_regex_compile(&bad, err, sizeof(err)), -EINVAL);
	CHECK(strlen(err) > 0);
	CHECK_INT(host_regex_compile(&f.exclude, err, sizeof(err)), 0);
	CHECK(device_filter_ignored(&f, "lo"));
	CHECK(!device_filter_ignored(&f, "lo0"));
	f.include.src = "^eth";
	CHECK_INT(host_regex_compile(&f.include, err, sizeof(err)), 0);
	CHECK(!device_filter_ignored(&f, "eth0"));	/* include wins */
	CHECK(device_filter_ignored(&f, "wlan0"));
	/* The match memo: answers stay right when asked again, for more
	 * subjects than it keeps (the rest run the regex), and a hash
	 * collision cannot mix subjects (same length, different text). */
	/* It is sized to use: a few subjects keep the smallest table (16
	 * slots), 500 need the largest (1024). */
	{
		struct host_regex few = { r.src, NULL, NULL };

		CHECK_INT(host_regex_compile(&few, err, sizeof(err)), 0);
		CHECK_INT((int)host_regex_memo_slots(&few), 16);
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < 8; i++) {
				char name[32];

				snprintf(name, sizeof(name), i % 2 ? "sd%c1" : "sd%c", 'a' + i);
				CHECK(host_regex_match(&few, name) == (i % 2 == 1));
			}
		CHECK_INT((int)host_regex_memo_slots(&few), 16);
		host_regex_free(&few);
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 1500; i++) {
			char name[32];

			snprintf(name, sizeof(name), i % 2 ? "sd%c%d" : "dm-%c%d", 'a' + i % 26, i);
			CHECK(host_regex_match(&r, name) == (i % 2 == 1));
		}
	CHECK_INT((int)host_regex_memo_slots(&r), 1024);
	CHECK(host_regex_match(&r, "sda1"));
	CHECK(!host_regex_match(&r, "sda"));
	CHECK(!host_regex_match(&r, "sda1\n"));
	host_regex_free(&r);
	host_regex_free(&un);
	host_regex_free(&f.exclude);
	host_regex_free(&f.include);
	host_regex_thread_done();
}

static void test_meminfo(void)
{
	char *out, err[256];

	put("meminfo", "MemTotal: 2 kB\nActive(anon): 1 kB\n\nHugePages_Total: 3\nZswap: 4 kB\nSecPageTables: 0 kB\n");
	CHECK_INT(run(collect_meminfo, &out, NULL), 0);
	CHECK(strstr(out, "node_memory_MemTotal_bytes 2048\n") != NULL);
	CHECK(strstr(out, "node_memory_Active_anon_bytes 1024\n") != NULL);
	CHECK(strstr(out, "# HELP node_memory_Active_anon_bytes Memory information field Active_anon_bytes.\n") != NULL);
	CHECK(strstr(out, "node_memory_HugePages_Total 3\n") != NULL);
	CHECK(strstr(out, "node_memory_Zswap_bytes 4096\n") != NULL);
	CHECK(strstr(out, "node_memory_SecPageTables_bytes 0\n") != NULL);
	free(out);
	put("meminfo", "MemTotal: 2 kB\nBroken: x kB\n");
	CHECK_INT(run(collect_meminfo, &out, err), -EINVAL);
	CHECK(strstr(err, "invalid value") != NULL);
	free(out);
	put("meminfo", "MemTotal: 2 kB extra words\n");
	CHECK_INT(run(collect_meminfo, &out, err), -EINVAL);
	CHECK(strstr(err, "invalid line") != NULL);
	free(out);
}

static void test_cpu(void)
{
	char *out;

	host_cfg.cpu_guest = true;
	put("stat", "cpu  1 2 3 4\ncpu0 100 0 0 0 0 0 0 0 50 25\ncpu1 1 2 3 4\ncpuX 1\n");
	CHECK_INT(run(collect_cpu, &out, NULL), 0);
	CHECK(strstr(out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1\n") != NULL);
	CHECK(strstr(out, "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 0.04\n") != NULL);
	CHECK(strstr(out, "node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"} 0\n") != NULL);
	CHECK(strstr(out, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"} 0.5\n") != NULL);
	CHECK(strstr(out, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"} 0.25\n") != NULL);
	CHECK(strstr(out, "node_cpu_guest_seconds_total{cpu=\"1\",mode=\"nice\"} 0\n") != NULL);
	CHECK(strstr(out, "cpu=\"X\"") == NULL);
	free(out);
	host_cfg.cpu_guest = false;
	CHECK_INT(run(collect_cpu, &out, NULL), 0);
	CHECK(strstr(out, "guest") == NULL);
	free(out);
}

static void test_diskstats(void)
{
	char *out;

	host_cfg.disk_filter = (struct device_filter){ { NULL, NULL, NULL }, { NULL, NULL, NULL } };
	put("diskstats", "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 1 sda1 1 2 3 4\n"
			 "8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n");
	CHECK_INT(run(collect_diskstats, &out, NULL), 0);
	CHECK(strstr(out, "node_disk_read_bytes_total{device=\"sda\"} 1536\n") != NULL);
	CHECK(strstr(out, "node_disk_flush_requests_total{device=\"sdb\"} 16\n") != NULL);
	CHECK(strstr(out, "node_disk_flush_requests_total{device=\"sda\"}") == NULL);
	CHECK(strstr(out, "node_disk_discarded_sectors_total{device=\"sdb\"} 14\n") != NULL);
	CHECK(strstr(out, "sda1") == NULL);
	free(out);
}

static void test_missing(void)
{
	char *out, err[256];

	unlink(strcat(strcpy(err, root), "/loadavg"));
	CHECK_INT(run(collect_loadavg, &out, err), -ENOENT);
	CHECK(strstr(err, "loadavg: No such file") != NULL);
	free(out);
	put("loadavg", "garbage\n");
	CHECK_INT(run(collect_loadavg, &out, err), -EINVAL);
	free(out);
	/* no PSI at all: ErrNoData */
	CHECK_INT(run(collect_pressure, &out, err), -ENODATA);
	free(out);
}

static void test_str_join(void)
{
	char b[8];

	CHECK_INT((int)str_join(b, sizeof(b), "ab", "cd", (char *)NULL), 4);
	CHECK_STR(b, "abcd");
	/* Truncates like snprintf, NUL-terminated, returns the full length. */
	CHECK_INT((int)str_join(b, sizeof(b), "node_", "memory", "_x", (char *)NULL), 13);
	CHECK_STR(b, "node_me");
	CHECK_INT((int)str_join(b, 1, "abc", (char *)NULL), 3);
	CHECK_STR(b, "");
	CHECK_INT((int)str_join(b, sizeof(b), (char *)NULL), 0);
	CHECK_STR(b, "");
}

static uint64_t ctxt_of(struct rbuf *b)
{
	const char *p = strstr(b->data, "\nctxt ");

	return p ? strtoull(p + 6, NULL, 10) : 0;
}

/* The descriptor cache: a kept /proc descriptor re-read from offset 0 gives
 * fresh data; regular files (here: a tree that is not procfs) are opened
 * afresh, so a file replaced by rename is seen at once. */
static void test_fd_cache(void)
{
	struct rbuf b = { 0 };
	char path[PATH_MAX], tmp[PATH_MAX];
	uint64_t c1, c2;
	FILE *f;

	pf_cache_root("/proc");
	CHECK_INT(pf_read_quiet(&b, "/proc/stat"), 0);
	c1 = ctxt_of(&b);
	usleep(20000);	/* at least one context switch */
	CHECK_INT(pf_read_quiet(&b, "/proc/stat"), 0);	/* the kept descriptor */
	c2 = ctxt_of(&b);
	CHECK(c1 > 0 && c2 > c1);
	CHECK_INT(pf_read_quiet(&b, "/proc/no-such-file"), -ENOENT);

	pf_cache_root(root);	/* not procfs: nothing kept */
	snprintf(path, sizeof(path), "%s/replaced", root);
	snprintf(tmp, sizeof(tmp), "%s/replaced.tmp", root);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("one\n", f);
		fclose(f);
	}
	CHECK_INT(pf_read_quiet(&b, path), 0);
	CHECK_STR(b.data, "one\n");
	f = fopen(tmp, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("two\n", f);
		fclose(f);
	}
	CHECK_INT(rename(tmp, path), 0);
	CHECK_INT(pf_read_quiet(&b, path), 0);
	CHECK_STR(b.data, "two\n");
	pf_cache_root(NULL);
	pf_cache_close();
	rbuf_free(&b);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Kept sysfs descriptors: only below <sysfs>/devices/system (CPU and
 * clocksource attributes), only on a real sysfs; fresh data on each read
 * (the clocksource name read twice agrees with a fresh open). */
static void test_fd_cache_sysfs(void)
{
	static const char cs[] = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
	struct rbuf b = { 0 }, fresh = { 0 };
	struct statfs st;
	char net[PATH_MAX] = "";
	DIR *d;
	struct dirent *de;
	int n0, n1;

	if (statfs("/sys", &st) < 0 || st.f_type != 0x62656572 || access(cs, R_OK) < 0) {
		SKIP("no sysfs clocksource");
		return;
	}
	pf_cache_root(NULL);
	pf_cache_sysfs(NULL);	/* off: nothing kept */
	n0 = open_fds();
	CHECK_INT(pf_read_quiet(&b, cs), 0);
	CHECK_INT(open_fds(), n0);
	pf_cache_sysfs("/sys");
	CHECK_INT(pf_read_quiet(&b, cs), 0);	/* opened and kept */
	n1 = open_fds();
	CHECK_INT(n1, n0 + 1);
	CHECK_INT(pf_read_quiet(&b, cs), 0);	/* the kept descriptor */
	CHECK_INT(open_fds(), n1);
	CHECK_INT(pf_read_quiet(&fresh, cs), 0);
	CHECK_STR(b.data, fresh.data);
	CHECK(b.len > 1 && b.data[b.len - 1] == '\n');
	/* class/net paths name devices that can be renamed: never kept */
	d = opendir("/sys/class/net");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(net, sizeof(net), "/sys/class/net/%s/mtu", de->d_name);
			break;
		}
	if (d)
		closedir(d);
	if (*net) {
		CHECK_INT(pf_read_quiet(&b, net), 0);
		CHECK_INT(open_fds(), n1);
	}
	CHECK_INT(pf_read_quiet(&b, "/sys/devices/system/no-such-file"), -ENOENT);
	pf_cache_sysfs(NULL);
	pf_cache_close();
	rbuf_free(&b);
	rbuf_free(&fresh);
}

/* netstat's names-line memo: the second and later scrapes (memo hits)
 * give the same output as the first; another regex is not answered from
 * the first one's memo; a changed header line is not either; and a bad
 * value in an unexported field still fails the collector on a memo hit. */
static void test_netstat_memo(void)
{
	static const char netstat[] =
		"TcpExt: SyncookiesSent ListenDrops Other\nTcpExt: 1 2 3\n"
		"IpExt: InOctets OutOctets\nIpExt: 10 20\n";
	char *out1, *out2, *out3, err[256];

	put("net/netstat", netstat);
	put("net/snmp", "Udp: InDatagrams NoPorts InErrors\nUdp: 5 6 7\n");
	put("net/snmp6", "Udp6InDatagrams 8\nIp6InOctets 9\n");
	host_cfg.netstat_fields.src = "^(.*_(InErrors|InErrs)|Ip(6|Ext)_(InOctets|OutOctets)|TcpExt_(Listen.*|Syncookies.*)|Udp6?_(InDatagrams|NoPorts))$";
	CHECK_INT(host_regex_compile(&host_cfg.netstat_fields, err, sizeof(err)), 0);
	CHECK_INT(run(collect_netstat, &out1, NULL), 0);
	CHECK_INT(run(collect_netstat, &out2, NULL), 0);
	CHECK_STR(out2, out1);
	CHECK(strstr(out1, "node_netstat_TcpExt_ListenDrops 2\n") != NULL);
	CHECK(strstr(out1, "node_netstat_TcpExt_SyncookiesSent 1\n") != NULL);
	CHECK(strstr(out1, "node_netstat_TcpExt_Other") == NULL);
	CHECK(strstr(out1, "node_netstat_IpExt_OutOctets 20\n") != NULL);
	CHECK(strstr(out1, "node_netstat_Udp_InErrors 7\n") != NULL);
	CHECK(strstr(out1, "node_netstat_Ip6_InOctets 9\n") != NULL);
	free(out2);
	/* another regex: its own answers */
	host_regex_free(&host_cfg.netstat_fields);
	host_cfg.netstat_fields.src = "^TcpExt_Other$";
	CHECK_INT(host_regex_compile(&host_cfg.netstat_fields, err, sizeof(err)), 0);
	CHECK_INT(run(collect_netstat, &out2, NULL), 0);
	CHECK(strstr(out2, "node_netstat_TcpExt_Other 3\n") != NULL);
	CHECK(strstr(out2, "ListenDrops") == NULL);
	free(out2);
	host_regex_free(&host_cfg.netstat_fields);
	host_cfg.netstat_fields.src = "^(.*_(InErrors|InErrs)|Ip(6|Ext)_(InOctets|OutOctets)|TcpExt_(Listen.*|Syncookies.*)|Udp6?_(InDatagrams|NoPorts))$";
	CHECK_INT(host_regex_compile(&host_cfg.netstat_fields, err, sizeof(err)), 0);
	/* a header with the fields in another order: not the memo's line */
	put("net/netstat", "TcpExt: Other ListenDrops SyncookiesSent\nTcpExt: 3 2 1\n");
	CHECK_INT(run(collect_netstat, &out3, NULL), 0);
	CHECK(strstr(out3, "node_netstat_TcpExt_ListenDrops 2\n") != NULL);
	CHECK(strstr(out3, "node_netstat_TcpExt_Other") == NULL);
	free(out3);
	/* memo hit, bad value in a field nobody exports: still an error */
	put("net/netstat", "TcpExt: SyncookiesSent ListenDrops Other\nTcpExt: 1 2 x\n");
	CHECK_INT(run(collect_netstat, &out3, err), -EINVAL);
	CHECK(strstr(err, "invalid value x") != NULL);
	free(out3);
	put("net/netstat", netstat);
	CHECK_INT(run(collect_netstat, &out3, NULL), 0);
	CHECK_STR(out3, out1);
	free(out1);
	free(out3);
	host_regex_free(&host_cfg.netstat_fields);
	host_cfg.netstat_fields.src = NULL;
	host_regex_thread_done();
}

int main(void)
{
	char tmpl[] = "/tmp/host-unit.XXXXXX";
	char cmd[300];

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(root, sizeof(root), "%s", tmpl);
	host_cfg.procfs = root;
	host_cfg.sysfs = root;
	host_cfg.rootfs = root;
	RUN(test_tokens);
	RUN(test_path);
	RUN(test_regex);
	RUN(test_str_join);
	RUN(test_fd_cache);
	RUN(test_fd_cache_sysfs);
	RUN(test_meminfo);
	RUN(test_cpu);
	RUN(test_diskstats);
	RUN(test_missing);
	RUN(test_netstat_memo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	return harness_done();
}
