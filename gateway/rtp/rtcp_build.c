/* RTCP packet builders: SR, RR, SDES (CNAME), BYE, generic NACK, PLI.
 * See rtp/rtp.h for the contract.
 *
 * Each builder computes the packet's full length first, refuses with
 * -ENOSPC before writing anything when the buffer is short, then writes
 * the common header and body. Lengths are always whole 32-bit words, so no
 * RTCP padding (P bit) is ever produced; SDES chunks and BYE reasons carry
 * their own zero fill as RFC 3550 6.5 and 6.6 ask. A compound packet for a
 * leg (SR or RR first, then SDES CNAME, RFC 3550 6.1) is the caller's
 * concatenation of these. */
#include "rtp/rtp.h"

#include "rtp/rtp_int.h"

#include <string.h>

#define CUM_LOST_MAX 0x7FFFFF
#define CUM_LOST_MIN (-0x800000)
#define RTCP_MAX_LEN (0x10000u * 4u)

/* len is the whole packet in bytes, a multiple of 4. */
static void put_header(uint8_t *b, uint8_t count, uint8_t pt, size_t len)
{
	b[0] = (uint8_t)(RTP_VERSION << 6 | count);
	b[1] = pt;
	rtp__wr16(b + 2, (uint16_t)(len / 4 - 1));
}

static void put_report_block(uint8_t *b, const struct rtcp_report_block *rb)
{
	int32_t lost = rb->cumulative_lost;
	if (lost > CUM_LOST_MAX)
		lost = CUM_LOST_MAX;
	if (lost < CUM_LOST_MIN)
		lost = CUM_LOST_MIN;
	uint32_t wire = (uint32_t)lost & 0xFFFFFF;
	rtp__wr32(b, rb->ssrc);
	b[4] = rb->fraction_lost;
	b[5] = (uint8_t)(wire >> 16);
	b[6] = (uint8_t)(wire >> 8);
	b[7] = (uint8_t)wire;
	rtp__wr32(b + 8, rb->ext_highest_seq);
	rtp__wr32(b + 12, rb->jitter);
	rtp__wr32(b + 16, rb->lsr);
	rtp__wr32(b + 20, rb->dlsr);
}

static void put_report_blocks(uint8_t *b, const struct rtcp_report_block *rb, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_report_block(b + i * RTCP_REPORT_BLOCK_SIZE, &rb[i]);
}

int rtcp_sr_build(uint8_t *buf, size_t size, const struct rtcp_sr_info *sr,
		  const struct rtcp_report_block *rb, size_t n)
{
	if (n > RTCP_MAX_COUNT || (n && !rb))
		return -EINVAL;
	size_t len = RTCP_HEADER_SIZE + 24 + n * RTCP_REPORT_BLOCK_SIZE;
	if (len > size)
		return -ENOSPC;
	put_header(buf, (uint8_t)n, RTCP_SR, len);
	rtp__wr32(buf + 4, sr->ssrc);
	rtp__wr32(buf + 8, (uint32_t)(sr->ntp >> 32));
	rtp__wr32(buf + 12, (uint32_t)sr->ntp);
	rtp__wr32(buf + 16, sr->rtp_ts);
	rtp__wr32(buf + 20, sr->packet_count);
	rtp__wr32(buf + 24, sr->octet_count);
	put_report_blocks(buf + 28, rb, n);
	return (int)len;
}

int rtcp_rr_build(uint8_t *buf, size_t size, uint32_t ssrc,
		  const struct rtcp_report_block *rb, size_t n)
{
	if (n > RTCP_MAX_COUNT || (n && !rb))
		return -EINVAL;
	size_t len = RTCP_HEADER_SIZE + 4 + n * RTCP_REPORT_BLOCK_SIZE;
	if (len > size)
		return -ENOSPC;
	put_header(buf, (uint8_t)n, RTCP_RR, len);
	rtp__wr32(buf + 4, ssrc);
	put_report_blocks(buf + 8, rb, n);
	return (int)len;
}

int rtcp_sdes_cname_build(uint8_t *buf, size_t size, uint32_t ssrc, const char *cname)
{
	size_t cl = cname ? strlen(cname) : 0;
	if (cl == 0 || cl > 255)
		return -EINVAL;
	/* SSRC, CNAME item, then at least one null octet up to a word boundary */
	size_t chunk = (4 + 2 + cl + 4) & ~(size_t)3;
	size_t len = RTCP_HEADER_SIZE + chunk;
	if (len > size)
		return -ENOSPC;
	put_header(buf, 1, RTCP_SDES, len);
	rtp__wr32(buf + 4, ssrc);
	buf[8] = RTCP_SDES_CNAME;
	buf[9] = (uint8_t)cl;
	memcpy(buf + 10, cname, cl);
	memset(buf + 10 + cl, 0, len - 10 - cl);
	return (int)len;
}

int rtcp_bye_build(uint8_t *buf, size_t size, const uint32_t *ssrcs, size_t n, const char *reason)
{
	size_t rl = reason ? strlen(reason) : 0;
	if (n > RTCP_MAX_COUNT || (n && !ssrcs) || rl > 255)
		return -EINVAL;
	size_t body = n * 4 + (reason ? 1 + rl : 0);
	size_t len = RTCP_HEADER_SIZE + ((body + 3) & ~(size_t)3);
	if (len > size)
		return -ENOSPC;
	put_header(buf, (uint8_t)n, RTCP_BYE, len);
	for (size_t i = 0; i < n; i++)
		rtp__wr32(buf + 4 + 4 * i, ssrcs[i]);
	size_t off = 4 + n * 4;
	if (reason) {
		buf[off++] = (uint8_t)rl;
		memcpy(buf + off, reason, rl);
		off += rl;
	}
	memset(buf + off, 0, len - off);
	return (int)len;
}

static void put_fb_header(uint8_t *buf, uint8_t fmt, uint8_t pt, size_t len, uint32_t sender, uint32_t media)
{
	put_header(buf, fmt, pt, len);
	rtp__wr32(buf + 4, sender);
	rtp__wr32(buf + 8, media);
}

/* Next (PID, BLP) item from seqs[*i..n): PID, then every following seq
 * within 16 after it (repeats of a seq are skipped). */
static void nack_next_item(const uint16_t *seqs, size_t n, size_t *i, uint16_t *pid, uint16_t *blp)
{
	*pid = seqs[(*i)++];
	*blp = 0;
	while (*i < n) {
		uint16_t d = (uint16_t)(seqs[*i] - *pid);
		if (d > 16)
			break;
		if (d > 0)
			*blp |= (uint16_t)(1u << (d - 1));
		(*i)++;
	}
}

int rtcp_nack_build(uint8_t *buf, size_t size, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, size_t n)
{
	if (n == 0 || !seqs)
		return -EINVAL;
	uint16_t pid, blp;
	size_t items = 0;
	for (size_t i = 0; i < n; items++)
		nack_next_item(seqs, n, &i, &pid, &blp);
	size_t len = RTCP_HEADER_SIZE + 8 + items * 4;
	if (len > RTCP_MAX_LEN)
		return -EINVAL;
	if (len > size)
		return -ENOSPC;
	put_fb_header(buf, RTCP_RTPFB_NACK, RTCP_RTPFB, len, sender_ssrc, media_ssrc);
	uint8_t *fci = buf + RTCP_HEADER_SIZE + 8;
	for (size_t i = 0; i < n; fci += 4) {
		nack_next_item(seqs, n, &i, &pid, &blp);
		rtp__wr16(fci, pid);
		rtp__wr16(fci + 2, blp);
	}
	return (int)len;
}

int rtcp_pli_build(uint8_t *buf, size_t size, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	size_t len = RTCP_HEADER_SIZE + 8;
	if (len > size)
		return -ENOSPC;
	put_fb_header(buf, RTCP_PSFB_PLI, RTCP_PSFB, len, sender_ssrc, media_ssrc);
	return (int)len;
}
