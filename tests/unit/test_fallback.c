/* A hardware backend that fails to open falls back to x264 for that rung,
 * and the rung still encodes with an IDR at every segment boundary. */
#include <stdio.h>

#include <libavutil/error.h>
#include <libavutil/frame.h>

#include "check.h"
#include "encoder/encoder.h"

static int failing_probe(char *reason, size_t size)
{
    snprintf(reason, size, "pretends to be usable");
    return 0;
}

static int failing_open(void **priv, const EncoderParams *p, AVCodecParameters *par)
{
    *priv = NULL;
    return AVERROR(ENODEV);   /* e.g. the GPU's session limit */
}

static const EncoderBackend failing_hw = {
    .name = "fakehw", .description = "a GPU that fails", .hardware = 1,
    .probe = failing_probe, .open = failing_open,
};

int main(void)
{
    RungConfig rc = {
        .backend = &failing_hw,
        .fallback = &encoder_x264,
        .params = { .width = 160, .height = 90, .fps = { 25, 1 }, .bitrate = 200000,
                    .preset = "ultrafast", .threads = 1, .max_keyint = 25, .channel = "", .name = "t" },
        .grid = { { 25, 1 }, 1000000 },
        .rendition = 3,
    };
    RungEncoder *r = NULL;
    Queue *in, *out;
    void *item;
    int keys = 0, packets = 0, ended = 0;

    log_setup(LOG_ERROR, 0);
    CHECK_EQ_INT(rung_encoder_new(&r, &rc), 0);
    if (!r)
        return CHECK_DONE();
    CHECK(rung_encoder_backend(r) == &encoder_x264);
    CHECK(rung_encoder_codecpar(r)->extradata_size > 0);

    queue_new(&in, 128, 1, queue_free_frame);
    queue_new(&out, 256, 1, queue_free_packet);
    for (int i = 0; i < 60; i++) {
        AVFrame *f = av_frame_alloc();
        f->format = AV_PIX_FMT_YUV420P;
        f->width = 320;             /* scaled down to the rung */
        f->height = 180;
        av_frame_get_buffer(f, 0);
        for (int p = 0; p < 3; p++)
            memset(f->data[p], (i * 7 + p * 50) & 0xff, (size_t)f->linesize[p] * (p ? 90 : 180));
        f->pts = i;
        queue_send(in, f);
    }
    queue_close(in);
    CHECK_EQ_INT(rung_encoder_run(r, in, NULL, 0, out), 0);
    while (queue_receive(out, &item) == 0) {
        AVPacket *p = item;
        CHECK_EQ_INT(p->stream_index, 3);
        if (!p->data) {
            ended = 1;
        } else {
            packets++;
            /* keyframes exactly at 0, 25, 50 */
            if (p->flags & AV_PKT_FLAG_KEY) {
                keys++;
                CHECK(p->pts % 25 == 0);
            }
            if (p->pts % 25 == 0)
                CHECK(p->flags & AV_PKT_FLAG_KEY);
        }
        av_packet_free(&p);
    }
    CHECK_EQ_INT(packets, 60);
    CHECK_EQ_INT(keys, 3);
    CHECK(ended);
    CHECK_EQ_INT(rung_encoder_frames(r), 60);
    queue_free(&in);
    queue_free(&out);
    rung_encoder_free(&r);
    CHECK(r == NULL);
    return CHECK_DONE();
}
