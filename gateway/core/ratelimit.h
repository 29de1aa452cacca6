/* At most `burst` events per `interval_ms` (fixed windows), for log lines
 * that a flood could otherwise multiply. The caller passes the time (any
 * clock in ms), so the limiter is pure and testable; it has one owner and
 * no lock. Events over the limit are counted as suppressed until the owner
 * takes the count (to log a summary: "K more not logged"). */
#ifndef RG_CORE_RATELIMIT_H
#define RG_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct rg_ratelimit {
	int64_t interval_ms;
	unsigned burst;
	bool started;
	int64_t window_ms;   /* start of the current window */
	unsigned in_window;  /* events allowed in it */
	uint64_t suppressed; /* refused since the last rg_ratelimit_take_suppressed */
};

#define RG_RATELIMIT_INIT(interval_ms, burst) { (interval_ms), (burst), false, 0, 0, 0 }

/* true: go ahead; false: over the limit (counted as suppressed). */
bool rg_ratelimit_allow(struct rg_ratelimit *r, int64_t now_ms);
/* The suppressed count, reset to 0. */
uint64_t rg_ratelimit_take_suppressed(struct rg_ratelimit *r);

#endif
