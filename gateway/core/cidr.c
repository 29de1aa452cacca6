/* CIDR ranges: see cidr.h. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int rg_cidr_parse(struct rg_cidr *out, const char *text)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof buf)
		return -EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	struct rg_cidr c;
	memset(&c, 0, sizeof c);
	if (inet_pton(AF_INET, buf, c.addr) == 1)
		c.v6 = false;
	else if (inet_pton(AF_INET6, buf, c.addr) == 1)
		c.v6 = true;
	else
		return -EINVAL;
	unsigned max = c.v6 ? 128 : 32, bits = max;
	if (slash) {
		const char *p = slash + 1;
		if (!*p || strlen(p) > 3)
			return -EINVAL;
		bits = 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > max)
			return -EINVAL;
	}
	c.bits = (uint8_t)bits;
	for (unsigned i = bits; i < max; i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	*out = c;
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool rg_cidr_match(const struct rg_cidr *c, bool v6, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (v6 && !c->v6 && !memcmp(addr, mapped, sizeof mapped)) {
		v6 = false;
		addr += 12;
	}
	if (v6 != c->v6)
		return false;
	return prefix_equal(c->addr, addr, c->bits);
}

bool rg_cidr_match_sa(const struct rg_cidr *c, const struct sockaddr *sa)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		return rg_cidr_match(c, false, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return rg_cidr_match(c, true, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return false;
}
