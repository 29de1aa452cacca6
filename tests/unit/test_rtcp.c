/* rtcp: a Chromium-shaped SR+SDES compound laid out by hand from RFC 3550,
 * build -> parse round trips of every builder, malformed and truncated
 * compounds, SDES chunk walking, generic NACK parse/build. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rtp/rtp.h"

/* What Chromium sends for an Opus sender with nothing received yet: an SR
 * with RC 0, then SDES with its 16-character CNAME (RFC 3550 6.4.1, 6.5). */
static const uint8_t chrome_sr_sdes[] = {
	/* SR: V=2 RC=0 PT=200 length=6 */
	0x80, 0xc8, 0x00, 0x06,
	0x2c, 0x8a, 0x1f, 0x33,                         /* sender SSRC */
	0xe8, 0x5a, 0x4c, 0x31, 0x8f, 0x5c, 0x28, 0xf6, /* NTP */
	0x00, 0x4b, 0x3a, 0x20,                         /* RTP ts */
	0x00, 0x00, 0x01, 0xf4,                         /* 500 packets */
	0x00, 0x00, 0x9c, 0x40,                         /* 40000 octets */
	/* SDES: V=2 SC=1 PT=202 length=6 */
	0x81, 0xca, 0x00, 0x06,
	0x2c, 0x8a, 0x1f, 0x33,
	0x01, 0x10, '4', 'T', 'O', 'k', '4', '2', 'm', 'S', 'j', 'X', 'C', 'k', 'V', 'I', 'a', '6',
	0x00, 0x00,                                     /* end of items, pad */
};

static void test_chrome_sr_sdes(void **state)
{
	(void)state;
	assert_int_equal(rtp_demux(chrome_sr_sdes, sizeof chrome_sr_sdes), RTP_DEMUX_RTCP);
	assert_int_equal(rtcp_compound_check(chrome_sr_sdes, sizeof chrome_sr_sdes), 2);

	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, chrome_sr_sdes, sizeof chrome_sr_sdes);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_SR);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.raw_len, 28);
	assert_int_equal(p.ssrc, 0x2c8a1f33);
	assert_int_equal(p.sr.ssrc, 0x2c8a1f33);
	assert_true(p.sr.ntp == 0xe85a4c318f5c28f6ull);
	assert_int_equal(p.sr.rtp_ts, 0x004b3a20);
	assert_int_equal(p.sr.packet_count, 500);
	assert_int_equal(p.sr.octet_count, 40000);
	struct rtcp_report_block rb;
	assert_int_equal(rtcp_report_block_get(&p, 0, &rb), -ERANGE);

	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_SDES);
	assert_int_equal(p.count, 1);
	assert_int_equal(rtcp_report_block_get(&p, 0, &rb), -EINVAL);
	struct rtcp_sdes_iter si;
	struct rtcp_sdes_item item;
	rtcp_sdes_iter_init(&si, &p);
	assert_int_equal(rtcp_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 0x2c8a1f33);
	assert_int_equal(item.type, RTCP_SDES_CNAME);
	assert_int_equal(item.len, 16);
	assert_memory_equal(item.data, "4TOk42mSjXCkVIa6", 16);
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);

	assert_int_equal(rtcp_iter_next(&it, &p), 0);
	assert_int_equal(rtcp_iter_next(&it, &p), 0);
}

/* Every prefix that does not end on a packet boundary is a broken compound. */
static void test_truncated_compounds(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof chrome_sr_sdes; n++) {
		int r = rtcp_compound_check(chrome_sr_sdes, n);
		int want = n == 28 ? 1 : -EBADMSG;
		if (r != want)
			print_error("prefix %zu: got %d\n", n, r);
		assert_int_equal(r, want);
	}
	/* and a few stray bytes after a good compound */
	uint8_t buf[sizeof chrome_sr_sdes + 3];
	memcpy(buf, chrome_sr_sdes, sizeof chrome_sr_sdes);
	memset(buf + sizeof chrome_sr_sdes, 0x80, 3);
	assert_int_equal(rtcp_compound_check(buf, sizeof buf), -EBADMSG);
	assert_int_equal(rtcp_compound_check(NULL, 0), -EBADMSG);
}

static void assert_block_equal(const struct rtcp_report_block *a, const struct rtcp_report_block *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->fraction_lost, b->fraction_lost);
	assert_int_equal(a->cumulative_lost, b->cumulative_lost);
	assert_int_equal(a->ext_highest_seq, b->ext_highest_seq);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->lsr, b->lsr);
	assert_int_equal(a->dlsr, b->dlsr);
}

static void test_sr_rr_round_trip(void **state)
{
	(void)state;
	struct rtcp_report_block in[3] = {
		{ 0x11111111, 51, -5, 0x0001fffe, 123, 0xb7052000, 0x00054000 },
		{ 0x22222222, 255, 0x7fffff + 100, 7, 0, 0, 0 },    /* clamps to max */
		{ 0x33333333, 0, -0x900000, 0xffffffff, 0xffffffff, 1, 2 }, /* to min */
	};
	struct rtcp_sr_info sr = { 0xcafebabe, 0x0123456789abcdefull, 48000, 10, 1600 };
	uint8_t buf[256];
	int n = rtcp_sr_build(buf, sizeof buf, &sr, in, 3);
	assert_int_equal(n, 28 + 3 * 24);
	int m = rtcp_rr_build(buf + n, sizeof buf - (size_t)n, 0x0badf00d, in, 2);
	assert_int_equal(m, 8 + 2 * 24);
	assert_int_equal(rtcp_compound_check(buf, (size_t)(n + m)), 2);

	struct rtcp_iter it;
	struct rtcp_packet p;
	struct rtcp_report_block rb;
	rtcp_iter_init(&it, buf, (size_t)(n + m));
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_SR);
	assert_int_equal(p.count, 3);
	assert_true(p.sr.ntp == sr.ntp);
	assert_int_equal(p.sr.rtp_ts, 48000);
	assert_int_equal(p.sr.packet_count, 10);
	assert_int_equal(p.sr.octet_count, 1600);
	assert_int_equal(rtcp_report_block_get(&p, 0, &rb), 0);
	assert_block_equal(&rb, &in[0]);
	assert_int_equal(rtcp_report_block_get(&p, 1, &rb), 0);
	assert_int_equal(rb.cumulative_lost, 0x7fffff);
	assert_int_equal(rb.fraction_lost, 255);
	assert_int_equal(rtcp_report_block_get(&p, 2, &rb), 0);
	assert_int_equal(rb.cumulative_lost, -0x800000);
	assert_int_equal(rb.jitter, 0xffffffff);
	assert_int_equal(rtcp_report_block_get(&p, 3, &rb), -ERANGE);

	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_RR);
	assert_int_equal(p.ssrc, 0x0badf00d);
	assert_int_equal(p.count, 2);
	assert_int_equal(rtcp_report_block_get(&p, 1, &rb), 0);
	assert_int_equal(rb.ssrc, 0x22222222);
	assert_int_equal(rtcp_iter_next(&it, &p), 0);

	assert_int_equal(rtcp_sr_build(buf, 27, &sr, NULL, 0), -ENOSPC);
	assert_int_equal(rtcp_sr_build(buf, sizeof buf, &sr, NULL, 0), 28);
	assert_int_equal(rtcp_rr_build(buf, sizeof buf, 1, in, 32), -EINVAL);
	assert_int_equal(rtcp_rr_build(buf, 8 + 24 - 1, 1, in, 1), -ENOSPC);
}

static void test_sdes_bye_round_trip(void **state)
{
	(void)state;
	/* every CNAME length modulo 4, each with at least one null octet */
	static const char name[] = "abcdefghijklmnopqrstuvwxyz";
	for (size_t cl = 1; cl <= 9; cl++) {
		char cname[32];
		memcpy(cname, name, cl);
		cname[cl] = '\0';
		uint8_t buf[64];
		int n = rtcp_sdes_cname_build(buf, sizeof buf, 77, cname);
		assert_int_equal(n, 4 + (int)((4 + 2 + cl + 4) & ~(size_t)3));
		assert_int_equal(buf[n - 1], 0);
		struct rtcp_iter it;
		struct rtcp_packet p;
		rtcp_iter_init(&it, buf, (size_t)n);
		assert_int_equal(rtcp_iter_next(&it, &p), 1);
		struct rtcp_sdes_iter si;
		struct rtcp_sdes_item item;
		rtcp_sdes_iter_init(&si, &p);
		assert_int_equal(rtcp_sdes_next(&si, &item), 1);
		assert_int_equal(item.ssrc, 77);
		assert_int_equal(item.len, cl);
		assert_memory_equal(item.data, cname, cl);
		assert_int_equal(rtcp_sdes_next(&si, &item), 0);
	}
	uint8_t buf[300];
	assert_int_equal(rtcp_sdes_cname_build(buf, sizeof buf, 1, ""), -EINVAL);
	assert_int_equal(rtcp_sdes_cname_build(buf, 11, 1, "abc"), -ENOSPC);

	uint32_t ssrcs[2] = { 0xaaaaaaaa, 0xbbbbbbbb };
	int n = rtcp_bye_build(buf, sizeof buf, ssrcs, 2, "left the room");
	assert_int_equal(n, 4 + 8 + 16); /* 1 + 13 reason bytes, padded */
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, buf, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_BYE);
	assert_int_equal(p.count, 2);
	uint32_t s;
	assert_int_equal(rtcp_bye_ssrc(&p, 1, &s), 0);
	assert_int_equal(s, 0xbbbbbbbb);
	assert_int_equal(rtcp_bye_ssrc(&p, 2, &s), -ERANGE);
	assert_int_equal(p.reason_len, 13);
	assert_memory_equal(p.reason, "left the room", 13);

	n = rtcp_bye_build(buf, sizeof buf, ssrcs, 1, NULL);
	assert_int_equal(n, 8);
	rtcp_iter_init(&it, buf, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_null(p.reason);
	assert_int_equal(rtcp_bye_build(buf, 7, ssrcs, 1, NULL), -ENOSPC);
	assert_int_equal(rtcp_bye_build(buf, sizeof buf, ssrcs, 0, ""), 8);
}

static void test_sdes_chunks_by_hand(void **state)
{
	(void)state;
	static const uint8_t pkt[] = {
		0x82, 0xca, 0x00, 0x05,
		0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 'a', 'b', 0x02, 0x01, 'x', 0x00,
		0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, /* chunk without items */
	};
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, pkt, sizeof pkt);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	struct rtcp_sdes_iter si;
	struct rtcp_sdes_item item;
	rtcp_sdes_iter_init(&si, &p);
	assert_int_equal(rtcp_sdes_next(&si, &item), 1);
	assert_int_equal(item.type, RTCP_SDES_CNAME);
	assert_int_equal(rtcp_sdes_next(&si, &item), 1);
	assert_int_equal(item.ssrc, 1);
	assert_int_equal(item.type, RTCP_SDES_NAME);
	assert_int_equal(item.data[0], 'x');
	assert_int_equal(rtcp_sdes_next(&si, &item), 0);
}

static void expect_bad(const uint8_t *buf, size_t len, const char *what)
{
	int r = rtcp_compound_check(buf, len);
	if (r != -EBADMSG)
		print_error("%s: accepted (%d)\n", what, r);
	assert_int_equal(r, -EBADMSG);
}

static void test_malformed_rejected(void **state)
{
	(void)state;
	static const uint8_t v1[] = { 0x40, 0xc9, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t long_len[] = { 0x80, 0xc9, 0x00, 0x02, 0, 0, 0, 1 };
	static const uint8_t pad_first[] = { 0xa0, 0xc9, 0x00, 0x01, 0, 0, 0, 4,
					     0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t pad_zero[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t pad_big[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 9 };
	static const uint8_t pad_eats_rr[] = { 0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 8 };
	static const uint8_t sr_no_block[] = { 0x81, 0xc8, 0x00, 0x06, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t rr_short[] = { 0x81, 0xc9, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t sdes_no_null[] = { 0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b' };
	static const uint8_t sdes_overrun[] = { 0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 'a', 'b' };
	static const uint8_t sdes_missing_chunk[] = { 0x82, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t bye_short[] = { 0x82, 0xcb, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t bye_reason[] = { 0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 0x05, 'a', 'b', 'c' };
	static const uint8_t app_short[] = { 0x80, 0xcc, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t nack_empty[] = { 0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t psfb_short[] = { 0x81, 0xce, 0x00, 0x01, 0, 0, 0, 1 };
	static const uint8_t stub[] = { 0x80, 0xc9, 0x00 };
	static const uint8_t pt_low[] = { 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1, 0x80, 0x05, 0x00, 0x00 };
	static const uint8_t pt_high[] = { 0x80, 0xe0, 0x00, 0x00 };

	expect_bad(v1, sizeof v1, "version 1");
	expect_bad(long_len, sizeof long_len, "length past the end");
	expect_bad(pad_first, sizeof pad_first, "padding not last");
	expect_bad(pad_zero, sizeof pad_zero, "padding count 0");
	expect_bad(pad_big, sizeof pad_big, "padding count past body");
	expect_bad(pad_eats_rr, sizeof pad_eats_rr, "padding leaves no RR SSRC");
	expect_bad(sr_no_block, sizeof sr_no_block, "SR RC=1 without block");
	expect_bad(rr_short, sizeof rr_short, "RR RC=1 without block");
	expect_bad(sdes_no_null, sizeof sdes_no_null, "SDES without null octet");
	expect_bad(sdes_overrun, sizeof sdes_overrun, "SDES item overrun");
	expect_bad(sdes_missing_chunk, sizeof sdes_missing_chunk, "SDES SC=2, one chunk");
	expect_bad(bye_short, sizeof bye_short, "BYE SC=2, one SSRC");
	expect_bad(bye_reason, sizeof bye_reason, "BYE reason overrun");
	expect_bad(app_short, sizeof app_short, "APP without name");
	expect_bad(nack_empty, sizeof nack_empty, "NACK without items");
	expect_bad(psfb_short, sizeof psfb_short, "PSFB without media SSRC");
	expect_bad(stub, sizeof stub, "3-byte stub");
	expect_bad(pt_low, sizeof pt_low, "RR then a packet type 5");
	expect_bad(pt_high, sizeof pt_high, "packet type 224");

	/* an error ends the walk even when more bytes follow */
	uint8_t two[sizeof v1 + sizeof chrome_sr_sdes];
	memcpy(two, v1, sizeof v1);
	memcpy(two + sizeof v1, chrome_sr_sdes, sizeof chrome_sr_sdes);
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, two, sizeof two);
	assert_int_equal(rtcp_iter_next(&it, &p), -EBADMSG);
	assert_int_equal(rtcp_iter_next(&it, &p), 0);
}

static void test_padding_app_unknown(void **state)
{
	(void)state;
	static const uint8_t pkt[] = {
		0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,         /* RR, no blocks */
		0x85, 0xcc, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 'q', 't', 'a', 'k', 1, 2, 3, 4, /* APP */
		0x80, 0xcf, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,         /* XR, opaque */
		0xa0, 0xc9, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x04, /* padded RR */
	};
	assert_int_equal(rtcp_compound_check(pkt, sizeof pkt), 4);
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, pkt, sizeof pkt);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_APP);
	assert_int_equal(p.count, 5);
	assert_memory_equal(p.app_name, "qtak", 4);
	assert_int_equal(p.app_data_len, 4);
	assert_int_equal(p.app_data[3], 4);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_XR);
	assert_int_equal(p.body_len, 4);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_RR);
	assert_int_equal(p.raw_len, 12);
	assert_int_equal(p.body_len, 4);
	assert_int_equal(p.ssrc, 7);
	assert_int_equal(rtcp_iter_next(&it, &p), 0);
}

static void test_nack_parse(void **state)
{
	(void)state;
	/* RFC 4585 6.2.1: PID 0x1234 with BLP bits 0 and 2, then a wrapping item */
	static const uint8_t pkt[] = {
		0x81, 0xcd, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x12, 0x34, 0x00, 0x05,
		0xff, 0xfe, 0x00, 0x03,
	};
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, pkt, sizeof pkt);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_RTPFB);
	assert_int_equal(p.count, RTCP_RTPFB_NACK);
	assert_int_equal(p.ssrc, 1);
	assert_int_equal(p.media_ssrc, 2);
	assert_int_equal(rtcp_nack_count(&p), 2);
	uint16_t pid, blp, lost[17];
	assert_int_equal(rtcp_nack_item(&p, 0, &pid, &blp), 0);
	assert_int_equal(rtcp_nack_expand(pid, blp, lost), 3);
	assert_int_equal(lost[0], 0x1234);
	assert_int_equal(lost[1], 0x1235);
	assert_int_equal(lost[2], 0x1237);
	assert_int_equal(rtcp_nack_item(&p, 1, &pid, &blp), 0);
	assert_int_equal(rtcp_nack_expand(pid, blp, lost), 3);
	assert_int_equal(lost[1], 0xffff);
	assert_int_equal(lost[2], 0x0000);
	assert_int_equal(rtcp_nack_item(&p, 2, &pid, &blp), -ERANGE);
	assert_int_equal(rtcp_nack_expand(1, 0xffff, lost), 17);
	assert_int_equal(lost[16], 17);
}

static void test_nack_pli_build(void **state)
{
	(void)state;
	static const uint16_t seqs[] = { 100, 101, 103, 117, 118, 200, 65535, 0 };
	uint8_t buf[64];
	int n = rtcp_nack_build(buf, sizeof buf, 5, 6, seqs, 8);
	assert_int_equal(n, 12 + 4 * 4);
	assert_int_equal(rtcp_nack_build(buf, (size_t)n - 1, 5, 6, seqs, 8), -ENOSPC);
	assert_int_equal(rtcp_nack_build(buf, sizeof buf, 5, 6, seqs, 0), -EINVAL);
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, buf, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.media_ssrc, 6);
	assert_int_equal(rtcp_nack_count(&p), 4);
	uint16_t got[64];
	size_t ng = 0;
	for (size_t i = 0; i < rtcp_nack_count(&p); i++) {
		uint16_t pid, blp;
		assert_int_equal(rtcp_nack_item(&p, i, &pid, &blp), 0);
		ng += rtcp_nack_expand(pid, blp, got + ng);
	}
	assert_int_equal(ng, 8);
	assert_memory_equal(got, seqs, sizeof seqs);

	n = rtcp_pli_build(buf, sizeof buf, 5, 6);
	assert_int_equal(n, 12);
	rtcp_iter_init(&it, buf, (size_t)n);
	assert_int_equal(rtcp_iter_next(&it, &p), 1);
	assert_int_equal(p.pt, RTCP_PSFB);
	assert_int_equal(p.count, RTCP_PSFB_PLI);
	assert_int_equal(p.fci_len, 0);
	assert_int_equal(rtcp_nack_count(&p), 0);
	assert_int_equal(rtcp_nack_item(&p, 0, &got[0], &got[1]), -EINVAL);
	assert_int_equal(rtcp_pli_build(buf, 11, 5, 6), -ENOSPC);
}

/* A leg's compound: SR + SDES CNAME + BYE, built back to back. */
static void test_compound_build(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct rtcp_sr_info sr = { 9, 1, 2, 3, 4 };
	size_t off = 0;
	int n = rtcp_sr_build(buf, sizeof buf, &sr, NULL, 0);
	assert_true(n > 0);
	off += (size_t)n;
	n = rtcp_sdes_cname_build(buf + off, sizeof buf - off, 9, "roomgate-leg-1");
	assert_true(n > 0);
	off += (size_t)n;
	uint32_t s = 9;
	n = rtcp_bye_build(buf + off, sizeof buf - off, &s, 1, "bye");
	assert_true(n > 0);
	off += (size_t)n;
	assert_int_equal(rtcp_compound_check(buf, off), 3);
	assert_int_equal(rtp_demux(buf, off), RTP_DEMUX_RTCP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome_sr_sdes),
		cmocka_unit_test(test_truncated_compounds),
		cmocka_unit_test(test_sr_rr_round_trip),
		cmocka_unit_test(test_sdes_bye_round_trip),
		cmocka_unit_test(test_sdes_chunks_by_hand),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_padding_app_unknown),
		cmocka_unit_test(test_nack_parse),
		cmocka_unit_test(test_nack_pli_build),
		cmocka_unit_test(test_compound_build),
	};
	return cmocka_run_group_tests_name("rtcp", tests, NULL, NULL);
}
