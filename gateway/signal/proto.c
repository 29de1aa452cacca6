#include "signal/proto.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"

struct type_entry {
	const char *name;
	enum rg_req_type type;
};

static const struct type_entry types[] = {
	{ "login", RG_REQ_LOGIN },
	{ "logout", RG_REQ_LOGOUT },
	{ "heartbeat", RG_REQ_HEARTBEAT },
	{ "publish", RG_REQ_PUBLISH },
	{ "stop_publish", RG_REQ_STOP_PUBLISH },
	{ "renew_token", RG_REQ_RENEW_TOKEN },
	{ "resume", RG_REQ_RESUME },
	{ "publish_offer", RG_REQ_PUBLISH_OFFER },
	{ "play", RG_REQ_PLAY },
	{ "stop_play", RG_REQ_STOP_PLAY },
	{ "candidate", RG_REQ_CANDIDATE },
};

#define SDP_MAX_BYTES 65536

static int field_error(char *err, size_t errlen, int code, const char *field, const char *what)
{
	snprintf(err, errlen, "field \"%s\": %s", field, what);
	return code;
}

/* A string member; required or optional (*out = dflt). */
static int get_string(const cJSON *obj, const char *key, bool required, const char *dflt,
		      const char **out, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it || cJSON_IsNull(it)) {
		if (required)
			return field_error(err, errlen, -RG_E_INVALID_FIELD, key, "is required");
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsString(it))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, key, "must be a string");
	*out = it->valuestring;
	return 0;
}

static int get_bool(const cJSON *obj, const char *key, bool dflt, bool *out, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it || cJSON_IsNull(it)) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsBool(it))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, key, "must be true or false");
	*out = cJSON_IsTrue(it);
	return 0;
}

static int parse_login(struct rg_request *r, char *err, size_t errlen)
{
	const cJSON *root = r->root;
	int rc = get_string(root, "room_id", true, NULL, &r->u.login.room_id, err, errlen);
	if (!rc)
		rc = get_string(root, "token", true, NULL, &r->u.login.token, err, errlen);
	if (rc)
		return rc;
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(root, "user");
	if (!cJSON_IsObject(user))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, "user",
				   "must be an object {\"user_id\", \"user_name\"}");
	rc = get_string(user, "user_id", true, NULL, &r->u.login.user_id, err, errlen);
	if (!rc)
		rc = get_string(user, "user_name", false, "", &r->u.login.user_name, err, errlen);
	if (!rc)
		rc = get_bool(root, "user_update", false, &r->u.login.user_update, err, errlen);
	return rc;
}

static int parse_resume(struct rg_request *r, char *err, size_t errlen)
{
	int rc = get_string(r->root, "session_id", true, NULL, &r->u.resume.session_id, err, errlen);
	if (!rc)
		rc = get_string(r->root, "resume_token", true, NULL, &r->u.resume.resume_token, err, errlen);
	if (rc)
		return rc;
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(r->root, "last_seq");
	if (!seq || cJSON_IsNull(seq)) {
		r->u.resume.last_seq = 0;
		return 0;
	}
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 || seq->valuedouble > 9007199254740991.0 ||
	    seq->valuedouble != (double)(uint64_t)seq->valuedouble)
		return field_error(err, errlen, -RG_E_INVALID_FIELD, "last_seq",
				   "must be a non-negative integer");
	r->u.resume.last_seq = (uint64_t)seq->valuedouble;
	return 0;
}

static int parse_media(struct rg_request *r, char *err, size_t errlen)
{
	const cJSON *root = r->root;
	int rc = 0;
	if (r->type == RG_REQ_CANDIDATE) {
		rc = get_string(root, "leg_id", true, NULL, &r->u.media.leg_id, err, errlen);
		if (!rc)
			rc = get_string(root, "candidate", true, NULL, &r->u.media.candidate, err, errlen);
		if (!rc && strlen(r->u.media.candidate) > 1024)
			rc = field_error(err, errlen, -RG_E_INVALID_FIELD, "candidate", "is longer than 1024 bytes");
		return rc;
	}
	rc = get_string(root, "stream_id", true, NULL, &r->u.media.stream_id, err, errlen);
	if (!rc && r->type != RG_REQ_STOP_PLAY)
		rc = get_string(root, "sdp", true, NULL, &r->u.media.sdp, err, errlen);
	if (!rc && r->u.media.sdp && strlen(r->u.media.sdp) > SDP_MAX_BYTES)
		rc = field_error(err, errlen, -RG_E_INVALID_FIELD, "sdp", "is longer than 65536 bytes");
	return rc;
}

static int parse_body(struct rg_request *r, char *err, size_t errlen)
{
	switch (r->type) {
	case RG_REQ_PUBLISH_OFFER:
	case RG_REQ_PLAY:
	case RG_REQ_STOP_PLAY:
	case RG_REQ_CANDIDATE:
		return parse_media(r, err, errlen);
	case RG_REQ_LOGIN:
		return parse_login(r, err, errlen);
	case RG_REQ_PUBLISH:
	case RG_REQ_STOP_PUBLISH: {
		int rc = get_string(r->root, "stream_id", true, NULL, &r->u.publish.stream_id, err, errlen);
		if (!rc)
			rc = get_string(r->root, "extra_info", false, "", &r->u.publish.extra_info, err, errlen);
		return rc;
	}
	case RG_REQ_RENEW_TOKEN:
		return get_string(r->root, "token", true, NULL, &r->u.renew.token, err, errlen);
	case RG_REQ_RESUME:
		return parse_resume(r, err, errlen);
	case RG_REQ_LOGOUT:
	case RG_REQ_HEARTBEAT:
		return 0;
	}
	return -RG_E_BAD_REQUEST;
}

static int parse_envelope(struct rg_request *r, char *err, size_t errlen)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->root, "id");
	if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, "id", "must be a string or a number");
	r->id = id;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->root, "v");
	if (v && (!cJSON_IsNumber(v) || v->valuedouble != RG_PROTO_VERSION))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, "v", "unsupported protocol version (this server speaks 1)");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(r->root, "type");
	if (!cJSON_IsString(type))
		return field_error(err, errlen, -RG_E_INVALID_FIELD, "type", "is required and must be a string");
	r->type_name = type->valuestring;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (!strcmp(types[i].name, type->valuestring)) {
			r->type = types[i].type;
			return 0;
		}
	}
	return field_error(err, errlen, -RG_E_INVALID_FIELD, "type", "unknown message type");
}

int rg_proto_parse(struct rg_request *req, const char *text, size_t len, char *err, size_t errlen)
{
	memset(req, 0, sizeof *req);
	err[0] = '\0';
	req->root = cJSON_ParseWithLength(text, len);
	if (!req->root) {
		snprintf(err, errlen, "message is not valid JSON");
		return -RG_E_BAD_JSON;
	}
	if (!cJSON_IsObject(req->root)) {
		snprintf(err, errlen, "message must be a JSON object");
		return -RG_E_BAD_REQUEST;
	}
	int rc = parse_envelope(req, err, errlen);
	return rc ? rc : parse_body(req, err, errlen);
}

void rg_proto_request_free(struct rg_request *req)
{
	cJSON_Delete(req->root);
	memset(req, 0, sizeof *req);
}

static cJSON *envelope(const char *type)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", RG_PROTO_VERSION);
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

static char *finish(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *rg_proto_response_ok(const cJSON *id, cJSON *data)
{
	cJSON *o = envelope("response");
	cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, false) : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddItemToObject(o, "data", data ? data : cJSON_CreateObject());
	return finish(o);
}

char *rg_proto_response_error(const cJSON *id, int rg_err, const char *message)
{
	const struct rg_error_info *info = rg_error_info(rg_err);
	cJSON *o = envelope("response");
	cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, false) : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "ok", false);
	cJSON *e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddNumberToObject(e, "code", info->zego_code);
	cJSON_AddStringToObject(e, "name", info->code);
	cJSON_AddStringToObject(e, "message", message && *message ? message : info->message);
	return finish(o);
}

char *rg_proto_event(const char *name, uint64_t seq, cJSON *data)
{
	cJSON *o = envelope("event");
	cJSON_AddStringToObject(o, "event", name);
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddItemToObject(o, "data", data ? data : cJSON_CreateObject());
	return finish(o);
}
