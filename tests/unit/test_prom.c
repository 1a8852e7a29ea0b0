/* The Prometheus text writer (admin/prom.c): numbers as the shortest text
 * that reads back as the same double, bucket bounds included, since a
 * bound that reads "0.10000000000000001" is a different series to a
 * reader that compares label text. */
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "check.h"

/* The text of one rendered writer: every sample given, on channel "demo". */
static char *render(const MetricSample *samples, int n)
{
    PromWriter *w = NULL;
    Buf out = { 0 };

    CHECK_EQ_INT(prom_new(&w), 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(prom_add(w, "demo", &samples[i]), 0);
    CHECK_EQ_INT(prom_render(w, &out), 0);
    CHECK_EQ_INT(buf_append(&out, "", 1), 0);
    prom_free(&w);
    return (char *)out.data;
}

/* Every bound of the shared latency buckets, as the shortest text that
 * round-trips: 0.1 is le="0.1". */
static void test_bounds(void)
{
    Histogram h;
    MetricSample s = { .id = METRIC_SEGMENT_PUBLISH_DELAY, .histogram = &h };
    char *text, want[128];

    histogram_init(&h, metric_latency_bounds, metric_latency_nbounds);
    histogram_observe(&h, 0.1);
    text = render(&s, 1);
    CHECK(strstr(text, "onair_segment_publish_delay_seconds_bucket{channel=\"demo\",le=\"0.1\"} 1\n"));
    CHECK(strstr(text, "onair_segment_publish_delay_seconds_bucket{channel=\"demo\",le=\"0.05\"} 0\n"));
    CHECK(strstr(text, "onair_segment_publish_delay_seconds_bucket{channel=\"demo\",le=\"+Inf\"} 1\n"));
    CHECK(strstr(text, "onair_segment_publish_delay_seconds_sum{channel=\"demo\"} 0.1\n"));
    for (int i = 0; i < metric_latency_nbounds; i++) {
        char *le, *end;
        snprintf(want, sizeof(want), "le=\"%g\"", metric_latency_bounds[i]);
        CHECK(strstr(text, want));
        /* whatever it reads, it reads back as the bound */
        le = strstr(text, want);
        if (le)
            CHECK(strtod(le + 4, &end) == metric_latency_bounds[i] && *end == '"');
    }
    CHECK(!strstr(text, "0000000"));
    free(text);
}

/* Values: integers whole, fractions as short as round-trips, and 16 or
 * 17 digits where fewer would change the double. */
static void test_values(void)
{
    static const double values[] = { 0.1, 1.0 / 3, 0.1 + 0.2, 2.5, 1e-7, 123456789.125 };
    static const char *const texts[] = { "0.1", "0.3333333333333333", "0.30000000000000004", "2.5",
                                         "1e-07", "123456789.125" };

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        MetricSample s = { .id = METRIC_AV_OFFSET, .value = values[i] };
        char *text = render(&s, 1), want[128];
        snprintf(want, sizeof(want), "onair_av_offset_seconds{channel=\"demo\"} %s\n", texts[i]);
        if (!strstr(text, want)) {
            fprintf(stderr, "value %.17g: want %s in\n%s\n", values[i], want, text);
            check_failures++;
        }
        CHECK(strtod(texts[i], NULL) == values[i]);
        free(text);
    }
}

int main(void)
{
    test_bounds();
    test_values();
    return CHECK_DONE();
}
