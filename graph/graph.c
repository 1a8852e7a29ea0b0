/* The graph builder: stages, queues, threads, stop and failure (graph.h). */
#include "graph.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE "graph"
/* head, tick, audio, packager, and the rungs */
#define MAX_THREADS (LADDER_MAX + 4)

typedef struct Job {
    Graph *g;
    int index;
} Job;

/* A push target as the graph runs it. */
typedef struct GraphPush {
    Pusher *pusher;
    char *name;                    /* its label: PushConfig.name, else its index */
    PushStats seen;                /* at the last report */
} GraphPush;

struct Graph {
    GraphConfig cfg;
    const char *channel;
    const EncoderBackend *backend;
    int64_t one_thread_decode_pps;

    Source *source;
    Playout *playout;
    int64_t playout_first_frame;
    int nrungs;
    GraphRung rungs[LADDER_MAX];
    char rung_names[LADDER_MAX][RUNG_NAME_MAX];
    char queue_names[LADDER_MAX][RUNG_NAME_MAX + 8];
    int parent[LADDER_MAX];
    RungEncoder *rung[LADDER_MAX];
    AudioEncoder *audio;
    Packager *packager;
    /* The push targets, under lock: the packager's thread hands them what it
     * publishes while graph_set_push may replace them. */
    GraphPush *push;
    int npush;
    int push_closed;               /* graph_wait took them: no target starts any more */
    char *outdir;                  /* the packager's, for a target that starts late */
    int64_t push_reported_us;

    Queue *rung_in[LADDER_MAX];    /* frames into each rung */
    Queue *roots[LADDER_MAX];      /* those of the rungs that scale from the head */
    int nroots;
    Queue *audio_in;
    Queue *packets;
    PackagerStream vstreams[LADDER_MAX], astream;

    pthread_t threads[MAX_THREADS];
    Job jobs[MAX_THREADS];
    int nthreads;
    atomic_int running;            /* threads not yet ended */
    atomic_int head_done;          /* the head ended (or the graph failed): the tick stops */
    int head_ret;
    pthread_mutex_t lock;          /* ret, and the push targets */
    int ret;                       /* the first failure */
};

int graph_failed(int ret, int from_source_head)
{
    if (ret >= 0 || ret == AVERROR_EOF || ret == AVERROR_EXIT)
        return 0;
    return !(from_source_head && ret == AVERROR_INVALIDDATA);
}

void graph_abort(Graph *g, int err)
{
    pthread_mutex_lock(&g->lock);
    if (!g->ret && err < 0)
        g->ret = err;
    pthread_mutex_unlock(&g->lock);
    atomic_store(&g->head_done, 1);
    if (g->playout)
        playout_stop(g->playout);
    if (g->source)
        source_stop(g->source);
    for (int i = 0; i < g->nrungs; i++)
        if (g->rung_in[i])
            queue_abort(g->rung_in[i]);
    if (g->audio_in)
        queue_abort(g->audio_in);
    if (g->packets)
        queue_abort(g->packets);
}

/* A stage ended with ret: a failure stops everything. */
static void stage_ended(Graph *g, int ret, int from_source_head)
{
    if (graph_failed(ret, from_source_head))
        graph_abort(g, ret);
    atomic_fetch_sub(&g->running, 1);
}

/* ---- threads ---- */

static void *head_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;
    int ret;

    if (g->source) {
        thread_set_name("source");
        ret = source_run(g->source, g->roots, g->nroots, g->audio_in);
    } else {
        thread_set_name("playout");
        ret = playout_run(g->playout, g->roots, g->nroots, g->audio_in, g->cfg.playout_frames);
    }
    g->head_ret = ret;
    atomic_store(&g->head_done, 1);
    stage_ended(g, ret, g->source != NULL);
    return NULL;
}

static void *rung_thread(void *arg)
{
    Job *j = arg;
    Graph *g = j->g;
    Queue *children[LADDER_MAX];
    int n = 0;

    for (int i = 0; i < g->nrungs; i++)
        if (g->parent[i] == j->index)
            children[n++] = g->rung_in[i];
    stage_ended(g, rung_encoder_run(g->rung[j->index], g->rung_in[j->index], children, n, g->packets), 0);
    return NULL;
}

static void *audio_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;

    thread_set_name("audio");
    stage_ended(g, audio_encoder_run(g->audio, g->audio_in, g->packets), 0);
    return NULL;
}

static void *packager_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;

    thread_set_name("packager");
    stage_ended(g, packager_run(g->packager, g->packets), 0);
    return NULL;
}

static int head_done(void *opaque)
{
    Graph *g = opaque;
    return atomic_load(&g->head_done);
}

static void *tick_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;
    int64_t period = g->cfg.tick_us > 0 ? g->cfg.tick_us : GRAPH_TICK_US;
    int ret = 0;

    thread_set_name("%s", g->cfg.tick_name ? g->cfg.tick_name : "tick");
    while (!atomic_load(&g->head_done)) {
        if (g->cfg.tick && (ret = g->cfg.tick(g->cfg.opaque)) < 0) {
            graph_abort(g, ret);
            break;
        }
        if (clock_monotonic_us() - g->push_reported_us >= GRAPH_PUSH_REPORT_US) {
            pthread_mutex_lock(&g->lock);
            for (int i = 0; i < g->npush; i++)
                pusher_report(g->push[i].pusher, g->channel, &g->push[i].seen, NULL);
            pthread_mutex_unlock(&g->lock);
            g->push_reported_us = clock_monotonic_us();
        }
        clock_sleep_us(period, head_done, g);
    }
    atomic_fetch_sub(&g->running, 1);
    return NULL;
}

static int start_thread(Graph *g, void *(*fn)(void *), int index)
{
    Job *j = &g->jobs[g->nthreads];

    *j = (Job){ g, index };
    atomic_fetch_add(&g->running, 1);
    if (pthread_create(&g->threads[g->nthreads], NULL, fn, j)) {
        atomic_fetch_sub(&g->running, 1);
        log_msg(LOG_ERROR, g->channel, STAGE, "cannot start a thread");
        graph_abort(g, AVERROR(EAGAIN));
        return AVERROR(EAGAIN);
    }
    g->nthreads++;
    return 0;
}

int graph_start(Graph *g)
{
    int ret;

    if ((ret = start_thread(g, packager_thread, 0)) < 0)
        return ret;
    if (g->audio && (ret = start_thread(g, audio_thread, 0)) < 0)
        return ret;
    for (int i = 0; i < g->nrungs; i++)
        if ((ret = start_thread(g, rung_thread, i)) < 0)
            return ret;
    if ((ret = start_thread(g, head_thread, 0)) < 0)
        return ret;
    if ((g->cfg.tick || g->npush) && (ret = start_thread(g, tick_thread, 0)) < 0)
        return ret;
    return 0;
}

int graph_running(const Graph *g)
{
    return atomic_load(&g->running) > 0;
}

/* Flushes the targets of t (at once, each bounded by its flush time), logs
 * their last word saying why (NULL: none, for targets that never ran),
 * frees them and t. Slots without a pusher are skipped (a target that
 * graph_set_push moved on, or one that failed to open). */
static void push_close(Graph *g, GraphPush *t, int n, const char *why)
{
    for (int i = 0; i < n; i++)
        pusher_stop(t[i].pusher);
    for (int i = 0; i < n; i++)
        pusher_wait(t[i].pusher);
    for (int i = 0; i < n; i++) {
        if (t[i].pusher && why)
            pusher_report(t[i].pusher, g->channel, &t[i].seen, why);
        pusher_free(&t[i].pusher);
        free(t[i].name);
    }
    free(t);
}

int graph_wait(Graph *g)
{
    GraphPush *push;
    int ret, npush;

    for (int i = 0; i < g->nthreads; i++)
        pthread_join(g->threads[i], NULL);
    g->nthreads = 0;
    /* nothing more is published: every target flushes at once (each
     * bounded), then the last word on each */
    pthread_mutex_lock(&g->lock);
    push = g->push;
    npush = g->npush;
    g->push = NULL;
    g->npush = 0;
    g->push_closed = 1;
    ret = g->ret;
    pthread_mutex_unlock(&g->lock);
    push_close(g, push, npush, "end of run");
    return ret;
}

int graph_head_result(const Graph *g)
{
    return g->head_ret;
}

/* ---- building ---- */

static void on_published(void *opaque, const char *path, enum PublishedKind kind)
{
    Graph *g = opaque;

    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->npush; i++)
        pusher_published(g->push[i].pusher, path, kind);
    pthread_mutex_unlock(&g->lock);
}

static void on_deleted(void *opaque, const char *path)
{
    Graph *g = opaque;

    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->npush; i++)
        pusher_deleted(g->push[i].pusher, path);
    pthread_mutex_unlock(&g->lock);
}

/* Opens push target `index` of a channel into t. */
static int push_open(Graph *g, GraphPush *t, const PushConfig *cfg, int index)
{
    PushConfig pc = *cfg;
    char label[16];
    int ret;

    /* an unnamed target is labelled by its index, which only the graph knows */
    snprintf(label, sizeof(label), "%d", index);
    if (!(t->name = strdup(pc.name ? pc.name : label)))
        return AVERROR(ENOMEM);
    pc.name = t->name;
    if ((ret = pusher_new(&t->pusher, &pc, g->outdir, g->channel)) < 0)
        log_msg(LOG_ERROR, g->channel, STAGE, "push to %s: %s", cfg->url, ERRSTR(ret));
    return ret;
}

int graph_pick_backend(const GraphEncoder *e, const char *channel, const EncoderBackend **out)
{
    char reason[256];
    int ret;

    if ((ret = encoder_backend_pick(e->backend, out, reason, sizeof(reason))) >= 0)
        return 0;
    if (!e->backend_required && strcmp(e->fallback, "none") &&
        encoder_backend_pick(e->fallback, out, reason, sizeof(reason)) >= 0) {
        log_msg(LOG_WARN, channel, STAGE, "%s %s is not usable; using %s", e->origin, e->backend,
                (*out)->name);
        return 0;
    }
    log_msg(LOG_ERROR, channel, STAGE, "%s %s: not usable on this host: %s", e->origin, e->backend, reason);
    return ret;
}

static int build(Graph *g, const GraphConfig *c)
{
    int w[LADDER_MAX], h[LADDER_MAX], threads[LADDER_MAX], ret;
    int frame_queue = g->playout ? GRAPH_FRAME_QUEUE_PACED : GRAPH_FRAME_QUEUE;
    int cores = FFMAX(1, c->cores);

    if ((ret = graph_pick_backend(&c->encoder, g->channel, &g->backend)) < 0)
        return ret;
    g->nrungs = c->nrungs;
    for (int i = 0; i < g->nrungs; i++) {
        snprintf(g->rung_names[i], sizeof(g->rung_names[i]), "%s", c->rungs[i].name);
        g->rungs[i] = c->rungs[i];
        g->rungs[i].name = g->rung_names[i];
        w[i] = c->rungs[i].width;
        h[i] = c->rungs[i].height;
    }
    encoder_plan_cascade(w, h, g->nrungs, c->src_width, c->src_height, g->parent);
    encoder_budget_threads(w, h, g->nrungs, cores, threads);
    g->one_thread_decode_pps = encoder_budget_decode(w, h, g->nrungs, c->fps, cores, g->backend,
                                                     c->encoder.preset);
    if (g->source && (ret = source_set_one_thread_decode_pps(g->source, g->one_thread_decode_pps)) < 0)
        return ret;

    for (int i = 0; i < g->nrungs; i++) {
        RungConfig rc = {
            .backend = g->backend,
            .fallback = g->backend->hardware && strcmp(c->encoder.fallback, "none") ?
                        encoder_backend_find(c->encoder.fallback) : NULL,
            .params = {
                .width = w[i], .height = h[i], .fps = c->fps, .bitrate = g->rungs[i].bitrate,
                .preset = c->encoder.preset, .threads = threads[i],
                .max_keyint = grid_max_segment_frames(&c->grid), .low_latency = c->low_latency,
                .channel = g->channel, .name = g->rungs[i].name,
            },
            .grid = c->grid,
            .rendition = i,
        };
        if ((ret = rung_encoder_new(&g->rung[i], &rc)) < 0 ||
            (ret = queue_new(&g->rung_in[i], frame_queue, 1, queue_free_frame)) < 0)
            return ret;
        snprintf(g->queue_names[i], sizeof(g->queue_names[i]), "frames %s", g->rungs[i].name);
        g->vstreams[i] = (PackagerStream){ g->rungs[i].name, rung_encoder_codecpar(g->rung[i]),
                                           av_inv_q(c->fps) };
        if (g->parent[i] < 0)
            g->roots[g->nroots++] = g->rung_in[i];
    }
    if (c->audio) {
        AudioConfig ac = *c->audio;
        ac.rendition = g->nrungs;
        ac.channel = g->channel;
        if ((ret = audio_encoder_new(&g->audio, &ac)) < 0 ||
            (ret = queue_new(&g->audio_in, GRAPH_AUDIO_QUEUE, 1, queue_free_frame)) < 0)
            return ret;
        g->astream = (PackagerStream){ "audio", audio_encoder_codecpar(g->audio), { 1, ac.sample_rate } };
    }
    if ((ret = queue_new(&g->packets, GRAPH_PACKET_QUEUE, g->nrungs + !!g->audio, queue_free_packet)) < 0)
        return ret;

    /* the pushers follow the packager from its first file */
    if (!(g->outdir = strdup(c->packager->outdir)))
        return AVERROR(ENOMEM);
    if (c->npush && !(g->push = calloc((size_t)c->npush, sizeof(*g->push))))
        return AVERROR(ENOMEM);
    for (int i = 0; i < c->npush; i++) {
        g->npush++;
        if ((ret = push_open(g, &g->push[i], &c->push[i], i)) < 0)
            return ret;
    }
    g->push_reported_us = clock_monotonic_us();
    {
        PackagerConfig pc = *c->packager;
        pc.channel = g->channel;
        pc.fps = c->fps;
        pc.grid = c->grid;
        pc.video = g->vstreams;
        pc.nvideo = g->nrungs;
        pc.audio = g->audio ? &g->astream : NULL;
        /* a live channel may gain targets (graph_set_push) */
        pc.on_published = g->npush || c->playout ? on_published : NULL;
        pc.on_deleted = g->npush || c->playout ? on_deleted : NULL;
        pc.opaque = g;
        if (!pc.sink)
            pc.sink = &sink_dir;
        if ((ret = packager_new(&g->packager, &pc)) < 0)
            return ret;
    }
    return 0;
}

int graph_new(Graph **out, const GraphConfig *cfg)
{
    Graph *g = calloc(1, sizeof(*g));
    int ret;

    *out = NULL;
    if (!g || !!cfg->source == !!cfg->playout || cfg->nrungs < 1 || cfg->nrungs > LADDER_MAX ||
        cfg->npush < 0) {
        Source *src = cfg->source;
        Playout *po = cfg->playout;
        source_free(&src);
        playout_free(&po);
        free(g);
        return g ? AVERROR(EINVAL) : AVERROR(ENOMEM);
    }
    pthread_mutex_init(&g->lock, NULL);
    g->cfg = *cfg;
    g->channel = cfg->channel ? cfg->channel : "";
    g->source = cfg->source;
    g->playout = cfg->playout;
    if (g->playout)
        g->playout_first_frame = playout_next_frame(g->playout);
    /* the config's arrays are read here only */
    g->cfg.rungs = NULL;
    g->cfg.audio = NULL;
    g->cfg.packager = NULL;
    g->cfg.push = NULL;
    if ((ret = build(g, cfg)) < 0) {
        graph_free(&g);
        return ret;
    }
    *out = g;
    return 0;
}

void graph_free(Graph **pg)
{
    Graph *g = *pg;

    if (!g)
        return;
    if (g->nthreads) {
        graph_abort(g, AVERROR_EXIT);
        graph_wait(g);
    }
    push_close(g, g->push, g->npush, NULL);   /* graph_wait took them if they ran */
    free(g->outdir);
    for (int i = 0; i < g->nrungs; i++) {
        rung_encoder_free(&g->rung[i]);
        queue_free(&g->rung_in[i]);
    }
    audio_encoder_free(&g->audio);
    packager_free(&g->packager);
    queue_free(&g->audio_in);
    queue_free(&g->packets);
    source_free(&g->source);
    playout_free(&g->playout);
    pthread_mutex_destroy(&g->lock);
    free(g);
    *pg = NULL;
}

/* ---- what the graph made ---- */

int graph_nrungs(const Graph *g)
{
    return g->nrungs;
}

void graph_rung_info(const Graph *g, int i, GraphRungInfo *out)
{
    *out = (GraphRungInfo){
        .name = g->rungs[i].name, .width = g->rungs[i].width, .height = g->rungs[i].height,
        .bitrate = g->rungs[i].bitrate, .parent = g->parent[i],
        .backend = rung_encoder_backend(g->rung[i])->name,
    };
}

const EncoderBackend *graph_backend(const Graph *g)
{
    return g->backend;
}

int64_t graph_one_thread_decode_pps(const Graph *g)
{
    return g->one_thread_decode_pps;
}

Packager *graph_packager(Graph *g)
{
    return g->packager;
}

int64_t graph_frames_encoded(const Graph *g)
{
    int64_t frames = INT64_MAX;

    for (int i = 0; i < g->nrungs; i++)
        frames = FFMIN(frames, rung_encoder_frames(g->rung[i]));
    return frames == INT64_MAX ? 0 : frames;
}

/* ---- counters ---- */

typedef struct Visit {
    void (*fn)(void *opaque, const GraphCounter *c);
    void *opaque;
} Visit;

static void count(const Visit *v, const char *stage, const char *instance, const char *name,
                  enum GraphCounterKind kind, int64_t value)
{
    GraphCounter c = { stage, instance, name, kind, value };
    v->fn(v->opaque, &c);
}

static void count_queue(const Visit *v, Queue *q, const char *name)
{
    QueueStats st;

    if (!q)
        return;
    queue_stats(q, &st);
    count(v, "queue", name, "capacity", GRAPH_GAUGE, st.capacity);
    count(v, "queue", name, "depth", GRAPH_GAUGE, st.depth);
    count(v, "queue", name, "high_water", GRAPH_GAUGE, st.high_water);
    count(v, "queue", name, "sent_total", GRAPH_COUNTER, st.sent);
    count(v, "queue", name, "full_waits_total", GRAPH_COUNTER, st.full_waits);
}

void graph_counters(Graph *g, void (*visit)(void *opaque, const GraphCounter *c), void *opaque)
{
    Visit v = { visit, opaque };

    if (g->source) {
        SourceStats st;
        source_stats(g->source, &st);
        count(&v, "source", "", "frames_decoded_total", GRAPH_COUNTER, st.frames_decoded);
        count(&v, "source", "", "frames_out_total", GRAPH_COUNTER, st.frames_out);
        count(&v, "source", "", "frames_dropped_total", GRAPH_COUNTER, st.frames_dropped);
        count(&v, "source", "", "frames_repeated_total", GRAPH_COUNTER, st.frames_duplicated);
        count(&v, "source", "", "packets_corrupt_total", GRAPH_COUNTER, st.packets_corrupt);
        count(&v, "source", "", "decode_errors_total", GRAPH_COUNTER, st.decode_errors);
    } else {
        count(&v, "playout", "", "frames_out_total", GRAPH_COUNTER,
              playout_next_frame(g->playout) - g->playout_first_frame);
    }
    for (int i = 0; i < g->nrungs; i++) {
        count(&v, "rung", g->rungs[i].name, "frames_encoded_total", GRAPH_COUNTER,
              rung_encoder_frames(g->rung[i]));
        count_queue(&v, g->rung_in[i], g->queue_names[i]);
    }
    count_queue(&v, g->audio_in, "audio");
    count_queue(&v, g->packets, "packets");
    if (g->packager)
        count(&v, "packager", "", "media_time_us", GRAPH_COUNTER, packager_progress_us(g->packager));
    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->npush; i++) {
        PushStats st;
        const char *target = g->push[i].name;
        pusher_stats(g->push[i].pusher, &st);
        count(&v, "push", target, "files_pushed_total", GRAPH_COUNTER, st.pushed);
        count(&v, "push", target, "bytes_pushed_total", GRAPH_COUNTER, st.pushed_bytes);
        count(&v, "push", target, "failures_total", GRAPH_COUNTER, st.failures);
        count(&v, "push", target, "dropped_total", GRAPH_COUNTER, st.dropped);
        count(&v, "push", target, "spool_bytes", GRAPH_GAUGE, st.queued_bytes);
        count(&v, "push", target, "waiting_files", GRAPH_GAUGE, st.queued_files);
    }
    pthread_mutex_unlock(&g->lock);
}

/* ---- metrics ---- */

static void sample(MetricVisit visit, void *opaque, MetricId id, const char *l0, const char *l1,
                   double value)
{
    MetricSample s = { .id = id, .labels = { l0, l1 }, .value = value };
    visit(opaque, &s);
}

static void sample_histogram(MetricVisit visit, void *opaque, MetricId id, const char *l0,
                             const char *l1, const Histogram *h)
{
    MetricSample s = { .id = id, .labels = { l0, l1 }, .histogram = h };
    visit(opaque, &s);
}

static void head_metrics(Graph *g, MetricVisit visit, void *opaque)
{
    static const char *const roles[] = {
        [PLAYOUT_ROLE_PRIMARY] = "primary", [PLAYOUT_ROLE_BACKUP] = "backup",
        [PLAYOUT_ROLE_SLATE] = "slate",
    };
    PlayoutStats st;

    if (g->source) {
        /* a transcode: the source's own clock is the output's */
        SourceStats ss;
        source_stats(g->source, &ss);
        sample(visit, opaque, METRIC_FRAMES, NULL, NULL, (double)ss.frames_out);
        sample(visit, opaque, METRIC_FRAMES_REPEATED, NULL, NULL, (double)ss.frames_duplicated);
        sample(visit, opaque, METRIC_FRAMES_DROPPED, NULL, NULL, (double)ss.frames_dropped);
        return;
    }
    playout_stats(g->playout, &st);
    sample(visit, opaque, METRIC_FRAMES, NULL, NULL, (double)st.frames_out);
    sample(visit, opaque, METRIC_FRAMES_REPEATED, NULL, NULL, (double)st.frames_repeated);
    sample(visit, opaque, METRIC_FRAMES_DROPPED, NULL, NULL, (double)st.frames_dropped);
    for (int r = 0; r < 3; r++)
        sample(visit, opaque, METRIC_SOURCE_ACTIVE, roles[r], NULL, st.role == (PlayoutRole)r);
    sample(visit, opaque, METRIC_INPUT_LOSS_SECONDS, NULL, NULL, st.input_loss_seconds);
    sample(visit, opaque, METRIC_SLATE_SECONDS, NULL, NULL, st.slate_seconds);
    sample(visit, opaque, METRIC_FAILOVERS, NULL, NULL, (double)st.failovers);
}

static void push_metrics(Graph *g, MetricVisit visit, void *opaque)
{
    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->npush; i++) {
        const char *target = g->push[i].name;
        char code[16];
        PushStats st;

        pusher_stats(g->push[i].pusher, &st);
        for (int k = 0; k < st.nrequests; k++) {
            snprintf(code, sizeof(code), "%d", st.requests[k].code);
            sample(visit, opaque, METRIC_PUSH_REQUESTS, target, code, (double)st.requests[k].count);
        }
        if (st.requests_other)
            sample(visit, opaque, METRIC_PUSH_REQUESTS, target, "other", (double)st.requests_other);
        sample_histogram(visit, opaque, METRIC_PUSH_PUBLISH_LATENCY, target, "media",
                         pusher_latency_histogram(g->push[i].pusher, 0));
        sample_histogram(visit, opaque, METRIC_PUSH_PUBLISH_LATENCY, target, "playlist",
                         pusher_latency_histogram(g->push[i].pusher, 1));
        sample(visit, opaque, METRIC_PUSH_SPOOL_BYTES, target, NULL, (double)st.queued_bytes);
        sample(visit, opaque, METRIC_PUSH_DROPPED, target, NULL, (double)st.dropped);
    }
    pthread_mutex_unlock(&g->lock);
}

void graph_metrics(Graph *g, MetricVisit visit, void *opaque)
{
    PackagerStats ps;

    head_metrics(g, visit, opaque);
    for (int i = 0; i < g->nrungs; i++) {
        RungEncoderStats es;
        rung_encoder_stats(g->rung[i], &es);
        if (es.speed_ratio > 0)
            sample(visit, opaque, METRIC_ENCODE_SPEED_RATIO, g->rungs[i].name, NULL, es.speed_ratio);
    }
    packager_stats(g->packager, &ps);
    for (int i = 0; i < ps.nrenditions; i++)
        sample(visit, opaque, METRIC_SEGMENTS, ps.renditions[i].name, NULL,
               (double)ps.renditions[i].segments);
    sample_histogram(visit, opaque, METRIC_SEGMENT_PUBLISH_DELAY, NULL, NULL,
                     packager_publish_delay(g->packager));
    if (ps.has_av_offset)
        sample(visit, opaque, METRIC_AV_OFFSET, NULL, NULL, ps.av_offset_s);
    if (ps.last_publish_us)
        sample(visit, opaque, METRIC_LAST_SEGMENT_AGE, NULL, NULL,
               (double)FFMAX(0, clock_wall_us() - ps.last_publish_us) / 1e6);
    sample(visit, opaque, METRIC_OUTPUT_WRITE_ERRORS, NULL, NULL, (double)ps.write_errors);
    push_metrics(g, visit, opaque);
}

int64_t graph_last_publish_us(Graph *g)
{
    PackagerStats ps;

    packager_stats(g->packager, &ps);
    return ps.last_publish_us;
}

int64_t graph_last_cut_us(Graph *g)
{
    PackagerStats ps;

    packager_stats(g->packager, &ps);
    return ps.last_cut_us;
}

void graph_push_targets(Graph *g, GraphPushVisit visit, void *opaque)
{
    pthread_mutex_lock(&g->lock);
    for (int i = 0; i < g->npush; i++) {
        PushStats st;
        pusher_stats(g->push[i].pusher, &st);
        visit(opaque, g->push[i].name, &st);
    }
    pthread_mutex_unlock(&g->lock);
}

/* ---- push targets of a running channel ---- */

typedef struct WindowFile {
    char path[256];
    OutputName name;
} WindowFile;

/* The order a late target pushes the window in, as the packager first
 * published it: init segments, then media by number (a segment's parts
 * before it), then the media playlists, then what lists them. */
static int window_rank(const WindowFile *f)
{
    switch (f->name.kind) {
    case PUBLISHED_INIT:     return 0;
    case PUBLISHED_SEGMENT:
    case PUBLISHED_PART:     return 1;
    case PUBLISHED_PLAYLIST: return f->name.top ? 3 : 2;
    case PUBLISHED_MANIFEST: return 3;
    }
    return 3;
}

static int window_cmp(const void *pa, const void *pb)
{
    const WindowFile *a = pa, *b = pb;
    int ra = window_rank(a), rb = window_rank(b);
    /* a whole segment (part -1) after its parts */
    int part_a = a->name.part < 0 ? INT32_MAX : a->name.part;
    int part_b = b->name.part < 0 ? INT32_MAX : b->name.part;

    if (ra != rb)
        return ra - rb;
    if (a->name.number != b->name.number)
        return a->name.number < b->name.number ? -1 : 1;
    if (part_a != part_b)
        return part_a < part_b ? -1 : 1;
    return strcmp(a->path, b->path);
}

/* Adds the output tree's files under dir ("" for the top, else a
 * rendition's folder) to *files. Names the packager did not write (its
 * state, temporary files, a pusher's spool) are left out by
 * output_name_parse. */
static int window_list(const char *outdir, const char *dir, WindowFile **files, int *n, int *cap)
{
    char path[4096];
    struct dirent *de;
    DIR *d;

    snprintf(path, sizeof(path), "%s%s%s", outdir, dir[0] ? "/" : "", dir);
    if (!(d = opendir(path)))
        return AVERROR(errno);
    while ((de = readdir(d))) {
        OutputName on;
        if (de->d_name[0] == '.')
            continue;
        if (output_name_parse(de->d_name, &on) < 0) {
            /* at the top, what is not a file of ours may be a rendition's folder */
            int ret = dir[0] ? 0 : window_list(outdir, de->d_name, files, n, cap);
            if (ret < 0 && ret != AVERROR(ENOTDIR)) {
                closedir(d);
                return ret;
            }
            continue;
        }
        if (!on.top != !!dir[0])   /* a playlist's name where it does not belong */
            continue;
        if (*n == *cap) {
            int grown = *cap ? 2 * *cap : 256;
            WindowFile *f = realloc(*files, sizeof(**files) * (size_t)grown);
            if (!f) {
                closedir(d);
                return AVERROR(ENOMEM);
            }
            *files = f;
            *cap = grown;
        }
        (*files)[*n].name = on;
        /* our names are short: one that does not fit is not ours */
        if (snprintf((*files)[*n].path, sizeof((*files)[*n].path), "%s%s%s", dir, dir[0] ? "/" : "",
                     de->d_name) < (int)sizeof((*files)[*n].path))
            (*n)++;
    }
    closedir(d);
    return 0;
}

/* Hands p what the output tree holds now, in publish order, so a target
 * that starts under a running channel has the whole window at once. Called
 * under lock: what the packager publishes meanwhile waits, and follows. */
static int push_seed(Graph *g, Pusher *p)
{
    WindowFile *files = NULL;
    int n = 0, cap = 0, ret;

    if ((ret = window_list(g->outdir, "", &files, &n, &cap)) < 0) {
        free(files);
        return ret;
    }
    qsort(files, (size_t)n, sizeof(*files), window_cmp);
    for (int i = 0; i < n && ret >= 0; i++)
        ret = pusher_published(p, files[i].path, files[i].name.kind);
    free(files);
    return ret;
}

int graph_set_push(Graph *g, const PushConfig *push, int npush, const int *kept)
{
    GraphPush *next = NULL, *old;
    int nold, ret = 0;

    if (npush < 0 || (npush && !(next = calloc((size_t)npush, sizeof(*next)))))
        return npush < 0 ? AVERROR(EINVAL) : AVERROR(ENOMEM);
    for (int i = 0; i < npush && ret >= 0; i++)
        if (kept[i] < 0)
            ret = push_open(g, &next[i], &push[i], i);
    pthread_mutex_lock(&g->lock);
    /* every kept target must be one that runs, kept once: else nothing changes */
    for (int i = 0; i < npush && ret >= 0; i++) {
        if (kept[i] >= 0 && (g->push_closed || kept[i] >= g->npush))
            ret = AVERROR(EINVAL);
        for (int j = 0; j < i && ret >= 0; j++)
            if (kept[i] >= 0 && kept[j] == kept[i])
                ret = AVERROR(EINVAL);
    }
    if (ret < 0) {
        pthread_mutex_unlock(&g->lock);
        push_close(g, next, npush, NULL);
        return ret;
    }
    for (int i = 0; i < npush; i++)
        if (kept[i] >= 0) {
            next[i] = g->push[kept[i]];
            g->push[kept[i]] = (GraphPush){ 0 };
        }
    for (int i = 0; i < npush; i++)
        if (kept[i] < 0 && (ret = push_seed(g, next[i].pusher)) < 0)
            log_msg(LOG_WARN, g->channel, STAGE, "push to %s: the window cannot be listed (%s); it follows "
                    "from the next file", pusher_target(next[i].pusher), ERRSTR(ret));
    old = g->push;
    nold = g->npush;
    g->push = next;
    g->npush = npush;
    pthread_mutex_unlock(&g->lock);
    for (int i = 0; i < npush; i++)
        if (kept[i] < 0)
            log_msg(LOG_NOTICE, g->channel, STAGE, "push to %s: a new target, starting from the window",
                    pusher_target(next[i].pusher));
    push_close(g, old, nold, "no longer a target");
    return 0;
}
