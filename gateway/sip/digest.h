/* HTTP Digest authentication for SIP (RFC 2617 with qop=auth, MD5; RFC 3261
 * section 22), the server side of inbound trunk authentication, and its
 * stateless nonces. Pure functions: no sockets, clock or globals (the time
 * and the key are arguments); any thread. Private to sip/, public for unit
 * tests and the fuzz target.
 *
 * Nonce: "<seconds, 8+ hex digits>.<HMAC-SHA256(key, realm ":" seconds),
 * 64 hex digits>": the server remembers nothing per challenge, so a flood
 * of INVITEs costs it nothing to remember, and a nonce proves only that we
 * made it for that realm, and when. nc is not tracked (no replay window
 * beyond the nonce's age). */
#ifndef RG_SIP_DIGEST_H
#define RG_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_SIP_DIGEST_HEX_LEN 32 /* an MD5 digest in lower-case hex */
#define RG_SIP_NONCE_MAX 96

/* The fields of "Authorization: Digest k=v, ..." that we use. */
struct rg_sip_digest {
	char username[128];
	char realm[128];
	char nonce[RG_SIP_NONCE_MAX + 32];
	char uri[512];
	char response[RG_SIP_DIGEST_HEX_LEN + 8];
	char cnonce[128];
	char nc[16];
	char qop[16];       /* "" when absent (RFC 2069 compatibility) */
	char algorithm[16]; /* "" when absent (MD5) */
	char opaque[128];
};

/* Parses the header's value ("Digest username=\"bob\", realm=..."; the
 * scheme is required, parameters in any order, quoted or not, unknown
 * ones skipped). 0; -EINVAL when malformed, not the Digest scheme, a
 * parameter repeated or too long, or username, realm, nonce, uri or
 * response missing (and nc and cnonce with qop); -ENOTSUP for an
 * algorithm other than MD5 or a qop other than auth. */
int rg_sip_digest_parse(struct rg_sip_digest *out, const char *text, size_t len);

/* The expected response (32 hex digits and a NUL into out):
 * MD5(HA1:nonce:nc:cnonce:qop:HA2) with HA1 = MD5(user:realm:password)
 * and HA2 = MD5(method:uri); with qop NULL or "", MD5(HA1:nonce:HA2). */
void rg_sip_digest_response(char out[RG_SIP_DIGEST_HEX_LEN + 1], const char *user, const char *realm,
			    const char *password, const char *method, const char *uri, const char *nonce,
			    const char *nc, const char *cnonce, const char *qop);

/* Whether d's response is the one for method and password (constant-time
 * comparison). The caller checks username, realm and nonce itself. */
bool rg_sip_digest_verify(const struct rg_sip_digest *d, const char *method, const char *password);

/* A nonce for realm at now_s into out (RG_SIP_NONCE_MAX + 1 bytes);
 * 0 or -ENOSPC. */
int rg_sip_nonce_make(char *out, size_t cap, const uint8_t *key, size_t keylen, const char *realm,
		      int64_t now_s);
/* 0 when the nonce is ours for realm and at most max_age_s old;
 * -ETIMEDOUT when ours but older (or from the future by more than 5 s:
 * a clock step), -EINVAL when not ours. */
int rg_sip_nonce_check(const char *nonce, const uint8_t *key, size_t keylen, const char *realm,
		       int64_t now_s, unsigned max_age_s);

#endif
