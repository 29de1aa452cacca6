/* Logging: one line per event on stderr, "<UTC timestamp> <level> <subsystem>: <text>".
 * Levels are set per subsystem (config "log"). Callable from any thread: each
 * line is formatted into one buffer and written with a single write(2).
 * Never pass secrets (server secret, admin key, tokens) to these functions. */
#ifndef RG_CORE_LOG_H
#define RG_CORE_LOG_H

#include <stdarg.h>

enum rg_log_level { RG_LOG_ERROR = 0, RG_LOG_WARN, RG_LOG_INFO, RG_LOG_DEBUG, RG_LOG_TRACE };

enum rg_log_sub {
	RG_SUB_MAIN = 0,
	RG_SUB_CONFIG,
	RG_SUB_HTTP,
	RG_SUB_API,
	RG_SUB_AUTH,
	RG_SUB_ROOM,
	RG_SUB_SIGNAL,
	RG_SUB_MEDIA,
	RG_SUB_WEBHOOK,
	RG_SUB_SIP,
	RG_SUB_COUNT
};

/* Parses "error|warn|info|debug|trace"; returns the level or -1. */
int rg_log_level_parse(const char *s);
/* Parses a subsystem name ("main", "config", "http", ...); returns it or -1. */
int rg_log_sub_parse(const char *s);
const char *rg_log_sub_name(enum rg_log_sub sub);
void rg_log_set_level(enum rg_log_sub sub, enum rg_log_level level);
void rg_log_set_all(enum rg_log_level level);
int rg_log_enabled(enum rg_log_sub sub, enum rg_log_level level);
void rg_log(enum rg_log_sub sub, enum rg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define RG_ERR(sub, ...) rg_log(RG_SUB_##sub, RG_LOG_ERROR, __VA_ARGS__)
#define RG_WARN(sub, ...) rg_log(RG_SUB_##sub, RG_LOG_WARN, __VA_ARGS__)
#define RG_INFO(sub, ...) rg_log(RG_SUB_##sub, RG_LOG_INFO, __VA_ARGS__)
#define RG_DEBUG(sub, ...)                                              \
	do {                                                            \
		if (rg_log_enabled(RG_SUB_##sub, RG_LOG_DEBUG))         \
			rg_log(RG_SUB_##sub, RG_LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
