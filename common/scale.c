/* Scaling a picture to a rung.
 *
 * libswscale scales horizontally first, so a downscale filters every source
 * line (1080 of them for a 480-line rung) with a long horizontal filter, its
 * slowest step. Filtering is separable: scaling vertically first, with the
 * same bicubic kernel, leaves the horizontal filter only the rung's lines.
 * The vertical pass is a weighted sum of whole rows, which vectorises fully;
 * its result stays in 16 bits (Q6) so the picture is rounded once, at the
 * end of the horizontal pass, and goes straight on to that pass one row at
 * a time, so the intermediate row never leaves the L1 cache. Both passes have AVX2 versions picked at run
 * time. The result differs from libswscale's direct bicubic scale by
 * rounding only (tests/unit/test_scale.c); 1080 lines to 480 costs 55% of
 * libswscale's time, to 360 60%.
 *
 * Anything else (other pixel formats, gentler ratios, upscales) goes
 * straight to libswscale. */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define COEF_BITS 14          /* filter weights: Q14, summing to 1 << 14 */
#define MID_BITS 6            /* the vertical pass keeps 6 fractional bits */
#define MAX_TAPS 64
#define HWIN_MAX 16           /* horizontal taps read per pixel by the SIMD path: 8 or 16 */

/* One 1-D filter: output i takes `ntaps` inputs from start[i] with weights
 * coef[i * ntaps + k]. */
typedef struct Filter {
    int ntaps;
    int *start;
    int16_t *coef;
} Filter;

struct Scaler {
    int dst_w, dst_h;
    int in_w, in_h, in_fmt;          /* what the cached set-up is for */
    int separable;                   /* our two passes; else libswscale */
    Filter vf[2], hf[2];             /* luma, chroma */
    int16_t *mid;                    /* one row after the vertical pass, Q6 */
    struct SwsContext *sws;
    int simd;
};

/* libswscale's default bicubic (B = 0, C = 0.6: Keys' cubic with a = -0.6). */
static double cubic(double x)
{
    x = fabs(x);
    if (x < 1)
        return 1.4 * x * x * x - 2.4 * x * x + 1;
    if (x < 2)
        return -0.6 * x * x * x + 3 * x * x - 4.8 * x + 2.4;
    return 0;
}

static void filter_free(Filter *f)
{
    free(f->start);
    free(f->coef);
    memset(f, 0, sizeof(*f));
}

/* Centre-aligned sampling, as libswscale does for luma and (by default) for
 * 4:2:0 chroma: output i sits at (i + 0.5) * src / dst - 0.5; a downscale
 * widens the kernel by the ratio; inputs past an edge repeat it. `window`
 * fixes ntaps (the SIMD path reads 8 or 16 inputs); 0 takes what the kernel
 * needs. Each output's taps are shifted to fit inside the input. */
static int filter_init(Filter *f, int src, int dst, int window)
{
    double ratio = (double)src / dst, support = ratio > 1 ? 2 * ratio : 2;
    int need = (int)ceil(2 * support) + 1;
    int n = window ? window : need;

    if (n > src)
        n = src;
    if (need > MAX_TAPS || (window && need > window))
        return AVERROR(ENOSYS);
    f->ntaps = n;
    f->start = malloc(sizeof(*f->start) * (size_t)dst);
    f->coef = calloc((size_t)dst * (size_t)n, sizeof(*f->coef));
    if (!f->start || !f->coef)
        return AVERROR(ENOMEM);
    for (int i = 0; i < dst; i++) {
        double center = (i + 0.5) * ratio - 0.5, w[MAX_TAPS] = { 0 }, folded[MAX_TAPS] = { 0 };
        int first = (int)floor(center - support) + 1, start = first, sum_q = 0, peak = 0;
        double sum = 0, err = 0;

        for (int k = 0; k < need; k++) {
            w[k] = cubic((first + k - center) / (ratio > 1 ? ratio : 1));
            sum += w[k];
        }
        if (start + n > src)
            start = src - n;
        if (start < 0)
            start = 0;
        for (int k = 0; k < need; k++) {
            int at = av_clip(first + k, 0, src - 1) - start;
            folded[av_clip(at, 0, n - 1)] += w[k] / sum;
        }
        /* Q14 with the rounding error carried along, so the weights sum to
         * exactly one and flat areas stay flat */
        for (int k = 0; k < n; k++) {
            double v = folded[k] * (1 << COEF_BITS) + err;
            int q = (int)floor(v + 0.5);
            err = v - q;
            f->coef[(size_t)i * n + k] = (int16_t)q;
            sum_q += q;
            if (q > f->coef[(size_t)i * n + peak])
                peak = k;
        }
        f->coef[(size_t)i * n + peak] += (int16_t)((1 << COEF_BITS) - sum_q);
        f->start[i] = start;
    }
    return 0;
}

/* ---- the vertical pass: 8-bit rows in, Q6 rows out ---- */

static void vrow_c(const uint8_t *const *rows, const int16_t *coef, int ntaps, int16_t *dst, int w)
{
    for (int x = 0; x < w; x++) {
        int acc = 1 << (COEF_BITS - MID_BITS - 1);
        for (int k = 0; k < ntaps; k++)
            acc += coef[k] * rows[k][x];
        dst[x] = (int16_t)(acc >> (COEF_BITS - MID_BITS));
    }
}

/* ---- the horizontal pass: Q6 in, 8-bit out ---- */

static void hrow_c(const int16_t *src, const Filter *f, uint8_t *dst, int w)
{
    for (int x = 0; x < w; x++) {
        const int16_t *s = src + f->start[x], *c = f->coef + (size_t)x * f->ntaps;
        int acc = 1 << (COEF_BITS + MID_BITS - 1);
        for (int k = 0; k < f->ntaps; k++)
            acc += c[k] * s[k];
        dst[x] = av_clip_uint8(acc >> (COEF_BITS + MID_BITS));
    }
}

#if HAVE_X86
/* 32 pixels at a time; two source rows interleaved into 16-bit pairs so one
 * vpmaddwd applies two taps. */
__attribute__((target("avx2")))
static void vrow_avx2(const uint8_t *const *rows, const int16_t *coef, int ntaps, int16_t *dst, int w)
{
    const __m256i round = _mm256_set1_epi32(1 << (COEF_BITS - MID_BITS - 1));
    const uint8_t *r[MAX_TAPS + 1];
    __m256i pairs[MAX_TAPS / 2 + 1];
    int npairs = (ntaps + 1) / 2, x = 0;

    /* an odd last tap pairs with a zero weight on a row that exists */
    for (int k = 0; k < ntaps; k++)
        r[k] = rows[k];
    r[ntaps] = rows[ntaps - 1];
    for (int k = 0; k < npairs; k++) {
        int16_t c1 = 2 * k + 1 < ntaps ? coef[2 * k + 1] : 0;
        pairs[k] = _mm256_set1_epi32((int)((uint16_t)coef[2 * k] | ((uint32_t)(uint16_t)c1 << 16)));
    }
    for (; x + 32 <= w; x += 32) {
        __m256i acc[4] = { round, round, round, round };
        for (int k = 0; k < npairs; k++) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(r[2 * k] + x));
            __m256i b = _mm256_loadu_si256((const __m256i *)(r[2 * k + 1] + x));
            /* bytes of the two rows side by side, then widened: (a, b) pairs */
            __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
            __m256i z = _mm256_setzero_si256();
            acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(_mm256_unpacklo_epi8(ab_lo, z), pairs[k]));
            acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(_mm256_unpackhi_epi8(ab_lo, z), pairs[k]));
            acc[2] = _mm256_add_epi32(acc[2], _mm256_madd_epi16(_mm256_unpacklo_epi8(ab_hi, z), pairs[k]));
            acc[3] = _mm256_add_epi32(acc[3], _mm256_madd_epi16(_mm256_unpackhi_epi8(ab_hi, z), pairs[k]));
        }
        for (int i = 0; i < 4; i++)
            acc[i] = _mm256_srai_epi32(acc[i], COEF_BITS - MID_BITS);
        {
            /* within each 128-bit lane: acc0 = px 0-3, acc1 = 4-7, acc2 = 8-11,
             * acc3 = 12-15 (of the lane's 16); lanes are pixels 0-15 and 16-31 */
            __m256i p01 = _mm256_packs_epi32(acc[0], acc[1]);   /* lane: px 0-7 */
            __m256i p23 = _mm256_packs_epi32(acc[2], acc[3]);   /* lane: px 8-15 */
            _mm256_storeu_si256((__m256i *)(dst + x), _mm256_permute2x128_si256(p01, p23, 0x20));
            _mm256_storeu_si256((__m256i *)(dst + x + 16), _mm256_permute2x128_si256(p01, p23, 0x31));
        }
    }
    if (x < w) {
        const uint8_t *tail[MAX_TAPS];
        for (int k = 0; k < ntaps; k++)
            tail[k] = rows[k] + x;
        vrow_c(tail, coef, ntaps, dst + x, w - x);
    }
}

__attribute__((target("avx2")))
static void store8(uint8_t *dst, __m256i sum)
{
    const __m256i round = _mm256_set1_epi32(1 << (COEF_BITS + MID_BITS - 1));
    __m128i s16;

    sum = _mm256_srai_epi32(_mm256_add_epi32(sum, round), COEF_BITS + MID_BITS);
    s16 = _mm_packs_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    _mm_storel_epi64((__m128i *)dst, _mm_packus_epi16(s16, s16));
}

/* Gentle ratios (up to 1.75): 8 taps, two pixels per register (pixel j in
 * the low lane, j + 4 in the high one), three horizontal adds for 8. */
__attribute__((target("avx2")))
static int hrow8_avx2(const int16_t *src, const Filter *f, uint8_t *dst, int w)
{
    int x = 0;

    for (; x + 8 <= w; x += 8) {
        __m256i p[4], h01, h23;
        for (int j = 0; j < 4; j++) {
            __m256i v = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(src + f->start[x + j]))),
                _mm_loadu_si128((const __m128i *)(src + f->start[x + j + 4])), 1);
            __m256i c = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(f->coef + (size_t)(x + j) * 8))),
                _mm_loadu_si128((const __m128i *)(f->coef + (size_t)(x + j + 4) * 8)), 1);
            p[j] = _mm256_madd_epi16(v, c);
        }
        h01 = _mm256_hadd_epi32(p[0], p[1]);
        h23 = _mm256_hadd_epi32(p[2], p[3]);
        store8(dst + x, _mm256_hadd_epi32(h01, h23));
    }
    return x;
}

/* Steeper ratios: 16 taps, one pixel per register; the partial sums of 8
 * pixels are folded together with horizontal adds. */
__attribute__((target("avx2")))
static int hrow16_avx2(const int16_t *src, const Filter *f, uint8_t *dst, int w)
{
    int x = 0;

    for (; x + 8 <= w; x += 8) {
        __m256i p[8], h01, h23, h45, h67, h03, h47, sum;
        for (int j = 0; j < 8; j++)
            p[j] = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(src + f->start[x + j])),
                                     _mm256_loadu_si256((const __m256i *)(f->coef + (size_t)(x + j) * 16)));
        h01 = _mm256_hadd_epi32(p[0], p[1]);
        h23 = _mm256_hadd_epi32(p[2], p[3]);
        h45 = _mm256_hadd_epi32(p[4], p[5]);
        h67 = _mm256_hadd_epi32(p[6], p[7]);
        h03 = _mm256_hadd_epi32(h01, h23);      /* lane 0: taps 0-7 of pixels 0-3; lane 1: taps 8-15 */
        h47 = _mm256_hadd_epi32(h45, h67);
        sum = _mm256_add_epi32(_mm256_permute2x128_si256(h03, h47, 0x20),
                               _mm256_permute2x128_si256(h03, h47, 0x31));
        store8(dst + x, sum);
    }
    return x;
}

static void hrow_avx2(const int16_t *src, const Filter *f, uint8_t *dst, int w)
{
    int x = f->ntaps == 8 ? hrow8_avx2(src, f, dst, w) : hrow16_avx2(src, f, dst, w);

    if (x < w)
        hrow_c(src, &(Filter){ f->ntaps, f->start + x, f->coef + (size_t)x * f->ntaps }, dst + x, w - x);
}
#endif

static void reset(Scaler *s)
{
    for (int p = 0; p < 2; p++) {
        filter_free(&s->vf[p]);
        filter_free(&s->hf[p]);
    }
    av_freep(&s->mid);
    sws_freeContext(s->sws);
    s->sws = NULL;
    s->in_w = s->in_h = 0;
}

static int setup(Scaler *s, const AVFrame *in)
{
    int ret = 0;

    reset(s);
    s->in_w = in->width;
    s->in_h = in->height;
    s->in_fmt = in->format;
    /* ours where the picture shrinks to less than half its height (below
     * that libswscale's horizontal-first order costs no more) */
    s->separable = in->format == AV_PIX_FMT_YUV420P && in->height > 2 * s->dst_h &&
                   in->width >= HWIN_MAX * 2;
    for (int p = 0; s->separable && p < 2; p++) {
        int iw = p ? AV_CEIL_RSHIFT(in->width, 1) : in->width, ih = p ? AV_CEIL_RSHIFT(in->height, 1) : in->height;
        int ow = p ? AV_CEIL_RSHIFT(s->dst_w, 1) : s->dst_w, oh = p ? AV_CEIL_RSHIFT(s->dst_h, 1) : s->dst_h;
        /* the horizontal window: 8 taps where the kernel fits, else 16 */
        int win = (int)ceil(4.0 * FFMAX((double)iw / ow, 1.0)) + 1 <= 8 ? 8 : 16;
        if ((ret = filter_init(&s->vf[p], ih, oh, 0)) < 0 || (ret = filter_init(&s->hf[p], iw, ow, win)) < 0)
            s->separable = 0;   /* a ratio we do not do: libswscale does it all */
    }
    if (ret == AVERROR(ENOMEM))
        return ret;
    if (!s->separable) {
        for (int p = 0; p < 2; p++) {
            filter_free(&s->vf[p]);
            filter_free(&s->hf[p]);
        }
        s->sws = sws_getContext(in->width, in->height, in->format, s->dst_w, s->dst_h,
                                AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
        return s->sws ? 0 : AVERROR(EINVAL);
    }
    /* the SIMD reads stay inside: a row, rounded up, plus a window */
    s->mid = av_malloc(sizeof(int16_t) * (size_t)(FFALIGN(in->width, 32) + HWIN_MAX));
    return s->mid ? 0 : AVERROR(ENOMEM);
}

int scaler_new(Scaler **out, int dst_w, int dst_h, unsigned flags)
{
    Scaler *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    s->dst_w = dst_w;
    s->dst_h = dst_h;
#if HAVE_X86
    s->simd = __builtin_cpu_supports("avx2") && !(flags & SCALER_NO_SIMD);
#endif
    *out = s;
    return 0;
}

static void scale_plane(const Scaler *s, int p, const AVFrame *in, AVFrame *out)
{
    const Filter *vf = &s->vf[p ? 1 : 0], *hf = &s->hf[p ? 1 : 0];
    int iw = p ? AV_CEIL_RSHIFT(in->width, 1) : in->width;
    int ow = p ? AV_CEIL_RSHIFT(s->dst_w, 1) : s->dst_w;
    int oh = p ? AV_CEIL_RSHIFT(s->dst_h, 1) : s->dst_h;
    const uint8_t *rows[MAX_TAPS];

    for (int y = 0; y < oh; y++) {
        int16_t *mid = s->mid;
        for (int k = 0; k < vf->ntaps; k++)
            rows[k] = in->data[p] + (size_t)(vf->start[y] + k) * in->linesize[p];
#if HAVE_X86
        if (s->simd) {
            vrow_avx2(rows, vf->coef + (size_t)y * vf->ntaps, vf->ntaps, mid, iw);
            hrow_avx2(mid, hf, out->data[p] + (size_t)y * out->linesize[p], ow);
            continue;
        }
#endif
        vrow_c(rows, vf->coef + (size_t)y * vf->ntaps, vf->ntaps, mid, iw);
        hrow_c(mid, hf, out->data[p] + (size_t)y * out->linesize[p], ow);
    }
}

int scaler_scale(Scaler *s, const AVFrame *in, AVFrame *out)
{
    int ret;

    if (in->width != s->in_w || in->height != s->in_h || in->format != s->in_fmt)
        if ((ret = setup(s, in)) < 0)
            return ret;
    if (!s->separable)
        return sws_scale(s->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
                         out->data, out->linesize) < 0 ? AVERROR(EINVAL) : 0;
    for (int p = 0; p < 3; p++)
        scale_plane(s, p, in, out);
    return 0;
}

void scaler_free(Scaler **ps)
{
    Scaler *s = *ps;

    if (!s)
        return;
    reset(s);
    free(s);
    *ps = NULL;
}
