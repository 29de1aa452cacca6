/* record: the writer thread, where every disk write of every recording
 * happens.
 *
 * One writer (one thread) serves all recordings. Any thread queues
 * operations on files (open, write, pwrite, sync, rename, close) without
 * waiting on the disk: an operation is copied into a bounded queue under a
 * mutex that is held only for the copy, and the call returns. When the
 * queue is full (bytes or operations) the call returns -ENOBUFS at once;
 * the caller counts it and fails its recording. Operations run in the order
 * they were queued (per file and across files).
 *
 * Files are named by ids that rg_writer_open() hands out before the file
 * is opened. The first operation on a file that fails (the open: ENOENT,
 * ENOTDIR, EACCES; a write: ENOSPC, EIO...) closes its descriptor and is
 * reported; every later operation on that file is discarded, until its
 * close forgets the id. No other file is affected. Reports are posted to
 * the configured loop (rg_loop_call) and run there: one per failed file,
 * and one per file closed without failure (err 0, with the file size, for
 * the recording's sidecar).
 *
 * Every file opened must be closed with rg_writer_close(), including one
 * whose open failed. Room for each file's close is set aside at its open,
 * so the close of an opened file never meets a full queue.
 *
 * Shutdown: rg_writer_free() lets the thread run what is queued for at most
 * drain_ms (checked between operations: a write stuck in the kernel, on a
 * dead network file system say, cannot be cut short), discards the rest,
 * closes every file still open and joins the thread. Reports posted before
 * it returned may still be waiting on the loop; a call posted to that loop
 * after rg_writer_free() returns runs after all of them.
 *
 * Ownership: rg_writer_new() returns a writer owned by the caller; the
 * report loop and report_arg must outlive it and its reports. Any thread may
 * call the queueing functions and rg_writer_stats(); rg_writer_free() is
 * called once, when no other thread uses the writer any more.
 *
 * Errors: negative errno; -ENOBUFS queue full, -EMSGSIZE an operation
 * larger than the whole queue, -EINVAL bad argument, -EPIPE after
 * rg_writer_free() began. */
#ifndef RG_RECORD_WRITER_H
#define RG_RECORD_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_WRITER_QUEUE_BYTES (8u << 20)

struct rg_loop;
struct rg_writer;

enum rg_writer_op {
	RG_WRITER_OPEN = 1,
	RG_WRITER_WRITE,
	RG_WRITER_PWRITE,
	RG_WRITER_SYNC,
	RG_WRITER_RENAME,
	RG_WRITER_CLOSE,
};

struct rg_writer_report {
	uint32_t file;
	enum rg_writer_op op;   /* the operation that failed, or RG_WRITER_CLOSE */
	int err;                /* negative errno; 0: closed without failure */
	uint64_t size;          /* err 0: the file's size when closed */
};

/* Runs on the report loop; r is valid during the call. */
typedef void (*rg_writer_report_fn)(void *arg, const struct rg_writer_report *r);

struct rg_writer_cfg {
	size_t queue_bytes;     /* queue memory, allocated once; 0: RG_WRITER_QUEUE_BYTES.
				   An operation takes 32 bytes plus its data. */
	unsigned queue_ops;     /* most operations queued; 0: bounded by bytes only */
	unsigned drain_ms;      /* rg_writer_free(): time left to queued operations */
	struct rg_loop *loop;   /* where reports run; NULL: no reports */
	rg_writer_report_fn report;
	void *report_arg;       /* not owned */
};

struct rg_writer_stats {
	uint64_t ops;           /* operations run */
	uint64_t bytes;         /* bytes written (write, pwrite) */
	uint64_t rejected;      /* refused with -ENOBUFS */
	uint64_t discarded;     /* dropped: failed or unknown file, or left at shutdown */
	uint64_t files_failed;
	size_t queued_bytes;
	unsigned queued_ops;
	unsigned files_open;    /* known to the thread (failed ones too) until closed */
};

/* Starts the thread. Returns 0 with *out set, -EINVAL (queue_bytes below
 * 4 KiB), -ENOMEM, or the error of pthread_create. */
int rg_writer_new(struct rg_writer **out, const struct rg_writer_cfg *cfg);

/* Drains (bounded by drain_ms), closes, joins and frees. NULL is accepted. */
void rg_writer_free(struct rg_writer *w);

/* Queues open(path, oflags | O_CLOEXEC, mode); with mkdirs, missing parent
 * directories are created first (mode 0755 less the umask). Sets *file to
 * the new file's id (never 0) on success only. */
int rg_writer_open(struct rg_writer *w, const char *path, int oflags, unsigned mode, bool mkdirs,
		   uint32_t *file);

/* Queues a write of len bytes (copied) at the file's current offset. */
int rg_writer_write(struct rg_writer *w, uint32_t file, const void *data, size_t len);

/* Queues a write of len bytes (copied) at offset, leaving the file offset. */
int rg_writer_pwrite(struct rg_writer *w, uint32_t file, uint64_t offset, const void *data,
		     size_t len);

/* Queues fdatasync (a no-op on files that cannot sync, like pipes). */
int rg_writer_sync(struct rg_writer *w, uint32_t file);

/* Queues rename(the file's current path, to) for a file still open; later
 * writes go on in the renamed file (e.g. write "x.part", sync, rename to
 * "x", close). */
int rg_writer_rename(struct rg_writer *w, uint32_t file, const char *to);

/* Queues the close and forgets the id afterwards. Returns 0; -ENOBUFS only
 * for an id that was never opened or is closed a second time. */
int rg_writer_close(struct rg_writer *w, uint32_t file);

/* Counters and queue state at the time of the call. */
void rg_writer_stats(struct rg_writer *w, struct rg_writer_stats *st);

#endif
