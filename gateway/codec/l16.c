/* L16 (RFC 3551 4.5.11): signed 16-bit samples in network byte order,
 * channels interleaved, at the stream's own rate. Decoding mixes stereo
 * down to mono (the mean of both channels); encoding writes the mono
 * input to both. */
#include "codec/codec_int.h"

static int16_t rd16(const uint8_t *p)
{
	return (int16_t)(uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, int16_t v)
{
	p[0] = (uint8_t)((uint16_t)v >> 8);
	p[1] = (uint8_t)v;
}

size_t codec__l16_decode(const uint8_t *in, size_t len, unsigned channels, int16_t *out)
{
	size_t frames = len / (2 * (size_t)channels);
	for (size_t i = 0; i < frames; i++) {
		if (channels == 2) {
			int sum = rd16(in + 4 * i) + rd16(in + 4 * i + 2);
			out[i] = (int16_t)(sum / 2);
		} else {
			out[i] = rd16(in + 2 * i);
		}
	}
	return frames;
}

size_t codec__l16_encode(const int16_t *in, size_t frames, unsigned channels, uint8_t *out)
{
	for (size_t i = 0; i < frames; i++)
		for (unsigned c = 0; c < channels; c++)
			wr16(out + 2 * (i * channels + c), in[i]);
	return frames * channels * 2;
}
