/* Server events on the control loop: what happened in rooms, media, SIP
 * and recordings, as (type, JSON data). Modules emit; subscribers (the
 * webhook sender, ...) receive every event synchronously on the control
 * loop and must not block (queue and return).
 *
 * Types (docs/webhooks.md lists each one's data):
 *   room.created room.closed user.joined user.left stream.added
 *   stream.removed talking.started talking.stopped rtp_endpoint.added
 *   rtp_endpoint.removed mix.started mix.stopped recording.started
 *   recording.finished recording.failed sip.call sip.registration sip.dtmf */
#ifndef RG_CORE_EVENTS_H
#define RG_CORE_EVENTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

struct rg_loop;
struct rg_events;

typedef void (*rg_event_fn)(void *ctx, const char *type, const cJSON *data);

struct rg_events *rg_events_new(struct rg_loop *control);
void rg_events_free(struct rg_events *ev);
/* 0, or -ENOMEM. Subscribers are called in subscription order. */
int rg_events_subscribe(struct rg_events *ev, rg_event_fn fn, void *ctx);
/* Removes the subscription (fn, ctx); no-op when there is none. Not from
 * inside a subscriber. */
void rg_events_unsubscribe(struct rg_events *ev, rg_event_fn fn, void *ctx);
/* Emits and frees data (an object; room_id etc. inside). ev may be NULL
 * (then data is just freed). */
void rg_events_emit(struct rg_events *ev, const char *type, cJSON *data);

/* The catalogue of types above and filters over it (pure, any thread).
 * A pattern is "*" (every type), "<category>.*" ("room.*": every type
 * starting with "room.") or one type ("user.joined"). */
/* NULL-terminated list of every type, in the order above. */
extern const char *const rg_event_types[];
/* Whether pattern is "*", a known type, or "<category>.*" for a category
 * that has known types. */
bool rg_event_pattern_valid(const char *pattern);
bool rg_event_pattern_match(const char *pattern, const char *type);

#endif
