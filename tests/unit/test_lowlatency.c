/* The server's low-latency answers, judged by libcurl against a folder that a
 * thread of the test writes the way the packager does (temp + rename):
 * a blocking playlist reload returns when the part it asks for is listed and
 * not before, or 503 after three target durations; bad queries are 400; a
 * delta update skips; a hinted part is answered once it is cut; a CMAF
 * segment asked for while cut streams its parts and ends as the whole file. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "sink/sink.h"
#include "check.h"

static char root[256];
static int port;

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void publish(const char *rel, const void *data, size_t len)
{
    test_write_file(root, rel, data, len);
}

/* A live LL playlist: whole segments first..last, then `parts` parts of
 * last + 1 and the hint of the next; ended adds ENDLIST. */
static void publish_playlist(int first, int last, int parts, int ended)
{
    char text[8192];
    int n = snprintf(text, sizeof(text),
                     "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n"
                     "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600,CAN-SKIP-UNTIL=6.000\n"
                     "#EXT-X-PART-INF:PART-TARGET=0.200\n#EXT-X-MEDIA-SEQUENCE:%d\n"
                     "#EXT-X-MAP:URI=\"init.mp4\"\n", first);
    for (int i = first; i <= last; i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "#EXTINF:1.000,\nseg_%08d.m4s\n", i);
    for (int k = 0; k < parts; k++)
        n += snprintf(text + n, sizeof(text) - (size_t)n,
                      "#EXT-X-PART:DURATION=0.200,URI=\"seg_%08d.p%d.m4s\"%s\n", last + 1, k,
                      k ? "" : ",INDEPENDENT=YES");
    if (ended)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "#EXT-X-ENDLIST\n");
    else
        n += snprintf(text + n, sizeof(text) - (size_t)n, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg_%08d.p%d.m4s\"\n",
                      last + 1, parts);
    publish("360p/index.m3u8", text, (size_t)n);
}

static int copy_file(const char *from, const char *to)
{
    char buf[8192];
    size_t n;
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int ret = in && out ? 0 : -1;

    while (!ret && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            ret = -1;
    if (in)
        fclose(in);
    if (out && fclose(out))
        ret = -1;
    return ret;
}

typedef struct Reply {
    long status;
    char *body;
    size_t len;
    int64_t ms;                       /* from the request to its end */
    char cache[128];
} Reply;

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    Reply *r = opaque;
    char *b = realloc(r->body, r->len + size * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, size * n);
    r->body = b;
    r->len += size * n;
    b[r->len] = 0;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *opaque)
{
    Reply *r = opaque;
    if (!strncasecmp(p, "Cache-Control:", 14))
        snprintf(r->cache, sizeof(r->cache), "%.*s", (int)strcspn(p + 14, "\r\n"), p + 14);
    return size * n;
}

static void get(const char *target, Reply *r)
{
    char url[512];
    CURL *c = curl_easy_init();
    int64_t t0 = now_ms();

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ll/%s", port, target);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->ms = now_ms() - t0;
    curl_easy_cleanup(c);
}

/* ---- a writer that goes on while the test waits -------------------------- */

typedef struct Later {
    int delay_ms;
    void (*run)(void);
} Later;

static void *later_thread(void *arg)
{
    Later *l = arg;
    usleep((useconds_t)l->delay_ms * 1000);
    l->run();
    return NULL;
}

static void part_2_listed(void) { publish_playlist(10, 11, 3, 0); }

static uint8_t seg[3][5000];           /* parts of segment 12; whole = all three */
static void part0_cut(void) { publish("360p/seg_00000012.p0.m4s", seg[0], sizeof(seg[0])); }

static void rest_cut(void)
{
    uint8_t whole[sizeof(seg)];
    memcpy(whole, seg, sizeof(seg));
    publish("360p/seg_00000012.p1.m4s", seg[1], sizeof(seg[1]));
    usleep(300000);
    publish("360p/seg_00000012.p2.m4s", seg[2], sizeof(seg[2]));
    usleep(300000);
    publish("360p/seg_00000012.m4s", whole, sizeof(whole));
}

static void test_blocking_reload(void)
{
    Later l = { 500, part_2_listed };
    pthread_t t;
    Reply r;

    /* segment 11 whole, parts 0 and 1 of 12: asking for part 2 waits */
    publish_playlist(10, 11, 2, 0);
    pthread_create(&t, NULL, later_thread, &l);
    get("360p/index.m3u8?_HLS_msn=12&_HLS_part=2", &r);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.ms >= 400);
    CHECK(r.ms < 3000);
    CHECK(r.body && strstr(r.body, "seg_00000012.p2.m4s\"\n#EXT-X-PRELOAD-HINT") != NULL);
    CHECK(strstr(r.cache, "max-age=6") != NULL);
    free(r.body);

    /* what is there already: at once */
    get("360p/index.m3u8?_HLS_msn=11", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.ms < 400);
    free(r.body);

    /* never comes: 503 after three target durations (3 s) */
    get("360p/index.m3u8?_HLS_msn=13&_HLS_part=0", &r);
    CHECK_EQ_INT(r.status, 503);
    CHECK(r.ms >= 2800 && r.ms < 6000);
    free(r.body);

    /* bad queries: 400 at once */
    get("360p/index.m3u8?_HLS_part=1", &r);
    CHECK_EQ_INT(r.status, 400);
    free(r.body);
    get("360p/index.m3u8?_HLS_msn=x", &r);
    CHECK_EQ_INT(r.status, 400);
    free(r.body);
    get("360p/index.m3u8?_HLS_msn=-1", &r);
    CHECK_EQ_INT(r.status, 400);
    free(r.body);
    get("360p/index.m3u8?_HLS_msn=99", &r);
    CHECK_EQ_INT(r.status, 400);
    free(r.body);
    get("360p/index.m3u8?_HLS_skip=maybe", &r);
    CHECK_EQ_INT(r.status, 400);
    free(r.body);

    /* a plain reload is the file as it is */
    get("360p/index.m3u8", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body && strstr(r.body, "#EXT-X-MEDIA-SEQUENCE:10\n") != NULL);
    free(r.body);

    /* an ended playlist answers any msn at once */
    publish_playlist(10, 11, 0, 1);
    get("360p/index.m3u8?_HLS_msn=13", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.ms < 400);
    free(r.body);
}

static void test_delta(void)
{
    Reply r;

    /* 12 one-second segments, CAN-SKIP-UNTIL 6 s: the older ones skipped */
    publish_playlist(0, 11, 1, 0);
    get("360p/index.m3u8?_HLS_msn=11&_HLS_skip=YES", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body && strstr(r.body, "#EXT-X-SKIP:SKIPPED-SEGMENTS=") != NULL);
    CHECK(r.body && strstr(r.body, "seg_00000000.m4s") == NULL);
    CHECK(r.body && strstr(r.body, "seg_00000011.m4s") != NULL);
    free(r.body);
}

static void test_hinted_part(void)
{
    Later l = { 400, part0_cut };
    pthread_t t;
    Reply r;

    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof(seg[k]); i++)
            seg[k][i] = (uint8_t)(i * 31 + k * 7);
    publish_playlist(10, 11, 0, 0);
    pthread_create(&t, NULL, later_thread, &l);
    get("360p/seg_00000012.p0.m4s", &r);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.ms >= 300);
    CHECK_EQ_INT(r.len, sizeof(seg[0]));
    CHECK(r.body && !memcmp(r.body, seg[0], sizeof(seg[0])));
    free(r.body);

    /* a past part that is missing is gone: 404 at once */
    get("360p/seg_00000005.p0.m4s", &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(r.ms < 400);
    free(r.body);
    /* one far ahead: 404 at once */
    get("360p/seg_00000040.p0.m4s", &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(r.ms < 400);
    free(r.body);
}

static void test_streamed_segment(void)
{
    Later l = { 300, rest_cut };
    pthread_t t;
    Reply r;

    /* part 0 of 12 is out (test_hinted_part); the rest comes while we read */
    publish_playlist(10, 11, 1, 0);
    pthread_create(&t, NULL, later_thread, &l);
    get("360p/seg_00000012.m4s", &r);
    pthread_join(t, NULL);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.ms >= 700);
    CHECK_EQ_INT(r.len, sizeof(seg));
    CHECK(r.body && !memcmp(r.body, seg, sizeof(seg)));
    free(r.body);

    /* there whole: served as a file */
    get("360p/seg_00000012.m4s", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.len, sizeof(seg));
    free(r.body);
    /* one that is not next: 404 */
    get("360p/seg_00000030.m4s", &r);
    CHECK_EQ_INT(r.status, 404);
    free(r.body);
}

/* The low-latency answers read files as the server serves them: a playlist
 * or a segment that is a link leading out of the channel is 404, never
 * read through. */
static void test_links_refused(void)
{
    char outside[400], link[400], sub[400];
    Reply r;

    snprintf(outside, sizeof(outside), "%s.outside.m3u8", root);
    snprintf(sub, sizeof(sub), "%s/lnk", root);
    snprintf(link, sizeof(link), "%s/lnk/index.m3u8", root);
    mkdir(sub, 0755);
    publish_playlist(10, 11, 1, 0);
    {
        char from[400];
        snprintf(from, sizeof(from), "%s/360p/index.m3u8", root);
        CHECK(copy_file(from, outside) == 0);
    }
    CHECK(symlink(outside, link) == 0);
    get("lnk/index.m3u8?_HLS_msn=11", &r);
    CHECK_EQ_INT(r.status, 404);
    free(r.body);
    get("lnk/index.m3u8?_HLS_msn=12&_HLS_part=5", &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(r.ms < 400);
    free(r.body);
    unlink(link);
    unlink(outside);
}

/* A waiting request does not hold the server from stopping. */
static void *stop_later(void *arg)
{
    usleep(300000);
    server_free((Server **)arg);
    return NULL;
}

static void test_stop_while_waiting(Server **s)
{
    pthread_t t;
    Reply r;
    int64_t t0 = now_ms();

    publish_playlist(10, 11, 0, 0);
    pthread_create(&t, NULL, stop_later, s);
    get("360p/index.m3u8?_HLS_msn=12&_HLS_part=1", &r);
    pthread_join(t, NULL);
    /* answered with the playlist as it is, or closed: at once either way */
    CHECK(now_ms() - t0 < 2500);
    CHECK(r.status == 200 || r.status == 0);
    free(r.body);
}

int main(void)
{
    char sub[300];
    Server *s = NULL;

    snprintf(root, sizeof(root), "/tmp/onair-test-ll-serve-XXXXXX");
    if (!mkdtemp(root))
        return 1;
    snprintf(sub, sizeof(sub), "%s/360p", root);
    mkdir(sub, 0755);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CHECK_EQ_INT(server_new(&s, "127.0.0.1:0", NULL), 0);
    if (!s)
        return CHECK_DONE();
    port = server_port(s);
    CHECK_EQ_INT(server_add_channel(s, "ll", root), 0);
    test_blocking_reload();
    test_delta();
    test_hinted_part();
    test_streamed_segment();
    test_links_refused();
    test_stop_while_waiting(&s);
    CHECK(s == NULL);
    curl_global_cleanup();
    if (!check_failures) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
            return 1;
    } else {
        fprintf(stderr, "output kept in %s\n", root);
    }
    return CHECK_DONE();
}
