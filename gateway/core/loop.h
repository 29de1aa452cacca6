/* Event loops and threads.
 *
 * Every thread that owns objects runs one rg_loop (a GLib main context and
 * main loop). The control loop runs on the main thread; media workers each
 * run one on their own thread. An object records the loop that owns it and
 * its entry points assert RG_ASSERT_LOOP(owner). Work for another thread is
 * posted with rg_loop_call(); nothing else crosses threads.
 *
 * GLib types stay inside core/: other modules see only these functions. */
#ifndef RG_CORE_LOOP_H
#define RG_CORE_LOOP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

struct rg_loop;

typedef void (*rg_loop_fn)(void *arg);

/* The control loop, bound to the calling thread. Owned by the caller. */
struct rg_loop *rg_loop_new_main(const char *name);
/* A worker loop on a new thread, running until rg_loop_stop_thread(). */
struct rg_loop *rg_loop_new_thread(const char *name);
/* Runs the calling thread's loop until rg_loop_quit(). */
void rg_loop_run(struct rg_loop *loop);
/* Any thread. */
void rg_loop_quit(struct rg_loop *loop);
/* Quits a worker loop, joins its thread and frees it. Any other thread. */
void rg_loop_stop_thread(struct rg_loop *loop);
/* Runs what is pending on the calling thread's loop without waiting. */
void rg_loop_drain(struct rg_loop *loop);
/* Frees a main loop (after rg_loop_run returned). */
void rg_loop_free(struct rg_loop *loop);

/* Runs fn(arg) on the loop's thread, in order of posting. Any thread.
 * The caller hands ownership of arg to fn. */
void rg_loop_call(struct rg_loop *loop, rg_loop_fn fn, void *arg);
bool rg_loop_is_current(const struct rg_loop *loop);
const char *rg_loop_name(const struct rg_loop *loop);
/* The loop of the calling thread, or NULL. */
struct rg_loop *rg_loop_current(void);

#define RG_ASSERT_LOOP(loop) assert(rg_loop_is_current(loop))

/* Timers (monotonic). Callback returns true to repeat, false to stop (the
 * timer is then gone). Only on the loop's own thread. Ids are > 0. */
typedef bool (*rg_timer_fn)(void *arg);
unsigned rg_timer_add(struct rg_loop *loop, unsigned interval_ms, rg_timer_fn fn, void *arg);
void rg_timer_cancel(unsigned id);

/* File-descriptor watches on the loop's own thread. */
enum { RG_FD_IN = 1, RG_FD_OUT = 2, RG_FD_ERR = 4 };
/* The callback may call rg_fd_watch_remove() on its own watch. */
typedef void (*rg_fd_fn)(int fd, unsigned events, void *arg);
struct rg_fd_watch;
struct rg_fd_watch *rg_fd_watch_add(struct rg_loop *loop, int fd, unsigned events, rg_fd_fn fn,
				    void *arg);
void rg_fd_watch_set(struct rg_fd_watch *w, unsigned events);
void rg_fd_watch_remove(struct rg_fd_watch *w);

/* A GMainContext of its own for one object that uses a GLib-based library
 * (a leg's libnice agent), driven by the loop instead of being iterated by
 * it: the context's fds join the loop's epoll set and its next timeout is
 * one of the loop's timers, so the loop's own GLib context does not grow
 * with the number of such objects (GLib's work per wakeup is O(sources)).
 * When a fd is ready or the timeout is due, the context is iterated once
 * (prepare, query, check, dispatch: no poll of its own). After calling
 * into the library from outside that iteration, call rg_subctx_sync: the
 * library may have added or removed sources. The context's own wakeup fd
 * is not watched: only the loop's thread may use the context. A fd must
 * stay open while a source of the context polls it (its watch goes at the
 * next sync): free the rg_subctx before the library closes its fds for
 * good (a leg: before its agent goes). Loop thread only; the caller owns
 * the result. */
struct rg_subctx;
struct rg_subctx *rg_subctx_new(struct rg_loop *loop);
/* The GMainContext (void *: GLib stays out of this header); not a reference. */
void *rg_subctx_glib_context(struct rg_subctx *s);
/* Dispatches what is due and takes the context's new fds and timeout over.
 * From inside the context's own dispatch it only notes that it must be
 * done when that dispatch returns. */
void rg_subctx_sync(struct rg_subctx *s);
/* Stops driving the context (its sources must be gone or no longer
 * matter) and frees it. */
void rg_subctx_free(struct rg_subctx *s);

/* The loop's GMainContext, as void * so GLib stays out of this header: for
 * the one file of a module that glues a GLib-based library onto the loop
 * (sip/ua.c attaches sofia-sip's su_root GSource). Not a reference. */
void *rg_loop_glib_context(struct rg_loop *loop);

/* Unix signal handler on the given (main) loop. */
void rg_loop_on_signal(struct rg_loop *loop, int signum, rg_loop_fn fn, void *arg);

#endif
