/* SDP answer builder (JSEP, RFC 8829 5.3) and, at the end, the offer
 * builder of the offering side: the server accepts the offer's
 * first audio m-line with Opus only and rejects every other m-line (port 0,
 * a=inactive, mid kept, left out of BUNDLE). The layout follows the answers
 * Chromium writes itself (session lines, then per m-line: c=, a=rtcp,
 * candidates, ICE, fingerprint, setup, mid, extmaps, direction, msid,
 * rtcp-mux, rtpmap, rtcp-fb, fmtp, ssrc), so that setRemoteDescription sees
 * nothing it would not produce. Everything echoed from the offer is checked
 * again here, since struct sdp_offer is an open struct a caller could fill. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "webrtc/sdp.h"
#include "webrtc/sdp_int.h"

struct out {
	char *p;
	size_t cap, len;
	bool full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *w, const char *fmt, ...)
{
	if (w->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len)
		w->full = true;
	else
		w->len += (size_t)n;
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- negotiation ---- */

enum { SEND = 1, RECV = 2 };

static unsigned dir_bits(enum sdp_direction d)
{
	switch (d) {
	case SDP_DIR_SENDONLY:
		return SEND;
	case SDP_DIR_RECVONLY:
		return RECV;
	case SDP_DIR_INACTIVE:
		return 0;
	default:
		return SEND | RECV;
	}
}

static enum sdp_direction bits_dir(unsigned b)
{
	static const enum sdp_direction d[] = { SDP_DIR_INACTIVE, SDP_DIR_SENDONLY,
						SDP_DIR_RECVONLY, SDP_DIR_SENDRECV };
	return d[b & 3];
}

/* The answer's direction: the mirror of the offer's, limited to what the
 * server wants. */
static enum sdp_direction answer_dir(enum sdp_direction offer, enum sdp_direction want)
{
	unsigned o = dir_bits(offer);
	unsigned mirror = ((o & SEND) ? RECV : 0) | ((o & RECV) ? SEND : 0);
	return bits_dir(mirror & dir_bits(want));
}

/* RFC 5763 5: the answerer picks active or passive against actpass, the
 * opposite of active/passive; an absent setup reads as active (RFC 4145). */
static int answer_setup(enum sdp_setup offer, enum sdp_setup want, enum sdp_setup *out)
{
	if (want != SDP_SETUP_NONE && want != SDP_SETUP_ACTIVE && want != SDP_SETUP_PASSIVE)
		return -EINVAL;
	switch (offer) {
	case SDP_SETUP_ACTPASS:
		*out = want != SDP_SETUP_NONE ? want : SDP_SETUP_ACTIVE;
		return 0;
	case SDP_SETUP_PASSIVE:
		*out = SDP_SETUP_ACTIVE;
		break;
	default: /* active or absent */
		*out = SDP_SETUP_PASSIVE;
		break;
	}
	return want == SDP_SETUP_NONE || want == *out ? 0 : -EINVAL;
}

/* ---- checks on what gets echoed ---- */

/* A NUL-terminated token within a char[cap] field. */
static bool tok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	return n < cap && sdp_token_valid(s, n);
}

static bool proto_ok(const char *s)
{
	size_t n = strnlen(s, SDP_MAX_PROTO + 1);
	if (n == 0 || n > SDP_MAX_PROTO)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!sdp__is_token_char((unsigned char)s[i]) && s[i] != '/')
			return false;
	return true;
}

static bool mline_ok(const struct sdp_mline *m)
{
	return tok(m->media, sizeof(m->media)) && proto_ok(m->proto) &&
	       tok(m->fmt0, sizeof(m->fmt0)) && (!m->mid[0] || tok(m->mid, sizeof(m->mid)));
}

static bool in_bundle(const struct sdp_offer *o, const char *mid)
{
	for (uint8_t i = 0; i < o->nbundle && i < SDP_MAX_MLINES && mid[0]; i++)
		if (strncmp(o->bundle[i], mid, SDP_MAX_TOKEN + 1) == 0)
			return true;
	return false;
}

/* 4 or 6 for an IP literal, else 0 (a host name, a zone id). */
static int ip_version(const char *a)
{
	struct in6_addr buf;
	if (inet_pton(AF_INET, a, &buf) == 1)
		return 4;
	return inet_pton(AF_INET6, a, &buf) == 1 ? 6 : 0;
}

/* The candidate whose address goes into m= and c= (RFC 8839 4.2.1.1). */
static const struct sdp_candidate *default_candidate(const struct sdp_answer_params *p)
{
	for (size_t i = 0; i < p->ncandidates; i++) {
		const struct sdp_candidate *c = &p->candidates[i];
		if (c->transport == SDP_TRANSPORT_UDP && c->component == 1 && c->port != 0 &&
		    ip_version(c->address))
			return c;
	}
	return NULL;
}

/* ---- writing ---- */

static void put_rejected(struct out *w, const struct sdp_mline *m)
{
	put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, m->fmt0);
	if (m->mid[0])
		put(w, "a=mid:%s\r\n", m->mid);
	put(w, "a=inactive\r\n");
}

static void put_transport(struct out *w, const struct sdp_answer_params *p,
			  enum sdp_setup setup, const char *cands)
{
	char fp[SDP_FINGERPRINT_STRLEN + 1];
	sdp_fingerprint_format(fp, sizeof(fp), p->fingerprint);
	put(w, "%s", cands);
	if (p->end_of_candidates)
		put(w, "a=end-of-candidates\r\n");
	put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n", p->ice_ufrag,
	    p->ice_pwd);
	put(w, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\n", fp, sdp_setup_name(setup));
}

static void put_opus(struct out *w, const struct sdp_answer_params *p, const struct sdp_mline *a,
		     bool twcc)
{
	int pt = a->opus_pt;
	put(w, "a=rtpmap:%d opus/48000/2\r\n", pt);
	if (twcc)
		put(w, "a=rtcp-fb:%d transport-cc\r\n", pt);
	put(w, "a=fmtp:%d minptime=10;useinbandfec=1", pt);
	if (p->allow_stereo && a->opus.sprop_stereo == 1)
		put(w, ";stereo=1"); /* they send stereo: we take it */
	if (p->allow_stereo && a->opus.stereo == 1)
		put(w, ";sprop-stereo=1"); /* they want stereo: we may send it */
	put(w, "\r\n");
}

/* The offer's audio-level, abs-capture-time (and transport-cc) ids, in id
 * order. One-byte header ids only (1..14): the answer does not accept
 * extmap-allow-mixed. */
static void put_extmaps(struct out *w, const struct sdp_mline *a, bool twcc)
{
	for (unsigned id = 1; id <= 14; id++) {
		if (id == a->ext_audio_level)
			put(w, "a=extmap:%u %s\r\n", id, SDP_EXT_AUDIO_LEVEL);
		else if (id == a->ext_abs_capture_time)
			put(w, "a=extmap:%u %s\r\n", id, SDP_EXT_ABS_CAPTURE_TIME);
		else if (twcc && id == a->ext_twcc)
			put(w, "a=extmap:%u %s\r\n", id, SDP_EXT_TWCC);
	}
}

static void put_audio(struct out *w, const struct sdp_answer_params *p, enum sdp_setup setup,
		      enum sdp_direction dir, const char *cands)
{
	const struct sdp_mline *a = &p->offer->m[p->offer->audio];
	const struct sdp_candidate *def = default_candidate(p);
	const char *addr = def ? def->address : "0.0.0.0";
	int ipv = def ? ip_version(def->address) : 4;
	unsigned port = def ? def->port : 9;
	bool twcc = p->transport_cc && a->ext_twcc >= 1 && a->ext_twcc <= 14;
	for (uint16_t i = 0; twcc && i < a->npayloads; i++)
		if (a->payloads[i].pt == a->opus_pt)
			twcc = a->payloads[i].fb & SDP_FB_TRANSPORT_CC;

	put(w, "m=audio %u %s %d\r\nc=IN IP%d %s\r\na=rtcp:%u IN IP%d %s\r\n", port, a->proto,
	    a->opus_pt, ipv, addr, port, ipv, addr);
	put_transport(w, p, setup, cands);
	if (a->mid[0])
		put(w, "a=mid:%s\r\n", a->mid);
	put_extmaps(w, a, twcc);
	put(w, "a=%s\r\n", sdp_direction_name(dir));
	bool send = dir_bits(dir) & SEND;
	const char *stream = p->msid_stream ? p->msid_stream : "-";
	if (send && p->msid_track)
		put(w, "a=msid:%s %s\r\n", stream, p->msid_track);
	put(w, "a=rtcp-mux\r\n");
	put_opus(w, p, a, twcc);
	if (send) {
		put(w, "a=ssrc:%" PRIu32 " cname:%s\r\n", p->ssrc, p->cname);
		if (p->msid_track)
			put(w, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", p->ssrc, stream, p->msid_track);
	}
}

/* Formats p's candidates as SDP lines into buf. */
static int format_candidates(char *buf, size_t cap, const struct sdp_answer_params *p)
{
	struct out w = { buf, cap, 0, false };
	buf[0] = '\0';
	if ((p->ncandidates && !p->candidates) || p->ncandidates > SDP_MAX_CANDIDATES)
		return -EINVAL;
	for (size_t i = 0; i < p->ncandidates; i++) {
		char line[SDP_MAX_LINE];
		int n = sdp_candidate_format(line, sizeof(line), &p->candidates[i]);
		if (n < 0)
			return -EINVAL;
		put(&w, "a=%s\r\n", line);
	}
	return w.full ? -ENOSPC : 0;
}

static int check_params(const struct sdp_answer_params *p, enum sdp_direction dir, char *err,
			size_t errlen)
{
	const struct sdp_offer *o = p->offer;
	if (!o || o->nm == 0 || o->nm > SDP_MAX_MLINES || o->audio >= o->nm ||
	    o->m[o->audio].kind != SDP_MEDIA_AUDIO || o->m[o->audio].opus_pt < 0 ||
	    o->m[o->audio].opus_pt > 127)
		return fail(err, errlen, -EINVAL, "no parsed offer with an audio m-line");
	for (uint8_t i = 0; i < o->nm; i++)
		if (!mline_ok(&o->m[i]))
			return fail(err, errlen, -EINVAL, "m-line %u has bad fields", i + 1u);
	if (!p->ice_ufrag || !sdp_ice_ufrag_valid(p->ice_ufrag, strlen(p->ice_ufrag)) ||
	    !p->ice_pwd || !sdp_ice_pwd_valid(p->ice_pwd, strlen(p->ice_pwd)))
		return fail(err, errlen, -EINVAL, "bad ICE ufrag/pwd");
	if (!(dir_bits(dir) & SEND))
		return 0;
	if (!p->ssrc || !p->cname || !sdp__visible_valid(p->cname, SDP_MAX_TOKEN))
		return fail(err, errlen, -EINVAL, "sending needs an ssrc and a cname");
	if ((p->msid_stream && !tok(p->msid_stream, SDP_MAX_TOKEN + 1)) ||
	    (p->msid_track && !tok(p->msid_track, SDP_MAX_TOKEN + 1)))
		return fail(err, errlen, -EINVAL, "bad msid");
	return 0;
}

int sdp_answer_build(char *out, size_t outcap, const struct sdp_answer_params *p,
		     char *err, size_t errlen)
{
	char cands[SDP_MAX_CANDIDATES * 256];
	if (err && errlen)
		err[0] = '\0';
	if (!out || !outcap)
		return fail(err, errlen, -ENOSPC, "no output buffer");
	out[0] = '\0';
	if (!p || !p->offer)
		return fail(err, errlen, -EINVAL, "no parsed offer with an audio m-line");
	const struct sdp_offer *o = p->offer;
	const struct sdp_mline *a = &o->m[o->audio < SDP_MAX_MLINES ? o->audio : 0];
	enum sdp_direction dir = answer_dir(a->dir, p->direction);
	enum sdp_setup setup;
	int rc = check_params(p, dir, err, errlen);
	if (rc)
		return rc;
	if (answer_setup(a->setup, p->setup, &setup))
		return fail(err, errlen, -EINVAL, "bad setup: cannot answer setup:%s with %s",
			    a->setup ? sdp_setup_name(a->setup) : "(absent)",
			    sdp_setup_name(p->setup)[0] ? sdp_setup_name(p->setup) : "?");
	rc = format_candidates(cands, sizeof(cands), p);
	if (rc)
		return fail(err, errlen, rc, "bad or too many candidates");

	struct out w = { out, outcap, 0, false };
	put(&w, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    p->session_id, p->session_version);
	if (in_bundle(o, a->mid))
		put(&w, "a=group:BUNDLE %s\r\n", a->mid);
	if (p->ice_lite)
		put(&w, "a=ice-lite\r\n");
	put(&w, "a=msid-semantic: WMS *\r\n");
	for (uint8_t i = 0; i < o->nm; i++) {
		if (i == o->audio)
			put_audio(&w, p, setup, dir, cands);
		else
			put_rejected(&w, &o->m[i]);
	}
	if (w.full) {
		out[0] = '\0';
		return fail(err, errlen, -ENOSPC, "answer does not fit in %zu bytes", outcap);
	}
	return (int)w.len;
}

/* ---- the offer (JSEP 5.2.1, laid out as Chromium writes one) ---- */

static int check_offer_params(const struct sdp_offer_params *p, bool send, char *err, size_t errlen)
{
	if (!p->ice_ufrag || !sdp_ice_ufrag_valid(p->ice_ufrag, strlen(p->ice_ufrag)) || !p->ice_pwd ||
	    !sdp_ice_pwd_valid(p->ice_pwd, strlen(p->ice_pwd)))
		return fail(err, errlen, -EINVAL, "bad ICE ufrag/pwd");
	if (p->opus_pt < 96 || p->opus_pt > 127 || p->ext_audio_level > 14 ||
	    p->ext_abs_capture_time > 14 ||
	    (p->ext_audio_level && p->ext_audio_level == p->ext_abs_capture_time))
		return fail(err, errlen, -EINVAL, "bad payload type or extmap id");
	if (p->direction != SDP_DIR_SENDONLY && p->direction != SDP_DIR_RECVONLY &&
	    p->direction != SDP_DIR_SENDRECV)
		return fail(err, errlen, -EINVAL, "bad direction");
	if (!send)
		return 0;
	if (!p->ssrc || !p->cname || !sdp__visible_valid(p->cname, SDP_MAX_TOKEN))
		return fail(err, errlen, -EINVAL, "sending needs an ssrc and a cname");
	if ((p->msid_stream && !tok(p->msid_stream, SDP_MAX_TOKEN + 1)) ||
	    (p->msid_track && !tok(p->msid_track, SDP_MAX_TOKEN + 1)))
		return fail(err, errlen, -EINVAL, "bad msid");
	return 0;
}

int sdp_offer_build(char *out, size_t outcap, const struct sdp_offer_params *p, char *err,
		    size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out || !outcap)
		return fail(err, errlen, -ENOSPC, "no output buffer");
	out[0] = '\0';
	if (!p)
		return fail(err, errlen, -EINVAL, "no parameters");
	bool send = dir_bits(p->direction) & SEND;
	int rc = check_offer_params(p, send, err, errlen);
	if (rc)
		return rc;
	char fp[SDP_FINGERPRINT_STRLEN + 1];
	sdp_fingerprint_format(fp, sizeof(fp), p->fingerprint);
	const char *stream = p->msid_stream ? p->msid_stream : "-";
	struct out w = { out, outcap, 0, false };
	put(&w, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    p->session_id, p->session_version);
	put(&w, "a=group:BUNDLE 0\r\na=msid-semantic: WMS *\r\n");
	put(&w, "m=audio 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n",
	    (unsigned)p->opus_pt);
	put(&w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n", p->ice_ufrag,
	    p->ice_pwd);
	put(&w, "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\n", fp);
	if (p->ext_audio_level)
		put(&w, "a=extmap:%u %s\r\n", (unsigned)p->ext_audio_level, SDP_EXT_AUDIO_LEVEL);
	if (p->ext_abs_capture_time)
		put(&w, "a=extmap:%u %s\r\n", (unsigned)p->ext_abs_capture_time, SDP_EXT_ABS_CAPTURE_TIME);
	put(&w, "a=%s\r\n", sdp_direction_name(p->direction));
	if (send && p->msid_track)
		put(&w, "a=msid:%s %s\r\n", stream, p->msid_track);
	put(&w, "a=rtcp-mux\r\na=rtpmap:%u opus/48000/2\r\n", (unsigned)p->opus_pt);
	put(&w, "a=fmtp:%u minptime=10;useinbandfec=1\r\n", (unsigned)p->opus_pt);
	if (send) {
		put(&w, "a=ssrc:%" PRIu32 " cname:%s\r\n", p->ssrc, p->cname);
		if (p->msid_track)
			put(&w, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", p->ssrc, stream, p->msid_track);
	}
	if (w.full) {
		out[0] = '\0';
		return fail(err, errlen, -ENOSPC, "offer does not fit in %zu bytes", outcap);
	}
	return (int)w.len;
}
