/* The sip section's arrays (sip.dial_in, sip.trunks), sip.refer and its cross-field
 * checks (docs/sip.md, docs/configuration.md). Messages name the key with
 * its index ("sip.trunks[1].transport: ..."); passwords are never repeated
 * in a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/cidr.h"
#include "core/config_int.h"

/* ---- sip.dial_in: [{user_regex, room, user_id?, user_name?, trunk?, pin?}] ---- */

static int walk_sip_rule(struct walk *w, const cJSON *r, const char *path, void *elem)
{
	struct rg_config_sip_rule *rule = elem;
	if (!cJSON_IsObject(r))
		return cfg_walk_fail(w, path, "expected an object {\"user_regex\": ..., \"room\": ...}");
	memset(rule, 0, sizeof *rule);
	const cJSON *it;
	cJSON_ArrayForEach(it, r)
	{
		char mpath[340];
		snprintf(mpath, sizeof mpath, "%s.%s", path, it->string);
		if (!strcmp(it->string, "pin")) {
			size_t n = cJSON_IsString(it) ? strlen(it->valuestring) : 0;
			if (!n || n >= sizeof rule->pin || strspn(it->valuestring, "0123456789") != n)
				return cfg_walk_fail(w, mpath, "1 to 16 digits");
			memcpy(rule->pin, it->valuestring, n + 1);
			continue;
		}
		if (!strcmp(it->string, "route_timeout_ms")) {
			if (!cJSON_IsNumber(it) || it->valuedouble < 100 || it->valuedouble > 10000 ||
			    it->valuedouble != (double)it->valueint)
				return cfg_walk_fail(w, mpath, "an integer from 100 to 10000");
			rule->route_timeout_ms = (unsigned)it->valueint;
			continue;
		}
		if (!strcmp(it->string, "route_fallback")) {
			if (!cJSON_IsString(it) || (strcmp(it->valuestring, "reject") && strcmp(it->valuestring, "rule")))
				return cfg_walk_fail(w, mpath, "\"reject\" (503) or \"rule\" (the rule's room)");
			rule->route_fallback_rule = !strcmp(it->valuestring, "rule");
			continue;
		}
		if (!strcmp(it->string, "route_url") || !strcmp(it->string, "route_secret")) {
			bool url = it->string[6] == 'u';
			char *d = url ? rule->route_url : rule->route_secret;
			size_t cap = url ? sizeof rule->route_url : sizeof rule->route_secret;
			int rc = cfg_walk_string(w, it, mpath, d, cap);
			if (rc)
				return rc;
			if (url && strncmp(d, "http://", 7) && strncmp(d, "https://", 8))
				return cfg_walk_fail(w, mpath, "an http:// or https:// URL");
			if (!url && strlen(d) < 16)
				return cfg_walk_fail(w, mpath, "at least 16 characters");
			continue;
		}
		char *dst = !strcmp(it->string, "user_regex") ? rule->user_regex
			    : !strcmp(it->string, "room") ? rule->room
			    : !strcmp(it->string, "user_id") ? rule->user_id
			    : !strcmp(it->string, "user_name") ? rule->user_name
			    : !strcmp(it->string, "trunk") ? rule->trunk : NULL;
		if (!dst)
			return cfg_walk_fail(w, mpath, "unknown key (user_regex, room, user_id, user_name, trunk, pin, "
						       "route_url, route_secret, route_timeout_ms, route_fallback)");
		int rc = cfg_walk_string(w, it, mpath, dst, dst == rule->trunk ? sizeof rule->trunk : sizeof rule->room);
		if (rc)
			return rc;
	}
	if (!rule->route_timeout_ms)
		rule->route_timeout_ms = 2000;
	if (!rule->user_regex[0] || !rule->room[0])
		return cfg_walk_fail(w, path, "\"user_regex\" and \"room\" are required");
	regex_t re;
	int rc = regcomp(&re, rule->user_regex, REG_EXTENDED);
	if (rc) {
		char m[128];
		regerror(rc, &re, m, sizeof m);
		return cfg_walk_fail(w, path, "user_regex: %s", m);
	}
	regfree(&re);
	return 0;
}

int cfg_walk_sip_rules(struct walk *w, const cJSON *arr)
{
	return cfg_walk_list(w, arr, "sip.dial_in", "rules", RG_CFG_SIP_RULES_MAX, walk_sip_rule,
			     w->cfg->sip_rules, sizeof w->cfg->sip_rules[0], &w->cfg->n_sip_rules);
}

/* ---- sip.trunks ---- */

/* NULL, or what is wrong with a codec list ("" is not checked here). */
static const char *codecs_problem(const char *list)
{
	char buf[128], *save = NULL;
	if (strlen(list) >= sizeof buf)
		return "too long";
	strcpy(buf, list);
	unsigned n = 0;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++)
		if (strcasecmp(t, "opus") && strcasecmp(t, "g722") && strcasecmp(t, "pcmu") && strcasecmp(t, "pcma"))
			return "unknown codec (opus, g722, pcmu, pcma)";
	return n ? NULL : "at least one of opus, g722, pcmu, pcma";
}

/* A user part we put into URIs and NUTAG_AUTH: printable, no ':', '@',
 * spaces, quotes or angle brackets. */
static bool user_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr(":@<>\"\\", *s))
			return false;
	return true;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

/* "host:port" with a numeric IPv4/IPv6 ([v6]) host or a DNS name. */
static bool trunk_address_ok(const char *a)
{
	const char *colon = strrchr(a, ':');
	if (!colon || colon == a || !colon[1] || strlen(colon + 1) > 5)
		return false;
	unsigned port = 0;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return false;
	char host[RG_CFG_ADDR_MAX];
	size_t hl = (size_t)(colon - a);
	if (a[0] == '[') {
		unsigned char v6[16];
		if (hl < 3 || a[hl - 1] != ']' || hl - 2 >= sizeof host)
			return false;
		memcpy(host, a + 1, hl - 2);
		host[hl - 2] = '\0';
		return inet_pton(AF_INET6, host, v6) == 1;
	}
	for (const char *p = a; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.'))
			return false;
	return true;
}

static int walk_inbound(struct walk *w, const cJSON *o, const char *path, struct rg_config_sip_trunk *t)
{
	if (!cJSON_IsObject(o))
		return cfg_walk_fail(w, path, "expected an object {\"cidrs\": [...], \"username\": ..., \"password\": ...}");
	t->has_inbound = true;
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		char mp[400];
		snprintf(mp, sizeof mp, "%s.%s", path, it->string);
		if (!strcmp(it->string, "username")) {
			int rc = cfg_walk_string(w, it, mp, t->in_username, sizeof t->in_username);
			if (rc)
				return rc;
			if (!t->in_username[0] || !user_ok(t->in_username))
				return cfg_walk_fail(w, mp, "expected a user name without spaces, ':', '@', quotes or <>");
		} else if (!strcmp(it->string, "password")) {
			if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) >= sizeof t->in_password ||
			    !printable(it->valuestring))
				return cfg_walk_fail(w, mp, "expected a string of 1 to %zu printable characters",
						     sizeof t->in_password - 1);
			strcpy(t->in_password, it->valuestring);
		} else if (!strcmp(it->string, "cidrs")) {
			if (!cJSON_IsArray(it))
				return cfg_walk_fail(w, mp, "expected an array of address ranges (\"10.0.0.0/8\", \"2001:db8::/32\")");
			if (cJSON_GetArraySize(it) > RG_CFG_TRUNK_CIDRS_MAX)
				return cfg_walk_fail(w, mp, "at most %d ranges", RG_CFG_TRUNK_CIDRS_MAX);
			t->n_cidrs = 0;
			const cJSON *c;
			cJSON_ArrayForEach(c, it)
			{
				char cp[420];
				snprintf(cp, sizeof cp, "%s[%u]", mp, t->n_cidrs);
				struct rg_cidr parsed;
				if (!cJSON_IsString(c) || strlen(c->valuestring) >= sizeof t->cidrs[0] ||
				    rg_cidr_parse(&parsed, c->valuestring))
					return cfg_walk_fail(w, cp, "expected an address or a range \"address/bits\" without host bits");
				strcpy(t->cidrs[t->n_cidrs++], c->valuestring);
			}
		} else {
			return cfg_walk_fail(w, mp, "unknown key (cidrs, username, password)");
		}
	}
	char mp[400];
	snprintf(mp, sizeof mp, "%s.%s", path, t->in_username[0] ? "password" : "username");
	if (!t->in_username[0] != !t->in_password[0])
		return cfg_walk_fail(w, mp, "\"username\" and \"password\" go together");
	if (!t->n_cidrs && !t->in_username[0])
		return cfg_walk_fail(w, path, "\"cidrs\" or \"username\" and \"password\" are required");
	return 0;
}

static int trunk_uint(struct walk *w, const cJSON *it, const char *mp, unsigned min, unsigned max, unsigned *dst)
{
	if (!cJSON_IsNumber(it) || it->valuedouble < min || it->valuedouble > max ||
	    it->valuedouble != (double)(unsigned)it->valuedouble)
		return cfg_walk_fail(w, mp, "expected an integer from %u to %u", min, max);
	*dst = (unsigned)it->valuedouble;
	return 0;
}

/* A string member of a trunk: dst and whether it is a user part. */
static char *trunk_string(struct rg_config_sip_trunk *t, const char *k, size_t *cap, bool *user)
{
	*user = true;
	*cap = RG_CFG_SIP_CRED_MAX;
	if (!strcmp(k, "username"))
		return t->username;
	if (!strcmp(k, "auth_username"))
		return t->auth_username;
	if (!strcmp(k, "from_user"))
		return t->from_user;
	*user = false;
	if (!strcmp(k, "password"))
		return t->password;
	if (!strcmp(k, "display_name"))
		return t->display_name;
	if (!strcmp(k, "codecs")) {
		*cap = sizeof t->codecs;
		return t->codecs;
	}
	return NULL;
}

static int walk_trunk_member(struct walk *w, const cJSON *it, const char *mp, struct rg_config_sip_trunk *t)
{
	const char *k = it->string;
	size_t cap;
	bool user;
	char *dst = trunk_string(t, k, &cap, &user);
	if (dst) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= cap || !printable(it->valuestring))
			return cfg_walk_fail(w, mp, "expected a string of at most %zu printable characters", cap - 1);
		if (user && (!it->valuestring[0] || !user_ok(it->valuestring)))
			return cfg_walk_fail(w, mp, "expected a user name without spaces, ':', '@', quotes or <>");
		if (dst == t->display_name && strchr(it->valuestring, '"'))
			return cfg_walk_fail(w, mp, "a display name without double quotes");
		const char *problem = dst == t->codecs ? codecs_problem(it->valuestring) : NULL;
		if (problem)
			return cfg_walk_fail(w, mp, "%s", problem);
		strcpy(dst, it->valuestring);
		return 0;
	}
	if (!strcmp(k, "name")) {
		if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) >= sizeof t->name ||
		    strspn(it->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
			    strlen(it->valuestring))
			return cfg_walk_fail(w, mp, "expected 1 to %zu characters of A-Z a-z 0-9 _ . -", sizeof t->name - 1);
		strcpy(t->name, it->valuestring);
		return 0;
	}
	if (!strcmp(k, "address")) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof t->address ||
		    !trunk_address_ok(it->valuestring))
			return cfg_walk_fail(w, mp, "expected \"host:port\" (an IP address, [IPv6] or a DNS name)");
		strcpy(t->address, it->valuestring);
		return 0;
	}
	if (!strcmp(k, "transport")) {
		const char *v = cJSON_IsString(it) ? it->valuestring : "";
		if (strcmp(v, "udp") && strcmp(v, "tcp") && strcmp(v, "tls"))
			return cfg_walk_fail(w, mp, "expected \"udp\", \"tcp\" or \"tls\"");
		t->transport = !strcmp(v, "udp") ? RG_CFG_SIP_UDP : !strcmp(v, "tcp") ? RG_CFG_SIP_TCP : RG_CFG_SIP_TLS;
		return 0;
	}
	if (!strcmp(k, "srtp")) {
		const char *v = cJSON_IsString(it) ? it->valuestring : "";
		if (strcmp(v, "off") && strcmp(v, "optional") && strcmp(v, "required"))
			return cfg_walk_fail(w, mp, "expected \"off\", \"optional\" or \"required\"");
		t->srtp = v[0] == 'o' && v[1] == 'f' ? RG_CFG_SRTP_OFF : v[0] == 'o' ? RG_CFG_SRTP_OPTIONAL
										    : RG_CFG_SRTP_REQUIRED;
		return 0;
	}
	if (!strcmp(k, "register")) {
		if (!cJSON_IsBool(it))
			return cfg_walk_fail(w, mp, "expected true or false");
		t->reg = cJSON_IsTrue(it);
		return 0;
	}
	if (!strcmp(k, "register_expires_s"))
		return trunk_uint(w, it, mp, 60, 86400, &t->register_expires_s);
	if (!strcmp(k, "max_calls"))
		return trunk_uint(w, it, mp, 0, 100000, &t->max_calls);
	if (!strcmp(k, "inbound"))
		return walk_inbound(w, it, mp, t);
	return cfg_walk_fail(w, mp, "unknown key (name, address, transport, username, password, auth_username, "
			     "from_user, display_name, register, register_expires_s, inbound, codecs, srtp, max_calls)");
}

static int walk_trunk(struct walk *w, const cJSON *o, const char *path, void *elem)
{
	struct rg_config_sip_trunk *t = elem;
	if (!cJSON_IsObject(o))
		return cfg_walk_fail(w, path, "expected an object {\"name\": ..., \"address\": \"host:port\", ...}");
	memset(t, 0, sizeof *t);
	t->register_expires_s = 600;
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		char mp[340];
		snprintf(mp, sizeof mp, "%s.%s", path, it->string);
		int rc = walk_trunk_member(w, it, mp, t);
		if (rc)
			return rc;
	}
	char mp[340];
	if (!t->name[0])
		return cfg_walk_fail(w, path, "\"name\" is required");
	for (const struct rg_config_sip_trunk *p = w->cfg->sip_trunks; p < t; p++)
		if (!strcmp(p->name, t->name)) {
			snprintf(mp, sizeof mp, "%s.name", path);
			return cfg_walk_fail(w, mp, "\"%s\" is the name of an earlier trunk (names are unique)", t->name);
		}
	if (!t->address[0] && (t->reg || !t->has_inbound))
		return cfg_walk_fail(w, path, "\"address\" (\"host:port\" of the provider or PBX) is required");
	if (t->reg && !t->username[0]) {
		snprintf(mp, sizeof mp, "%s.register", path);
		return cfg_walk_fail(w, mp, "registration needs \"username\" (and usually \"password\")");
	}
	if (t->password[0] && !t->username[0] && !t->auth_username[0]) {
		snprintf(mp, sizeof mp, "%s.password", path);
		return cfg_walk_fail(w, mp, "a password needs \"username\" or \"auth_username\"");
	}
	return 0;
}

int cfg_walk_sip_trunks(struct walk *w, const cJSON *arr)
{
	return cfg_walk_list(w, arr, "sip.trunks", "trunks {\"name\", \"address\", ...}", RG_CFG_SIP_TRUNKS_MAX,
			     walk_trunk, w->cfg->sip_trunks, sizeof w->cfg->sip_trunks[0], &w->cfg->n_sip_trunks);
}

/* ---- sip.refer ---- */

int cfg_walk_sip_refer(struct walk *w, const cJSON *it)
{
	const char *v = cJSON_IsString(it) ? it->valuestring : "";
	if (strcmp(v, "reject") && strcmp(v, "follow"))
		return cfg_walk_fail(w, "sip.refer", "expected \"reject\" (REFER answered 405) or \"follow\" (transfers "
				     "dialed, see docs/sip.md#transfers)");
	w->cfg->sip_refer_follow = v[0] == 'f';
	return 0;
}

/* ---- after loading ---- */

/* A file of dir that must be a readable regular file: 0, or -ENOENT when
 * it does not exist (errno kept), else -EINVAL with the reason in why. */
static int readable_file(const char *dir, const char *name, const char **why)
{
	char p[sizeof ((struct rg_config *)0)->sip_tls_cert_dir + 16];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	struct stat st;
	FILE *f = NULL;
	if (stat(p, &st) && errno == ENOENT)
		return -ENOENT;
	if (stat(p, &st) || (S_ISREG(st.st_mode) && !(f = fopen(p, "r")))) {
		*why = strerror(errno);
		return -EINVAL;
	}
	if (!f) {
		*why = "not a regular file";
		return -EINVAL;
	}
	fclose(f);
	return 0;
}

/* sip.tls_listen and sip.tls_certificate_dir: the files are looked at here
 * (so --check-config finds a missing one); the SIP gateway checks that
 * agent.pem holds a certificate and its key when it starts. port: that of
 * sip.listen. */
static int validate_sip_tls(const struct rg_config *c, uint16_t port, char *err, size_t errlen)
{
	char host[RG_CFG_ADDR_MAX];
	uint16_t tport;
	const char *dir = c->sip_tls_cert_dir;
	if (rg_config_split_hostport(c->sip_tls_listen, host, sizeof host, &tport))
		return cfg_fail(err, errlen, "sip.tls_listen: \"%s\" is not a numeric \"host:port\" (\"\" turns TLS off)",
				c->sip_tls_listen);
	if (!c->sip_listen[0])
		return cfg_fail(err, errlen, "sip.tls_listen: needs sip.listen (SIP over UDP and TCP) as well");
	if (tport && tport == port)
		return cfg_fail(err, errlen, "sip.tls_listen: port %u is sip.listen's (its TCP port); use another one "
				"(5061 is usual)", (unsigned)tport);
	if (!dir[0])
		return cfg_fail(err, errlen, "sip.tls_certificate_dir: required with sip.tls_listen (a directory with "
				"agent.pem: the server's certificate and private key)");
	struct stat st;
	if (stat(dir, &st))
		return cfg_fail(err, errlen, "sip.tls_certificate_dir: \"%s\": %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cfg_fail(err, errlen, "sip.tls_certificate_dir: \"%s\" is not a directory", dir);
	const char *why = "";
	int rc = readable_file(dir, "agent.pem", &why);
	if (rc)
		return cfg_fail(err, errlen, "sip.tls_certificate_dir: cannot read \"%s/agent.pem\" (%s); it must hold "
				"the server's certificate and private key (PEM)", dir, rc == -ENOENT ? "no such file" : why);
	rc = readable_file(dir, "cafile.pem", &why);
	if (rc && rc != -ENOENT)
		return cfg_fail(err, errlen, "sip.tls_certificate_dir: cannot read \"%s/cafile.pem\" (%s)", dir, why);
	return 0;
}

int cfg_validate_sip(const struct rg_config *c, char *err, size_t errlen)
{
	char host[RG_CFG_ADDR_MAX];
	uint16_t port = 0;
	if (c->sip_listen[0] && rg_config_split_hostport(c->sip_listen, host, sizeof host, &port))
		return cfg_fail(err, errlen, "sip.listen: \"%s\" is not a numeric \"host:port\" (\"\" turns SIP off)",
				c->sip_listen);
	if (c->sip_tls_listen[0]) {
		int rc = validate_sip_tls(c, port, err, errlen);
		if (rc)
			return rc;
	}
	unsigned char a[16];
	if (c->sip_advertised[0] && inet_pton(AF_INET, c->sip_advertised, a) != 1 &&
	    inet_pton(AF_INET6, c->sip_advertised, a) != 1)
		return cfg_fail(err, errlen, "sip.advertised_address: \"%s\" is not an IP address", c->sip_advertised);
	const char *problem = codecs_problem(c->sip_codecs);
	if (problem)
		return cfg_fail(err, errlen, "sip.codecs: %s", problem);
	if (!c->sip_realm[0] || strchr(c->sip_realm, '"') || !printable(c->sip_realm))
		return cfg_fail(err, errlen, "sip.realm: expected a non-empty string without double quotes");
	if (c->sip_session_expires_s && c->sip_session_expires_s < 90)
		return cfg_fail(err, errlen, "sip.session_expires_s: 0 (no session timer) or at least 90 (RFC 4028)");
	if (c->sip_refer_allow[0]) {
		regex_t re;
		int rc = regcomp(&re, c->sip_refer_allow, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char m[128];
			regerror(rc, &re, m, sizeof m);
			return cfg_fail(err, errlen, "sip.refer_allow: not a regular expression: %s", m);
		}
		regfree(&re);
	}
	for (unsigned i = 0; i < c->n_sip_rules; i++) {
		const char *t = c->sip_rules[i].trunk;
		bool found = !*t;
		for (unsigned j = 0; j < c->n_sip_trunks && !found; j++)
			found = !strcmp(c->sip_trunks[j].name, t);
		if (!found)
			return cfg_fail(err, errlen, "sip.dial_in[%u].trunk: no trunk named \"%s\" in sip.trunks", i, t);
	}
	for (unsigned i = 0; i < c->n_sip_trunks; i++)
		if (c->sip_trunks[i].transport == RG_CFG_SIP_TLS && !c->sip_tls_listen[0])
			return cfg_fail(err, errlen, "sip.trunks[%u].transport: \"tls\" needs SIP over TLS (sip.tls_listen "
					"and sip.tls_certificate_dir)", i);
	return 0;
}
