/*
 * sink: where a channel's output goes once the packager has cut it.
 *
 *   dir    (dir.c) the packager's files into the output folder, each written
 *          under a temporary name and renamed into place: the SinkKind that
 *          the graph hands the packager (common/output.h, the plug point).
 *   serve  (serve.c, http.c, lowlatency.c, watch.c) the built-in HTTP server:
 *          players and CDNs pull the folder, LL-HLS blocking reloads wait on
 *          suspended connections woken by inotify.
 *   push   (push.c, push_report.c) one pusher per push target PUTs what the
 *          packager published to an origin, in an order that never lets a
 *          playlist name a file the origin lacks.
 *   webhook (webhook.c) a channel's events (common/metrics.h) POSTed to a
 *          receiver, signed, in order, across its outages.
 *
 * A stage: it includes common/ and playlist/ (the server reads live
 * playlists back), never packager/; the graph (graph/) wires the packager
 * to the dir sink and to the pushers, and cli/run.c starts the servers.
 */
#ifndef ONAIR_SINK_H
#define ONAIR_SINK_H

#include <stdint.h>

#include "common/common.h"
#include "common/metrics.h"
#include "common/output.h"

/* ---- the dir sink (dir.c) ----------------------------------------------- */

/* Writes into the folder it is opened on (made if missing, with the
 * folders of each path on demand): a new file goes to its name plus
 * OUTPUT_TMP_SUFFIX and is renamed into place, so a reader (a player
 * polling a playlist, the server, a pusher reading a playlist) never sees
 * half a file. */
extern const SinkKind sink_dir;

/* ---- the built-in HTTP server (serve.c) --------------------------------- */

/* Serves live channels' output folders over HTTP (libmicrohttpd), for players
 * and for a CDN that pulls:
 *
 *   /<id>/master.m3u8, /<id>/manifest.mpd, /<id>/<rendition>/index.m3u8,
 *   /<id>/<rendition>/init.mp4, /<id>/<rendition>/seg_<n>.ts|.m4s,
 *   /<id>/<rendition>/seg_<n>.p<i>.ts|.m4s (LL-HLS parts)
 *                  the channel's files, read fresh on every request; nothing
 *                  else in its folder (the state file, other files, links
 *                  leading out) is reachable: 404, or 400 for malformed URLs
 *   /<id>/         the player page (web_root/player.html, hls.js)
 *   /player/<file> the page's scripts from web_root; hls.min.js is
 *                  web_root/node_modules/hls.js/dist/hls.min.js (npm ci)
 *   /time          the server's UTC time, ISO 8601 (DASH UTCTiming http-iso)
 *   /              the channels, with links
 *
 * HTTP, as a CDN pulling from an origin wants it:
 * - GET, HEAD and OPTIONS (a CORS preflight: 204 with Allow-Methods,
 *   Allow-Headers naming Range and the conditional headers, Max-Age); other
 *   methods 405. Keep-alive.
 * - Every response, errors too, carries Access-Control-Allow-Origin: * and
 *   Access-Control-Expose-Headers (Content-Length, Content-Range, ETag, Age,
 *   ...). Only the few answers libmicrohttpd makes itself, to requests it
 *   cannot parse (431, 414 past its 32 KiB buffer), go without.
 * - Files carry a strong ETag ("inode-size-mtime in ns", hex) and, once a
 *   file is over a second old, Last-Modified (a younger file could change
 *   again within the same second, which Last-Modified cannot tell apart).
 *   If-None-Match (weak comparison, or *) and else If-Modified-Since answer
 *   304 with no body.
 * - Accept-Ranges: bytes. One range (a-b, a-, -n) answers 206 with
 *   Content-Range; a range past the end 416 with a Content-Range that
 *   gives the size; several ranges, a malformed one, or an If-Range that no longer
 *   matches answer 200 with the whole file (RFC 7233 allows ignoring Range).
 * - Content-Type: output_content_type (common/output.h): .m3u8
 *   application/vnd.apple.mpegurl, .mpd application/dash+xml, .ts
 *   video/mp2t, .m4s video/iso.segment, .mp4 video/mp4.
 * - Cache-Control: playlists, manifests and init segments max-age=1;
 *   segments and parts max-age=86400, immutable (a name is never reused);
 *   errors no-cache.
 * - Limits (ServerLimits): more connections than allowed, in all or from one
 *   address, are answered 503 (Retry-After: 1) and closed, and closed at
 *   once by libmicrohttpd past a small margin; an idle connection is closed
 *   after timeout_s. The server only reads files, from its own threads; a
 *   slow or stalled client costs one connection, never a thread, and never
 *   delays a channel. Bodies over 16 KiB go out from the file (sendfile). */
typedef struct Server Server;

/* The defaults are common/output.h's SERVER_*, which the config's help
 * text gives too. */
typedef struct ServerLimits {
    int connections;     /* open at once; 0: default, SERVER_CONNECTIONS_DEFAULT where
                          * descriptors allow */
    int per_address;     /* open at once from one client address (IPv6: its /64);
                          * 0: default, half of connections */
    int timeout_s;       /* an idle connection is closed; 0: default,
                          * SERVER_IDLE_TIMEOUT_DEFAULT_S */
} ServerLimits;

/* The limits server_new uses on this host: the connections are bounded by
 * the open files allowed (each may hold a socket and a file). */
void server_default_limits(ServerLimits *out);

/* The most connections a server started now would allow: what the open
 * files leave room for once it has raised their soft limit to the hard one
 * (as server_new does). For onair check, which binds nothing. */
int server_connections_allowed(void);

/* Starts serving on listen (listen_parse, common/output.h): "127.0.0.1:8080",
 * "[::1]:8080", ":8080" (every address, IPv6 and IPv4), "localhost:8080"
 * (the first address of the name that binds); port 0 picks a free one
 * (server_port). web_root: the folder
 * with player.html and node_modules/; NULL: web_root_default() (the
 * installed copy, else the source tree's web/: common/common.h). Both strings are copied. A
 * failure is logged naming the address ("127.0.0.1:8080: Address already in
 * use") and leaves *s NULL. Raises the process's soft limit of open files to
 * its hard limit (at most SERVER_OPEN_FILES_MAX; nothing in onair uses
 * select()). The caller owns *s (server_free). */
int server_new(Server **s, const char *listen, const char *web_root);

/* server_new with limits; NULL or a 0 field: the default. Connections beyond
 * what the open files allow are clamped, with a warning. */
int server_new_limited(Server **s, const char *listen, const char *web_root,
                       const ServerLimits *limits);

/* The limits in force. */
void server_limits(const Server *s, ServerLimits *out);

/* The port actually bound. */
int server_port(const Server *s);

/* onair_http_requests_total{code} (responses this server queued, by
 * status, since it started; codes never answered are left out) and
 * onair_http_connections (open now, those answered 503 for being over the
 * limits too). Samples carry no channel: a server serves them all.
 * Thread safe; visit is called on the caller's thread. */
void server_metrics(Server *s, MetricVisit visit, void *opaque);

/* Serves folder dir as http://LISTEN/<id>/... from now on; id is a channel id
 * ([a-z0-9-]+, not "player" or "time"); dir is copied. Adding an id again
 * replaces its folder. Thread safe, also while requests are served. */
int server_add_channel(Server *s, const char *id, const char *dir);

/* /<id>/ answers 404 from now on (requests already answering finish).
 * Thread safe; an id that is not served is ignored. */
void server_remove_channel(Server *s, const char *id);

/* Stops serving (closes every connection, joins the threads), frees, NULLs. */
void server_free(Server **s);

/* ---- push to an origin (push.c) ----------------------------------------- */

/* Pushes a live channel's output to one CDN origin (or an S3-compatible
 * bucket) by HTTP PUT, at the same relative paths under a base URL, as the
 * packager publishes it. One Pusher per target, with its own thread running
 * libcurl's multi interface: persistent connections, several transfers in
 * flight.
 *
 * Order: a playlist or manifest is sent only once every segment, part and
 * init the packager published before it (and before the version of it that
 * is read) has been accepted (2xx) by this origin; segments go in parallel.
 * So the origin never holds a playlist that names a segment it lacks. A
 * playlist superseded by a newer version of the same path before it went
 * out is not sent: only the newest is.
 *
 * Failures (no connection, timeout, 5xx, 408, 429) are retried with
 * exponential backoff and jitter capped at retry_max; while the origin
 * fails, one request probes it and the rest wait. 401, 403 and other 4xx
 * are reported with what to check and retried at the cap (the origin's side
 * may be fixed). Encoding never waits: files wait in a spool (hard links
 * in OUTDIR/.push-XXXXXXXX/, so the packager deleting a segment from its
 * window does not lose it), bounded by spool bytes; past the bound the
 * oldest waiting segments and parts are dropped with a warning (never an
 * init, never a playlist). When the origin answers again, what waited goes
 * out in publish order. */

typedef struct PushConfig {
    /* the target as metrics and events name it (the push entry's `name`);
     * NULL: its index in the channel's list, "0", "1"... Never the URL,
     * which may carry credentials. Read by the graph. */
    const char *name;
    const char *url;                  /* http(s) base URL ending in '/' */
    const char *bearer_env;           /* Authorization: Bearer $VAR; NULL: none */
    const char *basic_user_env;       /* HTTP basic auth from these two variables; NULL: none */
    const char *basic_password_env;
    const char *const *headers;       /* extra "Name: value" lines, nheaders of them */
    int nheaders;
    const char *ca_file;              /* PEM bundle to verify https with; NULL: the system's */
    const char *aws_sigv4;            /* CURLOPT_AWS_SIGV4, "aws:amz:eu-west-1:s3"; NULL: none */
    const char *aws_key_env;          /* access key id and secret for SigV4 */
    const char *aws_secret_env;
    int delete_segments;              /* DELETE what the packager deletes (404 counts as done) */
    int64_t retry_max_us;             /* backoff cap; 0: PUSH_RETRY_MAX_DEFAULT_S */
    int64_t retry_base_us;            /* first backoff; 0: 100 ms */
    int64_t spool_bytes;              /* bound of what waits; 0: PUSH_SPOOL_DEFAULT_GIB */
    int64_t timeout_us;               /* per request; 0: PUSH_TIMEOUT_DEFAULT_S */
    int64_t flush_us;                 /* pusher_free's last push of what waits; 0: 1 s */
    int max_in_flight;                /* transfers at once; 0: 8 */
    /* Whether playlists and manifests may go out now (an A/B pair's leader:
     * redundancy_may_publish); *until_us the monotonic time that right ends
     * at, which also bounds the request. NULL: always. A playlist that may
     * not go is not sent, nor is a DELETE (held: the leader's playlist may
     * still name the segment); segments always go. */
    int (*may_publish)(void *opaque, int64_t *until_us);
    void *publish_opaque;
} PushConfig;

#define PUSH_CODES_MAX 16

typedef struct PushStats {
    int64_t queued_files;             /* published or deleted here, not yet done */
    int64_t queued_bytes;             /* of the spooled files among them */
    int last_status;                  /* the last HTTP status answered; 0: none yet */
    int failing;                      /* 1 from a request that failed (answered or not: the
                                       * push_failing event) until one succeeds (push_recovered) */
    int64_t pushed;                   /* files accepted (2xx) */
    int64_t pushed_bytes;
    int64_t deleted;                  /* DELETEs done (2xx or 404) */
    int64_t failures;                 /* requests that failed (each one retried) */
    int64_t dropped;                  /* segments dropped: the spool was full (or unreadable) */
    int64_t skipped;                  /* segments that left the window (deleted here) before
                                       * their turn: no playlist on the origin named them */
    int64_t superseded;               /* playlist versions not sent: a newer one came */
    int64_t held;                     /* playlist versions and DELETEs not sent: this
                                       * instance did not publish (an A/B pair's standby) */
    /* publish latency: on_published (file closed and written) to the 2xx of
     * its PUT, over the run; media = segments, parts and inits */
    int64_t media_count, media_p50_us, media_p99_us, media_max_us;
    int64_t playlist_count, playlist_p50_us, playlist_p99_us, playlist_max_us;
    /* requests answered, by HTTP status (0: no answer, a transport error),
     * in the order first seen; codes past PUSH_CODES_MAX distinct ones are
     * counted in requests_other, so a metric's labels stay bounded */
    struct {
        int code;
        int64_t count;
    } requests[PUSH_CODES_MAX];
    int nrequests;
    int64_t requests_other;
} PushStats;

typedef struct Pusher Pusher;

/* Starts pushing to cfg->url what is published in outdir. Every string of
 * cfg is copied; the environment variables it names are read now (one that
 * is unset is warned about, and the request goes without it). channel is for
 * log lines. The caller owns *p (pusher_free). */
int pusher_new(Pusher **p, const PushConfig *cfg, const char *outdir, const char *channel);

/* path (relative to outdir) was written there, in publish order. Only
 * queues it: never blocks on the network or the disk, so the packager's
 * thread may call it (the graph calls it from the packager's on_published).
 * Thread safe. */
int pusher_published(Pusher *p, const char *path, enum PublishedKind kind);

/* path was deleted from outdir (the packager's on_deleted): DELETEd from the
 * origin when cfg->delete_segments, after whatever went before it. Queues
 * only, like pusher_published. Thread safe. */
int pusher_deleted(Pusher *p, const char *path);

/* A snapshot of the counters. Thread safe. */
void pusher_stats(Pusher *p, PushStats *st);

/* Publish latency, as PushStats' percentiles measure it, in seconds on
 * metric_latency_bounds: playlist 0 for media (segments, parts, inits), 1
 * for playlists and manifests. Owned by p; read from any thread. */
const Histogram *pusher_latency_histogram(const Pusher *p, int playlist);

/* Nothing more will be published: push what waits within cfg->flush_us,
 * without waiting here (pusher_free waits). Lets several pushers flush at
 * once. */
void pusher_stop(Pusher *p);

/* Waits until the thread is done: after pusher_stop, once all waiting went
 * out or flush_us passed (a hung origin holds it no longer). Then the stats
 * are final. Calls pusher_stop itself when it was not called. */
void pusher_wait(Pusher *p);

/* Logs one line of what went to this target, what failed and how long
 * publishing took, when anything changed or failed since `seen` (the stats
 * at the last report, updated), or always when final is not NULL: the
 * target's last word, final saying why ("end of run", "no longer a target
 * after a reload"). channel: for the log line. */
void pusher_report(Pusher *p, const char *channel, PushStats *seen, const char *final);

/* The target's URL as log lines show it (without a password). Owned by p. */
const char *pusher_target(const Pusher *p);

/* pusher_wait, then removes the spool, frees, NULLs. What was still waiting
 * is counted in the log. */
void pusher_free(Pusher **p);

/* ---- events to a webhook (webhook.c) ------------------------------------ */

/* Sends one channel's events (event_emit, common/metrics.h) to a receiver:
 * one event per POST, Content-Type: application/json, the body exactly the
 * event's JSON object, signed with
 *
 *   X-Onair-Signature: sha256=<lowercase hex HMAC-SHA256(secret, body)>
 *
 * when there is a secret. In order: an event is sent only once the one
 * before it was answered 2xx; any other answer, or none, is retried with a
 * backoff from retry_base to retry_max. The bus hands each event over on
 * the emitting thread, where it is only queued (a FIFO bounded in bytes;
 * past the bound the oldest are dropped, counted and warned about), so a
 * receiver that is down never holds the channel back, and what happened
 * meanwhile goes out once it is back. One thread of its own, libcurl. The
 * log says when deliveries start failing and when they recover (once each);
 * it never shows the secret, nor more of the URL than scheme, host and port. */
typedef struct Webhook Webhook;

typedef struct WebhookConfig {
    const char *channel;              /* whose events are sent (their "channel") */
    const char *url;                  /* http(s) URL each event is POSTed to */
    const char *secret;               /* the HMAC key; NULL or "": events go unsigned */
    int64_t retry_base_us;            /* first backoff; 0: 250 ms */
    int64_t retry_max_us;             /* its cap; 0: WEBHOOK_RETRY_MAX_S */
    int64_t timeout_us;               /* per request; 0: 10 s */
    int64_t queue_bytes;              /* bound of what waits; 0: 16 MiB */
    int64_t flush_us;                 /* webhook_free's last try at what waits; 0: 2 s */
} WebhookConfig;

typedef struct WebhookStats {
    int64_t queued;                   /* events waiting (the one being sent included) */
    int64_t sent;                     /* accepted (2xx) */
    int64_t failures;                 /* requests that failed (each retried) */
    int64_t dropped;                  /* events dropped: the queue was full, or at the end */
    int last_status;                  /* the last HTTP status answered; 0: none yet */
} WebhookStats;

/* Subscribes to the event bus and starts the thread. Every string of cfg is
 * copied. The caller owns *w (webhook_free). */
int webhook_new(Webhook **w, const WebhookConfig *cfg);

/* A snapshot of the counters. Thread safe. */
void webhook_stats(Webhook *w, WebhookStats *st);

/* Unsubscribes, then sends what waits for at most cfg->flush_us; what is
 * still waiting then is dropped and counted in a warning. Frees, NULLs. */
void webhook_free(Webhook **w);

/* hex = lowercase hex HMAC-SHA256(key, body) and a NUL: the signature's
 * value after "sha256=". 0 or AVERROR(ENOMEM). */
int webhook_sign(const char *key, const void *body, size_t len, char hex[65]);

#endif
