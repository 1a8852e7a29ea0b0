/*
 * conf: what users write — durations, bitrates and ladder specs on the
 * command line, and channel configs (YAML, schema version 1, DESIGN.md).
 *
 * Parsers return 0 or AVERROR(EINVAL); on error they write a message for
 * the user into err (which the caller prefixes with the flag or place).
 * The channel loader never prints: it returns its messages in a ConfReport
 * and the CLI prints them.
 */
#ifndef ONAIR_CONF_H
#define ONAIR_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/rational.h>

#include "common/common.h"
#include "common/output.h"

/* "500ms", "2s", "2", "1.5s", "30m", "1h", "1h30m" -> microseconds, > 0. */
int conf_parse_duration(const char *text, int64_t *us, char *err, size_t err_size);

/* "800k", "5M", "128000", "2.5M" -> bits per second, > 0. */
int conf_parse_bitrate(const char *text, int64_t *bps, char *err, size_t err_size);

/* A named rung ("720p") or "WxH@BITRATE" ("960x540@2000k"; "960x540" takes
 * the bitrate of the nearest named rung by height). */
int conf_parse_rung(const char *text, Rung *rung, char *err, size_t err_size);

/* Comma-separated rungs, at most LADDER_MAX, names unique. */
int conf_parse_ladder(const char *text, Rung *rungs, int *count, char *err, size_t err_size);

#define CONF_DEFAULT_LADDER "720p,480p,360p"

/* ---- channel config (YAML) ----------------------------------------------
 *
 * Every key is declared once, in the option tables of conf/options.c (key,
 * type, offset, default, range, help): they drive the loader, the defaults,
 * the range checks, conf_reference_markdown() (docs/config-reference.md)
 * and conf_reference_man() (the onair-channel(5) man page).
 */

#define CONF_SCHEMA_VERSION 1

enum ConfSeverity { CONF_ERROR = 0, CONF_WARNING };

typedef struct ConfMessage {
    enum ConfSeverity severity;
    int line, column;        /* 1-based, as editors count; 0 when about the whole file */
    char *text;              /* owned by the report */
    char *file;              /* the file it is about, owned; NULL: the report's */
} ConfMessage;

/* What a load found, in file order (or what conf_check_together found, in
 * the order of the files). Zero-initialise it once; each load or check
 * clears what it held before, and conf_report_clear() frees it. */
typedef struct ConfReport {
    char *file;              /* the name messages are given under, unless their own; owned */
    ConfMessage *messages;   /* owned */
    int count, errors, warnings;
} ConfReport;

void conf_report_clear(ConfReport *r);
/* "FILE:LINE:COL: error: TEXT" (or "FILE: warning: TEXT" without a place),
 * as compilers print it; truncated to size. */
void conf_message_format(const ConfReport *r, const ConfMessage *m, char *buf, size_t size);

enum ConfSourceKind { CONF_SOURCE_GENERATE = 0, CONF_SOURCE_FILE, CONF_SOURCE_URL };

typedef struct ConfSource {
    char *name;
    enum ConfSourceKind kind;
    const char *generate;    /* GENERATE: "testsrc", "color" or "slate" (static) */
    char *file;              /* FILE: the path, resolved against the config's folder */
    char *url;               /* URL */
    int loop;                /* FILE: start again at the end */
    int64_t start;           /* FILE: microseconds into the file to begin at */
    char *backup;            /* URL: what replaces it when it stops delivering, or NULL */
    int backup_source;       /* ... when backup names a source: its index, else -1 */
    int64_t timeout;         /* URL: microseconds without data before the backup takes over */
    const char *scte35;      /* "pass" (SCTE-35 cues in its MPEG-TS are taken over onto the
                              * channel's clock) or "ignore"; static. Meant for URL sources */
    int line, column;        /* where the source is defined (its name) */
} ConfSource;

enum ConfAtKind {
    CONF_AT_NONE = 0,        /* follows the item before */
    CONF_AT_ABSOLUTE,        /* at = microseconds since the epoch, UTC */
    CONF_AT_DAILY,           /* at = microseconds after local midnight, in the channel's zone */
};

/* An item is a program ({ source, duration }) or an ad break ({ break:
 * LENGTH }, source optional): a break airs like any item (it follows, or
 * starts `at`) and its entries are marked SCHEDULE_BREAK. */
typedef struct ConfItem {
    int source;              /* index into ChannelConf.sources; a break without one: -1,
                              * the slate (a program always has one) */
    int64_t duration;        /* microseconds, > 0: `duration`, or a break's `break` */
    char *title;             /* never NULL: the source's name when not given (a break:
                              * CONF_BREAK_TITLE) */
    enum ConfAtKind at_kind;
    int64_t at;
    int is_break;            /* written `break:` instead of `duration:` */
    char *break_id;          /* a break: its id, unique in the channel (as-run log, the
                              * DATERANGE's ID); given, else "break-N" with N its 1-based
                              * place in schedule.items. Letters, digits and - _ . : /.
                              * NULL for a program */
    int line, column;        /* where the item starts */
} ConfItem;

#define CONF_BREAK_TITLE "Ad break"        /* a break's title when not given */
#define CONF_BREAK_ID_PREFIX "break-"      /* a break's id when not given: break-N */
#define CONF_BREAK_ID_MAX 64               /* characters */

typedef struct ConfVideo {
    int width, height;       /* the program canvas, even */
    AVRational fps;          /* one of 24000/1001, 24, 25, 30000/1001, 30, 50, 60000/1001, 60 */
} ConfVideo;

typedef struct ConfAudio {
    int sample_rate, channels;
    int64_t bitrate;         /* bits per second */
    double loudness;         /* EBU R128 target in LUFS; 0 = not normalised */
} ConfAudio;

typedef struct ConfEncoder {
    const char *backend;     /* auto, x264, nvenc, vaapi, qsv (static strings) */
    const char *fallback;    /* x264 or none */
    const char *preset;      /* x264 preset name */
} ConfEncoder;

typedef struct ConfSlate {
    char *text;              /* centred on the slate; may be "" */
    uint32_t color;          /* 0xRRGGBB */
    char *image;             /* resolved path, or NULL */
} ConfSlate;

typedef struct ConfLowLatency {
    int64_t part;            /* LL-HLS part length in µs; 0 = off */
} ConfLowLatency;

/* The server's limits (sink/sink.h ServerLimits); 0: the server's default
 * (common/output.h SERVER_*_DEFAULT*).
 * Channels that share a listen address share one server: what they give
 * must agree (conf_check_together; onair run refuses to start otherwise). */
typedef struct ConfServe {
    char *listen;            /* "HOST:PORT" (listen_parse, port 1-65535), or NULL: not served */
    int connections;         /* open at once, in all */
    int per_address;         /* open at once from one client address (IPv6: its /64) */
    int64_t idle_timeout;    /* µs, whole seconds; an idle connection is closed after it */
    /* where each is written; 0: not */
    int connections_line, connections_column;
    int per_address_line, per_address_column;
    int idle_timeout_line, idle_timeout_column;
} ConfServe;

#define CONF_PUSH_MAX 8         /* push targets per channel */
#define CONF_HEADERS_MAX 32      /* extra headers per target */
#define CONF_ETCD_MAX 9          /* members of an etcd cluster */

typedef struct ConfHeaders {
    char **lines;            /* "Name: value" each */
    int count;
} ConfHeaders;

/* One push target. Credentials are never in the file: the *_env keys name
 * environment variables read when the channel starts. */
typedef struct ConfPush {
    char *url;               /* http(s) base URL ending in '/' */
    char *name;              /* [a-z0-9-]+, unique in the channel: the target's label in
                              * metrics and events; NULL: its index */
    char *bearer_env;        /* the environment variable holding the token, or NULL */
    char *basic_user_env;    /* HTTP basic auth from these two, or NULL */
    char *basic_password_env;
    ConfHeaders headers;     /* extra request headers */
    char *ca_file;           /* resolved PEM bundle for https, or NULL: the system's */
    char *aws_sigv4;         /* "aws:amz:REGION:SERVICE" (libcurl's form), or NULL */
    char *aws_key_env;       /* access key id and secret for SigV4 */
    char *aws_secret_env;
    int delete_segments;     /* DELETE what leaves the window */
    int64_t spool;           /* bytes that may wait on disk while the origin fails */
    int64_t timeout;         /* per request, µs */
    int64_t retry_max;       /* cap of the retry backoff, µs */
    int line, column;        /* where the target starts */
} ConfPush;

/* HLS Interstitials (output.interstitials): each break is also an
 * EXT-X-DATERANGE of CLASS="com.apple.hls.interstitial" naming the ad
 * server. Off when neither URL is given. */

typedef struct ConfInterstitials {
    char *asset_list;        /* X-ASSET-LIST: an http(s) URL, or NULL */
    char *asset_uri;         /* X-ASSET-URI: an http(s) URL, or NULL; at most one of the two */
    unsigned restrictions;   /* INTERSTITIAL_RESTRICT_* bits (common/output.h; `restrict`; default both) */
} ConfInterstitials;

typedef struct ConfOutput {
    char *dir;               /* resolved against the config's folder; not created by the loader */
    int dir_line, dir_column;  /* where dir is written */
    int64_t segment;         /* microseconds */
    int window;              /* segments in a live playlist */
    unsigned formats;        /* FORMAT_* bits (common/output.h) */
    ConfLowLatency low_latency;
    ConfServe serve;
    ConfPush push[CONF_PUSH_MAX];  /* output.push: one mapping, or a list of them */
    int nb_push;
    unsigned ad_markers;     /* AD_MARKERS_* bits (common/output.h); default daterange */
    ConfInterstitials interstitials;
} ConfOutput;

/* Where the channel's events go (docs/api.md, Events), besides the admin
 * API and the log. The secret is never in the file: secret_env names the
 * environment variable read when the channel starts. */
typedef struct ConfEvents {
    char *url;               /* http(s) URL each event is POSTed to; NULL: no webhook */
    char *secret_env;        /* the variable holding the HMAC key; NULL: unsigned */
} ConfEvents;

/* A list of URLs (one alone may be written bare). */
typedef struct ConfUrls {
    char **urls;
    int count;
} ConfUrls;

/* redundancy: an A/B pair of instances agreeing through etcd
 * (redundancy/redundancy.h); etcd.count 0: one instance alone. */
typedef struct ConfRedundancy {
    ConfUrls etcd;           /* client URLs of the etcd cluster */
    int64_t lease;           /* µs, whole seconds */
} ConfRedundancy;

typedef struct ConfSchedule {
    int loop;                /* after the last item, start again from the first without at */
    ConfItem *items;         /* in file order */
    int nb_items;
} ConfSchedule;

/* A channel, as loaded and checked. Everything it points to is owned by it
 * (except the static strings named above) and freed by conf_free(). It is
 * never changed after conf_load(), so threads may share it. */
typedef struct ChannelConf {
    char *path;              /* the file it was loaded from (or the name given) */
    int version;
    char *channel;           /* [a-z0-9-]+ */
    int channel_line, channel_column;  /* where the id is written */
    char *title;             /* the channel id when not given */
    char *timezone;          /* tzdata name */
    Tz *tz;                  /* that zone, loaded */
    ConfVideo video;
    ConfAudio audio;
    Rung ladder[LADDER_MAX];
    int nb_rungs;
    ConfEncoder encoder;
    ConfSlate slate;
    ConfSource *sources;
    int nb_sources;
    ConfSchedule schedule;
    ConfOutput output;
    ConfEvents events;
    ConfRedundancy redundancy;
} ChannelConf;

/* Loads and checks the channel at `path`. report receives every error and
 * warning with its place, on success too (warnings). On success *out is a complete
 * ChannelConf the caller owns; on any error *out is NULL (nothing is half
 * loaded) and the return is negative: AVERROR(EINVAL) for a config with
 * errors, an errno code when the file cannot be read, AVERROR(ENOMEM).
 * Relative paths inside resolve against the folder of `path`. */
int conf_load(ChannelConf **out, const char *path, ConfReport *report);

/* The same from memory. name is what messages call the file. base_dir is
 * the folder relative paths resolve against; NULL leaves paths as written
 * and skips every check that touches the file system (whether a file
 * source exists), which is what the fuzzer wants. The time zone is read. */
int conf_load_string(ChannelConf **out, const char *yaml, size_t len, const char *name,
                     const char *base_dir, ConfReport *report);

void conf_free(ChannelConf **conf);

/* Every key of the schema as a markdown table (key, type, default, range,
 * description), generated from the option tables. */
int conf_reference_markdown(Buf *out);
/* The same keys, and the same prose around them, as the onair-channel(5)
 * man page (roff, man macros); version is onair's, for the page's footer. */
int conf_reference_man(Buf *out, const char *version);

/* ---- several channels in one process --------------------------------- */

/* What `onair run` refuses in channels that each loaded without errors: two
 * with one channel id, two with one output.dir, and channels sharing a
 * listen address (as listen_parse reads it) that give one of its server's
 * limits differently, or a per_address above the connections another gives.
 * It only reads the confs. Each error goes into report under the file at
 * fault (ConfMessage.file), at the key's place, naming the other file;
 * report is cleared first. Returns 0, AVERROR(EINVAL) when there are errors,
 * or AVERROR(ENOMEM). */
int conf_check_together(ChannelConf *const *confs, int n, ConfReport *report);

/* One built-in server, as the channels naming its listen address give it;
 * 0: the server's default. */
typedef struct ConfServer {
    const char *listen;      /* as the first of them writes it (in its conf) */
    int connections, per_address;
    int64_t idle_timeout;    /* µs, whole seconds */
} ConfServer;

/* The server of confs[i], its limits merged from every channel of confs
 * that shares its listen address (each as given once or alike, which
 * conf_check_together makes sure of). Returns the index of the first of
 * those channels, which names the server among confs, or -1 when confs[i]
 * is not served (*out is then zeroed). */
int conf_server_of(ChannelConf *const *confs, int n, int i, ConfServer *out);

/* "HH:MM[:SS]" -> µs after midnight, or ISO 8601 with a zone
 * ("2026-11-25T12:00:00Z", "...+01:00") -> µs since the epoch. */
int conf_parse_at(const char *text, enum ConfAtKind *kind, int64_t *at,
                  char *err, size_t err_size);

#endif
