/* Admin REST routes under /v1 (docs/admin-api.md, docs/openapi.yaml).
 * Runs on the control loop; the request was authenticated on MHD's thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "api/api_int.h"
#include "auth/token04.h"
#include "core/config.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/util.h"
#include "media/media.h"
#include "room/room.h"

#define REASON_MAX 1024

bool api_method_is(const struct api_req *r, const char *m)
{
	return !strcmp(r->method, m);
}

void api_not_allowed(struct api_req *r, const char *allow)
{
	char msg[128];
	snprintf(msg, sizeof msg, "%s is not allowed here (allowed: %s)", r->method, allow);
	r->allow = allow;
	api_reply_error(r, -RG_E_METHOD, msg);
}

/* Parses the JSON body; an empty body gives an empty object when allowed. */
cJSON *api_body_json(struct api_req *r, bool required)
{
	if (r->body_len == 0) {
		if (!required)
			return cJSON_CreateObject();
		api_reply_error(r, -RG_E_BAD_JSON, "a JSON object body is required");
		return NULL;
	}
	const char *after = r->content_type + 16;
	if (strncasecmp(r->content_type, "application/json", 16) != 0 ||
	    (*after && *after != ';' && *after != ' ')) {
		api_reply_error(r, -RG_E_MEDIA_TYPE, NULL);
		return NULL;
	}
	cJSON *o = cJSON_ParseWithLength(r->body, r->body_len);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		api_reply_error(r, -RG_E_BAD_JSON, "body must be a JSON object");
		return NULL;
	}
	return o;
}

static bool only_fields(struct api_req *r, const cJSON *o, const char *const *allowed)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || !strcmp(*a, it->string);
		if (!ok) {
			char msg[320];
			snprintf(msg, sizeof msg, "field \"%.256s\": unknown field", it->string);
			api_reply_error(r, -RG_E_INVALID_FIELD, msg);
			return false;
		}
	}
	return true;
}

/* The optional {"reason": ".."} of DELETE requests; false when replied. */
bool api_reason_of(struct api_req *r, char *out, size_t outlen)
{
	static const char *const allowed[] = { "reason", NULL };
	out[0] = '\0';
	cJSON *o = api_body_json(r, false);
	if (!o)
		return false;
	bool ok = only_fields(r, o, allowed);
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (ok && reason && !cJSON_IsNull(reason)) {
		if (!cJSON_IsString(reason) || strlen(reason->valuestring) > REASON_MAX) {
			api_reply_error(r, -RG_E_INVALID_FIELD, "field \"reason\": must be a string of at most 1024 bytes");
			ok = false;
		} else {
			snprintf(out, outlen, "%s", reason->valuestring);
		}
	}
	cJSON_Delete(o);
	return ok;
}

static struct rg_room *room_or_404(struct api_req *r)
{
	struct rg_room *room = rg_registry_find(r->api->d.reg, r->segs[1]);
	if (!room)
		api_reply_error(r, -RG_E_ROOM_NOT_FOUND, NULL);
	return room;
}

static cJSON *wrap(const char *key, cJSON *list)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(list));
	cJSON_AddItemToObject(o, key, list);
	return o;
}

static void rooms_route(struct api_req *r)
{
	if (!api_method_is(r, "GET"))
		return api_not_allowed(r, "GET");
	api_reply_json(r, 200, wrap("rooms", rg_registry_rooms_json(r->api->d.reg)));
}

static void room_route(struct api_req *r)
{
	bool get = api_method_is(r, "GET"), del = api_method_is(r, "DELETE");
	if (!get && !del)
		return api_not_allowed(r, "GET, DELETE");
	char reason[REASON_MAX + 1];
	if (del && !api_reason_of(r, reason, sizeof reason))
		return;
	struct rg_room *room = room_or_404(r);
	if (!room)
		return;
	if (get)
		return api_reply_json(r, 200, rg_room_to_json(room, true));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", rg_room_id(room));
	cJSON_AddNumberToObject(o, "users_kicked", rg_room_user_count(room));
	RG_INFO(API, "room %s closed by the admin API", rg_room_id(room));
	rg_room_close(room, reason);
	api_reply_json(r, 200, o);
}

static void users_route(struct api_req *r)
{
	if (!api_method_is(r, "GET"))
		return api_not_allowed(r, "GET");
	struct rg_room *room = room_or_404(r);
	if (room)
		api_reply_json(r, 200, wrap("users", rg_room_users_json(room)));
}

static void user_route(struct api_req *r)
{
	bool get = api_method_is(r, "GET"), del = api_method_is(r, "DELETE");
	if (!get && !del)
		return api_not_allowed(r, "GET, DELETE");
	char reason[REASON_MAX + 1];
	if (del && !api_reason_of(r, reason, sizeof reason))
		return;
	struct rg_room *room = room_or_404(r);
	if (!room)
		return;
	struct rg_user *u = rg_room_find_user(room, r->segs[3]);
	if (!u)
		return api_reply_error(r, -RG_E_USER_NOT_FOUND, NULL);
	if (get) {
		cJSON *j = rg_user_to_json(u);
		if (r->api->d.media)
			cJSON_AddItemToObject(j, "legs", rg_media_user_legs_json(r->api->d.media, rg_room_id(room),
										 rg_user_id(u)));
		return api_reply_json(r, 200, j);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", rg_room_id(room));
	cJSON_AddStringToObject(o, "user_id", rg_user_id(u));
	RG_INFO(API, "room %s: user %s kicked by the admin API", rg_room_id(room), rg_user_id(u));
	rg_room_kick(u, reason);
	api_reply_json(r, 200, o);
}

static void streams_route(struct api_req *r)
{
	if (!api_method_is(r, "GET"))
		return api_not_allowed(r, "GET");
	struct rg_room *room = room_or_404(r);
	if (room)
		api_reply_json(r, 200, wrap("streams", rg_room_streams_json(room)));
}

static void stream_route(struct api_req *r)
{
	bool get = api_method_is(r, "GET"), del = api_method_is(r, "DELETE");
	if (!get && !del)
		return api_not_allowed(r, "GET, DELETE");
	char reason[REASON_MAX + 1];
	if (del && !api_reason_of(r, reason, sizeof reason))
		return;
	struct rg_room *room = room_or_404(r);
	if (!room)
		return;
	struct rg_stream *s = rg_registry_find_stream(r->api->d.reg, r->segs[3]);
	if (!s || rg_stream_room(s) != room)
		return api_reply_error(r, -RG_E_STREAM_NOT_FOUND, NULL);
	if (get) {
		cJSON *j = rg_stream_to_json(s);
		if (r->api->d.media)
			cJSON_AddItemToObject(j, "legs", rg_media_stream_legs_json(r->api->d.media, r->segs[3]));
		return api_reply_json(r, 200, j);
	}
	cJSON *o = rg_stream_to_json(s);
	RG_INFO(API, "room %s: stream %s removed by the admin API", rg_room_id(room), r->segs[3]);
	rg_stream_remove(s, RG_STREAM_REMOVED, reason);
	api_reply_json(r, 200, o);
}

/* ---- POST /v1/tokens ---- */

struct token_req {
	const char *user_id;
	const char *room_id;
	double ttl_s;
	bool can_login, can_publish;
	const char *stream_ids[64];
	size_t n_streams;
};

static int token_field_error(struct api_req *r, int err, const char *field, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof msg, "field \"%s\": %s", field, what);
	api_reply_error(r, err, msg);
	return -1;
}

static int token_bool(struct api_req *r, const cJSON *o, const char *key, bool *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!it || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsBool(it))
		return token_field_error(r, -RG_E_INVALID_FIELD, key, "must be true or false");
	*out = cJSON_IsTrue(it);
	return 0;
}

static int token_streams(struct api_req *r, const cJSON *o, struct token_req *t)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "stream_ids");
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > 64)
		return token_field_error(r, -RG_E_INVALID_FIELD, "stream_ids", "must be an array of at most 64 stream IDs");
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsString(it) || rg_validate_stream_id(it->valuestring))
			return token_field_error(r, -RG_E_INVALID_FIELD, "stream_ids",
						 "every item must be a valid stream ID ([0-9A-Za-z_-], 1..256 bytes)");
		t->stream_ids[t->n_streams++] = it->valuestring;
	}
	return 0;
}

static int token_parse(struct api_req *r, const cJSON *o, struct token_req *t)
{
	static const char *const allowed[] = { "user_id", "room_id", "ttl_s", "can_login",
					       "can_publish", "stream_ids", NULL };
	if (!only_fields(r, o, allowed))
		return -1;
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "user_id");
	if (!cJSON_IsString(uid))
		return token_field_error(r, -RG_E_INVALID_FIELD, "user_id", "is required and must be a string");
	int rc = rg_validate_user_id(uid->valuestring);
	if (rc)
		return token_field_error(r, rc, "user_id", rg_error_info(rc)->message);
	t->user_id = uid->valuestring;
	const cJSON *room = cJSON_GetObjectItemCaseSensitive(o, "room_id");
	if (room && !cJSON_IsNull(room)) {
		if (!cJSON_IsString(room))
			return token_field_error(r, -RG_E_INVALID_FIELD, "room_id", "must be a string");
		if ((rc = rg_validate_room_id(room->valuestring)))
			return token_field_error(r, rc, "room_id", rg_error_info(rc)->message);
		t->room_id = room->valuestring;
	}
	const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(o, "ttl_s");
	if (cJSON_IsNull(ttl))
		ttl = NULL;
	if (ttl && (!cJSON_IsNumber(ttl) || ttl->valuedouble < 1 || ttl->valuedouble > 2592000 ||
		    ttl->valuedouble != (double)(int64_t)ttl->valuedouble))
		return token_field_error(r, -RG_E_INVALID_FIELD, "ttl_s", "must be an integer from 1 to 2592000");
	t->ttl_s = ttl ? ttl->valuedouble : 3600;
	if (token_bool(r, o, "can_login", &t->can_login) || token_bool(r, o, "can_publish", &t->can_publish))
		return -1;
	return token_streams(r, o, t);
}

/* Shared with /dev/token: makes a token for the configured app. */
static char *make_token(const struct rg_config *cfg, const struct token_req *t, int64_t *expire)
{
	char *payload = NULL;
	bool restricted = t->room_id || !t->can_login || !t->can_publish || t->n_streams;
	if (restricted) {
		payload = token04_payload_build(t->room_id ? t->room_id : "", t->can_login, t->can_publish,
						t->stream_ids, t->n_streams);
		if (!payload)
			return NULL;
	}
	int32_t nonce;
	rg_random_bytes(&nonce, sizeof nonce);
	struct token04_params p = {
		.app_id = cfg->app_id,
		.user_id = t->user_id,
		.secret = cfg->server_secret,
		.ctime = rg_now_s(),
		.ttl_s = (int64_t)t->ttl_s,
		.nonce = nonce,
		.mode = TOKEN04_MODE_GCM,
		.payload = payload,
	};
	char *out = malloc(TOKEN04_MAX_LEN);
	if (out && token04_generate(out, TOKEN04_MAX_LEN, &p) != TOKEN04_OK) {
		free(out);
		out = NULL;
	}
	free(payload);
	*expire = p.ctime + p.ttl_s;
	return out;
}

static void tokens_route(struct api_req *r)
{
	if (!api_method_is(r, "POST"))
		return api_not_allowed(r, "POST");
	cJSON *o = api_body_json(r, true);
	if (!o)
		return;
	struct token_req t = { .can_login = true, .can_publish = true };
	if (token_parse(r, o, &t) == 0) {
		int64_t expire;
		char *tok = make_token(r->api->d.cfg, &t, &expire);
		if (!tok) {
			api_reply_error(r, -RG_E_INTERNAL, "token generation failed");
		} else {
			cJSON *res = cJSON_CreateObject();
			cJSON_AddStringToObject(res, "token", tok);
			cJSON_AddNumberToObject(res, "expire", (double)expire);
			free(tok);
			api_reply_json(r, 200, res);
		}
	}
	cJSON_Delete(o);
}

void api_admin_handle(struct api_req *r)
{
	switch (r->route) {
	case R_ROOMS: rooms_route(r); break;
	case R_ROOM: room_route(r); break;
	case R_ROOM_USERS: users_route(r); break;
	case R_ROOM_USER: user_route(r); break;
	case R_ROOM_STREAMS: streams_route(r); break;
	case R_ROOM_STREAM: stream_route(r); break;
	case R_TOKENS: tokens_route(r); break;
	case R_ROOM_MIXES:
	case R_ROOM_MIX:
	case R_ROOM_RTPS:
	case R_ROOM_RTP:
	case R_ROOM_RECS:
	case R_ROOM_REC:
	case R_ROOM_SIP_CALLS:
	case R_ROOM_SIP_CALL:
	case R_SIP_TRUNKS:
	case R_SIP_REGS:
	case R_ROOM_SIP_DTMF: api_vp_route(r); break;
	default: api_reply_error(r, -RG_E_NOT_FOUND, "no such route"); break;
	}
}

/* ---- GET /dev/token (MHD's thread; pure) ---- */

/* A loopback peer that forwards for someone else (a reverse proxy on the
 * same host) does not count as a local client. */
static bool loopback_client(struct api_req *r)
{
	if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For") ||
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Forwarded") ||
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Real-IP"))
		return false;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return false;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

void api_dev_token_handle(struct api_req *r)
{
	const struct rg_config *cfg = r->api->d.cfg;
	if (!cfg->dev_token_endpoint || !loopback_client(r))
		return api_reply_error(r, -RG_E_NOT_FOUND, "the development token endpoint is disabled");
	if (!api_method_is(r, "GET"))
		return api_not_allowed(r, "GET");
	struct token_req t = { .can_login = true, .can_publish = true, .ttl_s = cfg->dev_token_ttl_s };
	t.user_id = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "user_id");
	t.room_id = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "room_id");
	int rc = rg_validate_user_id(t.user_id);
	if (rc)
		return (void)token_field_error(r, rc, "user_id", rg_error_info(rc)->message);
	if (t.room_id && *t.room_id && (rc = rg_validate_room_id(t.room_id)))
		return (void)token_field_error(r, rc, "room_id", rg_error_info(rc)->message);
	if (t.room_id && !*t.room_id)
		t.room_id = NULL;
	int64_t expire;
	char *tok = make_token(cfg, &t, &expire);
	if (!tok)
		return api_reply_error(r, -RG_E_INTERNAL, "token generation failed");
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "token", tok);
	cJSON_AddNumberToObject(res, "expire", (double)expire);
	cJSON_AddNumberToObject(res, "app_id", cfg->app_id);
	free(tok);
	api_reply_json(r, 200, res);
}
