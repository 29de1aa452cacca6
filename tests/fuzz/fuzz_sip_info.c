/* libFuzzer target for sip/info: the DTMF digit of a SIP INFO body.
 *
 * The first byte picks the content type (dtmf-relay, dtmf, another), the
 * rest is the body. The answer is 0 or one of 0-9 * # A-D. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/dtmf-relay", "application/dtmf", "text/plain" };
	if (size < 1)
		return 0;
	char d = rg_sip_info_digit(types[data[0] % 3], (const char *)data + 1, size - 1);
	if (d && !strchr("0123456789*#ABCD", d))
		abort();
	return 0;
}
