/* rg_subctx: a GMainContext driven by an rg_loop (loop.h).
 *
 * One iteration: prepare, query, check, dispatch, as g_main_context_iteration
 * does, but without a poll: the revents come from the loop's epoll set (the
 * fd whose watch fired), or are empty when a timer fired. After a dispatch
 * the context is prepared, queried and checked again (sources that became
 * ready meanwhile, such as 0 ms timeouts, are dispatched in the same turn,
 * at most ROUNDS times); the last query's fds become the watches and its
 * timeout the timer. Loop thread only. */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"

#define ROUNDS 4

struct watch {
	int fd;
	unsigned events; /* RG_FD_* */
	bool seen;
	struct rg_fd_watch *w;
};

struct rg_subctx {
	struct rg_loop *loop;
	GMainContext *ctx;
	int wakeup_fd; /* the context's own: not watched (loop.h) */
	GPollFD *fds;
	gint cap;
	struct watch *watches;
	unsigned nwatches, capwatches;
	unsigned timer;    /* the context's next timeout */
	int64_t timer_due; /* µs, monotonic */
	bool running;      /* iterating */
	bool dead;         /* freed while iterating: freed at the end */
};

static void iterate(struct rg_subctx *s, int ready_fd, unsigned ready_ev);

static void on_ready(int fd, unsigned events, void *arg)
{
	iterate(arg, fd, events);
}

static bool on_timer(void *arg)
{
	struct rg_subctx *s = arg;
	s->timer = 0;
	iterate(s, -1, 0);
	return false;
}

static unsigned from_glib(gushort ev)
{
	return (ev & (G_IO_IN | G_IO_PRI) ? RG_FD_IN : 0) | (ev & G_IO_OUT ? RG_FD_OUT : 0);
}

static gushort to_glib(unsigned ev)
{
	return (gushort)((ev & RG_FD_IN ? G_IO_IN | G_IO_PRI : 0) | (ev & RG_FD_OUT ? G_IO_OUT : 0) |
			 (ev & RG_FD_ERR ? G_IO_ERR | G_IO_HUP : 0));
}

static gint query(struct rg_subctx *s, gint prio, gint *timeout)
{
	gint n;
	while ((n = g_main_context_query(s->ctx, prio, timeout, s->fds, s->cap)) > s->cap) {
		s->cap = n;
		s->fds = g_renew(GPollFD, s->fds, (gsize)s->cap);
	}
	return n;
}

static struct watch *watch_find(struct rg_subctx *s, int fd)
{
	for (unsigned i = 0; i < s->nwatches; i++)
		if (s->watches[i].fd == fd)
			return &s->watches[i];
	return NULL;
}

/* The fds of the last query (n of them) become the watches. */
static void sync_watches(struct rg_subctx *s, gint n)
{
	for (unsigned i = 0; i < s->nwatches; i++)
		s->watches[i].seen = false;
	for (gint i = 0; i < n; i++) {
		int fd = s->fds[i].fd;
		if (fd == s->wakeup_fd)
			continue;
		struct watch *w = watch_find(s, fd);
		if (!w) {
			if (s->nwatches == s->capwatches) {
				s->capwatches = s->capwatches ? 2 * s->capwatches : 2;
				s->watches = g_renew(struct watch, s->watches, s->capwatches);
			}
			w = &s->watches[s->nwatches++];
			*w = (struct watch){ .fd = fd };
		}
		w->events = w->seen ? w->events | from_glib(s->fds[i].events) : from_glib(s->fds[i].events);
		w->seen = true;
	}
	for (unsigned i = 0; i < s->nwatches;) {
		struct watch *w = &s->watches[i];
		if (!w->seen) {
			rg_fd_watch_remove(w->w);
			*w = s->watches[--s->nwatches];
			continue;
		}
		if (!w->w)
			w->w = rg_fd_watch_add(s->loop, w->fd, w->events, on_ready, s);
		else
			rg_fd_watch_set(w->w, w->events);
		i++;
	}
}

/* timeout_ms: the last query's, -1 none. A timer due at the new time or
 * up to a millisecond after it is kept (the query's timeout is whole
 * milliseconds, rounded up); an earlier one would find nothing ready. */
static void arm(struct rg_subctx *s, gint timeout_ms)
{
	int64_t due = timeout_ms < 0 ? -1 : g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
	if (s->timer && due >= 0 && s->timer_due >= due && s->timer_due - due < 1000)
		return;
	rg_timer_cancel(s->timer);
	s->timer = due >= 0 ? rg_timer_add(s->loop, (unsigned)timeout_ms, on_timer, s) : 0;
	s->timer_due = due;
}

static void drop_watches(struct rg_subctx *s)
{
	for (unsigned i = 0; i < s->nwatches; i++)
		rg_fd_watch_remove(s->watches[i].w);
	s->nwatches = 0;
	rg_timer_cancel(s->timer);
	s->timer = 0;
}

static void destroy(struct rg_subctx *s)
{
	drop_watches(s);
	g_main_context_unref(s->ctx);
	g_free(s->fds);
	g_free(s->watches);
	g_free(s);
}

static void iterate(struct rg_subctx *s, int ready_fd, unsigned ready_ev)
{
	if (s->running)
		return; /* from inside its own dispatch: the next round sees it */
	if (!g_main_context_acquire(s->ctx))
		return; /* another thread owns it: loop.h rules that out */
	s->running = true;
	gint n = 0, timeout = -1;
	bool settled = false;
	for (int round = 0; round < ROUNDS && !settled && !s->dead; round++) {
		gint prio;
		g_main_context_prepare(s->ctx, &prio);
		n = query(s, prio, &timeout);
		for (gint i = 0; i < n; i++)
			s->fds[i].revents = s->fds[i].fd == ready_fd
						    ? (gushort)((s->fds[i].events | G_IO_ERR | G_IO_HUP) & to_glib(ready_ev))
						    : 0;
		ready_fd = -1;
		if (g_main_context_check(s->ctx, prio, s->fds, n))
			g_main_context_dispatch(s->ctx);
		else
			settled = true;
	}
	g_main_context_release(s->ctx);
	s->running = false;
	if (s->dead) {
		destroy(s);
		return;
	}
	sync_watches(s, n);
	arm(s, settled ? timeout : 0); /* not settled: the rest in a later turn of the loop */
}

struct rg_subctx *rg_subctx_new(struct rg_loop *loop)
{
	RG_ASSERT_LOOP(loop);
	struct rg_subctx *s = g_new0(struct rg_subctx, 1);
	s->loop = loop;
	s->ctx = g_main_context_new();
	s->wakeup_fd = -1;
	s->timer_due = -1;
	/* a new context polls its wakeup fd alone */
	gint prio, timeout;
	if (g_main_context_acquire(s->ctx)) {
		g_main_context_prepare(s->ctx, &prio);
		if (query(s, G_MAXINT, &timeout) == 1)
			s->wakeup_fd = s->fds[0].fd;
		g_main_context_check(s->ctx, G_MAXINT, s->fds, 0);
		g_main_context_release(s->ctx);
	}
	return s;
}

void *rg_subctx_glib_context(struct rg_subctx *s)
{
	return s->ctx;
}

void rg_subctx_sync(struct rg_subctx *s)
{
	if (s)
		iterate(s, -1, 0);
}

void rg_subctx_free(struct rg_subctx *s)
{
	if (!s)
		return;
	if (s->running) {
		drop_watches(s);
		s->dead = true;
		return;
	}
	destroy(s);
}
