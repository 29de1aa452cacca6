#include "core/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static _Atomic int levels[RG_SUB_COUNT] = {
	RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO,
	RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO, RG_LOG_INFO,
};

static const char *const sub_names[RG_SUB_COUNT] = {
	"main", "config", "http", "api", "auth", "room", "signal", "media", "webhook", "sip",
};
static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

int rg_log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (s && strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int rg_log_sub_parse(const char *s)
{
	for (int i = 0; i < RG_SUB_COUNT; i++)
		if (s && strcmp(s, sub_names[i]) == 0)
			return i;
	return -1;
}

const char *rg_log_sub_name(enum rg_log_sub sub)
{
	return (unsigned)sub < RG_SUB_COUNT ? sub_names[sub] : "?";
}

void rg_log_set_level(enum rg_log_sub sub, enum rg_log_level level)
{
	if ((unsigned)sub < RG_SUB_COUNT)
		atomic_store(&levels[sub], (int)level);
}

void rg_log_set_all(enum rg_log_level level)
{
	for (int i = 0; i < RG_SUB_COUNT; i++)
		atomic_store(&levels[i], (int)level);
}

int rg_log_enabled(enum rg_log_sub sub, enum rg_log_level level)
{
	return (unsigned)sub < RG_SUB_COUNT && (int)level <= atomic_load(&levels[sub]);
}

void rg_log(enum rg_log_sub sub, enum rg_log_level level, const char *fmt, ...)
{
	if (!rg_log_enabled(sub, level))
		return;
	char line[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000), level_names[level], sub_names[sub]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	/* one event, one line: fold embedded newlines */
	for (size_t i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
