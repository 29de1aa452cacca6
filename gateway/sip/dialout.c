/* Dial-out: the admin API's POST .../sip-calls and the calls that
 * transfers place (refer.c). Control loop. docs/sip.md#dial-out.
 *
 * A call placed here owns its RTP sockets from sip_dial on, is listed at
 * once (state calling) and is cancelled when not answered within its ring
 * timeout; the answer (call.c) joins it to its room. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/url.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "room/room.h"
#include "sip/sip_int.h"

static bool ring_timeout(void *arg)
{
	struct call *c = arg;
	c->ring_timer = 0;
	sip_call_hangup(c, "no_answer");
	return false;
}

static const cJSON *field(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int bad(char *msg, size_t msglen, const char *m)
{
	snprintf(msg, msglen, "%s", m);
	return -RG_E_INVALID_FIELD;
}

bool sip_uri_ok(struct rg_sip *s, const char *t, bool *tls)
{
	if ((strncmp(t, "sip:", 4) && strncmp(t, "sips:", 5)) || strlen(t) > 255)
		return false;
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == 0x7f)
			return false;
	url_t *u = url_make(s->home, t);
	bool ok = u && (u->url_type == url_sip || u->url_type == url_sips) && u->url_host && *u->url_host;
	char transport[16] = "";
	if (ok && tls)
		*tls = u->url_type == url_sips ||
		       (url_param(u->url_params, "transport", transport, sizeof transport) > 0 &&
			!strcasecmp(transport, "tls"));
	su_free(s->home, u);
	return ok;
}

/* What the body of a POST asks for. */
struct dial {
	const char *to, *from, *uid, *uname;
	struct trunk *trunk;
	char ruri[RG_CFG_ADDR_MAX + 128]; /* a number through the trunk, as a SIP URI */
	int ring_s;
	unsigned max_s;
	const char *dtmf;
	bool tls; /* to asks for TLS */
};

static bool dtmf_digits_ok(const char *d)
{
	size_t n = strlen(d);
	return n && n <= 64 && strspn(d, "0123456789*#ABCDabcd") == n;
}

/* "to": a sip: URI, or with a trunk also a number or a tel: URI. */
static int parse_to(struct rg_sip *s, const cJSON *t, struct dial *o, char *msg, size_t msglen)
{
	if (!cJSON_IsString(t))
		return bad(msg, msglen, o->trunk ? "field \"to\": a SIP URI, a telephone number or a tel: URI is required"
						 : "field \"to\": a SIP URI \"sip:user@host[:port]\" is required");
	o->to = t->valuestring;
	bool tls = false;
	if (sip_uri_ok(s, o->to, &tls)) {
		if (tls && o->trunk && o->trunk->cfg->transport != RG_CFG_SIP_TLS)
			return bad(msg, msglen, "field \"to\": a sips: URI or ;transport=tls cannot go through a trunk "
						"whose transport is udp or tcp");
		if (tls && !s->tls)
			return bad(msg, msglen, "field \"to\": a sips: URI or ;transport=tls needs SIP over TLS "
						"(sip.tls_listen)");
		o->tls = tls;
		return 0;
	}
	if (!o->trunk)
		return bad(msg, msglen, strncmp(o->to, "tel:", 4) && strncmp(o->to, "sip:", 4) && strncmp(o->to, "sips:", 5)
						? "field \"to\": a SIP URI \"sip:user@host[:port]\" is required "
						  "(a telephone number needs \"trunk\")"
						: "field \"to\": a SIP URI \"sip:user@host[:port]\" is required");
	if (sip_trunk_number_uri(o->trunk, o->to, o->ruri, sizeof o->ruri))
		return bad(msg, msglen, "field \"to\": a SIP URI, a telephone number (digits, a leading +, * and #) "
					"or a tel: URI");
	o->to = o->ruri;
	return 0;
}

static int parse_out(struct rg_sip *s, const cJSON *body, struct dial *o, char *msg, size_t msglen)
{
	static const char *const allowed[] = { "to", "from", "user_id", "user_name", "ring_timeout_s", "trunk",
					       "max_duration_s", "dtmf_after_answer", NULL };
	const cJSON *it;
	cJSON_ArrayForEach(it, body)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || !strcmp(*a, it->string);
		if (!ok) {
			snprintf(msg, msglen, "field \"%.64s\": unknown field", it->string);
			return -RG_E_INVALID_FIELD;
		}
	}
	const cJSON *t = field(body, "to"), *f = field(body, "from"), *u = field(body, "user_id"),
		    *n = field(body, "user_name"), *r = field(body, "ring_timeout_s"), *k = field(body, "trunk");
	if (k && !cJSON_IsNull(k)) {
		o->trunk = cJSON_IsString(k) ? sip_trunk_find(s, k->valuestring) : NULL;
		if (!o->trunk) {
			snprintf(msg, msglen, "field \"trunk\": %s", cJSON_IsString(k) ? "no such trunk in sip.trunks"
											: "must be a trunk's name");
			return -RG_E_INVALID_FIELD;
		}
		if (!o->trunk->cfg->address[0]) {
			snprintf(msg, msglen, "field \"trunk\": trunk %s has no \"address\" to dial out through",
				 o->trunk->cfg->name);
			return -RG_E_INVALID_FIELD;
		}
	}
	int e = parse_to(s, t, o, msg, msglen);
	if (e)
		return e;
	if (f && (!cJSON_IsString(f) || !sip_uri_ok(s, f->valuestring, NULL)))
		return bad(msg, msglen, "field \"from\": a SIP URI \"sip:user@host\"");
	if (u && !cJSON_IsString(u))
		return bad(msg, msglen, "field \"user_id\": must be a string");
	if (n && !cJSON_IsString(n))
		return bad(msg, msglen, "field \"user_name\": must be a string");
	if (r && (!cJSON_IsNumber(r) || r->valuedouble < 1 || r->valuedouble > 600 ||
		  r->valuedouble != (double)r->valueint))
		return bad(msg, msglen, "field \"ring_timeout_s\": an integer from 1 to 600");
	const cJSON *md = field(body, "max_duration_s"), *da = field(body, "dtmf_after_answer");
	if (md && (!cJSON_IsNumber(md) || md->valuedouble < 1 || md->valuedouble > 86400 ||
		   md->valuedouble != (double)md->valueint))
		return bad(msg, msglen, "field \"max_duration_s\": an integer from 1 to 86400");
	if (da && (!cJSON_IsString(da) || !dtmf_digits_ok(da->valuestring)))
		return bad(msg, msglen, "field \"dtmf_after_answer\": 1 to 64 of 0-9 * # A-D");
	o->max_s = md ? (unsigned)md->valueint : 0;
	o->dtmf = da ? da->valuestring : NULL;
	o->from = f ? f->valuestring : NULL;
	o->uid = u ? u->valuestring : NULL;
	o->uname = n ? n->valuestring : NULL;
	o->ring_s = r ? r->valueint : 60;
	return 0;
}

int sip_dial(struct rg_sip *s, const struct sip_dial *o, struct call **out, char *msg, size_t msglen)
{
	int e;
	if (s->closing) {
		snprintf(msg, msglen, "the server is stopping");
		return -RG_E_UNAVAILABLE;
	}
	if (o->trunk && o->trunk->cfg->max_calls && sip_trunk_active_calls(o->trunk) >= o->trunk->cfg->max_calls) {
		snprintf(msg, msglen, "trunk %s has its max_calls (%u) calls", o->trunk->cfg->name, o->trunk->cfg->max_calls);
		return -RG_E_UNAVAILABLE;
	}
	struct call *c = sip_call_new(s, true);
	char def_uid[CALL_ID_LEN + 8], def_from[RG_CFG_ADDR_MAX + 3 * RG_CFG_SIP_CRED_MAX];
	snprintf(def_uid, sizeof def_uid, "sip_%s", c->id);
	if (o->trunk)
		sip_trunk_from(o->trunk, def_from, sizeof def_from);
	else if (o->tls)
		snprintf(def_from, sizeof def_from, "sips:roomgate@%s", s->tls_contact);
	else
		snprintf(def_from, sizeof def_from, "sip:roomgate@%s", s->contact);
	c->trunk = o->trunk;
	c->room_id = strdup(o->room_id);
	c->max_duration_s = o->max_s;
	c->dtmf_after = o->dtmf ? strdup(o->dtmf) : NULL;
	c->to = strdup(o->to);
	c->from = strdup(o->from ? o->from : def_from);
	c->user_id = strdup(o->uid ? o->uid : def_uid);
	if (o->referred_by)
		snprintf(c->referred_by, sizeof c->referred_by, "%s", o->referred_by);
	url_t *tu = url_make(s->home, o->to);
	c->user_name = strdup(o->uname ? o->uname : tu && tu->url_user ? tu->url_user : o->to);
	su_free(s->home, tu);
	if ((e = rg_validate_user_id(c->user_id)) || (e = rg_validate_user_name(c->user_name))) {
		snprintf(msg, msglen, "field \"%s\": %s", rg_validate_user_id(c->user_id) ? "user_id" : "user_name",
			 rg_error_info(e)->message);
		goto fail;
	}
	if (sip_call_bind(c, false)) {
		e = -RG_E_UNAVAILABLE;
		snprintf(msg, msglen, "no free RTP port in media.rtp_ports");
		goto fail;
	}
	char offer[2048];
	if (sip_call_sdp(c, NULL, RG_SDP_SENDRECV, offer, sizeof offer) < 0) {
		e = -RG_E_INTERNAL;
		snprintf(msg, msglen, "offer too long");
		goto fail;
	}
	/* in angle brackets: the URI's parameters (;transport=tls) belong to
	 * the URI, so that they reach the request-URI, not the To header */
	char to_hdr[RG_CFG_ADDR_MAX + 400];
	snprintf(to_hdr, sizeof to_hdr, "<%s>", c->to);
	c->nh = nua_handle(s->nua, c, SIPTAG_TO_STR(to_hdr), SIPTAG_FROM_STR(c->from),
			   TAG_IF(s->refer_follow, SIPTAG_ALLOW_STR(SIP_ALLOW_REFER)), TAG_END());
	if (!c->nh) {
		e = -RG_E_INTERNAL;
		snprintf(msg, msglen, "cannot create a SIP dialog");
		goto fail;
	}
	char route[RG_CFG_ADDR_MAX + 32] = "";
	if (c->trunk && o->route) /* a SIP URI through the trunk: pre-loaded route */
		sip_trunk_route(c->trunk, route, sizeof route);
	nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer),
		   TAG_IF(route[0], SIPTAG_ROUTE_STR(route)), TAG_END());
	c->ring_timer = rg_timer_add(s->d.control, (unsigned)o->ring_s * 1000u, ring_timeout, c);
	RG_INFO(SIP, "call %s (out, room %s): calling %s%s%s%s%s", c->id, c->room_id, c->to,
		c->trunk ? " through trunk " : "", c->trunk ? c->trunk->cfg->name : "",
		c->referred_by[0] ? ", transferred by call " : "", c->referred_by);
	sip_call_emit(c); /* calling */
	*out = c;
	return 0;
fail:
	sip_call_free(c);
	return e;
}

int rg_sip_call_create(struct rg_sip *s, const char *room_id, const cJSON *body, cJSON **out,
		       char *msg, size_t msglen)
{
	RG_ASSERT_LOOP(s->d.control);
	struct dial o;
	memset(&o, 0, sizeof o);
	int e = rg_validate_room_id(room_id);
	if (e) {
		snprintf(msg, msglen, "%s", rg_error_info(e)->message);
		return e;
	}
	if ((e = parse_out(s, body, &o, msg, msglen)))
		return e;
	struct sip_dial d = { .room_id = room_id, .to = o.to, .from = o.from, .uid = o.uid, .uname = o.uname,
			      .trunk = o.trunk, .route = o.trunk && o.to != o.ruri, .tls = o.tls, .ring_s = o.ring_s,
			      .max_s = o.max_s, .dtmf = o.dtmf };
	struct call *c;
	if ((e = sip_dial(s, &d, &c, msg, msglen)))
		return e;
	*out = sip_call_json(c, false);
	return 0;
}
