/* SPDX-License-Identifier: MIT */
/* region-bench: the tables it prints, and the targets it reports against. */
#include <inttypes.h>

#include "region-bench.h"

void size_name(size_t size, char *buf, size_t len)
{
    if (size >= 1024 && size % 1024 == 0)
        snprintf(buf, len, "%zu KiB", size / 1024);
    else
        snprintf(buf, len, "%zu B", size);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static const char *verdict(bool ok)
{
    return ok ? "ok" : "MISS";
}

uint64_t protocol_torn(const struct result *r)
{
    uint64_t n = 0;
    for (unsigned ph = 0; ph < N_PHASES; ph++)
        n += r->torn[ph][K_LIB] + r->torn[ph][K_BARE] + r->torn[ph][K_BARE_RLX];
    return n;
}

static void print_write_table(const struct opts *o, struct result (*res)[MAX_LIST], bool drained)
{
    char sz[32];
    printf("%-7s %7s | %7s %7s %7s | %8s %7s %7s | %6s %6s", "size", "readers", "lib p50", "p95",
           "p99", "bare p50", "p95", "p99", "p95 x", "p99 x");
    printf(drained ? "\n" : " | %8s %7s %5s\n", "late p50", "p99", "overr");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_name(o->sizes[si], sz, sizeof(sz));
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            const struct pct *w = drained ? r->wd : r->w;
            printf("%-7s %7u | %7.2f %7.2f %7.2f | %8.2f %7.2f %7.2f | %6.2f %6.2f", sz, r->readers,
                   w[0].p50 / 1e3, w[0].p95 / 1e3, w[0].p99 / 1e3, w[1].p50 / 1e3, w[1].p95 / 1e3,
                   w[1].p99 / 1e3, ratio(w[0].p95, w[1].p95), ratio(w[0].p99, w[1].p99));
            if (drained)
                printf("\n");
            else
                printf(" | %8.1f %7.1f %5" PRIu64 "\n", r->late.p50 / 1e3, r->late.p99 / 1e3,
                       r->overruns);
        }
    }
}

/* memcpy against the relaxed-atomic copy (PLC_RELAXED_COPY), both in the bare
 * seqlock and as plain copies, from the same periods and readers. */
static void print_copy_table(const struct opts *o, struct result (*res)[MAX_LIST])
{
    char sz[32];
    printf("\n== Payload copy: memcpy against C11 relaxed atomics (runtime/payload-copy.h, "
           "libplc's copy under PLC_RELAXED_COPY). wr: bare seqlock write, call time p95, us; "
           "rd: bare seqlock read p50, ns; cp: plain copy of the region's data, no protocol, "
           "p50, ns ==\n");
    printf("%-7s %7s | %7s %7s %6s | %7s %7s %6s | %7s %7s %6s | %11s %4s %7s | %7s\n", "size",
           "readers", "wr bare", "rlx", "x", "rd bare", "rlx", "x", "cp mcpy", "rlx", "x",
           "rd rlx chk", "torn", "retries", "cp torn");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_name(o->sizes[si], sz, sizeof(sz));
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            uint64_t checked = 0, torn = 0, raw_torn = 0;
            for (unsigned ph = 0; ph < N_PHASES; ph++) {
                checked += r->checked[ph][K_BARE_RLX];
                torn += r->torn[ph][K_BARE_RLX];
                raw_torn += r->torn[ph][K_RAW_RLX];
            }
            printf("%-7s %7u | %7.2f %7.2f %6.2f | %7.1f %7.1f %6.2f | %7.1f %7.1f %6.2f | "
                   "%11" PRIu64 " %4" PRIu64 " %7" PRIu64 " | %7" PRIu64 "\n",
                   sz, r->readers, r->w[W_BARE].p95 / 1e3, r->w[W_BARE_RLX].p95 / 1e3,
                   ratio(r->w[W_BARE_RLX].p95, r->w[W_BARE].p95), r->r[K_BARE].p50,
                   r->r[K_BARE_RLX].p50, ratio(r->r[K_BARE_RLX].p50, r->r[K_BARE].p50),
                   r->r[K_RAW].p50, r->r[K_RAW_RLX].p50,
                   ratio(r->r[K_RAW_RLX].p50, r->r[K_RAW].p50), checked, torn, r->rlx_retries,
                   raw_torn);
        }
    }
    printf("(x: relaxed / memcpy. rd rlx chk, torn: reads through the bare seqlock with the "
           "relaxed copy, all phases (0 torn, or the run fails); cp torn: plain relaxed copies "
           "that came back torn, all phases: atomic words alone do not make a copy whole)\n");
}

void print_matrix(const struct opts *o, struct result (*res)[MAX_LIST])
{
    char sz[32];
    printf("\n== Writes: one plc_region_write() (lib) and one bare seqlock write (bare) each "
           "%" PRIu64 " us period, %u periods; time of the call, us ==\n",
           o->period_ns / 1000, o->writes);
    print_write_table(o, res, false);
    printf("(p95 x, p99 x: lib / bare. late: how late the writer woke; overr: periods "
           "missed)\n");
    printf("\n== Writes until visible: the same calls, to the end of an mfence after the "
           "call (the call plus draining its stores to the other core), us ==\n");
    print_write_table(o, res, true);

    printf("\n== Reads: plc_region_read() (lib), bare seqlock read (bare), plain memcpy of the "
           "region's data (memcpy); ns per read = time of a batch of B reads / B ==\n");
    printf("%-7s %7s %3s | %8s %7s %7s | %8s %7s %7s | %8s %7s %7s | %6s %6s %6s | %7s\n", "size",
           "readers", "B", "lib p50", "p95", "p99", "bare p50", "p95", "p99", "mcpy p50", "p95",
           "p99", "l/bare", "l/mcpy", "b/mcpy", "batches");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_name(o->sizes[si], sz, sizeof(sz));
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            printf("%-7s %7u %3u | %8.1f %7.1f %7.1f | %8.1f %7.1f %7.1f | %8.1f %7.1f %7.1f | "
                   "%6.3f %6.3f %6.3f | %7zu\n",
                   sz, r->readers, r->batch, r->r[0].p50, r->r[0].p95, r->r[0].p99, r->r[1].p50,
                   r->r[1].p95, r->r[1].p99, r->r[2].p50, r->r[2].p95, r->r[2].p99,
                   ratio(r->r[0].p50, r->r[1].p50), ratio(r->r[0].p50, r->r[2].p50),
                   ratio(r->r[1].p50, r->r[2].p50), r->r[0].n);
        }
    }
    printf("(ratios of the p50s. batches: timed batches of each kind, over all readers)\n");

    printf("\n== Torn reads: reads checked / found torn. paced: during the paced writes; "
           "hammer: %u ms of back-to-back writes; raw: plain memcpy, no protocol (the negative "
           "control; its hammer column adds %u ms of writes to the library's region alone, "
           "with readers doing only that) ==\n",
           o->hammer_ms, o->hammer_ms / 3);
    printf("%-7s %7s | %11s %4s %10s %4s | %11s %4s %10s %4s | %11s %6s %10s %7s\n", "size",
           "readers", "lib paced", "torn", "hammer", "torn", "bare paced", "torn", "hammer", "torn",
           "raw paced", "torn", "hammer", "torn");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_name(o->sizes[si], sz, sizeof(sz));
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            printf("%-7s %7u | %11" PRIu64 " %4" PRIu64 " %10" PRIu64 " %4" PRIu64 " | %11" PRIu64
                   " %4" PRIu64 " %10" PRIu64 " %4" PRIu64 " | %11" PRIu64 " %6" PRIu64
                   " %10" PRIu64 " %7" PRIu64 "\n",
                   sz, r->readers, r->checked[PH_PACED][K_LIB], r->torn[PH_PACED][K_LIB],
                   r->checked[PH_HAMMER][K_LIB], r->torn[PH_HAMMER][K_LIB],
                   r->checked[PH_PACED][K_BARE], r->torn[PH_PACED][K_BARE],
                   r->checked[PH_HAMMER][K_BARE], r->torn[PH_HAMMER][K_BARE],
                   r->checked[PH_PACED][K_RAW], r->torn[PH_PACED][K_RAW],
                   r->checked[PH_HAMMER][K_RAW] + r->checked[PH_RAW][K_RAW],
                   r->torn[PH_HAMMER][K_RAW] + r->torn[PH_RAW][K_RAW]);
        }
    }
    printf("\n== Readers: start-up, retries and give-ups ==\n");
    printf("%-7s %7s | %8s %7s | %10s %10s | %11s %12s | %11s %12s\n", "size", "readers",
           "ready ms", "attach", "hammer wr", "raw wr", "lib retries", "bare retries",
           "EBUSY paced", "EBUSY hammer");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_name(o->sizes[si], sz, sizeof(sz));
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            printf("%-7s %7u | %8.1f %7.3f | %10" PRIu64 " %10" PRIu64 " | %11" PRIu64 " %12" PRIu64
                   " | %11" PRIu64 " %12" PRIu64 "\n",
                   sz, r->readers, r->ready_ms, r->r_attach_ms, r->hammer_writes, r->raw_writes,
                   r->lib_retries, r->bare_retries, r->busy[PH_PACED], r->busy[PH_HAMMER]);
        }
    }
    printf("(ready ms: fork to every reader attached, pinned and warmed; attach: ms per "
           "reader's plc_region_attach() (wall: includes waiting for the CPU); hammer wr: writes "
           "of each kind back to back; raw wr: "
           "writes of the library's region alone; retries: copies thrown away because a write "
           "overlapped, all phases; EBUSY: plc_region_read() gave up after its 100 ms "
           "budget)\n");

    print_copy_table(o, res);

    printf("\n== Targets (value, then ok or MISS; all from the tables above) ==\n");
    printf("%-7s %7s | %-22s | %-17s | %-19s | %-6s | %-20s\n", "size", "readers",
           "write p95 <1us / 1.2x", "read <=1.1x bare", "read <=1.15x memcpy", "torn 0",
           "w p99 <=1.5x 1-reader");
    for (unsigned si = 0; si < o->nsizes; si++) {
        size_t size = o->sizes[si];
        size_name(size, sz, sizeof(sz));
        const struct result *one = NULL;
        for (unsigned ri = 0; ri < o->nreaders; ri++)
            if (res[si][ri].readers == 1)
                one = &res[si][ri];
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            const struct result *r = &res[si][ri];
            char wcol[40], rb[40], rm[40], p99[40];
            if (size <= 256)
                snprintf(wcol, sizeof(wcol), "%.2f us %s", r->w[0].p95 / 1e3,
                         verdict(r->w[0].p95 < 1000));
            else
                snprintf(wcol, sizeof(wcol), "%.2fx bare %s", ratio(r->w[0].p95, r->w[1].p95),
                         verdict(ratio(r->w[0].p95, r->w[1].p95) <= 1.2));
            double lb = ratio(r->r[0].p50, r->r[1].p50), lm = ratio(r->r[0].p50, r->r[2].p50);
            snprintf(rb, sizeof(rb), "%.3fx %s", lb, verdict(lb <= 1.1));
            snprintf(rm, sizeof(rm), "%.3fx %s", lm,
                     size >= 4096 ? verdict(lm <= 1.15) : "(< 4 KiB)");
            if (one && r != one) {
                double x = ratio(r->w[0].p99, one->w[0].p99);
                snprintf(p99, sizeof(p99), "%.2fx %s", x,
                         r->readers >= 1000 ? verdict(x <= 1.5) : "(info)");
            } else {
                snprintf(p99, sizeof(p99), "-");
            }
            uint64_t torn = protocol_torn(r);
            printf("%-7s %7u | %-22s | %-17s | %-19s | %-6s | %-20s\n", sz, r->readers, wcol, rb,
                   rm, verdict(torn == 0), p99);
        }
    }
    printf("(write: call time, p95 under 1 us up to 256 B, lib/bare p95 <= 1.2 above; read: "
           "ratio of p50s; torn: lib and bare, all phases; w p99: lib writer p99 / its "
           "1-reader p99, judged at 1000 readers)\n");
}

void print_multi(const struct opts *o, const struct bench_set *s, const struct result res[3],
                 const char *const what[3])
{
    char sz[32];
    size_name(o->multi_size, sz, sizeof(sz));
    printf("\n== %u regions attached at once: %s each, 1 writer process (CPU%d), 1 reader "
           "process (CPU%d), %u periods of %" PRIu64 " us ==\n",
           o->regions, sz, WRITER_CPU, READER_CPU, o->writes, o->period_ns / 1000);
    printf("create %u regions (plc_region_create): %.1f ms, %.3f ms each\n", o->regions,
           s->create_ms, s->create_ms / o->regions);
    printf("attach as writer: 1 region %.3f ms; %u regions %.2f ms (%.3f ms each)\n",
           res[0].w_attach_ms, o->regions, res[1].w_attach_ms, res[1].w_attach_ms / o->regions);
    printf("attach as reader: 1 region %.3f ms; %u regions %.2f ms (%.3f ms each)\n",
           res[0].r_attach_ms, o->regions, res[1].r_attach_ms, res[1].r_attach_ms / o->regions);
    printf("%-46s | %7s %7s %7s | %7s %7s %7s | %7s %7s | %7s %7s | %5s\n",
           "case (writes us, "
           "reads ns)",
           "lib p50", "p95", "p99", "bare p50", "p95", "p99", "rd lib", "p99", "rd bare", "p99",
           "torn");
    for (unsigned c = 0; c < 3; c++) {
        const struct result *r = &res[c];
        printf("%-46s | %7.2f %7.2f %7.2f | %7.2f %7.2f %7.2f | %7.1f %7.1f | %7.1f %7.1f | "
               "%5" PRIu64 "\n",
               what[c], r->w[0].p50 / 1e3, r->w[0].p95 / 1e3, r->w[0].p99 / 1e3, r->w[1].p50 / 1e3,
               r->w[1].p95 / 1e3, r->w[1].p99 / 1e3, r->r[0].p50, r->r[0].p99, r->r[1].p50,
               r->r[1].p99, protocol_torn(r));
    }
    printf("%-46s | %7.2f %7s %7.2f | %7.2f %7s %7.2f | %7.2f %7.2f | %7.2f %7.2f |\n",
           "ratio: all attached, round robin / 1 region", ratio(res[1].w[0].p50, res[0].w[0].p50),
           "", ratio(res[1].w[0].p99, res[0].w[0].p99), ratio(res[1].w[1].p50, res[0].w[1].p50), "",
           ratio(res[1].w[1].p99, res[0].w[1].p99), ratio(res[1].r[0].p50, res[0].r[0].p50),
           ratio(res[1].r[0].p99, res[0].r[0].p99), ratio(res[1].r[1].p50, res[0].r[1].p50),
           ratio(res[1].r[1].p99, res[0].r[1].p99));
    printf("%-46s | %7.2f %7s %7.2f | %7.2f %7s %7.2f | %7.2f %7.2f | %7.2f %7.2f |\n",
           "ratio: all attached, all written / 1 region", ratio(res[2].w[0].p50, res[0].w[0].p50),
           "", ratio(res[2].w[0].p99, res[0].w[0].p99), ratio(res[2].w[1].p50, res[0].w[1].p50), "",
           ratio(res[2].w[1].p99, res[0].w[1].p99), ratio(res[2].r[0].p50, res[0].r[0].p50),
           ratio(res[2].r[0].p99, res[0].r[0].p99), ratio(res[2].r[1].p50, res[0].r[1].p50),
           ratio(res[2].r[1].p99, res[0].r[1].p99));
    printf("(reads: the reader times batches of %u reads, turning through the attached "
           "regions; lib/bare in each case: write p99 %.2fx %.2fx %.2fx, read p50 %.3fx %.3fx "
           "%.3fx)\n",
           res[0].batch, ratio(res[0].w[0].p99, res[0].w[1].p99),
           ratio(res[1].w[0].p99, res[1].w[1].p99), ratio(res[2].w[0].p99, res[2].w[1].p99),
           ratio(res[0].r[0].p50, res[0].r[1].p50), ratio(res[1].r[0].p50, res[1].r[1].p50),
           ratio(res[2].r[0].p50, res[2].r[1].p50));
}
