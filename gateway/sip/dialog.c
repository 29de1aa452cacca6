/* In an answered call: new offers (re-INVITE, UPDATE; hold and resume,
 * address or codec changes), the late offer's answer in the ACK, DTMF
 * (RFC 4733 from the endpoint, SIP INFO), the PIN lobby, the
 * dial-out extras (DTMF after the answer, maximum duration) and the admin
 * API's DTMF. Control loop. docs/sip.md describes the behaviour.
 *
 * Offer/answer (RFC 3264): an offer in a session keeps the codec we have
 * when it is still offered; our answer mirrors the direction (sendonly ->
 * recvonly, inactive -> inactive; c=0.0.0.0 counts as inactive) and the
 * endpoint follows: a held phone's stream publishes nothing (players see
 * its packets stop) and it hears nothing; a held call has no media
 * timeout. An offer we cannot take is refused 488 and the session stays
 * as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "media/media.h"
#include "sip/info.h"
#include "sip/sip_int.h"

#define PIN_DIGITS_MAX 16
#define PIN_TRIES 3
#define PIN_TIMEOUT_MS 30000  /* per try */
#define GOODBYE_MS 1500       /* the goodbye tone, then BYE */
#define REPROMPT_MS 700       /* the wrong-PIN beeps, then the prompt again */

/* Prompts: a beep every 3 s (enter the PIN), two low beeps (wrong), a
 * falling tone (goodbye). docs/sip.md lists them. */
static const struct rg_tone tone_prompt = { 440, 0, 400, 2600, 0 };
static const struct rg_tone tone_wrong = { 300, 0, 150, 150, 2 };
static const struct rg_tone tone_goodbye = { 350, 440, 1000, 500, 1 };

void sip_call_timers_stop(struct call *c)
{
	unsigned *t[] = { &c->pin_timer, &c->bye_timer, &c->max_timer, &c->se_timer };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (*t[i])
			rg_timer_cancel(*t[i]);
		*t[i] = 0;
	}
}

static void tone(struct call *c, const struct rg_tone *t)
{
	if (c->vp_id[0])
		rg_vps_ext_tone(c->sip->d.vps, c->vp_id, t);
}

static void hang_up(struct call *c, const char *reason)
{
	if (c->state == CS_ENDED)
		return;
	if (c->nh)
		nua_bye(c->nh, TAG_END());
	sip_call_end(c, reason, 0);
}

/* ---- PIN ---- */

static bool goodbye_over(void *arg)
{
	struct call *c = arg;
	c->bye_timer = 0;
	hang_up(c, "pin_failed");
	return false;
}

static bool pin_timeout(void *arg);

static bool reprompt(void *arg)
{
	struct call *c = arg;
	tone(c, &tone_prompt);
	c->pin_timer = rg_timer_add(c->sip->d.control, PIN_TIMEOUT_MS, pin_timeout, c);
	return false;
}

/* A wrong or missing PIN: the wrong-PIN beeps and the prompt again, or
 * after the last try the goodbye tone and BYE. */
static void pin_fail(struct call *c, const char *why)
{
	RG_INFO(SIP, "call %s: PIN %s (try %u of %d)", c->id, why, c->pin_tries, PIN_TRIES);
	if (c->pin_timer)
		rg_timer_cancel(c->pin_timer);
	c->pin_timer = 0;
	c->pin_n = 0;
	if (c->pin_tries >= PIN_TRIES) {
		tone(c, &tone_goodbye);
		if (!c->bye_timer)
			c->bye_timer = rg_timer_add(c->sip->d.control, GOODBYE_MS, goodbye_over, c);
		return;
	}
	tone(c, &tone_wrong);
	c->pin_timer = rg_timer_add(c->sip->d.control, REPROMPT_MS, reprompt, c);
}

static bool pin_timeout(void *arg)
{
	struct call *c = arg;
	c->pin_timer = 0;
	c->pin_tries++;
	pin_fail(c, "not entered in time");
	return false;
}

/* The PIN matched: from the lobby into the room, with the sockets kept. */
static void admit(struct call *c)
{
	struct rg_sip *s = c->sip;
	char msg[256] = "";
	if (c->pin_timer)
		rg_timer_cancel(c->pin_timer);
	c->pin_timer = 0;
	rg_vps_ext_leave(s->d.vps, c->vp_id, "admitted");
	c->vp_id[0] = '\0';
	c->in_lobby = false;
	c->pin[0] = '\0'; /* passed */
	c->fd = c->keep_fd;
	c->fd_rtcp = c->keep_fd_rtcp;
	c->keep_fd = c->keep_fd_rtcp = -1;
	int rc = c->remote_sdp ? sip_call_join(c, c->remote_sdp, msg, sizeof msg) : -RG_E_INTERNAL;
	if (rc) {
		RG_INFO(SIP, "call %s: PIN right, but room %s refused: %s", c->id, c->room_id, msg);
		hang_up(c, "join_failed");
		return;
	}
	RG_INFO(SIP, "call %s: PIN right, joined room %s as %s", c->id, c->room_id, c->user_id);
	sip_call_emit(c);
}

static void pin_digit(struct call *c, char digit)
{
	if (c->bye_timer)
		return; /* saying goodbye */
	if (digit != '#') {
		if (c->pin_n < PIN_DIGITS_MAX)
			c->pin_in[c->pin_n++] = digit;
		return;
	}
	c->pin_in[c->pin_n] = '\0';
	/* the same time for every wrong PIN of a length */
	size_t n = strlen(c->pin);
	unsigned diff = c->pin_n != n;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(c->pin[i] ^ (i < c->pin_n ? c->pin_in[i] : 0));
	if (!diff) {
		tone(c, NULL);
		admit(c);
		return;
	}
	c->pin_tries++;
	pin_fail(c, "wrong");
}

/* ---- DTMF ---- */

void sip_call_digit(struct call *c, char digit, const char *method)
{
	if (c->state != CS_ANSWERED)
		return;
	c->dtmf_received++;
	if (c->in_lobby) {
		pin_digit(c, digit);
		return;
	}
	RG_DEBUG(SIP, "call %s: DTMF %c (%s)", c->id, digit, method);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", c->room_id);
	cJSON_AddStringToObject(d, "id", c->id);
	cJSON_AddStringToObject(d, "user_id", c->user_id);
	char ds[2] = { digit, '\0' };
	cJSON_AddStringToObject(d, "digit", ds);
	cJSON_AddStringToObject(d, "method", method);
	rg_events_emit(c->sip->d.events, "sip.dtmf", d);
}

void sip_on_info(struct call *c, nua_handle_t *nh, const sip_t *sip)
{
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	char d = pl ? rg_sip_info_digit(sip->sip_content_type ? sip->sip_content_type->c_type : "", pl->pl_data,
					pl->pl_len)
		    : 0;
	if (!d) {
		nua_respond(nh, 415, "Unsupported Media Type", SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"),
			    NUTAG_WITH_THIS(c->sip->nua), TAG_END());
		return;
	}
	nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(c->sip->nua), TAG_END());
	sip_call_digit(c, d, "info");
}

int rg_sip_call_dtmf(struct rg_sip *s, const char *room_id, const char *id, const cJSON *body, char *msg,
		     size_t msglen)
{
	RG_ASSERT_LOOP(s->d.control);
	struct call *c = NULL;
	for (struct call *x = s->calls; x; x = x->next)
		if (x->room_id && !strcmp(x->room_id, room_id) && !strcmp(x->id, id))
			c = x;
	if (!c) {
		snprintf(msg, msglen, "no SIP call %.64s in room %.128s", id, room_id);
		return -RG_E_NOT_FOUND;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, body)
	{
		if (strcmp(it->string, "digits")) {
			snprintf(msg, msglen, "field \"%.64s\": unknown field", it->string);
			return -RG_E_INVALID_FIELD;
		}
	}
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(body, "digits");
	size_t n = cJSON_IsString(dg) ? strlen(dg->valuestring) : 0;
	if (!n || n > 64 || strspn(dg->valuestring, "0123456789*#ABCDabcd") != n) {
		snprintf(msg, msglen, "field \"digits\": 1 to 64 of 0-9 * # A-D");
		return -RG_E_INVALID_FIELD;
	}
	if (c->state != CS_ANSWERED || c->in_lobby || !c->vp_id[0]) {
		snprintf(msg, msglen, "the call is %s", c->state != CS_ANSWERED ? "not answered" : "not in its room yet");
		return -RG_E_CONFLICT;
	}
	if (c->te.pt) {
		rg_vps_ext_dtmf(s->d.vps, c->vp_id, dg->valuestring);
		return 0;
	}
	/* no telephone-event negotiated: one INFO per digit */
	for (const char *p = dg->valuestring; *p; p++) {
		char b[48];
		char d = *p >= 'a' ? (char)(*p - 'a' + 'A') : *p;
		snprintf(b, sizeof b, "Signal=%c\r\nDuration=100\r\n", d);
		nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(b), TAG_END());
	}
	return 0;
}

/* ---- after the answer ---- */

static bool max_duration_over(void *arg)
{
	struct call *c = arg;
	c->max_timer = 0;
	hang_up(c, "max_duration");
	return false;
}

void sip_call_answered(struct call *c)
{
	struct rg_sip *s = c->sip;
	if (c->max_duration_s && !c->max_timer)
		c->max_timer = rg_timer_add(s->d.control, c->max_duration_s * 1000u, max_duration_over, c);
	if (c->in_lobby) {
		RG_INFO(SIP, "call %s: waiting for the PIN of room %s", c->id, c->room_id);
		tone(c, &tone_prompt);
		c->pin_timer = rg_timer_add(s->d.control, PIN_TIMEOUT_MS, pin_timeout, c);
		return;
	}
	if (c->dtmf_after) {
		char msg[128];
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "digits", c->dtmf_after);
		if (rg_sip_call_dtmf(s, c->room_id, c->id, b, msg, sizeof msg))
			RG_WARN(SIP, "call %s: dtmf_after_answer: %s", c->id, msg);
		cJSON_Delete(b);
	}
}

/* ---- offers in the session ---- */

/* Takes a new offer: 0 with our answer in buf (the endpoint updated), or
 * the status to refuse it with (the session unchanged). */
static int take_offer(struct call *c, const sip_t *sip, char *buf, size_t cap)
{
	struct rg_sip *s = c->sip;
	const sip_payload_t *pl = sip->sip_payload;
	struct rg_sdp_av *o = calloc(1, sizeof *o);
	char err[256], msg[256];
	int status = 0;
	size_t n_prefs;
	const enum rg_codec_id *prefs = sip_call_prefs(c, &n_prefs);
	if (!o)
		return 500;
	if (rg_sdp_av_parse(o, pl->pl_data, pl->pl_len, err, sizeof err)) {
		RG_INFO(SIP, "call %s: new offer refused 488: %s", c->id, err);
		status = 488;
		goto out;
	}
	if ((c->srtp && !o->has_crypto) || (!c->srtp && o->srtp)) {
		RG_INFO(SIP, "call %s: new offer refused 488: SRTP cannot be switched %s in a call", c->id,
			o->srtp ? "on" : "off");
		status = 488;
		goto out;
	}
	/* the codec we have, when it is still offered */
	struct rg_sdp_av_codec keep = c->codec;
	struct rg_sdp_av_te keep_te = c->te;
	bool still = false;
	for (unsigned i = 0; i < o->n_codecs; i++)
		if (o->codecs[i].id == c->codec.id && o->codecs[i].clock_rate == c->codec.clock_rate) {
			c->codec.pt = o->codecs[i].pt;
			still = true;
		}
	if (still) {
		enum rg_codec_id one[1] = { c->codec.id };
		struct rg_sdp_av_codec ch;
		if (!rg_sdp_av_choose(o, one, 1, &ch, &c->te))
			c->codec = ch;
	} else if (rg_sdp_av_choose(o, prefs, n_prefs, &c->codec, &c->te)) {
		RG_INFO(SIP, "call %s: new offer refused 488: no codec in common", c->id);
		c->codec = keep;
		c->te = keep_te;
		status = 488;
		goto out;
	}
	struct rg_rtp_ep_params ep;
	if (sip_call_ep(c, o, &ep, msg, sizeof msg)) {
		RG_INFO(SIP, "call %s: new offer refused 488: %s", c->id, msg);
		c->codec = keep;
		c->te = keep_te;
		status = 488;
		goto out;
	}
	if (c->in_lobby)
		ep.recv = true;
	bool zero = !strcmp(o->addr, "0.0.0.0") || !strcmp(o->addr, "::");
	if (sip_call_sdp(c, o, rg_sdp_av_dir_answer(zero ? RG_SDP_INACTIVE : o->dir), buf, cap) < 0) {
		status = 500;
		goto out;
	}
	if (!c->remote_sdp)
		c->remote_sdp = malloc(sizeof *c->remote_sdp);
	if (c->remote_sdp)
		*c->remote_sdp = *o;
	if (c->vp_id[0])
		rg_vps_ext_update(s->d.vps, c->vp_id, &ep);
	RG_INFO(SIP, "call %s: new offer taken: %s, %s %u, %s%s", c->id, c->remote,
		rg_codec_name(c->codec.id), c->codec.pt, rg_sdp_av_dir_name(o->dir), c->held ? " (held)" : "");
out:
	free(o);
	return status;
}

static bool has_sdp(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len;
}

void sip_on_reinvite(struct call *c, nua_handle_t *nh, const sip_t *sip)
{
	char sdp[4096];
	if (c->state != CS_ANSWERED) {
		nua_respond(nh, 491, "Request Pending", TAG_END());
		return;
	}
	bool was_held = c->held;
	if (!has_sdp(sip)) {
		/* no offer: ours goes in the 200 (the codec we have first), the
		 * answer comes with the ACK */
		if (sip_call_sdp(c, NULL, c->held ? RG_SDP_RECVONLY : RG_SDP_SENDRECV, sdp, sizeof sdp) < 0) {
			nua_respond(nh, 500, "Server Internal Error", TAG_END());
			return;
		}
		c->late = true;
		nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
		sip_expiry_refreshed(c, sip, true);
		return;
	}
	int st = take_offer(c, sip, sdp, sizeof sdp);
	if (st) {
		nua_respond(nh, st, st == 488 ? "Not Acceptable Here" : "Server Internal Error", TAG_END());
		return;
	}
	nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	sip_expiry_refreshed(c, sip, true);
	if (was_held != c->held)
		sip_call_emit(c);
}

void sip_on_update(struct call *c, nua_handle_t *nh, const sip_t *sip)
{
	char sdp[4096];
	if (!has_sdp(sip)) { /* a session refresh */
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(c->sip->nua), TAG_END());
		sip_expiry_refreshed(c, sip, true);
		return;
	}
	bool was_held = c->held;
	int st = take_offer(c, sip, sdp, sizeof sdp);
	if (st) {
		nua_respond(nh, st, st == 488 ? "Not Acceptable Here" : "Server Internal Error", NUTAG_WITH_THIS(c->sip->nua), TAG_END());
		return;
	}
	nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), NUTAG_WITH_THIS(c->sip->nua), TAG_END());
	sip_expiry_refreshed(c, sip, true);
	if (was_held != c->held)
		sip_call_emit(c);
}

/* The ACK of a 200 that carried our offer: the answer, and for a first
 * INVITE without an offer, the room. */
void sip_on_ack(struct call *c, const sip_t *sip)
{
	if (!c->late)
		return;
	c->late = false;
	struct rg_sip *s = c->sip;
	struct rg_sdp_av *a = calloc(1, sizeof *a);
	char err[256] = "", msg[256] = "";
	const sip_payload_t *pl = has_sdp(sip) ? sip->sip_payload : NULL;
	bool first = !c->vp_id[0];
	size_t n_prefs;
	const enum rg_codec_id *prefs = sip_call_prefs(c, &n_prefs);
	int rc = !a ? -ENOMEM : pl ? rg_sdp_av_parse(a, pl->pl_data, pl->pl_len, err, sizeof err) : -EINVAL;
	if (!rc)
		rc = rg_sdp_av_choose(a, prefs, n_prefs, &c->codec, &c->te);
	/* our offer had SRTP as the trunk says (a key when not off); the answer decides */
	enum rg_cfg_srtp pol = c->trunk ? c->trunk->cfg->srtp : RG_CFG_SRTP_OFF;
	if (!rc && first)
		rc = (pol == RG_CFG_SRTP_REQUIRED && !a->has_crypto) || (pol == RG_CFG_SRTP_OFF && a->srtp) ? -EPROTO : 0;
	else if (!rc)
		rc = (c->srtp && !a->has_crypto) || (!c->srtp && a->srtp) ? -EPROTO : 0;
	if (!rc && first)
		c->srtp = pol != RG_CFG_SRTP_OFF && a->has_crypto;
	if (rc) {
		RG_INFO(SIP, "call %s: the ACK has no usable answer: %s", c->id,
			!pl ? "no SDP" : rc == -ENOENT ? "no codec of our offer" : rc == -EPROTO ? "SRTP" : err);
		free(a);
		hang_up(c, "bad_answer");
		return;
	}
	if (first) {
		c->mux = a->rtcp_mux;
		rc = sip_call_join(c, a, msg, sizeof msg);
		if (rc) {
			RG_INFO(SIP, "call %s: room %s refused: %s", c->id, c->room_id, msg);
			free(a);
			hang_up(c, "join_failed");
			return;
		}
		sip_call_set_state(c, CS_ANSWERED);
		sip_call_answered(c);
	} else {
		bool was_held = c->held;
		struct rg_rtp_ep_params ep;
		if (!sip_call_ep(c, a, &ep, msg, sizeof msg)) {
			if (c->in_lobby)
				ep.recv = true;
			if (!c->remote_sdp)
				c->remote_sdp = malloc(sizeof *c->remote_sdp);
			if (c->remote_sdp)
				*c->remote_sdp = *a;
			rg_vps_ext_update(s->d.vps, c->vp_id, &ep);
		}
		if (was_held != c->held)
			sip_call_emit(c);
	}
	free(a);
}
