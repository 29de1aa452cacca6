/* Recorders on the worker. See recorder.h for the design. */
#include "media/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codec/codec.h"
#include "core/log.h"
#include "core/util.h"
#include "media/media_int.h"
#include "media/mixer.h"
#include "media/relay.h"
#include "record/oggopus.h"
#include "record/wav.h"
#include "record/writer.h"
#include "rtp/rtp.h"

#define REANCHOR_MS 500   /* RTP time and arrival time this far apart: re-anchor */
#define FILL_MARGIN_MS 300 /* fills stay this far behind real time (late packets) */
#define MS(x) ((uint64_t)(x) * 48)

struct rfile {
	struct wrec *r;
	char *stream_id, *user_id, *name;
	uint32_t file;
	struct rg_oggopus *ogg;
	struct relay_tap *tap;
	bool anchored;
	uint32_t ts0;
	uint64_t at0;
	uint64_t wav_bytes;
	bool closed;
	cJSON *final; /* once closed */
};

struct wrec {
	struct worker *w;
	struct mixer *mx;
	char *id, *room_id, *dir;
	bool mixed, wav;
	int64_t start_ms, start_us;
	unsigned preskip;
	GPtrArray *files;      /* struct rfile * */
	struct mixer_out *out; /* mixed */
	struct rg_encoder *enc;
	uint64_t frames;
	int err;               /* first queueing error */
	bool reported;
	char **streams;        /* the subset recorded, or NULL: all */
};

static struct rg_writer *writer(struct wrec *r)
{
	return r->w->m->writer;
}

/* ---- file ids -> recordings (any thread) ---- */

static int open_file(struct wrec *r, const char *path, uint32_t *file)
{
	struct rg_media *m = r->w->m;
	if (!m->writer)
		return -ENOMEM; /* the writer thread could not start */
	g_mutex_lock(&m->rec_lock);
	int e = rg_writer_open(writer(r), path, O_WRONLY | O_CREAT | O_TRUNC, 0644, true, file);
	if (!e)
		g_hash_table_insert(m->rec_files, GUINT_TO_POINTER(*file), g_strdup(r->id));
	g_mutex_unlock(&m->rec_lock);
	return e;
}

char *recorder_file_owner(struct rg_media *m, uint32_t file)
{
	g_mutex_lock(&m->rec_lock);
	char *id = g_strdup(g_hash_table_lookup(m->rec_files, GUINT_TO_POINTER(file)));
	g_mutex_unlock(&m->rec_lock);
	return id;
}

unsigned recorder_files_left(struct rg_media *m, const char *id)
{
	unsigned n = 0;
	GHashTableIter it;
	gpointer k, v;
	g_mutex_lock(&m->rec_lock);
	g_hash_table_iter_init(&it, m->rec_files);
	while (g_hash_table_iter_next(&it, &k, &v))
		n += !strcmp(v, id);
	g_mutex_unlock(&m->rec_lock);
	return n;
}

void recorder_file_forget(struct rg_media *m, uint32_t file)
{
	g_mutex_lock(&m->rec_lock);
	g_hash_table_remove(m->rec_files, GUINT_TO_POINTER(file));
	g_mutex_unlock(&m->rec_lock);
}

/* ---- failures ---- */

static void fail(struct wrec *r, int err)
{
	if (!r->err)
		r->err = err;
	if (r->reported)
		return;
	r->reported = true;
	char why[160];
	snprintf(why, sizeof why, "failed: %s: %s", err == -ENOBUFS ? "ENOBUFS" : "error",
		 err == -ENOBUFS ? "the writer's queue is full (the disk cannot keep up)" : strerror(-err));
	RG_WARN(MEDIA, "recording %s: %s", r->id, why);
	media_post_vp_end(r->w, r->id, why);
}

static void queued(struct wrec *r, int e)
{
	if (e)
		fail(r, e);
}

/* ---- positions ---- */

static uint64_t now_pos(const struct wrec *r)
{
	int64_t d = rg_mono_us() - r->start_us;
	return d > 0 ? (uint64_t)d * 48 / 1000 : 0;
}

/* ---- files ---- */

static int ogg_sink(void *arg, const uint8_t *page, size_t len)
{
	struct rfile *f = arg;
	return rg_writer_write(writer(f->r), f->file, page, len);
}

static struct rfile *file_open(struct wrec *r, const char *name, const char *stream_id,
			       const char *user_id)
{
	struct rfile *f = g_new0(struct rfile, 1);
	f->r = r;
	f->name = g_strdup(name);
	f->stream_id = g_strdup(stream_id);
	f->user_id = g_strdup(user_id);
	g_ptr_array_add(r->files, f);
	char *path = g_build_filename(r->dir, name, NULL);
	int e = open_file(r, path, &f->file);
	g_free(path);
	if (e) {
		f->closed = true;
		fail(r, e);
		return f;
	}
	if (r->wav) {
		uint8_t h[RG_WAV_HEADER_SIZE];
		rg_wav_header(h, 48000, 1, RG_WAV_SIZE_UNKNOWN);
		queued(r, rg_writer_write(writer(r), f->file, h, sizeof h));
		return f;
	}
	char c1[300], c2[300], c3[300];
	snprintf(c1, sizeof c1, "ROOMGATE_RECORDING=%s", r->id);
	snprintf(c2, sizeof c2, "ROOMGATE_ROOM=%s", r->room_id);
	snprintf(c3, sizeof c3, "ROOMGATE_STREAM=%s", stream_id ? stream_id : "mix");
	const char *const comments[] = { c1, c2, c3, NULL };
	uint32_t serial;
	rg_random_bytes(&serial, sizeof serial);
	struct rg_oggopus_params op = { serial, 1, r->preskip, comments, ogg_sink, f };
	e = rg_oggopus_new(&f->ogg, &op);
	if (e)
		fail(r, e);
	return f;
}

static cJSON *ms_or_null(uint64_t pos, unsigned preskip, bool none)
{
	if (none)
		return cJSON_CreateNull();
	return cJSON_CreateNumber(pos > preskip ? (double)((pos - preskip) / 48) : 0);
}

static void file_close(struct wrec *r, struct rfile *f, uint64_t until)
{
	if (f->tap) {
		relay_tap_remove(r->w->relay, f->tap);
		f->tap = NULL;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "path", f->name);
	if (f->user_id)
		cJSON_AddStringToObject(j, "user_id", f->user_id);
	else
		cJSON_AddNullToObject(j, "user_id");
	if (f->stream_id)
		cJSON_AddStringToObject(j, "stream_id", f->stream_id);
	else
		cJSON_AddNullToObject(j, "stream_id");
	uint64_t bytes = 0, dur = 0;
	if (f->ogg) {
		if (!f->closed)
			queued(r, rg_oggopus_close(f->ogg, until));
		struct rg_oggopus_stats st;
		rg_oggopus_stats(f->ogg, &st);
		bool none = st.first_at == UINT64_MAX;
		cJSON_AddItemToObject(j, "first_packet_ms", ms_or_null(st.first_at, r->preskip, none));
		cJSON_AddItemToObject(j, "last_packet_ms", ms_or_null(st.last_end, r->preskip, none));
		dur = st.end > r->preskip ? (st.end - r->preskip) / 48 : 0;
		bytes = st.bytes;
		cJSON_AddNumberToObject(j, "packets", (double)st.packets);
		cJSON_AddNumberToObject(j, "fill_samples", (double)st.fill_samples);
		cJSON_AddNumberToObject(j, "dropped", (double)(st.dropped_overlap + st.dropped_invalid));
	} else {
		if (r->wav && !f->closed && f->file)
			queued(r, rg_wav_finalise(writer(r), f->file, 48000, 1, f->wav_bytes));
		bool none = f->wav_bytes == 0;
		cJSON_AddItemToObject(j, "first_packet_ms", ms_or_null(0, 0, none));
		cJSON_AddItemToObject(j, "last_packet_ms", ms_or_null(f->wav_bytes / 2, 0, none));
		dur = f->wav_bytes / 96;
		bytes = f->file ? RG_WAV_HEADER_SIZE + f->wav_bytes : 0;
	}
	cJSON_AddNumberToObject(j, "duration_ms", (double)dur);
	cJSON_AddNumberToObject(j, "bytes", (double)bytes);
	if (f->file)
		rg_writer_close(writer(r), f->file);
	f->closed = true;
	f->final = j;
}

static void file_free(gpointer p)
{
	struct rfile *f = p;
	if (f->tap)
		relay_tap_remove(f->r->w->relay, f->tap);
	rg_oggopus_free(f->ogg);
	cJSON_Delete(f->final);
	g_free(f->name);
	g_free(f->stream_id);
	g_free(f->user_id);
	g_free(f);
}

/* ---- per_stream ---- */

static void on_packet(void *arg, const uint8_t *pkt, size_t len, uint8_t level_id)
{
	struct rfile *f = arg;
	struct wrec *r = f->r;
	(void)level_id;
	if (f->closed || !f->ogg || r->err)
		return;
	struct rtp_header h;
	if (rtp_header_decode(&h, pkt, len) != 0 || h.payload_len == 0)
		return;
	uint64_t arrival = now_pos(r) + r->preskip;
	uint64_t at = f->at0 + (uint64_t)(int64_t)(int32_t)(h.ts - f->ts0);
	int64_t skew = (int64_t)at - (int64_t)arrival;
	if (!f->anchored || skew > (int64_t)MS(REANCHOR_MS) || skew < -(int64_t)MS(REANCHOR_MS)) {
		f->anchored = true;
		f->ts0 = h.ts;
		f->at0 = arrival;
		at = arrival;
	}
	int e = rg_oggopus_packet(f->ogg, h.payload, h.payload_len, at);
	if (e && e != -EBADMSG && e != -EMSGSIZE)
		fail(r, e);
}

static struct rfile *find_stream(struct wrec *r, const char *stream_id)
{
	for (unsigned i = 0; i < r->files->len; i++) {
		struct rfile *f = r->files->pdata[i];
		if (f->stream_id && !strcmp(f->stream_id, stream_id))
			return f;
	}
	return NULL;
}

void recorder_stream(struct wrec *r, const char *stream_id, const char *user_id, bool add)
{
	if (r->mixed || r->err)
		return;
	if (r->streams && !g_strv_contains((const char *const *)r->streams, stream_id))
		return;
	struct rfile *f = find_stream(r, stream_id);
	if (!add) {
		if (f && f->tap) {
			relay_tap_remove(r->w->relay, f->tap);
			f->tap = NULL;
		}
		return;
	}
	if (!f) {
		char name[300];
		snprintf(name, sizeof name, "%s.ogg", stream_id);
		if (name[0] == '.')
			name[0] = '_';
		f = file_open(r, name, stream_id, user_id);
	}
	if (!f->tap && !f->closed)
		f->tap = relay_tap_add(r->w->relay, stream_id, on_packet, f);
}

/* ---- mixed ---- */

static void on_pcm(void *arg, const int16_t *pcm, size_t n, uint8_t level)
{
	struct wrec *r = arg;
	(void)level;
	if (r->err || !r->files->len)
		return;
	struct rfile *f = r->files->pdata[0];
	if (f->closed)
		return;
	if (r->wav) {
		uint8_t b[RG_FRAME_SAMPLES * 2];
		for (size_t i = 0; i < n && i < RG_FRAME_SAMPLES; i++) {
			b[2 * i] = (uint8_t)((uint16_t)pcm[i] & 0xff);
			b[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
		}
		int e = rg_writer_write(writer(r), f->file, b, n * 2);
		if (e)
			return fail(r, e);
		f->wav_bytes += n * 2;
		return;
	}
	uint8_t buf[RG_MAX_PAYLOAD];
	int len = rg_encoder_encode(r->enc, pcm, n, buf, sizeof buf);
	if (len > 0) {
		int e = rg_oggopus_packet(f->ogg, buf, (size_t)len, r->frames * RG_FRAME_SAMPLES);
		if (e)
			fail(r, e);
	}
	r->frames++;
}

/* ---- the sidecar ---- */

static void iso(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char d[32];
	strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", d, (int)(ms % 1000));
}

static cJSON *sidecar(struct wrec *r, const char *status, const char *error, int64_t stop_ms)
{
	cJSON *j = cJSON_CreateObject();
	char t[64];
	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddStringToObject(j, "recording_id", r->id);
	cJSON_AddStringToObject(j, "room_id", r->room_id);
	cJSON_AddStringToObject(j, "mode", r->mixed ? "mixed" : "per_stream");
	cJSON_AddStringToObject(j, "format", r->wav ? "wav" : "ogg_opus");
	cJSON_AddStringToObject(j, "status", status);
	if (error)
		cJSON_AddStringToObject(j, "error", error);
	else
		cJSON_AddNullToObject(j, "error");
	cJSON_AddNumberToObject(j, "start_ms", (double)r->start_ms);
	iso(t, sizeof t, r->start_ms);
	cJSON_AddStringToObject(j, "start", t);
	if (stop_ms) {
		cJSON_AddNumberToObject(j, "stop_ms", (double)stop_ms);
		iso(t, sizeof t, stop_ms);
		cJSON_AddStringToObject(j, "stop", t);
	} else {
		cJSON_AddNullToObject(j, "stop_ms");
		cJSON_AddNullToObject(j, "stop");
	}
	cJSON *files = cJSON_AddArrayToObject(j, "files");
	for (unsigned i = 0; i < r->files->len; i++) {
		struct rfile *f = r->files->pdata[i];
		if (f->final)
			cJSON_AddItemToArray(files, cJSON_Duplicate(f->final, true));
	}
	return j;
}

static void sidecar_write(struct wrec *r, cJSON *j)
{
	char *text = cJSON_Print(j);
	char *tmp = g_build_filename(r->dir, "recording.json.tmp", NULL);
	char *fin = g_build_filename(r->dir, "recording.json", NULL);
	uint32_t file;
	int e = open_file(r, tmp, &file);
	if (!e) {
		queued(r, rg_writer_write(writer(r), file, text, strlen(text)));
		queued(r, rg_writer_rename(writer(r), file, fin));
		rg_writer_close(writer(r), file);
	} else {
		fail(r, e);
	}
	free(text);
	g_free(tmp);
	g_free(fin);
}

/* ---- life ---- */

struct wrec *recorder_new(struct worker *w, struct mixer *mx, const struct wrec_params *p)
{
	struct wrec *r = g_new0(struct wrec, 1);
	r->w = w;
	r->mx = mx;
	r->id = g_strdup(p->id);
	r->room_id = g_strdup(p->room_id);
	r->dir = g_strdup(p->dir);
	r->mixed = p->mixed;
	r->wav = p->wav;
	r->start_ms = p->start_ms;
	r->start_us = rg_mono_us();
	r->preskip = r->wav ? 0 : r->mixed ? RG_OGGOPUS_PRESKIP_ENCODER : RG_OGGOPUS_PRESKIP_CROPPED;
	r->files = g_ptr_array_new_with_free_func(file_free);
	r->streams = p->streams ? g_strdupv((char **)p->streams) : NULL;
	cJSON *sc = sidecar(r, "recording", NULL, 0);
	sidecar_write(r, sc);
	cJSON_Delete(sc);
	if (r->mixed) {
		file_open(r, r->wav ? "mix.wav" : "mix.ogg", NULL, NULL);
		if (!r->wav) {
			struct rg_codec_params cp;
			rg_codec_params_default(&cp, RG_CODEC_OPUS);
			r->enc = rg_encoder_new(&cp);
		}
		struct mixer_out_params mp = { .all = !r->streams, .max_talkers = p->max_talkers, .pcm = on_pcm, .arg = r };
		if (r->streams) {
			mp.streams = (const char *const *)r->streams;
			mp.n_streams = g_strv_length(r->streams);
		}
		rg_codec_params_default(&mp.codec, RG_CODEC_OPUS);
		r->out = mixer_out_add(mx, &mp);
	}
	return r;
}

bool recorder_failed(const struct wrec *r)
{
	return r->err != 0;
}

cJSON *recorder_tick(struct wrec *r)
{
	uint64_t until = now_pos(r);
	until = until > MS(FILL_MARGIN_MS) ? until - MS(FILL_MARGIN_MS) : 0;
	cJSON *j = cJSON_CreateObject();
	cJSON *files = cJSON_AddArrayToObject(j, "files");
	for (unsigned i = 0; i < r->files->len && !r->err; i++) {
		struct rfile *f = r->files->pdata[i];
		cJSON *fj = cJSON_CreateObject();
		cJSON_AddStringToObject(fj, "path", f->name);
		if (f->ogg && !f->closed) {
			if (!r->mixed)
				queued(r, rg_oggopus_fill(f->ogg, until + r->preskip));
			queued(r, rg_oggopus_flush(f->ogg));
			struct rg_oggopus_stats st;
			rg_oggopus_stats(f->ogg, &st);
			cJSON_AddNumberToObject(fj, "duration_ms", (double)(st.end > r->preskip ? (st.end - r->preskip) / 48 : 0));
			cJSON_AddNumberToObject(fj, "bytes", (double)st.bytes);
			cJSON_AddNumberToObject(fj, "packets", (double)st.packets);
		} else if (r->wav) {
			cJSON_AddNumberToObject(fj, "duration_ms", (double)(f->wav_bytes / 96));
			cJSON_AddNumberToObject(fj, "bytes", (double)(RG_WAV_HEADER_SIZE + f->wav_bytes));
		}
		cJSON_AddItemToArray(files, fj);
	}
	return j;
}

cJSON *recorder_free(struct wrec *r, const char *error)
{
	if (r->out)
		mixer_out_remove(r->mx, r->out);
	uint64_t until = r->mixed ? 0 : now_pos(r) + r->preskip;
	for (unsigned i = 0; i < r->files->len; i++)
		file_close(r, r->files->pdata[i], until);
	char why[200] = "";
	if (!error && r->err)
		snprintf(why, sizeof why, "%s", strerror(-r->err));
	const char *err = error ? error : *why ? why : NULL;
	cJSON *sc = sidecar(r, err ? "failed" : "stopped", err, g_get_real_time() / 1000);
	if (!r->err)
		sidecar_write(r, sc);
	rg_encoder_free(r->enc);
	g_ptr_array_free(r->files, TRUE);
	g_free(r->id);
	g_free(r->room_id);
	g_free(r->dir);
	g_strfreev(r->streams);
	g_free(r);
	return sc;
}
