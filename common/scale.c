/* Scaling a picture to a rung.
 *
 * Bicubic (libswscale's kernel and sampling), in bands of 16 output rows:
 * the vertical pass filters the band's source rows, 16 columns at a time,
 * and stores its result transposed, so the horizontal pass is the same
 * multiply-add of whole vectors down a column as the vertical one, with no
 * gathering of taps along a row (libswscale's slowest step at a ladder's
 * ratios). Values stay in 16 bits: source pixels widened to Q6 once per
 * band, weights in Q15 through vpmulhrsw. A band's rows fit in the L2 cache.
 * The result differs from libswscale's direct bicubic scale by rounding
 * only (tests/unit/test_scale.c); it takes 0.4 to 0.7 of libswscale's time
 * at ladder ratios (build/bench/scale, bench/RESULTS.md).
 *
 * Anything else (no AVX2, other pixel formats, upscales, one axis unscaled,
 * ratios above 5.75) goes to libswscale. */
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

#define COEF_BITS 15          /* filter weights: Q15, summing to 1 << 15 */
#define MID_BITS 6            /* pixels and partial sums: Q6 */
#define BAND 16               /* output rows a band; 16 16-bit lanes */
#define BAND_TAPS 24          /* the most taps the band path takes: ratios up to 5.75 */

/* One 1-D filter: output i takes `ntaps` inputs from start[i] with weights
 * coef[i * ntaps + k]. Padded to a whole number of 16 outputs (repeating the
 * last), which the horizontal pass computes and drops. */
typedef struct Filter {
    int ntaps;
    int *start;
    int16_t *coef;
} Filter;

#if HAVE_X86
/* Source rows the next band reads and this one does not: fetched into the
 * cache while this band is computed, a line of each every 64 columns.
 * Reading the source was a third of the time without (1080p, 2 rungs). */
typedef struct Ahead {
    const uint8_t *src;
    ptrdiff_t linesize;
    int rows;
} Ahead;

typedef void VerticalFn(const int16_t *const *top, const __m256i (*weight)[BAND_TAPS], int ntaps, int stride,
                        int w, int16_t *cols, const Ahead *ahead);
typedef void HorizontalFn(const int16_t *cols, const int *start, const int16_t *coef, int ntaps, uint8_t *dst,
                          ptrdiff_t linesize, int rows, int w);
#endif

struct Scaler {
    int dst_w, dst_h;
    unsigned flags;
    int in_w, in_h, in_fmt;          /* what the cached set-up is for */
    int band;                        /* the band path; else libswscale */
    Filter vf[2], hf[2];             /* luma, chroma */
    int16_t *wide;                   /* a band's source rows in Q6 */
    int wide_stride;
    int16_t *cols;                   /* a band after the vertical pass, transposed */
#if HAVE_X86
    VerticalFn *vertical[2];         /* luma, chroma: the passes for their tap counts */
    HorizontalFn *horizontal[2];
#endif
    struct SwsContext *sws;
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
 * widens the kernel by the ratio; inputs past an edge repeat it. Each
 * output's taps are shifted to fit inside the input. ENOSYS: a filter the
 * band path does not take (an upscale, more than BAND_TAPS taps). */
static int filter_init(Filter *f, int src, int dst)
{
    double ratio = (double)src / dst, support = 2 * ratio;
    int n = (int)ceil(2 * support) + 1, padded = FFALIGN(dst, 16);

    if (ratio <= 1 || n > BAND_TAPS || n > src)
        return AVERROR(ENOSYS);
    f->ntaps = n;
    f->start = malloc(sizeof(*f->start) * (size_t)padded);
    f->coef = calloc((size_t)padded * (size_t)n, sizeof(*f->coef));
    if (!f->start || !f->coef)
        return AVERROR(ENOMEM);
    for (int i = 0; i < dst; i++) {
        double center = (i + 0.5) * ratio - 0.5, w[BAND_TAPS] = { 0 }, folded[BAND_TAPS] = { 0 };
        int first = (int)floor(center - support) + 1, start = first, sum_q = 0, peak = 0;
        double sum = 0, err = 0;

        for (int k = 0; k < n; k++) {
            w[k] = cubic((first + k - center) / ratio);
            sum += w[k];
        }
        if (start + n > src)
            start = src - n;
        if (start < 0)
            start = 0;
        for (int k = 0; k < n; k++) {
            int at = av_clip(first + k, 0, src - 1) - start;
            folded[av_clip(at, 0, n - 1)] += w[k] / sum;
        }
        /* Q15 with the rounding error carried along, so the weights sum to
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
        if (f->coef[(size_t)i * n + peak] + (1 << COEF_BITS) - sum_q > INT16_MAX)
            return AVERROR(ENOSYS);   /* a weight of one: not a downscale */
        f->coef[(size_t)i * n + peak] += (int16_t)((1 << COEF_BITS) - sum_q);
        f->start[i] = start;
    }
    for (int i = dst; i < padded; i++) {
        f->start[i] = f->start[dst - 1];
        memcpy(f->coef + (size_t)i * n, f->coef + (size_t)(dst - 1) * n, sizeof(*f->coef) * (size_t)n);
    }
    return 0;
}

#if HAVE_X86
/* ---- the band path (AVX2) ---------------------------------------------- */

/* A 16 x 16 transpose of 16-bit values: rows in, columns out. */
__attribute__((target("avx2"), always_inline))
static inline void transpose16(__m256i a[16])
{
    __m256i b[16], c[16], d[16];

    /* within each 128-bit lane: 8 x 8 transposes of rows 0-7 and 8-15 */
#pragma GCC unroll 2
    for (int h = 0; h < 16; h += 8) {
#pragma GCC unroll 8
        for (int i = 0; i < 8; i += 2) {
            b[h + i] = _mm256_unpacklo_epi16(a[h + i], a[h + i + 1]);
            b[h + i + 1] = _mm256_unpackhi_epi16(a[h + i], a[h + i + 1]);
        }
#pragma GCC unroll 8
        for (int i = 0; i < 2; i++) {
            c[h + 2 * i] = _mm256_unpacklo_epi32(b[h + i], b[h + i + 2]);
            c[h + 2 * i + 1] = _mm256_unpackhi_epi32(b[h + i], b[h + i + 2]);
            c[h + 2 * i + 4] = _mm256_unpacklo_epi32(b[h + i + 4], b[h + i + 6]);
            c[h + 2 * i + 5] = _mm256_unpackhi_epi32(b[h + i + 4], b[h + i + 6]);
        }
#pragma GCC unroll 8
        for (int i = 0; i < 4; i++) {
            d[h + 2 * i] = _mm256_unpacklo_epi64(c[h + i], c[h + i + 4]);
            d[h + 2 * i + 1] = _mm256_unpackhi_epi64(c[h + i], c[h + i + 4]);
        }
    }
    /* columns 0-7 from the low lanes, 8-15 from the high ones */
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        a[i] = _mm256_permute2x128_si256(d[i], d[i + 8], 0x20);
        a[i + 8] = _mm256_permute2x128_si256(d[i], d[i + 8], 0x31);
    }
}

/* Source rows first..last-1, widened to Q6, one row every `stride`. */
__attribute__((target("avx2")))
static void band_widen(const uint8_t *src, ptrdiff_t linesize, int w, int first, int last,
                       int16_t *wide, int stride)
{
    for (int i = first; i < last; i++) {
        const uint8_t *s = src + (size_t)i * linesize;
        int16_t *d = wide + (size_t)(i - first) * stride;
        int x = 0;

        for (; x + 16 <= w; x += 16)
            _mm256_store_si256((__m256i *)(d + x),
                               _mm256_slli_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(s + x))),
                                                 MID_BITS));
        for (; x < w; x++)
            d[x] = (int16_t)(s[x] << MID_BITS);
    }
}

/* The vertical pass of one band, 16 columns at a time, stored transposed:
 * column x of the band's 16 rows at cols + 16 * x. `ntaps` is a constant
 * where this is inlined, so the tap loop unrolls. */
__attribute__((target("avx2"), always_inline))
static inline void band_vertical(const int16_t *const *top, const __m256i (*weight)[BAND_TAPS], int ntaps,
                                 int stride, int w, int16_t *cols, const Ahead *ahead)
{
    for (int x = 0; x < w; x += 16) {
        __m256i a[BAND];
        if (!(x & 63))
            for (int i = 0; i < ahead->rows; i++)
                _mm_prefetch((const char *)(ahead->src + i * ahead->linesize + x), _MM_HINT_T0);
#pragma GCC unroll 16
        for (int r = 0; r < BAND; r++) {
            const int16_t *p = top[r] + x;
            __m256i acc = _mm256_mulhrs_epi16(_mm256_load_si256((const __m256i *)p), weight[r][0]);
#pragma GCC unroll 24
            for (int k = 1; k < ntaps; k++)
                acc = _mm256_adds_epi16(acc, _mm256_mulhrs_epi16(
                                                 _mm256_load_si256((const __m256i *)(p + (size_t)k * stride)),
                                                 weight[r][k]));
            a[r] = acc;
        }
        transpose16(a);
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++)
            _mm256_store_si256((__m256i *)(cols + (size_t)(x + j) * BAND), a[j]);
    }
}

/* The horizontal pass of one band: 16 output columns from the transposed
 * columns, transposed back and stored as `rows` rows of 8-bit pixels. */
__attribute__((target("avx2"), always_inline))
static inline void band_horizontal(const int16_t *cols, const int *start, const int16_t *coef, int ntaps,
                                   uint8_t *dst, ptrdiff_t linesize, int rows, int w)
{
    /* Q6 to pixels: mulhrs by 1 << 9 is (v + 32) >> 6 */
    const __m256i to_pixels = _mm256_set1_epi16(1 << (15 - MID_BITS));

    for (int x = 0; x < w; x += 16) {
        __m256i a[16];
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            const int16_t *t = cols + (size_t)start[x + j] * BAND, *c = coef + (size_t)(x + j) * ntaps;
            __m256i acc = _mm256_mulhrs_epi16(_mm256_load_si256((const __m256i *)t), _mm256_set1_epi16(c[0]));
#pragma GCC unroll 24
            for (int k = 1; k < ntaps; k++)
                acc = _mm256_adds_epi16(acc, _mm256_mulhrs_epi16(_mm256_load_si256((const __m256i *)(t + BAND * k)),
                                                                 _mm256_set1_epi16(c[k])));
            a[j] = _mm256_mulhrs_epi16(acc, to_pixels);
        }
        transpose16(a);
#pragma GCC unroll 16
        for (int r = 0; r < rows; r++) {
            /* bytes 0-7: columns 0-7, bytes 16-23: columns 8-15 */
            __m256i px = _mm256_packus_epi16(a[r], a[r]);
            uint8_t *d = dst + r * linesize + x;
            if (x + 16 <= w) {
                _mm_storel_epi64((__m128i *)d, _mm256_castsi256_si128(px));
                _mm_storel_epi64((__m128i *)(d + 8), _mm256_extracti128_si256(px, 1));
            } else {
                uint8_t tmp[32];
                _mm256_storeu_si256((__m256i *)tmp, px);
                memcpy(tmp + 8, tmp + 16, 8);
                memcpy(d, tmp, (size_t)(w - x));
            }
        }
    }
}

/* Each pass once per common tap count, so that its tap loop unrolls (the
 * ratios of ladders: 1.25, 1.5, 2, 2.25, 3), and once for any count. Kept
 * to a few: each is a large function to compile. */
#define PASSES(k)                                                                                     \
    __attribute__((target("avx2"))) static void vertical_##k(                                         \
        const int16_t *const *top, const __m256i (*weight)[BAND_TAPS], int ntaps, int stride, int w,  \
        int16_t *cols, const Ahead *ahead)                                                            \
    {                                                                                                 \
        (void)ntaps;                                                                                  \
        band_vertical(top, weight, k ? k : ntaps, stride, w, cols, ahead);                            \
    }                                                                                                 \
    __attribute__((target("avx2"))) static void horizontal_##k(                                       \
        const int16_t *cols, const int *start, const int16_t *coef, int ntaps, uint8_t *dst,          \
        ptrdiff_t linesize, int rows, int w)                                                          \
    {                                                                                                 \
        (void)ntaps;                                                                                  \
        band_horizontal(cols, start, coef, k ? k : ntaps, dst, linesize, rows, w);                    \
    }
PASSES(0) PASSES(6) PASSES(7) PASSES(9) PASSES(10) PASSES(13)
#undef PASSES

static const struct {
    int ntaps;
    VerticalFn *vertical;
    HorizontalFn *horizontal;
} passes[] = {
    { 6, vertical_6, horizontal_6 }, { 7, vertical_7, horizontal_7 }, { 9, vertical_9, horizontal_9 },
    { 10, vertical_10, horizontal_10 }, { 13, vertical_13, horizontal_13 },
};

static void pick_passes(int ntaps, VerticalFn **vertical, HorizontalFn **horizontal)
{
    *vertical = vertical_0;
    *horizontal = horizontal_0;
    for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
        if (passes[i].ntaps == ntaps) {
            *vertical = passes[i].vertical;
            *horizontal = passes[i].horizontal;
        }
}

/* One band of up to 16 output rows starting at y0. */
__attribute__((target("avx2")))
static void scale_band(const Scaler *s, int p, const uint8_t *src, ptrdiff_t src_linesize, int iw,
                       uint8_t *dst, ptrdiff_t dst_linesize, int ow, int y0, int rows)
{
    const Filter *vf = &s->vf[p], *hf = &s->hf[p];
    int first = vf->start[y0], last = vf->start[y0 + rows - 1] + vf->ntaps, n = vf->ntaps;
    int oh = p ? AV_CEIL_RSHIFT(s->dst_h, 1) : s->dst_h;
    __m256i weight[BAND][BAND_TAPS];
    const int16_t *top[BAND];
    Ahead ahead = { src + (size_t)last * src_linesize, src_linesize, 0 };

    dst += (size_t)y0 * dst_linesize;
    if (y0 + BAND < oh)
        ahead.rows = vf->start[FFMIN(y0 + 2 * BAND, oh) - 1] + n - last;
    band_widen(src, src_linesize, iw, first, last, s->wide, s->wide_stride);
    /* rows past the picture's end repeat its last: computed, never stored */
    for (int r = 0; r < BAND; r++) {
        int y = y0 + (r < rows ? r : rows - 1);
        top[r] = s->wide + (size_t)(vf->start[y] - first) * s->wide_stride;
        for (int k = 0; k < n; k++)
            weight[r][k] = _mm256_set1_epi16(vf->coef[(size_t)y * n + k]);
    }
    s->vertical[p](top, (const __m256i (*)[BAND_TAPS])weight, n, s->wide_stride, iw, s->cols, &ahead);
    s->horizontal[p](s->cols, hf->start, hf->coef, hf->ntaps, dst, dst_linesize, rows, ow);
}
#endif

static void reset(Scaler *s)
{
    for (int p = 0; p < 2; p++) {
        filter_free(&s->vf[p]);
        filter_free(&s->hf[p]);
    }
    av_freep(&s->wide);
    av_freep(&s->cols);
    sws_freeContext(s->sws);
    s->sws = NULL;
    s->in_w = s->in_h = 0;
}

static int setup(Scaler *s, const AVFrame *in)
{
    int ret = AVERROR(ENOSYS), rows = 0;

    reset(s);
    s->in_w = in->width;
    s->in_h = in->height;
    s->in_fmt = in->format;
    s->band = 0;
#if HAVE_X86
    s->band = in->format == AV_PIX_FMT_YUV420P && !(s->flags & SCALER_LIBSWSCALE) &&
              __builtin_cpu_supports("avx2");
#endif
    for (int p = 0; s->band && p < 2; p++) {
        int iw = p ? AV_CEIL_RSHIFT(in->width, 1) : in->width, ih = p ? AV_CEIL_RSHIFT(in->height, 1) : in->height;
        int ow = p ? AV_CEIL_RSHIFT(s->dst_w, 1) : s->dst_w, oh = p ? AV_CEIL_RSHIFT(s->dst_h, 1) : s->dst_h;
        if ((ret = filter_init(&s->vf[p], ih, oh)) < 0 || (ret = filter_init(&s->hf[p], iw, ow)) < 0)
            s->band = 0;   /* a ratio we do not do: libswscale does it all */
        /* the most source rows a band reads */
        for (int y = 0; s->band && y < oh; y += BAND) {
            int last = FFMIN(y + BAND, oh) - 1;
            rows = FFMAX(rows, s->vf[p].start[last] + s->vf[p].ntaps - s->vf[p].start[y]);
        }
#if HAVE_X86
        if (s->band) {
            VerticalFn *unused_h;
            HorizontalFn *unused_v;
            pick_passes(s->vf[p].ntaps, &s->vertical[p], &unused_v);
            pick_passes(s->hf[p].ntaps, &unused_h, &s->horizontal[p]);
        }
#endif
    }
    if (ret == AVERROR(ENOMEM))
        return ret;
    if (!s->band) {
        for (int p = 0; p < 2; p++) {
            filter_free(&s->vf[p]);
            filter_free(&s->hf[p]);
        }
        s->sws = sws_getContext(in->width, in->height, in->format, s->dst_w, s->dst_h,
                                AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
        return s->sws ? 0 : AVERROR(EINVAL);
    }
    /* whole vectors of 16: the last ones read past the row into padding */
    s->wide_stride = FFALIGN(in->width, 16) + 16;
    s->wide = av_mallocz(sizeof(int16_t) * (size_t)s->wide_stride * (size_t)rows);
    s->cols = av_mallocz(sizeof(int16_t) * (size_t)FFALIGN(in->width, 16) * BAND);
    return s->wide && s->cols ? 0 : AVERROR(ENOMEM);
}

int scaler_new(Scaler **out, int dst_w, int dst_h, unsigned flags)
{
    Scaler *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return AVERROR(ENOMEM);
    s->dst_w = dst_w;
    s->dst_h = dst_h;
    s->flags = flags;
    *out = s;
    return 0;
}

int scaler_scale(Scaler *s, const AVFrame *in, AVFrame *out)
{
    int ret;

    if (in->width != s->in_w || in->height != s->in_h || in->format != s->in_fmt)
        if ((ret = setup(s, in)) < 0)
            return ret;
    if (!s->band)
        return sws_scale(s->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
                         out->data, out->linesize) < 0 ? AVERROR(EINVAL) : 0;
#if HAVE_X86
    for (int p = 0; p < 3; p++) {
        int iw = p ? AV_CEIL_RSHIFT(in->width, 1) : in->width;
        int ow = p ? AV_CEIL_RSHIFT(s->dst_w, 1) : s->dst_w, oh = p ? AV_CEIL_RSHIFT(s->dst_h, 1) : s->dst_h;
        for (int y = 0; y < oh; y += BAND)
            scale_band(s, p ? 1 : 0, in->data[p], in->linesize[p], iw, out->data[p], out->linesize[p], ow, y,
                       FFMIN(BAND, oh - y));
    }
#endif
    return 0;
}

const char *scaler_method(const Scaler *s)
{
    return !s->in_w ? "none yet" : s->band ? "bands (AVX2)" : "libswscale";
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
