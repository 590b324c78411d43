/* SPDX-License-Identifier: MIT */
/**
 * @file plc-modbus.h
 * @brief The Modbus gateway: the tag map from the layout, the request handler
 *        and the TCP/RTU server built on them (docs/modbus.md).
 *
 * The map is built once from the layout's Modbus bindings. The core answers
 * one request PDU at a time against the process image: reads of one region
 * come from one snapshot, writes of one region land in one atomic update, and
 * every refused request writes nothing. The server runs the core behind the
 * Modbus TCP (MBAP) and RTU transports in one thread with epoll.
 *
 * Handles are used by one thread at a time; distinct handles are independent.
 */
#ifndef PLC_MODBUS_H
#define PLC_MODBUS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plc-event.h"
#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup modbus_map Modbus map
 * @{ */

/** Modbus exception codes the gateway answers. */
enum {
    PLC_MODBUS_EX_ILLEGAL_FUNCTION = 0x01,
    PLC_MODBUS_EX_ILLEGAL_ADDRESS = 0x02,
    PLC_MODBUS_EX_ILLEGAL_VALUE = 0x03,
    PLC_MODBUS_EX_DEVICE_FAILURE = 0x04,
    PLC_MODBUS_EX_GATEWAY_TARGET = 0x0B,
};

/** Largest request or response PDU (function code and data). */
#define PLC_MODBUS_PDU_MAX 253

struct plc_modbus_map;

/** @brief One mapped tag, as the map lists it. */
struct plc_modbus_map_entry {
    const struct plc_tag_def *tag;
    enum plc_modbus_table table;
    uint16_t address;   /**< 0-based protocol address */
    uint16_t count;     /**< bits or registers: 1 or 2 */
    bool writable;      /**< in a region the gateway writes (writer = modbus) */
};

/**
 * @brief Build the lookup of every bound tag.
 * @param diag Optional; filled on failure.
 * @return A map to free with plc_modbus_map_free(), or NULL with errno
 *         ENOMEM, or EINVAL when the layout binds no tag to Modbus.
 */
PLC_API struct plc_modbus_map *plc_modbus_map_new(const struct plc_layout *layout,
                                                  struct plc_diag *diag);
/** @brief Free a map; NULL is accepted. */
PLC_API void plc_modbus_map_free(struct plc_modbus_map *map);
/** @brief Number of bound tags. */
PLC_API size_t plc_modbus_map_count(const struct plc_modbus_map *map);
/** @brief Entry @p i, in table then address order, or NULL. */
PLC_API const struct plc_modbus_map_entry *plc_modbus_map_at(const struct plc_modbus_map *map,
                                                             size_t i);
/** @brief The entry covering @p address of @p table, or NULL (errno ENOENT). */
PLC_API const struct plc_modbus_map_entry *
plc_modbus_map_find(const struct plc_modbus_map *map, enum plc_modbus_table table,
                    uint16_t address);
/** @brief The 1-based reference: 00001/10001/30001/40001 + address up to address 9998,
 *         the six-digit 000001/100001/300001/400001 + address above. */
PLC_API unsigned long plc_modbus_reference(enum plc_modbus_table table, uint16_t address);
/**
 * @brief The registers @p tag (a register binding, tag->modbus.count of them)
 *        takes on the wire for value @p v, in its word order: what a client
 *        writes to set it, as the gateway reads them back.
 */
PLC_API void plc_modbus_tag_words(const struct plc_tag_def *tag, const struct plc_value *v,
                                  uint16_t *words);
/**
 * @brief The inverse of plc_modbus_tag_words(): the value of @p tag's registers.
 * @return 0, or -1 with errno ERANGE for a float that is no number (NaN, infinity).
 */
PLC_API int plc_modbus_tag_value(const struct plc_tag_def *tag, const uint16_t *words,
                                 struct plc_value *v);
/** @brief Print the map as an aligned table. @return 0, or -1 with errno from the stream. */
PLC_API int plc_modbus_map_write_table(const struct plc_modbus_map *map, FILE *out);
/** @brief Print the map as CSV (RFC 4180, a header line first). @return 0 or -1. */
PLC_API int plc_modbus_map_write_csv(const struct plc_modbus_map *map, FILE *out);

/** @} */

/** @defgroup modbus_client The gateway's client
 * How plc-web and plc-mqtt set a tag: as a Modbus TCP client of plc-modbus, so
 * the gateway's range checks, word order and atomic writes apply as for SCADA.
 * @{ */

/** @brief A connection to the gateway; one thread at a time. */
struct plc_modbus_client;

/**
 * @brief A client of the gateway at @p address ("HOST:PORT", "[::1]:1502"), or,
 *        when NULL, at the layout's [modbus] listen address (its loopback when
 *        it listens on any). Connects nothing yet.
 * @param diag Optional; "--modbus 'X' is not HOST:PORT".
 * @return a client to free with plc_modbus_client_free(), or NULL with errno EINVAL or ENOMEM.
 */
PLC_API struct plc_modbus_client *plc_modbus_client_new(const struct plc_layout *layout,
                                                        const char *address,
                                                        struct plc_diag *diag);
/** @brief Close and free; NULL is accepted. */
PLC_API void plc_modbus_client_free(struct plc_modbus_client *client);
/**
 * @brief Connect, when not connected (the read and write calls do it too).
 * @return 0, or -1 with errno from libmodbus and @p diag "Modbus gateway at H:P is unreachable: ...".
 */
PLC_API int plc_modbus_client_connect(struct plc_modbus_client *client, struct plc_diag *diag);
/** @brief Close the connection, if any. */
PLC_API void plc_modbus_client_close(struct plc_modbus_client *client);
/**
 * @brief Read @p tag (a coil or holding register binding) from the gateway.
 * @return 0, or -1 with errno from libmodbus (an exception: MODBUS_ENOBASE + code)
 *         and @p diag naming the gateway, the tag and the reason.
 */
PLC_API int plc_modbus_client_read_tag(struct plc_modbus_client *client,
                                       const struct plc_tag_def *tag, struct plc_value *value,
                                       struct plc_diag *diag);
/**
 * @brief Write @p value to @p tag through the gateway, all its registers in one request.
 * @return As plc_modbus_client_read_tag().
 */
PLC_API int plc_modbus_client_write_tag(struct plc_modbus_client *client,
                                        const struct plc_tag_def *tag,
                                        const struct plc_value *value, struct plc_diag *diag);
/** @brief The gateway's host and port, as connected to. */
PLC_API const char *plc_modbus_client_get_host(const struct plc_modbus_client *client);
PLC_API const char *plc_modbus_client_get_port(const struct plc_modbus_client *client);
/** @brief Whether a failed read or write's errno is the gateway refusing the value
 *         (exception 03, illegal data value) rather than a failure to reach it. */
PLC_API bool plc_modbus_client_refused_value(int err);

/**
 * @brief Whether a client may write @p tag: plc_tag_gateway_writable().
 * @return 0, or -1 with errno EPERM and @p diag "tag 'X' is not writable: its region 'R' is
 *         written by W[, but the tag has no holding register or coil]".
 */
PLC_API int plc_modbus_check_writable(const struct plc_tag_def *tag, struct plc_diag *diag);
/**
 * @brief Whether @p value is one @p tag takes: a number (no NaN or infinity) within its limits.
 * @param text How the value was given, for the message; NULL: formatted from @p value.
 * @return 0, or -1 with errno EINVAL or ERANGE and @p diag "tag 'X': value V is outside its
 *         limits LO to HI".
 */
PLC_API int plc_modbus_check_value(const struct plc_tag_def *tag, const struct plc_value *value,
                                   const char *text, struct plc_diag *diag);
/**
 * @brief Parse @p text as a value of @p tag (plc_value_parse()) and check it
 *        (plc_modbus_check_value()).
 * @param value Set on success only.
 * @return 0, or -1 with errno EINVAL (not a value of the type) or ERANGE (outside its limits).
 */
PLC_API int plc_modbus_parse_value(const struct plc_tag_def *tag, const char *text,
                                   struct plc_value *value, struct plc_diag *diag);

/** @} */

/** @defgroup modbus_core Modbus request handling
 * @{ */

struct plc_modbus_core;

/** Flags of plc_modbus_core_handle(). */
#define PLC_MODBUS_READ_ONLY 1u /**< refuse every write with ILLEGAL DATA ADDRESS */

/**
 * @brief Attach to every region of the layout: as writer of those whose
 *        writer is "modbus", as reader of the others.
 * @param diag Optional; says which region failed and why.
 * @return A core to free with plc_modbus_core_free(), or NULL with errno set
 *         (the plc_region_attach() errors, ENOMEM, EINVAL).
 */
PLC_API struct plc_modbus_core *plc_modbus_core_new(const struct plc_layout *layout,
                                                    const char *base_dir,
                                                    struct plc_diag *diag);
/** @brief Detach and free; NULL is accepted. */
PLC_API void plc_modbus_core_free(struct plc_modbus_core *core);
/** @brief The core's map; valid until plc_modbus_core_free(). */
PLC_API const struct plc_modbus_map *plc_modbus_core_get_map(const struct plc_modbus_core *core);

/**
 * @brief Answer one request PDU.
 *
 * Never fails: a request it cannot serve gets an exception response
 * (function | 0x80, code). Refused writes change nothing.
 * @param req The request PDU (function code first), @p len bytes (0 allowed).
 * @param flags PLC_MODBUS_READ_ONLY or 0.
 * @param rsp At least PLC_MODBUS_PDU_MAX bytes for the response PDU.
 * @return The response PDU length (at least 2).
 */
PLC_API size_t plc_modbus_core_handle(struct plc_modbus_core *core, const uint8_t *req,
                                      size_t len, unsigned flags, uint8_t *rsp);

/**
 * @brief Post to @p events (the gateway's own ring, a writer handle; NULL:
 *        none) what clients do to the tags: one PLC_EVENT_MODBUS_WRITE
 *        (severity notice) per tag whose value a write changed, with the tag,
 *        the old and the new value, and the client (plc_modbus_core_set_client())
 *        as text. Also posts, now, PLC_EVENT_WRITER_DEAD / _REGION_REPAIRED
 *        for a region the core took over from a dead writer. With events, a
 *        write costs one read of the tags it writes more.
 */
PLC_API void plc_modbus_core_set_events(struct plc_modbus_core *core,
                                        struct plc_event_ring *events);

/**
 * @brief Who sends the requests that follow ("192.168.1.9:50412"), for the
 *        events' text. The string is not copied: it must stay valid, and
 *        unchanged, until the next call. NULL: nobody said.
 */
PLC_API void plc_modbus_core_set_client(struct plc_modbus_core *core, const char *client);

/** @brief Say the gateway is alive in the regions it writes (the server does it each second). */
PLC_API void plc_modbus_core_heartbeat(struct plc_modbus_core *core);

/** @brief Counters since the core was made. */
struct plc_modbus_stats {
    uint64_t requests;
    uint64_t exceptions[12]; /**< by exception code */
    uint64_t writes;         /**< region updates published */
    uint64_t device_failures;
};
PLC_API void plc_modbus_core_get_stats(const struct plc_modbus_core *core,
                                       struct plc_modbus_stats *stats);

/** @} */

/** @defgroup modbus_server Modbus server
 * @{ */

struct plc_modbus_server;

/** Log priorities, as syslog's. */
enum { PLC_LOG_ERR = 3, PLC_LOG_WARNING = 4, PLC_LOG_NOTICE = 5, PLC_LOG_INFO = 6,
       PLC_LOG_DEBUG = 7 };

/** @brief What plc_modbus_server_new() needs beyond the layout's [modbus] section. */
struct plc_modbus_server_config {
    const struct plc_layout *layout;
    const char *base_dir;
    /** Overrides of the layout's listen address; NULL/-1 keep the layout's.
     *  Port 0 takes any free port (see plc_modbus_server_get_port()). */
    const char *listen_host;
    int listen_port;
    /** As listen_*, for the read-only listener; -1 keeps the layout's. */
    int read_only_port;
    /** Override of rtu_device; NULL keeps the layout's, "" turns RTU off. */
    const char *rtu_device;
    /** Where log lines go (refused peers, closed connections, refused requests at
     *  PLC_LOG_DEBUG); NULL = nowhere. */
    void (*log)(void *ctx, int priority, const char *msg);
    void *log_ctx;
    /** The least important priority @p log wants (PLC_LOG_*): lines past it are not
     *  even formatted. 0 = every line. */
    int log_priority;
    /** Called on every turn of the serving loop (at least every 200 ms): where
     *  plc-modbus feeds systemd's watchdog. NULL = nothing. Keep it short. */
    void (*on_loop)(void *ctx);
    void *loop_ctx;
    /** The gateway's own event ring (a writer handle), or NULL: see
     *  plc_modbus_core_set_events(). Used from plc_modbus_server_new() and
     *  plc_modbus_server_run() only. */
    struct plc_event_ring *events;
};

/**
 * @brief Attach the core, open the listeners and the serial port.
 * @return A server to free with plc_modbus_server_free(), or NULL with errno
 *         set and @p diag saying what (bind failures name the address).
 */
PLC_API struct plc_modbus_server *
plc_modbus_server_new(const struct plc_modbus_server_config *config, struct plc_diag *diag);

/** @brief Close every connection, the listeners and the port; NULL is accepted. */
PLC_API void plc_modbus_server_free(struct plc_modbus_server *server);

/** @brief The bound port of the main (0) or read-only (1) listener, or -1. */
PLC_API int plc_modbus_server_get_port(const struct plc_modbus_server *server, int which);

/**
 * @brief Serve until @p *stop becomes nonzero (checked at least every 200 ms).
 * @return 0, or -1 with errno set on a fatal error (epoll failing).
 */
PLC_API int plc_modbus_server_run(struct plc_modbus_server *server,
                                  volatile sig_atomic_t *stop);

/** @brief The core behind the server. */
PLC_API struct plc_modbus_core *plc_modbus_server_get_core(struct plc_modbus_server *server);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
