/* Unit tests of common/buf.c: growth, cap, sticky failure, printf, steal,
 * giving freed memory back (mem_trim_*). */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "../harness.h"

static void test_append_and_nul(void)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK(b.data == NULL && b.len == 0);
	CHECK_INT(buf_puts(&b, "hello"), 0);
	CHECK_INT(buf_putc(&b, ' '), 0);
	CHECK_INT(buf_append(&b, "world!!", 5), 0);
	CHECK_INT(b.len, 11);
	CHECK_STR(b.data, "hello world");
	CHECK(b.data[b.len] == '\0');
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK_INT(b.len, 11);
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK(b.cap > 0);	/* allocation kept */
	buf_done(&b);
	CHECK(b.data == NULL);
	buf_done(&b);	/* twice is fine */
}

static void test_growth(void)
{
	struct buf b;
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 0);
	for (int i = 0; i < 1000; i++)
		CHECK_INT(buf_append(&b, chunk, sizeof(chunk)), 0);
	CHECK_INT(b.len, 1000000);
	CHECK(b.cap > b.len);
	CHECK(b.data[b.len] == '\0');
	CHECK(!buf_failed(&b));
	size_t n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += b.data[i] == 'x';
	CHECK_INT(n, 1000000);
	buf_done(&b);
}

static void test_cap_and_sticky(void)
{
	struct buf b;

	buf_init(&b, 10);
	CHECK_INT(buf_puts(&b, "0123456789"), 0);	/* exactly max */
	CHECK_INT(b.len, 10);
	CHECK(!buf_failed(&b));
	CHECK_INT(buf_putc(&b, 'x'), -E2BIG);
	CHECK(buf_failed(&b));
	CHECK_INT(b.len, 10);
	CHECK_STR(b.data, "0123456789");
	/* sticky: even an append that would fit is refused */
	CHECK_INT(buf_append(&b, "", 0), -ENOBUFS);
	CHECK_INT(buf_printf(&b, "%d", 1), -ENOBUFS);
	buf_reset(&b);
	CHECK(!buf_failed(&b));
	CHECK_INT(buf_puts(&b, "abc"), 0);
	CHECK_STR(b.data, "abc");
	CHECK_INT(buf_reserve(&b, 8), -E2BIG);
	CHECK(buf_failed(&b));
	buf_done(&b);
}

static void test_printf(void)
{
	struct buf b;
	char big[3000];

	buf_init(&b, 0);
	CHECK_INT(buf_printf(&b, "%s=%d", "a", 42), 0);
	CHECK_STR(b.data, "a=42");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(buf_printf(&b, "[%s]", big), 0);	/* forces a second pass */
	CHECK_INT(b.len, 4 + 2 + 2999);
	CHECK(b.data[4] == '[' && b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
	buf_done(&b);

	buf_init(&b, 8);
	CHECK_INT(buf_printf(&b, "%s", "12345"), 0);
	CHECK_INT(buf_printf(&b, "%s", "6789"), -E2BIG);
	CHECK_STR(b.data, "12345");	/* nothing partial left behind */
	CHECK(buf_failed(&b));
	buf_done(&b);
}

static void test_steal(void)
{
	struct buf b;
	size_t len = 99;
	char *p;

	buf_init(&b, 0);
	p = buf_steal(&b, &len);	/* empty buffer: an empty string */
	CHECK(p != NULL && len == 0 && p[0] == '\0');
	free(p);
	buf_puts(&b, "data");
	p = buf_steal(&b, &len);
	CHECK_STR(p, "data");
	CHECK_INT(len, 4);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(p);
	CHECK_INT(buf_puts(&b, "again"), 0);	/* reusable */
	CHECK_STR(b.data, "again");
	buf_done(&b);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

/* Anonymous kB of this process (proc(5): /proc/PID/smaps_rollup), -1 if unknown. */
static long anon_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Freed heap memory below a live chunk stays resident in glibc (free()
 * trims only the top): mem_trim_request() + mem_trim_idle() once quiet must
 * hand it back.  M_TRIM_THRESHOLD is raised so free() itself trims nothing:
 * whatever comes back is malloc_trim's.
 */
static void test_trim(void)
{
	enum { N = 256, SZ = 64 * 1024 };
	static void *p[N];
	void *keep;
	long before, after;
	bool trimmed = false;

	/* (earlier cases' buffers may have asked for a trim when they moved:
	 * no check here that nothing is pending) */
#ifdef UNDER_SANITIZER
	(void)mem_trim_idle();	/* callable; the figures below are glibc's */
	SKIP("the sanitizer's allocator is not glibc's");
	return;
#endif
	if (anon_kb() < 0) {
		SKIP("no /proc/self/smaps_rollup");
		return;
	}
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	for (int i = 0; i < N; i++) {
		p[i] = malloc(SZ);
		if (p[i])
			memset(p[i], 1, SZ);
	}
	keep = malloc(SZ);	/* above them: the heap's top stays in use */
	if (keep)
		memset(keep, 1, SZ);
	for (int i = 0; i < N; i++)
		free(p[i]);
	before = anon_kb();
	mem_trim_request();
	/* a request waits for MEM_TRIM_QUIET_NS without another (1 s) */
	for (int i = 0; i < 200 && !trimmed; i++) {
		trimmed = mem_trim_idle();
		if (!trimmed)
			usleep(50 * 1000);
	}
	CHECK(trimmed);
	after = anon_kb();
	/* 16 MB were freed; at least half must be back with the kernel */
	CHECK(before - after >= N * SZ / 1024 / 2);
	if (before - after < N * SZ / 1024 / 2)
		printf("# anonymous %ld kB -> %ld kB\n", before, after);
	CHECK(!mem_trim_idle());	/* done: nothing pending */
	free(keep);
}

/* Hooks added with mem_idle_hook_add run once per trim, before it; not
 * before one is due; the same hook once; past MEM_IDLE_HOOKS: -ENOSPC. */
static int hook_a_runs, hook_b_runs;
static void hook_a(void) { hook_a_runs++; }
static void hook_b(void) { hook_b_runs++; }
#define HOOK_FILL(n) static void hook_fill##n(void) { }
HOOK_FILL(0) HOOK_FILL(1) HOOK_FILL(2) HOOK_FILL(3) HOOK_FILL(4) HOOK_FILL(5) HOOK_FILL(6) HOOK_FILL(7)
static void (*const hook_fills[])(void) = { hook_fill0, hook_fill1, hook_fill2, hook_fill3,
					    hook_fill4, hook_fill5, hook_fill6, hook_fill7 };
_Static_assert(MEM_IDLE_HOOKS <= 8, "enough distinct hooks to fill the table");

static void test_idle_hooks(void)
{
	bool trimmed = false;
	int r = 0;

	/* earlier cases may have left a trim pending: let it run first */
	for (int i = 0; i < 40 && mem_trim_idle() == false; i++)
		usleep(50 * 1000);
	CHECK(mem_idle_hook_add(hook_a) == 0);
	CHECK(mem_idle_hook_add(hook_b) == 0);
	CHECK(mem_idle_hook_add(hook_a) == 0);	/* no second slot */
	CHECK(!mem_trim_idle());		/* nothing pending: no hook */
	CHECK(hook_a_runs == 0 && hook_b_runs == 0);
	mem_trim_request();
	CHECK(!mem_trim_idle());		/* not quiet yet */
	CHECK(hook_a_runs == 0);
	for (int i = 0; i < 200 && !trimmed; i++) {
		trimmed = mem_trim_idle();
		if (!trimmed)
			usleep(50 * 1000);
	}
	CHECK(trimmed);
	CHECK(hook_a_runs == 1 && hook_b_runs == 1);
	CHECK(!mem_trim_idle());
	CHECK(hook_a_runs == 1);
	/* 2 added: MEM_IDLE_HOOKS - 2 more fit, then -ENOSPC */
	for (int i = 0; i < MEM_IDLE_HOOKS - 2; i++)
		if (mem_idle_hook_add(hook_fills[i]) < 0)
			r = -1;
	CHECK(r == 0);
	CHECK(mem_idle_hook_add(hook_fills[MEM_IDLE_HOOKS - 2]) == -ENOSPC);
	CHECK(mem_idle_hook_add(hook_b) == 0);	/* one already in: still fine */
}

/* mem_stack_release on a thread made by pthread_create: the pages a deep
 * call touched below the caller's frame are no longer resident (mincore),
 * the ones at and above it are, and the thread goes on working. */
static uintptr_t deep_lo;

/* Not a tail call (clang made the recursion a loop in one frame): the
 * result is used after the call returns. */
static __attribute__((noinline)) int touch_deep(int n)
{
	volatile char a[4096];

	for (size_t i = 0; i < sizeof(a); i += 64)
		a[i] = (char)n;
	if (n == 0) {
		deep_lo = (uintptr_t)a;
		return a[0];
	}
	return touch_deep(n - 1) + a[64];
}

/* resident pages in [lo, hi) */
static long resident(uintptr_t lo, uintptr_t hi)
{
	long page = sysconf(_SC_PAGESIZE), n = 0;
	unsigned char vec[64];
	uintptr_t start = lo & ~((uintptr_t)page - 1);
	size_t npages = (hi - start + (uintptr_t)page - 1) / (uintptr_t)page;

	if (npages > sizeof(vec) || mincore((void *)start, npages * (size_t)page, vec) < 0)
		return -1;
	for (size_t i = 0; i < npages; i++)
		n += vec[i] & 1;
	return n;
}

static void *stack_thread(void *arg)
{
	long *out = arg;
	volatile char here = 0;
	uintptr_t sp = (uintptr_t)&here;

	(void)touch_deep(12);	/* ~48 kB below this frame */
	out[0] = resident(deep_lo, sp - 2 * MEM_STACK_MARGIN);
	mem_stack_release();
	out[1] = resident(deep_lo, sp - 2 * MEM_STACK_MARGIN);
	out[2] = resident(sp - 64, sp);	/* our own frame stays */
	(void)touch_deep(12);	/* and the stack works afterwards */
	out[3] = resident(deep_lo, sp - 2 * MEM_STACK_MARGIN);
	return NULL;
}

static void test_stack_release(void)
{
	pthread_t t;
	long r[4] = { -1, -1, -1, -1 };

	CHECK(pthread_create(&t, NULL, stack_thread, r) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("# resident below the frame: %ld pages, %ld after the release, %ld after reuse\n",
	       r[0], r[1], r[3]);
	CHECK(r[0] >= 8);
	CHECK(r[1] == 0);
	CHECK(r[2] == 1);
	CHECK(r[3] >= 8);
	mem_stack_release();	/* main thread: does nothing, does not crash */
}

int main(void)
{
	RUN(test_append_and_nul);
	RUN(test_growth);
	RUN(test_cap_and_sticky);
	RUN(test_printf);
	RUN(test_steal);
	RUN(test_trim);
	RUN(test_idle_hooks);
	RUN(test_stack_release);
	return harness_done();
}
