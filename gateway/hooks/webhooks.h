/* Webhooks: server events (core/events.h) POSTed as signed JSON to the
 * endpoints of the "webhooks" configuration. User documentation:
 * docs/webhooks.md.
 *
 * Threads: rg_webhooks_new, rg_webhooks_free and rg_webhooks_metrics run on
 * the control loop. The event subscriber (control loop) only filters,
 * builds the body and posts it to the delivery loop ("webhook" thread),
 * which owns the libcurl handles and the per-endpoint queues; it never
 * blocks the control loop. The queue bound is checked on the control loop
 * against an atomic depth counter, so a full queue drops the new event
 * without waiting.
 *
 * Per endpoint one request is in flight at a time, so events arrive in the
 * order they happened; a failed attempt is retried after backoff_ms,
 * doubling up to max_backoff_ms, until max_attempts, and then given up.
 *
 * The pure helpers below (signature, body, URL redaction, backoff) take no
 * clock, socket or global and are unit-tested. */
#ifndef RG_HOOKS_WEBHOOKS_H
#define RG_HOOKS_WEBHOOKS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_events;
struct rg_config;
struct rg_config_webhook;
struct rg_webhooks;

/* Subscribes to ev and starts the delivery thread (none when cfg has no
 * endpoint). The caller owns the result; cfg and ev must outlive it.
 * Returns NULL with a message in err on failure. */
struct rg_webhooks *rg_webhooks_new(struct rg_loop *control, struct rg_events *ev,
				    const struct rg_config *cfg, char *err, size_t errlen);
/* Stops taking events, gives pending deliveries up to RG_WEBHOOK_GRACE_MS,
 * drops (and counts) the rest, joins the thread and frees. NULL is a no-op. */
void rg_webhooks_free(struct rg_webhooks *wh);
#define RG_WEBHOOK_GRACE_MS 2000

/* Prometheus text for /metrics (malloc'd, caller frees), or NULL when
 * there is nothing to report (wh NULL or no endpoint). */
char *rg_webhooks_metrics(const struct rg_webhooks *wh);

/* ---- pure helpers ---- */

/* "v1=" + lower-case hex HMAC-SHA256(secret, "<ts_s>.<body>") + NUL */
#define RG_WEBHOOK_SIG_LEN (3 + 64 + 1)
/* 0, or -EIO when OpenSSL fails. */
int rg_webhook_sign(char out[RG_WEBHOOK_SIG_LEN], const char *secret, size_t secret_len, int64_t ts_s,
		    const char *body, size_t body_len);

/* The request body {"id","type","timestamp" (Unix ms),"data"} as compact
 * JSON (cJSON_free it); data NULL gives {}. NULL on allocation failure. */
char *rg_webhook_body(const char *id, const char *type, int64_t ts_ms, const cJSON *data);

/* Whether the endpoint's event filter takes type. */
bool rg_webhook_wants(const struct rg_config_webhook *h, const char *type);

/* The URL without credentials, query or fragment ("https://host:8443/path"),
 * for logs and metrics; truncated to cap. */
void rg_webhook_url_redact(char *out, size_t cap, const char *url);

/* Wait before attempt n + 1 after attempt n (1-based) failed:
 * base * 2^(n-1), at most max. */
unsigned rg_webhook_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms);

#endif
