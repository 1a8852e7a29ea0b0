/* Planning a ladder: who scales from whom, and how the cores are shared. */
#include "encoder.h"

#include <math.h>
#include <string.h>

void encoder_plan_cascade(const int *w, const int *h, int n, int src_w, int src_h, int *parent)
{
    int64_t src_area = (int64_t)src_w * src_h;

    for (int i = 0; i < n; i++) {
        int64_t best_area = src_area;
        parent[i] = -1;
        for (int j = 0; j < n; j++) {
            int64_t area = (int64_t)w[j] * h[j];
            if (j == i || w[j] < w[i] || h[j] < h[i])
                continue;
            /* only a whole ratio: the rung's samples then sit on the same
             * grid as a direct scale's, and the picture matches it closely
             * (720 to 360 lines is 61 dB from direct; 720 to 480 only 56,
             * which costs 0.5 dB after encoding) */
            if (w[j] % w[i] || h[j] % h[i] || w[j] / w[i] != h[j] / h[i])
                continue;
            /* an equal size only from an earlier rung: no cycles */
            if (w[j] == w[i] && h[j] == h[i] && j > i)
                continue;
            /* scaling cost grows with the input: a smaller parent is cheaper */
            if (area < best_area) {
                best_area = area;
                parent[i] = j;
            }
        }
    }
}

void encoder_budget_threads(const int *w, const int *h, int n, int cores, int *threads)
{
    int64_t total = 0;

    for (int i = 0; i < n; i++)
        total += (int64_t)w[i] * h[i];
    for (int i = 0; i < n; i++) {
        /* shares of 1.5 threads a core (x264's own rule for one encoder)
         * by pixels: few frame threads per encoder are the most efficient
         * when several encoders run side by side, and the largest rung gets
         * enough that it does not hold the others back */
        double share = total ? (double)w[i] * h[i] / (double)total : 1.0 / n;
        int t = (int)lround(share * cores * 1.5);
        threads[i] = t < 1 ? 1 : t > 16 ? 16 : t;
    }
}

/* CPU an encoder spends on a pixel, in units of the CPU that decoding a
 * pixel of H.264 takes: x264 at each preset, measured single-threaded on a
 * 720p rung at 3 Mbit/s against the decoding of a 1080p 8 Mbit/s source
 * (bench/RESULTS.md). Slower presets cost more than medium, the last row;
 * taking its figure for them errs towards giving the decoder threads. */
static double cpu_per_pixel(const EncoderBackend *b, const char *preset)
{
    /* by index in preset_names, from ultrafast to medium */
    static const double x264_cost[] = { 1.2, 2.5, 4.1, 6.1, 8.1, 8.7 };
    const int n = (int)(sizeof(x264_cost) / sizeof(x264_cost[0]));
    int i = preset_index(preset ? preset : PRESET_DEFAULT);

    if (b->hardware)
        return 0;
    return i >= 0 && i < n ? x264_cost[i] : x264_cost[n - 1];
}

int64_t encoder_budget_decode(const int *w, const int *h, int n, AVRational fps, int cores,
                              const EncoderBackend *b, const char *preset)
{
    double encode = 0;

    if (cores <= 1)
        return INT64_MAX;   /* one core: frame threads only take turns */
    for (int i = 0; i < n; i++)
        encode += (double)w[i] * h[i];
    encode *= cpu_per_pixel(b, preset);
    /* decode <= 3/4 (decode + encode) / cores */
    return (int64_t)(0.75 * encode / (cores - 0.75) * (fps.num > 0 && fps.den > 0 ? av_q2d(fps) : 25.0));
}
