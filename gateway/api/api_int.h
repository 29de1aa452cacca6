/* Private to api/. */
#ifndef RG_API_INT_H
#define RG_API_INT_H

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"

enum api_route {
	R_OTHER = 0,
	R_HEALTHZ,
	R_METRICS,
	R_WS,
	R_DEV_TOKEN,
	R_STATIC,
	R_ROOMS,
	R_ROOM,
	R_ROOM_USERS,
	R_ROOM_USER,
	R_ROOM_STREAMS,
	R_ROOM_STREAM,
	R_TOKENS,
	R_ROOM_MIXES,
	R_ROOM_MIX,
	R_ROOM_RTPS,
	R_ROOM_RTP,
	R_ROOM_RECS,
	R_ROOM_REC,
	R_ROOM_SIP_CALLS,
	R_ROOM_SIP_CALL,
	R_SIP_TRUNKS,
	R_SIP_REGS,
	R_ROOM_SIP_DTMF,
	R_V1_UNKNOWN,
	R_COUNT
};

/* HTTP statuses counted per route in /metrics. */
#define API_STATUS_SLOTS 20

struct rg_api {
	struct rg_api_deps d;
	struct MHD_Daemon *mhd;
	uint16_t port;
	MHD_socket quiesced_fd;
	int64_t started_us;
	_Atomic unsigned upgrades_live;
	_Atomic unsigned jobs_inflight; /* posted to the control loop, not answered */
	_Atomic uint64_t requests[R_COUNT][API_STATUS_SLOTS];
};

/* One HTTP request, from MHD's first call to its completion callback. */
struct api_req {
	struct rg_api *api;
	struct MHD_Connection *conn;
	enum api_route route;
	char method[16];
	char path[1024];
	char *segs[6];   /* path segments after /v1 (into segbuf) */
	int nseg;
	char segbuf[1024];
	char *body;
	size_t body_len;
	bool body_too_big;
	bool authorized;
	char content_type[128];
	/* response (filled by the handler) */
	bool done;
	int status;
	char *resp;           /* body (malloc) */
	const char *resp_type;
	const char *allow;    /* Allow header for 405 */
};

const char *api_route_name(enum api_route r);
int api_status_slot(int status);
int api_status_of_slot(int slot);
void api_count(struct rg_api *api, enum api_route r, int status);

/* Responses. api_reply_json takes the object. */
void api_reply_json(struct api_req *r, int status, cJSON *obj);
void api_reply_error(struct api_req *r, int rg_err, const char *message);
void api_reply_text(struct api_req *r, int status, const char *type, char *text);

/* admin.c, on the control loop */
void api_admin_handle(struct api_req *r);
bool api_method_is(const struct api_req *r, const char *m);
void api_not_allowed(struct api_req *r, const char *allow);
/* The JSON object body (an empty one when !required and there is none);
 * NULL when it replied with an error. */
cJSON *api_body_json(struct api_req *r, bool required);
/* The optional {"reason": ".."} of DELETE requests; false when replied. */
bool api_reason_of(struct api_req *r, char *out, size_t outlen);
/* admin_vp.c: mixes, RTP endpoints, recordings, SIP calls, trunks */
void api_vp_route(struct api_req *r);
/* metrics.c, on the control loop */
void api_metrics_handle(struct api_req *r);
void api_healthz_handle(struct api_req *r);
/* files.c, on MHD's thread: returns an MHD response or NULL (404) */
struct MHD_Response *api_static_response(struct rg_api *api, const char *url, int *status);
/* dev token on MHD's thread */
void api_dev_token_handle(struct api_req *r);

#endif
