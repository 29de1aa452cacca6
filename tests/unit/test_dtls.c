/* DTLS-SRTP: two legs in one process, datagrams passed by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "webrtc/dtls.h"
#include "webrtc/srtp.h"

struct pipe {
	uint8_t buf[64][2048];
	size_t len[64];
	int n;
	int dropped;
	int drop_first; /* drop the first k datagrams */
	int count;
};

static void to_pipe(void *arg, const uint8_t *b, size_t len)
{
	struct pipe *p = arg;
	p->count++;
	if (p->count <= p->drop_first) {
		p->dropped++;
		return;
	}
	assert_true(p->n < 64 && len <= 2048);
	memcpy(p->buf[p->n], b, len);
	p->len[p->n++] = len;
}

static void deliver(struct pipe *p, struct rg_dtls *to)
{
	int n = p->n;
	p->n = 0;
	for (int i = 0; i < n; i++)
		rg_dtls_feed(to, p->buf[i], p->len[i]);
}

static struct rg_dtls_cert *ca, *cb;

static int setup(void **state)
{
	(void)state;
	rg_srtp_global_init();
	ca = rg_dtls_cert_new();
	cb = rg_dtls_cert_new();
	return ca && cb ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rg_dtls_cert_free(ca);
	rg_dtls_cert_free(cb);
	rg_srtp_global_shutdown();
	return 0;
}

static void run_handshake(struct rg_dtls *a, struct rg_dtls *b, struct pipe *ab, struct pipe *ba)
{
	rg_dtls_start(a);
	rg_dtls_start(b);
	for (int round = 0; round < 40; round++) {
		deliver(ab, b);
		deliver(ba, a);
		if (rg_dtls_state(a) != RG_DTLS_HANDSHAKE && rg_dtls_state(b) != RG_DTLS_HANDSHAKE)
			break;
		/* lost flights are resent by the timers (real time: ~1 s) */
		if (!ab->n && !ba->n) {
			int ta = rg_dtls_timeout_ms(a), tb = rg_dtls_timeout_ms(b);
			int t = ta < 0 ? tb : (tb < 0 ? ta : (ta < tb ? ta : tb));
			if (t > 0)
				usleep((useconds_t)t * 1000 + 1000);
			rg_dtls_handle_timeout(a);
			rg_dtls_handle_timeout(b);
		}
	}
}

static void test_handshake_keys_and_srtp(void **state)
{
	(void)state;
	struct pipe *ab = calloc(1, sizeof *ab), *ba = calloc(1, sizeof *ba);
	struct rg_dtls *a = rg_dtls_new(ca, true, rg_dtls_cert_fingerprint(cb), to_pipe, ab);
	struct rg_dtls *b = rg_dtls_new(cb, false, rg_dtls_cert_fingerprint(ca), to_pipe, ba);
	run_handshake(a, b, ab, ba);
	assert_int_equal(rg_dtls_state(a), RG_DTLS_CONNECTED);
	assert_int_equal(rg_dtls_state(b), RG_DTLS_CONNECTED);
	assert_string_equal(rg_dtls_version(a), "DTLSv1.2");
	struct rg_srtp_keys ka, kb;
	assert_int_equal(rg_dtls_srtp_keys(a, &ka), 0);
	assert_int_equal(rg_dtls_srtp_keys(b, &kb), 0);
	assert_int_equal(ka.profile, RG_SRTP_AEAD_AES_128_GCM);
	assert_memory_equal(ka.local, kb.remote, ka.key_len + ka.salt_len);
	assert_memory_equal(ka.remote, kb.local, ka.key_len + ka.salt_len);
	struct rg_srtp *sa = rg_srtp_new(&ka), *sb = rg_srtp_new(&kb);
	uint8_t pkt[200 + RG_SRTP_MAX_TRAILER] = { 0x80, 111, 0, 1, 0, 0, 3, 0xc0, 1, 2, 3, 4 };
	for (int i = 12; i < 200; i++)
		pkt[i] = (uint8_t)i;
	uint8_t orig[200];
	memcpy(orig, pkt, 200);
	int len = 200;
	assert_int_equal(rg_srtp_protect_rtp(sa, pkt, &len), 0);
	assert_true(len > 200);
	assert_int_equal(rg_srtp_unprotect_rtp(sb, pkt, &len), 0);
	assert_int_equal(len, 200);
	assert_memory_equal(pkt, orig, 200);
	/* replay of the same packet is refused */
	len = 200;
	memcpy(pkt, orig, 200);
	pkt[3] = 2; /* next sequence number */
	assert_int_equal(rg_srtp_protect_rtp(sa, pkt, &len), 0);
	uint8_t copy[sizeof pkt];
	memcpy(copy, pkt, sizeof pkt);
	int l2 = len;
	assert_int_equal(rg_srtp_unprotect_rtp(sb, pkt, &len), 0);
	assert_int_equal(rg_srtp_unprotect_rtp(sb, copy, &l2), -EBADMSG);
	rg_srtp_free(sa);
	rg_srtp_free(sb);
	rg_dtls_free(a);
	rg_dtls_free(b);
	free(ab);
	free(ba);
}

static void test_loss_is_recovered_by_timers(void **state)
{
	(void)state;
	struct pipe *ab = calloc(1, sizeof *ab), *ba = calloc(1, sizeof *ba);
	ab->drop_first = 1; /* the ClientHello */
	struct rg_dtls *a = rg_dtls_new(ca, true, rg_dtls_cert_fingerprint(cb), to_pipe, ab);
	struct rg_dtls *b = rg_dtls_new(cb, false, rg_dtls_cert_fingerprint(ca), to_pipe, ba);
	run_handshake(a, b, ab, ba);
	assert_true(ab->dropped > 0);
	assert_int_equal(rg_dtls_state(a), RG_DTLS_CONNECTED);
	assert_int_equal(rg_dtls_state(b), RG_DTLS_CONNECTED);
	rg_dtls_free(a);
	rg_dtls_free(b);
	free(ab);
	free(ba);
}

/* Released after the keys: the version stays, handshake records are
 * ignored, the peer's close_notify (an alert record) closes, and nothing
 * is sent at free. */
static void test_release_after_keys(void **state)
{
	(void)state;
	struct pipe *ab = calloc(1, sizeof *ab), *ba = calloc(1, sizeof *ba);
	struct rg_dtls *a = rg_dtls_new(ca, true, rg_dtls_cert_fingerprint(cb), to_pipe, ab);
	struct rg_dtls *b = rg_dtls_new(cb, false, rg_dtls_cert_fingerprint(ca), to_pipe, ba);
	run_handshake(a, b, ab, ba);
	struct rg_srtp_keys ka;
	assert_int_equal(rg_dtls_srtp_keys(a, &ka), 0);
	assert_false(rg_dtls_released(a));
	rg_dtls_release(a);
	assert_true(rg_dtls_released(a));
	assert_int_equal(rg_dtls_state(a), RG_DTLS_CONNECTED);
	assert_string_equal(rg_dtls_version(a), "DTLSv1.2");
	assert_int_equal(rg_dtls_srtp_keys(a, &ka), -EINVAL);
	uint8_t hs[40] = { 22, 0xfe, 0xfd, 0, 1 };
	assert_int_equal(rg_dtls_feed(a, hs, sizeof hs), RG_DTLS_CONNECTED);
	ba->n = 0;
	rg_dtls_free(b); /* its close_notify */
	assert_int_equal(ba->n, 1);
	assert_int_equal(ba->buf[0][0], 21);
	deliver(ba, a);
	assert_int_equal(rg_dtls_state(a), RG_DTLS_CLOSED);
	ab->n = 0;
	rg_dtls_free(a);
	assert_int_equal(ab->n, 0);
	free(ab);
	free(ba);
}

static void test_wrong_fingerprint_fails(void **state)
{
	(void)state;
	struct pipe *ab = calloc(1, sizeof *ab), *ba = calloc(1, sizeof *ba);
	uint8_t bogus[32];
	memset(bogus, 0xab, sizeof bogus);
	struct rg_dtls *a = rg_dtls_new(ca, true, bogus, to_pipe, ab);
	struct rg_dtls *b = rg_dtls_new(cb, false, rg_dtls_cert_fingerprint(ca), to_pipe, ba);
	run_handshake(a, b, ab, ba);
	assert_int_equal(rg_dtls_state(a), RG_DTLS_FAILED);
	assert_non_null(strstr(rg_dtls_error(a), "fingerprint"));
	rg_dtls_free(a);
	rg_dtls_free(b);
	free(ab);
	free(ba);
}

static void test_garbage_does_not_crash(void **state)
{
	(void)state;
	struct pipe *ab = calloc(1, sizeof *ab);
	struct rg_dtls *b = rg_dtls_new(cb, false, rg_dtls_cert_fingerprint(ca), to_pipe, ab);
	uint8_t junk[300];
	for (int i = 0; i < 300; i++)
		junk[i] = (uint8_t)(i * 37 + 20);
	rg_dtls_start(b);
	rg_dtls_feed(b, junk, sizeof junk);
	junk[0] = 22;
	rg_dtls_feed(b, junk, 13);
	assert_true(rg_dtls_state(b) == RG_DTLS_HANDSHAKE || rg_dtls_state(b) == RG_DTLS_FAILED);
	rg_dtls_free(b);
	free(ab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_keys_and_srtp),
		cmocka_unit_test(test_loss_is_recovered_by_timers),
		cmocka_unit_test(test_release_after_keys),
		cmocka_unit_test(test_wrong_fingerprint_fails),
		cmocka_unit_test(test_garbage_does_not_crash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
