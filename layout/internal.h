/* SPDX-License-Identifier: MIT */
/* Shared between the files of the layout library; not installed. */
#ifndef PLC_LAYOUT_INTERNAL_H
#define PLC_LAYOUT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plc-layout.h"

enum section_kind {
    SEC_UNKNOWN, SEC_LAYOUT, SEC_LOGIC, SEC_RETAIN, SEC_MODBUS, SEC_MQTT, SEC_REGION, SEC_TAG
};

struct entry {
    char *key;
    char *value;
    unsigned line;
};

struct section {
    enum section_kind kind;
    char raw[96];   /* between the brackets */
    uint64_t raw_hash;
    char name[96];  /* the NAME of [region NAME] / [tag NAME] */
    char what[128]; /* "region 'inputs'", for messages */
    unsigned line;
    size_t slot; /* a tag's index in the layout, plus one; 0 until placed */
    struct entry *e;
    size_t n, cap;
};

struct parse {
    const char *file;   /* name used in messages */
    FILE *f;            /* either a file ... */
    const char *text;   /* ... or a string */
    size_t pos;
    unsigned lineno;
    struct section *sec;
    size_t nsec, sec_cap;
    struct plc_diag *diag;
    bool failed, oom;
    unsigned fail_line; /* line of the recorded error */
    int err;            /* errno of a read error, else 0 */
};

/* Record the first error; later ones are dropped so the message is stable. */
void layout_fail(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int layout_parse(struct parse *p);
/* Find a key in a section; NULL when absent. */
struct entry *layout_take(struct section *s, const char *key);
/* Report the first key of @s not in the NULL-terminated @known; called before
 * anything else is checked, so a misspelt key is named rather than reported
 * as a missing one. */
void layout_check_keys(struct parse *p, struct section *s, const char *const *known);
void layout_parse_free(struct parse *p);

/* Write the canonical form of IEC located address @s ("%i0.0" -> "%IX0.0")
 * to @out; -1 when @s is not an address (iec-address.c). */
int layout_iec_address_canonical(const char *s, char *out, size_t size);

/* Value parsers shared by the section loaders (values.c). First, why @s
 * cannot be a name of at most @max characters ("is empty", "is a C keyword"),
 * or NULL: names become C identifiers in the generated header. */
const char *layout_name_problem(const char *s, size_t max);
/* False when @s is not one. */
bool layout_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
bool layout_parse_yesno(const char *s, bool *out);
/* The duration @e within [min_us, max_us] into *out (plc_duration_parse());
 * else reported on @p, naming it @what ("[logic]: period"), and false. */
bool layout_parse_duration(struct parse *p, const struct entry *e, const char *what,
                           uint32_t min_us, uint32_t max_us, uint32_t *out);

/* Index of @s in a table of names indexed from 1, or 0. */
int layout_lookup(const char *const *names, int count, const char *s);
#define LOOKUP(names, s) layout_lookup(names, (int)(sizeof(names) / sizeof(names[0])), s)
/* "TABLE:ADDRESS" (coil:3, holding_register:100) into its parts; false when
 * it is not one (tag.c). */
bool layout_parse_modbus_address(const char *value, enum plc_modbus_table *table,
                                 uint16_t *address);
/* ABCD..DCBA, or 0 (tag.c). */
enum plc_word_order layout_word_order_from_name(const char *s);

/* The alarms of a layout as they are loaded (alarm.c). */
struct alarm_list {
    struct plc_alarm_def *a;
    size_t n, cap;
};

/* A [tag NAME] section into @t (tag.c), its alarms appended to @alarms; needs
 * the regions of @l and its [modbus] section loaded. */
void layout_load_tag(struct parse *p, struct section *s, const struct plc_layout *l,
                     struct plc_tag_def *t, struct alarm_list *alarms);
/* The alarm keys of the tag @t of section @s, appended to @out (alarm.c). A
 * parameter tag holding a limit is looked up among the sections, so it may be
 * declared after @t. */
void layout_load_alarms(struct parse *p, struct section *s, const struct plc_layout *l,
                        const struct plc_tag_def *t, struct alarm_list *out);
/* Report a tag bound to a Modbus address or GPIO line an earlier tag has. */
void layout_check_bindings(struct parse *p, const struct plc_layout *l);

/* The tags of the alarm region @region (alarm-region.c), appended to @tags,
 * which has room for 3 + 2 per alarm. */
void layout_make_alarm_tags(struct parse *p, const struct plc_layout *l,
                            struct plc_region_def *region, struct plc_tag_def *tags,
                            size_t *ntags);

/* FNV-1a of plc_layout_write_canonical() into *out (canonical.c); -1 when out of memory. */
int layout_hash(const struct plc_layout *l, uint64_t *out);

/* The [modbus] section (modbus-section.c). */
void layout_modbus_defaults(struct plc_modbus_config *m);
void layout_load_modbus(struct parse *p, struct section *s, struct plc_modbus_config *m);

/* The [mqtt] section (mqtt-section.c): needs every tag, the alarm region's too.
 * Fills @m and its per-tag table (allocated; layout_mqtt_free()). @s may be NULL. */
void layout_load_mqtt(struct parse *p, struct section *s, const struct plc_layout *l,
                      struct plc_mqtt_config *m);
void layout_mqtt_free(struct plc_mqtt_config *m);

/* The [logic] section (logic.c); @s may be NULL (all defaults). Needs regions and tags. */
void layout_load_logic(struct parse *p, struct section *s, const struct plc_layout *l,
                       struct plc_logic_def *out);

#endif
