/* SPDX-License-Identifier: MIT */
/*
 * plc-web: the process image over HTTP, read only (docs/web.md). One handle
 * runs an HTTP server (libmicrohttpd, a thread per connection under a
 * connection limit and an idle timeout) and, while a Server-Sent Events
 * client is connected, a thread per region that wakes on its writes and tells
 * the clients what changed.
 */
#ifndef PLC_WEB_H
#define PLC_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "plc-layout.h"

/** What plc_web_new() serves and how. */
struct plc_web_config {
    const char *listen;       /**< "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one */
    unsigned timeout_s;       /**< an idle connection (slowloris) is closed after this */
    unsigned max_connections; /**< further connections are refused */
    unsigned poll_ms;         /**< with no stream open, the most a value served may lag */
    size_t max_body;          /**< a larger request body is answered 413 */
};

#define PLC_WEB_LISTEN_DEFAULT "127.0.0.1:8080"
#define PLC_WEB_TIMEOUT_S_DEFAULT 10u
#define PLC_WEB_MAX_CONNECTIONS_DEFAULT 64u
#define PLC_WEB_POLL_MS_DEFAULT 50u
#define PLC_WEB_MAX_BODY_DEFAULT 65536u

struct plc_web;

/**
 * @brief Start serving @p layout's regions under @p base (plc_base_dir()).
 * @param layout Must outlive the handle.
 * @param diag Optional; says what failed (a bad listen address, a port in use).
 * @return A handle to free with plc_web_free(), or NULL with errno set
 *         (EINVAL for a bad config, EADDRINUSE and the like from bind).
 */
struct plc_web *plc_web_new(const struct plc_layout *layout, const char *base,
                            const struct plc_web_config *cfg, struct plc_diag *diag);

/** @brief The TCP port it listens on (the one picked when asked for 0). */
uint16_t plc_web_get_port(const struct plc_web *web);

/** @brief Stop the server and the region threads, close every connection; NULL is accepted. */
void plc_web_free(struct plc_web *web);

/**
 * @brief The 1-based Modbus reference of @p table's 0-based @p address, as
 *        SCADA tools write them: 00001 coils, 10001 discrete inputs, 30001
 *        input registers, 40001 holding registers; six digits (400001) where
 *        five cannot hold the address.
 * @return 0, or -1 with errno EINVAL (no such table) or ENOSPC (@p len too small).
 */
int plc_web_modbus_ref(enum plc_modbus_table table, unsigned address, char *buf, size_t len);

#endif
