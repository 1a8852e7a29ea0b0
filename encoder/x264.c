/* The x264 backend: libx264 driven through x264.h, with forced IDRs through
 * the picture type. */
#include "encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <x264.h>

#define STAGE "encoder"

typedef struct X264Encoder {
    x264_t *h;
    EncoderParams p;
    AVPacket *pending;     /* x264 gives at most one frame per call */
    int draining;
} X264Encoder;

static void x264_log_cb(void *opaque, int level, const char *fmt, va_list ap)
{
    const EncoderParams *p = opaque;
    enum LogLevel ours = level <= X264_LOG_ERROR ? LOG_ERROR : level == X264_LOG_WARNING ? LOG_WARN : LOG_DEBUG;
    char line[512];

    vsnprintf(line, sizeof(line), fmt, ap);
    log_msg(ours, p->channel ? p->channel : "", STAGE, "x264 %s: %s", p->name ? p->name : "", line);
}

static int x264_probe(char *reason, size_t size)
{
    snprintf(reason, size, "libx264 build %d", X264_BUILD);
    return 0;
}

static void x264_close(void **priv)
{
    X264Encoder *e = *priv;

    if (!e)
        return;
    if (e->h)
        x264_encoder_close(e->h);
    av_packet_free(&e->pending);
    free(e);
    *priv = NULL;
}

static int x264_open(void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    X264Encoder *e;
    x264_param_t param;
    x264_nal_t *nals;
    int nnal, ret;
    uint8_t *extra = NULL, head[3];
    size_t extra_size = 0;

    *priv = NULL;
    if (p->pix_fmt != AV_PIX_FMT_YUV420P) {
        log_msg(LOG_ERROR, p->channel, STAGE, "x264: frames must be yuv420p, got %s",
                av_get_pix_fmt_name(p->pix_fmt));
        return AVERROR(EINVAL);
    }
    e = calloc(1, sizeof(*e));
    if (!e)
        return AVERROR(ENOMEM);
    e->p = *p;
    e->pending = av_packet_alloc();
    if (!e->pending) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }

    if (x264_param_default_preset(&param, p->preset ? p->preset : PRESET_DEFAULT,
                                  p->low_latency ? "zerolatency" : NULL) < 0) {
        char list[160];
        preset_list(list, sizeof(list));
        log_msg(LOG_ERROR, p->channel, STAGE, "x264: unknown preset '%s' (use %s)", p->preset, list);
        ret = AVERROR(EINVAL);
        goto fail;
    }
    param.pf_log = x264_log_cb;
    param.p_log_private = &e->p;
    param.i_log_level = X264_LOG_WARNING;
    param.i_csp = X264_CSP_I420;
    param.i_width = p->width;
    param.i_height = p->height;
    param.vui.i_sar_width = param.vui.i_sar_height = 1;
    param.i_fps_num = (uint32_t)p->fps.num;
    param.i_fps_den = (uint32_t)p->fps.den;
    param.i_timebase_num = (uint32_t)p->fps.den;
    param.i_timebase_den = (uint32_t)p->fps.num;
    param.b_vfr_input = 0;
    param.i_threads = p->threads > 0 ? p->threads : X264_THREADS_AUTO;
    /* IDRs are forced at segment starts; keyint only bounds the GOP in case
     * a boundary is ever missed. Scene cuts in between stay as they are.
     * It is one frame past the longest segment: a frame at exactly keyint
     * from the last IDR is made an I-frame by x264's slice type analysis
     * when it has no lookahead to spare (zerolatency, or no mb-tree), over
     * the IDR forced there (slicetype.c), and x264 warns "forced frame type
     * (1) ... changed to frame type (2)" before its keyint limit makes that
     * I an IDR again. */
    param.i_keyint_max = p->max_keyint > 0 ? p->max_keyint + 1 : 250;
    param.b_open_gop = 0;
    param.b_repeat_headers = 1;   /* SPS/PPS before every IDR: each segment stands alone */
    param.b_annexb = 1;
    param.rc.i_rc_method = X264_RC_ABR;
    param.rc.i_bitrate = (int)(p->bitrate / 1000);
    if (p->max_bitrate > 0) {
        param.rc.i_vbv_max_bitrate = (int)(p->max_bitrate / 1000);
        param.rc.i_vbv_buffer_size = (int)(p->max_bitrate * 2 / 1000);
    }
    if (p->low_latency) {
        param.i_bframe = 0;
        param.rc.i_lookahead = 0;
        param.i_sync_lookahead = 0;
        param.b_sliced_threads = 1;
    }
    if (x264_param_apply_profile(&param, "high") < 0) {
        ret = AVERROR(EINVAL);
        goto fail;
    }

    e->h = x264_encoder_open(&param);
    if (!e->h) {
        log_msg(LOG_ERROR, p->channel, STAGE, "x264: cannot open an encoder for %dx%d", p->width, p->height);
        ret = AVERROR_EXTERNAL;
        goto fail;
    }

    /* extradata: SPS and PPS, Annex B */
    if (x264_encoder_headers(e->h, &nals, &nnal) < 0) {
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    for (int i = 0; i < nnal; i++)
        if (nals[i].i_type == NAL_SPS || nals[i].i_type == NAL_PPS)
            extra_size += (size_t)nals[i].i_payload;
    extra = av_mallocz(extra_size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!extra) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    extra_size = 0;
    for (int i = 0; i < nnal; i++) {
        if (nals[i].i_type != NAL_SPS && nals[i].i_type != NAL_PPS)
            continue;
        memcpy(extra + extra_size, nals[i].p_payload, (size_t)nals[i].i_payload);
        extra_size += (size_t)nals[i].i_payload;
        if (nals[i].i_type == NAL_SPS &&
            h264_sps_head(nals[i].p_payload, (size_t)nals[i].i_payload, head) >= 0) {
            par->profile = head[0];
            par->level = head[2];
        }
    }
    av_freep(&par->extradata);
    par->extradata = extra;
    par->extradata_size = (int)extra_size;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = AV_CODEC_ID_H264;
    par->width = p->width;
    par->height = p->height;
    par->format = AV_PIX_FMT_YUV420P;
    par->bit_rate = p->bitrate;
    par->field_order = AV_FIELD_PROGRESSIVE;
    par->sample_aspect_ratio = (AVRational){ 1, 1 };
    par->video_delay = param.i_bframe ? (param.i_bframe_pyramid ? 2 : 1) : 0;
    *priv = e;
    return 0;
fail:
    x264_close((void **)&e);
    return ret;
}

static int take_output(X264Encoder *e, x264_nal_t *nals, int size, const x264_picture_t *out)
{
    int ret;

    if (size <= 0)
        return 0;
    av_packet_unref(e->pending);
    if ((ret = av_new_packet(e->pending, size)) < 0)
        return ret;
    /* x264 guarantees the payloads of one frame are contiguous */
    memcpy(e->pending->data, nals[0].p_payload, (size_t)size);
    e->pending->pts = out->i_pts;
    e->pending->dts = out->i_dts;
    e->pending->duration = 1;
    e->pending->time_base = av_inv_q(e->p.fps);
    if (out->b_keyframe)
        e->pending->flags |= AV_PKT_FLAG_KEY;
    return 1;
}

static int x264_send_frame(void *priv, const AVFrame *f, int idr)
{
    X264Encoder *e = priv;
    x264_picture_t in, out;
    x264_nal_t *nals;
    int nnal, size;

    if (e->pending->size)
        return AVERROR(EAGAIN);   /* receive first */
    if (!f) {
        e->draining = 1;
        return 0;
    }
    x264_picture_init(&in);
    in.img.i_csp = X264_CSP_I420;
    in.img.i_plane = 3;
    for (int i = 0; i < 3; i++) {
        in.img.plane[i] = f->data[i];
        in.img.i_stride[i] = f->linesize[i];
    }
    in.i_pts = f->pts;
    in.i_type = idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
    size = x264_encoder_encode(e->h, &nals, &nnal, &in, &out);
    if (size < 0) {
        log_msg(LOG_ERROR, e->p.channel, STAGE, "x264 %s: encoding failed", e->p.name);
        return AVERROR_EXTERNAL;
    }
    return take_output(e, nals, size, &out) < 0 ? AVERROR(ENOMEM) : 0;
}

static int x264_receive_packet(void *priv, AVPacket *pkt)
{
    X264Encoder *e = priv;

    while (!e->pending->size && e->draining) {
        x264_picture_t out;
        x264_nal_t *nals;
        int nnal, size;
        if (!x264_encoder_delayed_frames(e->h))
            return AVERROR_EOF;
        size = x264_encoder_encode(e->h, &nals, &nnal, NULL, &out);
        if (size < 0)
            return AVERROR_EXTERNAL;
        if (take_output(e, nals, size, &out) < 0)
            return AVERROR(ENOMEM);
    }
    if (!e->pending->size)
        return AVERROR(EAGAIN);
    av_packet_move_ref(pkt, e->pending);
    return 0;
}

const EncoderBackend encoder_x264 = {
    .name = "x264",
    .description = "libx264 software H.264",
    .hardware = 0,
    .probe = x264_probe,
    .open = x264_open,
    .send_frame = x264_send_frame,
    .receive_packet = x264_receive_packet,
    .close = x264_close,
};
