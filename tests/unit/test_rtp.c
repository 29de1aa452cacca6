/* rtp: RTP header decode/encode round trips (CSRCs, one- and two-byte
 * extensions, padding), malformed headers, extension walking and the RFC
 * 6464 audio level, first-byte demux, RFC 4733 telephone events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rtp/rtp.h"

/* An Opus packet as Chromium sends it: PT 111, one-byte extensions
 * ssrc-audio-level (id 1, V set, 42 -dBov), abs-send-time (id 2, 3 bytes),
 * transport-wide-cc (id 3, 2 bytes), padded to a word. */
static const uint8_t chrome_opus[] = {
	0x90, 0x6f, 0x1a, 0x2b, 0x00, 0x01, 0xe2, 0x40, 0xde, 0xad, 0xbe, 0xef,
	0xbe, 0xde, 0x00, 0x03,
	0x10, 0xaa, 0x22, 0x12, 0x34, 0x56, 0x31, 0x00,
	0x07, 0x00, 0x00, 0x00,
	0xfc, 0xff, 0xfe, /* Opus TOC + data */
};

static void test_decode_chrome_opus(void **state)
{
	(void)state;
	struct rtp_header h;
	assert_int_equal(rtp_header_decode(&h, chrome_opus, sizeof chrome_opus), 0);
	assert_false(h.padding);
	assert_true(h.extension);
	assert_false(h.marker);
	assert_int_equal(h.cc, 0);
	assert_int_equal(h.pt, 111);
	assert_int_equal(h.seq, 0x1a2b);
	assert_int_equal(h.ts, 123456);
	assert_int_equal(h.ssrc, 0xdeadbeef);
	assert_int_equal(h.ext_profile, RTP_EXT_PROFILE_ONE_BYTE);
	assert_int_equal(h.ext_len, 12);
	assert_int_equal(h.header_len, 28);
	assert_int_equal(h.payload_len, 3);
	assert_ptr_equal(h.payload, chrome_opus + 28);
	assert_int_equal(h.pad_len, 0);

	uint8_t level = 0;
	bool vad = false;
	assert_int_equal(rtp_audio_level_get(&h, 1, &level, &vad), 0);
	assert_int_equal(level, 42);
	assert_true(vad);

	struct rtp_ext_elem e;
	assert_int_equal(rtp_ext_find(&h, 2, &e), 0);
	assert_int_equal(e.len, 3);
	assert_memory_equal(e.data, "\x12\x34\x56", 3);
	assert_int_equal(rtp_ext_find(&h, 3, &e), 0);
	assert_int_equal(e.len, 2);
	assert_int_equal(e.data[0] << 8 | e.data[1], 7); /* transport-wide seq 7 */
	assert_int_equal(rtp_ext_find(&h, 4, &e), -ENOENT);
	assert_int_equal(rtp_ext_find(&h, 0, &e), -EINVAL);
	assert_int_equal(rtp_audio_level_get(&h, 5, &level, &vad), -ENOENT);
}

static void test_ext_renumber(void **state)
{
	(void)state;
	uint8_t pkt[sizeof chrome_opus];
	memcpy(pkt, chrome_opus, sizeof pkt);
	struct rtp_header h;
	uint8_t level = 0, before = 0;
	bool vad = false;
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	assert_int_equal(rtp_audio_level_get(&h, 1, &before, &vad), 0);
	/* the audio level moves from id 1 to id 5; nothing else changes */
	assert_int_equal(rtp_ext_renumber(pkt, sizeof pkt, 1, 5), 1);
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	assert_int_not_equal(rtp_audio_level_get(&h, 1, &level, &vad), 0);
	assert_int_equal(rtp_audio_level_get(&h, 5, &level, &vad), 0);
	assert_int_equal(level, before);
	assert_memory_equal(pkt + 28, chrome_opus + 28, sizeof pkt - 28);
	assert_int_equal(rtp_ext_renumber(pkt, sizeof pkt, 9, 3), 0);
	assert_int_equal(rtp_ext_renumber(pkt, sizeof pkt, 5, 15), -EINVAL);
	assert_int_equal(rtp_ext_renumber(pkt, 5, 5, 1), -EINVAL);
}

static void test_ext_remap(void **state)
{
	(void)state;
	uint8_t pkt[sizeof chrome_opus];
	memcpy(pkt, chrome_opus, sizeof pkt);
	struct rtp_header h;
	struct rtp_ext_elem e;
	uint8_t level = 0;
	bool vad = false;
	/* level 1 -> 3 and transport-cc 3 -> 1 in one pass (the ids cross),
	 * abs-send-time (id 2) becomes padding */
	uint8_t map[15] = { 0, 3, 0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	assert_int_equal(rtp_ext_remap(pkt, sizeof pkt, map, 15), 3);
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	assert_int_equal(h.header_len, 28);
	assert_int_equal(rtp_ext_find(&h, 2, &e), -ENOENT);
	assert_int_equal(rtp_audio_level_get(&h, 3, &level, &vad), 0);
	assert_int_equal(level, 42);
	assert_int_equal(rtp_ext_find(&h, 1, &e), 0);
	assert_int_equal(e.data[0] << 8 | e.data[1], 7);
	assert_memory_equal(pkt + 18, "\0\0\0\0", 4);
	assert_memory_equal(pkt + 28, chrome_opus + 28, sizeof pkt - 28);
	uint8_t same[4] = { 0, 1, 2, 3 };
	assert_int_equal(rtp_ext_remap(pkt, sizeof pkt, same, 4), 0);
	uint8_t bad[2] = { 0, 15 };
	assert_int_equal(rtp_ext_remap(pkt, sizeof pkt, bad, 2), -EINVAL);
	assert_int_equal(rtp_ext_remap(pkt, 5, same, 4), -EINVAL);
}

static void test_round_trip_csrc_ext_padding(void **state)
{
	(void)state;
	static const uint8_t payload[] = { 1, 2, 3, 4, 5 };
	static const uint8_t lvl[] = { 0x7f }, mid[] = { 'a', 'b' };
	struct rtp_ext_elem elems[] = { { 1, 1, lvl }, { 9, 2, mid } };
	uint8_t ext[16];
	struct rtp_header h = { 0 };
	int n = rtp_ext_build(ext, sizeof ext, &h.ext_profile, elems, 2);
	assert_int_equal(n, 8); /* 2 + 3 bytes, padded to 8 */
	assert_int_equal(h.ext_profile, RTP_EXT_PROFILE_ONE_BYTE);
	h.extension = true;
	h.ext = ext;
	h.ext_len = (size_t)n;
	h.marker = true;
	h.pt = 96;
	h.seq = 65535;
	h.ts = 0xfffffff0u;
	h.ssrc = 0x01020304;
	h.cc = 3;
	h.csrc[0] = 11, h.csrc[1] = 22, h.csrc[2] = 0xffffffffu;
	h.payload = payload;
	h.payload_len = sizeof payload;
	h.pad_len = 3;

	uint8_t buf[128];
	int len = rtp_packet_encode(buf, sizeof buf, &h);
	assert_int_equal(len, 12 + 12 + 4 + 8 + 5 + 3);
	assert_int_equal(buf[0], 0x80 | 0x20 | 0x10 | 3);
	assert_int_equal(buf[1], 0x80 | 96);
	assert_int_equal(buf[len - 1], 3);

	struct rtp_header d;
	assert_int_equal(rtp_header_decode(&d, buf, (size_t)len), 0);
	assert_true(d.padding && d.extension && d.marker);
	assert_int_equal(d.cc, 3);
	assert_int_equal(d.csrc[2], 0xffffffffu);
	assert_int_equal(d.seq, 65535);
	assert_int_equal(d.ts, 0xfffffff0u);
	assert_int_equal(d.pad_len, 3);
	assert_int_equal(d.payload_len, sizeof payload);
	assert_memory_equal(d.payload, payload, sizeof payload);
	assert_int_equal(d.ext_len, 8);
	uint8_t level;
	bool vad;
	assert_int_equal(rtp_audio_level_get(&d, 1, &level, &vad), 0);
	assert_int_equal(level, 127);
	assert_false(vad);

	/* re-encoding the decoded view in place gives the same bytes */
	uint8_t copy[128];
	memcpy(copy, buf, (size_t)len);
	assert_int_equal(rtp_packet_encode(buf, sizeof buf, &d), len);
	assert_memory_equal(buf, copy, (size_t)len);
	/* and into a fresh buffer */
	uint8_t other[128];
	assert_int_equal(rtp_packet_encode(other, sizeof other, &d), len);
	assert_memory_equal(other, copy, (size_t)len);
	assert_int_equal(rtp_header_encode(other, sizeof other, &d), 36);
	assert_int_equal(rtp_packet_encode(other, (size_t)len - 1, &d), -ENOSPC);
}

static void test_two_byte_extension(void **state)
{
	(void)state;
	static const uint8_t big[20] = { 9 }, lvl[] = { 0x85 };
	struct rtp_ext_elem elems[] = { { 1, 1, lvl }, { 200, 0, NULL }, { 3, 20, big } };
	uint8_t ext[64];
	uint16_t profile = 0;
	int n = rtp_ext_build(ext, sizeof ext, &profile, elems, 3);
	assert_int_equal(n, 28); /* 3 + 2 + 22 = 27, padded */
	assert_int_equal(profile, RTP_EXT_PROFILE_TWO_BYTE);
	assert_int_equal(rtp_ext_build(ext, 27, &profile, elems, 3), -ENOSPC);

	struct rtp_header h = { .pt = 0, .extension = true, .ext_profile = profile, .ext = ext, .ext_len = (size_t)n };
	uint8_t buf[64];
	int len = rtp_packet_encode(buf, sizeof buf, &h);
	assert_int_equal(len, 12 + 4 + 28);
	struct rtp_header d;
	assert_int_equal(rtp_header_decode(&d, buf, (size_t)len), 0);
	assert_int_equal(d.payload_len, 0);

	struct rtp_ext_iter it;
	struct rtp_ext_elem e;
	assert_int_equal(rtp_ext_iter_init(&it, &d), 0);
	assert_int_equal(rtp_ext_next(&it, &e), 1);
	assert_int_equal(e.id, 1);
	assert_int_equal(rtp_ext_next(&it, &e), 1);
	assert_int_equal(e.id, 200);
	assert_int_equal(e.len, 0);
	assert_int_equal(rtp_ext_next(&it, &e), 1);
	assert_int_equal(e.id, 3);
	assert_int_equal(e.len, 20);
	assert_int_equal(e.data[0], 9);
	assert_int_equal(rtp_ext_next(&it, &e), 0);

	uint8_t level;
	bool vad;
	assert_int_equal(rtp_audio_level_get(&d, 1, &level, &vad), 0);
	assert_int_equal(level, 5);
	assert_true(vad);
	/* an empty element cannot carry a level */
	assert_int_equal(rtp_audio_level_get(&d, 200, &level, &vad), -EBADMSG);
	/* appbits in the profile's low nibble are still the two-byte form */
	d.ext_profile = 0x100f;
	assert_int_equal(rtp_ext_find(&d, 3, &e), 0);
	/* an unknown profile is opaque */
	d.ext_profile = 0x1234;
	assert_int_equal(rtp_ext_find(&d, 3, &e), -ENOENT);
}

static void test_one_byte_walk_rules(void **state)
{
	(void)state;
	/* padding bytes between elements, then ID 15 stops the walk even though
	 * the bytes after it would be an overrun */
	uint8_t pkt[] = { 0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
			  0xbe, 0xde, 0x00, 0x02,
			  0x00, 0x00, 0x20, 0x33, 0xf0, 0x5f, 0x00, 0x00 };
	struct rtp_header h;
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	struct rtp_ext_elem e;
	assert_int_equal(rtp_ext_find(&h, 2, &e), 0);
	assert_int_equal(e.data[0], 0x33);
	assert_int_equal(rtp_ext_find(&h, 5, &e), -ENOENT);
	/* an element whose length runs past the block is malformed */
	pkt[20] = 0x5f; /* id 5, 16 bytes, only 3 left */
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	assert_int_equal(rtp_ext_find(&h, 5, &e), -EBADMSG);
	assert_int_equal(rtp_ext_find(&h, 2, &e), 0); /* found before the bad one */
	uint8_t level;
	bool vad;
	assert_int_equal(rtp_audio_level_get(&h, 7, &level, &vad), -EBADMSG);

	/* no extension at all */
	pkt[0] = 0x80;
	assert_int_equal(rtp_header_decode(&h, pkt, sizeof pkt), 0);
	assert_int_equal(rtp_audio_level_get(&h, 1, &level, &vad), -ENOENT);
	assert_int_equal(h.payload_len, sizeof pkt - 12);
}

static void test_malformed_rejected(void **state)
{
	(void)state;
	struct rtp_header h;
	uint8_t p[40];
	memset(p, 0, sizeof p);
	p[0] = 0x80;
	assert_int_equal(rtp_header_decode(&h, p, 12), 0);
	assert_int_equal(rtp_header_decode(&h, p, 11), -EINVAL);
	assert_int_equal(rtp_header_decode(&h, p, 0), -EINVAL);
	assert_int_equal(rtp_header_decode(&h, NULL, 12), -EINVAL);
	p[0] = 0x40; /* version 1 */
	assert_int_equal(rtp_header_decode(&h, p, 20), -EINVAL);
	p[0] = 0xc0; /* version 3 */
	assert_int_equal(rtp_header_decode(&h, p, 20), -EINVAL);

	p[0] = 0x83; /* 3 CSRCs need 24 bytes */
	assert_int_equal(rtp_header_decode(&h, p, 23), -EBADMSG);
	assert_int_equal(rtp_header_decode(&h, p, 24), 0);

	p[0] = 0x90; /* extension header missing */
	assert_int_equal(rtp_header_decode(&h, p, 15), -EBADMSG);
	p[12] = 0xbe, p[13] = 0xde, p[14] = 0x00, p[15] = 0x02; /* 8 bytes of ext */
	assert_int_equal(rtp_header_decode(&h, p, 23), -EBADMSG);
	assert_int_equal(rtp_header_decode(&h, p, 24), 0);
	p[15] = 0xff; /* 1020 bytes announced */
	assert_int_equal(rtp_header_decode(&h, p, 40), -EBADMSG);

	memset(p, 0, sizeof p);
	p[0] = 0xa0; /* padding */
	assert_int_equal(rtp_header_decode(&h, p, 12), -EBADMSG); /* no count byte */
	assert_int_equal(rtp_header_decode(&h, p, 16), -EBADMSG); /* count 0 */
	p[15] = 5; /* 5 > 4 bytes after the header */
	assert_int_equal(rtp_header_decode(&h, p, 16), -EBADMSG);
	p[15] = 4;
	assert_int_equal(rtp_header_decode(&h, p, 16), 0);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(h.pad_len, 4);
}

static void test_encode_rejects(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct rtp_header h = { .pt = 128 };
	assert_int_equal(rtp_header_encode(buf, sizeof buf, &h), -EINVAL);
	h.pt = 0;
	h.cc = 16;
	assert_int_equal(rtp_header_encode(buf, sizeof buf, &h), -EINVAL);
	h.cc = 0;
	h.extension = true;
	h.ext_len = 6;
	h.ext = buf;
	assert_int_equal(rtp_header_encode(buf, sizeof buf, &h), -EINVAL);
	h.ext_len = 0; /* an empty extension block is legal */
	assert_int_equal(rtp_header_encode(buf, sizeof buf, &h), 16);
	assert_int_equal(rtp_header_encode(buf, 15, &h), -ENOSPC);
	h.payload_len = 3;
	assert_int_equal(rtp_packet_encode(buf, sizeof buf, &h), -EINVAL); /* payload NULL */

	struct rtp_ext_elem bad = { 0, 1, buf };
	uint16_t prof;
	assert_int_equal(rtp_ext_build(buf, sizeof buf, &prof, &bad, 1), -EINVAL);
	assert_int_equal(rtp_ext_build(buf, sizeof buf, &prof, NULL, 0), -EINVAL);
	assert_int_equal(rtp_audio_level_pack(200, true), 0xff);
	assert_int_equal(rtp_audio_level_pack(30, false), 30);
}

static void test_demux(void **state)
{
	(void)state;
	uint8_t b[2] = { 0, 0 };
	static const struct { uint8_t first, second; enum rtp_demux_class want; } cases[] = {
		{ 0, 1, RTP_DEMUX_STUN }, { 3, 0, RTP_DEMUX_STUN }, { 4, 0, RTP_DEMUX_DROP },
		{ 15, 0, RTP_DEMUX_DROP }, { 16, 0, RTP_DEMUX_ZRTP }, { 19, 0, RTP_DEMUX_ZRTP },
		{ 20, 0, RTP_DEMUX_DTLS }, { 22, 0xfe, RTP_DEMUX_DTLS }, { 63, 0, RTP_DEMUX_DTLS },
		{ 64, 0, RTP_DEMUX_TURN_CHANNEL }, { 79, 0, RTP_DEMUX_TURN_CHANNEL },
		{ 80, 0, RTP_DEMUX_DROP }, { 127, 0, RTP_DEMUX_DROP },
		{ 128, 0, RTP_DEMUX_RTP }, { 0x80, 111, RTP_DEMUX_RTP }, { 0x80, 0x80 | 111, RTP_DEMUX_RTP },
		{ 0x80, 191, RTP_DEMUX_RTP }, { 0x80, 192, RTP_DEMUX_RTCP }, { 0x80, 200, RTP_DEMUX_RTCP },
		{ 0x81, 205, RTP_DEMUX_RTCP }, { 0xbf, 223, RTP_DEMUX_RTCP }, { 0x80, 224, RTP_DEMUX_RTP },
		{ 191, 0, RTP_DEMUX_RTP }, { 192, 200, RTP_DEMUX_DROP }, { 255, 0, RTP_DEMUX_DROP },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		b[0] = cases[i].first;
		b[1] = cases[i].second;
		enum rtp_demux_class got = rtp_demux(b, 2);
		if (got != cases[i].want)
			print_error("case %zu: %u,%u gave %s\n", i, b[0], b[1], rtp_demux_name(got));
		assert_int_equal(got, cases[i].want);
	}
	b[0] = 0x80;
	assert_int_equal(rtp_demux(b, 1), RTP_DEMUX_DROP);
	b[0] = 0x01;
	assert_int_equal(rtp_demux(b, 1), RTP_DEMUX_STUN);
	assert_int_equal(rtp_demux(b, 0), RTP_DEMUX_DROP);
	assert_string_equal(rtp_demux_name(RTP_DEMUX_RTCP), "rtcp");
	assert_string_equal(rtp_demux_name(RTP_DEMUX_DROP), "drop");
}

static void test_tel_event(void **state)
{
	(void)state;
	/* RFC 4733 figure: digit 5, end, volume 10, duration 1280 (160 ms) */
	static const uint8_t wire[] = { 0x05, 0x8a, 0x05, 0x00 };
	struct rtp_tel_event ev;
	assert_int_equal(rtp_tel_event_decode(&ev, wire, sizeof wire), 0);
	assert_int_equal(ev.event, 5);
	assert_true(ev.end);
	assert_int_equal(ev.volume, 10);
	assert_int_equal(ev.duration, 1280);
	uint8_t out[4];
	assert_int_equal(rtp_tel_event_encode(out, sizeof out, &ev), 4);
	assert_memory_equal(out, wire, 4);
	/* the reserved bit is ignored on decode and never sent */
	static const uint8_t r_bit[] = { 11, 0x40 | 63, 0, 160 };
	assert_int_equal(rtp_tel_event_decode(&ev, r_bit, 4), 0);
	assert_false(ev.end);
	assert_int_equal(ev.volume, 63);
	assert_int_equal(rtp_tel_event_to_char(ev.event), '#');
	assert_int_equal(rtp_tel_event_decode(&ev, wire, 3), -EBADMSG);
	ev.volume = 64;
	assert_int_equal(rtp_tel_event_encode(out, sizeof out, &ev), -EINVAL);
	ev.volume = 0;
	assert_int_equal(rtp_tel_event_encode(out, 3, &ev), -ENOSPC);

	assert_int_equal(rtp_tel_event_to_char(0), '0');
	assert_int_equal(rtp_tel_event_to_char(10), '*');
	assert_int_equal(rtp_tel_event_to_char(15), 'D');
	assert_int_equal(rtp_tel_event_to_char(16), '\0');
	assert_int_equal(rtp_tel_event_from_char('9'), 9);
	assert_int_equal(rtp_tel_event_from_char('*'), 10);
	assert_int_equal(rtp_tel_event_from_char('b'), 13);
	assert_int_equal(rtp_tel_event_from_char('x'), -EINVAL);
	assert_int_equal(rtp_tel_event_from_char('\0'), -EINVAL);
}

static void test_level_packet(void **state)
{
	(void)state;
	uint8_t buf[64], pay[5] = { 0xF8, 1, 2, 3, 4 };
	int n = rtp_level_packet_build(buf, sizeof buf, 111, 0xFFFF, 0x12345678, 0xCAFEBABE, 3, 42, pay, 5);
	assert_int_equal(n, 25);
	struct rtp_header h;
	assert_int_equal(rtp_header_decode(&h, buf, (size_t)n), 0);
	assert_int_equal(h.pt, 111);
	assert_int_equal(h.seq, 0xFFFF);
	assert_int_equal(h.ts, 0x12345678);
	assert_int_equal(h.ssrc, 0xCAFEBABE);
	assert_int_equal(h.payload_len, 5);
	assert_memory_equal(h.payload, pay, 5);
	uint8_t level;
	bool vad;
	assert_int_equal(rtp_audio_level_get(&h, 3, &level, &vad), 0);
	assert_int_equal(level, 42);
	assert_true(vad);
	n = rtp_level_packet_build(buf, sizeof buf, 0, 1, 2, 3, 1, 127, pay, 0);
	assert_int_equal(n, 20);
	assert_int_equal(rtp_header_decode(&h, buf, (size_t)n), 0);
	assert_int_equal(rtp_audio_level_get(&h, 1, &level, &vad), 0);
	assert_int_equal(level, 127);
	assert_false(vad);
	assert_int_equal(rtp_level_packet_build(buf, 24, 111, 0, 0, 0, 1, 0, pay, 5), -ENOSPC);
	assert_int_equal(rtp_level_packet_build(buf, sizeof buf, 128, 0, 0, 0, 1, 0, pay, 5), -EINVAL);
	assert_int_equal(rtp_level_packet_build(buf, sizeof buf, 111, 0, 0, 0, 15, 0, pay, 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_chrome_opus),
		cmocka_unit_test(test_ext_renumber),
		cmocka_unit_test(test_ext_remap),
		cmocka_unit_test(test_round_trip_csrc_ext_padding),
		cmocka_unit_test(test_two_byte_extension),
		cmocka_unit_test(test_one_byte_walk_rules),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_tel_event),
		cmocka_unit_test(test_level_packet),
	};
	return cmocka_run_group_tests_name("rtp", tests, NULL, NULL);
}
