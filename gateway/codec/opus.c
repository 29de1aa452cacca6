/* Opus (RFC 6716, RTP payload RFC 7587) over libopus. The only module that
 * creates OpusEncoder/OpusDecoder handles.
 *
 * Decoder: one 48 kHz mono OpusDecoder whatever the stream's channels
 * (libopus downmixes stereo packets). Loss is concealed in one of two ways:
 *  - FEC: the packet after the loss may carry LBRR data, a low bit rate copy
 *    of the audio before it (SILK and hybrid modes only). opus_decode with
 *    decode_fec=1 and that packet rebuilds the last frame's worth of the
 *    loss and runs the PLC for any longer gap in front of it.
 *  - PLC: opus_decode(NULL), which extrapolates from the decoder state.
 * libopus silently falls back to the PLC when FEC cannot apply (a CELT
 * packet, a CELT packet decoded last, a gap shorter than the frame). We
 * mirror those conditions so that the caller's FEC count is honest, and
 * read the LBRR flag ourselves: libopus 1.3 has no opus_packet_has_lbrr.
 *
 * Encoder: OPUS_APPLICATION_VOIP at the configured bit rate; loss_perc > 0
 * turns on in-band FEC and tells the encoder how much loss to plan for.
 * A stereo encoder is fed the mono mix in both channels (the stereo
 * predictor codes the empty side channel almost for free). */
/* Encoder complexity: 5 of 10 keeps voice at 32 kb/s transparent for a
 * fraction of the default's (10) CPU; mixes encode every 20 ms. */
#define RG_OPUS_COMPLEXITY 5

#include "codec/codec_int.h"

#include <errno.h>
#include <opus.h>
#include <stdlib.h>

#define OPUS_MAX_FRAMES 48 /* RFC 6716 3.2.5: at most 48 frames per packet */
#define OPUS_PLC_QUANTUM 120 /* 2.5 ms: the granularity of PLC and FEC decoding */
#define OPUS_ENC_MAX_SAMPLES 2880 /* 60 ms, the longest frame we encode */

struct codec__opus_dec {
	OpusDecoder *st;
	bool last_celt; /* the decoder's mode is CELT-only: FEC cannot follow */
};

struct codec__opus_enc {
	OpusEncoder *st;
	unsigned channels;
	int16_t stereo[]; /* stereo encoders only: 2 * OPUS_ENC_MAX_SAMPLES */
};

/* TOC (RFC 6716 3.1): config in the top 5 bits; 0..11 SILK, 12..15
 * hybrid, 16..31 CELT-only. */
static bool toc_celt(uint8_t toc)
{
	return (toc >> 3) >= 16;
}

bool rg_opus_is_dtx(const uint8_t *payload, size_t len)
{
	(void)payload;
	return len <= 2;
}

int codec__opus_payload_samples(const uint8_t *payload, size_t len)
{
	const unsigned char *frames[OPUS_MAX_FRAMES];
	opus_int16 sizes[OPUS_MAX_FRAMES];
	if (!payload || len == 0 || len > INT32_MAX)
		return -EBADMSG;
	/* opus_packet_parse checks the framing (codes 0..3, lengths, padding)
	 * and the 120 ms limit; the frames themselves are not looked at. */
	int n = opus_packet_parse(payload, (opus_int32)len, NULL, frames, sizes, NULL);
	if (n <= 0)
		return -EBADMSG;
	return n * opus_packet_get_samples_per_frame(payload, RG_AUDIO_RATE);
}

/* RFC 6716 4.2.3-4.2.4: a SILK (or hybrid) frame starts with, per coded
 * channel, one VAD flag per 20 ms SILK frame and then the LBRR flag. They
 * are coded at probability 1/2, so they are the leading bits of the first
 * frame's first byte: mid channel VAD(n) LBRR, then side VAD(n) LBRR. */
bool codec__opus_has_fec(const uint8_t *payload, size_t len)
{
	const unsigned char *frames[OPUS_MAX_FRAMES];
	opus_int16 sizes[OPUS_MAX_FRAMES];
	if (!payload || len == 0 || len > INT32_MAX || toc_celt(payload[0]))
		return false;
	/* libopus runs the PLC for frames of 0 or 1 byte (DTX) */
	if (opus_packet_parse(payload, (opus_int32)len, NULL, frames, sizes, NULL) <= 0 ||
	    sizes[0] <= 1)
		return false;
	int frame = opus_packet_get_samples_per_frame(payload, RG_AUDIO_RATE);
	int silk_frames = frame > 960 ? frame / 960 : 1;
	uint8_t b = frames[0][0];
	bool lbrr = (b >> (7 - silk_frames)) & 1;
	if (opus_packet_get_nb_channels(payload) == 2)
		lbrr = lbrr || ((b >> (6 - 2 * silk_frames)) & 1);
	return lbrr;
}

struct codec__opus_dec *codec__opus_dec_new(void)
{
	struct codec__opus_dec *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	int err = 0;
	d->st = opus_decoder_create(RG_AUDIO_RATE, 1, &err);
	if (!d->st || err != OPUS_OK) {
		free(d);
		return NULL;
	}
	return d;
}

int codec__opus_dec_reset(struct codec__opus_dec *d)
{
	d->last_celt = false;
	return opus_decoder_ctl(d->st, OPUS_RESET_STATE) == OPUS_OK ? 0 : -EINVAL;
}

void codec__opus_dec_free(struct codec__opus_dec *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->st);
	free(d);
}

int codec__opus_decode(struct codec__opus_dec *d, const uint8_t *payload, size_t len,
		       int16_t *out, size_t cap)
{
	int n = codec__opus_payload_samples(payload, len);
	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -ENOSPC;
	int r = opus_decode(d->st, payload, (opus_int32)len, out, n, 0);
	if (r < 0)
		return r == OPUS_BUFFER_TOO_SMALL ? -ENOSPC : -EBADMSG;
	d->last_celt = toc_celt(payload[0]);
	return r;
}

/* Whether opus_decode(next, decode_fec=1) for 'samples' really uses FEC:
 * libopus's own conditions plus the LBRR flag. */
static bool fec_usable(const struct codec__opus_dec *d, const uint8_t *next, size_t next_len,
		       size_t samples)
{
	if (!next || d->last_celt || !codec__opus_has_fec(next, next_len))
		return false;
	return samples >= (size_t)opus_packet_get_samples_per_frame(next, RG_AUDIO_RATE);
}

int codec__opus_conceal(struct codec__opus_dec *d, const uint8_t *next, size_t next_len,
			int16_t *out, size_t samples, bool *fec)
{
	*fec = false;
	if (samples == 0 || samples % OPUS_PLC_QUANTUM || samples > INT32_MAX)
		return -EINVAL;
	int r;
	if (fec_usable(d, next, next_len, samples)) {
		r = opus_decode(d->st, next, (opus_int32)next_len, out, (int)samples, 1);
		*fec = r > 0;
		if (r > 0)
			d->last_celt = false;
	} else {
		r = opus_decode(d->st, NULL, 0, out, (int)samples, 0);
	}
	return r < 0 ? -EBADMSG : r;
}

struct codec__opus_enc *codec__opus_enc_new(const struct rg_codec_params *p)
{
	size_t stereo = p->channels == 2 ? 2 * OPUS_ENC_MAX_SAMPLES : 0;
	struct codec__opus_enc *e = calloc(1, sizeof *e + stereo * sizeof e->stereo[0]);
	if (!e)
		return NULL;
	int err = 0;
	e->channels = p->channels;
	e->st = opus_encoder_create(RG_AUDIO_RATE, (int)p->channels, OPUS_APPLICATION_VOIP, &err);
	if (!e->st || err != OPUS_OK) {
		free(e);
		return NULL;
	}
	opus_int32 bitrate = p->bitrate ? (opus_int32)p->bitrate : p->channels == 2 ? 64000 : 32000;
	if (opus_encoder_ctl(e->st, OPUS_SET_BITRATE(bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_INBAND_FEC(p->loss_perc > 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC((int)p->loss_perc)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_COMPLEXITY(RG_OPUS_COMPLEXITY)) != OPUS_OK) {
		codec__opus_enc_free(e);
		return NULL;
	}
	return e;
}

void codec__opus_enc_free(struct codec__opus_enc *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->st);
	free(e);
}

int codec__opus_encode(struct codec__opus_enc *e, const int16_t *pcm, size_t samples,
		       uint8_t *out, size_t cap)
{
	if (samples != 480 && samples != 960 && samples != 1920 && samples != 2880)
		return -EINVAL;
	if (cap == 0)
		return -ENOSPC;
	if (cap > RG_MAX_PAYLOAD)
		cap = RG_MAX_PAYLOAD;
	const int16_t *in = pcm;
	if (e->channels == 2) {
		for (size_t i = 0; i < samples; i++)
			e->stereo[2 * i] = e->stereo[2 * i + 1] = pcm[i];
		in = e->stereo;
	}
	int r = opus_encode(e->st, in, (int)samples, out, (opus_int32)cap);
	if (r == OPUS_BUFFER_TOO_SMALL)
		return -ENOSPC;
	return r < 0 ? -EINVAL : r;
}
