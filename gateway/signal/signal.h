/* Client signaling: WebSocket connections, sessions and the client
 * protocol (docs/protocol.md). Control loop only, except rg_signal_accept.
 *
 * A "client" is one WebSocket connection; a "session" is one login to a
 * room and outlives its connection for resume_grace_ms after a break, so a
 * client that reconnects with rg "resume" keeps its user and streams and the
 * others see nothing. */
#ifndef RG_SIGNAL_SIGNAL_H
#define RG_SIGNAL_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_config;
struct rg_registry;
struct rg_metrics;
struct rg_signal;
struct rg_media;

struct rg_signal *rg_signal_new(struct rg_loop *control, const struct rg_config *cfg,
				struct rg_registry *reg, struct rg_metrics *metrics);
/* Closes every connection (1001) and session; frees. Control loop. */
void rg_signal_free(struct rg_signal *sig);

/* A connection upgraded to WebSocket. Any thread: the bytes are copied
 * and the work is posted to the control loop. release(release_arg) is
 * called exactly once, on the control loop, when the socket is no longer
 * used (the acceptor then closes it). */
void rg_signal_accept(struct rg_signal *sig, int fd, const char *early, size_t early_len,
		      const char *peer_ip, void (*release)(void *), void *release_arg);

/* The media plane: events for rg_media_new (ctx = the rg_signal), and the
 * media object once created. */
struct rg_media_events;
const struct rg_media_events *rg_signal_media_events(void);
void rg_signal_set_media(struct rg_signal *sig, struct rg_media *media);

unsigned rg_signal_connection_count(const struct rg_signal *sig);
unsigned rg_signal_session_count(const struct rg_signal *sig);

#endif
