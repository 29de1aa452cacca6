/* Session expiry (RFC 4028) of answered calls. Control loop.
 *
 * The SIP stack negotiates session timers and refreshes the sessions it is
 * the refresher of (UPDATE at about half the interval, ua.c). When the
 * peer is the refresher, the call keeps its own timer: every exchange that
 * refreshes the session (the answer to the first INVITE, a re-INVITE or
 * UPDATE answered 2xx by either side) negotiates the interval again
 * (se.c) and, while the peer refreshes, re-arms the timer at
 * rg_sip_se_give_up_s(interval). When it runs out the call ends with BYE,
 * reason session_expired, before the stack's own (later) give-up. Our own
 * refreshes (nua_r_update, or nua_r_invite in a session) negotiate again
 * too, so were se.c ever to guess the refresher otherwise than the stack,
 * the stack's refresh at half the interval would come first and disarm
 * the timer. docs/sip.md#session-timers. */
#include <stdio.h>
#include <strings.h>

#include "core/log.h"
#include "core/loop.h"
#include "sip/se.h"
#include "sip/sip_int.h"

static bool expired(void *arg)
{
	struct call *c = arg;
	c->se_timer = 0;
	if (c->state != CS_ANSWERED)
		return false;
	RG_INFO(SIP, "call %s: the session was not refreshed within %u s of its %u s interval", c->id,
		rg_sip_se_give_up_s(c->se_interval), c->se_interval);
	if (c->nh)
		nua_bye(c->nh, SIPTAG_REASON_STR("SIP;cause=408;text=\"Session expired\""), TAG_END());
	sip_call_end(c, "session_expired", 0);
	return false;
}

void sip_expiry_note(struct call *c, const sip_t *peer)
{
	const sip_session_expires_t *x = peer ? peer->sip_session_expires : NULL;
	struct rg_sip_se_peer *p = &c->se_peer;
	bool supported = p->supported || (peer && sip_has_feature(peer->sip_supported, "timer"));
	*p = (struct rg_sip_se_peer){ .supported = supported };
	if (!peer)
		return;
	p->require = sip_has_feature(peer->sip_require, "timer");
	if (x) {
		p->expires = (unsigned)x->x_delta;
		if (x->x_refresher && !strcasecmp(x->x_refresher, "uac"))
			p->refresher = 'c';
		else if (x->x_refresher && !strcasecmp(x->x_refresher, "uas"))
			p->refresher = 's';
	}
	if (peer->sip_min_se)
		p->min_se = (unsigned)peer->sip_min_se->min_delta;
}

void sip_expiry_start(struct call *c, bool uas)
{
	if (c->se_timer)
		rg_timer_cancel(c->se_timer);
	c->se_timer = 0;
	enum rg_sip_se_refresher r = rg_sip_se_negotiate(&c->se_peer, uas, c->sip->d.cfg->sip_session_expires_s,
							 SIP_MIN_SE, &c->se_interval);
	RG_DEBUG(SIP, "call %s: session interval %u s, refreshed by %s", c->id, c->se_interval,
		 r == RG_SIP_SE_PEER ? "the peer" : r == RG_SIP_SE_US ? "us" : "nobody");
	if (r == RG_SIP_SE_PEER && c->state != CS_ENDED)
		c->se_timer = rg_timer_add(c->sip->d.control, rg_sip_se_give_up_s(c->se_interval) * 1000u, expired, c);
}

void sip_expiry_refreshed(struct call *c, const sip_t *peer, bool uas)
{
	sip_expiry_note(c, peer);
	sip_expiry_start(c, uas);
}
