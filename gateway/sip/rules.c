/* Dial-in rules: see rules.h. */
#include "sip/rules.h"

#include <errno.h>
#include <stdbool.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#define MAX_CAPTURES 10

struct rg_sip_rules {
	unsigned n;
	const struct rg_config_sip_rule *cfg; /* the configuration's (read-only, outlives us) */
	regex_t re[];
};

struct rg_sip_rules *rg_sip_rules_new(const struct rg_config_sip_rule *rules, unsigned n)
{
	struct rg_sip_rules *r = calloc(1, sizeof *r + n * sizeof(regex_t));
	if (!r)
		return NULL;
	r->cfg = rules;
	for (; r->n < n; r->n++)
		if (regcomp(&r->re[r->n], rules[r->n].user_regex, REG_EXTENDED)) {
			rg_sip_rules_free(r);
			return NULL;
		}
	return r;
}

void rg_sip_rules_free(struct rg_sip_rules *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n; i++)
		regfree(&r->re[i]);
	free(r);
}

static int append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n >= cap)
		return -ENAMETOOLONG;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/* The caller with every digit but the last MASK_KEEP written 'x'
 * ("+4930123456" -> "+xxxxxx3456"); other characters stay. */
#define MASK_KEEP 4

static int append_masked(char *out, size_t cap, size_t *len, const char *caller)
{
	size_t digits = 0;
	for (const char *c = caller; *c; c++)
		digits += *c >= '0' && *c <= '9';
	int rc = 0;
	for (const char *c = caller; *c && !rc; c++) {
		bool digit = *c >= '0' && *c <= '9';
		bool hide = digit && digits > MASK_KEEP;
		digits -= digit;
		rc = append(out, cap, len, hide ? "x" : c, 1);
	}
	return rc;
}

int rg_sip_template(char *out, size_t cap, const char *tpl, const char *subject, const void *matches,
		    unsigned n_matches, const char *caller, const char *call_id)
{
	const regmatch_t *m = matches;
	size_t len = 0;
	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (const char *p = tpl; *p;) {
		int rc = 0;
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
			unsigned i = (unsigned)(p[1] - '0');
			if (i < n_matches && m[i].rm_so >= 0)
				rc = append(out, cap, &len, subject + m[i].rm_so, (size_t)(m[i].rm_eo - m[i].rm_so));
			p += 2;
		} else if (!strncmp(p, "${caller_masked}", 16)) {
			rc = append_masked(out, cap, &len, caller);
			p += 16;
		} else if (!strncmp(p, "${caller}", 9)) {
			rc = append(out, cap, &len, caller, strlen(caller));
			p += 9;
		} else if (!strncmp(p, "${call}", 7)) {
			rc = append(out, cap, &len, call_id, strlen(call_id));
			p += 7;
		} else {
			rc = append(out, cap, &len, p, 1);
			p++;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int rg_sip_rules_route(const struct rg_sip_rules *r, const char *uri_user, const char *caller,
		       const char *call_id, const char *trunk, struct rg_sip_route *out)
{
	regmatch_t m[MAX_CAPTURES];
	for (unsigned i = 0; i < r->n; i++) {
		const char *only = r->cfg[i].trunk;
		if (*only && (!trunk || strcmp(only, trunk)))
			continue;
		if (regexec(&r->re[i], uri_user, MAX_CAPTURES, m, 0))
			continue;
		const struct rg_config_sip_rule *c = &r->cfg[i];
		const char *uid = c->user_id[0] ? c->user_id : RG_SIP_DEFAULT_USER_ID;
		const char *un = c->user_name[0] ? c->user_name : RG_SIP_DEFAULT_USER_NAME;
		out->rule = i;
		memcpy(out->pin, c->pin, sizeof out->pin);
		if (rg_sip_template(out->room, sizeof out->room, c->room, uri_user, m, MAX_CAPTURES, caller, call_id) ||
		    rg_sip_template(out->user_id, sizeof out->user_id, uid, uri_user, m, MAX_CAPTURES, caller, call_id) ||
		    rg_sip_template(out->user_name, sizeof out->user_name, un, uri_user, m, MAX_CAPTURES, caller, call_id))
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}
