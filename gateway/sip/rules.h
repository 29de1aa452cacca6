/* Dial-in rules (pure apart from regex compilation; any thread): the
 * request-URI user against each rule's POSIX extended regex, first match
 * wins; the room, user ID and user name templates expanded with the
 * captures: $0..$9, ${caller} (the From user, reduced to [A-Za-z0-9_.+-]),
 * ${caller_masked} (the same with all digits but the last 4 written x)
 * and ${call} (the call's ID). Private to sip/, public for unit tests. */
#ifndef RG_SIP_RULES_H
#define RG_SIP_RULES_H

#include <stddef.h>

struct rg_config_sip_rule;
struct rg_sip_rules;

#define RG_SIP_DEFAULT_USER_ID "sip_${call}"
#define RG_SIP_DEFAULT_USER_NAME "${caller}"

/* NULL when a regex does not compile (config validation has checked). */
struct rg_sip_rules *rg_sip_rules_new(const struct rg_config_sip_rule *rules, unsigned n);
void rg_sip_rules_free(struct rg_sip_rules *r);

struct rg_sip_route {
	char room[256], user_id[256], user_name[256];
	unsigned rule; /* index of the matching rule */
	char pin[17];  /* the rule's PIN, "" = none */
};
/* trunk: the name of the call's trunk, NULL when none (a rule with a
 * trunk applies only to that trunk's calls). 0, or -ENOENT when no rule
 * matches, -ENAMETOOLONG when an expansion does not fit. */
int rg_sip_rules_route(const struct rg_sip_rules *r, const char *uri_user, const char *caller,
		       const char *call_id, const char *trunk, struct rg_sip_route *out);
/* Expands one template (exposed for tests); 0 or -ENAMETOOLONG. */
int rg_sip_template(char *out, size_t cap, const char *tpl, const char *subject, const void *matches,
		    unsigned n_matches, const char *caller, const char *call_id);

#endif
