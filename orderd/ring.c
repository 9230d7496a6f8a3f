/*
 * ring: Vyukov's bounded MPMC queue.  Cell i's sequence number says whose
 * turn it is: seq == pos, free for the producer at position pos; seq ==
 * pos + 1, filled for the consumer at pos; the consumer then hands it to
 * the producer one lap later (pos + capacity).  A thread claims a position
 * with one CAS on tail (push) or head (pop); the acquire/release pair on
 * seq publishes the stored pointer.
 */
#include "ring.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

struct ring_cell {
	_Atomic size_t seq;
	void *p;
};

int ring_init(struct ring *r, size_t min_cap)
{
	size_t cap = 1;

	r->cells = NULL;
	if (min_cap == 0 || min_cap > SIZE_MAX / 4 / sizeof(struct ring_cell))
		return -EINVAL;
	while (cap < min_cap)
		cap <<= 1;
	r->cells = calloc(cap, sizeof(*r->cells));
	if (!r->cells)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&r->cells[i].seq, i);
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

void ring_done(struct ring *r)
{
	free(r->cells);
	r->cells = NULL;
}

size_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}

bool ring_push(struct ring *r, void *p)
{
	size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct ring_cell *cell;

	for (;;) {
		size_t seq;
		intptr_t dif;

		cell = &r->cells[pos & r->mask];
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)pos;
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			/*
			 * The cell still holds last lap's pointer.  Full -- unless
			 * its consumer already claimed it (head moved past it) and
			 * has not yet handed it back (between its CAS and its
			 * store below): then the ring has room, and saying "full"
			 * would lose a push the callers count on (orderd sizes its
			 * rings to hold every job there is).  Wait for that store.
			 */
			if (pos - atomic_load_explicit(&r->head, memory_order_acquire) > r->mask)
				return false;
			sched_yield();
			pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
		} else {
			pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
		}
	}
	cell->p = p;
	atomic_store_explicit(&cell->seq, pos + 1, memory_order_release);
	return true;
}

void *ring_pop(struct ring *r)
{
	size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct ring_cell *cell;
	void *p;

	for (;;) {
		size_t seq;
		intptr_t dif;

		cell = &r->cells[pos & r->mask];
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)(pos + 1);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return NULL;	/* empty */
		} else {
			pos = atomic_load_explicit(&r->head, memory_order_relaxed);
		}
	}
	p = cell->p;
	atomic_store_explicit(&cell->seq, pos + r->mask + 1, memory_order_release);
	return p;
}
