/* rg-load: logs users in to roomgate over the real WebSocket protocol,
 * publishes a generated Opus tone, plays streams, and reports relayed
 * packets, loss, latency and (with --server-pid) the server's CPU and RSS
 * over a measured window. See docs/benchmarks.md for how it is used.
 *
 * The run, on the control loop (this thread):
 *   1. every user connects and logs in (token04 made here);
 *   2. talkers publish and connect their publish legs; a run in which a
 *      publish leg never connects (after --retries) stops here, exit 3;
 *   3. the server's RSS is read (the baseline for the play legs);
 *   4. players open their play legs: started at --setup-rate per second,
 *      at most --window in flight; a leg not connected after --leg-timeout
 *      s, or failed, is given up and opened again (a new offer; the server
 *      replaces the old leg), at most --retries times, then counted as
 *      failed: the run measures the others;
 *   5. once every leg has connected or failed, the talkers start sending
 *      (they are silent during the setup, so that the server's worker is
 *      not relaying while it sets up legs), and after --warmup s the window
 *      of --duration s is measured;
 *   6. results; legs and connections closed. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "auth/token04.h"
#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "load.h"
#include "webrtc/dtls.h"
#include "webrtc/srtp.h"
#include "wsc.h"

#define MAX_LEGS_PER_USER 128 /* retries included */
#define REQ_LOGIN 1
#define REQ_PUBLISH 2
#define REQ_HEARTBEAT 3
#define REQ_LEG 100

struct user {
	unsigned idx, room;
	bool talker;
	char user_id[32], room_id[32], stream_id[48];
	struct wsc *ws;
	bool open, logged_in, dead;
	struct cleg *legs[MAX_LEGS_PER_USER];
	unsigned nlegs;
};

struct opts {
	char host[64], path[64];
	unsigned port;
	unsigned rooms, talkers, listeners, workers, window;
	unsigned retries, setup_rate, decrypt_every, batch_ms;
	double leg_timeout;
	int talkers_play; /* -1: when there are no listeners */
	double duration, warmup;
	uint32_t app_id;
	char secret[33];
	int server_pid;
	uint16_t port_min, port_max;
	bool json, verbose, glib_rx, nice_tx;
	const char *row;      /* "area|case": print a ROW| line for make bench */
	double floor_pps;     /* the floor's packets/s per core, for the comparison */
};

static struct {
	struct opts o;
	struct rg_loop *control;
	struct lworker **workers;
	struct user *users;
	unsigned nusers;
	unsigned logged_in, login_failed, closed;
	unsigned legs_total, legs_connected, legs_failed, inflight, retries;
	unsigned lost; /* connected legs that failed or closed later */
	unsigned play_legs_made;
	struct cleg **queue; /* legs waiting to start (first attempts and retries) */
	size_t nqueue, next_queued, capqueue;
	int64_t pace_t0;     /* the setup pace: --setup-rate legs per second from here */
	unsigned pace_started;
	unsigned next_worker;
	unsigned hb_timer;
	char last_failure[160];
	bool stopping; /* the run is over: what the workers still report is ignored */
} g;

/* ---- server figures from /proc ---- */

static double proc_cpu_s(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_rss_kb(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	double kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* ---- sending requests ---- */

static void send_json(struct user *u, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	if (s && u->ws && !u->dead)
		wsc_send(u->ws, s, strlen(s));
	free(s);
	cJSON_Delete(o);
}

static cJSON *request(const char *type, int id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "v", 1);
	if (id)
		cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

static void send_login(struct user *u)
{
	char token[1024];
	int32_t nonce;
	rg_random_bytes(&nonce, sizeof nonce);
	struct token04_params tp = { .app_id = g.o.app_id, .user_id = u->user_id, .secret = g.o.secret,
				     .ctime = (int64_t)time(NULL), .ttl_s = 86400, .nonce = nonce,
				     .mode = TOKEN04_MODE_GCM };
	if (token04_generate(token, sizeof token, &tp) != TOKEN04_OK) {
		fprintf(stderr, "rg-load: token04_generate failed (check --app-id/--secret)\n");
		exit(2);
	}
	cJSON *o = request("login", REQ_LOGIN);
	cJSON_AddStringToObject(o, "room_id", u->room_id);
	cJSON_AddStringToObject(o, "token", token);
	cJSON *usr = cJSON_AddObjectToObject(o, "user");
	cJSON_AddStringToObject(usr, "user_id", u->user_id);
	cJSON_AddStringToObject(usr, "user_name", u->user_id);
	send_json(u, o);
}

/* ---- legs ---- */

/* A leg of u (an attempt: a retry is a new one). NULL when u has no room. */
static struct cleg *leg_new(struct user *u, enum rg_leg_dir dir, const char *stream_id, unsigned attempt,
			    bool decrypt)
{
	if (u->nlegs == MAX_LEGS_PER_USER)
		return NULL;
	struct cleg *l = calloc(1, sizeof *l);
	l->u = u;
	/* worker 0 measures (publishers, decrypting players), the others count */
	bool measuring = dir == RG_LEG_SEND || decrypt || g.o.workers == 1;
	l->w = g.workers[measuring ? 0 : 1 + g.next_worker++ % (g.o.workers - 1)];
	l->decrypt = decrypt;
	l->dir = dir;
	l->attempt = attempt;
	snprintf(l->stream_id, sizeof l->stream_id, "%s", stream_id);
	l->req_id = REQ_LEG + u->nlegs;
	u->legs[u->nlegs++] = l;
	if (!attempt)
		g.legs_total++;
	return l;
}

static void enqueue(struct cleg *l)
{
	if (g.nqueue == g.capqueue) {
		g.capqueue = g.capqueue ? 2 * g.capqueue : 1024;
		g.queue = realloc(g.queue, g.capqueue * sizeof *g.queue);
	}
	g.queue[g.nqueue++] = l;
}

/* A publish leg set up again goes first: nothing is relayed without it. */
static void enqueue_first(struct cleg *l)
{
	enqueue(l);
	memmove(&g.queue[g.next_queued + 1], &g.queue[g.next_queued],
		(g.nqueue - 1 - g.next_queued) * sizeof *g.queue);
	g.queue[g.next_queued] = l;
}

static void leg_start(struct cleg *l)
{
	l->state = CL_OFFERING;
	l->started_us = rg_mono_us();
	g.inflight++;
	g.pace_started++;
	lworker_offer(l);
}

/* The attempt l is over: connected, or given up (then a retry is queued
 * while attempts are left). */
static void leg_done(struct cleg *l, bool ok, const char *why)
{
	if (g.stopping || (l->state != CL_OFFERING && l->state != CL_ANSWERED))
		return;
	l->state = ok ? CL_CONNECTED : CL_FAILED;
	g.inflight--;
	if (ok) {
		g.legs_connected++;
		return;
	}
	snprintf(g.last_failure, sizeof g.last_failure, "%s %s of %s, attempt %u: %s",
		 l->dir == RG_LEG_SEND ? "publish" : "play", l->stream_id, l->u->user_id, l->attempt + 1, why);
	if (g.o.verbose)
		fprintf(stderr, "rg-load: %.3f s: %s\n", (double)(rg_mono_us() - g.pace_t0) / 1e6, g.last_failure);
	lworker_drop(l);
	struct cleg *again = l->attempt < g.o.retries ? leg_new(l->u, l->dir, l->stream_id, l->attempt + 1, l->decrypt) : NULL;
	if (again) {
		g.retries++;
		if (again->dir == RG_LEG_SEND)
			enqueue_first(again);
		else
			enqueue(again);
	} else {
		g.legs_failed++;
		fprintf(stderr, "rg-load: given up: %s\n", g.last_failure);
	}
}

/* Legs past --leg-timeout without connecting are given up. */
static void check_timeouts(void)
{
	int64_t limit = rg_mono_us() - (int64_t)(g.o.leg_timeout * 1e6);
	for (unsigned i = 0; i < g.nusers; i++) {
		struct user *u = &g.users[i];
		for (unsigned k = 0; k < u->nlegs; k++) {
			struct cleg *l = u->legs[k];
			if ((l->state == CL_OFFERING || l->state == CL_ANSWERED) && l->started_us < limit)
				leg_done(l, false, "not connected in time");
		}
	}
}

void load_offer_ready(struct cleg *l, int err, const char *msg)
{
	if (g.stopping || l->state != CL_OFFERING)
		return; /* given up meanwhile */
	if (err) {
		leg_done(l, false, msg);
		return;
	}
	cJSON *o = request(l->dir == RG_LEG_SEND ? "publish_offer" : "play", (int)l->req_id);
	cJSON_AddStringToObject(o, "stream_id", l->stream_id);
	cJSON_AddStringToObject(o, "sdp", l->offer);
	free(l->offer);
	l->offer = NULL;
	send_json(l->u, o);
}

void load_leg_candidate(struct cleg *l, char *cand)
{
	cJSON *o = request("candidate", 0);
	cJSON_AddStringToObject(o, "leg_id", l->leg_id);
	cJSON_AddStringToObject(o, "candidate", cand ? cand : "");
	send_json(l->u, o);
	free(cand);
}

/* A leg failed or closed, at either end: one still being set up is given
 * up; a connected one is lost (counted) and set up anew like a failed one. */
static void leg_lost(struct cleg *l, const char *why)
{
	if (g.stopping)
		return;
	if (l->state == CL_CONNECTED) {
		g.legs_connected--;
		g.lost++;
		l->state = CL_ANSWERED; /* back in flight, to be given up */
		g.inflight++;
	}
	leg_done(l, false, why);
}

void load_leg_state(struct cleg *l, enum rg_leg_state st)
{
	if (st == RG_LEG_CONNECTED)
		leg_done(l, true, NULL);
	else if (st == RG_LEG_FAILED || st == RG_LEG_CLOSED)
		leg_lost(l, rg_leg_state_name(st));
}

/* ---- what the server says ---- */

static void on_leg_response(struct user *u, struct cleg *l, cJSON *m)
{
	if (l->state != CL_OFFERING)
		return; /* given up meanwhile */
	cJSON *data = cJSON_GetObjectItem(m, "data");
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(data, "leg_id"));
	const char *sdp = cJSON_GetStringValue(cJSON_GetObjectItem(data, "sdp"));
	if (!cJSON_IsTrue(cJSON_GetObjectItem(m, "ok")) || !id || !sdp) {
		char *s = cJSON_PrintUnformatted(m);
		fprintf(stderr, "rg-load: %s: %s\n", u->user_id, s);
		free(s);
		leg_done(l, false, "refused by the server");
		return;
	}
	snprintf(l->leg_id, sizeof l->leg_id, "%s", id);
	l->answer = strdup(sdp);
	l->state = CL_ANSWERED;
	lworker_answer(l);
}

static void on_response(struct user *u, cJSON *m)
{
	int id = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(m, "id"));
	bool ok = cJSON_IsTrue(cJSON_GetObjectItem(m, "ok"));
	if (id == REQ_LOGIN) {
		if (ok) {
			u->logged_in = true;
			g.logged_in++;
		} else {
			char *s = cJSON_PrintUnformatted(m);
			fprintf(stderr, "rg-load: login of %s failed: %s\n", u->user_id, s);
			free(s);
			g.login_failed++;
		}
	} else if (id == REQ_PUBLISH) {
		struct cleg *l = ok ? leg_new(u, RG_LEG_SEND, u->stream_id, 0, false) : NULL;
		if (l)
			enqueue(l);
		else
			g.legs_failed++, g.legs_total++;
	} else if (id >= REQ_LEG && (unsigned)(id - REQ_LEG) < u->nlegs) {
		on_leg_response(u, u->legs[id - REQ_LEG], m);
	}
}

static struct cleg *leg_by_id(struct user *u, const char *id)
{
	for (unsigned i = 0; id && i < u->nlegs; i++)
		if (u->legs[i]->state != CL_FAILED && strcmp(u->legs[i]->leg_id, id) == 0)
			return u->legs[i];
	return NULL;
}

static void on_event(struct user *u, cJSON *m)
{
	const char *ev = cJSON_GetStringValue(cJSON_GetObjectItem(m, "event"));
	cJSON *data = cJSON_GetObjectItem(m, "data");
	struct cleg *l = ev ? leg_by_id(u, cJSON_GetStringValue(cJSON_GetObjectItem(data, "leg_id"))) : NULL;
	if (!l)
		return;
	if (strcmp(ev, "candidate") == 0) {
		const char *cand = cJSON_GetStringValue(cJSON_GetObjectItem(data, "candidate"));
		if (cand)
			lworker_candidate(l, cand);
	} else if (strcmp(ev, "leg_state") == 0) {
		/* the server's side of the leg ended: that side cannot come back */
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(data, "state"));
		if (st && (strcmp(st, "failed") == 0 || strcmp(st, "closed") == 0))
			leg_lost(l, "the server's leg ended");
	}
}

static void on_message(void *arg, const char *msg, size_t len)
{
	struct user *u = arg;
	if (g.stopping)
		return;
	cJSON *m = cJSON_ParseWithLength(msg, len);
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(m, "type"));
	if (type && strcmp(type, "response") == 0)
		on_response(u, m);
	else if (type && strcmp(type, "event") == 0)
		on_event(u, m);
	cJSON_Delete(m);
}

static void on_open(void *arg)
{
	struct user *u = arg;
	u->open = true;
	send_login(u);
}

static void on_closed(void *arg, const char *why)
{
	struct user *u = arg;
	if (!u->dead)
		fprintf(stderr, "rg-load: %s: connection ended: %s\n", u->user_id, why);
	u->dead = true;
	g.closed++;
}

static const struct wsc_cb ws_cb = { on_open, on_message, on_closed };

static bool heartbeat(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < g.nusers; i++)
		if (g.users[i].logged_in)
			send_json(&g.users[i], request("heartbeat", REQ_HEARTBEAT));
	return true;
}

/* ---- running the control loop until a phase is over ---- */

struct waiter {
	bool (*cond)(void);
	int64_t end;
	bool met;
};

/* Starts queued legs: at most --window in flight, --setup-rate per second. */
static void pump_queue(void)
{
	double allowed = (double)g.o.setup_rate * (double)(rg_mono_us() - g.pace_t0) / 1e6 + 1;
	while (g.inflight < g.o.window && g.next_queued < g.nqueue && g.pace_started < allowed)
		leg_start(g.queue[g.next_queued++]);
}

static bool wait_tick(void *arg)
{
	struct waiter *w = arg;
	static int64_t last_check;
	if (rg_mono_us() - last_check > 100000) {
		last_check = rg_mono_us();
		check_timeouts();
	}
	pump_queue();
	w->met = w->cond && w->cond();
	if (w->met || rg_mono_us() >= w->end) {
		rg_loop_quit(g.control);
		return false;
	}
	return true;
}

static bool wait_until(bool (*cond)(void), double seconds)
{
	struct waiter w = { cond, rg_mono_us() + (int64_t)(seconds * 1e6), false };
	rg_timer_add(g.control, 5, wait_tick, &w);
	rg_loop_run(g.control);
	return w.met;
}

static bool all_logged_in(void)
{
	return g.logged_in + g.login_failed + g.closed >= g.nusers;
}

static bool publishes_answered(void)
{
	return g.legs_total >= g.o.rooms * g.o.talkers;
}

static bool legs_settled(void)
{
	return g.inflight == 0 && g.next_queued == g.nqueue && g.legs_connected + g.legs_failed >= g.legs_total;
}

static void pace_restart(void)
{
	g.pace_t0 = rg_mono_us();
	g.pace_started = 0;
}

/* ---- the run ---- */

static void make_users(void)
{
	unsigned per_room = g.o.talkers + g.o.listeners;
	g.nusers = g.o.rooms * per_room;
	g.users = calloc(g.nusers, sizeof *g.users);
	for (unsigned r = 0, k = 0; r < g.o.rooms; r++) {
		for (unsigned i = 0; i < per_room; i++, k++) {
			struct user *u = &g.users[k];
			u->idx = k;
			u->room = r;
			u->talker = i < g.o.talkers;
			snprintf(u->room_id, sizeof u->room_id, "load-%u", r);
			snprintf(u->user_id, sizeof u->user_id, "%c%u-%u", u->talker ? 't' : 'l', r, i);
			snprintf(u->stream_id, sizeof u->stream_id, "load-%u-%u", r, i);
		}
	}
}

static void queue_play_legs(void)
{
	bool talkers_play = g.o.talkers_play < 0 ? g.o.listeners == 0 : g.o.talkers_play;
	/* listener-major order, so that the first legs spread over the rooms */
	unsigned per_room = g.o.talkers + g.o.listeners;
	for (unsigned i = 0; i < per_room; i++) {
		for (unsigned r = 0; r < g.o.rooms; r++) {
			struct user *u = &g.users[r * per_room + i];
			if (!u->logged_in || (u->talker && !talkers_play))
				continue;
			for (unsigned t = 0; t < g.o.talkers; t++) {
				struct user *tk = &g.users[r * per_room + t];
				if (tk == u)
					continue;
				bool decrypt = g.play_legs_made++ % g.o.decrypt_every == 0;
				struct cleg *l = leg_new(u, RG_LEG_RECV, tk->stream_id, 0, decrypt);
				if (l)
					enqueue(l);
			}
		}
	}
}

static double pct(const struct lstats *st, double p)
{
	uint64_t total = 0, acc = 0;
	for (size_t b = 0; b < LOAD_HIST_N; b++)
		total += st->hist[b];
	if (!total)
		return 0;
	uint64_t want = (uint64_t)(p / 100.0 * (double)total);
	for (size_t b = 0; b < LOAD_HIST_N; b++) {
		acc += st->hist[b];
		if (acc > want)
			return b < LOAD_HIST_FINE ? (double)b / 1000.0
			       : b < LOAD_HIST_N - 1 ? (double)(LOAD_HIST_FINE + (b - LOAD_HIST_FINE) * 1000) / 1000.0
						      : (double)st->lat_max_us / 1000.0;
	}
	return (double)st->lat_max_us / 1000.0;
}

struct result {
	unsigned publish_legs, play_legs, play_total, failed, retries, decrypting;
	unsigned lost_in_window; /* legs that failed or closed during the window */
	char loadavg[64];        /* /proc/loadavg at the end of the window */
	double publish_setup_s, play_setup_s;
	double window_s, server_cpu_s, client_cpu_s;
	double rss_idle_kb, rss_base_kb, rss_kb;
	struct lstats st;
};

static void report(const struct result *r)
{
	const struct lstats *st = &r->st;
	double rx_pps = (double)st->rx / r->window_s;
	double loss = st->expected ? 100.0 * (double)(st->expected - (st->rx < st->expected ? st->rx : st->expected)) /
					     (double)st->expected : 0;
	bool srv = g.o.server_pid > 0;
	double cpu_pct = srv ? 100.0 * r->server_cpu_s / r->window_s : -1;
	double per_core = srv && r->server_cpu_s > 0 ? (double)st->rx / r->server_cpu_s : -1;
	double rss_leg = srv && r->play_legs ? (r->rss_kb - r->rss_base_kb) / r->play_legs : -1;
	double p50 = pct(st, 50), p99 = pct(st, 99), mx = (double)st->lat_max_us / 1000.0;
	/* copies asked: every packet sent, to each player of its stream */
	double per_stream = r->publish_legs ? (double)r->play_legs / r->publish_legs : 0;
	double asked = (double)st->sent * per_stream;
	double delivered = asked > 0 ? 100.0 * (double)st->rx / asked : 0;
	/* One stream's copies leave one after the other: at the floor's cost per
	 * copy, the k-th leaves k x that after the first, so the order alone
	 * puts the median player half a fan-out and the 99th percentile 0.99 of
	 * one behind (the latency samples spread over the whole order). */
	double copy_ms = g.o.floor_pps > 0 ? 1000.0 / g.o.floor_pps : 0;
	double floor_p50 = 0.5 * per_stream * copy_ms, floor_p99 = 0.99 * per_stream * copy_ms;
	if (g.o.json) {
		printf("{\"rooms\":%u,\"talkers_per_room\":%u,\"listeners_per_room\":%u,\"publish_legs\":%u,"
		       "\"play_legs\":%u,\"play_legs_asked\":%u,\"failed_legs\":%u,\"retries\":%u,"
		       "\"decrypting_play_legs\":%u,\"setup_s\":{\"publish\":%.2f,\"play\":%.2f},"
		       "\"latency_samples\":%" PRIu64 ",\"window_s\":%.2f,\"sent\":%" PRIu64 ",\"received\":%" PRIu64
		       ",\"expected\":%" PRIu64 ",\"loss_pct\":%.4f,\"relayed_pps\":%.0f,\"latency_ms\":{\"p50\":%.3f,"
		       "\"p99\":%.3f,\"max\":%.3f},\"server_cpu_pct\":%.1f,\"server_cpu_pct_per_listener\":%.4f,"
		       "\"lost_in_window\":%u,\"loadavg\":\"%s\",\"relayed_pps_per_core\":%.0f,\"server_rss_kb\":{\"idle\":%.0f,\"base\":%.0f,\"window\":%.0f,"
		       "\"per_play_leg\":%.1f},\"client_cpu_pct\":%.1f,\"asked\":%.0f,\"delivered_pct\":%.2f,"
		       "\"floor_order_ms\":{\"p50\":%.3f,\"p99\":%.3f}}\n",
		       g.o.rooms, g.o.talkers, g.o.listeners, r->publish_legs, r->play_legs, r->play_total, r->failed,
		       r->retries, r->decrypting, r->publish_setup_s, r->play_setup_s, st->rx_decrypted, r->window_s,
		       st->sent, st->rx, st->expected, loss, rx_pps, p50, p99, mx, cpu_pct,
		       r->play_legs ? cpu_pct / r->play_legs : 0, r->lost_in_window, r->loadavg, per_core, r->rss_idle_kb, r->rss_base_kb, r->rss_kb,
		       rss_leg, 100.0 * r->client_cpu_s / r->window_s, asked, delivered, floor_p50, floor_p99);
	} else {
		printf("rg-load: %u rooms x (%u talkers, %u listeners): %u publish legs, %u of %u play legs "
		       "connected, %u failed after %u retries in all\n",
		       g.o.rooms, g.o.talkers, g.o.listeners, r->publish_legs, r->play_legs, r->play_total, r->failed,
		       r->retries);
		printf("  setup: publish legs %.1f s, play legs %.1f s (--setup-rate %u/s, --window %u)\n",
		       r->publish_setup_s, r->play_setup_s, g.o.setup_rate, g.o.window);
		printf("  window %.1f s: sent %" PRIu64 ", relayed copies received %" PRIu64 " of %" PRIu64
		       " (loss %.3f %%), %.0f packets/s\n", r->window_s, st->sent, st->rx, st->expected, loss, rx_pps);
		printf("  delivered: %.0f of the %.0f copies asked (%u players per stream x packets sent): %.1f %%\n",
		       (double)st->rx, asked, (unsigned)(per_stream + 0.5), delivered);
		printf("  latency send -> relayed copy received, over the %u play legs that decrypt (every %u-th; "
		       "%" PRIu64 " packets): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		       r->decrypting, g.o.decrypt_every, st->rx_decrypted, p50, p99, mx);
		if (copy_ms > 0)
			printf("  the floor's fan-out order alone (a copy every %.2f us, %u per stream): "
			       "p50 %.2f ms, p99 %.2f ms after the first copy\n",
			       copy_ms * 1000, (unsigned)(per_stream + 0.5), floor_p50, floor_p99);
		if (st->bad)
			printf("  %" PRIu64 " decrypted packets without a send time\n", st->bad);
		if (srv)
			printf("  server: CPU %.1f %% (%.4f %% per play leg), %.0f relayed packets per CPU-second; "
			       "RSS idle %.1f MB, before play legs %.1f MB, with them %.1f MB (%.1f KB per play leg)\n",
			       cpu_pct, r->play_legs ? cpu_pct / r->play_legs : 0, per_core, r->rss_idle_kb / 1024,
			       r->rss_base_kb / 1024, r->rss_kb / 1024, rss_leg);
		printf("  client CPU %.1f %%; machine load average (1, 5, 15 min) at the end: %.*s\n",
		       100.0 * r->client_cpu_s / r->window_s, 14, r->loadavg);
		if (r->lost_in_window)
			printf("  %u legs failed or closed during the window\n", r->lost_in_window);
	}
	if (g.o.row) {
		char floor_cmp[64] = "", floor_lat[64] = "";
		if (g.o.floor_pps > 0 && per_core > 0)
			snprintf(floor_cmp, sizeof floor_cmp, ", floor/server %.1fx", g.o.floor_pps / per_core);
		if (copy_ms > 0)
			snprintf(floor_lat, sizeof floor_lat, "; floor's order %.2f / %.2f", floor_p50, floor_p99);
		printf("ROW| %s | %.0f pkt/s relayed (%.1f %% of asked), %.0f pkt/s per core%s | %.1f %% (%.4f %% per listener) | "
		       "%.2f / %.2f ms (max %.1f%s) | %.1f KB per play leg | %.3f %% (%u of %u legs failed, %u retries, "
		       "%u lost in the window; load %.14s) |\n",
		       g.o.row, rx_pps, delivered, per_core, floor_cmp, cpu_pct, r->play_legs ? cpu_pct / r->play_legs : 0,
		       p50, p99, mx, floor_lat, rss_leg, loss, r->failed, r->play_total + r->publish_legs, r->retries,
		       r->lost_in_window, r->loadavg);
	}
	fflush(stdout);
}

static int run(void)
{
	struct result r;
	memset(&r, 0, sizeof r);
	int pid = g.o.server_pid;
	if (pid > 0)
		r.rss_idle_kb = proc_rss_kb(pid);
	make_users();
	for (unsigned i = 0; i < g.nusers; i++) {
		struct user *u = &g.users[i];
		u->ws = wsc_connect(g.control, g.o.host, g.o.port, g.o.path, &ws_cb, u);
		if (!u->ws) {
			fprintf(stderr, "rg-load: cannot connect to %s:%u\n", g.o.host, g.o.port);
			return 1;
		}
	}
	g.hb_timer = rg_timer_add(g.control, 5000, heartbeat, NULL);
	if (!wait_until(all_logged_in, 60) || g.login_failed || g.closed) {
		fprintf(stderr, "rg-load: %u of %u logged in\n", g.logged_in, g.nusers);
		return 1;
	}
	for (unsigned i = 0; i < g.nusers; i++) {
		if (!g.users[i].talker)
			continue;
		cJSON *o = request("publish", REQ_PUBLISH);
		cJSON_AddStringToObject(o, "stream_id", g.users[i].stream_id);
		send_json(&g.users[i], o);
	}
	int64_t t_setup = rg_mono_us();
	pace_restart();
	wait_until(publishes_answered, 30);
	wait_until(legs_settled, 60 + g.o.leg_timeout * (g.o.retries + 1));
	r.publish_legs = g.legs_connected;
	r.publish_setup_s = (double)(rg_mono_us() - t_setup) / 1e6;
	if (r.publish_legs < g.o.rooms * g.o.talkers) {
		fprintf(stderr, "rg-load: aborted: %u of %u publish legs connected in %.1f s (%u retries); "
			"last failure: %s. Nothing would be relayed to measure.\n", r.publish_legs,
			g.o.rooms * g.o.talkers, r.publish_setup_s, g.retries, g.last_failure[0] ? g.last_failure : "none");
		return 3;
	}
	fprintf(stderr, "rg-load: %u publish legs connected in %.1f s\n", r.publish_legs, r.publish_setup_s);
	if (pid > 0) {
		wait_until(NULL, 1.0);
		r.rss_base_kb = proc_rss_kb(pid);
	}
	unsigned total_before = g.legs_total;
	queue_play_legs();
	r.play_total = g.legs_total - total_before;
	t_setup = rg_mono_us();
	pace_restart();
	/* every leg connects or is given up, so this ends; the bound is a guard */
	wait_until(legs_settled, 600 + (double)r.play_total / g.o.setup_rate * (g.o.retries + 1));
	r.play_setup_s = (double)(rg_mono_us() - t_setup) / 1e6;
	r.play_legs = g.legs_connected - r.publish_legs;
	r.failed = g.legs_failed;
	r.retries = g.retries;
	for (unsigned i = 0; i < g.nusers; i++)
		for (unsigned k = 0; k < g.users[i].nlegs; k++)
			r.decrypting += g.users[i].legs[k]->decrypt && g.users[i].legs[k]->state == CL_CONNECTED;
	fprintf(stderr, "rg-load: %u of %u play legs connected in %.1f s, %u failed, %u retries\n", r.play_legs,
		r.play_total, r.play_setup_s, g.legs_failed, g.retries);
	if (!legs_settled()) {
		fprintf(stderr, "rg-load: aborted: the play legs did not settle\n");
		return 1;
	}
	lworker_talk(g.workers, g.o.workers, true);
	wait_until(NULL, g.o.warmup);
	if (!legs_settled()) { /* legs lost in the warm-up: set up again first */
		fprintf(stderr, "rg-load: %u legs lost in the warm-up, set up again\n", g.lost);
		wait_until(legs_settled, 600);
		wait_until(NULL, g.o.warmup);
	}
	unsigned talking = 0;
	for (unsigned i = 0; i < g.nusers; i++)
		for (unsigned k = 0; k < g.users[i].nlegs; k++)
			talking += g.users[i].legs[k]->dir == RG_LEG_SEND && g.users[i].legs[k]->state == CL_CONNECTED;
	if (talking < g.o.rooms * g.o.talkers) {
		fprintf(stderr, "rg-load: aborted: %u of %u publish legs connected after the play legs' setup "
			"(lost and not set up again; last failure: %s). Nothing would be relayed to measure.\n",
			talking, g.o.rooms * g.o.talkers, g.last_failure);
		return 3;
	}
	unsigned lost0 = g.lost;
	double cpu0 = pid > 0 ? proc_cpu_s(pid) : 0, self0 = self_cpu_s();
	int64_t t0 = rg_mono_us();
	lworker_window(g.workers, g.o.workers, true, NULL);
	wait_until(NULL, g.o.duration);
	lworker_window(g.workers, g.o.workers, false, &r.st);
	r.window_s = (double)(rg_mono_us() - t0) / 1e6;
	r.lost_in_window = g.lost - lost0;
	FILE *la = fopen("/proc/loadavg", "r");
	if (!la || !fgets(r.loadavg, sizeof r.loadavg, la))
		snprintf(r.loadavg, sizeof r.loadavg, "?");
	r.loadavg[strcspn(r.loadavg, "\n")] = 0;
	if (la)
		fclose(la);
	r.server_cpu_s = pid > 0 ? proc_cpu_s(pid) - cpu0 : 0;
	r.client_cpu_s = self_cpu_s() - self0;
	if (pid > 0)
		r.rss_kb = proc_rss_kb(pid);
	report(&r);
	return 0;
}

/* ---- options ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: rg-load [options]\n"
		"  --url ws://HOST:PORT/ws     server (default ws://127.0.0.1:8080/ws)\n"
		"  --rooms N                   rooms (1)\n"
		"  --talkers-per-room N        publishers per room (1)\n"
		"  --listeners-per-room N      users that only play (10)\n"
		"  --talkers-play 0|1          talkers also play the others (default: when no listeners)\n"
		"  --duration S --warmup S     measured window (10) after a warm-up (2)\n"
		"  --workers N --window N      client media threads (3: one measures, the others\n"
		"                              count), legs set up at once (32)\n"
		"  --count-batch-ms MS         counting threads wake at most once per MS (2; 0: always)\n"
		"  --setup-rate N              legs started per second (200)\n"
		"  --leg-timeout S             a leg not connected by then is given up (20)\n"
		"  --retries N                 new attempts for a leg given up (2); a publish leg that\n"
		"                              never connects ends the run (exit 3)\n"
		"  --decrypt-every K           every K-th play leg decrypts and measures latency, the\n"
		"                              others count the protected packets (10; 1: all)\n"
		"  --config FILE               take app_id and server_secret from a roomgate config\n"
		"  --app-id N --secret S       or give them (default: the built-in dev config)\n"
		"  --ports MIN-MAX             client UDP ports (30000-60000)\n"
		"  --server-pid PID            read the server's CPU and RSS from /proc\n"
		"  --json                      one JSON object instead of text\n"
		"  --verbose                   every leg attempt given up, with its reason\n"
		"  --glib-rx                   legs read their sockets through GLib, not epoll\n"
		"  --nice-tx                   legs send through nice_agent_send, not sendto\n"
		"  --row 'AREA|CASE'           also print a ROW| line for make bench\n"
		"  --floor PPS                 the floor's packets/s per core, compared in the ROW line\n");
	exit(2);
}

static void parse_url(const char *url)
{
	unsigned port = 0;
	char host[64] = "", path[64] = "/ws";
	if (sscanf(url, "ws://%63[^:/]:%u%63s", host, &port, path) < 2)
		usage();
	snprintf(g.o.host, sizeof g.o.host, "%s", host);
	snprintf(g.o.path, sizeof g.o.path, "%s", path);
	g.o.port = port;
}

static void load_config(const char *path)
{
	struct rg_config c;
	char err[256];
	rg_config_defaults(&c);
	int rc = path ? rg_config_load_file(&c, path, err, sizeof err)
		      : rg_config_parse(&c, "<built-in config/roomgate.jsonc>", rg_config_embedded,
					rg_config_embedded_len, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "rg-load: %s\n", err);
		exit(2);
	}
	g.o.app_id = c.app_id;
	snprintf(g.o.secret, sizeof g.o.secret, "%s", c.server_secret);
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", 1, 0, 'u' }, { "rooms", 1, 0, 'r' }, { "talkers-per-room", 1, 0, 't' },
		{ "listeners-per-room", 1, 0, 'l' }, { "talkers-play", 1, 0, 'P' }, { "duration", 1, 0, 'd' },
		{ "warmup", 1, 0, 'W' }, { "workers", 1, 0, 'w' }, { "window", 1, 0, 'n' },
		{ "config", 1, 0, 'c' }, { "app-id", 1, 0, 'a' }, { "secret", 1, 0, 's' },
		{ "ports", 1, 0, 'p' }, { "server-pid", 1, 0, 'S' }, { "json", 0, 0, 'j' },
		{ "row", 1, 0, 'R' }, { "floor", 1, 0, 'f' }, { "help", 0, 0, 'h' },
		{ "setup-rate", 1, 0, 'x' }, { "leg-timeout", 1, 0, 'T' }, { "retries", 1, 0, 'y' },
		{ "decrypt-every", 1, 0, 'k' }, { "verbose", 0, 0, 'v' }, { "count-batch-ms", 1, 0, 'b' },
		{ "glib-rx", 0, 0, 'g' }, { "nice-tx", 0, 0, 'N' },
		{ 0, 0, 0, 0 } };
	g.o = (struct opts){ .rooms = 1, .talkers = 1, .listeners = 10, .workers = 3, .window = 32, .batch_ms = 2,
			     .talkers_play = -1, .duration = 10, .warmup = 2, .port_min = 30000, .port_max = 60000,
			     .retries = 2, .setup_rate = 200, .leg_timeout = 20, .decrypt_every = LOAD_DECRYPT_EVERY };
	parse_url("ws://127.0.0.1:8080/ws");
	load_config(NULL);
	unsigned a, b;
	for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		switch (c) {
		case 'u': parse_url(optarg); break;
		case 'r': g.o.rooms = (unsigned)atoi(optarg); break;
		case 't': g.o.talkers = (unsigned)atoi(optarg); break;
		case 'l': g.o.listeners = (unsigned)atoi(optarg); break;
		case 'P': g.o.talkers_play = atoi(optarg) != 0; break;
		case 'd': g.o.duration = atof(optarg); break;
		case 'W': g.o.warmup = atof(optarg); break;
		case 'w': g.o.workers = (unsigned)atoi(optarg); break;
		case 'n': g.o.window = (unsigned)atoi(optarg); break;
		case 'c': load_config(optarg); break;
		case 'a': g.o.app_id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': snprintf(g.o.secret, sizeof g.o.secret, "%s", optarg); break;
		case 'p':
			if (sscanf(optarg, "%u-%u", &a, &b) != 2 || a > b || b > 65535)
				usage();
			g.o.port_min = (uint16_t)a;
			g.o.port_max = (uint16_t)b;
			break;
		case 'S': g.o.server_pid = atoi(optarg); break;
		case 'j': g.o.json = true; break;
		case 'R': g.o.row = optarg; break;
		case 'f': g.o.floor_pps = atof(optarg); break;
		case 'x': g.o.setup_rate = (unsigned)atoi(optarg); break;
		case 'T': g.o.leg_timeout = atof(optarg); break;
		case 'y': g.o.retries = (unsigned)atoi(optarg); break;
		case 'k': g.o.decrypt_every = (unsigned)atoi(optarg); break;
		case 'v': g.o.verbose = load_verbose = true; break;
		case 'b': g.o.batch_ms = (unsigned)atoi(optarg); break;
		case 'g': g.o.glib_rx = true; break;
		case 'N': g.o.nice_tx = true; break;
		default: usage();
		}
	}
	if (!g.o.rooms || !g.o.talkers || !g.o.workers || !g.o.window || g.o.talkers >= MAX_LEGS_PER_USER / 2 ||
	    !g.o.setup_rate || !g.o.decrypt_every || g.o.leg_timeout <= 0)
		usage();
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	rg_log_set_all(RG_LOG_WARN);
	if (rg_srtp_global_init() != 0 || load_tone_init() != 0)
		return 1;
	struct rg_dtls_cert *cert = rg_dtls_cert_new();
	if (!cert)
		return 1;
	g.control = rg_loop_new_main("load");
	struct rg_leg_config cfg = { cert, "127.0.0.1", "", g.o.port_min, g.o.port_max, !g.o.glib_rx, !g.o.nice_tx };
	g.workers = calloc(g.o.workers, sizeof *g.workers);
	for (unsigned i = 0; i < g.o.workers; i++)
		g.workers[i] = lworker_new(i, g.control, &cfg, i > 0 ? g.o.batch_ms : 0);
	int rc = run();
	g.stopping = true;
	for (unsigned i = 0; i < g.o.workers; i++)
		lworker_stop(g.workers[i]);
	rg_timer_cancel(g.hb_timer);
	rg_loop_drain(g.control); /* what the workers posted last, while legs and sockets exist */
	for (unsigned i = 0; i < g.nusers; i++) {
		struct user *u = &g.users[i];
		u->dead = true;
		wsc_free(u->ws);
		for (unsigned k = 0; k < u->nlegs; k++) {
			free(u->legs[k]->offer);
			free(u->legs[k]->answer);
			free(u->legs[k]);
		}
	}
	rg_loop_drain(g.control);
	for (unsigned i = 0; i < g.o.workers; i++)
		lworker_free(g.workers[i]);
	free(g.workers);
	free(g.users);
	free(g.queue);
	rg_loop_free(g.control);
	rg_dtls_cert_free(cert);
	rg_srtp_global_shutdown();
	return rc;
}
