/*
 * Time zones from tzdata (TZif, RFC 8536) and civil date arithmetic.
 *
 * A live channel's daily items are in its own zone while the process may run
 * in another, and several channels share one process: so zones are objects,
 * read once and immutable, never the process-wide TZ of localtime_r().
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

#define TZ_FILE_MAX (1 << 20)
#define TZ_TRANS_MAX 100000
#define TZ_ABBR_MAX 16
#define DAY_S 86400

typedef struct TzType {
    int32_t utoff;                /* seconds east */
    int isdst;
    char abbr[TZ_ABBR_MAX];
} TzType;

/* One end of the DST period of a POSIX TZ rule. */
typedef struct TzRuleDate {
    char kind;                    /* 'J' Julian 1-365 without Feb 29, 'N' 0-365, 'M' month.week.day */
    int a, b, c;
    int32_t secs;                 /* local time of day of the change, may be < 0 or > 24 h */
} TzRuleDate;

typedef struct TzRule {
    int32_t std_off, dst_off;     /* seconds east */
    char std_abbr[TZ_ABBR_MAX], dst_abbr[TZ_ABBR_MAX];
    int has_dst;
    TzRuleDate start, end;
} TzRule;

struct Tz {
    char name[256];
    int64_t *trans;               /* UTC seconds, strictly ascending */
    uint8_t *trans_type;
    int ntrans;
    TzType *types;
    int ntypes;
    int has_rule;                 /* the footer rule covers times after the last transition */
    TzRule rule;
};

/* ---- civil dates (H. Hinnant's algorithms) ---- */

int64_t civil_to_days(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = clock_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = clock_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

static int weekday_of(int64_t days)
{
    return (int)(((days % 7) + 7 + 4) % 7);    /* 1970-01-01 was a Thursday */
}

/* ---- POSIX TZ rules (the TZif footer) ---- */

static int parse_abbr(const char **pp, char *out)
{
    const char *p = *pp;
    size_t n = 0;

    if (*p == '<') {
        p++;
        while (*p && *p != '>') {
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
                return -1;
            if (n + 1 < TZ_ABBR_MAX)
                out[n++] = *p;
            p++;
        }
        if (*p != '>')
            return -1;
        p++;
    } else {
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            if (n + 1 < TZ_ABBR_MAX)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = 0;
    if (n < 3)
        return -1;
    *pp = p;
    return 0;
}

/* [+-]h[h][:mm[:ss]] -> seconds; max_h bounds the hours. */
static int parse_hms(const char **pp, int32_t *secs, int max_h)
{
    const char *p = *pp;
    int sign = 1, h = 0, m = 0, s = 0, digits = 0;

    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    while (*p >= '0' && *p <= '9' && digits < 3)
        h = h * 10 + (*p++ - '0'), digits++;
    if (!digits || h > max_h)
        return -1;
    if (*p == ':') {
        p++;
        if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
            return -1;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') {
            p++;
            if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
                return -1;
            s = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    *secs = sign * (h * 3600 + m * 60 + s);
    *pp = p;
    return 0;
}

static int parse_num(const char **pp, int lo, int hi, int *v)
{
    const char *p = *pp;
    int n = 0, digits = 0;

    while (*p >= '0' && *p <= '9' && digits < 4)
        n = n * 10 + (*p++ - '0'), digits++;
    if (!digits || n < lo || n > hi)
        return -1;
    *v = n;
    *pp = p;
    return 0;
}

static int parse_rule_date(const char **pp, TzRuleDate *d)
{
    const char *p = *pp;

    if (*p == 'J') {
        p++;
        d->kind = 'J';
        if (parse_num(&p, 1, 365, &d->a) < 0)
            return -1;
    } else if (*p == 'M') {
        p++;
        d->kind = 'M';
        if (parse_num(&p, 1, 12, &d->a) < 0 || *p++ != '.' ||
            parse_num(&p, 1, 5, &d->b) < 0 || *p++ != '.' ||
            parse_num(&p, 0, 6, &d->c) < 0)
            return -1;
    } else {
        d->kind = 'N';
        if (parse_num(&p, 0, 365, &d->a) < 0)
            return -1;
    }
    d->secs = 2 * 3600;
    /* RFC 8536 3.3.1 lets the time run from -167 h to 167 h */
    if (*p == '/' && (p++, parse_hms(&p, &d->secs, 167) < 0))
        return -1;
    *pp = p;
    return 0;
}

static int parse_posix_rule(const char *s, TzRule *r)
{
    const char *p = s;
    int32_t off;

    memset(r, 0, sizeof(*r));
    if (parse_abbr(&p, r->std_abbr) < 0 || parse_hms(&p, &off, 24) < 0)
        return -1;
    r->std_off = -off;                     /* POSIX counts west */
    if (!*p)
        return 0;
    if (parse_abbr(&p, r->dst_abbr) < 0)
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (parse_hms(&p, &off, 24) < 0)
            return -1;
        r->dst_off = -off;
    }
    if (!*p) {
        /* no dates: the US rule, as glibc assumes */
        static const char us[] = ",M3.2.0,M11.1.0";
        p = us;
    }
    if (*p++ != ',' || parse_rule_date(&p, &r->start) < 0 || *p++ != ',' ||
        parse_rule_date(&p, &r->end) < 0 || *p)
        return -1;
    return 0;
}

/* Local seconds (as if UTC) of the rule date's change in `year`. */
static int64_t rule_date_local(const TzRuleDate *d, int year)
{
    int64_t jan1 = civil_to_days(year, 1, 1);
    int64_t day;

    if (d->kind == 'J') {
        day = jan1 + d->a - 1 + (is_leap(year) && d->a >= 60);
    } else if (d->kind == 'N') {
        day = jan1 + d->a;
    } else {
        int64_t first = civil_to_days(year, d->a, 1);
        int mday = 1 + (d->c - weekday_of(first) + 7) % 7 + (d->b - 1) * 7;
        while (mday > month_days(year, d->a))
            mday -= 7;
        day = first + mday - 1;
    }
    return day * DAY_S + d->secs;
}

static int rule_is_dst(const TzRule *r, int64_t t)
{
    int y, m, d;
    int64_t start, end;

    if (!r->has_dst)
        return 0;
    civil_from_days(clock_floor_div(t + r->std_off, DAY_S), &y, &m, &d);
    start = rule_date_local(&r->start, y) - r->std_off;   /* the change happens in standard time */
    end = rule_date_local(&r->end, y) - r->dst_off;       /* ... and back in daylight time */
    if (start < end)
        return t >= start && t < end;
    return !(t >= end && t < start);                     /* southern hemisphere */
}

/* ---- lookups ---- */

static void lookup(const Tz *tz, int64_t t, int32_t *off, int *isdst, const char **abbr)
{
    const TzType *ty;

    if (tz->has_rule && (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1])) {
        int dst = rule_is_dst(&tz->rule, t);
        *off = dst ? tz->rule.dst_off : tz->rule.std_off;
        *isdst = dst;
        *abbr = dst ? tz->rule.dst_abbr : tz->rule.std_abbr;
        return;
    }
    if (tz->ntrans == 0 || t < tz->trans[0]) {
        ty = &tz->types[0];
    } else {
        int lo = 0, hi = tz->ntrans - 1;     /* the last transition <= t */
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (tz->trans[mid] <= t)
                lo = mid;
            else
                hi = mid - 1;
        }
        ty = &tz->types[tz->trans_type[lo]];
    }
    *off = ty->utoff;
    *isdst = ty->isdst;
    *abbr = ty->abbr;
}

int tz_offset(const Tz *tz, int64_t utc_us)
{
    int32_t off;
    int dst;
    const char *abbr;

    lookup(tz, clock_floor_div(utc_us, 1000000), &off, &dst, &abbr);
    return off;
}

void tz_to_local(const Tz *tz, int64_t utc_us, TzLocal *out)
{
    int32_t off;
    int dst;
    const char *abbr;
    int64_t local, days, us;

    lookup(tz, clock_floor_div(utc_us, 1000000), &off, &dst, &abbr);
    local = utc_us + (int64_t)off * 1000000;
    days = clock_floor_div(local, (int64_t)DAY_S * 1000000);
    us = local - days * DAY_S * 1000000;
    memset(out, 0, sizeof(*out));
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(us / 3600000000LL);
    out->minute = (int)(us / 60000000 % 60);
    out->second = (int)(us / 1000000 % 60);
    out->usec = (int)(us % 1000000);
    out->weekday = weekday_of(days);
    out->utc_offset = off;
    out->is_dst = dst;
    if (abbr[0]) {
        snprintf(out->abbr, sizeof(out->abbr), "%s", abbr);
    } else {
        int a = off < 0 ? -off : off;
        snprintf(out->abbr, sizeof(out->abbr), "%c%02d%02d", off < 0 ? '-' : '+',
                 a / 3600 % 100, a / 60 % 60);
    }
}

int64_t tz_local_to_utc(const Tz *tz, int64_t local_us, enum TzLocalKind *kind)
{
    const int64_t day = (int64_t)DAY_S * 1000000;
    /* the offsets a day either side: zones change at most once in two days */
    int64_t o1 = (int64_t)tz_offset(tz, local_us - day) * 1000000;
    int64_t o2 = (int64_t)tz_offset(tz, local_us + day) * 1000000;
    int64_t t1 = local_us - o1, t2 = local_us - o2;
    int v1 = (int64_t)tz_offset(tz, t1) * 1000000 == o1;
    int v2 = (int64_t)tz_offset(tz, t2) * 1000000 == o2;
    enum TzLocalKind k = TZ_LOCAL_UNIQUE;
    int64_t t;

    if (v1 && v2 && t1 != t2) {
        k = TZ_LOCAL_AMBIGUOUS;
        t = t1 < t2 ? t1 : t2;
    } else if (v1) {
        t = t1;
    } else if (v2) {
        t = t2;
    } else {
        k = TZ_LOCAL_GAP;
        t = t1;          /* the offset before the change: later by the gap's length */
    }
    if (kind)
        *kind = k;
    return t;
}

/* ---- TZif ---- */

typedef struct TzifHeader {
    int version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} TzifHeader;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_header(const uint8_t *p, size_t size, TzifHeader *h)
{
    if (size < 44 || memcmp(p, "TZif", 4))
        return -1;
    h->version = p[4] ? p[4] - '0' : 1;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > TZ_TRANS_MAX ||
        h->charcnt > 4096 || h->leapcnt > 10000 ||
        (h->isutcnt && h->isutcnt != h->typecnt) || (h->isstdcnt && h->isstdcnt != h->typecnt))
        return -1;
    return 0;
}

static size_t block_size(const TzifHeader *h, int tsize)
{
    return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

static int parse_block(Tz *tz, const TzifHeader *h, const uint8_t *p, int tsize)
{
    const uint8_t *idx = p + (size_t)h->timecnt * tsize;
    const uint8_t *types = idx + h->timecnt;
    const char *chars = (const char *)(types + (size_t)h->typecnt * 6);

    tz->trans = malloc(sizeof(*tz->trans) * (h->timecnt ? h->timecnt : 1));
    tz->trans_type = malloc(h->timecnt ? h->timecnt : 1);
    tz->types = calloc(h->typecnt, sizeof(*tz->types));
    if (!tz->trans || !tz->trans_type || !tz->types)
        return AVERROR(ENOMEM);
    for (uint32_t i = 0; i < h->timecnt; i++) {
        tz->trans[i] = tsize == 8 ? be64(p + (size_t)i * 8) : (int32_t)be32(p + (size_t)i * 4);
        tz->trans_type[i] = idx[i];
        if (idx[i] >= h->typecnt || (i && tz->trans[i] <= tz->trans[i - 1]))
            return AVERROR_INVALIDDATA;
    }
    tz->ntrans = (int)h->timecnt;
    for (uint32_t i = 0; i < h->typecnt; i++) {
        const uint8_t *t = types + (size_t)i * 6;
        int32_t off = (int32_t)be32(t);
        uint8_t desig = t[5];
        size_t n = 0;

        if (off < -26 * 3600 || off > 26 * 3600 || t[4] > 1 || (desig >= h->charcnt && h->charcnt))
            return AVERROR_INVALIDDATA;
        tz->types[i].utoff = off;
        tz->types[i].isdst = t[4];
        while (desig + n < h->charcnt && chars[desig + n] && n + 1 < TZ_ABBR_MAX) {
            char c = chars[desig + n];
            tz->types[i].abbr[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
        }
    }
    tz->ntypes = (int)h->typecnt;
    return 0;
}

int tz_parse(Tz **out, const char *name, const uint8_t *data, size_t size,
             char *err, size_t err_size)
{
    TzifHeader h;
    size_t pos;
    int ret = AVERROR_INVALIDDATA;
    Tz *tz;

    *out = NULL;
    tz = calloc(1, sizeof(*tz));
    if (!tz)
        return AVERROR(ENOMEM);
    snprintf(tz->name, sizeof(tz->name), "%s", name);
    if (read_header(data, size, &h) < 0)
        goto fail;
    pos = 44 + block_size(&h, 4);
    if (pos > size)
        goto fail;
    if (h.version >= 2) {
        /* the 64-bit block, then the footer rule */
        const uint8_t *nl;
        size_t flen;
        char footer[256];

        if (read_header(data + pos, size - pos, &h) < 0)
            goto fail;
        pos += 44;
        if (block_size(&h, 8) > size - pos)
            goto fail;
        if ((ret = parse_block(tz, &h, data + pos, 8)) < 0)
            goto fail;
        ret = AVERROR_INVALIDDATA;
        pos += block_size(&h, 8);
        if (pos >= size || data[pos] != '\n')
            goto fail;
        pos++;
        nl = memchr(data + pos, '\n', size - pos);
        if (!nl)
            goto fail;
        flen = (size_t)(nl - (data + pos));
        if (flen >= sizeof(footer))
            goto fail;
        memcpy(footer, data + pos, flen);
        footer[flen] = 0;
        if (flen) {
            if (memchr(footer, 0, flen) || parse_posix_rule(footer, &tz->rule) < 0)
                goto fail;
            tz->has_rule = 1;
        }
    } else if ((ret = parse_block(tz, &h, data + 44, 4)) < 0) {
        goto fail;
    }
    *out = tz;
    return 0;
fail:
    snprintf(err, err_size, "'%s' is not a valid time zone file%s", name,
             ret == AVERROR(ENOMEM) ? " (out of memory)" : "");
    tz_free(&tz);
    return ret;
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    const char *seg = name;

    if (n == 0 || n > 200 || name[0] == '/')
        return 0;
    for (const char *p = name;; p++) {
        if (*p == '/' || !*p) {
            size_t len = (size_t)(p - seg);
            if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && !strncmp(seg, "..", 2)))
                return 0;
            if (!*p)
                break;
            seg = p + 1;
            continue;
        }
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '+' || *p == '.'))
            return 0;
    }
    return 1;
}

int tz_load(Tz **out, const char *name, char *err, size_t err_size)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    uint8_t *data = NULL;
    struct stat st;
    size_t got = 0;
    int fd, ret;

    *out = NULL;
    if (!name || !valid_name(name)) {
        snprintf(err, err_size, "'%s' is not a time zone name (write a tzdata name such as "
                 "UTC, Europe/Berlin, America/New_York)", name ? name : "");
        return AVERROR(EINVAL);
    }
    if (!strcmp(name, "UTC")) {
        Tz *tz = calloc(1, sizeof(*tz));
        if (!tz)
            return AVERROR(ENOMEM);
        tz->types = calloc(1, sizeof(*tz->types));
        if (!tz->types) {
            free(tz);
            return AVERROR(ENOMEM);
        }
        snprintf(tz->name, sizeof(tz->name), "UTC");
        snprintf(tz->types[0].abbr, sizeof(tz->types[0].abbr), "UTC");
        tz->ntypes = 1;
        *out = tz;
        return 0;
    }
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if (path_join(path, sizeof(path), dir, name) < 0) {
        snprintf(err, err_size, "time zone name '%s' is too long", name);
        return AVERROR(ENAMETOOLONG);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = AVERROR(errno);
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, err_size, "unknown time zone '%s' (no %s; tzdata names are like "
                     "Europe/Berlin, America/New_York, UTC)", name, path);
        else
            snprintf(err, err_size, "time zone '%s': cannot read %s: %s", name, path,
                     strerror(errno));
        return ret;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TZ_FILE_MAX) {
        close(fd);
        snprintf(err, err_size, "unknown time zone '%s' (%s is not a time zone file)", name, path);
        return AVERROR(EINVAL);
    }
    data = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!data) {
        close(fd);
        return AVERROR(ENOMEM);
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    ret = tz_parse(out, name, data, got, err, err_size);
    if (ret == AVERROR_INVALIDDATA)
        snprintf(err, err_size, "unknown time zone '%s' (%s is not a time zone file)", name, path);
    free(data);
    return ret;
}

void tz_free(Tz **ptz)
{
    Tz *tz = *ptz;

    if (!tz)
        return;
    free(tz->trans);
    free(tz->trans_type);
    free(tz->types);
    free(tz);
    *ptz = NULL;
}

const char *tz_name(const Tz *tz)
{
    return tz->name;
}
