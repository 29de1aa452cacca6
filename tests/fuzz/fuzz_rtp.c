/* libFuzzer target for rtp/ header decoding and the per-packet state.
 *
 * The input is used twice:
 * 1. As one RTP packet: rtp_header_decode, then the views must tile the
 *    packet exactly, the extension walk must stay inside the block and
 *    agree with rtp_ext_find and rtp_audio_level_get, rebuilding the
 *    elements with rtp_ext_build must give the same elements back,
 *    rtp_packet_encode must reproduce the input (padding content aside),
 *    and a rewriter must map it to its first seq/ts and drop a repeat.
 * 2. As a packet stream, 8 bytes per packet (SSRC pick, seq, ts, arrival
 *    step): through a rewriter checked against a model (output seqs never
 *    repeat, a new mapping continues at max + 1 with a ts gap of at least
 *    one frame, offsets are constant within a mapping) and through the
 *    receive statistics (report block fields stay consistent). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define MAX_ELEMS 300

static bool inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static void check_views(const struct rtp_header *h, const uint8_t *data, size_t size)
{
	CHECK(h->header_len >= RTP_HEADER_MIN && h->cc <= RTP_MAX_CSRC && h->pt <= 127);
	CHECK(h->header_len + h->payload_len + h->pad_len == size);
	CHECK(h->payload == data + h->header_len);
	CHECK(h->padding == (h->pad_len > 0));
	if (h->extension) {
		CHECK(h->ext_len % 4 == 0 && inside(h->ext, h->ext_len, data, size));
		CHECK(h->ext + h->ext_len == h->payload);
	} else {
		CHECK(!h->ext && h->ext_len == 0 && h->header_len == RTP_HEADER_MIN + 4u * h->cc);
	}
}

/* Walks the extension block; returns the element count (or -1 when it is
 * malformed) and fills elems with the first MAX_ELEMS. */
static int walk(const struct rtp_header *h, struct rtp_ext_elem *elems)
{
	struct rtp_ext_iter it;
	if (rtp_ext_iter_init(&it, h) < 0)
		return 0;
	int n = 0, r;
	struct rtp_ext_elem e;
	while ((r = rtp_ext_next(&it, &e)) > 0) {
		CHECK(e.id != 0 && inside(e.data, e.len, h->ext, h->ext_len));
		if (n < MAX_ELEMS)
			elems[n] = e;
		n++;
	}
	CHECK(r == 0 || r == -EBADMSG);
	CHECK(rtp_ext_next(&it, &e) == 0); /* a finished walk stays finished */
	return r < 0 ? -1 : n;
}

static void check_find(const struct rtp_header *h, const struct rtp_ext_elem *elems, int n)
{
	for (int i = 0; i < n; i++) {
		struct rtp_ext_elem e;
		CHECK(rtp_ext_find(h, elems[i].id, &e) == 0);
		bool first = true;
		for (int k = 0; k < i; k++)
			first = first && elems[k].id != elems[i].id;
		if (first)
			CHECK(e.data == elems[i].data && e.len == elems[i].len);
		uint8_t level = 0xff;
		bool vad;
		int r = rtp_audio_level_get(h, elems[i].id, &level, &vad);
		CHECK(r == 0 ? level <= 127 : r == -EBADMSG);
	}
	struct rtp_ext_elem e;
	CHECK(rtp_ext_find(h, 0, &e) == -EINVAL);
}

static void check_rebuild(const struct rtp_ext_elem *elems, int n)
{
	static uint8_t block[MAX_ELEMS * 257 + 4];
	struct rtp_header h = { .extension = true };
	int len = rtp_ext_build(block, sizeof block, &h.ext_profile, elems, (size_t)n);
	CHECK(len > 0 && len % 4 == 0);
	h.ext = block;
	h.ext_len = (size_t)len;
	struct rtp_ext_elem again[MAX_ELEMS];
	CHECK(walk(&h, again) == n);
	for (int i = 0; i < n; i++)
		CHECK(again[i].id == elems[i].id && again[i].len == elems[i].len &&
		      memcmp(again[i].data, elems[i].data, elems[i].len) == 0);
}

static void check_reencode(const struct rtp_header *h, const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size);
	CHECK(out);
	CHECK(rtp_packet_encode(out, size, h) == (int)size);
	CHECK(memcmp(out, data, size - h->pad_len) == 0);
	if (h->pad_len)
		CHECK(out[size - 1] == data[size - 1]);
	CHECK(rtp_packet_encode(out, size - 1, h) == -ENOSPC);
	CHECK(rtp_header_encode(out, size, h) == (int)h->header_len);
	free(out);
}

static void check_rewrite_one(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size);
	CHECK(p);
	memcpy(p, data, size);
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, 0x12345678, 777, 99999);
	CHECK(rtp_rewriter_apply(&rw, p, size, 5) == RTP_REWRITE_SWITCHED);
	struct rtp_header h;
	CHECK(rtp_header_decode(&h, p, size) == 0);
	bool rtcp_range = h.pt >= 64 && h.pt <= 95; /* M stays as it was there */
	CHECK(h.ssrc == 0x12345678 && h.seq == 777 && h.ts == 99999);
	CHECK(h.marker == (rtcp_range ? (data[1] & 0x80) != 0 : true));
	CHECK(memcmp(p + 12, data + 12, size - 12) == 0);
	memcpy(p, data, size);
	CHECK(rtp_rewriter_apply(&rw, p, size, 6) == RTP_REWRITE_DUPLICATE);
	CHECK(memcmp(p, data, size) == 0);
	free(p);
}

static void check_packet(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	int r = rtp_header_decode(&h, data, size);
	CHECK(r == 0 || r == -EINVAL || r == -EBADMSG);
	CHECK((r == -EINVAL) == (size < RTP_HEADER_MIN || data[0] >> 6 != RTP_VERSION));
	if (r < 0)
		return;
	check_views(&h, data, size);
	static struct rtp_ext_elem elems[MAX_ELEMS];
	int n = walk(&h, elems);
	if (n > MAX_ELEMS)
		n = MAX_ELEMS;
	if (n >= 0)
		check_find(&h, elems, n);
	if (n > 0)
		check_rebuild(elems, n);
	check_reencode(&h, data, size);
	check_rewrite_one(data, size);
	struct rtp_tel_event ev;
	if (rtp_tel_event_decode(&ev, h.payload, h.payload_len) == 0) {
		uint8_t b[4];
		CHECK(rtp_tel_event_encode(b, sizeof b, &ev) == 4);
		CHECK(b[0] == h.payload[0] && b[1] == (h.payload[1] & 0xbf) && b[2] == h.payload[2]);
	}
}

/* ---- stream mode ---- */

struct model {
	bool started;
	int64_t max_ext;         /* unwrapped highest output seq */
	uint32_t max_ts;
	uint16_t seq_off;
	uint32_t ts_off;
	int64_t outs[2048];
	size_t n;
};

static void model_check(struct model *m, int r, uint16_t in_seq, uint32_t in_ts, uint16_t seq, uint32_t ts)
{
	if (r < 0)
		return;
	int64_t ext = m->started ? m->max_ext + (int16_t)(uint16_t)(seq - (uint16_t)m->max_ext) : seq;
	if (r == RTP_REWRITE_SWITCHED) {
		if (m->started) {
			CHECK(ext == m->max_ext + 1);
			CHECK((int32_t)(ts - m->max_ts) >= 960);
		}
		m->seq_off = (uint16_t)(seq - in_seq);
		m->ts_off = ts - in_ts;
	}
	CHECK((uint16_t)(seq - in_seq) == m->seq_off && ts - in_ts == m->ts_off);
	for (size_t i = 0; i < m->n; i++)
		CHECK(m->outs[i] != ext);
	if (m->n < sizeof m->outs / sizeof m->outs[0])
		m->outs[m->n++] = ext;
	if (!m->started || ext > m->max_ext) {
		m->max_ext = ext;
		m->max_ts = ts;
	}
	m->started = true;
}

static void check_stream(const uint8_t *data, size_t size)
{
	static const uint32_t ssrcs[4] = { 0xa, 0xb, 0xc, 0xa };
	static struct model m;
	memset(&m, 0, sizeof m);
	struct rtp_rewriter rw;
	struct rtp_rx_stats rx;
	rtp_rewriter_init(&rw, 1, 0, 0);
	rtp_rx_stats_init(&rx, 0xa);
	uint64_t now = 0;
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *d = data + off;
		uint16_t seq = (uint16_t)(d[1] << 8 | d[2]);
		uint32_t ts = (uint32_t)d[3] << 24 | (uint32_t)d[4] << 16 | (uint32_t)d[5] << 8 | d[6];
		now += (uint64_t)d[7] * 97;
		uint8_t p[12] = { 0x80, 111, d[1], d[2], d[3], d[4], d[5], d[6] };
		uint32_t ssrc = ssrcs[d[0] & 3];
		p[8] = 0, p[9] = 0, p[10] = 0, p[11] = (uint8_t)ssrc;
		int r = rtp_rewriter_apply(&rw, p, sizeof p, now);
		CHECK(r >= RTP_REWRITE_FORWARD ? r <= RTP_REWRITE_SWITCHED :
		      r == RTP_REWRITE_DUPLICATE || r == RTP_REWRITE_TOO_OLD || r == RTP_REWRITE_PROBATION);
		uint16_t out_seq = (uint16_t)(p[2] << 8 | p[3]);
		uint32_t out_ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		model_check(&m, r, seq, ts, out_seq, out_ts);
		if (ssrc == 0xa) {
			r = rtp_rx_stats_update(&rx, seq, ts, now);
			CHECK(r == 0 || r == -EAGAIN);
		}
		if (d[0] & 0x80) {
			struct rtcp_report_block rb;
			if (rtp_rx_stats_report_block(&rx, &rb, now) == 0) {
				CHECK(rb.ext_highest_seq == rtp_rx_stats_ext_max(&rx));
				CHECK(rb.cumulative_lost >= -0x800000 && rb.cumulative_lost <= 0x7fffff);
				CHECK(rb.jitter == rtp_rx_stats_jitter(&rx));
			}
		}
	}
	CHECK(rw.forwarded == m.n || m.n == sizeof m.outs / sizeof m.outs[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_packet(data, size);
	check_stream(data, size);
	return 0;
}
