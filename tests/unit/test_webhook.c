/*
 * The webhook: HMAC-SHA256 against RFC 4231; a receiver (libmicrohttpd, on
 * loopback) that refuses the first requests gets every event of its
 * channel and none of another's, once each, in order, signed; a full queue
 * drops the oldest and counts them.
 */
#include <pthread.h>

#include <microhttpd.h>

#include "check.h"
#include "common/metrics.h"
#include "sink/sink.h"

#define KEY "s3cret"
#define MAX_BODIES 64

static struct {
    pthread_mutex_t lock;
    int refuse;                  /* answer this many requests 503 */
    int requests;
    char *bodies[MAX_BODIES];
    int nbodies;
    int bad_signatures;
    int bad_types;
} rx = { .lock = PTHREAD_MUTEX_INITIALIZER };

typedef struct Upload {
    Buf body;
} Upload;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **state)
{
    Upload *up = *state;
    struct MHD_Response *r;
    enum MHD_Result ret;
    int status = 200;

    if (!up) {
        *state = calloc(1, sizeof(Upload));
        return *state ? MHD_YES : MHD_NO;
    }
    if (*size) {
        buf_append(&up->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    buf_append(&up->body, "", 1);
    pthread_mutex_lock(&rx.lock);
    if (rx.requests++ < rx.refuse) {
        status = 503;
    } else {
        const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Onair-Signature");
        const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        char hex[65];
        webhook_sign(KEY, up->body.data, up->body.len - 1, hex);
        if (!sig || strncmp(sig, "sha256=", 7) || strcmp(sig + 7, hex))
            rx.bad_signatures++;
        if (!type || strcmp(type, "application/json"))
            rx.bad_types++;
        if (rx.nbodies < MAX_BODIES)
            rx.bodies[rx.nbodies++] = strdup((const char *)up->body.data);
    }
    pthread_mutex_unlock(&rx.lock);
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
    Upload *up = *state;
    if (up) {
        buf_free(&up->body);
        free(up);
    }
    *state = NULL;
}

static void emit(const char *channel, int n)
{
    Buf f = { 0 };
    event_field_int(&f, "n", n);
    buf_append(&f, "", 1);
    event_emit(channel, EVENT_API, (const char *)f.data);
    buf_free(&f);
}

static void test_sign(void)
{
    char hex[65];

    /* RFC 4231, test case 2 */
    CHECK_EQ_INT(webhook_sign("Jefe", "what do ya want for nothing?", 28, hex), 0);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_delivery(void)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                            0, NULL, NULL, answer, NULL,
                                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info;
    char url[64];
    Webhook *w = NULL;
    WebhookStats st;
    int64_t first = event_next_seq(), deadline;

    if (!d) {
        fprintf(stderr, "cannot start the receiver\n");
        check_failures++;
        return;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook?token=x", info->port);
    rx.refuse = 3;
    CHECK_EQ_INT(webhook_new(&w, &(WebhookConfig){ .channel = "ch-a", .url = url, .secret = KEY,
                                                   .retry_base_us = 20000, .retry_max_us = 100000 }), 0);
    if (!w)
        goto done;
    for (int i = 0; i < 10; i++) {
        emit("ch-a", i);
        emit("ch-b", i);
    }
    deadline = clock_monotonic_us() + 10000000;
    do {
        clock_sleep_us(20000, NULL, NULL);
        webhook_stats(w, &st);
    } while (st.sent < 10 && clock_monotonic_us() < deadline);
    CHECK_EQ_INT(st.sent, 10);
    CHECK_EQ_INT(st.failures, 3);
    CHECK_EQ_INT(st.dropped, 0);
    CHECK_EQ_INT(st.last_status, 200);
    webhook_free(&w);
    pthread_mutex_lock(&rx.lock);
    CHECK_EQ_INT(rx.nbodies, 10);
    CHECK_EQ_INT(rx.bad_signatures, 0);
    CHECK_EQ_INT(rx.bad_types, 0);
    for (int i = 0; i < rx.nbodies; i++) {
        char want[64];
        /* ch-a's events are every other one on the bus */
        snprintf(want, sizeof(want), "\"seq\":%lld,\"channel\":\"ch-a\"", (long long)(first + 2 * i));
        CHECK(strstr(rx.bodies[i], want) != NULL);
        snprintf(want, sizeof(want), ",\"n\":%d}", i);
        CHECK(strstr(rx.bodies[i], want) != NULL);
    }
    pthread_mutex_unlock(&rx.lock);

    /* a receiver that is gone: the queue keeps the newest, counts the rest */
    rx.refuse = 1 << 30;
    CHECK_EQ_INT(webhook_new(&w, &(WebhookConfig){ .channel = "ch-a", .url = url, .secret = KEY,
                                                   .retry_base_us = 20000, .queue_bytes = 2000,
                                                   .flush_us = 100000 }), 0);
    if (!w)
        goto done;
    for (int i = 0; i < 100; i++)
        emit("ch-a", i);
    webhook_stats(w, &st);
    CHECK(st.dropped > 50);
    CHECK(st.queued < 30);
    webhook_free(&w);
done:
    MHD_stop_daemon(d);
    for (int i = 0; i < rx.nbodies; i++)
        free(rx.bodies[i]);
}

int main(void)
{
    test_sign();
    test_delivery();
    return CHECK_DONE();
}
