/* Incoming INVITEs: trunk, rule, SDP offer, RTP port, room, answer.
 * Control loop.
 *
 * Every refusal is answered at once with its reason logged: a source or
 * credentials of no trunk 403, credentials needed 401 (auth.c), the
 * trunk's max_calls reached 486, no rule 404,
 * no or bad SDP 488 (also no codec in common), no RTP port 503, room full
 * 486, too many rooms 503, a template that yields an invalid room or user
 * 404, a plain offer on a trunk that requires SRTP 488. A call that passes is answered 200 with our SDP straight away (no
 * ringing phase) and joins its room as a participant.
 *
 * An INVITE flood must stay cheap: every outcome is counted, the lines
 * about incoming INVITEs go through sip_invite_log (a few a second,
 * stats.c), and a refused call keeps nothing in nua (its handle is let go)
 * and is listed only among the last few refused calls (call.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/util.h"
#include "sip/sip_int.h"

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>

/* The From user, reduced to characters that are safe in IDs and names. */
static void caller_of(const sip_t *sip, char *out, size_t cap)
{
	const char *u = sip->sip_from && sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
	size_t n = 0;
	for (; *u && n + 1 < cap; u++)
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9') ||
		    *u == '_' || *u == '.' || *u == '+' || *u == '-')
			out[n++] = *u;
	out[n] = '\0';
	if (!n)
		snprintf(out, cap, "anonymous");
}

static int status_of_join(int e)
{
	switch (-e) {
	case RG_E_ROOM_FULL:
	case RG_E_CONFLICT:
	case RG_E_STREAM_EXISTS: return 486;
	case RG_E_MAX_ROOMS:
	case RG_E_UNAVAILABLE: return 503;
	default: return e <= -RG_E_BASE && e > -RG_E_END && -e != RG_E_INTERNAL ? 404 : 500;
	}
}

/* 0 with the answer in buf, or the SIP status to refuse with. */
static int negotiate(struct call *c, const char *body, size_t len, const char *ct, struct rg_sdp_av *offer,
		     char *buf, size_t cap)
{
	struct rg_sip *s = c->sip;
	char err[256];
	if (!body || !len) { /* late offer: ours goes in the 200, the answer in the ACK */
		if (sip_call_bind(c, false)) {
			sip_invite_log(s, RG_LOG_WARN, "call %s: refused 503: no free RTP port in media.rtp_ports", c->id);
			return 503;
		}
		c->late = true;
		return sip_call_sdp(c, NULL, RG_SDP_SENDRECV, buf, cap) < 0 ? 500 : 0;
	}
	if (strcasecmp(ct, "application/sdp")) {
		sip_invite_log(s, RG_LOG_INFO, "call %s: refused 488: the offer is %s, not application/sdp", c->id, ct);
		return 488;
	}
	int rc = rg_sdp_av_parse(offer, body, len, err, sizeof err);
	if (rc) {
		sip_invite_log(s, RG_LOG_INFO, "call %s: refused 488: SDP offer: %s", c->id, err);
		return 488;
	}
	if (c->trunk && c->trunk->cfg->srtp == RG_CFG_SRTP_REQUIRED && !offer->srtp) {
		sip_invite_log(s, RG_LOG_INFO, "call %s: refused 488: trunk %s requires SRTP (RTP/SAVP with a=crypto)", c->id,
			c->trunk->cfg->name);
		return 488;
	}
	size_t n_prefs;
	const enum rg_codec_id *prefs = sip_call_prefs(c, &n_prefs);
	if (rg_sdp_av_choose(offer, prefs, n_prefs, &c->codec, &c->te)) {
		sip_invite_log(s, RG_LOG_INFO, "call %s: refused 488: no codec in common (%s %s)", c->id,
			c->trunk && c->trunk->cfg->codecs[0] ? "codecs of trunk" : "sip.codecs",
			c->trunk && c->trunk->cfg->codecs[0] ? c->trunk->cfg->name : s->d.cfg->sip_codecs);
		return 488;
	}
	if (sip_call_bind(c, offer->rtcp_mux)) {
		sip_invite_log(s, RG_LOG_WARN, "call %s: refused 503: no free RTP port in media.rtp_ports", c->id);
		return 503;
	}
	c->srtp = offer->srtp;
	c->mux = offer->rtcp_mux;
	if (c->srtp)
		rg_random_bytes(c->key, sizeof c->key);
	return sip_call_sdp(c, offer, rg_sdp_av_dir_answer(offer->dir), buf, cap) < 0 ? 500 : 0;
}

static void refuse(struct call *c, nua_handle_t *nh, int status, const char *challenge)
{
	const char *phrase = sip_status_phrase(status);
	if (!phrase)
		phrase = status < 500 ? "Rejected" : "Server Error";
	nua_respond(nh, status, phrase, TAG_IF(challenge && *challenge, SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
		    TAG_END());
	sip_invite_count(c->sip, status);
	nua_handle_bind(nh, NULL); /* nua lets the handle go (ua.c) */
	c->nh = NULL;
	if (c->room_id) { /* listed in its room, among the last refused calls */
		c->refused = true;
		sip_call_end(c, "refused", status);
		return;
	}
	sip_call_free(c);
}

void sip_dialin(struct rg_sip *s, nua_handle_t *nh, const sip_t *sip)
{
	struct call *c = sip_call_new(s, false);
	const char *uri_user = sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "";
	char caller[128];
	caller_of(sip, caller, sizeof caller);
	c->from = sip_url_string(s, sip->sip_from ? sip->sip_from->a_url : NULL);
	c->to = sip_url_string(s, sip->sip_request->rq_url);
	c->nh = nh;
	nua_handle_bind(nh, c);
	if (s->refer_follow) /* in this call's dialog (refer.c) */
		nua_set_hparams(nh, SIPTAG_ALLOW_STR(SIP_ALLOW_REFER), TAG_END());
	sip_expiry_note(c, sip);
	/* Over TLS sofia's Contact is sips:, also when the phone called a sip:
	 * URI with ;transport=tls; phones that know only the latter form
	 * (RFC 5630 5.2) could not reach that one, so it is answered in kind.
	 * The transport is the top Via's: sofia does not mark the message with
	 * the one it came over, and its TLS port takes nothing but TLS (a Via
	 * that claims TLS over TCP only gets a Contact that asks for TLS). */
	bool over_tls = s->tls && sip->sip_via && sip_transport_has_tls(sip->sip_via->v_protocol);
	c->tls_sip = over_tls && sip->sip_request->rq_url->url_type != url_sips;
	char challenge[320] = "";
	int status = sip_inbound_admit(s, sip, c->id, &c->trunk, challenge, sizeof challenge);
	if (status) {
		refuse(c, nh, status, challenge);
		return;
	}
	if (c->trunk && c->trunk->cfg->max_calls && sip_trunk_active_calls(c->trunk) > c->trunk->cfg->max_calls) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s: refused 486: trunk %s has its max_calls (%u) calls", c->id, c->from,
			c->trunk->cfg->name, c->trunk->cfg->max_calls);
		c->trunk = NULL;
		refuse(c, nh, 486, NULL);
		return;
	}
	struct rg_sip_route route;
	int rc = rg_sip_rules_route(s->rules, uri_user, caller, c->id, c->trunk ? c->trunk->cfg->name : NULL, &route);
	if (rc) {
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s to %s: refused 404: %s", c->id, c->from, c->to,
			rc == -ENOENT ? "no sip.dial_in rule matches" : "a template expands too long");
		refuse(c, nh, 404, NULL);
		return;
	}
	c->room_id = strdup(route.room);
	c->user_id = strdup(route.user_id);
	c->user_name = strdup(route.user_name);
	memcpy(c->pin, route.pin, sizeof c->pin);
	const sip_payload_t *pl = sip->sip_payload;
	const char *ct = sip->sip_content_type ? sip->sip_content_type->c_type : "";
	const struct rg_config_sip_rule *rule = &s->d.cfg->sip_rules[route.rule];
	if (rule->route_url[0]) { /* the rule's webhook decides (route.c), then sip_dialin_finish */
		sip_invite_log(s, RG_LOG_INFO, "call %s from %s to %s: rule %u asks %s", c->id, c->from, c->to, route.rule,
			rule->route_url);
		sip_route_ask(c, rule, uri_user, caller, pl ? pl->pl_data : NULL, pl ? pl->pl_len : 0, ct);
		return;
	}
	sip_invite_log(s, RG_LOG_INFO, "call %s from %s to %s%s: rule %u, room %s, user %s", c->id, c->from, c->to,
		       over_tls ? " over TLS" : "", route.rule,
		c->room_id, c->user_id);
	sip_dialin_finish(c, pl ? pl->pl_data : NULL, pl ? pl->pl_len : 0, ct);
}

void sip_dialin_refuse(struct call *c, int status)
{
	refuse(c, c->nh, status, NULL);
}

void sip_dialin_finish(struct call *c, const char *body, size_t len, const char *ct)
{
	nua_handle_t *nh = c->nh;
	struct rg_sdp_av *offer = calloc(1, sizeof *offer);
	char answer[4096], msg[256] = "";
	int rc, status = offer ? negotiate(c, body, len, ct, offer, answer, sizeof answer) : 500;
	if (!status && !c->late) {
		rc = sip_call_join(c, offer, msg, sizeof msg);
		if (rc) {
			status = status_of_join(rc);
			sip_invite_log(c->sip, RG_LOG_INFO, "call %s: refused %d: room %s: %s", c->id, status, c->room_id, msg);
		}
	}
	free(offer);
	if (status) {
		refuse(c, nh, status, NULL);
		return;
	}
	nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(answer),
		    TAG_IF(c->tls_sip, SIPTAG_CONTACT_STR(c->sip->tls_sip_contact)), TAG_END());
	sip_invite_count(c->sip, 200);
	c->status = 200;
	sip_expiry_start(c, true);
	if (c->late)
		return; /* answered once the ACK brings the phone's answer (dialog.c) */
	sip_call_set_state(c, CS_ANSWERED);
	sip_call_answered(c);
}
