/* DTLS-SRTP (RFC 5764) over OpenSSL for one WebRTC leg.
 *
 * The process has one certificate (rg_dtls_cert, ECDSA P-256, self-signed,
 * made at start); its SHA-256 fingerprint goes into every SDP answer. Each
 * leg has one rg_dtls: datagrams from the peer are fed in, datagrams for
 * the peer leave through the send callback (each OpenSSL write is one
 * datagram), and the handshake's retransmission timer is driven by the
 * caller (rg_dtls_timeout_ms / rg_dtls_handle_timeout). After the handshake
 * the peer certificate's fingerprint is checked against the SDP and the
 * SRTP keys are exported. Owned by the leg's worker thread. */
#ifndef RG_WEBRTC_DTLS_H
#define RG_WEBRTC_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_dtls_cert;
struct rg_dtls;

/* Creates the process certificate. NULL on failure. Any thread; read-only
 * afterwards, shared by every worker. */
struct rg_dtls_cert *rg_dtls_cert_new(void);
void rg_dtls_cert_free(struct rg_dtls_cert *cert);
const uint8_t *rg_dtls_cert_fingerprint(const struct rg_dtls_cert *cert); /* 32 bytes */

enum rg_srtp_profile {
	RG_SRTP_NONE = 0,
	RG_SRTP_AES128_CM_SHA1_80 = 1,
	RG_SRTP_AEAD_AES_128_GCM = 7,
};
const char *rg_srtp_profile_name(enum rg_srtp_profile p);

/* Keys for one direction: master key and salt of the profile's sizes. */
struct rg_srtp_keys {
	enum rg_srtp_profile profile;
	uint8_t local[16 + 14];  /* key || salt we protect with */
	uint8_t remote[16 + 14]; /* key || salt the peer protects with */
	size_t key_len, salt_len;
};

enum rg_dtls_state {
	RG_DTLS_NEW = 0,
	RG_DTLS_HANDSHAKE,
	RG_DTLS_CONNECTED,
	RG_DTLS_FAILED,
	RG_DTLS_CLOSED,
};
const char *rg_dtls_state_name(enum rg_dtls_state s);

typedef void (*rg_dtls_send_fn)(void *arg, const uint8_t *buf, size_t len);

/* client: we are the DTLS client (SDP setup:active). peer_fp: the
 * fingerprint the peer's SDP announced (SHA-256, 32 bytes). */
struct rg_dtls *rg_dtls_new(const struct rg_dtls_cert *cert, bool client, const uint8_t peer_fp[32],
			    rg_dtls_send_fn send, void *arg);
void rg_dtls_free(struct rg_dtls *d);

/* Starts the handshake (the client sends its ClientHello). */
void rg_dtls_start(struct rg_dtls *d);
/* One datagram from the peer. Returns the new state. */
enum rg_dtls_state rg_dtls_feed(struct rg_dtls *d, const uint8_t *buf, size_t len);
/* Milliseconds until rg_dtls_handle_timeout is due, or -1 for none. */
int rg_dtls_timeout_ms(struct rg_dtls *d);
enum rg_dtls_state rg_dtls_handle_timeout(struct rg_dtls *d);
enum rg_dtls_state rg_dtls_state(const struct rg_dtls *d);
/* Why the handshake failed (static string). */
const char *rg_dtls_error(const struct rg_dtls *d);
/* After RG_DTLS_CONNECTED. */
int rg_dtls_srtp_keys(struct rg_dtls *d, struct rg_srtp_keys *keys);
/* Frees the OpenSSL connection of a CONNECTED association whose keys have
 * been exported (rg_dtls_srtp_keys), to save its memory (the handshake
 * buffer and records OpenSSL keeps for retransmissions: tens of KB per
 * leg). Call it only when the peer has shown it has the keys too (it sent
 * authenticated SRTP or SRTCP): from then on nothing of the handshake can be
 * asked again. Afterwards the state stays CONNECTED; a datagram fed in is
 * read only as far as its record header: an alert record (close_notify or
 * a fatal alert: the only ones a peer sends once connected; encrypted, so
 * not verified) makes the state CLOSED; no close_notify is sent at
 * rg_dtls_free. */
void rg_dtls_release(struct rg_dtls *d);
bool rg_dtls_released(const struct rg_dtls *d);
/* "DTLSv1.2" etc. */
const char *rg_dtls_version(const struct rg_dtls *d);

#endif
