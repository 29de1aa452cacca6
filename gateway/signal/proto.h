/* Client protocol messages (docs/protocol.md): parse and validate a client
 * request into a struct, and build server messages. Pure: no I/O, no
 * globals; the fuzzed layer. Strings in a parsed request point into the
 * cJSON tree kept in the request (free with rg_proto_request_free). */
#ifndef RG_SIGNAL_PROTO_H
#define RG_SIGNAL_PROTO_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_PROTO_VERSION 1

enum rg_req_type {
	RG_REQ_LOGIN = 1,
	RG_REQ_LOGOUT,
	RG_REQ_HEARTBEAT,
	RG_REQ_PUBLISH,
	RG_REQ_STOP_PUBLISH,
	RG_REQ_RENEW_TOKEN,
	RG_REQ_RESUME,
	RG_REQ_PUBLISH_OFFER,
	RG_REQ_PLAY,
	RG_REQ_STOP_PLAY,
	RG_REQ_CANDIDATE,
};

struct rg_request {
	enum rg_req_type type;
	cJSON *root;       /* owns every string below */
	const cJSON *id;   /* request id (string or number) echoed in the response; NULL if absent */
	const char *type_name;
	union {
		struct {
			const char *room_id;
			const char *token;
			const char *user_id;
			const char *user_name; /* "" when absent */
			bool user_update;
		} login;
		struct {
			const char *stream_id;
			const char *extra_info; /* "" when absent */
		} publish;
		struct {
			const char *token;
		} renew;
		struct {
			const char *stream_id; /* publish_offer, play, stop_play */
			const char *sdp;       /* publish_offer, play */
			const char *leg_id;    /* candidate */
			const char *candidate; /* candidate: "" = end of candidates */
		} media;
		struct {
			const char *session_id;
			const char *resume_token;
			uint64_t last_seq;
		} resume;
	} u;
};

/* Parses one text message. Returns 0, or a negative RG_E_* with a message
 * naming the field in err (and req->id set if the message had one, so the
 * error can be correlated). Always call rg_proto_request_free afterwards. */
int rg_proto_parse(struct rg_request *req, const char *text, size_t len, char *err, size_t errlen);
void rg_proto_request_free(struct rg_request *req);

/* {"v":1,"type":"response","id":..,"ok":true,"data":data} (takes data). */
char *rg_proto_response_ok(const cJSON *id, cJSON *data);
/* {"v":1,"type":"response","id":..,"ok":false,"error":{code,name,message}}. */
char *rg_proto_response_error(const cJSON *id, int rg_err, const char *message);
/* {"v":1,"type":"event","event":name,"seq":seq,"data":data} (takes data). */
char *rg_proto_event(const char *name, uint64_t seq, cJSON *data);

#endif
