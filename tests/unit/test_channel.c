/*
 * The channel config loader: a full config loads with every value as
 * written; broken configs fail with the message and the line:column they
 * must produce, and load nothing; warnings do not stop a load.
 *
 *   test_channel FIXTURES_DIR     (tests/unit/conf: full.yaml, clips/)
 */
#include <stdlib.h>

#include <libavutil/error.h>

#include "check.h"
#include "conf/conf.h"

static const char *fixtures;

static void dump(const ConfReport *r)
{
    char line[1200];
    for (int i = 0; i < r->count; i++) {
        conf_message_format(r, &r->messages[i], line, sizeof(line));
        fprintf(stderr, "    %s\n", line);
    }
}

static int has_message(const ConfReport *r, enum ConfSeverity sev, int line, int col,
                       const char *text)
{
    for (int i = 0; i < r->count; i++)
        if (r->messages[i].severity == sev && r->messages[i].line == line &&
            r->messages[i].column == col && strstr(r->messages[i].text, text))
            return 1;
    return 0;
}

/* The config must fail with an error at line:col whose text holds msg. */
static void broken_at(int src_line, const char *yaml, int line, int col, const char *msg)
{
    ChannelConf *conf = (ChannelConf *)1;
    ConfReport r = { 0 };
    int ret = conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", fixtures, &r);

    if (ret >= 0 || conf || r.errors == 0 || !has_message(&r, CONF_ERROR, line, col, msg)) {
        fprintf(stderr, "test_channel.c:%d: expected t.yaml:%d:%d: error: ...%s... (ret %d, conf %s); got:\n",
                src_line, line, col, msg, ret, conf ? "loaded" : "NULL");
        dump(&r);
        check_failures++;
    }
    conf_free(&conf);
    conf_report_clear(&r);
}
#define BROKEN(yaml, line, col, msg) broken_at(__LINE__, yaml, line, col, msg)

/* The config must load, with a warning at line:col whose text holds msg. */
static void warns_at(int src_line, const char *yaml, int line, int col, const char *msg)
{
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };
    int ret = conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", fixtures, &r);

    if (ret < 0 || !conf || r.errors || !has_message(&r, CONF_WARNING, line, col, msg)) {
        fprintf(stderr, "test_channel.c:%d: expected to load with t.yaml:%d:%d: warning: ...%s...; got:\n",
                src_line, line, col, msg);
        dump(&r);
        check_failures++;
    }
    conf_free(&conf);
    conf_report_clear(&r);
}
#define WARNS(yaml, line, col, msg) warns_at(__LINE__, yaml, line, col, msg)

/* A small valid channel; the cases below are it with one thing broken. */
#define HEAD "channel: t\n"
#define VIDEO "video: { width: 640, height: 360, fps: 25 }\n"
#define LADDER "ladder: [360p]\n"
#define SOURCES "sources:\n  bars: { generate: testsrc }\n"
#define SCHEDULE "schedule:\n  items:\n    - { source: bars, duration: 10s }\n"
#define OUTPUT "output: { dir: out }\n"
#define VALID HEAD VIDEO LADDER SOURCES SCHEDULE OUTPUT

static void test_valid_minimal(void)
{
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, VALID, strlen(VALID), "t.yaml", fixtures, &r), 0);
    CHECK_EQ_INT(r.count, 0);
    if (!conf)
        return;
    /* the defaults of DESIGN.md */
    CHECK_EQ_INT(conf->version, 1);
    CHECK_EQ_STR(conf->title, "t");
    CHECK_EQ_STR(conf->timezone, "UTC");
    CHECK_EQ_INT(conf->audio.sample_rate, 48000);
    CHECK_EQ_INT(conf->audio.channels, 2);
    CHECK_EQ_INT(conf->audio.bitrate, 128000);
    CHECK(conf->audio.loudness == 0);
    CHECK_EQ_STR(conf->encoder.backend, "auto");
    CHECK_EQ_STR(conf->encoder.fallback, "x264");
    CHECK_EQ_STR(conf->encoder.preset, "veryfast");
    CHECK_EQ_STR(conf->slate.text, "We'll be right back");
    CHECK_EQ_INT(conf->slate.color, 0x1d2b53);
    CHECK(conf->slate.image == NULL);
    CHECK_EQ_INT(conf->schedule.loop, 0);
    CHECK_EQ_STR(conf->schedule.items[0].title, "bars");
    CHECK_EQ_INT(conf->schedule.items[0].at_kind, CONF_AT_NONE);
    CHECK_EQ_INT(conf->sources[0].timeout, 5000000);
    CHECK_EQ_INT(conf->sources[0].backup_source, -1);
    CHECK_EQ_INT(conf->output.segment, 2000000);
    CHECK_EQ_INT(conf->output.window, 6);
    CHECK_EQ_INT(conf->output.formats, FORMAT_HLS_TS);
    CHECK_EQ_INT(conf->output.low_latency.part, 0);
    CHECK(conf->output.serve.listen == NULL);
    CHECK_EQ_INT(conf->output.serve.connections, 0);
    CHECK_EQ_INT(conf->output.serve.per_address, 0);
    CHECK_EQ_INT(conf->output.serve.idle_timeout, 0);
    CHECK_EQ_INT(conf->output.nb_push, 0);
    CHECK_EQ_INT(conf->output.ad_markers, AD_MARKERS_DATERANGE);
    CHECK(conf->output.interstitials.asset_list == NULL);
    CHECK(conf->output.interstitials.asset_uri == NULL);
    CHECK_EQ_INT(conf->output.interstitials.restrictions, INTERSTITIAL_RESTRICT_SKIP | INTERSTITIAL_RESTRICT_JUMP);
    CHECK_EQ_STR(conf->sources[0].scte35, "pass");
    CHECK_EQ_INT(conf->schedule.items[0].is_break, 0);
    CHECK(conf->schedule.items[0].break_id == NULL);
    conf_free(&conf);
    CHECK(conf == NULL);
    conf_free(&conf);            /* NULL is fine */
    conf_report_clear(&r);
}

static void test_valid_full(void)
{
    char path[1024], want[1200];
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };
    const ConfSource *s;
    const ConfItem *it;
    int ret;

    snprintf(path, sizeof(path), "%s/full.yaml", fixtures);
    ret = conf_load(&conf, path, &r);
    dump(&r);
    CHECK_EQ_INT(ret, 0);
    CHECK_EQ_INT(r.errors, 0);
    CHECK_EQ_INT(r.warnings, 0);
    CHECK_EQ_STR(r.file, path);
    if (!conf)
        return;
    CHECK_EQ_STR(conf->path, path);
    CHECK_EQ_INT(conf->version, 1);
    CHECK_EQ_STR(conf->channel, "full-test-1");
    CHECK_EQ_STR(conf->title, "Full test");
    CHECK_EQ_STR(conf->timezone, "Europe/Berlin");
    CHECK(conf->tz != NULL);
    CHECK_EQ_INT(conf->video.width, 1920);
    CHECK_EQ_INT(conf->video.height, 1080);
    CHECK_EQ_INT(conf->video.fps.num, 30000);
    CHECK_EQ_INT(conf->video.fps.den, 1001);
    CHECK_EQ_INT(conf->audio.sample_rate, 44100);
    CHECK_EQ_INT(conf->audio.channels, 1);
    CHECK_EQ_INT(conf->audio.bitrate, 96000);
    CHECK(conf->audio.loudness == -23);

    CHECK_EQ_INT(conf->nb_rungs, 4);
    CHECK_EQ_STR(conf->ladder[0].name, "1080p");
    CHECK_EQ_INT(conf->ladder[0].width, 1920);
    CHECK_EQ_INT(conf->ladder[0].bitrate, 5000000);
    CHECK_EQ_STR(conf->ladder[1].name, "960x540");
    CHECK_EQ_INT(conf->ladder[1].height, 540);
    CHECK_EQ_INT(conf->ladder[1].bitrate, 2000000);
    CHECK_EQ_STR(conf->ladder[2].name, "small");
    CHECK_EQ_INT(conf->ladder[2].width, 640);
    CHECK_EQ_INT(conf->ladder[2].height, 360);
    CHECK_EQ_INT(conf->ladder[2].bitrate, 700000);
    CHECK_EQ_STR(conf->ladder[3].name, "426x240");
    CHECK_EQ_INT(conf->ladder[3].bitrate, 300000);

    CHECK_EQ_STR(conf->encoder.backend, "x264");
    CHECK_EQ_STR(conf->encoder.fallback, "none");
    CHECK_EQ_STR(conf->encoder.preset, "fast");
    CHECK_EQ_STR(conf->slate.text, "Back soon");
    CHECK_EQ_INT(conf->slate.color, 0x102030);
    /* relative paths resolve against the file's folder */
    CHECK(conf->slate.image && conf->slate.image[0] == '/');
    CHECK(conf->slate.image && strstr(conf->slate.image, "/conf/clips/promo.stub"));

    CHECK_EQ_INT(conf->nb_sources, 4);
    s = &conf->sources[0];
    CHECK_EQ_STR(s->name, "bars");
    CHECK_EQ_INT(s->kind, CONF_SOURCE_GENERATE);
    CHECK_EQ_STR(s->generate, "testsrc");
    CHECK_EQ_INT(s->line, 17);
    CHECK_EQ_INT(s->column, 3);
    s = &conf->sources[1];
    CHECK_EQ_STR(s->name, "promo");
    CHECK_EQ_INT(s->kind, CONF_SOURCE_FILE);
    CHECK(s->file && strstr(s->file, "/conf/clips/promo.stub"));
    CHECK_EQ_INT(s->loop, 1);
    CHECK_EQ_INT(s->start, 90000000);
    s = &conf->sources[2];
    CHECK_EQ_STR(s->name, "studio");
    CHECK_EQ_INT(s->kind, CONF_SOURCE_URL);
    CHECK_EQ_STR(s->url, "srt://0.0.0.0:9000?mode=listener");
    CHECK_EQ_STR(s->backup, "udp://127.0.0.1:5000");
    CHECK_EQ_INT(s->backup_source, -1);
    CHECK_EQ_INT(s->timeout, 2500000);
    CHECK_EQ_STR(s->scte35, "pass");
    s = &conf->sources[3];
    CHECK_EQ_STR(s->url, "rtmp://example.org/live/x");
    CHECK_EQ_STR(s->backup, "bars");
    CHECK_EQ_INT(s->backup_source, 0);
    CHECK_EQ_INT(s->timeout, 5000000);
    CHECK_EQ_STR(s->scte35, "ignore");

    CHECK_EQ_INT(conf->schedule.loop, 1);
    CHECK_EQ_INT(conf->schedule.nb_items, 5);
    it = conf->schedule.items;
    CHECK_EQ_INT(it[0].source, 0);
    CHECK_EQ_INT(it[0].duration, 20000000);
    CHECK_EQ_STR(it[0].title, "Test card");
    CHECK_EQ_INT(it[0].line, 30);
    CHECK_EQ_INT(it[0].column, 7);
    CHECK_EQ_INT(it[1].source, 1);
    CHECK_EQ_INT(it[1].duration, 5400000000LL);
    CHECK_EQ_STR(it[1].title, "promo");
    CHECK_EQ_INT(it[2].at_kind, CONF_AT_ABSOLUTE);
    CHECK_EQ_INT(it[2].at, 1795608000000000LL);      /* 2026-11-25T12:00:00Z */
    CHECK_EQ_INT(it[2].duration, 3600000000LL);
    CHECK_EQ_STR(it[2].title, "Live");
    CHECK_EQ_INT(it[3].at_kind, CONF_AT_DAILY);
    CHECK_EQ_INT(it[3].at, 18LL * 3600 * 1000000);
    CHECK_EQ_INT(it[3].source, 3);
    CHECK_EQ_INT(it[3].is_break, 0);
    CHECK(it[3].break_id == NULL);
    CHECK_EQ_INT(it[4].is_break, 1);
    CHECK_EQ_INT(it[4].duration, 90000000);
    CHECK_EQ_INT(it[4].source, 1);
    CHECK_EQ_STR(it[4].title, "Mid-roll");
    CHECK_EQ_STR(it[4].break_id, "brk:mid/1");
    CHECK_EQ_INT(it[4].at_kind, CONF_AT_NONE);

    snprintf(want, sizeof(want), "%s/out/full", fixtures);
    CHECK(conf->output.dir && strstr(conf->output.dir, "/conf/out/full"));
    CHECK(conf->output.dir && conf->output.dir[0] == '/');
    CHECK_EQ_INT(conf->output.segment, 4004000);
    CHECK_EQ_INT(conf->output.window, 10);
    CHECK_EQ_INT(conf->output.formats, FORMAT_HLS_TS | FORMAT_HLS_FMP4 | FORMAT_DASH);
    CHECK_EQ_INT(conf->output.low_latency.part, 500500);
    CHECK_EQ_STR(conf->output.serve.listen, "0.0.0.0:8081");
    CHECK_EQ_INT(conf->output.serve.connections, 500);
    CHECK_EQ_INT(conf->output.serve.per_address, 100);
    CHECK_EQ_INT(conf->output.serve.idle_timeout, 30000000);
    CHECK_EQ_INT(conf->output.nb_push, 1);
    CHECK_EQ_STR(conf->output.push[0].url, "https://origin.example/live/full/");
    CHECK_EQ_STR(conf->output.push[0].bearer_env, "ORIGIN_TOKEN");
    CHECK_EQ_INT(conf->output.push[0].retry_max, 10000000);
    CHECK_EQ_INT(conf->output.push[0].delete_segments, 1);
    CHECK_EQ_INT(conf->output.push[0].spool, 1LL << 30);
    CHECK_EQ_INT(conf->output.push[0].timeout, 10000000);
    CHECK_EQ_INT(conf->output.push[0].headers.count, 0);
    CHECK_EQ_INT(conf->output.ad_markers, AD_MARKERS_DATERANGE | AD_MARKERS_CUE | AD_MARKERS_DASH_BIN);
    CHECK(conf->output.interstitials.asset_list == NULL);
    CHECK_EQ_STR(conf->output.interstitials.asset_uri, "https://ads.example/ad/master.m3u8");
    CHECK_EQ_INT(conf->output.interstitials.restrictions, INTERSTITIAL_RESTRICT_JUMP);
    conf_free(&conf);
    conf_report_clear(&r);
}

static void test_broken(void)
{
    /* keys */
    BROKEN("chanel: t\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           1, 1, "unknown key 'chanel' in the channel (did you mean 'channel'?)");
    BROKEN(HEAD "video: { widht: 640, height: 360 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 10, "unknown key 'widht' in video (did you mean 'width'?)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE OUTPUT "colour: red\n",
           10, 1, "unknown key 'colour' in the channel (known keys: version, channel,");
    BROKEN(HEAD "channel: u\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           2, 1, "duplicate key 'channel' (first given at line 1, column 1)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE,
           1, 1, "missing required key 'output'");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { segment: 2s }\n",
           9, 1, "output: missing required key 'dir'");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n",
           9, 1, "output: missing required key 'dir'");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  serve:\n",
           11, 3, "output.serve: missing required key 'listen'");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  loop: true\n" OUTPUT,
           6, 1, "schedule: missing required key 'items'");
    /* types */
    BROKEN(HEAD "video: [640, 360]\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 8, "video: expected a mapping (key: value), got a list");
    BROKEN(HEAD "video: { width: wide, height: 360 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 17, "video.width: expected a whole number, got 'wide'");
    BROKEN(HEAD "video: { width: { w: 1 } }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 17, "video.width: expected a single value, got a mapping");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  loop: maybe\n  items:\n    - { source: bars, duration: 10s }\n" OUTPUT,
           7, 9, "schedule.loop: expected true or false, got 'maybe'");
    BROKEN(HEAD VIDEO LADDER "sources: [bars]\n" SCHEDULE OUTPUT,
           4, 10, "sources: expected a mapping of NAME:");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items: { source: bars }\n" OUTPUT,
           7, 10, "schedule.items: expected a list of items");
    /* impossible values */
    BROKEN("channel: My Channel\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           1, 10, "channel: 'My Channel' is not a channel id");
    BROKEN(HEAD "version: 2\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           2, 10, "version: schema version 2 is not supported");
    BROKEN(HEAD "video: { width: 641, height: 360 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 17, "video.width: 641 is odd");
    BROKEN(HEAD "video: { width: 640, height: 8 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 30, "video.height: 8 is out of range (16 to 8192)");
    BROKEN(HEAD "video: { fps: 31 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 15, "video.fps: '31' is not a supported frame rate");
    BROKEN(HEAD "video: { fps: 30000/1002 }\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 15, "video.fps: '30000/1002' is not a supported frame rate");
    BROKEN(HEAD VIDEO "ladder: [720p]\n" SOURCES SCHEDULE OUTPUT,
           3, 10, "ladder[1]: rung '720p' (1280x720) is larger than the canvas 640x360");
    BROKEN(HEAD VIDEO "ladder:\n  - 360p\n  - { name: 360p, width: 320, height: 180, bitrate: 300k }\n"
           SOURCES SCHEDULE OUTPUT,
           5, 5, "ladder[2]: rung name '360p' is used twice (first at line 4)");
    BROKEN(HEAD VIDEO "ladder: [360x]\n" SOURCES SCHEDULE OUTPUT,
           3, 10, "ladder[1]: '360x' is not a rung: height missing");
    BROKEN(HEAD VIDEO "ladder:\n  - { width: 320, height: 180 }\n" SOURCES SCHEDULE OUTPUT,
           4, 5, "ladder[1]: missing required key 'bitrate'");
    BROKEN(HEAD VIDEO "ladder: []\n" SOURCES SCHEDULE OUTPUT,
           3, 9, "ladder: empty");
    {
        /* 17 distinct rungs, one a line: the 17th is at line 20 */
        Buf b = { 0 };
        buf_printf(&b, HEAD VIDEO "ladder:\n");
        for (int i = 0; i < 17; i++)
            buf_printf(&b, "  - %dx%d@100k\n", 32 + 2 * i, 32 + 2 * i);
        buf_printf(&b, SOURCES SCHEDULE OUTPUT);
        buf_append(&b, "", 1);
        BROKEN((const char *)b.data, 20, 5, "ladder[17]: too many rungs (at most 16)");
        buf_free(&b);
    }
    BROKEN(HEAD VIDEO LADDER "audio: { channels: 6 }\n" SOURCES SCHEDULE OUTPUT,
           4, 20, "audio.channels: 6 is out of range (1 to 2)");
    BROKEN(HEAD VIDEO LADDER "audio: { sample_rate: 47000 }\n" SOURCES SCHEDULE OUTPUT,
           4, 23, "audio.sample_rate: 47000 is not one of 8000, 11025");
    BROKEN(HEAD VIDEO LADDER "audio: { bitrate: fast }\n" SOURCES SCHEDULE OUTPUT,
           4, 19, "audio.bitrate: 'fast' is not a bitrate");
    BROKEN(HEAD VIDEO LADDER "audio: { loudness: -2 }\n" SOURCES SCHEDULE OUTPUT,
           4, 20, "audio.loudness: -2 LUFS is out of range (-70 to -5)");
    BROKEN(HEAD VIDEO LADDER "encoder: { backend: nvenq }\n" SOURCES SCHEDULE OUTPUT,
           4, 21, "encoder.backend: unknown value 'nvenq'; did you mean 'nvenc'?");
    BROKEN(HEAD VIDEO LADDER "encoder: { preset: turbo }\n" SOURCES SCHEDULE OUTPUT,
           4, 20, "encoder.preset: unknown value 'turbo' (one of ultrafast,");
    BROKEN(HEAD VIDEO LADDER "slate:\n  color: #1d2b53\n" SOURCES SCHEDULE OUTPUT,
           5, 9, "slate.color: missing value (quote colours");
    BROKEN(HEAD VIDEO LADDER "slate: { color: \"#1d2b5\" }\n" SOURCES SCHEDULE OUTPUT,
           4, 17, "slate.color: '#1d2b5' is not a colour");
    BROKEN(HEAD VIDEO LADDER "slate: { image: nope.png }\n" SOURCES SCHEDULE OUTPUT,
           4, 17, "slate.image: 'nope.png' does not exist");
    BROKEN(HEAD "timezone: Europe/Berln\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           2, 11, "timezone: unknown time zone 'Europe/Berln'");
    BROKEN(HEAD "timezone: ../../etc/passwd\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT,
           2, 11, "timezone: '../../etc/passwd' is not a time zone name");
    /* sources */
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrcc }\n" SCHEDULE OUTPUT,
           5, 21, "sources.bars.generate: unknown value 'testsrcc'; did you mean 'testsrc'?");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc }\n  promo: { file: media/nope.mp4 }\n"
           SCHEDULE OUTPUT,
           6, 18, "sources.promo.file: 'media/nope.mp4' does not exist (looked for ");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc }\n  promo: { file: clips }\n"
           SCHEDULE OUTPUT,
           6, 18, "sources.promo.file: 'clips' is a folder, not a file");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, url: \"udp://1.2.3.4:5\" }\n"
           SCHEDULE OUTPUT,
           5, 30, "sources.bars: give only one of generate, file and url (generate is given too)");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { loop: true }\n" SCHEDULE OUTPUT,
           5, 3, "sources.bars: give one of generate, file or url");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { url: \"htp://x\" }\n" SCHEDULE OUTPUT,
           5, 16, "sources.bars.url: 'htp://x': unknown scheme 'htp'");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars:\n    url: \"srt://:9000\"\n    backup: studio\n"
           SCHEDULE OUTPUT,
           7, 13, "sources.bars.backup: 'studio' is neither a URL nor a source");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { url: \"srt://:9000\", timeout: 0s }\n" SCHEDULE OUTPUT,
           5, 40, "sources.bars.timeout: duration must be more than zero");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc }\n  bars: { generate: color }\n"
           SCHEDULE OUTPUT,
           6, 3, "duplicate source 'bars' (first defined at line 5, column 3)");
    BROKEN(HEAD VIDEO LADDER "sources:\n  my bars: { generate: testsrc }\n" SCHEDULE OUTPUT,
           5, 3, "'my bars' is not a source name");
    /* schedule */
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: barz, duration: 10s }\n" OUTPUT,
           8, 17, "schedule.items[1].source: source 'barz' is not defined (did you mean 'bars'?)");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: news, duration: 10s }\n" OUTPUT,
           8, 17, "source 'news' is not defined under sources (bars)");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 0s }\n" OUTPUT,
           8, 33, "schedule.items[1].duration: duration must be more than zero, got '0s'");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: -5s }\n" OUTPUT,
           8, 33, "schedule.items[1].duration: '-5s' is not a duration");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars }\n" OUTPUT,
           8, 7, "schedule.items[1]: missing required key 'duration'");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items: []\n" OUTPUT,
           7, 10, "schedule.items: empty");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 10s, at: noon }\n"
           OUTPUT,
           8, 42, "schedule.items[1].at: 'noon' is not a time");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"2026-11-25T12:00:00\" }\n"
           OUTPUT,
           8, 42, "has no zone: add Z for UTC or an offset");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"2026-02-30T12:00:00Z\" }\n"
           OUTPUT,
           8, 42, "'2026-02-30T12:00:00Z' is not a valid date and time");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"18:00\" }\n"
           OUTPUT,
           8, 42, "'18:00' is a time of day: add repeat: daily");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"24:00\", repeat: daily }\n"
           OUTPUT,
           8, 42, "'24:00' is not a time of day (00:00 to 23:59:59)");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 10s, repeat: daily }\n"
           OUTPUT,
           8, 38, "schedule.items[1].repeat: daily needs an at time of day");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"2026-11-25T12:00:00Z\", repeat: daily }\n"
           OUTPUT,
           8, 74, "repeat: daily needs at as a time of day (HH:MM), not a date");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n    - { source: bars, duration: 10s, at: \"18:00\", repeat: weekly }\n"
           OUTPUT,
           8, 59, "schedule.items[1].repeat: unknown value 'weekly' (one of daily)");
    /* the same instant written in two zones */
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n"
           "    - { source: bars, duration: 1h, at: \"2026-11-25T12:00:00Z\" }\n"
           "    - { source: bars, duration: 10s, at: \"2026-11-25T13:00:00+01:00\" }\n" OUTPUT,
           9, 42, "schedule.items[2].at: starts at the same time as item 1 (line 8)");
    BROKEN(HEAD VIDEO LADDER SOURCES
           "schedule:\n  items:\n"
           "    - { source: bars, duration: 1h, at: \"18:00\", repeat: daily }\n"
           "    - { source: bars, duration: 10s }\n"
           "    - { source: bars, duration: 1m, at: \"18:00:00\", repeat: daily }\n" OUTPUT,
           10, 41, "schedule.items[3].at: starts at the same time as item 1 (line 8)");
    /* an absolute time on a daily item's occurrence, in the channel's zone */
    BROKEN(HEAD "timezone: Europe/Berlin\n" VIDEO LADDER SOURCES
           "schedule:\n  items:\n"
           "    - { source: bars, duration: 1h, at: \"18:00\", repeat: daily }\n"
           "    - { source: bars, duration: 10s, at: \"2026-11-25T17:00:00Z\" }\n" OUTPUT,
           10, 42, "schedule.items[2].at: starts at the same time as item 1 (line 9)");
    /* output */
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, formats: [hls, mp4] }\n",
           9, 36, "output.formats: unknown format 'mp4' (one of hls, hls-fmp4, dash, cmaf)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, formats: [hls, hls] }\n",
           9, 36, "output.formats: 'hls' is listed twice");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, segment: 100ms }\n",
           9, 30, "output.segment: 100ms is out of range (500ms to 30s)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, window: 1 }\n",
           9, 29, "output.window: 1 is out of range (3 to 10000)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  low_latency: { part: 2s }\n",
           11, 24, "output.low_latency.part: 2s must be shorter than output.segment (2s)");
    BROKEN("channel: time\n" VIDEO LADDER SOURCES SCHEDULE OUTPUT, 1, 10,
           "channel: 'time' cannot be a channel id: the server uses /time itself");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  serve: { listen: \"127.0.0.1:70000\" }\n",
           11, 20, "output.serve.listen: '127.0.0.1:70000': the port must be a number from 1 to 65535");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  push: { url: \"ftp://o/\" }\n",
           11, 16, "output.push.url: 'ftp://o/': unknown scheme 'ftp' (use one of http, https)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE
           "output:\n  dir: out\n  push: { url: \"http://o/\", bearer_env: MY-TOKEN }\n",
           11, 41, "output.push.bearer_env: 'MY-TOKEN' is not an environment variable name");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  push: { bearer_env: T }\n",
           11, 3, "output.push: missing required key 'url'");
    /* YAML itself */
    BROKEN(HEAD "video: { width: 640, height: 360\n" LADDER SOURCES SCHEDULE OUTPUT,
           3, 7, "YAML: did not find expected ',' or '}' while parsing a flow mapping at line 2, column 8");
    BROKEN(HEAD VIDEO LADDER "sources:\n\tbars: { generate: testsrc }\n" SCHEDULE OUTPUT,
           5, 1, "tabs cannot indent YAML: use spaces");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: dir: out\n",
           9, 12, "YAML: mapping values are not allowed in this context");
    BROKEN(VALID "---\nchannel: u\n",
           11, 1, "a second YAML document: one channel per file");
    BROKEN("channel: t\xff\n", 1, 11, "YAML: invalid leading UTF-8 octet");
    BROKEN("# nothing\n", 0, 0, "the file is empty");
    BROKEN("- channel: t\n", 1, 1, "expected the channel's keys (channel: ..., video: ...), got a list");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE OUTPUT "[a, b]: c\n",
           10, 1, "keys must be words, not a list");
    BROKEN(HEAD "video: *nothing\n" LADDER SOURCES SCHEDULE OUTPUT,
           2, 8, "YAML: found undefined alias");
}

static void test_nothing_half_loaded(void)
{
    /* one error among valid keys: no conf, and every message still reported */
    static const char yaml[] = HEAD VIDEO LADDER SOURCES SCHEDULE OUTPUT "bogus: 1\nwindow: 2\n";
    ChannelConf *conf = (ChannelConf *)1;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", fixtures, &r), AVERROR(EINVAL));
    CHECK(conf == NULL);
    CHECK_EQ_INT(r.errors, 2);
    CHECK_EQ_INT(r.count, 2);
    /* in file order */
    CHECK_EQ_INT(r.messages[0].line, 10);
    CHECK_EQ_INT(r.messages[1].line, 11);
    conf_report_clear(&r);
    CHECK_EQ_INT(r.count, 0);
    CHECK(r.messages == NULL);

    /* a file that cannot be read */
    conf = (ChannelConf *)1;
    CHECK_EQ_INT(conf_load(&conf, "/nonexistent/channel.yaml", &r), AVERROR(ENOENT));
    CHECK(conf == NULL);
    CHECK_EQ_INT(r.errors, 1);
    if (r.count == 1) {
        char line[512];
        conf_message_format(&r, &r.messages[0], line, sizeof(line));
        CHECK_EQ_STR(line, "/nonexistent/channel.yaml: error: cannot read: No such file or directory");
    }
    conf_report_clear(&r);

    /* many problems: capped, and said so */
    {
        Buf b = { 0 };
        buf_printf(&b, VALID);
        for (int i = 0; i < 300; i++)
            buf_printf(&b, "bogus%d: 1\n", i);
        CHECK(conf_load_string(&conf, (const char *)b.data, b.len, "t.yaml", NULL, &r) < 0);
        CHECK_EQ_INT(r.errors, 300);
        CHECK(r.count <= 101);
        CHECK(r.count > 0 && strstr(r.messages[r.count - 1].text, "too many problems"));
        conf_report_clear(&r);
        buf_free(&b);
    }
}

static void test_warnings(void)
{
    WARNS(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, loop: true }\n" SCHEDULE OUTPUT,
          5, 30, "sources.bars.loop: only file sources loop; ignored");
    WARNS(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc }\n  unused: { generate: color }\n"
          SCHEDULE OUTPUT,
          6, 3, "sources.unused is never scheduled");
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  low_latency: { part: 0.3s }\n",
          11, 24, "output.low_latency.part: 300ms is 7.5 frames at 25 fps: parts are cut on whole frames, "
          "so they are 7 frames (280ms) and the last of each segment 1 frames (40ms); 200ms (5 frames) "
          "or 400ms (10 frames) divides output.segment (2s) into whole-frame parts");
    /* whole frames (9 at 24 fps) that do not divide the segment's 48 */
    WARNS(HEAD "video: { width: 640, height: 360, fps: 24 }\n" LADDER SOURCES SCHEDULE
          "output:\n  dir: out\n  low_latency: { part: 0.375s }\n",
          11, 24, "output.low_latency.part: 375ms does not divide output.segment (2s)");
}

/* Parts and segments are cut on whole frames (packager.c's part_frames,
 * common.h's grid): what is not a whole number of frames is said, with what
 * the packager makes of it. The numbers are the packager's (test_live.c). */
static void test_frame_grid(void)
{
    /* the case: 12.5 frames are 12, and the last part of 50 is 2 */
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  low_latency: { part: 0.5s }\n",
          11, 24, "output.low_latency.part: 500ms is 12.5 frames at 25 fps: parts are cut on whole "
          "frames, so they are 12 frames (480ms) and the last of each segment 2 frames (80ms); 400ms "
          "(10 frames) or 1s (25 frames) divides output.segment (2s) into whole-frame parts");
    /* test_live.c's packager cuts these: 7, 7, 7 and 4 frames */
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  segment: 1s\n  low_latency: { part: 0.3s }\n",
          12, 24, "300ms is 7.5 frames at 25 fps: parts are cut on whole frames, so they are 7 frames "
          "(280ms) and the last of each segment 4 frames (160ms); 200ms (5 frames) divides output.segment (1s)");
    /* parts that still divide the segment */
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  low_latency: { part: 0.41s }\n",
          11, 24, "410ms is 10.25 frames at 25 fps: parts are cut on whole frames, so they are 10 "
          "frames (400ms), 5 to a segment; 400ms (10 frames) or 1s (25 frames) divides");
    /* 29.97 with the default segment: said at video.fps, the cause */
    WARNS(HEAD "video: { width: 640, height: 360, fps: 29.97 }\n" LADDER SOURCES SCHEDULE OUTPUT,
          2, 40, "output.segment: 2s (the default) is 59.94 frames at 29.97 fps: segments are cut on "
          "whole frames, 60 or 59 of them (2.002s or 1.96863s), 2s on average; 2.002s (60 frames) or "
          "1.9019s (57 frames) makes every segment as long");
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, segment: 2.02s }\n",
          9, 30, "output.segment: 2.020s is 50.5 frames at 25 fps: segments are cut on whole frames, "
          "51 or 50 of them (2.040s or 2s), 2.020s on average; 2s (50 frames) or 2.040s (51 frames)");
    /* both: the part against segments of 60 and 59 frames */
    WARNS(HEAD "video: { width: 640, height: 360, fps: 30000/1001 }\n" LADDER SOURCES SCHEDULE
          "output:\n  dir: out\n  low_latency: { part: 0.5s }\n",
          11, 24, "500ms is 14.985 frames at 29.97 fps: parts are cut on whole frames, so they are 14 "
          "frames (0.467133s) and the last of each segment 4 or 3 frames (0.133467s or 0.1001s); the "
          "nearest whole-frame parts are 0.5005s (15 frames) or 0.4004s (12 frames)");
    /* whole-frame 29.97 values draw nothing */
    {
        static const char yaml[] = HEAD "video: { width: 640, height: 360, fps: 29.97 }\n" LADDER
            SOURCES SCHEDULE "output: { dir: out, segment: 2.002s, low_latency: { part: 0.5005s } }\n";
        ChannelConf *conf = NULL;
        ConfReport r = { 0 };
        CHECK_EQ_INT(conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", fixtures, &r), 0);
        CHECK_EQ_INT(r.warnings, 0);
        dump(&r);
        conf_free(&conf);
        conf_report_clear(&r);
    }
    WARNS(HEAD "video: { width: 640, height: 360, fps: 29.97 }\n" LADDER SOURCES SCHEDULE
          "output: { dir: out, segment: 2.002s, low_latency: { part: 0.5s } }\n",
          9, 59, "so they are 14 frames (0.467133s) and the last of each segment 4 frames (0.133467s); "
          "0.5005s (15 frames) or 0.4004s (12 frames) divides output.segment (2.002s)");
}

/* output.serve's limits: ranges, one against the other, whole seconds. */
static void test_serve_limits(void)
{
#define SERVE(x) HEAD VIDEO LADDER SOURCES SCHEDULE \
    "output:\n  dir: out\n  serve:\n    listen: \":8080\"\n" x
    BROKEN(SERVE("    connections: 0\n"), 13, 18, "output.serve.connections: 0 is out of range (1 to 32768)");
    BROKEN(SERVE("    connections: -5\n"), 13, 18, "output.serve.connections: -5 is out of range");
    BROKEN(SERVE("    connections: 40000\n"), 13, 18, "output.serve.connections: 40000 is out of range");
    BROKEN(SERVE("    connections: many\n"), 13, 18, "expected a whole number, got 'many'");
    BROKEN(SERVE("    connections: 10\n    per_address: 11\n"), 14, 18,
           "output.serve.per_address: 11 is more than connections (10): one address cannot have "
           "more than all");
    BROKEN(SERVE("    per_address: 2000\n"), 13, 18,
           "output.serve.per_address: 2000 is more than connections (1024, the default)");
    BROKEN(SERVE("    idle_timeout: 0s\n"), 13, 19, "output.serve.idle_timeout:");
    BROKEN(SERVE("    idle_timeout: 2h\n"), 13, 19, "out of range (1s to 1h)");
    WARNS(SERVE("    idle_timeout: 2500ms\n"), 13, 19,
          "output.serve.idle_timeout: 2.500s is not whole seconds, which the server counts in: 3s it is");
    {
        static const char yaml[] = SERVE("    connections: 2\n    per_address: 2\n    idle_timeout: 2500ms\n");
        ChannelConf *conf = NULL;
        ConfReport r = { 0 };
        CHECK_EQ_INT(conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", fixtures, &r), 0);
        if (conf) {
            CHECK_EQ_INT(conf->output.serve.connections, 2);
            CHECK_EQ_INT(conf->output.serve.per_address, 2);
            CHECK_EQ_INT(conf->output.serve.idle_timeout, 3000000);
            CHECK_EQ_INT(conf->output.serve.connections_line, 13);
            CHECK_EQ_INT(conf->output.serve.connections_column, 18);
        }
        conf_free(&conf);
        conf_report_clear(&r);
    }
#undef SERVE
}

/* Channels in one process (conf_check_together): what no file shows alone. */
#define CHAN(id, dir, serve) "channel: " id "\n" VIDEO LADDER SOURCES SCHEDULE \
    "output:\n  dir: " dir "\n" serve
#define SERVED(listen, limits) "  serve: { listen: \"" listen "\"" limits " }\n"

static ChannelConf *load_as(const char *name, const char *yaml)
{
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, yaml, strlen(yaml), name, NULL, &r), 0);
    dump(&r);
    conf_report_clear(&r);
    return conf;
}

/* n configs from strings, named a.yaml, b.yaml, ...: what conf_check_together
 * says, each message formatted, one a line, or "" when none. */
static int together(const char *const *yaml, int n, ChannelConf **confs, char *said, size_t size)
{
    ConfReport r = { 0 };
    size_t len = 0;
    int ret;

    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%c.yaml", 'a' + i);
        confs[i] = load_as(name, yaml[i]);
        if (!confs[i])
            return AVERROR_BUG;
    }
    ret = conf_check_together(confs, n, &r);
    said[0] = 0;
    for (int i = 0; i < r.count && len < size; i++) {
        conf_message_format(&r, &r.messages[i], said + len, size - len);
        len += strlen(said + len);
        if (len + 1 < size) {
            said[len++] = '\n';
            said[len] = 0;
        }
    }
    CHECK_EQ_INT(r.errors, r.count);
    conf_report_clear(&r);
    return ret;
}

static void free_all(ChannelConf **confs, int n)
{
    for (int i = 0; i < n; i++)
        conf_free(&confs[i]);
}

static void test_together(void)
{
    ChannelConf *confs[4] = { 0 };
    ConfServer srv;
    char said[2048];

    {
        const char *const y[] = { CHAN("t", "out-a", ""), CHAN("t", "out-b", "") };
        CHECK_EQ_INT(together(y, 2, confs, said, sizeof(said)), AVERROR(EINVAL));
        CHECK_EQ_STR(said, "b.yaml:1:10: error: channel: 't' is also defined by a.yaml (line 1)\n");
        free_all(confs, 2);
    }
    {
        const char *const y[] = { CHAN("a", "out", ""), CHAN("b", "out2", ""), CHAN("c", "out", "") };
        CHECK_EQ_INT(together(y, 3, confs, said, sizeof(said)), AVERROR(EINVAL));
        CHECK_EQ_STR(said, "c.yaml:10:8: error: output.dir: out is also the output folder of "
                           "channel 'a' (a.yaml, line 10)\n");
        free_all(confs, 3);
    }
    {
        /* one server's limits given two ways, each said once, where given */
        const char *const y[] = {
            CHAN("a", "a", SERVED(":8080", ", connections: 100")),
            CHAN("b", "b", SERVED(":8080", ", connections: 200")),
            CHAN("c", "c", SERVED(":8080", ", idle_timeout: 20s")),
            CHAN("d", "d", SERVED(":8080", ", idle_timeout: 30s, connections: 100")),
        };
        CHECK_EQ_INT(together(y, 4, confs, said, sizeof(said)), AVERROR(EINVAL));
        CHECK_EQ_STR(said,
            "b.yaml:11:42: error: output.serve.connections: 200, but a.yaml gives 100 (line 11) "
            "for the same listen address :8080: channels that share a server give its limits once "
            "or alike\n"
            "d.yaml:11:43: error: output.serve.idle_timeout: 30s, but c.yaml gives 20s (line 11) "
            "for the same listen address :8080: channels that share a server give its limits once "
            "or alike\n");
        free_all(confs, 4);
    }
    {
        /* one channel's per_address against another's connections */
        const char *const y[] = {
            CHAN("a", "a", SERVED(":8080", ", connections: 10")),
            CHAN("b", "b", SERVED(":8080", ", per_address: 20")),
        };
        CHECK_EQ_INT(together(y, 2, confs, said, sizeof(said)), AVERROR(EINVAL));
        CHECK_EQ_STR(said,
            "b.yaml:11:42: error: output.serve.per_address: 20 is more than the connections (10) "
            "that a.yaml gives (line 11) for the same listen address :8080: one address cannot "
            "have more than all\n");
        free_all(confs, 2);
    }
    {
        /* limits given once or alike are the server's; an address is one
         * however it is written; another port is another server */
        const char *const y[] = {
            CHAN("a", "a", SERVED("LocalHost:8080", ", connections: 100")),
            CHAN("b", "b", SERVED("localhost:08080", ", connections: 100, idle_timeout: 20s")),
            CHAN("c", "c", SERVED("localhost:8081", ", per_address: 40")),
            CHAN("d", "d", ""),
        };
        CHECK_EQ_INT(together(y, 4, confs, said, sizeof(said)), 0);
        CHECK_EQ_STR(said, "");
        CHECK_EQ_INT(conf_server_of(confs, 4, 1, &srv), 0);
        CHECK_EQ_STR(srv.listen, "LocalHost:8080");
        CHECK_EQ_INT(srv.connections, 100);
        CHECK_EQ_INT(srv.per_address, 0);
        CHECK_EQ_INT(srv.idle_timeout, 20000000);
        CHECK_EQ_INT(conf_server_of(confs, 4, 0, &srv), 0);
        CHECK_EQ_INT(srv.idle_timeout, 20000000);
        CHECK_EQ_INT(conf_server_of(confs, 4, 2, &srv), 2);
        CHECK_EQ_INT(srv.connections, 0);
        CHECK_EQ_INT(srv.per_address, 40);
        CHECK_EQ_INT(conf_server_of(confs, 4, 3, &srv), -1);
        CHECK(!srv.listen);
        free_all(confs, 4);
    }
    {
        /* one channel alone has nothing to agree with */
        const char *const y[] = { CHAN("a", "a", SERVED(":8080", "")) };
        CHECK_EQ_INT(together(y, 1, confs, said, sizeof(said)), 0);
        free_all(confs, 1);
    }
}
#undef CHAN
#undef SERVED

static void test_message_format(void)
{
    static const char yaml[] = HEAD "video: { width: 641 }\n" LADDER SOURCES SCHEDULE OUTPUT;
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };
    char line[512];

    conf_load_string(&conf, yaml, strlen(yaml), "chan/demo.yaml", NULL, &r);
    CHECK_EQ_INT(r.count, 1);
    if (r.count) {
        conf_message_format(&r, &r.messages[0], line, sizeof(line));
        CHECK_EQ_STR(line, "chan/demo.yaml:2:17: error: video.width: 641 is odd: it must be even "
                           "(4:2:0 video halves it)");
    }
    conf_report_clear(&r);
}

static void test_forms(void)
{
    /* the other ways of writing things */
    static const char yaml[] =
        HEAD
        "video: { width: 640, height: 360, fps: 29.97 }\n"
        "ladder: \"360p, 320x180@300k\"\n"
        "sources:\n  bars: { generate: testsrc }\n  b2: { url: \"HTTPS://example.org/x.m3u8\" }\n"
        "slate: { color: White, text: \"\" }\n"
        "schedule:\n  loop: yes\n  items:\n"
        "    - { source: bars, duration: 90 }\n"
        "    - { source: b2, duration: 1.5h, at: \"2026-11-25 12:00:00.250+05:30\" }\n"
        "    - { source: bars, duration: 1m, at: \"7:05\", repeat: daily }\n"
        "output: { dir: /tmp/x, formats: dash, segment: 6 }\n";
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", NULL, &r), 0);
    dump(&r);
    if (!conf)
        return;
    CHECK_EQ_INT(conf->video.fps.num, 30000);
    CHECK_EQ_INT(conf->video.fps.den, 1001);
    CHECK_EQ_INT(conf->nb_rungs, 2);
    CHECK_EQ_STR(conf->ladder[1].name, "320x180");
    CHECK_EQ_INT(conf->slate.color, 0xffffff);
    CHECK_EQ_STR(conf->slate.text, "");
    CHECK_EQ_INT(conf->schedule.loop, 1);
    CHECK_EQ_INT(conf->schedule.items[0].duration, 90000000);
    CHECK_EQ_INT(conf->schedule.items[1].duration, 5400000000LL);
    /* 12:00:00.25 at +05:30 is 06:30:00.25Z */
    CHECK_EQ_INT(conf->schedule.items[1].at, 1795588200250000LL);
    CHECK_EQ_INT(conf->schedule.items[2].at, (7 * 3600 + 5 * 60) * 1000000LL);
    CHECK_EQ_STR(conf->output.dir, "/tmp/x");
    CHECK_EQ_INT(conf->output.formats, FORMAT_DASH);
    CHECK_EQ_INT(conf->output.segment, 6000000);
    CHECK_EQ_STR(conf->sources[1].url, "HTTPS://example.org/x.m3u8");
    conf_free(&conf);
    conf_report_clear(&r);
}

static int64_t dur(const char *s)
{
    char err[256];
    int64_t us = -1;
    return conf_parse_duration(s, &us, err, sizeof(err)) < 0 ? -1 : us;
}

static void test_durations(void)
{
    CHECK_EQ_INT(dur("1h30m"), 5400000000LL);
    CHECK_EQ_INT(dur("1h0m"), 3600000000LL);
    CHECK_EQ_INT(dur("90m"), 5400000000LL);
    CHECK_EQ_INT(dur("1.5h"), 5400000000LL);
    CHECK_EQ_INT(dur("0.5s"), 500000);
    CHECK_EQ_INT(dur(".5s"), 500000);
    CHECK_EQ_INT(dur("5.s"), 5000000);
    CHECK_EQ_INT(dur("1ms"), 1000);
    CHECK_EQ_INT(dur("0.0005s"), 500);
    CHECK_EQ_INT(dur("1h2m3s4ms"), 3723004000LL);
    CHECK_EQ_INT(dur("3600"), 3600000000LL);
    CHECK_EQ_INT(dur("1e3s"), -1);
    CHECK_EQ_INT(dur(" 2s"), -1);
    CHECK_EQ_INT(dur("2s "), -1);
    CHECK_EQ_INT(dur("2S"), -1);
    CHECK_EQ_INT(dur("ms"), -1);
    CHECK_EQ_INT(dur("2m2"), -1);
    CHECK_EQ_INT(dur("1s1s"), -1);
    CHECK_EQ_INT(dur("0.0000001s"), -1);      /* rounds to nothing */
    CHECK_EQ_INT(dur("999999999h"), -1);
    CHECK_EQ_INT(dur("+2s"), -1);

    /* in a config: start may be 0, a duration may not; ranges apply */
    WARNS(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, start: 0 }\n" SCHEDULE OUTPUT,
          5, 30, "only file sources have a start");
    WARNS(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, start: 0ms }\n" SCHEDULE OUTPUT,
          5, 30, "only file sources have a start");
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, start: 00x }\n" SCHEDULE OUTPUT,
           5, 37, "sources.bars.start: '00x' is not a duration");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 50ms }\n" OUTPUT,
           8, 33, "schedule.items[1].duration: 50ms is out of range (100ms to 744h)");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 745h }\n" OUTPUT,
           8, 33, "out of range (100ms to 744h)");
    BROKEN(HEAD VIDEO LADDER SOURCES "schedule:\n  items:\n    - { source: bars, duration: 1m1h }\n" OUTPUT,
           8, 33, "units must go from largest to smallest");
}

static void test_at(void)
{
    char err[256];
    enum ConfAtKind k;
    int64_t at;

    CHECK_EQ_INT(conf_parse_at("2026-11-25T12:00:00Z", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(k, CONF_AT_ABSOLUTE);
    CHECK_EQ_INT(at, 1795608000000000LL);
    CHECK_EQ_INT(conf_parse_at("2026-11-25T07:00:00-0500", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(at, 1795608000000000LL);
    CHECK_EQ_INT(conf_parse_at("2026-11-25t12:00z", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(at, 1795608000000000LL);
    CHECK_EQ_INT(conf_parse_at("2024-02-29T00:00:00Z", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(conf_parse_at("1970-01-01T00:00:00Z", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(at, 0);
    CHECK_EQ_INT(conf_parse_at("00:00", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(k, CONF_AT_DAILY);
    CHECK_EQ_INT(at, 0);
    CHECK_EQ_INT(conf_parse_at("23:59:59", &k, &at, err, sizeof(err)), 0);
    CHECK_EQ_INT(at, 86399000000LL);
    CHECK(conf_parse_at("2025-02-29T00:00:00Z", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("2026-11-25", &k, &at, err, sizeof(err)) < 0);
    CHECK(strstr(err, "a date without a time") != NULL);
    CHECK(conf_parse_at("2026-11-25T12:00:00+15:00", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("2026-11-25T12:00:00Zjunk", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("12:60", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("1200", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("", &k, &at, err, sizeof(err)) < 0);
    CHECK(conf_parse_at("12:00pm", &k, &at, err, sizeof(err)) < 0);
}

static void test_reference(void)
{
    Buf b = { 0 };

    CHECK_EQ_INT(conf_reference_markdown(&b), 0);
    buf_append(&b, "", 1);
    /* every key of DESIGN.md's "Channel config" is in it */
    static const char *const keys[] = {
        "`channel`", "`title`", "`timezone`", "`version`", "`video.width`", "`video.height`",
        "`video.fps`", "`audio.sample_rate`", "`audio.channels`", "`audio.bitrate`",
        "`audio.loudness`", "`ladder[].name`", "`ladder[].width`", "`ladder[].height`",
        "`ladder[].bitrate`", "`encoder.backend`", "`encoder.fallback`", "`encoder.preset`",
        "`slate.text`", "`slate.color`", "`slate.image`", "`sources.NAME.generate`",
        "`sources.NAME.file`", "`sources.NAME.url`", "`sources.NAME.loop`",
        "`sources.NAME.start`", "`sources.NAME.backup`", "`sources.NAME.timeout`",
        "`schedule.loop`", "`schedule.items[].source`", "`schedule.items[].duration`",
        "`schedule.items[].title`", "`schedule.items[].at`", "`schedule.items[].repeat`",
        "`output.dir`", "`output.segment`", "`output.window`", "`output.formats`",
        "`output.low_latency.part`", "`output.serve.listen`", "`output.push.url`",
        "`output.push.bearer_env`", "`output.push.headers`", "`output.push.basic_user_env`",
        "`output.push.ca_file`", "`output.push.aws_sigv4`", "`output.push.delete`",
        "`output.push.spool`", "`output.push.timeout`", "`output.push.name`", "`events.url`",
        "`events.secret_env`", "`schedule.items[].break`", "`schedule.items[].id`",
        "`sources.NAME.scte35`", "`output.ad_markers`", "`output.interstitials.asset_list`",
        "`output.interstitials.asset_uri`", "`output.interstitials.restrict`", NULL,
    };
    for (int i = 0; keys[i]; i++) {
        if (!strstr((const char *)b.data, keys[i])) {
            fprintf(stderr, "reference lacks %s\n", keys[i]);
            check_failures++;
        }
    }
    CHECK(strstr((const char *)b.data, "| `output.segment` | duration | `2s` | 500ms – 30s |") != NULL);
    CHECK(strstr((const char *)b.data, "| `output.ad_markers` | list of | `daterange` | `daterange`, "
                 "`cue`, `dash_bin` |") != NULL);
    CHECK(strstr((const char *)b.data, "| `output.interstitials.restrict` | list of | `skip, jump` | "
                 "`[]` or `skip`, `jump` |") != NULL);
    CHECK(strstr((const char *)b.data, "| `sources.NAME.scte35` | one of | `pass` | `pass`, `ignore` |")
          != NULL);
    buf_free(&b);
}

#define PUSH_HEAD HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n"

/* output.push: one target or several, each with its credentials and options. */
static void test_push(void)
{
    static const char two[] = PUSH_HEAD
        "  push:\n"                                                          /* 11 */
        "    - url: \"http://127.0.0.1:8080/live/t\"\n"
        "      headers: { X-Origin-Key: \"abc def\", Cache-Control: no-cache }\n"
        "      basic_user_env: ORIGIN_USER\n"
        "      basic_password_env: ORIGIN_PASS\n"
        "      delete: false\n"
        "      spool: 512M\n"
        "      timeout: 3s\n"
        "    - url: \"https://bucket.s3.example/live/t/\"\n"                /* 19 */
        "      headers: [\"x-amz-acl: public-read\"]\n"
        "      aws_sigv4: \"aws:amz:eu-west-1:s3\"\n"
        "      aws_key_env: AWS_ACCESS_KEY_ID\n"
        "      aws_secret_env: AWS_SECRET_ACCESS_KEY\n"
        "      ca_file: clips/promo.stub\n"
        "      retry_max: 2s\n";
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, two, strlen(two), "t.yaml", fixtures, &r), 0);
    if (r.count)
        dump(&r);
    if (conf) {
        const ConfPush *a = &conf->output.push[0], *b = &conf->output.push[1];
        CHECK_EQ_INT(conf->output.nb_push, 2);
        CHECK_EQ_STR(a->url, "http://127.0.0.1:8080/live/t/");
        CHECK_EQ_INT(a->line, 12);
        CHECK_EQ_INT(a->headers.count, 2);
        CHECK_EQ_STR(a->headers.lines[0], "X-Origin-Key: abc def");
        CHECK_EQ_STR(a->headers.lines[1], "Cache-Control: no-cache");
        CHECK_EQ_STR(a->basic_user_env, "ORIGIN_USER");
        CHECK_EQ_STR(a->basic_password_env, "ORIGIN_PASS");
        CHECK_EQ_INT(a->delete_segments, 0);
        CHECK_EQ_INT(a->spool, 512LL << 20);
        CHECK_EQ_INT(a->timeout, 3000000);
        CHECK_EQ_INT(a->retry_max, 5000000);
        CHECK(a->aws_sigv4 == NULL && a->ca_file == NULL);
        CHECK_EQ_STR(b->url, "https://bucket.s3.example/live/t/");
        CHECK_EQ_INT(b->line, 19);
        CHECK_EQ_INT(b->headers.count, 1);
        CHECK_EQ_STR(b->headers.lines[0], "x-amz-acl: public-read");
        CHECK_EQ_STR(b->aws_sigv4, "aws:amz:eu-west-1:s3");
        CHECK_EQ_STR(b->aws_key_env, "AWS_ACCESS_KEY_ID");
        CHECK_EQ_STR(b->aws_secret_env, "AWS_SECRET_ACCESS_KEY");
        CHECK(b->ca_file && strstr(b->ca_file, "/clips/promo.stub"));
        CHECK_EQ_INT(b->delete_segments, 1);
        CHECK_EQ_INT(b->retry_max, 2000000);
    }
    conf_free(&conf);
    conf_report_clear(&r);

    /* bad values name the key and its place */
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", spool: lots }\n",
           11, 36, "output.push.spool: 'lots' is not a size");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", spool: 10k }\n",
           11, 36, "output.push.spool: 10k is out of range (1M to 1T)");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", timeout: 0s }\n",
           11, 38, "output.push.timeout: duration must be more than zero");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", delete: maybe }\n",
           11, 37, "output.push.delete: expected true or false, got 'maybe'");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/?a=1\" }\n",
           11, 16, "output.push.url: 'http://o/?a=1': a base URL cannot have a query");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", headers: { \"Bad Name\": x } }\n",
           11, 40, "output.push.headers: 'Bad Name' is not a header name");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", headers: [\"X-A: 1\", \"nocolon\"] }\n",
           11, 49, "output.push.headers[2]: expected \"Name: value\", got no ':'");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", headers: { Content-Length: 5 } }\n",
           11, 40, "output.push.headers: Content-Length is set by onair itself");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", headers: [\"X-A: 1\", \"x-a: 2\"] }\n",
           11, 49, "output.push.headers[2]: x-a is given twice");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", headers: x }\n",
           11, 38, "output.push.headers: expected a mapping Name: value");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", basic_user_env: U }\n",
           11, 29, "output.push.basic_user_env: give basic_user_env and basic_password_env together");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", bearer_env: T, basic_user_env: U, "
           "basic_password_env: P }\n",
           11, 44, "output.push: bearer_env and basic auth exclude each other");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", aws_sigv4: \"aws:amz:eu-west-1:s3\" }\n",
           11, 29, "output.push.aws_sigv4: needs aws_key_env and aws_secret_env");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", aws_sigv4: \"aws/amz\", aws_key_env: K, "
           "aws_secret_env: S }\n",
           11, 40, "output.push.aws_sigv4: 'aws/amz' is not a SigV4 scope");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", aws_key_env: K }\n",
           11, 29, "output.push.aws_key_env: only used with aws_sigv4");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", bearer_env: T, headers: { Authorization: x } }\n",
           11, 53, "output.push.headers: Authorization is set by bearer_env");
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", ca_file: nowhere.pem }\n",
           11, 38, "output.push.ca_file: 'nowhere.pem' does not exist");
    BROKEN(PUSH_HEAD "  push:\n    - { url: \"http://o/a/\" }\n    - { url: \"http://o/a\" }\n",
           13, 7, "output.push[2]: url http://o/a/ is also target 1's (line 12)");
    BROKEN(PUSH_HEAD "  push:\n    - { url: \"http://o/a/\" }\n    - { bearer_env: T }\n",
           13, 7, "output.push[2]: missing required key 'url'");
    BROKEN(PUSH_HEAD "  push:\n    - { url: \"http://o/a/\", retry_max: 1h }\n",
           12, 40, "output.push[1].retry_max: 1h is out of range (1s to 5m)");
    BROKEN(PUSH_HEAD "  push: []\n", 11, 9, "output.push: empty");
    BROKEN(PUSH_HEAD "  push: \"http://o/\"\n", 11, 9,
           "output.push: expected a mapping { url: ... } or a list of them, got a single value");
    BROKEN(PUSH_HEAD "  push:\n", 11, 3, "output.push: missing required key 'url'");
    BROKEN(PUSH_HEAD "  push:\n" "    - { url: \"http://o/1/\" }\n" "    - { url: \"http://o/2/\" }\n"
           "    - { url: \"http://o/3/\" }\n" "    - { url: \"http://o/4/\" }\n"
           "    - { url: \"http://o/5/\" }\n" "    - { url: \"http://o/6/\" }\n"
           "    - { url: \"http://o/7/\" }\n" "    - { url: \"http://o/8/\" }\n"
           "    - { url: \"http://o/9/\" }\n",
           20, 7, "output.push: too many targets (at most 8)");
    WARNS(PUSH_HEAD "  push: { url: \"http://o/\", ca_file: clips/promo.stub }\n",
          11, 29, "output.push.ca_file: used only for https");

    /* name: the label of a target's metrics and events */
    {
        static const char named[] = PUSH_HEAD "  push:\n    - { url: \"http://o/a/\", name: edge-1 }\n"
                                    "    - { url: \"http://o/b/\" }\n";
        CHECK_EQ_INT(conf_load_string(&conf, named, strlen(named), "t.yaml", fixtures, &r), 0);
        if (conf) {
            CHECK_EQ_STR(conf->output.push[0].name, "edge-1");
            CHECK(conf->output.push[1].name == NULL);
        }
        conf_free(&conf);
        conf_report_clear(&r);
    }
    BROKEN(PUSH_HEAD "  push: { url: \"http://o/\", name: Edge_1 }\n",
           11, 35, "output.push.name: 'Edge_1'");
    BROKEN(PUSH_HEAD "  push:\n    - { url: \"http://o/a/\", name: edge }\n"
           "    - { url: \"http://o/b/\", name: edge }\n",
           13, 35, "output.push[2].name: edge is also target 1's (line 12)");
}

/* events: goes on line 10 */
#define EVENTS_HEAD HEAD VIDEO LADDER SOURCES SCHEDULE OUTPUT

/* events: a webhook, signed with a key from the environment. */
static void test_events(void)
{
    static const char hook[] = EVENTS_HEAD
        "events: { url: \"https://hooks.example/onair?ch=t\", secret_env: HOOK_KEY }\n";
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, hook, strlen(hook), "t.yaml", fixtures, &r), 0);
    CHECK_EQ_INT(r.count, 0);
    if (conf) {
        /* a whole URL, not a base: kept as written, query and all */
        CHECK_EQ_STR(conf->events.url, "https://hooks.example/onair?ch=t");
        CHECK_EQ_STR(conf->events.secret_env, "HOOK_KEY");
    }
    conf_free(&conf);
    conf_report_clear(&r);

    CHECK_EQ_INT(conf_load_string(&conf, VALID, strlen(VALID), "t.yaml", fixtures, &r), 0);
    if (conf)
        CHECK(conf->events.url == NULL && conf->events.secret_env == NULL);
    conf_free(&conf);
    conf_report_clear(&r);

    WARNS(EVENTS_HEAD "events: { url: \"http://127.0.0.1:9/\" }\n",
          10, 11, "events: no secret_env: events are sent unsigned");
    BROKEN(EVENTS_HEAD "events: { url: \"ftp://h/\", secret_env: K }\n",
           10, 16, "events.url: 'ftp://h/': unknown scheme 'ftp' (use one of http, https)");
    BROKEN(EVENTS_HEAD "events: { url: \"http://h/\", secret_env: 9KEY }\n",
           10, 41, "events.secret_env: '9KEY' is not an environment variable name");
    BROKEN(EVENTS_HEAD "events: { secret_env: K }\n", 10, 1, "events: missing required key 'url'");
    BROKEN(EVENTS_HEAD "events: { url: \"http://h/\", sign: yes }\n", 10, 29,
           "unknown key 'sign' in events (known keys: url, secret_env)");
    BROKEN(EVENTS_HEAD "events: \"http://h/\"\n", 10, 9, "events: expected a mapping");
}

/* Ad breaks in the schedule, and how the outputs mark them. */
#define BRK_HEAD HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc }\n  promo: { generate: color }\n" \
    "schedule:\n  items:\n    - { source: bars, duration: 10m }\n"
#define BRK_OUT "output: { dir: out }\n"

static void test_breaks(void)
{
    static const char ok[] = BRK_HEAD
        "    - { break: 90s }\n"
        "    - { break: 30s, source: promo, title: \"Sponsor\", id: \"sp-1\" }\n"
        "    - { at: \"12:00\", repeat: daily, break: 2m, title: Noon }\n"
        "    - { at: \"2026-11-25T18:00:00Z\", break: 1m, id: \"evening.1\" }\n"
        BRK_OUT;
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };

    CHECK_EQ_INT(conf_load_string(&conf, ok, strlen(ok), "t.yaml", fixtures, &r), 0);
    dump(&r);
    CHECK_EQ_INT(r.count, 0);
    if (conf) {
        const ConfItem *it = conf->schedule.items;
        CHECK_EQ_INT(conf->schedule.nb_items, 5);
        CHECK_EQ_INT(it[0].is_break, 0);
        CHECK(it[0].break_id == NULL);
        /* defaults: the slate, the title, break-N by its place in the list */
        CHECK_EQ_INT(it[1].is_break, 1);
        CHECK_EQ_INT(it[1].duration, 90000000);
        CHECK_EQ_INT(it[1].source, -1);
        CHECK_EQ_STR(it[1].title, CONF_BREAK_TITLE);
        CHECK_EQ_STR(it[1].break_id, "break-2");
        CHECK_EQ_INT(it[2].source, 1);
        CHECK_EQ_STR(it[2].title, "Sponsor");
        CHECK_EQ_STR(it[2].break_id, "sp-1");
        CHECK_EQ_INT(it[3].at_kind, CONF_AT_DAILY);
        CHECK_EQ_INT(it[3].at, 12LL * 3600 * 1000000);
        CHECK_EQ_STR(it[3].break_id, "break-4");
        CHECK_EQ_STR(it[3].title, "Noon");
        CHECK_EQ_INT(it[4].at_kind, CONF_AT_ABSOLUTE);
        CHECK_EQ_STR(it[4].break_id, "evening.1");
    }
    conf_free(&conf);
    conf_report_clear(&r);

    /* an item is a program or a break, each with what it needs */
    BROKEN(BRK_HEAD "    - { break: 90s, duration: 90s }\n" BRK_OUT,
           10, 21, "schedule.items[2]: give duration (a program) or break (an ad break that long), "
           "not both");
    BROKEN(BRK_HEAD "    - { duration: 90s, break: 90s }\n" BRK_OUT,
           10, 24, "schedule.items[2]: give duration (a program) or break");
    BROKEN(BRK_HEAD "    - { title: Nothing }\n" BRK_OUT,
           10, 7, "schedule.items[2]: missing required key 'duration' (or break: LENGTH for an ad break)");
    BROKEN(BRK_HEAD "    - { duration: 1m }\n" BRK_OUT,
           10, 7, "schedule.items[2]: missing required key 'source'");
    BROKEN(BRK_HEAD "    - { break: 0s }\n" BRK_OUT,
           10, 16, "schedule.items[2].break: duration must be more than zero");
    BROKEN(BRK_HEAD "    - { break: 50ms }\n" BRK_OUT,
           10, 16, "schedule.items[2].break: 50ms is out of range (100ms to 744h)");
    BROKEN(BRK_HEAD "    - { break: soon }\n" BRK_OUT,
           10, 16, "schedule.items[2].break:");
    BROKEN(BRK_HEAD "    - { break: 1m, source: promos }\n" BRK_OUT,
           10, 28, "schedule.items[2].source: source 'promos' is not defined (did you mean 'promo'?)");
    /* ids: a break's only, plain, unique */
    BROKEN(BRK_HEAD "    - { source: promo, duration: 1m, id: x }\n" BRK_OUT,
           10, 38, "schedule.items[2].id: only a break has an id");
    BROKEN(BRK_HEAD "    - { break: 1m, id: \"a b\" }\n" BRK_OUT,
           10, 24, "schedule.items[2].id: 'a b' is not a break id");
    BROKEN(BRK_HEAD "    - { break: 1m, id: \"say \\\"hi\\\"\" }\n" BRK_OUT,
           10, 24, "is not a break id");
    BROKEN(BRK_HEAD "    - { break: 1m, id: \"two\\nlines\" }\n" BRK_OUT,
           10, 24, "is not a break id");
    BROKEN(BRK_HEAD "    - { break: 1m, id: \"\" }\n" BRK_OUT,
           10, 24, "'' is not a break id");
    BROKEN(BRK_HEAD "    - { break: 1m, id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }\n"
           BRK_OUT, 10, 24, "schedule.items[2].id: too long (at most 64 characters)");
    BROKEN(BRK_HEAD "    - { break: 1m, id: x1 }\n    - { break: 2m, id: x1 }\n" BRK_OUT,
           11, 24, "schedule.items[3].id: break id 'x1' is item 2's too (line 10): a break's id is "
           "unique in the channel");
    /* an id that another break gets by default (break-3): the given one is to change */
    BROKEN(BRK_HEAD "    - { break: 1m, id: break-3 }\n    - { break: 2m }\n" BRK_OUT,
           10, 24, "schedule.items[2].id: break id 'break-3' is item 3's default id (line 11)");
    BROKEN(BRK_HEAD "    - { break: 1m }\n    - { break: 2m, id: break-2 }\n" BRK_OUT,
           11, 24, "schedule.items[3].id: break id 'break-2' is item 2's default id (line 10)");
    /* `at` and `repeat` as for any item */
    BROKEN(BRK_HEAD "    - { break: 1m, at: \"18:00\" }\n" BRK_OUT,
           10, 24, "schedule.items[2].at: '18:00' is a time of day: add repeat: daily");
    BROKEN(BRK_HEAD "    - { break: 1m, at: \"18:00\", repeat: daily }\n"
           "    - { source: promo, duration: 1m, at: \"18:00\", repeat: daily }\n" BRK_OUT,
           11, 42, "schedule.items[3].at: starts at the same time as item 2 (line 10)");

    /* sources.NAME.scte35 */
    BROKEN(HEAD VIDEO LADDER "sources:\n  bars: { url: \"udp://127.0.0.1:5000\", scte35: drop }\n"
           SCHEDULE OUTPUT, 5, 48, "sources.bars.scte35: unknown value 'drop' (one of pass, ignore)");
    WARNS(HEAD VIDEO LADDER "sources:\n  bars: { generate: testsrc, scte35: pass }\n" SCHEDULE OUTPUT,
          5, 30, "sources.bars.scte35: only url sources (live MPEG-TS) carry SCTE-35 cues");
    {
        static const char live[] = HEAD VIDEO LADDER
            "sources:\n  bars: { url: \"srt://0.0.0.0:9000?mode=listener\", scte35: ignore }\n"
            "schedule:\n  items:\n    - { break: 1m, source: bars }\n" OUTPUT;
        CHECK_EQ_INT(conf_load_string(&conf, live, strlen(live), "t.yaml", fixtures, &r), 0);
        CHECK_EQ_INT(r.count, 0);
        if (conf) {
            CHECK_EQ_STR(conf->sources[0].scte35, "ignore");
            CHECK_EQ_INT(conf->schedule.items[0].source, 0);
        }
        conf_free(&conf);
        conf_report_clear(&r);
    }

    /* output.ad_markers */
    {
        static const char one[] = HEAD VIDEO LADDER SOURCES SCHEDULE
            "output: { dir: out, formats: [hls, dash], ad_markers: cue }\n";
        CHECK_EQ_INT(conf_load_string(&conf, one, strlen(one), "t.yaml", fixtures, &r), 0);
        CHECK_EQ_INT(r.count, 0);
        if (conf)
            CHECK_EQ_INT(conf->output.ad_markers, AD_MARKERS_CUE);
        conf_free(&conf);
        conf_report_clear(&r);
    }
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, ad_markers: [daterange, cues] }\n",
           9, 45, "output.ad_markers: unknown value 'cues'; did you mean 'cue'? (one of daterange, "
           "cue, dash_bin)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, ad_markers: [cue, cue] }\n",
           9, 39, "output.ad_markers: 'cue' is listed twice");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, ad_markers: [] }\n",
           9, 33, "output.ad_markers: empty: list at least one of daterange, cue, dash_bin");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, ad_markers: { cue: 1 } }\n",
           9, 33, "output.ad_markers: expected a list such as [daterange, cue], got a mapping");
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, ad_markers: [daterange, dash_bin] }\n",
          9, 33, "output.ad_markers: dash_bin marks DASH events, and output.formats has no dash or cmaf");
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output: { dir: out, formats: [dash], ad_markers: [cue] }\n",
          9, 50, "output.ad_markers: cue marks HLS playlists, and output.formats has no hls");

    /* output.interstitials */
    {
        static const char list[] = HEAD VIDEO LADDER SOURCES SCHEDULE
            "output:\n  dir: out\n  interstitials: { asset_list: \"http://ads.example/list\", restrict: [] }\n";
        CHECK_EQ_INT(conf_load_string(&conf, list, strlen(list), "t.yaml", fixtures, &r), 0);
        CHECK_EQ_INT(r.count, 0);
        if (conf) {
            CHECK_EQ_STR(conf->output.interstitials.asset_list, "http://ads.example/list");
            CHECK(conf->output.interstitials.asset_uri == NULL);
            CHECK_EQ_INT(conf->output.interstitials.restrictions, 0);
        }
        conf_free(&conf);
        conf_report_clear(&r);
    }
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: "
           "{ asset_list: \"https://a/l\", asset_uri: \"https://a/u.m3u8\" }\n",
           11, 47, "output.interstitials: give asset_list (an ad server) or asset_uri (one ad), not both");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: { restrict: [skip] }\n",
           11, 3, "output.interstitials: give asset_list (the ad server's URL) or asset_uri");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials:\n",
           11, 3, "output.interstitials: empty: give asset_list");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: { asset_list: \"ftp://a/l\" }\n",
           11, 32, "output.interstitials.asset_list: 'ftp://a/l': unknown scheme 'ftp' (use one of http, https)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: { asset_uri: \"ads\" }\n",
           11, 31, "output.interstitials.asset_uri: 'ads' is not a URL");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: "
           "{ asset_uri: \"https://a/u\", restrict: [skip, seek] }\n",
           11, 63, "output.interstitials.restrict: unknown value 'seek' (one of skip, jump)");
    BROKEN(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  interstitials: "
           "{ asset_uri: \"https://a/u\", skip: true }\n",
           11, 46, "unknown key 'skip' in output.interstitials");
    WARNS(HEAD VIDEO LADDER SOURCES SCHEDULE "output:\n  dir: out\n  formats: [dash]\n"
          "  interstitials: { asset_uri: \"https://a/u\" }\n",
          12, 3, "output.interstitials: HLS Interstitials are HLS tags, and output.formats has no hls");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_channel FIXTURES_DIR\n");
        return 2;
    }
    fixtures = argv[1];
    test_valid_minimal();
    test_valid_full();
    test_broken();
    test_nothing_half_loaded();
    test_warnings();
    test_frame_grid();
    test_serve_limits();
    test_together();
    test_message_format();
    test_forms();
    test_durations();
    test_at();
    test_reference();
    test_push();
    test_events();
    test_breaks();
    return CHECK_DONE();
}
