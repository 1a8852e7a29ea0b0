/* The generator kind: built-in sources drawn by libavfilter at the canvas
 * size and rate — a test card with the wall clock burnt in and a 1 kHz tone
 * at -18 dBFS, a plain colour, or a slate (a colour with a text centred,
 * or an image) with silence. They never end; the consumer's queues pace
 * them. */
#include "kind.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

#define STAGE SOURCE_STAGE
#define SAMPLE_RATE 48000
#define AUDIO_FRAME 1024
#define FONT_FILE "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

typedef struct Generator {
    AVFilterGraph *graph;
    AVFilterContext *vsink, *asink;
    AVFrame *frame;
    AVFrame *image;       /* an image slate, decoded once */
} Generator;

static int add(Generator *g, AVFilterContext **out, const char *filter, const char *name,
               const char *args)
{
    const AVFilter *f = avfilter_get_by_name(filter);
    if (!f)
        return AVERROR_FILTER_NOT_FOUND;
    return avfilter_graph_create_filter(out, f, name, args, NULL, g->graph);
}

/* drawtext, set through options rather than a filtergraph string: the text
 * needs no escaping beyond drawtext's own. */
static int add_text(Generator *g, AVFilterContext **out, const char *name, const char *text,
                    int expand, int size, const char *x, const char *y, int box)
{
    const AVFilter *f = avfilter_get_by_name("drawtext");
    AVFilterContext *ctx;
    char fontsize[16];
    int ret;

    if (!f)
        return AVERROR_FILTER_NOT_FOUND;
    ctx = avfilter_graph_alloc_filter(g->graph, f, name);
    if (!ctx)
        return AVERROR(ENOMEM);
    snprintf(fontsize, sizeof(fontsize), "%d", size);
    if (access(FONT_FILE, R_OK) == 0)
        av_opt_set(ctx, "fontfile", FONT_FILE, AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "text", text, AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "expansion", expand ? "normal" : "none", AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "fontsize", fontsize, AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "fontcolor", "white", AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "x", x, AV_OPT_SEARCH_CHILDREN);
    av_opt_set(ctx, "y", y, AV_OPT_SEARCH_CHILDREN);
    if (box) {
        av_opt_set(ctx, "box", "1", AV_OPT_SEARCH_CHILDREN);
        av_opt_set(ctx, "boxcolor", "black@0.6", AV_OPT_SEARCH_CHILDREN);
        av_opt_set(ctx, "boxborderw", "8", AV_OPT_SEARCH_CHILDREN);
    }
    if ((ret = avfilter_init_str(ctx, NULL)) < 0)
        return ret;
    *out = ctx;
    return 0;
}

static int build_graph(Source *s, Generator *g, int w, int h)
{
    const SourceConfig *c = &s->cfg;
    AVFilterContext *vsrc, *last, *text, *asrc;
    char args[256];
    int ret;

    g->graph = avfilter_graph_alloc();
    if (!g->graph)
        return AVERROR(ENOMEM);
    g->graph->nb_threads = 1;

    /* video */
    if (c->generate == GENERATE_TESTSRC)
        snprintf(args, sizeof(args), "size=%dx%d:rate=%d/%d", w, h, s->fps.num, s->fps.den);
    else
        snprintf(args, sizeof(args), "color=%s:size=%dx%d:rate=%d/%d", c->color ? c->color : "black",
                 w, h, s->fps.num, s->fps.den);
    if ((ret = add(g, &vsrc, c->generate == GENERATE_TESTSRC ? "testsrc2" : "color", "src", args)) < 0) {
        log_msg(LOG_ERROR, s->channel, STAGE, "%s: cannot draw it (colour '%s'?): %s", s->url,
                c->color ? c->color : "", ERRSTR(ret));
        return ret;
    }
    last = vsrc;
    if (c->generate == GENERATE_TESTSRC) {
        /* the wall clock at which each frame airs: pts plus the time of day
         * of frame 0, to the millisecond */
        int64_t day_us = c->clock_epoch_us % (86400LL * 1000000);
        char clock[96];
        snprintf(clock, sizeof(clock), "%%{pts:hms:%" PRId64 ".%06" PRId64 ":24HH} UTC",
                 day_us / 1000000, day_us % 1000000);
        ret = add_text(g, &text, "clock", clock, 1, h / 10, "(w-text_w)/2", "h/12", 1);
        if (ret < 0)
            log_msg(LOG_WARN, s->channel, STAGE, "%s: no clock on the test card: %s", s->url, ERRSTR(ret));
        else if ((ret = avfilter_link(last, 0, text, 0)) < 0)
            return ret;
        else
            last = text;
    } else if (c->generate == GENERATE_SLATE && c->text && c->text[0]) {
        ret = add_text(g, &text, "slate", c->text, 0, h / 12, "(w-text_w)/2", "(h-text_h)/2", 0);
        if (ret < 0)
            log_msg(LOG_WARN, s->channel, STAGE, "%s: cannot draw the slate text: %s", s->url, ERRSTR(ret));
        else if ((ret = avfilter_link(last, 0, text, 0)) < 0)
            return ret;
        else
            last = text;
    }
    if ((ret = add(g, &g->vsink, "buffersink", "vout", NULL)) < 0 ||
        (ret = avfilter_link(last, 0, g->vsink, 0)) < 0)
        return ret;

    /* audio: EBU's line-up tone for the test card, silence otherwise */
    if (c->generate == GENERATE_TESTSRC)
        ret = add(g, &asrc, "sine", "tone", "frequency=1000:sample_rate=48000");
    else
        ret = add(g, &asrc, "anullsrc", "silence", "channel_layout=stereo:sample_rate=48000");
    if (ret < 0)
        return ret;
    if ((ret = add(g, &g->asink, "abuffersink", "aout", NULL)) < 0 ||
        (ret = avfilter_link(asrc, 0, g->asink, 0)) < 0)
        return ret;
    if ((ret = avfilter_graph_config(g->graph, NULL)) < 0)
        return ret;
    av_buffersink_set_frame_size(g->asink, AUDIO_FRAME);
    s->vtb = av_buffersink_get_time_base(g->vsink);
    s->atb = av_buffersink_get_time_base(g->asink);
    return 0;
}

/* An image slate: its first picture, decoded once. */
static int load_image(Source *s, Generator *g)
{
    AVFormatContext *fmt = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    const AVCodec *codec;
    int ret, index;

    g->image = av_frame_alloc();
    if (!pkt || !g->image) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = avformat_open_input(&fmt, s->cfg.image, NULL, NULL)) < 0 ||
        (ret = avformat_find_stream_info(fmt, NULL)) < 0 ||
        (ret = index = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)) < 0)
        goto end;
    if (!(dec = avcodec_alloc_context3(codec))) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = avcodec_parameters_to_context(dec, fmt->streams[index]->codecpar)) < 0 ||
        (ret = avcodec_open2(dec, codec, NULL)) < 0)
        goto end;
    ret = AVERROR_INVALIDDATA;
    while (av_read_frame(fmt, pkt) >= 0) {
        int sent = pkt->stream_index == index ? avcodec_send_packet(dec, pkt) : AVERROR(EAGAIN);
        av_packet_unref(pkt);
        if (sent >= 0 && (ret = avcodec_receive_frame(dec, g->image)) >= 0)
            break;
    }
    if (ret < 0 && avcodec_send_packet(dec, NULL) >= 0)
        ret = avcodec_receive_frame(dec, g->image);
end:
    if (ret < 0)
        log_msg(LOG_ERROR, s->channel, STAGE, "slate image %s: %s", s->cfg.image, ERRSTR(ret));
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return ret;
}

static int gen_open(Source *s)
{
    const SourceConfig *c = &s->cfg;
    Generator *g = calloc(1, sizeof(*g));
    int w = c->canvas_width > 0 ? c->canvas_width : 1280;
    int h = c->canvas_height > 0 ? c->canvas_height : 720;
    int ret;

    if (!g)
        return AVERROR(ENOMEM);
    s->priv = g;
    g->frame = av_frame_alloc();
    if (!g->frame)
        return AVERROR(ENOMEM);
    /* generators draw at the output rate directly */
    s->fps = c->out_fps.num > 0 && c->out_fps.den > 0 ? c->out_fps : (AVRational){ 25, 1 };
    s->info.width = w;
    s->info.height = h;
    s->info.sar = (AVRational){ 1, 1 };
    s->info.fps = s->fps;
    s->info.pix_fmt = AV_PIX_FMT_YUV420P;
    s->info.has_audio = 1;
    s->info.sample_rate = SAMPLE_RATE;
    s->info.sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&s->info.ch_layout, 2);
    snprintf(s->info.format, sizeof(s->info.format), "generator");
    snprintf(s->info.video_codec, sizeof(s->info.video_codec), "%s",
             c->generate == GENERATE_TESTSRC ? "testsrc" : c->generate == GENERATE_COLOR ? "color" : "slate");
    snprintf(s->info.audio_codec, sizeof(s->info.audio_codec), "%s",
             c->generate == GENERATE_TESTSRC ? "tone" : "silence");
    if (c->generate == GENERATE_SLATE && c->image && c->image[0] && (ret = load_image(s, g)) < 0)
        return ret;
    return build_graph(s, g, w, h);
}

static int pull(Source *s, AVFilterContext *sink, AVFrame *f, int video)
{
    int ret = av_buffersink_get_frame(sink, f);

    if (ret < 0)
        return ret;
    ret = video ? source_emit_video(s, f) : source_emit_audio(s, f);
    av_frame_unref(f);
    return ret;
}

static int gen_read(Source *s)
{
    Generator *g = s->priv;
    int64_t video_us = 0, audio_us = 0;
    int ret;

    while (!source_should_stop(s)) {
        s->last_data_us = clock_monotonic_us();
        /* video and audio side by side, audio never behind the picture */
        if (audio_us <= video_us) {
            if ((ret = pull(s, g->asink, g->frame, 0)) < 0)
                return ret;
            audio_us += av_rescale(AUDIO_FRAME, 1000000, SAMPLE_RATE);
            continue;
        }
        if ((ret = av_buffersink_get_frame(g->vsink, g->frame)) < 0)
            return ret;
        if (g->image) {
            /* the colour frame only paces the image; the image is what airs */
            g->image->pts = g->frame->pts;
            av_frame_unref(g->frame);
            ret = source_emit_video(s, g->image);
        } else {
            ret = source_emit_video(s, g->frame);
            av_frame_unref(g->frame);
        }
        if (ret < 0)
            return ret;
        video_us = av_rescale_q(s->next_frame, av_inv_q(s->fps), (AVRational){ 1, 1000000 });
    }
    return AVERROR_EXIT;
}

static void gen_close(Source *s)
{
    Generator *g = s->priv;

    if (!g)
        return;
    avfilter_graph_free(&g->graph);
    av_frame_free(&g->frame);
    av_frame_free(&g->image);
    free(g);
    s->priv = NULL;
}

const SourceKind source_kind_generator = {
    .name = "generator",
    .open = gen_open,
    .read = gen_read,
    .close = gen_close,
};
