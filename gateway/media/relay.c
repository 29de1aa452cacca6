/* The relay: stream -> publisher + player legs + taps, on one worker.
 *
 * A player leg keeps its own SSRC and continuous sequence numbers and
 * timestamps (rtp_rewriter), whoever publishes and however often the
 * publisher reconnects; it may attach before the stream has a publisher
 * and simply waits. The per-packet path copies once per player into a
 * stack buffer, rewrites and protects it there, and sends: no allocation,
 * no lock. Taps get the publisher's packet untouched, before the players.
 *
 * The players' copies go out after the packet was received, not from its
 * receive callback: the packet waits in its stream's queue (QUEUE_LEN
 * slots, allocated with the stream) and the relay's pump sends queued
 * packets to all their players, streams taking turns, for at most
 * PUMP_BUDGET_US (at least one packet) per turn of the worker's loop.
 * Whatever else the worker has to do (other legs' ICE consent
 * checks and RTCP, DTLS handshakes) gets a turn between two packets, so a
 * worker with more copies to send than it can (one stream's fan-out is one
 * core's work) still answers its peers: when a stream's queue is full, its
 * oldest packet is dropped unsent (counted: relay_stats), and every player
 * misses the same packets. Before this, a packet was fanned out from the
 * receive callback, and libnice reads a socket until it is empty: a worker
 * behind relayed its whole backlog in one callback, for seconds, and the
 * consent checks of every other leg went unanswered until their peers
 * gave up (docs/benchmarks.md).
 *
 * Header extensions pass through, with two negotiated ones mapped to each
 * player's ids: the audio level, and abs-capture-time (blanked for a
 * player that did not negotiate it). Other elements are left as sent.
 *
 * Talking: a packet with an RFC 6464 level feeds the stream's detector
 * (talk.h); a stream whose packets carry none is fed by the mixer when a
 * mix reads it (relay_stream_level), else it has no talking events. */
#include "media/relay.h"

#include <glib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "media/talk.h"

#define PKT_MS 20    /* the duration a level is assumed to cover */
#define PKT_MAX 1500
#define QUEUE_LEN 16 /* packets of a stream waiting for their fan-out: 320 ms of 20 ms frames */
#define DROP_LOG_US 10000000 /* drops are logged at most once per 10 s per worker */
#define PUMP_BUDGET_US 500 /* µs of fan-outs per turn of the loop (at least one packet) */

struct queued {
	int64_t at_us;  /* received */
	uint16_t len;
	uint8_t level_id, capture_id; /* the publisher's extension ids */
	uint8_t pkt[PKT_MAX];
};

struct stream_src {
	char *id;
	struct relay_leg *publisher;
	GPtrArray *players; /* struct relay_leg * */
	GPtrArray *taps;    /* struct relay_tap * */
	struct talk talk;
	bool has_levels;    /* the last packet carried a level */
	int64_t last_pkt_us;
	struct queued *queue; /* QUEUE_LEN slots, a ring */
	unsigned q_head, q_len;
	bool in_turns;        /* in relay.turns */
};

struct relay_leg {
	struct rg_leg *leg; /* NULL: a local publisher */
	enum rg_leg_dir dir;
	uint8_t level_id;   /* local publishers */
	struct stream_src *src;
	struct rtp_rewriter rw; /* players */
};

struct relay_tap {
	struct stream_src *src;
	relay_tap_fn fn;
	void *arg;
};

struct relay {
	struct rg_loop *loop;
	GHashTable *streams; /* id -> struct stream_src * */
	GQueue turns;        /* streams with queued packets, in turn */
	unsigned pump_timer;
	relay_talk_fn talk_fn;
	void *talk_arg;
	struct relay_stats st;
	uint64_t dropped_logged; /* st.dropped at the last log */
	int64_t drop_log_us;     /* when */
};

static void src_free(gpointer p)
{
	struct stream_src *s = p;
	g_ptr_array_free(s->players, TRUE);
	g_ptr_array_free(s->taps, TRUE);
	g_free(s->queue);
	g_free(s->id);
	g_free(s);
}

struct relay *relay_new(struct rg_loop *loop, relay_talk_fn talk, void *arg)
{
	struct relay *r = g_new0(struct relay, 1);
	r->loop = loop;
	r->streams = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, src_free);
	g_queue_init(&r->turns);
	r->talk_fn = talk;
	r->talk_arg = arg;
	return r;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	rg_timer_cancel(r->pump_timer);
	g_queue_clear(&r->turns);
	g_hash_table_destroy(r->streams);
	g_free(r);
}

void relay_get_stats(const struct relay *r, struct relay_stats *st)
{
	*st = r->st;
}

static struct stream_src *src_get(struct relay *r, const char *id)
{
	struct stream_src *s = g_hash_table_lookup(r->streams, id);
	if (!s) {
		s = g_new0(struct stream_src, 1);
		s->id = g_strdup(id);
		s->players = g_ptr_array_new();
		s->taps = g_ptr_array_new();
		g_hash_table_insert(r->streams, s->id, s);
	}
	return s;
}

static void talk_event(struct relay *r, struct stream_src *s, int change)
{
	if (change && r->talk_fn)
		r->talk_fn(r->talk_arg, s->id, change > 0, talk_take_level100(&s->talk));
}

/* The stream lost its publisher: a talking stream stops talking. */
static void talk_end(struct relay *r, struct stream_src *s)
{
	if (s->talk.talking) {
		s->talk.talking = false;
		talk_event(r, s, -1);
	}
	memset(&s->talk, 0, sizeof s->talk);
}

static void src_maybe_free(struct relay *r, struct stream_src *s)
{
	if (!s->publisher && s->players->len == 0 && s->taps->len == 0) {
		if (s->in_turns)
			g_queue_remove(&r->turns, s);
		g_hash_table_remove(r->streams, s->id);
	}
}

struct relay_leg *relay_attach(struct relay *r, struct rg_leg *leg, enum rg_leg_dir dir,
			       const char *stream_id)
{
	struct relay_leg *rl = g_new0(struct relay_leg, 1);
	rl->leg = leg;
	rl->dir = dir;
	rl->src = src_get(r, stream_id);
	if (dir == RG_LEG_RECV) {
		rl->src->publisher = rl;
	} else {
		uint16_t seq;
		uint32_t ts;
		rg_random_bytes(&seq, sizeof seq);
		rg_random_bytes(&ts, sizeof ts);
		rtp_rewriter_init(&rl->rw, rg_leg_ssrc(leg), seq, ts);
		g_ptr_array_add(rl->src->players, rl);
	}
	return rl;
}

struct relay_leg *relay_attach_local(struct relay *r, const char *stream_id, uint8_t level_id)
{
	struct relay_leg *rl = g_new0(struct relay_leg, 1);
	rl->dir = RG_LEG_RECV;
	rl->level_id = level_id;
	rl->src = src_get(r, stream_id);
	rl->src->publisher = rl;
	return rl;
}

void relay_detach(struct relay *r, struct relay_leg *rl)
{
	struct stream_src *s = rl->src;
	if (rl->dir == RG_LEG_RECV && s->publisher == rl) {
		s->publisher = NULL;
		talk_end(r, s);
	} else {
		g_ptr_array_remove(s->players, rl);
	}
	src_maybe_free(r, s);
	g_free(rl);
}

struct relay_tap *relay_tap_add(struct relay *r, const char *stream_id, relay_tap_fn fn, void *arg)
{
	struct relay_tap *t = g_new0(struct relay_tap, 1);
	t->src = src_get(r, stream_id);
	t->fn = fn;
	t->arg = arg;
	g_ptr_array_add(t->src->taps, t);
	return t;
}

void relay_tap_remove(struct relay *r, struct relay_tap *t)
{
	if (!t)
		return;
	struct stream_src *s = t->src;
	g_ptr_array_remove(s->taps, t);
	src_maybe_free(r, s);
	g_free(t);
}

static void level_of(struct relay *r, struct stream_src *s, const uint8_t *pkt, size_t len,
		     uint8_t id)
{
	struct rtp_header h;
	uint8_t level;
	bool vad;
	if (!id || rtp_header_decode(&h, pkt, len) != 0 || rtp_audio_level_get(&h, id, &level, &vad) != 0) {
		s->has_levels = false;
		return;
	}
	s->has_levels = true;
	talk_event(r, s, talk_feed(&s->talk, level, PKT_MS));
}

/* One queued packet to every connected player of its stream. */
static void fan_out(struct relay *r, struct stream_src *s, const struct queued *q)
{
	uint8_t in_id = q->level_id, in_ct = q->capture_id;
	size_t len = q->len;
	uint64_t now = (uint64_t)q->at_us * 48 / 1000; /* 48 kHz RTP units */
	uint8_t buf[PKT_MAX + RG_LEG_TRAILER_ROOM]; /* rewritten and protected in place */
	static const uint8_t same[15] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	r->st.packets++;
	for (unsigned i = 0; i < s->players->len; i++) {
		struct relay_leg *p = s->players->pdata[i];
		if (rg_leg_state(p->leg) != RG_LEG_CONNECTED)
			continue;
		memcpy(buf, q->pkt, len);
		if (rtp_rewriter_apply(&p->rw, buf, len, now) < 0)
			continue;
		buf[1] = (uint8_t)((buf[1] & 0x80) | rg_leg_opus_pt(p->leg));
		uint8_t out_id = rg_leg_audio_level_id(p->leg), out_ct = rg_leg_capture_time_id(p->leg);
		bool level_moves = in_id && out_id && in_id != out_id && in_id < sizeof same;
		bool ct_moves = in_ct && in_ct != out_ct && in_ct < sizeof same;
		if (level_moves || ct_moves) {
			uint8_t map[sizeof same];
			memcpy(map, same, sizeof map);
			if (level_moves)
				map[in_id] = out_id;
			if (ct_moves)
				map[in_ct] = out_ct; /* 0: blanked */
			rtp_ext_remap(buf, len, map, sizeof map);
		}
		if (rg_leg_send_rtp(p->leg, buf, len, sizeof buf) == 0)
			r->st.copies++;
	}
}

/* One turn of the loop: the oldest packet of the stream whose turn it is,
 * then the next stream's, until PUMP_BUDGET_US have passed (a large
 * stream's packet takes a turn of its own, many small streams' share one).
 * Repeats (a 0 ms timer: once per turn of the loop) while packets wait. */
static bool pump(void *arg)
{
	struct relay *r = arg;
	int64_t start = rg_mono_us();
	struct stream_src *s;
	while ((s = g_queue_pop_head(&r->turns))) {
		struct queued *q = &s->queue[s->q_head];
		s->q_head = (s->q_head + 1) % QUEUE_LEN;
		s->q_len--;
		fan_out(r, s, q);
		if (s->q_len)
			g_queue_push_tail(&r->turns, s);
		else
			s->in_turns = false;
		if (rg_mono_us() - start >= PUMP_BUDGET_US)
			break;
	}
	if (r->turns.length)
		return true;
	r->pump_timer = 0;
	return false;
}

static void enqueue(struct relay *r, struct stream_src *s, const uint8_t *pkt, size_t len, uint8_t in_id,
		    uint8_t in_ct, int64_t now_us)
{
	if (!s->queue)
		s->queue = g_new(struct queued, QUEUE_LEN);
	if (s->q_len == QUEUE_LEN) { /* the worker is behind: the oldest goes */
		s->q_head = (s->q_head + 1) % QUEUE_LEN;
		s->q_len--;
		r->st.dropped++;
		if (now_us - r->drop_log_us >= DROP_LOG_US) {
			RG_WARN(MEDIA, "relay: %llu packets dropped before their players got them (stream %s and "
				"others): this worker cannot keep up", (unsigned long long)(r->st.dropped - r->dropped_logged),
				s->id);
			r->dropped_logged = r->st.dropped;
			r->drop_log_us = now_us;
		}
	}
	struct queued *q = &s->queue[(s->q_head + s->q_len++) % QUEUE_LEN];
	q->at_us = now_us;
	q->len = (uint16_t)len;
	q->level_id = in_id;
	q->capture_id = in_ct;
	memcpy(q->pkt, pkt, len);
	if (!s->in_turns) {
		s->in_turns = true;
		g_queue_push_tail(&r->turns, s);
	}
	if (!r->pump_timer)
		r->pump_timer = rg_timer_add(r->loop, 0, pump, r);
}

void relay_forward(struct relay *r, struct relay_leg *from, const uint8_t *pkt, size_t len)
{
	struct stream_src *s = from->src;
	if (s->publisher != from || len < 12 || len > PKT_MAX)
		return;
	uint8_t in_id = from->leg ? rg_leg_audio_level_id(from->leg) : from->level_id;
	int64_t now_us = rg_mono_us();
	s->last_pkt_us = now_us;
	level_of(r, s, pkt, len, in_id);
	for (unsigned i = 0; i < s->taps->len; i++) {
		struct relay_tap *t = s->taps->pdata[i];
		t->fn(t->arg, pkt, len, in_id);
	}
	if (!s->players->len)
		return;
	uint8_t in_ct = from->leg ? rg_leg_capture_time_id(from->leg) : 0;
	if (!r->loop) { /* a relay without a loop (unit tests): at once */
		struct queued q = { .at_us = now_us, .len = (uint16_t)len, .level_id = in_id, .capture_id = in_ct };
		memcpy(q.pkt, pkt, len);
		fan_out(r, s, &q);
		return;
	}
	enqueue(r, s, pkt, len, in_id, in_ct, now_us);
}

unsigned relay_players(const struct relay *r, const char *stream_id)
{
	const struct stream_src *s = g_hash_table_lookup(r->streams, stream_id);
	return s ? s->players->len : 0;
}

bool relay_stream_has_levels(const struct relay *r, const char *stream_id)
{
	const struct stream_src *s = g_hash_table_lookup(r->streams, stream_id);
	return s && s->has_levels;
}

void relay_stream_level(struct relay *r, const char *stream_id, uint8_t level, unsigned dur_ms)
{
	struct stream_src *s = g_hash_table_lookup(r->streams, stream_id);
	if (s && !s->has_levels && s->publisher)
		talk_event(r, s, talk_feed(&s->talk, level, dur_ms));
}

void relay_check_idle(struct relay *r, int64_t now_us)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, r->streams);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct stream_src *s = v;
		if (s->talk.talking && now_us - s->last_pkt_us > 1000000)
			talk_end(r, s);
	}
}
