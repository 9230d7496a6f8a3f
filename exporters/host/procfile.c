/*
 * procfile: read /proc and /sys files fresh into reused per-worker buffers
 * (netdata's procfile idea: pread from offset 0 into a buffer that only
 * grows), plus the small tokenisers and the PCRE2 wrappers the collectors
 * share.
 *
 * /proc files are seq_files: each read(2) at offset 0 regenerates them, so
 * reading them whole with pread is a fresh, self-consistent snapshot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

#define RBUF_MIN 8192
#define RBUF_MAX (64u << 20)

int ctx_error(struct collector_ctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c && !c->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	return err;
}

void rbuf_free(struct rbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->cap = b->len = 0;
}

int rbuf_reserve(struct rbuf *b, size_t want)
{
	size_t cap = b->cap ? b->cap : RBUF_MIN;
	char *p;

	while (cap < want)
		cap *= 2;
	if (cap > RBUF_MAX + 1)
		return -EFBIG;
	if (cap == b->cap)
		return 0;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int pf_path(char *out, size_t size, const char *root, const char *rel)
{
	size_t rl = strlen(root);
	int n;

	/* "/" + "/stat" must not become "//stat" (it would still work, but
	 * the rootfs prefix stripping compares strings). */
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	while (*rel == '/')
		rel++;
	n = snprintf(out, size, "%.*s/%s", (int)rl, root, rel);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * pread the whole of fd from offset 0 into b (NUL-terminated), at most
 * chunk bytes per call.  The count matters for /proc/sys files: their
 * handler (fs/proc/proc_sysctl.c proc_sys_call_handler) allocates and
 * zeroes a kernel buffer of the requested count on every read, so they are
 * read 4 KiB at a time, not with the whole (grown) buffer.  seq_file and
 * sysfs reads cost the same whatever the count.
 */
/* read_fd's short_eof: ONE_WHOLE, a short read is the end; ONE_PAGE, a
 * short read under a page is (sysfs: a text attribute is at most a page
 * less one byte, a binary one hands out a page per read); ONE_REC, a short
 * read of at most REC_EOF bytes is (a seq_file made record by record whose
 * records are shorter than REC_MAX: see one_read()); ONE_TAIL, a short read
 * whose last line starts as the last line did at the end of the previous
 * whole read (vmstat: a list of items fixed at build time). */
enum { ONE_NO, ONE_WHOLE, ONE_PAGE, ONE_REC, ONE_TAIL };

/* The smallest page (seq_file's first buffer) less the longest record of
 * the ONE_REC files. */
#define REC_PAGE 4096u
#define REC_MAX 512u
#define REC_EOF (REC_PAGE - REC_MAX)

/* ONE_TAIL: a hash of the last line's name (up to its first blank) seen at
 * a confirmed end, 0 = none yet.  One file (vmstat) uses it. */
static _Atomic uint64_t tail_hash;

static uint64_t line_name_hash(const char *text, size_t len)
{
	uint64_t h = 1469598103934665603u;
	size_t s;

	if (len == 0 || text[len - 1] != '\n')
		return 0;
	for (s = len - 1; s > 0 && text[s - 1] != '\n'; s--)
		;
	for (; s < len && text[s] != ' ' && text[s] != '\n'; s++)
		h = (h ^ (unsigned char)text[s]) * 1099511628211u;
	return h ? h : 1;
}

static int read_fd(int fd, struct rbuf *b, size_t chunk, int short_eof)
{
	size_t off = 0, want;
	ssize_t n;
	int r;

	r = rbuf_reserve(b, RBUF_MIN);
	if (r < 0)
		return r;
	for (;;) {
		if (b->cap - off < 2) {
			r = rbuf_reserve(b, b->cap * 2);
			if (r < 0)
				return r;
		}
		want = b->cap - off - 1 < chunk ? b->cap - off - 1 : chunk;
		n = pread(fd, b->data + off, want, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		if ((size_t)n < want) {
			/* the whole text came in this read (one_read()) */
			if (short_eof == ONE_WHOLE || (short_eof == ONE_PAGE && n < 4096) ||
			    (short_eof == ONE_REC && (size_t)n <= REC_EOF))
				break;
			if (short_eof == ONE_TAIL &&
			    line_name_hash(b->data, off) == atomic_load_explicit(&tail_hash, memory_order_relaxed))
				break;
		}
	}
	if (short_eof == ONE_TAIL)
		atomic_store_explicit(&tail_hash, line_name_hash(b->data, off), memory_order_relaxed);
	b->data[off] = '\0';
	b->len = off;
	return 0;
}

/*
 * The descriptor cache: procfs files stay open and are re-read with pread
 * from offset 0, which makes the kernel regenerate them (seq_file restarts
 * at position 0: fs/seq_file.c seq_read_iter(); /proc/sys handlers run on
 * every read: fs/proc/proc_sysctl.c), so the data is as fresh as after a
 * new open while the path walk, open and close (27 of 41 opens of a scrape
 * here) are gone.  Only files that fstatfs(2) shows on procfs are kept:
 * regular files (os-release, udev data, textfiles, fixture trees) are
 * replaced by rename and a kept descriptor would read the old inode; sysfs
 * attributes would regenerate too (fs/kernfs/file.c), but their paths name
 * devices that can be renamed or replaced (a kept
 * class/net/eth0/statistics/... descriptor follows the device, not the
 * name), so they are opened afresh.
 *
 * A slot is published once (path, under cache_mu) and never freed; its
 * descriptor is used by one reader at a time (the busy flag, taken with a
 * try: a second concurrent scrape opens the file itself instead of
 * waiting, so scrapes stay parallel and a reader stuck in a hung sysfs read
 * holds up nobody).  A read error (a removed network device's attributes
 * answer ENODEV) closes the descriptor and the read is retried once with a
 * fresh open.
 *
 * One sysfs subtree is kept too (pf_cache_sysfs(), when --path.sysfs is a
 * real sysfs): <sysfs>/devices/system/, whose paths name CPUs and
 * clocksources, which are never renamed.  A CPU that goes offline takes its
 * attributes with it: the kept descriptor then reads ENODEV (kernfs
 * deactivates the node: fs/kernfs/file.c) and the path is opened afresh,
 * finding the new node when the CPU is back.  The cpu collector reads ~4
 * attributes per CPU here; a path walk through sysfs costs more than the
 * read (kernfs_dop_revalidate, __d_lookup in perf).
 *
 * At most FDC_MAX paths (hosts with many CPUs and devices read the rest the
 * old way).
 */
#define FDC_SLOTS 1024u	/* power of two, twice FDC_MAX */
#define FDC_MAX 512u
#define PROC_MAGIC 0x9fa0	/* statfs(2) */
#define SYSFS_MAGIC 0x62656572

struct fdc_slot {
	_Atomic(char *) path;	/* NULL = free */
	_Atomic bool busy;
	int fd;			/* under busy; -1 = reopen, -2 = never cache */
};

static struct fdc_slot fdc[FDC_SLOTS];
static unsigned fdc_used;	/* under fdc_mu */
static pthread_mutex_t fdc_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *fdc_root;	/* set before the first scrape */
static size_t fdc_rootlen;

void pf_cache_root(const char *procfs)
{
	struct statfs st;

	fdc_root = NULL;
	/* Only a real procfs root: fixture trees are read fresh. */
	if (!procfs || statfs(procfs, &st) < 0 || st.f_type != PROC_MAGIC)
		return;
	fdc_root = procfs;
	fdc_rootlen = strlen(procfs);
	while (fdc_rootlen > 1 && procfs[fdc_rootlen - 1] == '/')
		fdc_rootlen--;
}

/* "<sysfs>/devices/system": CPU and clocksource attributes (see below). */
static char fdc_sys[PATH_MAX];
static size_t fdc_syslen;

void pf_cache_sysfs(const char *sysfs)
{
	fdc_syslen = 0;
	if (!sysfs || pf_path(fdc_sys, sizeof(fdc_sys), sysfs, "devices/system") < 0)
		return;
	fdc_syslen = strlen(fdc_sys);
}

void pf_cache_close(void)
{
	/* Descriptors only: the paths stay (reachable) because a late worker
	 * may still look a path up; it then simply reopens. */
	for (size_t i = 0; i < FDC_SLOTS; i++) {
		struct fdc_slot *e = &fdc[i];
		bool idle = false;

		if (!atomic_load(&e->path))
			continue;
		/* A slot held by a worker stuck in a hung read is left alone. */
		if (!atomic_compare_exchange_strong(&e->busy, &idle, true))
			continue;
		if (e->fd >= 0) {
			close(e->fd);
			e->fd = -1;
		}
		atomic_store(&e->busy, false);
	}
}

static bool fdc_candidate(const char *path)
{
	return (fdc_root && strncmp(path, fdc_root, fdc_rootlen) == 0 && path[fdc_rootlen] == '/') ||
	       (fdc_syslen && strncmp(path, fdc_sys, fdc_syslen) == 0 && path[fdc_syslen] == '/');
}

#define PROC_SYS_CHUNK 4096u

/* The read size for path (see read_fd): 4 KiB under <procfs>/sys/. */
static size_t read_chunk(const char *path)
{
	return fdc_candidate(path) && strncmp(path + fdc_rootlen, "/sys/", 5) == 0 ? PROC_SYS_CHUNK
										   : SIZE_MAX;
}

/*
 * Files a single read returns whole whenever the buffer is larger, so a
 * short read is their end and the read that would return 0 is skipped (a
 * system call each, ~25 per default scrape here, one per sensor file on a
 * host with hwmon; in a paravirtualised guest the system call itself costs
 * more than these reads' work).  Only below a real procfs or sysfs (the
 * roots the cache below knows), and only where the kernel makes the whole
 * text in one go: <procfs>/sys/ (fs/proc/proc_sysctl.c
 * proc_sys_call_handler: one handler call per read), the procfs files built
 * by single_open() (fs/seq_file.c: one record holding the whole text, the
 * buffer grown until it fits), and attributes under <sysfs>/class/ and
 * <sysfs>/devices/ (fs/kernfs/file.c: a text attribute is one show of at
 * most a page less one byte; a binary one hands out at most a page per
 * read, so there only a short read under a page is the end: ONE_PAGE).
 * Files made record by record hand out at most a page per read: those with
 * short records end at a short read well under a page (ONE_REC), vmstat at
 * a short read ending in its last item (ONE_TAIL); the mount tables and
 * everything outside a kept procfs/sysfs are read until a read returns 0.
 * The reads saved there cost as much as the text: vmstat's and udp's seq
 * start makes the whole table again (~10 us each here).
 */
static int one_read(const char *path)
{
	/* proc_create_single / single_open / single_open_size /
	 * proc_create_net_single / psi_open, below <procfs>/ */
	static const char *const single[] = {
		"loadavg", "meminfo", "stat", "pressure/cpu", "pressure/io", "pressure/memory",
		"pressure/irq", "net/sockstat", "net/sockstat6", "net/snmp", "net/snmp6",
		"net/netstat",
	};
	/*
	 * seq_files made record by record (start/next/show) whose records
	 * are shorter than REC_MAX bytes: fs/seq_file.c seq_read_iter() ends
	 * a read short of the count only at the end of the records or when
	 * the next record does not fit in what is left of its buffer (a page
	 * at first, grown only for a record longer than that); so a short
	 * read of at most a page less REC_MAX bytes is the end.  Longest
	 * records: diskstats ~470 bytes (a 32-byte name, 20 u64 fields),
	 * net/dev ~390 (16 u64), udp/udp6 ~170, arp ~200 (a 32-byte hardware
	 * address in hex), softnet_stat and stat/nf_conntrack ~150 (%08x
	 * fields).  The mount tables are not here (a mount's options have no
	 * bound), nor vmstat (ONE_TAIL: over 3.5 kB, its lines are ~50 bytes
	 * but no bound is written down).
	 */
	static const char *const rec[] = {
		"diskstats", "net/dev", "net/udp", "net/udp6", "net/arp", "net/softnet_stat",
		"net/stat/nf_conntrack",
	};
	/* <sysfs> is fdc_sys less "/devices/system" (set only for a real sysfs) */
	size_t sl = fdc_syslen ? fdc_syslen - (sizeof("/devices/system") - 1) : 0;
	const char *rel;

	/* class/ and devices/ only: other filesystems are mounted elsewhere
	 * under /sys (cgroup, debugfs, tracefs, bpf), whose seq_files may
	 * hand out less than a page before their end */
	if (fdc_syslen && strncmp(path, fdc_sys, sl) == 0 &&
	    (strncmp(path + sl, "/class/", 7) == 0 || strncmp(path + sl, "/devices/", 9) == 0))
		return ONE_PAGE;
	if (!fdc_root || strncmp(path, fdc_root, fdc_rootlen) != 0 || path[fdc_rootlen] != '/')
		return ONE_NO;
	rel = path + fdc_rootlen + 1;
	if (strncmp(rel, "sys/", 4) == 0)
		return ONE_WHOLE;
	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (strcmp(rel, single[i]) == 0)
			return ONE_WHOLE;
	for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++)
		if (strcmp(rel, rec[i]) == 0)
			return ONE_REC;
	if (strcmp(rel, "vmstat") == 0)
		return ONE_TAIL;
	return ONE_NO;
}

static size_t fdc_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)(h ^ (h >> 29));
}

/* The slot of path, or NULL. */
static struct fdc_slot *fdc_find(const char *path, size_t h)
{
	for (size_t k = 0; k < FDC_SLOTS; k++) {
		struct fdc_slot *e = &fdc[(h + k) & (FDC_SLOTS - 1)];
		const char *p = atomic_load_explicit(&e->path, memory_order_acquire);

		if (!p)
			return NULL;
		if (strcmp(p, path) == 0)
			return e;
	}
	return NULL;
}

/* Publish path with fd (taking it over) unless full or present: the slot
 * (busy, held by the caller) or NULL (the caller keeps fd). */
static struct fdc_slot *fdc_insert(const char *path, size_t h, int fd)
{
	struct fdc_slot *e = NULL;
	char *copy;

	pthread_mutex_lock(&fdc_mu);
	if (fdc_used >= FDC_MAX || fdc_find(path, h))
		goto out;
	copy = strdup(path);
	if (!copy)
		goto out;
	for (size_t k = 0; k < FDC_SLOTS; k++) {
		e = &fdc[(h + k) & (FDC_SLOTS - 1)];
		if (!atomic_load(&e->path))
			break;
	}
	e->fd = fd;
	atomic_store(&e->busy, true);
	atomic_store_explicit(&e->path, copy, memory_order_release);
	fdc_used++;
out:
	pthread_mutex_unlock(&fdc_mu);
	return e;
}

static int open_path(const char *path)
{
	/* Blocking open on purpose: a hung source (a FIFO, a stuck sysfs
	 * attribute) is what the per-collector deadline is for. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

static int read_quiet(struct rbuf *b, const char *path)
{
	struct fdc_slot *e = NULL;
	struct statfs st;
	size_t h = 0, chunk = read_chunk(path);
	int fd, r;

	if (fdc_candidate(path)) {
		bool idle = false;

		h = fdc_hash(path);
		e = fdc_find(path, h);
		if (e && atomic_compare_exchange_strong(&e->busy, &idle, true)) {
			if (e->fd == -2) {
				atomic_store(&e->busy, false);
				e = NULL;
				goto uncached;
			}
			if (e->fd >= 0) {
				r = read_fd(e->fd, b, chunk, one_read(path));
				if (r == 0 || r == -ENOMEM || r == -EFBIG) {
					atomic_store(&e->busy, false);
					return r;
				}
				close(e->fd);
				e->fd = -1;
			}
			/* Reopen (the device may be back, or replaced). */
			fd = open_path(path);
			if (fd < 0) {
				atomic_store(&e->busy, false);
				return fd;
			}
			e->fd = fd;
			r = read_fd(fd, b, chunk, one_read(path));
			atomic_store(&e->busy, false);
			return r;
		}
		if (e)
			goto uncached;	/* in use by a concurrent scrape */
		/* Not seen yet: open, and keep it if it is procfs/sysfs. */
		fd = open_path(path);
		if (fd < 0)
			return fd;
		if (fstatfs(fd, &st) == 0 &&
		    (st.f_type == PROC_MAGIC || (st.f_type == SYSFS_MAGIC && fdc_syslen))) {
			e = fdc_insert(path, h, fd);
			if (e) {
				r = read_fd(fd, b, chunk, one_read(path));
				atomic_store(&e->busy, false);
				return r;
			}
		} else if ((e = fdc_insert(path, h, -2)) != NULL) {
			atomic_store(&e->busy, false);	/* remembered: never cache */
		}
		r = read_fd(fd, b, chunk, one_read(path));
		close(fd);
		return r;
	}
uncached:
	fd = open_path(path);
	if (fd < 0)
		return fd;
	r = read_fd(fd, b, chunk, one_read(path));
	close(fd);
	return r;
}

/*
 * Absent paths that only a module's load (or the boot) makes appear: the
 * roots of subsystems the default collectors probe on every scrape
 * (/proc/mdstat, /sys/class/nvme, /sys/fs/bcache, ...: 20 failed opens of
 * a default scrape here, each a path walk and ~2.5 us in a paravirtualised
 * guest).  An open of one of them that fails with ENOENT is remembered
 * with the generation of the loaded modules it saw; later opens answer
 * ENOENT without a system call until that generation changes.  The
 * generation: the names and states of <procfs>/modules (a module's init
 * runs while it is listed "Loading" and makes its /proc and /sys entries
 * then; "Live" afterwards changes the generation again), read at most
 * every GEN_NS on a kept descriptor; on a kernel without modules (no
 * <procfs>/modules) it never changes.  Only below a real procfs/sysfs
 * root, and only the paths listed in gated() that are created when their
 * subsystem initialises, never by a device or a process appearing.
 */
#define GATE_SLOTS 64u		/* power of two */
#define GATE_KEY_MAX 256	/* longer paths are not gated (64 KiB helper-thread stacks) */
#define GEN_NS 100000000	/* 100 ms: one scrape's collectors share one read */
#define GEN_STATIC 1u		/* no modules: the set never changes */

struct gate_slot {
	_Atomic(char *) path;	/* NULL = free; published once */
	_Atomic uint64_t gen;	/* absent at this generation; 0 = not known absent */
};

static struct gate_slot gates[GATE_SLOTS];
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t gen_val;	/* the last generation read, 0 = none */
static _Atomic int64_t gen_at;		/* CLOCK_MONOTONIC_COARSE ns of gen_val */
static _Atomic bool gen_busy;
static struct rbuf gen_buf;		/* under gen_busy */

static int64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The modules' generation, or 0 (unknown: open as usual). */
static uint64_t gen_now(void)
{
	char path[GATE_KEY_MAX];
	uint64_t v = atomic_load_explicit(&gen_val, memory_order_acquire), h;
	int64_t now;
	bool idle = false;
	int r;

	if (v == GEN_STATIC)
		return v;
	now = coarse_ns();
	if (v && now - atomic_load_explicit(&gen_at, memory_order_relaxed) < GEN_NS)
		return v;
	if (!atomic_compare_exchange_strong(&gen_busy, &idle, true))
		return 0;	/* another thread reads it now */
	if (pf_path(path, sizeof(path), fdc_root, "modules") < 0) {
		v = 0;
		goto out;
	}
	r = pf_read_quiet(&gen_buf, path);
	if (r == -ENOENT) {
		v = GEN_STATIC;	/* CONFIG_MODULES=n (kernel/module/procfs.c) */
		goto out;
	}
	if (r < 0) {
		v = 0;
		goto out;
	}
	/* "name size refcount users state address": name and state */
	h = 1469598103934665603u;
	for (char *cur = gen_buf.data, *line; (line = pf_next_line(&cur)) != NULL;) {
		char *f[6];
		size_t nf = pf_split(line, f, 6);

		h = (h ^ pf_hash(f[0], nf ? strlen(f[0]) : 0)) * 1099511628211u;
		if (nf >= 5)
			h = (h ^ pf_hash(f[4], strlen(f[4]))) * 1099511628211u;
	}
	v = h > GEN_STATIC ? h : h + 2;
	atomic_store_explicit(&gen_at, now, memory_order_relaxed);
out:
	atomic_store_explicit(&gen_val, v, memory_order_release);
	atomic_store(&gen_busy, false);
	return v;
}

/* path's key in gates[] (written to key), or false when path is not one
 * of those only a module or the boot creates. */
static bool gated(const char *path, char *key, size_t keysize)
{
	/* below <procfs>/ */
	static const char *const proc[] = {
		"schedstat",		/* CONFIG_SCHEDSTATS (kernel/sched/stats.c) */
		"mdstat",		/* md_mod */
		"net/rpc/nfs",		/* nfs */
		"net/rpc/nfsd",		/* nfsd */
		"net/ip_vs_stats",	/* ip_vs */
		"spl/kstat/zfs",	/* spl/zfs */
	};
	/* below <sysfs>/: class and file system directories registered by
	 * their subsystem's init, bonding's per-namespace bonding_masters
	 * (bond_net_init, at module load for every namespace) */
	static const char *const sys[] = {
		"class/nvme", "class/hwmon", "class/infiniband", "class/fc_host", "class/powercap",
		"class/scsi_tape", "class/net/bonding_masters", "devices/system/edac/mc",
		"fs/bcache",
	};
	/* <sysfs> is fdc_sys less "/devices/system" (set only for a real sysfs) */
	size_t sl = fdc_syslen ? fdc_syslen - (sizeof("/devices/system") - 1) : 0;
	const char *rel;

	if (fdc_root && strncmp(path, fdc_root, fdc_rootlen) == 0 && path[fdc_rootlen] == '/') {
		rel = path + fdc_rootlen + 1;
		for (size_t i = 0; i < sizeof(proc) / sizeof(proc[0]); i++)
			if (strcmp(rel, proc[i]) == 0)
				return snprintf(key, keysize, "%s", path) < (int)keysize;
	}
	if (!fdc_root || !sl || strncmp(path, fdc_sys, sl) != 0 || path[sl] != '/')
		return false;
	rel = path + sl + 1;
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcmp(rel, sys[i]) == 0)
			return snprintf(key, keysize, "%s", path) < (int)keysize;
	/*
	 * devices/system/cpu/cpuN/thermal_throttle/{core,package}_throttle_count:
	 * x86's therm_throt.c adds the group to each CPU as it comes online
	 * if the boot found the feature (therm_throt_en), the package count
	 * if the CPU has PTS.  The boot CPU stays online (x86 since 6.5), so
	 * cpu0's file missing means every CPU's is, for good: cpu0's path is
	 * the key of all.
	 */
	if (strncmp(rel, "devices/system/cpu/cpu", 22) == 0) {
		const char *p = rel + 22, *f;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == rel + 22 || strncmp(p, "/thermal_throttle/", 18) != 0)
			return false;
		f = p + 18;
		if (strcmp(f, "core_throttle_count") != 0 && strcmp(f, "package_throttle_count") != 0)
			return false;
		return snprintf(key, keysize, "%.*s/devices/system/cpu/cpu0/thermal_throttle/%s", (int)sl,
				path, f) < (int)keysize;
	}
	return false;
}

static struct gate_slot *gate_find(const char *key)
{
	size_t h = fdc_hash(key);

	for (size_t k = 0; k < GATE_SLOTS; k++) {
		struct gate_slot *g = &gates[(h + k) & (GATE_SLOTS - 1)];
		const char *p = atomic_load_explicit(&g->path, memory_order_acquire);

		if (!p)
			return NULL;
		if (strcmp(p, key) == 0)
			return g;
	}
	return NULL;
}

int pf_gate(const char *path, uint64_t *ret_gen)
{
	char key[GATE_KEY_MAX];
	struct gate_slot *g;
	uint64_t gen;

	*ret_gen = 0;
	if (!fdc_root || !gated(path, key, sizeof(key)))
		return 0;
	if ((gen = gen_now()) == 0)
		return 0;
	g = gate_find(key);
	if (g && atomic_load_explicit(&g->gen, memory_order_relaxed) == gen)
		return -ENOENT;
	*ret_gen = gen;
	return 0;
}

void pf_gate_note(const char *path, uint64_t gen, int err)
{
	char key[GATE_KEY_MAX];
	struct gate_slot *g;
	size_t h;

	if (!gen || !gated(path, key, sizeof(key)))
		return;
	/* only the key's own path proves it absent (thermal_throttle: cpu0) */
	if (strcmp(key, path) != 0)
		return;
	if ((g = gate_find(key)) != NULL) {
		atomic_store_explicit(&g->gen, err == -ENOENT ? gen : 0, memory_order_relaxed);
		return;
	}
	if (err != -ENOENT)
		return;
	pthread_mutex_lock(&gate_mu);
	if (!(g = gate_find(key))) {
		char *copy = strdup(key);

		h = fdc_hash(key);
		for (size_t k = 0; copy && k < GATE_SLOTS; k++) {
			struct gate_slot *e = &gates[(h + k) & (GATE_SLOTS - 1)];

			if (!atomic_load(&e->path)) {
				atomic_store_explicit(&e->gen, gen, memory_order_relaxed);
				atomic_store_explicit(&e->path, copy, memory_order_release);
				copy = NULL;
				break;
			}
		}
		free(copy);	/* full: opened every time */
	} else {
		atomic_store_explicit(&g->gen, gen, memory_order_relaxed);
	}
	pthread_mutex_unlock(&gate_mu);
}

int pf_read_quiet(struct rbuf *b, const char *path)
{
	uint64_t gen;
	int r = pf_gate(path, &gen);

	if (r < 0)
		return r;
	r = read_quiet(b, path);
	pf_gate_note(path, gen, r);
	return r;
}

int pf_open_dir(const char *path)
{
	uint64_t gen;
	int fd = pf_gate(path, &gen);

	if (fd < 0)
		return fd;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	pf_gate_note(path, gen, fd < 0 ? fd : 0);
	return fd;
}

DIR *pf_opendir(const char *path)
{
	uint64_t gen;
	int r = pf_gate(path, &gen);
	DIR *d;

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	d = opendir(path);
	r = d ? 0 : -errno;
	pf_gate_note(path, gen, r);
	if (!d)
		errno = -r;
	return d;
}

static int read_described(struct collector_ctx *c, struct rbuf *b, const char *root,
			  const char *rel, bool optional)
{
	char path[PATH_MAX];
	int r;

	r = pf_path(path, sizeof(path), root, rel);
	if (r < 0)
		return ctx_error(c, r, "path too long: %s/%s", root, rel);
	r = pf_read_quiet(b, path);
	if (r == -ENOENT && optional)
		return r;
	if (r < 0)
		return ctx_error(c, r, "read %s: %s", path, strerror(-r));
	return 0;
}

int pf_read(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel)
{
	return read_described(c, b, root, rel, false);
}

int pf_read_optional(struct collector_ctx *c, struct rbuf *b, const char *root, const char *rel)
{
	return read_described(c, b, root, rel, true);
}

char *pf_next_line(char **cursor)
{
	char *s = *cursor, *nl;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

/* 1: blank (space, tab); 2: NUL.  One table load per byte instead of three
 * compares: pf_split walks every byte of netstat/vmstat (~15 KB a scrape). */
static const unsigned char split_class[256] = { [' '] = 1, ['\t'] = 1, ['\0'] = 2 };

size_t pf_split(char *s, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		while (split_class[(unsigned char)*s] == 1)
			s++;
		if (!*s)
			break;
		fields[n++] = s;
		while (!split_class[(unsigned char)*s])
			s++;
		if (!*s)
			break;
		*s++ = '\0';
	}
	return n;
}

int pf_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

int pf_double(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	/* strtod is locale-dependent only for the decimal point; the daemon
	 * never calls setlocale, so it is "C". */
	errno = 0;
	v = strtod(s, &end);
	if (*end || (errno == ERANGE && !isinf(v) && v != 0))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* ---- regexes ---- */

static __thread pcre2_match_data *tls_md;
/* Frees tls_md when a thread that never called host_regex_thread_done()
 * exits (the HTTP server's threads run inline collectors). */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
	pcre2_match_data_free(md);
}

static void md_key_init(void)
{
	(void)pthread_key_create(&md_key, md_free);
}

/*
 * The match memo: an open-addressing table of immutable entries, each
 * published once by compare-and-swap and freed only with the regex.  The
 * field filters (vmstat, netstat: ~500 names) and device/mount excludes
 * see the same subjects every scrape; perf put PCRE2 (JIT included) at ~5%
 * of a scrape's CPU before.  Bounded: past MEMO_MAX subjects (device churn:
 * veth pairs) the regex runs every time.
 *
 * Sized to use: a table starts with MEMO_MIN slots and, half full, is
 * replaced by one twice its size holding the same entries (published by
 * compare-and-swap; a lookup in the old one still answers right, and an
 * entry added to it meanwhile is only added again to the new one).  Old
 * tables stay until the regex is freed (lookups may be in them): at most
 * as much again as the last one.  Eleven 1024-slot tables were 90 kB of
 * host-exporter's anonymous memory; most filters see a few devices.
 */
#define MEMO_MIN 16u		/* power of two */
#define MEMO_SLOTS 1024u	/* the largest table */
#define MEMO_MAX 512u

struct memo_ent {
	uint64_t h;
	bool match;
	char s[];
};

struct memo_tab {
	unsigned size;		/* power of two */
	struct memo_tab *prev;	/* the table it replaced */
	_Atomic(struct memo_ent *) slot[];
};

struct regex_memo {
	_Atomic unsigned n;	/* entries made (a few may be made twice) */
	_Atomic(struct memo_tab *) tab;
};

static struct memo_tab *memo_tab_new(unsigned size)
{
	struct memo_tab *t = calloc(1, sizeof(*t) + size * sizeof(t->slot[0]));

	if (t)
		t->size = size;
	return t;
}

/* Replace t (of m) by a table twice its size with the same entries; the
 * loser of a race frees its copy.  Failing only keeps the full table. */
static void memo_grow(struct regex_memo *m, struct memo_tab *t)
{
	struct memo_tab *g = memo_tab_new(t->size * 2);

	if (!g)
		return;
	g->prev = t;
	for (unsigned i = 0; i < t->size; i++) {
		struct memo_ent *e = atomic_load_explicit(&t->slot[i], memory_order_acquire);
		uint64_t k;

		if (!e)
			continue;
		k = e->h;
		while (atomic_load_explicit(&g->slot[k & (g->size - 1)], memory_order_relaxed))
			k++;
		atomic_store_explicit(&g->slot[k & (g->size - 1)], e, memory_order_relaxed);
	}
	if (!atomic_compare_exchange_strong_explicit(&m->tab, &t, g, memory_order_release,
						     memory_order_relaxed))
		free(g);
}

size_t host_regex_memo_slots(const struct host_regex *r)
{
	struct memo_tab *t;

	if (!r->memo || !(t = atomic_load_explicit(&r->memo->tab, memory_order_acquire)))
		return 0;
	return t->size;
}

/* A word at a time (the byte-wise FNV it replaced was ~3% of a scrape's
 * CPU: ~500 subjects of ~20 bytes); not cryptographic, the tables compare
 * the strings. */
uint64_t pf_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 31);
}

int host_regex_compile(struct host_regex *r, char *err, size_t errlen)
{
	int ec;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	r->re = NULL;
	r->memo = NULL;
	if (!r->src || !*r->src)
		return 0;
	/* Go's regexp (RE2): '$' without (?m) matches only at the very end
	 * (PCRE2_DOLLAR_ENDONLY); UTF-8 subjects (invalid bytes never match). */
	r->re = pcre2_compile((PCRE2_SPTR)r->src, PCRE2_ZERO_TERMINATED,
			      PCRE2_DOLLAR_ENDONLY | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off,
			      NULL);
	if (!r->re) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "%s at offset %zu", (char *)msg, (size_t)off);
		return -EINVAL;
	}
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	r->memo = calloc(1, sizeof(*r->memo));	/* optional: NULL = no memo */
	if (r->memo) {
		struct memo_tab *t = memo_tab_new(MEMO_MIN);

		if (t) {
			atomic_init(&r->memo->tab, t);
		} else {
			free(r->memo);
			r->memo = NULL;
		}
	}
	return 0;
}

void host_regex_free(struct host_regex *r)
{
	if (!r)
		return;
	if (r->memo) {
		struct memo_tab *t = atomic_load(&r->memo->tab), *prev;

		/* An entry is in its first table and may be in newer ones:
		 * freed from the oldest table that holds it. */
		for (; t; t = prev) {
			prev = t->prev;
			for (unsigned i = 0; i < t->size; i++) {
				struct memo_ent *e = atomic_load(&t->slot[i]);
				bool older = false;

				for (struct memo_tab *o = prev; e && o && !older; o = o->prev)
					for (unsigned k = 0; k < o->size && !older; k++)
						older = atomic_load(&o->slot[k]) == e;
				if (!older)
					free(e);
			}
			free(t);
		}
		free(r->memo);
		r->memo = NULL;
	}
	if (r->re) {
		pcre2_code_free(r->re);
		r->re = NULL;
	}
}

static bool regex_run(const struct host_regex *r, const char *s, size_t len)
{
	/* One match-data block per thread, made once: matching allocates nothing. */
	if (!tls_md) {
		tls_md = pcre2_match_data_create(1, NULL);
		if (!tls_md)
			return false;
		pthread_once(&md_once, md_key_init);
		(void)pthread_setspecific(md_key, tls_md);
	}
	return pcre2_match(r->re, (PCRE2_SPTR)s, len, 0, 0, tls_md, NULL) >= 0;
}

bool host_regex_match(const struct host_regex *r, const char *s)
{
	return host_regex_match_n(r, s, strlen(s));
}

bool host_regex_match_n(const struct host_regex *r, const char *s, size_t len)
{
	struct regex_memo *m = r->memo;
	struct memo_tab *t;
	uint64_t h;
	struct memo_ent *e, *mine = NULL;
	bool res = false;

	if (!r->re)
		return false;
	if (!m)
		return regex_run(r, s, len);
	h = pf_hash(s, len);
again:
	t = atomic_load_explicit(&m->tab, memory_order_acquire);
	for (size_t k = 0; k < t->size; k++) {
		_Atomic(struct memo_ent *) *slot = &t->slot[(h + k) & (t->size - 1)];

		e = atomic_load_explicit(slot, memory_order_acquire);
		if (e) {
			if (e->h == h && memcmp(e->s, s, len + 1) == 0) {
				if (mine) {
					atomic_fetch_sub(&m->n, 1);
					free(mine);
				}
				return e->match;
			}
			continue;
		}
		/* Not known: match, then try to publish in this empty slot. */
		if (!mine) {
			unsigned n;

			res = regex_run(r, s, len);
			if ((n = atomic_fetch_add(&m->n, 1)) >= MEMO_MAX) {
				atomic_fetch_sub(&m->n, 1);
				return res;
			}
			/* Half full: publish in a table twice the size. */
			if (n + 1 > t->size / 2 && t->size < MEMO_SLOTS) {
				atomic_fetch_sub(&m->n, 1);
				memo_grow(m, t);
				goto again;
			}
			mine = malloc(sizeof(*mine) + len + 1);
			if (!mine) {
				atomic_fetch_sub(&m->n, 1);
				return res;
			}
			mine->h = h;
			mine->match = res;
			memcpy(mine->s, s, len + 1);
		}
		if (atomic_compare_exchange_strong_explicit(slot, &e, mine, memory_order_release,
							    memory_order_acquire))
			return mine->match;
		/* Lost the slot to another thread: look at what it put there. */
		if (e->h == h && memcmp(e->s, s, len + 1) == 0) {
			atomic_fetch_sub(&m->n, 1);
			free(mine);
			return e->match;
		}
	}
	/* Table full of other subjects (a lookup in a replaced table). */
	if (mine) {
		res = mine->match;
		atomic_fetch_sub(&m->n, 1);
		free(mine);
		return res;
	}
	return regex_run(r, s, len);
}

void host_regex_thread_done(void)
{
	pcre2_match_data_free(tls_md);
	tls_md = NULL;
	if (pthread_once(&md_once, md_key_init) == 0)
		(void)pthread_setspecific(md_key, NULL);
}

bool device_filter_ignored(const struct device_filter *f, const char *name)
{
	if (f->include.re)
		return !host_regex_match(&f->include, name);
	if (f->exclude.re)
		return host_regex_match(&f->exclude, name);
	return false;
}
