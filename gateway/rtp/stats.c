/* Receive statistics for one source (RFC 3550 appendix A.1, A.3, A.8) and
 * sender counts for our own SR. See rtp/rtp.h for the contract.
 *
 * Sequence tracking is A.1's update_seq: max_seq plus a count of wraps
 * (cycles, kept shifted by 16 so cycles + max_seq is the extended highest
 * sequence number); a step forward of less than MAX_DROPOUT is in order,
 * a step back of at most MAX_MISORDER is a late or duplicate packet, and
 * anything else is a jump that is believed (and restarts the counts) only
 * when the next packet follows it. Two departures from A.1, both because
 * SRTP has already authenticated the source: no probation for a new
 * source, and the first packet starts the counts.
 *
 * Jitter is A.8's integer form, kept times 16. Like libwebrtc it is fed only
 * by packets that advance max_seq: a late packet's transit says more about
 * reordering than about the spread of delays. Arrival times are in RTP
 * units and only their low 32 bits are used, so the 32-bit transit
 * differences are wrap-safe.
 *
 * report_block (A.3) closes an interval: the fraction lost covers the
 * packets expected since the previous call. */
#include "rtp/rtp.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define JITTER_D_MAX (1u << 27) /* keeps jitter_q4 inside 32 bits */
#define CUM_LOST_MAX 0x7FFFFF
#define CUM_LOST_MIN (-0x800000)

void rtp_rx_stats_init(struct rtp_rx_stats *s, uint32_t ssrc)
{
	memset(s, 0, sizeof *s);
	s->ssrc = ssrc;
	s->bad_seq = RTP_SEQ_MOD + 1;
}

static void init_seq(struct rtp_rx_stats *s, uint16_t seq)
{
	s->started = true;
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
}

static void update_jitter(struct rtp_rx_stats *s, uint32_t ts, uint64_t arrival)
{
	uint32_t transit = (uint32_t)arrival - ts;
	if (s->have_transit) {
		uint32_t d = transit - s->transit;
		if (d & 0x80000000u)
			d = -d;
		if (d > JITTER_D_MAX)
			d = JITTER_D_MAX;
		s->jitter_q4 = s->jitter_q4 + d - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = true;
}

int rtp_rx_stats_update(struct rtp_rx_stats *s, uint16_t seq, uint32_t ts, uint64_t arrival)
{
	bool advanced = true;
	if (!s->started) {
		init_seq(s, seq);
	} else {
		uint16_t udelta = (uint16_t)(seq - s->max_seq);
		if (udelta < MAX_DROPOUT) {
			if (seq < s->max_seq)
				s->cycles += RTP_SEQ_MOD;
			advanced = udelta > 0;
			s->max_seq = seq;
		} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
			if (seq != s->bad_seq) {
				s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
				return -EAGAIN;
			}
			init_seq(s, seq); /* two in a row: the source restarted */
		} else {
			advanced = false; /* late or duplicate */
		}
	}
	s->received++;
	if (advanced)
		update_jitter(s, ts, arrival);
	return 0;
}

void rtp_rx_stats_sr_received(struct rtp_rx_stats *s, uint64_t sr_ntp, uint64_t now_us)
{
	s->have_sr = true;
	s->lsr = rtp_ntp_compact(sr_ntp);
	s->sr_at_us = now_us;
}

uint32_t rtp_rx_stats_ext_max(const struct rtp_rx_stats *s)
{
	return s->cycles + s->max_seq;
}

int64_t rtp_rx_stats_lost(const struct rtp_rx_stats *s)
{
	if (!s->started)
		return 0;
	uint32_t expected = rtp_rx_stats_ext_max(s) - s->base_seq + 1;
	return (int64_t)expected - s->received;
}

uint32_t rtp_rx_stats_jitter(const struct rtp_rx_stats *s)
{
	return s->jitter_q4 >> 4;
}

static uint32_t dlsr_units(uint64_t sr_at_us, uint64_t now_us)
{
	if (now_us <= sr_at_us)
		return 0;
	uint64_t d = now_us - sr_at_us;
	if (d >= (uint64_t)UINT32_MAX * 1000000 / 65536)
		return UINT32_MAX;
	return (uint32_t)((d << 16) / 1000000);
}

static uint8_t interval_fraction(struct rtp_rx_stats *s, uint32_t expected)
{
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rec_int = s->received - s->received_prior;
	s->expected_prior = expected;
	s->received_prior = s->received;
	if (exp_int == 0 || rec_int >= exp_int)
		return 0;
	uint64_t f = ((uint64_t)(exp_int - rec_int) << 8) / exp_int;
	return f > 255 ? 255 : (uint8_t)f;
}

int rtp_rx_stats_report_block(struct rtp_rx_stats *s, struct rtcp_report_block *rb, uint64_t now_us)
{
	memset(rb, 0, sizeof *rb);
	rb->ssrc = s->ssrc;
	if (!s->started)
		return -ENODATA;
	int64_t lost = rtp_rx_stats_lost(s);
	rb->cumulative_lost = (int32_t)(lost > CUM_LOST_MAX ? CUM_LOST_MAX : lost < CUM_LOST_MIN ? CUM_LOST_MIN : lost);
	rb->ext_highest_seq = rtp_rx_stats_ext_max(s);
	rb->fraction_lost = interval_fraction(s, rb->ext_highest_seq - s->base_seq + 1);
	rb->jitter = rtp_rx_stats_jitter(s);
	if (s->have_sr) {
		rb->lsr = s->lsr;
		rb->dlsr = dlsr_units(s->sr_at_us, now_us);
	}
	return 0;
}

/* ---- sender side ---- */

#define TX_EXTRAPOLATE_MAX_US (1ull << 40)

void rtp_tx_stats_init(struct rtp_tx_stats *t, uint32_t ssrc)
{
	memset(t, 0, sizeof *t);
	t->ssrc = ssrc;
}

void rtp_tx_stats_update(struct rtp_tx_stats *t, uint32_t ts, size_t payload_len, uint64_t mono_us)
{
	t->started = true;
	t->packets++;
	t->octets += (uint32_t)payload_len; /* both counts wrap, RFC 3550 6.4.1 */
	t->last_ts = ts;
	t->last_mono_us = mono_us;
}

void rtp_tx_stats_sr(const struct rtp_tx_stats *t, struct rtcp_sr_info *sr, uint64_t wall_us,
		     uint64_t mono_us, uint32_t clock_rate)
{
	sr->ssrc = t->ssrc;
	sr->ntp = rtp_ntp_from_us(wall_us);
	sr->packet_count = t->packets;
	sr->octet_count = t->octets;
	sr->rtp_ts = t->last_ts;
	if (t->started && mono_us > t->last_mono_us) {
		uint64_t d = mono_us - t->last_mono_us;
		if (d > TX_EXTRAPOLATE_MAX_US)
			d = TX_EXTRAPOLATE_MAX_US;
		sr->rtp_ts += (uint32_t)(d * clock_rate / 1000000);
	}
}
