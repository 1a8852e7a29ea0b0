/* The playout, unpaced: cues switch on their exact frame, the slate fills
 * what no cue covers, every frame carries exactly its audio, timestamps run
 * on without a gap, and the program events say what aired when. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavutil/frame.h>

#include "check.h"
#include "transcoder/transcoder.h"

#define W 160
#define H 90

static int events[16][3];
static int nevents;

static void on_event(void *opaque, const PlayoutEvent *ev)
{
    (void)opaque;
    if (nevents < 16) {
        events[nevents][0] = ev->type;
        events[nevents][1] = (int)ev->frame;
        events[nevents][2] = ev->cue_id;
        nevents++;
    }
}

static PlayoutInput *color(const char *c, AVRational fps)
{
    SourceConfig cfg = { .url = c, .generate = GENERATE_COLOR, .color = c, .canvas_width = W,
                         .canvas_height = H, .out_fps = fps, .out_sample_rate = 48000,
                         .out_channels = 2 };
    PlayoutInput *in = NULL;
    CHECK_EQ_INT(playout_input_start(&in, &cfg, 0), 0);
    return in;
}

typedef struct Run {
    Playout *p;
    Queue *video, *audio;
    int64_t frames;
    int ret;
} Run;

static void *run(void *arg)
{
    Run *r = arg;
    r->ret = playout_run(r->p, &r->video, 1, r->audio, r->frames);
    return NULL;
}

static void check_run(AVRational fps, int64_t first)
{
    Queue *video, *audio;
    Playout *p = NULL;
    PlayoutConfig cfg = {
        .channel = "test", .width = W, .height = H, .fps = fps, .sample_rate = 48000, .channels = 2,
        .epoch_us = 1795608000LL * 1000000, .first_frame = first, .paced = 0,
        .slate = color("gray", fps), .on_event = on_event,
    };
    Run r = { 0 };
    pthread_t t;
    void *item;
    int64_t n = 0, samples = 0, expect_pos;
    int wrong_picture = 0, wrong_audio = 0;

    nevents = 0;
    queue_new(&video, 16, 1, queue_free_frame);
    queue_new(&audio, 16, 1, queue_free_frame);
    CHECK_EQ_INT(playout_new(&p, &cfg), 0);
    /* red from 10, blue from 30, slate from 50 (and before 10) */
    CHECK_EQ_INT(playout_cue(p, first + 10, 1, color("red", fps), NULL, 0), 0);
    CHECK_EQ_INT(playout_cue(p, first + 30, 2, color("blue", fps), NULL, 0), 0);
    CHECK_EQ_INT(playout_cue(p, first + 50, 3, NULL, NULL, 0), 0);
    CHECK(playout_cue(p, first + 40, 4, NULL, NULL, 0) < 0);   /* out of order */
    r.p = p;
    r.video = video;
    r.audio = audio;
    r.frames = 70;
    pthread_create(&t, NULL, run, &r);

    expect_pos = av_rescale_rnd(first, 48000LL * fps.den, fps.num, AV_ROUND_DOWN);
    while (queue_receive(video, &item) == 0) {
        AVFrame *f = item, *a;
        int y = f->data[0][(H / 2) * f->linesize[0] + W / 2];
        int64_t i = n - 0;
        /* BT.601 limited range: gray 126, red 81, blue 41 */
        int want = i < 10 ? 126 : i < 30 ? 81 : i < 50 ? 41 : 126;
        if (abs(y - want) > 3) {
            if (wrong_picture++ < 5)
                fprintf(stderr, "frame %lld: luma %d, expected about %d\n", (long long)n, y, want);
        }
        CHECK_EQ_INT(f->pts, first + n);
        CHECK_EQ_INT(f->width, W);
        av_frame_free(&f);
        if (queue_receive(audio, &item) == 0) {
            int64_t end;
            a = item;
            end = av_rescale_rnd(first + n + 1, 48000LL * fps.den, fps.num, AV_ROUND_DOWN);
            if (a->pts != expect_pos || a->nb_samples != end - expect_pos)
                wrong_audio++;
            samples += a->nb_samples;
            expect_pos = end;
            av_frame_free(&a);
        }
        n++;
    }
    pthread_join(t, NULL);
    CHECK_EQ_INT(r.ret, 0);
    CHECK_EQ_INT(n, 70);
    CHECK_EQ_INT(wrong_picture, 0);
    CHECK_EQ_INT(wrong_audio, 0);
    CHECK_EQ_INT(samples, av_rescale_rnd(first + 70, 48000LL * fps.den, fps.num, AV_ROUND_DOWN) -
                          av_rescale_rnd(first, 48000LL * fps.den, fps.num, AV_ROUND_DOWN));
    CHECK_EQ_INT(nevents, 3);
    CHECK_EQ_INT(events[0][1], first + 10);
    CHECK_EQ_INT(events[0][2], 1);
    CHECK_EQ_INT(events[1][1], first + 30);
    CHECK_EQ_INT(events[2][1], first + 50);
    CHECK_EQ_INT(events[2][2], 3);
    CHECK_EQ_INT(playout_next_frame(p), first + 70);
    playout_free(&p);
    CHECK(p == NULL);
    queue_free(&video);
    queue_free(&audio);
}

int main(void)
{
    log_setup(LOG_ERROR, 0);
    check_run((AVRational){ 25, 1 }, 0);
    /* 29.97 after a restart: 1601 and 1602 samples a frame, summing exactly */
    check_run((AVRational){ 30000, 1001 }, 123456);
    return CHECK_DONE();
}
