/* Private to signal/: the objects shared by client.c and session.c. */
#ifndef RG_SIGNAL_INT_H
#define RG_SIGNAL_INT_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/token04.h"
#include "core/config.h"
#include "core/metrics.h"
#include "room/room.h"
#include "signal/proto.h"
#include "signal/signal.h"
#include "signal/wsconn.h"
#include "media/media.h"

/* Close codes of ours (docs/protocol.md). */
enum {
	RG_CLOSE_KICKED = 4000,        /* kicked out: do not reconnect */
	RG_CLOSE_SESSION_TIMEOUT = 4001, /* no heartbeat: log in again */
	RG_CLOSE_LOGIN_TIMEOUT = 4002, /* no login in time */
	RG_CLOSE_RESUMED = 4003,       /* the session was resumed on another connection */
};

struct session;

struct client {
	struct rg_signal *sig;
	struct rg_wsconn *conn;
	struct session *session; /* NULL until login/resume */
	char ip[64];
	int64_t opened_us;
};

struct rg_signal {
	struct rg_loop *loop;
	const struct rg_config *cfg;
	struct rg_registry *reg;
	struct rg_metrics *metrics;
	GHashTable *clients;  /* set of struct client * */
	GHashTable *sessions; /* session id -> struct session * */
	GHashTable *ip_rate;  /* ip -> struct ip_rate * */
	unsigned sweep_timer;
	struct rg_media *media; /* NULL: no media plane (protocol-only tests) */
};

/* session.c */
struct session *session_new(struct rg_signal *sig, struct client *c, struct token04_claims *claims);
/* Joins the room for this session (after session_new). */
int session_join(struct session *s, const char *room_id, const char *user_id, const char *user_name,
		 bool user_update);
/* Ends a session: the user leaves with stream_reason, the client (if any) is
 * detached (not closed). Frees s. */
void session_end(struct session *s, int stream_reason);
void session_attach(struct session *s, struct client *c);
void session_detach(struct session *s);
/* Replays events after last_seq; false when some are gone. */
bool session_replay(struct session *s, uint64_t last_seq);
bool session_can_replay(const struct session *s, uint64_t last_seq);
cJSON *session_snapshot(struct session *s);
struct rg_user *session_user(struct session *s);
const char *session_id(const struct session *s);
bool session_check_resume_token(const struct session *s, const char *token);
struct token04_claims *session_claims(struct session *s);
struct client *session_client(struct session *s);
/* Timeouts: returns true when the session was ended. */
bool session_sweep(struct session *s, int64_t now_us);
void session_touch(struct session *s, int64_t now_us);
uint64_t session_seq(const struct session *s);

/* Legs of a session (media_handlers.c keeps them in the session). */
void session_leg_add(struct session *s, const char *leg_id, const char *stream_id, bool publish);
void session_leg_remove(struct session *s, const char *leg_id);
/* Closes legs of stream_id (NULL: all) in one direction (or both if dir < 0). */
void session_legs_close(struct session *s, const char *stream_id, int publish);
/* Sends (or keeps for a resume) an event. Takes data. */
void session_emit(struct session *s, const char *name, cJSON *data);
struct session *session_find(struct rg_signal *sig, const char *id);

/* client.c */
void client_send(struct client *c, char *json); /* takes json */
/* The one response to a request (data taken). */
void client_reply_ok(struct client *c, const struct rg_request *req, cJSON *data);
void client_reply_error(struct client *c, const struct rg_request *req, int err, const char *msg);
void client_close(struct client *c, uint16_t code, const char *reason);
/* Counts a login attempt from the client's address; true when over the limit. */
bool client_rate_limited(struct client *c);

/* handlers.c */
void handle_request(struct client *c, struct rg_request *req);
/* media_handlers.c */
void handle_media_request(struct client *c, struct rg_request *req);

#endif
