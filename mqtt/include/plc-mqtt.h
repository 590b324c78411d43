/* SPDX-License-Identifier: MIT */
/**
 * @file plc-mqtt.h
 * @brief plc-mqtt: the process image as a Sparkplug B 3.0 edge node.
 *
 * Three objects: the payload codec (Sparkplug B protobuf, encoded and decoded
 * with protobuf-c from mqtt/sparkplug_b.proto), the store (the bounded FIFO of
 * changes kept until the broker acknowledged them) and the node (the engine on
 * libmosquitto: births, data, death, commands). docs/mqtt.md describes the
 * mapping of a layout to topics and metrics.
 */
#ifndef PLC_MQTT_H
#define PLC_MQTT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup mqtt_payload Sparkplug B payloads
 * @{ */

/** @brief Sparkplug B datatypes plc-mqtt uses (the specification's numbers). */
enum plc_mqtt_datatype {
    PLC_MQTT_INT8 = 1,
    PLC_MQTT_INT16 = 2,
    PLC_MQTT_INT32 = 3,
    PLC_MQTT_INT64 = 4,
    PLC_MQTT_UINT8 = 5,
    PLC_MQTT_UINT16 = 6,
    PLC_MQTT_UINT32 = 7,
    PLC_MQTT_UINT64 = 8,
    PLC_MQTT_FLOAT = 9,
    PLC_MQTT_DOUBLE = 10,
    PLC_MQTT_BOOLEAN = 11,
    PLC_MQTT_STRING = 12,
    PLC_MQTT_TEXT = 14,
};

/**
 * @brief One metric. @c value holds numbers as struct plc_value does: @c i for
 *        Boolean and the signed types (sign-extended), @c u for the unsigned
 *        ones, @c f for Float and Double; @c text for String and Text.
 */
struct plc_mqtt_metric {
    char *name;          /**< NULL: sent by alias only */
    uint64_t alias;      /**< 0: none */
    uint64_t timestamp;  /**< ms since the epoch, UTC; 0: none */
    uint32_t datatype;   /**< enum plc_mqtt_datatype, or another Sparkplug number when decoded */
    bool historical;     /**< is_historical: sent late, from the store */
    bool is_null;        /**< no value */
    struct plc_value value;
    char *text;          /**< String and Text */
};

/** @brief One payload: NBIRTH, DBIRTH, NDATA, DDATA, NCMD, DCMD or NDEATH. */
struct plc_mqtt_payload {
    uint64_t timestamp; /**< ms since the epoch, UTC; 0: none */
    bool has_seq;       /**< every message but NDEATH */
    uint64_t seq;
    size_t count;
    struct plc_mqtt_metric *metrics;
};

/** @brief The Sparkplug datatype of a tag type (int8 -> Int8, float32 -> Float ...); 0 if none. */
PLC_API uint32_t plc_mqtt_datatype_of(enum plc_type type);
/** @brief "Int8", "Boolean", "String" ...: the specification's name, or "Unknown". */
PLC_API const char *plc_mqtt_datatype_name(uint32_t datatype);

/**
 * @brief Encode @p payload as Sparkplug B protobuf.
 * @param buf Set to a buffer to free() (not changed on failure).
 * @return 0, or -1 with errno EINVAL (a datatype the codec does not carry) or ENOMEM.
 */
PLC_API int plc_mqtt_payload_encode(const struct plc_mqtt_payload *payload, uint8_t **buf,
                                    size_t *len);

/**
 * @brief Decode a Sparkplug B payload. Values of types the codec does not
 *        carry (DataSet, Template, Bytes ...) are decoded as is_null metrics
 *        with their datatype.
 * @return a payload to free with plc_mqtt_payload_free(), or NULL with errno
 *         EBADMSG (not a Sparkplug B payload) or ENOMEM.
 */
PLC_API struct plc_mqtt_payload *plc_mqtt_payload_decode(const uint8_t *buf, size_t len);

/** @brief Free a decoded payload; NULL is accepted. */
PLC_API void plc_mqtt_payload_free(struct plc_mqtt_payload *payload);

/** @brief The value of @p metric as text ("85.5", "-3", "true", the string, "null"); as snprintf(). */
PLC_API int plc_mqtt_metric_format(const struct plc_mqtt_metric *metric, char *buf, size_t len);

/** @brief A tag's value as a metric: its datatype and value (the rest left as it was). */
PLC_API void plc_mqtt_metric_set_tag(struct plc_mqtt_metric *metric, enum plc_type type,
                                     const struct plc_value *value);

/**
 * @brief A metric's value as a value of tag type @p type, when its datatype is
 *        the tag's own or a number that fits exactly (a host sending Double for
 *        a Float tag, Int64 for an Int32 one).
 * @return 0, or -1 with errno EINVAL (not a number, or a null) or ERANGE
 *         (outside @p type).
 */
PLC_API int plc_mqtt_metric_get_tag(const struct plc_mqtt_metric *metric, enum plc_type type,
                                    struct plc_value *value);

/** @} */

/** @defgroup mqtt_store Store and forward
 * @{ */

/** The tag of a change that is an event (Events/Text) rather than a tag's value. */
#define PLC_MQTT_EVENT UINT32_MAX

/** @brief One change: a tag's new value or an event, with the time it was seen. */
struct plc_mqtt_change {
    uint64_t id;          /**< given by plc_mqtt_store_push(), increasing */
    uint64_t timestamp;   /**< ms since the epoch, UTC */
    uint32_t tag;         /**< tag index, or PLC_MQTT_EVENT */
    bool historical;      /**< was held over a disconnection: send is_historical */
    struct plc_value value;
    char *text;           /**< the event's text, owned by the store */
};

/**
 * @brief The bounded FIFO of changes not yet acknowledged by the broker.
 *
 * A change enters when plc-mqtt sees it and leaves when the broker's PUBACK for
 * the message that carried it came. When full, the oldest change is dropped and
 * counted: the newest values matter most, and a birth carries every current
 * value anyway. Not thread-safe: one thread owns it.
 */
struct plc_mqtt_store;

/** @brief A store of @p capacity changes (at least 1). @return NULL with errno EINVAL or ENOMEM. */
PLC_API struct plc_mqtt_store *plc_mqtt_store_new(size_t capacity);
/** @brief Free a store and its changes; NULL is accepted. */
PLC_API void plc_mqtt_store_free(struct plc_mqtt_store *store);

/**
 * @brief Append a change (its @c id is assigned, @c text copied).
 * @return 0, 1 when the oldest change was dropped to make room, -1 with errno ENOMEM.
 */
PLC_API int plc_mqtt_store_push(struct plc_mqtt_store *store, const struct plc_mqtt_change *change);
/** @brief Changes held, sent or not. */
PLC_API size_t plc_mqtt_store_count(const struct plc_mqtt_store *store);
/** @brief Changes held and not handed out by plc_mqtt_store_take() since the last rewind. */
PLC_API size_t plc_mqtt_store_unsent(const struct plc_mqtt_store *store);
/** @brief The @p i th unsent change (0 is the oldest), or NULL; valid until the next call. */
PLC_API const struct plc_mqtt_change *plc_mqtt_store_peek(const struct plc_mqtt_store *store,
                                                          size_t i);
/** @brief Hand out the @p n oldest unsent changes (they stay until acknowledged). */
PLC_API void plc_mqtt_store_take(struct plc_mqtt_store *store, size_t n);
/** @brief The broker acknowledged every change up to id @p id: they leave. */
PLC_API void plc_mqtt_store_ack(struct plc_mqtt_store *store, uint64_t id);
/** @brief The connection was lost: every change held is unsent again, and historical. */
PLC_API void plc_mqtt_store_rewind(struct plc_mqtt_store *store);
/** @brief Changes dropped because the store was full, since it was made. */
PLC_API uint64_t plc_mqtt_store_get_dropped(const struct plc_mqtt_store *store);

/** @} */

/** @defgroup mqtt_node The edge node
 * @{ */

/** @brief What plc-mqtt's command line gives the node; NULL fields take the layout's. */
struct plc_mqtt_node_config {
    const struct plc_layout *layout;
    const char *base;       /**< base directory of the regions (plc_base_dir()) */
    const char *modbus;     /**< the gateway as HOST:PORT; NULL: from [modbus] listen */
    const char *edge_node;  /**< overrides [mqtt] edge_node */
    const char *broker;     /**< overrides [mqtt] broker (one URL) */
};

/** @brief A Sparkplug B edge node over the layout's regions. */
struct plc_mqtt_node;

/**
 * @brief Make a node: checks the configuration and reads the password file;
 *        connects nothing yet.
 * @param diag Optional; says what is wrong.
 * @return a node to free with plc_mqtt_node_free(), or NULL with errno EINVAL
 *         (bad configuration, see @p diag) or ENOMEM.
 */
PLC_API struct plc_mqtt_node *plc_mqtt_node_new(const struct plc_mqtt_node_config *cfg,
                                                struct plc_diag *diag);
/** @brief Disconnect (NDEATH first) and free; NULL is accepted. */
PLC_API void plc_mqtt_node_free(struct plc_mqtt_node *node);

/**
 * @brief Run until *@p stop: follow the regions, connect with backoff, publish.
 * @param tick Called about every 100 ms (the watchdog); may be NULL.
 * @return 0 after a stop (NDEATH sent when connected), -1 with errno on a fatal error.
 */
PLC_API int plc_mqtt_node_run(struct plc_mqtt_node *node, volatile sig_atomic_t *stop,
                              void (*tick)(void *arg), void *arg);

/** @brief Counters of a node (also sent as its Stats/ metrics). */
struct plc_mqtt_node_stats {
    uint64_t refused_writes; /**< NCMD/DCMD writes refused */
    uint64_t applied_writes; /**< NCMD/DCMD writes applied */
    uint64_t dropped;        /**< changes dropped by a full store */
    uint64_t connects;       /**< connections made (each is a bdSeq) */
};
PLC_API void plc_mqtt_node_get_stats(const struct plc_mqtt_node *node,
                                     struct plc_mqtt_node_stats *stats);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
