/* rg_loop over GLib: one GMainContext + GMainLoop per thread.
 * Cross-thread calls use g_main_context_invoke_full(), which queues an idle
 * source on the target context and wakes it; calls from one thread to one
 * loop run in posting order (same priority, FIFO). */
#include "core/loop.h"

#include <glib-unix.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct rg_loop {
	GMainContext *ctx;
	GMainLoop *ml;
	GThread *thread; /* NULL for the main loop */
	char name[32];
	GMutex start_lock;
	GCond start_cond;
	bool started;
	struct epoll_source *ep; /* fd watches (created on first use) */
	struct timer_source *ts; /* timers (created on first use) */
};

static __thread struct rg_loop *tls_loop;

static struct rg_loop *loop_alloc(const char *name, GMainContext *ctx)
{
	struct rg_loop *l = g_new0(struct rg_loop, 1);
	l->ctx = ctx;
	l->ml = g_main_loop_new(ctx, FALSE);
	g_strlcpy(l->name, name ? name : "loop", sizeof l->name);
	g_mutex_init(&l->start_lock);
	g_cond_init(&l->start_cond);
	return l;
}

struct rg_loop *rg_loop_new_main(const char *name)
{
	GMainContext *ctx = g_main_context_default();
	g_main_context_ref(ctx);
	struct rg_loop *l = loop_alloc(name, ctx);
	tls_loop = l;
	return l;
}

static gpointer thread_main(gpointer data)
{
	struct rg_loop *l = data;
	tls_loop = l;
	g_main_context_push_thread_default(l->ctx);
	g_mutex_lock(&l->start_lock);
	l->started = true;
	g_cond_signal(&l->start_cond);
	g_mutex_unlock(&l->start_lock);
	g_main_loop_run(l->ml);
	/* drain calls posted before quit so their args are freed */
	while (g_main_context_iteration(l->ctx, FALSE))
		;
	g_main_context_pop_thread_default(l->ctx);
	return NULL;
}

struct rg_loop *rg_loop_new_thread(const char *name)
{
	struct rg_loop *l = loop_alloc(name, g_main_context_new());
	l->thread = g_thread_new(l->name, thread_main, l);
	g_mutex_lock(&l->start_lock);
	while (!l->started)
		g_cond_wait(&l->start_cond, &l->start_lock);
	g_mutex_unlock(&l->start_lock);
	return l;
}

void *rg_loop_glib_context(struct rg_loop *loop)
{
	return loop->ctx;
}

void rg_loop_run(struct rg_loop *loop)
{
	g_main_loop_run(loop->ml);
}

void rg_loop_quit(struct rg_loop *loop)
{
	g_main_loop_quit(loop->ml);
}

static void loop_epoll_free(struct rg_loop *l);
static void loop_timers_free(struct rg_loop *l);

static void loop_destroy(struct rg_loop *l)
{
	loop_timers_free(l);
	loop_epoll_free(l);
	g_main_loop_unref(l->ml);
	g_main_context_unref(l->ctx);
	g_mutex_clear(&l->start_lock);
	g_cond_clear(&l->start_cond);
	g_free(l);
}

static void quit_cb(void *arg)
{
	rg_loop_quit(arg);
}

void rg_loop_stop_thread(struct rg_loop *loop)
{
	if (!loop)
		return;
	rg_loop_call(loop, quit_cb, loop);
	g_thread_join(loop->thread);
	loop_destroy(loop);
}

void rg_loop_drain(struct rg_loop *loop)
{
	while (g_main_context_iteration(loop->ctx, FALSE))
		;
}

void rg_loop_free(struct rg_loop *loop)
{
	if (!loop)
		return;
	while (g_main_context_iteration(loop->ctx, FALSE))
		;
	if (tls_loop == loop)
		tls_loop = NULL;
	loop_destroy(loop);
}

struct call {
	rg_loop_fn fn;
	void *arg;
};

static gboolean call_run(gpointer data)
{
	struct call *c = data;
	c->fn(c->arg);
	return G_SOURCE_REMOVE;
}

void rg_loop_call(struct rg_loop *loop, rg_loop_fn fn, void *arg)
{
	struct call *c = g_new(struct call, 1);
	c->fn = fn;
	c->arg = arg;
	/* Always queue (never run inline) so callers see one ordering rule. */
	GSource *s = g_idle_source_new();
	g_source_set_priority(s, G_PRIORITY_DEFAULT);
	g_source_set_callback(s, call_run, c, g_free);
	g_source_attach(s, loop->ctx);
	g_source_unref(s);
}

bool rg_loop_is_current(const struct rg_loop *loop)
{
	return loop && tls_loop == loop;
}

const char *rg_loop_name(const struct rg_loop *loop)
{
	return loop->name;
}

struct rg_loop *rg_loop_current(void)
{
	return tls_loop;
}

/* Timers: a binary heap of deadlines behind one GSource per loop, whose
 * ready time is the earliest deadline. GLib prepares and checks every
 * source of a context on every iteration, so one GLib timeout per timer
 * made each wakeup of a worker cost O(timers): thousands with a leg's
 * RTCP timer and libnice's timers (rg_subctx) for every leg. Here a wakeup
 * costs O(1) and a timer O(log timers). A repeating timer is due again
 * interval_ms after its callback returned, as with g_timeout. */
struct timer {
	int64_t due; /* monotonic µs */
	unsigned interval_ms;
	unsigned id;
	size_t idx;     /* in the heap; TIMER_OUT while its callback runs */
	bool cancelled; /* during its callback */
	rg_timer_fn fn;
	void *arg;
};

#define TIMER_OUT SIZE_MAX

struct timer_source {
	GSource base;
	struct timer **heap;
	size_t n, cap;
	GHashTable *ids; /* id -> struct timer */
	unsigned next_id;
	int64_t armed;   /* the ready time set, -1 none */
};

static void heap_set(struct timer_source *ts, size_t i, struct timer *t)
{
	ts->heap[i] = t;
	t->idx = i;
}

static void heap_up(struct timer_source *ts, size_t i)
{
	struct timer *t = ts->heap[i];
	while (i > 0 && ts->heap[(i - 1) / 2]->due > t->due) {
		heap_set(ts, i, ts->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(ts, i, t);
}

static void heap_down(struct timer_source *ts, size_t i)
{
	struct timer *t = ts->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= ts->n)
			break;
		if (c + 1 < ts->n && ts->heap[c + 1]->due < ts->heap[c]->due)
			c++;
		if (ts->heap[c]->due >= t->due)
			break;
		heap_set(ts, i, ts->heap[c]);
		i = c;
	}
	heap_set(ts, i, t);
}

static void heap_push(struct timer_source *ts, struct timer *t)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? 2 * ts->cap : 64;
		ts->heap = g_renew(struct timer *, ts->heap, ts->cap);
	}
	heap_set(ts, ts->n++, t);
	heap_up(ts, t->idx);
}

static void heap_remove(struct timer_source *ts, struct timer *t)
{
	size_t i = t->idx;
	struct timer *last = ts->heap[--ts->n];
	t->idx = TIMER_OUT;
	if (i == ts->n)
		return;
	heap_set(ts, i, last);
	heap_up(ts, i);
	heap_down(ts, last->idx);
}

/* GLib wakes the context's poll on every change of a ready time: only
 * when the earliest deadline moved. */
static void timers_arm(struct timer_source *ts)
{
	int64_t due = ts->n ? ts->heap[0]->due : -1;
	if (due != ts->armed) {
		ts->armed = due;
		g_source_set_ready_time(&ts->base, due);
	}
}

static gboolean timers_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
	(void)cb;
	(void)ud;
	struct timer_source *ts = (struct timer_source *)s;
	int64_t now = g_get_monotonic_time();
	while (ts->n && ts->heap[0]->due <= now) {
		struct timer *t = ts->heap[0];
		heap_remove(ts, t);
		bool again = t->fn(t->arg);
		if (again && !t->cancelled) {
			int64_t next = g_get_monotonic_time() + (int64_t)t->interval_ms * 1000;
			t->due = next > now ? next : now + 1; /* a 0 ms timer runs once per dispatch */
			heap_push(ts, t);
			continue;
		}
		if (!t->cancelled)
			g_hash_table_remove(ts->ids, GUINT_TO_POINTER(t->id));
		g_free(t);
	}
	timers_arm(ts);
	return G_SOURCE_CONTINUE;
}

static void timers_finalize(GSource *s)
{
	struct timer_source *ts = (struct timer_source *)s;
	for (size_t i = 0; i < ts->n; i++)
		g_free(ts->heap[i]);
	g_free(ts->heap);
	g_hash_table_destroy(ts->ids);
}

static GSourceFuncs timer_funcs = { .dispatch = timers_dispatch, .finalize = timers_finalize };

static struct timer_source *loop_timers(struct rg_loop *loop)
{
	if (loop->ts)
		return loop->ts;
	GSource *s = g_source_new(&timer_funcs, sizeof(struct timer_source));
	struct timer_source *ts = (struct timer_source *)s;
	ts->ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	ts->armed = -1;
	g_source_set_name(s, "rg timers");
	g_source_attach(s, loop->ctx);
	loop->ts = ts;
	return ts;
}

static void loop_timers_free(struct rg_loop *l)
{
	if (l->ts) {
		g_source_destroy(&l->ts->base);
		g_source_unref(&l->ts->base);
		l->ts = NULL;
	}
}

unsigned rg_timer_add(struct rg_loop *loop, unsigned interval_ms, rg_timer_fn fn, void *arg)
{
	RG_ASSERT_LOOP(loop);
	struct timer_source *ts = loop_timers(loop);
	struct timer *t = g_new0(struct timer, 1);
	/* ids are not reused while the counter does not wrap: a stale id
	 * cancels nothing */
	do
		t->id = ++ts->next_id;
	while (!t->id || g_hash_table_contains(ts->ids, GUINT_TO_POINTER(t->id)));
	t->interval_ms = interval_ms;
	t->due = g_get_monotonic_time() + (int64_t)interval_ms * 1000;
	t->fn = fn;
	t->arg = arg;
	g_hash_table_insert(ts->ids, GUINT_TO_POINTER(t->id), t);
	heap_push(ts, t);
	timers_arm(ts);
	return t->id;
}

void rg_timer_cancel(unsigned id)
{
	struct timer_source *ts = tls_loop ? tls_loop->ts : NULL;
	struct timer *t = id && ts ? g_hash_table_lookup(ts->ids, GUINT_TO_POINTER(id)) : NULL;
	if (!t)
		return;
	g_hash_table_remove(ts->ids, GUINT_TO_POINTER(id));
	if (t->idx == TIMER_OUT) { /* its callback is running: freed when it returns */
		t->cancelled = true;
		return;
	}
	heap_remove(ts, t);
	g_free(t);
	timers_arm(ts);
}

/* fd watches: every watch of a loop sits in one epoll set, and GLib polls
 * only the epoll fd. GLib's own poll() over N sockets costs O(N) per wakeup
 * (measured: most of the control loop's CPU with 1000 WebSockets); epoll
 * costs O(ready). Level-triggered, like GLib's watches.
 * A watch removed while a batch of events is being dispatched is only
 * marked dead and freed after the batch. */
struct rg_fd_watch {
	struct rg_loop *loop;
	rg_fd_fn fn;
	void *arg;
	int fd;
	unsigned events; /* current interest set (RG_FD_*) */
	bool dead;
	struct rg_fd_watch *next_dead;
};

struct epoll_source {
	GSource base;
	struct rg_loop *loop;
	int epfd;
	bool dispatching;
	struct rg_fd_watch *dead; /* freed after the current batch */
};

static uint32_t to_epoll(unsigned ev)
{
	uint32_t e = 0;
	if (ev & RG_FD_IN)
		e |= EPOLLIN | EPOLLPRI | EPOLLRDHUP;
	if (ev & RG_FD_OUT)
		e |= EPOLLOUT;
	return e;
}

static void free_dead(struct epoll_source *es)
{
	while (es->dead) {
		struct rg_fd_watch *w = es->dead;
		es->dead = w->next_dead;
		g_free(w);
	}
}

static gboolean epoll_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
	(void)cb;
	(void)ud;
	struct epoll_source *es = (struct epoll_source *)s;
	struct epoll_event evs[256];
	int n = epoll_wait(es->epfd, evs, 256, 0);
	es->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct rg_fd_watch *w = evs[i].data.ptr;
		if (w->dead)
			continue;
		unsigned ev = 0;
		if (evs[i].events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP))
			ev |= RG_FD_IN;
		if (evs[i].events & EPOLLOUT)
			ev |= RG_FD_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			ev |= RG_FD_ERR;
		w->fn(w->fd, ev, w->arg);
	}
	es->dispatching = false;
	free_dead(es);
	return G_SOURCE_CONTINUE;
}

static void epoll_finalize(GSource *s)
{
	struct epoll_source *es = (struct epoll_source *)s;
	free_dead(es);
	close(es->epfd);
}

static GSourceFuncs epoll_funcs = { .dispatch = epoll_dispatch, .finalize = epoll_finalize };

static struct epoll_source *loop_epoll(struct rg_loop *loop)
{
	if (loop->ep)
		return loop->ep;
	GSource *s = g_source_new(&epoll_funcs, sizeof(struct epoll_source));
	struct epoll_source *es = (struct epoll_source *)s;
	es->loop = loop;
	es->epfd = epoll_create1(EPOLL_CLOEXEC);
	g_assert(es->epfd >= 0);
	g_source_add_unix_fd(s, es->epfd, G_IO_IN);
	g_source_attach(s, loop->ctx);
	loop->ep = es;
	return es;
}

static void loop_epoll_free(struct rg_loop *l)
{
	if (l->ep) {
		g_source_destroy(&l->ep->base);
		g_source_unref(&l->ep->base);
		l->ep = NULL;
	}
}

struct rg_fd_watch *rg_fd_watch_add(struct rg_loop *loop, int fd, unsigned events, rg_fd_fn fn,
				    void *arg)
{
	RG_ASSERT_LOOP(loop);
	struct epoll_source *es = loop_epoll(loop);
	struct rg_fd_watch *w = g_new0(struct rg_fd_watch, 1);
	w->loop = loop;
	w->fn = fn;
	w->arg = arg;
	w->fd = fd;
	w->events = events;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = w };
	if (epoll_ctl(es->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		g_free(w);
		return NULL;
	}
	return w;
}

void rg_fd_watch_set(struct rg_fd_watch *w, unsigned events)
{
	if (w->events == events)
		return;
	w->events = events;
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = w };
	epoll_ctl(w->loop->ep->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

/* Safe from inside any watch callback, including the watch's own. */
void rg_fd_watch_remove(struct rg_fd_watch *w)
{
	if (!w)
		return;
	struct epoll_source *es = w->loop->ep;
	epoll_ctl(es->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = es->dead;
	es->dead = w;
	if (!es->dispatching)
		free_dead(es);
}

struct sig {
	rg_loop_fn fn;
	void *arg;
};

static gboolean sig_run(gpointer data)
{
	struct sig *s = data;
	s->fn(s->arg);
	return G_SOURCE_CONTINUE;
}

void rg_loop_on_signal(struct rg_loop *loop, int signum, rg_loop_fn fn, void *arg)
{
	struct sig *s = g_new(struct sig, 1);
	s->fn = fn;
	s->arg = arg;
	GSource *src = g_unix_signal_source_new(signum);
	g_source_set_callback(src, sig_run, s, g_free);
	g_source_attach(src, loop->ctx);
	g_source_unref(src);
}
