/* SIP calls: life, media, events, the answers to our INVITEs and the admin
 * API (dialout.c places calls). Control loop.
 *
 * States (docs/sip.md):
 *
 *   outbound:  calling ─180─▶ ringing ─183+SDP─▶ early_media ─200─▶ answered
 *                 └──────────────┴──────────────────┴── >=300, CANCEL, timeout ─▶ ended
 *   inbound:   (rule, SDP answer, room joined) ─200─▶ answered
 *   answered ─ BYE either way, media timeout, room closed, kicked, DELETE,
 *              session not refreshed (expiry.c) ─▶ ended
 *
 * A call owns its RTP sockets from binding (before its SDP is written)
 * until the participant takes them at join. An ended call stays listed
 * for CALL_LINGER_MS, then is freed; its nua handle is destroyed when nua
 * reports the dialog terminated (or, when a REFER's subscription outlives
 * the session, once it ends: refer.c), or with the call. At most CALL_LINGER_MAX
 * ended calls, of which CALL_REFUSED_MAX refused ones, stay listed: past
 * that the one that ended first is freed at once, so an INVITE flood that
 * matches a dial-in rule costs no memory that lasts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sofia-sip/url.h>

#include "core/errors.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "media/media.h"
#include "room/room.h"
#include "sip/sip_int.h"

static const char *const state_names[] = { "calling", "ringing", "early_media", "answered", "ended" };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct call *sip_call_new(struct rg_sip *s, bool outbound)
{
	struct call *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->sip = s;
	c->outbound = outbound;
	c->fd = c->fd_rtcp = -1;
	c->keep_fd = c->keep_fd_rtcp = -1;
	c->recv_on = c->send_on = true;
	rg_random_id(c->id, CALL_ID_LEN / 2);
	snprintf(c->stream_id, sizeof c->stream_id, "sip_%s", c->id);
	rg_random_bytes(&c->sess_id, sizeof c->sess_id);
	c->sess_id &= 0x3fffffffffffffffULL;
	c->sess_ver = c->sess_id;
	c->created_ms = now_ms();
	c->next = s->calls;
	s->calls = c;
	return c;
}

static void call_close_fds(struct call *c)
{
	int *fds[] = { &c->fd, &c->fd_rtcp, &c->keep_fd, &c->keep_fd_rtcp };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

void sip_call_free(struct call *c)
{
	struct rg_sip *s = c->sip;
	for (struct call **pp = &s->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->ring_timer)
		rg_timer_cancel(c->ring_timer);
	if (c->linger_timer)
		rg_timer_cancel(c->linger_timer);
	sip_call_timers_stop(c);
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	call_close_fds(c);
	free(c->room_id);
	free(c->user_id);
	free(c->user_name);
	free(c->from);
	free(c->to);
	free(c->reason);
	free(c->last_sdp);
	free(c->dtmf_after);
	free(c->remote_sdp);
	free(c->refer_event);
	free(c);
}

void sip_call_emit(struct call *c)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", c->room_id ? c->room_id : "");
	cJSON_AddStringToObject(d, "id", c->id);
	cJSON_AddStringToObject(d, "direction", c->outbound ? "outbound" : "inbound");
	cJSON_AddStringToObject(d, "state", state_names[c->state]);
	cJSON_AddStringToObject(d, "from", c->from ? c->from : "");
	cJSON_AddStringToObject(d, "to", c->to ? c->to : "");
	if (c->user_id)
		cJSON_AddStringToObject(d, "user_id", c->user_id);
	if (c->trunk)
		cJSON_AddStringToObject(d, "trunk", c->trunk->cfg->name);
	if (c->referred_by[0])
		cJSON_AddStringToObject(d, "referred_by", c->referred_by);
	if (c->state == CS_ANSWERED)
		cJSON_AddBoolToObject(d, "held", c->held);
	if (c->state == CS_ENDED) {
		cJSON_AddStringToObject(d, "reason", c->reason ? c->reason : "");
		if (c->status)
			cJSON_AddNumberToObject(d, "status", c->status);
	}
	rg_events_emit(c->sip->d.events, "sip.call", d);
}

void sip_call_set_state(struct call *c, enum call_state st)
{
	if (c->state == st || c->state == CS_ENDED)
		return;
	c->state = st;
	if (st == CS_ANSWERED)
		c->answered_ms = now_ms();
	RG_INFO(SIP, "call %s (%s, room %s): %s", c->id, c->outbound ? "out" : "in",
		c->room_id ? c->room_id : "-", state_names[st]);
	sip_call_emit(c);
	if (c->referred_by[0])
		sip_refer_progress(c);
}

static bool linger_over(void *arg)
{
	struct call *c = arg;
	c->linger_timer = 0;
	sip_call_free(c);
	return false;
}

/* Lists c (just ended) for CALL_LINGER_MS among at most CALL_LINGER_MAX
 * ended calls, CALL_REFUSED_MAX of them refused: the one of c's kind that
 * ended first (never c) is freed when there are more. */
static void linger(struct call *c)
{
	struct rg_sip *s = c->sip;
	c->linger_timer = rg_timer_add(s->d.control, CALL_LINGER_MS, linger_over, c);
	unsigned n = 0, n_refused = 0;
	struct call *first = NULL, *first_refused = NULL;
	for (struct call *o = s->calls; o; o = o->next) {
		if (!o->linger_timer)
			continue;
		n++;
		if (o != c && (!first || o->ended_ms <= first->ended_ms))
			first = o;
		if (o->refused) {
			n_refused++;
			if (o != c && (!first_refused || o->ended_ms <= first_refused->ended_ms))
				first_refused = o;
		}
	}
	if (c->refused && n_refused > CALL_REFUSED_MAX && first_refused)
		sip_call_free(first_refused);
	else if (n > CALL_LINGER_MAX && first)
		sip_call_free(first);
}

void sip_call_end(struct call *c, const char *reason, int status)
{
	if (c->state == CS_ENDED)
		return;
	if (c->vp_id[0]) {
		rg_vps_ext_leave(c->sip->d.vps, c->vp_id, reason);
		c->vp_id[0] = '\0';
	}
	call_close_fds(c);
	sip_call_timers_stop(c);
	c->in_lobby = false;
	if (c->ring_timer) {
		rg_timer_cancel(c->ring_timer);
		c->ring_timer = 0;
	}
	free(c->reason);
	c->reason = strdup(reason);
	if (status)
		c->status = status;
	c->ended_ms = now_ms();
	c->state = CS_ENDED;
	if (!c->refused) /* a refusal was logged by dial-in, rate-limited */
		RG_INFO(SIP, "call %s (%s, room %s): ended: %s%s%.0d", c->id, c->outbound ? "out" : "in",
			c->room_id ? c->room_id : "-", reason, status ? ", SIP " : "", status);
	sip_call_emit(c);
	if (c->referred_by[0])
		sip_refer_progress(c);
	if (!c->sip->closing)
		linger(c);
}

/* Hangs up on our side: BYE once answered, CANCEL while ringing. */
void sip_call_hangup(struct call *c, const char *reason)
{
	if (c->state == CS_ENDED)
		return;
	if (c->nh && c->state == CS_ANSWERED)
		nua_bye(c->nh, TAG_END());
	else if (c->nh && c->outbound)
		nua_cancel(c->nh, TAG_END());
	sip_call_end(c, reason, 0);
}

/* The participant went by itself: room closed, kicked, media timeout. */
static void on_vp_ended(void *ctx, const char *reason)
{
	struct call *c = ctx;
	c->vp_id[0] = '\0';
	sip_call_hangup(c, !strcmp(reason, "rtp_timeout") ? "media_timeout" : reason);
}

int sip_call_bind(struct call *c, bool mux)
{
	int rc = rg_vps_rtp_bind(c->sip->d.vps, !mux, &c->fd, &c->fd_rtcp, &c->port);
	if (rc)
		c->fd = c->fd_rtcp = -1;
	return rc;
}

static void on_vp_dtmf(void *ctx, char digit)
{
	sip_call_digit(ctx, digit, "rfc4733");
}

int sip_call_ep(struct call *c, const struct rg_sdp_av *remote, struct rg_rtp_ep_params *ep, char *msg,
		size_t msglen)
{
	struct rg_sip *s = c->sip;
	memset(ep, 0, sizeof *ep);
	ep->fd = ep->fd_rtcp = -1;
	char addr[RG_SDP_AV_ADDR_MAX + 10];
	snprintf(addr, sizeof addr, remote->ipv6 ? "[%s]:%u" : "%s:%u", remote->addr, remote->port);
	/* c=0.0.0.0 (RFC 2543 hold) keeps the address we had */
	bool zero = !strcmp(remote->addr, "0.0.0.0") || !strcmp(remote->addr, "::");
	if (!zero && rg_sockaddr_parse(addr, &ep->remote) != 0) {
		snprintf(msg, msglen, "remote media address %s", addr);
		return -RG_E_BAD_SDP;
	}
	if (!zero)
		snprintf(c->remote, sizeof c->remote, "%s", addr);
	enum rg_sdp_av_dir d = zero ? RG_SDP_INACTIVE : remote->dir;
	c->recv_on = d == RG_SDP_SENDRECV || d == RG_SDP_SENDONLY;  /* the phone sends */
	c->send_on = d == RG_SDP_SENDRECV || d == RG_SDP_RECVONLY;  /* the phone listens */
	c->held = d == RG_SDP_SENDONLY || d == RG_SDP_INACTIVE;
	ep->recv = c->recv_on && !c->held; /* what a holding phone sends (music) stays out of the room */
	ep->send = c->send_on;
	rg_codec_params_default(&ep->codec, c->codec.id);
	ep->pt = c->codec.pt;
	ep->ptime_ms = 20;
	if (c->codec.id != RG_CODEC_OPUS && remote->ptime && rg_codec_ptime_ok(&ep->codec, remote->ptime))
		ep->ptime_ms = remote->ptime;
	ep->max_talkers = s->d.cfg->mix_max_talkers;
	ep->timeout_ms = s->d.cfg->sip_media_timeout_ms;
	ep->te_pt = c->te.pt;
	ep->te_rate = c->te.clock_rate;
	if (c->srtp) {
		ep->srtp = true;
		ep->keys.profile = RG_SRTP_AES128_CM_SHA1_80;
		ep->keys.key_len = 16;
		ep->keys.salt_len = 14;
		memcpy(ep->keys.remote, remote->key, RG_SDP_AV_KEY_LEN);
		memcpy(ep->keys.local, c->key, RG_SDP_AV_KEY_LEN);
	}
	return 0;
}

int sip_call_join(struct call *c, const struct rg_sdp_av *remote, char *msg, size_t msglen)
{
	struct rg_sip *s = c->sip;
	struct rg_rtp_ep_params ep;
	int rc = sip_call_ep(c, remote, &ep, msg, msglen);
	if (rc) {
		call_close_fds(c);
		return rc;
	}
	if (remote != c->remote_sdp) {
		if (!c->remote_sdp)
			c->remote_sdp = malloc(sizeof *c->remote_sdp);
		if (c->remote_sdp)
			*c->remote_sdp = *remote;
	}
	/* a PIN first: the lobby gets copies of the sockets, the room the originals */
	c->in_lobby = c->pin[0] && c->keep_fd < 0;
	if (c->in_lobby) {
		c->keep_fd = c->fd;
		c->keep_fd_rtcp = c->fd_rtcp;
		c->fd = dup(c->keep_fd);
		c->fd_rtcp = c->keep_fd_rtcp >= 0 ? dup(c->keep_fd_rtcp) : -1;
		if (c->fd < 0 || (c->keep_fd_rtcp >= 0 && c->fd_rtcp < 0)) {
			call_close_fds(c);
			snprintf(msg, msglen, "out of file descriptors");
			return -RG_E_UNAVAILABLE;
		}
		ep.recv = true; /* DTMF; nothing is published from the lobby */
	}
	ep.fd = c->fd;
	ep.fd_rtcp = c->fd_rtcp;
	c->fd = c->fd_rtcp = -1; /* taken, also on failure */
	struct rg_vp_ext x = { RG_VP_SIP, c->room_id, c->user_id, c->user_name, c->stream_id, &ep,
			       on_vp_ended, c, on_vp_dtmf, c->in_lobby };
	rc = rg_vps_ext_join(s->d.vps, &x, c->vp_id, msg, msglen);
	if (rc)
		call_close_fds(c);
	return rc;
}

int sip_call_sdp(struct call *c, const struct rg_sdp_av *offer, enum rg_sdp_av_dir dir, char *buf, size_t cap)
{
	struct rg_sip *s = c->sip;
	struct rg_sdp_av_local l = { .addr = s->sdp_addr, .port = c->port, .sess_id = c->sess_id,
				     .sess_version = c->sess_ver, .ptime = 20, .dir = dir };
	struct rg_sdp_av_codec cs[4];
	struct rg_sdp_av_te te[2];
	if (offer) {
		l.codecs = &c->codec;
		l.n_codecs = 1;
		l.te = &c->te;
		l.n_te = c->te.pt ? 1 : 0;
		l.ptime = c->codec.id == RG_CODEC_OPUS ? 20 : offer->ptime ? offer->ptime : 20;
		l.rtcp_mux = c->mux;
		l.srtp = c->srtp;
		l.crypto_tag = offer->crypto_tag;
		l.key = c->key;
		l.offer = offer;
	} else {
		size_t n_te = 0, n_prefs;
		const enum rg_codec_id *prefs = sip_call_prefs(c, &n_prefs);
		bool narrow = false, opus = false;
		for (size_t i = 0; i < n_prefs; i++) {
			enum rg_codec_id id = prefs[i];
			uint8_t pt = id == RG_CODEC_OPUS ? 111 : rg_codec_default_pt(id);
			cs[i] = (struct rg_sdp_av_codec){ id, pt, id == RG_CODEC_OPUS ? 48000 : 8000, id == RG_CODEC_OPUS ? 2 : 1 };
			opus = opus || id == RG_CODEC_OPUS;
			narrow = narrow || id != RG_CODEC_OPUS;
		}
		if (narrow)
			te[n_te++] = (struct rg_sdp_av_te){ 101, 8000 };
		if (opus)
			te[n_te++] = (struct rg_sdp_av_te){ 100, 48000 };
		l.codecs = cs;
		l.n_codecs = n_prefs;
		l.te = te;
		l.n_te = n_te;
		/* SRTP: the trunk's policy; in a session, what it has */
		enum rg_cfg_srtp srtp = c->trunk ? c->trunk->cfg->srtp : RG_CFG_SRTP_OFF;
		if (c->codec.clock_rate)
			srtp = c->srtp ? RG_CFG_SRTP_REQUIRED : RG_CFG_SRTP_OFF;
		static const uint8_t zero[RG_SDP_AV_KEY_LEN];
		if (srtp != RG_CFG_SRTP_OFF && !memcmp(c->key, zero, sizeof zero))
			rg_random_bytes(c->key, sizeof c->key);
		l.srtp = srtp != RG_CFG_SRTP_OFF;
		l.srtp_best_effort = srtp == RG_CFG_SRTP_OPTIONAL;
		l.crypto_tag = 1;
		l.key = c->key;
		if (c->codec.clock_rate) { /* a new offer in a session: the codec we have first */
			for (size_t i = 1; i < n_prefs; i++)
				if (cs[i].id == c->codec.id) {
					struct rg_sdp_av_codec t = cs[0];
					cs[0] = cs[i];
					cs[i] = t;
				}
		}
	}
	int n = rg_sdp_av_build(buf, cap, &l);
	if (n < 0)
		return -1;
	/* the o= line aside, a body like the last keeps its version */
	const char *a = c->last_sdp ? strstr(c->last_sdp, "\r\ns=") : NULL, *b = strstr(buf, "\r\ns=");
	if (c->last_sdp && (!a || !b || strcmp(a, b))) {
		l.sess_version = ++c->sess_ver;
		n = rg_sdp_av_build(buf, cap, &l);
		if (n < 0)
			return -1;
	}
	free(c->last_sdp);
	c->last_sdp = strdup(buf);
	return n;
}

char *sip_url_string(struct rg_sip *s, const url_t *u)
{
	char *t = u ? url_as_string(s->home, u) : NULL;
	char *r = strdup(t ? t : "");
	su_free(s->home, t);
	return r;
}

/* ---- responses to our INVITE ---- */

static const char *reason_of_status(int status)
{
	if (status == 486 || status == 600)
		return "busy";
	if (status == 408 || status == 480)
		return "no_answer";
	if (status == 487)
		return "cancelled";
	if (status == 503)
		return "unavailable";
	return "rejected";
}

static void answered(struct call *c, const sip_t *sip)
{
	struct rg_sdp_av ans;
	char err[256] = "", msg[256] = "";
	const sip_payload_t *pl = sip ? sip->sip_payload : NULL;
	size_t n_prefs;
	const enum rg_codec_id *prefs = sip_call_prefs(c, &n_prefs);
	enum rg_cfg_srtp srtp = c->trunk ? c->trunk->cfg->srtp : RG_CFG_SRTP_OFF;
	int rc = pl ? rg_sdp_av_parse(&ans, pl->pl_data, pl->pl_len, err, sizeof err) : -EINVAL;
	if (!rc)
		rc = rg_sdp_av_choose(&ans, prefs, n_prefs, &c->codec, &c->te);
	if (!rc && srtp == RG_CFG_SRTP_REQUIRED && !ans.has_crypto) {
		rc = -EPROTO;
		snprintf(err, sizeof err, "no SRTP key (a=crypto) though trunk %s requires SRTP", c->trunk->cfg->name);
	}
	c->srtp = !rc && srtp != RG_CFG_SRTP_OFF && ans.has_crypto;
	if (rc) {
		RG_WARN(SIP, "call %s: unusable SDP answer: %s", c->id, pl ? (rc == -ENOENT ? "no codec of ours" : err) : "none");
		nua_bye(c->nh, TAG_END());
		sip_call_end(c, "bad_answer", 200);
		return;
	}
	rc = sip_call_join(c, &ans, msg, sizeof msg);
	if (rc) {
		RG_WARN(SIP, "call %s: cannot join room %s: %s", c->id, c->room_id, msg);
		nua_bye(c->nh, TAG_END());
		sip_call_end(c, "join_failed", 200);
		return;
	}
	sip_call_set_state(c, CS_ANSWERED);
	sip_expiry_refreshed(c, sip, false);
	sip_call_answered(c);
}

void sip_call_on_response(struct call *c, int status, const char *phrase, const sip_t *sip)
{
	(void)phrase;
	if (status < 180)
		return;
	if (c->state == CS_ENDED) { /* answered after we gave up: hang up again */
		if (status < 300 && c->nh)
			nua_bye(c->nh, TAG_END());
		return;
	}
	c->status = status;
	if ((status == 401 || status == 407) && c->trunk && !c->auth_sent) {
		char creds[3 * RG_CFG_SIP_CRED_MAX + 160];
		if (sip_trunk_credentials(c->trunk, sip, creds, sizeof creds)) {
			c->auth_sent = true;
			RG_DEBUG(SIP, "call %s: %d, answering with the credentials of trunk %s", c->id, status,
				 c->trunk->cfg->name);
			nua_authenticate(c->nh, NUTAG_AUTH(creds), TAG_END());
			return;
		}
	}
	if (status == 401 || status == 407) {
		/* nua would hold the INVITE open for credentials: let it go */
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
		c->nh = NULL;
		sip_call_end(c, "auth_failed", status);
		return;
	}
	if (status < 200) {
		bool sdp = sip && sip->sip_payload && sip->sip_payload->pl_len;
		sip_call_set_state(c, status == 183 && sdp ? CS_EARLY : c->state < CS_RINGING ? CS_RINGING : c->state);
		return;
	}
	if (status < 300) {
		if (c->state != CS_ANSWERED)
			answered(c, sip);
		else /* the stack's re-INVITE that refreshed the session */
			sip_expiry_refreshed(c, sip, false);
		return;
	}
	sip_call_end(c, reason_of_status(status), status);
}

void sip_call_on_bye(struct call *c)
{
	sip_call_end(c, "remote_bye", 0);
}

void sip_call_on_terminated(struct call *c)
{
	nua_handle_bind(c->nh, NULL);
	c->nh = NULL;
	sip_call_end(c, "terminated", 0);
}

/* ---- codecs ---- */

const enum rg_codec_id *sip_call_prefs(const struct call *c, size_t *n)
{
	if (c->trunk) {
		*n = c->trunk->n_prefs;
		return c->trunk->prefs;
	}
	*n = c->sip->n_prefs;
	return c->sip->prefs;
}

/* ---- admin API ---- */

cJSON *sip_call_json(struct call *c, bool stats)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", c->id);
	cJSON_AddStringToObject(j, "room_id", c->room_id);
	cJSON_AddStringToObject(j, "direction", c->outbound ? "outbound" : "inbound");
	cJSON_AddStringToObject(j, "state", state_names[c->state]);
	cJSON_AddStringToObject(j, "from", c->from);
	cJSON_AddStringToObject(j, "to", c->to);
	cJSON_AddStringToObject(j, "user_id", c->user_id);
	cJSON_AddStringToObject(j, "user_name", c->user_name);
	if (c->trunk)
		cJSON_AddStringToObject(j, "trunk", c->trunk->cfg->name);
	else
		cJSON_AddNullToObject(j, "trunk");
	if (c->referred_by[0])
		cJSON_AddStringToObject(j, "referred_by", c->referred_by);
	else
		cJSON_AddNullToObject(j, "referred_by");
	if (c->vp_id[0] && !c->in_lobby)
		cJSON_AddStringToObject(j, "stream_id", c->stream_id);
	else
		cJSON_AddNullToObject(j, "stream_id");
	if (c->codec.clock_rate) {
		cJSON *k = cJSON_AddObjectToObject(j, "codec");
		cJSON_AddStringToObject(k, "name", rg_codec_name(c->codec.id));
		cJSON_AddNumberToObject(k, "payload_type", c->codec.pt);
		cJSON_AddNumberToObject(k, "clock_rate", c->codec.clock_rate);
		cJSON_AddBoolToObject(k, "srtp", c->srtp);
	} else {
		cJSON_AddNullToObject(j, "codec");
	}
	if (c->remote[0])
		cJSON_AddStringToObject(j, "remote_media", c->remote);
	else
		cJSON_AddNullToObject(j, "remote_media");
	if (c->status)
		cJSON_AddNumberToObject(j, "status", c->status);
	else
		cJSON_AddNullToObject(j, "status");
	cJSON_AddBoolToObject(j, "held", c->held);
	cJSON_AddBoolToObject(j, "pin_pending", c->in_lobby);
	cJSON_AddNumberToObject(j, "dtmf_received", (double)c->dtmf_received);
	if (c->max_duration_s)
		cJSON_AddNumberToObject(j, "max_duration_s", c->max_duration_s);
	if (c->reason)
		cJSON_AddStringToObject(j, "reason", c->reason);
	else
		cJSON_AddNullToObject(j, "reason");
	cJSON_AddNumberToObject(j, "created_ms", (double)c->created_ms);
	if (c->answered_ms)
		cJSON_AddNumberToObject(j, "answered_ms", (double)c->answered_ms);
	if (c->ended_ms)
		cJSON_AddNumberToObject(j, "ended_ms", (double)c->ended_ms);
	if (stats) {
		cJSON *st = c->vp_id[0] ? rg_vps_ext_stats(c->sip->d.vps, c->vp_id) : NULL;
		cJSON_AddItemToObject(j, "stats", st ? st : cJSON_CreateObject());
	}
	return j;
}

static struct call *find(struct rg_sip *s, const char *room_id, const char *id)
{
	for (struct call *c = s->calls; c; c = c->next)
		if (c->room_id && !strcmp(c->room_id, room_id) && !strcmp(c->id, id))
			return c;
	return NULL;
}

cJSON *rg_sip_call_list(struct rg_sip *s, const char *room_id)
{
	RG_ASSERT_LOOP(s->d.control);
	cJSON *a = cJSON_CreateArray();
	for (struct call *c = s->calls; c; c = c->next)
		if (c->room_id && !strcmp(c->room_id, room_id))
			cJSON_AddItemToArray(a, sip_call_json(c, false));
	return a;
}

cJSON *rg_sip_call_get(struct rg_sip *s, const char *room_id, const char *id)
{
	RG_ASSERT_LOOP(s->d.control);
	struct call *c = find(s, room_id, id);
	return c ? sip_call_json(c, true) : NULL;
}

int rg_sip_call_hangup(struct rg_sip *s, const char *room_id, const char *id, const char *reason)
{
	RG_ASSERT_LOOP(s->d.control);
	struct call *c = find(s, room_id, id);
	if (!c)
		return -RG_E_NOT_FOUND;
	sip_call_hangup(c, reason && *reason ? reason : "hangup");
	return 0;
}

/* ---- life of the gateway ---- */

static int codec_prefs(struct rg_sip *s)
{
	char buf[sizeof s->d.cfg->sip_codecs], *save = NULL;
	strcpy(buf, s->d.cfg->sip_codecs);
	for (char *t = strtok_r(buf, ", ", &save); t && s->n_prefs < 4; t = strtok_r(NULL, ", ", &save)) {
		int id = rg_codec_from_name(t);
		bool dup = false;
		for (size_t i = 0; i < s->n_prefs; i++)
			dup = dup || s->prefs[i] == (enum rg_codec_id)id;
		if (id >= 0 && id != RG_CODEC_L16 && !dup)
			s->prefs[s->n_prefs++] = (enum rg_codec_id)id;
	}
	return s->n_prefs ? 0 : -EINVAL;
}

/* The URL nua listens on for listen ("host:port") under scheme, and the
 * host:port others reach it at (contact): "sip:contact", or with
 * sip.advertised_address "sip:public:port;maddr=bind" (sofia binds maddr
 * and puts the host part into Via and Contact). */
static int listen_url(const struct rg_config *cfg, const char *listen, const char *scheme, char *url, size_t cap,
		      char *contact, size_t ccap)
{
	char host[RG_CFG_ADDR_MAX];
	uint16_t port;
	if (rg_config_split_hostport(listen, host, sizeof host, &port))
		return -EINVAL;
	const char *adv = cfg->sip_advertised;
	const char *chost = *adv ? adv : host;
	snprintf(contact, ccap, strchr(chost, ':') ? "[%s]:%u" : "%s:%u", chost, port);
	if (*adv)
		snprintf(url, cap, strchr(host, ':') ? "%s:%s;maddr=[%s]" : "%s:%s;maddr=%s", scheme, contact, host);
	else
		snprintf(url, cap, "%s:%s", scheme, contact);
	return 0;
}

static void sip_new_fail(struct rg_sip *s)
{
	sip_trunks_free(s);
	rg_sip_rules_free(s->rules);
	if (s->has_refer_re)
		regfree(&s->refer_re);
	free(s);
}

struct rg_sip *rg_sip_new(const struct rg_sip_deps *d, char *err, size_t errlen)
{
	const struct rg_config *cfg = d->cfg;
	struct rg_sip *s = calloc(1, sizeof *s);
	s->d = *d;
	sip_stats_init(s);
	char url[RG_CFG_ADDR_MAX * 2 + 64], sips_url[RG_CFG_ADDR_MAX * 2 + 64];
	s->tls = cfg->sip_tls_listen[0] != '\0';
	if (listen_url(cfg, cfg->sip_listen, "sip", url, sizeof url, s->contact, sizeof s->contact) ||
	    (s->tls && listen_url(cfg, cfg->sip_tls_listen, "sips", sips_url, sizeof sips_url, s->tls_contact,
				  sizeof s->tls_contact)) ||
	    codec_prefs(s)) {
		snprintf(err, errlen, "sip.listen, sip.tls_listen or sip.codecs is not valid");
		free(s);
		return NULL;
	}
	snprintf(s->tls_sip_contact, sizeof s->tls_sip_contact, "<sip:%s;transport=tls>", s->tls_contact);
	if (s->tls && sip_tls_check_dir(cfg->sip_tls_cert_dir, &s->tls_ca, err, errlen)) {
		free(s);
		return NULL;
	}
	s->rules = rg_sip_rules_new(cfg->sip_rules, cfg->n_sip_rules);
	if (!s->rules) {
		snprintf(err, errlen, "sip.dial_in: a rule does not compile");
		free(s);
		return NULL;
	}
	s->refer_follow = cfg->sip_refer_follow;
	if (cfg->sip_refer_allow[0]) {
		if (regcomp(&s->refer_re, cfg->sip_refer_allow, REG_EXTENDED | REG_NOSUB)) {
			snprintf(err, errlen, "sip.refer_allow: not a regular expression");
			sip_new_fail(s);
			return NULL;
		}
		s->has_refer_re = true;
	}
	const char *adv = cfg->sip_advertised;
	snprintf(s->sdp_addr, sizeof s->sdp_addr, "%s",
		 *adv ? adv : *cfg->public_address ? cfg->public_address : cfg->media_address);
	if (sip_trunks_init(s, err, errlen)) {
		sip_new_fail(s);
		return NULL;
	}
	if (sip_ua_start(s, url, s->tls ? sips_url : NULL, err, errlen)) {
		sip_ua_stop(s);
		sip_new_fail(s);
		return NULL;
	}
	RG_INFO(SIP, "SIP listening on %s (UDP and TCP) as %s, media at %s, codecs %s, %u dial-in rules, "
		"%u trunks%s", cfg->sip_listen, s->contact, s->sdp_addr, cfg->sip_codecs, cfg->n_sip_rules,
		s->n_trunks, s->any_inbound ? " (dial-in from trunks only)" : "");
	if (s->tls)
		RG_INFO(SIP, "SIP over TLS listening on %s as sips:%s, certificate %s/agent.pem, %s", cfg->sip_tls_listen,
			s->tls_contact, cfg->sip_tls_cert_dir,
			s->tls_ca ? "peers' certificates verified against cafile.pem (both ways)"
				  : "peers' certificates not verified");
	sip_trunks_start(s);
	return s;
}

void rg_sip_free(struct rg_sip *s)
{
	if (!s)
		return;
	s->closing = true;
	sip_stats_stop(s);
	sip_route_shutdown(s);
	for (struct call *c = s->calls; c; c = c->next)
		sip_call_hangup(c, "shutdown");
	sip_trunks_unregister(s);
	sip_ua_stop(s); /* runs the control loop while nua sends BYEs, CANCELs, un-REGISTERs */
	while (s->calls) {
		s->calls->nh = NULL; /* nua_destroy freed the handles */
		sip_call_free(s->calls);
	}
	sip_trunks_free(s);
	rg_sip_rules_free(s->rules);
	if (s->has_refer_re)
		regfree(&s->refer_re);
	free(s);
}
