/* One table of user-facing errors. Every layer returns 0 or a negative
 * errno for internal failures, or -RG_E_* for errors a client or an admin
 * should see; the edges (admin API, client protocol) map an RG_E_* through
 * rg_error_info() to an HTTP status, a stable string code, a ZEGO code and a
 * default message. RG_E_* values start above every errno value. */
#ifndef RG_CORE_ERRORS_H
#define RG_CORE_ERRORS_H

enum rg_error {
	RG_E_BASE = 10000,
	RG_E_BAD_REQUEST,      /* malformed request (generic) */
	RG_E_BAD_JSON,         /* body/message is not JSON */
	RG_E_INVALID_FIELD,    /* a field has the wrong type or value */
	RG_E_UNAUTHORIZED,     /* admin key missing or wrong */
	RG_E_NOT_FOUND,        /* resource or route does not exist */
	RG_E_METHOD,           /* method not allowed on the route */
	RG_E_CONFLICT,         /* resource exists already */
	RG_E_TOO_LARGE,        /* body or message too large */
	RG_E_MEDIA_TYPE,       /* not application/json */
	RG_E_ROOM_NOT_FOUND,
	RG_E_USER_NOT_FOUND,
	RG_E_STREAM_NOT_FOUND,
	RG_E_MAX_ROOMS,        /* 1002001 */
	RG_E_ROOM_FULL,        /* 1002034 */
	RG_E_USER_ID_EMPTY,    /* 1002005 */
	RG_E_USER_ID_ILLEGAL,  /* 1002006 */
	RG_E_USER_ID_LONG,     /* 1002007 */
	RG_E_USER_NAME_LONG,   /* 1002007-like: userName > 256 bytes */
	RG_E_ROOM_ID_EMPTY,    /* 1002011 */
	RG_E_ROOM_ID_ILLEGAL,  /* 1002012 */
	RG_E_ROOM_ID_LONG,     /* 1002013 */
	RG_E_STREAM_ID_LONG,   /* 1000014 */
	RG_E_STREAM_ID_EMPTY,  /* 1000015 */
	RG_E_STREAM_ID_ILLEGAL,/* 1000016 */
	RG_E_STREAM_EXISTS,    /* 1003028 */
	RG_E_TOKEN_INVALID,    /* 1102016 */
	RG_E_TOKEN_EXPIRED,    /* 1102018 */
	RG_E_TOKEN_USER,       /* 1002077 */
	RG_E_NO_PUBLISH,       /* 1103019 */
	RG_E_STREAM_NOT_ALLOWED, /* 1002082 */
	RG_E_NOT_LOGGED_IN,    /* request needs a login first */
	RG_E_ALREADY_LOGGED_IN,
	RG_E_RATE_LIMITED,     /* login attempts per IP */
	RG_E_SESSION_LIMIT,    /* max sessions */
	RG_E_RESUME_FAILED,    /* 1002053 */
	RG_E_EXTRA_INFO_LONG,  /* stream extra_info too long */
	RG_E_BAD_SDP,          /* offer cannot be parsed or answered */
	RG_E_LEG_NOT_FOUND,
	RG_E_NOT_PUBLISHED,    /* publish_offer for a stream this session did not publish */
	RG_E_INTERNAL,
	RG_E_UNAVAILABLE,      /* shutting down / overloaded */
	RG_E_END
};

struct rg_error_info {
	int http_status;
	const char *code;    /* stable snake_case string */
	int zego_code;       /* ZEGO's number for client errors, 0 if none */
	const char *message; /* default human text */
};

/* Info for an RG_E_* value (negative or positive accepted). Unknown values
 * (including plain errnos) map to internal_error / 500. */
const struct rg_error_info *rg_error_info(int err);

#endif
