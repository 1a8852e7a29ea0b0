/*
 * A channel on air — the wiring of a live channel.
 *
 *   supervisor ──cues──► playout ──canvas frames──► rung (largest) ──► rung (cascaded) ...
 *   (timeline,            │  (output clock,            │ packets           │ packets
 *    pre-roll,            │   slate, failover)         ▼                   ▼
 *    as-run log)          └──audio──► AAC ──packets──► live packager ──► OUTDIR (+ served)
 *                                                                │ each file published / deleted
 *                                                                ▼
 *                                                    pushers: one per push target (own thread)
 *
 * The supervisor resolves the timeline a few seconds ahead of the wall
 * clock and, for each program, opens its source (and backup) and cues it on
 * the playout at the first frame whose air time is at or after the
 * program's start. The playout is the channel's clock: frame n airs at
 * epoch + (n - first_frame) / fps; a restart continues the frame count from
 * the state the packager keeps, so names, sequences and timestamps go on.
 */
#include "schedule.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/mathematics.h>

#include "encoder/encoder.h"
#include "packager/packager.h"
#include "transcoder/transcoder.h"

#define STAGE "channel"
#define FRAME_QUEUE 8
#define AUDIO_QUEUE 64
#define PACKET_QUEUE 512
#define SUPERVISOR_TICK_US 100000
/* the first frame airs this long after start: the first program's source is
 * open and decoding by then */
#define START_DELAY_US 1500000
#define MAX_CUES 4096
/* push counters are logged this often while they change or fail */
#define PUSH_REPORT_US 60000000

/* What was cued, for the as-run log. */
typedef struct CueInfo {
    int id;
    int64_t scheduled_us;     /* the timeline's start (or when the channel joined it) */
    int64_t planned_us;       /* the item's duration */
    int source;               /* -1: the slate */
    char title[128];
} CueInfo;

/* The program on air, as it actually went. */
typedef struct AsRun {
    int active;
    CueInfo cue;
    int64_t start_frame;
    int failovers;
    int64_t down_frame;       /* frame the primary went silent, -1 when up */
    int down_on_backup;
    int64_t slate_frames, backup_frames;
} AsRun;

typedef struct Job {
    struct Channel *ch;
    int index;
} Job;

struct Channel {
    const ChannelConf *conf;
    ChannelOptions opt;
    char id[64];
    AVRational fps;
    SegmentGrid grid;
    int64_t epoch_us, first_frame, channel_start_us, run_start_us;
    int resumed;

    Playout *playout;
    RungEncoder *rungs[LADDER_MAX];
    int nrungs, parent[LADDER_MAX];
    int64_t one_thread_decode_pps;   /* for the sources: SourceConfig */
    AudioEncoder *audio;
    Packager *packager;
    Pusher *pushers[CONF_PUSH_MAX];
    int npushers;
    PushStats push_seen[CONF_PUSH_MAX];   /* at the last report */
    int64_t push_reported_us;
    Queue *rung_in[LADDER_MAX], *pcm, *packets;
    PackagerStream vstreams[LADDER_MAX], astream;

    Queue *roots[LADDER_MAX];     /* the rungs that scale from the canvas */
    pthread_t threads[LADDER_MAX + 4];
    Job jobs[LADDER_MAX + 4];
    int nthreads;
    atomic_int running;
    atomic_int stop;
    int ret;
    pthread_mutex_t lock;     /* ret, cues, as-run */

    int64_t cued_until;       /* the timeline is cued up to this wall time */
    int next_cue_id;
    CueInfo cues[MAX_CUES];   /* a ring by id */
    AsRun asrun;
    FILE *asrun_file;
};


const char *channel_id(const Channel *ch)
{
    return ch->id;
}

int channel_running(const Channel *ch)
{
    return atomic_load(&ch->running) > 0;
}

static int64_t air_time(const Channel *ch, int64_t frame)
{
    return ch->epoch_us + av_rescale((frame - ch->first_frame) * 1000000, ch->fps.den, ch->fps.num);
}

/* The first frame airing at or after wall time t. */
static int64_t frame_at(const Channel *ch, int64_t t)
{
    if (t <= ch->epoch_us)
        return ch->first_frame;
    return ch->first_frame + av_rescale_rnd(t - ch->epoch_us, ch->fps.num, (int64_t)ch->fps.den * 1000000,
                                            AV_ROUND_UP);
}

static void fail(Channel *ch, int ret)
{
    pthread_mutex_lock(&ch->lock);
    if (!ch->ret)
        ch->ret = ret;
    pthread_mutex_unlock(&ch->lock);
}

/* ---- sources ---- */

static void color_string(char *out, size_t size, uint32_t rgb)
{
    snprintf(out, size, "#%06x", rgb & 0xffffff);
}

/* A source of the conf as a playout input, starting `offset_us` into it. */
static int open_input(Channel *ch, int index, int64_t offset_us, int64_t cue_wall, PlayoutInput **in)
{
    const ChannelConf *c = ch->conf;
    const ConfSource *src = &c->sources[index];
    char color[16];
    SourceConfig sc = {
        .url = src->name, .channel = ch->id,
        .canvas_width = c->video.width, .canvas_height = c->video.height, .out_fps = c->video.fps,
        .out_sample_rate = c->audio.sample_rate, .out_channels = c->audio.channels,
        .color = color, .text = c->slate.text, .image = c->slate.image, .clock_epoch_us = cue_wall,
        .one_thread_decode_pps = ch->one_thread_decode_pps,
    };
    int live = 0;

    color_string(color, sizeof(color), c->slate.color);
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
        live = 1;
        break;
    }
    return playout_input_start(in, &sc, live);
}

static int open_backup(Channel *ch, int index, int64_t cue_wall, PlayoutInput **in)
{
    const ConfSource *src = &ch->conf->sources[index];
    const ChannelConf *c = ch->conf;

    *in = NULL;
    if (src->backup_source >= 0)
        return open_input(ch, src->backup_source, 0, cue_wall, in);
    if (src->backup) {
        SourceConfig sc = {
            .url = src->backup, .channel = ch->id, .reconnect = 1, .stall_timeout_us = src->timeout,
            .canvas_width = c->video.width, .canvas_height = c->video.height, .out_fps = c->video.fps,
            .out_sample_rate = c->audio.sample_rate, .out_channels = c->audio.channels,
            .one_thread_decode_pps = ch->one_thread_decode_pps,
        };
        return playout_input_start(in, &sc, 1);
    }
    return 0;
}

static int open_slate(Channel *ch, PlayoutInput **in)
{
    const ChannelConf *c = ch->conf;
    char color[16];
    SourceConfig sc = {
        .url = "slate", .channel = ch->id, .generate = GENERATE_SLATE, .color = color,
        .text = c->slate.text, .image = c->slate.image,
        .canvas_width = c->video.width, .canvas_height = c->video.height, .out_fps = c->video.fps,
        .out_sample_rate = c->audio.sample_rate, .out_channels = c->audio.channels,
    };

    color_string(color, sizeof(color), c->slate.color);
    return playout_input_start(in, &sc, 0);
}

/* ---- the supervisor ---- */

static int cue_entry(Channel *ch, const ScheduleEntry *e)
{
    int64_t start = FFMAX(e->start, ch->run_start_us);
    int64_t frame = frame_at(ch, start), wall = air_time(ch, frame);
    PlayoutInput *primary = NULL, *backup = NULL;
    CueInfo *ci;
    int id = ch->next_cue_id++, ret;

    if (e->source >= 0) {
        /* joined in progress (a restart, or an `at` already on air) */
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
    ci = &ch->cues[id % MAX_CUES];
    ci->id = id;
    ci->scheduled_us = start;
    ci->planned_us = e->item >= 0 ? ch->conf->schedule.items[e->item].duration : e->end - e->start;
    ci->source = e->source;
    snprintf(ci->title, sizeof(ci->title), "%s", e->title ? e->title : ch->conf->slate.text);
    pthread_mutex_unlock(&ch->lock);
    return playout_cue(ch->playout, frame, id,
                       primary, backup, e->source >= 0 ? ch->conf->sources[e->source].timeout : 0);
}

static int supervise_once(Channel *ch)
{
    int64_t horizon = clock_wall_us() + ch->opt.preroll_us;
    Timeline *tl = NULL;
    int ret;

    if (ch->cued_until >= horizon)
        return 0;
    if ((ret = schedule_resolve(ch->conf, ch->channel_start_us, ch->cued_until, horizon, &tl)) < 0)
        return ret;
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
    return ret;
}

/* ---- as-run ---- */

static void json_escape(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void iso(char *out, int64_t us)
{
    clock_format_iso(us, out, 32);
}

/* One line per program, written when it ends: what the broadcaster keeps. */
static void asrun_close(Channel *ch, int64_t end_frame)
{
    AsRun *a = &ch->asrun;
    char sched[32], actual[32];
    int64_t frames = end_frame - a->start_frame;

    if (!a->active || !ch->asrun_file)
        return;
    if (a->down_frame >= 0)
        *(a->down_on_backup ? &a->backup_frames : &a->slate_frames) += end_frame - a->down_frame;
    iso(sched, a->cue.scheduled_us);
    iso(actual, air_time(ch, a->start_frame));
    fprintf(ch->asrun_file, "{\"channel\":");
    json_escape(ch->asrun_file, ch->id);
    fprintf(ch->asrun_file, ",\"title\":");
    json_escape(ch->asrun_file, a->cue.title);
    fprintf(ch->asrun_file, ",\"source\":");
    json_escape(ch->asrun_file, a->cue.source >= 0 ? ch->conf->sources[a->cue.source].name : "slate");
    fprintf(ch->asrun_file, ",\"scheduled_start\":\"%s\",\"actual_start\":\"%s\",\"start_frame\":%" PRId64
            ",\"duration\":%.3f,\"planned_duration\":%.3f,\"failovers\":%d,\"backup_seconds\":%.3f,"
            "\"slate_seconds\":%.3f}\n", sched, actual, a->start_frame,
            frames * av_q2d(av_inv_q(ch->fps)), a->cue.planned_us / 1e6, a->failovers,
            a->backup_frames * av_q2d(av_inv_q(ch->fps)),
            (a->slate_frames + (a->cue.source < 0 ? frames : 0)) * av_q2d(av_inv_q(ch->fps)));
    fflush(ch->asrun_file);
    a->active = 0;
}

static void on_event(void *opaque, const PlayoutEvent *ev)
{
    Channel *ch = opaque;
    AsRun *a = &ch->asrun;

    pthread_mutex_lock(&ch->lock);
    switch (ev->type) {
    case PLAYOUT_PROGRAM:
        asrun_close(ch, ev->frame);
        a->active = 1;
        a->cue = ch->cues[ev->cue_id % MAX_CUES];
        a->start_frame = ev->frame;
        a->failovers = 0;
        a->down_frame = -1;
        a->slate_frames = a->backup_frames = 0;
        packager_program(ch->packager, a->cue.title, ev->frame, a->cue.planned_us);
        log_msg(LOG_INFO, ch->id, STAGE, "on air: %s (frame %" PRId64 ")", a->cue.title, ev->frame);
        break;
    case PLAYOUT_FAILOVER:
        a->failovers++;
        a->down_frame = ev->frame;
        a->down_on_backup = ev->on_backup;
        break;
    case PLAYOUT_RECOVERED:
        if (a->down_frame >= 0)
            *(a->down_on_backup ? &a->backup_frames : &a->slate_frames) += ev->frame - a->down_frame;
        a->down_frame = -1;
        break;
    }
    pthread_mutex_unlock(&ch->lock);
}

/* ---- push ---- */

static void on_published(void *opaque, const char *path, enum PublishedKind kind)
{
    Channel *ch = opaque;
    for (int i = 0; i < ch->npushers; i++)
        pusher_published(ch->pushers[i], path, kind);
}

static void on_deleted(void *opaque, const char *path)
{
    Channel *ch = opaque;
    for (int i = 0; i < ch->npushers; i++)
        pusher_deleted(ch->pushers[i], path);
}

static void fmt_ms(char *out, size_t size, int64_t us)
{
    snprintf(out, size, us < 10000 ? "%.1f" : "%.0f", us / 1000.0);
}

/* One line per target: what went, what failed, and how long publishing took. */
static void push_report(Channel *ch, int final)
{
    for (int i = 0; i < ch->npushers; i++) {
        PushStats st, *seen = &ch->push_seen[i];
        char m50[16], m99[16], mmax[16], p50[16], p99[16], pmax[16];
        int failing;

        pusher_stats(ch->pushers[i], &st);
        failing = st.failures > seen->failures || st.dropped > seen->dropped;
        if (!final && !failing && st.pushed == seen->pushed && st.deleted == seen->deleted)
            continue;
        fmt_ms(m50, sizeof(m50), st.media_p50_us);
        fmt_ms(m99, sizeof(m99), st.media_p99_us);
        fmt_ms(mmax, sizeof(mmax), st.media_max_us);
        fmt_ms(p50, sizeof(p50), st.playlist_p50_us);
        fmt_ms(p99, sizeof(p99), st.playlist_p99_us);
        fmt_ms(pmax, sizeof(pmax), st.playlist_max_us);
        log_msg(failing || (final && (st.queued_files || st.dropped)) ? LOG_WARN : LOG_NOTICE, ch->id,
                "push", "push to %s%s: %" PRId64 " files pushed (%.1f MiB), %" PRId64 " deleted, "
                "%" PRId64 " failed requests (last HTTP status %d), %" PRId64 " dropped, %" PRId64
                " skipped, %" PRId64 " superseded, %" PRId64 " waiting; publish latency: media p50 %s "
                "ms p99 %s ms max %s ms (%" PRId64 "), playlists p50 %s ms p99 %s ms max %s ms (%" PRId64 ")",
                pusher_target(ch->pushers[i]), final ? " (end of run)" : "", st.pushed,
                st.pushed_bytes / 1048576.0, st.deleted, st.failures, st.last_status, st.dropped,
                st.skipped, st.superseded, st.queued_files, m50, m99, mmax, st.media_count, p50, p99,
                pmax, st.playlist_count);
        *seen = st;
    }
}

/* Nothing more is published: every target flushes at once (each bounded),
 * then the last word on each. */
static void push_finish(Channel *ch)
{
    if (!ch->npushers)
        return;
    for (int i = 0; i < ch->npushers; i++)
        pusher_stop(ch->pushers[i]);
    for (int i = 0; i < ch->npushers; i++)
        pusher_wait(ch->pushers[i]);
    push_report(ch, 1);
    for (int i = 0; i < ch->npushers; i++)
        pusher_free(&ch->pushers[i]);
    ch->npushers = 0;
}

/* ---- threads ---- */

static void stop_all(Channel *ch)
{
    atomic_store(&ch->stop, 1);
    if (ch->playout)
        playout_stop(ch->playout);
    for (int i = 0; i < ch->nrungs; i++)
        if (ch->rung_in[i])
            queue_abort(ch->rung_in[i]);
    if (ch->pcm)
        queue_abort(ch->pcm);
    if (ch->packets)
        queue_abort(ch->packets);
}

static int failed(int ret)
{
    return ret < 0 && ret != AVERROR_EOF && ret != AVERROR_EXIT;
}

static void *supervisor_thread(void *arg)
{
    Channel *ch = ((Job *)arg)->ch;
    int ret = 0;

    thread_set_name("supervisor");
    while (!atomic_load(&ch->stop)) {
        if ((ret = supervise_once(ch)) < 0) {
            log_msg(LOG_ERROR, ch->id, STAGE, "the timeline cannot be resolved: %s", ERRSTR(ret));
            fail(ch, ret);
            stop_all(ch);
            break;
        }
        if (ch->npushers && clock_monotonic_us() - ch->push_reported_us >= PUSH_REPORT_US) {
            push_report(ch, 0);
            ch->push_reported_us = clock_monotonic_us();
        }
        for (int i = 0; i < SUPERVISOR_TICK_US / 10000 && !atomic_load(&ch->stop); i++) {
            struct timespec ts = { 0, 10 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    atomic_fetch_sub(&ch->running, 1);
    return NULL;
}

static void *playout_thread(void *arg)
{
    Channel *ch = ((Job *)arg)->ch;
    int ret;

    thread_set_name("playout");
    ret = playout_run(ch->playout, 0);

    if (failed(ret)) {
        fail(ch, ret);
        stop_all(ch);
    }
    /* the supervisor has nothing left to cue for */
    atomic_store(&ch->stop, 1);
    atomic_fetch_sub(&ch->running, 1);
    return NULL;
}

static void *rung_thread(void *arg)
{
    Job *j = arg;
    Channel *ch = j->ch;
    Queue *children[LADDER_MAX];
    int n = 0, ret;

    for (int i = 0; i < ch->nrungs; i++)
        if (ch->parent[i] == j->index)
            children[n++] = ch->rung_in[i];
    ret = rung_encoder_run(ch->rungs[j->index], ch->rung_in[j->index], children, n, ch->packets);
    if (failed(ret)) {
        fail(ch, ret);
        stop_all(ch);
    }
    atomic_fetch_sub(&ch->running, 1);
    return NULL;
}

static void *audio_thread(void *arg)
{
    Channel *ch = ((Job *)arg)->ch;
    int ret;

    thread_set_name("audio");
    ret = audio_encoder_run(ch->audio, ch->pcm, ch->packets);

    if (failed(ret)) {
        fail(ch, ret);
        stop_all(ch);
    }
    atomic_fetch_sub(&ch->running, 1);
    return NULL;
}

static void *packager_thread(void *arg)
{
    Channel *ch = ((Job *)arg)->ch;
    int ret;

    thread_set_name("packager");
    ret = packager_run(ch->packager, ch->packets);

    if (ret < 0) {
        fail(ch, ret);
        stop_all(ch);
    }
    atomic_fetch_sub(&ch->running, 1);
    return NULL;
}

/* ---- building ---- */

int channel_new(Channel **out, const ChannelConf *conf, const ChannelOptions *opt)
{
    Channel *ch = calloc(1, sizeof(*ch));
    const EncoderBackend *backend;
    PlayoutInput *slate = NULL;
    char reason[256], path[4200];
    int w[LADDER_MAX], h[LADDER_MAX], threads[LADDER_MAX], ret;
    int64_t next_frame = 0, start = 0;

    *out = NULL;
    if (!ch)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&ch->lock, NULL);
    ch->conf = conf;
    ch->opt = *opt;
    if (ch->opt.preroll_us <= 0)
        ch->opt.preroll_us = 3000000;
    if (ch->opt.cores < 1)
        ch->opt.cores = 1;
    snprintf(ch->id, sizeof(ch->id), "%s", conf->channel);
    ch->fps = conf->video.fps;
    ch->grid = (SegmentGrid){ .fps = ch->fps, .segment_us = conf->output.segment };

    if ((ret = path_mkdirs(conf->output.dir)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "output.dir %s: %s", conf->output.dir, ERRSTR(ret));
        goto fail;
    }
    /* a restart continues what was published */
    ch->resumed = packager_resume_point(conf->output.dir, &next_frame, &start) >= 0;
    ch->first_frame = ch->resumed ? next_frame : 0;
    ch->run_start_us = clock_wall_us() + START_DELAY_US;
    ch->channel_start_us = ch->resumed && start > 0 ? start : ch->run_start_us;
    /* the first frame airs on a whole frame of the wall clock */
    ch->epoch_us = ch->run_start_us;
    ch->cued_until = ch->run_start_us;
    if (ch->resumed)
        log_msg(LOG_NOTICE, ch->id, STAGE, "resuming at frame %" PRId64 " (the channel started %.0f s ago)",
                ch->first_frame, (ch->run_start_us - ch->channel_start_us) / 1e6);

    /* encoders */
    if ((ret = encoder_backend_pick(conf->encoder.backend, &backend, reason, sizeof(reason))) < 0) {
        if (strcmp(conf->encoder.fallback, "none") &&
            encoder_backend_pick(conf->encoder.fallback, &backend, reason, sizeof(reason)) >= 0) {
            log_msg(LOG_WARN, ch->id, STAGE, "encoder %s is not usable; using %s", conf->encoder.backend,
                    backend->name);
        } else {
            log_msg(LOG_ERROR, ch->id, STAGE, "encoder %s: %s", conf->encoder.backend, reason);
            goto fail;
        }
    }
    ch->nrungs = conf->nb_rungs;
    for (int i = 0; i < ch->nrungs; i++)
        rung_fit(conf->video.width, conf->video.height, (AVRational){ 1, 1 }, conf->ladder[i].width,
                 conf->ladder[i].height, &w[i], &h[i]);
    encoder_plan_cascade(w, h, ch->nrungs, conf->video.width, conf->video.height, ch->parent);
    encoder_budget_threads(w, h, ch->nrungs, ch->opt.cores, threads);
    ch->one_thread_decode_pps = encoder_budget_decode(w, h, ch->nrungs, ch->fps, ch->opt.cores, backend,
                                                      conf->encoder.preset);
    for (int i = 0; i < ch->nrungs; i++) {
        RungConfig rc = {
            .backend = backend,
            .fallback = backend->hardware && strcmp(conf->encoder.fallback, "none") ? &encoder_x264 : NULL,
            .params = {
                .width = w[i], .height = h[i], .fps = ch->fps, .bitrate = conf->ladder[i].bitrate,
                .preset = conf->encoder.preset, .threads = threads[i],
                .max_keyint = grid_max_segment_frames(&ch->grid),
                .low_latency = conf->output.low_latency.part > 0,
                .channel = ch->id, .name = conf->ladder[i].name,
            },
            .grid = ch->grid,
            .rendition = i,
        };
        if ((ret = rung_encoder_new(&ch->rungs[i], &rc)) < 0 ||
            (ret = queue_new(&ch->rung_in[i], FRAME_QUEUE, 1, queue_free_frame)) < 0)
            goto fail;
        ch->vstreams[i] = (PackagerStream){ conf->ladder[i].name, rung_encoder_codecpar(ch->rungs[i]),
                                            av_inv_q(ch->fps) };
    }
    {
        AudioConfig ac = {
            .in_sample_rate = conf->audio.sample_rate, .in_fmt = AV_SAMPLE_FMT_FLTP,
            .sample_rate = conf->audio.sample_rate, .channels = conf->audio.channels,
            .bitrate = conf->audio.bitrate, .rendition = ch->nrungs, .channel = ch->id,
            .loudness = conf->audio.loudness,
            .start_pts = av_rescale_rnd(ch->first_frame, (int64_t)conf->audio.sample_rate * ch->fps.den,
                                        ch->fps.num, AV_ROUND_DOWN),
        };
        av_channel_layout_default(&ac.in_layout, conf->audio.channels);
        if ((ret = audio_encoder_new(&ch->audio, &ac)) < 0 ||
            (ret = queue_new(&ch->pcm, AUDIO_QUEUE, 1, queue_free_frame)) < 0)
            goto fail;
        ch->astream = (PackagerStream){ "audio", audio_encoder_codecpar(ch->audio),
                                        { 1, conf->audio.sample_rate } };
    }
    if ((ret = queue_new(&ch->packets, PACKET_QUEUE, ch->nrungs + 1, queue_free_packet)) < 0)
        goto fail;
    /* the pushers follow the packager from its first file */
    for (int i = 0; i < conf->output.nb_push; i++) {
        const ConfPush *t = &conf->output.push[i];
        PushConfig pc = {
            .url = t->url, .bearer_env = t->bearer_env, .basic_user_env = t->basic_user_env,
            .basic_password_env = t->basic_password_env,
            .headers = (const char *const *)t->headers.lines, .nheaders = t->headers.count,
            .ca_file = t->ca_file, .aws_sigv4 = t->aws_sigv4, .aws_key_env = t->aws_key_env,
            .aws_secret_env = t->aws_secret_env, .delete_segments = t->delete_segments,
            .retry_max_us = t->retry_max, .spool_bytes = t->spool, .timeout_us = t->timeout,
        };
        if ((ret = pusher_new(&ch->pushers[i], &pc, conf->output.dir, ch->id)) < 0) {
            log_msg(LOG_ERROR, ch->id, STAGE, "output.push %s (line %d): %s", t->url, t->line,
                    ERRSTR(ret));
            goto fail;
        }
        ch->npushers++;
    }
    ch->push_reported_us = clock_monotonic_us();
    {
        PackagerConfig pc = {
            .outdir = conf->output.dir, .channel = ch->id, .formats = conf->output.formats,
            .grid = ch->grid, .fps = ch->fps, .video = ch->vstreams, .nvideo = ch->nrungs,
            .audio = &ch->astream, .live = 1, .window = conf->output.window, .epoch_us = ch->epoch_us,
            .first_frame = ch->first_frame, .channel_start_us = ch->channel_start_us,
            .resume = ch->resumed, .utc_timing_url = ch->opt.utc_timing_url,
            .part_us = conf->output.low_latency.part,
            .on_published = ch->npushers ? on_published : NULL,
            .on_deleted = ch->npushers ? on_deleted : NULL, .opaque = ch,
        };
        if ((ret = packager_new(&ch->packager, &pc)) < 0)
            goto fail;
    }
    if ((ret = open_slate(ch, &slate)) < 0) {
        log_msg(LOG_ERROR, ch->id, STAGE, "the slate cannot be drawn: %s", ERRSTR(ret));
        goto fail;
    }
    {
        int n = 0;
        for (int i = 0; i < ch->nrungs; i++)
            if (ch->parent[i] < 0)
                ch->roots[n++] = ch->rung_in[i];
        PlayoutConfig po = {
            .channel = ch->id, .width = conf->video.width, .height = conf->video.height, .fps = ch->fps,
            .sample_rate = conf->audio.sample_rate, .channels = conf->audio.channels,
            .epoch_us = ch->epoch_us, .first_frame = ch->first_frame, .paced = 1, .slate = slate,
            .video_out = ch->roots, .nvideo = n, .audio_out = ch->pcm, .on_event = on_event, .opaque = ch,
        };
        ret = playout_new(&ch->playout, &po);
        slate = NULL;   /* the playout owns it, even when it fails */
        if (ret < 0)
            goto fail;
    }
    snprintf(path, sizeof(path), "%s/as-run.jsonl", conf->output.dir);
    ch->asrun_file = fopen(path, "a");
    if (!ch->asrun_file)
        log_msg(LOG_WARN, ch->id, STAGE, "%s: %s; no as-run log", path, strerror(errno));
    *out = ch;
    return 0;
fail:
    playout_input_free(&slate);
    channel_free(&ch);
    return ret < 0 ? ret : AVERROR(EINVAL);
}

int channel_start(Channel *ch)
{
    Job *jobs = ch->jobs;
    int ret;

    /* the first program is cued (and its source opened) before any frame */
    if ((ret = supervise_once(ch)) < 0)
        return ret;
#define START(fn, idx) do { \
        jobs[ch->nthreads] = (Job){ ch, (idx) }; \
        atomic_fetch_add(&ch->running, 1); \
        if (pthread_create(&ch->threads[ch->nthreads], NULL, fn, &jobs[ch->nthreads])) { \
            atomic_fetch_sub(&ch->running, 1); \
            stop_all(ch); \
            return AVERROR(EAGAIN); \
        } \
        ch->nthreads++; \
    } while (0)
    START(packager_thread, 0);
    START(audio_thread, 0);
    for (int i = 0; i < ch->nrungs; i++)
        START(rung_thread, i);
    START(playout_thread, 0);
    START(supervisor_thread, 0);
#undef START
    log_msg(LOG_NOTICE, ch->id, STAGE, "on air from %s, %dx%d %.3f fps, %d rungs, into %s",
            ch->conf->title, ch->conf->video.width, ch->conf->video.height, av_q2d(ch->fps), ch->nrungs,
            ch->conf->output.dir);
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
    for (int i = 0; i < ch->nthreads; i++)
        pthread_join(ch->threads[i], NULL);
    ch->nthreads = 0;
    pthread_mutex_lock(&ch->lock);
    asrun_close(ch, playout_next_frame(ch->playout));
    pthread_mutex_unlock(&ch->lock);
    push_finish(ch);
    return ch->ret;
}

void channel_free(Channel **pch)
{
    Channel *ch = *pch;

    if (!ch)
        return;
    if (ch->nthreads) {
        stop_all(ch);
        channel_wait(ch);
    }
    playout_free(&ch->playout);
    for (int i = 0; i < ch->nrungs; i++) {
        rung_encoder_free(&ch->rungs[i]);
        queue_free(&ch->rung_in[i]);
    }
    audio_encoder_free(&ch->audio);
    packager_free(&ch->packager);
    for (int i = 0; i < ch->npushers; i++)
        pusher_free(&ch->pushers[i]);
    queue_free(&ch->pcm);
    queue_free(&ch->packets);
    if (ch->asrun_file)
        fclose(ch->asrun_file);
    pthread_mutex_destroy(&ch->lock);
    free(ch);
    *pch = NULL;
}
