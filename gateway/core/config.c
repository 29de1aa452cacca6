/* Configuration loading: defaults, JSONC file, environment, validation.
 * Keys are declared once in the table below (type, limits, env variable);
 * the file walker and the environment reader both go through it. */
#include "core/config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config_int.h"
#include "core/events.h"

/* The values shipped in config/roomgate.jsonc. The server refuses to listen
 * beyond loopback while either is in use. */
#define RG_EXAMPLE_SECRET "0123456789abcdef0123456789abcdef"
#define RG_EXAMPLE_ADMIN_KEY "dev-admin-key-change-me"

enum ftype { F_U32, F_BOOL, F_STR, F_LISTEN, F_PORTS, F_LEVEL };

struct field {
	const char *path;
	enum ftype type;
	size_t off;
	size_t size; /* F_STR: buffer size */
	uint64_t min, max;
	const char *env;
};

#define OFF(m) offsetof(struct rg_config, m)
#define STR(m) OFF(m), sizeof(((struct rg_config *)0)->m)

static const struct field fields[] = {
	{ "app_id", F_U32, OFF(app_id), 0, 1, UINT32_MAX, "ROOMGATE_APP_ID" },
	{ "server_secret", F_STR, STR(server_secret), 0, 0, "ROOMGATE_SERVER_SECRET" },
	{ "admin_key", F_STR, STR(admin_key), 0, 0, "ROOMGATE_ADMIN_KEY" },
	{ "dev_token_endpoint", F_BOOL, OFF(dev_token_endpoint), 0, 0, 0, "ROOMGATE_DEV_TOKEN_ENDPOINT" },
	{ "dev_token_ttl_s", F_U32, OFF(dev_token_ttl_s), 0, 1, 86400 * 30, NULL },
	{ "legacy_cbc_tokens", F_BOOL, OFF(legacy_cbc_tokens), 0, 0, 0, "ROOMGATE_LEGACY_CBC_TOKENS" },
	{ "http.listen", F_LISTEN, 0, 0, 0, 0, "ROOMGATE_HTTP_LISTEN" },
	{ "http.max_body_bytes", F_U32, OFF(http_max_body_bytes), 0, 256, 64 << 20, NULL },
	{ "http.max_connections", F_U32, OFF(http_max_connections), 0, 16, 1000000, NULL },
	{ "http.web_root", F_STR, STR(web_root), 0, 0, "ROOMGATE_WEB_ROOT" },
	{ "media.address", F_STR, STR(media_address), 0, 0, "ROOMGATE_MEDIA_ADDRESS" },
	{ "media.public_address", F_STR, STR(public_address), 0, 0, "ROOMGATE_PUBLIC_ADDRESS" },
	{ "media.rtp_ports", F_PORTS, 0, 0, 0, 0, "ROOMGATE_RTP_PORTS" },
	{ "media.workers", F_U32, OFF(media_workers), 0, 0, 256, "ROOMGATE_MEDIA_WORKERS" },
	{ "media.mix_threads", F_U32, OFF(mix_threads), 0, 0, 64, "ROOMGATE_MIX_THREADS" },
	{ "media.mix_max_talkers", F_U32, OFF(mix_max_talkers), 0, 1, 1024, NULL },
	{ "media.jitter_min_ms", F_U32, OFF(jitter_min_ms), 0, 0, 1000, NULL },
	{ "media.jitter_max_ms", F_U32, OFF(jitter_max_ms), 0, 20, 600, NULL },
	{ "media.rtp_timeout_ms", F_U32, OFF(rtp_timeout_ms), 0, 0, 3600000, "ROOMGATE_RTP_TIMEOUT_MS" },
	{ "recording.dir", F_STR, STR(recordings_dir), 0, 0, "ROOMGATE_RECORDINGS_DIR" },
	{ "recording.visible", F_BOOL, OFF(recording_visible), 0, 0, 0, NULL },
	{ "limits.max_rooms", F_U32, OFF(max_rooms), 0, 1, 10000000, NULL },
	{ "limits.max_users_per_room", F_U32, OFF(max_users_per_room), 0, 1, 1000000, NULL },
	{ "limits.max_sessions", F_U32, OFF(max_sessions), 0, 1, 10000000, NULL },
	{ "limits.max_message_bytes", F_U32, OFF(max_message_bytes), 0, 1024, 16 << 20, NULL },
	{ "limits.login_attempts_per_ip_per_s", F_U32, OFF(login_attempts_per_ip_per_s), 0, 1, 1000000, NULL },
	{ "session.heartbeat_interval_ms", F_U32, OFF(heartbeat_interval_ms), 0, 100, 600000, NULL },
	{ "session.heartbeat_timeout_ms", F_U32, OFF(heartbeat_timeout_ms), 0, 200, 3600000, NULL },
	{ "session.resume_grace_ms", F_U32, OFF(resume_grace_ms), 0, 0, 3600000, NULL },
	{ "session.login_timeout_ms", F_U32, OFF(login_timeout_ms), 0, 100, 600000, NULL },
	{ "sip.listen", F_STR, STR(sip_listen), 0, 0, "ROOMGATE_SIP_LISTEN" },
	{ "sip.advertised_address", F_STR, STR(sip_advertised), 0, 0, "ROOMGATE_SIP_ADVERTISED_ADDRESS" },
	{ "sip.tls_listen", F_STR, STR(sip_tls_listen), 0, 0, "ROOMGATE_SIP_TLS_LISTEN" },
	{ "sip.tls_certificate_dir", F_STR, STR(sip_tls_cert_dir), 0, 0, "ROOMGATE_SIP_TLS_CERTIFICATE_DIR" },
	{ "sip.codecs", F_STR, STR(sip_codecs), 0, 0, "ROOMGATE_SIP_CODECS" },
	{ "sip.media_timeout_ms", F_U32, OFF(sip_media_timeout_ms), 0, 0, 3600000, NULL },
	{ "sip.realm", F_STR, STR(sip_realm), 0, 0, NULL },
	{ "sip.session_expires_s", F_U32, OFF(sip_session_expires_s), 0, 0, 86400, NULL },
	{ "sip.refer_allow", F_STR, STR(sip_refer_allow), 0, 0, NULL },
	{ "log.level", F_LEVEL, 0, 0, 0, 0, "ROOMGATE_LOG_LEVEL" },
};

/* Objects that group keys; "log.subsystems" maps subsystem -> level. */
static const char *const sections[] = { "http", "media", "limits", "session", "log", "recording", "sip" };

void rg_config_defaults(struct rg_config *c)
{
	memset(c, 0, sizeof *c);
	c->app_id = 1;
	snprintf(c->http_host, sizeof c->http_host, "127.0.0.1");
	c->http_port = 8080;
	c->http_max_body_bytes = 65536;
	c->http_max_connections = 20000;
	snprintf(c->web_root, sizeof c->web_root, "web");
	c->dev_token_ttl_s = 3600;
	snprintf(c->media_address, sizeof c->media_address, "127.0.0.1");
	c->rtp_port_min = 20000;
	c->rtp_port_max = 20999;
	c->mix_threads = RG_CFG_MIX_THREADS_AUTO;
	c->mix_max_talkers = 3;
	c->jitter_min_ms = 40;
	c->jitter_max_ms = 200;
	c->rtp_timeout_ms = 30000;
	snprintf(c->recordings_dir, sizeof c->recordings_dir, "recordings");
	snprintf(c->sip_codecs, sizeof c->sip_codecs, "opus,g722,pcmu,pcma");
	c->sip_media_timeout_ms = 30000;
	snprintf(c->sip_realm, sizeof c->sip_realm, "roomgate");
	c->sip_session_expires_s = 1800;
	c->max_rooms = 10000;
	c->max_users_per_room = 500;
	c->max_sessions = 20000;
	c->max_message_bytes = 65536;
	c->login_attempts_per_ip_per_s = 50;
	c->heartbeat_interval_ms = 10000;
	c->heartbeat_timeout_ms = 30000;
	c->resume_grace_ms = 20000;
	c->login_timeout_ms = 10000;
	c->legacy_cbc_tokens = true;
	c->log_base = RG_LOG_INFO;
	for (int i = 0; i < RG_SUB_COUNT; i++)
		c->log_sub[i] = -1;
	snprintf(c->source, sizeof c->source, "<defaults>");
}

int cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* "host:port" or "[v6]:port" into host (brackets removed) and port; the
 * host is not checked here. */
static int split_hostport(const char *s, char *host, size_t hostcap, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -EINVAL;
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -EINVAL;
		h++;
		hl -= 2;
	}
	uint64_t p;
	if (hl >= hostcap || parse_u64(colon + 1, &p) || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int parse_listen(struct rg_config *c, const char *s)
{
	return split_hostport(s, c->http_host, sizeof c->http_host, &c->http_port);
}

static int parse_ports(struct rg_config *c, const char *s)
{
	char buf[32];
	if (strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	char *dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	uint64_t a, b;
	if (parse_u64(buf, &a) || parse_u64(dash + 1, &b) || a < 1024 || b > 65535 || a > b)
		return -EINVAL;
	c->rtp_port_min = (uint16_t)a;
	c->rtp_port_max = (uint16_t)b;
	return 0;
}

/* "info" or "info,http=debug,room=trace": the base level and overrides.
 * Order does not matter: a subsystem's override wins over the base level
 * wherever either is written. */
static int parse_levels(struct rg_config *c, const char *s)
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			int l = rg_log_level_parse(tok);
			if (l < 0)
				return -EINVAL;
			c->log_base = l;
			continue;
		}
		*eq = '\0';
		int sub = rg_log_sub_parse(tok), l = rg_log_level_parse(eq + 1);
		if (sub < 0 || l < 0)
			return -EINVAL;
		c->log_sub[sub] = l;
	}
	return 0;
}

static const char *type_name(enum ftype t)
{
	switch (t) {
	case F_U32: return "an unsigned integer";
	case F_BOOL: return "true or false";
	case F_STR: return "a string";
	case F_LISTEN: return "a \"host:port\" string";
	case F_PORTS: return "a \"min-max\" port range string (1024-65535)";
	case F_LEVEL: return "a log level (error, warn, info, debug, trace), optionally \"info,http=debug\"";
	}
	return "?";
}

/* Sets a field from a string (environment) or a typed JSON item. */
static int set_field(struct rg_config *c, const struct field *f, const cJSON *item, const char *str)
{
	char *base = (char *)c;
	if (f->type == F_BOOL) {
		if (item && cJSON_IsBool(item)) {
			*(bool *)(base + f->off) = cJSON_IsTrue(item);
			return 0;
		}
		if (str && (!strcmp(str, "true") || !strcmp(str, "1") || !strcmp(str, "false") || !strcmp(str, "0"))) {
			*(bool *)(base + f->off) = str[0] == 't' || str[0] == '1';
			return 0;
		}
		return -EINVAL;
	}
	if (f->type == F_U32) {
		uint64_t v;
		if (item) {
			if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
			    item->valuedouble != (double)(uint64_t)item->valuedouble)
				return -EINVAL;
			v = (uint64_t)item->valuedouble;
		} else if (parse_u64(str, &v)) {
			return -EINVAL;
		}
		if (v < f->min || v > f->max)
			return -ERANGE;
		*(unsigned *)(base + f->off) = (unsigned)v;
		return 0;
	}
	const char *s = str;
	if (item) {
		if (!cJSON_IsString(item))
			return -EINVAL;
		s = item->valuestring;
	}
	switch (f->type) {
	case F_STR:
		if (strlen(s) >= f->size)
			return -ERANGE;
		strcpy(base + f->off, s);
		return 0;
	case F_LISTEN: return parse_listen(c, s);
	case F_PORTS: return parse_ports(c, s);
	case F_LEVEL: return parse_levels(c, s);
	default: return -EINVAL;
	}
}


int cfg_walk_fail(struct walk *w, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t off = rg_jsonc_locate(w->text, w->len, path);
	if (off == (size_t)-1)
		return cfg_fail(w->err, w->errlen, "%s: key \"%s\": %s", w->name, path, msg);
	unsigned line, col;
	rg_text_position(w->text, w->len, off, &line, &col);
	return cfg_fail(w->err, w->errlen, "%s:%u:%u: key \"%s\": %s", w->name, line, col, path, msg);
}

static const struct field *find_field(const char *path)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!strcmp(fields[i].path, path))
			return &fields[i];
	return NULL;
}

static bool is_section(const char *key)
{
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (!strcmp(sections[i], key))
			return true;
	return false;
}

static int walk_subsystems(struct walk *w, const cJSON *obj)
{
	if (!cJSON_IsObject(obj))
		return cfg_walk_fail(w, "log.subsystems", "expected an object of subsystem: level");
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		char path[300];
		snprintf(path, sizeof path, "log.subsystems.%s", it->string);
		int sub = rg_log_sub_parse(it->string);
		if (sub < 0)
			return cfg_walk_fail(w, path, "unknown subsystem (known: main, config, http, api, auth, room, signal, media, webhook, sip)");
		int l = cJSON_IsString(it) ? rg_log_level_parse(it->valuestring) : -1;
		if (l < 0)
			return cfg_walk_fail(w, path, "expected a log level (error, warn, info, debug, trace)");
		w->cfg->log_sub[sub] = l;
	}
	return 0;
}

/* ---- webhooks: [{url, secret, events, timeout_ms, ...}] ---- */

static void webhook_defaults(struct rg_config_webhook *h)
{
	memset(h, 0, sizeof *h);
	strcpy(h->events[0], "*");
	h->n_events = 1;
	h->timeout_ms = 5000;
	h->max_attempts = 8;
	h->backoff_ms = 1000;
	h->max_backoff_ms = 60000;
	h->queue = 1000;
}

/* NULL, or what is wrong with a webhook URL (the URL itself may hold
 * credentials, so messages do not repeat it). */
static const char *webhook_url_problem(const char *url)
{
	const char *rest;
	if (!strncasecmp(url, "http://", 7))
		rest = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		rest = url + 8;
	else
		return "expected an http:// or https:// URL";
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "the URL contains a space or a control character";
	size_t alen = strcspn(rest, "/?#");
	const char *host = rest;
	for (const char *p = rest; p < rest + alen; p++)
		if (*p == '@')
			host = p + 1;
	if (host == rest + alen || *host == ':')
		return "the URL has no host";
	return NULL;
}

struct hook_num {
	const char *key;
	size_t off;
	unsigned min, max;
};

#define HOFF(m) offsetof(struct rg_config_webhook, m)
static const struct hook_num hook_nums[] = {
	{ "timeout_ms", HOFF(timeout_ms), 100, 300000 },
	{ "max_attempts", HOFF(max_attempts), 1, 100 },
	{ "backoff_ms", HOFF(backoff_ms), 10, 3600000 },
	{ "max_backoff_ms", HOFF(max_backoff_ms), 10, 3600000 },
	{ "queue", HOFF(queue), 1, 1000000 },
};

/* Adds one filter pattern; NULL or the problem. */
static const char *webhook_add_pattern(struct rg_config_webhook *h, const char *pat)
{
	if (h->n_events >= RG_CFG_WEBHOOK_EVENTS_MAX)
		return "too many patterns (at most 32)";
	if (strlen(pat) >= RG_CFG_WEBHOOK_PATTERN_MAX || !rg_event_pattern_valid(pat))
		return "unknown event type or pattern (see docs/webhooks.md)";
	strcpy(h->events[h->n_events++], pat);
	return NULL;
}

static int walk_webhook_events(struct walk *w, const cJSON *arr, const char *path,
			       struct rg_config_webhook *h)
{
	if (!cJSON_IsArray(arr))
		return cfg_walk_fail(w, path, "expected an array of event types or patterns");
	if (cJSON_GetArraySize(arr) == 0)
		return cfg_walk_fail(w, path, "expected at least one event type or pattern (\"*\" for all)");
	if (cJSON_GetArraySize(arr) > RG_CFG_WEBHOOK_EVENTS_MAX)
		return cfg_walk_fail(w, path, "too many patterns (at most %d)", RG_CFG_WEBHOOK_EVENTS_MAX);
	h->n_events = 0;
	unsigned i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		char ipath[340];
		snprintf(ipath, sizeof ipath, "%.320s[%u]", path, i++);
		if (!cJSON_IsString(it))
			return cfg_walk_fail(w, ipath, "expected a string");
		const char *problem = webhook_add_pattern(h, it->valuestring);
		if (problem)
			return cfg_walk_fail(w, ipath, "\"%.63s\": %s", it->valuestring, problem);
	}
	return 0;
}

int cfg_walk_string(struct walk *w, const cJSON *it, const char *path, char *dst, size_t cap)
{
	if (!cJSON_IsString(it))
		return cfg_walk_fail(w, path, "expected a string");
	if (strlen(it->valuestring) >= cap)
		return cfg_walk_fail(w, path, "too long (at most %zu bytes)", cap - 1);
	strcpy(dst, it->valuestring);
	return 0;
}

static int walk_webhook_member(struct walk *w, const cJSON *it, const char *path,
			       struct rg_config_webhook *h)
{
	if (!strcmp(it->string, "url")) {
		int rc = cfg_walk_string(w, it, path, h->url, sizeof h->url);
		const char *problem = rc ? NULL : webhook_url_problem(h->url);
		return rc ? rc : problem ? cfg_walk_fail(w, path, "%s", problem) : 0;
	}
	if (!strcmp(it->string, "secret"))
		return cfg_walk_string(w, it, path, h->secret, sizeof h->secret);
	if (!strcmp(it->string, "events"))
		return walk_webhook_events(w, it, path, h);
	for (size_t i = 0; i < sizeof hook_nums / sizeof hook_nums[0]; i++) {
		const struct hook_num *n = &hook_nums[i];
		if (strcmp(it->string, n->key))
			continue;
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
		    it->valuedouble != (double)(uint64_t)it->valuedouble)
			return cfg_walk_fail(w, path, "expected an unsigned integer");
		if (it->valuedouble < n->min || it->valuedouble > n->max)
			return cfg_walk_fail(w, path, "out of range %u..%u", n->min, n->max);
		*(unsigned *)((char *)h + n->off) = (unsigned)it->valuedouble;
		return 0;
	}
	return cfg_walk_fail(w, path, "unknown key (see docs/webhooks.md)");
}

static int walk_webhooks(struct walk *w, const cJSON *arr)
{
	if (!cJSON_IsArray(arr))
		return cfg_walk_fail(w, "webhooks", "expected an array of endpoints");
	if (cJSON_GetArraySize(arr) > RG_CFG_WEBHOOKS_MAX)
		return cfg_walk_fail(w, "webhooks", "at most %d endpoints", RG_CFG_WEBHOOKS_MAX);
	w->cfg->n_webhooks = 0;
	const cJSON *ep;
	cJSON_ArrayForEach(ep, arr)
	{
		unsigned idx = w->cfg->n_webhooks;
		char path[300];
		snprintf(path, sizeof path, "webhooks[%u]", idx);
		if (!cJSON_IsObject(ep))
			return cfg_walk_fail(w, path, "expected an object {\"url\": ..., \"secret\": ..., \"events\": [...]}");
		struct rg_config_webhook *h = &w->cfg->webhooks[idx];
		webhook_defaults(h);
		const cJSON *it;
		cJSON_ArrayForEach(it, ep)
		{
			char mpath[340];
			snprintf(mpath, sizeof mpath, "%s.%s", path, it->string);
			int rc = walk_webhook_member(w, it, mpath, h);
			if (rc)
				return rc;
		}
		if (!h->url[0])
			return cfg_walk_fail(w, path, "\"url\" is required");
		w->cfg->n_webhooks++;
	}
	return 0;
}

/* ---- arrays of objects: each element to fn with its path "key[i]" ---- */

int cfg_walk_list(struct walk *w, const cJSON *arr, const char *key, const char *what,
		     unsigned max, walk_elem_fn fn, void *items, size_t size, unsigned *n)
{
	if (!cJSON_IsArray(arr))
		return cfg_walk_fail(w, key, "expected an array of %s", what);
	if (cJSON_GetArraySize(arr) > (int)max)
		return cfg_walk_fail(w, key, "at most %u entries", max);
	*n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		char path[64];
		snprintf(path, sizeof path, "%s[%u]", key, *n);
		int rc = fn(w, it, path, (char *)items + *n * size);
		if (rc)
			return rc;
		(*n)++;
	}
	return 0;
}

/* ---- recording.auto_record: [{room, mode, format, max_duration_s}] ---- */

static int walk_auto_rule(struct walk *w, const cJSON *o, const char *path, void *elem)
{
	struct rg_config_auto_record *a = elem;
	if (!cJSON_IsObject(o))
		return cfg_walk_fail(w, path, "expected an object {\"room\": \"<pattern>\", \"mode\": ..., \"format\": ...}");
	memset(a, 0, sizeof *a);
	a->mixed = true;
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		char mp[340];
		snprintf(mp, sizeof mp, "%s.%s", path, it->string);
		if (!strcmp(it->string, "room")) {
			if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) >= sizeof a->room)
				return cfg_walk_fail(w, mp, "expected a room ID pattern (* and ?), 1 to %zu bytes", sizeof a->room - 1);
			strcpy(a->room, it->valuestring);
		} else if (!strcmp(it->string, "mode")) {
			if (!cJSON_IsString(it) || (strcmp(it->valuestring, "mixed") && strcmp(it->valuestring, "per_stream")))
				return cfg_walk_fail(w, mp, "expected \"mixed\" or \"per_stream\"");
			a->mixed = !strcmp(it->valuestring, "mixed");
		} else if (!strcmp(it->string, "format")) {
			if (!cJSON_IsString(it) || (strcmp(it->valuestring, "ogg_opus") && strcmp(it->valuestring, "wav")))
				return cfg_walk_fail(w, mp, "expected \"ogg_opus\" or \"wav\"");
			a->wav = !strcmp(it->valuestring, "wav");
		} else if (!strcmp(it->string, "max_duration_s")) {
			if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 86400 ||
			    it->valuedouble != (double)(unsigned)it->valuedouble)
				return cfg_walk_fail(w, mp, "expected an integer from 1 to 86400");
			a->max_duration_s = (unsigned)it->valuedouble;
		} else {
			return cfg_walk_fail(w, mp, "unknown key (room, mode, format, max_duration_s)");
		}
	}
	if (!a->room[0])
		return cfg_walk_fail(w, path, "\"room\" (a room ID pattern) is required");
	if (a->wav && !a->mixed) {
		char mp[340];
		snprintf(mp, sizeof mp, "%s.format", path);
		return cfg_walk_fail(w, mp, "\"wav\" needs mode \"mixed\" (per_stream files are Ogg Opus)");
	}
	return 0;
}

static int walk_auto_record(struct walk *w, const cJSON *arr)
{
	return cfg_walk_list(w, arr, "recording.auto_record", "rules {\"room\", \"mode\", \"format\"}",
			 RG_CFG_AUTO_RECORD_MAX, walk_auto_rule, w->cfg->auto_record,
			 sizeof w->cfg->auto_record[0], &w->cfg->n_auto_record);
}

static int walk_object(struct walk *w, const cJSON *obj, const char *prefix)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		char path[300];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", it->string);
		if (!*prefix && is_section(it->string)) {
			if (!cJSON_IsObject(it))
				return cfg_walk_fail(w, path, "expected an object");
			int rc = walk_object(w, it, it->string);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(path, "webhooks")) {
			int rc = walk_webhooks(w, it);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(path, "recording.auto_record")) {
			int rc = walk_auto_record(w, it);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(path, "sip.refer")) {
			int rc = cfg_walk_sip_refer(w, it);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(path, "sip.dial_in") || !strcmp(path, "sip.trunks")) {
			int rc = path[4] == 'd' ? cfg_walk_sip_rules(w, it) : cfg_walk_sip_trunks(w, it);
			if (rc)
				return rc;
			continue;
		}
		if (!strcmp(path, "log.subsystems")) {
			int rc = walk_subsystems(w, it);
			if (rc)
				return rc;
			continue;
		}
		const struct field *f = find_field(path);
		if (!f)
			return cfg_walk_fail(w, path, "unknown key (see docs/configuration.md)");
		int rc = set_field(w->cfg, f, it, NULL);
		if (rc == -ERANGE && f->type == F_U32)
			return cfg_walk_fail(w, path, "out of range %llu..%llu", (unsigned long long)f->min,
					 (unsigned long long)f->max);
		if (rc == -ERANGE)
			return cfg_walk_fail(w, path, "too long (at most %zu bytes)", f->size - 1);
		if (rc)
			return cfg_walk_fail(w, path, "expected %s", type_name(f->type));
	}
	return 0;
}

int rg_config_parse(struct rg_config *cfg, const char *name, const char *text, size_t len,
		    char *err, size_t errlen)
{
	char *t = malloc(len + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t, text, len);
	t[len] = '\0';
	size_t off = 0;
	unsigned line, col;
	int rc = rg_jsonc_strip(t, len, &off);
	if (rc) {
		rg_text_position(t, len, off, &line, &col);
		rc = cfg_fail(err, errlen, "%s:%u:%u: unterminated comment or string", name, line, col);
		goto out;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(t, len, &end, false);
	if (!root || !cJSON_IsObject(root)) {
		off = root ? 0 : (size_t)(end ? end - t : 0);
		rg_text_position(t, len, off, &line, &col);
		rc = cfg_fail(err, errlen, "%s:%u:%u: %s", name, line, col,
			  root ? "the top level must be an object" : "JSON syntax error");
		cJSON_Delete(root);
		goto out;
	}
	struct walk w = { cfg, name, t, len, err, errlen };
	rc = walk_object(&w, root, "");
	cJSON_Delete(root);
	if (!rc)
		snprintf(cfg->source, sizeof cfg->source, "%s", name);
out:
	free(t);
	return rc;
}

int rg_config_load_file(struct rg_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	char *buf = NULL;
	size_t len = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n > (4u << 20)) {
			free(buf);
			fclose(f);
			return cfg_fail(err, errlen, "%s: file larger than 4 MiB", path);
		}
		char *nb = realloc(buf, len + n);
		if (!nb) {
			free(buf);
			fclose(f);
			return -ENOMEM;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	int rc = rg_config_parse(cfg, path, buf ? buf : "", len, err, errlen);
	free(buf);
	return rc;
}

/* ROOMGATE_WEBHOOK_URL / _SECRET / _EVENTS: one endpoint from the
 * environment (the file's only endpoint, or a new one with defaults). */
static int apply_webhook_env(struct rg_config *c, char *err, size_t errlen)
{
	const char *url = getenv("ROOMGATE_WEBHOOK_URL");
	const char *secret = getenv("ROOMGATE_WEBHOOK_SECRET");
	const char *events = getenv("ROOMGATE_WEBHOOK_EVENTS");
	if (!url && !secret && !events)
		return 0;
	if (c->n_webhooks > 1)
		return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_*: the configuration has %u webhook endpoints; "
			    "the variables set one endpoint only", c->n_webhooks);
	struct rg_config_webhook *h = &c->webhooks[0];
	if (url) {
		const char *problem = strlen(url) >= sizeof h->url ? "too long (at most 1023 bytes)"
								  : webhook_url_problem(url);
		if (problem)
			return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_URL (webhooks[0].url): %s", problem);
		if (c->n_webhooks == 0)
			webhook_defaults(h);
		c->n_webhooks = 1;
		strcpy(h->url, url);
	}
	if (c->n_webhooks == 0)
		return cfg_fail(err, errlen, "%s: no webhook endpoint to apply it to (set ROOMGATE_WEBHOOK_URL)",
			    secret ? "ROOMGATE_WEBHOOK_SECRET" : "ROOMGATE_WEBHOOK_EVENTS");
	if (secret) {
		if (strlen(secret) >= sizeof h->secret)
			return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_SECRET (webhooks[0].secret): too long (at most %zu bytes)",
				    sizeof h->secret - 1);
		strcpy(h->secret, secret);
	}
	if (events) {
		char buf[RG_CFG_WEBHOOK_EVENTS_MAX * RG_CFG_WEBHOOK_PATTERN_MAX];
		if (strlen(events) >= sizeof buf)
			return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_EVENTS (webhooks[0].events): too long");
		strcpy(buf, events);
		h->n_events = 0;
		char *save = NULL;
		for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			const char *problem = webhook_add_pattern(h, tok);
			if (problem)
				return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_EVENTS (webhooks[0].events): \"%.63s\": %s",
					    tok, problem);
		}
		if (h->n_events == 0)
			return cfg_fail(err, errlen, "ROOMGATE_WEBHOOK_EVENTS (webhooks[0].events): expected a comma-separated "
				    "list of event types or patterns (\"*\" for all)");
	}
	return 0;
}

int rg_config_apply_env(struct rg_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const struct field *f = &fields[i];
		const char *v = f->env ? getenv(f->env) : NULL;
		if (!v)
			continue;
		int rc = set_field(cfg, f, NULL, v);
		if (rc == -ERANGE && f->type == F_U32)
			return cfg_fail(err, errlen, "%s (%s): out of range %llu..%llu", f->env, f->path,
				    (unsigned long long)f->min, (unsigned long long)f->max);
		if (rc == -ERANGE)
			return cfg_fail(err, errlen, "%s (%s): too long (at most %zu bytes)", f->env, f->path,
				    f->size - 1);
		if (rc)
			return cfg_fail(err, errlen, "%s (%s): expected %s", f->env, f->path, type_name(f->type));
	}
	return apply_webhook_env(cfg, err, errlen);
}

int rg_config_split_hostport(const char *s, char *host, size_t hostcap, uint16_t *port)
{
	uint16_t p;
	if (split_hostport(s, host, hostcap, &p))
		return -EINVAL;
	unsigned char a[16];
	if (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1)
		return -EINVAL;
	*port = p;
	return 0;
}

static bool is_loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strcmp(host, "::1") || !strcmp(host, "localhost");
}

int rg_config_validate(const struct rg_config *c, char *err, size_t errlen)
{
	if (strlen(c->server_secret) != 32)
		return cfg_fail(err, errlen, "server_secret: must be exactly 32 characters (got %zu)",
			    strlen(c->server_secret));
	if (strlen(c->admin_key) < 16)
		return cfg_fail(err, errlen, "admin_key: must be at least 16 characters");
	if (c->heartbeat_timeout_ms <= c->heartbeat_interval_ms)
		return cfg_fail(err, errlen, "session.heartbeat_timeout_ms: must be greater than session.heartbeat_interval_ms");
	if (c->jitter_min_ms > c->jitter_max_ms)
		return cfg_fail(err, errlen, "media.jitter_min_ms: must not be greater than media.jitter_max_ms (%u)",
			    c->jitter_max_ms);
	unsigned char addr[16];
	if (strcmp(c->http_host, "localhost") && inet_pton(AF_INET, c->http_host, addr) != 1 &&
	    inet_pton(AF_INET6, c->http_host, addr) != 1)
		return cfg_fail(err, errlen, "http.listen: \"%s\" is not an IP address (use 0.0.0.0, ::, or one of the host's addresses)",
			    c->http_host);
	if (c->media_address[0] && inet_pton(AF_INET, c->media_address, addr) != 1 &&
	    inet_pton(AF_INET6, c->media_address, addr) != 1)
		return cfg_fail(err, errlen, "media.address: \"%s\" is not an IP address", c->media_address);
	bool exposed = !is_loopback(c->http_host) || !is_loopback(c->media_address);
	if (exposed && !strcmp(c->server_secret, RG_EXAMPLE_SECRET))
		return cfg_fail(err, errlen, "server_secret: still the example value; set your own "
			    "(ROOMGATE_SERVER_SECRET) before listening on a non-loopback address");
	if (exposed && !strcmp(c->admin_key, RG_EXAMPLE_ADMIN_KEY))
		return cfg_fail(err, errlen, "admin_key: still the example value; set your own "
			    "(ROOMGATE_ADMIN_KEY) before listening on a non-loopback address");
	int src = cfg_validate_sip(c, err, errlen);
	if (src)
		return src;
	for (unsigned i = 0; i < c->n_webhooks; i++) {
		const struct rg_config_webhook *h = &c->webhooks[i];
		if (strlen(h->secret) < 16)
			return cfg_fail(err, errlen, "webhooks[%u].secret: must be at least 16 characters (got %zu)", i,
				    strlen(h->secret));
		if (h->max_backoff_ms < h->backoff_ms)
			return cfg_fail(err, errlen, "webhooks[%u].max_backoff_ms: must be at least webhooks[%u].backoff_ms",
				    i, i);
	}
	return 0;
}

int rg_config_log_level(const struct rg_config *cfg, enum rg_log_sub sub)
{
	return cfg->log_sub[sub] >= 0 ? cfg->log_sub[sub] : cfg->log_base;
}

void rg_config_apply_log(const struct rg_config *cfg)
{
	for (int i = 0; i < RG_SUB_COUNT; i++)
		rg_log_set_level((enum rg_log_sub)i, (enum rg_log_level)rg_config_log_level(cfg, i));
}
