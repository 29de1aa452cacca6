/* Admin routes of virtual participants (control loop):
 *   /v1/rooms/{room}/mixes[/{id}]          POST, GET, DELETE
 *   /v1/rooms/{room}/rtp-endpoints[/{id}]  POST, GET, DELETE
 *   /v1/rooms/{room}/recordings[/{id}]     POST, GET, DELETE
 *   /v1/rooms/{room}/sip-calls[/{id}]      POST, GET, DELETE (sip/)
 *   /v1/rooms/{room}/sip-calls/{id}/dtmf   POST
 *   /v1/sip/trunks, /v1/sip/registrations  GET (sip/) */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/errors.h"
#include "sip/sip.h"
#include "vp/vp.h"

static cJSON *listed(const char *key, cJSON *list)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(list));
	cJSON_AddItemToObject(o, key, list);
	return o;
}

/* POST of a collection: the JSON body to create(), 201 with what it made. */
typedef int (*create_fn)(void *owner, int kind, const char *room, const cJSON *body, cJSON **out,
			 char *msg, size_t msglen);

static void post_create(struct api_req *r, create_fn create, void *owner, int kind)
{
	cJSON *body = api_body_json(r, true);
	if (!body)
		return;
	cJSON *out = NULL;
	char msg[512] = "";
	int e = create(owner, kind, r->segs[1], body, &out, msg, sizeof msg);
	cJSON_Delete(body);
	if (e)
		return api_reply_error(r, e, msg);
	api_reply_json(r, 201, out);
}

static int vp_create(void *owner, int kind, const char *room, const cJSON *body, cJSON **out,
		     char *msg, size_t msglen)
{
	return rg_vps_create(owner, (enum rg_vp_kind)kind, room, body, out, msg, msglen);
}

static int sip_create(void *owner, int kind, const char *room, const cJSON *body, cJSON **out,
		      char *msg, size_t msglen)
{
	(void)kind;
	return rg_sip_call_create(owner, room, body, out, msg, msglen);
}

static void collection(struct api_req *r, enum rg_vp_kind kind, const char *key)
{
	struct rg_vps *v = r->api->d.vps;
	const char *room = r->segs[1];
	if (api_method_is(r, "GET")) {
		cJSON *l = kind == RG_VP_REC ? rg_vps_rec_list(v, room) : rg_vps_list(v, kind, room);
		if (!l)
			return api_reply_error(r, -RG_E_ROOM_NOT_FOUND, NULL);
		return api_reply_json(r, 200, listed(key, l));
	}
	if (!api_method_is(r, "POST"))
		return api_not_allowed(r, "GET, POST");
	post_create(r, vp_create, v, kind);
}

static void item(struct api_req *r, enum rg_vp_kind kind, const char *what)
{
	struct rg_vps *v = r->api->d.vps;
	const char *room = r->segs[1], *id = r->segs[3];
	char msg[128];
	snprintf(msg, sizeof msg, "no %s %.40s in room %.60s", what, id, room);
	if (api_method_is(r, "GET")) {
		cJSON *o = kind == RG_VP_REC ? rg_vps_rec_get(v, room, id) : rg_vps_get(v, kind, room, id);
		if (!o)
			return api_reply_error(r, -RG_E_NOT_FOUND, msg);
		return api_reply_json(r, 200, o);
	}
	if (!api_method_is(r, "DELETE"))
		return api_not_allowed(r, "GET, DELETE");
	char reason[1100];
	if (!api_reason_of(r, reason, sizeof reason))
		return;
	if (rg_vps_delete(v, kind, room, id, reason) != 0 && kind != RG_VP_REC)
		return api_reply_error(r, -RG_E_NOT_FOUND, msg);
	if (kind == RG_VP_REC) { /* stopping, or stopped already: its state */
		cJSON *o = rg_vps_rec_get(v, room, id);
		if (!o)
			return api_reply_error(r, -RG_E_NOT_FOUND, msg);
		return api_reply_json(r, 200, o);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddBoolToObject(o, "deleted", 1);
	api_reply_json(r, 200, o);
}

/* SIP calls: GET lists a room's calls (an empty list for a room without
 * any, as calls may end before or without a room existing). */
static void sip_calls(struct api_req *r)
{
	struct rg_sip *s = r->api->d.sip;
	const char *room = r->segs[1];
	if (!s)
		return api_reply_error(r, -RG_E_UNAVAILABLE, "SIP is off: set sip.listen (ROOMGATE_SIP_LISTEN)");
	if (api_method_is(r, "GET"))
		return api_reply_json(r, 200, listed("sip_calls", rg_sip_call_list(s, room)));
	if (!api_method_is(r, "POST"))
		return api_not_allowed(r, "GET, POST");
	post_create(r, sip_create, s, 0);
}

static void sip_call(struct api_req *r)
{
	struct rg_sip *s = r->api->d.sip;
	const char *room = r->segs[1], *id = r->segs[3];
	if (!s)
		return api_reply_error(r, -RG_E_UNAVAILABLE, "SIP is off: set sip.listen (ROOMGATE_SIP_LISTEN)");
	char msg[128];
	snprintf(msg, sizeof msg, "no SIP call %.40s in room %.60s", id, room);
	if (api_method_is(r, "GET")) {
		cJSON *o = rg_sip_call_get(s, room, id);
		return o ? api_reply_json(r, 200, o) : api_reply_error(r, -RG_E_NOT_FOUND, msg);
	}
	if (!api_method_is(r, "DELETE"))
		return api_not_allowed(r, "GET, DELETE");
	char reason[1100];
	if (!api_reason_of(r, reason, sizeof reason))
		return;
	if (rg_sip_call_hangup(s, room, id, reason) != 0)
		return api_reply_error(r, -RG_E_NOT_FOUND, msg);
	api_reply_json(r, 200, rg_sip_call_get(s, room, id));
}

/* Trunks and their registrations: read-only views. */
static void sip_view(struct api_req *r, bool regs)
{
	struct rg_sip *s = r->api->d.sip;
	if (!s)
		return api_reply_error(r, -RG_E_UNAVAILABLE, "SIP is off: set sip.listen (ROOMGATE_SIP_LISTEN)");
	if (!api_method_is(r, "GET"))
		return api_not_allowed(r, "GET");
	if (regs)
		return api_reply_json(r, 200, listed("registrations", rg_sip_registrations_json(s)));
	api_reply_json(r, 200, listed("trunks", rg_sip_trunks_json(s)));
}

static void sip_dtmf(struct api_req *r)
{
	struct rg_sip *s = r->api->d.sip;
	if (!s)
		return api_reply_error(r, -RG_E_UNAVAILABLE, "SIP is off: set sip.listen (ROOMGATE_SIP_LISTEN)");
	if (!api_method_is(r, "POST"))
		return api_not_allowed(r, "POST");
	cJSON *body = api_body_json(r, true);
	if (!body)
		return;
	char msg[256] = "";
	int e = rg_sip_call_dtmf(s, r->segs[1], r->segs[3], body, msg, sizeof msg);
	cJSON_Delete(body);
	if (e)
		return api_reply_error(r, e, msg);
	api_reply_json(r, 200, rg_sip_call_get(s, r->segs[1], r->segs[3]));
}

void api_vp_route(struct api_req *r)
{
	switch (r->route) {
	case R_ROOM_MIXES: collection(r, RG_VP_MIX, "mixes"); break;
	case R_ROOM_MIX: item(r, RG_VP_MIX, "mix"); break;
	case R_ROOM_RTPS: collection(r, RG_VP_RTP, "rtp_endpoints"); break;
	case R_ROOM_RTP: item(r, RG_VP_RTP, "RTP endpoint"); break;
	case R_ROOM_RECS: collection(r, RG_VP_REC, "recordings"); break;
	case R_ROOM_REC: item(r, RG_VP_REC, "recording"); break;
	case R_ROOM_SIP_CALLS: sip_calls(r); break;
	case R_ROOM_SIP_CALL: sip_call(r); break;
	case R_SIP_TRUNKS: sip_view(r, false); break;
	case R_SIP_REGS: sip_view(r, true); break;
	case R_ROOM_SIP_DTMF: sip_dtmf(r); break;
	default: api_reply_error(r, -RG_E_NOT_FOUND, "no such route"); break;
	}
}
