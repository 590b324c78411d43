/* SPDX-License-Identifier: MIT */
/*
 * struct plc_supervise: run a set of services in the foreground as systemd
 * would run the units in systemd/ (containers and development machines have
 * no systemd).
 *
 * One-shot services run first, in order, each to completion (a failure stops
 * everything, as Requires= would). Then every long-running service starts;
 * each gets NOTIFY_SOCKET so its sd_notify("READY=1") is seen; one that dies
 * is restarted after a short delay (Restart=always, RestartSec=), one that
 * exits on its own within a second of starting five times in a row is given
 * up (StartLimitBurst=). A service whose binary is not there is skipped with
 * one line. Stopping sends SIGTERM by stop stage: every stage-0 service, and
 * once they are gone the stage-1 services (plc-retain, so its last snapshot
 * sees the final values); SIGKILL after the stop timeout.
 *
 * Every event is one line "plc-supervise: ..." on the output stream; an
 * optional status view is printed every interval (redrawn on a terminal).
 */
#ifndef PLC_SUPERVISE_H
#define PLC_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct plc_supervise;

/** One service: what to run and how. */
struct plc_supervise_service {
    const char *name;    /**< shown in every line, e.g. "plc-logic" */
    char *const *argv;   /**< argv[0] is the executable's path; NULL-terminated */
    bool oneshot;        /**< run to completion before the long-running ones */
    int stop_stage;      /**< 0 stops first; 1 after every stage-0 service is gone */
};

/** Print more of the status view (e.g. region and tag tables); may be NULL. */
typedef void (*plc_supervise_status_fn)(void *user, FILE *out);

struct plc_supervise_config {
    const struct plc_supervise_service *services;
    size_t nservices;
    const char *log_dir;         /**< NAME.log per service; NULL: they share our stdout/stderr */
    int64_t restart_delay_ns;    /**< 0: 100 ms */
    int64_t stop_timeout_ns;     /**< 0: 5 s, then SIGKILL */
    int64_t status_interval_ns;  /**< 0: no status view */
    bool redraw;                 /**< clear the screen before each status view (a terminal) */
    plc_supervise_status_fn status;
    void *status_user;
    FILE *out;                   /**< events and status; NULL: stdout */
};

/** Service states, as the status view names them. */
enum plc_supervise_state {
    PLC_SV_SKIPPED = 1, /**< binary not built */
    PLC_SV_STARTING,    /**< started, READY=1 not yet seen */
    PLC_SV_READY,
    PLC_SV_WAITING,     /**< died; restart scheduled */
    PLC_SV_FAILED,      /**< given up (start limit) or one-shot failed */
    PLC_SV_DONE,        /**< one-shot finished with status 0 */
    PLC_SV_STOPPED,
};

/**
 * @brief Check the services and make the notify socket.
 * @return a handle, or NULL with errno set and a line on the output stream.
 */
struct plc_supervise *plc_supervise_new(const struct plc_supervise_config *cfg);

/** @brief Free; accepts NULL. Stop first: this does not kill anything. */
void plc_supervise_free(struct plc_supervise *sv);

/**
 * @brief Run the one-shots, start the services and keep them running until a
 * SIGINT or SIGTERM arrives on @p sigfd (a signalfd for SIGCHLD, SIGINT and
 * SIGTERM, which the caller has blocked), then stop them all.
 * @return 0 after a clean stop, -1 when a one-shot failed or on a system error.
 */
int plc_supervise_run(struct plc_supervise *sv, int sigfd);

/** @brief Name of a state ("ready", "waiting", ...). */
const char *plc_supervise_state_name(enum plc_supervise_state state);

#endif
