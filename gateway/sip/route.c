/* Dial-in routed by a webhook: a rule with route_url POSTs the call's
 * description to that URL and the answer decides (docs/sip.md):
 *
 *   {"room": "r", "user_id"?: "..", "user_name"?: "..", "pin"?: "1234"}  joins r
 *   {"reject": 486}                                                     refuses (400..699)
 *
 * Anything else (no answer within route_timeout_ms, an HTTP status other
 * than 200, a body that is not such an object, an invalid room or user)
 * refuses with 503, or with route_fallback "rule" takes the rule's own
 * room. Requests are signed like webhooks (X-Roomgate-Signature) when the
 * rule has a route_secret.
 *
 * Each request is a short thread doing one blocking libcurl POST with the
 * timeout; its result comes back to the control loop with rg_loop_call.
 * At most ROUTE_PENDING_MAX are under way: more calls are refused 503, so
 * a flood cannot make threads without bound. The result finds its call by
 * ID (a call cancelled meanwhile is gone or ended); a box shared with the
 * gateway tells results that arrive after shutdown that there is nothing
 * left to do. */
#include <curl/curl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/loop.h"
#include "hooks/webhooks.h"
#include "room/room.h"
#include "sip/sip_int.h"

#define ROUTE_PENDING_MAX 32
#define ROUTE_BODY_MAX 8192

struct route_box {
	struct rg_sip *s; /* NULL once the gateway is gone */
	unsigned refs;
	GPtrArray *threads;
};

struct route_req {
	struct route_box *box;        /* control loop only */
	struct rg_loop *control;
	GThread *thread;
	char call_id[CALL_ID_LEN + 1];
	char *url, *secret, *body;   /* request */
	long timeout_ms;
	char *offer, *ct;            /* the INVITE's SDP, for sip_dialin_finish */
	size_t offer_len;
	bool fallback_rule;
	long http;                   /* response */
	char *resp;
	size_t resp_len;
	char err[CURL_ERROR_SIZE];
};

static struct route_box *box_of(struct rg_sip *s)
{
	if (!s->route_box) {
		s->route_box = g_new0(struct route_box, 1);
		s->route_box->s = s;
		s->route_box->refs = 1;
		s->route_box->threads = g_ptr_array_new();
	}
	return s->route_box;
}

static void box_unref(struct route_box *b)
{
	if (--b->refs)
		return;
	g_ptr_array_free(b->threads, TRUE);
	g_free(b);
}

static void req_free(struct route_req *r)
{
	g_free(r->url);
	g_free(r->secret);
	g_free(r->body);
	g_free(r->offer);
	g_free(r->ct);
	g_free(r->resp);
	g_free(r);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct route_req *r = arg;
	size_t len = size * n;
	if (r->resp_len + len > ROUTE_BODY_MAX)
		return 0; /* too long: the transfer fails */
	r->resp = g_realloc(r->resp, r->resp_len + len + 1);
	memcpy(r->resp + r->resp_len, p, len);
	r->resp_len += len;
	r->resp[r->resp_len] = '\0';
	return len;
}

static void route_done(void *arg);

/* The request thread: one POST. */
static gpointer route_thread(gpointer arg)
{
	struct route_req *r = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (r->secret) {
		char sig[RG_WEBHOOK_SIG_LEN], line[160];
		int64_t ts = (int64_t)time(NULL);
		if (!rg_webhook_sign(sig, r->secret, strlen(r->secret), ts, r->body, strlen(r->body))) {
			snprintf(line, sizeof line, "X-Roomgate-Timestamp: %lld", (long long)ts);
			hdr = curl_slist_append(hdr, line);
			snprintf(line, sizeof line, "X-Roomgate-Signature: %s", sig);
			hdr = curl_slist_append(hdr, line);
		}
	}
	if (h) {
		curl_easy_setopt(h, CURLOPT_URL, r->url);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->err);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "roomgate/" RG_VERSION);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http);
		curl_easy_cleanup(h);
	} else {
		snprintf(r->err, sizeof r->err, "libcurl could not start");
	}
	curl_slist_free_all(hdr);
	rg_loop_call(r->control, route_done, r);
	return NULL;
}

static struct call *call_by_id(struct rg_sip *s, const char *id)
{
	for (struct call *c = s->calls; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

/* Applies an answer; 0 to go on, or the status to refuse with. */
static int apply(struct call *c, struct route_req *r, const char **why)
{
	*why = r->err[0] ? r->err : "no answer";
	if (r->http != 200) {
		if (r->http)
			*why = "HTTP status not 200";
		return 503;
	}
	cJSON *j = cJSON_Parse(r->resp ? r->resp : "");
	int status = 503;
	*why = "the answer is not a JSON object with \"room\" or \"reject\"";
	const cJSON *rej = cJSON_GetObjectItemCaseSensitive(j, "reject");
	const cJSON *room = cJSON_GetObjectItemCaseSensitive(j, "room");
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(j, "user_id");
	const cJSON *un = cJSON_GetObjectItemCaseSensitive(j, "user_name");
	const cJSON *pin = cJSON_GetObjectItemCaseSensitive(j, "pin");
	if (cJSON_IsNumber(rej) && rej->valueint >= 400 && rej->valueint <= 699 && rej->valuedouble == rej->valueint) {
		*why = "rejected by the webhook";
		status = rej->valueint;
	} else if (cJSON_IsString(room) && (!uid || cJSON_IsString(uid)) && (!un || cJSON_IsString(un)) &&
		   (!pin || (cJSON_IsString(pin) && strlen(pin->valuestring) < sizeof c->pin &&
			     strspn(pin->valuestring, "0123456789") == strlen(pin->valuestring)))) {
		if (rg_validate_room_id(room->valuestring) || (uid && rg_validate_user_id(uid->valuestring)) ||
		    (un && rg_validate_user_name(un->valuestring))) {
			*why = "the answer's room, user_id or user_name is not valid";
		} else {
			free(c->room_id);
			c->room_id = strdup(room->valuestring);
			if (uid) {
				free(c->user_id);
				c->user_id = strdup(uid->valuestring);
			}
			if (un) {
				free(c->user_name);
				c->user_name = strdup(un->valuestring);
			}
			if (pin)
				snprintf(c->pin, sizeof c->pin, "%s", pin->valuestring);
			status = 0;
		}
	}
	cJSON_Delete(j);
	return status;
}

static void route_done(void *arg)
{
	struct route_req *r = arg;
	struct rg_sip *s = r->box->s;
	g_thread_join(r->thread); /* it has posted this: it is ending */
	g_ptr_array_remove_fast(r->box->threads, r->thread);
	if (!s) /* the gateway is closing (sip_route_shutdown) */
		goto out;
	s->route_pending--;
	struct call *c = call_by_id(s, r->call_id);
	if (!c || c->state == CS_ENDED || s->closing) { /* cancelled meanwhile */
		if (c && c->state != CS_ENDED)
			sip_dialin_refuse(c, 503);
		goto out;
	}
	const char *why;
	int status = apply(c, r, &why);
	if (status == 503 && r->fallback_rule) {
		RG_WARN(SIP, "call %s: routing webhook: %s; the rule's room %s", c->id, why, c->room_id);
		status = 0;
	}
	if (status) {
		RG_INFO(SIP, "call %s: refused %d: routing webhook: %s", c->id, status, why);
		sip_dialin_refuse(c, status);
		goto out;
	}
	RG_INFO(SIP, "call %s: routed to room %s, user %s", c->id, c->room_id, c->user_id);
	sip_dialin_finish(c, r->offer, r->offer_len, r->ct);
out:
	box_unref(r->box);
	req_free(r);
}

void sip_route_ask(struct call *c, const struct rg_config_sip_rule *rule, const char *uri_user,
		   const char *caller, const char *body, size_t len, const char *ct)
{
	struct rg_sip *s = c->sip;
	if (s->route_pending >= ROUTE_PENDING_MAX) {
		RG_WARN(SIP, "call %s: refused 503: %u routing webhook requests under way", c->id, s->route_pending);
		sip_dialin_refuse(c, 503);
		return;
	}
	struct route_req *r = g_new0(struct route_req, 1);
	r->box = box_of(s);
	r->box->refs++;
	r->control = s->d.control;
	snprintf(r->call_id, sizeof r->call_id, "%s", c->id);
	r->url = g_strdup(rule->route_url);
	r->secret = rule->route_secret[0] ? g_strdup(rule->route_secret) : NULL;
	r->timeout_ms = rule->route_timeout_ms;
	r->fallback_rule = rule->route_fallback_rule;
	r->offer = body && len ? g_memdup2(body, len) : NULL;
	r->offer_len = body ? len : 0;
	r->ct = g_strdup(ct);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "call_id", c->id);
	cJSON_AddStringToObject(j, "from", c->from);
	cJSON_AddStringToObject(j, "to", c->to);
	cJSON_AddStringToObject(j, "uri_user", uri_user);
	cJSON_AddStringToObject(j, "caller", caller);
	if (c->trunk)
		cJSON_AddStringToObject(j, "trunk", c->trunk->cfg->name);
	cJSON_AddStringToObject(j, "room", c->room_id); /* the rule's own, for reference */
	char *t = cJSON_PrintUnformatted(j);
	r->body = g_strdup(t);
	cJSON_free(t);
	cJSON_Delete(j);
	GThread *th = g_thread_try_new("sip-route", route_thread, r, NULL);
	if (!th) {
		RG_WARN(SIP, "call %s: refused 503: cannot start a routing request", c->id);
		box_unref(r->box);
		req_free(r);
		sip_dialin_refuse(c, 503);
		return;
	}
	r->thread = th;
	g_ptr_array_add(r->box->threads, th);
	s->route_pending++;
}

/* Shutdown: runs the control loop until the requests under way have
 * ended (each within its timeout); their results are dropped. */
void sip_route_shutdown(struct rg_sip *s)
{
	struct route_box *b = s->route_box;
	if (!b)
		return;
	b->s = NULL;
	GMainContext *ctx = rg_loop_glib_context(s->d.control);
	while (b->threads->len)
		g_main_context_iteration(ctx, TRUE);
	s->route_box = NULL;
	box_unref(b);
}
