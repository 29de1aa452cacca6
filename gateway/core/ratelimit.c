#include "core/ratelimit.h"

bool rg_ratelimit_allow(struct rg_ratelimit *r, int64_t now_ms)
{
	if (!r->started || now_ms - r->window_ms >= r->interval_ms || now_ms < r->window_ms) {
		r->started = true;
		r->window_ms = now_ms;
		r->in_window = 0;
	}
	if (r->in_window < r->burst) {
		r->in_window++;
		return true;
	}
	r->suppressed++;
	return false;
}

uint64_t rg_ratelimit_take_suppressed(struct rg_ratelimit *r)
{
	uint64_t n = r->suppressed;
	r->suppressed = 0;
	return n;
}
