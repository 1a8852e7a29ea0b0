/* common/'s small shared helpers: presets, the SPS head. */
#include "common/common.h"

#include <libavutil/error.h>

#include "check.h"

static void test_presets(void)
{
    char list[200];

    CHECK_EQ_INT(preset_index("ultrafast"), 0);
    CHECK_EQ_INT(preset_index("medium"), 5);
    CHECK_EQ_INT(preset_index("placebo"), PRESET_COUNT - 1);
    CHECK(preset_index(PRESET_DEFAULT) >= 0);
    CHECK_EQ_INT(preset_index("Medium"), -1);
    CHECK_EQ_INT(preset_index("medium "), -1);
    CHECK_EQ_INT(preset_index(""), -1);
    CHECK_EQ_INT(preset_index(NULL), -1);
    CHECK(preset_names[PRESET_COUNT] == NULL);
    preset_list(list, sizeof(list));
    CHECK_EQ_STR(list, "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                       "veryslow, placebo");
    preset_list(list, 12);
    CHECK_EQ_STR(list, "ultrafast, ");
}

static int sps(const uint8_t *d, size_t size, int profile, int constraints, int level)
{
    uint8_t h[3] = { 0xee, 0xee, 0xee };
    int ret = h264_sps_head(d, size, h);

    if (ret >= 0) {
        CHECK_EQ_INT(h[0], profile);
        CHECK_EQ_INT(h[1], constraints);
        CHECK_EQ_INT(h[2], level);
    }
    return ret;
}

static void test_sps(void)
{
    /* x264 High@3.1, four-byte start codes: SPS, PPS */
    static const uint8_t high[] = {
        0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50,
        0x00, 0x00, 0x00, 0x01, 0x68, 0xef, 0x8f, 0xcb,
    };
    /* avcC, Main@3.0 */
    static const uint8_t avcc[] = {
        0x01, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x4d, 0x40, 0x1e,
    };
    /* PPS first, three-byte start codes, Constrained Baseline@3.0 */
    static const uint8_t pps_first[] = {
        0x00, 0x00, 0x01, 0x68, 0xce, 0x3c, 0x80,
        0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02,
    };
    /* an emulation prevention byte between constraints and level: profile 0
     * and constraints 0 are two zero bytes, so a level of 1 is escaped */
    static const uint8_t epb_level[] = { 0x00, 0x00, 0x01, 0x67, 0x00, 0x00, 0x03, 0x01, 0x80 };
    /* ... and one after a zero profile and a zero level byte's worth:
     * 00 00 03 00 is constraints 0 then level 0 */
    static const uint8_t epb_zero[] = {
        0x00, 0x00, 0x00, 0x01, 0x67, 0x00, 0x00, 0x03, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x68,
    };
    /* 03 not after two zeros is data */
    static const uint8_t three[] = { 0x00, 0x00, 0x01, 0x67, 0x03, 0x00, 0x03, 0x80 };
    /* the SPS ends at the next start code before three bytes */
    static const uint8_t cut_by_start[] = { 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x00, 0x01, 0x68, 0xef };
    static const uint8_t cut_by_end[] = { 0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00 };
    /* an escape that leaves only two bytes */
    static const uint8_t cut_after_epb[] = { 0x00, 0x00, 0x01, 0x67, 0x00, 0x00, 0x03 };
    static const uint8_t no_sps[] = { 0x00, 0x00, 0x00, 0x01, 0x68, 0xef, 0x8f, 0xcb };
    /* nal_ref_idc bits do not hide the type */
    static const uint8_t sps_ref0[] = { 0x00, 0x00, 0x01, 0x07, 0x42, 0x00, 0x0d };

    CHECK_EQ_INT(sps(high, sizeof(high), 0x64, 0x00, 0x1f), 0);
    CHECK_EQ_INT(sps(avcc, sizeof(avcc), 0x4d, 0x40, 0x1e), 0);
    CHECK_EQ_INT(sps(pps_first, sizeof(pps_first), 0x42, 0xc0, 0x1e), 0);
    CHECK_EQ_INT(sps(epb_level, sizeof(epb_level), 0x00, 0x00, 0x01), 0);
    CHECK_EQ_INT(sps(epb_zero, sizeof(epb_zero), 0x00, 0x00, 0x00), 0);
    CHECK_EQ_INT(sps(three, sizeof(three), 0x03, 0x00, 0x03), 0);
    CHECK_EQ_INT(sps(sps_ref0, sizeof(sps_ref0), 0x42, 0x00, 0x0d), 0);
    CHECK_EQ_INT(sps(cut_by_start, sizeof(cut_by_start), 0, 0, 0), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(sps(cut_by_end, sizeof(cut_by_end), 0, 0, 0), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(sps(cut_after_epb, sizeof(cut_after_epb), 0, 0, 0), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(sps(no_sps, sizeof(no_sps), 0, 0, 0), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(sps(avcc, 3, 0, 0, 0), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(sps(NULL, 0, 0, 0, 0), AVERROR_INVALIDDATA);
}

int main(void)
{
    test_presets();
    test_sps();
    return CHECK_DONE();
}
