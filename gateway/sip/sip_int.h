/* Private to sip/. The nua callback (ua.c) dispatches to the call code
 * (call.c: calls, media, dial-out, the admin API; dialin.c: incoming
 * INVITEs). Control loop only. */
#ifndef RG_SIP_SIP_INT_H
#define RG_SIP_SIP_INT_H

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

#include "core/config.h"
#include "sip/rules.h"
#include "sip/sdp_av.h"
#include "sip/sip.h"
#include "vp/vp.h"

#define CALL_ID_LEN 16
#define CALL_LINGER_MS 60000 /* an ended call stays listed this long */

enum call_state { CS_CALLING = 0, CS_RINGING, CS_EARLY, CS_ANSWERED, CS_ENDED };

struct call {
	struct rg_sip *sip;
	struct call *next;
	char id[CALL_ID_LEN + 1];
	bool outbound;
	enum call_state state;
	char *room_id, *user_id, *user_name, *from, *to;
	char stream_id[CALL_ID_LEN + 8];
	nua_handle_t *nh;          /* ours until nua reports the dialog terminated */
	char vp_id[RG_VP_ID_LEN + 1]; /* "" when not (or no longer) in the room */
	int fd, fd_rtcp;           /* bound RTP sockets until the participant takes them */
	uint16_t port;
	bool srtp;
	uint8_t key[RG_SDP_AV_KEY_LEN]; /* our SDES key */
	uint64_t sess_id;
	struct rg_sdp_av_codec codec;  /* negotiated (pt 0 with codec.clock_rate 0: none yet) */
	struct rg_sdp_av_te te;
	char remote[80];
	int status;                /* last SIP status of the INVITE */
	char *reason;              /* why it ended */
	int64_t created_ms, answered_ms, ended_ms;
	unsigned ring_timer, linger_timer;
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
};

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
	struct call *calls;
};

/* ua.c */
int sip_ua_start(struct rg_sip *s, const char *url, char *err, size_t errlen);
void sip_ua_stop(struct rg_sip *s);

/* call.c */
struct call *sip_call_new(struct rg_sip *s, bool outbound);
/* Unlinks and frees (destroying its nua handle, if any). */
void sip_call_free(struct call *c);
void sip_call_set_state(struct call *c, enum call_state st);
/* Ends it (leaves the room, closes sockets, emits), once; status 0: none. */
void sip_call_end(struct call *c, const char *reason, int status);
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
/* dialin.c */
void sip_dialin(struct rg_sip *s, nua_handle_t *nh, const sip_t *sip);
/* dialog.c: in an answered call */
void sip_on_reinvite(struct call *c, nua_handle_t *nh, const sip_t *sip);
void sip_on_update(struct call *c, nua_handle_t *nh, const sip_t *sip);
void sip_on_ack(struct call *c, const sip_t *sip);
void sip_on_info(struct call *c, nua_handle_t *nh, const sip_t *sip);
/* A digit from the phone (RFC 4733 or INFO): the PIN, or a sip.dtmf event. */
void sip_call_digit(struct call *c, char digit, const char *method);
/* After the answer: the lobby's prompt, the PIN timer; dial-out: its DTMF. */
void sip_call_answered(struct call *c);
/* Stops the call's own timers (PIN, goodbye, max duration). */
void sip_call_timers_stop(struct call *c);

#endif
