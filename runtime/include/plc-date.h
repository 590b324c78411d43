/* SPDX-License-Identifier: MIT */
/**
 * @file plc-date.h
 * @brief IEC 61131-3 DATE, TIME_OF_DAY and DATE_AND_TIME as int64 nanoseconds.
 *
 * All three are signed 64-bit counts of nanoseconds, like TIME, so that the
 * arithmetic between them is plain integer arithmetic:
 *
 * - DATE: since 1970-01-01 00:00, always a whole number of days;
 * - TOD (TIME_OF_DAY): since midnight, 0 up to (not including) 24 h;
 * - DT (DATE_AND_TIME): since 1970-01-01 00:00.
 *
 * The calendar is the proleptic Gregorian one without time zones or leap
 * seconds (as IEC's). Literals, and so the parse functions, accept the years
 * 1970 to 2261: the int64 range ends in April 2262. Programs built by plc-st
 * call these for TOD arithmetic and for the conversions; `plc-st sim` prints
 * with them.
 */
#ifndef PLC_DATE_H
#define PLC_DATE_H

#include <stddef.h>
#include <stdint.h>


#ifndef PLC_API /* as plc-iec.h: exported from libplc */
#define PLC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Nanoseconds in a day. */
#define PLC_DATE_DAY_NS 86400000000000LL

/** @brief The first and last year a DATE or DT literal may name. */
#define PLC_DATE_YEAR_MIN 1970
#define PLC_DATE_YEAR_MAX 2261

/** @brief Which of the three types a text or value is. */
enum plc_date_kind {
    PLC_DATE_DATE = 1, /**< DATE: D#2024-01-31 */
    PLC_DATE_TOD,      /**< TIME_OF_DAY: TOD#12:30:15.5 */
    PLC_DATE_DT,       /**< DATE_AND_TIME: DT#2024-01-31-12:30:15 */
};

/** @brief A date and time of day broken into fields. */
struct plc_date_fields {
    int64_t year;    /**< e.g. 2024 (before 1970 for a negative count) */
    unsigned month;  /**< 1..12 */
    unsigned day;    /**< 1..31 */
    unsigned hour;   /**< 0..23 */
    unsigned minute; /**< 0..59 */
    unsigned second; /**< 0..59 */
    uint32_t ns;     /**< 0..999999999 */
};

/**
 * @brief The DATE of @p year-@p month-@p day.
 * @param[out] ns Nanoseconds since 1970-01-01.
 * @return 0, or -1 with errno EINVAL (no such day, e.g. 2100-02-29) or ERANGE
 * (a year outside PLC_DATE_YEAR_MIN..PLC_DATE_YEAR_MAX).
 */
PLC_API int plc_date_from_ymd(int64_t year, unsigned month, unsigned day, int64_t *ns);

/**
 * @brief The TIME_OF_DAY @p hour:@p minute:@p second plus @p frac_ns.
 * @return 0, or -1 with errno EINVAL (a field out of range: hours 0..23,
 * minutes and seconds 0..59, frac_ns below one second).
 */
PLC_API int plc_tod_from_hms(unsigned hour, unsigned minute, unsigned second, uint32_t frac_ns,
                             int64_t *ns);

/** @brief Break a DATE, TOD or DT count into fields (any int64; a TOD's date fields are 1970-01-01). */
PLC_API void plc_date_split(int64_t ns, struct plc_date_fields *out);

/** @brief TOD arithmetic: @p ns brought into 0..24 h, modulo a day (-1 s is 23:59:59). */
PLC_API int64_t plc_tod_wrap(int64_t ns);

/** @brief DT_TO_DATE: the day of @p dt (rounded down to midnight, also before 1970). */
PLC_API int64_t plc_dt_to_date(int64_t dt);

/** @brief DT_TO_TOD: the time of day of @p dt. */
PLC_API int64_t plc_dt_to_tod(int64_t dt);

/**
 * @brief Read a literal's value: "2024-01-31" (DATE), "12:30:15.5" (TOD),
 * "2024-01-31-12:30:15" (DT), with or without its prefix (D#, DATE#, TOD#,
 * TIME_OF_DAY#, DT#, DATE_AND_TIME#, in any case).
 * @param len Bytes of @p text to read (the whole of them must be the literal).
 * @return 0, or -1 with errno EINVAL (malformed or a field out of range) or
 * ERANGE (a year outside PLC_DATE_YEAR_MIN..PLC_DATE_YEAR_MAX).
 */
PLC_API int plc_date_parse(enum plc_date_kind kind, const char *text, size_t len, int64_t *ns);

/** @brief Longest text plc_date_format() writes, NUL included. */
#define PLC_DATE_TEXT_MAX 48

/**
 * @brief Write @p ns as the literal of @p kind: D#2024-01-31, TOD#12:30:15.5,
 * DT#2024-01-31-12:30:15 (the fraction of a second only when not zero, without
 * trailing zeros). A TOD out of 0..24 h is written wrapped.
 * @return The length plc_date_format() wanted to write (as snprintf).
 */
PLC_API int plc_date_format(enum plc_date_kind kind, int64_t ns, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
