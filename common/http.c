/*
 * http: the glue between libmicrohttpd 0.9.75 and prism's route tables.
 *
 * Request life cycle (all on the libmicrohttpd worker thread that owns the
 * connection, except a suspended request's answer):
 *   uri_log_cb        request line seen: per-request state taken from a
 *                     per-thread cache (or allocated), start time, in_flight++
 *   access_cb #1      headers read: route resolved, on_begin, early errors
 *                     (404, 405, 413 by Content-Length) queued at once so
 *                     libmicrohttpd never reads the body
 *   access_cb #2..n   body chunks appended to the request's body buffer
 *   access_cb last    handler runs; its answer (recorded by http_respond*)
 *                     is queued here; a suspended request gets this call
 *                     again after http_request_resume()
 *   completed_cb      state returned to the cache, in_flight--, on_done
 * Responses are only ever queued from access_cb, i.e. on the connection's
 * own thread, which is what libmicrohttpd requires (MHD_queue_response).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <libdeflate.h>

#include "daemon.h"
#include "http.h"
#include "http_reload.h"
#include "http_webconfig.h"
#include "json.h"
#include "log.h"

#define MAX_LISTENERS 16
#define MAX_SEGMENTS 16
#define MAX_RESP_HEADERS 8
#define HDR_ARENA 1024
#define PARAM_ARENA 256
#define REQUEST_ID_MAX 64
#define CACHE_PER_THREAD 8
#define CACHE_KEEP_BYTES (1u << 20)	/* buffers larger than this are not kept */
#define CACHE_BIG_BYTES (16u << 10)	/* larger ones are shared, not per thread */
#define BIG_SLOTS 1	/* one scrape at a time (see above) */

struct segment {
	const char *s;
	size_t len;
	bool param;
};

struct route_rt {
	enum http_method method;	/* HTTP_OTHER for methods outside the enum */
	const char *method_str;
	struct segment seg[MAX_SEGMENTS];
	size_t nseg;
	bool valid;
};

struct listener {
	struct http_server *s;
	unsigned idx;
	_Atomic unsigned conns;	/* open connections (NOTIFY_CONNECTION) */
	/* ours until MHD_start_daemon, MHD's until quiesce, then ours again:
	 * shut down, and closed only after MHD_stop_daemon */
	int fd;
	int port;
	bool fd_owned;		/* we must close fd */
	struct MHD_Daemon *mhd;
	char addr[128];
};

/*
 * Lingering close (nginx's lingering_close): an answer sent before the body
 * was read (413, a refused head) is followed by libmicrohttpd closing a
 * socket with unread data, and the kernel then sends an RST that makes the
 * client lose the answer (or fail while still sending).  completed_cb runs
 * before libmicrohttpd 0.9.75 closes its fd and after the answer is in the
 * kernel, so it hands a dup() of the socket to one thread per server that
 * sends FIN (shutdown SHUT_WR) and reads and drops what the client still
 * sends, until EOF, LINGER_NS or LINGER_BYTES, then closes.  At most
 * LINGER_MAX sockets linger at once; past that the old abrupt close.
 * The body cap is well above what a naive client sends with a refused
 * upload (20 MB in issue 14's case); the time cap bounds the CPU per socket.
 */
#define LINGER_MAX 128
#define LINGER_NS (5ull * 1000000000ull)
#define LINGER_BYTES (32u << 20)
#define LINGER_FREE (-1)
#define LINGER_CLAIMED (-2)	/* a connection thread is filling the slot */

struct lingerer {
	int epfd, evfd;		/* -1 until started */
	pthread_t thr;
	bool running;
	_Atomic int fd[LINGER_MAX];	/* LINGER_FREE, LINGER_CLAIMED or the dup */
	uint64_t deadline[LINGER_MAX];	/* written before fd is published */
	size_t drained[LINGER_MAX];	/* the linger thread's */
	_Atomic unsigned count;		/* sockets lingering now */
	/* What the linger thread reads and drops.  Not a __thread buffer: 64 KiB
	 * of static TLS is reserved in every thread of the process, and threads
	 * created with small stacks (host-exporter's statfs helpers: 64 KiB)
	 * then fail to start. */
	char sink[64 * 1024];
};

static void linger_init(struct lingerer *lg);

/*
 * Connection deadlines and eviction (issue 14): libmicrohttpd's timeout is
 * an idle timeout reset by every byte, and at its connection limit it stops
 * accepting, so a client trickling a head byte by byte is never closed and
 * idle sockets lock new clients out.  Each connection has a slot, indexed by
 * its fd (unique while open), recording its phase and since when:
 *   IDLE  accepted, or between keep-alive requests   --web.idle-timeout
 *   HEAD  request line seen, headers not complete     --web.read-header-timeout
 *   BODY  head complete, body not fully read          --web.read-timeout
 *   BUSY  handler running or answer being sent        (none)
 * The housekeeping thread (the lingering one) sweeps the slots every 500 ms
 * and shuts down (SHUT_RDWR) a connection past its phase's deadline, which
 * makes libmicrohttpd close it (a head or body deadline counts as 408).
 * A new connection that takes a listener past --web.max-connections evicts
 * that listener's longest-idle connection; libmicrohttpd's own limit is set
 * higher (CONN_HEADROOM) so it keeps accepting.  The phase is a relaxed
 * atomic store on the connection's own slot: no lock on the request path;
 * a per-slot spin flag keeps the fd open while the sweeper shuts it down
 * (NOTIFY_CONNECTION's CLOSED runs before libmicrohttpd closes the fd).
 */
enum conn_phase { CS_FREE, CS_IDLE, CS_HEAD, CS_BODY, CS_BUSY };

struct conn_slot {
	_Atomic unsigned char phase;
	_Atomic bool lock;		/* the fd is being shut down: CLOSED waits */
	_Atomic bool timed_out;		/* a head/body deadline closed it: 408 */
	_Atomic unsigned char listener;	/* index into ls[] */
	_Atomic uint64_t since;		/* daemon_now_ns() when the phase began */
};

#define CONN_SLOTS_MAX (1u << 20)
#define CONN_HEADROOM(limit) (16u + (limit) / 16u)

struct http_server {
	struct http_config cfg;
	struct lingerer linger;
	const struct http_route *routes;
	struct route_rt *rt;
	size_t nroutes;
	struct listener ls[MAX_LISTENERS];
	size_t nls;
	_Atomic unsigned in_flight;
	atomic_bool quiesced;
	bool started;
	struct web_live *live;	/* NULL: plain HTTP, no auth; swapped by reloads */
	char id_prefix[12];
	_Atomic uint64_t id_seq;
	struct conn_slot *slots;	/* indexed by fd; NULL: no deadlines */
	unsigned nslots;
	_Atomic unsigned max_fd;	/* highest fd seen, bounds the sweep */
	uint64_t header_ns, read_ns, idle_ns;	/* 0: no deadline */
};

struct resp_header {
	const char *name, *value;
};

struct http_request {
	struct http_server *s;
	struct MHD_Connection *conn;
	enum http_method method;
	const char *method_str;
	const char *path;
	int route;
	uint64_t start_ns;
	void *userdata;

	struct conn_slot *slot;	/* the connection's, or NULL */
	/* state flags; all written by the connection's thread except as noted */
	bool begun, handled, suspended, too_large;
	bool must_close;	/* answered before the body: Connection: close */
	bool bad_target;	/* the raw request-target failed http_check_target */
	const char *raw_uri;	/* in libmicrohttpd's read buffer, before decoding */
	size_t raw_uri_len;	/* strlen at uri_log_cb: short of the line if it held a NUL */
	bool responded;		/* the answer is recorded (may be set by a worker while suspended) */
	bool hooked;		/* on_complete was called (queue or completed_cb) */
	int status;
	bool compress;
	const char *content_type;

	struct buf body;
	struct buf resp;
	struct buf gz;

	size_t nparams;
	const char *param_name[HTTP_MAX_PARAMS];
	size_t param_name_len[HTTP_MAX_PARAMS];
	const char *param_val[HTTP_MAX_PARAMS];
	char param_arena[PARAM_ARENA];

	struct resp_header hdr[MAX_RESP_HEADERS];
	size_t nhdr, hdr_used;
	char hdr_arena[HDR_ARENA];

	char id[REQUEST_ID_MAX + 1];
	char peer[INET6_ADDRSTRLEN + 16];
	struct http_request *next;	/* cache link */
};

/* ---------------------------------------------------------------- */
/* Per-thread cache: request state, so the hot path allocates nothing once a
 * worker thread has warmed up. */

struct thread_cache {
	struct http_request *free;
	unsigned nfree;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static __thread struct thread_cache *tcache;

static void request_destroy(struct http_request *r)
{
	buf_done(&r->body);
	buf_done(&r->resp);
	buf_done(&r->gz);
	free(r);
}

static void cache_destroy(void *p)
{
	struct thread_cache *c = p;
	struct http_request *r;

	if (!c)
		return;
	while ((r = c->free)) {
		c->free = r->next;
		request_destroy(r);
	}
	free(c);
	tcache = NULL;
}

static void cache_key_init(void)
{
	(void)pthread_key_create(&cache_key, cache_destroy);
}

static struct thread_cache *cache_get(void)
{
	if (tcache)
		return tcache;
	pthread_once(&cache_once, cache_key_init);
	tcache = calloc(1, sizeof(*tcache));
	if (tcache)
		(void)pthread_setspecific(cache_key, tcache);
	return tcache;
}

/*
 * Requests whose buffers grew past CACHE_BIG_BYTES (an exporter's scrape:
 * 40 kB of text, its gzip copy) are shared by all threads instead of kept
 * per thread: with eight HTTP threads, host-exporter held eight of them, a
 * third of a megabyte for the one or two scrapes served at a time.  Small
 * ones (orderd's answers) stay in the thread's cache.  A request is taken
 * from these slots first (a plain load skips empty ones without writing
 * the shared line), lock-free.
 */
static _Atomic(struct http_request *) big_slots[BIG_SLOTS];

static struct http_request *big_take(void)
{
	for (int i = 0; i < BIG_SLOTS; i++) {
		struct http_request *r;

		if (atomic_load_explicit(&big_slots[i], memory_order_relaxed) &&
		    (r = atomic_exchange(&big_slots[i], NULL)))
			return r;
	}
	return NULL;
}

static bool big_give(struct http_request *r)
{
	for (int i = 0; i < BIG_SLOTS; i++) {
		struct http_request *none = NULL;

		if (atomic_compare_exchange_strong(&big_slots[i], &none, r)) {
			mem_trim_request();	/* dropped once idle (idle_release) */
			return true;
		}
	}
	return false;
}

__attribute__((destructor)) static void big_free_all(void)
{
	for (int i = 0; i < BIG_SLOTS; i++) {
		struct http_request *r = atomic_exchange(&big_slots[i], NULL);

		if (r)
			request_destroy(r);
	}
}

static struct http_request *request_get(struct http_server *s)
{
	struct thread_cache *c = cache_get();
	struct http_request *r;

	if ((r = big_take()))
		;
	else if (c && c->free) {
		r = c->free;
		c->free = r->next;
		c->nfree--;
	} else {
		r = malloc(sizeof(*r));
		if (!r)
			return NULL;
		buf_init(&r->body, 0);
		buf_init(&r->resp, 0);
		buf_init(&r->gz, 0);
	}
	/* reset everything before the buffers, keep their allocations */
	r->s = s;
	r->conn = NULL;
	r->method = HTTP_OTHER;
	r->method_str = "";
	r->path = "";
	r->route = HTTP_ROUTE_UNKNOWN;
	r->userdata = NULL;
	r->slot = NULL;
	r->begun = r->handled = r->suspended = r->too_large = r->responded = false;
	r->hooked = false;
	r->must_close = r->bad_target = false;
	r->raw_uri = NULL;
	r->raw_uri_len = 0;
	r->status = 0;
	r->compress = false;
	r->content_type = NULL;
	buf_reset(&r->body);
	r->body.max = s->cfg.max_body;
	buf_reset(&r->resp);
	r->resp.max = s->cfg.max_response;
	buf_reset(&r->gz);
	r->gz.max = s->cfg.max_response;
	r->nparams = 0;
	r->nhdr = r->hdr_used = 0;
	r->id[0] = '\0';
	r->peer[0] = '\0';
	r->next = NULL;
	return r;
}

static void request_put(struct http_request *r)
{
	struct thread_cache *c = tcache;

	bool big = r->body.cap > CACHE_BIG_BYTES || r->resp.cap > CACHE_BIG_BYTES ||
		   r->gz.cap > CACHE_BIG_BYTES;
	bool keep = r->body.cap <= CACHE_KEEP_BYTES && r->resp.cap <= CACHE_KEEP_BYTES &&
		    r->gz.cap <= CACHE_KEEP_BYTES;

	if (big && keep && big_give(r))
		return;
	/* A big one that found the shared slots full is a burst's surplus:
	 * freed, not parked in this thread's cache (where eight threads kept
	 * up to 8 each: 2.6 MB of scrape bodies after 8 concurrent scrapers). */
	if (!big && c && c->nfree < CACHE_PER_THREAD && keep) {
		r->next = c->free;
		c->free = r;
		c->nfree++;
		return;
	}
	request_destroy(r);
	mem_trim_request();
}

/* ---------------------------------------------------------------- */

void http_config_defaults(struct http_config *cfg)
{
	*cfg = (struct http_config){
		.threads = 0,
		.conn_limit = 1024,
		.conn_timeout_s = 30,
		.max_body = 64 * 1024,
		.conn_memory = 32 * 1024,
		.max_response = 64u * 1024 * 1024,
		.json_errors = false,
		.request_id = false,
		.gzip_level = 0,
		.server_name = "prism",
	};
}

static enum http_method method_from_str(const char *m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
					     "OPTIONS" };

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(m, names[i]) == 0)
			return (enum http_method)i;
	return HTTP_OTHER;
}

/* Split "/a/:b/c" into segments (pointers into the borrowed template). */
static bool split_template(const char *path, struct route_rt *rt)
{
	const char *p = path;

	rt->nseg = 0;
	if (!p || *p != '/')
		return false;
	if (strcmp(p, "/") == 0)
		return true;
	while (*p == '/') {
		const char *e;

		p++;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (rt->nseg == MAX_SEGMENTS)
			return false;
		rt->seg[rt->nseg].param = (*p == ':');
		rt->seg[rt->nseg].s = rt->seg[rt->nseg].param ? p + 1 : p;
		rt->seg[rt->nseg].len = (size_t)(e - p) - (rt->seg[rt->nseg].param ? 1 : 0);
		rt->nseg++;
		p = e;
	}
	return true;
}

static void idle_release(void);

struct http_server *http_server_new(const struct http_config *cfg, const struct http_route *routes,
				    size_t nroutes)
{
	struct http_server *s = calloc(1, sizeof(*s));
	unsigned char rnd[5] = { 0 };
	long ncpu;

	if (!s)
		return NULL;
	(void)mem_idle_hook_add(idle_release);	/* no-op when added before */
	linger_init(&s->linger);
	if (cfg)
		s->cfg = *cfg;
	else
		http_config_defaults(&s->cfg);
	if (!s->cfg.threads) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		s->cfg.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (!s->cfg.conn_limit)
		s->cfg.conn_limit = 1024;
	/* libmicrohttpd splits the limit across pool threads: each needs one */
	if (s->cfg.conn_limit < s->cfg.threads)
		s->cfg.threads = s->cfg.conn_limit;
	if (!s->cfg.conn_memory)
		s->cfg.conn_memory = 32 * 1024;
	if (!s->cfg.max_response)
		s->cfg.max_response = 64u * 1024 * 1024;
	if (s->cfg.gzip_level < 1 || s->cfg.gzip_level > 9)
		s->cfg.gzip_level = 6;
	if (!s->cfg.server_name)
		s->cfg.server_name = "prism";
	s->routes = routes;
	s->nroutes = nroutes;
	s->rt = calloc(nroutes ? nroutes : 1, sizeof(*s->rt));
	if (!s->rt) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < nroutes; i++) {
		s->rt[i].method_str = routes[i].method ? routes[i].method : "GET";
		s->rt[i].method = method_from_str(s->rt[i].method_str);
		s->rt[i].valid = split_template(routes[i].path, &s->rt[i]);
		if (!s->rt[i].valid)
			log_warn("invalid route template", "server", s->cfg.server_name, "path",
				 routes[i].path ? routes[i].path : "(null)", NULL);
	}
	for (size_t i = 0; i < MAX_LISTENERS; i++)
		s->ls[i].fd = -1;
	/* X-Request-Id: a per-process random prefix plus a counter (unique, cheap) */
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);

		memcpy(rnd, &t, sizeof(rnd));
	}
	snprintf(s->id_prefix, sizeof(s->id_prefix), "%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4]);
	return s;
}

int http_parse_listen_address(const char *addr, char *host, size_t hostlen, uint16_t *ret_port)
{
	const char *colon, *hs, *he;
	char *end;
	unsigned long port;

	if (!addr || !host || hostlen == 0)
		return -EINVAL;
	if (addr[0] == '[') {
		he = strchr(addr, ']');
		if (!he || he[1] != ':')
			return -EINVAL;
		hs = addr + 1;
		colon = he + 1;
		if (he == hs)
			return -EINVAL;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hs = addr;
		he = colon;
		/* an unbracketed IPv6 address is ambiguous: refuse it */
		if (memchr(hs, ':', (size_t)(he - hs)))
			return -EINVAL;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	if ((size_t)(he - hs) >= hostlen)
		return -ENAMETOOLONG;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*ret_port = (uint16_t)port;
	return 0;
}

static int bind_one(int family, const struct sockaddr *sa, socklen_t salen, bool dual, int *ret_fd)
{
	int fd, one = 1, zero = 0, r;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one, sizeof(int)) < 0)
		goto fail;
	if (bind(fd, sa, salen) < 0)
		goto fail;
	if (listen(fd, SOMAXCONN) < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

int http_server_listen(struct http_server *s, const char *addr)
{
	struct listener *l;
	char host[256], portstr[8];
	uint16_t port;
	int r, fd = -1;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t slen = sizeof(u);

	if (!s || s->nls == MAX_LISTENERS || s->started)
		return -EINVAL;
	r = http_parse_listen_address(addr, host, sizeof(host), &port);
	if (r < 0)
		return r;
	if (host[0] == '\0') {
		/* ":port" = every address, IPv4 too (dual-stack), like Go's net.Listen */
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					   .sin6_addr = IN6ADDR_ANY_INIT };
		r = bind_one(AF_INET6, (struct sockaddr *)&a6, sizeof(a6), true, &fd);
		if (r == -EAFNOSUPPORT) {
			struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
						  .sin_addr.s_addr = htonl(INADDR_ANY) };
			r = bind_one(AF_INET, (struct sockaddr *)&a4, sizeof(a4), false, &fd);
		}
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
		struct addrinfo *res = NULL, *ai;
		int g;

		snprintf(portstr, sizeof(portstr), "%u", port);
		g = getaddrinfo(host, portstr, &hints, &res);
		if (g != 0)
			return g == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
		r = -EADDRNOTAVAIL;
		/*
		 * A name with several addresses ("localhost": 127.0.0.1 and ::1)
		 * listens on its first IPv4 address, as Go's net.Listen does, not
		 * on whatever getaddrinfo's RFC 6724 order puts first (::1 where
		 * /etc/hosts lists both); IPv6 only when there is no IPv4 one.
		 */
		for (int pass = 0; pass < 2 && r != 0; pass++)
			for (ai = res; ai; ai = ai->ai_next) {
				/* "[::]:port" is every address, IPv4 too, as in Go */
				bool any6 = ai->ai_family == AF_INET6 &&
					    IN6_IS_ADDR_UNSPECIFIED(
						    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);

				if ((ai->ai_family == AF_INET) != (pass == 0))
					continue;
				r = bind_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, any6, &fd);
				if (r == 0)
					break;
			}
		freeaddrinfo(res);
	}
	if (r < 0)
		return r;
	if (getsockname(fd, &u.sa, &slen) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	l = &s->ls[s->nls++];
	l->fd = fd;
	l->fd_owned = true;
	l->port = ntohs(u.sa.sa_family == AF_INET6 ? u.in6.sin6_port : u.in.sin_port);
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	return 0;
}

int http_server_port(const struct http_server *s, size_t i)
{
	if (!s || i >= s->nls)
		return -1;
	return s->ls[i].port;
}

unsigned long http_fds_needed(unsigned conn_limit)
{
	return (unsigned long)conn_limit + CONN_HEADROOM(conn_limit) + LINGER_MAX;
}

unsigned http_server_in_flight(const struct http_server *s)
{
	return s ? atomic_load(&((struct http_server *)(uintptr_t)s)->in_flight) : 0;
}

/* ---------------------------------------------------------------- */
/* libmicrohttpd callbacks */

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("libmicrohttpd", "server", s->cfg.server_name, "error", msg, NULL);
}

/* ---------------------------------------------------------------- */
/* Lingering close: see struct lingerer. */

static void linger_release(struct lingerer *lg, unsigned i, int fd)
{
	(void)epoll_ctl(lg->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	atomic_store_explicit(&lg->fd[i], LINGER_FREE, memory_order_release);
	atomic_fetch_sub_explicit(&lg->count, 1, memory_order_relaxed);
}

/* Read and drop what is there; true when the socket is done with. */
static bool linger_drain(struct lingerer *lg, unsigned i, int fd)
{
	for (;;) {
		ssize_t n = recv(fd, lg->sink, sizeof(lg->sink), MSG_DONTWAIT);

		if (n > 0) {
			lg->drained[i] += (size_t)n;
			if (lg->drained[i] >= LINGER_BYTES)
				return true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
}

static void conns_sweep(struct http_server *s);
static void conns_nudge(struct http_server *s);
#define NUDGE_NS (1000 * 1000000ull)

static void *linger_main(void *arg)
{
	struct http_server *s = arg;
	struct lingerer *lg = &s->linger;
	struct epoll_event ev[32];
	uint64_t next_nudge = 0;

	for (;;) {
		int n = epoll_wait(lg->epfd, ev, 32, 500);
		uint64_t now;

		for (int k = 0; k < n; k++) {
			unsigned i = ev[k].data.u32;
			int fd;

			if (i == LINGER_MAX)
				return NULL;	/* evfd: the server is being freed */
			fd = atomic_load_explicit(&lg->fd[i], memory_order_acquire);
			if (fd >= 0 && linger_drain(lg, i, fd))
				linger_release(lg, i, fd);
		}
		if (s->slots)
			conns_sweep(s);
		if (s->slots && daemon_now_ns() >= next_nudge) {
			conns_nudge(s);
			next_nudge = daemon_now_ns() + NUDGE_NS;
		}
		/* surplus freed after a burst: hand the pages back (buf.h) */
		(void)mem_trim_idle();
		if (atomic_load_explicit(&lg->count, memory_order_relaxed) == 0)
			continue;
		now = daemon_now_ns();
		for (unsigned i = 0; i < LINGER_MAX; i++) {
			int fd = atomic_load_explicit(&lg->fd[i], memory_order_acquire);

			if (fd >= 0 && now >= lg->deadline[i])
				linger_release(lg, i, fd);
		}
	}
}

static void linger_init(struct lingerer *lg)
{
	lg->epfd = lg->evfd = -1;
	for (unsigned i = 0; i < LINGER_MAX; i++)
		atomic_init(&lg->fd[i], LINGER_FREE);
}

/* Start the thread; on failure sockets close abruptly as before. */
static int linger_start(struct http_server *s)
{
	struct lingerer *lg = &s->linger;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LINGER_MAX };

	lg->epfd = epoll_create1(EPOLL_CLOEXEC);
	lg->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (lg->epfd < 0 || lg->evfd < 0 || epoll_ctl(lg->epfd, EPOLL_CTL_ADD, lg->evfd, &ev) < 0 ||
	    pthread_create(&lg->thr, NULL, linger_main, s) != 0) {
		int e = errno ? errno : EAGAIN;

		if (lg->epfd >= 0)
			close(lg->epfd);
		if (lg->evfd >= 0)
			close(lg->evfd);
		lg->epfd = lg->evfd = -1;
		return -e;
	}
	lg->running = true;
	return 0;
}

/* After the MHD daemons stopped (nobody adds any more). */
static void linger_stop(struct lingerer *lg)
{
	uint64_t one = 1;

	if (!lg->running)
		return;
	if (write(lg->evfd, &one, sizeof(one)) < 0)
		log_warn("cannot stop the lingering-close thread", "err", strerror(errno), NULL);
	pthread_join(lg->thr, NULL);
	lg->running = false;
	for (unsigned i = 0; i < LINGER_MAX; i++) {
		int fd = atomic_load(&lg->fd[i]);

		if (fd >= 0)
			close(fd);
		atomic_store(&lg->fd[i], LINGER_FREE);
	}
	close(lg->epfd);
	close(lg->evfd);
	lg->epfd = lg->evfd = -1;
}

/*
 * Called from completed_cb on the connection's thread, after the answer was
 * handed to the kernel and before libmicrohttpd closes its fd.  Lock-free:
 * a slot is claimed with a CAS, registered, then published.
 */
static void linger_add(struct lingerer *lg, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int fd;

	if (!lg->running)
		return;
	for (unsigned i = 0; i < LINGER_MAX; i++) {
		int expect = LINGER_FREE;

		if (atomic_load_explicit(&lg->fd[i], memory_order_relaxed) != LINGER_FREE ||
		    !atomic_compare_exchange_strong(&lg->fd[i], &expect, LINGER_CLAIMED))
			continue;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 3) : -1;
		if (fd < 0) {
			atomic_store_explicit(&lg->fd[i], LINGER_FREE, memory_order_release);
			return;
		}
		/* FIN after the answer: the client reads it to the end */
		(void)shutdown(fd, SHUT_WR);
		lg->deadline[i] = daemon_now_ns() + LINGER_NS;
		lg->drained[i] = 0;
		ev.data.u32 = i;
		atomic_fetch_add_explicit(&lg->count, 1, memory_order_relaxed);
		if (epoll_ctl(lg->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			atomic_fetch_sub_explicit(&lg->count, 1, memory_order_relaxed);
			atomic_store_explicit(&lg->fd[i], LINGER_FREE, memory_order_release);
			return;
		}
		atomic_store_explicit(&lg->fd[i], fd, memory_order_release);
		return;
	}
}

/* ---------------------------------------------------------------- */
/* Connection deadlines and eviction: see struct conn_slot. */

static void slot_lock(struct conn_slot *c)
{
	while (atomic_exchange_explicit(&c->lock, true, memory_order_acquire))
		sched_yield();
}

static void slot_unlock(struct conn_slot *c)
{
	atomic_store_explicit(&c->lock, false, memory_order_release);
}

static void slot_phase(struct conn_slot *c, enum conn_phase p, bool restart)
{
	if (!c)
		return;
	if (restart)
		atomic_store_explicit(&c->since, daemon_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&c->phase, (unsigned char)p, memory_order_release);
}

static struct conn_slot *slot_of(struct http_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	if (!s->slots)
		return NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || ci->connect_fd < 0 || (unsigned)ci->connect_fd >= s->nslots)
		return NULL;
	return &s->slots[ci->connect_fd];
}

/* Shut fd down if its slot is still in phase p since `since` (the sweeper
 * and eviction decide on a snapshot; the connection may have moved on). */
static bool slot_reap(struct http_server *s, unsigned fd, enum conn_phase p, uint64_t since,
		      bool timed_out)
{
	struct conn_slot *c = &s->slots[fd];
	bool done = false;

	if (atomic_exchange_explicit(&c->lock, true, memory_order_acquire))
		return false;	/* opening or closing right now */
	if (atomic_load_explicit(&c->phase, memory_order_acquire) == p &&
	    atomic_load_explicit(&c->since, memory_order_relaxed) == since) {
		if (timed_out)
			atomic_store_explicit(&c->timed_out, true, memory_order_relaxed);
		done = shutdown((int)fd, SHUT_RDWR) == 0;
	}
	slot_unlock(c);
	return done;
}

static void conns_sweep(struct http_server *s)
{
	unsigned top = atomic_load_explicit(&s->max_fd, memory_order_relaxed);
	uint64_t now = daemon_now_ns();

	for (unsigned fd = 0; fd <= top && fd < s->nslots; fd++) {
		struct conn_slot *c = &s->slots[fd];
		unsigned char p = atomic_load_explicit(&c->phase, memory_order_acquire);
		uint64_t since = atomic_load_explicit(&c->since, memory_order_relaxed);
		uint64_t lim = p == CS_IDLE ? s->idle_ns : p == CS_HEAD ? s->header_ns
			       : p == CS_BODY ? s->read_ns : 0;

		if (lim && now > since && now - since > lim)
			(void)slot_reap(s, fd, p, since, p != CS_IDLE);
	}
}

/*
 * libmicrohttpd 0.9.75's epoll loop (MHD_epoll, also in its master of
 * 2025) reads events in rounds of MAX_EVENTS (128) and waits again while a
 * round came back full, with the full timeout: when a worker's ready
 * connections are an exact multiple of 128, the connections of the rounds
 * already read sit in its ready list, unserved, until another event or the
 * next connection deadline, and at that deadline the timeouts are handled
 * before the ready list: idle-timed-out with their requests unread (test_http
 * lost exactly 128 of 1,000 so).  Every NUDGE_NS (1 s) this thread re-signals
 * EPOLLIN on each open connection with unread input: setting SO_RCVLOWAT
 * (to its default, 1) makes TCP check readiness and wake the socket's
 * waiters at once (tcp_set_rcvlowat, Linux >= 4.18), which ends the stuck
 * worker's wait; for a connection being served it is one spurious wakeup.
 */
static void conns_nudge(struct http_server *s)
{
	unsigned top = atomic_load_explicit(&s->max_fd, memory_order_relaxed);
	const int one = 1;

	for (unsigned fd = 0; fd <= top && fd < s->nslots; fd++) {
		struct conn_slot *c = &s->slots[fd];

		if (atomic_load_explicit(&c->phase, memory_order_relaxed) == CS_FREE ||
		    atomic_exchange_explicit(&c->lock, true, memory_order_acquire))
			continue;	/* closed, or opening or closing right now */
		if (atomic_load_explicit(&c->phase, memory_order_acquire) != CS_FREE)
			(void)setsockopt((int)fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
		slot_unlock(c);
	}
}

/* The listener is past its limit: close its longest-idle connection. */
static void conns_evict(struct http_server *s, unsigned listener, unsigned self)
{
	unsigned top = atomic_load_explicit(&s->max_fd, memory_order_relaxed);

	for (int tries = 0; tries < 4; tries++) {
		unsigned best = UINT32_MAX;
		uint64_t best_since = UINT64_MAX;

		for (unsigned fd = 0; fd <= top && fd < s->nslots; fd++) {
			struct conn_slot *c = &s->slots[fd];
			uint64_t since;

			if (fd == self ||
			    atomic_load_explicit(&c->listener, memory_order_relaxed) != listener ||
			    atomic_load_explicit(&c->phase, memory_order_acquire) != CS_IDLE)
				continue;
			since = atomic_load_explicit(&c->since, memory_order_relaxed);
			if (since < best_since) {
				best = fd;
				best_since = since;
			}
		}
		if (best == UINT32_MAX || slot_reap(s, best, CS_IDLE, best_since, false))
			return;
	}
}

static void notify_conn_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
			   enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	struct http_server *s = l->s;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci ? ci->connect_fd : -1;
	struct conn_slot *c = s->slots && fd >= 0 && (unsigned)fd < s->nslots ? &s->slots[fd] : NULL;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		unsigned n = atomic_fetch_add_explicit(&l->conns, 1, memory_order_relaxed) + 1;

		if (c) {
			unsigned top = atomic_load_explicit(&s->max_fd, memory_order_relaxed);

			while ((unsigned)fd > top &&
			       !atomic_compare_exchange_weak(&s->max_fd, &top, (unsigned)fd))
				;
			slot_lock(c);
			atomic_store_explicit(&c->listener, (unsigned char)l->idx, memory_order_relaxed);
			atomic_store_explicit(&c->timed_out, false, memory_order_relaxed);
			slot_phase(c, CS_IDLE, true);
			slot_unlock(c);
			if (n > s->cfg.conn_limit)
				conns_evict(s, l->idx, (unsigned)fd);
		}
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c) {
			slot_lock(c);	/* the sweeper is done with this fd */
			atomic_store_explicit(&c->phase, CS_FREE, memory_order_release);
			slot_unlock(c);
		}
		atomic_fetch_sub_explicit(&l->conns, 1, memory_order_relaxed);
	}
	if (web_live_tls(s->live))
		web_live_notify_connection(s->live, conn, socket_context, code);
}

void http_server_set_deadlines(struct http_server *s, double header_s, double read_s)
{
	if (!s || s->started)
		return;
	s->header_ns = header_s > 0 ? (uint64_t)(header_s * 1e9) : 0;
	s->read_ns = read_s > 0 ? (uint64_t)(read_s * 1e9) : 0;
}

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *s = cls;
	struct http_request *r = request_get(s);

	if (!r)
		return NULL;
	r->conn = conn;
	r->start_ns = daemon_now_ns();
	r->slot = slot_of(s, conn);
	slot_phase(r->slot, CS_HEAD, true);
	/* the raw target, before libmicrohttpd cuts the query and decodes it
	 * in place (a %00 would end the decoded path) */
	if (uri) {
		r->raw_uri = uri;
		r->raw_uri_len = strlen(uri);
		r->bad_target = http_check_target(uri, r->raw_uri_len) < 0;
	} else {
		r->bad_target = true;
	}
	atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed);
	return r;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_request *r = *con_cls;
	bool timed_out;
	void *ud;

	if (!r)
		return;
	*con_cls = NULL;
	timed_out = r->slot && atomic_load_explicit(&r->slot->timed_out, memory_order_relaxed);
	/*
	 * The request line was seen but access_cb never ran: libmicrohttpd
	 * answered the head itself (431 head too large, 414, 400 for a bad
	 * Content-Length, 505) or the head never completed.  Count it like any
	 * other request (route "unknown", method OTHER): the status it queued,
	 * else 408 for a head that timed out (nginx counts its silent
	 * client_header_timeout close as 408 too) or 499 for a client that left.
	 */
	if (!r->begun && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN &&
	    (s->cfg.hooks.on_begin || s->cfg.hooks.on_complete)) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
		int status = ci ? (int)ci->http_status
			     : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED || timed_out ? 408 : 499;

		r->conn = conn;
		r->begun = r->hooked = true;
		if (s->cfg.hooks.on_begin)
			s->cfg.hooks.on_begin(s->cfg.hooks.ctx, r);
		if (s->cfg.hooks.on_complete)
			s->cfg.hooks.on_complete(s->cfg.hooks.ctx, r, status,
						 daemon_now_ns() - r->start_ns);
	}
	/*
	 * A request that began (on_begin ran) but was never answered: the
	 * client went away mid-body, or the connection timed out or failed.
	 * Close the pair anyway, so in-flight gauges kept with the hooks
	 * return to zero; 499 is nginx's "client closed request".
	 */
	if (r->begun && !r->hooked && s->cfg.hooks.on_complete) {
		r->hooked = true;
		s->cfg.hooks.on_complete(s->cfg.hooks.ctx, r, timed_out ? 408 : 499,
					 daemon_now_ns() - r->start_ns);
	}
	/* keep-alive: idle again until the next request line */
	slot_phase(r->slot, CS_IDLE, true);
	/* answered with Connection: close, maybe before the body was read:
	 * linger so the client reads the answer instead of an RST */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && r->responded &&
	    (r->too_large || r->must_close))
		linger_add(&s->linger, conn);
	ud = r->userdata;
	request_put(r);
	atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_release);
	if (s->cfg.on_done)
		s->cfg.on_done(ud);
}

static bool match_route(struct http_request *r, const struct route_rt *rt, const char *path)
{
	const char *p = path;
	size_t used = 0, np = 0;

	if (!rt->valid)
		return false;
	if (rt->nseg == 0)
		return strcmp(path, "/") == 0;
	for (size_t i = 0; i < rt->nseg; i++) {
		const char *e;
		size_t len;

		if (*p != '/')
			return false;
		p++;
		e = strchrnul(p, '/');
		len = (size_t)(e - p);
		if (rt->seg[i].param) {
			if (len == 0 || np == HTTP_MAX_PARAMS || used + len + 1 > PARAM_ARENA)
				return false;
			memcpy(r->param_arena + used, p, len);
			r->param_arena[used + len] = '\0';
			r->param_name[np] = rt->seg[i].s;
			r->param_name_len[np] = rt->seg[i].len;
			r->param_val[np] = r->param_arena + used;
			np++;
			used += len + 1;
		} else if (len != rt->seg[i].len || memcmp(p, rt->seg[i].s, len) != 0) {
			return false;
		}
		p = e;
	}
	if (*p != '\0')
		return false;
	r->nparams = np;
	return true;
}

static bool route_allows(const struct route_rt *rt, enum http_method m, const char *ms)
{
	if (rt->method == HTTP_GET)
		return m == HTTP_GET || m == HTTP_HEAD;
	if (rt->method == HTTP_OTHER)
		return strcmp(rt->method_str, ms) == 0;
	return rt->method == m;
}

/* The Allow header for a path that matched with another method (RFC 9110 section 10.2.1). */
static void build_allow(struct http_request *r, const char *path, char *out, size_t n)
{
	struct http_server *s = r->s;
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->nroutes; i++) {
		const char *m = s->rt[i].method_str;

		if (!match_route(r, &s->rt[i], path))
			continue;
		for (int k = 0; k < 2; k++) {
			if (k == 1) {
				if (s->rt[i].method != HTTP_GET)
					break;
				m = "HEAD";
			}
			/* skip duplicates */
			size_t ml = strlen(m);
			bool dup = false;

			for (const char *q = out; *q;) {
				const char *c = strchrnul(q, ',');

				if ((size_t)(c - q) == ml && memcmp(q, m, ml) == 0)
					dup = true;
				q = *c ? c + 2 : c;
			}
			if (dup)
				continue;
			len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s",
						len ? ", " : "", m);
			if (len >= n) {
				out[n - 1] = '\0';
				return;
			}
		}
	}
	r->nparams = 0;
}

/* The first route whose template matches url and that allows method: r->route
 * (HTTP_ROUTE_UNKNOWN if none) and its parameters.  Returns whether any route
 * matched the path (with another method: a 405, not a 404). */
static bool resolve_route(struct http_request *r, const char *method, const char *url)
{
	struct http_server *s = r->s;
	bool path_known = false;

	r->method_str = method;
	r->method = method_from_str(method);
	r->path = url;
	r->route = HTTP_ROUTE_UNKNOWN;
	for (size_t i = 0; i < s->nroutes; i++) {
		if (!match_route(r, &s->rt[i], url))
			continue;
		path_known = true;
		if (route_allows(&s->rt[i], r->method, method)) {
			r->route = (int)i;
			break;
		}
	}
	if (r->route == HTTP_ROUTE_UNKNOWN)
		r->nparams = 0;
	return path_known;
}

_Static_assert(PARAM_ARENA <= sizeof(((struct http_route_result *)0)->arena), "route arena");

int http_server_route(struct http_server *s, const char *method, const char *path,
		      struct http_route_result *ret)
{
	struct http_request *r;
	bool known;

	if (!s || !method || !path || !ret)
		return -EINVAL;
	/* the request state is large: never on a caller's (maybe small) stack */
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->s = s;
	memset(ret, 0, sizeof(*ret));
	known = resolve_route(r, method, path);
	ret->route = r->route;
	if (r->route != HTTP_ROUTE_UNKNOWN) {
		size_t used = 0;

		ret->nparams = r->nparams;
		for (size_t i = 0; i < r->nparams; i++) {
			size_t n = strlen(r->param_val[i]);

			ret->param_name[i] = r->param_name[i];
			ret->param_name_len[i] = r->param_name_len[i];
			memcpy(ret->arena + used, r->param_val[i], n + 1);
			ret->param_val[i] = ret->arena + used;
			used += n + 1;
		}
	} else if (known) {
		ret->status = 405;
		build_allow(r, path, ret->allow, sizeof(ret->allow));
	} else {
		ret->status = 404;
	}
	free(r);
	return 0;
}

static bool request_id_sane(const char *v)
{
	size_t n = 0;

	if (!v || !*v)
		return false;
	for (; v[n]; n++) {
		char c = v[n];

		if (n >= REQUEST_ID_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void request_id_make(struct http_request *r)
{
	static const char hex[] = "0123456789abcdef";
	const char *client = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
	uint64_t n;
	char tmp[17];
	int i = 16;

	if (request_id_sane(client)) {
		strcpy(r->id, client);
		return;
	}
	n = atomic_fetch_add_explicit(&r->s->id_seq, 1, memory_order_relaxed) + 1;
	tmp[i] = '\0';
	do {
		tmp[--i] = hex[n & 15];
		n >>= 4;
	} while (n && i > 0);
	snprintf(r->id, sizeof(r->id), "%s-%s", r->s->id_prefix, tmp + i);
}

/* Does Accept-Encoding allow gzip?  RFC 9110 section 12.5.3: tokens with optional q. */
static bool accepts_gzip(const char *ae)
{
	int gzip = -1, star = -1;	/* -1 absent, 0 refused, 1 accepted */

	if (!ae)
		return false;
	while (*ae) {
		const char *tok, *te, *e;
		double q = 1.0;

		while (*ae == ' ' || *ae == '\t' || *ae == ',')
			ae++;
		if (!*ae)
			break;
		tok = ae;
		e = strchrnul(ae, ',');
		te = tok;
		while (te < e && *te != ';' && *te != ' ' && *te != '\t')
			te++;
		for (const char *p = te; p < e; p++) {
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				q = strtod(p + 2, NULL);
				break;
			}
		}
		if ((size_t)(te - tok) == 4 && strncasecmp(tok, "gzip", 4) == 0)
			gzip = q > 0;
		else if ((size_t)(te - tok) == 6 && strncasecmp(tok, "x-gzip", 6) == 0)
			gzip = gzip < 0 ? q > 0 : gzip;
		else if (te - tok == 1 && *tok == '*')
			star = q > 0;
		ae = e;
	}
	if (gzip >= 0)
		return gzip == 1;
	return star == 1;
}

/*
 * Compressors are shared by all threads, not kept per thread: one costs
 * 200 kB at level 1 and 650 kB above, and the threads that answer (HTTP
 * threads, and the workers that resume suspended requests) each kept their
 * own: host-exporter held six, 1.2 MB of its 3.7 MB anonymous memory.  A
 * thread takes one from its level's slots for the length of a compression
 * and puts it back, lock-free; only more compressions at once than ZSLOTS
 * ever allocate another (freed on return when the slots are full).
 */
#define ZSLOTS 1	/* as BIG_SLOTS; a surplus is freed (mem_trim_request) */
static _Atomic(struct libdeflate_compressor *) zslots[10][ZSLOTS];	/* [level] */

static struct libdeflate_compressor *z_take(int level)
{
	for (int i = 0; i < ZSLOTS; i++) {
		struct libdeflate_compressor *z = atomic_exchange(&zslots[level][i], NULL);

		if (z)
			return z;
	}
	return libdeflate_alloc_compressor(level);
}

static void z_give(int level, struct libdeflate_compressor *z)
{
	for (int i = 0; i < ZSLOTS; i++) {
		struct libdeflate_compressor *none = NULL;

		if (atomic_compare_exchange_strong(&zslots[level][i], &none, z)) {
			mem_trim_request();	/* dropped once idle (idle_release) */
			return;
		}
	}
	libdeflate_free_compressor(z);
	mem_trim_request();
}

/*
 * The spare compressor and big request go once the server is idle
 * (mem_idle_hook_add, buf.h): between two scrapes they were host-exporter's
 * largest idle holdings (the compressor alone 196 kB, the body and its gzip
 * copy over 100 kB with the default collectors).  The scrape after a quiet
 * second allocates them again: a libdeflate compressor's tables are set up
 * by every compression anyway, so that costs the page faults of fresh pages.
 */
static void idle_release(void)
{
	for (int l = 0; l < 10; l++)
		for (int i = 0; i < ZSLOTS; i++)
			libdeflate_free_compressor(atomic_exchange(&zslots[l][i], NULL));
	for (int i = 0; i < BIG_SLOTS; i++) {
		struct http_request *r = atomic_exchange(&big_slots[i], NULL);

		if (r)
			request_destroy(r);
	}
}

__attribute__((destructor)) static void z_free_all(void)
{
	for (int l = 0; l < 10; l++)
		for (int i = 0; i < ZSLOTS; i++)
			libdeflate_free_compressor(atomic_exchange(&zslots[l][i], NULL));
}

/*
 * Whole-buffer gzip (RFC 1952) with libdeflate: a scrape body is complete
 * before it is sent, so no stream is needed, and libdeflate's level 1 took
 * 70 us for host-exporter's 37 kB body where zlib's took ~150 us, for
 * 5% fewer bytes (bench/host-exporter-bench.sh, gzip rows).
 */
static int gzip_into(const void *in, size_t len, int level, struct buf *out)
{
	struct libdeflate_compressor *z;
	size_t bound, n;
	int r;

	if (!(z = z_take(level)))
		return -ENOMEM;
	bound = libdeflate_gzip_compress_bound(z, len);
	buf_reset(out);
	r = buf_reserve(out, bound + 1);
	if (r < 0) {
		z_give(level, z);
		return r;
	}
	n = libdeflate_gzip_compress(z, in, len, out->data, bound);
	z_give(level, z);
	if (n == 0)
		return -EIO;	/* cannot happen with the bound's room */
	out->len = n;
	out->data[n] = '\0';
	return 0;
}

int http_gzip(const void *in, size_t len, int level, struct buf *out)
{
	if (level < 1 || level > 9)
		level = 6;
	if (len > UINT32_MAX / 2)
		return -E2BIG;
	return gzip_into(in, len, level, out);
}

static void set_error_body(struct http_request *r, int status, const char *msg)
{
	if (r->s->cfg.json_errors) {
		http_respond_json_error(r, status, msg, NULL);
	} else {
		char tmp[256];
		int n = snprintf(tmp, sizeof(tmp), "%d %s\n", status, msg);

		/* snprintf returns the untruncated length: never send past tmp */
		if (n < 0)
			n = 0;
		else if ((size_t)n >= sizeof(tmp))
			n = (int)sizeof(tmp) - 1;
		http_respond(r, status, "text/plain; charset=utf-8", tmp, (size_t)n);
	}
}

static enum MHD_Result queue(struct http_request *r)
{
	struct MHD_Response *resp;
	const struct buf *b = &r->resp;
	bool gz = false;
	enum MHD_Result ret;
	int status = r->status;

	if (buf_failed(&r->resp)) {
		/* the handler's output passed max_response or malloc failed */
		r->responded = false;
		buf_reset(&r->resp);
		r->nhdr = r->hdr_used = 0;
		set_error_body(r, 500, "response too large");
		status = r->status;
	}
	/* a body past 2 GiB (max_response allows it) goes out uncompressed:
	 * one-shot compression would hold the thread for seconds */
	if (r->compress && b->len > 0 && b->len <= UINT32_MAX / 2 &&
	    accepts_gzip(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING))) {
		if (gzip_into(b->data, b->len, r->s->cfg.gzip_level, &r->gz) == 0) {
			b = &r->gz;
			gz = true;
		}
	}
	/* The buffer lives in the request state, freed only in completed_cb,
	 * after libmicrohttpd has sent it. */
	resp = MHD_create_response_from_buffer(b->len, b->len ? b->data : (void *)"",
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->compress) {
		/* the representation depends on Accept-Encoding either way */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
		if (gz)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	}
	if (r->s->cfg.request_id && r->id[0])
		MHD_add_response_header(resp, "X-Request-Id", r->id);
	for (size_t i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i].name, r->hdr[i].value);
	/* After quiesce, tell keep-alive clients to go elsewhere; after an
	 * unread body the connection cannot be reused either. */
	if (r->too_large || r->must_close ||
	    atomic_load_explicit(&r->s->quiesced, memory_order_relaxed))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->hooked = true;
	if (r->s->cfg.hooks.on_complete)
		r->s->cfg.hooks.on_complete(r->s->cfg.hooks.ctx, r, status, daemon_now_ns() - r->start_ns);
	return ret;
}

/* ---------------------------------------------------------------- */
/* request checks (RFC 9110, RFC 9112): pure functions, then the glue */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_check_target(const char *raw, size_t len)
{
	if (!raw || len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		/* RFC 3986: no raw space, control, DEL or non-ASCII byte */
		if (c <= 0x20 || c >= 0x7f)
			return -EINVAL;
		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -EINVAL;
			hi = hexval(raw[i + 1]);
			lo = hexval(raw[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			/* an escape that decodes to NUL or a control character */
			if (hi < 2 || (hi == 7 && lo == 15))
				return -EINVAL;
			i += 2;
		}
	}
	return 0;
}

/* tchar, RFC 9110 section 5.6.2 */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int http_check_field_name(const char *name, size_t len)
{
	if (!name || len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!is_tchar((unsigned char)name[i]))
			return -EINVAL;
	return 0;
}

int http_check_field_value(const char *value, size_t len)
{
	if (!value && len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

int http_head_verdict(const struct http_head_facts *f, const char **ret_msg)
{
	const char *msg = NULL;
	int status = 0;

	if (f->http11 && f->n_host == 0) {
		status = 400, msg = "missing Host header";
	} else if (f->n_host > 1) {
		status = 400, msg = "repeated Host header";
	} else if (f->n_content_length > 1) {
		/* RFC 9112 section 6.3 allows merging equal values; we refuse */
		status = 400, msg = "repeated Content-Length header";
	} else if (f->n_content_length && f->n_transfer_encoding) {
		status = 400, msg = "Content-Length with Transfer-Encoding";
	} else if (f->n_transfer_encoding && (f->n_transfer_encoding > 1 || !f->te_chunked)) {
		status = 501, msg = "unsupported transfer coding";
	}
	if (status && ret_msg)
		*ret_msg = msg;
	return status;
}

struct head_scan {
	struct http_head_facts facts;
	const char *prev_end;	/* the previous field's value end (its NUL) */
	size_t pool;		/* the connection's memory: no gap is larger */
	const char *msg;
};

/*
 * libmicrohttpd 0.9.75 measures names and values with strlen() after
 * replacing CR and LF by NUL in its read buffer, so a NUL inside a value
 * silently cuts it ("tenant-A\0order-1" would read "tenant-A").  The
 * lines lie in the buffer in order (it trims no trailing whitespace, and
 * obs-fold is refused): from the end of the request line's version or of
 * one value to the next name there are exactly the NULs that were the
 * line's CR LF (2) or bare LF (1).  Anything else there is a NUL (and
 * what followed it) at the end of the previous line: "a\0\r\n" leaves 3.
 * Still invisible (documented in the man pages): a NUL just before a bare
 * LF, stored exactly as CR LF is, and a NUL at the end of the last field,
 * whose line ending runs into the blank line and the body.
 */
static enum MHD_Result head_scan_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				    size_t key_size, const char *value, size_t value_size)
{
	struct head_scan *h = cls;

	/* only when both lie in one buffer (the connection's memory pool) */
	if (h->prev_end && (uintptr_t)key > (uintptr_t)h->prev_end &&
	    (uintptr_t)key - (uintptr_t)h->prev_end <= h->pool) {
		size_t gap = (size_t)(key - h->prev_end);
		bool bad = gap > 2;

		for (const char *p = h->prev_end; p < key && !bad; p++)
			bad = *p != '\0';
		if (bad) {
			h->msg = "NUL in a header field";
			return MHD_NO;
		}
	}
	if (http_check_field_name(key, key_size) < 0) {
		h->msg = "invalid header field name";
		return MHD_NO;
	}
	if (http_check_field_value(value, value_size) < 0) {
		h->msg = "control character in a header field value";
		return MHD_NO;
	}
	h->prev_end = value ? value + value_size : NULL;
	if (key_size == 4 && strncasecmp(key, "Host", 4) == 0) {
		h->facts.n_host++;
	} else if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0) {
		h->facts.n_content_length++;
	} else if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
		h->facts.n_transfer_encoding++;
		h->facts.te_chunked = value_size == 7 && strncasecmp(value, "chunked", 7) == 0;
	}
	return MHD_YES;
}

/* 0, or the status to refuse the request head with (and *ret_msg). */
static int head_check(struct http_request *r, const char *version, const char **ret_msg)
{
	struct head_scan h = { .facts.http11 = version && strcmp(version, "HTTP/1.1") == 0,
			       .pool = r->s->cfg.conn_memory };
	int status;

	if (r->bad_target) {
		*ret_msg = "invalid request target";
		return 400;
	}
	/* A raw NUL in the request line: the target ends one space before
	 * the version in the buffer, so its strlen came up short. */
	if (r->raw_uri && version && *version && (uintptr_t)version > (uintptr_t)r->raw_uri &&
	    (uintptr_t)version - (uintptr_t)r->raw_uri - 1 != r->raw_uri_len) {
		*ret_msg = "invalid request target";
		return 400;
	}
	/* the request line's ending is checked like a field's */
	if (r->raw_uri && version && (uintptr_t)version > (uintptr_t)r->raw_uri)
		h.prev_end = version + strlen(version);
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, head_scan_cb, &h);
	if (h.msg) {
		*ret_msg = h.msg;
		return 400;
	}
	/* the last field: its CR LF and the empty line follow its value */
	if (h.prev_end && h.prev_end[1] != '\0') {
		*ret_msg = "NUL in a header field";
		return 400;
	}
	status = http_head_verdict(&h.facts, ret_msg);
	return status;
}

/* First call: resolve the route, answer what needs no body. */
static void begin(struct http_request *r, const char *url, const char *method,
		  const char *version)
{
	struct http_server *s = r->s;
	bool path_known = false;
	const char *cl;

	r->begun = true;
	path_known = resolve_route(r, method, url);
	if (s->cfg.request_id)
		request_id_make(r);
	if (s->cfg.hooks.on_begin)
		s->cfg.hooks.on_begin(s->cfg.hooks.ctx, r);
	/* a head we cannot frame or trust: refuse it and close (RFC 9112
	 * section 6.3: the rest of the stream cannot be read safely) */
	{
		const char *msg = NULL;
		int st = head_check(r, version, &msg);

		if (st) {
			/* JSON on every daemon: the one answer a hostile client gets */
			r->must_close = true;
			http_respond_json_error(r, st, msg, NULL);
			return;
		}
	}
	/* basic auth guards every path, unknown ones too (exporter-toolkit) */
	if (s->live &&
	    !web_live_authorized(s->live, MHD_lookup_connection_value(
						  r->conn, MHD_HEADER_KIND,
						  MHD_HTTP_HEADER_AUTHORIZATION))) {
		set_error_body(r, 401, "unauthorized");
		http_response_header(r, "WWW-Authenticate", "Basic");
		return;
	}
	if (r->route == HTTP_ROUTE_UNKNOWN) {
		if (path_known) {
			char allow[128];

			build_allow(r, url, allow, sizeof(allow));
			set_error_body(r, 405, "method not allowed");
			http_response_header(r, "Allow", allow);
		} else {
			set_error_body(r, 404, "not found");
		}
		return;
	}
	/* Refuse an announced oversized body before reading a byte of it. */
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || end == cl || n > s->cfg.max_body) {
			r->too_large = true;
			set_error_body(r, 413, "request body too large");
		}
	}
}

/* The head announces a body (RFC 9112 section 6.3) that nobody will read. */
static bool announces_body(const struct http_request *r)
{
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (cl && strcmp(cl, "0") != 0)
		return true;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct http_request *r = *con_cls;

	if (!r)
		return MHD_NO;	/* state allocation failed: drop the connection */
	if (!r->begun) {
		r->conn = conn;
		begin(r, url, method, version);
		if (r->responded && !r->must_close && announces_body(r))
			r->must_close = true;	/* answered before its body: close, lingering */
		/* the body's deadline counts from the request line, as the head's */
		slot_phase(r->slot, r->responded ? CS_BUSY : CS_BODY, false);
		return r->responded ? queue(r) : MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->too_large)
			return MHD_YES;	/* discard (chunked body past the cap) */
		if (r->body.len + n > r->s->cfg.max_body) {
			r->too_large = true;
			return MHD_YES;
		}
		if (buf_append(&r->body, upload_data, n) < 0)
			r->too_large = true;
		return MHD_YES;
	}
	if (!r->handled) {
		const struct http_route *rt = &r->s->routes[r->route];

		r->handled = true;
		slot_phase(r->slot, CS_BUSY, false);
		if (r->too_large) {
			set_error_body(r, 413, "request body too large");
			return queue(r);
		}
		rt->fn(r, rt->ctx);
		/* Once suspended, a worker may answer at any moment: touch nothing. */
		if (r->suspended)
			return MHD_YES;
	} else if (r->suspended) {
		/* resumed: the worker's answer happened-before MHD_resume_connection */
		r->suspended = false;
	}
	if (!r->responded) {
		log_error("handler did not answer", "server", r->s->cfg.server_name, "path",
			  r->path, NULL);
		set_error_body(r, 500, "internal error");
	}
	return queue(r);
}

/* ---------------------------------------------------------------- */

int http_server_start(struct http_server *s)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
	bool tls = s && web_live_tls(s->live);

	/* after quiesce the listen sockets are closed: MHD would make its own */
	if (!s || s->nls == 0 || s->started || atomic_load(&s->quiesced))
		return -EINVAL;
	if (tls)
		flags |= MHD_USE_TLS;
	/* fd-indexed connection slots, up to the fd limit */
	if (!s->slots) {
		struct rlimit rl;
		rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 4096;

		s->nslots = n > CONN_SLOTS_MAX || n == RLIM_INFINITY ? CONN_SLOTS_MAX : (unsigned)n;
		s->slots = calloc(s->nslots, sizeof(*s->slots));
		if (!s->slots)
			s->nslots = 0;
		s->idle_ns = (uint64_t)s->cfg.conn_timeout_s * 1000000000ull;
	}
	if (!s->linger.running && linger_start(s) < 0)
		log_warn("no lingering close, no head deadline: housekeeping thread failed",
			 "server", s->cfg.server_name, NULL);
	for (size_t i = 0; i < s->nls; i++) {
		struct listener *l = &s->ls[i];
		struct MHD_OptionItem opts[16];
		size_t no = 0;

#define OPT(o, v, p) (opts[no++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })
		/* the logger first, so option warnings reach it too */
		OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s);
		OPT(MHD_OPTION_LISTEN_SOCKET, l->fd, NULL);
		/* above ours: at --web.max-connections we evict, MHD would stop accepting */
		OPT(MHD_OPTION_CONNECTION_LIMIT, s->cfg.conn_limit + CONN_HEADROOM(s->cfg.conn_limit),
		    NULL);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.conn_timeout_s, NULL);
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->cfg.conn_memory, NULL);
		OPT(MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s);
		/* a pool of 1 is no pool: libmicrohttpd warns about it */
		if (s->cfg.threads > 1)
			OPT(MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads, NULL);
		/* slots and eviction; chains to web_live's for TLS */
		l->s = s;
		l->idx = (unsigned)i;
		OPT(MHD_OPTION_NOTIFY_CONNECTION, notify_conn_cb, l);
		if (tls) {
			/* the certificate is chosen per handshake from the live
			 * config, so a reload's new cert serves new connections */
			OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, web_live_cert_cb);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT

		l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_ARRAY, opts,
					  MHD_OPTION_END);
		if (!l->mhd) {
			log_error("cannot start HTTP server", "server", s->cfg.server_name,
				  "address", l->addr, NULL);
			for (size_t j = 0; j < i; j++) {
				MHD_stop_daemon(s->ls[j].mhd);
				s->ls[j].mhd = NULL;
				s->ls[j].fd = -1;	/* MHD closed it */
				s->ls[j].fd_owned = false;
			}
			return -EIO;
		}
		l->fd_owned = false;
	}
	s->started = true;
	return 0;
}

void http_server_quiesce(struct http_server *s)
{
	if (!s || atomic_exchange(&s->quiesced, true))
		return;
	for (size_t i = 0; i < s->nls; i++) {
		struct listener *l = &s->ls[i];

		if (l->mhd) {
			/* MHD hands the listen socket back, but its threads drop
			 * it "with some delay" (MHD_quiesce_daemon's doc): one may
			 * still be in accept4() on it.  Closing it here raced with
			 * that (ThreadSanitizer saw it), and a descriptor reused
			 * by an open() elsewhere would be accepted on.  shutdown()
			 * stops the listening at once (new connections are
			 * refused, not left in the backlog; a late accept4() gets
			 * EINVAL, which MHD ignores, as in its own MHD_stop_daemon);
			 * the descriptor stays ours until MHD_stop_daemon, in
			 * http_server_free. */
			MHD_socket fd = MHD_quiesce_daemon(l->mhd);

			if (fd != MHD_INVALID_SOCKET) {
				(void)shutdown(fd, SHUT_RDWR);
				l->fd = fd;
				l->fd_owned = true;
			} else {
				l->fd = -1;
				l->fd_owned = false;
			}
		} else if (l->fd >= 0 && l->fd_owned) {
			close(l->fd);
			l->fd = -1;
			l->fd_owned = false;
		}
	}
}

unsigned http_server_drain(struct http_server *s, unsigned timeout_ms)
{
	struct timespec ts = { 0, 5 * 1000000 };
	uint64_t deadline;
	unsigned n;

	if (!s)
		return 0;
	/* a deadline on the clock: naps oversleep on a loaded machine */
	deadline = daemon_now_ns() + (uint64_t)timeout_ms * 1000000u;
	while ((n = atomic_load_explicit(&s->in_flight, memory_order_acquire)) > 0 &&
	       daemon_now_ns() < deadline)
		nanosleep(&ts, NULL);
	return n;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nls; i++) {
		struct listener *l = &s->ls[i];

		if (l->mhd)
			MHD_stop_daemon(l->mhd);
		if (l->fd >= 0 && l->fd_owned)
			close(l->fd);
	}
	linger_stop(&s->linger);
	free(s->slots);
	web_live_free(s->live);
	free(s->rt);
	free(s);
}

int http_server_web_config(struct http_server *s, const char *path, char *err, size_t errlen)
{
	struct web_live *l = NULL;
	int r;

	if (!s || !path || s->started)
		return -EINVAL;
	r = web_live_new(path, &l, err, errlen);
	if (r < 0)
		return r;
	web_live_free(s->live);
	s->live = l;
	return 0;
}

int http_server_web_config_reload(struct http_server *s, char *err, size_t errlen)
{
	if (!s || !s->live) {
		if (err && errlen)
			snprintf(err, errlen, "no web config file to reload (--web.config.file)");
		return -EINVAL;
	}
	return web_live_reload(s->live, err, errlen);
}

/* ---------------------------------------------------------------- */
/* request accessors */

enum http_method http_request_method(const struct http_request *r)
{
	return r->method;
}

const char *http_request_method_str(const struct http_request *r)
{
	return r->method_str;
}

const char *http_request_path(const struct http_request *r)
{
	return r->path;
}

int http_request_route(const struct http_request *r)
{
	return r->route;
}

const char *http_request_route_path(const struct http_request *r)
{
	if (r->route == HTTP_ROUTE_UNKNOWN)
		return "unknown";
	return r->s->routes[r->route].path;
}

const char *http_request_param(const struct http_request *r, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < r->nparams; i++)
		if (r->param_name_len[i] == n && memcmp(r->param_name[i], name, n) == 0)
			return r->param_val[i];
	return NULL;
}

const char *http_request_header(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct query_each_ctx {
	const char *key;
	void (*fn)(void *ctx, const char *value);
	void *ctx;
};

static enum MHD_Result query_each_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct query_each_ctx *q = cls;

	if (key && strcmp(key, q->key) == 0)
		q->fn(q->ctx, value ? value : "");
	return MHD_YES;
}

void http_request_query_each(const struct http_request *r, const char *key,
			     void (*fn)(void *ctx, const char *value), void *ctx)
{
	struct query_each_ctx q = { key, fn, ctx };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_each_cb, &q);
}

const char *http_request_body(const struct http_request *r, size_t *ret_len)
{
	if (ret_len)
		*ret_len = r->body.len;
	return r->body.data ? r->body.data : "";
}

const char *http_request_id(const struct http_request *r)
{
	return r->id;
}

const char *http_request_peer(const struct http_request *r)
{
	struct http_request *w = (struct http_request *)(uintptr_t)r;
	const union MHD_ConnectionInfo *ci;
	char ip[INET6_ADDRSTRLEN];

	if (w->peer[0])
		return w->peer;
	ci = MHD_get_connection_info(w->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr) {
		strcpy(w->peer, "unknown");
		return w->peer;
	}
	if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)ci->client_addr;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(w->peer, sizeof(w->peer), "[%s]:%u", ip, ntohs(a->sin6_port));
	} else if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ci->client_addr;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(w->peer, sizeof(w->peer), "%s:%u", ip, ntohs(a->sin_port));
	} else {
		strcpy(w->peer, "unknown");
	}
	return w->peer;
}

uint64_t http_request_start_ns(const struct http_request *r)
{
	return r->start_ns;
}

void *http_request_userdata(const struct http_request *r)
{
	return r->userdata;
}

void http_request_set_userdata(struct http_request *r, void *p)
{
	r->userdata = p;
}

/* ---------------------------------------------------------------- */
/* responses: recorded here, queued by access_cb on the connection's thread */

struct buf *http_response_body(struct http_request *r)
{
	return &r->resp;
}

static const char *arena_copy(struct http_request *r, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (r->hdr_used + n > HDR_ARENA)
		return NULL;
	p = r->hdr_arena + r->hdr_used;
	memcpy(p, s, n);
	r->hdr_used += n;
	return p;
}

int http_response_header(struct http_request *r, const char *name, const char *value)
{
	const char *n, *v;
	size_t used = r->hdr_used;

	if (r->nhdr == MAX_RESP_HEADERS)
		return -E2BIG;
	/* CR/LF in a header would split the response (RFC 9110 section 5.5) */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -EINVAL;
	n = arena_copy(r, name);
	v = n ? arena_copy(r, value) : NULL;
	if (!v) {
		r->hdr_used = used;
		return -E2BIG;
	}
	r->hdr[r->nhdr++] = (struct resp_header){ n, v };
	return 0;
}

void http_respond_buf(struct http_request *r, int status, const char *content_type, bool compress)
{
	if (r->responded) {
		log_warn("second response ignored", "server", r->s->cfg.server_name, "path",
			 r->path, NULL);
		return;
	}
	r->status = status;
	r->content_type = content_type;
	r->compress = compress;
	r->responded = true;
}

void http_respond(struct http_request *r, int status, const char *content_type, const void *body,
		  size_t len)
{
	if (r->responded) {
		log_warn("second response ignored", "server", r->s->cfg.server_name, "path",
			 r->path, NULL);
		return;
	}
	buf_reset(&r->resp);
	buf_append(&r->resp, body, len);
	http_respond_buf(r, status, content_type, false);
}

void http_respond_json_error(struct http_request *r, int status, const char *msg, const char *field)
{
	struct buf *b = &r->resp;

	if (r->responded) {
		log_warn("second response ignored", "server", r->s->cfg.server_name, "path",
			 r->path, NULL);
		return;
	}
	buf_reset(b);
	buf_puts(b, "{\"error\":");
	json_append_string(b, msg ? msg : "", msg ? strlen(msg) : 0);
	if (field) {
		buf_puts(b, ",\"field\":");
		json_append_string(b, field, strlen(field));
	}
	buf_puts(b, "}\n");
	http_respond_buf(r, status, "application/json", false);
}

void http_request_suspend(struct http_request *r)
{
	r->suspended = true;
	MHD_suspend_connection(r->conn);
}

void http_request_resume(struct http_request *r)
{
	MHD_resume_connection(r->conn);
}

/* ---------------------------------------------------------------- */
/* stock handlers */

void http_handle_metrics(struct http_request *r, void *ctx)
{
	struct http_metrics_ctx *m = ctx;
	enum metrics_format f;
	struct buf *b;
	int e;

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_response_header(r, "Allow", "GET, HEAD");
		set_error_body(r, 405, "method not allowed");
		return;
	}
	f = metrics_negotiate_all(http_request_header(r, "Accept"), m->openmetrics, m->openmetrics);
	b = http_response_body(r);
	buf_reset(b);
	e = metrics_registry_expose(m->registry, f, b);
	if (e < 0 || buf_failed(b)) {
		char err[64];

		buf_reset(b);
		snprintf(err, sizeof(err), "%d", e);
		log_error("metrics exposition failed", "server", r->s->cfg.server_name, "errno",
			  err, NULL);
		set_error_body(r, e == -E2BIG || buf_failed(b) ? 503 : 500,
			       "metrics exposition failed");
		return;
	}
	http_respond_buf(r, 200, metrics_content_type(f), true);
}

static void html_escaped(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s);
		}
	}
}

void http_handle_landing(struct http_request *r, void *ctx)
{
	const struct http_landing_ctx *l = ctx;
	const char *title = l && l->title ? l->title : "prism";
	const char *path = l && l->telemetry_path ? l->telemetry_path : "/metrics";
	struct buf *b = http_response_body(r);

	buf_reset(b);
	buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	html_escaped(b, title);
	buf_puts(b, "</title></head>\n<body>\n<h1>");
	html_escaped(b, title);
	buf_puts(b, "</h1>\n");
	if (l && l->version) {
		buf_puts(b, "<p>Version ");
		html_escaped(b, l->version);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "<p><a href=\"");
	html_escaped(b, path);
	buf_puts(b, "\">Metrics</a></p>\n</body></html>\n");
	http_respond_buf(r, 200, "text/html; charset=utf-8", true);
}

void http_handle_healthy(struct http_request *r, void *ctx)
{
	http_respond(r, 200, "text/plain; charset=utf-8", "OK", 2);
}
