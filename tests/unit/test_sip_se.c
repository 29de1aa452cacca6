/* Unit tests for sip/se: who refreshes a session and how often (RFC 4028),
 * and when the side that does not refresh gives up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip/se.h"

static enum rg_sip_se_refresher neg(struct rg_sip_se_peer p, bool uas, unsigned local, unsigned *iv)
{
	return rg_sip_se_negotiate(&p, uas, local, 90, iv);
}

static void test_we_answer(void **state)
{
	(void)state;
	unsigned iv = 0;
	/* the caller names the refresher */
	assert_int_equal(neg((struct rg_sip_se_peer){ 90, 90, 'c', true, false }, true, 1800, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 90);
	assert_int_equal(neg((struct rg_sip_se_peer){ 90, 90, 's', true, false }, true, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(iv, 90);
	/* none named: the caller (the UAC) refreshes; ours when it asks for no interval */
	assert_int_equal(neg((struct rg_sip_se_peer){ 600, 0, 0, true, false }, true, 1800, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 600);
	assert_int_equal(neg((struct rg_sip_se_peer){ 0, 0, 0, true, false }, true, 1800, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 1800);
	/* capped at ours, never below either Min-SE */
	assert_int_equal(neg((struct rg_sip_se_peer){ 7200, 0, 'c', true, false }, true, 1800, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 1800);
	assert_int_equal(neg((struct rg_sip_se_peer){ 100, 120, 'c', true, false }, true, 1800, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 120);
	/* a caller without timer support: we refresh, at our interval */
	assert_int_equal(neg((struct rg_sip_se_peer){ 0, 0, 0, false, false }, true, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(iv, 1800);
	/* we ask for none (0) but take the caller's; neither asks: no timer */
	assert_int_equal(neg((struct rg_sip_se_peer){ 300, 0, 'c', true, false }, true, 0, &iv), RG_SIP_SE_PEER);
	assert_int_equal(iv, 300);
	assert_int_equal(neg((struct rg_sip_se_peer){ 0, 0, 0, true, false }, true, 0, &iv), RG_SIP_SE_NONE);
	assert_int_equal(iv, 0);
}

static void test_we_called(void **state)
{
	(void)state;
	unsigned iv = 0;
	/* the answer names the UAC (us) or the UAS (the peer) */
	assert_int_equal(neg((struct rg_sip_se_peer){ 90, 0, 'c', true, true }, false, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(iv, 90);
	assert_int_equal(neg((struct rg_sip_se_peer){ 90, 0, 's', true, true }, false, 1800, &iv), RG_SIP_SE_PEER);
	/* Require: timer without a refresher, or none named: we refresh */
	assert_int_equal(neg((struct rg_sip_se_peer){ 90, 0, 0, true, true }, false, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(neg((struct rg_sip_se_peer){ 900, 0, 0, true, false }, false, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(iv, 900);
	/* an answer without timers: we refresh at our own interval */
	assert_int_equal(neg((struct rg_sip_se_peer){ 0, 0, 0, false, false }, false, 1800, &iv), RG_SIP_SE_US);
	assert_int_equal(iv, 1800);
}

static void test_give_up(void **state)
{
	(void)state;
	assert_int_equal(rg_sip_se_give_up_s(90), 60);
	assert_int_equal(rg_sip_se_give_up_s(120), 88);
	assert_int_equal(rg_sip_se_give_up_s(1800), 1768);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_we_answer),
		cmocka_unit_test(test_we_called),
		cmocka_unit_test(test_give_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
