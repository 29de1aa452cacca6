/* sofia-sip's user agent on the control loop: the su_root is a GSource
 * attached to the control loop's GLib context, so nua's timers and sockets
 * are served by the same thread as rooms (no locks, no second loop). This
 * is the only file of the module that sees GLib or su_glib. The nua
 * callback dispatches to call.c and dialin.c.
 *
 * nua is created with its media layer off (NUTAG_MEDIA_ENABLE(0)): SDP
 * goes in and out as message bodies and sdp_av.c does offer/answer.
 * Allow is set, not added to (NUTAG_ALLOW would add ours to nua's default
 * set, which has REFER, SUBSCRIBE, NOTIFY, MESSAGE and PRACK: nua would
 * then accept a REFER with 202 by itself). With sip.refer "follow" the
 * handles of calls allow REFER as well (SIP_ALLOW_REFER, set by dialin.c
 * and dialout.c), and nua leaves the answer to refer.c; nua's own Allow
 * stays without it, so that a REFER outside a call is answered 405 by nua
 * (an initial REFER that got to us would have had nua send a NOTIFY of its
 * own before our answer). OPTIONS is answered by nua (200, with our
 * Allow); methods outside it 405. REGISTER answers go to trunk.c.
 *
 * TLS (sip.tls_listen): nua gets a sips: URL and sofia's TLS transport the
 * certificate directory (tls.c has checked it). Verify policy: without
 * cafile.pem none (phones seldom have a certificate; callers are
 * authenticated as on UDP and TCP, by trunk rules); with cafile.pem both
 * ways: a phone must present a certificate that chains to it, and so must
 * the peer of a dial-out over TLS (the chain, not the host name). The TLS
 * method is the version-flexible one (sofia's default is TLS 1.0 only,
 * which OpenSSL 3 refuses). */
#include "sip/sip_int.h" /* first: it names nua's magic types */

#include <glib.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"

#define SHUTDOWN_WAIT_MS 2000

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua, struct rg_sip *s,
		     nua_handle_t *nh, struct call *c, sip_t const *sip, tagi_t tags[])
{
	RG_DEBUG(SIP, "nua %s %d %s%s%s", nua_event_name(event), status, phrase ? phrase : "",
		 c ? " call " : "", c ? c->id : "");
	switch (event) {
	case nua_i_invite:
		if (!c && s->closing) {
			nua_respond(nh, 503, "Service Unavailable", TAG_END());
			sip_invite_count(s, 503);
			return;
		}
		if (!c)
			sip_dialin(s, nh, sip);
		else
			sip_on_reinvite(c, nh, sip);
		return;
	case nua_i_ack:
		if (c)
			sip_on_ack(c, sip);
		return;
	case nua_i_info:
		if (c)
			sip_on_info(c, nh, sip);
		else if (nh)
			nua_handle_destroy(nh);
		return;
	case nua_i_update:
		if (c)
			sip_on_update(c, nh, sip);
		else if (nh)
			nua_handle_destroy(nh);
		return;
	case nua_r_register:
	case nua_r_unregister:
		if (!sip_trunk_on_register(s, nh, event, status, phrase, sip) && nh && !c)
			nua_handle_destroy(nh);
		return;
	case nua_r_invite:
		if (c)
			sip_call_on_response(c, status, phrase, sip);
		return;
	case nua_r_update: /* the stack refreshed the session */
		if (c && status >= 200 && status < 300 && c->state == CS_ANSWERED)
			sip_expiry_refreshed(c, sip, false);
		return;
	case nua_i_bye:
		if (c)
			sip_call_on_bye(c);
		return;
	case nua_i_cancel:
		if (c)
			sip_call_end(c, "cancelled", 487);
		return;
	case nua_i_state: {
		int cs = nua_callstate_init;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs != nua_callstate_terminated)
			return;
		if (c && sip_refer_keeps_handle(c)) { /* a REFER's subscription outlives the session */
			sip_call_end(c, "terminated", 0);
			return;
		}
		if (c)
			sip_call_on_terminated(c); /* forgets nh */
		nua_handle_destroy(nh);
		return;
	}
	case nua_i_refer:
		if (c && status < 200) {
			sip_refer_on_request(c, nh, sip, tags);
		} else if (!c && nh) { /* outside a call (nua answers 405 before): nothing to transfer */
			if (status < 200)
				nua_respond(nh, 481, "Call Does Not Exist", NUTAG_WITH_THIS(nua), TAG_END());
			nua_handle_destroy(nh);
		}
		return;
	case nua_r_notify:
		if (c)
			sip_refer_on_notify_answer(c, status, tags);
		return;
	case nua_r_shutdown:
		if (status >= 200)
			s->shutdown_done = true;
		return;
	case nua_i_options:
	case nua_i_message:
	case nua_i_subscribe:
	case nua_i_notify:
	case nua_i_publish:
	case nua_i_register:
	case nua_i_method:
		/* answered by nua (OPTIONS 200, the others 405 or 481); a new
		 * handle that nobody owns is let go */
		if (!c && nh)
			nua_handle_destroy(nh);
		return;
	default:
		return;
	}
}

/* sofia's own logging goes to our log at debug level, except what it says
 * of a TLS connection that failed (a peer's certificate that does not
 * verify, a failed handshake): sofia reports that nowhere else (a REGISTER
 * or INVITE over it just times out), so those lines are warnings, at most
 * TLS_LOG_BURST a minute. */
#define TLS_LOG_BURST 20
/* The SIP UDP socket's receive buffer: a burst of INVITEs while the control
 * loop is busy waits there instead of being dropped (the kernel caps it at
 * net.core.rmem_max: docs/deployment.md). */
#define SIP_UDP_RMEM (2u << 20)

static bool tls_problem(const char *line)
{
	return strstr(line, "TLS setup failed") || strstr(line, "Error with certificate") || !strncmp(line, "  err ", 6);
}

__attribute__((format(printf, 2, 0))) static void su_logger(void *ctx, char const *fmt, va_list ap)
{
	struct rg_sip *s = ctx;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (!n)
		return;
	if (tls_problem(line) && rg_ratelimit_allow(&s->tls_log, rg_mono_us() / 1000))
		rg_log(RG_SUB_SIP, RG_LOG_WARN, "TLS: %s", line);
	else if (rg_log_enabled(RG_SUB_SIP, RG_LOG_DEBUG))
		rg_log(RG_SUB_SIP, RG_LOG_DEBUG, "sofia: %s", line);
}

int sip_ua_start(struct rg_sip *s, const char *url, const char *sips_url, char *err, size_t errlen)
{
	const char *cert_dir = s->d.cfg->sip_tls_cert_dir;
	unsigned policy = s->tls_ca ? TPTLS_VERIFY_ALL : TPTLS_VERIFY_NONE;
	su_init();
	su_home_init(s->home);
	s->tls_log = (struct rg_ratelimit)RG_RATELIMIT_INIT(60000, TLS_LOG_BURST);
	su_log_redirect(NULL, su_logger, s);
	s->root = su_glib_root_create(s);
	if (!s->root) {
		snprintf(err, errlen, "sip: cannot create the sofia-sip root");
		return -1;
	}
	GSource *src = su_glib_root_gsource(s->root);
	s->gsource_id = g_source_attach(src, rg_loop_glib_context(s->d.control));
	s->nua = nua_create(s->root, on_event, s, NUTAG_URL(url), TAG_IF(sips_url, NUTAG_SIPS_URL(sips_url)),
			    TAG_IF(sips_url, TPTAG_CERTIFICATE(cert_dir)), TAG_IF(sips_url, TPTAG_TLS_VERSION(0)),
			    TAG_IF(sips_url, TPTAG_TLS_VERIFY_POLICY(policy)), NUTAG_MEDIA_ENABLE(0),
			    TPTAG_UDP_RMEM(SIP_UDP_RMEM),
			    SIPTAG_ALLOW_STR(SIP_ALLOW), NUTAG_ENABLEMESSAGE(0), NUTAG_ENABLEINVITE(1),
			    NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1), NUTAG_USER_AGENT("roomgate/" RG_VERSION),
			    NUTAG_SESSION_TIMER(s->d.cfg->sip_session_expires_s), NUTAG_MIN_SE(SIP_MIN_SE),
			    NUTAG_SESSION_REFRESHER(nua_any_refresher), NUTAG_UPDATE_REFRESH(1),
			    NUTAG_APPL_METHOD("UPDATE"), NUTAG_APPL_METHOD("INFO"),
			    TAG_IF(s->refer_follow, NUTAG_APPL_METHOD("REFER")),
			    SIPTAG_SERVER_STR("roomgate/" RG_VERSION), TAG_END());
	if (!s->nua) {
		snprintf(err, errlen, "sip: cannot listen on %s%s%s (address in use, or not local?)", url,
			 sips_url ? " and " : "", sips_url ? sips_url : "");
		return -1;
	}
	return 0;
}

static gboolean wait_over(gpointer arg)
{
	*(bool *)arg = true;
	return G_SOURCE_REMOVE;
}

void sip_ua_stop(struct rg_sip *s)
{
	GMainContext *ctx = rg_loop_glib_context(s->d.control);
	if (s->nua) {
		/* nua finishes its transactions (BYEs, CANCELs and un-REGISTERs
		 * sent just before); the un-REGISTERs are answered first, as
		 * nua_shutdown would end the registrations on its own */
		bool over = false;
		GSource *t = g_timeout_source_new(SHUTDOWN_WAIT_MS);
		g_source_set_callback(t, wait_over, &over, NULL);
		g_source_attach(t, ctx);
		while (s->unreg_pending && !over)
			g_main_context_iteration(ctx, TRUE);
		nua_shutdown(s->nua);
		while (!s->shutdown_done && !over)
			g_main_context_iteration(ctx, TRUE);
		if (!over)
			g_source_destroy(t);
		g_source_unref(t);
		if (!s->shutdown_done)
			RG_WARN(SIP, "sip: shutdown did not complete in %d ms", SHUTDOWN_WAIT_MS);
		nua_destroy(s->nua);
		s->nua = NULL;
	}
	if (s->root) {
		su_root_destroy(s->root);
		s->root = NULL;
	}
	su_log_redirect(NULL, NULL, NULL);
	su_home_deinit(s->home);
	su_deinit();
}
