/* The as-run log (asrun.h). */
#include "asrun.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/metrics.h"

#define STAGE "channel"

struct AsRun {
    FILE *file;               /* NULL: not kept */
    const char *channel;
    AirClock clock;
    int active;
    AsRunProgram program;
    int64_t start_frame;
    int failovers;
    int64_t down_frame;       /* frame the source went silent, -1 while it delivers */
    int down_on_backup;
    int64_t slate_frames, backup_frames;
    int write_failing;        /* the last flush failed (a full disk): said once */
};

/* The line just put goes to the file: a refusal (a full disk) is said when
 * it begins and when it ends; stdio keeps what it could not write and
 * tries again at the next flush. */
static void flush_line(AsRun *a)
{
    if (fflush(a->file) != 0) {
        if (!a->write_failing)
            log_msg(LOG_ERROR, a->channel, STAGE, "%s cannot be written (%s); its lines wait for the "
                    "disk", ASRUN_FILE, strerror(errno));
        a->write_failing = 1;
        clearerr(a->file);
    } else if (a->write_failing) {
        a->write_failing = 0;
        log_msg(LOG_NOTICE, a->channel, STAGE, "%s is written again", ASRUN_FILE);
    }
}

int asrun_open(AsRun **out, const char *dir, const char *channel, const AirClock *clock)
{
    AsRun *a = calloc(1, sizeof(*a));
    char path[4200];

    *out = NULL;
    if (!a)
        return AVERROR(ENOMEM);
    a->channel = channel;
    a->clock = *clock;
    if (path_join(path, sizeof(path), dir, ASRUN_FILE) < 0 || !(a->file = fopen(path, "a")))
        log_msg(LOG_WARN, channel, STAGE, "%s/%s: %s; no as-run log", dir, ASRUN_FILE, strerror(errno));
    *out = a;
    return 0;
}

static double seconds(const AsRun *a, int64_t frames)
{
    return frames * av_q2d(av_inv_q(a->clock.fps));
}

static void end_down(AsRun *a, int64_t frame)
{
    if (a->down_frame >= 0)
        *(a->down_on_backup ? &a->backup_frames : &a->slate_frames) += frame - a->down_frame;
    a->down_frame = -1;
}

/* The record's members after "channel", as the file and the asrun event
 * both give them. */
static int record_fields(const AsRun *a, int64_t end_frame, Buf *f)
{
    char sched[32], actual[32];
    int64_t frames = end_frame - a->start_frame;
    int ret;

    clock_format_iso(a->program.scheduled_us, sched, sizeof(sched));
    clock_format_iso(air_clock_time(&a->clock, a->start_frame), actual, sizeof(actual));
    if ((ret = event_field_str(f, "title", a->program.title)) < 0 ||
        (ret = event_field_str(f, "source", a->program.source ? a->program.source : "slate")) < 0 ||
        (ret = event_field_str(f, "scheduled_start", sched)) < 0 ||
        (ret = event_field_str(f, "actual_start", actual)) < 0 ||
        (ret = event_field_int(f, "start_frame", a->start_frame)) < 0 ||
        (ret = event_field_seconds(f, "duration", seconds(a, frames))) < 0 ||
        (ret = event_field_seconds(f, "planned_duration", a->program.planned_us / 1e6)) < 0 ||
        (ret = event_field_int(f, "failovers", a->failovers)) < 0 ||
        (ret = event_field_seconds(f, "backup_seconds", seconds(a, a->backup_frames))) < 0)
        return ret;
    return event_field_seconds(f, "slate_seconds", seconds(a, a->slate_frames + (a->program.source ? 0 : frames)));
}

void asrun_end(AsRun *a, int64_t end_frame)
{
    Buf fields = { 0 }, end = { 0 };

    if (!a->active)
        return;
    a->active = 0;
    end_down(a, end_frame);
    if (record_fields(a, end_frame, &fields) < 0 || buf_append(&fields, "", 1) < 0) {
        log_msg(LOG_WARN, a->channel, STAGE, "%s: out of memory; the as-run record of %s is lost",
                ASRUN_FILE, a->program.title);
        goto done;
    }
    if (a->file) {
        fputs("{\"channel\":", a->file);
        json_write_string(a->file, a->channel);
        fprintf(a->file, "%s}\n", (const char *)fields.data);
        flush_line(a);
    }
    /* whoever follows the events (a webhook, the API) gets the line too */
    if (event_field_str(&end, "title", a->program.title) >= 0 &&
        event_field_int(&end, "frame", end_frame) >= 0 &&
        event_field_seconds(&end, "duration_seconds", seconds(a, end_frame - a->start_frame)) >= 0 &&
        buf_append(&end, "", 1) >= 0)
        event_emit(a->channel, EVENT_PROGRAM_END, (const char *)end.data);
    event_emit(a->channel, EVENT_ASRUN, (const char *)fields.data);
done:
    buf_free(&fields);
    buf_free(&end);
}

void asrun_program(AsRun *a, const AsRunProgram *p, int64_t frame)
{
    asrun_end(a, frame);
    a->active = 1;
    a->program = *p;
    a->start_frame = frame;
    a->failovers = 0;
    a->down_frame = -1;
    a->slate_frames = a->backup_frames = 0;
}

void asrun_failover(AsRun *a, int64_t frame, int on_backup)
{
    a->failovers++;
    a->down_frame = frame;
    a->down_on_backup = on_backup;
}

void asrun_recovered(AsRun *a, int64_t frame)
{
    end_down(a, frame);
}

void asrun_note(AsRun *a, const char *event, const char *fields)
{
    char when[40];
    Buf line = { 0 };

    if (!a->file)
        return;
    clock_format_iso(clock_wall_us(), when, sizeof(when));
    buf_printf(&line, "{\"channel\":");
    json_append_string(&line, a->channel);
    buf_printf(&line, ",\"time\":\"%s\",\"event\":", when);
    json_append_string(&line, event);
    buf_printf(&line, "%s}\n", fields ? fields : "");
    if (line.len) {
        fwrite(line.data, 1, line.len, a->file);
        flush_line(a);
    }
    buf_free(&line);
}

void asrun_free(AsRun **pa)
{
    AsRun *a = *pa;

    if (!a)
        return;
    if (a->file)
        fclose(a->file);
    free(a);
    *pa = NULL;
}
