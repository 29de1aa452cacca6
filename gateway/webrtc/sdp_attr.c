/* The media-description lines of an offer: m= and every a= line (session or
 * media level), one handler per attribute name. Handlers get the value
 * after "a=<name>:" trimmed and NUL-terminated in a scratch buffer they may
 * cut up; they fill c->cur (the current m-line) or the session defaults in
 * c, and report errors through sdp__fail. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "webrtc/sdp.h"
#include "webrtc/sdp_int.h"

static bool bit_test(const uint8_t *map, unsigned i)
{
	return map[i >> 3] & (1u << (i & 7));
}

static void bit_set(uint8_t *map, unsigned i)
{
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static int copy_str(struct sdp_pctx *c, char *dst, size_t cap, const char *src, const char *what)
{
	size_t n = strlen(src);
	if (n >= cap)
		return sdp__fail(c, -E2BIG, "%s longer than %zu bytes", what, cap - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

static struct sdp_payload *find_payload(struct sdp_mline *m, uint64_t pt)
{
	for (uint16_t i = 0; i < m->npayloads; i++)
		if (m->payloads[i].pt == pt)
			return &m->payloads[i];
	return NULL;
}

/* 1: store, 0: the m-line is not audio and its array is full (ignore),
 * <0: error (audio m-line over the bound). */
static int room_for(struct sdp_pctx *c, size_t have, size_t max, const char *what)
{
	if (have < max)
		return 1;
	if (c->cur->kind != SDP_MEDIA_AUDIO)
		return 0;
	return sdp__fail(c, -E2BIG, "more than %zu %s on the audio m-line", max, what);
}

static int a_rtpmap(struct sdp_pctx *c, char *v)
{
	char *pts = sdp__next_field(&v), *enc = sdp__next_field(&v);
	uint64_t pt, clock, ch = 1;
	if (!pts || !enc || sdp__next_field(&v) || !sdp__parse_uint(pts, 127, &pt))
		return sdp__fail(c, -EINVAL, "bad rtpmap");
	char *slash = strchr(enc, '/');
	if (!slash)
		return sdp__fail(c, -EINVAL, "bad rtpmap");
	*slash = '\0';
	char *cl = slash + 1, *chs = strchr(cl, '/');
	if (chs)
		*chs++ = '\0';
	size_t elen = strlen(enc);
	if (!sdp_token_valid(enc, elen) || elen > SDP_MAX_ENC || !sdp__parse_uint(cl, UINT32_MAX, &clock) ||
	    clock == 0 || (chs && (!sdp__parse_uint(chs, 255, &ch) || ch == 0)))
		return sdp__fail(c, -EINVAL, "bad rtpmap");
	if (bit_test(c->rtpmap_seen, (unsigned)pt))
		return sdp__fail(c, -EINVAL, "duplicate rtpmap for payload type %u", (unsigned)pt);
	bit_set(c->rtpmap_seen, (unsigned)pt);
	struct sdp_payload *p = find_payload(c->cur, pt);
	if (!p)
		return 0; /* not on the m= line (or not stored): ignored */
	memcpy(p->name, enc, elen + 1);
	p->clock = (uint32_t)clock;
	p->channels = (uint8_t)ch;
	p->has_rtpmap = true;
	return 0;
}

static int a_fmtp(struct sdp_pctx *c, char *v)
{
	char *pts = sdp__next_field(&v);
	uint64_t pt;
	if (!pts || !sdp__parse_uint(pts, 127, &pt))
		return sdp__fail(c, -EINVAL, "bad fmtp");
	struct sdp_payload *p = find_payload(c->cur, pt);
	if (!p)
		return 0;
	return copy_str(c, p->fmtp, sizeof(p->fmtp), sdp__trim(v), "fmtp");
}

static int a_rtcp_fb(struct sdp_pctx *c, char *v)
{
	char *pts = sdp__next_field(&v), *type = sdp__next_field(&v), *param = sdp__next_field(&v);
	uint64_t pt = 0;
	bool wild = pts && strcmp(pts, "*") == 0;
	if (!type || (!wild && !sdp__parse_uint(pts, 127, &pt)))
		return sdp__fail(c, -EINVAL, "bad rtcp-fb");
	uint16_t bit = 0;
	if (strcmp(type, "transport-cc") == 0 && !param)
		bit = SDP_FB_TRANSPORT_CC;
	else if (strcmp(type, "nack") == 0)
		bit = !param ? SDP_FB_NACK : strcmp(param, "pli") == 0 ? SDP_FB_NACK_PLI : 0;
	else if (strcmp(type, "ccm") == 0 && param && strcmp(param, "fir") == 0)
		bit = SDP_FB_CCM_FIR;
	else if (strcmp(type, "goog-remb") == 0 && !param)
		bit = SDP_FB_GOOG_REMB;
	if (wild) {
		c->fb_wild[c->cur - c->o->m] |= bit;
	} else {
		struct sdp_payload *p = find_payload(c->cur, pt);
		if (p)
			p->fb |= bit;
	}
	return 0;
}

static void ext_note(struct sdp_mline *m, const char *uri, uint8_t id)
{
	uint8_t *slot = NULL;
	if (strcmp(uri, SDP_EXT_AUDIO_LEVEL) == 0)
		slot = &m->ext_audio_level;
	else if (strcmp(uri, SDP_EXT_ABS_SEND_TIME) == 0)
		slot = &m->ext_abs_send_time;
	else if (strcmp(uri, SDP_EXT_TWCC) == 0)
		slot = &m->ext_twcc;
	else if (strcmp(uri, SDP_EXT_MID) == 0)
		slot = &m->ext_mid;
	else if (strcmp(uri, SDP_EXT_ABS_CAPTURE_TIME) == 0)
		slot = &m->ext_abs_capture_time;
	if (slot && !*slot)
		*slot = id;
}

static int a_extmap(struct sdp_pctx *c, char *v)
{
	char *ids = sdp__next_field(&v), *uri = sdp__next_field(&v);
	enum sdp_direction dir = SDP_DIR_NONE;
	uint64_t id;
	if (!ids || !uri)
		return sdp__fail(c, -EINVAL, "bad extmap");
	char *slash = strchr(ids, '/');
	if (slash) {
		*slash = '\0';
		if (sdp__parse_direction(slash + 1, &dir))
			return sdp__fail(c, -EINVAL, "bad extmap direction");
	}
	if (!sdp__parse_uint(ids, 255, &id) || id == 0)
		return sdp__fail(c, -EINVAL, "bad extmap id");
	if (!sdp__visible_valid(uri, SDP_MAX_URI))
		return sdp__fail(c, -EINVAL, "bad extmap URI");
	if (bit_test(c->ext_used, (unsigned)id))
		return sdp__fail(c, -EINVAL, "duplicate extmap id %u", (unsigned)id);
	bit_set(c->ext_used, (unsigned)id);
	struct sdp_mline *m = c->cur;
	ext_note(m, uri, (uint8_t)id);
	int r = room_for(c, m->nextmaps, SDP_MAX_EXTMAPS, "extmaps");
	if (r <= 0)
		return r;
	struct sdp_extmap *e = &m->extmaps[m->nextmaps++];
	e->id = (uint8_t)id;
	e->dir = dir;
	strcpy(e->uri, uri);
	return 0;
}

static int msid_pair(struct sdp_pctx *c, char *v, char *stream, char *track)
{
	char *s = sdp__next_field(&v), *t = sdp__next_field(&v);
	if (!s || !sdp_token_valid(s, strlen(s)) || (t && !sdp_token_valid(t, strlen(t))) ||
	    sdp__next_field(&v))
		return sdp__fail(c, -EINVAL, "bad msid");
	strcpy(stream, s);
	strcpy(track, t ? t : "");
	return 0;
}

static int a_ssrc(struct sdp_pctx *c, char *v)
{
	struct sdp_mline *m = c->cur;
	char *ids = sdp__next_field(&v);
	uint64_t id;
	if (!ids || !sdp__parse_uint(ids, UINT32_MAX, &id))
		return sdp__fail(c, -EINVAL, "bad ssrc");
	char *attr = sdp__trim(v), *val = strchr(attr, ':');
	if (!*attr)
		return sdp__fail(c, -EINVAL, "bad ssrc");
	if (val)
		*val++ = '\0';
	struct sdp_ssrc *s = NULL;
	for (uint8_t i = 0; i < m->nssrcs && !s; i++)
		if (m->ssrcs[i].ssrc == id)
			s = &m->ssrcs[i];
	if (!s) {
		int r = room_for(c, m->nssrcs, SDP_MAX_SSRCS, "ssrcs");
		if (r <= 0)
			return r;
		s = &m->ssrcs[m->nssrcs++];
		s->ssrc = (uint32_t)id;
	}
	if (strcmp(attr, "cname") == 0) {
		if (!val || !sdp__visible_valid(val, SDP_MAX_TOKEN))
			return sdp__fail(c, -EINVAL, "bad ssrc cname");
		strcpy(s->cname, val);
	} else if (strcmp(attr, "msid") == 0) {
		if (!val)
			return sdp__fail(c, -EINVAL, "bad msid");
		return msid_pair(c, val, s->msid_stream, s->msid_track);
	}
	return 0;
}

static int a_candidate(struct sdp_pctx *c, char *v)
{
	struct sdp_offer *o = c->o;
	struct sdp_candidate cand;
	int rc = sdp_candidate_parse(&cand, v, strlen(v));
	if (rc == -EINVAL || rc == 1)
		return sdp__fail(c, -EINVAL, "bad candidate");
	if (rc == 0 && o->ncands < SDP_MAX_CANDIDATES) {
		o->cand_mline[o->ncands] = (uint8_t)(c->cur - o->m);
		o->cands[o->ncands++] = cand;
	} else {
		o->cands_dropped++;
	}
	return 0;
}

static int a_mid(struct sdp_pctx *c, char *v)
{
	if (!sdp_token_valid(v, strlen(v)))
		return sdp__fail(c, -EINVAL, "bad mid");
	for (struct sdp_mline *m = c->o->m; m < c->cur; m++)
		if (strcmp(m->mid, v) == 0)
			return sdp__fail(c, -EINVAL, "duplicate mid \"%s\"", v);
	strcpy(c->cur->mid, v);
	return 0;
}

static int a_group(struct sdp_pctx *c, char *v)
{
	char *sem = sdp__next_field(&v);
	if (!sem)
		return sdp__fail(c, -EINVAL, "bad group");
	if (strcasecmp(sem, "BUNDLE") != 0 || c->seen_bundle)
		return 0;
	c->seen_bundle = true;
	for (char *mid; (mid = sdp__next_field(&v));) {
		if (!sdp_token_valid(mid, strlen(mid)))
			return sdp__fail(c, -EINVAL, "bad mid in BUNDLE group");
		if (c->o->nbundle == SDP_MAX_MLINES)
			return sdp__fail(c, -E2BIG, "more than %d mids in BUNDLE group", SDP_MAX_MLINES);
		strcpy(c->o->bundle[c->o->nbundle++], mid);
	}
	return 0;
}

static int a_ice_ufrag(struct sdp_pctx *c, char *v)
{
	if (!sdp_ice_ufrag_valid(v, strlen(v)))
		return sdp__fail(c, -EINVAL, "bad ICE ufrag");
	strcpy(c->cur ? c->cur->ice.ufrag : c->ice.ufrag, v);
	return 0;
}

static int a_ice_pwd(struct sdp_pctx *c, char *v)
{
	if (!sdp_ice_pwd_valid(v, strlen(v)))
		return sdp__fail(c, -EINVAL, "bad ICE pwd");
	strcpy(c->cur ? c->cur->ice.pwd : c->ice.pwd, v);
	return 0;
}

static int a_ice_options(struct sdp_pctx *c, char *v)
{
	for (char *t; (t = sdp__next_field(&v));)
		if (strcmp(t, "trickle") == 0)
			*(c->cur ? &c->cur->ice.trickle : &c->ice.trickle) = true;
	return 0;
}

static int a_fingerprint(struct sdp_pctx *c, char *v)
{
	char *alg = sdp__next_field(&v), *hex = sdp__next_field(&v);
	struct sdp_fingerprint *fp = c->cur ? &c->cur->fingerprint : &c->fp;
	if (!alg || !hex || sdp__next_field(&v))
		return sdp__fail(c, -EINVAL, "bad fingerprint");
	if (strcasecmp(alg, "sha-256") != 0)
		return 0; /* other hash functions are not used */
	uint8_t h[SDP_FINGERPRINT_LEN];
	if (sdp_fingerprint_parse(h, hex, strlen(hex)))
		return sdp__fail(c, -EINVAL, "bad fingerprint");
	if (fp->alg == SDP_HASH_NONE) {
		fp->alg = SDP_HASH_SHA256;
		memcpy(fp->hash, h, sizeof(h));
	}
	return 0;
}

static int a_setup(struct sdp_pctx *c, char *v)
{
	enum sdp_setup s;
	if (strcmp(v, "actpass") == 0)
		s = SDP_SETUP_ACTPASS;
	else if (strcmp(v, "active") == 0)
		s = SDP_SETUP_ACTIVE;
	else if (strcmp(v, "passive") == 0)
		s = SDP_SETUP_PASSIVE;
	else
		return sdp__fail(c, -EINVAL, "bad setup \"%.32s\"", v);
	*(c->cur ? &c->cur->setup : &c->setup) = s;
	return 0;
}

static int a_msid(struct sdp_pctx *c, char *v)
{
	return msid_pair(c, v, c->cur->msid_stream, c->cur->msid_track);
}

enum { SESSION = 1, MEDIA = 2 }; /* where an attribute is meaningful */

static const struct attr {
	const char *name;
	int (*fn)(struct sdp_pctx *c, char *v);
	int flags;
} attrs[] = {
	{ "group", a_group, SESSION },
	{ "ice-ufrag", a_ice_ufrag, SESSION | MEDIA },
	{ "ice-pwd", a_ice_pwd, SESSION | MEDIA },
	{ "ice-options", a_ice_options, SESSION | MEDIA },
	{ "fingerprint", a_fingerprint, SESSION | MEDIA },
	{ "setup", a_setup, SESSION | MEDIA },
	{ "mid", a_mid, MEDIA },
	{ "rtpmap", a_rtpmap, MEDIA },
	{ "fmtp", a_fmtp, MEDIA },
	{ "rtcp-fb", a_rtcp_fb, MEDIA },
	{ "extmap", a_extmap, MEDIA },
	{ "ssrc", a_ssrc, MEDIA },
	{ "msid", a_msid, MEDIA },
	{ "candidate", a_candidate, MEDIA },
};

/* Attributes without a value; unknown ones are ignored. */
static int flag_attr(struct sdp_pctx *c, const char *name)
{
	struct sdp_mline *m = c->cur;
	enum sdp_direction d;
	if (sdp__parse_direction(name, &d) == 0)
		*(m ? &m->dir : &c->dir) = d;
	else if (strcmp(name, "end-of-candidates") == 0)
		*(m ? &m->end_of_candidates : &c->eoc) = true;
	else if (strcmp(name, "ice-lite") == 0 && !m)
		c->o->ice_lite = true;
	else if (strcmp(name, "extmap-allow-mixed") == 0)
		c->o->extmap_allow_mixed = true;
	else if (m && strcmp(name, "rtcp-mux") == 0)
		m->rtcp_mux = true;
	else if (m && strcmp(name, "rtcp-mux-only") == 0)
		m->rtcp_mux_only = true;
	else if (m && strcmp(name, "rtcp-rsize") == 0)
		m->rtcp_rsize = true;
	else if (m && strcmp(name, "bundle-only") == 0)
		m->bundle_only = true;
	return 0;
}

int sdp__parse_attr(struct sdp_pctx *c, char *v)
{
	char *colon = strchr(v, ':');
	if (!colon)
		return flag_attr(c, sdp__trim(v));
	*colon = '\0';
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (strcmp(attrs[i].name, v) != 0)
			continue;
		if (!(attrs[i].flags & (c->cur ? MEDIA : SESSION)))
			return 0; /* not meaningful at this level: ignored */
		char *val = sdp__trim(colon + 1);
		if (!*val)
			return sdp__fail(c, -EINVAL, "a=%s without a value", attrs[i].name);
		return attrs[i].fn(c, val);
	}
	return 0;
}

/* ---- m= lines ---- */

static bool proto_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SDP_MAX_PROTO || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!sdp__is_token_char((unsigned char)s[i]) && s[i] != '/')
			return false;
	return true;
}

static enum sdp_media_kind media_kind(const char *s)
{
	if (strcmp(s, "audio") == 0)
		return SDP_MEDIA_AUDIO;
	if (strcmp(s, "video") == 0)
		return SDP_MEDIA_VIDEO;
	if (strcmp(s, "application") == 0)
		return SDP_MEDIA_APPLICATION;
	return SDP_MEDIA_OTHER;
}

/* Static payload types a sender may use without an rtpmap (RFC 3551). */
static void static_payload(struct sdp_payload *p)
{
	static const struct {
		uint8_t pt;
		const char *name;
	} tab[] = { { 0, "PCMU" }, { 8, "PCMA" }, { 9, "G722" }, { 13, "CN" }, { 18, "G729" } };
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (tab[i].pt == p->pt) {
			strcpy(p->name, tab[i].name);
			p->clock = 8000;
			p->has_rtpmap = true;
		}
	}
}

static int media_fmts(struct sdp_pctx *c, struct sdp_mline *m, char *v)
{
	char *f = sdp__next_field(&v);
	if (!f)
		return sdp__fail(c, -EINVAL, "m-line without formats");
	if (copy_str(c, m->fmt0, sizeof(m->fmt0), f, "format"))
		return -E2BIG;
	for (; f; f = sdp__next_field(&v)) {
		uint64_t pt;
		if (!m->rtp) {
			if (!sdp_token_valid(f, strlen(f)))
				return sdp__fail(c, -EINVAL, "bad format on m-line");
			continue;
		}
		if (!sdp__parse_uint(f, 127, &pt))
			return sdp__fail(c, -EINVAL, "bad payload type \"%.16s\"", f);
		if (m->nfmts == SDP_MAX_FMTS)
			return sdp__fail(c, -E2BIG, "more than %d formats on m-line", SDP_MAX_FMTS);
		m->fmts[m->nfmts++] = (uint8_t)pt;
		if (find_payload(m, pt))
			continue;
		int r = room_for(c, m->npayloads, SDP_MAX_PAYLOADS, "payload types");
		if (r < 0)
			return r;
		if (r) {
			struct sdp_payload *p = &m->payloads[m->npayloads++];
			p->pt = (uint8_t)pt;
			p->channels = 1;
			static_payload(p);
		}
	}
	return 0;
}

int sdp__parse_media(struct sdp_pctx *c, char *v)
{
	struct sdp_offer *o = c->o;
	if (o->nm == SDP_MAX_MLINES)
		return sdp__fail(c, -E2BIG, "more than %d m-lines", SDP_MAX_MLINES);
	struct sdp_mline *m = &o->m[o->nm++];
	c->cur = m;
	memset(c->ext_used, 0, sizeof(c->ext_used));
	memset(c->rtpmap_seen, 0, sizeof(c->rtpmap_seen));
	m->opus_pt = -1;
	char *media = sdp__next_field(&v), *port = sdp__next_field(&v), *proto = sdp__next_field(&v);
	uint64_t pv, np;
	if (!media || !proto)
		return sdp__fail(c, -EINVAL, "bad m-line");
	if (!sdp_token_valid(media, strlen(media)) || strlen(media) > SDP_MAX_MEDIA)
		return sdp__fail(c, -EINVAL, "bad media type on m-line");
	strcpy(m->media, media);
	m->kind = media_kind(media);
	char *slash = strchr(port, '/');
	if (slash)
		*slash++ = '\0';
	if (!sdp__parse_uint(port, 65535, &pv) || (slash && !sdp__parse_uint(slash, 65535, &np)))
		return sdp__fail(c, -EINVAL, "bad port on m-line");
	m->port = (uint16_t)pv;
	if (!proto_valid(proto))
		return sdp__fail(c, -EINVAL, "bad proto on m-line");
	strcpy(m->proto, proto);
	m->rtp = strstr(proto, "RTP/") != NULL;
	return media_fmts(c, m, v);
}

