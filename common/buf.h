/*
 * buf: a growable byte buffer with a hard size cap.
 *
 * Embedded by callers (buf_init/buf_done).  Not thread-safe: one owner at a
 * time.  Appends never abort: when growing would pass the cap or malloc fails
 * the buffer enters a sticky error state (buf_failed), further appends are
 * ignored, and the caller turns that into an error (e.g. HTTP 413/503).
 * The data is always NUL-terminated after len bytes (when cap allows it).
 */
#ifndef PRISM_BUF_H
#define PRISM_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct buf {
	char *data;	/* owned; NULL until the first append */
	size_t len;	/* bytes used, excluding the trailing NUL */
	size_t cap;	/* bytes allocated */
	size_t max;	/* hard cap on len; 0 means SIZE_MAX/2 */
	bool failed;	/* sticky: an append was dropped */
};

void buf_init(struct buf *b, size_t max);
void buf_done(struct buf *b);			/* frees data; b may be reused after buf_init */
void buf_reset(struct buf *b);			/* len = 0, failed = false, keeps the allocation */
int buf_reserve(struct buf *b, size_t extra);	/* 0 or -ENOMEM/-E2BIG (and sets failed) */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
static inline bool buf_failed(const struct buf *b) { return b->failed; }
/* Takes the data out of the buffer (caller frees); the buffer is left empty. */
char *buf_steal(struct buf *b, size_t *ret_len);

/* Reads a small file (a /proc or /sys attribute) into b, NUL-terminated,
 * up to size - 1 bytes; the length read or -errno. */
ssize_t file_read_small(const char *path, char *b, size_t size);

/*
 * Giving memory back after a burst.  Objects kept spare for reuse (scrape
 * buffers, compressors) are capped; a burst of concurrent requests makes more
 * and frees the surplus when it ends, but glibc keeps freed pages in its heap
 * (only the top is trimmed) and the resident set stays at the burst's peak.
 * Code that frees such a surplus calls mem_trim_request() (one atomic store,
 * no lock: safe on a request path).  A housekeeping thread calls
 * mem_trim_idle() now and then (http.c's, every 500 ms): once no request has
 * come for MEM_TRIM_QUIET_NS it runs malloc_trim(0) (which takes malloc's
 * arena locks, hence never on a request path) and returns true.
 * Thread-safe.
 */
#define MEM_TRIM_QUIET_NS 1000000000ull
void mem_trim_request(void);
bool mem_trim_idle(void);

/*
 * Spares dropped when idle.  A daemon that is scraped every 15 s or more
 * spends nearly all its life between requests, holding its spares (a
 * compressor, a warm scrape object, a big request's buffers) for the next
 * one.  Their owners register a hook that frees them; mem_trim_idle() runs
 * every hook, then trims, once quiet.  Code that parks a spare calls
 * mem_trim_request() so the quiet period after it ends with the release.
 * The next request allocates afresh (go's sync.Pool, which node_exporter's
 * gzip writers live in, is emptied by every garbage collection likewise).
 * A hook runs on the housekeeping thread beside requests: it takes its
 * spares with an atomic exchange, as a request would.  Hooks are added at
 * start-up, before mem_trim_idle() is first called: 0 or -ENOSPC (more
 * than MEM_IDLE_HOOKS); adding one twice adds nothing.
 */
#define MEM_IDLE_HOOKS 8
int mem_idle_hook_add(void (*fn)(void));

/*
 * What mem_trim_idle() does once quiet, at once: every idle hook, then
 * malloc_trim(0).  For the end of a burst, when the caller knows no other
 * request is in flight (host-exporter: the last of overlapping scrapes has
 * been answered), so the burst's freed surplus goes back to the kernel now
 * instead of a second later.  The trim holds malloc's arena lock for a walk
 * of the heap, and the next request allocates every spare afresh (measured
 * with a release after every lone scrape: 4.4-5.1 ms CPU per scrape instead
 * of 1.4): never on every request.  A trim
 * already asked for stays pending (mem_trim_idle() runs it too, finding
 * little left).  Thread-safe.
 */
void mem_release_now(void);

/*
 * Hands back the pages of the calling thread's stack below its current
 * frame (minus MEM_STACK_MARGIN): what a deep call that has returned left
 * touched (an HTTP thread that ran collectors inline, a worker after a
 * burst).  Nothing below the frame is live, so the next deep call simply
 * faults in zeroed pages.  Threads made by pthread_create only (the main
 * thread's stack bounds are a guess: there it does nothing).  Costs one
 * madvise(2), the TLB shoot-down it sends to the CPUs running our other
 * threads and the page faults of the next deep call: perf put it at ~5% of
 * a scrape's CPU when an HTTP thread called it after every scrape, so it is
 * for threads going idle (host-exporter's workers after an idle second).
 */
#define MEM_STACK_MARGIN 4096
#define MEM_STACK_SPAN (32 * 4096)	/* at most this much below the margin */
void mem_stack_release(void);

#endif
