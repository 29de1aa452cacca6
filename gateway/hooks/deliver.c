/* Webhook delivery loop: one thread ("webhook", an rg_loop) that owns a
 * libcurl multi handle, driven by the loop's fd watches and timers
 * (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION), and the per-endpoint
 * queues. Events arrive as posted calls from the control loop.
 *
 * One endpoint:
 *
 *   idle ──event──▶ SENDING ──2xx──▶ delivered ──▶ next event, or idle
 *                    │   ▲
 *     other status,  │   │ retry timer: backoff_ms, doubling, at most
 *     network error  ▼   │ max_backoff_ms
 *                  WAITING ──attempt == max_attempts──▶ given up ──▶ next
 *
 * One request per endpoint is in flight, so each endpoint receives events
 * in the order they happened; a receiver that is down holds back its own
 * queue only.
 *
 * Stop: the control loop posts a drain and waits on a condition variable.
 * The loop finishes as soon as every endpoint is idle, or when the grace
 * period ends: it drops (and counts) what is left, cleans libcurl up on
 * this thread, and signals. The control loop then joins the thread. */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "hooks/hooks_int.h"

struct wh_sender {
	struct rg_loop *loop;
	struct wh_endpoint *eps;
	unsigned n;
	/* delivery loop only (set up on the control loop before the thread runs) */
	CURLM *multi;
	unsigned curl_timer;
	GHashTable *watches; /* set of struct rg_fd_watch *: sockets libcurl watches */
	bool draining, finish_posted, finished;
	unsigned grace_ms, grace_timer;
	/* stop handshake with the control loop (pthread rather than GMutex,
	 * so that ThreadSanitizer sees it) */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool done;
};

static void ep_next(struct wh_endpoint *ep);
static void ep_result(struct wh_endpoint *ep, bool ok, const char *why);

/* ---- libcurl on the loop ---- */

static void read_results(struct wh_sender *s);

static void on_socket_ready(int fd, unsigned events, void *arg)
{
	struct wh_sender *s = arg;
	int mask = (events & RG_FD_IN ? CURL_CSELECT_IN : 0) | (events & RG_FD_OUT ? CURL_CSELECT_OUT : 0) |
		   (events & RG_FD_ERR ? CURL_CSELECT_ERR : 0);
	int running;
	curl_multi_socket_action(s->multi, fd, mask, &running);
	read_results(s);
}

static int socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)e;
	struct wh_sender *s = userp;
	struct rg_fd_watch *w = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (w) {
			g_hash_table_remove(s->watches, w);
			rg_fd_watch_remove(w);
		}
		return 0;
	}
	unsigned ev = (what & CURL_POLL_IN ? RG_FD_IN : 0) | (what & CURL_POLL_OUT ? RG_FD_OUT : 0);
	if (w) {
		rg_fd_watch_set(w, ev);
		return 0;
	}
	w = rg_fd_watch_add(s->loop, fd, ev, on_socket_ready, s);
	if (!w)
		return -1;
	g_hash_table_add(s->watches, w);
	curl_multi_assign(s->multi, fd, w);
	return 0;
}

static bool on_curl_timer(void *arg)
{
	struct wh_sender *s = arg;
	s->curl_timer = 0;
	int running;
	curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	read_results(s);
	return false;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct wh_sender *s = userp;
	rg_timer_cancel(s->curl_timer);
	s->curl_timer = 0;
	if (timeout_ms >= 0)
		s->curl_timer = rg_timer_add(s->loop, (unsigned)timeout_ms, on_curl_timer, s);
	return 0;
}

/* Ends the attempt in flight (result read or shutdown). */
static void attempt_end(struct wh_endpoint *ep)
{
	if (ep->easy) {
		curl_multi_remove_handle(ep->sender->multi, ep->easy);
		curl_easy_cleanup(ep->easy);
		ep->easy = NULL;
	}
	curl_slist_free_all(ep->headers);
	ep->headers = NULL;
}

static void read_results(struct wh_sender *s)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(s->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *e = msg->easy_handle;
		CURLcode rc = msg->data.result;
		char *priv = NULL;
		long status = 0;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		struct wh_endpoint *ep = (struct wh_endpoint *)priv;
		char why[CURL_ERROR_SIZE + 32];
		if (rc != CURLE_OK)
			snprintf(why, sizeof why, "%s", ep->errbuf[0] ? ep->errbuf : curl_easy_strerror(rc));
		else
			snprintf(why, sizeof why, "HTTP status %ld", status);
		attempt_end(ep);
		ep_result(ep, rc == CURLE_OK && status >= 200 && status < 300, why);
	}
}

/* ---- one endpoint ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static bool add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[256];
	snprintf(line, sizeof line, "%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(*list, line);
	if (l)
		*list = l;
	return l != NULL;
}

static bool setup_failed(void *arg)
{
	struct wh_endpoint *ep = arg;
	ep->retry_timer = 0;
	ep_result(ep, false, "could not start the request (out of memory)");
	return false;
}

/* Sends ep->cur once more, signed with the current time. */
static void ep_attempt(struct wh_endpoint *ep)
{
	struct wh_sender *s = ep->sender;
	struct wh_item *it = ep->cur;
	const struct rg_config_webhook *c = ep->cfg;
	it->attempts++;
	char ts[24], attempt[16], sig[RG_WEBHOOK_SIG_LEN];
	int64_t now_s = g_get_real_time() / G_USEC_PER_SEC;
	snprintf(ts, sizeof ts, "%lld", (long long)now_s);
	snprintf(attempt, sizeof attempt, "%u", it->attempts);
	CURL *e = NULL;
	if (rg_webhook_sign(sig, c->secret, strlen(c->secret), now_s, it->body, it->len) == 0)
		e = curl_easy_init();
	bool ok = e && add_header(&ep->headers, "Content-Type", "application/json") &&
		  add_header(&ep->headers, "X-Roomgate-Event", it->type) &&
		  add_header(&ep->headers, "X-Roomgate-Delivery", it->id) &&
		  add_header(&ep->headers, "X-Roomgate-Timestamp", ts) &&
		  add_header(&ep->headers, "X-Roomgate-Signature", sig) &&
		  add_header(&ep->headers, "X-Roomgate-Attempt", attempt) &&
		  add_header(&ep->headers, "Expect", ""); /* no 100-continue round trip */
	if (ok) {
		ep->errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_URL, c->url);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, ep->headers);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "roomgate/" RG_VERSION);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ep->errbuf);
		curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)ep);
		ok = curl_multi_add_handle(s->multi, e) == CURLM_OK;
	}
	if (ok) {
		ep->easy = e;
		return;
	}
	curl_easy_cleanup(e);
	curl_slist_free_all(ep->headers);
	ep->headers = NULL;
	/* report from a timer, not from here: no recursion through ep_next */
	ep->retry_timer = rg_timer_add(s->loop, 0, setup_failed, ep);
}

static bool on_retry(void *arg)
{
	struct wh_endpoint *ep = arg;
	ep->retry_timer = 0;
	ep_attempt(ep);
	return false;
}

static void ep_next(struct wh_endpoint *ep)
{
	if (ep->cur)
		return;
	ep->cur = g_queue_pop_head(&ep->pending);
	if (ep->cur)
		ep_attempt(ep);
}

static bool all_idle(const struct wh_sender *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->eps[i].cur || !g_queue_is_empty(&s->eps[i].pending))
			return false;
	return true;
}

static void finish_cb(void *arg);

/* While stopping: finish once everything is sent (from a posted call, never
 * from inside libcurl's result loop). */
static void check_drained(struct wh_sender *s)
{
	if (s->draining && !s->finish_posted && all_idle(s)) {
		s->finish_posted = true;
		rg_loop_call(s->loop, finish_cb, s);
	}
}

static void item_done(struct wh_endpoint *ep)
{
	wh_item_free(ep->cur);
	ep->cur = NULL;
	atomic_fetch_sub_explicit(&ep->depth, 1, memory_order_relaxed);
}

static void ep_result(struct wh_endpoint *ep, bool ok, const char *why)
{
	struct wh_item *it = ep->cur;
	const struct rg_config_webhook *c = ep->cfg;
	if (ok) {
		atomic_fetch_add_explicit(&ep->delivered, 1, memory_order_relaxed);
		RG_DEBUG(WEBHOOK, "webhook %u: %s %s delivered (attempt %u)", ep->index, it->type, it->id,
			 it->attempts);
	} else if (it->attempts >= c->max_attempts) {
		atomic_fetch_add_explicit(&ep->failed, 1, memory_order_relaxed);
		RG_WARN(WEBHOOK, "webhook %u (%s): gave up %s %s after %u attempts (last: %s)", ep->index,
			ep->url_redacted, it->type, it->id, it->attempts, why);
	} else {
		atomic_fetch_add_explicit(&ep->retries, 1, memory_order_relaxed);
		unsigned wait = rg_webhook_backoff_ms(it->attempts, c->backoff_ms, c->max_backoff_ms);
		RG_DEBUG(WEBHOOK, "webhook %u (%s): %s %s attempt %u failed (%s); retry in %u ms", ep->index,
			 ep->url_redacted, it->type, it->id, it->attempts, why, wait);
		ep->retry_timer = rg_timer_add(ep->sender->loop, wait, on_retry, ep);
		return;
	}
	item_done(ep);
	ep_next(ep);
	check_drained(ep->sender);
}

/* ---- posts from the control loop ---- */

static void on_post(void *arg)
{
	struct wh_item *it = arg;
	struct wh_endpoint *ep = it->ep;
	g_queue_push_tail(&ep->pending, it);
	ep_next(ep);
}

void wh_sender_post(struct wh_sender *s, struct wh_item *it)
{
	rg_loop_call(s->loop, on_post, it);
}

/* ---- stop ---- */

static void finish(struct wh_sender *s)
{
	if (s->finished)
		return;
	s->finished = true;
	rg_timer_cancel(s->grace_timer);
	s->grace_timer = 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct wh_endpoint *ep = &s->eps[i];
		attempt_end(ep);
		rg_timer_cancel(ep->retry_timer);
		ep->retry_timer = 0;
		unsigned n = 0;
		if (ep->cur) {
			wh_item_free(ep->cur);
			ep->cur = NULL;
			n++;
		}
		struct wh_item *it;
		while ((it = g_queue_pop_head(&ep->pending))) {
			wh_item_free(it);
			n++;
		}
		if (n) {
			atomic_fetch_add_explicit(&ep->dropped_shutdown, n, memory_order_relaxed);
			atomic_fetch_sub_explicit(&ep->depth, n, memory_order_relaxed);
			RG_WARN(WEBHOOK, "webhook %u (%s): %u events not delivered at shutdown", ep->index,
				ep->url_redacted, n);
		}
	}
	curl_multi_cleanup(s->multi);
	s->multi = NULL;
	rg_timer_cancel(s->curl_timer);
	s->curl_timer = 0;
	/* sockets libcurl did not release before the cleanup */
	GHashTableIter iter;
	gpointer w;
	g_hash_table_iter_init(&iter, s->watches);
	while (g_hash_table_iter_next(&iter, &w, NULL))
		rg_fd_watch_remove(w);
	g_hash_table_remove_all(s->watches);
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void finish_cb(void *arg)
{
	finish(arg);
}

static bool on_grace(void *arg)
{
	struct wh_sender *s = arg;
	s->grace_timer = 0;
	finish(s);
	return false;
}

static void on_drain(void *arg)
{
	struct wh_sender *s = arg;
	s->draining = true;
	if (all_idle(s))
		finish(s);
	else
		s->grace_timer = rg_timer_add(s->loop, s->grace_ms, on_grace, s);
}

struct wh_sender *wh_sender_start(struct wh_endpoint *eps, unsigned n, char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "webhooks: libcurl initialisation failed");
		return NULL;
	}
	struct wh_sender *s = g_new0(struct wh_sender, 1);
	s->multi = curl_multi_init();
	if (!s->multi) {
		g_free(s);
		curl_global_cleanup();
		snprintf(err, errlen, "webhooks: libcurl initialisation failed");
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	s->watches = g_hash_table_new(NULL, NULL);
	s->eps = eps;
	s->n = n;
	for (unsigned i = 0; i < n; i++)
		eps[i].sender = s;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	s->loop = rg_loop_new_thread("webhook");
	return s;
}

void wh_sender_stop(struct wh_sender *s, unsigned grace_ms)
{
	s->grace_ms = grace_ms;
	rg_loop_call(s->loop, on_drain, s);
	unsigned wait_ms = grace_ms + 5000;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	long ns = deadline.tv_nsec + (long)(wait_ms % 1000) * 1000000;
	deadline.tv_sec += wait_ms / 1000 + ns / 1000000000;
	deadline.tv_nsec = ns % 1000000000;
	pthread_mutex_lock(&s->lock);
	while (!s->done && pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == 0)
		;
	bool done = s->done;
	pthread_mutex_unlock(&s->lock);
	if (!done)
		RG_ERR(WEBHOOK, "the delivery thread did not stop within %u ms", wait_ms);
	rg_loop_stop_thread(s->loop);
	if (done)
		g_hash_table_destroy(s->watches);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	g_free(s);
	curl_global_cleanup();
}
