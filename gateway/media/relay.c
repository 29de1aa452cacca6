/* The relay: stream -> publisher leg + player legs, on one worker.
 *
 * A player leg keeps its own SSRC and continuous sequence numbers and
 * timestamps (rtp_rewriter), whoever publishes and however often the
 * publisher reconnects; it may attach before the stream has a publisher
 * and simply waits. The per-packet path copies once per player into a
 * stack buffer, rewrites and protects it there, and sends: no allocation,
 * no lock. */
#include "media/relay.h"

#include <glib.h>
#include <string.h>

#include "core/util.h"

struct stream_src {
	char *id;
	struct relay_leg *publisher;
	GPtrArray *players; /* struct relay_leg * */
};

struct relay_leg {
	struct rg_leg *leg;
	enum rg_leg_dir dir;
	struct stream_src *src;
	struct rtp_rewriter rw; /* players */
};

struct relay {
	GHashTable *streams; /* id -> struct stream_src * */
};

static void src_free(gpointer p)
{
	struct stream_src *s = p;
	g_ptr_array_free(s->players, TRUE);
	g_free(s->id);
	g_free(s);
}

struct relay *relay_new(void)
{
	struct relay *r = g_new0(struct relay, 1);
	r->streams = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, src_free);
	return r;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->streams);
	g_free(r);
}

static struct stream_src *src_get(struct relay *r, const char *id)
{
	struct stream_src *s = g_hash_table_lookup(r->streams, id);
	if (!s) {
		s = g_new0(struct stream_src, 1);
		s->id = g_strdup(id);
		s->players = g_ptr_array_new();
		g_hash_table_insert(r->streams, s->id, s);
	}
	return s;
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

void relay_detach(struct relay *r, struct relay_leg *rl)
{
	struct stream_src *s = rl->src;
	if (rl->dir == RG_LEG_RECV && s->publisher == rl)
		s->publisher = NULL;
	else
		g_ptr_array_remove(s->players, rl);
	if (!s->publisher && s->players->len == 0)
		g_hash_table_remove(r->streams, s->id);
	g_free(rl);
}

void relay_forward(struct relay *r, struct relay_leg *from, const uint8_t *pkt, size_t len)
{
	(void)r;
	struct stream_src *s = from->src;
	if (s->publisher != from || len < 12 || len > 1500)
		return;
	uint64_t now = (uint64_t)rg_mono_us() * 48 / 1000; /* 48 kHz RTP units */
	uint8_t buf[1500 + RG_LEG_TRAILER_ROOM]; /* rewritten and protected in place */
	for (unsigned i = 0; i < s->players->len; i++) {
		struct relay_leg *p = s->players->pdata[i];
		if (rg_leg_state(p->leg) != RG_LEG_CONNECTED)
			continue;
		memcpy(buf, pkt, len);
		if (rtp_rewriter_apply(&p->rw, buf, len, now) < 0)
			continue;
		buf[1] = (uint8_t)((buf[1] & 0x80) | rg_leg_opus_pt(p->leg));
		uint8_t in_id = rg_leg_audio_level_id(from->leg), out_id = rg_leg_audio_level_id(p->leg);
		if (in_id && out_id && in_id != out_id)
			rtp_ext_renumber(buf, len, in_id, out_id);
		rg_leg_send_rtp(p->leg, buf, len, sizeof buf);
	}
}

unsigned relay_players(const struct relay *r, const char *stream_id)
{
	const struct stream_src *s = g_hash_table_lookup(r->streams, stream_id);
	return s ? s->players->len : 0;
}
