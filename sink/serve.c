/*
 * The built-in HTTP server (libmicrohttpd): serves live channels' output
 * folders, a player page and the time for DASH UTCTiming.
 *
 * The server only reads files, and reads them fresh on every request: the
 * dir sink replaces files by rename, so open + fstat gives one consistent
 * version, and nothing here ever waits on a channel or makes a channel wait.
 * Bodies go out from the open file (sendfile), so a big segment to a slow
 * client costs a descriptor, not a thread.
 *
 * Only names onair writes are reachable, checked on the decoded path before
 * anything is opened, and then opened one component at a time with
 * O_NOFOLLOW, so neither a crafted URL nor a symlink inside a channel's
 * folder can lead out of it. What is not a channel's output is 400 or 404,
 * never 500.
 *
 * What a CDN in front needs is answered here rather than left to it: strong
 * ETags and Last-Modified with 304s, single byte ranges (206/416) (the rules
 * are http.c's, pure and fuzzed), CORS on every response, Cache-Control by
 * kind of file (sink.h lists it all).
 *
 * Threads: libmicrohttpd's internal polling (epoll) in a small pool, fixed
 * in size whatever the load. Descriptors are bounded instead: connections
 * are counted, in all and per client address, when they open; one over a
 * limit is answered 503 and closed, and libmicrohttpd's own limits, a margin
 * above, close the rest at once. Idle or stalled connections are dropped
 * after a timeout. Connections may be suspended (MHD_ALLOW_SUSPEND_RESUME),
 * for blocking playlist reloads.
 */
#include "internal.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <microhttpd.h>

#define STAGE "serve"


/* Enough for many clients: a thread serves every connection it polls, and
 * file bodies go out by sendfile. */
#define SERVE_THREADS 2
/* Descriptors left to the rest of the process (sources, encoders, files). */
#define SERVE_FD_RESERVE 256
/* A connection over a limit is answered 503 as soon as it asks; one that
 * asks nothing is closed after this. */
#define SERVE_REFUSED_TIMEOUT_S 2
/* Files up to this size (playlists, manifests: what is asked for most) are
 * read and go out with their headers in one write; bigger ones are sent from
 * the file, so memory stays flat however large the segments. */
#define SMALL_FILE_MAX (16 * 1024)
/* Warnings about refused connections, at most this often. */
#define WARN_EVERY_US (10 * 1000000LL)
/* Longer request targets are refused (414): onair's own are far shorter. */
#define SERVE_URL_MAX 1024
#define PLAYER_PAGE "player.html"
#define PAGE_SIZE_MAX (1 << 20)
/* Where the player page's {{CHANNEL}} goes. */
#define PAGE_PLACEHOLDER "{{CHANNEL}}"

#define CACHE_LIVE    "max-age=1"                  /* rewritten every segment */
#define CACHE_SEGMENT "max-age=86400, immutable"   /* a name is never reused */
#define CACHE_NONE    "no-cache"
#define CACHE_SCRIPT  "max-age=300"

/* CORS: what a page on another origin may read of a response (beyond the
 * safelisted few), and may send in a request. */
#define CORS_EXPOSE        "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified, " \
                           "Age, Date"
#define CORS_ALLOW_HEADERS "Range, If-None-Match, If-Modified-Since, If-Range, Cache-Control, Pragma"
#define CORS_ASKED_MAX     512
#define METHODS            "GET, HEAD, OPTIONS"

typedef struct ServeChannel {
    char id[NAME_MAX_LEN + 1];
    char *dir;
} ServeChannel;

/* Open connections from one client address (a key of 16 bytes: IPv6, IPv4
 * as ::ffff:a.b.c.d). */
typedef struct AddrCount {
    uint8_t key[16];
    int count;
} AddrCount;

/* Per connection, from its opening to its close (socket_context). */
typedef struct Conn {
    struct Server *server;            /* for the answers' counts (respond) */
    uint8_t key[16];
    int counted;                      /* within the limits; else answered 503 */
} Conn;

/* Statuses are counted in a plain table: HTTP's codes are three digits. */
#define STATUS_CODES 600

struct Server {
    struct MHD_Daemon *mhd;
    atomic_int started;               /* the daemon runs (for mhd_log) */
    _Atomic int64_t trouble_warned_us;  /* last warning from libmicrohttpd's log */
    int port;
    char *web_root;
    ServerLimits limits;
    LowLatency *ll;                   /* requests waiting for what is not there yet */
    pthread_mutex_t lock;             /* the channel table */
    ServeChannel *channels;
    int nchannels, cap;
    pthread_mutex_t conn_lock;        /* what follows */
    int open;                         /* connections within the limits */
    AddrCount *addrs;                 /* their addresses, each with its count (> 0) */
    int naddrs;                       /* at most limits.connections */
    int64_t refused;                  /* connections refused since the last warning */
    int64_t refused_warned_us;
    /* server_metrics */
    _Atomic int64_t answered[STATUS_CODES];   /* responses queued, by status */
    atomic_int connections;           /* open now, within the limits or not */
};

/* Per request: made when the request line arrives, before libmicrohttpd
 * decodes the URL (a decoded %00 would cut it short), freed when the request
 * completes. Blocking reloads will keep their state here. */
typedef struct Request {
    unsigned refuse;                  /* nonzero: the raw target is refused with this status */
    int headers_seen;                 /* the handler has been called once */
    int head;                         /* HEAD: no body will be sent */
    LlWait wait;                      /* a low-latency request's, across suspensions */
    uintptr_t target_end;             /* address of the raw target's terminator */
} Request;

/* What may be served, by extension, and how long it may be kept; its
 * Content-Type is output_content_type's. */
typedef struct FileKind {
    const char *ext;
    const char *cache;
    int web;                          /* may be served from web_root */
} FileKind;

static const FileKind file_kinds[] = {
    { "m3u8", CACHE_LIVE,    0 },
    { "mpd",  CACHE_LIVE,    0 },
    { "ts",   CACHE_SEGMENT, 0 },
    { "m4s",  CACHE_SEGMENT, 0 },
    /* init.mp4 keeps its name across restarts, where the ladder may change */
    { "mp4",  CACHE_LIVE,    0 },
    { "html", CACHE_NONE,    1 },
    { "js",   CACHE_SCRIPT,  1 },
    { "css",  CACHE_SCRIPT,  1 },
    { "map",  CACHE_SCRIPT,  1 },
};

/* Player files that live elsewhere than web_root's top: the pinned npm
 * package, installed by `npm ci` in web_root. */
static const struct {
    const char *name;
    const char *const parts[4];
} player_map[] = {
    { "hls.min.js",     { "node_modules", "hls.js", "dist", "hls.min.js" } },
    { "hls.min.js.map", { "node_modules", "hls.js", "dist", "hls.min.js.map" } },
};

static const FileKind *kind_of(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++)
        if (!strcmp(dot + 1, file_kinds[i].ext))
            return &file_kinds[i];
    return NULL;
}

/* ---- names ------------------------------------------------------------- */

static int is_lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_name_char(char c)
{
    return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
}

/* A channel id as the config allows it: [a-z0-9-]+. */
static int channel_id_ok(const char *s, size_t len)
{
    if (!len || len > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_or_digit(s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* A rendition folder or a player file: letters, digits, '-', '_', '.', and
 * not starting with '.' (no dotfiles, no "." or ".."). */
static int plain_name_ok(const char *s)
{
    size_t len = strlen(s);

    if (!len || len > NAME_MAX_LEN || s[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]))
            return 0;
    return 1;
}

/* ---- files ------------------------------------------------------------- */

/* internal.h: root itself is the operator's and may be a link; nothing
 * below it may be, and nothing but a regular file is served (a FIFO would
 * block a thread). */
int serve_open_beneath(const char *root, const char *const *parts, int n, int *fd_out, struct stat *st)
{
    int dfd, fd, err;

    *fd_out = -1;
    dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return AVERROR(errno);
    for (int i = 0; i < n - 1; i++) {
        int next = openat(dfd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        err = errno;
        close(dfd);
        if (next < 0)
            return AVERROR(err);
        dfd = next;
    }
    fd = openat(dfd, parts[n - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    err = errno;
    close(dfd);
    if (fd < 0)
        return AVERROR(err);
    /* O_NONBLOCK was for FIFOs; a regular file's reads and sendfile ignore it */
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return AVERROR(ENOENT);
    }
    *fd_out = fd;
    return 0;
}

int serve_read_beneath(const char *root, const char *const *parts, int n, Buf *out, size_t max)
{
    struct stat st;
    char chunk[8192];
    int fd, ret = serve_open_beneath(root, parts, n, &fd, &st);

    if (ret < 0)
        return ret;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            ret = AVERROR(errno);
            break;
        }
        if (got == 0)
            break;
        if (out->len + (size_t)got > max) {
            ret = AVERROR(EFBIG);
            break;
        }
        if ((ret = buf_append(out, chunk, (size_t)got)) < 0)
            break;
    }
    close(fd);
    return ret;
}

/* ---- responses ---------------------------------------------------------- */

static void count_answer(struct MHD_Connection *c, unsigned status)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const Conn *conn = ci ? ci->socket_context : NULL;

    if (conn && status < STATUS_CODES)
        atomic_fetch_add(&conn->server->answered[status], 1);
}

/* Queues r with the headers every response carries; takes r. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                               const char *type, const char *cache)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;   /* out of memory: libmicrohttpd closes the connection */
    if (MHD_add_response_header(r, "Access-Control-Allow-Origin", "*") != MHD_YES ||
        MHD_add_response_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE) != MHD_YES ||
        (type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) ||
        (cache && MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES)
        count_answer(c, status);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, METHODS) != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    /* busy: come back in a moment, on a new connection */
    if (r && status == MHD_HTTP_SERVICE_UNAVAILABLE &&
        (MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1") != MHD_YES ||
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return respond(c, status, r, "text/plain; charset=utf-8", CACHE_NONE);
}

static enum MHD_Result respond_status(struct MHD_Connection *c, unsigned status)
{
    switch (status) {
    case MHD_HTTP_BAD_REQUEST:        return respond_text(c, status, "400 bad request\n");
    case MHD_HTTP_NOT_FOUND:          return respond_text(c, status, "404 not found\n");
    case MHD_HTTP_METHOD_NOT_ALLOWED: return respond_text(c, status, "405 method not allowed\n");
    case MHD_HTTP_URI_TOO_LONG:       return respond_text(c, status, "414 URI too long\n");
    default:                          return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                                          "503 service unavailable\n");
    }
}

/* Why a file could not be opened, as a status: everything that says "not
 * here" is 404; running out of descriptors or memory is 503 (try again). */
static unsigned status_of_error(int err)
{
    if (err == AVERROR(EMFILE) || err == AVERROR(ENFILE) || err == AVERROR(ENOMEM))
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    return MHD_HTTP_NOT_FOUND;
}

/* A small file read whole, to go out with its headers in one write; closes
 * fd. NULL when it cannot be read (the connection is then closed). */
static struct MHD_Response *response_from_small_file(int fd, size_t size)
{
    struct MHD_Response *r;
    uint8_t *data = malloc(size ? size : 1);
    size_t got = 0;

    while (data && got < size) {
        ssize_t n = pread(fd, data + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(data);
            data = NULL;
            break;
        }
        if (n == 0)
            break;   /* shorter than fstat said: send what is there */
        got += (size_t)n;
    }
    close(fd);
    if (!data)
        return NULL;
    r = MHD_create_response_from_buffer(got, data, MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(data);
    return r;
}

static const char *request_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A file, answered as the request's validators and Range ask: 200, 304,
 * 206 or 416 (see sink.h; the decision is http.c's). */
static enum MHD_Result respond_file(struct MHD_Connection *c, const Request *rq, const char *root,
                                    const char *const *parts, int n, const FileKind *kind)
{
    static const char unsatisfiable[] = "416 range not satisfiable\n";
    struct MHD_Response *r;
    struct stat st;
    HttpConditions h = {
        .if_none_match = request_header(c, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .if_modified_since = request_header(c, MHD_HTTP_HEADER_IF_MODIFIED_SINCE),
        .range = request_header(c, MHD_HTTP_HEADER_RANGE),
        .if_range = request_header(c, MHD_HTTP_HEADER_IF_RANGE),
    };
    HttpValidators v;
    HttpAnswer a;
    char content_range[96];
    int64_t now = clock_wall_us();
    unsigned status;
    int fd, ret = serve_open_beneath(root, parts, n, &fd, &st);

    if (ret < 0)
        return respond_status(c, status_of_error(ret));
    http_validators(&st, now, &v);
    http_answer(&h, &v, (int64_t)st.st_size, &a);
    status = a.status;
    if (status == MHD_HTTP_RANGE_NOT_SATISFIABLE) {
        close(fd);
        snprintf(content_range, sizeof(content_range), "bytes */%" PRId64, (int64_t)st.st_size);
        r = MHD_create_response_from_buffer(strlen(unsatisfiable), (void *)unsatisfiable,
                                            MHD_RESPMEM_PERSISTENT);
        if (r && (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE,
                                          content_range) != MHD_YES ||
                  MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes") != MHD_YES)) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
        return respond(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r, "text/plain; charset=utf-8",
                       CACHE_NONE);
    }
    if (status == MHD_HTTP_PARTIAL_CONTENT) {
        snprintf(content_range, sizeof(content_range), "bytes %" PRId64 "-%" PRId64 "/%" PRId64,
                 a.first, a.last, (int64_t)st.st_size);
        r = MHD_create_response_from_fd_at_offset64((uint64_t)(a.last - a.first + 1), fd,
                                                    (uint64_t)a.first);
    } else if (status == MHD_HTTP_OK && !rq->head && st.st_size <= SMALL_FILE_MAX) {
        r = response_from_small_file(fd, (size_t)st.st_size);
        fd = -1;
        if (!r)
            return MHD_NO;
    } else {
        /* a HEAD or a 304 reads nothing, and says the Content-Length that a
         * 200 would have (RFC 7230 3.3.2) */
        r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    }
    /* from here the response owns fd */
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, v.etag) != MHD_YES ||
        (v.last_modified[0] && MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED,
                                                       v.last_modified) != MHD_YES) ||
        (status != MHD_HTTP_NOT_MODIFIED &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes") != MHD_YES) ||
        (status == MHD_HTTP_PARTIAL_CONTENT &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, content_range) != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    /* a 304 carries what updates a cache's copy, not what describes a body */
    return respond(c, status, r,
                   status == MHD_HTTP_NOT_MODIFIED ? NULL : output_content_type(parts[n - 1]),
                   kind->cache);
}

static enum MHD_Result respond_buf(struct MHD_Connection *c, Buf *b, const char *type,
                                   const char *cache)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data,
                                                             MHD_RESPMEM_MUST_COPY);
    buf_free(b);
    return respond(c, MHD_HTTP_OK, r, type, cache);
}

/* A token list as Access-Control-Request-Headers has it: nothing that could
 * end a header line or start another. */
static int header_list_ok(const char *v)
{
    size_t len = strlen(v);

    if (!len || len > CORS_ASKED_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("!#$%&'*+-.^_`|~ ,", ch)))
            return 0;
    }
    return 1;
}

/* A CORS preflight (a player that sends Range or a validator cross-origin). */
static enum MHD_Result respond_preflight(struct MHD_Connection *c)
{
    const char *asked = request_header(c, "Access-Control-Request-Headers");
    char allow[sizeof(CORS_ALLOW_HEADERS) + CORS_ASKED_MAX + 8];
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

    /* whatever else a page asks to send is allowed too: the files are
     * public, and no answer depends on a request header but those above */
    if (asked && header_list_ok(asked))
        snprintf(allow, sizeof(allow), "%s, %s", CORS_ALLOW_HEADERS, asked);
    else
        snprintf(allow, sizeof(allow), "%s", CORS_ALLOW_HEADERS);
    if (r && (MHD_add_response_header(r, "Access-Control-Allow-Methods", METHODS) != MHD_YES ||
              MHD_add_response_header(r, "Access-Control-Allow-Headers", allow) != MHD_YES ||
              MHD_add_response_header(r, "Access-Control-Max-Age", "86400") != MHD_YES ||
              MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, METHODS) != MHD_YES ||
              MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                                      "Access-Control-Request-Headers") != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return respond(c, MHD_HTTP_NO_CONTENT, r, NULL, NULL);
}

/* ---- the channel table -------------------------------------------------- */

static ServeChannel *find_channel(Server *s, const char *id, size_t len)
{
    for (int i = 0; i < s->nchannels; i++)
        if (strlen(s->channels[i].id) == len && !memcmp(s->channels[i].id, id, len))
            return &s->channels[i];
    return NULL;
}

/* Copies channel id's folder into dir; AVERROR(ENOENT) when there is none. */
static int channel_dir(Server *s, const char *id, size_t len, char *dir, size_t size)
{
    ServeChannel *ch;
    int ret = AVERROR(ENOENT);

    pthread_mutex_lock(&s->lock);
    ch = find_channel(s, id, len);
    if (ch)
        ret = snprintf(dir, size, "%s", ch->dir) < (int)size ? 0 : AVERROR(ENAMETOOLONG);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* ---- routes --------------------------------------------------------------- */

static enum MHD_Result serve_index(Server *s, struct MHD_Connection *c)
{
    Buf b = { 0 };
    int ret = buf_printf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                         "<title>onair</title></head>\n<body><h1>onair</h1>\n<ul>\n");

    /* ids are [a-z0-9-]+: nothing in them needs escaping */
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nchannels && ret >= 0; i++)
        ret = buf_printf(&b, "<li><a href=\"/%s/\">%s</a> "
                         "(<a href=\"/%s/master.m3u8\">master.m3u8</a>)</li>\n",
                         s->channels[i].id, s->channels[i].id, s->channels[i].id);
    if (ret >= 0 && !s->nchannels)
        ret = buf_printf(&b, "<li>no channel is on air</li>\n");
    pthread_mutex_unlock(&s->lock);
    if (ret >= 0)
        ret = buf_printf(&b, "</ul>\n</body></html>\n");
    if (ret < 0) {
        buf_free(&b);
        return respond_status(c, MHD_HTTP_SERVICE_UNAVAILABLE);
    }
    return respond_buf(c, &b, "text/html; charset=utf-8", CACHE_NONE);
}

static enum MHD_Result serve_time(struct MHD_Connection *c)
{
    char now[40];
    struct MHD_Response *r;

    clock_format_iso(clock_wall_us(), now, sizeof(now));
    r = MHD_create_response_from_buffer(strlen(now), now, MHD_RESPMEM_MUST_COPY);
    return respond(c, MHD_HTTP_OK, r, "text/plain; charset=utf-8", "no-store");
}

/* The player page, with the channel's id put where PAGE_PLACEHOLDER is. */
static enum MHD_Result serve_player_page(Server *s, struct MHD_Connection *c, const char *id,
                                         size_t id_len)
{
    Buf page = { 0 }, out = { 0 };
    const char *p, *hit;
    const char *name = PLAYER_PAGE;
    int ret = serve_read_beneath(s->web_root, &name, 1, &page, PAGE_SIZE_MAX);

    if (ret < 0) {
        buf_free(&page);
        return respond_status(c, status_of_error(ret));
    }
    if ((ret = buf_append(&page, "", 1)) < 0)   /* a terminator for strstr */
        goto fail;
    page.len--;
    for (p = (const char *)page.data; (hit = strstr(p, PAGE_PLACEHOLDER));
         p = hit + strlen(PAGE_PLACEHOLDER)) {
        if ((ret = buf_append(&out, p, (size_t)(hit - p))) < 0 ||
            (ret = buf_append(&out, id, id_len)) < 0)
            goto fail;
    }
    if ((ret = buf_append(&out, p, strlen(p))) < 0)
        goto fail;
    buf_free(&page);
    return respond_buf(c, &out, "text/html; charset=utf-8", CACHE_NONE);
fail:
    buf_free(&page);
    buf_free(&out);
    return respond_status(c, MHD_HTTP_SERVICE_UNAVAILABLE);
}

static enum MHD_Result serve_player_file(Server *s, struct MHD_Connection *c, const Request *rq,
                                         const char *name)
{
    const FileKind *kind;

    for (size_t i = 0; i < sizeof(player_map) / sizeof(player_map[0]); i++)
        if (!strcmp(name, player_map[i].name))
            return respond_file(c, rq, s->web_root, player_map[i].parts, 4, kind_of(name));
    kind = kind_of(name);
    if (!plain_name_ok(name) || !kind || !kind->web)
        return respond_status(c, MHD_HTTP_NOT_FOUND);
    return respond_file(c, rq, s->web_root, &name, 1, kind);
}

/* A request for a channel's file, resolved: which file of which folder. */
typedef struct ChannelFile {
    char dir[4096];                   /* the channel's folder (a copy) */
    const char *parts[2];             /* the path below it: [rendition,] name */
    int nparts;
    const FileKind *kind;
} ChannelFile;

/* /<id>/<name> or /<id>/<rendition>/<name> to f; rest is what follows
 * "/<id>/" (decoded, without the query; it is cut in place and f points
 * into it). 0, or the status that refuses it. */
static unsigned resolve_channel_file(Server *s, const char *id, size_t id_len, char *rest,
                                     ChannelFile *f)
{
    char *slash = strchr(rest, '/');

    f->nparts = 0;
    if (slash) {
        *slash = 0;
        if (!plain_name_ok(rest) || strchr(slash + 1, '/'))
            return MHD_HTTP_NOT_FOUND;
        f->parts[f->nparts++] = rest;
        rest = slash + 1;
    }
    f->parts[f->nparts++] = rest;
    f->kind = kind_of(rest);
    /* only what the packager writes: nothing else in its folder is served */
    if (output_name_parse(rest, NULL) < 0 || !f->kind || f->kind->web)
        return MHD_HTTP_NOT_FOUND;
    if (channel_dir(s, id, id_len, f->dir, sizeof(f->dir)) < 0)
        return MHD_HTTP_NOT_FOUND;
    return 0;
}

/* A channel's file. The query (MHD_GET_ARGUMENT_KIND) does not choose the
 * file; a blocking playlist reload reads it between resolving and answering. */
static enum MHD_Result serve_channel_file(Server *s, struct MHD_Connection *c, Request *rq,
                                          const char *id, size_t id_len, char *rest)
{
    ChannelFile f;
    LlAnswer a;
    char key[NAME_MAX_LEN + 1], rel[SERVE_URL_MAX + 1], max_age[48];
    const char *cache;
    unsigned refused = resolve_channel_file(s, id, id_len, rest, &f);

    if (refused)
        return respond_status(c, refused);
    /* what is not there yet: a blocking reload, a hinted part, a segment
     * being cut (lowlatency.c) */
    snprintf(key, sizeof(key), "%.*s", (int)id_len, id);
    snprintf(rel, sizeof(rel), "%s%s%s", f.nparts > 1 ? f.parts[0] : "", f.nparts > 1 ? "/" : "",
             f.parts[f.nparts - 1]);
    if (lowlatency_answer(s->ll, c, &rq->wait, key, f.dir, rel, &a) < 0)
        return respond_status(c, MHD_HTTP_SERVICE_UNAVAILABLE);
    switch (a.action) {
    case LL_SUSPENDED:
        return MHD_YES;
    case LL_RESPOND:
        switch (a.cache) {
        case LL_CACHE_BLOCKED:
            /* unique to its query, and final: a CDN may keep it */
            snprintf(max_age, sizeof(max_age), "public, max-age=%" PRId64, a.max_age_s);
            cache = max_age;
            break;
        case LL_CACHE_MEDIA:    cache = CACHE_SEGMENT; break;
        case LL_CACHE_PLAYLIST: cache = f.kind->cache; break;
        default:                cache = CACHE_NONE; break;
        }
        return respond(c, a.status, a.response,
                       a.cache == LL_CACHE_ERROR ? "text/plain; charset=utf-8"
                                                 : output_content_type(f.parts[f.nparts - 1]), cache);
    default:
        return respond_file(c, rq, f.dir, f.parts, f.nparts, f.kind);
    }
}

static enum MHD_Result route(Server *s, struct MHD_Connection *c, Request *rq,
                             const char *url)
{
    char path[SERVE_URL_MAX + 1], dir[4096];
    const char *first, *slash;
    size_t len = strlen(url), first_len;

    if (len > SERVE_URL_MAX)
        return respond_status(c, MHD_HTTP_URI_TOO_LONG);
    if (url[0] != '/')
        return respond_status(c, MHD_HTTP_BAD_REQUEST);
    if (strchr(url, '\\'))
        return respond_status(c, MHD_HTTP_BAD_REQUEST);
    if (!strcmp(url, "/"))
        return serve_index(s, c);
    if (!strcmp(url, "/time"))
        return serve_time(c);
    if (!strncmp(url, "/player/", 8))
        return serve_player_file(s, c, rq, url + 8);

    first = url + 1;
    slash = strchr(first, '/');
    first_len = slash ? (size_t)(slash - first) : strlen(first);
    if (!channel_id_ok(first, first_len))
        return respond_status(c, MHD_HTTP_NOT_FOUND);
    if (!slash || !slash[1]) {
        /* /<id> and /<id>/: the player page, for a channel that is here */
        if (channel_dir(s, first, first_len, dir, sizeof(dir)) < 0)
            return respond_status(c, MHD_HTTP_NOT_FOUND);
        return serve_player_page(s, c, first, first_len);
    }
    memcpy(path, slash + 1, strlen(slash + 1) + 1);
    return serve_channel_file(s, c, rq, first, first_len, path);
}

/* ---- connections and limits ----------------------------------------------- */

/* libmicrohttpd's own limits, a margin above ours: connections in between
 * are accepted only to be answered 503. Past them libmicrohttpd closes a new
 * connection at once (per address), or leaves it in the listen queue until
 * one closes (in all), so descriptors stay bounded whatever comes. */
static int hard_limit(int soft)
{
    return soft + (soft / 4 > 16 ? soft / 4 : 16);
}

/* The most connections (our limit) `files` open files allow: each may hold
 * its socket and the file it sends, margin included. */
static int connections_for_files(rlim_t files_limit)
{
    int64_t files, budget, soft;

    files = files_limit == RLIM_INFINITY || files_limit > INT_MAX ? INT_MAX : (int64_t)files_limit;
    budget = (files - SERVE_FD_RESERVE) / 2;
    soft = budget - (budget / 5 > 16 ? budget / 5 : 16);   /* hard_limit(soft) <= budget */
    return soft < 8 ? 8 : soft > INT_MAX / 2 ? INT_MAX / 2 : (int)soft;
}

/* What this process's open files allow now. */
static int connections_allowed(void)
{
    struct rlimit rl;

    return connections_for_files(getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024);
}

/* What raise_open_files sets the soft limit to. */
static rlim_t open_files_wanted(const struct rlimit *rl)
{
    return rl->rlim_max == RLIM_INFINITY || rl->rlim_max > SERVER_OPEN_FILES_MAX
               ? SERVER_OPEN_FILES_MAX : rl->rlim_max;
}

int server_connections_allowed(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return connections_for_files(1024);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= open_files_wanted(&rl))
        return connections_for_files(rl.rlim_cur);
    return connections_for_files(open_files_wanted(&rl));
}

/* Nothing in onair uses select() (libav*, libcurl and libmicrohttpd poll), so
 * the soft limit of 1024 that shells and services start with only stands in
 * the way of connections. */
static void raise_open_files(void)
{
    struct rlimit rl;
    rlim_t want, was;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    want = open_files_wanted(&rl);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    was = rl.rlim_cur;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_msg(LOG_INFO, "", STAGE, "open files limit raised from %llu to %llu",
                (unsigned long long)was, (unsigned long long)want);
}

void server_default_limits(ServerLimits *out)
{
    int allowed = connections_allowed();

    if (!out)
        return;
    out->connections = allowed < SERVER_CONNECTIONS_DEFAULT ? allowed : SERVER_CONNECTIONS_DEFAULT;
    out->per_address = out->connections / 2 > 0 ? out->connections / 2 : 1;
    out->timeout_s = SERVER_IDLE_TIMEOUT_DEFAULT_S;
}

/* asked (NULL or 0 fields: defaults) made possible on this host. */
static void resolve_limits(const char *where, const ServerLimits *asked, ServerLimits *out)
{
    int allowed = connections_allowed();

    server_default_limits(out);
    if (asked && asked->connections > 0) {
        out->connections = asked->connections;
        out->per_address = out->connections / 2 > 0 ? out->connections / 2 : 1;
    }
    if (out->connections > allowed) {
        log_msg(LOG_WARN, "", STAGE, "%s: %d connections asked, but the open files allowed "
                "(ulimit -n) leave room for %d: %d it is", where, out->connections, allowed,
                allowed);
        out->connections = allowed;
        out->per_address = out->connections / 2 > 0 ? out->connections / 2 : 1;
    }
    if (asked && asked->per_address > 0)
        out->per_address = asked->per_address;
    if (out->per_address > out->connections)
        out->per_address = out->connections;
    if (asked && asked->timeout_s > 0)
        out->timeout_s = asked->timeout_s;
}

/* A client's address as the per-address limit counts it. */
static void address_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(key, &in6->sin6_addr, 16);
        /* a host owns a whole /64 and may use any address in it */
        if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            memset(key + 8, 0, 8);
    }
}

/* key's entry among the open connections' addresses; NULL when it has none.
 * A plain scan: there are at most limits.connections of them, and it costs
 * far less than the accept it goes with. Under conn_lock. */
static AddrCount *address_find(Server *s, const uint8_t key[16])
{
    for (int i = 0; i < s->naddrs; i++)
        if (!memcmp(s->addrs[i].key, key, 16))
            return &s->addrs[i];
    return NULL;
}

/* One connection of key's address fewer; an address with none left gives its
 * entry to the last one. Under conn_lock. */
static void address_release(Server *s, const uint8_t key[16])
{
    AddrCount *a = address_find(s, key);

    if (a && --a->count == 0)
        *a = s->addrs[--s->naddrs];
}

/* Every connection is counted when it opens, in all and for its address;
 * one over either limit stays uncounted, is answered 503 at its first
 * request (request_begin) and closed, and is closed soon if it asks nothing. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    Server *s = cls;
    Conn *conn = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
            c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        AddrCount *a;

        atomic_fetch_add(&s->connections, 1);
        *socket_context = conn = calloc(1, sizeof(*conn));
        if (conn) {
            conn->server = s;
            address_key(ci ? ci->client_addr : NULL, conn->key);
            pthread_mutex_lock(&s->conn_lock);
            a = address_find(s, conn->key);
            if (s->open < s->limits.connections && (!a || a->count < s->limits.per_address)) {
                if (!a) {
                    /* fewer addresses than connections counted: there is room */
                    a = &s->addrs[s->naddrs++];
                    memcpy(a->key, conn->key, 16);
                    a->count = 0;
                }
                a->count++;
                s->open++;
                conn->counted = 1;
            } else {
                int64_t now = clock_monotonic_us();
                s->refused++;
                if (now - s->refused_warned_us >= WARN_EVERY_US) {
                    log_msg(LOG_WARN, "", STAGE, "%" PRId64 " connection(s) answered 503: over the "
                            "limit of %d open, or %d from one address (%d open now)", s->refused,
                            s->limits.connections, s->limits.per_address, s->open);
                    s->refused = 0;
                    s->refused_warned_us = now;
                }
            }
            pthread_mutex_unlock(&s->conn_lock);
        }
        if (!conn || !conn->counted)
            MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                      (unsigned int)SERVE_REFUSED_TIMEOUT_S);
        return;
    }
    atomic_fetch_sub(&s->connections, 1);
    if (conn && conn->counted) {
        pthread_mutex_lock(&s->conn_lock);
        address_release(s, conn->key);
        s->open--;
        pthread_mutex_unlock(&s->conn_lock);
    }
    free(conn);
    *socket_context = NULL;
}

static int connection_refused(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    const Conn *conn = ci ? ci->socket_context : NULL;

    return !conn || !conn->counted;
}

/* ---- libmicrohttpd callbacks --------------------------------------------- */

/* The request target as it came, before decoding: refuse what no onair URL
 * has (an encoded NUL, control bytes, backslashes) and what is too long; and
 * every request of a connection over the limits. */
static void *request_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
    Request *rq = calloc(1, sizeof(*rq));
    size_t len = strlen(uri);

    if (!rq)
        return NULL;
    rq->target_end = (uintptr_t)(uri + len);
    if (connection_refused(c))
        rq->refuse = MHD_HTTP_SERVICE_UNAVAILABLE;
    else if (len > SERVE_URL_MAX)
        rq->refuse = MHD_HTTP_URI_TOO_LONG;
    for (size_t i = 0; i < len && !rq->refuse; i++) {
        unsigned char ch = (unsigned char)uri[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '\\')
            rq->refuse = MHD_HTTP_BAD_REQUEST;
        else if (ch == '%' && uri[i + 1] == '0' && uri[i + 2] == '0')
            rq->refuse = MHD_HTTP_BAD_REQUEST;
        else if (ch == '%' && uri[i + 1] == '5' && (uri[i + 2] == 'c' || uri[i + 2] == 'C'))
            rq->refuse = MHD_HTTP_BAD_REQUEST;
    }
    return rq;
}

static void request_end(void *cls, struct MHD_Connection *c, void **req_cls,
                        enum MHD_RequestTerminationCode toe)
{
    free(*req_cls);
    *req_cls = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    Server *s = cls;
    Request *rq = *req_cls;

    if (!rq)
        return respond_status(c, MHD_HTTP_SERVICE_UNAVAILABLE);   /* out of memory */
    if (rq->refuse)
        return respond_status(c, rq->refuse);   /* and the connection is closed */
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD) &&
        strcmp(method, MHD_HTTP_METHOD_OPTIONS))
        return respond_status(c, MHD_HTTP_METHOD_NOT_ALLOWED);   /* its body is not read */
    /* libmicrohttpd closes a connection whose answer is queued at the first
     * call (before a body could be read): answering at the next keeps it
     * alive. A body (GET has none worth reading) is read and dropped. */
    if (!rq->headers_seen) {
#if MHD_VERSION <= 0x00097500
        /* A NUL byte in the request line hides the rest of the target from
         * every string libmicrohttpd hands over. Its parser (0.9.75, Debian
         * 12) puts the version right after the target's terminator, so a
         * version that starts later means a NUL inside the target. Only
         * addresses are compared; nothing is read. */
        if (version[0] && (uintptr_t)version != rq->target_end + 1)
            return respond_status(c, MHD_HTTP_BAD_REQUEST);
#endif
        rq->headers_seen = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS))
        return respond_preflight(c);
    rq->head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
    return route(s, c, rq, url);
}

/* libmicrohttpd's messages. While it starts, each is why it failed. Later
 * nearly all are about one client (it went away, sent a bad request): those
 * are info, or a busy log would fill with other people's problems; running
 * out of descriptors, memory or connections is the server's, a warning, at
 * most one every WARN_EVERY_US (a flood of connections would say it for
 * every one). */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static const char *const server_trouble[] = {
        "Error accepting", "Error allocating", "Server reached connection limit",
        "Hit process or system resource limit",
    };
    Server *s = cls;
    enum LogLevel level = LOG_INFO;

    if (!atomic_load(&s->started)) {
        level = LOG_ERROR;
    } else {
        for (size_t i = 0; i < sizeof(server_trouble) / sizeof(server_trouble[0]); i++) {
            int64_t now = clock_monotonic_us(), last = atomic_load(&s->trouble_warned_us);
            if (!strncmp(fmt, server_trouble[i], strlen(server_trouble[i])) &&
                now - last >= WARN_EVERY_US &&
                atomic_compare_exchange_strong(&s->trouble_warned_us, &last, now))
                level = LOG_WARN;
        }
    }
    log_vmsg(level, "", STAGE, fmt, ap);
}

/* ---- listening ----------------------------------------------------------- */

/* Binds and listens on the first address host:port gives that can be had.
 * On failure why says what went wrong. */
static int bind_host(const char *host, const char *port, int *fd_out, int *ipv6, char *why,
                     size_t why_size)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res, *ai;
    int rc = getaddrinfo(host, port, &hints, &res), err = 0;

    if (rc) {
        snprintf(why, why_size, "%s", rc == EAI_SYSTEM ? ERRSTR(AVERROR(errno)) : gai_strerror(rc));
        return rc == EAI_SYSTEM ? AVERROR(errno) : AVERROR(EADDRNOTAVAIL);
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1, zero = 0;
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd >= 0) {
            /* a restart binds while the old run's connections linger in TIME_WAIT */
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            /* "::" takes IPv4 too */
            if (ai->ai_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
                *fd_out = fd;
                *ipv6 = ai->ai_family == AF_INET6;
                freeaddrinfo(res);
                return 0;
            }
        }
        if (!err)
            err = errno;
        if (fd >= 0)
            close(fd);
    }
    freeaddrinfo(res);
    err = err ? err : EADDRNOTAVAIL;
    snprintf(why, why_size, "%s", ERRSTR(AVERROR(err)));
    return AVERROR(err);
}

/* A listening socket, made here rather than by libmicrohttpd so that a
 * failure says which address could not be had and why. */
static int open_listener(const char *where, int *fd, int *ipv6)
{
    ListenAddr a;
    char port[8], why[256];
    int ret = listen_parse(where, &a, why, sizeof(why));

    if (ret < 0) {
        log_msg(LOG_ERROR, "", STAGE, "%s: not an address to listen on: %s", where, why);
        return AVERROR(EINVAL);
    }
    snprintf(port, sizeof(port), "%d", a.port);
    if (a.host[0]) {
        ret = bind_host(a.host, port, fd, ipv6, why, sizeof(why));
    } else {
        /* every address: IPv6 and IPv4 both, or IPv4 alone where IPv6 is off */
        ret = bind_host("::", port, fd, ipv6, why, sizeof(why));
        if (ret == AVERROR(EAFNOSUPPORT) || ret == AVERROR(EADDRNOTAVAIL))
            ret = bind_host("0.0.0.0", port, fd, ipv6, why, sizeof(why));
    }
    if (ret < 0)
        log_msg(LOG_ERROR, "", STAGE, "%s: %s", where, why);
    return ret;
}

static int bound_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);

    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return AVERROR(errno);
    if (sa.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    return ntohs(((struct sockaddr_in *)&sa)->sin_port);
}

/* A missing page or hls.js is not fatal (the playlists are served all the
 * same), but whoever opens the page should not be the first to find out. */
static void check_web_root(const char *root)
{
    static const char *const page[] = { PLAYER_PAGE };
    struct stat st;
    int fd;

    if (serve_open_beneath(root, page, 1, &fd, &st) < 0) {
        log_msg(LOG_WARN, "", STAGE, "%s/%s: not found: /<channel>/ will answer 404", root,
                PLAYER_PAGE);
        return;
    }
    close(fd);
    if (serve_open_beneath(root, player_map[0].parts, 4, &fd, &st) < 0) {
        log_msg(LOG_WARN, "", STAGE, "%s/node_modules/hls.js/dist/hls.min.js: not found: the "
                "player page cannot play (run `npm ci` in %s)", root, root);
        return;
    }
    close(fd);
}

/* ---- the server ----------------------------------------------------------- */

int server_new(Server **sp, const char *listen_on, const char *web_root)
{
    return server_new_limited(sp, listen_on, web_root, NULL);
}

int server_new_limited(Server **sp, const char *listen_on, const char *web_root,
                       const ServerLimits *limits)
{
    Server *s;
    unsigned flags;
    int fd = -1, ipv6 = 0, ret;

    if (!sp)
        return AVERROR(EINVAL);
    *sp = NULL;
    if (!listen_on)
        return AVERROR(EINVAL);
    if (!(s = calloc(1, sizeof(*s))))
        return AVERROR(ENOMEM);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->conn_lock, NULL);
    raise_open_files();
    resolve_limits(listen_on, limits, &s->limits);
    if (!(s->addrs = calloc((size_t)s->limits.connections, sizeof(*s->addrs))) ||
        !(s->web_root = strdup(web_root ? web_root : web_root_default()))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if ((ret = lowlatency_new(&s->ll)) < 0)
        goto fail;
    if ((ret = open_listener(listen_on, &fd, &ipv6)) < 0)
        goto fail;
    if ((ret = bound_port(fd)) < 0) {
        close(fd);
        goto fail;
    }
    s->port = ret;

    flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
            (ipv6 ? MHD_USE_IPv6 : 0);
    /* The daemon owns fd from here: it closes it when it stops, and on most
     * of its failures too, so it is never closed here again (a double close
     * could hit another thread's descriptor). */
    s->mhd = MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL, handle, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SERVE_THREADS,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->limits.timeout_s,
                              MHD_OPTION_CONNECTION_LIMIT,
                              (unsigned int)hard_limit(s->limits.connections),
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                              (unsigned int)hard_limit(s->limits.per_address),
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                              MHD_OPTION_URI_LOG_CALLBACK, request_begin, s,
                              MHD_OPTION_NOTIFY_COMPLETED, request_end, s,
                              MHD_OPTION_END);
    if (!s->mhd) {
        log_msg(LOG_ERROR, "", STAGE, "%s: the HTTP server could not start", listen_on);
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    atomic_store(&s->started, 1);
    check_web_root(s->web_root);
    log_msg(LOG_INFO, "", STAGE, "listening on %s (port %d): at most %d connections, %d from "
            "one address, idle ones closed after %d s; player page from %s", listen_on, s->port,
            s->limits.connections, s->limits.per_address, s->limits.timeout_s, s->web_root);
    *sp = s;
    return 0;
fail:
    server_free(&s);
    return ret;
}

void server_limits(const Server *s, ServerLimits *out)
{
    if (!out)
        return;
    if (s)
        *out = s->limits;
    else
        memset(out, 0, sizeof(*out));
}

void server_metrics(Server *s, MetricVisit visit, void *opaque)
{
    char code[8];
    MetricSample m = { .id = METRIC_HTTP_REQUESTS, .labels = { code } };

    for (int i = 0; i < STATUS_CODES; i++) {
        int64_t n = atomic_load(&s->answered[i]);
        if (!n)
            continue;
        snprintf(code, sizeof(code), "%d", i);
        m.value = (double)n;
        visit(opaque, &m);
    }
    visit(opaque, &(MetricSample){ .id = METRIC_HTTP_CONNECTIONS,
                                   .value = atomic_load(&s->connections) });
}

int server_port(const Server *s)
{
    return s ? s->port : AVERROR(EINVAL);
}

int server_add_channel(Server *s, const char *id, const char *dir)
{
    ServeChannel *ch;
    char *copy;
    int ret = 0;

    if (!s || !id || !dir || !dir[0])
        return AVERROR(EINVAL);
    if (!channel_id_ok(id, strlen(id)) || !strcmp(id, "player") || !strcmp(id, "time")) {
        log_msg(LOG_ERROR, "", STAGE, "'%s' cannot be served: a channel id is [a-z0-9-]+, "
                "at most %d, and not 'player' or 'time' (the server's own paths)", id,
                NAME_MAX_LEN);
        return AVERROR(EINVAL);
    }
    if (!(copy = strdup(dir)))
        return AVERROR(ENOMEM);
    pthread_mutex_lock(&s->lock);
    ch = find_channel(s, id, strlen(id));
    if (!ch && s->nchannels == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        ServeChannel *grown = realloc(s->channels, sizeof(*grown) * (size_t)cap);
        if (!grown) {
            ret = AVERROR(ENOMEM);
            goto unlock;
        }
        s->channels = grown;
        s->cap = cap;
    }
    if (!ch) {
        ch = &s->channels[s->nchannels++];
        snprintf(ch->id, sizeof(ch->id), "%s", id);
        ch->dir = NULL;
    }
    /* requests in flight copied the old folder's name: replacing is safe */
    free(ch->dir);
    ch->dir = copy;
    copy = NULL;
    ret = lowlatency_watch(s->ll, id, dir);
unlock:
    pthread_mutex_unlock(&s->lock);
    free(copy);
    return ret;
}

void server_remove_channel(Server *s, const char *id)
{
    ServeChannel *ch;

    if (!s || !id)
        return;
    pthread_mutex_lock(&s->lock);
    ch = find_channel(s, id, strlen(id));
    if (ch) {
        free(ch->dir);
        /* keep the others in the order they came, for the index page */
        memmove(ch, ch + 1, sizeof(*ch) * (size_t)(s->channels + s->nchannels - ch - 1));
        s->nchannels--;
        lowlatency_unwatch(s->ll, id);
    }
    pthread_mutex_unlock(&s->lock);
}

void server_free(Server **sp)
{
    Server *s = sp ? *sp : NULL;

    if (!s)
        return;
    /* a suspended connection would hold the daemon from stopping */
    lowlatency_close(s->ll);
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    lowlatency_free(&s->ll);
    for (int i = 0; i < s->nchannels; i++)
        free(s->channels[i].dir);
    free(s->channels);
    free(s->web_root);
    free(s->addrs);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->conn_lock);
    free(s);
    *sp = NULL;
}
