/* RFC 6455 wire format, server side. See signal/ws.h for the contract.
 *
 * Design of the assembler (one per connection, used by one thread only):
 *
 *   HEADER --(header complete, checked)--> PAYLOAD --(frame complete)--> HEADER
 *
 * In HEADER the bytes of a header split across feeds are kept in hdr[14];
 * a header that arrives whole is decoded in place. In PAYLOAD the bytes are
 * copied either to ctl[125] (control frames) or appended to msg (the data
 * message being reassembled) and unmasked where they land; the mask position
 * continues across feeds (frame_got). Control frames are delivered as soon as
 * they are complete, also between the fragments of a data message, because
 * they never touch msg.
 *
 * Memory: msg grows geometrically as payload bytes arrive (never ahead of
 * them, so a header announcing a large frame costs nothing until the bytes
 * come) and never past max_message. It is kept between messages so the
 * steady path allocates nothing; after a message that made it bigger than
 * WS_MSG_KEEP it is released so one large message does not pin memory for the
 * life of the connection.
 *
 * Errors are sticky: after a violation or a callback's non-zero return the
 * same value is returned by every later feed. */
#include "signal/ws.h"

#include "core/util.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24
#define WS_KEY_RAW 16
#define WS_HDR_MAX 14
#define WS_CTL_MAX 125
#define WS_MSG_MIN 256          /* first allocation of msg */
#define WS_MSG_KEEP (64 * 1024) /* msg capacity kept between messages */

struct ws_assembler {
	struct ws_assembler_events ev; /* copied: the caller's struct may go away */
	void *arg;
	size_t max_message;
	int err; /* sticky result after a failure, else 0 */

	uint8_t hdr[WS_HDR_MAX]; /* partial header bytes */
	size_t hdr_len;

	bool in_payload;
	struct ws_frame_header fh; /* frame being read */
	uint64_t frame_got;        /* payload bytes of fh received so far */
	uint8_t ctl[WS_CTL_MAX];   /* control frame payload */

	bool msg_open; /* a data message has started and not yet finished */
	uint8_t msg_op;
	uint8_t *msg;
	size_t msg_len;
	size_t msg_cap;
};

/* ---- handshake ---- */

int ws_accept_key(char out[29], const char *client_key)
{
	if (!client_key || strnlen(client_key, WS_KEY_LEN + 1) != WS_KEY_LEN)
		return -EINVAL;
	uint8_t raw[WS_KEY_RAW + 2];
	if (rg_base64_decode(raw, sizeof raw, client_key, WS_KEY_LEN) != WS_KEY_RAW)
		return -EINVAL;

	char cat[WS_KEY_LEN + sizeof WS_GUID];
	memcpy(cat, client_key, WS_KEY_LEN);
	memcpy(cat + WS_KEY_LEN, WS_GUID, sizeof WS_GUID);
	uint8_t digest[SHA_DIGEST_LENGTH];
	if (!SHA1((const unsigned char *)cat, sizeof cat - 1, digest))
		return -EIO; /* OpenSSL could not fetch SHA-1: not the key's fault */

	char tmp[29];
	if (rg_base64_encode(tmp, sizeof tmp, digest, sizeof digest) != 28)
		return -EIO;
	memcpy(out, tmp, sizeof tmp);
	return 0;
}

/* ---- frame header ---- */

static uint64_t read_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int ws_frame_header_decode(struct ws_frame_header *h, const uint8_t *buf, size_t len)
{
	if (len < 2)
		return 0;
	uint8_t len7 = buf[1] & 0x7F;
	size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	if (len < 2 + ext)
		return 0;
	uint64_t plen = ext ? read_be(buf + 2, ext) : len7;
	if (plen >> 63)
		return -WS_CLOSE_PROTOCOL;
	bool masked = buf[1] & 0x80;
	size_t hlen = 2 + ext + (masked ? 4 : 0);
	if (len < hlen)
		return 0;

	struct ws_frame_header r = {
		.fin = buf[0] & 0x80,
		.rsv = (buf[0] >> 4) & 7,
		.opcode = buf[0] & 0x0F,
		.masked = masked,
		.payload_len = plen,
		.header_len = hlen,
	};
	if (masked)
		memcpy(r.mask, buf + 2 + ext, 4);
	*h = r;
	return (int)hlen;
}

size_t ws_frame_header_encode(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len)
{
	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
	if (payload_len < 126) {
		out[1] = (uint8_t)payload_len;
		return 2;
	}
	size_t ext = payload_len <= 0xFFFF ? 2 : 8;
	out[1] = ext == 2 ? 126 : 127;
	for (size_t i = 0; i < ext; i++)
		out[2 + i] = (uint8_t)(payload_len >> (8 * (ext - 1 - i)));
	return 2 + ext;
}

size_t ws_frame_header_encode_masked(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len,
				     const uint8_t mask[4])
{
	size_t n = ws_frame_header_encode(out, fin, opcode, payload_len);
	out[1] |= 0x80;
	memcpy(out + n, mask, 4);
	return n + 4;
}

void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
	uint8_t m[4];
	for (size_t k = 0; k < 4; k++)
		m[k] = mask[(offset + k) & 3];
	for (size_t i = 0; i < len; i++)
		data[i] ^= m[i & 3];
}

/* ---- UTF-8 ---- */

/* Length of the run of ASCII bytes at the start of s. */
static size_t ascii_run(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i + 8 <= len) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
		i += 8;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

/* Validates one multi-byte sequence starting with lead byte s[0] (>= 0x80).
 * Returns its length, or 0 when it is invalid or truncated. The allowed range
 * of the second byte excludes overlongs (E0, F0), surrogates (ED) and code
 * points above U+10FFFF (F4) (RFC 3629 section 4). */
static size_t utf8_seq(const uint8_t *s, size_t len)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xBF;
	size_t n;
	if (c < 0xC2)
		return 0; /* continuation byte or overlong 2-byte lead */
	if (c < 0xE0) {
		n = 2;
	} else if (c < 0xF0) {
		n = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c < 0xF5) {
		n = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

bool ws_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		i += ascii_run(s + i, len - i);
		if (i == len)
			break;
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* ---- assembler ---- */

struct ws_assembler *ws_assembler_new(size_t max_message, const struct ws_assembler_events *ev,
				      void *arg)
{
	struct ws_assembler *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (ev)
		a->ev = *ev;
	a->arg = arg;
	a->max_message = max_message;
	return a;
}

void ws_assembler_free(struct ws_assembler *a)
{
	if (!a)
		return;
	free(a->msg);
	free(a);
}

static bool is_control(uint8_t opcode)
{
	return opcode & 8;
}

/* Header bytes kept + control payload read so far + message reassembled so
 * far: the data held, not the capacity allocated (during a message that is
 * at most max(WS_MSG_MIN, twice the data); between messages <= WS_MSG_KEEP). */
size_t ws_assembler_buffered(const struct ws_assembler *a)
{
	size_t ctl = a->in_payload && is_control(a->fh.opcode) ? (size_t)a->frame_got : 0;
	return a->hdr_len + ctl + a->msg_len;
}

static bool opcode_known(uint8_t op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* Checks a frame header against the connection state (RFC 6455 5.2-5.5). */
static int header_check(const struct ws_assembler *a, const struct ws_frame_header *h)
{
	if (h->rsv || !opcode_known(h->opcode) || !h->masked)
		return -WS_CLOSE_PROTOCOL;
	if (is_control(h->opcode))
		return h->fin && h->payload_len <= WS_CTL_MAX ? 0 : -WS_CLOSE_PROTOCOL;
	if ((h->opcode == WS_OP_CONT) != a->msg_open)
		return -WS_CLOSE_PROTOCOL; /* orphan continuation, or a new message inside one */
	if (h->payload_len > (uint64_t)(a->max_message - a->msg_len))
		return -WS_CLOSE_TOO_BIG;
	return 0;
}

/* Grows msg geometrically so that it holds need bytes (need <= max_message). */
static int msg_reserve(struct ws_assembler *a, size_t need)
{
	if (need <= a->msg_cap)
		return 0;
	size_t cap = a->msg_cap ? a->msg_cap : WS_MSG_MIN;
	while (cap < need)
		cap = cap > a->max_message / 2 ? a->max_message : cap * 2;
	if (cap > a->max_message)
		cap = a->max_message;
	uint8_t *p = realloc(a->msg, cap);
	if (!p)
		return -WS_CLOSE_INTERNAL;
	a->msg = p;
	a->msg_cap = cap;
	return 0;
}

static void msg_release_if_big(struct ws_assembler *a)
{
	if (a->msg_cap <= WS_MSG_KEEP)
		return;
	free(a->msg);
	a->msg = NULL;
	a->msg_cap = 0;
}

static int deliver_message(struct ws_assembler *a)
{
	const uint8_t *data = a->msg ? a->msg : a->ctl; /* never NULL, even if empty */
	if (a->msg_op == WS_OP_TEXT && !ws_utf8_valid(data, a->msg_len))
		return -WS_CLOSE_INVALID_DATA;
	int rc = a->ev.message ? a->ev.message(a->arg, a->msg_op, data, a->msg_len) : 0;
	a->msg_open = false;
	a->msg_len = 0;
	msg_release_if_big(a);
	return rc;
}

/* RFC 6455 7.4: codes a peer may send. 1012-1014 were registered later
 * (IANA) and browsers send them, so they are accepted too. */
static bool close_code_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int deliver_close(struct ws_assembler *a, size_t len)
{
	uint16_t code = WS_CLOSE_NO_STATUS;
	const uint8_t *reason = a->ctl;
	size_t reason_len = 0;
	if (len == 1)
		return -WS_CLOSE_PROTOCOL;
	if (len >= 2) {
		code = (uint16_t)(a->ctl[0] << 8 | a->ctl[1]);
		if (!close_code_valid(code))
			return -WS_CLOSE_PROTOCOL;
		reason += 2;
		reason_len = len - 2;
		if (!ws_utf8_valid(reason, reason_len))
			return -WS_CLOSE_INVALID_DATA;
	}
	return a->ev.close ? a->ev.close(a->arg, code, reason, reason_len) : 0;
}

static int deliver_control(struct ws_assembler *a)
{
	size_t len = (size_t)a->fh.payload_len;
	switch (a->fh.opcode) {
	case WS_OP_PING:
		return a->ev.ping ? a->ev.ping(a->arg, a->ctl, len) : 0;
	case WS_OP_PONG:
		return a->ev.pong ? a->ev.pong(a->arg, a->ctl, len) : 0;
	default:
		return deliver_close(a, len);
	}
}

static int frame_end(struct ws_assembler *a)
{
	a->in_payload = false;
	if (is_control(a->fh.opcode))
		return deliver_control(a);
	return a->fh.fin ? deliver_message(a) : 0;
}

static int frame_begin(struct ws_assembler *a)
{
	int rc = header_check(a, &a->fh);
	if (rc)
		return rc;
	if (a->fh.opcode == WS_OP_TEXT || a->fh.opcode == WS_OP_BINARY) {
		a->msg_open = true;
		a->msg_op = a->fh.opcode;
		a->msg_len = 0;
	}
	a->frame_got = 0;
	a->in_payload = true;
	return a->fh.payload_len == 0 ? frame_end(a) : 0;
}

/* Consumes header bytes; *used is how many of buf were taken. */
static int feed_header(struct ws_assembler *a, const uint8_t *buf, size_t len, size_t *used)
{
	size_t old = a->hdr_len;
	int r;
	if (old == 0) {
		r = ws_frame_header_decode(&a->fh, buf, len); /* whole header in place */
		if (r == 0) {
			memcpy(a->hdr, buf, len); /* len < WS_HDR_MAX here */
			a->hdr_len = len;
		}
	} else {
		size_t take = len < WS_HDR_MAX - old ? len : WS_HDR_MAX - old;
		memcpy(a->hdr + old, buf, take);
		r = ws_frame_header_decode(&a->fh, a->hdr, old + take);
		if (r == 0)
			a->hdr_len = old + take;
	}
	if (r <= 0) {
		*used = len; /* incomplete: everything was kept */
		return r;
	}
	*used = (size_t)r - old;
	a->hdr_len = 0;
	return frame_begin(a);
}

/* Consumes payload bytes of the current frame, unmasking them in place. */
static int feed_payload(struct ws_assembler *a, const uint8_t *buf, size_t len, size_t *used)
{
	uint64_t left = a->fh.payload_len - a->frame_got;
	size_t n = left < len ? (size_t)left : len;
	uint8_t *dst;
	if (is_control(a->fh.opcode)) {
		dst = a->ctl + a->frame_got;
	} else {
		int rc = msg_reserve(a, a->msg_len + n);
		if (rc)
			return rc;
		dst = a->msg + a->msg_len;
		a->msg_len += n;
	}
	memcpy(dst, buf, n);
	ws_mask(dst, n, a->fh.mask, a->frame_got);
	a->frame_got += n;
	*used = n;
	return a->frame_got == a->fh.payload_len ? frame_end(a) : 0;
}

int ws_assembler_feed(struct ws_assembler *a, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int rc = a->err;
	while (rc == 0 && off < len) {
		size_t used = 0;
		if (a->in_payload)
			rc = feed_payload(a, buf + off, len - off, &used);
		else
			rc = feed_header(a, buf + off, len - off, &used);
		off += used;
	}
	a->err = rc;
	return rc;
}
