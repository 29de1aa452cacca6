/* Sessions: one login of one user to one room, outliving its WebSocket for
 * a grace period. Every event sent to a session gets a sequence number and
 * stays in a bounded ring, so a client that reconnects can ask for the
 * events after the last one it saw ("resume").
 *
 * Lifecycle (control loop):
 *   session_new + session_join            -> ATTACHED
 *   socket breaks         session_detach  -> DETACHED (grace timer)
 *   resume on a new socket session_attach -> ATTACHED
 *   logout / kick / heartbeat timeout / grace over -> session_end (freed)
 */
#include <string.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/util.h"
#include "signal/signal_int.h"

#define RING_ATTACHED 64  /* events kept while connected */
#define RING_DETACHED 512 /* events kept while waiting for a resume */

struct event {
	uint64_t seq;
	char *json;
};

struct session {
	struct rg_signal *sig;
	struct client *client; /* NULL while detached */
	struct rg_user *user;  /* NULL once kicked */
	char id[33];
	char resume_token[33];
	struct token04_claims claims;
	int64_t last_seen_us;
	int64_t detached_us;
	uint64_t seq;
	GQueue ring;          /* struct event *, oldest first */
	bool overflowed;      /* the ring dropped events while detached */
	GHashTable *legs;     /* leg id -> struct sleg * */
};

struct sleg {
	char *stream_id;
	bool publish;
};

static void sleg_free(gpointer p)
{
	struct sleg *l = p;
	g_free(l->stream_id);
	g_free(l);
}

static const struct rg_member_ops member_ops;

struct session *session_new(struct rg_signal *sig, struct client *c, struct token04_claims *claims)
{
	struct session *s = g_new0(struct session, 1);
	s->sig = sig;
	s->client = c;
	if (rg_random_id(s->id, 16) || rg_random_id(s->resume_token, 16)) {
		g_free(s);
		return NULL;
	}
	s->claims = *claims; /* takes the claims' heap parts */
	memset(claims, 0, sizeof *claims);
	s->last_seen_us = rg_mono_us();
	g_queue_init(&s->ring);
	s->legs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, sleg_free);
	return s;
}

int session_join(struct session *s, const char *room_id, const char *user_id, const char *user_name,
		 bool user_update)
{
	struct rg_join_params p = {
		.room_id = room_id,
		.user_id = user_id,
		.user_name = user_name,
		.kind = RG_USER_CLIENT,
		.want_user_updates = user_update,
		.ops = &member_ops,
		.member = s,
	};
	int rc = rg_room_join(s->sig->reg, &p, &s->user);
	if (rc == 0)
		g_hash_table_insert(s->sig->sessions, s->id, s);
	return rc;
}

static void event_free(gpointer p)
{
	struct event *e = p;
	free(e->json);
	g_free(e);
}

static void session_free(struct session *s)
{
	g_hash_table_destroy(s->legs);
	g_queue_clear_full(&s->ring, event_free);
	token04_claims_clear(&s->claims);
	g_free(s);
}

void session_end(struct session *s, int stream_reason)
{
	session_legs_close(s, NULL, -1);
	g_hash_table_remove(s->sig->sessions, s->id);
	if (s->user)
		rg_user_leave(s->user, stream_reason);
	if (s->client)
		s->client->session = NULL;
	session_free(s);
}

void session_attach(struct session *s, struct client *c)
{
	s->client = c;
	c->session = s;
	s->detached_us = 0;
	s->last_seen_us = rg_mono_us();
}

void session_detach(struct session *s)
{
	if (s->client)
		s->client->session = NULL;
	s->client = NULL;
	s->detached_us = rg_mono_us();
	RG_INFO(SIGNAL, "session %.8s (%s) lost its connection; resumable for %u ms", s->id,
		s->user ? rg_user_id(s->user) : "-", s->sig->cfg->resume_grace_ms);
}

/* Sends (or keeps for a resume) one event. Takes data. */
static void emit(struct session *s, const char *name, cJSON *data)
{
	char *json = rg_proto_event(name, ++s->seq, data);
	if (!json)
		return;
	unsigned cap = s->client ? RING_ATTACHED : RING_DETACHED;
	while (g_queue_get_length(&s->ring) >= cap) {
		event_free(g_queue_pop_head(&s->ring));
		if (!s->client)
			s->overflowed = true;
	}
	struct event *e = g_new(struct event, 1);
	e->seq = s->seq;
	e->json = json;
	g_queue_push_tail(&s->ring, e);
	if (s->client)
		rg_wsconn_send_text(s->client->conn, json, strlen(json));
}

bool session_can_replay(const struct session *s, uint64_t last_seq)
{
	if (last_seq > s->seq || s->overflowed)
		return false;
	if (last_seq == s->seq)
		return true;
	const struct event *oldest = s->ring.head ? s->ring.head->data : NULL;
	return oldest && oldest->seq <= last_seq + 1;
}

bool session_replay(struct session *s, uint64_t last_seq)
{
	if (!session_can_replay(s, last_seq) || !s->client)
		return false;
	for (GList *l = s->ring.head; l; l = l->next) {
		struct event *e = l->data;
		if (e->seq > last_seq)
			rg_wsconn_send_text(s->client->conn, e->json, strlen(e->json));
	}
	return true;
}

void session_emit(struct session *s, const char *name, cJSON *data)
{
	emit(s, name, data);
}

struct session *session_find(struct rg_signal *sig, const char *id)
{
	return id ? g_hash_table_lookup(sig->sessions, id) : NULL;
}

void session_leg_add(struct session *s, const char *leg_id, const char *stream_id, bool publish)
{
	struct sleg *l = g_new0(struct sleg, 1);
	l->stream_id = g_strdup(stream_id);
	l->publish = publish;
	g_hash_table_insert(s->legs, g_strdup(leg_id), l);
}

void session_leg_remove(struct session *s, const char *leg_id)
{
	g_hash_table_remove(s->legs, leg_id);
}

void session_legs_close(struct session *s, const char *stream_id, int publish)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, s->legs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct sleg *l = v;
		if ((stream_id && strcmp(l->stream_id, stream_id)) || (publish >= 0 && l->publish != (publish > 0)))
			continue;
		if (s->sig->media)
			rg_media_close(s->sig->media, k);
		g_hash_table_iter_remove(&it);
	}
}

/* ---- what the room tells a session ---- */

static cJSON *user_json(const char *id, const char *name)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user_id", id);
	cJSON_AddStringToObject(o, "user_name", name);
	return o;
}

static cJSON *stream_json(const struct rg_stream_info *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "stream_id", st->stream_id);
	cJSON_AddItemToObject(o, "user", user_json(st->user_id, st->user_name));
	cJSON_AddStringToObject(o, "extra_info", st->extra_info);
	return o;
}

static void on_users(void *member, struct rg_room *room, bool add, const struct rg_user_info *u,
		     size_t n)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddStringToObject(d, "update_type", add ? "ADD" : "DELETE");
	cJSON *list = cJSON_AddArrayToObject(d, "users");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, user_json(u[i].user_id, u[i].user_name));
	emit(member, "room_user_update", d);
}

static char *delete_reasons(const struct rg_stream_info *st, size_t n, int reason)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(o, "stream_delete_reason");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "stream_id", st[i].stream_id);
		cJSON_AddNumberToObject(r, "code", reason);
		cJSON_AddStringToObject(r, "description", rg_stream_reason_text(reason));
		cJSON_AddItemToArray(list, r);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void on_streams(void *member, struct rg_room *room, bool add, const struct rg_stream_info *st,
		       size_t n, int reason)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddStringToObject(d, "update_type", add ? "ADD" : "DELETE");
	cJSON *list = cJSON_AddArrayToObject(d, "streams");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, stream_json(&st[i]));
	if (add) {
		cJSON_AddStringToObject(d, "extended_data", "");
	} else {
		char *ext = delete_reasons(st, n, reason);
		cJSON_AddStringToObject(d, "extended_data", ext ? ext : "");
		cJSON_AddNumberToObject(d, "reason", reason);
		free(ext);
	}
	emit(member, "room_stream_update", d);
}

static void on_count(void *member, struct rg_room *room, unsigned count)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddNumberToObject(d, "count", count);
	emit(member, "room_online_user_count", d);
}

static void on_stream_removed(void *member, struct rg_room *room, const char *stream_id,
			      const char *reason)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddStringToObject(d, "stream_id", stream_id);
	cJSON_AddNumberToObject(d, "code", 1003025);
	cJSON_AddStringToObject(d, "reason", reason);
	emit(member, "stream_removed", d);
	session_legs_close(member, stream_id, 1);
}

static const char *const kick_causes[] = {
	[RG_KICK_ADMIN] = "kicked", [RG_KICK_ROOM_CLOSED] = "room_closed",
	[RG_KICK_DUPLICATE] = "duplicate_login",
};

static void on_kickout(void *member, struct rg_room *room, enum rg_kick_cause cause, const char *reason)
{
	struct session *s = member;
	int code = cause == RG_KICK_DUPLICATE ? 1002050 : 1002055;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddNumberToObject(d, "code", code);
	cJSON_AddStringToObject(d, "cause", kick_causes[cause]);
	cJSON_AddStringToObject(d, "reason", reason);
	cJSON *ext = cJSON_CreateObject();
	cJSON_AddStringToObject(ext, "custom_kickout_message", reason);
	char *ext_s = cJSON_PrintUnformatted(ext);
	cJSON_Delete(ext);
	cJSON_AddStringToObject(d, "extended_data", ext_s ? ext_s : "");
	free(ext_s);
	emit(s, "kickout", d);
	RG_METRIC_INC(s->sig->metrics, kickouts);
	RG_INFO(SIGNAL, "room %s: session %.8s (%s) kicked out (%s)", rg_room_id(room), s->id,
		rg_user_id(s->user), kick_causes[cause]);
	/* the room frees the user when we return; the socket closes after the
	 * kickout event (client_close never calls back into the room) */
	s->user = NULL;
	struct client *c = s->client;
	session_end(s, RG_STREAM_KICKED);
	if (c)
		client_close(c, RG_CLOSE_KICKED, "kicked out");
}

static void on_talking(void *member, struct rg_room *room, const struct rg_stream_info *st,
		       bool talking, unsigned level)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddStringToObject(d, "stream_id", st->stream_id);
	cJSON_AddStringToObject(d, "user_id", st->user_id);
	cJSON_AddBoolToObject(d, "talking", talking);
	cJSON_AddNumberToObject(d, "level", level);
	emit(member, "talking", d);
}

static const struct rg_member_ops member_ops = {
	.talking = on_talking,
	.users = on_users,
	.streams = on_streams,
	.user_count = on_count,
	.stream_removed = on_stream_removed,
	.kickout = on_kickout,
};

/* ---- accessors and timeouts ---- */

cJSON *session_snapshot(struct session *s)
{
	struct rg_room *room = rg_user_room(s->user);
	unsigned n = rg_room_user_count(room);
	struct rg_user_info *users = g_new(struct rg_user_info, n ? n : 1);
	size_t nu = rg_room_users(room, users, n);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "session_id", s->id);
	cJSON_AddStringToObject(d, "resume_token", s->resume_token);
	cJSON_AddStringToObject(d, "room_id", rg_room_id(room));
	cJSON_AddItemToObject(d, "user", user_json(rg_user_id(s->user), rg_user_name(s->user)));
	cJSON *ul = cJSON_AddArrayToObject(d, "users");
	for (size_t i = 0; i < nu; i++)
		if (strcmp(users[i].user_id, rg_user_id(s->user)) != 0)
			cJSON_AddItemToArray(ul, user_json(users[i].user_id, users[i].user_name));
	g_free(users);
	size_t ns = rg_registry_stream_count(s->sig->reg);
	struct rg_stream_info *streams = g_new(struct rg_stream_info, ns ? ns : 1);
	ns = rg_room_streams(room, streams, ns);
	cJSON *sl = cJSON_AddArrayToObject(d, "streams");
	for (size_t i = 0; i < ns; i++)
		if (strcmp(streams[i].user_id, rg_user_id(s->user)) != 0)
			cJSON_AddItemToArray(sl, stream_json(&streams[i]));
	g_free(streams);
	cJSON_AddNumberToObject(d, "online_count", rg_room_visible_count(room));
	cJSON_AddNumberToObject(d, "last_seq", (double)s->seq);
	cJSON_AddNumberToObject(d, "heartbeat_interval_ms", s->sig->cfg->heartbeat_interval_ms);
	cJSON_AddNumberToObject(d, "token_expire", (double)s->claims.expire);
	return d;
}

bool session_sweep(struct session *s, int64_t now_us)
{
	const struct rg_config *cfg = s->sig->cfg;
	if (s->client && now_us - s->last_seen_us > (int64_t)cfg->heartbeat_timeout_ms * 1000) {
		struct client *c = s->client;
		RG_INFO(SIGNAL, "session %.8s (%s): no heartbeat for %u ms; dropped", s->id,
			rg_user_id(s->user), cfg->heartbeat_timeout_ms);
		RG_METRIC_INC(s->sig->metrics, sessions_timed_out);
		session_end(s, RG_STREAM_HEARTBEAT_TIMEOUT);
		client_close(c, RG_CLOSE_SESSION_TIMEOUT, "heartbeat timeout");
		return true;
	}
	if (!s->client && (s->overflowed || now_us - s->detached_us > (int64_t)cfg->resume_grace_ms * 1000)) {
		RG_INFO(SIGNAL, "session %.8s (%s): not resumed in time; dropped", s->id, rg_user_id(s->user));
		session_end(s, RG_STREAM_DISCONNECTED);
		return true;
	}
	return false;
}

void session_touch(struct session *s, int64_t now_us) { s->last_seen_us = now_us; }
struct rg_user *session_user(struct session *s) { return s->user; }
const char *session_id(const struct session *s) { return s->id; }
struct token04_claims *session_claims(struct session *s) { return &s->claims; }
struct client *session_client(struct session *s) { return s->client; }
uint64_t session_seq(const struct session *s) { return s->seq; }

bool session_check_resume_token(const struct session *s, const char *token)
{
	return rg_ct_equal(s->resume_token, strlen(s->resume_token), token, strlen(token));
}
