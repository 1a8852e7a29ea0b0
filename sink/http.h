/*
 * Internal to sink/ (and its fuzz target): the server's HTTP logic that
 * depends only on header values and on which version of a file is served —
 * HTTP dates, validators, conditional requests and byte ranges (RFC 7231,
 * 7232, 7233). No I/O and no libmicrohttpd here: serve.c reads the headers,
 * asks http_answer what to do and sends it; tests/fuzz/fuzz_http.c feeds
 * these functions arbitrary header values and checks their contracts.
 *
 * Every function is pure and thread safe. Header values are C strings as
 * libmicrohttpd hands them over (any bytes but NUL); NULL is "not sent".
 */
#ifndef ONAIR_SINK_HTTP_H
#define ONAIR_SINK_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct stat;

/* ---- dates --------------------------------------------------------------- */

/* Room for any date http_date_format writes. */
#define HTTP_DATE_SIZE 40

/* t (seconds since the epoch) as an IMF-fixdate (RFC 7231 7.1.1.1):
 * "Sun, 06 Nov 1994 08:49:37 GMT", 29 characters for years 0 to 9999. Cut
 * to fit size, always terminated. */
void http_date_format(int64_t t, char *out, size_t size);

/* An HTTP-date, read by libcurl's curl_getdate: the three forms recipients
 * must accept (IMF-fixdate, RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
 * asctime "Sun Nov  6 08:49:37 1994") and the variants it knows; no zone is
 * GMT. Seconds since the epoch into *out, or AVERROR(EINVAL) for what is
 * not a date (then *out is untouched). */
int http_date_parse(const char *text, int64_t *out);

/* ---- validators ------------------------------------------------------------ */

/* What tells one version of a file from another. The ETag is strong: onair
 * never rewrites a file in place (it renames a new one over it), so a new
 * version has a new inode, size or nanosecond mtime. */
typedef struct HttpValidators {
    char etag[64];                    /* "\"inode-size-mtime_ns\"", hex */
    char last_modified[HTTP_DATE_SIZE];   /* "" while the file is too young to say */
    int64_t mtime_s;                  /* what Last-Modified says */
} HttpValidators;

/* The validators of the file st describes. now_us (wall clock, taken before
 * the file was opened) decides whether it is old enough for Last-Modified
 * (HTTP_LAST_MODIFIED_AGE_US): within its second a file could be replaced
 * by another with the same Last-Modified, and a 304 would keep a stale
 * playlist. */
#define HTTP_LAST_MODIFIED_AGE_US 1100000
void http_validators(const struct stat *st, int64_t now_us, HttpValidators *v);

/* Whether an If-None-Match list names etag, by weak comparison (a W/ prefix
 * does not count), or is "*". A malformed list matches nothing, so the file
 * is sent: never a wrong 304. */
int http_etag_listed(const char *list, const char *etag);

/* Whether a Range still applies under If-Range (NULL: none, it does): the
 * header names this very version, by strong ETag or by its exact (strong)
 * Last-Modified. */
int http_if_range_holds(const char *if_range, const HttpValidators *v);

/* ---- byte ranges ---------------------------------------------------------- */

enum HttpRange {
    HTTP_RANGE_NONE,                  /* the whole file, 200 */
    HTTP_RANGE_ONE,                   /* 206 */
    HTTP_RANGE_UNSATISFIABLE,         /* 416 */
};

/* A Range header against a file of size bytes: one range "bytes=a-b", "a-"
 * or "-n" is HTTP_RANGE_ONE with 0 <= *first <= *last < size, or
 * HTTP_RANGE_UNSATISFIABLE when it starts past the end (or asks for the
 * last 0 bytes). Everything else is answered with the whole file, as
 * RFC 7233 3.1 allows: another unit, a malformed header, and several
 * ranges (which would take a multipart body that no player asks for).
 * *first and *last are written only for HTTP_RANGE_ONE. */
enum HttpRange http_range_parse(const char *range, int64_t size, int64_t *first, int64_t *last);

/* ---- the answer ------------------------------------------------------------ */

/* The headers of a GET or HEAD that decide its answer; NULL: not sent. */
typedef struct HttpConditions {
    const char *if_none_match;
    const char *if_modified_since;
    const char *range;
    const char *if_range;
} HttpConditions;

typedef struct HttpAnswer {
    unsigned status;                  /* 200, 206, 304 or 416 */
    int64_t first, last;              /* 206: the bytes to send, inclusive; else 0 */
} HttpAnswer;

/* What a request with conditions h is answered for a file of size bytes
 * with validators v, in RFC 7232 6's order: If-None-Match, or only without
 * it If-Modified-Since (against Last-Modified, when the file has one), may
 * answer 304; else a Range under If-Range may answer 206 or 416. */
void http_answer(const HttpConditions *h, const HttpValidators *v, int64_t size, HttpAnswer *a);

#endif
