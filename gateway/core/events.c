/* Server event fan-out (control loop). See events.h. */
#include "core/events.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/loop.h"

struct sub {
	rg_event_fn fn;
	void *ctx;
};

struct rg_events {
	struct rg_loop *loop;
	GArray *subs; /* struct sub */
};

struct rg_events *rg_events_new(struct rg_loop *control)
{
	struct rg_events *ev = g_new0(struct rg_events, 1);
	ev->loop = control;
	ev->subs = g_array_new(FALSE, FALSE, sizeof(struct sub));
	return ev;
}

void rg_events_free(struct rg_events *ev)
{
	if (!ev)
		return;
	g_array_free(ev->subs, TRUE);
	g_free(ev);
}

int rg_events_subscribe(struct rg_events *ev, rg_event_fn fn, void *ctx)
{
	RG_ASSERT_LOOP(ev->loop);
	struct sub s = { fn, ctx };
	g_array_append_val(ev->subs, s);
	return 0;
}

void rg_events_unsubscribe(struct rg_events *ev, rg_event_fn fn, void *ctx)
{
	RG_ASSERT_LOOP(ev->loop);
	for (guint i = 0; i < ev->subs->len; i++) {
		struct sub *s = &g_array_index(ev->subs, struct sub, i);
		if (s->fn == fn && s->ctx == ctx) {
			g_array_remove_index(ev->subs, i);
			return;
		}
	}
}

void rg_events_emit(struct rg_events *ev, const char *type, cJSON *data)
{
	if (ev) {
		RG_ASSERT_LOOP(ev->loop);
		for (guint i = 0; i < ev->subs->len; i++) {
			struct sub *s = &g_array_index(ev->subs, struct sub, i);
			s->fn(s->ctx, type, data);
		}
	}
	cJSON_Delete(data);
}

const char *const rg_event_types[] = {
	"room.created", "room.closed", "user.joined", "user.left", "stream.added",
	"stream.removed", "talking.started", "talking.stopped", "rtp_endpoint.added",
	"rtp_endpoint.removed", "mix.started", "mix.stopped", "recording.started",
	"recording.finished", "recording.failed", "sip.call", "sip.registration", "sip.dtmf",
	NULL,
};

bool rg_event_pattern_match(const char *pattern, const char *type)
{
	if (!strcmp(pattern, "*"))
		return true;
	size_t n = strlen(pattern);
	if (n >= 2 && !strcmp(pattern + n - 2, ".*"))
		return !strncmp(type, pattern, n - 1); /* prefix including the dot */
	return !strcmp(pattern, type);
}

bool rg_event_pattern_valid(const char *pattern)
{
	size_t n = strlen(pattern);
	if (!strcmp(pattern, "*"))
		return true;
	if (n > 2 && !strcmp(pattern + n - 2, ".*") && !memchr(pattern, '.', n - 2)) {
		for (const char *const *t = rg_event_types; *t; t++)
			if (rg_event_pattern_match(pattern, *t))
				return true;
		return false;
	}
	for (const char *const *t = rg_event_types; *t; t++)
		if (!strcmp(pattern, *t))
			return true;
	return false;
}
