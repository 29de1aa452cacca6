/* libFuzzer target for sip/digest's Authorization parser.
 *
 * The input is parsed as an Authorization header value. A failure must be
 * one of the documented codes; an accepted header has every field the
 * parser promises, NUL-terminated within its buffer, and verifying it
 * against a password must not crash (whatever the answer). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_sip_digest d;
	int rc = rg_sip_digest_parse(&d, (const char *)data, size);
	if (rc) {
		CHECK(rc == -EINVAL || rc == -ENOTSUP);
		return 0;
	}
	CHECK(d.username[0] && d.realm[0] && d.nonce[0] && d.uri[0] && d.response[0]);
	CHECK(memchr(d.username, 0, sizeof d.username) && memchr(d.uri, 0, sizeof d.uri));
	CHECK(!d.qop[0] || (d.nc[0] && d.cnonce[0]));
	(void)rg_sip_digest_verify(&d, "INVITE", "secret");
	return 0;
}
