/* WebSocket client connection (see wsc.h). */
#include "wsc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "signal/ws.h"

#define WSC_BUF (256 * 1024)

struct wsc {
	int fd;
	struct rg_fd_watch *watch;
	const struct wsc_cb *cb;
	void *arg;
	bool upgraded, dead;
	uint8_t *in;
	size_t in_len;
};

static void die(struct wsc *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	rg_fd_watch_remove(c->watch);
	c->watch = NULL;
	if (c->cb->closed)
		c->cb->closed(c->arg, why);
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int wsc_send(struct wsc *c, const char *msg, size_t len)
{
	if (c->dead || !c->upgraded)
		return -ENOTCONN;
	uint8_t hdr[14], mask[4], stack[2048];
	rg_random_bytes(mask, sizeof mask);
	size_t h = ws_frame_header_encode_masked(hdr, true, WS_OP_TEXT, len, mask);
	uint8_t *buf = h + len <= sizeof stack ? stack : malloc(h + len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, h);
	memcpy(buf + h, msg, len);
	ws_mask(buf + h, len, mask, 0);
	int rc = send_all(c->fd, buf, h + len);
	if (buf != stack)
		free(buf);
	return rc;
}

/* The 101 response: everything up to the blank line. */
static size_t take_upgrade(struct wsc *c, uint8_t *in, size_t len)
{
	uint8_t *end = memmem(in, len, "\r\n\r\n", 4);
	if (!end)
		return 0;
	if (len < 12 || memcmp(in + 9, "101", 3) != 0) {
		die(c, "upgrade refused");
		return 0;
	}
	c->upgraded = true;
	if (c->cb->open)
		c->cb->open(c->arg);
	return (size_t)(end + 4 - in);
}

/* One complete frame at the start of the buffer: its length, 0 for more. */
static size_t take_frame(struct wsc *c, uint8_t *in, size_t len)
{
	struct ws_frame_header h;
	int hl = ws_frame_header_decode(&h, in, len);
	if (hl < 0) {
		die(c, "bad frame");
		return 0;
	}
	if (hl == 0 || h.payload_len > WSC_BUF - (size_t)hl || len < (size_t)hl + h.payload_len) {
		if (hl > 0 && h.payload_len > WSC_BUF - (size_t)hl)
			die(c, "frame too big");
		return 0;
	}
	uint8_t *p = in + hl;
	size_t n = (size_t)h.payload_len;
	if (h.opcode == WS_OP_TEXT && h.fin) {
		char save = (char)p[n]; /* the next frame's first byte, or spare room */
		p[n] = 0;
		c->cb->message(c->arg, (const char *)p, n);
		p[n] = (uint8_t)save;
	} else if (h.opcode == WS_OP_CLOSE) {
		die(c, "closed by the server");
		return 0;
	} else if (h.opcode != WS_OP_PONG && h.opcode != WS_OP_PING) {
		die(c, "unexpected frame");
		return 0;
	}
	return (size_t)hl + n;
}

static void on_readable(int fd, unsigned events, void *arg)
{
	(void)events;
	struct wsc *c = arg;
	ssize_t k = recv(fd, c->in + c->in_len, WSC_BUF - c->in_len, MSG_DONTWAIT);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
		die(c, k == 0 ? "EOF" : "recv failed");
		return;
	}
	if (k < 0)
		return;
	c->in_len += (size_t)k;
	size_t used = 0;
	while (!c->dead) {
		uint8_t *in = c->in + used;
		size_t left = c->in_len - used;
		size_t n = c->upgraded ? take_frame(c, in, left) : take_upgrade(c, in, left);
		if (!n)
			break;
		used += n;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
}

struct wsc *wsc_connect(struct rg_loop *loop, const char *host, unsigned port, const char *path,
			const struct wsc_cb *cb, void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	struct wsc *c = calloc(1, sizeof *c);
	c->in = malloc(WSC_BUF + 1); /* + 1: room for a NUL after the last message */
	c->fd = fd;
	c->cb = cb;
	c->arg = arg;
	uint8_t key[16];
	char key64[32], req[512];
	rg_random_bytes(key, sizeof key);
	rg_base64_encode(key64, sizeof key64, key, sizeof key);
	int n = snprintf(req, sizeof req,
			 "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
			 path, host, port, key64);
	if (send_all(fd, (const uint8_t *)req, (size_t)n) != 0) {
		wsc_free(c);
		return NULL;
	}
	c->watch = rg_fd_watch_add(loop, fd, RG_FD_IN, on_readable, c);
	return c;
}

void wsc_free(struct wsc *c)
{
	if (!c)
		return;
	if (c->watch)
		rg_fd_watch_remove(c->watch);
	close(c->fd);
	free(c->in);
	free(c);
}
