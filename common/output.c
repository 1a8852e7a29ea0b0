/* The output tree's shared facts: formats, file names, Content-Types,
 * listen addresses (output.h). */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

/* the option tables' ranges must hold the defaults the help promises */
_Static_assert(SERVER_CONNECTIONS_DEFAULT >= 1 && SERVER_CONNECTIONS_DEFAULT <= SERVER_CONNECTIONS_MAX,
               "output.serve.connections: the default is out of its range");

/* ---- formats ---- */

const char *const output_format_names[] = { "hls", "hls-fmp4", "dash", "cmaf", NULL };

static const unsigned format_bits[] = {
    FORMAT_HLS_TS, FORMAT_HLS_FMP4, FORMAT_DASH, FORMAT_HLS_FMP4 | FORMAT_DASH,
};

unsigned output_format_parse(const char *name)
{
    for (int i = 0; name && output_format_names[i]; i++)
        if (!strcmp(name, output_format_names[i]))
            return format_bits[i];
    return 0;
}

/* ---- ad break markers ---- */

const char *const ad_marker_names[] = { "daterange", "cue", "dash_bin", NULL };
const char *const interstitial_restrict_names[] = { "skip", "jump", NULL };

/* the lists name the bits in order */
_Static_assert(AD_MARKERS_DATERANGE == 1 << 0 && AD_MARKERS_CUE == 1 << 1 && AD_MARKERS_DASH_BIN == 1 << 2,
               "ad_marker_names: one name per bit, in order");
_Static_assert(INTERSTITIAL_RESTRICT_SKIP == 1 << 0 && INTERSTITIAL_RESTRICT_JUMP == 1 << 1,
               "interstitial_restrict_names: one name per bit, in order");

/* name's index in a NULL-terminated list, as a bit; 0: not there */
static unsigned name_bit(const char *const *names, const char *name)
{
    for (int i = 0; name && names[i]; i++)
        if (!strcmp(name, names[i]))
            return 1u << i;
    return 0;
}

unsigned ad_marker_parse(const char *name)
{
    return name_bit(ad_marker_names, name);
}

unsigned interstitial_restrict_parse(const char *name)
{
    return name_bit(interstitial_restrict_names, name);
}

/* ---- file names ---- */

static const struct {
    const char *name;
    enum PublishedKind kind;
    int top;
} fixed_names[] = {
    { OUTPUT_MASTER, PUBLISHED_PLAYLIST, 1 },
    { OUTPUT_MANIFEST, PUBLISHED_MANIFEST, 1 },
    { OUTPUT_MEDIA_PLAYLIST, PUBLISHED_PLAYLIST, 0 },
    { OUTPUT_INIT, PUBLISHED_INIT, 0 },
};

static const char *const media_exts[] = { "ts", "m4s" };

void output_name(char *out, size_t size, int64_t number, int part, const char *ext)
{
    const char *dot = ext && ext[0] ? "." : "";

    if (!out || !size)
        return;
    if (!ext)
        ext = "";
    if (part >= 0)
        snprintf(out, size, OUTPUT_SEGMENT_PREFIX "%" OUTPUT_NUMBER_WIDTH PRId64 ".p%d%s%s", number, part, dot, ext);
    else
        snprintf(out, size, OUTPUT_SEGMENT_PREFIX "%" OUTPUT_NUMBER_WIDTH PRId64 "%s%s", number, dot, ext);
}

/* 1 to max_digits digits at *p, advancing past them; -1 when there are
 * none, more, or the value passes INT64_MAX. */
static int64_t read_number(const char **p, int max_digits)
{
    int64_t v = 0;
    int n = 0;

    for (; **p >= '0' && **p <= '9'; (*p)++) {
        int d = **p - '0';
        if (++n > max_digits || v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    return n ? v : -1;
}

int output_name_parse(const char *name, OutputName *out)
{
    OutputName n = { .number = -1, .part = -1 };
    const char *p;
    int64_t part;

    if (!name)
        return AVERROR(EINVAL);
    for (size_t i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]); i++) {
        if (!strcmp(name, fixed_names[i].name)) {
            n.kind = fixed_names[i].kind;
            n.top = fixed_names[i].top;
            goto found;
        }
    }
    if (strncmp(name, OUTPUT_SEGMENT_PREFIX, strlen(OUTPUT_SEGMENT_PREFIX)))
        return AVERROR(EINVAL);
    p = name + strlen(OUTPUT_SEGMENT_PREFIX);
    if ((n.number = read_number(&p, 19)) < 0)
        return AVERROR(EINVAL);
    n.kind = PUBLISHED_SEGMENT;
    if (p[0] == '.' && p[1] == 'p' && p[2] >= '0' && p[2] <= '9') {
        p += 2;
        if ((part = read_number(&p, 4)) < 0)
            return AVERROR(EINVAL);
        n.part = (int)part;
        n.kind = PUBLISHED_PART;
    }
    if (*p++ != '.')
        return AVERROR(EINVAL);
    for (size_t i = 0; i < sizeof(media_exts) / sizeof(media_exts[0]); i++)
        if (!strcmp(p, media_exts[i]))
            n.ext = media_exts[i];
    if (!n.ext)
        return AVERROR(EINVAL);
found:
    if (out)
        *out = n;
    return 0;
}

/* ---- Content-Type ---- */

static const struct {
    const char *ext;
    const char *type;
} content_types[OUTPUT_CONTENT_TYPES] = {
    { "m3u8", "application/vnd.apple.mpegurl" },
    { "mpd",  "application/dash+xml" },
    { "ts",   "video/mp2t" },
    { "m4s",  "video/iso.segment" },
    { "mp4",  "video/mp4" },
    { "html", "text/html; charset=utf-8" },
    { "js",   "text/javascript; charset=utf-8" },
    { "css",  "text/css; charset=utf-8" },
    { "map",  "application/json" },
    { NULL,   "application/octet-stream" },
};

int output_content_type_row(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL, *dot;

    dot = path ? strrchr(slash ? slash + 1 : path, '.') : NULL;
    for (int i = 0; dot && i < OUTPUT_CONTENT_TYPES - 1; i++)
        if (!strcmp(dot + 1, content_types[i].ext))
            return i;
    return OUTPUT_CONTENT_TYPES - 1;
}

const char *output_content_type_of_row(int row)
{
    if (row < 0 || row >= OUTPUT_CONTENT_TYPES)
        row = OUTPUT_CONTENT_TYPES - 1;
    return content_types[row].type;
}

const char *output_content_type(const char *path)
{
    return content_types[output_content_type_row(path)].type;
}

/* ---- listen addresses ---- */

static int __attribute__((format(printf, 4, 5)))
refuse(int ret, char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    if (err && err_size) {
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return ret;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-';
}

int listen_parse(const char *text, ListenAddr *out, char *err, size_t err_size)
{
    const char *host, *colon, *p;
    size_t hlen;
    int ipv6 = 0, digits = 0;
    long port = 0;

    if (!text || !out)
        return refuse(AVERROR(EINVAL), err, err_size, "no address given");
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (!end || end == text + 1 || end[1] != ':')
            goto bad_form;
        host = text + 1;
        hlen = (size_t)(end - host);
        for (p = host; p < end; p++)
            if (!is_hex(*p) && *p != ':' && *p != '.')
                goto bad_form;
        colon = end + 1;
        ipv6 = 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return refuse(AVERROR(EINVAL), err, err_size, "'%s' is not HOST:PORT (write e.g. "
                          "127.0.0.1:8080, or 0.0.0.0:8080 for every interface)", text);
        host = text;
        hlen = (size_t)(colon - text);
        /* an IPv6 address needs its brackets: its colons are not the port's */
        for (p = host; p < colon; p++)
            if (!is_name_char(*p))
                goto bad_form;
    }
    if (hlen >= sizeof(out->host))
        goto bad_form;
    for (p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || ++digits > 5)
            goto bad_port;
        port = port * 10 + (*p - '0');
    }
    if (!digits || port > 65535)
        goto bad_port;
    memcpy(out->host, host, hlen);
    out->host[hlen] = 0;
    out->ipv6 = ipv6;
    out->port = (int)port;
    return 0;
bad_form:
    return refuse(AVERROR(EINVAL), err, err_size, "'%s' is not HOST:PORT (write e.g. "
                  "127.0.0.1:8080 or [::1]:8080)", text);
bad_port:
    return refuse(AVERROR(ERANGE), err, err_size, "'%s': the port must be a number from 0 to 65535",
                  text);
}
