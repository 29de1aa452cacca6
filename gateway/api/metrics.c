/* /healthz and /metrics (Prometheus text format 0.0.4), plus the HTTP
 * request counters. The handlers run on the control loop, where the room
 * registry and the signal module may be read. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api_int.h"
#include "media/media.h"
#include "vp/vp.h"
#include "core/metrics.h"
#include "core/util.h"
#include "hooks/webhooks.h"
#include "room/room.h"
#include "signal/signal.h"
#include "sip/sip.h"

static const char *const route_names[R_COUNT] = {
	[R_OTHER] = "other", [R_HEALTHZ] = "healthz", [R_METRICS] = "metrics", [R_WS] = "ws",
	[R_DEV_TOKEN] = "dev_token", [R_STATIC] = "static", [R_ROOMS] = "rooms", [R_ROOM] = "room",
	[R_ROOM_USERS] = "room_users", [R_ROOM_USER] = "room_user", [R_ROOM_STREAMS] = "room_streams",
	[R_ROOM_STREAM] = "room_stream", [R_TOKENS] = "tokens",
	[R_ROOM_MIXES] = "room_mixes", [R_ROOM_MIX] = "room_mix", [R_ROOM_RTPS] = "room_rtp_endpoints",
	[R_ROOM_RTP] = "room_rtp_endpoint", [R_ROOM_RECS] = "room_recordings", [R_ROOM_REC] = "room_recording", [R_ROOM_SIP_CALLS] = "room_sip_calls", [R_ROOM_SIP_CALL] = "room_sip_call", [R_SIP_TRUNKS] = "sip_trunks", [R_SIP_REGS] = "sip_registrations", [R_ROOM_SIP_DTMF] = "room_sip_call_dtmf", [R_V1_UNKNOWN] = "v1_unknown",
};

static const int statuses[API_STATUS_SLOTS] = {
	101, 200, 201, 204, 206, 302, 304, 400, 401, 403, 404, 405, 409, 413, 415, 416, 422, 429, 500, 503,
};

const char *api_route_name(enum api_route r)
{
	return (unsigned)r < R_COUNT ? route_names[r] : "other";
}

int api_status_slot(int status)
{
	for (int i = 0; i < API_STATUS_SLOTS; i++)
		if (statuses[i] == status)
			return i;
	return API_STATUS_SLOTS - 2; /* counted as 500 */
}

int api_status_of_slot(int slot)
{
	return statuses[slot];
}

void api_count(struct rg_api *api, enum api_route r, int status)
{
	atomic_fetch_add_explicit(&api->requests[r][api_status_slot(status)], 1, memory_order_relaxed);
}

void api_healthz_handle(struct api_req *r)
{
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		r->allow = "GET, HEAD";
		return api_reply_error(r, -RG_E_METHOD, NULL);
	}
	const struct rg_registry *reg = r->api->d.reg;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "version", RG_VERSION);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((rg_mono_us() - r->api->started_us) / 1000000));
	cJSON_AddNumberToObject(o, "rooms", rg_registry_room_count(reg));
	cJSON_AddNumberToObject(o, "users", rg_registry_user_count(reg));
	cJSON_AddNumberToObject(o, "streams", rg_registry_stream_count(reg));
	api_reply_json(r, 200, o);
}

static void metric(GString *s, const char *name, const char *type, const char *help, double v)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n%s %.9g\n", name, help, name, type, name, v);
}

static void process_metrics(GString *s)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	metric(s, "process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds.", cpu);
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	metric(s, "process_resident_memory_bytes", "gauge", "Resident memory size, bytes.",
	       (double)resident * (double)sysconf(_SC_PAGESIZE));
}

static void login_metrics(GString *s, struct rg_metrics *m)
{
	g_string_append(s, "# HELP roomgate_logins_total Login attempts by result (ok or the error code).\n"
			   "# TYPE roomgate_logins_total counter\n");
	g_string_append_printf(s, "roomgate_logins_total{result=\"ok\"} %llu\n",
			       (unsigned long long)atomic_load(&m->logins[0]));
	for (int e = RG_E_BASE + 1; e < RG_E_END; e++) {
		uint64_t v = atomic_load(&m->logins[e - RG_E_BASE]);
		if (v)
			g_string_append_printf(s, "roomgate_logins_total{result=\"%s\"} %llu\n",
					       rg_error_info(e)->code, (unsigned long long)v);
	}
}

static void http_metrics(GString *s, struct rg_api *api)
{
	g_string_append(s, "# HELP roomgate_http_requests_total HTTP requests by route and status.\n"
			   "# TYPE roomgate_http_requests_total counter\n");
	for (int r = 0; r < R_COUNT; r++)
		for (int k = 0; k < API_STATUS_SLOTS; k++) {
			uint64_t v = atomic_load(&api->requests[r][k]);
			if (v)
				g_string_append_printf(s, "roomgate_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
						       route_names[r], statuses[k], (unsigned long long)v);
		}
}

/* Virtual participants and each worker's mixer clock. */
static void media_metrics(GString *s, struct rg_api *api)
{
	if (api->d.vps) {
		metric(s, "roomgate_mixes", "gauge", "Server-side mixes.", rg_vps_count(api->d.vps, RG_VP_MIX));
		metric(s, "roomgate_rtp_endpoints", "gauge", "Plain RTP endpoints.", rg_vps_count(api->d.vps, RG_VP_RTP));
	}
	if (!api->d.media)
		return;
	cJSON *w = rg_media_mixer_stats(api->d.media);
	static const struct {
		const char *key, *name, *type, *help;
	} f[] = {
		{ "rooms_mixed", "roomgate_mixer_rooms", "gauge", "Rooms with a mixer, per media worker." },
		{ "ticks", "roomgate_mixer_ticks_total", "counter", "20 ms mixer ticks run, per media worker." },
		{ "tick_overruns", "roomgate_mixer_tick_overruns_total", "counter", "Ticks caught up late (the worker was busy)." },
		{ "tick_p50_us", "roomgate_mixer_tick_p50_microseconds", "gauge", "Median duration of the last 256 ticks." },
		{ "tick_p99_us", "roomgate_mixer_tick_p99_microseconds", "gauge", "99th percentile duration of the last 256 ticks." },
		{ "tick_max_us", "roomgate_mixer_tick_max_microseconds", "gauge", "Longest of the last 256 ticks." },
		{ "parallel_jobs", "roomgate_mixer_parallel_jobs_total", "counter", "Codec jobs of ticks shared with the mixer helper threads." },
		{ "helper_jobs", "roomgate_mixer_helper_jobs_total", "counter", "Of those, jobs a helper thread ran." },
		{ "relay_packets", "roomgate_relay_packets_total", "counter", "Published packets sent to their players, per media worker." },
		{ "relay_copies", "roomgate_relay_copies_total", "counter", "Copies sent to players, per media worker." },
		{ "relay_dropped", "roomgate_relay_dropped_total", "counter", "Published packets dropped unsent: the worker was behind." },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", f[i].name, f[i].help, f[i].name, f[i].type);
		for (int k = 0; k < cJSON_GetArraySize(w); k++) {
			const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(w, k), f[i].key);
			g_string_append_printf(s, "%s{worker=\"%d\"} %.9g\n", f[i].name, k, cJSON_IsNumber(v) ? v->valuedouble : 0);
		}
	}
	cJSON_Delete(w);
}

void api_metrics_handle(struct api_req *r)
{
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		r->allow = "GET, HEAD";
		return api_reply_error(r, -RG_E_METHOD, NULL);
	}
	struct rg_api *api = r->api;
	struct rg_metrics *m = api->d.metrics;
	GString *s = g_string_sized_new(4096);
	metric(s, "roomgate_rooms", "gauge", "Rooms open.", rg_registry_room_count(api->d.reg));
	metric(s, "roomgate_users", "gauge", "Users in rooms.", rg_registry_user_count(api->d.reg));
	metric(s, "roomgate_streams", "gauge", "Streams published.", rg_registry_stream_count(api->d.reg));
	metric(s, "roomgate_websocket_connections", "gauge", "Open WebSocket connections.",
	       rg_signal_connection_count(api->d.sig));
	metric(s, "roomgate_sessions", "gauge", "Client sessions (connected or awaiting resume).",
	       rg_signal_session_count(api->d.sig));
	metric(s, "roomgate_websocket_connections_total", "counter", "WebSocket connections accepted.",
	       (double)atomic_load(&m->ws_connections_total));
	metric(s, "roomgate_websocket_messages_received_total", "counter", "Client messages received.",
	       (double)atomic_load(&m->ws_messages_in));
	metric(s, "roomgate_websocket_messages_sent_total", "counter", "Responses sent (events not included).",
	       (double)atomic_load(&m->ws_messages_out));
	metric(s, "roomgate_websocket_protocol_errors_total", "counter", "Connections closed for RFC 6455 violations.",
	       (double)atomic_load(&m->ws_protocol_errors));
	metric(s, "roomgate_sessions_resumed_total", "counter", "Sessions resumed on a new connection.",
	       (double)atomic_load(&m->sessions_resumed));
	metric(s, "roomgate_sessions_timed_out_total", "counter", "Sessions dropped for missing heartbeats.",
	       (double)atomic_load(&m->sessions_timed_out));
	metric(s, "roomgate_kickouts_total", "counter", "Sessions kicked out.", (double)atomic_load(&m->kickouts));
	login_metrics(s, m);
	http_metrics(s, api);
	media_metrics(s, api);
	char *hooks = rg_webhooks_metrics(api->d.webhooks);
	if (hooks) {
		g_string_append(s, hooks);
		free(hooks);
	}
	char *sip = api->d.sip ? rg_sip_metrics(api->d.sip) : NULL;
	if (sip) {
		g_string_append(s, sip);
		free(sip);
	}
	process_metrics(s);
	api_reply_text(r, 200, "text/plain; version=0.0.4", g_string_free(s, FALSE));
}
