/* Private to media/: recorders, on the room's worker.
 *
 * A recorder writes what a room carries to files through the process's
 * writer thread (record/writer.h), never waiting on the disk:
 *   - per_stream: one relay tap per stream of the room (the "all" set the
 *     control side mirrors), each stream's Opus packets into its own Ogg
 *     file, unchanged. A packet's position is its RTP timestamp relative to
 *     the stream's anchor, the first packet placed at its arrival time since
 *     the recording's start; a jump of more than REANCHOR_MS between the two
 *     clocks (a new publisher, a long pause) re-anchors on arrival time.
 *     Files start at the recording's start and are filled with silence
 *     once a second up to the recording time less a jitter margin, and
 *     all of them end at the stop time, so every file has the same length.
 *   - mixed: a PCM output of the room's mixer, encoded to Opus in Ogg by the
 *     recorder's own encoder (pre-skip 312) or stored as 16-bit WAV.
 * Pages are flushed once a second (recorder_tick). The sidecar
 * (recording.json) is written at the start and at the end, each time
 * as a temporary file renamed over the previous one.
 *
 * Errors: a refused queue operation (-ENOBUFS) fails the recording at
 * once (posted to the control loop as the participant's end); a failed
 * disk operation comes back from the writer thread as a report, which the
 * control loop maps to the recording by file id (recorder_file_owner).
 *
 * Worker thread only, except recorder_file_owner/forget (any thread). */
#ifndef RG_MEDIA_RECORDER_H
#define RG_MEDIA_RECORDER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

struct worker;
struct mixer;
struct relay;
struct rg_media;
struct wrec;

struct wrec_params {
	const char *id, *room_id;
	const char *dir;   /* the recording's directory (created) */
	bool mixed, wav;
	int64_t start_ms;  /* wall clock */
	unsigned max_talkers;
	const char *const *streams; /* NULL-terminated subset, or NULL: all */
};

struct wrec *recorder_new(struct worker *w, struct mixer *mx, const struct wrec_params *p);
/* Closes the files (the Ogg streams end at the stop time, the WAV header
 * is finalised), writes the final sidecar with status "stopped" or, with
 * error, "failed", and returns the files' JSON (caller owns). */
cJSON *recorder_free(struct wrec *r, const char *error);
/* A stream of the room came or went (per_stream follows them). */
void recorder_stream(struct wrec *r, const char *stream_id, const char *user_id, bool add);
/* Once a second: fill, flush; returns the statistics (caller owns). */
cJSON *recorder_tick(struct wrec *r);
bool recorder_failed(const struct wrec *r);

/* The recording that owns a writer file id (a copy, g_free), or NULL;
 * forget drops the mapping. */
char *recorder_file_owner(struct rg_media *m, uint32_t file);
void recorder_file_forget(struct rg_media *m, uint32_t file);
/* Files of the recording the writer has not closed yet. */
unsigned recorder_files_left(struct rg_media *m, const char *id);

#endif
