/*
 * admin: the admin listener of `onair run` (docs/api.md is its contract).
 *
 *   GET  /metrics             Prometheus text format 0.0.4: every channel's
 *                             samples (channel_metrics), onair_build_info, the
 *                             process's own (process_*), and the caller's
 *                             (AdminConfig.process_metrics: the built-in servers)
 *   GET  /healthz, /readyz    liveness; readiness from channel_ready
 *   GET  /api/v1/...          reading: channels, a schedule, events (SSE)
 *   POST, DELETE /api/v1/...  changes, with Authorization: Bearer TOKEN
 *   GET  /, /status.js, /status.css, /hls.js
 *                             the status page (web/), nothing else of it
 *
 * The admin listener only calls schedule/'s operating API (thread safe) and
 * the caller's callbacks; it never waits on a channel beyond those calls,
 * and a channel never waits on it. Every connection has a thread of its own
 * (libmicrohttpd's thread per connection), bounded in number, so an event
 * stream that waits for the next event never holds up another request.
 *
 * Errors are negative AVERROR-compatible codes; 0 is success.
 */
#ifndef ONAIR_ADMIN_H
#define ONAIR_ADMIN_H

#include "common/common.h"
#include "common/metrics.h"
#include "schedule/schedule.h"

typedef struct Admin Admin;

typedef struct AdminConfig {
    /* HOST:PORT as listen_parse reads it (common/output.h); port 0: a free
     * one, admin_port says which */
    const char *listen;
    /* the environment variable holding the bearer token, read once by
     * admin_new (ADMIN_TOKEN_ENV_DEFAULT when NULL); unset or empty: every
     * change answers 403 naming it */
    const char *token_env;
    /* the channels served, borrowed: they must outlive the Admin, and none
     * may be added or removed while it runs */
    Channel *const *channels;
    int nchannels;
    /* onair_build_info's labels; copied */
    const char *version, *ffmpeg_version, *x264_version;
    /* POST /api/v1/reload. Writes a JSON object into answer and the HTTP
     * status into *http_status (docs/api.md: 200, 400, 409); returns 0, or a
     * negative AVERROR for a failure of its own (500). Called on a
     * connection's thread; the caller serialises it with its other reloads
     * (SIGHUP). NULL: reload answers 501. */
    int (*reload)(void *opaque, Buf *answer, int *http_status);
    /* Samples of metrics that belong to no channel (the built-in servers'
     * onair_http_*); samples with equal labels from several calls of visit
     * are added up. May be NULL. Called on a connection's thread. */
    void (*process_metrics)(void *opaque, MetricVisit visit, void *vopaque);
    void *opaque;
    /* where the status page's files are; NULL: web_root_default() (the
     * installed copy, else the source tree's web/: common/common.h) */
    const char *web_root;
} AdminConfig;

/* Binds cfg->listen and starts serving; cfg is copied (the channels
 * array too, not the channels). Logs why it cannot (naming the address)
 * and returns the error then; *a is owned by the caller (admin_free). */
int admin_new(Admin **a, const AdminConfig *cfg);

/* The port bound (the real one when cfg->listen asked for port 0). */
int admin_port(const Admin *a);

/* Stops serving: open event streams end within a fraction of a second,
 * requests in progress finish; then frees *a and NULLs it. */
void admin_free(Admin **a);

#endif
