/* Small pure helpers shared by every module. No globals, thread-safe. */
#ifndef RG_CORE_UTIL_H
#define RG_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Constant-time equality of two byte strings (time depends only on the lengths). */
bool rg_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Cryptographically random bytes (OpenSSL RAND_bytes). Returns 0 or -EIO. */
int rg_random_bytes(void *buf, size_t len);

/* Lower-case hex of len bytes into out (needs 2*len+1). */
void rg_hex_encode(char *out, const uint8_t *in, size_t len);

/* Standard base64 with padding. rg_base64_encode writes a NUL-terminated
 * string and returns its length, or -ENOSPC. rg_base64_decode accepts only
 * canonical padded input; returns decoded length or -EINVAL / -ENOSPC. */
int rg_base64_encode(char *out, size_t outcap, const uint8_t *in, size_t len);
int rg_base64_decode(uint8_t *out, size_t outcap, const char *in, size_t len);

/* Random identifier of 'bytes' random bytes as hex into out (2*bytes+1). */
int rg_random_id(char *out, size_t bytes);

/* Wall clock seconds (can be overridden by tests through rg_clock_set_fake). */
int64_t rg_now_s(void);
void rg_clock_set_fake(int64_t now_s); /* 0 returns to the real clock */
/* Monotonic microseconds. */
int64_t rg_mono_us(void);

/* "1.2.3.4:5000" / "[::1]:5000" for an IPv4/IPv6 socket address. */
struct sockaddr_storage;
void rg_sockaddr_str(const struct sockaddr_storage *ss, char *out, size_t outlen);
/* Parses a numeric "host:port" (IPv6 in brackets); 0 or -EINVAL. */
int rg_sockaddr_parse(const char *text, struct sockaddr_storage *ss);

#endif
