/* Unit tests for webrtc/sdp: offers as Chromium, Firefox and aiortc write
 * them, the answers built for them (parsed back, key lines checked, one
 * compared whole), every offer error, candidates and fingerprints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webrtc/sdp.h"

/* ---- offers ---- */

#define CHROME_FP "9B:0E:64:2C:A1:7D:33:F8:51:C2:8E:4A:B9:07:DD:62:1F:A5:3C:E8:90:46:7B:D1:2E:F3:68:0A:C5:94:BB:17"
#define CHROME_STREAM "3e1b4f3a-2d6e-4c8b-9f0a-1b2c3d4e5f60"
#define CHROME_TRACK "9f8e7d6c-5b4a-4321-8765-0fedcba98765"

/* Chromium publishing its microphone (audio sendonly) with a recvonly video
 * transceiver, both in one BUNDLE group; host, TCP and srflx candidates. */
static const char chrome_offer[] =
	"v=0\r\n"
	"o=- 4215775240449105457 2 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE 0 1\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS " CHROME_STREAM "\r\n"
	"m=audio 54763 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
	"c=IN IP4 192.168.1.23\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:3377426864 1 udp 2122260223 192.168.1.23 54763 typ host generation 0 network-id 1 network-cost 10\r\n"
	"a=candidate:2193959136 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0 network-id 1 network-cost 10\r\n"
	"a=candidate:842163049 1 udp 1686052607 203.0.113.7 54763 typ srflx raddr 192.168.1.23 rport 54763 generation 0 network-id 1 network-cost 10\r\n"
	"a=ice-ufrag:Fx9q\r\n"
	"a=ice-pwd:k3V1lYq0Tz8S4bWcXn2Ae7Rm\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 " CHROME_FP "\r\n"
	"a=setup:actpass\r\n"
	"a=mid:0\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=sendonly\r\n"
	"a=msid:" CHROME_STREAM " " CHROME_TRACK "\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
	"a=rtpmap:63 red/48000/2\r\n"
	"a=fmtp:63 111/111\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:13 CN/8000\r\n"
	"a=rtpmap:110 telephone-event/48000\r\n"
	"a=rtpmap:126 telephone-event/8000\r\n"
	"a=ssrc:2840118843 cname:Zk3vQ9pL/2xR7tY+\r\n"
	"a=ssrc:2840118843 msid:" CHROME_STREAM " " CHROME_TRACK "\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 103 104 107 108 109 114 115 116 39 40 41 42 45 46 47 48 98 99 100 101 102 122 49 50 51 52 112 113 53 54 35 36 117 118 119\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:Fx9q\r\n"
	"a=ice-pwd:k3V1lYq0Tz8S4bWcXn2Ae7Rm\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 " CHROME_FP "\r\n"
	"a=setup:actpass\r\n"
	"a=mid:1\r\n"
	"a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:13 urn:3gpp:video-orientation\r\n"
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
	"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
	"a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n"
	"a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n"
	"a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
	"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
	"a=recvonly\r\n"
	"a=rtcp-mux\r\n"
	"a=rtcp-rsize\r\n"
	"a=rtpmap:96 VP8/90000\r\n"
	"a=rtcp-fb:96 goog-remb\r\n"
	"a=rtcp-fb:96 transport-cc\r\n"
	"a=rtcp-fb:96 ccm fir\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=rtpmap:103 H264/90000\r\n"
	"a=rtcp-fb:103 goog-remb\r\n"
	"a=rtcp-fb:103 transport-cc\r\n"
	"a=rtcp-fb:103 ccm fir\r\n"
	"a=rtcp-fb:103 nack\r\n"
	"a=rtcp-fb:103 nack pli\r\n"
	"a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
	"a=rtpmap:104 rtx/90000\r\n"
	"a=fmtp:104 apt=103\r\n"
	"a=rtpmap:107 H264/90000\r\n"
	"a=rtcp-fb:107 goog-remb\r\n"
	"a=rtcp-fb:107 transport-cc\r\n"
	"a=rtcp-fb:107 ccm fir\r\n"
	"a=rtcp-fb:107 nack\r\n"
	"a=rtcp-fb:107 nack pli\r\n"
	"a=fmtp:107 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
	"a=rtpmap:108 rtx/90000\r\n"
	"a=fmtp:108 apt=107\r\n"
	"a=rtpmap:109 H264/90000\r\n"
	"a=rtcp-fb:109 goog-remb\r\n"
	"a=rtcp-fb:109 transport-cc\r\n"
	"a=rtcp-fb:109 ccm fir\r\n"
	"a=rtcp-fb:109 nack\r\n"
	"a=rtcp-fb:109 nack pli\r\n"
	"a=fmtp:109 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
	"a=rtpmap:114 rtx/90000\r\n"
	"a=fmtp:114 apt=109\r\n"
	"a=rtpmap:115 H264/90000\r\n"
	"a=rtcp-fb:115 goog-remb\r\n"
	"a=rtcp-fb:115 transport-cc\r\n"
	"a=rtcp-fb:115 ccm fir\r\n"
	"a=rtcp-fb:115 nack\r\n"
	"a=rtcp-fb:115 nack pli\r\n"
	"a=fmtp:115 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
	"a=rtpmap:116 rtx/90000\r\n"
	"a=fmtp:116 apt=115\r\n"
	"a=rtpmap:39 H264/90000\r\n"
	"a=rtcp-fb:39 goog-remb\r\n"
	"a=rtcp-fb:39 transport-cc\r\n"
	"a=rtcp-fb:39 ccm fir\r\n"
	"a=rtcp-fb:39 nack\r\n"
	"a=rtcp-fb:39 nack pli\r\n"
	"a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n"
	"a=rtpmap:40 rtx/90000\r\n"
	"a=fmtp:40 apt=39\r\n"
	"a=rtpmap:41 H264/90000\r\n"
	"a=rtcp-fb:41 goog-remb\r\n"
	"a=rtcp-fb:41 transport-cc\r\n"
	"a=rtcp-fb:41 ccm fir\r\n"
	"a=rtcp-fb:41 nack\r\n"
	"a=rtcp-fb:41 nack pli\r\n"
	"a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n"
	"a=rtpmap:42 rtx/90000\r\n"
	"a=fmtp:42 apt=41\r\n"
	"a=rtpmap:45 AV1/90000\r\n"
	"a=rtcp-fb:45 goog-remb\r\n"
	"a=rtcp-fb:45 transport-cc\r\n"
	"a=rtcp-fb:45 ccm fir\r\n"
	"a=rtcp-fb:45 nack\r\n"
	"a=rtcp-fb:45 nack pli\r\n"
	"a=fmtp:45 level-idx=5;profile=0;tier=0\r\n"
	"a=rtpmap:46 rtx/90000\r\n"
	"a=fmtp:46 apt=45\r\n"
	"a=rtpmap:47 AV1/90000\r\n"
	"a=rtcp-fb:47 goog-remb\r\n"
	"a=rtcp-fb:47 transport-cc\r\n"
	"a=rtcp-fb:47 ccm fir\r\n"
	"a=rtcp-fb:47 nack\r\n"
	"a=rtcp-fb:47 nack pli\r\n"
	"a=fmtp:47 level-idx=5;profile=1;tier=0\r\n"
	"a=rtpmap:48 rtx/90000\r\n"
	"a=fmtp:48 apt=47\r\n"
	"a=rtpmap:98 VP9/90000\r\n"
	"a=rtcp-fb:98 goog-remb\r\n"
	"a=rtcp-fb:98 transport-cc\r\n"
	"a=rtcp-fb:98 ccm fir\r\n"
	"a=rtcp-fb:98 nack\r\n"
	"a=rtcp-fb:98 nack pli\r\n"
	"a=fmtp:98 profile-id=0\r\n"
	"a=rtpmap:99 rtx/90000\r\n"
	"a=fmtp:99 apt=98\r\n"
	"a=rtpmap:100 VP9/90000\r\n"
	"a=rtcp-fb:100 goog-remb\r\n"
	"a=rtcp-fb:100 transport-cc\r\n"
	"a=rtcp-fb:100 ccm fir\r\n"
	"a=rtcp-fb:100 nack\r\n"
	"a=rtcp-fb:100 nack pli\r\n"
	"a=fmtp:100 profile-id=2\r\n"
	"a=rtpmap:101 rtx/90000\r\n"
	"a=fmtp:101 apt=100\r\n"
	"a=rtpmap:102 VP9/90000\r\n"
	"a=rtcp-fb:102 goog-remb\r\n"
	"a=rtcp-fb:102 transport-cc\r\n"
	"a=rtcp-fb:102 ccm fir\r\n"
	"a=rtcp-fb:102 nack\r\n"
	"a=rtcp-fb:102 nack pli\r\n"
	"a=fmtp:102 profile-id=1\r\n"
	"a=rtpmap:122 rtx/90000\r\n"
	"a=fmtp:122 apt=102\r\n"
	"a=rtpmap:49 H265/90000\r\n"
	"a=rtcp-fb:49 goog-remb\r\n"
	"a=rtcp-fb:49 transport-cc\r\n"
	"a=rtcp-fb:49 ccm fir\r\n"
	"a=rtcp-fb:49 nack\r\n"
	"a=rtcp-fb:49 nack pli\r\n"
	"a=fmtp:49 level-id=156;profile-id=1;tier-flag=0;tx-mode=SRST\r\n"
	"a=rtpmap:50 rtx/90000\r\n"
	"a=fmtp:50 apt=49\r\n"
	"a=rtpmap:51 H265/90000\r\n"
	"a=rtcp-fb:51 goog-remb\r\n"
	"a=rtcp-fb:51 transport-cc\r\n"
	"a=rtcp-fb:51 ccm fir\r\n"
	"a=rtcp-fb:51 nack\r\n"
	"a=rtcp-fb:51 nack pli\r\n"
	"a=fmtp:51 level-id=156;profile-id=2;tier-flag=0;tx-mode=SRST\r\n"
	"a=rtpmap:52 rtx/90000\r\n"
	"a=fmtp:52 apt=51\r\n"
	"a=rtpmap:112 H264/90000\r\n"
	"a=rtcp-fb:112 goog-remb\r\n"
	"a=rtcp-fb:112 transport-cc\r\n"
	"a=rtcp-fb:112 ccm fir\r\n"
	"a=rtcp-fb:112 nack\r\n"
	"a=rtcp-fb:112 nack pli\r\n"
	"a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r\n"
	"a=rtpmap:113 rtx/90000\r\n"
	"a=fmtp:113 apt=112\r\n"
	"a=rtpmap:53 H264/90000\r\n"
	"a=rtcp-fb:53 goog-remb\r\n"
	"a=rtcp-fb:53 transport-cc\r\n"
	"a=rtcp-fb:53 ccm fir\r\n"
	"a=rtcp-fb:53 nack\r\n"
	"a=rtcp-fb:53 nack pli\r\n"
	"a=fmtp:53 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=64001f\r\n"
	"a=rtpmap:54 rtx/90000\r\n"
	"a=fmtp:54 apt=53\r\n"
	"a=rtpmap:35 H264/90000\r\n"
	"a=rtcp-fb:35 goog-remb\r\n"
	"a=rtcp-fb:35 transport-cc\r\n"
	"a=rtcp-fb:35 ccm fir\r\n"
	"a=rtcp-fb:35 nack\r\n"
	"a=rtcp-fb:35 nack pli\r\n"
	"a=fmtp:35 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f\r\n"
	"a=rtpmap:36 rtx/90000\r\n"
	"a=fmtp:36 apt=35\r\n"
	"a=rtpmap:117 red/90000\r\n"
	"a=rtpmap:118 rtx/90000\r\n"
	"a=fmtp:118 apt=117\r\n"
	"a=rtpmap:119 ulpfec/90000\r\n"
	;

#define FIREFOX_FP "2A:D7:1C:90:4E:B3:65:F2:08:AF:3D:71:C9:5E:12:84:E6:0B:97:4A:D3:28:BF:6C:01:E5:79:A2:3F:C8:54:9D"

/* Firefox playing a stream (audio recvonly): fingerprint and ice-options at
 * session level, stereo=1 offered, extmap with a direction. */
static const char firefox_offer[] =
	"v=0\r\n"
	"o=mozilla...THIS_IS_SDPARTA-128.0 6317318839541235786 0 IN IP4 0.0.0.0\r\n"
	"s=-\r\n"
	"t=0 0\r\n"
	"a=fingerprint:sha-256 " FIREFOX_FP "\r\n"
	"a=group:BUNDLE 0\r\n"
	"a=ice-options:trickle\r\n"
	"a=msid-semantic:WMS *\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\n"
	"c=IN IP4 0.0.0.0\r\n"
	"a=recvonly\r\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
	"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n"
	"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=ice-pwd:1f2e3d4c5b6a79881f2e3d4c5b6a7988\r\n"
	"a=ice-ufrag:8c1d7e2f\r\n"
	"a=mid:0\r\n"
	"a=rtcp-mux\r\n"
	"a=rtpmap:109 opus/48000/2\r\n"
	"a=rtpmap:9 G722/8000/1\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=setup:actpass\r\n"
	"a=ssrc:3512841199 cname:{0e4b7a52-6c1d-4f3e-9a8b-2d7c5e1f0a36}\r\n";

#define AIORTC_FP "C4:17:5A:E0:9B:32:D8:6F:A1:44:0C:7E:B5:29:F3:86:1D:60:AB:E7:38:C2:95:0F:4B:DA:73:16:8E:25:F9:B0"

/* aiortc 1.4 (sendrecv): Opus PT 96 without fmtp, PCMU, PCMA, candidates
 * gathered in the offer with end-of-candidates, transport attributes after
 * the codecs, no BUNDLE group. */
static const char aiortc_offer[] =
	"v=0\n"
	"o=- 3893912345 3893912345 IN IP4 0.0.0.0\n"
	"s=-\n"
	"t=0 0\n"
	"a=msid-semantic:WMS *\n"
	"m=audio 50123 UDP/TLS/RTP/SAVPF 96 0 8\n"
	"c=IN IP4 192.168.1.50\n"
	"a=sendrecv\n"
	"a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\n"
	"a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
	"a=mid:0\n"
	"a=msid:6b1a1c58-7e0f-4d2a-8c3b-5f9e0d1a2b3c 2f3e4d5c-6b7a-4891-a0b1-c2d3e4f5a6b7\n"
	"a=rtcp:9 IN IP4 0.0.0.0\n"
	"a=rtcp-mux\n"
	"a=ssrc:1748391234 cname:5e9d1c2a-3b4f-4a6e-8d7c-9b0a1f2e3d4c\n"
	"a=rtpmap:96 opus/48000/2\n"
	"a=rtpmap:0 PCMU/8000\n"
	"a=rtpmap:8 PCMA/8000\n"
	"a=candidate:c1f3a7d0e6b2c4f8a9d1e3b5c7f9a1b3 1 udp 2130706431 192.168.1.50 50123 typ host\n"
	"a=candidate:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d 1 udp 1694498815 203.0.113.9 50123 typ srflx raddr 192.168.1.50 rport 50123\n"
	"a=end-of-candidates\n"
	"a=ice-ufrag:Wq3k\n"
	"a=ice-pwd:Xb7fPz2LmN4cVt8RkQ1sDy\n"
	"a=fingerprint:sha-256 " AIORTC_FP "\n"
	"a=setup:actpass\n";

/* ---- helpers ---- */

static const uint8_t server_fp[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
#define SERVER_FP "01:23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

/* Parses from an exact-size heap copy (so ASan catches reads past len). */
static int parse(struct sdp_offer *o, const char *sdp, size_t len, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, sdp, len);
	int rc = sdp_offer_parse(o, copy, len, err, errlen);
	free(copy);
	return rc;
}

static struct sdp_offer *parse_ok(const char *sdp)
{
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_non_null(o);
	int rc = parse(o, sdp, strlen(sdp), err, sizeof(err));
	if (rc)
		print_error("parse failed (%d): %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	return o;
}

/* Expects sdp_offer_parse to fail with rc and an error containing msg. */
static void parse_fails(const char *sdp, int rc, const char *msg)
{
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_non_null(o);
	int got = parse(o, sdp, strlen(sdp), err, sizeof(err));
	if (got != rc || !strstr(err, msg))
		print_error("expected %d \"%s\", got %d \"%s\"\n", rc, msg, got, err);
	assert_int_equal(got, rc);
	assert_non_null(strstr(err, msg));
	free(o);
}

/* Returns a heap copy of sdp with the first occurrence of from replaced. */
static char *replace(const char *sdp, const char *from, const char *to)
{
	const char *at = strstr(sdp, from);
	if (!at)
		print_error("\"%s\" not in the SDP\n", from);
	assert_non_null(at);
	size_t n = strlen(sdp) - strlen(from) + strlen(to);
	char *s = malloc(n + 1);
	assert_non_null(s);
	size_t pre = (size_t)(at - sdp);
	memcpy(s, sdp, pre);
	strcpy(s + pre, to);
	strcat(s, at + strlen(from));
	return s;
}

static void fails_with(const char *sdp, const char *from, const char *to, int rc, const char *msg)
{
	char *s = replace(sdp, from, to);
	parse_fails(s, rc, msg);
	free(s);
}

static int cparse(struct sdp_candidate *c, const char *s)
{
	return sdp_candidate_parse(c, s, strlen(s));
}

static struct sdp_answer_params params(const struct sdp_offer *o)
{
	struct sdp_answer_params p;
	memset(&p, 0, sizeof(p));
	p.offer = o;
	p.session_id = 7283490123456789012ULL;
	p.session_version = 2;
	p.ice_ufrag = "rGw1";
	p.ice_pwd = "a8Kp2Lq9Zx3Vn7Bm1Cs5Df0G";
	memcpy(p.fingerprint, server_fp, 32);
	p.ssrc = 1111222233;
	p.cname = "roomgate";
	p.msid_stream = "room1-stream7";
	p.msid_track = "room1-stream7-audio";
	return p;
}

static char answer_buf[16384];

static const char *answer_ok(const struct sdp_answer_params *p)
{
	char err[256];
	int n = sdp_answer_build(answer_buf, sizeof(answer_buf), p, err, sizeof(err));
	if (n < 0)
		print_error("answer failed (%d): %s\n", n, err);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(answer_buf));
	/* the answer parses with our own parser (it is a valid offer too) */
	struct sdp_offer *back = parse_ok(answer_buf);
	assert_int_equal(back->nm, p->offer->nm);
	free(back);
	return answer_buf;
}

static void has_line(const char *sdp, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	if (!strstr(sdp, want))
		print_error("line \"%s\" missing in:\n%s\n", line, sdp);
	assert_non_null(strstr(sdp, want));
}

static void no_line(const char *sdp, const char *prefix)
{
	char want[512];
	snprintf(want, sizeof(want), "\r\n%s", prefix);
	if (strstr(sdp, want))
		print_error("unexpected \"%s\" in:\n%s\n", prefix, sdp);
	assert_null(strstr(sdp, want));
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* ---- parsing real offers ---- */

static void test_chrome_parse(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(chrome_offer);
	assert_int_equal(o->session_id, 4215775240449105457ULL);
	assert_int_equal(o->session_version, 2);
	assert_true(o->extmap_allow_mixed);
	assert_int_equal(o->nbundle, 2);
	assert_string_equal(o->bundle[0], "0");
	assert_string_equal(o->bundle[1], "1");
	assert_int_equal(o->nm, 2);
	assert_int_equal(o->audio, 0);

	const struct sdp_mline *a = &o->m[0];
	assert_int_equal(a->kind, SDP_MEDIA_AUDIO);
	assert_int_equal(a->port, 54763);
	assert_string_equal(a->proto, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(a->mid, "0");
	assert_int_equal(a->dir, SDP_DIR_SENDONLY);
	assert_int_equal(a->nfmts, 8);
	assert_int_equal(a->npayloads, 8);
	assert_int_equal(a->opus_pt, 111);
	assert_int_equal(a->opus.minptime, 10);
	assert_int_equal(a->opus.useinbandfec, 1);
	assert_int_equal(a->opus.stereo, -1);
	assert_int_equal(a->opus.usedtx, -1);
	assert_int_equal(a->payloads[0].pt, 111);
	assert_string_equal(a->payloads[0].fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(a->payloads[0].fb, SDP_FB_TRANSPORT_CC);
	assert_string_equal(a->payloads[1].name, "red");
	assert_int_equal(a->payloads[1].channels, 2);
	assert_string_equal(a->payloads[1].fmtp, "111/111");
	assert_string_equal(a->payloads[3].name, "PCMU");
	assert_int_equal(a->payloads[3].clock, 8000);
	assert_int_equal(a->payloads[3].channels, 1);
	assert_int_equal(a->ndtmf, 2);
	assert_int_equal(a->dtmf_pt[0], 110);
	assert_int_equal(a->dtmf_clock[0], 48000);
	assert_int_equal(a->dtmf_pt[1], 126);
	assert_int_equal(a->dtmf_clock[1], 8000);
	assert_int_equal(a->ext_audio_level, 1);
	assert_int_equal(a->ext_abs_send_time, 2);
	assert_int_equal(a->ext_twcc, 3);
	assert_int_equal(a->ext_mid, 4);
	assert_int_equal(a->nextmaps, 4);
	assert_string_equal(a->extmaps[0].uri, SDP_EXT_AUDIO_LEVEL);
	assert_true(a->rtcp_mux);
	assert_true(a->rtcp_rsize);
	assert_false(a->bundle_only);
	assert_string_equal(a->ice.ufrag, "Fx9q");
	assert_string_equal(a->ice.pwd, "k3V1lYq0Tz8S4bWcXn2Ae7Rm");
	assert_true(a->ice.trickle);
	assert_int_equal(a->fingerprint.alg, SDP_HASH_SHA256);
	assert_int_equal(a->fingerprint.hash[0], 0x9B);
	assert_int_equal(a->fingerprint.hash[31], 0x17);
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	assert_string_equal(a->msid_stream, CHROME_STREAM);
	assert_string_equal(a->msid_track, CHROME_TRACK);
	assert_int_equal(a->nssrcs, 1);
	assert_int_equal(a->ssrcs[0].ssrc, 2840118843u);
	assert_string_equal(a->ssrcs[0].cname, "Zk3vQ9pL/2xR7tY+");
	assert_string_equal(a->ssrcs[0].msid_track, CHROME_TRACK);

	assert_int_equal(o->ncands, 3);
	assert_int_equal(o->cands_dropped, 0);
	assert_int_equal(o->cand_mline[0], 0);
	assert_string_equal(o->cands[0].foundation, "3377426864");
	assert_int_equal(o->cands[0].component, 1);
	assert_int_equal(o->cands[0].transport, SDP_TRANSPORT_UDP);
	assert_int_equal(o->cands[0].priority, 2122260223u);
	assert_string_equal(o->cands[0].address, "192.168.1.23");
	assert_int_equal(o->cands[0].port, 54763);
	assert_int_equal(o->cands[0].type, SDP_CAND_HOST);
	assert_false(o->cands[0].has_related);
	assert_int_equal(o->cands[1].transport, SDP_TRANSPORT_TCP);
	assert_int_equal(o->cands[1].tcptype, SDP_TCPTYPE_ACTIVE);
	assert_int_equal(o->cands[2].type, SDP_CAND_SRFLX);
	assert_true(o->cands[2].has_related);
	assert_string_equal(o->cands[2].raddr, "192.168.1.23");
	assert_int_equal(o->cands[2].rport, 54763);

	/* the video m-line: well formed, 37 formats of which 32 described */
	const struct sdp_mline *v = &o->m[1];
	assert_int_equal(v->kind, SDP_MEDIA_VIDEO);
	assert_string_equal(v->mid, "1");
	assert_int_equal(v->dir, SDP_DIR_RECVONLY);
	assert_int_equal(v->nfmts, 37);
	assert_int_equal(v->npayloads, SDP_MAX_PAYLOADS);
	assert_string_equal(v->fmt0, "96");
	assert_string_equal(v->payloads[0].name, "VP8");
	assert_int_equal(v->payloads[0].fb, SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC | SDP_FB_CCM_FIR |
						   SDP_FB_NACK | SDP_FB_NACK_PLI);
	assert_int_equal(v->opus_pt, -1);
	assert_int_equal(v->ext_twcc, 3);
	assert_int_equal(v->nextmaps, 11);
	free(o);
}

static void test_firefox_parse(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(firefox_offer);
	const struct sdp_mline *a = &o->m[0];
	assert_int_equal(o->session_id, 6317318839541235786ULL);
	assert_int_equal(o->nm, 1);
	assert_int_equal(a->dir, SDP_DIR_RECVONLY);
	assert_int_equal(a->opus_pt, 109);
	assert_int_equal(a->opus.stereo, 1);
	assert_int_equal(a->opus.useinbandfec, 1);
	assert_int_equal(a->opus.maxplaybackrate, 48000);
	assert_int_equal(a->opus.minptime, -1);
	/* session-level fingerprint and ice-options apply to the m-line */
	assert_int_equal(a->fingerprint.alg, SDP_HASH_SHA256);
	assert_int_equal(a->fingerprint.hash[0], 0x2A);
	assert_true(a->ice.trickle);
	assert_string_equal(a->ice.ufrag, "8c1d7e2f");
	assert_int_equal(a->ext_audio_level, 1);
	assert_int_equal(a->ext_mid, 3);
	assert_int_equal(a->extmaps[1].dir, SDP_DIR_RECVONLY);
	assert_int_equal(a->ndtmf, 1);
	assert_int_equal(a->dtmf_pt[0], 101);
	assert_string_equal(a->payloads[4].fmtp, "0-15");
	assert_string_equal(a->payloads[1].name, "G722");
	assert_int_equal(a->payloads[1].channels, 1);
	assert_string_equal(a->ssrcs[0].cname, "{0e4b7a52-6c1d-4f3e-9a8b-2d7c5e1f0a36}");
	assert_int_equal(o->ncands, 0);
	free(o);
}

static void test_aiortc_parse(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(aiortc_offer);
	const struct sdp_mline *a = &o->m[0];
	assert_int_equal(o->nbundle, 0);
	assert_int_equal(a->dir, SDP_DIR_SENDRECV);
	assert_int_equal(a->opus_pt, 96);
	assert_int_equal(a->opus.useinbandfec, -1);
	assert_string_equal(a->payloads[0].fmtp, "");
	assert_int_equal(a->ext_audio_level, 2);
	assert_int_equal(a->ext_mid, 1);
	assert_int_equal(a->ext_twcc, 0);
	assert_true(a->end_of_candidates);
	assert_false(a->ice.trickle);
	assert_int_equal(o->ncands, 2);
	assert_string_equal(o->cands[0].foundation, "c1f3a7d0e6b2c4f8a9d1e3b5c7f9a1b3");
	assert_int_equal(o->cands[1].rport, 50123);
	assert_int_equal(a->setup, SDP_SETUP_ACTPASS);
	free(o);
}

/* ---- answers ---- */

/* The whole answer to Chromium's publish offer, as Chromium lays it out. */
static void test_chrome_answer_exact(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(chrome_offer);
	struct sdp_answer_params p = params(o);
	p.direction = SDP_DIR_RECVONLY; /* a publish */
	const char *want =
		"v=0\r\n"
		"o=- 7283490123456789012 2 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"t=0 0\r\n"
		"a=group:BUNDLE 0\r\n"
		"a=msid-semantic: WMS *\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
		"c=IN IP4 0.0.0.0\r\n"
		"a=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=ice-ufrag:rGw1\r\n"
		"a=ice-pwd:a8Kp2Lq9Zx3Vn7Bm1Cs5Df0G\r\n"
		"a=ice-options:trickle\r\n"
		"a=fingerprint:sha-256 " SERVER_FP "\r\n"
		"a=setup:active\r\n"
		"a=mid:0\r\n"
		"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
		"a=recvonly\r\n"
		"a=rtcp-mux\r\n"
		"a=rtpmap:111 opus/48000/2\r\n"
		"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
		"m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
		"c=IN IP4 0.0.0.0\r\n"
		"a=mid:1\r\n"
		"a=inactive\r\n";
	assert_string_equal(answer_ok(&p), want);
	free(o);
}

static void test_chrome_answer_lines(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(chrome_offer);
	struct sdp_answer_params p = params(o);
	p.transport_cc = true;
	const char *s = answer_ok(&p);
	/* sendonly offer, no restriction: recvonly all the same */
	has_line(s, "a=recvonly");
	has_line(s, "a=group:BUNDLE 0");
	has_line(s, "a=setup:active");
	has_line(s, "m=video 0 UDP/TLS/RTP/SAVPF 96");
	has_line(s, "a=extmap:1 " SDP_EXT_AUDIO_LEVEL);
	has_line(s, "a=extmap:3 " SDP_EXT_TWCC);
	has_line(s, "a=rtcp-fb:111 transport-cc");
	no_line(s, "a=extmap:2 ");
	no_line(s, "a=extmap:4 ");
	no_line(s, "a=ssrc:");
	no_line(s, "a=msid:");
	no_line(s, "a=rtpmap:63");
	no_line(s, "a=rtpmap:110");
	no_line(s, "a=candidate");
	assert_int_equal(count(s, "a=rtpmap:"), 1);
	assert_int_equal(count(s, "m="), 2);
	assert_int_equal(count(s, "\r\n"), count(s, "\n")); /* CRLF only */

	/* the answer read back */
	struct sdp_offer *b = parse_ok(s);
	assert_int_equal(b->m[0].dir, SDP_DIR_RECVONLY);
	assert_int_equal(b->m[0].setup, SDP_SETUP_ACTIVE);
	assert_int_equal(b->m[0].opus_pt, 111);
	assert_int_equal(b->m[0].opus.useinbandfec, 1);
	assert_int_equal(b->m[0].opus.minptime, 10);
	assert_true(sdp_fingerprint_equal(b->m[0].fingerprint.hash, server_fp));
	assert_int_equal(b->m[1].port, 0);
	assert_int_equal(b->m[1].dir, SDP_DIR_INACTIVE);
	assert_string_equal(b->m[1].mid, "1");
	assert_int_equal(b->nbundle, 1);
	free(b);
	free(o);
}

static void test_firefox_answer_play(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(firefox_offer);
	struct sdp_answer_params p = params(o);
	p.direction = SDP_DIR_SENDONLY; /* a play */
	const char *s = answer_ok(&p);
	has_line(s, "a=sendonly");
	has_line(s, "a=msid:room1-stream7 room1-stream7-audio");
	has_line(s, "a=ssrc:1111222233 cname:roomgate");
	has_line(s, "a=ssrc:1111222233 msid:room1-stream7 room1-stream7-audio");
	has_line(s, "a=rtpmap:109 opus/48000/2");
	has_line(s, "a=fmtp:109 minptime=10;useinbandfec=1");
	has_line(s, "a=extmap:1 " SDP_EXT_AUDIO_LEVEL);
	has_line(s, "a=group:BUNDLE 0");
	has_line(s, "a=setup:active");
	no_line(s, "a=rtcp-fb");
	assert_int_equal(count(s, "m="), 1);

	/* stereo: Firefox asks for it (stereo=1), so we may send it */
	p.allow_stereo = true;
	s = answer_ok(&p);
	has_line(s, "a=fmtp:109 minptime=10;useinbandfec=1;sprop-stereo=1");

	/* a play leg sending to a sendonly offer has nothing to do */
	free(o);
	o = parse_ok(chrome_offer);
	p = params(o);
	p.direction = SDP_DIR_SENDONLY;
	s = answer_ok(&p);
	assert_int_equal(count(s, "\r\na=inactive\r\n"), 2);
	no_line(s, "a=ssrc:");
	free(o);
}

static void test_aiortc_answer(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(aiortc_offer);
	struct sdp_answer_params p = params(o);
	const char *s = answer_ok(&p);
	/* sendrecv offer without restriction: sendrecv, so our stream is there */
	has_line(s, "a=sendrecv");
	has_line(s, "a=ssrc:1111222233 cname:roomgate");
	has_line(s, "m=audio 9 UDP/TLS/RTP/SAVPF 96");
	has_line(s, "a=extmap:2 " SDP_EXT_AUDIO_LEVEL);
	has_line(s, "a=mid:0");
	no_line(s, "a=group:BUNDLE"); /* the offer had none */

	p.direction = SDP_DIR_RECVONLY;
	s = answer_ok(&p);
	has_line(s, "a=recvonly");
	no_line(s, "a=ssrc:");

	/* the same offer with BUNDLE */
	char *b = replace(aiortc_offer, "a=msid-semantic:WMS *\n", "a=group:BUNDLE 0\na=msid-semantic:WMS *\n");
	free(o);
	o = parse_ok(b);
	p.offer = o;
	s = answer_ok(&p);
	has_line(s, "a=group:BUNDLE 0");
	free(b);
	free(o);
}

static void test_answer_direction_matrix(void **state)
{
	(void)state;
	static const struct {
		const char *offer;
		enum sdp_direction want, answer;
	} cases[] = {
		{ "a=sendonly", SDP_DIR_NONE, SDP_DIR_RECVONLY },
		{ "a=sendonly", SDP_DIR_RECVONLY, SDP_DIR_RECVONLY },
		{ "a=sendonly", SDP_DIR_SENDONLY, SDP_DIR_INACTIVE },
		{ "a=recvonly", SDP_DIR_NONE, SDP_DIR_SENDONLY },
		{ "a=recvonly", SDP_DIR_SENDONLY, SDP_DIR_SENDONLY },
		{ "a=recvonly", SDP_DIR_RECVONLY, SDP_DIR_INACTIVE },
		{ "a=sendrecv", SDP_DIR_NONE, SDP_DIR_SENDRECV },
		{ "a=sendrecv", SDP_DIR_SENDRECV, SDP_DIR_SENDRECV },
		{ "a=sendrecv", SDP_DIR_RECVONLY, SDP_DIR_RECVONLY },
		{ "a=sendrecv", SDP_DIR_SENDONLY, SDP_DIR_SENDONLY },
		{ "a=inactive", SDP_DIR_NONE, SDP_DIR_INACTIVE },
		{ "a=inactive", SDP_DIR_SENDRECV, SDP_DIR_INACTIVE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = replace(chrome_offer, "a=sendonly", cases[i].offer);
		struct sdp_offer *o = parse_ok(s);
		struct sdp_answer_params p = params(o);
		p.direction = cases[i].want;
		struct sdp_offer *b = parse_ok(answer_ok(&p));
		if (b->m[0].dir != cases[i].answer)
			print_error("case %zu: got %s\n", i, sdp_direction_name(b->m[0].dir));
		assert_int_equal(b->m[0].dir, cases[i].answer);
		assert_int_equal(b->m[0].nssrcs, cases[i].answer == SDP_DIR_SENDONLY ||
						 cases[i].answer == SDP_DIR_SENDRECV);
		free(b);
		free(o);
		free(s);
	}
}

static void test_answer_setup(void **state)
{
	(void)state;
	static const struct {
		const char *offer;
		enum sdp_setup want, answer;
		bool ok;
	} cases[] = {
		{ "a=setup:actpass", SDP_SETUP_NONE, SDP_SETUP_ACTIVE, true },
		{ "a=setup:actpass", SDP_SETUP_PASSIVE, SDP_SETUP_PASSIVE, true },
		{ "a=setup:actpass", SDP_SETUP_ACTIVE, SDP_SETUP_ACTIVE, true },
		{ "a=setup:actpass", SDP_SETUP_ACTPASS, 0, false },
		{ "a=setup:active", SDP_SETUP_NONE, SDP_SETUP_PASSIVE, true },
		{ "a=setup:active", SDP_SETUP_ACTIVE, 0, false },
		{ "a=setup:passive", SDP_SETUP_NONE, SDP_SETUP_ACTIVE, true },
		{ "a=setup:passive", SDP_SETUP_PASSIVE, 0, false },
		{ "a=x-no-setup:1", SDP_SETUP_NONE, SDP_SETUP_PASSIVE, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = replace(firefox_offer, "a=setup:actpass", cases[i].offer);
		struct sdp_offer *o = parse_ok(s);
		struct sdp_answer_params p = params(o);
		char err[256];
		p.setup = cases[i].want;
		int n = sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err));
		if (cases[i].ok) {
			struct sdp_offer *b = parse_ok(answer_ok(&p));
			assert_int_equal(b->m[0].setup, cases[i].answer);
			free(b);
		} else {
			assert_int_equal(n, -EINVAL);
			assert_non_null(strstr(err, "bad setup"));
			assert_string_equal(answer_buf, "");
		}
		free(o);
		free(s);
	}
}

static void test_answer_candidates(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(firefox_offer);
	struct sdp_answer_params p = params(o);
	struct sdp_candidate c[2];
	assert_int_equal(cparse(&c[0], "candidate:1 1 tcp 1518280447 10.0.0.2 443 typ host tcptype passive"), 0);
	assert_int_equal(cparse(&c[1], "candidate:2 1 udp 2122260223 10.0.0.2 40000 typ host"), 0);
	p.candidates = c;
	p.ncandidates = 2;
	p.end_of_candidates = true;
	const char *s = answer_ok(&p);
	/* the UDP one is the default address */
	has_line(s, "m=audio 40000 UDP/TLS/RTP/SAVPF 109");
	has_line(s, "c=IN IP4 10.0.0.2");
	has_line(s, "a=rtcp:40000 IN IP4 10.0.0.2");
	has_line(s, "a=candidate:1 1 tcp 1518280447 10.0.0.2 443 typ host tcptype passive\r\n"
		    "a=candidate:2 1 udp 2122260223 10.0.0.2 40000 typ host\r\n"
		    "a=end-of-candidates\r\n"
		    "a=ice-ufrag:rGw1");
	struct sdp_offer *b = parse_ok(s);
	assert_int_equal(b->ncands, 2);
	assert_true(b->m[0].end_of_candidates);
	free(b);

	/* IPv6 default */
	assert_int_equal(cparse(&c[1], "candidate:2 1 udp 2122260223 2001:db8::7 40000 typ host"), 0);
	s = answer_ok(&p);
	has_line(s, "c=IN IP6 2001:db8::7");
	/* neither can a link-local address with a zone, nor port 0 */
	assert_int_equal(cparse(&c[1], "candidate:2 1 udp 2122260223 fe80::1%eth0 40000 typ host"), 0);
	s = answer_ok(&p);
	has_line(s, "c=IN IP4 0.0.0.0");
	assert_int_equal(cparse(&c[1], "candidate:2 1 udp 2122260223 10.0.0.2 0 typ host"), 0);
	s = answer_ok(&p);
	has_line(s, "m=audio 9 UDP/TLS/RTP/SAVPF 109");
	/* an mDNS name cannot be the default */
	assert_int_equal(cparse(&c[1], "candidate:2 1 udp 2122260223 1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.local 40000 typ host"), 0);
	s = answer_ok(&p);
	has_line(s, "m=audio 9 UDP/TLS/RTP/SAVPF 109");
	has_line(s, "c=IN IP4 0.0.0.0");
	free(o);
}

static void test_answer_rejects_others(void **state)
{
	(void)state;
	/* audio second, after a data channel and before a second audio and a video;
	 * BUNDLE tagged on the application m-line */
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		"a=group:BUNDLE d a a2 v\r\n"
		"a=ice-ufrag:Fx9q\r\na=ice-pwd:k3V1lYq0Tz8S4bWcXn2Ae7Rm\r\n"
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
		"c=IN IP4 0.0.0.0\r\na=mid:d\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n"
		"a=fingerprint:sha-256 " CHROME_FP "\r\na=setup:actpass\r\n"
		"m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"
		"a=bundle-only\r\na=mid:a\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a2\r\na=rtcp-mux\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n"
		"m=text 9 RTP/AVP 98\r\n";
	struct sdp_offer *o = parse_ok(offer);
	assert_int_equal(o->nm, 5);
	assert_int_equal(o->audio, 1);
	/* transport attributes come from the tagged m-line */
	assert_int_equal(o->m[1].fingerprint.alg, SDP_HASH_SHA256);
	assert_int_equal(o->m[1].setup, SDP_SETUP_ACTPASS);
	assert_true(o->m[1].bundle_only);
	assert_int_equal(o->m[4].kind, SDP_MEDIA_OTHER);
	struct sdp_answer_params p = params(o);
	const char *s = answer_ok(&p);
	has_line(s, "a=group:BUNDLE a");
	has_line(s, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d\r\na=inactive");
	has_line(s, "m=audio 9 UDP/TLS/RTP/SAVPF 111");
	has_line(s, "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:a2\r\na=inactive");
	has_line(s, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=inactive");
	has_line(s, "m=text 0 RTP/AVP 98\r\nc=IN IP4 0.0.0.0\r\na=inactive");
	/* m-lines stay in offer order */
	assert_true(strstr(s, "m=application") < strstr(s, "m=audio 9"));
	assert_true(strstr(s, "m=audio 9") < strstr(s, "m=audio 0"));
	assert_true(strstr(s, "m=video") < strstr(s, "m=text"));
	free(o);
}

static void test_answer_errors(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_ok(aiortc_offer);
	struct sdp_answer_params p = params(o);
	char small[64], err[256];

	assert_int_equal(sdp_answer_build(small, sizeof(small), &p, err, sizeof(err)), -ENOSPC);
	assert_string_equal(small, "");
	assert_non_null(strstr(err, "does not fit"));

	p.ice_pwd = "short";
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ICE"));
	p = params(o);
	p.ice_ufrag = "a b\r\nx";
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);

	p = params(o);
	p.ssrc = 0; /* sendrecv needs our stream */
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ssrc"));
	p.direction = SDP_DIR_RECVONLY; /* not when only receiving */
	assert_true(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)) > 0);

	p = params(o);
	p.cname = "bad cname";
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	p = params(o);
	p.msid_track = "bad\ntrack";
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);

	/* a caller-filled offer with a mid that would inject lines */
	p = params(o);
	strcpy(o->m[0].mid, "0\r\na=x");
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	o->audio = 3;
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	p.offer = NULL;
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), NULL, NULL, 0), -EINVAL);

	struct sdp_candidate c;
	memset(&c, 0, sizeof(c));
	p = params(parse_ok(aiortc_offer));
	p.candidates = &c; /* empty foundation */
	p.ncandidates = 1;
	assert_int_equal(sdp_answer_build(answer_buf, sizeof(answer_buf), &p, err, sizeof(err)), -EINVAL);
	free((void *)p.offer);
	free(o);
}

/* ---- offer errors ---- */

static void test_offer_errors_required(void **state)
{
	(void)state;
	fails_with(chrome_offer, "m=audio 54763 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		   "m=video 54763 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", -EINVAL, "no audio m-line");
	fails_with(chrome_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 ISAC/16000", -ENOTSUP,
		   "audio m-line has no Opus 48000/2");
	fails_with(chrome_offer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000", -ENOTSUP,
		   "audio m-line has no Opus 48000/2");
	fails_with(aiortc_offer, "m=audio 50123 UDP/TLS/RTP/SAVPF 96 0 8", "m=audio 50123 UDP/TLS/RTP/SAVPF 0 8",
		   -ENOTSUP, "audio m-line has no Opus 48000/2");
	fails_with(chrome_offer, "a=rtcp-mux\r\na=rtcp-rsize", "a=rtcp-rsize", -ENOTSUP, "rtcp-mux is required");
	fails_with(chrome_offer, "a=ice-ufrag:Fx9q\r\n", "", -EINVAL, "missing ICE ufrag/pwd");
	fails_with(aiortc_offer, "a=ice-pwd:Xb7fPz2LmN4cVt8RkQ1sDy\n", "", -EINVAL, "missing ICE ufrag/pwd");
	fails_with(firefox_offer, "a=fingerprint:sha-256 " FIREFOX_FP, "a=x:y", -EINVAL,
		   "missing DTLS fingerprint (sha-256)");
	fails_with(firefox_offer, "a=fingerprint:sha-256", "a=fingerprint:sha-1", -EINVAL,
		   "missing DTLS fingerprint (sha-256)");
	fails_with(chrome_offer, "m=audio 54763", "m=audio 0", -EINVAL, "audio m-line is disabled (port 0)");
	fails_with(chrome_offer, "m=audio 54763 UDP/TLS/RTP/SAVPF", "m=audio 54763 RTP/AVP", -ENOTSUP,
		   "not DTLS-SRTP");
	/* sha-256 next to another hash function is fine */
	char *s = replace(firefox_offer, "a=group:BUNDLE 0\r\n",
			  "a=group:BUNDLE 0\r\na=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n");
	free(parse_ok(s));
	free(s);
}

static void test_offer_errors_bad_values(void **state)
{
	(void)state;
	/* the bad line is named by number */
	fails_with(chrome_offer, "a=fingerprint:sha-256 9B:0E", "a=fingerprint:sha-256 9B:0E:", -EINVAL,
		   "line 17: bad fingerprint");
	fails_with(chrome_offer, "a=fingerprint:sha-256 9B:0E", "a=fingerprint:sha-256 9G:0E", -EINVAL,
		   "bad fingerprint");
	fails_with(chrome_offer, ":BB:17\r\n", ":BB\r\n", -EINVAL, "bad fingerprint");
	fails_with(chrome_offer, ":BB:17\r\n", ":BB:17:\r\n", -EINVAL, "bad fingerprint");
	fails_with(chrome_offer, ":BB:17\r\n", ":BB-17\r\n", -EINVAL, "bad fingerprint");
	fails_with(chrome_offer, "a=fingerprint:sha-256 " CHROME_FP, "a=fingerprint:sha-256", -EINVAL,
		   "bad fingerprint");
	fails_with(chrome_offer, "a=setup:actpass", "a=setup:holdconn", -EINVAL, "line 18: bad setup");
	fails_with(chrome_offer, "a=setup:actpass", "a=setup:ACTPASS", -EINVAL, "bad setup");
	fails_with(chrome_offer, "a=ice-ufrag:Fx9q", "a=ice-ufrag:F", -EINVAL, "bad ICE ufrag");
	fails_with(chrome_offer, "a=ice-pwd:k3V1", "a=ice-pwd:k3V1!", -EINVAL, "bad ICE pwd");
	fails_with(chrome_offer, "a=mid:0", "a=mid:1", -EINVAL, "duplicate mid");
	fails_with(chrome_offer, "a=mid:0", "a=mid:a/b", -EINVAL, "bad mid");
	fails_with(chrome_offer, "a=extmap:4 ", "a=extmap:1 ", -EINVAL, "duplicate extmap id 1");
	fails_with(chrome_offer, "a=extmap:4 ", "a=extmap:0 ", -EINVAL, "bad extmap id");
	fails_with(chrome_offer, "a=extmap:4 ", "a=extmap:4/sideways ", -EINVAL, "bad extmap direction");
	fails_with(chrome_offer, "a=rtpmap:126 telephone-event/8000", "a=rtpmap:111 telephone-event/8000",
		   -EINVAL, "duplicate rtpmap");
	fails_with(chrome_offer, "a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU", -EINVAL, "bad rtpmap");
	fails_with(chrome_offer, "a=rtpmap:0 PCMU/8000", "a=rtpmap:200 PCMU/8000", -EINVAL, "bad rtpmap");
	fails_with(chrome_offer, "a=fmtp:63 111/111", "a=fmtp:x 111/111", -EINVAL, "bad fmtp");
	fails_with(chrome_offer, "a=rtcp-fb:111 transport-cc", "a=rtcp-fb:111", -EINVAL, "line 29: bad rtcp-fb");
	fails_with(chrome_offer, "a=rtcp-fb:111 transport-cc", "a=rtcp-fb: ", -EINVAL, "a=rtcp-fb without a value");
	fails_with(chrome_offer, " 110 126\r\n", " 110 1x6\r\n", -EINVAL, "line 8: bad payload type");
	fails_with(chrome_offer, " 110 126\r\n", " 110 128\r\n", -EINVAL, "bad payload type");
	fails_with(chrome_offer, "m=audio 54763", "m=audio 65536", -EINVAL, "bad port");
	fails_with(chrome_offer, "m=audio 54763 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		   "m=audio 54763 UDP/TLS/RTP/SAVPF", -EINVAL, "m-line without formats");
	fails_with(chrome_offer, "a=ssrc:2840118843 cname", "a=ssrc:4294967296 cname", -EINVAL, "bad ssrc");
	fails_with(chrome_offer, "a=msid:" CHROME_STREAM, "a=msid:" CHROME_STREAM " x y", -EINVAL, "bad msid");
	fails_with(chrome_offer, "a=candidate:3377426864 1 udp", "a=candidate:3377426864 0 udp", -EINVAL,
		   "line 11: bad candidate");
	fails_with(chrome_offer, "54763 typ host", "54763 typo host", -EINVAL, "bad candidate");
	fails_with(chrome_offer, "rport 54763", "rport", -EINVAL, "bad candidate");
	fails_with(chrome_offer, "o=- 4215775240449105457 2", "o=- 42157752404491054x7 2", -EINVAL, "line 2: bad o= line");
	fails_with(chrome_offer, "s=-\r\n", "", -EINVAL, "missing s= line");
	fails_with(chrome_offer, "o=- 4215775240449105457 2 IN IP4 127.0.0.1\r\n", "", -EINVAL,
		   "missing o= line");
	fails_with(chrome_offer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1/", -EINVAL, "bad mid in BUNDLE");
}

static void test_offer_errors_syntax(void **state)
{
	(void)state;
	parse_fails("", -EINVAL, "not an SDP");
	parse_fails("\r\n\r\n", -EINVAL, "not an SDP");
	parse_fails("hello world", -EINVAL, "line 1: expected <type>=<value>");
	parse_fails("{\"type\":\"offer\"}", -EINVAL, "line 1: expected");
	parse_fails("v=1\r\n", -EINVAL, "line 1: bad v= line");
	parse_fails("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", -EINVAL, "line 1: SDP must start with v=0");
	parse_fails("v=0\r\nv=0\r\n", -EINVAL, "line 2: bad v= line");
	fails_with(chrome_offer, "t=0 0\r\n", "t=0 0\r\nA=foo\r\n", -EINVAL, "line 5: expected <type>=<value>");
	fails_with(chrome_offer, "t=0 0\r\n", "t=0 0\r\na = foo\r\n", -EINVAL, "line 5: expected");
	fails_with(chrome_offer, "s=-\r\n", "s=-\r\ns=x\ry\r\n", -EINVAL, "line 4: control character 0x0d");
	fails_with(chrome_offer, "s=-\r\n", "s=\x01\r\n", -EINVAL, "control character 0x01");
	fails_with(chrome_offer, "a=mid:0\r\n", "a=mid:0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", -EINVAL, "unexpected o= line");

	/* a NUL byte in the middle */
	size_t len = strlen(chrome_offer);
	char *s = malloc(len);
	assert_non_null(s);
	memcpy(s, chrome_offer, len);
	s[30] = '\0';
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_int_equal(parse(o, s, len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: NUL byte");
	free(s);

	/* no error buffer, tiny error buffer */
	assert_int_equal(sdp_offer_parse(o, "x", 1, NULL, 0), -EINVAL);
	assert_int_equal(sdp_offer_parse(o, "x", 1, err, 5), -EINVAL);
	assert_string_equal(err, "line");
	assert_int_equal(sdp_offer_parse(o, NULL, 3, err, sizeof(err)), -EINVAL);
	free(o);
}

static void test_offer_bounds(void **state)
{
	(void)state;
	char *big = malloc(SDP_MAX_LEN + 2048);
	assert_non_null(big);
	char err[256];
	struct sdp_offer *o = malloc(sizeof(*o));
	assert_non_null(o);

	/* a line over SDP_MAX_LINE */
	size_t n = (size_t)sprintf(big, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=");
	memset(big + n, 'x', SDP_MAX_LINE);
	strcpy(big + n + SDP_MAX_LINE, "\r\n");
	parse_fails(big, -E2BIG, "line 3: line longer than 1024 bytes");
	big[n + SDP_MAX_LINE - 3] = '\0'; /* exactly SDP_MAX_LINE with "s=" */
	assert_int_not_equal(parse(o, big, strlen(big), err, sizeof(err)), -E2BIG);

	/* the whole SDP over SDP_MAX_LEN */
	memset(big, '\n', SDP_MAX_LEN + 1);
	assert_int_equal(parse(o, big, SDP_MAX_LEN + 1, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "SDP longer than"));

	/* too many m-lines */
	n = (size_t)sprintf(big, "%s", aiortc_offer);
	for (int i = 0; i < SDP_MAX_MLINES; i++)
		n += (size_t)sprintf(big + n, "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v%d\n", i);
	parse_fails(big, -E2BIG, "more than 8 m-lines");

	/* too many payload types on the audio m-line */
	n = (size_t)sprintf(big, "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nm=audio 9 UDP/TLS/RTP/SAVPF");
	for (int i = 0; i <= SDP_MAX_PAYLOADS; i++)
		n += (size_t)sprintf(big + n, " %d", 64 + i);
	strcpy(big + n, "\n");
	parse_fails(big, -E2BIG, "more than 32 payload types on the audio m-line");

	/* too many candidates: counted, not stored */
	n = (size_t)sprintf(big, "%s", aiortc_offer);
	for (int i = 0; i < SDP_MAX_CANDIDATES + 5; i++)
		n += (size_t)sprintf(big + n, "a=candidate:%d 1 udp 1 10.0.0.%d 5000 typ host\n", i, i);
	n += (size_t)sprintf(big + n, "a=candidate:x 1 sctp 1 10.0.0.1 5000 typ host\n");
	n += (size_t)sprintf(big + n, "a=candidate:y 1 udp 1 10.0.0.1 5000 typ wormhole\n");
	free(o);
	o = parse_ok(big);
	assert_int_equal(o->ncands, SDP_MAX_CANDIDATES);
	assert_int_equal(o->cands_dropped, 2 + 5 + 2);

	/* extmaps and ssrcs over the bound on a video m-line are ignored */
	n = (size_t)sprintf(big, "%s", aiortc_offer);
	n += (size_t)sprintf(big + n, "m=video 9 UDP/TLS/RTP/SAVPF 96\n");
	for (int i = 1; i <= 20; i++)
		n += (size_t)sprintf(big + n, "a=extmap:%d urn:x:%d\na=ssrc:%d cname:c\n", i, i, i);
	free(o);
	o = parse_ok(big);
	assert_int_equal(o->m[1].nextmaps, SDP_MAX_EXTMAPS);
	assert_int_equal(o->m[1].nssrcs, SDP_MAX_SSRCS);
	free(o);
	free(big);
}

/* Every prefix of the real offers parses or fails cleanly (never past len). */
static void test_offer_prefixes(void **state)
{
	(void)state;
	const char *offers[] = { chrome_offer, firefox_offer, aiortc_offer };
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_non_null(o);
	for (size_t k = 0; k < 3; k++) {
		size_t len = strlen(offers[k]);
		for (size_t n = 0; n <= len; n++) {
			int rc = parse(o, offers[k], n, err, sizeof(err));
			assert_true(rc == 0 || rc == -EINVAL || rc == -ENOTSUP || rc == -E2BIG);
			assert_true(rc == 0 || err[0] != '\0');
		}
	}
	free(o);
}

static void test_offer_lenient(void **state)
{
	(void)state;
	/* session-level direction and setup, wildcard rtcp-fb, static PTs without
	 * rtpmap, spaces in fmtp and after a flag, upper-case hash and codec
	 * names, an unknown attribute, no line end after the last line */
	static const char offer[] =
		"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=sendonly\r\na=setup:passive\r\n"
		"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
		"a=fingerprint:SHA-256 " FIREFOX_FP "\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 0 8 96\r\n"
		"a=x-google-flag:conference\r\n"
		"a=rtcp-mux \r\na=rtcp-fb:* nack\r\na=rtpmap:96 OPUS/48000/2\r\n"
		"a=fmtp:96 stereo=1; sprop-stereo=1 ;useinbandfec=x;maxaveragebitrate=64000\r\n"
		"a=ptime:20";
	struct sdp_offer *o = parse_ok(offer);
	const struct sdp_mline *a = &o->m[0];
	assert_int_equal(a->dir, SDP_DIR_SENDONLY);
	assert_int_equal(a->setup, SDP_SETUP_PASSIVE);
	assert_int_equal(a->opus_pt, 96);
	assert_int_equal(a->opus.stereo, 1);
	assert_int_equal(a->opus.sprop_stereo, 1);
	assert_int_equal(a->opus.useinbandfec, -1);
	assert_int_equal(a->opus.maxaveragebitrate, 64000);
	assert_string_equal(a->payloads[0].name, "PCMU");
	assert_string_equal(a->payloads[1].name, "PCMA");
	assert_int_equal(a->payloads[1].fb, SDP_FB_NACK);
	assert_int_equal(a->payloads[2].fb, SDP_FB_NACK);
	struct sdp_answer_params p = params(o);
	p.allow_stereo = true;
	const char *s = answer_ok(&p);
	has_line(s, "a=fmtp:96 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1");
	has_line(s, "a=setup:active");
	has_line(s, "a=recvonly");
	no_line(s, "a=extmap");
	no_line(s, "a=mid");
	free(o);
}

/* ---- candidates ---- */

static void test_candidate_parse(void **state)
{
	(void)state;
	struct sdp_candidate c;
	const char *s = "a=candidate:842163049 1 udp 1686052607 203.0.113.7 54763 typ srflx raddr 192.168.1.23 rport 54763 generation 0 ufrag Fx9q network-id 1\r\n";
	assert_int_equal(cparse(&c, s), 0);
	assert_string_equal(c.foundation, "842163049");
	assert_int_equal(c.type, SDP_CAND_SRFLX);
	assert_string_equal(c.raddr, "192.168.1.23");
	s = "candidate:1 2 TCP 1 fe80::1%eth0 9 typ host tcptype so";
	assert_int_equal(cparse(&c, s), 0);
	assert_int_equal(c.component, 2);
	assert_int_equal(c.transport, SDP_TRANSPORT_TCP);
	assert_int_equal(c.tcptype, SDP_TCPTYPE_SO);
	assert_string_equal(c.address, "fe80::1%eth0");
	s = "4 1 udp 41885439 198.51.100.4 3478 typ relay raddr 203.0.113.7 rport 54763";
	assert_int_equal(cparse(&c, s), 0);
	assert_int_equal(c.type, SDP_CAND_RELAY);
	s = "candidate:5 1 udp 1 6a3c6f2e-99a1-4b3f-8e1d-0c5b2a7f9e44.local 51000 typ host";
	assert_int_equal(cparse(&c, s), 0);
	s = "candidate:6 1 udp 1 10.0.0.1 5000 typ prflx";
	assert_int_equal(cparse(&c, s), 0);
	assert_int_equal(c.type, SDP_CAND_PRFLX);
	/* only len bytes are read */
	s = "candidate:7 1 udp 1 10.0.0.1 5000 typ hostXYZ";
	assert_int_equal(sdp_candidate_parse(&c, s, strlen(s) - 3), 0);
	assert_int_equal(c.type, SDP_CAND_HOST);

	/* end of candidates */
	assert_int_equal(sdp_candidate_parse(&c, "", 0), 1);
	assert_int_equal(sdp_candidate_parse(&c, NULL, 0), 1);
	assert_int_equal(sdp_candidate_parse(&c, "a=end-of-candidates\r\n", 21), 1);
	assert_int_equal(sdp_candidate_parse(&c, "end-of-candidates", 17), 1);

	/* unsupported but well formed */
	s = "candidate:1 1 sctp 1 10.0.0.1 5000 typ host";
	assert_int_equal(cparse(&c, s), -ENOTSUP);
	s = "candidate:1 1 udp 1 10.0.0.1 5000 typ wormhole";
	assert_int_equal(cparse(&c, s), -ENOTSUP);
	s = "candidate:1 1 tcp 1 10.0.0.1 5000 typ host tcptype sideways";
	assert_int_equal(cparse(&c, s), -ENOTSUP);

	static const char *const bad[] = {
		"candidate:",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ",
		"candidate:1 1 udp 1 10.0.0.1 5000 type host",
		"candidate:1 0 udp 1 10.0.0.1 5000 typ host",
		"candidate:1 257 udp 1 10.0.0.1 5000 typ host",
		"candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host",
		"candidate:1 1 udp 1 10.0.0.1 65536 typ host",
		"candidate:1 1 udp 1 10.0.0.1 -1 typ host",
		"candidate:1 1 udp 1 10.0.0.1/8 5000 typ host",
		"candidate:1 1 u/dp 1 10.0.0.1 5000 typ host",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ ho:st",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host raddr 10.0.0.2",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host rport 5",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host generation",
		"candidate:f:o 1 udp 1 10.0.0.1 5000 typ host",
		"candidate:123456789012345678901234567890123 1 udp 1 10.0.0.1 5000 typ host",
		"candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\nx",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		int rc = cparse(&c, bad[i]);
		if (rc != -EINVAL)
			print_error("accepted \"%s\" (%d)\n", bad[i], rc);
		assert_int_equal(rc, -EINVAL);
		assert_int_equal(c.component, 0x5a5a); /* untouched on error */
	}
}

static void test_candidate_format(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"candidate:842163049 1 udp 1686052607 203.0.113.7 54763 typ srflx raddr 192.168.1.23 rport 54763",
		"candidate:1 2 tcp 1518280447 2001:db8::7 9 typ host tcptype active",
		"candidate:abc+/ 1 udp 0 x.local 0 typ relay raddr 0.0.0.0 rport 0 tcptype passive",
		"candidate:9 256 udp 4294967295 10.0.0.1 65535 typ prflx",
	};
	char buf[256];
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct sdp_candidate c;
		assert_int_equal(cparse(&c, lines[i]), 0);
		int n = sdp_candidate_format(buf, sizeof(buf), &c);
		assert_int_equal(n, (int)strlen(lines[i]));
		assert_string_equal(buf, lines[i]);
		assert_int_equal(sdp_candidate_format(buf, (size_t)n, &c), -ENOSPC);
		assert_string_equal(buf, "");
		assert_int_equal(sdp_candidate_format(buf, (size_t)n + 1, &c), n);
	}
	/* Chromium's upper-case UDP comes out lower-case */
	struct sdp_candidate c;
	assert_int_equal(cparse(&c, "candidate:0 1 UDP 2122187007 10.0.0.5 54321 typ host"), 0);
	sdp_candidate_format(buf, sizeof(buf), &c);
	assert_string_equal(buf, "candidate:0 1 udp 2122187007 10.0.0.5 54321 typ host");
	c.address[0] = '\0';
	assert_int_equal(sdp_candidate_format(buf, sizeof(buf), &c), -EINVAL);
	strcpy(c.address, "10.0.0.5");
	c.type = (enum sdp_cand_type)7;
	assert_int_equal(sdp_candidate_format(buf, sizeof(buf), &c), -EINVAL);
}

/* ---- fingerprints ---- */

static void test_fingerprint(void **state)
{
	(void)state;
	char buf[SDP_FINGERPRINT_STRLEN + 1];
	uint8_t h[32], h2[32];
	assert_int_equal(sdp_fingerprint_format(buf, sizeof(buf), server_fp), SDP_FINGERPRINT_STRLEN);
	assert_string_equal(buf, SERVER_FP);
	assert_int_equal(sdp_fingerprint_format(buf, sizeof(buf) - 1, server_fp), -ENOSPC);
	assert_int_equal(sdp_fingerprint_parse(h, SERVER_FP, strlen(SERVER_FP)), 0);
	assert_memory_equal(h, server_fp, 32);
	const char *lower = "01:23:45:67:89:ab:cd:ef:fe:dc:ba:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";
	assert_int_equal(sdp_fingerprint_parse(h2, lower, strlen(lower)), 0);
	assert_true(sdp_fingerprint_equal(h, h2));

	static const char *const bad[] = {
		"",
		"01:23",
		SERVER_FP ":",
		"01:23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:F",
		"01-23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		"0x:23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		"01:23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00",
		" 1:23:45:67:89:AB:CD:EF:FE:DC:BA:98:76:54:32:10:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h2, 7, sizeof(h2));
		assert_int_equal(sdp_fingerprint_parse(h2, bad[i], strlen(bad[i])), -EINVAL);
		assert_int_equal(h2[0], 7);
	}
	/* a differing first or last byte */
	memcpy(h2, h, 32);
	h2[0] ^= 0x80;
	assert_false(sdp_fingerprint_equal(h, h2));
	memcpy(h2, h, 32);
	h2[31] ^= 0x01;
	assert_false(sdp_fingerprint_equal(h, h2));
}

static void test_validators(void **state)
{
	(void)state;
	assert_true(sdp_token_valid("0", 1));
	assert_true(sdp_token_valid("{abc-def}", 9));
	assert_false(sdp_token_valid("a b", 3));
	assert_false(sdp_token_valid("a/b", 3));
	assert_false(sdp_token_valid("", 0));
	char longtok[SDP_MAX_TOKEN + 2];
	memset(longtok, 'a', sizeof(longtok));
	assert_true(sdp_token_valid(longtok, SDP_MAX_TOKEN));
	assert_false(sdp_token_valid(longtok, SDP_MAX_TOKEN + 1));
	assert_true(sdp_ice_ufrag_valid("ab+/", 4));
	assert_false(sdp_ice_ufrag_valid("abc", 3));
	assert_false(sdp_ice_ufrag_valid("ab-c", 4));
	assert_true(sdp_ice_pwd_valid("abcdefghijklmnopqrstuv", 22));
	assert_false(sdp_ice_pwd_valid("abcdefghijklmnopqrstu", 21));
	assert_string_equal(sdp_direction_name(SDP_DIR_RECVONLY), "recvonly");
	assert_string_equal(sdp_direction_name((enum sdp_direction)42), "");
	assert_string_equal(sdp_setup_name(SDP_SETUP_ACTPASS), "actpass");
	assert_string_equal(sdp_setup_name(SDP_SETUP_NONE), "");
}

/* ---- the offering side: sdp_offer_build and sdp_answer_parse ---- */

static struct sdp_offer_params offer_params(enum sdp_direction dir)
{
	struct sdp_offer_params p;
	memset(&p, 0, sizeof(p));
	p.session_id = 123456789;
	p.session_version = 2;
	p.ice_ufrag = "lOad";
	p.ice_pwd = "Zq8Kp2Lq9Zx3Vn7Bm1Cs5Df0";
	memcpy(p.fingerprint, server_fp, 32);
	p.direction = dir;
	p.opus_pt = 111;
	p.ext_audio_level = 1;
	p.ssrc = 424242;
	p.cname = "loadcname";
	p.msid_stream = "s";
	p.msid_track = "a";
	return p;
}

/* The offer we build parses as an offer, and our own answer builder takes
 * it; the answer parses as an answer with the DTLS role picked. */
static void test_offer_build_roundtrip(void **state)
{
	(void)state;
	static const enum sdp_direction dirs[] = { SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_SENDRECV };
	for (size_t i = 0; i < 3; i++) {
		struct sdp_offer_params op = offer_params(dirs[i]);
		char buf[4096], err[256];
		int n = sdp_offer_build(buf, sizeof(buf), &op, err, sizeof(err));
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(buf));
		struct sdp_offer *o = parse_ok(buf);
		const struct sdp_mline *m = &o->m[o->audio];
		assert_int_equal(o->nm, 1);
		assert_int_equal(m->opus_pt, 111);
		assert_int_equal(m->ext_audio_level, 1);
		assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
		assert_int_equal(m->dir, dirs[i]);
		assert_true(m->rtcp_mux && m->ice.trickle);
		assert_string_equal(m->ice.ufrag, "lOad");
		assert_memory_equal(m->fingerprint.hash, server_fp, 32);
		assert_int_equal(m->nssrcs, dirs[i] == SDP_DIR_RECVONLY ? 0 : 1);
		struct sdp_answer_params ap = params(o);
		struct sdp_offer *a = malloc(sizeof(*a));
		const char *ans = answer_ok(&ap);
		assert_int_equal(sdp_answer_parse(a, ans, strlen(ans), err, sizeof(err)), 0);
		assert_int_equal(a->m[a->audio].setup, SDP_SETUP_ACTIVE);
		assert_int_equal(a->m[a->audio].ext_audio_level, 1);
		/* an actpass "answer" takes no role */
		assert_int_equal(sdp_answer_parse(a, buf, (size_t)n, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "setup:active or setup:passive"));
		free(a);
		free(o);
	}
}

static void test_answer_parse_errors(void **state)
{
	(void)state;
	struct sdp_offer_params op = offer_params(SDP_DIR_SENDONLY);
	char buf[4096], err[256];
	assert_true(sdp_offer_build(buf, sizeof(buf), &op, err, sizeof(err)) > 0);
	struct sdp_offer *o = parse_ok(buf), *a = malloc(sizeof(*a));
	struct sdp_answer_params ap = params(o);
	ap.setup = SDP_SETUP_PASSIVE;
	const char *ans = answer_ok(&ap);
	assert_int_equal(sdp_answer_parse(a, ans, strlen(ans), err, sizeof(err)), 0);
	assert_int_equal(a->m[a->audio].setup, SDP_SETUP_PASSIVE);
	char *s = replace(ans, "a=setup:passive", "a=x:1");
	assert_int_equal(sdp_answer_parse(a, s, strlen(s), err, sizeof(err)), -EINVAL);
	free(s);
	s = replace(ans, "m=audio 9 ", "m=audio 0 ");
	assert_int_equal(sdp_answer_parse(a, s, strlen(s), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "port 0"));
	free(s);
	s = replace(ans, "a=rtcp-mux\r\n", "");
	assert_int_equal(sdp_answer_parse(a, s, strlen(s), err, sizeof(err)), -ENOTSUP);
	free(s);
	free(a);
	free(o);
}

static void test_offer_build_errors(void **state)
{
	(void)state;
	char buf[4096], small[64], err[256];
	struct sdp_offer_params p = offer_params(SDP_DIR_SENDONLY);
	p.ice_pwd = "short";
	assert_int_equal(sdp_offer_build(buf, sizeof(buf), &p, err, sizeof(err)), -EINVAL);
	p = offer_params(SDP_DIR_SENDONLY);
	p.opus_pt = 8;
	assert_int_equal(sdp_offer_build(buf, sizeof(buf), &p, err, sizeof(err)), -EINVAL);
	p = offer_params(SDP_DIR_INACTIVE);
	assert_int_equal(sdp_offer_build(buf, sizeof(buf), &p, err, sizeof(err)), -EINVAL);
	p = offer_params(SDP_DIR_SENDONLY);
	p.cname = NULL;
	assert_int_equal(sdp_offer_build(buf, sizeof(buf), &p, err, sizeof(err)), -EINVAL);
	p = offer_params(SDP_DIR_RECVONLY);
	p.cname = NULL; /* not needed when not sending */
	assert_true(sdp_offer_build(buf, sizeof(buf), &p, err, sizeof(err)) > 0);
	p = offer_params(SDP_DIR_SENDONLY);
	assert_int_equal(sdp_offer_build(small, sizeof(small), &p, err, sizeof(err)), -ENOSPC);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome_parse),
		cmocka_unit_test(test_firefox_parse),
		cmocka_unit_test(test_aiortc_parse),
		cmocka_unit_test(test_chrome_answer_exact),
		cmocka_unit_test(test_chrome_answer_lines),
		cmocka_unit_test(test_firefox_answer_play),
		cmocka_unit_test(test_aiortc_answer),
		cmocka_unit_test(test_answer_direction_matrix),
		cmocka_unit_test(test_answer_setup),
		cmocka_unit_test(test_answer_candidates),
		cmocka_unit_test(test_answer_rejects_others),
		cmocka_unit_test(test_answer_errors),
		cmocka_unit_test(test_offer_errors_required),
		cmocka_unit_test(test_offer_errors_bad_values),
		cmocka_unit_test(test_offer_errors_syntax),
		cmocka_unit_test(test_offer_bounds),
		cmocka_unit_test(test_offer_prefixes),
		cmocka_unit_test(test_offer_lenient),
		cmocka_unit_test(test_candidate_parse),
		cmocka_unit_test(test_candidate_format),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_offer_build_roundtrip),
		cmocka_unit_test(test_answer_parse_errors),
		cmocka_unit_test(test_offer_build_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
