#include "webrtc/srtp.h"

#include <errno.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

struct rg_srtp {
	srtp_t out;
	srtp_t in;
};

int rg_srtp_global_init(void)
{
	return srtp_init() == srtp_err_status_ok ? 0 : -EIO;
}

void rg_srtp_global_shutdown(void)
{
	srtp_shutdown();
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
