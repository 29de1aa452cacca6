/* Webhooks, pure parts: the signature (against a vector computed with
 * `openssl dgst -sha256 -hmac`), the body, event filters, URL redaction and
 * the retry schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/events.h"
#include "hooks/webhooks.h"

#define BODY "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"room.created\",\"timestamp\":1700000000123,\"data\":{\"room_id\":\"r1\"}}"

static void test_signature_vector(void **state)
{
	(void)state;
	/* printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac 'whsec-test-0123456789' */
	const char *secret = "whsec-test-0123456789";
	char sig[RG_WEBHOOK_SIG_LEN];
	assert_int_equal(rg_webhook_sign(sig, secret, strlen(secret), 1700000000, BODY, strlen(BODY)), 0);
	assert_string_equal(sig, "v1=5ac259f057c40db11aa5cc50840b70a98c7acb0e358314f65efb3c317894484c");
	/* printf '%s' '0.' | openssl dgst -sha256 -hmac 'k' (empty body) */
	assert_int_equal(rg_webhook_sign(sig, "k", 1, 0, "", 0), 0);
	assert_string_equal(sig, "v1=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
}

static void test_signature_covers_timestamp_secret_and_body(void **state)
{
	(void)state;
	const char *secret = "whsec-test-0123456789";
	char a[RG_WEBHOOK_SIG_LEN], b[RG_WEBHOOK_SIG_LEN];
	assert_int_equal(rg_webhook_sign(a, secret, strlen(secret), 1700000000, BODY, strlen(BODY)), 0);
	assert_int_equal(rg_webhook_sign(b, secret, strlen(secret), 1700000001, BODY, strlen(BODY)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(rg_webhook_sign(b, "whsec-test-0123456788", strlen(secret), 1700000000, BODY, strlen(BODY)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(rg_webhook_sign(b, secret, strlen(secret), 1700000000, BODY, strlen(BODY) - 1), 0);
	assert_string_not_equal(a, b);
	/* the secret length counts, not a NUL */
	assert_int_equal(rg_webhook_sign(b, "whsec-test-0123456789XYZ", strlen(secret), 1700000000, BODY,
					 strlen(BODY)), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), RG_WEBHOOK_SIG_LEN - 1);
	assert_memory_equal(a, "v1=", 3);
}

static void test_body(void **state)
{
	(void)state;
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "room_id", "r1");
	char *body = rg_webhook_body("0123456789abcdef0123456789abcdef", "room.created", 1700000000123LL, data);
	assert_non_null(body);
	assert_string_equal(body, BODY);
	cJSON_free(body);
	/* data is referenced, not taken */
	assert_string_equal(cJSON_GetObjectItem(data, "room_id")->valuestring, "r1");
	cJSON_Delete(data);
	body = rg_webhook_body("x", "user.left", 5, NULL);
	assert_string_equal(body, "{\"id\":\"x\",\"type\":\"user.left\",\"timestamp\":5,\"data\":{}}");
	cJSON_free(body);
	/* strings are JSON-escaped */
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "user_name", "a\"b\\c\n");
	body = rg_webhook_body("x", "user.joined", 1, data);
	assert_string_equal(body, "{\"id\":\"x\",\"type\":\"user.joined\",\"timestamp\":1,\"data\":{\"user_name\":\"a\\\"b\\\\c\\n\"}}");
	cJSON_free(body);
	cJSON_Delete(data);
}

static void test_pattern_match(void **state)
{
	(void)state;
	assert_true(rg_event_pattern_match("*", "room.created"));
	assert_true(rg_event_pattern_match("*", "sip.dtmf"));
	assert_true(rg_event_pattern_match("room.*", "room.created"));
	assert_true(rg_event_pattern_match("room.*", "room.closed"));
	assert_false(rg_event_pattern_match("room.*", "user.joined"));
	assert_false(rg_event_pattern_match("room.*", "roomx.created"));
	assert_false(rg_event_pattern_match("room.*", "room"));
	assert_true(rg_event_pattern_match("user.left", "user.left"));
	assert_false(rg_event_pattern_match("user.left", "user.joined"));
	assert_false(rg_event_pattern_match("user.lef", "user.left"));
	assert_false(rg_event_pattern_match("user.left", "user.left.x"));
}

static void test_pattern_valid(void **state)
{
	(void)state;
	const char *good[] = { "*", "room.*", "user.*", "stream.*", "recording.*", "sip.*", "talking.*",
			       "rtp_endpoint.*", "mix.*", "room.created", "recording.failed", "sip.dtmf" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(rg_event_pattern_valid(good[i]));
	const char *bad[] = { "", "rooms.*", "room", "room.", "*.*", "room.*.x", "room.created.x",
			      "Room.created", "room.create", ".*", "**", "user.*x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(rg_event_pattern_valid(bad[i]));
	/* every catalogued type is its own valid pattern and in a valid category */
	for (const char *const *t = rg_event_types; *t; t++) {
		char cat[64];
		assert_true(rg_event_pattern_valid(*t));
		size_t n = strcspn(*t, ".");
		memcpy(cat, *t, n);
		strcpy(cat + n, ".*");
		assert_true(rg_event_pattern_valid(cat));
		assert_true(rg_event_pattern_match(cat, *t));
	}
}

static void test_endpoint_filter(void **state)
{
	(void)state;
	struct rg_config_webhook h;
	memset(&h, 0, sizeof h);
	strcpy(h.events[0], "room.*");
	strcpy(h.events[1], "user.left");
	h.n_events = 2;
	assert_true(rg_webhook_wants(&h, "room.created"));
	assert_true(rg_webhook_wants(&h, "user.left"));
	assert_false(rg_webhook_wants(&h, "user.joined"));
	assert_false(rg_webhook_wants(&h, "stream.added"));
	h.n_events = 0;
	assert_false(rg_webhook_wants(&h, "room.created"));
}

static void test_url_redact(void **state)
{
	(void)state;
	char out[256];
	rg_webhook_url_redact(out, sizeof out, "https://user:pw@hooks.example.com:8443/in/roomgate?token=abc#frag");
	assert_string_equal(out, "https://hooks.example.com:8443/in/roomgate");
	rg_webhook_url_redact(out, sizeof out, "http://127.0.0.1:9000");
	assert_string_equal(out, "http://127.0.0.1:9000");
	rg_webhook_url_redact(out, sizeof out, "http://h?k=v");
	assert_string_equal(out, "http://h");
	rg_webhook_url_redact(out, sizeof out, "http://a@b@h/p");
	assert_string_equal(out, "http://h/p");
	rg_webhook_url_redact(out, 8, "http://example.com/");
	assert_string_equal(out, "http://");
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(rg_webhook_backoff_ms(1, 1000, 60000), 1000);
	assert_int_equal(rg_webhook_backoff_ms(2, 1000, 60000), 2000);
	assert_int_equal(rg_webhook_backoff_ms(3, 1000, 60000), 4000);
	assert_int_equal(rg_webhook_backoff_ms(6, 1000, 60000), 32000);
	assert_int_equal(rg_webhook_backoff_ms(7, 1000, 60000), 60000);
	assert_int_equal(rg_webhook_backoff_ms(100, 1000, 60000), 60000);
	assert_int_equal(rg_webhook_backoff_ms(100, 3600000, 3600000), 3600000);
	assert_int_equal(rg_webhook_backoff_ms(0, 50, 400), 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_signature_covers_timestamp_secret_and_body),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_pattern_valid),
		cmocka_unit_test(test_endpoint_filter),
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
