/*
 * buf: a growable byte buffer with a hard size cap (see buf.h).
 *
 * Growth doubles the allocation (Redis sds-style amortisation) but never past
 * max + 1 bytes (the +1 keeps the trailing NUL).  Once an append fails the
 * buffer is "failed": later appends return -ENOBUFS without touching it, so a
 * caller may stream many appends and check buf_failed() once at the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"

static size_t buf_max(const struct buf *b)
{
	return b->max ? b->max : SIZE_MAX / 2;
}

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = false;
}

void buf_done(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t extra)
{
	size_t max = buf_max(b), need, ncap;
	uintptr_t old;
	char *p;

	if (b->failed)
		return -ENOBUFS;
	if (extra > max - b->len) {
		b->failed = true;
		return -E2BIG;
	}
	need = b->len + extra + 1;	/* + NUL */
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 4 ? need : ncap * 2;
	if (ncap > max + 1)
		ncap = max + 1;
	if (ncap < need)
		ncap = need;
	old = (uintptr_t)b->data;
	p = realloc(b->data, ncap);
	if (!p) {
		b->failed = true;
		return -ENOMEM;
	}
	/* A big buffer that moved left a hole in the heap: the warm-up's
	 * holes go back to the kernel once growth stops (mem_trim_idle). */
	if (old && (uintptr_t)p != old && b->cap >= 4096)
		mem_trim_request();
	b->data = p;
	b->cap = ncap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	if (b->failed)
		return -ENOBUFS;
	/* Try in the space we have first; most formats are short. */
	va_copy(aq, ap);
	n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->failed = true;
		return -EINVAL;
	}
	if (b->data && (size_t)n < b->cap - b->len) {
		if ((size_t)n > buf_max(b) - b->len) {
			b->data[b->len] = '\0';
			b->failed = true;
			return -E2BIG;
		}
		b->len += (size_t)n;
		return 0;
	}
	r = buf_reserve(b, (size_t)n);
	if (r < 0) {
		if (b->data)
			b->data[b->len] = '\0';
		return r;
	}
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *buf_steal(struct buf *b, size_t *ret_len)
{
	char *p = b->data;
	size_t len = b->len;

	if (!p) {
		p = malloc(1);
		if (!p)
			return NULL;
		p[0] = '\0';
		len = 0;
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
	if (ret_len)
		*ret_len = len;
	return p;
}

ssize_t file_read_small(const char *path, char *b, size_t size)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, b + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	b[len] = '\0';
	return (ssize_t)len;
}

/* daemon_now_ns() of the last request; 0: none pending. */
static _Atomic uint64_t trim_asked;

void mem_trim_request(void)
{
	atomic_store_explicit(&trim_asked, daemon_now_ns() | 1, memory_order_relaxed);
}

static void (*idle_hooks[MEM_IDLE_HOOKS])(void);
static _Atomic unsigned nidle_hooks;

int mem_idle_hook_add(void (*fn)(void))
{
	unsigned n = atomic_load(&nidle_hooks);

	for (unsigned i = 0; i < n; i++)
		if (idle_hooks[i] == fn)
			return 0;
	if (n == MEM_IDLE_HOOKS)
		return -ENOSPC;
	idle_hooks[n] = fn;
	atomic_store(&nidle_hooks, n + 1);	/* publishes the slot */
	return 0;
}

bool mem_trim_idle(void)
{
	uint64_t t = atomic_load_explicit(&trim_asked, memory_order_relaxed);

	if (!t || daemon_now_ns() - t < MEM_TRIM_QUIET_NS)
		return false;
	/* A request made meanwhile stays pending (the CAS fails): trim again later. */
	if (!atomic_compare_exchange_strong(&trim_asked, &t, 0))
		return false;
	mem_release_now();
	return true;
}

void mem_release_now(void)
{
	for (unsigned i = 0, n = atomic_load(&nidle_hooks); i < n; i++)
		idle_hooks[i]();
	malloc_trim(0);
}

/* Lowest usable address of this thread's stack (0: not known yet, or the
 * main thread's); the guard page lies below it. */
static __thread uintptr_t stack_lo;
static __thread bool stack_known;

void mem_stack_release(void)
{
	volatile char here = 0;
	uintptr_t sp = (uintptr_t)&here, top, lo;
	long page = sysconf(_SC_PAGESIZE);

	if (!stack_known) {
		pthread_attr_t a;
		void *addr;
		size_t size;

		stack_known = true;
		if (getpid() == gettid())
			return;	/* main thread: its attr is computed from rlimit */
		if (pthread_getattr_np(pthread_self(), &a) != 0)
			return;
		if (pthread_attr_getstack(&a, &addr, &size) == 0)
			stack_lo = (uintptr_t)addr;
		pthread_attr_destroy(&a);
	}
	if (!stack_lo || page <= 0 || sp < stack_lo + MEM_STACK_MARGIN)
		return;
	lo = (stack_lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	top = (sp - MEM_STACK_MARGIN) & ~((uintptr_t)page - 1);
	/* Only the span below the frame that calls go deep into: a range over
	 * 33 pages makes the kernel flush whole TLBs, not page by page. */
	if (top <= lo)
		return;
	if (top - lo > MEM_STACK_SPAN)
		lo = top - MEM_STACK_SPAN;
	(void)madvise((void *)lo, top - lo, MADV_DONTNEED);
}
