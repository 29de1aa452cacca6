/* codec module internals: the per-codec halves that decoder.c and
 * encoder.c dispatch to. Not for other modules (they use codec.h); the
 * codec unit test includes it to check G.711 code words one by one.
 *
 * Native-rate functions work on mono samples at the codec's own audio rate
 * (p->sample_rate); decoder.c and encoder.c resample to and from 48 kHz.
 * Callers check lengths and capacities before calling, so these return
 * counts and never fail, except where a negative errno is stated. */
#ifndef RG_CODEC_CODEC_INT_H
#define RG_CODEC_CODEC_INT_H

#include "codec/codec.h"

#define CODEC__MS_SAMPLES(rate, ms) ((size_t)(rate) / 1000 * (ms))

/* codec.c: payload bytes of 10 ms of a sample codec (0 for Opus or bad
 * params). */
size_t codec__bytes_per_10ms(const struct rg_codec_params *p);

/* opus.c. The decoder always runs at 48 kHz mono; the encoder has
 * p->channels channels and is fed mono. */
struct codec__opus_dec;
struct codec__opus_dec *codec__opus_dec_new(void);
void codec__opus_dec_free(struct codec__opus_dec *d);
int codec__opus_dec_reset(struct codec__opus_dec *d);
int codec__opus_decode(struct codec__opus_dec *d, const uint8_t *payload, size_t len,
		       int16_t *out, size_t cap);
/* samples must be a multiple of 2.5 ms (120); *fec tells whether the
 * in-band FEC of next was used. */
int codec__opus_conceal(struct codec__opus_dec *d, const uint8_t *next, size_t next_len,
			int16_t *out, size_t samples, bool *fec);
int codec__opus_payload_samples(const uint8_t *payload, size_t len);
/* Whether the first frame of a SILK or hybrid packet carries LBRR (in-band
 * FEC) data for the audio before it. */
bool codec__opus_has_fec(const uint8_t *payload, size_t len);

struct codec__opus_enc;
struct codec__opus_enc *codec__opus_enc_new(const struct rg_codec_params *p);
void codec__opus_enc_free(struct codec__opus_enc *e);
int codec__opus_encode(struct codec__opus_enc *e, const int16_t *pcm, size_t samples,
		       uint8_t *out, size_t cap);

/* g711.c: one code word per 8 kHz sample. */
uint8_t codec__ulaw_encode(int16_t x);
int16_t codec__ulaw_decode(uint8_t c);
uint8_t codec__alaw_encode(int16_t x);
int16_t codec__alaw_decode(uint8_t c);
void codec__g711_decode(bool alaw, const uint8_t *in, size_t n, int16_t *out);
void codec__g711_encode(bool alaw, const int16_t *in, size_t n, uint8_t *out);

/* g722.c: 64 kbit/s, one byte per two 16 kHz samples; n16 is even. */
struct codec__g722;
struct codec__g722 *codec__g722_new(bool encoder);
void codec__g722_free(struct codec__g722 *g);
int codec__g722_reset(struct codec__g722 *g);
size_t codec__g722_decode(struct codec__g722 *g, const uint8_t *in, size_t len, int16_t *out);
size_t codec__g722_encode(struct codec__g722 *g, const int16_t *in, size_t n16, uint8_t *out);

/* l16.c: big-endian samples; stereo is downmixed on decode and written as
 * two equal channels on encode. */
size_t codec__l16_decode(const uint8_t *in, size_t len, unsigned channels, int16_t *out);
size_t codec__l16_encode(const int16_t *in, size_t frames, unsigned channels, uint8_t *out);

#endif
