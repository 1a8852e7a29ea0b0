/*
 * graph: the one place where a pipeline is wired. A command (cli/transcode.c
 * for a file, schedule/channel.c for a live channel) describes the graph it
 * wants in a GraphConfig; the graph creates the stages, the queues between
 * them and their threads, and decides how a stop and a failure travel. No
 * command starts a thread of its own, and the stages never know each other:
 * they meet only at the graph's queues (the way fftools/ffmpeg_sched.h keeps
 * FFmpeg's demuxers, decoders, encoders and muxers apart).
 *
 * Threads and queues (capacity in items; items move, never copied):
 *
 *   head ──frames──► rung (root) ──frames──► rung (cascaded) ...
 *     │   GRAPH_FRAME_QUEUE          │ packets   GRAPH_FRAME_QUEUE  │ packets
 *     │                              ▼                              ▼
 *     └─audio─► audio ──packets──► ─────── GRAPH_PACKET_QUEUE ──► packager ──► files
 *       GRAPH_AUDIO_QUEUE                                           │ published, deleted
 *                                                                   ▼
 *                                                pushers (one per target, threads of their own)
 *   tick: the command's periodic work (a channel's supervisor, a transcode's
 *         progress) and the push reports, every tick_us
 *
 *   - head: one thread, either a Source (a transcode: demux + decode as fast
 *     as the encoders take it) or a Playout (a channel: the output clock,
 *     paced to the wall clock). Each frame goes, as a new reference, to every
 *     root rung's queue (the rungs that scale from the head's picture).
 *   - rung: one thread per rung scales and passes each scaled frame to the
 *     rungs cascaded from it, and encodes in a second thread of its own
 *     (encoder/); its packets go to the one packet queue.
 *   - audio: one thread resamples and encodes AAC into the same packet queue.
 *   - packager: one thread cuts, muxes and writes; it is the packet queue's
 *     only consumer, and that queue has one producer per rung and audio.
 *   - pushers: each push target has its own thread (libcurl multi); the
 *     packager only hands them file names (never blocks on the network).
 *   - not the graph's: a playout's inputs each decode in a thread of their
 *     own (transcoder/, started by the supervisor ahead of their cue), and the
 *     built-in server's threads read the output folder, not the graph.
 *
 * Ownership: the graph owns every stage, queue and thread it made, and the
 * head it was given; the config's strings and arrays are read during
 * graph_new only, except channel, which must outlive the graph.
 *
 * A stop travels downstream with the data: the head ends (a source reaches
 * its end or is interrupted, a playout reaches its stop frame) and closes its
 * queues; each stage drains what it holds, closes its outputs and ends; the
 * packager writes its last segments and playlists; graph_wait then lets the
 * pushers flush (each bounded by its own flush time) and report.
 *
 * A failure travels everywhere at once: the first stage that fails records
 * its error, the head is stopped (a source even while it waits on its
 * input) and every queue is aborted, so no thread waits forever on a
 * neighbour that is gone; graph_wait returns that error.
 * What counts as a failure is one rule for every command (graph_failed).
 *
 * Counters: every stage and queue reports its counters through
 * graph_counters(), and its metrics (common/metrics.h) through
 * graph_metrics(), so a reader (logs, progress, /metrics) needs no link to
 * the stages.
 */
#ifndef ONAIR_GRAPH_H
#define ONAIR_GRAPH_H

#include <stdint.h>

#include "common/common.h"
#include "encoder/encoder.h"
#include "packager/packager.h"
#include "sink/sink.h"
#include "transcoder/transcoder.h"

/* Queue capacities. A paced head (a channel's playout) must never wait on an
 * encoder that is a moment slow (a scene cut, a busy core): it has the
 * deeper frame queue. An unpaced head (a transcode) runs at the pace of the
 * slowest stage anyway, where more frames only cost memory (a 1080p source
 * frame is 3 MB). Packets are small; one bound serves both. */
#define GRAPH_FRAME_QUEUE 4
#define GRAPH_FRAME_QUEUE_PACED 8
#define GRAPH_AUDIO_QUEUE 64
#define GRAPH_PACKET_QUEUE 512

/* The tick thread's period, unless the config gives one. */
#define GRAPH_TICK_US 100000
/* Push counters are logged this often while they change or fail. */
#define GRAPH_PUSH_REPORT_US 60000000

/* One rung as the command planned it: its picture (already fitted) and bit rate. */
typedef struct GraphRung {
    const char *name;              /* folder, playlist and log name: "720p" */
    int width, height;
    int64_t bitrate;
} GraphRung;

/* The encoder policy, one for every command. */
typedef struct GraphEncoder {
    const char *backend;           /* "auto", "x264", "nvenc", "vaapi", "qsv" */
    /* "x264" or "none": what replaces a hardware backend that fails while
     * encoding (with a warning), or, unless backend_required, one that is
     * not usable when the graph is built. "none": the graph fails. */
    const char *fallback;
    /* 1: a backend that is not usable on this host is an error, not a
     * reason to fall back: a transcode's --encoder names what the user
     * wants made, and they would rather hear that it cannot be. A channel
     * (0) stays on air with its fallback. */
    int backend_required;
    const char *preset;            /* x264 preset name; hardware backends map it */
    const char *origin;            /* how messages name the choice: "--encoder", "encoder.backend" */
} GraphEncoder;

/* GraphEncoder's policy at build time: the backend to run (logged: a
 * fallback taken, or why none is usable). graph_new applies it; a command
 * may call it first to fail before it touches anything. */
int graph_pick_backend(const GraphEncoder *e, const char *channel, const EncoderBackend **out);

typedef struct GraphConfig {
    const char *channel;           /* for log lines: "" for a transcode; must outlive the graph */

    /* The head, exactly one; the graph takes it over (and frees it, even
     * when graph_new fails). */
    Source *source;                /* opened, planned from its source_info() */
    Playout *playout;
    int64_t playout_frames;        /* an unpaced playout stops after this many frames; 0: at its stop */

    AVRational fps;                /* of the head's frames (pts = frame index) */
    SegmentGrid grid;              /* an IDR at every segment start, in every rung */
    int src_width, src_height;     /* of the head's pictures, for the cascade plan */
    const GraphRung *rungs;        /* largest first, as the command lists them */
    int nrungs;
    GraphEncoder encoder;
    int low_latency;               /* no B-frames, no lookahead, sliced threads */
    int cores;                     /* the share of the host's cores this graph plans for */

    /* NULL: no audio. in_* must describe the head's audio; rendition is set
     * by the graph. */
    const AudioConfig *audio;

    /* The packager; video, nvideo and audio are filled in by the graph,
     * on_published/on_deleted when there are push targets or a playout (a
     * live channel may gain targets), and sink when it is NULL: the dir
     * sink (sink/sink.h). */
    const PackagerConfig *packager;
    const PushConfig *push;        /* push targets of a live channel, npush of them */
    int npush;

    /* Called on the tick thread every tick_us (0: GRAPH_TICK_US) while the
     * head runs; a negative return fails the graph with that error
     * (AVERROR_EXIT: stopped on purpose, at once). NULL: no tick. */
    int (*tick)(void *opaque);
    int64_t tick_us;
    const char *tick_name;         /* the tick thread's name ("supervisor", "progress") */
    void *opaque;
} GraphConfig;

typedef struct Graph Graph;

/* Builds the stages and queues (nothing runs yet): picks the encode backend
 * (GraphEncoder's policy), plans the cascade and the thread budgets, opens
 * the encoders, the packager and the pushers. Logs why it cannot, naming
 * the channel. On failure *g is NULL and the head is freed. */
int graph_new(Graph **g, const GraphConfig *cfg);

/* Starts every thread, the head last. On failure what started is stopped
 * (graph_wait still joins it). */
int graph_start(Graph *g);

/* The first failure wins: records err (when none was recorded), stops the
 * head and aborts every queue. Thread safe; for any thread and the tick. */
void graph_abort(Graph *g, int err);

/* 1 while any of the graph's threads runs. */
int graph_running(const Graph *g);

/* Joins every thread; then the pushers flush and log their last report.
 * Returns 0, or the failure that stopped the graph. */
int graph_wait(Graph *g);

/* The head's own return (source_run, playout_run): 0 at its end,
 * AVERROR_EXIT when interrupted, AVERROR_INVALIDDATA for a source that
 * ended early (truncated; what came before is complete). After graph_wait. */
int graph_head_result(const Graph *g);

/* Stops what runs (as graph_abort with AVERROR_EXIT), waits, frees, NULLs. */
void graph_free(Graph **g);

/* Where a code counts as a failure: anything negative but the ends of a
 * stream (AVERROR_EOF), a stop on purpose (AVERROR_EXIT) and, from a source
 * head only, AVERROR_INVALIDDATA (its input ended early, see
 * graph_head_result). */
int graph_failed(int ret, int from_source_head);

/* ---- what the graph made ---------------------------------------------- */

typedef struct GraphRungInfo {
    const char *name;
    int width, height;
    int64_t bitrate;
    int parent;                    /* index of the rung it scales from; -1: the head */
    const char *backend;           /* the backend that runs it now */
} GraphRungInfo;

int graph_nrungs(const Graph *g);
void graph_rung_info(const Graph *g, int i, GraphRungInfo *out);
/* The backend picked when the graph was built. */
const EncoderBackend *graph_backend(const Graph *g);
/* What a source of this graph's ladder should decode in one thread
 * (SourceConfig.one_thread_decode_pps); the graph sets it on its own
 * source head. */
int64_t graph_one_thread_decode_pps(const Graph *g);

/* The packager, for the program marks a channel adds while it runs. */
Packager *graph_packager(Graph *g);

/* Frames every rung has encoded (the least of them): progress. */
int64_t graph_frames_encoded(const Graph *g);

/* ---- counters --------------------------------------------------------- */

enum GraphCounterKind {
    GRAPH_COUNTER,                 /* only goes up */
    GRAPH_GAUGE,                   /* a level now */
};

typedef struct GraphCounter {
    const char *stage;             /* "source", "playout", "rung", "audio", "packager",
                                    * "queue", "push" */
    const char *instance;          /* the rung's or target's name, the queue's: "720p",
                                    * "frames 720p", "audio", "packets"; "" for one of a kind */
    const char *name;              /* "frames_out", "depth", ... (base units in the name) */
    enum GraphCounterKind kind;
    int64_t value;
} GraphCounter;

/* Calls visit for every counter of every stage and queue, now. Thread safe
 * while the graph runs; values may be a moment apart. */
void graph_counters(Graph *g, void (*visit)(void *opaque, const GraphCounter *c), void *opaque);

/* ---- metrics ---------------------------------------------------------- */

/* Calls visit, on the caller's thread, with every sample the stages keep
 * (common/metrics.h): onair_frames_total, _repeated, _dropped (a channel:
 * its playout clock, see PlayoutStats; a transcode: its source's),
 * onair_source_active{role} (all three roles, 1 for the one on air),
 * input loss and slate seconds, failovers (a channel only),
 * segments_total{rendition}, segment_publish_delay_seconds,
 * av_offset_seconds (once audio and video came), last_segment_age_seconds
 * (once one was published), encode_speed_ratio{rendition} (once measured),
 * and per push target (PushConfig.name, else its index) push_requests_total
 * {target,code}, push_publish_latency_seconds{target,kind},
 * push_spool_bytes and push_dropped_total. Samples carry no channel label:
 * the channel adds it. Label strings are valid during the call only.
 * Thread safe from graph_new to graph_free (not during it); values may be a
 * moment apart. */
void graph_metrics(Graph *g, MetricVisit visit, void *opaque);

/* Wall clock (clock_wall_us) when the last segment was published in every
 * rendition; 0: none yet (and always for a transcode). For readiness.
 * Thread safe, as graph_metrics. */
int64_t graph_last_publish_us(Graph *g);
/* The same for the last segment cut in every rendition, published or not
 * (a full disk loses it): whether the pipeline keeps time. */
int64_t graph_last_cut_us(Graph *g);

/* The push targets now, for a status page: visit is called with each one's
 * label and counters, in the order of the list, under the graph's lock (so
 * it must not call back into the graph). */
typedef void (*GraphPushVisit)(void *opaque, const char *name, const PushStats *st);
void graph_push_targets(Graph *g, GraphPushVisit visit, void *opaque);

/* Replaces a live channel's push targets while it runs, without a gap in
 * what the others receive: target i of push (npush of them) is, when
 * kept[i] >= 0, the target now at that index going on as it is (its queue,
 * spool and counters; the caller keeps a target only when its config and
 * its label are the same), else a new one that first gets the whole window
 * the output tree holds now, in publish order, then follows the packager.
 * The targets not kept flush what waits (bounded by their flush time, on
 * the caller's thread) and log their last word. Strings are copied. On
 * failure (a target cannot start, kept names one that does not run or one
 * twice, the graph has ended) nothing changes. */
int graph_set_push(Graph *g, const PushConfig *push, int npush, const int *kept);

#endif
