/* SPDX-License-Identifier: MIT */
/*
 * struct plc_alarm_set: the ISA-18.2 state machine of every alarm of a layout
 * (docs/alarms.md has the table of transitions).
 *
 * Each evaluation works in two steps per alarm: the condition (the value
 * against its limit with the deadband once raised, held for the delay; or a
 * bool's level or edge), then the state from the condition. Acknowledging and
 * shelving are the operator's and change the state outside evaluation.
 *
 * Latching, as ISA-18.2 describes it (an alarm that stays in alarm after its
 * condition clears until the operator resets it), with the acknowledgement as
 * the reset: a latched alarm in UNACK_ACTIVE or ACK_ACTIVE stays there when
 * its condition clears, and the acknowledgement given once it has cleared
 * takes it to NORMAL. An unlatched alarm needs an acknowledgement too, but its
 * state shows the condition (UNACK_RTN, or NORMAL straight from ACK_ACTIVE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plc-alarm.h"

#define NS_PER_S 1000000000ll

struct plc_alarm_set {
    const struct plc_alarm_def *def; /* the layout's, plc_layout_alarm_at(layout, 0) on */
    size_t n;
    struct plc_alarm_status st[];
};

static const char *const state_names[] = {
    [PLC_ALARM_NORMAL] = "normal",
    [PLC_ALARM_UNACK_ACTIVE] = "unack_active",
    [PLC_ALARM_ACK_ACTIVE] = "ack_active",
    [PLC_ALARM_UNACK_RTN] = "unack_rtn",
};

const char *plc_alarm_state_name(enum plc_alarm_state s)
{
    return s >= PLC_ALARM_NORMAL && s <= PLC_ALARM_UNACK_RTN ? state_names[s] : NULL;
}

static void status_reset(struct plc_alarm_status *st)
{
    memset(st, 0, sizeof(*st));
    st->state = PLC_ALARM_NORMAL;
    st->pending_ns = -1;
}

struct plc_alarm_set *plc_alarm_set_new(const struct plc_layout *l)
{
    size_t n = plc_layout_alarm_count(l);
    struct plc_alarm_set *set = calloc(1, sizeof(*set) + n * sizeof(set->st[0]));
    if (!set)
        return NULL;
    set->def = plc_layout_alarm_at(l, 0);
    set->n = n;
    for (size_t i = 0; i < n; i++)
        status_reset(&set->st[i]);
    return set;
}

void plc_alarm_set_free(struct plc_alarm_set *set)
{
    free(set);
}

size_t plc_alarm_set_count(const struct plc_alarm_set *set)
{
    return set->n;
}

long plc_alarm_set_find(const struct plc_alarm_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->def[i].name, name) == 0)
            return (long)i;
    errno = ENOENT;
    return -1;
}

const struct plc_alarm_status *plc_alarm_set_status_at(const struct plc_alarm_set *set, size_t i)
{
    return i < set->n ? &set->st[i] : NULL;
}

/* Whether the value is in alarm, before the delay. Once raised, a limit holds
 * until the value is back past it by the deadband. NaN is never in alarm. */
static bool in_alarm(const struct plc_alarm_def *d, const struct plc_alarm_status *st, double v,
                     double limit)
{
    double band = st->condition ? d->deadband : 0;
    switch (d->kind) {
    case PLC_ALARM_HH:
    case PLC_ALARM_H:
        return v >= limit - band;
    case PLC_ALARM_L:
    case PLC_ALARM_LL:
        return v <= limit + band;
    case PLC_ALARM_ON:
        return v != 0;
    case PLC_ALARM_OFF:
        return v == 0;
    case PLC_ALARM_RISING:
        return st->seen && st->last == 0 && v != 0;
    case PLC_ALARM_FALLING:
        return st->seen && st->last != 0 && v == 0;
    }
    return false;
}

/* The condition: in alarm for at least the delay; clear at once. */
static void update_condition(const struct plc_alarm_def *d, struct plc_alarm_status *st, bool raw,
                             int64_t now)
{
    if (!raw) {
        st->condition = false;
        st->pending_ns = -1;
        return;
    }
    if (st->condition)
        return;
    if (st->pending_ns < 0)
        st->pending_ns = now;
    if (now - st->pending_ns >= (int64_t)d->delay_us * 1000) {
        st->condition = true;
        st->pending_ns = -1;
    }
}

/* The state the condition leads to; acknowledgements are plc_alarm_set_ack()'s. */
static enum plc_alarm_state next_state(const struct plc_alarm_def *d,
                                       const struct plc_alarm_status *st)
{
    switch (st->state) {
    case PLC_ALARM_NORMAL:
    case PLC_ALARM_UNACK_RTN:
        return st->condition ? PLC_ALARM_UNACK_ACTIVE : st->state;
    case PLC_ALARM_UNACK_ACTIVE:
        return st->condition || d->latch ? st->state : PLC_ALARM_UNACK_RTN;
    case PLC_ALARM_ACK_ACTIVE:
        return st->condition || d->latch ? st->state : PLC_ALARM_NORMAL;
    default:
        return st->state;
    }
}

int plc_alarm_set_evaluate(struct plc_alarm_set *set, plc_alarm_value_fn *value_of, void *user,
                           int64_t now_ns, plc_alarm_transition_fn *on_transition, void *user2)
{
    int changes = 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct plc_alarm_def *d = &set->def[i];
        struct plc_alarm_status *st = &set->st[i];
        double v = value_of(user, d->tag);
        double limit = d->limit_tag ? value_of(user, d->limit_tag) : d->limit;

        if (st->shelved && now_ns >= st->shelved_until_ns)
            st->shelved = false;
        update_condition(d, st, in_alarm(d, st, v, limit), now_ns);
        st->last = v;
        st->seen = true;
        if (st->shelved)
            continue;
        enum plc_alarm_state from = st->state, to = next_state(d, st);
        if (to == from)
            continue;
        st->state = to;
        st->changed_ns = now_ns;
        changes++;
        if (on_transition)
            on_transition(user2, i, from, to, v, now_ns);
    }
    return changes;
}

int plc_alarm_set_ack(struct plc_alarm_set *set, size_t i, int64_t now_ns)
{
    if (i >= set->n) {
        errno = ENOENT;
        return -1;
    }
    struct plc_alarm_status *st = &set->st[i];
    bool reset = set->def[i].latch && !st->condition; /* a latched alarm, cleared */
    enum plc_alarm_state to = st->state;
    if (st->state == PLC_ALARM_UNACK_ACTIVE)
        to = reset ? PLC_ALARM_NORMAL : PLC_ALARM_ACK_ACTIVE;
    else if (st->state == PLC_ALARM_ACK_ACTIVE && reset)
        to = PLC_ALARM_NORMAL;
    else if (st->state == PLC_ALARM_UNACK_RTN)
        to = PLC_ALARM_NORMAL;
    if (to == st->state)
        return 0;
    st->state = to;
    st->changed_ns = now_ns;
    return 1;
}

int plc_alarm_set_ack_all(struct plc_alarm_set *set, int64_t now_ns)
{
    int changed = 0;
    for (size_t i = 0; i < set->n; i++)
        changed += plc_alarm_set_ack(set, i, now_ns);
    return changed;
}

int plc_alarm_set_shelve(struct plc_alarm_set *set, size_t i, int64_t now_ns, int64_t until_ns,
                         struct plc_diag *diag)
{
    if (i >= set->n)
        return plc_diag_fail(diag, NULL, ENOENT, "no alarm %zu (the layout has %zu)", i, set->n);
    const struct plc_alarm_def *d = &set->def[i];
    struct plc_alarm_status *st = &set->st[i];
    if (until_ns <= now_ns)
        return plc_diag_fail(diag, NULL, EINVAL, "alarm '%s': a shelving must end after now",
                             d->name);
    if (until_ns - now_ns > (int64_t)d->shelve_max_s * NS_PER_S)
        return plc_diag_fail(diag, NULL, ERANGE,
                             "alarm '%s': shelving for %.9gs is longer than its "
                             "alarm_shelve_max %us",
                             d->name, (double)(until_ns - now_ns) / NS_PER_S, d->shelve_max_s);
    st->shelved = true;
    st->shelved_until_ns = until_ns;
    if (st->state != PLC_ALARM_NORMAL) {
        st->state = PLC_ALARM_NORMAL;
        st->changed_ns = now_ns;
    }
    return 0;
}

int plc_alarm_set_unshelve(struct plc_alarm_set *set, size_t i)
{
    if (i >= set->n) {
        errno = ENOENT;
        return -1;
    }
    bool was = set->st[i].shelved;
    set->st[i].shelved = false;
    return was;
}

long plc_alarm_set_get_state(const struct plc_alarm_set *set, struct plc_alarm_status *out,
                             size_t n)
{
    if (n < set->n) {
        errno = ENOSPC;
        return -1;
    }
    if (set->n)
        memcpy(out, set->st, set->n * sizeof(*out));
    return (long)set->n;
}

int plc_alarm_set_set_state(struct plc_alarm_set *set, const struct plc_alarm_status *in, size_t n)
{
    if (n != set->n)
        goto invalid;
    for (size_t i = 0; i < n; i++)
        if (!plc_alarm_state_name(in[i].state))
            goto invalid;
    if (n)
        memcpy(set->st, in, n * sizeof(*in));
    return 0;
invalid:
    errno = EINVAL;
    return -1;
}

enum plc_alarm_state plc_alarm_state_from_bits(bool active, bool unacked)
{
    if (active)
        return unacked ? PLC_ALARM_UNACK_ACTIVE : PLC_ALARM_ACK_ACTIVE;
    return unacked ? PLC_ALARM_UNACK_RTN : PLC_ALARM_NORMAL;
}
