/*
 * collector: the static collector table and the parallel scrape.
 *
 * A scrape makes one job per selected collector and queues them on a small
 * pool of worker threads (node_exporter runs one goroutine per collector;
 * threads are too dear to make per scrape, so they are kept).  Each job
 * writes into its own buffer and writer; the scraping thread waits until
 * every job is done or the per-collector deadline passes, then merges the
 * finished jobs in table order and appends
 * node_scrape_collector_{duration_seconds,success}.
 *
 * Inline jobs: the collectors whose sources cannot hang (collector_classify():
 * procfs, the kernel-memory sysfs attributes they read, local or memory
 * filesystems) run on the scraping thread itself while one worker runs the
 * others (network or FUSE filesystems, fixture trees: deadline-guarded).
 * With every collector inline, a scrape wakes no thread at all (perf: the
 * wake-ups and switches were ~20% of a scrape's CPU); textfile, which finds
 * a symlink it cannot vouch for only when it lists the directory, then
 * declines and is handed to a worker.  With pool jobs, a second ticket goes
 * out only if the first worker has not claimed all of them by the time the
 * inline jobs are done.
 * A worker done with the pool jobs helps with inline jobs not yet started
 * (they cannot hang, so any thread may run them).  The merge stays in table
 * order.  Measured on 2 cores with the default collectors: ~8 context
 * switches per scrape with every collector on the pool, ~5.6 with the
 * procfs ones inline, ~1 (the HTTP thread's own) with all of them inline.
 *
 * Ownership and late finishers: the jobs live inside one reference-counted
 * struct scrape.  The scraping thread holds one reference, every queued job
 * one more.  A job still running at the deadline is marked abandoned under
 * the scrape's mutex; the scraping thread never looks at its output again and
 * drops its reference; the worker finishes into buffers it still owns and
 * the last reference frees everything.  The worker stuck in that job is
 * replaced by a new worker (up to a cap) so a hung source cannot starve the
 * pool; the late worker retires when it returns.
 *
 * Logging: a collector's error is logged once per distinct message (a hash
 * per collector), again only after it changed or recovered.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

#define HOST_COLLECTOR_REF(n) &collector_##n,
const struct collector *const collectors[] = { HOST_COLLECTORS(HOST_COLLECTOR_REF) };
const size_t ncollectors = sizeof(collectors) / sizeof(collectors[0]);
#define NCOLL (sizeof(collectors) / sizeof(collectors[0]))
_Static_assert(NCOLL == HOST_NCOLL, "collectors[] follows HOST_COLLECTORS");
bool collector_inline[NCOLL];

#define PROC_SUPER_MAGIC 0x9fa0	/* statfs(2) f_type (linux/magic.h) */

struct mtab {
	size_t n;
	char *mp[256], *type[256];
	char *data;
};

/* Our own namespace's mount table (/proc/self/mounts; octal escapes kept:
 * a mount point with blanks simply matches no configured path). */
static void mtab_load(struct mtab *t)
{
	struct rbuf b = { 0 };
	char *cur, *line;

	t->n = 0;
	t->data = NULL;
	if (pf_read_quiet(&b, "/proc/self/mounts") < 0) {
		rbuf_free(&b);
		return;
	}
	t->data = b.data;
	cur = b.data;
	while ((line = pf_next_line(&cur))) {
		char *f[3];

		if (pf_split(line, f, 3) < 3)
			continue;
		if (t->n == sizeof(t->mp) / sizeof(t->mp[0])) {
			/* More mounts than we keep: an unseen one could be NFS
			 * under a path we would call safe.  Judge nothing safe
			 * (every collector beyond procfs stays on the pool). */
			t->n = 0;
			return;
		}
		t->mp[t->n] = f[1];
		t->type[t->n] = f[2];
		t->n++;
	}
}

/* The mounts at exactly prefix: false if one is neither local nor a kernel
 * filesystem; else *type becomes the topmost one's (if any). */
static bool mounts_at_ok(const struct mtab *t, const char *prefix, const char **type)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->mp[i], prefix) != 0)
			continue;
		if (!fs_type_walkable(t->type[i]))
			return false;
		*type = t->type[i];	/* later lines are mounted on top */
	}
	return true;
}

/*
 * Can files under path be read without waiting on a network or a daemon,
 * and is the filesystem holding them one of types (NULL: fs_type_local)?
 * Walks path's components: each prefix that is a mount point must be of a
 * local or kernel filesystem (checked before it is touched), and no
 * component may be a symbolic link (it could lead anywhere; lstat(2) of
 * a component whose filesystem is known safe cannot block).  A path that
 * does not exist (yet) is judged by where it would be.
 */
static bool path_safe(const struct mtab *t, const char *path, const char *const *types)
{
	char p[PATH_MAX];
	const char *type = NULL;
	size_t len;
	struct stat st;
	bool exists = true;

	if (!t->n || !path || path[0] != '/' || (len = strlen(path)) >= sizeof(p))
		return false;
	memcpy(p, path, len + 1);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	if (!mounts_at_ok(t, "/", &type))
		return false;
	for (size_t end = 1; end <= len; end++) {
		char save;
		bool ok = true;

		if ((end < len && p[end] != '/') || p[end - 1] == '/')
			continue;	/* inside a component, or "//" */
		save = p[end];
		p[end] = '\0';
		ok = mounts_at_ok(t, p, &type);
		if (ok && exists) {
			if (lstat(p, &st) < 0)
				exists = false;	/* the rest is where it would be */
			else if (S_ISLNK(st.st_mode))
				ok = false;
		}
		p[end] = save;
		if (!ok)
			return false;
	}
	return type && (types ? fs_type_in(type, types) : fs_type_local(type));
}

/*
 * The sysfs attributes the SRC_SYSFS collectors read are values kept in
 * kernel memory, not device queries: cpu's topology/core_id,
 * physical_package_id, the thermal_throttle counts (per-CPU counters) and
 * devices/system/cpu/isolated; time's clocksource names (under
 * clocksource_mutex); netdev's statistics/rx_nohandler (dev_get_stats(),
 * which /proc/net/dev calls under RCU, so the driver may not sleep in it).
 * Slow sysfs attributes (hwmon sensors, power_supply, a NIC's speed under
 * RTNL) and D-Bus calls are read only by SRC_DEVICE collectors, which always
 * run on a pool worker under the collector deadline.
 */
void collector_classify(const struct host_config *cfg)
{
	static const char *const sysfs_types[] = { "sysfs", NULL };
	struct mtab t;
	struct statfs st;
	char p1[PATH_MAX], p2[PATH_MAX];
	bool proc, sys;

	/* procfs: the descriptor cache made the same statfs already. */
	proc = statfs(cfg->procfs, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
	mtab_load(&t);
	sys = proc && path_safe(&t, cfg->sysfs, sysfs_types);
	pf_cache_sysfs(sys ? cfg->sysfs : NULL);
	for (size_t i = 0; i < NCOLL; i++) {
		bool ok = proc;

		switch (collectors[i]->src) {
		case SRC_PROCFS:
			break;
		case SRC_SYSFS:
			ok = sys;
			break;
		case SRC_UDEV:
			ok = proc && (!cfg->udev_data || !*cfg->udev_data ||
				      path_safe(&t, cfg->udev_data, NULL));
			break;
		case SRC_ROOTFS:
			/* etc/os-release is a symlink to ../usr/lib/os-release:
			 * both directories count, the link itself is read there */
			ok = proc && pf_path(p1, sizeof(p1), cfg->rootfs, "etc") == 0 &&
			     pf_path(p2, sizeof(p2), cfg->rootfs, "usr/lib") == 0 &&
			     path_safe(&t, p1, NULL) && path_safe(&t, p2, NULL);
			break;
		case SRC_DEVICE:
			ok = false;
			break;
		case SRC_TEXTFILE:
			ok = proc && (!cfg->textfile_dir || !*cfg->textfile_dir ||
				      path_safe(&t, cfg->textfile_dir, NULL));
			break;
		}
		collector_inline[i] = ok;
	}
	free(t.data);
}

/* Last logged error per collector (0 = none logged / recovered). */
static _Atomic uint64_t last_err[NCOLL];

int collector_find(const char *name)
{
	for (size_t i = 0; i < NCOLL; i++)
		if (strcmp(collectors[i]->name, name) == 0)
			return (int)i;
	return -1;
}

enum { J_QUEUED, J_RUNNING, J_DONE, J_ABANDONED };

struct scrape;

struct job {
	size_t ci;
	struct buf out;
	struct metrics_writer *w;
	struct collector_ctx ctx;
	int rc;			/* scraping thread's: outcome as reported */
	uint64_t dur_ns;
	int w_rc;		/* worker's, published by the CAS to J_DONE */
	uint64_t w_dur_ns;
	_Atomic int state;	/* J_*: QUEUED -> RUNNING -> DONE, or -> ABANDONED (CAS) */
	bool direct;		/* inline: the scraping thread runs it (workers may help) */
	struct metrics_writer *out_w;	/* where it writes: w, or the scrape's own writer */
};

/* A worker's claim on a scrape: it runs the scrape's jobs until none is left. */
struct ticket {
	struct scrape *s;
	struct ticket *next;	/* pool queue link (under pool mutex) */
};

struct scrape {
	_Atomic int refs;	/* the owner (scraping thread's cache) + tickets */
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* CLOCK_MONOTONIC; signalled (under mu) when pending hits 0 */
	_Atomic size_t pending;
	size_t njobs;
	_Atomic size_t next;	/* next job to claim */
	enum metrics_format fmt;
	size_t npool;		/* jobs for the workers ... */
	size_t pool_idx[NCOLL];	/* ... their indexes in jobs[] */
	size_t ninline;		/* jobs the scraping thread runs (workers help) */
	size_t inline_idx[NCOLL];	/* filesystem last: it may wait for statfs */
	_Atomic size_t next_inline;
	struct rbuf rb[CTX_RBUFS];	/* the scraping thread's, for inline jobs */
	struct ticket tickets[NCOLL];
	struct job jobs[NCOLL];
};

struct scrape_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* work available / shutdown */
	pthread_cond_t idle;	/* a worker exited */
	struct ticket *head, *tail;
	unsigned base;		/* wanted workers */
	unsigned tickets;	/* workers woken per scrape */
	unsigned live;		/* running worker threads */
	unsigned stuck;		/* workers in an abandoned job */
	unsigned max;		/* cap on live */
	unsigned nidle;		/* workers waiting for a ticket */
	unsigned queued;	/* tickets in the queue */
	bool stop;
	/* pool_release: idle workers drop their read buffers and stack pages */
	unsigned release_gen;	/* bumped by each release */
	unsigned release_left;	/* idle workers that have not done it yet */
	bool used;		/* a worker took a ticket since the last release */
	pthread_cond_t released;	/* CLOCK_MONOTONIC; release_left reached 0 */
};

static void scrape_unref(struct scrape *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < NCOLL; i++) {
		struct job *j = &s->jobs[i];

		if (j->ctx.priv && collectors[j->ci]->free_priv)
			collectors[j->ci]->free_priv(j->ctx.priv);
		metrics_writer_free(j->w);
		buf_done(&j->out);
	}
	for (int k = 0; k < CTX_RBUFS; k++)
		rbuf_free(&s->rb[k]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static void *worker_main(void *arg);

/* Called with p->mu held. */
static int spawn_worker(struct scrape_pool *p)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Collectors keep big arrays off the stack (rbufs); 256 KiB is ample
	 * for netstat's 2 x 512 field pointers. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	r = pthread_create(&t, &attr, worker_main, p);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	p->live++;
	return 0;
}

/* Run the jobs of s this worker claims; true if one was abandoned under us. */
/* Run job j if it is still queued: 0 done, 1 not ours (abandoned before it
 * started or claimed elsewhere), -1 abandoned while it ran. */
static int run_one(struct scrape *s, struct job *j, struct rbuf *rb)
{
	uint64_t t0;
	int r, expect;

	/* Job states change by compare-and-swap: whoever moves a job out of
	 * QUEUED/RUNNING owns the outcome; no lock per job. */
	expect = J_QUEUED;
	if (!atomic_compare_exchange_strong(&j->state, &expect, J_RUNNING))
		return 1;
	for (int k = 0; k < CTX_RBUFS; k++)
		j->ctx.rb[k] = &rb[k];
	t0 = daemon_now_ns();
	r = collectors[j->ci]->collect(&j->ctx, j->out_w);
	if (j->out_w != j->w)
		metrics_writer_end_family(j->out_w);	/* the next collector begins its own */
	t0 = daemon_now_ns() - t0;
	for (int k = 0; k < CTX_RBUFS; k++)
		j->ctx.rb[k] = NULL;
	j->w_rc = r;
	j->w_dur_ns = t0;
	expect = J_RUNNING;
	if (!atomic_compare_exchange_strong(&j->state, &expect, J_DONE))
		return -1;	/* nobody reads w_rc/w_dur_ns */
	if (atomic_fetch_sub(&s->pending, 1) == 1) {
		/* The lock/unlock orders us after a waiter that saw pending > 0
		 * (it holds mu until it sleeps); signalling after the unlock
		 * spares it a block on mu.  s stays alive: the caller holds a
		 * reference. */
		pthread_mutex_lock(&s->mu);
		pthread_mutex_unlock(&s->mu);
		pthread_cond_signal(&s->cv);
	}
	return 0;
}

/* Claim and run jobs of one list (idx[0..n), claimed through *next) until
 * none is left; true if one was abandoned under us (the scrape is over:
 * the rest of its jobs are abandoned too). */
static bool run_list(struct scrape *s, const size_t *idx, size_t n, _Atomic size_t *next,
		     struct rbuf *rb)
{
	for (;;) {
		size_t i = atomic_fetch_add(next, 1);

		if (i >= n)
			return false;
		if (run_one(s, &s->jobs[idx[i]], rb) < 0)
			return true;
	}
}

/* A worker's share of s: the pool jobs first, then it helps with the
 * inline jobs the scraping thread has not started yet (they never block,
 * so running them here is safe and shortens the scrape on idle cores). */
static bool run_jobs(struct scrape *s, struct rbuf *rb)
{
	if (run_list(s, s->pool_idx, s->npool, &s->next, rb))
		return true;
	return run_list(s, s->inline_idx, s->ninline, &s->next_inline, rb);
}

/* Frees a worker's read buffers; true if one held memory. */
static bool worker_rbufs_free(struct rbuf *rb)
{
	bool had = false;

	for (int i = 0; i < CTX_RBUFS; i++) {
		had = had || rb[i].data;
		rbuf_free(&rb[i]);
	}
	return had;
}

static void *worker_main(void *arg)
{
	struct scrape_pool *p = arg;
	struct rbuf rb[CTX_RBUFS] = { { 0 } };
	bool retire = false, used = false;
	unsigned gen;

	pthread_mutex_lock(&p->mu);
	gen = p->release_gen;
	for (;;) {
		struct ticket *t;
		struct scrape *s;
		unsigned idle_waits = 0;

		while (!p->head && !p->stop) {
			struct timespec ts;
			int w;

			if (gen != p->release_gen) {
				/* pool_release: now, not after an idle second
				 * (nothing to do if no job ran since the last) */
				gen = p->release_gen;
				if (used) {
					used = false;
					pthread_mutex_unlock(&p->mu);
					(void)worker_rbufs_free(rb);
					mem_stack_release();
					pthread_mutex_lock(&p->mu);
				}
				if (p->release_left && --p->release_left == 0)
					pthread_cond_broadcast(&p->released);
				continue;
			}

			/* 1 s, then 2 s (3 s idle: an extra worker retires),
			 * then 3 s a wait, as many wake-ups as before */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += idle_waits == 0 ? 1 : idle_waits == 1 ? 2 : 3;
			p->nidle++;
			w = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
			p->nidle--;
			if (w != ETIMEDOUT || p->head)
				continue;
			/* Idle for a second: the read buffers go (up to ~60 kB
			 * each for netclass, cpufreq, ...) and the stack pages
			 * the collectors touched; the next scrape makes them
			 * again (buf.h: mem_idle_hook_add, mem_stack_release). */
			if (idle_waits++ == 0) {
				pthread_mutex_unlock(&p->mu);
				if (worker_rbufs_free(rb))
					mem_trim_request();
				mem_stack_release();
				pthread_mutex_lock(&p->mu);
			}
			/* Extra workers (made for a burst or to replace stuck
			 * ones) retire after a few idle seconds. */
			if (idle_waits >= 2 && p->live > p->base + p->stuck) {
				retire = true;
				break;
			}
		}
		if (retire || !p->head)
			break;	/* retiring, or stop with the queue drained */
		t = p->head;
		used = p->used = true;
		p->queued--;
		p->head = t->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);

		s = t->s;
		if (run_jobs(s, rb)) {
			/* Our replacement exists: retire if the pool is above size. */
			pthread_mutex_lock(&p->mu);
			if (p->stuck)
				p->stuck--;
			retire = p->live > p->base + p->stuck;
			pthread_mutex_unlock(&p->mu);
		}
		scrape_unref(s);
		pthread_mutex_lock(&p->mu);
		if (retire)
			break;
	}
	p->live--;
	pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->mu);
	(void)worker_rbufs_free(rb);
	host_regex_thread_done();
	mem_trim_request();	/* a retiring extra worker's buffers (buf.h) */
	return NULL;
}

/*
 * Spare scrape objects (buffers, writers, read buffers: ~150 kB once warm),
 * shared by the scraping threads: a scrape takes one and gives it back when
 * done, lock-free.  Kept per thread instead, each of the eight HTTP threads
 * held its own, about 1 MB of host-exporter's anonymous memory for what one
 * or two scrapes at a time use.  An object a late worker still holds is not
 * given back (its last reference frees it).  The spare itself is freed once
 * no scrape came for a second (spare_release).
 */
#define SPARE_SCRAPES 1	/* one scrape at a time; an overlap's surplus is freed */
static _Atomic(struct scrape *) spare[SPARE_SCRAPES];

static void scrape_give(struct scrape *s)
{
	if (atomic_load(&s->refs) == 1)
		for (int i = 0; i < SPARE_SCRAPES; i++) {
			struct scrape *none = NULL;

			if (atomic_compare_exchange_strong(&spare[i], &none, s)) {
				mem_trim_request();	/* dropped once idle (below) */
				return;
			}
		}
	scrape_unref(s);
	mem_trim_request();	/* a burst's surplus (buf.h) */
}

/* Once no scrape came for a second (mem_idle_hook_add, buf.h), the spare
 * goes too: its per-collector buffers and writers were ~40% of the heap
 * between two scrapes; the next scrape makes a new one. */
static void spare_release(void)
{
	for (int i = 0; i < SPARE_SCRAPES; i++)
		scrape_unref(atomic_exchange(&spare[i], NULL));
}

/*
 * The workers' part of a release (mem_release_now at a burst's end, or the
 * idle release): each idle worker frees its read buffers (up to ~60 kB
 * each) and the stack pages its collectors touched (~25-40 kB), which a
 * worker otherwise does itself only after an idle second -- and the extra
 * workers a burst made are all idle then.  A worker's buffers and stack are
 * its own, so the release wakes them to do it and waits for them (bounded:
 * RELEASE_WAIT_NS), so that the heap trim after the hooks finds their
 * buffers already freed.  A worker busy with a scrape does it when it next
 * waits; one that ran no job since the last release has nothing to give,
 * and with no job run by any, no worker is woken.  Once per burst or quiet
 * period (and per scrape of a burst's stragglers: main.c), never per lone
 * scrape.
 */
#define RELEASE_WAIT_NS 100000000ull
static _Atomic(struct scrape_pool *) release_pool;

static void pool_release(void)
{
	struct scrape_pool *p = atomic_load(&release_pool);
	uint64_t until;
	struct timespec ts;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	if (!p->used) {
		pthread_mutex_unlock(&p->mu);
		return;	/* no worker ran a job since the last release */
	}
	p->used = false;
	p->release_gen++;
	p->release_left = p->nidle;
	pthread_cond_broadcast(&p->cv);
	until = daemon_now_ns() + RELEASE_WAIT_NS;
	ts = (struct timespec){ .tv_sec = (time_t)(until / 1000000000u),
				.tv_nsec = (long)(until % 1000000000u) };
	while (p->release_left > 0)
		if (pthread_cond_timedwait(&p->released, &p->mu, &ts) == ETIMEDOUT)
			break;
	p->release_left = 0;
	pthread_mutex_unlock(&p->mu);
}

static struct scrape *scrape_get(enum metrics_format fmt)
{
	struct scrape *s, *other[SPARE_SCRAPES];
	pthread_condattr_t ca;
	int nother = 0;

	for (int i = 0; i < SPARE_SCRAPES; i++) {
		if (!(s = atomic_exchange(&spare[i], NULL)))
			continue;
		if (atomic_load(&s->refs) == 1 && s->fmt == fmt)
			goto found;
		other[nother++] = s;	/* another format: stays spare */
	}
	s = NULL;
found:
	while (nother > 0)
		scrape_give(other[--nother]);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&s->refs, 1);
	s->fmt = fmt;
	for (size_t i = 0; i < NCOLL; i++)
		buf_init(&s->jobs[i].out, 0);
	return s;
}

struct scrape_pool *scrape_pool_new(unsigned nthreads)
{
	struct scrape_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p->released, &ca);
		pthread_condattr_destroy(&ca);
	}
	p->base = nthreads ? nthreads : 1;
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		p->tickets = ncpu < 2 ? 2 : (unsigned)ncpu;
		if (p->tickets > p->base)
			p->tickets = p->base;
	}
	p->max = p->base + 64;
	(void)mem_idle_hook_add(spare_release);
	atomic_store(&release_pool, p);
	(void)mem_idle_hook_add(pool_release);
	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->base; i++)
		if (spawn_worker(p) < 0)
			break;
	pthread_mutex_unlock(&p->mu);
	if (p->live == 0) {
		scrape_pool_free(p);
		return NULL;
	}
	return p;
}

void scrape_pool_free(struct scrape_pool *p)
{
	struct timespec ts;
	bool left;

	if (!p)
		return;
	{
		struct scrape_pool *self = p;

		(void)atomic_compare_exchange_strong(&release_pool, &self, NULL);
	}
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	while (p->live > p->stuck)
		if (pthread_cond_timedwait(&p->idle, &p->mu, &ts) == ETIMEDOUT)
			break;
	left = p->live > 0;
	pthread_mutex_unlock(&p->mu);
	/* The spare scrapes go too (a late worker's reference keeps its own). */
	for (int i = 0; i < SPARE_SCRAPES; i++)
		scrape_unref(atomic_exchange(&spare[i], NULL));
	/* A worker still stuck in a hung read keeps using p: leave it. */
	if (left)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->released);
	free(p);
}

/* node_exporter's names for the per-collector outcome (common's collect.h). */
static const struct scrape_meta host_meta = {
	.prefix = "node_scrape_collector",
	.duration_help = "node_exporter: Duration of a collector scrape.",
	.success_help = "node_exporter: Whether a collector succeeded.",
	.label_prefix = "",
	.log_msg = "collector failed",
	.log_key = "collector",
};

static void log_outcome(size_t ci, int rc, const char *err)
{
	collect_log_outcome(&host_meta, &last_err[ci], collectors[ci]->name, rc, err);
}

/* Queue tickets [from, to) of s on the pool and wake as many workers. */
static void queue_tickets(struct scrape_pool *p, struct scrape *s, size_t from, size_t to)
{
	size_t nt = to - from;

	atomic_fetch_add(&s->refs, (int)nt);
	pthread_mutex_lock(&p->mu);
	for (size_t i = from; i < to; i++) {
		struct ticket *t = &s->tickets[i];

		t->s = s;
		t->next = NULL;
		if (p->tail)
			p->tail->next = t;
		else
			p->head = t;
		p->tail = t;
	}
	p->queued += (unsigned)nt;
	/* All workers busy (long collectors, hung reads, a burst of scrapes):
	 * add workers rather than queue behind them. */
	for (unsigned spawned = 0; p->queued > p->nidle + spawned && p->live < p->max; spawned++)
		if (spawn_worker(p) < 0)
			break;
	pthread_mutex_unlock(&p->mu);
	/* Signalled after the unlock: a woken worker would otherwise block
	 * straight away on p->mu (perf showed the futex round trip). */
	for (size_t i = 0; i < nt; i++)
		pthread_cond_signal(&p->cv);
}

/* Wait until the workers finished s's pool jobs or the deadline passed. */
static void wait_pool(struct scrape *s, uint64_t deadline)
{
	pthread_mutex_lock(&s->mu);
	while (atomic_load(&s->pending) > 0) {
		struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000u),
				       .tv_nsec = (long)(deadline % 1000000000u) };

		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT && daemon_now_ns() >= deadline)
			break;
	}
	pthread_mutex_unlock(&s->mu);
}

int scrape_req_check(const struct scrape_req *req, char *err, size_t errlen)
{
	for (size_t k = 0; k < req->n_only; k++) {
		int i = collector_find(req->only[k]);

		if (i < 0) {
			snprintf(err, errlen,
				 "Couldn't create filtered metrics handler: missing collector: %s",
				 req->only[k]);
			return -ENOENT;
		}
		if (!collector_enabled[i]) {
			snprintf(err, errlen,
				 "Couldn't create filtered metrics handler: disabled collector: %s",
				 req->only[k]);
			return -EPERM;
		}
	}
	return 0;
}

int scrape_run(struct scrape_pool *p, const struct scrape_req *req, struct metrics_writer *w)
{
	struct scrape_outcome out[NCOLL];
	struct scrape *s;
	uint64_t start = daemon_now_ns(), deadline = req->deadline_ns;
	enum metrics_format fmt = req->fmt;
	double timeout_s = deadline > start ? (double)(deadline - start) / 1e9 : 0;
	size_t i, n = 0, nt;
	unsigned newly_stuck = 0;
	bool all_direct = true;
	int r = 0;

	s = scrape_get(fmt);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < NCOLL; i++) {
		struct job *j;

		if (!collector_enabled[i] || !scrape_req_selects(req, collectors[i]->name))
			continue;
		j = &s->jobs[n];
		j->ci = i;
		j->direct = collector_inline[i];
		buf_reset(&j->out);
		if (!j->w)
			j->w = metrics_writer_new(&j->out, fmt);
		if (!j->w) {
			scrape_give(s);
			return -ENOMEM;
		}
		j->out_w = j->w;
		memset(&j->ctx, 0, sizeof(j->ctx));
		j->ctx.cfg = &host_cfg;
		j->ctx.deadline_ns = deadline;
		j->ctx.fmt = fmt;
		j->rc = 0;
		j->dur_ns = 0;
		atomic_store(&j->state, J_QUEUED);
		n++;
	}
	s->njobs = n;
	/* A collector that may decline at run time (textfile) runs inline only
	 * if every other one does: then no worker holds the scrape and its
	 * job can be handed to the pool afterwards (below). */
	for (i = 0; i < n && all_direct; i++)
		all_direct = s->jobs[i].direct || collectors[s->jobs[i].ci]->src == SRC_TEXTFILE;
	for (i = 0; i < n; i++) {
		struct job *j = &s->jobs[i];

		if (collectors[j->ci]->src == SRC_TEXTFILE)
			j->direct = j->direct && all_direct;
		j->ctx.inline_run = j->direct;
	}
	s->npool = s->ninline = 0;
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			struct job *j = &s->jobs[i];

			if (pass == 0 && !j->direct)
				s->pool_idx[s->npool++] = i;
			else if (j->direct && (pass == 1) == collectors[j->ci]->may_wait)
				s->inline_idx[s->ninline++] = i;
		}
	if (!s->npool) {
		/* Every job inline and no worker involved: the jobs write
		 * straight into the scrape's writer, in table order (no per-job
		 * buffer to copy and no family names to re-check in the merge:
		 * perf put the merge at ~3.5% of a scrape).  textfile keeps its
		 * own writer (its output goes out through its merge hook, and it
		 * may yet be handed to a worker). */
		s->ninline = 0;
		for (i = 0; i < n; i++) {
			s->inline_idx[s->ninline++] = i;
			if (!collectors[s->jobs[i].ci]->merge)
				s->jobs[i].out_w = w;
		}
	}
	atomic_store(&s->pending, n);
	atomic_store(&s->next, 0);
	atomic_store(&s->next_inline, 0);
	/* One ticket per core that can usefully run collectors in parallel
	 * (at least 2, so one slow collector does not hold up the rest); more
	 * only adds wake-ups. */
	nt = p->tickets;
	if (nt > s->npool)
		nt = s->npool;
	if (nt && s->ninline) {
		/* With inline work for this thread, one worker usually drains
		 * the pool jobs meanwhile; the other tickets go out only if
		 * it has not claimed them all by the time we are done (a slow
		 * or hung source), so the rest still run in parallel. */
		queue_tickets(p, s, 0, 1);
	} else if (nt) {
		queue_tickets(p, s, 0, nt);
	}
	/* Meanwhile this thread runs the inline jobs: a wake-up and a context
	 * switch per job cost more than most of these collectors (perf: ~25%
	 * of a scrape's CPU was the scheduler).  The filesystem collector goes
	 * last: it may wait (bounded) for a statfs helper. */
	if (s->ninline) {
		(void)run_list(s, s->inline_idx, s->ninline, &s->next_inline, s->rb);
		if (nt > 1 && atomic_load(&s->next) < s->npool)
			queue_tickets(p, s, 1, nt);
	}
	if (!s->npool) {
		/* No worker holds s: the jobs that declined to run inline
		 * (COLLECT_NEEDS_POOL, before writing anything) go to the pool. */
		for (i = 0; i < s->ninline; i++) {
			struct job *j = &s->jobs[s->inline_idx[i]];

			if (collectors[j->ci]->src != SRC_TEXTFILE || atomic_load(&j->state) != J_DONE ||
			    j->w_rc != COLLECT_NEEDS_POOL)
				continue;
			log_debug("collector handed to the pool", "collector", collectors[j->ci]->name, NULL);
			j->ctx.err[0] = '\0';
			j->ctx.inline_run = false;
			atomic_store(&j->state, J_QUEUED);
			s->pool_idx[s->npool++] = s->inline_idx[i];
		}
		if (s->npool) {
			atomic_fetch_add(&s->pending, s->npool);
			atomic_store(&s->next, 0);
			queue_tickets(p, s, 0, 1);
		}
	}
	wait_pool(s, deadline);
	/* Whatever is not done now is abandoned. */
	for (i = 0; i < n; i++) {
		struct job *j = &s->jobs[i];
		int st = atomic_load(&j->state);

		while (st == J_QUEUED || st == J_RUNNING) {
			if (atomic_compare_exchange_weak(&j->state, &st, J_ABANDONED)) {
				newly_stuck += st == J_RUNNING;
				j->dur_ns = daemon_now_ns() - start;
				j->rc = -ETIMEDOUT;
				break;
			}
		}
	}
	if (newly_stuck) {
		/* Replace the workers caught in a hung read. */
		pthread_mutex_lock(&p->mu);
		p->stuck += newly_stuck;
		while (p->live < p->base + p->stuck && p->live < p->max)
			if (spawn_worker(p) < 0)
				break;
		pthread_mutex_unlock(&p->mu);
	}

	/* Merge in table order; collectors with a merge hook after all others. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			struct job *j = &s->jobs[i];
			const struct collector *c = collectors[j->ci];
			bool done = atomic_load(&j->state) == J_DONE;
			int rc;

			if ((pass == 0) != (c->merge == NULL))
				continue;
			if (done) {
				j->rc = j->w_rc;
				j->dur_ns = j->w_dur_ns;
			}
			rc = j->rc;
			if (done) {
				/* Partial output of a failed collector is kept, as
				 * node_exporter keeps what was sent before the error. */
				int mr = j->out_w == j->w ? metrics_writer_merge(w, j->w) : 0;

				if (mr < 0) {
					/* not reset by a failed merge: start afresh */
					metrics_writer_free(j->w);
					j->w = NULL;
					if (rc >= 0) {
						rc = mr;
						ctx_error(&j->ctx, mr, "merging output: %s", strerror(-mr));
					}
				}
				if (rc >= 0 && c->merge) {
					rc = c->merge(&j->ctx, w);
					if (rc < 0)
						ctx_error(&j->ctx, rc, "merge failed: %s", strerror(-rc));
				}
				if (j->ctx.priv && c->free_priv)
					c->free_priv(j->ctx.priv);
				j->ctx.priv = NULL;
				log_outcome(j->ci, rc, j->ctx.err);
			} else {
				/* An abandoned job's ctx still belongs to its worker. */
				char msg[64];

				snprintf(msg, sizeof(msg), "collector timed out after %gs", timeout_s);
				log_outcome(j->ci, rc, msg);
			}
			out[i] = (struct scrape_outcome){ .name = c->name,
							  .seconds = (double)j->dur_ns / 1e9,
							  .ok = rc >= 0 };
		}
	}

	r = collect_write_outcomes(w, &host_meta, out, n);
	scrape_give(s);
	return r;
}

/* ---- flags and set-up of the collectors ---- */

static bool arg_disable_defaults;
static long arg_threads;

static const struct flag framework_flags[] = {
	{ .name = "path.procfs", .type = FLAG_STRING, .dst = &host_cfg.procfs, .def = "/proc",
	  .help = "procfs mountpoint." },
	{ .name = "path.sysfs", .type = FLAG_STRING, .dst = &host_cfg.sysfs, .def = "/sys",
	  .help = "sysfs mountpoint." },
	{ .name = "path.rootfs", .type = FLAG_STRING, .dst = &host_cfg.rootfs, .def = "/",
	  .help = "rootfs mountpoint." },
	{ .name = "path.udev.data", .type = FLAG_STRING, .dst = &host_cfg.udev_data,
	  .def = "/run/udev/data", .help = "udev data path." },
	{ .name = "collector.disable-defaults", .type = FLAG_BOOL, .dst = &arg_disable_defaults,
	  .def = "false", .help = "Set all collectors to disabled by default." },
	{ .name = "collector.timeout", .type = FLAG_DURATION, .dst = &host_cfg.collector_timeout,
	  .def = "5s",
	  .help = "Per-collector deadline within a scrape: a collector still running then reports "
		  "success 0 (also capped by 90% of X-Prometheus-Scrape-Timeout-Seconds).",
	  .check = flag_check_positive, .rule = "a duration > 0" },
	{ .name = "collector.threads", .type = FLAG_INT, .dst = &arg_threads, .def = "0",
	  .help = "Collector worker threads (0: twice the CPUs, at least 4).", .min = 0,
	  .max = 256 },
};

int collectors_add_flags(struct flagset *fs)
{
	int r = flagset_add(fs, framework_flags, sizeof(framework_flags) / sizeof(framework_flags[0]));

	for (size_t i = 0; i < NCOLL && r == 0; i++) {
		const struct collector *c = collectors[i];
		struct flag f = {
			.name = flagset_printf(fs, "collector.%s", c->name),
			.type = FLAG_BOOL,
			.dst = &collector_enabled[i],
			.def = c->default_on ? "true" : "false",
			.help = flagset_printf(fs, "Enable the %s collector.", c->name),
		};

		if (!f.name || !f.help)
			return -ENOMEM;
		r = flagset_add(fs, &f, 1);
	}
	for (size_t i = 0; i < NCOLL && r == 0; i++)
		r = flagset_add(fs, collectors[i]->flags, collectors[i]->nflags);
	return r;
}

unsigned collectors_threads(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (arg_threads > 0)
		return (unsigned)arg_threads;
	if (ncpu < 1)
		ncpu = 1;
	return (unsigned)(ncpu * 2 < 4 ? 4 : ncpu * 2);
}

int collectors_setup(const struct flagset *fs)
{
	char err[512];
	int r;

	/* --collector.disable-defaults turns off the collectors the command
	 * line did not name (the parser knows which it gave). */
	if (arg_disable_defaults)
		for (size_t i = 0; i < NCOLL; i++)
			if (!flagset_given(fs, &collector_enabled[i]))
				collector_enabled[i] = false;
	for (size_t i = 0; i < NCOLL; i++) {
		if (!collectors[i]->init)
			continue;
		err[0] = '\0';
		r = collectors[i]->init(fs, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "host-exporter: error: %s\n", err[0] ? err : strerror(-r));
			return r;
		}
	}
	tzset();	/* localtime_r (time collector) does not promise to */
	/* Collectors whose sources cannot hang run on the scraping thread
	 * (see collector_classify()); the others on the deadline-guarded pool. */
	collector_classify(&host_cfg);
	pf_cache_root(host_cfg.procfs);
	for (size_t i = 0; i < NCOLL; i++)
		if (collector_enabled[i])
			log_info("Enabled collector", "collector", collectors[i]->name, "runs",
				 collector_inline[i] ? "inline" : "pool", NULL);
	return 0;
}

void collectors_teardown(void)
{
	for (size_t i = 0; i < NCOLL; i++)
		if (collectors[i]->teardown)
			collectors[i]->teardown();
	pf_cache_close();
}
