/* Session timer negotiation (RFC 4028). See se.h. */
#include "sip/se.h"

enum rg_sip_se_refresher rg_sip_se_negotiate(const struct rg_sip_se_peer *p, bool uas, unsigned local_expires,
					     unsigned local_min_se, unsigned *interval)
{
	/* the peer's refresher parameter names the UAC or UAS of this exchange */
	enum rg_sip_se_refresher named = RG_SIP_SE_NONE;
	if (p->expires && p->refresher == 'c')
		named = uas ? RG_SIP_SE_PEER : RG_SIP_SE_US;
	else if (p->expires && p->refresher == 's')
		named = uas ? RG_SIP_SE_US : RG_SIP_SE_PEER;
	else if (p->expires && p->require)
		named = RG_SIP_SE_US; /* Require: timer without a refresher: as the stack takes it */
	enum rg_sip_se_refresher r;
	if (!p->supported)
		r = RG_SIP_SE_US;
	else if (named != RG_SIP_SE_NONE)
		r = named;
	else
		r = uas ? RG_SIP_SE_PEER : RG_SIP_SE_US; /* the UAC refreshes */
	unsigned iv = p->expires ? p->expires : local_expires;
	if (local_expires && iv > local_expires)
		iv = local_expires;
	if (iv && iv < local_min_se)
		iv = local_min_se;
	if (iv && iv < p->min_se)
		iv = p->min_se;
	*interval = iv;
	return iv ? r : RG_SIP_SE_NONE;
}

unsigned rg_sip_se_give_up_s(unsigned interval)
{
	unsigned margin = interval / 3 < 32 ? interval / 3 : 32;
	return interval - margin;
}
