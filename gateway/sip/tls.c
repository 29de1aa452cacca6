/* SIP over TLS: what sofia-sip's TLS transport will load from
 * sip.tls_certificate_dir, checked before nua starts. sofia-sip reads
 * <dir>/agent.pem (the certificate, then or before it the private key) and,
 * when present, <dir>/cafile.pem (the CAs that peers' certificates must
 * chain to); a certificate or key it cannot use is only logged by sofia,
 * which then listens on the TLS port without one, so every handshake
 * fails. We refuse to start instead.
 *
 * The X509 and EVP_PKEY here live only inside sip_tls_check_dir: sofia
 * owns the SSL_CTX of the transport. Any thread (no state). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "sip/sip_int.h"

#define KEY "sip.tls_certificate_dir"

/* An encrypted key is refused rather than asked for on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

/* The first certificate (key false) or private key (key true) of a PEM
 * file, in whatever order the file holds them; NULL when it has none. */
static void *pem_first(const char *path, bool key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	void *x = key ? (void *)PEM_read_PrivateKey(f, NULL, no_passphrase, NULL) : (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error(); /* PEM's "no start line" when the file has none */
	return x;
}

static bool file_exists(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f)
		fclose(f);
	return f != NULL;
}

int sip_tls_check_dir(const char *dir, bool *has_ca, char *err, size_t errlen)
{
	char agent[1100], ca[1100];
	snprintf(agent, sizeof agent, "%s/agent.pem", dir);
	snprintf(ca, sizeof ca, "%s/cafile.pem", dir);
	X509 *cert = pem_first(agent, false);
	EVP_PKEY *pkey = pem_first(agent, true);
	int rc = -EINVAL;
	if (!cert || !pkey) {
		snprintf(err, errlen, KEY ": %s has no %s (PEM); agent.pem must hold the server's certificate and "
			 "its private key, unencrypted", agent, !cert && !pkey ? "certificate and no private key"
								: !cert ? "certificate" : "private key");
		goto out;
	}
	if (X509_check_private_key(cert, pkey) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, KEY ": the private key in %s is not the certificate's", agent);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
		RG_WARN(SIP, "sip: the certificate in %s has expired: phones that check it will refuse it", agent);
	*has_ca = file_exists(ca);
	if (*has_ca) {
		X509 *c = pem_first(ca, false);
		if (!c) {
			snprintf(err, errlen, KEY ": %s holds no certificate (PEM)", ca);
			goto out;
		}
		X509_free(c);
	}
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return rc;
}
