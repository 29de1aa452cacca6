/* One WebSocket connection on the control loop: non-blocking socket I/O,
 * frame assembly (signal/ws.h), ping/pong, close handshake, output
 * buffering with a backlog limit.
 *
 * Ownership: created by rg_signal_accept; the owner (a signal client) gets
 * complete text messages and one 'closed' call when the peer or an error
 * ends the connection. The owner ends it with rg_wsconn_close(). In both
 * cases the owner must not touch the connection afterwards; the connection
 * frees itself once the socket is handed back (release callback). */
#ifndef RG_SIGNAL_WSCONN_H
#define RG_SIGNAL_WSCONN_H

#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_wsconn;

struct rg_wsconn_ops {
	void (*text)(void *owner, const char *msg, size_t len);
	/* code: the close code (from the peer, or the protocol error sent) or
	 * 1006 when the socket broke without a close frame. */
	void (*closed)(void *owner, int code);
};

/* Gives the socket back to whoever accepted it (MHD upgrade handle). */
typedef void (*rg_wsconn_release_fn)(void *arg);

struct rg_wsconn_params {
	int fd;
	const uint8_t *early;  /* bytes read before the upgrade */
	size_t early_len;
	size_t max_message;
	size_t max_backlog;    /* queued output bytes before the peer counts as stuck */
	rg_wsconn_release_fn release;
	void *release_arg;
};

struct rg_wsconn *rg_wsconn_new(struct rg_loop *loop, const struct rg_wsconn_params *p);
void rg_wsconn_set_owner(struct rg_wsconn *c, const struct rg_wsconn_ops *ops, void *owner);
/* Starts reading (after the owner is set). Early bytes are processed first. */
void rg_wsconn_start(struct rg_wsconn *c);
/* Queues a text message. Returns 0, or -EPIPE when closing/closed or the
 * backlog limit was hit (the connection is then closed with 1008). */
int rg_wsconn_send_text(struct rg_wsconn *c, const char *s, size_t len);
/* Sends a close frame and ends the connection (no 'closed' callback). */
void rg_wsconn_close(struct rg_wsconn *c, uint16_t code, const char *reason);
size_t rg_wsconn_backlog(const struct rg_wsconn *c);

#endif
