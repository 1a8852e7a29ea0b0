/* Built-in generators and canvas fitting, driven as the playout drives a
 * source: frames on the output clock at the canvas rate, audio converted,
 * stopped by the interrupt. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libavutil/frame.h>

#include "check.h"
#include "transcoder/transcoder.h"

static atomic_int stop;

static int interrupt(void *opaque)
{
    (void)opaque;
    return atomic_load(&stop);
}

typedef struct Run {
    Source *src;
    Queue *video, *audio;
    int ret;
} Run;

static void *run(void *arg)
{
    Run *r = arg;
    r->ret = source_run(r->src, &r->video, 1, r->audio);
    return NULL;
}

/* Starts a source, takes `frames` video frames (and the audio alongside),
 * then stops it. Returns the last frame taken; audio samples counted. */
static AVFrame *take(SourceConfig *cfg, int frames, int64_t *samples, int *bad_pts)
{
    Run r = { 0 };
    pthread_t t;
    void *item;
    AVFrame *last = NULL;

    atomic_store(&stop, 0);
    *samples = 0;
    *bad_pts = 0;
    cfg->interrupt = interrupt;
    CHECK_EQ_INT(source_open(&r.src, cfg), 0);
    if (!r.src)
        return NULL;
    queue_new(&r.video, 8, 1, queue_free_frame);
    queue_new(&r.audio, 64, 1, queue_free_frame);
    pthread_create(&t, NULL, run, &r);
    for (int i = 0; i < frames && queue_receive(r.video, &item) == 0; i++) {
        AVFrame *f = item;
        if (f->pts != i)
            (*bad_pts)++;
        av_frame_free(&last);
        last = f;
        /* audio up to this frame's end */
        while (*samples * cfg->out_fps.num < (int64_t)(i + 1) * cfg->out_fps.den * cfg->out_sample_rate &&
               queue_receive(r.audio, &item) == 0) {
            AVFrame *a = item;
            CHECK_EQ_INT(a->sample_rate, cfg->out_sample_rate);
            CHECK_EQ_INT(a->ch_layout.nb_channels, cfg->out_channels);
            CHECK_EQ_INT(a->format, AV_SAMPLE_FMT_FLTP);
            *samples += a->nb_samples;
            av_frame_free(&a);
        }
    }
    atomic_store(&stop, 1);
    /* drain so the source is never stuck on a full queue */
    while (queue_receive(r.video, &item) == 0)
        av_frame_free((AVFrame **)&item);
    while (queue_receive(r.audio, &item) == 0)
        av_frame_free((AVFrame **)&item);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r.ret, AVERROR_EXIT);
    queue_free(&r.video);
    queue_free(&r.audio);
    source_free(&r.src);
    return last;
}

static int luma(const AVFrame *f, int x, int y)
{
    return f->data[0][y * f->linesize[0] + x];
}

int main(void)
{
    int64_t samples;
    int bad;
    AVFrame *f;

    log_setup(LOG_ERROR, 0);

    /* the test card at 29.97 on a 320x180 canvas, with its tone */
    {
        SourceConfig c = { .url = "bars", .generate = GENERATE_TESTSRC, .canvas_width = 320,
                           .canvas_height = 180, .out_fps = { 30000, 1001 }, .out_sample_rate = 48000,
                           .out_channels = 2, .clock_epoch_us = 1795608000LL * 1000000 };
        f = take(&c, 90, &samples, &bad);
        CHECK(f != NULL);
        if (f) {
            CHECK_EQ_INT(f->width, 320);
            CHECK_EQ_INT(f->height, 180);
            CHECK_EQ_INT(f->format, AV_PIX_FMT_YUV420P);
            CHECK_EQ_INT(f->time_base.num, 1001);
            CHECK_EQ_INT(f->time_base.den, 30000);
        }
        CHECK_EQ_INT(bad, 0);
        /* 90 frames of 29.97 are 144144 samples; the queues hold a little more */
        CHECK(samples >= 144144 && samples <= 144144 + 4096);
        av_frame_free(&f);
    }

    /* a colour: every pixel the same; #1d2b53 is dark (BT.601 Y about 42) */
    {
        SourceConfig c = { .url = "navy", .generate = GENERATE_COLOR, .color = "#1d2b53",
                           .canvas_width = 320, .canvas_height = 180, .out_fps = { 25, 1 },
                           .out_sample_rate = 48000, .out_channels = 2 };
        f = take(&c, 10, &samples, &bad);
        CHECK(f != NULL);
        if (f) {
            int y0 = luma(f, 0, 0);
            CHECK(y0 > 30 && y0 < 55);
            CHECK_EQ_INT(luma(f, 319, 179), y0);
            CHECK_EQ_INT(luma(f, 160, 90), y0);
        }
        CHECK_EQ_INT(bad, 0);
        av_frame_free(&f);
    }

    /* a slate: the colour with white text in the middle, none at the edge */
    {
        SourceConfig c = { .url = "slate", .generate = GENERATE_SLATE, .color = "#1d2b53",
                           .text = "We'll be right back", .canvas_width = 320, .canvas_height = 180,
                           .out_fps = { 25, 1 }, .out_sample_rate = 48000, .out_channels = 2 };
        int white = 0;
        f = take(&c, 5, &samples, &bad);
        CHECK(f != NULL);
        if (f) {
            for (int x = 0; x < 320; x++)
                white += luma(f, x, 90) > 180;
            CHECK(white > 5);
            CHECK(luma(f, 2, 2) < 60);
        }
        av_frame_free(&f);
    }

    /* an image slate 100x50 (2:1) on a 16:9 canvas: fitted to 320x160,
     * centred, black bars above and below */
    {
        char path[] = "/tmp/onair-test-slate-XXXXXX.ppm";
        int fd = mkstemps(path, 4);
        FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
        CHECK(fp != NULL);
        if (fp) {
            fprintf(fp, "P6\n100 50\n255\n");
            for (int i = 0; i < 100 * 50; i++)
                fputc(255, fp), fputc(0, fp), fputc(0, fp);
            fclose(fp);
            SourceConfig c = { .url = "slate", .generate = GENERATE_SLATE, .image = path,
                               .canvas_width = 320, .canvas_height = 180, .out_fps = { 25, 1 },
                               .out_sample_rate = 48000, .out_channels = 2 };
            f = take(&c, 3, &samples, &bad);
            CHECK(f != NULL);
            if (f) {
                CHECK_EQ_INT(luma(f, 160, 4), 16);     /* bar */
                CHECK_EQ_INT(luma(f, 160, 175), 16);   /* bar */
                CHECK(abs(luma(f, 160, 90) - 81) <= 3);  /* red */
                CHECK(abs(luma(f, 160, 12) - 81) <= 3);  /* red reaches y = 10 */
            }
            av_frame_free(&f);
            unlink(path);
        }
    }

    /* a colour that is not one is an error at open */
    {
        SourceConfig c = { .url = "bad", .generate = GENERATE_COLOR, .color = "not-a-colour",
                           .canvas_width = 320, .canvas_height = 180, .out_fps = { 25, 1 } };
        Source *s = NULL;
        CHECK(source_open(&s, &c) < 0);
        CHECK(s == NULL);
    }
    return CHECK_DONE();
}
