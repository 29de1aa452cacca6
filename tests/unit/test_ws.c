/* Unit tests for signal/ws: handshake key, frame header codec, masking, UTF-8
 * validation and the message assembler (fed whole and in every chunk size). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/ws.h"

/* ---- helpers: client frames, a stream, an event recorder ---- */

static const uint8_t tmask[4] = { 0x37, 0xfa, 0x21, 0x3d }; /* RFC 6455 5.7 */

/* Builds one client frame with first byte b0 (FIN|RSV|opcode). Written
 * independently of ws_frame_header_encode/ws_mask so it can check them.
 * payload NULL means len bytes of 'a'. */
static size_t raw_frame(uint8_t *out, uint8_t b0, bool masked, const void *payload, size_t len)
{
	size_t n = 2;
	out[0] = b0;
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xFFFF) {
		out[1] = 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[1] = 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (masked) {
		out[1] |= 0x80;
		memcpy(out + n, tmask, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = payload ? ((const uint8_t *)payload)[i] : 'a';
		out[n + i] = masked ? c ^ tmask[i & 3] : c;
	}
	return n + len;
}

struct stream {
	uint8_t *buf;
	size_t len;
};

static void st_init(struct stream *s, size_t cap)
{
	s->buf = malloc(cap);
	assert_non_null(s->buf);
	s->len = 0;
}

/* Appends a masked frame; text is a C string. */
static void st_put(struct stream *s, bool fin, uint8_t op, const char *text)
{
	s->len += raw_frame(s->buf + s->len, (uint8_t)((fin ? 0x80 : 0) | op), true, text, strlen(text));
}

static void st_putn(struct stream *s, uint8_t b0, bool masked, const void *p, size_t len)
{
	s->len += raw_frame(s->buf + s->len, b0, masked, p, len);
}

struct rec {
	char log[8192];
	size_t log_len;
	int ret;          /* returned by every callback */
	uint8_t *last;    /* copy of the last message */
	size_t last_len;
	size_t n_events;
};

static void rec_add(struct rec *r, const char *tag, unsigned num, const uint8_t *d, size_t len)
{
	int w;
	if (len <= 64)
		w = snprintf(r->log + r->log_len, sizeof r->log - r->log_len, "%s%u:%.*s;", tag, num,
			     (int)len, (const char *)d);
	else
		w = snprintf(r->log + r->log_len, sizeof r->log - r->log_len, "%s%u;", tag, num);
	assert_true(w > 0 && (size_t)w < sizeof r->log - r->log_len);
	r->log_len += (size_t)w;
	r->n_events++;
}

static int on_message(void *arg, enum ws_opcode op, const uint8_t *d, size_t len)
{
	struct rec *r = arg;
	assert_non_null(d);
	rec_add(r, op == WS_OP_TEXT ? "T" : "B", (unsigned)len, d, len);
	free(r->last);
	r->last = malloc(len ? len : 1);
	assert_non_null(r->last);
	memcpy(r->last, d, len);
	r->last_len = len;
	return r->ret;
}

static int on_ping(void *arg, const uint8_t *d, size_t len)
{
	rec_add(arg, "P", (unsigned)len, d, len);
	return ((struct rec *)arg)->ret;
}

static int on_pong(void *arg, const uint8_t *d, size_t len)
{
	rec_add(arg, "O", (unsigned)len, d, len);
	return ((struct rec *)arg)->ret;
}

static int on_close(void *arg, uint16_t code, const uint8_t *reason, size_t len)
{
	rec_add(arg, "C", code, reason, len);
	return ((struct rec *)arg)->ret;
}

static const struct ws_assembler_events rec_events = {
	.message = on_message, .ping = on_ping, .pong = on_pong, .close = on_close,
};

static void rec_reset(struct rec *r)
{
	free(r->last);
	memset(r, 0, sizeof *r);
}

/* Feeds buf in chunks of 'chunk' bytes (0: all at once); returns the first
 * non-zero result. */
static int feed_chunked(struct ws_assembler *a, const uint8_t *buf, size_t len, size_t chunk)
{
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		int rc = ws_assembler_feed(a, buf + off, n);
		if (rc)
			return rc;
	}
	return 0;
}

/* One fresh assembler fed the whole stream in the given chunk size. */
static int run(const struct stream *s, size_t max, size_t chunk, struct rec *r)
{
	rec_reset(r);
	struct ws_assembler *a = ws_assembler_new(max, &rec_events, r);
	assert_non_null(a);
	int rc = feed_chunked(a, s->buf, s->len, chunk);
	if (rc == 0)
		assert_int_equal(ws_assembler_buffered(a), 0);
	ws_assembler_free(a);
	return rc;
}

/* Runs the stream whole, byte by byte and in every chunk size up to 17; all
 * runs must give the same result and the same events. */
static int run_all(const struct stream *s, size_t max, struct rec *r)
{
	int want = run(s, max, 0, r);
	char log[sizeof r->log];
	memcpy(log, r->log, sizeof log);
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		int rc = run(s, max, chunk, r);
		if (rc != want || strcmp(log, r->log) != 0)
			fail_msg("chunk %zu: rc %d log '%s', whole: rc %d log '%s'", chunk, rc, r->log,
				 want, log);
	}
	return want;
}

/* ---- handshake ---- */

static void test_accept_rfc_example(void **state)
{
	(void)state;
	char out[29];
	/* RFC 6455 1.3 (also 4.2.2, 11.3.3); checked against `openssl sha1 | base64` */
	assert_int_equal(ws_accept_key(out, "dGhlIHNhbXBsZSBub25jZQ=="), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_accept_bad_keys(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"dGhlIHNhbXBsZSBub25jZQ=",    /* 23 chars */
		"dGhlIHNhbXBsZSBub25jZQ===",  /* 25 chars */
		"dGhlIHNhbXBsZSBub25jZQ== ",  /* trailing space */
		" dGhlIHNhbXBsZSBub25jZQ==",  /* leading space */
		"dGhlIHNhbXBsZSBub25jZQ!=",   /* bad character */
		"dGhlIHNhbXBsZSBub25jZR==",   /* non-canonical padding bits */
		"AAAAAAAAAAAAAAAAAAAAAAAA",   /* 24 chars but 18 bytes */
		"AAAAAAAAAAAAAAAAAAAAAAA=",   /* 24 chars but 17 bytes */
		"AAAA=AAAAAAAAAAAAAAAAA==",   /* padding inside */
		"dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[29];
		memset(out, 'X', sizeof out);
		if (ws_accept_key(out, bad[i]) != -EINVAL)
			fail_msg("key '%s' accepted", bad[i]);
		for (size_t k = 0; k < sizeof out; k++)
			assert_int_equal(out[k], 'X'); /* untouched on failure */
	}
	char out[29];
	assert_int_equal(ws_accept_key(out, NULL), -EINVAL);
	/* any 16 random bytes are fine */
	assert_int_equal(ws_accept_key(out, "AAAAAAAAAAAAAAAAAAAAAA=="), 0);
	assert_int_equal(strlen(out), 28);
}

/* ---- frame header ---- */

/* Every strict prefix of a complete header needs more data. */
static void check_prefixes(const uint8_t *buf, size_t hlen)
{
	struct ws_frame_header h;
	for (size_t n = 0; n < hlen; n++)
		if (ws_frame_header_decode(&h, buf, n) != 0)
			fail_msg("prefix of %zu bytes (header %zu) did not ask for more", n, hlen);
}

static void test_header_decode_7bit(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ws_frame_header h;
	assert_int_equal(ws_frame_header_decode(&h, b, sizeof b), 6);
	assert_true(h.fin);
	assert_int_equal(h.rsv, 0);
	assert_int_equal(h.opcode, WS_OP_TEXT);
	assert_true(h.masked);
	assert_memory_equal(h.mask, tmask, 4);
	assert_int_equal(h.payload_len, 5);
	assert_int_equal(h.header_len, 6);
	check_prefixes(b, 6);

	static const uint8_t u[] = { 0x72, 0x7D }; /* RSV1|RSV2|RSV3 bits 0x70, opcode 2, unmasked */
	assert_int_equal(ws_frame_header_decode(&h, u, sizeof u), 2);
	assert_false(h.fin);
	assert_int_equal(h.rsv, 7);
	assert_int_equal(h.opcode, 2);
	assert_false(h.masked);
	assert_int_equal(h.payload_len, 125);
	check_prefixes(u, 2);
}

static void test_header_decode_16bit(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4 };
	struct ws_frame_header h;
	assert_int_equal(ws_frame_header_decode(&h, b, sizeof b), 8);
	assert_int_equal(h.opcode, WS_OP_BINARY);
	assert_int_equal(h.payload_len, 256);
	assert_int_equal(h.header_len, 8);
	static const uint8_t m[4] = { 1, 2, 3, 4 };
	assert_memory_equal(h.mask, m, 4);
	check_prefixes(b, 8);

	static const uint8_t nonmin[] = { 0x81, 0x7E, 0x00, 0x05 }; /* accepted */
	assert_int_equal(ws_frame_header_decode(&h, nonmin, sizeof nonmin), 4);
	assert_int_equal(h.payload_len, 5);
	check_prefixes(nonmin, 4);
}

static void test_header_decode_64bit(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x02, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 9, 8, 7, 6, 0xAA };
	struct ws_frame_header h;
	assert_int_equal(ws_frame_header_decode(&h, b, sizeof b), 14);
	assert_false(h.fin);
	assert_int_equal(h.payload_len, UINT64_C(1) << 32);
	assert_int_equal(h.header_len, 14);
	check_prefixes(b, 14);

	static const uint8_t u[] = { 0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	assert_int_equal(ws_frame_header_decode(&h, u, sizeof u), 10);
	assert_int_equal(h.payload_len, INT64_MAX);
	check_prefixes(u, 10);

	static const uint8_t top[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	assert_int_equal(ws_frame_header_decode(&h, top, sizeof top), -WS_CLOSE_PROTOCOL);
	check_prefixes(top, 10); /* rejected as soon as the length is there */
}

static void test_header_encode_roundtrip(void **state)
{
	(void)state;
	static const struct {
		uint64_t len;
		size_t hlen;
	} cases[] = {
		{ 0, 2 },	  { 1, 2 },	   { 125, 2 },	      { 126, 4 },
		{ 65535, 4 },	  { 65536, 10 },   { UINT64_C(1) << 40, 10 },
		{ INT64_MAX, 10 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int fin = 0; fin <= 1; fin++) {
			uint8_t out[10];
			size_t n = ws_frame_header_encode(out, fin, WS_OP_PING, cases[i].len);
			assert_int_equal(n, cases[i].hlen);
			struct ws_frame_header h;
			assert_int_equal(ws_frame_header_decode(&h, out, n), (int)n);
			assert_int_equal(h.fin, fin);
			assert_int_equal(h.rsv, 0);
			assert_int_equal(h.opcode, WS_OP_PING);
			assert_false(h.masked);
			assert_int_equal(h.payload_len, cases[i].len);
			assert_int_equal(h.header_len, n);
		}
	}
	uint8_t out[10];
	static const uint8_t e126[] = { 0x81, 0x7E, 0x00, 0x7E };
	assert_int_equal(ws_frame_header_encode(out, true, WS_OP_TEXT, 126), 4);
	assert_memory_equal(out, e126, 4);
	static const uint8_t e64k[] = { 0x02, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0 };
	assert_int_equal(ws_frame_header_encode(out, false, WS_OP_BINARY, 65536), 10);
	assert_memory_equal(out, e64k, 10);
}

static void test_mask_offsets(void **state)
{
	(void)state;
	uint8_t a[37], b[37], orig[37];
	for (size_t i = 0; i < sizeof orig; i++)
		orig[i] = (uint8_t)(i * 7 + 1);
	memcpy(a, orig, sizeof a);
	ws_mask(a, sizeof a, tmask, 0);
	for (size_t i = 0; i < sizeof a; i++)
		assert_int_equal(a[i], orig[i] ^ tmask[i & 3]);
	for (size_t split = 0; split <= sizeof b; split++) {
		memcpy(b, orig, sizeof b);
		ws_mask(b, split, tmask, 0);
		ws_mask(b + split, sizeof b - split, tmask, split);
		assert_memory_equal(a, b, sizeof a);
	}
	ws_mask(a, sizeof a, tmask, UINT64_C(1) << 40); /* offset 2^40 == 0 mod 4 */
	assert_memory_equal(a, orig, sizeof a);
}

/* ---- UTF-8 ---- */

static void test_utf8_cases(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len;
		bool ok;
	} c[] = {
		{ "", 0, true },
		{ "plain ascii, longer than eight bytes", 36, true },
		{ "\xC3\xA9", 2, true },			/* U+00E9 */
		{ "\xE2\x82\xAC", 3, true },		/* U+20AC */
		{ "\xF0\x9D\x84\x9E", 4, true },		/* U+1D11E */
		{ "\xF4\x8F\xBF\xBF", 4, true },		/* U+10FFFF */
		{ "\xEF\xBF\xBF", 3, true },		/* U+FFFF */
		{ "\xED\x9F\xBF", 3, true },		/* U+D7FF */
		{ "\xEE\x80\x80", 3, true },		/* U+E000 */
		{ "abcdefgh\xC2\x80xyz", 13, true },
		{ "a\0b", 3, true },			/* NUL is valid */
		{ "\xC0\x80", 2, false },			/* overlong NUL */
		{ "\xC1\xBF", 2, false },			/* overlong */
		{ "\xE0\x80\x80", 3, false },		/* overlong */
		{ "\xE0\x9F\xBF", 3, false },		/* overlong U+07FF */
		{ "\xF0\x80\x80\x80", 4, false },		/* overlong */
		{ "\xF0\x8F\xBF\xBF", 4, false },		/* overlong U+FFFF */
		{ "\xED\xA0\x80", 3, false },		/* U+D800 surrogate */
		{ "\xED\xBF\xBF", 3, false },		/* U+DFFF surrogate */
		{ "\xF4\x90\x80\x80", 4, false },		/* U+110000 */
		{ "\xF5\x80\x80\x80", 4, false },
		{ "\xFF", 1, false },
		{ "\x80", 1, false },			/* lone continuation */
		{ "\xE2\x82", 2, false },			/* truncated */
		{ "abcdefghijk\xF0\x9D\x84", 14, false }, /* truncated at the end */
		{ "\xE2\x28\xA1", 3, false },		/* bad continuation */
		{ "\xC3\xA9\xA9", 3, false },		/* extra continuation */
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (ws_utf8_valid((const uint8_t *)c[i].s, c[i].len) != c[i].ok)
			fail_msg("case %zu: expected %d", i, c[i].ok);
}

/* Reference decoder by code point arithmetic, a different method from the
 * byte-range one under test. */
static bool ref_utf8_valid(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0 || i + n > len)
			return false;
		uint32_t cp = n == 1 ? c : c & (0x7F >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

static void test_utf8_exhaustive(void **state)
{
	(void)state;
	uint8_t b[4];
	for (uint32_t v = 0; v < (1u << 24); v++) { /* every 1..3 byte string */
		b[0] = (uint8_t)(v >> 16);
		b[1] = (uint8_t)(v >> 8);
		b[2] = (uint8_t)v;
		size_t len = v < 256 ? 1 : v < 65536 ? 2 : 3;
		const uint8_t *p = b + 3 - len;
		if (ws_utf8_valid(p, len) != ref_utf8_valid(p, len))
			fail_msg("mismatch on %06x (len %zu)", (unsigned)v, len);
	}
	static const uint8_t tails[] = { 0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF };
	for (unsigned lead = 0xF0; lead <= 0xFF; lead++)
		for (unsigned s1 = 0; s1 < 256; s1++)
			for (size_t t2 = 0; t2 < sizeof tails; t2++)
				for (size_t t3 = 0; t3 < sizeof tails; t3++) {
					b[0] = (uint8_t)lead;
					b[1] = (uint8_t)s1;
					b[2] = tails[t2];
					b[3] = tails[t3];
					if (ws_utf8_valid(b, 4) != ref_utf8_valid(b, 4))
						fail_msg("mismatch on %02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
				}
}

/* ---- assembler: delivery ---- */

static void test_masked_text_rfc(void **state)
{
	(void)state;
	/* RFC 6455 5.7: a single-frame masked text message "Hello" */
	static const uint8_t b[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct stream s = { (uint8_t *)b, sizeof b };
	struct rec r = { 0 };
	assert_int_equal(run(&s, 1024, 0, &r), 0);
	assert_string_equal(r.log, "T5:Hello;");
	assert_int_equal(run(&s, 1024, 1, &r), 0); /* byte by byte */
	assert_string_equal(r.log, "T5:Hello;");
	uint8_t mine[sizeof b];
	assert_int_equal(raw_frame(mine, 0x81, true, "Hello", 5), sizeof b);
	assert_memory_equal(mine, b, sizeof b);
	rec_reset(&r);
}

static void test_stream_every_split(void **state)
{
	(void)state;
	struct stream s;
	st_init(&s, 4096);
	st_put(&s, true, WS_OP_TEXT, "first");
	st_put(&s, true, WS_OP_PING, "are you there");
	st_putn(&s, 0x82, true, NULL, 300); /* 16-bit length */
	st_put(&s, true, WS_OP_PONG, "");
	st_put(&s, true, WS_OP_TEXT, "");
	st_put(&s, true, WS_OP_TEXT, "caf\xC3\xA9 \xE2\x82\xAC");
	st_put(&s, true, WS_OP_CLOSE, "\x03\xE8" "bye");
	struct rec r = { 0 };
	assert_int_equal(run_all(&s, 1024, &r), 0);
	assert_string_equal(r.log, "T5:first;P13:are you there;B300;O0:;T0:;T9:caf\xC3\xA9 \xE2\x82\xAC;"
				   "C1000:bye;");
	/* and every split point of two feeds */
	for (size_t cut = 0; cut <= s.len; cut++) {
		rec_reset(&r);
		struct ws_assembler *a = ws_assembler_new(1024, &rec_events, &r);
		assert_int_equal(ws_assembler_feed(a, s.buf, cut), 0);
		assert_int_equal(ws_assembler_feed(a, s.buf + cut, s.len - cut), 0);
		assert_int_equal(r.n_events, 7);
		ws_assembler_free(a);
	}
	rec_reset(&r);
	free(s.buf);
}

static void test_fragmented_with_ping(void **state)
{
	(void)state;
	struct stream s;
	st_init(&s, 256);
	st_put(&s, false, WS_OP_TEXT, "Hel");
	st_put(&s, true, WS_OP_PING, "p1");
	st_put(&s, false, WS_OP_CONT, "lo ");
	st_put(&s, true, WS_OP_PONG, "p2");
	st_put(&s, true, WS_OP_PING, "");
	st_put(&s, true, WS_OP_CONT, "world");
	st_put(&s, false, WS_OP_BINARY, "ab");
	st_put(&s, true, WS_OP_CONT, "");
	struct rec r = { 0 };
	assert_int_equal(run_all(&s, 1024, &r), 0);
	assert_string_equal(r.log, "P2:p1;O2:p2;P0:;T11:Hello world;B2:ab;");
	rec_reset(&r);
	free(s.buf);
}

static void test_utf8_split_across_fragments(void **state)
{
	(void)state;
	struct stream s;
	st_init(&s, 256);
	st_put(&s, false, WS_OP_TEXT, "x\xF0\x9D");
	st_put(&s, false, WS_OP_CONT, "\x84");
	st_put(&s, true, WS_OP_CONT, "\x9E" "y");
	struct rec r = { 0 };
	assert_int_equal(run_all(&s, 1024, &r), 0);
	assert_string_equal(r.log, "T6:x\xF0\x9D\x84\x9Ey;");
	free(s.buf);

	st_init(&s, 256); /* same, but the character is never finished */
	st_put(&s, false, WS_OP_TEXT, "x\xF0\x9D");
	st_put(&s, true, WS_OP_CONT, "\x84");
	assert_int_equal(run_all(&s, 1024, &r), -WS_CLOSE_INVALID_DATA);
	assert_string_equal(r.log, "");
	rec_reset(&r);
	free(s.buf);
}

static void test_binary_not_utf8_checked(void **state)
{
	(void)state;
	struct stream s;
	st_init(&s, 64);
	st_putn(&s, 0x82, true, "\xFF\xC0\x80", 3);
	struct rec r = { 0 };
	assert_int_equal(run_all(&s, 16, &r), 0);
	assert_int_equal(r.last_len, 3);
	assert_memory_equal(r.last, "\xFF\xC0\x80", 3);
	rec_reset(&r);
	free(s.buf);
}

/* ---- assembler: violations ---- */

struct fspec {
	uint8_t b0;
	bool unmasked;
	const char *p; /* NULL: len bytes of 'a' */
	size_t len;
};

struct vcase {
	const char *name;
	size_t max;
	size_t n;
	struct fspec f[3];
	int want;
	size_t events; /* delivered before the violation */
};

#define P (-WS_CLOSE_PROTOCOL)
static const struct vcase violations[] = {
	{ "unmasked text", 64, 1, { { 0x81, true, "hi", 2 } }, P, 0 },
	{ "unmasked ping", 64, 1, { { 0x89, true, "", 0 } }, P, 0 },
	{ "rsv1", 64, 1, { { 0xC1, false, "hi", 2 } }, P, 0 },
	{ "rsv2", 64, 1, { { 0xA1, false, "hi", 2 } }, P, 0 },
	{ "rsv3", 64, 1, { { 0x91, false, "hi", 2 } }, P, 0 },
	{ "rsv on ping", 64, 1, { { 0xC9, false, "", 0 } }, P, 0 },
	{ "rsv on continuation", 64, 2, { { 0x01, false, "a", 1 }, { 0xC0, false, "b", 1 } }, P, 0 },
	{ "fragmented ping", 64, 1, { { 0x09, false, "x", 1 } }, P, 0 },
	{ "fragmented close", 64, 1, { { 0x08, false, "", 0 } }, P, 0 },
	{ "ping 126", 512, 1, { { 0x89, false, NULL, 126 } }, P, 0 },
	{ "pong 126", 512, 1, { { 0x8A, false, NULL, 126 } }, P, 0 },
	{ "close 126", 512, 1, { { 0x88, false, NULL, 126 } }, P, 0 },
	{ "continuation first", 64, 1, { { 0x80, false, "x", 1 } }, P, 0 },
	{ "open continuation first", 64, 1, { { 0x00, false, "x", 1 } }, P, 0 },
	{ "continuation after end", 64, 2, { { 0x81, false, "a", 1 }, { 0x80, false, "b", 1 } }, P, 1 },
	{ "text in text", 64, 2, { { 0x01, false, "a", 1 }, { 0x81, false, "b", 1 } }, P, 0 },
	{ "binary in text", 64, 2, { { 0x01, false, "a", 1 }, { 0x82, false, "b", 1 } }, P, 0 },
	{ "text in binary", 64, 2, { { 0x02, false, "a", 1 }, { 0x01, false, "b", 1 } }, P, 0 },
	{ "bad utf8 text", 64, 1, { { 0x81, false, "\xC0\x80", 2 } }, -WS_CLOSE_INVALID_DATA, 0 },
	{ "bad utf8 fragmented", 64, 2, { { 0x01, false, "\xED", 1 }, { 0x80, false, "\xA0\x80", 2 } },
	  -WS_CLOSE_INVALID_DATA, 0 },
	{ "too big", 16, 1, { { 0x82, false, NULL, 17 } }, -WS_CLOSE_TOO_BIG, 0 },
	{ "too big fragmented", 16, 2, { { 0x02, false, NULL, 10 }, { 0x80, false, NULL, 7 } },
	  -WS_CLOSE_TOO_BIG, 0 },
	{ "close 1 byte", 64, 1, { { 0x88, false, "\x03", 1 } }, P, 0 },
	{ "close 999", 64, 1, { { 0x88, false, "\x03\xE7", 2 } }, P, 0 },
	{ "close 0", 64, 1, { { 0x88, false, "\x00\x00", 2 } }, P, 0 },
	{ "close 1004", 64, 1, { { 0x88, false, "\x03\xEC", 2 } }, P, 0 },
	{ "close 1005", 64, 1, { { 0x88, false, "\x03\xED", 2 } }, P, 0 },
	{ "close 1006", 64, 1, { { 0x88, false, "\x03\xEE", 2 } }, P, 0 },
	{ "close 1015", 64, 1, { { 0x88, false, "\x03\xF7", 2 } }, P, 0 },
	{ "close 1016", 64, 1, { { 0x88, false, "\x03\xF8", 2 } }, P, 0 },
	{ "close 2999", 64, 1, { { 0x88, false, "\x0B\xB7", 2 } }, P, 0 },
	{ "close 5000", 64, 1, { { 0x88, false, "\x13\x88", 2 } }, P, 0 },
	{ "close 65535", 64, 1, { { 0x88, false, "\xFF\xFF", 2 } }, P, 0 },
	{ "close bad reason", 64, 1, { { 0x88, false, "\x03\xE8" "ok\xFF", 5 } }, -WS_CLOSE_INVALID_DATA, 0 },
	{ "close surrogate reason", 64, 1, { { 0x88, false, "\x03\xE8\xED\xA0\x80", 5 } },
	  -WS_CLOSE_INVALID_DATA, 0 },
};
#undef P

static void build_case(struct stream *s, const struct vcase *c)
{
	for (size_t i = 0; i < c->n; i++)
		st_putn(s, c->f[i].b0, !c->f[i].unmasked, c->f[i].p, c->f[i].len);
}

static void test_violations(void **state)
{
	(void)state;
	struct rec r = { 0 };
	for (size_t i = 0; i < sizeof violations / sizeof violations[0]; i++) {
		const struct vcase *c = &violations[i];
		struct stream s;
		st_init(&s, 1024);
		build_case(&s, c);
		int rc = run_all(&s, c->max, &r);
		if (rc != c->want)
			fail_msg("%s: got %d, want %d (events '%s')", c->name, rc, c->want, r.log);
		if (r.n_events != c->events)
			fail_msg("%s: delivered '%s'", c->name, r.log);
		free(s.buf);
	}
	rec_reset(&r);
}

static void test_reserved_opcodes(void **state)
{
	(void)state;
	struct rec r = { 0 };
	for (uint8_t op = 0; op < 16; op++) {
		struct stream s;
		st_init(&s, 64);
		st_putn(&s, (uint8_t)(0x80 | op), true, "", 0);
		bool known = op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10;
		int rc = run_all(&s, 64, &r);
		if (known) {
			/* a lone final continuation is also an error */
			assert_int_equal(rc, op == 0 ? -WS_CLOSE_PROTOCOL : 0);
		} else if (rc != -WS_CLOSE_PROTOCOL) {
			fail_msg("opcode %u: got %d", op, rc);
		}
		free(s.buf);
	}
	rec_reset(&r);
}

static void test_top_bit_length(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	struct stream s = { (uint8_t *)b, sizeof b };
	struct rec r = { 0 };
	assert_int_equal(run_all(&s, 64, &r), -WS_CLOSE_PROTOCOL);
	rec_reset(&r);
}

/* The size check happens on the header alone, before any payload byte. */
static void test_too_big_on_header(void **state)
{
	(void)state;
	struct rec r = { 0 };
	/* binary frame announcing 1001 bytes (64-bit length), no payload sent */
	static const uint8_t h1001[] = { 0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x03, 0xE9, 1, 2, 3, 4 };
	static const uint8_t huge[] = { 0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4 };
	const uint8_t *hs[] = { h1001, huge };
	for (size_t i = 0; i < 2; i++) {
		struct ws_assembler *a = ws_assembler_new(1000, &rec_events, &r);
		assert_int_equal(ws_assembler_feed(a, hs[i], 14), -WS_CLOSE_TOO_BIG);
		assert_int_equal(r.n_events, 0);
		ws_assembler_free(a);
	}
}

/* ---- assembler: limits and memory ---- */

static void test_max_message_exact(void **state)
{
	(void)state;
	struct rec r = { 0 };
	for (size_t max = 0; max <= 600; max += (max < 4 ? 1 : 149)) {
		struct stream s;
		st_init(&s, 4096);
		st_putn(&s, 0x81, true, NULL, max);
		assert_int_equal(run_all(&s, max, &r), 0);
		assert_int_equal(r.last_len, max);
		s.len = 0;
		st_putn(&s, 0x81, true, NULL, max + 1);
		assert_int_equal(run_all(&s, max, &r), -WS_CLOSE_TOO_BIG);
		assert_string_equal(r.log, "");

		s.len = 0; /* fragments adding up to max, then max + 1 */
		st_putn(&s, 0x02, true, NULL, max / 3);
		st_putn(&s, 0x00, true, NULL, max / 3);
		st_putn(&s, 0x80, true, NULL, max - 2 * (max / 3));
		assert_int_equal(run_all(&s, max, &r), 0);
		assert_int_equal(r.last_len, max);
		s.len = 0;
		st_putn(&s, 0x02, true, NULL, max / 3);
		st_putn(&s, 0x00, true, NULL, max / 3);
		st_putn(&s, 0x80, true, NULL, max - 2 * (max / 3) + 1);
		assert_int_equal(run_all(&s, max, &r), -WS_CLOSE_TOO_BIG);
		free(s.buf);
	}
	rec_reset(&r);
}

static void test_large_message_content(void **state)
{
	(void)state;
	const size_t total = 200000, max = 1 << 20, chunk = 1009;
	uint8_t *msg = malloc(total);
	assert_non_null(msg);
	for (size_t i = 0; i < total; i++)
		msg[i] = (uint8_t)(i * 31 + (i >> 8));
	struct stream s;
	st_init(&s, total + 256);
	st_putn(&s, 0x02, true, msg, 70000);          /* 64-bit length */
	st_putn(&s, 0x89, true, "mid", 3);
	st_putn(&s, 0x00, true, msg + 70000, 65535); /* 16-bit length */
	st_putn(&s, 0x00, true, msg + 135535, 1);
	st_putn(&s, 0x80, true, msg + 135536, total - 135536);

	struct rec r = { 0 };
	struct ws_assembler *a = ws_assembler_new(max, &rec_events, &r);
	size_t fed = 0, peak = 0;
	for (size_t off = 0; off < s.len; off += chunk) {
		size_t n = s.len - off < chunk ? s.len - off : chunk;
		assert_int_equal(ws_assembler_feed(a, s.buf + off, n), 0);
		fed += n;
		size_t b = ws_assembler_buffered(a);
		assert_true(b <= fed); /* never more than received */
		if (b > peak)
			peak = b;
	}
	assert_true(peak >= total - chunk);
	assert_string_equal(r.log, "P3:mid;B200000;");
	assert_int_equal(r.last_len, total);
	assert_memory_equal(r.last, msg, total);
	assert_int_equal(ws_assembler_buffered(a), 0);

	s.len = 0; /* the assembler goes on after a large message */
	st_put(&s, true, WS_OP_TEXT, "after");
	assert_int_equal(ws_assembler_feed(a, s.buf, s.len), 0);
	assert_string_equal(r.log, "P3:mid;B200000;T5:after;");
	ws_assembler_free(a);
	rec_reset(&r);
	free(msg);
	free(s.buf);
}

static void test_buffered_partial(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct ws_assembler *a = ws_assembler_new(100, &rec_events, &r);
	assert_int_equal(ws_assembler_buffered(a), 0);
	uint8_t f[64];
	size_t n = raw_frame(f, 0x01, true, "abcd", 4); /* 6-byte header + 4 */
	assert_int_equal(ws_assembler_feed(a, f, 3), 0);
	assert_int_equal(ws_assembler_buffered(a), 3); /* partial header */
	assert_int_equal(ws_assembler_feed(a, f + 3, 5), 0);
	assert_int_equal(ws_assembler_buffered(a), 2); /* 2 payload bytes */
	assert_int_equal(ws_assembler_feed(a, f + 8, n - 8), 0);
	assert_int_equal(ws_assembler_buffered(a), 4); /* open fragmented message */
	n = raw_frame(f, 0x89, true, "ping", 4);
	assert_int_equal(ws_assembler_feed(a, f, n - 1), 0);
	assert_int_equal(ws_assembler_buffered(a), 7); /* message + 3 ping bytes */
	assert_int_equal(ws_assembler_feed(a, f + n - 1, 1), 0);
	n = raw_frame(f, 0x80, true, "e", 1);
	assert_int_equal(ws_assembler_feed(a, f, n), 0);
	assert_int_equal(ws_assembler_buffered(a), 0);
	assert_string_equal(r.log, "P4:ping;T5:abcde;");
	ws_assembler_free(a);
	rec_reset(&r);
}

/* ---- close frames ---- */

static void test_close_frames(void **state)
{
	(void)state;
	struct rec r = { 0 };
	struct stream s;
	st_init(&s, 1024);
	st_put(&s, true, WS_OP_CLOSE, "\x03\xE9going \xE2\x82\xAC");
	assert_int_equal(run_all(&s, 64, &r), 0);
	assert_string_equal(r.log, "C1001:going \xE2\x82\xAC;");

	s.len = 0;
	st_put(&s, true, WS_OP_CLOSE, "");
	assert_int_equal(run_all(&s, 64, &r), 0);
	assert_string_equal(r.log, "C1005:;");

	s.len = 0;
	st_putn(&s, 0x88, true, "\x03", 1);
	assert_int_equal(run_all(&s, 64, &r), -WS_CLOSE_PROTOCOL);
	assert_string_equal(r.log, "");

	s.len = 0;
	st_putn(&s, 0x88, true, "\x03\xEE", 2);
	assert_int_equal(run_all(&s, 64, &r), -WS_CLOSE_PROTOCOL);

	static const uint16_t good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
					 1011, 1012, 1013, 1014, 3000, 4000, 4999 };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint8_t body[2] = { (uint8_t)(good[i] >> 8), (uint8_t)good[i] };
		s.len = 0;
		st_putn(&s, 0x88, true, body, 2);
		assert_int_equal(run_all(&s, 64, &r), 0);
		char want[32];
		snprintf(want, sizeof want, "C%u:;", good[i]);
		assert_string_equal(r.log, want);
	}
	uint8_t body[125]; /* largest control frames */
	memset(body, 'a', sizeof body);
	body[0] = 0x0F; /* 4000 */
	body[1] = 0xA0;
	s.len = 0;
	st_putn(&s, 0x88, true, body, sizeof body);
	st_putn(&s, 0x89, true, body, sizeof body);
	st_putn(&s, 0x8A, true, body, sizeof body);
	assert_int_equal(run_all(&s, 64, &r), 0);
	assert_string_equal(r.log, "C4000;P125;O125;");
	free(s.buf);
	rec_reset(&r);
}

/* ---- callbacks ---- */

static void test_callback_return_propagated(void **state)
{
	(void)state;
	static const struct {
		uint8_t op;
		const char *p;
	} c[] = {
		{ WS_OP_TEXT, "t" }, { WS_OP_BINARY, "b" }, { WS_OP_PING, "p" },
		{ WS_OP_PONG, "o" }, { WS_OP_CLOSE, "\x03\xE8" }, { WS_OP_CLOSE, "" },
	};
	struct rec r = { 0 };
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct stream s;
		st_init(&s, 64);
		st_put(&s, true, c[i].op, c[i].p);
		st_put(&s, true, WS_OP_TEXT, "never");
		for (size_t chunk = 0; chunk <= 3; chunk++) {
			rec_reset(&r);
			r.ret = (int)i * 10 + 42;
			struct ws_assembler *a = ws_assembler_new(64, &rec_events, &r);
			assert_int_equal(feed_chunked(a, s.buf, s.len, chunk), r.ret);
			assert_int_equal(r.n_events, 1); /* stopped after the first */
			ws_assembler_free(a);
		}
		free(s.buf);
	}
	rec_reset(&r);
}

static void test_null_callbacks(void **state)
{
	(void)state;
	struct ws_assembler_events none = { 0 };
	struct ws_assembler *a = ws_assembler_new(64, &none, NULL);
	struct stream s;
	st_init(&s, 256);
	st_put(&s, true, WS_OP_TEXT, "t");
	st_put(&s, true, WS_OP_PING, "p");
	st_put(&s, true, WS_OP_PONG, "o");
	st_put(&s, true, WS_OP_CLOSE, "\x03\xE8");
	assert_int_equal(ws_assembler_feed(a, s.buf, s.len), 0);
	s.len = 0;
	st_put(&s, true, WS_OP_CLOSE, "\x03\xED"); /* still validated */
	assert_int_equal(ws_assembler_feed(a, s.buf, s.len), -WS_CLOSE_PROTOCOL);
	ws_assembler_free(a);
	ws_assembler_free(NULL);
	free(s.buf);
}

/* A masked client frame goes through the server's own assembler. */
static int got_text(void *arg, enum ws_opcode op, const uint8_t *data, size_t len)
{
	char *out = arg;
	assert_int_equal(op, WS_OP_TEXT);
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

static void test_client_frame_encode(void **state)
{
	(void)state;
	static const size_t lens[] = { 0, 5, 125, 126, 300, 70000 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		uint8_t mask[4] = { 0x12, 0x34, 0x56, (uint8_t)i };
		uint8_t *frame = malloc(14 + len);
		char *msg = malloc(len + 1), *got = malloc(len + 1);
		assert_non_null(frame);
		for (size_t k = 0; k < len; k++)
			msg[k] = (char)('a' + k % 26);
		msg[len] = '\0';
		size_t h = ws_frame_header_encode_masked(frame, true, WS_OP_TEXT, len, mask);
		assert_int_equal(h, (len < 126 ? 2 : len <= 0xFFFF ? 4 : 10) + 4);
		memcpy(frame + h, msg, len);
		ws_mask(frame + h, len, mask, 0);
		struct ws_frame_header fh;
		assert_int_equal(ws_frame_header_decode(&fh, frame, h + len), (int)h);
		assert_true(fh.masked && fh.fin);
		assert_int_equal(fh.payload_len, len);
		assert_memory_equal(fh.mask, mask, 4);
		struct ws_assembler_events ev = { .message = got_text };
		struct ws_assembler *a = ws_assembler_new(100000, &ev, got);
		got[0] = '\0';
		assert_int_equal(ws_assembler_feed(a, frame, h + len), 0);
		assert_string_equal(got, msg);
		ws_assembler_free(a);
		free(frame);
		free(msg);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_rfc_example),
		cmocka_unit_test(test_accept_bad_keys),
		cmocka_unit_test(test_header_decode_7bit),
		cmocka_unit_test(test_header_decode_16bit),
		cmocka_unit_test(test_header_decode_64bit),
		cmocka_unit_test(test_header_encode_roundtrip),
		cmocka_unit_test(test_client_frame_encode),
		cmocka_unit_test(test_mask_offsets),
		cmocka_unit_test(test_utf8_cases),
		cmocka_unit_test(test_utf8_exhaustive),
		cmocka_unit_test(test_masked_text_rfc),
		cmocka_unit_test(test_stream_every_split),
		cmocka_unit_test(test_fragmented_with_ping),
		cmocka_unit_test(test_utf8_split_across_fragments),
		cmocka_unit_test(test_binary_not_utf8_checked),
		cmocka_unit_test(test_violations),
		cmocka_unit_test(test_reserved_opcodes),
		cmocka_unit_test(test_top_bit_length),
		cmocka_unit_test(test_too_big_on_header),
		cmocka_unit_test(test_max_message_exact),
		cmocka_unit_test(test_large_message_content),
		cmocka_unit_test(test_buffered_partial),
		cmocka_unit_test(test_close_frames),
		cmocka_unit_test(test_callback_return_propagated),
		cmocka_unit_test(test_null_callbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
