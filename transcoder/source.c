/* A source: libavformat demux, libavcodec decode (once), deinterlace where
 * the picture is interlaced, and the mapping of source timestamps onto the
 * output clock (constant frame rate, pts 0 = first video frame). */
#include "transcoder.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#define STAGE "source"
/* A jump in timestamps larger than this is a discontinuity in the source,
 * not a gap to fill with repeated frames. */
#define MAX_GAP_US 5000000
/* Audio that arrives before the first video frame is held (bounded). */
#define MAX_EARLY_AUDIO 256
/* Warnings about bad packets are limited to this many, then summarised. */
#define MAX_CORRUPT_WARNINGS 10
#define MAX_DIMENSION 8192

struct Source {
    SourceConfig cfg;
    char *url;
    const char *channel;
    SourceInfo info;

    AVFormatContext *fmt;
    int vindex, aindex;
    AVCodecContext *vdec, *adec;
    AVRational vtb, atb;             /* stream time bases */

    /* deinterlacer, built on the first interlaced frame */
    AVFilterGraph *graph;
    AVFilterContext *buffersrc, *buffersink;
    int deint_failed;

    /* output clock */
    int64_t t0;                      /* video stream ts of output frame 0; AV_NOPTS_VALUE until known */
    int64_t next_frame;              /* index the next output frame gets */
    AVFrame *last;                   /* last frame sent, for repeats */
    AVFrame *early_audio[MAX_EARLY_AUDIO];
    int nearly_audio;

    Queue *const *video_out;
    int nvideo;
    Queue *audio_out;

    int64_t last_data_us;            /* when the input last delivered (monotonic) */
    int stalled;

    _Atomic int64_t frames_decoded, frames_out, frames_dropped, frames_duplicated;
    _Atomic int64_t packets_corrupt, decode_errors, audio_samples, last_pts_us;
    int64_t warnings;
};

/* Polled by libavformat while it waits for data: the user's stop, or an
 * input that has been silent too long. */
static int interrupt_cb(void *opaque)
{
    Source *s = opaque;

    if (s->cfg.interrupt && s->cfg.interrupt(s->cfg.opaque))
        return 1;
    if (s->cfg.stall_timeout_us > 0 && clock_monotonic_us() - s->last_data_us > s->cfg.stall_timeout_us) {
        s->stalled = 1;
        return 1;
    }
    return 0;
}

static int open_decoder(Source *s, int index, AVCodecContext **out)
{
    AVStream *st = s->fmt->streams[index];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *dec;
    int ret;

    *out = NULL;
    if (!codec) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: no decoder for %s stream #%d (%s)", s->url,
                av_get_media_type_string(st->codecpar->codec_type), index,
                avcodec_get_name(st->codecpar->codec_id));
        return AVERROR_DECODER_NOT_FOUND;
    }
    dec = avcodec_alloc_context3(codec);
    if (!dec)
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_to_context(dec, st->codecpar)) < 0)
        goto fail;
    dec->pkt_timebase = st->time_base;
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        dec->thread_count = s->cfg.decode_threads;
        dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    }
    if ((ret = avcodec_open2(dec, codec, NULL)) < 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: cannot open the %s decoder: %s", s->url,
                codec->name, ERRSTR(ret));
        goto fail;
    }
    *out = dec;
    return 0;
fail:
    avcodec_free_context(&dec);
    return ret;
}

static int is_text_art(enum AVCodecID id)
{
    return id == AV_CODEC_ID_ANSI || id == AV_CODEC_ID_BINTEXT || id == AV_CODEC_ID_XBIN ||
           id == AV_CODEC_ID_IDF;
}

static void describe_open_error(const Source *s, int ret)
{
    const char *hint = "";

    if (ret == AVERROR_EXIT && s->stalled) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: nothing received within %.1f s", s->url,
                s->cfg.stall_timeout_us / 1e6);
        return;
    }
    if (ret == AVERROR_INVALIDDATA)
        hint = " (not a media file libavformat can read, or a truncated one)";
    else if (ret == AVERROR_EXIT)
        hint = " (interrupted)";
    log_msg(LOG_ERROR, s->channel, STAGE, "%s: %s%s", s->url, ERRSTR(ret), hint);
}

int source_open(Source **out, const SourceConfig *cfg)
{
    Source *s;
    AVStream *vst;
    int ret;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return AVERROR(ENOMEM);
    s->cfg = *cfg;
    s->url = av_strdup(cfg->url);
    s->channel = cfg->channel ? cfg->channel : "";
    s->t0 = AV_NOPTS_VALUE;
    s->vindex = s->aindex = -1;
    if (!s->url) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }

    s->fmt = avformat_alloc_context();
    if (!s->fmt) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    s->fmt->interrupt_callback.callback = interrupt_cb;
    s->fmt->interrupt_callback.opaque = s;
    s->last_data_us = clock_monotonic_us();
    if ((ret = avformat_open_input(&s->fmt, s->url, NULL, NULL)) < 0) {
        describe_open_error(s, ret);
        goto fail;
    }
    s->last_data_us = clock_monotonic_us();
    if ((ret = avformat_find_stream_info(s->fmt, NULL)) < 0) {
        describe_open_error(s, ret);
        goto fail;
    }

    s->vindex = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (s->vindex < 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: no video stream (format %s)", s->url,
                s->fmt->iformat->name);
        ret = AVERROR_STREAM_NOT_FOUND;
        goto fail;
    }
    vst = s->fmt->streams[s->vindex];
    if (is_text_art(vst->codecpar->codec_id)) {
        /* libavformat's tty demuxer takes any bytes for ANSI art */
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: not a media file (read as %s text art)", s->url,
                avcodec_get_name(vst->codecpar->codec_id));
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    if (vst->codecpar->width > MAX_DIMENSION || vst->codecpar->height > MAX_DIMENSION) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: picture size %dx%d is larger than onair "
                "handles (%d)", s->url, vst->codecpar->width, vst->codecpar->height, MAX_DIMENSION);
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    if (vst->codecpar->width <= 0 || vst->codecpar->height <= 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: video stream #%d has no picture size "
                "(corrupt or truncated)", s->url, s->vindex);
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    s->aindex = av_find_best_stream(s->fmt, AVMEDIA_TYPE_AUDIO, -1, s->vindex, NULL, 0);
    if (s->aindex >= 0 && s->fmt->streams[s->aindex]->codecpar->sample_rate <= 0)
        s->aindex = -1;   /* an audio stream with nothing usable in it */

    if ((ret = open_decoder(s, s->vindex, &s->vdec)) < 0)
        goto fail;
    if (s->aindex >= 0 && open_decoder(s, s->aindex, &s->adec) < 0) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: audio is left out", s->url);
        s->aindex = -1;
    }
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if ((int)i != s->vindex && (int)i != s->aindex)
            s->fmt->streams[i]->discard = AVDISCARD_ALL;

    s->vtb = vst->time_base;
    s->info.width = vst->codecpar->width;
    s->info.height = vst->codecpar->height;
    s->info.pix_fmt = vst->codecpar->format;
    s->info.sar = av_guess_sample_aspect_ratio(s->fmt, vst, NULL);
    if (s->info.sar.num <= 0 || s->info.sar.den <= 0)
        s->info.sar = (AVRational){ 1, 1 };
    s->info.fps = av_guess_frame_rate(s->fmt, vst, NULL);
    if (s->info.fps.num <= 0 || s->info.fps.den <= 0 || av_q2d(s->info.fps) > 240 ||
        av_q2d(s->info.fps) < 1) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: frame rate unknown or implausible, using 25",
                s->url);
        s->info.fps = (AVRational){ 25, 1 };
    }
    av_reduce(&s->info.fps.num, &s->info.fps.den, s->info.fps.num, s->info.fps.den, 1 << 30);
    s->info.interlaced = vst->codecpar->field_order != AV_FIELD_PROGRESSIVE &&
                         vst->codecpar->field_order != AV_FIELD_UNKNOWN;
    if (s->fmt->duration > 0)
        s->info.duration_us = av_rescale_q(s->fmt->duration, AV_TIME_BASE_Q, (AVRational){ 1, 1000000 });
    av_strlcpy(s->info.format, s->fmt->iformat->name, sizeof(s->info.format));
    av_strlcpy(s->info.video_codec, avcodec_get_name(vst->codecpar->codec_id), sizeof(s->info.video_codec));
    if (s->aindex >= 0) {
        AVStream *ast = s->fmt->streams[s->aindex];
        s->atb = ast->time_base;
        s->info.has_audio = 1;
        s->info.sample_rate = s->adec->sample_rate;
        s->info.sample_fmt = s->adec->sample_fmt;
        if (s->adec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !s->adec->ch_layout.nb_channels)
            av_channel_layout_default(&s->info.ch_layout,
                                      s->adec->ch_layout.nb_channels ? s->adec->ch_layout.nb_channels : 2);
        else if ((ret = av_channel_layout_copy(&s->info.ch_layout, &s->adec->ch_layout)) < 0)
            goto fail;
        av_strlcpy(s->info.audio_codec, avcodec_get_name(ast->codecpar->codec_id), sizeof(s->info.audio_codec));
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

static void warn_bad_data(Source *s, const char *what, int64_t pos_ts, AVRational tb)
{
    s->warnings++;
    if (s->warnings <= MAX_CORRUPT_WARNINGS) {
        double at = pos_ts != AV_NOPTS_VALUE ? pos_ts * av_q2d(tb) : -1;
        log_msg(LOG_WARN, s->channel, STAGE, "%s: %s at %.3f s, skipped%s", s->url, what, at,
                s->warnings == MAX_CORRUPT_WARNINGS ? " (further ones are counted, not shown)" : "");
    }
}

/* ---- deinterlacing ---- */

static int build_deinterlacer(Source *s, const AVFrame *f)
{
    char args[256];
    const AVFilter *bwdif = avfilter_get_by_name("bwdif");
    AVFilterContext *deint;
    int ret;

    s->graph = avfilter_graph_alloc();
    if (!s->graph || !bwdif)
        return s->graph ? AVERROR_FILTER_NOT_FOUND : AVERROR(ENOMEM);
    s->graph->nb_threads = 1;
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             f->width, f->height, f->format, s->vtb.num, s->vtb.den,
             s->info.sar.num, s->info.sar.den);
    if ((ret = avfilter_graph_create_filter(&s->buffersrc, avfilter_get_by_name("buffer"), "in",
                                            args, NULL, s->graph)) < 0)
        return ret;
    /* one frame out per frame in (send_frame) keeps the source's rate;
     * deint=interlaced leaves progressive frames of a mixed stream alone */
    if ((ret = avfilter_graph_create_filter(&deint, bwdif, "deint",
                                            "mode=send_frame:parity=auto:deint=interlaced",
                                            NULL, s->graph)) < 0)
        return ret;
    if ((ret = avfilter_graph_create_filter(&s->buffersink, avfilter_get_by_name("buffersink"),
                                            "out", NULL, NULL, s->graph)) < 0)
        return ret;
    if ((ret = avfilter_link(s->buffersrc, 0, deint, 0)) < 0 ||
        (ret = avfilter_link(deint, 0, s->buffersink, 0)) < 0)
        return ret;
    return avfilter_graph_config(s->graph, NULL);
}

/* ---- output clock ---- */

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

    if (!s->audio_out)
        return 0;
    if ((ret = queue_send(s->audio_out, f)) < 0)
        return ret;
    return 0;
}

static int flush_early_audio(Source *s)
{
    int ret = 0;

    for (int i = 0; i < s->nearly_audio; i++) {
        AVFrame *f = s->early_audio[i];
        s->early_audio[i] = NULL;
        if (ret >= 0) {
            if (f->pts != AV_NOPTS_VALUE)
                f->pts -= av_rescale_q(s->t0, s->vtb, (AVRational){ 1, f->sample_rate });
            if ((ret = send_audio(s, f)) < 0)
                av_frame_free(&f);
        } else {
            av_frame_free(&f);
        }
    }
    s->nearly_audio = 0;
    return ret;
}

/* Puts one progressive frame (pts in the video stream's time base) on the
 * output clock: repeats the last frame over a gap, drops a frame that comes
 * too early, rebases after a discontinuity. */
static int emit_video(Source *s, AVFrame *f)
{
    int64_t ts = f->pts;
    int64_t idx;
    int ret;

    if (s->t0 == AV_NOPTS_VALUE) {
        s->t0 = ts != AV_NOPTS_VALUE ? ts : 0;
        if ((ret = flush_early_audio(s)) < 0)
            return ret;
    }
    if (ts == AV_NOPTS_VALUE) {
        idx = s->next_frame;
    } else {
        idx = av_rescale_q_rnd(ts - s->t0, s->vtb, av_inv_q(s->info.fps),
                               AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
        int64_t gap_us = av_rescale_q(idx - s->next_frame, av_inv_q(s->info.fps), (AVRational){ 1, 1000000 });
        if (gap_us > MAX_GAP_US || gap_us < -MAX_GAP_US) {
            log_msg(LOG_WARN, s->channel, STAGE, "%s: timestamps jump by %.3f s; continuing "
                    "without a gap", s->url, gap_us / 1e6);
            s->t0 += av_rescale_q(idx - s->next_frame, av_inv_q(s->info.fps), s->vtb);
            idx = s->next_frame;
        }
    }
    if (idx < s->next_frame) {
        s->frames_dropped++;
        return 0;
    }
    while (s->last && s->next_frame < idx) {
        s->last->pts = s->next_frame++;
        if ((ret = send_video(s, s->last)) < 0)
            return ret;
        s->frames_duplicated++;
    }
    s->next_frame = idx;   /* the first frame ever may start late: no repeat for it */
    f->pts = s->next_frame++;
    f->time_base = av_inv_q(s->info.fps);
    f->pkt_duration = 1;
    f->sample_aspect_ratio = s->info.sar;
    if ((ret = send_video(s, f)) < 0)
        return ret;
    s->last_pts_us = av_rescale_q(f->pts, f->time_base, (AVRational){ 1, 1000000 });
    av_frame_unref(s->last);
    return av_frame_ref(s->last, f);
}

static int emit_audio(Source *s, AVFrame *f)
{
    AVRational tb = { 1, f->sample_rate };
    int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    AVFrame *ref;
    int ret;

    s->audio_samples += f->nb_samples;
    ref = av_frame_clone(f);
    if (!ref)
        return AVERROR(ENOMEM);
    /* pts in samples; AV_NOPTS_VALUE lets the encoder run on by sample count */
    ref->pts = ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(ts, s->atb, tb);
    ref->time_base = tb;
    if (s->t0 == AV_NOPTS_VALUE) {
        if (s->nearly_audio == MAX_EARLY_AUDIO) {
            av_frame_free(&s->early_audio[0]);
            memmove(s->early_audio, s->early_audio + 1, sizeof(s->early_audio[0]) * (MAX_EARLY_AUDIO - 1));
            s->nearly_audio--;
        }
        s->early_audio[s->nearly_audio++] = ref;
        return 0;
    }
    if (ref->pts != AV_NOPTS_VALUE)
        ref->pts -= av_rescale_q(s->t0, s->vtb, tb);
    if ((ret = send_audio(s, ref)) < 0)
        av_frame_free(&ref);
    return ret;
}

static int frame_is_corrupt(const AVFrame *f)
{
    return (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags;
}

static int filter_and_emit(Source *s, AVFrame *f, AVFrame *tmp)
{
    int ret;

    if (!s->graph && !s->deint_failed && f && f->interlaced_frame) {
        if ((ret = build_deinterlacer(s, f)) < 0) {
            log_msg(LOG_WARN, s->channel, STAGE, "%s: cannot build the deinterlacer (%s); "
                    "interlaced frames pass as they are", s->url, ERRSTR(ret));
            avfilter_graph_free(&s->graph);
            s->deint_failed = 1;
        } else {
            s->info.interlaced = 1;
            log_msg(LOG_INFO, s->channel, STAGE, "%s: interlaced picture, deinterlacing (bwdif)", s->url);
        }
    }
    if (!s->graph)
        return f ? emit_video(s, f) : 0;

    if ((ret = av_buffersrc_add_frame_flags(s->buffersrc, f, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0)
        return ret;
    while ((ret = av_buffersink_get_frame(s->buffersink, tmp)) >= 0) {
        /* the deinterlacer counts in half periods (fields) */
        if (tmp->pts != AV_NOPTS_VALUE)
            tmp->pts = av_rescale_q(tmp->pts, av_buffersink_get_time_base(s->buffersink), s->vtb);
        ret = emit_video(s, tmp);
        av_frame_unref(tmp);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int decode(Source *s, AVCodecContext *dec, const AVPacket *pkt, AVFrame *f, AVFrame *tmp)
{
    int video = dec == s->vdec;
    int ret = avcodec_send_packet(dec, pkt);

    if (ret == AVERROR_INVALIDDATA || (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)) {
        s->decode_errors++;
        warn_bad_data(s, video ? "undecodable video packet" : "undecodable audio packet",
                      pkt ? pkt->pts : AV_NOPTS_VALUE, video ? s->vtb : s->atb);
        return 0;
    }
    while (1) {
        ret = avcodec_receive_frame(dec, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            s->decode_errors++;
            warn_bad_data(s, "decoding error", pkt ? pkt->pts : AV_NOPTS_VALUE, video ? s->vtb : s->atb);
            continue;
        }
        if (video) {
            s->frames_decoded++;
            if (frame_is_corrupt(f)) {
                /* the last good picture is repeated in its place */
                s->frames_dropped++;
                warn_bad_data(s, "damaged picture", f->best_effort_timestamp, s->vtb);
                ret = 0;
            } else {
                f->pts = f->best_effort_timestamp;
                ret = filter_and_emit(s, f, tmp);
            }
        } else {
            ret = emit_audio(s, f);
        }
        av_frame_unref(f);
        if (ret < 0)
            return ret;
    }
}

/* A file that ends well before the duration its container announces was
 * cut short. Only containers with an index are believed about duration. */
static int ended_early(const Source *s)
{
    int64_t reached_us = s->last_pts_us + av_rescale_q(1, av_inv_q(s->info.fps), (AVRational){ 1, 1000000 });
    int64_t dur = s->info.duration_us;

    if (dur <= 0 || s->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0;
    if (s->t0 != AV_NOPTS_VALUE && s->fmt->streams[s->vindex]->start_time != AV_NOPTS_VALUE)
        reached_us += av_rescale_q(s->t0 - s->fmt->streams[s->vindex]->start_time, s->vtb,
                                   (AVRational){ 1, 1000000 });
    return reached_us < dur - FFMAX(1000000, dur / 50);
}

int source_run(Source *s, Queue *const *video_out, int nvideo, Queue *audio_out)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc(), *tmp = av_frame_alloc();
    int ret = 0, read_ret = 0;

    s->video_out = video_out;
    s->nvideo = nvideo;
    s->audio_out = s->adec ? audio_out : NULL;
    s->last = av_frame_alloc();
    if (!pkt || !f || !tmp || !s->last) {
        ret = AVERROR(ENOMEM);
        goto end;
    }

    while (1) {
        if (interrupt_cb(s)) {
            /* a read cut short by the interrupt may hand back half a packet */
            read_ret = AVERROR_EXIT;
            break;
        }
        /* the stall clock counts the wait inside one read, not the time
         * spent waiting for the encoders */
        s->last_data_us = clock_monotonic_us();
        read_ret = av_read_frame(s->fmt, pkt);
        if (read_ret == AVERROR(EAGAIN))
            continue;
        if (read_ret < 0)
            break;
        if (interrupt_cb(s)) {
            av_packet_unref(pkt);
            read_ret = AVERROR_EXIT;
            break;
        }
        if (pkt->stream_index != s->vindex && pkt->stream_index != s->aindex) {
            av_packet_unref(pkt);
            continue;
        }
        if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
            s->packets_corrupt++;
            warn_bad_data(s, "corrupt packet", pkt->pts,
                          pkt->stream_index == s->vindex ? s->vtb : s->atb);
            av_packet_unref(pkt);
            continue;
        }
        ret = decode(s, pkt->stream_index == s->vindex ? s->vdec : s->adec, pkt, f, tmp);
        av_packet_unref(pkt);
        if (ret < 0)
            goto end;
    }

    /* drain the decoders and the deinterlacer: the end of the input is not
     * the end of the pictures */
    if ((ret = decode(s, s->vdec, NULL, f, tmp)) < 0)
        goto end;
    if (s->graph && (ret = filter_and_emit(s, NULL, tmp)) < 0)
        goto end;
    if (s->adec && (ret = decode(s, s->adec, NULL, f, tmp)) < 0)
        goto end;

    if (s->warnings > MAX_CORRUPT_WARNINGS)
        log_msg(LOG_WARN, s->channel, STAGE, "%s: %" PRId64 " damaged packets or pictures skipped in all",
                s->url, s->warnings);
    if (read_ret == AVERROR_EXIT && s->stalled && s->frames_out > 0) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: no data for %.1f s; taking that as the end of "
                "the input", s->url, s->cfg.stall_timeout_us / 1e6);
        ret = 0;
    } else if (read_ret == AVERROR_EXIT && !s->stalled) {
        ret = AVERROR_EXIT;
    } else if (s->frames_out == 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: no picture could be decoded%s%s", s->url,
                read_ret != AVERROR_EOF ? ": " : "",
                s->stalled ? "no data within the timeout" : read_ret != AVERROR_EOF ? ERRSTR(read_ret) : "");
        ret = AVERROR_INVALIDDATA;
    } else if (read_ret != AVERROR_EOF || ended_early(s)) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: input ended at %.3f s of %.3f s%s%s "
                "(truncated?); the output holds what came before", s->url,
                s->last_pts_us / 1e6, s->info.duration_us / 1e6,
                read_ret != AVERROR_EOF ? ": " : "", read_ret != AVERROR_EOF ? ERRSTR(read_ret) : "");
        ret = AVERROR_INVALIDDATA;
    }
end:
    for (int i = 0; i < nvideo; i++)
        queue_close(video_out[i]);
    if (audio_out)
        queue_close(audio_out);
    av_packet_free(&pkt);
    av_frame_free(&f);
    av_frame_free(&tmp);
    return ret;
}

void source_free(Source **ps)
{
    Source *s = *ps;

    if (!s)
        return;
    for (int i = 0; i < s->nearly_audio; i++)
        av_frame_free(&s->early_audio[i]);
    av_frame_free(&s->last);
    avfilter_graph_free(&s->graph);
    avcodec_free_context(&s->vdec);
    avcodec_free_context(&s->adec);
    avformat_close_input(&s->fmt);
    av_channel_layout_uninit(&s->info.ch_layout);
    av_free(s->url);
    free(s);
    *ps = NULL;
}
