/* The server's pure HTTP logic (http.h): dates, validators, conditional
 * requests, byte ranges. */
#include "http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <libavutil/error.h>

#include "common/common.h"

/* ---- dates ----------------------------------------------------------------- */

/* Written here rather than by strftime, whose names follow the locale. */
void http_date_format(int64_t t, char *out, size_t size)
{
    static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const char *const wday[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
    int64_t days = clock_floor_div(t, 86400), secs = t - days * 86400;
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(out, size, "%s, %02d %.3s %04d %02d:%02d:%02d GMT", wday[(days % 7 + 7) % 7], d,
             month_names + 3 * (m - 1), y, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
}

int http_date_parse(const char *text, int64_t *out)
{
    time_t t;

    if (!text)
        return AVERROR(EINVAL);
    /* -1 is curl's "not a date"; as a date it is 1969, older than any file */
    t = curl_getdate(text, NULL);
    if (t == -1)
        return AVERROR(EINVAL);
    *out = (int64_t)t;
    return 0;
}

/* ---- validators ---------------------------------------------------------------- */

void http_validators(const struct stat *st, int64_t now_us, HttpValidators *v)
{
    /* unsigned: past 2262 the nanoseconds wrap, which an ETag may do */
    uint64_t mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
    int64_t mtime_us = (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;

    snprintf(v->etag, sizeof(v->etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
             (uint64_t)st->st_ino, (uint64_t)st->st_size, mtime_ns);
    v->mtime_s = (int64_t)st->st_mtim.tv_sec;
    v->last_modified[0] = 0;
    /* now_us was taken before the file was opened: any later version of it
     * has a later second (RFC 7232 2.2.2, a Last-Modified usable as strong) */
    if (mtime_us + HTTP_LAST_MODIFIED_AGE_US <= now_us)
        http_date_format(v->mtime_s, v->last_modified, sizeof(v->last_modified));
}

int http_etag_listed(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = list, *end;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"' || !(end = strchr(p + 1, '"')))
            return 0;
        if ((size_t)(end + 1 - p) == elen && !memcmp(p, etag, elen))
            return 1;
        p = end + 1;
    }
}

int http_if_range_holds(const char *if_range, const HttpValidators *v)
{
    int64_t t;

    if (!if_range)
        return 1;
    if (if_range[0] == '"')
        return !strcmp(if_range, v->etag);
    return v->last_modified[0] && http_date_parse(if_range, &t) == 0 && t == v->mtime_s;
}

/* ---- ranges ------------------------------------------------------------------- */

/* Digits to a number, saturating: a position past any file is as good as
 * INT64_MAX. NULL when there are no digits. */
static const char *parse_pos(const char *p, int64_t *out)
{
    int64_t v = 0;

    if (*p < '0' || *p > '9')
        return NULL;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (*p - '0');
    *out = v;
    return p;
}

enum HttpRange http_range_parse(const char *h, int64_t size, int64_t *first, int64_t *last)
{
    const char *p;
    int64_t a = 0, b = INT64_MAX;
    int n = 0, suffix = 0;

    if (strncasecmp(h, "bytes=", 6))
        return HTTP_RANGE_NONE;
    for (p = h + 6;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')   /* empty list elements are allowed */
            p++;
        if (!*p)
            break;
        if (++n > 1)
            return HTTP_RANGE_NONE;
        if (*p == '-') {
            suffix = 1;
            if (!(p = parse_pos(p + 1, &b)))
                return HTTP_RANGE_NONE;
        } else {
            if (!(p = parse_pos(p, &a)) || *p++ != '-')
                return HTTP_RANGE_NONE;
            if (*p >= '0' && *p <= '9') {
                p = parse_pos(p, &b);
                if (b < a)
                    return HTTP_RANGE_NONE;
            }
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != ',')
            return HTTP_RANGE_NONE;
    }
    if (n != 1)
        return HTTP_RANGE_NONE;
    if (suffix) {
        if (b == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
    } else {
        if (a >= size)
            return HTTP_RANGE_UNSATISFIABLE;
        *first = a;
        *last = b >= size ? size - 1 : b;
    }
    return HTTP_RANGE_ONE;
}

/* ---- the answer ---------------------------------------------------------------- */

void http_answer(const HttpConditions *h, const HttpValidators *v, int64_t size, HttpAnswer *a)
{
    int64_t t;

    *a = (HttpAnswer){ .status = 200 };
    if (h->if_none_match ? http_etag_listed(h->if_none_match, v->etag)
                         : h->if_modified_since && v->last_modified[0] &&
                           http_date_parse(h->if_modified_since, &t) == 0 && v->mtime_s <= t) {
        a->status = 304;
        return;
    }
    if (!h->range || !http_if_range_holds(h->if_range, v))
        return;
    switch (http_range_parse(h->range, size, &a->first, &a->last)) {
    case HTTP_RANGE_ONE:
        a->status = 206;
        break;
    case HTTP_RANGE_UNSATISFIABLE:
        a->status = 416;
        break;
    default:
        break;
    }
}
