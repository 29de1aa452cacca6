/* token04: decoding, verification and generation of ZEGO's login token.
 *
 * Design: the token is checked in the order of zego-compat.md §4, each stage a
 * small function returning a token04_result:
 *   token04_wire_decode   prefix, base64, bounded field reads, mode, sizes
 *   t04_decrypt           AES-256-GCM (tag) or AES-256-CBC (PKCS#7)
 *   t04_claims_read       plaintext JSON -> claims (types and ranges)
 *   t04_claims_check      app_id, user_id, now < expire, expire consistency
 *   t04_payload_parse     the optional payload JSON -> room/privileges/streams
 * Nothing here keeps state between calls: no globals, no clock, thread-safe.
 * Working buffers live on the stack (a token is at most TOKEN04_MAX_LEN
 * characters, so about 12 KiB per verification); cJSON allocates from the heap.
 */
#include "auth/token04.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define T04_GCM_NONCE_LEN 12
#define T04_CBC_IV_LEN 16
#define T04_TAG_LEN 16
#define T04_BLOCK_LEN 16
#define T04_FIXED_LEN 12 /* expire:8 + nlen:2 + clen:2 */
#define T04_RAW_CAP (TOKEN04_MAX_LEN / 4 * 3) /* decoded size of the longest token */
#define T04_JSON_INT_LIMIT 9007199254740992.0 /* 2^53: integers a double holds exactly */

/* ---- byte reading and writing --------------------------------------------- */

/* Bounded reader over the decoded token: every read checks what is left. */
struct t04_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static bool t04_take(struct t04_reader *r, size_t n, const uint8_t **out)
{
	if (r->len - r->off < n)
		return false;
	*out = r->buf + r->off;
	r->off += n;
	return true;
}

static bool t04_take_u16(struct t04_reader *r, size_t *out)
{
	const uint8_t *p;

	if (!t04_take(r, 2, &p))
		return false;
	*out = (size_t)p[0] << 8 | p[1];
	return true;
}

static int64_t t04_be64_to_i64(const uint8_t *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	/* two's complement without implementation-defined conversion */
	if (u <= (uint64_t)INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(UINT64_MAX - u) - 1;
}

static uint8_t *t04_put_be(uint8_t *p, uint64_t v, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++)
		p[i] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
	return p + nbytes;
}

static bool t04_secret_ok(const char *secret)
{
	return secret && strnlen(secret, TOKEN04_SECRET_LEN + 1) == TOKEN04_SECRET_LEN;
}

/* ---- wire format ------------------------------------------------------------ */

static int t04_wire_check_sizes(const struct token04_wire *w)
{
	if (w->mode == TOKEN04_MODE_GCM) {
		if (w->nonce_len != T04_GCM_NONCE_LEN || w->cipher_len < T04_TAG_LEN)
			return TOKEN04_E_FORMAT;
		return TOKEN04_OK;
	}
	if (w->nonce_len != T04_CBC_IV_LEN || w->cipher_len < T04_BLOCK_LEN ||
	    w->cipher_len % T04_BLOCK_LEN != 0)
		return TOKEN04_E_FORMAT;
	return TOKEN04_OK;
}

/* The bytes after the ciphertext select the mode: exactly one byte equal to 1
 * is GCM, nothing is legacy CBC, anything else is rejected. */
static int t04_wire_set_mode(struct token04_wire *w, const uint8_t *rest, size_t n)
{
	if (n == 0)
		w->mode = TOKEN04_MODE_CBC;
	else if (n == 1 && rest[0] == TOKEN04_MODE_GCM)
		w->mode = TOKEN04_MODE_GCM;
	else
		return TOKEN04_E_FORMAT;
	return t04_wire_check_sizes(w);
}

static int t04_wire_split(struct token04_wire *w, const uint8_t *raw, size_t len)
{
	struct t04_reader r = { .buf = raw, .len = len, .off = 0 };
	const uint8_t *p;

	if (!t04_take(&r, 8, &p))
		return TOKEN04_E_FORMAT;
	w->expire = t04_be64_to_i64(p);
	if (!t04_take_u16(&r, &w->nonce_len) || !t04_take(&r, w->nonce_len, &w->nonce))
		return TOKEN04_E_FORMAT;
	if (!t04_take_u16(&r, &w->cipher_len) || !t04_take(&r, w->cipher_len, &w->cipher))
		return TOKEN04_E_FORMAT;
	return t04_wire_set_mode(w, raw + r.off, len - r.off);
}

int token04_wire_decode(struct token04_wire *wire, uint8_t *raw, size_t rawcap,
			const char *token, size_t token_len)
{
	int n, rc;

	memset(wire, 0, sizeof(*wire));
	if (!token || !raw || token_len < 2 || token_len > TOKEN04_MAX_LEN ||
	    token[0] != '0' || token[1] != '4')
		return TOKEN04_E_FORMAT;
	n = rg_base64_decode(raw, rawcap, token + 2, token_len - 2);
	if (n < 0)
		return TOKEN04_E_FORMAT;
	rc = t04_wire_split(wire, raw, (size_t)n);
	if (rc != TOKEN04_OK)
		memset(wire, 0, sizeof(*wire));
	return rc;
}

/* ---- AES ---------------------------------------------------------------------- */

/* Decrypts w->cipher into out (capacity cipher_len + T04_BLOCK_LEN); the GCM
 * nonce is always 12 bytes here, OpenSSL's default GCM IV length. */
static int t04_decrypt_ctx(EVP_CIPHER_CTX *ctx, uint8_t *out, size_t *outlen,
			   const struct token04_wire *w, const char *secret)
{
	bool gcm = w->mode == TOKEN04_MODE_GCM;
	size_t body = gcm ? w->cipher_len - T04_TAG_LEN : w->cipher_len;
	uint8_t tag[T04_TAG_LEN];
	int n = 0, fin = 0;

	if (EVP_DecryptInit_ex(ctx, gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc(), NULL,
			       (const uint8_t *)secret, w->nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, w->cipher, (int)body) != 1)
		return TOKEN04_E_INTERNAL;
	if (gcm) {
		memcpy(tag, w->cipher + body, T04_TAG_LEN);
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, T04_TAG_LEN, tag) != 1)
			return TOKEN04_E_INTERNAL;
	}
	if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		return TOKEN04_E_DECRYPT; /* wrong tag or padding */
	*outlen = (size_t)n + (size_t)fin;
	return TOKEN04_OK;
}

static int t04_decrypt(uint8_t *out, size_t *outlen, const struct token04_wire *w,
		       const char *secret)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int rc;

	if (!ctx)
		return TOKEN04_E_INTERNAL;
	rc = t04_decrypt_ctx(ctx, out, outlen, w, secret);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Encrypts len bytes into out, which must hold exactly the expected ciphertext
 * (GCM: len + tag; CBC: len padded to the next block). Returns bytes written. */
static int t04_encrypt_ctx(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len,
			   const uint8_t *iv, enum token04_mode mode, const char *secret)
{
	bool gcm = mode == TOKEN04_MODE_GCM;
	int n = 0, fin = 0;

	if (EVP_EncryptInit_ex(ctx, gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc(), NULL,
			       (const uint8_t *)secret, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) != 1)
		return TOKEN04_E_INTERNAL;
	n += fin;
	if (gcm) {
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, T04_TAG_LEN, out + n) != 1)
			return TOKEN04_E_INTERNAL;
		n += T04_TAG_LEN;
	}
	return n;
}

static int t04_encrypt(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *iv,
		       enum token04_mode mode, const char *secret)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	if (!ctx)
		return TOKEN04_E_INTERNAL;
	n = t04_encrypt_ctx(ctx, out, in, len, iv, mode, secret);
	EVP_CIPHER_CTX_free(ctx);
	return n;
}

/* ---- plaintext JSON ----------------------------------------------------------- */

/* A JSON number that is an integer within [lo, hi] (both within +-2^53). */
static bool t04_json_int(const cJSON *item, double lo, double hi, int64_t *out)
{
	double d;
	int64_t v;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!(d >= lo && d <= hi)) /* also false for NaN */
		return false;
	v = (int64_t)d;
	if ((double)v != d)
		return false;
	*out = v;
	return true;
}

static const cJSON *t04_get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The numeric fields, with ZEGO's generator types: app_id u32, nonce i32,
 * ctime/expire integers. */
static int t04_claims_read_numbers(struct token04_claims *c, const cJSON *root)
{
	int64_t app_id, nonce;

	if (!t04_json_int(t04_get(root, "app_id"), 0, UINT32_MAX, &app_id) ||
	    !t04_json_int(t04_get(root, "nonce"), INT32_MIN, INT32_MAX, &nonce) ||
	    !t04_json_int(t04_get(root, "ctime"), -T04_JSON_INT_LIMIT, T04_JSON_INT_LIMIT,
			  &c->ctime) ||
	    !t04_json_int(t04_get(root, "expire"), -T04_JSON_INT_LIMIT, T04_JSON_INT_LIMIT,
			  &c->expire))
		return TOKEN04_E_JSON;
	c->app_id = (uint32_t)app_id;
	c->nonce = (int32_t)nonce;
	return TOKEN04_OK;
}

/* Fills the top-level claims; *payload points into root. Unknown keys are ignored. */
static int t04_claims_read(struct token04_claims *c, const cJSON *root, const char **payload)
{
	const cJSON *user = t04_get(root, "user_id");
	const cJSON *pl = t04_get(root, "payload");
	size_t ulen;

	if (!cJSON_IsObject(root) || !cJSON_IsString(user) || !cJSON_IsString(pl))
		return TOKEN04_E_JSON;
	ulen = strnlen(user->valuestring, TOKEN04_MAX_USER_ID + 1);
	if (ulen > TOKEN04_MAX_USER_ID)
		return TOKEN04_E_JSON;
	memcpy(c->user_id, user->valuestring, ulen + 1);
	*payload = pl->valuestring;
	return t04_claims_read_numbers(c, root);
}

/* What the caller expects of the token (token04_verify's arguments). */
struct t04_expect {
	uint32_t app_id;
	const char *user_id;
	int64_t now;
	int64_t header_expire;
};

static int t04_claims_check(const struct token04_claims *c, const struct t04_expect *e)
{
	size_t ulen = strnlen(e->user_id, TOKEN04_MAX_USER_ID + 1);

	if (c->app_id != e->app_id)
		return TOKEN04_E_APP_ID;
	if (!rg_ct_equal(c->user_id, strlen(c->user_id), e->user_id, ulen))
		return TOKEN04_E_USER_ID;
	if (e->now >= c->expire)
		return TOKEN04_E_EXPIRED;
	if (c->expire != e->header_expire)
		return TOKEN04_E_EXPIRE_MISMATCH;
	return TOKEN04_OK;
}

/* ---- payload ------------------------------------------------------------------ */

/* room_id: missing or null = any room; otherwise a string of at most
 * TOKEN04_MAX_ROOM_ID bytes ("" = any room). */
static int t04_payload_room(struct token04_claims *c, const cJSON *item)
{
	size_t len;

	if (!item || cJSON_IsNull(item))
		return TOKEN04_OK;
	if (!cJSON_IsString(item))
		return TOKEN04_E_PAYLOAD;
	len = strnlen(item->valuestring, TOKEN04_MAX_ROOM_ID + 1);
	if (len > TOKEN04_MAX_ROOM_ID)
		return TOKEN04_E_PAYLOAD;
	memcpy(c->room_id, item->valuestring, len + 1);
	return TOKEN04_OK;
}

/* One privilege bit: the number 0 or 1. A missing key means NOT granted (a
 * payload restricts; it never grants by omission). Other types are malformed. */
static int t04_privilege_bit(const cJSON *priv, const char *key, bool *granted)
{
	const cJSON *v = t04_get(priv, key);
	int64_t n;

	*granted = false;
	if (!v)
		return TOKEN04_OK;
	if (!t04_json_int(v, 0, 1, &n))
		return TOKEN04_E_PAYLOAD;
	*granted = n == 1;
	return TOKEN04_OK;
}

/* privilege: missing or null grants nothing (see t04_privilege_bit). */
static int t04_payload_privileges(struct token04_claims *c, const cJSON *priv)
{
	int rc;

	c->can_login = false;
	c->can_publish = false;
	if (!priv || cJSON_IsNull(priv))
		return TOKEN04_OK;
	if (!cJSON_IsObject(priv))
		return TOKEN04_E_PAYLOAD;
	rc = t04_privilege_bit(priv, "1", &c->can_login);
	if (rc == TOKEN04_OK)
		rc = t04_privilege_bit(priv, "2", &c->can_publish);
	return rc;
}

/* stream_id_list: missing, null or [] = any stream; otherwise strings of at
 * most TOKEN04_MAX_STREAM_ID bytes. Partial results are freed by the caller
 * (token04_claims_clear) on failure. */
static int t04_payload_streams(struct token04_claims *c, const cJSON *list)
{
	const cJSON *it;
	int n;

	if (!list || cJSON_IsNull(list))
		return TOKEN04_OK;
	if (!cJSON_IsArray(list))
		return TOKEN04_E_PAYLOAD;
	n = cJSON_GetArraySize(list);
	if (n <= 0)
		return TOKEN04_OK;
	c->stream_ids = calloc((size_t)n, sizeof(*c->stream_ids));
	if (!c->stream_ids)
		return TOKEN04_E_INTERNAL;
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsString(it) ||
		    strnlen(it->valuestring, TOKEN04_MAX_STREAM_ID + 1) > TOKEN04_MAX_STREAM_ID)
			return TOKEN04_E_PAYLOAD;
		c->stream_ids[c->n_stream_ids] = strdup(it->valuestring);
		if (!c->stream_ids[c->n_stream_ids])
			return TOKEN04_E_INTERNAL;
		c->n_stream_ids++;
	}
	c->has_stream_list = true;
	return TOKEN04_OK;
}

static int t04_payload_read(struct token04_claims *c, const cJSON *root)
{
	int rc;

	if (!cJSON_IsObject(root))
		return TOKEN04_E_PAYLOAD;
	rc = t04_payload_room(c, t04_get(root, "room_id"));
	if (rc == TOKEN04_OK)
		rc = t04_payload_privileges(c, t04_get(root, "privilege"));
	if (rc == TOKEN04_OK)
		rc = t04_payload_streams(c, t04_get(root, "stream_id_list"));
	return rc;
}

/* "" = no restrictions; otherwise one JSON object and nothing after it. */
static int t04_payload_parse(struct token04_claims *c, const char *payload)
{
	cJSON *root;
	int rc;

	if (payload[0] == '\0') {
		c->can_login = true;
		c->can_publish = true;
		return TOKEN04_OK;
	}
	c->has_payload = true;
	root = cJSON_ParseWithOpts(payload, NULL, 1);
	if (!root)
		return TOKEN04_E_PAYLOAD;
	rc = t04_payload_read(c, root);
	cJSON_Delete(root);
	return rc;
}

/* ---- verification ------------------------------------------------------------- */

static bool t04_only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

static int t04_verify_plain(struct token04_claims *c, const char *plain, size_t len,
			    const struct t04_expect *e)
{
	const char *end = NULL;
	const char *payload = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(plain, len, &end, 0);
	int rc;

	if (!root)
		return TOKEN04_E_JSON;
	rc = t04_only_space(end, plain + len) ? t04_claims_read(c, root, &payload)
					       : TOKEN04_E_JSON;
	if (rc == TOKEN04_OK)
		rc = t04_claims_check(c, e);
	if (rc == TOKEN04_OK)
		rc = t04_payload_parse(c, payload);
	cJSON_Delete(root);
	return rc;
}

static int t04_verify(struct token04_claims *c, const char *token, const char *secret,
		      struct t04_expect *e)
{
	uint8_t raw[T04_RAW_CAP];
	uint8_t plain[T04_RAW_CAP + T04_BLOCK_LEN + 1];
	struct token04_wire w;
	size_t plen = 0;
	int rc;

	if (!t04_secret_ok(secret))
		return TOKEN04_E_SECRET;
	if (!token)
		return TOKEN04_E_FORMAT;
	rc = token04_wire_decode(&w, raw, sizeof(raw), token,
				 strnlen(token, TOKEN04_MAX_LEN + 1));
	if (rc == TOKEN04_OK)
		rc = t04_decrypt(plain, &plen, &w, secret);
	if (rc != TOKEN04_OK)
		return rc;
	plain[plen] = '\0';
	e->header_expire = w.expire;
	rc = t04_verify_plain(c, (const char *)plain, plen, e);
	c->mode = w.mode;
	return rc;
}

int token04_verify(struct token04_claims *claims, const char *token, const char *secret,
		   uint32_t app_id, const char *user_id, int64_t now)
{
	struct t04_expect e = {
		.app_id = app_id,
		.user_id = user_id ? user_id : "",
		.now = now,
	};
	int rc;

	/* *claims may be uninitialised on entry: zero it, never free it */
	memset(claims, 0, sizeof(*claims));
	rc = t04_verify(claims, token, secret, &e);
	if (rc != TOKEN04_OK)
		token04_claims_clear(claims);
	return rc;
}

/* Room first, then the login bit: a token for another room is reported as
 * such even when it also lacks the login privilege. */
int token04_check_login(const struct token04_claims *claims, const char *room_id)
{
	if (!claims)
		return TOKEN04_E_INTERNAL;
	if (claims->room_id[0] != '\0' && (!room_id || strcmp(claims->room_id, room_id) != 0))
		return TOKEN04_E_ROOM;
	return claims->can_login ? TOKEN04_OK : TOKEN04_E_NO_LOGIN;
}

int token04_check_publish(const struct token04_claims *claims, const char *stream_id)
{
	if (!claims)
		return TOKEN04_E_INTERNAL;
	if (!claims->can_publish)
		return TOKEN04_E_NO_PUBLISH;
	if (!claims->has_stream_list)
		return TOKEN04_OK;
	for (size_t i = 0; stream_id && i < claims->n_stream_ids; i++)
		if (strcmp(claims->stream_ids[i], stream_id) == 0)
			return TOKEN04_OK;
	return TOKEN04_E_STREAM;
}

/* Idempotent; safe on a zeroed struct. */
void token04_claims_clear(struct token04_claims *claims)
{
	if (!claims)
		return;
	for (size_t i = 0; claims->stream_ids && i < claims->n_stream_ids; i++)
		free(claims->stream_ids[i]);
	free(claims->stream_ids);
	memset(claims, 0, sizeof(*claims));
}

/* ---- generation --------------------------------------------------------------- */

static bool t04_in_json_range(int64_t v)
{
	return v >= -(int64_t)T04_JSON_INT_LIMIT && v <= (int64_t)T04_JSON_INT_LIMIT;
}

static bool t04_gen_params_ok(const struct token04_params *p, int64_t *expire)
{
	if (!p->user_id || strnlen(p->user_id, TOKEN04_MAX_USER_ID + 1) > TOKEN04_MAX_USER_ID)
		return false;
	if (p->mode != TOKEN04_MODE_GCM && p->mode != TOKEN04_MODE_CBC)
		return false;
	/* both within 2^53, so the sum cannot overflow */
	if (!t04_in_json_range(p->ctime) || !t04_in_json_range(p->ttl_s))
		return false;
	*expire = p->ctime + p->ttl_s;
	return t04_in_json_range(*expire);
}

/* The plaintext in ZEGO's key order; malloc'd (cJSON_free) or NULL. */
static char *t04_gen_json(const struct token04_params *p, int64_t expire)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o && cJSON_AddNumberToObject(o, "app_id", (double)p->app_id) &&
	    cJSON_AddStringToObject(o, "user_id", p->user_id) &&
	    cJSON_AddNumberToObject(o, "nonce", (double)p->nonce) &&
	    cJSON_AddNumberToObject(o, "ctime", (double)p->ctime) &&
	    cJSON_AddNumberToObject(o, "expire", (double)expire) &&
	    cJSON_AddStringToObject(o, "payload", p->payload ? p->payload : ""))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Lays out expire | nlen | nonce | clen | ciphertext | mode into raw (capacity
 * T04_RAW_CAP). Returns the raw length or a negative token04_result. */
static int t04_gen_raw(uint8_t *raw, const struct token04_params *p, int64_t expire,
		       const char *json)
{
	bool gcm = p->mode == TOKEN04_MODE_GCM;
	size_t nlen = gcm ? T04_GCM_NONCE_LEN : T04_CBC_IV_LEN;
	size_t jlen = strlen(json);
	size_t clen = gcm ? jlen + T04_TAG_LEN : (jlen / T04_BLOCK_LEN + 1) * T04_BLOCK_LEN;
	size_t rawlen = T04_FIXED_LEN + nlen + clen + (gcm ? 1 : 0);
	uint8_t *iv, *q;

	if (jlen > T04_RAW_CAP || rawlen > T04_RAW_CAP)
		return TOKEN04_E_FORMAT;
	q = t04_put_be(raw, (uint64_t)expire, 8);
	iv = t04_put_be(q, nlen, 2);
	if (p->iv)
		memcpy(iv, p->iv, nlen);
	else if (rg_random_bytes(iv, nlen) != 0)
		return TOKEN04_E_INTERNAL;
	q = t04_put_be(iv + nlen, clen, 2);
	if (t04_encrypt(q, (const uint8_t *)json, jlen, iv, p->mode, p->secret) != (int)clen)
		return TOKEN04_E_INTERNAL;
	if (gcm)
		q[clen] = TOKEN04_MODE_GCM;
	return (int)rawlen;
}

/* "04" + base64(raw); refuses tokens longer than TOKEN04_MAX_LEN, which no
 * verifier would accept. */
static int t04_gen_encode(char *out, size_t outcap, const uint8_t *raw, size_t rawlen)
{
	size_t toklen = 2 + (rawlen + 2) / 3 * 4;

	if (toklen > TOKEN04_MAX_LEN || outcap < toklen + 1)
		return TOKEN04_E_FORMAT;
	out[0] = '0';
	out[1] = '4';
	if (rg_base64_encode(out + 2, outcap - 2, raw, rawlen) < 0)
		return TOKEN04_E_FORMAT;
	return TOKEN04_OK;
}

int token04_generate(char *out, size_t outcap, const struct token04_params *p)
{
	uint8_t raw[T04_RAW_CAP];
	int64_t expire;
	char *json;
	int n;

	if (!p || !out)
		return TOKEN04_E_FORMAT;
	if (!t04_secret_ok(p->secret))
		return TOKEN04_E_SECRET;
	if (!t04_gen_params_ok(p, &expire))
		return TOKEN04_E_FORMAT;
	json = t04_gen_json(p, expire);
	if (!json)
		return TOKEN04_E_INTERNAL;
	n = t04_gen_raw(raw, p, expire, json);
	cJSON_free(json);
	if (n < 0)
		return n;
	return t04_gen_encode(out, outcap, raw, (size_t)n);
}

/* ---- payload building ----------------------------------------------------------- */

static bool t04_build_streams(cJSON *root, const char *const *ids, size_t n)
{
	cJSON *arr;

	if (n == 0)
		return cJSON_AddNullToObject(root, "stream_id_list") != NULL;
	arr = cJSON_AddArrayToObject(root, "stream_id_list");
	if (!arr)
		return false;
	for (size_t i = 0; i < n; i++) {
		cJSON *s;

		if (!ids[i] || strnlen(ids[i], TOKEN04_MAX_STREAM_ID + 1) > TOKEN04_MAX_STREAM_ID)
			return false;
		s = cJSON_CreateString(ids[i]);
		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}

static bool t04_build_fill(cJSON *root, const char *room_id, bool can_login, bool can_publish,
			   const char *const *ids, size_t n)
{
	cJSON *priv;

	if (!cJSON_AddStringToObject(root, "room_id", room_id ? room_id : ""))
		return false;
	priv = cJSON_AddObjectToObject(root, "privilege");
	if (!priv || !cJSON_AddNumberToObject(priv, "1", can_login ? 1 : 0) ||
	    !cJSON_AddNumberToObject(priv, "2", can_publish ? 1 : 0))
		return false;
	return t04_build_streams(root, ids, n);
}

char *token04_payload_build(const char *room_id, bool can_login, bool can_publish,
			    const char *const *stream_ids, size_t n_stream_ids)
{
	cJSON *root;
	char *s = NULL;

	if (room_id && strnlen(room_id, TOKEN04_MAX_ROOM_ID + 1) > TOKEN04_MAX_ROOM_ID)
		return NULL;
	if (n_stream_ids > 0 && !stream_ids)
		return NULL;
	root = cJSON_CreateObject();
	if (root && t04_build_fill(root, room_id, can_login, can_publish, stream_ids, n_stream_ids))
		s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

/* ---- result table ----------------------------------------------------------------- */

struct t04_result_info {
	const char *name;
	int zego_code;
	const char *message;
};

/* Indexed by -result. Configuration and internal failures surface to the
 * client as the generic token error 1102016. */
static const struct t04_result_info t04_results[] = {
	{ "ok", 0, "token accepted" },
	{ "token_format", 1102016, "token is not in token04 format" },
	{ "token_decrypt", 1102016, "token cannot be decrypted (wrong secret or altered)" },
	{ "token_json", 1102016, "token content is not valid token04 JSON" },
	{ "app_id", 1102016, "token was issued for another app" },
	{ "user_mismatch", 1002077, "token user_id differs from the login userID" },
	{ "token_expired", 1102018, "token expired" },
	{ "expire_mismatch", 1102016, "token expiry fields disagree" },
	{ "token_payload", 1102016, "token payload is malformed" },
	{ "room_mismatch", 1102016, "token does not allow this room" },
	{ "no_login_privilege", 1102016, "token does not grant the login privilege" },
	{ "no_publish_privilege", 1103019, "token does not grant the publish privilege" },
	{ "stream_not_allowed", 1002082, "token does not allow publishing this stream" },
	{ "bad_secret", 1102016, "server secret is not 32 bytes (configuration error)" },
	{ "internal", 1102016, "internal error while checking the token" },
};

static const struct t04_result_info *t04_result_info(int result)
{
	static const struct t04_result_info unknown = {
		"unknown", 1102016, "unknown token04 result",
	};

	if (result > 0 || result <= -(int)RG_ARRAY_LEN(t04_results))
		return &unknown;
	return &t04_results[-result];
}

const char *token04_result_name(int result)
{
	return t04_result_info(result)->name;
}

int token04_result_zego_code(int result)
{
	return t04_result_info(result)->zego_code;
}

const char *token04_result_message(int result)
{
	return t04_result_info(result)->message;
}
