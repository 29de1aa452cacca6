/* Webhooks, control side: the event subscriber (filter, body, bounded
 * enqueue), lifecycle and /metrics text. Delivery is in deliver.c.
 * Control loop only, except the atomic counters. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "hooks/hooks_int.h"

struct rg_webhooks {
	struct rg_loop *control;
	struct rg_events *events;
	struct wh_endpoint *eps;
	unsigned n;
	struct wh_sender *sender; /* NULL when no endpoint is configured */
	bool closing;
};

/* A full queue is logged at most every 10 s per endpoint (with the count
 * dropped since), so an overflow storm does not flood the log. */
#define OVERFLOW_LOG_INTERVAL_US (10 * 1000000LL)

void wh_item_free(struct wh_item *it)
{
	if (!it)
		return;
	free(it->body);
	free(it);
}

static void note_overflow(struct wh_endpoint *ep, const char *type)
{
	atomic_fetch_add_explicit(&ep->dropped_overflow, 1, memory_order_relaxed);
	ep->overflow_unlogged++;
	int64_t now = rg_mono_us();
	if (ep->overflow_logged_us && now - ep->overflow_logged_us < OVERFLOW_LOG_INTERVAL_US)
		return;
	RG_WARN(WEBHOOK, "webhook %u (%s): queue full (%u events); dropped %s (%llu dropped since the last report)",
		ep->index, ep->url_redacted, ep->cfg->queue, type, (unsigned long long)ep->overflow_unlogged);
	ep->overflow_logged_us = now;
	ep->overflow_unlogged = 0;
}

static struct wh_item *item_new(struct wh_endpoint *ep, const char *id, const char *type, const char *body,
				size_t len)
{
	struct wh_item *it = calloc(1, sizeof *it);
	char *b = malloc(len + 1);
	if (!it || !b) {
		free(it);
		free(b);
		return NULL;
	}
	memcpy(b, body, len + 1);
	it->ep = ep;
	snprintf(it->id, sizeof it->id, "%s", id);
	snprintf(it->type, sizeof it->type, "%s", type);
	it->body = b;
	it->len = len;
	return it;
}

/* The subscriber: on the control loop for every server event. */
static void on_event(void *ctx, const char *type, const cJSON *data)
{
	struct rg_webhooks *wh = ctx;
	RG_ASSERT_LOOP(wh->control);
	if (wh->closing)
		return;
	char id[33] = "";
	char *body = NULL;
	size_t len = 0;
	for (unsigned i = 0; i < wh->n; i++) {
		struct wh_endpoint *ep = &wh->eps[i];
		if (!rg_webhook_wants(ep->cfg, type))
			continue;
		if (atomic_load_explicit(&ep->depth, memory_order_relaxed) >= ep->cfg->queue) {
			note_overflow(ep, type);
			continue;
		}
		if (!body) {
			if (rg_random_id(id, 16) == 0)
				body = rg_webhook_body(id, type, g_get_real_time() / 1000, data);
			if (!body) {
				RG_ERR(WEBHOOK, "%s: could not build the request body; event not sent", type);
				break;
			}
			len = strlen(body);
		}
		struct wh_item *it = item_new(ep, id, type, body, len);
		if (!it) {
			RG_ERR(WEBHOOK, "webhook %u: out of memory; %s %s not sent", ep->index, type, id);
			continue;
		}
		atomic_fetch_add_explicit(&ep->depth, 1, memory_order_relaxed);
		wh_sender_post(wh->sender, it);
	}
	cJSON_free(body);
}

static void log_endpoint(const struct wh_endpoint *ep)
{
	GString *events = g_string_new(NULL);
	for (unsigned k = 0; k < ep->cfg->n_events; k++)
		g_string_append_printf(events, "%s%s", k ? "," : "", ep->cfg->events[k]);
	RG_INFO(WEBHOOK, "webhook %u: %s (events %s; queue %u; %u attempts)", ep->index, ep->url_redacted,
		events->str, ep->cfg->queue, ep->cfg->max_attempts);
	g_string_free(events, TRUE);
}

struct rg_webhooks *rg_webhooks_new(struct rg_loop *control, struct rg_events *ev,
				    const struct rg_config *cfg, char *err, size_t errlen)
{
	RG_ASSERT_LOOP(control);
	struct rg_webhooks *wh = calloc(1, sizeof *wh);
	if (!wh) {
		snprintf(err, errlen, "webhooks: out of memory");
		return NULL;
	}
	wh->control = control;
	wh->events = ev;
	wh->n = cfg->n_webhooks;
	if (wh->n == 0)
		return wh;
	wh->eps = calloc(wh->n, sizeof *wh->eps);
	if (!wh->eps) {
		free(wh);
		snprintf(err, errlen, "webhooks: out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < wh->n; i++) {
		struct wh_endpoint *ep = &wh->eps[i];
		ep->index = i;
		ep->cfg = &cfg->webhooks[i];
		rg_webhook_url_redact(ep->url_redacted, sizeof ep->url_redacted, ep->cfg->url);
		g_queue_init(&ep->pending);
	}
	wh->sender = wh_sender_start(wh->eps, wh->n, err, errlen);
	if (!wh->sender || rg_events_subscribe(ev, on_event, wh) != 0) {
		if (wh->sender)
			snprintf(err, errlen, "webhooks: out of memory");
		rg_webhooks_free(wh);
		return NULL;
	}
	for (unsigned i = 0; i < wh->n; i++)
		log_endpoint(&wh->eps[i]);
	return wh;
}

void rg_webhooks_free(struct rg_webhooks *wh)
{
	if (!wh)
		return;
	RG_ASSERT_LOOP(wh->control);
	wh->closing = true;
	if (wh->n)
		rg_events_unsubscribe(wh->events, on_event, wh);
	if (wh->sender)
		wh_sender_stop(wh->sender, RG_WEBHOOK_GRACE_MS);
	free(wh->eps);
	free(wh);
}

/* Prometheus label value: \ and " escaped. */
static void label_escape(GString *s, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *v);
	}
}

static void head(GString *s, const char *name, const char *type, const char *help)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *rg_webhooks_metrics(const struct rg_webhooks *wh)
{
	if (!wh || !wh->n)
		return NULL;
	GString *s = g_string_sized_new(1024);
	head(s, "roomgate_webhook_endpoint_info", "gauge",
	     "Configured webhook endpoints (URL without credentials or query).");
	for (unsigned i = 0; i < wh->n; i++) {
		g_string_append_printf(s, "roomgate_webhook_endpoint_info{endpoint=\"%u\",url=\"", i);
		label_escape(s, wh->eps[i].url_redacted);
		g_string_append(s, "\"} 1\n");
	}
	head(s, "roomgate_webhook_deliveries_total", "counter",
	     "Webhook events by result: delivered (2xx) or failed (given up after the last attempt).");
	for (unsigned i = 0; i < wh->n; i++) {
		const struct wh_endpoint *ep = &wh->eps[i];
		g_string_append_printf(s, "roomgate_webhook_deliveries_total{endpoint=\"%u\",result=\"delivered\"} %llu\n"
					  "roomgate_webhook_deliveries_total{endpoint=\"%u\",result=\"failed\"} %llu\n",
				       i, (unsigned long long)atomic_load(&ep->delivered), i,
				       (unsigned long long)atomic_load(&ep->failed));
	}
	head(s, "roomgate_webhook_retries_total", "counter", "Webhook attempts that failed and were retried.");
	for (unsigned i = 0; i < wh->n; i++)
		g_string_append_printf(s, "roomgate_webhook_retries_total{endpoint=\"%u\"} %llu\n", i,
				       (unsigned long long)atomic_load(&wh->eps[i].retries));
	head(s, "roomgate_webhook_dropped_total", "counter",
	     "Webhook events dropped: queue full (overflow) or still pending at shutdown.");
	for (unsigned i = 0; i < wh->n; i++) {
		const struct wh_endpoint *ep = &wh->eps[i];
		g_string_append_printf(s, "roomgate_webhook_dropped_total{endpoint=\"%u\",reason=\"overflow\"} %llu\n"
					  "roomgate_webhook_dropped_total{endpoint=\"%u\",reason=\"shutdown\"} %llu\n",
				       i, (unsigned long long)atomic_load(&ep->dropped_overflow), i,
				       (unsigned long long)atomic_load(&ep->dropped_shutdown));
	}
	head(s, "roomgate_webhook_queue_depth", "gauge", "Webhook events waiting, the one being sent included.");
	for (unsigned i = 0; i < wh->n; i++)
		g_string_append_printf(s, "roomgate_webhook_queue_depth{endpoint=\"%u\"} %u\n", i,
				       atomic_load(&wh->eps[i].depth));
	char *out = strdup(s->str);
	g_string_free(s, TRUE);
	return out;
}
