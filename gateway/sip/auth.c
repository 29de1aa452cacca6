/* Inbound trunk matching and digest authentication of INVITEs. Control
 * loop.
 *
 * Only when some trunk has an "inbound" object; otherwise dial-in is open
 * (any peer, no trunk). Then an INVITE belongs to:
 *   1. the first trunk whose inbound.cidrs hold the request's source
 *      address (the address the datagram or connection came from, as
 *      sofia's transport recorded it on the message: msg_addrinfo of
 *      nua_current_request; not Via, which the sender writes);
 *   2. else, when it carries digest credentials, the trunk without cidrs
 *      whose inbound.username they name.
 * A trunk with inbound.username/password requires the credentials:
 * no Authorization (or another realm) gets 401 with a fresh nonce
 * (stale=true when the one presented is ours but too old); wrong ones,
 * a nonce not ours, or an unknown user get 403. A source that belongs to
 * no trunk and has no trunk to authenticate against gets 403. All of this
 * happens before any rule or room is looked at, so an unauthenticated
 * caller learns nothing about them. Reasons are logged, never secrets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_addrinfo.h>

#include "core/log.h"
#include "core/util.h"
#include "sip/digest.h"
#include "sip/sip_int.h"

/* The request's source address, from its transport. */
static const struct sockaddr *source_of(struct rg_sip *s, char *text, size_t cap)
{
	msg_t *m = nua_current_request(s->nua);
	su_addrinfo_t *ai = m ? msg_addrinfo(m) : NULL;
	const struct sockaddr *sa = ai && ai->ai_addr ? (const struct sockaddr *)ai->ai_addr : NULL;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (sa && ai->ai_addrlen <= sizeof ss)
		memcpy(&ss, sa, ai->ai_addrlen);
	if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		rg_sockaddr_str(&ss, text, cap);
	else
		snprintf(text, cap, "(unknown)");
	return sa;
}

/* The first Authorization of our realm, parsed; false when none is. */
static bool credentials_of(const sip_t *sip, const char *realm, struct rg_sip_digest *d)
{
	for (const msg_auth_t *au = sip->sip_authorization; au; au = au->au_next) {
		char text[2048];
		size_t n = (size_t)snprintf(text, sizeof text, "%s", au->au_scheme ? au->au_scheme : "");
		for (size_t i = 0; au->au_params && au->au_params[i] && n < sizeof text; i++)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", i ? ", " : " ", au->au_params[i]);
		if (n >= sizeof text)
			continue;
		if (!rg_sip_digest_parse(d, text, n) && !strcmp(d->realm, realm))
			return true;
	}
	return false;
}

static int challenge(struct rg_sip *s, bool stale, char *out, size_t cap)
{
	char nonce[RG_SIP_NONCE_MAX + 1];
	const char *realm = s->d.cfg->sip_realm;
	if (rg_sip_nonce_make(nonce, sizeof nonce, s->nonce_key, sizeof s->nonce_key, realm, rg_now_s()))
		return 500;
	snprintf(out, cap, "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5%s", realm, nonce,
		 stale ? ", stale=true" : "");
	return 401;
}

/* Digest credentials of trunk t: 0, 401 (challenge in out) or 403. */
static int verify(struct rg_sip *s, struct trunk *t, const struct rg_sip_digest *d, bool have, const char *id,
		  const char *src, char *out, size_t cap)
{
	const char *realm = s->d.cfg->sip_realm;
	if (!have) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: challenged 401 (trunk %s requires digest credentials)", id, src,
			t->cfg->name);
		return challenge(s, false, out, cap);
	}
	int rc = rg_sip_nonce_check(d->nonce, s->nonce_key, sizeof s->nonce_key, realm, rg_now_s(), NONCE_MAX_AGE_S);
	if (rc == -ETIMEDOUT) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: challenged 401 again (trunk %s: the nonce is stale)", id, src, t->cfg->name);
		return challenge(s, true, out, cap);
	}
	const char *why = rc ? "a nonce that is not ours"
			  : strcmp(d->username, t->cfg->in_username) ? "another user name"
			  : !rg_sip_digest_verify(d, "INVITE", t->cfg->in_password) ? "wrong credentials" : NULL;
	if (why) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: refused 403: trunk %s: %s (user \"%.64s\")", id, src, t->cfg->name, why,
			d->username);
		return 403;
	}
	return 0;
}

int sip_inbound_admit(struct rg_sip *s, const sip_t *sip, const char *call_id, struct trunk **out,
		      char *chal, size_t cap)
{
	*out = NULL;
	if (!s->any_inbound)
		return 0;
	char src[80];
	const struct sockaddr *sa = source_of(s, src, sizeof src);
	struct rg_sip_digest d;
	bool have = credentials_of(sip, s->d.cfg->sip_realm, &d);
	struct trunk *t = NULL, *by_user = NULL;
	bool can_auth = false;
	for (unsigned i = 0; i < s->n_trunks && !t; i++) {
		struct trunk *x = &s->trunks[i];
		for (unsigned j = 0; j < x->n_cidrs && !t; j++)
			if (rg_cidr_match_sa(&x->cidrs[j], sa))
				t = x;
		if (!x->n_cidrs && x->cfg->in_username[0]) {
			can_auth = true;
			if (have && !by_user && !strcmp(d.username, x->cfg->in_username))
				by_user = x;
		}
	}
	if (!t && !can_auth) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: refused 403: the source matches no trunk's inbound.cidrs", call_id, src);
		return 403;
	}
	if (!t && have && !by_user) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: refused 403: credentials of no trunk (user \"%.64s\")", call_id, src,
			d.username);
		return 403;
	}
	t = t ? t : by_user;
	int rc = 0;
	if (!t) /* an unknown source that may authenticate: ask */
		rc = challenge(s, false, chal, cap);
	else if (t->cfg->in_username[0])
		rc = verify(s, t, &d, have, call_id, src, chal, cap);
	if (!rc) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: trunk %s", call_id, src, t->cfg->name);
		*out = t;
	}
	return rc;
}
