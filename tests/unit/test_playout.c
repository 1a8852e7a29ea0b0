/* The playout, unpaced: cues switch on their exact frame, the slate fills
 * what no cue covers, every frame carries exactly its audio, timestamps run
 * on without a gap, and the program events say what aired when. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/intreadwrite.h>

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
    {
        /* files and generators on cue deliver every frame: nothing
         * repeated or dropped; the slate aired for 10 + 20 frames */
        PlayoutStats st;
        playout_stats(p, &st);
        CHECK_EQ_INT(st.frames_out, 70);
        CHECK_EQ_INT(st.frames_repeated, 0);
        CHECK_EQ_INT(st.frames_dropped, 0);
        CHECK_EQ_INT(st.failovers, 0);
        CHECK(st.input_loss_seconds == 0);
        CHECK_EQ_INT(llrint(st.slate_seconds * av_q2d(fps)), 30);
        CHECK_EQ_INT(st.role, PLAYOUT_ROLE_SLATE);
    }
    playout_free(&p);
    CHECK(p == NULL);
    queue_free(&video);
    queue_free(&audio);
}

/* A 5 s file (NUT: raw gray pictures, 16-bit PCM at 25 fps and 48 kHz) whose
 * audio is a constant level, with nothing at all from 1 s to 3.6 s. */
#define GAP_FROM 25
#define GAP_TO 90
#define GAP_FRAMES 125
static int write_gappy_file(const char *path)
{
    AVFormatContext *oc = NULL;
    AVStream *v, *a;
    AVPacket *pkt = av_packet_alloc();
    int vsize = W * H * 3 / 2, ret;

    if (!pkt)
        return AVERROR(ENOMEM);
    if ((ret = avformat_alloc_output_context2(&oc, NULL, "nut", path)) < 0)
        goto end;
    v = avformat_new_stream(oc, NULL);
    a = avformat_new_stream(oc, NULL);
    if (!v || !a) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    v->time_base = (AVRational){ 1, 25 };
    v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    v->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
    v->codecpar->format = AV_PIX_FMT_YUV420P;
    v->codecpar->codec_tag = MKTAG('I', '4', '2', '0');   /* NUT keeps the picture format as a tag */
    v->codecpar->width = W;
    v->codecpar->height = H;
    a->time_base = (AVRational){ 1, 48000 };
    a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    a->codecpar->codec_id = AV_CODEC_ID_PCM_S16LE;
    a->codecpar->format = AV_SAMPLE_FMT_S16;
    a->codecpar->sample_rate = 48000;
    a->codecpar->block_align = 4;
    av_channel_layout_default(&a->codecpar->ch_layout, 2);
    if ((ret = avio_open(&oc->pb, path, AVIO_FLAG_WRITE)) < 0 || (ret = avformat_write_header(oc, NULL)) < 0)
        goto end;
    /* the audio of a moment first: the source reads what follows the gap
     * at once (the pictures it repeats over the gap come after it) */
    for (int k = 0; k < GAP_FRAMES && ret >= 0; k++) {
        if (k >= GAP_FROM && k < GAP_TO)
            continue;
        av_packet_unref(pkt);   /* av_write_frame leaves the packet to its caller */
        if ((ret = av_new_packet(pkt, 1920 * 4)) < 0)
            break;
        for (int i = 0; i < 1920 * 2; i++)
            AV_WL16(pkt->data + 2 * i, 8192);
        pkt->stream_index = 1;
        pkt->pts = pkt->dts = av_rescale_q((int64_t)k * 1920, (AVRational){ 1, 48000 }, a->time_base);
        pkt->duration = av_rescale_q(1920, (AVRational){ 1, 48000 }, a->time_base);
        pkt->flags |= AV_PKT_FLAG_KEY;
        if ((ret = av_write_frame(oc, pkt)) < 0)
            break;
        av_packet_unref(pkt);
        if ((ret = av_new_packet(pkt, vsize)) < 0)
            break;
        memset(pkt->data, 128, (size_t)vsize);
        pkt->stream_index = 0;
        pkt->pts = pkt->dts = av_rescale_q(k, (AVRational){ 1, 25 }, v->time_base);
        pkt->duration = av_rescale_q(1, (AVRational){ 1, 25 }, v->time_base);
        pkt->flags |= AV_PKT_FLAG_KEY;
        ret = av_write_frame(oc, pkt);
    }
    if (ret >= 0)
        ret = av_write_trailer(oc);
end:
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    av_packet_free(&pkt);
    return ret;
}

/* The gappy file (write_gappy_file) opened as a file or (live) as a live
 * input, and a playout over a slate of colour `slate` whose queues it
 * fills: gappy_open, then the case cues the input and gappy_run starts the
 * playout for `frames` frames in a thread of its own; gappy_close, after
 * the case joined that thread and read what it wants, frees everything. */
typedef struct Gappy {
    char path[32];
    PlayoutInput *input;
    Run r;
    pthread_t thread;
} Gappy;

static void gappy_open(Gappy *g, const char *slate, int live)
{
    SourceConfig sc = { .url = g->path, .canvas_width = W, .canvas_height = H, .out_fps = { 25, 1 },
                        .out_sample_rate = 48000, .out_channels = 2 };
    PlayoutConfig cfg = {
        .channel = "test", .width = W, .height = H, .fps = { 25, 1 }, .sample_rate = 48000, .channels = 2,
        .epoch_us = 1795608000LL * 1000000, .paced = 0, .slate = color(slate, (AVRational){ 25, 1 }),
        .on_event = on_event,
    };
    int fd;

    *g = (Gappy){ .path = "/tmp/onair-test-gap-XXXXXX" };
    fd = mkstemp(g->path);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    nevents = 0;
    CHECK_EQ_INT(write_gappy_file(g->path), 0);
    CHECK_EQ_INT(playout_input_start(&g->input, &sc, live), 0);
    queue_new(&g->r.video, 16, 1, queue_free_frame);
    queue_new(&g->r.audio, 16, 1, queue_free_frame);
    CHECK_EQ_INT(playout_new(&g->r.p, &cfg), 0);
}

static void gappy_run(Gappy *g, int64_t frames)
{
    g->r.frames = frames;
    pthread_create(&g->thread, NULL, run, &g->r);
}

static void gappy_close(Gappy *g)
{
    playout_free(&g->r.p);
    queue_free(&g->r.video);
    queue_free(&g->r.audio);
    unlink(g->path);
}

/* A file whose audio pauses for 2.6 s (longer than the playout writes
 * silence ahead) airs silence for exactly the pause, each frame's audio in
 * its place before and after. */
static void check_audio_gap(void)
{
    Gappy g;
    void *item;
    int n = 0, wrong = 0;

    gappy_open(&g, "gray", 0);
    CHECK_EQ_INT(playout_cue(g.r.p, 0, 1, g.input, NULL, 0), 0);
    gappy_run(&g, GAP_FRAMES);
    while (queue_receive(g.r.video, &item) == 0) {
        AVFrame *f = item;
        av_frame_free(&f);
        if (queue_receive(g.r.audio, &item) == 0) {
            double level = 0;
            int loud = n < GAP_FROM || n >= GAP_TO;
            f = item;
            for (int i = 0; i < f->nb_samples; i++)
                level += fabs(((const float *)f->data[0])[i]) / f->nb_samples;
            if (loud ? fabs(level - 0.25) > 0.01 : level > 0.001) {
                if (wrong++ < 5)
                    fprintf(stderr, "frame %d: audio level %.4f, expected %s\n", n, level,
                            loud ? "0.25" : "silence");
            }
            av_frame_free(&f);
        }
        n++;
    }
    pthread_join(g.thread, NULL);
    gappy_close(&g);
    CHECK_EQ_INT(g.r.ret, 0);
    CHECK_EQ_INT(n, GAP_FRAMES);
    CHECK_EQ_INT(wrong, 0);
}

/* A live input that stops: the gappy file read as a live input (it comes
 * in a burst, then ends, as a sender that went away). The stats agree with
 * what aired, frame by frame: the slate after the failover, the loss from
 * the failover on, every picture the input delivered either aired or
 * counted as dropped, and the role on air at the end is the slate. */
#define LIVE_FRAMES 400
static void check_live_loss_stats(void)
{
    Gappy g;
    PlayoutStats st;
    void *item;
    int n = 0, primary = 0, slate = 0, other = 0;
    int64_t loss = 0, failovers = 0, down_at = -1;

    gappy_open(&g, "blue", 1);
    playout_stats(g.r.p, &st);
    CHECK_EQ_INT(st.role, PLAYOUT_ROLE_SLATE);   /* nothing cued yet */
    /* a timeout well past any pause of a loaded machine's decoding */
    CHECK_EQ_INT(playout_cue(g.r.p, 0, 1, g.input, NULL, 500000), 0);
    gappy_run(&g, LIVE_FRAMES);
    while (queue_receive(g.r.video, &item) == 0) {
        AVFrame *f = item;
        int y = f->data[0][(H / 2) * f->linesize[0] + W / 2];
        /* the file is gray (128); the slate blue (luma about 41) */
        if (abs(y - 128) <= 4)
            primary++;
        else if (y < 60)
            slate++;
        else
            other++;
        av_frame_free(&f);
        if (queue_receive(g.r.audio, &item) == 0)
            av_frame_free((AVFrame **)&item);
        n++;
        usleep(5000);   /* the output clock's pace, roughly: the timeout is on the wall clock */
    }
    pthread_join(g.thread, NULL);
    CHECK_EQ_INT(g.r.ret, 0);
    CHECK_EQ_INT(n, LIVE_FRAMES);
    CHECK_EQ_INT(other, 0);
    /* what the events say was lost (a loaded machine may fail over and
     * recover more than once before the input ends) */
    for (int i = 0; i < nevents; i++) {
        if (events[i][0] == PLAYOUT_FAILOVER) {
            failovers++;
            down_at = events[i][1];
        } else if (events[i][0] == PLAYOUT_RECOVERED && down_at >= 0) {
            loss += events[i][1] - down_at;
            down_at = -1;
        }
    }
    CHECK(down_at >= 0);   /* it ended down */
    if (down_at >= 0)
        loss += LIVE_FRAMES - down_at;

    playout_stats(g.r.p, &st);
    CHECK_EQ_INT(st.frames_out, LIVE_FRAMES);
    CHECK_EQ_INT(st.role, PLAYOUT_ROLE_SLATE);
    CHECK(failovers >= 1);
    CHECK_EQ_INT(st.failovers, failovers);
    CHECK_EQ_INT(llrint(st.slate_seconds * 25), slate);
    CHECK_EQ_INT(llrint(st.input_loss_seconds * 25), loss);
    CHECK(loss > 0 && loss <= slate);   /* the slate also aired while it connected */
    /* the burst came faster than the clock took it: dropped; then nothing
     * new until the timeout: repeated; each of its pictures aired once or
     * was dropped */
    CHECK(st.frames_dropped > 0);
    CHECK(st.frames_repeated > 0);
    CHECK_EQ_INT(primary - st.frames_repeated + st.frames_dropped, GAP_FRAMES);
    gappy_close(&g);
}

int main(void)
{
    log_setup(LOG_ERROR, 0);
    check_live_loss_stats();
    check_run((AVRational){ 25, 1 }, 0);
    /* 29.97 after a restart: 1601 and 1602 samples a frame, summing exactly */
    check_run((AVRational){ 30000, 1001 }, 123456);
    check_audio_gap();
    return CHECK_DONE();
}
