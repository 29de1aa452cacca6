/* Fuzz target: client protocol messages (signal/proto.c) and the JSONC
 * config parser (core/config.c, core/jsonc.c), both fed untrusted text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "signal/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rg_request req;
	char err[256];
	int rc = rg_proto_parse(&req, (const char *)data, size, err, sizeof err);
	char *resp = rc ? rg_proto_response_error(req.id, rc, err) : rg_proto_response_ok(req.id, NULL);
	free(resp);
	rg_proto_request_free(&req);

	struct rg_config *cfg = malloc(sizeof *cfg);
	if (cfg) {
		rg_config_defaults(cfg);
		rg_config_parse(cfg, "fuzz", (const char *)data, size, err, sizeof err);
		free(cfg);
	}
	return 0;
}
