/* libFuzzer target for the configuration reader (gateway/core/config.c,
 * jsonc.c): each input is parsed as a JSONC configuration file (comments,
 * key table, "webhooks" endpoints, error positions), validated, and
 * searched with rg_jsonc_locate for array-element paths. The input is an
 * exact-size copy, so ASan sees any overread. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "webhooks", "webhooks[0]", "webhooks[1].url", "webhooks[0].events[2]",
					     "http.listen", "a[0][1].b", "webhooks[", "webhooks[99999999999999999999]" };
	struct rg_config *c = malloc(sizeof *c);
	char *text = malloc(size ? size : 1);
	if (!c || !text) {
		free(c);
		free(text);
		return 0;
	}
	char err[512];
	rg_config_defaults(c);
	if (rg_config_parse(c, "fuzz", (const char *)data, size, err, sizeof err) == 0) {
		rg_config_validate(c, err, sizeof err);
		for (unsigned i = 0; i < c->n_webhooks; i++) {
			const struct rg_config_webhook *h = &c->webhooks[i];
			if (!memchr(h->url, '\0', sizeof h->url) || h->n_events > RG_CFG_WEBHOOK_EVENTS_MAX)
				abort();
		}
	}
	memcpy(text, data, size);
	size_t off;
	if (rg_jsonc_strip(text, size, &off) == 0)
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
			size_t at = rg_jsonc_locate(text, size, paths[i]);
			if (at != (size_t)-1 && at >= size)
				abort();
		}
	free(text);
	free(c);
	return 0;
}
