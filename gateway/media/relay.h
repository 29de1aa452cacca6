/* Private to media/: the per-worker relay. Worker thread only.
 *
 * A stream has at most one publisher (a WebRTC leg, or a local source such
 * as an RTP endpoint or a mix that pushes packets itself), any number of
 * player legs (rewritten, protected and sent per player) and any number of
 * taps (mixer inputs, RTP endpoints playing the stream as it is), which see
 * each packet as the publisher sent it. The relay also tracks who talks:
 * from the RFC 6464 level of each packet, when the publisher sends it. */
#ifndef RG_MEDIA_RELAY_H
#define RG_MEDIA_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp/rtp.h"
#include "webrtc/leg.h"

struct relay;
struct relay_leg;
struct rg_loop;
struct relay_tap;

/* Talking started/stopped on a stream (level100: 0..100). */
typedef void (*relay_talk_fn)(void *arg, const char *stream_id, bool talking, unsigned level100);
/* A packet of the tapped stream; level_id: the publisher's audio-level
 * extension ID, 0 when it has none. */
typedef void (*relay_tap_fn)(void *arg, const uint8_t *pkt, size_t len, uint8_t level_id);

/* loop: the worker's, on which the players' copies are sent (relay.c);
 * NULL (unit tests): they are sent from relay_forward. */
struct relay *relay_new(struct rg_loop *loop, relay_talk_fn talk, void *arg);
void relay_free(struct relay *r);
struct relay_stats {
	uint64_t packets; /* publisher packets sent to their players */
	uint64_t copies;  /* copies sent (one per connected player and packet) */
	uint64_t dropped; /* packets dropped unsent: their stream's queue was full */
};
void relay_get_stats(const struct relay *r, struct relay_stats *st);
/* Attaches a connected-or-connecting leg to stream_id as publisher (RECV)
 * or player (SEND). */
struct relay_leg *relay_attach(struct relay *r, struct rg_leg *leg, enum rg_leg_dir dir,
			       const char *stream_id);
/* A publisher that is not a leg: it calls relay_forward with its packets;
 * level_id is the audio-level extension ID its packets carry (0 none). */
struct relay_leg *relay_attach_local(struct relay *r, const char *stream_id, uint8_t level_id);
void relay_detach(struct relay *r, struct relay_leg *rl);
/* A packet from a publisher: to every tap at once, and queued for the
 * players of its stream (sent in a later turn of the worker's loop). */
void relay_forward(struct relay *r, struct relay_leg *from, const uint8_t *pkt, size_t len);
struct relay_tap *relay_tap_add(struct relay *r, const char *stream_id, relay_tap_fn fn, void *arg);
void relay_tap_remove(struct relay *r, struct relay_tap *t);
unsigned relay_players(const struct relay *r, const char *stream_id);
/* Whether the stream's publisher sends audio levels (decided by its packets). */
bool relay_stream_has_levels(const struct relay *r, const char *stream_id);
/* Level feed for streams whose packets carry none (the mixer measures them). */
void relay_stream_level(struct relay *r, const char *stream_id, uint8_t level, unsigned dur_ms);
/* Once a second: a talking stream that sent nothing for a second stops. */
void relay_check_idle(struct relay *r, int64_t now_us);

#endif
