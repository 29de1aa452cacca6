/* Internal to gateway/webrtc/sdp*.c (not for other modules): the offer
 * parser's context and the lexical helpers the SDP files share.
 *
 * Files: sdp.c (lexers, validators, fingerprints, candidates),
 * sdp_parse.c (line loop, session lines, final checks, answer checks), sdp_attr.c (m= and
 * a= lines), sdp_build.c (the answer and the offer). */
#ifndef RG_WEBRTC_SDP_INT_H
#define RG_WEBRTC_SDP_INT_H

#include "webrtc/sdp.h"

struct sdp_pctx {
	struct sdp_offer *o;
	struct sdp_mline *cur;      /* NULL while in the session part */
	unsigned line;              /* current line number, 0 once past the end */
	char *err;
	size_t errlen;
	bool seen_v, seen_o, seen_s, seen_bundle;
	/* session-level values, applied to m-lines that have none at the end */
	struct sdp_ice ice;
	struct sdp_fingerprint fp;
	enum sdp_setup setup;
	enum sdp_direction dir;
	bool eoc;
	uint16_t fb_wild[SDP_MAX_MLINES]; /* a=rtcp-fb:* bits per m-line */
	/* for the current m-line */
	uint8_t ext_used[32];       /* extmap ids seen (bitmap) */
	uint8_t rtpmap_seen[16];    /* PTs with an a=rtpmap (bitmap) */
};

/* Writes "line N: <message>" (or the message alone once past the last line)
 * into c->err; returns rc. */
__attribute__((format(printf, 3, 4)))
int sdp__fail(struct sdp_pctx *c, int rc, const char *fmt, ...);

/* sdp_attr.c: one m= line, one a= line (value after "a="). */
int sdp__parse_media(struct sdp_pctx *c, char *v);
int sdp__parse_attr(struct sdp_pctx *c, char *v);

/* sdp.c */
bool sdp__is_token_char(unsigned char ch);
bool sdp__is_alnum(char ch);
/* Visible ASCII without spaces, 1..maxlen bytes (a cname, a URI). */
bool sdp__visible_valid(const char *s, size_t maxlen);
/* Decimal digits only, value <= max. */
bool sdp__parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Splits off the next field separated by spaces/tabs, NUL-terminating it in
 * place; NULL when there is none. */
char *sdp__next_field(char **p);
/* Strips spaces/tabs at both ends, in place. */
char *sdp__trim(char *s);
/* "sendrecv" .. "inactive" -> 0 and *d, else -EINVAL. */
int sdp__parse_direction(const char *s, enum sdp_direction *d);

#endif
