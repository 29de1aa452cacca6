/* libFuzzer target for webrtc/sdp.
 *
 * The input is parsed as an offer. A failure must come with an error
 * message and one of the documented codes. An accepted offer must hold what
 * the parser promises (an audio m-line with Opus, rtcp-mux, ICE, a sha-256
 * fingerprint); every candidate in it must format and parse back to the same
 * struct; and the answers built for it (each direction the server may want,
 * with and without the offer's candidates) must succeed and parse back with
 * our own parser into what was asked for: the same m-lines in the same
 * order, only the audio one open, our ICE credentials and fingerprint, the
 * mirrored direction. The raw input is also tried as a trickle candidate. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webrtc/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                     \
	do {                         \
		if (!(x))            \
			abort();     \
	} while (0)

static const uint8_t our_fp[SDP_FINGERPRINT_LEN] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };

static bool rc_known(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ENOTSUP || rc == -E2BIG;
}

/* Formats c and parses it back: the same fields must come out. */
static void candidate_round_trip(const struct sdp_candidate *c)
{
	char line[SDP_MAX_LINE];
	struct sdp_candidate back;
	int n = sdp_candidate_format(line, sizeof(line), c);
	CHECK(n > 0 && (size_t)n == strlen(line));
	CHECK(sdp_candidate_parse(&back, line, (size_t)n) == 0);
	CHECK(strcmp(back.foundation, c->foundation) == 0 && back.component == c->component &&
	      back.transport == c->transport && back.priority == c->priority &&
	      strcmp(back.address, c->address) == 0 && back.port == c->port &&
	      back.type == c->type && back.has_related == c->has_related &&
	      back.tcptype == c->tcptype);
	if (c->has_related)
		CHECK(strcmp(back.raddr, c->raddr) == 0 && back.rport == c->rport);
}

static void check_offer(const struct sdp_offer *o)
{
	CHECK(o->nm >= 1 && o->nm <= SDP_MAX_MLINES && o->audio < o->nm);
	const struct sdp_mline *a = &o->m[o->audio];
	CHECK(a->kind == SDP_MEDIA_AUDIO && a->opus_pt >= 0 && a->opus_pt <= 127);
	CHECK(a->rtcp_mux && a->ice.ufrag[0] && a->ice.pwd[0]);
	CHECK(a->fingerprint.alg == SDP_HASH_SHA256);
	CHECK(o->ncands <= SDP_MAX_CANDIDATES);
	for (uint8_t i = 0; i < o->nm; i++) {
		const struct sdp_mline *m = &o->m[i];
		CHECK(m->npayloads <= SDP_MAX_PAYLOADS && m->nfmts <= SDP_MAX_FMTS);
		CHECK(m->nextmaps <= SDP_MAX_EXTMAPS && m->nssrcs <= SDP_MAX_SSRCS);
		CHECK(m->dir != SDP_DIR_NONE && m->fmt0[0]);
	}
	for (uint8_t i = 0; i < o->ncands; i++) {
		CHECK(o->cand_mline[i] < o->nm);
		candidate_round_trip(&o->cands[i]);
	}
}

static enum sdp_direction mirror(enum sdp_direction d)
{
	return d == SDP_DIR_SENDONLY ? SDP_DIR_RECVONLY
	       : d == SDP_DIR_RECVONLY ? SDP_DIR_SENDONLY
				       : d;
}

static enum sdp_direction expected_dir(enum sdp_direction offer, enum sdp_direction want)
{
	enum sdp_direction m = mirror(offer);
	if (want == SDP_DIR_NONE || want == SDP_DIR_SENDRECV || m == want)
		return m;
	if (m == SDP_DIR_SENDRECV)
		return want;
	return SDP_DIR_INACTIVE; /* sendonly vs recvonly, or either vs inactive */
}

static void check_answer(const struct sdp_offer *o, const char *ans, size_t len,
			 enum sdp_direction want)
{
	static struct sdp_offer back;
	char err[256];
	CHECK(sdp_offer_parse(&back, ans, len, err, sizeof(err)) == 0);
	const struct sdp_mline *a = &o->m[o->audio], *b = &back.m[back.audio];
	CHECK(back.nm == o->nm && back.audio == o->audio);
	CHECK(b->opus_pt == a->opus_pt && b->opus.useinbandfec == 1 && b->opus.minptime == 10);
	CHECK(strcmp(b->mid, a->mid) == 0 && strcmp(b->proto, a->proto) == 0);
	CHECK(strcmp(b->ice.ufrag, "sRvr") == 0 && b->ice.trickle);
	CHECK(sdp_fingerprint_equal(b->fingerprint.hash, our_fp));
	CHECK(b->setup == SDP_SETUP_ACTIVE || b->setup == SDP_SETUP_PASSIVE);
	CHECK(b->dir == expected_dir(a->dir, want));
	CHECK(b->npayloads == 1 && b->nextmaps <= 2);
	CHECK(back.nbundle <= 1);
	for (uint8_t i = 0; i < o->nm; i++) {
		if (i == o->audio)
			continue;
		CHECK(back.m[i].port == 0 && back.m[i].dir == SDP_DIR_INACTIVE);
		CHECK(strcmp(back.m[i].mid, o->m[i].mid) == 0);
		CHECK(strcmp(back.m[i].media, o->m[i].media) == 0);
	}
}

static void answers(const struct sdp_offer *o, uint8_t variant)
{
	static char ans[32768];
	static const enum sdp_direction wants[] = { SDP_DIR_NONE, SDP_DIR_RECVONLY,
						    SDP_DIR_SENDONLY, SDP_DIR_SENDRECV };
	struct sdp_answer_params p;
	char err[256];
	memset(&p, 0, sizeof(p));
	p.offer = o;
	p.session_id = 0xFFFFFFFFFFFFFFFFull;
	p.session_version = variant;
	p.ice_ufrag = "sRvr";
	p.ice_pwd = "0123456789abcdefghij+/";
	memcpy(p.fingerprint, our_fp, sizeof(our_fp));
	p.ssrc = 0x12345678;
	p.cname = "c{1}/+";
	p.msid_track = (variant & 1) ? "t" : NULL;
	p.allow_stereo = variant & 2;
	p.transport_cc = variant & 4;
	p.ice_lite = variant & 8;
	for (size_t w = 0; w < sizeof(wants) / sizeof(wants[0]); w++) {
		p.direction = wants[w];
		p.candidates = (w & 1) ? o->cands : NULL;
		p.ncandidates = (w & 1) ? o->ncands : 0;
		p.end_of_candidates = w & 1;
		int n = sdp_answer_build(ans, sizeof(ans), &p, err, sizeof(err));
		CHECK(n > 0 && (size_t)n == strlen(ans));
		check_answer(o, ans, (size_t)n, wants[w]);
		/* one byte short never writes a partial answer */
		CHECK(sdp_answer_build(ans, (size_t)n, &p, err, sizeof(err)) == -ENOSPC);
		CHECK(ans[0] == '\0' && err[0]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_offer offer;
	char err[256];
	const char *s = (const char *)data;

	int rc = sdp_offer_parse(&offer, s, size, err, sizeof(err));
	CHECK(rc_known(rc));
	CHECK(rc == 0 ? err[0] == '\0' : err[0] != '\0');
	if (rc == 0) {
		check_offer(&offer);
		answers(&offer, size ? data[size - 1] : 0);
	}

	struct sdp_candidate c;
	rc = sdp_candidate_parse(&c, s, size);
	CHECK(rc == 0 || rc == 1 || rc == -EINVAL || rc == -ENOTSUP);
	if (rc == 0)
		candidate_round_trip(&c);

	uint8_t h[SDP_FINGERPRINT_LEN];
	if (sdp_fingerprint_parse(h, s, size) == 0) {
		char hex[SDP_FINGERPRINT_STRLEN + 1];
		uint8_t h2[SDP_FINGERPRINT_LEN];
		CHECK(sdp_fingerprint_format(hex, sizeof(hex), h) == SDP_FINGERPRINT_STRLEN);
		CHECK(sdp_fingerprint_parse(h2, hex, SDP_FINGERPRINT_STRLEN) == 0);
		CHECK(sdp_fingerprint_equal(h, h2));
	}
	return 0;
}
