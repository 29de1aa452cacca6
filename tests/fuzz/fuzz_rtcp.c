/* libFuzzer target for rtp/ RTCP compound parsing.
 *
 * rtcp_compound_check and a walk with rtcp_iter_next must agree (same
 * packet count, an error exactly when check fails). Every packet's views
 * must lie inside it, and every accessor must succeed on a packet the
 * iterator returned. Where a builder exists the packet is rebuilt from its
 * parsed fields and must come back the same: SR/RR sender info and report
 * blocks byte for byte, SDES CNAMEs, BYE SSRCs and reason, each generic
 * NACK item. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static bool inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void check_reports(const struct rtcp_packet *p)
{
	struct rtcp_report_block rb[RTCP_MAX_COUNT];
	for (unsigned i = 0; i < p->count; i++) {
		CHECK(rtcp_report_block_get(p, i, &rb[i]) == 0);
		CHECK(rb[i].cumulative_lost >= -0x800000 && rb[i].cumulative_lost <= 0x7fffff);
	}
	CHECK(rtcp_report_block_get(p, p->count, &rb[0]) == -ERANGE);
	for (unsigned i = 0; i < p->count; i++)
		CHECK(rtcp_report_block_get(p, i, &rb[i]) == 0);
	uint8_t out[8 + 24 + RTCP_MAX_COUNT * RTCP_REPORT_BLOCK_SIZE];
	int n = p->pt == RTCP_SR ? rtcp_sr_build(out, sizeof out, &p->sr, rb, p->count)
				  : rtcp_rr_build(out, sizeof out, p->ssrc, rb, p->count);
	CHECK(n > 0 && (size_t)n - RTCP_HEADER_SIZE <= p->body_len);
	CHECK(memcmp(out + RTCP_HEADER_SIZE, p->body, (size_t)n - RTCP_HEADER_SIZE) == 0);
	CHECK(out[0] >> 6 == 2 && (out[0] & 0x1f) == p->count && out[1] == p->pt);
}

static void check_sdes(const struct rtcp_packet *p)
{
	struct rtcp_sdes_iter it;
	struct rtcp_sdes_item item;
	int r;
	rtcp_sdes_iter_init(&it, p);
	while ((r = rtcp_sdes_next(&it, &item)) > 0) {
		CHECK(item.type != RTCP_SDES_END && inside(item.data, item.len, p->body, p->body_len));
		if (item.type != RTCP_SDES_CNAME || item.len == 0 || memchr(item.data, 0, item.len))
			continue;
		char cname[256];
		memcpy(cname, item.data, item.len);
		cname[item.len] = '\0';
		uint8_t out[4 + 4 + 2 + 255 + 4];
		int n = rtcp_sdes_cname_build(out, sizeof out, item.ssrc, cname);
		CHECK(n > 0 && n % 4 == 0);
		struct rtcp_iter bi;
		struct rtcp_packet bp;
		struct rtcp_sdes_iter bs;
		struct rtcp_sdes_item b;
		rtcp_iter_init(&bi, out, (size_t)n);
		CHECK(rtcp_iter_next(&bi, &bp) == 1);
		rtcp_sdes_iter_init(&bs, &bp);
		CHECK(rtcp_sdes_next(&bs, &b) == 1 && b.ssrc == item.ssrc && b.len == item.len);
		CHECK(memcmp(b.data, item.data, item.len) == 0 && rtcp_sdes_next(&bs, &b) == 0);
	}
	CHECK(r == 0); /* validated by the iterator already */
}

static void check_bye(const struct rtcp_packet *p)
{
	uint32_t ssrcs[RTCP_MAX_COUNT];
	for (unsigned i = 0; i < p->count; i++)
		CHECK(rtcp_bye_ssrc(p, i, &ssrcs[i]) == 0);
	CHECK(rtcp_bye_ssrc(p, p->count, &ssrcs[0]) == -ERANGE);
	if (p->reason)
		CHECK(inside(p->reason, p->reason_len, p->body, p->body_len));
	if (p->reason && memchr(p->reason, 0, p->reason_len))
		return;
	char reason[256];
	if (p->reason)
		memcpy(reason, p->reason, p->reason_len);
	reason[p->reason_len] = '\0';
	uint8_t out[4 + 4 * RTCP_MAX_COUNT + 256 + 4];
	int n = rtcp_bye_build(out, sizeof out, ssrcs, p->count, p->reason ? reason : NULL);
	CHECK(n > 0);
	struct rtcp_iter it;
	struct rtcp_packet b;
	rtcp_iter_init(&it, out, (size_t)n);
	CHECK(rtcp_iter_next(&it, &b) == 1 && b.count == p->count && b.reason_len == p->reason_len);
	CHECK(memcmp(b.body, p->body, 4u * p->count) == 0);
	if (p->reason_len)
		CHECK(memcmp(b.reason, p->reason, p->reason_len) == 0);
}

static void check_nack(const struct rtcp_packet *p)
{
	size_t n = rtcp_nack_count(p);
	CHECK(n >= 1 && n == p->fci_len / 4);
	for (size_t i = 0; i < n; i++) {
		uint16_t pid, blp, lost[17];
		CHECK(rtcp_nack_item(p, i, &pid, &blp) == 0);
		size_t k = rtcp_nack_expand(pid, blp, lost);
		CHECK(k >= 1 && k <= 17 && lost[0] == pid);
		uint8_t out[16];
		CHECK(rtcp_nack_build(out, sizeof out, p->ssrc, p->media_ssrc, lost, k) == 16);
		CHECK(memcmp(out + 4, p->body, 8) == 0 && memcmp(out + 12, p->fci + 4 * i, 4) == 0);
	}
	uint16_t a, b;
	CHECK(rtcp_nack_item(p, n, &a, &b) == -ERANGE);
}

static void check_packet(const struct rtcp_packet *p, const uint8_t *data, size_t size)
{
	CHECK(inside(p->raw, p->raw_len, data, size) && p->raw_len >= 4 && p->raw_len % 4 == 0);
	CHECK(p->body == p->raw + 4 && p->body_len <= p->raw_len - 4);
	CHECK(p->count <= 31 && p->pt >= 192 && p->pt <= 223);
	switch (p->pt) {
	case RTCP_SR:
	case RTCP_RR:
		check_reports(p);
		break;
	case RTCP_SDES:
		check_sdes(p);
		break;
	case RTCP_BYE:
		check_bye(p);
		break;
	case RTCP_APP:
		CHECK(inside(p->app_data, p->app_data_len, p->body, p->body_len));
		break;
	case RTCP_RTPFB:
	case RTCP_PSFB:
		CHECK(inside(p->fci, p->fci_len, p->body, p->body_len));
		if (p->pt == RTCP_RTPFB && p->count == RTCP_RTPFB_NACK)
			check_nack(p);
		else
			CHECK(rtcp_nack_count(p) == 0);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int check = rtcp_compound_check(data, size);
	CHECK(check == -EBADMSG || check >= 1);
	struct rtcp_iter it;
	struct rtcp_packet p;
	int n = 0, r;
	rtcp_iter_init(&it, data, size);
	while ((r = rtcp_iter_next(&it, &p)) > 0) {
		check_packet(&p, data, size);
		n++;
	}
	CHECK(r == 0 || r == -EBADMSG);
	CHECK(check > 0 ? r == 0 && n == check : r == -EBADMSG || size == 0);
	CHECK(rtcp_iter_next(&it, &p) == 0);
	return 0;
}
