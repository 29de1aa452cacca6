/* SDP for SIP audio: parse an offer or answer, choose a codec, build ours.
 * See sdp_av.h. Pure. */
#include "sip/sdp_av.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

#define SUITE_80 "AES_CM_128_HMAC_SHA1_80"

struct pt_map { /* what a=rtpmap said about one payload type */
	bool set;
	char enc[24];
	unsigned rate, channels;
};

struct pstate {
	struct rg_sdp_av *o;
	char *err;
	size_t errlen;
	unsigned line;
	char sess_addr[RG_SDP_AV_ADDR_MAX];
	bool sess_ipv6, media_addr;
	int m_index;        /* m-lines seen - 1 */
	bool in_audio, audio_done, have_audio;
	uint8_t fmts[64];
	unsigned n_fmts;
	struct pt_map map[128];
	bool crypto_found;
};

static int perr(struct pstate *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct pstate *s, int code, const char *fmt, ...)
{
	if (s->err && s->errlen) {
		int n = snprintf(s->err, s->errlen, "line %u: ", s->line);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < s->errlen)
			vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Copies the next space-separated token of [*p, end) into out (cap);
 * false when there is none or it does not fit. */
static bool token(const char **p, const char *end, char *out, size_t cap)
{
	const char *q = *p;
	while (q < end && *q == ' ')
		q++;
	const char *t = q;
	while (q < end && *q != ' ')
		q++;
	size_t n = (size_t)(q - t);
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, t, n);
	out[n] = '\0';
	*p = q;
	return true;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	if (!*s || strlen(s) > 10)
		return false;
	unsigned long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* c=IN IP4 addr | c=IN IP6 addr (a multicast "/ttl" suffix is cut). */
static int parse_c(struct pstate *s, const char *p, const char *end, char *addr, bool *ipv6)
{
	char nt[8], at[8], a[RG_SDP_AV_ADDR_MAX];
	if (!token(&p, end, nt, sizeof nt) || !token(&p, end, at, sizeof at) || !token(&p, end, a, sizeof a) ||
	    strcmp(nt, "IN"))
		return perr(s, -EINVAL, "c= must be \"IN IP4|IP6 <address>\"");
	char *slash = strchr(a, '/');
	if (slash)
		*slash = '\0';
	unsigned char bin[16];
	if (!strcmp(at, "IP4") && inet_pton(AF_INET, a, bin) == 1)
		*ipv6 = false;
	else if (!strcmp(at, "IP6") && inet_pton(AF_INET6, a, bin) == 1)
		*ipv6 = true;
	else
		return perr(s, -EINVAL, "c=: \"%s %s\" is not a numeric IP4 or IP6 address", at, a);
	strcpy(addr, a);
	return 0;
}

static int parse_m(struct pstate *s, const char *p, const char *end)
{
	char media[16], port[16], proto[32], fmt[8];
	s->m_index++;
	s->in_audio = false;
	if (!token(&p, end, media, sizeof media) || !token(&p, end, port, sizeof port) ||
	    !token(&p, end, proto, sizeof proto))
		return perr(s, -EINVAL, "m= must be \"<media> <port> <proto> <fmt> ...\"");
	char *slash = strchr(port, '/'); /* port/count */
	if (slash)
		*slash = '\0';
	unsigned portv;
	if (!parse_uint(port, 65535, &portv))
		return perr(s, -EINVAL, "m=: bad port \"%s\"", port);
	struct rg_sdp_av *o = s->o;
	if (strcmp(media, "audio") || s->have_audio) {
		if (o->n_other >= RG_SDP_AV_MAX_OTHER)
			return perr(s, -EINVAL, "more than %d m-lines besides the audio one", RG_SDP_AV_MAX_OTHER);
		strcpy(o->other_media[o->n_other], media);
		strcpy(o->other_proto[o->n_other], proto);
		if (!token(&p, end, fmt, sizeof fmt))
			strcpy(fmt, "0");
		strcpy(o->other_fmt[o->n_other], fmt);
		o->n_other++;
		return 0;
	}
	s->have_audio = s->in_audio = true;
	o->audio_index = (unsigned)s->m_index;
	o->port = (uint16_t)portv;
	if (!strcmp(proto, "RTP/AVP"))
		o->srtp = false;
	else if (!strcmp(proto, "RTP/SAVP"))
		o->srtp = true;
	else
		return perr(s, -ENOTSUP, "m=audio: profile %s is not supported (RTP/AVP or RTP/SAVP)", proto);
	unsigned v;
	while (token(&p, end, fmt, sizeof fmt)) {
		if (!parse_uint(fmt, 127, &v))
			return perr(s, -EINVAL, "m=audio: bad payload type \"%s\"", fmt);
		if (s->n_fmts < sizeof s->fmts)
			s->fmts[s->n_fmts++] = (uint8_t)v;
	}
	if (s->n_fmts == 0)
		return perr(s, -EINVAL, "m=audio without payload types");
	return 0;
}

/* a=rtpmap:PT enc/rate[/channels] */
static int parse_rtpmap(struct pstate *s, const char *p, const char *end)
{
	char pt[8], enc[64];
	if (!token(&p, end, pt, sizeof pt) || !token(&p, end, enc, sizeof enc))
		return perr(s, -EINVAL, "a=rtpmap must be \"<pt> <encoding>/<rate>[/<channels>]\"");
	unsigned ptv, rate, ch = 1;
	char *r = strchr(enc, '/');
	if (!parse_uint(pt, 127, &ptv) || !r)
		return perr(s, -EINVAL, "a=rtpmap: bad payload type or encoding");
	*r++ = '\0';
	char *c = strchr(r, '/');
	if (c)
		*c++ = '\0';
	if (!parse_uint(r, 1000000, &rate) || (c && !parse_uint(c, 255, &ch)) || strlen(enc) >= 24)
		return perr(s, -EINVAL, "a=rtpmap: bad clock rate or channels");
	struct pt_map *m = &s->map[ptv];
	m->set = true;
	strcpy(m->enc, enc);
	m->rate = rate;
	m->channels = ch;
	return 0;
}

/* a=crypto:TAG SUITE inline:KEY[|lifetime][|mki:len] [session params] */
static int parse_crypto(struct pstate *s, const char *p, const char *end)
{
	char tag[12], suite[48], key[128];
	unsigned tagv;
	if (!token(&p, end, tag, sizeof tag) || !token(&p, end, suite, sizeof suite) ||
	    !token(&p, end, key, sizeof key) || !parse_uint(tag, 999999999, &tagv))
		return perr(s, -EINVAL, "a=crypto must be \"<tag> <suite> inline:<key>\"");
	if (s->crypto_found || strcmp(suite, SUITE_80) || strncmp(key, "inline:", 7))
		return 0; /* another suite or key method: not ours */
	const char *k = key + 7;
	size_t kl = strcspn(k, "|");
	if (rg_base64_decode(s->o->key, sizeof s->o->key, k, kl) != RG_SDP_AV_KEY_LEN)
		return perr(s, -EINVAL, "a=crypto: the inline key is not base64 of 30 bytes");
	s->o->crypto_tag = tagv;
	s->o->has_crypto = true;
	s->crypto_found = true;
	return 0;
}

static int parse_a(struct pstate *s, const char *p, const char *end)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t nl = colon ? (size_t)(colon - p) : (size_t)(end - p);
	const char *v = colon ? colon + 1 : end;
	struct rg_sdp_av *o = s->o;
#define IS(n) (nl == sizeof(n) - 1 && !memcmp(p, n, nl))
	if (IS("sendrecv") || IS("sendonly") || IS("recvonly") || IS("inactive")) {
		if (s->in_audio || s->m_index < 0) /* session level, or the audio line */
			o->dir = IS("sendrecv") ? RG_SDP_SENDRECV : IS("sendonly") ? RG_SDP_SENDONLY
				 : IS("recvonly") ? RG_SDP_RECVONLY : RG_SDP_INACTIVE;
		return 0;
	}
	if (!s->in_audio)
		return 0;
	if (IS("rtpmap"))
		return parse_rtpmap(s, v, end);
	if (IS("crypto"))
		return parse_crypto(s, v, end);
	if (IS("rtcp-mux")) {
		o->rtcp_mux = true;
		return 0;
	}
	char t[16];
	unsigned u;
	if (IS("ptime")) {
		if (!token(&v, end, t, sizeof t) || !parse_uint(t, 1000, &u))
			return perr(s, -EINVAL, "a=ptime: bad value");
		o->ptime = u;
	} else if (IS("rtcp")) {
		if (!token(&v, end, t, sizeof t) || !parse_uint(t, 65535, &u) || u == 0)
			return perr(s, -EINVAL, "a=rtcp: bad port");
		o->rtcp_port = (uint16_t)u;
	}
#undef IS
	return 0;
}

static int parse_line(struct pstate *s, const char *p, const char *end)
{
	if (end - p < 2 || p[1] != '=' || p[0] < 'a' || p[0] > 'z')
		return perr(s, -EINVAL, "not a \"<letter>=<value>\" line");
	char type = p[0];
	p += 2;
	switch (type) {
	case 'v':
		if (s->line != 1 || end - p != 1 || *p != '0')
			return perr(s, -EINVAL, "the SDP must start with v=0");
		return 0;
	case 'c':
		if (s->m_index < 0)
			return parse_c(s, p, end, s->sess_addr, &s->sess_ipv6);
		if (s->in_audio) {
			s->media_addr = true;
			return parse_c(s, p, end, s->o->addr, &s->o->ipv6);
		}
		return 0;
	case 'm': return parse_m(s, p, end);
	case 'a': return parse_a(s, p, end);
	default: return 0;
	}
}

static bool known(const struct pt_map *m, uint8_t pt, struct rg_sdp_av_codec *c)
{
	if (!m->set) { /* RFC 3551 static types */
		if (pt != 0 && pt != 8 && pt != 9)
			return false;
		c->id = pt == 0 ? RG_CODEC_PCMU : pt == 8 ? RG_CODEC_PCMA : RG_CODEC_G722;
		c->clock_rate = 8000;
		c->channels = 1;
	} else if (!strcasecmp(m->enc, "opus") && m->rate == 48000 && (m->channels == 2 || m->channels == 1)) {
		c->id = RG_CODEC_OPUS;
		c->clock_rate = 48000;
		c->channels = m->channels;
	} else if ((!strcasecmp(m->enc, "PCMU") || !strcasecmp(m->enc, "PCMA") || !strcasecmp(m->enc, "G722")) &&
		   m->rate == 8000 && m->channels == 1) {
		c->id = !strcasecmp(m->enc, "PCMU") ? RG_CODEC_PCMU : !strcasecmp(m->enc, "PCMA") ? RG_CODEC_PCMA
			: RG_CODEC_G722;
		c->clock_rate = 8000;
		c->channels = 1;
	} else {
		return false;
	}
	c->pt = pt;
	return true;
}

static int finish(struct pstate *s)
{
	struct rg_sdp_av *o = s->o;
	s->line = 0;
	if (!s->have_audio)
		return perr(s, -ENOTSUP, "no m=audio line");
	if (o->port == 0)
		return perr(s, -ENOTSUP, "the audio m-line is rejected (port 0)");
	if (!s->media_addr) {
		if (!s->sess_addr[0])
			return perr(s, -EINVAL, "no c= line for the audio m-line");
		strcpy(o->addr, s->sess_addr);
		o->ipv6 = s->sess_ipv6;
	}
	if (o->srtp && !s->crypto_found)
		return perr(s, -ENOTSUP, "RTP/SAVP without an a=crypto line of " SUITE_80 " with an inline key");
	if (!o->rtcp_port)
		o->rtcp_port = o->port == 65535 ? o->port : (uint16_t)(o->port + 1);
	for (unsigned i = 0; i < s->n_fmts; i++) {
		uint8_t pt = s->fmts[i];
		const struct pt_map *m = &s->map[pt];
		if (m->set && !strcasecmp(m->enc, "telephone-event")) {
			if (o->n_te < RG_SDP_AV_MAX_TE)
				o->te[o->n_te++] = (struct rg_sdp_av_te){ pt, m->rate };
			continue;
		}
		if (o->n_codecs < RG_SDP_AV_MAX_CODECS && known(m, pt, &o->codecs[o->n_codecs]))
			o->n_codecs++;
	}
	return 0;
}

int rg_sdp_av_parse(struct rg_sdp_av *out, const char *text, size_t len, char *err, size_t errlen)
{
	struct pstate s;
	memset(&s, 0, sizeof s);
	memset(out, 0, sizeof *out);
	s.o = out;
	s.err = err;
	s.errlen = errlen;
	s.m_index = -1;
	if (err && errlen)
		err[0] = '\0';
	if (len > RG_SDP_AV_MAX_LEN)
		return perr(&s, -EINVAL, "SDP longer than %d bytes", RG_SDP_AV_MAX_LEN);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *e = le > p && le[-1] == '\r' ? le - 1 : le;
		s.line++;
		if (e > p && memchr(p, '\0', (size_t)(e - p)))
			return perr(&s, -EINVAL, "NUL byte");
		if (e > p) { /* empty lines (a trailing CRLF) are tolerated */
			int rc = parse_line(&s, p, e);
			if (rc)
				return rc;
		}
		p = nl ? nl + 1 : end;
	}
	if (s.line == 0)
		return perr(&s, -EINVAL, "empty SDP");
	return finish(&s);
}

int rg_sdp_av_choose(const struct rg_sdp_av *offer, const enum rg_codec_id *prefs, size_t n,
		     struct rg_sdp_av_codec *chosen, struct rg_sdp_av_te *te)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < offer->n_codecs; j++) {
			if (offer->codecs[j].id != prefs[i])
				continue;
			*chosen = offer->codecs[j];
			if (te) {
				te->pt = 0;
				te->clock_rate = 0;
				for (unsigned k = 0; k < offer->n_te; k++)
					if (offer->te[k].clock_rate == chosen->clock_rate) {
						*te = offer->te[k];
						break;
					}
			}
			return 0;
		}
	return -ENOENT;
}

const char *rg_sdp_av_enc_name(enum rg_codec_id id)
{
	switch (id) {
	case RG_CODEC_OPUS: return "opus";
	case RG_CODEC_PCMU: return "PCMU";
	case RG_CODEC_PCMA: return "PCMA";
	case RG_CODEC_G722: return "G722";
	default: return "unknown";
	}
}

enum rg_sdp_av_dir rg_sdp_av_dir_answer(enum rg_sdp_av_dir offer)
{
	return offer == RG_SDP_SENDONLY ? RG_SDP_RECVONLY : offer == RG_SDP_RECVONLY ? RG_SDP_SENDONLY : offer;
}

const char *rg_sdp_av_dir_name(enum rg_sdp_av_dir d)
{
	static const char *const names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
	return d <= RG_SDP_INACTIVE ? names[d] : "sendrecv";
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static void put_other(struct out *o, const struct rg_sdp_av *offer, unsigned i)
{
	put(o, "m=%s 0 %s %s\r\n", offer->other_media[i], offer->other_proto[i], offer->other_fmt[i]);
}

static void put_audio(struct out *o, const struct rg_sdp_av_local *l)
{
	put(o, "m=audio %u %s", l->port, l->srtp && !l->srtp_best_effort ? "RTP/SAVP" : "RTP/AVP");
	for (size_t i = 0; i < l->n_codecs; i++)
		put(o, " %u", l->codecs[i].pt);
	for (size_t i = 0; i < l->n_te; i++)
		put(o, " %u", l->te[i].pt);
	put(o, "\r\n");
	for (size_t i = 0; i < l->n_codecs; i++) {
		const struct rg_sdp_av_codec *c = &l->codecs[i];
		if (c->id == RG_CODEC_OPUS) {
			put(o, "a=rtpmap:%u opus/48000/2\r\n", c->pt);
			put(o, "a=fmtp:%u minptime=10;useinbandfec=1\r\n", c->pt);
		} else {
			put(o, "a=rtpmap:%u %s/%u\r\n", c->pt, rg_sdp_av_enc_name(c->id), c->clock_rate);
		}
	}
	for (size_t i = 0; i < l->n_te; i++) {
		put(o, "a=rtpmap:%u telephone-event/%u\r\n", l->te[i].pt, l->te[i].clock_rate);
		put(o, "a=fmtp:%u 0-16\r\n", l->te[i].pt);
	}
	if (l->ptime)
		put(o, "a=ptime:%u\r\n", l->ptime);
	if (l->rtcp_mux)
		put(o, "a=rtcp-mux\r\n");
	if (l->srtp) {
		char b64[64];
		rg_base64_encode(b64, sizeof b64, l->key, RG_SDP_AV_KEY_LEN);
		put(o, "a=crypto:%u " SUITE_80 " inline:%s\r\n", l->crypto_tag, b64);
	}
	put(o, "a=%s\r\n", rg_sdp_av_dir_name(l->dir));
}

int rg_sdp_av_build(char *buf, size_t cap, const struct rg_sdp_av_local *l)
{
	if (!cap)
		return -ENOSPC;
	struct out o = { buf, cap, 0, false };
	const char *ip = strchr(l->addr, ':') ? "IP6" : "IP4";
	put(&o, "v=0\r\no=roomgate %llu %llu IN %s %s\r\ns=roomgate\r\nc=IN %s %s\r\nt=0 0\r\n",
	    (unsigned long long)l->sess_id, (unsigned long long)l->sess_version, ip, l->addr, ip, l->addr);
	const struct rg_sdp_av *of = l->offer;
	unsigned before = of ? (of->audio_index < of->n_other ? of->audio_index : of->n_other) : 0;
	for (unsigned i = 0; i < before; i++)
		put_other(&o, of, i);
	put_audio(&o, l);
	for (unsigned i = before; of && i < of->n_other; i++)
		put_other(&o, of, i);
	if (o.full) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.len;
}
