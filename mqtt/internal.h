/* SPDX-License-Identifier: MIT */
/* Shared between the files of libplc_mqtt (node.c, commands.c); not installed. */
#ifndef PLC_MQTT_INTERNAL_H
#define PLC_MQTT_INTERNAL_H

#include <mosquitto.h>

#include "plc-event.h"
#include "plc-modbus.h"
#include "plc-mqtt.h"
#include "plc.h"

#define POLL_NS 10000000LL          /* regions looked at every 10 ms */
#define THROTTLE_NS 1000000000LL    /* the scan statistics at most once a second */
#define EVENTS_NS 100000000LL       /* the event rings every 100 ms */
#define RETRY_NS 1000000000LL       /* a region or ring not there yet is tried again */
#define TICK_NS 100000000LL         /* the caller's tick (the watchdog) */
#define MAX_INFLIGHT 20             /* DATA messages awaiting their PUBACK */
#define MAX_METRICS 256             /* metrics per DATA message */
#define NS "spBv1.0"
#define REBIRTH "Node Control/Rebirth"

/* Node metrics after the tags' aliases (a tag's alias is its index + 1). */
enum node_metric { NM_EVENTS = 1, NM_REFUSED, NM_DROPPED, NM_REBIRTH, NM_HASH, NM_VERSION };
/* Store entries for the node counters (events are PLC_MQTT_EVENT). */
#define CHANGE_REFUSED (UINT32_MAX - 1)
#define CHANGE_DROPPED (UINT32_MAX - 2)

struct region_state {
    const struct plc_region_def *def;
    struct plc_region *handle;
    unsigned char *data;  /* last read */
    bool valid;
    bool throttled;       /* the scan statistics */
    bool published;       /* has a published tag: a device */
    int64_t next_ns;      /* when to look again */
};

struct inflight {
    int mid;
    uint64_t last_id; /* the last store change the message carried */
};

struct plc_mqtt_node {
    const struct plc_layout *layout;
    const struct plc_mqtt_config *cfg;
    const char *base;
    char group[PLC_MQTT_ID_MAX + 1], edge[PLC_MQTT_ID_MAX + 1];
    struct plc_mqtt_broker brokers[PLC_MQTT_BROKER_MAX];
    size_t nbrokers, broker;
    char password[256];
    bool has_password;

    struct mosquitto *mosq;
    bool connected;     /* CONNACK came */
    bool host_online;   /* the primary host's STATE (true without one) */
    bool born;          /* births sent on this connection */
    bool rebirth;       /* a rebirth was asked */
    int64_t connect_ns; /* when the attempt started */
    int64_t next_attempt_ns;
    uint32_t backoff_ms;
    uint8_t seq, bdseq, next_bdseq;
    bool lib; /* mosquitto_lib_init() done */
    char bdseq_path[4096];

    struct plc_mqtt_store *store;
    struct inflight inflight[MAX_INFLIGHT];
    size_t ninflight;

    size_t ntags;
    struct region_state *regions;
    size_t nregions;
    struct plc_value *last;  /* the value last reported, per tag */
    bool *have_last;

    struct plc_event_ring *rings[PLC_SOURCE_MQTT + 1];
    uint64_t cursors[PLC_SOURCE_MQTT + 1];
    int64_t ring_retry_ns[PLC_SOURCE_MQTT + 1];
    int64_t events_ns;
    struct plc_event_ring *own; /* events-mqtt, written by this node */

    struct plc_modbus_client *modbus;
    struct plc_mqtt_node_stats stats;
    uint64_t reported_dropped;
};

/* Helpers of node.c the command handling uses. */
void mqtt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t mqtt_now_ms(void);
/* An event in plc-mqtt's own ring (events-mqtt). */
void mqtt_post(struct plc_mqtt_node *n, int severity, const char *name, double before,
               double after, const char *text);
/* "spBv1.0/GROUP/TYPE/EDGE[/DEVICE]". */
void mqtt_topic(const struct plc_mqtt_node *n, char *buf, size_t len, const char *type,
                const char *device);
/* A change into the store, historical unless the node is live. */
void mqtt_push(struct plc_mqtt_node *n, const struct plc_mqtt_change *c);
double mqtt_as_double(const struct plc_tag_def *t, const struct plc_value *v);

/* NCMD, DCMD and the primary host's STATE (commands.c): libmosquitto's message callback. */
void mqtt_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg);

#endif
