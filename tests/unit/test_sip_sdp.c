/* Unit tests for sip/sdp_av: offers as baresip, SIPp and a PBX write them,
 * codec choice by preference, answers and offers built and parsed back,
 * SRTP (SDES) keys, and the errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sdp_av.h"

/* baresip 1.0.0 with opus, G722, PCMU, PCMA and telephone-event (its
 * default module order), as it dials in. */
static const char baresip_offer[] =
	"v=0\r\n"
	"o=- 1493413525 1634081920 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 10140 RTP/AVP 96 9 0 8 101\r\n"
	"b=AS:142\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=sendrecv\r\n"
	"a=label:1\r\n"
	"a=ssrc:2286339578 cname:sip:baresip@127.0.0.1\r\n"
	"a=rtcp-rsize\r\n"
	"a=ptime:20\r\n";

/* SIPp's built-in uac scenario: PCMU only, no rtpmap, LF line ends. */
static const char sipp_offer[] =
	"v=0\n"
	"o=user1 53655765 2353687637 IN IP4 127.0.0.1\n"
	"s=-\n"
	"c=IN IP4 127.0.0.1\n"
	"t=0 0\n"
	"m=audio 6000 RTP/AVP 0\n"
	"a=rtpmap:0 PCMU/8000\n";

/* A PBX offering video too, media-level IPv6 address, a=rtcp, SAVP with
 * two crypto lines (the first of a suite we do not use). */
static const char pbx_offer[] =
	"v=0\r\n"
	"o=pbx 1 1 IN IP4 192.0.2.1\r\n"
	"s=call\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=video 40000 RTP/AVP 99\r\n"
	"a=rtpmap:99 H264/90000\r\n"
	"m=audio 40002 RTP/SAVP 8 18 100\r\n"
	"c=IN IP6 2001:db8::5\r\n"
	"a=rtcp:40009\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
	"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
	"a=sendonly\r\n";

static const enum rg_codec_id prefs_all[] = { RG_CODEC_OPUS, RG_CODEC_G722, RG_CODEC_PCMU, RG_CODEC_PCMA };

static void parse_ok(const char *sdp, struct rg_sdp_av *o)
{
	char err[256];
	int rc = rg_sdp_av_parse(o, sdp, strlen(sdp), err, sizeof err);
	if (rc)
		fail_msg("parse: %d %s", rc, err);
}

static void test_baresip(void **state)
{
	(void)state;
	struct rg_sdp_av o;
	parse_ok(baresip_offer, &o);
	assert_string_equal(o.addr, "127.0.0.1");
	assert_int_equal(o.port, 10140);
	assert_int_equal(o.rtcp_port, 10141);
	assert_false(o.srtp);
	assert_false(o.rtcp_mux);
	assert_int_equal(o.ptime, 20);
	assert_int_equal(o.dir, RG_SDP_SENDRECV);
	assert_int_equal(o.n_codecs, 4);
	assert_int_equal(o.codecs[0].id, RG_CODEC_OPUS);
	assert_int_equal(o.codecs[0].pt, 96);
	assert_int_equal(o.codecs[0].channels, 2);
	assert_int_equal(o.codecs[1].id, RG_CODEC_G722);
	assert_int_equal(o.codecs[3].id, RG_CODEC_PCMA);
	assert_int_equal(o.n_te, 1);
	assert_int_equal(o.te[0].pt, 101);

	struct rg_sdp_av_codec c;
	struct rg_sdp_av_te te;
	assert_int_equal(rg_sdp_av_choose(&o, prefs_all, 4, &c, &te), 0);
	assert_int_equal(c.id, RG_CODEC_OPUS);
	assert_int_equal(te.pt, 0); /* telephone-event only at 8000 */
	enum rg_codec_id pcmu_first[] = { RG_CODEC_PCMU, RG_CODEC_OPUS };
	assert_int_equal(rg_sdp_av_choose(&o, pcmu_first, 2, &c, &te), 0);
	assert_int_equal(c.id, RG_CODEC_PCMU);
	assert_int_equal(c.pt, 0);
	assert_int_equal(te.pt, 101);
	assert_int_equal(te.clock_rate, 8000);
}

static void test_sipp(void **state)
{
	(void)state;
	struct rg_sdp_av o;
	parse_ok(sipp_offer, &o);
	assert_int_equal(o.port, 6000);
	assert_int_equal(o.n_codecs, 1);
	assert_int_equal(o.codecs[0].id, RG_CODEC_PCMU);
	struct rg_sdp_av_codec c;
	enum rg_codec_id opus_only[] = { RG_CODEC_OPUS };
	assert_int_equal(rg_sdp_av_choose(&o, opus_only, 1, &c, NULL), -ENOENT);
	assert_int_equal(rg_sdp_av_choose(&o, prefs_all, 4, &c, NULL), 0);
	assert_int_equal(c.id, RG_CODEC_PCMU);
}

static void test_pbx_srtp_ipv6(void **state)
{
	(void)state;
	struct rg_sdp_av o;
	parse_ok(pbx_offer, &o);
	assert_string_equal(o.addr, "2001:db8::5");
	assert_true(o.ipv6);
	assert_int_equal(o.port, 40002);
	assert_int_equal(o.rtcp_port, 40009);
	assert_true(o.srtp);
	assert_int_equal(o.crypto_tag, 2);
	assert_memory_equal(o.key, "YS___semctl () {\t220;}\n}\nunles", 30);
	assert_int_equal(o.dir, RG_SDP_SENDONLY);
	assert_int_equal(o.n_codecs, 1); /* G729 is not ours */
	assert_int_equal(o.codecs[0].id, RG_CODEC_PCMA);
	assert_int_equal(o.n_other, 1);
	assert_int_equal(o.audio_index, 1);
	assert_string_equal(o.other_media[0], "video");

	/* the answer mirrors the video line rejected, before the audio one */
	struct rg_sdp_av_codec c;
	struct rg_sdp_av_te te;
	assert_int_equal(rg_sdp_av_choose(&o, prefs_all, 4, &c, &te), 0);
	uint8_t key[30];
	memset(key, 7, sizeof key);
	struct rg_sdp_av_local l = { .addr = "2001:db8::1", .port = 20000, .sess_id = 42, .sess_version = 1,
				     .codecs = &c, .n_codecs = 1, .te = &te, .n_te = 1, .ptime = 20,
				     .dir = rg_sdp_av_dir_answer(o.dir), .srtp = true, .crypto_tag = o.crypto_tag,
				     .key = key, .offer = &o };
	char buf[2048];
	int n = rg_sdp_av_build(buf, sizeof buf, &l);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "c=IN IP6 2001:db8::1\r\n"));
	const char *mv = strstr(buf, "m=video 0 RTP/AVP 99\r\n"), *ma = strstr(buf, "m=audio 20000 RTP/SAVP 8 100\r\n");
	assert_non_null(mv);
	assert_non_null(ma);
	assert_true(mv < ma);
	assert_non_null(strstr(buf, "a=recvonly\r\n"));
	assert_non_null(strstr(buf, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\r\n"));

	/* and parses back */
	struct rg_sdp_av b;
	parse_ok(buf, &b);
	assert_int_equal(b.port, 20000);
	assert_true(b.srtp);
	assert_memory_equal(b.key, key, 30);
	assert_int_equal(b.dir, RG_SDP_RECVONLY);
	assert_int_equal(b.n_codecs, 1);
	assert_int_equal(b.codecs[0].id, RG_CODEC_PCMA);
	assert_int_equal(b.te[0].pt, 100);
}

/* Our dial-out offer, exactly. */
static void test_offer_exact(void **state)
{
	(void)state;
	struct rg_sdp_av_codec cs[] = { { RG_CODEC_OPUS, 111, 48000, 2 }, { RG_CODEC_G722, 9, 8000, 1 },
					{ RG_CODEC_PCMU, 0, 8000, 1 }, { RG_CODEC_PCMA, 8, 8000, 1 } };
	struct rg_sdp_av_te te[] = { { 101, 8000 }, { 100, 48000 } };
	struct rg_sdp_av_local l = { .addr = "127.0.0.1", .port = 20002, .sess_id = 7, .sess_version = 7,
				     .codecs = cs, .n_codecs = 4, .te = te, .n_te = 2, .ptime = 20 };
	char buf[1024];
	int n = rg_sdp_av_build(buf, sizeof buf, &l);
	const char *want =
		"v=0\r\n"
		"o=roomgate 7 7 IN IP4 127.0.0.1\r\n"
		"s=roomgate\r\n"
		"c=IN IP4 127.0.0.1\r\n"
		"t=0 0\r\n"
		"m=audio 20002 RTP/AVP 111 9 0 8 101 100\r\n"
		"a=rtpmap:111 opus/48000/2\r\n"
		"a=fmtp:111 minptime=10;useinbandfec=1\r\n"
		"a=rtpmap:9 G722/8000\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=fmtp:101 0-16\r\n"
		"a=rtpmap:100 telephone-event/48000\r\n"
		"a=fmtp:100 0-16\r\n"
		"a=ptime:20\r\n"
		"a=sendrecv\r\n";
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
	assert_int_equal(rg_sdp_av_build(buf, 100, &l), -ENOSPC);
	assert_string_equal(buf, "");
}

static void expect_err(const char *sdp, int code, const char *what)
{
	struct rg_sdp_av o;
	char err[256];
	int rc = rg_sdp_av_parse(&o, sdp, strlen(sdp), err, sizeof err);
	if (rc != code || !strstr(err, what))
		fail_msg("want %d \"%s\", got %d \"%s\" for:\n%s", code, what, rc, err, sdp);
}

static void test_errors(void **state)
{
	(void)state;
	expect_err("", -EINVAL, "empty");
	expect_err("v=1\r\n", -EINVAL, "v=0");
	expect_err("v=0\r\nhello\r\n", -EINVAL, "line 2");
	expect_err("v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 5 RTP/AVP 96\r\n", -ENOTSUP, "no m=audio");
	expect_err("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n", -ENOTSUP, "port 0");
	expect_err("v=0\r\nm=audio 5000 RTP/AVP 0\r\n", -EINVAL, "no c= line");
	expect_err("v=0\r\nc=IN IP4 example.com\r\nm=audio 5000 RTP/AVP 0\r\n", -EINVAL, "numeric");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 UDP/TLS/RTP/SAVPF 111\r\n", -ENOTSUP, "profile");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/SAVP 0\r\n", -ENOTSUP, "a=crypto");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP x\r\n", -EINVAL, "payload type");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", -EINVAL, "port");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", -EINVAL, "rtpmap");
	expect_err("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n",
		   -EINVAL, "30 bytes");
	char big[RG_SDP_AV_MAX_LEN + 2];
	memset(big, 'a', sizeof big);
	struct rg_sdp_av o;
	assert_int_equal(rg_sdp_av_parse(&o, big, sizeof big, NULL, 0), -EINVAL);
	assert_int_equal(rg_sdp_av_parse(&o, "v=0\0\r\n", 6, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baresip),      cmocka_unit_test(test_sipp),
		cmocka_unit_test(test_pbx_srtp_ipv6), cmocka_unit_test(test_offer_exact),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
