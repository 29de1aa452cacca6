/* The DTMF digit of a SIP INFO body (pure, any thread; public for tests):
 * application/dtmf-relay ("Signal=5\r\nDuration=160", the Signal line
 * anywhere, case-insensitive) or application/dtmf ("5"). One character of
 * 0-9 * # A-D (a-d taken as A-D); anything else ("Signal=10", a flash; an
 * empty or longer value; another content type; a body over 512 bytes)
 * gives 0. */
#ifndef RG_SIP_INFO_H
#define RG_SIP_INFO_H

#include <stddef.h>

char rg_sip_info_digit(const char *content_type, const char *body, size_t len);

#endif
