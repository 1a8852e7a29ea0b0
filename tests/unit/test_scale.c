/* The rung scaler against libswscale's direct bicubic scale (the judge):
 * at every ladder-like ratio the two differ only by rounding (libswscale
 * keeps 15-bit intermediates and dithers its last rounding; the band path
 * rounds each tap to Q6): no pixel more than 2 off, and >= 50 dB on a zone
 * plate, the hardest picture for a scaler (a wrong kernel or a half-pixel
 * shift gives under 35). A flat picture must stay exactly flat. Where the
 * host has AVX2, downscales must take the band path, so that it is what
 * was judged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "check.h"
#include "common/common.h"

static AVFrame *picture(int w, int h, int flat)
{
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    av_frame_get_buffer(f, 0);
    for (int p = 0; p < 3; p++) {
        int pw = p ? (w + 1) / 2 : w, ph = p ? (h + 1) / 2 : h;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                /* a zone plate plus edges: detail at every frequency */
                double r2 = (x - pw / 2.0) * (x - pw / 2.0) + (y - ph / 2.0) * (y - ph / 2.0);
                int v = flat ? 77 + p : (int)(128 + 100 * sin(r2 / (pw * 0.7))) + ((x / 37 + y / 23) % 2) * 20 - 10;
                f->data[p][y * f->linesize[p] + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    return f;
}

static int max_diff;

static double psnr(const AVFrame *a, const AVFrame *b)
{
    double se = 0;
    long n = 0;
    for (int p = 0; p < 3; p++) {
        int pw = p ? (a->width + 1) / 2 : a->width, ph = p ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                int e = a->data[p][y * a->linesize[p] + x] - b->data[p][y * b->linesize[p] + x];
                se += e * e;
                n++;
                if (abs(e) > max_diff)
                    max_diff = abs(e);
            }
    }
    return se == 0 ? 99 : 10 * log10(255.0 * 255.0 * n / se);
}

static AVFrame *blank(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    av_frame_get_buffer(f, 0);
    return f;
}

static void compare(int sw, int sh, int dw, int dh, const char *method)
{
    AVFrame *in = picture(sw, sh, 0), *ours = blank(dw, dh), *ref = blank(dw, dh);
    struct SwsContext *sws = sws_getContext(sw, sh, AV_PIX_FMT_YUV420P, dw, dh, AV_PIX_FMT_YUV420P,
                                            SWS_BICUBIC, NULL, NULL, NULL);
    Scaler *s;
    double db;

    CHECK_EQ_INT(scaler_new(&s, dw, dh, 0), 0);
    CHECK_EQ_INT(scaler_scale(s, in, ours), 0);
    sws_scale(sws, (const uint8_t *const *)in->data, in->linesize, 0, sh, ref->data, ref->linesize);
    max_diff = 0;
    db = psnr(ours, ref);
    printf("%dx%d -> %dx%d by %s: %.2f dB against libswscale, at most %d off\n", sw, sh, dw, dh,
           scaler_method(s), db, max_diff);
    CHECK_EQ_STR(scaler_method(s), method);
    CHECK(db >= 50);
    CHECK(max_diff <= 2);

    /* the same scaler follows a change of input size */
    {
        AVFrame *in2 = picture(sw / 2 * 2 + 64, sh, 0);
        CHECK_EQ_INT(scaler_scale(s, in2, ours), 0);
        av_frame_free(&in2);
    }
    scaler_free(&s);
    CHECK(s == NULL);
    sws_freeContext(sws);
    av_frame_free(&in);
    av_frame_free(&ours);
    av_frame_free(&ref);
}

int main(void)
{
    /* w, h -> w, h, and whether it is a downscale the band path takes */
    static const int cases[][5] = {
        { 1920, 1080, 1280, 720, 1 }, { 1920, 1080, 854, 480, 1 }, { 1920, 1080, 640, 360, 1 },
        { 1920, 1080, 426, 240, 1 }, { 1280, 720, 640, 360, 1 }, { 1920, 1080, 1280, 360, 1 },
        { 1440, 1080, 960, 360, 1 }, { 720, 576, 450, 360, 1 }, { 640, 360, 426, 240, 1 },
        { 1918, 1078, 854, 480, 1 },   /* widths that are no multiple of 16, odd chroma */
        { 1001, 563, 426, 240, 1 }, { 1920, 1080, 1728, 972, 1 },
        { 1280, 720, 1280, 300, 0 },   /* one axis unscaled: a weight of one */
        { 3840, 2160, 640, 360, 0 },   /* 25 taps: more than the band path takes */
        { 1920, 1080, 1920, 1080, 0 }, { 640, 360, 1280, 720, 0 },   /* upscale */
    };
    int avx2 = 0;
#if defined(__x86_64__) || defined(__i386__)
    avx2 = __builtin_cpu_supports("avx2");
#endif
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        compare(cases[i][0], cases[i][1], cases[i][2], cases[i][3],
                cases[i][4] && avx2 ? "bands (AVX2)" : "libswscale");

    /* flat stays flat: the weights of every row sum to exactly one */
    {
        AVFrame *in = picture(1920, 1080, 1), *out = blank(854, 480);
        Scaler *s;
        int bad = 0;
        scaler_new(&s, 854, 480, 0);
        scaler_scale(s, in, out);
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < (p ? 240 : 480); y++)
                for (int x = 0; x < (p ? 427 : 854); x++)
                    bad += out->data[p][y * out->linesize[p] + x] != 77 + p;
        CHECK_EQ_INT(bad, 0);
        scaler_free(&s);
        av_frame_free(&in);
        av_frame_free(&out);
    }
    return CHECK_DONE();
}
