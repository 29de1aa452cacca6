/* The mixer's state, shared by mixer.c (the tick and the bookkeeping) and
 * mixer_json.c (its figures as JSON). Private to media/; worker thread only. */
#ifndef RG_MEDIA_MIXER_INT_H
#define RG_MEDIA_MIXER_INT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "codec/codec.h"
#include "media/mixer.h"

#define MAX_SLOTS 4

enum slot_kind { SLOT_SILENT, SLOT_PACKET, SLOT_LOST, SLOT_WAIT };

/* Payloads point into the input's jitter buffer: valid until its next
 * put, so only until this tick's first emit (see the top of mixer.c). */
struct slot {
	enum slot_kind kind;
	uint32_t samples;
	uint8_t level;
	const uint8_t *buf, *next;
	size_t len, next_len;
};

/* What decoding an input needs, lent by the mixer's pool. */
struct mdec {
	struct rg_decoder *d;
	unsigned fifo_n;
	int16_t pcm[RG_FRAME_SAMPLES];                      /* this tick */
	int16_t fifo[RG_MAX_PACKET_SAMPLES]; /* decoded beyond this tick */
};

struct min {
	struct mixer *mx;
	char *id;
	struct relay_tap *tap;
	struct rg_jbuf *jb;
	struct mdec *dec;  /* lent while the input is decoded, or NULL */
	uint64_t dec_tick; /* the last tick that decoded it */
	bool in_room;      /* part of the "all" set */
	unsigned list_refs; /* explicit outputs naming it */
	bool wanted;       /* some output hears it */
	/* this tick */
	struct slot slots[MAX_SLOTS];
	unsigned n_slots;
	bool decoded, selected, was_selected, level_known;
	uint8_t level;
	/* statistics */
	uint64_t frames, decodes, skipped, bad, fec, plc;
};

/* An encoder lent to an output for its N-1 mix, and the frame its job
 * encoded this tick. */
struct lenc {
	struct rg_encoder *e;
	int len;
	uint8_t level;
	uint8_t buf[RG_MAX_PAYLOAD];
};

/* One codec of a group: the encoder its listeners share, and a pool of
 * encoders lent to the outputs whose own stream is being mixed (N-1). At
 * most max_talkers outputs need one at a time, so the pool holds
 * min(max_talkers, outputs with an own stream), made when outputs are
 * added: the tick never allocates. */
struct shenc {
	struct rg_codec_params cp;
	struct rg_encoder *enc;
	GPtrArray *spare;   /* struct lenc *, free to lend */
	unsigned pool;      /* encoders made for lending */
	unsigned n_minus_1; /* outputs with an own stream */
	uint64_t tick;
	int len;
	uint8_t buf[RG_MAX_PAYLOAD];
};

struct group {
	bool all;
	char **streams; /* !all: sorted, NULL-terminated */
	size_t n_streams;
	unsigned k;
	GPtrArray *outs;   /* struct mixer_out * */
	GPtrArray *shared; /* struct shenc * */
	struct min **sel, **prev;
	unsigned n_sel, n_prev;
	int32_t sum[RG_FRAME_SAMPLES];
	int16_t mix[RG_FRAME_SAMPLES];
	uint64_t mix_tick;
	uint8_t mix_level;
};

struct mixer_out {
	struct group *g;
	char *exclude;
	struct rg_codec_params cp;
	struct lenc *own;       /* lent by sh while its own stream is mixed */
	bool own_now;           /* this tick: own encoded its frame */
	struct shenc *sh;
	mixer_frame_fn frame;
	mixer_pcm_fn pcm;       /* a PCM output: no encoder (sh and own NULL) */
	void *arg;
	uint64_t own_frames, shared_frames;
};

/* An encode of the tick's batch: an output's N-1 (o, with own the input
 * left out) or a shared one (sh). */
struct ejob {
	struct group *g;
	struct mixer_out *o;
	struct min *own;
	struct shenc *sh;
};

struct mixer {
	struct relay *relay;
	struct mixer_config cfg;
	GHashTable *inputs; /* id -> struct min * */
	GPtrArray *groups;
	GPtrArray *dec_spare; /* struct mdec *, reset, free to lend */
	unsigned dec_lent;
	uint64_t tick;
	/* the tick's batches, sized when inputs and outputs are added */
	struct min **djobs;
	struct ejob *ejobs;
	unsigned n_djobs, n_ejobs, jobs_cap;
	int16_t tmp[MIXER_SCRATCH_BYTES / sizeof(int16_t)]; /* the worker's scratch */
};

/* Whether the group's outputs hear the input. */
static inline bool group_has(const struct group *g, const struct min *in)
{
	if (g->all)
		return in->in_room;
	for (size_t i = 0; i < g->n_streams; i++)
		if (!strcmp(g->streams[i], in->id))
			return true;
	return false;
}

#endif
