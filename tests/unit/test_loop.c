/* core/loop: timers (one heap per loop) and rg_subctx (a GMainContext of
 * its own driven by the loop), on the main loop of the test thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"

/* Runs the loop until *flag or 2 s pass. */
static bool run_until(bool *flag)
{
	int64_t end = rg_mono_us() + 2000000;
	while (!*flag && rg_mono_us() < end)
		g_main_context_iteration(NULL, TRUE);
	return *flag;
}

struct rec {
	char order[16];
	int n, repeats;
	unsigned cancel_id; /* cancelled by the callback */
	bool done;
};

static bool fire_a(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'a';
	return false;
}

static bool fire_b(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'b';
	rg_timer_cancel(r->cancel_id); /* another timer, not yet due */
	return false;
}

static bool fire_c(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'c';
	return false;
}

static bool fire_last(void *arg)
{
	struct rec *r = arg;
	r->order[r->n++] = 'z';
	r->done = true;
	return false;
}

static void test_timer_order_and_cancel(void **state)
{
	(void)state;
	struct rg_loop *loop = rg_loop_new_main("test");
	struct rec r = { 0 };
	rg_timer_add(loop, 30, fire_a, &r);
	rg_timer_add(loop, 10, fire_b, &r);
	r.cancel_id = rg_timer_add(loop, 20, fire_c, &r); /* cancelled by b */
	unsigned gone = rg_timer_add(loop, 5, fire_c, &r);
	rg_timer_cancel(gone);
	rg_timer_add(loop, 60, fire_last, &r);
	assert_true(run_until(&r.done));
	assert_string_equal(r.order, "baz");
	rg_timer_cancel(gone); /* a stale id: nothing */
	rg_loop_free(loop);
}

static bool repeat(void *arg)
{
	struct rec *r = arg;
	r->repeats++;
	if (r->repeats == 3) {
		rg_timer_cancel(r->cancel_id); /* its own id, from its callback */
		r->done = true;
	}
	return true;
}

static void test_timer_repeat_and_self_cancel(void **state)
{
	(void)state;
	struct rg_loop *loop = rg_loop_new_main("test");
	struct rec r = { 0 };
	r.cancel_id = rg_timer_add(loop, 1, repeat, &r);
	assert_true(run_until(&r.done));
	rg_loop_drain(loop);
	assert_int_equal(r.repeats, 3);
	rg_loop_free(loop);
}

/* A 0 ms repeating timer runs once per turn of the loop, so other sources
 * run between its calls. */
static bool spin(void *arg)
{
	int *n = arg;
	return ++*n < 1000000;
}

static bool stop_flag(void *arg)
{
	*(bool *)arg = true;
	return false;
}

static void test_timer_zero_yields(void **state)
{
	(void)state;
	struct rg_loop *loop = rg_loop_new_main("test");
	int n = 0;
	bool done = false;
	unsigned t = rg_timer_add(loop, 0, spin, &n);
	rg_timer_add(loop, 2, stop_flag, &done);
	assert_true(run_until(&done));
	assert_true(n > 0 && n < 1000000);
	rg_timer_cancel(t);
	rg_loop_free(loop);
}

/* ---- rg_subctx ---- */

static gboolean glib_timeout(gpointer arg)
{
	(*(int *)arg)++;
	return G_SOURCE_REMOVE;
}

static gboolean glib_fd(gint fd, GIOCondition cond, gpointer arg)
{
	(void)cond;
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
	(*(int *)arg)++;
	return G_SOURCE_CONTINUE;
}

static bool counted(int *n, int want)
{
	int64_t end = rg_mono_us() + 2000000;
	while (*n < want && rg_mono_us() < end)
		g_main_context_iteration(NULL, TRUE);
	return *n >= want;
}

static void test_subctx(void **state)
{
	(void)state;
	struct rg_loop *loop = rg_loop_new_main("test");
	struct rg_subctx *s = rg_subctx_new(loop);
	GMainContext *ctx = rg_subctx_glib_context(s);
	assert_true(ctx != g_main_context_default());

	/* a timeout of the sub-context fires through the loop's timers */
	int timeouts = 0;
	GSource *t = g_timeout_source_new(5);
	g_source_set_callback(t, glib_timeout, &timeouts, NULL);
	g_source_attach(t, ctx);
	g_source_unref(t);
	rg_subctx_sync(s);
	assert_true(counted(&timeouts, 1));

	/* an fd of the sub-context, through the loop's epoll set */
	int p[2], reads = 0;
	assert_int_equal(pipe(p), 0);
	GSource *f = g_unix_fd_source_new(p[0], G_IO_IN);
	g_source_set_callback(f, (GSourceFunc)(void (*)(void))glib_fd, &reads, NULL);
	g_source_attach(f, ctx);
	rg_subctx_sync(s);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_true(counted(&reads, 1));
	assert_int_equal(write(p[1], "yz", 2), 2);
	assert_true(counted(&reads, 3));

	/* a source gone: its fd is no longer watched */
	g_source_destroy(f);
	g_source_unref(f);
	rg_subctx_sync(s);
	assert_int_equal(write(p[1], "w", 1), 1);
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(NULL, FALSE);
	assert_int_equal(reads, 3);

	rg_subctx_free(s);
	close(p[0]);
	close(p[1]);
	rg_loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order_and_cancel),
		cmocka_unit_test(test_timer_repeat_and_self_cancel),
		cmocka_unit_test(test_timer_zero_yields),
		cmocka_unit_test(test_subctx),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
