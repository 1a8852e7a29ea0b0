/* Durations, bitrates and ladders as users write them. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

static const Rung named_rungs[] = {
    { "1080p", 1920, 1080, 5000000 },
    { "720p",  1280,  720, 3000000 },
    { "480p",   854,  480, 1500000 },
    { "360p",   640,  360,  800000 },
    { "240p",   426,  240,  400000 },
};

#define FAIL(...) do { snprintf(err, err_size, __VA_ARGS__); return AVERROR(EINVAL); } while (0)

/* A decimal number without sign or exponent; returns the end or NULL. */
static const char *parse_decimal(const char *s, double *v)
{
    const char *p = s;
    double whole = 0, frac = 0, scale = 1;
    int digits = 0;

    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            scale /= 10;
            frac += (*p++ - '0') * scale;
            digits++;
        }
    }
    if (!digits)
        return NULL;
    *v = whole + frac;
    return p;
}

int conf_parse_duration(const char *text, int64_t *us, char *err, size_t err_size)
{
    const char *p = text;
    double total = 0;
    int parts = 0;
    int last_rank = 4;   /* h=3, m=2, s=1, ms=0: units must descend */

    if (!text || !*text)
        FAIL("empty duration (write e.g. 2s, 500ms, 1h30m)");
    while (*p) {
        double v;
        int rank;
        double unit;
        const char *q = parse_decimal(p, &v);
        if (!q)
            FAIL("'%s' is not a duration (write e.g. 2s, 500ms, 1h30m)", text);
        p = q;
        if (!strncmp(p, "ms", 2)) {
            rank = 0; unit = 1e3; p += 2;
        } else if (*p == 's') {
            rank = 1; unit = 1e6; p++;
        } else if (*p == 'm') {
            rank = 2; unit = 60e6; p++;
        } else if (*p == 'h') {
            rank = 3; unit = 3600e6; p++;
        } else if (*p == 0 && parts == 0) {
            rank = 1; unit = 1e6;       /* a bare number is seconds */
        } else {
            FAIL("'%s' is not a duration: unknown unit at '%s' (use ms, s, m, h)", text, p);
        }
        if (rank >= last_rank)
            FAIL("'%s' is not a duration: units must go from largest to smallest", text);
        last_rank = rank;
        total += v * unit;
        parts++;
    }
    if (total > 1e6 * 3600 * 24 * 366 * 100.0)
        FAIL("'%s' is too long", text);
    *us = llround(total);
    if (*us <= 0)
        FAIL("duration must be more than zero, got '%s'", text);
    return 0;
}

int conf_parse_bitrate(const char *text, int64_t *bps, char *err, size_t err_size)
{
    double v, mult = 1;
    const char *p;

    if (!text || !*text)
        FAIL("empty bitrate (write e.g. 800k, 5M)");
    p = parse_decimal(text, &v);
    if (!p)
        FAIL("'%s' is not a bitrate (write e.g. 800k, 5M)", text);
    if (*p == 'k' || *p == 'K')
        mult = 1e3, p++;
    else if (*p == 'M' || *p == 'm')
        mult = 1e6, p++;
    else if (*p == 'G' || *p == 'g')
        mult = 1e9, p++;
    if (*p)
        FAIL("'%s' is not a bitrate: unexpected '%s' (write e.g. 800k, 5M)", text, p);
    v *= mult;
    if (v < 1000)
        FAIL("bitrate '%s' is too low (at least 1k)", text);
    if (v > 1e9)
        FAIL("bitrate '%s' is too high (at most 1000M)", text);
    *bps = llround(v);
    return 0;
}

static int parse_dim(const char **p, int *v)
{
    long n = 0;
    int digits = 0;
    while (isdigit((unsigned char)**p) && digits < 6) {
        n = n * 10 + (*(*p)++ - '0');
        digits++;
    }
    *v = (int)n;
    return digits > 0 && !isdigit((unsigned char)**p);
}

int conf_parse_rung(const char *text, Rung *rung, char *err, size_t err_size)
{
    const char *p = text;
    int w, h;

    memset(rung, 0, sizeof(*rung));
    for (size_t i = 0; i < sizeof(named_rungs) / sizeof(named_rungs[0]); i++) {
        if (!strcmp(text, named_rungs[i].name)) {
            *rung = named_rungs[i];
            return 0;
        }
    }
    if (!*text)
        FAIL("empty rung (write e.g. 720p or 960x540@2000k)");
    if (!parse_dim(&p, &w) || (*p != 'x' && *p != 'X'))
        FAIL("'%s' is not a rung: use a name (1080p, 720p, 480p, 360p, 240p) or WxH@BITRATE", text);
    p++;
    if (!parse_dim(&p, &h))
        FAIL("'%s' is not a rung: height missing after 'x'", text);
    if (w < 16 || h < 16 || w > 8192 || h > 8192)
        FAIL("'%s': width and height must be between 16 and 8192", text);
    if (w % 2 || h % 2)
        FAIL("'%s': width and height must be even", text);
    rung->width = w;
    rung->height = h;
    if (*p == '@') {
        char sub[128];
        int ret = conf_parse_bitrate(p + 1, &rung->bitrate, sub, sizeof(sub));
        if (ret < 0)
            FAIL("'%s': %s", text, sub);
    } else if (*p == 0) {
        /* bitrate of the named rung nearest in height */
        const Rung *best = &named_rungs[0];
        for (size_t i = 1; i < sizeof(named_rungs) / sizeof(named_rungs[0]); i++)
            if (abs(named_rungs[i].height - h) < abs(best->height - h))
                best = &named_rungs[i];
        rung->bitrate = best->bitrate;
    } else {
        FAIL("'%s' is not a rung: unexpected '%s' (write WxH@BITRATE)", text, p);
    }
    snprintf(rung->name, sizeof(rung->name), "%dx%d", w, h);
    return 0;
}

int conf_parse_ladder(const char *text, Rung *rungs, int *count, char *err, size_t err_size)
{
    char item[128];
    const char *p = text;
    int n = 0;

    *count = 0;
    if (!text || !*text)
        FAIL("empty ladder (write e.g. 720p,480p,360p)");
    while (1) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char sub[200];
        int ret;

        while (len && isspace((unsigned char)*p))
            p++, len--;
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == 0)
            FAIL("empty rung in '%s'", text);
        if (len >= sizeof(item))
            FAIL("rung '%.20s...' is too long", p);
        if (n == LADDER_MAX)
            FAIL("too many rungs (at most %d)", LADDER_MAX);
        memcpy(item, p, len);
        item[len] = 0;
        ret = conf_parse_rung(item, &rungs[n], sub, sizeof(sub));
        if (ret < 0)
            FAIL("%s", sub);
        for (int i = 0; i < n; i++)
            if (!strcmp(rungs[i].name, rungs[n].name))
                FAIL("rung '%s' is listed twice", rungs[n].name);
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    *count = n;
    return 0;
}
