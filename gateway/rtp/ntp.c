/* NTP timestamps for RTCP (RFC 3550 4, RFC 5905 6) and the round trip time
 * from a report block (RFC 3550 6.4.1). See rtp/rtp.h for the contract.
 *
 * An NTP timestamp is 32.32 fixed-point seconds since 1900-01-01; the
 * seconds field wraps on 2036-02-07 (era 1), which the conversions here
 * follow: from_us keeps the low 32 bits of the seconds, to_us reads small
 * seconds values as era 1. The "compact" form is the middle 32 bits
 * (16.16), used by LSR, DLSR and the RTT subtraction, which is done modulo
 * 2^32 so it survives the 16-bit seconds wrap (every 18 hours).
 *
 * No clock is read here: callers pass the wall time. */
#include "rtp/rtp.h"

#define NTP_UNIX_OFFSET 2208988800ull /* seconds 1900-01-01 .. 1970-01-01 */
#define US_PER_S 1000000ull
#define RTT_ROUNDING_SLACK 66         /* ~1 ms in 1/65536 s */

uint64_t rtp_ntp_from_us(uint64_t unix_us)
{
	uint64_t s = unix_us / US_PER_S + NTP_UNIX_OFFSET;
	uint64_t us = unix_us % US_PER_S;
	uint64_t frac = ((us << 32) + US_PER_S / 2) / US_PER_S;
	return s << 32 | frac;
}

uint64_t rtp_ntp_to_us(uint64_t ntp)
{
	uint64_t s = ntp >> 32;
	if (s < 0x80000000ull)
		s += 1ull << 32; /* era 1 */
	if (s < NTP_UNIX_OFFSET)
		return 0;
	uint64_t frac = ntp & 0xFFFFFFFFull;
	return (s - NTP_UNIX_OFFSET) * US_PER_S + ((frac * US_PER_S + (1ull << 31)) >> 32);
}

uint32_t rtp_ntp_compact(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

int rtp_rtt_ms(const struct rtcp_report_block *rb, uint64_t now_ntp)
{
	if (rb->lsr == 0)
		return -ENODATA;
	int32_t rtt = (int32_t)(rtp_ntp_compact(now_ntp) - rb->lsr - rb->dlsr);
	if (rtt < 0)
		return rtt >= -RTT_ROUNDING_SLACK ? 0 : -ERANGE;
	return (int)(((uint64_t)rtt * 1000 + 32768) >> 16);
}
