/* Virtual participants: lifecycle, rooms, mixes, talking dispatch. See
 * vp.h. Control loop only.
 *
 * Each room with virtual participants has a struct vroom that mirrors the
 * room's streams to the worker's mixer (the "all" set): every participant
 * of the room hears stream adds/removes as a room member, and the vroom
 * keeps the set idempotent. Streams published by mixes are never inputs
 * of other mixes (that would count voices twice). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/errors.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "room/room.h"
#include "vp/vp_int.h"

struct vroom {
	char *id;
	unsigned worker;
	unsigned n;          /* participants */
	GHashTable *streams; /* stream ids sent to the worker's mixer */
};

static const char *kind_name(enum rg_vp_kind k)
{
	return k == RG_VP_MIX ? "mix" : k == RG_VP_RTP ? "rtp_endpoint" : k == RG_VP_SIP ? "sip_call" : "recording";
}

int vp_fail(char *msg, size_t msglen, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return err;
}

int vp_only_fields(const cJSON *body, const char *const *allowed, char *msg, size_t msglen)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, body)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || !strcmp(*a, it->string);
		if (!ok)
			return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"%.64s\": unknown field", it->string);
	}
	return 0;
}

static void emit(struct rg_vps *v, const char *type, struct vp *p, const char *reason)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", p->room_id);
	cJSON_AddStringToObject(d, "id", p->id);
	cJSON_AddStringToObject(d, "user_id", p->user_id);
	if (p->stream_id)
		cJSON_AddStringToObject(d, "stream_id", p->stream_id);
	if (reason)
		cJSON_AddStringToObject(d, "reason", reason);
	rg_events_emit(v->d.events, type, d);
}

/* ---- rooms ---- */

static bool is_mix_output(struct rg_vps *v, const char *stream_id)
{
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->all);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct vp *p = val;
		if (p->kind == RG_VP_MIX && p->stream_id && !strcmp(p->stream_id, stream_id))
			return true;
	}
	return false;
}

static void vroom_stream(struct rg_vps *v, struct vroom *vr, const char *stream_id,
			 const char *user_id, bool add)
{
	if (add == g_hash_table_contains(vr->streams, stream_id))
		return;
	if (add && is_mix_output(v, stream_id))
		return;
	if (add)
		g_hash_table_add(vr->streams, g_strdup(stream_id));
	else
		g_hash_table_remove(vr->streams, stream_id);
	rg_media_room_stream(v->d.media, vr->worker, vr->id, stream_id, user_id, add);
}

static struct vroom *vroom_get(struct rg_vps *v, struct rg_room *room)
{
	struct vroom *vr = g_hash_table_lookup(v->rooms, rg_room_id(room));
	if (vr)
		return vr;
	vr = g_new0(struct vroom, 1);
	vr->id = g_strdup(rg_room_id(room));
	vr->worker = rg_room_worker(room);
	vr->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_insert(v->rooms, vr->id, vr);
	return vr;
}

/* After the participant's media is open on the worker (the worker creates
 * the room's mixer then): the room's current streams. */
static void vroom_sync(struct rg_vps *v, struct vroom *vr, struct rg_room *room)
{
	struct rg_stream_info st[512];
	size_t n = rg_room_streams(room, st, G_N_ELEMENTS(st));
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(st); i++)
		vroom_stream(v, vr, st[i].stream_id, st[i].user_id, true);
}

static void vroom_unref(struct rg_vps *v, struct vroom *vr)
{
	if (--vr->n)
		return;
	g_hash_table_remove(v->rooms, vr->id);
	g_hash_table_destroy(vr->streams);
	g_free(vr->id);
	g_free(vr);
}

/* ---- member callbacks ---- */

static void vp_destroy(struct vp *p, bool leave, const char *event, const char *reason);

static void on_streams(void *member, struct rg_room *room, bool add,
		       const struct rg_stream_info *st, size_t n, int reason)
{
	struct vp *p = member;
	(void)room;
	(void)reason;
	for (size_t i = 0; i < n; i++)
		vroom_stream(p->vps, p->vr, st[i].stream_id, st[i].user_id, add);
}

static void on_kickout(void *member, struct rg_room *room, enum rg_kick_cause cause,
		       const char *reason)
{
	struct vp *p = member;
	(void)room;
	p->user = NULL; /* the room removes it */
	vp_destroy(p, false, NULL,
		   cause == RG_KICK_ROOM_CLOSED ? "room_closed" : *reason ? reason : "kicked");
}

/* The admin API removed the participant's stream: the participant goes
 * (its media has nothing left to publish under that ID). */
static void on_stream_removed(void *member, struct rg_room *room, const char *stream_id,
			      const char *reason)
{
	struct vp *p = member;
	(void)room;
	(void)stream_id;
	(void)reason;
	g_free(p->stream_id); /* already deleted in the room */
	p->stream_id = NULL;
	vp_destroy(p, true, NULL, "stream_removed");
}

static const struct rg_member_ops vp_ops = {
	.streams = on_streams,
	.stream_removed = on_stream_removed,
	.kickout = on_kickout,
};

/* ---- life ---- */

static void vp_free(struct vp *p)
{
	cJSON_Delete(p->desc);
	g_free(p->room_id);
	g_free(p->user_id);
	g_free(p->user_name);
	g_free(p->stream_id);
	g_free(p);
}

static void vp_destroy(struct vp *p, bool leave, const char *event, const char *reason)
{
	struct rg_vps *v = p->vps;
	if (p->rec)
		vp_rec_end(v, p, reason); /* stops the recorder, emits recording.* */
	else
		rg_media_vp_close(v->d.media, p->id);
	if (p->stream_id && p->vr)
		vroom_stream(v, p->vr, p->stream_id, p->user_id, false);
	if (leave && p->user)
		rg_user_leave(p->user, RG_STREAM_STOPPED);
	p->user = NULL;
	if (!event)
		event = p->kind == RG_VP_MIX ? "mix.stopped" : "rtp_endpoint.removed";
	RG_INFO(MEDIA, "%s %s in room %s removed: %s", kind_name(p->kind), p->id, p->room_id, reason);
	if (p->kind == RG_VP_MIX || p->kind == RG_VP_RTP)
		emit(v, event, p, reason);
	if (p->ended) /* its owner hears why (not when the owner itself removes it) */
		p->ended(p->ended_ctx, reason);
	if (p->vr)
		vroom_unref(v, p->vr);
	g_hash_table_remove(v->all, p->id);
	vp_free(p);
}

struct rg_vps *rg_vps_new(const struct rg_vps_deps *d)
{
	struct rg_vps *v = g_new0(struct rg_vps, 1);
	v->d = *d;
	v->all = g_hash_table_new(g_str_hash, g_str_equal);
	v->rooms = g_hash_table_new(g_str_hash, g_str_equal);
	v->recs = g_hash_table_new(g_str_hash, g_str_equal);
	v->auto_pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (d->cfg->n_auto_record)
		rg_registry_set_room_created(d->reg, vp_rec_room_created, v);
	return v;
}

void rg_vps_close(struct rg_vps *v)
{
	if (!v || v->closing)
		return;
	v->closing = true;
	if (v->d.cfg->n_auto_record)
		rg_registry_set_room_created(v->d.reg, NULL, NULL);
	if (v->auto_timer)
		rg_timer_cancel(v->auto_timer);
	v->auto_timer = 0;
	GList *all = g_hash_table_get_values(v->all);
	for (GList *l = all; l; l = l->next)
		vp_destroy(l->data, true, NULL, "shutdown");
	g_list_free(all);
}

unsigned rg_vps_recs_pending(struct rg_vps *v)
{
	return v ? vp_recs_pending(v) : 0;
}

void rg_vps_free(struct rg_vps *v)
{
	if (!v)
		return;
	rg_vps_close(v);
	g_hash_table_destroy(v->auto_pending);
	g_hash_table_destroy(v->all);
	g_hash_table_destroy(v->rooms);
	vp_recs_free(v);
	g_free(v);
}

/* ---- mixes ---- */

static int mix_parse(struct rg_vps *v, struct rg_room *room, const cJSON *body, char **out_stream,
		     bool *all, GPtrArray *inputs, unsigned *max_talkers, char *msg, size_t msglen)
{
	static const char *const allowed[] = { "output_stream_id", "inputs", "max_talkers",
					       "user_id", "user_name", NULL };
	const cJSON *it;
	int ue = vp_only_fields(body, allowed, msg, msglen);
	if (ue)
		return ue;
	const cJSON *os = cJSON_GetObjectItemCaseSensitive(body, "output_stream_id");
	if (!cJSON_IsString(os))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"output_stream_id\": a string is required");
	int e = rg_validate_stream_id(os->valuestring);
	if (e)
		return vp_fail(msg, msglen, e, "field \"output_stream_id\": %s", rg_error_info(e)->message);
	if (rg_registry_find_stream(v->d.reg, os->valuestring))
		return vp_fail(msg, msglen, -RG_E_STREAM_EXISTS, "field \"output_stream_id\": stream %s exists already", os->valuestring);
	*out_stream = os->valuestring;
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "inputs");
	*all = !in || (cJSON_IsString(in) && !strcmp(in->valuestring, "all"));
	if (!*all) {
		if (!cJSON_IsArray(in) || cJSON_GetArraySize(in) == 0 || cJSON_GetArraySize(in) > 64)
			return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"inputs\": \"all\" or an array of 1 to 64 stream IDs");
		cJSON_ArrayForEach(it, in)
		{
			if (!cJSON_IsString(it))
				return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"inputs\": stream IDs are strings");
			struct rg_stream *s = rg_registry_find_stream(v->d.reg, it->valuestring);
			if (!s || rg_stream_room(s) != room)
				return vp_fail(msg, msglen, -RG_E_STREAM_NOT_FOUND, "field \"inputs\": no stream %.256s in this room", it->valuestring);
			g_ptr_array_add(inputs, it->valuestring);
		}
	}
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(body, "max_talkers");
	*max_talkers = v->d.cfg->mix_max_talkers;
	if (mt) {
		if (!cJSON_IsNumber(mt) || mt->valuedouble < 1 || mt->valuedouble > 1024 ||
		    mt->valuedouble != (double)mt->valueint)
			return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"max_talkers\": an integer from 1 to 1024");
		*max_talkers = (unsigned)mt->valueint;
	}
	return 0;
}

static int user_fields(const cJSON *body, const char *def_id, const char *def_name, char **uid,
		       char **uname, bool required, char *msg, size_t msglen)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "user_id");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "user_name");
	if ((u && !cJSON_IsString(u)) || (!u && required))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"user_id\": a string is required");
	if (n && !cJSON_IsString(n))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"user_name\": must be a string");
	const char *id = u ? u->valuestring : def_id, *name = n ? n->valuestring : def_name;
	int e = rg_validate_user_id(id);
	if (e)
		return vp_fail(msg, msglen, e, "field \"user_id\": %s", rg_error_info(e)->message);
	e = rg_validate_user_name(name);
	if (e)
		return vp_fail(msg, msglen, e, "field \"user_name\": %s", rg_error_info(e)->message);
	*uid = g_strdup(id);
	*uname = g_strdup(name);
	return 0;
}

/* Joins the room (creating it) as a virtual user and publishes. */
int vp_join(struct rg_vps *v, struct vp *p, char *msg, size_t msglen)
{
	struct rg_room *room = rg_registry_find(v->d.reg, p->room_id);
	if (room && rg_room_find_user(room, p->user_id))
		return vp_fail(msg, msglen, -RG_E_CONFLICT, "field \"user_id\": user %s is in the room already", p->user_id);
	struct rg_join_params jp = { p->room_id, p->user_id, p->user_name, RG_USER_VIRTUAL, false,
				     &vp_ops, p, p->hidden, p->passive };
	int e = rg_room_join(v->d.reg, &jp, &p->user);
	if (e)
		return vp_fail(msg, msglen, e, "%s", rg_error_info(e)->message);
	if (p->stream_id) {
		e = rg_stream_publish(p->user, p->stream_id, "", NULL);
		if (e) {
			rg_user_leave(p->user, RG_STREAM_STOPPED);
			p->user = NULL;
			return vp_fail(msg, msglen, e, "stream %s: %s", p->stream_id, rg_error_info(e)->message);
		}
	}
	p->vr = vroom_get(v, rg_user_room(p->user));
	p->vr->n++;
	return 0;
}

static cJSON *str_array(GPtrArray *a)
{
	cJSON *j = cJSON_CreateArray();
	for (unsigned i = 0; i < a->len; i++)
		cJSON_AddItemToArray(j, cJSON_CreateString(a->pdata[i]));
	return j;
}

static int mix_create(struct rg_vps *v, struct vp *p, const cJSON *body, char *msg, size_t msglen)
{
	struct rg_room *room = rg_registry_find(v->d.reg, p->room_id);
	GPtrArray *inputs = g_ptr_array_new();
	char *out_stream = NULL;
	bool all = true;
	unsigned k = 0;
	int e = mix_parse(v, room, body, &out_stream, &all, inputs, &k, msg, msglen);
	char def_user[VP_ID_LEN + 8];
	snprintf(def_user, sizeof def_user, "mix_%s", p->id);
	if (!e)
		e = user_fields(body, def_user, "Mix", &p->user_id, &p->user_name, false, msg, msglen);
	if (!e) {
		p->stream_id = g_strdup(out_stream);
		e = vp_join(v, p, msg, msglen);
	}
	if (e) {
		g_ptr_array_free(inputs, TRUE);
		return e;
	}
	cJSON_AddStringToObject(p->desc, "output_stream_id", p->stream_id);
	if (all)
		cJSON_AddStringToObject(p->desc, "inputs", "all");
	else
		cJSON_AddItemToObject(p->desc, "inputs", str_array(inputs));
	cJSON_AddNumberToObject(p->desc, "max_talkers", k);
	rg_media_mix_open(v->d.media, p->vr->worker, p->room_id, p->id, p->stream_id, all,
			  (const char *const *)inputs->pdata, inputs->len, k);
	g_ptr_array_free(inputs, TRUE);
	return 0;
}

static int rtp_create(struct rg_vps *v, struct vp *p, const cJSON *body, char *msg, size_t msglen)
{
	struct rg_rtp_ep_params ep;
	char *publish = NULL, *play = NULL;
	int e = vp_rtp_parse(v, p->room_id, body, &p->user_id, &p->user_name, &publish, &play, &ep,
			     p->desc, msg, msglen);
	if (e)
		return e;
	p->stream_id = publish;
	e = vp_join(v, p, msg, msglen);
	if (e) {
		close(ep.fd);
		if (ep.fd_rtcp >= 0)
			close(ep.fd_rtcp);
		g_free(play);
		return e;
	}
	ep.publish_stream = publish;
	ep.play = play;
	rg_media_rtp_open(v->d.media, p->vr->worker, p->room_id, p->id, &ep);
	g_free(play);
	return 0;
}

int rg_vps_create(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const cJSON *body,
		  cJSON **out, char *msg, size_t msglen)
{
	RG_ASSERT_LOOP(v->d.control);
	int e = rg_validate_room_id(room_id);
	if (e)
		return vp_fail(msg, msglen, e, "%s", rg_error_info(e)->message);
	struct vp *p = g_new0(struct vp, 1);
	p->vps = v;
	p->kind = kind;
	rg_random_id(p->id, VP_ID_LEN / 2);
	p->room_id = g_strdup(room_id);
	p->desc = cJSON_CreateObject();
	p->created_ms = g_get_real_time() / 1000;
	/* listed first: the others hear of a mix's output stream while it
	 * joins, and must know it is one */
	g_hash_table_insert(v->all, p->id, p);
	e = kind == RG_VP_MIX ? mix_create(v, p, body, msg, msglen)
	    : kind == RG_VP_RTP ? rtp_create(v, p, body, msg, msglen)
	    : vp_rec_create(v, p, body, msg, msglen);
	if (e) {
		g_hash_table_remove(v->all, p->id);
		vp_free(p);
		return e;
	}
	/* the worker has the room's mixer now (open was posted first) */
	vroom_sync(v, p->vr, rg_user_room(p->user));
	if (p->stream_id && kind == RG_VP_RTP)
		vroom_stream(v, p->vr, p->stream_id, p->user_id, true);
	RG_INFO(MEDIA, "%s %s added to room %s (user %s)", kind_name(kind), p->id, room_id, p->user_id);
	if (kind != RG_VP_REC)
		emit(v, kind == RG_VP_MIX ? "mix.started" : "rtp_endpoint.added", p, NULL);
	*out = kind == RG_VP_REC ? rg_vps_rec_get(v, room_id, p->id) : rg_vps_get(v, kind, room_id, p->id);
	return 0;
}

static cJSON *vp_json(struct rg_vps *v, const struct vp *p, bool stats)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", p->id);
	cJSON_AddStringToObject(j, "room_id", p->room_id);
	cJSON_AddStringToObject(j, "user_id", p->user_id);
	cJSON_AddStringToObject(j, "user_name", p->user_name);
	const cJSON *it;
	cJSON_ArrayForEach(it, p->desc)
		cJSON_AddItemToObject(j, it->string, cJSON_Duplicate(it, true));
	cJSON_AddNumberToObject(j, "created_ms", (double)p->created_ms);
	if (stats) {
		cJSON *s = rg_media_vp_json(v->d.media, p->id);
		cJSON_AddItemToObject(j, "stats", s ? s : cJSON_CreateObject());
	}
	return j;
}

static struct vp *find(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const char *id)
{
	struct vp *p = g_hash_table_lookup(v->all, id);
	return p && p->kind == kind && !strcmp(p->room_id, room_id) ? p : NULL;
}

cJSON *rg_vps_list(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id)
{
	if (!rg_registry_find(v->d.reg, room_id))
		return NULL;
	cJSON *a = cJSON_CreateArray();
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->all);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct vp *p = val;
		if (p->kind == kind && !strcmp(p->room_id, room_id))
			cJSON_AddItemToArray(a, vp_json(v, p, false));
	}
	return a;
}

cJSON *rg_vps_get(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const char *id)
{
	struct vp *p = find(v, kind, room_id, id);
	return p ? vp_json(v, p, true) : NULL;
}

int rg_vps_delete(struct rg_vps *v, enum rg_vp_kind kind, const char *room_id, const char *id,
		  const char *reason)
{
	struct vp *p = find(v, kind, room_id, id);
	if (!p)
		return -RG_E_NOT_FOUND;
	vp_destroy(p, true, NULL, reason && *reason ? reason : "deleted");
	return 0;
}

unsigned rg_vps_count(const struct rg_vps *v, enum rg_vp_kind kind)
{
	unsigned n = 0;
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->all);
	while (g_hash_table_iter_next(&it, &k, &val))
		n += ((struct vp *)val)->kind == kind;
	return n;
}

void rg_vps_on_talking(struct rg_vps *v, const char *stream_id, int talking, unsigned level)
{
	struct rg_stream *s = rg_registry_find_stream(v->d.reg, stream_id);
	if (!s)
		return;
	rg_stream_talking(s, talking, level);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", rg_room_id(rg_stream_room(s)));
	cJSON_AddStringToObject(d, "stream_id", stream_id);
	cJSON_AddStringToObject(d, "user_id", rg_user_id(rg_stream_user(s)));
	cJSON_AddNumberToObject(d, "level", level);
	rg_events_emit(v->d.events, talking ? "talking.started" : "talking.stopped", d);
}

void rg_vps_on_dtmf(struct rg_vps *v, const char *id, char digit)
{
	struct vp *p = g_hash_table_lookup(v->all, id);
	if (p && p->dtmf && !v->closing)
		p->dtmf(p->ended_ctx, digit);
}

void rg_vps_on_media_end(struct rg_vps *v, const char *id, const char *why)
{
	struct vp *p = g_hash_table_lookup(v->all, id);
	if (p && !v->closing)
		vp_destroy(p, true, NULL, why);
}

/* ---- participants driven by another module (SIP calls) ---- */

int rg_vps_rtp_bind(struct rg_vps *v, bool pair, int *fd, int *fd_rtcp, uint16_t *port)
{
	RG_ASSERT_LOOP(v->d.control);
	return vp_rtp_alloc_ports(v, pair, fd, fd_rtcp, port);
}

/* A participant in no room: its endpoint runs in a worker room of its own
 * ("lobby <id>", a name no room ID can take). */
static int ext_lobby(struct rg_vps *v, const struct rg_vp_ext *x, char *id)
{
	struct vp *p = g_new0(struct vp, 1);
	p->vps = v;
	p->kind = x->kind;
	rg_random_id(p->id, VP_ID_LEN / 2);
	p->room_id = g_strdup_printf("lobby %s", p->id);
	p->desc = cJSON_CreateObject();
	p->created_ms = g_get_real_time() / 1000;
	p->ended = x->ended;
	p->dtmf = x->dtmf;
	p->ended_ctx = x->ctx;
	g_hash_table_insert(v->all, p->id, p);
	x->ep->publish_stream = NULL;
	x->ep->play = NULL;
	rg_media_rtp_open(v->d.media, g_str_hash(p->id), p->room_id, p->id, x->ep);
	memcpy(id, p->id, VP_ID_LEN + 1);
	return 0;
}

int rg_vps_ext_join(struct rg_vps *v, const struct rg_vp_ext *x, char *id, char *msg, size_t msglen)
{
	RG_ASSERT_LOOP(v->d.control);
	struct rg_rtp_ep_params *ep = x->ep;
	if (x->lobby)
		return ext_lobby(v, x, id);
	int e = rg_validate_room_id(x->room_id);
	if (!e)
		e = rg_validate_user_id(x->user_id);
	if (!e)
		e = rg_validate_user_name(x->user_name);
	if (!e)
		e = rg_validate_stream_id(x->stream_id);
	if (!e && rg_registry_find_stream(v->d.reg, x->stream_id))
		e = -RG_E_STREAM_EXISTS;
	if (e) {
		close(ep->fd);
		if (ep->fd_rtcp >= 0)
			close(ep->fd_rtcp);
		return vp_fail(msg, msglen, e, "%s", rg_error_info(e)->message);
	}
	struct vp *p = g_new0(struct vp, 1);
	p->vps = v;
	p->kind = x->kind;
	rg_random_id(p->id, VP_ID_LEN / 2);
	p->room_id = g_strdup(x->room_id);
	p->user_id = g_strdup(x->user_id);
	p->user_name = g_strdup(x->user_name);
	p->stream_id = g_strdup(x->stream_id);
	p->desc = cJSON_CreateObject();
	p->created_ms = g_get_real_time() / 1000;
	g_hash_table_insert(v->all, p->id, p);
	e = vp_join(v, p, msg, msglen);
	if (e) {
		close(ep->fd);
		if (ep->fd_rtcp >= 0)
			close(ep->fd_rtcp);
		g_hash_table_remove(v->all, p->id);
		vp_free(p);
		return e;
	}
	ep->publish_stream = p->stream_id;
	ep->play = NULL;
	rg_media_rtp_open(v->d.media, p->vr->worker, p->room_id, p->id, ep);
	vroom_sync(v, p->vr, rg_user_room(p->user));
	vroom_stream(v, p->vr, p->stream_id, p->user_id, true);
	p->ended = x->ended;
	p->dtmf = x->dtmf;
	p->ended_ctx = x->ctx;
	RG_INFO(MEDIA, "%s %s added to room %s (user %s)", kind_name(p->kind), p->id, p->room_id, p->user_id);
	memcpy(id, p->id, VP_ID_LEN + 1);
	return 0;
}

void rg_vps_ext_leave(struct rg_vps *v, const char *id, const char *reason)
{
	RG_ASSERT_LOOP(v->d.control);
	struct vp *p = g_hash_table_lookup(v->all, id);
	if (!p)
		return;
	p->ended = NULL;
	vp_destroy(p, true, NULL, reason);
}

cJSON *rg_vps_ext_stats(struct rg_vps *v, const char *id)
{
	return g_hash_table_lookup(v->all, id) ? rg_media_vp_json(v->d.media, id) : NULL;
}

void rg_vps_ext_update(struct rg_vps *v, const char *id, const struct rg_rtp_ep_params *ep)
{
	if (g_hash_table_lookup(v->all, id))
		rg_media_rtp_update(v->d.media, id, ep);
}

void rg_vps_ext_tone(struct rg_vps *v, const char *id, const struct rg_tone *t)
{
	if (g_hash_table_lookup(v->all, id))
		rg_media_rtp_tone(v->d.media, id, t);
}

void rg_vps_ext_dtmf(struct rg_vps *v, const char *id, const char *digits)
{
	if (g_hash_table_lookup(v->all, id))
		rg_media_rtp_dtmf(v->d.media, id, digits);
}
