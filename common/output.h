/*
 * common/output.h: what the config (conf/), the packager, its sinks (dir,
 * push, serve) and the CLI must agree on about a channel's output, each
 * written once here: the output formats and their names, the names of the
 * files in the output tree, and their Content-Types.
 *
 * Everything here is pure (no I/O, no allocation) and thread safe.
 * Errors are negative AVERROR-compatible codes; 0 is success.
 */
#ifndef ONAIR_COMMON_OUTPUT_H
#define ONAIR_COMMON_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

/* ---- formats ----------------------------------------------------------- */

/* What an output holds: a mask of these bits (cmaf is HLS_FMP4 | DASH over
 * one set of segments). */
enum OutputFormat {
    FORMAT_HLS_TS   = 1 << 0,   /* hls: MPEG-TS segments, audio muxed with every rung */
    FORMAT_HLS_FMP4 = 1 << 1,   /* hls-fmp4: fMP4 segments, audio its own rendition */
    FORMAT_DASH     = 1 << 2,   /* dash: fMP4 segments, manifest.mpd */
};

/* The names users write (--format, output.formats), NULL-terminated:
 * "hls", "hls-fmp4", "dash", "cmaf". */
extern const char *const output_format_names[];

/* What output.formats and --format mean when not given; and the segment
 * length of output.segment and --segment, in whole seconds. */
#define OUTPUT_FORMAT_DEFAULT "hls"
#define OUTPUT_SEGMENT_DEFAULT_S 2

/* A name of output_format_names -> its FORMAT_* mask; 0 when it is none of
 * them (exact: no case folding, no spaces). NULL gives 0. */
unsigned output_format_parse(const char *name);

/* ---- the files of the output tree ------------------------------------- */

/*   OUTDIR/master.m3u8, OUTDIR/manifest.mpd
 *   OUTDIR/<rendition>/index.m3u8, init.mp4,
 *   seg_<number>.<ext> (a segment), seg_<number>.p<index>.<ext> (an LL-HLS part)
 * with <number> in at least 8 digits (seg_00000012.ts, seg_00000012.p3.m4s)
 * and <ext> ts or m4s. A name is never reused, which is why players and
 * CDNs may keep segments and parts for long. */

/* What a published file is, for whoever follows the output (a push to an
 * origin must send a playlist only after the segments it lists). */
enum PublishedKind {
    PUBLISHED_INIT,                   /* init.mp4 */
    PUBLISHED_SEGMENT,                /* seg_*.ts / .m4s */
    PUBLISHED_PART,                   /* an LL-HLS part */
    PUBLISHED_PLAYLIST,               /* index.m3u8, master.m3u8 */
    PUBLISHED_MANIFEST,               /* manifest.mpd */
};

/* The sink writes a file under its name plus this, then renames it into
 * place; one left behind is a write cut short. */
#define OUTPUT_TMP_SUFFIX ".tmp"

/* The file name of segment `number` (part < 0) or of its part `part`, with
 * extension ext ("ts", "m4s"; NULL or "": none). Cut to fit size, always
 * terminated. */
void output_name(char *out, size_t size, int64_t number, int part, const char *ext);

/* A name of the output tree, read back. */
typedef struct OutputName {
    enum PublishedKind kind;
    int top;                          /* master.m3u8, manifest.mpd: at the top of OUTDIR;
                                       * the others are in a rendition's folder */
    int64_t number;                   /* SEGMENT, PART: the segment's number; else -1 */
    int part;                         /* PART: its index in the segment; else -1 */
    const char *ext;                  /* SEGMENT, PART: "ts" or "m4s" (static); else NULL */
} OutputName;

/* name (a file name, no folder) -> what it is. Only what the packager
 * writes is one: the fixed names above, and segments and parts with 1 to
 * 19 digits whose number fits in an int64_t, a part index of 1 to 4 digits,
 * extension ts or m4s, and nothing after it. AVERROR(EINVAL) for anything
 * else; out may be NULL to only ask. */
int output_name_parse(const char *name, OutputName *out);

/* ---- Content-Type ------------------------------------------------------ */

/* The Content-Type of a file by its extension: every file onair writes
 * (.m3u8, .mpd, .ts, .m4s, .mp4) and the player page's (.html, .js, .css,
 * .map); "application/octet-stream" for any other. path may have folders;
 * only the last name's extension counts. The string is static. */
const char *output_content_type(const char *path);

/* The same as a row of a fixed table, for who prepares something per type
 * (push builds its request headers once): 0 <= row < OUTPUT_CONTENT_TYPES,
 * the last row being "application/octet-stream". */
#define OUTPUT_CONTENT_TYPES 10
int output_content_type_row(const char *path);
const char *output_content_type_of_row(int row);

#endif
