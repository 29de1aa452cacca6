/* Unit tests for sip/digest (RFC 2617's example, header parsing, stateless
 * nonces) and core/cidr (IPv4, IPv6, mapped addresses, refusals). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/cidr.h"
#include "sip/digest.h"

/* RFC 2617 section 3.5 (the method is GET there). */
static void test_rfc2617_vector(void **state)
{
	(void)state;
	char r[RG_SIP_DIGEST_HEX_LEN + 1];
	rg_sip_digest_response(r, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
			       "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth");
	assert_string_equal(r, "6629fae49393a05397450978507c4ef1");
	const char *hdr = "Digest username=\"Mufasa\",\n realm=\"testrealm@host.com\",\n"
			  " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\n uri=\"/dir/index.html\",\n"
			  " qop=auth,\n nc=00000001,\n cnonce=\"0a4f113b\",\n"
			  " response=\"6629fae49393a05397450978507c4ef1\",\n opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct rg_sip_digest d;
	assert_int_equal(rg_sip_digest_parse(&d, hdr, strlen(hdr)), 0);
	assert_string_equal(d.username, "Mufasa");
	assert_string_equal(d.realm, "testrealm@host.com");
	assert_string_equal(d.uri, "/dir/index.html");
	assert_string_equal(d.qop, "auth");
	assert_string_equal(d.nc, "00000001");
	assert_string_equal(d.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
	assert_true(rg_sip_digest_verify(&d, "GET", "Circle Of Life"));
	assert_false(rg_sip_digest_verify(&d, "GET", "Circle of Life"));
	assert_false(rg_sip_digest_verify(&d, "INVITE", "Circle Of Life"));
	/* upper-case hex in the response is the same response */
	strcpy(d.response, "6629FAE49393A05397450978507C4EF1");
	assert_true(rg_sip_digest_verify(&d, "GET", "Circle Of Life"));
	d.response[31] = '\0';
	assert_false(rg_sip_digest_verify(&d, "GET", "Circle Of Life"));
}

static void test_rfc2069_without_qop(void **state)
{
	(void)state;
	/* MD5(HA1:nonce:HA2), computed independently (Python hashlib) */
	char r[RG_SIP_DIGEST_HEX_LEN + 1];
	rg_sip_digest_response(r, "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
			       "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL, NULL);
	assert_string_equal(r, "670fd8c2df070c60b045671b8b24ff02");
}

static int parse(const char *s)
{
	struct rg_sip_digest d;
	return rg_sip_digest_parse(&d, s, strlen(s));
}

static void test_parse_errors(void **state)
{
	(void)state;
	const char *ok = "Digest username=bob, realm=\"r\", nonce=\"n\", uri=\"sip:x@y\", response=\"00\"";
	assert_int_equal(parse(ok), 0);
	/* SIPp's form: algorithm=MD5, quoted escapes, unknown parameters */
	assert_int_equal(parse("Digest username=\"a\\\"b\",realm=\"r\",cnonce=\"6b8b4567\",nc=00000001,qop=auth,"
			       "uri=\"sip:1@2\",nonce=\"n\",response=\"x\",algorithm=MD5,foo=\"bar\""), 0);
	struct rg_sip_digest d;
	const char *esc = "Digest username=\"a\\\"b\", realm=r, nonce=n, uri=u, response=x";
	assert_int_equal(rg_sip_digest_parse(&d, esc, strlen(esc)), 0);
	assert_string_equal(d.username, "a\"b");
	assert_int_equal(parse(""), -EINVAL);
	assert_int_equal(parse("Basic dXNlcjpwYXNz"), -EINVAL);
	assert_int_equal(parse("Digest"), -EINVAL);
	assert_int_equal(parse("Digest username=bob"), -EINVAL);                   /* missing fields */
	assert_int_equal(parse("Digest username=\"bob, realm=r"), -EINVAL);        /* unterminated */
	assert_int_equal(parse("Digest username=bob realm=r"), -EINVAL);           /* no comma */
	assert_int_equal(parse("Digest username=a, username=b, realm=r, nonce=n, uri=u, response=x"), -EINVAL);
	assert_int_equal(parse("Digest username=a, realm=r, nonce=n, uri=u, response=x, qop=auth"), -EINVAL);
	assert_int_equal(parse("Digest username=a, realm=r, nonce=n, uri=u, response=x, algorithm=SHA-256"), -ENOTSUP);
	assert_int_equal(parse("Digest username=a, realm=r, nonce=n, uri=u, response=x, qop=auth-int, nc=1, cnonce=c"),
			 -ENOTSUP);
	char big[1200] = "Digest username=\"";
	memset(big + strlen(big), 'a', 600);
	strcat(big, "\", realm=r, nonce=n, uri=u, response=x");
	assert_int_equal(parse(big), -EINVAL);
}

static void test_nonce(void **state)
{
	(void)state;
	const uint8_t key[32] = { 1, 2, 3 }, other[32] = { 9 };
	char n[RG_SIP_NONCE_MAX + 1];
	assert_int_equal(rg_sip_nonce_make(n, sizeof n, key, sizeof key, "roomgate", 1700000000), 0);
	assert_int_equal(strlen(n), 8 + 1 + 64);
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "roomgate", 1700000000, 300), 0);
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "roomgate", 1700000300, 300), 0);
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "roomgate", 1700000301, 300), -ETIMEDOUT);
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "roomgate", 1699999000, 300), -ETIMEDOUT);
	assert_int_equal(rg_sip_nonce_check(n, other, sizeof other, "roomgate", 1700000000, 300), -EINVAL);
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "elsewhere", 1700000000, 300), -EINVAL);
	n[0] = n[0] == '6' ? '7' : '6'; /* another time under the same MAC */
	assert_int_equal(rg_sip_nonce_check(n, key, sizeof key, "roomgate", 1700000000, 300), -EINVAL);
	assert_int_equal(rg_sip_nonce_check("", key, sizeof key, "roomgate", 1, 300), -EINVAL);
	assert_int_equal(rg_sip_nonce_check("dcd98b7102dd2f0e8b11d0f600bfb0c093", key, sizeof key, "roomgate", 1, 300),
			 -EINVAL);
	char small[40];
	assert_int_equal(rg_sip_nonce_make(small, sizeof small, key, sizeof key, "roomgate", 1), -ENOSPC);
}

static bool in(const char *cidr, const char *ip)
{
	struct rg_cidr c;
	uint8_t a[16];
	assert_int_equal(rg_cidr_parse(&c, cidr), 0);
	bool v6 = strchr(ip, ':') != NULL;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, ip, a), 1);
	return rg_cidr_match(&c, v6, a);
}

static void test_cidr(void **state)
{
	(void)state;
	assert_true(in("10.0.0.0/8", "10.200.3.4"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("10.9.9.0/24", "10.9.9.255"));
	assert_false(in("10.9.9.0/24", "10.9.8.255"));
	assert_true(in("192.168.1.128/25", "192.168.1.200"));
	assert_false(in("192.168.1.128/25", "192.168.1.127"));
	assert_true(in("127.0.0.1", "127.0.0.1"));
	assert_false(in("127.0.0.1", "127.0.0.2"));
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_false(in("0.0.0.0/0", "::1"));
	assert_true(in("127.0.0.0/8", "::ffff:127.0.0.1")); /* IPv4-mapped */
	assert_true(in("2001:db8::/32", "2001:db8:1::5"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1"));
	assert_false(in("2001:db8:0:0:8000::/65", "2001:db8::7fff:0:0:1"));
	assert_true(in("::1", "::1"));
	assert_true(in("::/0", "fe80::1"));
	assert_false(in("::1/128", "127.0.0.1"));
	struct rg_cidr c;
	const char *bad[] = { "", "/8", "10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8",
			      "2001:db8::1/32", "::/129", "host.example/24", "10.0.0.0/0008", NULL };
	for (const char **b = bad; *b; b++)
		assert_int_equal(rg_cidr_parse(&c, *b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_vector),
		cmocka_unit_test(test_rfc2069_without_qop),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
