/* rg-floor: the least work a relay must do per relayed packet, measured
 * on this machine, so that the relay benchmark can say how far the server
 * is from it.
 *
 * One talker, N listeners. Per packet from the talker: SRTP unprotect once
 * (libsrtp2; AEAD_AES_128_GCM, or AES_CM_128_HMAC_SHA1_80 with --profile
 * cm: the two profiles the legs can negotiate); per
 * listener: copy, rewrite SSRC/seq, SRTP protect with that listener's own
 * session, and send to that listener's UDP socket on loopback. Variants:
 *   crypto   no send: unprotect + N x (copy, rewrite, protect)
 *   sendto   + one sendto(2) per listener packet, from one socket per
 *            listener (as the server's legs: one socket each)
 *   sendmmsg + one sendmmsg(2) per talker packet, from one socket, carrying
 *            the N listener packets (a batched send)
 * SRTP is initialised as the server does it (rg_srtp_global_init: NSS
 * first, sized for many keys, when libsrtp2 runs over NSS); --nss-space
 * leaves NSS to libsrtp2 (its "optimise space" tables: the cost per packet
 * then grows with the number of sessions).
 * Nobody reads the listener sockets: what the kernel does to deliver
 * (and drop) is charged to the sender, as it is to the server.
 * Figures: relayed packets per CPU-second of this process (= per core). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <srtp2/srtp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webrtc/srtp.h"

#define PKT 1500
#define TRAILER 148
#define PAYLOAD 80 /* an Opus 20 ms frame at ~32 kb/s */
#define BATCH 1024

struct listener {
	srtp_t out;
	srtp_t in; /* the listener's RTCP: made after the first runs (see main) */
	int tx, rx; /* our socket, the listener's socket */
	struct sockaddr_in to;
	uint16_t seq;
	uint32_t ssrc;
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool profile_cm; /* --profile cm: AES_CM_128_HMAC_SHA1_80, else AEAD_AES_128_GCM */

static int session(srtp_t *s, bool inbound, uint8_t fill)
{
	srtp_policy_t p;
	uint8_t key[16 + 14];
	memset(&p, 0, sizeof p);
	memset(key, fill, sizeof key);
	if (profile_cm) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	} else {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	}
	p.key = key;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 1024;
	return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

static size_t make_rtp(uint8_t *p, uint16_t seq)
{
	memset(p, 0, 12 + PAYLOAD);
	p[0] = 0x80;
	p[1] = 111;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[11] = 7; /* ssrc */
	memset(p + 12, 0x5a, PAYLOAD);
	return 12 + PAYLOAD;
}

static int udp_socket(struct sockaddr_in *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	if (bound)
		*bound = sa;
	return fd;
}

enum variant { CRYPTO, SENDTO, SENDMMSG };
static const char *const variant_name[] = { "crypto only", "sendto per packet", "sendmmsg per talker packet" };

/* Relays n_in talker packets to every listener; returns relayed packets per CPU-second. */
static double run(enum variant v, struct listener *ls, unsigned n, unsigned n_in, int batch_fd)
{
	srtp_t talker_out, relay_in;
	if (session(&talker_out, false, 0x11) || session(&relay_in, true, 0x11))
		return -1;
	/* the talker's packets, protected before the clock starts */
	uint8_t(*in)[PKT + TRAILER] = malloc((size_t)n_in * sizeof *in);
	int *in_len = malloc(n_in * sizeof *in_len);
	for (unsigned i = 0; i < n_in; i++) {
		in_len[i] = (int)make_rtp(in[i], (uint16_t)(1000 + i));
		srtp_protect(talker_out, in[i], &in_len[i]);
	}
	uint8_t(*out)[PKT + TRAILER] = malloc((size_t)(v == SENDMMSG ? n : 1) * sizeof *out);
	struct mmsghdr *mm = calloc(n, sizeof *mm);
	struct iovec *iov = calloc(n, sizeof *iov);
	uint64_t relayed = 0, errors = 0;
	double t0 = cpu_s();
	for (unsigned i = 0; i < n_in; i++) {
		int len = in_len[i];
		if (srtp_unprotect(relay_in, in[i], &len) != srtp_err_status_ok) {
			errors++;
			continue;
		}
		for (unsigned k = 0; k < n; k++) {
			struct listener *l = &ls[k];
			uint8_t *b = out[v == SENDMMSG ? k : 0];
			memcpy(b, in[i], (size_t)len);
			b[2] = (uint8_t)(l->seq >> 8);
			b[3] = (uint8_t)l->seq++;
			memcpy(b + 8, &l->ssrc, 4);
			int olen = len;
			if (srtp_protect(l->out, b, &olen) != srtp_err_status_ok) {
				errors++;
				continue;
			}
			if (v == SENDTO) {
				sendto(l->tx, b, (size_t)olen, 0, (struct sockaddr *)&l->to, sizeof l->to);
			} else if (v == SENDMMSG) {
				iov[k] = (struct iovec){ b, (size_t)olen };
				mm[k].msg_hdr = (struct msghdr){ .msg_name = &l->to, .msg_namelen = sizeof l->to,
								 .msg_iov = &iov[k], .msg_iovlen = 1 };
			}
			relayed++;
		}
		for (unsigned k = 0; v == SENDMMSG && k < n; k += BATCH)
			sendmmsg(batch_fd, mm + k, n - k < BATCH ? n - k : BATCH, 0);
	}
	double dt = cpu_s() - t0;
	srtp_dealloc(talker_out);
	srtp_dealloc(relay_in);
	free(in);
	free(in_len);
	free(out);
	free(mm);
	free(iov);
	if (errors)
		fprintf(stderr, "rg-floor: %llu SRTP errors\n", (unsigned long long)errors);
	return dt > 0 ? (double)relayed / dt : -1;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	unsigned total = argc > 2 ? (unsigned)atoi(argv[2]) : 400000; /* relayed packets per variant */
	bool rows = false, nss_space = false;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--row") == 0)
			rows = true;
		else if (strcmp(argv[i], "--nss-space") == 0)
			nss_space = true;
		else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile_cm = strcmp(argv[++i], "cm") == 0;
		else
			return fprintf(stderr, "usage: rg-floor [LISTENERS [PACKETS [--row] [--profile gcm|cm] [--nss-space]]]\n"), 2;
	}
	const char *pname = profile_cm ? "AES_CM_128_HMAC_SHA1_80" : "AEAD_AES_128_GCM";
	if (!n || (nss_space ? (srtp_init() == srtp_err_status_ok ? 0 : -1) : rg_srtp_global_init()) != 0)
		return 1;
	struct listener *ls = calloc(n, sizeof *ls);
	int batch_fd = udp_socket(NULL);
	for (unsigned k = 0; k < n; k++) {
		ls[k].tx = udp_socket(NULL);
		ls[k].rx = udp_socket(&ls[k].to);
		ls[k].ssrc = htonl(0x10000 + k);
		if (ls[k].tx < 0 || ls[k].rx < 0 || session(&ls[k].out, false, (uint8_t)(0x20 + k))) {
			fprintf(stderr, "rg-floor: listener %u: %s (raise ulimit -n)\n", k, strerror(errno));
			return 1;
		}
	}
	unsigned n_in = total / n ? total / n : 1;
	double pps[3];
	run(CRYPTO, ls, n, n_in, batch_fd); /* warm-up: every listener's SRTP stream made, caches filled */
	for (int v = CRYPTO; v <= SENDMMSG; v++) {
		pps[v] = run((enum variant)v, ls, n, n_in, batch_fd);
		if (!rows)
			printf("floor, 1 talker -> %u listeners, %s, %s: %.0f relayed packets per CPU-second\n", n,
			       pname, variant_name[v], pps[v]);
	}
	/* A server also holds an inbound session per listener (its RTCP), so
	 * twice the keys in NSS's tables: the same runs with those made. Only
	 * reported: the floor stays the figure above. */
	for (unsigned k = 0; k < n; k++)
		if (session(&ls[k].in, true, (uint8_t)(0x60 + k))) {
			fprintf(stderr, "rg-floor: listener %u: inbound session failed\n", k);
			return 1;
		}
	double crypto_in = run(CRYPTO, ls, n, n_in, batch_fd), sendto_in = run(SENDTO, ls, n, n_in, batch_fd);
	printf("floor with an inbound session per listener too (the server's key count): SRTP only %.0f, "
	       "SRTP + sendto %.0f relayed packets per CPU-second\n", crypto_in, sendto_in);
	if (rows) {
		const char *pn = profile_cm ? "CM" : "GCM";
		printf("ROW| floor | 1 -> %u, SRTP (%s) + sendto per packet | %.0f pkt/s per core | | | | |\n", n, pn,
		       pps[SENDTO]);
		printf("ROW| floor | 1 -> %u, SRTP (%s) + sendmmsg batches | %.0f pkt/s per core | | | | |\n", n, pn,
		       pps[SENDMMSG]);
		printf("ROW| floor | 1 -> %u, SRTP (%s) only (no send) | %.0f pkt/s per core | | | | |\n", n, pn,
		       pps[CRYPTO]);
	}
	/* One stream's copies leave one after the other from one thread: the
	 * k-th copy leaves k x (cost per copy) after the first, so the order
	 * alone puts the 99th percentile of N listeners 0.99 N copies behind. */
	double copy_us = pps[SENDTO] > 0 ? 1e6 / pps[SENDTO] : 0;
	printf("floor: one copy (SRTP + sendto) every %.2f us; the fan-out order alone puts p99 at", copy_us);
	static const unsigned sizes[] = { 100, 500, 1000, 2000 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		printf("%s %.2f ms for 1 -> %u", i ? "," : "", 0.99 * sizes[i] * copy_us / 1000, sizes[i]);
	printf(" (after the first copy)\n");
	printf("FLOOR_PPS=%.0f\n", pps[SENDTO]);
	for (unsigned k = 0; k < n; k++) {
		srtp_dealloc(ls[k].out);
		srtp_dealloc(ls[k].in);
		close(ls[k].tx);
		close(ls[k].rx);
	}
	close(batch_fd);
	free(ls);
	if (nss_space)
		srtp_shutdown();
	else
		rg_srtp_global_shutdown();
	return 0;
}
