/* A source: one of the kinds (media, generator) produces decoded frames;
 * this file puts them on the output clock (constant rate, pts 0 = first
 * video frame), fits pictures to a canvas and converts audio where the
 * consumer asked, loops files and reconnects URLs. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

#define STAGE SOURCE_STAGE
/* A jump in timestamps larger than this is a discontinuity in the source,
 * not a gap to fill with repeated frames. */
#define MAX_GAP_US 5000000
#define MAX_CORRUPT_WARNINGS 10

int source_interrupted(Source *s)
{
    return atomic_load(&s->stop) || (s->cfg.interrupt && s->cfg.interrupt(s->cfg.opaque));
}

static int interrupted(void *opaque)
{
    return source_interrupted(opaque);
}

void source_stop(Source *s)
{
    atomic_store(&s->stop, 1);
}

int source_should_stop(Source *s)
{
    if (source_interrupted(s))
        return 1;
    if (s->cfg.stall_timeout_us > 0 &&
        clock_monotonic_us() - s->last_data_us > s->cfg.stall_timeout_us + s->open_grace_us) {
        s->stalled = 1;
        return 1;
    }
    return 0;
}

void source_warn_bad_data(Source *s, const char *what, int64_t pos_ts, AVRational tb)
{
    s->warnings++;
    if (s->warnings <= MAX_CORRUPT_WARNINGS) {
        double at = pos_ts != AV_NOPTS_VALUE ? pos_ts * av_q2d(tb) : -1;
        log_msg(LOG_WARN, s->channel, STAGE, "%s: %s at %.3f s, skipped%s", s->url, what, at,
                s->warnings == MAX_CORRUPT_WARNINGS ? " (further ones are counted, not shown)" : "");
    }
}

int source_open(Source **out, const SourceConfig *cfg)
{
    Source *s;
    int ret;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return AVERROR(ENOMEM);
    s->cfg = *cfg;
    s->kind = cfg->generate ? &source_kind_generator : &source_kind_media;
    s->url = av_strdup(cfg->url ? cfg->url : s->kind->name);
    s->channel = cfg->channel ? cfg->channel : "";
    s->t0 = AV_NOPTS_VALUE;
    s->last_data_us = clock_monotonic_us();
    if (!s->url) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = s->kind->open(s)) < 0)
        goto fail;
    s->fps = cfg->out_fps.num > 0 && cfg->out_fps.den > 0 ? cfg->out_fps : s->info.fps;
    if (cfg->canvas_width > 0) {
        s->pool_size = av_image_get_buffer_size(AV_PIX_FMT_YUV420P, cfg->canvas_width,
                                                cfg->canvas_height, 64);
        s->pool = av_buffer_pool_init((size_t)s->pool_size, NULL);
        if (s->pool_size < 0 || !s->pool) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    source_free(&s);
    return ret;
}

const SourceInfo *source_info(const Source *s)
{
    return &s->info;
}

int source_set_one_thread_decode_pps(Source *s, int64_t pps)
{
    s->cfg.one_thread_decode_pps = pps;
    return s->kind->reopen_decoder ? s->kind->reopen_decoder(s) : 0;
}

void source_stats(const Source *s, SourceStats *st)
{
    st->frames_decoded = s->frames_decoded;
    st->frames_out = s->frames_out;
    st->frames_dropped = s->frames_dropped;
    st->frames_duplicated = s->frames_duplicated;
    st->packets_corrupt = s->packets_corrupt;
    st->decode_errors = s->decode_errors;
    st->audio_samples = s->audio_samples;
    st->last_pts_us = s->last_pts_us;
}

/* ---- fitting to the canvas ---- */

static void fill_black(AVFrame *f, int x, int y, int w, int h)
{
    for (int p = 0; p < 3; p++) {
        int sx = p ? x / 2 : x, sy = p ? y / 2 : y, sw = p ? (w + 1) / 2 : w, sh = p ? (h + 1) / 2 : h;
        for (int row = sy; row < sy + sh; row++)
            memset(f->data[p] + (size_t)row * f->linesize[p] + sx, p ? 128 : 16, (size_t)sw);
    }
}

/* The picture fitted inside the canvas keeping its display aspect, centred,
 * black (limited range) around it. */
static int fit_to_canvas(Source *s, const AVFrame *in, AVFrame **out)
{
    int cw = s->cfg.canvas_width, ch = s->cfg.canvas_height, w, h, x, y, ret;
    AVRational sar = in->sample_aspect_ratio.num > 0 ? in->sample_aspect_ratio : s->info.sar;
    AVFrame *f = av_frame_alloc(), view;

    *out = NULL;
    if (!f)
        return AVERROR(ENOMEM);
    f->buf[0] = av_buffer_pool_get(s->pool);
    if (!f->buf[0]) {
        av_frame_free(&f);
        return AVERROR(ENOMEM);
    }
    f->format = AV_PIX_FMT_YUV420P;
    f->width = cw;
    f->height = ch;
    av_image_fill_arrays(f->data, f->linesize, f->buf[0]->data, AV_PIX_FMT_YUV420P, cw, ch, 64);
    rung_fit(in->width, in->height, sar, cw, ch, &w, &h);
    x = ((cw - w) / 2) & ~1;
    y = ((ch - h) / 2) & ~1;
    /* borders every time: pooled buffers held other geometries before */
    if (y > 0)
        fill_black(f, 0, 0, cw, y);
    if (y + h < ch)
        fill_black(f, 0, y + h, cw, ch - y - h);
    if (x > 0)
        fill_black(f, 0, y, x, h);
    if (x + w < cw)
        fill_black(f, x + w, y, cw - x - w, h);
    /* the scaler is made for the fitted size, which follows the input's */
    if (!s->scaler || s->fit_w != w || s->fit_h != h) {
        scaler_free(&s->scaler);
        if ((ret = scaler_new(&s->scaler, w, h, 0)) < 0) {
            av_frame_free(&f);
            return ret;
        }
        s->fit_w = w;
        s->fit_h = h;
    }
    memset(&view, 0, sizeof(view));
    view.format = AV_PIX_FMT_YUV420P;
    view.width = w;
    view.height = h;
    for (int p = 0; p < 3; p++) {
        view.data[p] = f->data[p] + (size_t)(p ? y / 2 : y) * f->linesize[p] + (p ? x / 2 : x);
        view.linesize[p] = f->linesize[p];
    }
    if ((ret = scaler_scale(s->scaler, in, &view)) < 0) {
        av_frame_free(&f);
        return ret;
    }
    av_frame_copy_props(f, in);
    f->sample_aspect_ratio = (AVRational){ 1, 1 };
    *out = f;
    return 0;
}

/* ---- the output clock ---- */

static int send_video(Source *s, AVFrame *f)
{
    for (int i = 0; i < s->nvideo; i++) {
        AVFrame *ref = av_frame_clone(f);
        int ret;
        if (!ref)
            return AVERROR(ENOMEM);
        if ((ret = queue_send(s->video_out[i], ref)) < 0) {
            av_frame_free(&ref);
            return ret;
        }
    }
    s->frames_out++;
    return 0;
}

static int send_audio(Source *s, AVFrame *f)
{
    int ret;

    if (!s->audio_out) {
        av_frame_free(&f);
        return 0;
    }
    if ((ret = queue_send(s->audio_out, f)) < 0)
        av_frame_free(&f);
    return ret;
}

static int flush_early_audio(Source *s)
{
    int ret = 0;

    for (int i = 0; i < s->nearly_audio; i++) {
        AVFrame *f = s->early_audio[i];
        s->early_audio[i] = NULL;
        if (ret < 0) {
            av_frame_free(&f);
            continue;
        }
        if (f->pts != AV_NOPTS_VALUE)
            f->pts -= av_rescale_q(s->t0, s->vtb, (AVRational){ 1, f->sample_rate });
        ret = send_audio(s, f);
    }
    s->nearly_audio = 0;
    return ret;
}

void source_rebase(Source *s)
{
    /* the next video frame sets t0 so that it lands on next_frame; audio
     * waits for it, as at the very start */
    s->t0 = AV_NOPTS_VALUE;
}

int source_emit_video(Source *s, AVFrame *f)
{
    AVRational out_tb = av_inv_q(s->fps);
    int64_t ts = f->pts;
    int64_t idx;
    AVFrame *fitted = NULL;
    int ret;

    if (s->t0 == AV_NOPTS_VALUE) {
        /* continue the clock where it stands: at 0 for the first frame */
        s->t0 = (ts != AV_NOPTS_VALUE ? ts : 0) - av_rescale_q(s->next_frame, out_tb, s->vtb);
        if ((ret = flush_early_audio(s)) < 0)
            return ret;
    }
    if (ts == AV_NOPTS_VALUE) {
        idx = s->next_frame;
    } else {
        int64_t gap_us;
        idx = av_rescale_q_rnd(ts - s->t0, s->vtb, out_tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
        gap_us = av_rescale_q(idx - s->next_frame, out_tb, (AVRational){ 1, 1000000 });
        if (gap_us > MAX_GAP_US || gap_us < -MAX_GAP_US) {
            log_msg(LOG_WARN, s->channel, STAGE, "%s: timestamps jump by %.3f s; continuing "
                    "without a gap", s->url, gap_us / 1e6);
            s->t0 += av_rescale_q(idx - s->next_frame, out_tb, s->vtb);
            idx = s->next_frame;
        }
    }
    if (idx < s->next_frame) {
        s->frames_dropped++;
        return 0;
    }
    if (s->pool) {
        if ((ret = fit_to_canvas(s, f, &fitted)) < 0)
            return ret;
        f = fitted;
    }
    while (s->last && s->last->data[0] && s->next_frame < idx) {
        s->last->pts = s->next_frame++;
        if ((ret = send_video(s, s->last)) < 0)
            goto end;
        s->frames_duplicated++;
    }
    s->next_frame = idx;   /* the first frame ever may start late: no repeat for it */
    /* the input's own time of the picture, for its SCTE-35 splice points */
    f->best_effort_timestamp = ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE
                             : av_rescale_q(ts, s->vtb, (AVRational){ 1, 90000 }) & SCTE35_TIME_MAX;
    f->pts = s->next_frame++;
    f->time_base = out_tb;
    f->pkt_duration = 1;
    if (!s->pool)
        f->sample_aspect_ratio = s->info.sar;
    if ((ret = send_video(s, f)) < 0)
        goto end;
    s->last_pts_us = av_rescale_q(f->pts, out_tb, (AVRational){ 1, 1000000 });
    av_frame_unref(s->last);
    ret = av_frame_ref(s->last, f);
end:
    av_frame_free(&fitted);
    return ret;
}

/* Audio in the consumer's format (fltp at out_sample_rate, out_channels),
 * or a reference to the frame as decoded. pts is kept in input samples. */
static int convert_audio(Source *s, const AVFrame *in, AVFrame **out)
{
    AVChannelLayout layout;
    AVFrame *f;
    int ret, n;

    *out = NULL;
    if (s->cfg.out_sample_rate <= 0) {
        *out = av_frame_clone(in);
        return *out ? 0 : AVERROR(ENOMEM);
    }
    if (!s->swr || s->swr_rate != in->sample_rate || s->swr_fmt != in->format ||
        av_channel_layout_compare(&s->swr_layout, &in->ch_layout)) {
        av_channel_layout_default(&layout, s->cfg.out_channels);
        swr_free(&s->swr);
        av_channel_layout_uninit(&s->swr_layout);
        if ((ret = av_channel_layout_copy(&s->swr_layout, &in->ch_layout)) < 0)
            return ret;
        if (s->swr_layout.order == AV_CHANNEL_ORDER_UNSPEC)
            av_channel_layout_default(&s->swr_layout, s->swr_layout.nb_channels);
        if ((ret = swr_alloc_set_opts2(&s->swr, &layout, AV_SAMPLE_FMT_FLTP, s->cfg.out_sample_rate,
                                       &s->swr_layout, in->format, in->sample_rate, 0, NULL)) < 0 ||
            (ret = swr_init(s->swr)) < 0) {
            log_msg(LOG_ERROR, s->channel, STAGE, "%s: cannot convert its audio: %s", s->url, ERRSTR(ret));
            return ret;
        }
        s->swr_rate = in->sample_rate;
        s->swr_fmt = in->format;
    }
    f = av_frame_alloc();
    if (!f)
        return AVERROR(ENOMEM);
    f->format = AV_SAMPLE_FMT_FLTP;
    f->sample_rate = s->cfg.out_sample_rate;
    av_channel_layout_default(&f->ch_layout, s->cfg.out_channels);
    f->nb_samples = swr_get_out_samples(s->swr, in->nb_samples);
    ret = f->nb_samples > 0 ? av_frame_get_buffer(f, 0) : 0;
    if (f->nb_samples <= 0 || ret < 0) {
        av_frame_free(&f);
        return ret;
    }
    n = swr_convert(s->swr, f->data, f->nb_samples, (const uint8_t **)in->extended_data, in->nb_samples);
    if (n <= 0) {
        av_frame_free(&f);
        return n;
    }
    f->nb_samples = n;
    f->pts = in->pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE
                                       : av_rescale(in->pts, s->cfg.out_sample_rate, in->sample_rate);
    *out = f;
    return 0;
}

int source_emit_audio(Source *s, AVFrame *in)
{
    int64_t ts = in->pts;
    AVRational tb = { 1, in->sample_rate };
    AVFrame *f;
    int ret;

    s->audio_samples += in->nb_samples;
    if (!s->audio_out)
        return 0;
    /* pts in input samples on the output clock, before any conversion */
    in->pts = ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(ts, s->atb, tb);
    ret = convert_audio(s, in, &f);
    in->pts = ts;
    if (ret < 0 || !f)
        return ret;
    f->time_base = (AVRational){ 1, f->sample_rate };
    if (s->t0 == AV_NOPTS_VALUE) {
        if (s->nearly_audio == MAX_EARLY_AUDIO) {
            av_frame_free(&s->early_audio[0]);
            memmove(s->early_audio, s->early_audio + 1, sizeof(s->early_audio[0]) * (MAX_EARLY_AUDIO - 1));
            s->nearly_audio--;
        }
        s->early_audio[s->nearly_audio++] = f;
        return 0;
    }
    if (f->pts != AV_NOPTS_VALUE)
        f->pts -= av_rescale_q(s->t0, s->vtb, f->time_base);
    return send_audio(s, f);
}

/* ---- running ---- */

int source_run(Source *s, Queue *const *video_out, int nvideo, Queue *audio_out)
{
    int failures = 0, ret;

    s->video_out = video_out;
    s->nvideo = nvideo;
    s->audio_out = s->info.has_audio ? audio_out : NULL;
    s->last = av_frame_alloc();
    if (!s->last) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    while (1) {
        int64_t frames_before = s->frames_out;
        ret = s->kind->read(s);
        if (ret == AVERROR_EXIT || source_interrupted(s) ||
            (ret < 0 && ret != AVERROR_INVALIDDATA && !s->cfg.reconnect))
            break;
        if (s->cfg.loop && s->kind->rewind && ret >= 0) {
            if (s->frames_out == frames_before) {
                log_msg(LOG_ERROR, s->channel, STAGE, "%s: nothing to loop over", s->url);
                ret = AVERROR_INVALIDDATA;
                break;
            }
            if ((ret = s->kind->rewind(s)) < 0)
                break;
            source_rebase(s);
            continue;
        }
        if (!s->cfg.reconnect || !s->kind->reopen)
            break;
        /* a live input that ended or failed: try again until it opens or
         * we are stopped; nothing is read from a closed input */
        if (s->frames_out > frames_before)
            failures = 0;
        log_msg(LOG_WARN, s->channel, STAGE, "%s: input lost; reconnecting", s->url);
        do {
            failures = FFMIN(failures + 1, 64);
            clock_sleep_us(backoff_delay(RECONNECT_FIRST_US, RECONNECT_MAX_US, failures), interrupted, s);
            if (source_interrupted(s)) {
                ret = AVERROR_EXIT;
                goto end;
            }
        } while (s->kind->reopen(s) < 0);
        log_msg(LOG_NOTICE, s->channel, STAGE, "%s: reconnected", s->url);
        source_rebase(s);
    }
end:
    for (int i = 0; i < nvideo; i++)
        queue_close(video_out[i]);
    if (audio_out)
        queue_close(audio_out);
    return ret;
}

void source_free(Source **ps)
{
    Source *s = *ps;

    if (!s)
        return;
    if (s->kind)
        s->kind->close(s);
    for (int i = 0; i < s->nearly_audio; i++)
        av_frame_free(&s->early_audio[i]);
    av_frame_free(&s->last);
    scaler_free(&s->scaler);
    av_buffer_pool_uninit(&s->pool);
    swr_free(&s->swr);
    av_channel_layout_uninit(&s->swr_layout);
    av_channel_layout_uninit(&s->info.ch_layout);
    av_free(s->url);
    free(s);
    *ps = NULL;
}
