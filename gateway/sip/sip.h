/* SIP gateway (control loop): phones and PBXs as participants of rooms.
 *
 * sofia-sip's nua runs on the control loop (its su_root is a GSource of
 * the control loop's GLib context, attached in ua.c: the only file that
 * sees GLib or su_glib). Offer/answer is our own (sdp_av.c; sofia's soa is
 * off). Each answered call is a virtual participant (vp/, RG_VP_SIP): a
 * user of its room that publishes the phone's audio and hears the room's
 * mix minus itself through an RTP endpoint on the room's worker.
 *
 * Dial-in: an INVITE is attributed to a trunk (sip.trunks) by its source
 * address or digest credentials when some trunk has inbound rules (auth.c),
 * then its request-URI user is matched against the rules of sip.dial_in
 * (first match wins) to pick the room; no rule answers 404. Trunks that
 * register do so from start to shutdown (trunk.c).
 * Dial-out: the admin API (rg_sip_call_create). Every state change is a
 * server event "sip.call". docs/sip.md describes the behaviour.
 *
 * All functions: control loop only. Errors: 0 or a negative RG_E_* with a
 * message naming the field, as the admin API expects. */
#ifndef RG_SIP_SIP_H
#define RG_SIP_SIP_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct rg_loop;
struct rg_config;
struct rg_vps;
struct rg_events;
struct rg_sip;

struct rg_sip_deps {
	struct rg_loop *control;
	const struct rg_config *cfg;
	struct rg_vps *vps;
	struct rg_events *events; /* may be NULL */
};

/* Listens on sip.listen (UDP and TCP). NULL with a message on failure.
 * Only called when sip.listen is set. */
struct rg_sip *rg_sip_new(const struct rg_sip_deps *d, char *err, size_t errlen);
/* Hangs up every call (BYE, or CANCEL before an answer), lets nua finish
 * for at most 2 s (running the control loop), frees. Before rg_vps_free. */
void rg_sip_free(struct rg_sip *s);

/* POST /v1/rooms/{room}/sip-calls: dials out; *out the call. */
int rg_sip_call_create(struct rg_sip *s, const char *room_id, const cJSON *body, cJSON **out,
		       char *msg, size_t msglen);
/* GET: the room's calls (ended ones stay listed for 60 s, at most the last
 * 256 ended and 16 refused ones of the gateway), one call. */
cJSON *rg_sip_call_list(struct rg_sip *s, const char *room_id);
cJSON *rg_sip_call_get(struct rg_sip *s, const char *room_id, const char *id);
/* POST .../{id}/dtmf {"digits"}: RFC 4733 when telephone-event was
 * negotiated, else one SIP INFO (application/dtmf-relay) per digit. */
int rg_sip_call_dtmf(struct rg_sip *s, const char *room_id, const char *id, const cJSON *body, char *msg,
		     size_t msglen);
/* DELETE: hangs up (BYE, or CANCEL); 0, or -RG_E_NOT_FOUND. */
int rg_sip_call_hangup(struct rg_sip *s, const char *room_id, const char *id, const char *reason);
/* Prometheus text for /metrics (malloc'd, the caller frees), or NULL. */
char *rg_sip_metrics(const struct rg_sip *s);

/* GET /v1/sip/trunks: every trunk's settings (never a password) and
 * active calls; GET /v1/sip/registrations: the registration of each trunk
 * that registers. */
cJSON *rg_sip_trunks_json(struct rg_sip *s);
cJSON *rg_sip_registrations_json(struct rg_sip *s);

#endif
