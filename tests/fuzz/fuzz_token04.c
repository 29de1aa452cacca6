/* libFuzzer target for gateway/auth/token04.c. Each input is used three ways:
 *   1. as a token string: token04_wire_decode (into an exact-size buffer, so
 *      ASan sees any overread) and token04_verify;
 *   2. as the decoded raw token: "04" + base64(input), verified, which reaches
 *      the field reader and the mode/size rules without base64 luck;
 *   3. as the plaintext: encrypted here with AES-256-GCM under the fixed
 *      secret, so verification reaches the JSON, claims and payload code.
 * Fixed expectations: secret/app/user/now of the zego-compat.md vectors. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token04.h"
#include "core/util.h"

#define FZ_SECRET "fa94dd0f974cf2e293728a526b028271"
#define FZ_APP 1
#define FZ_USER "demo"
#define FZ_NOW 1700000000
#define FZ_EXPIRE 1700003600
#define FZ_RAW_MAX (TOKEN04_MAX_LEN / 4 * 3)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_check_wire(const struct token04_wire *w, const uint8_t *raw, size_t len)
{
	size_t used = 12 + w->nonce_len + w->cipher_len + (w->mode == TOKEN04_MODE_GCM);

	if (used != len || w->nonce != raw + 10 || w->cipher != raw + 12 + w->nonce_len)
		abort();
	if (w->mode == TOKEN04_MODE_GCM && (w->nonce_len != 12 || w->cipher_len < 16))
		abort();
	if (w->mode == TOKEN04_MODE_CBC && (w->nonce_len != 16 || w->cipher_len % 16 != 0))
		abort();
}

/* Decodes once to learn the size, then again into a buffer of exactly that size. */
static void fz_wire(const uint8_t *data, size_t size)
{
	uint8_t big[TOKEN04_MAX_LEN];
	struct token04_wire w;
	size_t len;
	uint8_t *exact;

	if (token04_wire_decode(&w, big, sizeof(big), (const char *)data, size) != TOKEN04_OK)
		return;
	len = 12 + w.nonce_len + w.cipher_len + (w.mode == TOKEN04_MODE_GCM);
	exact = malloc(len);
	if (!exact)
		return;
	if (token04_wire_decode(&w, exact, len, (const char *)data, size) != TOKEN04_OK)
		abort();
	fz_check_wire(&w, exact, len);
	free(exact);
}

static void fz_verify(const char *token)
{
	struct token04_claims c;
	int rc = token04_verify(&c, token, FZ_SECRET, FZ_APP, FZ_USER, FZ_NOW);

	if (!token04_result_name(rc) || !token04_result_message(rc))
		abort();
	if (rc == TOKEN04_OK) {
		token04_check_login(&c, "r1");
		token04_check_publish(&c, "s1");
		token04_check_publish(&c, NULL);
	} else if (c.stream_ids || c.n_stream_ids || c.can_login) {
		abort(); /* claims must be zeroed on failure */
	}
	token04_claims_clear(&c);
}

static void fz_verify_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	fz_verify(s);
	free(s);
}

static void fz_verify_encoded(const uint8_t *raw, size_t len)
{
	size_t cap = 2 + (len + 2) / 3 * 4 + 1;
	char *tok = malloc(cap);

	if (!tok)
		return;
	tok[0] = '0';
	tok[1] = '4';
	if (rg_base64_encode(tok + 2, cap - 2, raw, len) >= 0)
		fz_verify(tok);
	free(tok);
}

static void fz_verify_raw(const uint8_t *data, size_t size)
{
	if (size <= FZ_RAW_MAX)
		fz_verify_encoded(data, size);
}

/* GCM-encrypts data (the would-be JSON) into raw; returns the raw length or 0. */
static size_t fz_seal(uint8_t *raw, const uint8_t *data, size_t size)
{
	static const uint8_t nonce[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	static const uint8_t head[10] = { 0, 0, 0, 0, 0x65, 0x53, 0xff, 0x10, 0, 12 };
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *q = raw + 24;
	int n = 0, fin = 0, ok;

	if (!ctx)
		return 0;
	memcpy(raw, head, 10); /* expire FZ_EXPIRE, nonce length 12 */
	memcpy(raw + 10, nonce, 12);
	raw[22] = (uint8_t)((size + 16) >> 8);
	raw[23] = (uint8_t)(size + 16);
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, (const uint8_t *)FZ_SECRET,
				nonce) == 1 &&
	     EVP_EncryptUpdate(ctx, q, &n, data, (int)size) == 1 &&
	     EVP_EncryptFinal_ex(ctx, q + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, q + size) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return 0;
	q[size + 16] = 1;
	return 24 + size + 17;
}

static void fz_verify_plain(const uint8_t *data, size_t size)
{
	uint8_t raw[FZ_RAW_MAX];

	if (size + 24 + 17 > sizeof(raw))
		return;
	size = fz_seal(raw, data, size);
	if (size)
		fz_verify_encoded(raw, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_wire(data, size);
	fz_verify_string(data, size);
	fz_verify_raw(data, size);
	fz_verify_plain(data, size);
	return 0;
}
