/* rtp_swarm: N plain RTP participants in one process, for the mixer
 * benchmark (tests/bench/mix/run.sh).
 *
 * Participant i owns UDP port bind_base + 2i (RTP) and, unless --no-rtcp,
 * bind_base + 2i + 1 (RTCP, drained and counted). Every 20 ms (one timerfd
 * armed with an absolute period) each participant sends one Opus RTP packet
 * (48 kHz, 20 ms, payload type 111, its own SSRC, sequence numbers and
 * timestamps) to its target, with an RFC 6464 audio-level header extension
 * (one-byte form, ID 1): the first K participants are talkers and send a
 * tone (one of 8 frequencies, pre-encoded, with its measured level), the
 * others send silence (an Opus encoder fed zeros, no DTX: real packets,
 * level 127). What comes back is counted; a few participants also decode
 * it to check that the mix they hear is not silent.
 *
 * The targets are the server's ports for each participant: an RTP
 * endpoint's "local" (roomgate), or the "rtp" port of a plain RTP
 * participant's "joined" event (Janus AudioBridge, --janus: no RTCP
 * sockets; Janus only starts sending once it has received a packet).
 *
 * Output on stdout, one JSON object a line: {"event":"ready"} once the
 * sockets are bound, {"event":"measure_start"} after the warm-up,
 * {"event":"measure_end"} after the measured window (sending goes on until
 * --duration, so the server can be inspected under load after the window),
 * then the statistics of the measured window. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <opus.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define FRAME 960 /* 20 ms */
#define TICK_NS 20000000L
#define LOOP_FRAMES 50 /* 1 s: every tone has a whole number of periods */
#define N_TONES 8
#define MAX_PAYLOAD 400
#define MAX_CATCHUP 5
#define N_CHECK 3
#define TONE_AMPLITUDE 0.25

struct frame {
	uint8_t data[MAX_PAYLOAD];
	int len;
	uint8_t level;
};

struct part {
	int fd, fd_rtcp;
	struct sockaddr_in to;
	uint32_t ssrc, ts;
	uint16_t seq;
	int tone; /* -1: silence */
	uint64_t rx, rx_bytes, rx_win, rx_rtcp;
	int check; /* index in checks[], or -1 */
};

struct check {
	int idx;
	OpusDecoder *dec;
	uint64_t packets, samples, decode_errors;
	double energy;
};

static struct frame tones[N_TONES][LOOP_FRAMES], silence[LOOP_FRAMES];
static struct part *parts;
static struct check checks[N_CHECK];
static int n_checks;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "rtp_swarm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint8_t level_of(const int16_t *pcm, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	if (sum == 0)
		return 127;
	double dbov = 10.0 * log10(sum / n / (32767.0 * 32767.0));
	if (dbov >= 0)
		return 0;
	long l = lround(-dbov);
	return (uint8_t)(l > 127 ? 127 : l);
}

/* One second of a tone (freq > 0) or of digital silence, encoded as the
 * participants' phones would: Opus 48 kHz mono, 32 kbit/s, in-band FEC for
 * 5 % loss, no DTX. */
static void encode_loop(struct frame *out, int freq)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!enc) {
		fprintf(stderr, "rtp_swarm: opus_encoder_create: %s\n", opus_strerror(err));
		exit(1);
	}
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(5));
	opus_encoder_ctl(enc, OPUS_SET_DTX(0));
	int16_t pcm[FRAME];
	/* two passes: the second one is kept, so the loop starts with a warm
	 * encoder state and wraps around smoothly */
	for (int pass = 0; pass < 2; pass++) {
		for (int f = 0; f < LOOP_FRAMES; f++) {
			for (int i = 0; i < FRAME; i++) {
				double t = (double)(f * FRAME + i) / RATE;
				pcm[i] = freq > 0 ? (int16_t)lrint(TONE_AMPLITUDE * 32767.0 * sin(2 * M_PI * freq * t)) : 0;
			}
			int len = opus_encode(enc, pcm, FRAME, out[f].data, MAX_PAYLOAD);
			if (len <= 0) {
				fprintf(stderr, "rtp_swarm: opus_encode: %s\n", opus_strerror(len));
				exit(1);
			}
			out[f].len = len;
			out[f].level = level_of(pcm, FRAME);
		}
	}
	opus_encoder_destroy(enc);
}

static int udp_bind(const char *addr, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	int buf = 256 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "rtp_swarm: bad bind address %s\n", addr);
		exit(1);
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		fprintf(stderr, "rtp_swarm: bind %s:%d: %s\n", addr, port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int parse_target(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	int port = atoi(colon + 1);
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return port > 0 && port < 65536 && inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

/* Targets from "host:port,host:port,..." or a file (one a line). */
static int load_targets(const char *list, const char *file, struct sockaddr_in **out)
{
	size_t cap = 64, n = 0;
	struct sockaddr_in *t = malloc(cap * sizeof *t);
	char *text = NULL;
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f)
			die(file);
		size_t len = 0;
		if (getdelim(&text, &len, 0, f) < 0)
			text = strdup("");
		fclose(f);
	} else {
		text = strdup(list ? list : "");
	}
	char *save = NULL;
	for (char *tok = strtok_r(text, ",\n \t\r", &save); tok; tok = strtok_r(NULL, ",\n \t\r", &save)) {
		if (n == cap)
			t = realloc(t, (cap *= 2) * sizeof *t);
		if (parse_target(tok, &t[n]) != 0) {
			fprintf(stderr, "rtp_swarm: bad target \"%s\" (host:port, IPv4)\n", tok);
			exit(1);
		}
		n++;
	}
	free(text);
	*out = t;
	return (int)n;
}

static void send_tick(int n, uint64_t tick, uint64_t *sent, uint64_t *send_errors, uint64_t *payload_bytes)
{
	uint8_t pkt[12 + 8 + MAX_PAYLOAD];
	for (int i = 0; i < n; i++) {
		struct part *p = &parts[i];
		const struct frame *f = p->tone >= 0 ? &tones[p->tone][tick % LOOP_FRAMES] : &silence[tick % LOOP_FRAMES];
		pkt[0] = 0x90; /* V=2, X=1 */
		pkt[1] = (uint8_t)(111 | (tick == 0 ? 0x80 : 0));
		pkt[2] = (uint8_t)(p->seq >> 8);
		pkt[3] = (uint8_t)p->seq;
		for (int b = 0; b < 4; b++) {
			pkt[4 + b] = (uint8_t)(p->ts >> (24 - 8 * b));
			pkt[8 + b] = (uint8_t)(p->ssrc >> (24 - 8 * b));
		}
		/* RFC 8285 one-byte header extension: ID 1, one byte (RFC 6464) */
		pkt[12] = 0xBE;
		pkt[13] = 0xDE;
		pkt[14] = 0;
		pkt[15] = 1;
		pkt[16] = 1 << 4;
		pkt[17] = (uint8_t)((p->tone >= 0 ? 0x80 : 0) | f->level);
		pkt[18] = pkt[19] = 0;
		memcpy(pkt + 20, f->data, (size_t)f->len);
		if (sendto(p->fd, pkt, 20 + (size_t)f->len, MSG_DONTWAIT, (struct sockaddr *)&p->to, sizeof p->to) < 0)
			(*send_errors)++;
		else {
			(*sent)++;
			*payload_bytes += (uint64_t)f->len;
		}
		p->seq++;
		p->ts += FRAME;
	}
}

/* The payload of an RTP packet (after CSRCs, header extension, padding). */
static int rtp_payload(const uint8_t *b, int len, const uint8_t **pl)
{
	if (len < 12 || (b[0] >> 6) != 2)
		return -1;
	int off = 12 + 4 * (b[0] & 0x0f);
	if (b[0] & 0x10) {
		if (len < off + 4)
			return -1;
		off += 4 + 4 * ((b[off + 2] << 8) | b[off + 3]);
	}
	int end = len;
	if (b[0] & 0x20 && len > off)
		end -= b[len - 1];
	if (end <= off)
		return -1;
	*pl = b + off;
	return end - off;
}

static void on_rtp(struct part *p, const uint8_t *b, int len, bool window)
{
	p->rx++;
	p->rx_bytes += (uint64_t)len;
	if (!window)
		return;
	p->rx_win++;
	if (p->check < 0)
		return;
	struct check *c = &checks[p->check];
	const uint8_t *pl;
	int pn = rtp_payload(b, len, &pl);
	int16_t pcm[5760];
	int got = pn > 0 ? opus_decode(c->dec, pl, pn, pcm, 5760, 0) : -1;
	c->packets++;
	if (got < 0) {
		c->decode_errors++;
		return;
	}
	for (int i = 0; i < got; i++)
		c->energy += (double)pcm[i] * pcm[i];
	c->samples += (uint64_t)got;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rtp_swarm (--targets HOST:PORT,... | --targets-file FILE) [--talkers K]\n"
		   "                 [--warmup S] [--window S] [--duration S] [--bind-base PORT]\n"
		   "                 [--bind-addr ADDR] [--janus] [--no-rtcp]\n"
		   "  N participants, one per target; participant i sends from bind-base + 2i\n"
		   "  (RTCP: bind-base + 2i + 1). The first K are talkers (default 3), the\n"
		   "  others send silence. Statistics cover the window after the warm-up\n"
		   "  (default: until --duration, default 20 s).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "targets", required_argument, NULL, 't' },   { "targets-file", required_argument, NULL, 'f' },
		{ "talkers", required_argument, NULL, 'k' },   { "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },    { "bind-base", required_argument, NULL, 'b' },
		{ "bind-addr", required_argument, NULL, 'a' }, { "janus", no_argument, NULL, 'j' },
		{ "no-rtcp", no_argument, NULL, 'r' },         { "window", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *list = NULL, *file = NULL, *bind_addr = "127.0.0.1";
	int talkers = 3, base = 30000;
	double duration = 0, warmup = 3, window_len = 0;
	bool janus = false, rtcp = true;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': list = optarg; break;
		case 'f': file = optarg; break;
		case 'k': talkers = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'm': window_len = atof(optarg); break;
		case 'b': base = atoi(optarg); break;
		case 'a': bind_addr = optarg; break;
		case 'j': janus = true; rtcp = false; break;
		case 'r': rtcp = false; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct sockaddr_in *targets;
	int n = load_targets(list, file, &targets);
	if (duration <= 0)
		duration = window_len > 0 ? warmup + window_len : 20;
	if (window_len <= 0 || warmup + window_len > duration)
		window_len = duration - warmup;
	if (n <= 0 || warmup < 0 || window_len <= 0 || base < 1024 || base + 2 * n > 65535) {
		usage(stderr);
		return 2;
	}
	if (talkers < 0 || talkers > n)
		talkers = n;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (int t = 0; t < N_TONES; t++)
		encode_loop(tones[t], 300 + 110 * t);
	encode_loop(silence, 0);

	/* the participants to decode: the first talker, the first silent
	 * participant and the last one */
	int want[N_CHECK] = { 0, talkers < n ? talkers : -1, n - 1 };
	parts = calloc((size_t)n, sizeof *parts);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	srand48((long)getpid() ^ (long)time(NULL));
	for (int i = 0; i < n; i++) {
		struct part *p = &parts[i];
		p->fd = udp_bind(bind_addr, base + 2 * i);
		p->fd_rtcp = rtcp ? udp_bind(bind_addr, base + 2 * i + 1) : -1;
		p->to = targets[i];
		p->ssrc = (uint32_t)mrand48();
		p->seq = (uint16_t)lrand48();
		p->ts = (uint32_t)mrand48();
		p->tone = i < talkers ? i % N_TONES : -1;
		p->check = -1;
		for (int k = 0; k < N_CHECK; k++) {
			if (want[k] != i || p->check >= 0)
				continue;
			int err;
			checks[n_checks].idx = i;
			checks[n_checks].dec = opus_decoder_create(RATE, 1, &err);
			p->check = n_checks++;
		}
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = (uint64_t)i << 1 };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &e) != 0)
			die("epoll_ctl");
		if (p->fd_rtcp >= 0) {
			e.data.u64 = ((uint64_t)i << 1) | 1;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd_rtcp, &e) != 0)
				die("epoll_ctl");
		}
	}
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0)
		die("timerfd_create");
	struct epoll_event te = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &te);
	printf("{\"event\":\"ready\",\"participants\":%d}\n", n);
	fflush(stdout);

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct itimerspec its = { .it_interval = { 0, TICK_NS }, .it_value = start };
	its.it_value.tv_nsec += TICK_NS;
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);

	double t0 = now_s(), t_start = 0, t_end = 0;
	bool window = false;
	uint64_t tick = 0, sent = 0, send_errors = 0, payload_bytes = 0, late = 0, late_win = 0, skipped = 0;
	uint64_t sent_win = 0, rx_rtcp = 0;
	struct epoll_event evs[256];
	uint8_t buf[2048];
	while (!stop) {
		int ne = epoll_wait(ep, evs, 256, 100);
		if (ne < 0 && errno != EINTR)
			die("epoll_wait");
		for (int e = 0; e < ne; e++) {
			uint64_t d = evs[e].data.u64;
			if (d == UINT64_MAX) {
				uint64_t exp = 0;
				if (read(tfd, &exp, sizeof exp) != sizeof exp || exp == 0)
					continue;
				if (exp > 1) {
					late += exp - 1;
					if (window)
						late_win += exp - 1;
				}
				for (uint64_t k = 0; k < exp; k++) {
					if (k < MAX_CATCHUP) {
						uint64_t before = sent;
						send_tick(n, tick, &sent, &send_errors, &payload_bytes);
						if (window)
							sent_win += sent - before;
					} else {
						skipped++;
						for (int i = 0; i < n; i++) {
							parts[i].seq++;
							parts[i].ts += FRAME;
						}
					}
					tick++;
				}
				continue;
			}
			struct part *p = &parts[d >> 1];
			int fd = (d & 1) ? p->fd_rtcp : p->fd;
			for (;;) {
				ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
				if (r < 0)
					break;
				if (d & 1) {
					p->rx_rtcp++;
					rx_rtcp++;
				} else if (r >= 2 && buf[1] >= 192 && buf[1] <= 223) {
					p->rx_rtcp++; /* RTCP on the RTP port */
					rx_rtcp++;
				} else {
					on_rtp(p, buf, (int)r, window);
				}
			}
		}
		double el = now_s() - t0;
		if (!window && t_start == 0 && el >= warmup) {
			window = true;
			t_start = now_s();
			printf("{\"event\":\"measure_start\"}\n");
			fflush(stdout);
		}
		if (window && el >= warmup + window_len) {
			window = false;
			t_end = now_s();
			printf("{\"event\":\"measure_end\"}\n");
			fflush(stdout);
		}
		if (el >= duration)
			break;
	}
	if (window || t_end == 0) {
		t_end = now_s();
		printf("{\"event\":\"measure_end\"}\n");
		fflush(stdout);
	}

	double win = t_start > 0 ? t_end - t_start : 0;
	uint64_t rx_win = 0, rx_all = 0, pmin = UINT64_MAX, pmax = 0;
	int deaf = 0;
	for (int i = 0; i < n; i++) {
		rx_win += parts[i].rx_win;
		rx_all += parts[i].rx;
		pmin = parts[i].rx_win < pmin ? parts[i].rx_win : pmin;
		pmax = parts[i].rx_win > pmax ? parts[i].rx_win : pmax;
		deaf += parts[i].rx_win == 0;
	}
	int tone_bytes = 0, sil_bytes = 0;
	for (int f = 0; f < LOOP_FRAMES; f++) {
		tone_bytes += tones[0][f].len;
		sil_bytes += silence[f].len;
	}
	printf("{\"mode\":\"%s\",\"participants\":%d,\"talkers\":%d,\"duration_s\":%.3f,\"window_s\":%.3f,"
	       "\"ticks\":%llu,\"late_ticks\":%llu,\"late_ticks_window\":%llu,\"skipped_ticks\":%llu,\"sent_packets\":%llu,"
	       "\"sent_pps_window\":%.1f,\"send_errors\":%llu,\"sent_payload_bytes\":%llu,"
	       "\"tone_level\":%u,\"tone_payload_avg\":%.1f,\"silence_payload_avg\":%.1f,"
	       "\"recv_packets\":%llu,\"recv_packets_window\":%llu,\"recv_pps\":%.1f,"
	       "\"recv_pps_per_participant_min\":%.2f,\"recv_pps_per_participant_max\":%.2f,"
	       "\"participants_receiving_nothing\":%d,\"rtcp_packets\":%llu,\"check\":[",
	       janus ? "janus" : "roomgate", n, talkers, now_s() - t0, win, (unsigned long long)tick,
	       (unsigned long long)late, (unsigned long long)late_win, (unsigned long long)skipped, (unsigned long long)sent,
	       win > 0 ? (double)sent_win / win : 0.0, (unsigned long long)send_errors,
	       (unsigned long long)payload_bytes, tones[0][0].level, tone_bytes / (double)LOOP_FRAMES,
	       sil_bytes / (double)LOOP_FRAMES, (unsigned long long)rx_all, (unsigned long long)rx_win,
	       win > 0 ? (double)rx_win / win : 0.0, win > 0 ? (double)pmin / win : 0.0,
	       win > 0 ? (double)pmax / win : 0.0, deaf, (unsigned long long)rx_rtcp);
	for (int k = 0; k < n_checks; k++) {
		struct check *ck = &checks[k];
		double rms = ck->samples ? sqrt(ck->energy / (double)ck->samples) : 0;
		double dbov = rms > 0 ? 20 * log10(rms / 32767.0) : -127;
		printf("%s{\"idx\":%d,\"talker\":%s,\"packets\":%llu,\"decode_errors\":%llu,\"rms_dbov\":%.1f}",
		       k ? "," : "", ck->idx, ck->idx < talkers ? "true" : "false", (unsigned long long)ck->packets,
		       (unsigned long long)ck->decode_errors, dbov);
		opus_decoder_destroy(ck->dec);
	}
	printf("]}\n");
	fflush(stdout);
	free(parts);
	free(targets);
	return 0;
}
