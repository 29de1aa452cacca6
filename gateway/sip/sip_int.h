/* Private to sip/. The nua callback (ua.c) dispatches to the call code
 * (call.c: calls, media, the admin API; dialout.c: calls we place;
 * dialin.c: incoming INVITEs; dialog.c: requests in a call). Control loop
 * only. */
#ifndef RG_SIP_SIP_INT_H
#define RG_SIP_SIP_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

struct rg_sip;
struct call;
#define NUA_MAGIC_T struct rg_sip
#define NUA_HMAGIC_T struct call
#define SU_ROOT_MAGIC_T struct rg_sip
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su.h>

#include "core/cidr.h"
#include "core/config.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "sip/rules.h"
#include "sip/sdp_av.h"
#include "sip/se.h"
#include "sip/sip.h"
#include "vp/vp.h"

/* Our Allow (ua.c sets it for nua, not adding to nua's default set); the
 * handles of calls allow REFER as well with sip.refer "follow" (refer.c). */
#define SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"
#define SIP_ALLOW_REFER SIP_ALLOW ", REFER"
#define SIP_MIN_SE 90 /* our Min-SE (RFC 4028's least; ua.c, expiry.c) */

#define CALL_ID_LEN 16
#define CALL_LINGER_MS 60000 /* an ended call stays listed this long, */
#define CALL_LINGER_MAX 256   /* but at most this many ended calls (the first ended goes), */
#define CALL_REFUSED_MAX 16   /* and of refused ones at most this many */

enum call_state { CS_CALLING = 0, CS_RINGING, CS_EARLY, CS_ANSWERED, CS_ENDED };
enum reg_state { REG_UNREGISTERED = 0, REG_REGISTERING, REG_REGISTERED, REG_FAILED };
/* The subscription of a REFER we accepted (refer.c). */
enum refer_sub { REFER_SUB_NONE = 0, REFER_SUB_ACTIVE, REFER_SUB_ENDING };

#define REG_BACKOFF_MIN_S 5   /* first retry after a failed registration */
#define REG_BACKOFF_MAX_S 300 /* doubling up to this */
#define NONCE_MAX_AGE_S 300   /* an inbound challenge's nonce is good this long */

/* A configured trunk (sip.trunks, trunk.c): its parsed settings and its
 * registration. cfg is the configuration's (read-only, outlives us). */
struct trunk {
	struct rg_sip *sip;
	const struct rg_config_sip_trunk *cfg;
	enum rg_codec_id prefs[4];
	size_t n_prefs;
	struct rg_cidr cidrs[RG_CFG_TRUNK_CIDRS_MAX];
	unsigned n_cidrs;
	char host[RG_CFG_ADDR_MAX];       /* of cfg->address, [v6] in brackets */
	/* registration (cfg->reg) */
	nua_handle_t *reg_nh;             /* ours; NULL between attempts */
	enum reg_state reg;
	int reg_code;                     /* last final status, 0 none */
	char reg_reason[128];
	unsigned reg_expires_s;           /* granted by the registrar */
	int64_t registered_ms, next_attempt_ms;
	unsigned backoff_s;
	unsigned retry_timer;
	unsigned auth_tries;              /* challenges answered since the last 2xx */
	bool unregistering;
};

struct call {
	struct rg_sip *sip;
	struct call *next;
	char id[CALL_ID_LEN + 1];
	bool outbound;
	enum call_state state;
	char *room_id, *user_id, *user_name, *from, *to;
	char stream_id[CALL_ID_LEN + 8];
	nua_handle_t *nh;          /* ours until nua reports the dialog terminated (with a
				    * REFER's subscription open: until it ends, refer.c) */
	char vp_id[RG_VP_ID_LEN + 1]; /* "" when not (or no longer) in the room */
	int fd, fd_rtcp;           /* bound RTP sockets until the participant takes them */
	uint16_t port;
	bool srtp;
	uint8_t key[RG_SDP_AV_KEY_LEN]; /* our SDES key */
	uint64_t sess_id;
	struct rg_sdp_av_codec codec;  /* negotiated (pt 0 with codec.clock_rate 0: none yet) */
	struct rg_sdp_av_te te;
	char remote[80];
	struct trunk *trunk;       /* the call's trunk, NULL when none */
	bool tls_sip;              /* inbound over TLS to a sip: request-URI: our Contact is
				    * sip:...;transport=tls, not sofia's sips: */
	bool auth_sent;            /* dial-out: we answered a challenge */
	int status;                /* last SIP status of the INVITE */
	char *reason;              /* why it ended */
	int64_t created_ms, answered_ms, ended_ms;
	unsigned ring_timer, linger_timer;
	bool refused;              /* an inbound call we refused (logged by dial-in) */
	/* the session (dialog.c) */
	bool mux;                  /* rtcp-mux in use */
	bool late;                 /* our offer went in the 200; the answer comes with the ACK */
	bool held;                 /* the phone holds the call (sendonly/inactive) */
	bool recv_on, send_on;     /* the endpoint's directions */
	uint64_t sess_ver;
	char *last_sdp;            /* the last SDP we sent (its o= version moves on change only) */
	/* PIN (dialog.c): answered into a lobby until the digits and # match */
	char pin[17], pin_in[17];
	size_t pin_n;
	unsigned pin_tries, pin_timer, bye_timer;
	bool in_lobby;
	struct rg_sdp_av *remote_sdp; /* the last SDP of the phone that we took */
	int keep_fd, keep_fd_rtcp; /* the sockets for the room, while in the lobby */
	/* dial-out */
	char *dtmf_after;
	unsigned max_timer;
	unsigned max_duration_s;
	uint64_t dtmf_received;
	/* session timer (expiry.c) */
	struct rg_sip_se_peer se_peer; /* the peer's side of the last refresh */
	unsigned se_interval;          /* negotiated, 0 none */
	unsigned se_timer;             /* armed while the peer is the refresher */
	/* transfers (refer.c) */
	char referred_by[CALL_ID_LEN + 1]; /* the call whose REFER placed this one, "" none */
	enum refer_sub refer_sub;          /* of the REFER of this call being followed */
	char refer_call[CALL_ID_LEN + 1];  /* the call it placed, while its outcome is awaited */
	char *refer_event;                 /* its Event ("refer", "refer;id=2") */
	bool session_over;                 /* nua ended the session; nh kept for the subscription */
};

/* Outcomes of incoming INVITEs counted for /metrics (stats.c): 200, 401,
 * 403, 404, 486, 488, 500, 503. */
#define SIP_INVITE_RESULTS 8

struct rg_sip {
	struct rg_sip_deps d;
	su_home_t home[1];
	su_root_t *root;
	nua_t *nua;
	unsigned gsource_id;
	bool shutdown_done, closing;
	struct rg_sip_rules *rules;
	enum rg_codec_id prefs[4];
	size_t n_prefs;
	char sdp_addr[RG_CFG_ADDR_MAX];   /* c= of our SDP */
	char contact[RG_CFG_ADDR_MAX + 16]; /* host:port others reach us at */
	bool tls;                          /* sip.tls_listen is set */
	bool tls_ca;                       /* tls: cafile.pem is there (peers' certificates verified) */
	char tls_contact[RG_CFG_ADDR_MAX + 16]; /* tls: host:port of SIP over TLS */
	char tls_sip_contact[RG_CFG_ADDR_MAX + 40]; /* tls: "<sip:tls_contact;transport=tls>" */
	struct call *calls;
	struct trunk *trunks;              /* cfg->n_sip_trunks of them */
	unsigned n_trunks, unreg_pending;
	bool any_inbound;                  /* some trunk has inbound rules: dial-in is not open */
	uint8_t nonce_key[32];             /* random per start: the HMAC key of our nonces */
	unsigned route_pending;            /* route.c: webhook requests under way */
	struct route_box *route_box;       /* route.c */
	/* stats.c */
	uint64_t invites[SIP_INVITE_RESULTS];
	struct rg_ratelimit invite_log;
	struct rg_ratelimit tls_log; /* sofia's TLS errors (ua.c) */
	unsigned invite_log_timer;
	uint64_t invite_log_suppressed;
	/* transfers (refer.c): sip.refer "follow", sip.refer_allow compiled */
	bool refer_follow;
	bool has_refer_re;
	regex_t refer_re;
};

/* ua.c: nua listening on url (UDP and TCP) and, when not NULL, on
 * sips_url (TLS, with sip.tls_certificate_dir; s->tls_ca decides whether
 * peers' certificates are verified). */
int sip_ua_start(struct rg_sip *s, const char *url, const char *sips_url, char *err, size_t errlen);
void sip_ua_stop(struct rg_sip *s);

/* tls.c: whether sip.tls_certificate_dir's agent.pem holds a certificate
 * and its private key (and cafile.pem, when there, a certificate); sets
 * *has_ca. 0, or -EINVAL with a message naming the key and the file. */
int sip_tls_check_dir(const char *dir, bool *has_ca, char *err, size_t errlen);

/* call.c */
struct call *sip_call_new(struct rg_sip *s, bool outbound);
/* Unlinks and frees (destroying its nua handle, if any). */
void sip_call_free(struct call *c);
void sip_call_set_state(struct call *c, enum call_state st);
/* Ends it (leaves the room, closes sockets, emits), once; status 0: none. */
void sip_call_end(struct call *c, const char *reason, int status);
/* Hangs up on our side (BYE once answered, CANCEL while an outbound call
 * rings) and ends it with reason. */
void sip_call_hangup(struct call *c, const char *reason);
/* The call as the admin API shows it (stats: with its media statistics). */
cJSON *sip_call_json(struct call *c, bool stats);
/* Joins the room with the negotiated media (or its PIN lobby first when
 * c->pin is set); 0 or -RG_E_* with msg. */
int sip_call_join(struct call *c, const struct rg_sdp_av *remote, char *msg, size_t msglen);
/* The endpoint parameters for the negotiated media and remote (no sockets). */
int sip_call_ep(struct call *c, const struct rg_sdp_av *remote, struct rg_rtp_ep_params *ep, char *msg,
		size_t msglen);
/* Our SDP: an answer to offer, or (offer NULL) an offer of every codec we
 * take; the o= version moves on when the body changes. -1 when too long. */
int sip_call_sdp(struct call *c, const struct rg_sdp_av *offer, enum rg_sdp_av_dir dir, char *buf, size_t cap);
void sip_call_emit(struct call *c);
/* Binds RTP ports for the call (pair unless mux). 0 or -errno. */
int sip_call_bind(struct call *c, bool mux);
void sip_call_on_response(struct call *c, int status, const char *phrase, const sip_t *sip);
void sip_call_on_bye(struct call *c);
void sip_call_on_terminated(struct call *c);
char *sip_url_string(struct rg_sip *s, const url_t *u);
/* The codec list of a trunk (its own, else sip.codecs). */
const enum rg_codec_id *sip_call_prefs(const struct call *c, size_t *n);
/* stats.c */
void sip_stats_init(struct rg_sip *s);
void sip_stats_stop(struct rg_sip *s);
/* Counts an incoming INVITE's outcome: 200, or the status it was refused with. */
void sip_invite_count(struct rg_sip *s, int status);
/* Logs a line about an incoming INVITE (its rule, its refusal), at most a
 * few a second: an INVITE flood is no log flood (a summary of the rest
 * follows). */
void sip_invite_log(struct rg_sip *s, enum rg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* dialin.c */
void sip_dialin(struct rg_sip *s, nua_handle_t *nh, const sip_t *sip);
/* Negotiates the offer (body NULL: a late offer), joins, answers 200. */
void sip_dialin_finish(struct call *c, const char *body, size_t len, const char *ct);
/* Refuses a call that has not been answered (logged by the caller). */
void sip_dialin_refuse(struct call *c, int status);
/* route.c: asks the rule's webhook which room the call joins (a thread
 * per request, at most ROUTE_PENDING_MAX at once); the answer comes back
 * on the control loop and goes on with sip_dialin_finish or refuses. */
void sip_route_ask(struct call *c, const struct rg_config_sip_rule *rule, const char *uri_user,
		   const char *caller, const char *body, size_t len, const char *ct);
void sip_route_shutdown(struct rg_sip *s);
/* auth.c: which trunk an INVITE comes from. 0 with *out (NULL when no
 * trunk has inbound rules: dial-in is open), or the status to refuse with:
 * 401 with the WWW-Authenticate value in challenge, or 403. Logs why. */
int sip_inbound_admit(struct rg_sip *s, const sip_t *sip, const char *call_id, struct trunk **out,
		      char *challenge, size_t cap);

/* dialout.c: a call we place into room_id (a valid room ID): to is the
 * request-URI (a sip: or sips: URI; a number through trunk already made a
 * URI by sip_trunk_number_uri); NULL from, uid, uname take the defaults
 * (docs/sip.md#dial-out). */
struct sip_dial {
	const char *room_id, *to, *from, *uid, *uname;
	struct trunk *trunk;  /* through this trunk, NULL directly */
	bool route;           /* to is a SIP URI that goes to the trunk as outbound proxy */
	bool tls;             /* to asks for TLS */
	int ring_s;
	unsigned max_s;       /* 0: no maximum duration */
	const char *dtmf;     /* digits once answered, NULL none */
	const char *referred_by; /* the ID of the call whose REFER places it, NULL none */
};
/* Binds the call's RTP port and sends the INVITE: 0 with *out (listed in
 * s->calls, state calling), or -RG_E_UNAVAILABLE (stopping, the trunk's
 * max_calls, no RTP port), -RG_E_INVALID_FIELD (user ID or name), another
 * -RG_E_* with msg. */
int sip_dial(struct rg_sip *s, const struct sip_dial *d, struct call **out, char *msg, size_t msglen);
/* A sip: or sips: URI with a host; *tls (may be NULL): whether it asks
 * for TLS (sips:, or ;transport=tls). */
bool sip_uri_ok(struct rg_sip *s, const char *uri, bool *tls);

/* refer.c: a REFER in call c (status 100: ours to answer); tags are
 * nua_i_refer's. */
void sip_refer_on_request(struct call *c, nua_handle_t *nh, const sip_t *sip, tagi_t tags[]);
/* A call placed by a transfer (referred_by set) was answered or ended:
 * the final NOTIFY to its referrer. */
void sip_refer_progress(struct call *n);
/* nua_r_notify on c's handle. */
void sip_refer_on_notify_answer(struct call *c, int status, tagi_t tags[]);
/* nua ended c's session (nua_i_state terminated): true when its handle
 * stays for a REFER's subscription (refer.c destroys it later). */
bool sip_refer_keeps_handle(struct call *c);

/* trunk.c */
int sip_trunks_init(struct rg_sip *s, char *err, size_t errlen);
/* Sends the first REGISTERs (after nua is up). */
void sip_trunks_start(struct rg_sip *s);
/* Un-REGISTERs (Expires 0) the registered ones; s->unreg_pending counts
 * the answers still awaited. */
void sip_trunks_unregister(struct rg_sip *s);
void sip_trunks_free(struct rg_sip *s);
struct trunk *sip_trunk_find(struct rg_sip *s, const char *name);
/* Calls of the trunk not yet ended. */
unsigned sip_trunk_active_calls(const struct trunk *t);
/* nua_r_register / nua_r_unregister on a handle; false when not a trunk's. */
bool sip_trunk_on_register(struct rg_sip *s, nua_handle_t *nh, nua_event_t ev, int status, const char *phrase,
			   const sip_t *sip);
/* The NUTAG_AUTH credentials for a challenge in sip ("Digest:\"realm\":user:pass")
 * into out; false when the trunk has no password or sip no challenge. */
bool sip_trunk_credentials(const struct trunk *t, const sip_t *sip, char *out, size_t cap);
/* Dial-out: the Request-URI for a number ("+4930123", digits, * and #) or
 * a tel: URI, at the trunk's address ("sip:+4930123@host:port[;transport=tcp]");
 * 0 or -EINVAL. */
int sip_trunk_number_uri(const struct trunk *t, const char *to, char *out, size_t cap);
/* Our From through the trunk ("\"display\" <sip:from_user@host>"). */
void sip_trunk_from(const struct trunk *t, char *out, size_t cap);
/* A pre-loaded Route to the trunk's address (for a sip: URI through it). */
void sip_trunk_route(const struct trunk *t, char *out, size_t cap);
/* dialog.c: in an answered call */
void sip_on_reinvite(struct call *c, nua_handle_t *nh, const sip_t *sip);
void sip_on_update(struct call *c, nua_handle_t *nh, const sip_t *sip);
void sip_on_ack(struct call *c, const sip_t *sip);
void sip_on_info(struct call *c, nua_handle_t *nh, const sip_t *sip);
/* A digit from the phone (RFC 4733 or INFO): the PIN, or a sip.dtmf event. */
void sip_call_digit(struct call *c, char digit, const char *method);
/* After the answer: the lobby's prompt, the PIN timer; dial-out: its DTMF. */
void sip_call_answered(struct call *c);
/* Stops the call's own timers (PIN, goodbye, max duration, session expiry). */
void sip_call_timers_stop(struct call *c);
/* expiry.c: after an exchange that refreshed the session (a 2xx to the
 * first INVITE, a re-INVITE or an UPDATE, either way): peer is the peer's
 * message of it (its request when we answered, uas; else its response).
 * sip_expiry_note keeps what the peer said (dial-in notes the INVITE and
 * starts at its answer, which may come later), sip_expiry_start negotiates
 * and arms or disarms the call's expiry; sip_expiry_refreshed does both. */
void sip_expiry_note(struct call *c, const sip_t *peer);
void sip_expiry_start(struct call *c, bool uas);
void sip_expiry_refreshed(struct call *c, const sip_t *peer, bool uas);

#endif
