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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asrun.h"
#include "graph/graph.h"

#define STAGE "channel"
#define SUPERVISOR_TICK_US 100000
/* the first frame airs this long after start: the first program's source is
 * open and decoding by then */
#define START_DELAY_US 1500000
#define MAX_CUES 4096
#define PREROLL_DEFAULT_US 3000000

struct Channel {
    const ChannelConf *conf;
    ChannelOptions opt;
    char id[NAME_MAX_LEN + 1];
    AirClock clock;
    SegmentGrid grid;
    int64_t channel_start_us, run_start_us;
    int resumed;
    int64_t one_thread_decode_pps;   /* for the sources: SourceConfig */

    Graph *graph;
    Playout *playout;         /* the graph's head, borrowed */
    pthread_mutex_t lock;     /* cues, as-run */

    int64_t cued_until;       /* the timeline is cued up to this wall time */
    int next_cue_id;
    AsRunProgram cues[MAX_CUES];  /* a ring by id */
    AsRun *asrun;
    Webhook *webhook;         /* conf->events.url: the channel's events go there */
};

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

/* A source of the conf as a playout input, starting `offset_us` into it. */
static int open_input(Channel *ch, int index, int64_t offset_us, int64_t cue_wall, PlayoutInput **in)
{
    const ChannelConf *c = ch->conf;
    const ConfSource *src = &c->sources[index];
    SourceConfig sc = playout_source(ch, src->name);
    char color[16];
    int live = 0;

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
        live = 1;
        break;
    }
    return playout_input_start(in, &sc, live);
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

static int cue_entry(Channel *ch, const ScheduleEntry *e)
{
    int64_t start = FFMAX(e->start, ch->run_start_us);
    int64_t frame = air_clock_frame_at(&ch->clock, start), wall = air_clock_time(&ch->clock, frame);
    PlayoutInput *primary = NULL, *backup = NULL;
    AsRunProgram *cue;
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
    cue = &ch->cues[id % MAX_CUES];
    cue->scheduled_us = start;
    cue->planned_us = e->item >= 0 ? ch->conf->schedule.items[e->item].duration : e->end - e->start;
    cue->source = e->source >= 0 ? ch->conf->sources[e->source].name : NULL;
    snprintf(cue->title, sizeof(cue->title), "%s", e->title ? e->title : ch->conf->slate.text);
    pthread_mutex_unlock(&ch->lock);
    return playout_cue(ch->playout, frame, id,
                       primary, backup, e->source >= 0 ? ch->conf->sources[e->source].timeout : 0);
}

static int supervise(void *opaque)
{
    Channel *ch = opaque;
    int64_t horizon = clock_wall_us() + ch->opt.preroll_us;
    Timeline *tl = NULL;
    int ret;

    if (ch->cued_until >= horizon)
        return 0;
    if ((ret = schedule_resolve(ch->conf, ch->channel_start_us, ch->cued_until, horizon, &tl)) < 0) {
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
    return ret;
}

/* The playout's events, on its thread. */
static void on_event(void *opaque, const PlayoutEvent *ev)
{
    Channel *ch = opaque;

    pthread_mutex_lock(&ch->lock);
    switch (ev->type) {
    case PLAYOUT_PROGRAM: {
        const AsRunProgram *p = &ch->cues[ev->cue_id % MAX_CUES];
        asrun_program(ch->asrun, p, ev->frame);
        packager_program(graph_packager(ch->graph), p->title, ev->frame, p->planned_us);
        log_msg(LOG_INFO, ch->id, STAGE, "on air: %s (frame %" PRId64 ")", p->title, ev->frame);
        break;
    }
    case PLAYOUT_FAILOVER:
        asrun_failover(ch->asrun, ev->frame, ev->on_backup);
        break;
    case PLAYOUT_RECOVERED:
        asrun_recovered(ch->asrun, ev->frame);
        break;
    }
    pthread_mutex_unlock(&ch->lock);
}

/* ---- building ---- */

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
    for (int i = 0; i < conf->output.nb_push; i++) {
        const ConfPush *t = &conf->output.push[i];
        push[i] = (PushConfig){
            .url = t->url, .name = t->name, .bearer_env = t->bearer_env, .basic_user_env = t->basic_user_env,
            .basic_password_env = t->basic_password_env,
            .headers = (const char *const *)t->headers.lines, .nheaders = t->headers.count,
            .ca_file = t->ca_file, .aws_sigv4 = t->aws_sigv4, .aws_key_env = t->aws_key_env,
            .aws_secret_env = t->aws_secret_env, .delete_segments = t->delete_segments,
            .retry_max_us = t->retry_max, .spool_bytes = t->spool, .timeout_us = t->timeout,
        };
    }
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
        .utc_timing_url = ch->opt.utc_timing_url, .part_us = conf->output.low_latency.part,
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

int channel_new(Channel **out, const ChannelConf *conf, const ChannelOptions *opt)
{
    Channel *ch = calloc(1, sizeof(*ch));
    int64_t next_frame = 0, start = 0;
    int ret;

    *out = NULL;
    if (!ch)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&ch->lock, NULL);
    ch->conf = conf;
    ch->opt = *opt;
    if (ch->opt.preroll_us <= 0)
        ch->opt.preroll_us = PREROLL_DEFAULT_US;
    if (ch->opt.cores < 1)
        ch->opt.cores = 1;
    snprintf(ch->id, sizeof(ch->id), "%s", conf->channel);
    ch->grid = (SegmentGrid){ .fps = conf->video.fps, .segment_us = conf->output.segment };

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
    ch->cued_until = ch->run_start_us;
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
    if ((ret = supervise(ch)) < 0 || (ret = graph_start(ch->graph)) < 0)
        return ret;
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
    if (ch->graph) {
        /* what still runs stops now; the program on air gets its as-run line */
        graph_abort(ch->graph, AVERROR_EXIT);
        channel_wait(ch);
    }
    graph_free(&ch->graph);
    asrun_free(&ch->asrun);
    /* last: the program on air's end and as-run record go out too */
    webhook_free(&ch->webhook);
    pthread_mutex_destroy(&ch->lock);
    free(ch);
    *pch = NULL;
}

/* ---- operating (the admin API) ---- */

static int not_yet(char *err, size_t size)
{
    snprintf(err, size, "not implemented yet");
    return AVERROR(ENOSYS);
}

int channel_skip(Channel *ch, char *err, size_t size) { return not_yet(err, size); }
int channel_hold_slate(Channel *ch, int64_t duration_us, char *err, size_t size) { return not_yet(err, size); }
int channel_release_slate(Channel *ch, char *err, size_t size) { return not_yet(err, size); }
int channel_take(Channel *ch, const char *source, int64_t duration_us, char *err, size_t size)
{
    return not_yet(err, size);
}
int channel_extend(Channel *ch, int64_t by_us, char *err, size_t size) { return not_yet(err, size); }
int channel_reload_check(const Channel *ch, const ChannelConf *next, char *keys, size_t size)
{
    return not_yet(keys, size);
}
int channel_reload(Channel *ch, ChannelConf *next) { return AVERROR(ENOSYS); }
const ChannelConf *channel_conf(const Channel *ch) { return ch->conf; }
int channel_status_json(Channel *ch, Buf *out)
{
    return buf_printf(out, "{\"id\":\"%s\",\"state\":\"%s\"}", ch->id,
                      channel_running(ch) ? "on_air" : "stopped");
}
int channel_schedule_json(Channel *ch, int64_t hours_us, Buf *out) { return buf_printf(out, "{\"entries\":[]}"); }
int channel_ready(Channel *ch, char *why, size_t size)
{
    if (!channel_running(ch)) {
        snprintf(why, size, "failed");
        return 0;
    }
    return 1;
}
void channel_metrics(Channel *ch, MetricVisit visit, void *opaque)
{
    MetricSample s = { .id = METRIC_CHANNEL_UP, .value = channel_running(ch) };
    visit(opaque, &s);
}
