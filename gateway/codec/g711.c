/* G.711 (ITU-T G.711, 11/1988) mu-law and A-law, written from the
 * recommendation's segment/step description; the rounding and the
 * handling of negative inputs follow the ITU-T G.191 reference tools.
 *
 * Linear values are 16-bit: G.711's 14-bit (mu-law) and 13-bit (A-law)
 * uniform codes shifted to the top of an int16_t. Both laws are eight
 * segments of sixteen steps each, the step doubling from one segment to
 * the next:
 *  - mu-law adds a bias of 33 (132 at 16 bits) to the magnitude so that
 *    segment boundaries fall on powers of two; the segment is the position
 *    of the magnitude's top bit, the step the next four bits; all bits are
 *    inverted on the line (so 0 is 0xFF, and 0x7F, "negative zero", also
 *    decodes to 0).
 *  - A-law has no bias; segment 0 and 1 share one step size; the sign bit
 *    is 1 for positive values and even bits are inverted on the line (XOR
 *    0x55), so the smallest positive value is 0xD5.
 * Negative inputs are taken in one's complement (-x - 1), as G.191 does.
 * Decoding looks up the tables below, which hold the mid-point of each
 * step (the formulas are in the comment above each table); encoding is
 * computed, a handful of shifts per sample. */
#include "codec/codec_int.h"

#define ULAW_BIAS 0x84
#define ULAW_MAX 0x7FFF /* biased magnitudes saturate here: segment 7, step 15 */

/* Index of the highest set bit of v > 0. */
static int top_bit(unsigned v)
{
	return (int)(sizeof(unsigned) * 8 - 1) - __builtin_clz(v);
}

static unsigned magnitude(int16_t x)
{
	return x < 0 ? (unsigned)(-(x + 1)) : (unsigned)x;
}

uint8_t codec__ulaw_encode(int16_t x)
{
	unsigned m = magnitude(x) + ULAW_BIAS;
	if (m > ULAW_MAX)
		m = ULAW_MAX;
	int seg = top_bit(m) - 7;
	unsigned step = (m >> (seg + 3)) & 0x0F;
	unsigned code = (x < 0 ? 0x80u : 0u) | (unsigned)seg << 4 | step;
	return (uint8_t)~code;
}

uint8_t codec__alaw_encode(int16_t x)
{
	unsigned m = magnitude(x);
	int seg = m < 0x100 ? 0 : top_bit(m) - 7;
	unsigned step = (m >> (seg ? seg + 3 : 4)) & 0x0F;
	unsigned code = (x < 0 ? 0u : 0x80u) | (unsigned)seg << 4 | step;
	return (uint8_t)(code ^ 0x55);
}

/* c = ~code; seg = c bits 6..4, step = bits 3..0;
 * value = (((step << 3) + 132) << seg) - 132, negative when c bit 7 is set. */
static const int16_t ulaw_table[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
};

/* c = code ^ 0x55; seg = c bits 6..4, step = bits 3..0;
 * value = (step << 4) + 8 in segment 0, ((step << 4) + 0x108) << (seg - 1)
 * above, positive when c bit 7 is set. */
static const int16_t alaw_table[256] = {
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
	-7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
	-2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	-344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424,
	-88, -72, -120, -104, -24, -8, -56, -40,
	-216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
	-1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
	-688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848,
	5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
	7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
	3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
	22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
	11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
	15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296,
	472, 456, 504, 488, 408, 392, 440, 424,
	88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168,
	1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
	1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592,
	944, 912, 1008, 976, 816, 784, 880, 848,
};

int16_t codec__ulaw_decode(uint8_t c)
{
	return ulaw_table[c];
}

int16_t codec__alaw_decode(uint8_t c)
{
	return alaw_table[c];
}

void codec__g711_decode(bool alaw, const uint8_t *in, size_t n, int16_t *out)
{
	const int16_t *t = alaw ? alaw_table : ulaw_table;
	for (size_t i = 0; i < n; i++)
		out[i] = t[in[i]];
}

void codec__g711_encode(bool alaw, const int16_t *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = alaw ? codec__alaw_encode(in[i]) : codec__ulaw_encode(in[i]);
}
