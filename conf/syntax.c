/*
 * Scalars: what a single value written in the file means. The pure parsers
 * of each kind (sizes, bools, frame rates, colours, listen addresses, URLs,
 * `at` times, "did you mean"), then conf_parse_text, which reads a value as one
 * option of the tables reads it, with its range; defaults go through it
 * too. Apart from the walk (load.c) because none of it looks at the YAML
 * document: a scalar in, a value or a message out.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

const FrameRate conf_frame_rates[] = {
    { { 24000, 1001 }, "23.976" }, { { 24, 1 }, "24" }, { { 25, 1 }, "25" },
    { { 30000, 1001 }, "29.97" }, { { 30, 1 }, "30" }, { { 50, 1 }, "50" },
    { { 60000, 1001 }, "59.94" }, { { 60, 1 }, "60" },
};

static const struct {
    const char *name;
    uint32_t rgb;
} color_names[] = {
    { "black", 0x000000 }, { "white", 0xffffff }, { "red", 0xff0000 }, { "green", 0x008000 },
    { "blue", 0x0000ff }, { "yellow", 0xffff00 }, { "cyan", 0x00ffff },
    { "magenta", 0xff00ff }, { "gray", 0x808080 }, { "grey", 0x808080 },
};

/* Optimal string alignment distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    int d[3][65];
    int *prev2 = d[0], *prev = d[1], *cur = d[2];

    if (la > 64 || lb > 64)
        return 99;
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        int *t;
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The nearest of names to s when it is near enough to be a typo, else NULL. */
const char *conf_nearest(const char *s, const char *const *names, int count)
{
    const char *best = NULL;
    int best_d = 99;

    for (int i = 0; i < count; i++) {
        int d = edit_distance(s, names[i]);
        if (d < best_d || (d == best_d && best && strcmp(names[i], best) < 0)) {
            best_d = d;
            best = names[i];
        }
        if (!strcasecmp(s, names[i]))
            return names[i];
    }
    if (best && best_d <= (strlen(best) <= 4 ? 1 : 2))
        return best;
    return NULL;
}

void conf_fmt_bitrate(char *buf, size_t size, double bps)
{
    if (bps >= 1e6 && fmod(bps, 1e6) == 0)
        snprintf(buf, size, "%.0fM", bps / 1e6);
    else if (fmod(bps, 1e3) == 0)
        snprintf(buf, size, "%.0fk", bps / 1e3);
    else
        snprintf(buf, size, "%.0f", bps);
}

static int parse_int(const char *s, long long *v)
{
    const char *p = s;
    long long n = 0;
    int neg = 0, digits = 0;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    while (*p >= '0' && *p <= '9') {
        if (++digits > 12)
            return -1;
        n = n * 10 + (*p++ - '0');
    }
    if (!digits || *p)
        return -1;
    *v = neg ? -n : n;
    return 0;
}

/* "512M", "2G", "1.5GiB", "100MB", "4096": bytes, k/M/G/T as powers of 1024. */
static int parse_size(const char *s, int64_t *v)
{
    static const char units[] = "kmgt";
    char *end;
    double n, mult = 1;
    const char *u;

    if (!(*s >= '0' && *s <= '9'))
        return -1;
    n = strtod(s, &end);
    if (end == s || !isfinite(n))
        return -1;
    if (*end && (u = strchr(units, *end | 0x20))) {
        for (const char *k = units; k <= u; k++)
            mult *= 1024;
        end++;
        if (*end == 'i')
            end++;
    }
    if (*end == 'B')
        end++;
    if (*end || n * mult > 9e18)
        return -1;
    *v = (int64_t)(n * mult);
    return 0;
}

void conf_fmt_size(char *buf, size_t size, double bytes)
{
    static const char *const units[] = { "", "K", "M", "G", "T" };
    int i = 0;
    while (i < 4 && bytes >= 1024 && fmod(bytes, 1024) == 0) {
        bytes /= 1024;
        i++;
    }
    snprintf(buf, size, "%.0f%s", bytes, units[i]);
}

/* "0", "0s", "0.0s", "0ms": what conf_parse_duration refuses, where zero makes sense. */
static int is_zero_duration(const char *s)
{
    size_t n = strspn(s, "0.");
    if (!n || !memchr(s, '0', n))
        return 0;
    s += n;
    return !*s || !strcmp(s, "s") || !strcmp(s, "ms") || !strcmp(s, "m") || !strcmp(s, "h");
}

static int parse_bool(const char *s, int *v)
{
    static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) {
            *v = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *v = 0;
            return 0;
        }
    }
    return -1;
}

int conf_match_chars(const char *s, const char *extra, int lower_only)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            (!lower_only && ch >= 'A' && ch <= 'Z') || (ch && strchr(extra, ch)))
            continue;
        return 0;
    }
    return 1;
}

static int parse_fps(const char *s, AVRational *q)
{
    const char *slash = strchr(s, '/');
    const size_t n = sizeof(conf_frame_rates) / sizeof(conf_frame_rates[0]);

    if (slash) {
        long long num, den;
        char a[24];
        size_t len = (size_t)(slash - s);
        if (len == 0 || len >= sizeof(a))
            return -1;
        memcpy(a, s, len);
        a[len] = 0;
        if (parse_int(a, &num) < 0 || parse_int(slash + 1, &den) < 0 || num <= 0 || den <= 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (num * conf_frame_rates[i].q.den == den * conf_frame_rates[i].q.num) {
                *q = conf_frame_rates[i].q;
                return 0;
            }
        }
        return -1;
    } else {
        char *end;
        double v;
        if (!(*s >= '0' && *s <= '9'))
            return -1;
        v = strtod(s, &end);
        if (*end || !isfinite(v))
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (fabs(v - av_q2d(conf_frame_rates[i].q)) < 0.006) {
                *q = conf_frame_rates[i].q;
                return 0;
            }
        }
        return -1;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int parse_color(const char *s, uint32_t *rgb)
{
    size_t len = strlen(s);
    uint32_t v = 0;

    for (size_t i = 0; i < sizeof(color_names) / sizeof(color_names[0]); i++) {
        if (!strcasecmp(s, color_names[i].name)) {
            *rgb = color_names[i].rgb;
            return 0;
        }
    }
    if (s[0] != '#' || (len != 4 && len != 7))
        return -1;
    for (size_t i = 1; i < len; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (uint32_t)h;
        if (len == 4)
            v = v << 4 | (uint32_t)h;     /* #abc = #aabbcc */
    }
    *rgb = v;
    return 0;
}

/* The one parser's forms, with a port from 1: who pulls from a channel must
 * know where, so the free port the server would pick for 0 will not do. */
static int valid_listen(const char *s, char *err, size_t err_size)
{
    ListenAddr a;
    int ret = listen_parse(s, &a, err, err_size);

    if (ret == AVERROR(ERANGE) || (ret >= 0 && a.port == 0)) {
        snprintf(err, err_size, "'%s': the port must be a number from 1 to 65535", s);
        return -1;
    }
    return ret < 0 ? -1 : 0;
}

int conf_valid_url(const char *s, const char *const *schemes, char *err, size_t err_size)
{
    const char *sep = strstr(s, "://");
    char scheme[16], list[160];
    size_t len;

    choice_list(schemes, list, sizeof(list));
    if (!sep || sep == s || (size_t)(sep - s) >= sizeof(scheme) || !sep[3]) {
        snprintf(err, err_size, "'%s' is not a URL (write SCHEME://..., with SCHEME one of %s)",
                 s, list);
        return -1;
    }
    len = (size_t)(sep - s);
    for (size_t i = 0; i < len; i++)
        scheme[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    scheme[len] = 0;
    if (choice_index(schemes, scheme) < 0) {
        snprintf(err, err_size, "'%s': unknown scheme '%s' (use one of %s)", s, scheme, list);
        return -1;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            snprintf(err, err_size, "'%s': a URL cannot contain spaces or control characters "
                     "(encode them as %%20)", s);
            return -1;
        }
    }
    return 0;
}

static int two_digits(const char *p, int *v)
{
    if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
        return -1;
    *v = (p[0] - '0') * 10 + (p[1] - '0');
    return 0;
}

#define AT_HELP "write HH:MM with repeat: daily, or an ISO 8601 date and time with its zone " \
                "such as 2026-11-25T12:00:00Z or 2026-11-25T13:00:00+01:00"

int conf_parse_at(const char *text, enum ConfAtKind *kind, int64_t *at, char *err, size_t err_size)
{
    const char *p = text;
    int y = 0, mo, d, h, mi, s = 0, usec = 0, n;

    /* a time of day: H:MM, HH:MM, HH:MM:SS */
    if (p[0] >= '0' && p[0] <= '9' && (p[1] == ':' || (p[1] >= '0' && p[1] <= '9' && p[2] == ':'))) {
        h = p[0] - '0';
        p++;
        if (*p != ':')
            h = h * 10 + (*p++ - '0');
        p++;
        if (two_digits(p, &mi) < 0)
            goto bad;
        p += 2;
        if (*p == ':') {
            if (two_digits(p + 1, &s) < 0)
                goto bad;
            p += 3;
        }
        if (*p)
            goto bad;
        if (h > 23 || mi > 59 || s > 59) {
            snprintf(err, err_size, "'%s' is not a time of day (00:00 to 23:59:59)", text);
            return AVERROR(EINVAL);
        }
        *kind = CONF_AT_DAILY;
        *at = ((int64_t)h * 3600 + mi * 60 + s) * US;
        return 0;
    }
    /* YYYY-MM-DD[T ]HH:MM[:SS[.frac]] ZONE */
    for (n = 0; n < 4; n++) {
        if (!(p[n] >= '0' && p[n] <= '9'))
            goto bad;
        y = y * 10 + (p[n] - '0');
    }
    p += 4;
    if (*p++ != '-' || two_digits(p, &mo) < 0 || p[2] != '-' || two_digits(p + 3, &d) < 0)
        goto bad;
    p += 5;
    if (!*p) {
        snprintf(err, err_size, "'%s' is a date without a time (%s)", text, AT_HELP);
        return AVERROR(EINVAL);
    }
    if ((*p != 'T' && *p != 't' && *p != ' ') || two_digits(p + 1, &h) < 0 || p[3] != ':' ||
        two_digits(p + 4, &mi) < 0)
        goto bad;
    p += 6;
    if (*p == ':') {
        if (two_digits(p + 1, &s) < 0)
            goto bad;
        p += 3;
        if (*p == '.' || *p == ',') {
            int digits = 0, scale = 100000;
            p++;
            while (*p >= '0' && *p <= '9') {
                if (digits++ < 6) {
                    usec += (*p - '0') * scale;
                    scale /= 10;
                }
                p++;
            }
            if (!digits)
                goto bad;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 ||
        d > (int)(civil_to_days(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1) -
                  civil_to_days(y, mo, 1))) {
        snprintf(err, err_size, "'%s' is not a valid date and time", text);
        return AVERROR(EINVAL);
    }
    {
        int64_t local = (civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * US + usec;
        int off = 0;

        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (two_digits(p, &oh) < 0)
                goto bad;
            p += 2;
            if (*p == ':')
                p++;
            if (*p) {
                if (two_digits(p, &om) < 0)
                    goto bad;
                p += 2;
            }
            if (oh > 14 || om > 59)
                goto bad;
            off = sign * (oh * 3600 + om * 60);
        } else if (!*p) {
            snprintf(err, err_size, "'%s' has no zone: add Z for UTC or an offset such as "
                     "+01:00 (or write HH:MM with repeat: daily for the channel's time zone)", text);
            return AVERROR(EINVAL);
        } else {
            goto bad;
        }
        if (*p)
            goto bad;
        *kind = CONF_AT_ABSOLUTE;
        *at = local - (int64_t)off * US;
        return 0;
    }
bad:
    snprintf(err, err_size, "'%s' is not a time (%s)", text, AT_HELP);
    return AVERROR(EINVAL);
}

/* ---- a value as an option reads it ---- */

int conf_set_string(Ctx *c, char **field, const char *v)
{
    char *s = strdup(v);
    if (!s) {
        c->nomem = 1;
        return AVERROR(ENOMEM);
    }
    free(*field);
    *field = s;
    return 0;
}

static int resolve_path(Ctx *c, const char *path, char **out)
{
    char buf[PATH_MAX_LEN];

    if (!c->base_dir || path[0] == '/')
        return conf_set_string(c, out, path);
    if (path_join(buf, sizeof(buf), c->base_dir, path) < 0)
        return AVERROR(ENAMETOOLONG);
    return conf_set_string(c, out, buf);
}

/*
 * Parses text as option o into field. The same code reads defaults (c may
 * then have no place to report, and defaults never fail) and values; err
 * gets the problem, which the caller prefixes with the key's path.
 */
int conf_parse_text(Ctx *c, const Option *o, const char *text, void *field,
                    char *err, size_t err_size)
{
    char sub[512], lo[32], hi[32];
    long long n;
    int64_t v64;

    switch (o->type) {
    case OT_VERSION:
        if (parse_int(text, &n) < 0) {
            snprintf(err, err_size, "'%s' is not a version number", text);
            return AVERROR(EINVAL);
        }
        if (n != CONF_SCHEMA_VERSION) {
            snprintf(err, err_size, "schema version %lld is not supported: this onair reads "
                     "version %d", n, CONF_SCHEMA_VERSION);
            return AVERROR(EINVAL);
        }
        *(int *)field = (int)n;
        return 0;
    case OT_STRING:
        if (strlen(text) > (size_t)o->max) {
            snprintf(err, err_size, "too long (at most %.0f characters)", o->max);
            return AVERROR(EINVAL);
        }
        return conf_set_string(c, field, text);
    case OT_ID:
        if (!conf_match_chars(text, "-", 1) || strlen(text) > (size_t)o->max) {
            snprintf(err, err_size, "'%s' is not a channel id: use lowercase letters, digits and "
                     "'-' (at most %.0f; the id names URLs, paths and metrics)", text, o->max);
            return AVERROR(EINVAL);
        }
        /* the built-in server's own paths: /player/..., /time */
        if (!strcmp(text, "player") || !strcmp(text, "time")) {
            snprintf(err, err_size, "'%s' cannot be a channel id: the server uses /%s itself", text, text);
            return AVERROR(EINVAL);
        }
        return conf_set_string(c, field, text);
    case OT_RUNG_NAME:
        if (!conf_match_chars(text, "-_.", 0) || strlen(text) >= RUNG_NAME_MAX ||
            !strcmp(text, ".") || !strcmp(text, "..")) {
            snprintf(err, err_size, "'%s' is not a rung name: use letters, digits, '-', '_' and "
                     "'.' (at most %d; it names a folder)", text, RUNG_NAME_MAX - 1);
            return AVERROR(EINVAL);
        }
        snprintf(field, RUNG_NAME_MAX, "%s", text);
        return 0;
    case OT_INT:
        if (parse_int(text, &n) < 0) {
            snprintf(err, err_size, "expected a whole number, got '%s'", text);
            return AVERROR(EINVAL);
        }
        if (o->choices) {
            char list[256];
            char num[24];
            snprintf(num, sizeof(num), "%lld", n);
            if (choice_index(o->choices, num) < 0) {
                choice_list(o->choices, list, sizeof(list));
                snprintf(err, err_size, "%lld is not one of %s", n, list);
                return AVERROR(EINVAL);
            }
        } else if ((o->min != NONE && n < o->min) || (o->max != NONE && n > o->max)) {
            snprintf(err, err_size, "%lld is out of range (%.0f to %.0f)", n, o->min, o->max);
            return AVERROR(EINVAL);
        }
        if ((o->flags & OPT_EVEN) && n % 2) {
            snprintf(err, err_size, "%lld is odd: it must be even (4:2:0 video halves it)", n);
            return AVERROR(EINVAL);
        }
        *(int *)field = (int)n;
        return 0;
    case OT_BOOL:
        if (parse_bool(text, field) < 0) {
            snprintf(err, err_size, "expected true or false, got '%s'", text);
            return AVERROR(EINVAL);
        }
        return 0;
    case OT_LOUDNESS: {
        char *end;
        double v = strtod(text, &end);
        if (end == text || !isfinite(v)) {
            snprintf(err, err_size, "expected a loudness in LUFS such as -23, got '%s'", text);
            return AVERROR(EINVAL);
        }
        while (*end == ' ')
            end++;
        if (*end && strcmp(end, "LUFS")) {
            snprintf(err, err_size, "expected a loudness in LUFS such as -23, got '%s'", text);
            return AVERROR(EINVAL);
        }
        if (v < o->min || v > o->max) {
            snprintf(err, err_size, "%g LUFS is out of range (%.0f to %.0f)", v, o->min, o->max);
            return AVERROR(EINVAL);
        }
        *(double *)field = v;
        return 0;
    }
    case OT_DURATION:
        if ((o->flags & OPT_ZERO) && is_zero_duration(text)) {
            *(int64_t *)field = 0;
            return 0;
        }
        if (conf_parse_duration(text, &v64, sub, sizeof(sub)) < 0) {
            snprintf(err, err_size, "%s", sub);
            return AVERROR(EINVAL);
        }
        if ((o->min != NONE && v64 < o->min) || (o->max != NONE && v64 > o->max)) {
            format_duration(lo, sizeof(lo), (int64_t)o->min);
            format_duration(hi, sizeof(hi), (int64_t)o->max);
            snprintf(err, err_size, "%s is out of range (%s to %s)", text, lo, hi);
            return AVERROR(EINVAL);
        }
        *(int64_t *)field = v64;
        return 0;
    case OT_SIZE:
        if (parse_size(text, &v64) < 0) {
            snprintf(err, err_size, "'%s' is not a size (write 512M, 2G; K, M, G, T are powers "
                     "of 1024)", text);
            return AVERROR(EINVAL);
        }
        if ((o->min != NONE && v64 < o->min) || (o->max != NONE && v64 > o->max)) {
            conf_fmt_size(lo, sizeof(lo), o->min);
            conf_fmt_size(hi, sizeof(hi), o->max);
            snprintf(err, err_size, "%s is out of range (%s to %s)", text, lo, hi);
            return AVERROR(EINVAL);
        }
        *(int64_t *)field = v64;
        return 0;
    case OT_BITRATE:
        if (conf_parse_bitrate(text, &v64, sub, sizeof(sub)) < 0) {
            snprintf(err, err_size, "%s", sub);
            return AVERROR(EINVAL);
        }
        if ((o->min != NONE && v64 < o->min) || (o->max != NONE && v64 > o->max)) {
            conf_fmt_bitrate(lo, sizeof(lo), o->min);
            conf_fmt_bitrate(hi, sizeof(hi), o->max);
            snprintf(err, err_size, "%s is out of range (%s to %s)", text, lo, hi);
            return AVERROR(EINVAL);
        }
        *(int64_t *)field = v64;
        return 0;
    case OT_ENUM: {
        int i = choice_index(o->choices, text);
        if (i < 0) {
            const char *near;
            int nc = 0;
            while (o->choices[nc])
                nc++;
            near = conf_nearest(text, o->choices, nc);
            choice_list(o->choices, sub, sizeof(sub));
            snprintf(err, err_size, "unknown value '%s'%s%s%s (one of %s)", text,
                     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", sub);
            return AVERROR(EINVAL);
        }
        if (!(o->flags & OPT_NOSTORE))
            *(const char **)field = o->choices[i];
        return 0;
    }
    case OT_FPS:
        if (parse_fps(text, field) < 0) {
            snprintf(err, err_size, "'%s' is not a supported frame rate (23.976, 24, 25, 29.97, "
                     "30, 50, 59.94, 60; or as a fraction, 30000/1001)", text);
            return AVERROR(EINVAL);
        }
        return 0;
    case OT_COLOR:
        if (parse_color(text, field) < 0) {
            snprintf(err, err_size, "'%s' is not a colour (write \"#RRGGBB\" in quotes, or a "
                     "name: black, white, red, green, blue, yellow, cyan, magenta, gray)", text);
            return AVERROR(EINVAL);
        }
        return 0;
    case OT_FILE:
    case OT_DIR: {
        int ret;
        struct stat st;
        if (!*text) {
            snprintf(err, err_size, "empty path");
            return AVERROR(EINVAL);
        }
        if (strlen(text) >= PATH_MAX_LEN) {
            snprintf(err, err_size, "path too long");
            return AVERROR(EINVAL);
        }
        if ((ret = resolve_path(c, text, field)) < 0) {
            snprintf(err, err_size, "path '%s' is too long", text);
            return ret;
        }
        if (o->type == OT_DIR || !c->base_dir)
            return 0;
        if (stat(*(char **)field, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                snprintf(err, err_size, "'%s' does not exist (looked for %s)", text, *(char **)field);
            else
                snprintf(err, err_size, "'%s': %s", text, strerror(errno));
            return AVERROR(EINVAL);
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, err_size, "'%s' is a folder, not a file", text);
            return AVERROR(EINVAL);
        }
        if (access(*(char **)field, R_OK) < 0) {
            snprintf(err, err_size, "'%s' cannot be read: %s", text, strerror(errno));
            return AVERROR(EINVAL);
        }
        return 0;
    }
    case OT_URL:
        if (conf_valid_url(text, o->choices, err, err_size) < 0)
            return AVERROR(EINVAL);
        if ((o->flags & OPT_BASE_URL) && strpbrk(text, "?#")) {
            snprintf(err, err_size, "'%s': a base URL cannot have a query or fragment (paths of "
                     "the output tree are appended to it)", text);
            return AVERROR(EINVAL);
        }
        if ((o->flags & OPT_BASE_URL) && text[strlen(text) - 1] != '/') {
            /* a base URL: the output tree's paths are appended to it */
            int ret;
            size_t len = strlen(text);
            char *s = malloc(len + 2);
            if (!s) {
                c->nomem = 1;
                return AVERROR(ENOMEM);
            }
            memcpy(s, text, len);
            memcpy(s + len, "/", 2);
            ret = conf_set_string(c, field, s);
            free(s);
            return ret;
        }
        return conf_set_string(c, field, text);
    case OT_BACKUP:
        if (!*text) {
            snprintf(err, err_size, "empty: give a URL or a source's name");
            return AVERROR(EINVAL);
        }
        return conf_set_string(c, field, text);
    case OT_LISTEN:
        if (valid_listen(text, err, err_size) < 0)
            return AVERROR(EINVAL);
        return conf_set_string(c, field, text);
    case OT_ENV:
        if (!conf_match_chars(text, "_", 0) || (text[0] >= '0' && text[0] <= '9') ||
            strlen(text) > 128) {
            snprintf(err, err_size, "'%s' is not an environment variable name (letters, digits "
                     "and '_'; the token itself never goes in the file)", text);
            return AVERROR(EINVAL);
        }
        return conf_set_string(c, field, text);
    case OT_TIMEZONE: {
        Tz *tz = NULL;
        int ret = tz_load(&tz, text, err, err_size);
        if (ret == AVERROR(ENOMEM))
            c->nomem = 1;
        if (ret < 0)
            return ret;
        tz_free(&c->conf->tz);
        c->conf->tz = tz;
        return conf_set_string(c, field, text);
    }
    case OT_AT: {
        ConfItem *it = (ConfItem *)((char *)field - offsetof(ConfItem, at));
        return conf_parse_at(text, &it->at_kind, &it->at, err, err_size);
    }
    case OT_SOURCE_REF: {
        const ChannelConf *conf = c->conf;
        const char *names[MAX_SOURCES];
        const char *near;

        for (int i = 0; i < conf->nb_sources; i++) {
            names[i] = conf->sources[i].name;
            if (names[i] && !strcmp(names[i], text)) {
                *(int *)field = i;
                return 0;
            }
        }
        if (c->sources_bad && !conf->nb_sources) {
            /* the sources are in error already; one message is enough */
            snprintf(err, err_size, "%s", "");
            return AVERROR(EINVAL);
        }
        near = conf_nearest(text, names, conf->nb_sources);
        if (near) {
            snprintf(err, err_size, "source '%s' is not defined (did you mean '%s'?)", text, near);
        } else {
            size_t len = 0;
            sub[0] = 0;
            for (int i = 0; i < conf->nb_sources && len < sizeof(sub); i++)
                len += (size_t)snprintf(sub + len, sizeof(sub) - len, "%s%s", i ? ", " : "",
                                        names[i]);
            snprintf(err, err_size, "source '%s' is not defined under sources%s%s%s", text,
                     conf->nb_sources ? " (" : "", sub, conf->nb_sources ? ")" : "");
        }
        return AVERROR(EINVAL);
    }
    default:
        snprintf(err, err_size, "internal: option type %d is not a scalar", (int)o->type);
        return AVERROR_BUG;
    }
}
