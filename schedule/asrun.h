/*
 * Internal to schedule/: the as-run log, what a broadcaster keeps of what
 * really aired. One JSON line per program in OUTDIR/as-run.jsonl, written
 * when the program ends: its title and source, when it was scheduled and
 * when it actually started (on the output clock), how long it ran against
 * its plan, and how long it spent on its backup or the slate after its
 * source failed. Each line is also emitted (common/metrics.h) as an asrun
 * event with the same members, after a program_end event.
 */
#ifndef ONAIR_SCHEDULE_ASRUN_H
#define ONAIR_SCHEDULE_ASRUN_H

#include <stdint.h>

#include "common/common.h"

#define ASRUN_FILE "as-run.jsonl"

/* A program as it was cued. */
typedef struct AsRunProgram {
    int64_t scheduled_us;     /* the timeline's start (or when the channel joined it) */
    int64_t planned_us;       /* the item's duration */
    const char *source;       /* the source's name; NULL: the slate */
    char title[128];
} AsRunProgram;

typedef struct AsRun AsRun;

/* Appends to dir/ASRUN_FILE; a file that cannot be opened is warned about
 * and the log keeps nothing (the channel stays on air). clock maps frames to
 * air times; channel must outlive the log. */
int asrun_open(AsRun **a, const char *dir, const char *channel, const AirClock *clock);

/* `p` went on air at `frame` (p is copied; its source name must outlive the
 * log); the program before it ends there. */
void asrun_program(AsRun *a, const AsRunProgram *p, int64_t frame);
/* The program's source went silent at `frame`: its backup (on_backup) or the slate airs. */
void asrun_failover(AsRun *a, int64_t frame, int on_backup);
/* ... and is back at `frame`. */
void asrun_recovered(AsRun *a, int64_t frame);
/* The program on air ends at `frame` (the channel stops): its line is written
 * and its events emitted. */
void asrun_end(AsRun *a, int64_t frame);

/* A line of its own for something that is not a program, e.g. an operator's
 * change: {"channel":..,"time":..,"event":EVENT, <fields>} where fields is a
 * JSON fragment starting with a comma (common/metrics.h event fields). */
void asrun_note(AsRun *a, const char *event, const char *fields);

void asrun_free(AsRun **a);

#endif
