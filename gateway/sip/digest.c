/* Digest authentication: see digest.h. */
#include "sip/digest.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* ---- the header ---- */

struct cursor {
	const char *p, *end;
};

static void skip_lws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

static bool is_token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("-.!%*_+`'~", ch));
}

/* A token into out (NUL-terminated); false when empty or too long. */
static bool take_token(struct cursor *c, char *out, size_t cap)
{
	size_t n = 0;
	while (c->p < c->end && is_token_char(*c->p)) {
		if (n + 1 >= cap)
			return false;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n > 0;
}

/* A quoted-string (backslash escapes resolved) into out. */
static bool take_quoted(struct cursor *c, char *out, size_t cap)
{
	size_t n = 0;
	c->p++; /* the opening quote */
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		if ((unsigned char)*c->p < 0x20 && *c->p != '\t')
			return false;
		if (n + 1 >= cap)
			return false;
		out[n++] = *c->p++;
	}
	if (c->p >= c->end)
		return false;
	c->p++;
	out[n] = '\0';
	return true;
}

struct param {
	const char *name;
	size_t off, cap;
};

#define P(n) { #n, offsetof(struct rg_sip_digest, n), sizeof(((struct rg_sip_digest *)0)->n) }
static const struct param params[] = {
	P(username), P(realm), P(nonce), P(uri), P(response), P(cnonce), P(nc), P(qop), P(algorithm), P(opaque),
};
#undef P
#define N_PARAMS (sizeof params / sizeof params[0])

static int check_required(const struct rg_sip_digest *d)
{
	if (!d->username[0] || !d->realm[0] || !d->nonce[0] || !d->uri[0] || !d->response[0])
		return -EINVAL;
	if (d->qop[0] && (!d->nc[0] || !d->cnonce[0]))
		return -EINVAL;
	if (d->algorithm[0] && strcasecmp(d->algorithm, "MD5"))
		return -ENOTSUP;
	if (d->qop[0] && strcasecmp(d->qop, "auth"))
		return -ENOTSUP;
	return 0;
}

int rg_sip_digest_parse(struct rg_sip_digest *out, const char *text, size_t len)
{
	struct cursor c = { text, text + len };
	char scheme[16], name[32], value[512];
	bool seen[N_PARAMS] = { false };
	memset(out, 0, sizeof *out);
	skip_lws(&c);
	if (!take_token(&c, scheme, sizeof scheme) || strcasecmp(scheme, "Digest"))
		return -EINVAL;
	for (bool first = true;; first = false) {
		skip_lws(&c);
		if (!first) {
			if (c.p >= c.end)
				break;
			if (*c.p != ',')
				return -EINVAL;
			c.p++;
			skip_lws(&c);
		}
		if (!take_token(&c, name, sizeof name))
			return -EINVAL;
		skip_lws(&c);
		if (c.p >= c.end || *c.p != '=')
			return -EINVAL;
		c.p++;
		skip_lws(&c);
		bool ok = c.p < c.end && *c.p == '"' ? take_quoted(&c, value, sizeof value)
						     : take_token(&c, value, sizeof value);
		if (!ok)
			return -EINVAL;
		for (size_t i = 0; i < N_PARAMS; i++) {
			if (strcasecmp(name, params[i].name))
				continue;
			if (seen[i] || strlen(value) >= params[i].cap)
				return -EINVAL;
			seen[i] = true;
			strcpy((char *)out + params[i].off, value);
		}
	}
	return check_required(out);
}

/* ---- the response ---- */

/* MD5 of the parts joined by ':' as lower-case hex. */
static void md5_hex(char out[RG_SIP_DIGEST_HEX_LEN + 1], const char *const *parts, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(ctx, ":", 1)) && EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok) /* no MD5 in this OpenSSL: a value no response can match */
		memset(md, 0, 16);
	rg_hex_encode(out, md, 16);
	if (!ok)
		out[0] = 'x';
}

void rg_sip_digest_response(char out[RG_SIP_DIGEST_HEX_LEN + 1], const char *user, const char *realm,
			    const char *password, const char *method, const char *uri, const char *nonce,
			    const char *nc, const char *cnonce, const char *qop)
{
	char ha1[RG_SIP_DIGEST_HEX_LEN + 1], ha2[RG_SIP_DIGEST_HEX_LEN + 1];
	md5_hex(ha1, (const char *const[]){ user, realm, password }, 3);
	md5_hex(ha2, (const char *const[]){ method, uri }, 2);
	if (qop && *qop)
		md5_hex(out, (const char *const[]){ ha1, nonce, nc, cnonce, qop, ha2 }, 6);
	else
		md5_hex(out, (const char *const[]){ ha1, nonce, ha2 }, 3);
}

bool rg_sip_digest_verify(const struct rg_sip_digest *d, const char *method, const char *password)
{
	char want[RG_SIP_DIGEST_HEX_LEN + 1], got[sizeof d->response];
	rg_sip_digest_response(want, d->username, d->realm, password, method, d->uri, d->nonce, d->nc,
			       d->cnonce, d->qop);
	size_t n = strlen(d->response);
	for (size_t i = 0; i <= n; i++) /* hex digits may come in upper case */
		got[i] = (char)(d->response[i] >= 'A' && d->response[i] <= 'F' ? d->response[i] + 32 : d->response[i]);
	return rg_ct_equal(want, RG_SIP_DIGEST_HEX_LEN, got, n);
}

/* ---- nonces ---- */

static bool nonce_mac(char out[65], const uint8_t *key, size_t keylen, const char *realm, const char *ts)
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "%s:%s", realm, ts);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	if (n < 0 || (size_t)n >= sizeof msg ||
	    !HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, (size_t)n, mac, &maclen) || maclen != 32)
		return false;
	rg_hex_encode(out, mac, 32);
	return true;
}

int rg_sip_nonce_make(char *out, size_t cap, const uint8_t *key, size_t keylen, const char *realm,
		      int64_t now_s)
{
	char ts[20], mac[65];
	snprintf(ts, sizeof ts, "%08" PRIx64, (uint64_t)now_s);
	if (!nonce_mac(mac, key, keylen, realm, ts))
		return -EINVAL;
	int n = snprintf(out, cap, "%s.%s", ts, mac);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

int rg_sip_nonce_check(const char *nonce, const uint8_t *key, size_t keylen, const char *realm,
		       int64_t now_s, unsigned max_age_s)
{
	const char *dot = strchr(nonce, '.');
	size_t tl = dot ? (size_t)(dot - nonce) : 0;
	if (tl < 8 || tl > 16 || strlen(dot + 1) != 64)
		return -EINVAL;
	char ts[20], mac[65];
	uint64_t t = 0;
	for (size_t i = 0; i < tl; i++) {
		char ch = nonce[i];
		int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
		if (v < 0)
			return -EINVAL;
		t = t << 4 | (uint64_t)v;
		ts[i] = ch;
	}
	ts[tl] = '\0';
	if (!nonce_mac(mac, key, keylen, realm, ts) || !rg_ct_equal(mac, 64, dot + 1, 64))
		return -EINVAL;
	int64_t age = now_s - (int64_t)t;
	return age > (int64_t)max_age_s || age < -5 ? -ETIMEDOUT : 0;
}
