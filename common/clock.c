/* The output clock, the segment grid (and its LL-HLS parts), and picture fitting. */
#include "common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/common.h>
#include <libavutil/mathematics.h>

int64_t clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

int64_t clock_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void clock_format_utc(int64_t wall_us, unsigned flags, char *out, size_t size)
{
    int64_t days = clock_floor_div(wall_us, 86400LL * 1000000), us = wall_us - days * 86400LL * 1000000;
    int y, m, d, n = 0;
    char ms[8] = "";

    if (!out || !size)
        return;
    if ((flags & CLOCK_UTC_MS) || us % 1000000)
        snprintf(ms, sizeof(ms), ".%03d", (int)(us % 1000000 / 1000));
    if (flags & CLOCK_UTC_DATE) {
        civil_from_days(days, &y, &m, &d);
        n = snprintf(out, size, "%04d-%02d-%02dT", y, m, d);
        if (n < 0 || (size_t)n >= size)
            return;
    }
    snprintf(out + n, size - (size_t)n, "%02d:%02d:%02d%sZ", (int)(us / 3600000000LL),
             (int)(us / 60000000 % 60), (int)(us / 1000000 % 60), ms);
}

void clock_format_iso(int64_t wall_us, char *out, size_t size)
{
    clock_format_utc(wall_us, CLOCK_UTC_DATE | CLOCK_UTC_MS, out, size);
}

void clock_sleep_us(int64_t us, int (*stop)(void *opaque), void *opaque)
{
    int64_t until = clock_monotonic_us() + us, left;

    while ((left = until - clock_monotonic_us()) > 0 && !(stop && stop(opaque))) {
        struct timespec ts = { 0, FFMIN(left, 10000) * 1000 };
        nanosleep(&ts, NULL);
    }
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

/* ---- the regular grid ---- */

static int64_t regular_start(const SegmentGrid *g, int64_t k)
{
    /* round(k * segment_us * fps / 1e6), exact in integers */
    return av_rescale_rnd(k * g->segment_us, g->fps.num, (int64_t)g->fps.den * 1000000,
                          AV_ROUND_NEAR_INF);
}

static int64_t regular_of(const SegmentGrid *g, int64_t frame)
{
    int64_t k;

    if (frame <= 0)
        return 0;
    k = av_rescale_rnd(frame, (int64_t)g->fps.den * 1000000, g->segment_us * g->fps.num,
                       AV_ROUND_DOWN);
    while (k > 0 && regular_start(g, k) > frame)
        k--;
    while (regular_start(g, k + 1) <= frame)
        k++;
    return k;
}

static int regular_is_boundary(const SegmentGrid *g, int64_t frame)
{
    return regular_start(g, regular_of(g, frame)) == frame;
}

/* ---- splices ---- */

/* Numbering: segment of frame f = regular_of(f) + offset + the splices at
 * or before f, where offset = anchor_number - regular_of(anchor_frame)
 * (0 without an anchor) and only splices after the anchor that are not
 * regular boundaries are kept, sorted. */
struct GridSplices {
    pthread_mutex_t lock;
    int64_t *frames;
    int n, cap;
    int anchored;
    int64_t anchor_frame, anchor_number;
    int64_t committed;             /* the last frame an encoder asked about */
};

int grid_splices_new(GridSplices **out)
{
    GridSplices *s = calloc(1, sizeof(*s));

    *out = s;
    if (!s)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&s->lock, NULL);
    s->committed = INT64_MIN;
    return 0;
}

void grid_splices_free(GridSplices **ps)
{
    GridSplices *s = *ps;

    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->frames);
    free(s);
    *ps = NULL;
}

/* The splices at or before frame. With lock. */
static int splices_upto(const GridSplices *s, int64_t frame)
{
    int lo = 0, hi = s->n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->frames[mid] <= frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* With lock. */
static int64_t spliced_of(const SegmentGrid *g, const GridSplices *s, int64_t frame)
{
    int64_t offset = s->anchored ? s->anchor_number - regular_of(g, s->anchor_frame) : 0;
    return regular_of(g, frame) + offset + splices_upto(s, frame);
}

/* Moves the anchor to splice i (passed by the encoders) and drops the
 * splices up to it. With lock. */
static void fold_splices(const SegmentGrid *g, GridSplices *s, int i)
{
    int64_t frame = s->frames[i], number = spliced_of(g, s, frame);

    s->anchored = 1;
    s->anchor_frame = frame;
    s->anchor_number = number;
    memmove(s->frames, s->frames + i + 1, sizeof(*s->frames) * (size_t)(s->n - i - 1));
    s->n -= i + 1;
}

int grid_splices_add(const SegmentGrid *g, int64_t frame)
{
    GridSplices *s = g->splices;
    int i, ret = 0;

    if (!s)
        return AVERROR(EINVAL);
    pthread_mutex_lock(&s->lock);
    if (frame <= s->committed || (s->anchored && frame <= s->anchor_frame)) {
        ret = AVERROR(EAGAIN);
        goto end;
    }
    i = splices_upto(s, frame);
    if (regular_is_boundary(g, frame) || (i > 0 && s->frames[i - 1] == frame))
        goto end;
    if (s->n == s->cap) {
        /* what the encoders passed is history: fold the older half */
        int passed = splices_upto(s, s->committed);
        if (passed > 0 && s->n >= GRID_SPLICES_AHEAD / 2) {
            fold_splices(g, s, passed - 1);
        } else if (s->n >= GRID_SPLICES_AHEAD) {
            ret = AVERROR(ENOSPC);
            goto end;
        } else {
            int cap = s->cap ? 2 * s->cap : 16;
            int64_t *f = realloc(s->frames, sizeof(*f) * (size_t)cap);
            if (!f) {
                ret = AVERROR(ENOMEM);
                goto end;
            }
            s->frames = f;
            s->cap = cap;
        }
        i = splices_upto(s, frame);
    }
    memmove(s->frames + i + 1, s->frames + i, sizeof(*s->frames) * (size_t)(s->n - i));
    s->frames[i] = frame;
    s->n++;
end:
    pthread_mutex_unlock(&s->lock);
    return ret;
}

void grid_splices_drop_from(const SegmentGrid *g, int64_t frame)
{
    GridSplices *s = g->splices;

    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->n = splices_upto(s, FFMAX(frame - 1, s->committed));
    pthread_mutex_unlock(&s->lock);
}

int grid_splices_remove(const SegmentGrid *g, int64_t frame)
{
    GridSplices *s = g->splices;
    int i, ret = 0;

    if (!s)
        return 0;
    pthread_mutex_lock(&s->lock);
    i = splices_upto(s, frame);
    if (i > 0 && s->frames[i - 1] == frame) {
        if (frame <= s->committed) {
            ret = AVERROR(EAGAIN);
        } else {
            memmove(s->frames + i - 1, s->frames + i, sizeof(*s->frames) * (size_t)(s->n - i));
            s->n--;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

void grid_splices_anchor(const SegmentGrid *g, int64_t frame, int64_t number)
{
    GridSplices *s = g->splices;
    int i;

    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    i = splices_upto(s, frame);
    if (s->n > i)   /* frames is NULL while there are none */
        memmove(s->frames, s->frames + i, sizeof(*s->frames) * (size_t)(s->n - i));
    s->n -= i;
    s->anchored = 1;
    s->anchor_frame = frame;
    s->anchor_number = number;
    pthread_mutex_unlock(&s->lock);
}

/* ---- the grid as the stages see it ---- */

int64_t grid_segment_of_frame(const SegmentGrid *g, int64_t frame)
{
    int64_t k;

    if (!g->splices)
        return regular_of(g, frame);
    pthread_mutex_lock(&g->splices->lock);
    k = spliced_of(g, g->splices, frame);
    pthread_mutex_unlock(&g->splices->lock);
    return k;
}

int64_t grid_segment_start(const SegmentGrid *g, int64_t k)
{
    const GridSplices *s = g->splices;
    int64_t offset, lo, hi;

    if (!s)
        return regular_start(g, k);
    pthread_mutex_lock(&g->splices->lock);
    /* segment k is the first frame whose number reaches k; splices only
     * add starts, so it lies between regular segment k - offset - n and
     * regular segment k - offset */
    offset = s->anchored ? s->anchor_number - regular_of(g, s->anchor_frame) : 0;
    /* frames before 0 do not exist: the grid counts them as segment 0's */
    lo = FFMAX(regular_start(g, k - offset - s->n), 0);
    hi = FFMAX(regular_start(g, k - offset), lo);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (spliced_of(g, s, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    pthread_mutex_unlock(&g->splices->lock);
    return lo;
}

int grid_is_boundary(const SegmentGrid *g, int64_t frame)
{
    int spliced;

    if (regular_is_boundary(g, frame))
        return 1;
    if (!g->splices)
        return 0;
    pthread_mutex_lock(&g->splices->lock);
    spliced = splices_upto(g->splices, frame) > splices_upto(g->splices, frame - 1);
    pthread_mutex_unlock(&g->splices->lock);
    return spliced;
}

int grid_encode_keyframe(const SegmentGrid *g, int64_t frame)
{
    if (g->splices) {
        pthread_mutex_lock(&g->splices->lock);
        g->splices->committed = FFMAX(g->splices->committed, frame);
        pthread_mutex_unlock(&g->splices->lock);
    }
    return grid_is_boundary(g, frame);
}

int grid_max_segment_frames(const SegmentGrid *g)
{
    /* the pattern of lengths repeats; its two values differ by at most one */
    int64_t exact = av_rescale_rnd(g->segment_us, g->fps.num, (int64_t)g->fps.den * 1000000,
                                   AV_ROUND_UP);
    return exact < 1 ? 1 : (int)exact;
}

int64_t grid_part_frames(AVRational fps, int64_t part_us)
{
    return FFMAX(1, av_rescale_rnd(part_us, fps.num, (int64_t)fps.den * 1000000, AV_ROUND_DOWN));
}

int64_t grid_segment_parts(int64_t seg_frames, int64_t part_frames)
{
    return (seg_frames + part_frames - 1) / part_frames;
}

int64_t grid_last_part_frames(int64_t seg_frames, int64_t part_frames)
{
    return seg_frames - part_frames * ((seg_frames - 1) / part_frames);
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
