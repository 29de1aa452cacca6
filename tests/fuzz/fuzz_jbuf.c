/* libFuzzer target for the receive path of a mixed input: RTP packets
 * through rtp_header_decode into the jitter buffer, and the mixer's 20 ms
 * tick taking audio out of it and decoding it with libopus.
 *
 * Input: records [arrival delta: 1 byte, ms][length: 2 bytes, big-endian]
 * [packet: length bytes, cut short by the end of the input]. A packet that
 * decodes as RTP and whose payload has an Opus duration
 * (opus_packet_get_nb_samples at 48 kHz) goes to rg_jbuf_put, with its
 * RFC 6464 level when extension id 1 carries one. Every 20 ms of the
 * simulated clock, the tick calls rg_jbuf_get until it holds 20 ms of
 * audio: PACKET is decoded, LOST is decoded with FEC from 'next' when there
 * is one (PLC otherwise), WAIT is concealed with PLC for the rest of the
 * tick (like a mixer, it stops concealing after 100 ms in a row, which also
 * bounds the work per input). After the input, ticks run 1.5 s more.
 *
 * The input goes through two buffers: the defaults (20..200 ms), and
 * 40..80 ms where the max-delay cap and the restarts bite sooner. Checks:
 * put returns only its documented codes; the counters match the results
 * seen; a PACKET's duration is its payload's Opus duration (the slot kept
 * payload and duration together); results have a duration and views within
 * RG_JBUF_MAX_PAYLOAD; the target stays within its bounds and, after a put,
 * what is held stays within max_delay plus the newest packet (<= 120 ms);
 * after rg_jbuf_reset every accepted packet was played or dropped. */
#include <errno.h>
#include <opus.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/jbuf.h"
#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define RATE 48000
#define TICK_US 20000u
#define TICK_SAMPLES 960
#define MAX_SAMPLES 5760          /* 120 ms, the longest Opus packet */
#define CONCEAL_MAX_SAMPLES 4800  /* 100 ms of concealment in a row */
#define LEVEL_EXT_ID 1

struct run {
	struct rg_jbuf *jb;
	OpusDecoder *dec;
	unsigned min_ms, max_ms;
	uint64_t now, next_tick;
	int32_t carry;            /* samples held beyond the ticks */
	unsigned concealed;       /* samples concealed in a row */
	uint64_t ok, late, dup, packets, losts, waits;
};

static int16_t pcm[MAX_SAMPLES];

/* Samples for 'units' of concealment: whole 2.5 ms frames, 2.5..120 ms. */
static int conceal_frames(uint32_t units)
{
	uint32_t n = units / 120 * 120;
	if (n < 120)
		n = 120;
	return n > MAX_SAMPLES ? MAX_SAMPLES : (int)n;
}

static void conceal(struct run *r, const uint8_t *next, size_t next_len, int frames)
{
	if (r->concealed >= CONCEAL_MAX_SAMPLES)
		return; /* silence from here on */
	r->concealed += (unsigned)frames;
	int n = -1;
	if (next)
		n = opus_decode(r->dec, next, (opus_int32)next_len, pcm, frames, 1);
	if (n < 0)
		n = opus_decode(r->dec, NULL, 0, pcm, frames, 0);
	CHECK(n < 0 || n <= frames);
}

static void check_stats(struct run *r)
{
	struct rg_jbuf_stats st;
	rg_jbuf_stats(r->jb, &st);
	CHECK(st.received == r->ok && st.late == r->late && st.duplicate == r->dup);
	CHECK(st.played == r->packets && st.waits == r->waits && st.lost <= r->losts);
	CHECK(st.played + st.dropped <= st.received);
	CHECK(st.target_ms >= r->min_ms && st.target_ms <= r->max_ms);
}

static void tick(struct run *r, uint64_t now)
{
	unsigned guard = 0;
	while (r->carry < TICK_SAMPLES) {
		CHECK(guard++ < 64); /* every result lasts 2.5 ms at least */
		struct rg_jbuf_out o;
		enum rg_jbuf_result k = rg_jbuf_get(r->jb, now, &o);
		CHECK(k == o.kind);
		if (k == RG_JBUF_PACKET) {
			r->packets++;
			CHECK(o.duration > 0 && o.len > 0 && o.len <= RG_JBUF_MAX_PAYLOAD && o.payload);
			CHECK(o.level <= 127 || o.level == RG_JBUF_LEVEL_UNKNOWN);
			CHECK(!o.next);
			int ns = opus_packet_get_nb_samples(o.payload, (opus_int32)o.len, RATE);
			CHECK(ns > 0 && (uint32_t)ns == o.duration);
			int n = opus_decode(r->dec, o.payload, (opus_int32)o.len, pcm, MAX_SAMPLES, 0);
			CHECK(n < 0 || n == ns);
			r->concealed = 0;
			r->carry += (int32_t)o.duration;
		} else if (k == RG_JBUF_LOST) {
			r->losts++;
			CHECK(o.duration > 0 && !o.payload);
			CHECK(!o.next || (o.next_len > 0 && o.next_len <= RG_JBUF_MAX_PAYLOAD));
			conceal(r, o.next, o.next_len, conceal_frames(o.duration));
			r->carry += (int32_t)o.duration;
		} else {
			CHECK(o.duration == 0 && !o.payload && !o.next);
			if (k == RG_JBUF_WAIT) {
				r->waits++;
				conceal(r, NULL, 0, conceal_frames((uint32_t)(TICK_SAMPLES - r->carry + 119)));
			}
			r->carry = TICK_SAMPLES;
		}
	}
	r->carry -= TICK_SAMPLES;
	check_stats(r);
}

static void run_ticks(struct run *r, uint64_t until)
{
	while (r->next_tick <= until) {
		tick(r, r->next_tick);
		r->next_tick += TICK_US;
	}
}

static void put(struct run *r, const uint8_t *pkt, size_t len)
{
	struct rtp_header h;
	if (rtp_header_decode(&h, pkt, len) != 0)
		return;
	int ns = opus_packet_get_nb_samples(h.payload, (opus_int32)h.payload_len, RATE);
	if (ns <= 0)
		return;
	uint8_t level = RG_JBUF_LEVEL_UNKNOWN;
	bool vad;
	if (rtp_audio_level_get(&h, LEVEL_EXT_ID, &level, &vad) != 0)
		level = RG_JBUF_LEVEL_UNKNOWN;
	int rc = rg_jbuf_put(r->jb, h.seq, h.ts, h.marker, h.payload, h.payload_len, (uint32_t)ns, level,
			     r->now);
	switch (rc) {
	case 0: r->ok++; break;
	case -ETIME: r->late++; break;
	case -EALREADY: r->dup++; break;
	case -EMSGSIZE: CHECK(h.payload_len > RG_JBUF_MAX_PAYLOAD); return;
	default: CHECK(0);
	}
	CHECK(h.payload_len <= RG_JBUF_MAX_PAYLOAD);
	struct rg_jbuf_stats st;
	rg_jbuf_stats(r->jb, &st);
	CHECK(st.delay_ms <= r->max_ms + MAX_SAMPLES / 48 + 1);
	check_stats(r);
}

static void run_input(const uint8_t *data, size_t size, OpusDecoder *dec, unsigned min_ms, unsigned max_ms)
{
	struct rg_jbuf_config cfg = { .clock_rate = RATE, .min_delay_ms = min_ms, .max_delay_ms = max_ms };
	struct run r = { .dec = dec, .min_ms = min_ms ? min_ms : 20, .max_ms = max_ms ? max_ms : 200 };
	r.jb = rg_jbuf_new(&cfg);
	CHECK(r.jb);
	CHECK(opus_decoder_ctl(dec, OPUS_RESET_STATE) == OPUS_OK);
	r.now = 1000000;
	r.next_tick = r.now + 10000;
	size_t off = 0;
	while (size - off >= 3) {
		r.now += (uint64_t)data[off] * 1000u;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		run_ticks(&r, r.now);
		put(&r, data + off, len);
		off += len;
	}
	run_ticks(&r, r.now + 1500000);
	struct rg_jbuf_stats st;
	rg_jbuf_reset(r.jb);
	rg_jbuf_stats(r.jb, &st);
	CHECK(st.received == st.played + st.dropped && st.delay_ms == 0);
	struct rg_jbuf_out o;
	CHECK(rg_jbuf_get(r.jb, r.now + 1600000, &o) == RG_JBUF_EMPTY);
	rg_jbuf_free(r.jb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static OpusDecoder *dec;
	if (!dec) {
		int err;
		dec = opus_decoder_create(RATE, 1, &err);
		CHECK(dec && err == OPUS_OK);
	}
	run_input(data, size, dec, 0, 0);
	run_input(data, size, dec, 40, 80);
	return 0;
}
