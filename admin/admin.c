/*
 * The admin listener's HTTP side: routing, auth, the control API's answers,
 * /metrics, health, the event stream and the status page's files.
 *
 * Threads: libmicrohttpd's thread per connection (poll, not select, so a
 * process with many descriptors is fine), at most ADMIN_CONNECTIONS at once.
 * That is what lets an event stream wait inside its content reader for the
 * next event (event_read, with a deadline) without holding up anything
 * else; it waits in short slices and ends within one once admin_free asks
 * (or events_shutdown). Idle connections are closed after a timeout.
 *
 * Routing reads the raw request target (libmicrohttpd's URI log callback
 * gives it before any decoding): channel ids and actions are plain ASCII,
 * so a target with a '%' escape, a dot segment or a NUL simply matches no
 * route (404), and nothing but the few fixed files of web/ is ever opened.
 *
 * The order of refusals: unknown path or channel 404, method 405, auth
 * (401/403, before any body is read), body size 413, body 400, then the
 * channel's own answer. Nothing is changed before all of those pass.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <microhttpd.h>

#include "common/output.h"
#include "conf/conf.h"

#define STAGE "admin"


/* Threads, one a connection: enough for a Prometheus, a few status pages
 * with their event streams, and a burst of API calls. */
#define ADMIN_CONNECTIONS 64
/* Event streams open at once (each holds a connection for its life). */
#define ADMIN_STREAMS_MAX 16
#define ADMIN_TIMEOUT_S 15
/* Longer request targets are refused (414); ours are far shorter. */
#define ADMIN_URL_MAX 1024
/* A static file bigger than this is not ours (hls.min.js is ~0.5 MB). */
#define ADMIN_FILE_MAX (8 << 20)
/* How often an event stream sends a comment, whatever events it carried
 * (proxies that time out idle reads count bytes, not events), and how long
 * it waits at a time for the next event (what bounds admin_free). */
#define STREAM_PING_US (15 * 1000000LL)
/* A stream whose client read nothing this long is closed. */
#define STREAM_IDLE_MAX_US (3 * STREAM_PING_US)
#define STREAM_SLICE_US (250 * 1000LL)
#define STREAM_BLOCK (EVENT_JSON_MAX + 64)
#define SCHEDULE_HOURS_DEFAULT 6
#define SCHEDULE_HOURS_MAX 168
#define ERR_SIZE 512

struct Admin {
    struct MHD_Daemon *mhd;
    int port;
    Channel **channels;
    int nchannels;
    char *version, *ffmpeg_version, *x264_version, *web_root, *token_env;
    char *token;                      /* NULL: changes are off (403) */
    size_t token_len;
    int (*reload)(void *opaque, Buf *answer, int *http_status);
    void (*process_metrics)(void *opaque, MetricVisit visit, void *vopaque);
    void *opaque;
    atomic_int stopping;
    atomic_int streams;
};

enum Method { M_GET = 1, M_HEAD = 2, M_POST = 4, M_DELETE = 8, M_OTHER = 16 };

enum Route {
    R_NONE,
    R_PAGE, R_STATUS_JS, R_STATUS_CSS, R_HLS_JS,
    R_HEALTHZ, R_READYZ, R_METRICS,
    R_CHANNELS, R_CHANNEL, R_SCHEDULE, R_EVENTS,
    R_SKIP, R_SLATE, R_TAKE, R_EXTEND, R_BREAK, R_RELOAD,
};

static const struct {
    const char *path;                 /* fixed paths; the channel routes below */
    enum Route route;
} fixed_routes[] = {
    { "/", R_PAGE }, { "/status.js", R_STATUS_JS }, { "/status.css", R_STATUS_CSS },
    { "/hls.js", R_HLS_JS }, { "/healthz", R_HEALTHZ }, { "/readyz", R_READYZ },
    { "/metrics", R_METRICS }, { "/api/v1/channels", R_CHANNELS }, { "/api/v1/events", R_EVENTS },
    { "/api/v1/reload", R_RELOAD },
};

static const struct {
    const char *action;               /* /api/v1/channels/{id}/ACTION */
    enum Route route;
} channel_routes[] = {
    { "schedule", R_SCHEDULE }, { "skip", R_SKIP }, { "slate", R_SLATE }, { "take", R_TAKE },
    { "extend", R_EXTEND }, { "break", R_BREAK },
};

/* The status page's files, below web_root. */
static const char *const page_html[] = { "status.html" };
static const char *const page_js[] = { "status.js" };
static const char *const page_css[] = { "status.css" };
static const char *const page_hls[] = { "node_modules", "hls.js", "dist", "hls.min.js" };

typedef struct Request {
    char *target;                     /* the raw request target, as sent */
    int seen;                         /* the handler has been called once */
    Channel *ch;
    enum Route route;
    Buf body;
    int too_big;
} Request;

typedef struct Stream {
    Admin *a;
    int64_t seq, next_ping;
    char event[EVENT_JSON_MAX];
    Buf out;                          /* formatted, not sent yet */
    size_t sent;
} Stream;

/* ---- answers ---------------------------------------------------------- */

/* Queues a response with the headers every answer of this kind carries;
 * takes r. CORS only on reads: a page elsewhere may show what onair says,
 * never make a change. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                               const char *type, int read)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    if ((type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        (read && MHD_add_response_header(r, "Access-Control-Allow-Origin", "*") != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Takes b's contents. */
static enum MHD_Result respond_buf(struct MHD_Connection *c, unsigned status, Buf *b, const char *type,
                                   int read)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);

    if (!r) {
        buf_free(b);
        return MHD_NO;
    }
    memset(b, 0, sizeof(*b));
    return respond(c, status, r, type, read);
}

/* {"error": msg} with extra members (a JSON fragment starting with a comma,
 * or NULL), and the headers a status needs. */
static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                     const char *extra, unsigned methods, int read)
{
    Buf b = { 0 };
    struct MHD_Response *r;

    if (buf_printf(&b, "{\"error\":") < 0 || json_append_string(&b, msg) < 0 ||
        buf_printf(&b, "%s}\n", extra ? extra : "") < 0) {
        buf_free(&b);
        return MHD_NO;
    }
    r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        buf_free(&b);
        return MHD_NO;
    }
    if (status == MHD_HTTP_UNAUTHORIZED &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        char allow[64] = "";
        static const char *const names[] = { "GET", "HEAD", "POST", "DELETE" };
        for (int i = 0; i < 4; i++)
            if (methods & (1u << i))
                snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
                         allow[0] ? ", " : "", names[i]);
        if (MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
    }
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return respond(c, status, r, CONTENT_TYPE_JSON, read);
}

/* A channel call's error as docs/api.md maps it. */
static unsigned status_of(int err)
{
    if (err == AVERROR(EINVAL))
        return MHD_HTTP_BAD_REQUEST;
    if (err == AVERROR(ENOENT))
        return MHD_HTTP_NOT_FOUND;
    if (err == AVERROR(EBUSY) || err == AVERROR(EAGAIN))
        return MHD_HTTP_CONFLICT;
    if (err == AVERROR(ENETUNREACH))
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    if (err == AVERROR(ENOSYS))
        return MHD_HTTP_NOT_IMPLEMENTED;
    return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

static enum MHD_Result respond_call_error(struct MHD_Connection *c, int err, const char *msg, int read)
{
    return respond_error(c, status_of(err), msg && msg[0] ? msg : ERRSTR(err), NULL, 0, read);
}

/* ---- the client ---- */

static void client_address(struct MHD_Connection *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    socklen_t len;

    snprintf(out, size, "?");
    if (!ci || !ci->client_addr)
        return;
    len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, size, "?");
}

/* ---- auth ---- */

/* Equal in a time that depends on the lengths only, never on where the
 * first difference is. */
static int same_secret(const char *a, size_t alen, const char *b, size_t blen)
{
    volatile unsigned char d = (unsigned char)(alen != blen);
    size_t n = alen > blen ? alen : blen;

    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)((i < alen ? a[i] : 0) ^ (i < blen ? b[i] : 0));
    return d == 0;
}

/* 0 when the request may change things, else the refusal was queued
 * (*ret holds what to return to libmicrohttpd). */
static int refuse_unauthorized(Admin *a, struct MHD_Connection *c, enum MHD_Result *ret)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    char msg[256];

    if (!a->token) {
        snprintf(msg, sizeof(msg), "changes are turned off: set the environment variable %s to a "
                 "token before onair starts (or name another with --admin-token-env)", a->token_env);
        *ret = respond_error(c, MHD_HTTP_FORBIDDEN, msg, NULL, 0, 0);
        return 1;
    }
    if (!h || strncasecmp(h, "Bearer ", 7)) {
        *ret = respond_error(c, MHD_HTTP_UNAUTHORIZED, "a change needs the header Authorization: "
                             "Bearer TOKEN", NULL, 0, 0);
        return 1;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (!same_secret(h, strlen(h), a->token, a->token_len)) {
        *ret = respond_error(c, MHD_HTTP_UNAUTHORIZED, "the bearer token is not the one onair has",
                             NULL, 0, 0);
        return 1;
    }
    return 0;
}

/* ---- routing ---- */

static unsigned methods_of(enum Route r)
{
    switch (r) {
    case R_SKIP: case R_TAKE: case R_EXTEND: case R_RELOAD:
        return M_POST;
    case R_SLATE: case R_BREAK:
        return M_POST | M_DELETE;
    case R_NONE:
        return 0;
    default:
        return M_GET | M_HEAD;
    }
}

/* [a-z0-9-]{1,NAME_MAX_LEN}: what a channel id may be. */
static int plain_id(const char *s, size_t len)
{
    if (!len || len > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static Channel *find_channel(Admin *a, const char *id, size_t len)
{
    for (int i = 0; i < a->nchannels; i++) {
        const char *cid = channel_id(a->channels[i]);
        if (strlen(cid) == len && !memcmp(cid, id, len))
            return a->channels[i];
    }
    return NULL;
}

/* The route of path (the target without its query); *ch for a channel's.
 * 0, or a 404 with msg. */
static int route_of(Admin *a, const char *path, size_t len, enum Route *route, Channel **ch,
                    char *msg, size_t size)
{
    static const char prefix[] = "/api/v1/channels/";
    const size_t plen = sizeof(prefix) - 1;
    const char *id, *slash;
    size_t idlen;

    *route = R_NONE;
    *ch = NULL;
    for (size_t i = 0; i < sizeof(fixed_routes) / sizeof(fixed_routes[0]); i++) {
        if (strlen(fixed_routes[i].path) == len && !memcmp(fixed_routes[i].path, path, len)) {
            *route = fixed_routes[i].route;
            return 0;
        }
    }
    if (len <= plen || memcmp(path, prefix, plen)) {
        snprintf(msg, size, "no such path (the API is under /api/v1: see docs/api.md)");
        return AVERROR(ENOENT);
    }
    id = path + plen;
    slash = memchr(id, '/', len - plen);
    idlen = slash ? (size_t)(slash - id) : len - plen;
    if (!(*ch = find_channel(a, id, idlen))) {
        /* the id is only echoed when it is one a config could give */
        if (plain_id(id, idlen))
            snprintf(msg, size, "no channel '%.*s' in this process", (int)idlen, id);
        else
            snprintf(msg, size, "no such channel in this process");
        return AVERROR(ENOENT);
    }
    if (!slash) {
        *route = R_CHANNEL;
        return 0;
    }
    for (size_t i = 0; i < sizeof(channel_routes) / sizeof(channel_routes[0]); i++) {
        size_t alen = strlen(channel_routes[i].action);
        if ((size_t)(path + len - slash - 1) == alen && !memcmp(slash + 1, channel_routes[i].action, alen)) {
            *route = channel_routes[i].route;
            return 0;
        }
    }
    snprintf(msg, size, "no such path under /api/v1/channels/%s (schedule, skip, slate, take, extend)",
             channel_id(*ch));
    *ch = NULL;
    return AVERROR(ENOENT);
}

/* ---- reading ---- */

static enum MHD_Result answer_channels(Admin *a, struct MHD_Connection *c, Channel *one)
{
    Buf b = { 0 };
    int ret = 0;

    if (one) {
        ret = channel_status_json(one, &b);
    } else {
        ret = buf_printf(&b, "{\"channels\":[");
        for (int i = 0; ret >= 0 && i < a->nchannels; i++)
            if ((i && (ret = buf_printf(&b, ",")) < 0) || (ret = channel_status_json(a->channels[i], &b)) < 0)
                break;
        if (ret >= 0)
            ret = buf_printf(&b, "]}");
    }
    if (ret >= 0)
        ret = buf_printf(&b, "\n");
    if (ret < 0) {
        buf_free(&b);
        return respond_call_error(c, ret, NULL, 1);
    }
    return respond_buf(c, MHD_HTTP_OK, &b, CONTENT_TYPE_JSON, 1);
}

/* ?hours=N (default 6, at most 168; fractions allowed); nothing else. */
static enum MHD_Result answer_schedule(Channel *ch, struct MHD_Connection *c, const char *query)
{
    double hours = SCHEDULE_HOURS_DEFAULT;
    Buf b = { 0 };
    int ret;

    while (query && *query) {
        const char *end = strchr(query, '&');
        size_t n = end ? (size_t)(end - query) : strlen(query);
        if (n > 6 && !strncmp(query, "hours=", 6)) {
            char text[32], *e;
            if (n - 6 >= sizeof(text))
                return respond_error(c, MHD_HTTP_BAD_REQUEST, "hours: not a number of hours", NULL, 0, 1);
            memcpy(text, query + 6, n - 6);
            text[n - 6] = 0;
            hours = strtod(text, &e);
            if (*e || e == text || !(hours > 0 && hours <= SCHEDULE_HOURS_MAX))
                return respond_error(c, MHD_HTTP_BAD_REQUEST, "hours: a number of hours above 0 and at "
                                     "most 168 expected", NULL, 0, 1);
        } else if (n) {
            return respond_error(c, MHD_HTTP_BAD_REQUEST, "unknown query parameter (only hours=N)",
                                 NULL, 0, 1);
        }
        query = end ? end + 1 : NULL;
    }
    if ((ret = channel_schedule_json(ch, (int64_t)(hours * 3600e6), &b)) < 0 ||
        (ret = buf_printf(&b, "\n")) < 0) {
        buf_free(&b);
        return respond_call_error(c, ret, NULL, 1);
    }
    return respond_buf(c, MHD_HTTP_OK, &b, CONTENT_TYPE_JSON, 1);
}

static enum MHD_Result answer_readyz(Admin *a, struct MHD_Connection *c)
{
    Buf why_not = { 0 }, b = { 0 };
    int ret = 0;

    for (int i = 0; ret >= 0 && i < a->nchannels; i++) {
        char why[128] = "";
        if (channel_ready(a->channels[i], why, sizeof(why)))
            continue;
        if ((why_not.len && (ret = buf_printf(&why_not, ",")) < 0) ||
            (ret = json_append_string(&why_not, channel_id(a->channels[i]))) < 0 ||
            (ret = buf_printf(&why_not, ":")) < 0)
            break;
        ret = json_append_string(&why_not, why[0] ? why : "not ready");
    }
    if (ret >= 0)
        ret = buf_printf(&b, "{\"ready\":%s,\"channels\":{%.*s}}\n", why_not.len ? "false" : "true",
                         (int)why_not.len, why_not.data ? (const char *)why_not.data : "");
    if (ret < 0) {
        buf_free(&why_not);
        buf_free(&b);
        return MHD_NO;
    }
    ret = why_not.len ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
    buf_free(&why_not);
    return respond_buf(c, (unsigned)ret, &b, CONTENT_TYPE_JSON, 1);
}

typedef struct MetricsVisit {
    PromWriter *w;
    const char *channel;
    int ret;
    int up, ready;                    /* the channel gave these itself */
} MetricsVisit;

static void visit_sample(void *opaque, const MetricSample *s)
{
    MetricsVisit *v = opaque;
    int ret;

    if (s->id == METRIC_CHANNEL_UP)
        v->up = 1;
    if (s->id == METRIC_CHANNEL_READY)
        v->ready = 1;
    /* one sample that is not well formed is left out, not the page */
    if ((ret = prom_add(v->w, v->channel, s)) < 0 && ret != AVERROR(EINVAL) && v->ret >= 0)
        v->ret = ret;
}

static enum MHD_Result answer_metrics(Admin *a, struct MHD_Connection *c)
{
    MetricsVisit v = { 0 };
    MetricSample s = { .id = METRIC_BUILD_INFO, .value = 1,
                       .labels = { a->version, a->ffmpeg_version, a->x264_version } };
    Buf b = { 0 };
    int ret;

    if ((ret = prom_new(&v.w)) < 0)
        return MHD_NO;
    prom_add(v.w, NULL, &s);
    for (int i = 0; i < a->nchannels && v.ret >= 0; i++) {
        Channel *ch = a->channels[i];
        v.channel = channel_id(ch);
        v.up = v.ready = 0;
        channel_metrics(ch, visit_sample, &v);
        if (!v.up) {
            MetricSample up = { .id = METRIC_CHANNEL_UP, .value = channel_running(ch) };
            visit_sample(&v, &up);
        }
        if (!v.ready) {
            char why[128];
            MetricSample rd = { .id = METRIC_CHANNEL_READY, .value = channel_ready(ch, why, sizeof(why)) };
            visit_sample(&v, &rd);
        }
    }
    v.channel = NULL;
    if (a->process_metrics && v.ret >= 0)
        a->process_metrics(a->opaque, visit_sample, &v);
    if ((ret = v.ret) >= 0 && (ret = prom_add_process(v.w)) >= 0)
        ret = prom_render(v.w, &b);
    prom_free(&v.w);
    if (ret < 0) {
        buf_free(&b);
        return respond_call_error(c, ret, NULL, 1);
    }
    return respond_buf(c, MHD_HTTP_OK, &b, CONTENT_TYPE_PROMETHEUS, 1);
}

/* One of the status page's files, read whole (they are small, and a fresh
 * read follows an edit of the page). */
static enum MHD_Result answer_file(Admin *a, struct MHD_Connection *c, const char *const *parts, int n)
{
    char path[4096] = "";
    Buf b = { 0 };
    FILE *f;
    int ret = 0;

    snprintf(path, sizeof(path), "%s", a->web_root);
    for (int i = 0; i < n; i++) {
        /* path_join's out and dir must not overlap (snprintf) */
        char dir[sizeof(path)];
        memcpy(dir, path, sizeof(dir));
        if ((ret = path_join(path, sizeof(path), dir, parts[i])) < 0)
            break;
    }
    if (ret < 0 || !(f = fopen(path, "rbe")))
        return respond_error(c, MHD_HTTP_NOT_FOUND, "the status page's file is not installed", NULL, 0, 1);
    for (;;) {
        char chunk[16384];
        size_t got = fread(chunk, 1, sizeof(chunk), f);
        if (!got)
            break;
        if (b.len + got > ADMIN_FILE_MAX || (ret = buf_append(&b, chunk, got)) < 0) {
            ret = ret < 0 ? ret : AVERROR(EFBIG);
            break;
        }
    }
    if (ferror(f) && ret >= 0)
        ret = AVERROR(EIO);
    fclose(f);
    if (ret < 0) {
        buf_free(&b);
        return respond_error(c, MHD_HTTP_NOT_FOUND, "the status page's file cannot be read", NULL, 0, 1);
    }
    return respond_buf(c, MHD_HTTP_OK, &b, output_content_type(parts[n - 1]), 1);
}

/* ---- the event stream ---- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    Stream *st = cls;

    while (st->sent == st->out.len) {
        int64_t now = clock_monotonic_us(), deadline;
        int ret;
        buf_reset(&st->out);
        st->sent = 0;
        if (atomic_load(&st->a->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        deadline = now + STREAM_SLICE_US < st->next_ping ? now + STREAM_SLICE_US : st->next_ping;
        ret = event_read(&st->seq, st->event, deadline);
        if (ret == AVERROR_EOF)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (ret == 1) {
            /* event_read moved seq past the event it gave */
            if (buf_printf(&st->out, "id: %lld\ndata: %s\n\n", (long long)(st->seq - 1), st->event) < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        } else if (clock_monotonic_us() >= st->next_ping) {
            if (buf_printf(&st->out, ": keep-alive\n\n") < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            st->next_ping = clock_monotonic_us() + STREAM_PING_US;
        }
    }
    {
        size_t n = st->out.len - st->sent;
        if (n > max)
            n = max;
        memcpy(buf, st->out.data + st->sent, n);
        st->sent += n;
        return (ssize_t)n;
    }
}

static void stream_free(void *cls)
{
    Stream *st = cls;

    atomic_fetch_sub(&st->a->streams, 1);
    buf_free(&st->out);
    free(st);
}

static enum MHD_Result answer_events(Admin *a, struct MHD_Connection *c)
{
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    struct MHD_Response *r;
    Stream *st;

    if (atomic_fetch_add(&a->streams, 1) >= ADMIN_STREAMS_MAX) {
        atomic_fetch_sub(&a->streams, 1);
        return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams open", NULL, 0, 1);
    }
    if (!(st = calloc(1, sizeof(*st)))) {
        atomic_fetch_sub(&a->streams, 1);
        return MHD_NO;
    }
    st->a = a;
    st->seq = event_next_seq();
    if (last && *last) {
        char *e;
        long long id = strtoll(last, &e, 10);
        /* what follows the last event seen; one the ring no longer keeps
         * is skipped by event_read */
        if (!*e && id >= 0 && id < st->seq)
            st->seq = id + 1;
    }
    /* the first bytes go out at once, so the client sees the stream open;
     * retry: how long a browser waits before it reconnects */
    if (buf_printf(&st->out, "retry: 2000\n\n") < 0) {
        stream_free(st);
        return MHD_NO;
    }
    st->next_ping = clock_monotonic_us() + STREAM_PING_US;
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st, stream_free);
    if (!r) {
        stream_free(st);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, "X-Accel-Buffering", "no") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    /* the listener's idle timeout (ADMIN_TIMEOUT_S) would race the
     * keep-alive: a stream is idle up to STREAM_PING_US by design */
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)(STREAM_IDLE_MAX_US / 1000000));
    return respond(c, MHD_HTTP_OK, r, CONTENT_TYPE_EVENT_STREAM, 1);
}

/* ---- changes ---- */

/* A duration member: absent or null gives 0; a string as the config writes
 * one; a leading '-' when negative is allowed. 0, or a 400 with msg. */
static int duration_member(const JsonObject *o, const char *key, int negative_ok, int64_t *us,
                           char *msg, size_t size)
{
    const JsonMember *m = json_object_get(o, key);
    char why[256];
    const char *text;
    int neg = 0;

    *us = 0;
    if (!m || m->type == JSON_NULL)
        return 0;
    if (m->type != JSON_STRING) {
        snprintf(msg, size, "%s: a duration as a string expected (\"30s\", \"10m\", \"1h30m\")", key);
        return AVERROR(EINVAL);
    }
    text = m->str;
    if (negative_ok && text[0] == '-') {
        neg = 1;
        text++;
    }
    if (conf_parse_duration(text, us, why, sizeof(why)) < 0) {
        snprintf(msg, size, "%s: %s", key, why);
        return AVERROR(EINVAL);
    }
    if (neg)
        *us = -*us;
    return 0;
}

static const char *route_action(enum Route r, int del)
{
    switch (r) {
    case R_SKIP:   return "skip";
    case R_SLATE:  return del ? "slate_release" : "slate";
    case R_TAKE:   return "take";
    case R_EXTEND: return "extend";
    case R_BREAK:  return del ? "break_return" : "break";
    default:       return "reload";
    }
}

/* POST break: {"duration": "60s", "source": "promo", "at": ISO}. msg says
 * what in the body is wrong (400), err what the channel refused. */
static int answer_break(Channel *ch, const JsonObject *o, int64_t *us, char *what, size_t what_size,
                        char *msg, size_t msg_size, char *err, size_t err_size)
{
    const JsonMember *source = json_object_get(o, "source"), *at = json_object_get(o, "at");
    enum ConfAtKind kind;
    int64_t at_us = 0;
    char why[160];
    int ret;

    if (!json_object_get(o, "duration")) {
        snprintf(msg, msg_size, "duration: the break's length (\"60s\") is missing");
        return AVERROR(EINVAL);
    }
    if ((ret = duration_member(o, "duration", 0, us, msg, msg_size)) < 0)
        return ret;
    if (source && source->type != JSON_NULL && (source->type != JSON_STRING || !source->str[0])) {
        snprintf(msg, msg_size, "source: the name of a configured source expected");
        return AVERROR(EINVAL);
    }
    if (at && at->type != JSON_NULL) {
        if (at->type != JSON_STRING || conf_parse_at(at->str, &kind, &at_us, why, sizeof(why)) < 0 ||
            kind != CONF_AT_ABSOLUTE) {
            snprintf(msg, msg_size, "at: an ISO 8601 time with its zone (\"2026-12-05T10:00:00Z\") expected%s%s",
                     at->type == JSON_STRING ? ": " : "", at->type == JSON_STRING ? why : "");
            return AVERROR(EINVAL);
        }
    }
    ret = channel_break(ch, *us, source && source->type == JSON_STRING ? source->str : NULL, at_us, err, err_size);
    if (ret >= 0) {
        char d[32];
        format_duration(d, sizeof(d), *us);
        snprintf(what, what_size, "ad break of %s%s%.64s", d, source && source->type == JSON_STRING ? " airing " : "",
                 source && source->type == JSON_STRING ? source->str : "");
    }
    return ret;
}

static enum MHD_Result answer_change(Admin *a, struct MHD_Connection *c, Request *rq, int del)
{
    static const char *const none[] = { NULL };
    static const char *const slate_keys[] = { "duration", NULL };
    static const char *const take_keys[] = { "source", "duration", NULL };
    static const char *const extend_keys[] = { "by", NULL };
    static const char *const break_keys[] = { "duration", "source", "at", NULL };
    const char *const *allowed = none;
    const JsonMember *m;
    JsonObject o = { 0 };
    char msg[ERR_SIZE] = "", err[ERR_SIZE] = "", addr[INET6_ADDRSTRLEN + 8], what[160] = "";
    int64_t us = 0;
    int ret;

    if (json_object_parse((const char *)rq->body.data, rq->body.len, &o, err, sizeof(err)) < 0) {
        snprintf(msg, sizeof(msg), "the body is not a JSON object of ours: %s", err);
        return respond_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL, 0, 0);
    }
    if (rq->route == R_SLATE && !del)
        allowed = slate_keys;
    else if (rq->route == R_TAKE)
        allowed = take_keys;
    else if (rq->route == R_EXTEND)
        allowed = extend_keys;
    else if (rq->route == R_BREAK && !del)
        allowed = break_keys;
    if ((m = json_object_unknown(&o, allowed))) {
        Buf k = { 0 };
        /* the name as JSON would write it: whatever it holds stays readable */
        if (json_append_string(&k, m->key) < 0 || buf_append(&k, "", 1) < 0) {
            buf_free(&k);
            json_object_clear(&o);
            return MHD_NO;
        }
        snprintf(msg, sizeof(msg), "unknown field %.*s for %s%s%s", 80, (const char *)k.data,
                 route_action(rq->route, del), allowed[0] ? " (it takes: " : " (it takes none",
                 allowed[0] ? (allowed == take_keys ? "source, duration)" : allowed == slate_keys ?
                               "duration)" : allowed == break_keys ? "duration, source, at)" : "by)") : ")");
        buf_free(&k);
        json_object_clear(&o);
        return respond_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL, 0, 0);
    }
    client_address(c, addr, sizeof(addr));
    ret = 0;
    switch (rq->route) {
    case R_SKIP:
        ret = channel_skip(rq->ch, err, sizeof(err));
        snprintf(what, sizeof(what), "skip");
        break;
    case R_SLATE:
        if (del) {
            ret = channel_release_slate(rq->ch, err, sizeof(err));
            snprintf(what, sizeof(what), "slate released");
            break;
        }
        if ((ret = duration_member(&o, "duration", 0, &us, msg, sizeof(msg))) < 0)
            goto refused;
        ret = channel_hold_slate(rq->ch, us, err, sizeof(err));
        if (us)
            format_duration(what + snprintf(what, sizeof(what), "slate held for "), sizeof(what) - 16, us);
        else
            snprintf(what, sizeof(what), "slate held until released");
        break;
    case R_TAKE:
        m = json_object_get(&o, "source");
        if (!m || m->type != JSON_STRING || !m->str[0]) {
            snprintf(msg, sizeof(msg), "source: the name of a configured source expected");
            ret = AVERROR(EINVAL);
            goto refused;
        }
        if ((ret = duration_member(&o, "duration", 0, &us, msg, sizeof(msg))) < 0)
            goto refused;
        ret = channel_take(rq->ch, m->str, us, err, sizeof(err));
        if (ret >= 0) {
            char d[32] = "the next program";
            if (us)
                format_duration(d, sizeof(d), us);
            snprintf(what, sizeof(what), "take of source %.64s until %s", m->str, d);
        }
        break;
    case R_EXTEND:
        if (!json_object_get(&o, "by")) {
            snprintf(msg, sizeof(msg), "by: the time to add (\"10m\", or \"-5m\" to shorten) is missing");
            ret = AVERROR(EINVAL);
            goto refused;
        }
        if ((ret = duration_member(&o, "by", 1, &us, msg, sizeof(msg))) < 0)
            goto refused;
        ret = channel_extend(rq->ch, us, err, sizeof(err));
        {
            char d[32];
            format_duration(d, sizeof(d), us < 0 ? -us : us);
            snprintf(what, sizeof(what), "program %s by %s", us < 0 ? "shortened" : "extended", d);
        }
        break;
    case R_BREAK:
        if (del) {
            ret = channel_break_return(rq->ch, err, sizeof(err));
            snprintf(what, sizeof(what), "ad break returned early");
            break;
        }
        ret = answer_break(rq->ch, &o, &us, what, sizeof(what), msg, sizeof(msg), err, sizeof(err));
        if (ret == AVERROR(EINVAL) && msg[0])
            goto refused;
        break;
    default:
        break;
    }
    json_object_clear(&o);
    if (ret < 0)
        return respond_call_error(c, ret, err, 0);
    log_msg(LOG_NOTICE, channel_id(rq->ch), STAGE, "%s, asked by %s", what, addr);
    return answer_channels(a, c, rq->ch) == MHD_YES ? MHD_YES : MHD_NO;
refused:
    json_object_clear(&o);
    return respond_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL, 0, 0);
}

static enum MHD_Result answer_reload(Admin *a, struct MHD_Connection *c, Request *rq)
{
    JsonObject o = { 0 };
    char err[ERR_SIZE], msg[ERR_SIZE + 64], addr[INET6_ADDRSTRLEN + 8];
    Buf b = { 0 };
    int status = MHD_HTTP_INTERNAL_SERVER_ERROR, ret;

    if (json_object_parse((const char *)rq->body.data, rq->body.len, &o, err, sizeof(err)) < 0) {
        snprintf(msg, sizeof(msg), "the body is not a JSON object of ours: %s", err);
        return respond_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL, 0, 0);
    }
    if (o.count) {
        snprintf(msg, sizeof(msg), "unknown field for reload (it takes none)");
        json_object_clear(&o);
        return respond_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL, 0, 0);
    }
    if (!a->reload)
        return respond_error(c, MHD_HTTP_NOT_IMPLEMENTED, "reload is not available here", NULL, 0, 0);
    client_address(c, addr, sizeof(addr));
    log_msg(LOG_NOTICE, "", STAGE, "reload asked by %s", addr);
    if ((ret = a->reload(a->opaque, &b, &status)) < 0) {
        buf_free(&b);
        return respond_call_error(c, ret, NULL, 0);
    }
    if (!b.len && buf_printf(&b, "{}") < 0)
        return MHD_NO;
    if (buf_printf(&b, "\n") < 0) {
        buf_free(&b);
        return MHD_NO;
    }
    return respond_buf(c, (unsigned)status, &b, CONTENT_TYPE_JSON, 0);
}

/* ---- libmicrohttpd's callbacks ---- */

/* Before any decoding: the raw target is what routing reads. */
static void *request_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
    Request *rq = calloc(1, sizeof(*rq));

    if (rq && uri && strlen(uri) <= ADMIN_URL_MAX)
        rq->target = strdup(uri);
    return rq;
}

static void request_end(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    Request *rq = *con_cls;

    if (!rq)
        return;
    free(rq->target);
    buf_free(&rq->body);
    free(rq);
    *con_cls = NULL;
}

static enum Method method_of(const char *m)
{
    if (!strcmp(m, MHD_HTTP_METHOD_GET))
        return M_GET;
    if (!strcmp(m, MHD_HTTP_METHOD_HEAD))
        return M_HEAD;
    if (!strcmp(m, MHD_HTTP_METHOD_POST))
        return M_POST;
    if (!strcmp(m, MHD_HTTP_METHOD_DELETE))
        return M_DELETE;
    return M_OTHER;
}

static enum MHD_Result answer_read(Admin *a, struct MHD_Connection *c, Request *rq, const char *query)
{
    switch (rq->route) {
    case R_PAGE:       return answer_file(a, c, page_html, 1);
    case R_STATUS_JS:  return answer_file(a, c, page_js, 1);
    case R_STATUS_CSS: return answer_file(a, c, page_css, 1);
    case R_HLS_JS:     return answer_file(a, c, page_hls, 4);
    case R_HEALTHZ:
        return respond(c, MHD_HTTP_OK, MHD_create_response_from_buffer(3, (void *)"ok\n",
                       MHD_RESPMEM_PERSISTENT), CONTENT_TYPE_TEXT, 1);
    case R_READYZ:     return answer_readyz(a, c);
    case R_METRICS:    return answer_metrics(a, c);
    case R_CHANNELS:   return answer_channels(a, c, NULL);
    case R_CHANNEL:    return answer_channels(a, c, rq->ch);
    case R_SCHEDULE:   return answer_schedule(rq->ch, c, query);
    case R_EVENTS:     return answer_events(a, c);
    default:           return MHD_NO;
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    Admin *a = cls;
    Request *rq = *con_cls;
    enum Method m = method_of(method);
    char msg[ERR_SIZE];
    const char *query;
    size_t plen;

    if (!rq)
        return MHD_NO;   /* out of memory: the connection is closed */
    if (!rq->seen) {
        const char *cl;
        enum MHD_Result ret;
        rq->seen = 1;
        if (!rq->target)
            return respond_error(c, MHD_HTTP_URI_TOO_LONG, "the request target is too long", NULL, 0, 0);
        query = strchr(rq->target, '?');
        plen = query ? (size_t)(query - rq->target) : strlen(rq->target);
        if (route_of(a, rq->target, plen, &rq->route, &rq->ch, msg, sizeof(msg)) < 0)
            return respond_error(c, MHD_HTTP_NOT_FOUND, msg, NULL, 0, m & (M_GET | M_HEAD));
        if (!(methods_of(rq->route) & m)) {
            snprintf(msg, sizeof(msg), "%.16s is not answered here", method);
            return respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, NULL, methods_of(rq->route),
                                 m & (M_GET | M_HEAD));
        }
        if (m & (M_GET | M_HEAD))
            return answer_read(a, c, rq, query ? query + 1 : NULL);
        if (refuse_unauthorized(a, c, &ret))
            return ret;
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > ADMIN_BODY_MAX) {
            snprintf(msg, sizeof(msg), "the body is over %d KiB", ADMIN_BODY_MAX / 1024);
            return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, 0, 0);
        }
        return MHD_YES;   /* the body comes next */
    }
    if (*upload_data_size) {
        /* past the limit the rest is read and dropped: memory stays bounded */
        if (!rq->too_big && rq->body.len + *upload_data_size > ADMIN_BODY_MAX)
            rq->too_big = 1;
        if (!rq->too_big && buf_append(&rq->body, upload_data, *upload_data_size) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) {
        snprintf(msg, sizeof(msg), "the body is over %d KiB", ADMIN_BODY_MAX / 1024);
        return respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, 0, 0);
    }
    if (rq->route == R_RELOAD)
        return answer_reload(a, c, rq);
    return answer_change(a, c, rq, m == M_DELETE);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    /* libmicrohttpd's own complaints (a client that went away, a request
     * it could not parse) are no operator's concern */
    if (log_enabled(LOG_DEBUG))
        log_vmsg(LOG_DEBUG, "", STAGE, fmt, ap);
}

/* ---- the listener ---- */

static int open_listener(const char *listen_on, int *fd_out, int *ipv6_out, int *port_out)
{
    ListenAddr la;
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char err[256], port[8];
    int ret, fd = -1;

    if ((ret = listen_parse(listen_on, &la, err, sizeof(err))) < 0) {
        log_msg(LOG_ERROR, "", STAGE, "--admin: %s", err);
        return ret;
    }
    snprintf(port, sizeof(port), "%d", la.port);
    hints.ai_family = la.host[0] ? AF_UNSPEC : AF_INET6;
    if ((ret = getaddrinfo(la.host[0] ? la.host : NULL, port, &hints, &ai)) != 0) {
        log_msg(LOG_ERROR, "", STAGE, "--admin %s: %s", listen_on, gai_strerror(ret));
        return AVERROR(EADDRNOTAVAIL);
    }
    ret = AVERROR(EADDRNOTAVAIL);
    for (struct addrinfo *p = ai; p; p = p->ai_next) {
        int one = 1, zero = 0;
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) {
            ret = AVERROR(errno);
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* ":PORT" is every address, IPv4 too */
        if (p->ai_family == AF_INET6 && !la.host[0])
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, 64) == 0) {
            struct sockaddr_storage sa;
            socklen_t len = sizeof(sa);
            getsockname(fd, (struct sockaddr *)&sa, &len);
            *port_out = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                       : ((struct sockaddr_in *)&sa)->sin_port);
            *ipv6_out = p->ai_family == AF_INET6;
            *fd_out = fd;
            freeaddrinfo(ai);
            return 0;
        }
        ret = AVERROR(errno);
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    log_msg(LOG_ERROR, "", STAGE, "--admin %s: cannot listen there: %s", listen_on, ERRSTR(ret));
    return ret;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

int admin_new(Admin **ap, const AdminConfig *cfg)
{
    Admin *a;
    const char *token;
    unsigned flags;
    int fd = -1, ipv6 = 0, ret;

    if (!ap || !cfg || !cfg->listen || cfg->nchannels < 0 || (cfg->nchannels && !cfg->channels))
        return AVERROR(EINVAL);
    *ap = NULL;
    if (!(a = calloc(1, sizeof(*a))))
        return AVERROR(ENOMEM);
    a->nchannels = cfg->nchannels;
    a->reload = cfg->reload;
    a->process_metrics = cfg->process_metrics;
    a->opaque = cfg->opaque;
    if ((cfg->nchannels && !(a->channels = malloc((size_t)cfg->nchannels * sizeof(*a->channels)))) ||
        !(a->version = dup_or_empty(cfg->version)) || !(a->ffmpeg_version = dup_or_empty(cfg->ffmpeg_version)) ||
        !(a->x264_version = dup_or_empty(cfg->x264_version)) ||
        !(a->web_root = strdup(cfg->web_root ? cfg->web_root : web_root_default())) ||
        !(a->token_env = strdup(cfg->token_env ? cfg->token_env : ADMIN_TOKEN_ENV_DEFAULT))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (cfg->nchannels)
        memcpy(a->channels, cfg->channels, (size_t)cfg->nchannels * sizeof(*a->channels));
    /* read once: a token set later is not seen, one unset later still works */
    token = getenv(a->token_env);
    if (token && token[0]) {
        if (!(a->token = strdup(token))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        a->token_len = strlen(token);
    } else {
        log_msg(LOG_NOTICE, "", STAGE, "%s is not set: the control API is read-only", a->token_env);
    }
    if ((ret = open_listener(cfg->listen, &fd, &ipv6, &a->port)) < 0)
        goto fail;
    flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
            (ipv6 ? MHD_USE_IPv6 : 0);
    /* the daemon owns fd from here, on its failure too */
    a->mhd = MHD_start_daemon(flags, (uint16_t)a->port, NULL, NULL, handle, a,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
                              MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_CONNECTIONS,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)ADMIN_TIMEOUT_S,
                              MHD_OPTION_URI_LOG_CALLBACK, request_begin, a,
                              MHD_OPTION_NOTIFY_COMPLETED, request_end, a,
                              MHD_OPTION_END);
    if (!a->mhd) {
        log_msg(LOG_ERROR, "", STAGE, "--admin %s: the HTTP server could not start", cfg->listen);
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    log_msg(LOG_INFO, "", STAGE, "listening on %s (port %d); status page from %s", cfg->listen,
            a->port, a->web_root);
    *ap = a;
    return 0;
fail:
    admin_free(&a);
    return ret;
}

int admin_port(const Admin *a)
{
    return a ? a->port : AVERROR(EINVAL);
}

void admin_free(Admin **ap)
{
    Admin *a = *ap;

    if (!a)
        return;
    /* event streams see this within a slice and end; then the daemon joins
     * every connection's thread */
    atomic_store(&a->stopping, 1);
    if (a->mhd)
        MHD_stop_daemon(a->mhd);
    if (a->token) {
        /* not left in freed memory */
        memset(a->token, 0, a->token_len);
        free(a->token);
    }
    free(a->channels);
    free(a->version);
    free(a->ffmpeg_version);
    free(a->x264_version);
    free(a->web_root);
    free(a->token_env);
    free(a);
    *ap = NULL;
}
