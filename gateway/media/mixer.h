/* Private to media/: the audio mixer of one room, on the room's worker.
 *
 * Inputs are the room's streams (Opus RTP, read through relay taps); each
 * has a jitter buffer, and a decoder while it is being decoded (lent by
 * the mixer's pool, see mixer.c). Outputs are consumers: a mix stream,
 * an RTP endpoint or SIP call hearing the room, a mixed recorder. Every
 * tick (20 ms, driven by the worker's absolute-deadline timer through
 * mixer_tick) the mixer, per group of outputs that hear the same inputs
 * with the same talker limit:
 *   - takes 20 ms from each input's jitter buffer and knows its level from
 *     the RFC 6464 extension or the DTX size, decoding only when it must
 *     (no level in the packets, loss concealment of a selected talker);
 *   - selects the loudest max_talkers inputs (the previous talkers get a
 *     bonus so the choice does not flap), decodes them, sums them once
 *     into int32;
 *   - gives each output that contributes to the sum (its own stream is a
 *     selected talker) the sum minus its own signal, saturated, encoded
 *     with its own encoder; every other output shares one encode per codec.
 * The decodes and encodes of a tick are independent jobs: with a helper
 * slot (mixpool.h) and enough of them, they run on the helper threads as
 * well as on the worker, which waits for them and then emits the frames in
 * the same order as without; the frames are the same either way.
 * Nothing allocates and nothing locks on the tick path. */
#ifndef RG_MEDIA_MIXER_H
#define RG_MEDIA_MIXER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

struct relay;
struct mixer;
struct mixer_out;
struct mixpool_slot;

/* The scratch a codec job needs (a helper thread's, see mixpool.h). */
#define MIXER_SCRATCH_BYTES ((2 * RG_FRAME_SAMPLES + RG_MAX_PACKET_SAMPLES) * sizeof(int16_t))

struct mixer_config {
	unsigned max_talkers;  /* default for outputs that give 0 */
	unsigned jb_min_ms, jb_max_ms;
	struct mixpool_slot *helpers; /* the worker's slot of the helper pool, or
					 NULL: every job runs on the worker */
	uint64_t (*clock)(void); /* arrival times of packets (monotonic us);
				    NULL: rg_mono_us (tests move their own) */
};

/* One encoded 20 ms frame for an output: payload in the output's codec,
 * valid during the call; level: RFC 6464 level of the mix it carries. */
typedef void (*mixer_frame_fn)(void *arg, const uint8_t *payload, size_t len, uint8_t level);

/* A PCM output's frame: the mix of one tick, 960 samples at 48 kHz mono,
 * valid during the call (a recorder encodes or stores it itself). */
typedef void (*mixer_pcm_fn)(void *arg, const int16_t *pcm, size_t samples, uint8_t level);

struct mixer_out_params {
	bool all;                 /* every input of the room (minus exclude) */
	const char *const *streams; /* !all: these stream IDs */
	size_t n_streams;
	const char *exclude;      /* all: the output's own stream (N-1), or NULL */
	unsigned max_talkers;     /* 0: the mixer's default */
	struct rg_codec_params codec;
	mixer_frame_fn frame;
	mixer_pcm_fn pcm;         /* non-NULL: a PCM output; codec, frame and
				     exclude are ignored (it hears every input
				     of its set, unencoded) */
	void *arg;
};

struct mixer *mixer_new(struct relay *relay, const struct mixer_config *cfg);
void mixer_free(struct mixer *mx);
/* The room's streams (the "all" set). Idempotent. */
void mixer_input_add(struct mixer *mx, const char *stream_id);
void mixer_input_remove(struct mixer *mx, const char *stream_id);
struct mixer_out *mixer_out_add(struct mixer *mx, const struct mixer_out_params *p);
void mixer_out_remove(struct mixer *mx, struct mixer_out *o);
unsigned mixer_out_count(const struct mixer *mx);
/* Decoders lent to inputs now (about the inputs decoded in the last
 * DEC_IDLE_TICKS, see mixer.c), and in *spare those the pool keeps. */
unsigned mixer_decoders(const struct mixer *mx, unsigned *spare);
/* One 20 ms tick; now_us monotonic. */
void mixer_tick(struct mixer *mx, uint64_t now_us);
/* The tick's arithmetic (pure, exposed for tests): sum += pcm; and
 * out = saturate(sum - own), own NULL for the whole sum. */
void mixer_accumulate(int32_t *sum, const int16_t *pcm, size_t n);
void mixer_saturate(int16_t *out, const int32_t *sum, const int16_t *own, size_t n);
/* Inputs (jitter buffer and decode statistics) and outputs. */
cJSON *mixer_to_json(const struct mixer *mx);
/* One input (NULL when the mixer has none of that ID). */
cJSON *mixer_input_to_json(const struct mixer *mx, const char *stream_id);
/* The inputs an output hears (its group's). */
cJSON *mixer_out_inputs_json(const struct mixer *mx, const struct mixer_out *o);
cJSON *mixer_out_to_json(const struct mixer_out *o);

#endif
