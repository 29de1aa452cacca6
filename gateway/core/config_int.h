/* Private to core/config*.c: the file walker's state and helpers shared by
 * config.c (keys, sections, webhooks, recording rules) and config_sip.c
 * (the sip section's arrays and cross-field checks). */
#ifndef RG_CORE_CONFIG_INT_H
#define RG_CORE_CONFIG_INT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/config.h"

struct walk {
	struct rg_config *cfg;
	const char *name; /* file name for messages */
	const char *text; /* stripped JSON, for line:col of a key */
	size_t len;
	char *err;
	size_t errlen;
};

/* Formats into err; returns -EINVAL. */
int cfg_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "file:line:col: key \"path\": message"; returns -EINVAL. */
int cfg_walk_fail(struct walk *w, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A JSON string that fits cap (NUL included) into dst. */
int cfg_walk_string(struct walk *w, const cJSON *it, const char *path, char *dst, size_t cap);

/* Arrays of objects: each element to fn with its path "key[i]" and its
 * slot in items (size bytes each); *n counts the elements walked. */
typedef int (*walk_elem_fn)(struct walk *w, const cJSON *o, const char *path, void *elem);
int cfg_walk_list(struct walk *w, const cJSON *arr, const char *key, const char *what, unsigned max,
		  walk_elem_fn fn, void *items, size_t size, unsigned *n);

/* config_sip.c */
int cfg_walk_sip_rules(struct walk *w, const cJSON *arr);
int cfg_walk_sip_trunks(struct walk *w, const cJSON *arr);
/* sip.refer: "reject" or "follow". */
int cfg_walk_sip_refer(struct walk *w, const cJSON *it);
int cfg_validate_sip(const struct rg_config *c, char *err, size_t errlen);

#endif
