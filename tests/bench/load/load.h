/* rg-load: a WebRTC load client of roomgate. Internal to tests/bench/load/.
 *
 * Threads: the main thread runs the control loop (WebSockets, the
 * protocol, the phases of a run: main.c); W media workers each own a share
 * of the client legs (webrtc/leg.h in the offering role), send the
 * publishers' packets every 20 ms and count what the players receive
 * (media.c). A leg changes hands only through posted calls, so each field
 * below is written by one thread at a time: "control" fields by the
 * control loop, "worker" fields by the leg's worker.
 *
 * Latency: every packet a publisher sends carries its send time in the
 * abs-capture-time header extension (negotiated in the SDP, id 5 in the
 * offers: RG_LEG_OFFER_CAPTURE_TIME_ID; 8 bytes, the wall clock as a
 * UQ32.32 NTP timestamp). The server forwards it to players that
 * negotiated it, so a player on the same machine reads the time its
 * relayed copy took.
 *
 * Decrypting players and counting players: the client shares the machine
 * with the server and would do as much SRTP work as the server does, so
 * only every --decrypt-every'th play leg (LOAD_DECRYPT_EVERY by default)
 * unprotects and checks each packet (auth tag, replay) and measures
 * latency; the others get their packets still protected
 * (rg_leg_cb.srtp) and count them and their sequence numbers (loss) from
 * the clear RTP header, after a length check against the RTP header plus
 * the SRTP tag. Both kinds receive through libnice like any leg. */
#ifndef RG_LOAD_H
#define RG_LOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/leg.h"

#define LOAD_DECRYPT_EVERY 10
#define LOAD_HIST_FINE 20000  /* 1 µs buckets below 20 ms */
#define LOAD_HIST_COARSE 1000 /* then 1 ms buckets up to 1.02 s, then one overflow */
#define LOAD_HIST_N (LOAD_HIST_FINE + LOAD_HIST_COARSE + 1)

struct lworker;
struct rg_loop;
struct user;

enum cleg_state { CL_QUEUED = 0, CL_OFFERING, CL_ANSWERED, CL_CONNECTED, CL_FAILED };

struct cleg {
	/* set at creation */
	struct user *u;
	struct lworker *w;
	enum rg_leg_dir dir; /* SEND: a publish, RECV: a play */
	char stream_id[64];
	unsigned req_id;
	unsigned attempt;     /* 0: the first; retries count up */
	bool decrypt;         /* a play leg that unprotects (else it only counts) */
	/* control */
	char leg_id[24];
	enum cleg_state state;
	int64_t started_us;   /* when its offer was asked for */
	char *offer, *answer; /* in flight between the threads */
	/* worker */
	struct rg_leg *leg;
	bool counting;        /* inside the measured window */
	uint16_t seq;         /* publisher: next seq */
	uint32_t ts, ts0;     /* publisher: RTP time of the next packet, of the first */
	int64_t t0_us;        /* publisher: when the first was sent */
	int64_t first_ext, max_ext; /* player: extended seqs seen in the window */
	uint16_t last_seq;
	bool seen;
	uint64_t rx;          /* player: packets in the window */
};

/* What the workers add up over the measured window. */
struct lstats {
	uint64_t sent, rx, expected, bad;
	uint64_t rx_decrypted;   /* of rx: on decrypting legs (the latency samples) */
	uint64_t hist[LOAD_HIST_N];
	uint64_t lat_max_us;
};

extern bool load_verbose; /* --verbose: leg states on stderr */

/* media.c: the workers. */
/* batch_ms > 0: the worker's loop waits at most once per batch_ms for its
 * sockets and timers (a counting worker: GLib's work per wakeup grows with
 * the number of legs, so fewer wakeups, each reading more packets). */
struct lworker *lworker_new(unsigned idx, struct rg_loop *control, const struct rg_leg_config *cfg,
			    unsigned batch_ms);
void lworker_free(struct lworker *w);
/* From the control loop: creates the leg's offer on its worker; the worker
 * calls load_offer_ready (control loop) with leg->offer set, or failed. */
void lworker_offer(struct cleg *leg);
/* Frees the client side of a leg given up on (it stays allocated: posted
 * calls may still name it). */
void lworker_drop(struct cleg *leg);
/* leg->answer set: applies it and starts gathering. */
void lworker_answer(struct cleg *leg);
void lworker_candidate(struct cleg *leg, const char *cand);
/* Publishers send their packets (true) or pause (false: the start). */
void lworker_talk(struct lworker **ws, unsigned n, bool on);
/* Starts (true) or ends (false) the measured window on every worker and
 * waits until all have done it; at the end their figures are added to *st. */
void lworker_window(struct lworker **ws, unsigned n, bool start, struct lstats *st);
/* Frees the worker's legs (on the worker) and stops it. */
void lworker_stop(struct lworker *w);
/* Makes the shared Opus frames (before any worker starts). */
int load_tone_init(void);

/* main.c: what the workers report, on the control loop. */
void load_offer_ready(struct cleg *leg, int err, const char *msg);
void load_leg_candidate(struct cleg *leg, char *cand); /* takes cand */
void load_leg_state(struct cleg *leg, enum rg_leg_state st);

#endif
