/* SRTP sessions over libsrtp2. See srtp.h.
 *
 * libsrtp2 over NSS (RG_SRTP_NSS, set by CMake when libsrtp2 links NSS, as
 * Debian's does): each AES-GCM or AES-CM cipher of libsrtp2 opens its own
 * NSS context with NSS_INIT_OPTIMIZESPACE, and every key it imports is a
 * softoken session object holding a session of its own. Whoever initialises
 * NSS first fixes the softoken's hash tables: 32 buckets for session
 * objects and sessions in the "optimise space" mode, 1024 otherwise. Every
 * srtp_protect/unprotect looks its key and a session up by handle in those
 * tables, so with 32 buckets the cost per packet grows with the number of
 * legs (four keys per leg): at 2000 legs SRTP ran 7x slower per packet than
 * at 10 (docs/benchmarks.md). rg_srtp_global_init therefore initialises NSS
 * first, without that flag, and keeps that context until
 * rg_srtp_global_shutdown; libsrtp2's own contexts then share it. */
#include "webrtc/srtp.h"

#include <errno.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>
#ifdef RG_SRTP_NSS
#include <nss.h>
#endif

struct rg_srtp {
	srtp_t out;
	srtp_t in;
};

#ifdef RG_SRTP_NSS
static NSSInitContext *nss_ctx; /* main thread, before and after the workers */
#endif

int rg_srtp_global_init(void)
{
#ifdef RG_SRTP_NSS
	if (!nss_ctx) {
		/* libsrtp2's flags less NSS_INIT_OPTIMIZESPACE */
		nss_ctx = NSS_InitContext("", "", "", "", NULL,
					  NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
						  NSS_INIT_FORCEOPEN);
		if (!nss_ctx)
			return -EIO;
	}
#endif
	return srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

void rg_srtp_global_shutdown(void)
{
	srtp_shutdown();
#ifdef RG_SRTP_NSS
	if (nss_ctx)
		NSS_ShutdownContext(nss_ctx);
	nss_ctx = NULL;
#endif
}

size_t rg_srtp_tag_len(enum rg_srtp_profile p)
{
	return p == RG_SRTP_AEAD_AES_128_GCM ? 16 : p == RG_SRTP_AES128_CM_SHA1_80 ? 10 : 0;
}

static void set_policy(srtp_policy_t *p, enum rg_srtp_profile prof)
{
	if (prof == RG_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
	}
}

static int make(srtp_t *out, const struct rg_srtp_keys *k, const uint8_t *key, bool inbound)
{
	srtp_policy_t p;
	memset(&p, 0, sizeof p);
	set_policy(&p, k->profile);
	uint8_t material[16 + 14];
	memcpy(material, key, k->key_len + k->salt_len);
	p.key = material;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 1024;
	p.allow_repeat_tx = 0;
	int rc = srtp_create(out, &p) == srtp_err_status_ok ? 0 : -EIO;
	memset(material, 0, sizeof material);
	return rc;
}

struct rg_srtp *rg_srtp_new(const struct rg_srtp_keys *keys)
{
	struct rg_srtp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (make(&s->out, keys, keys->local, false) || make(&s->in, keys, keys->remote, true)) {
		rg_srtp_free(s);
		return NULL;
	}
	return s;
}

void rg_srtp_free(struct rg_srtp *s)
{
	if (!s)
		return;
	if (s->out)
		srtp_dealloc(s->out);
	if (s->in)
		srtp_dealloc(s->in);
	free(s);
}

static int status(srtp_err_status_t e)
{
	return e == srtp_err_status_ok ? 0 : -EBADMSG;
}

int rg_srtp_protect_rtp(struct rg_srtp *s, void *pkt, int *len)
{
	return status(srtp_protect(s->out, pkt, len));
}

int rg_srtp_unprotect_rtp(struct rg_srtp *s, void *pkt, int *len)
{
	return status(srtp_unprotect(s->in, pkt, len));
}

int rg_srtp_protect_rtcp(struct rg_srtp *s, void *pkt, int *len)
{
	return status(srtp_protect_rtcp(s->out, pkt, len));
}

int rg_srtp_unprotect_rtcp(struct rg_srtp *s, void *pkt, int *len)
{
	return status(srtp_unprotect_rtcp(s->in, pkt, len));
}
