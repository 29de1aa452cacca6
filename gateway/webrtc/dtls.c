/* DTLS over OpenSSL with a custom BIO pair: input through a memory BIO
 * (one datagram at a time), output through a BIO whose every write is one
 * datagram handed to the leg. See dtls.h. */
#include "webrtc/dtls.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

#define DTLS_MTU 1200

struct rg_dtls_cert {
	EVP_PKEY *key;
	X509 *x509;
	SSL_CTX *ctx;
	uint8_t fp[32];
};

struct rg_dtls {
	SSL *ssl;           /* NULL once released */
	const char *version; /* SSL_get_version's, static */
	BIO *in;
	enum rg_dtls_state state;
	const char *error;
	bool client;
	uint8_t peer_fp[32];
	rg_dtls_send_fn send;
	void *arg;
};

/* ---- the output BIO: one write, one datagram ---- */

static int out_write(BIO *b, const char *buf, int len)
{
	struct rg_dtls *d = BIO_get_data(b);
	if (d && len > 0)
		d->send(d->arg, (const uint8_t *)buf, (size_t)len);
	return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_MTU;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0;
	default:
		return 0;
	}
}

static int out_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *out_method(void)
{
	static BIO_METHOD *m; /* created once, before any worker starts (rg_dtls_cert_new) */
	if (!m) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "roomgate dtls out");
		BIO_meth_set_write(m, out_write);
		BIO_meth_set_ctrl(m, out_ctrl);
		BIO_meth_set_create(m, out_create);
	}
	return m;
}

/* ---- certificate ---- */

static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1; /* self-signed: the fingerprint from the SDP is checked after the handshake */
}

static X509 *make_x509(EVP_PKEY *key)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	uint64_t serial;
	rg_random_bytes(&serial, sizeof serial);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"roomgate", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static SSL_CTX *make_ctx(struct rg_dtls_cert *c)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	if (SSL_CTX_use_certificate(ctx, c->x509) != 1 || SSL_CTX_use_PrivateKey(ctx, c->key) != 1 ||
	    SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	SSL_CTX_set_read_ahead(ctx, 1);
	return ctx;
}

struct rg_dtls_cert *rg_dtls_cert_new(void)
{
	struct rg_dtls_cert *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	out_method();
	c->key = EVP_EC_gen("P-256");
	c->x509 = c->key ? make_x509(c->key) : NULL;
	unsigned int n = 0;
	if (!c->x509 || !X509_digest(c->x509, EVP_sha256(), c->fp, &n) || n != 32 ||
	    !(c->ctx = make_ctx(c))) {
		rg_dtls_cert_free(c);
		return NULL;
	}
	return c;
}

void rg_dtls_cert_free(struct rg_dtls_cert *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const uint8_t *rg_dtls_cert_fingerprint(const struct rg_dtls_cert *c)
{
	return c->fp;
}

/* ---- one leg ---- */

const char *rg_srtp_profile_name(enum rg_srtp_profile p)
{
	switch (p) {
	case RG_SRTP_AES128_CM_SHA1_80: return "AES_CM_128_HMAC_SHA1_80";
	case RG_SRTP_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
	default: return "none";
	}
}

const char *rg_dtls_state_name(enum rg_dtls_state s)
{
	static const char *const names[] = { "new", "handshake", "connected", "failed", "closed" };
	return (unsigned)s < RG_ARRAY_LEN(names) ? names[s] : "?";
}

struct rg_dtls *rg_dtls_new(const struct rg_dtls_cert *cert, bool client, const uint8_t peer_fp[32],
			    rg_dtls_send_fn send, void *arg)
{
	struct rg_dtls *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->ssl = SSL_new(cert->ctx);
	d->in = BIO_new(BIO_s_mem());
	BIO *out = BIO_new(out_method());
	if (!d->ssl || !d->in || !out) {
		BIO_free(d->in);
		BIO_free(out);
		SSL_free(d->ssl);
		free(d);
		return NULL;
	}
	BIO_set_mem_eof_return(d->in, -1);
	BIO_set_data(out, d);
	SSL_set_bio(d->ssl, d->in, out); /* the SSL owns both BIOs */
	SSL_set_mtu(d->ssl, DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, DTLS_MTU);
	d->client = client;
	memcpy(d->peer_fp, peer_fp, 32);
	d->send = send;
	d->arg = arg;
	if (client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return d;
}

void rg_dtls_free(struct rg_dtls *d)
{
	if (!d)
		return;
	if (d->state == RG_DTLS_CONNECTED && d->ssl)
		SSL_shutdown(d->ssl); /* close_notify to the peer */
	SSL_free(d->ssl);
	free(d);
}

void rg_dtls_release(struct rg_dtls *d)
{
	if (d->state != RG_DTLS_CONNECTED || !d->ssl)
		return;
	d->version = SSL_get_version(d->ssl);
	SSL_free(d->ssl);
	d->ssl = NULL;
}

bool rg_dtls_released(const struct rg_dtls *d)
{
	return d->state == RG_DTLS_CONNECTED && !d->ssl;
}

static bool peer_fingerprint_ok(struct rg_dtls *d)
{
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	uint8_t fp[32];
	unsigned int n = 0;
	bool ok = peer && X509_digest(peer, EVP_sha256(), fp, &n) && n == 32 &&
		  rg_ct_equal(fp, 32, d->peer_fp, 32);
	X509_free(peer);
	return ok;
}

static enum rg_dtls_state fail(struct rg_dtls *d, const char *why)
{
	d->state = RG_DTLS_FAILED;
	d->error = why;
	ERR_clear_error();
	return d->state;
}

/* After rg_dtls_release: only an alert record is read, from its clear
 * header (content type 21, RFC 6347 4.1): the peer ends the association. */
static enum rg_dtls_state released_feed(struct rg_dtls *d, const uint8_t *buf, size_t len)
{
	if (len >= 13 && buf[0] == 21)
		d->state = RG_DTLS_CLOSED;
	return d->state;
}

static enum rg_dtls_state step(struct rg_dtls *d)
{
	if (d->state == RG_DTLS_CONNECTED) {
		uint8_t buf[2048];
		int n = SSL_read(d->ssl, buf, sizeof buf); /* alerts; no application data expected */
		if (n <= 0 && SSL_get_error(d->ssl, n) == SSL_ERROR_ZERO_RETURN)
			d->state = RG_DTLS_CLOSED;
		ERR_clear_error();
		return d->state;
	}
	int rc = SSL_do_handshake(d->ssl);
	if (rc == 1) {
		if (!peer_fingerprint_ok(d))
			return fail(d, "the peer's certificate does not match the SDP fingerprint");
		if (!SSL_get_selected_srtp_profile(d->ssl))
			return fail(d, "no SRTP profile negotiated");
		d->state = RG_DTLS_CONNECTED;
		return d->state;
	}
	int e = SSL_get_error(d->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return d->state;
	return fail(d, "handshake failed");
}

void rg_dtls_start(struct rg_dtls *d)
{
	d->state = RG_DTLS_HANDSHAKE;
	if (d->client)
		step(d);
}

enum rg_dtls_state rg_dtls_feed(struct rg_dtls *d, const uint8_t *buf, size_t len)
{
	if (d->state == RG_DTLS_FAILED || d->state == RG_DTLS_CLOSED)
		return d->state;
	if (!d->ssl)
		return released_feed(d, buf, len);
	if (d->state == RG_DTLS_NEW)
		d->state = RG_DTLS_HANDSHAKE;
	BIO_write(d->in, buf, (int)len);
	return step(d);
}

int rg_dtls_timeout_ms(struct rg_dtls *d)
{
	struct timeval tv;
	if (d->state != RG_DTLS_HANDSHAKE || DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return -1;
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

enum rg_dtls_state rg_dtls_handle_timeout(struct rg_dtls *d)
{
	if (d->state == RG_DTLS_HANDSHAKE && DTLSv1_handle_timeout(d->ssl) < 0)
		return fail(d, "handshake timed out");
	return d->state;
}

enum rg_dtls_state rg_dtls_state(const struct rg_dtls *d)
{
	return d->state;
}

const char *rg_dtls_error(const struct rg_dtls *d)
{
	return d->error ? d->error : "";
}

const char *rg_dtls_version(const struct rg_dtls *d)
{
	return d->ssl ? SSL_get_version(d->ssl) : d->version;
}

int rg_dtls_srtp_keys(struct rg_dtls *d, struct rg_srtp_keys *k)
{
	SRTP_PROTECTION_PROFILE *p = d->ssl ? SSL_get_selected_srtp_profile(d->ssl) : NULL;
	if (d->state != RG_DTLS_CONNECTED || !p)
		return -EINVAL;
	memset(k, 0, sizeof *k);
	k->key_len = 16;
	if (p->id == SRTP_AEAD_AES_128_GCM) {
		k->profile = RG_SRTP_AEAD_AES_128_GCM;
		k->salt_len = 12;
	} else if (p->id == SRTP_AES128_CM_SHA1_80) {
		k->profile = RG_SRTP_AES128_CM_SHA1_80;
		k->salt_len = 14;
	} else {
		return -ENOTSUP;
	}
	/* RFC 5764 4.2: client key | server key | client salt | server salt */
	uint8_t m[2 * (16 + 14)];
	size_t kl = k->key_len, sl = k->salt_len, total = 2 * (kl + sl);
	static const char label[] = "EXTRACTOR-dtls_srtp";
	if (SSL_export_keying_material(d->ssl, m, total, label, sizeof label - 1, NULL, 0, 0) != 1)
		return -EIO;
	const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
	memcpy(k->local, d->client ? ck : sk, kl);
	memcpy(k->local + kl, d->client ? cs : ss, sl);
	memcpy(k->remote, d->client ? sk : ck, kl);
	memcpy(k->remote + kl, d->client ? ss : cs, sl);
	OPENSSL_cleanse(m, sizeof m);
	return 0;
}
