/* SDP for SIP audio (RFC 8866 grammar, RFC 3264 offer/answer): the plain
 * RTP side of a phone call, as opposed to webrtc/sdp.h (ICE, DTLS, BUNDLE).
 *
 * What is understood: the session and media c= lines, the first m=audio
 * line with RTP/AVP (or RTP/SAVP with an SDES a=crypto of
 * AES_CM_128_HMAC_SHA1_80, RFC 4568), its rtpmap/fmtp/ptime, a=rtcp
 * (RFC 3605), a=rtcp-mux, direction attributes, and telephone-event
 * (RFC 4733) payload types. Static payload types 0 (PCMU), 8 (PCMA) and
 * 9 (G722) are known without an rtpmap. Other m-lines are skipped (an
 * answer must mirror them with port 0: rg_sdp_av_build does, from the
 * count kept in the parsed offer).
 *
 * Pure functions: no sockets, clock, globals or allocation; the caller owns
 * every struct, nothing keeps a pointer into its input; any thread.
 *
 * Errors: 0 (or a length) on success, else a negative errno:
 *   -EINVAL  malformed SDP (message in err, "line N: ...")
 *   -ENOTSUP well-formed but no usable audio m-line (none, port 0, an
 *            unknown profile, SAVP without a usable crypto line)
 *   -ENOENT  rg_sdp_av_choose: no codec in common
 *   -ENOSPC  output buffer too small */
#ifndef RG_SIP_SDP_AV_H
#define RG_SIP_SDP_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"

#define RG_SDP_AV_MAX_LEN 16384  /* longer input is refused */
#define RG_SDP_AV_MAX_CODECS 16  /* further known codecs of the m-line are ignored */
#define RG_SDP_AV_MAX_TE 4       /* telephone-event payload types kept */
#define RG_SDP_AV_MAX_OTHER 8    /* other m-lines mirrored in an answer */
#define RG_SDP_AV_ADDR_MAX 64
#define RG_SDP_AV_KEY_LEN 30     /* SDES master key + salt */

enum rg_sdp_av_dir { RG_SDP_SENDRECV = 0, RG_SDP_SENDONLY, RG_SDP_RECVONLY, RG_SDP_INACTIVE };

struct rg_sdp_av_codec {
	enum rg_codec_id id;
	uint8_t pt;
	unsigned clock_rate;
	unsigned channels;
};

struct rg_sdp_av_te { /* telephone-event */
	uint8_t pt;
	unsigned clock_rate;
};

struct rg_sdp_av {
	char addr[RG_SDP_AV_ADDR_MAX]; /* connection address (media-level wins) */
	bool ipv6;
	uint16_t port;                 /* RTP port of the audio m-line */
	uint16_t rtcp_port;            /* a=rtcp, else port + 1 */
	bool rtcp_mux;
	enum rg_sdp_av_dir dir;
	unsigned ptime;                /* a=ptime, 0 when absent */
	bool srtp;                     /* RTP/SAVP */
	bool has_crypto;               /* a usable a=crypto (with RTP/SAVP, or best-effort with RTP/AVP) */
	unsigned crypto_tag;           /* has_crypto: the tag of the usable a=crypto */
	uint8_t key[RG_SDP_AV_KEY_LEN]; /* has_crypto: its inline key */
	struct rg_sdp_av_codec codecs[RG_SDP_AV_MAX_CODECS]; /* known codecs, in m= order */
	unsigned n_codecs;
	struct rg_sdp_av_te te[RG_SDP_AV_MAX_TE];
	unsigned n_te;
	/* m-lines other than the audio one, in order: their media token and
	 * whether each comes before the audio line (for the answer) */
	char other_media[RG_SDP_AV_MAX_OTHER][16];
	char other_proto[RG_SDP_AV_MAX_OTHER][32];
	char other_fmt[RG_SDP_AV_MAX_OTHER][8];
	unsigned n_other, audio_index; /* audio_index: position among all m-lines */
};

/* Parses text (len bytes, need not be NUL-terminated). */
int rg_sdp_av_parse(struct rg_sdp_av *out, const char *text, size_t len, char *err, size_t errlen);

/* The first codec of prefs (most preferred first) that the offer has; its
 * payload type and parameters are the offer's. te (may be NULL) gets the
 * offer's telephone-event of the chosen codec's clock rate (pt 0 when the
 * offer has none). */
int rg_sdp_av_choose(const struct rg_sdp_av *offer, const enum rg_codec_id *prefs, size_t n,
		     struct rg_sdp_av_codec *chosen, struct rg_sdp_av_te *te);

/* Our side (an offer or an answer). */
struct rg_sdp_av_local {
	const char *addr;             /* c= and o= address (IPv4 or IPv6 literal) */
	uint16_t port;
	uint64_t sess_id, sess_version;
	const struct rg_sdp_av_codec *codecs; /* in preference order */
	size_t n_codecs;
	const struct rg_sdp_av_te *te; /* telephone-events offered or accepted */
	size_t n_te;
	unsigned ptime;               /* 0: no a=ptime */
	enum rg_sdp_av_dir dir;
	bool rtcp_mux;                /* a=rtcp-mux */
	bool srtp;                    /* RTP/SAVP with a=crypto */
	bool srtp_best_effort;        /* srtp: the profile stays RTP/AVP (a=crypto still written) */
	unsigned crypto_tag;
	const uint8_t *key;           /* srtp: our RG_SDP_AV_KEY_LEN-byte key */
	const struct rg_sdp_av *offer; /* an answer: mirror its other m-lines with port 0 */
};

/* Writes the SDP (CRLF line ends, NUL-terminated); returns its length. */
int rg_sdp_av_build(char *buf, size_t cap, const struct rg_sdp_av_local *l);

/* The answer's direction for an offer's (sendonly -> recvonly, ...). */
enum rg_sdp_av_dir rg_sdp_av_dir_answer(enum rg_sdp_av_dir offer);
const char *rg_sdp_av_dir_name(enum rg_sdp_av_dir d);

/* The rtpmap encoding name of a codec ("opus", "PCMU", "PCMA", "G722"). */
const char *rg_sdp_av_enc_name(enum rg_codec_id id);

#endif
