/* Plain RTP endpoints, worker side. See endpoint.h.
 *
 * Receive path: socket -> source check (latch) -> SRTP unprotect -> RTP or
 * RTCP (by port, or by first bytes with rtcp-mux) -> statistics -> publish
 * (Opus: the packet as it came; else decode -> 48 kHz FIFO -> Opus 20 ms ->
 * our own RTP header with an audio level). Send path: a 20 ms frame from
 * the mixer (or a tapped Opus packet) -> packets of ptime -> SRTP -> UDP. */
#include "media/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "media/mixer.h"
#include "media/relay.h"
#include "rtp/rtp.h"
#include "webrtc/srtp.h"

#define PKT_MAX 1500
#define READS_PER_WAKEUP 64
#define RTCP_INTERVAL_US 5000000
#define LEVEL_EXT_ID 1       /* in the Opus stream we publish after transcoding */
#define MAX_GAP_CONCEAL 5    /* packets concealed on a sequence gap */
#define DTMF_QUEUE 64
#define DTMF_TONE_FRAMES 5   /* a digit sent lasts 100 ms ... */
#define DTMF_GAP_FRAMES 3    /* ... and is followed by 60 ms of audio */
#define DTMF_END_COPIES 3    /* the end packet is sent three times (RFC 4733 2.5.1.4) */
#define DTMF_VOLUME 10       /* -10 dBm0 */
#define TONE_AMPLITUDE 9000.0 /* about -11 dBFS per frequency */
/* The transcoding FIFOs, allocated only by endpoints that transcode (an
 * Opus endpoint forwards what it receives and sends the mixer's frames
 * as they are): 48 kHz samples decoded and not yet re-encoded, and sample
 * codec bytes of the mixer's 20 ms frames not yet cut into ptime. */
#define FIFO_SAMPLES (RG_MAX_PACKET_SAMPLES + RG_FRAME_SAMPLES)
#define OFIFO_BYTES (RG_MAX_PAYLOAD * 2)

struct rtpep {
	struct rg_loop *loop;
	struct relay *relay;
	struct mixer *mx;
	struct rtpep_params p;
	char *publish_stream, *play;
	rtpep_end_fn end;
	void *arg;
	struct rg_fd_watch *w, *w_rtcp;
	struct sockaddr_storage remote, remote_rtcp; /* where we send */
	struct sockaddr_storage src, src_rtcp;       /* latched sources */
	bool latched, rtcp_latched;
	struct rg_srtp *srtp;
	/* receive */
	struct relay_leg *pub;
	struct rg_decoder *dec;      /* non-Opus */
	struct rg_encoder *opus;     /* non-Opus: what we publish */
	int16_t *fifo;               /* non-Opus: FIFO_SAMPLES */
	size_t fifo_n;
	uint32_t pub_ssrc, pub_ts;
	uint16_t pub_seq;
	bool rx_started;
	uint16_t last_seq;
	struct rtp_rx_stats rx;
	int64_t last_rtp_us, created_us, last_rtcp_us;
	/* send */
	struct mixer_out *out;
	struct relay_tap *tap;       /* Opus passthrough */
	struct rtp_rewriter rw;
	uint32_t ssrc, ts;
	uint16_t seq;
	bool first_sent;
	uint8_t *ofifo;              /* non-Opus from the mixer: OFIFO_BYTES */
	size_t ofifo_n;
	struct rtp_tx_stats tx;
	bool tx_started;
	/* tones (prompts) instead of the play source */
	struct rg_tone tone;
	bool tone_on;
	unsigned tone_pos, tone_done; /* samples into the period, periods played */
	double ph1, ph2;
	struct rg_encoder *tone_enc;
	/* DTMF: sending (queued digits), receiving */
	char dtmf_q[DTMF_QUEUE];
	size_t dtmf_n;
	unsigned dtmf_frame;         /* frames into the digit at dtmf_q[0] */
	uint32_t dtmf_ts;
	rtpep_dtmf_fn dtmf_fn;
	bool te_seen;
	uint32_t te_last_ts;
	uint64_t dtmf_in, dtmf_out;
	/* counters */
	uint64_t wrong_source, junk, wrong_pt, srtp_errors, srtp_send_errors, decode_errors, send_errors, rtcp_in;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	int rtt_ms;
	uint8_t peer_fraction_lost;
	int32_t peer_cumulative_lost;
};

static uint64_t wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static bool sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void sa_port_plus1(struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)(ntohs(((struct sockaddr_in *)ss)->sin_port) + 1));
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)(ntohs(((struct sockaddr_in6 *)ss)->sin6_port) + 1));
}

/* ---- sending ---- */

static void send_to(struct rtpep *e, int fd, const struct sockaddr_storage *to, uint8_t *buf,
		    size_t len, bool rtcp)
{
	int n = (int)len;
	if (e->srtp && (rtcp ? rg_srtp_protect_rtcp(e->srtp, buf, &n) : rg_srtp_protect_rtp(e->srtp, buf, &n)) != 0) {
		e->srtp_send_errors++;
		return;
	}
	if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)to, sa_len(to)) < 0)
		e->send_errors++;
}

static void send_pkt(struct rtpep *e, uint8_t pt, bool marker, uint32_t ts, const uint8_t *payload,
		     size_t len)
{
	uint8_t buf[12 + PKT_MAX + RG_SRTP_MAX_TRAILER];
	if (!e->remote.ss_family || len > PKT_MAX)
		return;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	buf[2] = (uint8_t)(e->seq >> 8);
	buf[3] = (uint8_t)e->seq;
	for (int i = 0; i < 4; i++) {
		buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
		buf[8 + i] = (uint8_t)(e->ssrc >> (24 - 8 * i));
	}
	memcpy(buf + 12, payload, len);
	rtp_tx_stats_update(&e->tx, ts, len, (uint64_t)rg_mono_us());
	e->tx_started = true;
	e->seq++;
	e->tx_packets++;
	e->tx_bytes += len;
	send_to(e, e->p.fd, &e->remote, buf, 12 + len, false);
}

static void send_rtp(struct rtpep *e, const uint8_t *payload, size_t len, uint32_t ts_units)
{
	if (!e->remote.ss_family || len > PKT_MAX)
		return;
	send_pkt(e, e->p.pt, !e->first_sent, e->ts, payload, len);
	e->first_sent = true;
	e->ts += ts_units;
}

/* The digit at the head of the queue takes this frame's slot: RFC 4733
 * packets for DTMF_TONE_FRAMES frames (one timestamp, the event's start;
 * a growing duration; the marker on the first; the end three times), then
 * DTMF_GAP_FRAMES frames of audio. True when the slot is taken. */
static bool dtmf_slot(struct rtpep *e)
{
	if (!e->dtmf_n || !e->p.te_pt)
		return false;
	uint32_t units = e->p.codec.clock_rate * RG_FRAME_MS / 1000;
	uint32_t te_units = (e->p.te_rate ? e->p.te_rate : e->p.codec.clock_rate) * RG_FRAME_MS / 1000;
	unsigned f = e->dtmf_frame++;
	if (f < DTMF_TONE_FRAMES) {
		if (f == 0) {
			e->ofifo_n = 0; /* audio cut short before the event */
			e->dtmf_ts = e->ts;
		}
		int ev_code = rtp_tel_event_from_char(e->dtmf_q[0]);
		struct rtp_tel_event ev = { .event = (uint8_t)(ev_code < 0 ? 0 : ev_code),
					    .end = f == DTMF_TONE_FRAMES - 1,
					    .volume = DTMF_VOLUME,
					    .duration = (uint16_t)((f + 1) * te_units) };
		uint8_t pay[RTP_TEL_EVENT_SIZE];
		rtp_tel_event_encode(pay, sizeof pay, &ev);
		for (int i = 0; i < (ev.end ? DTMF_END_COPIES : 1); i++)
			send_pkt(e, e->p.te_pt, f == 0 && i == 0, e->dtmf_ts, pay, sizeof pay);
		e->first_sent = true;
		e->ts += units;
		if (ev.end)
			e->dtmf_out++;
		return true;
	}
	if (f + 1 >= DTMF_TONE_FRAMES + DTMF_GAP_FRAMES) {
		memmove(e->dtmf_q, e->dtmf_q + 1, --e->dtmf_n);
		e->dtmf_frame = 0;
	}
	return false;
}

/* One 20 ms frame of the tone, encoded in our codec; 0 when it is over. */
static int tone_frame(struct rtpep *e, uint8_t *out, size_t cap)
{
	const struct rg_tone *t = &e->tone;
	if (!e->tone_enc)
		e->tone_enc = rg_encoder_new(&e->p.codec);
	if (!e->tone_enc)
		return 0;
	int16_t pcm[RG_FRAME_SAMPLES];
	unsigned on = t->on_ms * 48, period = (t->on_ms + t->off_ms) * 48;
	double w1 = 2 * M_PI * t->f1 / 48000.0, w2 = 2 * M_PI * t->f2 / 48000.0;
	for (size_t i = 0; i < RG_FRAME_SAMPLES; i++) {
		double v = 0;
		if (e->tone_on && e->tone_pos < on) {
			v = sin(e->ph1) + (t->f2 ? sin(e->ph2) : 0);
			e->ph1 = fmod(e->ph1 + w1, 2 * M_PI);
			e->ph2 = fmod(e->ph2 + w2, 2 * M_PI);
		}
		pcm[i] = (int16_t)lrint(v * TONE_AMPLITUDE);
		if (e->tone_on && ++e->tone_pos >= period) {
			e->tone_pos = 0;
			if (t->count && ++e->tone_done >= t->count)
				e->tone_on = false; /* the rest of the frame is silence */
		}
	}
	return rg_encoder_encode(e->tone_enc, pcm, RG_FRAME_SAMPLES, out, cap);
}

/* A 20 ms frame in our codec: Opus goes out as it is (ptime 20); sample
 * codecs are cut into packets of ptime. */
static void on_frame(void *arg, const uint8_t *payload, size_t len, uint8_t level)
{
	struct rtpep *e = arg;
	(void)level;
	if (!e->p.send || dtmf_slot(e))
		return;
	uint8_t tb[RG_MAX_PAYLOAD];
	if (e->tone_on) {
		int n = tone_frame(e, tb, sizeof tb);
		if (n > 0) {
			payload = tb;
			len = (size_t)n;
		}
	}
	if (e->p.codec.id == RG_CODEC_OPUS) {
		send_rtp(e, payload, len, RG_FRAME_SAMPLES);
		return;
	}
	size_t per = len * e->p.ptime_ms / RG_FRAME_MS;
	uint32_t units = e->p.codec.clock_rate * e->p.ptime_ms / 1000;
	if (len > OFIFO_BYTES - e->ofifo_n)
		e->ofifo_n = 0;
	memcpy(e->ofifo + e->ofifo_n, payload, len);
	e->ofifo_n += len;
	size_t off = 0;
	while (per && e->ofifo_n - off >= per) {
		send_rtp(e, e->ofifo + off, per, units);
		off += per;
	}
	memmove(e->ofifo, e->ofifo + off, e->ofifo_n - off);
	e->ofifo_n -= off;
}

/* Opus stream played as it is: our SSRC, sequence and timestamps. */
static void on_tap(void *arg, const uint8_t *pkt, size_t len, uint8_t level_id)
{
	struct rtpep *e = arg;
	(void)level_id;
	if (!e->p.send || !e->remote.ss_family || len > PKT_MAX)
		return;
	uint8_t buf[PKT_MAX + RG_SRTP_MAX_TRAILER];
	memcpy(buf, pkt, len);
	if (rtp_rewriter_apply(&e->rw, buf, len, (uint64_t)rg_mono_us() * 48 / 1000) < 0)
		return;
	buf[1] = (uint8_t)((buf[1] & 0x80) | e->p.pt);
	uint32_t ts = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	rtp_tx_stats_update(&e->tx, ts, len - 12, (uint64_t)rg_mono_us());
	e->tx_started = true;
	e->tx_packets++;
	e->tx_bytes += len - 12;
	send_to(e, e->p.fd, &e->remote, buf, len, false);
}

/* ---- receiving ---- */

static void publish_opus(struct rtpep *e, const uint8_t *payload, size_t len, uint8_t level)
{
	uint8_t out[20 + RG_MAX_PAYLOAD];
	int n = rtp_level_packet_build(out, sizeof out, 111, e->pub_seq, e->pub_ts, e->pub_ssrc,
				       LEVEL_EXT_ID, level, payload, len);
	if (n < 0)
		return;
	e->pub_seq++;
	e->pub_ts += RG_FRAME_SAMPLES;
	relay_forward(e->relay, e->pub, out, (size_t)n);
}

static void transcode_in(struct rtpep *e, const struct rtp_header *h)
{
	if (!e->dec || !e->opus || !e->fifo) { /* a codec that could not be made */
		e->decode_errors++;
		return;
	}
	if (e->rx_started) {
		uint16_t gap = (uint16_t)(h->seq - e->last_seq - 1);
		if (gap > 0 && gap <= MAX_GAP_CONCEAL) {
			size_t per = (size_t)48000 * e->p.ptime_ms / 1000;
			for (unsigned i = 0; i < gap && e->fifo_n + per <= FIFO_SAMPLES; i++) {
				int n = rg_decoder_conceal(e->dec, NULL, 0, e->fifo + e->fifo_n, per);
				if (n > 0)
					e->fifo_n += (size_t)n;
			}
		} else if (gap > 0x8000) {
			return; /* old or reordered: the published stream moves on */
		}
	}
	int n = rg_decoder_decode(e->dec, h->payload, h->payload_len, e->fifo + e->fifo_n,
				  FIFO_SAMPLES - e->fifo_n);
	if (n < 0) {
		e->decode_errors++;
		return;
	}
	e->fifo_n += (size_t)n;
	size_t off = 0;
	while (e->fifo_n - off >= RG_FRAME_SAMPLES) {
		uint8_t pay[RG_MAX_PAYLOAD];
		int len = rg_encoder_encode(e->opus, e->fifo + off, RG_FRAME_SAMPLES, pay, sizeof pay);
		if (len > 0)
			publish_opus(e, pay, (size_t)len, rg_audio_level(e->fifo + off, RG_FRAME_SAMPLES));
		off += RG_FRAME_SAMPLES;
	}
	memmove(e->fifo, e->fifo + off, (e->fifo_n - off) * sizeof *e->fifo);
	e->fifo_n -= off;
}

/* RFC 4733: one digit per event, reported at its first packet; the
 * repeats and end packets of an event carry its start timestamp. */
static void tel_event_in(struct rtpep *e, const struct rtp_header *h)
{
	struct rtp_tel_event ev;
	e->last_rtp_us = rg_mono_us();
	if (rtp_tel_event_decode(&ev, h->payload, h->payload_len) != 0) {
		e->junk++;
		return;
	}
	if (e->te_seen && h->ts == e->te_last_ts)
		return; /* the same event again (repeats, end packets) */
	bool first = !e->te_seen;
	e->te_seen = true;
	e->te_last_ts = h->ts;
	if (first && !h->marker)
		return; /* the rest of an event that began before this endpoint */
	char d = rtp_tel_event_to_char(ev.event);
	if (!d)
		return; /* not a DTMF event (flash, tones) */
	e->dtmf_in++;
	if (e->dtmf_fn)
		e->dtmf_fn(e->arg, d);
}

static void rtcp_in(struct rtpep *e, const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_packet p;
	e->rtcp_in++;
	rtcp_iter_init(&it, buf, len);
	while (rtcp_iter_next(&it, &p) == 1) {
		if (p.pt == RTCP_SR && e->rx_started)
			rtp_rx_stats_sr_received(&e->rx, p.sr.ntp, wall_us());
		if (p.pt != RTCP_SR && p.pt != RTCP_RR)
			continue;
		for (unsigned i = 0; i < p.count; i++) {
			struct rtcp_report_block rb;
			if (rtcp_report_block_get(&p, i, &rb) != 0 || rb.ssrc != e->ssrc)
				continue;
			e->peer_fraction_lost = rb.fraction_lost;
			e->peer_cumulative_lost = rb.cumulative_lost;
			int rtt = rtp_rtt_ms(&rb, rtp_ntp_from_us(wall_us()));
			if (rtt >= 0)
				e->rtt_ms = rtt;
		}
	}
}

static void rtp_in(struct rtpep *e, const uint8_t *buf, size_t len)
{
	struct rtp_header h;
	if (rtp_header_decode(&h, buf, len) != 0) {
		e->junk++;
		return;
	}
	if (h.pt != e->p.pt || h.payload_len == 0) {
		e->wrong_pt++;
		return;
	}
	int64_t now = rg_mono_us();
	e->last_rtp_us = now;
	e->rx_packets++;
	e->rx_bytes += h.payload_len;
	if (!e->rx_started)
		rtp_rx_stats_init(&e->rx, h.ssrc);
	rtp_rx_stats_update(&e->rx, h.seq, h.ts, (uint64_t)now * e->p.codec.clock_rate / 1000000);
	if (!e->p.recv || !e->pub) {
		e->rx_started = true;
		e->last_seq = h.seq;
		return;
	}
	if (e->p.codec.id == RG_CODEC_OPUS)
		relay_forward(e->relay, e->pub, buf, len);
	else
		transcode_in(e, &h);
	e->rx_started = true;
	e->last_seq = h.seq;
}

/* The first valid packet (RTP or RTCP that decrypts, with SRTP) latches
 * its source; later packets from elsewhere are dropped. Without a
 * configured remote, what we send goes to the latched source (symmetric
 * RTP). */
static void latch(struct rtpep *e, const struct sockaddr_storage *from, bool rtcp)
{
	if (rtcp) {
		e->src_rtcp = *from;
		e->rtcp_latched = true;
	} else {
		e->src = *from;
		e->latched = true;
		if (e->p.fd_rtcp < 0) { /* rtcp-mux: one source for both */
			e->src_rtcp = *from;
			e->rtcp_latched = true;
		}
	}
	if (e->p.remote.ss_family)
		return;
	if (!rtcp) {
		e->remote = *from;
		if (e->p.fd_rtcp < 0 || !e->remote_rtcp.ss_family) {
			e->remote_rtcp = *from;
			if (e->p.fd_rtcp >= 0)
				sa_port_plus1(&e->remote_rtcp);
		}
	} else {
		e->remote_rtcp = *from;
	}
}

static void packet_in(struct rtpep *e, uint8_t *buf, size_t len, const struct sockaddr_storage *from,
		      bool rtcp_port)
{
	bool latched = rtcp_port ? e->rtcp_latched : e->latched;
	if (latched && !sa_equal(rtcp_port ? &e->src_rtcp : &e->src, from)) {
		e->wrong_source++;
		return;
	}
	enum rtp_demux_class c = rtp_demux(buf, len);
	bool rtcp = rtcp_port || c == RTP_DEMUX_RTCP;
	if (c != RTP_DEMUX_RTP && c != RTP_DEMUX_RTCP) {
		e->junk++;
		return;
	}
	int n = (int)len;
	if (e->srtp && (rtcp ? rg_srtp_unprotect_rtcp(e->srtp, buf, &n) : rg_srtp_unprotect_rtp(e->srtp, buf, &n)) != 0) {
		e->srtp_errors++;
		return;
	}
	if (rtcp) {
		if (!latched)
			latch(e, from, rtcp_port);
		rtcp_in(e, buf, (size_t)n);
		return;
	}
	struct rtp_header h;
	if (rtp_header_decode(&h, buf, (size_t)n) != 0) {
		e->junk++;
		return;
	}
	if (e->p.te_pt && h.pt == e->p.te_pt) {
		if (!latched)
			latch(e, from, false);
		tel_event_in(e, &h);
		return;
	}
	if (h.pt != e->p.pt) {
		e->wrong_pt++;
		return;
	}
	if (!latched)
		latch(e, from, false);
	rtp_in(e, buf, (size_t)n);
}

static void on_readable(struct rtpep *e, int fd, bool rtcp_port)
{
	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		uint8_t buf[PKT_MAX + RG_SRTP_MAX_TRAILER];
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, buf, PKT_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		packet_in(e, buf, (size_t)n, &from, rtcp_port);
	}
}

static void on_rtp_fd(int fd, unsigned ev, void *arg)
{
	(void)ev;
	on_readable(arg, fd, false);
}

static void on_rtcp_fd(int fd, unsigned ev, void *arg)
{
	(void)ev;
	on_readable(arg, fd, true);
}

/* ---- RTCP out, timeout ---- */

static void send_rtcp_report(struct rtpep *e)
{
	if (!e->remote_rtcp.ss_family)
		return;
	uint8_t buf[512 + RG_SRTP_MAX_TRAILER];
	struct rtcp_report_block rb;
	uint64_t now = wall_us();
	bool have_rb = e->rx_started && rtp_rx_stats_report_block(&e->rx, &rb, now) == 0;
	int n;
	if (e->tx_started) {
		struct rtcp_sr_info sr;
		rtp_tx_stats_sr(&e->tx, &sr, now, (uint64_t)rg_mono_us(), e->p.codec.clock_rate);
		n = rtcp_sr_build(buf, 512, &sr, &rb, have_rb ? 1 : 0);
	} else {
		n = rtcp_rr_build(buf, 512, e->ssrc, &rb, have_rb ? 1 : 0);
	}
	if (n <= 0)
		return;
	int k = rtcp_sdes_cname_build(buf + n, (size_t)(512 - n), e->ssrc, "roomgate");
	if (k > 0)
		n += k;
	int fd = e->p.fd_rtcp >= 0 ? e->p.fd_rtcp : e->p.fd;
	send_to(e, fd, &e->remote_rtcp, buf, (size_t)n, true);
}

void rtpep_tick(struct rtpep *e, int64_t now_us)
{
	if (now_us - e->last_rtcp_us >= RTCP_INTERVAL_US) {
		e->last_rtcp_us = now_us;
		send_rtcp_report(e);
	}
	int64_t since = e->last_rtp_us > e->created_us ? e->last_rtp_us : e->created_us;
	if (e->p.recv && e->p.timeout_ms && now_us - since > (int64_t)e->p.timeout_ms * 1000 && e->end) {
		rtpep_end_fn end = e->end;
		e->end = NULL; /* once */
		end(e->arg, "rtp_timeout");
	}
}

/* ---- life ---- */

/* What it receives: decoded and re-encoded to Opus unless it is Opus. */
static void recv_codec_set(struct rtpep *e)
{
	rg_decoder_free(e->dec);
	rg_encoder_free(e->opus);
	e->dec = NULL;
	e->opus = NULL;
	e->fifo_n = 0;
	if (e->p.codec.id != RG_CODEC_OPUS) {
		struct rg_codec_params op;
		rg_codec_params_default(&op, RG_CODEC_OPUS);
		e->dec = rg_decoder_new(&e->p.codec);
		e->opus = rg_encoder_new(&op);
		if (!e->fifo)
			e->fifo = g_new(int16_t, FIFO_SAMPLES);
	} else {
		g_free(e->fifo);
		e->fifo = NULL;
	}
}

static uint8_t pub_level_id(const struct rtpep *e)
{
	return e->p.codec.id == RG_CODEC_OPUS ? e->p.level_id : LEVEL_EXT_ID;
}

/* What it sends: a tap of one Opus stream, or a mixer output in its codec. */
static void play_attach(struct rtpep *e)
{
	const struct rtpep_params *p = &e->p;
	if (p->play && p->codec.id == RG_CODEC_OPUS) {
		rtp_rewriter_init(&e->rw, e->ssrc, e->seq, e->ts);
		e->tap = relay_tap_add(e->relay, p->play, on_tap, e);
		return;
	}
	if (p->codec.id != RG_CODEC_OPUS)
		e->ofifo = g_new(uint8_t, OFIFO_BYTES);
	struct mixer_out_params mp = {
		.all = p->play == NULL,
		.streams = p->play ? (const char *const *)&e->play : NULL,
		.n_streams = p->play ? 1 : 0,
		.exclude = e->pub ? p->publish_stream : NULL,
		.max_talkers = p->play ? 1 : p->max_talkers,
		.codec = p->codec,
		.frame = on_frame,
		.arg = e,
	};
	e->out = mixer_out_add(e->mx, &mp);
}

static void play_detach(struct rtpep *e)
{
	if (e->out)
		mixer_out_remove(e->mx, e->out);
	relay_tap_remove(e->relay, e->tap);
	e->out = NULL;
	e->tap = NULL;
	g_free(e->ofifo);
	e->ofifo = NULL;
	e->ofifo_n = 0;
	rg_encoder_free(e->tone_enc);
	e->tone_enc = NULL;
}

struct rtpep *rtpep_new(struct rg_loop *loop, struct relay *relay, struct mixer *mx,
			const struct rtpep_params *p, rtpep_end_fn end, void *arg)
{
	struct rtpep *e = g_new0(struct rtpep, 1);
	e->loop = loop;
	e->relay = relay;
	e->mx = mx;
	e->p = *p;
	e->publish_stream = g_strdup(p->publish_stream);
	e->play = g_strdup(p->play);
	e->p.publish_stream = e->publish_stream;
	e->p.play = e->play;
	e->end = end;
	e->arg = arg;
	e->remote = p->remote;
	e->remote_rtcp = p->remote;
	if (p->remote.ss_family && p->fd_rtcp >= 0)
		sa_port_plus1(&e->remote_rtcp);
	e->created_us = e->last_rtcp_us = rg_mono_us();
	rg_random_bytes(&e->ssrc, sizeof e->ssrc);
	rg_random_bytes(&e->seq, sizeof e->seq);
	rg_random_bytes(&e->ts, sizeof e->ts);
	rg_random_bytes(&e->pub_ssrc, sizeof e->pub_ssrc);
	rg_random_bytes(&e->pub_seq, sizeof e->pub_seq);
	rg_random_bytes(&e->pub_ts, sizeof e->pub_ts);
	rtp_tx_stats_init(&e->tx, e->ssrc);
	if (p->srtp)
		e->srtp = rg_srtp_new(&p->keys);
	if (p->recv && p->publish_stream) {
		recv_codec_set(e);
		e->pub = relay_attach_local(relay, p->publish_stream, pub_level_id(e));
	}
	if (p->send)
		play_attach(e);
	e->w = rg_fd_watch_add(loop, p->fd, RG_FD_IN, on_rtp_fd, e);
	if (p->fd_rtcp >= 0)
		e->w_rtcp = rg_fd_watch_add(loop, p->fd_rtcp, RG_FD_IN, on_rtcp_fd, e);
	return e;
}

void rtpep_free(struct rtpep *e)
{
	if (!e)
		return;
	if (e->tx_started && e->remote_rtcp.ss_family) {
		uint8_t buf[128 + RG_SRTP_MAX_TRAILER];
		int n = rtcp_bye_build(buf, 128, &e->ssrc, 1, NULL);
		if (n > 0)
			send_to(e, e->p.fd_rtcp >= 0 ? e->p.fd_rtcp : e->p.fd, &e->remote_rtcp, buf, (size_t)n, true);
	}
	rg_fd_watch_remove(e->w);
	if (e->w_rtcp)
		rg_fd_watch_remove(e->w_rtcp);
	close(e->p.fd);
	if (e->p.fd_rtcp >= 0)
		close(e->p.fd_rtcp);
	play_detach(e);
	if (e->pub)
		relay_detach(e->relay, e->pub);
	rg_decoder_free(e->dec);
	rg_encoder_free(e->opus);
	g_free(e->fifo);
	rg_srtp_free(e->srtp);
	g_free(e->publish_stream);
	g_free(e->play);
	g_free(e);
}

void rtpep_update(struct rtpep *e, const struct rtpep_params *p)
{
	if (p->remote.ss_family && !sa_equal(&p->remote, &e->p.remote)) {
		e->p.remote = e->remote = e->remote_rtcp = p->remote;
		if (e->p.fd_rtcp >= 0)
			sa_port_plus1(&e->remote_rtcp);
		e->latched = e->rtcp_latched = false; /* the new source latches */
	}
	if (p->srtp != e->p.srtp || (p->srtp && memcmp(&p->keys, &e->p.keys, sizeof p->keys))) {
		rg_srtp_free(e->srtp);
		e->srtp = p->srtp ? rg_srtp_new(&p->keys) : NULL;
		e->p.srtp = p->srtp;
		e->p.keys = p->keys;
	}
	e->p.te_pt = p->te_pt;
	e->p.te_rate = p->te_rate;
	if (!p->te_pt)
		e->dtmf_n = 0;
	bool codec = p->codec.id != e->p.codec.id || p->codec.sample_rate != e->p.codec.sample_rate ||
		     p->codec.channels != e->p.codec.channels || p->pt != e->p.pt || p->ptime_ms != e->p.ptime_ms;
	if (codec) {
		uint8_t old_level = pub_level_id(e);
		e->p.codec = p->codec;
		e->p.pt = p->pt;
		e->p.ptime_ms = p->ptime_ms;
		e->rx_started = false; /* statistics restart at the new clock rate */
		if (e->pub) {
			recv_codec_set(e);
			if (pub_level_id(e) != old_level) {
				relay_detach(e->relay, e->pub);
				e->pub = relay_attach_local(e->relay, e->p.publish_stream, pub_level_id(e));
			}
		}
	}
	if (p->recv && !e->p.recv)
		e->last_rtp_us = rg_mono_us(); /* the media timeout starts again */
	e->p.recv = p->recv;
	e->p.send = p->send;
	if (codec || (e->p.send && !e->out && !e->tap)) {
		play_detach(e);
		if (e->p.send)
			play_attach(e);
	}
}

void rtpep_tone(struct rtpep *e, const struct rg_tone *t)
{
	e->tone_on = t && t->f1 && t->on_ms;
	if (!e->tone_on)
		return;
	e->tone = *t;
	e->tone_pos = e->tone_done = 0;
	e->ph1 = e->ph2 = 0;
}

void rtpep_dtmf(struct rtpep *e, const char *digits)
{
	for (const char *d = digits; *d && e->dtmf_n < DTMF_QUEUE; d++)
		if (rtp_tel_event_from_char(*d) >= 0)
			e->dtmf_q[e->dtmf_n++] = *d;
}

void rtpep_on_dtmf(struct rtpep *e, rtpep_dtmf_fn fn)
{
	e->dtmf_fn = fn;
}

static void add_addr(cJSON *j, const char *key, const struct sockaddr_storage *ss)
{
	char host[64] = "";
	if (!ss->ss_family) {
		cJSON_AddNullToObject(j, key);
		return;
	}
	rg_sockaddr_str(ss, host, sizeof host);
	cJSON_AddStringToObject(j, key, host);
}

cJSON *rtpep_to_json(const struct rtpep *e)
{
	cJSON *j = cJSON_CreateObject();
	add_addr(j, "sending_to", &e->remote);
	if (e->latched)
		add_addr(j, "receiving_from", &e->src);
	else
		cJSON_AddNullToObject(j, "receiving_from");
	cJSON *rx = cJSON_AddObjectToObject(j, "received");
	cJSON_AddNumberToObject(rx, "packets", (double)e->rx_packets);
	cJSON_AddNumberToObject(rx, "bytes", (double)e->rx_bytes);
	cJSON_AddNumberToObject(rx, "packets_lost", e->rx_started ? (double)rtp_rx_stats_lost(&e->rx) : 0);
	cJSON_AddNumberToObject(rx, "jitter_ms",
				e->rx_started ? rtp_rx_stats_jitter(&e->rx) * 1000.0 / e->p.codec.clock_rate : 0);
	cJSON_AddNumberToObject(rx, "wrong_source", (double)e->wrong_source);
	cJSON_AddNumberToObject(rx, "junk", (double)e->junk);
	cJSON_AddNumberToObject(rx, "wrong_payload_type", (double)e->wrong_pt);
	cJSON_AddNumberToObject(rx, "decode_errors", (double)e->decode_errors);
	cJSON_AddNumberToObject(rx, "srtp_errors", (double)e->srtp_errors);
	cJSON_AddNumberToObject(rx, "rtcp_packets", (double)e->rtcp_in);
	cJSON *tx = cJSON_AddObjectToObject(j, "sent");
	cJSON_AddNumberToObject(tx, "packets", (double)e->tx_packets);
	cJSON_AddNumberToObject(tx, "bytes", (double)e->tx_bytes);
	cJSON_AddNumberToObject(tx, "send_errors", (double)e->send_errors);
	cJSON_AddNumberToObject(tx, "srtp_errors", (double)e->srtp_send_errors);
	cJSON_AddNumberToObject(tx, "peer_fraction_lost", e->peer_fraction_lost / 256.0);
	cJSON_AddNumberToObject(tx, "peer_packets_lost", e->peer_cumulative_lost);
	cJSON_AddNumberToObject(j, "rtt_ms", e->rtt_ms);
	cJSON *d = cJSON_AddObjectToObject(j, "dtmf");
	cJSON_AddNumberToObject(d, "received", (double)e->dtmf_in);
	cJSON_AddNumberToObject(d, "sent", (double)e->dtmf_out);
	cJSON_AddNumberToObject(d, "queued", (double)e->dtmf_n);
	cJSON_AddBoolToObject(j, "sending", e->p.send);
	cJSON_AddBoolToObject(j, "publishing", e->p.recv && e->pub);
	cJSON_AddBoolToObject(j, "tone", e->tone_on);
	if (e->out)
		cJSON_AddItemToObject(j, "mix", mixer_out_to_json(e->out));
	return j;
}
