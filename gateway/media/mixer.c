/* The room mixer. See mixer.h for the design; this file is the tick path
 * (gather, select, sum, encode) and the bookkeeping of inputs, groups and
 * outputs. Worker thread only.
 *
 * Memory. An input is small: its jitter buffer (jbuf.c sizes its payload
 * storage to the stream) and this tick's slots, which point into the
 * jitter buffer instead of copying the payloads. Those pointers stay valid
 * until the buffer's next put, and a put can come from this very tick: an
 * output's frame published into the relay (a mix) reaches the taps of the
 * inputs that hear that stream. So a tick decodes everything it needs
 * (gather and every group's selection) before any output is emitted.
 * What decoding needs (an Opus decoder, the PCM of the tick, what a long
 * packet decoded beyond it: about 33 kB) is lent to an input from the
 * mixer's pool when it is first decoded and goes back to the pool after
 * DEC_IDLE_TICKS without decoding, so a room holds about as many as it
 * has talkers, not one per stream; the pool keeps up to DEC_SPARE spares
 * and frees the others. Decoders go back to the pool reset: an input
 * decoded again after a long pause starts from a clean state (one that
 * kept its decoder through a short pause continues from a stale one, as
 * every input did when each had its own).
 *
 * Codec jobs. A tick's decodes and encodes are independent of each other:
 * a decode touches only its input and the decoder lent to it, an N-1
 * encode only its output's lent encoder (struct lenc, which also holds the
 * frame), a shared encode only its struct shenc; all of them read the
 * group's sum, mix and the talkers' PCM, which nothing writes meanwhile.
 * So the tick prepares them on the worker (lending, selection, sums), runs
 * them as batches (run_batch: on the worker alone, or with the media
 * module's helper threads when there are enough, see mixpool.h), and only
 * then emits, in the order of the outputs. A tick runs up to one batch of
 * decodes for the inputs without levels, one per group for the talkers it
 * selects (its selection can depend on the levels of the decodes before
 * it), and one of encodes. The packets do not depend on where the jobs ran:
 * each codec state sees the same frames in the same order. */
#include "media/mixer_int.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "media/jbuf.h"
#include "media/mixpool.h"
#include "media/relay.h"
#include "rtp/rtp.h"

#define ACTIVE_LEVEL 90   /* -dBov: quieter inputs are not mixed */
#define STICKY_DB 6       /* bonus of the previous tick's talkers */
#define MAX_TALKERS_LIMIT 1024
#define DEC_IDLE_TICKS 250 /* 5 s without decoding: the decoder goes back to the pool */
#define DEC_SPARE 4        /* decoders the pool keeps for the next talkers */
/* Fewer jobs than this run on the worker alone: waking helpers and
 * waiting for them costs some 10-50 us, about one encode, and rooms with a
 * few talkers (3 decodes, 4 encodes) are better off serial. */
#define PAR_MIN_JOBS 8
#define N RG_FRAME_SAMPLES

/* ---- inputs ---- */

static void on_packet(void *arg, const uint8_t *pkt, size_t len, uint8_t level_id)
{
	struct min *in = arg;
	if (!in->wanted)
		return;
	struct rtp_header h;
	if (rtp_header_decode(&h, pkt, len) != 0 || h.payload_len == 0) {
		in->bad++;
		return;
	}
	static const struct rg_codec_params opus = { .id = RG_CODEC_OPUS, .clock_rate = 48000,
						     .sample_rate = 48000, .channels = 1 };
	int dur = rg_codec_payload_samples(&opus, h.payload, h.payload_len);
	if (dur <= 0) {
		in->bad++;
		return;
	}
	uint8_t level = RG_JBUF_LEVEL_UNKNOWN;
	bool vad;
	if (rg_opus_is_dtx(h.payload, h.payload_len))
		level = 127;
	else if (level_id && rtp_audio_level_get(&h, level_id, &level, &vad) != 0)
		level = RG_JBUF_LEVEL_UNKNOWN;
	rg_jbuf_put(in->jb, h.seq, h.ts, h.marker, h.payload, h.payload_len, (uint32_t)dur, level,
		    in->mx->cfg.clock ? in->mx->cfg.clock() : (uint64_t)rg_mono_us());
}

/* ---- decoders ---- */

static void mdec_free(gpointer p)
{
	struct mdec *md = p;
	if (md)
		rg_decoder_free(md->d);
	g_free(md);
}

/* Lends a decoder to in (NULL when none can be made). */
static struct mdec *dec_lend(struct mixer *mx, struct min *in)
{
	struct mdec *md = NULL;
	if (mx->dec_spare->len) {
		md = g_ptr_array_steal_index_fast(mx->dec_spare, mx->dec_spare->len - 1);
	} else {
		struct rg_codec_params cp;
		rg_codec_params_default(&cp, RG_CODEC_OPUS);
		struct rg_decoder *d = rg_decoder_new(&cp);
		if (!d)
			return NULL;
		md = g_new(struct mdec, 1);
		md->d = d;
	}
	md->fifo_n = 0;
	in->dec = md;
	mx->dec_lent++;
	return md;
}

static void dec_return(struct mixer *mx, struct min *in)
{
	struct mdec *md = in->dec;
	if (!md)
		return;
	in->dec = NULL;
	mx->dec_lent--;
	if (mx->dec_spare->len < DEC_SPARE && rg_decoder_reset(md->d) == 0)
		g_ptr_array_add(mx->dec_spare, md);
	else
		mdec_free(md);
}

/* Room in the batches for every input and every encode (not on the tick
 * path: inputs and outputs being added). */
static void jobs_reserve(struct mixer *mx)
{
	unsigned need = g_hash_table_size(mx->inputs);
	unsigned enc = 0;
	for (unsigned i = 0; i < mx->groups->len; i++) {
		struct group *g = mx->groups->pdata[i];
		enc += g->outs->len + g->shared->len;
	}
	need = MAX(need, enc);
	if (need <= mx->jobs_cap)
		return;
	mx->jobs_cap = MAX(need, 2 * mx->jobs_cap);
	mx->djobs = g_renew(struct min *, mx->djobs, mx->jobs_cap);
	mx->ejobs = g_renew(struct ejob, mx->ejobs, mx->jobs_cap);
}

static struct min *in_get(struct mixer *mx, const char *id)
{
	struct min *in = g_hash_table_lookup(mx->inputs, id);
	if (in)
		return in;
	in = g_new0(struct min, 1);
	in->mx = mx;
	in->id = g_strdup(id);
	in->level = 127;
	struct rg_jbuf_config jc = { 48000, mx->cfg.jb_min_ms, mx->cfg.jb_max_ms };
	in->jb = rg_jbuf_new(&jc);
	in->tap = relay_tap_add(mx->relay, id, on_packet, in);
	g_hash_table_insert(mx->inputs, in->id, in);
	jobs_reserve(mx);
	return in;
}

static void in_free(gpointer p)
{
	struct min *in = p;
	relay_tap_remove(in->mx->relay, in->tap);
	rg_jbuf_free(in->jb);
	dec_return(in->mx, in);
	g_free(in->id);
	g_free(in);
}

static void in_maybe_free(struct mixer *mx, struct min *in)
{
	if (!in->in_room && in->list_refs == 0)
		g_hash_table_remove(mx->inputs, in->id);
}

/* Which inputs some output hears (not on the tick path). */
static void refresh_wanted(struct mixer *mx)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, mx->inputs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct min *in = v;
		bool w = false;
		for (unsigned i = 0; i < mx->groups->len && !w; i++)
			w = group_has(mx->groups->pdata[i], in);
		if (in->wanted && !w) {
			rg_jbuf_reset(in->jb);
			dec_return(mx, in);
		}
		in->wanted = w;
	}
}

void mixer_input_add(struct mixer *mx, const char *stream_id)
{
	struct min *in = in_get(mx, stream_id);
	in->in_room = true;
	refresh_wanted(mx);
}

static void drop_from_selection(struct mixer *mx, struct min *in)
{
	for (unsigned i = 0; i < mx->groups->len; i++) {
		struct group *g = mx->groups->pdata[i];
		for (unsigned j = 0; j < g->n_prev; j++)
			if (g->prev[j] == in)
				g->prev[j] = g->prev[--g->n_prev];
	}
}

void mixer_input_remove(struct mixer *mx, const char *stream_id)
{
	struct min *in = g_hash_table_lookup(mx->inputs, stream_id);
	if (!in || !in->in_room)
		return;
	in->in_room = false;
	drop_from_selection(mx, in);
	refresh_wanted(mx);
	in_maybe_free(mx, in);
}

/* ---- the tick: gather ---- */

/* Pulls this tick's 20 ms from the jitter buffer into slots; the level is
 * known when every slot carries one (or is silence) and nothing is left
 * over from a longer packet. */
static void in_gather(struct min *in, uint64_t now)
{
	in->n_slots = 0;
	in->decoded = in->selected = false;
	in->level = 127;
	uint32_t have = in->dec ? in->dec->fifo_n : 0;
	in->level_known = have == 0;
	while (have < N && in->n_slots < MAX_SLOTS) {
		struct slot *s = &in->slots[in->n_slots++];
		struct rg_jbuf_out o;
		enum rg_jbuf_result r = rg_jbuf_get(in->jb, now, &o);
		s->samples = N - have;
		s->level = 127;
		s->buf = s->next = NULL;
		s->len = s->next_len = 0;
		if (r == RG_JBUF_EMPTY) {
			s->kind = SLOT_SILENT;
		} else if (r == RG_JBUF_WAIT) {
			s->kind = SLOT_WAIT;
			if (in->was_selected)
				in->level_known = false; /* a talker's gap: conceal it */
		} else if (r == RG_JBUF_LOST) {
			s->kind = SLOT_LOST;
			s->samples = o.duration;
			s->next = o.next;
			s->next_len = o.next ? o.next_len : 0;
			if (in->was_selected)
				in->level_known = false;
		} else {
			s->kind = SLOT_PACKET;
			s->samples = o.duration;
			s->buf = o.payload;
			s->len = o.len;
			s->level = o.level;
			if (o.level == RG_JBUF_LEVEL_UNKNOWN)
				in->level_known = false;
			in->frames++;
		}
		have += s->samples;
		if (r == RG_JBUF_EMPTY || r == RG_JBUF_WAIT)
			break;
	}
	if (have != N)
		in->level_known = false; /* longer packets: decode, keep the rest */
	for (unsigned i = 0; i < in->n_slots && in->level_known; i++)
		if (in->slots[i].level < in->level)
			in->level = in->slots[i].level;
}

static const int16_t *in_pcm(const struct min *in)
{
	static const int16_t silence[N];
	return in->dec ? in->dec->pcm : silence;
}

/* Decoding, in three steps: lending (worker), the codec work (a batch
 * job: the input and its decoder only) and the talking level (worker).
 * Whether in needs a decode job. */
static bool in_decode_begin(struct mixer *mx, struct min *in)
{
	if (in->decoded)
		return false;
	struct mdec *md = in->dec ? in->dec : dec_lend(mx, in);
	in->decoded = true;
	in->dec_tick = mx->tick;
	if (!md) { /* out of memory: heard as silence */
		in->level = 127;
		return false;
	}
	return true;
}

static void in_decode_run(struct min *in, int16_t *t)
{
	struct mdec *md = in->dec;
	size_t n = md->fifo_n, cap = MIXER_SCRATCH_BYTES / sizeof *t;
	memcpy(t, md->fifo, n * sizeof *t);
	for (unsigned i = 0; i < in->n_slots; i++) {
		struct slot *s = &in->slots[i];
		size_t want = s->samples;
		if (want > cap - n)
			want = cap - n;
		int got = 0;
		if (s->kind == SLOT_PACKET) {
			got = rg_decoder_decode(md->d, s->buf, s->len, t + n, cap - n);
			if (got < 0) {
				in->bad++;
				got = 0;
			}
		} else if (s->kind == SLOT_LOST || s->kind == SLOT_WAIT) {
			got = rg_decoder_conceal(md->d, s->next_len ? s->next : NULL, s->next_len, t + n, want);
			if (got < 0)
				got = 0;
			if (rg_decoder_last_fec(md->d))
				in->fec++;
			else
				in->plc++;
		}
		if ((size_t)got < want) /* silence, or a payload shorter than announced */
			memset(t + n + got, 0, (want - (size_t)got) * sizeof *t);
		n += (size_t)got > want ? (size_t)got : want;
	}
	if (n < N) {
		memset(t + n, 0, (N - n) * sizeof *t);
		n = N;
	}
	memcpy(md->pcm, t, N * sizeof *t);
	md->fifo_n = (unsigned)MIN(n - N, G_N_ELEMENTS(md->fifo));
	memcpy(md->fifo, t + N, md->fifo_n * sizeof *t);
	in->decodes++;
	in->level = rg_audio_level(md->pcm, N);
}

static void dec_job(void *arg, unsigned i, void *scratch)
{
	struct mixer *mx = arg;
	in_decode_run(mx->djobs[i], scratch);
}

static void run_batch(struct mixer *mx, unsigned n, mixpool_fn fn)
{
	if (mx->cfg.helpers && n >= PAR_MIN_JOBS) {
		mixpool_run(mx->cfg.helpers, n, fn, mx, mx->tmp);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		fn(mx, i, mx->tmp);
}

/* Decodes the inputs of the batch being built (mx->djobs). */
static void run_decodes(struct mixer *mx)
{
	run_batch(mx, mx->n_djobs, dec_job);
	for (unsigned i = 0; i < mx->n_djobs; i++) {
		struct min *in = mx->djobs[i];
		if (!in->level_known)
			relay_stream_level(mx->relay, in->id, in->level, RG_FRAME_MS);
	}
	mx->n_djobs = 0;
}

/* ---- the tick: select, sum, encode ---- */

static bool was_prev(const struct group *g, const struct min *in)
{
	for (unsigned i = 0; i < g->n_prev; i++)
		if (g->prev[i] == in)
			return true;
	return false;
}

static void consider(struct group *g, struct min *in)
{
	if (in->level > ACTIVE_LEVEL)
		return;
	int score = in->level - (was_prev(g, in) ? STICKY_DB : 0);
	if (g->n_sel < g->k) {
		g->sel[g->n_sel++] = in;
		return;
	}
	unsigned worst = 0;
	int worst_score = -1000;
	for (unsigned i = 0; i < g->n_sel; i++) {
		int s = g->sel[i]->level - (was_prev(g, g->sel[i]) ? STICKY_DB : 0);
		if (s > worst_score) {
			worst_score = s;
			worst = i;
		}
	}
	if (score < worst_score)
		g->sel[worst] = in;
}

static void group_select(struct mixer *mx, struct group *g)
{
	g->n_sel = 0;
	if (g->all) {
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, mx->inputs);
		while (g_hash_table_iter_next(&it, &k, &v))
			if (((struct min *)v)->in_room)
				consider(g, v);
	} else {
		for (size_t i = 0; i < g->n_streams; i++) {
			struct min *in = g_hash_table_lookup(mx->inputs, g->streams[i]);
			if (in)
				consider(g, in);
		}
	}
	for (unsigned i = 0; i < g->n_sel; i++) {
		struct min *in = g->sel[i];
		if (in_decode_begin(mx, in))
			mx->djobs[mx->n_djobs++] = in;
		in->selected = true;
	}
	run_decodes(mx);
	memset(g->sum, 0, sizeof g->sum);
	for (unsigned i = 0; i < g->n_sel; i++)
		mixer_accumulate(g->sum, in_pcm(g->sel[i]), N);
	memcpy(g->prev, g->sel, g->n_sel * sizeof *g->sel);
	g->n_prev = g->n_sel;
}

static inline int16_t sat16(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

void mixer_accumulate(int32_t *sum, const int16_t *pcm, size_t n)
{
	for (size_t j = 0; j < n; j++)
		sum[j] += pcm[j];
}

void mixer_saturate(int16_t *out, const int32_t *sum, const int16_t *own, size_t n)
{
	if (own) {
		for (size_t j = 0; j < n; j++)
			out[j] = sat16(sum[j] - own[j]);
	} else {
		for (size_t j = 0; j < n; j++)
			out[j] = sat16(sum[j]);
	}
}

static const int16_t *group_mix(struct mixer *mx, struct group *g)
{
	if (g->mix_tick != mx->tick) {
		mixer_saturate(g->mix, g->sum, NULL, N);
		g->mix_level = g->n_sel ? rg_audio_level(g->mix, N) : 127;
		g->mix_tick = mx->tick;
	}
	return g->mix;
}

static struct min *selected_own(const struct group *g, const struct mixer_out *o)
{
	if (!o->exclude)
		return NULL;
	for (unsigned i = 0; i < g->n_sel; i++)
		if (!strcmp(g->sel[i]->id, o->exclude))
			return g->sel[i];
	return NULL;
}

/* Lends or takes back the output's N-1 encoder and adds its encode to the
 * batch: its own when its stream is mixed, else its codec's shared one
 * (once per tick). */
static void out_prepare(struct mixer *mx, struct group *g, struct mixer_out *o)
{
	o->own_now = false;
	if (o->pcm)
		return;
	struct min *own = selected_own(g, o);
	if (own && !o->own && o->sh->spare->len)
		o->own = g_ptr_array_steal_index_fast(o->sh->spare, o->sh->spare->len - 1);
	else if (!own && o->own) {
		g_ptr_array_add(o->sh->spare, o->own); /* room reserved when it was made */
		o->own = NULL;
	}
	if (own && o->own) {
		o->own_now = true;
		mx->ejobs[mx->n_ejobs++] = (struct ejob){ .g = g, .o = o, .own = own };
		return;
	}
	struct shenc *sh = o->sh;
	if (sh->tick != mx->tick) {
		group_mix(mx, g);
		sh->tick = mx->tick;
		mx->ejobs[mx->n_ejobs++] = (struct ejob){ .g = g, .sh = sh };
	}
}

static void enc_job(void *arg, unsigned i, void *scratch)
{
	struct mixer *mx = arg;
	const struct ejob *j = &mx->ejobs[i];
	if (j->sh) {
		j->sh->len = rg_encoder_encode(j->sh->enc, j->g->mix, N, j->sh->buf, sizeof j->sh->buf);
		return;
	}
	struct lenc *l = j->o->own;
	int16_t *f = scratch;
	mixer_saturate(f, j->g->sum, in_pcm(j->own), N);
	l->len = rg_encoder_encode(l->e, f, N, l->buf, sizeof l->buf);
	if (l->len > 0)
		l->level = j->g->n_sel > 1 ? rg_audio_level(f, N) : 127;
}

static void out_emit(struct mixer *mx, struct group *g, struct mixer_out *o)
{
	if (o->pcm) {
		const int16_t *f = group_mix(mx, g);
		o->shared_frames++;
		o->pcm(o->arg, f, N, g->mix_level);
		return;
	}
	if (o->own_now) {
		if (o->own->len > 0) {
			o->own_frames++;
			o->frame(o->arg, o->own->buf, (size_t)o->own->len, o->own->level);
		}
		return;
	}
	struct shenc *sh = o->sh;
	if (sh->len > 0) {
		o->shared_frames++;
		o->frame(o->arg, sh->buf, (size_t)sh->len, g->mix_level);
	}
}

void mixer_tick(struct mixer *mx, uint64_t now_us)
{
	mx->tick++;
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, mx->inputs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct min *in = v;
		if (!in->wanted)
			continue;
		in_gather(in, now_us);
		if (!in->level_known && in_decode_begin(mx, in))
			mx->djobs[mx->n_djobs++] = in;
	}
	run_decodes(mx);
	/* every decode before the first emit (see the top of the file) */
	for (unsigned i = 0; i < mx->groups->len; i++)
		group_select(mx, mx->groups->pdata[i]);
	mx->n_ejobs = 0;
	for (unsigned i = 0; i < mx->groups->len; i++) {
		struct group *g = mx->groups->pdata[i];
		for (unsigned j = 0; j < g->outs->len; j++)
			out_prepare(mx, g, g->outs->pdata[j]);
	}
	run_batch(mx, mx->n_ejobs, enc_job);
	for (unsigned i = 0; i < mx->groups->len; i++) {
		struct group *g = mx->groups->pdata[i];
		for (unsigned j = 0; j < g->outs->len; j++)
			out_emit(mx, g, g->outs->pdata[j]);
	}
	g_hash_table_iter_init(&it, mx->inputs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct min *in = v;
		if (!in->wanted)
			continue;
		if (!in->decoded) {
			in->skipped++;
			if (in->dec)
				in->dec->fifo_n = 0;
			if (in->dec && mx->tick - in->dec_tick >= DEC_IDLE_TICKS)
				dec_return(mx, in);
		}
		in->was_selected = in->selected;
	}
}

/* ---- groups and outputs ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool group_matches(const struct group *g, bool all, char **streams, size_t n, unsigned k)
{
	if (g->all != all || g->k != k || g->n_streams != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(g->streams[i], streams[i]))
			return false;
	return true;
}

static struct group *group_get(struct mixer *mx, const struct mixer_out_params *p)
{
	unsigned k = p->max_talkers ? p->max_talkers : mx->cfg.max_talkers;
	k = CLAMP(k, 1, MAX_TALKERS_LIMIT);
	size_t n = p->all ? 0 : p->n_streams;
	char **streams = g_new0(char *, n + 1);
	for (size_t i = 0; i < n; i++)
		streams[i] = g_strdup(p->streams[i]);
	qsort(streams, n, sizeof *streams, cmp_str);
	for (unsigned i = 0; i < mx->groups->len; i++) {
		struct group *g = mx->groups->pdata[i];
		if (group_matches(g, p->all, streams, n, k)) {
			g_strfreev(streams);
			return g;
		}
	}
	struct group *g = g_new0(struct group, 1);
	g->all = p->all;
	g->streams = streams;
	g->n_streams = n;
	g->k = k;
	g->outs = g_ptr_array_new();
	g->shared = g_ptr_array_new();
	g->sel = g_new0(struct min *, k);
	g->prev = g_new0(struct min *, k);
	for (size_t i = 0; i < n; i++)
		in_get(mx, streams[i])->list_refs++;
	g_ptr_array_add(mx->groups, g);
	return g;
}

static void shenc_free(gpointer p)
{
	struct shenc *sh = p;
	rg_encoder_free(sh->enc);
	for (unsigned i = 0; i < sh->spare->len; i++) {
		struct lenc *l = sh->spare->pdata[i];
		rg_encoder_free(l->e);
		g_free(l);
	}
	g_ptr_array_free(sh->spare, TRUE);
	g_free(sh);
}

static void group_free(struct mixer *mx, struct group *g)
{
	for (size_t i = 0; i < g->n_streams; i++) {
		struct min *in = g_hash_table_lookup(mx->inputs, g->streams[i]);
		if (in) {
			in->list_refs--;
			in_maybe_free(mx, in);
		}
	}
	g_ptr_array_free(g->outs, TRUE);
	g_ptr_array_set_free_func(g->shared, shenc_free);
	g_ptr_array_free(g->shared, TRUE);
	g_strfreev(g->streams);
	g_free(g->sel);
	g_free(g->prev);
	g_free(g);
}

static bool same_codec(const struct rg_codec_params *a, const struct rg_codec_params *b)
{
	return a->id == b->id && a->sample_rate == b->sample_rate && a->clock_rate == b->clock_rate &&
	       a->channels == b->channels && a->bitrate == b->bitrate && a->loss_perc == b->loss_perc;
}

static struct shenc *shared_get(struct group *g, const struct rg_codec_params *cp)
{
	for (unsigned i = 0; i < g->shared->len; i++) {
		struct shenc *sh = g->shared->pdata[i];
		if (same_codec(&sh->cp, cp))
			return sh;
	}
	struct rg_encoder *enc = rg_encoder_new(cp);
	if (!enc)
		return NULL;
	struct shenc *sh = g_new0(struct shenc, 1);
	sh->cp = *cp;
	sh->enc = enc;
	sh->spare = g_ptr_array_new();
	g_ptr_array_add(g->shared, sh);
	return sh;
}

/* One more output with an own stream: the pool grows to
 * min(max_talkers, such outputs). */
static int pool_grow(struct group *g, struct shenc *sh)
{
	sh->n_minus_1++;
	if (sh->pool >= MIN(g->k, sh->n_minus_1))
		return 0;
	struct rg_encoder *e = rg_encoder_new(&sh->cp);
	if (!e) {
		sh->n_minus_1--;
		return -ENOMEM;
	}
	struct lenc *l = g_new0(struct lenc, 1);
	l->e = e;
	g_ptr_array_set_size(sh->spare, sh->spare->len + 1); /* room for every lent encoder */
	sh->spare->pdata[sh->spare->len - 1] = l;
	sh->pool++;
	return 0;
}

struct mixer_out *mixer_out_add(struct mixer *mx, const struct mixer_out_params *p)
{
	struct group *g = group_get(mx, p);
	struct shenc *sh = p->pcm ? NULL : shared_get(g, &p->codec);
	if ((!sh && !p->pcm) || (sh && p->exclude && pool_grow(g, sh) != 0)) {
		if (g->outs->len == 0) {
			g_ptr_array_remove(mx->groups, g);
			group_free(mx, g);
		}
		return NULL;
	}
	struct mixer_out *o = g_new0(struct mixer_out, 1);
	o->g = g;
	o->exclude = g_strdup(p->exclude);
	o->cp = p->codec;
	o->sh = sh;
	o->frame = p->frame;
	o->pcm = p->pcm;
	o->arg = p->arg;
	g_ptr_array_add(g->outs, o);
	jobs_reserve(mx);
	refresh_wanted(mx);
	return o;
}

void mixer_out_remove(struct mixer *mx, struct mixer_out *o)
{
	if (!o)
		return;
	struct group *g = o->g;
	g_ptr_array_remove(g->outs, o);
	if (o->own)
		g_ptr_array_add(o->sh->spare, o->own);
	o->own = NULL;
	if (o->exclude && o->sh)
		o->sh->n_minus_1--;
	bool used = false;
	for (unsigned i = 0; i < g->outs->len; i++)
		used = used || ((struct mixer_out *)g->outs->pdata[i])->sh == o->sh;
	if (!used && o->sh) {
		g_ptr_array_remove(g->shared, o->sh);
		shenc_free(o->sh);
	}
	if (g->outs->len == 0) {
		g_ptr_array_remove(mx->groups, g);
		group_free(mx, g);
	}
	g_free(o->exclude);
	g_free(o);
	refresh_wanted(mx);
}

unsigned mixer_decoders(const struct mixer *mx, unsigned *spare)
{
	if (spare)
		*spare = mx->dec_spare->len;
	return mx->dec_lent;
}

unsigned mixer_out_count(const struct mixer *mx)
{
	unsigned n = 0;
	for (unsigned i = 0; i < mx->groups->len; i++)
		n += ((struct group *)mx->groups->pdata[i])->outs->len;
	return n;
}

struct mixer *mixer_new(struct relay *relay, const struct mixer_config *cfg)
{
	struct mixer *mx = g_new0(struct mixer, 1);
	mx->relay = relay;
	mx->cfg = *cfg;
	if (!mx->cfg.max_talkers)
		mx->cfg.max_talkers = 3;
	mx->inputs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, in_free);
	mx->groups = g_ptr_array_new();
	mx->dec_spare = g_ptr_array_new_with_free_func(mdec_free);
	return mx;
}

void mixer_free(struct mixer *mx)
{
	if (!mx)
		return;
	while (mx->groups->len) {
		struct group *g = mx->groups->pdata[0];
		while (g->outs->len > 1)
			mixer_out_remove(mx, g->outs->pdata[g->outs->len - 1]);
		if (g->outs->len)
			mixer_out_remove(mx, g->outs->pdata[0]); /* frees the group */
		else {
			g_ptr_array_remove_index(mx->groups, 0);
			group_free(mx, g);
		}
	}
	g_ptr_array_free(mx->groups, TRUE);
	g_hash_table_destroy(mx->inputs);
	g_ptr_array_free(mx->dec_spare, TRUE);
	g_free(mx->djobs);
	g_free(mx->ejobs);
	g_free(mx);
}
