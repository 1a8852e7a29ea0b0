/* The output clock, the segment grid and picture fitting. */
#include "common.h"

#include <stdio.h>
#include <time.h>

#include <libavutil/mathematics.h>

int64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_format_iso(int64_t wall_us, char *out, size_t size)
{
    time_t sec = (time_t)(wall_us >= 0 ? wall_us / 1000000 : (wall_us - 999999) / 1000000);
    int ms = (int)((wall_us - (int64_t)sec * 1000000) / 1000);
    struct tm tm;

    gmtime_r(&sec, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int64_t air_clock_time(const AirClock *c, int64_t frame)
{
    return c->epoch_us + av_rescale((frame - c->first_frame) * 1000000, c->fps.den, c->fps.num);
}

int64_t air_clock_frame_at(const AirClock *c, int64_t t)
{
    if (t <= c->epoch_us)
        return c->first_frame;
    return c->first_frame + av_rescale_rnd(t - c->epoch_us, c->fps.num, (int64_t)c->fps.den * 1000000,
                                           AV_ROUND_UP);
}

int64_t grid_segment_start(const SegmentGrid *g, int64_t k)
{
    /* round(k * segment_us * fps / 1e6), exact in integers */
    return av_rescale_rnd(k * g->segment_us, g->fps.num, (int64_t)g->fps.den * 1000000,
                          AV_ROUND_NEAR_INF);
}

int64_t grid_segment_of_frame(const SegmentGrid *g, int64_t frame)
{
    int64_t k;

    if (frame <= 0)
        return 0;
    k = av_rescale_rnd(frame, (int64_t)g->fps.den * 1000000, g->segment_us * g->fps.num,
                       AV_ROUND_DOWN);
    while (k > 0 && grid_segment_start(g, k) > frame)
        k--;
    while (grid_segment_start(g, k + 1) <= frame)
        k++;
    return k;
}

int grid_is_boundary(const SegmentGrid *g, int64_t frame)
{
    return grid_segment_start(g, grid_segment_of_frame(g, frame)) == frame;
}

int grid_max_segment_frames(const SegmentGrid *g)
{
    /* the pattern of lengths repeats; its two values differ by at most one */
    int64_t exact = av_rescale_rnd(g->segment_us, g->fps.num, (int64_t)g->fps.den * 1000000,
                                   AV_ROUND_UP);
    return exact < 1 ? 1 : (int)exact;
}

void rung_fit(int src_w, int src_h, AVRational sar, int box_w, int box_h, int *out_w, int *out_h)
{
    /* display aspect = src_w * sar / src_h */
    int64_t dar_num, dar_den;
    int w, h;

    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    dar_num = (int64_t)src_w * sar.num;
    dar_den = (int64_t)src_h * sar.den;
    /* try full box height; width follows */
    h = box_h;
    w = (int)av_rescale_rnd(h, dar_num, dar_den, AV_ROUND_NEAR_INF);
    if (w > box_w) {
        w = box_w;
        h = (int)av_rescale_rnd(w, dar_den, dar_num, AV_ROUND_NEAR_INF);
    }
    /* even, at least 2 */
    w = (w + 1) & ~1;
    h = (h + 1) & ~1;
    if (w > box_w)
        w = box_w & ~1;
    if (h > box_h)
        h = box_h & ~1;
    *out_w = w < 2 ? 2 : w;
    *out_h = h < 2 ? 2 : h;
}
