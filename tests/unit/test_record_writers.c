/* Unit tests for record/: the Ogg Opus writer (header bytes, pages,
 * granule positions, gap filling with silence that decodes to zeros,
 * overlap drops, flush, EOS), the WAV header, and the writer thread (files
 * in a temp directory, failures reported once per file, a full queue,
 * shutdown with work still queued). Files are also checked with opusinfo,
 * ffprobe, ffmpeg and sox when they are installed; a missing tool skips
 * that check with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <ogg/ogg.h>
#include <opus.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"
#include "record/oggopus.h"
#include "record/wav.h"
#include "record/writer.h"

#define F20 960 /* 20 ms at 48 kHz */

/* ------------------------------------------------------------------ */
/* Helpers: a capturing sink, an Ogg parser, tools, temp dirs */

struct capture {
	uint8_t *buf;
	size_t len;
	unsigned calls;
	unsigned fail_at;   /* call number (1-based) that fails; 0: never */
	bool bad_page;      /* a call that did not start with "OggS" */
};

static int cap_sink(void *arg, const uint8_t *page, size_t len)
{
	struct capture *c = arg;
	c->calls++;
	if (c->fail_at && c->calls == c->fail_at)
		return -ENOSPC;
	if (len < 27 || memcmp(page, "OggS", 4) != 0)
		c->bad_page = true;
	c->buf = realloc(c->buf, c->len + len);
	assert_non_null(c->buf);
	memcpy(c->buf + c->len, page, len);
	c->len += len;
	return 0;
}

struct opkt {
	uint8_t data[256];
	size_t len;
	int64_t granule;    /* as parsed: -1 but for the last packet of a page */
	unsigned page;
	bool eos;
};

struct opage {
	int64_t granule;
	bool bos, eos;
	uint32_t serial;
	unsigned packets_ending; /* packets completed on this page */
};

struct parsed {
	struct opage pages[4096];
	unsigned npages;
	struct opkt *pkts;
	unsigned npkts;
};

static struct parsed *ogg_parse(const uint8_t *buf, size_t len)
{
	struct parsed *p = calloc(1, sizeof *p);
	p->pkts = calloc(20000, sizeof *p->pkts);
	ogg_sync_state oy;
	ogg_stream_state os;
	bool have_os = false;
	ogg_sync_init(&oy);
	char *dst = ogg_sync_buffer(&oy, (long)len);
	memcpy(dst, buf, len);
	ogg_sync_wrote(&oy, (long)len);
	ogg_page og;
	int r;
	while ((r = ogg_sync_pageout(&oy, &og)) != 0) {
		assert_int_equal(r, 1); /* no hole, no lost sync */
		assert_true(p->npages < 4096);
		struct opage *pg = &p->pages[p->npages];
		pg->granule = ogg_page_granulepos(&og);
		pg->bos = ogg_page_bos(&og);
		pg->eos = ogg_page_eos(&og);
		pg->serial = (uint32_t)ogg_page_serialno(&og);
		if (!have_os) {
			ogg_stream_init(&os, ogg_page_serialno(&og));
			have_os = true;
		}
		assert_int_equal(ogg_stream_pagein(&os, &og), 0);
		ogg_packet op;
		while ((r = ogg_stream_packetout(&os, &op)) != 0) {
			assert_int_equal(r, 1);
			assert_true(p->npkts < 20000);
			assert_true(op.bytes <= 256);
			struct opkt *k = &p->pkts[p->npkts++];
			memcpy(k->data, op.packet, (size_t)op.bytes);
			k->len = (size_t)op.bytes;
			k->granule = op.granulepos;
			k->page = p->npages;
			k->eos = op.e_o_s;
			pg->packets_ending++;
		}
		p->npages++;
	}
	if (have_os)
		ogg_stream_clear(&os);
	ogg_sync_clear(&oy);
	return p;
}

static void parsed_free(struct parsed *p)
{
	free(p->pkts);
	free(p);
}

static bool have_tool(const char *name)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
	if (system(cmd) == 0)
		return true;
	print_message("[  SKIP    ] %s is not installed: that check is skipped\n", name);
	return false;
}

/* Runs cmd, returns its output (stdout and stderr) in out; returns the exit status. */
static int run_cmd(const char *cmd, char *out, size_t size)
{
	char full[1024];
	snprintf(full, sizeof full, "%s 2>&1", cmd);
	FILE *f = popen(full, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double ffprobe_duration(const char *path)
{
	char cmd[512], out[512];
	snprintf(cmd, sizeof cmd,
		 "ffprobe -v error -show_entries format=duration -of csv=p=0 '%s'", path);
	int st = run_cmd(cmd, out, sizeof out);
	if (st != 0)
		fail_msg("ffprobe failed (%d): %s", st, out);
	return atof(out);
}

static char tmpdir[64];

static void tmpdir_make(void)
{
	strcpy(tmpdir, "/tmp/rg_record_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmpdir_remove(void)
{
	assert_int_equal(nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* ------------------------------------------------------------------ */
/* Ogg Opus: header packets and pages */

static struct rg_oggopus *ogg_new(struct capture *c, unsigned channels, unsigned preskip)
{
	struct rg_oggopus_params p = { .serial = 0x5eed, .channels = channels,
				       .preskip = preskip, .sink = cap_sink, .sink_arg = c };
	struct rg_oggopus *w = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), 0);
	assert_non_null(w);
	return w;
}

/* A fake Opus packet: the TOC decides its duration, the rest marks it. */
static size_t fake_pkt(uint8_t *buf, uint8_t toc, uint8_t mark)
{
	buf[0] = toc;
	memset(buf + 1, mark, 9);
	return 10;
}

#define TOC_CELT_FB_20 0xf8  /* config 31, mono, one frame: 960 */
#define TOC_CELT_FB_10 0xf0  /* config 30: 480 */
#define TOC_SILK_NB_60 0x18  /* config 3: 2880 */

static int pkt_samples(const struct opkt *k)
{
	return opus_packet_get_nb_samples(k->data, (opus_int32)k->len, 48000);
}

static bool is_fake(const struct opkt *k)
{
	return k->len == 10 && k->data[1] == k->data[9] && k->data[1] >= 0x40;
}

static void test_ogg_head_tags_bytes(void **state)
{
	(void)state;
	uint8_t b[64];
	static const uint8_t head[19] = { 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2,
					  0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0 };
	assert_int_equal(rg_oggopus_head(b, sizeof b, 2, 312), 19);
	assert_memory_equal(b, head, 19);
	assert_int_equal(rg_oggopus_head(b, sizeof b, 1, 0), 19);
	assert_int_equal(b[9], 1);
	assert_int_equal(b[10] | b[11], 0);
	assert_int_equal(rg_oggopus_head(b, sizeof b, 3, 0), -EINVAL);
	assert_int_equal(rg_oggopus_head(b, sizeof b, 0, 0), -EINVAL);
	assert_int_equal(rg_oggopus_head(b, sizeof b, 1, 70000), -EINVAL);
	assert_int_equal(rg_oggopus_head(b, 18, 1, 0), -ENOSPC);

	static const uint8_t tags0[] = { 'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 8, 0, 0, 0,
					 'r', 'o', 'o', 'm', 'g', 'a', 't', 'e', 0, 0, 0, 0 };
	assert_int_equal(rg_oggopus_tags(b, sizeof b, NULL), 24);
	assert_memory_equal(b, tags0, 24);
	const char *const c[] = { "ROOM=r1", "USER=ü", NULL };
	static const uint8_t tags2[] = { 'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 8, 0, 0, 0,
					 'r', 'o', 'o', 'm', 'g', 'a', 't', 'e', 2, 0, 0, 0,
					 7, 0, 0, 0, 'R', 'O', 'O', 'M', '=', 'r', '1',
					 7, 0, 0, 0, 'U', 'S', 'E', 'R', '=', 0xc3, 0xbc };
	assert_int_equal(rg_oggopus_tags(b, sizeof b, c), sizeof tags2);
	assert_memory_equal(b, tags2, sizeof tags2);
	assert_int_equal(rg_oggopus_tags(b, 30, c), -ENOSPC);
	const char *const bad1[] = { "=x", NULL };
	const char *const bad2[] = { "NOEQUALS", NULL };
	const char *const bad3[] = { "K\x7e=v", NULL };
	assert_int_equal(rg_oggopus_tags(b, sizeof b, bad1), -EINVAL);
	assert_int_equal(rg_oggopus_tags(b, sizeof b, bad2), -EINVAL);
	assert_int_equal(rg_oggopus_tags(b, sizeof b, bad3), -EINVAL);

	struct capture cap = { 0 };
	struct rg_oggopus_params p = { .channels = 1, .sink = cap_sink, .sink_arg = &cap,
				       .comments = bad2 };
	struct rg_oggopus *w = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), -EINVAL);
	p.comments = NULL;
	p.channels = 3;
	assert_int_equal(rg_oggopus_new(&w, &p), -EINVAL);
	p.channels = 1;
	p.sink = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), -EINVAL);
	assert_null(w);
	assert_int_equal(cap.calls, 0);
}

static void test_ogg_header_pages(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	const char *const c[] = { "ROOM=r1", NULL };
	struct rg_oggopus_params p = { .serial = 0xdeadbeef, .channels = 2, .preskip = 312,
				       .comments = c, .sink = cap_sink, .sink_arg = &cap };
	struct rg_oggopus *w = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), 0);
	assert_int_equal(cap.calls, 2); /* OpusHead and OpusTags, one page each */
	assert_false(cap.bad_page);
	assert_int_equal(rg_oggopus_close(w, 0), 0);
	struct parsed *ps = ogg_parse(cap.buf, cap.len);
	assert_int_equal(ps->npages, 3);
	assert_true(ps->pages[0].bos);
	assert_false(ps->pages[0].eos);
	assert_int_equal(ps->pages[0].granule, 0);
	assert_int_equal(ps->pages[0].packets_ending, 1);
	assert_int_equal(ps->pages[0].serial, 0xdeadbeef);
	uint8_t head[19];
	rg_oggopus_head(head, sizeof head, 2, 312);
	assert_int_equal(ps->pkts[0].len, 19);
	assert_memory_equal(ps->pkts[0].data, head, 19);
	assert_false(ps->pages[1].bos);
	assert_int_equal(ps->pages[1].granule, 0);
	assert_int_equal(ps->pages[1].packets_ending, 1);
	uint8_t tags[64];
	int n = rg_oggopus_tags(tags, sizeof tags, c);
	assert_int_equal(ps->pkts[1].len, (size_t)n);
	assert_memory_equal(ps->pkts[1].data, tags, (size_t)n);
	/* closed without audio: one 2.5 ms silent packet on an EOS page */
	assert_true(ps->pages[2].eos);
	assert_false(ps->pages[2].bos);
	assert_int_equal(ps->pages[2].granule, 120);
	assert_int_equal(ps->npkts, 3);
	assert_int_equal(pkt_samples(&ps->pkts[2]), 120);
	assert_true(ps->pkts[2].len >= 2); /* a coded frame, not an empty one */
	assert_int_equal(rg_oggopus_close(w, 0), -EPIPE);
	assert_int_equal(rg_oggopus_flush(w), -EPIPE);
	parsed_free(ps);
	rg_oggopus_free(w);
	free(cap.buf);
}

/* Packets with a gap that is not a multiple of 2.5 ms, a second gap, and
 * a late first packet: granule positions, fill durations and placement. */
static void test_ogg_granules_and_gaps(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	struct rg_oggopus *w = ogg_new(&cap, 1, 0);
	uint8_t pk[16];
	uint8_t mark = 0x40;
	/* the stream's first packet comes 1 s late: 48000 of silence first */
	uint64_t at = 48000;
	for (int i = 0; i < 10; i++, at += F20)
		assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, mark++), at), 0);
	/* a gap of 1 s + 290 samples: filled with 48240 (steps of 120), the
	 * next packet placed 50 samples before its position */
	at += 48000 + 290;
	uint64_t placed = at - 50;
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_10, mark++), at), 0);
	at += 480;
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_SILK_NB_60, mark++), at), 0);
	at += 2880;
	/* 7 s gap: 120 ms packets, then 20 ms ones */
	at += 7 * 48000;
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, mark++), at), 0);
	at += F20;
	struct rg_oggopus_stats st;
	rg_oggopus_stats(w, &st);
	assert_int_equal(st.packets, 13);
	assert_int_equal(st.first_at, 48000);
	assert_int_equal(st.end, at - 50);
	assert_int_equal(st.last_end, at - 50);
	assert_int_equal(st.fill_samples, 48000 + 48240 + 7 * 48000);
	assert_int_equal(rg_oggopus_close(w, 0), 0);
	rg_oggopus_stats(w, &st);
	assert_int_equal(st.bytes, cap.len);
	assert_int_equal(st.pages, cap.calls);

	struct parsed *ps = ogg_parse(cap.buf, cap.len);
	uint64_t pos = 0, fill = 0, fill_pkts = 0;
	unsigned real = 0;
	uint64_t real_at[13];
	for (unsigned i = 2; i < ps->npkts; i++) {
		const struct opkt *k = &ps->pkts[i];
		int n = pkt_samples(k);
		assert_true(n > 0);
		if (is_fake(k)) {
			assert_int_equal(k->data[1], 0x40 + real);
			real_at[real++] = pos;
		} else {
			fill += (uint64_t)n;
			fill_pkts++;
			assert_true(k->len >= 2 && k->len < 64);
		}
		pos += (uint64_t)n;
		if (k->granule >= 0) /* last packet of its page: the page's granule */
			assert_int_equal(k->granule, pos);
		assert_int_equal(k->eos, i == ps->npkts - 1);
	}
	assert_int_equal(real, 13);
	assert_int_equal(fill, st.fill_samples);
	assert_int_equal(fill_pkts, st.fill_packets);
	assert_int_equal(real_at[0], 48000);
	assert_int_equal(real_at[9], 48000 + 9 * F20);
	assert_int_equal(real_at[10], placed);
	assert_int_equal(real_at[11], placed + 480);
	assert_int_equal(real_at[12], placed + 480 + 2880 + 7 * 48000);
	assert_int_equal(pos, st.end);
	/* one fill packet per 120 ms for the long gap, not per 20 ms */
	assert_true(fill_pkts < 2 * (48000 + 48240 + 7 * 48000) / 5760 + 20);
	/* pages: BOS first only, EOS last only, granules rising, none above a
	 * second of audio, last = the end */
	int64_t prev = 0;
	for (unsigned i = 0; i < ps->npages; i++) {
		assert_int_equal(ps->pages[i].bos, i == 0);
		assert_int_equal(ps->pages[i].eos, i == ps->npages - 1);
		if (ps->pages[i].granule >= 0) {
			assert_true(ps->pages[i].granule >= prev);
			assert_true(ps->pages[i].granule - prev <= 48000);
			prev = ps->pages[i].granule;
		}
	}
	assert_int_equal(prev, st.end);
	parsed_free(ps);
	rg_oggopus_free(w);
	free(cap.buf);
}

static void test_ogg_drops_and_invalid(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	struct rg_oggopus *w = ogg_new(&cap, 2, 0);
	uint8_t pk[16];
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x40), 0), 0);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x41), F20), 0);
	/* duplicate, reordered, overlapping the end by half a packet */
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x50), F20), 0);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x51), 0), 0);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x52), F20 + 480), 0);
	/* contiguous again */
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x42), 2 * F20), 0);
	/* not Opus: empty, a TOC whose frame count byte is missing, too long */
	static uint8_t big[RG_OGGOPUS_MAX_PACKET + 1];
	big[0] = TOC_CELT_FB_20;
	uint8_t code3[1] = { TOC_CELT_FB_20 | 3 };
	assert_int_equal(rg_oggopus_packet(w, pk, 0, 3 * F20), -EBADMSG);
	assert_int_equal(rg_oggopus_packet(w, code3, 1, 3 * F20), -EBADMSG);
	assert_int_equal(rg_oggopus_packet(w, big, sizeof big, 3 * F20), -EMSGSIZE);
	/* absurd jump */
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x43),
					   3 * F20 + RG_OGGOPUS_MAX_GAP + 120), -ERANGE);
	struct rg_oggopus_stats st;
	rg_oggopus_stats(w, &st);
	assert_int_equal(st.packets, 3);
	assert_int_equal(st.dropped_overlap, 3);
	assert_int_equal(st.dropped_invalid, 3);
	assert_int_equal(st.fill_packets, 0);
	assert_int_equal(st.end, 3 * F20);
	/* still usable */
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x43), 3 * F20), 0);
	assert_int_equal(rg_oggopus_close(w, 0), 0);
	struct parsed *ps = ogg_parse(cap.buf, cap.len);
	assert_int_equal(ps->npkts, 6);
	for (unsigned i = 2; i < 6; i++)
		assert_int_equal(ps->pkts[i].data[1], 0x40 + i - 2);
	assert_int_equal(ps->pages[ps->npages - 1].granule, 4 * F20);
	parsed_free(ps);
	rg_oggopus_free(w);
	free(cap.buf);
}

static void test_ogg_flush_fill_close(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	struct rg_oggopus *w = ogg_new(&cap, 1, 312);
	uint8_t pk[16];
	assert_int_equal(cap.calls, 2);
	assert_int_equal(rg_oggopus_flush(w), 0); /* nothing pending: no page */
	assert_int_equal(cap.calls, 2);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, (uint8_t)(0x40 + i)),
						   (uint64_t)i * F20), 0);
	assert_int_equal(cap.calls, 2); /* small packets: libogg waits for more */
	assert_int_equal(rg_oggopus_flush(w), 0);
	assert_int_equal(cap.calls, 3);
	struct parsed *ps = ogg_parse(cap.buf, cap.len);
	assert_int_equal(ps->npages, 3);
	/* the last packet is held back for the EOS flag */
	assert_int_equal(ps->pages[2].packets_ending, 2);
	assert_int_equal(ps->pages[2].granule, 2 * F20);
	assert_false(ps->pages[2].eos);
	parsed_free(ps);

	/* fill with no packet: rounded down to 120, packets then late are dropped */
	assert_int_equal(rg_oggopus_fill(w, 48000 + 100), 0);
	struct rg_oggopus_stats st;
	rg_oggopus_stats(w, &st);
	assert_int_equal(st.end, 48000);
	assert_int_equal(st.fill_samples, 48000 - 3 * F20);
	assert_int_equal(rg_oggopus_fill(w, 1000), 0); /* behind: nothing */
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x50), 47000), 0);
	rg_oggopus_stats(w, &st);
	assert_int_equal(st.dropped_overlap, 1);
	assert_int_equal(rg_oggopus_fill(w, st.end + RG_OGGOPUS_MAX_GAP + 120), -ERANGE);
	/* close extends to 2 s, the last fill packet carries EOS */
	assert_int_equal(rg_oggopus_close(w, 96000), 0);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x51), 96000), -EPIPE);
	assert_int_equal(rg_oggopus_fill(w, 200000), -EPIPE);
	ps = ogg_parse(cap.buf, cap.len);
	assert_true(ps->pages[ps->npages - 1].eos);
	assert_int_equal(ps->pages[ps->npages - 1].granule, 96000);
	assert_false(is_fake(&ps->pkts[ps->npkts - 1]));
	/* at most a second of audio per page even for tiny packets */
	for (unsigned i = 3; i < ps->npages; i++)
		assert_true(ps->pages[i].granule - ps->pages[i - 1].granule <= 48000);
	parsed_free(ps);
	rg_oggopus_free(w);
	free(cap.buf);
}

static void test_ogg_sink_error_sticks(void **state)
{
	(void)state;
	struct capture cap = { .fail_at = 1 };
	struct rg_oggopus_params p = { .channels = 1, .sink = cap_sink, .sink_arg = &cap };
	struct rg_oggopus *w = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), -ENOSPC);
	assert_null(w);

	cap = (struct capture){ .fail_at = 3 };
	w = ogg_new(&cap, 1, 0);
	uint8_t pk[16];
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x40), 0), 0);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x41), F20), 0);
	assert_int_equal(rg_oggopus_flush(w), -ENOSPC);
	assert_int_equal(rg_oggopus_packet(w, pk, fake_pkt(pk, TOC_CELT_FB_20, 0x42), 2 * F20), -ENOSPC);
	assert_int_equal(rg_oggopus_fill(w, 48000), -ENOSPC);
	assert_int_equal(rg_oggopus_close(w, 0), -ENOSPC);
	rg_oggopus_free(w);
	free(cap.buf);
	rg_oggopus_free(NULL);
}

/* Every kind of silence packet (120 ms, 20, 10, 5 and 2.5 ms), mono and
 * stereo, is a coded frame that a fresh decoder turns into exact zeros. */
static void test_ogg_silence_packets(void **state)
{
	(void)state;
	for (unsigned ch = 1; ch <= 2; ch++) {
		struct capture cap = { 0 };
		struct rg_oggopus *w = ogg_new(&cap, ch, 0);
		assert_int_equal(rg_oggopus_fill(w, 5760 + 960 + 480 + 240 + 120), 0);
		assert_int_equal(rg_oggopus_close(w, 0), 0);
		struct parsed *ps = ogg_parse(cap.buf, cap.len);
		assert_int_equal(ps->npkts, 2 + 5);
		static const int sizes[5] = { 5760, 960, 480, 240, 120 }; /* longest first */
		for (unsigned i = 2; i < ps->npkts; i++) {
			const struct opkt *k = &ps->pkts[i];
			int n = pkt_samples(k);
			assert_int_equal(n, sizes[i - 2]);
			assert_true(k->len >= 2);
			int err;
			OpusDecoder *d = opus_decoder_create(48000, (int)ch, &err);
			opus_int16 pcm[2 * 5760];
			assert_int_equal(opus_decode(d, k->data, (opus_int32)k->len, pcm, 5760, 0), n);
			for (int j = 0; j < n * (int)ch; j++)
				assert_int_equal(pcm[j], 0);
			opus_decoder_destroy(d);
		}
		parsed_free(ps);
		rg_oggopus_free(w);
		free(cap.buf);
	}
}

/* ------------------------------------------------------------------ */
/* Ogg Opus: real audio, decoded, and checked by the tools */

struct tone {
	OpusEncoder *enc;
	double phase;
};

static size_t tone_packet(struct tone *t, uint8_t *out, size_t size)
{
	opus_int16 pcm[F20];
	for (int i = 0; i < F20; i++) {
		pcm[i] = (opus_int16)(12000 * sin(t->phase));
		t->phase += 2 * M_PI * 440 / 48000;
	}
	int n = opus_encode(t->enc, pcm, F20, out, (opus_int32)size);
	assert_true(n > 2);
	return (size_t)n;
}

/* 1 s of tone, 1 s lost, 1 s of tone, 0.5 s lost before the close; our
 * encoder, so pre-skip 312 and positions = encoder input sample index. */
static void build_tone_file(struct capture *cap)
{
	int err;
	struct tone t = { opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err), 0 };
	assert_non_null(t.enc);
	const char *const c[] = { "ROOM=tone", NULL };
	struct rg_oggopus_params p = { .serial = 7, .channels = 1,
				       .preskip = RG_OGGOPUS_PRESKIP_ENCODER, .comments = c,
				       .sink = cap_sink, .sink_arg = cap };
	struct rg_oggopus *w = NULL;
	assert_int_equal(rg_oggopus_new(&w, &p), 0);
	uint8_t pk[1500];
	for (int i = 0; i < 150; i++) {
		size_t n = tone_packet(&t, pk, sizeof pk);
		if (i >= 50 && i < 100)
			continue; /* lost */
		assert_int_equal(rg_oggopus_packet(w, pk, n, (uint64_t)i * F20), 0);
		if (i % 50 == 49)
			assert_int_equal(rg_oggopus_flush(w), 0);
	}
	assert_int_equal(rg_oggopus_close(w, 3.5 * 48000), 0);
	rg_oggopus_free(w);
	opus_encoder_destroy(t.enc);
}

static void test_ogg_gap_decodes_to_silence(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	build_tone_file(&cap);
	struct parsed *ps = ogg_parse(cap.buf, cap.len);
	int err;
	OpusDecoder *dec = opus_decoder_create(48000, 1, &err);
	assert_non_null(dec);
	size_t total = 3 * 48000 + 24000;
	opus_int16 *pcm = calloc(total + 5760, sizeof *pcm);
	size_t pos = 0;
	for (unsigned i = 2; i < ps->npkts; i++) {
		/* every fill packet alone decodes to exact zeros, in a fresh decoder too */
		if (i > 2 && ps->pkts[i].len < 64 && pos > 48000 && pos < 96000) {
			OpusDecoder *fresh = opus_decoder_create(48000, 1, &err);
			opus_int16 z[5760];
			int m = opus_decode(fresh, ps->pkts[i].data, (opus_int32)ps->pkts[i].len, z, 5760, 0);
			assert_true(m > 0);
			for (int j = 0; j < m; j++)
				assert_int_equal(z[j], 0);
			opus_decoder_destroy(fresh);
		}
		int n = opus_decode(dec, ps->pkts[i].data, (opus_int32)ps->pkts[i].len, pcm + pos, 5760, 0);
		assert_true(n > 0);
		pos += (size_t)n;
	}
	assert_int_equal(pos, total);
	/* playback = decoded - pre-skip: the tone until 1 s, silence to 2 s */
	const opus_int16 *play = pcm + RG_OGGOPUS_PRESKIP_ENCODER;
	int peak_tone = 0, peak_gap = 0, peak_tail = 0;
	for (size_t s = 24000; s < 47000; s++)
		peak_tone = abs(play[s]) > peak_tone ? abs(play[s]) : peak_tone;
	/* after the last tone packet ends (decoded 48000), one CELT overlap of
	 * fade-out; the rest of the gap is digital silence */
	for (size_t s = 48000 + 480; s < 96000; s++)
		peak_gap = abs(pcm[s]) > peak_gap ? abs(pcm[s]) : peak_gap;
	for (size_t s = 144000 + 480; s < total; s++)
		peak_tail = abs(pcm[s]) > peak_tail ? abs(pcm[s]) : peak_tail;
	assert_true(peak_tone > 8000);
	if (peak_gap != 0 || peak_tail != 0)
		fail_msg("gap not silent: peak %d in the gap, %d at the end", peak_gap, peak_tail);
	free(pcm);
	opus_decoder_destroy(dec);
	parsed_free(ps);
	free(cap.buf);
}

static void test_ogg_file_tools(void **state)
{
	(void)state;
	struct capture cap = { 0 };
	build_tone_file(&cap);
	tmpdir_make();
	char path[128], cmd[512], out[8192];
	snprintf(path, sizeof path, "%s/tone.opus", tmpdir);
	write_file(path, cap.buf, cap.len);
	/* granule of the last page 168000, less pre-skip 312 */
	double expect = (168000.0 - 312) / 48000;
	if (have_tool("opusinfo")) {
		snprintf(cmd, sizeof cmd, "opusinfo '%s'", path);
		int st = run_cmd(cmd, out, sizeof out);
		if (st != 0 || strstr(out, "WARNING") || strstr(out, "ERROR"))
			fail_msg("opusinfo (%d):\n%s", st, out);
		const char *pl = strstr(out, "Playback length: ");
		assert_non_null(pl);
		int m = 0;
		double s = 0;
		assert_int_equal(sscanf(pl, "Playback length: %dm:%lfs", &m, &s), 2);
		if (fabs(m * 60 + s - expect) > 0.002)
			fail_msg("opusinfo length %dm:%.3fs, expected %.3f s:\n%s", m, s, expect, out);
		assert_non_null(strstr(out, "Pre-skip: 312"));
		assert_non_null(strstr(out, "ROOM=tone"));
	}
	if (have_tool("ffprobe")) {
		/* ffprobe gives the last granule position over 48000 and does
		 * not subtract the pre-skip (ffmpeg's decoder does: see the
		 * sample count below); either reading is accepted */
		double d = ffprobe_duration(path);
		if (d < expect - 0.002 || d > 3.5 + 0.002)
			fail_msg("ffprobe duration %.6f, expected %.6f (3.5 with pre-skip)", d, expect);
	}
	if (have_tool("ffmpeg")) {
		/* a full decode without complaint, and the samples it gives */
		snprintf(cmd, sizeof cmd,
			 "ffmpeg -nostdin -v error -i '%s' -f s16le -ac 1 -ar 48000 '%s/tone.raw'",
			 path, tmpdir);
		int st = run_cmd(cmd, out, sizeof out);
		if (st != 0 || out[0])
			fail_msg("ffmpeg decode (%d): %s", st, out);
		snprintf(path, sizeof path, "%s/tone.raw", tmpdir);
		size_t len = 0;
		uint8_t *raw = read_file(path, &len);
		assert_non_null(raw);
		assert_int_equal(len / 2, 168000 - 312);
		free(raw);
	}
	tmpdir_remove();
	free(cap.buf);
}

/* ------------------------------------------------------------------ */
/* WAV */

static void test_wav_header_bytes(void **state)
{
	(void)state;
	uint8_t h[RG_WAV_HEADER_SIZE];
	static const uint8_t mono[44] = {
		'R', 'I', 'F', 'F', 0x24, 0x77, 0x01, 0x00, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0,
		0x80, 0xbb, 0x00, 0x00, 0x00, 0x77, 0x01, 0x00, 2, 0, 16, 0,
		'd', 'a', 't', 'a', 0x00, 0x77, 0x01, 0x00,
	}; /* 48 kHz mono, 1 s = 96000 (0x17700) bytes */
	assert_int_equal(rg_wav_header(h, 48000, 1, 96000), 44);
	assert_memory_equal(h, mono, 44);
	static const uint8_t stereo[44] = {
		'R', 'I', 'F', 'F', 0xff, 0xff, 0xff, 0xff, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 2, 0,
		0x44, 0xac, 0x00, 0x00, 0x10, 0xb1, 0x02, 0x00, 4, 0, 16, 0,
		'd', 'a', 't', 'a', 0xff, 0xff, 0xff, 0xff,
	}; /* 44.1 kHz stereo, sizes unknown */
	assert_int_equal(rg_wav_header(h, 44100, 2, RG_WAV_SIZE_UNKNOWN), 44);
	assert_memory_equal(h, stereo, 44);
	/* the largest size that fits, and one above it */
	assert_int_equal(rg_wav_header(h, 48000, 1, RG_WAV_MAX_DATA), 44);
	assert_memory_equal(h + 4, "\xff\xff\xff\xff", 4);
	assert_memory_equal(h + 40, "\xdb\xff\xff\xff", 4);
	assert_int_equal(rg_wav_header(h, 48000, 1, RG_WAV_MAX_DATA + 1), 44);
	assert_memory_equal(h + 40, "\xff\xff\xff\xff", 4);
	assert_int_equal(rg_wav_header(h, 48000, 1, 0), 44);
	assert_memory_equal(h + 4, "\x24\0\0\0", 4);
	assert_memory_equal(h + 40, "\0\0\0\0", 4);
	assert_int_equal(rg_wav_header(h, 0, 1, 0), -EINVAL);
	assert_int_equal(rg_wav_header(h, 48000, 0, 0), -EINVAL);
	assert_int_equal(rg_wav_header(h, 48000, 9, 0), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Writer thread */

static struct rg_loop *loop;

struct reports {
	struct rg_writer_report r[64];
	unsigned n;
};

static void on_report(void *arg, const struct rg_writer_report *r)
{
	struct reports *rs = arg;
	assert_true(rg_loop_is_current(loop));
	assert_true(rs->n < 64);
	rs->r[rs->n++] = *r;
}

static void wait_reports(struct reports *rs, unsigned n)
{
	int64_t until = rg_mono_us() + 5000000;
	while (rs->n < n && rg_mono_us() < until) {
		rg_loop_drain(loop);
		usleep(1000);
	}
	if (rs->n < n)
		fail_msg("%u reports, expected %u", rs->n, n);
}

static const struct rg_writer_report *report_of(const struct reports *rs, uint32_t file)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->r[i].file == file)
			return &rs->r[i];
	return NULL;
}

static struct rg_writer *writer_new(struct reports *rs, size_t bytes, unsigned ops, unsigned drain)
{
	struct rg_writer_cfg cfg = { .queue_bytes = bytes, .queue_ops = ops, .drain_ms = drain,
				     .loop = loop, .report = on_report, .report_arg = rs };
	struct rg_writer *w = NULL;
	assert_int_equal(rg_writer_new(&w, &cfg), 0);
	return w;
}

static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_writer_files(void **state)
{
	(void)state;
	tmpdir_make();
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 0, 0, 2000);
	char a[128], b[128], b2[128], c[128];
	snprintf(a, sizeof a, "%s/a.bin", tmpdir);
	snprintf(b, sizeof b, "%s/b.part", tmpdir);
	snprintf(b2, sizeof b2, "%s/b.json", tmpdir);
	snprintf(c, sizeof c, "%s/sub/dir/c.bin", tmpdir);
	uint32_t fa = 0, fb = 0, fc = 0;
	int fl = O_WRONLY | O_CREAT | O_TRUNC;
	assert_int_equal(rg_writer_open(w, a, fl, 0644, false, &fa), 0);
	assert_int_equal(rg_writer_open(w, b, fl, 0644, false, &fb), 0);
	assert_int_equal(rg_writer_open(w, c, fl, 0644, true, &fc), 0);
	assert_true(fa && fb && fc && fa != fb && fb != fc);
	for (int i = 0; i < 100; i++) {
		uint8_t chunk[100];
		memset(chunk, i, sizeof chunk);
		assert_int_equal(rg_writer_write(w, fa, chunk, sizeof chunk), 0);
		assert_int_equal(rg_writer_write(w, fc, chunk, (size_t)i), 0);
	}
	assert_int_equal(rg_writer_pwrite(w, fa, 0, "HEAD", 4), 0);
	assert_int_equal(rg_writer_write(w, fb, "{\"x\":", 5), 0);
	assert_int_equal(rg_writer_sync(w, fb), 0);
	assert_int_equal(rg_writer_rename(w, fb, b2), 0);
	assert_int_equal(rg_writer_write(w, fb, "1}", 2), 0);
	assert_int_equal(rg_writer_sync(w, fa), 0);
	assert_int_equal(rg_writer_close(w, fa), 0);
	assert_int_equal(rg_writer_close(w, fb), 0);
	assert_int_equal(rg_writer_close(w, fc), 0);
	wait_reports(&rs, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(rs.r[i].op, RG_WRITER_CLOSE);
		assert_int_equal(rs.r[i].err, 0);
	}
	assert_int_equal(rs.r[0].file, fa); /* in queue order */
	assert_int_equal(report_of(&rs, fa)->size, 10000);
	assert_int_equal(report_of(&rs, fb)->size, 7);
	assert_int_equal(report_of(&rs, fc)->size, 4950);
	struct rg_writer_stats st;
	rg_writer_stats(w, &st);
	assert_int_equal(st.bytes, 10000 + 4 + 7 + 4950);
	assert_int_equal(st.files_open, 0);
	assert_int_equal(st.files_failed, 0);
	assert_int_equal(st.discarded, 0);
	assert_int_equal(st.queued_ops, 0);
	assert_int_equal(st.queued_bytes, 0);
	rg_writer_free(w);

	size_t len;
	uint8_t *d = read_file(a, &len);
	assert_int_equal(len, 10000);
	assert_memory_equal(d, "HEAD", 4);
	for (size_t i = 4; i < len; i++)
		assert_int_equal(d[i], i / 100);
	free(d);
	assert_null(read_file(b, &len));
	d = read_file(b2, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(d, "{\"x\":1}", 7);
	free(d);
	d = read_file(c, &len);
	assert_int_equal(len, 4950);
	free(d);
	tmpdir_remove();
}

static void test_writer_failures(void **state)
{
	(void)state;
	tmpdir_make();
	struct reports rs = { 0 };
	unsigned fds = open_fds();
	struct rg_writer *w = writer_new(&rs, 0, 0, 2000);
	char regular[128], under[128], missing[128], good[128];
	snprintf(regular, sizeof regular, "%s/regular", tmpdir);
	snprintf(under, sizeof under, "%s/regular/x.ogg", tmpdir);
	snprintf(missing, sizeof missing, "%s/nodir/x.ogg", tmpdir);
	snprintf(good, sizeof good, "%s/good.ogg", tmpdir);
	write_file(regular, (const uint8_t *)"x", 1);
	int fl = O_WRONLY | O_CREAT | O_TRUNC;
	uint32_t f_under, f_missing, f_full, f_mk, f_good, f_excl;
	assert_int_equal(rg_writer_open(w, under, fl, 0644, false, &f_under), 0);
	assert_int_equal(rg_writer_open(w, missing, fl, 0644, false, &f_missing), 0);
	assert_int_equal(rg_writer_open(w, "/dev/full", O_WRONLY, 0, false, &f_full), 0);
	assert_int_equal(rg_writer_open(w, under, fl, 0644, true, &f_mk), 0); /* mkdir over a file */
	assert_int_equal(rg_writer_open(w, good, fl, 0644, false, &f_good), 0);
	assert_int_equal(rg_writer_open(w, regular, fl | O_EXCL, 0644, false, &f_excl), 0);
	uint32_t all[] = { f_under, f_missing, f_full, f_mk, f_good, f_excl };
	for (int i = 0; i < 10; i++)
		for (unsigned j = 0; j < 6; j++)
			assert_int_equal(rg_writer_write(w, all[j], "0123456789", 10), 0);
	assert_int_equal(rg_writer_sync(w, f_full), 0);
	assert_int_equal(rg_writer_write(w, 9999, "zz", 2), 0); /* unknown id */
	for (unsigned j = 0; j < 6; j++)
		assert_int_equal(rg_writer_close(w, all[j]), 0);
	wait_reports(&rs, 6);
	usleep(20000);
	rg_loop_drain(loop);
	assert_int_equal(rs.n, 6); /* one per file, nothing more */
	const struct rg_writer_report *r = report_of(&rs, f_under);
	assert_int_equal(r->op, RG_WRITER_OPEN);
	assert_int_equal(r->err, -ENOTDIR);
	r = report_of(&rs, f_missing);
	assert_int_equal(r->op, RG_WRITER_OPEN);
	assert_int_equal(r->err, -ENOENT);
	r = report_of(&rs, f_full);
	assert_int_equal(r->op, RG_WRITER_WRITE);
	assert_int_equal(r->err, -ENOSPC);
	r = report_of(&rs, f_mk);
	assert_int_equal(r->op, RG_WRITER_OPEN);
	assert_true(r->err == -EEXIST || r->err == -ENOTDIR);
	r = report_of(&rs, f_excl);
	assert_int_equal(r->err, -EEXIST);
	r = report_of(&rs, f_good);
	assert_int_equal(r->op, RG_WRITER_CLOSE);
	assert_int_equal(r->err, 0);
	assert_int_equal(r->size, 100);
	struct rg_writer_stats st;
	rg_writer_stats(w, &st);
	assert_int_equal(st.files_failed, 5);
	/* writes of the five failed files (the one to /dev/full that failed is
	 * not counted), their sync, and the unknown id */
	assert_int_equal(st.discarded, 4 * 10 + 9 + 1 + 1);
	assert_int_equal(st.files_open, 0);
	rg_writer_free(w);
	assert_int_equal(open_fds(), fds);
	tmpdir_remove();
}

/* A FIFO whose reader does not read holds the writer thread inside write(). */
struct fifo {
	char path[128];
	int rfd;
};

static void fifo_open(struct fifo *f)
{
	snprintf(f->path, sizeof f->path, "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	f->rfd = open(f->path, O_RDONLY | O_NONBLOCK);
	assert_true(f->rfd >= 0);
	assert_true(fcntl(f->rfd, F_SETPIPE_SZ, 4096) >= 0);
}

/* Reads until n bytes came or the writer closed its end. */
static size_t fifo_read(struct fifo *f, uint8_t *buf, size_t n)
{
	size_t got = 0;
	int64_t until = rg_mono_us() + 5000000;
	while (got < n && rg_mono_us() < until) {
		ssize_t r = read(f->rfd, buf + got, n - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 && got > 0)
			break; /* EOF */
		else
			usleep(1000);
	}
	return got;
}

static void test_writer_queue_full(void **state)
{
	(void)state;
	tmpdir_make();
	struct fifo ff;
	fifo_open(&ff);
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 64 * 1024, 0, 2000);
	uint32_t fp, other;
	assert_int_equal(rg_writer_open(w, ff.path, O_WRONLY, 0, false, &fp), 0);
	static uint8_t chunk[8192];
	uint8_t expect[200 * 1024];
	size_t queued = 0;
	int r;
	unsigned k = 0;
	for (;;) {
		memset(chunk, (int)(k++ & 0xff), sizeof chunk);
		r = rg_writer_write(w, fp, chunk, sizeof chunk);
		if (r != 0)
			break;
		memcpy(expect + queued, chunk, sizeof chunk);
		queued += sizeof chunk;
		assert_true(queued < sizeof expect);
	}
	assert_int_equal(r, -ENOBUFS);
	/* at most the queue plus what the blocked thread holds */
	assert_true(queued <= 64 * 1024 + 2 * sizeof chunk);
	assert_true(queued >= 6 * sizeof chunk);
	assert_int_equal(rg_writer_write(w, fp, chunk, 64 * 1024), -EMSGSIZE);
	char path[128];
	snprintf(path, sizeof path, "%s/other", tmpdir);
	/* a small open may still fit; its close always does, and so does the fifo's */
	r = rg_writer_open(w, path, O_WRONLY | O_CREAT, 0644, false, &other);
	assert_true(r == 0 || r == -ENOBUFS);
	bool have_other = r == 0;
	while (rg_writer_write(w, fp, "x", 1) == 0) {
		expect[queued++] = 'x';
	}
	if (have_other)
		assert_int_equal(rg_writer_close(w, other), 0);
	assert_int_equal(rg_writer_close(w, fp), 0);
	struct rg_writer_stats st;
	rg_writer_stats(w, &st);
	assert_true(st.rejected >= 2);
	assert_true(st.queued_bytes <= 64 * 1024);
	/* let it drain: everything arrives in order */
	uint8_t *got = malloc(sizeof expect);
	size_t n = fifo_read(&ff, got, queued + 1);
	assert_int_equal(n, queued);
	assert_memory_equal(got, expect, queued);
	free(got);
	wait_reports(&rs, have_other ? 2 : 1);
	rg_writer_free(w);
	close(ff.rfd);
	tmpdir_remove();
}

static void test_writer_ops_limit(void **state)
{
	(void)state;
	tmpdir_make();
	struct fifo ff;
	fifo_open(&ff);
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 1 << 20, 4, 2000);
	uint32_t fp;
	static uint8_t big[16384];
	assert_int_equal(rg_writer_open(w, ff.path, O_WRONLY, 0, false, &fp), 0);
	assert_int_equal(rg_writer_write(w, fp, big, sizeof big), 0); /* blocks the thread */
	/* wait until the thread holds it (the open is done, the write in progress) */
	struct rg_writer_stats st;
	int64_t until = rg_mono_us() + 5000000;
	do {
		usleep(1000);
		rg_writer_stats(w, &st);
	} while (st.ops < 1 && rg_mono_us() < until);
	int accepted = 0, r;
	while ((r = rg_writer_write(w, fp, "y", 1)) == 0)
		accepted++;
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(accepted, 3); /* 4 queued: the blocked write and 3 more */
	assert_int_equal(rg_writer_close(w, fp), 0); /* beyond the count: closes pass */
	static uint8_t got[sizeof big + 8];
	assert_int_equal(fifo_read(&ff, got, sizeof got), sizeof big + 3);
	wait_reports(&rs, 1);
	assert_int_equal(rs.r[0].err, 0);
	rg_writer_free(w);
	close(ff.rfd);
	tmpdir_remove();
}

struct reader_arg {
	struct fifo *f;
	size_t n;
};

static void *reader_main(void *arg)
{
	struct reader_arg *ra = arg;
	static uint8_t sink[1 << 20];
	usleep(100000); /* while rg_writer_free waits */
	ra->n = fifo_read(ra->f, sink, sizeof sink);
	return NULL;
}

static void test_writer_shutdown_discards(void **state)
{
	(void)state;
	tmpdir_make();
	unsigned fds = open_fds();
	struct fifo ff;
	fifo_open(&ff);
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 1 << 20, 0, 0);
	uint32_t fp, fl[5];
	static uint8_t big[16384];
	assert_int_equal(rg_writer_open(w, ff.path, O_WRONLY, 0, false, &fp), 0);
	assert_int_equal(rg_writer_write(w, fp, big, sizeof big), 0);
	/* wait until the thread is inside that write: the pipe has data */
	int avail = 0;
	int64_t until = rg_mono_us() + 5000000;
	while (avail == 0 && rg_mono_us() < until) {
		usleep(1000);
		assert_int_equal(ioctl(ff.rfd, FIONREAD, &avail), 0);
	}
	assert_true(avail > 0);
	char path[128];
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/late%d", tmpdir, i);
		assert_int_equal(rg_writer_open(w, path, O_WRONLY | O_CREAT, 0644, false, &fl[i]), 0);
		for (int j = 0; j < 100; j++)
			assert_int_equal(rg_writer_write(w, fl[i], big, 1000), 0);
	}
	/* never closed: the writer closes what is open when it stops */
	pthread_t reader;
	struct reader_arg ra = { &ff, 0 };
	assert_int_equal(pthread_create(&reader, NULL, reader_main, &ra), 0);
	rg_writer_free(w); /* drain_ms 0: the blocked write ends, the rest goes */
	pthread_join(reader, NULL);
	assert_int_equal(ra.n, sizeof big);
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/late%d", tmpdir, i);
		assert_int_equal(access(path, F_OK), -1);
	}
	rg_loop_drain(loop);
	assert_int_equal(rs.n, 0); /* nothing failed, nothing closed by the caller */
	close(ff.rfd);
	assert_int_equal(open_fds(), fds);
	tmpdir_remove();
}

/* Several producers, a small queue that wraps many times. */
struct producer {
	struct rg_writer *w;
	uint32_t file;
	unsigned id;
	unsigned retries;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	uint8_t chunk[700];
	for (unsigned i = 0; i < 300; i++) {
		size_t len = 1 + (i * 37 + p->id * 11) % sizeof chunk;
		memset(chunk, (int)((p->id * 64 + i) & 0xff), len);
		while (rg_writer_write(p->w, p->file, chunk, len) == -ENOBUFS) {
			p->retries++;
			sched_yield();
		}
	}
	return NULL;
}

static void test_writer_threads(void **state)
{
	(void)state;
	tmpdir_make();
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 8192, 0, 2000);
	struct producer pr[4];
	pthread_t th[4];
	char path[128];
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/p%u", tmpdir, i);
		pr[i] = (struct producer){ w, 0, i, 0 };
		assert_int_equal(rg_writer_open(w, path, O_WRONLY | O_CREAT, 0644, false, &pr[i].file), 0);
	}
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, producer_main, &pr[i]), 0);
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rg_writer_close(w, pr[i].file), 0);
	}
	wait_reports(&rs, 4);
	rg_writer_free(w);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/p%u", tmpdir, i);
		size_t len;
		uint8_t *d = read_file(path, &len);
		assert_non_null(d);
		size_t off = 0;
		for (unsigned k = 0; k < 300; k++) {
			size_t l = 1 + (k * 37 + i * 11) % 700;
			for (size_t j = 0; j < l; j++)
				assert_int_equal(d[off + j], (i * 64 + k) & 0xff);
			off += l;
		}
		assert_int_equal(off, len);
		free(d);
	}
	tmpdir_remove();
}

/* A WAV written through the writer thread: header at open, samples, the
 * final header by pwrite; sox and ffprobe read the duration. An
 * unfinalised copy still reads to its end, and sox --ignore-length repairs
 * it (the procedure in docs/recording.md). */
static void test_wav_file_tools(void **state)
{
	(void)state;
	tmpdir_make();
	struct reports rs = { 0 };
	struct rg_writer *w = writer_new(&rs, 0, 0, 2000);
	char path[128], raw[128], fixed[128], cmd[512], out[4096];
	snprintf(path, sizeof path, "%s/mix.wav", tmpdir);
	snprintf(raw, sizeof raw, "%s/unfinalised.wav", tmpdir);
	snprintf(fixed, sizeof fixed, "%s/fixed.wav", tmpdir);
	uint32_t f, g;
	uint8_t h[RG_WAV_HEADER_SIZE];
	assert_int_equal(rg_wav_header(h, 48000, 1, RG_WAV_SIZE_UNKNOWN), 44);
	assert_int_equal(rg_writer_open(w, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, false, &f), 0);
	assert_int_equal(rg_writer_open(w, raw, O_WRONLY | O_CREAT | O_TRUNC, 0644, false, &g), 0);
	assert_int_equal(rg_writer_write(w, f, h, sizeof h), 0);
	assert_int_equal(rg_writer_write(w, g, h, sizeof h), 0);
	uint64_t data = 0;
	double phase = 0;
	for (int i = 0; i < 75; i++) { /* 1.5 s in 20 ms frames */
		int16_t pcm[F20];
		for (int j = 0; j < F20; j++, phase += 2 * M_PI * 440 / 48000)
			pcm[j] = (int16_t)(8000 * sin(phase)); /* little-endian host */
		assert_int_equal(rg_writer_write(w, f, pcm, sizeof pcm), 0);
		assert_int_equal(rg_writer_write(w, g, pcm, sizeof pcm), 0);
		data += sizeof pcm;
	}
	assert_int_equal(rg_wav_finalise(w, f, 48000, 1, data), 0);
	assert_int_equal(rg_wav_finalise(w, f, 0, 1, data), -EINVAL);
	assert_int_equal(rg_writer_close(w, f), 0);
	assert_int_equal(rg_writer_close(w, g), 0);
	wait_reports(&rs, 2);
	assert_int_equal(report_of(&rs, f)->size, 44 + data);
	rg_writer_free(w);
	size_t len;
	uint8_t *d = read_file(path, &len);
	uint8_t final[RG_WAV_HEADER_SIZE];
	rg_wav_header(final, 48000, 1, data);
	assert_memory_equal(d, final, 44);
	free(d);
	if (have_tool("sox")) {
		snprintf(cmd, sizeof cmd, "sox --i -D '%s'", path);
		assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
		if (fabs(atof(out) - 1.5) > 1e-6)
			fail_msg("sox --i -D: %s", out);
		snprintf(cmd, sizeof cmd, "sox --ignore-length '%s' '%s'", raw, fixed);
		assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
		snprintf(cmd, sizeof cmd, "sox --i -D '%s'", fixed);
		assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
		if (fabs(atof(out) - 1.5) > 1e-6)
			fail_msg("repaired: sox --i -D: %s", out);
	}
	if (have_tool("ffprobe")) {
		double dur = ffprobe_duration(path);
		if (fabs(dur - 1.5) > 1e-6)
			fail_msg("ffprobe: %f", dur);
		dur = ffprobe_duration(raw);
		if (fabs(dur - 1.5) > 1e-6)
			fail_msg("ffprobe, unfinalised: %f", dur);
	}
	tmpdir_remove();
}

static int writer_setup(void **state)
{
	(void)state;
	loop = rg_loop_new_main("test");
	return 0;
}

static int writer_teardown(void **state)
{
	(void)state;
	rg_loop_free(loop);
	loop = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest ogg[] = {
		cmocka_unit_test(test_ogg_head_tags_bytes),
		cmocka_unit_test(test_ogg_header_pages),
		cmocka_unit_test(test_ogg_granules_and_gaps),
		cmocka_unit_test(test_ogg_drops_and_invalid),
		cmocka_unit_test(test_ogg_flush_fill_close),
		cmocka_unit_test(test_ogg_sink_error_sticks),
		cmocka_unit_test(test_ogg_silence_packets),
		cmocka_unit_test(test_ogg_gap_decodes_to_silence),
		cmocka_unit_test(test_ogg_file_tools),
		cmocka_unit_test(test_wav_header_bytes),
	};
	const struct CMUnitTest writer[] = {
		cmocka_unit_test(test_writer_files),
		cmocka_unit_test(test_writer_failures),
		cmocka_unit_test(test_writer_queue_full),
		cmocka_unit_test(test_writer_ops_limit),
		cmocka_unit_test(test_writer_shutdown_discards),
		cmocka_unit_test(test_writer_threads),
		cmocka_unit_test(test_wav_file_tools),
	};
	int failed = cmocka_run_group_tests_name("oggopus+wav", ogg, NULL, NULL);
	failed += cmocka_run_group_tests_name("writer", writer, writer_setup, writer_teardown);
	return failed;
}
