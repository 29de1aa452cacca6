/* SDP building blocks shared by the offer parser and the answer builder:
 * lexical helpers and validators, DTLS fingerprints (RFC 8122, sha-256
 * only), ICE candidate lines (RFC 8839 5.1, RFC 6544 tcptype) and names.
 * Pure functions, no allocation, no globals. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "webrtc/sdp.h"
#include "webrtc/sdp_int.h"

int sdp__fail(struct sdp_pctx *c, int rc, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return rc;
	int n = 0;
	if (c->line)
		n = snprintf(c->err, c->errlen, "line %u: ", c->line);
	if (n < 0 || (size_t)n >= c->errlen)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- small lexical helpers ---- */

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

bool sdp__is_alnum(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

bool sdp__is_token_char(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x27) || ch == 0x2A || ch == 0x2B ||
	       ch == 0x2D || ch == 0x2E || (ch >= 0x30 && ch <= 0x39) ||
	       (ch >= 0x41 && ch <= 0x5A) || (ch >= 0x5E && ch <= 0x7E);
}

static bool is_ice_char(char ch)
{
	return sdp__is_alnum(ch) || ch == '+' || ch == '/';
}

bool sdp_token_valid(const char *s, size_t len)
{
	if (!s || len == 0 || len > SDP_MAX_TOKEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!sdp__is_token_char((unsigned char)s[i]))
			return false;
	return true;
}

static bool ice_chars(const char *s, size_t len, size_t min)
{
	if (!s || len < min || len > SDP_MAX_ICE)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_ice_char(s[i]))
			return false;
	return true;
}

bool sdp_ice_ufrag_valid(const char *s, size_t len)
{
	return ice_chars(s, len, 4);
}

bool sdp_ice_pwd_valid(const char *s, size_t len)
{
	return ice_chars(s, len, 22);
}

/* Visible ASCII, no spaces (a cname, an extmap URI). */
bool sdp__visible_valid(const char *s, size_t maxlen)
{
	size_t n = strlen(s);
	if (n == 0 || n > maxlen)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E)
			return false;
	return true;
}

/* An IP literal or host name (mDNS "<uuid>.local"). */
static bool address_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SDP_MAX_ADDR)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!sdp__is_alnum(s[i]) && !strchr(".:-_%", s[i]))
			return false;
	return true;
}

/* Decimal digits only (1..20 of them), value <= max. */
bool sdp__parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	if (!s || !s[0])
		return false;
	for (; s[i]; i++) {
		if (!is_digit(s[i]) || i >= 20)
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Splits off the next field separated by spaces/tabs (NUL-terminating it in
 * place); NULL when there is none. */
char *sdp__next_field(char **p)
{
	char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	char *start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return start;
}

char *sdp__trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int sdp__parse_direction(const char *s, enum sdp_direction *d)
{
	static const char *const names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*d = (enum sdp_direction)(SDP_DIR_SENDRECV + i);
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- candidates ---- */

static const char *const cand_type_names[] = { "host", "srflx", "prflx", "relay" };
static const char *const tcptype_names[] = { "", "active", "passive", "so" };

static int cand_type(const char *s, enum sdp_cand_type *t)
{
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, cand_type_names[i]) == 0) {
			*t = (enum sdp_cand_type)i;
			return 0;
		}
	}
	return sdp_token_valid(s, strlen(s)) ? -ENOTSUP : -EINVAL;
}

static int cand_ext(struct sdp_candidate *c, const char *name, const char *val, bool *rport_seen)
{
	uint64_t v;
	if (!sdp_token_valid(name, strlen(name)) || !sdp__visible_valid(val, SDP_MAX_LINE))
		return -EINVAL;
	if (strcmp(name, "raddr") == 0) {
		if (!address_valid(val))
			return -EINVAL;
		strcpy(c->raddr, val);
		c->has_related = true;
	} else if (strcmp(name, "rport") == 0) {
		if (!sdp__parse_uint(val, 65535, &v))
			return -EINVAL;
		c->rport = (uint16_t)v;
		*rport_seen = true;
	} else if (strcmp(name, "tcptype") == 0) {
		for (int i = SDP_TCPTYPE_ACTIVE; i <= SDP_TCPTYPE_SO; i++)
			if (strcmp(val, tcptype_names[i]) == 0)
				c->tcptype = (enum sdp_tcptype)i;
		if (c->tcptype == SDP_TCPTYPE_NONE)
			return -ENOTSUP;
	}
	return 0;
}

/* Parses the attribute value (after "candidate:") held in buf. */
static int cand_fields(struct sdp_candidate *c, char *buf)
{
	char *p = buf, *f[8];
	uint64_t v;
	for (int i = 0; i < 8; i++)
		if (!(f[i] = sdp__next_field(&p)))
			return -EINVAL;
	size_t flen = strlen(f[0]);
	if (flen > SDP_MAX_FOUNDATION || !ice_chars(f[0], flen, 1))
		return -EINVAL;
	strcpy(c->foundation, f[0]);
	if (!sdp__parse_uint(f[1], 256, &v) || v == 0)
		return -EINVAL;
	c->component = (uint16_t)v;
	bool transport_ok = true;
	if (strcasecmp(f[2], "udp") == 0)
		c->transport = SDP_TRANSPORT_UDP;
	else if (strcasecmp(f[2], "tcp") == 0)
		c->transport = SDP_TRANSPORT_TCP;
	else if (sdp_token_valid(f[2], strlen(f[2])))
		transport_ok = false;
	else
		return -EINVAL;
	if (!sdp__parse_uint(f[3], UINT32_MAX, &v))
		return -EINVAL;
	c->priority = (uint32_t)v;
	if (!address_valid(f[4]))
		return -EINVAL;
	strcpy(c->address, f[4]);
	if (!sdp__parse_uint(f[5], 65535, &v))
		return -EINVAL;
	c->port = (uint16_t)v;
	if (strcmp(f[6], "typ") != 0)
		return -EINVAL;
	int rc = cand_type(f[7], &c->type);
	if (rc == -EINVAL)
		return rc;
	bool rport_seen = false;
	int ext_rc = 0;
	for (char *name; (name = sdp__next_field(&p));) {
		char *val = sdp__next_field(&p);
		if (!val)
			return -EINVAL;
		int r = cand_ext(c, name, val, &rport_seen);
		if (r == -EINVAL)
			return r;
		if (r)
			ext_rc = r;
	}
	if (c->has_related != rport_seen)
		return -EINVAL;
	if (rc || !transport_ok || ext_rc)
		return -ENOTSUP;
	return 0;
}

int sdp_candidate_parse(struct sdp_candidate *out, const char *s, size_t len)
{
	char buf[SDP_MAX_LINE + 1];
	if (!out || (!s && len))
		return -EINVAL;
	while (len && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	if (len >= 2 && s[0] == 'a' && s[1] == '=') {
		s += 2;
		len -= 2;
	}
	if (len == 0 || (len == 17 && memcmp(s, "end-of-candidates", 17) == 0))
		return 1;
	if (len >= 10 && memcmp(s, "candidate:", 10) == 0) {
		s += 10;
		len -= 10;
	}
	if (len > SDP_MAX_LINE)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	struct sdp_candidate c;
	memset(&c, 0, sizeof(c));
	int rc = cand_fields(&c, buf);
	if (rc == 0)
		*out = c;
	return rc;
}

/* ---- candidate formatting ---- */

int sdp_candidate_format(char *out, size_t cap, const struct sdp_candidate *c)
{
	size_t flen = strlen(c->foundation);
	if (!out || !cap)
		return -ENOSPC;
	out[0] = '\0';
	if (flen == 0 || flen > SDP_MAX_FOUNDATION || !ice_chars(c->foundation, flen, 1) ||
	    c->component == 0 || c->component > 256 || c->transport > SDP_TRANSPORT_TCP ||
	    !address_valid(c->address) || c->type > SDP_CAND_RELAY ||
	    (c->has_related && !address_valid(c->raddr)) || c->tcptype > SDP_TCPTYPE_SO)
		return -EINVAL;
	int n = snprintf(out, cap, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
			 (unsigned)c->component, c->transport == SDP_TRANSPORT_TCP ? "tcp" : "udp",
			 (unsigned)c->priority, c->address, (unsigned)c->port,
			 cand_type_names[c->type]);
	if (n >= 0 && (size_t)n < cap && c->has_related)
		n += snprintf(out + n, cap - (size_t)n, " raddr %s rport %u", c->raddr,
			      (unsigned)c->rport);
	if (n >= 0 && (size_t)n < cap && c->tcptype != SDP_TCPTYPE_NONE)
		n += snprintf(out + n, cap - (size_t)n, " tcptype %s", tcptype_names[c->tcptype]);
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* ---- fingerprints ---- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int sdp_fingerprint_parse(uint8_t hash[SDP_FINGERPRINT_LEN], const char *s, size_t len)
{
	uint8_t h[SDP_FINGERPRINT_LEN];
	if (!s || len != SDP_FINGERPRINT_STRLEN)
		return -EINVAL;
	for (size_t i = 0; i < SDP_FINGERPRINT_LEN; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || (i + 1 < SDP_FINGERPRINT_LEN && p[2] != ':'))
			return -EINVAL;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(hash, h, sizeof(h));
	return 0;
}

int sdp_fingerprint_format(char *out, size_t cap, const uint8_t hash[SDP_FINGERPRINT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	if (!out || cap <= SDP_FINGERPRINT_STRLEN) {
		if (out && cap)
			out[0] = '\0';
		return -ENOSPC;
	}
	for (size_t i = 0; i < SDP_FINGERPRINT_LEN; i++) {
		out[3 * i] = hex[hash[i] >> 4];
		out[3 * i + 1] = hex[hash[i] & 15];
		out[3 * i + 2] = ':';
	}
	out[SDP_FINGERPRINT_STRLEN] = '\0';
	return SDP_FINGERPRINT_STRLEN;
}

bool sdp_fingerprint_equal(const uint8_t a[SDP_FINGERPRINT_LEN],
			   const uint8_t b[SDP_FINGERPRINT_LEN])
{
	/* volatile keeps the compiler from turning this into an early exit */
	volatile uint8_t diff = 0;
	for (size_t i = 0; i < SDP_FINGERPRINT_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* ---- names ---- */

const char *sdp_direction_name(enum sdp_direction d)
{
	static const char *const names[] = { "", "sendrecv", "sendonly", "recvonly", "inactive" };
	return (unsigned)d <= SDP_DIR_INACTIVE ? names[d] : "";
}

const char *sdp_setup_name(enum sdp_setup s)
{
	static const char *const names[] = { "", "actpass", "active", "passive" };
	return (unsigned)s <= SDP_SETUP_PASSIVE ? names[s] : "";
}
