/* Audio on a sample clock (common/audio.c): where a frame goes (jitter left
 * alone, a gap, an overlap) and the fifo writers, on fixture frames. */
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>

#include "check.h"
#include "common/common.h"

/* A frame of n samples whose sample i of channel c is base + 1000 c + i. */
static AVFrame *ramp(enum AVSampleFormat fmt, int channels, int n, int base)
{
    AVFrame *f = av_frame_alloc();

    if (!f)
        return NULL;
    f->format = fmt;
    f->nb_samples = n;
    f->sample_rate = 48000;
    av_channel_layout_default(&f->ch_layout, channels);
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int c = 0; c < channels; c++)
        for (int i = 0; i < n; i++) {
            float v = (float)(base + 1000 * c + i);
            if (fmt == AV_SAMPLE_FMT_FLTP)
                ((float *)f->extended_data[c])[i] = v;
            else
                ((int16_t *)f->data[0])[i * channels + c] = (int16_t)v;
        }
    return f;
}

static void test_place(void)
{
    AudioPlacement pl;

    /* on time, and jitter up to the tolerance either way */
    pl = audio_place(48000, 48000, 1024);
    CHECK_EQ_INT(pl.silence, 0);
    CHECK_EQ_INT(pl.skip, 0);
    pl = audio_place(48000, 48000 + 1024, 1024);
    CHECK_EQ_INT(pl.silence, 0);
    CHECK_EQ_INT(pl.skip, 0);
    pl = audio_place(48000, 48000 - 1024, 1024);
    CHECK_EQ_INT(pl.silence, 0);
    CHECK_EQ_INT(pl.skip, 0);
    /* a gap: silence up to the frame, however long */
    pl = audio_place(48000, 48000 + 1025, 1024);
    CHECK_EQ_INT(pl.silence, 1025);
    CHECK_EQ_INT(pl.skip, 0);
    pl = audio_place(0, 48000LL * 3600, 1024);
    CHECK_EQ_INT(pl.silence, 48000LL * 3600);
    /* an overlap: the head that is there already goes */
    pl = audio_place(48000, 48000 - 5000, 1024);
    CHECK_EQ_INT(pl.silence, 0);
    CHECK_EQ_INT(pl.skip, 5000);
    /* no tolerance: every sample counts */
    pl = audio_place(100, 101, 0);
    CHECK_EQ_INT(pl.silence, 1);
    pl = audio_place(100, 99, 0);
    CHECK_EQ_INT(pl.skip, 1);
}

static void test_silence(void)
{
    AVAudioFifo *fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, 16);
    float a[3], b[3];
    void *planes[2] = { a, b };
    AVFrame *f = ramp(AV_SAMPLE_FMT_FLTP, 2, 4, 1);
    int total = 48000 * 3 + 17;   /* more than one piece of the zeroed buffer */

    CHECK(fifo && f);
    if (!fifo || !f)
        return;
    CHECK_EQ_INT(audio_fifo_write_frame(fifo, f, 0, 4), 0);
    CHECK_EQ_INT(audio_fifo_write_silence(fifo, 2, total), 0);
    CHECK_EQ_INT(audio_fifo_write_silence(fifo, 2, 0), 0);
    CHECK_EQ_INT(av_audio_fifo_size(fifo), 4 + total);
    /* what was there stays first; then silence throughout */
    CHECK_EQ_INT(av_audio_fifo_read(fifo, planes, 3), 3);
    CHECK(a[0] == 1.0f && a[2] == 3.0f && b[2] == 1003.0f);
    CHECK_EQ_INT(av_audio_fifo_read(fifo, planes, 1), 1);
    CHECK(a[0] == 4.0f && b[0] == 1004.0f);
    for (int left = total; left > 0;) {
        float x[512], y[512];
        void *p[2] = { x, y };
        int n = av_audio_fifo_read(fifo, p, 512);
        int silent = n > 0;
        for (int i = 0; i < n; i++)
            silent &= x[i] == 0.0f && y[i] == 0.0f;
        CHECK(silent);
        if (!silent || n <= 0)
            break;
        left -= n;
    }
    CHECK_EQ_INT(av_audio_fifo_size(fifo), 0);
    CHECK_EQ_INT(audio_fifo_write_silence(fifo, 2, -1), AVERROR(EINVAL));
    CHECK_EQ_INT(audio_fifo_write_silence(fifo, 0, 10), AVERROR(EINVAL));
    CHECK_EQ_INT(audio_fifo_write_silence(NULL, 2, 10), AVERROR(EINVAL));
    av_frame_free(&f);
    av_audio_fifo_free(fifo);
}

static void test_frame(void)
{
    AVAudioFifo *planar = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, 4);
    AVAudioFifo *packed = av_audio_fifo_alloc(AV_SAMPLE_FMT_S16, 2, 4);
    AVFrame *fp = ramp(AV_SAMPLE_FMT_FLTP, 2, 10, 0), *fs = ramp(AV_SAMPLE_FMT_S16, 2, 10, 0);
    float l[10], r[10];
    int16_t lr[20];
    void *pp[2] = { l, r }, *ps[1] = { lr };

    CHECK(planar && packed && fp && fs);
    if (!planar || !packed || !fp || !fs)
        return;
    /* the part after an overlap: samples 3..7 of each channel */
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, 3, 5), 0);
    CHECK_EQ_INT(av_audio_fifo_read(planar, pp, 10), 5);
    CHECK(l[0] == 3.0f && l[4] == 7.0f && r[0] == 1003.0f && r[4] == 1007.0f);
    CHECK_EQ_INT(audio_fifo_write_frame(packed, fs, 3, 5), 0);
    CHECK_EQ_INT(av_audio_fifo_read(packed, ps, 10), 5);
    CHECK(lr[0] == 3 && lr[1] == 1003 && lr[8] == 7 && lr[9] == 1007);
    /* nothing, the whole frame, and outside it */
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, 10, 0), 0);
    CHECK_EQ_INT(av_audio_fifo_size(planar), 0);
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, 0, 10), 0);
    CHECK_EQ_INT(av_audio_fifo_size(planar), 10);
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, 6, 5), AVERROR(EINVAL));
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, -1, 2), AVERROR(EINVAL));
    CHECK_EQ_INT(audio_fifo_write_frame(planar, fp, 11, 0), AVERROR(EINVAL));
    CHECK_EQ_INT(audio_fifo_write_frame(planar, NULL, 0, 0), AVERROR(EINVAL));
    CHECK_EQ_INT(av_audio_fifo_size(planar), 10);
    av_frame_free(&fp);
    av_frame_free(&fs);
    av_audio_fifo_free(planar);
    av_audio_fifo_free(packed);
}

int main(void)
{
    test_place();
    test_silence();
    test_frame();
    return check_failures ? 1 : 0;
}
