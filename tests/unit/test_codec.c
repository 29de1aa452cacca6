/* codec: names and parameters, payload durations (Opus TOC and frame
 * counts, sample codecs by length), exact G.711 code words and L16 bytes,
 * tone round trips through every codec at 48 kHz (Goertzel: the tone
 * dominates and keeps its level), Opus FEC/PLC and DTX, concealment of the
 * sample codecs, the resampler and RFC 6464 levels. Figures (level, SNR)
 * are printed so that a run shows what each codec does to a tone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "codec/codec.h"
#include "codec/codec_int.h"

#define RATE 48000
#define SECOND_SAMPLES 48000
#define AMP_6DBFS 16422.0 /* 32767 * 10^(-6/20) */

static int16_t tone_in[SECOND_SAMPLES];
static int16_t tone_out[SECOND_SAMPLES];

static void sine(int16_t *x, size_t n, double freq, double amp, unsigned rate)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lround(amp * sin(2 * M_PI * freq * (double)i / rate));
}

/* |X(f)|^2 over n samples at 48 kHz. */
static double goertzel(const int16_t *x, size_t n, double f, unsigned rate)
{
	double c = 2 * cos(2 * M_PI * f / rate), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

struct tone_figures {
	double level_db; /* tone amplitude out vs in */
	double snr_db;   /* tone energy vs everything else */
	double off_db;   /* tone vs the stronger of f-150 Hz and f+150 Hz */
};

/* x holds whole cycles of f (the windows below are 0.5 s, f a multiple of
 * 2 Hz), so the Goertzel bins do not leak into each other. */
static struct tone_figures analyse(const int16_t *x, size_t n, double f, double amp_in,
				   unsigned rate)
{
	struct tone_figures t;
	double p = goertzel(x, n, f, rate);
	double amp = 2 * sqrt(p) / (double)n;
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += (double)x[i] * x[i];
	double tone = amp * amp / 2 * (double)n;
	double off = fmax(goertzel(x, n, f - 150, rate), goertzel(x, n, f + 150, rate));
	t.level_db = 20 * log10(amp / amp_in);
	t.snr_db = 10 * log10(tone / fmax(total - tone, 1.0));
	t.off_db = 10 * log10(p / fmax(off, 1.0));
	return t;
}

static void print_figures(const char *what, double f, const struct tone_figures *t)
{
	print_message("%-16s %5.0f Hz: level %+.2f dB, SNR %.1f dB, tone/off-tone %.1f dB\n", what,
		      f, t->level_db, t->snr_db, t->off_db);
}

/* One second of a -6 dBFS tone through encoder and decoder at 'frame'
 * samples per payload; the second half is analysed. */
static struct tone_figures round_trip(const struct rg_codec_params *p, double f, size_t frame)
{
	struct rg_encoder *e = rg_encoder_new(p);
	struct rg_decoder *d = rg_decoder_new(p);
	assert_non_null(e);
	assert_non_null(d);
	sine(tone_in, SECOND_SAMPLES, f, AMP_6DBFS, RATE);
	memset(tone_out, 0, sizeof tone_out);
	uint8_t pl[RG_MAX_PAYLOAD];
	for (size_t pos = 0; pos + frame <= SECOND_SAMPLES; pos += frame) {
		int len = rg_encoder_encode(e, tone_in + pos, frame, pl, sizeof pl);
		assert_true(len > 0);
		assert_int_equal(rg_codec_payload_samples(p, pl, (size_t)len), frame);
		int n = rg_decoder_decode(d, pl, (size_t)len, tone_out + pos, SECOND_SAMPLES - pos);
		assert_int_equal(n, frame);
	}
	rg_encoder_free(e);
	rg_decoder_free(d);
	return analyse(tone_out + SECOND_SAMPLES / 2, SECOND_SAMPLES / 2, f, AMP_6DBFS, RATE);
}

static void check_round_trip(const struct rg_codec_params *p, const char *what, double min_snr)
{
	size_t frame = rg_codec_ptime_ok(p, 20) ? RG_FRAME_SAMPLES : RG_FRAME_SAMPLES / 2;
	const double freqs[] = {440, 1000};
	for (size_t i = 0; i < 2; i++) {
		struct tone_figures t = round_trip(p, freqs[i], frame);
		print_figures(what, freqs[i], &t);
		assert_true(t.off_db >= 20);
		assert_true(fabs(t.level_db) <= 2);
		assert_true(t.snr_db >= min_snr);
	}
}

static void test_round_trip_all(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	check_round_trip(&p, "opus mono", 15);
	p.channels = 2;
	check_round_trip(&p, "opus stereo", 15);
	rg_codec_params_default(&p, RG_CODEC_PCMU);
	check_round_trip(&p, "pcmu", 30);
	rg_codec_params_default(&p, RG_CODEC_PCMA);
	check_round_trip(&p, "pcma", 30);
	rg_codec_params_default(&p, RG_CODEC_G722);
	check_round_trip(&p, "g722", 30);
	static const unsigned rates[] = {8000, 16000, 32000, 44100, 48000};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		char what[32];
		rg_codec_params_default(&p, RG_CODEC_L16);
		p.clock_rate = p.sample_rate = rates[i];
		snprintf(what, sizeof what, "l16/%u", rates[i]);
		check_round_trip(&p, what, 40);
	}
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 32000;
	p.channels = 2;
	check_round_trip(&p, "l16/32000/2", 40);
}

/* 200 ms of a tone at f in payloads of 'frame' samples; returns the count. */
static size_t tone_payloads(const struct rg_codec_params *p, double f, size_t frame,
			    uint8_t pl[][RG_MAX_PAYLOAD], int *len)
{
	struct rg_encoder *e = rg_encoder_new(p);
	assert_non_null(e);
	sine(tone_in, SECOND_SAMPLES / 5, f, AMP_6DBFS, RATE);
	size_t n = 0;
	for (size_t pos = 0; pos + frame <= SECOND_SAMPLES / 5; pos += frame, n++) {
		len[n] = rg_encoder_encode(e, tone_in + pos, frame, pl[n], RG_MAX_PAYLOAD);
		assert_true(len[n] > 0);
	}
	rg_encoder_free(e);
	return n;
}

/* A decoder that decoded (and concealed) one stream, once reset, decodes
 * another exactly as a new decoder does; and the longest payload (120 ms)
 * decodes at every rate. */
static void check_reset(const struct rg_codec_params *p, const char *what)
{
	static uint8_t a[20][RG_MAX_PAYLOAD], b[20][RG_MAX_PAYLOAD];
	static int16_t fresh[SECOND_SAMPLES / 5], reused[SECOND_SAMPLES / 5];
	int alen[20], blen[20];
	size_t frame = rg_codec_ptime_ok(p, 20) ? RG_FRAME_SAMPLES : RG_FRAME_SAMPLES / 2;
	size_t na = tone_payloads(p, 440, frame, a, alen), nb = tone_payloads(p, 1000, frame, b, blen);
	struct rg_decoder *d1 = rg_decoder_new(p), *d2 = rg_decoder_new(p);
	assert_non_null(d1);
	assert_non_null(d2);
	for (size_t i = 0; i < nb; i++)
		assert_int_equal(rg_decoder_decode(d2, b[i], (size_t)blen[i], reused, frame), frame);
	assert_int_equal(rg_decoder_conceal(d2, NULL, 0, reused, frame), frame);
	assert_int_equal(rg_decoder_reset(d2), 0);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(rg_decoder_decode(d1, a[i], (size_t)alen[i], fresh + i * frame, frame), frame);
		assert_int_equal(rg_decoder_decode(d2, a[i], (size_t)alen[i], reused + i * frame, frame), frame);
	}
	if (memcmp(fresh, reused, na * frame * sizeof fresh[0]))
		fail_msg("%s: a reset decoder decodes differently from a new one", what);
	if (p->id != RG_CODEC_OPUS) {
		static uint8_t longest[RG_MAX_PACKET_SAMPLES * 4];
		/* G.711: one byte per 8 kHz sample; G.722: one per two 16 kHz
		 * samples; L16: 2 bytes per sample and channel */
		size_t bytes = 960;
		if (p->id == RG_CODEC_L16)
			bytes = (size_t)p->sample_rate * 12 / 100 * 2 * p->channels;
		int n = rg_decoder_decode(d1, longest, bytes, reused, RG_MAX_PACKET_SAMPLES);
		if (n < RG_MAX_PACKET_SAMPLES - 1 || n > RG_MAX_PACKET_SAMPLES)
			fail_msg("%s: 120 ms payload of %zu bytes decoded to %d samples", what, bytes, n);
	}
	rg_decoder_free(d1);
	rg_decoder_free(d2);
}

static void test_decoder_reset(void **state)
{
	(void)state;
	struct rg_codec_params p;
	static const enum rg_codec_id ids[] = {RG_CODEC_OPUS, RG_CODEC_PCMU, RG_CODEC_PCMA, RG_CODEC_G722};
	static const char *const names[] = {"opus", "pcmu", "pcma", "g722"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		rg_codec_params_default(&p, ids[i]);
		check_reset(&p, names[i]);
	}
	static const unsigned rates[] = {8000, 16000, 32000, 44100, 48000};
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		rg_codec_params_default(&p, RG_CODEC_L16);
		p.clock_rate = p.sample_rate = rates[i];
		check_reset(&p, "l16");
	}
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 32000;
	p.channels = 2;
	check_reset(&p, "l16/32000/2");
	assert_int_equal(rg_decoder_reset(NULL), -EINVAL);
}

static void test_names_defaults(void **state)
{
	(void)state;
	assert_string_equal(rg_codec_name(RG_CODEC_OPUS), "opus");
	assert_string_equal(rg_codec_name(RG_CODEC_G722), "g722");
	assert_int_equal(rg_codec_from_name("OPUS"), RG_CODEC_OPUS);
	assert_int_equal(rg_codec_from_name("PcmA"), RG_CODEC_PCMA);
	assert_int_equal(rg_codec_from_name("l16"), RG_CODEC_L16);
	assert_int_equal(rg_codec_from_name("g729"), -EINVAL);
	assert_int_equal(rg_codec_from_name(NULL), -EINVAL);
	assert_int_equal(rg_codec_default_pt(RG_CODEC_PCMU), 0);
	assert_int_equal(rg_codec_default_pt(RG_CODEC_PCMA), 8);
	assert_int_equal(rg_codec_default_pt(RG_CODEC_G722), 9);
	assert_int_equal(rg_codec_default_pt(RG_CODEC_OPUS), 111);
	assert_int_equal(rg_codec_default_pt(RG_CODEC_L16), 96);

	struct rg_codec_params p;
	char msg[128];
	for (int id = 0; id < RG_CODEC_COUNT; id++) {
		rg_codec_params_default(&p, (enum rg_codec_id)id);
		assert_int_equal(rg_codec_params_check(&p, msg, sizeof msg), 0);
		assert_int_equal(p.channels, 1);
		assert_true(rg_codec_ptime_ok(&p, 20));
	}
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	assert_int_equal(p.clock_rate, 48000);
	assert_int_equal(p.loss_perc, 5);
	rg_codec_params_default(&p, RG_CODEC_G722);
	assert_int_equal(p.clock_rate, 8000);
	assert_int_equal(p.sample_rate, 16000);
}

static void expect_check_error(const struct rg_codec_params *p)
{
	char msg[128] = "";
	assert_int_equal(rg_codec_params_check(p, msg, sizeof msg), -EINVAL);
	assert_true(msg[0] != '\0');
	assert_null(rg_decoder_new(p));
	assert_null(rg_encoder_new(p));
}

static void test_params_check(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 22050;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.channels = 3;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = 8000; /* must equal the sample rate */
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 48000;
	p.channels = 2; /* 1920 bytes per 10 ms */
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_PCMU);
	p.channels = 2;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_G722);
	p.sample_rate = 8000;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	p.channels = 3;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	p.bitrate = 1000;
	expect_check_error(&p);
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	p.loss_perc = 101;
	expect_check_error(&p);
	p.id = RG_CODEC_COUNT;
	expect_check_error(&p);
	assert_int_equal(rg_codec_params_check(NULL, NULL, 0), -EINVAL);
}

static void test_ptime(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	assert_true(rg_codec_ptime_ok(&p, 10));
	assert_true(rg_codec_ptime_ok(&p, 20));
	assert_true(rg_codec_ptime_ok(&p, 40));
	assert_true(rg_codec_ptime_ok(&p, 60));
	assert_false(rg_codec_ptime_ok(&p, 0));
	assert_false(rg_codec_ptime_ok(&p, 30));
	assert_false(rg_codec_ptime_ok(&p, 120));
	rg_codec_params_default(&p, RG_CODEC_PCMU);
	for (unsigned ms = 10; ms <= 60; ms += 10)
		assert_true(rg_codec_ptime_ok(&p, ms));
	assert_false(rg_codec_ptime_ok(&p, 15));
	assert_false(rg_codec_ptime_ok(&p, 70));
	rg_codec_params_default(&p, RG_CODEC_L16); /* 16 kHz mono: 320 bytes per 10 ms */
	assert_true(rg_codec_ptime_ok(&p, 40));
	assert_false(rg_codec_ptime_ok(&p, 50));
	p.clock_rate = p.sample_rate = 48000;
	assert_true(rg_codec_ptime_ok(&p, 10));
	assert_false(rg_codec_ptime_ok(&p, 20));
}

static void test_ts_units(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	assert_int_equal(rg_codec_ts_units(&p, 960), 960);
	rg_codec_params_default(&p, RG_CODEC_PCMA);
	assert_int_equal(rg_codec_ts_units(&p, 960), 160);
	rg_codec_params_default(&p, RG_CODEC_G722); /* 16 kHz audio, 8 kHz clock */
	assert_int_equal(rg_codec_ts_units(&p, 960), 160);
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 44100;
	assert_int_equal(rg_codec_ts_units(&p, 960), 882);
}

static int opus_samples(const uint8_t *b, size_t len)
{
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	return rg_codec_payload_samples(&p, b, len);
}

#define TOC(config, stereo, code) (uint8_t)((config) << 3 | (stereo) << 2 | (code))

static void test_opus_payload_samples(void **state)
{
	(void)state;
	uint8_t b[64];
	memset(b, 0x55, sizeof b);
	/* code 0, one frame: SILK NB 10/20/40/60 ms (configs 0..3), hybrid
	 * FB 20 ms (15), CELT FB 2.5 and 20 ms (28, 31) */
	const struct { uint8_t config; int samples; } one[] = {
		{0, 480}, {1, 960}, {2, 1920}, {3, 2880}, {15, 960}, {28, 120}, {31, 960},
	};
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
		b[0] = TOC(one[i].config, 0, 0);
		assert_int_equal(opus_samples(b, 10), one[i].samples);
	}
	b[0] = TOC(1, 1, 0);
	assert_int_equal(opus_samples(b, 10), 960); /* stereo: same duration */
	/* code 1: two frames of equal size, so an even remainder */
	b[0] = TOC(1, 0, 1);
	assert_int_equal(opus_samples(b, 11), 1920);
	assert_int_equal(opus_samples(b, 10), -EBADMSG);
	/* code 2: first frame's length, then the rest */
	b[0] = TOC(0, 0, 2);
	b[1] = 4;
	assert_int_equal(opus_samples(b, 10), 960);
	b[1] = 40; /* longer than the packet */
	assert_int_equal(opus_samples(b, 10), -EBADMSG);
	/* code 3, CBR: M frames of equal size */
	b[0] = TOC(1, 0, 3);
	b[1] = 3; /* no VBR, no padding, M = 3 */
	assert_int_equal(opus_samples(b, 2 + 3 * 5), 2880);
	assert_int_equal(opus_samples(b, 2 + 3 * 5 + 1), -EBADMSG);
	b[1] = 6;
	assert_int_equal(opus_samples(b, 2 + 6 * 4), 5760); /* 120 ms, the limit */
	b[1] = 7;
	assert_int_equal(opus_samples(b, 2 + 7 * 4), -EBADMSG); /* 140 ms */
	b[1] = 0;
	assert_int_equal(opus_samples(b, 10), -EBADMSG); /* M = 0 */
	b[0] = TOC(3, 0, 3);
	b[1] = 3;
	assert_int_equal(opus_samples(b, 2 + 3 * 5), -EBADMSG); /* 3 x 60 ms */
	/* code 3, VBR with padding: M = 2, 3 bytes of padding, first frame 4 */
	b[0] = TOC(0, 0, 3);
	b[1] = 0x80 | 0x40 | 2;
	b[2] = 3;
	b[3] = 4;
	assert_int_equal(opus_samples(b, 4 + 4 + 5 + 3), 960);
	assert_int_equal(opus_samples(b, 4 + 2), -EBADMSG);
	/* nothing at all */
	assert_int_equal(opus_samples(b, 0), -EBADMSG);

	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	struct rg_decoder *d = rg_decoder_new(&p);
	assert_non_null(d);
	int16_t out[RG_MAX_PACKET_SAMPLES];
	b[0] = TOC(1, 0, 1);
	assert_int_equal(rg_decoder_decode(d, b, 10, out, RG_MAX_PACKET_SAMPLES), -EBADMSG);
	b[0] = TOC(1, 0, 3);
	b[1] = 0;
	assert_int_equal(rg_decoder_decode(d, b, 10, out, RG_MAX_PACKET_SAMPLES), -EBADMSG);
	assert_int_equal(rg_decoder_decode(d, b, 0, out, RG_MAX_PACKET_SAMPLES), -EBADMSG);
	rg_decoder_free(d);
}

static void test_sample_payload_samples(void **state)
{
	(void)state;
	uint8_t b[2000] = {0};
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_PCMU);
	assert_int_equal(rg_codec_payload_samples(&p, b, 160), 960);
	assert_int_equal(rg_codec_payload_samples(&p, b, 80), 480);
	assert_int_equal(rg_codec_payload_samples(&p, b, 0), -EBADMSG);
	assert_int_equal(rg_codec_payload_samples(&p, b, 961), -EBADMSG); /* > 120 ms */
	rg_codec_params_default(&p, RG_CODEC_PCMA);
	assert_int_equal(rg_codec_payload_samples(&p, b, 240), 1440);
	rg_codec_params_default(&p, RG_CODEC_G722);
	assert_int_equal(rg_codec_payload_samples(&p, b, 160), 960);
	rg_codec_params_default(&p, RG_CODEC_L16);
	assert_int_equal(rg_codec_payload_samples(&p, b, 640), 960);
	assert_int_equal(rg_codec_payload_samples(&p, b, 641), -EBADMSG);
	p.clock_rate = p.sample_rate = 44100;
	assert_int_equal(rg_codec_payload_samples(&p, b, 1764), 960);
	p.clock_rate = p.sample_rate = 32000;
	p.channels = 2;
	assert_int_equal(rg_codec_payload_samples(&p, b, 1280), 480);
	assert_int_equal(rg_codec_payload_samples(&p, b, 1282), -EBADMSG);
}

static void test_g711_exact(void **state)
{
	(void)state;
	assert_int_equal(codec__ulaw_encode(0), 0xFF);
	assert_int_equal(codec__alaw_encode(0), 0xD5);
	assert_int_equal(codec__ulaw_encode(32767), 0x80);
	assert_int_equal(codec__ulaw_encode(-32768), 0x00);
	assert_int_equal(codec__alaw_encode(32767), 0xAA);
	assert_int_equal(codec__alaw_encode(-32768), 0x2A);
	assert_int_equal(codec__ulaw_decode(0xFF), 0);
	assert_int_equal(codec__ulaw_decode(0x7F), 0);
	assert_int_equal(codec__ulaw_decode(0x80), 32124);
	assert_int_equal(codec__ulaw_decode(0x00), -32124);
	assert_int_equal(codec__ulaw_decode(0xEF), 132);   /* segment 0 step 16 wide */
	assert_int_equal(codec__ulaw_decode(0x9F), 8316);  /* segment 6, step 0 */
	assert_int_equal(codec__alaw_decode(0xD5), 8);
	assert_int_equal(codec__alaw_decode(0x55), -8);
	assert_int_equal(codec__alaw_decode(0xAA), 32256);
	assert_int_equal(codec__alaw_decode(0x2A), -32256);
	assert_int_equal(codec__alaw_decode(0x00), -5504);
	assert_int_equal(codec__alaw_decode(0x80), 5504);

	for (int c = 0; c < 256; c++) {
		/* mu-law 0x7F is "negative zero" and comes back as 0xFF */
		int want = c == 0x7F ? 0xFF : c;
		assert_int_equal(codec__ulaw_encode(codec__ulaw_decode((uint8_t)c)), want);
		assert_int_equal(codec__alaw_encode(codec__alaw_decode((uint8_t)c)), c);
	}
	/* every input lands within half a step (plus the clipped top) */
	for (int x = -32768; x <= 32767; x++) {
		int bound = (x < 0 ? -x : x) / 16 + 16;
		int u = codec__ulaw_decode(codec__ulaw_encode((int16_t)x));
		int a = codec__alaw_decode(codec__alaw_encode((int16_t)x));
		if (abs(u - x) > bound || abs(a - x) > bound)
			fail_msg("x=%d: mu-law %d, A-law %d", x, u, a);
	}
}

static void test_l16_exact(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_L16);
	p.clock_rate = p.sample_rate = 48000; /* no resampling: bytes are exact */
	struct rg_encoder *e = rg_encoder_new(&p);
	struct rg_decoder *d = rg_decoder_new(&p);
	assert_non_null(e);
	assert_non_null(d);
	int16_t pcm[480] = {0x0102, -2, 32767, -32768, 0, 1};
	uint8_t pl[RG_MAX_PAYLOAD];
	assert_int_equal(rg_encoder_encode(e, pcm, 480, pl, sizeof pl), 960);
	static const uint8_t want[] = {0x01, 0x02, 0xFF, 0xFE, 0x7F, 0xFF,
				       0x80, 0x00, 0x00, 0x00, 0x00, 0x01};
	assert_memory_equal(pl, want, sizeof want);
	int16_t out[480];
	assert_int_equal(rg_decoder_decode(d, pl, 960, out, 480), 480);
	assert_memory_equal(out, pcm, sizeof pcm);
	assert_int_equal(rg_encoder_encode(e, pcm, 480, pl, 959), -ENOSPC);
	assert_int_equal(rg_decoder_decode(d, pl, 960, out, 479), -ENOSPC);
	rg_encoder_free(e);
	rg_decoder_free(d);

	/* stereo: both channels written, the mean read back */
	uint8_t st[8];
	assert_int_equal(codec__l16_encode(pcm, 2, 2, st), 8);
	static const uint8_t want_st[] = {0x01, 0x02, 0x01, 0x02, 0xFF, 0xFE, 0xFF, 0xFE};
	assert_memory_equal(st, want_st, sizeof st);
	static const uint8_t lr[] = {0x10, 0x00, 0x20, 0x00, 0xFF, 0xFF, 0xFF, 0xFD};
	int16_t mono[2];
	assert_int_equal(codec__l16_decode(lr, sizeof lr, 2, mono), 2);
	assert_int_equal(mono[0], 0x1800);
	assert_int_equal(mono[1], -2);
}

/* Normalized correlation of a and b over n samples. */
static double correlate(const int16_t *a, const int16_t *b, size_t n)
{
	double ab = 0, aa = 0, bb = 0;
	for (size_t i = 0; i < n; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

#define FEC_PACKETS 40
#define FEC_FIRST_LOSS 21 /* single losses at packets 21..30 */
#define FEC_LOSSES 10

/* A voice-like test signal for FEC: a tone with its second harmonic
 * whose pitch steps every 100 ms (5 packets), phase-continuous, so that
 * the PLC, which extrapolates the last pitch, cannot guess the packets
 * around a step and only FEC can bring them back. */
static void tones(int16_t *x, size_t n)
{
	static const double pitch[] = {300, 520, 410, 650, 350, 580, 460, 390};
	double ph = 0;
	for (size_t i = 0; i < n; i++) {
		ph += 2 * M_PI * pitch[(i / (5 * RG_FRAME_SAMPLES)) % 8] / RATE;
		x[i] = (int16_t)lround(6000 * sin(ph) + 3000 * sin(2 * ph + 0.5));
	}
}

static uint8_t fec_pl[FEC_PACKETS][RG_MAX_PAYLOAD];
static int fec_len[FEC_PACKETS];
static int16_t fec_ref[FEC_PACKETS * RG_FRAME_SAMPLES];

static void encode_packets(const struct rg_codec_params *p, const int16_t *in)
{
	struct rg_encoder *e = rg_encoder_new(p);
	assert_non_null(e);
	for (int k = 0; k < FEC_PACKETS; k++) {
		fec_len[k] = rg_encoder_encode(e, in + k * RG_FRAME_SAMPLES, RG_FRAME_SAMPLES,
					       fec_pl[k], RG_MAX_PAYLOAD);
		assert_true(fec_len[k] > 2);
	}
	rg_encoder_free(e);
}

/* Decodes the packets up to 'lost' and conceals that one, with the packet
 * after it as 'next' or without; returns the concealed 20 ms in out[] and
 * whether FEC was used. */
static bool decode_with_loss(const struct rg_codec_params *p, int lost, bool use_next,
			     int16_t *out)
{
	struct rg_decoder *d = rg_decoder_new(p);
	assert_non_null(d);
	int16_t pcm[RG_MAX_PACKET_SAMPLES];
	for (int k = 0; k < lost; k++)
		assert_int_equal(rg_decoder_decode(d, fec_pl[k], (size_t)fec_len[k], pcm,
						   RG_MAX_PACKET_SAMPLES),
				 RG_FRAME_SAMPLES);
	const uint8_t *next = use_next ? fec_pl[lost + 1] : NULL;
	size_t next_len = use_next ? (size_t)fec_len[lost + 1] : 0;
	assert_int_equal(rg_decoder_conceal(d, next, next_len, out, RG_FRAME_SAMPLES),
			 RG_FRAME_SAMPLES);
	bool fec = rg_decoder_last_fec(d);
	/* decoding goes on after the loss */
	assert_int_equal(rg_decoder_decode(d, next ? next : fec_pl[lost + 1], (size_t)fec_len[lost + 1],
					   pcm, RG_MAX_PACKET_SAMPLES),
			 RG_FRAME_SAMPLES);
	rg_decoder_free(d);
	return fec;
}

/* The codec delay: the lag (0..20 ms) at which out best matches in. */
static size_t best_lag(const int16_t *in, const int16_t *out, size_t from, size_t n)
{
	size_t lag = 0;
	double best = -2;
	for (size_t l = 0; l < RG_FRAME_SAMPLES; l++) {
		double c = correlate(in + from - l, out + from, n);
		if (c > best) {
			best = c;
			lag = l;
		}
	}
	return lag;
}

/* Each of ten packets lost alone, concealed with FEC from the next packet
 * and with the PLC alone; the concealed 20 ms are compared with the input
 * delayed by the codec's delay (measured on the undamaged decode). */
static void test_opus_fec_plc(void **state)
{
	(void)state;
	static int16_t in[FEC_PACKETS * RG_FRAME_SAMPLES];
	tones(in, FEC_PACKETS * RG_FRAME_SAMPLES);
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	p.loss_perc = 20;
	encode_packets(&p, in);

	struct rg_decoder *d = rg_decoder_new(&p);
	assert_non_null(d);
	for (int k = 0; k < FEC_PACKETS; k++)
		assert_int_equal(rg_decoder_decode(d, fec_pl[k], (size_t)fec_len[k],
						   fec_ref + k * RG_FRAME_SAMPLES, RG_FRAME_SAMPLES),
				 RG_FRAME_SAMPLES);
	rg_decoder_free(d);
	size_t lag = best_lag(in, fec_ref, 10 * RG_FRAME_SAMPLES, 10 * RG_FRAME_SAMPLES);

	double fec_sum = 0, plc_sum = 0, fec_min = 1, ref_sum = 0;
	int fec_good = 0;
	for (int lost = FEC_FIRST_LOSS; lost < FEC_FIRST_LOSS + FEC_LOSSES; lost++) {
		int16_t out[RG_FRAME_SAMPLES];
		size_t at = (size_t)lost * RG_FRAME_SAMPLES;
		assert_true(codec__opus_has_fec(fec_pl[lost + 1], (size_t)fec_len[lost + 1]));
		assert_true(decode_with_loss(&p, lost, true, out));
		double c = correlate(in + at - lag, out, RG_FRAME_SAMPLES);
		fec_sum += c;
		fec_min = fmin(fec_min, c);
		fec_good += c > 0.8;
		ref_sum += correlate(in + at - lag, fec_ref + at, RG_FRAME_SAMPLES);
		assert_false(decode_with_loss(&p, lost, false, out));
		plc_sum += correlate(in + at - lag, out, RG_FRAME_SAMPLES);
	}
	print_message("opus FEC: delay %zu samples; correlation with the input over %d single "
		      "losses: FEC mean %.3f (min %.3f, %d above 0.8), PLC mean %.3f, "
		      "no loss %.3f\n", lag, FEC_LOSSES, fec_sum / FEC_LOSSES, fec_min, fec_good,
		      plc_sum / FEC_LOSSES, ref_sum / FEC_LOSSES);
	assert_true(fec_sum / FEC_LOSSES > 0.8);
	assert_true(fec_good >= FEC_LOSSES * 8 / 10);
	assert_true(fec_sum > plc_sum + 0.1 * FEC_LOSSES);

	/* without FEC in the stream the next packet cannot help */
	p.loss_perc = 0;
	encode_packets(&p, in);
	int16_t out[RG_FRAME_SAMPLES];
	assert_false(codec__opus_has_fec(fec_pl[FEC_FIRST_LOSS + 1],
					 (size_t)fec_len[FEC_FIRST_LOSS + 1]));
	assert_false(decode_with_loss(&p, FEC_FIRST_LOSS, true, out));
}

static void test_opus_conceal_args(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	struct rg_decoder *d = rg_decoder_new(&p);
	assert_non_null(d);
	int16_t out[RG_MAX_PACKET_SAMPLES];
	assert_int_equal(rg_decoder_conceal(d, NULL, 0, out, 100), -EINVAL); /* not 2.5 ms */
	assert_int_equal(rg_decoder_conceal(d, NULL, 0, out, 120), 120);
	assert_int_equal(rg_decoder_conceal(d, NULL, 0, out, 2880), 2880);
	/* a CELT packet as 'next' carries no FEC */
	const uint8_t celt[] = {TOC(31, 0, 0), 0xff, 0xfe, 0x12, 0x34};
	assert_int_equal(rg_decoder_conceal(d, celt, sizeof celt, out, 960), 960);
	assert_false(rg_decoder_last_fec(d));
	rg_decoder_free(d);
}

static void test_opus_dtx(void **state)
{
	(void)state;
	assert_true(rg_opus_is_dtx(NULL, 0));
	const uint8_t one[] = {TOC(1, 0, 0)}, two[] = {TOC(1, 0, 0), 0x00};
	assert_true(rg_opus_is_dtx(one, 1));
	assert_true(rg_opus_is_dtx(two, 2));

	/* libopus with DTX on: after a few frames of silence it sends packets
	 * that need no decoding; speech is never taken for one */
	int err = 0;
	OpusEncoder *enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
	assert_non_null(enc);
	assert_int_equal(opus_encoder_ctl(enc, OPUS_SET_DTX(1)), OPUS_OK);
	static int16_t in[FEC_PACKETS * RG_FRAME_SAMPLES];
	tones(in, 10 * RG_FRAME_SAMPLES);
	memset(in + 10 * RG_FRAME_SAMPLES, 0, 30 * RG_FRAME_SAMPLES * sizeof in[0]);
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	struct rg_decoder *d = rg_decoder_new(&p);
	assert_non_null(d);
	int dtx = 0;
	for (int k = 0; k < FEC_PACKETS; k++) {
		uint8_t pl[RG_MAX_PAYLOAD];
		int16_t out[RG_FRAME_SAMPLES];
		int len = opus_encode(enc, in + k * RG_FRAME_SAMPLES, RG_FRAME_SAMPLES, pl, sizeof pl);
		assert_true(len > 0);
		bool is = rg_opus_is_dtx(pl, (size_t)len);
		if (k < 10)
			assert_false(is);
		dtx += is;
		assert_int_equal(rg_decoder_decode(d, pl, (size_t)len, out, RG_FRAME_SAMPLES),
				 RG_FRAME_SAMPLES);
	}
	print_message("opus DTX: %d of 30 silent frames sent as DTX\n", dtx);
	assert_true(dtx >= 15);
	opus_encoder_destroy(enc);
	rg_decoder_free(d);
}

static void test_sample_conceal(void **state)
{
	(void)state;
	struct rg_codec_params p;
	rg_codec_params_default(&p, RG_CODEC_PCMU);
	struct rg_decoder *d = rg_decoder_new(&p);
	struct rg_encoder *e = rg_encoder_new(&p);
	assert_non_null(d);
	assert_non_null(e);
	int16_t in[RG_FRAME_SAMPLES], out[RG_FRAME_SAMPLES], c[3 * RG_FRAME_SAMPLES];
	uint8_t pl[RG_MAX_PAYLOAD];
	sine(in, RG_FRAME_SAMPLES, 400, AMP_6DBFS, RATE);
	int len = rg_encoder_encode(e, in, RG_FRAME_SAMPLES, pl, sizeof pl);
	assert_int_equal(len, 160);
	assert_int_equal(rg_decoder_decode(d, pl, (size_t)len, out, RG_FRAME_SAMPLES),
			 RG_FRAME_SAMPLES);
	assert_int_equal(rg_decoder_conceal(d, pl, (size_t)len, c, RG_FRAME_SAMPLES),
			 RG_FRAME_SAMPLES);
	assert_false(rg_decoder_last_fec(d));
	assert_int_equal(rg_decoder_conceal(d, NULL, 0, c + RG_FRAME_SAMPLES, 2 * RG_FRAME_SAMPLES),
			 2 * RG_FRAME_SAMPLES);
	/* the first 10 ms replay the last 10 ms as they were */
	assert_memory_equal(c, out + RG_FRAME_SAMPLES / 2, RG_FRAME_SAMPLES / 2 * sizeof c[0]);
	/* then the level falls, and after 60 ms there is silence */
	double e1 = 0, e2 = 0;
	for (size_t i = 480; i < 960; i++)
		e1 += (double)c[i] * c[i];
	for (size_t i = 1920; i < 2400; i++)
		e2 += (double)c[i] * c[i];
	assert_true(e2 < e1 / 4);
	for (size_t i = 2880; i < 3 * RG_FRAME_SAMPLES; i++)
		assert_int_equal(c[i], 0);
	/* a decoded payload ends the loss */
	assert_int_equal(rg_decoder_decode(d, pl, (size_t)len, out, RG_FRAME_SAMPLES),
			 RG_FRAME_SAMPLES);
	assert_int_equal(rg_decoder_conceal(d, NULL, 0, c, 480), 480);
	assert_memory_equal(c, out + 480, 480 * sizeof c[0]);
	rg_encoder_free(e);
	rg_decoder_free(d);
}

static void test_encode_args(void **state)
{
	(void)state;
	struct rg_codec_params p;
	int16_t pcm[RG_MAX_PACKET_SAMPLES] = {0};
	uint8_t pl[RG_MAX_PAYLOAD];
	rg_codec_params_default(&p, RG_CODEC_OPUS);
	struct rg_encoder *e = rg_encoder_new(&p);
	assert_non_null(e);
	assert_int_equal(rg_encoder_encode(e, pcm, 700, pl, sizeof pl), -EINVAL);
	assert_int_equal(rg_encoder_encode(e, pcm, 5760, pl, sizeof pl), -EINVAL);
	static const size_t sizes[] = {480, 960, 1920, 2880};
	for (size_t i = 0; i < 4; i++) {
		int len = rg_encoder_encode(e, pcm, sizes[i], pl, sizeof pl);
		/* silence costs less than the 32 kb/s budget of its duration */
		int budget = (int)(sizes[i] * 32000 / 48000 / 8);
		if (!(len > 0 && len < budget))
			fail_msg("%zu samples of silence: %d bytes (budget %d)", sizes[i], len, budget);
		assert_int_equal(rg_codec_payload_samples(&p, pl, (size_t)len), sizes[i]);
	}
	assert_int_equal(rg_encoder_encode(e, pcm, 960, pl, 0), -ENOSPC);
	rg_encoder_free(e);

	rg_codec_params_default(&p, RG_CODEC_PCMU);
	e = rg_encoder_new(&p);
	assert_non_null(e);
	assert_int_equal(rg_encoder_encode(e, pcm, 500, pl, sizeof pl), -EINVAL);
	assert_int_equal(rg_encoder_encode(e, pcm, 960, pl, 159), -ENOSPC);
	assert_int_equal(rg_encoder_encode(e, pcm, 2880, pl, sizeof pl), 480);
	assert_int_equal(pl[0], 0xFF);
	assert_int_equal(pl[479], 0xFF);
	rg_encoder_free(e);
	rg_codec_params_default(&p, RG_CODEC_PCMA);
	e = rg_encoder_new(&p);
	assert_non_null(e);
	assert_int_equal(rg_encoder_encode(e, pcm, 960, pl, sizeof pl), 160);
	assert_int_equal(pl[100], 0xD5);
	rg_encoder_free(e);
}

static void test_resampler(void **state)
{
	(void)state;
	static int16_t in8[8000], up[48000], down[8000];
	sine(in8, 8000, 1000, AMP_6DBFS, 8000);
	struct rg_resampler *u = rg_resampler_new(8000, 48000, 1);
	struct rg_resampler *dn = rg_resampler_new(48000, 8000, 1);
	assert_non_null(u);
	assert_non_null(dn);
	for (size_t k = 0; k < 100; k++) {
		assert_int_equal(rg_resample(u, in8 + 80 * k, 80, up + 480 * k, 480), 480);
		assert_int_equal(rg_resample(dn, up + 480 * k, 480, down + 80 * k, 80), 80);
	}
	assert_int_equal(rg_resample(u, in8, 80, up, 479), -ENOSPC);
	struct tone_figures t = analyse(down + 4000, 4000, 1000, AMP_6DBFS, 8000);
	print_figures("resample 8-48-8", 1000, &t);
	assert_true(t.off_db >= 20);
	assert_true(fabs(t.level_db) <= 1);
	assert_true(t.snr_db >= 40);
	t = analyse(up + 24000, 24000, 1000, AMP_6DBFS, RATE);
	assert_true(fabs(t.level_db) <= 1);
	rg_resampler_free(u);
	rg_resampler_free(dn);
	assert_null(rg_resampler_new(0, 48000, 1));
	assert_null(rg_resampler_new(8000, 48000, 3));
}

static void test_audio_level(void **state)
{
	(void)state;
	int16_t x[RG_FRAME_SAMPLES];
	for (size_t i = 0; i < RG_FRAME_SAMPLES; i++)
		x[i] = (i / 48) % 2 ? 32767 : -32767;
	assert_int_equal(rg_audio_level(x, RG_FRAME_SAMPLES), 0);
	sine(x, RG_FRAME_SAMPLES, 1000, 32767, RATE);
	assert_int_equal(rg_audio_level(x, RG_FRAME_SAMPLES), 3);
	sine(x, RG_FRAME_SAMPLES, 1000, 32767 / 10.0, RATE);
	assert_int_equal(rg_audio_level(x, RG_FRAME_SAMPLES), 23);
	memset(x, 0, sizeof x);
	assert_int_equal(rg_audio_level(x, RG_FRAME_SAMPLES), 127);
	x[0] = 1; /* -90 dBov */
	assert_int_equal(rg_audio_level(x, RG_FRAME_SAMPLES), 120);
	assert_int_equal(rg_audio_level(x, 0), 127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_defaults),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_ptime),
		cmocka_unit_test(test_ts_units),
		cmocka_unit_test(test_opus_payload_samples),
		cmocka_unit_test(test_sample_payload_samples),
		cmocka_unit_test(test_g711_exact),
		cmocka_unit_test(test_l16_exact),
		cmocka_unit_test(test_round_trip_all),
		cmocka_unit_test(test_decoder_reset),
		cmocka_unit_test(test_opus_fec_plc),
		cmocka_unit_test(test_opus_conceal_args),
		cmocka_unit_test(test_opus_dtx),
		cmocka_unit_test(test_sample_conceal),
		cmocka_unit_test(test_encode_args),
		cmocka_unit_test(test_resampler),
		cmocka_unit_test(test_audio_level),
	};
	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
