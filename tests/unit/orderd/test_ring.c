/*
 * Unit tests of orderd/ring.c: FIFO order, full and empty, wrap-around over
 * many laps, and every pointer delivered exactly once when several threads
 * push and pop at once (the job rings' use).
 */
#include "harness.h"

#include "../../../orderd/ring.c"

#include <pthread.h>
#include <sched.h>

static void test_fifo_full_empty(void)
{
	struct ring r;
	int v[8];

	CHECK_INT(ring_init(&r, 0), -EINVAL);
	CHECK_INT(ring_init(&r, 5), 0);
	CHECK_INT((int)ring_capacity(&r), 8);
	CHECK(ring_pop(&r) == NULL);
	for (int i = 0; i < 8; i++)
		CHECK(ring_push(&r, &v[i]));
	CHECK(!ring_push(&r, &v[0]));		/* full */
	for (int i = 0; i < 8; i++)
		CHECK(ring_pop(&r) == &v[i]);	/* oldest first */
	CHECK(ring_pop(&r) == NULL);		/* empty again */
	/* Many laps through the 8 cells, with the ring never quite empty. */
	CHECK(ring_push(&r, &v[0]));
	for (int i = 1; i < 1000; i++) {
		CHECK(ring_push(&r, &v[i % 8]));
		CHECK(ring_pop(&r) == &v[(i - 1) % 8]);
	}
	CHECK(ring_pop(&r) == &v[999 % 8]);
	CHECK(ring_pop(&r) == NULL);
	ring_done(&r);
	ring_done(&r);				/* twice is fine */
}

/*
 * The job pattern: NJOBS pointers circulate between a "free" ring and a
 * "queue" ring; producers move free -> queue, consumers queue -> free and
 * count what they saw.  At the end every job is back in the free ring once
 * and the deliveries add up.
 */
#define NJOBS 64
#define ROUNDS 200000
#define NPROD 3
#define NCONS 3

static struct ring free_r, queue_r;
static int jobs[NJOBS];
static _Atomic long produced, consumed;
static _Atomic long seen[NJOBS];
static _Atomic int producers_left;

static void *producer(void *arg)
{
	(void)arg;
	while (atomic_fetch_add(&produced, 1) < ROUNDS) {
		int *j;

		while (!(j = ring_pop(&free_r)))
			sched_yield();
		if (!ring_push(&queue_r, j))
			abort();	/* cannot be full: it holds every job there is */
	}
	atomic_fetch_sub(&producers_left, 1);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		int *j = ring_pop(&queue_r);

		if (!j) {
			if (atomic_load(&producers_left) == 0 && !(j = ring_pop(&queue_r)))
				return NULL;
			if (!j) {
				sched_yield();
				continue;
			}
		}
		atomic_fetch_add(&seen[j - jobs], 1);
		atomic_fetch_add(&consumed, 1);
		if (!ring_push(&free_r, j))
			abort();
	}
}

static void test_threads(void)
{
	pthread_t p[NPROD], c[NCONS];
	long total = 0;
	bool once[NJOBS] = { false };
	bool all_once = true;

	CHECK_INT(ring_init(&free_r, NJOBS), 0);
	CHECK_INT(ring_init(&queue_r, NJOBS), 0);
	for (int i = 0; i < NJOBS; i++)
		CHECK(ring_push(&free_r, &jobs[i]));
	atomic_store(&producers_left, NPROD);
	for (int i = 0; i < NPROD; i++)
		pthread_create(&p[i], NULL, producer, NULL);
	for (int i = 0; i < NCONS; i++)
		pthread_create(&c[i], NULL, consumer, NULL);
	for (int i = 0; i < NPROD; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < NCONS; i++)
		pthread_join(c[i], NULL);
	CHECK_INT((int)atomic_load(&consumed), ROUNDS);
	for (int i = 0; i < NJOBS; i++)
		total += atomic_load(&seen[i]);
	CHECK_INT((int)total, ROUNDS);
	CHECK(ring_pop(&queue_r) == NULL);
	/* every job is back in the free ring exactly once */
	for (int i = 0; i < NJOBS; i++) {
		int *j = ring_pop(&free_r);

		if (!j || once[j - jobs])
			all_once = false;
		else
			once[j - jobs] = true;
	}
	CHECK(all_once);
	CHECK(ring_pop(&free_r) == NULL);
	ring_done(&free_r);
	ring_done(&queue_r);
}

int main(void)
{
	RUN(test_fifo_full_empty);
	RUN(test_threads);
	return harness_done();
}
