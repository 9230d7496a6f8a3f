/*
 * ring: a bounded multi-producer multi-consumer queue of pointers without
 * locks (Dmitry Vyukov's bounded MPMC queue: a sequence number per cell,
 * one compare-and-swap per push or pop).  orderd keeps its free jobs and
 * its queue of waiting jobs in two of them, so the request path takes no
 * lock and allocates nothing.
 *
 * Thread-safety: ring_push and ring_pop may be called from any number of
 * threads at once; ring_init and ring_done from one thread while no other
 * uses the ring.  The ring stores the pointers it is given and owns none of
 * what they point to.
 */
#ifndef ORDERD_RING_H
#define ORDERD_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct ring_cell;

struct ring {
	struct ring_cell *cells;
	size_t mask;
	char pad0[64];
	_Atomic size_t head;		/* padded apart: producers and consumers */
	char pad1[64];			/* do not false-share a cache line */
	_Atomic size_t tail;
	char pad2[64];
};

/* Room for at least min_cap pointers (rounded up to a power of two).
 * 0, -EINVAL (min_cap 0 or too large) or -ENOMEM. */
int ring_init(struct ring *r, size_t min_cap);
/* Frees the cells; a zeroed or half-built ring is fine. */
void ring_done(struct ring *r);
/* The capacity (a power of two). */
size_t ring_capacity(const struct ring *r);
/* false when the ring is full. */
bool ring_push(struct ring *r, void *p);
/* The oldest pointer, or NULL when the ring is empty. */
void *ring_pop(struct ring *r);

#endif
