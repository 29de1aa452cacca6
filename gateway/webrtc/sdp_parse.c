/* SDP offer parser (RFC 8866 line grammar): the line loop, v=/o=/s= and the
 * checks at the end.
 *
 * Design: the input is split into lines (CRLF or LF); each line is checked
 * (length, no NUL or control bytes), copied into a bounded NUL-terminated
 * buffer and handed to the handler for its type (m= and a= in sdp_attr.c),
 * which fills the offer in place. Session-level values live in the parse
 * context until the end, when they are applied to every m-line that has none
 * and the accepted audio m-line is checked. Nothing is allocated; the input
 * is never read past len. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "webrtc/sdp.h"
#include "webrtc/sdp_int.h"

static int parse_origin(struct sdp_pctx *c, char *v)
{
	char *f[6];
	uint64_t id, ver;
	for (int i = 0; i < 6; i++)
		f[i] = sdp__next_field(&v);
	if (!f[5] || sdp__next_field(&v) || !sdp__parse_uint(f[1], UINT64_MAX, &id) ||
	    !sdp__parse_uint(f[2], UINT64_MAX, &ver))
		return sdp__fail(c, -EINVAL, "bad o= line");
	c->o->session_id = id;
	c->o->session_version = ver;
	c->seen_o = true;
	return 0;
}

static int parse_line(struct sdp_pctx *c, char *line, size_t n)
{
	if (n < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
		return sdp__fail(c, -EINVAL, "expected <type>=<value>");
	char *v = line + 2;
	if (!c->seen_v && line[0] != 'v')
		return sdp__fail(c, -EINVAL, "SDP must start with v=0");
	switch (line[0]) {
	case 'v':
		if (c->seen_v || strcmp(sdp__trim(v), "0") != 0)
			return sdp__fail(c, -EINVAL, "bad v= line");
		c->seen_v = true;
		return 0;
	case 'o':
		if (c->seen_o || c->cur)
			return sdp__fail(c, -EINVAL, "unexpected o= line");
		return parse_origin(c, v);
	case 's':
		if (!c->cur)
			c->seen_s = true;
		return 0;
	case 'm':
		return sdp__parse_media(c, v);
	case 'a':
		return sdp__parse_attr(c, v);
	default:
		return 0; /* i, u, e, p, c, b, t, r, z, k: not needed */
	}
}

/* ---- end of input: defaults and checks ---- */

static void apply_session(struct sdp_pctx *c, struct sdp_mline *m)
{
	if (!m->ice.ufrag[0])
		strcpy(m->ice.ufrag, c->ice.ufrag);
	if (!m->ice.pwd[0])
		strcpy(m->ice.pwd, c->ice.pwd);
	m->ice.trickle |= c->ice.trickle;
	if (m->fingerprint.alg == SDP_HASH_NONE)
		m->fingerprint = c->fp;
	if (m->setup == SDP_SETUP_NONE)
		m->setup = c->setup;
	if (m->dir == SDP_DIR_NONE)
		m->dir = c->dir != SDP_DIR_NONE ? c->dir : SDP_DIR_SENDRECV;
	m->end_of_candidates |= c->eoc;
}

static void opus_fmtp(struct sdp_opus_params *op, const char *fmtp)
{
	static const char *const ints[] = { "minptime", "ptime", "maxplaybackrate",
					    "sprop-maxcapturerate", "maxaveragebitrate" };
	static const char *const flags[] = { "useinbandfec", "usedtx", "stereo", "sprop-stereo", "cbr" };
	int32_t *iv[] = { &op->minptime, &op->ptime, &op->maxplaybackrate,
			  &op->sprop_maxcapturerate, &op->maxaveragebitrate };
	int8_t *fv[] = { &op->useinbandfec, &op->usedtx, &op->stereo, &op->sprop_stereo, &op->cbr };
	char buf[SDP_MAX_FMTP + 1];
	snprintf(buf, sizeof(buf), "%s", fmtp);
	char *save = NULL;
	for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');
		uint64_t val;
		if (!eq)
			continue;
		*eq = '\0';
		char *k = sdp__trim(kv), *vs = sdp__trim(eq + 1);
		if (!sdp__parse_uint(vs, INT32_MAX, &val))
			continue; /* malformed parameters are ignored (RFC 7587 6.1) */
		for (int i = 0; i < 5; i++) {
			if (strcasecmp(k, ints[i]) == 0)
				*iv[i] = (int32_t)val;
			if (strcasecmp(k, flags[i]) == 0 && val <= 1)
				*fv[i] = (int8_t)val;
		}
	}
}

static void finish_mline(struct sdp_pctx *c, struct sdp_mline *m, uint16_t fb_wild)
{
	apply_session(c, m);
	memset(&m->opus, 0xff, sizeof(m->opus)); /* every field -1: absent */
	for (uint16_t i = 0; i < m->npayloads; i++) {
		struct sdp_payload *p = &m->payloads[i];
		p->fb |= fb_wild;
		if (!p->has_rtpmap)
			continue;
		if (m->opus_pt < 0 && strcasecmp(p->name, "opus") == 0 && p->clock == 48000 &&
		    p->channels == 2) {
			m->opus_pt = p->pt;
			opus_fmtp(&m->opus, p->fmtp);
		}
		if (strcasecmp(p->name, "telephone-event") == 0 && m->ndtmf < SDP_MAX_DTMF) {
			m->dtmf_pt[m->ndtmf] = p->pt;
			m->dtmf_clock[m->ndtmf++] = p->clock;
		}
	}
}

static struct sdp_mline *mline_by_mid(struct sdp_offer *o, const char *mid)
{
	for (uint8_t i = 0; i < o->nm; i++)
		if (o->m[i].mid[0] && strcmp(o->m[i].mid, mid) == 0)
			return &o->m[i];
	return NULL;
}

/* A bundled m-line (RFC 8843) may leave the transport attributes to the
 * offerer-tagged one, the first mid of the group. */
static void inherit_bundle(struct sdp_offer *o, struct sdp_mline *a)
{
	struct sdp_mline *tag = o->nbundle ? mline_by_mid(o, o->bundle[0]) : NULL;
	bool in = false;
	for (uint8_t i = 0; i < o->nbundle && a->mid[0]; i++)
		in |= strcmp(o->bundle[i], a->mid) == 0;
	if (!tag || !in || tag == a)
		return;
	if (!a->ice.ufrag[0] || !a->ice.pwd[0])
		a->ice = tag->ice;
	if (a->fingerprint.alg == SDP_HASH_NONE)
		a->fingerprint = tag->fingerprint;
	if (a->setup == SDP_SETUP_NONE)
		a->setup = tag->setup;
}

static bool proto_dtls_srtp(const char *p)
{
	return strstr(p, "TLS/RTP/SAVP") || strcmp(p, "RTP/SAVPF") == 0;
}

static int finish(struct sdp_pctx *c)
{
	struct sdp_offer *o = c->o;
	c->line = 0;
	if (!c->seen_v)
		return sdp__fail(c, -EINVAL, "not an SDP (no v=0 line)");
	if (!c->seen_o || !c->seen_s)
		return sdp__fail(c, -EINVAL, "missing %s= line", c->seen_o ? "s" : "o");
	for (uint8_t i = 0; i < o->nm; i++)
		finish_mline(c, &o->m[i], c->fb_wild[i]);
	uint8_t ai = 0;
	while (ai < o->nm && o->m[ai].kind != SDP_MEDIA_AUDIO)
		ai++;
	if (ai == o->nm)
		return sdp__fail(c, -EINVAL, "no audio m-line");
	o->audio = ai;
	struct sdp_mline *a = &o->m[ai];
	inherit_bundle(o, a);
	if (a->port == 0 && !a->bundle_only)
		return sdp__fail(c, -EINVAL, "audio m-line is disabled (port 0)");
	if (!proto_dtls_srtp(a->proto))
		return sdp__fail(c, -ENOTSUP, "audio m-line proto %s is not DTLS-SRTP", a->proto);
	if (a->opus_pt < 0)
		return sdp__fail(c, -ENOTSUP, "audio m-line has no Opus 48000/2");
	if (!a->rtcp_mux)
		return sdp__fail(c, -ENOTSUP, "rtcp-mux is required");
	if (!a->ice.ufrag[0] || !a->ice.pwd[0])
		return sdp__fail(c, -EINVAL, "missing ICE ufrag/pwd");
	if (a->fingerprint.alg != SDP_HASH_SHA256)
		return sdp__fail(c, -EINVAL, "missing DTLS fingerprint (sha-256)");
	return 0;
}

/* Checks the bytes of one raw line. */
static int check_line(struct sdp_pctx *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0)
			return sdp__fail(c, -EINVAL, "NUL byte");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
			return sdp__fail(c, -EINVAL, "control character 0x%02x", ch);
	}
	return 0;
}

int sdp_offer_parse(struct sdp_offer *out, const char *sdp, size_t len, char *err, size_t errlen)
{
	struct sdp_pctx c;
	char buf[SDP_MAX_LINE + 1];
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!out || (!sdp && len))
		return sdp__fail(&c, -EINVAL, "no SDP");
	if (len > SDP_MAX_LEN)
		return sdp__fail(&c, -E2BIG, "SDP longer than %d bytes", SDP_MAX_LEN);
	memset(out, 0, sizeof(*out));
	c.o = out;
	size_t pos = 0;
	while (pos < len) {
		const char *s = sdp + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		pos += n + (nl ? 1 : 0);
		c.line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (n > SDP_MAX_LINE) /* here, where the compiler sees it guard buf */
			return sdp__fail(&c, -E2BIG, "line longer than %d bytes", SDP_MAX_LINE);
		int rc = check_line(&c, s, n);
		if (rc)
			return rc;
		if (n == 0)
			continue;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if ((rc = parse_line(&c, buf, n)))
			return rc;
	}
	return finish(&c);
}

int sdp_answer_parse(struct sdp_offer *out, const char *sdp, size_t len, char *err, size_t errlen)
{
	int rc = sdp_offer_parse(out, sdp, len, err, errlen);
	if (rc)
		return rc;
	const struct sdp_mline *a = &out->m[out->audio];
	struct sdp_pctx c = { .err = err, .errlen = errlen };
	if (a->port == 0)
		return sdp__fail(&c, -EINVAL, "the answer rejected the audio m-line (port 0)");
	if (a->setup != SDP_SETUP_ACTIVE && a->setup != SDP_SETUP_PASSIVE)
		return sdp__fail(&c, -EINVAL, "the answer must say setup:active or setup:passive, not %s",
				 a->setup ? sdp_setup_name(a->setup) : "(absent)");
	return 0;
}
