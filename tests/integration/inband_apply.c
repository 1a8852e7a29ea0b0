/* Applies packager/inband.c to a segment file, for inband_test.py to judge
 * the result with ffprobe and mp4box.js:
 *
 *   inband_apply ts IN OUT PID [SECTION_HEX [CC]]
 *       declares PID in every PMT; with a section, adds it as the cue
 *   inband_apply emsg IN OUT TIMESCALE PRESENTATION_TIME DURATION ID SECTION_HEX
 *       an emsg (urn:scte:scte35:2013:bin, value "") before the first moof
 *
 * Exit 0 when the function returned >= 0; 1 with its error otherwise. */
#include "packager/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

static int read_file(const char *path, Buf *b)
{
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f)
        return AVERROR(errno);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_append(b, chunk, n) < 0) {
            fclose(f);
            return AVERROR(ENOMEM);
        }
    fclose(f);
    return 0;
}

static int write_file(const char *path, const Buf *b)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f))
        return AVERROR(errno ? errno : EIO);
    return 0;
}

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;

    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

int main(int argc, char **argv)
{
    static uint8_t sec[4096];
    Buf b = { 0 };
    size_t n = 0;
    int ret;

    if (argc < 5 || (strcmp(argv[1], "ts") && strcmp(argv[1], "emsg")) ||
        (!strcmp(argv[1], "emsg") && argc != 9)) {
        fprintf(stderr, "usage: inband_apply ts IN OUT PID [SECTION_HEX [CC]]\n"
                        "       inband_apply emsg IN OUT TIMESCALE PTS DURATION ID SECTION_HEX\n");
        return 2;
    }
    if ((ret = read_file(argv[2], &b)) < 0)
        goto end;
    if (!strcmp(argv[1], "ts")) {
        int pid = (int)strtol(argv[4], NULL, 0), cc = argc > 6 ? atoi(argv[6]) : 0;
        if ((ret = ts_declare_scte35(b.data, b.len, pid)) < 0)
            goto end;
        if (argc > 5) {
            n = unhex(sec, sizeof(sec), argv[5]);
            if ((ret = ts_add_scte35(&b, sec, n, pid, &cc)) < 0)
                goto end;
        }
    } else {
        n = unhex(sec, sizeof(sec), argv[8]);
        ret = fmp4_add_emsg(&b, sec, n, (uint32_t)strtoul(argv[4], NULL, 0),
                            strtoull(argv[5], NULL, 0), (uint32_t)strtoul(argv[6], NULL, 0),
                            (uint32_t)strtoul(argv[7], NULL, 0), "urn:scte:scte35:2013:bin", "");
        if (ret < 0)
            goto end;
    }
    ret = write_file(argv[3], &b);
end:
    buf_free(&b);
    if (ret < 0) {
        fprintf(stderr, "inband_apply: %s\n", av_err2str(ret));
        return 1;
    }
    return 0;
}
