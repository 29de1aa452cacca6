/* rg_loop over GLib: one GMainContext + GMainLoop per thread.
 * Cross-thread calls use g_main_context_invoke_full(), which queues an idle
 * source on the target context and wakes it; calls from one thread to one
 * loop run in posting order (same priority, FIFO). */
#include "core/loop.h"

#include <glib-unix.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct rg_loop {
	GMainContext *ctx;
	GMainLoop *ml;
	GThread *thread; /* NULL for the main loop */
	char name[32];
	GMutex start_lock;
	GCond start_cond;
	bool started;
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

void rg_loop_run(struct rg_loop *loop)
{
	g_main_loop_run(loop->ml);
}

void rg_loop_quit(struct rg_loop *loop)
{
	g_main_loop_quit(loop->ml);
}

static void loop_destroy(struct rg_loop *l)
{
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

struct timer {
	rg_timer_fn fn;
	void *arg;
};

static gboolean timer_run(gpointer data)
{
	struct timer *t = data;
	return t->fn(t->arg) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

unsigned rg_timer_add(struct rg_loop *loop, unsigned interval_ms, rg_timer_fn fn, void *arg)
{
	RG_ASSERT_LOOP(loop);
	struct timer *t = g_new(struct timer, 1);
	t->fn = fn;
	t->arg = arg;
	GSource *s = g_timeout_source_new(interval_ms);
	g_source_set_callback(s, timer_run, t, g_free);
	unsigned id = g_source_attach(s, loop->ctx);
	g_source_unref(s);
	return id;
}

void rg_timer_cancel(unsigned id)
{
	if (!id)
		return;
	GSource *s = g_main_context_find_source_by_id(tls_loop ? tls_loop->ctx : NULL, id);
	if (s)
		g_source_destroy(s);
}

struct rg_fd_watch {
	GSource *src;
	gpointer tag;
	rg_fd_fn fn;
	void *arg;
	int fd;
};

static GIOCondition to_cond(unsigned ev)
{
	GIOCondition c = 0;
	if (ev & RG_FD_IN)
		c |= G_IO_IN | G_IO_PRI;
	if (ev & RG_FD_OUT)
		c |= G_IO_OUT;
	return c | G_IO_ERR | G_IO_HUP;
}

typedef struct {
	GSource base;
	struct rg_fd_watch *w;
} fd_source;

static gboolean fd_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
	(void)cb;
	(void)ud;
	struct rg_fd_watch *w = ((fd_source *)s)->w;
	GIOCondition got = g_source_query_unix_fd(s, w->tag);
	unsigned ev = 0;
	if (got & (G_IO_IN | G_IO_PRI))
		ev |= RG_FD_IN;
	if (got & G_IO_OUT)
		ev |= RG_FD_OUT;
	if (got & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))
		ev |= RG_FD_ERR;
	w->fn(w->fd, ev, w->arg);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs fd_funcs = { .dispatch = fd_dispatch };

struct rg_fd_watch *rg_fd_watch_add(struct rg_loop *loop, int fd, unsigned events, rg_fd_fn fn,
				    void *arg)
{
	RG_ASSERT_LOOP(loop);
	struct rg_fd_watch *w = g_new0(struct rg_fd_watch, 1);
	w->src = g_source_new(&fd_funcs, sizeof(fd_source));
	((fd_source *)w->src)->w = w;
	w->fn = fn;
	w->arg = arg;
	w->fd = fd;
	w->tag = g_source_add_unix_fd(w->src, fd, to_cond(events));
	g_source_attach(w->src, loop->ctx);
	return w;
}

void rg_fd_watch_set(struct rg_fd_watch *w, unsigned events)
{
	g_source_modify_unix_fd(w->src, w->tag, to_cond(events));
}

/* Safe from inside the watch's own callback (the callback must then return
 * false or simply not touch w again). */
void rg_fd_watch_remove(struct rg_fd_watch *w)
{
	if (!w)
		return;
	g_source_destroy(w->src);
	g_source_unref(w->src);
	g_free(w);
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
