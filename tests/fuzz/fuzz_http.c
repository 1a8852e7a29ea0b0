/*
 * libFuzzer target: the server's HTTP logic (sink/http.h) on arbitrary
 * header values. Beyond the sanitizers it checks each function's contract,
 * so a wrong answer is a crash too: a range answered is inside the file, a
 * 304 only for a validator that matches, a date read back as written.
 *
 * An input is text, one field a line: the file's size and its mtime in
 * seconds (decimal), then If-None-Match, If-Modified-Since, Range and
 * If-Range; an empty line is a header not sent, and a value of exactly ETAG
 * or LM stands for the file's own ETag or Last-Modified, so that matches
 * are reached.
 *
 *   fuzz_http -max_total_time=60 -dict=tests/fuzz/http.dict CORPUS tests/fuzz/corpus/http
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sink/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS 6
#define DATE_MAX_S 253402300799LL   /* 9999-12-31T23:59:59Z: four-digit years */

static void check_date_round_trip(int64_t t)
{
    char text[HTTP_DATE_SIZE];
    int64_t back = -1;

    if (t < 0 || t > DATE_MAX_S)
        return;
    http_date_format(t, text, sizeof(text));
    if (strlen(text) != 29 || strcmp(text + 25, " GMT") || http_date_parse(text, &back) < 0 ||
        back != t)
        abort();
}

/* A date read is one that writes and reads back as itself. */
static void check_date(const char *text)
{
    int64_t t = INT64_MIN;

    if (!text)
        return;
    if (http_date_parse(text, &t) < 0) {
        if (t != INT64_MIN)
            abort();
        return;
    }
    check_date_round_trip(t);
}

static void check_range(const char *range, int64_t size)
{
    int64_t first = -7, last = -7;
    enum HttpRange k;

    if (!range)
        return;
    k = http_range_parse(range, size, &first, &last);
    switch (k) {
    case HTTP_RANGE_ONE:
        if (first < 0 || first > last || last >= size)
            abort();
        break;
    case HTTP_RANGE_NONE:
    case HTTP_RANGE_UNSATISFIABLE:
        if (first != -7 || last != -7)
            abort();
        /* a range that is well formed for some file is unsatisfiable only
         * when it starts past this one's end (or wants none of it) */
        if (k == HTTP_RANGE_UNSATISFIABLE && size > 0 &&
            http_range_parse(range, INT64_MAX, &first, &last) == HTTP_RANGE_ONE && first < size)
            abort();
        break;
    default:
        abort();
    }
}

static void check_answer(const HttpConditions *h, const HttpValidators *v, int64_t size)
{
    HttpAnswer a;
    int64_t t;

    http_answer(h, v, size, &a);
    switch (a.status) {
    case 304:
        /* RFC 7232 6: If-None-Match decides alone when sent */
        if (h->if_none_match ? !http_etag_listed(h->if_none_match, v->etag)
                             : !h->if_modified_since || !v->last_modified[0] ||
                               http_date_parse(h->if_modified_since, &t) < 0 || v->mtime_s > t)
            abort();
        break;
    case 206:
        if (!h->range || !http_if_range_holds(h->if_range, v) || a.first < 0 ||
            a.first > a.last || a.last >= size)
            abort();
        break;
    case 416:
        if (!h->range || !http_if_range_holds(h->if_range, v))
            abort();
        break;
    case 200:
        break;
    default:
        abort();
    }
    if (a.status != 206 && (a.first || a.last))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *field[FIELDS] = { 0 }, *p;
    const char *value[FIELDS];
    struct stat st = { 0 };
    HttpValidators v;
    int64_t file_size, mtime;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    p = text;
    for (int i = 0; i < FIELDS && p; i++) {
        field[i] = p;
        if ((p = strchr(p, '\n')))
            *p++ = 0;
    }
    file_size = field[0] ? llabs(strtoll(field[0], NULL, 10) % (1LL << 40)) : 0;
    mtime = field[1] ? strtoll(field[1], NULL, 10) % (DATE_MAX_S + 1) : 0;
    st.st_ino = (ino_t)(size * 2654435761u);
    st.st_size = (off_t)file_size;
    st.st_mtim.tv_sec = (time_t)llabs(mtime);
    st.st_mtim.tv_nsec = (long)(size % 1000000000);
    /* an odd size: a file just written, too young for Last-Modified */
    http_validators(&st, file_size & 1 ? 0 : (llabs(mtime) + 10) * 1000000, &v);
    if ((file_size & 1) != !v.last_modified[0])
        abort();

    for (int i = 2; i < FIELDS; i++) {
        value[i] = field[i] && field[i][0] ? field[i] : NULL;
        if (value[i] && !strcmp(value[i], "ETAG"))
            value[i] = v.etag;
        else if (value[i] && !strcmp(value[i], "LM") && v.last_modified[0])
            value[i] = v.last_modified;
    }
    if (!http_etag_listed("*", v.etag) || !http_etag_listed(v.etag, v.etag) ||
        (value[2] && !strpbrk(value[2], "\"*") && http_etag_listed(value[2], v.etag)))
        abort();
    check_date_round_trip(llabs(mtime));
    check_date(value[3]);
    check_date(value[5]);
    check_range(value[4], file_size);
    check_range(value[4], 0);
    check_answer(&(HttpConditions){ value[2], value[3], value[4], value[5] }, &v, file_size);
    free(text);
    return 0;
}
