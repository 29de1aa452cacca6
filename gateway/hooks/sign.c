/* Webhook wire format: the signature, the body, URL redaction and the
 * retry schedule. Pure (no clock, socket or global); see webhooks.h. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/events.h"
#include "core/util.h"
#include "hooks/webhooks.h"

int rg_webhook_sign(char out[RG_WEBHOOK_SIG_LEN], const char *secret, size_t secret_len, int64_t ts_s,
		    const char *body, size_t body_len)
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, "%" PRId64 ".", ts_s);
	uint8_t mac[32];
	size_t maclen = 0;
	int ok = 0;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, secret_len, params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)plen) &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, body_len) &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof mac) && maclen == sizeof mac)
		ok = 1;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	if (!ok)
		return -EIO;
	memcpy(out, "v1=", 3);
	rg_hex_encode(out + 3, mac, sizeof mac);
	return 0;
}

char *rg_webhook_body(const char *id, const char *type, int64_t ts_ms, const cJSON *data)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "id", id) || !cJSON_AddStringToObject(o, "type", type) ||
	    !cJSON_AddNumberToObject(o, "timestamp", (double)ts_ms) ||
	    !(data ? cJSON_AddItemReferenceToObject(o, "data", (cJSON *)data)
		   : cJSON_AddObjectToObject(o, "data") != NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	/* data is referenced, not copied: deleting o leaves it alone */
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

bool rg_webhook_wants(const struct rg_config_webhook *h, const char *type)
{
	for (unsigned i = 0; i < h->n_events; i++)
		if (rg_event_pattern_match(h->events[i], type))
			return true;
	return false;
}

void rg_webhook_url_redact(char *out, size_t cap, const char *url)
{
	if (!cap)
		return;
	const char *scheme_end = strstr(url, "://");
	const char *auth = scheme_end ? scheme_end + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *host = auth;
	for (const char *p = auth; p < auth + alen; p++)
		if (*p == '@')
			host = p + 1;
	size_t plen = strcspn(auth + alen, "?#");
	snprintf(out, cap, "%.*s%.*s%.*s", (int)(auth - url), url, (int)(auth + alen - host), host, (int)plen,
		 auth + alen);
}

unsigned rg_webhook_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms)
{
	uint64_t d = base_ms;
	for (unsigned i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	return d > max_ms ? max_ms : (unsigned)d;
}
