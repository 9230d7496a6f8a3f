/*
 * filesystem: node_filesystem_{size,free,avail}_bytes, files, files_free,
 * readonly and device_error{device,fstype,mountpoint} for the mounts of
 * <procfs>/1/mounts (falling back to <procfs>/mounts), minus
 * --collector.filesystem.mount-points-exclude / fs-types-exclude, as
 * node_exporter 1.5's filesystem_linux.go.  statfs(2) runs on <rootfs> +
 * mount point; the mountpoint label has the rootfs prefix stripped.
 *
 * A hung mount (stale NFS, dead FUSE) must not stall the scrape: statfs runs
 * on a long-lived helper thread (the statfs service below; only mounts
 * provably local are statfs()ed in place, see statfs_direct) and the
 * collector waits at most
 * --collector.filesystem.mount-timeout per mount (and never past its own
 * deadline).  A mount that overruns reports device_error 1, is remembered as
 * stuck (later scrapes report it at once, without another statfs, until the
 * hung call returns), and the remaining mounts continue on a fresh helper.
 *
 * Ownership: a helper and the collector share a reference-counted
 * struct fs_batch; whoever drops the last reference frees it, so a helper
 * that returns after the collector gave up writes only into memory it still
 * owns.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include "collector.h"
#include "daemon.h"
#include "util.h"

/* Mounts currently stuck in statfs: few, so a list under a mutex. */
static pthread_mutex_t stuck_mu = PTHREAD_MUTEX_INITIALIZER;
static char *stuck[64];

static bool stuck_has(const char *path)
{
	bool r = false;

	pthread_mutex_lock(&stuck_mu);
	for (size_t i = 0; i < 64 && !r; i++)
		r = stuck[i] && strcmp(stuck[i], path) == 0;
	pthread_mutex_unlock(&stuck_mu);
	return r;
}

static void stuck_set(const char *path, bool on)
{
	pthread_mutex_lock(&stuck_mu);
	for (size_t i = 0; i < 64; i++) {
		if (on && !stuck[i]) {
			stuck[i] = strdup(path);
			break;
		}
		if (!on && stuck[i] && strcmp(stuck[i], path) == 0) {
			free(stuck[i]);
			stuck[i] = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&stuck_mu);
}

static void svc_stop(void);

void filesystem_shutdown(void)
{
	svc_stop();
	pthread_mutex_lock(&stuck_mu);
	for (size_t i = 0; i < 64; i++) {
		free(stuck[i]);
		stuck[i] = NULL;
	}
	pthread_mutex_unlock(&stuck_mu);
}

struct fs_result {
	int err;	/* 0 or errno */
	uint64_t blocks, bfree, bavail, bsize, files, ffree;
};

/* Work for one statfs helper: paths[0..n) in order. */
struct fs_batch {
	_Atomic int refs;
	struct fs_batch *next;	/* service queue link (under svc.mu) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n, done;		/* results [0, done) are final */
	bool abandoned;
	char **paths;		/* owned copies */
	struct fs_result *res;
};

static void batch_unref(struct fs_batch *b)
{
	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->paths[i]);
	free(b->paths);
	free(b->res);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
}

static struct fs_result do_statfs(const char *path)
{
	struct statfs st;
	struct fs_result r = { 0 };

	if (statfs(path, &st) < 0) {
		r.err = errno;
	} else {
		r.blocks = st.f_blocks;
		r.bfree = st.f_bfree;
		r.bavail = st.f_bavail;
		r.bsize = (uint64_t)st.f_bsize;
		r.files = st.f_files;
		r.ffree = st.f_ffree;
	}
	return r;
}

/* Runs b; true if the collector abandoned it while we were stuck. */
static bool run_batch(struct fs_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct fs_result r = do_statfs(b->paths[i]);
		bool gone;

		pthread_mutex_lock(&b->mu);
		gone = b->abandoned;
		if (!gone) {
			b->res[i] = r;
			b->done = i + 1;
			pthread_cond_signal(&b->cv);
		}
		pthread_mutex_unlock(&b->mu);
		if (gone) {
			/* The collector gave up on this mount: it is no longer stuck. */
			stuck_set(b->paths[i], false);
			return true;
		}
	}
	return false;
}

/*
 * The statfs service: long-lived helper threads (one normally) fed through a
 * queue, so a scrape costs no thread creation.  A helper caught in a hung
 * statfs is replaced (up to SVC_MAX_EXTRA at once) and retires when its call
 * returns.
 */
#define SVC_MAX_EXTRA 16

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	struct fs_batch *head, *tail;
	unsigned live, stuck;
	bool stop;
} svc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
	  NULL, NULL, 0, 0, false };

static void *svc_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&svc.mu);
	for (;;) {
		struct fs_batch *b;
		bool retire = false;

		while (!svc.head && !svc.stop)
			pthread_cond_wait(&svc.cv, &svc.mu);
		if (!svc.head)
			break;
		b = svc.head;
		svc.head = b->next;
		if (!svc.head)
			svc.tail = NULL;
		pthread_mutex_unlock(&svc.mu);
		if (run_batch(b)) {
			pthread_mutex_lock(&svc.mu);
			if (svc.stuck)
				svc.stuck--;
			retire = svc.live > 1 + svc.stuck;
			pthread_mutex_unlock(&svc.mu);
		}
		batch_unref(b);
		pthread_mutex_lock(&svc.mu);
		if (retire)
			break;
	}
	svc.live--;
	pthread_cond_broadcast(&svc.idle);
	pthread_mutex_unlock(&svc.mu);
	return NULL;
}

/* With svc.mu held: make sure a helper is free to take new work. */
static int svc_ensure(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (svc.live > svc.stuck || svc.live >= 1 + SVC_MAX_EXTRA)
		return 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	r = pthread_create(&t, &attr, svc_main, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	svc.live++;
	return 0;
}

static int svc_submit(struct fs_batch *b)
{
	int r;

	pthread_mutex_lock(&svc.mu);
	r = svc.stop ? -ESHUTDOWN : svc_ensure();
	if (r == 0) {
		b->next = NULL;
		if (svc.tail)
			svc.tail->next = b;
		else
			svc.head = b;
		svc.tail = b;
		pthread_cond_signal(&svc.cv);
	}
	pthread_mutex_unlock(&svc.mu);
	return r;
}

/* The collector abandoned a batch: its helper counts as stuck. */
static void svc_note_stuck(void)
{
	pthread_mutex_lock(&svc.mu);
	svc.stuck++;
	(void)svc_ensure();
	pthread_mutex_unlock(&svc.mu);
}

static void svc_stop(void)
{
	struct timespec ts;

	pthread_mutex_lock(&svc.mu);
	svc.stop = true;
	pthread_cond_broadcast(&svc.cv);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	while (svc.live > svc.stuck)
		if (pthread_cond_timedwait(&svc.idle, &svc.mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&svc.mu);
}

/*
 * statfs_direct: statfs on the collector's own thread, without the helper hand-off (two
 * context switches per scrape), for mounts that cannot hang it: a local
 * disk or memory filesystem answers statfs from its in-memory superblock
 * counters (ext4_statfs(), xfs_fs_statfs(), btrfs_statfs(), shmem), and
 * the path walk to it must cross only such filesystems or kernel virtual
 * ones — not NFS, FUSE, CIFS or an autofs trigger, which can block.  Only
 * when the mount table read is the one of our own namespace and rootfs is
 * "/" (the walk is then exactly through the mounts listed).
 */

/* Is ancestor a path prefix of (or equal to) mp? */
static bool path_under(const char *mp, const char *ancestor)
{
	size_t l = strlen(ancestor);

	if (l == 1 && ancestor[0] == '/')
		return true;
	return strncmp(mp, ancestor, l) == 0 && (mp[l] == '/' || mp[l] == '\0');
}

/* The mount ID (first field) of the first line of <procfs>/<rel>. */
static long first_mount_id(const char *procfs, const char *rel)
{
	char path[PATH_MAX], line[64];
	FILE *f;
	long id = -1;

	if (!procfs || pf_path(path, sizeof(path), procfs, rel) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		id = strtol(line, NULL, 10);
	fclose(f);
	return id;
}

/*
 * Is <procfs>/1/mounts the table of our own mount namespace (so a path
 * walk of ours crosses exactly the mounts it lists)?  /proc/1/ns/mnt may
 * be unreadable (no ptrace access to PID 1); mount IDs are unique across
 * namespaces (a cloned namespace gets new ones: fs/namespace.c
 * copy_mnt_ns()), so equal root mount IDs mean the same namespace.
 * Decided once (namespaces do not change under us); 0 unknown, 1 yes, 2 no.
 */
static _Atomic int same_mnt_ns;

static bool same_mnt_ns_get(const char *procfs)
{
	int v = atomic_load(&same_mnt_ns);

	if (!v) {
		long a = first_mount_id(procfs, "1/mountinfo");

		v = a >= 0 && a == first_mount_id(procfs, "self/mountinfo") ? 1 : 2;
		atomic_store(&same_mnt_ns, v);
	}
	return v == 1;
}

#define MAX_UNSAFE 64

struct mount {
	char *device, *mountpoint, *fstype, *options;
	char *path;	/* rootfs + mountpoint (statfs target), owned during the scrape */
	struct fs_result r;
	bool error, skip;
};

/* Kernel mangling of mount fields (fs/proc_namespace.c): \ooo octal. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static uint64_t deadline_for(const struct collector_ctx *c, uint64_t now)
{
	uint64_t d = now + (uint64_t)(c->cfg->mount_timeout * 1e9);
	/* Keep a tenth of the collector's remaining time to write the output. */
	uint64_t left = c->deadline_ns > now ? c->deadline_ns - now : 0;
	uint64_t cap = now + left - left / 10;

	return d < cap ? d : cap;
}

static struct fs_batch *batch_start(struct mount *m, size_t *idx, size_t nidx)
{
	struct fs_batch *b = calloc(1, sizeof(*b));
	size_t i;

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->paths = calloc(nidx, sizeof(char *));
	b->res = calloc(nidx, sizeof(struct fs_result));
	if (!b->paths || !b->res)
		goto fail;
	for (i = 0; i < nidx; i++) {
		b->paths[i] = strdup(m[idx[i]].path);
		if (!b->paths[i])
			goto fail;
		b->n = i + 1;
	}
	atomic_fetch_add(&b->refs, 1);	/* the helper's */
	if (svc_submit(b) < 0) {
		atomic_fetch_sub(&b->refs, 1);
		goto fail;
	}
	return b;
fail:
	batch_unref(b);
	return NULL;
}

/* statfs every mount in idx[] with per-mount deadlines. */
static void stat_mounts(struct collector_ctx *c, struct mount *m, size_t *idx, size_t nidx)
{
	while (nidx > 0) {
		struct fs_batch *b = batch_start(m, idx, nidx);
		size_t i, stuck_at = nidx;

		if (!b) {
			for (i = 0; i < nidx; i++)
				m[idx[i]].error = true;
			return;
		}
		pthread_mutex_lock(&b->mu);
		for (i = 0; i < nidx; i++) {
			uint64_t dl = deadline_for(c, daemon_now_ns());
			struct timespec ts;
			uint64_t rt;

			while (b->done <= i) {
				uint64_t now = daemon_now_ns();

				if (now >= dl)
					break;
				/* condvar on CLOCK_REALTIME: convert the remaining time */
				rt = daemon_realtime_ns() + (dl - now);
				ts.tv_sec = (time_t)(rt / 1000000000u);
				ts.tv_nsec = (long)(rt % 1000000000u);
				pthread_cond_timedwait(&b->cv, &b->mu, &ts);
			}
			if (b->done <= i) {
				stuck_at = i;
				b->abandoned = true;
				break;
			}
			m[idx[i]].r = b->res[i];
			m[idx[i]].error = b->res[i].err != 0;
		}
		pthread_mutex_unlock(&b->mu);
		if (stuck_at < nidx) {
			svc_note_stuck();
			m[idx[stuck_at]].error = true;
			stuck_set(m[idx[stuck_at]].path, true);
			snprintf(c->err, sizeof(c->err), "statfs %s timed out", m[idx[stuck_at]].path);
			idx += stuck_at + 1;
			nidx -= stuck_at + 1;
		} else {
			nidx = 0;
		}
		batch_unref(b);
	}
}

int collect_filesystem(struct collector_ctx *c, struct metrics_writer *w)
{
	static const char *const labels[] = { "device", "fstype", "mountpoint", NULL };
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "node_filesystem_size_bytes", "Filesystem size in bytes." },
		{ "node_filesystem_free_bytes", "Filesystem free space in bytes." },
		{ "node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes." },
		{ "node_filesystem_files", "Filesystem total file nodes." },
		{ "node_filesystem_files_free", "Filesystem total free file nodes." },
		{ "node_filesystem_readonly", "Filesystem read-only status." },
		{ "node_filesystem_device_error", "Whether an error occurred while getting statistics for the given device." },
	};
	struct rbuf *b = c->rb[0], *arr = c->rb[1], *ib = c->rb[2];
	const char *rootfs = c->cfg->rootfs;
	size_t rl = strlen(rootfs), nm = 0, i, j, nidx = 0;
	struct mount *m;
	size_t *idx;
	char *cur, *line;
	/* Mount points whose filesystem could block a path walk (nunsafe >
	 * MAX_UNSAFE: too many to track, every statfs goes to the helper). */
	const char *unsafe[MAX_UNSAFE];
	size_t nunsafe = 0;
	bool direct_ok;
	int r;

	/* Only inline (collector_inline[]: a real procfs), in our namespace,
	 * with rootfs "/"; never in a fixture tree. */
	direct_ok = c->inline_run && rl <= 1 && same_mnt_ns_get(c->cfg->procfs);
	r = pf_read(c, b, c->cfg->procfs, "1/mounts");
	if (r == -ENOENT) {
		c->err[0] = '\0';
		r = pf_read(c, b, c->cfg->procfs, "mounts");
	}
	if (r < 0)
		return r;
	while (rl > 1 && rootfs[rl - 1] == '/')
		rl--;
	/* Pass 1: count lines to size the arrays. */
	for (cur = b->data; *cur; cur++)
		nm += *cur == '\n';
	nm++;
	if (rbuf_reserve(arr, nm * sizeof(struct mount)) < 0 || rbuf_reserve(ib, nm * sizeof(size_t)) < 0)
		return ctx_error(c, -ENOMEM, "out of memory");
	m = (struct mount *)(void *)arr->data;
	idx = (size_t *)(void *)ib->data;
	nm = 0;
	cur = b->data;
	while ((line = pf_next_line(&cur))) {
		char *f[6];
		struct mount *mt = &m[nm];
		char *mp;

		if (pf_split(line, f, 6) < 4)
			continue;
		unescape(f[0]);
		unescape(f[1]);
		unescape(f[2]);
		memset(mt, 0, sizeof(*mt));
		mt->device = f[0];
		mt->fstype = f[2];
		mt->options = f[3];
		mp = f[1];
		/* rootfsStripPrefix: the label is the path inside rootfs. */
		if (rl > 1 && strncmp(mp, rootfs, rl) == 0 && (mp[rl] == '/' || mp[rl] == '\0'))
			mp = mp[rl] ? mp + rl : (char *)"/";
		mt->mountpoint = mp;
		if (direct_ok && !fs_type_walkable(mt->fstype)) {
			if (nunsafe < MAX_UNSAFE)
				unsafe[nunsafe] = mt->mountpoint;
			nunsafe++;
		}
		if (host_regex_match(&c->cfg->fs_mount_exclude, mt->mountpoint) ||
		    host_regex_match(&c->cfg->fs_type_exclude, mt->fstype))
			continue;
		/* Expose each (device, mountpoint, fstype) once, as node_exporter. */
		for (j = 0; j < nm; j++)
			if (strcmp(m[j].device, mt->device) == 0 &&
			    strcmp(m[j].mountpoint, mt->mountpoint) == 0 &&
			    strcmp(m[j].fstype, mt->fstype) == 0)
				break;
		if (j < nm)
			continue;
		nm++;
	}
	/* statfs targets: rootfs + mountpoint, skipping mounts known stuck;
	 * the provably local ones right here, the others through the helper. */
	for (i = 0; i < nm; i++) {
		char path[PATH_MAX];
		bool direct = direct_ok && nunsafe <= MAX_UNSAFE && fs_type_local(m[i].fstype);

		for (j = 0; direct && j < nunsafe; j++)
			direct = !path_under(m[i].mountpoint, unsafe[j]);
		m[i].path = NULL;
		if (pf_path(path, sizeof(path), rootfs, m[i].mountpoint) < 0 || stuck_has(path)) {
			m[i].error = true;
			continue;
		}
		if (direct) {
			m[i].r = do_statfs(path);
			m[i].error = m[i].r.err != 0;
			continue;
		}
		m[i].path = strdup(path);
		if (!m[i].path) {
			m[i].error = true;
			continue;
		}
		idx[nidx++] = i;
	}
	if (nidx)
		stat_mounts(c, m, idx, nidx);
	for (i = 0; i < nm; i++) {
		free(m[i].path);
		m[i].path = NULL;
	}

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		bool any = false;

		for (i = 0; i < nm && !any; i++)
			any = f == 6 || !m[i].error;
		if (!any)
			continue;
		r = writer_family(w, fams[f].name, METRIC_GAUGE, fams[f].help, labels);
		if (r < 0)
			return r;
		for (i = 0; i < nm; i++) {
			const char *lv[] = { m[i].device, m[i].fstype, m[i].mountpoint };
			const struct fs_result *s = &m[i].r;
			double v;

			if (f != 6 && m[i].error)
				continue;
			switch (f) {
			case 0: v = (double)s->blocks * (double)s->bsize; break;
			case 1: v = (double)s->bfree * (double)s->bsize; break;
			case 2: v = (double)s->bavail * (double)s->bsize; break;
			case 3: v = (double)s->files; break;
			case 4: v = (double)s->ffree; break;
			case 5: {
				char opts[512], *tok, *save = NULL;

				v = 0;
				snprintf(opts, sizeof(opts), "%s", m[i].options);
				for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
					if (strcmp(tok, "ro") == 0)
						v = 1;
				break;
			}
			default: v = m[i].error ? 1 : 0; break;
			}
			(void)writer_sample(w, lv, v);
		}
	}
	/* A stuck mount is reported (device_error 1), not a collector failure. */
	c->err[0] = '\0';
	return 0;
}

static const struct flag filesystem_flags[] = {
	{ .name = "collector.filesystem.mount-points-exclude", .type = FLAG_STRING,
	  .dst = &host_cfg.fs_mount_exclude.src,
	  .def = "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
	  .help = "Regexp of mount points to exclude for filesystem collector.",
	  .check = host_regex_flag_check },
	{ .name = "collector.filesystem.fs-types-exclude", .type = FLAG_STRING,
	  .dst = &host_cfg.fs_type_exclude.src,
	  .def = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|"
		 "hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|"
		 "selinuxfs|squashfs|sysfs|tracefs)$",
	  .help = "Regexp of filesystem types to exclude for filesystem collector.",
	  .check = host_regex_flag_check },
	{ .name = "collector.filesystem.mount-timeout", .type = FLAG_DURATION,
	  .dst = &host_cfg.mount_timeout, .def = "5s",
	  .help = "How long to wait for a mount to respond before marking it as stale "
		  "(device_error 1).", .check = flag_check_positive, .rule = "a duration > 0" },
};

static void filesystem_teardown(void)
{
	filesystem_shutdown();
	host_regex_free(&host_cfg.fs_mount_exclude);
	host_regex_free(&host_cfg.fs_type_exclude);
}

const struct collector collector_filesystem = {
	.name = "filesystem", .default_on = true, .collect = collect_filesystem, .src = SRC_PROCFS,
	.may_wait = true, COLLECTOR_FLAGS(filesystem_flags), .teardown = filesystem_teardown,
};
