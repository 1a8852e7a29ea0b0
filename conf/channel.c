/*
 * The channel loader: a YAML document (libyaml's document API) walked
 * against declarative option tables.
 *
 * Each section of the schema is one table of options (key, type, offset
 * into the section's struct, default, range, help). The same tables apply
 * the defaults, parse and range-check what was written, free what was
 * allocated, and print the reference (conf_reference_markdown), so a key
 * exists in exactly one place. What a single option cannot judge alone (one
 * of generate/file/url, an `at` with its `repeat`, a rung against the
 * canvas, a source that is not defined, colliding `at`s) is a section's
 * check function, which runs with the places of every key at hand.
 *
 * Sections are processed in table order, not file order, so that what a key
 * refers to (the canvas for the ladder, the sources for the schedule) is
 * already known; the messages are sorted by place at the end. The walk goes
 * no deeper than the schema, so aliases (even cyclic ones) cannot make it
 * loop or blow up.
 */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include <libavutil/common.h>
#include <libavutil/error.h>
#include <libavutil/macros.h>

#define MAX_MESSAGES 100
#define MAX_SOURCES 256
#define MAX_ITEMS 10000
#define MAX_OPTS 16
#define MAX_FILE (1 << 20)
#define STRING_MAX 4096
#define PATH_MAX_LEN 4096

#define US 1000000LL
#define NONE (-1.0)

typedef struct Mark {
    int line, col;
} Mark;

typedef enum OptType {
    OT_VERSION,     /* int, must be CONF_SCHEMA_VERSION */
    OT_STRING,      /* char *; max = longest */
    OT_ID,          /* char *, [a-z0-9-]+ */
    OT_RUNG_NAME,   /* char[RUNG_NAME_MAX] */
    OT_INT,         /* int; min..max or choices; OPT_EVEN */
    OT_BOOL,        /* int */
    OT_LOUDNESS,    /* double LUFS */
    OT_DURATION,    /* int64_t µs; OPT_ZERO allows 0 */
    OT_BITRATE,     /* int64_t bps */
    OT_ENUM,        /* const char * into choices */
    OT_FPS,         /* AVRational */
    OT_COLOR,       /* uint32_t 0xRRGGBB */
    OT_FILE,        /* char *, an existing file, resolved */
    OT_DIR,         /* char *, resolved, need not exist */
    OT_URL,         /* char *, scheme one of choices */
    OT_BACKUP,      /* char *, a URL or a source's name (checked once all are known) */
    OT_LISTEN,      /* char *, HOST:PORT */
    OT_ENV,         /* char *, an environment variable's name */
    OT_TIMEZONE,    /* char *, and loads ChannelConf.tz */
    OT_AT,          /* ConfItem.at_kind + at */
    OT_SOURCE_REF,  /* int, index of a source */
    OT_FORMATS,     /* unsigned ConfFormat bits */
    OT_SECTION,     /* a nested struct at offset, sub */
    OT_LADDER,      /* ChannelConf.ladder / nb_rungs, elements per sub */
    OT_SOURCES,     /* ChannelConf.sources / nb_sources, elements per sub */
    OT_ITEMS,       /* ConfSchedule.items / nb_items, elements per sub */
    OT_SIZE,        /* int64_t bytes: 512M, 2G (powers of 1024) */
    OT_HEADERS,     /* ConfHeaders: a mapping Name: value, or a list of "Name: value" */
    OT_PUSH,        /* ConfOutput.push / nb_push: one mapping, or a list of them, per sub */
} OptType;

enum {
    OPT_REQUIRED = 1 << 0,
    OPT_EVEN     = 1 << 1,
    OPT_ZERO     = 1 << 2,   /* a duration of 0 is allowed */
    OPT_NOSTORE  = 1 << 3,   /* checked, then read by the section's check */
};

typedef struct Ctx Ctx;
typedef struct Section Section;
typedef struct SectionState SectionState;

typedef struct Option {
    const char *key;
    OptType type;
    size_t offset;
    const char *def;              /* default, as a user would write it; NULL: none */
    double min, max;              /* range (µs for durations, bps for bitrates); NONE: unbounded */
    const char *const *choices;   /* NULL-terminated */
    const Section *sub;
    unsigned flags;
    const char *help;
} Option;

struct Section {
    const char *ref_path;         /* the keys' prefix in the reference */
    const Option *options;        /* up to a NULL key */
    /* cross-key checks, once every option of the section is parsed */
    void (*check)(Ctx *c, void *base, SectionState *st);
};

struct SectionState {
    const Section *sec;
    char path[200];               /* for messages: "video", "schedule.items[3]" */
    Mark where;                   /* the section's own place */
    Mark key[MAX_OPTS], val[MAX_OPTS];
    yaml_node_t *node[MAX_OPTS];  /* the value, NULL when not given */
    unsigned given, bad;
};

struct Ctx {
    yaml_document_t *doc;
    ChannelConf *conf;
    ConfReport *report;
    const char *base_dir;         /* NULL: no file system checks */
    int nomem;
    int video_bad;                /* the canvas could not be read */
    int sources_bad;
    int overflow;                 /* MAX_MESSAGES reached */
    SectionState *source_st;      /* per source, for the checks after all are parsed */
    SectionState *item_st;        /* per item */
    Mark part;                    /* where output.low_latency.part is */
    Mark fps;                     /* where video.fps is; 0:0 when not given */
};

/* ---- messages ---- */

static void __attribute__((format(printf, 4, 0)))
add_message(Ctx *c, enum ConfSeverity sev, Mark m, const char *fmt, va_list ap)
{
    ConfReport *r = c->report;
    char text[1024];
    ConfMessage *msgs;

    if (sev == CONF_ERROR)
        r->errors++;
    else
        r->warnings++;
    if (r->count >= MAX_MESSAGES) {
        c->overflow = 1;
        return;
    }
    vsnprintf(text, sizeof(text), fmt, ap);
    msgs = realloc(r->messages, sizeof(*msgs) * (r->count + 1));
    if (!msgs) {
        c->nomem = 1;
        return;
    }
    r->messages = msgs;
    msgs[r->count].severity = sev;
    msgs[r->count].line = m.line;
    msgs[r->count].column = m.col;
    msgs[r->count].text = strdup(text);
    if (!msgs[r->count].text) {
        c->nomem = 1;
        return;
    }
    r->count++;
}

static void __attribute__((format(printf, 3, 4))) fail_at(Ctx *c, Mark m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_message(c, CONF_ERROR, m, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) warn_at(Ctx *c, Mark m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_message(c, CONF_WARNING, m, fmt, ap);
    va_end(ap);
}

void conf_report_clear(ConfReport *r)
{
    for (int i = 0; i < r->count; i++)
        free(r->messages[i].text);
    free(r->messages);
    free(r->file);
    memset(r, 0, sizeof(*r));
}

void conf_message_format(const ConfReport *r, const ConfMessage *m, char *buf, size_t size)
{
    const char *sev = m->severity == CONF_ERROR ? "error" : "warning";
    const char *file = r->file ? r->file : "<config>";

    if (m->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s: %s", file, m->line, m->column, sev, m->text);
    else
        snprintf(buf, size, "%s: %s: %s", file, sev, m->text);
}

/* In place, stable: the messages in file order, like a compiler's. */
static void sort_messages(ConfReport *r)
{
    for (int i = 1; i < r->count; i++) {
        ConfMessage m = r->messages[i];
        int j = i;
        while (j > 0 && (r->messages[j - 1].line > m.line ||
                         (r->messages[j - 1].line == m.line && r->messages[j - 1].column > m.column))) {
            r->messages[j] = r->messages[j - 1];
            j--;
        }
        r->messages[j] = m;
    }
}

/* ---- nodes ---- */

static Mark mark_of(const yaml_node_t *n)
{
    return (Mark){ (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
}

static yaml_node_t *node_at(Ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

static int is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "a single value";
    }
}

/* "section.key" into buf, cut to fit (paths are for messages only). */
static void key_path(char *buf, size_t size, const SectionState *st, const char *key)
{
    size_t n = 0;
    for (const char *p = st->path; *p && n + 1 < size; p++)
        buf[n++] = *p;
    if (st->path[0] && n + 1 < size)
        buf[n++] = '.';
    for (const char *p = key; *p && n + 1 < size; p++)
        buf[n++] = *p;
    buf[n] = 0;
}

/* ---- scalar syntax ---- */

static const char *const backends[] = { "auto", "x264", "nvenc", "vaapi", "qsv", NULL };
static const char *const fallbacks[] = { "x264", "none", NULL };
static const char *const generators[] = { "testsrc", "color", "slate", NULL };
static const char *const repeats[] = { "daily", NULL };
static const char *const source_schemes[] = {
    "srt", "udp", "rtp", "rtmp", "rtmps", "rtsp", "http", "https", "tcp", NULL,
};
static const char *const push_schemes[] = { "http", "https", NULL };
static const char *const sample_rates[] = {
    "8000", "11025", "12000", "16000", "22050", "24000", "32000", "44100", "48000", "64000",
    "88200", "96000", NULL,
};

static const struct {
    AVRational q;
    const char *text;
} frame_rates[] = {
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

static int choice_index(const char *const *choices, const char *s)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(choices[i], s))
            return i;
    return -1;
}

static void join_choices(char *buf, size_t size, const char *const *choices)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; choices[i] && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", choices[i]);
}

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
static const char *nearest(const char *s, const char *const *names, int count)
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

static void fmt_bitrate(char *buf, size_t size, double bps)
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

/* "0", "0s", "0.0s", "0ms": what conf_parse_duration refuses, where zero makes sense. */
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

static void fmt_size(char *buf, size_t size, double bytes)
{
    static const char *const units[] = { "", "K", "M", "G", "T" };
    int i = 0;
    while (i < 4 && bytes >= 1024 && fmod(bytes, 1024) == 0) {
        bytes /= 1024;
        i++;
    }
    snprintf(buf, size, "%.0f%s", bytes, units[i]);
}

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

static int match_chars(const char *s, const char *extra, int lower_only)
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
    const size_t n = sizeof(frame_rates) / sizeof(frame_rates[0]);

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
            if (num * frame_rates[i].q.den == den * frame_rates[i].q.num) {
                *q = frame_rates[i].q;
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
            if (fabs(v - av_q2d(frame_rates[i].q)) < 0.006) {
                *q = frame_rates[i].q;
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

static int valid_url(const char *s, const char *const *schemes, char *err, size_t err_size)
{
    const char *sep = strstr(s, "://");
    char scheme[16], list[160];
    size_t len;

    join_choices(list, sizeof(list), schemes);
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

/* ---- option tables ---- */

#define F(type, field) offsetof(type, field)

static void check_video(Ctx *c, void *base, SectionState *st);
static void check_rung(Ctx *c, void *base, SectionState *st);
static void check_source(Ctx *c, void *base, SectionState *st);
static void check_item(Ctx *c, void *base, SectionState *st);
static void check_low_latency(Ctx *c, void *base, SectionState *st);
static void check_serve(Ctx *c, void *base, SectionState *st);
static void check_output(Ctx *c, void *base, SectionState *st);
static void check_push(Ctx *c, void *base, SectionState *st);
static void check_channel(Ctx *c, void *base, SectionState *st);

static const Option video_opts[] = {
    { "width", OT_INT, F(ConfVideo, width), "1280", 16, 8192, NULL, NULL, OPT_EVEN,
      "width of the program canvas in pixels; every source is fitted to it" },
    { "height", OT_INT, F(ConfVideo, height), "720", 16, 8192, NULL, NULL, OPT_EVEN,
      "height of the program canvas in pixels" },
    { "fps", OT_FPS, F(ConfVideo, fps), "30", NONE, NONE, NULL, NULL, 0,
      "frame rate of the output clock; sources are converted to it" },
    { .key = NULL },
};
static const Section video_sec = { "video", video_opts, check_video };

static const Option audio_opts[] = {
    { "sample_rate", OT_INT, F(ConfAudio, sample_rate), "48000", NONE, NONE, sample_rates, NULL, 0,
      "output sample rate in Hz" },
    { "channels", OT_INT, F(ConfAudio, channels), "2", 1, 2, NULL, NULL, 0,
      "1 (mono) or 2 (stereo)" },
    { "bitrate", OT_BITRATE, F(ConfAudio, bitrate), "128k", 16e3, 512e3, NULL, NULL, 0,
      "AAC-LC bitrate" },
    { "loudness", OT_LOUDNESS, F(ConfAudio, loudness), NULL, -70, -5, NULL, NULL, 0,
      "EBU R128 target in LUFS (e.g. -23); not given: audio is not normalised" },
    { .key = NULL },
};
static const Section audio_sec = { "audio", audio_opts, NULL };

static const Option rung_opts[] = {
    { "name", OT_RUNG_NAME, F(Rung, name), NULL, NONE, NONE, NULL, NULL, 0,
      "folder and playlist name of the rung; default WIDTHxHEIGHT. A list item may also be a "
      "string: 720p, 480p, 360p, 240p, 1080p or WxH@BITRATE" },
    { "width", OT_INT, F(Rung, width), NULL, 16, 8192, NULL, NULL, OPT_REQUIRED | OPT_EVEN,
      "width of the rung's box; at most video.width" },
    { "height", OT_INT, F(Rung, height), NULL, 16, 8192, NULL, NULL, OPT_REQUIRED | OPT_EVEN,
      "height of the rung's box; at most video.height" },
    { "bitrate", OT_BITRATE, F(Rung, bitrate), NULL, 50e3, 100e6, NULL, NULL, OPT_REQUIRED,
      "video bitrate of the rung" },
    { .key = NULL },
};
static const Section rung_sec = { "ladder[]", rung_opts, check_rung };

static const Option encoder_opts[] = {
    { "backend", OT_ENUM, F(ConfEncoder, backend), "auto", NONE, NONE, backends, NULL, 0,
      "encode backend; auto takes the first usable hardware encoder, else x264" },
    { "fallback", OT_ENUM, F(ConfEncoder, fallback), "x264", NONE, NONE, fallbacks, NULL, 0,
      "what a failing hardware backend falls back to (with a warning); none: the channel fails" },
    { "preset", OT_ENUM, F(ConfEncoder, preset), PRESET_DEFAULT, NONE, NONE, preset_names, NULL, 0,
      "x264 preset, mapped onto hardware encoders' presets" },
    { .key = NULL },
};
static const Section encoder_sec = { "encoder", encoder_opts, NULL };

static const Option slate_opts[] = {
    { "text", OT_STRING, F(ConfSlate, text), "We'll be right back", 0, 256, NULL, NULL, 0,
      "text centred on the slate; \"\" for none" },
    { "color", OT_COLOR, F(ConfSlate, color), "#1d2b53", NONE, NONE, NULL, NULL, 0,
      "background colour: \"#RRGGBB\" (quoted: an unquoted # starts a YAML comment), \"#RGB\" "
      "or black, white, red, green, blue, yellow, cyan, magenta, gray" },
    { "image", OT_FILE, F(ConfSlate, image), NULL, NONE, NONE, NULL, NULL, 0,
      "a picture shown instead of the colour and text, fitted to the canvas" },
    { .key = NULL },
};
static const Section slate_sec = { "slate", slate_opts, NULL };

static const Option source_opts[] = {
    { "generate", OT_ENUM, F(ConfSource, generate), NULL, NONE, NONE, generators, NULL, 0,
      "a built-in source: testsrc (pattern, wall clock, tone), color (the slate colour), slate" },
    { "file", OT_FILE, F(ConfSource, file), NULL, NONE, NONE, NULL, NULL, 0,
      "a media file, paced at real time; relative to the config's folder; must exist" },
    { "url", OT_URL, F(ConfSource, url), NULL, NONE, NONE, source_schemes, NULL, 0,
      "a live input: srt:// (listener or caller), udp://, rtp://, rtmp://, rtsp://, "
      "http(s):// (HLS pull); reconnected in the background" },
    { "loop", OT_BOOL, F(ConfSource, loop), "false", NONE, NONE, NULL, NULL, 0,
      "file: start again at the end instead of ending" },
    { "start", OT_DURATION, F(ConfSource, start), "0", 0, 8784.0 * 3600 * US, NULL, NULL, OPT_ZERO,
      "file: how far into the file to begin" },
    { "backup", OT_BACKUP, F(ConfSource, backup), NULL, NONE, NONE, source_schemes, NULL, 0,
      "url: a URL or another source's name that replaces it while it delivers nothing; "
      "without one the slate does" },
    { "timeout", OT_DURATION, F(ConfSource, timeout), "5s", 100e3, 3600.0 * US, NULL, NULL, 0,
      "url: how long without data before the backup (or slate) takes over" },
    { .key = NULL },
};
static const Section source_sec = { "sources.NAME", source_opts, check_source };

static const Option item_opts[] = {
    { "source", OT_SOURCE_REF, F(ConfItem, source), NULL, NONE, NONE, NULL, NULL, OPT_REQUIRED,
      "the name of a source under sources" },
    { "duration", OT_DURATION, F(ConfItem, duration), NULL, 100e3, 744.0 * 3600 * US, NULL, NULL,
      OPT_REQUIRED, "how long the item airs (unless a later `at` cuts it short)" },
    { "title", OT_STRING, F(ConfItem, title), NULL, 0, 256, NULL, NULL, 0,
      "the program's title (playlists' DATERANGE, as-run log); default: the source's name" },
    { "at", OT_AT, F(ConfItem, at), NULL, NONE, NONE, NULL, NULL, 0,
      "start at this wall-clock time, cutting short what is on air: ISO 8601 with its zone "
      "(2026-11-25T12:00:00Z), or HH:MM with repeat: daily. Without at, the item follows the one "
      "before (the first follows the channel's start)" },
    { "repeat", OT_ENUM, 0, NULL, NONE, NONE, repeats, NULL, OPT_NOSTORE,
      "daily: air every day at the HH:MM of at, in the channel's timezone" },
    { .key = NULL },
};
static const Section item_sec = { "schedule.items[]", item_opts, check_item };

static const Option schedule_opts[] = {
    { "loop", OT_BOOL, F(ConfSchedule, loop), "false", NONE, NONE, NULL, NULL, 0,
      "after the last item, start again from the first item without at" },
    { "items", OT_ITEMS, 0, NULL, NONE, NONE, NULL, &item_sec, OPT_REQUIRED,
      "the programs, in order" },
    { .key = NULL },
};
static const Section schedule_sec = { "schedule", schedule_opts, NULL };

static const Option low_latency_opts[] = {
    { "part", OT_DURATION, F(ConfLowLatency, part), NULL, 100e3, 5.0 * US, NULL, NULL, OPT_REQUIRED,
      "LL-HLS partial segment length; shorter than output.segment. Parts are whole frames "
      "(rounded down) counted from each segment's start: one that is not a whole number of "
      "frames at video.fps, or does not divide output.segment, draws a warning that says what "
      "the parts become and which whole-frame lengths divide the segment" },
    { .key = NULL },
};
static const Section low_latency_sec = { "output.low_latency", low_latency_opts, check_low_latency };

/* Not given: 0, the server's own defaults (packager/serve.c), which follow
 * the host's open files; the help says what they are (common/output.h). */
static const Option serve_opts[] = {
    { "listen", OT_LISTEN, F(ConfServe, listen), NULL, NONE, NONE, NULL, NULL, OPT_REQUIRED,
      "HOST:PORT the built-in server listens on; the channel is at http://HOST:PORT/CHANNEL/" },
    { "connections", OT_INT, F(ConfServe, connections), NULL, 1, SERVER_CONNECTIONS_MAX, NULL, NULL,
      0, "connections open at once, in all; one more is answered 503 (Retry-After: 1). Not "
      "given: " AV_STRINGIFY(SERVER_CONNECTIONS_DEFAULT) ". More than the open files allow "
      "(ulimit -n, which onair raises to its hard limit) is lowered to what they allow, with a "
      "warning from onair check and in the log, so that the channel still goes on air. "
      "Channels on the same listen address share one server: they must give the same value, "
      "or only one of them gives it" },
    { "per_address", OT_INT, F(ConfServe, per_address), NULL, 1, SERVER_CONNECTIONS_MAX, NULL, NULL,
      0, "connections open at once from one client address (an IPv6 /64 counts as one); at "
      "most connections. Not given: half of connections. A CDN's shield pulling from few "
      "addresses may need more. Shared as connections is" },
    { "idle_timeout", OT_DURATION, F(ConfServe, idle_timeout), NULL, 1e6, 3600.0 * US, NULL, NULL,
      0, "a connection that sends nothing this long is closed; whole seconds (a fraction is rounded "
      "up, with a warning). Not given: " AV_STRINGIFY(SERVER_IDLE_TIMEOUT_DEFAULT_S) "s. "
      "Channels on one listen address share it as connections" },
    { .key = NULL },
};
static const Section serve_sec = { "output.serve", serve_opts, check_serve };

static const Option push_opts[] = {
    { "url", OT_URL, F(ConfPush, url), NULL, NONE, NONE, push_schemes, NULL, OPT_REQUIRED,
      "base URL of the origin; files are PUT under it at the paths of the output tree" },
    { "bearer_env", OT_ENV, F(ConfPush, bearer_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding a bearer token for the origin (the token never goes in "
      "the file)" },
    { "basic_user_env", OT_ENV, F(ConfPush, basic_user_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the HTTP basic auth user (with basic_password_env)" },
    { "basic_password_env", OT_ENV, F(ConfPush, basic_password_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the HTTP basic auth password" },
    { "headers", OT_HEADERS, F(ConfPush, headers), NULL, NONE, NONE, NULL, NULL, 0,
      "extra request headers: a mapping Name: value, or a list of \"Name: value\"" },
    { "ca_file", OT_FILE, F(ConfPush, ca_file), NULL, NONE, NONE, NULL, NULL, 0,
      "PEM bundle that verifies the origin's https certificate; not given: the system's" },
    { "aws_sigv4", OT_STRING, F(ConfPush, aws_sigv4), NULL, 0, 256, NULL, NULL, 0,
      "sign requests with AWS SigV4 for S3-compatible buckets: \"aws:amz:REGION:s3\" "
      "(with aws_key_env, aws_secret_env)" },
    { "aws_key_env", OT_ENV, F(ConfPush, aws_key_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the access key id for aws_sigv4" },
    { "aws_secret_env", OT_ENV, F(ConfPush, aws_secret_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the secret access key for aws_sigv4" },
    { "delete", OT_BOOL, F(ConfPush, delete_segments), "true", NONE, NONE, NULL, NULL, 0,
      "DELETE segments from the origin when they leave the window" },
    { "spool", OT_SIZE, F(ConfPush, spool), AV_STRINGIFY(PUSH_SPOOL_DEFAULT_GIB) "G",
      1024.0 * 1024, 1024.0 * 1024 * 1024 * 1024, NULL,
      NULL, 0, "segments that may wait on disk while the origin fails; past it the oldest go" },
    { "timeout", OT_DURATION, F(ConfPush, timeout), AV_STRINGIFY(PUSH_TIMEOUT_DEFAULT_S) "s",
      1e6, 300.0 * US, NULL, NULL, 0,
      "a request that takes longer fails (and is retried)" },
    { "retry_max", OT_DURATION, F(ConfPush, retry_max), AV_STRINGIFY(PUSH_RETRY_MAX_DEFAULT_S) "s",
      1e6, 300.0 * US, NULL, NULL, 0,
      "cap of the retry backoff while the origin fails" },
    { .key = NULL },
};
static const Section push_sec = { "output.push", push_opts, check_push };

static const Option output_opts[] = {
    { "dir", OT_DIR, F(ConfOutput, dir), NULL, NONE, NONE, NULL, NULL, OPT_REQUIRED,
      "where playlists, segments and state go; relative to the config's folder" },
    { "segment", OT_DURATION, F(ConfOutput, segment), AV_STRINGIFY(OUTPUT_SEGMENT_DEFAULT_S) "s",
      500e3, 30.0 * US, NULL, NULL, 0,
      "segment length; every segment is exactly this long where it is a whole number of frames "
      "at video.fps. Where not (2s at 29.97 is 59.94 frames), segments are cut on the frames "
      "either side of it (60 and 59), exact on average, and a warning names whole-frame lengths "
      "(2.002s)" },
    { "window", OT_INT, F(ConfOutput, window), "6", 3, 10000, NULL, NULL, 0,
      "segments kept in a live playlist" },
    { "formats", OT_FORMATS, F(ConfOutput, formats), OUTPUT_FORMAT_DEFAULT, NONE, NONE,
      output_format_names, NULL, 0,
      "list of: hls (MPEG-TS), hls-fmp4, dash, cmaf (fMP4 once, HLS and DASH)" },
    { "low_latency", OT_SECTION, F(ConfOutput, low_latency), NULL, NONE, NONE, NULL,
      &low_latency_sec, 0, "LL-HLS; not given: off" },
    { "serve", OT_SECTION, F(ConfOutput, serve), NULL, NONE, NONE, NULL, &serve_sec, 0,
      "the built-in HTTP server; not given: not served" },
    { "push", OT_PUSH, F(ConfOutput, push), NULL, 1, CONF_PUSH_MAX, NULL, &push_sec, 0,
      "push to a CDN origin (a list: to each of several); not given: not pushed" },
    { .key = NULL },
};
static const Section output_sec = { "output", output_opts, check_output };

static const Option channel_opts[] = {
    { "version", OT_VERSION, F(ChannelConf, version), "1", NONE, NONE, NULL, NULL, 0,
      "schema version; this onair reads 1" },
    { "channel", OT_ID, F(ChannelConf, channel), NULL, 1, NAME_MAX_LEN, NULL, NULL, OPT_REQUIRED,
      "the channel's id, used in URLs, paths and metrics" },
    { "title", OT_STRING, F(ChannelConf, title), NULL, 0, 256, NULL, NULL, 0,
      "the channel's name for people; default: the id" },
    { "timezone", OT_TIMEZONE, F(ChannelConf, timezone), "UTC", NONE, NONE, NULL, NULL, 0,
      "tzdata name (Europe/Berlin, America/New_York) for daily HH:MM times; DST is followed" },
    { "video", OT_SECTION, F(ChannelConf, video), NULL, NONE, NONE, NULL, &video_sec, OPT_REQUIRED,
      "the program canvas" },
    { "audio", OT_SECTION, F(ChannelConf, audio), NULL, NONE, NONE, NULL, &audio_sec, 0,
      "the program audio (AAC-LC)" },
    { "ladder", OT_LADDER, F(ChannelConf, ladder), NULL, 1, LADDER_MAX, NULL, &rung_sec,
      OPT_REQUIRED, "the ABR rungs, each no larger than the canvas" },
    { "encoder", OT_SECTION, F(ChannelConf, encoder), NULL, NONE, NONE, NULL, &encoder_sec, 0,
      "how the rungs are encoded" },
    { "slate", OT_SECTION, F(ChannelConf, slate), NULL, NONE, NONE, NULL, &slate_sec, 0,
      "what airs when no item does, and in place of a lost live source" },
    { "sources", OT_SOURCES, F(ChannelConf, sources), NULL, 1, MAX_SOURCES, NULL, &source_sec,
      OPT_REQUIRED, "the sources items play, by name; each has one of generate, file, url" },
    { "schedule", OT_SECTION, F(ChannelConf, schedule), NULL, NONE, NONE, NULL, &schedule_sec,
      OPT_REQUIRED, "the program schedule" },
    { "output", OT_SECTION, F(ChannelConf, output), NULL, NONE, NONE, NULL, &output_sec,
      OPT_REQUIRED, "where the channel goes" },
    { .key = NULL },
};
static const Section channel_sec = { "", channel_opts, check_channel };

/* ---- values ---- */

/* Sections have at most MAX_OPTS options (SectionState's arrays and bit
 * masks); test_channel loads every section, so a table that outgrows it
 * fails there first. */
static int opt_count(const Section *s)
{
    int n = 0;
    while (s->options[n].key)
        n++;
    return n < MAX_OPTS ? n : MAX_OPTS;
}

static int opt_index(const Section *s, const char *key)
{
    for (int i = 0; s->options[i].key; i++)
        if (!strcmp(s->options[i].key, key))
            return i;
    return -1;
}

static int is_owned_string(OptType t)
{
    switch (t) {
    case OT_STRING: case OT_ID: case OT_FILE: case OT_DIR: case OT_URL: case OT_BACKUP:
    case OT_LISTEN: case OT_ENV: case OT_TIMEZONE:
        return 1;
    default:
        return 0;
    }
}

static int set_string(Ctx *c, char **field, const char *v)
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
        return set_string(c, out, path);
    if (path_join(buf, sizeof(buf), c->base_dir, path) < 0)
        return AVERROR(ENAMETOOLONG);
    return set_string(c, out, buf);
}

/*
 * Parses text as option o into field. The same code reads defaults (c may
 * then have no place to report, and defaults never fail) and values; err
 * gets the problem, which the caller prefixes with the key's path.
 */
static int parse_text(Ctx *c, const Option *o, const char *text, void *field,
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
        return set_string(c, field, text);
    case OT_ID:
        if (!match_chars(text, "-", 1) || strlen(text) > (size_t)o->max) {
            snprintf(err, err_size, "'%s' is not a channel id: use lowercase letters, digits and "
                     "'-' (at most %.0f; the id names URLs, paths and metrics)", text, o->max);
            return AVERROR(EINVAL);
        }
        /* the built-in server's own paths: /player/..., /time */
        if (!strcmp(text, "player") || !strcmp(text, "time")) {
            snprintf(err, err_size, "'%s' cannot be a channel id: the server uses /%s itself", text, text);
            return AVERROR(EINVAL);
        }
        return set_string(c, field, text);
    case OT_RUNG_NAME:
        if (!match_chars(text, "-_.", 0) || strlen(text) >= RUNG_NAME_MAX ||
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
                join_choices(list, sizeof(list), o->choices);
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
            fmt_size(lo, sizeof(lo), o->min);
            fmt_size(hi, sizeof(hi), o->max);
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
            fmt_bitrate(lo, sizeof(lo), o->min);
            fmt_bitrate(hi, sizeof(hi), o->max);
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
            near = nearest(text, o->choices, nc);
            join_choices(sub, sizeof(sub), o->choices);
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
        if (valid_url(text, o->choices, err, err_size) < 0)
            return AVERROR(EINVAL);
        if (o->choices == push_schemes && strpbrk(text, "?#")) {
            snprintf(err, err_size, "'%s': a base URL cannot have a query or fragment (paths of "
                     "the output tree are appended to it)", text);
            return AVERROR(EINVAL);
        }
        if (o->choices == push_schemes && text[strlen(text) - 1] != '/') {
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
            ret = set_string(c, field, s);
            free(s);
            return ret;
        }
        return set_string(c, field, text);
    case OT_BACKUP:
        if (!*text) {
            snprintf(err, err_size, "empty: give a URL or a source's name");
            return AVERROR(EINVAL);
        }
        return set_string(c, field, text);
    case OT_LISTEN:
        if (valid_listen(text, err, err_size) < 0)
            return AVERROR(EINVAL);
        return set_string(c, field, text);
    case OT_ENV:
        if (!match_chars(text, "_", 0) || (text[0] >= '0' && text[0] <= '9') || strlen(text) > 128) {
            snprintf(err, err_size, "'%s' is not an environment variable name (letters, digits "
                     "and '_'; the token itself never goes in the file)", text);
            return AVERROR(EINVAL);
        }
        return set_string(c, field, text);
    case OT_TIMEZONE: {
        Tz *tz = NULL;
        int ret = tz_load(&tz, text, err, err_size);
        if (ret == AVERROR(ENOMEM))
            c->nomem = 1;
        if (ret < 0)
            return ret;
        tz_free(&c->conf->tz);
        c->conf->tz = tz;
        return set_string(c, field, text);
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
        near = nearest(text, names, conf->nb_sources);
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

static void walk_section(Ctx *c, yaml_node_t *node, const Section *sec, void *base,
                         const char *path, Mark where, SectionState *st);

static void apply_defaults(Ctx *c, const Section *sec, void *base)
{
    char err[256];

    for (const Option *o = sec->options; o->key; o++) {
        if (!o->def)
            continue;
        if (o->type == OT_FORMATS) {
            *(unsigned *)((char *)base + o->offset) = output_format_parse(o->def);
            continue;
        }
        /* a default that does not parse is a bug in the tables, caught by every test */
        if (parse_text(c, o, o->def, (char *)base + o->offset, err, sizeof(err)) < 0 && !c->nomem)
            fail_at(c, (Mark){ 0, 0 }, "internal: default of %s does not parse: %s", o->key, err);
    }
}

static void parse_formats(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, unsigned *out)
{
    char path[200], list[128];
    unsigned mask = 0, seen = 0;
    int count = 0, bad = 0;
    yaml_node_item_t *it;

    key_path(path, sizeof(path), st, o->key);
    join_choices(list, sizeof(list), o->choices);
    if (n->type == YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list such as [hls, dash], got a mapping", path);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    for (int i = 0;; i++) {
        yaml_node_t *e;
        const char *v;
        int k;

        if (n->type == YAML_SCALAR_NODE) {
            if (i > 0)
                break;
            e = n;
        } else {
            it = n->data.sequence.items.start + i;
            if (it >= n->data.sequence.items.top)
                break;
            e = node_at(c, *it);
        }
        if (!e)
            continue;
        if (e->type != YAML_SCALAR_NODE) {
            fail_at(c, mark_of(e), "%s: expected a format name (%s), got %s", path, list, kind_name(e));
            bad = 1;
            continue;
        }
        v = (const char *)e->data.scalar.value;
        k = choice_index(o->choices, v);
        if (k < 0) {
            const char *near = nearest(v, o->choices, 4);
            fail_at(c, mark_of(e), "%s: unknown format '%s'%s%s%s (one of %s)", path, v,
                  near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", list);
            bad = 1;
            continue;
        }
        if (seen & (1u << k)) {
            fail_at(c, mark_of(e), "%s: '%s' is listed twice", path, v);
            bad = 1;
            continue;
        }
        seen |= 1u << k;
        mask |= output_format_parse(v);
        count++;
    }
    if (!bad && !count) {
        fail_at(c, mark_of(n), "%s: empty: list at least one of %s", path, list);
        bad = 1;
    }
    if (!bad)
        *out = mask;
    else
        st->bad |= 1u << (o - st->sec->options);
}

static void parse_ladder(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n)
{
    ChannelConf *conf = c->conf;
    char path[160], err[512];
    Mark marks[LADDER_MAX];
    int count = 0, bad = 0, total, canvas_ok;

    /* a canvas in error or not given says nothing about the rungs */
    canvas_ok = !c->video_bad && (st->given & (1u << opt_index(st->sec, "video")));
    key_path(path, sizeof(path), st, o->key);
    if (n->type == YAML_SCALAR_NODE) {
        /* the command line's form: "720p,360p" */
        if (conf_parse_ladder((const char *)n->data.scalar.value, conf->ladder, &count, err,
                              sizeof(err)) < 0) {
            fail_at(c, mark_of(n), "%s: %s", path, err);
            bad = 1;
        }
        for (int i = 0; i < count; i++)
            marks[i] = mark_of(n);
    } else if (n->type == YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list of rungs (720p, or { name, width, height, "
              "bitrate }), got a mapping", path);
        bad = 1;
    } else {
        total = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        for (int i = 0; i < total; i++) {
            yaml_node_t *e = node_at(c, n->data.sequence.items.start[i]);
            char epath[240];
            Rung r;

            if (!e)
                continue;
            snprintf(epath, sizeof(epath), "%s[%d]", path, i + 1);
            if (count == LADDER_MAX) {
                fail_at(c, mark_of(e), "%s: too many rungs (at most %d)", epath, LADDER_MAX);
                bad = 1;
                break;
            }
            memset(&r, 0, sizeof(r));
            if (e->type == YAML_SCALAR_NODE) {
                if (conf_parse_rung((const char *)e->data.scalar.value, &r, err, sizeof(err)) < 0) {
                    fail_at(c, mark_of(e), "%s: %s", epath, err);
                    bad = 1;
                    continue;
                }
            } else if (e->type == YAML_MAPPING_NODE) {
                SectionState est;
                walk_section(c, e, o->sub, &r, epath, mark_of(e), &est);
                if (est.bad) {
                    bad = 1;
                    continue;
                }
            } else {
                fail_at(c, mark_of(e), "%s: expected a rung (720p, or { name, width, height, "
                      "bitrate }), got %s", epath, kind_name(e));
                bad = 1;
                continue;
            }
            marks[count] = mark_of(e);
            conf->ladder[count++] = r;
        }
    }
    for (int i = 0; i < count; i++) {
        Rung *r = &conf->ladder[i];
        for (int j = 0; j < i; j++) {
            if (!strcmp(conf->ladder[j].name, r->name)) {
                fail_at(c, marks[i], "%s[%d]: rung name '%s' is used twice (first at line %d)",
                      path, i + 1, r->name, marks[j].line);
                bad = 1;
                break;
            }
        }
        if (canvas_ok && (r->width > conf->video.width || r->height > conf->video.height)) {
            fail_at(c, marks[i], "%s[%d]: rung '%s' (%dx%d) is larger than the canvas %dx%d "
                  "(video.width x video.height)", path, i + 1, r->name, r->width, r->height,
                  conf->video.width, conf->video.height);
            bad = 1;
        }
    }
    if (!bad && count == 0) {
        fail_at(c, mark_of(n), "%s: empty: give at least one rung (e.g. [720p, 360p])", path);
        bad = 1;
    }
    conf->nb_rungs = count;
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

/* RFC 9110 token characters: what a header name may hold. */
static int header_name_ok(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch && strchr("!#$%&'*+-.^_`|~", ch))))
            return 0;
    }
    return 1;
}

/* One header from its name and value (n bytes of name); err says why not. */
static int add_header(Ctx *c, ConfHeaders *h, const char *name, size_t n, const char *value,
                      char *err, size_t err_size)
{
    static const char *const refused[] = { "Content-Length", "Transfer-Encoding", "Expect",
                                           "Content-Type", NULL };
    char **lines;
    size_t vlen;

    if (!header_name_ok(name, n)) {
        snprintf(err, err_size, "'%.*s' is not a header name (letters, digits and -)",
                 (int)FFMIN(n, 64), name);
        return -1;
    }
    for (int i = 0; refused[i]; i++) {
        if (strlen(refused[i]) == n && !strncasecmp(name, refused[i], n)) {
            snprintf(err, err_size, "%s is set by onair itself and cannot be given", refused[i]);
            return -1;
        }
    }
    while (*value == ' ' || *value == '\t')
        value++;
    for (const char *v = value; *v; v++) {
        if ((unsigned char)*v < 0x20 && *v != '\t') {
            snprintf(err, err_size, "the value of %.*s holds a control character or line break",
                     (int)FFMIN(n, 64), name);
            return -1;
        }
    }
    for (int i = 0; i < h->count; i++) {
        if (!strncasecmp(h->lines[i], name, n) && h->lines[i][n] == ':') {
            snprintf(err, err_size, "%.*s is given twice", (int)FFMIN(n, 64), name);
            return -1;
        }
    }
    if (h->count == CONF_HEADERS_MAX) {
        snprintf(err, err_size, "too many headers (at most %d)", CONF_HEADERS_MAX);
        return -1;
    }
    lines = realloc(h->lines, sizeof(*lines) * (size_t)(h->count + 1));
    if (!lines) {
        c->nomem = 1;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    h->lines = lines;
    vlen = strlen(value);
    if (!(lines[h->count] = malloc(n + vlen + 3))) {
        c->nomem = 1;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    snprintf(lines[h->count], n + vlen + 3, "%.*s: %s", (int)n, name, value);
    h->count++;
    return 0;
}

static void free_headers(ConfHeaders *h)
{
    for (int i = 0; i < h->count; i++)
        free(h->lines[i]);
    free(h->lines);
    h->lines = NULL;
    h->count = 0;
}

static void parse_headers(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfHeaders *h)
{
    char path[200], err[256];
    int bad = 0;

    key_path(path, sizeof(path), st, o->key);
    free_headers(h);
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
            const char *name;
            if (!k || !v)
                continue;
            if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
                fail_at(c, mark_of(k->type != YAML_SCALAR_NODE ? k : v), "%s: expected Name: value, "
                        "got %s", path, kind_name(k->type != YAML_SCALAR_NODE ? k : v));
                bad = 1;
                continue;
            }
            name = (const char *)k->data.scalar.value;
            if (strlen(name) != k->data.scalar.length ||
                strlen((const char *)v->data.scalar.value) != v->data.scalar.length ||
                add_header(c, h, name, strlen(name), (const char *)v->data.scalar.value, err,
                           sizeof(err)) < 0) {
                fail_at(c, mark_of(k), "%s: %s", path, err[0] ? err : "contains a NUL character");
                bad = 1;
            }
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = node_at(c, *it);
            const char *line, *colon;
            if (!e)
                continue;
            err[0] = 0;
            line = e->type == YAML_SCALAR_NODE ? (const char *)e->data.scalar.value : NULL;
            colon = line ? strchr(line, ':') : NULL;
            if (!colon) {
                fail_at(c, mark_of(e), "%s[%d]: expected \"Name: value\", got %s", path,
                        (int)(it - n->data.sequence.items.start) + 1,
                        line ? "no ':'" : kind_name(e));
                bad = 1;
                continue;
            }
            if (strlen(line) != e->data.scalar.length ||
                add_header(c, h, line, (size_t)(colon - line), colon + 1, err, sizeof(err)) < 0) {
                fail_at(c, mark_of(e), "%s[%d]: %s", path, (int)(it - n->data.sequence.items.start) + 1,
                        err[0] ? err : "contains a NUL character");
                bad = 1;
            }
        }
    } else {
        fail_at(c, mark_of(n), "%s: expected a mapping Name: value, or a list of \"Name: value\", "
                "got %s", path, kind_name(n));
        bad = 1;
    }
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

/* output.push: one target (a mapping) or several (a list of mappings). */
static void parse_push(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfOutput *out)
{
    char path[160];
    yaml_node_t *elems[CONF_PUSH_MAX];
    int count = 0, bad = 0, list = n->type == YAML_SEQUENCE_NODE;

    key_path(path, sizeof(path), st, o->key);
    if (n->type == YAML_MAPPING_NODE) {
        elems[count++] = n;
    } else if (list) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = node_at(c, *it);
            if (!e)
                continue;
            if (count == CONF_PUSH_MAX) {
                fail_at(c, mark_of(e), "%s: too many targets (at most %d)", path, CONF_PUSH_MAX);
                bad = 1;
                break;
            }
            elems[count++] = e;
        }
        if (!count && !bad) {
            fail_at(c, mark_of(n), "%s: empty: give a target { url: ... }, or leave push out", path);
            bad = 1;
        }
    } else {
        fail_at(c, mark_of(n), "%s: expected a mapping { url: ... } or a list of them, got %s",
                path, kind_name(n));
        bad = 1;
    }
    for (int i = 0; i < count; i++) {
        ConfPush *t = &out->push[i];
        SectionState est;
        char epath[200];

        if (list)
            snprintf(epath, sizeof(epath), "%s[%d]", path, i + 1);
        else
            snprintf(epath, sizeof(epath), "%s", path);
        t->line = mark_of(elems[i]).line;
        t->column = mark_of(elems[i]).col;
        /* a single target's messages point at its key, as a section's do */
        walk_section(c, elems[i], o->sub, t, epath, list ? mark_of(elems[i]) : st->key[o - st->sec->options],
                     &est);
        if (est.bad) {
            bad = 1;
            continue;
        }
        for (int j = 0; j < i; j++) {
            if (t->url && out->push[j].url && !strcmp(t->url, out->push[j].url)) {
                fail_at(c, mark_of(elems[i]), "%s: url %s is also target %d's (line %d)", epath,
                        t->url, j + 1, out->push[j].line);
                bad = 1;
            }
        }
    }
    out->nb_push = count;
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

static int valid_source_name(const char *s)
{
    return match_chars(s, "-_", 0) && strlen(s) <= NAME_MAX_LEN;
}

static void parse_sources(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n)
{
    ChannelConf *conf = c->conf;
    char path[200];
    int total, bad = 0;

    key_path(path, sizeof(path), st, o->key);
    if (n->type != YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a mapping of NAME: { generate | file | url ... }, "
              "got %s", path, kind_name(n));
        st->bad |= 1u << (o - st->sec->options);
        c->sources_bad = 1;
        return;
    }
    total = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (total > MAX_SOURCES) {
        fail_at(c, mark_of(n), "%s: too many sources (at most %d)", path, MAX_SOURCES);
        total = MAX_SOURCES;
        bad = 1;
    }
    conf->sources = calloc(total ? total : 1, sizeof(*conf->sources));
    c->source_st = calloc(total ? total : 1, sizeof(*c->source_st));
    if (!conf->sources || !c->source_st) {
        c->nomem = 1;
        return;
    }
    /* names first, so that a source in error is still known to the schedule */
    for (int i = 0; i < total; i++) {
        yaml_node_pair_t *p = n->data.mapping.pairs.start + i;
        yaml_node_t *k = node_at(c, p->key);
        ConfSource *s = &conf->sources[conf->nb_sources];
        const char *name;
        int dup = 0;

        if (!k)
            continue;
        if (k->type != YAML_SCALAR_NODE || is_null(k)) {
            fail_at(c, mark_of(k), "%s: a source's name must be a word, not %s", path, kind_name(k));
            bad = 1;
            continue;
        }
        name = (const char *)k->data.scalar.value;
        if (!valid_source_name(name) || strlen(name) != k->data.scalar.length) {
            fail_at(c, mark_of(k), "%s: '%s' is not a source name (letters, digits, '-' and '_', "
                  "at most %d)", path, name, NAME_MAX_LEN);
            bad = 1;
            continue;
        }
        for (int j = 0; j < conf->nb_sources; j++) {
            if (!strcmp(conf->sources[j].name, name)) {
                fail_at(c, mark_of(k), "%s: duplicate source '%s' (first defined at line %d, "
                      "column %d)", path, name, conf->sources[j].line, conf->sources[j].column);
                dup = 1;
            }
        }
        if (dup) {
            bad = 1;
            continue;
        }
        if (set_string(c, &s->name, name) < 0)
            return;
        s->line = mark_of(k).line;
        s->column = mark_of(k).col;
        s->backup_source = -1;
        c->source_st[conf->nb_sources].where = mark_of(k);
        c->source_st[conf->nb_sources].node[0] = node_at(c, p->value);  /* stashed for below */
        conf->nb_sources++;
    }
    for (int i = 0; i < conf->nb_sources; i++) {
        ConfSource *s = &conf->sources[i];
        SectionState *ss = &c->source_st[i];
        yaml_node_t *v = ss->node[0];
        Mark where = ss->where;
        char spath[240];

        snprintf(spath, sizeof(spath), "%s.%s", path, s->name);
        if (!v || is_null(v) || v->type != YAML_MAPPING_NODE) {
            if (v && !is_null(v))
                fail_at(c, mark_of(v), "%s: expected a mapping ({ generate: testsrc }, { file: "
                      "PATH }, { url: URL }), got %s", spath, kind_name(v));
            else
                fail_at(c, where, "%s: empty: give one of generate, file or url", spath);
            memset(ss, 0, sizeof(*ss));
            ss->bad = ~0u;
            bad = 1;
            apply_defaults(c, o->sub, s);
            continue;
        }
        walk_section(c, v, o->sub, s, spath, where, ss);
        if (ss->bad)
            bad = 1;
    }
    /* backups can name any source, so they are resolved once all are known */
    for (int i = 0; i < conf->nb_sources; i++) {
        ConfSource *s = &conf->sources[i];
        SectionState *ss = &c->source_st[i];
        int bi = opt_index(o->sub, "backup");
        char err[512], bpath[240];

        if (!s->backup || (ss->bad & (1u << bi)))
            continue;
        snprintf(bpath, sizeof(bpath), "%s.%s.backup", path, s->name);
        if (strstr(s->backup, "://")) {
            if (valid_url(s->backup, source_schemes, err, sizeof(err)) < 0) {
                fail_at(c, ss->val[bi], "%s: %s", bpath, err);
                bad = 1;
            }
            continue;
        }
        for (int j = 0; j < conf->nb_sources; j++)
            if (!strcmp(conf->sources[j].name, s->backup))
                s->backup_source = j;
        if (s->backup_source == i) {
            fail_at(c, ss->val[bi], "%s: a source cannot be its own backup", bpath);
            bad = 1;
        } else if (s->backup_source < 0) {
            fail_at(c, ss->val[bi], "%s: '%s' is neither a URL nor a source defined under sources",
                  bpath, s->backup);
            bad = 1;
        }
    }
    if (!total) {
        fail_at(c, mark_of(n), "%s: empty: define at least one source", path);
        bad = 1;
    }
    if (bad) {
        st->bad |= 1u << (o - st->sec->options);
        c->sources_bad = 1;
    }
}

static void check_collisions(Ctx *c, const char *path)
{
    ChannelConf *conf = c->conf;
    const Tz *tz = conf->tz;
    int ai = opt_index(&item_sec, "at");

    /* Items are few (a schedule, not a log); pairs are fine up to a few
     * thousand, which MAX_ITEMS bounds. */
    for (int i = 0; i < conf->schedule.nb_items; i++) {
        ConfItem *a = &conf->schedule.items[i];
        if (!a->at_kind || (c->item_st[i].bad & (1u << ai)))
            continue;
        for (int j = 0; j < i; j++) {
            ConfItem *b = &conf->schedule.items[j];
            int clash = 0;

            if (!b->at_kind || (c->item_st[j].bad & (1u << ai)))
                continue;
            if (a->at_kind == b->at_kind) {
                clash = a->at == b->at;
            } else if (tz) {
                /* an absolute time that falls on a daily item's occurrence that day */
                const ConfItem *abs_it = a->at_kind == CONF_AT_ABSOLUTE ? a : b;
                const ConfItem *day_it = a->at_kind == CONF_AT_DAILY ? a : b;
                TzLocal l;
                int64_t day;

                tz_to_local(tz, abs_it->at, &l);
                day = civil_to_days(l.year, l.month, l.day);
                for (int64_t d = day - 1; d <= day + 1 && !clash; d++)
                    clash = tz_local_to_utc(tz, d * 86400 * US + day_it->at, NULL) == abs_it->at;
            }
            if (clash) {
                fail_at(c, c->item_st[i].val[ai], "%s[%d].at: starts at the same time as item %d "
                      "(line %d): two items cannot start at once", path, i + 1, j + 1,
                      c->item_st[j].val[ai].line);
                break;
            }
        }
    }
}

static void parse_items(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfSchedule *sch)
{
    char path[200];
    int total, bad = 0;

    key_path(path, sizeof(path), st, o->key);
    if (n->type != YAML_SEQUENCE_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list of items (- { source: NAME, duration: 30s }), "
              "got %s", path, kind_name(n));
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    total = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (total > MAX_ITEMS) {
        fail_at(c, mark_of(n), "%s: too many items (at most %d)", path, MAX_ITEMS);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    if (!total) {
        fail_at(c, mark_of(n), "%s: empty: give at least one item", path);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    sch->items = calloc(total, sizeof(*sch->items));
    c->item_st = calloc(total, sizeof(*c->item_st));
    if (!sch->items || !c->item_st) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < total; i++) {
        yaml_node_t *e = node_at(c, n->data.sequence.items.start[i]);
        ConfItem *it = &sch->items[sch->nb_items];
        SectionState *ist = &c->item_st[sch->nb_items];
        char ipath[240];

        if (!e)
            continue;
        snprintf(ipath, sizeof(ipath), "%s[%d]", path, i + 1);
        it->source = -1;
        it->line = mark_of(e).line;
        it->column = mark_of(e).col;
        sch->nb_items++;
        if (e->type != YAML_MAPPING_NODE) {
            fail_at(c, mark_of(e), "%s: expected an item ({ source: NAME, duration: 30s }), got %s",
                  ipath, kind_name(e));
            ist->bad = ~0u;
            bad = 1;
            continue;
        }
        walk_section(c, e, o->sub, it, ipath, mark_of(e), ist);
        if (ist->bad)
            bad = 1;
    }
    check_collisions(c, path);
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

static void parse_value(Ctx *c, SectionState *st, int i, void *base)
{
    const Option *o = &st->sec->options[i];
    yaml_node_t *n = st->node[i];
    void *field = (char *)base + o->offset;
    char path[200], err[768];
    const char *text;
    SectionState sub;

    key_path(path, sizeof(path), st, o->key);
    switch (o->type) {
    case OT_SECTION:
        walk_section(c, is_null(n) ? NULL : n, o->sub, field, path, st->key[i], &sub);
        if (is_null(n)) {
            /* given but empty ("output:"): what it requires is still missing */
            for (const Option *so = o->sub->options; so->key; so++) {
                if (so->flags & OPT_REQUIRED) {
                    fail_at(c, st->key[i], "%s: missing required key '%s'", path, so->key);
                    sub.bad = 1;
                }
            }
        }
        if (sub.bad)
            st->bad |= 1u << i;
        return;
    case OT_LADDER:
        parse_ladder(c, st, o, n);
        return;
    case OT_SOURCES:
        parse_sources(c, st, o, n);
        return;
    case OT_ITEMS:
        parse_items(c, st, o, n, base);
        return;
    case OT_FORMATS:
        parse_formats(c, st, o, n, field);
        return;
    case OT_HEADERS:
        parse_headers(c, st, o, n, field);
        return;
    case OT_PUSH:
        parse_push(c, st, o, n, base);
        return;
    default:
        break;
    }
    if (n->type != YAML_SCALAR_NODE) {
        fail_at(c, mark_of(n), "%s: expected a single value, got %s", path, kind_name(n));
        st->bad |= 1u << i;
        return;
    }
    text = (const char *)n->data.scalar.value;
    if (strlen(text) != n->data.scalar.length) {
        fail_at(c, mark_of(n), "%s: contains a NUL character", path);
        st->bad |= 1u << i;
        return;
    }
    if (strlen(text) > STRING_MAX) {
        fail_at(c, mark_of(n), "%s: too long (at most %d characters)", path, STRING_MAX);
        st->bad |= 1u << i;
        return;
    }
    if (parse_text(c, o, text, field, err, sizeof(err)) < 0) {
        if (err[0])
            fail_at(c, mark_of(n), "%s: %s", path, err);
        st->bad |= 1u << i;
    }
}

/*
 * Walks one mapping against its section: defaults, then every key given
 * (unknown and duplicate keys are errors), then the required ones, then the
 * section's check. node NULL: the section is absent and gets its defaults.
 */
static void walk_section(Ctx *c, yaml_node_t *node, const Section *sec, void *base,
                         const char *path, Mark where, SectionState *st)
{
    int nopts = opt_count(sec);

    memset(st, 0, sizeof(*st));
    st->sec = sec;
    st->where = where;
    snprintf(st->path, sizeof(st->path), "%s", path);
    apply_defaults(c, sec, base);
    if (!node) {
        /* nested sections get their defaults too */
        for (int i = 0; i < nopts; i++) {
            if (sec->options[i].type == OT_SECTION) {
                SectionState sub;
                char p[200];
                key_path(p, sizeof(p), st, sec->options[i].key);
                walk_section(c, NULL, sec->options[i].sub, (char *)base + sec->options[i].offset,
                             p, where, &sub);
            }
        }
        return;
    }
    if (node->type != YAML_MAPPING_NODE) {
        fail_at(c, mark_of(node), "%s%sexpected a mapping (key: value), got %s", path,
              path[0] ? ": " : "", kind_name(node));
        st->bad = ~0u;
        return;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        const char *key;
        int i;

        if (!k || !v)
            continue;
        if (k->type != YAML_SCALAR_NODE || is_null(k)) {
            fail_at(c, mark_of(k), "%s%skeys must be words, not %s", path, path[0] ? ": " : "",
                  kind_name(k));
            st->bad = ~0u;
            continue;
        }
        key = (const char *)k->data.scalar.value;
        i = opt_index(sec, key);
        if (i < 0) {
            const char *names[MAX_OPTS], *near;
            char list[256];
            size_t len = 0;

            for (int j = 0; j < nopts; j++) {
                names[j] = sec->options[j].key;
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "",
                                        names[j]);
                if (len >= sizeof(list))
                    len = sizeof(list) - 1;
            }
            near = nearest(key, names, nopts);
            if (near)
                fail_at(c, mark_of(k), "unknown key '%.64s' in %s (did you mean '%s'?)", key,
                      path[0] ? path : "the channel", near);
            else
                fail_at(c, mark_of(k), "unknown key '%.64s' in %s (known keys: %s)", key,
                      path[0] ? path : "the channel", list);
            st->bad |= 1u << 31;
            continue;
        }
        if (st->given & (1u << i)) {
            fail_at(c, mark_of(k), "duplicate key '%s'%s%s (first given at line %d, column %d)",
                  key, path[0] ? " in " : "", path, st->key[i].line, st->key[i].col);
            st->bad |= 1u << i;
            continue;
        }
        st->given |= 1u << i;
        st->key[i] = mark_of(k);
        st->val[i] = mark_of(v);
        st->node[i] = v;
    }
    for (int i = 0; i < nopts && !c->nomem; i++) {
        const Option *o = &sec->options[i];
        char p[200];

        key_path(p, sizeof(p), st, o->key);
        if (st->bad & (1u << i))
            continue;
        if (st->node[i] && !is_null(st->node[i])) {
            parse_value(c, st, i, base);
        } else if (st->node[i] && o->type == OT_PUSH) {
            /* given but empty ("push:"): what a target requires is missing */
            fail_at(c, st->key[i], "%s: missing required key 'url'", p);
            st->bad |= 1u << i;
        } else if (st->node[i] && o->type == OT_SECTION) {
            parse_value(c, st, i, base);
        } else if (o->type == OT_SECTION) {
            SectionState sub;
            walk_section(c, NULL, o->sub, (char *)base + o->offset, p, where, &sub);
            if (o->flags & OPT_REQUIRED) {
                fail_at(c, where, "%s%smissing required key '%s'", path, path[0] ? ": " : "", o->key);
                st->bad |= 1u << i;
            }
        } else if (st->node[i] && (o->flags & OPT_REQUIRED)) {
            fail_at(c, st->val[i], "%s: missing value%s", p,
                  o->type == OT_COLOR ? " (quote colours: \"#1d2b53\"; an unquoted # starts a "
                                        "YAML comment)" : "");
            st->bad |= 1u << i;
        } else if (st->node[i] && o->type == OT_COLOR) {
            fail_at(c, st->val[i], "%s: missing value (quote colours: \"#1d2b53\"; an unquoted # "
                  "starts a YAML comment)", p);
            st->bad |= 1u << i;
        } else if (o->flags & OPT_REQUIRED) {
            fail_at(c, where, "%s%smissing required key '%s'", path, path[0] ? ": " : "", o->key);
            st->bad |= 1u << i;
        }
    }
    if (sec->check && !c->nomem)
        sec->check(c, base, st);
}

/* ---- section checks ---- */

static int given(const SectionState *st, const char *key)
{
    int i = opt_index(st->sec, key);
    return i >= 0 && (st->given & (1u << i)) && st->node[i] && !is_null(st->node[i]);
}

static Mark key_mark(const SectionState *st, const char *key)
{
    return st->key[opt_index(st->sec, key)];
}

static Mark val_mark(const SectionState *st, const char *key)
{
    return st->val[opt_index(st->sec, key)];
}

static int ok(const SectionState *st, const char *key)
{
    return given(st, key) && !(st->bad & (1u << opt_index(st->sec, key)));
}

static void check_video(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    if (st->bad)
        c->video_bad = 1;
    if (given(st, "fps"))
        c->fps = val_mark(st, "fps");
}

static void check_rung(Ctx *c, void *base, SectionState *st)
{
    Rung *r = base;
    (void)c;
    if (!given(st, "name") && !st->bad)
        snprintf(r->name, sizeof(r->name), "%dx%d", r->width, r->height);
}

static void check_source(Ctx *c, void *base, SectionState *st)
{
    ConfSource *s = base;
    static const char *const kinds[] = { "generate", "file", "url" };
    const char *first = NULL;
    int n = 0;

    for (int k = 0; k < 3; k++) {
        if (!given(st, kinds[k]))
            continue;
        if (n++ == 0) {
            first = kinds[k];
            s->kind = (enum ConfSourceKind)k;
        } else {
            fail_at(c, key_mark(st, kinds[k]), "%s: give only one of generate, file and url "
                  "(%s is given too)", st->path, first);
            st->bad |= 1u << opt_index(st->sec, kinds[k]);
        }
    }
    if (n == 0) {
        fail_at(c, st->where, "%s: give one of generate, file or url", st->path);
        st->bad |= 1u;
        return;
    }
    if (s->kind != CONF_SOURCE_FILE) {
        if (given(st, "loop"))
            warn_at(c, key_mark(st, "loop"), "%s.loop: only file sources loop; ignored", st->path);
        if (given(st, "start"))
            warn_at(c, key_mark(st, "start"), "%s.start: only file sources have a start; ignored",
                    st->path);
    }
    if (s->kind != CONF_SOURCE_URL) {
        if (given(st, "backup"))
            warn_at(c, key_mark(st, "backup"), "%s.backup: only url sources have a backup; "
                    "ignored", st->path);
        if (given(st, "timeout"))
            warn_at(c, key_mark(st, "timeout"), "%s.timeout: only url sources time out; ignored",
                    st->path);
    }
}

static void check_item(Ctx *c, void *base, SectionState *st)
{
    ConfItem *it = base;
    const ChannelConf *conf = c->conf;

    if (!given(st, "title") && it->source >= 0 && !st->bad) {
        it->title = strdup(conf->sources[it->source].name);
        if (!it->title)
            c->nomem = 1;
    }
    if (given(st, "repeat") && ok(st, "repeat")) {
        if (!given(st, "at")) {
            fail_at(c, key_mark(st, "repeat"), "%s.repeat: daily needs an at time of day "
                  "(at: \"18:00\")", st->path);
            st->bad |= 1u << opt_index(st->sec, "repeat");
        } else if (ok(st, "at") && it->at_kind == CONF_AT_ABSOLUTE) {
            fail_at(c, val_mark(st, "repeat"), "%s.repeat: daily needs at as a time of day "
                  "(HH:MM), not a date", st->path);
            st->bad |= 1u << opt_index(st->sec, "repeat");
        }
    } else if (ok(st, "at") && it->at_kind == CONF_AT_DAILY && !given(st, "repeat")) {
        fail_at(c, val_mark(st, "at"), "%s.at: '%s' is a time of day: add repeat: daily, or give "
              "a date and zone (e.g. 2026-11-25T18:00:00Z)", st->path,
              (const char *)st->node[opt_index(st->sec, "at")]->data.scalar.value);
        st->bad |= 1u << opt_index(st->sec, "at");
    }
}

/* The part is judged against the segment by check_output, which knows
 * whether the segment itself was read; it needs the part's place. */
static void check_low_latency(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    c->part = val_mark(st, "part");
}

/* The limits among themselves; against the host's open files is onair
 * check's (and the server's) to judge, since that is the host's, not the
 * file's. */
static void check_serve(Ctx *c, void *base, SectionState *st)
{
    ConfServe *v = base;
    char asked[32], got[32];

    if (ok(st, "connections")) {
        v->connections_line = val_mark(st, "connections").line;
        v->connections_column = val_mark(st, "connections").col;
    }
    if (ok(st, "per_address")) {
        int most = ok(st, "connections") ? v->connections : SERVER_CONNECTIONS_DEFAULT;
        if (v->per_address > most) {
            fail_at(c, val_mark(st, "per_address"), "%s.per_address: %d is more than connections "
                    "(%d%s): one address cannot have more than all", st->path, v->per_address, most,
                    ok(st, "connections") ? "" : ", the default");
            st->bad |= 1u << opt_index(st->sec, "per_address");
        }
    }
    if (ok(st, "idle_timeout") && v->idle_timeout % US) {
        /* libmicrohttpd counts whole seconds; rounding up never closes early */
        int64_t up = (v->idle_timeout + US - 1) / US * US;
        format_duration(asked, sizeof(asked), v->idle_timeout);
        format_duration(got, sizeof(got), up);
        warn_at(c, val_mark(st, "idle_timeout"), "%s.idle_timeout: %s is not whole seconds, which "
                "the server counts in: %s it is", st->path, asked, got);
        v->idle_timeout = up;
    }
}

/* ---- the frame grid: what the packager really cuts ---- */

/* µs -> frames at fps, and back; whole only where the division is exact. */
static int is_whole_frames(int64_t us, AVRational fps)
{
    return us * fps.num % ((int64_t)fps.den * US) == 0;
}

static double frames_of(int64_t us, AVRational fps)
{
    return (double)us * fps.num / ((double)fps.den * US);
}

/* The µs of n frames, or -1 where that is not a whole number of µs (a
 * value nobody can write, so none to suggest). */
static int64_t exact_us_of(int64_t n, AVRational fps)
{
    int64_t t = n * fps.den * US;
    return t % fps.num ? -1 : t / fps.num;
}

/* The nearest whole-frame values to us, one below it and one above (each
 * within lo..hi µs and, where divides > 0, dividing `divides` frames),
 * written "400ms (10 frames) or 1s (25 frames)", the nearer first; "" where
 * there is none. */
static void suggest_frames(char *buf, size_t size, int64_t us, AVRational fps, double lo, double hi,
                           int64_t divides)
{
    double x = frames_of(us, fps);
    int64_t found[2] = { -1, -1 };
    char a[32], b[32];

    for (int side = 0; side < 2; side++) {
        int64_t n = side ? (int64_t)ceil(x) : (int64_t)floor(x);
        for (; n >= 1; n += side ? 1 : -1) {
            int64_t t = exact_us_of(n, fps);
            if (t > hi)
                break;
            if (n == x || t < 0 || t < lo || (divides > 0 && divides % n))
                continue;
            found[side] = n;
            break;
        }
    }
    buf[0] = 0;
    if (found[0] >= 0 && found[1] >= 0 && found[1] - x < x - found[0]) {
        int64_t t = found[0];
        found[0] = found[1];
        found[1] = t;
    }
    if (found[0] < 0) {
        found[0] = found[1];
        found[1] = -1;
    }
    if (found[0] < 0)
        return;
    format_duration(a, sizeof(a), exact_us_of(found[0], fps));
    if (found[1] < 0) {
        snprintf(buf, size, "%s (%lld frames)", a, (long long)found[0]);
        return;
    }
    format_duration(b, sizeof(b), exact_us_of(found[1], fps));
    snprintf(buf, size, "%s (%lld frames) or %s (%lld frames)", a, (long long)found[0], b,
             (long long)found[1]);
}

/* A segment that is not a whole number of frames: the grid (common.h)
 * starts segment k at frame round(k * segment * fps), so segments are the
 * frames either side of it, long and short in turn, and right on average. */
static void check_segment_frames(Ctx *c, const ConfOutput *o, SectionState *st)
{
    AVRational fps = c->conf->video.fps;
    const Option *opt = &st->sec->options[opt_index(st->sec, "segment")];
    double x = frames_of(o->segment, fps);
    int64_t lo = (int64_t)floor(x), hi = lo + 1;
    char seg[32], rate[16], lo_d[32], hi_d[32], alt[128];
    Mark m = given(st, "segment") ? val_mark(st, "segment") : c->fps;

    if (is_whole_frames(o->segment, fps))
        return;
    format_duration(seg, sizeof(seg), o->segment);
    format_fps(rate, sizeof(rate), fps);
    format_duration(lo_d, sizeof(lo_d), av_rescale_rnd(lo, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(hi_d, sizeof(hi_d), av_rescale_rnd(hi, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    suggest_frames(alt, sizeof(alt), o->segment, fps, opt->min, opt->max, 0);
    warn_at(c, m, "%s.segment: %s%s is %.5g frames at %s fps: segments are cut on whole frames, "
            "%lld or %lld of them (%s or %s), %s on average%s%s%s", st->path, seg,
            given(st, "segment") ? "" : " (the default)", x, rate, (long long)hi, (long long)lo,
            hi_d, lo_d, seg, alt[0] ? "; " : "", alt, alt[0] ? " makes every segment as long" : "");
}

/* A part that is not a whole number of frames: the packager cuts a part
 * every grid_part_frames() frames from the segment's start, so the parts are
 * shorter than asked and the last of each segment shorter still. Judged
 * when the part is shorter than the segment, and said instead of the plain
 * "does not divide": this says what the parts really are. */
static void check_part_frames(Ctx *c, const ConfOutput *o, SectionState *st)
{
    AVRational fps = c->conf->video.fps;
    double x = frames_of(o->low_latency.part, fps);
    int64_t pf = grid_part_frames(fps, o->low_latency.part);
    double sx = frames_of(o->segment, fps);
    int64_t seg_lo = (int64_t)floor(sx), seg_hi = (int64_t)ceil(sx);
    int64_t last_lo = grid_last_part_frames(seg_lo, pf), last_hi = grid_last_part_frames(seg_hi, pf);
    int seg_whole = is_whole_frames(o->segment, fps);
    char part[32], seg[32], rate[16], real[32], last[160], alt[128], l1[32], l2[32], tail[256] = "";

    format_duration(part, sizeof(part), o->low_latency.part);
    format_duration(seg, sizeof(seg), o->segment);
    format_fps(rate, sizeof(rate), fps);
    format_duration(real, sizeof(real), av_rescale_rnd(pf, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(l1, sizeof(l1), av_rescale_rnd(last_lo, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(l2, sizeof(l2), av_rescale_rnd(last_hi, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    if (last_lo == pf && last_hi == pf)
        snprintf(last, sizeof(last), ", %lld to a segment", (long long)(seg_lo / pf));
    else if (last_lo == last_hi)
        snprintf(last, sizeof(last), " and the last of each segment %lld frames (%s)", (long long)last_lo,
                 l1);
    else
        snprintf(last, sizeof(last), " and the last of each segment %lld or %lld frames (%s or %s)",
                 (long long)last_hi, (long long)last_lo, l2, l1);
    /* a part that divides the segment must be shorter than it */
    suggest_frames(alt, sizeof(alt), o->low_latency.part, fps, 100e3,
                   FFMIN(5.0 * US, (double)o->segment - 1), seg_whole ? seg_lo : 0);
    if (seg_whole && alt[0])
        snprintf(tail, sizeof(tail), "; %s divides output.segment (%s) into whole-frame parts",
                 alt, seg);
    else if (seg_whole)
        snprintf(tail, sizeof(tail), "; no whole-frame part divides output.segment (%s)", seg);
    else if (alt[0])
        snprintf(tail, sizeof(tail), "; the nearest whole-frame parts are %s (none divides "
                 "output.segment, which is not whole frames either)", alt);
    warn_at(c, c->part, "%s.low_latency.part: %s is %.5g frames at %s fps: parts are cut on whole "
            "frames, so they are %lld frames (%s)%s%s", st->path, part, x, rate, (long long)pf,
            real, last, tail);
}

static void check_output(Ctx *c, void *base, SectionState *st)
{
    ConfOutput *o = base;
    int frames_known = !c->video_bad && c->conf->video.fps.num > 0 && c->conf->video.fps.den > 0;
    char a[32], b[32];

    if (frames_known && !(st->bad & (1u << opt_index(st->sec, "segment"))))
        check_segment_frames(c, o, st);
    if (!o->low_latency.part || !ok(st, "low_latency") || (st->bad & (1u << opt_index(st->sec, "segment"))))
        return;
    format_duration(a, sizeof(a), o->low_latency.part);
    format_duration(b, sizeof(b), o->segment);
    if (o->low_latency.part >= o->segment) {
        fail_at(c, c->part, "%s.low_latency.part: %s must be "
              "shorter than output.segment (%s)", st->path, a, b);
        st->bad |= 1u << opt_index(st->sec, "low_latency");
    } else if (frames_known && !is_whole_frames(o->low_latency.part, c->conf->video.fps)) {
        check_part_frames(c, o, st);
    } else if (o->segment % o->low_latency.part) {
        warn_at(c, c->part, "%s.low_latency.part: %s does "
                "not divide output.segment (%s): the last part of every segment is shorter",
                st->path, a, b);
    }
}

/* What one key cannot judge alone: credentials come in pairs, and one kind at a time. */
static void check_push(Ctx *c, void *base, SectionState *st)
{
    ConfPush *t = base;
    int bearer = given(st, "bearer_env"), user = given(st, "basic_user_env");
    int pass = given(st, "basic_password_env"), sig = given(st, "aws_sigv4");
    int key = given(st, "aws_key_env"), secret = given(st, "aws_secret_env");

    if (user != pass) {
        const char *has = user ? "basic_user_env" : "basic_password_env";
        fail_at(c, key_mark(st, has), "%s.%s: give basic_user_env and basic_password_env together",
                st->path, has);
        st->bad |= 1u << opt_index(st->sec, has);
    }
    if (bearer && (user || pass)) {
        fail_at(c, key_mark(st, user ? "basic_user_env" : "basic_password_env"), "%s: bearer_env and "
                "basic auth exclude each other: give one of them", st->path);
        st->bad |= 1u << opt_index(st->sec, "bearer_env");
    }
    if (sig) {
        const char *v = t->aws_sigv4;
        int parts = 1, okv = v && *v && *v != ':';
        for (const char *p = v; okv && *p; p++) {
            if (*p == ':')
                parts++;
            else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                       *p == '-' || *p == '_'))
                okv = 0;
        }
        if (!okv || parts > 4) {
            fail_at(c, val_mark(st, "aws_sigv4"), "%s.aws_sigv4: '%s' is not a SigV4 scope: write "
                    "PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]], e.g. \"aws:amz:eu-west-1:s3\"",
                    st->path, v ? v : "");
            st->bad |= 1u << opt_index(st->sec, "aws_sigv4");
        }
        if (!key || !secret) {
            fail_at(c, key_mark(st, "aws_sigv4"), "%s.aws_sigv4: needs aws_key_env and aws_secret_env "
                    "(the variables holding the access key id and the secret)", st->path);
            st->bad |= 1u << opt_index(st->sec, "aws_sigv4");
        }
        if (bearer || user || pass) {
            fail_at(c, key_mark(st, "aws_sigv4"), "%s: aws_sigv4 signs the requests itself: leave "
                    "out bearer_env and basic auth", st->path);
            st->bad |= 1u << opt_index(st->sec, "aws_sigv4");
        }
    } else if (key || secret) {
        const char *has = key ? "aws_key_env" : "aws_secret_env";
        fail_at(c, key_mark(st, has), "%s.%s: only used with aws_sigv4", st->path, has);
        st->bad |= 1u << opt_index(st->sec, has);
    }
    if ((bearer || user || sig) && ok(st, "headers")) {
        for (int i = 0; i < t->headers.count; i++) {
            if (!strncasecmp(t->headers.lines[i], "Authorization:", 14)) {
                fail_at(c, val_mark(st, "headers"), "%s.headers: Authorization is set by %s; "
                        "leave one out", st->path, bearer ? "bearer_env" : user ? "basic auth" : "aws_sigv4");
                st->bad |= 1u << opt_index(st->sec, "headers");
            }
        }
    }
    if (ok(st, "ca_file") && t->url && !strncasecmp(t->url, "http:", 5))
        warn_at(c, key_mark(st, "ca_file"), "%s.ca_file: used only for https, and url is http",
                st->path);
}

static void check_channel(Ctx *c, void *base, SectionState *st)
{
    ChannelConf *conf = base;
    char *used;

    if (!conf->title && conf->channel && !given(st, "title")) {
        conf->title = strdup(conf->channel);
        if (!conf->title)
            c->nomem = 1;
    }
    if (c->sources_bad || !conf->nb_sources || !conf->schedule.items)
        return;
    used = calloc(conf->nb_sources, 1);
    if (!used) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < conf->schedule.nb_items; i++)
        if (conf->schedule.items[i].source >= 0)
            used[conf->schedule.items[i].source] = 1;
    for (int i = 0; i < conf->nb_sources; i++)
        if (conf->sources[i].backup_source >= 0 && used[i])
            used[conf->sources[i].backup_source] = 1;
    for (int i = 0; i < conf->nb_sources; i++)
        if (!used[i])
            warn_at(c, (Mark){ conf->sources[i].line, conf->sources[i].column },
                    "sources.%s is never scheduled", conf->sources[i].name);
    free(used);
}

/* ---- freeing, by the same tables ---- */

static void free_section(const Section *sec, void *base)
{
    for (const Option *o = sec->options; o->key; o++) {
        void *field = (char *)base + o->offset;
        if (is_owned_string(o->type)) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == OT_SECTION) {
            free_section(o->sub, field);
        } else if (o->type == OT_HEADERS) {
            free_headers(field);
        } else if (o->type == OT_PUSH) {
            for (int i = 0; i < CONF_PUSH_MAX; i++)
                free_section(o->sub, (ConfPush *)field + i);
        }
    }
}

void conf_free(ChannelConf **pconf)
{
    ChannelConf *conf = *pconf;

    if (!conf)
        return;
    for (int i = 0; i < conf->nb_sources; i++) {
        free_section(&source_sec, &conf->sources[i]);
        free(conf->sources[i].name);
    }
    free(conf->sources);
    for (int i = 0; i < conf->schedule.nb_items; i++)
        free_section(&item_sec, &conf->schedule.items[i]);
    free(conf->schedule.items);
    free_section(&channel_sec, conf);
    tz_free(&conf->tz);
    free(conf->path);
    free(conf);
    *pconf = NULL;
}

/* ---- loading ---- */

/* Line and column of a byte offset, for libyaml's reader errors, which give
 * only the offset. */
static Mark mark_of_offset(const char *text, size_t len, size_t offset)
{
    Mark m = { 1, 1 };
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            m.line++;
            m.col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            m.col++;
        }
    }
    return m;
}

/* Whether the line holding offset has ": #", the usual reason a flow
 * mapping never closes: the colour's # began a comment. */
static int comment_hint(const char *text, size_t len, size_t offset)
{
    size_t b = offset < len ? offset : len, e = b;

    /* that line and the one before: libyaml often notices on the next */
    while (b > 0 && text[b - 1] != '\n')
        b--;
    if (b > 0)
        b--;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    while (e < len && text[e] != '\n')
        e++;
    for (size_t i = b; i + 2 < e; i++)
        if (text[i] == ':' && text[i + 1] == ' ' && text[i + 2] == '#')
            return 1;
    return 0;
}

static void syntax_error(Ctx *c, const yaml_parser_t *p, const char *yaml, size_t len)
{
    const char *hint;
    Mark m;

    if (p->error == YAML_MEMORY_ERROR) {
        c->nomem = 1;
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        m = mark_of_offset(yaml, len, p->problem_offset);
        fail_at(c, m, "YAML: %s (the file must be UTF-8 text)", p->problem ? p->problem : "unreadable");
        return;
    }
    m = (Mark){ (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1 };
    hint = comment_hint(yaml, len, p->problem_mark.index) ||
           (p->context && comment_hint(yaml, len, p->context_mark.index)) ?
           " (an unquoted # starts a comment: quote colours, \"#1d2b53\")" : "";
    if (p->problem_mark.index < len && yaml[p->problem_mark.index] == '\t')
        fail_at(c, m, "YAML: %s (tabs cannot indent YAML: use spaces)", p->problem ? p->problem : "syntax error");
    else if (p->context)
        fail_at(c, m, "YAML: %s %s at line %d, column %d%s", p->problem ? p->problem : "syntax error",
              p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1, hint);
    else
        fail_at(c, m, "YAML: %s%s", p->problem ? p->problem : "syntax error", hint);
}

int conf_load_string(ChannelConf **out, const char *yaml, size_t len, const char *name,
                     const char *base_dir, ConfReport *report)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_doc = 0, ret = 0;
    ChannelConf *conf = NULL;
    yaml_node_t *root;
    SectionState st;
    Ctx c;

    *out = NULL;
    conf_report_clear(report);
    report->file = strdup(name ? name : "<config>");
    if (!report->file)
        return AVERROR(ENOMEM);
    memset(&c, 0, sizeof(c));
    c.report = report;
    c.base_dir = base_dir;
    if (!yaml_parser_initialize(&parser))
        return AVERROR(ENOMEM);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&c, &parser, yaml, len);
        goto end;
    }
    have_doc = 1;
    c.doc = &doc;
    root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root)) {
        fail_at(&c, (Mark){ 0, 0 }, "the file is empty: a channel needs at least channel, video, "
              "ladder, sources, schedule and output");
        goto end;
    }
    if (yaml_parser_load(&parser, &extra)) {
        yaml_node_t *r2 = yaml_document_get_root_node(&extra);
        if (r2)
            fail_at(&c, mark_of(r2), "a second YAML document: one channel per file");
        yaml_document_delete(&extra);
    } else {
        syntax_error(&c, &parser, yaml, len);
    }
    conf = calloc(1, sizeof(*conf));
    if (!conf) {
        c.nomem = 1;
        goto end;
    }
    c.conf = conf;
    if (set_string(&c, &conf->path, report->file) < 0)
        goto end;
    if (root->type != YAML_MAPPING_NODE)
        fail_at(&c, mark_of(root), "expected the channel's keys (channel: ..., video: ...), got %s",
              kind_name(root));
    else
        walk_section(&c, root, &channel_sec, conf, "", mark_of(root), &st);
end:
    sort_messages(report);
    if (c.overflow) {
        ConfMessage *m = realloc(report->messages, sizeof(*m) * (report->count + 1));
        if (m) {
            report->messages = m;
            m[report->count].severity = CONF_ERROR;
            m[report->count].line = m[report->count].column = 0;
            m[report->count].text = strdup("too many problems; the rest are not shown");
            if (m[report->count].text)
                report->count++;
        }
    }
    if (c.nomem)
        ret = AVERROR(ENOMEM);
    else if (report->errors)
        ret = AVERROR(EINVAL);
    if (ret < 0)
        conf_free(&conf);
    free(c.source_st);
    free(c.item_st);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    *out = conf;
    return ret;
}

int conf_load(ChannelConf **out, const char *path, ConfReport *report)
{
    char dir[PATH_MAX_LEN], real[PATH_MAX];
    const char *slash;
    FILE *f;
    char *data = NULL;
    size_t got = 0;
    int ret, err;
    ConfMessage *m;

    *out = NULL;
    conf_report_clear(report);
    f = fopen(path, "rb");
    if (f) {
        data = malloc(MAX_FILE + 1);
        if (!data) {
            fclose(f);
            return AVERROR(ENOMEM);
        }
        got = fread(data, 1, MAX_FILE + 1, f);
        err = ferror(f) ? errno : 0;
        fclose(f);
        if (!err && got > MAX_FILE)
            err = EFBIG;
    } else {
        err = errno;
    }
    if (err) {
        report->file = strdup(path);
        m = calloc(1, sizeof(*m));
        if (!report->file || !m) {
            free(m);
            free(data);
            return AVERROR(ENOMEM);
        }
        m->severity = CONF_ERROR;
        {
            char t[256];
            snprintf(t, sizeof(t), "cannot read: %s",
                     err == EFBIG ? "too large for a channel config (over 1 MiB)" : strerror(err));
            m->text = strdup(t);
        }
        report->messages = m;
        report->count = 1;
        report->errors = 1;
        free(data);
        return AVERROR(err);
    }
    slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    /* absolute, so that what a config names stays found whatever the
     * working directory of whoever uses the loaded paths */
    if (realpath(dir, real))
        snprintf(dir, sizeof(dir), "%s", real);
    ret = conf_load_string(out, data, got, path, dir, report);
    free(data);
    return ret;
}

/* ---- the reference ---- */

static const char *type_name(const Option *o)
{
    switch (o->type) {
    case OT_VERSION: return "integer";
    case OT_STRING: return "string";
    case OT_ID: return "id";
    case OT_RUNG_NAME: return "name";
    case OT_INT: return "integer";
    case OT_BOOL: return "boolean";
    case OT_LOUDNESS: return "LUFS";
    case OT_DURATION: return "duration";
    case OT_BITRATE: return "bitrate";
    case OT_ENUM: return "one of";
    case OT_FPS: return "frame rate";
    case OT_COLOR: return "colour";
    case OT_FILE: return "path (file)";
    case OT_DIR: return "path (folder)";
    case OT_URL: return "URL";
    case OT_BACKUP: return "URL or source name";
    case OT_LISTEN: return "HOST:PORT";
    case OT_ENV: return "variable name";
    case OT_TIMEZONE: return "time zone";
    case OT_AT: return "time";
    case OT_SOURCE_REF: return "source name";
    case OT_FORMATS: return "list of";
    case OT_SECTION: return "mapping";
    case OT_LADDER: return "list of rungs";
    case OT_SOURCES: return "mapping NAME: source";
    case OT_ITEMS: return "list of items";
    case OT_SIZE: return "size";
    case OT_HEADERS: return "mapping or list";
    case OT_PUSH: return "mapping, or a list of them";
    }
    return "?";
}

static void md_text(Buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_append(b, "\\|", 2);
        else
            buf_append(b, s, 1);
    }
}

static void ref_range(Buf *b, const Option *o)
{
    char lo[32], hi[32];
    int ch = 0;

    switch (o->type) {
    case OT_VERSION:
        buf_printf(b, "%d", CONF_SCHEMA_VERSION);
        break;
    case OT_STRING:
        buf_printf(b, "at most %.0f characters", o->max);
        break;
    case OT_ID:
        buf_printf(b, "`[a-z0-9-]+`, at most %.0f characters", o->max);
        break;
    case OT_RUNG_NAME:
        buf_printf(b, "`[A-Za-z0-9._-]+`, at most %d characters", RUNG_NAME_MAX - 1);
        break;
    case OT_INT:
        if (o->choices)
            ch = 1;
        else
            buf_printf(b, "%.0f – %.0f%s", o->min, o->max, (o->flags & OPT_EVEN) ? ", even" : "");
        break;
    case OT_LOUDNESS:
        buf_printf(b, "%.0f – %.0f", o->min, o->max);
        break;
    case OT_DURATION:
        format_duration(lo, sizeof(lo), (int64_t)o->min);
        format_duration(hi, sizeof(hi), (int64_t)o->max);
        buf_printf(b, "%s – %s", (o->flags & OPT_ZERO) ? "0" : lo, hi);
        break;
    case OT_BITRATE:
        fmt_bitrate(lo, sizeof(lo), o->min);
        fmt_bitrate(hi, sizeof(hi), o->max);
        buf_printf(b, "%s – %s", lo, hi);
        break;
    case OT_ENUM:
    case OT_FORMATS:
        ch = 1;
        break;
    case OT_FPS:
        for (size_t i = 0; i < sizeof(frame_rates) / sizeof(frame_rates[0]); i++)
            buf_printf(b, "%s`%s`", i ? ", " : "", frame_rates[i].text);
        buf_printf(b, "; or N/D (`30000/1001`)");
        break;
    case OT_COLOR:
        buf_printf(b, "`\"#RRGGBB\"`, `\"#RGB\"`, a name");
        break;
    case OT_FILE:
        buf_printf(b, "must exist");
        break;
    case OT_URL:
    case OT_BACKUP:
        buf_printf(b, "schemes: ");
        ch = 1;
        break;
    case OT_LISTEN:
        buf_printf(b, "port 1 – 65535");
        break;
    case OT_ENV:
        buf_printf(b, "`[A-Za-z_][A-Za-z0-9_]*`");
        break;
    case OT_TIMEZONE:
        buf_printf(b, "a tzdata zone");
        break;
    case OT_AT:
        buf_printf(b, "`HH:MM[:SS]` (with repeat: daily) or ISO 8601 with zone");
        break;
    case OT_LADDER:
    case OT_SOURCES:
        buf_printf(b, "%.0f – %.0f", o->min, o->max);
        break;
    case OT_ITEMS:
        buf_printf(b, "1 – %d", MAX_ITEMS);
        break;
    case OT_SIZE:
        fmt_size(lo, sizeof(lo), o->min);
        fmt_size(hi, sizeof(hi), o->max);
        buf_printf(b, "%s – %s", lo, hi);
        break;
    case OT_HEADERS:
        buf_printf(b, "at most %d", CONF_HEADERS_MAX);
        break;
    case OT_PUSH:
        buf_printf(b, "%.0f – %.0f targets", o->min, o->max);
        break;
    default:
        break;
    }
    if (ch)
        for (int i = 0; o->choices[i]; i++)
            buf_printf(b, "%s`%s`", i ? ", " : "", o->choices[i]);
}

static void ref_section(Buf *b, const Section *sec, const char *prefix)
{
    for (const Option *o = sec->options; o->key; o++) {
        char key[160];

        snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", o->key);
        buf_printf(b, "| `%s` | %s | ", key, type_name(o));
        if (o->flags & OPT_REQUIRED)
            buf_printf(b, "*required*");
        else if (o->def)
            buf_printf(b, "`%s`", o->def);
        else
            buf_printf(b, "—");
        buf_printf(b, " | ");
        ref_range(b, o);
        buf_printf(b, " | ");
        md_text(b, o->help);
        buf_printf(b, " |\n");
        if (o->type == OT_SECTION || o->type == OT_PUSH) {
            ref_section(b, o->sub, key);
        } else if (o->sub) {
            char sub[180];
            snprintf(sub, sizeof(sub), "%s%s", key, o->type == OT_SOURCES ? ".NAME" : "[]");
            ref_section(b, o->sub, sub);
        }
    }
}

int conf_reference_markdown(Buf *out)
{
    buf_printf(out,
        "# Channel config reference (schema version %d)\n"
        "\n"
        "Generated by `onair check --reference` from the option tables in `conf/channel.c`;\n"
        "do not edit by hand (a test compares this file with the command's output).\n"
        "\n"
        "A channel is one YAML file; `onair check CHANNEL.yaml` validates it and prints its\n"
        "timeline. Errors name `file:line:column`; list items are counted from 1 in messages.\n"
        "Durations are written `500ms`, `2s`, `30m`, `1h`, `1h30m`; bitrates `800k`, `5M`.\n"
        "Relative paths resolve against the config file's folder. A key not given takes its\n"
        "default; a *required* key inside an optional section is required only when the\n"
        "section is given.\n"
        "\n"
        "| Key | Type | Default | Range / values | Description |\n"
        "|---|---|---|---|---|\n", CONF_SCHEMA_VERSION);
    ref_section(out, &channel_sec, "");
    buf_printf(out,
        "\n"
        "## Schedule semantics\n"
        "\n"
        "- An item without `at` follows the item before it in the list; the first such item\n"
        "  starts when the channel starts.\n"
        "- An item with `at` starts at that instant and cuts short whatever is on air; the\n"
        "  items after it in the list follow it.\n"
        "- With `schedule.loop: true`, after the last item the list starts again from its\n"
        "  first item without `at`; without it, the slate airs until the next `at`.\n"
        "- `at: \"HH:MM\"` with `repeat: daily` is in `timezone`. On the night clocks go\n"
        "  forward, a time that does not exist airs as late as the gap is long (02:30 becomes\n"
        "  03:30); on the night they go back, a time that happens twice airs at the first.\n"
        "- Time no item covers is slate.\n");
    return out->len ? 0 : AVERROR(ENOMEM);
}
