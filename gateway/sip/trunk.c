/* Trunks: their settings parsed once, registration, and the admin API's
 * view of them. Control loop.
 *
 * Registration of a trunk with "register": true:
 *
 *   unregistered ─start─▶ registering ─2xx─▶ registered ─(nua refreshes; 2xx)─┐
 *                             │  ▲ 401/407: credentials, once per challenge  ◀─┘
 *                             ▼  │                                   │ failure
 *                           failed ── timer: 5 s, doubling to 300 s ─┘
 *   registered ─ shutdown: REGISTER Expires 0 ─▶ unregistered
 *
 * nua keeps a registration fresh by itself (it re-REGISTERs before the
 * granted expiry and reports each answer as nua_r_register). A failure
 * (any final status but 2xx, a challenge we cannot or may no longer
 * answer, a transport error reported by nua as 408/503) destroys the
 * handle and arms the retry timer: a new handle and a new REGISTER.
 * Every status change emits the server event "sip.registration". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "sip/sip_int.h"

static const char *const reg_names[] = { "unregistered", "registering", "registered", "failed" };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t parse_codecs(const char *list, enum rg_codec_id *prefs)
{
	char buf[128], *save = NULL;
	size_t n = 0;
	snprintf(buf, sizeof buf, "%s", list);
	for (char *t = strtok_r(buf, ", ", &save); t && n < 4; t = strtok_r(NULL, ", ", &save)) {
		int id = rg_codec_from_name(t);
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup = dup || prefs[i] == (enum rg_codec_id)id;
		if (id >= 0 && id != RG_CODEC_L16 && !dup)
			prefs[n++] = (enum rg_codec_id)id;
	}
	return n;
}

int sip_trunks_init(struct rg_sip *s, char *err, size_t errlen)
{
	const struct rg_config *cfg = s->d.cfg;
	rg_random_bytes(s->nonce_key, sizeof s->nonce_key);
	if (!cfg->n_sip_trunks)
		return 0;
	s->trunks = calloc(cfg->n_sip_trunks, sizeof *s->trunks);
	if (!s->trunks) {
		snprintf(err, errlen, "sip.trunks: out of memory");
		return -ENOMEM;
	}
	s->n_trunks = cfg->n_sip_trunks;
	for (unsigned i = 0; i < s->n_trunks; i++) {
		struct trunk *t = &s->trunks[i];
		t->sip = s;
		t->cfg = &cfg->sip_trunks[i];
		t->n_prefs = t->cfg->codecs[0] ? parse_codecs(t->cfg->codecs, t->prefs) : 0;
		if (!t->n_prefs) {
			memcpy(t->prefs, s->prefs, sizeof t->prefs);
			t->n_prefs = s->n_prefs;
		}
		for (unsigned j = 0; j < t->cfg->n_cidrs; j++)
			if (rg_cidr_parse(&t->cidrs[t->n_cidrs++], t->cfg->cidrs[j])) {
				snprintf(err, errlen, "sip.trunks[%u].inbound.cidrs[%u] is not valid", i, j);
				return -EINVAL;
			}
		s->any_inbound = s->any_inbound || t->cfg->has_inbound;
		const char *a = t->cfg->address, *colon = strrchr(a, ':');
		if (colon)
			snprintf(t->host, sizeof t->host, "%.*s", (int)(colon - a), a);
	}
	return 0;
}

struct trunk *sip_trunk_find(struct rg_sip *s, const char *name)
{
	for (unsigned i = 0; i < s->n_trunks; i++)
		if (!strcmp(s->trunks[i].cfg->name, name))
			return &s->trunks[i];
	return NULL;
}

unsigned sip_trunk_active_calls(const struct trunk *t)
{
	unsigned n = 0;
	for (const struct call *c = t->sip->calls; c; c = c->next)
		n += c->trunk == t && c->state != CS_ENDED;
	return n;
}

/* ---- registration ---- */

static void reg_emit(struct trunk *t)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "trunk", t->cfg->name);
	cJSON_AddStringToObject(d, "status", reg_names[t->reg]);
	if (t->reg_code)
		cJSON_AddNumberToObject(d, "code", t->reg_code);
	if (t->reg_reason[0])
		cJSON_AddStringToObject(d, "reason", t->reg_reason);
	if (t->reg == REG_REGISTERED)
		cJSON_AddNumberToObject(d, "expires_s", t->reg_expires_s);
	if (t->reg == REG_FAILED)
		cJSON_AddNumberToObject(d, "next_attempt_ms", (double)t->next_attempt_ms);
	rg_events_emit(t->sip->d.events, "sip.registration", d);
}

static void reg_set(struct trunk *t, enum reg_state st, int code, const char *reason)
{
	bool changed = t->reg != st;
	t->reg = st;
	t->reg_code = code;
	snprintf(t->reg_reason, sizeof t->reg_reason, "%s", reason ? reason : "");
	if (!changed)
		return;
	if (st == REG_FAILED)
		RG_WARN(SIP, "trunk %s: registration failed: %d %s; next attempt in %u s", t->cfg->name, code,
			t->reg_reason, t->backoff_s);
	else if (st == REG_REGISTERING)
		RG_INFO(SIP, "trunk %s: registering at %s", t->cfg->name, t->cfg->address);
	else
		RG_INFO(SIP, "trunk %s: %s (%d %s)", t->cfg->name, reg_names[st], code, t->reg_reason);
	reg_emit(t);
}

static void reg_drop_handle(struct trunk *t)
{
	if (t->reg_nh) {
		nua_handle_destroy(t->reg_nh);
		t->reg_nh = NULL;
	}
}

static void reg_send(struct trunk *t);

static bool reg_retry(void *arg)
{
	struct trunk *t = arg;
	t->retry_timer = 0;
	reg_send(t);
	return false;
}

static void reg_fail(struct trunk *t, int code, const char *reason)
{
	struct rg_sip *s = t->sip;
	reg_drop_handle(t);
	t->backoff_s = t->backoff_s ? t->backoff_s * 2 : REG_BACKOFF_MIN_S;
	if (t->backoff_s > REG_BACKOFF_MAX_S)
		t->backoff_s = REG_BACKOFF_MAX_S;
	t->next_attempt_ms = now_ms() + (int64_t)t->backoff_s * 1000;
	reg_set(t, REG_FAILED, code, reason);
	if (!s->closing)
		t->retry_timer = rg_timer_add(s->d.control, t->backoff_s * 1000u, reg_retry, t);
}

/* The URI parameter of the trunk's transport ("" for UDP). */
static const char *transport_param(const struct trunk *t)
{
	return t->cfg->transport == RG_CFG_SIP_TCP ? ";transport=tcp"
	       : t->cfg->transport == RG_CFG_SIP_TLS ? ";transport=tls" : "";
}

/* "sip:host:port[;transport=tcp|tls]" of the trunk's address. */
static void trunk_url(const struct trunk *t, char *out, size_t cap)
{
	snprintf(out, cap, "sip:%s%s", t->cfg->address, transport_param(t));
}

static void reg_send(struct trunk *t)
{
	struct rg_sip *s = t->sip;
	char aor[RG_CFG_ADDR_MAX + RG_CFG_SIP_CRED_MAX + 8], registrar[RG_CFG_ADDR_MAX + 32], expires[16];
	snprintf(aor, sizeof aor, "sip:%s@%s", t->cfg->username, t->host);
	trunk_url(t, registrar, sizeof registrar);
	snprintf(expires, sizeof expires, "%u", t->cfg->register_expires_s);
	t->auth_tries = 0;
	t->next_attempt_ms = 0;
	t->reg_nh = nua_handle(s->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor), TAG_END());
	if (!t->reg_nh) {
		reg_fail(t, 0, "cannot create a SIP handle");
		return;
	}
	/* no outbound (RFC 5626) extras: no OPTIONS keepalives or contact
	 * validation through the registrar, no contact rewriting from Via;
	 * sip.advertised_address is the way to be reachable behind NAT */
	nua_register(t->reg_nh, NUTAG_REGISTRAR(URL_STRING_MAKE(registrar)), SIPTAG_EXPIRES_STR(expires),
		     NUTAG_OUTBOUND("no-outbound no-validate no-natify no-options-keepalive"),
		     NUTAG_M_USERNAME(t->cfg->username), TAG_END());
	reg_set(t, REG_REGISTERING, t->reg_code, t->reg_reason);
	RG_DEBUG(SIP, "trunk %s: REGISTER %s at %s", t->cfg->name, aor, registrar);
}

void sip_trunks_start(struct rg_sip *s)
{
	for (unsigned i = 0; i < s->n_trunks; i++)
		if (s->trunks[i].cfg->reg)
			reg_send(&s->trunks[i]);
}

/* The expiry the registrar granted: our Contact's expires, else Expires. */
static unsigned granted_expires(const struct trunk *t, const sip_t *sip)
{
	unsigned e = 0;
	for (const sip_contact_t *m = sip ? sip->sip_contact : NULL; m; m = m->m_next)
		if (m->m_url->url_user && !strcmp(m->m_url->url_user, t->cfg->username) && m->m_expires) {
			unsigned v = (unsigned)strtoul(m->m_expires, NULL, 10);
			if (v && (!e || v < e))
				e = v;
		}
	if (!e && sip && sip->sip_expires)
		e = (unsigned)sip->sip_expires->ex_delta;
	return e ? e : t->cfg->register_expires_s;
}

static bool challenge_stale(const sip_t *sip)
{
	const msg_auth_t *au = sip ? (sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate) : NULL;
	const char *stale = au ? msg_params_find(au->au_params, "stale=") : NULL;
	return stale && (!strcasecmp(stale, "true") || !strcasecmp(stale, "\"true\""));
}

static void on_register(struct trunk *t, int status, const char *phrase, const sip_t *sip)
{
	if (status < 200)
		return;
	if (status == 401 || status == 407) {
		char creds[3 * RG_CFG_SIP_CRED_MAX + 160];
		if ((t->auth_tries == 0 || challenge_stale(sip)) && sip_trunk_credentials(t, sip, creds, sizeof creds)) {
			t->auth_tries++;
			nua_authenticate(t->reg_nh, NUTAG_AUTH(creds), TAG_END());
			return;
		}
		reg_fail(t, status, t->auth_tries ? "credentials refused" : "challenged, and no password configured");
		return;
	}
	if (status >= 300) {
		reg_fail(t, status, phrase);
		return;
	}
	t->auth_tries = 0;
	t->backoff_s = 0;
	t->reg_expires_s = granted_expires(t, sip);
	t->registered_ms = now_ms();
	reg_set(t, REG_REGISTERED, status, phrase);
	RG_DEBUG(SIP, "trunk %s: registered for %u s", t->cfg->name, t->reg_expires_s);
}

bool sip_trunk_on_register(struct rg_sip *s, nua_handle_t *nh, nua_event_t ev, int status, const char *phrase,
			   const sip_t *sip)
{
	struct trunk *t = NULL;
	for (unsigned i = 0; i < s->n_trunks && !t; i++)
		if (nh && s->trunks[i].reg_nh == nh)
			t = &s->trunks[i];
	if (!t)
		return false;
	if (ev == nua_r_register && !t->unregistering) {
		on_register(t, status, phrase, sip);
		return true;
	}
	if (status < 200)
		return true;
	if (status == 401 || status == 407) { /* un-REGISTER challenged */
		char creds[3 * RG_CFG_SIP_CRED_MAX + 160];
		if (t->auth_tries++ < 2 && sip_trunk_credentials(t, sip, creds, sizeof creds)) {
			nua_authenticate(t->reg_nh, NUTAG_AUTH(creds), TAG_END());
			return true;
		}
	}
	RG_INFO(SIP, "trunk %s: un-REGISTER answered %d %s", t->cfg->name, status, phrase ? phrase : "");
	t->unregistering = false;
	reg_set(t, REG_UNREGISTERED, status, phrase);
	if (s->unreg_pending)
		s->unreg_pending--;
	return true;
}

void sip_trunks_unregister(struct rg_sip *s)
{
	for (unsigned i = 0; i < s->n_trunks; i++) {
		struct trunk *t = &s->trunks[i];
		if (t->retry_timer) {
			rg_timer_cancel(t->retry_timer);
			t->retry_timer = 0;
		}
		if (!t->reg_nh || t->reg != REG_REGISTERED)
			continue;
		t->unregistering = true;
		t->auth_tries = 0;
		s->unreg_pending++;
		nua_unregister(t->reg_nh, TAG_END());
		RG_INFO(SIP, "trunk %s: un-REGISTER", t->cfg->name);
	}
}

void sip_trunks_free(struct rg_sip *s)
{
	for (unsigned i = 0; i < s->n_trunks; i++)
		if (s->trunks[i].retry_timer)
			rg_timer_cancel(s->trunks[i].retry_timer);
	free(s->trunks); /* the handles went with nua_destroy */
	s->trunks = NULL;
	s->n_trunks = 0;
}

bool sip_trunk_credentials(const struct trunk *t, const sip_t *sip, char *out, size_t cap)
{
	const msg_auth_t *au = sip ? (sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate) : NULL;
	const char *user = t->cfg->auth_username[0] ? t->cfg->auth_username : t->cfg->username;
	if (!au || !t->cfg->password[0] || !*user || !au->au_scheme)
		return false;
	const char *realm = msg_params_find(au->au_params, "realm=");
	if (!realm)
		return false;
	bool quoted = realm[0] == '"';
	int n = snprintf(out, cap, "%s:%s%s%s:%s:%s", au->au_scheme, quoted ? "" : "\"", realm, quoted ? "" : "\"",
			 user, t->cfg->password);
	return n > 0 && (size_t)n < cap;
}

/* ---- the admin API ---- */

static cJSON *strings(const char (*list)[64], unsigned n)
{
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(list[i]));
	return a;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* Never the passwords. */
static cJSON *trunk_json(const struct trunk *t)
{
	static const char *const srtp[] = { "off", "optional", "required" };
	static const char *const transports[] = { "udp", "tcp", "tls" };
	const struct rg_config_sip_trunk *c = t->cfg;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "name", c->name);
	add_str_or_null(j, "address", c->address);
	cJSON_AddStringToObject(j, "transport", transports[c->transport]);
	add_str_or_null(j, "username", c->username);
	add_str_or_null(j, "auth_username", c->auth_username[0] ? c->auth_username : c->username);
	add_str_or_null(j, "from_user", c->from_user[0] ? c->from_user : c->username);
	add_str_or_null(j, "display_name", c->display_name);
	cJSON_AddBoolToObject(j, "register", c->reg);
	cJSON_AddNumberToObject(j, "register_expires_s", c->register_expires_s);
	if (c->has_inbound) {
		cJSON *in = cJSON_AddObjectToObject(j, "inbound");
		cJSON_AddItemToObject(in, "cidrs", strings(c->cidrs, c->n_cidrs));
		add_str_or_null(in, "username", c->in_username);
		cJSON_AddBoolToObject(in, "digest", c->in_username[0] != '\0');
	} else {
		cJSON_AddNullToObject(j, "inbound");
	}
	cJSON *codecs = cJSON_AddArrayToObject(j, "codecs");
	for (size_t i = 0; i < t->n_prefs; i++)
		cJSON_AddItemToArray(codecs, cJSON_CreateString(rg_codec_name(t->prefs[i])));
	cJSON_AddStringToObject(j, "srtp", srtp[c->srtp]);
	cJSON_AddNumberToObject(j, "max_calls", c->max_calls);
	cJSON_AddNumberToObject(j, "active_calls", sip_trunk_active_calls(t));
	return j;
}

cJSON *rg_sip_trunks_json(struct rg_sip *s)
{
	RG_ASSERT_LOOP(s->d.control);
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < s->n_trunks; i++)
		cJSON_AddItemToArray(a, trunk_json(&s->trunks[i]));
	return a;
}

static cJSON *registration_json(const struct trunk *t)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "trunk", t->cfg->name);
	cJSON_AddStringToObject(j, "status", reg_names[t->reg]);
	if (t->reg_code)
		cJSON_AddNumberToObject(j, "code", t->reg_code);
	else
		cJSON_AddNullToObject(j, "code");
	add_str_or_null(j, "reason", t->reg_reason);
	if (t->reg == REG_REGISTERED)
		cJSON_AddNumberToObject(j, "expires_s", t->reg_expires_s);
	else
		cJSON_AddNullToObject(j, "expires_s");
	if (t->registered_ms)
		cJSON_AddNumberToObject(j, "registered_at_ms", (double)t->registered_ms);
	else
		cJSON_AddNullToObject(j, "registered_at_ms");
	if (t->reg == REG_FAILED && t->next_attempt_ms)
		cJSON_AddNumberToObject(j, "next_attempt_ms", (double)t->next_attempt_ms);
	else
		cJSON_AddNullToObject(j, "next_attempt_ms");
	return j;
}

cJSON *rg_sip_registrations_json(struct rg_sip *s)
{
	RG_ASSERT_LOOP(s->d.control);
	cJSON *a = cJSON_CreateArray();
	for (unsigned i = 0; i < s->n_trunks; i++)
		if (s->trunks[i].cfg->reg)
			cJSON_AddItemToArray(a, registration_json(&s->trunks[i]));
	return a;
}

/* ---- dial-out through a trunk ---- */

int sip_trunk_number_uri(const struct trunk *t, const char *to, char *out, size_t cap)
{
	char num[72];
	size_t n = 0;
	bool tel = !strncasecmp(to, "tel:", 4);
	const char *p = tel ? to + 4 : to;
	if (*p == '+')
		num[n++] = *p++;
	for (; *p && *p != ';'; p++) {
		if (tel && strchr("-.()", *p)) /* RFC 3966 visual separators */
			continue;
		if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '#') || n + 4 >= sizeof num)
			return -EINVAL;
		if (*p == '#') { /* not allowed as such in a URI's user part */
			memcpy(num + n, "%23", 3);
			n += 3;
		} else {
			num[n++] = *p;
		}
	}
	num[n] = '\0';
	if (*p || n == 0 || !strcmp(num, "+"))
		return -EINVAL;
	int len = snprintf(out, cap, "sip:%s@%s%s", num, t->cfg->address, transport_param(t));
	return len < 0 || (size_t)len >= cap ? -EINVAL : 0;
}

void sip_trunk_from(const struct trunk *t, char *out, size_t cap)
{
	const char *u = t->cfg->from_user[0] ? t->cfg->from_user : t->cfg->username[0] ? t->cfg->username : "roomgate";
	if (t->cfg->display_name[0])
		snprintf(out, cap, "\"%s\" <sip:%s@%s>", t->cfg->display_name, u, t->host);
	else
		snprintf(out, cap, "<sip:%s@%s>", u, t->host);
}

void sip_trunk_route(const struct trunk *t, char *out, size_t cap)
{
	snprintf(out, cap, "<sip:%s;lr%s>", t->cfg->address, transport_param(t));
}
