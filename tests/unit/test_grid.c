/* The segment grid and picture fitting. */
#include "check.h"
#include "common/common.h"

int main(void)
{
    SegmentGrid g30 = { { 30, 1 }, 2000000 };
    SegmentGrid g2997 = { { 30000, 1001 }, 2000000 };
    SegmentGrid g25 = { { 25, 1 }, 6000000 };
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
