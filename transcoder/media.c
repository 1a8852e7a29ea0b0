/* The media kind: anything libavformat opens (files, http(s), srt, udp,
 * rtmp, HLS), demuxed, decoded once with libavcodec and deinterlaced where
 * the picture is interlaced. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#define STAGE SOURCE_STAGE
/* Warnings about bad packets are limited to this many, then summarised. */
#define MAX_CORRUPT_WARNINGS 10
#define MAX_DIMENSION 8192
/* Cues remembered to tell a repeat: a sender repeats each until its splice
 * time, and may have an out and an in (or a few events) pending at once. */
#define SCTE35_RECENT 8

typedef struct Media {
    AVFormatContext *fmt;
    int vindex, aindex;
    AVCodecContext *vdec, *adec;
    /* deinterlacer, built on the first interlaced frame */
    AVFilterGraph *graph;
    AVFilterContext *buffersrc, *buffersink;
    int deint_failed;
    AVPacket *pkt;
    AVFrame *frame, *filtered;
    /* SCTE-35: the stream of the cues (-1: none or not read), the last few
     * cues handed on (a repeat of one is dropped) */
    int sindex;
    Scte35Cue recent[SCTE35_RECENT];
    int nrecent, next_recent;
    int scte35_warned;
} Media;

static int interrupt_cb(void *opaque)
{
    return source_should_stop(opaque);
}

/* One thread, or libavcodec's frame threads: by the pixels a second the
 * decoder has to put out against the caller's budget for one thread, which
 * is in pixels of H.264. HEVC, VP9 and AV1 cost up to twice as much a
 * pixel to decode, and the deinterlacer (in the same thread) as much again. */
static int video_decode_threads(const Source *s, const Media *m, const AVStream *st)
{
    AVRational rate = av_guess_frame_rate(m->fmt, (AVStream *)st, NULL);
    const AVCodecParameters *par = st->codecpar;
    double pps = (double)par->width * par->height * (rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 25.0);

    if (par->codec_id == AV_CODEC_ID_HEVC || par->codec_id == AV_CODEC_ID_VP9 || par->codec_id == AV_CODEC_ID_AV1)
        pps *= 2;
    if (par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN)
        pps *= 2;
    return pps <= (double)s->cfg.one_thread_decode_pps ? 1 : 0;
}

static int open_decoder(Source *s, Media *m, int index, AVCodecContext **out)
{
    AVStream *st = m->fmt->streams[index];
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
        dec->thread_count = video_decode_threads(s, m, st);
        dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    }
    if ((ret = avcodec_open2(dec, codec, NULL)) < 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: cannot open the %s decoder: %s", s->url,
                codec->name, ERRSTR(ret));
        goto fail;
    }
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
        log_msg(LOG_INFO, s->channel, STAGE, "%s: %s decoder, %d thread%s", s->url, codec->name,
                dec->thread_count, dec->thread_count == 1 ? "" : "s");
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
                (s->cfg.stall_timeout_us + s->open_grace_us) / 1e6);
        return;
    }
    if (ret == AVERROR_INVALIDDATA)
        hint = " (not a media file libavformat can read, or a truncated one)";
    else if (ret == AVERROR_EXIT)
        hint = " (interrupted)";
    log_msg(LOG_ERROR, s->channel, STAGE, "%s: %s%s", s->url, ERRSTR(ret), hint);
}

/* The latency (us) an srt:// URL asks for: its receiver holds the first
 * bytes that long after the connection (TSBPD), so opening it takes that
 * much longer than any other live input. libavformat's options latency and
 * rcvlatency, in microseconds; 0 for another URL or none given (libsrt's
 * default, 120 ms, is within any sensible timeout). A sender that asks for
 * more (the larger of the two ends wins) is not known here. */
static int64_t srt_latency_us(const char *url)
{
    const char *q;
    int64_t most = 0;

    if (!av_strstart(url, "srt://", NULL) || !(q = strchr(url, '?')))
        return 0;
    while (q && *q) {
        const char *v;
        q++;
        if (av_strstart(q, "latency=", &v) || av_strstart(q, "rcvlatency=", &v)) {
            char *end;
            long long us = strtoll(v, &end, 10);
            if (end != v && us > most)
                most = us;
        }
        q = strchr(q, '&');
    }
    return most;
}

static void media_close_input(Media *m)
{
    avfilter_graph_free(&m->graph);
    m->deint_failed = 0;
    avcodec_free_context(&m->vdec);
    avcodec_free_context(&m->adec);
    avformat_close_input(&m->fmt);
}

static int media_open_input(Source *s, Media *m)
{
    AVStream *vst;
    int ret;

    m->vindex = m->aindex = m->sindex = -1;
    m->fmt = avformat_alloc_context();
    if (!m->fmt)
        return AVERROR(ENOMEM);
    m->fmt->interrupt_callback.callback = interrupt_cb;
    m->fmt->interrupt_callback.opaque = s;
    /* while it opens, an SRT input's first bytes wait out its latency at the
     * receiver: that is not silence (a timeout at or below the latency would
     * never let it open) */
    s->open_grace_us = srt_latency_us(s->url);
    s->last_data_us = clock_monotonic_us();
    if ((ret = avformat_open_input(&m->fmt, s->url, NULL, NULL)) < 0) {
        describe_open_error(s, ret);
        s->open_grace_us = 0;
        return ret;
    }
    s->last_data_us = clock_monotonic_us();
    ret = avformat_find_stream_info(m->fmt, NULL);
    if (ret < 0)
        describe_open_error(s, ret);
    s->open_grace_us = 0;
    if (ret < 0)
        return ret;

    m->vindex = av_find_best_stream(m->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (m->vindex < 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: no video stream (format %s)", s->url,
                m->fmt->iformat->name);
        return AVERROR_STREAM_NOT_FOUND;
    }
    vst = m->fmt->streams[m->vindex];
    if (is_text_art(vst->codecpar->codec_id)) {
        /* libavformat's tty demuxer takes any bytes for ANSI art */
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: not a media file (read as %s text art)", s->url,
                avcodec_get_name(vst->codecpar->codec_id));
        return AVERROR_INVALIDDATA;
    }
    if (vst->codecpar->width > MAX_DIMENSION || vst->codecpar->height > MAX_DIMENSION) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: picture size %dx%d is larger than onair "
                "handles (%d)", s->url, vst->codecpar->width, vst->codecpar->height, MAX_DIMENSION);
        return AVERROR_INVALIDDATA;
    }
    if (vst->codecpar->width <= 0 || vst->codecpar->height <= 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: video stream #%d has no picture size "
                "(corrupt or truncated)", s->url, m->vindex);
        return AVERROR_INVALIDDATA;
    }
    for (unsigned i = 0; s->cfg.scte35 && s->cfg.on_scte35 && i < m->fmt->nb_streams; i++)
        if (m->fmt->streams[i]->codecpar->codec_id == AV_CODEC_ID_SCTE_35) {
            m->sindex = (int)i;
            log_msg(LOG_INFO, s->channel, STAGE, "%s: SCTE-35 cues on PID %d are taken over", s->url,
                    m->fmt->streams[i]->id);
            break;
        }
    m->aindex = av_find_best_stream(m->fmt, AVMEDIA_TYPE_AUDIO, -1, m->vindex, NULL, 0);
    if (m->aindex >= 0 && m->fmt->streams[m->aindex]->codecpar->sample_rate <= 0)
        m->aindex = -1;   /* an audio stream with nothing usable in it */

    if ((ret = open_decoder(s, m, m->vindex, &m->vdec)) < 0)
        return ret;
    if (m->aindex >= 0 && open_decoder(s, m, m->aindex, &m->adec) < 0) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: audio is left out", s->url);
        m->aindex = -1;
    }
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        if ((int)i != m->vindex && (int)i != m->aindex && (int)i != m->sindex)
            m->fmt->streams[i]->discard = AVDISCARD_ALL;
    s->vtb = vst->time_base;
    if (m->aindex >= 0)
        s->atb = m->fmt->streams[m->aindex]->time_base;
    return 0;
}

static void fill_info(Source *s, Media *m)
{
    AVStream *vst = m->fmt->streams[m->vindex];
    SourceInfo *info = &s->info;

    info->width = vst->codecpar->width;
    info->height = vst->codecpar->height;
    info->pix_fmt = vst->codecpar->format;
    info->sar = av_guess_sample_aspect_ratio(m->fmt, vst, NULL);
    if (info->sar.num <= 0 || info->sar.den <= 0)
        info->sar = (AVRational){ 1, 1 };
    info->fps = av_guess_frame_rate(m->fmt, vst, NULL);
    if (info->fps.num <= 0 || info->fps.den <= 0 || av_q2d(info->fps) > 240 || av_q2d(info->fps) < 1) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: frame rate unknown or implausible, using 25", s->url);
        info->fps = (AVRational){ 25, 1 };
    }
    av_reduce(&info->fps.num, &info->fps.den, info->fps.num, info->fps.den, 1 << 30);
    info->interlaced = vst->codecpar->field_order != AV_FIELD_PROGRESSIVE &&
                       vst->codecpar->field_order != AV_FIELD_UNKNOWN;
    if (m->fmt->duration > 0)
        info->duration_us = av_rescale_q(m->fmt->duration, AV_TIME_BASE_Q, (AVRational){ 1, 1000000 });
    av_strlcpy(info->format, m->fmt->iformat->name, sizeof(info->format));
    av_strlcpy(info->video_codec, avcodec_get_name(vst->codecpar->codec_id), sizeof(info->video_codec));
    if (m->aindex >= 0) {
        info->has_audio = 1;
        info->sample_rate = m->adec->sample_rate;
        info->sample_fmt = m->adec->sample_fmt;
        av_channel_layout_uninit(&info->ch_layout);
        if (m->adec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !m->adec->ch_layout.nb_channels)
            av_channel_layout_default(&info->ch_layout,
                                      m->adec->ch_layout.nb_channels ? m->adec->ch_layout.nb_channels : 2);
        else
            av_channel_layout_copy(&info->ch_layout, &m->adec->ch_layout);
        av_strlcpy(info->audio_codec, avcodec_get_name(m->adec->codec_id), sizeof(info->audio_codec));
    }
}

static int media_seek_start(Source *s, Media *m)
{
    int64_t ts = s->cfg.start_us > 0 ? av_rescale(s->cfg.start_us, AV_TIME_BASE, 1000000) : 0;
    int ret;

    if (m->fmt->start_time != AV_NOPTS_VALUE)
        ts += m->fmt->start_time;
    ret = avformat_seek_file(m->fmt, -1, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        log_msg(LOG_WARN, s->channel, STAGE, "%s: cannot seek to %.3f s: %s", s->url,
                s->cfg.start_us / 1e6, ERRSTR(ret));
    return ret;
}

static int media_open(Source *s)
{
    Media *m = calloc(1, sizeof(*m));
    int ret;

    if (!m)
        return AVERROR(ENOMEM);
    s->priv = m;
    m->pkt = av_packet_alloc();
    m->frame = av_frame_alloc();
    m->filtered = av_frame_alloc();
    if (!m->pkt || !m->frame || !m->filtered)
        return AVERROR(ENOMEM);
    if ((ret = media_open_input(s, m)) < 0)
        return ret;
    fill_info(s, m);
    if (s->cfg.start_us > 0)
        media_seek_start(s, m);
    return 0;
}

/* ---- deinterlacing ---- */

static int build_deinterlacer(Source *s, Media *m, const AVFrame *f)
{
    char args[256];
    const AVFilter *bwdif = avfilter_get_by_name("bwdif");
    AVFilterContext *deint;
    int ret;

    m->graph = avfilter_graph_alloc();
    if (!m->graph || !bwdif)
        return m->graph ? AVERROR_FILTER_NOT_FOUND : AVERROR(ENOMEM);
    m->graph->nb_threads = 1;
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             f->width, f->height, f->format, s->vtb.num, s->vtb.den,
             s->info.sar.num, s->info.sar.den);
    if ((ret = avfilter_graph_create_filter(&m->buffersrc, avfilter_get_by_name("buffer"), "in",
                                            args, NULL, m->graph)) < 0)
        return ret;
    /* one frame out per frame in (send_frame) keeps the source's rate;
     * deint=interlaced leaves progressive frames of a mixed stream alone */
    if ((ret = avfilter_graph_create_filter(&deint, bwdif, "deint",
                                            "mode=send_frame:parity=auto:deint=interlaced",
                                            NULL, m->graph)) < 0)
        return ret;
    if ((ret = avfilter_graph_create_filter(&m->buffersink, avfilter_get_by_name("buffersink"),
                                            "out", NULL, NULL, m->graph)) < 0)
        return ret;
    if ((ret = avfilter_link(m->buffersrc, 0, deint, 0)) < 0 ||
        (ret = avfilter_link(deint, 0, m->buffersink, 0)) < 0)
        return ret;
    return avfilter_graph_config(m->graph, NULL);
}

static int filter_and_emit(Source *s, Media *m, AVFrame *f)
{
    AVFrame *tmp = m->filtered;
    int ret;

    if (!m->graph && !m->deint_failed && f && f->interlaced_frame) {
        if ((ret = build_deinterlacer(s, m, f)) < 0) {
            log_msg(LOG_WARN, s->channel, STAGE, "%s: cannot build the deinterlacer (%s); "
                    "interlaced frames pass as they are", s->url, ERRSTR(ret));
            avfilter_graph_free(&m->graph);
            m->deint_failed = 1;
        } else {
            s->info.interlaced = 1;
            log_msg(LOG_INFO, s->channel, STAGE, "%s: interlaced picture, deinterlacing (bwdif)", s->url);
        }
    }
    if (!m->graph)
        return f ? source_emit_video(s, f) : 0;

    if ((ret = av_buffersrc_add_frame_flags(m->buffersrc, f, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0)
        return ret;
    while ((ret = av_buffersink_get_frame(m->buffersink, tmp)) >= 0) {
        /* the deinterlacer counts in half periods (fields) */
        if (tmp->pts != AV_NOPTS_VALUE)
            tmp->pts = av_rescale_q(tmp->pts, av_buffersink_get_time_base(m->buffersink), s->vtb);
        ret = source_emit_video(s, tmp);
        av_frame_unref(tmp);
        if (ret < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int frame_is_corrupt(const AVFrame *f)
{
    return (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags;
}

static int decode(Source *s, Media *m, AVCodecContext *dec, const AVPacket *pkt)
{
    AVFrame *f = m->frame;
    int video = dec == m->vdec;
    int ret = avcodec_send_packet(dec, pkt);

    if (ret == AVERROR_INVALIDDATA || (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)) {
        s->decode_errors++;
        source_warn_bad_data(s, video ? "undecodable video packet" : "undecodable audio packet",
                             pkt ? pkt->pts : AV_NOPTS_VALUE, video ? s->vtb : s->atb);
        return 0;
    }
    while (1) {
        ret = avcodec_receive_frame(dec, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            s->decode_errors++;
            source_warn_bad_data(s, "decoding error", pkt ? pkt->pts : AV_NOPTS_VALUE,
                                 video ? s->vtb : s->atb);
            continue;
        }
        if (video) {
            s->frames_decoded++;
            if (frame_is_corrupt(f)) {
                /* the last good picture is repeated in its place */
                s->frames_dropped++;
                source_warn_bad_data(s, "damaged picture", f->best_effort_timestamp, s->vtb);
                ret = 0;
            } else {
                f->pts = f->best_effort_timestamp;
                ret = filter_and_emit(s, m, f);
            }
        } else {
            f->pts = f->best_effort_timestamp;
            ret = source_emit_audio(s, f);
        }
        av_frame_unref(f);
        if (ret < 0)
            return ret;
    }
}

/* A packet of the SCTE-35 stream: one splice_info_section. */
static void take_scte35(Source *s, Media *m, const AVPacket *pkt)
{
    Scte35Cue c;
    int ret = scte35_parse(pkt->data, (size_t)pkt->size, &c);

    if (ret < 0) {
        if (!m->scte35_warned)
            log_msg(LOG_WARN, s->channel, STAGE, "%s: a SCTE-35 cue cannot be read (%s); skipped "
                    "(further ones too, without a word)", s->url,
                    ret == AVERROR(ENOSYS) ? "a command or mode onair does not take" : ERRSTR(ret));
        m->scte35_warned = 1;
        return;
    }
    if (c.command == SCTE35_SPLICE_NULL)
        return;   /* a heartbeat */
    for (int i = 0; i < m->nrecent; i++)
        if (scte35_cue_equal(&m->recent[i], &c))
            return;
    m->recent[m->next_recent] = c;
    m->next_recent = (m->next_recent + 1) % SCTE35_RECENT;
    m->nrecent = FFMIN(m->nrecent + 1, SCTE35_RECENT);
    s->cfg.on_scte35(s->cfg.scte35_opaque, &c);
}

/* A file that ends well before the duration its container announces was
 * cut short. Only containers with an index are believed about duration. */
static int ended_early(const Source *s, const Media *m)
{
    int64_t reached_us = s->last_pts_us + av_rescale_q(1, av_inv_q(s->fps), (AVRational){ 1, 1000000 });
    int64_t dur = s->info.duration_us - s->cfg.start_us;

    if (dur <= 0 || s->cfg.loop || m->fmt->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE)
        return 0;
    if (s->t0 != AV_NOPTS_VALUE && m->fmt->streams[m->vindex]->start_time != AV_NOPTS_VALUE &&
        !s->cfg.start_us)
        reached_us += av_rescale_q(s->t0 - m->fmt->streams[m->vindex]->start_time, s->vtb,
                                   (AVRational){ 1, 1000000 });
    return reached_us < dur - FFMAX(1000000, dur / 50);
}

static int media_read(Source *s)
{
    Media *m = s->priv;
    int ret = 0, read_ret;

    while (1) {
        if (source_should_stop(s)) {
            /* a read cut short by the interrupt may hand back half a packet */
            read_ret = AVERROR_EXIT;
            break;
        }
        /* the stall clock counts the wait inside one read, not the time
         * spent waiting for the consumers */
        s->last_data_us = clock_monotonic_us();
        read_ret = av_read_frame(m->fmt, m->pkt);
        if (read_ret == AVERROR(EAGAIN))
            continue;
        if (read_ret < 0)
            break;
        if (source_should_stop(s)) {
            av_packet_unref(m->pkt);
            read_ret = AVERROR_EXIT;
            break;
        }
        if (m->sindex >= 0 && m->pkt->stream_index == m->sindex) {
            take_scte35(s, m, m->pkt);
            av_packet_unref(m->pkt);
            continue;
        }
        if (m->pkt->stream_index != m->vindex && m->pkt->stream_index != m->aindex) {
            av_packet_unref(m->pkt);
            continue;
        }
        if (m->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            s->packets_corrupt++;
            source_warn_bad_data(s, "corrupt packet", m->pkt->pts,
                                 m->pkt->stream_index == m->vindex ? s->vtb : s->atb);
            av_packet_unref(m->pkt);
            continue;
        }
        ret = decode(s, m, m->pkt->stream_index == m->vindex ? m->vdec : m->adec, m->pkt);
        av_packet_unref(m->pkt);
        if (ret < 0)
            return ret;
    }

    /* drain the decoders and the deinterlacer: the end of a file is not the
     * end of its pictures. A live input that went silent is not drained: its
     * last pictures are old news by now, and airing them would hide the
     * silence from the playout for another timeout. */
    if (read_ret != AVERROR_EXIT || (s->stalled && !s->cfg.reconnect)) {
        if ((ret = decode(s, m, m->vdec, NULL)) < 0)
            return ret;
        if (m->graph && (ret = filter_and_emit(s, m, NULL)) < 0)
            return ret;
        if (m->adec && (ret = decode(s, m, m->adec, NULL)) < 0)
            return ret;
    }
    if (s->warnings > MAX_CORRUPT_WARNINGS)
        log_msg(LOG_WARN, s->channel, STAGE, "%s: %" PRId64 " damaged packets or pictures skipped in all",
                s->url, s->warnings);
    if (read_ret == AVERROR_EXIT && s->stalled && s->frames_out > 0) {
        log_msg(LOG_WARN, s->channel, STAGE, "%s: no data for %.1f s; taking that as the end of "
                "the input", s->url, s->cfg.stall_timeout_us / 1e6);
        return 0;
    }
    if (read_ret == AVERROR_EXIT && !s->stalled)
        return AVERROR_EXIT;
    if (s->frames_out == 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: no picture could be decoded%s%s", s->url,
                read_ret != AVERROR_EOF ? ": " : "",
                s->stalled ? "no data within the timeout" : read_ret != AVERROR_EOF ? ERRSTR(read_ret) : "");
        return AVERROR_INVALIDDATA;
    }
    if (read_ret != AVERROR_EOF || ended_early(s, m)) {
        log_msg(s->cfg.reconnect ? LOG_WARN : LOG_ERROR, s->channel, STAGE,
                "%s: input ended at %.3f s of %.3f s%s%s%s", s->url, s->last_pts_us / 1e6,
                s->info.duration_us / 1e6, read_ret != AVERROR_EOF ? ": " : "",
                read_ret != AVERROR_EOF ? ERRSTR(read_ret) : "",
                s->cfg.reconnect ? "" : " (truncated?); the output holds what came before");
        return AVERROR_INVALIDDATA;
    }
    return 0;
}

static int media_rewind(Source *s)
{
    Media *m = s->priv;
    int ret;

    if ((ret = media_seek_start(s, m)) < 0)
        return ret;
    avcodec_flush_buffers(m->vdec);
    if (m->adec)
        avcodec_flush_buffers(m->adec);
    /* the deinterlacer was drained: a new one for the next pass */
    avfilter_graph_free(&m->graph);
    return 0;
}

static int media_reopen(Source *s)
{
    Media *m = s->priv;
    int ret;

    media_close_input(m);
    s->stalled = 0;
    if ((ret = media_open_input(s, m)) < 0)
        return ret;
    fill_info(s, m);
    return 0;
}

static int media_reopen_decoder(Source *s)
{
    Media *m = s->priv;
    const AVStream *st = m->fmt->streams[m->vindex];

    /* after opening, thread_count is what libavcodec chose */
    if ((video_decode_threads(s, m, st) == 1) == (m->vdec->thread_count == 1))
        return 0;
    avcodec_free_context(&m->vdec);
    return open_decoder(s, m, m->vindex, &m->vdec);
}

static void media_close(Source *s)
{
    Media *m = s->priv;

    if (!m)
        return;
    media_close_input(m);
    av_packet_free(&m->pkt);
    av_frame_free(&m->frame);
    av_frame_free(&m->filtered);
    free(m);
    s->priv = NULL;
}

const SourceKind source_kind_media = {
    .name = "media",
    .open = media_open,
    .read = media_read,
    .rewind = media_rewind,
    .reopen = media_reopen,
    .reopen_decoder = media_reopen_decoder,
    .close = media_close,
};
