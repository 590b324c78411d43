/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: any bytes as a Structured Text file, through the whole
 * front end (lexer, parser, checker, folder) with diagnostics printed. Every
 * input must end in "ok" or "errors", never a crash, a hang or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the diagnostics are formatted too (carets, long lines), then dropped */
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    plc_st_check_buffer((const char *)data, size, "fuzz.st", sink);
    return 0;
}
