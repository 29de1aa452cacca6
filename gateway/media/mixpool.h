/* Private to media/: the mixers' helper threads (see mixpool.c for the
 * design). A batch is n independent jobs that the worker owning a slot
 * runs together with the helpers; the call returns when every job has run.
 *
 * Ownership: media.c makes the pool (one slot per media worker) before the
 * workers tick and frees it after they have stopped; a slot is used by
 * its worker's thread only (mixpool_run, mixpool_slot_stats). Jobs run on
 * any of the pool's threads or on the caller's, each with a scratch area
 * of its thread's: a job must touch only its own objects (its decoder or
 * encoder and its buffers) and read what no other job of the batch
 * writes. */
#ifndef RG_MEDIA_MIXPOOL_H
#define RG_MEDIA_MIXPOOL_H

#include <stddef.h>
#include <stdint.h>

struct mixpool;
struct mixpool_slot;

/* Job i of a batch; scratch: scratch_bytes of the running thread's. */
typedef void (*mixpool_fn)(void *arg, unsigned i, void *scratch);

struct mixpool_stats {
	uint64_t batches; /* batches run with the helpers */
	uint64_t jobs;    /* their jobs */
	uint64_t helped;  /* of those, jobs a helper thread ran */
};

/* threads helpers (0: a pool without threads, every batch runs on its
 * caller), slots batch slots. 0 or a negative errno (*out set only on
 * success). */
int mixpool_new(struct mixpool **out, unsigned threads, unsigned slots, size_t scratch_bytes);
/* Stops and joins the helpers; no batch may be running. */
void mixpool_free(struct mixpool *p);
unsigned mixpool_threads(const struct mixpool *p);
struct mixpool_slot *mixpool_slot(struct mixpool *p, unsigned i);
/* Runs fn(arg, i, ...) for every i < n, on the calling thread (with its
 * scratch, scratch_bytes) and on the helpers that are free; returns once
 * all have returned, with their writes visible to the caller. Never
 * blocks on anything but the batch's own jobs. */
void mixpool_run(struct mixpool_slot *s, unsigned n, mixpool_fn fn, void *arg, void *scratch);
void mixpool_slot_stats(const struct mixpool_slot *s, struct mixpool_stats *st);

#endif
