/* The HTTP server on one port (libmicrohttpd): /ws (client signaling),
 * /v1/... (admin REST), /healthz, /metrics, /dev/token, /sdk/..., /demo/.
 *
 * Threads: MHD's own thread parses requests. Anything that reads or changes
 * room state is posted to the control loop as a job while the connection
 * is suspended; the job fills in the response and resumes it. Static files
 * and /dev/token need no room state and are answered on MHD's thread.
 * Upgraded WebSocket sockets are handed to signal/ (rg_signal_accept). */
#ifndef RG_API_API_H
#define RG_API_API_H

#include <stddef.h>
#include <stdint.h>

struct rg_loop;
struct rg_config;
struct rg_registry;
struct rg_signal;
struct rg_metrics;
struct rg_media;
struct rg_vps;
struct rg_webhooks;
struct rg_sip;
struct rg_api;

struct rg_api_deps {
	struct rg_loop *control;
	const struct rg_config *cfg;
	struct rg_registry *reg;
	struct rg_signal *sig;
	struct rg_metrics *metrics;
	struct rg_media *media;
	struct rg_vps *vps;
	struct rg_webhooks *webhooks; /* may be NULL; its counters go to /metrics */
	struct rg_sip *sip;           /* NULL when SIP is off */
};

/* Starts listening. Returns NULL with a message in err on failure. */
struct rg_api *rg_api_start(const struct rg_api_deps *deps, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
uint16_t rg_api_port(const struct rg_api *api);
/* Stops accepting, waits for MHD's thread, frees. Upgraded sockets must have
 * been released before (rg_signal_free + rg_api_upgrades_live() == 0). */
void rg_api_stop(struct rg_api *api);
/* Stops accepting new connections (first step of shutdown). */
void rg_api_quiesce(struct rg_api *api);
/* Upgraded sockets not yet given back plus requests waiting for the
 * control loop: shutdown runs the control loop until this is 0. */
unsigned rg_api_upgrades_live(const struct rg_api *api);

#endif
