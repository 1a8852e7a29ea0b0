/*
 * Timeline resolution: items that follow, `at` times that cut in, daily
 * items across DST changes (Europe/Berlin and America/New_York, both
 * directions), loop, gaps, joining in progress, and that any window agrees
 * with one long resolution from the channel's start.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <libavutil/error.h>

#include "check.h"
#include "schedule/schedule.h"

#define S(x) ((int64_t)(x) * 1000000)

static int64_t T(const char *iso)
{
    char err[256];
    enum ConfAtKind k;
    int64_t t = 0;
    if (conf_parse_at(iso, &k, &t, err, sizeof(err)) < 0 || k != CONF_AT_ABSOLUTE) {
        fprintf(stderr, "bad time in test: %s: %s\n", iso, err);
        check_failures++;
    }
    return t;
}

static ChannelConf *load(const char *yaml)
{
    ChannelConf *conf = NULL;
    ConfReport r = { 0 };
    char line[1024];

    if (conf_load_string(&conf, yaml, strlen(yaml), "t.yaml", NULL, &r) < 0) {
        for (int i = 0; i < r.count; i++) {
            conf_message_format(&r, &r.messages[i], line, sizeof(line));
            fprintf(stderr, "%s\n", line);
        }
        check_failures++;
    }
    conf_report_clear(&r);
    return conf;
}

#define CHANNEL(tz, loop, sources, items) \
    "channel: t\ntimezone: " tz "\nvideo: { width: 640, height: 360 }\nladder: [360p]\n" \
    "sources:\n" sources "output: { dir: out }\nschedule:\n  loop: " loop "\n  items:\n" items

#define ABC "  a: { generate: testsrc }\n  b: { generate: color }\n  c: { generate: slate }\n"

static void dump(const ChannelConf *conf, const Timeline *tl)
{
    for (int i = 0; i < tl->count; i++) {
        const ScheduleEntry *e = &tl->entries[i];
        fprintf(stderr, "    [%d] %lld..%lld off %lld item %d src %s flags %#x %s\n", i,
                (long long)e->start, (long long)e->end, (long long)e->offset, e->item,
                e->source >= 0 ? conf->sources[e->source].name : "-", e->flags,
                e->title ? e->title : "");
    }
}

/* Entry i must be [start, end) of item (-1: a gap) with exactly flags. */
static void expect_at(int line, const ChannelConf *conf, const Timeline *tl, int i, int64_t start,
                      int64_t end, int item, unsigned flags)
{
    const ScheduleEntry *e = i < tl->count ? &tl->entries[i] : NULL;
    if (!e || e->start != start || e->end != end || e->item != item || e->flags != flags) {
        fprintf(stderr, "test_schedule.c:%d: entry %d: expected %lld..%lld item %d flags %#x; got:\n",
                line, i, (long long)start, (long long)end, item, flags);
        dump(conf, tl);
        check_failures++;
    }
}
#define EXPECT(i, start, end, item, flags) expect_at(__LINE__, conf, tl, i, start, end, item, flags)

static Timeline *resolve(const ChannelConf *conf, int64_t start, int64_t from, int64_t to)
{
    Timeline *tl = NULL;
    int ret = schedule_resolve(conf, start, from, to, &tl);
    if (ret < 0) {
        fprintf(stderr, "schedule_resolve: %d\n", ret);
        check_failures++;
        static Timeline empty;
        Timeline *e = calloc(1, sizeof(*e));
        return e ? e : &empty;
    }
    return tl;
}

static void test_follow(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "false", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { source: b, duration: 30s, title: Bee }\n"));
    int64_t s0 = T("2026-11-25T10:00:00Z");
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(3600));
    CHECK_EQ_INT(tl->count, 3);
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(50), 1, 0);
    EXPECT(2, s0 + S(50), INT64_MAX, -1, SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_STR(tl->entries[0].title, "a");
    CHECK_EQ_STR(tl->entries[1].title, "Bee");
    CHECK_EQ_INT(tl->entries[1].source, 1);
    CHECK(tl->entries[2].title == NULL);
    CHECK_EQ_INT(tl->entries[2].source, -1);
    schedule_timeline_free(&tl);
    CHECK(tl == NULL);

    /* a window inside the first item gets that whole item */
    tl = resolve(conf, s0, s0 + S(5), s0 + S(6));
    CHECK_EQ_INT(tl->count, 1);
    EXPECT(0, s0, s0 + S(20), 0, 0);
    schedule_timeline_free(&tl);
    /* nothing airs before the start; an empty window is empty */
    tl = resolve(conf, s0, s0 - S(100), s0 - S(1));
    CHECK_EQ_INT(tl->count, 0);
    schedule_timeline_free(&tl);
    tl = resolve(conf, s0, s0 + S(10), s0 + S(10));
    CHECK_EQ_INT(tl->count, 0);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_loop(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { source: b, duration: 30s }\n"));
    int64_t s0 = T("2020-01-01T00:00:00Z"), from;
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(200));
    CHECK_EQ_INT(tl->count, 8);
    for (int i = 0; i < 8; i++)
        EXPECT(i, s0 + S(i / 2 * 50 + (i % 2) * 20), s0 + S(i / 2 * 50 + (i % 2 ? 50 : 20)), i % 2, 0);
    schedule_timeline_free(&tl);

    /* six years later, mid-item: the loop is skipped arithmetically */
    from = T("2026-11-25T12:00:00Z");
    tl = resolve(conf, s0, from, from + S(60));
    {
        int64_t into = (from - s0) % S(50);          /* 217728000 s: a whole number of loops */
        CHECK_EQ_INT(into, 0);
    }
    CHECK_EQ_INT(tl->count, 3);
    EXPECT(0, from, from + S(20), 0, 0);
    EXPECT(1, from + S(20), from + S(50), 1, 0);
    EXPECT(2, from + S(50), from + S(70), 0, 0);
    schedule_timeline_free(&tl);
    tl = resolve(conf, s0, from + S(25), from + S(26));
    CHECK_EQ_INT(tl->count, 1);
    EXPECT(0, from + S(20), from + S(50), 1, 0);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_at_cuts_and_followers(void)
{
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 10s }\n"
        "    - { source: c, duration: 20s, at: \"2026-11-25T10:00:50Z\", title: Live }\n"
        "    - { source: b, duration: 15s }\n"
        "    - { source: a, duration: 5s, title: A2 }\n"));
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(120));
    /* the chain: a, b, A2, a, b ... Live cuts b at 50 s; b and A2 follow Live */
    EXPECT(0, s0, s0 + S(10), 0, 0);
    EXPECT(1, s0 + S(10), s0 + S(25), 2, 0);
    EXPECT(2, s0 + S(25), s0 + S(30), 3, 0);
    EXPECT(3, s0 + S(30), s0 + S(40), 0, 0);
    EXPECT(4, s0 + S(40), s0 + S(50), 2, SCHEDULE_CUT_SHORT);
    EXPECT(5, s0 + S(50), s0 + S(70), 1, SCHEDULE_AT);
    EXPECT(6, s0 + S(70), s0 + S(85), 2, 0);
    EXPECT(7, s0 + S(85), s0 + S(90), 3, 0);
    EXPECT(8, s0 + S(90), s0 + S(100), 0, 0);
    EXPECT(9, s0 + S(100), s0 + S(115), 2, 0);
    EXPECT(10, s0 + S(115), s0 + S(120), 3, 0);
    CHECK_EQ_INT(tl->count, 11);
    CHECK_EQ_STR(tl->entries[5].title, "Live");
    schedule_timeline_free(&tl);

    /* the channel starts while Live is on air: joined 5 s in */
    tl = resolve(conf, s0 + S(55), s0 + S(55), s0 + S(80));
    EXPECT(0, s0 + S(55), s0 + S(70), 1, SCHEDULE_AT | SCHEDULE_JOINED);
    CHECK_EQ_INT(tl->entries[0].offset, S(5));
    EXPECT(1, s0 + S(70), s0 + S(85), 2, 0);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);

    /* ... or after it ended: the chain starts as usual */
    tl = resolve(conf, s0 + S(75), s0 + S(75), s0 + S(80));
    EXPECT(0, s0 + S(75), s0 + S(85), 0, 0);
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);

    /* a window after Live: the latest anchor is Live, a day ago */
    tl = resolve(conf, s0, s0 + S(86400), s0 + S(86400) + S(1));
    {
        /* after Live (ends s0+70): b 15, A2 5, then loops of a b A2 (30 s) */
        int64_t t = s0 + S(86400), base = s0 + S(90);
        int64_t k = (t - base) / S(30), into = (t - base) % S(30);
        int item = into < S(10) ? 0 : into < S(25) ? 2 : 3;
        int64_t st = base + k * S(30) + (item == 0 ? 0 : item == 2 ? S(10) : S(25));
        EXPECT(0, st, st + (item == 0 ? S(10) : item == 2 ? S(15) : S(5)), item, 0);
    }
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_gaps(void)
{
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ChannelConf *conf = load(CHANNEL("UTC", "false", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { source: b, duration: 10s, at: \"2026-11-25T10:01:40Z\" }\n"
        "    - { source: c, duration: 10s, at: \"2026-11-25T10:03:00Z\" }\n"
        "    - { source: a, duration: 30s }\n"));
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(3600));
    /* a 0-20, then a's follower is the 4th item (the at items are anchored) */
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(50), 3, 0);
    EXPECT(2, s0 + S(50), s0 + S(100), -1, SCHEDULE_GAP);
    EXPECT(3, s0 + S(100), s0 + S(110), 1, SCHEDULE_AT);
    EXPECT(4, s0 + S(110), s0 + S(140), 3, 0);
    EXPECT(5, s0 + S(140), s0 + S(180), -1, SCHEDULE_GAP);
    EXPECT(6, s0 + S(180), s0 + S(190), 2, SCHEDULE_AT);
    EXPECT(7, s0 + S(190), s0 + S(220), 3, 0);
    EXPECT(8, s0 + S(220), INT64_MAX, -1, SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_INT(tl->count, 9);
    schedule_timeline_free(&tl);
    conf_free(&conf);

    /* only `at` items: slate until the first */
    conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: b, duration: 10s, at: \"2026-11-25T10:01:40Z\" }\n"));
    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(3600));
    EXPECT(0, s0, s0 + S(100), -1, SCHEDULE_GAP);
    EXPECT(1, s0 + S(100), s0 + S(110), 0, SCHEDULE_AT);
    EXPECT(2, s0 + S(110), INT64_MAX, -1, SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_INT(tl->count, 3);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_overlaps(void)
{
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 1h }\n"
        "    - { source: b, duration: 1h, at: \"2026-11-25T10:10:00Z\" }\n"
        "    - { source: c, duration: 1h, at: \"2026-11-25T10:20:00Z\" }\n"
        "    - { source: b, duration: 1m, at: \"2026-11-25T11:20:00Z\" }\n"));
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(7200));
    EXPECT(0, s0, s0 + S(600), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(600), s0 + S(1200), 1, SCHEDULE_AT | SCHEDULE_CUT_SHORT);
    /* c ends exactly when the next `at` starts: not cut short */
    EXPECT(2, s0 + S(1200), s0 + S(4800), 2, SCHEDULE_AT);
    EXPECT(3, s0 + S(4800), s0 + S(4860), 3, SCHEDULE_AT);
    EXPECT(4, s0 + S(4860), s0 + S(4860 + 3600), 0, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* two occurrences at one instant (the loader refuses this; the resolver
     * still decides): the later item airs, the earlier not at all */
    conf->schedule.items[2].at = conf->schedule.items[1].at;
    tl = resolve(conf, s0, s0, s0 + S(1800));
    EXPECT(0, s0, s0 + S(600), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(600), s0 + S(4200), 2, SCHEDULE_AT);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

/* The daily item's entries start at the given instants, one a day. */
/* brk: the daily item is a slate ad break ({ break: 10m }), whose entries
 * are also SCHEDULE_BREAK and air the slate (source -1) as item 1. */
static void daily_starts(int row, const char *tz, const char *at, int64_t from, int ndays,
                         const int64_t *want, const unsigned *want_flags, int brk)
{
    char yaml[1024];
    ChannelConf *conf;
    Timeline *tl;
    int found = 0;

    if (brk)
        snprintf(yaml, sizeof(yaml), CHANNEL("%s", "true", ABC,
                 "    - { source: a, duration: 7m }\n"
                 "    - { break: 10m, at: \"%s\", repeat: daily, title: Daily }\n"),
                 tz, at);
    else
        snprintf(yaml, sizeof(yaml), CHANNEL("%s", "true", ABC,
                 "    - { source: a, duration: 7m }\n"
                 "    - { source: b, duration: 10m, at: \"%s\", repeat: daily, title: Daily }\n"),
                 tz, at);
    conf = load(yaml);
    if (!conf)
        return;
    tl = resolve(conf, from, from, from + S(86400) * ndays);
    for (int i = 0; i < tl->count; i++) {
        const ScheduleEntry *e = &tl->entries[i];
        if (e->item != 1)
            continue;
        if (found >= ndays || e->start != want[found] || e->end != want[found] + S(600) ||
            e->flags != (want_flags[found] | (brk ? SCHEDULE_BREAK : 0)) ||
            e->source != (brk ? -1 : 1)) {
            fprintf(stderr, "test_schedule.c: daily_dst_cases[%d]%s: %s daily %s occurrence %d: %lld "
                    "flags %#x source %d, expected %lld flags %#x\n", row, brk ? " as a break" : "",
                    tz, at, found, (long long)e->start, e->flags, e->source,
                    found < ndays ? (long long)want[found] : -1LL,
                    found < ndays ? want_flags[found] | (brk ? SCHEDULE_BREAK : 0) : 0);
            check_failures++;
        }
        /* what it cut is marked so */
        if (i > 0 && tl->entries[i - 1].end == e->start &&
            tl->entries[i - 1].start + S(420) != e->start && tl->entries[i - 1].item == 0 &&
            !(tl->entries[i - 1].flags & SCHEDULE_CUT_SHORT)) {
            fprintf(stderr, "test_schedule.c: daily_dst_cases[%d]: the item before a daily one is not cut short\n",
                    row);
            check_failures++;
        }
        found++;
    }
    CHECK_EQ_INT(found, ndays);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}
/* Daily `at` items across DST changes: the first occurrences from `from`,
 * with their flags (D an `at` daily item, GAP its wall time did not exist
 * that day, TWICE it existed twice and aired once). */
#define D (SCHEDULE_AT | SCHEDULE_DAILY)
#define GAP (D | SCHEDULE_DST_SHIFTED)
#define TWICE (D | SCHEDULE_DST_AMBIGUOUS)
static const struct {
    const char *tz, *at, *from;
    int ndays;
    const char *want[3];
    unsigned flags[3];
} daily_dst_cases[] = {
    /* Berlin, spring forward 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist
     * on the 29th, 03:30 CEST airs */
    { "Europe/Berlin", "02:30", "2026-03-27T12:00:00Z", 3,
      { "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z" }, { D, GAP, D } },
    { "Europe/Berlin", "18:00", "2026-03-28T12:00:00Z", 3,
      { "2026-03-28T17:00:00Z", "2026-03-29T16:00:00Z", "2026-03-30T16:00:00Z" }, { D, D, D } },
    /* the minutes around the change */
    { "Europe/Berlin", "01:59", "2026-03-28T12:00:00Z", 2,
      { "2026-03-29T00:59:00Z", "2026-03-29T23:59:00Z" }, { D, D } },
    { "Europe/Berlin", "03:00", "2026-03-28T12:00:00Z", 2,
      { "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z" }, { D, D } },
    /* Berlin, fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 twice, aired once */
    { "Europe/Berlin", "02:30", "2026-10-23T12:00:00Z", 3,
      { "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z" }, { D, TWICE, D } },
    { "Europe/Berlin", "18:00", "2026-10-24T12:00:00Z", 3,
      { "2026-10-24T16:00:00Z", "2026-10-25T17:00:00Z", "2026-10-26T17:00:00Z" }, { D, D, D } },
    /* New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
    { "America/New_York", "02:30", "2026-03-07T00:00:00Z", 3,
      { "2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z" }, { D, GAP, D } },
    { "America/New_York", "18:00", "2026-03-07T12:00:00Z", 2,
      { "2026-03-07T23:00:00Z", "2026-03-08T22:00:00Z" }, { D, D } },
    /* New York, fall back 2026-11-01 02:00 EDT -> 01:00 EST */
    { "America/New_York", "01:30", "2026-10-30T12:00:00Z", 3,
      { "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z" }, { D, TWICE, D } },
    { "America/New_York", "02:30", "2026-10-30T12:00:00Z", 3,
      { "2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z" }, { D, D, D } },
    /* a day in the footer-rule years */
    { "Europe/Berlin", "02:30", "2199-03-30T12:00:00Z", 2,
      { "2199-03-31T01:30:00Z", "2199-04-01T00:30:00Z" }, { GAP, D } },
};
#undef D
#undef GAP
#undef TWICE

static void test_daily_dst(void)
{
    for (int i = 0; i < (int)FF_ARRAY_ELEMS(daily_dst_cases); i++) {
        int64_t want[3];
        for (int k = 0; k < daily_dst_cases[i].ndays; k++)
            want[k] = T(daily_dst_cases[i].want[k]);
        daily_starts(i, daily_dst_cases[i].tz, daily_dst_cases[i].at, T(daily_dst_cases[i].from),
                     daily_dst_cases[i].ndays, want, daily_dst_cases[i].flags, 0);
        /* a daily ad break is placed as a daily program is: Berlin's changes
         * (2026-03-29, 2026-10-25) again with a slate break */
        if (!strcmp(daily_dst_cases[i].tz, "Europe/Berlin"))
            daily_starts(i, daily_dst_cases[i].tz, daily_dst_cases[i].at, T(daily_dst_cases[i].from),
                         daily_dst_cases[i].ndays, want, daily_dst_cases[i].flags, 1);
    }
}

/* Any window gives the entries of one long resolution from the start. */
static void consistency(int line, const char *yaml, int64_t s0, int64_t span, int windows)
{
    ChannelConf *conf = load(yaml);
    Timeline *all, *w;
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int bad = 0;

    if (!conf)
        return;
    all = resolve(conf, s0, s0, s0 + span);
    for (int k = 0; k < windows && !bad; k++) {
        int64_t from, to;
        int first = -1;

        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        from = s0 + (int64_t)(rng % (uint64_t)span);
        to = from + 1 + (int64_t)((rng >> 20) % (uint64_t)S(7200));
        if (to > s0 + span)
            to = s0 + span;
        w = resolve(conf, s0, from, to);
        for (int i = 0; i < all->count; i++)
            if (all->entries[i].end > from) {
                first = i;
                break;
            }
        for (int i = 0; i < w->count; i++) {
            const ScheduleEntry *a = first >= 0 && first + i < all->count ? &all->entries[first + i] : NULL;
            const ScheduleEntry *b = &w->entries[i];
            if (!a || a->start != b->start || a->end != b->end || a->item != b->item ||
                a->flags != b->flags || a->offset != b->offset) {
                fprintf(stderr, "test_schedule.c:%d: window [%lld, %lld) entry %d differs from the "
                        "long resolution\n", line, (long long)from, (long long)to, i);
                dump(conf, w);
                check_failures++;
                bad = 1;
                break;
            }
        }
        if (!bad && (w->count == 0 || w->entries[w->count - 1].end < to))
            bad = 1, check_failures++, fprintf(stderr, "test_schedule.c:%d: window not covered\n", line);
        schedule_timeline_free(&w);
    }
    schedule_timeline_free(&all);
    conf_free(&conf);
}

static void test_consistency(void)
{
    int64_t s0 = T("2026-03-26T09:17:13Z");

    consistency(__LINE__, CHANNEL("Europe/Berlin", "true", ABC,
        "    - { source: a, duration: 7m13s }\n"
        "    - { source: b, duration: 10m, at: \"02:30\", repeat: daily }\n"
        "    - { source: c, duration: 3m }\n"
        "    - { source: b, duration: 45m, at: \"2026-03-29T01:00:00Z\" }\n"
        "    - { source: a, duration: 2h, at: \"23:50\", repeat: daily }\n"
        "    - { source: c, duration: 11m }\n"), s0, S(86400) * 8, 300);
    consistency(__LINE__, CHANNEL("America/New_York", "false", ABC,
        "    - { source: a, duration: 20m }\n"
        "    - { source: b, duration: 1h, at: \"01:30\", repeat: daily }\n"
        "    - { source: c, duration: 5m }\n"), T("2026-10-29T00:00:00Z"), S(86400) * 6, 300);
    consistency(__LINE__, CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 1.5s }\n"
        "    - { source: b, duration: 2500ms }\n"), s0, S(3 * 3600), 300);
}

static void test_week(void)
{
    ChannelConf *conf = load(CHANNEL("Europe/Berlin", "true", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { source: b, duration: 30s }\n"
        "    - { source: c, duration: 30m, at: \"18:00\", repeat: daily }\n"
        "    - { source: c, duration: 1h, at: \"2026-03-29T10:00:00Z\" }\n"));
    int64_t s0 = T("2026-03-25T00:00:00Z"), t0;
    struct timespec a, b;
    Timeline *tl;
    double ms;

    if (!conf)
        return;
    clock_gettime(CLOCK_MONOTONIC, &a);
    tl = resolve(conf, s0, s0, s0 + S(7 * 86400));
    clock_gettime(CLOCK_MONOTONIC, &b);
    ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    fprintf(stderr, "a week of 20 s and 30 s items: %d entries in %.1f ms\n", tl->count, ms);
    CHECK(ms < 2000);
    CHECK(tl->count > 12000);
    /* back to back, nothing missing or overlapping */
    t0 = s0;
    for (int i = 0; i < tl->count; i++) {
        if (tl->entries[i].start != t0) {
            CHECK_EQ_INT(tl->entries[i].start, t0);
            break;
        }
        t0 = tl->entries[i].end;
    }
    CHECK(t0 >= s0 + S(7 * 86400));
    schedule_timeline_free(&tl);

    /* a week resolved a year after the start costs the same */
    clock_gettime(CLOCK_MONOTONIC, &a);
    tl = resolve(conf, s0, s0 + S(365 * 86400), s0 + S(372 * 86400));
    clock_gettime(CLOCK_MONOTONIC, &b);
    ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    fprintf(stderr, "the same a year on: %d entries in %.1f ms\n", tl->count, ms);
    CHECK(ms < 2000);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_entry_at(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { source: b, duration: 30s }\n"));
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEntry e;

    if (!conf)
        return;
    CHECK_EQ_INT(schedule_entry_at(conf, s0, s0 + S(1000 * 50 + 25), &e), 0);
    CHECK_EQ_INT(e.item, 1);
    CHECK_EQ_INT(e.start, s0 + S(1000 * 50 + 20));
    CHECK_EQ_INT(e.end, s0 + S(1000 * 50 + 50));
    CHECK_EQ_INT(schedule_entry_at(conf, s0, s0 - 1, &e), AVERROR(EINVAL));
    CHECK_EQ_INT(schedule_entry_at(NULL, s0, s0, &e), AVERROR(EINVAL));
    conf_free(&conf);
}

/* ---- operator edits ---------------------------------------------------- */

static Timeline *resolve_ed(const ChannelConf *conf, const ScheduleEdit *e, int n, int64_t start,
                            int64_t from, int64_t to)
{
    ScheduleEdits edits = { e, n };
    Timeline *tl = NULL;
    int ret = schedule_resolve_edited(conf, &edits, start, from, to, &tl);
    if (ret < 0) {
        fprintf(stderr, "schedule_resolve_edited: %d\n", ret);
        check_failures++;
        static Timeline empty;
        Timeline *t = calloc(1, sizeof(*t));
        return t ? t : &empty;
    }
    return tl;
}

#define ANCHOR(at_, end_, item_, offset_) \
    ((ScheduleEdit){ .kind = SCHEDULE_EDIT_ANCHOR, .at = (at_), .end = (end_), .item = (item_), \
                     .offset = (offset_), .source = -1 })
#define OVERLAY(at_, end_, source_) \
    ((ScheduleEdit){ .kind = SCHEDULE_EDIT_OVERLAY, .at = (at_), .end = (end_), .item = -1, \
                     .source = (source_) })
#define OFFSET(i, off) do { \
    if ((i) < tl->count) \
        CHECK_EQ_INT(tl->entries[i].offset, off); \
    else \
        CHECK((i) < tl->count); \
} while (0)

/* a 20 s, b 30 s, c 10 s, looping: a 60 s cycle */
#define ABC_LOOP CHANNEL("UTC", "true", ABC, \
    "    - { source: a, duration: 20s }\n" \
    "    - { source: b, duration: 30s }\n" \
    "    - { source: c, duration: 10s }\n")

static void test_skip(void)
{
    ChannelConf *conf = load(ABC_LOOP);
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEdit e[1];
    Timeline *tl;

    if (!conf)
        return;
    CHECK_EQ_INT(schedule_next_in_chain(conf, 0), 1);
    CHECK_EQ_INT(schedule_next_in_chain(conf, 2), 0);

    /* skip a 5 s in: b starts then, and the whole chain moves 15 s earlier */
    e[0] = ANCHOR(s0 + S(5), 0, schedule_next_in_chain(conf, 0), 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(70));
    EXPECT(0, s0, s0 + S(5), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(5), s0 + S(35), 1, SCHEDULE_EDITED);
    OFFSET(1, 0);
    EXPECT(2, s0 + S(35), s0 + S(45), 2, 0);
    EXPECT(3, s0 + S(45), s0 + S(65), 0, 0);
    EXPECT(4, s0 + S(65), s0 + S(95), 1, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* skip c (the last item) 5 s in: the loop starts again with a */
    e[0] = ANCHOR(s0 + S(55), 0, schedule_next_in_chain(conf, 2), 0);
    tl = resolve_ed(conf, e, 1, s0, s0 + S(50), s0 + S(80));
    EXPECT(0, s0 + S(50), s0 + S(55), 2, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(55), s0 + S(75), 0, SCHEDULE_EDITED);
    EXPECT(2, s0 + S(75), s0 + S(105), 1, 0);
    CHECK_EQ_INT(tl->count, 3);
    schedule_timeline_free(&tl);

    /* an anchor with the slate: until the next cut, here none: open */
    e[0] = ANCHOR(s0 + S(10), 0, -1, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(3600));
    EXPECT(0, s0, s0 + S(10), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(10), INT64_MAX, -1, SCHEDULE_EDITED | SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);

    /* items out of range are refused */
    e[0] = ANCHOR(s0, 0, 3, 0);
    {
        ScheduleEdits ed = { e, 1 };
        CHECK_EQ_INT(schedule_resolve_edited(conf, &ed, s0, s0, s0 + 1, &tl), AVERROR(EINVAL));
        CHECK(tl == NULL);
    }
    conf_free(&conf);
}

/* a 20, Live (at +100 s, 20 s), b 30, c 10, looping: the chain is a b c */
#define WITH_LIVE CHANNEL("UTC", "true", ABC, \
    "    - { source: a, duration: 20s }\n" \
    "    - { source: c, duration: 20s, at: \"2026-11-25T10:01:40Z\", title: Live }\n" \
    "    - { source: b, duration: 30s }\n" \
    "    - { source: c, duration: 10s }\n")

static void test_extend(void)
{
    ChannelConf *conf = load(WITH_LIVE);
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEdit e[2];
    Timeline *tl;

    if (!conf)
        return;
    /* as configured: a 0-20, b 20-50, c 50-60, a 60-80, b 80-100 (cut), Live, b, c */
    tl = resolve_ed(conf, NULL, 0, s0, s0, s0 + S(130));
    EXPECT(4, s0 + S(80), s0 + S(100), 2, SCHEDULE_CUT_SHORT);
    EXPECT(5, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    EXPECT(6, s0 + S(120), s0 + S(150), 2, 0);
    CHECK_EQ_INT(tl->count, 7);
    schedule_timeline_free(&tl);

    /* b extended by 10 s: it keeps its start, its followers move 10 s later,
     * Live still starts at its time */
    e[0] = ANCHOR(s0 + S(20), s0 + S(60), 2, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(130));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(60), 2, SCHEDULE_EDITED);
    EXPECT(2, s0 + S(60), s0 + S(70), 3, 0);
    EXPECT(3, s0 + S(70), s0 + S(90), 0, 0);
    EXPECT(4, s0 + S(90), s0 + S(100), 2, SCHEDULE_CUT_SHORT);
    EXPECT(5, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    EXPECT(6, s0 + S(120), s0 + S(150), 2, 0);
    CHECK_EQ_INT(tl->count, 7);
    schedule_timeline_free(&tl);

    /* shortened by 10 s: the followers come 10 s earlier */
    e[0] = ANCHOR(s0 + S(20), s0 + S(40), 2, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(101));
    EXPECT(1, s0 + S(20), s0 + S(40), 2, SCHEDULE_EDITED);
    EXPECT(2, s0 + S(40), s0 + S(50), 3, 0);
    EXPECT(3, s0 + S(50), s0 + S(70), 0, 0);
    EXPECT(4, s0 + S(70), s0 + S(100), 2, 0);     /* ends as Live starts */
    EXPECT(5, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    CHECK_EQ_INT(tl->count, 6);
    schedule_timeline_free(&tl);

    /* extended twice: the later edit wins */
    e[0] = ANCHOR(s0 + S(20), s0 + S(60), 2, 0);
    e[1] = ANCHOR(s0 + S(20), s0 + S(75), 2, 0);
    tl = resolve_ed(conf, e, 2, s0, s0, s0 + S(101));
    EXPECT(1, s0 + S(20), s0 + S(75), 2, SCHEDULE_EDITED);
    EXPECT(2, s0 + S(75), s0 + S(85), 3, 0);
    EXPECT(3, s0 + S(85), s0 + S(100), 0, SCHEDULE_CUT_SHORT);
    EXPECT(4, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* extended past Live: Live cuts it and restarts the chain after itself */
    e[0] = ANCHOR(s0 + S(20), s0 + S(130), 2, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(160));
    EXPECT(1, s0 + S(20), s0 + S(100), 2, SCHEDULE_EDITED | SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    EXPECT(3, s0 + S(120), s0 + S(150), 2, 0);
    EXPECT(4, s0 + S(150), s0 + S(160), 3, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* extending Live itself (an `at` entry): the anchor wins the tie with
     * the occurrence at its instant */
    e[0] = ANCHOR(s0 + S(100), s0 + S(130), 1, 0);
    tl = resolve_ed(conf, e, 1, s0, s0 + S(100), s0 + S(131));
    EXPECT(0, s0 + S(100), s0 + S(130), 1, SCHEDULE_EDITED);
    EXPECT(1, s0 + S(130), s0 + S(160), 2, 0);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);

    /* an extended program that was joined keeps its offset */
    e[0] = ANCHOR(s0 + S(10), s0 + S(60), 2, S(12));
    tl = resolve_ed(conf, e, 1, s0, s0 + S(10), s0 + S(61));
    EXPECT(0, s0 + S(10), s0 + S(60), 2, SCHEDULE_EDITED);
    OFFSET(0, S(12));
    EXPECT(1, s0 + S(60), s0 + S(70), 3, 0);
    schedule_timeline_free(&tl);

    /* the slate from an anchor lasts until Live */
    e[0] = ANCHOR(s0 + S(10), 0, -1, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(121));
    EXPECT(0, s0, s0 + S(10), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(10), s0 + S(100), -1, SCHEDULE_EDITED | SCHEDULE_GAP);
    EXPECT(2, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    EXPECT(3, s0 + S(120), s0 + S(150), 2, 0);
    CHECK_EQ_INT(tl->count, 4);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

/* Anchors before the channel's start are `at` occurrences before it: joined
 * when still on air, else never aired. */
static void test_anchor_before_start(void)
{
    ChannelConf *conf = load(WITH_LIVE);
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEdit e[1];
    Timeline *tl;

    if (!conf)
        return;
    e[0] = ANCHOR(s0 - S(10), 0, 2, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(30));
    EXPECT(0, s0, s0 + S(20), 2, SCHEDULE_EDITED | SCHEDULE_JOINED);
    OFFSET(0, S(10));
    EXPECT(1, s0 + S(20), s0 + S(30), 3, 0);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);

    /* extended beyond the start: joined until its new end */
    e[0] = ANCHOR(s0 - S(100), s0 + S(5), 2, S(2));
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(15));
    EXPECT(0, s0, s0 + S(5), 2, SCHEDULE_EDITED | SCHEDULE_JOINED);
    OFFSET(0, S(102));
    EXPECT(1, s0 + S(5), s0 + S(15), 3, 0);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);

    /* over before the start: the chain starts with the channel */
    e[0] = ANCHOR(s0 - S(100), 0, 2, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(20));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);

    /* the slate holds until the next cut, so it is still on air */
    e[0] = ANCHOR(s0 - S(100), 0, -1, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(101));
    EXPECT(0, s0, s0 + S(100), -1, SCHEDULE_EDITED | SCHEDULE_GAP);
    EXPECT(1, s0 + S(100), s0 + S(120), 1, SCHEDULE_AT);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_take(void)
{
    ChannelConf *conf = load(WITH_LIVE);
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEdit e[2];
    Timeline *tl;

    if (!conf)
        return;
    /* c taken 5-15 s: a is cut, then joined 15 s in */
    e[0] = OVERLAY(s0 + S(5), s0 + S(15), 2);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(30));
    EXPECT(0, s0, s0 + S(5), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(5), s0 + S(15), -1, SCHEDULE_TAKEN);
    EXPECT(2, s0 + S(15), s0 + S(20), 0, SCHEDULE_RESUMED);
    OFFSET(2, S(15));
    EXPECT(3, s0 + S(20), s0 + S(50), 2, 0);
    CHECK_EQ_INT(tl->count, 4);
    if (tl->count > 1) {
        CHECK_EQ_INT(tl->entries[1].source, 2);
        CHECK_EQ_STR(tl->entries[1].title, "c");
    }
    schedule_timeline_free(&tl);

    /* b taken 90-110 s, over the end of b and the start of Live */
    e[0] = OVERLAY(s0 + S(90), s0 + S(110), 1);
    tl = resolve_ed(conf, e, 1, s0, s0 + S(70), s0 + S(121));
    EXPECT(0, s0 + S(60), s0 + S(80), 0, 0);
    EXPECT(1, s0 + S(80), s0 + S(90), 2, SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(90), s0 + S(110), -1, SCHEDULE_TAKEN);
    EXPECT(3, s0 + S(110), s0 + S(120), 1, SCHEDULE_AT | SCHEDULE_RESUMED);
    OFFSET(3, S(10));
    EXPECT(4, s0 + S(120), s0 + S(150), 2, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* the slate held from 30 s, until released */
    e[0] = OVERLAY(s0 + S(30), INT64_MAX, -1);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(3600));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(30), 2, SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(30), INT64_MAX, -1, SCHEDULE_HELD | SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_INT(tl->count, 3);
    if (tl->count > 2)
        CHECK(tl->entries[2].title == NULL && tl->entries[2].source == -1);
    schedule_timeline_free(&tl);
    /* ... released at 105 s: Live, on air then, is joined 5 s in */
    e[0].end = s0 + S(105);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(121));
    EXPECT(2, s0 + S(30), s0 + S(105), -1, SCHEDULE_HELD | SCHEDULE_GAP);
    EXPECT(3, s0 + S(105), s0 + S(120), 1, SCHEDULE_AT | SCHEDULE_RESUMED);
    OFFSET(3, S(5));
    EXPECT(4, s0 + S(120), s0 + S(150), 2, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* overlapping: the later overlay wins, the earlier resumes after it */
    e[0] = OVERLAY(s0 + S(10), s0 + S(40), 2);
    e[1] = OVERLAY(s0 + S(20), s0 + S(30), -1);
    tl = resolve_ed(conf, e, 2, s0, s0, s0 + S(45));
    EXPECT(0, s0, s0 + S(10), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(10), s0 + S(20), -1, SCHEDULE_TAKEN | SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(20), s0 + S(30), -1, SCHEDULE_HELD | SCHEDULE_GAP);
    EXPECT(3, s0 + S(30), s0 + S(40), -1, SCHEDULE_TAKEN | SCHEDULE_RESUMED);
    OFFSET(3, S(20));
    EXPECT(4, s0 + S(40), s0 + S(50), 2, SCHEDULE_RESUMED);
    OFFSET(4, S(20));
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);
    /* ... the other way round, the take covers the slate entirely */
    e[0] = OVERLAY(s0 + S(20), s0 + S(30), -1);
    e[1] = OVERLAY(s0 + S(10), s0 + S(40), 2);
    tl = resolve_ed(conf, e, 2, s0, s0, s0 + S(45));
    EXPECT(1, s0 + S(10), s0 + S(40), -1, SCHEDULE_TAKEN);
    EXPECT(2, s0 + S(40), s0 + S(50), 2, SCHEDULE_RESUMED);
    CHECK_EQ_INT(tl->count, 3);
    schedule_timeline_free(&tl);

    /* a skip, then a take over the program it started */
    e[0] = ANCHOR(s0 + S(5), 0, 2, 0);
    e[1] = OVERLAY(s0 + S(10), s0 + S(20), 0);
    tl = resolve_ed(conf, e, 2, s0, s0, s0 + S(40));
    EXPECT(0, s0, s0 + S(5), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(5), s0 + S(10), 2, SCHEDULE_EDITED | SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(10), s0 + S(20), -1, SCHEDULE_TAKEN);
    EXPECT(3, s0 + S(20), s0 + S(35), 2, SCHEDULE_EDITED | SCHEDULE_RESUMED);
    OFFSET(3, S(15));
    EXPECT(4, s0 + S(35), s0 + S(45), 3, 0);
    CHECK_EQ_INT(tl->count, 5);
    schedule_timeline_free(&tl);

    /* windows: inside the take it is the take, whole; after it, the program
     * resumed; an overlay that ended or has not begun does not show */
    tl = resolve_ed(conf, e, 2, s0, s0 + S(12), s0 + S(13));
    EXPECT(0, s0 + S(10), s0 + S(20), -1, SCHEDULE_TAKEN);
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);
    tl = resolve_ed(conf, e, 2, s0, s0 + S(25), s0 + S(26));
    EXPECT(0, s0 + S(20), s0 + S(35), 2, SCHEDULE_EDITED | SCHEDULE_RESUMED);
    OFFSET(0, S(15));
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);
    tl = resolve_ed(conf, e, 2, s0, s0 + S(36), s0 + S(40));
    EXPECT(0, s0 + S(35), s0 + S(45), 3, 0);
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);
    tl = resolve_ed(conf, e, 2, s0, s0 + S(6), s0 + S(10));
    EXPECT(0, s0 + S(5), s0 + S(10), 2, SCHEDULE_EDITED | SCHEDULE_CUT_SHORT);
    CHECK_EQ_INT(tl->count, 1);
    schedule_timeline_free(&tl);

    /* a take that began before the channel's start is joined */
    e[0] = OVERLAY(s0 - S(5), s0 + S(5), 1);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(10));
    EXPECT(0, s0, s0 + S(5), -1, SCHEDULE_TAKEN | SCHEDULE_JOINED);
    OFFSET(0, S(5));
    EXPECT(1, s0 + S(5), s0 + S(20), 0, SCHEDULE_RESUMED);
    CHECK_EQ_INT(tl->count, 2);
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

/* With edits too, any window gives the entries of one long resolution. */
static void test_edited_consistency(void)
{
    ChannelConf *conf = load(CHANNEL("Europe/Berlin", "true", ABC,
        "    - { source: a, duration: 7m13s }\n"
        "    - { source: b, duration: 10m, at: \"02:30\", repeat: daily }\n"
        "    - { source: c, duration: 3m }\n"
        "    - { source: b, duration: 45m, at: \"2026-03-29T01:00:00Z\" }\n"
        "    - { source: c, duration: 11m }\n"));
    int64_t s0 = T("2026-03-28T09:17:13Z"), span = S(86400) * 2;
    ScheduleEdit e[12];
    Timeline *all;
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    int n = 0, bad = 0;

    if (!conf)
        return;
    e[n++] = ANCHOR(s0 - S(60), 0, 2, 0);                   /* joined at the start */
    e[n++] = OVERLAY(s0 + S(600), s0 + S(900), 1);
    e[n++] = ANCHOR(s0 + S(700), s0 + S(4000), 4, S(30));    /* under the take: resumes */
    e[n++] = OVERLAY(s0 + S(800), s0 + S(850), -1);
    e[n++] = ANCHOR(s0 + S(20000), 0, -1, 0);                /* slate until 02:30 */
    e[n++] = OVERLAY(T("2026-03-29T00:25:00Z"), T("2026-03-29T01:05:00Z"), 2);
    e[n++] = ANCHOR(T("2026-03-29T01:00:00Z"), T("2026-03-29T03:00:00Z"), 3, 0);
    e[n++] = OVERLAY(s0 + S(100000), s0 + S(100000) + 1, 0);
    e[n++] = ANCHOR(s0 + S(120000), 0, 0, S(100));
    e[n++] = ANCHOR(s0 + S(120000), 0, 4, 0);                 /* the later wins */
    e[n++] = OVERLAY(s0 + S(150000), s0 + S(160000), -1);
    e[n++] = OVERLAY(s0 + S(155000), s0 + S(170000), 0);
    all = resolve_ed(conf, e, n, s0, s0, s0 + span);
    /* back to back */
    for (int i = 1; i < all->count; i++)
        if (all->entries[i].start != all->entries[i - 1].end || all->entries[i].end <= all->entries[i].start) {
            fprintf(stderr, "test_schedule.c:%d: entry %d not back to back\n", __LINE__, i);
            dump(conf, all);
            check_failures++;
            break;
        }
    for (int k = 0; k < 300 && !bad; k++) {
        int64_t from, to;
        int first = -1;
        Timeline *w;

        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        from = s0 + (int64_t)(rng % (uint64_t)span);
        to = from + 1 + (int64_t)((rng >> 20) % (uint64_t)S(7200));
        if (to > s0 + span)
            to = s0 + span;
        w = resolve_ed(conf, e, n, s0, from, to);
        for (int i = 0; i < all->count; i++)
            if (all->entries[i].end > from) {
                first = i;
                break;
            }
        for (int i = 0; i < w->count && !bad; i++) {
            const ScheduleEntry *x = first >= 0 && first + i < all->count ? &all->entries[first + i] : NULL;
            const ScheduleEntry *y = &w->entries[i];
            if (!x || x->start != y->start || x->end != y->end || x->item != y->item ||
                x->flags != y->flags || x->offset != y->offset || x->source != y->source) {
                fprintf(stderr, "test_schedule.c:%d: window [%lld, %lld) entry %d differs\n", __LINE__,
                        (long long)from, (long long)to, i);
                dump(conf, w);
                check_failures++;
                bad = 1;
            }
        }
        if (!bad && (w->count == 0 || w->entries[w->count - 1].end < to))
            bad = 1, check_failures++, fprintf(stderr, "test_schedule.c:%d: window not covered\n", __LINE__);
        schedule_timeline_free(&w);
    }
    schedule_timeline_free(&all);
    conf_free(&conf);
}

/* An anchor years ago on a fast loop: the loops since are skipped, not
 * walked (walked, they would be ~10^10 entries and time the test out). */
static void test_edited_cost(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 100ms }\n"
        "    - { source: b, duration: 200ms }\n"
        "    - { source: c, duration: 300ms }\n"));
    int64_t now = T("2026-11-25T12:00:00Z"), a = now - S(365 * 86400) * 10;
    ScheduleEdit e[1];
    struct timespec t0, t1;
    Timeline *tl;

    if (!conf)
        return;
    /* shorter than the loader allows, to make a walk hopeless */
    for (int i = 0; i < 3; i++)
        conf->schedule.items[i].duration = (i + 1) * 10000;
    /* b from 5 ms in: ends a+15ms, then c to a+45ms, then 60 ms loops of a b c */
    e[0] = ANCHOR(a, 0, 1, 5000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tl = resolve_ed(conf, e, 1, a - S(86400), now, now + S(3600));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "an anchor 10 years back, an hour of 60 ms loops: %d entries in %.1f ms\n",
            tl->count, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    {
        /* now is (now - a - 45 ms) mod 60 ms into a loop: 15 ms, 5 ms into b */
        int64_t into = (now - a - 45000) % 60000;
        CHECK_EQ_INT(into, 15000);
        /* from that b to the one holding now + 3600 s - 1 µs (15 ms into a
         * loop again): 60000 loops of three, and one b */
        CHECK_EQ_INT(tl->count, 60000 * 3 + 1);
        EXPECT(0, now - 5000, now + 15000, 1, 0);
        EXPECT(1, now + 15000, now + 45000, 2, 0);
    }
    schedule_timeline_free(&tl);
    conf_free(&conf);
}

static void test_edits_text(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 20s, title: \"Say \\\"hi\\\" \\\\ there\" }\n"
        "    - { source: b, duration: 30s }\n"
        "    - { source: c, duration: 10s, title: News }\n"));
    ChannelConf *conf2 = load(CHANNEL("UTC", "true",
        "  c: { generate: slate }\n  a: { generate: testsrc }\n",
        "    - { source: a, duration: 20s, title: \"Say \\\"hi\\\" \\\\ there\" }\n"
        "    - { source: c, duration: 30s, title: Other }\n"
        "    - { source: c, duration: 10s, title: News }\n"));
    ScheduleEdit e[6], *got = NULL;
    Buf b = { 0 };
    int n = 0;

    if (!conf || !conf2) {
        conf_free(&conf);
        conf_free(&conf2);
        return;
    }
    e[0] = ANCHOR(1764064800000000, 0, 0, 1500);
    e[1] = ANCHOR(1764064800000001, 1764064900000000, 1, 0);
    e[2] = ANCHOR(-5, 0, -1, 0);
    e[3] = OVERLAY(1764064800000000, INT64_MAX, 1);
    e[4] = OVERLAY(1764064800000000, 1764064810000000, -1);
    e[5] = OVERLAY(1764064800000000, 1764064810000000, 2);
    CHECK_EQ_INT(schedule_edits_format(e, 6, conf, &b), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_EQ_STR((const char *)b.data,
        "anchor 1764064800000000 0 0 1500 \"Say \\\"hi\\\" \\\\ there\"\n"
        "anchor 1764064800000001 1764064900000000 1 0 \"b\"\n"
        "anchor -5 0 -1 0 -\n"
        "overlay 1764064800000000 9223372036854775807 \"b\"\n"
        "overlay 1764064800000000 1764064810000000 -\n"
        "overlay 1764064800000000 1764064810000000 \"c\"\n");

    /* the same conf: everything back as it was */
    CHECK_EQ_INT(schedule_edits_parse((const char *)b.data, conf, &got, &n), 0);
    CHECK_EQ_INT(n, 6);
    for (int i = 0; i < n && i < 6 && got; i++) {
        CHECK_EQ_INT(got[i].kind, e[i].kind);
        CHECK_EQ_INT(got[i].at, e[i].at);
        CHECK_EQ_INT(got[i].end, e[i].end);
        CHECK_EQ_INT(got[i].item, e[i].item);
        CHECK_EQ_INT(got[i].offset, e[i].offset);
        CHECK_EQ_INT(got[i].source, e[i].source);
    }
    free(got);

    /* a changed conf: item 1 is another program now, source b is gone, c
     * moved to index 0: the anchor on b and the take of b are dropped */
    CHECK_EQ_INT(schedule_edits_parse((const char *)b.data, conf2, &got, &n), 0);
    CHECK_EQ_INT(n, 4);
    if (got && n == 4) {
        CHECK_EQ_INT(got[0].item, 0);
        CHECK_EQ_INT(got[1].item, -1);
        CHECK_EQ_INT(got[2].source, -1);
        CHECK_EQ_INT(got[3].kind, SCHEDULE_EDIT_OVERLAY);
        CHECK_EQ_INT(got[3].source, 0);
    }
    free(got);

    /* blank lines and comments are skipped; an item index past the list drops */
    CHECK_EQ_INT(schedule_edits_parse("# state\n\n  anchor 1 0 7 0 \"News\"\r\noverlay 1 2 -\n", conf, &got, &n), 0);
    CHECK_EQ_INT(n, 1);
    free(got);
    CHECK_EQ_INT(schedule_edits_parse("", conf, &got, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(got == NULL);

    /* malformed: an error naming the line */
    {
        static const char *const bad[] = {
            "anchor 1 0 0 0\n",                    /* no title */
            "anchor 1 0 -1 0 \"a\"\n",              /* the slate with a title */
            "anchor 1 0 0 -3 \"a\"\n",              /* negative offset */
            "anchor 1x 0 0 0 \"a\"\n",
            "overlay 1 2 \"b\" junk\n",
            "overlay 1 2 \"b\n",                    /* unterminated */
            "overlay 1 2 \"\\q\"\n",                /* unknown escape */
            "overlay 1 2 b\n",                      /* unquoted */
            "overlay 99999999999999999999 2 -\n",   /* out of range */
            "skip 1\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char text[256];
            got = NULL;
            snprintf(text, sizeof(text), "# header\noverlay 1 2 -\n%s", bad[i]);
            n = 0;
            if (schedule_edits_parse(text, conf, &got, &n) != AVERROR_INVALIDDATA || n != 3 || got) {
                fprintf(stderr, "test_schedule.c:%d: not refused on line 3: %s", __LINE__, bad[i]);
                check_failures++;
            }
            free(got);
        }
    }

    /* an edit that does not fit the conf is not written, and nothing is */
    b.len = 0;
    e[0] = ANCHOR(1, 0, 3, 0);
    CHECK_EQ_INT(schedule_edits_format(e, 1, conf, &b), AVERROR(EINVAL));
    e[0] = OVERLAY(1, 2, 3);
    CHECK_EQ_INT(schedule_edits_format(e, 1, conf, &b), AVERROR(EINVAL));
    CHECK_EQ_INT(b.len, 0);
    buf_free(&b);
    conf_free(&conf);
    conf_free(&conf2);
}

/* Ad breaks ({ break: LENGTH }): placed as any item, their entries
 * SCHEDULE_BREAK; a break without a source airs the slate, and is a break
 * (item >= 0), not a gap. */
static void test_breaks(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "false", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { break: 90s, source: b, title: \"Ad break\", id: brk-1 }\n"
        "    - { break: 30s }\n"
        "    - { source: a, duration: 10s }\n"));
    int64_t s0 = T("2026-11-25T10:00:00Z");
    Timeline *tl;

    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(3600));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(110), 1, SCHEDULE_BREAK);
    EXPECT(2, s0 + S(110), s0 + S(140), 2, SCHEDULE_BREAK);
    EXPECT(3, s0 + S(140), s0 + S(150), 3, 0);
    EXPECT(4, s0 + S(150), INT64_MAX, -1, SCHEDULE_GAP | SCHEDULE_OPEN_END);
    CHECK_EQ_INT(tl->count, 5);
    if (tl->count == 5) {
        CHECK_EQ_INT(tl->entries[1].source, 1);
        CHECK_EQ_STR(tl->entries[1].title, "Ad break");
        /* the slate, as a break */
        CHECK_EQ_INT(tl->entries[2].source, -1);
        CHECK_EQ_STR(tl->entries[2].title, CONF_BREAK_TITLE);
    }
    schedule_timeline_free(&tl);
    /* a window inside the slate break gets it whole */
    tl = resolve(conf, s0, s0 + S(120), s0 + S(121));
    CHECK_EQ_INT(tl->count, 1);
    EXPECT(0, s0 + S(110), s0 + S(140), 2, SCHEDULE_BREAK);
    schedule_timeline_free(&tl);
    {
        ScheduleEntry e;
        CHECK_EQ_INT(schedule_entry_at(conf, s0, s0 + S(139), &e), 0);
        CHECK_EQ_INT(e.item, 2);
        CHECK_EQ_INT(e.flags, SCHEDULE_BREAK);
    }
    conf_free(&conf);

    /* a break at an absolute time cuts in; the chain follows it; a slate
     * break joined in progress has a position in it */
    conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 40s }\n"
        "    - { source: b, duration: 40s }\n"
        "    - { at: \"2026-11-25T10:01:00Z\", break: 1m, id: mid }\n"
        "    - { source: c, duration: 30s }\n"));
    if (!conf)
        return;
    tl = resolve(conf, s0, s0, s0 + S(200));
    EXPECT(0, s0, s0 + S(40), 0, 0);
    EXPECT(1, s0 + S(40), s0 + S(60), 1, SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(60), s0 + S(120), 2, SCHEDULE_AT | SCHEDULE_BREAK);
    EXPECT(3, s0 + S(120), s0 + S(150), 3, 0);
    EXPECT(4, s0 + S(150), s0 + S(190), 0, 0);
    EXPECT(5, s0 + S(190), s0 + S(230), 1, 0);
    CHECK_EQ_INT(tl->count, 6);
    if (tl->count > 2)
        CHECK_EQ_INT(tl->entries[2].source, -1);
    schedule_timeline_free(&tl);
    /* started during the break: joined 30 s in */
    tl = resolve(conf, s0 + S(90), s0 + S(90), s0 + S(100));
    EXPECT(0, s0 + S(90), s0 + S(120), 2, SCHEDULE_AT | SCHEDULE_BREAK | SCHEDULE_JOINED);
    OFFSET(0, S(30));
    schedule_timeline_free(&tl);
    conf_free(&conf);

    /* any window agrees with one long resolution, breaks among the items */
    consistency(__LINE__, CHANNEL("Europe/Berlin", "true", ABC,
        "    - { source: a, duration: 7m13s }\n"
        "    - { break: 90s, source: c }\n"
        "    - { break: 2m, at: \"02:30\", repeat: daily }\n"
        "    - { source: b, duration: 11m }\n"
        "    - { break: 30s }\n"), T("2026-03-26T09:17:13Z"), S(86400) * 5, 300);
    consistency(__LINE__, CHANNEL("Europe/Berlin", "true", ABC,
        "    - { source: a, duration: 50m }\n"
        "    - { break: 3m, at: \"02:30\", repeat: daily }\n"
        "    - { break: 1m, source: b }\n"), T("2026-10-23T09:00:00Z"), S(86400) * 4, 300);
}

/* The operator's changes around a break: skip out of it, extend it, a take
 * over it (it comes back RESUMED, still a break), an anchor onto it; and
 * the edits as text name a break by index and title as any item. */
static void test_break_edits(void)
{
    ChannelConf *conf = load(CHANNEL("UTC", "true", ABC,
        "    - { source: a, duration: 20s }\n"
        "    - { break: 30s }\n"
        "    - { source: c, duration: 10s }\n"));
    int64_t s0 = T("2026-11-25T10:00:00Z");
    ScheduleEdit e[2], *got = NULL;
    Buf b = { 0 };
    Timeline *tl;
    int n = 0;

    if (!conf)
        return;
    CHECK_EQ_INT(schedule_next_in_chain(conf, 0), 1);
    CHECK_EQ_INT(schedule_next_in_chain(conf, 1), 2);

    /* skip the slate break 5 s in: c starts then */
    e[0] = ANCHOR(s0 + S(25), 0, schedule_next_in_chain(conf, 1), 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(60));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(25), 1, SCHEDULE_BREAK | SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(25), s0 + S(35), 2, SCHEDULE_EDITED);
    EXPECT(3, s0 + S(35), s0 + S(55), 0, 0);
    schedule_timeline_free(&tl);

    /* the break extended to 45 s: re-anchored at its start with a new end */
    e[0] = ANCHOR(s0 + S(20), s0 + S(65), 1, 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(80));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(65), 1, SCHEDULE_BREAK | SCHEDULE_EDITED);
    EXPECT(2, s0 + S(65), s0 + S(75), 2, 0);
    schedule_timeline_free(&tl);

    /* a skipped program lands on the break: an anchor onto it is a break */
    e[0] = ANCHOR(s0 + S(5), 0, schedule_next_in_chain(conf, 0), 0);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(40));
    EXPECT(0, s0, s0 + S(5), 0, SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(5), s0 + S(35), 1, SCHEDULE_BREAK | SCHEDULE_EDITED);
    if (tl->count > 1)
        CHECK_EQ_INT(tl->entries[1].source, -1);
    schedule_timeline_free(&tl);

    /* b taken over the middle of the break: the break resumes 20 s in */
    e[0] = OVERLAY(s0 + S(25), s0 + S(40), 1);
    tl = resolve_ed(conf, e, 1, s0, s0, s0 + S(60));
    EXPECT(0, s0, s0 + S(20), 0, 0);
    EXPECT(1, s0 + S(20), s0 + S(25), 1, SCHEDULE_BREAK | SCHEDULE_CUT_SHORT);
    EXPECT(2, s0 + S(25), s0 + S(40), -1, SCHEDULE_TAKEN);
    EXPECT(3, s0 + S(40), s0 + S(50), 1, SCHEDULE_BREAK | SCHEDULE_RESUMED);
    OFFSET(3, S(20));
    EXPECT(4, s0 + S(50), s0 + S(60), 2, 0);
    schedule_timeline_free(&tl);

    /* the slate held over the break: the held slate is a gap, the break is not */
    e[0] = OVERLAY(s0 + S(30), s0 + S(35), -1);
    tl = resolve_ed(conf, e, 1, s0, s0 + S(21), s0 + S(49));
    EXPECT(0, s0 + S(20), s0 + S(30), 1, SCHEDULE_BREAK | SCHEDULE_CUT_SHORT);
    EXPECT(1, s0 + S(30), s0 + S(35), -1, SCHEDULE_HELD | SCHEDULE_GAP);
    EXPECT(2, s0 + S(35), s0 + S(50), 1, SCHEDULE_BREAK | SCHEDULE_RESUMED);
    schedule_timeline_free(&tl);

    /* as text: the break by index and its title, back as it was */
    e[0] = ANCHOR(s0 + S(20), s0 + S(65), 1, 0);
    e[1] = ANCHOR(s0 + S(100), 0, 1, S(3));
    CHECK_EQ_INT(schedule_edits_format(e, 2, conf, &b), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK(strstr((const char *)b.data, " 1 0 \"" CONF_BREAK_TITLE "\"\n") != NULL);
    CHECK_EQ_INT(schedule_edits_parse((const char *)b.data, conf, &got, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(got[0].item, 1);
        CHECK_EQ_INT(got[0].end, s0 + S(65));
        CHECK_EQ_INT(got[1].item, 1);
        CHECK_EQ_INT(got[1].offset, S(3));
    }
    free(got);
    got = NULL;
    /* a reload that made the break a program of another title drops them */
    {
        ChannelConf *conf2 = load(CHANNEL("UTC", "true", ABC,
            "    - { source: a, duration: 20s }\n"
            "    - { source: b, duration: 30s }\n"
            "    - { source: c, duration: 10s }\n"));
        if (conf2) {
            CHECK_EQ_INT(schedule_edits_parse((const char *)b.data, conf2, &got, &n), 0);
            CHECK_EQ_INT(n, 0);
            free(got);
        }
        conf_free(&conf2);
    }
    buf_free(&b);
    conf_free(&conf);
}

int main(void)
{
    test_follow();
    test_loop();
    test_at_cuts_and_followers();
    test_gaps();
    test_overlaps();
    test_daily_dst();
    test_consistency();
    test_week();
    test_entry_at();
    test_skip();
    test_extend();
    test_anchor_before_start();
    test_take();
    test_edited_consistency();
    test_edited_cost();
    test_edits_text();
    test_breaks();
    test_break_edits();
    return CHECK_DONE();
}
