/* Rooms, users and streams of one AppID (control loop only).
 *
 * A room is created by its first member and destroyed when its last member
 * leaves (or by rg_room_close). A member is anything that joins: a client
 * session (signal/) or, later, a virtual participant (sip/, record/, ...).
 * The room tells members about changes through rg_member_ops; it never
 * knows what a member is. Stream IDs are unique across the AppID.
 *
 * Ownership: the registry owns rooms; a room owns its users; a user owns
 * its streams. A member holds a struct rg_user * from rg_room_join until it
 * calls rg_user_leave or receives the kickout callback (after which the
 * pointer is gone). Every function asserts it runs on the registry's loop. */
#ifndef RG_ROOM_ROOM_H
#define RG_ROOM_ROOM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_events;
struct rg_registry;
struct rg_room;
struct rg_user;
struct rg_stream;

#define RG_USER_ID_MAX 64
#define RG_USER_NAME_MAX 256
#define RG_ROOM_ID_MAX 128
#define RG_STREAM_ID_MAX 256
#define RG_EXTRA_INFO_MAX 1024

/* ZEGO stream delete reasons (roomStreamUpdate DELETE). */
enum rg_stream_reason {
	RG_STREAM_STOPPED = 1,
	RG_STREAM_HEARTBEAT_TIMEOUT = 2,
	RG_STREAM_DUPLICATE_LOGIN = 3,
	RG_STREAM_KICKED = 4,
	RG_STREAM_DISCONNECTED = 5,
	RG_STREAM_REMOVED = 6,
};
const char *rg_stream_reason_text(int reason);

/* Why a member is kicked out. */
enum rg_kick_cause {
	RG_KICK_ADMIN = 1,      /* DELETE /v1/rooms/{room}/users/{user}: 1002055 */
	RG_KICK_ROOM_CLOSED,    /* DELETE /v1/rooms/{room}: 1002055 */
	RG_KICK_DUPLICATE,      /* same userID logged in again: 1002050 */
};

enum rg_user_kind { RG_USER_CLIENT = 0, RG_USER_VIRTUAL };

struct rg_user_info {
	const char *user_id;
	const char *user_name;
};

struct rg_stream_info {
	const char *stream_id;
	const char *user_id;
	const char *user_name;
	const char *extra_info;
	int64_t created_ms; /* wall clock */
};

/* Callbacks a member gets; all on the control loop. Each may be NULL. */
struct rg_member_ops {
	/* add: users that joined; !add: users that left (only when the member
	 * joined with want_user_updates). */
	void (*users)(void *member, struct rg_room *room, bool add, const struct rg_user_info *users,
		      size_t n);
	/* add: streams published; !add: removed with reason (per stream). */
	void (*streams)(void *member, struct rg_room *room, bool add,
			const struct rg_stream_info *streams, size_t n, int reason);
	void (*user_count)(void *member, struct rg_room *room, unsigned count);
	/* The server removed one of this member's own streams (admin API);
	 * the others got a stream DELETE with reason 6. */
	void (*stream_removed)(void *member, struct rg_room *room, const char *stream_id,
			       const char *reason);
	/* The member's user is removed right after this returns (its streams
	 * already deleted); the member must drop its rg_user pointer. */
	void (*kickout)(void *member, struct rg_room *room, enum rg_kick_cause cause,
			const char *reason);
	/* A stream in the room started or stopped talking (level 0..100). */
	void (*talking)(void *member, struct rg_room *room, const struct rg_stream_info *stream,
			bool talking, unsigned level);
};

struct rg_registry_limits {
	unsigned max_rooms;
	unsigned max_users_per_room;
	unsigned media_workers; /* rooms are placed on one of these */
};

/* Created on and bound to the calling (control) loop. */
struct rg_registry *rg_registry_new(struct rg_loop *control, const struct rg_registry_limits *lim);
/* Closes every room (members get RG_KICK_ROOM_CLOSED) and frees. */
void rg_registry_free(struct rg_registry *reg);
/* Room, user and stream events (room.created, room.closed, user.joined,
 * user.left, stream.added, stream.removed; docs/webhooks.md) go to ev from
 * now on; NULL: none. ev must outlive the registry. */
void rg_registry_set_events(struct rg_registry *reg, struct rg_events *ev);

unsigned rg_registry_room_count(const struct rg_registry *reg);
unsigned rg_registry_user_count(const struct rg_registry *reg);
unsigned rg_registry_stream_count(const struct rg_registry *reg);

/* ID validation (pure): 0 or -RG_E_* naming the problem. */
int rg_validate_room_id(const char *id);
int rg_validate_user_id(const char *id);
int rg_validate_user_name(const char *name);
int rg_validate_stream_id(const char *id);

struct rg_join_params {
	const char *room_id;
	const char *user_id;
	const char *user_name;
	enum rg_user_kind kind;
	bool want_user_updates;
	const struct rg_member_ops *ops;
	void *member;
	/* Not shown to other members: no user ADD/DELETE for it, left out of
	 * rg_room_users and of the online count (the admin API still lists
	 * it). */
	bool hidden;
	/* Does not keep the room open: when only such users remain, the room
	 * closes (they get RG_KICK_ROOM_CLOSED, room.closed says "empty"). */
	bool passive;
};

/* Called once the first member of a new room has joined (rg_room_join has
 * set *out and returns right after). */
typedef void (*rg_room_created_fn)(void *arg, struct rg_room *room);
void rg_registry_set_room_created(struct rg_registry *reg, rg_room_created_fn fn, void *arg);

/* Joins (creating the room if needed). When the user ID is already in the
 * room, the older member is kicked (RG_KICK_DUPLICATE, its streams deleted
 * with reason 3) and the new member takes the user over: other members see
 * no user change. Returns 0 and *out, or -RG_E_MAX_ROOMS / -RG_E_ROOM_FULL /
 * an ID validation error. */
int rg_room_join(struct rg_registry *reg, const struct rg_join_params *p, struct rg_user **out);

/* The user leaves: its streams are deleted with stream_reason, others get a
 * user DELETE and the new count; the room goes when empty. user is freed. */
void rg_user_leave(struct rg_user *user, int stream_reason);

/* Moves a user to another member (session resume); events then go there. */
void rg_user_set_member(struct rg_user *user, void *member);

struct rg_room *rg_user_room(const struct rg_user *user);
const char *rg_user_id(const struct rg_user *user);
const char *rg_user_name(const struct rg_user *user);
const char *rg_room_id(const struct rg_room *room);
unsigned rg_room_worker(const struct rg_room *room);
unsigned rg_room_user_count(const struct rg_room *room);
/* Users other members see (hidden ones left out): the online count. */
unsigned rg_room_visible_count(const struct rg_room *room);

/* Publishes a stream for user: -RG_E_STREAM_EXISTS when the ID is taken in
 * the AppID, or a stream ID validation error. Others get stream ADD. */
int rg_stream_publish(struct rg_user *user, const char *stream_id, const char *extra_info,
		      struct rg_stream **out);
/* Removes a stream of this user; -RG_E_STREAM_NOT_FOUND if it is not theirs. */
int rg_stream_unpublish(struct rg_user *user, const char *stream_id, int reason);

/* Snapshots for a joining member (arrays valid until the next room change);
 * rg_room_users leaves hidden users out. */
size_t rg_room_users(struct rg_room *room, struct rg_user_info *out, size_t cap);
size_t rg_room_streams(struct rg_room *room, struct rg_stream_info *out, size_t cap);

/* Admin operations. */
struct rg_room *rg_registry_find(struct rg_registry *reg, const char *room_id);
struct rg_stream *rg_registry_find_stream(struct rg_registry *reg, const char *stream_id);
struct rg_user *rg_room_find_user(struct rg_room *room, const char *user_id);
void rg_room_close(struct rg_room *room, const char *reason);
void rg_room_kick(struct rg_user *user, const char *reason);
struct rg_room *rg_stream_room(const struct rg_stream *s);
struct rg_user *rg_stream_user(const struct rg_stream *s);
/* Removes any user's stream by the server's decision (admin API): others
 * get DELETE with 'reason', the publisher gets stream_removed with 'message'. */
void rg_stream_remove(struct rg_stream *s, int reason, const char *message);

/* Tells every member of the stream's room (the publisher too) that it
 * started or stopped talking. */
void rg_stream_talking(struct rg_stream *s, bool talking, unsigned level);
const char *rg_stream_id(const struct rg_stream *s);

/* JSON descriptions for the admin API (caller owns the result). */
cJSON *rg_room_to_json(const struct rg_room *room, bool detail);
cJSON *rg_user_to_json(const struct rg_user *user);
cJSON *rg_stream_to_json(const struct rg_stream *s);
cJSON *rg_registry_rooms_json(const struct rg_registry *reg);
cJSON *rg_room_users_json(const struct rg_room *room);
cJSON *rg_room_streams_json(const struct rg_room *room);

#endif
