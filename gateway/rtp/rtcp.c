/* RTCP compound parsing (RFC 3550 section 6, RFC 4585 section 6).
 * See rtp/rtp.h for the contract.
 *
 * Every packet starts with |V=2|P| count |  PT  |  length (words - 1) |.
 * rtcp_iter_next checks the common header against the bytes left (and the
 * packet type against 192..223, the only range rtcp-mux can carry, so a
 * garbage word after a good packet is caught early), strips padding
 * (allowed on the last packet only, RFC 3550 A.2), then checks the body
 * against what the type and count promise, so that the accessors
 * (report blocks, BYE SSRCs, SDES items, NACK items) never need to fail on
 * a packet it returned. SDES is the one variable-length structure; it is
 * walked once here to validate and again by the caller's rtcp_sdes_iter.
 *
 * Bodies (after the common header):
 *   SR     sender SSRC, NTP (64), RTP ts, packets, octets, RC x 24-byte blocks
 *   RR     sender SSRC, RC x 24-byte blocks
 *   SDES   SC chunks: SSRC, items (type, len, data), null octet(s) to 32 bits
 *   BYE    SC x SSRC, optional (len, reason text)
 *   APP    SSRC, 4-char name, data
 *   RTPFB  sender SSRC, media SSRC, FCI (FMT 1 NACK: PID 16 | BLP 16 ...)
 *   PSFB   sender SSRC, media SSRC, FCI
 * Trailing bytes after what the count describes (profile extensions of SR
 * and RR, padding words) are allowed and ignored. */
#include "rtp/rtp.h"

#include "rtp/rtp_int.h"

#include <string.h>

#define SR_INFO_SIZE 24 /* sender SSRC + sender info */
#define RTCP_PT_MIN 192 /* RTCP packet types live in 192..223 (RFC 5761 4) */
#define RTCP_PT_MAX 223
#define FB_COMMON_SIZE 8

static int parse_sr(struct rtcp_packet *p)
{
	if (p->body_len < SR_INFO_SIZE + (size_t)p->count * RTCP_REPORT_BLOCK_SIZE)
		return -EBADMSG;
	const uint8_t *b = p->body;
	p->ssrc = rtp__rd32(b);
	p->sr.ssrc = p->ssrc;
	p->sr.ntp = (uint64_t)rtp__rd32(b + 4) << 32 | rtp__rd32(b + 8);
	p->sr.rtp_ts = rtp__rd32(b + 12);
	p->sr.packet_count = rtp__rd32(b + 16);
	p->sr.octet_count = rtp__rd32(b + 20);
	p->blocks = b + SR_INFO_SIZE;
	return 0;
}

static int parse_rr(struct rtcp_packet *p)
{
	if (p->body_len < 4 + (size_t)p->count * RTCP_REPORT_BLOCK_SIZE)
		return -EBADMSG;
	p->ssrc = rtp__rd32(p->body);
	p->blocks = p->body + 4;
	return 0;
}

static int parse_sdes(struct rtcp_packet *p)
{
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	int r;
	rtcp_sdes_iter_init(&it, p);
	while ((r = rtcp_sdes_next(&it, &item)) > 0)
		;
	return r;
}

static int parse_bye(struct rtcp_packet *p)
{
	size_t n = (size_t)p->count * 4;
	if (p->body_len < n)
		return -EBADMSG;
	if (p->body_len > n) {
		uint8_t rl = p->body[n];
		if (rl > p->body_len - n - 1)
			return -EBADMSG;
		p->reason = rl ? p->body + n + 1 : NULL;
		p->reason_len = rl;
	}
	return 0;
}

static int parse_app(struct rtcp_packet *p)
{
	if (p->body_len < 8)
		return -EBADMSG;
	p->ssrc = rtp__rd32(p->body);
	memcpy(p->app_name, p->body + 4, 4);
	p->app_data = p->body + 8;
	p->app_data_len = p->body_len - 8;
	return 0;
}

static int parse_fb(struct rtcp_packet *p)
{
	if (p->body_len < FB_COMMON_SIZE)
		return -EBADMSG;
	p->ssrc = rtp__rd32(p->body);
	p->media_ssrc = rtp__rd32(p->body + 4);
	p->fci = p->body + FB_COMMON_SIZE;
	p->fci_len = p->body_len - FB_COMMON_SIZE;
	if (p->pt == RTCP_RTPFB && p->count == RTCP_RTPFB_NACK && (p->fci_len < 4 || p->fci_len % 4))
		return -EBADMSG;
	return 0;
}

static int parse_body(struct rtcp_packet *p)
{
	switch (p->pt) {
	case RTCP_SR: return parse_sr(p);
	case RTCP_RR: return parse_rr(p);
	case RTCP_SDES: return parse_sdes(p);
	case RTCP_BYE: return parse_bye(p);
	case RTCP_APP: return parse_app(p);
	case RTCP_RTPFB:
	case RTCP_PSFB: return parse_fb(p);
	default: return 0;
	}
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	it->p = buf;
	it->left = buf ? len : 0;
}

/* Common header, length and padding of the packet at it->p. */
static int parse_header(const struct rtcp_iter *it, struct rtcp_packet *p)
{
	const uint8_t *b = it->p;
	if (it->left < RTCP_HEADER_SIZE || b[0] >> 6 != RTP_VERSION ||
	    b[1] < RTCP_PT_MIN || b[1] > RTCP_PT_MAX)
		return -EBADMSG;
	size_t len = ((size_t)rtp__rd16(b + 2) + 1) * 4;
	if (len > it->left)
		return -EBADMSG;
	memset(p, 0, sizeof *p);
	p->pt = b[1];
	p->count = b[0] & 0x1F;
	p->raw = b;
	p->raw_len = len;
	p->body = b + RTCP_HEADER_SIZE;
	p->body_len = len - RTCP_HEADER_SIZE;
	if (b[0] & 0x20) {
		uint8_t pad = b[len - 1];
		if (len != it->left || pad == 0 || pad > p->body_len)
			return -EBADMSG;
		p->body_len -= pad;
	}
	return 0;
}

int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *p)
{
	if (it->left == 0)
		return 0;
	int r = parse_header(it, p);
	if (r == 0)
		r = parse_body(p);
	if (r < 0) {
		it->left = 0;
		return -EBADMSG;
	}
	it->p += p->raw_len;
	it->left -= p->raw_len;
	return 1;
}

int rtcp_compound_check(const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_packet p;
	int n = 0, r;
	rtcp_iter_init(&it, buf, len);
	while ((r = rtcp_iter_next(&it, &p)) > 0)
		n++;
	return r < 0 || n == 0 ? -EBADMSG : n;
}

/* ---- accessors over a validated packet ---- */

int rtcp_report_block_get(const struct rtcp_packet *p, unsigned i, struct rtcp_report_block *rb)
{
	if ((p->pt != RTCP_SR && p->pt != RTCP_RR) || !p->blocks)
		return -EINVAL;
	if (i >= p->count)
		return -ERANGE;
	const uint8_t *b = p->blocks + (size_t)i * RTCP_REPORT_BLOCK_SIZE;
	uint32_t lost = (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	rb->ssrc = rtp__rd32(b);
	rb->fraction_lost = b[4];
	rb->cumulative_lost = (int32_t)(lost & 0x800000 ? lost | 0xFF000000u : lost);
	rb->ext_highest_seq = rtp__rd32(b + 8);
	rb->jitter = rtp__rd32(b + 12);
	rb->lsr = rtp__rd32(b + 16);
	rb->dlsr = rtp__rd32(b + 20);
	return 0;
}

int rtcp_bye_ssrc(const struct rtcp_packet *p, unsigned i, uint32_t *ssrc)
{
	if (p->pt != RTCP_BYE)
		return -EINVAL;
	if (i >= p->count)
		return -ERANGE;
	*ssrc = rtp__rd32(p->body + (size_t)i * 4);
	return 0;
}

void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_packet *p)
{
	bool sdes = p->pt == RTCP_SDES;
	it->start = p->body;
	it->p = p->body;
	it->left = sdes ? p->body_len : 0;
	it->chunks = sdes ? p->count : 0;
	it->in_chunk = false;
	it->ssrc = 0;
}

/* The null octet that ends a chunk's items, and the padding after it up to
 * the next 32-bit boundary of the body (lenient when the body ends first). */
static void sdes_end_chunk(struct rtcp_sdes_iter *it)
{
	size_t skip = 4 - (size_t)(it->p - it->start) % 4;
	if (skip > it->left)
		skip = it->left;
	it->p += skip;
	it->left -= skip;
	it->in_chunk = false;
}

int rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item)
{
	for (;;) {
		if (!it->in_chunk) {
			if (it->chunks == 0)
				return 0;
			if (it->left < 4)
				break;
			it->ssrc = rtp__rd32(it->p);
			it->p += 4;
			it->left -= 4;
			it->chunks--;
			it->in_chunk = true;
		}
		if (it->left == 0)
			break; /* no terminating null octet */
		if (it->p[0] == RTCP_SDES_END) {
			sdes_end_chunk(it);
			continue;
		}
		if (it->left < 2 || it->p[1] > it->left - 2)
			break;
		item->ssrc = it->ssrc;
		item->type = it->p[0];
		item->len = it->p[1];
		item->data = it->p + 2;
		it->p += 2u + item->len;
		it->left -= 2u + item->len;
		return 1;
	}
	it->left = 0;
	it->chunks = 0;
	it->in_chunk = false;
	return -EBADMSG;
}

size_t rtcp_nack_count(const struct rtcp_packet *p)
{
	if (p->pt != RTCP_RTPFB || p->count != RTCP_RTPFB_NACK)
		return 0;
	return p->fci_len / 4;
}

int rtcp_nack_item(const struct rtcp_packet *p, size_t i, uint16_t *pid, uint16_t *blp)
{
	if (p->pt != RTCP_RTPFB || p->count != RTCP_RTPFB_NACK)
		return -EINVAL;
	if (i >= p->fci_len / 4)
		return -ERANGE;
	*pid = rtp__rd16(p->fci + 4 * i);
	*blp = rtp__rd16(p->fci + 4 * i + 2);
	return 0;
}

size_t rtcp_nack_expand(uint16_t pid, uint16_t blp, uint16_t out[17])
{
	size_t n = 0;
	out[n++] = pid;
	for (unsigned bit = 0; bit < 16; bit++)
		if (blp & (1u << bit))
			out[n++] = (uint16_t)(pid + bit + 1);
	return n;
}
