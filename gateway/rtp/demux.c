/* First-byte demultiplexing of a UDP datagram that may carry STUN, DTLS,
 * SRTP and SRTCP on one port (RFC 7983 section 7, which updates RFC 5764):
 *
 *   0..3 STUN | 16..19 ZRTP | 20..63 DTLS | 64..79 TURN channel |
 *   128..191 RTP/RTCP | anything else: drop
 *
 * RTP and RTCP share the port (rtcp-mux, RFC 5761 section 4): RTCP packet
 * types 192..223 fall where RTP payload types 64..95 with the marker bit
 * would, which is why RTP must not use those payload types. So the second
 * byte 192..223 means RTCP. Only classification happens here; the parser
 * chosen checks lengths. Pure, see rtp/rtp.h. */
#include "rtp/rtp.h"

enum rtp_demux_class rtp_demux(const uint8_t *buf, size_t len)
{
	if (!buf || len == 0)
		return RTP_DEMUX_DROP;
	uint8_t b = buf[0];
	if (b <= 3)
		return RTP_DEMUX_STUN;
	if (b >= 16 && b <= 19)
		return RTP_DEMUX_ZRTP;
	if (b >= 20 && b <= 63)
		return RTP_DEMUX_DTLS;
	if (b >= 64 && b <= 79)
		return RTP_DEMUX_TURN_CHANNEL;
	if (b < 128 || b > 191 || len < 2)
		return RTP_DEMUX_DROP;
	return buf[1] >= 192 && buf[1] <= 223 ? RTP_DEMUX_RTCP : RTP_DEMUX_RTP;
}

const char *rtp_demux_name(enum rtp_demux_class c)
{
	switch (c) {
	case RTP_DEMUX_STUN: return "stun";
	case RTP_DEMUX_ZRTP: return "zrtp";
	case RTP_DEMUX_DTLS: return "dtls";
	case RTP_DEMUX_TURN_CHANNEL: return "turn-channel";
	case RTP_DEMUX_RTP: return "rtp";
	case RTP_DEMUX_RTCP: return "rtcp";
	case RTP_DEMUX_DROP: break;
	}
	return "drop";
}
