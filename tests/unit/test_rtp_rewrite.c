/* rtp rewriter: a player's output keeps one SSRC and continuous seq/ts
 * across publisher restarts (new SSRC, random initial seq/ts), preserves
 * reordering and wrap-around inside a source, and drops duplicates, too-old
 * packets and late packets of the previous publisher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rtp/rtp.h"

#define OUT_SSRC 0x5eed5eedu
#define FRAME 960

struct out {
	int r;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	bool marker;
};

/* Sends one 12-byte-header packet with a 3-byte payload through rw. */
static struct out send_pkt(struct rtp_rewriter *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, uint64_t now)
{
	uint8_t p[15] = { 0x80, 111 };
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24), p[5] = (uint8_t)(ts >> 16), p[6] = (uint8_t)(ts >> 8), p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	p[12] = 0xaa, p[13] = 0xbb, p[14] = 0xcc;
	uint8_t before[15];
	memcpy(before, p, sizeof p);
	struct out o;
	o.r = rtp_rewriter_apply(rw, p, sizeof p, now);
	struct rtp_header h;
	assert_int_equal(rtp_header_decode(&h, p, sizeof p), 0);
	assert_int_equal(h.pt, 111);
	assert_memory_equal(p + 12, before + 12, 3); /* payload never touched */
	if (o.r < 0)
		assert_memory_equal(p, before, sizeof p); /* drops leave it as is */
	o.seq = h.seq;
	o.ts = h.ts;
	o.ssrc = h.ssrc;
	o.marker = h.marker;
	return o;
}

static void test_first_packet_and_continuity(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 1000, 50000);
	for (uint32_t i = 0; i < 10; i++) {
		struct out o = send_pkt(&rw, 0xa, (uint16_t)(40000 + i), 7777 + FRAME * i, 1000000 + FRAME * i);
		assert_int_equal(o.r, i == 0 ? RTP_REWRITE_SWITCHED : RTP_REWRITE_FORWARD);
		assert_int_equal(o.marker, i == 0);
		assert_int_equal(o.ssrc, OUT_SSRC);
		assert_int_equal(o.seq, 1000 + i);
		assert_int_equal(o.ts, 50000 + FRAME * i);
	}
	assert_int_equal(rw.forwarded, 10);
	assert_int_equal(rw.switches, 1);
}

/* Minimal deterministic PRNG so failures reproduce. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Three publishers in a row, random SSRC/seq/ts each, random pauses
 * between them: the output seq never skips or repeats, the ts gap at a
 * switch is the pause (at least one frame), and within a source the ts
 * spacing is the source's. */
static void test_publisher_restarts(void **state)
{
	(void)state;
	for (uint32_t seed = 1; seed <= 200; seed++) {
		uint32_t x = seed * 2654435761u;
		struct rtp_rewriter rw;
		uint16_t out_seq = (uint16_t)rnd(&x);
		uint32_t out_ts = rnd(&x);
		rtp_rewriter_init(&rw, OUT_SSRC, out_seq, out_ts);
		uint64_t now = rnd(&x);
		for (int pub = 0; pub < 3; pub++) {
			uint32_t ssrc = rnd(&x) | 1;
			uint16_t seq = (uint16_t)rnd(&x);
			uint32_t ts = rnd(&x);
			uint32_t pause = pub == 0 ? 0 : rnd(&x) % 100000; /* 0..2 s */
			now += pause;
			for (int i = 0; i < 30; i++) {
				struct out o = send_pkt(&rw, ssrc, seq, ts, now);
				assert_int_equal(o.r, i == 0 ? RTP_REWRITE_SWITCHED : RTP_REWRITE_FORWARD);
				/* out_ts is the last ts + FRAME and the last arrival was
				 * FRAME + pause ago, so a switch adds just the pause */
				uint32_t want_ts = i == 0 ? out_ts + pause : out_ts;
				if (o.seq != out_seq || o.ts != want_ts)
					print_error("seed %u pub %d pkt %d: seq %u/%u ts %u/%u\n", seed, pub, i,
						    o.seq, out_seq, o.ts, want_ts);
				assert_int_equal(o.seq, out_seq);
				assert_int_equal(o.ts, want_ts);
				assert_int_equal(o.ssrc, OUT_SSRC);
				out_seq++;
				out_ts = want_ts + FRAME;
				seq++;
				ts += FRAME;
				now += FRAME;
			}
		}
		assert_int_equal(rw.switches, 3);
		assert_int_equal(rw.forwarded, 90);
	}
}

static void test_restart_gap_rules(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	struct out o = send_pkt(&rw, 1, 500, 9000, 48000);
	assert_int_equal(o.ts, 0);
	/* B arrives 5 ms after A's packet: at least one frame */
	o = send_pkt(&rw, 2, 7, 123, 48000 + 240);
	assert_int_equal(o.r, RTP_REWRITE_SWITCHED);
	assert_int_equal(o.seq, 1);
	assert_int_equal(o.ts, FRAME);
	/* C arrives 10 s later: 480000 units */
	o = send_pkt(&rw, 3, 60000, 0xfffffff0u, 48000 + 240 + 480000);
	assert_int_equal(o.seq, 2);
	assert_int_equal(o.ts, FRAME + 480000);
	/* the clock going backwards (caller bug) still gives one frame */
	o = send_pkt(&rw, 4, 1, 1, 10);
	assert_int_equal(o.seq, 3);
	assert_int_equal(o.ts, FRAME + 480000 + FRAME);

	/* G.711 at 8 kHz: 20 ms is 160 units */
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	rtp_rewriter_set_timing(&rw, 160, 8000);
	send_pkt(&rw, 1, 0, 0, 8000);
	o = send_pkt(&rw, 2, 0, 0, 8010);
	assert_int_equal(o.ts, 160);
}

static void test_reordering_within_source(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 100, 1000);
	static const int order[] = { 0, 1, 3, 2, 4, 7, 5, 6, 8 };
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		int i = order[k];
		struct out o = send_pkt(&rw, 0xabc, (uint16_t)(3000 + i), 555 + FRAME * (uint32_t)i, 10 * k);
		assert_true(o.r >= 0);
		assert_int_equal(o.seq, 100 + i);
		assert_int_equal(o.ts, 1000 + FRAME * (uint32_t)i);
	}
	/* a new source continues after the highest seq (108), not the last sent */
	struct out o = send_pkt(&rw, 0xdef, 1, 1, 100);
	assert_int_equal(o.seq, 109);
	assert_int_equal(o.ts, 1000 + FRAME * 8 + FRAME);
	assert_int_equal(rw.duplicates + rw.too_old, 0);
}

static void test_seq_and_ts_wrap(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	/* the source wraps seq and ts, the output wraps at other points */
	rtp_rewriter_init(&rw, OUT_SSRC, 65530, 0xfffff000u);
	for (uint32_t i = 0; i < 20; i++) {
		uint16_t seq = (uint16_t)(65525 + i);
		uint32_t ts = 0xffffe000u + FRAME * i;
		struct out o = send_pkt(&rw, 9, seq, ts, i);
		assert_int_equal(o.r, i == 0 ? RTP_REWRITE_SWITCHED : RTP_REWRITE_FORWARD);
		assert_int_equal(o.seq, (uint16_t)(65530 + i));
		assert_int_equal(o.ts, (uint32_t)(0xfffff000u + FRAME * i));
	}
	/* reordering across the source's wrap point */
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	assert_int_equal(send_pkt(&rw, 9, 65534, 0, 0).seq, 0);
	assert_int_equal(send_pkt(&rw, 9, 0, 2 * FRAME, 1).seq, 2);
	struct out o = send_pkt(&rw, 9, 65535, FRAME, 2);
	assert_int_equal(o.r, RTP_REWRITE_FORWARD);
	assert_int_equal(o.seq, 1);
	assert_int_equal(o.ts, FRAME);
	assert_int_equal(send_pkt(&rw, 9, 65535, FRAME, 3).r, RTP_REWRITE_DUPLICATE);
}

static void test_duplicates_and_too_old(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	for (uint16_t s = 10; s <= 12; s++)
		assert_true(send_pkt(&rw, 5, s, s * FRAME, s).r >= 0);
	assert_int_equal(send_pkt(&rw, 5, 12, 12 * FRAME, 20).r, RTP_REWRITE_DUPLICATE);
	assert_int_equal(send_pkt(&rw, 5, 11, 11 * FRAME, 21).r, RTP_REWRITE_DUPLICATE);
	assert_int_equal(send_pkt(&rw, 5, 14, 14 * FRAME, 22).r, RTP_REWRITE_FORWARD);
	assert_int_equal(send_pkt(&rw, 5, 13, 13 * FRAME, 23).r, RTP_REWRITE_FORWARD);
	assert_int_equal(send_pkt(&rw, 5, 13, 13 * FRAME, 24).r, RTP_REWRITE_DUPLICATE);
	/* older than the start of this source's mapping (seq 10) */
	assert_int_equal(send_pkt(&rw, 5, 9, 9 * FRAME, 25).r, RTP_REWRITE_TOO_OLD);
	/* jump to 100: 20 is 80 back, outside the 64-packet window */
	assert_int_equal(send_pkt(&rw, 5, 100, 100 * FRAME, 26).r, RTP_REWRITE_FORWARD);
	assert_int_equal(send_pkt(&rw, 5, 20, 20 * FRAME, 27).r, RTP_REWRITE_TOO_OLD);
	assert_int_equal(send_pkt(&rw, 5, 37, 37 * FRAME, 27).r, RTP_REWRITE_FORWARD); /* 63 back */
	assert_int_equal(send_pkt(&rw, 5, 36, 36 * FRAME, 27).r, RTP_REWRITE_TOO_OLD); /* 64 back */
	assert_int_equal(rw.duplicates, 3);
	assert_int_equal(rw.too_old, 3);
	assert_int_equal(rw.forwarded, 7);
}

static void test_stale_previous_publisher(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	send_pkt(&rw, 0xa, 10, 0, 0);
	send_pkt(&rw, 0xa, 11, FRAME, FRAME);
	struct out o = send_pkt(&rw, 0xb, 500, 0, 2 * FRAME);
	assert_int_equal(o.r, RTP_REWRITE_SWITCHED);
	assert_int_equal(o.seq, 2);
	/* B's own earlier packet would collide with A's output: too old */
	assert_int_equal(send_pkt(&rw, 0xb, 499, 0, 2 * FRAME + 1).r, RTP_REWRITE_TOO_OLD);
	/* a late packet of A inside the 1 s stale window is dropped... */
	assert_int_equal(send_pkt(&rw, 0xa, 12, 2 * FRAME, 3 * FRAME).r, RTP_REWRITE_TOO_OLD);
	assert_int_equal(send_pkt(&rw, 0xb, 501, FRAME, 3 * FRAME).seq, 3);
	/* ...but A coming back for real later is a new mapping */
	o = send_pkt(&rw, 0xa, 40, 0, 2 * FRAME + 48000);
	assert_int_equal(o.r, RTP_REWRITE_SWITCHED);
	assert_int_equal(o.seq, 4);
	assert_int_equal(o.ts, 3 * FRAME + (48000 - FRAME)); /* B's last ts + time since */
	assert_int_equal(rw.switches, 3);
}

static void test_same_ssrc_seq_jump(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	for (uint16_t s = 0; s < 5; s++)
		send_pkt(&rw, 7, (uint16_t)(1000 + s), s * FRAME, s * FRAME);
	/* a lone packet far ahead is held on probation (and dropped) */
	assert_int_equal(send_pkt(&rw, 7, 30000, 0, 5 * FRAME).r, RTP_REWRITE_PROBATION);
	assert_int_equal(send_pkt(&rw, 7, 1005, 5 * FRAME, 5 * FRAME).seq, 5); /* normal flow goes on */
	/* the same SSRC restarting: two packets in sequence confirm it */
	assert_int_equal(send_pkt(&rw, 7, 50000, 77, 6 * FRAME).r, RTP_REWRITE_PROBATION);
	struct out o = send_pkt(&rw, 7, 50001, 77 + FRAME, 7 * FRAME);
	assert_int_equal(o.r, RTP_REWRITE_SWITCHED);
	assert_true(o.marker);
	assert_int_equal(o.seq, 6);
	assert_int_equal(o.ts, 5 * FRAME + 2 * FRAME);
	assert_int_equal(send_pkt(&rw, 7, 50002, 77 + 2 * FRAME, 8 * FRAME).seq, 7);
	/* a far step back is also a jump, not a late packet */
	assert_int_equal(send_pkt(&rw, 7, 40000, 0, 9 * FRAME).r, RTP_REWRITE_PROBATION);
	assert_int_equal(rw.probation, 3);
}

/* PT 72 with M set would read as RTCP 200 (RFC 5761): no marker there. */
static void test_no_marker_in_rtcp_range(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	uint8_t p[12] = { 0x80, 72, 0, 1 };
	assert_int_equal(rtp_rewriter_apply(&rw, p, sizeof p, 0), RTP_REWRITE_SWITCHED);
	assert_int_equal(p[1], 72);
	assert_int_equal(rtp_demux(p, sizeof p), RTP_DEMUX_RTP);
	p[1] = 96; /* a new source with a dynamic PT outside the range gets M */
	p[11] = 9;
	assert_int_equal(rtp_rewriter_apply(&rw, p, sizeof p, 1), RTP_REWRITE_SWITCHED);
	assert_int_equal(p[1], 0x80 | 96);
}

static void test_malformed_not_rewritten(void **state)
{
	(void)state;
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, OUT_SSRC, 0, 0);
	uint8_t p[16] = { 0x80 };
	assert_int_equal(rtp_rewriter_apply(&rw, p, 11, 0), -EINVAL);
	p[0] = 0x40;
	assert_int_equal(rtp_rewriter_apply(&rw, p, 16, 0), -EINVAL);
	p[0] = 0xa0; /* padding count 0 */
	assert_int_equal(rtp_rewriter_apply(&rw, p, 16, 0), -EBADMSG);
	assert_int_equal(p[8], 0);
	assert_int_equal(rw.forwarded, 0);
	assert_false(rw.started);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_packet_and_continuity),
		cmocka_unit_test(test_publisher_restarts),
		cmocka_unit_test(test_restart_gap_rules),
		cmocka_unit_test(test_reordering_within_source),
		cmocka_unit_test(test_seq_and_ts_wrap),
		cmocka_unit_test(test_duplicates_and_too_old),
		cmocka_unit_test(test_stale_previous_publisher),
		cmocka_unit_test(test_same_ssrc_seq_jump),
		cmocka_unit_test(test_no_marker_in_rtcp_range),
		cmocka_unit_test(test_malformed_not_rewritten),
	};
	return cmocka_run_group_tests_name("rtp_rewrite", tests, NULL, NULL);
}
