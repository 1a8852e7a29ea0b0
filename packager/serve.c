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
 * Threads: libmicrohttpd's internal polling (epoll) in a small pool; idle or
 * stalled connections are dropped after a timeout. Connections may be
 * suspended (MHD_ALLOW_SUSPEND_RESUME), for blocking playlist reloads.
 */
#include "packager.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <microhttpd.h>

#define STAGE "serve"

#ifndef ONAIR_WEB_ROOT
#define ONAIR_WEB_ROOT "web"
#endif

/* Enough for many clients: a thread serves every connection it polls, and
 * file bodies go out by sendfile. */
#define SERVE_THREADS 4
/* A connection idle this long (a stalled or vanished client) is closed. */
#define SERVE_TIMEOUT_S 30
/* Longer request targets are refused (414): onair's own are far shorter. */
#define SERVE_URL_MAX 1024
#define CHANNEL_ID_MAX 64
/* A rendition folder name (RUNG_NAME_MAX) or a player file name. */
#define NAME_MAX_LEN 64
#define PLAYER_PAGE "player.html"
#define PAGE_SIZE_MAX (1 << 20)
/* Where the player page's {{CHANNEL}} goes. */
#define PAGE_PLACEHOLDER "{{CHANNEL}}"

#define CACHE_LIVE    "max-age=1"                  /* rewritten every segment */
#define CACHE_SEGMENT "max-age=86400, immutable"   /* a name is never reused */
#define CACHE_NONE    "no-cache"
#define CACHE_SCRIPT  "max-age=300"

typedef struct ServeChannel {
    char id[CHANNEL_ID_MAX + 1];
    char *dir;
} ServeChannel;

struct Server {
    struct MHD_Daemon *mhd;
    atomic_int started;               /* the daemon runs (for mhd_log) */
    int port;
    char *web_root;
    pthread_mutex_t lock;             /* the channel table */
    ServeChannel *channels;
    int nchannels, cap;
};

/* Per request: made when the request line arrives, before libmicrohttpd
 * decodes the URL (a decoded %00 would cut it short), freed when the request
 * completes. Blocking reloads will keep their state here. */
typedef struct Request {
    unsigned refuse;                  /* nonzero: the raw target is refused with this status */
    int headers_seen;                 /* the handler has been called once */
    uintptr_t target_end;             /* address of the raw target's terminator */
} Request;

typedef struct FileKind {
    const char *ext;
    const char *type;
    const char *cache;
    int web;                          /* may be served from web_root */
} FileKind;

static const FileKind file_kinds[] = {
    { "m3u8", "application/vnd.apple.mpegurl",  CACHE_LIVE,    0 },
    { "mpd",  "application/dash+xml",           CACHE_LIVE,    0 },
    { "ts",   "video/mp2t",                     CACHE_SEGMENT, 0 },
    { "m4s",  "video/mp4",                      CACHE_SEGMENT, 0 },
    /* init.mp4 keeps its name across restarts, where the ladder may change */
    { "mp4",  "video/mp4",                      CACHE_LIVE,    0 },
    { "html", "text/html; charset=utf-8",       CACHE_NONE,    1 },
    { "js",   "text/javascript; charset=utf-8", CACHE_SCRIPT,  1 },
    { "css",  "text/css; charset=utf-8",        CACHE_SCRIPT,  1 },
    { "map",  "application/json",               CACHE_SCRIPT,  1 },
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
    if (!len || len > CHANNEL_ID_MAX)
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

/* Only what the packager writes: playlists, the manifest, init segments and
 * seg_<number>.ts|m4s (packager_segment_name). */
static int channel_file_ok(const char *name)
{
    static const char *const fixed[] = { "master.m3u8", "index.m3u8", "manifest.mpd", "init.mp4" };
    const char *p;
    size_t digits = 0;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (!strcmp(name, fixed[i]))
            return 1;
    if (strncmp(name, "seg_", 4))
        return 0;
    for (p = name + 4; *p >= '0' && *p <= '9'; p++)
        digits++;
    return digits >= 1 && digits <= 20 && (!strcmp(p, ".ts") || !strcmp(p, ".m4s"));
}

/* ---- files ------------------------------------------------------------- */

/* Opens root/parts[0]/.../parts[n-1] as a regular file for reading. root
 * itself is the operator's and may be a link; nothing below it may be, and
 * nothing but a regular file is served (a FIFO would block a thread). */
static int open_beneath(const char *root, const char *const *parts, int n, int *fd_out,
                        struct stat *st)
{
    int dfd, fd, flags, err;

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
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return AVERROR(ENOENT);
    }
    /* libmicrohttpd wants a blocking descriptor (O_NONBLOCK was for FIFOs) */
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        err = errno;
        close(fd);
        return AVERROR(err);
    }
    *fd_out = fd;
    return 0;
}

/* Reads a whole small file (the player page). */
static int read_small(const char *root, const char *name, Buf *out)
{
    const char *parts[] = { name };
    struct stat st;
    char chunk[8192];
    int fd, ret = open_beneath(root, parts, 1, &fd, &st);

    if (ret < 0)
        return ret;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = AVERROR(errno);
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > PAGE_SIZE_MAX) {
            ret = AVERROR(EFBIG);
            break;
        }
        if ((ret = buf_append(out, chunk, (size_t)n)) < 0)
            break;
    }
    close(fd);
    return ret;
}

/* ---- responses ---------------------------------------------------------- */

/* Queues r with the headers every response carries; takes r. */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                               const char *type, const char *cache)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;   /* out of memory: libmicrohttpd closes the connection */
    if (MHD_add_response_header(r, "Access-Control-Allow-Origin", "*") != MHD_YES ||
        (type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) ||
        (cache && MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, OPTIONS") != MHD_YES) {
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

static enum MHD_Result respond_file(struct MHD_Connection *c, const char *root,
                                    const char *const *parts, int n, const FileKind *kind)
{
    struct MHD_Response *r;
    struct stat st;
    int fd, ret = open_beneath(root, parts, n, &fd, &st);

    if (ret < 0)
        return respond_status(c, status_of_error(ret));
    /* the response closes fd when it is destroyed */
    r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    return respond(c, MHD_HTTP_OK, r, kind->type, kind->cache);
}

static enum MHD_Result respond_buf(struct MHD_Connection *c, Buf *b, const char *type,
                                   const char *cache)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data,
                                                             MHD_RESPMEM_MUST_COPY);
    buf_free(b);
    return respond(c, MHD_HTTP_OK, r, type, cache);
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
    int ret = read_small(s->web_root, PLAYER_PAGE, &page);

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

static enum MHD_Result serve_player_file(Server *s, struct MHD_Connection *c, const char *name)
{
    const FileKind *kind;

    for (size_t i = 0; i < sizeof(player_map) / sizeof(player_map[0]); i++)
        if (!strcmp(name, player_map[i].name))
            return respond_file(c, s->web_root, player_map[i].parts, 4, kind_of(name));
    kind = kind_of(name);
    if (!plain_name_ok(name) || !kind || !kind->web)
        return respond_status(c, MHD_HTTP_NOT_FOUND);
    return respond_file(c, s->web_root, &name, 1, kind);
}

/* /<id>/<name> or /<id>/<rendition>/<name>; rest is what follows "/<id>/". */
static enum MHD_Result serve_channel_file(Server *s, struct MHD_Connection *c, const char *id,
                                          size_t id_len, char *rest)
{
    char dir[4096];
    const char *parts[2];
    const FileKind *kind;
    char *slash = strchr(rest, '/');
    int n = 0;

    if (slash) {
        *slash = 0;
        if (!plain_name_ok(rest) || strchr(slash + 1, '/'))
            return respond_status(c, MHD_HTTP_NOT_FOUND);
        parts[n++] = rest;
        rest = slash + 1;
    }
    parts[n++] = rest;
    kind = kind_of(rest);
    if (!channel_file_ok(rest) || !kind || kind->web)
        return respond_status(c, MHD_HTTP_NOT_FOUND);
    if (channel_dir(s, id, id_len, dir, sizeof(dir)) < 0)
        return respond_status(c, MHD_HTTP_NOT_FOUND);
    return respond_file(c, dir, parts, n, kind);
}

static enum MHD_Result route(Server *s, struct MHD_Connection *c, const char *url)
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
        return serve_player_file(s, c, url + 8);

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
    return serve_channel_file(s, c, first, first_len, path);
}

/* ---- libmicrohttpd callbacks --------------------------------------------- */

/* The request target as it came, before decoding: refuse what no onair URL
 * has (an encoded NUL, control bytes, backslashes) and what is too long. */
static void *request_begin(void *cls, const char *uri, struct MHD_Connection *c)
{
    Request *rq = calloc(1, sizeof(*rq));
    size_t len = strlen(uri);

    if (!rq)
        return NULL;
    rq->target_end = (uintptr_t)(uri + len);
    if (len > SERVE_URL_MAX)
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
    struct MHD_Response *r;

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
    if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS)) {
        /* a CORS preflight (players that send Range or other headers) */
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r && (MHD_add_response_header(r, "Access-Control-Allow-Methods",
                                          "GET, HEAD, OPTIONS") != MHD_YES ||
                  MHD_add_response_header(r, "Access-Control-Allow-Headers", "*") != MHD_YES ||
                  MHD_add_response_header(r, "Access-Control-Max-Age", "86400") != MHD_YES)) {
            MHD_destroy_response(r);
            return MHD_NO;
        }
        return respond(c, MHD_HTTP_NO_CONTENT, r, NULL, NULL);
    }
    return route(s, c, url);
}

/* libmicrohttpd's messages. While it starts, each is why it failed. Later
 * nearly all are about one client (it went away, sent a bad request): those
 * are info, or a busy log would fill with other people's problems; running
 * out of descriptors, memory or connections is the server's, a warning. */
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
        for (size_t i = 0; i < sizeof(server_trouble) / sizeof(server_trouble[0]); i++)
            if (!strncmp(fmt, server_trouble[i], strlen(server_trouble[i])))
                level = LOG_WARN;
    }
    log_vmsg(level, "", STAGE, fmt, ap);
}

/* ---- listening ----------------------------------------------------------- */

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT" -> host ("" for every address) and port. */
static int parse_listen(const char *where, char *host, size_t host_size, char *port,
                        size_t port_size)
{
    const char *h = where, *colon;
    size_t hlen, plen;
    long value = 0;

    if (where[0] == '[') {
        const char *end = strchr(where, ']');
        if (!end || end[1] != ':' || end == where + 1)
            return AVERROR(EINVAL);
        h = where + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(where, ':');
        if (!colon)
            return AVERROR(EINVAL);
        hlen = (size_t)(colon - where);
        if (memchr(where, ':', hlen))   /* an IPv6 address needs its brackets */
            return AVERROR(EINVAL);
    }
    plen = strlen(colon + 1);
    if (!plen || plen > 5 || hlen >= host_size || plen >= port_size)
        return AVERROR(EINVAL);
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return AVERROR(EINVAL);
        value = value * 10 + (*p - '0');
    }
    if (value > 65535)
        return AVERROR(EINVAL);
    memcpy(host, h, hlen);
    host[hlen] = 0;
    memcpy(port, colon + 1, plen + 1);
    return 0;
}


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
    char host[256], port[8], why[256];
    int ret = parse_listen(where, host, sizeof(host), port, sizeof(port));

    if (ret < 0) {
        log_msg(LOG_ERROR, "", STAGE, "%s: not an address to listen on (HOST:PORT, "
                "[IPV6]:PORT or :PORT, port 0-65535)", where);
        return ret;
    }
    if (host[0]) {
        ret = bind_host(host, port, fd, ipv6, why, sizeof(why));
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

    if (open_beneath(root, page, 1, &fd, &st) < 0) {
        log_msg(LOG_WARN, "", STAGE, "%s/%s: not found: /<channel>/ will answer 404", root,
                PLAYER_PAGE);
        return;
    }
    close(fd);
    if (open_beneath(root, player_map[0].parts, 4, &fd, &st) < 0) {
        log_msg(LOG_WARN, "", STAGE, "%s/node_modules/hls.js/dist/hls.min.js: not found: the "
                "player page cannot play (run `npm ci` in %s)", root, root);
        return;
    }
    close(fd);
}

/* ---- the server ----------------------------------------------------------- */

int server_new(Server **sp, const char *listen_on, const char *web_root)
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
    if (!(s->web_root = strdup(web_root ? web_root : ONAIR_WEB_ROOT))) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
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
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_TIMEOUT_S,
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
    log_msg(LOG_INFO, "", STAGE, "listening on %s (port %d), player page from %s", listen_on,
            s->port, s->web_root);
    *sp = s;
    return 0;
fail:
    server_free(&s);
    return ret;
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
                CHANNEL_ID_MAX);
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
    }
    pthread_mutex_unlock(&s->lock);
}

void server_free(Server **sp)
{
    Server *s = sp ? *sp : NULL;

    if (!s)
        return;
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    for (int i = 0; i < s->nchannels; i++)
        free(s->channels[i].dir);
    free(s->channels);
    free(s->web_root);
    pthread_mutex_destroy(&s->lock);
    free(s);
    *sp = NULL;
}
