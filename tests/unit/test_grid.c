/* The segment grid and picture fitting. */
#include "check.h"
#include "common/common.h"

#include <stdio.h>

#include <libavutil/error.h>

/* Every boundary of g from frame `from` to `to`, by walking frame by frame
 * (grid_is_boundary), agrees with the numbering: segment k starts at the
 * k-th boundary, numbers rise by one, and each frame is in the segment that
 * started last. */
static void check_numbering(const SegmentGrid *g, int64_t from, int64_t to)
{
    int64_t k = grid_segment_of_frame(g, from), wrong = 0;

    for (int64_t f = from + 1; f < to; f++) {
        int64_t want = grid_is_boundary(g, f) ? k + 1 : k;
        if (grid_segment_of_frame(g, f) != want ||
            (want != k && grid_segment_start(g, want) != f)) {
            if (wrong++ < 5)
                fprintf(stderr, "frame %lld: segment %lld (starts %lld), expected %lld\n", (long long)f,
                        (long long)grid_segment_of_frame(g, f),
                        (long long)grid_segment_start(g, grid_segment_of_frame(g, f)), (long long)want);
        }
        k = want;
    }
    CHECK_EQ_INT(wrong, 0);
}

/* Splices: a segment cut short at each, the regular starts kept, one more
 * segment for each; refused once an encoder reached the frame; numbering
 * carried on by an anchor (a restart) and by folding old splices. */
static void check_splices(void)
{
    SegmentGrid g = { .fps = { 25, 1 }, .segment_us = 2000000 };   /* 50 frames */
    SegmentGrid g2997 = { .fps = { 30000, 1001 }, .segment_us = 2000000 };

    CHECK_EQ_INT(grid_splices_new(&g.splices), 0);
    /* a splice in the first segment: segment 0 still starts at frame 0 */
    CHECK_EQ_INT(grid_splices_add(&g, 30), 0);
    CHECK_EQ_INT(grid_segment_start(&g, 0), 0);
    CHECK_EQ_INT(grid_segment_start(&g, 1), 30);
    CHECK_EQ_INT(grid_segment_of_frame(&g, 0), 0);
    check_numbering(&g, 0, 400);
    grid_splices_free(&g.splices);
    CHECK_EQ_INT(grid_splices_new(&g.splices), 0);
    CHECK_EQ_INT(grid_splices_add(&g, 130), 0);   /* in segment 2 (100..149) */
    CHECK_EQ_INT(grid_splices_add(&g, 130), 0);   /* twice is once */
    CHECK_EQ_INT(grid_splices_add(&g, 150), 0);   /* a regular start already */
    CHECK_EQ_INT(grid_splices_add(&g, 207), 0);
    CHECK(grid_is_boundary(&g, 130));
    CHECK(grid_is_boundary(&g, 150));
    CHECK(!grid_is_boundary(&g, 131));
    CHECK_EQ_INT(grid_segment_of_frame(&g, 129), 2);
    CHECK_EQ_INT(grid_segment_of_frame(&g, 130), 3);
    CHECK_EQ_INT(grid_segment_start(&g, 3), 130);
    CHECK_EQ_INT(grid_segment_start(&g, 4), 150);
    CHECK_EQ_INT(grid_segment_start(&g, 5), 200);
    CHECK_EQ_INT(grid_segment_start(&g, 6), 207);
    CHECK_EQ_INT(grid_segment_start(&g, 7), 250);
    CHECK_EQ_INT(grid_segment_of_frame(&g, 1000), 22);
    check_numbering(&g, 0, 1200);
    /* an encoder at 300: too late for 300, not for 301 */
    CHECK_EQ_INT(grid_encode_keyframe(&g, 300), 1);
    CHECK_EQ_INT(grid_encode_keyframe(&g, 301), 0);
    CHECK_EQ_INT(grid_splices_add(&g, 301), AVERROR(EAGAIN));
    CHECK_EQ_INT(grid_splices_add(&g, 290), AVERROR(EAGAIN));
    CHECK_EQ_INT(grid_splices_add(&g, 333), 0);
    /* a cut that went on air a frame later: moved, before the encoders reach it */
    CHECK_EQ_INT(grid_splices_add(&g, 310), 0);
    CHECK_EQ_INT(grid_splices_remove(&g, 310), 0);
    CHECK(!grid_is_boundary(&g, 310));
    CHECK_EQ_INT(grid_splices_remove(&g, 311), 0);   /* none there */
    CHECK_EQ_INT(grid_splices_remove(&g, 207), AVERROR(EAGAIN));
    CHECK(grid_is_boundary(&g, 207));
    CHECK_EQ_INT(grid_encode_keyframe(&g, 333), 1);
    check_numbering(&g, 0, 1200);
    /* a restart: segment 40 starts at 333 (wherever the splices before were) */
    grid_splices_anchor(&g, 333, 40);
    CHECK_EQ_INT(grid_segment_of_frame(&g, 333), 40);
    CHECK_EQ_INT(grid_segment_start(&g, 41), 350);
    CHECK_EQ_INT(grid_splices_add(&g, 320), AVERROR(EAGAIN));   /* before the anchor */
    CHECK_EQ_INT(grid_splices_add(&g, 360), 0);
    CHECK_EQ_INT(grid_segment_of_frame(&g, 360), 42);
    CHECK_EQ_INT(grid_segment_start(&g, 43), 400);
    check_numbering(&g, 333, 1200);
    grid_splices_free(&g.splices);

    /* years of breaks: the list stays bounded, the numbers exact; at 29.97 */
    CHECK_EQ_INT(grid_splices_new(&g2997.splices), 0);
    {
        int64_t frame = 0, k0, failed = 0;
        for (int i = 0; i < 3 * GRID_SPLICES_AHEAD; i++) {
            frame += 997;                 /* off the regular grid mostly */
            if (grid_splices_add(&g2997, frame) < 0)
                failed++;
            grid_encode_keyframe(&g2997, frame - 500);
        }
        CHECK_EQ_INT(failed, 0);
        k0 = grid_segment_of_frame(&g2997, frame - 3000);
        check_numbering(&g2997, frame - 3000, frame + 3000);
        /* as many segments as regular starts and splices since the start */
        CHECK(k0 > (frame - 3000) / 60);
    }
    grid_splices_free(&g2997.splices);
}

int main(void)
{
    SegmentGrid g30 = { .fps = { 30, 1 }, .segment_us = 2000000 };
    SegmentGrid g2997 = { .fps = { 30000, 1001 }, .segment_us = 2000000 };
    SegmentGrid g25 = { .fps = { 25, 1 }, .segment_us = 6000000 };
    int w, h;

    CHECK_EQ_INT(grid_segment_start(&g30, 0), 0);
    CHECK_EQ_INT(grid_segment_start(&g30, 1), 60);
    CHECK_EQ_INT(grid_segment_start(&g30, 7), 420);
    CHECK_EQ_INT(grid_segment_of_frame(&g30, 59), 0);
    CHECK_EQ_INT(grid_segment_of_frame(&g30, 60), 1);
    CHECK(grid_is_boundary(&g30, 120));
    CHECK(!grid_is_boundary(&g30, 121));
    CHECK_EQ_INT(grid_max_segment_frames(&g30), 60);
    CHECK_EQ_INT(grid_segment_start(&g25, 1), 150);

    /* 29.97: boundaries round 59.94 k; lengths 60 or 59, never drifting */
    CHECK_EQ_INT(grid_segment_start(&g2997, 1), 60);
    CHECK_EQ_INT(grid_segment_start(&g2997, 9), 539);
    CHECK_EQ_INT(grid_segment_start(&g2997, 1000), 59940);
    CHECK_EQ_INT(grid_max_segment_frames(&g2997), 60);
    for (int64_t k = 0; k < 2000; k++) {
        int64_t a = grid_segment_start(&g2997, k), b = grid_segment_start(&g2997, k + 1);
        CHECK(b - a == 59 || b - a == 60);
        CHECK_EQ_INT(grid_segment_of_frame(&g2997, a), k);
        CHECK_EQ_INT(grid_segment_of_frame(&g2997, b - 1), k);
        CHECK(grid_is_boundary(&g2997, a));
        if (b - a > 1)
            CHECK(!grid_is_boundary(&g2997, a + 1));
    }
    check_splices();
    /* a week at 30 fps stays exact */
    CHECK_EQ_INT(grid_segment_start(&g30, 302400), 18144000);

    rung_fit(1920, 1080, (AVRational){ 1, 1 }, 1280, 720, &w, &h);
    CHECK_EQ_INT(w, 1280);
    CHECK_EQ_INT(h, 720);
    rung_fit(1440, 1080, (AVRational){ 1, 1 }, 1280, 720, &w, &h);   /* 4:3 */
    CHECK_EQ_INT(w, 960);
    CHECK_EQ_INT(h, 720);
    rung_fit(1920, 800, (AVRational){ 1, 1 }, 1280, 720, &w, &h);    /* 2.4:1 */
    CHECK_EQ_INT(w, 1280);
    CHECK_EQ_INT(h, 534);
    rung_fit(720, 576, (AVRational){ 64, 45 }, 854, 480, &w, &h);    /* anamorphic 16:9 PAL */
    CHECK_EQ_INT(w, 854);
    CHECK_EQ_INT(h, 480);
    rung_fit(1920, 1080, (AVRational){ 1, 1 }, 854, 480, &w, &h);
    CHECK_EQ_INT(w, 854);
    CHECK_EQ_INT(h, 480);
    CHECK(w % 2 == 0 && h % 2 == 0);
    return CHECK_DONE();
}
