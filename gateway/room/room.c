/* Room registry: rooms, users, streams and the events between members.
 * Control loop only (asserted at every entry point that mutates).
 *
 * Event delivery iterates over a snapshot of the room's users, because a
 * member's callback may cause other members to leave (for example a session
 * whose socket write fails). Kickout callbacks must not call back into the
 * room for their own user. */
#include "room/room.h"

#include <glib.h>
#include <string.h>
#include <sys/time.h>

#include "core/errors.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"

struct rg_stream {
	char *id;
	char *extra_info;
	int64_t created_ms;
	struct rg_user *user;
};

struct rg_user {
	char *id;
	char *name;
	enum rg_user_kind kind;
	bool want_user_updates;
	bool hidden, passive;
	const struct rg_member_ops *ops;
	void *member;
	int64_t joined_ms;
	GPtrArray *streams; /* struct rg_stream *, publish order */
	struct rg_room *room;
};

struct rg_room {
	char *id;
	int64_t created_ms;
	unsigned worker;
	GPtrArray *users;    /* struct rg_user *, join order */
	GHashTable *by_id;   /* user id -> struct rg_user * */
	unsigned count_timer;
	const char *close_reason; /* set while rg_room_close runs */
	bool closing;             /* its users are being kicked */
	struct rg_registry *reg;
};

struct rg_registry {
	struct rg_loop *loop;
	struct rg_registry_limits lim;
	GHashTable *rooms;   /* room id -> struct rg_room * */
	GHashTable *streams; /* stream id -> struct rg_stream * (AppID-wide) */
	unsigned users;
	unsigned *worker_rooms; /* rooms per worker */
	struct rg_events *events; /* may be NULL */
	rg_room_created_fn created;
	void *created_arg;
};

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

const char *rg_stream_reason_text(int reason)
{
	switch (reason) {
	case RG_STREAM_STOPPED: return "user stopped publishing";
	case RG_STREAM_HEARTBEAT_TIMEOUT: return "heartbeat timeout";
	case RG_STREAM_DUPLICATE_LOGIN: return "duplicate login";
	case RG_STREAM_KICKED: return "kicked out";
	case RG_STREAM_DISCONNECTED: return "disconnected";
	case RG_STREAM_REMOVED: return "removed by server";
	}
	return "unknown";
}

struct rg_registry *rg_registry_new(struct rg_loop *control, const struct rg_registry_limits *lim)
{
	struct rg_registry *r = g_new0(struct rg_registry, 1);
	r->loop = control;
	r->lim = *lim;
	if (r->lim.media_workers == 0)
		r->lim.media_workers = 1;
	r->rooms = g_hash_table_new(g_str_hash, g_str_equal);
	r->streams = g_hash_table_new(g_str_hash, g_str_equal);
	r->worker_rooms = g_new0(unsigned, r->lim.media_workers);
	return r;
}

void rg_registry_free(struct rg_registry *reg)
{
	if (!reg)
		return;
	RG_ASSERT_LOOP(reg->loop);
	GList *rooms = g_hash_table_get_values(reg->rooms);
	for (GList *l = rooms; l; l = l->next)
		rg_room_close(l->data, "server shutting down");
	g_list_free(rooms);
	g_hash_table_destroy(reg->rooms);
	g_hash_table_destroy(reg->streams);
	g_free(reg->worker_rooms);
	g_free(reg);
}

unsigned rg_registry_room_count(const struct rg_registry *reg)
{
	return g_hash_table_size(reg->rooms);
}

unsigned rg_registry_user_count(const struct rg_registry *reg)
{
	return reg->users;
}

unsigned rg_registry_stream_count(const struct rg_registry *reg)
{
	return g_hash_table_size(reg->streams);
}

/* ---- server events (core/events.h; data documented in docs/webhooks.md) ---- */

void rg_registry_set_events(struct rg_registry *reg, struct rg_events *ev)
{
	RG_ASSERT_LOOP(reg->loop);
	reg->events = ev;
}

static void emit_room(struct rg_room *room, const char *type)
{
	if (!room->reg->events)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", room->id);
	if (!strcmp(type, "room.closed")) {
		cJSON_AddStringToObject(o, "reason", room->close_reason ? "closed" : "empty");
		if (room->close_reason)
			cJSON_AddStringToObject(o, "message", room->close_reason);
		cJSON_AddNumberToObject(o, "duration_ms", (double)(wall_ms() - room->created_ms));
	}
	rg_events_emit(room->reg->events, type, o);
}

static cJSON *event_user(const struct rg_user *u)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", u->room->id);
	cJSON_AddStringToObject(o, "user_id", u->id);
	cJSON_AddStringToObject(o, "user_name", u->name);
	cJSON_AddStringToObject(o, "kind", u->kind == RG_USER_CLIENT ? "client" : "virtual");
	return o;
}

static void add_reason(cJSON *o, int reason, int64_t since_ms)
{
	cJSON_AddNumberToObject(o, "reason", reason);
	cJSON_AddStringToObject(o, "reason_text", rg_stream_reason_text(reason));
	cJSON_AddNumberToObject(o, "duration_ms", (double)(wall_ms() - since_ms));
}

/* user.joined, or user.left when reason > 0 */
static void emit_user(const struct rg_user *u, int reason)
{
	if (!u->room->reg->events)
		return;
	cJSON *o = event_user(u);
	if (reason)
		add_reason(o, reason, u->joined_ms);
	rg_events_emit(u->room->reg->events, reason ? "user.left" : "user.joined", o);
}

/* stream.added, or stream.removed when reason > 0 */
static void emit_stream(const struct rg_stream *s, int reason)
{
	if (!s->user->room->reg->events)
		return;
	cJSON *o = event_user(s->user);
	cJSON_AddStringToObject(o, "stream_id", s->id);
	if (reason)
		add_reason(o, reason, s->created_ms);
	else
		cJSON_AddStringToObject(o, "extra_info", s->extra_info);
	rg_events_emit(s->user->room->reg->events, reason ? "stream.removed" : "stream.added", o);
}

/* ---- rooms ---- */

static unsigned place_room(struct rg_registry *reg)
{
	unsigned best = 0;
	for (unsigned i = 1; i < reg->lim.media_workers; i++)
		if (reg->worker_rooms[i] < reg->worker_rooms[best])
			best = i;
	reg->worker_rooms[best]++;
	return best;
}

static struct rg_room *room_create(struct rg_registry *reg, const char *id)
{
	struct rg_room *room = g_new0(struct rg_room, 1);
	room->id = g_strdup(id);
	room->created_ms = wall_ms();
	room->users = g_ptr_array_new();
	room->by_id = g_hash_table_new(g_str_hash, g_str_equal);
	room->reg = reg;
	room->worker = place_room(reg);
	g_hash_table_insert(reg->rooms, room->id, room);
	RG_INFO(ROOM, "room %s created on worker %u", id, room->worker);
	emit_room(room, "room.created");
	return room;
}

static void room_destroy(struct rg_room *room)
{
	struct rg_registry *reg = room->reg;
	g_hash_table_remove(reg->rooms, room->id);
	reg->worker_rooms[room->worker]--;
	rg_timer_cancel(room->count_timer);
	RG_INFO(ROOM, "room %s closed", room->id);
	emit_room(room, "room.closed");
	g_ptr_array_free(room->users, TRUE);
	g_hash_table_destroy(room->by_id);
	g_free(room->id);
	g_free(room);
}

/* Copies the member list so callbacks may change the room. */
static GPtrArray *members_snapshot(struct rg_room *room, const struct rg_user *except)
{
	GPtrArray *a = g_ptr_array_sized_new(room->users->len);
	for (unsigned i = 0; i < room->users->len; i++)
		if (room->users->pdata[i] != except)
			g_ptr_array_add(a, room->users->pdata[i]);
	return a;
}

static bool still_member(struct rg_room *room, struct rg_user *u)
{
	return g_hash_table_lookup(room->by_id, u->id) == u;
}

static unsigned visible_count(const struct rg_room *room)
{
	unsigned n = 0;
	for (unsigned i = 0; i < room->users->len; i++)
		n += !((const struct rg_user *)room->users->pdata[i])->hidden;
	return n;
}

static bool count_timer_fire(void *arg)
{
	struct rg_room *room = arg;
	room->count_timer = 0;
	GPtrArray *m = members_snapshot(room, NULL);
	unsigned count = visible_count(room);
	for (unsigned i = 0; i < m->len; i++) {
		struct rg_user *u = m->pdata[i];
		if (still_member(room, u) && u->ops->user_count)
			u->ops->user_count(u->member, room, count);
	}
	g_ptr_array_free(m, TRUE);
	return false;
}

/* Online-count updates are coalesced: at most one per room per 200 ms. */
static void schedule_count(struct rg_room *room)
{
	if (!room->count_timer)
		room->count_timer = rg_timer_add(room->reg->loop, 200, count_timer_fire, room);
}

static void notify_users(struct rg_room *room, struct rg_user *subject, bool add)
{
	if (subject->hidden)
		return;
	struct rg_user_info info = { subject->id, subject->name };
	GPtrArray *m = members_snapshot(room, subject);
	for (unsigned i = 0; i < m->len; i++) {
		struct rg_user *u = m->pdata[i];
		if (still_member(room, u) && u->want_user_updates && u->ops->users)
			u->ops->users(u->member, room, add, &info, 1);
	}
	g_ptr_array_free(m, TRUE);
	schedule_count(room);
}

static void stream_info(const struct rg_stream *s, struct rg_stream_info *out)
{
	out->stream_id = s->id;
	out->user_id = s->user->id;
	out->user_name = s->user->name;
	out->extra_info = s->extra_info;
	out->created_ms = s->created_ms;
}

/* Tells everyone in the room but the publisher. */
static void notify_stream(struct rg_room *room, struct rg_stream *s, bool add, int reason)
{
	struct rg_stream_info info;
	stream_info(s, &info);
	GPtrArray *m = members_snapshot(room, s->user);
	for (unsigned i = 0; i < m->len; i++) {
		struct rg_user *u = m->pdata[i];
		if (still_member(room, u) && u->ops->streams)
			u->ops->streams(u->member, room, add, &info, 1, reason);
	}
	g_ptr_array_free(m, TRUE);
}

void rg_stream_talking(struct rg_stream *s, bool talking, unsigned level)
{
	struct rg_room *room = s->user->room;
	RG_ASSERT_LOOP(room->reg->loop);
	struct rg_stream_info info;
	stream_info(s, &info);
	GPtrArray *m = members_snapshot(room, NULL);
	for (unsigned i = 0; i < m->len; i++) {
		struct rg_user *u = m->pdata[i];
		if (still_member(room, u) && u->ops->talking)
			u->ops->talking(u->member, room, &info, talking, level);
	}
	g_ptr_array_free(m, TRUE);
}

const char *rg_stream_id(const struct rg_stream *s)
{
	return s->id;
}

/* ---- streams ---- */

static void stream_free(struct rg_stream *s)
{
	g_free(s->id);
	g_free(s->extra_info);
	g_free(s);
}

static void stream_delete(struct rg_stream *s, int reason)
{
	struct rg_user *u = s->user;
	struct rg_room *room = u->room;
	RG_INFO(ROOM, "room %s: stream %s of %s removed (%s)", room->id, s->id, u->id,
		rg_stream_reason_text(reason));
	g_hash_table_remove(room->reg->streams, s->id);
	g_ptr_array_remove(u->streams, s);
	notify_stream(room, s, false, reason);
	emit_stream(s, reason);
	stream_free(s);
}

static void user_delete_streams(struct rg_user *u, int reason)
{
	while (u->streams->len)
		stream_delete(u->streams->pdata[u->streams->len - 1], reason);
}

int rg_stream_publish(struct rg_user *user, const char *stream_id, const char *extra_info,
		      struct rg_stream **out)
{
	struct rg_registry *reg = user->room->reg;
	RG_ASSERT_LOOP(reg->loop);
	int rc = rg_validate_stream_id(stream_id);
	if (rc)
		return rc;
	if (extra_info && strlen(extra_info) > RG_EXTRA_INFO_MAX)
		return -RG_E_EXTRA_INFO_LONG;
	if (g_hash_table_contains(reg->streams, stream_id))
		return -RG_E_STREAM_EXISTS;
	struct rg_stream *s = g_new0(struct rg_stream, 1);
	s->id = g_strdup(stream_id);
	s->extra_info = g_strdup(extra_info ? extra_info : "");
	s->created_ms = wall_ms();
	s->user = user;
	g_hash_table_insert(reg->streams, s->id, s);
	g_ptr_array_add(user->streams, s);
	RG_INFO(ROOM, "room %s: %s publishes stream %s", user->room->id, user->id, s->id);
	notify_stream(user->room, s, true, 0);
	emit_stream(s, 0);
	if (out)
		*out = s;
	return 0;
}

int rg_stream_unpublish(struct rg_user *user, const char *stream_id, int reason)
{
	RG_ASSERT_LOOP(user->room->reg->loop);
	struct rg_stream *s = g_hash_table_lookup(user->room->reg->streams, stream_id);
	if (!s || s->user != user)
		return -RG_E_STREAM_NOT_FOUND;
	stream_delete(s, reason);
	return 0;
}

void rg_stream_remove(struct rg_stream *s, int reason, const char *message)
{
	struct rg_user *u = s->user;
	RG_ASSERT_LOOP(u->room->reg->loop);
	char *id = g_strdup(s->id);
	stream_delete(s, reason);
	if (u->ops->stream_removed)
		u->ops->stream_removed(u->member, u->room, id, message ? message : "");
	g_free(id);
}

struct rg_room *rg_stream_room(const struct rg_stream *s)
{
	return s->user->room;
}

struct rg_user *rg_stream_user(const struct rg_stream *s)
{
	return s->user;
}

/* ---- users ---- */

static struct rg_user *user_new(struct rg_room *room, const struct rg_join_params *p)
{
	struct rg_user *u = g_new0(struct rg_user, 1);
	u->id = g_strdup(p->user_id);
	u->name = g_strdup(p->user_name ? p->user_name : "");
	u->kind = p->kind;
	u->want_user_updates = p->want_user_updates;
	u->hidden = p->hidden;
	u->passive = p->passive;
	u->ops = p->ops;
	u->member = p->member;
	u->joined_ms = wall_ms();
	u->streams = g_ptr_array_new();
	u->room = room;
	return u;
}

static void user_free(struct rg_user *u)
{
	g_ptr_array_free(u->streams, TRUE);
	g_free(u->id);
	g_free(u->name);
	g_free(u);
}

static void kick(struct rg_user *u, enum rg_kick_cause cause, int stream_reason, const char *reason,
		 bool notify);

static bool only_passive(const struct rg_room *room)
{
	for (unsigned i = 0; i < room->users->len; i++)
		if (!((const struct rg_user *)room->users->pdata[i])->passive)
			return false;
	return true;
}

/* Only users that do not keep the room open are left: they go, the room
 * closes as empty. */
static void close_passive(struct rg_room *room)
{
	RG_INFO(ROOM, "room %s: only passive members left (%u); closing", room->id, room->users->len);
	room->closing = true;
	while (room->users->len > 1)
		kick(room->users->pdata[room->users->len - 1], RG_KICK_ROOM_CLOSED, RG_STREAM_REMOVED, "", false);
	kick(room->users->pdata[0], RG_KICK_ROOM_CLOSED, RG_STREAM_REMOVED, "", false);
}

/* Takes the user out of the room and frees it; destroys an empty room.
 * reason: the rg_stream_reason that ended the user (server events). */
static void user_remove(struct rg_user *u, bool notify, int reason)
{
	struct rg_room *room = u->room;
	g_hash_table_remove(room->by_id, u->id);
	g_ptr_array_remove(room->users, u);
	room->reg->users--;
	RG_INFO(ROOM, "room %s: %s left", room->id, u->id);
	if (notify)
		notify_users(room, u, false);
	emit_user(u, reason);
	user_free(u);
	if (room->users->len == 0)
		room_destroy(room);
	else if (!room->closing && only_passive(room))
		close_passive(room);
}

static void kick(struct rg_user *u, enum rg_kick_cause cause, int stream_reason, const char *reason,
		 bool notify)
{
	user_delete_streams(u, stream_reason);
	if (u->ops->kickout)
		u->ops->kickout(u->member, u->room, cause, reason);
	user_remove(u, notify, stream_reason);
}

/* Same user ID joins again: the old member goes, the user stays. */
static int take_over(struct rg_user *old, const struct rg_join_params *p, struct rg_user **out)
{
	RG_INFO(ROOM, "room %s: %s logged in again; older session kicked out", old->room->id, old->id);
	user_delete_streams(old, RG_STREAM_DUPLICATE_LOGIN);
	if (old->ops->kickout)
		old->ops->kickout(old->member, old->room, RG_KICK_DUPLICATE, "");
	g_free(old->name);
	old->name = g_strdup(p->user_name ? p->user_name : "");
	old->kind = p->kind;
	old->want_user_updates = p->want_user_updates;
	old->hidden = p->hidden;
	old->passive = p->passive;
	old->ops = p->ops;
	old->member = p->member;
	old->joined_ms = wall_ms();
	*out = old;
	return 0;
}

int rg_room_join(struct rg_registry *reg, const struct rg_join_params *p, struct rg_user **out)
{
	RG_ASSERT_LOOP(reg->loop);
	int rc = rg_validate_room_id(p->room_id);
	if (!rc)
		rc = rg_validate_user_id(p->user_id);
	if (!rc)
		rc = rg_validate_user_name(p->user_name);
	if (rc)
		return rc;
	struct rg_room *room = g_hash_table_lookup(reg->rooms, p->room_id);
	bool created = !room;
	if (room) {
		struct rg_user *old = g_hash_table_lookup(room->by_id, p->user_id);
		if (old)
			return take_over(old, p, out);
		if (room->users->len >= reg->lim.max_users_per_room)
			return -RG_E_ROOM_FULL;
	} else {
		if (g_hash_table_size(reg->rooms) >= reg->lim.max_rooms)
			return -RG_E_MAX_ROOMS;
		room = room_create(reg, p->room_id);
	}
	struct rg_user *u = user_new(room, p);
	g_ptr_array_add(room->users, u);
	g_hash_table_insert(room->by_id, u->id, u);
	reg->users++;
	RG_INFO(ROOM, "room %s: %s joined (%u users)", room->id, u->id, room->users->len);
	notify_users(room, u, true);
	emit_user(u, 0);
	*out = u;
	if (created && reg->created)
		reg->created(reg->created_arg, room);
	return 0;
}

void rg_registry_set_room_created(struct rg_registry *reg, rg_room_created_fn fn, void *arg)
{
	RG_ASSERT_LOOP(reg->loop);
	reg->created = fn;
	reg->created_arg = arg;
}

void rg_user_leave(struct rg_user *user, int stream_reason)
{
	RG_ASSERT_LOOP(user->room->reg->loop);
	user_delete_streams(user, stream_reason);
	user_remove(user, true, stream_reason);
}

void rg_user_set_member(struct rg_user *user, void *member)
{
	user->member = member;
}

void rg_room_kick(struct rg_user *user, const char *reason)
{
	RG_ASSERT_LOOP(user->room->reg->loop);
	RG_INFO(ROOM, "room %s: %s kicked out by the server", user->room->id, user->id);
	kick(user, RG_KICK_ADMIN, RG_STREAM_KICKED, reason ? reason : "", true);
}

void rg_room_close(struct rg_room *room, const char *reason)
{
	RG_ASSERT_LOOP(room->reg->loop);
	RG_INFO(ROOM, "room %s: closing (%u users)", room->id, room->users->len);
	room->close_reason = reason ? reason : "";
	room->closing = true;
	/* every user goes; the last removal destroys the room */
	while (room->users->len > 1)
		kick(room->users->pdata[room->users->len - 1], RG_KICK_ROOM_CLOSED, RG_STREAM_REMOVED,
		     reason ? reason : "", false);
	kick(room->users->pdata[0], RG_KICK_ROOM_CLOSED, RG_STREAM_REMOVED, reason ? reason : "", false);
}

struct rg_room *rg_user_room(const struct rg_user *u) { return u->room; }
const char *rg_user_id(const struct rg_user *u) { return u->id; }
const char *rg_user_name(const struct rg_user *u) { return u->name; }
const char *rg_room_id(const struct rg_room *r) { return r->id; }
unsigned rg_room_worker(const struct rg_room *r) { return r->worker; }
unsigned rg_room_user_count(const struct rg_room *r) { return r->users->len; }
unsigned rg_room_visible_count(const struct rg_room *r) { return visible_count(r); }

size_t rg_room_users(struct rg_room *room, struct rg_user_info *out, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; i < room->users->len && n < cap; i++) {
		struct rg_user *u = room->users->pdata[i];
		if (u->hidden)
			continue;
		out[n].user_id = u->id;
		out[n].user_name = u->name;
		n++;
	}
	return n;
}

size_t rg_room_streams(struct rg_room *room, struct rg_stream_info *out, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; i < room->users->len; i++) {
		struct rg_user *u = room->users->pdata[i];
		for (unsigned k = 0; k < u->streams->len && n < cap; k++)
			stream_info(u->streams->pdata[k], &out[n++]);
	}
	return n;
}

struct rg_room *rg_registry_find(struct rg_registry *reg, const char *room_id)
{
	return room_id ? g_hash_table_lookup(reg->rooms, room_id) : NULL;
}

struct rg_stream *rg_registry_find_stream(struct rg_registry *reg, const char *stream_id)
{
	return stream_id ? g_hash_table_lookup(reg->streams, stream_id) : NULL;
}

struct rg_user *rg_room_find_user(struct rg_room *room, const char *user_id)
{
	return user_id ? g_hash_table_lookup(room->by_id, user_id) : NULL;
}

/* ---- JSON ---- */

cJSON *rg_stream_to_json(const struct rg_stream *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "stream_id", s->id);
	cJSON_AddStringToObject(o, "room_id", s->user->room->id);
	cJSON_AddStringToObject(o, "user_id", s->user->id);
	cJSON_AddStringToObject(o, "user_name", s->user->name);
	cJSON_AddStringToObject(o, "extra_info", s->extra_info);
	cJSON_AddNumberToObject(o, "created_ms", (double)s->created_ms);
	return o;
}

cJSON *rg_user_to_json(const struct rg_user *u)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user_id", u->id);
	cJSON_AddStringToObject(o, "user_name", u->name);
	cJSON_AddStringToObject(o, "kind", u->kind == RG_USER_CLIENT ? "client" : "virtual");
	cJSON_AddBoolToObject(o, "hidden", u->hidden);
	cJSON_AddNumberToObject(o, "joined_ms", (double)u->joined_ms);
	cJSON *streams = cJSON_AddArrayToObject(o, "streams");
	for (unsigned i = 0; i < u->streams->len; i++) {
		const struct rg_stream *s = u->streams->pdata[i];
		cJSON_AddItemToArray(streams, cJSON_CreateString(s->id));
	}
	return o;
}

cJSON *rg_room_users_json(const struct rg_room *room)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < room->users->len; i++)
		cJSON_AddItemToArray(a, rg_user_to_json(room->users->pdata[i]));
	return a;
}

cJSON *rg_room_streams_json(const struct rg_room *room)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < room->users->len; i++) {
		const struct rg_user *u = room->users->pdata[i];
		for (unsigned k = 0; k < u->streams->len; k++)
			cJSON_AddItemToArray(a, rg_stream_to_json(u->streams->pdata[k]));
	}
	return a;
}

static unsigned room_stream_count(const struct rg_room *room)
{
	unsigned n = 0;
	for (unsigned i = 0; i < room->users->len; i++)
		n += ((const struct rg_user *)room->users->pdata[i])->streams->len;
	return n;
}

cJSON *rg_room_to_json(const struct rg_room *room, bool detail)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "room_id", room->id);
	cJSON_AddNumberToObject(o, "created_ms", (double)room->created_ms);
	cJSON_AddNumberToObject(o, "worker", room->worker);
	cJSON_AddNumberToObject(o, "user_count", room->users->len);
	cJSON_AddNumberToObject(o, "stream_count", room_stream_count(room));
	if (detail) {
		cJSON_AddItemToObject(o, "users", rg_room_users_json(room));
		cJSON_AddItemToObject(o, "streams", rg_room_streams_json(room));
	}
	return o;
}

static gint cmp_room(gconstpointer a, gconstpointer b)
{
	const struct rg_room *ra = *(struct rg_room *const *)a, *rb = *(struct rg_room *const *)b;
	return strcmp(ra->id, rb->id);
}

cJSON *rg_registry_rooms_json(const struct rg_registry *reg)
{
	GPtrArray *rooms = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, reg->rooms);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(rooms, v);
	g_ptr_array_sort(rooms, cmp_room);
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < rooms->len; i++)
		cJSON_AddItemToArray(a, rg_room_to_json(rooms->pdata[i], false));
	g_ptr_array_free(rooms, TRUE);
	return a;
}
