/* Unit tests for sip/info: the DTMF digit of SIP INFO bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sip/info.h"

static char digit(const char *ct, const char *body)
{
	return rg_sip_info_digit(ct, body, strlen(body));
}

static void test_dtmf_relay(void **state)
{
	(void)state;
	const char *ct = "application/dtmf-relay";
	assert_int_equal(digit(ct, "Signal=5\r\nDuration=160\r\n"), '5');
	assert_int_equal(digit(ct, "Duration=160\r\nSignal = #\r\n"), '#');
	assert_int_equal(digit("Application/DTMF-Relay", "signal=*"), '*');
	assert_int_equal(digit(ct, "Signal=b\r\n"), 'B');
	assert_int_equal(digit(ct, "Signal=10\r\n"), 0);  /* a flash, not a digit */
	assert_int_equal(digit(ct, "Signal=\r\n"), 0);
	assert_int_equal(digit(ct, "Signal=x"), 0);
	assert_int_equal(digit(ct, "Duration=160"), 0);
	assert_int_equal(digit(ct, "Signal 5"), 0);
}

static void test_dtmf_plain(void **state)
{
	(void)state;
	assert_int_equal(digit("application/dtmf", "7"), '7');
	assert_int_equal(digit("application/dtmf", " \r\n9\r\n"), '9');
	assert_int_equal(digit("application/dtmf", "12"), 0);
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(digit("text/plain", "Signal=5"), 0);
	assert_int_equal(rg_sip_info_digit("application/dtmf", "5", 0), 0);
	assert_int_equal(rg_sip_info_digit(NULL, "5", 1), 0);
	char big[600];
	memset(big, ' ', sizeof big);
	big[599] = '5';
	assert_int_equal(rg_sip_info_digit("application/dtmf", big, sizeof big), 0); /* over 512 bytes */
	assert_int_equal(rg_sip_info_digit("application/dtmf", "\0" "5", 2), 0);     /* a NUL inside */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtmf_relay),
		cmocka_unit_test(test_dtmf_plain),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
