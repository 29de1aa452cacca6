/* RFC 6464 audio level: the RMS of a frame in dB relative to the overload
 * point, 0 dBov being the RMS of a full-scale square wave (32767 here), sent
 * negated and clamped to 0..127. A full-scale sine is 3, silence 127. */
#include "codec/codec.h"

#include <math.h>

#define LEVEL_MIN 127
#define FULL_SCALE 32767.0

uint8_t rg_audio_level(const int16_t *pcm, size_t n)
{
	if (!pcm || n == 0)
		return LEVEL_MIN;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)((int32_t)pcm[i] * pcm[i]);
	if (sum == 0)
		return LEVEL_MIN;
	double mean = (double)sum / (double)n;
	double dbov = 10.0 * log10(mean / (FULL_SCALE * FULL_SCALE));
	if (dbov >= 0.0)
		return 0;
	long level = lround(-dbov);
	return level > LEVEL_MIN ? LEVEL_MIN : (uint8_t)level;
}
