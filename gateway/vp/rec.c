/* Recordings (control loop): a recorder is a virtual participant that
 * joins its room as user "rec_<id>", publishes nothing, and has a recorder
 * on the room's worker (media/recorder.h). The struct rec outlives the
 * participant, so the admin API lists a recording with its files after it
 * stopped or failed.
 *
 * States: recording -> stopping (asked to stop, the worker closes the
 * files) -> stopped (its description came back: recording.finished), or
 * failed (a disk error or a full writer queue: recording.failed at once;
 * the files' description still comes back later). */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/errors.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "room/room.h"
#include "vp/vp_int.h"

#define REC_KEEP 1000 /* finished recordings remembered */

struct rec {
	struct rg_vps *v;
	char id[VP_ID_LEN + 1];
	char *room_id, *name, *dir, *user_id;
	bool mixed, wav;
	const char *state;
	char *error;
	int64_t start_ms, stop_ms;
	unsigned max_duration_s, timer;
	cJSON *result;      /* the final sidecar, once stopped */
	struct vp *p;       /* while recording */
	char **streams;     /* the streams recorded, or NULL: all of the room's */
	bool auto_rec;      /* started by an auto_record rule */
};

static void rec_free(struct rec *r)
{
	if (r->timer)
		rg_timer_cancel(r->timer);
	g_free(r->room_id);
	g_free(r->name);
	g_free(r->dir);
	g_free(r->user_id);
	g_free(r->error);
	g_strfreev(r->streams);
	cJSON_Delete(r->result);
	g_free(r);
}

void vp_recs_free(struct rg_vps *v)
{
	GList *all = g_hash_table_get_values(v->recs);
	for (GList *l = all; l; l = l->next)
		rec_free(l->data);
	g_list_free(all);
	g_hash_table_destroy(v->recs);
}

unsigned vp_recs_pending(struct rg_vps *v)
{
	unsigned n = 0;
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->recs);
	while (g_hash_table_iter_next(&it, &k, &val))
		n += ((struct rec *)val)->result == NULL;
	return n;
}

static bool on_max_duration(void *arg)
{
	struct rec *r = arg;
	r->timer = 0;
	if (r->p)
		rg_vps_delete(r->v, RG_VP_REC, r->room_id, r->id, "max_duration");
	return false;
}

static const char *str_field(const cJSON *body, const char *k, const char *const *allowed,
			     char *msg, size_t msglen, int *err)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(body, k);
	*err = 0;
	if (!f)
		return allowed[0];
	for (const char *const *a = allowed; *a && cJSON_IsString(f); a++)
		if (!strcmp(*a, f->valuestring))
			return *a;
	*err = vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"%s\": \"%s\" or \"%s\"", k, allowed[0], allowed[1]);
	return NULL;
}

/* streams: 1 to 64 IDs of streams in the room (404 naming the first that
 * is not). */
static int streams_parse(struct rg_vps *v, struct rec *r, const cJSON *in, char *msg, size_t msglen)
{
	if (!cJSON_IsArray(in) || cJSON_GetArraySize(in) == 0 || cJSON_GetArraySize(in) > 64)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"streams\": an array of 1 to 64 stream IDs");
	struct rg_room *room = rg_registry_find(v->d.reg, r->room_id);
	GPtrArray *a = g_ptr_array_new();
	const cJSON *it;
	int e = 0;
	cJSON_ArrayForEach(it, in)
	{
		if (!cJSON_IsString(it)) {
			e = vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"streams\": stream IDs are strings");
			break;
		}
		struct rg_stream *s = rg_registry_find_stream(v->d.reg, it->valuestring);
		if (!s || !room || rg_stream_room(s) != room) {
			e = vp_fail(msg, msglen, -RG_E_STREAM_NOT_FOUND, "field \"streams\": no stream %.256s in room %.128s", it->valuestring, r->room_id);
			break;
		}
		bool dup = false;
		for (unsigned i = 0; i < a->len; i++)
			dup = dup || !strcmp(a->pdata[i], it->valuestring);
		if (!dup)
			g_ptr_array_add(a, g_strdup(it->valuestring));
	}
	g_ptr_array_add(a, NULL);
	char **list = (char **)g_ptr_array_free(a, FALSE);
	if (e)
		g_strfreev(list);
	else
		r->streams = list;
	return e;
}

static int rec_parse(struct rg_vps *v, struct rec *r, const cJSON *body, char *msg, size_t msglen)
{
	static const char *const allowed[] = { "mode", "format", "max_duration_s", "name", "streams", NULL };
	static const char *const modes[] = { "mixed", "per_stream", NULL };
	static const char *const formats[] = { "ogg_opus", "wav", NULL };
	int e = vp_only_fields(body, allowed, msg, msglen);
	if (e)
		return e;
	const char *mode = str_field(body, "mode", modes, msg, msglen, &e);
	if (e)
		return e;
	const char *format = str_field(body, "format", formats, msg, msglen, &e);
	if (e)
		return e;
	r->mixed = !strcmp(mode, "mixed");
	r->wav = !strcmp(format, "wav");
	if (r->wav && !r->mixed)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"format\": per_stream recordings are Ogg Opus (the packets as received)");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "max_duration_s");
	if (md) {
		if (!cJSON_IsNumber(md) || md->valuedouble < 1 || md->valuedouble > 86400 ||
		    md->valuedouble != (double)md->valueint)
			return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"max_duration_s\": an integer from 1 to 86400");
		r->max_duration_s = (unsigned)md->valueint;
	}
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (n && (!cJSON_IsString(n) || strlen(n->valuestring) > 256))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"name\": a string of at most 256 bytes");
	r->name = n ? g_strdup(n->valuestring) : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "streams");
	return st ? streams_parse(v, r, st, msg, msglen) : 0;
}

/* A path component from an ID: room IDs may be "." or "..". */
static char *component(const char *id)
{
	char *c = g_strdup(id);
	if (c[0] == '.')
		c[0] = '_';
	for (char *s = c; *s; s++)
		if (*s == '/')
			*s = '_';
	return c;
}

int vp_rec_create(struct rg_vps *v, struct vp *p, const cJSON *body, char *msg, size_t msglen)
{
	struct rec *r = g_new0(struct rec, 1);
	r->v = v;
	memcpy(r->id, p->id, sizeof r->id);
	r->room_id = g_strdup(p->room_id);
	int e = rec_parse(v, r, body, msg, msglen);
	if (e) {
		rec_free(r);
		return e;
	}
	p->user_id = g_strdup_printf("rec_%s", p->id);
	p->user_name = g_strdup("Recorder");
	p->hidden = !v->d.cfg->recording_visible;
	p->passive = r->auto_rec = v->auto_rec;
	v->rec_joining = true; /* a room it creates is not an auto_record trigger */
	e = vp_join(v, p, msg, msglen);
	v->rec_joining = false;
	if (e) {
		rec_free(r);
		return e;
	}
	char *room = component(p->room_id);
	r->dir = g_build_filename(v->d.cfg->recordings_dir, room, p->id, NULL);
	g_free(room);
	r->user_id = g_strdup(p->user_id);
	r->state = "recording";
	r->start_ms = p->created_ms;
	r->p = p;
	p->rec = r;
	g_hash_table_insert(v->recs, r->id, r);
	struct rg_media_rec_params mp = { r->dir, r->mixed, r->wav, r->start_ms, v->d.cfg->mix_max_talkers,
					  (const char *const *)r->streams, r->streams ? g_strv_length(r->streams) : 0 };
	rg_media_rec_open(v->d.media, rg_room_worker(rg_user_room(p->user)), p->room_id, p->id, &mp);
	if (r->max_duration_s)
		r->timer = rg_timer_add(v->d.control, r->max_duration_s * 1000u, on_max_duration, r);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", r->room_id);
	cJSON_AddStringToObject(d, "id", r->id);
	cJSON_AddStringToObject(d, "mode", r->mixed ? "mixed" : "per_stream");
	cJSON_AddStringToObject(d, "format", r->wav ? "wav" : "ogg_opus");
	cJSON_AddStringToObject(d, "dir", r->dir);
	if (r->streams)
		cJSON_AddItemToObject(d, "streams", cJSON_CreateStringArray((const char *const *)r->streams, (int)g_strv_length(r->streams)));
	cJSON_AddBoolToObject(d, "auto_record", r->auto_rec);
	rg_events_emit(v->d.events, "recording.started", d);
	RG_INFO(MEDIA, "recording %s of room %s started in %s", r->id, r->room_id, r->dir);
	return 0;
}

static void forget_old(struct rg_vps *v)
{
	if (g_hash_table_size(v->recs) <= REC_KEEP)
		return;
	struct rec *oldest = NULL;
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->recs);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct rec *r = val;
		if (!r->p && r->result && (!oldest || r->start_ms < oldest->start_ms))
			oldest = r;
	}
	if (oldest) {
		g_hash_table_remove(v->recs, oldest->id);
		rec_free(oldest);
	}
}

void vp_rec_end(struct rg_vps *v, struct vp *p, const char *why)
{
	struct rec *r = p->rec;
	p->rec = NULL;
	r->p = NULL;
	if (r->timer)
		rg_timer_cancel(r->timer);
	r->timer = 0;
	r->stop_ms = g_get_real_time() / 1000;
	bool failed = why && !strncmp(why, "failed: ", 8);
	rg_media_rec_stop(v->d.media, p->id, failed ? why + 8 : NULL);
	if (!failed) {
		r->state = "stopping";
		return;
	}
	r->state = "failed";
	r->error = g_strdup(why + 8);
	RG_WARN(MEDIA, "recording %s of room %s failed: %s", r->id, r->room_id, r->error);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "room_id", r->room_id);
	cJSON_AddStringToObject(d, "id", r->id);
	cJSON_AddStringToObject(d, "error", r->error);
	cJSON_AddStringToObject(d, "dir", r->dir);
	rg_events_emit(v->d.events, "recording.failed", d);
}

void rg_vps_on_rec_done(struct rg_vps *v, const char *id, const char *json)
{
	struct rec *r = g_hash_table_lookup(v->recs, id);
	if (!r || r->result)
		return;
	r->result = cJSON_Parse(json);
	if (!r->result)
		r->result = cJSON_CreateObject();
	if (strcmp(r->state, "failed")) {
		r->state = "stopped";
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "room_id", r->room_id);
		cJSON_AddStringToObject(d, "id", r->id);
		cJSON_AddStringToObject(d, "dir", r->dir);
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(r->result, "files");
		cJSON_AddItemToObject(d, "files", f ? cJSON_Duplicate(f, true) : cJSON_CreateArray());
		rg_events_emit(v->d.events, "recording.finished", d);
		RG_INFO(MEDIA, "recording %s of room %s finished", r->id, r->room_id);
	}
	forget_old(v);
}

static cJSON *rec_json(struct rg_vps *v, const struct rec *r, bool stats)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "id", r->id);
	cJSON_AddStringToObject(j, "room_id", r->room_id);
	cJSON_AddStringToObject(j, "state", r->state);
	cJSON_AddStringToObject(j, "mode", r->mixed ? "mixed" : "per_stream");
	cJSON_AddStringToObject(j, "format", r->wav ? "wav" : "ogg_opus");
	if (r->name)
		cJSON_AddStringToObject(j, "name", r->name);
	cJSON_AddStringToObject(j, "user_id", r->user_id);
	cJSON_AddStringToObject(j, "dir", r->dir);
	cJSON_AddNumberToObject(j, "start_ms", (double)r->start_ms);
	if (r->stop_ms)
		cJSON_AddNumberToObject(j, "stop_ms", (double)r->stop_ms);
	else
		cJSON_AddNullToObject(j, "stop_ms");
	if (r->max_duration_s)
		cJSON_AddNumberToObject(j, "max_duration_s", r->max_duration_s);
	if (r->streams)
		cJSON_AddItemToObject(j, "streams", cJSON_CreateStringArray((const char *const *)r->streams, (int)g_strv_length(r->streams)));
	else
		cJSON_AddStringToObject(j, "streams", "all");
	cJSON_AddBoolToObject(j, "auto_record", r->auto_rec);
	if (r->error)
		cJSON_AddStringToObject(j, "error", r->error);
	else
		cJSON_AddNullToObject(j, "error");
	const cJSON *files = NULL;
	cJSON *live = NULL;
	if (r->result)
		files = cJSON_GetObjectItemCaseSensitive(r->result, "files");
	else if (stats && (live = rg_media_vp_json(v->d.media, r->id)))
		files = cJSON_GetObjectItemCaseSensitive(live, "files");
	cJSON_AddItemToObject(j, "files", files ? cJSON_Duplicate(files, true) : cJSON_CreateArray());
	cJSON_Delete(live);
	return j;
}

cJSON *rg_vps_rec_list(struct rg_vps *v, const char *room_id)
{
	cJSON *a = cJSON_CreateArray();
	GHashTableIter it;
	gpointer k, val;
	g_hash_table_iter_init(&it, v->recs);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct rec *r = val;
		if (!strcmp(r->room_id, room_id))
			cJSON_AddItemToArray(a, rec_json(v, r, false));
	}
	if (cJSON_GetArraySize(a) == 0 && !rg_registry_find(v->d.reg, room_id)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

cJSON *rg_vps_rec_get(struct rg_vps *v, const char *room_id, const char *id)
{
	struct rec *r = g_hash_table_lookup(v->recs, id);
	return r && !strcmp(r->room_id, room_id) ? rec_json(v, r, true) : NULL;
}

/* ---- auto_record ---- */

static bool auto_fire(void *arg)
{
	struct rg_vps *v = arg;
	v->auto_timer = 0;
	GList *rooms = g_hash_table_get_keys(v->auto_pending);
	g_hash_table_steal_all(v->auto_pending);
	for (GList *l = rooms; l; l = l->next) {
		const char *room_id = l->data;
		/* a room that closed in the meantime is not created again */
		for (unsigned i = 0; i < v->d.cfg->n_auto_record && rg_registry_find(v->d.reg, room_id); i++) {
			const struct rg_config_auto_record *a = &v->d.cfg->auto_record[i];
			if (!g_pattern_match_simple(a->room, room_id))
				continue;
			cJSON *body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "mode", a->mixed ? "mixed" : "per_stream");
			cJSON_AddStringToObject(body, "format", a->wav ? "wav" : "ogg_opus");
			if (a->max_duration_s)
				cJSON_AddNumberToObject(body, "max_duration_s", a->max_duration_s);
			char name[48];
			snprintf(name, sizeof name, "auto_record[%u]", i);
			cJSON_AddStringToObject(body, "name", name);
			cJSON *out = NULL;
			char msg[512];
			v->auto_rec = true;
			int e = rg_vps_create(v, RG_VP_REC, room_id, body, &out, msg, sizeof msg);
			v->auto_rec = false;
			if (e)
				RG_WARN(MEDIA, "room %s: recording.auto_record[%u] (%s) could not start: %s", room_id, i, a->room, msg);
			else
				RG_INFO(MEDIA, "room %s: recording.auto_record[%u] (%s) started", room_id, i, a->room);
			cJSON_Delete(out);
			cJSON_Delete(body);
		}
	}
	g_list_free_full(rooms, g_free);
	return false;
}

void vp_rec_room_created(void *arg, struct rg_room *room)
{
	struct rg_vps *v = arg;
	if (v->closing || v->rec_joining)
		return;
	const char *id = rg_room_id(room);
	bool match = false;
	for (unsigned i = 0; i < v->d.cfg->n_auto_record && !match; i++)
		match = g_pattern_match_simple(v->d.cfg->auto_record[i].room, id);
	if (!match)
		return;
	/* later on the loop: the first member finishes its login first */
	g_hash_table_add(v->auto_pending, g_strdup(id));
	if (!v->auto_timer)
		v->auto_timer = rg_timer_add(v->d.control, 0, auto_fire, v);
}
