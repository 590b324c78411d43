/* SPDX-License-Identifier: MIT */
/**
 * @file plc-st.h
 * @brief What a program compiled by plc-st exports beside its descriptor.
 *
 * A Structured Text program is an ordinary program object (plc-program.h):
 * its state is one generated struct in ctx->state. It also exports
 * PLC_ST_META_SYMBOL, a table of every scalar it keeps there, by the path
 * the ST source declares ("x", "inst.Q", "s.a", "a[3]", "m[1,2]"). Two
 * things read the table: `plc-st sim`, to set and print variables by name,
 * and plc-logic, to carry each variable whose path and type are unchanged
 * across an online change (a reload of a changed program).
 *
 * Arrays and structs are flattened: one entry per scalar leaf. Tags of the
 * layout that the program reads or writes through VAR_EXTERNAL or a located
 * variable live in the process image, not in the state, when the program
 * is built against a layout; they are listed with PLC_ST_VAR_IMAGE set and
 * no offset.
 *
 * Online change (plc-logic, docs/programs.md): the new program's init runs
 * on a new zeroed state and must give every variable its initial value
 * there; then each entry whose program, path (ASCII case ignored), kind,
 * size and type_name match an entry of the old program's table is copied
 * from the old state (an enum by its value's name), CONSTANT and IMAGE
 * entries excepted. Only what the table lists is carried: the private
 * fields of a block instance (a TON's `in`, `running`, `start` in struct
 * plc_timer) need entries too, or its timing restarts; a path no ST source
 * can spell (e.g. "t1.$start"), without PLC_ST_VAR_SHOW, keeps them out of
 * sim's output. type_name must change whenever the bytes mean something
 * else. A table with an entry outside state_size is refused with the program.
 */
#ifndef PLC_ST_H
#define PLC_ST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the table; another version is not read. */
#define PLC_ST_META_ABI 1u
/** Name of the table a program built by plc-st exports. */
#define PLC_ST_META_SYMBOL "plc_st_meta"

/** @brief How a scalar is stored in the state (C type in brackets). */
enum plc_st_kind {
    PLC_ST_BOOL = 1, /**< [bool] */
    PLC_ST_SINT,     /**< [int8_t] */
    PLC_ST_INT,      /**< [int16_t] */
    PLC_ST_DINT,     /**< [int32_t] */
    PLC_ST_LINT,     /**< [int64_t] */
    PLC_ST_USINT,    /**< [uint8_t] */
    PLC_ST_UINT,     /**< [uint16_t] */
    PLC_ST_UDINT,    /**< [uint32_t] */
    PLC_ST_ULINT,    /**< [uint64_t] */
    PLC_ST_BYTE,     /**< [uint8_t] */
    PLC_ST_WORD,     /**< [uint16_t] */
    PLC_ST_DWORD,    /**< [uint32_t] */
    PLC_ST_LWORD,    /**< [uint64_t] */
    PLC_ST_REAL,     /**< [float] */
    PLC_ST_LREAL,    /**< [double] */
    PLC_ST_TIME,     /**< [int64_t] nanoseconds */
    PLC_ST_STRING,   /**< [char[size]]: NUL-terminated, at most size - 1 characters */
    PLC_ST_ENUM,     /**< [int32_t] one of enum_type's values */
    PLC_ST_DATE,     /**< [int64_t] ns since 1970-01-01, whole days (plc-date.h) */
    PLC_ST_TOD,      /**< [int64_t] TIME_OF_DAY: ns since midnight */
    PLC_ST_DT,       /**< [int64_t] DATE_AND_TIME: ns since 1970-01-01 00:00 */
};

/** @brief An enumerated type: its value names and their values. */
struct plc_st_enum {
    const char *name;               /**< the TYPE's name as declared */
    uint32_t count;
    const char *const *value_names; /**< as declared */
    const int32_t *values;
};

/** Flags of a variable. */
enum plc_st_var_flag {
    PLC_ST_VAR_SHOW = 1u << 0,     /**< printed by `plc-st sim` without --watch */
    PLC_ST_VAR_INPUT = 1u << 1,    /**< VAR_INPUT (of a POU or of an FB instance) */
    PLC_ST_VAR_OUTPUT = 1u << 2,   /**< VAR_OUTPUT */
    PLC_ST_VAR_RETAIN = 1u << 3,   /**< RETAIN */
    PLC_ST_VAR_CONSTANT = 1u << 4, /**< CONSTANT: not set by sim */
    PLC_ST_VAR_EXTERNAL = 1u << 5, /**< VAR_EXTERNAL or VAR_GLOBAL */
    PLC_ST_VAR_IMAGE = 1u << 6,    /**< lives in the process image: offset unused */
};

/** @brief One scalar of the program's state. */
struct plc_st_var {
    /**
     * The program instance it belongs to (instance name when a CONFIGURATION
     * declares one, else the PROGRAM's name), or "" for a configuration's
     * VAR_GLOBAL.
     */
    const char *program;
    /** Its path inside the program, as declared: "x", "inst.Q", "a[3]", "m[1,2]". */
    const char *path;
    /** Its located address in canonical form ("%QX0.1", "%MW3"), or NULL. */
    const char *address;
    /** The declared type's name, for online change ("INT", "MOTOR_T", "STRING[20]"). */
    const char *type_name;
    const struct plc_st_enum *enum_type; /**< PLC_ST_ENUM only, else NULL */
    size_t offset;  /**< bytes from the start of ctx->state */
    uint32_t size;  /**< bytes it takes (STRING: its length + 1) */
    uint16_t kind;  /**< enum plc_st_kind */
    uint16_t flags; /**< enum plc_st_var_flag */
};

/** @brief The table: PLC_ST_META_SYMBOL's type. */
struct plc_st_meta {
    uint32_t abi;        /**< PLC_ST_META_ABI */
    uint32_t var_count;
    const struct plc_st_var *vars;
    /** The task's INTERVAL in ns (sim's default cycle, plc-logic's period
     *  unless the layout sets one), or 0 when the source has no task; for a
     *  program of several tasks (plc-task.h), their common tick. */
    uint64_t interval_ns;
    const char *source;  /**< the ST file(s) it was built from, as given */
};

#ifdef __cplusplus
}
#endif

#endif
