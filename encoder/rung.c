/* A rung: scale the picture to this rung (from the source or from a larger
 * rung), hand the scaled picture on to the rungs that cascade from it, and
 * encode it with an IDR at every segment boundary. One thread per rung. */
#include "encoder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/buffer.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#define STAGE "encoder"
/* pictures waiting for the encoder: enough to keep it busy, few enough to
 * keep memory small */
#define ENCODE_QUEUE 4
/* The encode speed is measured over about this much media time: recent
 * enough to show a scene that is hard to encode, long enough to even out
 * frame types. Two halves: the older is let go as a new one fills. */
#define SPEED_WINDOW_US 10000000

struct RungEncoder {
    RungConfig cfg;
    const EncoderBackend *backend;
    void *priv;
    AVCodecParameters *par;
    Scaler *scaler;
    AVBufferPool *pool;          /* scaled pictures, recycled */
    int pool_size;
    _Atomic int64_t frames;
    /* the encode thread's: media time sent and time spent in the backend,
     * for the window's older and newer half */
    int64_t media_us[2], busy_us[2];
    _Atomic int64_t speed_ppm;   /* the ratio in millionths; 0: not measured yet */
};

static int open_backend(RungEncoder *r, const EncoderBackend *b)
{
    int ret;

    avcodec_parameters_free(&r->par);
    r->par = avcodec_parameters_alloc();
    if (!r->par)
        return AVERROR(ENOMEM);
    if ((ret = b->open(&r->priv, &r->cfg.params, r->par)) < 0)
        return ret;
    r->backend = b;
    return 0;
}

int rung_encoder_new(RungEncoder **out, const RungConfig *cfg)
{
    RungEncoder *r;
    int ret;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return AVERROR(ENOMEM);
    r->cfg = *cfg;
    r->cfg.params.pix_fmt = AV_PIX_FMT_YUV420P;
    ret = open_backend(r, cfg->backend);
    if (ret < 0 && cfg->fallback && cfg->fallback != cfg->backend) {
        log_msg(LOG_WARN, cfg->params.channel, STAGE, "%s: %s failed (%s); falling back to %s",
                cfg->params.name, cfg->backend->name, ERRSTR(ret), cfg->fallback->name);
        ret = open_backend(r, cfg->fallback);
    }
    if (ret < 0) {
        rung_encoder_free(&r);
        return ret;
    }
    r->pool_size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, cfg->params.width, cfg->params.height, 64);
    r->pool = av_buffer_pool_init((size_t)r->pool_size, NULL);
    if (r->pool_size < 0 || !r->pool || scaler_new(&r->scaler, cfg->params.width, cfg->params.height, 0) < 0) {
        rung_encoder_free(&r);
        return AVERROR(ENOMEM);
    }
    *out = r;
    return 0;
}

const AVCodecParameters *rung_encoder_codecpar(const RungEncoder *r)
{
    return r->par;
}

const EncoderBackend *rung_encoder_backend(const RungEncoder *r)
{
    return r->backend;
}

int64_t rung_encoder_frames(const RungEncoder *r)
{
    return r->frames;
}

void rung_encoder_stats(const RungEncoder *r, RungEncoderStats *st)
{
    st->frames = atomic_load(&r->frames);
    st->speed_ratio = (double)atomic_load(&r->speed_ppm) / 1e6;
}

/* One frame's media time and the time its backend calls took. */
static void count_busy(RungEncoder *r, int64_t busy_us)
{
    AVRational fps = r->cfg.params.fps;
    int64_t media, busy;

    r->media_us[1] += av_rescale(1000000, fps.den, fps.num);
    r->busy_us[1] += busy_us;
    if (r->media_us[1] >= SPEED_WINDOW_US / 2) {
        r->media_us[0] = r->media_us[1];
        r->busy_us[0] = r->busy_us[1];
        r->media_us[1] = r->busy_us[1] = 0;
    }
    media = r->media_us[0] + r->media_us[1];
    busy = FFMAX(1, r->busy_us[0] + r->busy_us[1]);
    atomic_store(&r->speed_ppm, av_rescale(media, 1000000, busy));
}

/* The picture at this rung's size in yuv420p: a new reference to the input
 * when it already is, else a scaled copy in a pooled buffer. */
static int scale(RungEncoder *r, const AVFrame *in, AVFrame **out)
{
    const EncoderParams *p = &r->cfg.params;
    AVFrame *f;
    int ret;

    *out = NULL;
    if (in->width == p->width && in->height == p->height && in->format == AV_PIX_FMT_YUV420P) {
        *out = av_frame_clone(in);
        return *out ? 0 : AVERROR(ENOMEM);
    }
    f = av_frame_alloc();
    if (!f)
        return AVERROR(ENOMEM);
    f->buf[0] = av_buffer_pool_get(r->pool);
    if (!f->buf[0]) {
        av_frame_free(&f);
        return AVERROR(ENOMEM);
    }
    f->format = AV_PIX_FMT_YUV420P;
    f->width = p->width;
    f->height = p->height;
    av_image_fill_arrays(f->data, f->linesize, f->buf[0]->data, AV_PIX_FMT_YUV420P,
                         p->width, p->height, 64);
    if ((ret = scaler_scale(r->scaler, in, f)) < 0) {
        log_msg(LOG_ERROR, p->channel, STAGE, "%s: cannot scale %dx%d %s to %dx%d", p->name,
                in->width, in->height, av_get_pix_fmt_name(in->format), p->width, p->height);
        av_frame_free(&f);
        return ret;
    }
    av_frame_copy_props(f, in);
    f->sample_aspect_ratio = (AVRational){ 1, 1 };
    *out = f;
    return 0;
}

/* busy_us: time spent in the backend's calls is added (not the time a full
 * queue holds a packet). */
static int drain_packets(RungEncoder *r, Queue *out, int64_t *busy_us)
{
    while (1) {
        AVPacket *pkt = av_packet_alloc();
        int64_t t0 = clock_monotonic_us();
        int ret;
        if (!pkt)
            return AVERROR(ENOMEM);
        ret = r->backend->receive_packet(r->priv, pkt);
        *busy_us += clock_monotonic_us() - t0;
        if (ret < 0) {
            av_packet_free(&pkt);
            return ret == AVERROR(EAGAIN) ? 0 : ret;
        }
        pkt->stream_index = r->cfg.rendition;
        pkt->time_base = av_inv_q(r->cfg.params.fps);
        r->frames++;
        if ((ret = queue_send(out, pkt)) < 0) {
            av_packet_free(&pkt);
            return ret;
        }
    }
}

typedef struct EncodeJob {
    RungEncoder *r;
    Queue *in, *out;
    int ret;
} EncodeJob;

/* The encoding half of a rung, in its own thread, so that the rungs that
 * cascade from this one get their pictures without waiting for the encoder. */
static void *encode_thread(void *arg)
{
    EncodeJob *j = arg;
    RungEncoder *r = j->r;
    void *item;
    int ret = 0;

    thread_set_name("%s %s", r->backend->name, r->cfg.params.name);
    while (queue_receive(j->in, &item) == 0) {
        AVFrame *f = item;
        int idr = grid_encode_keyframe(&r->cfg.grid, f->pts);
        int64_t t0 = clock_monotonic_us(), busy;
        ret = r->backend->send_frame(r->priv, f, idr);
        busy = clock_monotonic_us() - t0;
        if (ret == AVERROR(EAGAIN)) {
            /* the backend holds a packet: take it, then the frame goes in */
            if ((ret = drain_packets(r, j->out, &busy)) >= 0) {
                t0 = clock_monotonic_us();
                ret = r->backend->send_frame(r->priv, f, idr);
                busy += clock_monotonic_us() - t0;
            }
        }
        av_frame_free(&f);
        if (ret < 0 || (ret = drain_packets(r, j->out, &busy)) < 0)
            goto end;
        count_busy(r, busy);
    }
    {
        int64_t busy = 0;
        if ((ret = r->backend->send_frame(r->priv, NULL, 0)) >= 0)
            ret = drain_packets(r, j->out, &busy);
    }
    if (ret == AVERROR_EOF)
        ret = queue_send_end_of_stream(j->out, r->cfg.rendition);
end:
    if (ret < 0)
        queue_abort(j->in);   /* the scaler stops too */
    j->ret = ret;
    return NULL;
}

int rung_encoder_run(RungEncoder *r, Queue *in, Queue *const *cascade, int ncascade, Queue *out)
{
    const char *name = r->cfg.params.name, *channel = r->cfg.params.channel;
    EncodeJob job = { .r = r, .out = out };
    pthread_t encoder;
    void *item;
    int ret = 0, started = 0;

    thread_set_name("scale %s", name);
    if ((ret = queue_new(&job.in, ENCODE_QUEUE, 1, queue_free_frame)) < 0)
        goto end;
    if (pthread_create(&encoder, NULL, encode_thread, &job)) {
        ret = AVERROR(EAGAIN);
        goto end;
    }
    started = 1;
    while (queue_receive(in, &item) == 0) {
        AVFrame *src = item, *f = NULL;
        ret = scale(r, src, &f);
        av_frame_free(&src);
        if (ret < 0)
            goto end;
        for (int i = 0; i < ncascade; i++) {
            AVFrame *ref = av_frame_clone(f);
            if (!ref || (ret = queue_send(cascade[i], ref)) < 0) {
                av_frame_free(&ref);
                av_frame_free(&f);
                ret = ret < 0 ? ret : AVERROR(ENOMEM);
                goto end;
            }
        }
        if ((ret = queue_send(job.in, f)) < 0) {
            av_frame_free(&f);
            goto end;
        }
    }
end:
    if (job.in)
        queue_close(job.in);
    if (started) {
        pthread_join(encoder, NULL);
        if (ret >= 0 || ret == AVERROR_EOF)
            ret = job.ret;
    }
    queue_free(&job.in);
    if (ret < 0 && ret != AVERROR_EOF)
        log_msg(LOG_ERROR, channel, STAGE, "%s: %s", name, ERRSTR(ret));
    for (int i = 0; i < ncascade; i++)
        queue_close(cascade[i]);
    queue_close(out);
    return ret;
}

void rung_encoder_free(RungEncoder **pr)
{
    RungEncoder *r = *pr;

    if (!r)
        return;
    if (r->backend && r->priv)
        r->backend->close(&r->priv);
    avcodec_parameters_free(&r->par);
    scaler_free(&r->scaler);
    av_buffer_pool_uninit(&r->pool);
    free(r);
    *pr = NULL;
}
