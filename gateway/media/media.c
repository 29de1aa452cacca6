/* Legs across threads: control-side records and worker-side legs. See
 * media.h. Every message between threads is a heap job freed by its
 * receiver; no pointer to a leg ever leaves its worker. */
#include "media/media.h"

#include <errno.h>
#include <glib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "media/media_int.h"
#include "media/mixpool.h"
#include "media/recorder.h"
#include "media/relay.h"
#include "record/writer.h"
#include "webrtc/dtls.h"

/* ---- worker -> control messages ---- */

enum msg_kind { MSG_ANSWER, MSG_CANDIDATE, MSG_STATE, MSG_STATS };

#define STATS_MS 1000

struct msg {
	struct rg_media *m;
	enum msg_kind kind;
	char leg_id[RG_LEG_ID_LEN + 1];
	char *owner, *stream_id, *req, *text, *sdp;
	struct rg_leg_stats *stats; /* MSG_STATE, MSG_STATS */
	int err;
	enum rg_leg_state state;
};

static void msg_free(struct msg *x)
{
	g_free(x->owner);
	g_free(x->stream_id);
	g_free(x->req);
	g_free(x->text);
	g_free(x->sdp);
	g_free(x->stats);
	g_free(x);
}

/* The leg's last figures: taken over from the message. */
static void cleg_stats(struct rg_media *m, const char *id, struct msg *x)
{
	struct cleg *c = g_hash_table_lookup(m->legs, id);
	if (!c || !x->stats)
		return;
	g_free(c->stats);
	c->stats = x->stats;
	x->stats = NULL;
}

static void msg_run(void *arg)
{
	struct msg *x = arg;
	struct rg_media *m = x->m;
	if (!m->closing && g_hash_table_contains(m->legs, x->leg_id)) {
		switch (x->kind) {
		case MSG_ANSWER:
			m->ev->answer(m->ctx, x->owner, x->leg_id, x->req, x->err, x->text, x->sdp);
			break;
		case MSG_CANDIDATE:
			m->ev->candidate(m->ctx, x->owner, x->leg_id, x->text);
			break;
		case MSG_STATE:
			cleg_stats(m, x->leg_id, x);
			m->ev->state(m->ctx, x->owner, x->leg_id, x->stream_id, x->state, x->text);
			break;
		case MSG_STATS:
			cleg_stats(m, x->leg_id, x);
			break;
		}
	}
	msg_free(x);
}

static void post(struct wleg *wl, enum msg_kind kind, const char *text, struct rg_leg_stats *stats)
{
	struct msg *x = g_new0(struct msg, 1);
	x->m = wl->w->m;
	x->kind = kind;
	memcpy(x->leg_id, wl->id, sizeof x->leg_id);
	x->owner = g_strdup(wl->owner);
	x->stream_id = g_strdup(wl->stream_id);
	x->text = g_strdup(text);
	x->stats = stats;
	x->state = wl->leg ? rg_leg_state(wl->leg) : RG_LEG_FAILED;
	rg_loop_call(wl->w->m->control, msg_run, x);
}

/* A copy of the leg's figures for the control loop, which makes JSON of
 * them only when the admin API asks (rg_leg_stats_to_json). */
static struct rg_leg_stats *leg_stats(struct wleg *wl)
{
	struct rg_leg_stats *st = g_new(struct rg_leg_stats, 1);
	rg_leg_get_stats(wl->leg, st);
	return st;
}

/* ---- talking ---- */

struct talk_msg {
	struct rg_media *m;
	char *stream_id;
	bool talking;
	unsigned level;
};

static void talk_run(void *arg)
{
	struct talk_msg *x = arg;
	if (!x->m->closing && x->m->ev->talking)
		x->m->ev->talking(x->m->ctx, x->stream_id, x->talking, x->level);
	g_free(x->stream_id);
	g_free(x);
}

static void on_talk(void *arg, const char *stream_id, bool talking, unsigned level100)
{
	struct worker *w = arg;
	struct talk_msg *x = g_new0(struct talk_msg, 1);
	x->m = w->m;
	x->stream_id = g_strdup(stream_id);
	x->talking = talking;
	x->level = level100;
	rg_loop_call(w->m->control, talk_run, x);
}

/* ---- worker side ---- */

static void on_candidate(void *arg, const char *cand)
{
	post(arg, MSG_CANDIDATE, cand, NULL);
}

static void on_state(void *arg, enum rg_leg_state st, const char *why)
{
	struct wleg *wl = arg;
	(void)st;
	post(wl, MSG_STATE, why, leg_stats(wl));
}

static void on_rtp(void *arg, const uint8_t *pkt, size_t len)
{
	struct wleg *wl = arg;
	if (wl->rl)
		relay_forward(wl->w->relay, wl->rl, pkt, len);
}

static const struct rg_leg_cb leg_cb = { on_candidate, on_state, on_rtp, NULL };

/* Setting a leg up (the offer's parse, the DTLS handshake) takes several
 * times the memory the leg keeps; malloc keeps what was freed for reuse,
 * and after a burst of setups that is megabytes of RSS (rg-load, 1 -> 100:
 * 144 KB per play leg, 99 KB with this). Once a second has passed without
 * a new leg, it goes back to the system. */
static void trim_after_setup(struct worker *w)
{
#ifdef __GLIBC__
	if (w->opened_since_trim && rg_mono_us() - w->last_open_us > 1000000) {
		w->opened_since_trim = 0;
		malloc_trim(0);
	}
#else
	(void)w;
#endif
}

static bool stats_tick(void *arg)
{
	struct worker *w = arg;
	GHashTableIter it;
	gpointer k, v;
	unsigned slice = w->stats_slice;
	w->stats_slice = (slice + 1) % STATS_SLICES;
	g_hash_table_iter_init(&it, w->legs);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((struct wleg *)v)->stats_slice == slice)
			post(v, MSG_STATS, NULL, leg_stats(v));
	if (slice == 0) {
		relay_check_idle(w->relay, rg_mono_us());
		vp_worker_stats(w);
		trim_after_setup(w);
	}
	return true;
}

static void wleg_free(gpointer p)
{
	struct wleg *wl = p;
	if (wl->rl)
		relay_detach(wl->w->relay, wl->rl);
	rg_leg_free(wl->leg);
	g_free(wl->owner);
	g_free(wl->stream_id);
	g_free(wl);
}

struct open_job {
	struct worker *w;
	char leg_id[RG_LEG_ID_LEN + 1];
	char *owner, *stream_id, *sdp, *req;
	enum rg_leg_dir dir;
};

void media_ensure_relay(struct worker *w)
{
	if (!w->relay) {
		w->relay = relay_new(w->loop, on_talk, w);
		w->stats_timer = rg_timer_add(w->loop, STATS_MS / STATS_SLICES, stats_tick, w);
	}
}

static void open_run(void *arg)
{
	struct open_job *j = arg;
	struct worker *w = j->w;
	media_ensure_relay(w);
	struct wleg *wl = g_new0(struct wleg, 1);
	wl->w = w;
	wl->stats_slice = w->next_slice++ % STATS_SLICES;
	w->opened_since_trim++;
	w->last_open_us = rg_mono_us();
	memcpy(wl->id, j->leg_id, sizeof wl->id);
	wl->owner = j->owner;
	wl->stream_id = j->stream_id;
	char err[256] = "", *answer = NULL;
	int rc = rg_leg_create(&wl->leg, w->loop, &w->m->leg_cfg, j->dir, j->sdp, strlen(j->sdp), &leg_cb,
			       wl, &answer, err, sizeof err);
	struct msg *x = g_new0(struct msg, 1);
	x->m = w->m;
	x->kind = MSG_ANSWER;
	memcpy(x->leg_id, j->leg_id, sizeof x->leg_id);
	x->owner = g_strdup(j->owner);
	x->req = j->req;
	x->err = rc;
	x->text = g_strdup(err);
	if (rc == 0) {
		x->sdp = g_strdup(answer);
		wl->rl = relay_attach(w->relay, wl->leg, j->dir, wl->stream_id);
		g_hash_table_insert(w->legs, wl->id, wl);
	} else {
		wleg_free(wl);
	}
	free(answer);
	rg_loop_call(w->m->control, msg_run, x);
	if (rc == 0)
		rg_leg_start(wl->leg);
	g_free(j->sdp);
	g_free(j);
}

struct leg_job {
	struct worker *w;
	char leg_id[RG_LEG_ID_LEN + 1];
	char *cand;
};

static void cand_run(void *arg)
{
	struct leg_job *j = arg;
	struct wleg *wl = g_hash_table_lookup(j->w->legs, j->leg_id);
	if (wl && rg_leg_remote_candidate(wl->leg, j->cand) != 0)
		RG_DEBUG(MEDIA, "leg %s: bad remote candidate ignored", j->leg_id);
	g_free(j->cand);
	g_free(j);
}

static void close_run(void *arg)
{
	struct leg_job *j = arg;
	g_hash_table_remove(j->w->legs, j->leg_id);
	g_free(j);
}

static void teardown_run(void *arg)
{
	struct worker *w = arg;
	if (w->stats_timer)
		rg_timer_cancel(w->stats_timer);
	vp_worker_teardown(w);
	g_hash_table_destroy(w->legs);
	relay_free(w->relay);
	w->relay = NULL;
	w->legs = NULL;
}

/* ---- control side ---- */

/* The writer thread's reports, on the control loop: a failed file fails
 * its recording. */
static void on_writer_report(void *arg, const struct rg_writer_report *r)
{
	struct rg_media *m = arg;
	if (m->closing)
		return;
	char *id = recorder_file_owner(m, r->file);
	recorder_file_forget(m, r->file);
	char *done = id ? g_hash_table_lookup(m->rec_parked, id) : NULL;
	if (done && recorder_files_left(m, id) == 0) {
		/* everything the recording queued is on disk now */
		done = g_strdup(done);
		g_hash_table_remove(m->rec_parked, id);
		if (m->ev->rec_done)
			m->ev->rec_done(m->ctx, id, done);
		g_free(done);
	}
	if (id && r->err && g_hash_table_contains(m->vps, id) && m->ev->vp_end) {
		char why[200];
		const char *name = r->err == -ENOSPC ? "ENOSPC" : r->err == -EACCES ? "EACCES"
				 : r->err == -ENOTDIR ? "ENOTDIR" : r->err == -ENOENT ? "ENOENT"
				 : r->err == -EIO ? "EIO" : "error";
		snprintf(why, sizeof why, "failed: %s: %s", name, strerror(-r->err));
		m->ev->vp_end(m->ctx, id, why);
	}
	g_free(id);
}

/* The mixers' helper threads (media.mix_threads, by default one less than
 * the CPUs: with the worker that ticks a room, one thread per core). A
 * server without them still mixes, each room on its worker alone. */
static void mix_pool_start(struct rg_media *m, const struct rg_config *cfg)
{
	unsigned n = cfg->mix_threads;
	if (n == RG_CFG_MIX_THREADS_AUTO) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 1 ? (unsigned)MIN(cpus - 1, 64) : 0;
	}
	if (n == 0)
		return;
	int err = mixpool_new(&m->pool, n, m->n, MIXER_SCRATCH_BYTES);
	if (err) {
		RG_WARN(MEDIA, "mixer helper threads: %s; mixing on the media workers alone", strerror(-err));
		m->pool = NULL;
		return;
	}
	RG_INFO(MEDIA, "%u mixer helper thread%s", n, n == 1 ? "" : "s");
}

struct rg_media *rg_media_new(struct rg_loop *control, struct rg_loop **workers, unsigned n,
			      const struct rg_config *cfg, const struct rg_media_events *ev, void *ctx,
			      char *err, size_t errlen)
{
	struct rg_media *m = g_new0(struct rg_media, 1);
	m->cert = rg_dtls_cert_new();
	if (!m->cert) {
		snprintf(err, errlen, "cannot create the DTLS certificate");
		g_free(m);
		return NULL;
	}
	m->control = control;
	m->ev = ev;
	m->ctx = ctx;
	m->leg_cfg.cert = m->cert;
	m->leg_cfg.bind_address = cfg->media_address;
	m->leg_cfg.public_address = cfg->public_address;
	m->leg_cfg.port_min = cfg->rtp_port_min;
	m->leg_cfg.port_max = cfg->rtp_port_max;
	m->leg_cfg.epoll_rx = true; /* rg-load: 59k -> 80k relayed packets per CPU-second at 1 -> 1000 */
	m->leg_cfg.direct_tx = true;
	m->n = n;
	m->workers = g_new0(struct worker, n);
	for (unsigned i = 0; i < n; i++) {
		m->workers[i].m = m;
		m->workers[i].loop = workers[i];
		m->workers[i].legs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, wleg_free);
		vp_worker_init(&m->workers[i]);
	}
	m->mixcfg.max_talkers = cfg->mix_max_talkers;
	m->mixcfg.jb_min_ms = cfg->jitter_min_ms;
	m->mixcfg.jb_max_ms = cfg->jitter_max_ms;
	mix_pool_start(m, cfg);
	vp_control_init(m);
	g_mutex_init(&m->rec_lock);
	m->rec_files = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	m->rec_parked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct rg_writer_cfg wc = { 0, 0, 2000, control, on_writer_report, m };
	int we = rg_writer_new(&m->writer, &wc);
	if (we) {
		snprintf(err, errlen, "cannot start the recordings writer: %s", strerror(-we));
		m->writer = NULL;
	}
	m->legs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
	return m;
}

static void cleg_free(struct cleg *c)
{
	g_free(c->stats);
	g_free(c->room_id);
	g_free(c->user_id);
	g_free(c->owner);
	g_free(c->stream_id);
	g_free(c);
}

void rg_media_shutdown(struct rg_media *m)
{
	m->closing = true;
	for (unsigned i = 0; i < m->n; i++)
		rg_loop_call(m->workers[i].loop, teardown_run, &m->workers[i]);
}

void rg_media_free(struct rg_media *m)
{
	if (!m)
		return;
	/* the workers are gone: nothing queues any more; its last reports run
	 * (and are dropped: closing) before m goes */
	rg_writer_free(m->writer);
	mixpool_free(m->pool);
	rg_loop_drain(m->control);
	g_hash_table_destroy(m->rec_files);
	g_hash_table_destroy(m->rec_parked);
	g_mutex_clear(&m->rec_lock);
	GList *all = g_hash_table_get_values(m->legs);
	for (GList *l = all; l; l = l->next)
		cleg_free(l->data);
	g_list_free(all);
	g_hash_table_destroy(m->legs);
	vp_control_free(m);
	g_free(m->workers);
	rg_dtls_cert_free(m->cert);
	g_free(m);
}

void rg_media_open(struct rg_media *m, const struct rg_media_open_params *p, char *leg_id)
{
	RG_ASSERT_LOOP(m->control);
	struct cleg *c = g_new0(struct cleg, 1);
	rg_random_id(c->id, RG_LEG_ID_LEN / 2);
	c->owner = g_strdup(p->owner);
	c->room_id = g_strdup(p->room_id);
	c->user_id = g_strdup(p->user_id);
	c->stream_id = g_strdup(p->stream_id);
	c->dir = p->dir;
	c->worker = p->worker % m->n;
	g_hash_table_insert(m->legs, c->id, c);
	memcpy(leg_id, c->id, RG_LEG_ID_LEN + 1);
	struct open_job *j = g_new0(struct open_job, 1);
	j->w = &m->workers[c->worker];
	memcpy(j->leg_id, c->id, sizeof j->leg_id);
	j->owner = g_strdup(p->owner);
	j->stream_id = g_strdup(p->stream_id);
	j->sdp = g_strdup(p->sdp);
	j->req = g_strdup(p->req);
	j->dir = p->dir;
	rg_loop_call(j->w->loop, open_run, j);
}

static struct leg_job *leg_job(struct rg_media *m, const char *leg_id)
{
	struct cleg *c = g_hash_table_lookup(m->legs, leg_id);
	if (!c)
		return NULL;
	struct leg_job *j = g_new0(struct leg_job, 1);
	j->w = &m->workers[c->worker];
	memcpy(j->leg_id, c->id, sizeof j->leg_id);
	return j;
}

void rg_media_candidate(struct rg_media *m, const char *leg_id, const char *cand)
{
	struct leg_job *j = leg_job(m, leg_id);
	if (!j)
		return;
	j->cand = g_strdup(cand);
	rg_loop_call(j->w->loop, cand_run, j);
}

void rg_media_close(struct rg_media *m, const char *leg_id)
{
	struct leg_job *j = leg_job(m, leg_id);
	if (!j)
		return;
	struct cleg *c = g_hash_table_lookup(m->legs, leg_id);
	g_hash_table_remove(m->legs, leg_id);
	cleg_free(c);
	rg_loop_call(j->w->loop, close_run, j);
}

bool rg_media_owns(struct rg_media *m, const char *owner, const char *leg_id)
{
	struct cleg *c = leg_id ? g_hash_table_lookup(m->legs, leg_id) : NULL;
	return c && !strcmp(c->owner, owner);
}

static cJSON *legs_json(struct rg_media *m, const char *stream_id, const char *room_id,
			const char *user_id)
{
	cJSON *a = cJSON_CreateArray();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, m->legs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct cleg *c = v;
		if ((stream_id && strcmp(c->stream_id, stream_id)) ||
		    (room_id && (strcmp(c->room_id, room_id) || strcmp(c->user_id, user_id))))
			continue;
		cJSON *j = c->stats ? rg_leg_stats_to_json(c->stats) : cJSON_CreateObject();
		cJSON_AddStringToObject(j, "leg_id", c->id);
		cJSON_AddStringToObject(j, "stream_id", c->stream_id);
		if (!c->stats) {
			cJSON_AddStringToObject(j, "direction", c->dir == RG_LEG_RECV ? "publish" : "play");
			cJSON_AddStringToObject(j, "state", "new");
		}
		cJSON_AddItemToArray(a, j);
	}
	return a;
}

cJSON *rg_media_stream_legs_json(struct rg_media *m, const char *stream_id)
{
	return legs_json(m, stream_id, NULL, NULL);
}

cJSON *rg_media_user_legs_json(struct rg_media *m, const char *room_id, const char *user_id)
{
	return legs_json(m, NULL, room_id, user_id);
}
