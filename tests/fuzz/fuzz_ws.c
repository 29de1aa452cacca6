/* libFuzzer target for signal/ws.
 *
 * Input: byte 0 picks how the rest (the client byte stream) is split into
 * feeds; byte 1 seeds the chunk-size sequence. The stream is fed to one
 * assembler (max_message 4096) whole and to another in chunks; both must
 * report the same result and the same events (a digest of every callback),
 * which checks that splitting never changes behaviour. Callbacks also check
 * the contract: text is valid UTF-8, sizes are within limits. The header
 * decoder and the UTF-8 validator are run on the raw input and checked
 * against an encode round trip and a reference decoder; the start of the
 * input is also tried as a Sec-WebSocket-Key. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGE 4096

struct digest {
	uint64_t h;
	size_t events;
};

static void mix(struct digest *d, uint64_t tag, const uint8_t *p, size_t len)
{
	uint64_t h = d->h ^ (tag * 0x9E3779B97F4A7C15ULL) ^ len;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001B3ULL;
	d->h = h * 0x100000001B3ULL;
	d->events++;
}

static int on_message(void *arg, enum ws_opcode op, const uint8_t *p, size_t len)
{
	if (len > MAX_MESSAGE || (op != WS_OP_TEXT && op != WS_OP_BINARY))
		abort();
	if (op == WS_OP_TEXT && !ws_utf8_valid(p, len))
		abort();
	mix(arg, op, p, len);
	return 0;
}

static int on_ping(void *arg, const uint8_t *p, size_t len)
{
	if (len > 125)
		abort();
	mix(arg, 0x109, p, len);
	return 0;
}

static int on_pong(void *arg, const uint8_t *p, size_t len)
{
	if (len > 125)
		abort();
	mix(arg, 0x10A, p, len);
	return 0;
}

static int on_close(void *arg, uint16_t code, const uint8_t *reason, size_t len)
{
	if (len > 123 || !ws_utf8_valid(reason, len) || code < 1000 || code > 4999)
		abort();
	mix(arg, 0x10000u + code, reason, len);
	return 0;
}

static const struct ws_assembler_events events = {
	.message = on_message, .ping = on_ping, .pong = on_pong, .close = on_close,
};

/* Feeds the stream in chunks; mode 0: whole, 1: byte by byte, else sizes
 * from a small generator seeded by seed (1..64 bytes). */
static int feed(const uint8_t *s, size_t len, uint8_t mode, uint8_t seed, struct digest *d)
{
	struct ws_assembler *a = ws_assembler_new(MAX_MESSAGE, &events, d);
	if (!a)
		abort();
	int rc = 0;
	uint32_t x = seed * 2654435761u + 1;
	for (size_t off = 0; off < len && rc == 0;) {
		x = x * 1103515245u + 12345u;
		size_t n = mode == 0 ? len : mode == 1 ? 1 : 1 + (x >> 16) % (mode < 128 ? 64 : mode % 16 + 1);
		if (n > len - off)
			n = len - off;
		rc = ws_assembler_feed(a, s + off, n);
		off += n;
		if (rc == 0 && ws_assembler_buffered(a) > MAX_MESSAGE + 14 + 125)
			abort();
	}
	ws_assembler_free(a);
	return rc;
}

static void check_assembler(const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	const uint8_t *s = data + 2;
	size_t len = size - 2;
	struct digest whole = { 0, 0 }, split = { 0, 0 };
	int rc1 = feed(s, len, 0, 0, &whole);
	int rc2 = feed(s, len, data[0], data[1], &split);
	if (rc1 != rc2 || whole.h != split.h || whole.events != split.events)
		abort();
	if (rc1 != 0 && rc1 != -1002 && rc1 != -1007 && rc1 != -1009)
		abort();
}

static void check_header(const uint8_t *buf, size_t len)
{
	struct ws_frame_header h;
	int r = ws_frame_header_decode(&h, buf, len);
	if (r < 0) {
		if (r != -WS_CLOSE_PROTOCOL)
			abort();
		return;
	}
	if (r == 0) {
		if (len >= 14)
			abort(); /* 14 bytes always hold a complete header */
		return;
	}
	if ((size_t)r != h.header_len || h.header_len < 2 || h.header_len > len || h.payload_len >> 63)
		abort();
	struct ws_frame_header again;
	if (ws_frame_header_decode(&again, buf, (size_t)r - 1) != 0) /* one byte short */
		abort();
	uint8_t out[10];
	size_t n = ws_frame_header_encode(out, h.fin, h.opcode, h.payload_len);
	if (ws_frame_header_decode(&again, out, n) != (int)n || again.fin != h.fin ||
	    again.opcode != h.opcode || again.payload_len != h.payload_len || again.masked || again.rsv)
		abort();
}

/* Reference UTF-8 check by code point arithmetic. */
static bool ref_utf8(const uint8_t *s, size_t len)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0 || n > len - i)
			return false;
		uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

/* The handshake key comes from an HTTP header: any string, any length. */
static void check_accept(const uint8_t *data, size_t size)
{
	char key[32], out[29];
	size_t n = size < sizeof key - 1 ? size : sizeof key - 1;
	memcpy(key, data, n);
	key[n] = '\0';
	if (ws_accept_key(out, key) == 0 && strlen(out) != 28)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_accept(data, size);
	check_assembler(data, size);
	check_header(data, size);
	if (size >= 2)
		check_header(data + 2, size - 2);
	if (ws_utf8_valid(data, size) != ref_utf8(data, size))
		abort();

	uint8_t m[4] = { 1, 2, 3, 4 }, *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size); /* masking twice restores the input */
	ws_mask(copy, size, m, size);
	ws_mask(copy, size, m, size);
	if (size && memcmp(copy, data, size) != 0)
		abort();
	free(copy);
	return 0;
}
