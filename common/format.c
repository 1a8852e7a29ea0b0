/* Text for people (durations, frame rates, latencies) and JSON strings. */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#define US 1000000LL

void format_duration(char *out, size_t size, int64_t us)
{
    int64_t h = us / (3600 * US), m = us / (60 * US) % 60, s = us / US % 60, ms = us / 1000 % 1000;
    size_t n = 0;

    if (!out || !size)
        return;
    out[0] = 0;
    if (us % 1000) {
        snprintf(out, size, "%.6gs", us / 1e6);
        return;
    }
    if (us < US) {
        snprintf(out, size, "%dms", (int)ms);
        return;
    }
    if (h)
        n += (size_t)snprintf(out + n, size - n, "%dh", (int)h);
    if (m && n < size)
        n += (size_t)snprintf(out + n, size - n, "%dm", (int)m);
    if ((s || ms) && n < size) {
        if (ms)
            snprintf(out + n, size - n, "%d.%03ds", (int)s, (int)ms);
        else
            snprintf(out + n, size - n, "%ds", (int)s);
    }
}

void format_fps(char *out, size_t size, AVRational fps)
{
    size_t n;

    if (!out || !size)
        return;
    if (fps.den == 1 || fps.den <= 0) {
        snprintf(out, size, fps.den == 1 ? "%d" : "%d/%d", fps.num, fps.den);
        return;
    }
    /* three decimals tell every NTSC rate from its whole neighbour
     * (23.976, 29.97, 59.94); trailing zeros are not written */
    snprintf(out, size, "%.3f", (double)fps.num / fps.den);
    n = strlen(out);
    while (n > 1 && out[n - 1] == '0')
        out[--n] = 0;
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = 0;
}

void format_ms(char *out, size_t size, int64_t us)
{
    if (out && size)
        snprintf(out, size, us < 10000 ? "%.1f" : "%.0f", us / 1000.0);
}

void format_elapsed(char *out, size_t size, int64_t us)
{
    char ms[32];

    if (!out || !size)
        return;
    if (us < US) {
        format_ms(ms, sizeof(ms), us);
        snprintf(out, size, "%s ms", ms);
    } else {
        snprintf(out, size, "%.1f s", us / 1e6);
    }
}

/* The escape of c into esc (NUL-terminated), or 0 when c goes as it is. */
static int json_escape(unsigned char c, char esc[8])
{
    if (c == '"' || c == '\\')
        snprintf(esc, 8, "\\%c", c);
    else if (c == '\n')
        snprintf(esc, 8, "\\n");
    else if (c < 0x20)
        snprintf(esc, 8, "\\u%04x", c);
    else
        return 0;
    return 1;
}

int json_append_string(Buf *b, const char *s)
{
    size_t was = b->len, run;
    char esc[8];
    int ret = buf_append(b, "\"", 1);

    while (ret >= 0 && *s) {
        /* unescaped runs go in one append */
        for (run = 0; s[run] && !json_escape((unsigned char)s[run], esc); run++)
            ;
        if (run) {
            ret = buf_append(b, s, run);
            s += run;
        } else {
            ret = buf_append(b, esc, strlen(esc));
            s++;
        }
    }
    if (ret >= 0)
        ret = buf_append(b, "\"", 1);
    if (ret < 0)
        buf_truncate(b, was);
    return ret;
}

void json_write_string(FILE *f, const char *s)
{
    char esc[8];

    fputc('"', f);
    for (; *s; s++) {
        if (json_escape((unsigned char)*s, esc))
            fputs(esc, f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}
