/* Session timers (RFC 4028): who refreshes a session and how often, as
 * the SIP stack negotiates them (sofia-sip's nua, as ua.c configures it:
 * timer supported, Min-SE 90), and when the side that does not refresh
 * gives up. Pure, any thread; public for tests.
 *
 * The stack keeps the session alive itself when it is the refresher; when
 * the peer is, it would end an unrefreshed session only at nine tenths of
 * the interval (at 81 s of 90). expiry.c uses these functions to end it
 * where RFC 4028 section 10 recommends instead: the interval minus the
 * smaller of 32 s and a third of it. */
#ifndef RG_SIP_SE_H
#define RG_SIP_SE_H

#include <stdbool.h>

/* The peer's side of one exchange: its request when we answer it, its
 * response when it answered ours. */
struct rg_sip_se_peer {
	unsigned expires;  /* its Session-Expires, 0 none */
	unsigned min_se;   /* its Min-SE, 0 none */
	char refresher;    /* the refresher parameter: 'c' (uac), 's' (uas), 0 none */
	bool supported;    /* it supports "timer" (said so in this dialog) */
	bool require;      /* Require: timer */
};

enum rg_sip_se_refresher { RG_SIP_SE_NONE = 0, RG_SIP_SE_US, RG_SIP_SE_PEER };

/* The refresher and *interval (0 with RG_SIP_SE_NONE) after an exchange;
 * uas: we answered it. local_expires: sip.session_expires_s (0: we ask for
 * none but take the peer's), local_min_se: ours (90). */
enum rg_sip_se_refresher rg_sip_se_negotiate(const struct rg_sip_se_peer *p, bool uas, unsigned local_expires,
					     unsigned local_min_se, unsigned *interval);

/* Seconds after a refresh at which the side that does not refresh ends the
 * session: interval - min(32, interval / 3). */
unsigned rg_sip_se_give_up_s(unsigned interval);

#endif
