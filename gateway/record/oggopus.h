/* record: the Ogg Opus stream writer (RFC 7845, RFC 3533), pure.
 *
 * One writer builds one logical Ogg stream in memory and hands every
 * finished page, whole, to the caller's sink; it does no I/O, reads no
 * clock and uses no globals. The recorder gives each sink call to the
 * writer thread (writer.h), a unit test keeps the bytes.
 *
 * Timeline. Every packet is placed by the caller at a position `at`, in
 * 48 kHz samples from the first sample of the file, of its first decoded
 * sample: the granule position the stream has just before the packet.
 * Playback time is granule - pre-skip (RFC 7845 section 4.2). For relayed
 * packets (pre-skip 0) `at` is the recording time of the packet; for our
 * own encoder started at the recording's start (pre-skip 312) `at` is the
 * index of the encoder's first input sample of that packet, which makes the
 * encoder's delay vanish in playback. Relayed packets come from an encoder
 * that started before the recording, so the file is a "cropped" stream, for
 * which RFC 7845 recommends a pre-skip of 3840 (80 ms in which the decoder
 * converges): with it, `at` is the recording time + 3840, and the writer
 * fills the first 80 ms with silence. Pre-skip 0 works as well; opusinfo
 * merely warns about any value below 120.
 *
 * Gaps. When a packet starts after the current end of the stream (loss, a
 * paused or late stream), the gap is filled first with Opus packets of
 * silence (CELT frames carrying the silence flag, encoded once per writer
 * by libopus from zeros: they decode to zeros in every decoder, unlike
 * empty frames, which ask the decoder for loss concealment). A file thus
 * starts at position 0 even when its first packet comes late, and every
 * granule position stays equal to wall time since the start. Opus frames
 * are multiples of 2.5 ms (120 samples), so a gap is filled in whole
 * 120-sample steps and the packet placed at the new end: a packet can sit
 * up to 119 samples before its `at`; the error never accumulates, because
 * each packet is placed from its own `at`. A packet that starts before the
 * current end (duplicate, reordered, late after a fill) is dropped and
 * counted. rg_oggopus_fill() fills up to a position without a packet; the
 * recorder calls it once a second with the recording time less its jitter
 * margin, so a paused stream keeps growing in real time rather than
 * receiving one long fill when it resumes.
 *
 * Pages. OpusHead and OpusTags each end a page of their own (the first
 * with BOS). Audio pages end when libogg finds them full (about 4 KiB or
 * 255 segments), before they would hold more than a second of audio
 * (RG_OGGOPUS_PAGE_SAMPLES)
 * and on rg_oggopus_flush(), which the recorder calls at least once a second
 * so a file cut short by kill -9 or power loss plays up to then. The last
 * packet given is held back until the next one (or the close), so that the
 * close can mark it end-of-stream: a flush emits everything but that one.
 * rg_oggopus_close() writes the EOS page.
 *
 * Ownership and threads: rg_oggopus_new() returns a writer owned by the
 * caller (freed with rg_oggopus_free()), used by one thread at a time. The
 * sink is called on that thread from inside the writer's functions; the
 * page it gets is valid only during the call.
 *
 * Errors: negative errno. -EINVAL bad argument, -EBADMSG not an Opus
 * packet, -EMSGSIZE a packet above RG_OGGOPUS_MAX_PACKET, -ERANGE a gap
 * above RG_OGGOPUS_MAX_GAP, -EPIPE after the close. A sink error is returned
 * as is and sticks: a page that the sink refused is lost, so the stream is
 * broken and every later call returns the same error. */
#ifndef RG_RECORD_OGGOPUS_H
#define RG_RECORD_OGGOPUS_H

#include <stddef.h>
#include <stdint.h>

#define RG_OGGOPUS_RATE 48000
#define RG_OGGOPUS_PRESKIP_ENCODER 312      /* libopus at 48 kHz (its lookahead) */
#define RG_OGGOPUS_PRESKIP_CROPPED 3840     /* RFC 7845 4.2 for a stream cut from a longer one */
#define RG_OGGOPUS_PAGE_SAMPLES 48000      /* a page holds at most 1 s of audio */
#define RG_OGGOPUS_MAX_PACKET 8192         /* bytes; RTP payloads are far smaller */
#define RG_OGGOPUS_MAX_GAP (48000ull * 3600) /* one call fills at most 1 h */
#define RG_OGGOPUS_HEAD_SIZE 19            /* OpusHead, mapping family 0 */

struct rg_oggopus;

/* Receives one whole Ogg page (header and body back to back). Returns 0, or
 * a negative errno that fails the writer (see above). */
typedef int (*rg_oggopus_sink_fn)(void *arg, const uint8_t *page, size_t len);

struct rg_oggopus_params {
	uint32_t serial;            /* Ogg stream serial number */
	unsigned channels;          /* 1 or 2 (mapping family 0) */
	unsigned preskip;           /* RG_OGGOPUS_PRESKIP_ENCODER for packets of our
				       encoder; 0 or RG_OGGOPUS_PRESKIP_CROPPED for
				       relayed ones (see the timeline) */
	const char *const *comments; /* "KEY=value" user comments, NULL-terminated
				       array, or NULL; copied into OpusTags */
	rg_oggopus_sink_fn sink;
	void *sink_arg;             /* not owned */
};

struct rg_oggopus_stats {
	uint64_t end;               /* granule position after the last packet given */
	uint64_t packets;           /* packets written as given */
	uint64_t packet_bytes;      /* their payload bytes */
	uint64_t first_at;          /* position of the first one (UINT64_MAX: none yet) */
	uint64_t last_end;          /* end position of the last one */
	uint64_t fill_packets;      /* silence packets inserted */
	uint64_t fill_samples;      /* their duration */
	uint64_t dropped_overlap;   /* packets starting before the end */
	uint64_t dropped_invalid;   /* not Opus, or too long */
	uint64_t pages;             /* pages given to the sink, headers included */
	uint64_t bytes;             /* bytes given to the sink */
};

/* Builds the writer and emits the OpusHead and OpusTags pages through the
 * sink. Returns 0 with *out set, -EINVAL (channels, comment without '=' at
 * a position > 0, no sink), -ENOMEM, or the sink's error (nothing is
 * returned then). */
int rg_oggopus_new(struct rg_oggopus **out, const struct rg_oggopus_params *p);

/* Adds one Opus packet starting at position at (see the timeline above),
 * filling a gap before it with silence. Returns 0 (written or dropped as
 * overlapping: see the stats), -EBADMSG, -EMSGSIZE, -ERANGE, -EPIPE or a
 * sink error. */
int rg_oggopus_packet(struct rg_oggopus *w, const uint8_t *pkt, size_t len, uint64_t at);

/* Fills with silence up to position until (rounded down to 120 samples);
 * nothing when the stream already reaches it. Returns 0, -ERANGE, -EPIPE or
 * a sink error. */
int rg_oggopus_fill(struct rg_oggopus *w, uint64_t until);

/* Ends the current page now, if it holds any packet. Returns 0, -EPIPE or a
 * sink error. */
int rg_oggopus_flush(struct rg_oggopus *w);

/* Fills up to until (0 or a position already reached: no fill), marks the
 * last packet end-of-stream and emits the remaining pages. A stream without
 * any audio packet gets one of 2.5 ms of silence, so the file is still a
 * valid Ogg Opus stream. Afterwards only rg_oggopus_stats() and
 * rg_oggopus_free() may be called. Returns 0, -EPIPE (closed already),
 * -ERANGE or a sink error. */
int rg_oggopus_close(struct rg_oggopus *w, uint64_t until);

void rg_oggopus_stats(const struct rg_oggopus *w, struct rg_oggopus_stats *st);

/* Frees the writer without emitting anything more. NULL is accepted. */
void rg_oggopus_free(struct rg_oggopus *w);

/* The OpusHead packet (RFC 7845 section 5.1) into buf (>= 19 bytes):
 * version 1, channels, pre-skip, input rate 48000, gain 0, family 0.
 * Returns 19 or -EINVAL. */
int rg_oggopus_head(uint8_t *buf, size_t size, unsigned channels, unsigned preskip);

/* The OpusTags packet (section 5.2): vendor "roomgate" and the comments.
 * Returns its length, -EINVAL or -ENOSPC. */
int rg_oggopus_tags(uint8_t *buf, size_t size, const char *const *comments);

#endif
