/* The Ogg Opus stream writer (see oggopus.h for the timeline, the gap
 * filling and the page rules).
 *
 * Packets go through three positions: `end` is where the next packet
 * starts (everything given so far, the held packet included); the held
 * packet is the last one given, kept back so the close can submit it with
 * the end-of-stream flag; `submitted` is the end of the last packet given
 * to libogg and `page_granule` the granule position of the last page
 * emitted: their distance is the audio waiting in libogg, never more than a
 * second.
 *
 * Silence for gaps is built once per writer: a libopus encoder in
 * restricted-low-delay mode (CELT only, so every frame size from 2.5 ms
 * exists) is warmed up on zeros and then encodes 2.5, 5, 10 and 20 ms of
 * zeros; six of the 20 ms packets are joined into one 120 ms packet (the
 * longest Opus allows) for long gaps. Every one carries the CELT silence
 * flag (three bytes or so); a packet shorter than two bytes would be an
 * empty frame, which decoders treat as loss, so it is rejected. */
#include "record/oggopus.h"

#include <errno.h>
#include <ogg/ogg.h>
#include <opus.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STEP 120                        /* 2.5 ms: the Opus frame granularity */
#define PAGE_MAX (27 + 255 + 255 * 255) /* the largest Ogg page */
#define N_SIL 5
#define VENDOR "roomgate"

struct silence {
	uint8_t pkt[64];
	size_t len;
	unsigned samples;
};

struct rg_oggopus {
	ogg_stream_state os;
	rg_oggopus_sink_fn sink;
	void *sink_arg;
	int err;                    /* sticky sink/libogg error */
	bool closed;
	int64_t packetno;
	uint64_t end;
	uint64_t submitted;         /* granule of the last packet given to libogg */
	uint64_t page_granule;
	bool held;
	uint64_t held_end;
	size_t held_len;
	struct silence sil[N_SIL];  /* longest first */
	struct rg_oggopus_stats st;
	uint8_t held_pkt[RG_OGGOPUS_MAX_PACKET];
	uint8_t page[PAGE_MAX];
};

/* ------------------------------------------------------------------ */
/* Header packets (pure) */

static void put_le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

int rg_oggopus_head(uint8_t *buf, size_t size, unsigned channels, unsigned preskip)
{
	if (channels < 1 || channels > 2 || preskip > 0xffff)
		return -EINVAL;
	if (size < RG_OGGOPUS_HEAD_SIZE)
		return -ENOSPC;
	memcpy(buf, "OpusHead", 8);
	buf[8] = 1;                       /* version */
	buf[9] = (uint8_t)channels;
	put_le16(buf + 10, preskip);
	put_le32(buf + 12, RG_OGGOPUS_RATE); /* input sample rate (informational) */
	put_le16(buf + 16, 0);            /* output gain */
	buf[18] = 0;                      /* mapping family 0: mono or stereo */
	return RG_OGGOPUS_HEAD_SIZE;
}

/* RFC 7845 5.2 / Vorbis comment: a field name is ASCII 0x20..0x7D without
 * '=', followed by '=' and a UTF-8 value. */
static bool comment_ok(const char *c)
{
	const char *eq = strchr(c, '=');
	if (!eq || eq == c)
		return false;
	for (const char *k = c; k < eq; k++)
		if (*k < 0x20 || *k > 0x7d)
			return false;
	return true;
}

/* Bytes of the OpusTags packet, or -EINVAL. */
static long tags_size(const char *const *comments)
{
	size_t n = 8 + 4 + strlen(VENDOR) + 4;
	for (size_t i = 0; comments && comments[i]; i++) {
		if (!comment_ok(comments[i]))
			return -EINVAL;
		size_t l = strlen(comments[i]);
		if (l > UINT32_MAX || n + 4 + l > PAGE_MAX)
			return -EINVAL;
		n += 4 + l;
	}
	return (long)n;
}

int rg_oggopus_tags(uint8_t *buf, size_t size, const char *const *comments)
{
	long need = tags_size(comments);
	if (need < 0)
		return (int)need;
	if (size < (size_t)need)
		return -ENOSPC;
	uint8_t *p = buf;
	memcpy(p, "OpusTags", 8);
	p += 8;
	put_le32(p, (uint32_t)strlen(VENDOR));
	memcpy(p + 4, VENDOR, strlen(VENDOR));
	p += 4 + strlen(VENDOR);
	uint32_t count = 0;
	while (comments && comments[count])
		count++;
	put_le32(p, count);
	p += 4;
	for (uint32_t i = 0; i < count; i++) {
		size_t l = strlen(comments[i]);
		put_le32(p, (uint32_t)l);
		memcpy(p + 4, comments[i], l);
		p += 4 + l;
	}
	return (int)need;
}

/* ------------------------------------------------------------------ */
/* Silence */

static int encode_zeros(OpusEncoder *enc, const opus_int16 *zeros, unsigned samples,
			struct silence *s)
{
	int n = opus_encode(enc, zeros, (int)samples, s->pkt, sizeof s->pkt);
	if (n < 2 || opus_packet_get_nb_samples(s->pkt, n, RG_OGGOPUS_RATE) != (int)samples)
		return -EIO;
	s->len = (size_t)n;
	s->samples = samples;
	return 0;
}

static int join_frames(const struct silence *frame, unsigned count, struct silence *out)
{
	OpusRepacketizer *rp = opus_repacketizer_create();
	if (!rp)
		return -ENOMEM;
	int n = -1;
	for (unsigned i = 0; i < count; i++)
		if (opus_repacketizer_cat(rp, frame->pkt, (opus_int32)frame->len) != OPUS_OK)
			goto out;
	n = opus_repacketizer_out(rp, out->pkt, sizeof out->pkt);
out:
	opus_repacketizer_destroy(rp);
	if (n < 2)
		return -EIO;
	out->len = (size_t)n;
	out->samples = frame->samples * count;
	return 0;
}

static int silence_build(struct silence sil[N_SIL], unsigned channels)
{
	static const opus_int16 zeros[2 * 960];
	static const unsigned sizes[] = { 960, 480, 240, 120 };
	int err;
	OpusEncoder *enc = opus_encoder_create(RG_OGGOPUS_RATE, (int)channels,
					       OPUS_APPLICATION_RESTRICTED_LOWDELAY, &err);
	if (!enc)
		return err == OPUS_ALLOC_FAIL ? -ENOMEM : -EIO;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(24000 * (opus_int32)channels));
	opus_encoder_ctl(enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
	/* a fresh encoder may answer its first frames with empty ones */
	for (int i = 0; i < 3; i++)
		(void)encode_zeros(enc, zeros, 960, &sil[1]);
	int r = 0;
	for (unsigned i = 0; i < 4 && r == 0; i++)
		r = encode_zeros(enc, zeros, sizes[i], &sil[i + 1]);
	opus_encoder_destroy(enc);
	if (r == 0)
		r = join_frames(&sil[1], 6, &sil[0]); /* 120 ms */
	return r;
}

/* ------------------------------------------------------------------ */
/* Pages */

static int emit(struct rg_oggopus *w, const ogg_page *og)
{
	size_t n = (size_t)og->header_len + (size_t)og->body_len;
	memcpy(w->page, og->header, (size_t)og->header_len);
	memcpy(w->page + og->header_len, og->body, (size_t)og->body_len);
	int r = w->sink(w->sink_arg, w->page, n);
	if (r < 0) {
		w->err = r;
		return r;
	}
	w->st.pages++;
	w->st.bytes += n;
	if (ogg_page_granulepos(og) >= 0)
		w->page_granule = (uint64_t)ogg_page_granulepos(og);
	return 0;
}

static int pages_out(struct rg_oggopus *w, bool force)
{
	ogg_page og;
	int r = 0;
	while (r == 0 && ogg_stream_pageout(&w->os, &og))
		r = emit(w, &og);
	while (r == 0 && force && ogg_stream_flush(&w->os, &og))
		r = emit(w, &og);
	return r;
}

static int submit(struct rg_oggopus *w, const uint8_t *data, size_t len, uint64_t granule,
		  bool bos, bool eos)
{
	/* a page never spans more than a second: end the pending one first
	 * if this packet would take it beyond */
	if (w->submitted > w->page_granule && granule - w->page_granule > RG_OGGOPUS_PAGE_SAMPLES) {
		int r = pages_out(w, true);
		if (r < 0)
			return r;
	}
	w->submitted = granule;
	ogg_packet op = {
		.packet = (unsigned char *)data, /* libogg copies, never writes */
		.bytes = (long)len,
		.b_o_s = bos,
		.e_o_s = eos,
		.granulepos = (ogg_int64_t)granule,
		.packetno = w->packetno++,
	};
	if (ogg_stream_packetin(&w->os, &op) != 0) {
		w->err = -ENOMEM;
		return w->err;
	}
	return pages_out(w, eos || granule - w->page_granule >= RG_OGGOPUS_PAGE_SAMPLES);
}

/* Appends a packet of `samples` at the end; the previously held one goes
 * to libogg. */
static int put(struct rg_oggopus *w, const uint8_t *pkt, size_t len, unsigned samples)
{
	if (w->held) {
		int r = submit(w, w->held_pkt, w->held_len, w->held_end, false, false);
		if (r < 0)
			return r;
	}
	memcpy(w->held_pkt, pkt, len);
	w->held_len = len;
	w->held = true;
	w->end += samples;
	w->held_end = w->end;
	return 0;
}

static int fill_to(struct rg_oggopus *w, uint64_t until)
{
	if (until <= w->end)
		return 0;
	if (until - w->end > RG_OGGOPUS_MAX_GAP)
		return -ERANGE;
	uint64_t left = (until - w->end) / STEP * STEP;
	while (left > 0) {
		const struct silence *s = w->sil;
		while (s->samples > left)
			s++; /* sil[N_SIL - 1] is STEP samples: always found */
		int r = put(w, s->pkt, s->len, s->samples);
		if (r < 0)
			return r;
		left -= s->samples;
		w->st.fill_packets++;
		w->st.fill_samples += s->samples;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* API */

static int headers_out(struct rg_oggopus *w, unsigned channels, unsigned preskip,
		       const char *const *comments)
{
	uint8_t head[RG_OGGOPUS_HEAD_SIZE];
	int n = rg_oggopus_head(head, sizeof head, channels, preskip);
	int r = n < 0 ? n : submit(w, head, (size_t)n, 0, true, false);
	if (r == 0)
		r = pages_out(w, true);
	if (r < 0)
		return r;
	long tn = tags_size(comments);
	uint8_t *tags = tn > 0 ? malloc((size_t)tn) : NULL;
	if (!tags)
		return tn < 0 ? (int)tn : -ENOMEM;
	n = rg_oggopus_tags(tags, (size_t)tn, comments);
	r = n < 0 ? n : submit(w, tags, (size_t)n, 0, false, false);
	free(tags);
	if (r == 0)
		r = pages_out(w, true);
	return r;
}

int rg_oggopus_new(struct rg_oggopus **out, const struct rg_oggopus_params *p)
{
	if (!p || !p->sink || p->channels < 1 || p->channels > 2 || p->preskip > 0xffff ||
	    tags_size(p->comments) < 0)
		return -EINVAL;
	struct rg_oggopus *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	if (ogg_stream_init(&w->os, (int)p->serial) != 0) {
		free(w);
		return -ENOMEM;
	}
	w->sink = p->sink;
	w->sink_arg = p->sink_arg;
	w->st.first_at = UINT64_MAX;
	int r = silence_build(w->sil, p->channels);
	if (r == 0)
		r = headers_out(w, p->channels, p->preskip, p->comments);
	if (r < 0) {
		rg_oggopus_free(w);
		return r;
	}
	*out = w;
	return 0;
}

static int usable(const struct rg_oggopus *w)
{
	if (w->err)
		return w->err;
	return w->closed ? -EPIPE : 0;
}

int rg_oggopus_packet(struct rg_oggopus *w, const uint8_t *pkt, size_t len, uint64_t at)
{
	int r = usable(w);
	if (r < 0)
		return r;
	if (len > RG_OGGOPUS_MAX_PACKET) {
		w->st.dropped_invalid++;
		return -EMSGSIZE;
	}
	int samples = len ? opus_packet_get_nb_samples(pkt, (opus_int32)len, RG_OGGOPUS_RATE) : -1;
	if (samples <= 0) {
		w->st.dropped_invalid++;
		return -EBADMSG;
	}
	if (at < w->end) {
		w->st.dropped_overlap++;
		return 0;
	}
	r = fill_to(w, at);
	if (r == 0)
		r = put(w, pkt, len, (unsigned)samples);
	if (r < 0)
		return r;
	if (w->st.first_at == UINT64_MAX)
		w->st.first_at = w->end - (unsigned)samples;
	w->st.last_end = w->end;
	w->st.packets++;
	w->st.packet_bytes += len;
	return 0;
}

int rg_oggopus_fill(struct rg_oggopus *w, uint64_t until)
{
	int r = usable(w);
	return r < 0 ? r : fill_to(w, until);
}

int rg_oggopus_flush(struct rg_oggopus *w)
{
	int r = usable(w);
	return r < 0 ? r : pages_out(w, true);
}

int rg_oggopus_close(struct rg_oggopus *w, uint64_t until)
{
	int r = usable(w);
	if (r == 0)
		r = fill_to(w, until);
	if (r == 0 && !w->held) {
		const struct silence *s = &w->sil[N_SIL - 1];
		r = put(w, s->pkt, s->len, s->samples);
		w->st.fill_packets++;
		w->st.fill_samples += s->samples;
	}
	if (r == 0)
		r = submit(w, w->held_pkt, w->held_len, w->held_end, false, true);
	if (r == 0) {
		w->held = false;
		w->closed = true;
	}
	return r;
}

void rg_oggopus_stats(const struct rg_oggopus *w, struct rg_oggopus_stats *st)
{
	*st = w->st;
	st->end = w->end;
}

void rg_oggopus_free(struct rg_oggopus *w)
{
	if (!w)
		return;
	ogg_stream_clear(&w->os);
	free(w);
}
