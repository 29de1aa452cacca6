/* The writer thread (see writer.h for the contract).
 *
 *   any thread ──rg_writer_*──▶ [ ring of records, mutex ] ──▶ writer thread ──▶ disk
 *                                                                   │
 *   report loop ◀────────────── rg_loop_call (failures, closes) ────┘
 *
 * Queue: one ring buffer of queue_bytes, allocated at start. A record is a
 * 32-byte header and its data (a path, the bytes to write), 8-aligned and
 * always contiguous: a record that does not fit before the end of the
 * ring is preceded by a pad record that fills the end, and counts against
 * the space like any other. Producers copy a record in under the mutex; the
 * single consumer takes the mutex to look at the oldest record, drops it,
 * runs the record straight from the ring (producers never write over used
 * space), and takes the mutex again to release it. The condition variable
 * is signalled only when the thread sleeps on an empty queue.
 *
 * Close reservation: each queued open adds CLOSE_RESERVE to `reserved`,
 * space that only closes may use, and each close takes it back. A close
 * record is RECORD bytes and a pad before it is shorter than the record,
 * so twice the record size always fits. The operation count limit does not
 * apply to closes.
 *
 * File table: id -> struct wfile, a GHashTable touched only by the writer
 * thread. A file whose operation failed stays in the table, with no
 * descriptor, so later operations on it are discarded; its close removes
 * it. */
#include "record/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"

#define OP_PAD 0
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct record {
	uint32_t size;          /* header + data, 8-aligned */
	uint8_t op;             /* enum rg_writer_op, or OP_PAD */
	uint8_t mkdirs;
	uint16_t unused;
	uint32_t file;
	uint32_t len;           /* data bytes (paths include their NUL) */
	uint64_t offset;        /* pwrite */
	int32_t oflags;
	uint32_t mode;
	/* data follows */
};

#define RECORD sizeof(struct record)
#define CLOSE_RESERVE (2 * RECORD)

_Static_assert(RECORD == 32, "record header is 32 bytes");

struct wfile {
	int fd;                 /* -1 once failed */
	char *path;
};

struct rg_writer {
	struct rg_writer_cfg cfg;
	pthread_t thread;

	/* shared, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *ring;
	size_t cap, head, tail, used, reserved;
	unsigned nops, opens_pending_close;
	uint32_t next_id;
	bool sleeping, stopping;
	int64_t deadline_us;
	struct rg_writer_stats st;

	/* writer thread only */
	GHashTable *files;      /* uint32 id -> struct wfile * */
};

/* ------------------------------------------------------------------ */
/* Queue, producer side */

struct payload {
	const void *a;
	size_t alen;
	const void *b;          /* a second part (rename target), or NULL */
	size_t blen;
};

static int push(struct rg_writer *w, struct record *r, const struct payload *p)
{
	size_t len = p->alen + p->blen;
	if (len > UINT32_MAX || RECORD + len > w->cap)
		return -EMSGSIZE;
	size_t need = ALIGN8(RECORD + len);
	bool close = r->op == RG_WRITER_CLOSE;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -EPIPE;
	}
	size_t reserved = w->reserved;
	if (close && w->opens_pending_close > 0)
		reserved -= CLOSE_RESERVE;
	if (r->op == RG_WRITER_OPEN)
		reserved += CLOSE_RESERVE; /* its close, set aside now */
	size_t pad = w->cap - w->head < need ? w->cap - w->head : 0;
	if (w->used + reserved + pad + need > w->cap ||
	    (!close && w->cfg.queue_ops && w->nops >= w->cfg.queue_ops)) {
		w->st.rejected++;
		pthread_mutex_unlock(&w->lock);
		return -ENOBUFS;
	}
	if (pad) {
		struct record *pr = (struct record *)(void *)(w->ring + w->head);
		pr->size = (uint32_t)pad;
		pr->op = OP_PAD;
		w->used += pad;
		w->head = 0;
	}
	if (r->op == RG_WRITER_OPEN) {
		r->file = w->next_id++;
		if (w->next_id == 0)
			w->next_id = 1;
		w->reserved += CLOSE_RESERVE;
		w->opens_pending_close++;
	} else if (close && w->opens_pending_close > 0) {
		w->reserved -= CLOSE_RESERVE;
		w->opens_pending_close--;
	}
	r->size = (uint32_t)need;
	r->len = (uint32_t)len;
	uint8_t *at = w->ring + w->head;
	memcpy(at, r, RECORD);
	if (p->alen)
		memcpy(at + RECORD, p->a, p->alen);
	if (p->blen)
		memcpy(at + RECORD + p->alen, p->b, p->blen);
	w->head = (w->head + need) % w->cap;
	w->used += need;
	w->nops++;
	if (w->sleeping)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int rg_writer_open(struct rg_writer *w, const char *path, int oflags, unsigned mode, bool mkdirs,
		   uint32_t *file)
{
	if (!path || !*path || !file)
		return -EINVAL;
	struct record r = { .op = RG_WRITER_OPEN, .mkdirs = mkdirs, .oflags = oflags,
			    .mode = mode };
	struct payload p = { .a = path, .alen = strlen(path) + 1 };
	int err = push(w, &r, &p);
	if (err == 0)
		*file = r.file;
	return err;
}

int rg_writer_write(struct rg_writer *w, uint32_t file, const void *data, size_t len)
{
	if (len && !data)
		return -EINVAL;
	struct record r = { .op = RG_WRITER_WRITE, .file = file };
	struct payload p = { .a = data, .alen = len };
	return push(w, &r, &p);
}

int rg_writer_pwrite(struct rg_writer *w, uint32_t file, uint64_t offset, const void *data,
		     size_t len)
{
	if ((len && !data) || offset > INT64_MAX - len)
		return -EINVAL;
	struct record r = { .op = RG_WRITER_PWRITE, .file = file, .offset = offset };
	struct payload p = { .a = data, .alen = len };
	return push(w, &r, &p);
}

int rg_writer_sync(struct rg_writer *w, uint32_t file)
{
	struct record r = { .op = RG_WRITER_SYNC, .file = file };
	struct payload p = { 0 };
	return push(w, &r, &p);
}

int rg_writer_rename(struct rg_writer *w, uint32_t file, const char *to)
{
	if (!to || !*to)
		return -EINVAL;
	struct record r = { .op = RG_WRITER_RENAME, .file = file };
	struct payload p = { .a = to, .alen = strlen(to) + 1 };
	return push(w, &r, &p);
}

int rg_writer_close(struct rg_writer *w, uint32_t file)
{
	struct record r = { .op = RG_WRITER_CLOSE, .file = file };
	struct payload p = { 0 };
	return push(w, &r, &p);
}

void rg_writer_stats(struct rg_writer *w, struct rg_writer_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	st->queued_bytes = w->used;
	st->queued_ops = w->nops;
	pthread_mutex_unlock(&w->lock);
}

/* ------------------------------------------------------------------ */
/* Reports */

struct report_call {
	rg_writer_report_fn fn;
	void *arg;
	struct rg_writer_report r;
};

static void report_run(void *arg)
{
	struct report_call *c = arg;
	c->fn(c->arg, &c->r);
	free(c);
}

static void report(struct rg_writer *w, uint32_t file, enum rg_writer_op op, int err,
		   uint64_t size)
{
	if (!w->cfg.loop || !w->cfg.report)
		return;
	struct report_call *c = malloc(sizeof *c);
	if (!c)
		return; /* the file is failed all the same */
	*c = (struct report_call){ w->cfg.report, w->cfg.report_arg, { file, op, err, size } };
	rg_loop_call(w->cfg.loop, report_run, c);
}

/* ------------------------------------------------------------------ */
/* Operations, writer thread */

static void wfile_free(gpointer p)
{
	struct wfile *f = p;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

static int write_all(int fd, const uint8_t *p, size_t len, bool at, uint64_t off)
{
	while (len > 0) {
		ssize_t n = at ? pwrite(fd, p, len, (off_t)off) : write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* mkdir -p of the directories above path. */
static int make_parents(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	int err = 0;
	for (char *s = strchr(dir + 1, '/'); s && !err; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			err = -errno;
		*s = '/';
	}
	free(dir);
	return err;
}

static int op_open(struct rg_writer *w, const struct record *r, const char *path)
{
	struct wfile *f = calloc(1, sizeof *f);
	char *copy = strdup(path);
	if (!f || !copy) {
		free(f);
		free(copy);
		return -ENOMEM; /* the id stays unknown: its ops are discarded */
	}
	f->path = copy;
	f->fd = -1;
	g_hash_table_insert(w->files, GUINT_TO_POINTER(r->file), f);
	int err = r->mkdirs ? make_parents(path) : 0;
	if (err == 0) {
		f->fd = open(path, r->oflags | O_CLOEXEC, (mode_t)r->mode);
		if (f->fd < 0)
			err = -errno;
	}
	return err;
}

static int op_close(struct rg_writer *w, struct wfile *f, uint32_t id)
{
	struct stat sb;
	uint64_t size = fstat(f->fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	int err = close(f->fd) == 0 || errno == EINTR ? 0 : -errno;
	f->fd = -1;
	if (err == 0)
		report(w, id, RG_WRITER_CLOSE, 0, size);
	g_hash_table_remove(w->files, GUINT_TO_POINTER(id));
	return err;
}

static int op_rename(struct wfile *f, const char *to)
{
	char *copy = strdup(to);
	if (!copy)
		return -ENOMEM;
	if (rename(f->path, to) != 0) {
		free(copy);
		return -errno;
	}
	free(f->path);
	f->path = copy;
	return 0;
}

static int op_sync(struct wfile *f)
{
	if (fdatasync(f->fd) == 0 || errno == EINVAL || errno == EROFS || errno == ENOTSUP)
		return 0;
	return -errno;
}

/* Runs one record; returns bytes written (for the stats) or -1 when it was
 * discarded. */
static int64_t run(struct rg_writer *w, const struct record *r)
{
	const uint8_t *data = (const uint8_t *)(r + 1);
	gpointer key = GUINT_TO_POINTER(r->file);
	int err;
	if (r->op == RG_WRITER_OPEN) {
		err = op_open(w, r, (const char *)data);
		goto done;
	}
	struct wfile *f = g_hash_table_lookup(w->files, key);
	if (f && f->fd < 0 && r->op == RG_WRITER_CLOSE) {
		g_hash_table_remove(w->files, key); /* failed before: reported then */
		return 0;
	}
	if (!f || f->fd < 0)
		return -1;
	switch (r->op) {
	case RG_WRITER_WRITE:
	case RG_WRITER_PWRITE:
		err = write_all(f->fd, data, r->len, r->op == RG_WRITER_PWRITE, r->offset);
		if (err == 0)
			return r->len;
		break;
	case RG_WRITER_SYNC:
		err = op_sync(f);
		break;
	case RG_WRITER_RENAME:
		err = op_rename(f, (const char *)data);
		break;
	case RG_WRITER_CLOSE:
		err = op_close(w, f, r->file);
		if (err < 0) {
			report(w, r->file, RG_WRITER_CLOSE, err, 0);
			pthread_mutex_lock(&w->lock);
			w->st.files_failed++;
			pthread_mutex_unlock(&w->lock);
		}
		return 0;
	default:
		err = -EINVAL;
	}
done:
	if (err < 0) {
		struct wfile *ff = g_hash_table_lookup(w->files, key);
		if (ff && ff->fd >= 0) {
			close(ff->fd);
			ff->fd = -1;
		}
		report(w, r->file, r->op, err, 0);
		pthread_mutex_lock(&w->lock);
		w->st.files_failed++;
		pthread_mutex_unlock(&w->lock);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Thread */

/* Drops every queued record (shutdown past its deadline). Under lock. */
static void discard_all(struct rg_writer *w)
{
	w->st.discarded += w->nops;
	w->head = w->tail = w->used = 0;
	w->nops = 0;
}

static void *thread_main(void *arg)
{
	struct rg_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->used == 0 && !w->stopping) {
			w->sleeping = true;
			pthread_cond_wait(&w->cond, &w->lock);
			w->sleeping = false;
		}
		if (w->used == 0)
			break; /* stopping and drained */
		if (w->stopping && rg_mono_us() >= w->deadline_us) {
			discard_all(w);
			break;
		}
		const struct record *r = (const struct record *)(void *)(w->ring + w->tail);
		if (r->op == OP_PAD) {
			w->used -= r->size;
			w->tail = 0;
			continue;
		}
		pthread_mutex_unlock(&w->lock);
		int64_t n = run(w, r);
		pthread_mutex_lock(&w->lock);
		if (n < 0)
			w->st.discarded++;
		else
			w->st.bytes += (uint64_t)n;
		w->st.ops++;
		w->st.files_open = g_hash_table_size(w->files);
		w->tail = (w->tail + r->size) % w->cap;
		w->used -= r->size;
		w->nops--;
		if (w->used == 0)
			w->head = w->tail = 0;
	}
	pthread_mutex_unlock(&w->lock);
	g_hash_table_destroy(w->files); /* closes what is still open */
	w->files = NULL;
	return NULL;
}

int rg_writer_new(struct rg_writer **out, const struct rg_writer_cfg *cfg)
{
	if (!cfg)
		return -EINVAL;
	size_t cap = ALIGN8(cfg->queue_bytes ? cfg->queue_bytes : RG_WRITER_QUEUE_BYTES);
	if (cap < 4096)
		return -EINVAL;
	struct rg_writer *w = calloc(1, sizeof *w);
	uint8_t *ring = malloc(cap);
	if (!w || !ring) {
		free(w);
		free(ring);
		return -ENOMEM;
	}
	w->cfg = *cfg;
	w->ring = ring;
	w->cap = cap;
	w->next_id = 1;
	w->files = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, wfile_free);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	int err = pthread_create(&w->thread, NULL, thread_main, w);
	if (err) {
		g_hash_table_destroy(w->files);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(ring);
		free(w);
		return -err;
	}
	pthread_setname_np(w->thread, "rg-writer");
	*out = w;
	return 0;
}

void rg_writer_free(struct rg_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->deadline_us = rg_mono_us() + (int64_t)w->cfg.drain_ms * 1000;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w);
}
