/* The room mixer: exact N-1 and saturation arithmetic, and a real mixer
 * (relay + jitter buffers + Opus) fed with five streams of known levels:
 * the loudest three are mixed, the quieter and silent ones are not even
 * decoded, listeners share one encoded frame per codec, a talker's own
 * output leaves its voice out (checked on the frequencies). Decoders are
 * lent to the talkers only, go back to the mixer's pool when nobody hears
 * the room or after 5 s without decoding, and serve again once reset. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "codec/codec.h"
#include "core/util.h"
#include "media/mixer.h"
#include "media/mixpool.h"
#include "media/relay.h"
#include "rtp/rtp.h"

#define N RG_FRAME_SAMPLES

static void test_n_minus_1_exact(void **state)
{
	(void)state;
	int16_t a[4] = { 1000, -2000, 30000, -30000 };
	int16_t b[4] = { 7, 2000, 10000, -10000 };
	int16_t c[4] = { -1, 1, 32767, -32768 };
	int32_t sum[4] = { 0 };
	mixer_accumulate(sum, a, 4);
	mixer_accumulate(sum, b, 4);
	mixer_accumulate(sum, c, 4);
	int32_t want_sum[4] = { 1006, 1, 72767, -72768 };
	assert_memory_equal(sum, want_sum, sizeof sum);
	int16_t out[4];
	mixer_saturate(out, sum, NULL, 4); /* the whole mix saturates once */
	int16_t want_all[4] = { 1006, 1, 32767, -32768 };
	assert_memory_equal(out, want_all, sizeof out);
	mixer_saturate(out, sum, a, 4); /* a hears b + c, exactly, before saturating */
	int16_t want_a[4] = { 6, 2001, 32767, -32768 };
	assert_memory_equal(out, want_a, sizeof out);
	mixer_saturate(out, sum, c, 4); /* c hears a + b: 40000 and -40000 clip */
	int16_t want_c[4] = { 1007, 0, 32767, -32768 };
	assert_memory_equal(out, want_c, sizeof out);
	int32_t s2[2] = { 0 };
	int16_t x[2] = { 20000, -20000 }, y[2] = { 20000, -20000 };
	mixer_accumulate(s2, x, 2);
	mixer_accumulate(s2, y, 2);
	mixer_saturate(out, s2, x, 2); /* no double clipping: x hears exactly y */
	assert_int_equal(out[0], 20000);
	assert_int_equal(out[1], -20000);
}

/* ---- a real mixer ---- */

#define STREAMS 5
static const double freq[STREAMS] = { 300, 500, 700, 900, 0 };
static const uint8_t level[STREAMS] = { 10, 20, 30, 40, 127 }; /* -dBov in the extension */

struct out_rec {
	struct mixer_out *out;
	const uint8_t *last;
	size_t len;
	unsigned frames;
	struct rg_decoder *dec;
	int16_t pcm[N * 80];
	size_t n;
};

struct pcm_rec {
	unsigned frames;
	double tone300;
};

struct fixture {
	struct relay *relay;
	struct mixer *mx;
	struct relay_leg *pub[STREAMS];
	struct rg_encoder *enc[STREAMS];
	uint16_t seq;
	uint32_t ts;
	struct out_rec listen1, listen2, talker0, silent4, pcmu;
	struct pcm_rec pcm;
	const uint8_t *shared_ptr[4];
	unsigned same_ptr_ticks, ticks_emitting;
};

static void on_frame(void *arg, const uint8_t *payload, size_t len, uint8_t lvl)
{
	struct out_rec *o = arg;
	(void)lvl;
	o->last = payload;
	o->len = len;
	o->frames++;
	if (o->dec && o->n + N <= G_N_ELEMENTS(o->pcm)) {
		int got = rg_decoder_decode(o->dec, payload, len, o->pcm + o->n, G_N_ELEMENTS(o->pcm) - o->n);
		if (got > 0)
			o->n += (size_t)got;
	}
}

static double tone(const int16_t *x, size_t n, double hz);

static void on_pcm(void *arg, const int16_t *pcm, size_t n, uint8_t lvl)
{
	struct pcm_rec *r = arg;
	(void)lvl;
	r->frames++;
	r->tone300 = tone(pcm, n, 300);
}

static void send_tick(struct fixture *f, unsigned t)
{
	for (int s = 0; s < STREAMS; s++) {
		int16_t pcm[N];
		for (int i = 0; i < N; i++)
			pcm[i] = freq[s] ? (int16_t)(8000 * sin(2 * M_PI * freq[s] * (t * N + i) / 48000.0)) : 0;
		uint8_t pkt[20 + RG_MAX_PAYLOAD] = { 0x90, 111 };
		pkt[2] = (uint8_t)(f->seq >> 8);
		pkt[3] = (uint8_t)f->seq;
		for (int i = 0; i < 4; i++) {
			pkt[4 + i] = (uint8_t)(f->ts >> (24 - 8 * i));
			pkt[8 + i] = (uint8_t)(0x1000 + s);
		}
		pkt[12] = 0xBE, pkt[13] = 0xDE, pkt[14] = 0, pkt[15] = 1;
		pkt[16] = 1 << 4; /* id 1, one byte */
		pkt[17] = rtp_audio_level_pack(level[s], level[s] < 127);
		int len = rg_encoder_encode(f->enc[s], pcm, N, pkt + 20, RG_MAX_PAYLOAD);
		assert_true(len > 0);
		relay_forward(f->relay, f->pub[s], pkt, 20 + (size_t)len);
	}
	f->seq++;
	f->ts += N;
}

static double tone(const int16_t *x, size_t n, double hz)
{
	double k = 2 * cos(2 * M_PI * hz / 48000), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return sqrt(s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / n;
}

static const cJSON *input_stats(const cJSON *inputs, const char *id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, inputs)
		if (!strcmp(cJSON_GetObjectItem(it, "stream_id")->valuestring, id))
			return it;
	return NULL;
}

static void add_out(struct fixture *f, struct out_rec *o, const char *exclude, enum rg_codec_id codec,
		    bool decode)
{
	struct mixer_out_params p = { .all = true, .exclude = exclude, .frame = on_frame, .arg = o };
	rg_codec_params_default(&p.codec, codec);
	if (decode && !o->dec)
		o->dec = rg_decoder_new(&p.codec);
	o->out = mixer_out_add(f->mx, &p);
	assert_non_null(o->out);
}

static void add_outs(struct fixture *f)
{
	add_out(f, &f->listen1, NULL, RG_CODEC_OPUS, true);
	add_out(f, &f->listen2, NULL, RG_CODEC_OPUS, false);
	add_out(f, &f->talker0, "s0", RG_CODEC_OPUS, true);
	add_out(f, &f->silent4, "s4", RG_CODEC_OPUS, false);
	add_out(f, &f->pcmu, NULL, RG_CODEC_PCMU, false);
}

/* N-1 on the frequencies, over the last n samples the outputs decoded. */
static void check_n_minus_1(struct fixture *f, size_t n)
{
	size_t o1 = f->listen1.n - n, o0 = f->talker0.n - n;
	assert_true(f->listen1.n >= n && f->talker0.n >= n);
	double l300 = tone(f->listen1.pcm + o1, n, 300), l500 = tone(f->listen1.pcm + o1, n, 500),
	       l700 = tone(f->listen1.pcm + o1, n, 700), l900 = tone(f->listen1.pcm + o1, n, 900);
	double t300 = tone(f->talker0.pcm + o0, n, 300), t500 = tone(f->talker0.pcm + o0, n, 500),
	       t700 = tone(f->talker0.pcm + o0, n, 700);
	print_message("listener 300/500/700/900 Hz: %.0f %.0f %.0f %.0f; talker s0 hears 300/500/700: %.0f %.0f %.0f\n",
		      l300, l500, l700, l900, t300, t500, t700);
	assert_true(l300 > 5000 && l500 > 5000 && l700 > 5000);
	assert_true(l900 < 200);         /* s3 is quieter than the top three */
	assert_true(t300 < 200);         /* s0 does not hear itself */
	assert_true(t500 > 5000 && t700 > 5000);
}

static void expect_decoders(const struct fixture *f, unsigned lent, unsigned spare)
{
	unsigned sp = 0, l = mixer_decoders(f->mx, &sp);
	if (l != lent || sp != spare)
		fail_msg("decoders: %u lent, %u spare; expected %u and %u", l, sp, lent, spare);
}

static void test_real_mixer(void **state)
{
	(void)state;
	struct fixture *f = g_new0(struct fixture, 1);
	f->relay = relay_new(NULL, NULL, NULL);
	struct mixer_config cfg = { .max_talkers = 3, .jb_min_ms = 40, .jb_max_ms = 200 };
	f->mx = mixer_new(f->relay, &cfg);
	struct rg_codec_params op;
	rg_codec_params_default(&op, RG_CODEC_OPUS);
	for (int s = 0; s < STREAMS; s++) {
		char id[8];
		snprintf(id, sizeof id, "s%d", s);
		f->pub[s] = relay_attach_local(f->relay, id, 1);
		f->enc[s] = rg_encoder_new(&op);
		mixer_input_add(f->mx, id);
	}
	add_outs(f);
	struct mixer_out_params pp = { .all = true, .pcm = on_pcm, .arg = &f->pcm }; /* a recorder's raw mix */
	struct mixer_out *pcm_out = mixer_out_add(f->mx, &pp);
	assert_non_null(pcm_out);
	assert_int_equal(mixer_out_count(f->mx), 6);
	for (unsigned t = 0; t < 75; t++) {
		send_tick(f, t);
		g_usleep(20000);
		unsigned before = f->listen1.frames;
		mixer_tick(f->mx, (uint64_t)rg_mono_us());
		if (f->listen1.frames > before) {
			f->ticks_emitting++;
			if (f->listen1.last == f->listen2.last && f->listen1.last == f->silent4.last &&
			    f->talker0.last != f->listen1.last && f->pcmu.last != f->listen1.last)
				f->same_ptr_ticks++;
		}
	}
	/* every output got a frame per tick; listeners and the silent member
	 * shared one Opus encode, the talker had its own, PCMU its own */
	assert_int_equal(f->listen1.frames, 75);
	assert_int_equal(f->pcmu.frames, 75);
	assert_int_equal(f->pcmu.len, 160);
	assert_int_equal(f->pcm.frames, 75);
	assert_true(f->pcm.tone300 > 5000); /* the raw mix carries s0 */
	assert_true(f->same_ptr_ticks >= f->ticks_emitting - 1);
	/* top 3 by level: s0, s1, s2; s3 and the silent s4 were never decoded */
	cJSON *inputs = mixer_to_json(f->mx);
	for (int s = 0; s < STREAMS; s++) {
		char id[8];
		snprintf(id, sizeof id, "s%d", s);
		const cJSON *in = input_stats(inputs, id);
		assert_non_null(in);
		double decoded = cJSON_GetObjectItem(in, "decoded")->valuedouble;
		if (s < 3)
			assert_true(decoded > 50);
		else
			assert_true(decoded == 0);
	}
	cJSON_Delete(inputs);
	/* N-1 on the frequencies, over the last second */
	check_n_minus_1(f, 48000);
	/* decoders only for the three talkers */
	expect_decoders(f, 3, 0);

	/* nobody hears the room: the decoders go back to the pool; outputs
	 * again: the talkers get them back, reset, and are heard as before */
	struct out_rec *recs[] = { &f->listen1, &f->listen2, &f->talker0, &f->silent4, &f->pcmu };
	for (size_t i = 0; i < G_N_ELEMENTS(recs); i++) {
		mixer_out_remove(f->mx, recs[i]->out);
		recs[i]->n = 0;
	}
	mixer_out_remove(f->mx, pcm_out);
	expect_decoders(f, 0, 3);
	add_outs(f);
	uint64_t now = 0;
	for (unsigned t = 75; t < 75 + 50; t++) {
		send_tick(f, t);
		g_usleep(20000);
		now = (uint64_t)rg_mono_us();
		mixer_tick(f->mx, now);
	}
	check_n_minus_1(f, 24000);
	expect_decoders(f, 3, 0);

	/* the talkers stop: once they have not been decoded for 5 s (250
	 * ticks, on the mixer's clock) their decoders go back too */
	for (unsigned t = 0; t < 300; t++)
		mixer_tick(f->mx, now + 20000u * (t + 1));
	expect_decoders(f, 0, 3);
	mixer_free(f->mx);
	for (int s = 0; s < STREAMS; s++) {
		relay_detach(f->relay, f->pub[s]);
		rg_encoder_free(f->enc[s]);
	}
	relay_free(f->relay);
	rg_decoder_free(f->listen1.dec);
	rg_decoder_free(f->talker0.dec);
	g_free(f);
}

/* A mix published into the room and heard by another group of the same
 * mixer: its packets reach that group's input (a jitter buffer put) while
 * the tick is emitting, after every input was gathered. The tick decodes
 * everything before it emits (the gathered payloads point into the jitter
 * buffers, which a put may move), so the second group hears the first's
 * mix intact (ASan would see a payload read after it moved). */
struct relay_out {
	struct relay *relay;
	struct relay_leg *pub;
	uint16_t seq;
	uint32_t ts;
};

static void on_mix_frame(void *arg, const uint8_t *payload, size_t len, uint8_t lvl)
{
	struct relay_out *r = arg;
	uint8_t pkt[20 + RG_MAX_PAYLOAD];
	int n = rtp_level_packet_build(pkt, sizeof pkt, 111, r->seq++, r->ts, 0x2000, 1, lvl, payload, len);
	r->ts += N;
	assert_true(n > 0);
	relay_forward(r->relay, r->pub, pkt, (size_t)n);
}

static void test_mix_heard_by_mix(void **state)
{
	(void)state;
	struct fixture *f = g_new0(struct fixture, 1);
	f->relay = relay_new(NULL, NULL, NULL);
	struct mixer_config cfg = { .max_talkers = 3, .jb_min_ms = 40, .jb_max_ms = 200 };
	f->mx = mixer_new(f->relay, &cfg);
	struct rg_codec_params op;
	rg_codec_params_default(&op, RG_CODEC_OPUS);
	for (int s = 0; s < STREAMS; s++) {
		char id[8];
		snprintf(id, sizeof id, "s%d", s);
		f->pub[s] = relay_attach_local(f->relay, id, 1);
		f->enc[s] = rg_encoder_new(&op);
		mixer_input_add(f->mx, id);
	}
	struct relay_out m = { .relay = f->relay, .pub = relay_attach_local(f->relay, "m", 1) };
	struct mixer_out_params pa = { .all = true, .codec = op, .frame = on_mix_frame, .arg = &m };
	struct mixer_out *a = mixer_out_add(f->mx, &pa); /* first: it emits first */
	assert_non_null(a);
	const char *const only_m[] = { "m" };
	struct mixer_out_params pb = { .streams = only_m, .n_streams = 1, .max_talkers = 1, .codec = op,
				       .frame = on_frame, .arg = &f->listen1 };
	f->listen1.dec = rg_decoder_new(&op);
	assert_non_null(mixer_out_add(f->mx, &pb));
	for (unsigned t = 0; t < 75; t++) {
		send_tick(f, t);
		g_usleep(20000);
		mixer_tick(f->mx, (uint64_t)rg_mono_us());
	}
	size_t n = 24000;
	assert_true(f->listen1.n >= n);
	const int16_t *x = f->listen1.pcm + f->listen1.n - n;
	double l300 = tone(x, n, 300), l500 = tone(x, n, 500), l900 = tone(x, n, 900);
	print_message("the mix of the mix: 300/500/900 Hz: %.0f %.0f %.0f\n", l300, l500, l900);
	assert_true(l300 > 3000 && l500 > 3000);
	assert_true(l900 < 200);
	mixer_free(f->mx);
	relay_detach(f->relay, m.pub);
	for (int s = 0; s < STREAMS; s++) {
		relay_detach(f->relay, f->pub[s]);
		rg_encoder_free(f->enc[s]);
	}
	relay_free(f->relay);
	rg_decoder_free(f->listen1.dec);
	g_free(f);
}

/* ---- the helper threads: the same packets as the worker alone ----
 *
 * Two mixers on one relay hear the same 24 members, everyone mixed: one
 * runs every job on the calling thread, the other shares its batches with
 * two helper threads. Members join one by one, two leave and one comes
 * back, talkers pause (their N-1 encoders go back to the pool and are lent
 * again), a third of the members send no level (decoded to learn it),
 * some packets are lost (concealment, FEC), and a second group mixes only
 * the 3 loudest. Every tick, both mixers must emit the same frames to the
 * same outputs in the same order, byte for byte. The packets' arrival
 * times come from a clock the test moves, so both jitter buffers see the
 * same arrivals. */
#define MEMBERS 24
#define PAR_TICKS 400
#define LOG_MAX 64

struct par_frame {
	unsigned out;
	uint8_t level;
	size_t len;
	uint8_t buf[RG_MAX_PAYLOAD];
};

struct par_side {
	struct mixer *mx;
	struct par_frame log[LOG_MAX];
	unsigned n;
	uint64_t frames, own_frames_heard;
};

struct par_out {
	struct par_side *side;
	unsigned idx;
	struct mixer_out *out;
};

struct par_fixture {
	struct relay *relay;
	struct par_side side[2];
	struct par_out outs[2][MEMBERS + 4];
	struct relay_leg *pub[MEMBERS];
	struct rg_encoder *enc[MEMBERS];
	bool present[MEMBERS];
	uint16_t seq[MEMBERS];
	uint32_t ts[MEMBERS];
};

static uint64_t par_now;

static uint64_t par_clock(void)
{
	return par_now;
}

static void par_log(struct par_out *o, const uint8_t *data, size_t len, uint8_t lvl)
{
	struct par_side *s = o->side;
	assert_true(s->n < LOG_MAX);
	struct par_frame *f = &s->log[s->n++];
	f->out = o->idx;
	f->level = lvl;
	f->len = len;
	memcpy(f->buf, data, MIN(len, sizeof f->buf));
	s->frames++;
}

static void par_on_frame(void *arg, const uint8_t *payload, size_t len, uint8_t lvl)
{
	par_log(arg, payload, len, lvl);
}

static void par_on_pcm(void *arg, const int16_t *pcm, size_t n, uint8_t lvl)
{
	par_log(arg, (const uint8_t *)pcm, MIN(n * sizeof *pcm, (size_t)RG_MAX_PAYLOAD), lvl);
}

/* outputs: 0..23 the members (N-1), 24, 25 listeners, 26 a PCMU
 * listener, 27 the raw mix; 24..27 in the "all" group, 25 with 3 talkers */
static void par_out_add(struct par_fixture *f, unsigned idx)
{
	for (int k = 0; k < 2; k++) {
		struct par_out *o = &f->outs[k][idx];
		o->side = &f->side[k];
		o->idx = idx;
		char id[8];
		snprintf(id, sizeof id, "s%u", idx);
		struct mixer_out_params p = { .all = true, .frame = par_on_frame, .arg = o };
		rg_codec_params_default(&p.codec, idx == MEMBERS + 2 ? RG_CODEC_PCMU : RG_CODEC_OPUS);
		if (idx < MEMBERS)
			p.exclude = id;
		if (idx == MEMBERS + 1)
			p.max_talkers = 3;
		if (idx == MEMBERS + 3)
			p.pcm = par_on_pcm;
		o->out = mixer_out_add(f->side[k].mx, &p);
		assert_non_null(o->out);
	}
}

static void par_join(struct par_fixture *f, unsigned i, bool join)
{
	char id[8];
	snprintf(id, sizeof id, "s%u", i);
	for (int k = 0; k < 2; k++) {
		if (join) {
			mixer_input_add(f->side[k].mx, id);
		} else {
			mixer_out_remove(f->side[k].mx, f->outs[k][i].out);
			mixer_input_remove(f->side[k].mx, id);
		}
	}
	if (join)
		par_out_add(f, i);
	f->present[i] = join;
}

static void par_send(struct par_fixture *f, unsigned t)
{
	for (unsigned i = 0; i < MEMBERS; i++) {
		if (!f->present[i])
			continue;
		bool talks = (t / 40 + i) % 5 != 0;
		double hz = 200 + 37 * i, amp = 2000 + 400 * (i % 7);
		int16_t pcm[N];
		for (int j = 0; j < N; j++)
			pcm[j] = talks ? (int16_t)(amp * sin(2 * M_PI * hz * (t * N + j) / 48000.0)) : 0;
		uint8_t payload[RG_MAX_PAYLOAD];
		int len = rg_encoder_encode(f->enc[i], pcm, N, payload, sizeof payload);
		assert_true(len > 0);
		uint16_t seq = f->seq[i]++;
		uint32_t ts = f->ts[i];
		f->ts[i] += N;
		if ((t * 7 + i * 13) % 53 == 0)
			continue; /* lost */
		uint8_t pkt[20 + RG_MAX_PAYLOAD];
		int n;
		if (i % 3 == 2) { /* no level in the packets */
			uint8_t h[12] = { 0x80, 111, (uint8_t)(seq >> 8), (uint8_t)seq, (uint8_t)(ts >> 24),
					  (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts, 0, 0, 0x30, (uint8_t)i };
			memcpy(pkt, h, sizeof h);
			memcpy(pkt + 12, payload, (size_t)len);
			n = 12 + len;
		} else {
			uint8_t lvl = talks ? rg_audio_level(pcm, N) : 127;
			n = rtp_level_packet_build(pkt, sizeof pkt, 111, seq, ts, 0x3000 + i, 1, lvl, payload, (size_t)len);
			assert_true(n > 0);
		}
		relay_forward(f->relay, f->pub[i], pkt, (size_t)n);
	}
}

static void par_compare(struct par_fixture *f, unsigned t)
{
	struct par_side *a = &f->side[0], *b = &f->side[1];
	if (a->n != b->n)
		fail_msg("tick %u: %u frames alone, %u with the helpers", t, a->n, b->n);
	for (unsigned i = 0; i < a->n; i++) {
		const struct par_frame *x = &a->log[i], *y = &b->log[i];
		if (x->out != y->out || x->len != y->len || x->level != y->level ||
		    memcmp(x->buf, y->buf, MIN(x->len, sizeof x->buf)))
			fail_msg("tick %u, frame %u: output %u (%zu bytes, level %u) alone, output %u (%zu bytes, "
				 "level %u) with the helpers%s",
				 t, i, x->out, x->len, x->level, y->out, y->len, y->level,
				 x->len == y->len ? ", different bytes" : "");
		if (x->out < MEMBERS && x->level < 127)
			a->own_frames_heard++;
	}
	a->n = b->n = 0;
}

static void test_helpers_same_packets(void **state)
{
	(void)state;
	struct par_fixture *f = g_new0(struct par_fixture, 1);
	struct mixpool *pool = NULL;
	assert_int_equal(mixpool_new(&pool, 2, 1, MIXER_SCRATCH_BYTES), 0);
	f->relay = relay_new(NULL, NULL, NULL);
	par_now = 1000000;
	for (int k = 0; k < 2; k++) {
		struct mixer_config cfg = { .max_talkers = MEMBERS, .jb_min_ms = 40, .jb_max_ms = 200,
					    .helpers = k ? mixpool_slot(pool, 0) : NULL, .clock = par_clock };
		f->side[k].mx = mixer_new(f->relay, &cfg);
	}
	struct rg_codec_params op;
	rg_codec_params_default(&op, RG_CODEC_OPUS);
	for (unsigned i = 0; i < MEMBERS; i++) {
		char id[8];
		snprintf(id, sizeof id, "s%u", i);
		f->pub[i] = relay_attach_local(f->relay, id, 1);
		f->enc[i] = rg_encoder_new(&op);
		f->seq[i] = (uint16_t)(1000 * i);
		f->ts[i] = 7777u * i;
	}
	for (unsigned i = MEMBERS; i < MEMBERS + 4; i++)
		par_out_add(f, i);
	for (unsigned i = 0; i < 16; i++)
		par_join(f, i, true);
	for (unsigned t = 0; t < PAR_TICKS; t++) {
		if (t >= 40 && t < 40 + 10 * (MEMBERS - 16) && t % 10 == 0)
			par_join(f, 16 + (t - 40) / 10, true);
		if (t == 200)
			par_join(f, 5, false);
		if (t == 230)
			par_join(f, 12, false);
		if (t == 300)
			par_join(f, 5, true);
		par_send(f, t);
		par_now += 20000;
		for (int k = 0; k < 2; k++)
			mixer_tick(f->side[k].mx, par_now);
		par_compare(f, t);
	}
	struct mixpool_stats st;
	mixpool_slot_stats(mixpool_slot(pool, 0), &st);
	unsigned sp[2], lent[2];
	for (int k = 0; k < 2; k++)
		lent[k] = mixer_decoders(f->side[k].mx, &sp[k]);
	print_message("%llu frames each, %llu N-1 frames with sound; with the helpers: %llu batches, %llu jobs, "
		      "%llu run by a helper; decoders %u+%u and %u+%u\n",
		      (unsigned long long)f->side[0].frames, (unsigned long long)f->side[0].own_frames_heard,
		      (unsigned long long)st.batches, (unsigned long long)st.jobs, (unsigned long long)st.helped,
		      lent[0], sp[0], lent[1], sp[1]);
	assert_int_equal(f->side[0].frames, f->side[1].frames);
	assert_true(f->side[0].frames > PAR_TICKS * 20);
	assert_true(f->side[0].own_frames_heard > PAR_TICKS * 10);
	assert_true(st.batches > PAR_TICKS && st.jobs > PAR_TICKS * 20);
	assert_true(st.helped > 0);
	assert_int_equal(lent[0], lent[1]);
	assert_int_equal(sp[0], sp[1]);
	for (int k = 0; k < 2; k++)
		mixer_free(f->side[k].mx);
	for (unsigned i = 0; i < MEMBERS; i++) {
		relay_detach(f->relay, f->pub[i]);
		rg_encoder_free(f->enc[i]);
	}
	relay_free(f->relay);
	mixpool_free(pool);
	g_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_n_minus_1_exact),
		cmocka_unit_test(test_real_mixer),
		cmocka_unit_test(test_mix_heard_by_mix),
		cmocka_unit_test(test_helpers_same_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
