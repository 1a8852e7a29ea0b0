/* Push to an origin, judged by an origin in this process (libmicrohttpd,
 * a thread per connection so that it can hold answers back): what arrives
 * (paths, bodies, headers, credentials), in which order (a playlist only
 * after the segments it names were answered 2xx; DELETE after the PUT),
 * what never goes (a superseded playlist), and how failures go (503 and
 * back: retried with backoff, nothing lost, spooled files survive their
 * deletion; 401: counted and logged with what to check; a hung origin, a
 * port that refuses and a peer that does not speak HTTP: no hang at stop). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/metrics.h"
#include "sink/sink.h"
#include "check.h"

#define MAX_REQS 1024

typedef struct Req {
    char method[8];
    char path[256];
    char *body;
    size_t len;
    int status;
    int64_t received_us, answered_us;
    char auth[256], ctype[64], xtest[64];
} Req;

/* what the origin does, and what it saw */
static struct {
    pthread_mutex_t lock;
    Req reqs[MAX_REQS];
    int n;
    int fail_next;          /* answer this many requests 503 */
    int status;             /* answer every request this; 0: 201 (PUT) / 204 (DELETE) */
    int media_delay_ms;     /* hold back the answers to segment PUTs */
    int started;            /* requests whose body has arrived (answered or not) */
    int hang;               /* hold every answer until released */
    int missing_404;        /* DELETE answers 404 */
} origin = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct MHD_Daemon *daemon_;
static int port;
static char outdir[256];

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

typedef struct Upload {
    char *data;
    size_t len;
    int64_t received_us;
} Upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
    Upload *u = *con_cls;
    struct MHD_Response *resp;
    const char *v;
    int status, delay, hang;
    Req *r = NULL;
    enum MHD_Result ret;

    (void)cls;
    (void)version;
    if (!u) {
        u = calloc(1, sizeof(*u));
        u->received_us = clock_monotonic_us();
        *con_cls = u;
        return MHD_YES;
    }
    if (*size) {
        u->data = realloc(u->data, u->len + *size + 1);
        memcpy(u->data + u->len, data, *size);
        u->len += *size;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&origin.lock);
    origin.started++;
    delay = !strcmp(method, "PUT") && strstr(url, ".ts") ? origin.media_delay_ms : 0;
    hang = origin.hang;
    pthread_mutex_unlock(&origin.lock);
    if (delay)
        sleep_ms(delay);
    while (hang) {
        sleep_ms(10);
        pthread_mutex_lock(&origin.lock);
        hang = origin.hang;
        pthread_mutex_unlock(&origin.lock);
    }
    pthread_mutex_lock(&origin.lock);
    if (origin.fail_next > 0) {
        origin.fail_next--;
        status = 503;
    } else if (origin.status) {
        status = origin.status;
    } else if (!strcmp(method, "DELETE")) {
        status = origin.missing_404 ? 404 : 204;
    } else {
        status = 201;
    }
    if (origin.n < MAX_REQS) {
        r = &origin.reqs[origin.n++];
        snprintf(r->method, sizeof(r->method), "%s", method);
        snprintf(r->path, sizeof(r->path), "%s", url);
        r->body = u->data;
        r->len = u->len;
        u->data = NULL;
        r->status = status;
        r->received_us = u->received_us;
        if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization")))
            snprintf(r->auth, sizeof(r->auth), "%s", v);
        if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type")))
            snprintf(r->ctype, sizeof(r->ctype), "%s", v);
        if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test")))
            snprintf(r->xtest, sizeof(r->xtest), "%s", v);
        r->answered_us = clock_monotonic_us();
    }
    pthread_mutex_unlock(&origin.lock);
    resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    Upload *u = *con_cls;
    (void)cls;
    (void)conn;
    (void)code;
    if (u) {
        free(u->data);
        free(u);
    }
    *con_cls = NULL;
}

static void origin_reset(void)
{
    pthread_mutex_lock(&origin.lock);
    for (int i = 0; i < origin.n; i++)
        free(origin.reqs[i].body);
    origin.n = 0;
    origin.fail_next = origin.status = origin.media_delay_ms = origin.hang = origin.missing_404 = 0;
    origin.started = 0;
    pthread_mutex_unlock(&origin.lock);
}

/* The index of the first request for method+path at or after `from`; -1: none. */
static int find_req(const char *method, const char *path, int from)
{
    int found = -1;
    pthread_mutex_lock(&origin.lock);
    for (int i = from; i < origin.n && found < 0; i++)
        if (!strcmp(origin.reqs[i].method, method) && !strcmp(origin.reqs[i].path, path))
            found = i;
    pthread_mutex_unlock(&origin.lock);
    return found;
}

static int count_req(const char *method, const char *path)
{
    int n = 0;
    for (int i = find_req(method, path, 0); i >= 0; i = find_req(method, path, i + 1))
        n++;
    return n;
}

/* ---- the pushing side ---- */

static void put_file(const char *rel, const char *text)
{
    test_write_file(outdir, rel, text, strlen(text));
}

static void publish(Pusher *p, const char *rel, const char *text, enum PublishedKind kind)
{
    put_file(rel, text);
    CHECK_EQ_INT(pusher_published(p, rel, kind), 0);
}

static Pusher *new_pusher(const PushConfig *extra, int use_port)
{
    PushConfig cfg = extra ? *extra : (PushConfig){ 0 };
    char url[128];
    Pusher *p = NULL;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/live/", use_port ? use_port : port);
    cfg.url = url;
    if (!cfg.retry_base_us)
        cfg.retry_base_us = 50000;
    if (!cfg.retry_max_us)
        cfg.retry_max_us = 400000;
    CHECK_EQ_INT(pusher_new(&p, &cfg, outdir, "t"), 0);
    return p;
}

/* Waits up to ms for the stats to satisfy cond. */
#define WAIT_FOR(p, st, ms, cond) do { \
    int64_t until_ = clock_monotonic_us() + (ms) * 1000LL; \
    do { \
        pusher_stats((p), &(st)); \
        if (cond) \
            break; \
        sleep_ms(10); \
    } while (clock_monotonic_us() < until_); \
} while (0)

/* ---- cases ---- */

/* Bodies, paths, types and headers arrive exactly. */
static void test_basic(void)
{
    static const char *const headers[] = { "X-Test: yes" };
    PushConfig cfg = { .headers = headers, .nheaders = 1, .bearer_env = "TEST_PUSH_TOKEN",
                       .delete_segments = 1 };
    PushStats st;
    Pusher *p;
    int i;

    origin_reset();
    setenv("TEST_PUSH_TOKEN", "s3cret", 1);
    p = new_pusher(&cfg, 0);
    publish(p, "360p/init.mp4", "INIT", PUBLISHED_INIT);
    publish(p, "360p/seg_00000000.m4s", "SEGMENT ZERO", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "#EXTM3U\nseg_00000000.m4s\n", PUBLISHED_PLAYLIST);
    publish(p, "manifest.mpd", "<MPD/>", PUBLISHED_MANIFEST);
    WAIT_FOR(p, st, 5000, st.pushed == 4);
    CHECK_EQ_INT(st.pushed, 4);
    CHECK_EQ_INT(st.failures, 0);
    CHECK_EQ_INT(st.queued_files, 0);
    CHECK_EQ_INT(st.media_count, 2);
    CHECK_EQ_INT(st.playlist_count, 2);
    CHECK(st.media_p50_us > 0 && st.media_p99_us >= st.media_p50_us && st.media_max_us >= st.media_p99_us / 2);
    i = find_req("PUT", "/live/360p/seg_00000000.m4s", 0);
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_EQ_INT(origin.reqs[i].len, 12);
        CHECK(origin.reqs[i].body && !memcmp(origin.reqs[i].body, "SEGMENT ZERO", 12));
        /* the server's type for a segment (output_content_type) */
        CHECK_EQ_STR(origin.reqs[i].ctype, "video/iso.segment");
        CHECK_EQ_STR(origin.reqs[i].auth, "Bearer s3cret");
        CHECK_EQ_STR(origin.reqs[i].xtest, "yes");
    }
    i = find_req("PUT", "/live/360p/index.m3u8", 0);
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_EQ_STR(origin.reqs[i].ctype, "application/vnd.apple.mpegurl");
        CHECK(origin.reqs[i].body && !strncmp(origin.reqs[i].body, "#EXTM3U\nseg_00000000.m4s\n",
                                               origin.reqs[i].len));
    }
    i = find_req("PUT", "/live/manifest.mpd", 0);
    CHECK(i >= 0 && !strcmp(origin.reqs[i].ctype, "application/dash+xml"));
    i = find_req("PUT", "/live/360p/init.mp4", 0);
    CHECK(i >= 0 && !strcmp(origin.reqs[i].ctype, "video/mp4"));
    pusher_free(&p);
    CHECK(p == NULL);
    unsetenv("TEST_PUSH_TOKEN");
}

/* A playlist goes only after every segment before it was answered 2xx,
 * even when those answers are slow; segments go in parallel. */
static void test_order(void)
{
    PushStats st;
    Pusher *p;
    int pl, s0, s1;

    origin_reset();
    origin.media_delay_ms = 300;
    p = new_pusher(NULL, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    publish(p, "360p/seg_00000001.ts", "S1", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "#EXTM3U\nseg_00000000.ts\nseg_00000001.ts\n", PUBLISHED_PLAYLIST);
    WAIT_FOR(p, st, 5000, st.pushed == 3);
    CHECK_EQ_INT(st.pushed, 3);
    s0 = find_req("PUT", "/live/360p/seg_00000000.ts", 0);
    s1 = find_req("PUT", "/live/360p/seg_00000001.ts", 0);
    pl = find_req("PUT", "/live/360p/index.m3u8", 0);
    CHECK(s0 >= 0 && s1 >= 0 && pl >= 0);
    if (s0 >= 0 && s1 >= 0 && pl >= 0) {
        CHECK(origin.reqs[pl].received_us >= origin.reqs[s0].answered_us);
        CHECK(origin.reqs[pl].received_us >= origin.reqs[s1].answered_us);
        /* in parallel: the second did not wait for the first's slow answer */
        CHECK(origin.reqs[s1].received_us < origin.reqs[s0].answered_us);
        /* the playlist's publish latency holds the segments' wait */
        CHECK(st.playlist_max_us >= 250000);
    }
    pusher_free(&p);
}

/* A playlist rewritten before its turn goes once, as its newest version. */
static void test_superseded(void)
{
    PushStats st;
    Pusher *p;
    int pl;

    origin_reset();
    origin.media_delay_ms = 300;
    p = new_pusher(NULL, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "v1", PUBLISHED_PLAYLIST);
    publish(p, "360p/seg_00000001.ts", "S1", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "v2", PUBLISHED_PLAYLIST);
    WAIT_FOR(p, st, 5000, st.pushed == 3 && st.queued_files == 0);
    CHECK_EQ_INT(st.pushed, 3);
    CHECK_EQ_INT(st.superseded, 1);
    CHECK_EQ_INT(count_req("PUT", "/live/360p/index.m3u8"), 1);
    pl = find_req("PUT", "/live/360p/index.m3u8", 0);
    CHECK(pl >= 0 && origin.reqs[pl].len == 2 && !memcmp(origin.reqs[pl].body, "v2", 2));
    pusher_free(&p);
}

/* 503s, then the origin answers: retried with backoff, nothing lost, and a
 * segment deleted locally meanwhile still goes from the spool. */
/* The push events of the bus, as a subscriber copies them. */
static struct {
    pthread_mutex_t lock;
    char seen[8][EVENT_JSON_MAX];
    int n;
} bus_copy = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_push_event(void *opaque, const char *json)
{
    pthread_mutex_lock(&bus_copy.lock);
    if (strstr(json, "\"event\":\"push_") && bus_copy.n < 8)
        snprintf(bus_copy.seen[bus_copy.n++], EVENT_JSON_MAX, "%s", json);
    pthread_mutex_unlock(&bus_copy.lock);
}

static void test_outage(void)
{
    PushStats st;
    Pusher *p;
    char name[300];
    int64_t first = 0, last = 0;
    int fails = 0;

    int sub = event_subscribe(on_push_event, NULL);

    origin_reset();
    origin.fail_next = 6;
    p = new_pusher(&(PushConfig){ .name = "edge", .retry_base_us = 50000, .retry_max_us = 300000,
                                  .delete_segments = 1 }, 0);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "360p/seg_%08d.ts", i);
        publish(p, name, name, PUBLISHED_SEGMENT);
    }
    publish(p, "360p/index.m3u8", "#EXTM3U\n", PUBLISHED_PLAYLIST);
    /* gone from the output folder while the origin fails: spooled (the
     * first 503 is seg 0's, so the pusher has taken it in by then) */
    WAIT_FOR(p, st, 5000, st.failures >= 1);
    CHECK_EQ_INT(st.failing, 1);
    snprintf(name, sizeof(name), "%s/360p/seg_00000000.ts", outdir);
    CHECK_EQ_INT(unlink(name), 0);
    WAIT_FOR(p, st, 10000, st.pushed == 5);
    CHECK_EQ_INT(st.pushed, 5);
    CHECK_EQ_INT(st.failing, 0);   /* recovered */
    CHECK_EQ_INT(st.dropped, 0);
    CHECK(st.failures >= 6);
    for (int i = 0; i < 4; i++) {
        int k;
        snprintf(name, sizeof(name), "/live/360p/seg_%08d.ts", i);
        k = -1;
        while ((k = find_req("PUT", name, k + 1)) >= 0 && origin.reqs[k].status != 201)
            ;
        CHECK(k >= 0);
        if (k >= 0)
            CHECK(origin.reqs[k].len == strlen(name) - 6 && !memcmp(origin.reqs[k].body, name + 6, origin.reqs[k].len));
    }
    /* the playlist only once the segments are there */
    CHECK_EQ_INT(count_req("PUT", "/live/360p/index.m3u8"), 1);
    /* backoff: the failures were spread out, not hammered */
    pthread_mutex_lock(&origin.lock);
    for (int i = 0; i < origin.n; i++) {
        if (origin.reqs[i].status == 503) {
            if (!fails++)
                first = origin.reqs[i].received_us;
            last = origin.reqs[i].received_us;
        }
    }
    pthread_mutex_unlock(&origin.lock);
    CHECK_EQ_INT(fails, 6);
    CHECK(last - first >= 70000);     /* at least 25 + 50 ms of backoff (jitter: half to all) */
    /* the metrics' view: every answer by its code, as the origin gave them;
     * each accepted PUT's latency in its kind's histogram */
    CHECK_EQ_INT(st.nrequests, 2);
    for (int i = 0; i < st.nrequests; i++) {
        CHECK(st.requests[i].code == 503 || st.requests[i].code == 201);
        CHECK_EQ_INT(st.requests[i].count, st.requests[i].code == 503 ? 6 : 5);
    }
    CHECK_EQ_INT(st.requests_other, 0);
    CHECK_EQ_INT(atomic_load(&pusher_latency_histogram(p, 0)->count), 4);
    CHECK_EQ_INT(atomic_load(&pusher_latency_histogram(p, 1)->count), 1);
    /* the segments waited out the outage: none was accepted within 50 ms */
    CHECK_EQ_INT(atomic_load(&pusher_latency_histogram(p, 0)->buckets[0]), 0);
    pusher_free(&p);
    /* one event when it started failing, one when it was back: not one per retry */
    event_unsubscribe(sub);
    CHECK_EQ_INT(bus_copy.n, 2);
    if (bus_copy.n == 2) {
        CHECK(strstr(bus_copy.seen[0], "\"event\":\"push_failing\",\"target\":\"edge\",\"status\":503}"));
        CHECK(strstr(bus_copy.seen[1], "\"event\":\"push_recovered\",\"target\":\"edge\",\"status\":201}"));
        CHECK(!strstr(bus_copy.seen[0], "http"));
    }
}

/* 401: counted, the status kept, and the log says what to check. */
static void test_unauthorized(void)
{
    char logpath[300], text[8192] = "";
    PushStats st;
    Pusher *p;
    int saved, fd;
    ssize_t n;

    origin_reset();
    origin.status = 401;
    setenv("TEST_PUSH_TOKEN", "wrong", 1);
    snprintf(logpath, sizeof(logpath), "%s/log.txt", outdir);
    fflush(stderr);
    saved = dup(2);
    fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    p = new_pusher(&(PushConfig){ .bearer_env = "TEST_PUSH_TOKEN" }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 5000, st.failures >= 2);
    pusher_free(&p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    CHECK(st.failures >= 2);
    CHECK_EQ_INT(st.last_status, 401);
    CHECK_EQ_INT(st.pushed, 0);
    fd = open(logpath, O_RDONLY);
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    text[n > 0 ? n : 0] = 0;
    fputs(text, stderr);
    CHECK(strstr(text, "401 Unauthorized") != NULL);
    CHECK(strstr(text, "check bearer_env TEST_PUSH_TOKEN") != NULL);
    CHECK(strstr(text, "wrong") == NULL);      /* never the token */
    /* said once, not per retry */
    CHECK(strstr(text, "401 Unauthorized") && !strstr(strstr(text, "401 Unauthorized") + 1, "401 Unauthorized"));
    unsetenv("TEST_PUSH_TOKEN");
}

/* DELETE goes after the segment's PUT and after the playlist that dropped
 * it; 404 counts as done; delete off sends none. */
static void test_delete(void)
{
    PushStats st;
    Pusher *p;
    int put, pl, del;

    origin_reset();
    origin.media_delay_ms = 200;
    p = new_pusher(&(PushConfig){ .delete_segments = 1 }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    publish(p, "360p/seg_00000001.ts", "S1", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "#EXTM3U\nseg_00000001.ts\n", PUBLISHED_PLAYLIST);
    /* deleted while its PUT is at the origin: the PUT stays, the DELETE
     * follows it (deleted before the pusher takes the PUT in, it would be
     * skipped instead, a race this wait rules out) */
    for (int64_t until = clock_monotonic_us() + 5000000; clock_monotonic_us() < until;) {
        int started;
        pthread_mutex_lock(&origin.lock);
        started = origin.started;
        pthread_mutex_unlock(&origin.lock);
        if (started)
            break;
        sleep_ms(10);
    }
    CHECK_EQ_INT(pusher_deleted(p, "360p/seg_00000000.ts"), 0);
    WAIT_FOR(p, st, 5000, st.deleted == 1 && st.pushed == 3);
    CHECK_EQ_INT(st.pushed, 3);
    CHECK_EQ_INT(st.deleted, 1);
    put = find_req("PUT", "/live/360p/seg_00000000.ts", 0);
    pl = find_req("PUT", "/live/360p/index.m3u8", 0);
    del = find_req("DELETE", "/live/360p/seg_00000000.ts", 0);
    CHECK(put >= 0 && pl >= 0 && del >= 0);
    if (put >= 0 && pl >= 0 && del >= 0) {
        CHECK(origin.reqs[del].received_us >= origin.reqs[put].answered_us);
        CHECK(origin.reqs[del].received_us >= origin.reqs[pl].answered_us);
    }
    /* 404: already gone, done */
    pthread_mutex_lock(&origin.lock);
    origin.missing_404 = 1;
    origin.media_delay_ms = 0;
    pthread_mutex_unlock(&origin.lock);
    CHECK_EQ_INT(pusher_deleted(p, "360p/seg_00000001.ts"), 0);
    WAIT_FOR(p, st, 5000, st.deleted == 2);
    CHECK_EQ_INT(st.deleted, 2);
    CHECK_EQ_INT(st.failures, 0);
    pusher_free(&p);

    origin_reset();
    p = new_pusher(&(PushConfig){ .delete_segments = 0 }, 0);
    publish(p, "360p/seg_00000002.ts", "S2", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 5000, st.pushed == 1);
    CHECK_EQ_INT(pusher_deleted(p, "360p/seg_00000002.ts"), 0);
    sleep_ms(200);
    pusher_stats(p, &st);
    CHECK_EQ_INT(st.deleted, 0);
    CHECK_EQ_INT(st.queued_files, 0);
    CHECK_EQ_INT(count_req("DELETE", "/live/360p/seg_00000002.ts"), 0);
    pusher_free(&p);
}

/* A segment that leaves the window before it could go (the origin was
 * away) is not pushed at all, nor deleted. */
static void test_skipped(void)
{
    PushStats st;
    Pusher *p;

    origin_reset();
    origin.hang = 1;
    p = new_pusher(&(PushConfig){ .delete_segments = 1, .max_in_flight = 1 }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    publish(p, "360p/seg_00000001.ts", "S1", PUBLISHED_SEGMENT);
    sleep_ms(100);
    CHECK_EQ_INT(pusher_deleted(p, "360p/seg_00000001.ts"), 0);
    sleep_ms(100);
    pthread_mutex_lock(&origin.lock);
    origin.hang = 0;
    pthread_mutex_unlock(&origin.lock);
    WAIT_FOR(p, st, 5000, st.queued_files == 0);
    CHECK_EQ_INT(st.pushed, 1);
    CHECK_EQ_INT(st.skipped, 1);
    CHECK_EQ_INT(st.dropped, 0);
    CHECK_EQ_INT(count_req("PUT", "/live/360p/seg_00000001.ts"), 0);
    CHECK_EQ_INT(count_req("DELETE", "/live/360p/seg_00000001.ts"), 0);
    pusher_free(&p);
}

/* An origin that holds every answer: the stop is bounded by the flush. */
static void test_hung(void)
{
    Pusher *p;
    int64_t t0;

    origin_reset();
    origin.hang = 1;
    p = new_pusher(&(PushConfig){ .flush_us = 500000, .timeout_us = 30000000 }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    publish(p, "360p/index.m3u8", "#EXTM3U\n", PUBLISHED_PLAYLIST);
    sleep_ms(200);
    t0 = clock_monotonic_us();
    pusher_stop(p);
    pusher_free(&p);
    CHECK(clock_monotonic_us() - t0 < 2000000);
    pthread_mutex_lock(&origin.lock);
    origin.hang = 0;
    pthread_mutex_unlock(&origin.lock);
}

/* A port nobody listens on, and a peer that answers garbage: failures,
 * counted, no crash, a prompt stop. */
static void *garbage_server(void *arg)
{
    int fd = *(int *)arg;
    for (;;) {
        char buf[4096];
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            return NULL;
        if (read(c, buf, sizeof(buf)) > 0 &&
            write(c, "\x16\x03garbage\r\n\r\nHTTP/9 ???\r\n", 26) < 0)
            fprintf(stderr, "write: %s\n", strerror(errno));
        close(c);
    }
}

static void test_bad_peers(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    PushStats st;
    pthread_t th;
    Pusher *p;
    int fd, dead;
    int64_t t0;

    /* refused: a port bound and closed again */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &alen);
    dead = ntohs(a.sin_port);
    close(fd);
    p = new_pusher(NULL, dead);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 3000, st.failures >= 2);
    CHECK(st.failures >= 2);
    CHECK_EQ_INT(st.pushed, 0);
    CHECK_EQ_INT(st.queued_files, 1);
    /* no answer at all: failing, though no status was ever answered */
    CHECK_EQ_INT(st.failing, 1);
    CHECK_EQ_INT(st.last_status, 0);
    t0 = clock_monotonic_us();
    pusher_free(&p);
    CHECK(clock_monotonic_us() - t0 < 2000000);

    /* not HTTP */
    a.sin_port = 0;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ_INT(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    listen(fd, 8);
    alen = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    pthread_create(&th, NULL, garbage_server, &fd);
    p = new_pusher(NULL, ntohs(a.sin_port));
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 3000, st.failures >= 2);
    CHECK(st.failures >= 2);
    CHECK_EQ_INT(st.pushed, 0);
    t0 = clock_monotonic_us();
    pusher_free(&p);
    CHECK(clock_monotonic_us() - t0 < 2000000);
    shutdown(fd, SHUT_RDWR);
    close(fd);
    pthread_join(th, NULL);
}

/* SigV4: libcurl signs; what arrives is an AWS4 Authorization. Basic auth
 * from its two variables. */
static void test_credentials(void)
{
    PushStats st;
    Pusher *p;
    int i;

    origin_reset();
    setenv("TEST_AWS_KEY", "AKIDEXAMPLE", 1);
    setenv("TEST_AWS_SECRET", "wJalrXUtnFEMI", 1);
    p = new_pusher(&(PushConfig){ .aws_sigv4 = "aws:amz:us-east-1:s3", .aws_key_env = "TEST_AWS_KEY",
                                  .aws_secret_env = "TEST_AWS_SECRET" }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 5000, st.pushed == 1);
    CHECK_EQ_INT(st.pushed, 1);
    i = find_req("PUT", "/live/360p/seg_00000000.ts", 0);
    CHECK(i >= 0 && !strncmp(origin.reqs[i].auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40));
    CHECK(i >= 0 && strstr(origin.reqs[i].auth, "/us-east-1/s3/aws4_request") != NULL);
    pusher_free(&p);

    origin_reset();
    setenv("TEST_USER", "alice", 1);
    setenv("TEST_PASS", "pw", 1);
    p = new_pusher(&(PushConfig){ .basic_user_env = "TEST_USER", .basic_password_env = "TEST_PASS" }, 0);
    publish(p, "360p/seg_00000000.ts", "S0", PUBLISHED_SEGMENT);
    WAIT_FOR(p, st, 5000, st.pushed == 1);
    i = find_req("PUT", "/live/360p/seg_00000000.ts", 0);
    CHECK(i >= 0 && !strcmp(origin.reqs[i].auth, "Basic YWxpY2U6cHc="));
    pusher_free(&p);
}

/* A login in the URL (http://user:password@host/) never shows: log lines
 * name the target with "***" in its place (pusher_target); a URL without
 * one shows as written. */
static void test_login_hidden(void)
{
    static const struct {
        const char *url, *shown;          /* shown NULL: anything without the secret */
    } cases[] = {
        { "http://alice:s3cret@127.0.0.1:1/live/", "http://***@127.0.0.1:1/live/" },
        { "http://alice@127.0.0.1:1/live/", "http://***@127.0.0.1:1/live/" },
        { "https://:s3cret@origin.example/live/ch/", "https://***@origin.example/live/ch/" },
        { "http://alice:s3cret@[::1]:8080/live/", "http://***@[::1]:8080/live/" },
        { "http://127.0.0.1:1/live/", "http://127.0.0.1:1/live/" },
        { "https://origin.example/live/a@b/", "https://origin.example/live/a@b/" },
        { "http://alice:s3 cret@127.0.0.1:1/live/", NULL },   /* libcurl cannot read it */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Pusher *p = NULL;
        const char *t;

        CHECK_EQ_INT(pusher_new(&p, &(PushConfig){ .url = cases[i].url }, outdir, "t"), 0);
        if (!p)
            continue;
        t = pusher_target(p);
        if (cases[i].shown)
            CHECK_EQ_STR(t, cases[i].shown);
        CHECK(strstr(t, "s3") == NULL);
        pusher_free(&p);
    }
}

int main(void)
{
    const union MHD_DaemonInfo *info;
    char cmd[300];

    snprintf(outdir, sizeof(outdir), "/tmp/onair-test-push-XXXXXX");
    if (!mkdtemp(outdir)) {
        perror("mkdtemp");
        return 1;
    }
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                               0, NULL, NULL, on_request, NULL,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                               MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!daemon_ || !(info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT))) {
        fprintf(stderr, "cannot start the test origin\n");
        return 1;
    }
    port = info->port;
    log_setup(LOG_INFO, 0);

    test_basic();
    test_order();
    test_superseded();
    test_outage();
    test_unauthorized();
    test_delete();
    test_skipped();
    test_hung();
    test_bad_peers();
    test_credentials();
    test_login_hidden();

    MHD_stop_daemon(daemon_);
    origin_reset();
    /* the spool folders are gone */
    snprintf(cmd, sizeof(cmd), "test -z \"$(find %s -name '.push-*')\"", outdir);
    CHECK_EQ_INT(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", outdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", outdir);
    return CHECK_DONE();
}
