/* Config "webhooks": parsing, defaults, errors that name the field and its
 * position, ROOMGATE_WEBHOOK_* overrides, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static int parse(struct rg_config *c, const char *text, char *err)
{
	rg_config_defaults(c);
	return rg_config_parse(c, "t.jsonc", text, strlen(text), err, 512);
}

static void base(struct rg_config *c)
{
	strcpy(c->server_secret, "ffffffffffffffffffffffffffffffff");
	strcpy(c->admin_key, "a-real-admin-key-of-some-length");
}

static void test_parse_and_defaults(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	rg_config_defaults(&c);
	assert_int_equal(c.n_webhooks, 0);
	const char *t = "{\"webhooks\": [\n"
			"  {\"url\": \"https://hooks.example.com/in\", \"secret\": \"0123456789abcdef\"},\n"
			"  {\"url\": \"http://127.0.0.1:9000/x\", \"secret\": \"fedcba9876543210\",\n"
			"   \"events\": [\"room.*\", \"user.left\"], \"timeout_ms\": 2000, \"max_attempts\": 3,\n"
			"   \"backoff_ms\": 100, \"max_backoff_ms\": 400, \"queue\": 10},\n"
			"]}";
	assert_int_equal(parse(&c, t, err), 0);
	assert_int_equal(c.n_webhooks, 2);
	assert_string_equal(c.webhooks[0].url, "https://hooks.example.com/in");
	assert_string_equal(c.webhooks[0].secret, "0123456789abcdef");
	assert_int_equal(c.webhooks[0].n_events, 1);
	assert_string_equal(c.webhooks[0].events[0], "*");
	assert_int_equal(c.webhooks[0].timeout_ms, 5000);
	assert_int_equal(c.webhooks[0].max_attempts, 8);
	assert_int_equal(c.webhooks[0].backoff_ms, 1000);
	assert_int_equal(c.webhooks[0].max_backoff_ms, 60000);
	assert_int_equal(c.webhooks[0].queue, 1000);
	assert_int_equal(c.webhooks[1].n_events, 2);
	assert_string_equal(c.webhooks[1].events[1], "user.left");
	assert_int_equal(c.webhooks[1].timeout_ms, 2000);
	assert_int_equal(c.webhooks[1].max_attempts, 3);
	assert_int_equal(c.webhooks[1].backoff_ms, 100);
	assert_int_equal(c.webhooks[1].max_backoff_ms, 400);
	assert_int_equal(c.webhooks[1].queue, 10);
	base(&c);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	/* a later "webhooks" replaces the earlier list */
	assert_int_equal(parse(&c, "{\"webhooks\": [{\"url\": \"http://a/\"}, {\"url\": \"http://b/\"}],"
				   " \"webhooks\": [{\"url\": \"http://c/\"}]}", err), 0);
	assert_int_equal(c.n_webhooks, 1);
	assert_string_equal(c.webhooks[0].url, "http://c/");
	assert_int_equal(parse(&c, "{\"webhooks\": []}", err), 0);
	assert_int_equal(c.n_webhooks, 0);
}

#define ERR(text, where, what)                                   \
	do {                                                     \
		assert_int_equal(parse(&c, text, err), -22);     \
		if (!strstr(err, where) || !strstr(err, what))   \
			fail_msg("unexpected error: %s", err);   \
	} while (0)

static void test_errors_name_the_field(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	ERR("{\"webhooks\": {}}", "t.jsonc:1:2: key \"webhooks\"", "expected an array");
	ERR("{\"webhooks\": [3]}", "key \"webhooks[0]\"", "expected an object");
	ERR("{\"webhooks\": [{\"secret\": \"0123456789abcdef\"}]}", "t.jsonc:1:15: key \"webhooks[0]\"",
	    "\"url\" is required");
	ERR("{\"webhooks\": [\n{\"url\": \"http://a/\"},\n{\"url\": \"ftp://h/x\"}]}",
	    "t.jsonc:3:2: key \"webhooks[1].url\"", "http:// or https://");
	ERR("{\"webhooks\": [{\"url\": \"http:///x\"}]}", "webhooks[0].url", "no host");
	ERR("{\"webhooks\": [{\"url\": \"https://user:pw@/x\"}]}", "webhooks[0].url", "no host");
	ERR("{\"webhooks\": [{\"url\": \"http://a b/\"}]}", "webhooks[0].url", "space");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"secret\": 5}]}", "webhooks[0].secret", "expected a string");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"events\": []}]}", "webhooks[0].events", "at least one");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"events\": \"*\"}]}", "webhooks[0].events", "expected an array");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\",\n \"events\": [\"room.*\", \"rooms.*\"]}]}",
	    "t.jsonc:2:23: key \"webhooks[0].events[1]\"", "\"rooms.*\": unknown event type");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"events\": [1]}]}", "webhooks[0].events[0]", "expected a string");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"max_attempts\": 0}]}", "webhooks[0].max_attempts",
	    "out of range 1..100");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"queue\": 1.5}]}", "webhooks[0].queue", "unsigned integer");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"retries\": 3}]}", "webhooks[0].retries", "unknown key");
	ERR("{\"webhooks\": [{\"url\": \"http://a/\"},{\"url\": \"http://a/\"},{\"url\": \"http://a/\"},"
	    "{\"url\": \"http://a/\"},{\"url\": \"http://a/\"},{\"url\": \"http://a/\"},{\"url\": \"http://a/\"},"
	    "{\"url\": \"http://a/\"},{\"url\": \"http://a/\"}]}", "key \"webhooks\"", "at most 8");
	/* the secret is never repeated in a message */
	ERR("{\"webhooks\": [{\"url\": \"http://a/\", \"secret\": \"s3cr3t-value-xyz\", \"x\": 1}]}", "webhooks[0].x",
	    "unknown key");
	assert_null(strstr(err, "s3cr3t"));
}

static void test_validation(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	assert_int_equal(parse(&c, "{\"webhooks\": [{\"url\": \"http://a/\"}]}", err), 0);
	base(&c);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_string_equal(err, "webhooks[0].secret: must be at least 16 characters (got 0)");
	strcpy(c.webhooks[0].secret, "0123456789abcdef");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	c.webhooks[0].max_backoff_ms = 10;
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "webhooks[0].max_backoff_ms"));
}

static void test_env(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	/* a new endpoint from the environment */
	rg_config_defaults(&c);
	setenv("ROOMGATE_WEBHOOK_URL", "https://hooks.example.com/rg", 1);
	setenv("ROOMGATE_WEBHOOK_SECRET", "env-secret-0123456789", 1);
	setenv("ROOMGATE_WEBHOOK_EVENTS", "room.*, user.left", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), 0);
	assert_int_equal(c.n_webhooks, 1);
	assert_string_equal(c.webhooks[0].url, "https://hooks.example.com/rg");
	assert_string_equal(c.webhooks[0].secret, "env-secret-0123456789");
	assert_int_equal(c.webhooks[0].n_events, 2);
	assert_string_equal(c.webhooks[0].events[0], "room.*");
	assert_string_equal(c.webhooks[0].events[1], "user.left");
	assert_int_equal(c.webhooks[0].max_attempts, 8);
	/* over the file's only endpoint: its other settings stay */
	unsetenv("ROOMGATE_WEBHOOK_URL");
	unsetenv("ROOMGATE_WEBHOOK_EVENTS");
	assert_int_equal(parse(&c, "{\"webhooks\": [{\"url\": \"http://a/\", \"queue\": 7}]}", err), 0);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), 0);
	assert_string_equal(c.webhooks[0].url, "http://a/");
	assert_string_equal(c.webhooks[0].secret, "env-secret-0123456789");
	assert_int_equal(c.webhooks[0].queue, 7);
	/* errors */
	assert_int_equal(parse(&c, "{\"webhooks\": [{\"url\": \"http://a/\"}, {\"url\": \"http://b/\"}]}", err), 0);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "2 webhook endpoints"));
	rg_config_defaults(&c);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "ROOMGATE_WEBHOOK_SECRET"));
	assert_non_null(strstr(err, "ROOMGATE_WEBHOOK_URL"));
	assert_null(strstr(err, "env-secret"));
	unsetenv("ROOMGATE_WEBHOOK_SECRET");
	setenv("ROOMGATE_WEBHOOK_URL", "mailto:x@example.com", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_string_equal(err, "ROOMGATE_WEBHOOK_URL (webhooks[0].url): expected an http:// or https:// URL");
	setenv("ROOMGATE_WEBHOOK_URL", "http://a/", 1);
	setenv("ROOMGATE_WEBHOOK_EVENTS", "room.*,bogus", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "ROOMGATE_WEBHOOK_EVENTS (webhooks[0].events): \"bogus\""));
	setenv("ROOMGATE_WEBHOOK_EVENTS", " , ", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	unsetenv("ROOMGATE_WEBHOOK_URL");
	unsetenv("ROOMGATE_WEBHOOK_EVENTS");
}

static void test_locate_array_elements(void **state)
{
	(void)state;
	const char *t = "{\"w\": [ {\"u\": 1}, {\"u\": 2, \"e\": [\"a\", \"b\"]} ], \"x\": 3}";
	size_t n = strlen(t);
	assert_int_equal(rg_jsonc_locate(t, n, "w[0]"), (size_t)(strstr(t, "{\"u\": 1}") - t));
	assert_int_equal(rg_jsonc_locate(t, n, "w[1].u"), (size_t)(strstr(t, "\"u\": 2") - t));
	assert_int_equal(rg_jsonc_locate(t, n, "w[1].e[1]"), (size_t)(strstr(t, "\"b\"") - t));
	assert_int_equal(rg_jsonc_locate(t, n, "w[2]"), (size_t)-1);
	assert_int_equal(rg_jsonc_locate(t, n, "x[0]"), (size_t)-1);
	assert_int_equal(rg_jsonc_locate(t, n, "w[x]"), (size_t)-1);
	assert_int_equal(rg_jsonc_locate(t, n, "x"), (size_t)(strstr(t, "\"x\"") - t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_defaults),
		cmocka_unit_test(test_errors_name_the_field),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_locate_array_elements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
