/* RTP endpoint requests: field parsing, port allocation, SDES keys.
 * Control loop only. The sockets are bound here, so a request that cannot
 * get a port fails at once with a clear error; the worker only watches
 * them. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/errors.h"
#include "core/util.h"
#include "room/room.h"
#include "vp/vp_int.h"

#define SDES_SUITE "AES_CM_128_HMAC_SHA1_80"
#define SDES_KEY_LEN 30 /* 16-byte key + 14-byte salt */

static const char *const allowed[] = { "user_id", "user_name", "direction", "remote", "codec",
				       "payload_type", "ptime", "clock_rate", "channels",
				       "publish_stream_id", "play", "rtcp_mux", "srtp",
				       "audio_level_id", "max_talkers", "timeout_ms", NULL };

static int bind_udp(const struct sockaddr_storage *addr, uint16_t port)
{
	struct sockaddr_storage a = *addr;
	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
	int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int buf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	if (bind(fd, (struct sockaddr *)&a, a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* A port (an even one and the next, without rtcp-mux) from media.rtp_ports. */
int vp_rtp_alloc_ports(struct rg_vps *v, bool pair, int *fd, int *fd2, uint16_t *port)
{
	const struct rg_config *c = v->d.cfg;
	struct sockaddr_storage addr;
	char text[RG_CFG_ADDR_MAX + 8];
	snprintf(text, sizeof text, strchr(c->media_address, ':') ? "[%s]:1" : "%s:1", c->media_address);
	if (rg_sockaddr_parse(text, &addr) != 0)
		return -EADDRNOTAVAIL; /* media.address is validated at start; "" binds nothing */
	unsigned span = (unsigned)c->rtp_port_max - c->rtp_port_min + 1;
	for (unsigned i = 0; i < span; i++) {
		unsigned p = c->rtp_port_min + (v->port_cursor++ % span);
		if (pair && (p % 2 || p + 1 > c->rtp_port_max))
			continue;
		int a = bind_udp(&addr, (uint16_t)p);
		if (a < 0)
			continue;
		int b = -1;
		if (pair && (b = bind_udp(&addr, (uint16_t)(p + 1))) < 0) {
			close(a);
			continue;
		}
		*fd = a;
		*fd2 = pair ? b : -1;
		*port = (uint16_t)p;
		return 0;
	}
	return -EADDRINUSE;
}

static const cJSON *field(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int int_field(const cJSON *o, const char *k, int lo, int hi, int def, int *out, char *msg,
		     size_t msglen)
{
	const cJSON *f = field(o, k);
	*out = def;
	if (!f)
		return 0;
	if (!cJSON_IsNumber(f) || f->valuedouble < lo || f->valuedouble > hi || f->valuedouble != (double)f->valueint)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"%s\": an integer from %d to %d", k, lo, hi);
	*out = f->valueint;
	return 0;
}

static int parse_codec(const cJSON *body, struct rg_rtp_ep_params *p, char *msg, size_t msglen)
{
	const cJSON *c = field(body, "codec");
	int id = RG_CODEC_OPUS;
	if (c) {
		id = cJSON_IsString(c) ? rg_codec_from_name(c->valuestring) : -EINVAL;
		if (id < 0)
			return vp_fail(msg, msglen, -RG_E_INVALID_FIELD,
				       "field \"codec\": one of \"opus\", \"pcmu\", \"pcma\", \"g722\", \"l16\"");
	}
	rg_codec_params_default(&p->codec, (enum rg_codec_id)id);
	int v, e;
	if ((e = int_field(body, "payload_type", 0, 127, rg_codec_default_pt(id), &v, msg, msglen)))
		return e;
	if (v >= 64 && v <= 95)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"payload_type\": 64-95 collide with RTCP");
	p->pt = (uint8_t)v;
	if ((e = int_field(body, "channels", 1, 2, (int)p->codec.channels, &v, msg, msglen)))
		return e;
	p->codec.channels = (unsigned)v;
	if ((e = int_field(body, "clock_rate", 8000, 48000, (int)p->codec.clock_rate, &v, msg, msglen)))
		return e;
	if (id == RG_CODEC_L16) {
		p->codec.clock_rate = p->codec.sample_rate = (unsigned)v;
	} else if ((unsigned)v != p->codec.clock_rate) {
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"clock_rate\": %s uses %u",
			       rg_codec_name(id), p->codec.clock_rate);
	}
	char m[200];
	if (rg_codec_params_check(&p->codec, m, sizeof m) != 0)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"codec\": %s", m);
	if ((e = int_field(body, "ptime", 10, 60, 20, &v, msg, msglen)))
		return e;
	if (id == RG_CODEC_OPUS && v != 20)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"ptime\": Opus endpoints send 20 ms packets (any ptime is received)");
	if (!rg_codec_ptime_ok(&p->codec, (unsigned)v))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"ptime\": %d ms is not possible with %s",
			       v, rg_codec_name(id));
	p->ptime_ms = (unsigned)v;
	return 0;
}

static int parse_srtp(const cJSON *body, struct rg_rtp_ep_params *p, cJSON *desc, char *msg, size_t msglen)
{
	const cJSON *s = field(body, "srtp");
	if (!s || cJSON_IsNull(s))
		return 0;
	const cJSON *suite = field(s, "suite"), *key = field(s, "key");
	if (!cJSON_IsObject(s))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"srtp\": an object {\"suite\", \"key\"} or null");
	if (suite && (!cJSON_IsString(suite) || strcmp(suite->valuestring, SDES_SUITE)))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"srtp.suite\": only " SDES_SUITE " is supported");
	uint8_t k[64];
	const char *text = cJSON_IsString(key) ? key->valuestring : "";
	if (!strncmp(text, "inline:", 7))
		text += 7;
	size_t tl = strcspn(text, "|");
	if (rg_base64_decode(k, sizeof k, text, tl) != SDES_KEY_LEN)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD,
			       "field \"srtp.key\": base64 of a 30-byte master key and salt (SDES inline key)");
	p->srtp = true;
	p->keys.profile = RG_SRTP_AES128_CM_SHA1_80;
	p->keys.key_len = 16;
	p->keys.salt_len = 14;
	memcpy(p->keys.remote, k, SDES_KEY_LEN);
	rg_random_bytes(p->keys.local, SDES_KEY_LEN);
	char b64[64];
	rg_base64_encode(b64, sizeof b64, p->keys.local, SDES_KEY_LEN);
	cJSON *o = cJSON_AddObjectToObject(desc, "srtp");
	cJSON_AddStringToObject(o, "suite", SDES_SUITE);
	cJSON_AddStringToObject(o, "key", b64);
	return 0;
}

static int parse_streams(struct rg_vps *v, const char *room_id, const cJSON *body, bool recv,
			 bool send, const char *id_hint, char **publish, char **play, cJSON *desc,
			 char *msg, size_t msglen)
{
	const cJSON *ps = field(body, "publish_stream_id"), *pl = field(body, "play");
	if (ps && (!recv || !cJSON_IsString(ps)))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, recv ? "field \"publish_stream_id\": must be a string"
			       : "field \"publish_stream_id\": only with direction recv or sendrecv");
	if (recv) {
		char def[64];
		snprintf(def, sizeof def, "rtp_%s", id_hint);
		const char *sid = ps ? ps->valuestring : def;
		int e = rg_validate_stream_id(sid);
		if (e)
			return vp_fail(msg, msglen, e, "field \"publish_stream_id\": %s", rg_error_info(e)->message);
		if (rg_registry_find_stream(v->d.reg, sid))
			return vp_fail(msg, msglen, -RG_E_STREAM_EXISTS, "field \"publish_stream_id\": stream %s exists already", sid);
		*publish = g_strdup(sid);
		cJSON_AddStringToObject(desc, "publish_stream_id", sid);
	}
	if (pl && (!send || !cJSON_IsString(pl)))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, send ? "field \"play\": \"mix\" or a stream ID"
			       : "field \"play\": only with direction send or sendrecv");
	if (send) {
		const char *what = pl ? pl->valuestring : "mix";
		if (strcmp(what, "mix")) {
			struct rg_stream *s = rg_registry_find_stream(v->d.reg, what);
			if (!s || strcmp(rg_room_id(rg_stream_room(s)), room_id))
				return vp_fail(msg, msglen, -RG_E_STREAM_NOT_FOUND, "field \"play\": no stream %.256s in room %s", what, room_id);
			*play = g_strdup(what);
		}
		cJSON_AddStringToObject(desc, "play", what);
	}
	return 0;
}

int vp_rtp_parse(struct rg_vps *v, const char *room_id, const cJSON *body, char **user_id,
		 char **user_name, char **publish, char **play, struct rg_rtp_ep_params *p,
		 cJSON *desc, char *msg, size_t msglen)
{
	int e = vp_only_fields(body, allowed, msg, msglen);
	if (e)
		return e;
	memset(p, 0, sizeof *p);
	p->fd = p->fd_rtcp = -1;
	const cJSON *u = field(body, "user_id"), *n = field(body, "user_name");
	if (!cJSON_IsString(u))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"user_id\": a string is required");
	e = rg_validate_user_id(u->valuestring);
	if (e)
		return vp_fail(msg, msglen, e, "field \"user_id\": %s", rg_error_info(e)->message);
	if (n && (!cJSON_IsString(n) || rg_validate_user_name(n->valuestring)))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"user_name\": a string of at most 256 bytes");
	const cJSON *d = field(body, "direction");
	const char *dir = cJSON_IsString(d) ? d->valuestring : d ? "" : "sendrecv";
	p->recv = !strcmp(dir, "recv") || !strcmp(dir, "sendrecv");
	p->send = !strcmp(dir, "send") || !strcmp(dir, "sendrecv");
	if (!p->recv && !p->send)
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"direction\": \"send\", \"recv\" or \"sendrecv\"");
	const cJSON *r = field(body, "remote");
	if (r && (!cJSON_IsString(r) || rg_sockaddr_parse(r->valuestring, &p->remote) != 0))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"remote\": a numeric \"host:port\" (IPv6 as \"[addr]:port\")");
	if ((e = parse_codec(body, p, msg, msglen)))
		return e;
	int val;
	if ((e = int_field(body, "audio_level_id", 1, 14, 0, &val, msg, msglen)))
		return e;
	p->level_id = (uint8_t)val;
	if ((e = int_field(body, "max_talkers", 1, 1024, (int)v->d.cfg->mix_max_talkers, &val, msg, msglen)))
		return e;
	p->max_talkers = (unsigned)val;
	if ((e = int_field(body, "timeout_ms", 0, 3600000, (int)v->d.cfg->rtp_timeout_ms, &val, msg, msglen)))
		return e;
	p->timeout_ms = (unsigned)val;
	const cJSON *mux = field(body, "rtcp_mux");
	if (mux && !cJSON_IsBool(mux))
		return vp_fail(msg, msglen, -RG_E_INVALID_FIELD, "field \"rtcp_mux\": true or false");
	bool rtcp_mux = cJSON_IsTrue(mux);
	char hint[VP_ID_LEN + 1];
	rg_random_id(hint, VP_ID_LEN / 4);
	if ((e = parse_streams(v, room_id, body, p->recv, p->send, hint, publish, play, desc, msg, msglen)))
		goto out;
	if ((e = parse_srtp(body, p, desc, msg, msglen)))
		goto out;
	uint16_t port;
	int pe = vp_rtp_alloc_ports(v, !rtcp_mux, &p->fd, &p->fd_rtcp, &port);
	if (pe == -EADDRNOTAVAIL) {
		e = vp_fail(msg, msglen, -RG_E_UNAVAILABLE, "media.address is not set: RTP endpoints need an address to bind");
		goto out;
	} else if (pe) {
		e = vp_fail(msg, msglen, -RG_E_UNAVAILABLE, "no free RTP port in media.rtp_ports %u-%u",
			    v->d.cfg->rtp_port_min, v->d.cfg->rtp_port_max);
		goto out;
	}
	*user_id = g_strdup(u->valuestring);
	*user_name = g_strdup(n ? n->valuestring : u->valuestring);
	const char *adv = *v->d.cfg->public_address ? v->d.cfg->public_address : v->d.cfg->media_address;
	char local[RG_CFG_ADDR_MAX + 16];
	snprintf(local, sizeof local, strchr(adv, ':') ? "[%s]:%u" : "%s:%u", adv, port);
	cJSON_AddStringToObject(desc, "local", local);
	if (!rtcp_mux) {
		snprintf(local, sizeof local, strchr(adv, ':') ? "[%s]:%u" : "%s:%u", adv, port + 1);
		cJSON_AddStringToObject(desc, "local_rtcp", local);
	}
	cJSON_AddStringToObject(desc, "direction", dir);
	if (r)
		cJSON_AddStringToObject(desc, "remote", r->valuestring);
	else
		cJSON_AddNullToObject(desc, "remote");
	cJSON *c = cJSON_AddObjectToObject(desc, "codec");
	cJSON_AddStringToObject(c, "name", rg_codec_name(p->codec.id));
	cJSON_AddNumberToObject(c, "payload_type", p->pt);
	cJSON_AddNumberToObject(c, "clock_rate", p->codec.clock_rate);
	cJSON_AddNumberToObject(c, "channels", p->codec.channels);
	cJSON_AddNumberToObject(c, "ptime", p->ptime_ms);
	cJSON_AddBoolToObject(desc, "rtcp_mux", rtcp_mux);
	cJSON_AddNumberToObject(desc, "timeout_ms", p->timeout_ms);
	return 0;
out:
	g_free(*publish);
	g_free(*play);
	*publish = *play = NULL;
	return e;
}
