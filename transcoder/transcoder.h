/*
 * transcoder: a source — anything libavformat opens (file, http(s), srt,
 * udp, rtmp, hls) — demuxed and decoded once, put on the output clock.
 *
 * Video leaves as progressive frames at a constant rate: pts is the frame
 * index in time base 1/fps (the source's own rate, kept exactly: 30000/1001
 * stays 30000/1001). Interlaced sources are deinterlaced; gaps are filled
 * by repeating the last frame and surplus frames are dropped. Audio leaves as
 * decoded frames with pts in samples (time base 1/sample_rate) on the same
 * clock, so pts 0 of both is the first video frame.
 */
#ifndef ONAIR_TRANSCODER_H
#define ONAIR_TRANSCODER_H

#include <stdint.h>

#include <libavutil/channel_layout.h>
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
#include <libavutil/samplefmt.h>

#include "common/common.h"

typedef struct SourceInfo {
    int width, height;             /* of the frames delivered */
    AVRational sar;                /* sample aspect ratio, 1:1 when unknown */
    AVRational fps;                /* output frame rate */
    enum AVPixelFormat pix_fmt;    /* of the frames delivered */
    int interlaced;                /* deinterlacing is on */
    int has_audio;
    int sample_rate;               /* of the audio frames delivered */
    AVChannelLayout ch_layout;
    enum AVSampleFormat sample_fmt;
    int64_t duration_us;           /* 0 when unknown (live) */
    char format[32], video_codec[32], audio_codec[32];
} SourceInfo;

typedef struct SourceConfig {
    const char *url;               /* as the user gave it; named in every error */
    const char *channel;           /* for log lines; "" for a transcode */
    /* Polled while blocking in I/O; return nonzero to stop (Ctrl-C). */
    int (*interrupt)(void *opaque);
    void *opaque;
    int decode_threads;            /* 0: libavcodec's choice */
    /* An input that delivers nothing for this long has ended (a live URL
     * whose sender went away, a dead server); 0: wait forever. */
    int64_t stall_timeout_us;
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

/* Demuxes and decodes to the end of the input or until interrupted. Each
 * video frame goes, as a new reference, to every queue of video_out; audio
 * frames to audio_out (NULL: audio is dropped). Every queue is closed on
 * return. Returns 0 at the end of the input (or when it stalled past
 * stall_timeout_us, with a warning), AVERROR_EXIT when interrupted,
 * AVERROR_INVALIDDATA when the input ended early (truncated), or another
 * error; the frames sent before stay valid either way. */
int source_run(Source *src, Queue *const *video_out, int nvideo, Queue *audio_out);

/* Counters, updated while source_run runs; safe to read from another thread
 * (values may be a frame stale). */
void source_stats(const Source *src, SourceStats *stats);

void source_free(Source **src);

#endif
