/* common/output.h: format names, the output tree's file names written and
 * read back, Content-Types, listen addresses. */
#include "common/output.h"

#include <libavutil/error.h>

#include "check.h"

static void test_formats(void)
{
    CHECK_EQ_INT(output_format_parse("hls"), FORMAT_HLS_TS);
    CHECK_EQ_INT(output_format_parse("hls-fmp4"), FORMAT_HLS_FMP4);
    CHECK_EQ_INT(output_format_parse("dash"), FORMAT_DASH);
    CHECK_EQ_INT(output_format_parse("cmaf"), FORMAT_HLS_FMP4 | FORMAT_DASH);
    CHECK_EQ_INT(output_format_parse("HLS"), 0);
    CHECK_EQ_INT(output_format_parse("hls "), 0);
    CHECK_EQ_INT(output_format_parse(""), 0);
    CHECK_EQ_INT(output_format_parse("mp4"), 0);
    CHECK_EQ_INT(output_format_parse(NULL), 0);
    /* every name users see parses, the default among them */
    for (int i = 0; output_format_names[i]; i++)
        CHECK(output_format_parse(output_format_names[i]) != 0);
    CHECK(output_format_parse(OUTPUT_FORMAT_DEFAULT) != 0);
}

static void test_ad_markers(void)
{
    CHECK_EQ_INT(ad_marker_parse("daterange"), AD_MARKERS_DATERANGE);
    CHECK_EQ_INT(ad_marker_parse("cue"), AD_MARKERS_CUE);
    CHECK_EQ_INT(ad_marker_parse("dash_bin"), AD_MARKERS_DASH_BIN);
    CHECK_EQ_INT(ad_marker_parse(AD_MARKERS_DEFAULT), AD_MARKERS_DATERANGE);
    CHECK_EQ_INT(ad_marker_parse("CUE"), 0);
    CHECK_EQ_INT(ad_marker_parse("dash-bin"), 0);
    CHECK_EQ_INT(ad_marker_parse(""), 0);
    CHECK_EQ_INT(ad_marker_parse(NULL), 0);
    for (int i = 0; ad_marker_names[i]; i++)
        CHECK_EQ_INT(ad_marker_parse(ad_marker_names[i]), 1u << i);
    CHECK_EQ_INT(interstitial_restrict_parse("skip"), INTERSTITIAL_RESTRICT_SKIP);
    CHECK_EQ_INT(interstitial_restrict_parse("jump"), INTERSTITIAL_RESTRICT_JUMP);
    CHECK_EQ_INT(interstitial_restrict_parse("SKIP"), 0);
    CHECK_EQ_INT(interstitial_restrict_parse(NULL), 0);
    CHECK_EQ_INT(INTERSTITIAL_RESTRICT_DEFAULT, INTERSTITIAL_RESTRICT_SKIP | INTERSTITIAL_RESTRICT_JUMP);
}

static void test_segment_names(void)
{
    char s[64];

    output_name(s, sizeof(s), 12, -1, "ts");
    CHECK_EQ_STR(s, "seg_00000012.ts");
    output_name(s, sizeof(s), 0, -1, "m4s");
    CHECK_EQ_STR(s, "seg_00000000.m4s");
    output_name(s, sizeof(s), 123456789, -1, "m4s");
    CHECK_EQ_STR(s, "seg_123456789.m4s");
    output_name(s, sizeof(s), 12, 3, "m4s");
    CHECK_EQ_STR(s, "seg_00000012.p3.m4s");
    output_name(s, sizeof(s), 12, -1, NULL);
    CHECK_EQ_STR(s, "seg_00000012");
    /* cut to fit, always terminated */
    output_name(s, 8, 12, -1, "ts");
    CHECK_EQ_STR(s, "seg_000");
}

static void parsed(const char *name, enum PublishedKind kind, int64_t number, int part,
                   const char *ext, int top)
{
    OutputName n;
    int ret = output_name_parse(name, &n);

    if (ret < 0)
        fprintf(stderr, "'%s' did not parse\n", name);
    CHECK_EQ_INT(ret, 0);
    if (ret < 0)
        return;
    CHECK_EQ_INT(n.kind, kind);
    CHECK_EQ_INT(n.number, number);
    CHECK_EQ_INT(n.part, part);
    CHECK_EQ_INT(n.top, top);
    if (ext)
        CHECK_EQ_STR(n.ext, ext);
    else
        CHECK(n.ext == NULL);
}

static void test_parse_names(void)
{
    static const char *const refused[] = {
        "", "seg_", "seg_.ts", "seg_x.ts", "seg_12", "seg_12.", "seg_12.mp4", "seg_12.TS",
        "seg_00000012.ts.tmp", "seg_00000012.ts/", "seg_00000012.tsx", "seg_00000012.ts ",
        " seg_00000012.ts", "seg_-1.ts", "seg_+1.ts", "seg_00000012.p.ts", "seg_00000012.p-1.ts",
        "seg_00000012.p12345.m4s", "seg_00000012.p3", "seg_00000012.p3.", "seg_00000012.p3.m4s.",
        "seg_00000012.p3.p4.m4s", "seg_00000012..ts",
        /* one past INT64_MAX, and twenty digits */
        "seg_9223372036854775808.ts", "seg_00000000000000000001.ts",
        "index.m3u8.tmp", "Index.m3u8", "init.mp4 ", "../index.m3u8", "a/index.m3u8", ".state",
        "master.m3u", "manifest.mpd.bak",
    };
    char name[64];

    parsed("seg_00000012.ts", PUBLISHED_SEGMENT, 12, -1, "ts", 0);
    parsed("seg_00000000.m4s", PUBLISHED_SEGMENT, 0, -1, "m4s", 0);
    parsed("seg_12.ts", PUBLISHED_SEGMENT, 12, -1, "ts", 0);
    parsed("seg_00000012.p3.m4s", PUBLISHED_PART, 12, 3, "m4s", 0);
    parsed("seg_00000012.p0.ts", PUBLISHED_PART, 12, 0, "ts", 0);
    parsed("seg_00000012.p9999.ts", PUBLISHED_PART, 12, 9999, "ts", 0);
    /* the largest number a name may hold, in 19 digits */
    parsed("seg_9223372036854775807.p3.m4s", PUBLISHED_PART, INT64_MAX, 3, "m4s", 0);
    parsed("index.m3u8", PUBLISHED_PLAYLIST, -1, -1, NULL, 0);
    parsed("init.mp4", PUBLISHED_INIT, -1, -1, NULL, 0);
    parsed("master.m3u8", PUBLISHED_PLAYLIST, -1, -1, NULL, 1);
    parsed("manifest.mpd", PUBLISHED_MANIFEST, -1, -1, NULL, 1);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int ret = output_name_parse(refused[i], NULL);
        if (ret >= 0)
            fprintf(stderr, "'%s' was taken for a name of the output tree\n", refused[i]);
        CHECK_EQ_INT(ret, AVERROR(EINVAL));
    }
    CHECK_EQ_INT(output_name_parse(NULL, NULL), AVERROR(EINVAL));

    /* what is written reads back */
    for (int part = -1; part < 3; part++) {
        for (int64_t number = 0; number < INT64_MAX / 7; number = number * 7 + 1) {
            OutputName n;
            output_name(name, sizeof(name), number, part, part & 1 ? "ts" : "m4s");
            CHECK_EQ_INT(output_name_parse(name, &n), 0);
            CHECK_EQ_INT(n.number, number);
            CHECK_EQ_INT(n.part, part);
            CHECK_EQ_INT(n.kind, part < 0 ? PUBLISHED_SEGMENT : PUBLISHED_PART);
        }
    }
}

static void test_content_types(void)
{
    static const struct {
        const char *path, *type;
    } cases[] = {
        { "index.m3u8", "application/vnd.apple.mpegurl" },
        { "720p/index.m3u8", "application/vnd.apple.mpegurl" },
        { "manifest.mpd", "application/dash+xml" },
        { "360p/seg_00000001.ts", "video/mp2t" },
        { "360p/seg_00000001.m4s", "video/iso.segment" },
        { "360p/seg_00000001.p2.m4s", "video/iso.segment" },
        { "360p/init.mp4", "video/mp4" },
        { "player.html", "text/html; charset=utf-8" },
        { "hls.min.js", "text/javascript; charset=utf-8" },
        { "hls.min.js.map", "application/json" },
        { "style.css", "text/css; charset=utf-8" },
        /* only the last name's extension counts */
        { "a.m3u8/seg", "application/octet-stream" },
        { "720p.ts/x", "application/octet-stream" },
        { "noext", "application/octet-stream" },
        { "trailing.", "application/octet-stream" },
        { "upper.TS", "application/octet-stream" },
        { "", "application/octet-stream" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int row = output_content_type_row(cases[i].path);
        CHECK_EQ_STR(output_content_type(cases[i].path), cases[i].type);
        CHECK(row >= 0 && row < OUTPUT_CONTENT_TYPES);
        CHECK_EQ_STR(output_content_type_of_row(row), cases[i].type);
    }
    CHECK_EQ_STR(output_content_type(NULL), "application/octet-stream");
    CHECK_EQ_STR(output_content_type_of_row(-1), "application/octet-stream");
    CHECK_EQ_STR(output_content_type_of_row(OUTPUT_CONTENT_TYPES), "application/octet-stream");
}

static void listens(const char *text, const char *host, int ipv6, int port)
{
    ListenAddr a;
    char err[256] = "";
    int ret = listen_parse(text, &a, err, sizeof(err));

    if (ret < 0)
        fprintf(stderr, "'%s': %s\n", text, err);
    CHECK_EQ_INT(ret, 0);
    if (ret < 0)
        return;
    CHECK_EQ_STR(a.host, host);
    CHECK_EQ_INT(a.ipv6, ipv6);
    CHECK_EQ_INT(a.port, port);
}

static void refuses(const char *text, int want, const char *says)
{
    ListenAddr a;
    char err[512] = "";
    int ret = listen_parse(text, &a, err, sizeof(err));

    if (ret != want || !strstr(err, says) || !strstr(err, text))
        fprintf(stderr, "'%s': %d, '%s'\n", text, ret, err);
    CHECK_EQ_INT(ret, want);
    CHECK(strstr(err, says) != NULL);
    CHECK(strstr(err, text) != NULL);
}

static void test_listen(void)
{
    char long_host[300];

    listens("127.0.0.1:8080", "127.0.0.1", 0, 8080);
    listens("0.0.0.0:80", "0.0.0.0", 0, 80);
    listens(":8080", "", 0, 8080);
    listens("localhost:1", "localhost", 0, 1);
    listens("my-host.example:65535", "my-host.example", 0, 65535);
    listens("[::1]:8080", "::1", 1, 8080);
    listens("[::]:8080", "::", 1, 8080);
    listens("[fe80::1:AbCd]:443", "fe80::1:AbCd", 1, 443);
    listens("[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 1, 80);
    /* port 0: a free one, picked when bound */
    listens("127.0.0.1:0", "127.0.0.1", 0, 0);
    listens(":0", "", 0, 0);
    listens("[::1]:0", "::1", 1, 0);
    listens("127.0.0.1:00080", "127.0.0.1", 0, 80);

    refuses("nonsense", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("127.0.0.1", AVERROR(EINVAL), "0.0.0.0:8080 for every interface");
    refuses("::1:8080", AVERROR(EINVAL), "[::1]:8080");
    refuses("[::1]8080", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("[::1]", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("[]:80", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("[::1:80", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("[fe80::1%eth0]:80", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("my_host:80", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("host name:80", AVERROR(EINVAL), "is not HOST:PORT");
    refuses("127.0.0.1:", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:65536", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:99999", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:008080", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:8x", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:+80", AVERROR(ERANGE), "from 0 to 65535");
    refuses("127.0.0.1:-1", AVERROR(ERANGE), "from 0 to 65535");
    refuses("[::1]:80 ", AVERROR(ERANGE), "from 0 to 65535");

    memset(long_host, 'a', sizeof(long_host));
    snprintf(long_host + 280, sizeof(long_host) - 280, ":80");
    refuses(long_host, AVERROR(EINVAL), "is not HOST:PORT");
    CHECK_EQ_INT(listen_parse(NULL, &(ListenAddr){ 0 }, NULL, 0), AVERROR(EINVAL));
    CHECK_EQ_INT(listen_parse("nonsense", &(ListenAddr){ 0 }, NULL, 0), AVERROR(EINVAL));
}

int main(void)
{
    test_formats();
    test_ad_markers();
    test_segment_names();
    test_parse_names();
    test_content_types();
    test_listen();
    return CHECK_DONE();
}
