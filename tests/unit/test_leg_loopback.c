/* Two legs on one GLib loop, one offering (rg_leg_create_offer +
 * rg_leg_set_answer) and one answering (rg_leg_create): they exchange SDP
 * and trickled candidates over loopback UDP, connect ICE and DTLS-SRTP and
 * pass RTP both ways; what arrives decrypted must equal what was sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/util.h"
#include "webrtc/dtls.h"
#include "webrtc/leg.h"
#include "webrtc/sdp.h"
#include "webrtc/srtp.h"

#define MAX_CANDS 16

struct side {
	const char *name;
	struct rg_leg *leg;
	struct side *peer;
	char cands[MAX_CANDS][512]; /* candidates for the peer, applied outside callbacks */
	int ncands;
	bool gathered, eoc_sent;
	enum rg_leg_state state;
	int rx;
	uint8_t last[1500];
	size_t last_len;
};

static void on_candidate(void *arg, const char *cand)
{
	struct side *s = arg;
	if (!cand[0]) {
		s->gathered = true;
		return;
	}
	assert_true(s->ncands < MAX_CANDS);
	snprintf(s->cands[s->ncands++], sizeof s->cands[0], "%s", cand);
}

static void on_state(void *arg, enum rg_leg_state st, const char *why)
{
	struct side *s = arg;
	s->state = st;
	if (st == RG_LEG_FAILED)
		print_message("%s failed: %s\n", s->name, why);
}

static void on_rtp(void *arg, const uint8_t *pkt, size_t len)
{
	struct side *s = arg;
	s->rx++;
	assert_true(len <= sizeof s->last);
	memcpy(s->last, pkt, len);
	s->last_len = len;
}

static const struct rg_leg_cb cb = { on_candidate, on_state, on_rtp, NULL };
/* A counting receiver: the packets still protected. */
static const struct rg_leg_cb cb_count = { on_candidate, on_state, NULL, on_rtp };

/* Hands what each side gathered to the other. */
static void trickle(struct side *s)
{
	for (int i = 0; i < s->ncands; i++)
		assert_int_equal(rg_leg_remote_candidate(s->peer->leg, s->cands[i]), 0);
	s->ncands = 0;
	if (s->gathered && !s->eoc_sent) {
		rg_leg_remote_candidate(s->peer->leg, "");
		s->eoc_sent = true;
	}
}

/* Runs the loop until cond holds or 10 s pass. */
static bool run_until(bool (*cond)(struct side *, struct side *), struct side *a, struct side *b)
{
	int64_t end = rg_mono_us() + 10 * 1000000;
	while (!cond(a, b) && rg_mono_us() < end) {
		g_main_context_iteration(NULL, FALSE);
		trickle(a);
		trickle(b);
		g_usleep(200);
	}
	return cond(a, b);
}

static bool connected(struct side *a, struct side *b)
{
	return (a->state == RG_LEG_CONNECTED && b->state == RG_LEG_CONNECTED) ||
	       a->state == RG_LEG_FAILED || b->state == RG_LEG_FAILED;
}

static bool received(struct side *a, struct side *b)
{
	return a->rx > 0 && b->rx > 0;
}

/* An Opus-sized RTP packet with a one-byte header extension element. */
static size_t make_rtp(uint8_t *p, uint8_t pt, uint32_t ssrc, uint16_t seq, uint8_t fill)
{
	static const uint8_t hdr_ext[] = { 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x2a, 0x00, 0x00 };
	p[0] = 0x90; /* V=2, X=1 */
	p[1] = pt;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0x11, 4);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	memcpy(p + 12, hdr_ext, sizeof hdr_ext);
	memset(p + 12 + sizeof hdr_ext, fill, 80);
	return 12 + sizeof hdr_ext + 80;
}

static void send_one(struct side *from, uint8_t fill, uint8_t *copy, size_t *copy_len)
{
	uint8_t buf[1500 + RG_LEG_TRAILER_ROOM];
	size_t n = make_rtp(buf, rg_leg_opus_pt(from->leg), rg_leg_ssrc(from->leg), fill, fill);
	memcpy(copy, buf, n);
	*copy_len = n;
	assert_int_equal(rg_leg_send_rtp(from->leg, buf, n, sizeof buf), 0);
}

/* How a leg's figures say it used its socket. */
static void check_io(struct rg_leg *leg, const char *receive, const char *send)
{
	cJSON *j = rg_leg_to_json(leg);
	char *what = cJSON_PrintUnformatted(j);
	double out = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "packets_out"));
	double direct = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "packets_out_direct"));
	if (strcmp(cJSON_GetObjectItem(j, "send")->valuestring, send) != 0)
		print_message("%s\n", what);
	assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "connected");
	assert_string_equal(cJSON_GetObjectItem(j, "receive")->valuestring, receive);
	assert_string_equal(cJSON_GetObjectItem(j, "send")->valuestring, send);
	assert_true(out >= 2); /* DTLS, then RTP */
	/* sendto: every datagram after ICE (the handshake included); libnice: none */
	assert_true(strcmp(send, "direct") == 0 ? direct == out : direct == 0);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "send_errors")) == 0);
	free(what);
	cJSON_Delete(j);
}

/* The offerer receives through the worker's epoll set (cfg.epoll_rx) and
 * sends with sendto on the selected socket (cfg.direct_tx); the answerer
 * reads and writes through libnice (the fallback of both). With count_only
 * the offerer gets its packets still protected (rg_leg_cb.srtp). */
static void loopback(enum rg_leg_dir offerer_dir, bool count_only)
{
	struct rg_dtls_cert *c1 = rg_dtls_cert_new(), *c2 = rg_dtls_cert_new();
	assert_non_null(c1);
	assert_non_null(c2);
	struct rg_loop *loop = rg_loop_new_main("test");
	g_main_context_push_thread_default(g_main_context_default());
	struct rg_leg_config cfg_o = { c1, "127.0.0.1", "", 0, 0, true, true },
			     cfg_a = { c2, "127.0.0.1", "", 0, 0, false, false };
	struct side *o = calloc(1, sizeof *o), *a = calloc(1, sizeof *a);
	o->name = "offerer";
	a->name = "answerer";
	o->peer = a;
	a->peer = o;
	char err[256] = "", *offer = NULL, *answer = NULL;

	int rc = rg_leg_create_offer(&o->leg, loop, &cfg_o, offerer_dir, count_only ? &cb_count : &cb, o, &offer,
				     err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(rg_leg_state(o->leg), RG_LEG_NEW);
	assert_non_null(strstr(offer, "a=setup:actpass\r\n"));
	assert_non_null(strstr(offer, offerer_dir == RG_LEG_SEND ? "a=sendonly\r\n" : "a=recvonly\r\n"));
	enum rg_leg_dir answer_dir = offerer_dir == RG_LEG_SEND ? RG_LEG_RECV : RG_LEG_SEND;
	rc = rg_leg_create(&a->leg, loop, &cfg_a, answer_dir, offer, strlen(offer), &cb, a, &answer, err,
			   sizeof err);
	if (rc)
		print_message("answer failed: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(rg_leg_set_answer(o->leg, answer, strlen(answer), err, sizeof err), 0);
	assert_int_equal(rg_leg_state(o->leg), RG_LEG_CHECKING);
	/* a second answer is refused */
	assert_int_equal(rg_leg_set_answer(o->leg, answer, strlen(answer), err, sizeof err), -EINVAL);
	assert_int_equal(rg_leg_audio_level_id(o->leg), rg_leg_audio_level_id(a->leg));
	assert_int_equal(rg_leg_capture_time_id(o->leg), RG_LEG_OFFER_CAPTURE_TIME_ID);
	assert_int_equal(rg_leg_capture_time_id(a->leg), RG_LEG_OFFER_CAPTURE_TIME_ID);
	assert_non_null(strstr(answer, "a=extmap:5 " SDP_EXT_ABS_CAPTURE_TIME "\r\n"));
	assert_int_equal(rg_leg_opus_pt(o->leg), rg_leg_opus_pt(a->leg));

	rg_leg_start(a->leg);
	rg_leg_start(o->leg);
	assert_true(run_until(connected, o, a));
	assert_int_equal(o->state, RG_LEG_CONNECTED);
	assert_int_equal(a->state, RG_LEG_CONNECTED);

	uint8_t sent_o[1500], sent_a[1500];
	size_t len_o = 0, len_a = 0;
	send_one(o, 0x5a, sent_o, &len_o);
	send_one(a, 0xa5, sent_a, &len_a);
	assert_true(run_until(received, o, a));
	assert_int_equal(a->last_len, len_o);
	assert_memory_equal(a->last, sent_o, len_o);
	if (count_only) { /* the clear header and extension, then payload and tag */
		assert_int_equal(o->last_len, len_a + rg_srtp_tag_len(RG_SRTP_AEAD_AES_128_GCM));
		assert_memory_equal(o->last, sent_a, 20);
	} else {
		assert_int_equal(o->last_len, len_a);
		assert_memory_equal(o->last, sent_a, len_a);
	}

	check_io(o->leg, "epoll", "direct");
	check_io(a->leg, "glib", "libnice");
	rg_leg_free(o->leg);
	rg_leg_free(a->leg);
	free(offer);
	free(answer);
	free(o);
	free(a);
	rg_loop_drain(loop);
	g_main_context_pop_thread_default(g_main_context_default());
	rg_loop_free(loop);
	rg_dtls_cert_free(c1);
	rg_dtls_cert_free(c2);
}

static void test_offerer_publishes(void **state)
{
	(void)state;
	loopback(RG_LEG_SEND, false);
}

static void test_offerer_plays(void **state)
{
	(void)state;
	loopback(RG_LEG_RECV, false);
}

static void test_offerer_counts(void **state)
{
	(void)state;
	loopback(RG_LEG_RECV, true);
}

/* Answers the offering leg cannot take. */
static void test_bad_answers(void **state)
{
	(void)state;
	struct rg_dtls_cert *c1 = rg_dtls_cert_new();
	struct rg_loop *loop = rg_loop_new_main("test");
	g_main_context_push_thread_default(g_main_context_default());
	struct rg_leg_config cfg = { c1, "127.0.0.1", "", 0, 0, false, false };
	struct side s = { .name = "offerer" };
	char err[256], *offer = NULL;
	assert_int_equal(rg_leg_create_offer(&s.leg, loop, &cfg, RG_LEG_SEND, &cb, &s, &offer, err, sizeof err), 0);
	/* our own offer as an answer: setup:actpass takes no DTLS role */
	assert_int_equal(rg_leg_set_answer(s.leg, offer, strlen(offer), err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "setup"));
	assert_int_equal(rg_leg_set_answer(s.leg, "v=0\r\n", 5, err, sizeof err), -EINVAL);
	assert_int_equal(rg_leg_state(s.leg), RG_LEG_NEW);
	rg_leg_free(s.leg);
	free(offer);
	rg_loop_drain(loop);
	g_main_context_pop_thread_default(g_main_context_default());
	rg_loop_free(loop);
	rg_dtls_cert_free(c1);
}

static int setup(void **state)
{
	(void)state;
	return rg_srtp_global_init();
}

static int teardown(void **state)
{
	(void)state;
	rg_srtp_global_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offerer_publishes),
		cmocka_unit_test(test_offerer_plays),
		cmocka_unit_test(test_offerer_counts),
		cmocka_unit_test(test_bad_answers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
