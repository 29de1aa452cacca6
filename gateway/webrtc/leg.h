/* One WebRTC peer connection ("leg"), audio only, on a media worker:
 * ICE (libnice, full ICE, trickle, consent freshness), DTLS-SRTP
 * (webrtc/dtls.h), SRTP (webrtc/srtp.h) and per-leg RTCP (RR for what it
 * receives, SR for what it sends, loss/jitter/RTT).
 *
 * Two roles:
 *  - answerer (the server's legs): the browser offers, rg_leg_create
 *    answers; ICE controlled; DTLS client for an actpass offer.
 *  - offerer (the load client, later a server cascading to another):
 *    rg_leg_create_offer writes the offer (a=setup:actpass), the peer's
 *    answer goes to rg_leg_set_answer; ICE controlling; the DTLS role is
 *    the opposite of the one the answer took.
 * Then, for both: rg_leg_start, trickled candidates both ways. Decrypted
 * RTP goes to the rtp callback; rg_leg_send_rtp protects and sends.
 * Everything runs on the worker loop that created the leg; callbacks come
 * from there. */
#ifndef RG_WEBRTC_LEG_H
#define RG_WEBRTC_LEG_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_dtls_cert;
struct rg_leg;

struct rg_leg_config {
	const struct rg_dtls_cert *cert;
	const char *bind_address;   /* media.address: gathered and bound */
	const char *public_address; /* media.public_address: advertised instead ("" none) */
	uint16_t port_min, port_max;
	/* Run the leg's libnice agent on a GLib context of its own, driven by
	 * the worker (rg_subctx): its sockets are read through the worker's
	 * epoll set and its timers (connectivity checks, consent freshness,
	 * keepalives) are among the worker's timers. Otherwise the agent's
	 * sources are on the worker's GLib context, and GLib prepares, polls
	 * and checks every one of them on every wakeup: O(legs) per wakeup,
	 * for a worker with thousands of legs (the server's, the load
	 * client's) most of its time. */
	bool epoll_rx;
	/* Once ICE has selected a pair whose local side is a plain UDP socket
	 * (host, server- or peer-reflexive candidate), send DTLS, SRTP and SRTCP
	 * with sendto(2) on that socket to the selected remote address, instead
	 * of nice_agent_send (its lock, lookups and GIO layers per packet).
	 * Follows changes of the selected pair; libnice keeps sending STUN
	 * (checks, consent freshness) itself. Falls back to nice_agent_send for
	 * a TURN-relayed local candidate and after ICE failed. */
	bool direct_tx;
};

/* What the leg does with media: receive it (the server's publish legs,
 * a client's play legs) or send it (server play legs, client publish legs). */
enum rg_leg_dir { RG_LEG_RECV = 0, RG_LEG_SEND };

enum rg_leg_state {
	RG_LEG_NEW = 0,   /* an offerer waiting for its answer */
	RG_LEG_CHECKING,  /* ICE connectivity checks */
	RG_LEG_DTLS,      /* ICE done, DTLS handshake */
	RG_LEG_CONNECTED, /* SRTP keys in place: media flows */
	RG_LEG_FAILED,
	RG_LEG_CLOSED,
};
const char *rg_leg_state_name(enum rg_leg_state s);

struct rg_leg_cb {
	/* A local candidate ("candidate:..."), or "" at the end of gathering. */
	void (*candidate)(void *arg, const char *cand);
	void (*state)(void *arg, enum rg_leg_state state, const char *why);
	/* One decrypted RTP packet from the peer (valid during the call). */
	void (*rtp)(void *arg, const uint8_t *pkt, size_t len);
	/* Optional, for receivers that only count packets (the load client's
	 * sampled players): when set, RTP packets come here as they arrived,
	 * still protected, and rtp gets none. SRTP leaves the RTP header in the
	 * clear, so seq, timestamp and header extensions can be read, but
	 * nothing is authenticated: only packets shorter than an RTP header
	 * plus the profile's authentication tag are dropped before the call.
	 * RTCP is unprotected as usual. */
	void (*srtp)(void *arg, const uint8_t *pkt, size_t len);
};

/* Parses the offer and answers it. On success *out is the leg and
 * *answer a malloc'd SDP; on failure a negative errno and a message naming
 * the problem in err. */
int rg_leg_create(struct rg_leg **out, struct rg_loop *worker, const struct rg_leg_config *cfg,
		  enum rg_leg_dir dir, const char *offer, size_t offer_len, const struct rg_leg_cb *cb,
		  void *arg, char **answer, char *err, size_t errlen);
/* The offering role. On success *out is the leg (state NEW) and *offer a
 * malloc'd SDP (Opus PT 111, audio level id 1, abs-capture-time id 5
 * (RG_LEG_OFFER_CAPTURE_TIME_ID), setup:actpass; sendonly for
 * RG_LEG_SEND, recvonly for RG_LEG_RECV); on failure a negative errno and
 * a message in err. The caller owns both; worker loop only. */
int rg_leg_create_offer(struct rg_leg **out, struct rg_loop *worker, const struct rg_leg_config *cfg,
			enum rg_leg_dir dir, const struct rg_leg_cb *cb, void *arg, char **offer,
			char *err, size_t errlen);
/* The peer's answer to that offer: 0 (state CHECKING), or -EINVAL with
 * the problem in err (bad SDP, no DTLS role, another Opus PT, a second
 * answer). The leg stays usable only on success. */
int rg_leg_set_answer(struct rg_leg *leg, const char *answer, size_t answer_len, char *err,
		      size_t errlen);

/* Starts gathering: local candidates follow through the callback. Call it
 * after the answer has been handed on (answerer) or set (offerer), so that
 * a peer never sees a candidate for a leg it has not heard of. */
void rg_leg_start(struct rg_leg *leg);
/* A trickled remote candidate; "" = end of candidates. 0 or -EINVAL. */
int rg_leg_remote_candidate(struct rg_leg *leg, const char *cand);
/* Room a caller leaves after an RTP packet for rg_leg_send_rtp. */
#define RG_LEG_TRAILER_ROOM 148 /* RG_SRTP_MAX_TRAILER */

/* Protects one RTP packet in place (SSRC etc. as given) and sends it: pkt
 * must have len + RG_LEG_TRAILER_ROOM bytes of room (cap). 0, -EAGAIN
 * before the leg is connected, -EINVAL on a bad size. */
int rg_leg_send_rtp(struct rg_leg *leg, uint8_t *pkt, size_t len, size_t cap);
enum rg_leg_state rg_leg_state(const struct rg_leg *leg);
uint8_t rg_leg_opus_pt(const struct rg_leg *leg);
uint8_t rg_leg_audio_level_id(const struct rg_leg *leg); /* 0 = not negotiated */
/* The abs-capture-time extension id (sdp.h), 0 = not negotiated. */
uint8_t rg_leg_capture_time_id(const struct rg_leg *leg);
#define RG_LEG_OFFER_CAPTURE_TIME_ID 5
uint32_t rg_leg_ssrc(const struct rg_leg *leg);          /* the SSRC a SEND leg uses */
/* Frees; sends DTLS close_notify and RTCP BYE when connected. */
void rg_leg_free(struct rg_leg *leg);
/* A leg's figures at one moment: a plain copy another thread can keep
 * (the control loop keeps each leg's last and makes JSON of it when the
 * admin API asks). The names are static strings. */
struct rg_leg_stats {
	enum rg_leg_dir dir;
	enum rg_leg_state state;
	bool epoll_rx, direct_tx; /* how the socket is read and written now */
	const char *dtls_state, *srtp_profile;
	char selected[160];
	uint64_t pkts_in, bytes_in, pkts_out, bytes_out, pkts_direct, send_errors, send_full, srtp_errors;
	bool measured;          /* a receiving leg's own loss and jitter, else the peer's reports */
	int64_t packets_lost;
	double fraction_lost;   /* the peer's last report (0..1) */
	double jitter_ms;
	int rtt_ms;
};
void rg_leg_get_stats(const struct rg_leg *leg, struct rg_leg_stats *st);
/* ICE state, selected pair, how the socket is read and written, DTLS
 * state, SRTP profile, packets/bytes, send errors, loss, jitter, RTT. */
cJSON *rg_leg_stats_to_json(const struct rg_leg_stats *st);
cJSON *rg_leg_to_json(const struct rg_leg *leg);

#endif
