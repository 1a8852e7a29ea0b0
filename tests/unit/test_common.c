/* common/'s small shared helpers: presets, the SPS head, backoff, floor
 * division, time and text formatting, JSON strings, LL-HLS part lengths. */
#include "common/common.h"
#include "common/metrics.h"

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
    choice_list(preset_names, list, sizeof(list));
    CHECK_EQ_STR(list, "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                       "veryslow, placebo");
    choice_list(preset_names, list, 12);
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

static void test_backoff(void)
{
    /* the sources' reconnects: 250 ms doubling to 4 s */
    static const int64_t want[] = { 250000, 250000, 500000, 1000000, 2000000, 4000000, 4000000 };

    for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
        CHECK_EQ_INT(backoff_delay(250000, 4000000, i), want[i]);
    CHECK_EQ_INT(backoff_delay(250000, 4000000, 1000), 4000000);
    CHECK_EQ_INT(backoff_delay(250000, 4000000, 63), 4000000);
    CHECK_EQ_INT(backoff_delay(250000, 4000000, INT32_MAX), 4000000);
    CHECK_EQ_INT(backoff_delay(100000, 5000000, 6), 3200000);
    CHECK_EQ_INT(backoff_delay(100000, 5000000, 7), 5000000);
    /* a first wait over the cap is the cap */
    CHECK_EQ_INT(backoff_delay(9000000, 5000000, 1), 5000000);
    /* no overflow however long it fails */
    CHECK_EQ_INT(backoff_delay(1, INT64_MAX, 62), INT64_C(1) << 61);
    CHECK_EQ_INT(backoff_delay(4, INT64_MAX, 62), INT64_MAX);
    CHECK_EQ_INT(backoff_delay(1, INT64_MAX, 64), INT64_MAX);
}

static void test_floor_div(void)
{
    CHECK_EQ_INT(clock_floor_div(7, 2), 3);
    CHECK_EQ_INT(clock_floor_div(-7, 2), -4);
    CHECK_EQ_INT(clock_floor_div(-8, 2), -4);
    CHECK_EQ_INT(clock_floor_div(-1, 86400), -1);
    CHECK_EQ_INT(clock_floor_div(0, 86400), 0);
    CHECK_EQ_INT(clock_floor_div(86399, 86400), 0);
    CHECK_EQ_INT(clock_floor_div(-86400, 86400), -1);
    CHECK_EQ_INT(clock_floor_div(-86401, 86400), -2);
    CHECK_EQ_INT(clock_floor_div(INT64_MIN, 1000000), INT64_MIN / 1000000 - 1);
    CHECK_EQ_INT(clock_floor_div(INT64_MAX, 1000000), INT64_MAX / 1000000);
}

static void test_times(void)
{
    char s[40];
    const int64_t t = 1795608000000000;   /* 2026-11-25T12:00:00Z */

    clock_format_iso(t, s, sizeof(s));
    CHECK_EQ_STR(s, "2026-11-25T12:00:00.000Z");
    clock_format_iso(t + 1234567, s, sizeof(s));
    CHECK_EQ_STR(s, "2026-11-25T12:00:01.234Z");
    clock_format_iso(0, s, sizeof(s));
    CHECK_EQ_STR(s, "1970-01-01T00:00:00.000Z");
    /* before the epoch: the second (and day) it falls in */
    clock_format_iso(-1, s, sizeof(s));
    CHECK_EQ_STR(s, "1969-12-31T23:59:59.999Z");
    clock_format_iso(-86400000000LL, s, sizeof(s));
    CHECK_EQ_STR(s, "1969-12-31T00:00:00.000Z");
    clock_format_utc(t, CLOCK_UTC_DATE, s, sizeof(s));
    CHECK_EQ_STR(s, "2026-11-25T12:00:00Z");
    clock_format_utc(t + 500000, CLOCK_UTC_DATE, s, sizeof(s));
    CHECK_EQ_STR(s, "2026-11-25T12:00:00.500Z");
    clock_format_utc(t + 3723000000LL, 0, s, sizeof(s));
    CHECK_EQ_STR(s, "13:02:03Z");
    clock_format_utc(t, CLOCK_UTC_MS, s, sizeof(s));
    CHECK_EQ_STR(s, "12:00:00.000Z");
    clock_format_utc(t, CLOCK_UTC_DATE, s, 8);
    CHECK_EQ_STR(s, "2026-11");
}

static void test_formats(void)
{
    static const struct {
        int64_t us;
        const char *text;
    } durations[] = {
        { 2000000, "2s" }, { 500000, "500ms" }, { 5400000000LL, "1h30m" }, { 2020000, "2.020s" },
        { 86400000000LL, "24h" }, { 150000000, "2m30s" }, { 3600500000LL, "1h0.500s" },
        { 0, "0ms" }, { 1500, "0.0015s" }, { 2002000, "2.002s" },
    };
    static const struct {
        AVRational q;
        const char *text;
    } rates[] = {
        { { 24000, 1001 }, "23.976" }, { { 24, 1 }, "24" }, { { 25, 1 }, "25" },
        { { 30000, 1001 }, "29.97" }, { { 30, 1 }, "30" }, { { 50, 1 }, "50" },
        { { 60000, 1001 }, "59.94" }, { { 60, 1 }, "60" }, { { 25, 2 }, "12.5" },
        { { 50, 2 }, "25" }, { { 1, 0 }, "1/0" },
    };
    char s[64];

    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        format_duration(s, sizeof(s), durations[i].us);
        CHECK_EQ_STR(s, durations[i].text);
    }
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        format_fps(s, sizeof(s), rates[i].q);
        CHECK_EQ_STR(s, rates[i].text);
    }
    format_ms(s, sizeof(s), 400);
    CHECK_EQ_STR(s, "0.4");
    format_ms(s, sizeof(s), 12600);
    CHECK_EQ_STR(s, "13");
    format_ms(s, sizeof(s), 9950);
    CHECK_EQ_STR(s, "9.9");
    format_ms(s, sizeof(s), 3000000);
    CHECK_EQ_STR(s, "3000");
    format_elapsed(s, sizeof(s), 400);
    CHECK_EQ_STR(s, "0.4 ms");
    format_elapsed(s, sizeof(s), 250000);
    CHECK_EQ_STR(s, "250 ms");
    format_elapsed(s, sizeof(s), 2500000);
    CHECK_EQ_STR(s, "2.5 s");
}

static void json_is(const char *in, const char *want)
{
    Buf b = { 0 };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    CHECK_EQ_INT(buf_printf(&b, "x="), 0);
    CHECK_EQ_INT(json_append_string(&b, in), 0);
    CHECK_EQ_INT(b.len, strlen("x=") + strlen(want));
    CHECK_EQ_STR((const char *)b.data + 2, want);
    if (f) {
        json_write_string(f, in);
        fclose(f);
        CHECK_EQ_STR(text, want);
    }
    free(text);
    buf_free(&b);
}

static void test_json(void)
{
    json_is("", "\"\"");
    json_is("plain", "\"plain\"");
    json_is("say \"hi\"", "\"say \\\"hi\\\"\"");
    json_is("C:\\dir", "\"C:\\\\dir\"");
    json_is("two\nlines", "\"two\\nlines\"");
    json_is("tab\there", "\"tab\\u0009here\"");
    json_is("\x01\x1f\r\b\f", "\"\\u0001\\u001f\\u000d\\u0008\\u000c\"");
    json_is("del\x7f", "\"del\x7f\"");
    json_is("caf\xc3\xa9 \xe2\x80\x94", "\"caf\xc3\xa9 \xe2\x80\x94\"");
    json_is("</script>", "\"</script>\"");
}

static void test_parts(void)
{
    /* 0.5 s at 29.97 is 14.985 frames: 14, never more than asked */
    CHECK_EQ_INT(grid_part_frames((AVRational){ 30000, 1001 }, 500000), 14);
    CHECK_EQ_INT(grid_part_frames((AVRational){ 25, 1 }, 400000), 10);
    CHECK_EQ_INT(grid_part_frames((AVRational){ 25, 1 }, 1000), 1);
    CHECK_EQ_INT(grid_part_frames((AVRational){ 60000, 1001 }, 1001000), 60);
    /* 60 frames in parts of 14: 4 whole ones and one of 4 */
    CHECK_EQ_INT(grid_segment_parts(60, 14), 5);
    CHECK_EQ_INT(grid_last_part_frames(60, 14), 4);
    CHECK_EQ_INT(grid_segment_parts(50, 10), 5);
    CHECK_EQ_INT(grid_last_part_frames(50, 10), 10);
    CHECK_EQ_INT(grid_segment_parts(59, 60), 1);
    CHECK_EQ_INT(grid_last_part_frames(59, 60), 59);
    CHECK_EQ_INT(grid_segment_parts(1, 1), 1);
    CHECK_EQ_INT(grid_last_part_frames(1, 1), 1);
}

/* A value on a bound falls in that bound's bucket (Prometheus' le: less
 * than or equal); above the last, in +Inf; the sum keeps the values. */
static void test_histogram(void)
{
    static const double bounds[] = { 0.1, 1, 10 };
    Histogram h;

    histogram_init(&h, bounds, 3);
    histogram_observe(&h, 0);
    histogram_observe(&h, 0.1);        /* on the edge: le="0.1" */
    histogram_observe(&h, 0.1000001);
    histogram_observe(&h, 1);
    histogram_observe(&h, 10);
    histogram_observe(&h, 10.5);       /* +Inf */
    histogram_observe(&h, 1e6);
    CHECK_EQ_INT(h.buckets[0], 2);
    CHECK_EQ_INT(h.buckets[1], 2);
    CHECK_EQ_INT(h.buckets[2], 1);
    CHECK_EQ_INT(h.buckets[3], 2);
    CHECK_EQ_INT(h.count, 7);
    CHECK_EQ_INT(h.sum_ns, (int64_t)((0.1 + 0.1000001 + 1 + 10 + 10.5 + 1e6) * 1e9 + 0.5));
    /* more bounds than a histogram holds are cut, never overrun */
    {
        double many[METRIC_BUCKETS_MAX + 4];
        for (int i = 0; i < METRIC_BUCKETS_MAX + 4; i++)
            many[i] = i + 1;
        histogram_init(&h, many, METRIC_BUCKETS_MAX + 4);
        CHECK_EQ_INT(h.nbounds, METRIC_BUCKETS_MAX);
        histogram_observe(&h, 1000);
        CHECK_EQ_INT(h.buckets[METRIC_BUCKETS_MAX], 1);
    }
    /* the shared latency bounds ascend */
    for (int i = 1; i < metric_latency_nbounds; i++)
        CHECK(metric_latency_bounds[i] > metric_latency_bounds[i - 1]);
    CHECK(metric_latency_nbounds <= METRIC_BUCKETS_MAX);
}

int main(void)
{
    test_histogram();
    test_presets();
    test_sps();
    test_backoff();
    test_floor_div();
    test_times();
    test_formats();
    test_json();
    test_parts();
    return CHECK_DONE();
}
