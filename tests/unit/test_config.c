/* Config: JSONC stripping, key/type/range errors with positions, env
 * overrides, validation rules, the built-in default. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static int parse(struct rg_config *c, const char *text, char *err)
{
	rg_config_defaults(c);
	return rg_config_parse(c, "t.jsonc", text, strlen(text), err, 512);
}

static void test_defaults_and_embedded(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	rg_config_defaults(&c);
	assert_int_equal(c.http_port, 8080);
	assert_string_equal(c.http_host, "127.0.0.1");
	assert_int_equal(c.max_users_per_room, 500);
	assert_int_equal(rg_config_parse(&c, "embedded", rg_config_embedded, rg_config_embedded_len, err, sizeof err), 0);
	assert_int_equal(c.app_id, 1);
	assert_true(c.dev_token_endpoint);
	assert_int_equal(strlen(c.server_secret), 32);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
}

static void test_comments_and_trailing_commas(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	const char *t = "// top\n{\n  /* block\n comment */ \"app_id\": 42, // tail\n"
			"  \"http\": { \"listen\": \"[::1]:9000\", },\n"
			"  \"log\": { \"level\": \"debug\", \"subsystems\": { \"http\": \"error\" } },\n}\n";
	assert_int_equal(parse(&c, t, err), 0);
	assert_int_equal(c.app_id, 42);
	assert_string_equal(c.http_host, "::1");
	assert_int_equal(c.http_port, 9000);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_HTTP), RG_LOG_ERROR);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_ROOM), RG_LOG_DEBUG);
	/* the order of "level" and "subsystems" does not matter */
	assert_int_equal(parse(&c, "{\"log\": {\"subsystems\": {\"http\": \"error\"}, \"level\": \"warn\"}}", err), 0);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_HTTP), RG_LOG_ERROR);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_MAIN), RG_LOG_WARN);
	/* media.mix_threads: not given means one less than the CPUs (media.c); 0 is none */
	assert_int_equal(parse(&c, "{}", err), 0);
	assert_int_equal(c.mix_threads, RG_CFG_MIX_THREADS_AUTO);
	assert_int_equal(parse(&c, "{\"media\": {\"mix_threads\": 0}}", err), 0);
	assert_int_equal(c.mix_threads, 0);
	assert_int_equal(parse(&c, "{\"media\": {\"mix_threads\": 65}}", err), -22);
	assert_non_null(strstr(err, "media.mix_threads"));
	/* a "//" inside a string is not a comment */
	assert_int_equal(parse(&c, "{\"http\":{\"web_root\":\"a//b/*c*/\"}}", err), 0);
	assert_string_equal(c.web_root, "a//b/*c*/");
}

static void test_errors_name_key_and_position(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	assert_int_equal(parse(&c, "{\n  \"http\": {\n    \"lisen\": \"x\"\n  }\n}", err), -22);
	assert_non_null(strstr(err, "t.jsonc:3:5"));
	assert_non_null(strstr(err, "http.lisen"));
	assert_non_null(strstr(err, "unknown key"));
	assert_int_equal(parse(&c, "{\"app_id\": \"one\"}", err), -22);
	assert_non_null(strstr(err, "t.jsonc:1:2"));
	assert_non_null(strstr(err, "unsigned integer"));
	assert_int_equal(parse(&c, "{\"limits\": {\"max_rooms\": 0}}", err), -22);
	assert_non_null(strstr(err, "limits.max_rooms"));
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(parse(&c, "{\"media\": {\"rtp_ports\": \"30000-20000\"}}", err), -22);
	assert_non_null(strstr(err, "media.rtp_ports"));
	assert_int_equal(parse(&c, "{\"media\": 3}", err), -22);
	assert_non_null(strstr(err, "expected an object"));
	assert_int_equal(parse(&c, "{\"log\": {\"subsystems\": {\"nope\": \"info\"}}}", err), -22);
	assert_non_null(strstr(err, "log.subsystems.nope"));
	assert_int_equal(parse(&c, "{\"app_id\": 1.5}", err), -22);
	assert_int_equal(parse(&c, "{\"dev_token_endpoint\": 1}", err), -22);
	assert_int_equal(parse(&c, "{\n\"app_id\": 1,\n\"x\" 2}", err), -22);
	assert_non_null(strstr(err, "t.jsonc:3:"));
	assert_non_null(strstr(err, "syntax"));
	assert_int_equal(parse(&c, "{ /* open", err), -22);
	assert_non_null(strstr(err, "unterminated"));
	assert_int_equal(parse(&c, "[]", err), -22);
}

static void test_env_overrides(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	rg_config_defaults(&c);
	setenv("ROOMGATE_HTTP_LISTEN", "0.0.0.0:8443", 1);
	setenv("ROOMGATE_APP_ID", "99", 1);
	setenv("ROOMGATE_RTP_PORTS", "30000-30099", 1);
	setenv("ROOMGATE_LOG_LEVEL", "warn,signal=debug", 1);
	setenv("ROOMGATE_PUBLIC_ADDRESS", "203.0.113.7", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), 0);
	assert_string_equal(c.http_host, "0.0.0.0");
	assert_int_equal(c.http_port, 8443);
	assert_int_equal(c.app_id, 99);
	assert_int_equal(c.rtp_port_min, 30000);
	assert_int_equal(c.rtp_port_max, 30099);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_MAIN), RG_LOG_WARN);
	assert_int_equal(rg_config_log_level(&c, RG_SUB_SIGNAL), RG_LOG_DEBUG);
	assert_string_equal(c.public_address, "203.0.113.7");
	setenv("ROOMGATE_APP_ID", "abc", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "ROOMGATE_APP_ID"));
	setenv("ROOMGATE_APP_ID", "+4", 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	unsetenv("ROOMGATE_APP_ID");
	char longs[80];
	memset(longs, 'x', 79);
	longs[79] = 0;
	setenv("ROOMGATE_SERVER_SECRET", longs, 1);
	assert_int_equal(rg_config_apply_env(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "too long"));
	unsetenv("ROOMGATE_SERVER_SECRET");
	unsetenv("ROOMGATE_APP_ID");
	unsetenv("ROOMGATE_HTTP_LISTEN");
	unsetenv("ROOMGATE_RTP_PORTS");
	unsetenv("ROOMGATE_LOG_LEVEL");
	unsetenv("ROOMGATE_PUBLIC_ADDRESS");
}

static void test_validate_refuses_example_secrets_beyond_loopback(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	rg_config_defaults(&c);
	assert_int_equal(rg_config_parse(&c, "embedded", rg_config_embedded, rg_config_embedded_len, err, sizeof err), 0);
	strcpy(c.http_host, "0.0.0.0");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "server_secret"));
	strcpy(c.server_secret, "ffffffffffffffffffffffffffffffff");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "admin_key"));
	strcpy(c.admin_key, "a-real-admin-key-of-some-length");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	strcpy(c.http_host, "127.0.0.1");
	strcpy(c.media_address, "10.0.0.5");
	strcpy(c.server_secret, "0123456789abcdef0123456789abcdef");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	strcpy(c.server_secret, "short");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "32"));
	strcpy(c.server_secret, "ffffffffffffffffffffffffffffffff");
	strcpy(c.media_address, "127.0.0.1");
	strcpy(c.http_host, "example.com");
	assert_int_equal(rg_config_validate(&c, err, sizeof err), -22);
	assert_non_null(strstr(err, "not an IP address"));
}

static void test_locate(void **state)
{
	(void)state;
	const char *t = "{\"a\": {\"b\": [1, {\"x\": 2}], \"c\": \"}\"}, \"d\": {\"e\": 1}}";
	size_t n = strlen(t);
	assert_int_equal(rg_jsonc_locate(t, n, "a.c"), (size_t)(strstr(t, "\"c\"") - t));
	assert_int_equal(rg_jsonc_locate(t, n, "d.e"), (size_t)(strstr(t, "\"e\"") - t));
	assert_int_equal(rg_jsonc_locate(t, n, "a.zz"), (size_t)-1);
}

static void expect_err(const char *text, const char *needle)
{
	struct rg_config c;
	char err[512] = "";
	int rc = parse(&c, text, err);
	if (!rc)
		rc = rg_config_validate(&c, err, sizeof err);
	if (rc != -EINVAL || !strstr(err, needle))
		fail_msg("%s\n  gave %d \"%s\", expected \"%s\"", text, rc, err, needle);
	assert_null(strstr(err, "s3cr3t")); /* passwords are never repeated */
}

#define BASE "{\"server_secret\":\"0123456789abcdef0123456789abcdef\",\"admin_key\":\"0123456789abcdefg\",\"sip\":{"

static void test_sip_trunks(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	const char *ok = BASE "\"trunks\":[{\"name\":\"prov\",\"address\":\"sip.example.com:5060\",\"username\":\"4930\","
			 "\"password\":\"s3cr3t\",\"register\":true},"
			 "{\"name\":\"pbx\",\"address\":\"[2001:db8::5]:5080\",\"transport\":\"tcp\",\"srtp\":\"required\","
			 "\"inbound\":{\"cidrs\":[\"10.0.0.0/8\",\"2001:db8::/32\"],\"username\":\"pbx\",\"password\":\"s3cr3t\"},"
			 "\"codecs\":\"pcmu\",\"max_calls\":4,\"from_user\":\"+4930\",\"display_name\":\"Rooms\"}],"
			 "\"dial_in\":[{\"user_regex\":\"^x$\",\"room\":\"r\",\"trunk\":\"pbx\"}]}}";
	assert_int_equal(parse(&c, ok, err), 0);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	assert_int_equal(c.n_sip_trunks, 2);
	assert_string_equal(c.sip_trunks[0].name, "prov");
	assert_true(c.sip_trunks[0].reg);
	assert_int_equal(c.sip_trunks[0].transport, RG_CFG_SIP_UDP);
	assert_int_equal(c.sip_trunks[0].register_expires_s, 600);
	assert_int_equal(c.sip_trunks[0].srtp, RG_CFG_SRTP_OFF);
	assert_int_equal(c.sip_trunks[1].transport, RG_CFG_SIP_TCP);
	assert_int_equal(c.sip_trunks[1].n_cidrs, 2);
	assert_string_equal(c.sip_trunks[1].in_username, "pbx");
	assert_int_equal(c.sip_trunks[1].srtp, RG_CFG_SRTP_REQUIRED);
	assert_int_equal(c.sip_trunks[1].max_calls, 4);
	assert_string_equal(c.sip_rules[0].trunk, "pbx");
	assert_string_equal(c.sip_realm, "roomgate");

	expect_err(BASE "\"trunks\":{}}}", "key \"sip.trunks\": expected an array");
	expect_err(BASE "\"trunks\":[{\"address\":\"a:1\"}]}}", "key \"sip.trunks[0]\": \"name\" is required");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\"},{\"name\":\"b\",\"address\":\"h:1\",\"transport\":\"sctp\"}]}}",
		   "sip.trunks[1].transport\": expected \"udp\", \"tcp\" or \"tls\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"transport\":\"tls\"}]}}",
		   "sip.trunks[0].transport: \"tls\" needs SIP over TLS (sip.tls_listen");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\"},{\"name\":\"a\",\"address\":\"h:1\"}]}}",
		   "sip.trunks[1].name\": \"a\" is the name of an earlier trunk");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h\"}]}}", "sip.trunks[0].address\": expected \"host:port\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:70000\"}]}}", "sip.trunks[0].address\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a b\",\"address\":\"h:1\"}]}}", "sip.trunks[0].name\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\"}]}}", "sip.trunks[0]\": \"address\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"register\":true}]}}",
		   "sip.trunks[0].register\": registration needs \"username\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"register_expires_s\":30}]}}",
		   "sip.trunks[0].register_expires_s\": expected an integer from 60 to 86400");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"srtp\":\"maybe\"}]}}", "sip.trunks[0].srtp\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"codecs\":\"opus,speex\"}]}}",
		   "sip.trunks[0].codecs\": unknown codec");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"username\":\"x:y\"}]}}", "sip.trunks[0].username\"");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"pasword\":\"s3cr3t\"}]}}",
		   "sip.trunks[0].pasword\": unknown key");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"inbound\":{\"cidrs\":[\"10.0.0.1/8\"]}}]}}",
		   "sip.trunks[0].inbound.cidrs[0]\": expected an address or a range");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"inbound\":{\"username\":\"u\"}}]}}",
		   "sip.trunks[0].inbound.password\": \"username\" and \"password\" go together");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"inbound\":{}}]}}",
		   "sip.trunks[0].inbound\": \"cidrs\" or");
	expect_err(BASE "\"trunks\":[{\"name\":\"a\",\"address\":\"h:1\",\"inbound\":{\"cidrs\":[],\"password\":\"s3cr3t\"}}]}}",
		   "sip.trunks[0].inbound.username\": \"username\" and \"password\" go together");
	expect_err(BASE "\"dial_in\":[{\"user_regex\":\"x\",\"room\":\"r\",\"trunk\":\"nope\"}]}}",
		   "sip.dial_in[0].trunk: no trunk named \"nope\"");
}

static void test_sip_tls(void **state)
{
	(void)state;
	char dir[] = "/tmp/rg-test-config-tls-XXXXXX", pem[64], text[512], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(pem, sizeof pem, "%s/agent.pem", dir);
	struct rg_config c;
#define TLS(listen, tls, cdir)                                                                                 \
	(snprintf(text, sizeof text, BASE "\"listen\":\"%s\",\"tls_listen\":\"%s\",\"tls_certificate_dir\":\"%s\"}}", \
		  listen, tls, cdir),                                                                          \
	 text)
	expect_err(TLS("127.0.0.1:5060", "127.0.0.1:5061", ""), "sip.tls_certificate_dir: required with sip.tls_listen");
	expect_err(TLS("", "127.0.0.1:5061", dir), "sip.tls_listen: needs sip.listen");
	expect_err(TLS("127.0.0.1:5060", "127.0.0.1:5060", dir), "sip.tls_listen: port 5060 is sip.listen's");
	expect_err(TLS("127.0.0.1:5060", "tls.example:5061", dir), "sip.tls_listen: \"tls.example:5061\" is not a numeric");
	expect_err(TLS("127.0.0.1:5060", "127.0.0.1:5061", dir), "agent.pem\" (no such file)");
	expect_err(TLS("127.0.0.1:5060", "127.0.0.1:5061", "/nonexistent-rg"), "\"/nonexistent-rg\": No such file");
	FILE *f = fopen(pem, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\n", f); /* contents are the SIP gateway's to check */
	fclose(f);
	expect_err(TLS("127.0.0.1:5060", "127.0.0.1:5061", pem), "is not a directory");
	assert_int_equal(parse(&c, TLS("127.0.0.1:5060", "127.0.0.1:5061", dir), err), 0);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	assert_string_equal(c.sip_tls_listen, "127.0.0.1:5061");
	assert_string_equal(c.sip_tls_cert_dir, dir);
	/* a trunk over TLS, with SIP over TLS configured */
	snprintf(text, sizeof text, BASE "\"listen\":\"127.0.0.1:5060\",\"tls_listen\":\"127.0.0.1:5061\","
		 "\"tls_certificate_dir\":\"%s\",\"trunks\":[{\"name\":\"t\",\"address\":\"sbc.example:5061\","
		 "\"transport\":\"tls\"}]}}", dir);
	assert_int_equal(parse(&c, text, err), 0);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	assert_int_equal(c.sip_trunks[0].transport, RG_CFG_SIP_TLS);
	/* the directory alone (no tls_listen) is not looked at */
	assert_int_equal(parse(&c, TLS("127.0.0.1:5060", "", "/nonexistent-rg"), err), 0);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
#undef TLS
	unlink(pem);
	rmdir(dir);
}

static void test_sip_refer(void **state)
{
	(void)state;
	struct rg_config c;
	char err[512];
	assert_int_equal(parse(&c, BASE "\"listen\":\"127.0.0.1:5060\"}}", err), 0);
	assert_false(c.sip_refer_follow); /* default: reject */
	assert_string_equal(c.sip_refer_allow, "");
	assert_int_equal(parse(&c, BASE "\"refer\":\"follow\",\"refer_allow\":\"^sip:[0-9]+@pbx\\\\.example$\"}}", err), 0);
	assert_int_equal(rg_config_validate(&c, err, sizeof err), 0);
	assert_true(c.sip_refer_follow);
	assert_string_equal(c.sip_refer_allow, "^sip:[0-9]+@pbx\\.example$");
	assert_int_equal(parse(&c, BASE "\"refer\":\"reject\"}}", err), 0);
	assert_false(c.sip_refer_follow);
	expect_err(BASE "\"refer\":\"transfer\"}}", "key \"sip.refer\": expected \"reject\" (REFER answered 405) or \"follow\"");
	expect_err(BASE "\"refer\":true}}", "key \"sip.refer\": expected \"reject\"");
	expect_err(BASE "\"refer\":\"follow\",\"refer_allow\":\"^sip:(\"}}", "sip.refer_allow: not a regular expression");
	expect_err(BASE "\"refer_allow\":7}}", "key \"sip.refer_allow\": expected a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_embedded),
		cmocka_unit_test(test_comments_and_trailing_commas),
		cmocka_unit_test(test_errors_name_key_and_position),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_validate_refuses_example_secrets_beyond_loopback),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_sip_trunks),
		cmocka_unit_test(test_sip_tls),
		cmocka_unit_test(test_sip_refer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
