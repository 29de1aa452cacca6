/* rtp stats: RFC 3550 A.1/A.3/A.8 arithmetic checked against values worked
 * out by hand (in the comments), NTP conversions, RTT from LSR/DLSR (the
 * RFC 3550 6.4.1 example), sender info for SRs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rtp/rtp.h"

#define FRAME 960
#define NTP_1970 0x83aa7e80ull /* 2208988800 s */

static void test_constant_spacing_no_jitter(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	struct rtcp_report_block rb;
	rtp_rx_stats_init(&s, 0x1234);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), -ENODATA);
	assert_int_equal(rb.ssrc, 0x1234);
	assert_int_equal(rb.ext_highest_seq, 0);
	/* 20 ms spacing both in RTP time and on arrival: transit constant */
	for (uint32_t i = 0; i < 50; i++)
		assert_int_equal(rtp_rx_stats_update(&s, (uint16_t)(7 + i), 1000 + FRAME * i, 5000000 + FRAME * i), 0);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.ssrc, 0x1234);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 0);
	assert_int_equal(rb.ext_highest_seq, 56);
	assert_int_equal(rb.jitter, 0);
	assert_int_equal(rb.lsr, 0);
	assert_int_equal(rb.dlsr, 0);
}

static void feed(struct rtp_rx_stats *s, uint16_t seq)
{
	assert_int_equal(rtp_rx_stats_update(s, seq, FRAME * seq, FRAME * seq), 0);
}

static void test_losses_exact(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	struct rtcp_report_block rb;
	rtp_rx_stats_init(&s, 1);
	/* interval 1: 0..9 without 3 and 7: expected 10, received 8, lost 2,
	 * fraction = 2 * 256 / 10 = 51.2 -> 51 */
	for (uint16_t q = 0; q < 10; q++)
		if (q != 3 && q != 7)
			feed(&s, q);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.ext_highest_seq, 9);
	assert_int_equal(rb.cumulative_lost, 2);
	assert_int_equal(rb.fraction_lost, 51);
	/* interval 2: 10..19 complete: fraction 0, cumulative stays 2 */
	for (uint16_t q = 10; q < 20; q++)
		feed(&s, q);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 2);
	/* interval 3: 22..29, with 25 twice and 24 late after 26: expected 10,
	 * received 9 (A.1 counts the duplicate), lost 1 -> 25.6 -> 25;
	 * cumulative = 30 expected - 27 received = 3 */
	static const uint16_t q3[] = { 22, 23, 25, 25, 26, 24, 27, 28, 29 };
	for (size_t i = 0; i < sizeof q3 / sizeof q3[0]; i++)
		feed(&s, q3[i]);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.ext_highest_seq, 29);
	assert_int_equal(rb.fraction_lost, 25);
	assert_int_equal(rb.cumulative_lost, 3);
	assert_int_equal(rtp_rx_stats_lost(&s), 3);
	/* interval 4: nothing arrived: no expected packets, fraction 0 */
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.fraction_lost, 0);
	assert_int_equal(rb.cumulative_lost, 3);
	/* interval 5: only 39 arrives: 10 expected, 1 received -> 9*256/10 = 230 */
	feed(&s, 39);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.fraction_lost, 230);
	assert_int_equal(rb.cumulative_lost, 12);
}

static void test_seq_wrap_counts_cycles(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	struct rtcp_report_block rb;
	rtp_rx_stats_init(&s, 1);
	/* 65530..65535, 0..5: 12 packets, one wrap */
	for (uint32_t i = 0; i < 12; i++)
		feed(&s, (uint16_t)(65530 + i));
	assert_int_equal(rtp_rx_stats_ext_max(&s), 65536 + 5);
	/* a late packet from before the wrap does not add a cycle */
	feed(&s, 65534);
	assert_int_equal(rtp_rx_stats_ext_max(&s), 65541);
	/* losing 65535 and 0 on the second wrap still counts the cycle */
	for (uint32_t q = 6; q < 65535; q += 100)
		feed(&s, (uint16_t)q);
	feed(&s, 65534);
	feed(&s, 1);
	assert_int_equal(rtp_rx_stats_ext_max(&s), 2 * 65536 + 1);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.ext_highest_seq, 131073);
	/* expected 131073 - 65530 + 1 = 65544; received 12 + 1 (the late one)
	 * + 656 (6, 106, ..., 65506) + 2 = 671 */
	assert_int_equal(rb.cumulative_lost, 65544 - 671);
}

static void test_jitter_hand_computed(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	rtp_rx_stats_init(&s, 1);
	/* transit offsets 0, +160, 0, +320 (RTP units). A.8 integer form,
	 * J16 += |D| - ((J16 + 8) >> 4):
	 *   p2: |D| 160: J16 = 160             -> jitter 10   (float 10.0)
	 *   p3: |D| 160: J16 = 160+160-10 = 310 -> 19         (float 19.375)
	 *   p4: |D| 320: J16 = 310+320-19 = 611 -> 38         (float 38.16) */
	static const uint32_t extra[] = { 0, 160, 0, 320 };
	static const uint32_t want[] = { 0, 10, 19, 38 };
	uint32_t base = 0xfffffa00u; /* arrival low 32 bits wrap on the way */
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(rtp_rx_stats_update(&s, (uint16_t)i, 0x10000000u + FRAME * i,
						     base + FRAME * i + extra[i]), 0);
		assert_int_equal(rtp_rx_stats_jitter(&s), want[i]);
	}
	/* a late duplicate with a wild transit does not move jitter */
	assert_int_equal(rtp_rx_stats_update(&s, 1, 0, 123456789), 0);
	assert_int_equal(rtp_rx_stats_jitter(&s), 38);
	/* arrivals are 64-bit, only the low 32 bits matter */
	struct rtp_rx_stats t;
	rtp_rx_stats_init(&t, 1);
	for (uint32_t i = 0; i < 10; i++)
		rtp_rx_stats_update(&t, (uint16_t)i, FRAME * i, 0xfffffff0ull + FRAME * i);
	assert_int_equal(rtp_rx_stats_jitter(&t), 0);
}

static void test_jump_probation_and_restart(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	rtp_rx_stats_init(&s, 1);
	for (uint16_t q = 100; q < 105; q++)
		feed(&s, q);
	/* a lone jump is not counted, the flow goes on */
	assert_int_equal(rtp_rx_stats_update(&s, 20000, 0, 0), -EAGAIN);
	feed(&s, 105);
	assert_int_equal(rtp_rx_stats_ext_max(&s), 105);
	assert_int_equal(rtp_rx_stats_lost(&s), 0);
	/* two in a row: the counts restart at the new place */
	assert_int_equal(rtp_rx_stats_update(&s, 30000, 0, 0), -EAGAIN);
	feed(&s, 30001);
	assert_int_equal(rtp_rx_stats_ext_max(&s), 30001);
	assert_int_equal(rtp_rx_stats_lost(&s), 0);
	feed(&s, 30003);
	assert_int_equal(rtp_rx_stats_lost(&s), 1);
}

static void test_cumulative_lost_clamps(void **state)
{
	(void)state;
	struct rtp_rx_stats s;
	struct rtcp_report_block rb;
	rtp_rx_stats_init(&s, 1);
	/* 3000 steps of 2999: 2998 lost each, 8994000 > 0x7fffff */
	uint16_t q = 0;
	feed(&s, q);
	for (int i = 0; i < 3000; i++)
		feed(&s, q = (uint16_t)(q + 2999));
	assert_int_equal(rtp_rx_stats_lost(&s), 8994000);
	assert_int_equal(rtp_rx_stats_ext_max(&s), 8997000);
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.cumulative_lost, 0x7fffff);
	assert_int_equal(rb.ext_highest_seq, 8997000);

	/* duplicates drive it negative (A.1 counts them): clamps at -2^23 */
	rtp_rx_stats_init(&s, 1);
	for (int i = 0; i < 0x800000 + 10; i++)
		rtp_rx_stats_update(&s, 5, 0, 0);
	assert_int_equal(rtp_rx_stats_lost(&s), -(0x800000 + 9));
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 0), 0);
	assert_int_equal(rb.cumulative_lost, -0x800000);
	assert_int_equal(rb.fraction_lost, 0);
}

static void test_ntp_helpers(void **state)
{
	(void)state;
	assert_true(rtp_ntp_from_us(0) == NTP_1970 << 32);
	assert_true(rtp_ntp_from_us(1500000) == ((NTP_1970 + 1) << 32 | 0x80000000u));
	assert_true(rtp_ntp_to_us(NTP_1970 << 32 | 0x40000000u) == 250000);
	assert_true(rtp_ntp_to_us(0x80000000ull << 32) == 0); /* 1968: before 1970 */
	assert_true(rtp_ntp_to_us(1ull << 32) == (4294967296ull + 1 - 2208988800ull) * 1000000); /* era 1 */
	/* round trips to the microsecond, including across the 2036 era wrap
	 * (2036-02-07T06:28:16Z = unix 2085978496) */
	static const uint64_t t[] = { 1, 999999, 1700000000123456ull, 2085978495999999ull,
				      2085978496000000ull, 2085978496000001ull, 4000000000000000ull };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_true(rtp_ntp_to_us(rtp_ntp_from_us(t[i])) == t[i]);
	assert_true(rtp_ntp_from_us(2085978496000000ull) >> 32 == 0);
	assert_int_equal(rtp_ntp_compact(0x1122334455667788ull), 0x33445566);
}

/* RFC 3550 6.4.1 example: LSR 0xb705:2000 (46853.125 s), DLSR 0x0005:4000
 * (5.25 s), report arrives at A = 0xb710:8000 (46864.500 s): RTT 6.125 s. */
static void test_rtt_rfc_example(void **state)
{
	(void)state;
	struct rtcp_report_block rb = { .lsr = 0xb7052000, .dlsr = 0x00054000 };
	uint64_t a = 0xb7108000ull << 16;
	assert_int_equal(rtp_rtt_ms(&rb, a), 6125);
	/* the 16.16 seconds wrap between LSR and A does not matter */
	rb.lsr = 0xffff0000;
	rb.dlsr = 0;
	assert_int_equal(rtp_rtt_ms(&rb, 0x00008000ull << 16), 1500);
	rb.lsr = 0;
	assert_int_equal(rtp_rtt_ms(&rb, a), -ENODATA);
	/* a report "from the future": off by rounding -> 0, else an error */
	rb.lsr = 0xb7108000;
	rb.dlsr = 10;
	assert_int_equal(rtp_rtt_ms(&rb, a), 0);
	rb.dlsr = 0x00010000;
	assert_int_equal(rtp_rtt_ms(&rb, a), -ERANGE);
}

/* Both ends: the receiver's stats make the block, the sender computes RTT. */
static void test_lsr_dlsr_to_rtt(void **state)
{
	(void)state;
	const uint64_t sr_wall = 1700000000000000ull; /* sender's clock at SR */
	struct rtp_rx_stats s;
	struct rtcp_report_block rb;
	rtp_rx_stats_init(&s, 9);
	feed(&s, 1);
	/* the SR reaches the receiver (whose clock differs) at 50 ms one way */
	rtp_rx_stats_sr_received(&s, rtp_ntp_from_us(sr_wall), 777000000);
	/* the receiver holds it 5.25 s: DLSR = 5.25 * 65536 = 0x54000 */
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 777000000 + 5250000), 0);
	assert_int_equal(rb.dlsr, 0x54000);
	assert_int_equal(rb.lsr, rtp_ntp_compact(rtp_ntp_from_us(sr_wall)));
	/* the block arrives back 50 ms later */
	uint64_t a = rtp_ntp_from_us(sr_wall + 50000 + 5250000 + 50000);
	assert_int_equal(rtp_rtt_ms(&rb, a), 100);
	/* a clock reading before the SR's arrival gives DLSR 0 */
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 1), 0);
	assert_int_equal(rb.dlsr, 0);

	/* the block survives RR encode/parse */
	assert_int_equal(rtp_rx_stats_report_block(&s, &rb, 777000000 + 1000000), 0);
	uint8_t buf[64];
	int n = rtcp_rr_build(buf, sizeof buf, 42, &rb, 1);
	assert_int_equal(n, 32);
	struct rtcp_iter it;
	struct rtcp_packet p;
	struct rtcp_report_block back;
	rtcp_iter_init(&it, buf, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(rtcp_report_block_get(&p, 0, &back), 0);
	assert_int_equal(back.ssrc, 9);
	assert_int_equal(back.dlsr, 65536);
	assert_int_equal(back.lsr, rb.lsr);
	assert_int_equal(back.ext_highest_seq, 1);
}

static void test_tx_stats_sr(void **state)
{
	(void)state;
	struct rtp_tx_stats t;
	struct rtcp_sr_info sr;
	rtp_tx_stats_init(&t, 5);
	rtp_tx_stats_sr(&t, &sr, 0, 0, 48000);
	assert_int_equal(sr.packet_count, 0);
	assert_int_equal(sr.rtp_ts, 0);
	rtp_tx_stats_update(&t, 1000, 100, 1000000);
	rtp_tx_stats_update(&t, 1000 + FRAME, 50, 1020000);
	/* 10 ms after the last packet at 48 kHz: +480 */
	rtp_tx_stats_sr(&t, &sr, 1700000000000000ull, 1030000, 48000);
	assert_int_equal(sr.ssrc, 5);
	assert_int_equal(sr.packet_count, 2);
	assert_int_equal(sr.octet_count, 150);
	assert_int_equal(sr.rtp_ts, 1000 + FRAME + 480);
	assert_true(sr.ntp == rtp_ntp_from_us(1700000000000000ull));
	/* a monotonic reading before the last packet does not extrapolate */
	rtp_tx_stats_sr(&t, &sr, 0, 5, 48000);
	assert_int_equal(sr.rtp_ts, 1000 + FRAME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant_spacing_no_jitter),
		cmocka_unit_test(test_losses_exact),
		cmocka_unit_test(test_seq_wrap_counts_cycles),
		cmocka_unit_test(test_jitter_hand_computed),
		cmocka_unit_test(test_jump_probation_and_restart),
		cmocka_unit_test(test_cumulative_lost_clamps),
		cmocka_unit_test(test_ntp_helpers),
		cmocka_unit_test(test_rtt_rfc_example),
		cmocka_unit_test(test_lsr_dlsr_to_rtt),
		cmocka_unit_test(test_tx_stats_sr),
	};
	return cmocka_run_group_tests_name("rtp_stats", tests, NULL, NULL);
}
