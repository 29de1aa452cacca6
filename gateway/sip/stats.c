/* What the gateway counts for /metrics, and the rate-limited log of
 * incoming INVITEs. Control loop.
 *
 * Every incoming INVITE that reaches dial-in ends as answered, challenged
 * (401) or refused with a status; each outcome is counted. The lines about
 * incoming INVITEs (which trunk and rule, why refused) are logged at most
 * INVITE_LOG_BURST a second: an INVITE flood must not become a log flood.
 * What the limit held back is summed up in one line a second while it
 * lasts, and counted in /metrics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "sip/sip_int.h"

#define INVITE_LOG_BURST 10
#define INVITE_LOG_INTERVAL_MS 1000
#define OTHER_RESULT 6 /* a status not in the table counts as 500 */

static const int result_status[SIP_INVITE_RESULTS] = { 200, 401, 403, 404, 486, 488, 500, 503 };

void sip_stats_init(struct rg_sip *s)
{
	s->invite_log = (struct rg_ratelimit)RG_RATELIMIT_INIT(INVITE_LOG_INTERVAL_MS, INVITE_LOG_BURST);
}

void sip_stats_stop(struct rg_sip *s)
{
	if (s->invite_log_timer)
		rg_timer_cancel(s->invite_log_timer);
	s->invite_log_timer = 0;
}

void sip_invite_count(struct rg_sip *s, int status)
{
	int k = OTHER_RESULT;
	for (int i = 0; i < SIP_INVITE_RESULTS; i++)
		if (result_status[i] == status)
			k = i;
	s->invites[k]++;
}

/* Once a second while lines are being held back: how many were. */
static bool summary_due(void *arg)
{
	struct rg_sip *s = arg;
	uint64_t n = rg_ratelimit_take_suppressed(&s->invite_log);
	if (!n) {
		s->invite_log_timer = 0;
		return false;
	}
	RG_WARN(SIP, "%llu more lines about incoming INVITEs not logged in the last second (at most %d a second; "
		"roomgate_sip_invites_total counts the INVITEs)", (unsigned long long)n, INVITE_LOG_BURST);
	return true;
}

void sip_invite_log(struct rg_sip *s, enum rg_log_level level, const char *fmt, ...)
{
	if (!rg_log_enabled(RG_SUB_SIP, level))
		return;
	if (!rg_ratelimit_allow(&s->invite_log, rg_mono_us() / 1000)) {
		s->invite_log_suppressed++;
		if (!s->invite_log_timer && !s->closing)
			s->invite_log_timer = rg_timer_add(s->d.control, INVITE_LOG_INTERVAL_MS, summary_due, s);
		return;
	}
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	rg_log(RG_SUB_SIP, level, "%s", line);
}

char *rg_sip_metrics(const struct rg_sip *s)
{
	unsigned active = 0, ended = 0;
	for (const struct call *c = s->calls; c; c = c->next) {
		if (c->state == CS_ENDED)
			ended++;
		else
			active++;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("# HELP roomgate_sip_invites_total Incoming INVITEs by outcome: answered, challenged (401), or refused "
	      "with a SIP status.\n# TYPE roomgate_sip_invites_total counter\n", f);
	for (int k = 0; k < SIP_INVITE_RESULTS; k++) {
		int st = result_status[k];
		fprintf(f, "roomgate_sip_invites_total{result=\"%s", st == 200 ? "answered" : st == 401 ? "challenged_" : "refused_");
		if (st != 200)
			fprintf(f, "%d", st);
		fprintf(f, "\"} %llu\n", (unsigned long long)s->invites[k]);
	}
	fprintf(f, "# HELP roomgate_sip_invite_log_suppressed_total Log lines about incoming INVITEs that the rate limit "
		   "held back.\n# TYPE roomgate_sip_invite_log_suppressed_total counter\n"
		   "roomgate_sip_invite_log_suppressed_total %llu\n", (unsigned long long)s->invite_log_suppressed);
	fprintf(f, "# HELP roomgate_sip_calls SIP calls listed by the admin API: in progress, or ended and kept a while.\n"
		   "# TYPE roomgate_sip_calls gauge\n"
		   "roomgate_sip_calls{state=\"active\"} %u\nroomgate_sip_calls{state=\"ended\"} %u\n", active, ended);
	fclose(f);
	return buf;
}
