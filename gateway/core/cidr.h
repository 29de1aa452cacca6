/* IP address ranges in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or a
 * single address without a prefix length). Pure functions, any thread.
 * Used by the configuration (validation) and by the SIP gateway (which
 * trunk an INVITE's source address belongs to). */
#ifndef RG_CORE_CIDR_H
#define RG_CORE_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct sockaddr;

struct rg_cidr {
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
	uint8_t bits;     /* prefix length: 0..32 (IPv4), 0..128 (IPv6) */
	bool v6;
};

/* Parses text; 0, or -EINVAL (not an address, a prefix out of range, or
 * host bits set beyond the prefix: "10.0.0.1/8" is refused as a likely
 * mistake). */
int rg_cidr_parse(struct rg_cidr *out, const char *text);

/* Whether the address (family, 4 or 16 bytes) lies in the range. An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 ranges. */
bool rg_cidr_match(const struct rg_cidr *c, bool v6, const uint8_t *addr);

/* The same for a socket address (AF_INET or AF_INET6; false otherwise). */
bool rg_cidr_match_sa(const struct rg_cidr *c, const struct sockaddr *sa);

#endif
