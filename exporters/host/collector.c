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
 * Inline jobs: when --path.procfs is a real procfs, the collectors that read
 * only procfs (inline_ok in the table; they cannot hang) run on the scraping
 * thread itself while one worker runs the others (sysfs, rootfs, udev data,
 * textfiles: deadline-guarded); a second ticket goes out only if that
 * worker has not claimed all of them by the time the inline jobs are done.
 * A worker done with the pool jobs helps with inline jobs not yet started
 * (they cannot hang, so any thread may run them).  The merge stays in table
 * order.  Measured on 2 cores: ~4.8 instead of ~8
 * context switches per scrape.
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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

const struct collector collectors[] = {
	/* inline_ok: procfs-only readers; the others read sysfs, rootfs, udev
	 * data or a user directory, any of which can hang (see collector.h). */
	{ "cpu", true, collect_cpu, NULL, NULL, false },
	{ "diskstats", true, collect_diskstats, NULL, NULL, false },
	{ "filefd", true, collect_filefd, NULL, NULL, true },
	{ "filesystem", true, collect_filesystem, NULL, NULL, true },
	{ "loadavg", true, collect_loadavg, NULL, NULL, true },
	{ "meminfo", true, collect_meminfo, NULL, NULL, true },
	{ "netdev", true, collect_netdev, NULL, NULL, false },
	{ "netstat", true, collect_netstat, NULL, NULL, true },
	{ "os", true, collect_os, NULL, NULL, false },
	{ "pressure", true, collect_pressure, NULL, NULL, true },
	{ "sockstat", true, collect_sockstat, NULL, NULL, true },
	{ "stat", true, collect_stat, NULL, NULL, true },
	{ "textfile", true, collect_textfile, merge_textfile, free_textfile, false },
	{ "time", true, collect_time, NULL, NULL, false },
	{ "uname", true, collect_uname, NULL, NULL, true },
	{ "vmstat", true, collect_vmstat, NULL, NULL, true },
};
const size_t ncollectors = sizeof(collectors) / sizeof(collectors[0]);
#define NCOLL (sizeof(collectors) / sizeof(collectors[0]))
bool collector_enabled[NCOLL];
bool collector_inline;

/* Last logged error per collector (0 = none logged / recovered). */
static _Atomic uint64_t last_err[NCOLL];

int collector_find(const char *name)
{
	for (size_t i = 0; i < NCOLL; i++)
		if (strcmp(collectors[i].name, name) == 0)
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
};

static void scrape_unref(struct scrape *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < NCOLL; i++) {
		struct job *j = &s->jobs[i];

		if (j->ctx.priv && collectors[j->ci].free_priv)
			collectors[j->ci].free_priv(j->ctx.priv);
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
	r = collectors[j->ci].collect(&j->ctx, j->w);
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

static void *worker_main(void *arg)
{
	struct scrape_pool *p = arg;
	struct rbuf rb[CTX_RBUFS] = { { 0 } };
	bool retire = false;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct ticket *t;
		struct scrape *s;

		while (!p->head && !p->stop) {
			struct timespec ts;
			int w;

			/* Extra workers (made for a burst or to replace stuck
			 * ones) retire after a few idle seconds. */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 3;
			p->nidle++;
			w = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
			p->nidle--;
			if (w == ETIMEDOUT && !p->head && p->live > p->base + p->stuck) {
				retire = true;
				break;
			}
		}
		if (retire || !p->head)
			break;	/* retiring, or stop with the queue drained */
		t = p->head;
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
	for (int i = 0; i < CTX_RBUFS; i++)
		rbuf_free(&rb[i]);
	host_regex_thread_done();
	return NULL;
}

/* Each scraping thread keeps its last scrape object (buffers, writers) for
 * the next scrape, unless late workers still hold it. */
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *s)
{
	scrape_unref(s);
}

static void cache_init(void)
{
	(void)pthread_key_create(&cache_key, cache_free);
}

static struct scrape *scrape_get(enum metrics_format fmt)
{
	struct scrape *s;
	pthread_condattr_t ca;

	pthread_once(&cache_once, cache_init);
	s = pthread_getspecific(cache_key);
	if (s && atomic_load(&s->refs) == 1 && s->fmt == fmt)
		return s;
	if (s) {
		pthread_setspecific(cache_key, NULL);
		scrape_unref(s);	/* the last late worker frees it */
	}
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
	pthread_setspecific(cache_key, s);
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
	p->base = nthreads ? nthreads : 1;
	{
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		p->tickets = ncpu < 2 ? 2 : (unsigned)ncpu;
		if (p->tickets > p->base)
			p->tickets = p->base;
	}
	p->max = p->base + 64;
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
	/* The calling thread's cached scrape goes too. */
	if (pthread_once(&cache_once, cache_init) == 0) {
		struct scrape *s = pthread_getspecific(cache_key);

		pthread_setspecific(cache_key, NULL);
		scrape_unref(s);
	}
	/* A worker still stuck in a hung read keeps using p: leave it. */
	if (left)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->idle);
	free(p);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h | 1;
}

static void log_outcome(size_t ci, int rc, const char *err)
{
	char errbuf[300];
	uint64_t h;

	if (rc >= 0) {
		atomic_store(&last_err[ci], 0);
		return;
	}
	if (!err || !*err) {
		snprintf(errbuf, sizeof(errbuf), "%s", strerror(-rc));
		err = errbuf;
	}
	h = fnv(err);
	if (atomic_exchange(&last_err[ci], h) == h)
		return;	/* already logged */
	if (rc == -ENODATA)
		log_debug("collector returned no data", "collector", collectors[ci].name, "err", err, NULL);
	else
		log_error("collector failed", "collector", collectors[ci].name, "err", err, NULL);
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

int scrape_run(struct scrape_pool *p, const bool *want, enum metrics_format fmt,
	       double timeout_s, struct metrics_writer *w)
{
	static const char *const cl[] = { "collector", NULL };
	struct scrape *s;
	uint64_t start = daemon_now_ns(), deadline;
	double dur[NCOLL];
	int ok[NCOLL];
	size_t i, n = 0, nt;
	unsigned newly_stuck = 0;
	int r = 0;

	if (timeout_s <= 0)
		timeout_s = 1e6;
	deadline = start + (uint64_t)(timeout_s * 1e9);
	s = scrape_get(fmt);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < NCOLL; i++) {
		struct job *j;

		if (!(want ? want[i] : collector_enabled[i]))
			continue;
		j = &s->jobs[n];
		j->ci = i;
		j->direct = collector_inline && collectors[i].inline_ok && !collectors[i].merge;
		buf_reset(&j->out);
		if (!j->w)
			j->w = metrics_writer_new(&j->out, fmt);
		if (!j->w)
			return -ENOMEM;
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
	s->npool = s->ninline = 0;
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			struct job *j = &s->jobs[i];

			if (pass == 0 && !j->direct)
				s->pool_idx[s->npool++] = i;
			else if (j->direct && (pass == 1) == (collectors[j->ci].collect == collect_filesystem))
				s->inline_idx[s->ninline++] = i;
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
			const struct collector *c = &collectors[j->ci];
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
				int mr = metrics_writer_merge(w, j->w);

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
			dur[i] = (double)j->dur_ns / 1e9;
			ok[i] = rc >= 0;
		}
	}

	if (n) {
		r = writer_family(w, "node_scrape_collector_duration_seconds", METRIC_GAUGE,
				  "node_exporter: Duration of a collector scrape.", cl);
		for (i = 0; i < n && r >= 0; i++) {
			const char *lv[] = { collectors[s->jobs[i].ci].name };

			r = writer_sample(w, lv, dur[i]);
		}
		if (r >= 0)
			r = writer_family(w, "node_scrape_collector_success", METRIC_GAUGE,
					  "node_exporter: Whether a collector succeeded.", cl);
		for (i = 0; i < n && r >= 0; i++) {
			const char *lv[] = { collectors[s->jobs[i].ci].name };

			r = writer_sample(w, lv, ok[i]);
		}
	}
	return r;
}
