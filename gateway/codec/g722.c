/* G.722 over spandsp, at 64 kbit/s on 16 kHz audio (spandsp's 8 kHz
 * option is not used: the mixer resamples with speexdsp instead). The RTP
 * clock is 8000 although the audio is 16 kHz (RFC 3551 4.5.2), so one
 * payload byte is one clock tick and two samples. The only module that
 * creates spandsp G.722 states. */
#include "codec/codec_int.h"

#include <errno.h>
#include <stdlib.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#define G722_BITRATE 64000

struct codec__g722 {
	g722_encode_state_t *enc; /* exactly one of enc, dec */
	g722_decode_state_t *dec;
};

struct codec__g722 *codec__g722_new(bool encoder)
{
	struct codec__g722 *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	if (encoder)
		g->enc = g722_encode_init(NULL, G722_BITRATE, 0);
	else
		g->dec = g722_decode_init(NULL, G722_BITRATE, 0);
	if (!g->enc && !g->dec) {
		free(g);
		return NULL;
	}
	return g;
}

void codec__g722_free(struct codec__g722 *g)
{
	if (!g)
		return;
	if (g->enc)
		g722_encode_free(g->enc);
	if (g->dec)
		g722_decode_free(g->dec);
	free(g);
}

/* spandsp's init functions start over in place when given the state. */
int codec__g722_reset(struct codec__g722 *g)
{
	if (g->enc)
		return g722_encode_init(g->enc, G722_BITRATE, 0) ? 0 : -EINVAL;
	return g722_decode_init(g->dec, G722_BITRATE, 0) ? 0 : -EINVAL;
}

size_t codec__g722_decode(struct codec__g722 *g, const uint8_t *in, size_t len, int16_t *out)
{
	int n = g722_decode(g->dec, out, in, (int)len);
	return n > 0 ? (size_t)n : 0;
}

size_t codec__g722_encode(struct codec__g722 *g, const int16_t *in, size_t n16, uint8_t *out)
{
	int n = g722_encode(g->enc, out, in, (int)n16);
	return n > 0 ? (size_t)n : 0;
}
