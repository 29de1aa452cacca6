/* Unit tests of gateway/auth/token04.c against zego-compat.md §4: the two
 * reference vectors, every rejection path, payload rules and the result table.
 * Tokens with arbitrary plaintext are built here with EVP directly (craft_gcm),
 * independently of the generator under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token04.h"
#include "core/util.h"

#define SECRET "fa94dd0f974cf2e293728a526b028271"
#define OTHER_SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000000
#define EXPIRE 1700003600
#define VEC_NONCE 1073741824
#define RAW_CAP 8192
#define TOK_CAP (TOKEN04_MAX_LEN + 64)

static const char VEC_GCM[] =
	"04AAAAAGVT/xAADAABAgMEBQYHCAkKCwB0lo4HRoGUdkuLbKIoOhbZY6YpcMaBTLWHRtiSNdXNuWkV2JYrMFwJ"
	"xj/o66dvz9ZhcFKovcJRvmy9Usk+JCYUW5+3YhqWYhDecQNNcsuJDtmU41siKFY1AXBmoxFi4WWQelbxFXit5z"
	"PgSIT/8QCver0Bf6wB";
static const char VEC_CBC[] =
	"04AAAAAGVT/xAAEHplZ29pdnRlc3R2ZWN0b3IAcF0dsQcKumiPqKxTn4PH5s3/XSe9aLp02ZoFDFmb+kvobnOS"
	"/PVwurrcPIgfQhSNfF2HuNWWi7RxKRwFYgEyj+RdM3+6PcwvtQnM+7A3nmByfVVD3qFZIShFiFO820PMeWTlh5"
	"2V8oKP4T+ujLRpoLA=";
static const uint8_t IV_GCM[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static const char IV_CBC[] = "zegoivtestvector";
static const char VEC_PLAIN[] = "{\"app_id\":1,\"user_id\":\"demo\",\"nonce\":1073741824,"
				"\"ctime\":1700000000,\"expire\":1700003600,\"payload\":\"\"}";

/* ---- helpers ------------------------------------------------------------------ */

static struct token04_params vec_params(enum token04_mode mode)
{
	struct token04_params p = {
		.app_id = 1,
		.user_id = "demo",
		.secret = SECRET,
		.ctime = NOW,
		.ttl_s = 3600,
		.nonce = VEC_NONCE,
		.iv = mode == TOKEN04_MODE_GCM ? IV_GCM : (const uint8_t *)IV_CBC,
		.mode = mode,
		.payload = NULL,
	};
	return p;
}

static int verify_as(const char *token, const char *secret, uint32_t app, const char *user,
		     int64_t now)
{
	struct token04_claims c;
	int rc = token04_verify(&c, token, secret, app, user, now);

	token04_claims_clear(&c);
	return rc;
}

static int verify_demo(const char *token)
{
	return verify_as(token, SECRET, 1, "demo", NOW);
}

static size_t decode_raw(uint8_t *raw, const char *token)
{
	int n = rg_base64_decode(raw, RAW_CAP, token + 2, strlen(token) - 2);

	assert_true(n > 0);
	return (size_t)n;
}

static void encode_raw(char *out, const uint8_t *raw, size_t len)
{
	out[0] = '0';
	out[1] = '4';
	assert_true(rg_base64_encode(out + 2, TOK_CAP - 2, raw, len) >= 0);
}

static int verify_raw(const uint8_t *raw, size_t len)
{
	char tok[TOK_CAP];

	encode_raw(tok, raw, len);
	return verify_demo(tok);
}

static uint8_t *put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return p + n;
}

/* A GCM token with any plaintext and header expire, encrypted here with EVP. */
static void craft_gcm(char *out, int64_t header_expire, const char *plain, const char *secret)
{
	uint8_t raw[RAW_CAP];
	size_t len = strlen(plain);
	uint8_t *q = put_be(raw, (uint64_t)header_expire, 8);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	assert_true(len + 64 < sizeof(raw));
	q = put_be(q, 12, 2);
	memcpy(q, IV_GCM, 12);
	q = put_be(q + 12, len + 16, 2);
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, (const uint8_t *)secret,
					    IV_GCM), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, q, &n, (const uint8_t *)plain, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, q + n, &fin), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, q + len), 1);
	EVP_CIPHER_CTX_free(ctx);
	q[len + 16] = 1;
	encode_raw(out, raw, (size_t)(q + len + 17 - raw));
}

static int verify_plain(const char *plain, int64_t header_expire)
{
	char tok[TOK_CAP];

	craft_gcm(tok, header_expire, plain, SECRET);
	return verify_demo(tok);
}

/* A GCM token from the generator with the vector's fields and this payload. */
static void gen_with_payload(char *out, const char *payload)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);

	p.payload = payload;
	assert_int_equal(token04_generate(out, TOK_CAP, &p), TOKEN04_OK);
}

static void verify_payload(struct token04_claims *c, const char *payload)
{
	char tok[TOK_CAP];

	gen_with_payload(tok, payload);
	assert_int_equal(token04_verify(c, tok, SECRET, 1, "demo", NOW), TOKEN04_OK);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* ---- the reference vectors ---------------------------------------------------- */

static void test_generate_gcm_vector(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	char tok[TOK_CAP];

	(void)state;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_OK);
	assert_string_equal(tok, VEC_GCM);
}

static void test_generate_cbc_vector(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_CBC);
	char tok[TOK_CAP];

	(void)state;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_OK);
	assert_string_equal(tok, VEC_CBC);
}

static void check_vector_claims(const char *vec)
{
	struct token04_claims c;

	assert_int_equal(token04_verify(&c, vec, SECRET, 1, "demo", NOW), TOKEN04_OK);
	assert_int_equal(c.app_id, 1);
	assert_string_equal(c.user_id, "demo");
	assert_int_equal(c.nonce, VEC_NONCE);
	assert_int_equal(c.ctime, NOW);
	assert_int_equal(c.expire, EXPIRE);
	assert_false(c.has_payload);
	assert_string_equal(c.room_id, "");
	assert_true(c.can_login);
	assert_true(c.can_publish);
	assert_false(c.has_stream_list);
	assert_int_equal(token04_check_login(&c, "any-room"), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, "any-stream"), TOKEN04_OK);
	token04_claims_clear(&c);
	token04_claims_clear(&c); /* idempotent */
	token04_claims_clear(NULL);
}

static void test_verify_vectors(void **state)
{
	(void)state;
	check_vector_claims(VEC_GCM);
	check_vector_claims(VEC_CBC);
	/* one second before expiry is still valid */
	assert_int_equal(verify_as(VEC_GCM, SECRET, 1, "demo", EXPIRE - 1), TOKEN04_OK);
}

static void test_vector_plaintext_layout(void **state)
{
	char tok[TOK_CAP];

	(void)state;
	/* the plaintext of the doc, encrypted independently, gives the same token */
	craft_gcm(tok, EXPIRE, VEC_PLAIN, SECRET);
	assert_string_equal(tok, VEC_GCM);
}

static void test_reject_vectors(void **state)
{
	const char *vecs[] = { VEC_GCM, VEC_CBC };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *v = vecs[i];

		assert_int_equal(verify_as(v, SECRET, 1, "demo2", NOW), TOKEN04_E_USER_ID);
		assert_int_equal(verify_as(v, SECRET, 1, "dem", NOW), TOKEN04_E_USER_ID);
		assert_int_equal(verify_as(v, SECRET, 1, "", NOW), TOKEN04_E_USER_ID);
		assert_int_equal(verify_as(v, SECRET, 1, NULL, NOW), TOKEN04_E_USER_ID);
		assert_int_equal(verify_as(v, SECRET, 1, "demo", EXPIRE), TOKEN04_E_EXPIRED);
		assert_int_equal(verify_as(v, SECRET, 1, "demo", EXPIRE + 1), TOKEN04_E_EXPIRED);
		/* CBC has no MAC: this secret happens to fail the PKCS#7 check */
		assert_int_equal(verify_as(v, OTHER_SECRET, 1, "demo", NOW), TOKEN04_E_DECRYPT);
		assert_int_equal(verify_as(v, SECRET, 2, "demo", NOW), TOKEN04_E_APP_ID);
	}
}

static void test_bad_secret(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	struct token04_claims c;
	char tok[TOK_CAP];

	(void)state;
	assert_int_equal(verify_as(VEC_GCM, "fa94dd0f974cf2e293728a526b02827", 1, "demo", NOW),
			 TOKEN04_E_SECRET);
	assert_int_equal(verify_as(VEC_GCM, SECRET "1", 1, "demo", NOW), TOKEN04_E_SECRET);
	assert_int_equal(verify_as(VEC_GCM, NULL, 1, "demo", NOW), TOKEN04_E_SECRET);
	/* a configuration error is reported whatever the token */
	assert_int_equal(token04_verify(&c, "garbage", "short", 1, "demo", NOW), TOKEN04_E_SECRET);
	p.secret = "short";
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_SECRET);
	p.secret = NULL;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_SECRET);
}

/* ---- tampering and format ------------------------------------------------------ */

static void flip_all(const char *vec)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	uint8_t raw[RAW_CAP], copy[RAW_CAP];
	size_t len = decode_raw(raw, vec);

	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			int rc;

			memcpy(copy, raw, len);
			copy[i] ^= masks[m];
			rc = verify_raw(copy, len);
			if (rc == TOKEN04_OK)
				fail_msg("byte %zu ^ 0x%02x accepted", i, masks[m]);
		}
	}
	assert_int_equal(verify_raw(raw, len), TOKEN04_OK); /* the helper itself is sound */
}

static void test_byte_flips(void **state)
{
	(void)state;
	flip_all(VEC_GCM);
	flip_all(VEC_CBC);
}

static void test_header_expire_flip(void **state)
{
	uint8_t raw[RAW_CAP];
	size_t len = decode_raw(raw, VEC_GCM);

	(void)state;
	raw[7] ^= 0x01; /* header says 1700003601; JSON says 1700003600 */
	assert_int_equal(verify_raw(raw, len), TOKEN04_E_EXPIRE_MISMATCH);
}

static void truncate_all(const char *vec)
{
	uint8_t raw[RAW_CAP];
	size_t len = decode_raw(raw, vec);
	char tok[TOK_CAP];

	for (size_t k = 0; k < len; k++)
		assert_int_equal(verify_raw(raw, k), TOKEN04_E_FORMAT);
	for (size_t k = 0; k < strlen(vec); k++) {
		memcpy(tok, vec, k);
		tok[k] = '\0';
		assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	truncate_all(VEC_GCM);
	truncate_all(VEC_CBC);
}

static void test_wrong_prefix(void **state)
{
	char tok[TOK_CAP];

	(void)state;
	strcpy(tok, VEC_GCM);
	tok[1] = '3';
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo(VEC_GCM + 1), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo(VEC_GCM + 2), TOKEN04_E_FORMAT);
	snprintf(tok, sizeof(tok), " %s", VEC_GCM);
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo(""), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo("0"), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo("04"), TOKEN04_E_FORMAT);
	assert_int_equal(verify_demo(NULL), TOKEN04_E_FORMAT);
}

static void replace_char(char *tok, char from, char to)
{
	char *p = strchr(tok + 2, from);

	assert_non_null(p);
	*p = to;
}

static void test_bad_base64(void **state)
{
	char tok[TOK_CAP];

	(void)state;
	strcpy(tok, VEC_GCM);
	tok[10] = '!';
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	strcpy(tok, VEC_GCM);
	replace_char(tok, '/', '_'); /* URL-safe alphabet is not accepted */
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	strcpy(tok, VEC_GCM);
	replace_char(tok, '+', '-');
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	strcpy(tok, VEC_CBC);
	tok[strlen(tok) - 1] = '\0'; /* padding removed */
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	snprintf(tok, sizeof(tok), "%s\n", VEC_GCM);
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	snprintf(tok, sizeof(tok), "%s====", VEC_GCM);
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	strcpy(tok, VEC_CBC);
	tok[strlen(tok) - 2] = 'B'; /* non-zero bits under the padding */
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
}

static void test_mode_bytes(void **state)
{
	uint8_t raw[RAW_CAP];
	size_t glen = decode_raw(raw, VEC_GCM);

	(void)state;
	raw[glen - 1] = 2;
	assert_int_equal(verify_raw(raw, glen), TOKEN04_E_FORMAT);
	raw[glen - 1] = 0;
	assert_int_equal(verify_raw(raw, glen), TOKEN04_E_FORMAT);
	raw[glen - 1] = 1;
	raw[glen] = 1; /* two trailing bytes */
	assert_int_equal(verify_raw(raw, glen + 1), TOKEN04_E_FORMAT);
	raw[glen] = 0;
	assert_int_equal(verify_raw(raw, glen + 1), TOKEN04_E_FORMAT);
	/* GCM without its mode byte reads as CBC with a 12-byte IV */
	assert_int_equal(verify_raw(raw, glen - 1), TOKEN04_E_FORMAT);
}

static void test_cbc_trailing(void **state)
{
	uint8_t raw[RAW_CAP];
	size_t clen = decode_raw(raw, VEC_CBC);

	(void)state;
	raw[clen] = 1; /* mode byte 1 with a 16-byte IV: wrong nonce size for GCM */
	assert_int_equal(verify_raw(raw, clen + 1), TOKEN04_E_FORMAT);
	raw[clen + 1] = 1;
	assert_int_equal(verify_raw(raw, clen + 2), TOKEN04_E_FORMAT);
	raw[clen] = 0;
	assert_int_equal(verify_raw(raw, clen + 1), TOKEN04_E_FORMAT);
}

/* expire | nlen | nonce | clen | cipher | optional mode byte, contents zero */
static size_t build_shape(uint8_t *raw, size_t nlen, size_t clen, bool mode_byte)
{
	uint8_t *q = put_be(raw, EXPIRE, 8);

	q = put_be(q, nlen, 2);
	memset(q, 0, nlen);
	q = put_be(q + nlen, clen, 2);
	memset(q, 0, clen);
	q += clen;
	if (mode_byte)
		*q++ = 1;
	return (size_t)(q - raw);
}

static void test_field_sizes(void **state)
{
	uint8_t raw[RAW_CAP];

	(void)state;
	assert_int_equal(verify_raw(raw, build_shape(raw, 16, 48, true)), TOKEN04_E_FORMAT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 12, 48, false)), TOKEN04_E_FORMAT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 12, 15, true)), TOKEN04_E_FORMAT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 16, 0, false)), TOKEN04_E_FORMAT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 16, 17, false)), TOKEN04_E_FORMAT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 0, 0, false)), TOKEN04_E_FORMAT);
	/* well-shaped but not encrypted with the secret */
	assert_int_equal(verify_raw(raw, build_shape(raw, 12, 16, true)), TOKEN04_E_DECRYPT);
	assert_int_equal(verify_raw(raw, build_shape(raw, 16, 32, false)), TOKEN04_E_DECRYPT);
	/* a length field pointing far past the end */
	build_shape(raw, 12, 48, true);
	raw[8] = 0xff;
	raw[9] = 0xff;
	assert_int_equal(verify_raw(raw, 8 + 2 + 12 + 2 + 48 + 1), TOKEN04_E_FORMAT);
}

static void test_too_long(void **state)
{
	char *tok = repeat('A', TOKEN04_MAX_LEN + 4);
	struct token04_wire w;
	uint8_t raw[RAW_CAP];

	(void)state;
	tok[0] = '0';
	tok[1] = '4';
	assert_int_equal(verify_demo(tok), TOKEN04_E_FORMAT);
	assert_int_equal(token04_wire_decode(&w, raw, sizeof(raw), tok, TOKEN04_MAX_LEN + 2),
			 TOKEN04_E_FORMAT);
	/* at the limit the length is accepted and the structure rejected */
	assert_int_equal(token04_wire_decode(&w, raw, sizeof(raw), tok, TOKEN04_MAX_LEN - 2),
			 TOKEN04_E_FORMAT);
	free(tok);
}

/* The longest token the generator makes still verifies; one more byte is refused. */
static void test_longest_token(void **state)
{
	char tok[TOK_CAP], payload[TOK_CAP];
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	size_t pad = 5000;

	(void)state;
	p.payload = payload;
	for (;; pad++) {
		snprintf(payload, sizeof(payload), "{\"room_id\":\"\",\"privilege\":{\"1\":1},"
			 "\"pad\":\"%0*d\"}", (int)pad, 0);
		if (token04_generate(tok, sizeof(tok), &p) != TOKEN04_OK)
			break;
	}
	assert_true(pad > 5000);
	snprintf(payload, sizeof(payload), "{\"room_id\":\"\",\"privilege\":{\"1\":1},"
		 "\"pad\":\"%0*d\"}", (int)pad - 1, 0);
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_OK);
	assert_true(strlen(tok) <= TOKEN04_MAX_LEN);
	assert_true(strlen(tok) > TOKEN04_MAX_LEN - 4);
	assert_int_equal(verify_demo(tok), TOKEN04_OK);
}

static void test_wire_decode(void **state)
{
	struct token04_wire w;
	uint8_t raw[RAW_CAP];

	(void)state;
	assert_int_equal(token04_wire_decode(&w, raw, sizeof(raw), VEC_GCM, strlen(VEC_GCM)),
			 TOKEN04_OK);
	assert_int_equal(w.expire, EXPIRE);
	assert_int_equal(w.mode, TOKEN04_MODE_GCM);
	assert_int_equal(w.nonce_len, 12);
	assert_memory_equal(w.nonce, IV_GCM, 12);
	assert_int_equal(w.cipher_len, strlen(VEC_PLAIN) + 16);
	assert_ptr_equal(w.nonce, raw + 10);
	assert_int_equal(token04_wire_decode(&w, raw, sizeof(raw), VEC_CBC, strlen(VEC_CBC)),
			 TOKEN04_OK);
	assert_int_equal(w.mode, TOKEN04_MODE_CBC);
	assert_int_equal(w.nonce_len, 16);
	assert_memory_equal(w.nonce, IV_CBC, 16);
	assert_int_equal(w.cipher_len, (strlen(VEC_PLAIN) / 16 + 1) * 16);
	/* too small a buffer is a format error and leaves the wire zeroed */
	assert_int_equal(token04_wire_decode(&w, raw, 40, VEC_GCM, strlen(VEC_GCM)),
			 TOKEN04_E_FORMAT);
	assert_null(w.nonce);
	assert_int_equal(w.cipher_len, 0);
	assert_int_equal(token04_wire_decode(&w, raw, sizeof(raw), NULL, 0), TOKEN04_E_FORMAT);
}

/* ---- plaintext JSON ------------------------------------------------------------ */

static void test_json_order_and_extras(void **state)
{
	char tok[TOK_CAP];
	struct token04_claims c;

	(void)state;
	craft_gcm(tok, EXPIRE, "{\"payload\":\"\",\"expire\":1700003600,\"ctime\":1699999999,"
		  "\"extra\":[1,{\"x\":null}],\"nonce\":-5,\"user_id\":\"demo\",\"app_id\":1}",
		  SECRET);
	assert_int_equal(token04_verify(&c, tok, SECRET, 1, "demo", NOW), TOKEN04_OK);
	assert_int_equal(c.nonce, -5);
	assert_int_equal(c.ctime, 1699999999);
	token04_claims_clear(&c);
	assert_int_equal(verify_plain("\n { \"app_id\" : 1 , \"user_id\" : \"demo\", "
				      "\"nonce\":0,\"ctime\":0,\"expire\":1700003600,"
				      "\"payload\":\"\" }\r\n", EXPIRE), TOKEN04_OK);
}

static void test_json_bad(void **state)
{
	/* J(a, b, c): a full plaintext with the app_id/user_id part a, the
	 * nonce/ctime part b and the expire/payload part c */
#define J(a, b, c) "{" a "," b "," c "}"
#define J_ID "\"app_id\":1,\"user_id\":\"demo\""
#define J_NC "\"nonce\":1,\"ctime\":1"
#define J_EP "\"expire\":1700003600,\"payload\":\"\""
	static const char *const bad[] = {
		"", "not json", "[1]", "\"str\"", "{", "null",
		J("\"user_id\":\"demo\"", J_NC, J_EP),
		J("\"app_id\":\"1\",\"user_id\":\"demo\"", J_NC, J_EP),
		J("\"app_id\":-1,\"user_id\":\"demo\"", J_NC, J_EP),
		J("\"app_id\":4294967296,\"user_id\":\"demo\"", J_NC, J_EP),
		J("\"app_id\":1.5,\"user_id\":\"demo\"", J_NC, J_EP),
		J("\"app_id\":1,\"user_id\":7", J_NC, J_EP),
		J("\"app_id\":1", J_NC, J_EP),
		J(J_ID, "\"nonce\":2147483648,\"ctime\":1", J_EP),
		J(J_ID, "\"nonce\":\"1\",\"ctime\":1", J_EP),
		J(J_ID, "\"ctime\":1", J_EP),
		J(J_ID, "\"nonce\":1,\"ctime\":\"1\"", J_EP),
		J(J_ID, J_NC, "\"expire\":1e300,\"payload\":\"\""),
		J(J_ID, J_NC, "\"expire\":\"1700003600\",\"payload\":\"\""),
		J(J_ID, J_NC, "\"expire\":1700003600"),
		J(J_ID, J_NC, "\"expire\":1700003600,\"payload\":null"),
		J(J_ID, J_NC, "\"expire\":1700003600,\"payload\":{}"),
		J(J_ID, J_NC, J_EP) "x",
		J(J_ID, J_NC, J_EP) "{}",
	};
	static const char good[] = J(J_ID, J_NC, J_EP);
#undef J
#undef J_ID
#undef J_NC
#undef J_EP

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = verify_plain(bad[i], EXPIRE);

		if (rc != TOKEN04_E_JSON)
			fail_msg("plaintext %zu gave %d (%s): %s", i, rc, token04_result_name(rc),
				 bad[i]);
	}
	assert_int_equal(verify_plain(good, EXPIRE), TOKEN04_OK); /* the pieces are sound */
}

static void test_user_id_limits(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	char *user = repeat('u', TOKEN04_MAX_USER_ID + 1);
	char tok[TOK_CAP], plain[512];

	(void)state;
	snprintf(plain, sizeof(plain), "{\"app_id\":1,\"user_id\":\"%s\",\"nonce\":1,\"ctime\":1,"
		 "\"expire\":1700003600,\"payload\":\"\"}", user);
	assert_int_equal(verify_plain(plain, EXPIRE), TOKEN04_E_JSON);
	p.user_id = user;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_FORMAT);
	user[TOKEN04_MAX_USER_ID] = '\0';
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_OK);
	assert_int_equal(verify_as(tok, SECRET, 1, user, NOW), TOKEN04_OK);
	user[TOKEN04_MAX_USER_ID] = 'u'; /* the login user is longer than the token's */
	assert_int_equal(verify_as(tok, SECRET, 1, user, NOW), TOKEN04_E_USER_ID);
	free(user);
}

static void test_expire_mismatch(void **state)
{
	char tok[TOK_CAP];

	(void)state;
	assert_int_equal(verify_plain(VEC_PLAIN, EXPIRE - 1), TOKEN04_E_EXPIRE_MISMATCH);
	assert_int_equal(verify_plain(VEC_PLAIN, EXPIRE + 3600), TOKEN04_E_EXPIRE_MISMATCH);
	assert_int_equal(verify_plain(VEC_PLAIN, -1), TOKEN04_E_EXPIRE_MISMATCH);
	/* expiry is judged on the encrypted value before the header is compared */
	assert_int_equal(verify_plain("{\"app_id\":1,\"user_id\":\"demo\",\"nonce\":1,"
				      "\"ctime\":1,\"expire\":1700000000,\"payload\":\"\"}",
				      EXPIRE), TOKEN04_E_EXPIRED);
	/* the crafted token with matching fields is accepted */
	craft_gcm(tok, EXPIRE, VEC_PLAIN, SECRET);
	assert_int_equal(verify_demo(tok), TOKEN04_OK);
	craft_gcm(tok, EXPIRE, VEC_PLAIN, OTHER_SECRET);
	assert_int_equal(verify_demo(tok), TOKEN04_E_DECRYPT);
}

/* ---- generator ------------------------------------------------------------------ */

static void test_generate_params(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	char tok[TOK_CAP];
	size_t need = strlen(VEC_GCM) + 1;

	(void)state;
	assert_int_equal(token04_generate(tok, need, &p), TOKEN04_OK);
	assert_string_equal(tok, VEC_GCM);
	assert_int_equal(token04_generate(tok, need - 1, &p), TOKEN04_E_FORMAT);
	assert_int_equal(token04_generate(tok, sizeof(tok), NULL), TOKEN04_E_FORMAT);
	assert_int_equal(token04_generate(NULL, sizeof(tok), &p), TOKEN04_E_FORMAT);
	p.ttl_s = INT64_MAX;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_FORMAT);
	p.ttl_s = 3600;
	p.mode = (enum token04_mode)7;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_FORMAT);
	p = vec_params(TOKEN04_MODE_GCM);
	p.user_id = NULL;
	assert_int_equal(token04_generate(tok, sizeof(tok), &p), TOKEN04_E_FORMAT);
}

static void test_generate_roundtrip(void **state)
{
	struct token04_params p = vec_params(TOKEN04_MODE_GCM);
	struct token04_claims c;
	char a[TOK_CAP], b[TOK_CAP];

	(void)state;
	p.iv = NULL; /* random nonce */
	p.app_id = UINT32_MAX;
	p.nonce = INT32_MIN;
	p.user_id = "quote\"back\\slash";
	assert_int_equal(token04_generate(a, sizeof(a), &p), TOKEN04_OK);
	assert_int_equal(token04_generate(b, sizeof(b), &p), TOKEN04_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(token04_verify(&c, a, SECRET, UINT32_MAX, p.user_id, NOW), TOKEN04_OK);
	assert_int_equal(c.app_id, UINT32_MAX);
	assert_int_equal(c.nonce, INT32_MIN);
	token04_claims_clear(&c);
	p.mode = TOKEN04_MODE_CBC;
	assert_int_equal(token04_generate(a, sizeof(a), &p), TOKEN04_OK);
	assert_int_equal(verify_as(a, SECRET, UINT32_MAX, p.user_id, NOW), TOKEN04_OK);
	p.ttl_s = -1; /* already expired */
	assert_int_equal(token04_generate(a, sizeof(a), &p), TOKEN04_OK);
	assert_int_equal(verify_as(a, SECRET, UINT32_MAX, p.user_id, NOW), TOKEN04_E_EXPIRED);
}

/* ---- payload -------------------------------------------------------------------- */

static void test_payload_build_login_only(void **state)
{
	const char *const streams[] = { "s1" };
	char *pl = token04_payload_build("r1", true, false, streams, 1);
	struct token04_claims c;

	(void)state;
	assert_non_null(pl);
	assert_string_equal(pl, "{\"room_id\":\"r1\",\"privilege\":{\"1\":1,\"2\":0},"
				"\"stream_id_list\":[\"s1\"]}");
	verify_payload(&c, pl);
	free(pl);
	assert_true(c.has_payload);
	assert_string_equal(c.room_id, "r1");
	assert_true(c.can_login);
	assert_false(c.can_publish);
	assert_true(c.has_stream_list);
	assert_int_equal(c.n_stream_ids, 1);
	assert_int_equal(token04_check_login(&c, "r1"), TOKEN04_OK);
	assert_int_equal(token04_check_login(&c, "r2"), TOKEN04_E_ROOM);
	assert_int_equal(token04_check_login(&c, "r10"), TOKEN04_E_ROOM);
	assert_int_equal(token04_check_login(&c, NULL), TOKEN04_E_ROOM);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_E_NO_PUBLISH);
	token04_claims_clear(&c);
}

static void test_payload_stream_list(void **state)
{
	const char *const streams[] = { "s1", "s2" };
	char *pl = token04_payload_build("r1", true, true, streams, 2);
	struct token04_claims c;

	(void)state;
	assert_non_null(pl);
	verify_payload(&c, pl);
	free(pl);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, "s2"), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, "s3"), TOKEN04_E_STREAM);
	assert_int_equal(token04_check_publish(&c, "s"), TOKEN04_E_STREAM);
	assert_int_equal(token04_check_publish(&c, NULL), TOKEN04_E_STREAM);
	token04_claims_clear(&c);
}

static void test_payload_any_stream(void **state)
{
	char *pl = token04_payload_build("", true, true, NULL, 0);
	struct token04_claims c;

	(void)state;
	assert_non_null(pl);
	assert_string_equal(pl, "{\"room_id\":\"\",\"privilege\":{\"1\":1,\"2\":1},"
				"\"stream_id_list\":null}");
	verify_payload(&c, pl);
	free(pl);
	assert_false(c.has_stream_list);
	assert_int_equal(token04_check_login(&c, "whatever"), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, "s3"), TOKEN04_OK);
	token04_claims_clear(&c);
	/* an empty array is no restriction either */
	verify_payload(&c, "{\"room_id\":\"r1\",\"privilege\":{\"1\":1,\"2\":1},"
			   "\"stream_id_list\":[]}");
	assert_false(c.has_stream_list);
	assert_int_equal(token04_check_publish(&c, "anything"), TOKEN04_OK);
	token04_claims_clear(&c);
}

static void test_payload_no_login(void **state)
{
	char *pl = token04_payload_build("r1", false, true, NULL, 0);
	struct token04_claims c;

	(void)state;
	verify_payload(&c, pl);
	free(pl);
	assert_int_equal(token04_check_login(&c, "r1"), TOKEN04_E_NO_LOGIN);
	assert_int_equal(token04_check_login(&c, "r2"), TOKEN04_E_ROOM);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_OK);
	token04_claims_clear(&c);
}

static void test_payload_missing_keys(void **state)
{
	struct token04_claims c;

	(void)state;
	/* missing privilege keys grant nothing; missing room / list restrict nothing */
	verify_payload(&c, "{}");
	assert_true(c.has_payload);
	assert_int_equal(token04_check_login(&c, "r1"), TOKEN04_E_NO_LOGIN);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_E_NO_PUBLISH);
	token04_claims_clear(&c);
	verify_payload(&c, "{\"privilege\":{\"1\":1},\"other\":true}");
	assert_int_equal(token04_check_login(&c, "r1"), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_E_NO_PUBLISH);
	token04_claims_clear(&c);
	/* PHP's json_encode and Go's json.Marshal spellings */
	verify_payload(&c, "{\"room_id\":\"r\\/1\",\"privilege\":{\"2\":1,\"1\":0},"
			   "\"stream_id_list\":[\"\\u0073\\u0031\"]}");
	assert_string_equal(c.room_id, "r/1");
	assert_int_equal(token04_check_login(&c, "r/1"), TOKEN04_E_NO_LOGIN);
	assert_int_equal(token04_check_publish(&c, "s1"), TOKEN04_OK);
	token04_claims_clear(&c);
}

static void test_payload_malformed(void **state)
{
	char long_room[200], long_stream[300];
	const char *const bad[] = {
		"not json", "{", "[]", "\"str\"", "1", "null", "{} x", "{}{}",
		"{\"privilege\":{\"1\":\"1\",\"2\":0}}",
		"{\"privilege\":{\"1\":true,\"2\":true}}",
		"{\"privilege\":{\"1\":2}}",
		"{\"privilege\":{\"1\":0.5}}",
		"{\"privilege\":{\"1\":-1}}",
		"{\"privilege\":{\"1\":null}}",
		"{\"privilege\":[1,1]}",
		"{\"privilege\":1}",
		"{\"room_id\":5}",
		"{\"room_id\":[\"r1\"]}",
		"{\"stream_id_list\":[1,2]}",
		"{\"stream_id_list\":\"s1\"}",
		"{\"stream_id_list\":[\"s1\",null]}",
		"{\"stream_id_list\":{}}",
		long_room, long_stream,
	};

	(void)state;
	snprintf(long_room, sizeof(long_room), "{\"room_id\":\"%0*d\"}", TOKEN04_MAX_ROOM_ID + 1, 0);
	snprintf(long_stream, sizeof(long_stream), "{\"stream_id_list\":[\"%0*d\"]}",
		 TOKEN04_MAX_STREAM_ID + 1, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct token04_claims c;
		char tok[TOK_CAP];
		int rc;

		gen_with_payload(tok, bad[i]);
		rc = token04_verify(&c, tok, SECRET, 1, "demo", NOW);
		if (rc != TOKEN04_E_PAYLOAD)
			fail_msg("payload %zu gave %d (%s): %s", i, rc, token04_result_name(rc),
				 bad[i]);
		assert_null(c.stream_ids); /* zeroed on failure */
		assert_false(c.can_login);
	}
}

static void test_payload_limits(void **state)
{
	char room[TOKEN04_MAX_ROOM_ID + 2], stream[TOKEN04_MAX_STREAM_ID + 2];
	const char *const ids[] = { stream };
	const char *const null_ids[] = { NULL };
	struct token04_claims c;
	char *pl;

	(void)state;
	memset(room, 'r', sizeof(room) - 1);
	room[sizeof(room) - 1] = '\0';
	memset(stream, 's', sizeof(stream) - 1);
	stream[sizeof(stream) - 1] = '\0';
	assert_null(token04_payload_build(room, true, true, NULL, 0));
	assert_null(token04_payload_build("r", true, true, ids, 1));
	assert_null(token04_payload_build("r", true, true, null_ids, 1));
	assert_null(token04_payload_build("r", true, true, NULL, 1));
	room[TOKEN04_MAX_ROOM_ID] = '\0';
	stream[TOKEN04_MAX_STREAM_ID] = '\0';
	pl = token04_payload_build(room, true, true, ids, 1);
	assert_non_null(pl);
	verify_payload(&c, pl);
	free(pl);
	assert_int_equal(token04_check_login(&c, room), TOKEN04_OK);
	assert_int_equal(token04_check_publish(&c, stream), TOKEN04_OK);
	token04_claims_clear(&c);
	pl = token04_payload_build(NULL, true, true, NULL, 0); /* NULL room = any */
	assert_non_null(pl);
	assert_non_null(strstr(pl, "\"room_id\":\"\""));
	free(pl);
	assert_int_equal(token04_check_login(NULL, "r"), TOKEN04_E_INTERNAL);
	assert_int_equal(token04_check_publish(NULL, "s"), TOKEN04_E_INTERNAL);
}

/* ---- result table ----------------------------------------------------------------- */

static void test_result_table(void **state)
{
	static const struct {
		int result;
		const char *name;
		int code;
	} want[] = {
		{ TOKEN04_OK, "ok", 0 },
		{ TOKEN04_E_FORMAT, "token_format", 1102016 },
		{ TOKEN04_E_DECRYPT, "token_decrypt", 1102016 },
		{ TOKEN04_E_JSON, "token_json", 1102016 },
		{ TOKEN04_E_APP_ID, "app_id", 1102016 },
		{ TOKEN04_E_USER_ID, "user_mismatch", 1002077 },
		{ TOKEN04_E_EXPIRED, "token_expired", 1102018 },
		{ TOKEN04_E_EXPIRE_MISMATCH, "expire_mismatch", 1102016 },
		{ TOKEN04_E_PAYLOAD, "token_payload", 1102016 },
		{ TOKEN04_E_ROOM, "room_mismatch", 1102016 },
		{ TOKEN04_E_NO_LOGIN, "no_login_privilege", 1102016 },
		{ TOKEN04_E_NO_PUBLISH, "no_publish_privilege", 1103019 },
		{ TOKEN04_E_STREAM, "stream_not_allowed", 1002082 },
		{ TOKEN04_E_SECRET, "bad_secret", 1102016 },
		{ TOKEN04_E_INTERNAL, "internal", 1102016 },
	};
	static const int unknown[] = { 1, -15, INT_MIN, INT_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int r = want[i].result;

		assert_int_equal(r, -(int)i);
		assert_string_equal(token04_result_name(r), want[i].name);
		assert_int_equal(token04_result_zego_code(r), want[i].code);
		assert_non_null(token04_result_message(r));
		assert_true(strlen(token04_result_message(r)) > 0);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_non_null(token04_result_name(unknown[i]));
		assert_non_null(token04_result_message(unknown[i]));
		assert_int_not_equal(token04_result_zego_code(unknown[i]), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_gcm_vector),
		cmocka_unit_test(test_generate_cbc_vector),
		cmocka_unit_test(test_verify_vectors),
		cmocka_unit_test(test_vector_plaintext_layout),
		cmocka_unit_test(test_reject_vectors),
		cmocka_unit_test(test_bad_secret),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_header_expire_flip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_wrong_prefix),
		cmocka_unit_test(test_bad_base64),
		cmocka_unit_test(test_mode_bytes),
		cmocka_unit_test(test_cbc_trailing),
		cmocka_unit_test(test_field_sizes),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_longest_token),
		cmocka_unit_test(test_wire_decode),
		cmocka_unit_test(test_json_order_and_extras),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_user_id_limits),
		cmocka_unit_test(test_expire_mismatch),
		cmocka_unit_test(test_generate_params),
		cmocka_unit_test(test_generate_roundtrip),
		cmocka_unit_test(test_payload_build_login_only),
		cmocka_unit_test(test_payload_stream_list),
		cmocka_unit_test(test_payload_any_stream),
		cmocka_unit_test(test_payload_no_login),
		cmocka_unit_test(test_payload_missing_keys),
		cmocka_unit_test(test_payload_malformed),
		cmocka_unit_test(test_payload_limits),
		cmocka_unit_test(test_result_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
