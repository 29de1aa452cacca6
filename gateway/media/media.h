/* Media legs and the relay, across threads.
 *
 * The control loop asks for legs (open, candidate, close) by ID; each leg
 * lives on the media worker of its room, where the relay fans a stream's
 * RTP out to every player leg of that stream without locks. Results and
 * events come back to the control loop as calls of rg_media_events, keyed
 * by the owner's ID (a session ID) and the leg ID, so a reply for an owner
 * that has gone meanwhile is simply dropped. Leg statistics are pushed to
 * the control loop once a second and on every state change, so the admin
 * API reads them without waiting on a worker. */
#ifndef RG_MEDIA_MEDIA_H
#define RG_MEDIA_MEDIA_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include <sys/socket.h>

#include "codec/codec.h"
#include "webrtc/dtls.h"
#include "webrtc/leg.h"

struct rg_loop;
struct rg_config;
struct rg_media;

#define RG_LEG_ID_LEN 16

struct rg_media_events {
	/* The answer to rg_media_open: err 0 and sdp, or a negative errno and msg. */
	void (*answer)(void *ctx, const char *owner, const char *leg_id, const char *req, int err,
		       const char *msg, const char *sdp);
	void (*candidate)(void *ctx, const char *owner, const char *leg_id, const char *cand);
	void (*state)(void *ctx, const char *owner, const char *leg_id, const char *stream_id,
		      enum rg_leg_state state, const char *why);
	/* A stream started or stopped talking (level100 0..100). */
	void (*talking)(void *ctx, const char *stream_id, bool talking, unsigned level100);
	/* An RTP endpoint received a DTMF digit (RFC 4733). */
	void (*dtmf)(void *ctx, const char *vp_id, char digit);
	/* A virtual participant's media ended by itself (RTP timeout). */
	void (*vp_end)(void *ctx, const char *vp_id, const char *why);
	/* A recorder stopped: its sidecar description (JSON text). A recording
	 * that fails (disk error, full queue) first ends through vp_end with
	 * why "failed: ...". */
	void (*rec_done)(void *ctx, const char *vp_id, const char *json);
};

/* Control loop. workers: the media worker loops (owned by the caller). */
struct rg_media *rg_media_new(struct rg_loop *control, struct rg_loop **workers, unsigned n_workers,
			      const struct rg_config *cfg, const struct rg_media_events *ev, void *ctx,
			      char *err, size_t errlen);
/* Shutdown, in this order: rg_media_shutdown (drops further events and
 * posts the teardown of every leg to its worker), stop the worker threads
 * (which run the teardown), drain the control loop, rg_media_free. */
void rg_media_shutdown(struct rg_media *m);
void rg_media_free(struct rg_media *m);

/* Opens a leg on the worker: dir RECV publishes stream_id, SEND plays it.
 * leg_id (out, RG_LEG_ID_LEN+1) names it from now on; req is passed back
 * with the answer. */
struct rg_media_open_params {
	unsigned worker;
	const char *owner;     /* session ID */
	const char *room_id, *user_id; /* for the admin API */
	const char *stream_id;
	enum rg_leg_dir dir;
	const char *sdp;
	const char *req;       /* passed back with the answer */
};
void rg_media_open(struct rg_media *m, const struct rg_media_open_params *p, char *leg_id);
void rg_media_candidate(struct rg_media *m, const char *leg_id, const char *cand);
void rg_media_close(struct rg_media *m, const char *leg_id);
/* Whether leg_id exists and belongs to owner. */
bool rg_media_owns(struct rg_media *m, const char *owner, const char *leg_id);
/* Latest statistics of the legs of a stream (publisher and players) or of
 * an owner; caller owns the array. */
cJSON *rg_media_stream_legs_json(struct rg_media *m, const char *stream_id);
cJSON *rg_media_user_legs_json(struct rg_media *m, const char *room_id, const char *user_id);

/* ---- virtual participants' media (RTP endpoints, mixes) ----
 * Each lives on its room's worker, with the room's mixer; ids are the
 * control side's (unique). Statistics are pushed once a second. */

/* A plain RTP endpoint (see media/endpoint.h for the media path). */
struct rg_rtp_ep_params {
	int fd, fd_rtcp;                /* bound sockets, taken; fd_rtcp -1 with rtcp-mux */
	bool recv, send;
	struct sockaddr_storage remote; /* ss_family 0: learned from the first RTP packet */
	struct rg_codec_params codec;
	uint8_t pt;
	unsigned ptime_ms;
	uint8_t level_id;               /* audio-level extension ID in what it receives, 0 none */
	const char *publish_stream;     /* recv */
	const char *play;               /* send: a stream ID, or NULL for the mix minus itself */
	unsigned max_talkers;
	unsigned timeout_ms;            /* recv: no RTP for this long ends it; 0 never */
	bool srtp;
	struct rg_srtp_keys keys;       /* srtp */
	uint8_t te_pt;                  /* RFC 4733 telephone-event payload type, 0 none */
	unsigned te_rate;               /* its clock rate */
};

/* A tone played to an RTP endpoint instead of its play source (prompts):
 * f1 (+ f2 when not 0) Hz for on_ms, then silence for off_ms, count times
 * (0: until replaced); then the play source again. */
struct rg_tone {
	unsigned f1, f2, on_ms, off_ms, count;
};
void rg_media_rtp_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const struct rg_rtp_ep_params *p);
/* Changes an endpoint in place: remote address (a new one is latched
 * again), recv (publishes what arrives; a stopped endpoint has no media
 * timeout), send, codec, payload types. Sockets, publish_stream and play
 * of p are ignored. */
void rg_media_rtp_update(struct rg_media *m, const char *id, const struct rg_rtp_ep_params *p);
/* Plays a tone to an endpoint instead of its play source; NULL stops it. */
void rg_media_rtp_tone(struct rg_media *m, const char *id, const struct rg_tone *t);
/* Sends DTMF digits (0-9 * # A-D) as RFC 4733 events, one after the other. */
void rg_media_rtp_dtmf(struct rg_media *m, const char *id, const char *digits);
/* A server-side mix published as stream_id: all of the room's streams, or
 * the listed ones. */
void rg_media_mix_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const char *stream_id, bool all, const char *const *streams, size_t n,
		       unsigned max_talkers);
void rg_media_vp_close(struct rg_media *m, const char *id);
/* A recorder (see media/recorder.h): files under dir, created. */
struct rg_media_rec_params {
	const char *dir;
	bool mixed, wav;
	int64_t start_ms;
	unsigned max_talkers;
	const char *const *streams; /* NULL: every stream of the room */
	size_t n_streams;
};
void rg_media_rec_open(struct rg_media *m, unsigned worker, const char *room_id, const char *id,
		       const struct rg_media_rec_params *p);
/* Stops a recorder (like rg_media_vp_close); error: the failure written to
 * its sidecar, or NULL. Its description comes back through rec_done. */
void rg_media_rec_stop(struct rg_media *m, const char *id, const char *error);
/* The room's streams that "all" mixes and recorders hear (add or remove one). */
void rg_media_room_stream(struct rg_media *m, unsigned worker, const char *room_id,
			  const char *stream_id, const char *user_id, bool add);
/* Latest statistics of a virtual participant (caller owns), or NULL. */
cJSON *rg_media_vp_json(struct rg_media *m, const char *id);
/* Mixer tick durations of every worker (p50/p99 in µs over the last 5 s)
 * and totals, for /metrics and the benchmarks. */
cJSON *rg_media_mixer_stats(struct rg_media *m);

#endif
