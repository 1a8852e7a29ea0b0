/*
 * encoder: one per rung — scale (cascading from a larger rung where that is
 * cheaper) and encode H.264 with an IDR at every segment boundary — plus
 * the AAC audio encoder.
 *
 * Encode backends (x264, NVENC, VAAPI, QSV) are rows of one registry of
 * const tables; nothing else in onair knows which one runs.
 */
#ifndef ONAIR_ENCODER_H
#define ONAIR_ENCODER_H

#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>

#include "common/common.h"

/* ---- backends --------------------------------------------------------- */

typedef struct EncoderParams {
    int width, height;            /* of the frames sent */
    enum AVPixelFormat pix_fmt;   /* of the frames sent (software frames) */
    AVRational fps;               /* frames carry pts = frame index, time base 1/fps */
    int64_t bitrate;              /* target, bits per second */
    int64_t max_bitrate;          /* VBV cap, 0 for none */
    const char *preset;           /* x264 names: ultrafast..veryslow; hw backends map them */
    int threads;                  /* this encoder's share of the cores; 0: backend's choice */
    int max_keyint;               /* the longest segment, in frames */
    int low_latency;              /* no B-frames, no lookahead, sliced threads */
    const char *channel, *name;   /* for log lines */
} EncoderParams;

typedef struct EncoderBackend {
    const char *name;             /* as --encoder and the YAML name it */
    const char *description;
    int hardware;
    /* 0 when usable on this host, else a negative code with the reason
     * (the missing piece: driver, device, library) written to reason. */
    int (*probe)(char *reason, size_t size);
    /* Opens an encoder; fills par with codec id, size, extradata (SPS/PPS),
     * profile and level. *priv is freed with close. Logs why it fails. */
    int (*open)(void **priv, const EncoderParams *p, AVCodecParameters *par);
    /* frame is borrowed; NULL drains. idr: this frame must be an IDR. */
    int (*send_frame)(void *priv, const AVFrame *frame, int idr);
    /* 0 with a packet (pts, dts in 1/fps; duration; key flag),
     * AVERROR(EAGAIN) when it needs more frames, AVERROR_EOF when drained. */
    int (*receive_packet)(void *priv, AVPacket *pkt);
    void (*close)(void **priv);
} EncoderBackend;

/* The registry, hardware first in order of preference, NULL-terminated. */
const EncoderBackend *const *encoder_backends(void);
const EncoderBackend *encoder_backend_find(const char *name);

/* name "auto": the first usable hardware backend, else x264. An explicit
 * name that is unknown gives AVERROR(EINVAL); one that is not usable gives
 * AVERROR(ENODEV) with the reason. */
int encoder_backend_pick(const char *name, const EncoderBackend **out,
                         char *reason, size_t size);

extern const EncoderBackend encoder_x264;
extern const EncoderBackend encoder_nvenc;
extern const EncoderBackend encoder_vaapi;
extern const EncoderBackend encoder_qsv;

/* ---- ladder planning -------------------------------------------------- */

/* For each of n output sizes, the index of the rung it scales from, or -1
 * for the source: the smallest rung that is a whole multiple of it (2x, 3x)
 * and smaller than the source, since scaling from it is cheaper and, the
 * ratio being whole, matches a direct scale closely. */
void encoder_plan_cascade(const int *widths, const int *heights, int n,
                          int src_w, int src_h, int *parent);

/* Splits 1.5 threads per core between n encoders by their pixel counts;
 * every encoder gets at least one. */
void encoder_budget_threads(const int *widths, const int *heights, int n,
                            int cores, int *threads);

/* The most pixels a second one decoding thread should put out for this
 * ladder on `cores` cores at `fps` (SourceConfig.one_thread_decode_pps):
 * as long as decoding is under three quarters of its share of the whole
 * job's CPU, the encoders keep the other cores busy and the decoder's
 * frame threads would only add CPU of their own. The encoders' share is
 * estimated from their pixels and the backend's cost per pixel (x264 by
 * preset; a hardware encoder costs the CPU next to nothing, so its
 * decoder always gets threads). */
int64_t encoder_budget_decode(const int *widths, const int *heights, int n, AVRational fps,
                              int cores, const EncoderBackend *backend, const char *preset);

/* ---- rung worker ------------------------------------------------------ */

typedef struct RungConfig {
    const EncoderBackend *backend;
    const EncoderBackend *fallback; /* used with a warning if a hardware backend fails; may be NULL */
    EncoderParams params;           /* width/height: this rung's picture; frames
                                     * of any size and format are scaled to it */
    SegmentGrid grid;               /* IDR at every segment start */
    int rendition;                  /* stream_index of the packets sent */
} RungConfig;

typedef struct RungEncoder RungEncoder;

int rung_encoder_new(RungEncoder **r, const RungConfig *cfg);
/* Codec parameters of the stream produced (valid after rung_encoder_new). */
const AVCodecParameters *rung_encoder_codecpar(const RungEncoder *r);
/* The backend that actually runs (the fallback after a hardware failure). */
const EncoderBackend *rung_encoder_backend(const RungEncoder *r);

/* Thread body. Receives frames from in, scales them to this rung, passes a
 * reference of each scaled frame to every queue in cascade_out (rungs that
 * scale from this one), and encodes them in a second thread of its own, so
 * the cascade never waits on this rung's encoder. Packets (stream_index =
 * rendition, time_base 1/fps) go to out, then an end-of-stream packet.
 * Closes cascade_out and out on return. */
int rung_encoder_run(RungEncoder *r, Queue *in, Queue *const *cascade_out, int ncascade, Queue *out);

int64_t rung_encoder_frames(const RungEncoder *r);   /* frames encoded so far */

typedef struct RungEncoderStats {
    int64_t frames;               /* encoded so far */
    /* media time encoded over the time the backend spent encoding it (its
     * send and receive calls, not waiting for frames or for room to put
     * packets), over about the last 10 s of media: 1 is real time, more is
     * spare capacity. 0 until the first frame is encoded. */
    double speed_ratio;
} RungEncoderStats;

/* A snapshot. Thread safe, while rung_encoder_run runs too. */
void rung_encoder_stats(const RungEncoder *r, RungEncoderStats *st);
void rung_encoder_free(RungEncoder **r);

/* ---- audio ------------------------------------------------------------ */

typedef struct AudioConfig {
    int in_sample_rate;
    AVChannelLayout in_layout;
    enum AVSampleFormat in_fmt;
    int sample_rate;              /* out: 48000 */
    int channels;                 /* out: 2 */
    int64_t bitrate;              /* out: 128000 */
    int rendition;                /* stream_index of the packets sent */
    const char *channel;          /* for log lines */
    int64_t start_pts;            /* sample position (out rate) of the first sample in: 0 for a
                                   * transcode, the output clock's for a channel that resumed.
                                   * Packets keep to one AAC frame grid from sample 0 (a start
                                   * at 0 puts the priming frame before it). Above 0 the output
                                   * follows an earlier run's, whose last packet ended on that
                                   * grid past start_pts: the first packet (the priming frame)
                                   * starts there and the samples in before it are dropped, so
                                   * the two runs' audio never overlaps. */
    double loudness;              /* EBU R128 target in LUFS (e.g. -23); 0: left as it comes */
} AudioConfig;

typedef struct AudioEncoder AudioEncoder;

int audio_encoder_new(AudioEncoder **a, const AudioConfig *cfg);
const AVCodecParameters *audio_encoder_codecpar(const AudioEncoder *a);
/* Thread body: frames (pts in input samples on the output clock) in,
 * AAC-LC packets (pts in 1/sample_rate, continuous from 0, gaps filled with
 * silence, overlaps dropped) out. Closes out on return. */
int audio_encoder_run(AudioEncoder *a, Queue *in, Queue *out);
void audio_encoder_free(AudioEncoder **a);

#endif
