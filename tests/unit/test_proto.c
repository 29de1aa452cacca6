/* Client message validation (signal/proto.c) and room ID rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "room/room.h"
#include "signal/proto.h"

static int parse(struct rg_request *r, const char *s, char *err)
{
	return rg_proto_parse(r, s, strlen(s), err, 256);
}

static void test_login_ok(void **state)
{
	(void)state;
	struct rg_request r;
	char err[256];
	assert_int_equal(parse(&r, "{\"v\":1,\"id\":7,\"type\":\"login\",\"room_id\":\"r\",\"token\":\"t\","
				   "\"user\":{\"user_id\":\"u\",\"user_name\":\"N\"},\"user_update\":true}", err), 0);
	assert_int_equal(r.type, RG_REQ_LOGIN);
	assert_string_equal(r.u.login.room_id, "r");
	assert_string_equal(r.u.login.user_id, "u");
	assert_string_equal(r.u.login.user_name, "N");
	assert_true(r.u.login.user_update);
	assert_int_equal((int)r.id->valuedouble, 7);
	char *resp = rg_proto_response_ok(r.id, NULL);
	assert_string_equal(resp, "{\"v\":1,\"type\":\"response\",\"id\":7,\"ok\":true,\"data\":{}}");
	free(resp);
	rg_proto_request_free(&r);
}

static void expect_field_error(const char *msg, int code, const char *field)
{
	struct rg_request r;
	char err[256];
	assert_int_equal(parse(&r, msg, err), code);
	if (field)
		assert_non_null(strstr(err, field));
	rg_proto_request_free(&r);
}

static void test_errors(void **state)
{
	(void)state;
	expect_field_error("not json", -RG_E_BAD_JSON, NULL);
	expect_field_error("[1]", -RG_E_BAD_REQUEST, NULL);
	expect_field_error("{\"id\":1}", -RG_E_INVALID_FIELD, "\"type\"");
	expect_field_error("{\"type\":\"fly\"}", -RG_E_INVALID_FIELD, "unknown message type");
	expect_field_error("{\"v\":2,\"type\":\"heartbeat\"}", -RG_E_INVALID_FIELD, "\"v\"");
	expect_field_error("{\"id\":{},\"type\":\"heartbeat\"}", -RG_E_INVALID_FIELD, "\"id\"");
	expect_field_error("{\"type\":\"login\",\"room_id\":\"r\",\"token\":\"t\"}", -RG_E_INVALID_FIELD, "\"user\"");
	expect_field_error("{\"type\":\"login\",\"room_id\":5,\"token\":\"t\",\"user\":{}}", -RG_E_INVALID_FIELD, "\"room_id\"");
	expect_field_error("{\"type\":\"login\",\"room_id\":\"r\",\"token\":\"t\",\"user\":{\"user_id\":\"u\"},\"user_update\":1}",
			   -RG_E_INVALID_FIELD, "\"user_update\"");
	expect_field_error("{\"type\":\"publish\"}", -RG_E_INVALID_FIELD, "\"stream_id\"");
	expect_field_error("{\"type\":\"publish\",\"stream_id\":\"s\",\"extra_info\":[]}", -RG_E_INVALID_FIELD, "\"extra_info\"");
	expect_field_error("{\"type\":\"resume\",\"session_id\":\"a\",\"resume_token\":\"b\",\"last_seq\":-1}",
			   -RG_E_INVALID_FIELD, "\"last_seq\"");
	expect_field_error("{\"type\":\"renew_token\"}", -RG_E_INVALID_FIELD, "\"token\"");
}

static void test_error_response_keeps_id(void **state)
{
	(void)state;
	struct rg_request r;
	char err[256];
	assert_int_not_equal(parse(&r, "{\"id\":\"abc\",\"type\":\"nope\"}", err), 0);
	char *resp = rg_proto_response_error(r.id, -RG_E_INVALID_FIELD, err);
	assert_non_null(strstr(resp, "\"id\":\"abc\""));
	assert_non_null(strstr(resp, "\"ok\":false"));
	assert_non_null(strstr(resp, "\"name\":\"invalid_field\""));
	free(resp);
	rg_proto_request_free(&r);
	resp = rg_proto_response_error(NULL, -RG_E_TOKEN_EXPIRED, NULL);
	assert_non_null(strstr(resp, "\"code\":1102018"));
	assert_non_null(strstr(resp, "\"id\":null"));
	free(resp);
}

static void test_id_rules(void **state)
{
	(void)state;
	assert_int_equal(rg_validate_user_id("a~!@#$%^&*()_+=-`;',.Z9"), 0);
	assert_int_equal(rg_validate_user_id(""), -RG_E_USER_ID_EMPTY);
	assert_int_equal(rg_validate_user_id("a b"), -RG_E_USER_ID_ILLEGAL);
	assert_int_equal(rg_validate_user_id("\xc3\xa9"), -RG_E_USER_ID_ILLEGAL);
	char long_id[70];
	memset(long_id, 'a', 65);
	long_id[65] = 0;
	assert_int_equal(rg_validate_user_id(long_id), -RG_E_USER_ID_LONG);
	long_id[64] = 0;
	assert_int_equal(rg_validate_user_id(long_id), 0);
	assert_int_equal(rg_validate_stream_id("abc_DEF-123"), 0);
	assert_int_equal(rg_validate_stream_id("a.b"), -RG_E_STREAM_ID_ILLEGAL);
	assert_int_equal(rg_validate_stream_id(""), -RG_E_STREAM_ID_EMPTY);
	assert_int_equal(rg_validate_room_id("room/1"), -RG_E_ROOM_ID_ILLEGAL);
	assert_int_equal(rg_validate_room_id(NULL), -RG_E_ROOM_ID_EMPTY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_ok),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_response_keeps_id),
		cmocka_unit_test(test_id_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
