/* jbuf: the jitter buffer driven the way the mixer drives it. A simulation
 * puts packets at their arrival times and, every 20 ms tick, calls get until
 * it holds 20 ms of audio (keeping what a longer packet gives beyond that)
 * or gets WAIT/EMPTY; every result is recorded and the checks read the
 * record. Payloads carry their sequence number, so PACKET and 'next' can be
 * traced back to the packet they came from. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "media/jbuf.h"

#define RATE 48000u
#define U_MS 48u              /* RTP units per ms */
#define U20 (20u * U_MS)
#define MS(x) ((uint64_t)(x) * 1000u)
#define T0 MS(1000)           /* first arrival */
#define PHASE MS(7)           /* ticks at T0 + PHASE + 20 ms * i */
#define MAXP 2048
#define MAXE 8192

struct pkt {
	uint64_t at;
	uint16_t seq;
	uint32_t ts;
	uint32_t dur;
	bool drop;                /* never arrives */
};

struct ev {
	uint64_t at;
	enum rg_jbuf_result kind;
	uint32_t ts, dur;
	int seq;                  /* PACKET: the packet's seq */
	int next;                 /* LOST: seq of 'next', or -1 */
};

struct sim {
	struct rg_jbuf *jb;
	struct pkt pk[MAXP];
	int rc[MAXP];             /* put results, in pk order */
	size_t np, put;
	struct ev ev[MAXE];
	size_t ne;
	uint64_t tick;            /* next tick */
	uint32_t carry;           /* audio the caller holds beyond its ticks */
	unsigned max_delay_ms;    /* largest delay_ms seen after a put/get */
	unsigned max_target_ms;
	unsigned max_extra_ms;    /* delay_ms allowed beyond max_delay + 60 ms */
	bool check_bound;
};

static struct sim S;

static struct rg_jbuf *jb_new(unsigned min, unsigned max)
{
	struct rg_jbuf_config cfg = { .clock_rate = RATE, .min_delay_ms = min, .max_delay_ms = max };
	struct rg_jbuf *jb = rg_jbuf_new(&cfg);
	if (!jb)
		fail_msg("rg_jbuf_new(%u, %u) failed", min, max);
	return jb;
}

static void sim_init(unsigned min, unsigned max)
{
	memset(&S, 0, sizeof S);
	S.jb = jb_new(min, max);
	S.tick = T0 + PHASE;
}

static void sim_free(void)
{
	rg_jbuf_free(S.jb);
	S.jb = NULL;
}

static int teardown(void **state)
{
	(void)state;
	sim_free();
	return 0;
}

/* n packets of dur units, seqs/ts following on from seq0/ts0, arriving
 * every step_ms from at; returns the index of the first. */
static size_t stream(size_t n, uint16_t seq0, uint32_t ts0, uint32_t dur, uint64_t at, unsigned step_ms)
{
	size_t first = S.np;
	assert_true(S.np + n <= MAXP);
	for (size_t i = 0; i < n; i++) {
		S.pk[S.np++] = (struct pkt){ .at = at + MS(step_ms) * i, .seq = (uint16_t)(seq0 + i),
					    .ts = ts0 + dur * (uint32_t)i, .dur = dur };
	}
	return first;
}

/* Stable sort by arrival (packets moved in time change places). */
static void sim_sort(void)
{
	for (size_t i = 1; i < S.np; i++) {
		struct pkt p = S.pk[i];
		size_t j = i;
		for (; j > 0 && S.pk[j - 1].at > p.at; j--)
			S.pk[j] = S.pk[j - 1];
		S.pk[j] = p;
	}
}

static void payload_of(uint16_t seq, uint8_t b[4])
{
	b[0] = 0xf8; /* Opus CELT FB 20 ms TOC: any frame decodes */
	b[1] = (uint8_t)(seq >> 8);
	b[2] = (uint8_t)seq;
	b[3] = 0x55;
}

static int seq_of(const uint8_t *p, size_t len)
{
	if (!p || len != 4)
		return -2;
	return p[1] << 8 | p[2];
}

static void observe(void)
{
	struct rg_jbuf_stats st;
	rg_jbuf_stats(S.jb, &st);
	if (st.delay_ms > S.max_delay_ms)
		S.max_delay_ms = st.delay_ms;
	if (st.target_ms > S.max_target_ms)
		S.max_target_ms = st.target_ms;
}

static void put_one(size_t i)
{
	uint8_t b[4];
	const struct pkt *p = &S.pk[i];
	payload_of(p->seq, b);
	S.rc[i] = rg_jbuf_put(S.jb, p->seq, p->ts, false, b, sizeof b, p->dur, 42, p->at);
	observe();
}

static void get_tick(uint64_t now)
{
	const uint32_t need = U20;
	unsigned guard = 0;
	while (S.carry < need && guard++ < 100) {
		struct rg_jbuf_out o;
		enum rg_jbuf_result r = rg_jbuf_get(S.jb, now, &o);
		assert_int_equal(r, o.kind);
		assert_true(S.ne < MAXE);
		struct ev *e = &S.ev[S.ne++];
		*e = (struct ev){ .at = now, .kind = r, .ts = o.ts, .dur = o.duration, .seq = -1, .next = -1 };
		observe();
		if (r == RG_JBUF_PACKET) {
			e->seq = seq_of(o.payload, o.len);
			assert_int_equal(o.level, 42);
		} else if (r == RG_JBUF_LOST && o.next) {
			e->next = seq_of(o.next, o.next_len);
		}
		if (r != RG_JBUF_PACKET && r != RG_JBUF_LOST) {
			S.carry = need; /* the caller conceals the rest of the tick */
			break;
		}
		if (o.duration == 0)
			fail_msg("%s with duration 0 at %llu ms", r == RG_JBUF_PACKET ? "PACKET" : "LOST",
				 (unsigned long long)(now / 1000));
		S.carry += o.duration;
	}
	S.carry = S.carry >= need ? S.carry - need : 0;
}

/* Puts the packets and runs the ticks, in time order, up to 'until'. */
static void sim_run(uint64_t until)
{
	for (;;) {
		bool pkt_first = S.put < S.np && S.pk[S.put].at <= S.tick;
		uint64_t t = pkt_first ? S.pk[S.put].at : S.tick;
		if (t > until)
			break;
		if (pkt_first) {
			if (!S.pk[S.put].drop)
				put_one(S.put);
			S.put++;
		} else {
			get_tick(S.tick);
			S.tick += MS(20);
		}
	}
}

/* The record as text: P<seq>, L<ts ms> (>next), W, E; for failure messages. */
static const char *trace(size_t from, size_t to)
{
	static char buf[4096];
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = from; i < to && i < S.ne && o + 32 < sizeof buf; i++) {
		const struct ev *e = &S.ev[i];
		switch (e->kind) {
		case RG_JBUF_PACKET: o += (size_t)snprintf(buf + o, sizeof buf - o, "P%d ", e->seq); break;
		case RG_JBUF_LOST:
			o += (size_t)snprintf(buf + o, sizeof buf - o, "L%u/%u", e->ts, e->dur);
			if (e->next >= 0)
				o += (size_t)snprintf(buf + o, sizeof buf - o, ">%d", e->next);
			o += (size_t)snprintf(buf + o, sizeof buf - o, " ");
			break;
		case RG_JBUF_WAIT: o += (size_t)snprintf(buf + o, sizeof buf - o, "W "); break;
		default: o += (size_t)snprintf(buf + o, sizeof buf - o, "E "); break;
		}
	}
	return buf;
}

static size_t count_kind(enum rg_jbuf_result k)
{
	size_t n = 0;
	for (size_t i = 0; i < S.ne; i++)
		n += S.ev[i].kind == k;
	return n;
}

static size_t find_packet(int seq)
{
	for (size_t i = 0; i < S.ne; i++)
		if (S.ev[i].kind == RG_JBUF_PACKET && S.ev[i].seq == seq)
			return i;
	return SIZE_MAX;
}

/* The PACKET results are exactly seqs first, first+1, ... (mod 2^16) but
 * for those in 'missing', in order, each once. */
static void expect_played(uint16_t first, unsigned count, const uint16_t *missing, size_t nmissing)
{
	uint16_t want = first;
	unsigned left = count;
	size_t at = 0;
	for (; left; left--, want++) {
		bool skip = false;
		for (size_t m = 0; m < nmissing; m++)
			skip = skip || missing[m] == want;
		if (skip)
			continue;
		while (at < S.ne && S.ev[at].kind != RG_JBUF_PACKET)
			at++;
		if (at == S.ne)
			fail_msg("seq %u never played; results: %s", want, trace(0, S.ne));
		if (S.ev[at].seq != want)
			fail_msg("played %d where %u was due; around it: %s", S.ev[at].seq, want,
				 trace(at > 8 ? at - 8 : 0, at + 8));
		at++;
	}
	for (; at < S.ne; at++)
		if (S.ev[at].kind == RG_JBUF_PACKET)
			fail_msg("extra packet %d played after the stream", S.ev[at].seq);
}

/* No WAIT or LOST between the first and the last PACKET. */
static void expect_smooth(void)
{
	size_t first = SIZE_MAX, last = 0;
	for (size_t i = 0; i < S.ne; i++)
		if (S.ev[i].kind == RG_JBUF_PACKET) {
			if (first == SIZE_MAX)
				first = i;
			last = i;
		}
	if (first == SIZE_MAX)
		fail_msg("nothing played: %s", trace(0, S.ne));
	for (size_t i = first; i <= last; i++)
		if (S.ev[i].kind != RG_JBUF_PACKET)
			fail_msg("a %s while playing: %s", S.ev[i].kind == RG_JBUF_WAIT ? "WAIT" : "LOST",
				 trace(i > 8 ? i - 8 : 0, i + 8));
}

/* PACKET results: 'count' of them, the first 'first', seqs increasing. */
static void expect_increasing(uint16_t first, uint64_t count)
{
	uint64_t n = 0;
	int prev = -1;
	for (size_t i = 0; i < S.ne; i++) {
		const struct ev *e = &S.ev[i];
		if (e->kind != RG_JBUF_PACKET)
			continue;
		if (prev < 0 ? e->seq != first : (int16_t)(uint16_t)(e->seq - prev) <= 0)
			fail_msg("played %d after %d: %s", e->seq, prev, trace(i > 8 ? i - 8 : 0, i + 4));
		prev = e->seq;
		n++;
	}
	if (n != count)
		fail_msg("%llu packets played, expected %llu", (unsigned long long)n, (unsigned long long)count);
}

static struct rg_jbuf_stats stats(void)
{
	struct rg_jbuf_stats st;
	rg_jbuf_stats(S.jb, &st);
	return st;
}

#define EXPECT_STAT(field, want)                                                              \
	do {                                                                                   \
		struct rg_jbuf_stats st_ = stats();                                             \
		if (st_.field != (want))                                                        \
			fail_msg("stats." #field " = %llu, expected %llu; results: %s",         \
				 (unsigned long long)st_.field, (unsigned long long)(want),      \
				 trace(S.ne > 60 ? S.ne - 60 : 0, S.ne));                         \
	} while (0)

/* ------------------------------------------------------------------ */

static void test_config_and_args(void **state)
{
	(void)state;
	struct rg_jbuf_config bad = { .clock_rate = 0 };
	assert_null(rg_jbuf_new(&bad));
	assert_null(rg_jbuf_new(NULL));
	struct rg_jbuf_config inverted = { .clock_rate = RATE, .min_delay_ms = 100, .max_delay_ms = 50 };
	assert_null(rg_jbuf_new(&inverted));
	rg_jbuf_free(NULL);

	struct rg_jbuf *jb = jb_new(0, 0);
	struct rg_jbuf_stats st;
	rg_jbuf_stats(jb, &st);
	if (st.target_ms != 20)
		fail_msg("empty buffer: target %u ms, expected the 20 ms minimum", st.target_ms);
	struct rg_jbuf_out o;
	assert_int_equal(rg_jbuf_get(jb, 0, &o), RG_JBUF_EMPTY);
	assert_int_equal(o.kind, RG_JBUF_EMPTY);
	static uint8_t big[RG_JBUF_MAX_PAYLOAD + 1];
	assert_int_equal(rg_jbuf_put(jb, 1, 0, false, big, sizeof big, U20, 0, 0), -EMSGSIZE);
	assert_int_equal(rg_jbuf_put(jb, 1, 0, false, big, 10, 0, 0, 0), -EINVAL);
	assert_int_equal(rg_jbuf_put(jb, 1, 0, false, NULL, 10, U20, 0, 0), -EINVAL);
	/* an empty payload (Opus DTX) is a packet */
	assert_int_equal(rg_jbuf_put(jb, 1, 0, false, NULL, 0, U20, 0, 0), 0);
	assert_int_equal(rg_jbuf_get(jb, MS(5), &o), RG_JBUF_EMPTY); /* still buffering */
	assert_int_equal(rg_jbuf_get(jb, MS(20), &o), RG_JBUF_PACKET);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.duration, U20);
	rg_jbuf_stats(jb, &st);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.played, 1);
	rg_jbuf_free(jb);
}

static void test_in_order(void **state)
{
	(void)state;
	sim_init(0, 0);
	stream(100, 1000, 12345, U20, T0, 20);
	sim_run(T0 + MS(3100));
	expect_played(1000, 100, NULL, 0);
	expect_smooth();
	size_t f = find_packet(1000);
	/* the first packet waits the target (20 ms) and at most one tick more */
	if (S.ev[f].at < T0 + MS(20) || S.ev[f].at >= T0 + MS(40))
		fail_msg("first packet played %llu ms after it arrived",
			 (unsigned long long)((S.ev[f].at - T0) / 1000));
	EXPECT_STAT(received, 100);
	EXPECT_STAT(played, 100);
	EXPECT_STAT(lost, 0);
	EXPECT_STAT(dropped, 0);
	EXPECT_STAT(resets, 1); /* the idle restart a second after the end */
	if (S.ne < 2 || S.ev[S.ne - 1].kind != RG_JBUF_EMPTY)
		fail_msg("after a second of nothing the buffer should be idle: %s", trace(S.ne - 5, S.ne));
	sim_free();
}

static void test_reorder(void **state)
{
	(void)state;
	sim_init(0, 0);
	size_t i = stream(100, 500, 0, U20, T0, 20);
	/* the buffer plays 27 ms behind arrival (20 ms target, then the
	 * tick): 10 and 11 swapped; 40 right after 41; 70 after 71 */
	S.pk[i + 10].at += MS(20);
	S.pk[i + 11].at -= MS(20);
	S.pk[i + 40].at += MS(5);
	S.pk[i + 41].at -= MS(19);
	S.pk[i + 70].at += MS(25);
	sim_sort();
	sim_run(T0 + MS(2100));
	expect_played(500, 100, NULL, 0);
	expect_smooth();
	EXPECT_STAT(lost, 0);
	EXPECT_STAT(late, 0);
	EXPECT_STAT(played, 100);
	sim_free();
}

static void test_single_loss(void **state)
{
	(void)state;
	sim_init(0, 0);
	size_t i = stream(60, 0, 1000, U20, T0, 20);
	S.pk[i + 20].drop = true;
	sim_run(T0 + MS(1500));
	static const uint16_t missing[] = { 20 };
	expect_played(0, 60, missing, 1);
	size_t a = find_packet(19), b = find_packet(21);
	if (b != a + 2 || S.ev[a + 1].kind != RG_JBUF_LOST)
		fail_msg("expected P19 L P21, got %s", trace(a, b + 1));
	const struct ev *l = &S.ev[a + 1];
	if (l->ts != 1000 + 20 * U20 || l->dur != U20 || l->next != 21)
		fail_msg("LOST ts %u dur %u next %d, expected ts %u dur %u next 21", l->ts, l->dur, l->next,
			 1000 + 20 * U20, U20);
	EXPECT_STAT(lost, 1);
	EXPECT_STAT(waits, count_kind(RG_JBUF_WAIT));
	sim_free();
}

static void test_burst_loss(void **state)
{
	(void)state;
	sim_init(0, 0);
	size_t i = stream(60, 0, 0, U20, T0, 20);
	for (int k = 20; k < 23; k++)
		S.pk[i + (size_t)k].drop = true;
	sim_run(T0 + MS(1500));
	static const uint16_t missing[] = { 20, 21, 22 };
	expect_played(0, 60, missing, 3);
	size_t a = find_packet(19), b = find_packet(23);
	/* WAITs may come first (nothing after the gap has arrived yet), then
	 * one LOST per missing packet, FEC only from the last */
	size_t n = 0;
	for (size_t e = a + 1; e < b; e++) {
		const struct ev *v = &S.ev[e];
		if (v->kind == RG_JBUF_WAIT && n == 0)
			continue;
		if (v->kind != RG_JBUF_LOST || v->ts != (20 + n) * U20 || v->dur != U20 ||
		    v->next != (n == 2 ? 23 : -1))
			fail_msg("around the burst: %s", trace(a, b + 1));
		n++;
	}
	if (n != 3)
		fail_msg("%zu LOST for 3 missing packets: %s", n, trace(a, b + 1));
	EXPECT_STAT(lost, 3);
	sim_free();
}

static void test_late(void **state)
{
	(void)state;
	sim_init(0, 0);
	size_t i = stream(60, 300, 0, U20, T0, 20);
	S.pk[i + 20].at += MS(150); /* after 21..27: its turn has gone */
	sim_sort();
	sim_run(T0 + MS(1500));
	size_t late = SIZE_MAX;
	for (size_t k = 0; k < S.np; k++)
		if (S.pk[k].seq == 320)
			late = k;
	if (S.rc[late] != -ETIME)
		fail_msg("late packet: put returned %d, expected -ETIME", S.rc[late]);
	EXPECT_STAT(late, 1);
	EXPECT_STAT(lost, 1);
	EXPECT_STAT(received, 59);
	static const uint16_t missing[] = { 320 };
	expect_played(300, 60, missing, 1);
	sim_free();
}

static void test_duplicate(void **state)
{
	(void)state;
	sim_init(0, 0);
	stream(40, 7, 0, U20, T0, 20);
	stream(1, 17, 10 * U20, U20, T0 + MS(200), 0); /* 17 again, while buffered */
	stream(1, 8, U20, U20, T0 + MS(300), 0);       /* 8 again, long played */
	sim_sort();
	sim_run(T0 + MS(1200));
	int r1 = 0, r2 = 0, seen = 0;
	for (size_t k = 0; k < S.np; k++) {
		if (S.pk[k].seq == 17 && S.pk[k].at == T0 + MS(200) && seen++)
			r1 = S.rc[k];
		if (S.pk[k].seq == 8 && S.pk[k].at == T0 + MS(300))
			r2 = S.rc[k];
	}
	if (r1 != -EALREADY)
		fail_msg("a copy of a buffered packet: put returned %d, expected -EALREADY", r1);
	if (r2 != -ETIME)
		fail_msg("a copy of a played packet: put returned %d, expected -ETIME (behind the point)", r2);
	expect_played(7, 40, NULL, 0);
	EXPECT_STAT(duplicate, 1);
	EXPECT_STAT(late, 1);
	EXPECT_STAT(received, 40);
	sim_free();
}

static void test_wrap(void **state)
{
	(void)state;
	sim_init(0, 0);
	/* seq wraps after the 6th packet (65535 -> 0), ts after the 5th
	 * (0xFFFFFF00 -> 704) */
	uint32_t ts0 = 0xFFFFFF00u - 4 * U20;
	size_t i = stream(40, 65530, ts0, U20, T0, 20);
	S.pk[i + 5].at += MS(20); /* 65535 and 0 swapped */
	S.pk[i + 6].at -= MS(20);
	S.pk[i + 8].drop = true;  /* seq 2 lost */
	sim_sort();
	sim_run(T0 + MS(1300));
	static const uint16_t missing[] = { 2 };
	expect_played(65530, 40, missing, 1);
	/* the swap raised the jitter estimate above the delay played at, so
	 * the buffer may WAIT for 2 (growing the delay) before giving it up */
	size_t a = find_packet(1), b = find_packet(3);
	const struct ev *l = &S.ev[b - 1];
	if (l->kind != RG_JBUF_LOST || l->ts != ts0 + 8 * U20 || l->next != 3)
		fail_msg("across the wrap: %s", trace(a, b + 1));
	for (size_t e = a + 1; e < b - 1; e++)
		if (S.ev[e].kind != RG_JBUF_WAIT)
			fail_msg("across the wrap: %s", trace(a, b + 1));
	EXPECT_STAT(lost, 1);
	EXPECT_STAT(late, 0);
	sim_free();
}

static void test_ts_jump(void **state)
{
	(void)state;
	sim_init(0, 0);
	stream(50, 100, 5000, U20, T0, 20);
	/* a new source: timestamps 10 s on, arrivals go on every 20 ms */
	size_t j = stream(50, 150, 5000 + 50 * U20 + 480000, U20, T0 + MS(1000), 20);
	sim_run(T0 + MS(999));
	struct rg_jbuf_stats before = stats();
	sim_run(T0 + MS(3100));
	EXPECT_STAT(resets, 2); /* the jump, and idle a second after the end */
	size_t a = find_packet(150);
	/* rebuffering: EMPTY from the jump until the first new packet waited */
	size_t e = a;
	while (e > 0 && S.ev[e - 1].kind == RG_JBUF_EMPTY)
		e--;
	if (e == a || S.ev[a].at < S.pk[j].at + MS(20))
		fail_msg("no rebuffering after the jump: %s", trace(a > 10 ? a - 10 : 0, a + 2));
	if (S.ev[a].ts != 5000 + 50 * U20 + 480000)
		fail_msg("first packet after the jump has ts %u", S.ev[a].ts);
	/* what was held at the jump is dropped, not played */
	struct rg_jbuf_stats st = stats();
	if (st.dropped == 0 || st.played + st.dropped != 100 || st.played < before.played)
		fail_msg("played %llu dropped %llu of 100", (unsigned long long)st.played,
			 (unsigned long long)st.dropped);
	sim_free();

	/* and backwards */
	sim_init(0, 0);
	stream(50, 100, 900000, U20, T0, 20);
	stream(50, 150, 900000 - 400000, U20, T0 + MS(1000), 20);
	sim_run(T0 + MS(2200));
	EXPECT_STAT(resets, 1);
	EXPECT_STAT(late, 0);
	if (find_packet(199) == SIZE_MAX)
		fail_msg("the new timestamps never played: %s", trace(S.ne - 40, S.ne));
	sim_free();
}

static void test_silence_gap(void **state)
{
	(void)state;
	sim_init(0, 0);
	stream(50, 0, 0, U20, T0, 20);
	/* 1.5 s of nothing, then the same stream goes on */
	size_t j = stream(50, 50, 50 * U20 + 1500 * U_MS, U20, T0 + MS(1000 + 1500), 20);
	sim_run(T0 + MS(4500));
	EXPECT_STAT(resets, 2); /* the gap, and the end */
	EXPECT_STAT(lost, 0);
	EXPECT_STAT(dropped, 0);
	expect_played(0, 100, NULL, 0);
	/* between the two: WAIT for the rest of the second, then idle */
	size_t a = find_packet(49), b = find_packet(50);
	size_t w = a + 1;
	while (w < b && S.ev[w].kind == RG_JBUF_WAIT)
		w++;
	if (w == a + 1 || S.ev[w].kind != RG_JBUF_EMPTY || S.ev[w].at < S.pk[j - 1].at + MS(1000))
		fail_msg("during the gap: %s", trace(a, a + 60));
	for (; w < b; w++)
		if (S.ev[w].kind != RG_JBUF_EMPTY)
			fail_msg("idle until the new packets waited: %s", trace(w, b + 1));
	if (S.ev[b].at < S.pk[j].at + MS(20))
		fail_msg("played %llu ms after arrival, without rebuffering",
			 (unsigned long long)((S.ev[b].at - S.pk[j].at) / 1000));
	sim_free();
}

static uint32_t lcg_state;

static int rand_ms(int spread) /* uniform in [-spread, spread] */
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return (int)((lcg_state >> 16) % (unsigned)(2 * spread + 1)) - spread;
}

static void test_jitter_grows_then_shrinks(void **state)
{
	(void)state;
	sim_init(0, 0);
	lcg_state = 20240501;
	/* 10 s with +-30 ms of random delay (packets overtake each other) */
	size_t i = stream(500, 0, 0, U20, T0 + MS(30), 20);
	for (size_t k = 0; k < 500; k++)
		S.pk[i + k].at = (uint64_t)((int64_t)S.pk[i + k].at + (int64_t)MS(rand_ms(30)));
	/* then 10 s of steady arrival at the shortest delay seen (the queues
	 * that made the jitter have drained) */
	stream(500, 500, 500 * U20, U20, T0 + MS(10000), 20);
	sim_sort();
	/* Before the first packet has a jitter estimate nothing can tell that
	 * an earlier one is still on its way: with this seed seq 0 arrives
	 * after seq 1 has started the playout, and is late. Nothing else may
	 * be lost or late. */
	sim_run(T0 + MS(1000));
	struct rg_jbuf_stats st = stats();
	uint64_t late_start = st.late;
	if (late_start > 1)
		fail_msg("%llu packets late in the first second", (unsigned long long)late_start);
	sim_run(T0 + MS(10000));
	st = stats();
	if (st.target_ms <= 40 || st.jitter_ms < 10)
		fail_msg("after 10 s of +-30 ms: jitter %u ms, target %u ms (expected > 40)", st.jitter_ms,
			 st.target_ms);
	if (st.lost || st.late != late_start)
		fail_msg("+-30 ms jitter: %llu lost, %llu late (target %u, waits %llu)",
			 (unsigned long long)st.lost, (unsigned long long)st.late, st.target_ms,
			 (unsigned long long)st.waits);
	uint64_t dropped_before = st.dropped;
	sim_run(T0 + MS(11000));
	unsigned delay_before = stats().delay_ms;
	sim_run(T0 + MS(20000));
	st = stats();
	if (st.lost || st.late != late_start)
		fail_msg("steady phase: %llu lost, %llu late", (unsigned long long)st.lost,
			 (unsigned long long)st.late);
	if (st.dropped <= dropped_before || st.target_ms > 25 || st.delay_ms > st.target_ms + 20 ||
	    st.delay_ms >= delay_before)
		fail_msg("steady phase: delay %u ms (%u after 1 s), target %u, dropped %llu (was %llu)",
			 st.delay_ms,
			 delay_before, st.target_ms, (unsigned long long)st.dropped,
			 (unsigned long long)dropped_before);
	sim_run(T0 + MS(20300)); /* the last ones out */
	st = stats();
	expect_increasing(1, st.played);
	if (st.played + st.dropped + st.late != 1000)
		fail_msg("played %llu + dropped %llu + late %llu of 1000", (unsigned long long)st.played,
			 (unsigned long long)st.dropped, (unsigned long long)st.late);
	sim_free();
}

static void test_ptime_10_60_mixed(void **state)
{
	(void)state;
	/* 10 ms packets: two per tick */
	sim_init(0, 0);
	stream(200, 0, 0, 10 * U_MS, T0, 10);
	sim_run(T0 + MS(2200));
	expect_played(0, 200, NULL, 0);
	expect_smooth();
	EXPECT_STAT(lost, 0);
	sim_free();

	/* 60 ms packets: one get every third tick; one lost */
	sim_init(0, 0);
	size_t i = stream(40, 0, 0, 60 * U_MS, T0, 60);
	S.pk[i + 20].drop = true;
	sim_run(T0 + MS(2400 + 1000));
	static const uint16_t missing[] = { 20 };
	expect_played(0, 40, missing, 1);
	size_t a = find_packet(19);
	const struct ev *l = &S.ev[a + 1];
	if (l->kind != RG_JBUF_LOST || l->dur != 60 * U_MS || l->next != 21)
		fail_msg("60 ms loss: %s", trace(a, a + 3));
	struct rg_jbuf_stats st = stats();
	if (st.target_ms < 60)
		fail_msg("60 ms packets: target %u ms, below one packet", st.target_ms);
	sim_free();

	/* the sender changes ptime: 20, 60, 10, 40 ms */
	sim_init(0, 0);
	static const unsigned pt[] = { 20, 60, 10, 40 };
	uint16_t seq = 0;
	uint32_t ts = 0;
	uint64_t at = T0;
	for (size_t p = 0; p < 4; p++) {
		stream(25, seq, ts, pt[p] * U_MS, at, pt[p]);
		seq = (uint16_t)(seq + 25);
		ts += 25 * pt[p] * U_MS;
		at += MS(25 * pt[p]);
	}
	sim_run(at + MS(500));
	expect_played(0, 100, NULL, 0);
	EXPECT_STAT(lost, 0);
	EXPECT_STAT(late, 0);
	sim_free();
}

static void test_max_delay_bound(void **state)
{
	(void)state;
	sim_init(0, 80);
	lcg_state = 7;
	/* +-100 ms of jitter against a max of 80 ms, then a 400 ms stall
	 * that delivers 20 packets at once */
	size_t i = stream(300, 0, 0, U20, T0 + MS(100), 20);
	for (size_t k = 0; k < 300; k++)
		S.pk[i + k].at = (uint64_t)((int64_t)S.pk[i + k].at + (int64_t)MS(rand_ms(100)));
	size_t j = stream(100, 300, 300 * U20, U20, T0 + MS(100 + 6000), 20);
	for (size_t k = 0; k < 20; k++)
		S.pk[j + k].at = T0 + MS(100 + 6000 + 400);
	sim_sort();
	sim_run(T0 + MS(9000));
	if (S.max_target_ms > 80)
		fail_msg("target reached %u ms, max is 80", S.max_target_ms);
	if (S.max_delay_ms > 80 + 20)
		fail_msg("%u ms buffered, max is 80 ms + one packet", S.max_delay_ms);
	struct rg_jbuf_stats st = stats();
	if (st.dropped == 0)
		fail_msg("the stall's burst should have been cut down: nothing dropped");
	sim_free();
}

static void test_overflow(void **state)
{
	(void)state;
	/* 70 packets at once: the oldest do not fit the slots */
	sim_init(0, 2000);
	stream(70, 0, 0, U20, T0, 0);
	sim_run(T0);
	EXPECT_STAT(dropped, 70 - RG_JBUF_SLOTS);
	EXPECT_STAT(received, 70);
	struct rg_jbuf_stats st = stats();
	if (st.delay_ms != RG_JBUF_SLOTS * 20)
		fail_msg("%u ms held, expected %d packets of 20 ms", st.delay_ms, RG_JBUF_SLOTS);
	/* the rest plays in order */
	sim_run(T0 + MS(2000));
	st = stats();
	expect_increasing(70 - RG_JBUF_SLOTS, st.played);
	/* (what is held plays out within the one-second shrink window, so
	 * nothing more need be dropped) */
	if (st.played + st.dropped != 70)
		fail_msg("played %llu dropped %llu of 70",
			 (unsigned long long)st.played, (unsigned long long)st.dropped);
	sim_free();
}

static void test_dtx_gaps(void **state)
{
	(void)state;
	/* talk, then DTX: one packet every 400 ms (consecutive seqs, ts
	 * skipping 380 ms), then talk again; time skipped is concealed as
	 * LOST without counting losses, and the delay does not creep up */
	sim_init(0, 0);
	stream(50, 0, 0, U20, T0, 20);
	for (int k = 0; k < 5; k++)
		stream(1, (uint16_t)(50 + k), (50 + 20u * (uint32_t)k) * U20, U20, T0 + MS(1000 + 400 * k), 0);
	size_t t = stream(50, 55, 150 * U20, U20, T0 + MS(3000), 20);
	sim_run(T0 + MS(4200));
	expect_played(0, 105, NULL, 0);
	EXPECT_STAT(lost, 0);
	EXPECT_STAT(dropped, 0);
	size_t a = find_packet(55);
	uint64_t wait0 = S.ev[find_packet(0)].at - T0;
	uint64_t wait1 = S.ev[a].at - S.pk[t].at;
	if (wait1 > wait0 + MS(20))
		fail_msg("after DTX the delay is %llu ms, was %llu ms", (unsigned long long)(wait1 / 1000),
			 (unsigned long long)(wait0 / 1000));
	/* between the DTX packets: WAIT while nothing is there, then LOST
	 * (not counted) for skipped time until the next one is due */
	for (size_t e = find_packet(50) + 1; e < a; e++)
		if (S.ev[e].kind == RG_JBUF_LOST ? S.ev[e].dur > U20 : S.ev[e].kind != RG_JBUF_WAIT &&
		    S.ev[e].kind != RG_JBUF_PACKET)
			fail_msg("during DTX: %s", trace(e > 4 ? e - 4 : 0, e + 4));
	sim_free();
}

static void test_stats_consistent(void **state)
{
	(void)state;
	sim_init(0, 0);
	lcg_state = 99;
	size_t i = stream(300, 40000, 7, U20, T0, 20);
	for (size_t k = 0; k < 300; k++)
		S.pk[i + k].at = (uint64_t)((int64_t)S.pk[i + k].at + (int64_t)MS(rand_ms(15)));
	S.pk[i + 30].drop = true;
	S.pk[i + 31].drop = true;
	S.pk[i + 100].at += MS(400); /* late */
	S.pk[i + 200].drop = true;
	stream(1, 40000 + 150, 7 + 150 * U20, U20, T0 + MS(150 * 20 + 10), 0); /* duplicate */
	sim_sort();
	sim_run(T0 + MS(300 * 20 - 100)); /* stops with packets still held */
	size_t puts = 0, ok = 0;
	for (size_t k = 0; k < S.put; k++)
		if (!S.pk[k].drop) {
			puts++;
			ok += S.rc[k] == 0;
		}
	struct rg_jbuf_stats st = stats();
	if (st.received != ok || st.received + st.late + st.duplicate != puts)
		fail_msg("%zu puts, %zu accepted: received %llu late %llu duplicate %llu", puts, ok,
			 (unsigned long long)st.received, (unsigned long long)st.late,
			 (unsigned long long)st.duplicate);
	if (st.played != count_kind(RG_JBUF_PACKET) || st.waits != count_kind(RG_JBUF_WAIT) ||
	    st.lost > count_kind(RG_JBUF_LOST))
		fail_msg("counters against results: played %llu/%zu waits %llu/%zu lost %llu/%zu",
			 (unsigned long long)st.played, count_kind(RG_JBUF_PACKET),
			 (unsigned long long)st.waits, count_kind(RG_JBUF_WAIT), (unsigned long long)st.lost,
			 count_kind(RG_JBUF_LOST));
	if (st.lost != 4 || st.late != 1 || st.duplicate != 1)
		fail_msg("lost %llu (expected 4: two, one, and the late one), late %llu, duplicate %llu",
			 (unsigned long long)st.lost, (unsigned long long)st.late,
			 (unsigned long long)st.duplicate);
	if (st.delay_ms == 0 || st.played + st.dropped >= st.received)
		fail_msg("packets should still be held: delay %u ms, played %llu + dropped %llu of %llu",
			 st.delay_ms, (unsigned long long)st.played, (unsigned long long)st.dropped,
			 (unsigned long long)st.received);
	/* a reset flushes what is held into dropped: every accepted packet is
	 * then either played or dropped */
	rg_jbuf_reset(S.jb);
	st = stats();
	if (st.received != st.played + st.dropped || st.resets != 1 || st.delay_ms != 0)
		fail_msg("after reset: received %llu played %llu dropped %llu resets %llu delay %u",
			 (unsigned long long)st.received, (unsigned long long)st.played,
			 (unsigned long long)st.dropped, (unsigned long long)st.resets, st.delay_ms);
	struct rg_jbuf_out o;
	assert_int_equal(rg_jbuf_get(S.jb, T0 + MS(300 * 20), &o), RG_JBUF_EMPTY);
	sim_free();
}

/* Payloads of every size, arriving out of order and growing while others
 * are held (the payload block is remade), come out whole; a LOST's 'next'
 * is the packet after the gap, whole. */
static void fill(uint8_t *b, uint16_t seq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seq * 7 + i);
}

static void test_payload_sizes(void **state)
{
	(void)state;
	static const size_t lens[] = { 4, 100, 0, 1500, 7, 300, 64, 65, 1000, 129, 1, 1499 };
	static const int order[] = { 1, 0, 3, 2, 5, 4, 6, 8, 7, 9, 11 }; /* seq 10 is lost */
	const size_t n = sizeof order / sizeof order[0];
	sim_init(0, 1000);
	static uint8_t b[RG_JBUF_MAX_PAYLOAD], want[RG_JBUF_MAX_PAYLOAD];
	for (size_t i = 0; i < n; i++) {
		uint16_t seq = (uint16_t)order[i];
		fill(b, seq, lens[seq]);
		assert_int_equal(rg_jbuf_put(S.jb, seq, seq * U20, false, b, lens[seq], U20, 0, T0 + MS(i)), 0);
	}
	uint64_t now = T0 + MS(1000);
	for (uint16_t seq = 0; seq < 12; seq++, now += MS(20)) {
		struct rg_jbuf_out o;
		enum rg_jbuf_result r = rg_jbuf_get(S.jb, now, &o);
		if (seq == 10) {
			assert_int_equal(r, RG_JBUF_LOST);
			assert_non_null(o.next);
			assert_int_equal(o.next_len, lens[11]);
			fill(want, 11, lens[11]);
			assert_memory_equal(o.next, want, lens[11]);
			continue;
		}
		if (r != RG_JBUF_PACKET || o.len != lens[seq])
			fail_msg("seq %u: result %d, %zu bytes, expected a packet of %zu", seq, r, o.len, lens[seq]);
		fill(want, seq, lens[seq]);
		if (lens[seq])
			assert_memory_equal(o.payload, want, lens[seq]);
	}
	sim_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_and_args, teardown),
		cmocka_unit_test_teardown(test_in_order, teardown),
		cmocka_unit_test_teardown(test_reorder, teardown),
		cmocka_unit_test_teardown(test_single_loss, teardown),
		cmocka_unit_test_teardown(test_burst_loss, teardown),
		cmocka_unit_test_teardown(test_late, teardown),
		cmocka_unit_test_teardown(test_duplicate, teardown),
		cmocka_unit_test_teardown(test_wrap, teardown),
		cmocka_unit_test_teardown(test_ts_jump, teardown),
		cmocka_unit_test_teardown(test_silence_gap, teardown),
		cmocka_unit_test_teardown(test_jitter_grows_then_shrinks, teardown),
		cmocka_unit_test_teardown(test_ptime_10_60_mixed, teardown),
		cmocka_unit_test_teardown(test_max_delay_bound, teardown),
		cmocka_unit_test_teardown(test_overflow, teardown),
		cmocka_unit_test_teardown(test_dtx_gaps, teardown),
		cmocka_unit_test_teardown(test_stats_consistent, teardown),
		cmocka_unit_test_teardown(test_payload_sizes, teardown),
	};
	return cmocka_run_group_tests_name("jbuf", tests, NULL, NULL);
}
