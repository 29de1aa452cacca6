/* The mixers' helper threads. See mixpool.h for the contract.
 *
 * A room lives on one worker, and its tick used to run there from start
 * to end: with everyone in a large room mixed, one core was the room's
 * limit. Most of a big tick is codec work that needs nothing but its own
 * codec state and buffers (a talker's decode, a member's N-1 encode, a
 * shared encode), so the worker hands such jobs out in batches while the
 * room's state stays with it:
 *
 *   worker (the slot's owner)                helpers (shared by all workers)
 *   fn, arg, n; next = 0; open = 1
 *   seq++, futex wake ─────────────────────▶ wake up, look at every slot
 *   claim next++, run, ...                   busy++; open? claim next++, run, ...
 *   a claim past n: open = 0                 a claim past n: busy--; the last
 *   wait for busy == 0 ◀──────────────────── one out wakes a sleeping owner
 *   (the tick goes on: emit in the usual order)
 *
 * Each worker has its own slot, so batches of rooms on different workers
 * run at the same time; a helper serves whichever slot has work. Nothing
 * locks: jobs are claimed with an atomic counter, and the owner claims
 * jobs like a helper, so a batch completes even when every helper is busy
 * elsewhere or not scheduled (a helper only ever shortens it). Helpers
 * sleep on a futex: seq counts the batches opened, and a helper sleeps
 * only while seq still has the value it read before finding nothing to do,
 * so an opening is never missed. The owner waits on busy (spinning a
 * little first: the last jobs are short), woken by the helper that leaves
 * it last.
 *
 * The handshake that makes the slot's batch the owner's again: a helper
 * announces itself (busy++) before it reads open, and the owner closes
 * (open = 0) before it reads busy, all sequentially consistent. So when
 * the owner has closed and then sees busy == 0, any helper still to come
 * will see the slot closed: no job is running or can start, and the
 * helpers' writes happened before their busy-- (release) that the owner
 * read (acquire). The owner writes fn, arg, n and next only while closed
 * and empty; a helper reads them only inside (busy > 0) after seeing it
 * open, which the release store of open publishes.
 *
 * Linux futexes (roomgate already needs epoll and timerfd). */
#include "media/mixpool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CACHE_LINE 64
#define SPIN 200        /* the owner's polls of busy before it sleeps */
#define MAX_THREADS 256

struct mixpool_slot {
	_Alignas(CACHE_LINE) struct mixpool *p;
	/* the open batch: written by the owner while closed */
	mixpool_fn fn;
	void *arg;
	unsigned n;
	_Atomic unsigned next;  /* the next job to claim */
	_Atomic unsigned open;  /* 1: helpers may enter */
	_Alignas(CACHE_LINE) _Atomic uint32_t busy; /* helpers inside (a futex) */
	_Atomic unsigned sleeping; /* the owner sleeps on busy */
	/* owner only */
	_Alignas(CACHE_LINE) struct mixpool_stats st;
};

struct helper {
	struct mixpool *p;
	pthread_t thread;
	void *scratch;
};

struct mixpool {
	_Alignas(CACHE_LINE) _Atomic uint32_t seq; /* batches opened (a futex) */
	_Atomic unsigned stop;
	unsigned n_threads, n_slots;
	struct helper *helpers;
	struct mixpool_slot *slots;
};

static void futex_wait(_Atomic uint32_t *addr, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr, int n)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Claims and runs jobs until none is left; returns how many it ran. */
static unsigned claim_and_run(struct mixpool_slot *s, mixpool_fn fn, void *arg, unsigned n,
			      void *scratch)
{
	unsigned ran = 0;
	for (;;) {
		unsigned i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
		if (i >= n)
			return ran;
		fn(arg, i, scratch);
		ran++;
	}
}

/* A helper's visit to a slot; returns the jobs it ran there. */
static unsigned help(struct mixpool_slot *s, void *scratch)
{
	if (!atomic_load_explicit(&s->open, memory_order_relaxed))
		return 0;
	atomic_fetch_add(&s->busy, 1);
	unsigned ran = 0;
	if (atomic_load(&s->open))
		ran = claim_and_run(s, s->fn, s->arg, s->n, scratch);
	if (atomic_fetch_sub(&s->busy, 1) == 1 && atomic_load(&s->sleeping))
		futex_wake(&s->busy, 1);
	return ran;
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct mixpool *p = h->p;
	for (;;) {
		uint32_t seq = atomic_load(&p->seq);
		if (atomic_load(&p->stop))
			return NULL;
		unsigned ran = 0;
		for (unsigned i = 0; i < p->n_slots; i++)
			ran += help(&p->slots[i], h->scratch);
		if (!ran)
			futex_wait(&p->seq, seq);
	}
}

void mixpool_run(struct mixpool_slot *s, unsigned n, mixpool_fn fn, void *arg, void *scratch)
{
	struct mixpool *p = s->p;
	if (p->n_threads == 0 || n < 2) {
		for (unsigned i = 0; i < n; i++)
			fn(arg, i, scratch);
		return;
	}
	s->fn = fn;
	s->arg = arg;
	s->n = n;
	atomic_store_explicit(&s->next, 0, memory_order_relaxed);
	atomic_store(&s->open, 1);
	atomic_fetch_add(&p->seq, 1);
	futex_wake(&p->seq, (int)(n - 1 < p->n_threads ? n - 1 : p->n_threads));
	unsigned own = claim_and_run(s, fn, arg, n, scratch);
	atomic_store(&s->open, 0);
	for (unsigned spin = 0; atomic_load(&s->busy) != 0; spin++) {
		if (spin < SPIN) {
			cpu_relax();
			continue;
		}
		atomic_store(&s->sleeping, 1);
		uint32_t b = atomic_load(&s->busy);
		if (b != 0)
			futex_wait(&s->busy, b);
		atomic_store(&s->sleeping, 0);
	}
	s->st.batches++;
	s->st.jobs += n;
	s->st.helped += n - own;
}

void mixpool_slot_stats(const struct mixpool_slot *s, struct mixpool_stats *st)
{
	*st = s->st;
}

unsigned mixpool_threads(const struct mixpool *p)
{
	return p->n_threads;
}

struct mixpool_slot *mixpool_slot(struct mixpool *p, unsigned i)
{
	return i < p->n_slots ? &p->slots[i] : NULL;
}

static void stop_threads(struct mixpool *p, unsigned started)
{
	atomic_store(&p->stop, 1);
	atomic_fetch_add(&p->seq, 1);
	futex_wake(&p->seq, INT_MAX);
	for (unsigned i = 0; i < started; i++)
		pthread_join(p->helpers[i].thread, NULL);
}

static void pool_free(struct mixpool *p)
{
	for (unsigned i = 0; i < p->n_threads; i++)
		free(p->helpers[i].scratch);
	free(p->helpers);
	free(p->slots);
	free(p);
}

int mixpool_new(struct mixpool **out, unsigned threads, unsigned slots, size_t scratch_bytes)
{
	if (threads > MAX_THREADS || slots == 0)
		return -EINVAL;
	struct mixpool *p = aligned_alloc(CACHE_LINE, sizeof *p);
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof *p);
	p->n_slots = slots;
	p->slots = aligned_alloc(CACHE_LINE, slots * sizeof *p->slots);
	p->helpers = calloc(threads ? threads : 1, sizeof *p->helpers);
	if (!p->slots || !p->helpers) {
		pool_free(p);
		return -ENOMEM;
	}
	memset(p->slots, 0, slots * sizeof *p->slots);
	for (unsigned i = 0; i < slots; i++)
		p->slots[i].p = p;
	p->n_threads = threads;
	for (unsigned i = 0; i < threads; i++)
		if (!(p->helpers[i].scratch = malloc(scratch_bytes ? scratch_bytes : 1))) {
			pool_free(p);
			return -ENOMEM;
		}
	for (unsigned i = 0; i < threads; i++) {
		p->helpers[i].p = p;
		int err = pthread_create(&p->helpers[i].thread, NULL, helper_main, &p->helpers[i]);
		if (err) {
			stop_threads(p, i);
			pool_free(p);
			return -err;
		}
		char name[16];
		snprintf(name, sizeof name, "rg-mix-%u", i);
		pthread_setname_np(p->helpers[i].thread, name);
	}
	*out = p;
	return 0;
}

void mixpool_free(struct mixpool *p)
{
	if (!p)
		return;
	stop_threads(p, p->n_threads);
	pool_free(p);
}
