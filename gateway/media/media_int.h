/* Private to media/: the structures shared by media.c (legs) and vp.c
 * (virtual participants' media). */
#ifndef RG_MEDIA_MEDIA_INT_H
#define RG_MEDIA_MEDIA_INT_H

#include <glib.h>

#include "media/media.h"
#include "media/mixer.h"

struct rg_loop;
struct rg_fd_watch;
struct mixpool;

struct rg_mixer_cfg {
	unsigned max_talkers, jb_min_ms, jb_max_ms;
};

#define STATS_MS 1000
/* Each leg's figures are posted once per STATS_MS, a slice of the legs per
 * tick: one tick for all of them stalled a worker of 2000 legs for tens of
 * milliseconds once a second, long enough to delay the copies relayed
 * behind it. */
#define STATS_SLICES 20

struct worker {
	struct rg_media *m;
	struct rg_loop *loop;
	struct relay *relay;    /* created with the first leg or participant */
	GHashTable *legs;       /* id -> struct wleg * */
	unsigned stats_timer;   /* every STATS_MS / STATS_SLICES */
	unsigned stats_slice;   /* the slice whose legs the next tick posts */
	unsigned next_slice;    /* for the next leg */
	GHashTable *rooms;      /* room id -> struct wroom * (rooms with a mixer) */
	GHashTable *vps;        /* id -> struct wvp * */
	int tick_fd;            /* timerfd, armed while a room has a mixer */
	struct rg_fd_watch *tick_watch;
	uint32_t tick_us[256];  /* the last tick durations */
	unsigned tick_n;
	uint64_t ticks, tick_overruns;
	unsigned opened_since_trim; /* legs set up since the last malloc_trim */
	int64_t last_open_us;
};

struct wleg {
	struct worker *w;
	char id[RG_LEG_ID_LEN + 1];
	char *owner;
	char *stream_id;
	struct rg_leg *leg;
	struct relay_leg *rl;
	unsigned stats_slice;   /* < STATS_SLICES */
};

struct cleg { /* control side */
	char id[RG_LEG_ID_LEN + 1];
	char *owner;
	char *room_id, *user_id;
	char *stream_id;
	enum rg_leg_dir dir;
	unsigned worker;
	struct rg_leg_stats *stats; /* the last the worker posted, or NULL */
};

struct rg_media {
	struct rg_loop *control;
	struct worker *workers;
	unsigned n;
	struct rg_leg_config leg_cfg;
	struct rg_dtls_cert *cert;
	const struct rg_media_events *ev;
	void *ctx;
	GHashTable *legs; /* id -> struct cleg * (control loop) */
	GHashTable *vps;  /* id -> struct cvp * (control loop) */
	bool closing;
	struct rg_mixer_cfg mixcfg;
	struct mixpool *pool;     /* the mixers' helper threads, one slot per
				     worker (mixpool.h), or NULL */
	struct rg_writer *writer; /* every recording's disk writes (record/writer.h) */
	GMutex rec_lock;          /* guards rec_files (workers add, control reads) */
	GHashTable *rec_files;    /* writer file id -> recording id */
	GHashTable *rec_parked;   /* control: recording id -> final description
				     (JSON text) waiting for its files' last
				     writes (recorder_files_left) */
	cJSON *worker_stats; /* per worker: mixer tick figures (control loop) */
};


/* vp.c */
void vp_worker_init(struct worker *w);
void vp_worker_stats(struct worker *w);   /* once a second, from the stats timer */
void vp_worker_teardown(struct worker *w);
void vp_control_init(struct rg_media *m);
void vp_control_free(struct rg_media *m);
void media_ensure_relay(struct worker *w);
/* Ends a virtual participant from its worker (posted to the control loop). */
void media_post_vp_end(struct worker *w, const char *id, const char *why);

#endif
