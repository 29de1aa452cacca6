/* Codec descriptions: names, default payload types, rates, which parameter
 * combinations work and how long a payload lasts. Pure functions, no
 * state; see codec/codec.h for the contract.
 *
 * The sample codecs (G.711, G.722, L16) are constant bit rate, so their
 * duration follows from the payload length: G.711 one byte per 8 kHz
 * sample, G.722 one byte per 8 kHz clock tick (two 16 kHz samples), L16
 * two bytes per sample and channel. Opus durations come from the TOC and
 * frame count (RFC 6716 section 3). */
#include "codec/codec_int.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

static const char *const codec_names[RG_CODEC_COUNT] = {
	[RG_CODEC_OPUS] = "opus", [RG_CODEC_PCMU] = "pcmu", [RG_CODEC_PCMA] = "pcma",
	[RG_CODEC_G722] = "g722", [RG_CODEC_L16] = "l16",
};

static const uint8_t codec_pts[RG_CODEC_COUNT] = {
	[RG_CODEC_OPUS] = 111, [RG_CODEC_PCMU] = 0, [RG_CODEC_PCMA] = 8,
	[RG_CODEC_G722] = 9, [RG_CODEC_L16] = 96,
};

static const unsigned l16_rates[] = {8000, 16000, 32000, 44100, 48000};

#define OPUS_BITRATE_MIN 6000
#define OPUS_BITRATE_MAX 510000

static bool id_ok(enum rg_codec_id id)
{
	return (unsigned)id < RG_CODEC_COUNT;
}

const char *rg_codec_name(enum rg_codec_id id)
{
	return id_ok(id) ? codec_names[id] : "unknown";
}

int rg_codec_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int i = 0; i < RG_CODEC_COUNT; i++)
		if (strcasecmp(name, codec_names[i]) == 0)
			return i;
	return -EINVAL;
}

uint8_t rg_codec_default_pt(enum rg_codec_id id)
{
	return id_ok(id) ? codec_pts[id] : 0xFF;
}

void rg_codec_params_default(struct rg_codec_params *p, enum rg_codec_id id)
{
	*p = (struct rg_codec_params){.id = id, .channels = 1};
	switch (id) {
	case RG_CODEC_OPUS:
		p->clock_rate = p->sample_rate = 48000;
		p->loss_perc = 5;
		break;
	case RG_CODEC_PCMU:
	case RG_CODEC_PCMA:
		p->clock_rate = p->sample_rate = 8000;
		break;
	case RG_CODEC_G722:
		p->clock_rate = 8000;
		p->sample_rate = 16000;
		break;
	case RG_CODEC_L16:
		p->clock_rate = p->sample_rate = 16000;
		break;
	default:
		break;
	}
}

/* See codec_int.h. 44.1 kHz L16 is 441 frames per 10 ms. */
size_t codec__bytes_per_10ms(const struct rg_codec_params *p)
{
	switch (p->id) {
	case RG_CODEC_PCMU:
	case RG_CODEC_PCMA:
	case RG_CODEC_G722:
		return 80;
	case RG_CODEC_L16:
		return (size_t)p->sample_rate / 100 * 2 * p->channels;
	default:
		return 0;
	}
}

static bool l16_rate_ok(unsigned rate)
{
	for (size_t i = 0; i < sizeof l16_rates / sizeof l16_rates[0]; i++)
		if (l16_rates[i] == rate)
			return true;
	return false;
}

static int check_fail(char *msg, size_t msglen, const char *what)
{
	if (msg && msglen)
		snprintf(msg, msglen, "%s", what);
	return -EINVAL;
}

static const char *check_opus(const struct rg_codec_params *p)
{
	if (p->clock_rate != 48000 || p->sample_rate != 48000)
		return "opus runs at 48000 Hz (clock and sample rate)";
	if (p->channels != 1 && p->channels != 2)
		return "opus has 1 or 2 channels";
	if (p->bitrate && (p->bitrate < OPUS_BITRATE_MIN || p->bitrate > OPUS_BITRATE_MAX))
		return "opus bitrate must be 6000..510000 bit/s (or 0 for the default)";
	if (p->loss_perc > 100)
		return "loss_perc must be 0..100";
	return NULL;
}

static const char *check_sample_codec(const struct rg_codec_params *p)
{
	switch (p->id) {
	case RG_CODEC_PCMU:
	case RG_CODEC_PCMA:
		if (p->clock_rate != 8000 || p->sample_rate != 8000)
			return "G.711 runs at 8000 Hz (clock and sample rate)";
		return p->channels == 1 ? NULL : "G.711 is mono";
	case RG_CODEC_G722:
		if (p->clock_rate != 8000 || p->sample_rate != 16000)
			return "G.722 has an 8000 Hz RTP clock and 16000 Hz audio";
		return p->channels == 1 ? NULL : "G.722 is mono";
	default:
		break;
	}
	if (!l16_rate_ok(p->sample_rate))
		return "l16 rate must be 8000, 16000, 32000, 44100 or 48000";
	if (p->clock_rate != p->sample_rate)
		return "l16 clock rate must equal its sample rate";
	if (p->channels != 1 && p->channels != 2)
		return "l16 has 1 or 2 channels";
	if (codec__bytes_per_10ms(p) > RG_MAX_PAYLOAD)
		return "l16 at this rate and channel count does not fit a payload even at 10 ms";
	return NULL;
}

int rg_codec_params_check(const struct rg_codec_params *p, char *msg, size_t msglen)
{
	if (!p)
		return check_fail(msg, msglen, "no codec parameters");
	if (!id_ok(p->id))
		return check_fail(msg, msglen, "unknown codec");
	const char *err = p->id == RG_CODEC_OPUS ? check_opus(p) : check_sample_codec(p);
	if (err)
		return check_fail(msg, msglen, err);
	if (msg && msglen)
		msg[0] = '\0';
	return 0;
}

bool rg_codec_ptime_ok(const struct rg_codec_params *p, unsigned ptime_ms)
{
	if (!p || !id_ok(p->id))
		return false;
	if (p->id == RG_CODEC_OPUS)
		return ptime_ms == 10 || ptime_ms == 20 || ptime_ms == 40 || ptime_ms == 60;
	if (ptime_ms == 0 || ptime_ms % 10 || ptime_ms > 60)
		return false;
	size_t per10 = codec__bytes_per_10ms(p);
	return per10 && per10 * (ptime_ms / 10) <= RG_MAX_PAYLOAD;
}

static int sample_codec_samples(const struct rg_codec_params *p, size_t len)
{
	size_t per10 = codec__bytes_per_10ms(p);
	if (!per10)
		return -EINVAL;
	size_t samples;
	if (len > RG_MAX_PACKET_SAMPLES * 4) /* more bytes than 120 ms of any of them */
		return -EBADMSG;
	if (p->id == RG_CODEC_L16) {
		size_t frame = 2 * (size_t)p->channels;
		if (len % frame)
			return -EBADMSG;
		/* rounded up: the resampler writes at most this many */
		samples = (len / frame * RG_AUDIO_RATE + p->sample_rate - 1) / p->sample_rate;
	} else {
		samples = len * (RG_AUDIO_RATE / 8000);
	}
	if (samples == 0 || samples > RG_MAX_PACKET_SAMPLES)
		return -EBADMSG;
	return (int)samples;
}

int rg_codec_payload_samples(const struct rg_codec_params *p, const uint8_t *payload, size_t len)
{
	if (!p || !id_ok(p->id) || (!payload && len))
		return -EINVAL;
	if (p->id == RG_CODEC_OPUS)
		return codec__opus_payload_samples(payload, len);
	return sample_codec_samples(p, len);
}

uint32_t rg_codec_ts_units(const struct rg_codec_params *p, uint32_t samples48k)
{
	return (uint32_t)((uint64_t)samples48k * p->clock_rate / RG_AUDIO_RATE);
}
