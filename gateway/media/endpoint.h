/* Private to media/: the worker side of a plain RTP endpoint (a virtual
 * participant speaking RTP/RTCP over UDP, optionally SRTP with SDES keys).
 *
 * What it receives is published into the room as an Opus stream: Opus
 * packets are forwarded as they are, other codecs are decoded and
 * re-encoded to Opus 20 ms (with an RFC 6464 level). What it sends is its
 * play source: the room's mix minus its own stream (a mixer output), or
 * one stream (forwarded as it is when both are Opus, else through a
 * one-input mixer output, which transcodes). The remote address is fixed,
 * or learned from the first valid RTP packet (symmetric RTP); anything
 * from another address is dropped and counted. Worker thread only. */
#ifndef RG_MEDIA_ENDPOINT_H
#define RG_MEDIA_ENDPOINT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "media/media.h"

struct rg_loop;
struct relay;
struct mixer;
struct rtpep;

#define rtpep_params rg_rtp_ep_params

/* The endpoint ended by itself (media timeout). */
typedef void (*rtpep_end_fn)(void *arg, const char *why);

struct rtpep *rtpep_new(struct rg_loop *loop, struct relay *relay, struct mixer *mx,
			const struct rtpep_params *p, rtpep_end_fn end, void *arg);
void rtpep_free(struct rtpep *e);
/* Once a second: RTCP every 5 s, media timeout. */
void rtpep_tick(struct rtpep *e, int64_t now_us);
cJSON *rtpep_to_json(const struct rtpep *e);
/* See rg_media_rtp_update, rg_media_rtp_tone, rg_media_rtp_dtmf. */
void rtpep_update(struct rtpep *e, const struct rtpep_params *p);
void rtpep_tone(struct rtpep *e, const struct rg_tone *t);
void rtpep_dtmf(struct rtpep *e, const char *digits);
/* A DTMF digit arrived (once per event, at its first packet). */
typedef void (*rtpep_dtmf_fn)(void *arg, char digit);
void rtpep_on_dtmf(struct rtpep *e, rtpep_dtmf_fn fn);

#endif
