/*
 * transcoder: a source — anything libavformat opens (file, http(s), srt,
 * udp, rtmp, hls) or a built-in generator — demuxed and decoded once, put
 * on the output clock.
 *
 * Video leaves as progressive frames at a constant rate: pts is the frame
 * index in time base 1/fps (the source's own rate, kept exactly: 30000/1001
 * stays 30000/1001). Interlaced sources are deinterlaced; gaps are filled
 * by repeating the last frame and surplus frames are dropped. Audio leaves as
 * decoded frames with pts in samples (time base 1/sample_rate) on the same
 * clock, so pts 0 of both is the first video frame.
 *
 * Each video frame's best_effort_timestamp is the input picture's own PTS in
 * 90 kHz ticks modulo 2^33 (AV_NOPTS_VALUE when it had none), a repeat's
 * that of the picture it repeats: what a SCTE-35 splice_time of the input
 * is compared with.
 */
#ifndef ONAIR_TRANSCODER_H
#define ONAIR_TRANSCODER_H

#include <stdint.h>

#include <libavutil/channel_layout.h>
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
#include <libavutil/samplefmt.h>

#include "common/common.h"
#include "common/scte35.h"

/* The input as opened. Without canvas_width/out_sample_rate in the config,
 * frames leave as described here; with them, as the config says. */
typedef struct SourceInfo {
    int width, height;
    AVRational sar;                /* sample aspect ratio, 1:1 when unknown */
    AVRational fps;                /* the input's frame rate (the output's without out_fps) */
    enum AVPixelFormat pix_fmt;
    int interlaced;                /* deinterlacing is on */
    int has_audio;
    int sample_rate;
    AVChannelLayout ch_layout;
    enum AVSampleFormat sample_fmt;
    int64_t duration_us;           /* 0 when unknown (live) */
    char format[32], video_codec[32], audio_codec[32];
} SourceInfo;

/* What a built-in generator draws. */
typedef enum SourceGenerator {
    GENERATE_NONE = 0,        /* url is a file or URL libavformat opens */
    GENERATE_TESTSRC,         /* a moving pattern with the wall clock burnt in, and a 1 kHz tone */
    GENERATE_COLOR,           /* a plain colour, silence */
    GENERATE_SLATE,           /* a colour with a text centred, or an image; silence */
} SourceGenerator;

typedef struct SourceConfig {
    const char *url;               /* file or URL; for a generator, its name for messages */
    const char *channel;           /* for log lines; "" for a transcode */
    /* Polled while blocking in I/O; return nonzero to stop (Ctrl-C). */
    int (*interrupt)(void *opaque);
    void *opaque;
    /* A video of at most this many pixels a second is decoded in one
     * thread; a larger one in libavcodec's frame threads, which cost CPU of
     * their own (H.264 1080p: 14% more at 3 threads than at 1) and are
     * worth it only where decoding is more than its share of the cores.
     * 0: always libavcodec's threads. */
    int64_t one_thread_decode_pps;
    /* An input that delivers nothing for this long has ended (a live URL
     * whose sender went away, a dead server); 0: wait forever. */
    int64_t stall_timeout_us;

    /* For a channel's playout; all zero for a transcode. */
    SourceGenerator generate;
    const char *color;             /* generators: "#rrggbb" or an FFmpeg colour name */
    const char *text;              /* slate text */
    const char *image;             /* slate image (a file libavformat reads) */
    int64_t clock_epoch_us;        /* testsrc: wall clock of output frame 0, burnt in */
    int canvas_width, canvas_height; /* fit every picture inside, centred, black around */
    AVRational out_fps;            /* output rate (frames dropped or repeated to it) */
    int out_sample_rate, out_channels; /* audio converted to fltp at this rate and channel count */
    int loop;                      /* a file starts again at its end */
    int64_t start_us;              /* a file starts this far in */
    int reconnect;                 /* a URL that ends or fails is opened again until stopped */
    /* scte35: read the SCTE-35 cues of an MPEG-TS input (the PID of stream
     * type 0x86 that libavformat reads as AV_CODEC_ID_SCTE_35): each new
     * one is handed to on_scte35 on the source's thread as it is demuxed
     * (the cue is borrowed for the call). Repeats of a recent cue (senders
     * repeat one until its splice time) and splice_null are dropped; an
     * unreadable one is skipped with a warning (once). */
    int scte35;
    void (*on_scte35)(void *opaque, const Scte35Cue *cue);
    void *scte35_opaque;
} SourceConfig;

typedef struct SourceStats {
    int64_t frames_decoded, frames_out, frames_dropped, frames_duplicated;
    int64_t packets_corrupt, decode_errors;
    int64_t audio_samples;
    int64_t last_pts_us;           /* media time reached, for progress */
} SourceStats;

typedef struct Source Source;

/* Opens and probes the input; logs why it cannot (missing file, not media,
 * no video stream) naming the URL. On success *src is owned by the caller. */
int source_open(Source **src, const SourceConfig *cfg);

const SourceInfo *source_info(const Source *src);

/* For a caller that plans its work from source_info(): replaces
 * one_thread_decode_pps, opening the video decoder again where that changes
 * its threads. Before source_run only. */
int source_set_one_thread_decode_pps(Source *src, int64_t pps);

/* Demuxes and decodes to the end of the input (a looped file, a
 * reconnecting URL or a generator: until interrupted). Each
 * video frame goes, as a new reference, to every queue of video_out; audio
 * frames to audio_out (NULL: audio is dropped). Every queue is closed on
 * return. Returns 0 at the end of the input (or when it stalled past
 * stall_timeout_us, with a warning), AVERROR_EXIT when interrupted,
 * AVERROR_INVALIDDATA when the input ended early (truncated), or another
 * error; the frames sent before stay valid either way. */
int source_run(Source *src, Queue *const *video_out, int nvideo, Queue *audio_out);

/* Makes source_run end as an interrupt would (AVERROR_EXIT), from any
 * thread: blocking I/O is cut short too. */
void source_stop(Source *src);

/* Counters, updated while source_run runs; safe to read from another thread
 * (values may be a frame stale). */
void source_stats(const Source *src, SourceStats *stats);

void source_free(Source **src);

/* ---- playout ---------------------------------------------------------- */

/*
 * The playout is a channel's own output clock. Frame n airs at
 * epoch_us + (n - first_frame) / fps on the wall clock; for every frame it
 * takes a picture from the input on air (a source fitted to the canvas), or
 * the slate, and the audio samples that belong to exactly that frame, and
 * passes both on. Inputs are started ahead of their cue (pre-roll) so a
 * switch lands on its frame; a live input that stops delivering for its
 * timeout is replaced by its backup, else the slate, and taken back as soon
 * as it delivers again.
 */

typedef struct PlayoutInput PlayoutInput;

/* Starts a source in a thread of its own, which opens it (a URL with
 * `reconnect` keeps trying until it opens; anything else that cannot be
 * opened just ends, and the slate airs in its place). cfg must carry the
 * playout's canvas, rate and audio format; its strings are copied. live:
 * frames arrive in real time and the newest are taken; else frames are
 * taken in order, as fast as the source makes them. With cfg->scte35, the
 * input's SCTE-35 cues are taken over onto the output clock
 * (PLAYOUT_INPUT_CUE; cfg->on_scte35 is the playout's own). */
int playout_input_start(PlayoutInput **in, const SourceConfig *cfg, int live);
/* Stops the source and frees the input (NULLed). */
void playout_input_free(PlayoutInput **in);

typedef enum PlayoutEventType {
    PLAYOUT_PROGRAM,        /* a cue went on air */
    PLAYOUT_FAILOVER,       /* the primary went silent: backup or slate */
    PLAYOUT_RECOVERED,      /* the primary is back */
    /* A SCTE-35 cue of the input on air (one started with scte35) splices
     * here: `frame` is the first output frame whose picture is at or after
     * its splice point (splice_time + pts_adjustment on the input's PTS,
     * modulo 2^33), or the next frame for one without a time (immediate,
     * time_signal "now") or one that came too late (logged). The event
     * comes before that frame goes to the encoders, so a segment can still
     * start on it. A cancel drops the pending cue of its event id and is
     * not reported; the cues of an input off air are let go. */
    PLAYOUT_INPUT_CUE,
    PLAYOUT_MARK,           /* the frame of playout_mark airs (cue_id: the mark's id) */
} PlayoutEventType;

typedef struct PlayoutEvent {
    PlayoutEventType type;
    int64_t frame;          /* the output frame it happened on */
    int64_t wall_us;        /* that frame's air time */
    int cue_id;
    int on_backup;          /* failover: 1 backup, 0 slate; input cue: from the backup */
    const Scte35Cue *scte35; /* PLAYOUT_INPUT_CUE: the cue, borrowed for the call */
    /* PLAYOUT_INPUT_CUE: on_event may set it to a break's duration (90 kHz):
     * the input's picture that far past the cue's splice point (past the
     * picture it was taken at, for one without a time) then raises a
     * PLAYOUT_INPUT_CUE of its own, a splice_insert return of the same event
     * id: the break returns where the input does, whatever frames the
     * input lost or repeated on the way. A cancel of the event drops it. */
    int64_t *return_after;
} PlayoutEvent;

typedef struct PlayoutConfig {
    const char *channel;
    int width, height;
    AVRational fps;
    int sample_rate, channels;
    int64_t epoch_us;       /* air time of first_frame */
    int64_t first_frame;    /* the frame index to start at (a restart continues) */
    int paced;              /* wait for each frame's air time (0: as fast as possible, for tests) */
    PlayoutInput *slate;    /* what airs when nothing else does; the playout takes it over
                             * (and frees it, even when playout_new fails) */
    void (*on_event)(void *opaque, const PlayoutEvent *ev);
    void *opaque;
} PlayoutConfig;

typedef struct Playout Playout;

int playout_new(Playout **p, const PlayoutConfig *cfg);

/* From output frame `frame` on, `primary` is on air (NULL: the slate), with
 * `backup` to fall back to (may be NULL) after `timeout_us` without a new
 * picture from a live primary. The playout takes ownership of the inputs.
 * Cues must come in frame order; a cue for a frame already aired takes
 * effect at once. Thread safe. */
int playout_cue(Playout *p, int64_t frame, int cue_id, PlayoutInput *primary, PlayoutInput *backup,
                int64_t timeout_us);

/* Thread body: runs until playout_stop, or (unpaced) until `frames` frames
 * are out when frames > 0. Each canvas frame (pts = frame index, time base
 * 1/fps) goes, as a new reference, to every queue of video_out; its audio
 * (fltp, pts in samples on the same clock) to audio_out (NULL: dropped).
 * Closes the output queues on return. */
int playout_run(Playout *p, Queue *const *video_out, int nvideo, Queue *audio_out, int64_t frames);
/* PLAYOUT_MARK with `id` when `frame` airs (at the next frame when it has
 * aired already): something the supervisor planned for a frame of its
 * own, such as an input's ad break returning by itself. AVERROR(ENOSPC)
 * with PLAYOUT_MARKS_MAX marks waiting. Thread safe; on_event may call it. */
#define PLAYOUT_MARKS_MAX 16
int playout_mark(Playout *p, int64_t frame, int id);
/* Drops the cues at or after `frame` that are not on air yet (their inputs
 * are let go): an operator changed what airs from that frame on, and the
 * supervisor cues it again. Thread safe. */
void playout_uncue_from(Playout *p, int64_t frame);
/* From the next frame on, `slate` airs where the slate does (a reload that
 * changed it); the playout takes it over. Thread safe. */
void playout_set_slate(Playout *p, PlayoutInput *slate);
/* 1 once the input has decoded a picture: a cue made now shows it at once. */
int playout_input_ready(PlayoutInput *in);
void playout_stop(Playout *p);
/* Stops when `frame` is next (a segment boundary: the segment in progress
 * is finished). Thread safe. */
void playout_stop_at(Playout *p, int64_t frame);
/* The next frame to air (for state and progress). */
int64_t playout_next_frame(const Playout *p);

/* Who is on air: the cue's primary, its backup, or the slate (also when
 * nothing is cued, or the primary cannot be opened or has no picture yet). */
typedef enum PlayoutRole {
    PLAYOUT_ROLE_PRIMARY,
    PLAYOUT_ROLE_BACKUP,
    PLAYOUT_ROLE_SLATE,
} PlayoutRole;

/* What the output clock did since playout_new (the metrics of a channel).
 * Only a source that should deliver counts repeats and drops: the slate
 * generator's own pictures never do, nor an input off air (a backup in
 * standby, a program in pre-roll) letting its pictures go. */
typedef struct PlayoutStats {
    int64_t frames_out;            /* frames put out */
    /* frames that showed the input on air's last picture again: it had no
     * new one for this frame (a live sender late or gone but not yet past
     * its timeout, a file decoding slower than real time) */
    int64_t frames_repeated;
    /* pictures taken from the on-air input's queue and never aired: a live
     * input's backlog beyond what it keeps in hand (a sender faster than
     * the channel, a burst after a stall) */
    int64_t frames_dropped;
    PlayoutRole role;              /* of the last frame put out (slate before the first) */
    /* frames while a cued live primary was silent, from its failover to
     * its recovery (one that never delivered: from its timeout on),
     * whatever aired instead; in seconds of output */
    double input_loss_seconds;
    double slate_seconds;          /* frames of slate (or black), for any reason, in seconds */
    int64_t failovers;             /* times a live primary was found silent */
} PlayoutStats;

/* A snapshot of the counters. Thread safe, while playout_run runs too. */
void playout_stats(const Playout *p, PlayoutStats *st);
void playout_free(Playout **p);

#endif
