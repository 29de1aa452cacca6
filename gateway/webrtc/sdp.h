/* SDP for WebRTC audio legs (RFC 8866 line grammar, JSEP RFC 8829 offer/answer).
 *
 * roomgate answers offers from browsers (Chromium, Firefox) and aiortc, and
 * (for the load client, later for cascading) writes offers and parses the
 * answers to them; one peer connection per published or played stream,
 * audio only: Opus 48000/2,
 * the RFC 6464 audio-level and abs-capture-time extensions, rtcp-mux required, BUNDLE of one
 * m-line. Every other m-line (video, application, a second audio) is
 * rejected in the answer with port 0 without failing the audio.
 *
 * Pure functions: no sockets, clock, globals or allocation. The caller owns
 * every struct; nothing here keeps a pointer to its input. Any thread may
 * call them. struct sdp_offer is large (~90 KiB, fixed bounds below), so put
 * it on the heap or in the leg, not on a small stack.
 *
 * Errors: 0 (or a length) on success, else a negative errno:
 *   -EINVAL  malformed SDP, or a required attribute missing or bad
 *   -ENOTSUP well-formed but not acceptable (no Opus 48000/2, no rtcp-mux,
 *            not DTLS-SRTP)
 *   -E2BIG   a bound below exceeded
 *   -ENOSPC  output buffer too small
 * Functions taking (err, errlen) write one human-readable line naming the
 * problem there (with "line N: " for line-level errors); err may be NULL. */
#ifndef RG_WEBRTC_SDP_H
#define RG_WEBRTC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds. Exceeding one is an error, except where said. */
#define SDP_MAX_LEN 65536       /* whole SDP, bytes */
#define SDP_MAX_LINE 1024       /* one line without its line end */
#define SDP_MAX_MLINES 8
#define SDP_MAX_FMTS 128        /* formats listed on one m= line */
#define SDP_MAX_PAYLOADS 32     /* described payload types per m-line (audio: error
                                 * beyond; other kinds: the rest is not stored) */
#define SDP_MAX_EXTMAPS 16      /* per m-line (same rule as payloads) */
#define SDP_MAX_SSRCS 8         /* per m-line (same rule as payloads) */
#define SDP_MAX_DTMF 4          /* telephone-event payload types kept per m-line */
#define SDP_MAX_CANDIDATES 32   /* per offer; further candidates are counted, not stored */
#define SDP_MAX_TOKEN 64        /* mid, msid ids, cname */
#define SDP_MAX_ICE 256         /* ufrag 4..256, pwd 22..256 chars (RFC 8839) */
#define SDP_MAX_FMTP 128
#define SDP_MAX_URI 127
#define SDP_MAX_ENC 31          /* encoding name in rtpmap */
#define SDP_MAX_PROTO 31
#define SDP_MAX_MEDIA 15        /* media token of m= */
#define SDP_MAX_FOUNDATION 32
#define SDP_MAX_ADDR 63         /* IP literal or FQDN (mDNS name) */

#define SDP_FINGERPRINT_LEN 32      /* sha-256 */
#define SDP_FINGERPRINT_STRLEN 95   /* "AB:CD:..." without NUL */

/* Well-known RTP header extension URIs. */
#define SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SDP_EXT_TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
/* Capture time of the media (8 bytes: a UQ32.32 NTP timestamp, optionally 8
 * more: the capture clock offset), meant to be forwarded by relays. */
#define SDP_EXT_ABS_CAPTURE_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"

enum sdp_media_kind {
	SDP_MEDIA_OTHER = 0,  /* text, message, ...: kept only to be rejected */
	SDP_MEDIA_AUDIO,
	SDP_MEDIA_VIDEO,
	SDP_MEDIA_APPLICATION,
};

/* Stream direction from the point of view of the side whose SDP it is. */
enum sdp_direction {
	SDP_DIR_NONE = 0,     /* not given (in answer params: no restriction) */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* a=setup (RFC 4145/5763). NONE: absent (RFC 4145 reads that as active). */
enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
};

enum sdp_hash {
	SDP_HASH_NONE = 0,
	SDP_HASH_SHA256,
};

struct sdp_fingerprint {
	enum sdp_hash alg;  /* SDP_HASH_NONE: no sha-256 fingerprint was given */
	uint8_t hash[SDP_FINGERPRINT_LEN];
};

/* rtcp-fb types we recognise (bit set in sdp_payload.fb). */
#define SDP_FB_TRANSPORT_CC 0x01u
#define SDP_FB_NACK 0x02u
#define SDP_FB_NACK_PLI 0x04u
#define SDP_FB_CCM_FIR 0x08u
#define SDP_FB_GOOG_REMB 0x10u

struct sdp_payload {
	uint8_t pt;                        /* 0..127 */
	bool has_rtpmap;                   /* false: no a=rtpmap and not a static
	                                    * PT we know (then name is "") */
	char name[SDP_MAX_ENC + 1];        /* as written ("opus", "PCMU") */
	uint32_t clock;
	uint8_t channels;                  /* 1 when not given */
	char fmtp[SDP_MAX_FMTP + 1];       /* raw parameters, "" when none */
	uint16_t fb;                       /* SDP_FB_* (a=rtcp-fb:* included) */
};

/* Opus fmtp parameters (RFC 7587); -1 = absent. */
struct sdp_opus_params {
	int32_t minptime, ptime, maxplaybackrate, sprop_maxcapturerate, maxaveragebitrate;
	int8_t useinbandfec, usedtx, stereo, sprop_stereo, cbr;
};

struct sdp_extmap {
	uint8_t id;                        /* 1..255 */
	enum sdp_direction dir;            /* NONE when not given */
	char uri[SDP_MAX_URI + 1];
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[SDP_MAX_TOKEN + 1];     /* "" when not given */
	char msid_stream[SDP_MAX_TOKEN + 1];
	char msid_track[SDP_MAX_TOKEN + 1];
};

struct sdp_ice {
	char ufrag[SDP_MAX_ICE + 1];       /* "" when not given */
	char pwd[SDP_MAX_ICE + 1];
	bool trickle;                      /* a=ice-options includes "trickle" */
};

enum sdp_transport { SDP_TRANSPORT_UDP = 0, SDP_TRANSPORT_TCP };
enum sdp_cand_type { SDP_CAND_HOST = 0, SDP_CAND_SRFLX, SDP_CAND_PRFLX, SDP_CAND_RELAY };
enum sdp_tcptype { SDP_TCPTYPE_NONE = 0, SDP_TCPTYPE_ACTIVE, SDP_TCPTYPE_PASSIVE, SDP_TCPTYPE_SO };

/* One ICE candidate (RFC 8839 section 5.1, tcptype from RFC 6544). Unknown
 * extension attributes (generation, ufrag, network-id, ...) are skipped. */
struct sdp_candidate {
	char foundation[SDP_MAX_FOUNDATION + 1];
	uint16_t component;                /* 1..256 */
	enum sdp_transport transport;
	uint32_t priority;
	char address[SDP_MAX_ADDR + 1];
	uint16_t port;
	enum sdp_cand_type type;
	bool has_related;                  /* raddr/rport given */
	char raddr[SDP_MAX_ADDR + 1];
	uint16_t rport;
	enum sdp_tcptype tcptype;
};

/* One m= section, with session-level ICE, fingerprint, setup and direction
 * already applied where the section gave none. */
struct sdp_mline {
	enum sdp_media_kind kind;
	char media[SDP_MAX_MEDIA + 1];     /* "audio", "video", "application", ... */
	uint16_t port;
	char proto[SDP_MAX_PROTO + 1];     /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
	char fmt0[SDP_MAX_TOKEN + 1];      /* first format as written */
	bool rtp;                          /* proto is an RTP profile: fmts are PTs */
	uint8_t fmts[SDP_MAX_FMTS];        /* RTP payload types in m= order */
	uint16_t nfmts;
	char mid[SDP_MAX_TOKEN + 1];       /* "" when no a=mid */
	enum sdp_direction dir;            /* sendrecv when not given */
	struct sdp_payload payloads[SDP_MAX_PAYLOADS]; /* m= order */
	uint16_t npayloads;
	int16_t opus_pt;                   /* first opus/48000/2 in m= order, -1 none */
	struct sdp_opus_params opus;
	uint8_t dtmf_pt[SDP_MAX_DTMF];     /* telephone-event PTs, m= order */
	uint32_t dtmf_clock[SDP_MAX_DTMF];
	uint8_t ndtmf;
	struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
	uint8_t nextmaps;
	uint8_t ext_audio_level;           /* extmap ids, 0 = not offered */
	uint8_t ext_abs_send_time;
	uint8_t ext_twcc;
	uint8_t ext_mid;
	uint8_t ext_abs_capture_time;
	bool rtcp_mux, rtcp_mux_only, rtcp_rsize, bundle_only, end_of_candidates;
	struct sdp_ice ice;
	struct sdp_fingerprint fingerprint;
	enum sdp_setup setup;
	char msid_stream[SDP_MAX_TOKEN + 1]; /* a=msid, "" when none */
	char msid_track[SDP_MAX_TOKEN + 1];
	struct sdp_ssrc ssrcs[SDP_MAX_SSRCS];
	uint8_t nssrcs;
};

struct sdp_offer {
	uint64_t session_id, session_version; /* from o= */
	bool ice_lite, extmap_allow_mixed;
	char bundle[SDP_MAX_MLINES][SDP_MAX_TOKEN + 1]; /* first a=group:BUNDLE */
	uint8_t nbundle;
	struct sdp_mline m[SDP_MAX_MLINES];
	uint8_t nm;
	uint8_t audio;                     /* index of the accepted (first) audio m-line */
	struct sdp_candidate cands[SDP_MAX_CANDIDATES];
	uint8_t cand_mline[SDP_MAX_CANDIDATES]; /* m-line index of cands[i] */
	uint8_t ncands;
	uint32_t cands_dropped;            /* beyond the bound, or unsupported transport/type */
};

/* Parses a remote offer (CRLF or LF line ends; NUL bytes, control characters
 * and lines over SDP_MAX_LINE rejected; never reads past len) and checks that
 * it can be answered: the first audio m-line must be DTLS-SRTP with Opus
 * 48000/2, rtcp-mux, ICE ufrag/pwd, a sha-256 fingerprint and a valid setup
 * (taken from the BUNDLE-tagged m-line when the audio one is bundled and has
 * none). Other m-lines need only be well formed. On error *out is
 * unspecified. */
int sdp_offer_parse(struct sdp_offer *out, const char *sdp, size_t len, char *err, size_t errlen);

/* What the server answers with. Strings must be NUL-terminated; they are
 * checked (ICE chars, token chars) since they are written into the SDP. */
struct sdp_answer_params {
	const struct sdp_offer *offer;     /* parsed by sdp_offer_parse */
	uint64_t session_id, session_version; /* o= line; keep the id < 2^63 (RFC 8829 5.2.1) */
	const char *ice_ufrag, *ice_pwd;
	bool ice_lite;                     /* write a=ice-lite */
	uint8_t fingerprint[SDP_FINGERPRINT_LEN]; /* sha-256 of the server's DTLS cert */
	/* SDP_SETUP_NONE: derive (offer actpass -> active, active -> passive,
	 * passive -> active, absent -> passive); else active or passive, which
	 * must fit the offer. */
	enum sdp_setup setup;
	/* What the server wants to do on this leg: SDP_DIR_RECVONLY for a
	 * publish, SDP_DIR_SENDONLY for a play, SENDRECV or NONE for no
	 * restriction. The answer's direction is the mirror of the offer's
	 * intersected with this one. */
	enum sdp_direction direction;
	bool allow_stereo;                 /* answer stereo/sprop-stereo when offered */
	bool transport_cc;                 /* negotiate transport-cc (fb + extmap) if offered */
	/* The server's send stream: needed when the answer sends. */
	uint32_t ssrc;
	const char *cname;                 /* token, required when sending */
	const char *msid_stream;           /* NULL: "-" */
	const char *msid_track;            /* NULL: no msid lines */
	/* Candidates to include (usually none: they are trickled). The first
	 * UDP component-1 one with an IP literal becomes the default address. */
	const struct sdp_candidate *candidates;
	size_t ncandidates;
	bool end_of_candidates;
};

/* Builds the answer into out (NUL-terminated, CRLF line ends). Returns its
 * length; -EINVAL for a bad offer struct or params (or a setup that does not
 * fit the offer's), -ENOSPC when out is too small (out is then ""). */
int sdp_answer_build(char *out, size_t outcap, const struct sdp_answer_params *p,
		     char *err, size_t errlen);

/* Parses the answer to an offer this side made (sdp_offer_build): the same
 * grammar and checks as sdp_offer_parse, and the answer must pick a DTLS
 * role (setup active or passive, not actpass) and keep the audio m-line
 * (port not 0). The result is a struct sdp_offer all the same: it holds any
 * parsed session description. */
int sdp_answer_parse(struct sdp_offer *out, const char *sdp, size_t len, char *err, size_t errlen);

/* What an offerer writes (the load client, later a cascading server): one
 * audio m-line, Opus 48000/2 only, BUNDLE of that m-line, rtcp-mux,
 * trickle ICE, a=setup:actpass (the answerer picks the DTLS role). */
struct sdp_offer_params {
	uint64_t session_id, session_version; /* keep the id < 2^63 */
	const char *ice_ufrag, *ice_pwd;
	uint8_t fingerprint[SDP_FINGERPRINT_LEN]; /* sha-256 of our DTLS cert */
	/* SDP_DIR_SENDONLY (publish), SDP_DIR_RECVONLY (play) or SENDRECV */
	enum sdp_direction direction;
	uint8_t opus_pt;                   /* 96..127 */
	uint8_t ext_audio_level;           /* extmap id 1..14, 0 = not offered */
	uint8_t ext_abs_capture_time;      /* extmap id 1..14, 0 = not offered */
	/* Our send stream: needed when the offer sends. */
	uint32_t ssrc;
	const char *cname;
	const char *msid_stream;           /* NULL: "-" */
	const char *msid_track;            /* NULL: no msid lines */
};

/* Builds the offer into out (NUL-terminated, CRLF line ends). Returns its
 * length, -EINVAL for bad params, -ENOSPC when out is too small. */
int sdp_offer_build(char *out, size_t outcap, const struct sdp_offer_params *p, char *err,
		    size_t errlen);

/* Parses a candidate as it comes in SDP or a trickle message: "a=candidate:...",
 * "candidate:..." or the bare attribute value, optional trailing CR/LF/spaces.
 * Returns 0 with *out filled, 1 for end of candidates ("" or
 * "[a=]end-of-candidates"), -ENOTSUP for a well-formed candidate with an
 * unknown transport or type, -EINVAL when malformed or over the bounds. */
int sdp_candidate_parse(struct sdp_candidate *out, const char *s, size_t len);

/* Writes "candidate:<foundation> <component> udp|tcp <priority> <address>
 * <port> typ <type> [raddr <a> rport <p>] [tcptype <t>]" (no "a=", no line
 * end). Returns its length, -ENOSPC, or -EINVAL when c has bad fields. */
int sdp_candidate_format(char *out, size_t cap, const struct sdp_candidate *c);

/* "AB:CD:..." (upper-case hex, 95 chars) for a sha-256 hash. Returns 95 or
 * -ENOSPC when cap < 96. */
int sdp_fingerprint_format(char *out, size_t cap, const uint8_t hash[SDP_FINGERPRINT_LEN]);

/* Parses 32 colon-separated hex pairs (either case) of exactly len bytes.
 * Returns 0 or -EINVAL (hash untouched). */
int sdp_fingerprint_parse(uint8_t hash[SDP_FINGERPRINT_LEN], const char *s, size_t len);

/* Constant-time comparison of two sha-256 fingerprints. */
bool sdp_fingerprint_equal(const uint8_t a[SDP_FINGERPRINT_LEN],
			   const uint8_t b[SDP_FINGERPRINT_LEN]);

/* RFC 8866 token (e.g. a mid or msid id) of len bytes, 1..SDP_MAX_TOKEN. */
bool sdp_token_valid(const char *s, size_t len);

/* ICE ufrag (4..256) or pwd (22..256) of ice-chars (ALPHA DIGIT + /). */
bool sdp_ice_ufrag_valid(const char *s, size_t len);
bool sdp_ice_pwd_valid(const char *s, size_t len);

/* Names as written in SDP ("sendrecv", "actpass", ...); "" for NONE. */
const char *sdp_direction_name(enum sdp_direction d);
const char *sdp_setup_name(enum sdp_setup s);

#endif
