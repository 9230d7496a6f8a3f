/*
 * host-exporter: a node_exporter 1.5 drop-in for the collectors in
 * collector.c, reading /proc and /sys directly.
 *
 * main: the HTTP side only (/metrics with collect[], /, /-/healthy) on
 * common's skeleton (app.h); the collectors declare their own flags, init
 * and teardown in their table entries (collector.h).
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "collector.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

static long arg_max_requests;
static long arg_max_concurrent;
static bool arg_disable_exporter_metrics;

static const struct flag flags[] = {
	{ .name = "web.disable-exporter-metrics", .type = FLAG_BOOL,
	  .dst = &arg_disable_exporter_metrics, .def = "false",
	  .help = "Exclude metrics about the exporter itself (process_*, host_exporter_build_info)." },
	{ .name = "web.max-requests", .type = FLAG_INT, .dst = &arg_max_requests, .def = "40",
	  .help = "Maximum number of parallel scrape requests. Use 0 to disable.", .min = 0,
	  .max = 1000000 },
	{ .name = "collector.max-concurrent", .type = FLAG_INT, .dst = &arg_max_concurrent,
	  .def = "0",
	  .help = "Scrapes that collect at once (0: the number of CPUs, at least 2); more wait "
		  "for one to finish, at most half the time to their deadline, then collect anyway.",
	  .min = 0, .max = 1000000 },
};

static struct scrape_pool *pool;
static struct metrics_registry *registry;	/* process_* and build_info */
static _Atomic long in_flight;

/*
 * Scrapes that collect at once (--collector.max-concurrent).  Each one
 * builds its own scrape object, answer and gzip copy (~300 kB with the
 * default set) and wakes collector threads, so eight overlapping scrapes on
 * two CPUs held eight of each at once and left a heap that large behind
 * them -- for no more throughput than two: the CPUs were already full
 * (bench/host-exporter-bench.sh, "8 scrapers" rows).  Past the limit a
 * scrape waits for a slot, at most half the time left to its deadline, and
 * then collects anyway, over the limit: it still answers in time with what
 * its collectors finish.  A hard limit answering 503 instead made `up` 0
 * (and node-mixin's alerts fire) whenever more scrapes than slots met a
 * collector that hangs until the deadline (a FIFO, a stuck device), where
 * node_exporter answers every one of them with that collector's success 0;
 * --web.max-requests remains the limit that refuses.  An uncontended slot is
 * one atomic operation (a POSIX semaphore: a futex only when someone waits).
 * At least 2 by default, so that a Prometheus HA pair scraping at the same
 * instant both collect at once even on one CPU.  Scrapes are not merged:
 * each collects its own fresh values, as node_exporter's do.
 */
static sem_t collect_slots;
static long collect_nslots;

/*
 * The end of a burst.  What overlapping scrapes made beyond the spares kept
 * for one scrape at a time is freed as each ends, but the freed memory stays
 * in malloc's heap until the idle release a quiet second later (buf.h).
 * When the last of overlapping scrapes is over -- its answer sent and its
 * request state handed back (http hooks' on_done, after libmicrohttpd's
 * completion callback) -- nothing else is collecting, so the release runs
 * there at once: the spares go as well (as they would a second later; the
 * next scrape allocates them afresh), the collector workers drop their read
 * buffers and stack pages (pool_release), and the heap is trimmed.  Run
 * from on_complete instead (the answer queued, not yet sent), it came
 * before the other overlapping scrapes' answers were sent and their buffers
 * freed, and those stayed in the heap.
 *
 * A burst's stragglers: the scrapers of a burst rarely stop together, and
 * the last of them may go on alone for a few more scrapes (in
 * bench/host-exporter-bench.sh's 8-scraper run, 4 to 46 of them), each
 * building the spares again; they stayed until the idle release.  So a lone
 * scrape that starts within MEM_TRIM_QUIET_NS of a burst's release -- the
 * second in which the idle release would have come -- releases too when it
 * is over.  That costs such a scrape its releases (5 instead of 1.2 ms of
 * CPU per gzip scrape on a 2-core VM: the trims' madvise, their TLB
 * shoot-downs, and the page faults of allocating the spares afresh) and is
 * bounded to that second: a lone scrape after it keeps its spares, as do
 * all lone scrapes with no burst before them (the tail's own releases do
 * not extend the window).
 *
 * Scrapes overlap when one starts while another is collecting (from the
 * handler to on_complete, the answer queued): a client that scrapes one
 * after another on new connections may start the next before the previous
 * one's on_done, which is no burst.  The release waits for every scrape
 * open (handler to on_done) to be over.  Both counts are of /metrics
 * requests, marked with burst_mark (tail_mark for a straggler) as userdata.
 */
static _Atomic long scrapes_open, scrapes_collecting;
static atomic_bool overlapped;
static _Atomic uint64_t tail_until;	/* daemon_now_ns() bound of the stragglers' second */
static char burst_mark, tail_mark;

static void scrape_opened(struct http_request *req)
{
	bool tail = false;

	atomic_fetch_add(&scrapes_open, 1);
	if (atomic_fetch_add(&scrapes_collecting, 1) > 0)
		atomic_store_explicit(&overlapped, true, memory_order_relaxed);
	else
		tail = daemon_now_ns() < atomic_load_explicit(&tail_until, memory_order_relaxed);
	http_request_set_userdata(req, tail ? &tail_mark : &burst_mark);
}

/* The answer is queued (or the request given up on): no longer collecting. */
static void on_complete(void *ctx, struct http_request *req, int status, uint64_t duration_ns)
{
	void *ud = http_request_userdata(req);

	(void)ctx;
	(void)status;
	(void)duration_ns;
	if (ud == &burst_mark || ud == &tail_mark)
		atomic_fetch_sub(&scrapes_collecting, 1);
}

static void on_done(void *userdata)
{
	if (userdata != &burst_mark && userdata != &tail_mark)
		return;
	if (atomic_fetch_sub(&scrapes_open, 1) != 1)
		return;
	if (atomic_load_explicit(&overlapped, memory_order_relaxed) &&
	    atomic_exchange(&overlapped, false)) {
		mem_release_now();
		atomic_store_explicit(&tail_until, daemon_now_ns() + MEM_TRIM_QUIET_NS,
				      memory_order_relaxed);
		log_debug("burst of scrapes over: memory released", NULL);
	} else if (userdata == &tail_mark) {
		mem_release_now();
		log_debug("scrape after a burst over: memory released", NULL);
	}
}

/*
 * The same release, before the answer is queued, by a scrape that will end
 * a burst or is a straggler's and is the only one open: its body is built
 * and its scrape object already given back, so all but its own answer can
 * go before the client has it (the release takes ~1-2 ms, mostly waking the
 * workers; run only after the answer was sent, it sometimes came after the
 * client had read it).  on_done releases again for what the answer itself
 * used: its request state, the gzip compressor.
 */
static void burst_release_early(struct http_request *req)
{
	if (atomic_load(&scrapes_open) == 1 &&
	    (atomic_load_explicit(&overlapped, memory_order_relaxed) ||
	     http_request_userdata(req) == &tail_mark))
		mem_release_now();
}

/* True with a slot (give it back with sem_post), false when none came
 * within half the time left to the deadline: collect over the limit. */
static bool collect_slot_take(uint64_t deadline_ns)
{
	uint64_t now, until;
	struct timespec ts;

	if (sem_trywait(&collect_slots) == 0)
		return true;
	now = daemon_now_ns();
	until = deadline_ns > now ? now + (deadline_ns - now) / 2 : now;
	ts = (struct timespec){ .tv_sec = (time_t)(until / 1000000000u),
				.tv_nsec = (long)(until % 1000000000u) };
	while (sem_clockwait(&collect_slots, CLOCK_MONOTONIC, &ts) < 0)
		if (errno != EINTR)
			return false;	/* ETIMEDOUT */
	return true;
}

/*
 * node_exporter_build_info: node-mixin's dashboards list their instances
 * with label_values(node_exporter_build_info, instance), so a drop-in that
 * lacks it leaves them empty.  We export it under that name with our own
 * version and revision and exporter="host-exporter" to tell the two apart;
 * like node_exporter 1.5 (its handler registers the version collector beside
 * the node collector), on every scrape, also with collect[] and
 * --web.disable-exporter-metrics.
 */
static int write_node_build_info(struct metrics_writer *w)
{
	static const char *const names[] = { "exporter", "revision", "version", NULL };
	static const char *const values[] = { "host-exporter", PRISM_REVISION, PRISM_VERSION };
	int r = writer_family(w, "node_exporter_build_info", METRIC_GAUGE,
			      "A metric with a constant '1' value labeled by version and revision "
			      "from which host-exporter was built, under node_exporter's name "
			      "(exporter=\"host-exporter\") for node-mixin's dashboards.",
			      names);

	return r < 0 ? r : writer_sample(w, values, 1);
}

static void handle_metrics(struct http_request *req, void *ctx)
{
	struct scrape_names names = { .n = 0 };
	double timeout = host_cfg.collector_timeout;
	struct scrape_req sr;
	struct metrics_writer *w;
	struct buf *body;
	const char *hdr;
	bool slotted;
	char err[200];
	int r;

	(void)ctx;
	scrape_opened(req);
	if (arg_max_requests > 0 && atomic_fetch_add(&in_flight, 1) + 1 > arg_max_requests) {
		static const char msg[] = "Limit of concurrent requests reached (see "
					  "--web.max-requests), try again later.\n";

		http_respond(req, 503, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
		goto out;
	}
	http_request_query_each(req, "collect[]", scrape_names_add, &names);
	sr = (struct scrape_req){ .only = names.v, .n_only = names.n };
	if (names.overflow) {
		snprintf(err, sizeof(err), "at most %d collect[] parameters", SCRAPE_MAX_COLLECT);
		http_respond(req, 400, "text/plain; charset=utf-8", err, strlen(err));
		goto out;
	}
	if (scrape_req_check(&sr, err, sizeof(err)) < 0) {
		http_respond(req, 400, "text/plain; charset=utf-8", err, strlen(err));
		goto out;
	}
	/* Prometheus says how long it waits; answer before that. */
	hdr = http_request_header(req, "X-Prometheus-Scrape-Timeout-Seconds");
	if (hdr) {
		char *end;
		double t = strtod(hdr, &end);

		if (end != hdr && t > 0 && t * 0.9 < timeout)
			timeout = t * 0.9;
	}
	sr.deadline_ns = daemon_now_ns() + (uint64_t)(timeout * 1e9);
	slotted = collect_slot_take(sr.deadline_ns);
	/* node_exporter 1.5 does not enable OpenMetrics: 0.0.4 always. */
	sr.fmt = metrics_negotiate(http_request_header(req, "Accept"), false);
	body = http_response_body(req);
	buf_reset(body);
	w = metrics_writer_new(body, sr.fmt);
	if (!w) {
		if (slotted)
			sem_post(&collect_slots);
		http_respond_json_error(req, 503, "out of memory", NULL);
		goto out;
	}
	r = scrape_run(pool, &sr, w);
	if (r >= 0)
		r = write_node_build_info(w);
	if (r >= 0 && !arg_disable_exporter_metrics) {
		metrics_writer_free(w);
		w = NULL;
		r = metrics_registry_expose(registry, sr.fmt, body);
	} else if (r >= 0) {
		r = metrics_writer_finish(w);
	}
	metrics_writer_free(w);
	if (slotted)
		sem_post(&collect_slots);
	if (r < 0 || buf_failed(body)) {
		char e[16];

		snprintf(e, sizeof(e), "%d", r);
		log_error("metrics exposition failed", "errno", e, NULL);
		buf_reset(body);
		http_respond(req, 500, "text/plain; charset=utf-8", "metrics exposition failed\n", 26);
		goto out;
	}
	burst_release_early(req);
	http_respond_buf(req, 200, metrics_content_type(sr.fmt), true);
out:
	if (arg_max_requests > 0)
		atomic_fetch_sub(&in_flight, 1);
}

/*
 * glibc's per-thread cache (tcache) keeps up to 7 freed chunks of each small
 * size in the thread that freed them, out of malloc_trim's reach: after a
 * burst of concurrent scrapes, the chunks the eight HTTP threads and the
 * workers parked there pinned the heap pages around them, about 1 MB of
 * anonymous memory that never went back (50 gzip + 50 plain scrapes, then 8
 * scrapers x 40, then 5 s: 3.4-3.6 MB with it, 2.1-2.4 MB without).  Our
 * scrapes allocate nothing once warm, so the cache saves nothing.  It can
 * only be turned off by a tunable read at start-up: set it and exec
 * ourselves once (same pid, fds and environment otherwise; a tcache_count
 * the caller set is left alone, other tunables are kept, and a failed exec
 * just keeps the cache).
 */
#define TCACHE_OFF "glibc.malloc.tcache_count=0"

static void malloc_tune_exec(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES"), *pre = getenv("LD_PRELOAD");
	char v[512], path[PATH_MAX];
	int n;

	if (t && strstr(t, "glibc.malloc.tcache_count"))
		return;	/* ours (after the exec) or the caller's */
	/* Under valgrind the exec would leave it (children are not traced). */
	if (pre && strstr(pre, "vgpreload"))
		return;
	n = snprintf(v, sizeof(v), "%s%s" TCACHE_OFF, t ? t : "", t && *t ? ":" : "");
	if (n < 0 || (size_t)n >= sizeof(v) || setenv("GLIBC_TUNABLES", v, 1) < 0)
		return;
	/* By its path, not /proc/self/exe: the kernel names the process
	 * (comm: ps, pgrep, top) after the file executed. */
	n = (int)readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(path) - 1)
		return;	/* no /proc: carry on with the cache */
	path[n] = '\0';
	if (strstr(path, " (deleted)"))
		return;	/* replaced by an upgrade: not the same program */
	execv(path, argv);
	/* Failed: carry on with the cache (and not ask again in a child). */
}

int main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.name = "host-exporter",
		.summary = "Prometheus exporter for host metrics (node_exporter 1.5 compatible).",
		.version = PRISM_VERSION,
		.revision = PRISM_REVISION,
		.listen_default = ":9100",
		.telemetry_path = "/metrics",
		.shutdown_default = "5s",
	};
	struct http_landing_ctx landing = { "prism host-exporter", NULL, PRISM_VERSION };
	struct http_route routes[3];
	struct http_server *srv = NULL;
	struct http_config hc;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct app *a;
	int r;

	malloc_tune_exec(argv);
	a = app_new(&spec);

	if (!a || flagset_add(app_flags(a), flags, sizeof(flags) / sizeof(flags[0])) < 0 ||
	    collectors_add_flags(app_flags(a)) < 0) {
		fprintf(stderr, "host-exporter: error: cannot declare the flags\n");
		return app_done(a, 1);
	}
	{
		/* node_exporter 1.5 flags we do not implement: warned, ignored */
		const char *ignored[256];
		size_t nignored = sizeof(ignored) / sizeof(ignored[0]);

		argc = nodeflags_filter(app_flags(a), argc, argv, ignored, &nignored);
		if ((r = app_parse(a, argc, argv)) != APP_CONTINUE)
			goto out;
		nodeflags_warn(ignored, nignored);
	}
	r = 2;
	if (collectors_setup(app_flags(a)) < 0)
		goto out;
	r = 1;
	/* One malloc arena for every thread: scrapes allocate nothing once
	 * warm (their objects are kept and reused), so there is nothing to
	 * contend on, while each extra arena kept its own partly used heap
	 * (with 2: a second 0.75 MB heap after 100 scrapes; measured with
	 * /proc/PID/smaps, heap 0.8 + arena 0.75 MB -> one 1.2 MB heap). */
	mallopt(M_ARENA_MAX, 1);
	registry = metrics_registry_new();
	if (!registry || metrics_register_process(registry) < 0 ||
	    metrics_register_build_info(registry, "host_exporter", PRISM_VERSION, PRISM_REVISION) < 0) {
		log_error("metrics registry setup failed", NULL);
		goto out;
	}
	collect_nslots = arg_max_concurrent > 0 ? arg_max_concurrent : ncpu < 2 ? 2 : ncpu;
	if (collect_nslots > SEM_VALUE_MAX)
		collect_nslots = SEM_VALUE_MAX;
	if (sem_init(&collect_slots, 0, (unsigned)collect_nslots) < 0) {
		log_error("could not set up the scrape slots", NULL);
		goto out;
	}
	pool = scrape_pool_new(collectors_threads());
	if (!pool) {
		log_error("could not start collector threads", NULL);
		goto out;
	}

	landing.telemetry_path = app_std(a)->telemetry_path;
	routes[0] = (struct http_route){ "GET", app_std(a)->telemetry_path, handle_metrics, NULL };
	routes[1] = (struct http_route){ "GET", "/", http_handle_landing, &landing };
	routes[2] = (struct http_route){ "GET", "/-/healthy", http_handle_healthy, NULL };
	http_config_defaults(&hc);
	/* A scrape blocks its libmicrohttpd thread until its deadline at worst:
	 * enough threads that a few slow scrapes do not queue the rest. */
	if (ncpu < 1)
		ncpu = 1;
	hc.threads = (unsigned)(ncpu * 2 < 8 ? 8 : ncpu * 2 > 64 ? 64 : ncpu * 2);
	hc.server_name = "host-exporter";
	/* Prometheus always asks for gzip.  Level 6 (node_exporter's Go
	 * default) took ~0.5 ms with zlib for a 37 kB scrape here -- more
	 * than the scrape itself; libdeflate's level 1 takes ~0.07 ms for
	 * 7% more bytes (6.4 kB instead of 6.0 kB; bench/host-exporter-bench.sh). */
	hc.gzip_level = 1;
	hc.hooks.on_complete = on_complete;
	hc.on_done = on_done;
	srv = http_server_new(&hc, routes, 3);
	if (!srv) {
		log_error("http server setup failed", NULL);
		goto out;
	}
	if (app_serve(a, srv, NULL, 0, NULL, true) < 0)
		goto out;
	/* SIGHUP: node_exporter 1.5 exits; we re-read the web config and the
	 * log settings and keep serving. */
	r = app_run(a);
out:
	http_server_free(srv);
	scrape_pool_free(pool);
	metrics_registry_free(registry);
	collectors_teardown();
	return app_done(a, r);
}
