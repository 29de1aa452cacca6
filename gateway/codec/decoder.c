/* rg_decoder: one RTP payload of any codec in, 48 kHz mono out (see
 * codec/codec.h). Opus decodes straight to 48 kHz; the sample codecs
 * decode at their own rate into 'native' and go through a speexdsp
 * resampler (none when the codec already runs at 48 kHz).
 *
 * Concealment for the sample codecs follows the idea of G.711 appendix I
 * without its pitch search: the last 10 ms of output are replayed in a
 * loop, at full level for the first 10 ms of the loss, then fading linearly
 * to silence over the next 50 ms; a longer loss is silence. The next
 * decoded payload starts fresh. Opus conceals with its own FEC or PLC
 * (opus.c).
 *
 * One thread per decoder; all buffers are allocated in rg_decoder_new, and
 * only those the codec needs: an Opus decoder is libopus's state and this
 * header; a sample codec's adds 'native', 120 ms at its own rate. */
#include "codec/codec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HIST_SAMPLES 480   /* 10 ms at 48 kHz: what concealment replays */
#define FADE_HOLD 480      /* replayed at full level for 10 ms */
#define FADE_SAMPLES 2400  /* then faded to silence over 50 ms */
#define GAIN_ONE 32768

struct rg_decoder {
	struct rg_codec_params p;
	struct codec__opus_dec *opus; /* Opus only */
	struct codec__g722 *g722;     /* G.722 only */
	struct rg_resampler *rs;      /* sample_rate -> 48 kHz; NULL for Opus and 48 kHz L16 */
	bool last_fec;
	size_t concealed; /* samples concealed since the last decoded payload */
	size_t hist_len;
	int16_t hist[HIST_SAMPLES];
	int16_t native[]; /* sample codecs: native_samples(p) */
};

/* The longest payload (RG_MAX_PACKET_SAMPLES at 48 kHz) at the codec's own
 * rate: rg_codec_payload_samples refuses anything longer. */
static size_t native_samples(const struct rg_codec_params *p)
{
	if (p->id == RG_CODEC_OPUS)
		return 0;
	return ((size_t)RG_MAX_PACKET_SAMPLES * p->sample_rate + RG_AUDIO_RATE - 1) / RG_AUDIO_RATE;
}

struct rg_decoder *rg_decoder_new(const struct rg_codec_params *p)
{
	if (rg_codec_params_check(p, NULL, 0) < 0)
		return NULL;
	struct rg_decoder *d = calloc(1, sizeof *d + native_samples(p) * sizeof d->native[0]);
	if (!d)
		return NULL;
	d->p = *p;
	bool ok = true;
	if (p->id == RG_CODEC_OPUS)
		ok = (d->opus = codec__opus_dec_new()) != NULL;
	else if (p->id == RG_CODEC_G722)
		ok = (d->g722 = codec__g722_new(false)) != NULL;
	if (ok && p->id != RG_CODEC_OPUS && p->sample_rate != RG_AUDIO_RATE)
		ok = (d->rs = rg_resampler_new(p->sample_rate, RG_AUDIO_RATE, 1)) != NULL;
	if (!ok) {
		rg_decoder_free(d);
		return NULL;
	}
	return d;
}

int rg_decoder_reset(struct rg_decoder *d)
{
	if (!d)
		return -EINVAL;
	int r = 0;
	if (d->opus)
		r = codec__opus_dec_reset(d->opus);
	if (d->g722)
		r = codec__g722_reset(d->g722);
	if (d->rs)
		rg_resampler_reset(d->rs);
	d->last_fec = false;
	d->concealed = 0;
	d->hist_len = 0;
	return r;
}

void rg_decoder_free(struct rg_decoder *d)
{
	if (!d)
		return;
	codec__opus_dec_free(d->opus);
	codec__g722_free(d->g722);
	rg_resampler_free(d->rs);
	free(d);
}

/* Keeps the last HIST_SAMPLES of output for concealment. */
static void remember(struct rg_decoder *d, const int16_t *pcm, size_t n)
{
	if (n >= HIST_SAMPLES) {
		memcpy(d->hist, pcm + n - HIST_SAMPLES, sizeof d->hist);
		d->hist_len = HIST_SAMPLES;
		return;
	}
	size_t keep = d->hist_len < HIST_SAMPLES - n ? d->hist_len : HIST_SAMPLES - n;
	memmove(d->hist, d->hist + d->hist_len - keep, keep * sizeof *d->hist);
	memcpy(d->hist + keep, pcm, n * sizeof *pcm);
	d->hist_len = keep + n;
}

/* Mono samples at the codec's rate. */
static size_t decode_native(struct rg_decoder *d, const uint8_t *payload, size_t len)
{
	switch (d->p.id) {
	case RG_CODEC_PCMU:
	case RG_CODEC_PCMA:
		codec__g711_decode(d->p.id == RG_CODEC_PCMA, payload, len, d->native);
		return len;
	case RG_CODEC_G722:
		return codec__g722_decode(d->g722, payload, len, d->native);
	default:
		return codec__l16_decode(payload, len, d->p.channels, d->native);
	}
}

int rg_decoder_decode(struct rg_decoder *d, const uint8_t *payload, size_t len, int16_t *out,
		      size_t cap)
{
	if (!d || !out || (!payload && len))
		return -EINVAL;
	if (d->opus)
		return codec__opus_decode(d->opus, payload, len, out, cap);
	int n = rg_codec_payload_samples(&d->p, payload, len);
	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -ENOSPC;
	size_t frames = decode_native(d, payload, len);
	int got = (int)frames;
	if (d->rs)
		got = rg_resample(d->rs, d->native, frames, out, cap);
	else
		memcpy(out, d->native, frames * sizeof *out);
	if (got < 0)
		return got;
	remember(d, out, (size_t)got);
	d->concealed = 0;
	return got;
}

/* Q15 gain of the i-th concealed sample. */
static int32_t fade_gain(size_t i)
{
	if (i < FADE_HOLD)
		return GAIN_ONE;
	if (i >= FADE_HOLD + FADE_SAMPLES)
		return 0;
	return (int32_t)((FADE_HOLD + FADE_SAMPLES - i) * GAIN_ONE / FADE_SAMPLES);
}

static void conceal_repeat(struct rg_decoder *d, int16_t *out, size_t samples)
{
	for (size_t i = 0; i < samples; i++, d->concealed++) {
		int32_t gain = d->hist_len ? fade_gain(d->concealed) : 0;
		int32_t v = gain ? d->hist[d->concealed % d->hist_len] : 0;
		out[i] = (int16_t)(v * gain / GAIN_ONE);
	}
}

int rg_decoder_conceal(struct rg_decoder *d, const uint8_t *next, size_t next_len, int16_t *out,
		       size_t samples)
{
	if (!d || !out)
		return -EINVAL;
	d->last_fec = false;
	if (d->opus)
		return codec__opus_conceal(d->opus, next, next_len, out, samples, &d->last_fec);
	if (samples > INT32_MAX)
		return -EINVAL;
	conceal_repeat(d, out, samples);
	return (int)samples;
}

bool rg_decoder_last_fec(const struct rg_decoder *d)
{
	return d && d->last_fec;
}
