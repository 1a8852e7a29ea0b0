/* Push to an origin: a thread per target runs libcurl's multi interface
 * over a list of what the packager published, in publish order.
 *
 * The list is the whole state. The packager's thread only appends notices
 * to an inbox (pusher_published, pusher_deleted); this thread moves them
 * into the list, spools media files as hard links (a link costs no copy and
 * keeps the bytes when the packager deletes the segment from its window),
 * and starts transfers by these rules:
 *
 *   - a segment, part or init starts as soon as a slot is free;
 *   - a playlist or manifest starts once every media item before it is done
 *     and no older version of the same path is in flight. Its text is read
 *     from outdir only then, and the file may already hold a newer version
 *     than the one announced (the packager renames it into place before it
 *     tells us), which may name segments announced after it; so the read
 *     notes the sequence number reached (deps_until) and the playlist waits
 *     for every media item below that too. A fixed set: it cannot starve.
 *   - a DELETE starts once nothing that was published before it is still
 *     waiting (a playlist standing for an older superseded one included, by
 *     origin_seq), so the origin never drops a segment that a playlist it
 *     may still serve names.
 *
 * A failure holds every new start for a backoff (exponential with jitter,
 * capped at retry_max) and then lets one request probe the origin; the
 * first success opens all slots again and what waited goes out in order.
 */
#include "sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libavutil/common.h>
#include <libavutil/error.h>

#include "common/metrics.h"

#define STAGE "push"
/* PushConfig's 0s; those a config can set are common/output.h's PUSH_* */
#define DEFAULT_RETRY_MAX_US (PUSH_RETRY_MAX_DEFAULT_S * 1000000LL)
#define DEFAULT_RETRY_BASE_US 100000
#define DEFAULT_SPOOL_BYTES ((int64_t)PUSH_SPOOL_DEFAULT_GIB << 30)
#define DEFAULT_TIMEOUT_US (PUSH_TIMEOUT_DEFAULT_S * 1000000LL)
#define DEFAULT_FLUSH_US 1000000
#define DEFAULT_IN_FLIGHT 8
#define MAX_IN_FLIGHT 64
#define CONNECT_TIMEOUT_MAX_US 3000000
/* an error that persists (a wrong token) is said again this often */
#define REMIND_US 60000000
/* spool drops are summed into one warning at most this often */
#define DROP_WARN_US 10000000
#define IDLE_POLL_MS 1000

enum Op {
    OP_PUT,
    OP_DELETE,
    OP_DELETED,     /* the packager's notice; becomes a DELETE, or cancels a PUT, or nothing */
};

#define HELD_MAX 64

typedef struct Item {
    struct Item *prev, *next;
    uint64_t seq;           /* publish order */
    uint64_t origin_seq;    /* the oldest superseded version this one stands for */
    uint64_t deps_until;    /* barrier, once read: every media item below this goes first */
    enum Op op;
    enum PublishedKind kind;
    int barrier;            /* a playlist or manifest */
    int in_flight;
    int spooled;            /* spool_dir/<seq> holds its bytes */
    int attempts;
    int64_t published_us;   /* monotonic, when the packager told us */
    int64_t size;           /* spooled bytes */
    uint8_t *body;          /* what a PUT sends; a barrier keeps the version it read */
    size_t body_len;
    int has_body;
    char path[];            /* relative to outdir */
} Item;

typedef struct List {
    Item *head, *tail;
} List;

typedef struct Transfer {
    CURL *easy;
    Item *item;             /* NULL: the slot is free */
    int64_t started_us;
    char error[CURL_ERROR_SIZE];
} Transfer;

/* Publish latency histogram: 100 µs steps to 100 ms, 1 ms to 1 s, 100 ms to
 * 100 s, then one bucket. Fixed memory for a channel that runs for months. */
#define HIST_FINE 1000
#define HIST_MID 900
#define HIST_COARSE 990
#define HIST_BUCKETS (HIST_FINE + HIST_MID + HIST_COARSE + 1)

typedef struct Hist {
    uint32_t n[HIST_BUCKETS];
    int64_t count, max;
} Hist;

struct Pusher {
    char *url;                /* base, ends in '/' */
    char *shown_url;          /* for log lines: without a password */
    char *outdir, *channel, *spool_dir;
    char *target;             /* the label in events: the name, or the index the graph gave */
    char *ca_file, *aws_sigv4, *user, *password;
    char auth_hint[256];      /* what to check when the origin says 401/403 */
    int delete_segments;
    int64_t retry_max, retry_base, spool_max, timeout, flush;
    int max_in_flight;
    int (*may_publish)(void *opaque, int64_t *until_us);
    void *publish_opaque;
    /* request headers, built once: per Content-Type (output_content_type_row)
     * for PUT, one for DELETE */
    struct curl_slist *put_headers[OUTPUT_CONTENT_TYPES], *delete_headers;

    CURLM *multi;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock;     /* inbox, next_seq, stop, st, the histograms */
    List inbox;
    uint64_t next_seq;
    int stop;
    int64_t stop_deadline;
    PushStats st;
    Hist media, playlists;
    Histogram media_h, playlist_h;    /* the same, on the metrics' bounds (atomic) */

    /* the thread's own */
    List items;
    /* The playlists and manifests held back while this instance had no
     * right to publish (an A/B pair's standby), each path once: pushed
     * again, as they then are, when it gets the right (a master playlist
     * is written once, at the start, and would never reach the origin). */
    struct {
        char path[512];
        enum PublishedKind kind;
    } held[HELD_MAX];
    int nheld, publishing;
    Transfer flights[MAX_IN_FLIGHT];
    int nflights;
    int64_t spooled_bytes;
    int spool_links;          /* hard links work here; else media is read from outdir */
    int streak;               /* failures in a row: the backoff's exponent, and probing */
    int64_t hold_until;       /* no new transfer starts before */
    int64_t last_fail_us;
    int64_t down_since;       /* the first failure of this outage; 0: the origin answers */
    int last_logged_status;
    int64_t last_logged_us;
    int64_t dropped_unwarned, drop_warned_us;
    uint32_t rng;
};

/* ---- small things ---- */

static void list_append(List *l, Item *it)
{
    it->next = NULL;
    it->prev = l->tail;
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
}

static void list_remove(List *l, Item *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        l->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        l->tail = it->prev;
    it->prev = it->next = NULL;
}

static uint32_t next_random(Pusher *p)
{
    /* xorshift32: jitter only needs to keep targets from retrying in step */
    uint32_t x = p->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return p->rng = x ? x : 0x9e3779b9u;
}

static const char *reason_of(int status)
{
    static const struct {
        int status;
        const char *text;
    } reasons[] = {
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
        { 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 409, "Conflict" },
        { 411, "Length Required" }, { 413, "Payload Too Large" }, { 414, "URI Too Long" },
        { 415, "Unsupported Media Type" }, { 429, "Too Many Requests" },
        { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Gateway Timeout" }, { 507, "Insufficient Storage" },
    };
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].text;
    return "";
}

/* ---- latency ---- */

static int hist_bucket(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us < 100000)
        return (int)(us / 100);
    if (us < 1000000)
        return HIST_FINE + (int)((us - 100000) / 1000);
    if (us < 100000000)
        return HIST_FINE + HIST_MID + (int)((us - 1000000) / 100000);
    return HIST_BUCKETS - 1;
}

/* The upper edge of a bucket: a percentile is never reported lower than it was. */
static int64_t hist_edge(int b)
{
    if (b < HIST_FINE)
        return (int64_t)(b + 1) * 100;
    if (b < HIST_FINE + HIST_MID)
        return 100000 + (int64_t)(b - HIST_FINE + 1) * 1000;
    if (b < HIST_BUCKETS - 1)
        return 1000000 + (int64_t)(b - HIST_FINE - HIST_MID + 1) * 100000;
    return INT64_MAX;
}

static void hist_add(Hist *h, int64_t us)
{
    h->n[hist_bucket(us)]++;
    h->count++;
    if (us > h->max)
        h->max = us;
}

static int64_t hist_percentile(const Hist *h, double q)
{
    int64_t want, seen = 0;

    if (!h->count)
        return 0;
    want = (int64_t)(q * (double)h->count + 0.999999);
    if (want < 1)
        want = 1;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += h->n[b];
        if (seen >= want)
            return FFMIN(hist_edge(b), h->max);
    }
    return h->max;
}

/* ---- files ---- */

static int read_file(const char *path, uint8_t **data, size_t *len)
{
    struct stat sb;
    uint8_t *buf = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

    *data = NULL;
    *len = 0;
    if (fd < 0)
        return AVERROR(errno);
    if (fstat(fd, &sb) < 0) {
        ret = AVERROR(errno);
        goto end;
    }
    buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = AVERROR(errno);
            goto end;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *data = buf;
    *len = got;
    buf = NULL;
end:
    free(buf);
    close(fd);
    return ret;
}

static void spool_name(const Pusher *p, const Item *it, char *out, size_t size)
{
    snprintf(out, size, "%s/%" PRIu64, p->spool_dir, it->seq);
}

static void source_name(const Pusher *p, const Item *it, char *out, size_t size)
{
    if (it->spooled)
        spool_name(p, it, out, size);
    else if (path_join(out, size, p->outdir, it->path) < 0)
        out[0] = 0;
}

/* Leftovers of a run that did not end cleanly wait for nobody: the list
 * that knew them is gone. */
static void spool_clear(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4200];

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* ---- the list ---- */

static void item_free(Pusher *p, Item *it)
{
    if (it->spooled) {
        char path[4200];
        spool_name(p, it, path, sizeof(path));
        unlink(path);
        p->spooled_bytes -= it->size;
    }
    free(it->body);
    free(it);
}

/* Counts it done (`how`, NULL: not counted) and frees it; it is in no list. */
static void item_retire(Pusher *p, Item *it, int64_t *how)
{
    item_free(p, it);
    pthread_mutex_lock(&p->lock);
    if (how)
        (*how)++;
    p->st.queued_files--;
    p->st.queued_bytes = p->spooled_bytes;
    pthread_mutex_unlock(&p->lock);
}

/* Takes it out of the list for good; `how` counts it (NULL: not at all). */
static void item_done(Pusher *p, Item *it, int64_t *how)
{
    list_remove(&p->items, it);
    item_retire(p, it, how);
}

/* A media item left without being pushed: a playlist read before may name
 * it. Those read again, fresh, when their turn comes. */
static void forget_read_playlists(Pusher *p)
{
    for (Item *it = p->items.head; it; it = it->next) {
        if (it->barrier && it->has_body && !it->in_flight) {
            free(it->body);
            it->body = NULL;
            it->body_len = 0;
            it->has_body = 0;
            it->deps_until = 0;
        }
    }
}

static void warn_drops(Pusher *p, int64_t now, int force)
{
    if (!p->dropped_unwarned || (!force && now - p->drop_warned_us < DROP_WARN_US))
        return;
    log_msg(LOG_WARN, p->channel, STAGE, "push to %s: the spool is full (%" PRId64 " MiB waiting): "
            "dropped the oldest %" PRId64 " segment(s) waiting for the origin", p->shown_url,
            p->spooled_bytes >> 20, p->dropped_unwarned);
    p->dropped_unwarned = 0;
    p->drop_warned_us = now;
}

/* Past the bound, the oldest waiting segments and parts go: they left the
 * window first. Inits and playlists are never dropped. */
static void enforce_spool(Pusher *p, int64_t now)
{
    int dropped = 0;
    Item *it = p->items.head;

    while (p->spooled_bytes > p->spool_max && it) {
        Item *next = it->next;
        if (it->op == OP_PUT && !it->in_flight &&
            (it->kind == PUBLISHED_SEGMENT || it->kind == PUBLISHED_PART)) {
            item_done(p, it, &p->st.dropped);
            dropped++;
        }
        it = next;
    }
    if (dropped) {
        p->dropped_unwarned += dropped;
        forget_read_playlists(p);
        warn_drops(p, now, 0);
    }
}

static Item *last_put_of(Pusher *p, const char *path)
{
    for (Item *it = p->items.tail; it; it = it->prev)
        if (it->op == OP_PUT && !strcmp(it->path, path))
            return it;
    return NULL;
}

/* A notice from the inbox joins the list. */
static void admit(Pusher *p, Item *it, int64_t now)
{
    char src[4200], dst[4200];

    if (it->op == OP_DELETED) {
        Item *put = last_put_of(p, it->path);
        if (!p->delete_segments) {
            /* a spooled PUT still goes: the origin keeps what it got */
            item_retire(p, it, NULL);
            return;
        }
        if (put && !put->barrier && !put->in_flight) {
            /* it left the window before its turn: no playlist on the origin
             * names it, so its PUT goes no more; a DELETE only if a failed
             * attempt may have left it there (a timeout after the body) */
            int attempted = put->attempts > 0;
            item_done(p, put, &p->st.skipped);
            forget_read_playlists(p);
            if (!attempted) {
                item_retire(p, it, NULL);
                return;
            }
        }
        it->op = OP_DELETE;
        list_append(&p->items, it);
        return;
    }
    if (it->barrier) {
        /* only the newest version of a playlist needs to go */
        for (Item *o = p->items.head, *next; o; o = next) {
            next = o->next;
            if (o->op != OP_PUT || strcmp(o->path, it->path))
                continue;
            it->origin_seq = FFMIN(it->origin_seq, o->origin_seq);
            if (!o->in_flight)
                item_done(p, o, &p->st.superseded);
        }
        list_append(&p->items, it);
        return;
    }
    if (path_join(src, sizeof(src), p->outdir, it->path) < 0) {
        item_retire(p, it, &p->st.dropped);
        return;
    }
    if (p->spool_links) {
        spool_name(p, it, dst, sizeof(dst));
        if (link(src, dst) == 0) {
            it->spooled = 1;
        } else if (errno == ENOENT) {
            log_msg(LOG_INFO, p->channel, STAGE, "push to %s: %s was deleted before its turn",
                    p->shown_url, it->path);
            item_retire(p, it, &p->st.skipped);
            forget_read_playlists(p);
            return;
        } else {
            log_msg(LOG_WARN, p->channel, STAGE, "push: cannot spool %s in %s (%s); files are "
                    "read from the output folder, and one deleted there before its turn is lost",
                    it->path, p->spool_dir, strerror(errno));
            p->spool_links = 0;
        }
    }
    {
        struct stat sb;
        if (stat(it->spooled ? dst : src, &sb) == 0)
            it->size = sb.st_size;
    }
    if (it->spooled)
        p->spooled_bytes += it->size;
    list_append(&p->items, it);
    pthread_mutex_lock(&p->lock);
    p->st.queued_bytes = p->spooled_bytes;
    pthread_mutex_unlock(&p->lock);
    enforce_spool(p, now);
}

/* ---- transfers ---- */

static size_t discard(char *data, size_t size, size_t n, void *opaque)
{
    (void)data;
    (void)opaque;
    return size * n;
}

static int same_path_in_flight(const Pusher *p, const Item *it)
{
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        const Item *o = p->flights[i].item;
        if (o && o != it && o->op == OP_PUT && !strcmp(o->path, it->path))
            return 1;
    }
    return 0;
}

/* A playlist's request ends where the right to publish it does: one still
 * on its way when a leader's lease runs out could land after the new
 * leader's first. */
static int64_t request_timeout(Pusher *p, const Item *it, int64_t now)
{
    int64_t until;

    if (!it->barrier || !p->may_publish || !p->may_publish(p->publish_opaque, &until))
        return p->timeout;
    return FFMAX(1000, FFMIN(p->timeout, until - now));
}

static int start(Pusher *p, Item *it, int64_t now)
{
    char url[4200];
    Transfer *t = NULL;
    CURL *e;

    for (int i = 0; i < MAX_IN_FLIGHT && !t; i++)
        if (!p->flights[i].item)
            t = &p->flights[i];
    if (!t)
        return AVERROR(EAGAIN);
    if (it->op == OP_PUT && !it->has_body) {
        char src[4200];
        int ret;
        source_name(p, it, src, sizeof(src));
        if ((ret = read_file(src, &it->body, &it->body_len)) < 0)
            return ret;
        it->has_body = 1;
    }
    if (!t->easy && !(t->easy = curl_easy_init()))
        return AVERROR(ENOMEM);
    e = t->easy;
    /* a reset keeps the handle's caches; connections live in the multi's pool */
    curl_easy_reset(e);
    snprintf(url, sizeof(url), "%s%s", p->url, it->path);
    t->error[0] = 0;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "onair");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(request_timeout(p, it, now) / 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(FFMIN(p->timeout, CONNECT_TIMEOUT_MAX_US) / 1000));
    if (p->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    if (p->aws_sigv4) {
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, p->aws_sigv4);
        curl_easy_setopt(e, CURLOPT_USERNAME, p->user ? p->user : "");
        curl_easy_setopt(e, CURLOPT_PASSWORD, p->password ? p->password : "");
    } else if (p->user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, p->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, p->password ? p->password : "");
    }
    if (it->op == OP_PUT) {
        /* the body from memory: SigV4 in libcurl 7.88 signs the hash of
         * POSTFIELDS, and a read callback would be signed as empty */
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->body_len ? (const char *)it->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->body_len);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->put_headers[output_content_type_row(it->path)]);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->delete_headers);
    }
    if (curl_multi_add_handle(p->multi, e) != CURLM_OK)
        return AVERROR(ENOMEM);
    t->item = it;
    t->started_us = now;
    it->in_flight = 1;
    it->attempts++;
    p->nflights++;
    return 0;
}

static int enqueue(Pusher *p, const char *path, enum Op op, enum PublishedKind kind);

static void hold(Pusher *p, Item *it)
{
    for (int i = 0; i < p->nheld; i++)
        if (!strcmp(p->held[i].path, it->path))
            goto done;
    if (p->nheld < HELD_MAX && strlen(it->path) < sizeof(p->held[0].path)) {
        snprintf(p->held[p->nheld].path, sizeof(p->held[0].path), "%s", it->path);
        p->held[p->nheld++].kind = it->kind;
    }
done:
    item_done(p, it, &p->st.held);
}

/* The right to publish came (again): what was held goes out as it now is. */
static void follow_right(Pusher *p)
{
    int may = p->may_publish(p->publish_opaque, NULL);

    if (may && !p->publishing) {
        for (int i = 0; i < p->nheld; i++)
            enqueue(p, p->held[i].path, OP_PUT, p->held[i].kind);
        p->nheld = 0;
    }
    p->publishing = may;
}

/* Starts what the rules allow. *again: look once more before sleeping (a
 * playlist was read, and what was published meanwhile must be seen). */
static int schedule(Pusher *p, int64_t now, int *again)
{
    uint64_t first_media = UINT64_MAX, min_origin_put = UINT64_MAX;
    int limit = p->streak ? 1 : p->max_in_flight, started = 0;

    if (now < p->hold_until)
        return 0;
    for (Item *it = p->items.head; it; it = it->next) {
        if (it->op != OP_PUT)
            continue;
        if (!it->barrier && first_media == UINT64_MAX)
            first_media = it->seq;
        min_origin_put = FFMIN(min_origin_put, it->origin_seq);
    }
    for (Item *it = p->items.head, *next; it && p->nflights < limit; it = next) {
        int ret;
        next = it->next;
        if (it->in_flight)
            continue;
        if (it->op == OP_DELETE) {
            if (min_origin_put < it->seq)
                continue;
            /* what leaves the window is the publisher's to delete: the
             * leader's playlist may still name it */
            if (p->may_publish && !p->may_publish(p->publish_opaque, NULL)) {
                item_done(p, it, &p->st.held);
                continue;
            }
        } else if (it->barrier) {
            if (first_media < it->seq || same_path_in_flight(p, it))
                continue;
            if (!it->has_body) {
                char src[4200];
                source_name(p, it, src, sizeof(src));
                ret = read_file(src, &it->body, &it->body_len);
                if (ret < 0) {
                    log_msg(LOG_WARN, p->channel, STAGE, "push: cannot read %s: %s", src, ERRSTR(ret));
                    item_done(p, it, &p->st.dropped);
                    continue;
                }
                it->has_body = 1;
                pthread_mutex_lock(&p->lock);
                it->deps_until = p->next_seq;
                pthread_mutex_unlock(&p->lock);
                *again = 1;
                continue;
            }
            if (first_media < it->deps_until)
                continue;
            if (p->may_publish && !p->may_publish(p->publish_opaque, NULL)) {
                hold(p, it);
                continue;
            }
        }
        ret = start(p, it, now);
        if (ret == AVERROR(ENOENT)) {
            /* not spooled, and the packager deleted it before its turn */
            log_msg(LOG_INFO, p->channel, STAGE, "push to %s: %s was deleted before its turn",
                    p->shown_url, it->path);
            item_done(p, it, &p->st.skipped);
            forget_read_playlists(p);
            continue;
        }
        if (ret < 0) {
            log_msg(LOG_ERROR, p->channel, STAGE, "push: cannot start %s: %s", it->path, ERRSTR(ret));
            p->hold_until = now + p->retry_base;
            break;
        }
        started++;
    }
    return started;
}

static int newer_version_waits(const Pusher *p, const Item *it)
{
    /* the list is in publish order: what follows is newer */
    for (const Item *o = it->next; o; o = o->next)
        if (o->op == OP_PUT && !strcmp(o->path, it->path))
            return 1;
    return 0;
}

/* push_failing and push_recovered: status 0 is no answer. */
static void emit_event(Pusher *p, const char *event, int status)
{
    Buf f = { 0 };

    if (event_field_str(&f, "target", p->target) >= 0 && event_field_int(&f, "status", status) >= 0 &&
        buf_append(&f, "", 1) >= 0)
        event_emit(p->channel, event, (const char *)f.data);
    buf_free(&f);
}

static void failed(Pusher *p, Transfer *t, Item *it, CURLcode code, int status, int64_t now)
{
    int auth = status == 401 || status == 403;
    int transient = code != CURLE_OK || status >= 500 || status == 408 || status == 429;
    int64_t delay;
    char what[CURL_ERROR_SIZE + 64], cap[32];

    format_elapsed(cap, sizeof(cap), p->retry_max);
    /* transfers that were already under way when the origin went count once */
    if (t->started_us >= p->last_fail_us || !p->streak)
        p->streak++;
    p->last_fail_us = now;
    if (!p->down_since) {
        p->down_since = now;
        emit_event(p, EVENT_PUSH_FAILING, code == CURLE_OK ? status : 0);
    }
    if (transient) {
        delay = backoff_delay(p->retry_base, p->retry_max, p->streak);
        /* jitter in [delay/2, delay] */
        delay = delay / 2 + (int64_t)(next_random(p) % (uint32_t)(delay / 2 + 1));
    } else {
        /* the origin refuses: only a change on its side (or ours) helps */
        delay = p->retry_max;
    }
    p->hold_until = FFMAX(p->hold_until, now + delay);

    if (code != CURLE_OK)
        snprintf(what, sizeof(what), "%s", t->error[0] ? t->error : curl_easy_strerror(code));
    else
        snprintf(what, sizeof(what), "%d %s", status, reason_of(status));
    if (auth) {
        if (status != p->last_logged_status || now - p->last_logged_us >= REMIND_US) {
            log_msg(LOG_ERROR, p->channel, STAGE, "push to %s: %s: %s (retrying every %s; "
                    "the channel stays on air)", p->shown_url, what, p->auth_hint, cap);
            p->last_logged_status = status;
            p->last_logged_us = now;
        }
    } else if (!transient) {
        if (status != p->last_logged_status || now - p->last_logged_us >= REMIND_US) {
            log_msg(LOG_ERROR, p->channel, STAGE, "push to %s: %s %s: %s (retrying every %s)",
                    p->shown_url, it->op == OP_PUT ? "PUT" : "DELETE", it->path, what, cap);
            p->last_logged_status = status;
            p->last_logged_us = now;
        }
    } else if (p->streak == 1 || now - p->last_logged_us >= REMIND_US) {
        log_msg(LOG_WARN, p->channel, STAGE, "push to %s: %s %s: %s; retrying (backoff up to %s), "
                "files wait in the spool", p->shown_url, it->op == OP_PUT ? "PUT" : "DELETE", it->path,
                what, cap);
        p->last_logged_status = code != CURLE_OK ? -1 : status;
        p->last_logged_us = now;
    }

    pthread_mutex_lock(&p->lock);
    p->st.failures++;
    p->st.failing = 1;
    if (code == CURLE_OK)
        p->st.last_status = status;
    pthread_mutex_unlock(&p->lock);

    if (it->op == OP_PUT && it->barrier && newer_version_waits(p, it)) {
        item_done(p, it, &p->st.superseded);
        return;
    }
    if (!it->barrier) {
        /* media is read again from the spool: what waits holds no memory */
        free(it->body);
        it->body = NULL;
        it->body_len = 0;
        it->has_body = 0;
    }
}

static void succeeded(Pusher *p, Item *it, int status, int64_t now)
{
    if (p->down_since) {
        int64_t waiting = 0;
        char d[32];
        for (Item *o = p->items.head; o; o = o->next)
            waiting++;
        format_elapsed(d, sizeof(d), now - p->down_since);
        log_msg(LOG_NOTICE, p->channel, STAGE, "push to %s: the origin accepts again after %s; "
                "catching up %" PRId64 " file(s)", p->shown_url, d, waiting - 1);
        warn_drops(p, now, 1);
        emit_event(p, EVENT_PUSH_RECOVERED, status);
    }
    p->streak = 0;
    p->down_since = 0;
    p->hold_until = 0;
    p->last_logged_status = 0;
    pthread_mutex_lock(&p->lock);
    p->st.last_status = status;
    p->st.failing = 0;
    if (it->op == OP_PUT) {
        p->st.pushed++;
        p->st.pushed_bytes += (int64_t)it->body_len;
        hist_add(it->barrier ? &p->playlists : &p->media, now - it->published_us);
        histogram_observe(it->barrier ? &p->playlist_h : &p->media_h,
                          (double)(now - it->published_us) / 1e6);
    } else {
        p->st.deleted++;
    }
    pthread_mutex_unlock(&p->lock);
    item_done(p, it, NULL);
}

/* Every answer (or its absence, 0) by code, for the metrics. */
static void count_request(Pusher *p, int code)
{
    PushStats *st = &p->st;
    int i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < st->nrequests && st->requests[i].code != code; i++)
        ;
    if (i < st->nrequests) {
        st->requests[i].count++;
    } else if (st->nrequests < PUSH_CODES_MAX) {
        st->requests[st->nrequests].code = code;
        st->requests[st->nrequests++].count = 1;
    } else {
        st->requests_other++;
    }
    pthread_mutex_unlock(&p->lock);
}

static int collect(Pusher *p)
{
    CURLMsg *m;
    int left, done = 0;

    while ((m = curl_multi_info_read(p->multi, &left))) {
        Transfer *t = NULL;
        Item *it;
        long status = 0;
        int64_t now = clock_monotonic_us();
        CURLcode code;

        if (m->msg != CURLMSG_DONE)
            continue;
        code = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(p->multi, m->easy_handle);
        it = t->item;
        t->item = NULL;
        p->nflights--;
        it->in_flight = 0;
        done++;
        count_request(p, code == CURLE_OK ? (int)status : 0);
        if (code == CURLE_OK && ((status >= 200 && status < 300) ||
                                 (it->op == OP_DELETE && (status == 404 || status == 410))))
            succeeded(p, it, (int)status, now);
        else
            failed(p, t, it, code, (int)status, now);
    }
    return done;
}

/* ---- the thread ---- */

static void *push_thread(void *arg)
{
    Pusher *p = arg;
    int64_t left = 0;

    thread_set_name("push");
    for (;;) {
        List in;
        int stop, again = 0, running, progress;
        int64_t now, deadline, wait_us;

        pthread_mutex_lock(&p->lock);
        in = p->inbox;
        p->inbox.head = p->inbox.tail = NULL;
        stop = p->stop;
        deadline = p->stop_deadline;
        pthread_mutex_unlock(&p->lock);
        now = clock_monotonic_us();
        for (Item *it = in.head, *next; it; it = next) {
            next = it->next;
            admit(p, it, now);
        }
        if (stop && (!p->items.head || now >= deadline))
            break;
        if (p->may_publish)
            follow_right(p);

        progress = schedule(p, now, &again);
        curl_multi_perform(p->multi, &running);
        progress += collect(p);
        if (progress || again)
            continue;

        wait_us = IDLE_POLL_MS * 1000LL;
        if (p->hold_until > now)
            wait_us = FFMIN(wait_us, p->hold_until - now);
        if (stop)
            wait_us = FFMIN(wait_us, deadline - now);
        curl_multi_poll(p->multi, NULL, 0, (int)FFMAX(1, (wait_us + 999) / 1000), NULL);
    }

    for (Item *it = p->items.head; it; it = it->next)
        left++;
    if (left)
        log_msg(LOG_WARN, p->channel, STAGE, "push to %s: stopping with %" PRId64 " file(s) that "
                "did not reach the origin", p->shown_url, left);
    warn_drops(p, clock_monotonic_us(), 1);
    return NULL;
}

/* ---- the interface ---- */

static char *dup_or_null(const char *s, int *nomem)
{
    char *d;
    if (!s)
        return NULL;
    if (!(d = strdup(s)))
        *nomem = 1;
    return d;
}

static const char *env_value(const char *var, const char *key, const char *channel)
{
    const char *v;
    if (!var)
        return NULL;
    v = getenv(var);
    if (!v || !*v) {
        log_msg(LOG_WARN, channel, STAGE, "push: %s names %s, which is not set in the environment; "
                "requests go without it", key, var);
        return NULL;
    }
    if (strpbrk(v, "\r\n")) {
        log_msg(LOG_WARN, channel, STAGE, "push: %s (%s) holds a line break; not used", var, key);
        return NULL;
    }
    return v;
}

static int build_headers(Pusher *p, const PushConfig *cfg, const char *bearer)
{
    for (int k = 0; k <= OUTPUT_CONTENT_TYPES; k++) {
        struct curl_slist **l = k < OUTPUT_CONTENT_TYPES ? &p->put_headers[k] : &p->delete_headers, *n;
        char line[4200];

        /* no 100-continue round trip before each body: the origin is ours */
        if (!(n = curl_slist_append(*l, "Expect:")))
            return AVERROR(ENOMEM);
        *l = n;
        if (k < OUTPUT_CONTENT_TYPES) {
            snprintf(line, sizeof(line), "Content-Type: %s", output_content_type_of_row(k));
            if (!(n = curl_slist_append(*l, line)))
                return AVERROR(ENOMEM);
            *l = n;
        }
        if (bearer) {
            snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
            if (!(n = curl_slist_append(*l, line)))
                return AVERROR(ENOMEM);
            *l = n;
        }
        for (int i = 0; i < cfg->nheaders; i++) {
            if (!(n = curl_slist_append(*l, cfg->headers[i])))
                return AVERROR(ENOMEM);
            *l = n;
        }
    }
    return 0;
}

/* The URL without a password, for log lines. */
/* The URL as log lines show it: its login (user, password, options)
 * replaced by "***", so that no credential reaches a log. libcurl reads it,
 * as it will for every request; a URL it cannot read is shown as written
 * only when it holds no '@' that could start a host after a login. */
static char *shown(const char *url)
{
    CURLU *u = curl_url();
    char *login = NULL, *text = NULL, *out = NULL;
    int has_login;

    if (!u)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        out = strdup(strchr(url, '@') ? "(a URL that libcurl cannot read)" : url);
        goto done;
    }
    has_login = curl_url_get(u, CURLUPART_USER, &login, 0) == CURLUE_OK;
    curl_free(login);
    login = NULL;
    has_login |= curl_url_get(u, CURLUPART_PASSWORD, &login, 0) == CURLUE_OK;
    curl_free(login);
    if (!has_login) {
        out = strdup(url);
        goto done;
    }
    if (curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_USER, "***", 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK)
        out = strdup(text);
    else
        out = strdup("(a URL with a login)");
    curl_free(text);
done:
    curl_url_cleanup(u);
    return out;
}

int pusher_new(Pusher **out, const PushConfig *cfg, const char *outdir, const char *channel)
{
    Pusher *p;
    const char *bearer, *user, *password;
    uint32_t hash = 2166136261u;
    char dir[4200];
    int ret = 0, nomem = 0;

    *out = NULL;
    if (!cfg || !cfg->url || !outdir || strncmp(cfg->url, "http", 4))
        return AVERROR(EINVAL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AVERROR_EXTERNAL;
    p = calloc(1, sizeof(*p));
    if (!p) {
        curl_global_cleanup();
        return AVERROR(ENOMEM);
    }
    pthread_mutex_init(&p->lock, NULL);
    histogram_init(&p->media_h, metric_latency_bounds, metric_latency_nbounds);
    histogram_init(&p->playlist_h, metric_latency_bounds, metric_latency_nbounds);
    p->channel = strdup(channel ? channel : "");
    p->outdir = strdup(outdir);
    p->shown_url = shown(cfg->url);
    /* without a graph to number it, a target is the only one */
    p->target = strdup(cfg->name ? cfg->name : "0");
    p->ca_file = dup_or_null(cfg->ca_file, &nomem);
    p->aws_sigv4 = dup_or_null(cfg->aws_sigv4, &nomem);
    {
        size_t n = strlen(cfg->url);
        p->url = malloc(n + 2);
        if (p->url)
            snprintf(p->url, n + 2, "%s%s", cfg->url, n && cfg->url[n - 1] == '/' ? "" : "/");
    }
    if (nomem || !p->channel || !p->outdir || !p->shown_url || !p->url || !p->target) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    p->delete_segments = cfg->delete_segments;
    p->retry_max = cfg->retry_max_us > 0 ? cfg->retry_max_us : DEFAULT_RETRY_MAX_US;
    p->retry_base = cfg->retry_base_us > 0 ? cfg->retry_base_us : DEFAULT_RETRY_BASE_US;
    p->retry_base = FFMIN(p->retry_base, p->retry_max);
    p->spool_max = cfg->spool_bytes > 0 ? cfg->spool_bytes : DEFAULT_SPOOL_BYTES;
    p->timeout = cfg->timeout_us > 0 ? cfg->timeout_us : DEFAULT_TIMEOUT_US;
    p->may_publish = cfg->may_publish;
    p->publish_opaque = cfg->publish_opaque;
    p->flush = cfg->flush_us > 0 ? cfg->flush_us : DEFAULT_FLUSH_US;
    p->max_in_flight = cfg->max_in_flight > 0 ? FFMIN(cfg->max_in_flight, MAX_IN_FLIGHT) : DEFAULT_IN_FLIGHT;
    p->rng = (uint32_t)clock_wall_us() ^ (uint32_t)(uintptr_t)p ^ 0x5bd1e995u;
    next_random(p);

    /* credentials: read once, never logged */
    bearer = env_value(cfg->bearer_env, "bearer_env", p->channel);
    if (cfg->aws_sigv4) {
        user = env_value(cfg->aws_key_env, "aws_key_env", p->channel);
        password = env_value(cfg->aws_secret_env, "aws_secret_env", p->channel);
        snprintf(p->auth_hint, sizeof(p->auth_hint), "check aws_key_env %s and aws_secret_env %s "
                 "(signing as %s)", cfg->aws_key_env ? cfg->aws_key_env : "(not given)",
                 cfg->aws_secret_env ? cfg->aws_secret_env : "(not given)", cfg->aws_sigv4);
    } else {
        user = env_value(cfg->basic_user_env, "basic_user_env", p->channel);
        password = env_value(cfg->basic_password_env, "basic_password_env", p->channel);
        if (cfg->bearer_env)
            snprintf(p->auth_hint, sizeof(p->auth_hint), "the origin refused the token: check "
                     "bearer_env %s (is it set, and the token the origin expects?)", cfg->bearer_env);
        else if (cfg->basic_user_env)
            snprintf(p->auth_hint, sizeof(p->auth_hint), "the origin refused the login: check "
                     "basic_user_env %s and basic_password_env %s", cfg->basic_user_env,
                     cfg->basic_password_env ? cfg->basic_password_env : "(not given)");
        else
            snprintf(p->auth_hint, sizeof(p->auth_hint), "the origin wants credentials: set "
                     "bearer_env, or basic_user_env and basic_password_env");
    }
    p->user = dup_or_null(user, &nomem);
    p->password = dup_or_null(password, &nomem);
    if (nomem || (ret = build_headers(p, cfg, bearer)) < 0) {
        ret = ret < 0 ? ret : AVERROR(ENOMEM);
        goto fail;
    }

    /* the spool: beside the output, one folder per target */
    for (const char *c = p->url; *c; c++)
        hash = (hash ^ (uint8_t)*c) * 16777619u;
    snprintf(dir, sizeof(dir), ".push-%08x", hash);
    {
        char full[4200];
        if ((ret = path_join(full, sizeof(full), outdir, dir)) < 0 ||
            (ret = path_mkdirs(full)) < 0) {
            log_msg(LOG_ERROR, p->channel, STAGE, "push: cannot make the spool %s/%s: %s", outdir,
                    dir, ERRSTR(ret));
            goto fail;
        }
        if (!(p->spool_dir = strdup(full))) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        spool_clear(p->spool_dir);
        p->spool_links = 1;
    }

    p->multi = curl_multi_init();
    if (!p->multi) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    /* keep-alive: as many connections as transfers, kept between them */
    curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)p->max_in_flight);
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)p->max_in_flight);
    curl_multi_setopt(p->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);

    if (pthread_create(&p->thread, NULL, push_thread, p)) {
        ret = AVERROR(EAGAIN);
        goto fail;
    }
    p->thread_started = 1;
    log_msg(LOG_INFO, p->channel, STAGE, "pushing to %s", p->shown_url);
    *out = p;
    return 0;
fail:
    pusher_free(&p);
    return ret;
}

static int enqueue(Pusher *p, const char *path, enum Op op, enum PublishedKind kind)
{
    size_t n = strlen(path);
    Item *it = calloc(1, sizeof(*it) + n + 1);

    if (!it) {
        log_msg(LOG_ERROR, p->channel, STAGE, "push: out of memory; %s is not pushed", path);
        return AVERROR(ENOMEM);
    }
    memcpy(it->path, path, n + 1);
    it->op = op;
    it->kind = kind;
    it->barrier = op == OP_PUT && (kind == PUBLISHED_PLAYLIST || kind == PUBLISHED_MANIFEST);
    it->published_us = clock_monotonic_us();
    pthread_mutex_lock(&p->lock);
    it->seq = it->origin_seq = p->next_seq++;
    list_append(&p->inbox, it);
    p->st.queued_files++;
    pthread_mutex_unlock(&p->lock);
    curl_multi_wakeup(p->multi);
    return 0;
}

int pusher_published(Pusher *p, const char *path, enum PublishedKind kind)
{
    if (!p || !path)
        return AVERROR(EINVAL);
    return enqueue(p, path, OP_PUT, kind);
}

int pusher_deleted(Pusher *p, const char *path)
{
    if (!p || !path)
        return AVERROR(EINVAL);
    return enqueue(p, path, OP_DELETED, PUBLISHED_SEGMENT);
}

void pusher_stats(Pusher *p, PushStats *st)
{
    pthread_mutex_lock(&p->lock);
    *st = p->st;
    st->media_count = p->media.count;
    st->media_p50_us = hist_percentile(&p->media, 0.50);
    st->media_p99_us = hist_percentile(&p->media, 0.99);
    st->media_max_us = p->media.max;
    st->playlist_count = p->playlists.count;
    st->playlist_p50_us = hist_percentile(&p->playlists, 0.50);
    st->playlist_p99_us = hist_percentile(&p->playlists, 0.99);
    st->playlist_max_us = p->playlists.max;
    pthread_mutex_unlock(&p->lock);
}

const Histogram *pusher_latency_histogram(const Pusher *p, int playlist)
{
    return playlist ? &p->playlist_h : &p->media_h;
}

void pusher_stop(Pusher *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    if (!p->stop) {
        p->stop = 1;
        p->stop_deadline = clock_monotonic_us() + p->flush;
    }
    pthread_mutex_unlock(&p->lock);
    if (p->multi)
        curl_multi_wakeup(p->multi);
}

void pusher_wait(Pusher *p)
{
    if (!p || !p->thread_started)
        return;
    pusher_stop(p);
    pthread_join(p->thread, NULL);
    p->thread_started = 0;
}

const char *pusher_target(const Pusher *p)
{
    return p ? p->shown_url : "";
}

void pusher_free(Pusher **pp)
{
    Pusher *p = *pp;

    if (!p)
        return;
    pusher_wait(p);
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        Transfer *t = &p->flights[i];
        if (t->item)
            curl_multi_remove_handle(p->multi, t->easy);
        if (t->easy)
            curl_easy_cleanup(t->easy);
    }
    if (p->multi)
        curl_multi_cleanup(p->multi);
    for (Item *it = p->items.head, *next; it; it = next) {
        next = it->next;
        item_free(p, it);
    }
    for (Item *it = p->inbox.head, *next; it; it = next) {
        next = it->next;
        item_free(p, it);
    }
    if (p->spool_dir)
        rmdir(p->spool_dir);
    for (int k = 0; k < OUTPUT_CONTENT_TYPES; k++)
        curl_slist_free_all(p->put_headers[k]);
    curl_slist_free_all(p->delete_headers);
    if (p->password)
        memset(p->password, 0, strlen(p->password));
    free(p->url);
    free(p->shown_url);
    free(p->outdir);
    free(p->channel);
    free(p->target);
    free(p->spool_dir);
    free(p->ca_file);
    free(p->aws_sigv4);
    free(p->user);
    free(p->password);
    pthread_mutex_destroy(&p->lock);
    free(p);
    curl_global_cleanup();
    *pp = NULL;
}
