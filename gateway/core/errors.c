#include "core/errors.h"

#define E(id, http, code, zego, msg) [id - RG_E_BASE] = { http, code, zego, msg }

static const struct rg_error_info table[RG_E_END - RG_E_BASE] = {
	E(RG_E_BAD_REQUEST, 400, "bad_request", 1000002, "malformed request"),
	E(RG_E_BAD_JSON, 400, "bad_json", 1000002, "body is not valid JSON"),
	E(RG_E_INVALID_FIELD, 422, "invalid_field", 1000002, "a field is invalid"),
	E(RG_E_UNAUTHORIZED, 401, "unauthorized", 0, "missing or wrong admin key"),
	E(RG_E_NOT_FOUND, 404, "not_found", 0, "no such resource"),
	E(RG_E_METHOD, 405, "method_not_allowed", 0, "method not allowed on this resource"),
	E(RG_E_CONFLICT, 409, "conflict", 0, "resource exists already"),
	E(RG_E_TOO_LARGE, 413, "too_large", 0, "request too large"),
	E(RG_E_MEDIA_TYPE, 415, "unsupported_media_type", 0, "Content-Type must be application/json"),
	E(RG_E_ROOM_NOT_FOUND, 404, "room_not_found", 0, "room not found"),
	E(RG_E_USER_NOT_FOUND, 404, "user_not_found", 0, "user not found"),
	E(RG_E_STREAM_NOT_FOUND, 404, "stream_not_found", 1004039, "stream not found"),
	E(RG_E_MAX_ROOMS, 503, "max_rooms", 1002001, "room count limit reached"),
	E(RG_E_ROOM_FULL, 409, "room_full", 1002034, "room is full"),
	E(RG_E_USER_ID_EMPTY, 422, "user_id_empty", 1002005, "userID is empty"),
	E(RG_E_USER_ID_ILLEGAL, 422, "user_id_illegal", 1002006, "userID has illegal characters"),
	E(RG_E_USER_ID_LONG, 422, "user_id_too_long", 1002007, "userID is longer than 64 bytes"),
	E(RG_E_USER_NAME_LONG, 422, "user_name_too_long", 1002007, "userName is longer than 256 bytes"),
	E(RG_E_ROOM_ID_EMPTY, 422, "room_id_empty", 1002011, "roomID is empty"),
	E(RG_E_ROOM_ID_ILLEGAL, 422, "room_id_illegal", 1002012, "roomID has illegal characters"),
	E(RG_E_ROOM_ID_LONG, 422, "room_id_too_long", 1002013, "roomID is longer than 128 bytes"),
	E(RG_E_STREAM_ID_LONG, 422, "stream_id_too_long", 1000014, "streamID is longer than 256 bytes"),
	E(RG_E_STREAM_ID_EMPTY, 422, "stream_id_empty", 1000015, "streamID is empty"),
	E(RG_E_STREAM_ID_ILLEGAL, 422, "stream_id_illegal", 1000016, "streamID has illegal characters"),
	E(RG_E_STREAM_EXISTS, 409, "stream_exists", 1003028, "streamID is already published"),
	E(RG_E_TOKEN_INVALID, 401, "token_invalid", 1102016, "token is invalid"),
	E(RG_E_TOKEN_EXPIRED, 401, "token_expired", 1102018, "token has expired"),
	E(RG_E_TOKEN_USER, 401, "token_user_mismatch", 1002077, "token was issued for another userID"),
	E(RG_E_NO_PUBLISH, 403, "no_publish_privilege", 1103019, "token does not allow publishing"),
	E(RG_E_STREAM_NOT_ALLOWED, 403, "stream_not_allowed", 1002082, "token does not allow this streamID"),
	E(RG_E_NOT_LOGGED_IN, 409, "not_logged_in", 1000002, "log in first"),
	E(RG_E_ALREADY_LOGGED_IN, 409, "already_logged_in", 1000002, "this session is logged in already"),
	E(RG_E_RATE_LIMITED, 429, "rate_limited", 1002031, "too many login attempts from this address"),
	E(RG_E_SESSION_LIMIT, 503, "session_limit", 1002001, "session limit reached"),
	E(RG_E_RESUME_FAILED, 404, "resume_failed", 1002053, "session cannot be resumed; log in again"),
	E(RG_E_EXTRA_INFO_LONG, 422, "extra_info_too_long", 1000002, "extra_info is longer than 1024 bytes"),
	E(RG_E_BAD_SDP, 422, "bad_sdp", 1000002, "the SDP offer cannot be answered"),
	E(RG_E_LEG_NOT_FOUND, 404, "leg_not_found", 1000002, "no such leg in this session"),
	E(RG_E_NOT_PUBLISHED, 409, "stream_not_published", 1000002, "publish the stream first"),
	E(RG_E_INTERNAL, 500, "internal_error", 1000001, "internal error"),
	E(RG_E_UNAVAILABLE, 503, "unavailable", 1000001, "server is shutting down"),
};

const struct rg_error_info *rg_error_info(int err)
{
	if (err < 0)
		err = -err;
	if (err > RG_E_BASE && err < RG_E_END && table[err - RG_E_BASE].code)
		return &table[err - RG_E_BASE];
	return &table[RG_E_INTERNAL - RG_E_BASE];
}
