/* Configuration: one JSONC file (// and block comments, trailing commas)
 * over built-in defaults, then ROOMGATE_* environment overrides. Every key is
 * documented in docs/configuration.md. Loaded once on the main thread before
 * any other thread starts; read-only afterwards (any thread may read it). */
#ifndef RG_CORE_CONFIG_H
#define RG_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

#define RG_CFG_ADDR_MAX 256
#define RG_CFG_MIX_THREADS_AUTO UINT32_MAX /* media.mix_threads not given */

/* Webhook endpoints ("webhooks", docs/webhooks.md). The secret is private:
 * never logged and never shown by the admin API. */
#define RG_CFG_WEBHOOKS_MAX 8
#define RG_CFG_WEBHOOK_EVENTS_MAX 32
#define RG_CFG_WEBHOOK_PATTERN_MAX 64

struct rg_config_webhook {
	char url[1024];    /* http:// or https:// */
	char secret[257];  /* HMAC-SHA256 key, at least 16 characters */
	char events[RG_CFG_WEBHOOK_EVENTS_MAX][RG_CFG_WEBHOOK_PATTERN_MAX]; /* filter patterns */
	unsigned n_events;
	unsigned timeout_ms;     /* per attempt, connecting included */
	unsigned max_attempts;   /* then the event is given up */
	unsigned backoff_ms;     /* wait before the 2nd attempt; doubles per attempt */
	unsigned max_backoff_ms; /* cap of the wait */
	unsigned queue;          /* events waiting at most (the one being sent included) */
};

/* recording.auto_record: a recording starts when a room whose ID matches
 * the glob pattern (* and ?) is created. */
#define RG_CFG_AUTO_RECORD_MAX 16
struct rg_config_auto_record {
	char room[129];
	bool mixed, wav;
	unsigned max_duration_s; /* 0: none */
};

/* SIP dial-in rules ("sip.dial_in", docs/sip.md): first match wins. */
#define RG_CFG_SIP_RULES_MAX 32
struct rg_config_sip_rule {
	char user_regex[256]; /* POSIX extended regex over the request-URI user */
	char room[256];       /* templates: $0..$9 captures, ${caller}, ${call} */
	char user_id[256];    /* "" = the default template */
	char user_name[256];
	char trunk[64];       /* "" = any call; else only calls from that trunk */
	char pin[17];         /* digits the caller enters (DTMF, then #), "" = none */
	char route_url[512];  /* "" = none; else this webhook decides the room (docs/sip.md) */
	char route_secret[128]; /* signs its requests, "" = unsigned */
	unsigned route_timeout_ms;
	bool route_fallback_rule; /* no usable answer: the rule's own room (else 503) */
};

/* SIP trunks ("sip.trunks", docs/sip.md#trunks): a provider or a PBX we
 * register with, take calls from and dial out through. Passwords are
 * private: never logged and never shown by the admin API. */
#define RG_CFG_SIP_TRUNKS_MAX 16
#define RG_CFG_TRUNK_CIDRS_MAX 16
#define RG_CFG_SIP_NAME_MAX 64
#define RG_CFG_SIP_CRED_MAX 128
enum rg_cfg_srtp { RG_CFG_SRTP_OFF = 0, RG_CFG_SRTP_OPTIONAL, RG_CFG_SRTP_REQUIRED };
enum rg_cfg_sip_transport { RG_CFG_SIP_UDP = 0, RG_CFG_SIP_TCP, RG_CFG_SIP_TLS };
struct rg_config_sip_trunk {
	char name[RG_CFG_SIP_NAME_MAX];
	char address[RG_CFG_ADDR_MAX];      /* "host:port" of the registrar / proxy (host may be a name) */
	enum rg_cfg_sip_transport transport;
	char username[RG_CFG_SIP_CRED_MAX]; /* "" = none */
	char password[RG_CFG_SIP_CRED_MAX];
	char auth_username[RG_CFG_SIP_CRED_MAX]; /* "" = username */
	char from_user[RG_CFG_SIP_CRED_MAX];     /* "" = username */
	char display_name[RG_CFG_SIP_CRED_MAX];
	bool reg;                           /* "register" */
	unsigned register_expires_s;
	bool has_inbound;                   /* an "inbound" object was given */
	char cidrs[RG_CFG_TRUNK_CIDRS_MAX][64]; /* inbound source ranges (validated) */
	unsigned n_cidrs;
	char in_username[RG_CFG_SIP_CRED_MAX]; /* inbound digest credentials, "" = none */
	char in_password[RG_CFG_SIP_CRED_MAX];
	char codecs[128];                   /* "" = sip.codecs */
	enum rg_cfg_srtp srtp;
	unsigned max_calls;                 /* 0 = unlimited */
};

struct rg_config {
	uint32_t app_id;
	char server_secret[33];
	char admin_key[257];

	char http_host[RG_CFG_ADDR_MAX]; /* from http.listen "host:port" */
	uint16_t http_port;
	unsigned http_max_body_bytes;
	unsigned http_max_connections;
	char web_root[1024];
	bool dev_token_endpoint;
	unsigned dev_token_ttl_s;
	bool legacy_cbc_tokens; /* accept AES-CBC token04 (no integrity tag) */

	char media_address[RG_CFG_ADDR_MAX];
	char public_address[RG_CFG_ADDR_MAX];
	uint16_t rtp_port_min, rtp_port_max;
	unsigned media_workers; /* 0 = number of CPUs */
	unsigned mix_threads;   /* the mixers' helper threads; RG_CFG_MIX_THREADS_AUTO:
				   one less than the CPUs; 0 = none */
	unsigned mix_max_talkers; /* loudest inputs mixed, unless a mix says otherwise */
	unsigned jitter_min_ms, jitter_max_ms; /* mixed inputs' jitter buffer bounds */
	char recordings_dir[1024]; /* recording.dir: recordings go to <dir>/<room>/<id>/ */
	bool recording_visible;    /* recorders shown in clients' user lists */
	struct rg_config_auto_record auto_record[RG_CFG_AUTO_RECORD_MAX];
	unsigned n_auto_record;
	unsigned rtp_timeout_ms;  /* RTP endpoints: no RTP for this long removes them (0 never) */

	unsigned max_rooms;
	unsigned max_users_per_room;
	unsigned max_sessions;
	unsigned max_message_bytes;
	unsigned login_attempts_per_ip_per_s;

	unsigned heartbeat_interval_ms;
	unsigned heartbeat_timeout_ms;
	unsigned resume_grace_ms;
	unsigned login_timeout_ms; /* a socket must log in within this time */

	int log_base;               /* log.level */
	int log_sub[RG_SUB_COUNT];  /* log.subsystems overrides, -1 = none */

	char sip_listen[RG_CFG_ADDR_MAX];     /* "host:port", "" = no SIP */
	char sip_advertised[RG_CFG_ADDR_MAX]; /* in Contact/Via/SDP, "" = none */
	char sip_tls_listen[RG_CFG_ADDR_MAX]; /* "host:port" for SIP over TLS, "" = no TLS */
	char sip_tls_cert_dir[1024];          /* agent.pem (certificate + key), optional cafile.pem */
	char sip_codecs[128];                 /* preference list, comma-separated */
	unsigned sip_media_timeout_ms;
	char sip_realm[RG_CFG_SIP_NAME_MAX];  /* digest realm of inbound challenges */
	unsigned sip_session_expires_s;       /* RFC 4028 interval we ask for, 0 = no timer */
	bool sip_refer_follow;                /* sip.refer: "follow" (transfers dialed), else "reject" (405) */
	char sip_refer_allow[512];            /* POSIX ERE a Refer-To URI must match, "" = any */
	struct rg_config_sip_rule sip_rules[RG_CFG_SIP_RULES_MAX];
	unsigned n_sip_rules;
	struct rg_config_sip_trunk sip_trunks[RG_CFG_SIP_TRUNKS_MAX];
	unsigned n_sip_trunks;

	struct rg_config_webhook webhooks[RG_CFG_WEBHOOKS_MAX];
	unsigned n_webhooks;

	char source[1024]; /* file the config came from, or "<built-in ...>" */
};

/* Fills cfg with the built-in defaults (documented in docs/configuration.md). */
void rg_config_defaults(struct rg_config *cfg);

/* Parses JSONC text over the current values of cfg. name is used in error
 * messages ("file:line:col: ..."). Returns 0, or -EINVAL with a message in
 * err (NUL-terminated) naming the key and position. */
int rg_config_parse(struct rg_config *cfg, const char *name, const char *text, size_t len,
		    char *err, size_t errlen);

/* Reads a file and parses it. -ENOENT etc. with a message on I/O errors. */
int rg_config_load_file(struct rg_config *cfg, const char *path, char *err, size_t errlen);

/* Applies ROOMGATE_* environment variables (getenv). Same error contract.
 * ROOMGATE_WEBHOOK_URL replaces the webhook list by one endpoint;
 * ROOMGATE_WEBHOOK_SECRET / _EVENTS set that endpoint's secret / filter
 * (or the only endpoint of the file). */
int rg_config_apply_env(struct rg_config *cfg, char *err, size_t errlen);

/* Cross-field checks after everything is loaded: secret and key lengths,
 * heartbeat timings, addresses, refusing non-loopback listening with the
 * example secret/key, webhook secrets. */
int rg_config_validate(const struct rg_config *cfg, char *err, size_t errlen);

/* Splits "host:port" / "[v6]:port" (numeric host); 0 or -EINVAL. */
int rg_config_split_hostport(const char *s, char *host, size_t hostcap, uint16_t *port);

/* The effective level of a subsystem: its override, else log.level. */
int rg_config_log_level(const struct rg_config *cfg, enum rg_log_sub sub);
/* Applies log levels to the log module. */
void rg_config_apply_log(const struct rg_config *cfg);

/* The default config file compiled into the binary (config/roomgate.jsonc). */
extern const char rg_config_embedded[];
extern const size_t rg_config_embedded_len;

/* JSONC helpers, pure (exposed for tests and fuzzing):
 * strips comments and trailing commas in place, replacing them with spaces
 * so byte offsets (and so line:col) stay the same. Returns 0 or -EINVAL with
 * *err_off set (unterminated comment or string). */
int rg_jsonc_strip(char *text, size_t len, size_t *err_off);
/* line and column (1-based) of byte offset off. */
void rg_text_position(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);
/* Byte offset of the key named by path (keys separated by '.', array
 * elements as "key[2]") in stripped JSON text, or (size_t)-1. */
size_t rg_jsonc_locate(const char *text, size_t len, const char *path);

#endif
