/* Transfers: REFER (RFC 3515) in a call, followed as a blind transfer
 * (RFC 5589) when sip.refer is "follow". Control loop.
 * docs/sip.md#transfers describes the behaviour.
 *
 * Then REFER is in our Allow and nua leaves the answer to us
 * (NUTAG_APPL_METHOD, ua.c). A REFER in an answered call, out of its PIN
 * lobby, with one transfer at a time, whose Refer-To is a sip:, sips: or
 * tel: URI without Replaces that matches sip.refer_allow, is accepted 202
 * and its target dialed into the call's room (sip_dial): through the
 * call's trunk for a tel: URI or a URI at the trunk's address, else
 * directly. The new call records the referring call's ID (referred_by).
 *
 * The REFER's implicit subscription (nua's notifier usage on the
 * referring call's handle) reports the new call's progress by NOTIFY with
 * message/sipfrag: "100 Trying" at once, then its outcome ("200 OK" once
 * it is answered, else its final status), which terminates it:
 *
 *   referring call:  none ─202─▶ active ─outcome: final NOTIFY─▶ ending ─its answer─▶ none
 *
 * The referring call is not hung up here: in a blind transfer the
 * transferor sends BYE. The subscription outlives the session (RFC 5057),
 * so when the session ends first the call keeps its nua handle until the
 * final NOTIFY has been answered (sip_refer_keeps_handle), or until the
 * call is freed. The new call finds its referrer by ID: a referrer freed
 * meanwhile is simply not notified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "core/errors.h"
#include "core/log.h"
#include "sip/sip_int.h"

#define REFER_RING_S 60 /* the dial-out default */

static void respond(struct call *c, nua_handle_t *nh, int status, const char *phrase)
{
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(c->sip->nua), TAG_END());
}

static void refuse(struct call *c, nua_handle_t *nh, int status, const char *target, const char *why)
{
	const char *phrase = sip_status_phrase(status);
	RG_INFO(SIP, "call %s: REFER%s%s refused %d: %s", c->id, target ? " to " : "", target ? target : "", status, why);
	respond(c, nh, status, phrase ? phrase : "Refused");
}

static void notify(struct call *c, bool final, int status, const char *phrase)
{
	char frag[96];
	snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", status, phrase);
	nua_notify(c->nh, SIPTAG_EVENT_STR(c->refer_event),
		   NUTAG_SUBSTATE(final ? nua_substate_terminated : nua_substate_active),
		   TAG_IF(final, SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource")),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

/* host:port of a trunk's address against a URI's host and port (5060
 * when it has none). */
static bool at_trunk(const struct trunk *t, const url_t *u)
{
	const char *a = t->cfg->address, *colon = strrchr(a, ':');
	const char *port = u->url_port && *u->url_port ? u->url_port : "5060";
	return colon && u->url_host && !strcasecmp(u->url_host, t->host) && !strcmp(colon + 1, port);
}

/* The dial for target (the Refer-To URI without headers): 0, or the
 * status to refuse the REFER with (why says why). */
static int route(struct call *c, const url_t *u, const char *target, struct sip_dial *d, char *ruri, size_t cap,
		 const char **why)
{
	struct trunk *t = c->trunk && c->trunk->cfg->address[0] ? c->trunk : NULL;
	if (u->url_type == url_tel) {
		if (!t) {
			*why = "a tel: target needs a trunk, and the call came through none";
			return 403;
		}
		if (sip_trunk_number_uri(t, target, ruri, cap)) {
			*why = "not a telephone number (digits, a leading +, * and #)";
			return 400;
		}
		d->to = ruri;
		d->trunk = t;
		return 0;
	}
	bool tls = false;
	if (!sip_uri_ok(c->sip, target, &tls)) {
		*why = "not a SIP URI with a host";
		return 400;
	}
	if (tls && !c->sip->tls) {
		*why = "a sips: URI or ;transport=tls needs SIP over TLS (sip.tls_listen)";
		return 403;
	}
	d->to = target;
	d->tls = tls;
	if (t && !tls && at_trunk(t, u)) {
		d->trunk = t;
		d->route = true;
	}
	return 0;
}

static int status_of_dial(int e)
{
	return e == -RG_E_UNAVAILABLE ? 503 : e == -RG_E_INVALID_FIELD ? 400 : 500;
}

void sip_refer_on_request(struct call *c, nua_handle_t *nh, const sip_t *sip, tagi_t tags[])
{
	struct rg_sip *s = c->sip;
	if (c->state != CS_ANSWERED || c->in_lobby) {
		refuse(c, nh, 403, NULL, c->in_lobby ? "the call has not entered its PIN" : "the call is not answered");
		return;
	}
	if (c->refer_sub != REFER_SUB_NONE) {
		refuse(c, nh, 491, NULL, "a transfer of this call is under way");
		return;
	}
	const sip_refer_to_t *rt = sip ? sip->sip_refer_to : NULL;
	if (!rt) {
		refuse(c, nh, 400, NULL, "no Refer-To");
		return;
	}
	url_t u = *rt->r_url;
	const char *headers = u.url_headers;
	u.url_headers = NULL; /* what is matched and dialed */
	char *target = sip_url_string(s, &u);
	sip_event_t const *ev = NULL;
	tl_gets(tags, NUTAG_REFER_EVENT_REF(ev), TAG_END());
	if (u.url_type != url_sip && u.url_type != url_sips && u.url_type != url_tel) {
		refuse(c, nh, 400, target, "not a sip:, sips: or tel: URI");
		goto out;
	}
	if (headers && strcasestr(headers, "replaces=")) {
		refuse(c, nh, 501, target, "attended transfer (Replaces) is not supported");
		goto out;
	}
	if (s->has_refer_re && regexec(&s->refer_re, target, 0, NULL, 0)) {
		refuse(c, nh, 403, target, "does not match sip.refer_allow");
		goto out;
	}
	char *event = ev ? sip_header_as_string(s->home, (const sip_header_t *)ev) : NULL;
	if (!event) {
		refuse(c, nh, 500, target, "no subscription for the REFER");
		goto out;
	}
	char ruri[RG_CFG_ADDR_MAX + 128], msg[256] = "";
	const char *why = "";
	struct sip_dial d = { .room_id = c->room_id, .ring_s = REFER_RING_S, .referred_by = c->id };
	struct call *n = NULL;
	int st = route(c, &u, target, &d, ruri, sizeof ruri, &why);
	int e = st ? 0 : sip_dial(s, &d, &n, msg, sizeof msg);
	if (st || e) {
		refuse(c, nh, st ? st : status_of_dial(e), target, st ? why : msg);
		su_free(s->home, event);
		goto out;
	}
	free(c->refer_event);
	c->refer_event = strdup(event);
	su_free(s->home, event);
	snprintf(c->refer_call, sizeof c->refer_call, "%s", n->id);
	c->refer_sub = REFER_SUB_ACTIVE;
	RG_INFO(SIP, "call %s: REFER to %s accepted: call %s%s%s", c->id, target, n->id,
		n->trunk ? " through trunk " : "", n->trunk ? n->trunk->cfg->name : "");
	respond(c, nh, 202, "Accepted");
	notify(c, false, 100, "Trying");
out:
	free(target);
}

/* The referrer whose subscription reports on n, if it still can. */
static struct call *referrer(struct call *n)
{
	for (struct call *r = n->sip->calls; r; r = r->next)
		if (r->refer_sub == REFER_SUB_ACTIVE && !strcmp(r->refer_call, n->id) && !strcmp(r->id, n->referred_by))
			return r;
	return NULL;
}

/* The sipfrag status of a call placed by a transfer that did not answer. */
static int status_of_end(const struct call *n)
{
	if (n->status >= 300)
		return n->status;
	if (!strcmp(n->reason ? n->reason : "", "no_answer"))
		return 408;
	if (!strcmp(n->reason ? n->reason : "", "bad_answer"))
		return 488;
	if (!strcmp(n->reason ? n->reason : "", "join_failed"))
		return 503;
	return 487; /* hung up here: DELETE, shutdown */
}

void sip_refer_progress(struct call *n)
{
	struct call *r = referrer(n);
	if (!r || n->state < CS_ANSWERED)
		return; /* still trying */
	int status = n->state == CS_ANSWERED ? 200 : status_of_end(n);
	const char *phrase = sip_status_phrase(status);
	RG_INFO(SIP, "call %s: transfer to call %s: %d", r->id, n->id, status);
	r->refer_call[0] = '\0';
	r->refer_sub = REFER_SUB_ENDING;
	if (r->nh)
		notify(r, true, status, phrase ? phrase : "Failed");
	else
		r->refer_sub = REFER_SUB_NONE;
}

void sip_refer_on_notify_answer(struct call *c, int status, tagi_t tags[])
{
	int substate = nua_substate_active;
	tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
	if (status < 200 || substate != nua_substate_terminated)
		return;
	if (status >= 300)
		RG_INFO(SIP, "call %s: the transferor answered a NOTIFY %d: the subscription ended", c->id, status);
	else
		RG_DEBUG(SIP, "call %s: the subscription of its REFER ended", c->id);
	c->refer_sub = REFER_SUB_NONE;
	c->refer_call[0] = '\0';
	if (c->session_over && c->nh) { /* kept for the subscription only */
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
		c->nh = NULL;
	}
}

bool sip_refer_keeps_handle(struct call *c)
{
	if (c->refer_sub == REFER_SUB_NONE)
		return false;
	c->session_over = true;
	return true;
}
