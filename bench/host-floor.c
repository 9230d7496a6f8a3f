/*
 * host-floor: the floor for one host-exporter scrape — do what a scrape of
 * the exporter does to the file system, and nothing else, in one process,
 * N times, and gzip the bytes it sends; prints the mean time per iteration
 * in microseconds of CPU time (user + system):
 *
 *   ORC_US KEPT_US GZIP_US NFILES NDIRS NFAIL NDUMPS
 *
 *   orc   open, read, close every file; open, list and close every
 *         directory (what a reader without kept descriptors pays:
 *         node_exporter's way);
 *   kept  pread from offset 0 on descriptors kept open for every file that
 *         is on procfs or sysfs (the kernel regenerates those on every read
 *         from 0: fs/seq_file.c, fs/kernfs/file.c), lseek to 0 and list
 *         again on kept directory descriptors there; open/read/close for
 *         the rest (regular files: os-release, udev data, textfiles);
 *   gzip  libdeflate at level 1 (host-exporter's) of the scrape's body.
 *
 * Both also try every open that failed in the trace (a collector looking
 * for /proc/mdstat on a host without md: every reader pays the path walk),
 * stat(2) every path stat'ed and statfs(2) every mount.
 *
 * LIST is what one scrape of the exporter did, taken from strace at bench
 * time (bench/host-exporter-bench.sh), one entry a line:
 *   F path    a file read whole (opened in the scrape or read on a kept
 *             descriptor)
 *   D path    a directory listed
 *   N path    an open that failed (tried again, nothing read)
 *   T path    stat(2)
 *   S path    statfs(2)
 *   L RTM_GETLINK  one rtnetlink link dump (netclass on a real sysfs reads
 *             14 of its 22 attributes per device that way): a socket
 *             opened, the dump read, the socket closed (orc), or a socket
 *             kept between scrapes (kept), as host-exporter keeps it;
 *             the same request (IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS)
 *             and an 8 KiB receive buffer
 *
 * Reads are sized as a sensible reader sizes them: 4 KiB first, the buffer
 * doubled only when a read fills it.  The size matters: /proc/sys handlers
 * (fs/proc/proc_sysctl.c proc_sys_call_handler) allocate and zero a kernel
 * buffer of the requested count, so one 1 MiB read of /proc/sys/fs/file-nr
 * costs ~100 us where a 4 KiB read costs ~0.6 us.
 *
 * usage: host-floor LIST BODY [N]   (N default 300)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#define MAXE 4096
#define PROC_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

struct ent {
	char kind;
	char *path;
	int fd;		/* kept descriptor (kept pass), or -1 */
};

static struct ent ents[MAXE];
static int nents;
static char *buf;
static size_t cap = 4096;

/* Read fd from offset 0 to EOF: 4 KiB chunks, doubling when one fills. */
static void slurp_fd(int fd, int use_pread)
{
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (cap - off < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = use_pread ? pread(fd, buf + off, 4096, (off_t)off) : read(fd, buf + off, 4096);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void list_fd(int fd)
{
	char d[4096] __attribute__((aligned(8)));

	while (getdents64(fd, d, sizeof(d)) > 0)
		;
}

/* CPU time, not wall time: comparable with the exporters' utime+stime and
 * steady on a loaded machine. */
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static bool keepable(int fd)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && (st.f_type == PROC_MAGIC || st.f_type == SYSFS_MAGIC);
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One RTM_GETLINK dump on fd, read to NLMSG_DONE (or an error). */
static void link_dump(int fd)
{
	static unsigned seq;
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		struct nlattr a;
		unsigned mask;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = ++seq },
		.i = { .ifi_family = AF_UNSPEC },
		.a = { .nla_len = NLA_HDRLEN + sizeof(unsigned), .nla_type = IFLA_EXT_MASK },
		.mask = RTEXT_FILTER_SKIP_STATS,
	};
	char b[8192] __attribute__((aligned(4)));

	if (fd < 0 || send(fd, &req, sizeof(req), 0) < 0)
		return;
	for (;;) {
		ssize_t n = recv(fd, b, sizeof(b), 0);
		const struct nlmsghdr *h = (const void *)b;

		if (n <= 0)
			return;
		for (size_t len = (size_t)n; len >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) &&
					     h->nlmsg_len <= len;) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return;
			if (NLMSG_ALIGN(h->nlmsg_len) >= len)
				break;
			len -= NLMSG_ALIGN(h->nlmsg_len);
			h = (const void *)((const char *)h + NLMSG_ALIGN(h->nlmsg_len));
		}
	}
}

static void one(struct ent *e, bool kept)
{
	struct statfs sf;
	struct stat st;
	int fd;

	switch (e->kind) {
	case 'F':
		if (kept && e->fd >= 0) {
			slurp_fd(e->fd, 1);
			return;
		}
		fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0) {
			slurp_fd(fd, 0);
			close(fd);
		}
		return;
	case 'D':
		if (kept && e->fd >= 0) {
			lseek(e->fd, 0, SEEK_SET);
			list_fd(e->fd);
			return;
		}
		fd = open(e->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			list_fd(fd);
			close(fd);
		}
		return;
	case 'N':
		fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
		return;
	case 'T':
		(void)stat(e->path, &st);
		return;
	case 'S':
		(void)statfs(e->path, &sf);
		return;
	case 'L':
		if (kept && e->fd >= 0) {
			link_dump(e->fd);
			return;
		}
		fd = nl_open();
		link_dump(fd);
		if (fd >= 0)
			close(fd);
		return;
	}
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 300, nf = 0, nd = 0, nn = 0, nl = 0;
	struct libdeflate_compressor *z;
	char line[4200], *body, *out;
	size_t blen = 0, bcap = 1 << 16;
	double t0, orc, kept, gz;
	FILE *f;

	if (argc < 3 || n < 1) {
		fprintf(stderr, "usage: host-floor LIST BODY [N]\n");
		return 2;
	}
	buf = malloc(cap);
	f = fopen(argv[1], "r");
	if (!f || !buf) {
		perror(argv[1]);
		return 2;
	}
	while (fgets(line, sizeof(line), f) && nents < MAXE) {
		size_t l = strlen(line);

		if (l < 3 || line[1] != ' ' || !strchr("FDNTSL", line[0]))
			continue;
		if (line[l - 1] == '\n')
			line[--l] = '\0';
		ents[nents].kind = line[0];
		ents[nents].path = strdup(line + 2);
		ents[nents].fd = -1;
		nf += line[0] == 'F';
		nd += line[0] == 'D';
		nn += line[0] == 'N';
		nl += line[0] == 'L';
		nents++;
	}
	fclose(f);
	f = fopen(argv[2], "r");
	body = malloc(bcap);
	if (!f || !body) {
		perror(argv[2]);
		return 2;
	}
	for (size_t got; (got = fread(body + blen, 1, bcap - blen, f)) > 0;) {
		blen += got;
		if (blen == bcap && !(body = realloc(body, bcap *= 2)))
			return 1;
	}
	fclose(f);

	t0 = now_us();
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nents; k++)
			one(&ents[k], false);
	orc = (now_us() - t0) / n;

	for (int k = 0; k < nents; k++) {
		struct ent *e = &ents[k];

		if (e->kind == 'L')
			e->fd = nl_open();
		if (e->kind != 'F' && e->kind != 'D')
			continue;
		e->fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
				      (e->kind == 'D' ? O_DIRECTORY : 0));
		if (e->fd >= 0 && !keepable(e->fd)) {
			close(e->fd);
			e->fd = -1;
		}
	}
	t0 = now_us();
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nents; k++)
			one(&ents[k], true);
	kept = (now_us() - t0) / n;
	/* HOST_FLOOR_TOP=1: the kept pass's cost per entry, on stderr */
	if (getenv("HOST_FLOOR_TOP"))
		for (int k = 0; k < nents; k++) {
			t0 = now_us();
			for (int i = 0; i < n; i++)
				one(&ents[k], true);
			fprintf(stderr, "%8.2f %c%s %s\n", (now_us() - t0) / n, ents[k].kind,
				ents[k].fd >= 0 ? "k" : " ", ents[k].path);
		}

	z = libdeflate_alloc_compressor(1);
	out = malloc(libdeflate_gzip_compress_bound(z, blen));
	if (!z || !out)
		return 1;
	t0 = now_us();
	for (int i = 0; i < n; i++)
		if (libdeflate_gzip_compress(z, body, blen, out, libdeflate_gzip_compress_bound(z, blen)) == 0)
			return 1;
	gz = (now_us() - t0) / n;
	printf("%.1f %.1f %.1f %d %d %d %d\n", orc, kept, gz, nf, nd, nn, nl);
	return 0;
}
