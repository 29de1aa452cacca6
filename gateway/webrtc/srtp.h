/* SRTP/SRTCP sessions (libsrtp2) for one leg: one outbound (our keys) and
 * one inbound (the peer's keys), replay protection on. Worker thread of the
 * leg. Packet buffers need RG_SRTP_MAX_TRAILER bytes of room at the end. */
#ifndef RG_WEBRTC_SRTP_H
#define RG_WEBRTC_SRTP_H

#include <stddef.h>

#include "webrtc/dtls.h"

#define RG_SRTP_MAX_TRAILER 148 /* SRTP_MAX_TRAILER_LEN */

struct rg_srtp;

/* Calls srtp_init once per process (before workers start). */
int rg_srtp_global_init(void);
void rg_srtp_global_shutdown(void);

/* Bytes of authentication tag an SRTP packet of the profile carries. */
size_t rg_srtp_tag_len(enum rg_srtp_profile p);

struct rg_srtp *rg_srtp_new(const struct rg_srtp_keys *keys);
void rg_srtp_free(struct rg_srtp *s);

/* In place; *len is updated. 0 or a negative errno (-EBADMSG: auth/replay). */
int rg_srtp_protect_rtp(struct rg_srtp *s, void *pkt, int *len);
int rg_srtp_unprotect_rtp(struct rg_srtp *s, void *pkt, int *len);
int rg_srtp_protect_rtcp(struct rg_srtp *s, void *pkt, int *len);
int rg_srtp_unprotect_rtcp(struct rg_srtp *s, void *pkt, int *len);

#endif
