/* RFC 8285 header extension elements and the RFC 6464 audio level.
 * See rtp/rtp.h for the contract.
 *
 * One-byte form (profile 0xBEDE): each element is a byte ID(4 bits) |
 * L(4 bits) followed by L+1 data bytes. ID 0 is a padding byte (its L is
 * ignored, as libwebrtc does); ID 15 is reserved and ends processing.
 * Two-byte form (profile 0x100X): ID byte, length byte, length data bytes
 * (possibly none); an ID byte of 0 is a padding byte.
 *
 * The walk never reads past the block that rtp_header_decode validated;
 * an element that would is reported once as -EBADMSG and ends the walk. */
#include "rtp/rtp.h"

#include <string.h>

#define ONE_BYTE_ID_RESERVED 15
#define ONE_BYTE_MAX_ID 14
#define ONE_BYTE_MAX_LEN 16
#define EXT_MAX_LEN (0xFFFFu * 4u)

int rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_header *h)
{
	it->p = NULL;
	it->left = 0;
	it->two_byte = false;
	if (!h->extension || !h->ext)
		return -ENOENT;
	if (h->ext_profile == RTP_EXT_PROFILE_ONE_BYTE)
		it->two_byte = false;
	else if ((h->ext_profile & 0xFFF0) == RTP_EXT_PROFILE_TWO_BYTE)
		it->two_byte = true;
	else
		return -ENOENT;
	it->p = h->ext;
	it->left = h->ext_len;
	return 0;
}

static void iter_take(struct rtp_ext_iter *it, struct rtp_ext_elem *e, uint8_t id, size_t hdr, size_t len)
{
	e->id = id;
	e->len = (uint8_t)len;
	e->data = it->p + hdr;
	it->p += hdr + len;
	it->left -= hdr + len;
}

int rtp_ext_next(struct rtp_ext_iter *it, struct rtp_ext_elem *e)
{
	while (it->left) {
		uint8_t b = it->p[0];
		uint8_t id = it->two_byte ? b : b >> 4;
		if (id == 0) { /* padding byte */
			it->p++;
			it->left--;
			continue;
		}
		if (!it->two_byte && id == ONE_BYTE_ID_RESERVED) {
			it->left = 0;
			return 0;
		}
		size_t hdr = it->two_byte ? 2 : 1;
		size_t len = 0;
		if (it->left >= hdr)
			len = it->two_byte ? it->p[1] : (size_t)(b & 0x0F) + 1;
		if (it->left < hdr || len > it->left - hdr) {
			it->left = 0;
			return -EBADMSG;
		}
		iter_take(it, e, id, hdr, len);
		return 1;
	}
	return 0;
}

int rtp_ext_find(const struct rtp_header *h, uint8_t id, struct rtp_ext_elem *e)
{
	if (id == 0)
		return -EINVAL;
	struct rtp_ext_iter it;
	int r = rtp_ext_iter_init(&it, h);
	if (r < 0)
		return r;
	while ((r = rtp_ext_next(&it, e)) > 0)
		if (e->id == id)
			return 0;
	return r < 0 ? r : -ENOENT;
}

static bool fits_one_byte(const struct rtp_ext_elem *elems, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (elems[i].id > ONE_BYTE_MAX_ID || elems[i].len < 1 || elems[i].len > ONE_BYTE_MAX_LEN)
			return false;
	return true;
}

int rtp_ext_build(uint8_t *buf, size_t size, uint16_t *profile,
		  const struct rtp_ext_elem *elems, size_t n)
{
	if (n == 0 || !elems)
		return -EINVAL;
	bool one = fits_one_byte(elems, n);
	size_t need = 0;
	for (size_t i = 0; i < n; i++) {
		if (elems[i].id == 0 || (elems[i].len && !elems[i].data))
			return -EINVAL;
		need += (one ? 1u : 2u) + elems[i].len;
	}
	size_t padded = (need + 3) & ~(size_t)3;
	if (padded > EXT_MAX_LEN)
		return -EINVAL;
	if (padded > size)
		return -ENOSPC;
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rtp_ext_elem *e = &elems[i];
		if (one) {
			buf[off++] = (uint8_t)(e->id << 4 | (e->len - 1));
		} else {
			buf[off++] = e->id;
			buf[off++] = e->len;
		}
		if (e->len)
			memcpy(buf + off, e->data, e->len);
		off += e->len;
	}
	memset(buf + off, 0, padded - off);
	*profile = one ? RTP_EXT_PROFILE_ONE_BYTE : RTP_EXT_PROFILE_TWO_BYTE;
	return (int)padded;
}

int rtp_audio_level_get(const struct rtp_header *h, uint8_t id, uint8_t *level, bool *vad)
{
	struct rtp_ext_elem e;
	int r = rtp_ext_find(h, id, &e);
	if (r < 0)
		return r;
	if (e.len < 1)
		return -EBADMSG;
	*level = e.data[0] & 0x7F;
	*vad = e.data[0] & 0x80;
	return 0;
}

uint8_t rtp_audio_level_pack(uint8_t level, bool vad)
{
	return (uint8_t)((vad ? 0x80 : 0) | (level > 127 ? 127 : level));
}

int rtp_ext_renumber(uint8_t *pkt, size_t len, uint8_t from, uint8_t to)
{
	struct rtp_header h;
	struct rtp_ext_elem e;
	if (rtp_header_decode(&h, pkt, len) != 0)
		return -EINVAL;
	if (!h.extension || rtp_ext_find(&h, from, &e) != 0)
		return 0;
	bool one_byte = h.ext_profile == 0xBEDE;
	if (to == 0 || (one_byte && to > 14))
		return -EINVAL;
	/* the element's header sits just before its data, inside pkt */
	size_t at = (size_t)(e.data - pkt) - (one_byte ? 1 : 2);
	if (one_byte)
		pkt[at] = (uint8_t)((to << 4) | (pkt[at] & 0x0f));
	else
		pkt[at] = to;
	return 1;
}

int rtp_ext_remap(uint8_t *pkt, size_t len, const uint8_t *map, size_t n)
{
	struct rtp_header h;
	struct rtp_ext_iter it;
	struct rtp_ext_elem e;
	if (rtp_header_decode(&h, pkt, len) != 0)
		return -EINVAL;
	if (rtp_ext_iter_init(&it, &h) != 0)
		return 0;
	size_t hdr = it.two_byte ? 2 : 1;
	int changed = 0, r;
	while ((r = rtp_ext_next(&it, &e)) > 0) {
		if (e.id >= n || map[e.id] == e.id)
			continue;
		/* the element's header sits just before its data, inside pkt */
		size_t at = (size_t)(e.data - pkt) - hdr;
		uint8_t to = map[e.id];
		if (to == 0)
			memset(pkt + at, 0, hdr + e.len);
		else if (it.two_byte)
			pkt[at] = to;
		else if (to > ONE_BYTE_MAX_ID)
			return -EINVAL;
		else
			pkt[at] = (uint8_t)((to << 4) | (pkt[at] & 0x0f));
		changed++;
	}
	return r < 0 ? -EINVAL : changed;
}

int rtp_level_packet_build(uint8_t *buf, size_t size, uint8_t pt, uint16_t seq, uint32_t ts,
			   uint32_t ssrc, uint8_t level_id, uint8_t level, const uint8_t *payload,
			   size_t len)
{
	if (pt > 127 || level_id < 1 || level_id > 14)
		return -EINVAL;
	if (size < 20 || len > size - 20)
		return -ENOSPC;
	buf[0] = 0x90; /* V=2, X */
	buf[1] = pt;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	buf[12] = 0xBE; /* RFC 8285 one-byte form, one word */
	buf[13] = 0xDE;
	buf[14] = 0;
	buf[15] = 1;
	buf[16] = (uint8_t)(level_id << 4); /* length field 0: one byte */
	buf[17] = rtp_audio_level_pack(level, level < 127);
	buf[18] = buf[19] = 0;
	memcpy(buf + 20, payload, len);
	return (int)(20 + len);
}
