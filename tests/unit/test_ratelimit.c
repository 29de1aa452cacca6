/* ratelimit: a burst per window is allowed, the rest counted as suppressed
 * until taken; a new window (or a clock that went back) starts afresh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ratelimit.h"

static void test_burst_then_suppressed(void **state)
{
	(void)state;
	struct rg_ratelimit r = RG_RATELIMIT_INIT(1000, 3);
	for (int i = 0; i < 3; i++)
		assert_true(rg_ratelimit_allow(&r, 5000 + i));
	for (int i = 0; i < 7; i++)
		assert_false(rg_ratelimit_allow(&r, 5100 + i));
	assert_int_equal(rg_ratelimit_take_suppressed(&r), 7);
	assert_int_equal(rg_ratelimit_take_suppressed(&r), 0);
	assert_false(rg_ratelimit_allow(&r, 5999)); /* same window */
	assert_int_equal(rg_ratelimit_take_suppressed(&r), 1);
}

static void test_new_window(void **state)
{
	(void)state;
	struct rg_ratelimit r = RG_RATELIMIT_INIT(1000, 2);
	assert_true(rg_ratelimit_allow(&r, 0)); /* time 0 is a time like any other */
	assert_true(rg_ratelimit_allow(&r, 10));
	assert_false(rg_ratelimit_allow(&r, 20));
	assert_true(rg_ratelimit_allow(&r, 1000)); /* the next window */
	assert_true(rg_ratelimit_allow(&r, 1001));
	assert_false(rg_ratelimit_allow(&r, 1002));
	assert_true(rg_ratelimit_allow(&r, 500)); /* the clock went back: afresh */
	assert_int_equal(rg_ratelimit_take_suppressed(&r), 2);
}

static void test_zero_burst(void **state)
{
	(void)state;
	struct rg_ratelimit r = RG_RATELIMIT_INIT(1000, 0);
	assert_false(rg_ratelimit_allow(&r, 1));
	assert_false(rg_ratelimit_allow(&r, 2000));
	assert_int_equal(rg_ratelimit_take_suppressed(&r), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_suppressed),
		cmocka_unit_test(test_new_window),
		cmocka_unit_test(test_zero_burst),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
