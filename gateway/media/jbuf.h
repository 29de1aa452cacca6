/* jbuf: the jitter buffer of one mixed input (worker thread, pure: the
 * caller passes the clock). Payload storage is allocated by the first put
 * of a payload and grows when a payload larger than all before arrives (a
 * few times in a stream's life, not per packet); see jbuf.c.
 *
 * Packets go in as they arrive (any order); the mixer takes them out in
 * timestamp order, once per 20 ms tick and possibly several times in one
 * tick when packets are shorter than the tick. The buffer decides, per
 * playout position, whether the packet is there (PACKET), was lost (LOST:
 * a later packet is there, so the caller conceals this slot, with FEC from
 * 'next' when it directly follows), or cannot be known yet (WAIT: nothing
 * later has arrived, or it has but the missing packet is not overdue by the
 * target yet; the caller conceals this tick and the playout point does not
 * move, which adds delay). Time the sender skipped without a sequence gap
 * (Opus DTX, a pause) also comes out as LOST, to be concealed alike, but is
 * not counted as lost.
 *
 * Delay adapts: the target is about twice the measured interarrival jitter
 * plus one packet, within [min_delay_ms, max_delay_ms]. Playout starts once
 * the first packet has waited the target; when more than the target (plus
 * one packet) stays buffered for a second, one packet is dropped to shrink
 * the delay again; the newest packet never waits behind more than
 * max_delay_ms of audio (older ones are dropped). Packets behind the
 * playout point are late: dropped and counted. A timestamp jump larger than
 * max_delay_ms*4 either way (beyond what the time since the last packet
 * explains), a sequence number more than 100 behind the playout point, or
 * no packet for a second, restarts the buffer (a new talk spurt or a new
 * source). Sequence numbers and timestamps wrap. */
#ifndef RG_MEDIA_JBUF_H
#define RG_MEDIA_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_JBUF_SLOTS 32          /* packets held at most (640 ms of 20 ms packets) */
#define RG_JBUF_MAX_PAYLOAD 1500
#define RG_JBUF_LEVEL_UNKNOWN 0xFF

struct rg_jbuf_config {
	unsigned clock_rate;   /* RTP clock of the input (48000 for Opus) */
	unsigned min_delay_ms; /* default 20 */
	unsigned max_delay_ms; /* default 200 */
};

struct rg_jbuf_stats {
	uint64_t received;   /* packets accepted */
	uint64_t played;     /* returned as PACKET */
	uint64_t lost;       /* missing packets returned as LOST (not skipped time) */
	uint64_t late;       /* arrived behind the playout point */
	uint64_t duplicate;
	uint64_t dropped;    /* accepted, never played: shrink, overflow, max delay,
				flushed by a restart; received = played + dropped
				+ still held */
	uint64_t waits;      /* WAIT results while playing (underruns) */
	uint64_t resets;     /* restarts with something held, rg_jbuf_reset's too */
	unsigned delay_ms;   /* buffered now, from the playout point */
	unsigned target_ms;
	unsigned jitter_ms;  /* RFC 3550 interarrival jitter estimate */
};

enum rg_jbuf_result {
	RG_JBUF_EMPTY = 0, /* not started (buffering) or nothing at all */
	RG_JBUF_PACKET,    /* out->payload .. is the packet for this slot */
	RG_JBUF_LOST,      /* this slot's packet is missing; out->next may allow FEC */
	RG_JBUF_WAIT,      /* underrun: conceal, the playout point stays */
};

struct rg_jbuf_out {
	enum rg_jbuf_result kind;
	uint32_t ts;            /* the slot's RTP timestamp */
	uint32_t duration;      /* RTP units this result covers (PACKET/LOST) */
	const uint8_t *payload; /* PACKET: valid until the next put (gets do
				   not move or overwrite payloads) */
	size_t len;
	uint8_t level;          /* PACKET: as given to put */
	bool marker;
	const uint8_t *next;    /* LOST: the packet right after the gap, or
				   NULL; valid until the next put */
	size_t next_len;
};

struct rg_jbuf;

/* NULL when clock_rate is outside 1000..192000, min > max, max > 5000 ms,
 * or memory runs out. The caller owns the result (one worker uses it). */
struct rg_jbuf *rg_jbuf_new(const struct rg_jbuf_config *cfg);
void rg_jbuf_free(struct rg_jbuf *jb);
void rg_jbuf_reset(struct rg_jbuf *jb);

/* One packet: duration in RTP units (from rg_codec_payload_samples),
 * level the RFC 6464 level or RG_JBUF_LEVEL_UNKNOWN, now_us a monotonic
 * arrival time. The payload is copied. Returns 0, -EALREADY (duplicate),
 * -ETIME (late), -EMSGSIZE (payload too large), -EINVAL (duration 0 or
 * more than a second) or -ENOMEM (no memory for a payload larger than all
 * before: the packet is not taken). */
int rg_jbuf_put(struct rg_jbuf *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
		size_t len, uint32_t duration, uint8_t level, uint64_t now_us);
/* The next playout slot (see above). */
enum rg_jbuf_result rg_jbuf_get(struct rg_jbuf *jb, uint64_t now_us, struct rg_jbuf_out *out);
void rg_jbuf_stats(const struct rg_jbuf *jb, struct rg_jbuf_stats *st);

#endif
