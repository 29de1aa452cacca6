/* The WebRTC leg: ICE -> DTLS -> SRTP, plus RTCP reports. See leg.h.
 *
 * State machine (worker thread):
 *   NEW (an offerer until its answer) --gathering/checks--> CHECKING --ICE ready--> DTLS --keys--> CONNECTED
 *   any --ICE failed (incl. consent lost), DTLS failure--> FAILED
 * Datagrams from libnice are split by their first byte (RFC 7983): DTLS to
 * the handshake, SRTP/SRTCP to the session; STUN never reaches us.
 *
 * With cfg->epoll_rx the agent runs on a GLib context of the leg's own,
 * driven by the worker (rg_subctx: its socket in the worker's epoll set,
 * its timers among the worker's timers). With cfg->direct_tx our datagrams
 * are written to the selected pair's socket with sendto(2) (path_changed,
 * whenever ICE selects a pair); libnice keeps reading the socket (STUN,
 * then ours) and sending its own STUN on it. */
#include "webrtc/leg.h"

#include <agent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/util.h"
#include "rtp/rtp.h"
#include "webrtc/dtls.h"
#include "webrtc/sdp.h"
#include "webrtc/srtp.h"

#define PKT_MAX 1500
/* RTCP: the first report a second after the keys are in place, then every
 * RTCP_INTERVAL_MS on average, each interval drawn from 0.5 to 1.5 times
 * that (RFC 3550 6.2: 5 s is its minimum; browsers report on audio every
 * 5 s). Once a second cost a worker of 2000 legs 2000 reports to build and
 * protect and, from its peers, 2000 to read every second. */
#define RTCP_FIRST_MS 1000
#define RTCP_INTERVAL_MS 5000

struct rg_leg {
	struct rg_loop *loop;
	enum rg_leg_dir dir;
	enum rg_leg_state state;
	const struct rg_leg_cb *cb;
	void *arg;
	char public_address[64];
	const struct rg_dtls_cert *cert;
	bool offerer; /* we offered: ICE controlling, the answer picks the DTLS role */

	NiceAgent *agent;
	guint stream;
	struct rg_subctx *sub;        /* cfg->epoll_rx: the agent's own context, or NULL */
	bool direct_tx;               /* cfg->direct_tx */
	int tx_fd;                    /* the selected socket for sendto, -1: nice_agent_send */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} tx_to;                      /* the selected remote candidate */
	socklen_t tx_to_len;
	char ufrag[64], pwd[64];
	bool remote_done;

	struct rg_dtls *dtls;
	unsigned dtls_timer;
	struct rg_srtp *srtp;
	enum rg_srtp_profile profile;

	uint8_t opus_pt, level_id, capture_id;
	uint32_t ssrc;       /* our SSRC: the sender SSRC of our RTCP, the media SSRC of a SEND leg */
	char cname[17];
	unsigned rtcp_timer;

	/* receive side (RECV legs) */
	bool rx_started;
	struct rtp_rx_stats rx;
	/* send side (SEND legs) */
	struct rtp_tx_stats tx;
	bool tx_started;
	/* what the peer reports about what we send */
	uint8_t peer_fraction_lost;
	int32_t peer_cumulative_lost;
	uint32_t peer_jitter;
	int rtt_ms;

	uint64_t pkts_in, bytes_in, pkts_out, bytes_out, srtp_errors, dropped;
	uint64_t pkts_direct;           /* of pkts_out: sent with sendto on tx_fd */
	uint64_t send_errors, send_full; /* datagrams not sent; of them, the socket's buffer was full */
	char selected[160];
};

const char *rg_leg_state_name(enum rg_leg_state s)
{
	static const char *const n[] = { "new", "checking", "dtls", "connected", "failed", "closed" };
	return (unsigned)s < RG_ARRAY_LEN(n) ? n[s] : "?";
}

static uint64_t wall_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void set_state(struct rg_leg *leg, enum rg_leg_state st, const char *why)
{
	if (leg->state == st || leg->state == RG_LEG_FAILED || leg->state == RG_LEG_CLOSED)
		return;
	leg->state = st;
	RG_DEBUG(MEDIA, "leg %p: %s%s%s", (void *)leg, rg_leg_state_name(st), why ? ": " : "", why ? why : "");
	if (leg->cb->state)
		leg->cb->state(leg->arg, st, why ? why : "");
}

/* ---- sending ---- */

/* A datagram that did not go out (err: an errno; nice_agent_send does not
 * say why, EIO). Dropped, as the network would: no retry, no queue. */
static void send_failed(struct rg_leg *leg, int err)
{
	leg->send_errors++;
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
		leg->send_full++;
}

static void send_raw(struct rg_leg *leg, const uint8_t *buf, size_t len)
{
	if (leg->tx_fd >= 0) {
		if (sendto(leg->tx_fd, buf, len, MSG_DONTWAIT, &leg->tx_to.sa, leg->tx_to_len) < 0) {
			send_failed(leg, errno);
			return;
		}
		leg->pkts_direct++;
	} else {
		gint n = nice_agent_send(leg->agent, leg->stream, 1, (guint)len, (const gchar *)buf);
		rg_subctx_sync(leg->sub);
		if (n < 0) {
			send_failed(leg, EIO);
			return;
		}
	}
	leg->pkts_out++;
	leg->bytes_out += len;
}

static void dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	send_raw(arg, buf, len);
}

_Static_assert(RG_LEG_TRAILER_ROOM >= RG_SRTP_MAX_TRAILER, "room for the SRTP trailer");

int rg_leg_send_rtp(struct rg_leg *leg, uint8_t *buf, size_t len, size_t cap)
{
	if (leg->state != RG_LEG_CONNECTED)
		return -EAGAIN;
	if (len < 12 || len > PKT_MAX || cap < len + RG_LEG_TRAILER_ROOM)
		return -EINVAL;
	int n = (int)len;
	uint32_t ts = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	if (rg_srtp_protect_rtp(leg->srtp, buf, &n) != 0) {
		leg->srtp_errors++;
		return -EIO;
	}
	leg->tx_started = true;
	rtp_tx_stats_update(&leg->tx, ts, len - 12, (uint64_t)rg_mono_us());
	send_raw(leg, buf, (size_t)n);
	return 0;
}

/* ---- RTCP ---- */

static void send_rtcp(struct rg_leg *leg, uint8_t *buf, size_t len)
{
	int n = (int)len;
	if (rg_srtp_protect_rtcp(leg->srtp, buf, &n) == 0)
		send_raw(leg, buf, (size_t)n);
}

static unsigned rtcp_interval_ms(void)
{
	uint32_t r;
	rg_random_bytes(&r, sizeof r);
	return RTCP_INTERVAL_MS / 2 + r % RTCP_INTERVAL_MS;
}

static void rtcp_send_report(struct rg_leg *leg);

static bool rtcp_tick(void *arg)
{
	struct rg_leg *leg = arg;
	leg->rtcp_timer = rg_timer_add(leg->loop, rtcp_interval_ms(), rtcp_tick, leg);
	if (leg->state == RG_LEG_CONNECTED)
		rtcp_send_report(leg);
	return false;
}

static void rtcp_send_report(struct rg_leg *leg)
{
	uint8_t buf[512 + RG_SRTP_MAX_TRAILER];
	struct rtcp_report_block rb;
	int n = 0, k;
	uint64_t now = wall_us();
	bool have_rb = leg->rx_started && rtp_rx_stats_report_block(&leg->rx, &rb, now) == 0;
	if (leg->tx_started) {
		struct rtcp_sr_info sr;
		rtp_tx_stats_sr(&leg->tx, &sr, now, (uint64_t)rg_mono_us(), 48000);
		n = rtcp_sr_build(buf, 512, &sr, &rb, have_rb ? 1 : 0);
	} else {
		n = rtcp_rr_build(buf, 512, leg->ssrc, &rb, have_rb ? 1 : 0);
	}
	if (n <= 0)
		return;
	k = rtcp_sdes_cname_build(buf + n, (size_t)(512 - n), leg->ssrc, leg->cname);
	if (k > 0)
		n += k;
	send_rtcp(leg, buf, (size_t)n);
}

static void rtcp_in(struct rg_leg *leg, const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, buf, len);
	while (rtcp_iter_next(&it, &p) == 1) {
		if (p.pt == 200 && leg->rx_started)
			rtp_rx_stats_sr_received(&leg->rx, p.sr.ntp, wall_us());
		if (p.pt != 200 && p.pt != 201)
			continue;
		for (unsigned i = 0; i < p.count; i++) {
			struct rtcp_report_block rb;
			if (rtcp_report_block_get(&p, i, &rb) != 0 || rb.ssrc != leg->ssrc)
				continue;
			leg->peer_fraction_lost = rb.fraction_lost;
			leg->peer_cumulative_lost = rb.cumulative_lost;
			leg->peer_jitter = rb.jitter;
			int rtt = rtp_rtt_ms(&rb, rtp_ntp_from_us(wall_us()));
			if (rtt >= 0)
				leg->rtt_ms = rtt;
		}
	}
}

/* ---- receiving ---- */

static void rx_count(struct rg_leg *leg, const struct rtp_header *h)
{
	if (!leg->rx_started) {
		rtp_rx_stats_init(&leg->rx, h->ssrc);
		leg->rx_started = true;
	}
	rtp_rx_stats_update(&leg->rx, h->seq, h->ts, (uint64_t)rg_mono_us() * 48 / 1000);
}

/* The counting receiver (cb->srtp): the header only, no unprotect. */
static void srtp_in_raw(struct rg_leg *leg, const uint8_t *buf, size_t len)
{
	struct rtp_header h;
	size_t tag = rg_srtp_tag_len(leg->profile);
	if (len < 12 + tag || rtp_header_decode(&h, buf, len - tag) != 0 || h.pt != leg->opus_pt) {
		leg->dropped++;
		return;
	}
	rx_count(leg, &h);
	leg->cb->srtp(leg->arg, buf, len);
}

static void srtp_in(struct rg_leg *leg, uint8_t *buf, size_t len, bool rtcp)
{
	int n = (int)len;
	if (!leg->srtp)
		return;
	if (!rtcp && leg->cb->srtp) {
		srtp_in_raw(leg, buf, len);
		return;
	}
	if ((rtcp ? rg_srtp_unprotect_rtcp(leg->srtp, buf, &n) : rg_srtp_unprotect_rtp(leg->srtp, buf, &n)) != 0) {
		leg->srtp_errors++;
		return;
	}
	if (!rg_dtls_released(leg->dtls))
		rg_dtls_release(leg->dtls); /* the peer has its keys: the handshake is over for both */
	if (rtcp) {
		rtcp_in(leg, buf, (size_t)n);
		return;
	}
	struct rtp_header h;
	if (rtp_header_decode(&h, buf, (size_t)n) != 0 || h.pt != leg->opus_pt) {
		leg->dropped++;
		return;
	}
	rx_count(leg, &h);
	if (leg->cb->rtp)
		leg->cb->rtp(leg->arg, buf, (size_t)n);
}

static void dtls_arm(struct rg_leg *leg);

static void dtls_progress(struct rg_leg *leg, enum rg_dtls_state st)
{
	if (st == RG_DTLS_FAILED) {
		set_state(leg, RG_LEG_FAILED, rg_dtls_error(leg->dtls));
		return;
	}
	if (st == RG_DTLS_CLOSED) {
		set_state(leg, RG_LEG_CLOSED, "the peer closed DTLS");
		return;
	}
	if (st == RG_DTLS_CONNECTED && !leg->srtp) {
		struct rg_srtp_keys keys;
		if (rg_dtls_srtp_keys(leg->dtls, &keys) != 0 || !(leg->srtp = rg_srtp_new(&keys))) {
			set_state(leg, RG_LEG_FAILED, "SRTP key setup failed");
			return;
		}
		leg->profile = keys.profile;
		memset(&keys, 0, sizeof keys);
		leg->rtcp_timer = rg_timer_add(leg->loop, RTCP_FIRST_MS, rtcp_tick, leg);
		set_state(leg, RG_LEG_CONNECTED, NULL);
		return;
	}
	dtls_arm(leg);
}

static bool dtls_timeout(void *arg)
{
	struct rg_leg *leg = arg;
	leg->dtls_timer = 0;
	dtls_progress(leg, rg_dtls_handle_timeout(leg->dtls));
	return false;
}

static void dtls_arm(struct rg_leg *leg)
{
	rg_timer_cancel(leg->dtls_timer);
	leg->dtls_timer = 0;
	int ms = rg_dtls_timeout_ms(leg->dtls);
	if (ms >= 0)
		leg->dtls_timer = rg_timer_add(leg->loop, (unsigned)(ms > 0 ? ms : 1), dtls_timeout, leg);
}

/* ---- the selected pair's socket (cfg->direct_tx) ----
 *
 * Our datagrams go out with sendto(2) on the selected pair's socket to the
 * selected remote candidate's address, which is what nice_agent_send does
 * for a UDP pair, less its agent lock, lookups and GIO layers per datagram.
 * A relayed (TURN) local candidate has no socket of ours (libnice wraps the
 * datagrams for the relay), so nice_agent_send stays; so it does once ICE
 * has failed (consent lost: nothing more may be sent, and libnice refuses).
 * A new selected pair, or the component becoming ready, moves the sending
 * side (the DTLS handshake starts from that signal). */

/* Sends with sendto on fd to the selected remote candidate; -1, or no
 * usable pair: through nice_agent_send. */
static void tx_follow(struct rg_leg *leg, int fd)
{
	NiceCandidate *l = NULL, *r = NULL; /* the agent's own */
	leg->tx_fd = -1;
	if (fd < 0 || leg->state == RG_LEG_FAILED || leg->state == RG_LEG_CLOSED ||
	    !nice_agent_get_selected_pair(leg->agent, leg->stream, 1, &l, &r))
		return;
	memset(&leg->tx_to, 0, sizeof leg->tx_to);
	nice_address_copy_to_sockaddr(&r->addr, &leg->tx_to.sa);
	if (leg->tx_to.sa.sa_family == AF_INET)
		leg->tx_to_len = sizeof leg->tx_to.in;
	else if (leg->tx_to.sa.sa_family == AF_INET6)
		leg->tx_to_len = sizeof leg->tx_to.in6;
	else
		return;
	leg->tx_fd = fd;
}

/* The selected pair's socket; -1: no pair yet, a TURN-relayed local
 * candidate, or not UDP. */
static int selected_fd(struct rg_leg *leg)
{
	GSocket *s = nice_agent_get_selected_socket(leg->agent, leg->stream, 1);
	int fd = s ? g_socket_get_fd(s) : -1;
	if (s)
		g_object_unref(s); /* the agent keeps its own */
	return fd;
}

static void path_changed(struct rg_leg *leg)
{
	if (leg->direct_tx)
		tx_follow(leg, selected_fd(leg));
}

/* After a call into libnice from outside its dispatch (cfg->epoll_rx): it
 * may have added or removed timers or sockets. */
static void ice_sync(struct rg_leg *leg)
{
	rg_subctx_sync(leg->sub);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf, gpointer data)
{
	(void)agent;
	(void)stream;
	(void)comp;
	struct rg_leg *leg = data;
	uint8_t *b = (uint8_t *)buf;
	leg->pkts_in++;
	leg->bytes_in += len;
	switch (rtp_demux(b, len)) {
	case RTP_DEMUX_DTLS:
		if (leg->dtls)
			dtls_progress(leg, rg_dtls_feed(leg->dtls, b, len));
		break;
	case RTP_DEMUX_RTP:
		if (len <= PKT_MAX + RG_SRTP_MAX_TRAILER)
			srtp_in(leg, b, len, false);
		break;
	case RTP_DEMUX_RTCP:
		srtp_in(leg, b, len, true);
		break;
	default:
		leg->dropped++;
		break;
	}
}

/* ---- ICE ---- */

static void publish_candidate(struct rg_leg *leg, NiceCandidate *c)
{
	gchar *s = nice_agent_generate_local_candidate_sdp(leg->agent, c);
	if (!s)
		return;
	const char *v = strncmp(s, "a=", 2) == 0 ? s + 2 : s;
	char out[512];
	struct sdp_candidate sc;
	if (leg->public_address[0] && sdp_candidate_parse(&sc, v, strlen(v)) == 0) {
		snprintf(sc.address, sizeof sc.address, "%s", leg->public_address);
		if (sdp_candidate_format(out, sizeof out, &sc) > 0)
			v = out;
	}
	if (leg->cb->candidate)
		leg->cb->candidate(leg->arg, v);
	g_free(s);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	(void)agent;
	struct rg_leg *leg = data;
	if (c->stream_id == leg->stream && c->component_id == 1)
		publish_candidate(leg, c);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	(void)agent;
	struct rg_leg *leg = data;
	if (stream == leg->stream && leg->cb->candidate)
		leg->cb->candidate(leg->arg, "");
}

static void on_pair(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l, NiceCandidate *r,
		    gpointer data)
{
	(void)agent;
	(void)stream;
	(void)comp;
	struct rg_leg *leg = data;
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	nice_address_to_string(&l->addr, la);
	nice_address_to_string(&r->addr, ra);
	snprintf(leg->selected, sizeof leg->selected, "%s:%u <-> %s:%u", la,
		 nice_address_get_port(&l->addr), ra, nice_address_get_port(&r->addr));
	path_changed(leg);
}

static void on_component_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
	(void)agent;
	(void)comp;
	struct rg_leg *leg = data;
	if (stream != leg->stream)
		return;
	if (state == NICE_COMPONENT_STATE_FAILED) {
		leg->tx_fd = -1; /* nothing more goes out but through libnice, which refuses */
		set_state(leg, RG_LEG_FAILED, leg->state == RG_LEG_CONNECTED ? "ICE consent lost" : "ICE failed");
	} else if ((state == NICE_COMPONENT_STATE_READY || state == NICE_COMPONENT_STATE_CONNECTED) &&
		   leg->state == RG_LEG_CHECKING && leg->dtls) {
		set_state(leg, RG_LEG_DTLS, NULL);
		path_changed(leg);
		rg_dtls_start(leg->dtls);
		dtls_arm(leg);
	}
}

static int ice_setup(struct rg_leg *leg, const struct rg_leg_config *cfg, char *err, size_t errlen)
{
	/* the worker pushed its context as the thread default (core/loop.c) */
	GMainContext *ctx = g_main_context_get_thread_default();
	if (cfg->epoll_rx) {
		leg->sub = rg_subctx_new(leg->loop);
		ctx = rg_subctx_glib_context(leg->sub);
	}
	leg->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
	if (!leg->agent)
		return snprintf(err, errlen, "ICE agent creation failed"), -ENOMEM;
	g_object_set(leg->agent, "controlling-mode", leg->offerer, "ice-tcp", FALSE, "upnp", FALSE, NULL);
	NiceAddress a;
	nice_address_init(&a);
	if (!nice_address_set_from_string(&a, cfg->bind_address))
		return snprintf(err, errlen, "media.address is not an IP address"), -EINVAL;
	nice_agent_add_local_address(leg->agent, &a);
	leg->stream = nice_agent_add_stream(leg->agent, 1);
	nice_agent_set_port_range(leg->agent, leg->stream, 1, cfg->port_min, cfg->port_max);
	g_signal_connect(leg->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), leg);
	g_signal_connect(leg->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), leg);
	g_signal_connect(leg->agent, "component-state-changed", G_CALLBACK(on_component_state), leg);
	g_signal_connect(leg->agent, "new-selected-pair-full", G_CALLBACK(on_pair), leg);
	nice_agent_attach_recv(leg->agent, leg->stream, 1, ctx, on_recv, leg);
	gchar *u = NULL, *p = NULL;
	nice_agent_get_local_credentials(leg->agent, leg->stream, &u, &p);
	snprintf(leg->ufrag, sizeof leg->ufrag, "%s", u ? u : "");
	snprintf(leg->pwd, sizeof leg->pwd, "%s", p ? p : "");
	g_free(u);
	g_free(p);
	return 0;
}

static int remote_candidate(struct rg_leg *leg, const char *cand)
{
	struct sdp_candidate sc;
	int rc = sdp_candidate_parse(&sc, cand, strlen(cand));
	if (rc == 1) {
		if (!leg->remote_done)
			nice_agent_peer_candidate_gathering_done(leg->agent, leg->stream);
		leg->remote_done = true;
		return 0;
	}
	if (rc == -ENOTSUP || (rc == 0 && (sc.component != 1 || sc.transport != SDP_TRANSPORT_UDP)))
		return 0; /* TCP or RTCP-component candidates: not used (rtcp-mux, UDP only) */
	if (rc != 0)
		return -EINVAL;
	char line[512];
	if (sdp_candidate_format(line + 2, sizeof line - 2, &sc) < 0)
		return -EINVAL;
	line[0] = 'a';
	line[1] = '=';
	NiceCandidate *nc = nice_agent_parse_remote_candidate_sdp(leg->agent, leg->stream, line);
	if (!nc)
		return 0; /* e.g. an mDNS .local name: nothing to check against */
	GSList *l = g_slist_append(NULL, nc);
	nice_agent_set_remote_candidates(leg->agent, leg->stream, 1, l);
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
	return 0;
}

int rg_leg_remote_candidate(struct rg_leg *leg, const char *cand)
{
	int rc = remote_candidate(leg, cand);
	ice_sync(leg);
	return rc;
}

/* ---- creation ---- */

static int answer(struct rg_leg *leg, const struct sdp_offer *offer, const struct rg_dtls_cert *cert,
		  char **out, char *err, size_t errlen)
{
	struct sdp_answer_params p = {
		.offer = offer,
		.ice_ufrag = leg->ufrag,
		.ice_pwd = leg->pwd,
		.setup = SDP_SETUP_NONE,
		.direction = leg->dir == RG_LEG_RECV ? SDP_DIR_RECVONLY : SDP_DIR_SENDONLY,
		.allow_stereo = true,
		.ssrc = leg->ssrc,
		.cname = leg->cname,
		.msid_stream = "roomgate",
		.msid_track = leg->dir == RG_LEG_SEND ? "audio" : NULL,
	};
	rg_random_bytes(&p.session_id, sizeof p.session_id);
	p.session_id >>= 2;
	p.session_version = 2;
	memcpy(p.fingerprint, rg_dtls_cert_fingerprint(cert), sizeof p.fingerprint);
	size_t cap = 8192;
	*out = malloc(cap);
	if (!*out)
		return -ENOMEM;
	int rc = sdp_answer_build(*out, cap, &p, err, errlen);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

/* Our DTLS role from the answer we wrote: active = client. */
static bool answer_is_dtls_client(const char *ans)
{
	return strstr(ans, "a=setup:active") != NULL;
}

/* What both roles take from the peer's SDP: ICE credentials, the DTLS
 * peer (fingerprint, our role) and the candidates it carries. */
static int remote_setup(struct rg_leg *leg, const struct sdp_offer *sd, bool dtls_client, char *err,
			size_t errlen)
{
	const struct sdp_mline *m = &sd->m[sd->audio];
	if (!nice_agent_set_remote_credentials(leg->agent, leg->stream, m->ice.ufrag, m->ice.pwd))
		return snprintf(err, errlen, "bad ICE credentials in the SDP"), -EINVAL;
	leg->dtls = rg_dtls_new(leg->cert, dtls_client, m->fingerprint.hash, dtls_send, leg);
	if (!leg->dtls)
		return snprintf(err, errlen, "DTLS setup failed"), -ENOMEM;
	for (unsigned i = 0; i < sd->ncands; i++) {
		char c[512];
		if (sd->cand_mline[i] == sd->audio && sdp_candidate_format(c, sizeof c, &sd->cands[i]) > 0)
			rg_leg_remote_candidate(leg, c);
	}
	if (m->end_of_candidates)
		rg_leg_remote_candidate(leg, "");
	return 0;
}

static int build(struct rg_leg *leg, const struct rg_leg_config *cfg, const struct sdp_offer *offer,
		 char **ans, char *err, size_t errlen)
{
	const struct sdp_mline *m = &offer->m[offer->audio];
	if ((leg->dir == RG_LEG_RECV && (m->dir == SDP_DIR_RECVONLY || m->dir == SDP_DIR_INACTIVE)) ||
	    (leg->dir == RG_LEG_SEND && (m->dir == SDP_DIR_SENDONLY || m->dir == SDP_DIR_INACTIVE)))
		return snprintf(err, errlen, "the offer's audio direction (%s) cannot %s",
				sdp_direction_name(m->dir), leg->dir == RG_LEG_RECV ? "publish" : "play"), -EINVAL;
	leg->opus_pt = (uint8_t)m->opus_pt;
	leg->level_id = m->ext_audio_level;
	/* what the answer accepts (sdp_build.c: one-byte ids) */
	leg->capture_id = m->ext_abs_capture_time <= 14 ? m->ext_abs_capture_time : 0;
	int rc = ice_setup(leg, cfg, err, errlen);
	if (rc)
		return rc;
	rc = answer(leg, offer, cfg->cert, ans, err, errlen);
	if (rc)
		return rc;
	return remote_setup(leg, offer, answer_is_dtls_client(*ans), err, errlen);
}

static void leg_init(struct rg_leg *leg, struct rg_loop *worker, const struct rg_leg_config *cfg,
		     enum rg_leg_dir dir, const struct rg_leg_cb *cb, void *arg)
{
	leg->loop = worker;
	leg->dir = dir;
	leg->cb = cb;
	leg->arg = arg;
	leg->cert = cfg->cert;
	leg->direct_tx = cfg->direct_tx;
	leg->tx_fd = -1;
	snprintf(leg->public_address, sizeof leg->public_address, "%s",
		 cfg->public_address ? cfg->public_address : "");
	rg_random_bytes(&leg->ssrc, sizeof leg->ssrc);
	rg_random_id(leg->cname, 8);
	rtp_tx_stats_init(&leg->tx, leg->ssrc);
}

int rg_leg_create(struct rg_leg **out, struct rg_loop *worker, const struct rg_leg_config *cfg,
		  enum rg_leg_dir dir, const char *offer_sdp, size_t offer_len, const struct rg_leg_cb *cb,
		  void *arg, char **ans, char *err, size_t errlen)
{
	RG_ASSERT_LOOP(worker);
	struct sdp_offer *offer = malloc(sizeof *offer); /* ~90 KiB: not on the stack */
	struct rg_leg *leg = calloc(1, sizeof *leg);
	int rc = offer && leg ? 0 : -ENOMEM;
	if (!rc)
		rc = sdp_offer_parse(offer, offer_sdp, offer_len, err, errlen);
	if (!rc) {
		leg_init(leg, worker, cfg, dir, cb, arg);
		rc = build(leg, cfg, offer, ans, err, errlen);
	}
	free(offer);
	if (rc) {
		rg_leg_free(leg);
		return rc;
	}
	leg->state = RG_LEG_CHECKING;
	*out = leg;
	return 0;
}

/* ---- the offering role ---- */

#define OFFER_OPUS_PT 111
#define OFFER_LEVEL_ID 1

static int offer(struct rg_leg *leg, char **out, char *err, size_t errlen)
{
	struct sdp_offer_params p = {
		.session_version = 2,
		.ice_ufrag = leg->ufrag,
		.ice_pwd = leg->pwd,
		.direction = leg->dir == RG_LEG_RECV ? SDP_DIR_RECVONLY : SDP_DIR_SENDONLY,
		.opus_pt = OFFER_OPUS_PT,
		.ext_audio_level = OFFER_LEVEL_ID,
		.ext_abs_capture_time = RG_LEG_OFFER_CAPTURE_TIME_ID,
		.ssrc = leg->ssrc,
		.cname = leg->cname,
		.msid_stream = "roomgate",
		.msid_track = "audio",
	};
	rg_random_bytes(&p.session_id, sizeof p.session_id);
	p.session_id >>= 2;
	memcpy(p.fingerprint, rg_dtls_cert_fingerprint(leg->cert), sizeof p.fingerprint);
	size_t cap = 4096;
	*out = malloc(cap);
	if (!*out)
		return -ENOMEM;
	int rc = sdp_offer_build(*out, cap, &p, err, errlen);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

int rg_leg_create_offer(struct rg_leg **out, struct rg_loop *worker, const struct rg_leg_config *cfg,
			enum rg_leg_dir dir, const struct rg_leg_cb *cb, void *arg, char **offer_sdp,
			char *err, size_t errlen)
{
	RG_ASSERT_LOOP(worker);
	struct rg_leg *leg = calloc(1, sizeof *leg);
	if (!leg)
		return -ENOMEM;
	leg_init(leg, worker, cfg, dir, cb, arg);
	leg->offerer = true;
	leg->opus_pt = OFFER_OPUS_PT;
	int rc = ice_setup(leg, cfg, err, errlen);
	if (!rc)
		rc = offer(leg, offer_sdp, err, errlen);
	if (rc) {
		rg_leg_free(leg);
		return rc;
	}
	*out = leg;
	return 0;
}

int rg_leg_set_answer(struct rg_leg *leg, const char *answer_sdp, size_t len, char *err, size_t errlen)
{
	RG_ASSERT_LOOP(leg->loop);
	if (!leg->offerer || leg->state != RG_LEG_NEW)
		return snprintf(err, errlen, "the leg has no offer waiting for an answer"), -EINVAL;
	struct sdp_offer *ans = malloc(sizeof *ans);
	if (!ans)
		return -ENOMEM;
	int rc = sdp_answer_parse(ans, answer_sdp, len, err, errlen);
	const struct sdp_mline *m = &ans->m[ans->audio];
	if (!rc && m->opus_pt != OFFER_OPUS_PT)
		rc = -EINVAL, snprintf(err, errlen, "the answer changed the Opus payload type");
	if (!rc) {
		leg->level_id = m->ext_audio_level == OFFER_LEVEL_ID ? OFFER_LEVEL_ID : 0;
		leg->capture_id = m->ext_abs_capture_time == RG_LEG_OFFER_CAPTURE_TIME_ID
					  ? RG_LEG_OFFER_CAPTURE_TIME_ID : 0;
		/* the answerer took one DTLS role: we take the other */
		rc = remote_setup(leg, ans, m->setup == SDP_SETUP_PASSIVE, err, errlen);
	}
	free(ans);
	if (!rc)
		leg->state = RG_LEG_CHECKING;
	ice_sync(leg);
	return rc;
}

/* ---- both roles ---- */

void rg_leg_start(struct rg_leg *leg)
{
	nice_agent_gather_candidates(leg->agent, leg->stream);
	ice_sync(leg);
}

void rg_leg_free(struct rg_leg *leg)
{
	if (!leg)
		return;
	if (leg->state == RG_LEG_CONNECTED) {
		uint8_t buf[64 + RG_SRTP_MAX_TRAILER];
		int n = rtcp_bye_build(buf, 64, &leg->ssrc, 1, NULL);
		if (n > 0)
			send_rtcp(leg, buf, (size_t)n);
	}
	rg_timer_cancel(leg->dtls_timer);
	rg_timer_cancel(leg->rtcp_timer);
	rg_dtls_free(leg->dtls); /* close_notify goes out through the agent */
	rg_srtp_free(leg->srtp);
	if (leg->agent) {
		/* no callback from here on; a NULL context would be GLib's default
		 * one, which another thread (the control loop) runs: the socket
		 * sources would be dispatched there while this thread frees them */
		GMainContext *ctx = leg->sub ? rg_subctx_glib_context(leg->sub) : g_main_context_get_thread_default();
		nice_agent_attach_recv(leg->agent, leg->stream, 1, ctx, NULL, NULL);
		g_signal_handlers_disconnect_by_data(leg->agent, leg);
		/* not driven from here on (the agent keeps the context until it goes) */
		rg_subctx_free(leg->sub);
		nice_agent_remove_stream(leg->agent, leg->stream);
		g_object_unref(leg->agent);
	} else {
		rg_subctx_free(leg->sub);
	}
	free(leg);
}

enum rg_leg_state rg_leg_state(const struct rg_leg *leg) { return leg->state; }
uint8_t rg_leg_opus_pt(const struct rg_leg *leg) { return leg->opus_pt; }
uint8_t rg_leg_audio_level_id(const struct rg_leg *leg) { return leg->level_id; }
uint8_t rg_leg_capture_time_id(const struct rg_leg *leg) { return leg->capture_id; }
uint32_t rg_leg_ssrc(const struct rg_leg *leg) { return leg->ssrc; }

void rg_leg_get_stats(const struct rg_leg *leg, struct rg_leg_stats *st)
{
	memset(st, 0, sizeof *st);
	st->dir = leg->dir;
	st->state = leg->state;
	st->epoll_rx = leg->sub != NULL;
	st->direct_tx = leg->tx_fd >= 0;
	st->dtls_state = leg->dtls ? rg_dtls_state_name(rg_dtls_state(leg->dtls)) : "new";
	st->srtp_profile = rg_srtp_profile_name(leg->profile);
	memcpy(st->selected, leg->selected, sizeof st->selected);
	st->pkts_in = leg->pkts_in;
	st->bytes_in = leg->bytes_in;
	st->pkts_out = leg->pkts_out;
	st->bytes_out = leg->bytes_out;
	st->pkts_direct = leg->pkts_direct;
	st->send_errors = leg->send_errors;
	st->send_full = leg->send_full;
	st->srtp_errors = leg->srtp_errors;
	st->measured = leg->dir == RG_LEG_RECV && leg->rx_started;
	if (st->measured) {
		st->packets_lost = (int64_t)rtp_rx_stats_lost(&leg->rx);
		st->jitter_ms = rtp_rx_stats_jitter(&leg->rx) / 48.0;
	} else {
		st->packets_lost = leg->peer_cumulative_lost;
		st->fraction_lost = leg->peer_fraction_lost / 256.0;
		st->jitter_ms = leg->peer_jitter / 48.0;
	}
	st->rtt_ms = leg->rtt_ms;
}

cJSON *rg_leg_stats_to_json(const struct rg_leg_stats *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "direction", st->dir == RG_LEG_RECV ? "publish" : "play");
	cJSON_AddStringToObject(o, "state", rg_leg_state_name(st->state));
	cJSON_AddStringToObject(o, "ice_state", st->state == RG_LEG_CHECKING ? "checking"
				: st->state >= RG_LEG_DTLS && st->state <= RG_LEG_CONNECTED ? "connected"
				: st->state == RG_LEG_FAILED ? "failed" : "new");
	cJSON_AddStringToObject(o, "selected_pair", st->selected);
	cJSON_AddStringToObject(o, "receive", st->epoll_rx ? "epoll" : "glib");
	cJSON_AddStringToObject(o, "send", st->direct_tx ? "direct" : "libnice");
	cJSON_AddStringToObject(o, "dtls_state", st->dtls_state);
	cJSON_AddStringToObject(o, "srtp_profile", st->srtp_profile);
	cJSON_AddNumberToObject(o, "packets_in", (double)st->pkts_in);
	cJSON_AddNumberToObject(o, "bytes_in", (double)st->bytes_in);
	cJSON_AddNumberToObject(o, "packets_out", (double)st->pkts_out);
	cJSON_AddNumberToObject(o, "bytes_out", (double)st->bytes_out);
	cJSON_AddNumberToObject(o, "packets_out_direct", (double)st->pkts_direct);
	cJSON_AddNumberToObject(o, "send_errors", (double)st->send_errors);
	cJSON_AddNumberToObject(o, "send_full", (double)st->send_full);
	cJSON_AddNumberToObject(o, "srtp_errors", (double)st->srtp_errors);
	cJSON_AddNumberToObject(o, "packets_lost", (double)st->packets_lost);
	if (!st->measured)
		cJSON_AddNumberToObject(o, "fraction_lost", st->fraction_lost);
	cJSON_AddNumberToObject(o, "jitter_ms", st->jitter_ms);
	cJSON_AddNumberToObject(o, "rtt_ms", st->rtt_ms);
	return o;
}

cJSON *rg_leg_to_json(const struct rg_leg *leg)
{
	struct rg_leg_stats st;
	rg_leg_get_stats(leg, &st);
	return rg_leg_stats_to_json(&st);
}
