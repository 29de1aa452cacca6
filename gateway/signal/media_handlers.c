/* Client requests and events of the WebRTC media plane (docs/protocol.md,
 * "Media"): publish_offer, play, stop_play, candidate; the answers,
 * local candidates and leg states coming back from the media workers.
 * Control loop. Legs are owned by sessions and closed with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/log.h"
#include "signal/signal_int.h"


static char *req_id_json(const struct rg_request *req)
{
	return req->id ? cJSON_PrintUnformatted(req->id) : NULL;
}

static void open_leg(struct client *c, struct rg_request *req, const char *stream_id, enum rg_leg_dir dir)
{
	struct session *s = c->session;
	struct rg_user *u = session_user(s);
	struct rg_room *room = rg_user_room(u);
	char leg_id[RG_LEG_ID_LEN + 1];
	char *rid = req_id_json(req);
	struct rg_media_open_params p = {
		.worker = rg_room_worker(room),
		.owner = session_id(s),
		.room_id = rg_room_id(room),
		.user_id = rg_user_id(u),
		.stream_id = stream_id,
		.dir = dir,
		.sdp = req->u.media.sdp,
		.req = rid ? rid : "null",
	};
	rg_media_open(c->sig->media, &p, leg_id);
	free(rid);
	session_leg_add(s, leg_id, stream_id, dir == RG_LEG_RECV);
}

static void handle_publish_offer(struct client *c, struct rg_request *req)
{
	struct rg_stream *st = rg_registry_find_stream(c->sig->reg, req->u.media.stream_id);
	if (!st || rg_stream_user(st) != session_user(c->session)) {
		client_reply_error(c, req, -RG_E_NOT_PUBLISHED, "field \"stream_id\": this session has not published it (send publish first)");
		return;
	}
	/* a new offer for the stream replaces the previous publish leg */
	session_legs_close(c->session, req->u.media.stream_id, 1);
	open_leg(c, req, req->u.media.stream_id, RG_LEG_RECV);
}

static void handle_play(struct client *c, struct rg_request *req)
{
	struct rg_stream *st = rg_registry_find_stream(c->sig->reg, req->u.media.stream_id);
	if (!st || rg_stream_room(st) != rg_user_room(session_user(c->session))) {
		client_reply_error(c, req, -RG_E_STREAM_NOT_FOUND, "field \"stream_id\": no such stream in this room");
		return;
	}
	session_legs_close(c->session, req->u.media.stream_id, 0);
	open_leg(c, req, req->u.media.stream_id, RG_LEG_SEND);
}

static void handle_stop_play(struct client *c, struct rg_request *req)
{
	session_legs_close(c->session, req->u.media.stream_id, 0);
	client_send(c, rg_proto_response_ok(req->id, NULL));
}

static void handle_candidate(struct client *c, struct rg_request *req)
{
	if (!rg_media_owns(c->sig->media, session_id(c->session), req->u.media.leg_id)) {
		client_reply_error(c, req, -RG_E_LEG_NOT_FOUND, "field \"leg_id\": no such leg in this session");
		return;
	}
	rg_media_candidate(c->sig->media, req->u.media.leg_id, req->u.media.candidate);
	if (req->id)
		client_send(c, rg_proto_response_ok(req->id, NULL));
}

void handle_media_request(struct client *c, struct rg_request *req)
{
	if (!c->sig->media) {
		client_reply_error(c, req, -RG_E_UNAVAILABLE, "this server has no media plane");
		return;
	}
	switch (req->type) {
	case RG_REQ_PUBLISH_OFFER: handle_publish_offer(c, req); return;
	case RG_REQ_PLAY: handle_play(c, req); return;
	case RG_REQ_STOP_PLAY: handle_stop_play(c, req); return;
	case RG_REQ_CANDIDATE: handle_candidate(c, req); return;
	default: client_reply_error(c, req, -RG_E_BAD_REQUEST, NULL); return;
	}
}

/* ---- from the media workers ---- */

static void on_answer(void *ctx, const char *owner, const char *leg_id, const char *req, int err,
		      const char *msg, const char *sdp)
{
	struct session *s = session_find(ctx, owner);
	if (!s)
		return;
	cJSON *id = cJSON_Parse(req);
	struct client *c = session_client(s);
	if (err) {
		RG_INFO(MEDIA, "session %.8s: offer refused: %s", owner, msg);
		struct rg_signal *sig = ctx;
		session_leg_remove(s, leg_id);
		rg_media_close(sig->media, leg_id);
		char m[300];
		snprintf(m, sizeof m, "field \"sdp\": %s", msg);
		if (c)
			client_send(c, rg_proto_response_error(id, -RG_E_BAD_SDP, m));
	} else if (c) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "leg_id", leg_id);
		cJSON_AddStringToObject(d, "sdp", sdp);
		client_send(c, rg_proto_response_ok(id, d));
	}
	cJSON_Delete(id);
}

static void on_candidate(void *ctx, const char *owner, const char *leg_id, const char *cand)
{
	struct session *s = session_find(ctx, owner);
	if (!s)
		return;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "leg_id", leg_id);
	cJSON_AddStringToObject(d, "candidate", cand);
	cJSON_AddStringToObject(d, "sdp_mid", "0");
	session_emit(s, "candidate", d);
}

static void on_state(void *ctx, const char *owner, const char *leg_id, const char *stream_id,
		     enum rg_leg_state state, const char *why)
{
	struct rg_signal *sig = ctx;
	struct session *s = session_find(sig, owner);
	if (!s)
		return;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "leg_id", leg_id);
	cJSON_AddStringToObject(d, "stream_id", stream_id);
	cJSON_AddStringToObject(d, "state", state == RG_LEG_CONNECTED ? "connected"
				: state == RG_LEG_FAILED ? "failed"
				: state == RG_LEG_CLOSED ? "closed" : "connecting");
	cJSON_AddNumberToObject(d, "code", state == RG_LEG_FAILED ? 1103028 : 0);
	cJSON_AddStringToObject(d, "reason", why);
	session_emit(s, "leg_state", d);
	if (state == RG_LEG_FAILED || state == RG_LEG_CLOSED) {
		RG_INFO(MEDIA, "session %.8s: leg %s of %s %s (%s)", owner, leg_id, stream_id,
			rg_leg_state_name(state), why);
		session_leg_remove(s, leg_id);
		rg_media_close(sig->media, leg_id);
	}
}

static const struct rg_media_events media_events = { .answer = on_answer, .candidate = on_candidate, .state = on_state };

const struct rg_media_events *rg_signal_media_events(void)
{
	return &media_events;
}

void rg_signal_set_media(struct rg_signal *sig, struct rg_media *media)
{
	sig->media = media;
}
