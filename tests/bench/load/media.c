/* rg-load media workers: client legs in the offering role, the
 * publishers' 20 ms packets and the players' counts (see load.h). */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "load.h"
#include "rtp/rtp.h"

#define TONE_FRAMES 50 /* one second of 20 ms frames, sent in a cycle */
#define MAX_PUB 4096

struct lworker {
	unsigned idx;
	struct rg_loop *loop, *control;
	struct rg_leg_config cfg;
	struct cleg **legs; /* every leg of this worker */
	size_t nlegs, cap;
	struct cleg *pubs[MAX_PUB];
	unsigned npubs, tone_pos;
	unsigned timer;
	bool counting;
	bool talking; /* publishers send (off while the play legs are set up) */
	struct lstats st;
};

static uint8_t tone[TONE_FRAMES][256];
static size_t tone_len[TONE_FRAMES];

int load_tone_init(void)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
	if (!enc)
		return -EIO;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	int16_t pcm[960];
	for (unsigned f = 0; f < TONE_FRAMES; f++) {
		for (unsigned i = 0; i < 960; i++)
			pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (f * 960 + i) / 48000.0));
		int n = opus_encode(enc, pcm, 960, tone[f], sizeof tone[f]);
		if (n <= 0) {
			opus_encoder_destroy(enc);
			return -EIO;
		}
		tone_len[f] = (size_t)n;
	}
	opus_encoder_destroy(enc);
	return 0;
}

/* ---- calls posted to the control loop ---- */

struct cand_msg {
	struct cleg *leg;
	char *cand;
	int state; /* -1: a candidate */
};

static void post_cand_cb(void *arg)
{
	struct cand_msg *m = arg;
	if (m->state < 0)
		load_leg_candidate(m->leg, m->cand);
	else
		load_leg_state(m->leg, (enum rg_leg_state)m->state);
	free(m);
}

static void post(struct cleg *leg, const char *cand, int state)
{
	struct cand_msg *m = malloc(sizeof *m);
	m->leg = leg;
	m->cand = cand ? strdup(cand) : NULL;
	m->state = state;
	rg_loop_call(leg->w->control, post_cand_cb, m);
}

/* ---- leg callbacks (worker) ---- */

static void on_candidate(void *arg, const char *cand)
{
	post(arg, cand, -1);
}

bool load_verbose;

static void on_state(void *arg, enum rg_leg_state st, const char *why)
{
	struct cleg *l = arg;
	if (load_verbose)
		fprintf(stderr, "rg-load: %.3f: %s %s leg %p, attempt %u: %s%s%s\n", (double)rg_mono_us() / 1e6,
			l->dir == RG_LEG_SEND ? "publish" : "play", l->stream_id, (void *)l, l->attempt + 1,
			rg_leg_state_name(st), why[0] ? ": " : "", why);
	post(arg, NULL, (int)st);
}

static void count_latency(struct lstats *st, int64_t us)
{
	if (us < 0)
		us = 0;
	size_t b = us < LOAD_HIST_FINE ? (size_t)us
		   : us < LOAD_HIST_FINE + LOAD_HIST_COARSE * 1000
			   ? LOAD_HIST_FINE + (size_t)(us - LOAD_HIST_FINE) / 1000
			   : LOAD_HIST_N - 1;
	st->hist[b]++;
	if ((uint64_t)us > st->lat_max_us)
		st->lat_max_us = (uint64_t)us;
}

/* The wall clock as a UQ32.32 NTP timestamp (abs-capture-time). */
static uint64_t ntp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t sec = (uint64_t)ts.tv_sec + 2208988800u;
	return sec << 32 | (((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

static int64_t ntp_diff_us(uint64_t later, uint64_t earlier)
{
	int64_t d = (int64_t)(later - earlier); /* Q32.32 seconds */
	return (d / 4294967296) * 1000000 + ((d % 4294967296) * 1000000) / 4294967296;
}

static void count_seq(struct cleg *l, uint16_t seq)
{
	int64_t ext = l->seen ? l->max_ext + (int16_t)(uint16_t)(seq - l->last_seq) : 0;
	if (!l->seen) {
		l->first_ext = l->max_ext = 0;
		l->seen = true;
		l->last_seq = seq;
	} else if (ext > l->max_ext) {
		l->max_ext = ext;
		l->last_seq = seq;
	}
	l->rx++;
}

/* A decrypting player: latency from abs-capture-time, and the count. */
static void on_rtp(void *arg, const uint8_t *pkt, size_t len)
{
	struct cleg *l = arg;
	struct lworker *w = l->w;
	if (!w->counting)
		return;
	uint64_t now = ntp_now();
	struct rtp_header h;
	struct rtp_ext_elem e;
	uint8_t ct = rg_leg_capture_time_id(l->leg);
	if (rtp_header_decode(&h, pkt, len) != 0) {
		w->st.bad++;
		return;
	}
	count_seq(l, h.seq);
	if (!ct || rtp_ext_find(&h, ct, &e) != 0 || e.len < 8) {
		w->st.bad++; /* no send time: a server that does not forward abs-capture-time */
		return;
	}
	uint64_t sent = 0;
	for (int i = 0; i < 8; i++)
		sent = sent << 8 | e.data[i];
	count_latency(&w->st, ntp_diff_us(now, sent));
	w->st.rx_decrypted++;
}

/* A counting player: the packet as it came (the leg checked its length). */
static void on_srtp(void *arg, const uint8_t *pkt, size_t len)
{
	struct cleg *l = arg;
	(void)len;
	if (l->w->counting)
		count_seq(l, (uint16_t)(pkt[2] << 8 | pkt[3]));
}

static const struct rg_leg_cb leg_cb = { on_candidate, on_state, on_rtp, NULL };
static const struct rg_leg_cb leg_cb_count = { on_candidate, on_state, NULL, on_srtp };

/* ---- publishing ---- */

/* RTP header, the extension block (audio level, abs-capture-time: the send
 * time) and the Opus frame; returns the length. */
static size_t build_packet(uint8_t *p, struct cleg *l, const uint8_t *opus, size_t olen, uint64_t now)
{
	uint8_t level_id = rg_leg_audio_level_id(l->leg), ct = rg_leg_capture_time_id(l->leg);
	uint32_t ssrc = rg_leg_ssrc(l->leg);
	p[0] = 0x90; /* V=2, X=1 */
	p[1] = rg_leg_opus_pt(l->leg);
	p[2] = (uint8_t)(l->seq >> 8);
	p[3] = (uint8_t)l->seq;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)(l->ts >> (24 - 8 * i));
		p[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
	}
	const uint8_t ext_hdr[] = { 0xBE, 0xDE, 0x00, 0x03, (uint8_t)(level_id << 4), 0x28 /* -40 dBov */,
				    (uint8_t)(ct << 4 | 7) };
	memcpy(p + 12, ext_hdr, sizeof ext_hdr);
	if (!level_id)
		p[16] = p[17] = 0; /* padding */
	if (!ct) {
		memset(p + 18, 0, 9);
		now = 0;
	}
	for (int i = 0; i < 8; i++)
		p[19 + i] = (uint8_t)(now >> (56 - 8 * i));
	p[27] = 0; /* padding to 12 bytes of elements */
	memcpy(p + 28, opus, olen);
	return 28 + olen;
}

static bool send_tick(void *arg)
{
	struct lworker *w = arg;
	if (!w->talking)
		return true;
	const uint8_t *opus = tone[w->tone_pos];
	size_t olen = tone_len[w->tone_pos];
	w->tone_pos = (w->tone_pos + 1) % TONE_FRAMES;
	for (unsigned i = 0; i < w->npubs; i++) {
		struct cleg *l = w->pubs[i];
		if (!l->leg || rg_leg_state(l->leg) != RG_LEG_CONNECTED)
			continue;
		/* the RTP time follows the clock (a tick that comes late skips
		 * frames, as a real sender's would), so the server sees packets on
		 * time even when this thread is not */
		int64_t now = rg_mono_us();
		if (!l->t0_us)
			l->t0_us = now;
		l->ts = l->ts0 + (uint32_t)((now - l->t0_us) * 48 / 1000 / 960 * 960);
		uint8_t buf[1500 + RG_LEG_TRAILER_ROOM];
		size_t n = build_packet(buf, l, opus, olen, ntp_now());
		if (rg_leg_send_rtp(l->leg, buf, n, sizeof buf) == 0 && w->counting)
			w->st.sent++;
		l->seq++;
	}
	return true;
}

/* ---- calls posted to the worker ---- */

struct ready {
	struct cleg *l;
	int rc;
	char err[256];
};

static void ready_cb(void *a)
{
	struct ready *r = a;
	load_offer_ready(r->l, r->rc, r->err);
	free(r);
}

static void do_offer(void *arg)
{
	struct cleg *l = arg;
	struct lworker *w = l->w;
	char err[256] = "";
	const struct rg_leg_cb *cb = l->dir == RG_LEG_RECV && !l->decrypt ? &leg_cb_count : &leg_cb;
	int rc = rg_leg_create_offer(&l->leg, w->loop, &w->cfg, l->dir, cb, l, &l->offer, err, sizeof err);
	if (!rc) {
		if (w->nlegs == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->legs = realloc(w->legs, w->cap * sizeof *w->legs);
		}
		w->legs[w->nlegs++] = l;
		rg_random_bytes(&l->seq, sizeof l->seq);
		rg_random_bytes(&l->ts0, sizeof l->ts0);
		if (l->dir == RG_LEG_SEND && w->npubs < MAX_PUB)
			w->pubs[w->npubs++] = l;
		if (l->dir == RG_LEG_SEND && !w->timer)
			w->timer = rg_timer_add(w->loop, 20, send_tick, w);
	}
	struct ready *r = malloc(sizeof *r);
	r->l = l;
	r->rc = rc;
	snprintf(r->err, sizeof r->err, "%s", err);
	rg_loop_call(w->control, ready_cb, r);
}

static void do_answer(void *arg)
{
	struct cleg *l = arg;
	char err[256] = "";
	if (rg_leg_set_answer(l->leg, l->answer, strlen(l->answer), err, sizeof err) != 0) {
		fprintf(stderr, "rg-load: bad answer for %s: %s\n", l->stream_id, err);
		post(l, NULL, RG_LEG_FAILED);
	} else {
		rg_leg_start(l->leg);
	}
	free(l->answer);
	l->answer = NULL;
}

struct cand_job {
	struct cleg *leg;
	char cand[];
};

static void do_candidate(void *arg)
{
	struct cand_job *j = arg;
	if (j->leg->leg)
		rg_leg_remote_candidate(j->leg->leg, j->cand);
	free(j);
}

static void do_drop(void *arg)
{
	struct cleg *l = arg;
	rg_leg_free(l->leg);
	l->leg = NULL;
}

void lworker_drop(struct cleg *leg)
{
	rg_loop_call(leg->w->loop, do_drop, leg);
}

void lworker_offer(struct cleg *leg)
{
	rg_loop_call(leg->w->loop, do_offer, leg);
}

void lworker_answer(struct cleg *leg)
{
	rg_loop_call(leg->w->loop, do_answer, leg);
}

void lworker_candidate(struct cleg *leg, const char *cand)
{
	size_t n = strlen(cand);
	struct cand_job *j = malloc(sizeof *j + n + 1);
	j->leg = leg;
	memcpy(j->cand, cand, n + 1);
	rg_loop_call(leg->w->loop, do_candidate, j);
}

/* ---- the measured window ---- */

struct window_job {
	struct lworker *w;
	bool start;
	atomic_uint *done;
};

static void do_window(void *arg)
{
	struct window_job *j = arg;
	struct lworker *w = j->w;
	if (j->start) {
		memset(&w->st, 0, sizeof w->st);
		for (size_t i = 0; i < w->nlegs; i++) {
			w->legs[i]->seen = false;
			w->legs[i]->rx = 0;
		}
		w->counting = true;
	} else {
		w->counting = false;
		for (size_t i = 0; i < w->nlegs; i++) {
			struct cleg *l = w->legs[i];
			if (l->dir != RG_LEG_RECV || !l->seen)
				continue;
			w->st.rx += l->rx;
			w->st.expected += (uint64_t)(l->max_ext - l->first_ext + 1);
		}
	}
	atomic_fetch_add(j->done, 1);
	free(j);
}

struct talk_job {
	struct lworker *w;
	bool on;
};

static void do_talk(void *arg)
{
	struct talk_job *j = arg;
	j->w->talking = j->on;
	free(j);
}

void lworker_talk(struct lworker **ws, unsigned n, bool on)
{
	for (unsigned i = 0; i < n; i++) {
		struct talk_job *j = malloc(sizeof *j);
		*j = (struct talk_job){ ws[i], on };
		rg_loop_call(ws[i]->loop, do_talk, j);
	}
}

void lworker_window(struct lworker **ws, unsigned n, bool start, struct lstats *st)
{
	atomic_uint done = 0;
	for (unsigned i = 0; i < n; i++) {
		struct window_job *j = malloc(sizeof *j);
		*j = (struct window_job){ ws[i], start, &done };
		rg_loop_call(ws[i]->loop, do_window, j);
	}
	while (atomic_load(&done) < n)
		usleep(1000);
	if (start || !st)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct lstats *s = &ws[i]->st;
		st->sent += s->sent;
		st->rx += s->rx;
		st->rx_decrypted += s->rx_decrypted;
		st->expected += s->expected;
		st->bad += s->bad;
		for (size_t b = 0; b < LOAD_HIST_N; b++)
			st->hist[b] += s->hist[b];
		if (s->lat_max_us > st->lat_max_us)
			st->lat_max_us = s->lat_max_us;
	}
}

/* ---- life ---- */

/* GLib's poll, but a wait starts at most once per batch: the time since the
 * last wait ended is slept first. Per thread: each loop polls from its own. */
static __thread int64_t batch_us, last_wait_end_us;

static gint batched_poll(GPollFD *fds, guint n, gint timeout_ms)
{
	if (timeout_ms != 0 && batch_us > 0) {
		int64_t nap = last_wait_end_us + batch_us - rg_mono_us();
		if (timeout_ms > 0 && nap > (int64_t)timeout_ms * 1000)
			nap = (int64_t)timeout_ms * 1000;
		if (nap > 0) {
			usleep((useconds_t)nap);
			if (timeout_ms > 0)
				timeout_ms = timeout_ms - (gint)(nap / 1000) > 0 ? timeout_ms - (gint)(nap / 1000) : 0;
		}
	}
	gint r = g_poll(fds, n, timeout_ms);
	if (timeout_ms != 0)
		last_wait_end_us = rg_mono_us();
	return r;
}

static void set_batch(void *arg)
{
	batch_us = (int64_t)(uintptr_t)arg * 1000;
	g_main_context_set_poll_func(g_main_context_get_thread_default(), batched_poll);
}

struct lworker *lworker_new(unsigned idx, struct rg_loop *control, const struct rg_leg_config *cfg,
			    unsigned batch_ms)
{
	struct lworker *w = calloc(1, sizeof *w);
	char name[32];
	snprintf(name, sizeof name, "load-%u", idx);
	w->idx = idx;
	w->control = control;
	w->cfg = *cfg;
	w->loop = rg_loop_new_thread(name);
	if (batch_ms)
		rg_loop_call(w->loop, set_batch, (void *)(uintptr_t)batch_ms);
	return w;
}

static void do_teardown(void *arg)
{
	struct lworker *w = arg;
	rg_timer_cancel(w->timer);
	w->timer = 0;
	for (size_t i = 0; i < w->nlegs; i++) {
		rg_leg_free(w->legs[i]->leg);
		w->legs[i]->leg = NULL;
	}
	w->nlegs = 0;
	w->npubs = 0;
}

void lworker_stop(struct lworker *w)
{
	rg_loop_call(w->loop, do_teardown, w);
	rg_loop_stop_thread(w->loop);
	w->loop = NULL;
}

void lworker_free(struct lworker *w)
{
	if (!w)
		return;
	free(w->legs);
	free(w);
}
