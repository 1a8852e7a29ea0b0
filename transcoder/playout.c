/* The playout: a channel's own output clock, what airs on each frame, and
 * exactly that frame's audio. See transcoder.h. */
#include "kind.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/audio_fifo.h>

#define STAGE "playout"
#define INPUT_VIDEO_QUEUE 8
#define INPUT_AUDIO_QUEUE 128
/* A live input keeps this many pictures in hand: enough to ride out jitter,
 * few enough to stay near its sender. */
#define LIVE_DEPTH 2
/* ... and about this much audio (ms) */
#define LIVE_AUDIO_MS 100
/* An input's audio within this many samples of its place is jitter, left
 * alone. */
#define AUDIO_JITTER 1024
/* Silence over a gap in an input's audio is written at most this far ahead
 * of what has aired (ms): the fifo holds the input's audio until it airs,
 * and a file's audio may pause for long. The rest is written as the fifo
 * empties. */
#define GAP_FILL_AHEAD_MS 1000
#define MAX_CUES 64
/* SCTE-35 cues of an input waiting for their splice point; a sender has one
 * or two pending at a time */
#define INPUT_CUES_MAX 8

/* A SCTE-35 cue of an input, until a picture at or after its splice point
 * airs. */
typedef struct InputCue {
    Scte35Cue cue;
    int64_t at;               /* splice point on the input's PTS (90 kHz, modulo 2^33); -1: at once */
} InputCue;

struct PlayoutInput {
    SourceConfig cfg;         /* with its own copies of the strings */
    char *strings[5];
    Source *src;
    Queue *video, *audio;
    pthread_t thread;
    int started;
    atomic_int stop;
    int live;
    int sample_rate, channels;
    AVAudioFifo *fifo;        /* audio taken from the queue, not aired yet */
    int64_t fifo_end;         /* sample position just after the fifo's content (source clock) */
    AVFrame *pending;         /* audio taken from the queue, not in the fifo yet */
    int64_t gap_left;         /* silence still to write before it */
    int audio_started;
    AVFrame *last;            /* last picture taken */
    int64_t last_new_us;      /* monotonic time the last new picture was taken; 0: none yet */
    /* pictures taken from the queue, and that count when one last aired:
     * equal when the input on air has nothing new (a repeat) */
    int64_t taken, taken_aired;
    int64_t dropped;          /* taken by take_picture past one never aired (a backlog) */
    int video_ended, audio_ended;
    /* SCTE-35 cues taken over (cfg.scte35): the source's thread adds them,
     * the clock's takes them, under cue_lock */
    pthread_mutex_t cue_lock;
    InputCue cues[INPUT_CUES_MAX];
    int ncues;
};

typedef struct Cue {
    int64_t frame;
    int id;
    PlayoutInput *primary, *backup;
    int64_t timeout_us;
} Cue;

typedef struct Mark {
    int64_t frame;
    int id;
} Mark;

struct Playout {
    PlayoutConfig cfg;
    pthread_mutex_t lock;
    Cue cues[MAX_CUES];
    int ncues;
    Mark marks[PLAYOUT_MARKS_MAX];
    int nmarks;
    int active;               /* index of the cue on air, -1 before the first */
    int primary_down;
    int64_t cue_started_us;   /* monotonic time the cue on air began */
    int64_t down_since_us;    /* monotonic time the primary was found silent */
    atomic_int stop;
    _Atomic int64_t stop_at;  /* INT64_MAX: none */
    _Atomic int64_t next_frame;
    int64_t samples_out;      /* audio sample position of the next frame */
    PlayoutInput *next_slate; /* a new slate, taken over by the clock's thread at its next frame */
    AVFrame *black;           /* before anything ever aired */
    /* playout_stats' counters, written by the run loop only; loss and slate
     * in frames (exact seconds come from the frame rate) */
    _Atomic int64_t frames_out, frames_repeated, frames_dropped;
    _Atomic int64_t loss_frames, slate_frames, failovers;
    atomic_int role;          /* PlayoutRole on air */
};

/* ---- inputs ---- */

static int input_interrupt(void *opaque)
{
    PlayoutInput *in = opaque;
    return atomic_load(&in->stop);
}

/* ---- SCTE-35 cues of an input ---- */

static int64_t splice_point(const Scte35Cue *c)
{
    if ((c->command == SCTE35_SPLICE_INSERT && c->immediate) || c->pts_time < 0)
        return -1;
    return (c->pts_time + c->pts_adjustment) & SCTE35_TIME_MAX;
}

/* A cue that only cancels: splice_insert's cancel, or a time_signal whose
 * every segmentation_descriptor is a cancel. */
static int cue_is_cancel(const Scte35Cue *c)
{
    if (c->command == SCTE35_SPLICE_INSERT)
        return c->cancel;
    for (int i = 0; i < c->nb_segmentations; i++)
        if (!c->segmentations[i].cancel)
            return 0;
    return c->nb_segmentations > 0;
}

static int cue_cancels(const Scte35Cue *cancel, const Scte35Cue *pending)
{
    if (cancel->command == SCTE35_SPLICE_INSERT)
        return pending->command == SCTE35_SPLICE_INSERT && pending->event_id == cancel->event_id;
    for (int i = 0; i < cancel->nb_segmentations; i++)
        for (int j = 0; j < pending->nb_segmentations; j++)
            if (pending->segmentations[j].event_id == cancel->segmentations[i].event_id)
                return 1;
    return 0;
}

static uint32_t cue_event_id(const Scte35Cue *c)
{
    return c->command == SCTE35_TIME_SIGNAL && c->nb_segmentations ? c->segmentations[0].event_id : c->event_id;
}

static const char *cue_command(const Scte35Cue *c)
{
    return c->command == SCTE35_SPLICE_INSERT ? (c->out_of_network ? "splice_insert out" : "splice_insert in")
                                              : "time_signal";
}

/* The source's thread: a new cue of the input. */
static void input_on_scte35(void *opaque, const Scte35Cue *c)
{
    PlayoutInput *in = opaque;
    int64_t at = splice_point(c);
    int n = 0;

    pthread_mutex_lock(&in->cue_lock);
    if (cue_is_cancel(c)) {
        for (int i = 0; i < in->ncues;) {
            if (cue_cancels(c, &in->cues[i].cue)) {
                memmove(in->cues + i, in->cues + i + 1, sizeof(*in->cues) * (size_t)(in->ncues - i - 1));
                in->ncues--;
                n++;
            } else {
                i++;
            }
        }
        pthread_mutex_unlock(&in->cue_lock);
        log_msg(LOG_INFO, in->cfg.channel, STAGE, "%s: SCTE-35 cancel of event %" PRIu32 ": %d pending "
                "cue%s dropped", in->cfg.url, cue_event_id(c), n, n == 1 ? "" : "s");
        return;
    }
    if (in->ncues == INPUT_CUES_MAX) {
        log_msg(LOG_WARN, in->cfg.channel, STAGE, "%s: %d SCTE-35 cues wait for their splice point; the "
                "oldest (event %" PRIu32 ") is dropped", in->cfg.url, INPUT_CUES_MAX, cue_event_id(&in->cues[0].cue));
        memmove(in->cues, in->cues + 1, sizeof(*in->cues) * (INPUT_CUES_MAX - 1));
        in->ncues--;
    }
    in->cues[in->ncues++] = (InputCue){ *c, at };
    pthread_mutex_unlock(&in->cue_lock);
    if (at < 0)
        log_msg(LOG_INFO, in->cfg.channel, STAGE, "%s: SCTE-35 %s, event %" PRIu32 ", splices at once",
                in->cfg.url, cue_command(c), cue_event_id(c));
    else
        log_msg(LOG_INFO, in->cfg.channel, STAGE, "%s: SCTE-35 %s, event %" PRIu32 ", splices at the "
                "input's PTS %" PRId64, in->cfg.url, cue_command(c), cue_event_id(c), at);
}

/* The first pending cue whose splice point the input's picture `pic` (its
 * PTS, 90 kHz) has reached, taken out into *due; 0 when there is none.
 * *late: how far past the point the picture is, in 90 kHz ticks. */
static int take_due_cue(PlayoutInput *in, int64_t pic, InputCue *due, int64_t *late)
{
    int found = 0;

    pthread_mutex_lock(&in->cue_lock);
    for (int i = 0; i < in->ncues && !found; i++) {
        int64_t at = in->cues[i].at, past = 0;
        if (at >= 0) {
            if (pic == AV_NOPTS_VALUE)
                continue;
            /* modulo 2^33: at or after the point when less than half the range past it */
            past = (pic - at) & SCTE35_TIME_MAX;
            if (past >= INT64_C(1) << 32)
                continue;
        }
        *due = in->cues[i];
        *late = past;
        memmove(in->cues + i, in->cues + i + 1, sizeof(*in->cues) * (size_t)(in->ncues - i - 1));
        in->ncues--;
        found = 1;
    }
    pthread_mutex_unlock(&in->cue_lock);
    return found;
}

/* The clock's thread: an input off air lets go of the cues whose splice
 * point passed (they were for the air, and it was not on it). */
static void drop_passed_cues(PlayoutInput *in)
{
    int64_t pic = in->last ? in->last->best_effort_timestamp : AV_NOPTS_VALUE, late;
    InputCue c;

    while (take_due_cue(in, pic, &c, &late))
        log_msg(LOG_INFO, in->cfg.channel, STAGE, "%s: SCTE-35 %s, event %" PRIu32 ": the input is not on "
                "air at its splice point; ignored", in->cfg.url, cue_command(&c.cue), cue_event_id(&c.cue));
}

/* The source is opened here, not by the caller: a live input may take a
 * while to connect (an SRT listener waits for its caller) and must never
 * hold the supervisor; one that reconnects keeps trying until it opens. */
static void *input_thread(void *arg)
{
    PlayoutInput *in = arg;
    int failures = 0;

    thread_set_name("source");
    while (source_open(&in->src, &in->cfg) < 0) {
        if (!in->cfg.reconnect || atomic_load(&in->stop)) {
            queue_close(in->video);
            queue_close(in->audio);
            return NULL;
        }
        failures = FFMIN(failures + 1, 64);
        clock_sleep_us(backoff_delay(RECONNECT_FIRST_US, RECONNECT_MAX_US, failures), input_interrupt, in);
    }
    source_run(in->src, &in->video, 1, in->audio);
    return NULL;
}

int playout_input_start(PlayoutInput **out, const SourceConfig *cfg, int live)
{
    PlayoutInput *in = calloc(1, sizeof(*in));
    const char **fields[5];
    int ret;

    *out = NULL;
    if (!in)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&in->cue_lock, NULL);
    in->cfg = *cfg;
    fields[0] = &in->cfg.url;
    fields[1] = &in->cfg.channel;
    fields[2] = &in->cfg.color;
    fields[3] = &in->cfg.text;
    fields[4] = &in->cfg.image;
    for (int i = 0; i < 5; i++) {
        if (!*fields[i])
            continue;
        if (!(in->strings[i] = av_strdup(*fields[i]))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        *fields[i] = in->strings[i];
    }
    in->live = live;
    in->sample_rate = cfg->out_sample_rate;
    in->channels = cfg->out_channels;
    in->cfg.interrupt = input_interrupt;
    in->cfg.opaque = in;
    in->cfg.on_scte35 = cfg->scte35 ? input_on_scte35 : NULL;
    in->cfg.scte35_opaque = in;
    if ((ret = queue_new(&in->video, INPUT_VIDEO_QUEUE, 1, queue_free_frame)) < 0 ||
        (ret = queue_new(&in->audio, INPUT_AUDIO_QUEUE, 1, queue_free_frame)) < 0)
        goto fail;
    in->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, in->channels, in->sample_rate / 2);
    if (!in->fifo) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (pthread_create(&in->thread, NULL, input_thread, in)) {
        ret = AVERROR(EAGAIN);
        goto fail;
    }
    in->started = 1;
    *out = in;
    return 0;
fail:
    playout_input_free(&in);
    return ret;
}

void playout_input_free(PlayoutInput **pin)
{
    PlayoutInput *in = *pin;

    if (!in)
        return;
    atomic_store(&in->stop, 1);
    /* a source waiting on a full queue wakes up to an aborted one */
    if (in->video)
        queue_abort(in->video);
    if (in->audio)
        queue_abort(in->audio);
    if (in->started)
        pthread_join(in->thread, NULL);
    source_free(&in->src);
    for (int i = 0; i < 5; i++)
        av_free(in->strings[i]);
    queue_free(&in->video);
    queue_free(&in->audio);
    if (in->fifo)
        av_audio_fifo_free(in->fifo);
    av_frame_free(&in->pending);
    av_frame_free(&in->last);
    pthread_mutex_destroy(&in->cue_lock);
    free(in);
    *pin = NULL;
}

static void *reap_thread(void *arg)
{
    PlayoutInput *in = arg;
    playout_input_free(&in);
    return NULL;
}

/* Stopping a network source can take a moment: never on the clock's time. */
static void input_release(PlayoutInput *in)
{
    pthread_t t;
    pthread_attr_t attr;

    if (!in)
        return;
    atomic_store(&in->stop, 1);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, reap_thread, in))
        playout_input_free(&in);
    pthread_attr_destroy(&attr);
}

/* in->pending into the fifo at its place on the source's clock: silence
 * over a gap, what overlaps dropped. 0 once it is in (and freed), 1 while
 * it waits behind silence still to be written, or an AVERROR. */
static int put_pending(PlayoutInput *in)
{
    AVFrame *a = in->pending;
    int n = a->nb_samples, skip = 0, ret;

    if (!in->gap_left && a->pts != AV_NOPTS_VALUE) {
        AudioPlacement pl;
        if (!in->audio_started) {
            in->fifo_end = a->pts < 0 ? 0 : a->pts;
            in->audio_started = 1;
        }
        pl = audio_place(in->fifo_end, a->pts, AUDIO_JITTER);
        in->gap_left = pl.silence;
        skip = (int)FFMIN(pl.skip, n);
    }
    if (in->gap_left > 0) {
        int64_t room = (int64_t)in->sample_rate * GAP_FILL_AHEAD_MS / 1000 - av_audio_fifo_size(in->fifo);
        int64_t fill = FFMIN(in->gap_left, FFMAX(room, 0));
        if ((ret = audio_fifo_write_silence(in->fifo, in->channels, fill)) < 0)
            return ret;
        in->fifo_end += fill;
        in->gap_left -= fill;
        if (in->gap_left > 0) {
            if (!in->live)
                return 1;
            /* a live input's backlog is cut to LIVE_AUDIO_MS (take_audio):
             * the rest would never air */
            in->fifo_end += in->gap_left;
            in->gap_left = 0;
        }
    }
    if ((ret = audio_fifo_write_frame(in->fifo, a, skip, n - skip)) < 0)
        return ret;
    in->fifo_end += n - skip;
    av_frame_free(&in->pending);
    return 0;
}

/* The next picture of an input, waiting for it until deadline_us (0: not
 * at all). 1 with a new picture in in->last, 0 without one. */
static int take_picture(PlayoutInput *in, int64_t deadline_us)
{
    void *item;
    int got = 0, ret;

    if (in->live) {
        /* the newest, keeping a little in hand */
        while (queue_count(in->video) > LIVE_DEPTH && queue_receive_until(in->video, &item, 0) == 0) {
            /* the picture replaced was taken but never aired: dropped */
            if (in->last && in->taken > in->taken_aired)
                in->dropped++;
            av_frame_free(&in->last);
            in->last = item;
            in->taken++;
            got = 1;
        }
        deadline_us = 0;
    }
    if (got || in->video_ended)
        ret = got ? 0 : AVERROR_EOF;
    else
        ret = queue_receive_until(in->video, &item, deadline_us);
    if (!got && ret == 0) {
        if (in->last && in->taken > in->taken_aired)
            in->dropped++;
        av_frame_free(&in->last);
        in->last = item;
        in->taken++;
        got = 1;
    }
    if (ret == AVERROR_EOF)
        in->video_ended = 1;
    if (got)
        in->last_new_us = clock_monotonic_us();
    return got;
}

/* n samples of an input's audio into out; silence where it has none (yet).
 * 0 or an AVERROR. */
static int take_audio(PlayoutInput *in, AVFrame *out, int n, int64_t deadline_us)
{
    void *item;
    int have = 0, ret = 0;

    /* a live input's audio is all taken as it comes (its queue must never
     * fill and hold the source back, which would add latency); a file's
     * only as needed */
    while ((in->live || av_audio_fifo_size(in->fifo) < n) && (in->pending || !in->audio_ended)) {
        if (!in->pending) {
            ret = queue_receive_until(in->audio, &item, in->live ? 0 : deadline_us);
            if (ret == AVERROR_EOF)
                in->audio_ended = 1;
            if (ret < 0)
                break;
            in->pending = item;
        }
        if ((ret = put_pending(in)) < 0)
            return ret;
        if (ret > 0)
            break;   /* the rest of a gap once this has aired */
    }
    ret = 0;
    if (in->live) {
        /* a sender's clock runs at its own pace: the backlog is held near
         * LIVE_AUDIO_MS by dropping or repeating single samples (inaudible,
         * and far more than any sender's drift), or cut at once after a
         * burst */
        int keep = in->sample_rate * LIVE_AUDIO_MS / 1000;
        int size = av_audio_fifo_size(in->fifo);
        if (size > n + 5 * keep)
            ret = av_audio_fifo_drain(in->fifo, size - n - keep);
        else if (size > n + 2 * keep)
            ret = av_audio_fifo_drain(in->fifo, 1);
        else if (size >= n && size < n + keep / 2 && n > 1) {
            if ((ret = av_audio_fifo_read(in->fifo, (void **)out->data, n - 1)) < 0)
                return ret;
            for (int c = 0; c < out->ch_layout.nb_channels; c++)
                ((float *)out->data[c])[n - 1] = ((float *)out->data[c])[n - 2];
            return 0;
        }
        if (ret < 0)
            return ret;
    }
    if (av_audio_fifo_size(in->fifo) > 0 &&
        (have = av_audio_fifo_read(in->fifo, (void **)out->data, n)) < 0)
        return have;
    if (have < n) {
        av_samples_set_silence(out->data, have, n - have, out->ch_layout.nb_channels, AV_SAMPLE_FMT_FLTP);
        /* a file's audio that is not there by its time airs as silence and
         * its clock goes on: what comes for that time later is an overlap,
         * and a gap after it is only what has not aired yet (a live input's
         * backlog has its own rule) */
        if (!in->live && in->audio_started)
            in->fifo_end += n - have;
    }
    return 0;
}

/* An input not on air: a live one is kept fresh (its backlog dropped), a
 * file waits at its first frame. */
static void keep_fresh(PlayoutInput *in)
{
    void *item;

    if (!in || !in->live)
        return;
    /* what an input off air lets go is not counted as dropped: it was
     * never meant to air (a backup in standby, a program in pre-roll) */
    while (queue_count(in->video) > 1 && queue_receive_until(in->video, &item, 0) == 0) {
        av_frame_free(&in->last);
        in->last = item;
        in->taken++;
        in->last_new_us = clock_monotonic_us();
    }
    if (!in->last && queue_receive_until(in->video, &item, 0) == 0) {
        in->last = item;
        in->taken++;
        in->last_new_us = clock_monotonic_us();
    }
    if (in->last)
        in->taken_aired = in->taken - 1;   /* its picture is new to the air */
    in->dropped = 0;
    while (queue_receive_until(in->audio, &item, 0) == 0)
        av_frame_free((AVFrame **)&item);
    av_audio_fifo_reset(in->fifo);
    av_frame_free(&in->pending);
    in->gap_left = 0;
    in->audio_started = 0;
    drop_passed_cues(in);
}

/* ---- the playout ---- */

int playout_new(Playout **out, const PlayoutConfig *cfg)
{
    Playout *p = calloc(1, sizeof(*p));
    int ret;

    *out = NULL;
    if (!p) {
        PlayoutInput *slate = cfg->slate;
        playout_input_free(&slate);
        return AVERROR(ENOMEM);
    }
    p->cfg = *cfg;
    p->active = -1;
    p->role = PLAYOUT_ROLE_SLATE;
    p->stop_at = INT64_MAX;
    p->next_frame = cfg->first_frame;
    p->samples_out = av_rescale_rnd(cfg->first_frame, (int64_t)cfg->sample_rate * cfg->fps.den,
                                    cfg->fps.num, AV_ROUND_DOWN);
    pthread_mutex_init(&p->lock, NULL);
    p->black = av_frame_alloc();
    if (!p->black) {
        playout_free(&p);
        return AVERROR(ENOMEM);
    }
    p->black->format = AV_PIX_FMT_YUV420P;
    p->black->width = cfg->width;
    p->black->height = cfg->height;
    if ((ret = av_frame_get_buffer(p->black, 0)) < 0) {
        playout_free(&p);
        return ret;
    }
    for (int pl = 0; pl < 3; pl++)
        memset(p->black->data[pl], pl ? 128 : 16, (size_t)p->black->linesize[pl] * (pl ? (cfg->height + 1) / 2 : cfg->height));
    *out = p;
    return 0;
}

int playout_cue(Playout *p, int64_t frame, int cue_id, PlayoutInput *primary, PlayoutInput *backup,
                int64_t timeout_us)
{
    int ret = 0;

    pthread_mutex_lock(&p->lock);
    if (p->ncues == MAX_CUES || (p->ncues && frame < p->cues[p->ncues - 1].frame)) {
        ret = AVERROR(EINVAL);
    } else {
        p->cues[p->ncues++] = (Cue){ frame, cue_id, primary, backup, timeout_us };
    }
    pthread_mutex_unlock(&p->lock);
    if (ret < 0) {
        input_release(primary);
        input_release(backup);
    }
    return ret;
}

int playout_mark(Playout *p, int64_t frame, int id)
{
    int ret = 0;

    pthread_mutex_lock(&p->lock);
    if (p->nmarks == PLAYOUT_MARKS_MAX)
        ret = AVERROR(ENOSPC);
    else
        p->marks[p->nmarks++] = (Mark){ frame, id };
    pthread_mutex_unlock(&p->lock);
    return ret;
}

void playout_uncue_from(Playout *p, int64_t frame)
{
    pthread_mutex_lock(&p->lock);
    while (p->ncues > p->active + 1 && p->cues[p->ncues - 1].frame >= frame) {
        Cue *c = &p->cues[--p->ncues];
        input_release(c->primary);
        input_release(c->backup);
    }
    pthread_mutex_unlock(&p->lock);
}

void playout_set_slate(Playout *p, PlayoutInput *slate)
{
    pthread_mutex_lock(&p->lock);
    input_release(p->next_slate);
    p->next_slate = slate;
    pthread_mutex_unlock(&p->lock);
}

int playout_input_ready(PlayoutInput *in)
{
    QueueStats st;

    queue_stats(in->video, &st);
    return st.depth > 0 || st.sent > 0;
}

void playout_stop(Playout *p)
{
    atomic_store(&p->stop, 1);
}

void playout_stop_at(Playout *p, int64_t frame)
{
    atomic_store(&p->stop_at, frame);
}

int64_t playout_next_frame(const Playout *p)
{
    return p->next_frame;
}

static void emit_event(Playout *p, PlayoutEventType type, int64_t frame, int64_t wall, int cue_id, int backup)
{
    PlayoutEvent ev = { type, frame, wall, cue_id, backup, NULL, NULL };
    if (p->cfg.on_event)
        p->cfg.on_event(p->cfg.opaque, &ev);
}

static int64_t air_time(const Playout *p, int64_t frame)
{
    const AirClock clock = { p->cfg.fps, p->cfg.epoch_us, p->cfg.first_frame };
    return air_clock_time(&clock, frame);
}

static void sleep_until_wall(int64_t wall_us)
{
    struct timespec ts = { .tv_sec = wall_us / 1000000, .tv_nsec = wall_us % 1000000 * 1000 };
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The marks due at `frame`, each reported once. */
static void marks_due(Playout *p, int64_t frame, int64_t wall)
{
    while (1) {
        int id = 0, found = 0;
        pthread_mutex_lock(&p->lock);
        for (int i = 0; i < p->nmarks && !found; i++) {
            if (p->marks[i].frame > frame)
                continue;
            id = p->marks[i].id;
            p->marks[i] = p->marks[--p->nmarks];
            found = 1;
        }
        pthread_mutex_unlock(&p->lock);
        if (!found)
            return;
        emit_event(p, PLAYOUT_MARK, frame, wall, id, 0);
    }
}

/* The return of a break that `out` (taken at the input's picture `pic`)
 * began: a splice_insert in of its event id, `after` past its splice point
 * on the input's PTS. */
static void input_return_cue(PlayoutInput *in, const InputCue *out, int64_t pic, int64_t after)
{
    int64_t base = out->at >= 0 ? out->at : pic;
    InputCue r;
    int added;

    if (base == AV_NOPTS_VALUE)
        return;
    scte35_cue_init(&r.cue);
    r.cue.command = SCTE35_SPLICE_INSERT;
    r.cue.event_id = cue_event_id(&out->cue);
    r.at = r.cue.pts_time = (base + after) & SCTE35_TIME_MAX;
    r.cue.pts_adjustment = 0;
    pthread_mutex_lock(&in->cue_lock);
    if ((added = in->ncues < INPUT_CUES_MAX))
        in->cues[in->ncues++] = r;
    pthread_mutex_unlock(&in->cue_lock);
    if (added)
        log_msg(LOG_INFO, in->cfg.channel, STAGE, "%s: SCTE-35 event %" PRIu32 " returns by itself at the "
                "input's PTS %" PRId64, in->cfg.url, r.cue.event_id, r.at);
    else
        log_msg(LOG_WARN, in->cfg.channel, STAGE, "%s: %d SCTE-35 cues wait for their splice point; event "
                "%" PRIu32 " returns by itself on the output's clock instead of the input's", in->cfg.url,
                INPUT_CUES_MAX, r.cue.event_id);
}

/* The cues of the input on air whose splice point its picture reached:
 * they splice at this frame, before it goes to the encoders. */
static void input_cues_due(Playout *p, const Cue *cue, PlayoutInput *on, int64_t frame, int64_t wall)
{
    int64_t pic = on->last ? on->last->best_effort_timestamp : AV_NOPTS_VALUE, late;
    int64_t frame_ticks = av_rescale(90000, p->cfg.fps.den, p->cfg.fps.num);
    InputCue c;

    while (take_due_cue(on, pic, &c, &late)) {
        int64_t return_after = 0;
        PlayoutEvent ev = { PLAYOUT_INPUT_CUE, frame, wall, cue->id, on == cue->backup, &c.cue, &return_after };
        /* the first picture at or after the point is less than a frame
         * past it; more: the cue came after the point had aired (or that
         * picture was dropped) */
        if (late > frame_ticks)
            log_msg(LOG_WARN, p->cfg.channel, STAGE, "%s: SCTE-35 %s, event %" PRIu32 ": its splice point "
                    "passed %.3f s before it could be taken; spliced at frame %" PRId64 " instead",
                    on->cfg.url, cue_command(&c.cue), cue_event_id(&c.cue), late / 90000.0, frame);
        if (p->cfg.on_event)
            p->cfg.on_event(p->cfg.opaque, &ev);
        if (return_after > 0)
            input_return_cue(on, &c, pic, return_after);
    }
}

/* Moves to the cue for `frame`; inputs of cues that are over are let go. */
static Cue *current_cue(Playout *p, int64_t frame)
{
    int next = p->active;

    pthread_mutex_lock(&p->lock);
    while (next + 1 < p->ncues && p->cues[next + 1].frame <= frame)
        next++;
    if (next != p->active) {
        /* everything before the new cue is over */
        for (int i = 0; i < next; i++) {
            input_release(p->cues[i].primary);
            input_release(p->cues[i].backup);
        }
        memmove(p->cues, p->cues + next, sizeof(Cue) * (size_t)(p->ncues - next));
        p->ncues -= next;
        p->active = 0;
        p->primary_down = 0;
        p->cue_started_us = clock_monotonic_us();
        pthread_mutex_unlock(&p->lock);
        emit_event(p, PLAYOUT_PROGRAM, frame, air_time(p, frame), p->cues[0].id, 0);
        return &p->cues[0];
    }
    pthread_mutex_unlock(&p->lock);
    return p->active >= 0 ? &p->cues[p->active] : NULL;
}

/* playout_stats' view of the frame about to air with `on` (NULL: black). */
static void count_frame(Playout *p, const Cue *cue, PlayoutInput *on)
{
    PlayoutRole role = PLAYOUT_ROLE_SLATE;

    if (on && on != p->cfg.slate && cue)
        role = on == cue->primary ? PLAYOUT_ROLE_PRIMARY : PLAYOUT_ROLE_BACKUP;
    atomic_store(&p->role, role);
    if (role == PLAYOUT_ROLE_SLATE) {
        atomic_fetch_add(&p->slate_frames, 1);
    } else {
        /* the slate's own pictures are the generator's business: only a
         * source that should deliver counts its repeats and drops */
        if (on->taken == on->taken_aired)
            atomic_fetch_add(&p->frames_repeated, 1);
        if (on->dropped)
            atomic_fetch_add(&p->frames_dropped, on->dropped);
        on->dropped = 0;
        on->taken_aired = on->taken;
    }
    /* silent from the failover on; a live primary that never delivered is
     * found silent once its timeout passed, the same way */
    if (cue && cue->primary && cue->primary->live && p->primary_down)
        atomic_fetch_add(&p->loss_frames, 1);
}

/* Passes a reference of the picture to every video queue and the audio on;
 * audio is taken over, sent or freed, whatever happens. */
static int send_frame(Playout *p, Queue *const *video_out, int nvideo, Queue *audio_out,
                      AVFrame *picture, AVFrame *audio, int64_t frame)
{
    int ret = 0;

    for (int i = 0; i < nvideo && ret >= 0; i++) {
        AVFrame *ref = av_frame_clone(picture);
        if (!ref) {
            ret = AVERROR(ENOMEM);
            break;
        }
        ref->pts = frame;
        ref->time_base = av_inv_q(p->cfg.fps);
        ref->pkt_duration = 1;
        if ((ret = queue_send(video_out[i], ref)) < 0)
            av_frame_free(&ref);
    }
    if (ret >= 0 && audio_out && (ret = queue_send(audio_out, audio)) >= 0)
        return 0;
    av_frame_free(&audio);
    return ret;
}

int playout_run(Playout *p, Queue *const *video_out, int nvideo, Queue *audio_out, int64_t frames)
{
    const PlayoutConfig *c = &p->cfg;
    int64_t frame_us = av_rescale(1000000, c->fps.den, c->fps.num);
    int ret = 0;

    while (!atomic_load(&p->stop) && (frames <= 0 || p->next_frame < c->first_frame + frames) &&
           p->next_frame < atomic_load(&p->stop_at)) {
        int64_t n = p->next_frame, wall = air_time(p, n);
        int64_t deadline = c->paced ? clock_monotonic_us() + frame_us / 2 : clock_monotonic_us() + 10000000;
        int64_t samples_end = av_rescale_rnd(n + 1, (int64_t)c->sample_rate * c->fps.den, c->fps.num,
                                             AV_ROUND_DOWN);
        int nsamples = (int)(samples_end - p->samples_out);
        Cue *cue = current_cue(p, n);
        PlayoutInput *on = cue ? cue->primary : NULL;
        AVFrame *picture, *audio;

        if (c->paced)
            sleep_until_wall(wall);

        /* failover: a live primary silent for its timeout (counted from the
         * cue's start when it never delivered) */
        if (on && on->live && cue->timeout_us > 0) {
            int64_t now = clock_monotonic_us();
            int64_t heard;
            PlayoutInput *b = cue->backup;
            take_picture(on, 0);
            heard = FFMAX(on->last_new_us, p->cue_started_us);
            if (!p->primary_down && now - heard > cue->timeout_us) {
                p->primary_down = 1;
                p->down_since_us = now;
                atomic_fetch_add(&p->failovers, 1);
                emit_event(p, PLAYOUT_FAILOVER, n, wall, cue->id, b != NULL);
                log_msg(LOG_WARN, c->channel, STAGE, "the input of cue %d is silent; %s", cue->id,
                        b ? "on its backup" : "on the slate");
            } else if (p->primary_down && on->last_new_us > p->down_since_us) {
                /* a new picture, so decoded from a keyframe: back on air */
                p->primary_down = 0;
                emit_event(p, PLAYOUT_RECOVERED, n, wall, cue->id, 0);
                log_msg(LOG_NOTICE, c->channel, STAGE, "the input of cue %d is back", cue->id);
            }
            if (p->primary_down || !on->last) {
                /* a live backup must be delivering; a file or a generator can */
                int ok = b && (b->live ? b->last_new_us && now - b->last_new_us <= cue->timeout_us
                                       : !b->video_ended);
                on = ok ? b : NULL;
            }
        }
        pthread_mutex_lock(&p->lock);
        if (p->next_slate) {
            /* only this thread uses the slate: it is swapped here, between frames */
            input_release(p->cfg.slate);
            p->cfg.slate = p->next_slate;
            p->next_slate = NULL;
        }
        if (cue) {
            keep_fresh(cue->primary != on ? cue->primary : NULL);
            keep_fresh(cue->backup != on ? cue->backup : NULL);
        }
        for (int i = p->active + 1; i < p->ncues; i++) {
            keep_fresh(p->cues[i].primary);
            keep_fresh(p->cues[i].backup);
        }
        pthread_mutex_unlock(&p->lock);
        if (on && on->live)
            take_picture(on, 0);
        else if (on && !take_picture(on, deadline) && on->video_ended)
            on = NULL;   /* the program ran out before its slot: the slate */
        /* nothing to show yet (a live input still connecting): the slate */
        if (on && !on->last)
            on = NULL;
        if (!on && c->slate) {
            take_picture(c->slate, deadline);
            on = c->slate;
        }
        picture = on && on->last ? on->last : p->black;
        marks_due(p, n, wall);
        if (on && cue && (on == cue->primary || on == cue->backup))
            input_cues_due(p, cue, on, n, wall);

        audio = av_frame_alloc();
        if (!audio) {
            ret = AVERROR(ENOMEM);
            break;
        }
        audio->format = AV_SAMPLE_FMT_FLTP;
        audio->sample_rate = c->sample_rate;
        audio->nb_samples = nsamples;
        av_channel_layout_default(&audio->ch_layout, c->channels);
        if ((ret = av_frame_get_buffer(audio, 0)) < 0) {
            av_frame_free(&audio);
            break;
        }
        audio->pts = p->samples_out;
        audio->time_base = (AVRational){ 1, c->sample_rate };
        if (on)
            ret = take_audio(on, audio, nsamples, deadline);
        else
            av_samples_set_silence(audio->data, 0, nsamples, c->channels, AV_SAMPLE_FMT_FLTP);
        if (ret < 0) {
            log_msg(LOG_ERROR, c->channel, STAGE, "%s: its audio cannot be taken: %s", on->cfg.url,
                    ERRSTR(ret));
            av_frame_free(&audio);
            break;
        }

        if ((ret = send_frame(p, video_out, nvideo, audio_out, picture, audio, n)) < 0)
            break;
        p->samples_out = samples_end;
        p->next_frame = n + 1;
        count_frame(p, cue, on);
        atomic_fetch_add(&p->frames_out, 1);
    }
    for (int i = 0; i < nvideo; i++)
        queue_close(video_out[i]);
    if (audio_out)
        queue_close(audio_out);
    return ret == AVERROR_EOF ? 0 : ret;
}

void playout_stats(const Playout *p, PlayoutStats *st)
{
    double frame_s = av_q2d(av_inv_q(p->cfg.fps));

    *st = (PlayoutStats){
        .frames_out = atomic_load(&p->frames_out),
        .frames_repeated = atomic_load(&p->frames_repeated),
        .frames_dropped = atomic_load(&p->frames_dropped),
        .role = (PlayoutRole)atomic_load(&p->role),
        .input_loss_seconds = (double)atomic_load(&p->loss_frames) * frame_s,
        .slate_seconds = (double)atomic_load(&p->slate_frames) * frame_s,
        .failovers = atomic_load(&p->failovers),
    };
}

void playout_free(Playout **pp)
{
    Playout *p = *pp;

    if (!p)
        return;
    for (int i = 0; i < p->ncues; i++) {
        playout_input_free(&p->cues[i].primary);
        playout_input_free(&p->cues[i].backup);
    }
    playout_input_free(&p->cfg.slate);
    playout_input_free(&p->next_slate);
    av_frame_free(&p->black);
    pthread_mutex_destroy(&p->lock);
    free(p);
    *pp = NULL;
}
