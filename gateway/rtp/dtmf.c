/* RFC 4733 telephone-event payload (section 2.3), for DTMF on SIP/RTP legs:
 *
 *   |     event     |E|R| volume    |          duration             |
 *
 * One event per payload; a sender repeats the packet with a growing
 * duration and sets E on the last (sent three times). Turning that stream
 * of packets into digit events (dedup on the RTP timestamp, which stays the
 * event's start) is the caller's job; this file only does the bytes. Pure,
 * see rtp/rtp.h. */
#include "rtp/rtp.h"

#include "rtp/rtp_int.h"

static const char dtmf_chars[] = "0123456789*#ABCD";
#define DTMF_EVENTS (sizeof dtmf_chars - 1)

int rtp_tel_event_decode(struct rtp_tel_event *ev, const uint8_t *buf, size_t len)
{
	if (!buf || len < RTP_TEL_EVENT_SIZE)
		return -EBADMSG;
	ev->event = buf[0];
	ev->end = buf[1] & 0x80;
	ev->volume = buf[1] & 0x3F;
	ev->duration = rtp__rd16(buf + 2);
	return 0;
}

int rtp_tel_event_encode(uint8_t *buf, size_t size, const struct rtp_tel_event *ev)
{
	if (ev->volume > 63)
		return -EINVAL;
	if (size < RTP_TEL_EVENT_SIZE)
		return -ENOSPC;
	buf[0] = ev->event;
	buf[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	rtp__wr16(buf + 2, ev->duration);
	return RTP_TEL_EVENT_SIZE;
}

char rtp_tel_event_to_char(uint8_t event)
{
	return event < DTMF_EVENTS ? dtmf_chars[event] : '\0';
}

int rtp_tel_event_from_char(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; i < (int)DTMF_EVENTS; i++)
		if (dtmf_chars[i] == c)
			return i;
	return -EINVAL;
}
