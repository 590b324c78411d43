/* SPDX-License-Identifier: MIT */
/*
 * struct plc_hist: the scan engine's lateness histogram. Fine buckets where a
 * healthy scan lands (1 us to 2 ms), coarse ones for stalls (100 us to
 * 102 ms), so p50 and p99 are exact to 1 us for any sane period and a VM
 * stall still lands somewhere; the maximum is kept exactly beside it.
 */
#include "scan-internal.h"

void plc_hist_add(struct plc_hist *h, uint64_t ns)
{
    uint64_t us = ns / 1000u;
    size_t b;
    if (us < PLC_HIST_FINE_US)
        b = (size_t)us;
    else if (us < PLC_HIST_FINE_US + (uint64_t)PLC_HIST_COARSE_US * PLC_HIST_COARSE_N)
        b = PLC_HIST_FINE_US + (size_t)((us - PLC_HIST_FINE_US) / PLC_HIST_COARSE_US);
    else
        b = PLC_HIST_N - 1;
    h->count[b]++;
    h->total++;
    if (ns > h->max)
        h->max = ns;
}

uint64_t plc_hist_quantile(const struct plc_hist *h, double p)
{
    if (!h->total)
        return 0;
    /* the rank of the quantile, rounded up: p99 of 100 values is the 99th */
    uint64_t want = (uint64_t)(p * (double)h->total + 0.999999);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < PLC_HIST_N; b++) {
        seen += h->count[b];
        if (seen < want)
            continue;
        uint64_t edge_us = b < PLC_HIST_FINE_US
                               ? b + 1
                               : PLC_HIST_FINE_US + (b - PLC_HIST_FINE_US + 1) * PLC_HIST_COARSE_US;
        uint64_t edge = edge_us * 1000u;
        return b == PLC_HIST_N - 1 || edge > h->max ? h->max : edge;
    }
    return h->max;
}
