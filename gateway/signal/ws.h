/* RFC 6455 WebSocket wire format: handshake key, frame header encode/decode
 * and a message assembler. Pure: no sockets, no clock, no globals; the
 * connection code (signal/wsconn.c) feeds bytes in and writes bytes out.
 * The assembler is the server side (client frames must be masked, server
 * frames are not); a client (the load generator) writes masked frames with
 * ws_frame_header_encode_masked and reads with ws_frame_header_decode. */
#ifndef RG_SIGNAL_WS_H
#define RG_SIGNAL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

/* Close codes used by the server. */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,   /* never sent on the wire */
	WS_CLOSE_INVALID_DATA = 1007, /* bad UTF-8 in a text message */
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
};

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key:
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). out needs 29
 * bytes. Returns 0, or -EINVAL when the key is not 24 base64 chars decoding to
 * 16 bytes. */
int ws_accept_key(char out[29], const char *client_key);

struct ws_frame_header {
	bool fin;
	uint8_t rsv;      /* RSV1..3 bits, must be 0 (no extensions negotiated) */
	uint8_t opcode;
	bool masked;
	uint8_t mask[4];
	uint64_t payload_len;
	size_t header_len; /* 2..14 bytes */
};

/* Decodes a frame header from buf. Returns header_len (>0) when complete, 0
 * when more bytes are needed, or -WS_CLOSE_PROTOCOL when the header is
 * malformed (non-minimal length encoding is accepted; 64-bit length with the
 * top bit set is rejected). Does not judge masking or opcodes. */
int ws_frame_header_decode(struct ws_frame_header *h, const uint8_t *buf, size_t len);

/* Writes an unmasked server frame header for (fin, opcode, payload_len) into
 * out (>= 10 bytes); returns its length. */
size_t ws_frame_header_encode(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len);

/* The same for a client frame: MASK bit set and the 4 mask bytes after the
 * length; out needs 14 bytes. The caller masks the payload with
 * ws_mask(payload, len, mask, 0). Returns the header length. */
size_t ws_frame_header_encode_masked(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len,
				     const uint8_t mask[4]);

/* XORs data with mask starting at mask position (offset & 3). */
void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* Strict UTF-8 validation (no overlongs, no surrogates, <= U+10FFFF). */
bool ws_utf8_valid(const uint8_t *s, size_t len);

/* Message assembler for the server side of one connection. */
struct ws_assembler;

struct ws_assembler_events {
	/* A complete text (validated UTF-8) or binary message. data is valid only
	 * during the call. Return 0 to go on; non-zero stops ws_assembler_feed
	 * (it returns that value). */
	int (*message)(void *arg, enum ws_opcode op, const uint8_t *data, size_t len);
	/* Control frames (payload <= 125 bytes, never fragmented). */
	int (*ping)(void *arg, const uint8_t *data, size_t len);
	int (*pong)(void *arg, const uint8_t *data, size_t len);
	/* code is WS_CLOSE_NO_STATUS when the close frame had no body. reason is
	 * validated UTF-8 (not NUL-terminated). */
	int (*close)(void *arg, uint16_t code, const uint8_t *reason, size_t reason_len);
};

/* max_message: the largest reassembled message accepted (bigger: 1009).
 * Returns NULL on allocation failure. Owned by the caller. */
struct ws_assembler *ws_assembler_new(size_t max_message, const struct ws_assembler_events *ev,
				      void *arg);
void ws_assembler_free(struct ws_assembler *a);

/* Consumes len bytes of the stream (any split: byte by byte works).
 * Returns 0 when all bytes were consumed, a callback's non-zero return value,
 * or -(close code) on a protocol violation, after which the connection must
 * be closed with that code and the assembler not fed again:
 *  -1002 unmasked client frame, reserved bits, unknown opcode, fragmented or
 *        oversized (>125) control frame, continuation without a start, a new
 *        data frame while a fragmented one is open, close body of 1 byte or
 *        with an invalid code (RFC 6455 7.4);
 *  -1007 invalid UTF-8 in a text message or close reason;
 *  -1009 message larger than max_message. */
int ws_assembler_feed(struct ws_assembler *a, const uint8_t *buf, size_t len);

/* Bytes currently buffered (for memory accounting). */
size_t ws_assembler_buffered(const struct ws_assembler *a);

#endif
