/* WebSocket connection I/O on the control loop.
 *
 * States: OPEN -> CLOSING (close frame queued; waiting for the output to
 * drain and for the peer's close or EOF, at most 2 s) -> DONE -> freed.
 * DONE stops all I/O at once; the object is freed from a posted call, so it
 * never disappears under a caller's feet, and a 'closed' notification still
 * owed to the owner (e.g. after the output backlog overflowed inside
 * rg_wsconn_send_text) is delivered from there, never from inside an owner's
 * own call into this module. */
#include "signal/wsconn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "signal/ws.h"

enum conn_state { ST_OPEN, ST_CLOSING, ST_DONE };

struct rg_wsconn {
	struct rg_loop *loop;
	int fd;
	enum conn_state state;
	struct rg_fd_watch *watch;
	struct ws_assembler *asm_;
	const struct rg_wsconn_ops *ops;
	void *owner;
	uint8_t *early;
	size_t early_len;
	uint8_t *out;       /* pending output: out[out_off .. out_len) */
	size_t out_off, out_len, out_cap;
	size_t max_backlog;
	unsigned close_timer;
	int close_code;     /* reported to the owner if still owed */
	bool flush_posted;  /* a deferred flush is queued on the loop */
	bool notify_owner;  /* owner still wants the 'closed' callback */
	rg_wsconn_release_fn release;
	void *release_arg;
};

static void notify_closed(struct rg_wsconn *c, int code)
{
	if (c->notify_owner && c->ops && c->ops->closed) {
		c->notify_owner = false;
		c->ops->closed(c->owner, code);
	}
	c->notify_owner = false;
}

static void conn_reap(void *arg)
{
	struct rg_wsconn *c = arg;
	notify_closed(c, c->close_code);
	ws_assembler_free(c->asm_);
	c->release(c->release_arg); /* the acceptor closes the socket */
	free(c->early);
	free(c->out);
	free(c);
}

/* Stops the connection now (socket broke, close handshake done, timeout);
 * it is freed from a posted call. */
static void conn_finish(struct rg_wsconn *c)
{
	if (c->state == ST_DONE)
		return;
	c->state = ST_DONE;
	rg_fd_watch_remove(c->watch);
	c->watch = NULL;
	rg_timer_cancel(c->close_timer);
	c->close_timer = 0;
	rg_loop_call(c->loop, conn_reap, c);
}

static int out_reserve(struct rg_wsconn *c, size_t more)
{
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + more <= c->out_cap)
		return 0;
	if (c->out_off > 0) { /* compact */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + more <= c->out_cap)
			return 0;
	}
	size_t cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + more)
		cap *= 2;
	uint8_t *n = realloc(c->out, cap);
	if (!n)
		return -ENOMEM;
	c->out = n;
	c->out_cap = cap;
	return 0;
}

static void update_watch(struct rg_wsconn *c)
{
	unsigned ev = RG_FD_IN;
	if (c->out_len > c->out_off)
		ev |= RG_FD_OUT;
	rg_fd_watch_set(c->watch, ev);
}

/* Writes what is pending; returns -EPIPE when the socket is dead. */
static int flush(struct rg_wsconn *c)
{
	while (c->out_len > c->out_off) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -EPIPE;
		c->out_off += (size_t)n;
	}
	if (c->watch)
		update_watch(c);
	return 0;
}

static void deferred_flush(void *arg)
{
	struct rg_wsconn *c = arg;
	c->flush_posted = false;
	if (c->state != ST_DONE && flush(c) != 0)
		conn_finish(c);
}

/* Text messages are written once per loop iteration: events that fan out
 * to a member several times in one batch of work leave in one send(2).
 * Posted calls run in order, so this always runs before conn_reap. */
static int queue_text(struct rg_wsconn *c, const void *data, size_t len)
{
	uint8_t hdr[14];
	size_t hl = ws_frame_header_encode(hdr, true, WS_OP_TEXT, len);
	if (out_reserve(c, hl + len))
		return -ENOMEM;
	memcpy(c->out + c->out_len, hdr, hl);
	memcpy(c->out + c->out_len + hl, data, len);
	c->out_len += hl + len;
	if (!c->flush_posted) {
		c->flush_posted = true;
		rg_loop_call(c->loop, deferred_flush, c);
	}
	return 0;
}

static int queue_frame(struct rg_wsconn *c, uint8_t op, const void *data, size_t len)
{
	uint8_t hdr[14];
	size_t hl = ws_frame_header_encode(hdr, true, op, len);
	if (out_reserve(c, hl + len))
		return -ENOMEM;
	memcpy(c->out + c->out_len, hdr, hl);
	if (len)
		memcpy(c->out + c->out_len + hl, data, len);
	c->out_len += hl + len;
	return flush(c);
}

static bool close_timeout(void *arg)
{
	struct rg_wsconn *c = arg;
	c->close_timer = 0;
	conn_finish(c);
	return false;
}

/* Queues a close frame and waits for the peer (bounded). */
static void start_close(struct rg_wsconn *c, uint16_t code, const char *reason)
{
	if (c->state != ST_OPEN)
		return;
	c->state = ST_CLOSING;
	uint8_t body[125];
	size_t rl = reason ? strlen(reason) : 0;
	if (rl > sizeof body - 2)
		rl = sizeof body - 2;
	body[0] = (uint8_t)(code >> 8);
	body[1] = (uint8_t)code;
	if (rl)
		memcpy(body + 2, reason, rl);
	if (queue_frame(c, WS_OP_CLOSE, body, rl + 2) != 0) {
		conn_finish(c);
		return;
	}
	c->close_timer = rg_timer_add(c->loop, 2000, close_timeout, c);
}

static int on_message(void *arg, enum ws_opcode op, const uint8_t *data, size_t len)
{
	struct rg_wsconn *c = arg;
	if (c->state != ST_OPEN)
		return 0;
	if (op != WS_OP_TEXT) {
		notify_closed(c, WS_CLOSE_UNSUPPORTED);
		start_close(c, WS_CLOSE_UNSUPPORTED, "binary messages are not supported");
		return 1;
	}
	if (c->ops && c->ops->text)
		c->ops->text(c->owner, (const char *)data, len);
	return c->state == ST_OPEN ? 0 : 1;
}

static int on_ping(void *arg, const uint8_t *data, size_t len)
{
	struct rg_wsconn *c = arg;
	if (c->state == ST_OPEN && queue_frame(c, WS_OP_PONG, data, len) != 0)
		return 1;
	return 0;
}

static int on_pong(void *arg, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

static int on_close(void *arg, uint16_t code, const uint8_t *reason, size_t rlen)
{
	(void)reason;
	(void)rlen;
	struct rg_wsconn *c = arg;
	if (c->state == ST_OPEN) {
		notify_closed(c, code);
		/* echo the code (RFC 6455 5.5.1); 1005 is never sent */
		start_close(c, code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : code, NULL);
	}
	/* our close was sent (now or before): flush what we can and finish */
	if (c->state == ST_CLOSING)
		flush(c);
	conn_finish(c);
	return 1;
}

static const struct ws_assembler_events asm_events = { on_message, on_ping, on_pong, on_close };

static void feed(struct rg_wsconn *c, const uint8_t *buf, size_t len)
{
	int rc = ws_assembler_feed(c->asm_, buf, len);
	if (rc < 0 && c->state == ST_OPEN) {
		RG_DEBUG(SIGNAL, "websocket protocol error, closing with %d", -rc);
		notify_closed(c, -rc);
		start_close(c, (uint16_t)-rc, "protocol error");
	}
}

static void on_readable(struct rg_wsconn *c)
{
	uint8_t buf[16384];
	for (int rounds = 0; rounds < 16 && c->state != ST_DONE; rounds++) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* EOF or reset */
			notify_closed(c, 1006);
			conn_finish(c);
			return;
		}
		if (c->state == ST_OPEN)
			feed(c, buf, (size_t)n);
		/* in CLOSING, data frames are discarded; the close frame ends it */
		else if (c->state == ST_CLOSING)
			ws_assembler_feed(c->asm_, buf, (size_t)n);
	}
}

static void on_io(int fd, unsigned events, void *arg)
{
	(void)fd;
	struct rg_wsconn *c = arg;
	if ((events & RG_FD_OUT) && c->state != ST_DONE && flush(c) != 0) {
		notify_closed(c, 1006);
		conn_finish(c);
	}
	if ((events & (RG_FD_IN | RG_FD_ERR)) && c->state != ST_DONE)
		on_readable(c);
	/* output drained after our close frame: nothing left to wait for but
	 * the peer's close, which the timer bounds */
}

struct rg_wsconn *rg_wsconn_new(struct rg_loop *loop, const struct rg_wsconn_params *p)
{
	struct rg_wsconn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->asm_ = ws_assembler_new(p->max_message, &asm_events, c);
	if (!c->asm_ || (p->early_len && !(c->early = malloc(p->early_len)))) {
		ws_assembler_free(c->asm_);
		free(c);
		return NULL;
	}
	if (p->early_len)
		memcpy(c->early, p->early, p->early_len);
	c->early_len = p->early_len;
	c->loop = loop;
	c->fd = p->fd;
	c->max_backlog = p->max_backlog;
	c->release = p->release;
	c->release_arg = p->release_arg;
	c->notify_owner = true;
	c->close_code = 1006;
	return c;
}

void rg_wsconn_set_owner(struct rg_wsconn *c, const struct rg_wsconn_ops *ops, void *owner)
{
	c->ops = ops;
	c->owner = owner;
}

static void feed_early(void *arg)
{
	struct rg_wsconn *c = arg;
	if (c->state == ST_OPEN)
		feed(c, c->early, c->early_len);
}

void rg_wsconn_start(struct rg_wsconn *c)
{
	RG_ASSERT_LOOP(c->loop);
	c->watch = rg_fd_watch_add(c->loop, c->fd, RG_FD_IN, on_io, c);
	/* from a posted call, so the owner is never called back from here */
	if (c->early_len)
		rg_loop_call(c->loop, feed_early, c);
}

int rg_wsconn_send_text(struct rg_wsconn *c, const char *s, size_t len)
{
	if (c->state != ST_OPEN)
		return -EPIPE;
	if (c->out_len - c->out_off + len > c->max_backlog) {
		RG_WARN(SIGNAL, "client does not read its messages (%zu bytes queued); closing",
			c->out_len - c->out_off);
		c->close_code = WS_CLOSE_POLICY; /* owner is told from conn_reap */
		start_close(c, WS_CLOSE_POLICY, "too much unread output");
		return -EPIPE;
	}
	if (queue_text(c, s, len) != 0) {
		conn_finish(c);
		return -EPIPE;
	}
	return 0;
}

void rg_wsconn_close(struct rg_wsconn *c, uint16_t code, const char *reason)
{
	c->notify_owner = false;
	if (c->state == ST_OPEN)
		start_close(c, code, reason);
}

size_t rg_wsconn_backlog(const struct rg_wsconn *c)
{
	return c->out_len - c->out_off;
}
