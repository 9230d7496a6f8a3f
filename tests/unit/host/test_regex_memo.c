/* The regex match memo (procfile.c) grown by several threads at once.
 *
 * host-exporter scrapes concurrently (one HTTP worker per scrape), and the
 * field filters (vmstat, netstat: hundreds of names) fill a fresh memo on
 * the first scrapes: the table starts at 16 slots and is replaced, twice as
 * large, each time it is half full, while other threads look up, publish
 * and replace in it.  Every answer must still be the regex's.  Each round
 * starts THREADS threads at one barrier on a freshly compiled regex; each
 * walks NAMES distinct names (more than the memo keeps, MEMO_MAX 512) in its
 * own order, twice, and counts wrong answers.  Also run under
 * ThreadSanitizer (make tsan) and ASan. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "harness.h"

enum { THREADS = 4, NAMES = 700, ROUNDS = 100 };

static struct host_regex re;
static pthread_barrier_t start;
static _Atomic int wrong, asked;

/* Name i, and whether the regex below matches it: decided here, not by a
 * regex, so the expected answer does not come from the code under test. */
static bool name_of(int i, char *buf, size_t n)
{
	bool m = i % 3 == 0;

	/* same shape for both: only the prefix decides */
	snprintf(buf, n, "%s_%d_field", m ? "nr" : "pg", i);
	return m;
}

static void *walker(void *arg)
{
	int t = (int)(long)arg;
	int bad = 0, n = 0;

	pthread_barrier_wait(&start);
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < NAMES; k++) {
			/* each thread its own order: a different start and step
			 * (the steps are prime to NAMES = 700) */
			static const int step[THREADS] = { 1, 3, 11, 13 };
			int i = (t * NAMES / THREADS + k * step[t]) % NAMES;
			char name[64];
			bool want = name_of(i, name, sizeof(name));

			bad += host_regex_match(&re, name) != want;
			n++;
		}
	atomic_fetch_add(&wrong, bad);
	atomic_fetch_add(&asked, n);
	host_regex_thread_done();
	return NULL;
}

static void test_concurrent_growth(void)
{
	char err[128];

	for (int round = 0; round < ROUNDS; round++) {
		pthread_t th[THREADS];
		int bad = 0;

		re = (struct host_regex){ "^nr_", NULL, NULL };
		CHECK_INT(host_regex_compile(&re, err, sizeof(err)), 0);
		CHECK_INT((int)host_regex_memo_slots(&re), 16);	/* grows from the smallest */
		atomic_store(&wrong, 0);
		atomic_store(&asked, 0);
		pthread_barrier_init(&start, NULL, THREADS);
		for (long t = 0; t < THREADS; t++)
			pthread_create(&th[t], NULL, walker, (void *)t);
		for (int t = 0; t < THREADS; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&start);
		CHECK_INT(atomic_load(&asked), THREADS * 2 * NAMES);
		CHECK_INT(atomic_load(&wrong), 0);
		/* it grew to the largest table while they asked */
		CHECK_INT((int)host_regex_memo_slots(&re), 1024);
		/* and, asked again from here, still answers every name right */
		for (int i = 0; i < NAMES; i++) {
			char name[64];
			bool want = name_of(i, name, sizeof(name));

			bad += host_regex_match(&re, name) != want;
		}
		CHECK_INT(bad, 0);
		host_regex_free(&re);
	}
	host_regex_thread_done();
}

int main(void)
{
	RUN(test_concurrent_growth);
	return harness_done();
}
