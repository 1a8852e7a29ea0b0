/* Planning a ladder: who scales from whom, and how the cores are shared. */
#include "encoder.h"

#include <math.h>

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
