/* libFuzzer target for codec/ payload handling: the first byte picks the
 * codec (and for L16 its rate and channels), the rest is one RTP payload.
 *
 * rg_codec_payload_samples must agree with rg_decoder_decode (same error,
 * or the same number of samples; 44.1 kHz L16 may come one short), a
 * buffer one sample too small must give -ENOSPC, and concealment with the
 * payload as 'next' must fill exactly what was asked whatever it holds.
 * For Opus, the DTX and FEC readers must not look past the payload. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "codec/codec.h"
#include "codec/codec_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static const unsigned l16_rates[] = {8000, 16000, 32000, 44100, 48000};

static void pick(struct rg_codec_params *p, uint8_t sel)
{
	enum rg_codec_id id = (enum rg_codec_id)(sel % RG_CODEC_COUNT);
	rg_codec_params_default(p, id);
	if (id == RG_CODEC_OPUS) {
		p->channels = (sel >> 3) & 1 ? 2 : 1;
	} else if (id == RG_CODEC_L16) {
		p->clock_rate = p->sample_rate = l16_rates[(sel >> 3) % 5];
		p->channels = p->sample_rate <= 32000 && (sel >> 6) & 1 ? 2 : 1;
	}
}

static void check_decode(const struct rg_codec_params *p, const uint8_t *pl, size_t len)
{
	static int16_t out[RG_MAX_PACKET_SAMPLES];
	struct rg_decoder *d = rg_decoder_new(p);
	CHECK(d);
	int n = rg_codec_payload_samples(p, pl, len);
	CHECK(n <= RG_MAX_PACKET_SAMPLES);
	if (n > 0)
		CHECK(rg_decoder_decode(d, pl, len, out, (size_t)n - 1) == -ENOSPC);
	int got = rg_decoder_decode(d, pl, len, out, RG_MAX_PACKET_SAMPLES);
	if (n < 0 || p->id != RG_CODEC_OPUS)
		CHECK(got == n || (p->sample_rate == 44100 && got == n - 1));
	else
		CHECK(got == n || got == -EBADMSG); /* framing fine, frame data not */
	CHECK(rg_decoder_conceal(d, pl, len, out, RG_FRAME_SAMPLES) == RG_FRAME_SAMPLES);
	CHECK(rg_decoder_conceal(d, NULL, 0, out, 120) == 120);
	rg_decoder_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct rg_codec_params p;
	pick(&p, data[0]);
	CHECK(rg_codec_params_check(&p, NULL, 0) == 0);
	const uint8_t *pl = data + 1;
	size_t len = size - 1;
	if (p.id == RG_CODEC_OPUS) {
		CHECK(rg_opus_is_dtx(pl, len) == (len <= 2));
		if (codec__opus_has_fec(pl, len))
			CHECK(rg_codec_payload_samples(&p, pl, len) > 0);
	}
	check_decode(&p, pl, len);
	return 0;
}
