/* codec: the audio codecs of virtual participants and mixes, on the media
 * workers.
 *
 * The mixer works in one internal format: 48 kHz, mono, signed 16-bit,
 * 20 ms frames (RG_FRAME_SAMPLES). Decoders turn one RTP payload of any
 * codec into that format (resampling with speexdsp where the codec's rate
 * differs); encoders take it and produce one RTP payload. Stereo Opus is
 * decoded to mono (downmix) and encoded from mono (both channels equal).
 *
 *   codec.c    names, default payload types, RTP clock/sample rates, params
 *   opus.c     Opus (libopus): FEC, PLC, DTX detection without decoding
 *   g711.c     G.711 mu-law and A-law (own tables, ITU-T G.711)
 *   g722.c     G.722 (spandsp), 16 kHz audio on an 8000 RTP clock (RFC 3551)
 *   l16.c      L16, network byte order, at its clock rate
 *   resample.c speexdsp resampler wrapper
 *   level.c    RFC 6464 level (-dBov) of a PCM frame
 *   decoder.c  rg_decoder: dispatch per codec, resampling, concealment
 *   encoder.c  rg_encoder: dispatch per codec, resampling
 *   codec_int.h the per-codec functions these two call (module-private)
 *
 * Objects are used by one thread (the worker that owns them); nothing here
 * allocates per call after *_new. Errors: negative errno (-EINVAL bad
 * argument, -EBADMSG a payload that does not decode, -ENOSPC output too
 * small). */
#ifndef RG_CODEC_CODEC_H
#define RG_CODEC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_AUDIO_RATE 48000
#define RG_FRAME_MS 20
#define RG_FRAME_SAMPLES 960      /* 20 ms at 48 kHz */
#define RG_MAX_PACKET_SAMPLES 5760 /* 120 ms at 48 kHz: the longest payload decoded */
#define RG_MAX_PAYLOAD 1400        /* the largest payload an encoder writes */

enum rg_codec_id {
	RG_CODEC_OPUS = 0,
	RG_CODEC_PCMU,
	RG_CODEC_PCMA,
	RG_CODEC_G722,
	RG_CODEC_L16,
	RG_CODEC_COUNT
};

struct rg_codec_params {
	enum rg_codec_id id;
	unsigned clock_rate;  /* RTP clock: opus 48000, pcmu/pcma/g722 8000, l16 = sample_rate */
	unsigned sample_rate; /* audio: opus 48000, pcmu/pcma 8000, g722 16000, l16 8000..48000 */
	unsigned channels;    /* 1; 2 for opus and l16 */
	unsigned bitrate;     /* opus encoder, bit/s (6000..510000); 0 = 32000 mono / 64000 stereo */
	unsigned loss_perc;   /* opus encoder: expected loss %, enables in-band FEC when > 0 */
};

/* "opus", "pcmu", "pcma", "g722", "l16" (case-insensitive); "unknown" for
 * an id out of range. */
const char *rg_codec_name(enum rg_codec_id id);
int rg_codec_from_name(const char *name); /* an enum rg_codec_id, or -EINVAL */
/* Static types of RFC 3551 (pcmu 0, pcma 8, g722 9), dynamic otherwise
 * (opus 111, l16 96); 0xFF for an id out of range. */
uint8_t rg_codec_default_pt(enum rg_codec_id id);
/* Fills the defaults for id: rates above (l16 16000), mono, opus 32 kb/s
 * (bitrate 0, so 64 kb/s if channels is then set to 2) with FEC at 5 %. */
void rg_codec_params_default(struct rg_codec_params *p, enum rg_codec_id id);
/* 0 or -EINVAL when the combination cannot work (l16 rate not one of 8000,
 * 16000, 32000, 44100, 48000; channels; ...); msg names the problem. L16
 * whose 10 ms exceed RG_MAX_PAYLOAD (44100 and 48000 stereo) is refused:
 * no ptime would fit. */
int rg_codec_params_check(const struct rg_codec_params *p, char *msg, size_t msglen);
/* Whether a payload of ptime_ms fits RG_MAX_PAYLOAD and the codec can be
 * packetized at that ptime (opus: 10, 20, 40, 60; others: multiples of 10
 * up to 60). */
bool rg_codec_ptime_ok(const struct rg_codec_params *p, unsigned ptime_ms);

/* Duration of one payload in 48 kHz samples, without decoding it (opus:
 * from its TOC; sample codecs: from its length, rounded up for 44.1 kHz).
 * -EBADMSG when the payload is malformed: empty, bad Opus framing, L16 not
 * whole frames, or longer than RG_MAX_PACKET_SAMPLES. */
int rg_codec_payload_samples(const struct rg_codec_params *p, const uint8_t *payload, size_t len);
/* RTP timestamp units for n samples at 48 kHz. */
uint32_t rg_codec_ts_units(const struct rg_codec_params *p, uint32_t samples48k);

/* Opus DTX / comfort-noise packets (payload of 0..2 bytes): silence that
 * needs no decoding to be known as such. */
bool rg_opus_is_dtx(const uint8_t *payload, size_t len);

struct rg_decoder;
struct rg_decoder *rg_decoder_new(const struct rg_codec_params *p);
void rg_decoder_free(struct rg_decoder *d);
/* Forgets the stream decoded so far (a decoder reused for another stream):
 * as new from rg_decoder_new. 0 or -EINVAL. */
int rg_decoder_reset(struct rg_decoder *d);
/* Decodes one payload into 48 kHz mono; returns the samples written
 * (<= RG_MAX_PACKET_SAMPLES). */
int rg_decoder_decode(struct rg_decoder *d, const uint8_t *payload, size_t len, int16_t *out,
		      size_t cap);
/* Conceals 'samples' (48 kHz) of lost audio: Opus recovers it from the
 * in-band FEC of 'next' (the packet right after the loss) when given and
 * it carries FEC, else runs its PLC; the other codecs repeat the last
 * 10 ms (full level for 10 ms, then a linear fade over 50 ms, G.711
 * appendix I style) and then go silent. Returns samples written. For Opus
 * 'samples' must be a multiple of 2.5 ms (120), else -EINVAL; FEC covers
 * the last frame of 'next''s duration and the PLC fills any gap before
 * it. */
int rg_decoder_conceal(struct rg_decoder *d, const uint8_t *next, size_t next_len, int16_t *out,
		       size_t samples);
/* Whether the last conceal call used FEC (counted by callers). */
bool rg_decoder_last_fec(const struct rg_decoder *d);

struct rg_encoder;
struct rg_encoder *rg_encoder_new(const struct rg_codec_params *p);
void rg_encoder_free(struct rg_encoder *e);
/* Encodes 'samples' of 48 kHz mono (10, 20, 40 or 60 ms; sample codecs
 * any multiple of 10 ms up to RG_MAX_PACKET_SAMPLES) into one payload;
 * returns its length, -EINVAL for another duration, -ENOSPC when the
 * payload would exceed cap or RG_MAX_PAYLOAD. The RTP timestamp advances
 * by rg_codec_ts_units(p, samples). */
int rg_encoder_encode(struct rg_encoder *e, const int16_t *pcm, size_t samples, uint8_t *out,
		      size_t cap);

/* speexdsp resampler, mono or interleaved stereo, quality 3 (VoIP). */
struct rg_resampler;
struct rg_resampler *rg_resampler_new(unsigned in_rate, unsigned out_rate, unsigned channels);
void rg_resampler_free(struct rg_resampler *r);
/* Forgets the filter history (a new stream). */
void rg_resampler_reset(struct rg_resampler *r);
/* Resamples all of in (frames per channel); returns frames written or
 * -ENOSPC (out_cap below ceil(in_frames * out_rate / in_rate)). Blocks of
 * whole 10 ms give exactly in_frames * out_rate / in_rate frames. */
int rg_resample(struct rg_resampler *r, const int16_t *in, size_t in_frames, int16_t *out,
		size_t out_cap);

/* RFC 6464 level of a frame: -dBov of its RMS, where 0 dBov is the RMS of
 * a full-scale square wave; 0 (loudest) .. 127 (silence or quieter). */
uint8_t rg_audio_level(const int16_t *pcm, size_t n);

#endif
