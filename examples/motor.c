/* SPDX-License-Identifier: MIT */
/*
 * Example (a): motor start/stop.
 *
 * Start and stop come from push buttons (inputs) or from SCADA request
 * counters (commands cmd_start/cmd_stop, acknowledged in ack_start/ack_stop).
 * The run output is latched, stop dominant. If the contactor's feedback does
 * not follow within fault_delay_ms, a TON raises the fault lamp and trips the
 * motor; the fault stays until the next start request. run_seconds counts the
 * time the motor ran.
 */
#include "plc-image.h"
#include "plc-iec.h"
#include "plc-program.h"

struct motor {
    struct plc_bistable run;   /* RS: stop dominant */
    struct plc_bistable fault; /* RS: cleared by a start request */
    struct plc_timer no_feedback;
    uint64_t run_ns;           /* part-second of running not yet in run_seconds */
};

static int scan(struct plc_ctx *ctx)
{
    const struct plc_image *io = ctx->image;
    struct motor *m = ctx->state;

    /* Every request counts once, however fast SCADA sends them. */
    bool start = plc_cmd_take(io->commands->cmd_start, &io->status->ack_start) > 0 ||
                 io->inputs->start_button;
    bool stop = plc_cmd_take(io->commands->cmd_stop, &io->status->ack_stop) > 0 ||
                io->inputs->stop_button;

    bool alarm = plc_ton(&m->no_feedback, m->run.q1 && !io->inputs->motor_feedback,
                         PLC_MS(io->parameters->fault_delay_ms), ctx->now_ns);
    bool fault = plc_rs(&m->fault, alarm, start && !alarm);
    bool run = plc_rs(&m->run, start && !fault, stop || fault);

    io->outputs->motor_run = run;
    io->outputs->motor_fault = fault;
    io->status->motor_trip = fault; /* the alarm: the lamp also lights when outputs go safe */

    if (run && !ctx->first_scan) {
        m->run_ns += ctx->dt_ns;
        io->status->run_seconds += (uint32_t)(m->run_ns / 1000000000u);
        m->run_ns %= 1000000000u;
    }
    return 0;
}

PLC_PROGRAM("motor", sizeof(struct motor), NULL, scan);
