/* SPDX-License-Identifier: MIT */
/**
 * @file plc-layout.h
 * @brief The RaspiPLC layout: the one description of the process image.
 *
 * A layout file (INI, see docs/layout.md) declares regions and typed tags with
 * their GPIO and Modbus bindings. plc_layout_load() parses and validates it
 * once, assigns every offset and computes the layout hash, so every service
 * sees the same validated layout. A loaded layout is immutable and may be read
 * from any number of threads.
 */
#ifndef PLC_LAYOUT_H
#define PLC_LAYOUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLC_API __attribute__((visibility("default")))

/** @defgroup diag Diagnostics
 * @{ */

/**
 * @brief Where and what went wrong, for errors caused by user input.
 *
 * Functions taking a `struct plc_diag *` (which may be NULL) fill it only on
 * failure. `file` is empty and `line` 0 when the error has no source location.
 */
struct plc_diag {
    char file[256];
    unsigned line;
    char msg[768];
};

/**
 * @brief Format a diagnostic as "file:line: message" (or just the message).
 * @return the number of characters written, as snprintf().
 */
PLC_API int plc_diag_format(const struct plc_diag *diag, char *buf, size_t len);

/** @brief Clear a diagnostic. */
PLC_API void plc_diag_clear(struct plc_diag *diag);

/**
 * @brief Fill a diagnostic (if not NULL): @p file (may be NULL), no line, and
 *        the message. The one place every library sets one.
 */
PLC_API void plc_diag_set(struct plc_diag *diag, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/**
 * @brief Check a base directory: an absolute path without '..' components.
 * @param what How the caller names it in messages ("base_dir", "--base-dir").
 * @return 0, or -1 with errno EINVAL and @p diag saying what is wrong.
 */
PLC_API int plc_base_dir_check(const char *base, const char *what, struct plc_diag *diag);

/**
 * @brief plc_diag_set(), then errno = @p err: the one-line failure of every
 *        library call that meets user input.
 * @return -1.
 */
PLC_API int plc_diag_fail(struct plc_diag *diag, const char *file, int err, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/** @brief As plc_diag_set(), with a va_list. */
PLC_API void plc_diag_setv(struct plc_diag *diag, const char *file, const char *fmt,
                           va_list ap);

/** @} */

/** @defgroup types Tag types
 * @{ */

/** @brief Tag value types. Zero means unset. */
enum plc_type {
    PLC_TYPE_ERROR = -1,
    PLC_TYPE_BOOL = 1,
    PLC_TYPE_INT16,
    PLC_TYPE_UINT16,
    PLC_TYPE_INT32,
    PLC_TYPE_UINT32,
    PLC_TYPE_FLOAT32,
    /* Appended, so the numbers above (kept in retain snapshots) stay. */
    PLC_TYPE_INT64,
    PLC_TYPE_UINT64,
    PLC_TYPE_FLOAT64,
    PLC_TYPE_INT8,
    PLC_TYPE_UINT8,
};
/** The last valid enum plc_type. */
#define PLC_TYPE_LAST PLC_TYPE_UINT8

/**
 * @brief A value of any tag type, held exactly: @c i for bool and the signed
 *        types, @c u for the unsigned ones, @c f for float32 and float64.
 *
 * A double holds integers exactly only up to 2^53, so int64 and uint64
 * values travel in this rather than in a double.
 */
struct plc_value {
    union {
        int64_t i;
        uint64_t u;
        double f;
    };
};

/** @brief The layout name of a type ("bool", "int16", ...), or NULL. */
PLC_API const char *plc_type_name(enum plc_type type);
/** @brief The C type a generated header uses ("bool", "int16_t", ...), or NULL. */
PLC_API const char *plc_type_ctype(enum plc_type type);
/** @brief Size in bytes of a value of @p type (also its alignment), 0 if unknown. */
PLC_API size_t plc_type_size(enum plc_type type);
/** @brief Look a type up by its layout name; PLC_TYPE_ERROR if unknown. */
PLC_API enum plc_type plc_type_from_name(const char *name);
/** @brief Whether @p type is int64 or uint64, whose values a double does not hold exactly. */
PLC_API bool plc_type_is_wide_int(enum plc_type type);

/**
 * @brief The range of @p type: [0, 1] for bool, +-FLT_MAX / DBL_MAX for floats.
 * @return 0, or -1 with errno EINVAL for an unknown type.
 */
PLC_API int plc_value_range(enum plc_type type, struct plc_value *lo, struct plc_value *hi);
/** @brief Compare two values of @p type: -1, 0 or 1. */
PLC_API int plc_value_cmp(enum plc_type type, const struct plc_value *a,
                          const struct plc_value *b);
/** @brief Whether @p min <= @p v <= @p max as values of @p type. */
PLC_API bool plc_value_in_range(enum plc_type type, const struct plc_value *v,
                                const struct plc_value *min, const struct plc_value *max);
/**
 * @brief Parse a value of @p type exactly: decimal or 0x hex for integers
 *        (strtoll/strtoull, never through a double), strtod for floats,
 *        1/0/true/false/yes/no/on/off for bool.
 * @param out Set on success only.
 * @return 0, or -1 with errno EINVAL (not a value of the type) or ERANGE
 *         (outside the type).
 */
PLC_API int plc_value_parse(enum plc_type type, const char *text, struct plc_value *out);
/** @brief Format a value of @p type exactly ("9007199254740993", "2.5", "true"); as snprintf(). */
PLC_API int plc_value_format(enum plc_type type, const struct plc_value *v, char *buf,
                             size_t len);
/** @brief @p v as a double (rounded for int64/uint64 past 2^53). */
PLC_API double plc_value_to_double(enum plc_type type, const struct plc_value *v);
/** @brief @p d as a value of @p type, truncated and clamped to the type's range. */
PLC_API struct plc_value plc_value_from_double(enum plc_type type, double d);
/**
 * @brief Read the 8-byte field of a force table entry or retain snapshot tag:
 *        a double for every type but int64 and uint64, whose exact integer it
 *        holds instead (those types came later, so the older ones keep the
 *        double they always had). Integers are truncated and clamped as
 *        plc_value_from_double() does; check the double first where it matters.
 */
PLC_API struct plc_value plc_value_from_slot(enum plc_type type, const void *slot);
/** @brief The inverse of plc_value_from_slot(). */
PLC_API void plc_value_to_slot(enum plc_type type, const struct plc_value *v, void *slot);
/** @brief Store @p v as @p type's bytes at @p at (host order, unaligned is fine). */
PLC_API void plc_value_store(enum plc_type type, const struct plc_value *v, void *at);
/** @brief Read a value of @p type from its bytes at @p at. */
PLC_API struct plc_value plc_value_load(enum plc_type type, const void *at);

/** @} */

/** @defgroup layout Layout
 * @{ */

/** Longest layout and region name, without the terminating NUL. */
#define PLC_NAME_MAX 31
/** Longest tag name, without the terminating NUL. */
#define PLC_TAG_NAME_MAX 63
/** Bytes at the start of every region taken by its header (runtime/shm-format.h). */
#define PLC_REGION_HEADER_SIZE 512u
/**
 * Where, after the header, a region keeps the last complete copy of its data
 * (a writer that dies mid-write leaves the live data half-written; the next
 * writer restores this copy). A region needs PLC_REGION_HEADER_SIZE +
 * PLC_REGION_COPY_OFFSET(data_size) + data_size bytes.
 */
#define PLC_REGION_COPY_OFFSET(data_size) (((data_size) + 63u) / 64u * 64u)
/** Bounds and granularity of a region's size. */
#define PLC_REGION_ALIGN 4096u
#define PLC_REGION_SIZE_MIN 4096u
#define PLC_REGION_SIZE_MAX (1024u * 1024u * 1024u)

/** @brief Modbus tables. Zero means "no Modbus binding". */
enum plc_modbus_table {
    PLC_MODBUS_COIL = 1,
    PLC_MODBUS_DISCRETE_INPUT,
    PLC_MODBUS_INPUT_REGISTER,
    PLC_MODBUS_HOLDING_REGISTER,
};

/** @brief Order of the 16-bit words and bytes of a 32-bit value on Modbus. */
enum plc_word_order {
    PLC_WORD_ORDER_ABCD = 1, /**< big-endian, high word first (default) */
    PLC_WORD_ORDER_CDAB,     /**< low word first */
    PLC_WORD_ORDER_BADC,     /**< high word first, bytes swapped */
    PLC_WORD_ORDER_DCBA,     /**< little-endian */
};

enum plc_gpio_bias {
    PLC_GPIO_BIAS_AS_IS = 1,
    PLC_GPIO_BIAS_DISABLED,
    PLC_GPIO_BIAS_PULL_UP,
    PLC_GPIO_BIAS_PULL_DOWN,
};

enum plc_gpio_drive {
    PLC_GPIO_DRIVE_PUSH_PULL = 1,
    PLC_GPIO_DRIVE_OPEN_DRAIN,
    PLC_GPIO_DRIVE_OPEN_SOURCE,
};

/** @brief Direction a region gives the GPIO lines bound in it. */
enum plc_gpio_dir {
    PLC_GPIO_NONE = 0,
    PLC_GPIO_INPUT,  /**< region written by the io service */
    PLC_GPIO_OUTPUT, /**< the 'outputs' region */
};

/** @brief What an output does when its writer is gone. */
enum plc_safe_mode {
    PLC_SAFE_VALUE = 1, /**< go to tag.safe */
    PLC_SAFE_HOLD,      /**< keep the last value */
};

/** @brief A GPIO binding, validated. Line is chip+offset or a line name. */
struct plc_gpio_binding {
    bool bound;
    char chip[32];       /**< "gpiochip0", or "" when addressed by name */
    int offset;          /**< line offset on chip, -1 when addressed by name */
    char line_name[32];  /**< "GPIO17", or "" when addressed by chip:offset */
    bool active_low;
    enum plc_gpio_bias bias;
    enum plc_gpio_drive drive;  /**< outputs only; push-pull by default */
    uint32_t debounce_us;       /**< inputs only; 0 = none */
};

/** @brief A Modbus binding, validated. */
struct plc_modbus_binding {
    enum plc_modbus_table table; /**< 0 when unbound */
    uint16_t address;            /**< 0-based protocol address */
    uint16_t count;              /**< bits or registers taken: 1 or 2 */
    enum plc_word_order word_order;
};

/** @brief Where [modbus] alarm_bits / alarm_registers put the alarm region's tags. */
struct plc_alarm_modbus {
    enum plc_modbus_table table; /**< 0 when not given */
    uint16_t address;            /**< the first one */
    unsigned line;               /**< of the key */
};

/** @brief An IPv4 or IPv6 network, as "10.0.0.0/8" or "fd00::/8". */
struct plc_cidr {
    int family;        /**< AF_INET or AF_INET6 */
    uint8_t addr[16];  /**< network address, 4 or 16 bytes used */
    unsigned prefix;   /**< leading bits that must match */
};

/** @brief How the TCP server answers a unit id other than its own, 0 or 255. */
enum plc_modbus_unit_policy {
    PLC_MODBUS_UNIT_STRICT = 1, /**< answer exception 0x0B (gateway target failed to respond) */
    PLC_MODBUS_UNIT_ANY,        /**< answer every unit id as this device */
};

/** @brief RS-485 mode of the RTU port. */
enum plc_modbus_rs485 {
    PLC_MODBUS_RS485_OFF = 1, /**< plain RS-232 */
    PLC_MODBUS_RS485_ON,      /**< kernel RS-485 mode (TIOCSRS485) */
    PLC_MODBUS_RS485_RTS_UP,  /**< RS-485, RTS driven up while sending */
    PLC_MODBUS_RS485_RTS_DOWN /**< RS-485, RTS driven down while sending */
};

/** Most networks an allowlist may hold. */
#define PLC_MODBUS_CIDR_MAX 16

/**
 * @brief The [modbus] section: how plc-modbus serves the map.
 *
 * Every field has its default when the layout has no [modbus] section. None of
 * it is part of the layout hash except default_word_order, which shapes the
 * tags' bindings (and is in their canonical lines).
 */
struct plc_modbus_config {
    char listen_host[64];         /**< numeric IPv4/IPv6 address, default "127.0.0.1" */
    uint16_t listen_port;         /**< default 502 */
    bool read_only;               /**< the listener refuses every write */
    bool unmapped_reads_zero;     /**< reads of unmapped addresses answer 0, not exception 02 */
    char read_only_host[64];      /**< a second, read-only listener ... */
    uint16_t read_only_port;      /**< ... when not 0 */
    uint8_t unit_id;              /**< 1..247, default 1 */
    enum plc_modbus_unit_policy tcp_unit_policy; /**< default strict */
    unsigned max_connections;     /**< default 32 */
    uint32_t idle_timeout_ms;     /**< default 60000; 0 never closes idle clients */
    struct plc_cidr allow[PLC_MODBUS_CIDR_MAX]; /**< who may connect ... */
    size_t allow_count;           /**< ... 0 = every client */
    struct plc_cidr allow_write[PLC_MODBUS_CIDR_MAX]; /**< who may write ... */
    size_t allow_write_count;     /**< ... 0 = every allowed client */
    char rtu_device[128];         /**< serial device, "" = no RTU */
    unsigned rtu_baud;            /**< default 19200 */
    char rtu_parity;              /**< 'N', 'E' or 'O'; default 'E' (the Modbus default) */
    unsigned rtu_data_bits;       /**< 7 or 8, default 8 */
    unsigned rtu_stop_bits;       /**< 1 or 2, default 1 */
    enum plc_modbus_rs485 rtu_rs485; /**< default off */
    enum plc_word_order default_word_order; /**< default ABCD */
    struct plc_alarm_modbus alarm_bits;      /**< each alarm's active and unacked bits */
    struct plc_alarm_modbus alarm_registers; /**< the alarm counts and ack counter */
    unsigned line;                /**< where [modbus] is, 0 when absent */
};

/** @brief A region as the layout declares it. Owned by the layout. */
struct plc_region_def {
    char name[PLC_NAME_MAX + 1];
    char writer[PLC_NAME_MAX + 1]; /**< the one service that writes it */
    char group[PLC_NAME_MAX + 1];  /**< "" = the creator's group */
    mode_t mode;
    size_t size;       /**< bytes of the whole region, header included */
    size_t data_size;  /**< bytes of tag data after the header */
    enum plc_gpio_dir gpio_dir;
    bool retain;       /**< default of its tags' retain (region key 'retain') */
    size_t first_tag;  /**< index of its first tag in the layout */
    size_t tag_count;
    unsigned line;     /**< where it was declared */
};

/** @brief A tag as the layout declares it. Owned by the layout. */
struct plc_tag_def {
    char name[PLC_TAG_NAME_MAX + 1];
    const struct plc_region_def *region;
    enum plc_type type;
    size_t offset;     /**< from the start of the region's data */
    size_t size;
    double initial;    /**< as a double: exact but for int64/uint64 past 2^53 */
    double min, max;   /**< the type's range when not given */
    bool has_min, has_max;
    enum plc_safe_mode safe_mode;
    double safe;
    /** The same four values held exactly (struct plc_value); use these for int64/uint64. */
    struct plc_value initial_v, min_v, max_v, safe_v;
    bool retain;       /**< kept across reboots by plc-retain (default: the region's) */
    char unit[32];
    char description[192];
    /** IEC 61131-3 located address a Structured Text program reaches it by,
     *  canonical ("%IX0.0", "%QW100", "%MD0"), or "" (key iec_address). */
    char iec_address[24];
    struct plc_gpio_binding gpio;
    struct plc_modbus_binding modbus;
    unsigned line;     /**< where it was declared */
};

/** @brief How the logic leaves a watchdog fault. */
enum plc_fault_restart {
    PLC_RESTART_COMMAND = 1, /**< only when reset_command changes (or plc_scan_reset_fault()) */
    PLC_RESTART_AUTO,        /**< by itself after restart_delay, with a fresh first scan */
};

/** Defaults of the [logic] section. */
#define PLC_LOGIC_PERIOD_US_DEFAULT 10000u
#define PLC_LOGIC_RESTART_DELAY_US_DEFAULT 1000000u
/** Bounds of the [logic] section, which plc-logic's flags that override it share. */
#define PLC_LOGIC_PERIOD_MIN_US 100u /**< also the shortest watchdog */
#define PLC_LOGIC_PERIOD_MAX_US 10000000u
#define PLC_LOGIC_WATCHDOG_MAX_US 60000000u /**< also the longest restart_delay */
#define PLC_LOGIC_PRIORITY_MAX 99           /**< SCHED_FIFO priorities are 1..99 */
#define PLC_LOGIC_CPU_MAX 1023
#define PLC_LOGIC_CPU_DMA_LATENCY_MAX_US 1000000u /**< a request past 1 s asks nothing */
/** Defaults and bound of [logic] force_timeout and force_max, in seconds (docs/forcing.md). */
#define PLC_LOGIC_FORCE_TIMEOUT_S_DEFAULT 3600u
#define PLC_LOGIC_FORCE_MAX_S_DEFAULT (8u * 3600u)
#define PLC_LOGIC_FORCE_MAX_MAX_S (168u * 3600u)

/**
 * @brief The [logic] section: how plc-logic runs the scan. Owned by the layout.
 *
 * Runtime settings, not part of the process image: they are left out of the
 * layout hash, so changing the period does not force programs to be rebuilt.
 */
struct plc_logic_def {
    uint32_t period_us;        /**< scan period; default 10 ms */
    uint32_t watchdog_us;      /**< a scan running longer faults; default 10 periods */
    enum plc_fault_restart restart;
    uint32_t restart_delay_us; /**< auto restart only; default 1 s */
    const struct plc_tag_def *reset_command; /**< counter tag that clears a fault, or NULL */
    int priority;              /**< SCHED_FIFO priority 1..99; 0 = SCHED_OTHER */
    bool lock_memory;          /**< mlockall() */
    int cpu;                   /**< pin the scan thread to this CPU; -1 = none */
    /** Latency request held while the engine runs (/dev/cpu_dma_latency): the
     *  longest wake-up from an idle state the CPUs may take, in us; -1 = none.
     *  Default 0 with a priority, none without. */
    int cpu_dma_latency_us;
    const struct plc_region_def *diagnostics; /**< region the scan statistics go to, or NULL */
    /** Region holding the alarms' state, NULL when the layout has none. Its
     *  tags are made from the alarms (docs/alarms.md), in the order of enum
     *  plc_alarm_region_tag: plc_layout_alarm_region_tag() and
     *  plc_layout_alarm_bit() find them. */
    const struct plc_region_def *alarms;
    /** Counter tag whose every change acknowledges all alarms, or NULL. */
    const struct plc_tag_def *alarm_ack;
    uint32_t force_timeout_s;  /**< how long a force lasts when plcctl is not told; default 1 h */
    uint32_t force_max_s;      /**< the longest force; 0 = forever allowed; default 8 h */
    /** period_us was given (key period, or plc-logic --period): a Structured
     *  Text program's task interval does not replace it. */
    bool period_set;
    /** watchdog_us was given; else it follows the period in force (10 periods). */
    bool watchdog_set;
    unsigned line;             /**< where [logic] was declared; 0 when absent */
};

struct plc_layout;

/**
 * @brief Load and validate a layout file.
 * @param path Layout file.
 * @param diag Optional; on failure holds "file:line" and what is wrong.
 * @return A layout to free with plc_layout_free(), or NULL with errno set:
 *         EINVAL (bad content, see @p diag), ENOMEM, or the open() error.
 */
PLC_API struct plc_layout *plc_layout_load(const char *path, struct plc_diag *diag);

/**
 * @brief Load a layout from text; @p name stands for the file in messages.
 * @return As plc_layout_load().
 */
PLC_API struct plc_layout *plc_layout_load_string(const char *text, const char *name,
                                                  struct plc_diag *diag);

/** @brief Free a layout; NULL is accepted. */
PLC_API void plc_layout_free(struct plc_layout *layout);

PLC_API const char *plc_layout_get_name(const struct plc_layout *layout);
PLC_API unsigned plc_layout_get_version(const struct plc_layout *layout);
/** @brief Hash of the canonical layout (everything but descriptions, units and alarm messages). */
PLC_API uint64_t plc_layout_get_hash(const struct plc_layout *layout);
/** @brief The file it was loaded from (or the name given for text). */
PLC_API const char *plc_layout_get_path(const struct plc_layout *layout);
/** @brief The [logic] section, with defaults filled in when the layout has none. */
PLC_API const struct plc_logic_def *plc_layout_get_logic(const struct plc_layout *layout);
/** @brief The watchdog a period gets when none is given: 10 periods, at most
 *  PLC_LOGIC_WATCHDOG_MAX_US. */
PLC_API uint32_t plc_logic_default_watchdog_us(uint32_t period_us);
/** @brief The [layout] base_dir, or NULL when the layout does not set one. */
PLC_API const char *plc_layout_get_base_dir(const struct plc_layout *layout);

/** Where the installed layout is (scripts/install.sh puts the demo there). */
#define PLC_LAYOUT_PATH_DEFAULT "/etc/raspiplc/layout.ini"

/**
 * @brief The layout file a tool loads: @p override (its command line) when not
 *        NULL, else the RASPIPLC_LAYOUT environment variable when set and not
 *        empty, else PLC_LAYOUT_PATH_DEFAULT.
 */
PLC_API const char *plc_layout_path(const char *override);

/**
 * @brief The layout file a program's command line names, by the one rule
 *        every program follows: `--layout FILE` and a positional LAYOUT are
 *        the same thing; both may be given only when they name the same file
 *        (the same path, or paths of the same existing file); neither gives
 *        plc_layout_path(NULL).
 * @param option The --layout argument, or NULL.
 * @param positional The positional LAYOUT, or NULL.
 * @param diag Optional; on failure "--layout 'A' and LAYOUT 'B' are two
 *        different files: give one of them".
 * @return the path, or NULL with errno EINVAL.
 */
PLC_API const char *plc_layout_path_choose(const char *option, const char *positional,
                                           struct plc_diag *diag);

/** The lines of a program's --help on plc_layout_path_choose()'s rule. */
#define PLC_LAYOUT_HELP                                                                            \
    "  --layout FILE, LAYOUT  the layout file, given either way (both: the same file)\n"           \
    "                         (default $RASPIPLC_LAYOUT or " PLC_LAYOUT_PATH_DEFAULT ")\n"

/** Bounds and default of the [retain] interval, in microseconds. */
#define PLC_RETAIN_INTERVAL_DEFAULT_US 1000000u
#define PLC_RETAIN_INTERVAL_MIN_US 100000u
#define PLC_RETAIN_INTERVAL_MAX_US 3600000000u
/** @brief The [retain] directory, or NULL when the layout does not set one. */
PLC_API const char *plc_layout_get_retain_dir(const struct plc_layout *layout);
/** @brief The [retain] interval: at most one snapshot per interval (default 1 s). */
PLC_API uint32_t plc_layout_get_retain_interval_us(const struct plc_layout *layout);

PLC_API size_t plc_layout_region_count(const struct plc_layout *layout);
PLC_API const struct plc_region_def *plc_layout_region_at(const struct plc_layout *layout,
                                                          size_t i);
/** @brief The region called @p name, or NULL (errno ENOENT). */
PLC_API const struct plc_region_def *plc_layout_find_region(const struct plc_layout *layout,
                                                            const char *name);

PLC_API size_t plc_layout_tag_count(const struct plc_layout *layout);
PLC_API const struct plc_tag_def *plc_layout_tag_at(const struct plc_layout *layout, size_t i);
/** @brief The tag called @p name, or NULL (errno ENOENT). */
PLC_API const struct plc_tag_def *plc_layout_find_tag(const struct plc_layout *layout,
                                                      const char *name);

/**
 * @brief The tag at IEC located address @p address ("%IX0.0", "%qw100";
 *        "%I0.0" is "%IX0.0"), or NULL (errno ENOENT; EINVAL when
 *        @p address is not an address).
 */
PLC_API const struct plc_tag_def *plc_layout_find_iec_address(const struct plc_layout *layout,
                                                              const char *address);

/** @brief What an alarm watches: a limit of a numeric tag, or a bool tag. */
enum plc_alarm_kind {
    PLC_ALARM_HH = 1,  /**< high-high: value >= limit */
    PLC_ALARM_H,       /**< high: value >= limit */
    PLC_ALARM_L,       /**< low: value <= limit */
    PLC_ALARM_LL,      /**< low-low: value <= limit */
    PLC_ALARM_ON,      /**< a bool tag, active while it is 1 */
    PLC_ALARM_OFF,     /**< a bool tag, active while it is 0 */
    PLC_ALARM_RISING,  /**< a bool tag, active on the scan it goes 0 -> 1 */
    PLC_ALARM_FALLING, /**< a bool tag, active on the scan it goes 1 -> 0 */
};

/** @brief How urgent an alarm is; each maps to a syslog level (plc_alarm_severity_syslog()). */
enum plc_alarm_severity {
    PLC_ALARM_CRITICAL = 1, /**< LOG_CRIT, 2 */
    PLC_ALARM_HIGH,         /**< LOG_ERR, 3 */
    PLC_ALARM_MEDIUM,       /**< LOG_WARNING, 4 (the default) */
    PLC_ALARM_LOW,          /**< LOG_NOTICE, 5 */
};

/** Longest alarm name: a tag name and ".hh". */
#define PLC_ALARM_NAME_MAX (PLC_TAG_NAME_MAX + 3)
/** Longest alarm message. */
#define PLC_ALARM_MESSAGE_MAX 127
/** Default and bounds of alarm_shelve_max, in seconds. */
#define PLC_ALARM_SHELVE_MAX_DEFAULT_S (8u * 3600u)
#define PLC_ALARM_SHELVE_MAX_MAX_S (168u * 3600u)
/** Longest alarm_delay, in microseconds. */
#define PLC_ALARM_DELAY_MAX_US 3600000000u

/**
 * @brief An alarm as the layout declares it, in the [tag NAME] section of the
 *        tag it watches (docs/alarms.md). Owned by the layout.
 *
 * Each limit of a numeric tag is its own alarm, "TAG.hh", "TAG.h", "TAG.l",
 * "TAG.ll"; a bool tag's alarm is called as the tag. Part of the layout hash,
 * but for the message.
 */
struct plc_alarm_def {
    char name[PLC_ALARM_NAME_MAX + 1];
    const struct plc_tag_def *tag;         /**< the tag it watches */
    enum plc_alarm_kind kind;
    double limit;                          /**< the limit, when limit_tag is NULL */
    const struct plc_tag_def *limit_tag;   /**< parameter tag holding the limit, or NULL */
    /** A high alarm clears below limit - deadband, a low one above limit + deadband. */
    double deadband;
    uint32_t delay_us; /**< how long the condition must hold before the alarm is active */
    enum plc_alarm_severity severity;
    bool latch;        /**< stays active after the condition clears until acknowledged */
    uint32_t shelve_max_s; /**< the longest an operator may shelve it */
    char message[PLC_ALARM_MESSAGE_MAX + 1];
    unsigned line;     /**< line of the key that declares it */
};

/** @brief How many alarms the layout declares (each limit counts as one). */
PLC_API size_t plc_layout_alarm_count(const struct plc_layout *layout);
/** @brief Alarm @p i (in file order), or NULL past the end. */
PLC_API const struct plc_alarm_def *plc_layout_alarm_at(const struct plc_layout *layout, size_t i);
/** @brief The alarm called @p name ("level.hh", "pump_fault"), or NULL (errno ENOENT). */
PLC_API const struct plc_alarm_def *plc_layout_find_alarm(const struct plc_layout *layout,
                                                          const char *name);
/** @brief "hh", "h", "l", "ll", "on", "off", "rising", "falling", or NULL. */
PLC_API const char *plc_alarm_kind_name(enum plc_alarm_kind kind);
/** @brief "critical", "high", "medium", "low", or NULL. */
PLC_API const char *plc_alarm_severity_name(enum plc_alarm_severity severity);
/** @brief The syslog level of a severity: 2, 3, 4 or 5; -1 when unknown. */
PLC_API int plc_alarm_severity_syslog(enum plc_alarm_severity severity);

/**
 * @brief The alarm region's tags, in this order from its first_tag (docs/alarms.md):
 *        the counts, the acknowledgement acted on, then two bits per alarm.
 */
enum plc_alarm_region_tag {
    PLC_ALARM_TAG_ACTIVE_COUNT,  /**< alarms_active */
    PLC_ALARM_TAG_UNACKED_COUNT, /**< alarms_unacked */
    PLC_ALARM_TAG_ACK_DONE,      /**< alarm_ack_done */
    PLC_ALARM_TAG_FIRST_BIT,     /**< alarm i: NAME_active here + 2i, NAME_unacked + 2i + 1 */
};
/** @brief Tag @p k of the alarm region, or NULL when the layout has none. */
PLC_API const struct plc_tag_def *plc_layout_alarm_region_tag(const struct plc_layout *layout,
                                                              enum plc_alarm_region_tag k);
/** @brief Alarm @p i's NAME_active bit, or with @p unacked its NAME_unacked bit; NULL
 *         without an alarm region or past the last alarm. */
PLC_API const struct plc_tag_def *plc_layout_alarm_bit(const struct plc_layout *layout, size_t i,
                                                       bool unacked);

/** @brief The [modbus] section (defaults when absent); valid while the layout lives. */
PLC_API const struct plc_modbus_config *plc_layout_get_modbus(const struct plc_layout *layout);

/** Most brokers [mqtt] broker may list. */
#define PLC_MQTT_BROKER_MAX 8
/** Longest Sparkplug group, edge node or host id, without the terminating NUL. */
#define PLC_MQTT_ID_MAX 63
/** Default and bounds of [mqtt] store, in changes. */
#define PLC_MQTT_STORE_DEFAULT 10000u
#define PLC_MQTT_STORE_MAX 10000000u

/** @brief One broker of [mqtt] broker: mqtt://HOST[:PORT] or mqtts://HOST[:PORT]. */
struct plc_mqtt_broker {
    bool tls;        /**< mqtts:// */
    char host[256];  /**< a name or an address (IPv6 without its brackets) */
    uint16_t port;   /**< default 1883, or 8883 for mqtts:// */
};

/** @brief What [mqtt] says of one tag. */
struct plc_mqtt_tag {
    bool publish;    /**< in its region's DBIRTH and DDATA */
    bool writable;   /**< a host may write it by NCMD/DCMD (through the Modbus gateway) */
    double deadband; /**< numeric tags: sent when |new - last sent| > deadband; 0 = any change */
};

/**
 * @brief The [mqtt] section: how plc-mqtt publishes the image as a Sparkplug B
 *        edge node (docs/layout.md). Deployment, not part of the layout hash.
 */
struct plc_mqtt_config {
    bool present;    /**< the layout has an [mqtt] section */
    bool enabled;    /**< present and not `enabled = no` */
    struct plc_mqtt_broker brokers[PLC_MQTT_BROKER_MAX]; /**< tried in turn */
    size_t broker_count;  /**< at least 1 (mqtt://127.0.0.1:1883 by default) */
    char group_id[PLC_MQTT_ID_MAX + 1];     /**< default "raspiplc" */
    char edge_node[PLC_MQTT_ID_MAX + 1];    /**< default the layout's name */
    char primary_host[PLC_MQTT_ID_MAX + 1]; /**< "" = publish without waiting for a host */
    char username[128];      /**< "" = none */
    char password_file[256]; /**< "" = none; its first line is the password */
    char ca_file[256], cert_file[256], key_file[256]; /**< TLS, "" = not given */
    /** plc_layout_tag_count() entries, by tag index. */
    const struct plc_mqtt_tag *tags;
    size_t store;            /**< changes kept while the broker is away; default 10000 */
    uint32_t keepalive_s;    /**< default 30 */
    uint32_t reconnect_min_ms, reconnect_max_ms; /**< backoff, default 1000..30000 */
    unsigned line;           /**< where [mqtt] is, 0 when absent */
};

/** @brief The [mqtt] section (present false when absent); valid while the layout lives. */
PLC_API const struct plc_mqtt_config *plc_layout_get_mqtt(const struct plc_layout *layout);

/**
 * @brief Parse one broker URL as [mqtt] broker takes it ("mqtt://10.0.0.5",
 *        "mqtts://broker.example:8883", "mqtt://[::1]:1883").
 * @return 0, or -1 with errno EINVAL.
 */
PLC_API int plc_mqtt_broker_parse(const char *url, struct plc_mqtt_broker *out);

/** @brief Whether @p id may be a Sparkplug group, edge node or host id: 1..63 characters, none of
 *         '/', '+', '#' or a space. */
PLC_API bool plc_mqtt_id_valid(const char *id);

/** @brief Whether the Modbus gateway writes @p tag for a client: its region's writer is modbus
 *         and it has a holding register or coil. What plc-web and plc-mqtt may write. */
PLC_API bool plc_tag_gateway_writable(const struct plc_tag_def *tag);

/**
 * @brief Parse "10.0.0.0/8", "192.168.1.7" (a /32), "fd00::/8".
 * @return 0, or -1 with errno EINVAL.
 */
PLC_API int plc_cidr_parse(const char *text, struct plc_cidr *cidr);

/** @brief Whether @p addr (4 bytes for AF_INET, 16 for AF_INET6) lies in @p cidr. */
PLC_API bool plc_cidr_match(const struct plc_cidr *cidr, int family, const void *addr);

/**
 * @brief Write the canonical form the hash is computed over.
 * @return 0, or -1 with errno set by the stream.
 */
PLC_API int plc_layout_write_canonical(const struct plc_layout *layout, FILE *out);

/** @brief "coil", "discrete_input", "input_register", "holding_register", or NULL. */
PLC_API const char *plc_modbus_table_name(enum plc_modbus_table table);
/** @brief "ABCD", "CDAB", "BADC", "DCBA", or NULL. */
PLC_API const char *plc_word_order_name(enum plc_word_order order);
/** @brief "as-is", "disabled", "pull-up", "pull-down", or NULL. */
PLC_API const char *plc_gpio_bias_name(enum plc_gpio_bias bias);
/** @brief "push-pull", "open-drain", "open-source", or NULL. */
PLC_API const char *plc_gpio_drive_name(enum plc_gpio_drive drive);

/** @brief The services a region may name as its writer, NULL-terminated. */
PLC_API const char *const *plc_layout_writers(void);

/**
 * @brief Write the C header for the layout (structs, offsets, sizes, hash).
 * @return 0, or -1 with errno set by the stream.
 */
PLC_API int plc_layout_write_header(const struct plc_layout *layout, FILE *out);

/** @brief Write the lock file (name, version, hash) atomically. @return 0 or -1/errno. */
PLC_API int plc_layout_write_lock(const struct plc_layout *layout, const char *path);

/**
 * @brief Compare a layout with its lock file.
 *
 * Fails when the layout changed but its version did not, when the version went
 * down, or when the lock is missing. When the version went up and @p update is
 * true the lock is rewritten; otherwise that is an error too.
 * @param diag Required; says what is wrong and what to run.
 * @return 0, or -1 with errno ENOENT (no lock) or EINVAL.
 */
PLC_API int plc_layout_check_lock(const struct plc_layout *layout, const char *path,
                                  bool update, struct plc_diag *diag);

/** @} */

/** @defgroup values Tag values and durations
 * @{ */

/**
 * @brief Parse a duration as the layout and every command line write it:
 *        "10ms", "500us", "1s", or a bare number of milliseconds.
 * @param text The text; digits first (no sign, no space), then the unit.
 * @param min_us,max_us The accepted range, inclusive.
 * @param what Names the value in @p diag's message, e.g. "--period" or
 *        "[logic]: period"; may be NULL when @p diag is.
 * @param us Set on success only.
 * @param diag Optional; on failure "WHAT 'TEXT' is not a duration (10ms,
 *        500us, 1s)" or "WHAT TEXT is outside MIN..MAX" (no file or line).
 * @return 0, or -1 with errno EINVAL (not a duration) or ERANGE (outside the
 *         range).
 */
PLC_API int plc_duration_parse(const char *text, uint32_t min_us, uint32_t max_us, const char *what,
                               uint32_t *us, struct plc_diag *diag);

/**
 * @brief Parse a duration in whole seconds: "90s", "30min", "8h".
 * @param what Names the value in @p diag's message ("--for", "[logic]: force_max").
 * @param s Set on success only.
 * @param diag Optional; "WHAT 'TEXT' is not a duration (90s, 30min, 8h)" or
 *        "WHAT TEXT is outside MIN..MAX".
 * @return 0, or -1 with errno EINVAL or ERANGE (outside @p min_s..@p max_s).
 */
PLC_API int plc_duration_parse_s(const char *text, uint32_t min_s, uint32_t max_s,
                                 const char *what, uint32_t *s, struct plc_diag *diag);

/** @brief Format whole seconds in the largest exact unit: "8h", "90min", "45s". */
PLC_API int plc_duration_format_s(uint32_t s, char *buf, size_t len);

/**
 * @brief Format a duration in the largest unit that is exact: "10s", "100ms",
 *        "250us", "0".
 * @return the number of characters written, as snprintf().
 */
PLC_API int plc_duration_format(uint32_t us, char *buf, size_t len);

/** @brief Store @p value into the tag's bytes in @p data (the region's data). */
PLC_API void plc_tag_encode(const struct plc_tag_def *tag, double value, void *data);
/** @brief Read the tag's value from @p data (the region's data). */
PLC_API double plc_tag_decode(const struct plc_tag_def *tag, const void *data);
/** @brief As plc_tag_encode(), at @p at itself rather than at the tag's offset. */
PLC_API void plc_tag_encode_at(const struct plc_tag_def *tag, double value, void *at);
/** @brief As plc_tag_decode(), from @p at itself. */
PLC_API double plc_tag_decode_at(const struct plc_tag_def *tag, const void *at);
/**
 * @brief Parse a value for @p type from text ("1", "-3", "2.5", "true", ...).
 * @return 0, or -1 with errno EINVAL (not a value of the type) or ERANGE
 *         (outside the type).
 */
PLC_API int plc_type_parse_value(enum plc_type type, const char *text, double *value);
/** @brief Format a value of @p type ("1", "-3", "2.5", "true"). */
PLC_API int plc_type_format_value(enum plc_type type, double value, char *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
