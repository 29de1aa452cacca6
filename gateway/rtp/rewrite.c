/* Per-player RTP rewriting: one stable output SSRC with continuous sequence
 * numbers and timestamps, whatever happens to the publisher behind it.
 * See rtp/rtp.h for the contract.
 *
 * Model. The output follows one source mapping at a time:
 *     out_seq = in_seq + seq_off (mod 2^16), out_ts = in_ts + ts_off (mod 2^32)
 * so within a source every gap, reordering and wrap-around passes through
 * unchanged, and the arithmetic never needs to know about wraps.
 *
 * A new mapping starts (SWITCHED) on the first packet, on a new source SSRC
 * (publisher reconnected or republished), or on a confirmed seq jump of the
 * same SSRC (MAX_DROPOUT or more forward, or more than MAX_MISORDER back;
 * like RFC 3550 A.1, a jump is believed when the next packet follows it).
 * The new mapping puts that packet at out_seq_max + 1 and at the timestamp
 * of the packet that carried out_seq_max plus the wall time between the two
 * arrivals (the caller gives arrivals in RTP units), at least min_gap (one
 * frame) so the player's jitter buffer never sees time stand still; the
 * marker bit tells it a new talkspurt starts (not for PT 64..95, where it
 * would make the packet demultiplex as RTCP). Capped at MAX_GAP so a long
 * silence cannot look like a step backwards on the 32-bit ts circle.
 *
 * Within a mapping, a 64-packet window of forwarded seqs (bit i: src_max -
 * i) drops duplicates; packets older than the window, or older than the
 * start of the mapping (their output seq would collide with the previous
 * source's), are too old. Late packets of the previous SSRC within
 * stale_window of the switch are dropped instead of flipping back.
 *
 * Cost: a header decode and a few integer operations per packet; no
 * allocation. One rewriter per player leg, used by the leg's worker. */
#include "rtp/rtp.h"

#include "rtp/rtp_int.h"

#include <string.h>

#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define WINDOW 64
#define MAX_GAP 0x3FFFFFFFu
#define DEFAULT_MIN_GAP 960       /* 20 ms at 48 kHz */
#define DEFAULT_STALE_WINDOW 48000 /* 1 s at 48 kHz */

/* internal verdicts, beyond the public drop codes */
enum { NEWEST = 1, OLDER, SWITCH };

void rtp_rewriter_init(struct rtp_rewriter *rw, uint32_t out_ssrc, uint16_t first_seq, uint32_t first_ts)
{
	memset(rw, 0, sizeof *rw);
	rw->out_ssrc = out_ssrc;
	rw->out_seq = (uint16_t)(first_seq - 1);
	rw->out_ts = first_ts;
	rw->min_gap = DEFAULT_MIN_GAP;
	rw->stale_window = DEFAULT_STALE_WINDOW;
}

void rtp_rewriter_set_timing(struct rtp_rewriter *rw, uint32_t min_gap, uint32_t stale_window)
{
	rw->min_gap = min_gap;
	rw->stale_window = stale_window;
}

/* Timestamp distance from the last packet sent to one arriving at now. */
static uint32_t switch_gap(const struct rtp_rewriter *rw, uint64_t now)
{
	uint64_t gap = now > rw->out_at ? now - rw->out_at : 0;
	if (gap < rw->min_gap)
		gap = rw->min_gap;
	return gap > MAX_GAP ? MAX_GAP : (uint32_t)gap;
}

static void start_mapping(struct rtp_rewriter *rw, const struct rtp_header *h, uint64_t now)
{
	uint16_t seq = (uint16_t)(rw->out_seq + 1);
	uint32_t ts = rw->started ? rw->out_ts + switch_gap(rw, now) : rw->out_ts;
	if (rw->have_src && rw->src_ssrc != h->ssrc) {
		rw->have_prev = true;
		rw->prev_ssrc = rw->src_ssrc;
	}
	rw->have_src = true;
	rw->src_ssrc = h->ssrc;
	rw->seq_off = (uint16_t)(seq - h->seq);
	rw->ts_off = ts - h->ts;
	rw->src_max = h->seq;
	rw->seen = 1;
	rw->span = 0;
	rw->probing = false;
	rw->switch_at = now;
	rw->switches++;
}

static int advance(struct rtp_rewriter *rw, uint16_t seq, uint16_t step)
{
	rw->seen = step >= WINDOW ? 1 : rw->seen << step | 1;
	rw->src_max = seq;
	rw->span = rw->span + step > WINDOW ? WINDOW : rw->span + step;
	rw->probing = false;
	return NEWEST;
}

static int older(struct rtp_rewriter *rw, uint16_t age)
{
	if (age >= WINDOW || age > rw->span)
		return RTP_REWRITE_TOO_OLD;
	uint64_t bit = 1ull << age;
	if (rw->seen & bit)
		return RTP_REWRITE_DUPLICATE;
	rw->seen |= bit;
	return OLDER;
}

static int classify(struct rtp_rewriter *rw, const struct rtp_header *h, uint64_t now)
{
	if (!rw->have_src)
		return SWITCH;
	if (h->ssrc != rw->src_ssrc) {
		bool late = rw->have_prev && h->ssrc == rw->prev_ssrc && now >= rw->switch_at &&
			    now - rw->switch_at < rw->stale_window;
		return late ? RTP_REWRITE_TOO_OLD : SWITCH;
	}
	uint16_t step = (uint16_t)(h->seq - rw->src_max);
	if (step == 0)
		return RTP_REWRITE_DUPLICATE;
	if (step < MAX_DROPOUT)
		return advance(rw, h->seq, step);
	if (step >= 0x10000 - MAX_MISORDER)
		return older(rw, (uint16_t)(0x10000 - step));
	if (rw->probing && h->seq == rw->probe_seq)
		return SWITCH;
	rw->probing = true;
	rw->probe_seq = (uint16_t)(h->seq + 1);
	return RTP_REWRITE_PROBATION;
}

/* With rtcp-mux, PT 64..95 plus the marker bit reads as RTCP 192..223
 * (RFC 5761 4); such payload types should not be used, but if one is, the
 * rewriter must not be the one that makes its packets look like RTCP. */
static bool marker_looks_rtcp(uint8_t pt)
{
	return pt >= 64 && pt <= 95;
}

static void count_drop(struct rtp_rewriter *rw, int verdict)
{
	if (verdict == RTP_REWRITE_DUPLICATE)
		rw->duplicates++;
	else if (verdict == RTP_REWRITE_TOO_OLD)
		rw->too_old++;
	else
		rw->probation++;
}

int rtp_rewriter_apply(struct rtp_rewriter *rw, uint8_t *pkt, size_t len, uint64_t now)
{
	struct rtp_header h;
	int r = rtp_header_decode(&h, pkt, len);
	if (r < 0)
		return r;
	int verdict = classify(rw, &h, now);
	if (verdict < 0) {
		count_drop(rw, verdict);
		return verdict;
	}
	if (verdict == SWITCH)
		start_mapping(rw, &h, now);
	uint16_t seq = (uint16_t)(h.seq + rw->seq_off);
	uint32_t ts = h.ts + rw->ts_off;
	rtp__wr16(pkt + 2, seq);
	rtp__wr32(pkt + 4, ts);
	rtp__wr32(pkt + 8, rw->out_ssrc);
	if (verdict == SWITCH && !marker_looks_rtcp(h.pt))
		pkt[1] |= 0x80;
	if (verdict != OLDER) {
		rw->started = true;
		rw->out_seq = seq;
		rw->out_ts = ts;
		rw->out_at = now;
	}
	rw->forwarded++;
	return verdict == SWITCH ? RTP_REWRITE_SWITCHED : RTP_REWRITE_FORWARD;
}
