/* The as-run log (asrun.h). */
#include "asrun.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

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
};

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

void asrun_end(AsRun *a, int64_t end_frame)
{
    char sched[32], actual[32];
    int64_t frames = end_frame - a->start_frame;
    Buf line = { 0 };

    if (!a->active)
        return;
    a->active = 0;
    if (!a->file)
        return;
    end_down(a, end_frame);
    clock_format_iso(a->program.scheduled_us, sched, sizeof(sched));
    clock_format_iso(air_clock_time(&a->clock, a->start_frame), actual, sizeof(actual));
    buf_printf(&line, "{\"channel\":");
    json_append_string(&line, a->channel);
    buf_printf(&line, ",\"title\":");
    json_append_string(&line, a->program.title);
    buf_printf(&line, ",\"source\":");
    json_append_string(&line, a->program.source ? a->program.source : "slate");
    buf_printf(&line, ",\"scheduled_start\":\"%s\",\"actual_start\":\"%s\",\"start_frame\":%" PRId64
               ",\"duration\":%.3f,\"planned_duration\":%.3f,\"failovers\":%d,\"backup_seconds\":%.3f,"
               "\"slate_seconds\":%.3f}\n", sched, actual, a->start_frame, seconds(a, frames),
               a->program.planned_us / 1e6, a->failovers, seconds(a, a->backup_frames),
               seconds(a, a->slate_frames + (a->program.source ? 0 : frames)));
    if (line.len) {
        fwrite(line.data, 1, line.len, a->file);
        fflush(a->file);
    }
    buf_free(&line);
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
        fflush(a->file);
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
