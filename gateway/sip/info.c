/* SIP INFO DTMF bodies. See info.h. */
#include "sip/info.h"

#include <string.h>
#include <strings.h>

#define BODY_MAX 512

static const char digits[] = "0123456789*#ABCDabcd";

char rg_sip_info_digit(const char *ct, const char *body, size_t len)
{
	if (!ct || !body || !len || len > BODY_MAX)
		return 0;
	char b[BODY_MAX + 1];
	memcpy(b, body, len);
	b[len] = '\0';
	if (strlen(b) != len)
		return 0; /* a NUL inside */
	const char *v = NULL;
	if (!strcasecmp(ct, "application/dtmf-relay")) {
		for (const char *p = b; p; p = strchr(p, '\n')) {
			p += strspn(p, " \t\r\n");
			if (!strncasecmp(p, "Signal", 6)) {
				const char *q = p + 6 + strspn(p + 6, " \t");
				if (*q == '=')
					v = q + 1 + strspn(q + 1, " \t");
				break;
			}
		}
	} else if (!strcasecmp(ct, "application/dtmf")) {
		v = b + strspn(b, " \t\r\n");
	}
	if (!v || !*v || !strchr(digits, *v))
		return 0;
	if (v[1] && !strchr(" \t\r\n", v[1]))
		return 0; /* one character only */
	return *v >= 'a' ? (char)(*v - 'a' + 'A') : *v;
}
