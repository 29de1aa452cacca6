/* WebSocket clients of the signaling protocol: accept, message intake,
 * connection loss, periodic sweep (login timeout, heartbeat timeout,
 * resume grace, rate-limit windows). Control loop. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "signal/signal_int.h"

#define MAX_BACKLOG (4u << 20)

static void client_free(struct client *c)
{
	g_hash_table_remove(c->sig->clients, c);
	g_free(c);
}

void client_send(struct client *c, char *json)
{
	if (!json)
		return;
	if (rg_wsconn_send_text(c->conn, json, strlen(json)) == 0)
		RG_METRIC_INC(c->sig->metrics, ws_messages_out);
	free(json);
}

void client_reply_ok(struct client *c, const struct rg_request *req, cJSON *data)
{
	client_send(c, rg_proto_response_ok(req->id, data));
}

void client_reply_error(struct client *c, const struct rg_request *req, int err, const char *msg)
{
	client_send(c, rg_proto_response_error(req->id, err, msg));
}

void client_close(struct client *c, uint16_t code, const char *reason)
{
	if (c->session)
		session_detach(c->session);
	rg_wsconn_close(c->conn, code, reason);
	client_free(c);
}

static void on_text(void *owner, const char *msg, size_t len)
{
	struct client *c = owner;
	RG_METRIC_INC(c->sig->metrics, ws_messages_in);
	if (c->session)
		session_touch(c->session, rg_mono_us());
	struct rg_request req;
	char err[256];
	int rc = rg_proto_parse(&req, msg, len, err, sizeof err);
	if (rc) {
		RG_DEBUG(SIGNAL, "client %s: bad message: %s", c->ip, err);
		client_send(c, rg_proto_response_error(req.id, rc, err));
	} else {
		handle_request(c, &req);
	}
	rg_proto_request_free(&req);
}

static void on_closed(void *owner, int code)
{
	struct client *c = owner;
	RG_DEBUG(SIGNAL, "client %s: connection closed (%d)", c->ip, code);
	if (code == 1002 || code == 1007 || code == 1009)
		RG_METRIC_INC(c->sig->metrics, ws_protocol_errors);
	struct session *s = c->session;
	/* A clean close (1000, or 1001 when a page goes away) means the client
	 * left: its session ends now. A broken connection (1006, or a protocol
	 * error) may come back: the session waits for a resume. */
	bool left = code == 1000 || code == 1001;
	if (s) {
		session_detach(s);
		if (left || c->sig->cfg->resume_grace_ms == 0)
			session_end(s, RG_STREAM_DISCONNECTED);
	}
	client_free(c);
}

static const struct rg_wsconn_ops conn_ops = { on_text, on_closed };

struct accept_job {
	struct rg_signal *sig;
	int fd;
	char ip[64];
	void (*release)(void *);
	void *release_arg;
	size_t early_len;
	uint8_t early[];
};

static void accept_run(void *arg)
{
	struct accept_job *j = arg;
	struct rg_signal *sig = j->sig;
	struct rg_wsconn_params p = {
		.fd = j->fd,
		.early = j->early,
		.early_len = j->early_len,
		.max_message = sig->cfg->max_message_bytes,
		.max_backlog = MAX_BACKLOG,
		.release = j->release,
		.release_arg = j->release_arg,
	};
	struct rg_wsconn *conn = rg_wsconn_new(sig->loop, &p);
	if (!conn) {
		j->release(j->release_arg);
		free(j);
		return;
	}
	struct client *c = g_new0(struct client, 1);
	c->sig = sig;
	c->conn = conn;
	c->opened_us = rg_mono_us();
	g_strlcpy(c->ip, j->ip, sizeof c->ip);
	g_hash_table_add(sig->clients, c);
	RG_METRIC_INC(sig->metrics, ws_connections_total);
	rg_wsconn_set_owner(conn, &conn_ops, c);
	rg_wsconn_start(conn);
	free(j);
}

void rg_signal_accept(struct rg_signal *sig, int fd, const char *early, size_t early_len,
		      const char *peer_ip, void (*release)(void *), void *release_arg)
{
	struct accept_job *j = malloc(sizeof *j + early_len);
	if (!j) {
		release(release_arg);
		return;
	}
	j->sig = sig;
	j->fd = fd;
	g_strlcpy(j->ip, peer_ip ? peer_ip : "?", sizeof j->ip);
	j->release = release;
	j->release_arg = release_arg;
	j->early_len = early_len;
	if (early_len)
		memcpy(j->early, early, early_len);
	rg_loop_call(sig->loop, accept_run, j);
}

struct ip_rate {
	int64_t second;
	unsigned count;
};

static gboolean rate_window_old(gpointer key, gpointer value, gpointer now_us)
{
	(void)key;
	const struct ip_rate *r = value;
	return r->second < *(int64_t *)now_us / 1000000;
}

bool client_rate_limited(struct client *c)
{
	int64_t second = rg_mono_us() / 1000000;
	struct ip_rate *r = g_hash_table_lookup(c->sig->ip_rate, c->ip);
	if (!r) {
		r = g_new0(struct ip_rate, 1);
		g_hash_table_insert(c->sig->ip_rate, g_strdup(c->ip), r);
	}
	if (r->second != second) {
		r->second = second;
		r->count = 0;
	}
	return ++r->count > c->sig->cfg->login_attempts_per_ip_per_s;
}

static bool sweep(void *arg)
{
	struct rg_signal *sig = arg;
	int64_t now = rg_mono_us();
	GList *sessions = g_hash_table_get_values(sig->sessions);
	for (GList *l = sessions; l; l = l->next)
		session_sweep(l->data, now);
	g_list_free(sessions);
	GList *clients = g_hash_table_get_keys(sig->clients);
	for (GList *l = clients; l; l = l->next) {
		struct client *c = l->data;
		if (!c->session && now - c->opened_us > (int64_t)sig->cfg->login_timeout_ms * 1000) {
			RG_DEBUG(SIGNAL, "client %s: no login within %u ms", c->ip, sig->cfg->login_timeout_ms);
			client_close(c, RG_CLOSE_LOGIN_TIMEOUT, "login timeout");
		}
	}
	g_list_free(clients);
	g_hash_table_foreach_remove(sig->ip_rate, rate_window_old, &now);
	return true;
}

struct rg_signal *rg_signal_new(struct rg_loop *control, const struct rg_config *cfg,
				struct rg_registry *reg, struct rg_metrics *metrics)
{
	struct rg_signal *sig = g_new0(struct rg_signal, 1);
	sig->loop = control;
	sig->cfg = cfg;
	sig->reg = reg;
	sig->metrics = metrics;
	sig->clients = g_hash_table_new(g_direct_hash, g_direct_equal);
	sig->sessions = g_hash_table_new(g_str_hash, g_str_equal);
	sig->ip_rate = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	unsigned period = cfg->heartbeat_timeout_ms / 4;
	if (period > 1000)
		period = 1000;
	if (cfg->resume_grace_ms && cfg->resume_grace_ms / 4 < period)
		period = cfg->resume_grace_ms / 4;
	sig->sweep_timer = rg_timer_add(control, period < 50 ? 50 : period, sweep, sig);
	return sig;
}

void rg_signal_free(struct rg_signal *sig)
{
	if (!sig)
		return;
	rg_timer_cancel(sig->sweep_timer);
	GList *sessions = g_hash_table_get_values(sig->sessions);
	for (GList *l = sessions; l; l = l->next)
		session_end(l->data, RG_STREAM_REMOVED);
	g_list_free(sessions);
	GList *clients = g_hash_table_get_keys(sig->clients);
	for (GList *l = clients; l; l = l->next)
		client_close(l->data, 1001, "server shutting down");
	g_list_free(clients);
	g_hash_table_destroy(sig->clients);
	g_hash_table_destroy(sig->sessions);
	g_hash_table_destroy(sig->ip_rate);
	g_free(sig);
}

unsigned rg_signal_connection_count(const struct rg_signal *sig)
{
	return g_hash_table_size(sig->clients);
}

unsigned rg_signal_session_count(const struct rg_signal *sig)
{
	return g_hash_table_size(sig->sessions);
}
