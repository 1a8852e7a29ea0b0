/*
 * Internal to transcoder/ (not its interface: that is transcoder.h): the
 * Source object that every source kind shares, and the kinds' table.
 *
 * A kind opens an input and produces decoded frames; the Source puts them
 * on the output clock (constant rate, pts = frame index), fits pictures to
 * a canvas and converts audio where the consumer asked for it. Kinds are
 * const tables, so a new kind of input is a row, not a branch.
 */
#ifndef ONAIR_TRANSCODER_KIND_H
#define ONAIR_TRANSCODER_KIND_H

#include <stdatomic.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>

#include "transcoder.h"

#define SOURCE_STAGE "source"
/* A live input that fails to open or drops is tried again after this long,
 * doubling to the cap (backoff_delay): the source thread reconnecting and
 * the playout's opener both. */
#define RECONNECT_FIRST_US 250000
#define RECONNECT_MAX_US 4000000
/* Audio that arrives before the first video frame is held (bounded). */
#define MAX_EARLY_AUDIO 256

typedef struct SourceKind {
    const char *name;
    /* Opens the input: fills s->info, s->vtb and s->atb (time bases of the
     * frames it will emit). Logs why it cannot, naming the input. */
    int (*open)(Source *s);
    /* Emits frames through source_emit_video()/source_emit_audio() until
     * the input ends (0), is interrupted (AVERROR_EXIT), or fails. */
    int (*read)(Source *s);
    /* Starts the input again from its beginning (a loop), or NULL. */
    int (*rewind)(Source *s);
    /* Closes and opens the input again (a live URL that went away). */
    int (*reopen)(Source *s);
    /* Opens the video decoder again after s->cfg.one_thread_decode_pps
     * changed, or NULL (a kind without one). */
    int (*reopen_decoder)(Source *s);
    void (*close)(Source *s);
} SourceKind;

extern const SourceKind source_kind_media;
extern const SourceKind source_kind_generator;

struct Source {
    SourceConfig cfg;
    atomic_int stop;                 /* source_stop: as good as cfg.interrupt answering yes */
    const SourceKind *kind;
    void *priv;                      /* the kind's own state */
    char *url;                       /* the input, as named in messages */
    const char *channel;
    SourceInfo info;
    AVRational vtb, atb;             /* time bases of emitted frames' pts */
    AVRational fps;                  /* the output rate */

    /* output clock */
    int64_t t0;                      /* video ts (vtb) of output frame 0; AV_NOPTS_VALUE until known */
    int64_t next_frame;              /* index the next output frame gets */
    AVFrame *last;                   /* last frame sent, for repeats */
    AVFrame *early_audio[MAX_EARLY_AUDIO];
    int nearly_audio;

    /* fitting to a canvas (pool set when the consumer asked for one) */
    Scaler *scaler;
    int fit_w, fit_h;                /* the picture's size inside the canvas */
    AVBufferPool *pool;
    int pool_size;

    /* audio conversion */
    SwrContext *swr;
    int swr_rate, swr_fmt;
    AVChannelLayout swr_layout;

    Queue *const *video_out;
    int nvideo;
    Queue *audio_out;

    int64_t last_data_us;            /* when a read last started (monotonic): the stall clock */
    int64_t open_grace_us;           /* added to the stall timeout while the input opens */
    int stalled;

    _Atomic int64_t frames_decoded, frames_out, frames_dropped, frames_duplicated;
    _Atomic int64_t packets_corrupt, decode_errors, audio_samples, last_pts_us;
    int64_t warnings;
};

/* Puts a progressive picture (pts in s->vtb) on the output clock; borrowed. */
int source_emit_video(Source *s, AVFrame *f);
/* An audio frame (pts in s->atb, or AV_NOPTS_VALUE); borrowed. */
int source_emit_audio(Source *s, AVFrame *f);
/* What comes next is discontinuous with what came before (a loop, a
 * reconnect): it continues the output clock where it stands. */
void source_rebase(Source *s);
/* The user's stop (cfg.interrupt or source_stop). */
int source_interrupted(Source *s);
/* The user's stop, or an input silent for longer than its stall timeout. */
int source_should_stop(Source *s);
void source_warn_bad_data(Source *s, const char *what, int64_t pos_ts, AVRational tb);

#endif
