/* A minimal RFC 6455 client connection for the load generator: TCP
 * connect, HTTP upgrade, masked text frames out, text frames in (the
 * server never fragments, so fragmented or binary frames end the
 * connection). Frame formats come from signal/ws.h.
 *
 * Runs on one rg_loop (the caller's); callbacks come from there. The
 * socket is blocking for writes (messages are small and the server reads
 * everything it is sent) and read without blocking from an fd watch. */
#ifndef RG_LOAD_WSC_H
#define RG_LOAD_WSC_H

#include <stddef.h>

struct rg_loop;
struct wsc;

struct wsc_cb {
	void (*open)(void *arg);
	/* One text message (NUL-terminated, valid during the call). */
	void (*message)(void *arg, const char *msg, size_t len);
	/* The connection ended (why: a short reason). The wsc is still to be freed. */
	void (*closed)(void *arg, const char *why);
};

/* Connects to host:port and asks for path. NULL when the TCP connect
 * fails at once. Owned by the caller: wsc_free. */
struct wsc *wsc_connect(struct rg_loop *loop, const char *host, unsigned port, const char *path,
			const struct wsc_cb *cb, void *arg);
/* Sends one text message. 0 or a negative errno. */
int wsc_send(struct wsc *c, const char *msg, size_t len);
void wsc_free(struct wsc *c);

#endif
