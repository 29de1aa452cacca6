/* Unit tests for sip/rules: dial-in rule templates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <string.h>

#include "sip/rules.h"

/* tpl expanded for the request-URI user "conf-42" matched by ^conf-([0-9]+)$ */
static const char *expand(const char *tpl, const char *caller, char *out, size_t cap)
{
	regex_t re;
	regmatch_t m[10];
	assert_int_equal(regcomp(&re, "^conf-([0-9]+)$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, "conf-42", 10, m, 0), 0);
	int rc = rg_sip_template(out, cap, tpl, "conf-42", m, 10, caller, "c123");
	regfree(&re);
	return rc ? NULL : out;
}

static void test_captures_caller_call(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(expand("room$1", "alice", out, sizeof out), "room42");
	assert_string_equal(expand("$0/${call}", "alice", out, sizeof out), "conf-42/c123");
	assert_string_equal(expand("Phone ${caller}", "+4930123456", out, sizeof out), "Phone +4930123456");
	assert_string_equal(expand("$7x", "bob", out, sizeof out), "x"); /* a group that did not take part */
	assert_string_equal(expand("${other}", "bob", out, sizeof out), "${other}");
	assert_null(expand("${caller}${caller}", "0123456789", out, 20)); /* does not fit */
}

static void test_caller_masked(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(expand("${caller_masked}", "+4930123456", out, sizeof out), "+xxxxxx3456");
	assert_string_equal(expand("tel_${caller_masked}", "004930123456", out, sizeof out), "tel_xxxxxxxx3456");
	assert_string_equal(expand("${caller_masked}", "1234", out, sizeof out), "1234");
	assert_string_equal(expand("${caller_masked}", "12345", out, sizeof out), "x2345");
	assert_string_equal(expand("${caller_masked}", "alice", out, sizeof out), "alice");
	assert_string_equal(expand("${caller_masked}", "ext.100200", out, sizeof out), "ext.xx0200");
	assert_string_equal(expand("${caller_masked}", "", out, sizeof out), "");
	assert_null(expand("${caller_masked}", "+4930123456", out, 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures_caller_call),
		cmocka_unit_test(test_caller_masked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
