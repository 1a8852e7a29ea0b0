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
    check_policy();
    if (!check_failures) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return check_failures ? 1 : 0;
}
