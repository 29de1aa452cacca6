/* Private to vp/. */
#ifndef RG_VP_VP_INT_H
#define RG_VP_VP_INT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "media/media.h"
#include "vp/vp.h"

#define VP_ID_LEN RG_VP_ID_LEN

struct vroom;
struct rec;

struct vp {
	struct rg_vps *vps;
	enum rg_vp_kind kind;
	char id[VP_ID_LEN + 1];
	char *room_id;
	struct vroom *vr;
	struct rg_user *user;
	char *user_id, *user_name;
	char *stream_id;  /* published: a mix's output, an endpoint's received audio */
	cJSON *desc;      /* what GET shows besides statistics */
	int64_t created_ms;
	struct rec *rec;  /* a recorder's recording */
	bool hidden;      /* not shown to clients (recorders unless recording.visible) */
	bool passive;     /* does not keep its room open (auto_record recorders) */
	void (*ended)(void *ctx, const char *reason); /* rg_vp_ext owners */
	void (*dtmf)(void *ctx, char digit);
	void *ended_ctx;
};

struct rg_vps {
	struct rg_vps_deps d;
	GHashTable *all;   /* id -> struct vp * */
	GHashTable *rooms; /* room id -> struct vroom * */
	GHashTable *recs;  /* recording id -> struct rec * (rec.c) */
	unsigned port_cursor;
	bool closing;
	bool auto_rec;       /* rg_vps_create runs for an auto_record rule */
	bool rec_joining;    /* a recorder joins its room */
	GHashTable *auto_pending; /* room ids created since the last auto_record check */
	unsigned auto_timer;
};

/* rtp.c: parses an RTP endpoint request into params (sockets bound) and
 * the description; 0 or -RG_E_* with msg. */
int vp_rtp_parse(struct rg_vps *v, const char *room_id, const cJSON *body, char **user_id,
		 char **user_name, char **publish, char **play, struct rg_rtp_ep_params *p,
		 cJSON *desc, char *msg, size_t msglen);

/* rtp.c: a port (pair) from media.rtp_ports. */
int vp_rtp_alloc_ports(struct rg_vps *v, bool pair, int *fd, int *fd2, uint16_t *port);

/* rec.c: recordings. */
int vp_rec_create(struct rg_vps *v, struct vp *p, const cJSON *body, char *msg, size_t msglen);
/* The participant goes (why "failed: ..." fails the recording). */
void vp_rec_end(struct rg_vps *v, struct vp *p, const char *why);
void vp_recs_free(struct rg_vps *v);
/* A room was created: auto_record rules are checked (soon, on the loop). */
void vp_rec_room_created(void *arg, struct rg_room *room);
/* Recordings whose final description has not come back yet. */
unsigned vp_recs_pending(struct rg_vps *v);
/* vp.c */
int vp_join(struct rg_vps *v, struct vp *p, char *msg, size_t msglen);

/* 0, or -RG_E_INVALID_FIELD naming the first field of body not in allowed (NULL-ended). */
int vp_only_fields(const cJSON *body, const char *const *allowed, char *msg, size_t msglen);
int vp_fail(char *msg, size_t msglen, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
