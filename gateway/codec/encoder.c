/* rg_encoder: 48 kHz mono in, one RTP payload out (see codec/codec.h).
 * Opus encodes the 48 kHz input directly; the sample codecs resample it to
 * their own rate (speexdsp, none for 48 kHz L16) and code that.
 *
 * One thread per encoder; all buffers are allocated in rg_encoder_new, and
 * only those the codec needs ('native' for the sample codecs). */
#include "codec/codec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES_10MS (RG_AUDIO_RATE / 100)

struct rg_encoder {
	struct rg_codec_params p;
	struct codec__opus_enc *opus; /* Opus only */
	struct codec__g722 *g722;     /* G.722 only */
	struct rg_resampler *rs;      /* 48 kHz -> sample_rate; NULL for Opus and 48 kHz L16 */
	size_t native_cap;
	int16_t native[]; /* sample codecs: native_cap samples at their own rate */
};

struct rg_encoder *rg_encoder_new(const struct rg_codec_params *p)
{
	if (rg_codec_params_check(p, NULL, 0) < 0)
		return NULL;
	/* 120 ms (the longest input) at the codec's rate, rounded up */
	size_t cap = p->id == RG_CODEC_OPUS ? 0
					    : ((size_t)RG_MAX_PACKET_SAMPLES * p->sample_rate + RG_AUDIO_RATE - 1) /
						      RG_AUDIO_RATE;
	struct rg_encoder *e = calloc(1, sizeof *e + cap * sizeof e->native[0]);
	if (!e)
		return NULL;
	e->p = *p;
	e->native_cap = cap;
	bool ok = true;
	if (p->id == RG_CODEC_OPUS)
		ok = (e->opus = codec__opus_enc_new(p)) != NULL;
	else if (p->id == RG_CODEC_G722)
		ok = (e->g722 = codec__g722_new(true)) != NULL;
	if (ok && p->id != RG_CODEC_OPUS && p->sample_rate != RG_AUDIO_RATE)
		ok = (e->rs = rg_resampler_new(RG_AUDIO_RATE, p->sample_rate, 1)) != NULL;
	if (!ok) {
		rg_encoder_free(e);
		return NULL;
	}
	return e;
}

void rg_encoder_free(struct rg_encoder *e)
{
	if (!e)
		return;
	codec__opus_enc_free(e->opus);
	codec__g722_free(e->g722);
	rg_resampler_free(e->rs);
	free(e);
}

static size_t encode_native(struct rg_encoder *e, size_t frames, uint8_t *out)
{
	switch (e->p.id) {
	case RG_CODEC_PCMU:
	case RG_CODEC_PCMA:
		codec__g711_encode(e->p.id == RG_CODEC_PCMA, e->native, frames, out);
		return frames;
	case RG_CODEC_G722:
		return codec__g722_encode(e->g722, e->native, frames, out);
	default:
		return codec__l16_encode(e->native, frames, e->p.channels, out);
	}
}

int rg_encoder_encode(struct rg_encoder *e, const int16_t *pcm, size_t samples, uint8_t *out,
		      size_t cap)
{
	if (!e || !pcm || !out)
		return -EINVAL;
	if (e->opus)
		return codec__opus_encode(e->opus, pcm, samples, out, cap);
	if (samples == 0 || samples % SAMPLES_10MS || samples > RG_MAX_PACKET_SAMPLES)
		return -EINVAL;
	size_t bytes = codec__bytes_per_10ms(&e->p) * (samples / SAMPLES_10MS);
	if (bytes > cap || bytes > RG_MAX_PAYLOAD)
		return -ENOSPC;
	size_t frames = samples;
	if (e->rs) {
		int n = rg_resample(e->rs, pcm, samples, e->native, e->native_cap);
		if (n < 0)
			return n;
		frames = (size_t)n;
	} else {
		memcpy(e->native, pcm, samples * sizeof *pcm);
	}
	size_t want = samples / SAMPLES_10MS * (e->p.sample_rate / 100);
	if (frames != want) /* the resampler keeps whole 10 ms blocks exact */
		return -EINVAL;
	return (int)encode_native(e, frames, out);
}
