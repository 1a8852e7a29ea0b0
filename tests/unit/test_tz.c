/*
 * Time zones and civil dates. glibc's localtime_r (with TZ set, here in the
 * test only) is the independent judge: the same tzdata files and POSIX
 * rules must give the same offsets and names at every instant.
 */
#include <stdlib.h>
#include <time.h>

#include <libavutil/error.h>

#include "check.h"
#include "common/common.h"

#define US 1000000LL

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_civil(void)
{
    int y, m, d;

    CHECK_EQ_INT(civil_to_days(1970, 1, 1), 0);
    CHECK_EQ_INT(civil_to_days(2000, 3, 1), 11017);
    CHECK_EQ_INT(civil_to_days(2026, 11, 25), 20782);
    CHECK_EQ_INT(civil_to_days(1969, 12, 31), -1);
    CHECK_EQ_INT(civil_to_days(1600, 2, 29) + 1, civil_to_days(1600, 3, 1));
    for (int64_t days = -1000000; days < 1000000; days += 97) {
        civil_from_days(days, &y, &m, &d);
        if (civil_to_days(y, m, d) != days) {
            CHECK_EQ_INT(civil_to_days(y, m, d), days);
            break;
        }
    }
    civil_from_days(20782, &y, &m, &d);
    CHECK_EQ_INT(y, 2026);
    CHECK_EQ_INT(m, 11);
    CHECK_EQ_INT(d, 25);
}

/* tz against glibc for `count` instants in [lo, hi) seconds. tzspec is what
 * TZ is set to for glibc: ":Zone/Name" or a POSIX rule. */
static void compare_with_libc(const Tz *tz, const char *tzspec, int64_t lo, int64_t hi, int count)
{
    int bad = 0;

    setenv("TZ", tzspec, 1);
    tzset();
    for (int i = 0; i < count && bad < 5; i++) {
        int64_t t = lo + (int64_t)(next_rand() % (uint64_t)(hi - lo));
        time_t tt = (time_t)t;
        struct tm tm;
        TzLocal l;

        localtime_r(&tt, &tm);
        tz_to_local(tz, t * US, &l);
        if (l.utc_offset != tm.tm_gmtoff || strcmp(l.abbr, tm.tm_zone) ||
            l.year != tm.tm_year + 1900 || l.month != tm.tm_mon + 1 || l.day != tm.tm_mday ||
            l.hour != tm.tm_hour || l.minute != tm.tm_min || l.second != tm.tm_sec ||
            l.weekday != tm.tm_wday || l.is_dst != (tm.tm_isdst > 0)) {
            fprintf(stderr, "%s at %lld: ours %04d-%02d-%02d %02d:%02d:%02d %s %+d dst %d, libc "
                    "%04d-%02d-%02d %02d:%02d:%02d %s %+ld dst %d\n", tzspec, (long long)t,
                    l.year, l.month, l.day, l.hour, l.minute, l.second, l.abbr, l.utc_offset,
                    l.is_dst, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec, tm.tm_zone, tm.tm_gmtoff, tm.tm_isdst);
            bad++;
            check_failures++;
        }
    }
}

static void test_zones_against_libc(void)
{
    static const char *const zones[] = {
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
        "America/Sao_Paulo", "Pacific/Chatham", "Europe/London", "America/Santiago",
        "Asia/Tehran", "Africa/Casablanca", "Pacific/Apia", "America/St_Johns", NULL,
    };
    for (int i = 0; zones[i]; i++) {
        char err[512], spec[64];
        Tz *tz = NULL;

        if (tz_load(&tz, zones[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            check_failures++;
            continue;
        }
        CHECK_EQ_STR(tz_name(tz), zones[i]);
        snprintf(spec, sizeof(spec), ":%s", zones[i]);
        /* 1902 to 2200: the 64-bit transitions, then the footer's rule */
        compare_with_libc(tz, spec, -2145916800LL, 7258118400LL, 20000);
        tz_free(&tz);
        CHECK(tz == NULL);
    }
}

/* A TZif v2 file with no transitions: everything comes from the footer. */
static size_t slim_tzif(uint8_t *buf, const char *footer)
{
    static const uint8_t type[6] = { 0, 0, 0, 0, 0, 0 };
    size_t n = 0;

    for (int block = 0; block < 2; block++) {
        memset(buf + n, 0, 44);
        memcpy(buf + n, "TZif2", 5);
        buf[n + 39] = 1;            /* typecnt */
        buf[n + 43] = 4;            /* charcnt */
        n += 44;
        memcpy(buf + n, type, 6);
        n += 6;
        memcpy(buf + n, "UTC", 4);
        n += 4;
    }
    n += (size_t)sprintf((char *)buf + n, "\n%s\n", footer);
    return n;
}

static void test_posix_rules(void)
{
    static const char *const rules[] = {
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "EST5EDT,M3.2.0,M11.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",          /* southern: DST over new year */
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",      /* negative times (RFC 8536 v3) */
        "XXX3YYY,J60/2,300/3",                   /* Julian and zero-based days */
        "<+0530>-5:30",
        "NZST-12NZDT,M9.5.0,M4.1.0/3",
        "IST-1GMT0,M10.5.0,M3.5.0/1",            /* negative DST, as Europe/Dublin */
        NULL,
    };
    uint8_t buf[512];

    for (int i = 0; rules[i]; i++) {
        char err[256];
        Tz *tz = NULL;
        size_t n = slim_tzif(buf, rules[i]);

        if (tz_parse(&tz, rules[i], buf, n, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: %s\n", rules[i], err);
            check_failures++;
            continue;
        }
        compare_with_libc(tz, rules[i], 0, 4102444800LL, 20000);   /* 1970 to 2100 */
        tz_free(&tz);
    }
    {
        /* RFC 8536 3.3.1: daylight time all year. (glibc leaves it for a few
         * hours each new year's eve, so it is no judge here.) */
        char err[256];
        Tz *tz = NULL;
        size_t n = slim_tzif(buf, "EST5EDT,0/0,J365/25");
        CHECK_EQ_INT(tz_parse(&tz, "all year", buf, n, err, sizeof(err)), 0);
        for (int64_t t = 0; tz && t < 4102444800LL; t += 3001 * 61) {
            if (tz_offset(tz, t * 1000000) != -4 * 3600) {
                CHECK_EQ_INT(tz_offset(tz, t * 1000000), -4 * 3600);
                break;
            }
        }
        tz_free(&tz);
    }
}

static int64_t utc(const char *s)
{
    int y, mo, d, h, mi;
    sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi);
    return (civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60) * US;
}

static void test_local_to_utc(void)
{
    char err[256];
    Tz *berlin = NULL, *ny = NULL, *utc_tz = NULL;
    enum TzLocalKind k;

    CHECK_EQ_INT(tz_load(&berlin, "Europe/Berlin", err, sizeof(err)), 0);
    CHECK_EQ_INT(tz_load(&ny, "America/New_York", err, sizeof(err)), 0);
    CHECK_EQ_INT(tz_load(&utc_tz, "UTC", err, sizeof(err)), 0);
    if (!berlin || !ny || !utc_tz)
        goto end;
    /* local wall times are written as if UTC */
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-07-01T12:00"), &k), utc("2026-07-01T10:00"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-01-01T12:00"), &k), utc("2026-01-01T11:00"));
    /* 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z */
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-03-29T01:59"), &k), utc("2026-03-29T00:59"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-03-29T02:00"), &k), utc("2026-03-29T01:00"));
    CHECK_EQ_INT(k, TZ_LOCAL_GAP);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-03-29T02:30"), &k), utc("2026-03-29T01:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_GAP);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-03-29T03:00"), &k), utc("2026-03-29T01:00"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    /* 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00Z; 02:xx happens twice */
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-10-25T02:30"), &k), utc("2026-10-25T00:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_AMBIGUOUS);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-10-25T01:59"), &k), utc("2026-10-24T23:59"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2026-10-25T03:00"), &k), utc("2026-10-25T02:00"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    /* New York 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
    CHECK_EQ_INT(tz_local_to_utc(ny, utc("2026-03-08T02:30"), &k), utc("2026-03-08T07:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_GAP);
    CHECK_EQ_INT(tz_local_to_utc(ny, utc("2026-11-01T01:30"), &k), utc("2026-11-01T05:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_AMBIGUOUS);
    CHECK_EQ_INT(tz_local_to_utc(ny, utc("2026-11-01T02:30"), &k), utc("2026-11-01T07:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    /* beyond the file's transitions (2037) the footer rule: 2199-03-31 is the last Sunday of March */
    CHECK_EQ_INT(tz_local_to_utc(berlin, utc("2199-03-31T02:30"), &k), utc("2199-03-31T01:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_GAP);
    CHECK_EQ_INT(tz_local_to_utc(utc_tz, utc("2026-03-29T02:30"), &k), utc("2026-03-29T02:30"));
    CHECK_EQ_INT(k, TZ_LOCAL_UNIQUE);
    CHECK_EQ_INT(tz_offset(utc_tz, 0), 0);

    /* round trip: every existing local time of a year maps back to itself */
    for (int64_t t = utc("2026-01-01T00:00"); t < utc("2027-01-01T00:00"); t += 15 * 60 * US) {
        TzLocal l;
        int64_t local;
        tz_to_local(berlin, t, &l);
        local = (civil_to_days(l.year, l.month, l.day) * 86400 + l.hour * 3600 + l.minute * 60 +
                 l.second) * US;
        if (tz_local_to_utc(berlin, local, &k) != t && k != TZ_LOCAL_AMBIGUOUS) {
            CHECK_EQ_INT(tz_local_to_utc(berlin, local, NULL), t);
            break;
        }
    }
end:
    tz_free(&berlin);
    tz_free(&ny);
    tz_free(&utc_tz);
}

static void test_bad(void)
{
    char err[512];
    Tz *tz = (Tz *)1;
    uint8_t buf[512];
    size_t n;

    CHECK_EQ_INT(tz_load(&tz, "../etc/passwd", err, sizeof(err)), AVERROR(EINVAL));
    CHECK(tz == NULL);
    CHECK(strstr(err, "is not a time zone name") != NULL);
    CHECK(tz_load(&tz, "/etc/passwd", err, sizeof(err)) < 0);
    CHECK(tz_load(&tz, "", err, sizeof(err)) < 0);
    CHECK(tz_load(&tz, "Europe/./Berlin", err, sizeof(err)) < 0);
    CHECK_EQ_INT(tz_load(&tz, "Mars/Olympus_Mons", err, sizeof(err)), AVERROR(ENOENT));
    CHECK(strstr(err, "unknown time zone 'Mars/Olympus_Mons'") != NULL);
    CHECK(tz_load(&tz, "Europe", err, sizeof(err)) < 0);          /* a folder */
    CHECK(strstr(err, "is not a time zone file") != NULL);
    CHECK(tz == NULL);

    /* broken files: refused, never read past their end */
    n = slim_tzif(buf, "CET-1CEST,M3.5.0,M10.5.0/3");
    for (size_t len = 0; len < n - 1; len++) {
        tz = NULL;
        CHECK(tz_parse(&tz, "cut", buf, len, err, sizeof(err)) < 0);
        CHECK(tz == NULL);
    }
    n = slim_tzif(buf, "CET-1CEST,M13.5.0,M10.5.0/3");
    CHECK(tz_parse(&tz, "bad rule", buf, n, err, sizeof(err)) < 0);
    n = slim_tzif(buf, "C-1");
    CHECK(tz_parse(&tz, "short name", buf, n, err, sizeof(err)) < 0);
    CHECK(tz == NULL);
}

int main(void)
{
    test_civil();
    test_zones_against_libc();
    test_posix_rules();
    test_local_to_utc();
    test_bad();
    return CHECK_DONE();
}
