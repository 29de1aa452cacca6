/* Virtual participants (control loop): server-side mixes and plain RTP
 * endpoints that the server puts into rooms as users. Each joins its room
 * (creating it, as a first login does), publishes its stream, and has its
 * media on the room's worker (media/). Later kinds (SIP calls, recorders)
 * follow the same pattern.
 *
 * The admin API calls the functions below with parsed JSON bodies; they
 * return 0 and a JSON description, or a negative RG_E_* with a message
 * naming the field. Talking events from the media plane are dispatched
 * here to the room (clients) and the server events. */
#ifndef RG_VP_VP_H
#define RG_VP_VP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_config;
struct rg_registry;
struct rg_media;
struct rg_events;
struct rg_vps;
struct rg_rtp_ep_params;
struct rg_tone;

struct rg_vps_deps {
	struct rg_loop *control;
	const struct rg_config *cfg;
	struct rg_registry *reg;
	struct rg_media *media;
	struct rg_events *events; /* may be NULL */
};

struct rg_vps *rg_vps_new(const struct rg_vps_deps *d);
/* Removes every virtual participant (leaving their rooms): running
 * recordings stop, and their recording.finished comes once the workers
 * have closed their files (rg_vps_recs_pending counts those still out).
 * No participant is added afterwards. */
void rg_vps_close(struct rg_vps *v);
unsigned rg_vps_recs_pending(struct rg_vps *v);
/* rg_vps_close, then frees. */
void rg_vps_free(struct rg_vps *v);

enum rg_vp_kind { RG_VP_MIX = 0, RG_VP_RTP, RG_VP_REC, RG_VP_SIP };

/* POST: body is the request object; *out the created resource. */
int rg_vps_create(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const cJSON *body,
		  cJSON **out, char *msg, size_t msglen);
/* GET list (array) of a room; NULL when the room does not exist. */
cJSON *rg_vps_list(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id);
/* GET one, with statistics; NULL when not found. */
cJSON *rg_vps_get(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const char *id);
/* DELETE: 0 or -RG_E_NOT_FOUND. */
int rg_vps_delete(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const char *id,
		  const char *reason);
unsigned rg_vps_count(const struct rg_vps *v, enum rg_vp_kind kind);

/* Recordings (RG_VP_REC) outlive their participant: they are listed with
 * their state ("recording", "stopping", "stopped", "failed") and files
 * after they stop. rg_vps_create/rg_vps_delete start and stop them; these
 * list and describe them. */
cJSON *rg_vps_rec_list(struct rg_vps *v, const char *room_id);
cJSON *rg_vps_rec_get(struct rg_vps *v, const char *room_id, const char *id);

/* Participants whose signalling another module drives (RG_VP_SIP: a SIP
 * call, sip/). The owner negotiates the media (binding the RTP port with
 * rg_vps_rtp_bind first, to put it in its SDP), then joins: the
 * participant becomes a virtual user of room_id (created if needed) that
 * publishes stream_id and has an RTP endpoint with ep on the room's worker.
 * ended(ctx, reason) is called (control loop) when the participant goes by
 * itself: room closed, user kicked, RTP timeout ("rtp_timeout"), stream
 * removed, shutdown; the owner must not call rg_vps_ext_leave after that.
 * No server events are emitted for these kinds: the owner emits its own. */
struct rg_vp_ext {
	enum rg_vp_kind kind;
	const char *room_id, *user_id, *user_name, *stream_id;
	struct rg_rtp_ep_params *ep; /* its sockets are taken, also on failure */
	void (*ended)(void *ctx, const char *reason);
	void *ctx;
	/* A DTMF digit received (RFC 4733) by its endpoint; may be NULL. */
	void (*dtmf)(void *ctx, char digit);
	/* Not in the room yet: no user, nothing published, the endpoint hears
	 * silence (or its tone) on a worker of its own choosing, until it
	 * leaves. For callers that must pass a check (PIN) first; the owner
	 * then leaves and joins for real. room_id, user and stream are unused. */
	bool lobby;
};
/* 0 and id (RG_VP_ID_LEN + 1 bytes), or -RG_E_* with msg. */
#define RG_VP_ID_LEN 16
int rg_vps_ext_join(struct rg_vps *v, const struct rg_vp_ext *x, char *id, char *msg, size_t msglen);
/* Removes it (leaving the room); ended is not called. */
void rg_vps_ext_leave(struct rg_vps *v, const char *id, const char *reason);
/* Statistics of its RTP endpoint (caller owns), or NULL. */
cJSON *rg_vps_ext_stats(struct rg_vps *v, const char *id);
/* Its endpoint: see rg_media_rtp_update, rg_media_rtp_tone, rg_media_rtp_dtmf. */
void rg_vps_ext_update(struct rg_vps *v, const char *id, const struct rg_rtp_ep_params *ep);
void rg_vps_ext_tone(struct rg_vps *v, const char *id, const struct rg_tone *t);
void rg_vps_ext_dtmf(struct rg_vps *v, const char *id, const char *digits);
/* Binds an RTP port from media.rtp_ports on media.address: an even port
 * and the next (fd_rtcp) when pair, else one port (fd_rtcp -1). 0, or
 * -EADDRNOTAVAIL (no media.address), -EADDRINUSE (no free port). */
int rg_vps_rtp_bind(struct rg_vps *v, bool pair, int *fd, int *fd_rtcp, uint16_t *port);

/* From the media plane (rg_media_events). */
void rg_vps_on_talking(struct rg_vps *v, const char *stream_id, int talking, unsigned level);
void rg_vps_on_media_end(struct rg_vps *v, const char *id, const char *why);
void rg_vps_on_dtmf(struct rg_vps *v, const char *id, char digit);
void rg_vps_on_rec_done(struct rg_vps *v, const char *id, const char *json);

#endif
