/* libFuzzer target for sip/sdp_av.
 *
 * The input is parsed as an offer. A failure must come with a message and
 * one of the documented codes. An accepted offer must hold what the parser
 * promises (an address, a non-zero port, known codecs only); the answer
 * built for it must parse back to the chosen codec, our port and key, and
 * the mirrored direction. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp_av.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static const enum rg_codec_id prefs[] = { RG_CODEC_OPUS, RG_CODEC_G722, RG_CODEC_PCMU, RG_CODEC_PCMA };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_sdp_av o;
	char err[256];
	int rc = rg_sdp_av_parse(&o, (const char *)data, size, err, sizeof err);
	if (rc) {
		CHECK(rc == -EINVAL || rc == -ENOTSUP);
		CHECK(err[0]);
		return 0;
	}
	CHECK(o.addr[0] && o.port && o.rtcp_port);
	CHECK(o.n_codecs <= RG_SDP_AV_MAX_CODECS && o.n_te <= RG_SDP_AV_MAX_TE);
	for (unsigned i = 0; i < o.n_codecs; i++)
		CHECK(o.codecs[i].id < RG_CODEC_L16 && o.codecs[i].pt < 128);
	struct rg_sdp_av_codec c;
	struct rg_sdp_av_te te;
	rc = rg_sdp_av_choose(&o, prefs, 4, &c, &te);
	if (rc) {
		CHECK(rc == -ENOENT && o.n_codecs == 0);
		return 0;
	}
	uint8_t key[RG_SDP_AV_KEY_LEN];
	memset(key, 0x5a, sizeof key);
	struct rg_sdp_av_local l = { .addr = o.ipv6 ? "::1" : "127.0.0.1", .port = 20000, .sess_id = 1,
				     .sess_version = 1, .codecs = &c, .n_codecs = 1, .te = &te,
				     .n_te = te.pt ? 1 : 0, .ptime = 20, .dir = rg_sdp_av_dir_answer(o.dir),
				     .srtp = o.srtp, .crypto_tag = o.crypto_tag, .key = key, .offer = &o };
	char buf[4096];
	int n = rg_sdp_av_build(buf, sizeof buf, &l);
	CHECK(n > 0);
	struct rg_sdp_av b;
	rc = rg_sdp_av_parse(&b, buf, (size_t)n, err, sizeof err);
	CHECK(rc == 0);
	CHECK(b.port == 20000 && b.n_codecs == 1 && b.codecs[0].id == c.id && b.codecs[0].pt == c.pt);
	CHECK(b.dir == l.dir && b.srtp == o.srtp && b.n_other == o.n_other && b.audio_index == o.audio_index);
	CHECK(!o.srtp || !memcmp(b.key, key, sizeof key));
	return 0;
}
