/* libmicrohttpd wiring: request lifecycle, routing, suspend/resume around
 * control-loop jobs, WebSocket upgrade hand-off. See api.h for the threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "api/api_int.h"
#include "core/config.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "signal/signal.h"
#include "signal/ws.h"

static void split_v1(struct api_req *r)
{
	snprintf(r->segbuf, sizeof r->segbuf, "%s", r->path + 4); /* after "/v1/" */
	r->nseg = 0;
	char *save = NULL;
	for (char *t = strtok_r(r->segbuf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (r->nseg == (int)(sizeof r->segs / sizeof r->segs[0])) {
			r->nseg++; /* too many: no route matches */
			break;
		}
		r->segs[r->nseg++] = t;
	}
}

static enum api_route v1_route(struct api_req *r)
{
	/* empty segments ("//", a trailing "/") name nothing */
	size_t pl = strlen(r->path);
	if (strstr(r->path + 3, "//") || r->path[pl - 1] == '/')
		return R_V1_UNKNOWN;
	split_v1(r);
	if (r->nseg == 1 && !strcmp(r->segs[0], "tokens"))
		return R_TOKENS;
	if (r->nseg == 2 && !strcmp(r->segs[0], "sip"))
		return !strcmp(r->segs[1], "trunks") ? R_SIP_TRUNKS
		       : !strcmp(r->segs[1], "registrations") ? R_SIP_REGS : R_V1_UNKNOWN;
	if (r->nseg < 1 || strcmp(r->segs[0], "rooms") != 0)
		return R_V1_UNKNOWN;
	switch (r->nseg) {
	case 1: return R_ROOMS;
	case 2: return R_ROOM;
	case 3:
		if (!strcmp(r->segs[2], "users"))
			return R_ROOM_USERS;
		if (!strcmp(r->segs[2], "streams"))
			return R_ROOM_STREAMS;
		if (!strcmp(r->segs[2], "mixes"))
			return R_ROOM_MIXES;
		if (!strcmp(r->segs[2], "rtp-endpoints"))
			return R_ROOM_RTPS;
		if (!strcmp(r->segs[2], "recordings"))
			return R_ROOM_RECS;
		if (!strcmp(r->segs[2], "sip-calls"))
			return R_ROOM_SIP_CALLS;
		return R_V1_UNKNOWN;
	case 4:
		if (!strcmp(r->segs[2], "users"))
			return R_ROOM_USER;
		if (!strcmp(r->segs[2], "streams"))
			return R_ROOM_STREAM;
		if (!strcmp(r->segs[2], "mixes"))
			return R_ROOM_MIX;
		if (!strcmp(r->segs[2], "rtp-endpoints"))
			return R_ROOM_RTP;
		if (!strcmp(r->segs[2], "recordings"))
			return R_ROOM_REC;
		if (!strcmp(r->segs[2], "sip-calls"))
			return R_ROOM_SIP_CALL;
		return R_V1_UNKNOWN;
	case 5:
		if (!strcmp(r->segs[2], "sip-calls") && !strcmp(r->segs[4], "dtmf"))
			return R_ROOM_SIP_DTMF;
		return R_V1_UNKNOWN;
	}
	return R_V1_UNKNOWN;
}

static enum api_route route_of(struct api_req *r)
{
	const char *p = r->path;
	if (!strcmp(p, "/healthz"))
		return R_HEALTHZ;
	if (!strcmp(p, "/metrics"))
		return R_METRICS;
	if (!strcmp(p, "/ws"))
		return R_WS;
	if (!strcmp(p, "/dev/token"))
		return R_DEV_TOKEN;
	if (!strcmp(p, "/v1") || !strncmp(p, "/v1/", 4))
		return p[3] ? v1_route(r) : R_V1_UNKNOWN;
	if (!strcmp(p, "/") || !strncmp(p, "/sdk/", 5) || !strncmp(p, "/demo", 5))
		return R_STATIC;
	return R_OTHER;
}

/* ---- responses ---- */

void api_reply_text(struct api_req *r, int status, const char *type, char *text)
{
	free(r->resp);
	r->status = status;
	r->resp = text;
	r->resp_type = type;
	r->done = true;
}

void api_reply_json(struct api_req *r, int status, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	api_reply_text(r, status, "application/json", s);
}

void api_reply_error(struct api_req *r, int rg_err, const char *message)
{
	const struct rg_error_info *info = rg_error_info(rg_err);
	cJSON *o = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "code", info->code);
	cJSON_AddStringToObject(e, "message", message && *message ? message : info->message);
	api_reply_json(r, info->http_status, o);
}

static enum MHD_Result queue(struct api_req *r)
{
	const char *body = r->resp ? r->resp : "";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->resp_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"roomgate\"");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == 302)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/demo/");
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	api_count(r->api, r->route, r->status);
	return ret;
}

/* ---- control-loop jobs ---- */

static void job_run(void *arg)
{
	struct api_req *r = arg;
	switch (r->route) {
	case R_HEALTHZ: api_healthz_handle(r); break;
	case R_METRICS: api_metrics_handle(r); break;
	default: api_admin_handle(r); break;
	}
	if (!r->done)
		api_reply_error(r, -RG_E_INTERNAL, NULL);
	struct rg_api *api = r->api;
	MHD_resume_connection(r->conn);
	atomic_fetch_sub(&api->jobs_inflight, 1);
}

/* ---- WebSocket upgrade ---- */

struct upgrade {
	struct rg_api *api;
	struct MHD_UpgradeResponseHandle *urh;
};

static void upgrade_release(void *arg)
{
	struct upgrade *u = arg;
	MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
	atomic_fetch_sub(&u->api->upgrades_live, 1);
	free(u);
}

static void peer_ip(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, outlen, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)outlen);
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
			size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	(void)req_cls;
	struct rg_api *api = cls;
	struct upgrade *u = malloc(sizeof *u);
	if (!u) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	u->api = api;
	u->urh = urh;
	atomic_fetch_add(&api->upgrades_live, 1);
	char ip[64];
	peer_ip(conn, ip, sizeof ip);
	rg_signal_accept(api->d.sig, sock, extra_in, extra_in_size, ip, upgrade_release, u);
}

static bool header_has_token(const char *value, const char *token)
{
	/* comma-separated, case-insensitive (Connection: keep-alive, Upgrade) */
	size_t tl = strlen(token);
	for (const char *p = value; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && p[len - 1] == ' ')
			len--;
		if (len == tl && !strncasecmp(p, token, tl))
			return true;
		p = end;
	}
	return false;
}

static enum MHD_Result ws_upgrade(struct api_req *r)
{
	struct MHD_Connection *c = r->conn;
	const char *upg = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
	const char *con = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	const char *ver = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	char accept[29];
	if (strcmp(r->method, "GET") != 0) {
		r->allow = "GET";
		api_reply_error(r, -RG_E_METHOD, "/ws accepts only GET with a WebSocket upgrade");
		return queue(r);
	}
	if (!upg || strcasecmp(upg, "websocket") != 0 || !con || !header_has_token(con, "upgrade") ||
	    !ver || strcmp(ver, "13") != 0 || !key || ws_accept_key(accept, key) != 0) {
		api_reply_error(r, -RG_E_BAD_REQUEST,
				"/ws needs a WebSocket upgrade (Upgrade: websocket, Sec-WebSocket-Version: 13, a valid Sec-WebSocket-Key)");
		return queue(r);
	}
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgraded, r->api);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	api_count(r->api, R_WS, 101);
	return ret;
}

/* ---- the MHD access handler ---- */

static struct api_req *req_new(struct rg_api *api, struct MHD_Connection *conn, const char *url,
			       const char *method)
{
	struct api_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->api = api;
	r->conn = conn;
	snprintf(r->method, sizeof r->method, "%s", method);
	snprintf(r->path, sizeof r->path, "%s", url);
	r->route = strlen(url) >= sizeof r->path ? R_OTHER : route_of(r);
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	snprintf(r->content_type, sizeof r->content_type, "%s", ct ? ct : "");
	return r;
}

static void take_body(struct api_req *r, const char *data, size_t len)
{
	size_t max = r->api->d.cfg->http_max_body_bytes;
	if (r->body_too_big || r->body_len + len > max) {
		r->body_too_big = true;
		return;
	}
	char *nb = realloc(r->body, r->body_len + len + 1);
	if (!nb) {
		r->body_too_big = true;
		return;
	}
	r->body = nb;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
}

static bool is_admin(enum api_route r)
{
	return r >= R_ROOMS && r <= R_V1_UNKNOWN;
}

/* Compares SHA-256 digests, so the time taken reveals neither the key's
 * content nor its length. */
static void check_auth(struct api_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *key = r->api->d.cfg->admin_key;
	unsigned char got[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		r->authorized = false;
		return;
	}
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	SHA256((const unsigned char *)key, strlen(key), want);
	r->authorized = rg_ct_equal(got, sizeof got, want, sizeof want);
}

static enum MHD_Result serve_static(struct api_req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		r->allow = "GET, HEAD";
		api_reply_error(r, -RG_E_METHOD, NULL);
		return queue(r);
	}
	if (!strcmp(r->path, "/") || !strcmp(r->path, "/demo")) {
		api_reply_text(r, 302, "text/plain", strdup("see /demo/\n"));
		return queue(r);
	}
	int status = 404;
	struct MHD_Response *resp = api_static_response(r->api, r->path, &status);
	if (!resp) {
		api_reply_error(r, -RG_E_NOT_FOUND, "no such file");
		return queue(r);
	}
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	api_count(r->api, R_STATIC, status);
	return ret;
}

/* The request is complete: answer here, or post it to the control loop. */
static enum MHD_Result dispatch(struct api_req *r)
{
	if (is_admin(r->route)) {
		check_auth(r);
		if (!r->authorized) {
			api_reply_error(r, -RG_E_UNAUTHORIZED, "missing or wrong \"Authorization: Bearer <admin key>\"");
			return queue(r);
		}
	}
	if (r->body_too_big) {
		api_reply_error(r, -RG_E_TOO_LARGE, "request body is larger than http.max_body_bytes");
		return queue(r);
	}
	switch (r->route) {
	case R_WS: return ws_upgrade(r);
	case R_STATIC: return serve_static(r);
	case R_DEV_TOKEN:
		api_dev_token_handle(r);
		return queue(r);
	case R_OTHER:
		api_reply_error(r, -RG_E_NOT_FOUND, "no such route");
		return queue(r);
	default: break;
	}
	MHD_suspend_connection(r->conn);
	atomic_fetch_add(&r->api->jobs_inflight, 1);
	rg_loop_call(r->api->d.control, job_run, r);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	(void)version;
	struct api_req *r = *req_cls;
	if (!r) {
		r = req_new(cls, conn, url, method);
		if (!r)
			return MHD_NO;
		*req_cls = r;
		return MHD_YES;
	}
	if (r->done)
		return queue(r);
	if (*upload_size) {
		take_body(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct api_req *r = *req_cls;
	if (!r)
		return;
	free(r->body);
	free(r->resp);
	free(r);
	*req_cls = NULL;
}

/* libmicrohttpd hands its own format strings to this logger. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	RG_DEBUG(HTTP, "libmicrohttpd: %s", buf);
}

static int make_addr(const struct rg_config *cfg, struct sockaddr_storage *ss, unsigned *flags)
{
	memset(ss, 0, sizeof *ss);
	const char *host = !strcmp(cfg->http_host, "localhost") ? "127.0.0.1" : cfg->http_host;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->http_port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->http_port);
		*flags |= MHD_USE_IPv6;
		return 0;
	}
	return -EINVAL;
}

struct rg_api *rg_api_start(const struct rg_api_deps *deps, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_UPGRADE |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (make_addr(deps->cfg, &ss, &flags)) {
		snprintf(err, errlen, "http.listen: \"%s\" is not an IP address", deps->cfg->http_host);
		return NULL;
	}
	struct rg_api *api = calloc(1, sizeof *api);
	if (!api)
		return NULL;
	api->d = *deps;
	api->quiesced_fd = MHD_INVALID_SOCKET;
	api->started_us = rg_mono_us();
	api->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)deps->cfg->http_max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		/* the pool also lives on for upgraded sockets: keep it small */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, api,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_END);
	if (!api->mhd) {
		snprintf(err, errlen, "http.listen: cannot listen on %s:%u (address in use or not local?)",
			 deps->cfg->http_host, deps->cfg->http_port);
		free(api);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_BIND_PORT);
	api->port = di ? di->port : deps->cfg->http_port;
	return api;
}

uint16_t rg_api_port(const struct rg_api *api)
{
	return api->port;
}

unsigned rg_api_upgrades_live(const struct rg_api *api)
{
	return atomic_load(&api->upgrades_live) + atomic_load(&api->jobs_inflight);
}

void rg_api_quiesce(struct rg_api *api)
{
	/* MHD stops polling the listening socket; we close it in rg_api_stop */
	api->quiesced_fd = MHD_quiesce_daemon(api->mhd);
}

void rg_api_stop(struct rg_api *api)
{
	if (!api)
		return;
	MHD_stop_daemon(api->mhd);
	if (api->quiesced_fd != MHD_INVALID_SOCKET)
		close(api->quiesced_fd);
	free(api);
}
