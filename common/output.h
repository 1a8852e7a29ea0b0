/*
 * common/output.h: what the config (conf/), the packager and the CLI must
 * agree on about a channel's output, each written once here: the output
 * formats and their names.
 *
 * Everything here is pure (no I/O, no allocation) and thread safe.
 */
#ifndef ONAIR_COMMON_OUTPUT_H
#define ONAIR_COMMON_OUTPUT_H

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

#endif
