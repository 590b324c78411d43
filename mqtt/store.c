/* SPDX-License-Identifier: MIT */
/*
 * The store: a ring of changes that leave only when the broker acknowledged
 * the message carrying them (QoS 1 PUBACK), so a broker that dies with a
 * message in flight loses nothing. Entries [head, head + sent) are in flight,
 * the rest unsent; a lost connection makes them all unsent again and marks
 * them historical, to go out in their order after the next birth. When full,
 * the oldest change goes (counted): a birth carries every current value, so
 * the newest changes are the ones worth keeping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct plc_mqtt_store {
    struct plc_mqtt_change *ring;
    size_t capacity, head, count, sent;
    uint64_t next_id, dropped;
};

struct plc_mqtt_store *plc_mqtt_store_new(size_t capacity)
{
    if (capacity == 0) {
        errno = EINVAL;
        return NULL;
    }
    struct plc_mqtt_store *s = calloc(1, sizeof(*s));
    if (!s || !(s->ring = calloc(capacity, sizeof(*s->ring)))) {
        free(s);
        errno = ENOMEM;
        return NULL;
    }
    s->capacity = capacity;
    s->next_id = 1;
    return s;
}

static struct plc_mqtt_change *at(const struct plc_mqtt_store *s, size_t i)
{
    return &s->ring[(s->head + i) % s->capacity];
}

static void pop(struct plc_mqtt_store *s)
{
    struct plc_mqtt_change *c = at(s, 0);
    free(c->text);
    c->text = NULL;
    s->head = (s->head + 1) % s->capacity;
    s->count--;
    if (s->sent)
        s->sent--;
}

void plc_mqtt_store_free(struct plc_mqtt_store *s)
{
    if (!s)
        return;
    while (s->count)
        pop(s);
    free(s->ring);
    free(s);
}

int plc_mqtt_store_push(struct plc_mqtt_store *s, const struct plc_mqtt_change *change)
{
    char *text = NULL;
    if (change->text && !(text = strdup(change->text))) {
        errno = ENOMEM;
        return -1;
    }
    int dropped = 0;
    if (s->count == s->capacity) {
        /* An in-flight change dropped here is simply gone: its PUBACK acks by id. */
        pop(s);
        s->dropped++;
        dropped = 1;
    }
    struct plc_mqtt_change *c = at(s, s->count);
    *c = *change;
    c->text = text;
    c->id = s->next_id++;
    s->count++;
    return dropped;
}

size_t plc_mqtt_store_count(const struct plc_mqtt_store *s)
{
    return s->count;
}

size_t plc_mqtt_store_unsent(const struct plc_mqtt_store *s)
{
    return s->count - s->sent;
}

const struct plc_mqtt_change *plc_mqtt_store_peek(const struct plc_mqtt_store *s, size_t i)
{
    return i < s->count - s->sent ? at(s, s->sent + i) : NULL;
}

void plc_mqtt_store_take(struct plc_mqtt_store *s, size_t n)
{
    s->sent += n < s->count - s->sent ? n : s->count - s->sent;
}

void plc_mqtt_store_ack(struct plc_mqtt_store *s, uint64_t id)
{
    while (s->count && s->sent && at(s, 0)->id <= id)
        pop(s);
}

void plc_mqtt_store_rewind(struct plc_mqtt_store *s)
{
    s->sent = 0;
    for (size_t i = 0; i < s->count; i++)
        at(s, i)->historical = true;
}

uint64_t plc_mqtt_store_get_dropped(const struct plc_mqtt_store *s)
{
    return s->dropped;
}
