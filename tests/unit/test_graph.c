/* The graph builder: a transcode's graph (a generator as the source head)
 * stopped by its interrupt drains into complete output; a failure anywhere
 * (here the tick) stops every thread and is what graph_wait returns; the
 * counters agree with each other; one failure rule and one encoder policy. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "graph/graph.h"

#define FPS 25
#define FRAMES 60

static atomic_int stop;

static int interrupt(void *opaque)
{
    (void)opaque;
    return atomic_load(&stop);
}

typedef struct Tick {
    Graph **g;
    int ticks;
    int fail_after;               /* 0: never */
} Tick;

/* Stops the source once FRAMES are encoded, as a Ctrl-C would; or fails. */
static int tick(void *opaque)
{
    Tick *t = opaque;

    t->ticks++;
    if (t->fail_after && t->ticks >= t->fail_after)
        return AVERROR(EIO);
    if (*t->g && graph_frames_encoded(*t->g) >= FRAMES)
        atomic_store(&stop, 1);
    return 0;
}

typedef struct Seen {
    int64_t source_out, rung_frames, rung_queue_sent, packets_sent, packets_capacity;
    int queues;
} Seen;

static void visit(void *opaque, const GraphCounter *c)
{
    Seen *s = opaque;

    if (!strcmp(c->stage, "source") && !strcmp(c->name, "frames_out_total"))
        s->source_out = c->value;
    if (!strcmp(c->stage, "rung") && !strcmp(c->instance, "90p") && !strcmp(c->name, "frames_encoded_total"))
        s->rung_frames = c->value;
    if (!strcmp(c->stage, "queue") && !strcmp(c->name, "capacity"))
        s->queues++;
    if (!strcmp(c->stage, "queue") && !strcmp(c->instance, "frames 90p") && !strcmp(c->name, "sent_total"))
        s->rung_queue_sent = c->value;
    if (!strcmp(c->stage, "queue") && !strcmp(c->instance, "packets") && !strcmp(c->name, "sent_total"))
        s->packets_sent = c->value;
    if (!strcmp(c->stage, "queue") && !strcmp(c->instance, "packets") && !strcmp(c->name, "capacity"))
        s->packets_capacity = c->value;
}

typedef struct Samples {
    int64_t frames;
    int64_t segments[2];          /* 180p, 90p */
    double speed[2];
    int histograms, active, unknown;
} Samples;

static void visit_metric(void *opaque, const MetricSample *m)
{
    Samples *s = opaque;
    const char *l = m->labels[0];
    int rung = l && !strcmp(l, "180p") ? 0 : l && !strcmp(l, "90p") ? 1 : -1;

    switch (m->id) {
    case METRIC_FRAMES:
        s->frames = (int64_t)m->value;
        break;
    case METRIC_SEGMENTS:
        if (rung >= 0)
            s->segments[rung] = (int64_t)m->value;
        else
            s->unknown++;
        break;
    case METRIC_ENCODE_SPEED_RATIO:
        if (rung >= 0)
            s->speed[rung] = m->value;
        else
            s->unknown++;
        break;
    case METRIC_SEGMENT_PUBLISH_DELAY:
        s->histograms += m->histogram != NULL;
        break;
    case METRIC_SOURCE_ACTIVE:
        s->active++;
        break;
    default:
        break;
    }
}

static void check_transcode_stopped(const char *dir)
{
    SourceConfig sc = { .url = "bars", .channel = "", .generate = GENERATE_TESTSRC, .interrupt = interrupt,
                        .canvas_width = 640, .canvas_height = 360, .out_fps = { FPS, 1 },
                        .out_sample_rate = 48000, .out_channels = 2 };
    GraphRung rungs[2] = { { "180p", 320, 180, 400000 }, { "90p", 160, 90, 200000 } };
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    AudioConfig ac = { .in_sample_rate = 48000, .in_layout = stereo, .in_fmt = AV_SAMPLE_FMT_FLTP,
                       .sample_rate = 48000, .channels = 2, .bitrate = 64000 };
    PackagerConfig pc = { .outdir = dir, .formats = FORMAT_HLS_TS };
    Graph *g = NULL;
    Tick t = { .g = &g };
    Source *src = NULL;
    Seen seen = { 0 };
    GraphRungInfo info;
    char path[512];
    struct stat st;

    atomic_store(&stop, 0);
    CHECK_EQ_INT(source_open(&src, &sc), 0);
    GraphConfig gc = {
        .channel = "", .source = src, .fps = { FPS, 1 }, .grid = { { FPS, 1 }, 1000000 },
        .src_width = 640, .src_height = 360, .rungs = rungs, .nrungs = 2,
        .encoder = { .backend = "x264", .fallback = "none", .preset = "ultrafast", .origin = "encoder" },
        .cores = 1, .audio = &ac, .packager = &pc, .tick = tick, .tick_us = 20000, .opaque = &t,
    };
    CHECK_EQ_INT(graph_new(&g, &gc), 0);
    if (!g)
        return;
    CHECK_EQ_INT(graph_nrungs(g), 2);
    graph_rung_info(g, 1, &info);
    CHECK_EQ_INT(info.parent, 0);   /* 160x90 is half of 180p, smaller than the source: cascaded */
    CHECK_EQ_STR(info.backend, "x264");
    CHECK_EQ_INT(graph_start(g), 0);
    CHECK_EQ_INT(graph_wait(g), 0);
    CHECK_EQ_INT(graph_head_result(g), AVERROR_EXIT);
    CHECK(!graph_running(g));
    CHECK(t.ticks > 0);

    graph_counters(g, visit, &seen);
    {
        /* the metrics: frames as the source made them, one segment per
         * second of them in each rendition (the last one short), each
         * rung's speed measured, no playout's roles in a transcode */
        Samples m = { 0 };
        graph_metrics(g, visit_metric, &m);
        CHECK_EQ_INT(m.frames, seen.source_out);
        CHECK_EQ_INT(m.segments[0], (seen.source_out + FPS - 1) / FPS);
        CHECK_EQ_INT(m.segments[1], (seen.source_out + FPS - 1) / FPS);
        CHECK(m.speed[0] > 0 && m.speed[1] > 0);
        CHECK_EQ_INT(m.histograms, 1);
        CHECK_EQ_INT(m.active, 0);
        CHECK_EQ_INT(m.unknown, 0);
        CHECK_EQ_INT(graph_last_publish_us(g), 0);   /* a transcode publishes nothing live */
    }
    CHECK(seen.source_out >= FRAMES);
    CHECK_EQ_INT(seen.rung_frames, seen.source_out);       /* every frame made was encoded */
    CHECK_EQ_INT(seen.rung_queue_sent, seen.source_out);   /* 90p's frames came through its queue */
    CHECK_EQ_INT(seen.queues, 4);                          /* two rungs, audio, packets */
    CHECK_EQ_INT(seen.packets_capacity, GRAPH_PACKET_QUEUE);
    CHECK(seen.packets_sent >= 2 * seen.source_out);       /* both rungs, and audio */
    snprintf(path, sizeof(path), "%s/master.m3u8", dir);
    CHECK_EQ_INT(stat(path, &st), 0);                      /* drained into a complete VOD */
    snprintf(path, sizeof(path), "%s/90p/index.m3u8", dir);
    CHECK_EQ_INT(stat(path, &st), 0);
    graph_free(&g);
    CHECK(!g);
}

static void check_failure_stops_everything(const char *dir)
{
    SourceConfig gray = { .url = "gray", .generate = GENERATE_COLOR, .color = "gray", .canvas_width = 160,
                          .canvas_height = 90, .out_fps = { FPS, 1 }, .out_sample_rate = 48000,
                          .out_channels = 2 };
    PlayoutInput *slate = NULL;
    Playout *playout = NULL;
    GraphRung rung = { "90p", 160, 90, 200000 };
    PackagerConfig pc = { .outdir = dir, .formats = FORMAT_HLS_TS, .live = 1, .window = 3,
                          .epoch_us = 1795608000LL * 1000000 };
    PlayoutConfig po = { .channel = "t", .width = 160, .height = 90, .fps = { FPS, 1 }, .sample_rate = 48000,
                         .channels = 2, .epoch_us = pc.epoch_us, .paced = 0 };
    Graph *g = NULL;
    Tick t = { .g = &g, .fail_after = 3 };
    int64_t t0;

    CHECK_EQ_INT(playout_input_start(&slate, &gray, 0), 0);
    po.slate = slate;
    CHECK_EQ_INT(playout_new(&playout, &po), 0);
    GraphConfig gc = {
        .channel = "t", .playout = playout, .fps = { FPS, 1 }, .grid = { { FPS, 1 }, 1000000 },
        .src_width = 160, .src_height = 90, .rungs = &rung, .nrungs = 1,
        .encoder = { .backend = "x264", .fallback = "none", .preset = "ultrafast", .origin = "encoder" },
        .cores = 1, .packager = &pc, .tick = tick, .tick_us = 20000, .opaque = &t,
    };
    CHECK_EQ_INT(graph_new(&g, &gc), 0);
    if (!g)
        return;
    t0 = clock_monotonic_us();
    CHECK_EQ_INT(graph_start(g), 0);
    /* an unpaced playout without a frame limit runs until something stops it */
    CHECK_EQ_INT(graph_wait(g), AVERROR(EIO));
    CHECK(clock_monotonic_us() - t0 < 10000000);
    CHECK(!graph_running(g));
    graph_free(&g);
}

typedef struct LiveSamples {
    int64_t frames, segments;
    double slate_seconds, role[3];   /* primary, backup, slate */
    int roles, ages;
    const Histogram *delay;
} LiveSamples;

static void visit_live(void *opaque, const MetricSample *m)
{
    LiveSamples *s = opaque;

    if (m->id == METRIC_FRAMES)
        s->frames = (int64_t)m->value;
    if (m->id == METRIC_SEGMENTS && !strcmp(m->labels[0], "90p"))
        s->segments = (int64_t)m->value;
    if (m->id == METRIC_SLATE_SECONDS)
        s->slate_seconds = m->value;
    if (m->id == METRIC_SOURCE_ACTIVE) {
        const char *r = m->labels[0];
        s->roles++;
        s->role[!strcmp(r, "primary") ? 0 : !strcmp(r, "backup") ? 1 : 2] = m->value;
    }
    if (m->id == METRIC_SEGMENT_PUBLISH_DELAY)
        s->delay = m->histogram;
    if (m->id == METRIC_LAST_SEGMENT_AGE)
        s->ages++;
}

/* A live channel on the slate for 3 segments, its clock started 10 s ago:
 * each segment's publish delay is from its end on the air clock (9, 8 and
 * 7 s ago, give or take the run); the slate is the role on air and fills
 * all of the time. */
static void check_live_metrics(const char *dir)
{
    SourceConfig gray = { .url = "gray", .generate = GENERATE_COLOR, .color = "gray", .canvas_width = 160,
                          .canvas_height = 90, .out_fps = { FPS, 1 }, .out_sample_rate = 48000,
                          .out_channels = 2 };
    PlayoutInput *slate = NULL;
    Playout *playout = NULL;
    GraphRung rung = { "90p", 160, 90, 200000 };
    int64_t t0 = clock_wall_us();
    PackagerConfig pc = { .outdir = dir, .formats = FORMAT_HLS_TS, .live = 1, .window = 3,
                          .epoch_us = t0 - 10000000 };
    PlayoutConfig po = { .channel = "t", .width = 160, .height = 90, .fps = { FPS, 1 }, .sample_rate = 48000,
                         .channels = 2, .epoch_us = pc.epoch_us, .paced = 0 };
    Graph *g = NULL;
    LiveSamples m = { 0 };
    double sum;

    CHECK_EQ_INT(playout_input_start(&slate, &gray, 0), 0);
    po.slate = slate;
    CHECK_EQ_INT(playout_new(&playout, &po), 0);
    GraphConfig gc = {
        .channel = "t", .playout = playout, .playout_frames = 3 * FPS, .fps = { FPS, 1 },
        .grid = { { FPS, 1 }, 1000000 }, .src_width = 160, .src_height = 90, .rungs = &rung, .nrungs = 1,
        .encoder = { .backend = "x264", .fallback = "none", .preset = "ultrafast", .origin = "encoder" },
        .cores = 1, .packager = &pc,
    };
    CHECK_EQ_INT(graph_new(&g, &gc), 0);
    if (!g)
        return;
    CHECK_EQ_INT(graph_last_publish_us(g), 0);
    CHECK_EQ_INT(graph_start(g), 0);
    CHECK_EQ_INT(graph_wait(g), 0);
    graph_metrics(g, visit_live, &m);
    CHECK_EQ_INT(m.frames, 3 * FPS);
    CHECK_EQ_INT(m.segments, 3);
    CHECK(m.slate_seconds > 2.999 && m.slate_seconds < 3.001);
    CHECK_EQ_INT(m.roles, 3);
    CHECK(m.role[0] == 0 && m.role[1] == 0 && m.role[2] == 1);
    CHECK_EQ_INT(m.ages, 1);
    CHECK(graph_last_publish_us(g) >= t0 && graph_last_publish_us(g) <= clock_wall_us());
    CHECK(m.delay != NULL);
    if (m.delay) {
        CHECK_EQ_INT(atomic_load(&m.delay->count), 3);
        sum = (double)atomic_load(&m.delay->sum_ns) / 1e9;
        CHECK(sum >= 24 && sum < 24 + 3 * 5);
        /* none below 4 s: the bounds up to le=4 hold nothing */
        for (int i = 0; i < m.delay->nbounds && m.delay->bounds[i] <= 4; i++)
            CHECK_EQ_INT(atomic_load(&m.delay->buckets[i]), 0);
    }
    graph_free(&g);
}

static void check_policy(void)
{
    const EncoderBackend *const *all = encoder_backends();
    const EncoderBackend *unusable = NULL, *b = NULL;
    char reason[256];

    CHECK(!graph_failed(0, 0));
    CHECK(!graph_failed(AVERROR_EOF, 0));
    CHECK(!graph_failed(AVERROR_EXIT, 0));
    CHECK(graph_failed(AVERROR(EIO), 0));
    CHECK(graph_failed(AVERROR(ENOMEM), 1));
    /* a truncated input ends a source; anywhere else it is a failure */
    CHECK(!graph_failed(AVERROR_INVALIDDATA, 1));
    CHECK(graph_failed(AVERROR_INVALIDDATA, 0));

    for (int i = 0; all[i] && !unusable; i++)
        if (all[i]->hardware && all[i]->probe(reason, sizeof(reason)) < 0)
            unusable = all[i];
    if (!unusable) {
        printf("every hardware backend is usable here: the fallback policy is not checked\n");
        return;
    }
    GraphEncoder e = { .backend = unusable->name, .fallback = "x264", .preset = "veryfast",
                       .origin = "encoder.backend" };
    CHECK_EQ_INT(graph_pick_backend(&e, "t", &b), 0);   /* a channel stays on air */
    CHECK(b == &encoder_x264);
    e.fallback = "none";
    CHECK(graph_pick_backend(&e, "t", &b) < 0);
    e.fallback = "x264";
    e.backend_required = 1;                             /* a transcode's --encoder */
    CHECK(graph_pick_backend(&e, "", &b) < 0);
}

int main(void)
{
    char dir[] = "/tmp/onair-test-graph-XXXXXX", sub[64];

    log_setup(LOG_WARN, 0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(sub, sizeof(sub), "%s/vod", dir);
    check_transcode_stopped(sub);
    snprintf(sub, sizeof(sub), "%s/live", dir);
    check_failure_stops_everything(sub);
    snprintf(sub, sizeof(sub), "%s/metrics", dir);
    check_live_metrics(sub);
    check_policy();
    if (!check_failures) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return check_failures ? 1 : 0;
}
