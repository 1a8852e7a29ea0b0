/* Ladder planning: cascades and thread budgets; the backend registry. */
#include "check.h"
#include "encoder/encoder.h"

/* The names users may write (common/) are the registry's, and "auto". */
static void check_names(void)
{
    const EncoderBackend *const *all = encoder_backends();
    int n = 0;

    CHECK_EQ_STR(encoder_choice_names[0], ENCODER_CHOICE_DEFAULT);
    for (int i = 0; all[i]; i++, n++) {
        CHECK(choice_index(encoder_choice_names, all[i]->name) > 0);
        CHECK(encoder_backend_find(all[i]->name) == all[i]);
    }
    CHECK_EQ_INT(choice_index(encoder_choice_names, NULL), -1);
    for (int i = 1; encoder_choice_names[i]; i++)
        CHECK(encoder_backend_find(encoder_choice_names[i]) != NULL);
    CHECK(encoder_choice_names[n + 1] == NULL);
    for (int i = 0; encoder_fallback_names[i]; i++)
        CHECK(!strcmp(encoder_fallback_names[i], "none") || encoder_backend_find(encoder_fallback_names[i]));
    CHECK(choice_index(encoder_fallback_names, ENCODER_FALLBACK_DEFAULT) >= 0);
}

int main(void)
{
    int w[] = { 1280, 854, 640 }, h[] = { 720, 480, 360 }, parent[3], threads[3];
    char why[256];
    const EncoderBackend *b;

    check_names();

    /* 360 lines from 720 (a whole 2x); 480 from the source: 720 to 480
     * would not match a direct scale closely enough */
    encoder_plan_cascade(w, h, 3, 1920, 1080, parent);
    CHECK_EQ_INT(parent[0], -1);
    CHECK_EQ_INT(parent[1], -1);
    CHECK_EQ_INT(parent[2], 0);

    /* the source is the largest picture: no rung scales from a rung as big */
    encoder_plan_cascade(w, h, 3, 1280, 720, parent);
    CHECK_EQ_INT(parent[0], -1);
    CHECK_EQ_INT(parent[1], -1);
    CHECK_EQ_INT(parent[2], -1);

    /* 1080, 540, 270 from a 4K source: each from the nearest whole multiple */
    {
        int w5[] = { 1920, 960, 480 }, h5[] = { 1080, 540, 270 }, p5[3];
        encoder_plan_cascade(w5, h5, 3, 3840, 2160, p5);
        CHECK_EQ_INT(p5[0], -1);
        CHECK_EQ_INT(p5[1], 0);
        CHECK_EQ_INT(p5[2], 1);
    }
    /* listed small to large: parents are found by size, not order */
    {
        int w2[] = { 640, 1280 }, h2[] = { 360, 720 }, p2[2];
        encoder_plan_cascade(w2, h2, 2, 1920, 1080, p2);
        CHECK_EQ_INT(p2[0], 1);
        CHECK_EQ_INT(p2[1], -1);
    }
    /* two rungs of one size: the second reuses the first's picture, no cycle */
    {
        int w3[] = { 640, 640 }, h3[] = { 360, 360 }, p3[2];
        encoder_plan_cascade(w3, h3, 2, 1920, 1080, p3);
        CHECK_EQ_INT(p3[0], -1);
        CHECK_EQ_INT(p3[1], 0);
    }
    /* a narrower-but-taller rung cannot feed a wider one */
    {
        int w4[] = { 960, 1280 }, h4[] = { 720, 536 }, p4[2];
        encoder_plan_cascade(w4, h4, 2, 1920, 1080, p4);
        CHECK_EQ_INT(p4[0], -1);
        CHECK_EQ_INT(p4[1], -1);
    }

    /* 2 cores: the largest rung gets two frame threads, the others one */
    encoder_budget_threads(w, h, 3, 2, threads);
    CHECK_EQ_INT(threads[0], 2);
    CHECK_EQ_INT(threads[1], 1);
    CHECK_EQ_INT(threads[2], 1);
    encoder_budget_threads(w, h, 3, 16, threads);
    CHECK(threads[0] > threads[2]);

    /* decoding 1080p30 in one thread: while the x264 rungs are most of
     * the work on few cores; not on many cores, for a single small rung,
     * or when a hardware encoder leaves decoding as the CPU's main work */
    {
        const int64_t src = 1920LL * 1080 * 30, src4k = 3840LL * 2160 * 60;
        AVRational fps = { 30, 1 };
        int w1[] = { 640 }, h1[] = { 360 }, w7[] = { 1280 }, h7[] = { 720 };
        CHECK(encoder_budget_decode(w, h, 3, fps, 2, &encoder_x264, "veryfast") >= src);
        CHECK(encoder_budget_decode(w, h, 3, fps, 2, &encoder_x264, "veryfast") < src4k);
        CHECK(encoder_budget_decode(w, h, 3, fps, 16, &encoder_x264, "veryfast") < src);
        CHECK(encoder_budget_decode(w1, h1, 1, fps, 2, &encoder_x264, "veryfast") < src);
        CHECK(encoder_budget_decode(w1, h1, 1, fps, 2, &encoder_x264, "medium") < src);
        CHECK(encoder_budget_decode(w7, h7, 1, fps, 2, &encoder_x264, "veryfast") >= src);
        CHECK(encoder_budget_decode(w, h, 3, fps, 2, &encoder_x264, "ultrafast") <
              encoder_budget_decode(w, h, 3, fps, 2, &encoder_x264, "slow"));
        CHECK_EQ_INT(encoder_budget_decode(w, h, 3, fps, 2, &encoder_nvenc, "veryfast"), 0);
        CHECK(encoder_budget_decode(w1, h1, 1, fps, 1, &encoder_x264, "ultrafast") == INT64_MAX);
    }

    CHECK_EQ_INT(encoder_backend_pick("x264", &b, why, sizeof(why)), 0);
    CHECK(b == &encoder_x264);
    CHECK_EQ_INT(encoder_backend_pick("bogus", &b, why, sizeof(why)), AVERROR(EINVAL));
    CHECK(strstr(why, "bogus") != NULL);
    CHECK(encoder_backend_pick("auto", &b, why, sizeof(why)) == 0 && b != NULL);
    CHECK(encoder_backend_find("nvenc") == &encoder_nvenc);
    return CHECK_DONE();
}
