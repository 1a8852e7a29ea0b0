/*
 * packager: cuts encoded packets into segments on the segment grid, muxes
 * them (MPEG-TS, or fMP4/CMAF with an init segment) in memory, and writes
 * segments, HLS playlists and DASH manifests through a sink.
 *
 * onair writes its own playlists and manifests (playlist/playlist.h, pure
 * functions of plain structs); libavformat's mpegts and mp4 muxers only
 * produce segment bodies.
 *
 * Output tree: OUTDIR/master.m3u8, OUTDIR/<rendition>/index.m3u8 with the
 * segments beside it (seg_NNNNNNNN.ts|.m4s, init.mp4), OUTDIR/manifest.mpd.
 * Its names, the formats (FORMAT_*), Content-Types and the sinks' defaults
 * are common/output.h's, shared with the config, the sinks and the CLI.
 *
 * The packager knows no sink: the graph hands it one (PackagerConfig.sink,
 * the dir sink of sink/sink.h today), and tells the pushers what it
 * published through on_published/on_deleted.
 */
#ifndef ONAIR_PACKAGER_H
#define ONAIR_PACKAGER_H

#include <stdint.h>

#include <libavcodec/codec_par.h>
#include <libavutil/rational.h>

#include "common/common.h"
#include "common/metrics.h"
#include "common/output.h"

typedef struct PackagerStream {
    const char *name;                 /* folder and playlist name: "720p", "audio" */
    const AVCodecParameters *par;     /* borrowed; extradata must be set */
    AVRational time_base;             /* of its packets */
} PackagerStream;

typedef struct PackagerConfig {
    const char *outdir;               /* the sink's target */
    const SinkKind *sink;             /* where files go (common/output.h); required */
    const char *channel;              /* for log lines */
    unsigned formats;                 /* FORMAT_* */
    SegmentGrid grid;
    AVRational fps;                   /* video frame rate (for FRAME-RATE) */
    const PackagerStream *video;      /* packets with stream_index i < nvideo */
    int nvideo;
    const PackagerStream *audio;      /* stream_index nvideo; NULL for none */

    /* A live channel: every segment is published as it completes (its
     * rendition's playlist rewritten, then the MPD once every rendition has
     * it), playlists keep a sliding window, and segments that left it are
     * deleted a window later. What was published is kept in OUTDIR's state
     * file, so a restart continues it. */
    int live;
    int window;                       /* segments in a live playlist */
    int64_t epoch_us;                 /* air time of frame first_frame: PROGRAM-DATE-TIME */
    int64_t first_frame;              /* this run's first frame (a restart continues the count) */
    int64_t channel_start_us;         /* kept in the state for the timeline of a restart */
    int resume;                       /* continue the window the state file describes */
    /* An A/B pair's instance: segments are numbered as the pair numbers
     * them (the grid as given), not on from the state's. rejoin: the pair
     * stayed on air without this instance, so the state's segments are no
     * longer its window (a gap, not a discontinuity, is what it missed);
     * the state's breaks and programs still count. */
    int pair, rejoin;
    const char *utc_timing_url;       /* live DASH UTCTiming (http-iso); NULL: direct */
    int64_t part_us;                  /* live: LL-HLS partial segments of this length; 0: none.
                                       * Parts are cut in decode order: the encoder must make
                                       * no B-frames (low latency). */
    unsigned ad_markers;              /* live: how breaks are marked (AD_MARKERS_*); 0: daterange */
    /* live: HLS Interstitials for every break: X-ASSET-LIST or X-ASSET-URI
     * (one of them; both NULL: none) and X-RESTRICT (INTERSTITIAL_RESTRICT_*);
     * borrowed, they must outlive the packager */
    const char *interstitial_asset_list, *interstitial_asset_uri;
    unsigned interstitial_restrict;

    /* Told of every file once it is in outdir (path relative to it), in the
     * order written, and of every segment deleted; called on the packager's
     * thread, so it must not block. NULL: nobody follows. */
    void (*on_published)(void *opaque, const char *path, enum PublishedKind kind);
    void (*on_deleted)(void *opaque, const char *path);
    void *opaque;
} PackagerConfig;

typedef struct Packager Packager;

int packager_new(Packager **p, const PackagerConfig *cfg);

/* Thread body: packets from in until every producer closed it, segments
 * written as they complete; an empty packet (size 0) with a stream_index
 * says that stream has ended. Then the VOD playlists and manifest. A failed
 * write is an error that stops it (the queue is aborted).
 *
 * Every rendition's timestamps are shifted by PACKAGER_TS_OFFSET_US so that no
 * decode time (B-frames) or priming (AAC) is negative; the shift is the same
 * for every stream, so they stay aligned and in sync. */
#define PACKAGER_TS_OFFSET_US 10000000
int packager_run(Packager *p, Queue *in);

/* Live: a program went on air at `frame` (an EXT-X-DATERANGE, CLASS
 * com.onair.program); planned_us 0 when it has no planned end. The previous
 * program ends there. Thread safe. */
int packager_program(Packager *p, const char *title, int64_t frame, int64_t planned_us);

/* Live: an ad break. The network goes out at start_frame for
 * planned_frames (0: open, until packager_break_return), and the channel
 * already made both frames segment starts (the grid's splices), so every
 * rendition's segment starts on them. The packager writes the SCTE-35
 * splice_insert cues (common/scte35.h; splice_time on the output's own
 * timestamps, a planned break with auto_return), marks the break in the
 * playlists and the MPD as output.ad_markers and the interstitials ask, and
 * keeps it in the state file, so a restart in a break knows it. */
typedef struct PackagerBreak {
    uint32_t event_id;                /* splice_event_id: unique for the channel's life */
    const char *id;                   /* the DATERANGE ID: printable, no quote; copied */
    int64_t start_frame;
    int64_t planned_frames;           /* 0: open */
} PackagerBreak;
/* Thread safe. AVERROR(EEXIST) for an event_id already out. */
int packager_break(Packager *p, const PackagerBreak *b);
/* Break event_id ends at frame (a segment start): its planned end, or an
 * early return. The SCTE-35 cue in says so. AVERROR(ENOENT) when that break
 * is not out. Thread safe. */
int packager_break_return(Packager *p, uint32_t event_id, int64_t frame);
/* The breaks that start at or after frame are withdrawn: the timeline
 * changed from there before they aired (what is cued again comes again).
 * Thread safe. */
void packager_breaks_withdraw(Packager *p, int64_t frame);
/* Break event_id as the packager knows it (a restart in a break knows it
 * from the state file): b's start_frame and planned_frames, and its first
 * frame's air time. AVERROR(ENOENT) when it knows no such break. Thread safe. */
int packager_break_known(Packager *p, uint32_t event_id, PackagerBreak *b, int64_t *start_us);
/* The break out at frame (it started at or before it and has not returned:
 * one out when the channel stopped), as packager_break_known, its DATERANGE
 * ID copied to id. AVERROR(ENOENT) when none is. Thread safe. */
int packager_break_out_at(Packager *p, int64_t frame, PackagerBreak *b, char *id, size_t id_size,
                          int64_t *start_us);

/* What an earlier live run left in outdir's state file: the frame to go on
 * from and the channel's first start. AVERROR(ENOENT) when there is none. */
int packager_resume_point(const char *outdir, int64_t *next_frame, int64_t *channel_start_us);

/* Media time of the segments written so far, in microseconds. */
int64_t packager_progress_us(const Packager *p);

/* What the packager published (the metrics of a channel or a transcode). */
typedef struct PackagerStats {
    /* segments published per rendition as the output tree names them (the
     * rungs, then audio's own when fMP4 carries it): one per segment
     * number, whichever formats carry it. Live: counted once its playlist
     * names it; a transcode: once its file is written. name is the
     * packager's, valid while it lives. */
    struct {
        const char *name;
        int64_t segments;
    } renditions[LADDER_MAX + 1];
    int nrenditions;
    /* audio time minus video time at the packager's input, seconds: the
     * end of the latest audio packet against the end every rung's video
     * has reached (positive: audio ahead) */
    double av_offset_s;
    int has_av_offset;             /* 0 until both have come */
    /* live: wall clock (clock_wall_us) when the last segment was published
     * in every rendition (written, and its playlists); 0: none yet */
    int64_t last_publish_us;
    int64_t last_cut_us;           /* the same for the last segment cut, published or lost */
    int64_t write_errors;          /* writes the output folder refused (a full disk) */
} PackagerStats;

/* A snapshot of the counters. Thread safe, while packager_run runs too. */
void packager_stats(const Packager *p, PackagerStats *st);

/* Live: from each segment's end on the output clock (its last frame's air
 * time plus one frame: AirClock) to the wall time it was published in every
 * rendition (the last playlist naming it written), seconds, clamped at 0.
 * Empty for a transcode. Owned by the packager; read from any thread. */
const Histogram *packager_publish_delay(const Packager *p);

void packager_free(Packager **p);

#endif
