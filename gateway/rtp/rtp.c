/* RTP header decode/encode (RFC 3550 section 5.1, extension block 5.3.1).
 * See rtp/rtp.h for the contract.
 *
 *    0                   1                   2                   3
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |                             SSRC                              |
 *   |                     CSRC (CC entries)                         |
 *   |   profile (0xBEDE / 0x100X)   |   length (32-bit words)       |  if X
 *   |                     extension data ...                        |
 *   |                     payload ...           | padding ... | cnt |  if P
 *
 * Decoding checks every length against the datagram before using it and
 * records views into the buffer; nothing is copied but the CSRC list.
 * Element-level parsing of the extension block lives in ext.c so that a
 * packet with an unknown or broken extension still decodes (the block is
 * opaque at this layer, as RFC 3550 makes it). */
#include "rtp/rtp.h"

#include "rtp/rtp_int.h"

#include <limits.h>
#include <string.h>

#define RTP_EXT_MAX_LEN (0xFFFFu * 4u)

static int decode_extension(struct rtp_header *h, const uint8_t *buf, size_t len, size_t *off)
{
	h->ext_profile = 0;
	h->ext = NULL;
	h->ext_len = 0;
	if (!h->extension)
		return 0;
	if (len - *off < 4)
		return -EBADMSG;
	h->ext_profile = rtp__rd16(buf + *off);
	h->ext_len = (size_t)rtp__rd16(buf + *off + 2) * 4;
	*off += 4;
	if (h->ext_len > len - *off)
		return -EBADMSG;
	h->ext = buf + *off;
	*off += h->ext_len;
	return 0;
}

int rtp_header_decode(struct rtp_header *h, const uint8_t *buf, size_t len)
{
	if (!h || !buf || len < RTP_HEADER_MIN || buf[0] >> 6 != RTP_VERSION)
		return -EINVAL;
	h->padding = buf[0] & 0x20;
	h->extension = buf[0] & 0x10;
	h->cc = buf[0] & 0x0F;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7F;
	h->seq = rtp__rd16(buf + 2);
	h->ts = rtp__rd32(buf + 4);
	h->ssrc = rtp__rd32(buf + 8);

	size_t off = RTP_HEADER_MIN;
	if ((size_t)h->cc * 4 > len - off)
		return -EBADMSG;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = rtp__rd32(buf + off);
	int r = decode_extension(h, buf, len, &off);
	if (r < 0)
		return r;
	h->header_len = off;

	h->pad_len = 0;
	if (h->padding) {
		/* the count byte itself must be after the header */
		if (len == off || buf[len - 1] == 0 || buf[len - 1] > len - off)
			return -EBADMSG;
		h->pad_len = buf[len - 1];
	}
	h->payload = buf + off;
	h->payload_len = len - off - h->pad_len;
	return 0;
}

/* Header length for h, or 0 when h cannot be encoded. */
static size_t header_size(const struct rtp_header *h)
{
	if (h->cc > RTP_MAX_CSRC || h->pt > 127)
		return 0;
	size_t n = RTP_HEADER_MIN + (size_t)h->cc * 4;
	if (h->extension) {
		if (h->ext_len % 4 || h->ext_len > RTP_EXT_MAX_LEN || (h->ext_len && !h->ext))
			return 0;
		n += 4 + h->ext_len;
	}
	return n;
}

int rtp_header_encode(uint8_t *buf, size_t size, const struct rtp_header *h)
{
	size_t n = header_size(h);
	if (n == 0)
		return -EINVAL;
	if (n > size)
		return -ENOSPC;
	size_t off = RTP_HEADER_MIN + (size_t)h->cc * 4;
	if (h->extension) {
		if (h->ext_len)
			memmove(buf + off + 4, h->ext, h->ext_len);
		rtp__wr16(buf + off, h->ext_profile);
		rtp__wr16(buf + off + 2, (uint16_t)(h->ext_len / 4));
	}
	for (unsigned i = 0; i < h->cc; i++)
		rtp__wr32(buf + RTP_HEADER_MIN + 4 * i, h->csrc[i]);
	buf[0] = (uint8_t)(RTP_VERSION << 6 | (h->pad_len ? 0x20 : 0) | (h->extension ? 0x10 : 0) | h->cc);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	rtp__wr16(buf + 2, h->seq);
	rtp__wr32(buf + 4, h->ts);
	rtp__wr32(buf + 8, h->ssrc);
	return (int)n;
}

int rtp_packet_encode(uint8_t *buf, size_t size, const struct rtp_header *h)
{
	size_t hl = header_size(h);
	/* hl is at most 262216, so the subtraction cannot wrap */
	if (hl == 0 || (h->payload_len && !h->payload) || h->payload_len > INT_MAX - hl - h->pad_len)
		return -EINVAL;
	size_t total = hl + h->payload_len + h->pad_len;
	if (total > size)
		return -ENOSPC;
	/* payload first: it may sit in buf already (in-place re-encode) */
	if (h->payload_len)
		memmove(buf + hl, h->payload, h->payload_len);
	if (h->pad_len) {
		memset(buf + hl + h->payload_len, 0, h->pad_len - 1u);
		buf[total - 1] = h->pad_len;
	}
	int r = rtp_header_encode(buf, size, h);
	return r < 0 ? r : (int)total;
}
