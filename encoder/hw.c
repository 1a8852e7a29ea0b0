/* The hardware backends: NVENC, VAAPI and QSV through libavcodec's h264_nvenc,
 * h264_vaapi and h264_qsv, fed from hardware frame contexts.
 *
 * One implementation serves all three; what differs is data in a HwDesc
 * (encoder, device type, frame formats, options) plus one host check per
 * backend that names the missing piece (driver, device node, runtime) before
 * any libav call, so `onair encoders` can say why a backend is unusable.
 * A probe ends with a real one-frame encode through the same code as a rung,
 * and its result is cached for the process. */
#include "encoder.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/buffer.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/fifo.h>
#include <libavutil/hwcontext.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#define STAGE "encoder"
#define REASON_MAX 256
#define MAX_RENDER_NODES 16

typedef struct HwOption {
    const char *key, *value;
} HwOption;

/* What the probe found, kept for the process: a probe is slow (it opens a
 * device and encodes a frame) and both `onair encoders` and `--encoder auto`
 * ask. Written once under lock; only `shared` changes afterwards. */
typedef struct HwProbe {
    pthread_mutex_t lock;
    int done, ret;
    char reason[REASON_MAX];
    char device[64];         /* av_hwdevice_ctx_create's device string; "" for the default */
    char child_device[64];   /* QSV: the render node under the MFX session */
    int low_power;           /* VAAPI: the driver only has the low-power entrypoint */
    /* One device shared by the rungs open on this backend (one CUDA context
     * or VA display rather than one per rung); freed with the last rung. */
    AVBufferRef *shared;
} HwProbe;

typedef struct HwDesc HwDesc;

enum HwStage { HW_DEVICE, HW_PARAMS, HW_FRAMES, HW_OPEN, HW_ENCODE };

struct HwDesc {
    const char *name;                        /* as --encoder names it */
    const char *codec;                       /* libavcodec encoder */
    enum AVHWDeviceType device_type;
    enum AVPixelFormat hw_format;
    /* Software formats uploaded as they are; anything else is converted to [0]. */
    enum AVPixelFormat upload_formats[3];
    int pool_size;                           /* fixed frame pool (QSV needs one); 0: it grows */
    const HwOption *options;                 /* always set; NULL-terminated */
    const HwOption *low_latency;             /* with EncoderParams.low_latency */
    const HwOption *high_latency;            /* without it */
    const HwOption *cbr;                     /* when max_bitrate == bitrate, if not implied */
    const char *preset_key;
    const char *presets[PRESET_COUNT];       /* for each of preset_names, in its order */
    /* Finds the device and checks what the backend needs on this host, ending
     * with hw_try(); writes why it is unusable to reason. */
    int (*check_host)(const HwDesc *d, HwProbe *st, char *reason, size_t size);
    HwProbe *state;
};

typedef struct HwEncoder {
    const HwDesc *desc;
    AVCodecContext *avctx;
    AVBufferRef *device, *frames;
    enum AVPixelFormat sw_format;            /* of the frames uploaded */
    int width, height;
    AVRational time_base;
    struct SwsContext *sws;                  /* input format -> sw_format, when they differ */
    AVFrame *converted;
    AVFifo *pending;                         /* AVPacket *: taken out while a send was refused */
    uint8_t *headers;                        /* SPS+PPS, Annex B, put before keyframes lacking them */
    int headers_size;
    int draining, quiet;
    char channel[NAME_MAX_LEN + 1], name[RUNG_NAME_MAX];
} HwEncoder;

/* ---- Annex B ----------------------------------------------------------- */

/* Offset of the first byte after the next 00 00 01 at or after pos, or size. */
static size_t annexb_next(const uint8_t *d, size_t size, size_t pos)
{
    for (; pos + 3 <= size; pos++)
        if (!d[pos] && !d[pos + 1] && d[pos + 2] == 1)
            return pos + 3;
    return size;
}

static int annexb_is(const uint8_t *d, size_t size)
{
    return (size >= 3 && !d[0] && !d[1] && d[2] == 1) ||
           (size >= 4 && !d[0] && !d[1] && !d[2] && d[3] == 1);
}

/* Whether an SPS comes before the first slice. */
static int annexb_has_sps(const uint8_t *d, size_t size)
{
    size_t pos = 0;

    while ((pos = annexb_next(d, size, pos)) < size) {
        int type = d[pos] & 0x1f;
        if (type == 7)
            return 1;
        if (type >= 1 && type <= 5)
            return 0;
    }
    return 0;
}

/* Where parameter sets go: after a leading access unit delimiter, which must
 * stay first, else at the start. */
static size_t annexb_insert_point(const uint8_t *d, size_t size)
{
    size_t first = annexb_next(d, size, 0), next, at;

    if (first >= size || (d[first] & 0x1f) != 9)
        return 0;
    next = annexb_next(d, size, first);
    if (next >= size)
        return size;
    at = next - 3;
    while (at > first + 1 && !d[at - 1])
        at--;
    return at;
}

/* ---- one encoder ---------------------------------------------------------- */

#define HW_LOG(h, level, ...)                                             \
    do {                                                                  \
        if (!(h)->quiet)                                                  \
            log_msg(level, (h)->channel, STAGE, __VA_ARGS__);             \
    } while (0)

static void hw_encoder_free(HwEncoder **ph)
{
    HwEncoder *h = *ph;
    AVPacket *pkt;

    if (!h)
        return;
    if (h->pending) {
        while (av_fifo_read(h->pending, &pkt, 1) >= 0)
            av_packet_free(&pkt);
        av_fifo_freep2(&h->pending);
    }
    avcodec_free_context(&h->avctx);
    av_buffer_unref(&h->frames);
    av_buffer_unref(&h->device);
    sws_freeContext(h->sws);
    av_frame_free(&h->converted);
    av_freep(&h->headers);
    av_freep(ph);
}

static int set_options(AVDictionary **opts, const HwOption *o)
{
    int ret;

    for (; o && o->key; o++)
        if ((ret = av_dict_set(opts, o->key, o->value, 0)) < 0)
            return ret;
    return 0;
}

static int hw_options(HwEncoder *h, const HwProbe *st, const EncoderParams *p, AVDictionary **opts)
{
    const HwDesc *d = h->desc;
    int preset = preset_index(p->preset), ret;

    if (preset < 0) {
        if (p->preset)
            HW_LOG(h, LOG_WARN, "%s: %s: unknown preset '%s', using " PRESET_DEFAULT, h->name,
                   d->name, p->preset);
        preset = preset_index(PRESET_DEFAULT);
    }
    if ((ret = set_options(opts, d->options)) < 0 ||
        (ret = set_options(opts, p->low_latency ? d->low_latency : d->high_latency)) < 0)
        return ret;
    if (p->max_bitrate > 0 && p->max_bitrate == p->bitrate && (ret = set_options(opts, d->cbr)) < 0)
        return ret;
    if (d->preset_key && (ret = av_dict_set(opts, d->preset_key, d->presets[preset], 0)) < 0)
        return ret;
    if (st->low_power && (ret = av_dict_set(opts, "low_power", "1", 0)) < 0)
        return ret;
    return 0;
}

/* Opens an encoder on device (a reference is taken). Writes why it fails to
 * reason and the step that failed to *stage; logs nothing itself. */
static int hw_encoder_open(HwEncoder **out, const HwDesc *d, const HwProbe *st,
                           const EncoderParams *p, AVBufferRef *device, int quiet,
                           enum HwStage *stage, char *reason, size_t size)
{
    const AVCodec *codec;
    AVCodecContext *c;
    AVHWFramesContext *fc;
    AVDictionary *opts = NULL;
    const AVDictionaryEntry *e = NULL;
    HwEncoder *h;
    int ret;

    *out = NULL;
    *stage = HW_PARAMS;
    if (p->width <= 0 || p->height <= 0 || p->fps.num <= 0 || p->fps.den <= 0 ||
        p->bitrate <= 0 || p->max_keyint <= 0 || p->pix_fmt == AV_PIX_FMT_NONE) {
        snprintf(reason, size, "invalid parameters (%dx%d, %d/%d fps, %" PRId64 " b/s, keyint %d)",
                 p->width, p->height, p->fps.num, p->fps.den, p->bitrate, p->max_keyint);
        return AVERROR(EINVAL);
    }
    if (!(codec = avcodec_find_encoder_by_name(d->codec))) {
        snprintf(reason, size, "this libavcodec was built without %s", d->codec);
        return AVERROR_ENCODER_NOT_FOUND;
    }
    if (!(h = av_mallocz(sizeof(*h))))
        return AVERROR(ENOMEM);
    h->desc = d;
    h->quiet = quiet;
    h->width = p->width;
    h->height = p->height;
    h->time_base = av_inv_q(p->fps);
    snprintf(h->channel, sizeof(h->channel), "%s", p->channel ? p->channel : "");
    snprintf(h->name, sizeof(h->name), "%s", p->name ? p->name : "");
    h->sw_format = d->upload_formats[0];
    for (int i = 0; i < 3 && d->upload_formats[i] != AV_PIX_FMT_NONE; i++)
        if (d->upload_formats[i] == p->pix_fmt)
            h->sw_format = p->pix_fmt;

    h->device = av_buffer_ref(device);
    h->pending = av_fifo_alloc2(4, sizeof(AVPacket *), AV_FIFO_FLAG_AUTO_GROW);
    if (!h->device || !h->pending) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }

    *stage = HW_FRAMES;
    if (!(h->frames = av_hwframe_ctx_alloc(h->device))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    fc = (AVHWFramesContext *)h->frames->data;
    fc->format = d->hw_format;
    fc->sw_format = h->sw_format;
    fc->width = p->width;
    fc->height = p->height;
    fc->initial_pool_size = d->pool_size;
    if ((ret = av_hwframe_ctx_init(h->frames)) < 0) {
        snprintf(reason, size, "cannot create %s frames (%s, %dx%d): %s",
                 av_hwdevice_get_type_name(d->device_type), av_get_pix_fmt_name(h->sw_format),
                 p->width, p->height, ERRSTR(ret));
        goto fail;
    }

    *stage = HW_OPEN;
    if (!(h->avctx = c = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    c->width = p->width;
    c->height = p->height;
    c->pix_fmt = d->hw_format;
    c->sw_pix_fmt = h->sw_format;
    c->sample_aspect_ratio = (AVRational){ 1, 1 };
    c->time_base = h->time_base;
    c->framerate = p->fps;
    c->bit_rate = p->bitrate;
    if (p->max_bitrate > 0) {
        c->rc_max_rate = p->max_bitrate;
        c->rc_buffer_size = (int)FFMIN(2 * p->max_bitrate, INT_MAX);
    }
    c->gop_size = p->max_keyint;
    if (p->low_latency)
        c->max_b_frames = 0;
    /* GLOBAL_HEADER gives the SPS/PPS for the codec parameters at open;
     * receive puts them back before every keyframe that lacks them, as
     * segments must each start decodable. */
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
    if (!(c->hw_frames_ctx = av_buffer_ref(h->frames))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = hw_options(h, st, p, &opts)) < 0)
        goto fail;
    if ((ret = avcodec_open2(c, codec, &opts)) < 0) {
        snprintf(reason, size, "%s failed to open (%dx%d): %s", d->codec, p->width, p->height, ERRSTR(ret));
        goto fail;
    }
    while ((e = av_dict_get(opts, "", e, AV_DICT_IGNORE_SUFFIX)))
        HW_LOG(h, LOG_WARN, "%s: %s ignored option %s=%s", h->name, d->codec, e->key, e->value);

    if (c->extradata_size <= 0 || !annexb_has_sps(c->extradata, (size_t)c->extradata_size)) {
        snprintf(reason, size, "%s gave no SPS/PPS at open", d->codec);
        ret = AVERROR(ENOSYS);
        goto fail;
    }
    if (annexb_is(c->extradata, (size_t)c->extradata_size)) {
        if (!(h->headers = av_memdup(c->extradata, (size_t)c->extradata_size))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        h->headers_size = c->extradata_size;
    } else {
        HW_LOG(h, LOG_WARN, "%s: %s extradata is not Annex B; keyframes keep only the "
               "parameter sets the encoder writes", h->name, d->codec);
    }
    av_dict_free(&opts);
    *out = h;
    return 0;

fail:
    av_dict_free(&opts);
    hw_encoder_free(&h);
    return ret;
}

/* Codec parameters of the stream: from the context, with profile and level
 * read from the SPS (the encoders do not all report the level they chose). */
static int hw_fill_par(const HwEncoder *h, AVCodecParameters *par)
{
    const AVCodecContext *c = h->avctx;
    uint8_t head[3];
    int ret;

    if ((ret = avcodec_parameters_from_context(par, c)) < 0)
        return ret;
    par->format = AV_PIX_FMT_YUV420P;   /* what it decodes to, not the upload format */
    if (h264_sps_head(c->extradata, (size_t)FFMAX(c->extradata_size, 0), head) >= 0) {
        par->profile = head[0];
        if (head[0] == CODEC_PROFILE(H264_BASELINE) && (head[1] & 0x40))
            par->profile = CODEC_PROFILE(H264_CONSTRAINED_BASELINE);
        par->level = head[2];
    }
    return 0;
}

/* Uploads a borrowed software frame into a new hardware frame. */
static int hw_upload(HwEncoder *h, const AVFrame *in, AVFrame **out)
{
    const AVFrame *src = in;
    AVFrame *hw;
    int ret;

    *out = NULL;
    if (in->format != h->sw_format || in->width != h->width || in->height != h->height) {
        h->sws = sws_getCachedContext(h->sws, in->width, in->height, in->format,
                                      h->width, h->height, h->sw_format,
                                      SWS_BICUBIC, NULL, NULL, NULL);
        if (!h->sws)
            return AVERROR(EINVAL);
        if (!h->converted) {
            if (!(h->converted = av_frame_alloc()))
                return AVERROR(ENOMEM);
            h->converted->format = h->sw_format;
            h->converted->width = h->width;
            h->converted->height = h->height;
            if ((ret = av_frame_get_buffer(h->converted, 0)) < 0)
                return ret;
        }
        if ((ret = av_frame_make_writable(h->converted)) < 0)
            return ret;
        sws_scale(h->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
                  h->converted->data, h->converted->linesize);
        src = h->converted;
    }
    if (!(hw = av_frame_alloc()))
        return AVERROR(ENOMEM);
    if ((ret = av_hwframe_get_buffer(h->frames, hw, 0)) < 0 ||
        (ret = av_hwframe_transfer_data(hw, src, 0)) < 0 ||
        (ret = av_frame_copy_props(hw, in)) < 0) {
        av_frame_free(&hw);
        return ret;
    }
    *out = hw;
    return 0;
}

/* Sends a frame (or NULL); when libavcodec refuses it until a packet is
 * taken, packets are taken into `pending` so that send never says EAGAIN. */
static int hw_push(HwEncoder *h, const AVFrame *f)
{
    int ret;

    while ((ret = avcodec_send_frame(h->avctx, f)) == AVERROR(EAGAIN)) {
        AVPacket *pkt = av_packet_alloc();
        if (!pkt)
            return AVERROR(ENOMEM);
        if ((ret = avcodec_receive_packet(h->avctx, pkt)) < 0 ||
            (ret = av_fifo_write(h->pending, &pkt, 1)) < 0) {
            av_packet_free(&pkt);
            return ret == AVERROR(EAGAIN) ? AVERROR_BUG : ret;
        }
    }
    return ret;
}

static int hw_send_frame(void *priv, const AVFrame *frame, int idr)
{
    HwEncoder *h = priv;
    AVFrame *hw = NULL;
    int ret;

    if (!h)
        return AVERROR(EINVAL);
    if (!frame) {
        if (h->draining)
            return 0;
        h->draining = 1;
        ret = hw_push(h, NULL);
    } else if (h->draining) {
        return AVERROR_EOF;
    } else {
        if ((ret = hw_upload(h, frame, &hw)) < 0) {
            HW_LOG(h, LOG_ERROR, "%s: %s: cannot upload frame %" PRId64 " (%s %dx%d): %s", h->name,
                   h->desc->name, frame->pts, av_get_pix_fmt_name(frame->format),
                   frame->width, frame->height, ERRSTR(ret));
            return ret;
        }
        /* Frames from a decoder carry its picture types: only ours count. */
        hw->pict_type = idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        hw->key_frame = !!idr;
        ret = hw_push(h, hw);
        av_frame_free(&hw);
    }
    if (ret < 0)
        HW_LOG(h, LOG_ERROR, "%s: %s: encoding failed: %s", h->name, h->desc->codec, ERRSTR(ret));
    return ret;
}

/* Puts the SPS/PPS before a keyframe that does not carry them. */
static int hw_add_headers(HwEncoder *h, AVPacket *pkt)
{
    AVPacket *out;
    size_t at;
    int ret;

    if (!(pkt->flags & AV_PKT_FLAG_KEY) || !h->headers || pkt->size <= 0 ||
        annexb_has_sps(pkt->data, (size_t)pkt->size))
        return 0;
    if (pkt->size > INT_MAX - h->headers_size - AV_INPUT_BUFFER_PADDING_SIZE)
        return AVERROR(ERANGE);
    if (!(out = av_packet_alloc()))
        return AVERROR(ENOMEM);
    if ((ret = av_new_packet(out, pkt->size + h->headers_size)) < 0 ||
        (ret = av_packet_copy_props(out, pkt)) < 0) {
        av_packet_free(&out);
        return ret;
    }
    at = annexb_insert_point(pkt->data, (size_t)pkt->size);
    memcpy(out->data, pkt->data, at);
    memcpy(out->data + at, h->headers, (size_t)h->headers_size);
    memcpy(out->data + at + h->headers_size, pkt->data + at, (size_t)pkt->size - at);
    av_packet_unref(pkt);
    av_packet_move_ref(pkt, out);
    av_packet_free(&out);
    return 0;
}

static int hw_receive_packet(void *priv, AVPacket *pkt)
{
    HwEncoder *h = priv;
    AVPacket *held;
    int ret;

    if (!h)
        return AVERROR(EINVAL);
    if (av_fifo_read(h->pending, &held, 1) >= 0) {
        av_packet_move_ref(pkt, held);
        av_packet_free(&held);
    } else if ((ret = avcodec_receive_packet(h->avctx, pkt)) < 0) {
        if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
            HW_LOG(h, LOG_ERROR, "%s: %s: encoding failed: %s", h->name, h->desc->codec, ERRSTR(ret));
        return ret;
    }
    if (pkt->duration <= 0)
        pkt->duration = 1;
    pkt->time_base = h->time_base;
    if ((ret = hw_add_headers(h, pkt)) < 0) {
        HW_LOG(h, LOG_ERROR, "%s: %s: cannot add SPS/PPS to a keyframe: %s", h->name,
               h->desc->name, ERRSTR(ret));
        av_packet_unref(pkt);
        return ret;
    }
    return 0;
}

/* ---- devices ------------------------------------------------------------- */

static int hw_device_create(const HwDesc *d, const HwProbe *st, AVBufferRef **out)
{
    AVDictionary *opts = NULL;
    int ret = 0;

    if (st->child_device[0])
        ret = av_dict_set(&opts, "child_device", st->child_device, 0);
    if (ret >= 0)
        ret = av_hwdevice_ctx_create(out, d->device_type, st->device[0] ? st->device : NULL, opts, 0);
    av_dict_free(&opts);
    return ret;
}

static int hw_shared_device(const HwDesc *d, AVBufferRef **out)
{
    HwProbe *st = d->state;
    int ret = 0;

    pthread_mutex_lock(&st->lock);
    if (!st->shared)
        ret = hw_device_create(d, st, &st->shared);
    if (ret >= 0 && !(*out = av_buffer_ref(st->shared)))
        ret = AVERROR(ENOMEM);
    pthread_mutex_unlock(&st->lock);
    return ret;
}

/* Frees the shared device when nothing but the cache holds it. */
static void hw_shared_release(const HwDesc *d)
{
    HwProbe *st = d->state;

    pthread_mutex_lock(&st->lock);
    if (st->shared && av_buffer_get_ref_count(st->shared) == 1)
        av_buffer_unref(&st->shared);
    pthread_mutex_unlock(&st->lock);
}

/* ---- probing --------------------------------------------------------------- */

/* Encodes one black frame on device through the code a rung uses. */
static int hw_test_encode(const HwDesc *d, const HwProbe *st, AVBufferRef *device,
                          enum HwStage *stage, char *reason, size_t size)
{
    const EncoderParams p = {
        .width = 256, .height = 144, .pix_fmt = AV_PIX_FMT_YUV420P, .fps = { 30, 1 },
        .bitrate = 300000, .preset = PRESET_DEFAULT, .max_keyint = 60,
        .channel = "", .name = "probe",
    };
    HwEncoder *h = NULL;
    AVFrame *f = NULL;
    AVPacket *pkt = NULL;
    int ret, keyframes = 0;

    if ((ret = hw_encoder_open(&h, d, st, &p, device, 1, stage, reason, size)) < 0)
        return ret;
    *stage = HW_ENCODE;
    if (!(f = av_frame_alloc()) || !(pkt = av_packet_alloc())) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    f->format = p.pix_fmt;
    f->width = p.width;
    f->height = p.height;
    if ((ret = av_frame_get_buffer(f, 0)) < 0)
        goto end;
    for (int plane = 0; plane < 3; plane++)
        memset(f->data[plane], plane ? 128 : 16, (size_t)f->linesize[plane] * (plane ? p.height / 2 : p.height));
    f->pts = 0;
    if ((ret = hw_send_frame(h, f, 1)) < 0 || (ret = hw_send_frame(h, NULL, 0)) < 0) {
        snprintf(reason, size, "%s could not encode a test frame: %s", d->codec, ERRSTR(ret));
        goto end;
    }
    while ((ret = hw_receive_packet(h, pkt)) >= 0) {
        if ((pkt->flags & AV_PKT_FLAG_KEY) && annexb_has_sps(pkt->data, (size_t)pkt->size))
            keyframes++;
        av_packet_unref(pkt);
    }
    if (ret != AVERROR_EOF) {
        snprintf(reason, size, "%s could not encode a test frame: %s", d->codec, ERRSTR(ret));
        goto end;
    }
    ret = 0;
    if (!keyframes) {
        snprintf(reason, size, "%s gave no keyframe with SPS/PPS for a forced IDR", d->codec);
        ret = AVERROR_EXTERNAL;
    }
end:
    av_packet_free(&pkt);
    av_frame_free(&f);
    hw_encoder_free(&h);
    return ret;
}

/* Creates the device st describes and encodes a test frame on it. */
static int hw_try(const HwDesc *d, const HwProbe *st, enum HwStage *stage, char *reason, size_t size)
{
    AVBufferRef *device = NULL;
    int ret;

    *stage = HW_DEVICE;
    if ((ret = hw_device_create(d, st, &device)) < 0) {
        snprintf(reason, size, "%s device could not be created: %s",
                 av_hwdevice_get_type_name(d->device_type), ERRSTR(ret));
        return ret;
    }
    ret = hw_test_encode(d, st, device, stage, reason, size);
    av_buffer_unref(&device);
    return ret;
}

static int hw_probe(const HwDesc *d, char *reason, size_t size)
{
    HwProbe *st = d->state;
    int ret;

    pthread_mutex_lock(&st->lock);
    if (!st->done) {
        if (!avcodec_find_encoder_by_name(d->codec)) {
            snprintf(st->reason, sizeof(st->reason), "this libavcodec was built without %s", d->codec);
            st->ret = AVERROR_ENCODER_NOT_FOUND;
        } else {
            st->ret = d->check_host(d, st, st->reason, sizeof(st->reason));
        }
        st->done = 1;
    }
    ret = st->ret;
    if (reason && size)
        snprintf(reason, size, "%s", st->reason);
    pthread_mutex_unlock(&st->lock);
    return ret;
}

/* ---- render nodes (VAAPI, QSV) ------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The /dev/dri/renderD* minors, sorted; AVERROR(errno) when /dev/dri cannot be read. */
static int render_nodes(int *minors, int max)
{
    DIR *dir = opendir("/dev/dri");
    struct dirent *de;
    int n = 0;

    if (!dir)
        return AVERROR(errno);
    while ((de = readdir(dir)) && n < max) {
        int minor;
        char tail;
        if (sscanf(de->d_name, "renderD%d%c", &minor, &tail) == 1)
            minors[n++] = minor;
    }
    closedir(dir);
    qsort(minors, (size_t)n, sizeof(*minors), cmp_int);
    return n;
}

/* The kernel driver bound to a render node ("i915", "amdgpu", ...). */
static void node_driver(int minor, char *out, size_t size)
{
    char path[96], link[PATH_MAX];
    const char *base;
    ssize_t len;

    snprintf(path, sizeof(path), "/sys/class/drm/renderD%d/device/driver", minor);
    len = readlink(path, link, sizeof(link) - 1);
    if (len <= 0) {
        snprintf(out, size, "unknown");
        return;
    }
    link[len] = 0;
    base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
    len = (ssize_t)FFMIN(strlen(base), size - 1);
    memcpy(out, base, (size_t)len);
    out[len] = 0;
}

static unsigned node_vendor(int minor)
{
    char path[96], buf[32] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/sys/class/drm/renderD%d/device/vendor", minor);
    if (!(f = fopen(path, "r")))
        return 0;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = 0;
    fclose(f);
    return (unsigned)strtoul(buf, NULL, 16);
}

/* 0 when the node opens read-write, else why not. */
static int node_access(const char *path, char *reason, size_t size)
{
    int fd = open(path, O_RDWR | O_CLOEXEC), err;

    if (fd >= 0) {
        close(fd);
        return 0;
    }
    err = errno;
    snprintf(reason, size, "cannot open %s: %s%s", path, strerror(err),
             err == EACCES || err == EPERM ? " (add the user to the group owning it, usually 'render')" : "");
    return AVERROR(err);
}

static const char *no_nodes(int n)
{
    return n < 0 ? "no /dev/dri: no GPU with a DRM driver, or it is not passed into this container"
                 : "/dev/dri has no renderD* node";
}

/* ---- NVENC ----------------------------------------------------------------- */

typedef int (*CuInitFn)(unsigned flags);
typedef int (*CuDeviceGetCountFn)(int *count);
typedef int (*CuDeviceGetFn)(int *device, int ordinal);
typedef int (*CuDeviceGetNameFn)(char *name, int len, int device);
typedef int (*CuGetErrorNameFn)(int error, const char **name);
typedef int (*NvEncMaxVersionFn)(uint32_t *version);

static int nvenc_check_host(const HwDesc *d, HwProbe *st, char *reason, size_t size)
{
    CuInitFn cu_init;
    CuDeviceGetCountFn cu_count;
    CuDeviceGetFn cu_get;
    CuDeviceGetNameFn cu_name;
    CuGetErrorNameFn cu_error;
    NvEncMaxVersionFn nvenc_max;
    void *cuda, *nvenc;
    char gpu[128] = "unknown", why[REASON_MAX];
    const char *err_name = NULL;
    uint32_t max_version = 0;
    enum HwStage stage;
    int count = 0, dev = 0, r, ret;

    /* libcuda stays loaded: it is unsafe to unload once cuInit has run, and
     * libavutil loads it again anyway. (dlsym results are assigned through
     * void ** as POSIX recommends: ISO C has no object-to-function cast.) */
    if (!(cuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL))) {
        snprintf(reason, size, "libcuda.so.1 not found (no NVIDIA driver)");
        return AVERROR(ENODEV);
    }
    *(void **)&cu_init = dlsym(cuda, "cuInit");
    *(void **)&cu_count = dlsym(cuda, "cuDeviceGetCount");
    *(void **)&cu_get = dlsym(cuda, "cuDeviceGet");
    *(void **)&cu_name = dlsym(cuda, "cuDeviceGetName");
    *(void **)&cu_error = dlsym(cuda, "cuGetErrorName");
    if (!cu_init || !cu_count || !cu_get || !cu_name) {
        snprintf(reason, size, "libcuda.so.1 lacks the CUDA driver API (broken NVIDIA driver install)");
        return AVERROR(ENODEV);
    }
    if ((r = cu_init(0)) != 0) {
        if (!cu_error || cu_error(r, &err_name) != 0 || !err_name)
            err_name = "unknown CUDA error";
        if (r == 100)        /* CUDA_ERROR_NO_DEVICE */
            snprintf(reason, size, "no NVIDIA GPU visible (cuInit: %s)", err_name);
        else if (r == 35)    /* CUDA_ERROR_INSUFFICIENT_DRIVER */
            snprintf(reason, size, "NVIDIA kernel driver older than libcuda.so.1 (cuInit: %s)", err_name);
        else
            snprintf(reason, size, "CUDA driver failed to initialise (cuInit: %s %d)", err_name, r);
        return AVERROR(ENODEV);
    }
    if (cu_count(&count) != 0 || count <= 0) {
        snprintf(reason, size, "no NVIDIA GPU visible (cuDeviceGetCount: 0)");
        return AVERROR(ENODEV);
    }
    if (cu_get(&dev, 0) == 0)
        cu_name(gpu, (int)sizeof(gpu), dev);

    if (!(nvenc = dlopen("libnvidia-encode.so.1", RTLD_LAZY | RTLD_LOCAL))) {
        snprintf(reason, size, "libnvidia-encode.so.1 not found (NVIDIA driver without its NVENC library; "
                 "in a container, NVIDIA_DRIVER_CAPABILITIES must include video)");
        return AVERROR(ENODEV);
    }
    *(void **)&nvenc_max = dlsym(nvenc, "NvEncodeAPIGetMaxSupportedVersion");
    if (nvenc_max)
        nvenc_max(&max_version);
    dlclose(nvenc);

    st->device[0] = 0;   /* CUDA device 0 */
    ret = hw_try(d, st, &stage, why, sizeof(why));
    if (ret >= 0) {
        snprintf(reason, size, "GPU 0: %s", gpu);
    } else if (stage == HW_DEVICE) {
        snprintf(reason, size, "CUDA device 0 (%s) could not be opened: %s", gpu, why);
    } else if (stage == HW_OPEN && (ret == AVERROR(ENOSYS) || ret == AVERROR(ENOENT))) {
        /* libavcodec maps both "no NVENC on this device" and "driver API too
         * old" to these; the driver's API version tells them apart. */
        snprintf(reason, size, "GPU has no NVENC engine (%s), or its driver's NVENC API %u.%u is "
                 "older than this libavcodec needs: %s",
                 gpu, max_version >> 4, max_version & 0xf, ERRSTR(ret));
    } else {
        snprintf(reason, size, "%s (GPU 0: %s)", why, gpu);
    }
    return ret;
}

/* ---- VAAPI ----------------------------------------------------------------- */

static int vaapi_check_host(const HwDesc *d, HwProbe *st, char *reason, size_t size)
{
    int minors[MAX_RENDER_NODES], n = render_nodes(minors, MAX_RENDER_NODES), failed = 0, ret = 0;
    char first[REASON_MAX] = "";

    if (n <= 0) {
        snprintf(reason, size, "no render node /dev/dri/renderD128 (%s)", no_nodes(n));
        return AVERROR(ENODEV);
    }
    /* The first node that encodes wins: on a host with several GPUs the
     * first one may have no VA-API encoder (NVIDIA, say). */
    for (int i = 0; i < n; i++) {
        char path[64], driver[64], why[REASON_MAX];
        enum HwStage stage;

        snprintf(path, sizeof(path), "/dev/dri/renderD%d", minors[i]);
        node_driver(minors[i], driver, sizeof(driver));
        if ((ret = node_access(path, why, sizeof(why))) >= 0) {
            snprintf(st->device, sizeof(st->device), "%s", path);
            st->low_power = 0;
            ret = hw_try(d, st, &stage, why, sizeof(why));
            if (ret == AVERROR(ENOSYS) && stage == HW_OPEN) {
                /* Some drivers (recent Intel) encode H.264 only through the
                 * low-power entrypoint, which FFmpeg 5.1 does not try alone. */
                st->low_power = 1;
                ret = hw_try(d, st, &stage, why, sizeof(why));
            }
            if (ret >= 0) {
                snprintf(reason, size, "%s (%s%s)", path, driver,
                         st->low_power ? ", low-power entrypoint" : "");
                return 0;
            }
            st->low_power = 0;
            if (stage == HW_DEVICE)
                snprintf(why, sizeof(why), "VA-API driver failed to initialise on %s (kernel driver %s)",
                         path, driver);
            else if (stage == HW_OPEN && ret == AVERROR(ENOSYS))
                snprintf(why, sizeof(why), "VA-API driver for %s (kernel driver %s) has no H.264 "
                         "encode entrypoint", path, driver);
        }
        if (!failed++)
            snprintf(first, sizeof(first), "%s", why);
    }
    st->device[0] = 0;
    if (failed > 1)
        snprintf(reason, size, "%s (and %d more render node%s failed)", first, failed - 1,
                 failed > 2 ? "s" : "");
    else
        snprintf(reason, size, "%s", first);
    return ret < 0 ? ret : AVERROR(ENODEV);
}

/* ---- QSV ------------------------------------------------------------------- */

static int qsv_check_host(const HwDesc *d, HwProbe *st, char *reason, size_t size)
{
    static const char *const runtimes[] = { "libmfxhw64.so.1", "libmfx-gen.so.1.2" };
    int minors[MAX_RENDER_NODES], n = render_nodes(minors, MAX_RENDER_NODES), intel = -1, ret, found = 0;
    char path[64], driver[64], why[REASON_MAX];
    enum HwStage stage;

    for (int i = 0; i < n && intel < 0; i++)
        if (node_vendor(minors[i]) == 0x8086)
            intel = minors[i];
    if (intel < 0) {
        if (n > 0) {
            char others[128] = "";
            size_t len = 0;
            for (int i = 0; i < n && len < sizeof(others); i++) {
                node_driver(minors[i], driver, sizeof(driver));
                len += (size_t)snprintf(others + len, sizeof(others) - len, "%s%s", i ? ", " : "", driver);
            }
            snprintf(reason, size, "no Intel GPU render node (the render nodes belong to: %s)", others);
        } else {
            snprintf(reason, size, "no Intel GPU render node (%s)", no_nodes(n));
        }
        return AVERROR(ENODEV);
    }
    snprintf(path, sizeof(path), "/dev/dri/renderD%d", intel);
    node_driver(intel, driver, sizeof(driver));
    if ((ret = node_access(path, reason, size)) < 0)
        return ret;

    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]) && !found; i++) {
        void *lib = dlopen(runtimes[i], RTLD_LAZY | RTLD_LOCAL);
        if (lib) {
            dlclose(lib);
            found = 1;
        }
    }
    if (!found) {
        snprintf(reason, size, "libmfx/oneVPL runtime not found (neither libmfxhw64.so.1 nor "
                 "libmfx-gen.so.1.2 loads)");
        return AVERROR(ENODEV);
    }

    snprintf(st->device, sizeof(st->device), "hw_any");
    snprintf(st->child_device, sizeof(st->child_device), "%s", path);
    ret = hw_try(d, st, &stage, why, sizeof(why));
    if (ret >= 0)
        snprintf(reason, size, "%s (%s)", path, driver);
    else if (stage == HW_DEVICE)
        snprintf(reason, size, "no QSV session on %s (kernel driver %s; it needs the iHD VA-API "
                 "driver and a runtime that supports this GPU): %s", path, driver, ERRSTR(ret));
    else
        snprintf(reason, size, "%s on %s", why, path);
    return ret;
}

/* ---- the three backends ------------------------------------------------- */

static HwProbe nvenc_state = { .lock = PTHREAD_MUTEX_INITIALIZER };
static HwProbe vaapi_state = { .lock = PTHREAD_MUTEX_INITIALIZER };
static HwProbe qsv_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const HwDesc nvenc_desc = {
    .name = "nvenc",
    .codec = "h264_nvenc",
    .device_type = AV_HWDEVICE_TYPE_CUDA,
    .hw_format = AV_PIX_FMT_CUDA,
    .upload_formats = { AV_PIX_FMT_NV12, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE },
    .options = (const HwOption[]){
        { "forced-idr", "1" }, { "no-scenecut", "1" }, { "strict_gop", "1" },
        { "profile", "high" }, { NULL, NULL } },
    .low_latency = (const HwOption[]){
        { "tune", "ll" }, { "zerolatency", "1" }, { "delay", "0" }, { "rc-lookahead", "0" },
        { NULL, NULL } },
    .high_latency = (const HwOption[]){ { "tune", "hq" }, { NULL, NULL } },
    .cbr = (const HwOption[]){ { "rc", "cbr" }, { NULL, NULL } },
    .preset_key = "preset",
    .presets = { "p1", "p2", "p3", "p3", "p4", "p4", "p5", "p6", "p7", "p7" },
    .check_host = nvenc_check_host,
    .state = &nvenc_state,
};

static const HwDesc vaapi_desc = {
    .name = "vaapi",
    .codec = "h264_vaapi",
    .device_type = AV_HWDEVICE_TYPE_VAAPI,
    .hw_format = AV_PIX_FMT_VAAPI,
    .upload_formats = { AV_PIX_FMT_NV12, AV_PIX_FMT_NONE, AV_PIX_FMT_NONE },
    .options = (const HwOption[]){
        { "idr_interval", "0" }, { "profile", "high" }, { "b_depth", "1" }, { NULL, NULL } },
    .low_latency = (const HwOption[]){ { "async_depth", "1" }, { NULL, NULL } },
    /* the driver's quality/speed levels, 1 (best) .. 7 (fastest) on Intel */
    .preset_key = "compression_level",
    .presets = { "7", "7", "6", "5", "5", "4", "3", "2", "1", "1" },
    .check_host = vaapi_check_host,
    .state = &vaapi_state,
};

static const HwDesc qsv_desc = {
    .name = "qsv",
    .codec = "h264_qsv",
    .device_type = AV_HWDEVICE_TYPE_QSV,
    .hw_format = AV_PIX_FMT_QSV,
    .upload_formats = { AV_PIX_FMT_NV12, AV_PIX_FMT_NONE, AV_PIX_FMT_NONE },
    /* QSV frame pools are fixed: room for async_depth, reordering and the
     * frame being uploaded */
    .pool_size = 32,
    .options = (const HwOption[]){
        { "forced_idr", "1" }, { "idr_interval", "0" }, { "profile", "high" }, { NULL, NULL } },
    .low_latency = (const HwOption[]){ { "look_ahead", "0" }, { "async_depth", "1" }, { NULL, NULL } },
    .preset_key = "preset",
    .presets = { "veryfast", "veryfast", "veryfast", "faster", "fast",
                 "medium", "slow", "slower", "veryslow", "veryslow" },
    .check_host = qsv_check_host,
    .state = &qsv_state,
};

static int hw_open(const HwDesc *d, void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    const char *channel = p->channel ? p->channel : "", *name = p->name ? p->name : "";
    char reason[REASON_MAX];
    AVBufferRef *device = NULL;
    HwEncoder *h = NULL;
    enum HwStage stage;
    int ret;

    *priv = NULL;
    if ((ret = hw_probe(d, reason, sizeof(reason))) < 0) {
        log_msg(LOG_ERROR, channel, STAGE, "%s: %s is not usable: %s", name, d->name, reason);
        return ret;
    }
    if ((ret = hw_shared_device(d, &device)) < 0) {
        log_msg(LOG_ERROR, channel, STAGE, "%s: %s: %s device could not be created: %s", name, d->name,
                av_hwdevice_get_type_name(d->device_type), ERRSTR(ret));
        return ret;
    }
    ret = hw_encoder_open(&h, d, d->state, p, device, 0, &stage, reason, sizeof(reason));
    av_buffer_unref(&device);
    if (ret >= 0 && (ret = hw_fill_par(h, par)) < 0)
        snprintf(reason, sizeof(reason), "codec parameters: %s", ERRSTR(ret));
    if (ret < 0) {
        log_msg(LOG_ERROR, channel, STAGE, "%s: %s: %s", name, d->name, reason);
        hw_encoder_free(&h);
        hw_shared_release(d);
        return ret;
    }
    *priv = h;
    return 0;
}

static void hw_close(void **priv)
{
    HwEncoder *h = *priv;
    const HwDesc *d;

    if (!h)
        return;
    d = h->desc;
    hw_encoder_free(&h);
    hw_shared_release(d);
    *priv = NULL;
}

static int nvenc_probe(char *reason, size_t size) { return hw_probe(&nvenc_desc, reason, size); }
static int vaapi_probe(char *reason, size_t size) { return hw_probe(&vaapi_desc, reason, size); }
static int qsv_probe(char *reason, size_t size) { return hw_probe(&qsv_desc, reason, size); }

static int nvenc_open(void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    return hw_open(&nvenc_desc, priv, p, par);
}

static int vaapi_open(void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    return hw_open(&vaapi_desc, priv, p, par);
}

static int qsv_open(void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    return hw_open(&qsv_desc, priv, p, par);
}

const EncoderBackend encoder_nvenc = {
    .name = "nvenc",
    .description = "NVIDIA NVENC (h264_nvenc)",
    .hardware = 1,
    .probe = nvenc_probe,
    .open = nvenc_open,
    .send_frame = hw_send_frame,
    .receive_packet = hw_receive_packet,
    .close = hw_close,
};

const EncoderBackend encoder_vaapi = {
    .name = "vaapi",
    .description = "VA-API (h264_vaapi)",
    .hardware = 1,
    .probe = vaapi_probe,
    .open = vaapi_open,
    .send_frame = hw_send_frame,
    .receive_packet = hw_receive_packet,
    .close = hw_close,
};

const EncoderBackend encoder_qsv = {
    .name = "qsv",
    .description = "Intel Quick Sync (h264_qsv)",
    .hardware = 1,
    .probe = qsv_probe,
    .open = qsv_open,
    .send_frame = hw_send_frame,
    .receive_packet = hw_receive_packet,
    .close = hw_close,
};
