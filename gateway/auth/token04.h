/* token04: ZEGO's login token (docs/protocol.md "Tokens"; wire format in
 * zego-compat.md §4). Pure functions over OpenSSL EVP: no globals, no clock
 * (the caller passes "now"), thread-safe.
 *
 * Token = "04" + base64( expire:i64be | nlen:u16be | nonce[nlen] |
 *                        clen:u16be | ciphertext[clen] | mode:u8 (GCM only) )
 * Key = the 32 ASCII bytes of the app's server secret (AES-256).
 * GCM: 12-byte nonce, no AAD, 16-byte tag appended to the ciphertext, mode byte 1.
 * CBC (legacy): 16-byte IV, PKCS#7, no mode byte. */
#ifndef RG_AUTH_TOKEN04_H
#define RG_AUTH_TOKEN04_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN04_SECRET_LEN 32
#define TOKEN04_MAX_USER_ID 64
#define TOKEN04_MAX_ROOM_ID 128
#define TOKEN04_MAX_STREAM_ID 256
#define TOKEN04_MAX_LEN 8192 /* longest token string accepted */

enum token04_mode { TOKEN04_MODE_CBC = 0, TOKEN04_MODE_GCM = 1 };

/* Results. Negative values are rejections; each has a stable name
 * (token04_result_name) used for metrics and a ZEGO error code
 * (token04_result_zego_code). */
enum token04_result {
	TOKEN04_OK = 0,
	TOKEN04_E_FORMAT = -1,      /* prefix, base64, lengths, mode byte: 1102016 */
	TOKEN04_E_DECRYPT = -2,     /* GCM tag / CBC padding wrong (bad secret or tampering): 1102016 */
	TOKEN04_E_JSON = -3,        /* plaintext is not the expected JSON: 1102016 */
	TOKEN04_E_APP_ID = -4,      /* app_id differs: 1102016 */
	TOKEN04_E_USER_ID = -5,     /* user_id differs from the login userID: 1002077 */
	TOKEN04_E_EXPIRED = -6,     /* now >= expire: 1102018 */
	TOKEN04_E_EXPIRE_MISMATCH = -7, /* JSON expire != header expire: 1102016 */
	TOKEN04_E_PAYLOAD = -8,     /* payload present but malformed: 1102016 */
	TOKEN04_E_ROOM = -9,        /* payload room_id set and differs from the login room: 1102016 */
	TOKEN04_E_NO_LOGIN = -10,   /* payload privilege "1" is 0: 1102016 */
	TOKEN04_E_NO_PUBLISH = -11, /* payload privilege "2" is 0: 1103019 */
	TOKEN04_E_STREAM = -12,     /* stream_id_list set and stream not in it: 1002082 */
	TOKEN04_E_SECRET = -13,     /* secret is not 32 bytes (configuration error) */
	TOKEN04_E_INTERNAL = -14,   /* OpenSSL or allocation failure */
};

/* What a verified token grants. Owned by the caller; free with
 * token04_claims_clear(). token04_verify() zeroes *claims on entry without
 * freeing it: clear a filled struct before reusing it. */
struct token04_claims {
	enum token04_mode mode; /* CBC tokens carry no integrity tag (see protocol.md) */
	uint32_t app_id;
	char user_id[TOKEN04_MAX_USER_ID + 1];
	int32_t nonce;
	int64_t ctime;
	int64_t expire;
	bool has_payload;     /* payload was a non-empty string */
	char room_id[TOKEN04_MAX_ROOM_ID + 1]; /* "" = any room */
	bool can_login;       /* privilege "1" (true when no payload) */
	bool can_publish;     /* privilege "2" (true when no payload) */
	bool has_stream_list; /* stream_id_list was a non-empty array */
	char **stream_ids;    /* has_stream_list: n_stream_ids heap strings */
	size_t n_stream_ids;
};

/* The outer structure of a token, without decryption (pure; the fuzzed layer).
 * Pointers point into 'raw', which the caller provides (decoded base64). */
struct token04_wire {
	int64_t expire;
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *cipher;
	size_t cipher_len;
	enum token04_mode mode;
};

/* Decodes "04"+base64 into raw (capacity rawcap) and splits it into wire.
 * Returns TOKEN04_OK or TOKEN04_E_FORMAT. Bounded reads only. */
int token04_wire_decode(struct token04_wire *wire, uint8_t *raw, size_t rawcap,
			const char *token, size_t token_len);

/* Full verification of zego-compat.md §4 for a login of user_id (payload
 * room and privileges are NOT checked here: see token04_check_login/publish).
 * On TOKEN04_OK fills *claims (caller clears); on failure *claims is zeroed. */
int token04_verify(struct token04_claims *claims, const char *token, const char *secret,
		   uint32_t app_id, const char *user_id, int64_t now);

/* Payload rules for a login to room_id: TOKEN04_OK, _E_ROOM or _E_NO_LOGIN. */
int token04_check_login(const struct token04_claims *claims, const char *room_id);
/* Payload rules for publishing stream_id: TOKEN04_OK, _E_NO_PUBLISH or _E_STREAM. */
int token04_check_publish(const struct token04_claims *claims, const char *stream_id);

void token04_claims_clear(struct token04_claims *claims);

/* Inputs of token04_generate. iv == NULL: random nonce/IV of the mode's size
 * (12 for GCM, 16 for CBC). payload == NULL: "". */
struct token04_params {
	uint32_t app_id;
	const char *user_id;
	const char *secret;  /* 32 bytes */
	int64_t ctime;       /* "now" */
	int64_t ttl_s;       /* expire = ctime + ttl_s */
	int32_t nonce;       /* the JSON nonce */
	const uint8_t *iv;   /* fixed nonce/IV for tests, or NULL */
	enum token04_mode mode;
	const char *payload; /* JSON string or NULL */
};

/* Writes the token into out (NUL-terminated). Plaintext JSON key order is
 * app_id, user_id, nonce, ctime, expire, payload (as ZEGO's generator).
 * Returns TOKEN04_OK, TOKEN04_E_SECRET, TOKEN04_E_FORMAT (out too small or bad
 * params) or TOKEN04_E_INTERNAL. */
int token04_generate(char *out, size_t outcap, const struct token04_params *p);

/* Builds a payload JSON string {"room_id":..,"privilege":{"1":..,"2":..},
 * "stream_id_list":null|[..]}. Returns a malloc'd string (free()) or NULL. */
char *token04_payload_build(const char *room_id, bool can_login, bool can_publish,
			    const char *const *stream_ids, size_t n_stream_ids);

/* Stable snake_case name of a result ("ok", "token_format", "token_decrypt",
 * "token_json", "app_id", "user_mismatch", "token_expired", "expire_mismatch",
 * "token_payload", "room_mismatch", "no_login_privilege",
 * "no_publish_privilege", "stream_not_allowed", "bad_secret", "internal"). */
const char *token04_result_name(int result);
/* ZEGO error code for a result (0 for TOKEN04_OK). */
int token04_result_zego_code(int result);
/* Human message for a result. */
const char *token04_result_message(int result);

#endif
