/* SPDX-License-Identifier: MIT */
/* plc-web's HTTPS certificate and key (tls.c). */
#ifndef PLC_WEB_TLS_H
#define PLC_WEB_TLS_H

#include "plc-web.h"

struct web_tls {
    char *cert, *key; /* PEM text, or NULL: plain HTTP */
};

/* Read cfg->tls_cert and cfg->tls_key: 0 (both NULL when TLS is off), or -1
 * with errno and @p diag naming the file that is missing or wrong. */
int web_tls_load(const struct plc_web_config *cfg, struct web_tls *tls, struct plc_diag *diag);
void web_tls_free(struct web_tls *tls);

#endif
