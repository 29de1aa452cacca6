/* Jitter buffer of one mixed input. See media/jbuf.h for the contract.
 *
 * Storage. RG_JBUF_SLOTS slots indexed by seq % RG_JBUF_SLOTS, each holding
 * a copy of its payload in one block of RG_JBUF_SLOTS payloads of 'stride'
 * bytes. The block is made by the first put of a payload and remade with
 * a larger stride (the payloads held copied over) when a payload larger
 * than the stride arrives: the stride is the largest payload seen, rounded
 * up to STRIDE_ALIGN and grown by at least half each time, so a stream
 * reallocates a few times at most (about 4 kB for Opus at 32 kbit/s, where
 * payloads of the largest size, RG_JBUF_MAX_PAYLOAD, would take 48 kB).
 * Gets never move or overwrite payloads. Every buffered packet lies in the window
 *     [play_seq, play_seq + RG_JBUF_SLOTS)
 * so a slot index names one packet. While buffering, play_seq/play_ts are
 * those of the oldest packet held; while playing, they are the playout
 * point. A packet that would land beyond the window pushes the front
 * forward, dropping the oldest packets (overflow).
 *
 * Clocks. Sequence numbers give order and losses, RTP timestamps the amount
 * of audio and the playout point (play_ts), the caller's monotonic
 * microseconds arrivals and ticks. All RTP arithmetic is modulo 2^16 / 2^32
 * with signed differences, so wraps need no special cases. Arrivals are
 * converted to RTP units: a packet's transit (arrival - ts) is an unknown
 * constant plus its network delay.
 *
 * Jitter and target. J is RFC 3550 6.4.1 / A.8, J += (|D| - J) / 16, D the
 * change of transit between consecutive arrivals (kept x16; late packets
 * count, duplicates do not). Beside it a mean transit, smoothed the same
 * way, says when a packet is expected. target = 2J + one packet (the
 * latest duration), clamped to [min_delay, max_delay].
 *
 * Schedule. The audio at timestamp x is due at x + mean transit + target;
 * a packet that has arrived by then plays without a gap. Playout starts
 * once the first packet has waited the target. Then each get looks at
 * play_seq:
 *   - there, at play_ts: PACKET; play_ts moves to its end (never back: a
 *     timestamp that steps back still plays at the point, after it);
 *   - there, but later than play_ts (the sender skipped time: DTX, a pause):
 *     LOST chunks of one packet, not counted as losses, until the packet is
 *     due; from then on it plays even if part of the gap is left, so delay
 *     built up by underruns is given back at the next silence;
 *   - missing, a later packet there and play_ts due: LOST for one missing
 *     packet, lasting the gap to the next packet shared over the missing
 *     sequence numbers (at most one packet); 'next' is set when this LOST
 *     ends where the next packet starts (Opus FEC recovers it from there);
 *   - missing, and nothing later or not due yet: WAIT. The playout point
 *     stays, which adds delay: this is how the delay grows towards the
 *     target, and why a packet reordered within the target is waited for
 *     rather than given up.
 * At the start of a stream J is still 0 and the target one packet, so a
 * packet overtaken by the very first ones can still come too late; once a
 * few packets have been measured the schedule absorbs the reordering
 * (tests/unit/test_jbuf.c: none lost or late under +-30 ms after that).
 *
 * Shrink. Before each get while playing, the buffered amount (playout point
 * to the end of the newest packet) is sampled; when its minimum over a
 * second exceeded target + one packet, the next packet that would play is
 * dropped instead. Independently, the newest packet never waits behind
 * more than max_delay of audio: put drops the oldest packets (or shortens
 * skipped time) until it does.
 *
 * Restarts. No packet for a second (seen by put, or by get with nothing
 * left to play), a timestamp off by more than 4 * max_delay from the one
 * the last packet and the time since predict, or a sequence number more
 * than MISORDER behind the playout point throw the buffered packets away
 * (counted in dropped) and buffering starts again. The jitter estimate
 * survives a restart: the network path is the same.
 *
 * Cost: put copies the payload and does constant work but for overflow
 * and the rare growth of the payload block; get scans at most
 * RG_JBUF_SLOTS slots when a packet is missing. */
#include "media/jbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MIN_MS 20
#define DEFAULT_MAX_MS 200
#define MAX_DELAY_LIMIT_MS 5000 /* far beyond what the slots hold anyway */
#define MIN_CLOCK 1000
#define MAX_CLOCK 192000
#define IDLE_US 1000000u    /* no packet for this long: restart */
#define WINDOW_US 1000000u  /* shrink decision period */
#define MISORDER 100        /* RFC 3550 A.1: further back is a new sequence */
#define JUMP_FACTOR 4       /* ts jump restart: JUMP_FACTOR * max_delay */
#define STRIDE_ALIGN 64     /* payload block: bytes per slot, a multiple of this */

struct slot {
	bool used;
	bool marker;
	uint8_t level;
	uint16_t seq;
	uint32_t ts;
	uint32_t duration;
	size_t len;     /* its payload: slot_payload() */
};

struct rg_jbuf {
	uint32_t rate;
	uint32_t min_units, max_units; /* delay bounds, RTP units */
	uint32_t jump_units;
	uint32_t small_units;          /* 2.5 ms: smaller time gaps are absorbed */

	struct slot slots[RG_JBUF_SLOTS];
	uint8_t *payloads;             /* RG_JBUF_SLOTS * stride bytes, or NULL */
	size_t stride;
	unsigned n;                    /* packets held */
	bool started;                  /* playing; else buffering (n > 0) or idle */
	uint16_t play_seq;             /* see the top of the file */
	uint32_t play_ts;
	uint16_t high_seq;             /* newest packet held, when n > 0 */
	uint64_t first_us;             /* arrival of the first packet buffered */
	uint64_t last_us;              /* arrival of the last packet accepted */
	uint32_t last_ts;              /* its timestamp */
	uint32_t pkt_dur;              /* its duration: "one packet" */

	bool have_transit;
	uint32_t transit;              /* of the last arrival */
	uint32_t mean;                 /* mean transit, whole units ... */
	int32_t mean_frac_q4;          /* ... plus this / 16, in (-16, 16) */
	uint32_t jitter_q4;            /* J * 16, RTP units */

	uint64_t win_start_us;         /* shrink window */
	uint32_t win_min;
	bool shrink;                   /* drop the next packet that would play */

	struct rg_jbuf_stats st;
};

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static uint32_t ms_units(uint32_t rate, unsigned ms)
{
	return (uint32_t)((uint64_t)ms * rate / 1000u);
}

static unsigned units_ms(uint32_t rate, uint64_t units)
{
	return (unsigned)((units * 1000u + rate / 2) / rate);
}

/* The caller's clock in RTP units (only the low 32 bits matter). */
static uint32_t rtp_now(const struct rg_jbuf *jb, uint64_t now_us)
{
	return (uint32_t)((now_us / 1000000u) * jb->rate + (now_us % 1000000u) * jb->rate / 1000000u);
}

static uint32_t target_units(const struct rg_jbuf *jb)
{
	uint64_t t = ((uint64_t)jb->jitter_q4 * 2 + 8) / 16 + jb->pkt_dur;
	if (t < jb->min_units)
		t = jb->min_units;
	return t > jb->max_units ? jb->max_units : (uint32_t)t;
}

/* ------------------------------------------------------------------ */
/* Slots */

static const uint8_t *slot_payload(const struct rg_jbuf *jb, const struct slot *s)
{
	static const uint8_t none[1];
	if (!jb->payloads)
		return none; /* only empty payloads so far */
	return jb->payloads + (size_t)(s - jb->slots) * jb->stride;
}

/* Makes every slot able to hold len bytes (the payloads held are kept). */
static int payloads_fit(struct rg_jbuf *jb, size_t len)
{
	if (len <= jb->stride)
		return 0;
	size_t stride = len > jb->stride + jb->stride / 2 ? len : jb->stride + jb->stride / 2;
	stride = (stride + STRIDE_ALIGN - 1) / STRIDE_ALIGN * STRIDE_ALIGN;
	if (stride > RG_JBUF_MAX_PAYLOAD)
		stride = RG_JBUF_MAX_PAYLOAD;
	uint8_t *p = malloc(RG_JBUF_SLOTS * stride);
	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < RG_JBUF_SLOTS && jb->payloads; i++)
		if (jb->slots[i].used && jb->slots[i].len)
			memcpy(p + i * stride, jb->payloads + i * jb->stride, jb->slots[i].len);
	free(jb->payloads);
	jb->payloads = p;
	jb->stride = stride;
	return 0;
}

static struct slot *slot_of(struct rg_jbuf *jb, uint16_t seq)
{
	return &jb->slots[seq % RG_JBUF_SLOTS];
}

static struct slot *held(struct rg_jbuf *jb, uint16_t seq)
{
	struct slot *s = slot_of(jb, seq);
	return s->used && s->seq == seq ? s : NULL;
}

static void release(struct rg_jbuf *jb, struct slot *s)
{
	s->used = false;
	jb->n--;
}

/* The first packet held after play_seq, and how many seqs ahead it is. */
static struct slot *next_held(struct rg_jbuf *jb, uint16_t *k)
{
	if (jb->n == 0)
		return NULL;
	for (uint16_t i = 1; i < RG_JBUF_SLOTS; i++) {
		struct slot *s = held(jb, (uint16_t)(jb->play_seq + i));
		if (s) {
			*k = i;
			return s;
		}
	}
	return NULL;
}

/* Audio held from the playout point to the end of the newest packet. */
static uint32_t buffered_units(const struct rg_jbuf *jb)
{
	if (jb->n == 0)
		return 0;
	const struct slot *hi = &jb->slots[jb->high_seq % RG_JBUF_SLOTS];
	int32_t d = (int32_t)(hi->ts + hi->duration - jb->play_ts);
	return d > 0 ? (uint32_t)d : 0;
}

/* Drops the packet at play_seq (held) and moves the front past it. While
 * buffering, the front then is the next packet held. */
static void drop_front(struct rg_jbuf *jb, struct slot *s)
{
	release(jb, s);
	jb->st.dropped++;
	jb->play_seq = (uint16_t)(s->seq + 1);
	if ((int32_t)(s->ts + s->duration - jb->play_ts) > 0)
		jb->play_ts = s->ts + s->duration;
	if (jb->started || jb->n == 0)
		return;
	uint16_t k;
	struct slot *nx = held(jb, jb->play_seq);
	if (!nx)
		nx = next_held(jb, &k);
	if (nx) {
		jb->play_seq = nx->seq;
		jb->play_ts = nx->ts;
	}
}

/* Playing, play_seq missing: moves the front to the next packet held, not
 * reporting the seqs in between (the time they covered is left as a gap). */
static void skip_missing(struct rg_jbuf *jb)
{
	uint16_t k;
	struct slot *nx = next_held(jb, &k);
	if (nx)
		jb->play_seq = nx->seq;
}

/* ------------------------------------------------------------------ */
/* Lifecycle */

struct rg_jbuf *rg_jbuf_new(const struct rg_jbuf_config *cfg)
{
	if (!cfg || cfg->clock_rate < MIN_CLOCK || cfg->clock_rate > MAX_CLOCK)
		return NULL;
	unsigned min = cfg->min_delay_ms, max = cfg->max_delay_ms;
	if (!max)
		max = min > DEFAULT_MAX_MS ? min : DEFAULT_MAX_MS;
	if (!min)
		min = max < DEFAULT_MIN_MS ? max : DEFAULT_MIN_MS;
	if (min > max || max > MAX_DELAY_LIMIT_MS)
		return NULL;
	struct rg_jbuf *jb = calloc(1, sizeof *jb);
	if (!jb)
		return NULL;
	jb->rate = cfg->clock_rate;
	jb->min_units = ms_units(jb->rate, min);
	jb->max_units = ms_units(jb->rate, max);
	jb->jump_units = JUMP_FACTOR * jb->max_units;
	jb->small_units = jb->rate / 400;
	jb->pkt_dur = ms_units(jb->rate, 20);
	return jb;
}

void rg_jbuf_free(struct rg_jbuf *jb)
{
	if (jb)
		free(jb->payloads);
	free(jb);
}

/* Throws away what is held and goes back to buffering; counted when there
 * was something to restart. */
static void restart(struct rg_jbuf *jb)
{
	if (jb->started || jb->n)
		jb->st.resets++;
	jb->st.dropped += jb->n;
	for (unsigned i = 0; i < RG_JBUF_SLOTS; i++)
		jb->slots[i].used = false;
	jb->n = 0;
	jb->started = false;
	jb->have_transit = false;
	jb->shrink = false;
}

void rg_jbuf_reset(struct rg_jbuf *jb)
{
	if (jb)
		restart(jb);
}

void rg_jbuf_stats(const struct rg_jbuf *jb, struct rg_jbuf_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof *st);
	if (!jb)
		return;
	*st = jb->st;
	st->delay_ms = units_ms(jb->rate, buffered_units(jb));
	st->target_ms = units_ms(jb->rate, target_units(jb));
	st->jitter_ms = units_ms(jb->rate, (jb->jitter_q4 + 8) / 16);
}

/* ------------------------------------------------------------------ */
/* put */

/* RFC 3550 jitter and the mean transit, from one arrival. */
static void measure(struct rg_jbuf *jb, uint32_t ts, uint64_t now_us)
{
	uint32_t transit = rtp_now(jb, now_us) - ts;
	if (!jb->have_transit) {
		jb->have_transit = true;
		jb->mean = transit;
		jb->mean_frac_q4 = 0;
	} else {
		int32_t d = (int32_t)(transit - jb->transit);
		uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;
		if (ad > jb->max_units) /* one freak packet moves J by max/16 at most */
			ad = jb->max_units;
		jb->jitter_q4 = jb->jitter_q4 - ((jb->jitter_q4 + 8) >> 4) + ad;
		/* mean += (transit - mean) / 16, the fraction kept apart so the
		 * whole part can live on the 32-bit circle */
		int64_t off_q4 = (int64_t)(int32_t)(transit - jb->mean) * 16 - jb->mean_frac_q4;
		int64_t q4 = jb->mean_frac_q4 + off_q4 / 16;
		jb->mean += (uint32_t)(q4 / 16);
		jb->mean_frac_q4 = (int32_t)(q4 % 16);
	}
	jb->transit = transit;
}

enum verdict { FITS, LATE, RESTART };

/* Where a packet stands against what is held (something is). */
static enum verdict classify(struct rg_jbuf *jb, uint16_t seq, uint32_t ts, uint64_t now_us)
{
	int16_t sd = (int16_t)(seq - jb->play_seq);
	if (jb->started && sd < 0 && sd >= -MISORDER)
		return LATE;
	if (sd < -MISORDER)
		return RESTART;
	/* the ts the last packet and the time since predict; since < IDLE_US */
	uint64_t el = since(now_us, jb->last_us) * jb->rate / 1000000u;
	int64_t td = (int32_t)(ts - (jb->last_ts + (uint32_t)el));
	if (td > (int64_t)jb->jump_units || td < -(int64_t)jb->jump_units)
		return RESTART;
	return FITS;
}

static void store(struct rg_jbuf *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
		  size_t len, uint32_t duration, uint8_t level)
{
	struct slot *s = slot_of(jb, seq);
	s->used = true;
	s->marker = marker;
	s->level = level;
	s->seq = seq;
	s->ts = ts;
	s->duration = duration;
	s->len = len;
	if (len)
		memcpy(jb->payloads + (size_t)(s - jb->slots) * jb->stride, payload, len);
	if (jb->n == 0 || (int16_t)(seq - jb->high_seq) > 0)
		jb->high_seq = seq;
	jb->n++;
}

/* Makes room for seq in the window; false when seq itself is the oldest
 * packet and does not fit (it is dropped). */
static bool make_room(struct rg_jbuf *jb, uint16_t seq, uint32_t ts, uint64_t now_us)
{
	if (!jb->started && jb->n == 0) {
		jb->play_seq = seq;
		jb->play_ts = ts;
		jb->first_us = now_us;
		return true;
	}
	if ((int16_t)(seq - jb->play_seq) < 0) { /* buffering: older than all held */
		if ((uint16_t)(jb->high_seq - seq) >= RG_JBUF_SLOTS)
			return false;
		jb->play_seq = seq;
		jb->play_ts = ts;
		return true;
	}
	while ((uint16_t)(seq - jb->play_seq) >= RG_JBUF_SLOTS) {
		if (jb->n == 0) {
			jb->play_seq = seq;
			if (!jb->started)
				jb->play_ts = ts;
			break;
		}
		struct slot *s = held(jb, jb->play_seq);
		if (s)
			drop_front(jb, s);
		else
			skip_missing(jb);
	}
	return true;
}

/* The newest packet must not wait behind more than max_delay of audio. */
static void cap_delay(struct rg_jbuf *jb)
{
	while (jb->n) {
		struct slot *hi = held(jb, jb->high_seq);
		if (!hi)
			return;
		int64_t over = (int64_t)(int32_t)(hi->ts - jb->play_ts) - jb->max_units;
		if (over <= 0)
			return;
		struct slot *s = held(jb, jb->play_seq);
		if (!s) {
			skip_missing(jb);
			continue;
		}
		int32_t gap = (int32_t)(s->ts - jb->play_ts);
		if (gap > 0)
			jb->play_ts += (uint32_t)(gap < over ? gap : over);
		else
			drop_front(jb, s);
	}
}

int rg_jbuf_put(struct rg_jbuf *jb, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload,
		size_t len, uint32_t duration, uint8_t level, uint64_t now_us)
{
	if (!jb || (!payload && len) || duration == 0 || duration > jb->rate)
		return -EINVAL;
	if (len > RG_JBUF_MAX_PAYLOAD)
		return -EMSGSIZE;
	bool active = jb->started || jb->n;
	if (active && since(now_us, jb->last_us) >= IDLE_US) {
		restart(jb);
		active = false;
	}
	if (active) {
		enum verdict v = classify(jb, seq, ts, now_us);
		if (v == LATE) {
			measure(jb, ts, now_us);
			jb->st.late++;
			return -ETIME;
		}
		if (v == RESTART)
			restart(jb);
	}
	struct slot *s = slot_of(jb, seq);
	if (s->used && s->seq == seq) {
		jb->st.duplicate++;
		return -EALREADY;
	}
	if (payloads_fit(jb, len) != 0)
		return -ENOMEM;
	measure(jb, ts, now_us);
	jb->st.received++;
	jb->last_us = now_us;
	jb->last_ts = ts;
	jb->pkt_dur = duration;
	if (!make_room(jb, seq, ts, now_us)) {
		jb->st.dropped++;
		return 0;
	}
	store(jb, seq, ts, marker, payload, len, duration, level);
	cap_delay(jb);
	return 0;
}

/* ------------------------------------------------------------------ */
/* get */

/* Whether the audio at ts is due (see the schedule at the top). */
static bool due(const struct rg_jbuf *jb, uint32_t now_rtp, uint32_t ts)
{
	int32_t waited = (int32_t)(now_rtp - ts - jb->mean);
	return waited >= (int64_t)target_units(jb);
}

static void sample_level(struct rg_jbuf *jb, uint64_t now_us)
{
	uint32_t level = buffered_units(jb);
	if (level < jb->win_min)
		jb->win_min = level;
	if (since(now_us, jb->win_start_us) < WINDOW_US)
		return;
	if (jb->win_min > (uint64_t)target_units(jb) + jb->pkt_dur)
		jb->shrink = true;
	jb->win_start_us = now_us;
	jb->win_min = UINT32_MAX;
}

static enum rg_jbuf_result play(struct rg_jbuf *jb, struct slot *s, struct rg_jbuf_out *out)
{
	out->kind = RG_JBUF_PACKET;
	out->ts = s->ts;
	out->duration = s->duration;
	out->payload = slot_payload(jb, s); /* stays intact until the next put */
	out->len = s->len;
	out->level = s->level;
	out->marker = s->marker;
	release(jb, s);
	jb->play_seq = (uint16_t)(s->seq + 1);
	/* the audio goes out at the playout point even when its timestamp
	 * says earlier (timestamps that step back): the point never does */
	uint32_t start = (int32_t)(s->ts - jb->play_ts) > 0 ? s->ts : jb->play_ts;
	jb->play_ts = start + s->duration;
	jb->st.played++;
	return RG_JBUF_PACKET;
}

/* One chunk of time the sender skipped before packet s (gap units). */
static enum rg_jbuf_result skip_time(struct rg_jbuf *jb, struct slot *s, uint32_t gap,
				     struct rg_jbuf_out *out)
{
	uint32_t chunk = gap < jb->pkt_dur ? gap : jb->pkt_dur;
	out->kind = RG_JBUF_LOST;
	out->ts = jb->play_ts;
	out->duration = chunk;
	if (gap - chunk < jb->small_units) {
		out->next = slot_payload(jb, s);
		out->next_len = s->len;
	}
	jb->play_ts += chunk;
	return RG_JBUF_LOST;
}

/* The packet at play_seq is lost; nx, k seqs on, is the next one held. */
static enum rg_jbuf_result lose(struct rg_jbuf *jb, struct slot *nx, uint16_t k,
				struct rg_jbuf_out *out)
{
	int32_t gap = (int32_t)(nx->ts - jb->play_ts);
	uint32_t floor = jb->small_units < jb->pkt_dur ? jb->small_units : jb->pkt_dur;
	uint32_t per = gap > 0 ? (uint32_t)gap / k : jb->pkt_dur;
	if (per > jb->pkt_dur)
		per = jb->pkt_dur;
	if (per < floor) /* inconsistent timestamps: no slivers of time */
		per = floor;
	out->kind = RG_JBUF_LOST;
	out->ts = jb->play_ts;
	out->duration = per;
	if (k == 1 && (int64_t)gap - per < jb->small_units) {
		out->next = slot_payload(jb, nx);
		out->next_len = nx->len;
	}
	jb->play_seq++;
	jb->play_ts += per;
	jb->st.lost++;
	return RG_JBUF_LOST;
}

enum rg_jbuf_result rg_jbuf_get(struct rg_jbuf *jb, uint64_t now_us, struct rg_jbuf_out *out)
{
	if (!out)
		return RG_JBUF_EMPTY;
	memset(out, 0, sizeof *out);
	if (!jb)
		return RG_JBUF_EMPTY;
	if (!jb->started) {
		uint64_t target_us = (uint64_t)target_units(jb) * 1000000u / jb->rate;
		if (jb->n == 0 || since(now_us, jb->first_us) < target_us)
			return RG_JBUF_EMPTY;
		jb->started = true;
		jb->win_start_us = now_us;
		jb->win_min = UINT32_MAX;
		jb->shrink = false;
	} else if (jb->n == 0 && since(now_us, jb->last_us) >= IDLE_US) {
		restart(jb);
		return RG_JBUF_EMPTY;
	}
	sample_level(jb, now_us);
	uint32_t now_rtp = rtp_now(jb, now_us);
	for (;;) {
		struct slot *s = held(jb, jb->play_seq);
		if (s) {
			int32_t gap = (int32_t)(s->ts - jb->play_ts);
			if (gap >= (int32_t)jb->small_units && !due(jb, now_rtp, s->ts))
				return skip_time(jb, s, (uint32_t)gap, out);
			if (jb->shrink && jb->n > 1) {
				jb->shrink = false;
				drop_front(jb, s);
				continue;
			}
			return play(jb, s, out);
		}
		uint16_t k;
		struct slot *nx = next_held(jb, &k);
		if (nx && due(jb, now_rtp, jb->play_ts))
			return lose(jb, nx, k, out);
		jb->st.waits++;
		out->kind = RG_JBUF_WAIT;
		out->ts = jb->play_ts;
		return RG_JBUF_WAIT;
	}
}
