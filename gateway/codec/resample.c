/* Sample rate conversion over the speexdsp resampler (the only module that
 * creates SpeexResamplerState handles), quality 3: the VoIP setting, about
 * 3 ms of delay between 8 kHz and 48 kHz and a stop band well below what
 * G.711 can carry anyway.
 *
 * The resampler is a stream: it keeps the filter history between calls,
 * so one object serves one direction of one stream. For blocks that are a
 * multiple of 10 ms at both rates (what the decoders and encoders feed it)
 * it returns exactly in_frames * out_rate / in_rate frames per call. */
#include "codec/codec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <speex/speex_resampler.h>

#define RESAMPLE_QUALITY 3

struct rg_resampler {
	SpeexResamplerState *st;
	unsigned in_rate, out_rate, channels;
};

struct rg_resampler *rg_resampler_new(unsigned in_rate, unsigned out_rate, unsigned channels)
{
	if (!in_rate || !out_rate || (channels != 1 && channels != 2))
		return NULL;
	struct rg_resampler *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	int err = 0;
	r->st = speex_resampler_init(channels, in_rate, out_rate, RESAMPLE_QUALITY, &err);
	if (!r->st || err != RESAMPLER_ERR_SUCCESS) {
		free(r);
		return NULL;
	}
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	r->channels = channels;
	return r;
}

void rg_resampler_free(struct rg_resampler *r)
{
	if (!r)
		return;
	speex_resampler_destroy(r->st);
	free(r);
}

void rg_resampler_reset(struct rg_resampler *r)
{
	if (r)
		speex_resampler_reset_mem(r->st);
}

int rg_resample(struct rg_resampler *r, const int16_t *in, size_t in_frames, int16_t *out,
		size_t out_cap)
{
	if (in_frames > INT_MAX / 2)
		return -EINVAL;
	if (out_cap > INT_MAX / 2)
		out_cap = INT_MAX / 2;
	/* the most a call can produce: the exact ratio rounded up */
	uint64_t need = ((uint64_t)in_frames * r->out_rate + r->in_rate - 1) / r->in_rate;
	if (need > out_cap)
		return -ENOSPC;
	spx_uint32_t in_len = (spx_uint32_t)in_frames, out_len = (spx_uint32_t)out_cap;
	int err = r->channels == 1
			  ? speex_resampler_process_int(r->st, 0, in, &in_len, out, &out_len)
			  : speex_resampler_process_interleaved_int(r->st, in, &in_len, out,
								    &out_len);
	if (err != RESAMPLER_ERR_SUCCESS)
		return -EINVAL;
	if (in_len != in_frames)
		return -ENOSPC;
	return (int)out_len;
}
