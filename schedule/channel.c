/*
 * A channel on air: the supervisor that plays a timeline out on a graph.
 *
 * The channel describes its graph (graph/graph.h): a playout as the head,
 * paced to the wall clock, the conf's ladder and AAC, the live packager and
 * the push targets; the graph runs them. What is the channel's own:
 *
 *   - the output clock: frame n airs at epoch + (n - first_frame) / fps; a
 *     restart continues the frame count from the state the packager keeps,
 *     so names, sequences and timestamps go on;
 *   - the supervisor (the graph's tick, every 100 ms): it resolves the
 *     timeline a few seconds ahead of the wall clock and, for each program,
 *     opens its source (and backup) and cues it on the playout at the first
 *     frame whose air time is at or after the program's start;
 *   - the playout's events: a program going on air becomes a DATERANGE (the
 *     packager) and a line of the as-run log (asrun.c) when it ends.
 */
#include "schedule.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "asrun.h"
#include "graph/graph.h"
#include "redundancy/redundancy.h"

#define STAGE "channel"
#define SUPERVISOR_TICK_US 100000
/* the first frame airs this long after start: the first program's source is
 * open and decoding by then */
#define START_DELAY_US 1500000
#define MAX_CUES 4096
#define PREROLL_DEFAULT_US 3000000
/* An operator's take or skip waits this long at most for its source's first
 * picture before it is cued, so that the cut lands on a picture, not the slate. */
#define TAKE_READY_WAIT_US 2000000
/* The program an early end of an overlay resumes (a take, a held slate, the
 * API's break) is opened where it will be this far ahead, and resumes there
 * when its first picture is ready by then (a file cannot be opened ahead of
 * time at a position it has not reached yet). */
#define RESUME_LEAD_US 200000
/* the state file of the operator's changes, beside the packager's */
#define CONTROL_FILE ".onair-control"
/* In an A/B pair an operator's change goes on air this far ahead, so that
 * the other instances, which read it from etcd every REDUNDANCY_WATCH_US,
 * cut it on the same frame. */
#define PAIR_CHANGE_LEAD_US 1000000
/* The pair's shared values (redundancy_read): the operator's changes in
 * force, and where the segments' numbering left the grid's (splices). */
#define PAIR_EDITS "edits"
#define PAIR_NUMBERING "numbering"
/* Edits that ended this long ago are forgotten. */
#define EDIT_KEEP_US (3600LL * 1000000)
#define EDITS_MAX 256
/* An instance of an A/B pair waits this long for etcd's epoch at its start
 * (it must not run on a clock of its own). */
#define EPOCH_WAIT_US (30 * 1000000LL)
/* An input's break with auto_return returns where the input's picture
 * reaches its end; this long past its planned end on the output's clock at
 * the latest (the input went off air or stalled). */
#define INPUT_RETURN_GRACE_US 1000000

/* What a cue is, for the API: the timeline entry it came from. */
typedef struct CueInfo {
    int64_t start, end;       /* the entry's [start, end) on the wall clock; end INT64_MAX: open */
    int item, source;
    unsigned flags;
    int64_t entry_start;      /* where the timeline starts the entry (start is where it was
                               * joined): what names a break (break_event_id) */
    int64_t frame;            /* the frame it was cued for (it may air a frame later) */
    int announced;            /* a break the packager was told of at the cue, from `frame` */
} CueInfo;

/* The ad break on air, from the playout's events. */
typedef struct BreakOnAir {
    int out;                  /* 1 while one is out */
    uint32_t event_id;
    char id[CONF_BREAK_ID_MAX + 1];
    const char *origin;       /* "schedule", "api" or "input" (a SCTE-35 cue of the live input on air) */
    int64_t scheduled_us;     /* the timeline's start of it; an input's: its first frame's air time */
    int64_t start_frame, planned_frames;
    int64_t start_us;         /* when its first frame aired (before a restart, maybe) */
    int64_t input_event_id;   /* input: the cue's splice_event_id (or segmentation_event_id) */
    /* input with auto_return: the frame it returns by at the latest, should
     * the input's own return (return_after) not come: the input went off
     * air or stalled. 0: none */
    int64_t auto_end;
} BreakOnAir;

enum Role { ROLE_PRIMARY, ROLE_BACKUP, ROLE_SLATE };
static const char *const role_names[] = { "primary", "backup", "slate" };

/* Why the slate is on air: a slate_on event's reason and the reason label of
 * onair_slate_reason. NO_PICTURE has no event: the playout falls to the
 * slate frame by frame while a program's source has no picture (still
 * connecting, ended before its slot, could not be opened). */
enum SlateReason { SLATE_GAP, SLATE_HELD, SLATE_INPUT_LOSS, SLATE_NO_PICTURE, SLATE_BREAK, SLATE_REASONS };
static const char *const slate_reasons[SLATE_REASONS] = {
    [SLATE_GAP] = "gap", [SLATE_HELD] = "held", [SLATE_INPUT_LOSS] = "input_loss",
    [SLATE_NO_PICTURE] = "no_picture", [SLATE_BREAK] = "break",
};

/* Why the slate airs for the entry on air (its source is the slate). */
static enum SlateReason entry_slate_reason(unsigned flags)
{
    return flags & SCHEDULE_HELD ? SLATE_HELD : flags & SCHEDULE_BREAK ? SLATE_BREAK : SLATE_GAP;
}

struct Channel {
    const ChannelConf *conf;  /* the one it runs with now; changed by a reload, under ctl */
    ChannelOptions opt;
    char id[NAME_MAX_LEN + 1];
    AirClock clock;
    SegmentGrid grid;
    int64_t channel_start_us, run_start_us;
    int resumed;
    /* 0 until channel_start's end (the admin listener answers before it:
     * the channel is starting, not failed), then 1, or -1 when it failed */
    atomic_int started;
    int64_t one_thread_decode_pps;   /* for the sources: SourceConfig */

    Graph *graph;
    Playout *playout;         /* the graph's head, borrowed */
    pthread_mutex_t lock;     /* cues, as-run */

    int64_t cued_until;       /* the timeline is cued up to this wall time */
    int next_cue_id;
    AsRunProgram cues[MAX_CUES];  /* a ring by id */
    CueInfo info[MAX_CUES];       /* ... and what each was */
    AsRun *asrun;

    /* on air now, from the playout's events (under lock) */
    int on_air_cue;           /* -1: nothing yet */
    enum Role role;
    BreakOnAir brk;
    int64_t ad_breaks, ad_break_frames;   /* for the metrics */
    int64_t break_cued_end;   /* with ctl: the end frame of the last break cued */

    /* The timeline and what changes it: the supervisor and the API's calls
     * hold ctl (never the playout's thread, which takes only lock). */
    pthread_mutex_t ctl;
    ScheduleEdit edits[EDITS_MAX];
    int nedits;
    char control_path[4200];
    ChannelConf *reloaded[64];    /* confs a reload brought: freed with the channel */
    int nreloaded;
    /* an input an operator's call opened ahead of its cue, taken by cue_entry */
    int pre_source;
    PlayoutInput *pre_primary, *pre_backup;
    int64_t pre_start;        /* the air time the preopened input is positioned for; INT64_MIN: its start */
    char playlist_url[300];
    int late;                 /* "late" was emitted; the supervisor's only */
    Webhook *webhook;         /* conf->events.url: the channel's events go there */
    Redundancy *red;          /* conf->redundancy: an A/B pair's instance; NULL: alone */
    /* A pair: the revision (etcd's) of the edits in force, and the edits as
     * they were shared, which a change etcd refused goes back to (with
     * ctl); a restart that rejoins a pair on air, whose window went on
     * without this instance; the numbering etcd has (the watch thread's):
     * segment anchor_number starts at anchor_frame (-1: the grid's own). */
    int64_t edits_rev;
    ScheduleEdit shared[EDITS_MAX];
    int nshared;
    int rejoined;
    int64_t anchor_frame, anchor_number, numbering_rev;
};

static void load_edits(Channel *ch);
static void adopt_edits(Channel *ch, const char *value, int64_t rev);
static void on_shared(void *opaque, const char *name, const char *value, int64_t rev);
static void watch_lateness(Channel *ch);

const char *channel_id(const Channel *ch)
{
    return ch->id;
}

int channel_running(const Channel *ch)
{
    return graph_running(ch->graph);
}

/* ---- sources ---- */

static void color_string(char *out, size_t size, uint32_t rgb)
{
    snprintf(out, size, "#%06x", rgb & 0xffffff);
}

/* What every input of the playout shares: the canvas, rate and audio format. */
static SourceConfig playout_source(const Channel *ch, const char *url)
{
    const ChannelConf *c = ch->conf;
    return (SourceConfig){
        .url = url, .channel = ch->id,
        .canvas_width = c->video.width, .canvas_height = c->video.height, .out_fps = c->video.fps,
        .out_sample_rate = c->audio.sample_rate, .out_channels = c->audio.channels,
        .one_thread_decode_pps = ch->one_thread_decode_pps,
    };
}

/* A live source (a URL) is one the playout watches: silent for its timeout,
 * it is replaced by its backup or the slate. Files and generators are not. */
static int source_live(const ConfSource *src)
{
    return src->kind == CONF_SOURCE_URL;
}

/* A source of the conf as a playout input, starting `offset_us` into it. */
static int open_input(Channel *ch, int index, int64_t offset_us, int64_t cue_wall, PlayoutInput **in)
{
    const ChannelConf *c = ch->conf;
    const ConfSource *src = &c->sources[index];
    SourceConfig sc = playout_source(ch, src->name);
    char color[16];

    color_string(color, sizeof(color), c->slate.color);
    sc.color = color;
    sc.text = c->slate.text;
    sc.image = c->slate.image;
    sc.clock_epoch_us = cue_wall;
    switch (src->kind) {
    case CONF_SOURCE_GENERATE:
        sc.generate = !strcmp(src->generate, "testsrc") ? GENERATE_TESTSRC :
                      !strcmp(src->generate, "color") ? GENERATE_COLOR : GENERATE_SLATE;
        if (sc.generate != GENERATE_SLATE)
            sc.image = NULL;
        break;
    case CONF_SOURCE_FILE:
        sc.url = src->file;
        sc.loop = src->loop;
        sc.start_us = src->start + offset_us;
        break;
    case CONF_SOURCE_URL:
        sc.url = src->url;
        sc.reconnect = 1;
        sc.stall_timeout_us = src->timeout;
        sc.scte35 = !src->scte35 || !strcmp(src->scte35, "pass");
        break;
    }
    return playout_input_start(in, &sc, source_live(src));
}

/* A source that starts where it is joined (a file): one opened ahead of time
 * airs from its start, only right for an entry that starts there. */
static int source_seeks(const ConfSource *src)
{
    return src->kind == CONF_SOURCE_FILE;
}

static int open_backup(Channel *ch, int index, int64_t cue_wall, PlayoutInput **in)
{
    const ConfSource *src = &ch->conf->sources[index];

    *in = NULL;
    if (src->backup_source >= 0)
        return open_input(ch, src->backup_source, 0, cue_wall, in);
    if (src->backup) {
        SourceConfig sc = playout_source(ch, src->backup);
        sc.reconnect = 1;
        sc.stall_timeout_us = src->timeout;
        return playout_input_start(in, &sc, 1);
    }
    return 0;
}

static int open_slate(Channel *ch, PlayoutInput **in)
{
    const ChannelConf *c = ch->conf;
    SourceConfig sc = playout_source(ch, "slate");
    char color[16];

    color_string(color, sizeof(color), c->slate.color);
    sc.generate = GENERATE_SLATE;
    sc.color = color;
    sc.text = c->slate.text;
    sc.image = c->slate.image;
    sc.one_thread_decode_pps = 0;
    return playout_input_start(in, &sc, 0);
}

/* ---- the supervisor ---- */

/* A segment starts at frame, in every rendition: where an ad break goes out
 * or returns. The frame is cued ahead of the encoders, so they have not
 * reached it; should they have, the marks say a time a segment does not
 * start at, which is said here. With ctl (a cue) or lock (the playout's
 * events); the grid's splices have their own lock. */
static void splice_at(Channel *ch, int64_t frame)
{
    int ret;

    if (grid_is_boundary(&ch->grid, frame))
        return;
    if ((ret = grid_splices_add(&ch->grid, frame)) < 0)
        log_msg(LOG_WARN, ch->id, STAGE, "frame %" PRId64 " cannot start a segment for an ad break (%s): "
                "the break is marked there in the middle of one", frame, ERRSTR(ret));
}

/* A break's splice_event_id: the tenth of a second the timeline starts it
 * at, so that it is the same for the same break after a restart and on a
 * second pipeline, and unique for 13 years (breaks last 100 ms at least). */
static uint32_t break_event_id(int64_t entry_start_us)
{
    return (uint32_t)(entry_start_us / 100000);
}

/* What the playlists call a break: its item's id, or for one of the
 * API's, its event id. */
static void break_name(const Channel *ch, int item, uint32_t event_id, char *out, size_t size)
{
    if (item >= 0 && ch->conf->schedule.items[item].break_id)
        snprintf(out, size, "%s", ch->conf->schedule.items[item].break_id);
    else
        snprintf(out, size, "api-%" PRIu32, event_id);
}

static int cue_entry(Channel *ch, const ScheduleEntry *e)
{
    int64_t start = FFMAX(e->start, ch->run_start_us);
    int64_t frame = air_clock_frame_at(&ch->clock, start), wall = air_clock_time(&ch->clock, frame);
    PlayoutInput *primary = NULL, *backup = NULL;
    AsRunProgram *cue;
    int id = ch->next_cue_id++, ret, announced = 0;

    /* an ad break starts and ends on segment starts; so does what cuts one short */
    if (e->flags & SCHEDULE_BREAK) {
        int64_t end = e->end == INT64_MAX ? INT64_MAX : air_clock_frame_at(&ch->clock, e->end);
        uint32_t event_id = break_event_id(e->start);
        char name[CONF_BREAK_ID_MAX + 1];
        splice_at(ch, frame);
        if (end != INT64_MAX)
            splice_at(ch, end);
        ch->break_cued_end = end;
        /* announced now, seconds ahead: a player (an interstitial's above
         * all) must know a break before its first segment (one already out
         * before a restart stays as it was) */
        break_name(ch, e->item, event_id, name, sizeof(name));
        ret = packager_break(graph_packager(ch->graph), &(PackagerBreak){ .event_id = event_id, .id = name,
                             .start_frame = frame, .planned_frames = end != INT64_MAX ? end - frame : 0 });
        announced = ret >= 0;
        if (ret < 0 && ret != AVERROR(EEXIST))
            log_msg(LOG_WARN, ch->id, STAGE, "ad break %s cannot be marked: %s", name, ERRSTR(ret));
    } else if (frame <= ch->break_cued_end) {
        /* cuts one short, or follows one that a change cued no more (its end
         * came off the grid with the rest) */
        splice_at(ch, frame);
        ch->break_cued_end = frame;
    }

    if (e->source >= 0 && e->source == ch->pre_source &&
        ((start == e->start && !e->offset) || start == ch->pre_start || !source_seeks(&ch->conf->sources[e->source]))) {
        /* opened by the operator's call, and decoding already */
        primary = ch->pre_primary;
        backup = ch->pre_backup;
        ch->pre_primary = ch->pre_backup = NULL;
        ch->pre_source = -1;
    } else if (e->source >= 0) {
        /* joined in progress (a restart, an `at` already on air, the end of a take) */
        int64_t offset = e->offset + (start - e->start);
        if ((ret = open_input(ch, e->source, offset, wall, &primary)) < 0) {
            log_msg(LOG_WARN, ch->id, STAGE, "%s: cannot open source '%s' (%s); the slate airs instead",
                    e->title ? e->title : "", ch->conf->sources[e->source].name, ERRSTR(ret));
            primary = NULL;
        } else if ((ret = open_backup(ch, e->source, wall, &backup)) < 0) {
            log_msg(LOG_WARN, ch->id, STAGE, "the backup of '%s' cannot be opened: %s",
                    ch->conf->sources[e->source].name, ERRSTR(ret));
            backup = NULL;
        }
    }
    pthread_mutex_lock(&ch->lock);
    cue = &ch->cues[id % MAX_CUES];
    cue->scheduled_us = start;
    cue->planned_us = e->item >= 0 ? ch->conf->schedule.items[e->item].duration : e->end - e->start;
    cue->source = e->source >= 0 ? ch->conf->sources[e->source].name : NULL;
    snprintf(cue->title, sizeof(cue->title), "%s", e->title ? e->title : ch->conf->slate.text);
    ch->info[id % MAX_CUES] = (CueInfo){ start, e->end, e->item, e->source, e->flags, e->start, frame, announced };
    pthread_mutex_unlock(&ch->lock);
    return playout_cue(ch->playout, frame, id,
                       primary, backup, e->source >= 0 ? ch->conf->sources[e->source].timeout : 0);
}

static int resolve(Channel *ch, int64_t from, int64_t to, Timeline **tl)
{
    ScheduleEdits edits = { ch->edits, ch->nedits };
    return schedule_resolve_edited(ch->conf, &edits, ch->channel_start_us, from, to, tl);
}

/* With ctl held. */
static int supervise_locked(Channel *ch)
{
    int64_t horizon = clock_wall_us() + ch->opt.preroll_us;
    Timeline *tl = NULL;
    int ret;

    if (ch->cued_until >= horizon)
        return 0;
    if ((ret = resolve(ch, ch->cued_until, horizon, &tl)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "the timeline cannot be resolved: %s", ERRSTR(ret));
        return ret;
    }
    for (int i = 0; i < tl->count && ret >= 0; i++) {
        const ScheduleEntry *e = &tl->entries[i];
        /* whole entries: the one on air at cued_until was cued already,
         * except for the very first */
        if (e->start < ch->cued_until && ch->next_cue_id > 0)
            continue;
        if (e->end <= ch->run_start_us)
            continue;
        ret = cue_entry(ch, e);
    }
    if (ret >= 0 && tl->count)
        ch->cued_until = FFMAX(horizon, tl->entries[tl->count - 1].start + 1);
    schedule_timeline_free(&tl);
    /* an operator's input that no cue took (the timeline changed meanwhile) */
    playout_input_free(&ch->pre_primary);
    playout_input_free(&ch->pre_backup);
    ch->pre_source = -1;
    return ret;
}

static int supervise(void *opaque)
{
    Channel *ch = opaque;
    int ret;

    pthread_mutex_lock(&ch->ctl);
    ret = supervise_locked(ch);
    pthread_mutex_unlock(&ch->ctl);
    watch_lateness(ch);
    return ret;
}

static const char *entry_kind(unsigned flags, int source)
{
    return flags & SCHEDULE_TAKEN ? "take" : flags & SCHEDULE_HELD ? "slate_held" :
           flags & SCHEDULE_BREAK ? "break" : source < 0 ? "gap" : "schedule";
}

static void emit_slate(Channel *ch, const char *event, const char *reason, int64_t frame)
{
    Buf f = { 0 };
    event_field_str(&f, "reason", reason);
    event_field_int(&f, "frame", frame);
    event_emit(ch->id, event, (const char *)f.data);
    buf_free(&f);
}

/* The role on air changed: slate_on and slate_off follow it. Under lock. */
static void set_role(Channel *ch, enum Role role, const char *reason, int64_t frame)
{
    if (role == ch->role)
        return;
    if (role == ROLE_SLATE)
        emit_slate(ch, EVENT_SLATE_ON, reason, frame);
    else if (ch->role == ROLE_SLATE)
        emit_slate(ch, EVENT_SLATE_OFF, reason, frame);
    ch->role = role;
}

/* Frames of the output clock in seconds, to the millisecond. */
static double frames_seconds(const Channel *ch, int64_t frames)
{
    return (double)av_rescale(frames * 1000, ch->clock.fps.den, ch->clock.fps.num) / 1e3;
}

/* What names a break in its events and its as-run record. */
static void break_fields(const Channel *ch, const BreakOnAir *b, Buf *f)
{
    event_field_str(f, "id", b->id);
    event_field_int(f, "splice_event_id", b->event_id);
    event_field_str(f, "origin", b->origin);
    if (b->input_event_id >= 0)
        event_field_int(f, "input_event_id", b->input_event_id);
    event_field_seconds(f, "planned_duration", frames_seconds(ch, b->planned_frames));
}

/* The break on air returns at frame: the packager's cue in, the as-run
 * log's record, the break_end event. Under lock. */
static void break_return(Channel *ch, int64_t frame)
{
    BreakOnAir *b = &ch->brk;
    int64_t frames = frame - b->start_frame;
    char scheduled[40], actual[40];
    Buf f = { 0 };
    int ret;

    if ((ret = packager_break_return(graph_packager(ch->graph), b->event_id, frame)) < 0)
        log_msg(LOG_WARN, ch->id, STAGE, "ad break %s: the return cannot be marked: %s", b->id, ERRSTR(ret));
    b->out = 0;
    ch->ad_break_frames += frames;
    clock_format_iso(b->scheduled_us, scheduled, sizeof(scheduled));
    clock_format_iso(b->start_us, actual, sizeof(actual));
    break_fields(ch, b, &f);
    event_field_str(&f, "scheduled_start", scheduled);
    event_field_str(&f, "actual_start", actual);
    event_field_int(&f, "start_frame", b->start_frame);
    event_field_int(&f, "end_frame", frame);
    event_field_seconds(&f, "duration", frames_seconds(ch, frames));
    asrun_note(ch->asrun, EVENT_BREAK_END, (const char *)f.data);
    event_emit(ch->id, EVENT_BREAK_END, (const char *)f.data);
    log_msg(LOG_INFO, ch->id, STAGE, "ad break %s returns (frame %" PRId64 ")", b->id, frame);
    buf_free(&f);
}

/* ch->brk, filled in, goes out at its start_frame: the packager marks it,
 * unless it knows it already: announced when it was cued, or out before a
 * restart and still (then it started then, as planned then, and has been
 * counted). Under lock. */
static void break_out(Channel *ch)
{
    BreakOnAir *b = &ch->brk;
    int64_t frame = b->start_frame;
    PackagerBreak known;
    Buf f = { 0 };
    int ret;

    b->start_us = air_clock_time(&ch->clock, frame);
    ret = packager_break(graph_packager(ch->graph), &(PackagerBreak){ .event_id = b->event_id, .id = b->id,
                         .start_frame = frame, .planned_frames = b->planned_frames });
    if (ret == AVERROR(EEXIST) &&
        packager_break_known(graph_packager(ch->graph), b->event_id, &known, &b->start_us) >= 0 &&
        known.start_frame < frame) {
        b->start_frame = known.start_frame;
        b->planned_frames = known.planned_frames;
        return;
    }
    if (ret < 0 && ret != AVERROR(EEXIST))
        log_msg(LOG_WARN, ch->id, STAGE, "ad break %s cannot be marked: %s", b->id, ERRSTR(ret));
    ch->ad_breaks++;
    break_fields(ch, b, &f);
    event_field_int(&f, "frame", frame);
    event_emit(ch->id, EVENT_BREAK_START, (const char *)f.data);
    log_msg(LOG_INFO, ch->id, STAGE, "ad break %s out (frame %" PRId64 ")", b->id, frame);
    buf_free(&f);
}

/* Cue `info` is an ad break, on air from frame. Under lock. */
static void break_start(Channel *ch, const CueInfo *info, int64_t frame)
{
    const ConfItem *item = info->item >= 0 ? &ch->conf->schedule.items[info->item] : NULL;
    BreakOnAir *b = &ch->brk;
    int64_t end = info->end == INT64_MAX ? 0 : air_clock_frame_at(&ch->clock, info->end);

    *b = (BreakOnAir){ .out = 1, .event_id = break_event_id(info->entry_start),
                       .origin = item ? "schedule" : "api", .scheduled_us = info->entry_start,
                       .start_frame = frame, .planned_frames = end > frame ? end - frame : 0,
                       .input_event_id = -1 };
    break_name(ch, info->item, b->event_id, b->id, sizeof(b->id));
    break_out(ch);
}

/* The first frame of a restart: a break the packager still holds out that
 * no entry brought back (those of the schedule and the API come back with
 * their entries) was the input's. It stays out as the input's, to return
 * with the input's next return cue, at its planned end on the output's
 * clock (the input reconnected: its clock is another), or when the program
 * changes. Under lock. */
static void break_adopt(Channel *ch, int64_t frame)
{
    BreakOnAir *b = &ch->brk;
    PackagerBreak known;
    int64_t start_us;
    int ret;

    if (packager_break_out_at(graph_packager(ch->graph), frame, &known, b->id, sizeof(b->id), &start_us) < 0)
        return;
    b->out = 1;
    b->event_id = known.event_id;
    b->origin = "input";
    b->scheduled_us = b->start_us = start_us;
    b->start_frame = known.start_frame;
    b->planned_frames = known.planned_frames;
    b->input_event_id = -1;   /* the input's cue is not kept */
    b->auto_end = 0;
    if (b->planned_frames && b->start_frame + b->planned_frames <= frame) {
        splice_at(ch, frame);
        break_return(ch, frame);
        return;
    }
    log_msg(LOG_NOTICE, ch->id, STAGE, "ad break %s was out when the channel stopped; it returns with the "
            "input's next return cue%s", b->id, b->planned_frames ? " or at its planned end" : "");
    if (b->planned_frames) {
        b->auto_end = b->start_frame + b->planned_frames;
        if ((ret = playout_mark(ch->playout, b->auto_end, 0)) < 0)
            log_msg(LOG_WARN, ch->id, STAGE, "ad break %s cannot return by itself (%s): it waits for the "
                    "input's return", b->id, ERRSTR(ret));
    }
}

static int is_input_break(const BreakOnAir *b)
{
    return b->out && !strcmp(b->origin, "input");
}

/* What a cue of the input says of ad breaks: 1 one goes out (*duration:
 * its planned length in 90 kHz, -1 none; *auto_return: it returns by
 * itself then), -1 the break returns, 0 neither. *event_id: the input's id
 * of it. A time_signal speaks through its segmentation_descriptors: the
 * starts and ends of placement opportunities and ads (a duration there
 * is the planned length, and the break returns by itself at its end
 * unless an end comes first). */
static int cue_break(const Scte35Cue *c, int64_t *duration, int *auto_return, uint32_t *event_id)
{
    *duration = -1;
    *auto_return = 0;
    *event_id = c->event_id;
    if (c->command == SCTE35_SPLICE_INSERT) {
        *duration = c->out_of_network ? c->break_duration : -1;
        *auto_return = c->out_of_network && c->auto_return && c->break_duration > 0;
        return c->out_of_network ? 1 : -1;
    }
    for (int i = 0; i < c->nb_segmentations; i++) {
        const Scte35Segmentation *g = &c->segmentations[i];
        if (g->cancel)
            continue;
        *event_id = g->event_id;
        switch (g->type_id) {
        case SCTE35_SEG_PROVIDER_AD_START:
        case SCTE35_SEG_DISTRIBUTOR_AD_START:
        case SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_START:
        case SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_START:
            *duration = g->duration;
            *auto_return = g->duration > 0;
            return 1;
        case SCTE35_SEG_PROVIDER_AD_END:
        case SCTE35_SEG_DISTRIBUTOR_AD_END:
        case SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_END:
        case SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_END:
            return -1;
        }
    }
    return 0;
}

/* A SCTE-35 cue of the live input on air splices at ev->frame (the playout
 * found the first frame whose picture is at or after its splice point, and
 * the encoders have not reached it): an ad break of origin "input" goes out
 * or returns there. One break at a time: a cue while a break of the
 * schedule or the API is out is ignored. Under lock. */
static void input_cue(Channel *ch, const PlayoutEvent *ev)
{
    const Scte35Cue *c = ev->scte35;
    const char *source = ch->cues[ev->cue_id % MAX_CUES].source;
    BreakOnAir *b = &ch->brk;
    int64_t duration, frame = ev->frame;
    uint32_t input_id;
    int auto_return, what = cue_break(c, &duration, &auto_return, &input_id);

    if (!what) {
        log_msg(LOG_INFO, ch->id, STAGE, "%s: SCTE-35 time_signal (event %" PRIu32 ") marks no ad break; "
                "ignored", source ? source : "", input_id);
        return;
    }
    if (what < 0) {
        if (!is_input_break(b)) {
            log_msg(LOG_INFO, ch->id, STAGE, "%s: SCTE-35 return (event %" PRIu32 ") with no break of the "
                    "input out; ignored", source ? source : "", input_id);
            return;
        }
        if (input_id != b->input_event_id)
            log_msg(LOG_INFO, ch->id, STAGE, "%s: SCTE-35 return of event %" PRIu32 " ends the input's break "
                    "of event %" PRId64, source ? source : "", input_id, b->input_event_id);
        splice_at(ch, frame);
        break_return(ch, frame);
        return;
    }
    if (b->out) {
        log_msg(LOG_NOTICE, ch->id, STAGE, "%s: SCTE-35 break (event %" PRIu32 ") while ad break %s (%s) is "
                "out; ignored", source ? source : "", input_id, b->id, b->origin);
        return;
    }
    splice_at(ch, frame);
    *b = (BreakOnAir){ .out = 1, .event_id = break_event_id(ev->wall_us), .origin = "input",
                       .scheduled_us = ev->wall_us, .start_frame = frame, .input_event_id = input_id };
    if (duration > 0)
        b->planned_frames = FFMAX(1, av_rescale_q_rnd(duration, (AVRational){ 1, 90000 }, av_inv_q(ch->clock.fps),
                                                      AV_ROUND_NEAR_INF));
    snprintf(b->id, sizeof(b->id), "input-%" PRIu32, b->event_id);
    break_out(ch);
    if (auto_return) {
        int ret;
        *ev->return_after = duration;
        b->auto_end = frame + b->planned_frames + av_rescale_q(INPUT_RETURN_GRACE_US, AV_TIME_BASE_Q,
                                                               av_inv_q(ch->clock.fps));
        if ((ret = playout_mark(ch->playout, b->auto_end, 0)) < 0)
            log_msg(LOG_WARN, ch->id, STAGE, "ad break %s cannot return by itself (%s): it waits for the "
                    "input's return", b->id, ERRSTR(ret));
    }
}

/* The playout's events, on its thread. */
static void on_event(void *opaque, const PlayoutEvent *ev)
{
    Channel *ch = opaque;
    Buf f = { 0 };
    int ret;

    pthread_mutex_lock(&ch->lock);
    switch (ev->type) {
    case PLAYOUT_PROGRAM: {
        const AsRunProgram *p = &ch->cues[ev->cue_id % MAX_CUES];
        const CueInfo *info = &ch->info[ev->cue_id % MAX_CUES];
        char when[40];
        /* a break ends where something else starts (back to back: the next
         * break), and starts where its cue goes on air: on a segment start
         * made at the cue, before the encoders reach the frame. A cue for a
         * frame the playout had begun airs a frame later than cued: the cut
         * follows what airs, its segment start moved there, but for a break
         * the playlists announced at the cued frame (the picture changes a
         * frame after the marks) */
        int64_t cut = info->announced ? info->frame : ev->frame;
        if (cut != info->frame && (ret = grid_splices_remove(&ch->grid, info->frame)) < 0)
            log_msg(LOG_WARN, ch->id, STAGE, "frame %" PRId64 " starts a segment for a cut that aired a frame "
                    "later (%s)", info->frame, ERRSTR(ret));
        if (ch->brk.out || (info->flags & SCHEDULE_BREAK))
            splice_at(ch, cut);
        if (ch->brk.out && (!(info->flags & SCHEDULE_BREAK) || break_event_id(info->entry_start) != ch->brk.event_id))
            break_return(ch, cut);
        if ((info->flags & SCHEDULE_BREAK) && !ch->brk.out)
            break_start(ch, info, cut);
        if (ch->on_air_cue < 0 && !ch->brk.out)
            break_adopt(ch, ev->frame);
        asrun_program(ch->asrun, p, ev->frame);
        packager_program(graph_packager(ch->graph), p->title, ev->frame, p->planned_us);
        log_msg(LOG_INFO, ch->id, STAGE, "on air: %s (frame %" PRId64 ")", p->title, ev->frame);
        clock_format_iso(p->scheduled_us, when, sizeof(when));
        event_field_str(&f, "title", p->title);
        event_field_str(&f, "source", p->source ? p->source : "");
        event_field_str(&f, "kind", entry_kind(info->flags, info->source));
        event_field_int(&f, "frame", ev->frame);
        event_field_str(&f, "scheduled", when);
        event_emit(ch->id, EVENT_PROGRAM_START, (const char *)f.data);
        ch->on_air_cue = ev->cue_id;
        set_role(ch, p->source ? ROLE_PRIMARY : ROLE_SLATE, slate_reasons[entry_slate_reason(info->flags)],
                 ev->frame);
        break;
    }
    case PLAYOUT_FAILOVER: {
        const AsRunProgram *p = &ch->cues[ev->cue_id % MAX_CUES];
        asrun_failover(ch->asrun, ev->frame, ev->on_backup);
        event_field_str(&f, "source", p->source ? p->source : "");
        event_field_str(&f, "role", ev->on_backup ? "backup" : "slate");
        event_field_int(&f, "frame", ev->frame);
        event_emit(ch->id, EVENT_FAILOVER, (const char *)f.data);
        set_role(ch, ev->on_backup ? ROLE_BACKUP : ROLE_SLATE, slate_reasons[SLATE_INPUT_LOSS], ev->frame);
        break;
    }
    case PLAYOUT_RECOVERED: {
        const AsRunProgram *p = &ch->cues[ev->cue_id % MAX_CUES];
        asrun_recovered(ch->asrun, ev->frame);
        event_field_str(&f, "source", p->source ? p->source : "");
        event_field_int(&f, "frame", ev->frame);
        event_emit(ch->id, EVENT_RECOVERED, (const char *)f.data);
        set_role(ch, ROLE_PRIMARY, "input_back", ev->frame);
        break;
    }
    case PLAYOUT_INPUT_CUE:
        input_cue(ch, ev);
        break;
    case PLAYOUT_MARK:
        /* an input's break returns by itself (auto_return) on the output's
         * clock, unless the input's own return ended it already */
        if (is_input_break(&ch->brk) && ch->brk.auto_end == ev->frame) {
            splice_at(ch, ev->frame);
            break_return(ch, ev->frame);
        }
        break;
    }
    pthread_mutex_unlock(&ch->lock);
    buf_free(&f);
}

/* ---- building ---- */

/* The push targets of conf as the graph takes them (strings borrowed). */
/* Playlists go out while this instance may publish them: always alone, as
 * the leader in a pair. */
static int may_publish(void *opaque, int64_t *until_us)
{
    return redundancy_may_publish(opaque, until_us);
}

static void push_configs(const Channel *ch, const ChannelConf *conf, PushConfig push[CONF_PUSH_MAX])
{
    for (int i = 0; i < conf->output.nb_push; i++) {
        const ConfPush *t = &conf->output.push[i];
        push[i] = (PushConfig){
            .url = t->url, .name = t->name, .bearer_env = t->bearer_env, .basic_user_env = t->basic_user_env,
            .basic_password_env = t->basic_password_env,
            .headers = (const char *const *)t->headers.lines, .nheaders = t->headers.count,
            .ca_file = t->ca_file, .aws_sigv4 = t->aws_sigv4, .aws_key_env = t->aws_key_env,
            .aws_secret_env = t->aws_secret_env, .delete_segments = t->delete_segments,
            .retry_max_us = t->retry_max, .spool_bytes = t->spool, .timeout_us = t->timeout,
            .may_publish = ch->red ? may_publish : NULL, .publish_opaque = ch->red,
        };
    }
}

static int build_graph(Channel *ch)
{
    const ChannelConf *conf = ch->conf;
    PlayoutInput *slate = NULL;
    Playout *playout = NULL;
    GraphRung rungs[LADDER_MAX];
    PushConfig push[CONF_PUSH_MAX];
    int ret;

    if ((ret = open_slate(ch, &slate)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "the slate cannot be drawn: %s", ERRSTR(ret));
        return ret;
    }
    {
        PlayoutConfig po = {
            .channel = ch->id, .width = conf->video.width, .height = conf->video.height,
            .fps = ch->clock.fps, .sample_rate = conf->audio.sample_rate, .channels = conf->audio.channels,
            .epoch_us = ch->clock.epoch_us, .first_frame = ch->clock.first_frame, .paced = 1,
            .slate = slate, .on_event = on_event, .opaque = ch,
        };
        /* the playout owns the slate, even when it fails */
        if ((ret = playout_new(&playout, &po)) < 0)
            return ret;
    }
    for (int i = 0; i < conf->nb_rungs; i++) {
        rungs[i] = (GraphRung){ .name = conf->ladder[i].name, .bitrate = conf->ladder[i].bitrate };
        rung_fit(conf->video.width, conf->video.height, (AVRational){ 1, 1 }, conf->ladder[i].width,
                 conf->ladder[i].height, &rungs[i].width, &rungs[i].height);
    }
    push_configs(ch, conf, push);
    AudioConfig audio = {
        .in_sample_rate = conf->audio.sample_rate, .in_fmt = AV_SAMPLE_FMT_FLTP,
        .sample_rate = conf->audio.sample_rate, .channels = conf->audio.channels,
        .bitrate = conf->audio.bitrate, .loudness = conf->audio.loudness,
        .start_pts = av_rescale_rnd(ch->clock.first_frame, (int64_t)conf->audio.sample_rate * ch->clock.fps.den,
                                    ch->clock.fps.num, AV_ROUND_DOWN),
    };
    av_channel_layout_default(&audio.in_layout, conf->audio.channels);
    PackagerConfig pc = {
        .outdir = conf->output.dir, .formats = conf->output.formats, .live = 1,
        .window = conf->output.window, .epoch_us = ch->clock.epoch_us, .first_frame = ch->clock.first_frame,
        .channel_start_us = ch->channel_start_us, .resume = ch->resumed,
        .pair = ch->red != NULL, .rejoin = ch->rejoined,
        .utc_timing_url = ch->opt.utc_timing_url, .part_us = conf->output.low_latency.part,
        .ad_markers = conf->output.ad_markers,
        .interstitial_asset_list = conf->output.interstitials.asset_list,
        .interstitial_asset_uri = conf->output.interstitials.asset_uri,
        .interstitial_restrict = conf->output.interstitials.restrictions,
    };
    GraphConfig gc = {
        .channel = ch->id, .playout = playout,
        .fps = ch->clock.fps, .grid = ch->grid,
        .src_width = conf->video.width, .src_height = conf->video.height,
        .rungs = rungs, .nrungs = conf->nb_rungs,
        .encoder = { .backend = conf->encoder.backend, .fallback = conf->encoder.fallback,
                     .preset = conf->encoder.preset, .origin = "encoder.backend" },
        .low_latency = conf->output.low_latency.part > 0, .cores = ch->opt.cores,
        .audio = &audio, .packager = &pc, .push = push, .npush = conf->output.nb_push,
        .tick = supervise, .tick_us = SUPERVISOR_TICK_US, .tick_name = "supervisor", .opaque = ch,
    };
    ch->playout = playout;
    if ((ret = graph_new(&ch->graph, &gc)) < 0) {
        ch->playout = NULL;   /* freed by the graph */
        return ret;
    }
    ch->one_thread_decode_pps = graph_one_thread_decode_pps(ch->graph);
    return 0;
}

/* Before the graph, so that its first events are sent too. */
static int open_webhook(Channel *ch)
{
    const ConfEvents *ev = &ch->conf->events;
    const char *secret = ev->secret_env ? getenv(ev->secret_env) : NULL;

    if (ev->secret_env && (!secret || !*secret))
        log_msg(LOG_WARN, ch->id, STAGE, "events.secret_env: %s is not set; events go unsigned",
                ev->secret_env);
    return webhook_new(&ch->webhook, &(WebhookConfig){ .channel = ch->id, .url = ev->url,
                                                        .secret = secret });
}

/* The pair's role changed (the redundancy's thread): an event and a line of
 * the as-run log, so that every takeover is on record. */
static void on_role(void *opaque, int leader, const char *holder)
{
    Channel *ch = opaque;
    Buf f = { 0 };

    event_field_str(&f, "instance", ch->opt.instance);
    event_field_str(&f, "holder", holder);
    pthread_mutex_lock(&ch->lock);
    if (ch->asrun)
        asrun_note(ch->asrun, leader ? EVENT_LEADER : EVENT_STANDBY, (const char *)f.data);
    pthread_mutex_unlock(&ch->lock);
    event_emit(ch->id, leader ? EVENT_LEADER : EVENT_STANDBY, (const char *)f.data);
    buf_free(&f);
}

/* The segment that frame is in on the grid alone, without splices. */
static int64_t plain_segment(const Channel *ch, int64_t frame)
{
    SegmentGrid plain = { .fps = ch->grid.fps, .segment_us = ch->grid.segment_us };

    return grid_segment_of_frame(&plain, frame);
}

/* "FRAME NUMBER" (PAIR_NUMBERING) into the anchor; -1 when none is there. */
static void read_numbering(Channel *ch, const char *value, int64_t rev)
{
    ch->numbering_rev = rev;
    if (!value || sscanf(value, "%" SCNd64 " %" SCNd64, &ch->anchor_frame, &ch->anchor_number) != 2 ||
        ch->anchor_frame < 0 || ch->anchor_number < 0)
        ch->anchor_frame = ch->anchor_number = -1;
}

/* The watch thread, after each poll: the leader records in etcd where the
 * numbering leaves what the last record (or the grid alone) would make of
 * it: after each splice (an ad break's cut, each adding a segment), once
 * the playout passed it and it can no longer move. An instance that joins
 * later numbers on from there (join_pair) and so numbers as the leader
 * does, whatever breaks it was not running for. */
static void on_poll(void *opaque)
{
    Channel *ch = opaque;
    int64_t settled, k, frame, expected, rev;
    char value[64], err[256], *now = NULL;
    int ret;

    if (!ch->playout || !redundancy_may_publish(ch->red, NULL))
        return;
    settled = playout_next_frame(ch->playout) - 2;   /* a late cut's splice may still go (grid_splices_remove) */
    if (settled < ch->clock.first_frame)
        return;
    k = grid_segment_of_frame(&ch->grid, settled);
    frame = FFMAX(grid_segment_start(&ch->grid, k), ch->clock.first_frame);
    expected = plain_segment(ch, frame);
    if (ch->anchor_frame >= 0)
        expected += ch->anchor_number - plain_segment(ch, ch->anchor_frame);
    if (k == expected)
        return;
    snprintf(value, sizeof(value), "%" PRId64 " %" PRId64, frame, k);
    ret = redundancy_write(ch->red, PAIR_NUMBERING, value, ch->numbering_rev, &rev, err, sizeof(err));
    if (ret >= 0) {
        read_numbering(ch, value, rev);
        log_msg(LOG_INFO, ch->id, STAGE, "redundancy: segment %" PRId64 " starts at frame %" PRId64
                " (recorded for the pair)", k, frame);
    } else if (ret == AVERROR(EAGAIN) && redundancy_read(ch->red, PAIR_NUMBERING, &now, &rev, err, sizeof(err)) >= 0) {
        read_numbering(ch, now, rev);   /* the last leader's: tried again at the next poll */
    }
    free(now);
}

/* The pair's part of this instance (conf->redundancy): its output clock is
 * the pair's, frame n airing at the epoch etcd keeps plus n / fps, so that
 * every instance, and every restart, cuts the same frames into the same
 * segments; it joins at the first segment after its start (a restart skips
 * the frames it was down for), numbered as the pair numbers it
 * (PAIR_NUMBERING), with the operator's changes the pair has in force
 * (PAIR_EDITS). A restart that finds a leader on air rejoins: what it
 * published before is not its window any more (the pair's went on). */
static int join_pair(Channel *ch)
{
    static const char *const watched[] = { PAIR_EDITS };
    const ConfRedundancy *c = &ch->conf->redundancy;
    RedundancyConfig rc = { .etcd = (const char *const *)c->etcd.urls, .netcd = c->etcd.count,
                            .lease_us = c->lease, .channel = ch->id, .instance = ch->opt.instance,
                            .on_role = on_role, .watch = watched, .nwatch = 1, .on_shared = on_shared,
                            .on_poll = on_poll, .opaque = ch };
    AirClock pair = { .fps = ch->conf->video.fps };
    char err[512], *leader = NULL, *numbering = NULL, *edits = NULL;
    int64_t first, rev, edits_rev;
    int ret;

    if (!rc.instance || !*rc.instance) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: this instance has no name (onair run --instance NAME)");
        return AVERROR(EINVAL);
    }
    if ((ret = redundancy_new(&ch->red, &rc)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: %s", ERRSTR(ret));
        return ret;
    }
    /* proposed: this start, should it be the pair's first */
    if ((ret = redundancy_epoch(ch->red, ch->run_start_us, EPOCH_WAIT_US, &pair.epoch_us, err, sizeof(err))) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: the pair's clock cannot be read from etcd: %s", err);
        return ret;
    }
    if (pair.epoch_us > ch->run_start_us + 24 * 3600 * 1000000LL) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: etcd's epoch is %.0f s ahead of this machine's clock: "
                "is NTP running here?", (pair.epoch_us - ch->run_start_us) / 1e6);
        return AVERROR(EINVAL);
    }
    /* on a segment's first frame: the standby's first segment is the
     * leader's, whole, should the standby push it or publish it */
    first = air_clock_frame_at(&pair, ch->run_start_us);
    if (!grid_is_boundary(&ch->grid, first))
        first = grid_segment_start(&ch->grid, grid_segment_of_frame(&ch->grid, first) + 1);
    ch->clock = (AirClock){ .fps = pair.fps, .epoch_us = air_clock_time(&pair, first), .first_frame = first };
    ch->run_start_us = ch->clock.epoch_us;
    ch->channel_start_us = pair.epoch_us;
    if ((ret = redundancy_read(ch->red, REDUNDANCY_LEADER, &leader, &rev, err, sizeof(err))) < 0 ||
        (ret = redundancy_read(ch->red, PAIR_NUMBERING, &numbering, &rev, err, sizeof(err))) < 0 ||
        (ret = redundancy_read(ch->red, PAIR_EDITS, &edits, &edits_rev, err, sizeof(err))) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: the pair's state cannot be read from etcd: %s", err);
        goto end;
    }
    read_numbering(ch, numbering, rev);
    if (ch->anchor_frame >= 0 && ch->anchor_frame <= first)
        grid_splices_anchor(&ch->grid, first, ch->anchor_number + plain_segment(ch, first) -
                                                  plain_segment(ch, ch->anchor_frame));
    ch->rejoined = ch->resumed && leader;
    if (edits) {
        adopt_edits(ch, edits, edits_rev);
        log_msg(LOG_NOTICE, ch->id, STAGE, "redundancy: %d change(s) made through the API are in force",
                ch->nedits);
    }
    log_msg(LOG_NOTICE, ch->id, STAGE, "redundancy: instance %s joins the pair's clock at frame %" PRId64
            ", segment %" PRId64 " (etcd's epoch: %.3f s ago)%s", rc.instance, first,
            grid_segment_of_frame(&ch->grid, first), (ch->run_start_us - pair.epoch_us) / 1e6,
            ch->rejoined ? "; the pair is on air: this instance's earlier window is left behind" : "");
end:
    free(leader);
    free(numbering);
    free(edits);
    return ret;
}

int channel_new(Channel **out, const ChannelConf *conf, const ChannelOptions *opt)
{
    Channel *ch = calloc(1, sizeof(*ch));
    int64_t next_frame = 0, start = 0;
    int ret;

    *out = NULL;
    if (!ch)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&ch->lock, NULL);
    pthread_mutex_init(&ch->ctl, NULL);
    ch->on_air_cue = -1;
    ch->pre_source = -1;
    ch->anchor_frame = ch->anchor_number = -1;
    ch->role = ROLE_PRIMARY;
    ch->conf = conf;
    ch->opt = *opt;
    if (ch->opt.preroll_us <= 0)
        ch->opt.preroll_us = PREROLL_DEFAULT_US;
    if (ch->opt.cores < 1)
        ch->opt.cores = 1;
    snprintf(ch->id, sizeof(ch->id), "%s", conf->channel);
    ch->grid = (SegmentGrid){ .fps = conf->video.fps, .segment_us = conf->output.segment };
    /* the rungs and the packager share the channel's splices (ad breaks) */
    if ((ret = grid_splices_new(&ch->grid.splices)) < 0)
        goto fail;

    if ((ret = path_mkdirs(conf->output.dir)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "output.dir %s: %s", conf->output.dir, ERRSTR(ret));
        goto fail;
    }
    /* a restart continues what was published */
    ch->resumed = packager_resume_point(conf->output.dir, &next_frame, &start) >= 0;
    ch->run_start_us = clock_wall_us() + START_DELAY_US;
    ch->channel_start_us = ch->resumed && start > 0 ? start : ch->run_start_us;
    ch->clock = (AirClock){ .fps = conf->video.fps, .epoch_us = ch->run_start_us,
                            .first_frame = ch->resumed ? next_frame : 0 };
    if (conf->redundancy.etcd.count && (ret = join_pair(ch)) < 0)
        goto fail;
    ch->cued_until = ch->run_start_us;
    if (opt->playlist_url)
        snprintf(ch->playlist_url, sizeof(ch->playlist_url), "%s", opt->playlist_url);
    if ((ret = path_join(ch->control_path, sizeof(ch->control_path), conf->output.dir, CONTROL_FILE)) < 0)
        goto fail;
    if (ch->resumed && !ch->edits_rev)   /* a pair's are etcd's (join_pair) */
        load_edits(ch);
    if (conf->events.url && (ret = open_webhook(ch)) < 0)
        goto fail;
    if (ch->resumed)
        log_msg(LOG_NOTICE, ch->id, STAGE, "resuming at frame %" PRId64 " (the channel started %.0f s ago)",
                ch->clock.first_frame, (ch->run_start_us - ch->channel_start_us) / 1e6);
    if ((ret = build_graph(ch)) < 0 || (ret = asrun_open(&ch->asrun, conf->output.dir, ch->id, &ch->clock)) < 0)
        goto fail;
    *out = ch;
    return 0;
fail:
    channel_free(&ch);
    return ret < 0 ? ret : AVERROR(EINVAL);
}

int channel_start(Channel *ch)
{
    int ret;

    /* the first program is cued (and its source opened) before any frame */
    if ((ret = supervise(ch)) < 0 || (ret = graph_start(ch->graph)) < 0 ||
        (ch->red && (ret = redundancy_start(ch->red)) < 0)) {
        atomic_store(&ch->started, -1);
        return ret;
    }
    atomic_store(&ch->started, 1);
    log_msg(LOG_NOTICE, ch->id, STAGE, "on air from %s, %dx%d %.3f fps, %d rungs, into %s",
            ch->conf->title, ch->conf->video.width, ch->conf->video.height, av_q2d(ch->clock.fps),
            graph_nrungs(ch->graph), ch->conf->output.dir);
    return 0;
}

void channel_stop(Channel *ch)
{
    /* the segment in progress is finished: stop at the next boundary */
    int64_t n = playout_next_frame(ch->playout);
    int64_t k = grid_segment_of_frame(&ch->grid, n);
    int64_t at = grid_segment_start(&ch->grid, k) == n ? n : grid_segment_start(&ch->grid, k + 1);

    playout_stop_at(ch->playout, at);
}

int channel_wait(Channel *ch)
{
    int ret = graph_wait(ch->graph);

    pthread_mutex_lock(&ch->lock);
    asrun_end(ch->asrun, playout_next_frame(ch->playout));
    pthread_mutex_unlock(&ch->lock);
    return ret;
}

void channel_free(Channel **pch)
{
    Channel *ch = *pch;

    if (!ch)
        return;
    /* the pair's callbacks read the playout and cue on it: they end first */
    redundancy_unwatch(ch->red);
    if (ch->graph) {
        /* what still runs stops now; the program on air gets its as-run line */
        graph_abort(ch->graph, AVERROR_EXIT);
        channel_wait(ch);
    }
    graph_free(&ch->graph);
    /* after the pushers' last playlists: a leader resigns now */
    redundancy_free(&ch->red);
    grid_splices_free(&ch->grid.splices);
    asrun_free(&ch->asrun);
    playout_input_free(&ch->pre_primary);
    playout_input_free(&ch->pre_backup);
    for (int i = 0; i < ch->nreloaded; i++)
        conf_free(&ch->reloaded[i]);
    /* last: the program on air's end and as-run record go out too */
    webhook_free(&ch->webhook);
    pthread_mutex_destroy(&ch->lock);
    pthread_mutex_destroy(&ch->ctl);
    free(ch);
    *pch = NULL;
}


/* ---- the operator's changes (the admin API) ---- */

/* The edits in force are e[0..n) (the last EDITS_MAX of them), shared as
 * such in a pair. With ctl, or before the channel starts. */
static void set_edits(Channel *ch, const ScheduleEdit *e, int n)
{
    ch->nedits = FFMIN(n, EDITS_MAX);
    if (ch->nedits > 0)   /* e is NULL when there are none */
        memcpy(ch->edits, e + (n - ch->nedits), sizeof(*e) * (size_t)ch->nedits);
    memcpy(ch->shared, ch->edits, sizeof(*ch->edits) * (size_t)ch->nedits);
    ch->nshared = ch->nedits;
}

/* The edits kept in the output folder, read at a restart. */
static void load_edits(Channel *ch)
{
    FILE *f = fopen(ch->control_path, "r");
    ScheduleEdit *e = NULL;
    Buf text = { 0 };
    char chunk[4096];
    size_t got;
    int n = 0, ret;

    if (!f)
        return;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(&text, chunk, got) < 0)
            break;
    fclose(f);
    if (buf_append(&text, "", 1) < 0 ||
        (ret = schedule_edits_parse((const char *)text.data, ch->conf, &e, &n)) < 0) {
        log_msg(LOG_WARN, ch->id, STAGE, "%s cannot be read; the operator's earlier changes are lost",
                ch->control_path);
        buf_free(&text);
        return;
    }
    set_edits(ch, e, n);
    if (ch->nedits)
        log_msg(LOG_NOTICE, ch->id, STAGE, "%d change(s) made through the API before the restart still apply",
                ch->nedits);
    free(e);
    buf_free(&text);
}

/* Written whole and renamed into place: a crash leaves the old or the new. With ctl. */
static int save_edits(Channel *ch)
{
    char tmp[4300];
    Buf b = { 0 };
    FILE *f;
    int ret;

    snprintf(tmp, sizeof(tmp), "%s.tmp", ch->control_path);
    if ((ret = schedule_edits_format(ch->edits, ch->nedits, ch->conf, &b)) < 0)
        goto end;
    if (!(f = fopen(tmp, "w"))) {
        ret = AVERROR(errno);
        goto end;
    }
    if ((b.len && fwrite(b.data, 1, b.len, f) != b.len) | fflush(f) | fsync(fileno(f)))
        ret = AVERROR(EIO);
    fclose(f);
    if (ret >= 0 && rename(tmp, ch->control_path) < 0)
        ret = AVERROR(errno);
    if (ret < 0)
        unlink(tmp);
end:
    if (ret < 0)
        log_msg(LOG_WARN, ch->id, STAGE, "%s: %s; a restart would not keep the last change",
                ch->control_path, ERRSTR(ret));
    buf_free(&b);
    return ret;
}

/* Forgets edits that can no longer change anything: overlays that ended a
 * while ago, anchors that a later anchor already in the past overrides. */
static void prune_edits(Channel *ch, int64_t now)
{
    int64_t last_anchor = INT64_MIN;
    int k = 0;

    for (int i = 0; i < ch->nedits; i++)
        if (ch->edits[i].kind == SCHEDULE_EDIT_ANCHOR && ch->edits[i].at <= now)
            last_anchor = FFMAX(last_anchor, ch->edits[i].at);
    for (int i = 0; i < ch->nedits; i++) {
        const ScheduleEdit *e = &ch->edits[i];
        if (e->kind == SCHEDULE_EDIT_OVERLAY ? e->end < now - EDIT_KEEP_US : e->at < last_anchor)
            continue;
        ch->edits[k++] = *e;
    }
    ch->nedits = k;
}

/* The frame a change takes effect on: the next one the playout has not
 * begun (in a pair, PAIR_CHANGE_LEAD_US ahead), and its air time. */
static int64_t change_frame(Channel *ch, int64_t *wall)
{
    int64_t frame = playout_next_frame(ch->playout) + 1;

    if (ch->red)   /* time for the other instances to read it */
        frame = FFMAX(frame, air_clock_frame_at(&ch->clock, clock_wall_us() + PAIR_CHANGE_LEAD_US));
    *wall = air_clock_time(&ch->clock, frame);
    return frame;
}

/* With ctl: the timeline changed from `frame` (airing at `wall`) on: what
 * was cued from there is dropped and cued again, the change kept. */
static int recue_from(Channel *ch, int64_t frame, int64_t wall)
{
    int ret;

    playout_uncue_from(ch->playout, frame);
    /* what was cued from there is cued again: its segment starts and breaks
     * come again with it, those that do not, go */
    grid_splices_drop_from(&ch->grid, frame);
    packager_breaks_withdraw(graph_packager(ch->graph), frame);
    ch->cued_until = wall;
    ret = supervise_locked(ch);
    save_edits(ch);
    return ret;
}

/* The entry the timeline has on air at `wall` (err says why not). With ctl. */
static int entry_at(Channel *ch, int64_t wall, ScheduleEntry *out, char *err, size_t size)
{
    Timeline *tl;
    int ret = resolve(ch, wall, wall + 1, &tl);

    if (ret < 0) {
        snprintf(err, size, "the timeline cannot be resolved: %s", ERRSTR(ret));
        return ret;
    }
    if (!tl->count)
        ret = AVERROR(EINVAL);
    else
        *out = tl->entries[0];
    schedule_timeline_free(&tl);
    return ret;
}

static int add_edit(Channel *ch, const ScheduleEdit *e, char *err, size_t size)
{
    prune_edits(ch, clock_wall_us());
    if (ch->nedits == EDITS_MAX) {
        snprintf(err, size, "too many changes in force (%d); release a held slate or wait", EDITS_MAX);
        return AVERROR(EBUSY);
    }
    ch->edits[ch->nedits++] = *e;
    return 0;
}

/* The operator's change, its edits made, goes on air from frame (recue_from);
 * once it does it is logged, written to the as-run log and emitted as an
 * `api` event with the request's fields (event_field_*, may be empty),
 * which are freed either way. With ctl. */
static int go_on_air(Channel *ch, const char *action, int64_t frame, int64_t wall, Buf *fields)
{
    Buf f = { 0 };
    int ret;

    if ((ret = recue_from(ch, frame, wall)) >= 0) {
        event_field_str(&f, "action", action);
        event_field_int(&f, "frame", frame);
        if (fields->len)
            buf_append(&f, fields->data, fields->len);
        event_emit(ch->id, EVENT_API, (const char *)f.data);
        pthread_mutex_lock(&ch->lock);
        asrun_note(ch->asrun, EVENT_API, (const char *)f.data);
        pthread_mutex_unlock(&ch->lock);
        log_msg(LOG_NOTICE, ch->id, STAGE, "operator: %s from frame %" PRId64, action, frame);
        buf_free(&f);
    }
    buf_free(fields);
    return ret;
}

/* A pair's change is shared first, for the other instances to cut it on
 * the same frame: the edits as they now stand go to etcd, after a line
 * "FRAME ACTION INSTANCE" and one of the event's fields, where they are
 * still what this instance last saw. Refused (another instance changed
 * them meanwhile, or etcd is away), the edits go back to what they were
 * and nothing changes. With ctl. */
static int share_edits(Channel *ch, const char *action, int64_t frame, const Buf *fields, char *err, size_t size)
{
    char why[256];
    Buf v = { 0 };
    int64_t rev;
    int ret;

    if ((ret = buf_printf(&v, "%" PRId64 " %s %s\n", frame, action, ch->opt.instance)) < 0 ||
        (fields->len && (ret = buf_append(&v, fields->data, fields->len)) < 0) ||
        (ret = buf_append(&v, "\n", 1)) < 0 ||
        (ret = schedule_edits_format(ch->edits, ch->nedits, ch->conf, &v)) < 0) {
        snprintf(err, size, "the change cannot be written down: %s", ERRSTR(ret));
    } else if ((ret = redundancy_write(ch->red, PAIR_EDITS, (const char *)v.data, ch->edits_rev, &rev, why,
                                       sizeof(why))) < 0) {
        snprintf(err, size, "the pair did not take the change (%s); nothing changed", why);
        if (ret != AVERROR(EAGAIN))
            ret = AVERROR(ENETUNREACH);
    }
    buf_free(&v);
    if (ret < 0) {
        memcpy(ch->edits, ch->shared, sizeof(*ch->edits) * (size_t)ch->nshared);
        ch->nedits = ch->nshared;
        return ret;
    }
    ch->edits_rev = rev;
    memcpy(ch->shared, ch->edits, sizeof(*ch->edits) * (size_t)ch->nedits);
    ch->nshared = ch->nedits;
    return 0;
}

/* The change goes on air here (go_on_air), a pair's once the pair has it. */
static int apply_change(Channel *ch, const char *action, int64_t frame, int64_t wall, Buf *fields, char *err,
                        size_t size)
{
    int ret;

    if (ch->red && (ret = share_edits(ch, action, frame, fields, err, size)) < 0) {
        buf_free(fields);
        return ret;
    }
    return go_on_air(ch, action, frame, wall, fields);
}

/* A change another instance of the pair shared (share_edits' value): its
 * edits are the ones in force here too, on the frame it named, or the next
 * this playout has not begun should it come late. With ctl. */
static void adopt_edits(Channel *ch, const char *value, int64_t rev)
{
    char action[32], instance[256];
    const char *fields, *text;
    ScheduleEdit *e = NULL;
    Buf f = { 0 };
    int64_t frame, next, wall;
    int n = 0;

    ch->edits_rev = rev;
    if (sscanf(value, "%" SCNd64 " %31s %255s", &frame, action, instance) != 3 ||
        !(fields = strchr(value, '\n')) || !(text = strchr(fields + 1, '\n')) ||
        schedule_edits_parse(text + 1, ch->conf, &e, &n) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "redundancy: the operator's change in etcd (revision %" PRId64 ") cannot "
                "be read here: do all instances run the same channel file?", rev);
        return;
    }
    set_edits(ch, e, n);
    free(e);
    if (!ch->graph || !channel_running(ch) || ch->on_air_cue < 0)
        return;   /* cued as they stand when it starts */
    next = playout_next_frame(ch->playout) + 1;
    if (frame < next)
        log_msg(LOG_WARN, ch->id, STAGE, "redundancy: %s through instance %s reached this one %" PRId64
                " frame(s) after it went on air there: this instance's output differs until then", action,
                instance, next - frame);
    frame = FFMAX(frame, next);
    wall = air_clock_time(&ch->clock, frame);
    event_field_str(&f, "instance", instance);
    buf_append(&f, fields + 1, (size_t)(text - fields - 1));
    go_on_air(ch, action, frame, wall, &f);
}

/* The watch thread: an edits' revision that is not the one in force here
 * is another instance's change. */
static void on_shared(void *opaque, const char *name, const char *value, int64_t rev)
{
    Channel *ch = opaque;

    if (strcmp(name, PAIR_EDITS) || !value)
        return;
    pthread_mutex_lock(&ch->ctl);
    if (rev != ch->edits_rev)
        adopt_edits(ch, value, rev);
    pthread_mutex_unlock(&ch->ctl);
}

static int not_on_air(Channel *ch, char *err, size_t size)
{
    if (channel_running(ch) && ch->on_air_cue >= 0)
        return 0;
    snprintf(err, size, "channel %s is not on air", ch->id);
    return AVERROR(EBUSY);
}

/* Opens `source` ahead of a cue made now and waits (a while) for its first
 * picture, so that the cut lands on it: from its start, or (at > INT64_MIN)
 * `offset_us` into it, where it is at air time `at`. With ctl. */
static void preopen(Channel *ch, int source, int64_t offset_us, int64_t at)
{
    int64_t give_up = clock_monotonic_us() + TAKE_READY_WAIT_US;
    int64_t wall;

    playout_input_free(&ch->pre_primary);
    playout_input_free(&ch->pre_backup);
    ch->pre_source = -1;
    ch->pre_start = at;
    change_frame(ch, &wall);
    if (open_input(ch, source, offset_us, at > INT64_MIN ? at : wall, &ch->pre_primary) < 0)
        return;
    if (open_backup(ch, source, wall, &ch->pre_backup) < 0)
        ch->pre_backup = NULL;
    ch->pre_source = source;
    while (!playout_input_ready(ch->pre_primary) && clock_monotonic_us() < give_up)
        clock_sleep_us(10000, NULL, NULL);
}

static int find_source(const ChannelConf *conf, const char *name)
{
    for (int i = 0; i < conf->nb_sources; i++)
        if (!strcmp(conf->sources[i].name, name))
            return i;
    return -1;
}

/* The latest overlay covering wall (source: -2 any, -1 a held slate). */
static ScheduleEdit *overlay_at(Channel *ch, int64_t wall, int source)
{
    for (int i = ch->nedits - 1; i >= 0; i--) {
        ScheduleEdit *e = &ch->edits[i];
        if (e->kind == SCHEDULE_EDIT_OVERLAY && e->at <= wall && wall < e->end &&
            (source == -2 || e->source == source))
            return e;
    }
    return NULL;
}

/* The entry on air ends at the next frame (skip, and a break's early
 * return: then only a break ends). */
static int end_entry_now(Channel *ch, const char *action, int break_only, char *err, size_t size)
{
    ScheduleEntry e;
    ScheduleEdit *over;
    Buf fields = { 0 };
    int64_t wall, frame;
    int ret, next = -1;

    pthread_mutex_lock(&ch->ctl);
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    change_frame(ch, &wall);
    if ((ret = entry_at(ch, wall, &e, err, size)) < 0)
        goto end;
    if (break_only && !(e.flags & SCHEDULE_BREAK)) {
        snprintf(err, size, "no ad break is on air");
        ret = AVERROR(EBUSY);
        goto end;
    }
    if ((over = overlay_at(ch, wall, -2))) {
        /* a take, a held slate or the API's break: it ends, the timeline as
         * it stands resumes, its source opened first (preopen) */
        int64_t end = over->end, lead = INT64_MIN, lead_frame = 0;
        ScheduleEntry under;
        char ignored[256];
        over->end = wall;
        if (entry_at(ch, wall, &under, ignored, sizeof(ignored)) >= 0 && under.source >= 0) {
            lead_frame = air_clock_frame_at(&ch->clock, wall + RESUME_LEAD_US);
            lead = air_clock_time(&ch->clock, lead_frame);
            preopen(ch, under.source, under.offset + (lead - under.start), lead);
        }
        over->end = end;
        frame = change_frame(ch, &wall);
        /* on the frame it was opened for, unless opening took longer */
        if (lead > wall) {
            frame = lead_frame;
            wall = lead;
        }
        over->end = wall;
    } else if (e.item < 0) {
        snprintf(err, size, "the slate is on air between programs: nothing to skip");
        ret = AVERROR(EBUSY);
        goto end;
    } else {
        ScheduleEdit anchor = { .kind = SCHEDULE_EDIT_ANCHOR, .item = -1 };
        next = schedule_next_in_chain(ch->conf, e.item);
        if (next >= 0 && ch->conf->schedule.items[next].source >= 0)   /* not a slate break */
            preopen(ch, ch->conf->schedule.items[next].source, 0, INT64_MIN);
        frame = change_frame(ch, &wall);
        anchor.at = wall;
        anchor.item = next;
        if ((ret = add_edit(ch, &anchor, err, size)) < 0)
            goto end;
    }
    event_field_str(&fields, "skipped", e.title ? e.title : "");
    ret = apply_change(ch, action, frame, wall, &fields, err, size);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

int channel_skip(Channel *ch, char *err, size_t size)
{
    return end_entry_now(ch, "skip", 0, err, size);
}

int channel_break_return(Channel *ch, char *err, size_t size)
{
    return end_entry_now(ch, "break_return", 1, err, size);
}

int channel_break(Channel *ch, int64_t duration_us, const char *source, int64_t at_us, char *err, size_t size)
{
    ScheduleEdit brk = { .kind = SCHEDULE_EDIT_OVERLAY, .source = -1, .is_break = 1 };
    Buf fields = { 0 };
    Timeline *tl = NULL;
    int64_t wall, frame, next_wall, next;
    int ret;

    if (duration_us <= 0) {
        snprintf(err, size, "duration: an ad break needs a length (\"60s\")");
        return AVERROR(EINVAL);
    }
    pthread_mutex_lock(&ch->ctl);
    if (source && (brk.source = find_source(ch->conf, source)) < 0) {
        snprintf(err, size, "source: channel %s has no source '%s'", ch->id, source);
        ret = AVERROR(ENOENT);
        goto end;
    }
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    /* a break now: its source first, so that it starts on a picture */
    if (brk.source >= 0 && at_us <= clock_wall_us())
        preopen(ch, brk.source, 0, INT64_MIN);
    /* the timeline changes from the next frame; the break starts there or later */
    frame = next = change_frame(ch, &next_wall);
    wall = next_wall;
    if (at_us > wall) {
        frame = air_clock_frame_at(&ch->clock, at_us);
        wall = air_clock_time(&ch->clock, frame);
    }
    brk.at = wall;
    brk.end = wall + duration_us;
    /* one break at a time: none may be on air or planned over it */
    if ((ret = resolve(ch, wall, brk.end, &tl)) < 0) {
        snprintf(err, size, "the timeline cannot be resolved: %s", ERRSTR(ret));
        goto end;
    }
    for (int i = 0; i < tl->count; i++) {
        if (tl->entries[i].flags & SCHEDULE_BREAK) {
            snprintf(err, size, "an ad break (%s) is on air or planned then", tl->entries[i].title);
            ret = AVERROR(EBUSY);
        }
    }
    schedule_timeline_free(&tl);
    if (ret < 0)
        goto end;
    if ((ret = add_edit(ch, &brk, err, size)) < 0)
        goto end;
    event_field_seconds(&fields, "duration_seconds", duration_us / 1e6);
    if (source)
        event_field_str(&fields, "source", source);
    if (at_us > 0)
        event_field_int(&fields, "at_frame", frame);
    ret = apply_change(ch, "break", next, next_wall, &fields, err, size);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

int channel_hold_slate(Channel *ch, int64_t duration_us, char *err, size_t size)
{
    ScheduleEdit hold = { .kind = SCHEDULE_EDIT_OVERLAY, .source = -1 };
    Buf fields = { 0 };
    int64_t wall, frame;
    int ret;

    if (duration_us < 0) {
        snprintf(err, size, "duration: must not be negative");
        return AVERROR(EINVAL);
    }
    pthread_mutex_lock(&ch->ctl);
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    frame = change_frame(ch, &wall);
    hold.at = wall;
    hold.end = duration_us ? wall + duration_us : INT64_MAX;
    if ((ret = add_edit(ch, &hold, err, size)) < 0)
        goto end;
    if (duration_us)
        event_field_seconds(&fields, "duration_seconds", duration_us / 1e6);
    ret = apply_change(ch, "slate", frame, wall, &fields, err, size);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

int channel_release_slate(Channel *ch, char *err, size_t size)
{
    ScheduleEdit *hold;
    int64_t wall, frame;
    int ret;

    pthread_mutex_lock(&ch->ctl);
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    frame = change_frame(ch, &wall);
    if (!(hold = overlay_at(ch, wall, -1))) {
        snprintf(err, size, "no slate is held");
        ret = AVERROR(EBUSY);
        goto end;
    }
    hold->end = wall;
    ret = apply_change(ch, "slate_release", frame, wall, &(Buf){ 0 }, err, size);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

int channel_take(Channel *ch, const char *source, int64_t duration_us, char *err, size_t size)
{
    ScheduleEdit take = { .kind = SCHEDULE_EDIT_OVERLAY };
    Buf fields = { 0 };
    ScheduleEntry e;
    int64_t wall, frame;
    int ret;

    if (duration_us < 0) {
        snprintf(err, size, "duration: must not be negative");
        return AVERROR(EINVAL);
    }
    pthread_mutex_lock(&ch->ctl);
    if ((take.source = find_source(ch->conf, source)) < 0) {
        snprintf(err, size, "source: channel %s has no source '%s'", ch->id, source);
        ret = AVERROR(ENOENT);
        goto end;
    }
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    preopen(ch, take.source, 0, INT64_MIN);
    frame = change_frame(ch, &wall);
    if (!duration_us) {
        /* until the next program on the timeline starts */
        if ((ret = entry_at(ch, wall, &e, err, size)) < 0)
            goto end;
        take.end = e.end;
    } else {
        take.end = wall + duration_us;
    }
    take.at = wall;
    if ((ret = add_edit(ch, &take, err, size)) < 0)
        goto end;
    event_field_str(&fields, "source", source);
    if (duration_us)
        event_field_seconds(&fields, "duration_seconds", duration_us / 1e6);
    ret = apply_change(ch, "take", frame, wall, &fields, err, size);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

/* The program on air ends at `end` now (planned_us > 0: its as-run plan too). */
static void set_on_air_end(Channel *ch, int64_t end, int64_t planned_us)
{
    pthread_mutex_lock(&ch->lock);
    if (ch->on_air_cue >= 0) {
        ch->info[ch->on_air_cue % MAX_CUES].end = end;
        if (planned_us > 0)
            ch->cues[ch->on_air_cue % MAX_CUES].planned_us = planned_us;
    }
    pthread_mutex_unlock(&ch->lock);
}

int channel_extend(Channel *ch, int64_t by_us, char *err, size_t size)
{
    ScheduleEntry e;
    ScheduleEdit *over, anchor = { .kind = SCHEDULE_EDIT_ANCHOR };
    Buf fields = { 0 };
    int64_t wall, frame, planned_end, end, planned = 0;
    int ret;

    pthread_mutex_lock(&ch->ctl);
    if ((ret = not_on_air(ch, err, size)) < 0)
        goto end;
    frame = change_frame(ch, &wall);
    if ((ret = entry_at(ch, wall, &e, err, size)) < 0)
        goto end;
    if ((over = overlay_at(ch, wall, -2))) {
        /* a take or a held slate runs longer (an open one is open already) */
        if (over->end != INT64_MAX)
            over->end = FFMAX(wall, over->end + by_us);
        end = over->end;
    } else if (e.item < 0) {
        snprintf(err, size, "the slate is on air between programs: no program to extend");
        ret = AVERROR(EBUSY);
        goto end;
    } else {
        /* the end the program would have without `at` items cutting in: an
         * earlier extension's, else its duration's */
        planned_end = e.start - e.offset + ch->conf->schedule.items[e.item].duration;
        for (int i = ch->nedits - 1; i >= 0; i--) {
            const ScheduleEdit *a = &ch->edits[i];
            if (a->kind == SCHEDULE_EDIT_ANCHOR && a->at == e.start && a->item == e.item && a->end > a->at) {
                planned_end = a->end;
                break;
            }
        }
        if (!(e.flags & SCHEDULE_CUT_SHORT))
            planned_end = FFMAX(planned_end, e.end);
        anchor.at = e.start;
        anchor.item = e.item;
        anchor.offset = e.offset;
        /* never into the past: at the shortest it ends with the next frame */
        anchor.end = FFMAX(wall, planned_end + by_us);
        if ((ret = add_edit(ch, &anchor, err, size)) < 0)
            goto end;
        end = anchor.end;
        planned = anchor.end - e.start + e.offset;
    }
    event_field_seconds(&fields, "by_seconds", by_us / 1e6);
    if ((ret = apply_change(ch, "extend", frame, wall, &fields, err, size)) >= 0)
        set_on_air_end(ch, end, planned);
end:
    pthread_mutex_unlock(&ch->ctl);
    return ret;
}

/* ---- reload ---- */

/* Adds `key` to a list of keys, comma separated. */
static void add_key(char *keys, size_t size, const char *key)
{
    size_t len = strlen(keys);
    snprintf(keys + len, size - len, "%s%s", len ? ", " : "", key);
}

static int str_differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static int push_target_differs(const ConfPush *x, const ConfPush *y)
{
    if (strcmp(x->url, y->url) || str_differs(x->name, y->name) || str_differs(x->bearer_env, y->bearer_env) ||
        str_differs(x->basic_user_env, y->basic_user_env) ||
        str_differs(x->basic_password_env, y->basic_password_env) || str_differs(x->ca_file, y->ca_file) ||
        str_differs(x->aws_sigv4, y->aws_sigv4) || str_differs(x->aws_key_env, y->aws_key_env) ||
        str_differs(x->aws_secret_env, y->aws_secret_env) || x->delete_segments != y->delete_segments ||
        x->spool != y->spool || x->timeout != y->timeout || x->retry_max != y->retry_max ||
        x->headers.count != y->headers.count)
        return 1;
    for (int k = 0; k < x->headers.count; k++)
        if (strcmp(x->headers.lines[k], y->headers.lines[k]))
            return 1;
    return 0;
}

/* The push targets of a reload: kept[i] is the index of the running target
 * that new target i goes on as (the same config and the same label: its
 * name, or for one without a name the same index), -1 for one that starts
 * now. Returns 1 when the list changed at all. */
static int push_plan(const ConfOutput *a, const ConfOutput *b, int kept[CONF_PUSH_MAX])
{
    int changed = a->nb_push != b->nb_push;

    for (int i = 0; i < b->nb_push; i++) {
        kept[i] = -1;
        for (int j = 0; j < a->nb_push && kept[i] < 0; j++)
            if (!push_target_differs(&a->push[j], &b->push[i]) && (b->push[i].name || i == j))
                kept[i] = j;
        changed |= kept[i] != i;
    }
    return changed;
}

static int redundancy_same(const ConfRedundancy *a, const ConfRedundancy *b)
{
    if (a->lease != b->lease || a->etcd.count != b->etcd.count)
        return 0;
    for (int i = 0; i < a->etcd.count; i++)
        if (strcmp(a->etcd.urls[i], b->etcd.urls[i]))
            return 0;
    return 1;
}

int channel_reload_check(const Channel *ch, const ChannelConf *next, char *keys, size_t size)
{
    const ChannelConf *cur = ch->conf;
    const ConfOutput *a = &cur->output, *b = &next->output;

    keys[0] = 0;
    if (strcmp(cur->channel, next->channel))
        add_key(keys, size, "channel");
    if (cur->video.width != next->video.width || cur->video.height != next->video.height ||
        av_cmp_q(cur->video.fps, next->video.fps))
        add_key(keys, size, "video");
    if (cur->audio.sample_rate != next->audio.sample_rate || cur->audio.channels != next->audio.channels ||
        cur->audio.bitrate != next->audio.bitrate || cur->audio.loudness != next->audio.loudness)
        add_key(keys, size, "audio");
    if (cur->nb_rungs != next->nb_rungs ||
        memcmp(cur->ladder, next->ladder, sizeof(cur->ladder[0]) * (size_t)cur->nb_rungs))
        add_key(keys, size, "ladder");
    if (str_differs(cur->encoder.backend, next->encoder.backend) ||
        str_differs(cur->encoder.fallback, next->encoder.fallback) ||
        str_differs(cur->encoder.preset, next->encoder.preset))
        add_key(keys, size, "encoder");
    if (strcmp(a->dir, b->dir))
        add_key(keys, size, "output.dir");
    if (a->segment != b->segment)
        add_key(keys, size, "output.segment");
    if (a->window != b->window)
        add_key(keys, size, "output.window");
    if (a->formats != b->formats)
        add_key(keys, size, "output.formats");
    if (a->low_latency.part != b->low_latency.part)
        add_key(keys, size, "output.low_latency");
    if (str_differs(a->serve.listen, b->serve.listen) || a->serve.connections != b->serve.connections ||
        a->serve.per_address != b->serve.per_address || a->serve.idle_timeout != b->serve.idle_timeout)
        add_key(keys, size, "output.serve");
    if (a->ad_markers != b->ad_markers)
        add_key(keys, size, "output.ad_markers");
    if (str_differs(a->interstitials.asset_list, b->interstitials.asset_list) ||
        str_differs(a->interstitials.asset_uri, b->interstitials.asset_uri) ||
        a->interstitials.restrictions != b->interstitials.restrictions)
        add_key(keys, size, "output.interstitials");
    if (!redundancy_same(&cur->redundancy, &next->redundancy))
        add_key(keys, size, "redundancy");
    return keys[0] ? AVERROR(EBUSY) : 0;
}

static int slate_differs(const ConfSlate *a, const ConfSlate *b)
{
    return a->color != b->color || str_differs(a->text, b->text) || str_differs(a->image, b->image);
}

int channel_reload(Channel *ch, ChannelConf *next)
{
    const ChannelConf *old = ch->conf;
    char keys[256];
    Buf text = { 0 }, f = { 0 };
    ScheduleEdit *kept = NULL;
    Webhook *retired = NULL;
    PushConfig push[CONF_PUSH_MAX];
    int push_kept[CONF_PUSH_MAX];
    int nkept = 0, push_changed, ret;

    if ((ret = channel_reload_check(ch, next, keys, sizeof(keys))) < 0)
        goto refused;
    if (ch->nreloaded == FF_ARRAY_ELEMS(ch->reloaded)) {
        log_msg(LOG_ERROR, ch->id, STAGE, "reloaded %d times: restart the channel to reload again",
                ch->nreloaded);
        ret = AVERROR(EBUSY);
        goto refused;
    }
    /* first, as the one step that may fail: the push targets (outside the
     * lock, since the targets that go flush first) */
    if ((push_changed = push_plan(&old->output, &next->output, push_kept))) {
        push_configs(ch, next, push);
        if ((ret = graph_set_push(ch->graph, push, next->output.nb_push, push_kept)) < 0) {
            log_msg(LOG_ERROR, ch->id, STAGE, "output.push: the new targets cannot start: %s", ERRSTR(ret));
            goto refused;
        }
    }
    pthread_mutex_lock(&ch->ctl);
    /* the operator's changes, read against the new conf: what no longer
     * matches an item or a source is dropped */
    if ((ret = schedule_edits_format(ch->edits, ch->nedits, old, &text)) < 0 ||
        (ret = buf_append(&text, "", 1)) < 0 ||
        (ret = schedule_edits_parse((const char *)text.data, next, &kept, &nkept)) < 0) {
        pthread_mutex_unlock(&ch->ctl);
        buf_free(&text);
        goto refused;
    }
    ch->nedits = FFMIN(nkept, EDITS_MAX);
    if (ch->nedits > 0)   /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(ch->edits, kept, sizeof(*kept) * (size_t)ch->nedits);
    free(kept);
    buf_free(&text);

    keys[0] = 0;
    if (push_changed)
        add_key(keys, sizeof(keys), "output.push");
    if (slate_differs(&old->slate, &next->slate)) {
        PlayoutInput *slate = NULL;
        ch->conf = next;
        if (open_slate(ch, &slate) >= 0)
            playout_set_slate(ch->playout, slate);
        else
            log_msg(LOG_WARN, ch->id, STAGE, "the new slate cannot be drawn; the old one stays");
        add_key(keys, sizeof(keys), "slate");
    }
    ch->conf = next;
    ch->reloaded[ch->nreloaded++] = next;
    if (str_differs(old->events.url, next->events.url) ||
        str_differs(old->events.secret_env, next->events.secret_env)) {
        /* the new one subscribes before the old one goes: an event in
         * between may reach both, none is lost */
        retired = ch->webhook;
        ch->webhook = NULL;
        if (next->events.url && open_webhook(ch) < 0)
            log_msg(LOG_WARN, ch->id, STAGE, "events.url: the new webhook cannot be set up; events stay here");
        add_key(keys, sizeof(keys), "events");
    }
    /* from the horizon on, the new timeline is cued: a change further ahead
     * than the pre-roll airs on its frame */
    save_edits(ch);
    pthread_mutex_unlock(&ch->ctl);
    webhook_free(&retired);

    event_field_str(&f, "file", next->path);
    if (keys[0])
        event_field_str(&f, "changed", keys);
    event_emit(ch->id, EVENT_RELOAD, (const char *)f.data);
    buf_free(&f);
    return 0;
refused:
    conf_free(&next);
    return ret;
}

const ChannelConf *channel_conf(const Channel *ch)
{
    return ch->conf;
}

/* ---- reading: the channel and its timeline as JSON ---- */

static void json_time(Buf *b, const char *key, int64_t wall)
{
    char when[40];

    buf_printf(b, ",\"%s\":", key);
    if (wall == INT64_MAX || wall == INT64_MIN) {
        buf_printf(b, "null");
        return;
    }
    clock_format_iso(wall, when, sizeof(when));
    buf_printf(b, "\"%s\"", when);
}

static void json_str_or_null(Buf *b, const char *key, const char *value)
{
    buf_printf(b, ",\"%s\":", key);
    if (value)
        json_append_string(b, value);
    else
        buf_printf(b, "null");
}

static const char *const flag_names[] = {
    "gap", "at", "daily", "cut_short", "joined", "dst_shifted", "dst_ambiguous", "open_end",
    "taken", "held", "edited", "resumed", "break",
};

/* An entry of the timeline: {"start":..,"end":..,"title":..,...} */
static void json_entry(Buf *b, const ChannelConf *conf, const ScheduleEntry *e)
{
    int first = 1;

    buf_printf(b, "{\"title\":");
    json_append_string(b, e->title ? e->title : conf->slate.text);
    json_str_or_null(b, "source", e->source >= 0 ? conf->sources[e->source].name : NULL);
    buf_printf(b, ",\"item\":%d,\"kind\":\"%s\"", e->item, entry_kind(e->flags, e->source));
    json_time(b, "start", e->start);
    json_time(b, "end", e->end);
    buf_printf(b, ",\"flags\":[");
    for (int i = 0; i < (int)FF_ARRAY_ELEMS(flag_names); i++) {
        if (e->flags & (1u << i)) {
            buf_printf(b, "%s\"%s\"", first ? "" : ",", flag_names[i]);
            first = 0;
        }
    }
    buf_printf(b, "]}");
}

int channel_schedule_json(Channel *ch, int64_t hours_us, Buf *out)
{
    int64_t now = clock_wall_us();
    Timeline *tl = NULL;
    int ret;

    pthread_mutex_lock(&ch->ctl);
    if ((ret = resolve(ch, now, now + hours_us, &tl)) < 0)
        goto end;
    buf_printf(out, "{\"channel\":\"%s\"", ch->id);
    json_time(out, "from", now);
    json_time(out, "to", now + hours_us);
    buf_printf(out, ",\"entries\":[");
    for (int i = 0; i < tl->count; i++) {
        if (i)
            buf_printf(out, ",");
        json_entry(out, ch->conf, &tl->entries[i]);
    }
    ret = buf_printf(out, "]}");
end:
    pthread_mutex_unlock(&ch->ctl);
    schedule_timeline_free(&tl);
    return ret;
}

/* A push target of the channel object, an element of its "push" list. */
static void json_push_target(void *opaque, const char *name, const PushStats *st)
{
    Buf *out = opaque;

    if (out->data[out->len - 1] != '[')
        buf_printf(out, ",");
    buf_printf(out, "{\"target\":");
    json_append_string(out, name);
    buf_printf(out, ",\"ok\":%s,\"last_status\":%d,\"pushed\":%" PRId64 ",\"failures\":%" PRId64
               ",\"dropped\":%" PRId64 ",\"waiting_files\":%" PRId64 ",\"spool_bytes\":%" PRId64 "}",
               st->failing ? "false" : "true", st->last_status, st->pushed,
               st->failures, st->dropped, st->queued_files, st->queued_bytes);
}

int channel_status_json(Channel *ch, Buf *out)
{
    int64_t now = clock_wall_us(), published;
    ScheduleEntry next = { 0 };
    CueInfo info = { 0 };
    AsRunProgram prog = { 0 };
    enum Role role;
    int have_next = 0, on_air, running = channel_running(ch);
    const char *state;
    const ChannelConf *conf;

    pthread_mutex_lock(&ch->ctl);
    conf = ch->conf;
    pthread_mutex_lock(&ch->lock);
    on_air = ch->on_air_cue >= 0;
    if (on_air) {
        info = ch->info[ch->on_air_cue % MAX_CUES];
        prog = ch->cues[ch->on_air_cue % MAX_CUES];
    }
    role = ch->role;
    pthread_mutex_unlock(&ch->lock);
    if (on_air && info.end != INT64_MAX) {
        Timeline *tl = NULL;
        if (resolve(ch, FFMAX(info.end, now), FFMAX(info.end, now) + 1, &tl) >= 0 && tl->count) {
            next = tl->entries[0];
            have_next = 1;
        }
        schedule_timeline_free(&tl);
    }

    buf_printf(out, "{\"id\":\"%s\",\"title\":", ch->id);
    json_append_string(out, conf->title);
    if (!running && !atomic_load(&ch->started))
        state = "starting";
    else if (!running)
        state = graph_failed(graph_head_result(ch->graph), 0) || atomic_load(&ch->started) < 0 ? "failed" : "stopped";
    else
        state = on_air ? "on_air" : "starting";
    buf_printf(out, ",\"state\":\"%s\"", state);
    buf_printf(out, ",\"now\":");
    if (on_air) {
        buf_printf(out, "{\"title\":");
        json_append_string(out, prog.title);
        json_str_or_null(out, "source", prog.source);
        buf_printf(out, ",\"role\":\"%s\",\"item\":%d,\"kind\":\"%s\"", role_names[role], info.item,
                   entry_kind(info.flags, info.source));
        json_time(out, "started", info.start);
        json_time(out, "ends", info.end);
        buf_printf(out, "}");
    } else {
        buf_printf(out, "null");
    }
    buf_printf(out, ",\"next\":");
    if (have_next) {
        buf_printf(out, "{\"title\":");
        json_append_string(out, next.title ? next.title : conf->slate.text);
        json_str_or_null(out, "source", next.source >= 0 ? conf->sources[next.source].name : NULL);
        buf_printf(out, ",\"item\":%d,\"kind\":\"%s\"", next.item, entry_kind(next.flags, next.source));
        json_time(out, "starts", next.start);
        buf_printf(out, "}");
    } else {
        buf_printf(out, "null");
    }
    buf_printf(out, ",\"sources\":[");
    /* every source of the conf, so that a page can offer each to take;
     * healthy only where it is known: a live one on air */
    for (int i = 0; i < conf->nb_sources; i++) {
        const ConfSource *src = &conf->sources[i];
        int live = source_live(src), this_on_air = on_air && info.source == i;
        buf_printf(out, "%s{\"name\":", i ? "," : "");
        json_append_string(out, src->name);
        buf_printf(out, ",\"live\":%s,\"on_air\":%s,\"healthy\":%s}", live ? "true" : "false",
                   this_on_air ? "true" : "false",
                   !live || !this_on_air ? "null" : role == ROLE_PRIMARY ? "true" : "false");
    }
    buf_printf(out, "],\"push\":[");
    graph_push_targets(ch->graph, json_push_target, out);
    buf_printf(out, "]");
    published = graph_last_publish_us(ch->graph);
    if (published > 0)
        buf_printf(out, ",\"last_segment_age_seconds\":%.3f", (now - published) / 1e6);
    else
        buf_printf(out, ",\"last_segment_age_seconds\":null");
    buf_printf(out, ",\"frame\":%" PRId64, playout_next_frame(ch->playout));
    json_str_or_null(out, "playlist", ch->playlist_url[0] ? ch->playlist_url : NULL);
    if (ch->red) {
        RedundancyStatus rs;
        redundancy_status(ch->red, &rs);
        buf_printf(out, ",\"pair\":{\"instance\":");
        json_append_string(out, ch->opt.instance);
        buf_printf(out, ",\"role\":\"%s\"", rs.leader ? "leader" : "standby");
        json_str_or_null(out, "holder", rs.holder[0] ? rs.holder : NULL);
        buf_printf(out, ",\"takeovers\":%" PRId64 ",\"etcd_ok\":%s}", rs.takeovers, rs.etcd_ok ? "true" : "false");
    } else {
        buf_printf(out, ",\"pair\":null");
    }
    pthread_mutex_unlock(&ch->ctl);
    return buf_printf(out, "}");
}

/* How late the output is: the age of the last segment, last_us (published:
 * graph_last_publish_us; cut: graph_last_cut_us), beyond what a segment on
 * time has (its length, and the grace below); 0: on time. */
#define LATE_GRACE_US 2000000

static int64_t late_since(Channel *ch, int64_t last_us, int64_t now)
{
    int64_t allowed = ch->grid.segment_us + FFMAX(LATE_GRACE_US, ch->grid.segment_us);

    if (!last_us)
        return 0;
    return now - last_us > allowed ? now - last_us - ch->grid.segment_us : 0;
}

int channel_in_step(Channel *ch, int *standby, char *why, size_t size)
{
    int64_t cut, late;

    *standby = ch->red && !redundancy_may_publish(ch->red, NULL);
    if (!channel_running(ch)) {
        snprintf(why, size, atomic_load(&ch->started) ? "failed" : "starting");
        return 0;
    }
    if (ch->on_air_cue < 0 || !(cut = graph_last_cut_us(ch->graph))) {
        snprintf(why, size, "starting");
        return 0;
    }
    if ((late = late_since(ch, cut, clock_wall_us())) > 0) {
        snprintf(why, size, "late by %.1f s", late / 1e6);
        return 0;
    }
    return 1;
}

int channel_ready(Channel *ch, char *why, size_t size)
{
    int64_t published, late;
    int standby;

    if (!channel_in_step(ch, &standby, why, size))
        return 0;
    /* in time, and yet what it cut is not out (a full disk) */
    if (!(published = graph_last_publish_us(ch->graph))) {
        snprintf(why, size, "starting");
        return 0;
    }
    if ((late = late_since(ch, published, clock_wall_us())) > 0) {
        snprintf(why, size, "late by %.1f s (its output cannot be written)", late / 1e6);
        return 0;
    }
    if (standby) {
        snprintf(why, size, "standby");
        return 0;
    }
    return 1;
}

/* Emits "late" when the output falls behind (once, until it is on time again). */
static void watch_lateness(Channel *ch)
{
    int64_t late = late_since(ch, graph_last_publish_us(ch->graph), clock_wall_us());

    if (late > 0 && !ch->late) {
        Buf f = { 0 };
        event_field_seconds(&f, "late_seconds", late / 1e6);
        event_emit(ch->id, EVENT_LATE, (const char *)f.data);
        log_msg(LOG_WARN, ch->id, STAGE, "no segment published for %.1f s",
                (late + ch->grid.segment_us) / 1e6);
        buf_free(&f);
    }
    ch->late = late > 0;
}

/* Why the slate airs now, or -1 when it does not: the playout says whether
 * its last frame was the slate (as onair_source_active{role="slate"}); the
 * program on air and the role its events left say why. */
static int slate_reason(Channel *ch)
{
    PlayoutStats st;
    int reason = -1;

    if (!channel_running(ch))
        return -1;
    playout_stats(ch->playout, &st);
    if (!st.frames_out || st.role != PLAYOUT_ROLE_SLATE)
        return -1;
    pthread_mutex_lock(&ch->lock);
    if (ch->on_air_cue >= 0) {
        const CueInfo *info = &ch->info[ch->on_air_cue % MAX_CUES];
        /* a primary that failed over to a backup which went silent too is
         * still the input lost */
        reason = info->flags & SCHEDULE_HELD || info->source < 0 ? (int)entry_slate_reason(info->flags)
               : ch->role != ROLE_PRIMARY ? SLATE_INPUT_LOSS : SLATE_NO_PICTURE;
    }
    pthread_mutex_unlock(&ch->lock);
    return reason;
}

void channel_metrics(Channel *ch, MetricVisit visit, void *opaque)
{
    char why[64];
    MetricSample up = { .id = METRIC_CHANNEL_UP, .value = channel_running(ch) };
    MetricSample ready = { .id = METRIC_CHANNEL_READY, .value = channel_ready(ch, why, sizeof(why)) };
    int reason = slate_reason(ch);

    MetricSample breaks = { .id = METRIC_AD_BREAKS }, break_seconds = { .id = METRIC_AD_BREAK_SECONDS };

    pthread_mutex_lock(&ch->lock);
    breaks.value = (double)ch->ad_breaks;
    break_seconds.value = frames_seconds(ch, ch->ad_break_frames);
    pthread_mutex_unlock(&ch->lock);
    visit(opaque, &up);
    visit(opaque, &ready);
    visit(opaque, &breaks);
    visit(opaque, &break_seconds);
    {
        RedundancyStatus rs = { .leader = 1 };
        if (ch->red)
            redundancy_status(ch->red, &rs);
        MetricSample leader = { .id = METRIC_LEADER, .value = rs.leader };
        MetricSample takeovers = { .id = METRIC_TAKEOVERS, .value = (double)rs.takeovers };
        visit(opaque, &leader);
        visit(opaque, &takeovers);
    }
    for (int r = 0; r < SLATE_REASONS; r++) {
        MetricSample s = { .id = METRIC_SLATE_REASON, .labels = { slate_reasons[r] }, .value = r == reason };
        visit(opaque, &s);
    }
    graph_metrics(ch->graph, visit, opaque);
}
