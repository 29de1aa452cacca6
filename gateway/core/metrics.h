/* Process-wide counters for /metrics. Counters are atomics (relaxed): any
 * thread may bump them; /metrics reads them. Gauges that describe control
 * loop state (rooms, users, ...) are read from their owners instead. */
#ifndef RG_CORE_METRICS_H
#define RG_CORE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/errors.h"

struct rg_metrics {
	/* [0] = ok; [e - RG_E_BASE] = failed with RG_E_* e */
	_Atomic uint64_t logins[RG_E_END - RG_E_BASE];
	_Atomic uint64_t ws_connections_total;
	_Atomic uint64_t ws_messages_in;
	_Atomic uint64_t ws_messages_out;
	_Atomic uint64_t ws_protocol_errors;
	_Atomic uint64_t sessions_resumed;
	_Atomic uint64_t sessions_timed_out;
	_Atomic uint64_t kickouts;
};

static inline void rg_metrics_login(struct rg_metrics *m, int err)
{
	int i = err < 0 ? -err : err;
	i = i > RG_E_BASE && i < RG_E_END ? i - RG_E_BASE : (i == 0 ? 0 : RG_E_INTERNAL - RG_E_BASE);
	atomic_fetch_add_explicit(&m->logins[i], 1, memory_order_relaxed);
}

#define RG_METRIC_INC(m, field) atomic_fetch_add_explicit(&(m)->field, 1, memory_order_relaxed)

#endif
