/* Private to media/: the per-worker relay. Worker thread only. */
#ifndef RG_MEDIA_RELAY_H
#define RG_MEDIA_RELAY_H

#include <stdint.h>

#include "rtp/rtp.h"
#include "webrtc/leg.h"

struct relay;
struct relay_leg;

struct relay *relay_new(void);
void relay_free(struct relay *r);
/* Attaches a connected-or-connecting leg to stream_id as publisher (RECV)
 * or player (SEND). */
struct relay_leg *relay_attach(struct relay *r, struct rg_leg *leg, enum rg_leg_dir dir,
			       const char *stream_id);
void relay_detach(struct relay *r, struct relay_leg *rl);
/* A packet from a publisher leg: to every player of its stream. */
void relay_forward(struct relay *r, struct relay_leg *from, const uint8_t *pkt, size_t len);
unsigned relay_players(const struct relay *r, const char *stream_id);

#endif
