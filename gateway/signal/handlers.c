/* Client requests (docs/protocol.md): login, resume, logout, heartbeat,
 * publish, stop_publish, renew_token. Control loop. Each handler sends
 * exactly one response. */
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/util.h"
#include "signal/signal_int.h"


/* token04 result -> RG_E_* (docs/protocol.md, error codes) */
static int token_error(int result)
{
	switch (result) {
	case TOKEN04_E_USER_ID: return -RG_E_TOKEN_USER;
	case TOKEN04_E_EXPIRED: return -RG_E_TOKEN_EXPIRED;
	case TOKEN04_E_NO_PUBLISH: return -RG_E_NO_PUBLISH;
	case TOKEN04_E_STREAM: return -RG_E_STREAM_NOT_ALLOWED;
	case TOKEN04_E_INTERNAL:
	case TOKEN04_E_SECRET: return -RG_E_INTERNAL;
	default: return -RG_E_TOKEN_INVALID;
	}
}

static int check_token(struct client *c, const char *token, const char *user_id, const char *room_id,
		       struct token04_claims *claims, char *msg, size_t msglen)
{
	const struct rg_config *cfg = c->sig->cfg;
	int r = token04_verify(claims, token, cfg->server_secret, cfg->app_id, user_id, rg_now_s());
	if (r == TOKEN04_OK && room_id)
		r = token04_check_login(claims, room_id);
	if (r == TOKEN04_OK && claims->mode == TOKEN04_MODE_CBC && !cfg->legacy_cbc_tokens) {
		snprintf(msg, msglen, "field \"token\": legacy AES-CBC tokens are not accepted (legacy_cbc_tokens is off)");
		RG_INFO(AUTH, "client %s: CBC token refused for user %s", c->ip, user_id);
		token04_claims_clear(claims);
		return -RG_E_TOKEN_INVALID;
	}
	if (r == TOKEN04_OK)
		return 0;
	snprintf(msg, msglen, "field \"token\": %s", token04_result_message(r));
	RG_INFO(AUTH, "client %s: token rejected for user %s: %s", c->ip, user_id,
		token04_result_name(r));
	token04_claims_clear(claims);
	return token_error(r);
}

static int login_checks(struct client *c, struct rg_request *req, char *msg, size_t msglen)
{
	if (client_rate_limited(c))
		return -RG_E_RATE_LIMITED;
	int rc = rg_validate_room_id(req->u.login.room_id);
	if (!rc)
		rc = rg_validate_user_id(req->u.login.user_id);
	if (!rc)
		rc = rg_validate_user_name(req->u.login.user_name);
	if (rc) {
		snprintf(msg, msglen, "%s", rg_error_info(rc)->message);
		return rc;
	}
	if (g_hash_table_size(c->sig->sessions) >= c->sig->cfg->max_sessions)
		return -RG_E_SESSION_LIMIT;
	return 0;
}

static void handle_login(struct client *c, struct rg_request *req)
{
	char msg[256] = "";
	struct token04_claims claims;
	memset(&claims, 0, sizeof claims);
	int rc = c->session ? -RG_E_ALREADY_LOGGED_IN : login_checks(c, req, msg, sizeof msg);
	if (!rc)
		rc = check_token(c, req->u.login.token, req->u.login.user_id, req->u.login.room_id, &claims,
				 msg, sizeof msg);
	struct session *s = NULL;
	if (!rc) {
		s = session_new(c->sig, c, &claims);
		rc = s ? 0 : -RG_E_INTERNAL;
	}
	if (!rc) {
		rc = session_join(s, req->u.login.room_id, req->u.login.user_id, req->u.login.user_name,
				  req->u.login.user_update);
		if (rc) {
			session_end(s, RG_STREAM_STOPPED);
			s = NULL;
		}
	}
	token04_claims_clear(&claims);
	rg_metrics_login(c->sig->metrics, rc);
	if (rc) {
		RG_INFO(SIGNAL, "client %s: login of %s to room %s refused: %s", c->ip,
			req->u.login.user_id, req->u.login.room_id, rg_error_info(rc)->code);
		client_reply_error(c, req, rc, msg);
		return;
	}
	c->session = s;
	RG_INFO(SIGNAL, "client %s: %s logged in to room %s (session %.8s)", c->ip,
		req->u.login.user_id, req->u.login.room_id, session_id(s));
	client_reply_ok(c, req, session_snapshot(s));
}

static void handle_resume(struct client *c, struct rg_request *req)
{
	if (c->session) {
		client_reply_error(c, req, -RG_E_ALREADY_LOGGED_IN, NULL);
		return;
	}
	if (client_rate_limited(c)) {
		client_reply_error(c, req, -RG_E_RATE_LIMITED, NULL);
		return;
	}
	struct session *s = g_hash_table_lookup(c->sig->sessions, req->u.resume.session_id);
	if (!s || !session_check_resume_token(s, req->u.resume.resume_token) ||
	    !session_can_replay(s, req->u.resume.last_seq)) {
		/* a session that cannot be resumed ends now: the client logs in anew */
		if (s && session_check_resume_token(s, req->u.resume.resume_token)) {
			struct client *old = session_client(s);
			session_end(s, RG_STREAM_DISCONNECTED);
			if (old)
				client_close(old, RG_CLOSE_RESUMED, "session ended");
		}
		client_reply_error(c, req, -RG_E_RESUME_FAILED, NULL);
		return;
	}
	struct client *old = session_client(s);
	if (old) /* the old socket is half-open: retire it */
		client_close(old, RG_CLOSE_RESUMED, "session resumed on another connection");
	session_attach(s, c);
	RG_METRIC_INC(c->sig->metrics, sessions_resumed);
	RG_INFO(SIGNAL, "client %s: session %.8s (%s) resumed", c->ip, session_id(s),
		rg_user_id(session_user(s)));
	client_reply_ok(c, req, session_snapshot(s));
	session_replay(s, req->u.resume.last_seq);
}

static void handle_publish(struct client *c, struct rg_request *req)
{
	struct session *s = c->session;
	char msg[256] = "";
	int rc = rg_validate_stream_id(req->u.publish.stream_id);
	if (!rc) {
		int r = token04_check_publish(session_claims(s), req->u.publish.stream_id);
		rc = r == TOKEN04_OK ? 0 : token_error(r);
	}
	if (!rc)
		rc = rg_stream_publish(session_user(s), req->u.publish.stream_id,
				       req->u.publish.extra_info, NULL);
	if (rc) {
		snprintf(msg, sizeof msg, "field \"stream_id\": %s", rg_error_info(rc)->message);
		client_reply_error(c, req, rc, msg);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "stream_id", req->u.publish.stream_id);
	client_reply_ok(c, req, d);
}

static void handle_stop_publish(struct client *c, struct rg_request *req)
{
	session_legs_close(c->session, req->u.publish.stream_id, 1);
	int rc = rg_stream_unpublish(session_user(c->session), req->u.publish.stream_id,
				     RG_STREAM_STOPPED);
	if (rc) {
		client_reply_error(c, req, rc, "field \"stream_id\": this session publishes no such stream");
		return;
	}
	client_reply_ok(c, req, NULL);
}

static void handle_renew(struct client *c, struct rg_request *req)
{
	struct session *s = c->session;
	struct rg_user *u = session_user(s);
	char msg[256] = "";
	struct token04_claims claims;
	memset(&claims, 0, sizeof claims);
	int rc = check_token(c, req->u.renew.token, rg_user_id(u), rg_room_id(rg_user_room(u)), &claims,
			     msg, sizeof msg);
	if (rc) {
		client_reply_error(c, req, rc, msg);
		return;
	}
	token04_claims_clear(session_claims(s));
	*session_claims(s) = claims;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "token_expire", (double)claims.expire);
	client_reply_ok(c, req, d);
}

static void handle_logout(struct client *c, struct rg_request *req)
{
	struct session *s = c->session;
	RG_INFO(SIGNAL, "client %s: %s logged out", c->ip, rg_user_id(session_user(s)));
	session_end(s, RG_STREAM_STOPPED);
	client_reply_ok(c, req, NULL);
}

static void handle_heartbeat(struct client *c, struct rg_request *req)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "server_time_ms", (double)(g_get_real_time() / 1000));
	if (c->session)
		cJSON_AddNumberToObject(d, "last_seq", (double)session_seq(c->session));
	client_reply_ok(c, req, d);
}

void handle_request(struct client *c, struct rg_request *req)
{
	switch (req->type) {
	case RG_REQ_LOGIN: handle_login(c, req); return;
	case RG_REQ_RESUME: handle_resume(c, req); return;
	case RG_REQ_HEARTBEAT: handle_heartbeat(c, req); return;
	default: break;
	}
	if (!c->session) {
		client_reply_error(c, req, -RG_E_NOT_LOGGED_IN, NULL);
		return;
	}
	switch (req->type) {
	case RG_REQ_PUBLISH: handle_publish(c, req); return;
	case RG_REQ_STOP_PUBLISH: handle_stop_publish(c, req); return;
	case RG_REQ_RENEW_TOKEN: handle_renew(c, req); return;
	case RG_REQ_LOGOUT: handle_logout(c, req); return;
	case RG_REQ_PUBLISH_OFFER:
	case RG_REQ_PLAY:
	case RG_REQ_STOP_PLAY:
	case RG_REQ_CANDIDATE: handle_media_request(c, req); return;
	default: client_reply_error(c, req, -RG_E_BAD_REQUEST, NULL); return;
	}
}
