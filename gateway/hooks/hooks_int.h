/* Private to hooks/: the objects shared by the control side (webhooks.c)
 * and the delivery loop (deliver.c). Each field says which thread owns it. */
#ifndef RG_HOOKS_INT_H
#define RG_HOOKS_INT_H

#include <curl/curl.h>
#include <glib.h>
#include <stdatomic.h>
#include <stdint.h>

#include "hooks/webhooks.h"

struct rg_config_webhook;
struct wh_sender;

/* One configured endpoint. */
struct wh_endpoint {
	unsigned index;                     /* position in "webhooks" */
	const struct rg_config_webhook *cfg; /* read-only, any thread */
	char url_redacted[256];             /* read-only, for logs and metrics */
	/* counters: bumped by either thread (relaxed), read by /metrics */
	_Atomic uint64_t delivered, failed, retries, dropped_overflow, dropped_shutdown;
	_Atomic unsigned depth; /* accepted and not yet delivered, given up or dropped */
	/* control loop only */
	int64_t overflow_logged_us;
	uint64_t overflow_unlogged;
	/* delivery loop only (deliver.c) */
	GQueue pending;      /* struct wh_item *, oldest first */
	struct wh_item *cur; /* being sent, or waiting for its retry */
	CURL *easy;          /* the attempt in flight */
	struct curl_slist *headers;
	unsigned retry_timer;
	char errbuf[CURL_ERROR_SIZE];
	struct wh_sender *sender;
};

/* One event for one endpoint; ownership goes with the post to the
 * delivery loop. */
struct wh_item {
	struct wh_endpoint *ep;
	char id[33];
	char type[64];
	char *body;
	size_t len;
	unsigned attempts;
};

void wh_item_free(struct wh_item *it);

/* deliver.c. start/post/stop are called on the control loop. */
struct wh_sender *wh_sender_start(struct wh_endpoint *eps, unsigned n, char *err, size_t errlen);
/* Hands it to the delivery loop (ep->depth was counted by the caller). */
void wh_sender_post(struct wh_sender *s, struct wh_item *it);
/* Waits up to grace_ms for pending deliveries, drops the rest, joins the
 * thread and frees s. */
void wh_sender_stop(struct wh_sender *s, unsigned grace_ms);

#endif
