/* SPDX-License-Identifier: MIT */
/*
 * PLCopen TC6 XML (the plc.xml of the OpenPLC Editor and Beremiz) as a
 * source: translated into Structured Text that the front end reads as it
 * reads a .st file, each line remembering where in the XML it came from.
 */
#ifndef PLC_ST_PLCOPEN_H
#define PLC_ST_PLCOPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"

/* A source is XML when its first character past blanks (and a UTF-8 byte
 * order mark) is '<': no Structured Text starts so. */
bool st_plcopen_is_xml(const char *text, size_t len);

/*
 * Replace source @p file (XML) by its ST translation: the XML becomes the
 * text diagnostics quote, with a line map to it. Errors are reported at
 * their line in the XML. @return 0, or -1 after reporting errors.
 */
int st_plcopen_translate(struct st_ctx *ctx, uint32_t file);

#endif
