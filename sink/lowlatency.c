/*
 * The server's low-latency answers: requests for what is not there yet.
 *
 *   - a blocking playlist reload (LL-HLS, RFC 8216bis 6.2.5.2): a media
 *     playlist asked for with _HLS_msn (and _HLS_part) is answered once it
 *     holds that segment (or part), or 503 after three target durations;
 *     _HLS_skip=YES|v2 answers its delta update (6.2.5.1);
 *   - a part named in a PRELOAD-HINT, asked for before it is cut, is
 *     answered once it is (or 404);
 *   - a CMAF segment of a low-latency channel asked for while it is being
 *     cut (LL-DASH: the MPD lists it with availabilityTimeOffset) goes out
 *     chunked as its parts are made, then from the whole segment.
 *
 * Nothing polls and no thread waits: a request that must wait suspends its
 * connection (MHD_suspend_connection) under the lock, after a last look at
 * the files; the folder watch (watch.c) resumes every waiter of a folder when
 * a file arrives in it, and resumes those past their deadline every tick.
 * A resumed request looks again from the start, so a wake-up that is not for
 * it costs one look. Suspending and resuming under one lock means a file
 * cannot arrive between the look and the suspension unnoticed.
 */
#include "internal.h"
#include "playlist/playlist.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>
#include <libavutil/time.h>
#include <microhttpd.h>

#define TICK_MS 100
/* a playlist read back for its edge: far more than onair writes */
#define PLAYLIST_MAX (1 << 20)
/* A part asked for before it is cut waits this many part targets at most. */
#define PART_WAIT_TARGETS 3
/* A playlist reload blocks this many target durations at most (8216bis). */
#define RELOAD_WAIT_TARGETS 3
/* A blocking reload's answer is unique to its query: a CDN may keep it this
 * many target durations (its URL is never asked for again after that). */
#define RELOAD_CACHE_TARGETS 6
/* A segment streamed while cut that gets nothing new this long has failed
 * (the channel stopped): the response is cut short, as the client sees a
 * broken transfer rather than a wrong segment. */
#define STREAM_STALL_US (10 * 1000000LL)

typedef struct Waiter {
    struct MHD_Connection *conn;
    char key[NAME_MAX_LEN + 1];
    char folder[NAME_MAX_LEN + 1];    /* "360p"; "" for the channel's folder */
    int64_t deadline_us;              /* resumed then, whatever arrives */
} Waiter;

struct LowLatency {
    FolderWatch *watch;
    pthread_mutex_t lock;             /* waiters, closing */
    Waiter *waiters;
    int nwaiters, cap;
    int closing;                      /* nothing suspends any more */
};

/* One segment streamed while cut: MHD's content reader state. */
typedef struct Stream {
    LowLatency *ll;
    struct MHD_Connection *conn;
    char key[NAME_MAX_LEN + 1];
    char folder[NAME_MAX_LEN + 1];    /* the rendition's, in root */
    char root[4096];                  /* the channel's folder */
    int64_t number;
    char ext[8];
    int part;                         /* the part read from now */
    int fd;                           /* the file read from; -1: none open */
    int whole;                        /* fd is the whole segment */
    int64_t part_pos;                 /* bytes of the part sent */
    int64_t progress_us;              /* last time bytes went out */
} Stream;

static int64_t now_us(void)
{
    return av_gettime_relative();
}

static void wake(void *opaque, const char *key, const char *path)
{
    LowLatency *ll = opaque;
    int64_t now = key ? 0 : now_us();
    const char *slash = path ? strrchr(path, '/') : NULL;
    size_t flen = slash ? (size_t)(slash - path) : 0;

    pthread_mutex_lock(&ll->lock);
    for (int i = 0; i < ll->nwaiters;) {
        Waiter *w = &ll->waiters[i];
        int go = key ? !strcmp(w->key, key) && strlen(w->folder) == flen && !memcmp(w->folder, path, flen)
                     : w->deadline_us <= now;
        if (go) {
            MHD_resume_connection(w->conn);
            *w = ll->waiters[--ll->nwaiters];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&ll->lock);
}

int lowlatency_new(LowLatency **llp)
{
    LowLatency *ll = calloc(1, sizeof(*ll));
    int ret;

    *llp = NULL;
    if (!ll)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&ll->lock, NULL);
    if ((ret = folder_watch_new(&ll->watch, TICK_MS, wake, ll)) < 0) {
        pthread_mutex_destroy(&ll->lock);
        free(ll);
        return ret;
    }
    *llp = ll;
    return 0;
}

int lowlatency_watch(LowLatency *ll, const char *key, const char *dir)
{
    return folder_watch_add(ll->watch, key, dir);
}

void lowlatency_unwatch(LowLatency *ll, const char *key)
{
    folder_watch_remove(ll->watch, key);
}

void lowlatency_close(LowLatency *ll)
{
    if (!ll)
        return;
    pthread_mutex_lock(&ll->lock);
    ll->closing = 1;
    for (int i = 0; i < ll->nwaiters; i++)
        MHD_resume_connection(ll->waiters[i].conn);
    ll->nwaiters = 0;
    pthread_mutex_unlock(&ll->lock);
}

void lowlatency_free(LowLatency **llp)
{
    LowLatency *ll = *llp;

    if (!ll)
        return;
    folder_watch_free(&ll->watch);
    free(ll->waiters);
    pthread_mutex_destroy(&ll->lock);
    free(ll);
    *llp = NULL;
}

/* Called with the lock held, after the last look found nothing: the
 * connection waits for its folder, or until deadline. 0 when suspended. */
static int suspend_locked(LowLatency *ll, struct MHD_Connection *c, const char *key, const char *folder,
                          int64_t deadline_us)
{
    Waiter *w;

    if (ll->closing)
        return AVERROR_EXIT;
    if (ll->nwaiters == ll->cap) {
        int cap = ll->cap ? 2 * ll->cap : 64;
        Waiter *n = realloc(ll->waiters, (size_t)cap * sizeof(*n));
        if (!n)
            return AVERROR(ENOMEM);
        ll->waiters = n;
        ll->cap = cap;
    }
    w = &ll->waiters[ll->nwaiters++];
    w->conn = c;
    snprintf(w->key, sizeof(w->key), "%s", key);
    snprintf(w->folder, sizeof(w->folder), "%s", folder);
    w->deadline_us = deadline_us;
    MHD_suspend_connection(c);
    return 0;
}

/* folder/name in the channel's folder root, read or opened as the server
 * serves it (serve.c: no link below root is followed). */
static int read_in(const char *root, const char *folder, const char *name, Buf *out)
{
    const char *parts[] = { folder, name };
    return serve_read_beneath(root, parts, 2, out, PLAYLIST_MAX);
}

static int open_in(const char *root, const char *folder, const char *name, int *fd)
{
    const char *parts[] = { folder, name };
    struct stat st;
    return serve_open_beneath(root, parts, 2, fd, &st);
}

static int exists_in(const char *root, const char *folder, const char *name)
{
    int fd;

    if (open_in(root, folder, name, &fd) < 0)
        return 0;
    close(fd);
    return 1;
}

/* A strict decimal query value (no sign, no spaces): 0 when it is not one. */
static int parse_count(const char *v, int64_t *out)
{
    char *end;
    long long n;

    if (!v || *v < '0' || *v > '9')
        return 0;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (*end || errno)
        return 0;
    *out = n;
    return 1;
}

/* ---- answers ---------------------------------------------------------------- */

static int respond_buf(LlAnswer *a, unsigned status, Buf *b, enum LlCache cache, int64_t max_age_s)
{
    a->response = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_COPY);
    if (!a->response)
        return AVERROR(ENOMEM);
    a->action = LL_RESPOND;
    a->status = status;
    a->cache = cache;
    a->max_age_s = max_age_s;
    return 0;
}

static int respond_error(LlAnswer *a, unsigned status, const char *why)
{
    Buf b = { 0 };
    int ret;

    buf_printf(&b, "%s\n", why);
    ret = respond_buf(a, status, &b, LL_CACHE_ERROR, 0);
    buf_free(&b);
    return ret;
}

/* A media playlist asked for with _HLS_msn / _HLS_part / _HLS_skip. */
static int answer_playlist(LowLatency *ll, struct MHD_Connection *c, LlWait *wait, const char *key,
                           const char *root, const char *folder, LlAnswer *a)
{
    const char *msn_v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_HLS_msn");
    const char *part_v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_HLS_part");
    const char *skip_v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_HLS_skip");
    int64_t msn = -1, part = -1, now;
    int skip = 0, ret;
    HlsEdge edge;
    Buf text = { 0 }, out = { 0 };

    if (!msn_v && !part_v && !skip_v)
        return 0;
    if (skip_v) {
        if (strcmp(skip_v, "YES") && strcmp(skip_v, "v2"))
            return respond_error(a, MHD_HTTP_BAD_REQUEST, "_HLS_skip is YES or v2");
        skip = 1;
    }
    if (part_v && !msn_v)
        return respond_error(a, MHD_HTTP_BAD_REQUEST, "_HLS_part needs _HLS_msn");
    if (msn_v && !parse_count(msn_v, &msn))
        return respond_error(a, MHD_HTTP_BAD_REQUEST, "_HLS_msn is a media sequence number");
    if (part_v && (!parse_count(part_v, &part) || part > INT32_MAX))
        return respond_error(a, MHD_HTTP_BAD_REQUEST, "_HLS_part is a part index");

    pthread_mutex_lock(&ll->lock);
    if ((ret = read_in(root, folder, OUTPUT_MEDIA_PLAYLIST, &text)) < 0) {
        pthread_mutex_unlock(&ll->lock);
        buf_free(&text);
        return 0;   /* missing, a link, ...: the usual answer for the file */
    }
    if (hls_read_edge((const char *)text.data, text.len, &edge) < 0 || !edge.can_block) {
        pthread_mutex_unlock(&ll->lock);
        buf_free(&text);
        return 0;   /* not a low-latency media playlist: served as it is */
    }
    now = now_us();
    if (msn >= 0 && !edge.ended && !hls_edge_has(&edge, msn, (int)part)) {
        if (msn > edge.last_msn + 2) {
            pthread_mutex_unlock(&ll->lock);
            buf_free(&text);
            return respond_error(a, MHD_HTTP_BAD_REQUEST,
                                 "_HLS_msn is more than two segments past the playlist's last");
        }
        if (!wait->deadline_us)
            wait->deadline_us = now + RELOAD_WAIT_TARGETS * FFMAX(edge.target_us, 1000000);
        if (now < wait->deadline_us && (ret = suspend_locked(ll, c, key, folder, wait->deadline_us)) == 0) {
            pthread_mutex_unlock(&ll->lock);
            buf_free(&text);
            a->action = LL_SUSPENDED;
            return 0;
        }
        pthread_mutex_unlock(&ll->lock);
        buf_free(&text);
        return respond_error(a, MHD_HTTP_SERVICE_UNAVAILABLE,
                             "the playlist did not reach _HLS_msn/_HLS_part in time");
    }
    pthread_mutex_unlock(&ll->lock);
    if (skip)
        ret = hls_write_delta(&out, (const char *)text.data, text.len);
    else
        ret = buf_append(&out, text.data, text.len);
    if (ret >= 0)
        ret = respond_buf(a, MHD_HTTP_OK, &out, msn >= 0 ? LL_CACHE_BLOCKED : LL_CACHE_PLAYLIST,
                          RELOAD_CACHE_TARGETS * edge.target_us / 1000000);
    buf_free(&text);
    buf_free(&out);
    return ret;
}

/* The edge of the media playlist in folder (index.m3u8), for a part or a
 * segment asked for ahead. 0 when there is one with parts. */
static int folder_edge(const char *root, const char *folder, HlsEdge *edge)
{
    Buf text = { 0 };
    int ret;

    if ((ret = read_in(root, folder, OUTPUT_MEDIA_PLAYLIST, &text)) >= 0)
        ret = hls_read_edge((const char *)text.data, text.len, edge);
    buf_free(&text);
    if (ret >= 0 && (!edge->part_target_us || edge->ended))
        ret = AVERROR(ENOENT);
    return ret < 0 ? ret : 0;
}

/* A part asked for before it is cut: the hinted one, or one the client has
 * worked out is next. Waits for it; 0 (served as usual) once it is there. */
static int answer_part(LowLatency *ll, struct MHD_Connection *c, LlWait *wait, const char *key,
                       const char *root, const char *folder, const char *name, int64_t number,
                       LlAnswer *a)
{
    HlsEdge edge;
    int64_t now;
    int ret;

    if (exists_in(root, folder, name) || folder_edge(root, folder, &edge) < 0)
        return 0;
    /* only what comes next: a past part that is missing is gone */
    if (number <= edge.last_msn || number > edge.last_msn + 2)
        return 0;
    now = now_us();
    if (!wait->deadline_us)
        wait->deadline_us = now + PART_WAIT_TARGETS * FFMAX(edge.part_target_us, 100000) +
                            (number - edge.last_msn - 1) * edge.target_us;
    pthread_mutex_lock(&ll->lock);
    if (exists_in(root, folder, name) || now >= wait->deadline_us ||
        (ret = suspend_locked(ll, c, key, folder, wait->deadline_us)) < 0) {
        pthread_mutex_unlock(&ll->lock);
        return 0;   /* there now, or never: the usual answer */
    }
    pthread_mutex_unlock(&ll->lock);
    a->action = LL_SUSPENDED;
    return 0;
}


static void stream_close_fd(Stream *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
}

/* Opens the whole segment, or else the part due; 0 when one is open. */
static int stream_open(Stream *st)
{
    char name[64];

    output_name(name, sizeof(name), st->number, -1, st->ext);
    if (open_in(st->root, st->folder, name, &st->fd) >= 0) {
        st->whole = 1;
        return 0;
    }
    output_name(name, sizeof(name), st->number, st->part, st->ext);
    if (open_in(st->root, st->folder, name, &st->fd) >= 0) {
        st->part_pos = 0;
        return 0;
    }
    return AVERROR(ENOENT);
}

/* MHD's content reader: the parts as they come, then the rest of the whole
 * segment (parts add up to it byte for byte, so pos is its offset). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    Stream *st = cls;
    LowLatency *ll = st->ll;

    for (;;) {
        ssize_t n;

        if (st->fd < 0) {
            int64_t now;
            int ret;

            pthread_mutex_lock(&ll->lock);
            ret = stream_open(st);
            if (ret < 0) {
                now = now_us();
                if (now - st->progress_us >= STREAM_STALL_US ||
                    suspend_locked(ll, st->conn, st->key, st->folder, st->progress_us + STREAM_STALL_US) < 0) {
                    pthread_mutex_unlock(&ll->lock);
                    return MHD_CONTENT_READER_END_WITH_ERROR;
                }
                pthread_mutex_unlock(&ll->lock);
                return 0;   /* suspended: called again when resumed */
            }
            pthread_mutex_unlock(&ll->lock);
        }
        n = pread(st->fd, buf, max, st->whole ? (off_t)pos : (off_t)st->part_pos);
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (n > 0) {
            st->part_pos += n;
            st->progress_us = now_us();
            return n;
        }
        if (st->whole)
            return MHD_CONTENT_READER_END_OF_STREAM;
        stream_close_fd(st);
        st->part++;
    }
}

static void stream_free(void *cls)
{
    Stream *st = cls;

    stream_close_fd(st);
    free(st);
}

/* A CMAF segment asked for while it is cut (LL-DASH). */
static int answer_segment(LowLatency *ll, struct MHD_Connection *c, const char *key, const char *root,
                          const char *folder, const char *name, int64_t number, const char *ext,
                          LlAnswer *a)
{
    HlsEdge edge;
    Stream *st;

    /* the one being cut, or the next (a client whose clock runs a little
     * ahead asks for it a moment before its first part) */
    if (strcmp(ext, "m4s") || exists_in(root, folder, name) || folder_edge(root, folder, &edge) < 0 ||
        number <= edge.last_msn || number > edge.last_msn + 2)
        return 0;
    st = calloc(1, sizeof(*st));
    if (!st)
        return AVERROR(ENOMEM);
    st->ll = ll;
    st->conn = c;
    st->fd = -1;
    st->number = number;
    st->progress_us = now_us();
    snprintf(st->key, sizeof(st->key), "%s", key);
    snprintf(st->folder, sizeof(st->folder), "%s", folder);
    snprintf(st->root, sizeof(st->root), "%s", root);
    snprintf(st->ext, sizeof(st->ext), "%s", ext);
    a->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, st,
                                                    stream_free);
    if (!a->response) {
        free(st);
        return AVERROR(ENOMEM);
    }
    a->action = LL_RESPOND;
    a->status = MHD_HTTP_OK;
    a->cache = LL_CACHE_MEDIA;
    return 0;
}

int lowlatency_answer(LowLatency *ll, struct MHD_Connection *c, LlWait *wait, const char *key,
                      const char *channel_dir, const char *rel, LlAnswer *a)
{
    const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
    char folder[NAME_MAX_LEN + 1];
    size_t flen = slash ? (size_t)(slash - rel) : 0;
    OutputName n;

    memset(a, 0, sizeof(*a));
    a->action = LL_SERVE_FILE;
    if (flen >= sizeof(folder))
        return 0;
    memcpy(folder, rel, flen);
    folder[flen] = 0;
    /* only a rendition's files wait */
    if (ll->closing || !flen)
        return 0;
    if (!strcmp(name, OUTPUT_MEDIA_PLAYLIST))
        return answer_playlist(ll, c, wait, key, channel_dir, folder, a);
    if (output_name_parse(name, &n) < 0 || (n.kind != PUBLISHED_SEGMENT && n.kind != PUBLISHED_PART))
        return 0;
    if (n.kind == PUBLISHED_PART)
        return answer_part(ll, c, wait, key, channel_dir, folder, name, n.number, a);
    return answer_segment(ll, c, key, channel_dir, folder, name, n.number, n.ext, a);
}
