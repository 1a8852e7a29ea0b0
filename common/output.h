/*
 * common/output.h: what the config (conf/), the packager, the sinks (sink/:
 * dir, push, serve) and the CLI must agree on about a channel's output, each
 * written once here: the output formats and their names, the names of the
 * files in the output tree, their Content-Types, the sink plug point,
 * listen addresses, and the defaults of push and serve that a config may
 * leave out.
 *
 * conf/ includes only common/, so a default that the option tables print
 * and the sink applies lives here, beside the others of its sink.
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

/* ---- ad break markers (output.ad_markers, output.interstitials) -------- */

/* How the playlists and the manifest mark an ad break: a mask of these
 * bits (playlist/playlist.h writes them).
 *   daterange  HLS: EXT-X-DATERANGE with SCTE35-OUT / SCTE35-IN (RFC 8216bis)
 *   cue        HLS: EXT-X-CUE-OUT / -CUE-OUT-CONT / -CUE-IN on the segments,
 *              which AWS MediaTailor and Google DAI read
 *   dash_bin   DASH: the EventStream is urn:scte:scte35:2014:xml+bin (the cue
 *              in base64) instead of urn:scte:scte35:2013:xml
 * A DASH manifest always marks its breaks: dash_bin only picks the scheme. */
enum AdMarkers {
    AD_MARKERS_DATERANGE = 1 << 0,
    AD_MARKERS_CUE       = 1 << 1,
    AD_MARKERS_DASH_BIN  = 1 << 2,
};

/* The names users write (output.ad_markers), NULL-terminated, in the order
 * of the bits: "daterange", "cue", "dash_bin". */
extern const char *const ad_marker_names[];
#define AD_MARKERS_DEFAULT "daterange"

/* A name of ad_marker_names -> its AD_MARKERS_* bit; 0 when it is none of
 * them (exact: no case folding, no spaces). NULL gives 0. */
unsigned ad_marker_parse(const char *name);

/* What an HLS Interstitials player is asked not to let a viewer do during a
 * break (X-RESTRICT): output.interstitials.restrict, a mask of these bits,
 * named by interstitial_restrict_names ("skip", "jump", NULL). */
enum InterstitialRestrict {
    INTERSTITIAL_RESTRICT_SKIP = 1 << 0,   /* skip the ad */
    INTERSTITIAL_RESTRICT_JUMP = 1 << 1,   /* seek past the break */
};
extern const char *const interstitial_restrict_names[];
#define INTERSTITIAL_RESTRICT_DEFAULT (INTERSTITIAL_RESTRICT_SKIP | INTERSTITIAL_RESTRICT_JUMP)

/* A name of interstitial_restrict_names -> its bit; 0 for any other. */
unsigned interstitial_restrict_parse(const char *name);

/* ---- the files of the output tree ------------------------------------- */

/*   OUTDIR/master.m3u8, OUTDIR/manifest.mpd
 *   OUTDIR/<rendition>/index.m3u8, init.mp4,
 *   seg_<number>.<ext> (a segment), seg_<number>.p<index>.<ext> (an LL-HLS part)
 * with <number> in at least 8 digits (seg_00000012.ts, seg_00000012.p3.m4s)
 * and <ext> ts or m4s. A name is never reused, which is why players and
 * CDNs may keep segments and parts for long. */

/* seg_<number>: the prefix and the printf width of the number, which the
 * DASH SegmentTemplate ($Number%08d$) writes too. */
#define OUTPUT_SEGMENT_PREFIX "seg_"
#define OUTPUT_NUMBER_WIDTH "08"
#define OUTPUT_MASTER "master.m3u8"        /* at the top of OUTDIR */
#define OUTPUT_MANIFEST "manifest.mpd"
#define OUTPUT_MEDIA_PLAYLIST "index.m3u8"  /* in each rendition's folder */
#define OUTPUT_INIT "init.mp4"

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

/* ---- the sink plug point ------------------------------------------------ */

/* Where the packager's files go: one const table per kind, so a sink is a
 * row rather than a branch through the packager. It lives here because the
 * packager (which calls it) and sink/ (which implements it) never include
 * each other; the graph hands the packager its sink (PackagerConfig.sink).
 * The one kind today is sink/sink.h's sink_dir, which writes to a folder
 * that the server (serve) reads and the pushers (push) follow.
 *
 * Called from the packager's thread only. Each returns 0 or an AVERROR. */
typedef struct SinkKind {
    const char *name;
    /* Opens target (the output folder); *priv is the sink's, passed back
     * to every other call. */
    int (*open)(void **priv, const char *target);
    /* Replaces path (relative to the target) atomically: readers see the old
     * file or the new one, never a part. */
    int (*write)(void *priv, const char *path, const uint8_t *data, size_t size);
    /* Removes path; one that is not there is not an error. */
    int (*remove)(void *priv, const char *path);
    /* Frees *priv and NULLs it. */
    void (*close)(void **priv);
} SinkKind;

/* ---- listen addresses --------------------------------------------------- */

/* "127.0.0.1:8080", "[::1]:8080" (IPv6 in brackets), ":8080" (every
 * address, IPv6 and IPv4), "localhost:8080" (a name: its addresses). */
typedef struct ListenAddr {
    char host[256];                   /* "" for every address; IPv6 without brackets */
    int ipv6;                         /* host was written in brackets */
    int port;                         /* 0-65535; 0: a free port, picked when bound */
} ListenAddr;

/* Parses text; on error writes a message for the user into err (naming
 * text) and returns AVERROR(EINVAL) for the form, AVERROR(ERANGE) for the
 * port. A name is letters, digits, '.' and '-'; an IPv6 address hex
 * digits, ':' and '.'; a port 1 to 5 digits, at most 65535.
 *
 * Port 0 is valid here: the server binds a free port then (tests, tools).
 * A channel's output.serve.listen refuses it: who pulls from a channel
 * must know where. */
int listen_parse(const char *text, ListenAddr *out, char *err, size_t err_size);

/* ---- push defaults (sink/push.c, output.push) -------------------------- */

/* Written as the option tables spell them: whole units, so that one
 * constant gives both the number and the text ("5s", "1G"). */
#define PUSH_RETRY_MAX_DEFAULT_S 5    /* cap of the retry backoff */
#define PUSH_TIMEOUT_DEFAULT_S 10     /* per request */
#define PUSH_SPOOL_DEFAULT_GIB 1      /* what may wait on disk while the origin fails */

/* ---- webhook (sink/webhook.c, events) ---------------------------------- */

#define WEBHOOK_RETRY_MAX_S 5         /* cap of the retry backoff while the receiver fails */

/* ---- serve defaults and limits (sink/serve.c, output.serve) ------------ */

/* Connections open at once, in all, where the open files allow it; per
 * address, half of them. */
#define SERVER_CONNECTIONS_DEFAULT 1024
/* An idle connection is closed after this (players and CDNs ask again
 * within a segment or two). */
#define SERVER_IDLE_TIMEOUT_DEFAULT_S 15
/* The server raises the soft limit of open files to the hard one, up to
 * this; each connection may hold two (its socket and the file it sends),
 * which bounds what can be asked. */
#define SERVER_OPEN_FILES_MAX 65536
#define SERVER_CONNECTIONS_MAX (SERVER_OPEN_FILES_MAX / 2)

/* ---- the admin listener (admin/, `onair run --admin`) ------------------- */

/* Where it listens unless --admin says otherwise ("none": nowhere), and the
 * environment variable that holds the token changes need, unless
 * --admin-token-env names another. */
#define ADMIN_LISTEN_DEFAULT "127.0.0.1:9780"
#define ADMIN_TOKEN_ENV_DEFAULT "ONAIR_ADMIN_TOKEN"
/* A request body past this is answered 413. */
#define ADMIN_BODY_MAX (64 * 1024)

/* Content-Types of what it answers beside files (output_content_type). */
#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_EVENT_STREAM "text/event-stream"

#endif
