/* SPDX-License-Identifier: MIT */
/*
 * plc-web over HTTPS: the certificate and key files read at start, each
 * checked enough to name the file that is wrong before libmicrohttpd (GnuTLS)
 * is handed them, as it only says that something failed.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

/* The whole PEM file @p path holding @p marker ("CERTIFICATE"), or NULL with the diag. */
static char *read_pem(const char *path, const char *what, const char *marker,
                      struct plc_diag *diag)
{
    FILE *f = fopen(path, "re");
    char *text = NULL, begin[64];
    size_t len = 0;
    if (!f) {
        int err = errno;
        plc_diag_fail(diag, path, err, "cannot read the TLS %s: %s", what, strerror(err));
        return NULL;
    }
    FILE *mem = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0 && len < (1u << 20))
        fwrite(buf, 1, n, mem);
    if (mem)
        fclose(mem);
    fclose(f);
    snprintf(begin, sizeof(begin), "-----BEGIN %s", marker);
    if (!text || !strstr(text, begin)) {
        free(text);
        plc_diag_fail(diag, path, EINVAL, "not a PEM %s (no '%s' line)", what, begin);
        return NULL;
    }
    return text;
}

int web_tls_load(const struct plc_web_config *cfg, struct web_tls *tls, struct plc_diag *diag)
{
    memset(tls, 0, sizeof(*tls));
    if (!cfg->tls_cert && !cfg->tls_key)
        return 0;
    if (!cfg->tls_cert || !cfg->tls_key)
        return plc_diag_fail(diag, NULL, EINVAL, "TLS needs both a certificate and a key file");
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return plc_diag_fail(diag, NULL, ENOTSUP, "this libmicrohttpd is built without TLS");
    tls->cert = read_pem(cfg->tls_cert, "certificate", "CERTIFICATE", diag);
    tls->key = tls->cert ? read_pem(cfg->tls_key, "private key", "", diag) : NULL;
    if (tls->key && !strstr(tls->key, "PRIVATE KEY-----")) {
        plc_diag_fail(diag, cfg->tls_key, EINVAL, "not a PEM private key");
        web_tls_free(tls);
        return -1;
    }
    if (!tls->key) {
        web_tls_free(tls);
        return -1;
    }
    return 0;
}

void web_tls_free(struct web_tls *tls)
{
    free(tls->cert);
    if (tls->key)
        explicit_bzero(tls->key, strlen(tls->key));
    free(tls->key);
    tls->cert = tls->key = NULL;
}
