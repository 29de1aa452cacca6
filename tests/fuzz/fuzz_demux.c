/* libFuzzer target for rtp/ first-byte demultiplexing, as a media socket
 * uses it: classify a datagram, then run the parser the class selects.
 *
 * The class must match an independent table of RFC 7983 / RFC 5761 ranges.
 * RTP goes through rtp_header_decode (which may refuse only short packets,
 * never for the version: the demux range implies V=2), the audio level
 * lookup and a rewriter; RTCP through the compound walk, whose packet
 * types must all be in 192..223, outside RTP's (PT 64..95 + M) range.
 * STUN, DTLS, ZRTP and TURN channel data belong to other modules; here
 * only their classification is checked. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static enum rtp_demux_class reference(const uint8_t *d, size_t n)
{
	if (n == 0)
		return RTP_DEMUX_DROP;
	unsigned b = d[0];
	if (b < 4)
		return RTP_DEMUX_STUN;
	if (b >= 16 && b < 20)
		return RTP_DEMUX_ZRTP;
	if (b >= 20 && b < 64)
		return RTP_DEMUX_DTLS;
	if (b >= 64 && b < 80)
		return RTP_DEMUX_TURN_CHANNEL;
	if (b < 128 || b >= 192 || n < 2)
		return RTP_DEMUX_DROP;
	unsigned pt = d[1] & 0x7f, m = d[1] >> 7;
	return m && pt >= 64 && pt < 96 ? RTP_DEMUX_RTCP : RTP_DEMUX_RTP;
}

static void as_rtp(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	int r = rtp_header_decode(&h, data, size);
	CHECK(r == 0 || r == -EBADMSG || (r == -EINVAL && size < RTP_HEADER_MIN));
	if (r < 0)
		return;
	CHECK(!(h.marker && h.pt >= 64 && h.pt < 96));
	uint8_t level;
	bool vad;
	r = rtp_audio_level_get(&h, 1, &level, &vad);
	CHECK(r == 0 || r == -ENOENT || r == -EBADMSG);
	uint8_t *copy = malloc(size);
	CHECK(copy);
	memcpy(copy, data, size);
	struct rtp_rewriter rw;
	rtp_rewriter_init(&rw, 42, 0, 0);
	CHECK(rtp_rewriter_apply(&rw, copy, size, 0) == RTP_REWRITE_SWITCHED);
	CHECK(rtp_demux(copy, size) == RTP_DEMUX_RTP); /* rewriting keeps the class */
	free(copy);
}

static void as_rtcp(const uint8_t *data, size_t size)
{
	int n = rtcp_compound_check(data, size);
	CHECK(n == -EBADMSG || n >= 1);
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, data, size);
	int got = 0;
	while (rtcp_iter_next(&it, &p) > 0) {
		CHECK(p.pt >= 192 && p.pt <= 223);
		got++;
	}
	CHECK(n < 0 || got == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum rtp_demux_class c = rtp_demux(data, size);
	CHECK(c == reference(data, size));
	CHECK(rtp_demux_name(c) != NULL);
	if (c == RTP_DEMUX_RTP)
		as_rtp(data, size);
	else if (c == RTP_DEMUX_RTCP)
		as_rtcp(data, size);
	return 0;
}
