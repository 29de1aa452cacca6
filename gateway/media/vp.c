/* Virtual participants' media: RTP endpoints and mixes, per room on the
 * room's worker, and the worker's mixer clock.
 *
 * A worker keeps one struct wroom per room that has a mixer (created with
 * its first virtual participant, freed with its last); every mixer on the
 * worker ticks from one timerfd armed with an absolute 20 ms period
 * (TFD_TIMER_ABSTIME), so ticks never drift; expirations missed while the
 * worker was busy are caught up (at most MAX_CATCHUP ticks at once) and
 * counted. Control-side records (struct cvp) keep the latest statistics
 * pushed by the worker, for the admin API. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "media/endpoint.h"
#include "media/media_int.h"
#include "media/mixpool.h"
#include "media/recorder.h"
#include "media/relay.h"

#define TICK_NS 20000000L
#define MAX_CATCHUP 5
#define LEVEL_EXT_ID 1

struct wroom {
	struct worker *w;
	char *id;
	struct mixer *mx;
	unsigned vps;
	GHashTable *streams; /* the "all" set: stream id -> user id */
};

struct wvp {
	struct worker *w;
	char *id;
	struct wroom *room;
	struct rtpep *ep;             /* an RTP endpoint, or */
	struct wrec *rec;             /* a recorder, or */
	struct mixer_out *out;        /* a mix: its output ... */
	struct relay_leg *pub;        /* ... published as a stream */
	char *stream_id;
	char *ep_stream;              /* an endpoint's published stream */
	uint32_t ssrc, ts;
	uint16_t seq;
	uint64_t frames;
};

struct cvp {
	char *id;
	unsigned worker;
	char *stats; /* the latest statistics as the worker wrote them (JSON
			text: parsed only when asked for, a tree is several
			times larger) */
};

/* ---- the worker's clock ---- */

static void tick_all(struct worker *w)
{
	int64_t t0 = rg_mono_us();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, w->rooms);
	while (g_hash_table_iter_next(&it, &k, &v))
		mixer_tick(((struct wroom *)v)->mx, (uint64_t)t0);
	int64_t d = rg_mono_us() - t0;
	w->tick_us[w->tick_n++ % G_N_ELEMENTS(w->tick_us)] = (uint32_t)MIN(d, (int64_t)UINT32_MAX);
	w->ticks++;
}

static void on_tick(int fd, unsigned ev, void *arg)
{
	struct worker *w = arg;
	(void)ev;
	uint64_t n = 0;
	if (read(fd, &n, sizeof n) != sizeof n || n == 0)
		return;
	if (n > 1)
		w->tick_overruns += n - 1;
	for (uint64_t i = 0; i < n && i < MAX_CATCHUP; i++)
		tick_all(w);
}

static void clock_start(struct worker *w)
{
	if (w->tick_fd >= 0)
		return;
	w->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tick_fd < 0) {
		RG_ERR(MEDIA, "timerfd_create: %s", strerror(errno));
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec its = { .it_interval = { 0, TICK_NS }, .it_value = now };
	its.it_value.tv_nsec += TICK_NS;
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	timerfd_settime(w->tick_fd, TFD_TIMER_ABSTIME, &its, NULL);
	w->tick_watch = rg_fd_watch_add(w->loop, w->tick_fd, RG_FD_IN, on_tick, w);
}

static void clock_stop(struct worker *w)
{
	if (w->tick_fd < 0)
		return;
	rg_fd_watch_remove(w->tick_watch);
	close(w->tick_fd);
	w->tick_fd = -1;
	w->tick_watch = NULL;
}

/* ---- rooms on the worker ---- */

static struct wroom *wroom_get(struct worker *w, const char *room_id)
{
	struct wroom *r = g_hash_table_lookup(w->rooms, room_id);
	if (r)
		return r;
	media_ensure_relay(w);
	r = g_new0(struct wroom, 1);
	r->w = w;
	r->id = g_strdup(room_id);
	struct mixer_config mc = { w->m->mixcfg.max_talkers, w->m->mixcfg.jb_min_ms, w->m->mixcfg.jb_max_ms,
				   w->m->pool ? mixpool_slot(w->m->pool, (unsigned)(w - w->m->workers)) : NULL,
				   NULL };
	r->mx = mixer_new(w->relay, &mc);
	r->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(w->rooms, r->id, r);
	clock_start(w);
	return r;
}

static void wroom_free(gpointer p)
{
	struct wroom *r = p;
	mixer_free(r->mx);
	g_hash_table_destroy(r->streams);
	g_free(r->id);
	g_free(r);
}

static void wroom_unref(struct wroom *r)
{
	if (--r->vps)
		return;
	struct worker *w = r->w;
	g_hash_table_remove(w->rooms, r->id);
	if (g_hash_table_size(w->rooms) == 0)
		clock_stop(w);
}

/* ---- worker -> control ---- */

static char *json_text(cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	char *g = g_strdup(s);
	free(s);
	return g;
}

struct vp_msg {
	struct rg_media *m;
	char *id;
	char *why;    /* end */
	char *done;   /* a recorder's final description (JSON) */
	char *stats;  /* stats JSON */
	cJSON *wstats;
	unsigned worker;
	char digit;   /* DTMF received */
};

static void vp_msg_run(void *arg)
{
	struct vp_msg *x = arg;
	struct rg_media *m = x->m;
	if (!m->closing) {
		if (x->wstats) {
			cJSON_ReplaceItemInArray(m->worker_stats, (int)x->worker, x->wstats);
			x->wstats = NULL;
		}
		struct cvp *c = x->id ? g_hash_table_lookup(m->vps, x->id) : NULL;
		if (c && x->stats) {
			g_free(c->stats);
			c->stats = x->stats;
			x->stats = NULL;
		}
		if (c && x->digit && m->ev->dtmf)
			m->ev->dtmf(m->ctx, x->id, x->digit);
		if (c && x->why && m->ev->vp_end)
			m->ev->vp_end(m->ctx, x->id, x->why);
		/* a recorder's end: reported once the writer has written and
		 * closed all its files (media.c, on_writer_report) */
		if (x->done && recorder_files_left(m, x->id)) {
			g_hash_table_replace(m->rec_parked, g_strdup(x->id), x->done);
			x->done = NULL;
		} else if (x->done && m->ev->rec_done) {
			m->ev->rec_done(m->ctx, x->id, x->done);
		}
	}
	cJSON_Delete(x->wstats);
	g_free(x->id);
	g_free(x->why);
	g_free(x->done);
	g_free(x->stats);
	g_free(x);
}

static void post_vp(struct worker *w, const char *id, const char *why, char *stats)
{
	struct vp_msg *x = g_new0(struct vp_msg, 1);
	x->m = w->m;
	x->id = g_strdup(id);
	x->why = g_strdup(why);
	x->stats = stats;
	rg_loop_call(w->m->control, vp_msg_run, x);
}

void media_post_vp_end(struct worker *w, const char *id, const char *why)
{
	post_vp(w, id, why, NULL);
}

static void on_ep_end(void *arg, const char *why)
{
	struct wvp *v = arg;
	post_vp(v->w, v->id, why, NULL);
}

static void on_ep_dtmf(void *arg, char digit)
{
	struct wvp *v = arg;
	struct vp_msg *x = g_new0(struct vp_msg, 1);
	x->m = v->w->m;
	x->id = g_strdup(v->id);
	x->digit = digit;
	rg_loop_call(v->w->m->control, vp_msg_run, x);
}

/* ---- mixes ---- */

static void on_mix_frame(void *arg, const uint8_t *payload, size_t len, uint8_t level)
{
	struct wvp *v = arg;
	uint8_t buf[20 + RG_MAX_PAYLOAD];
	int n = rtp_level_packet_build(buf, sizeof buf, 111, v->seq, v->ts, v->ssrc, LEVEL_EXT_ID, level,
				       payload, len);
	if (n < 0)
		return;
	v->seq++;
	v->ts += RG_FRAME_SAMPLES;
	v->frames++;
	relay_forward(v->w->relay, v->pub, buf, (size_t)n);
}

/* ---- jobs ---- */

struct vp_job {
	struct worker *w;
	char *id, *room_id;
	bool is_ep;
	struct rg_rtp_ep_params ep;
	char *publish, *play;
	char *stream_id;
	bool all;
	char **streams;
	unsigned max_talkers;
	bool add;
	char *user_id;      /* stream jobs */
	bool is_rec, mixed, wav;
	char *dir, *error;  /* recorders: directory; stop: the failure */
	int64_t start_ms;
	bool has_tone;      /* tone jobs: tone, or stop */
	struct rg_tone tone;
	char *digits;       /* DTMF jobs */
};

static void job_free(struct vp_job *j)
{
	g_free(j->id);
	g_free(j->room_id);
	g_free(j->publish);
	g_free(j->play);
	g_free(j->stream_id);
	g_free(j->user_id);
	g_free(j->dir);
	g_free(j->error);
	g_free(j->digits);
	g_strfreev(j->streams);
	g_free(j);
}

static void wvp_free(gpointer p)
{
	struct wvp *v = p;
	rtpep_free(v->ep);
	if (v->rec)
		cJSON_Delete(recorder_free(v->rec, NULL));
	if (v->out)
		mixer_out_remove(v->room->mx, v->out);
	if (v->pub)
		relay_detach(v->w->relay, v->pub);
	wroom_unref(v->room);
	g_free(v->stream_id);
	g_free(v->ep_stream);
	g_free(v->id);
	g_free(v);
}

static void open_run(void *arg)
{
	struct vp_job *j = arg;
	struct worker *w = j->w;
	struct wvp *v = g_new0(struct wvp, 1);
	v->w = w;
	v->id = g_strdup(j->id);
	v->room = wroom_get(w, j->room_id);
	v->room->vps++;
	if (j->is_rec) {
		struct wrec_params rp = { j->id, j->room_id, j->dir, j->mixed, j->wav, j->start_ms, j->max_talkers,
					  (const char *const *)j->streams };
		v->rec = recorder_new(w, v->room->mx, &rp);
		GHashTableIter it;
		gpointer k, u;
		g_hash_table_iter_init(&it, v->room->streams);
		while (g_hash_table_iter_next(&it, &k, &u))
			recorder_stream(v->rec, k, u, true);
	} else if (j->is_ep) {
		j->ep.publish_stream = j->publish;
		j->ep.play = j->play;
		v->ep = rtpep_new(w->loop, w->relay, v->room->mx, &j->ep, on_ep_end, v);
		rtpep_on_dtmf(v->ep, on_ep_dtmf);
		v->ep_stream = g_strdup(j->publish);
	} else {
		v->stream_id = g_strdup(j->stream_id);
		rg_random_bytes(&v->ssrc, sizeof v->ssrc);
		rg_random_bytes(&v->seq, sizeof v->seq);
		rg_random_bytes(&v->ts, sizeof v->ts);
		v->pub = relay_attach_local(w->relay, j->stream_id, LEVEL_EXT_ID);
		struct rg_codec_params cp;
		rg_codec_params_default(&cp, RG_CODEC_OPUS);
		struct mixer_out_params mp = {
			.all = j->all,
			.streams = (const char *const *)j->streams,
			.n_streams = j->streams ? g_strv_length(j->streams) : 0,
			.max_talkers = j->max_talkers,
			.codec = cp,
			.frame = on_mix_frame,
			.arg = v,
		};
		v->out = mixer_out_add(v->room->mx, &mp);
	}
	g_hash_table_insert(w->vps, v->id, v);
	job_free(j);
}

static void close_run(void *arg)
{
	struct vp_job *j = arg;
	struct wvp *v = g_hash_table_lookup(j->w->vps, j->id);
	if (v && v->rec) {
		cJSON *done = recorder_free(v->rec, j->error);
		v->rec = NULL;
		struct vp_msg *x = g_new0(struct vp_msg, 1);
		x->m = j->w->m;
		x->id = g_strdup(j->id);
		x->done = json_text(done);
		rg_loop_call(j->w->m->control, vp_msg_run, x);
	}
	g_hash_table_remove(j->w->vps, j->id);
	job_free(j);
}

/* update, tone and DTMF jobs of an endpoint */
static void ep_run(void *arg)
{
	struct vp_job *j = arg;
	struct wvp *v = g_hash_table_lookup(j->w->vps, j->id);
	if (v && v->ep) {
		if (j->is_ep)
			rtpep_update(v->ep, &j->ep);
		else if (j->digits)
			rtpep_dtmf(v->ep, j->digits);
		else
			rtpep_tone(v->ep, j->has_tone ? &j->tone : NULL);
	}
	job_free(j);
}

static void stream_run(void *arg)
{
	struct vp_job *j = arg;
	struct wroom *r = g_hash_table_lookup(j->w->rooms, j->room_id);
	if (r) {
		if (j->add) {
			mixer_input_add(r->mx, j->stream_id);
			g_hash_table_replace(r->streams, g_strdup(j->stream_id), g_strdup(j->user_id));
		} else {
			mixer_input_remove(r->mx, j->stream_id);
			g_hash_table_remove(r->streams, j->stream_id);
		}
		GHashTableIter it;
		gpointer k, val;
		g_hash_table_iter_init(&it, j->w->vps);
		while (g_hash_table_iter_next(&it, &k, &val)) {
			struct wvp *v = val;
			if (v->rec && v->room == r)
				recorder_stream(v->rec, j->stream_id, j->user_id, j->add);
		}
	}
	job_free(j);
}

/* ---- worker life and statistics ---- */

void vp_worker_init(struct worker *w)
{
	w->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, wroom_free);
	w->vps = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, wvp_free);
	w->tick_fd = -1;
}

void vp_worker_teardown(struct worker *w)
{
	g_hash_table_destroy(w->vps);
	g_hash_table_destroy(w->rooms);
	w->vps = w->rooms = NULL;
	clock_stop(w);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static cJSON *tick_json(struct worker *w)
{
	cJSON *j = cJSON_CreateObject();
	unsigned n = MIN(w->tick_n, G_N_ELEMENTS(w->tick_us));
	uint32_t s[G_N_ELEMENTS(w->tick_us)];
	memcpy(s, w->tick_us, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_u32);
	cJSON_AddNumberToObject(j, "rooms_mixed", g_hash_table_size(w->rooms));
	cJSON_AddNumberToObject(j, "ticks", (double)w->ticks);
	cJSON_AddNumberToObject(j, "tick_overruns", (double)w->tick_overruns);
	cJSON_AddNumberToObject(j, "tick_p50_us", n ? s[n / 2] : 0);
	cJSON_AddNumberToObject(j, "tick_p99_us", n ? s[(n * 99) / 100] : 0);
	cJSON_AddNumberToObject(j, "tick_max_us", n ? s[n - 1] : 0);
	struct mixpool_stats ps = { 0 };
	if (w->m->pool)
		mixpool_slot_stats(mixpool_slot(w->m->pool, (unsigned)(w - w->m->workers)), &ps);
	cJSON_AddNumberToObject(j, "parallel_jobs", (double)ps.jobs);
	cJSON_AddNumberToObject(j, "helper_jobs", (double)ps.helped);
	struct relay_stats rs = { 0 };
	if (w->relay)
		relay_get_stats(w->relay, &rs);
	cJSON_AddNumberToObject(j, "relay_packets", (double)rs.packets);
	cJSON_AddNumberToObject(j, "relay_copies", (double)rs.copies);
	cJSON_AddNumberToObject(j, "relay_dropped", (double)rs.dropped);
	return j;
}

void vp_worker_stats(struct worker *w)
{
	int64_t now = rg_mono_us();
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, w->vps);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct wvp *v = val;
		cJSON *j;
		if (v->ep) {
			rtpep_tick(v->ep, now);
			j = rtpep_to_json(v->ep);
		} else if (v->rec) {
			j = recorder_tick(v->rec);
		} else {
			j = cJSON_CreateObject();
			cJSON_AddNumberToObject(j, "frames", (double)v->frames);
			cJSON_AddNumberToObject(j, "players", relay_players(w->relay, v->stream_id));
			if (v->out)
				cJSON_AddItemToObject(j, "mix", mixer_out_to_json(v->out));
		}
		if (v->ep) {
			/* its own stream as the mix hears it: no room-sized JSON per participant */
			cJSON *in = v->ep_stream ? mixer_input_to_json(v->room->mx, v->ep_stream) : NULL;
			if (in)
				cJSON_AddItemToObject(j, "input", in);
		} else if (v->out) {
			cJSON_AddItemToObject(j, "inputs", mixer_out_inputs_json(v->room->mx, v->out));
		}
		post_vp(w, v->id, NULL, json_text(j));
	}
	struct vp_msg *x = g_new0(struct vp_msg, 1);
	x->m = w->m;
	x->wstats = tick_json(w);
	x->worker = (unsigned)(w - w->m->workers);
	rg_loop_call(w->m->control, vp_msg_run, x);
}

/* ---- control side ---- */

static void cvp_free(gpointer p)
{
	struct cvp *c = p;
	g_free(c->stats);
	g_free(c->id);
	g_free(c);
}

void vp_control_init(struct rg_media *m)
{
	m->vps = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cvp_free);
	m->worker_stats = cJSON_CreateArray();
	for (unsigned i = 0; i < m->n; i++)
		cJSON_AddItemToArray(m->worker_stats, cJSON_CreateObject());
}

void vp_control_free(struct rg_media *m)
{
	g_hash_table_destroy(m->vps);
	cJSON_Delete(m->worker_stats);
}

static struct vp_job *job_new(struct rg_media *m, unsigned worker, const char *room_id, const char *id)
{
	struct vp_job *j = g_new0(struct vp_job, 1);
	j->w = &m->workers[worker % m->n];
	j->id = g_strdup(id);
	j->room_id = g_strdup(room_id);
	return j;
}

static void cvp_add(struct rg_media *m, unsigned worker, const char *id)
{
	struct cvp *c = g_new0(struct cvp, 1);
	c->id = g_strdup(id);
	c->worker = worker % m->n;
	g_hash_table_replace(m->vps, c->id, c);
}

void rg_media_rtp_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const struct rg_rtp_ep_params *p)
{
	RG_ASSERT_LOOP(m->control);
	struct vp_job *j = job_new(m, worker, room_id, id);
	j->is_ep = true;
	j->ep = *p;
	j->publish = g_strdup(p->publish_stream);
	j->play = g_strdup(p->play);
	cvp_add(m, worker, id);
	rg_loop_call(j->w->loop, open_run, j);
}

static void ep_job(struct rg_media *m, const char *id, struct vp_job *tmpl)
{
	RG_ASSERT_LOOP(m->control);
	struct cvp *c = g_hash_table_lookup(m->vps, id);
	if (!c) {
		job_free(tmpl);
		return;
	}
	tmpl->w = &m->workers[c->worker];
	rg_loop_call(tmpl->w->loop, ep_run, tmpl);
}

void rg_media_rtp_update(struct rg_media *m, const char *id, const struct rg_rtp_ep_params *p)
{
	struct vp_job *j = job_new(m, 0, "", id);
	j->is_ep = true;
	j->ep = *p;
	j->ep.fd = j->ep.fd_rtcp = -1;
	j->ep.publish_stream = j->ep.play = NULL;
	ep_job(m, id, j);
}

void rg_media_rtp_tone(struct rg_media *m, const char *id, const struct rg_tone *t)
{
	struct vp_job *j = job_new(m, 0, "", id);
	j->has_tone = t != NULL;
	if (t)
		j->tone = *t;
	ep_job(m, id, j);
}

void rg_media_rtp_dtmf(struct rg_media *m, const char *id, const char *digits)
{
	struct vp_job *j = job_new(m, 0, "", id);
	j->digits = g_strdup(digits);
	ep_job(m, id, j);
}

void rg_media_mix_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const char *stream_id, bool all, const char *const *streams, size_t n,
		       unsigned max_talkers)
{
	RG_ASSERT_LOOP(m->control);
	struct vp_job *j = job_new(m, worker, room_id, id);
	j->stream_id = g_strdup(stream_id);
	j->all = all;
	j->max_talkers = max_talkers;
	if (!all) {
		j->streams = g_new0(char *, n + 1);
		for (size_t i = 0; i < n; i++)
			j->streams[i] = g_strdup(streams[i]);
	}
	cvp_add(m, worker, id);
	rg_loop_call(j->w->loop, open_run, j);
}

void rg_media_rec_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const struct rg_media_rec_params *p)
{
	RG_ASSERT_LOOP(m->control);
	struct vp_job *j = job_new(m, worker, room_id, id);
	j->is_rec = true;
	j->mixed = p->mixed;
	j->wav = p->wav;
	j->dir = g_strdup(p->dir);
	j->start_ms = p->start_ms;
	j->max_talkers = p->max_talkers;
	if (p->streams) {
		j->streams = g_new0(char *, p->n_streams + 1);
		for (size_t i = 0; i < p->n_streams; i++)
			j->streams[i] = g_strdup(p->streams[i]);
	}
	cvp_add(m, worker, id);
	rg_loop_call(j->w->loop, open_run, j);
}

void rg_media_vp_close(struct rg_media *m, const char *id)
{
	rg_media_rec_stop(m, id, NULL);
}

void rg_media_rec_stop(struct rg_media *m, const char *id, const char *error)
{
	struct cvp *c = g_hash_table_lookup(m->vps, id);
	if (!c)
		return;
	struct vp_job *j = job_new(m, c->worker, "", id);
	j->error = g_strdup(error);
	g_hash_table_remove(m->vps, id);
	rg_loop_call(j->w->loop, close_run, j);
}

void rg_media_room_stream(struct rg_media *m, unsigned worker, const char *room_id,
			  const char *stream_id, const char *user_id, bool add)
{
	struct vp_job *j = job_new(m, worker, room_id, NULL);
	j->stream_id = g_strdup(stream_id);
	j->user_id = g_strdup(user_id);
	j->add = add;
	rg_loop_call(j->w->loop, stream_run, j);
}

cJSON *rg_media_vp_json(struct rg_media *m, const char *id)
{
	struct cvp *c = g_hash_table_lookup(m->vps, id);
	if (!c)
		return NULL;
	cJSON *j = c->stats ? cJSON_Parse(c->stats) : NULL;
	return j ? j : cJSON_CreateObject();
}

cJSON *rg_media_mixer_stats(struct rg_media *m)
{
	return cJSON_Duplicate(m->worker_stats, true);
}
