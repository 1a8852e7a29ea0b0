/* Events to a webhook (sink.h): the bus's subscriber queues, one thread
 * sends.
 *
 * The subscriber runs on whichever thread emitted the event, under the
 * bus's lock, so it only copies the event into a FIFO and signals. The
 * thread takes the oldest event out of the FIFO and keeps it until the
 * receiver has answered it 2xx, retrying with a backoff in between; only
 * then does it take the next, which keeps the order. The event being sent
 * is out of the FIFO, so dropping the oldest when the FIFO is full never
 * drops it and never reorders. Requests go through libcurl's multi
 * interface so that webhook_free can wake the thread out of a hung
 * request (curl_multi_wakeup) instead of waiting for its timeout.
 */
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libavutil/common.h>
#include <libavutil/error.h>
#include <libavutil/hmac.h>

#include "common/metrics.h"

#define STAGE "webhook"
/* WebhookConfig's 0s */
#define DEFAULT_RETRY_BASE_US 250000
#define DEFAULT_RETRY_MAX_US (WEBHOOK_RETRY_MAX_S * 1000000LL)
#define DEFAULT_TIMEOUT_US 10000000
#define DEFAULT_QUEUE_BYTES (16LL << 20)
#define DEFAULT_FLUSH_US 2000000
#define CONNECT_TIMEOUT_MAX_US 3000000
#define POLL_MS 200
#define SIGNATURE_HEADER "X-Onair-Signature: sha256="

typedef struct Event {
    struct Event *next;
    size_t len;
    char json[];
} Event;

struct Webhook {
    char *channel, *url, *shown_url;
    char *secret;                 /* NULL: unsigned */
    char *match;                  /* ,"channel":"<id>","event": as the bus writes it */
    int64_t retry_base, retry_max, timeout, queue_max, flush;
    int sub;                      /* the bus subscription; -1: none */

    CURLM *multi;
    CURL *easy;
    char error[CURL_ERROR_SIZE];
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock;         /* everything below */
    pthread_cond_t cond;
    Event *head, *tail;
    int64_t queued_bytes;
    int stop;
    int64_t stop_deadline;        /* monotonic: webhook_free gives up then */
    int64_t dropped_unwarned;
    WebhookStats st;
};

int webhook_sign(const char *key, const void *body, size_t len, char hex[65])
{
    AVHMAC *h = av_hmac_alloc(AV_HMAC_SHA256);
    uint8_t mac[32];

    if (!h)
        return AVERROR(ENOMEM);
    av_hmac_calc(h, body, (unsigned)len, (const uint8_t *)key, (unsigned)strlen(key), mac, sizeof(mac));
    av_hmac_free(h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

/* scheme://host[:port] only: a webhook's path and query often hold its
 * token (as chat services make them). */
static char *shown(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    Buf b = { 0 };

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_PORT, &port, 0);
        if (buf_printf(&b, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "") >= 0 &&
            buf_append(&b, "", 1) >= 0)
            out = (char *)b.data;
    } else {
        out = strdup("(a URL that libcurl cannot read)");
    }
    if (!out)
        buf_free(&b);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return out;
}

/* ---- the emitting threads' side ---- */

/* The bus calls this under its lock, for every channel's events: copy, never
 * log (the log may be the bus's next caller) and never wait. */
static void on_event(void *opaque, const char *json)
{
    Webhook *w = opaque;
    const char *at = strstr(json, ",\"channel\":");
    size_t len;
    Event *e;

    /* time and seq come first and hold no such text: the first match is it */
    if (!at || strncmp(at, w->match, strlen(w->match)))
        return;
    len = strlen(json);
    e = malloc(sizeof(*e) + len + 1);
    pthread_mutex_lock(&w->lock);
    if (!e) {
        w->st.dropped++;
        w->dropped_unwarned++;
        pthread_mutex_unlock(&w->lock);
        return;
    }
    memcpy(e->json, json, len + 1);
    e->len = len;
    e->next = NULL;
    if (w->tail)
        w->tail->next = e;
    else
        w->head = e;
    w->tail = e;
    w->queued_bytes += (int64_t)(sizeof(*e) + len);
    w->st.queued++;
    /* the oldest go first: what happens now matters more to whoever reads */
    while (w->queued_bytes > w->queue_max && w->head != e) {
        Event *old = w->head;
        w->head = old->next;
        w->queued_bytes -= (int64_t)(sizeof(*old) + old->len);
        w->st.queued--;
        w->st.dropped++;
        w->dropped_unwarned++;
        free(old);
    }
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* ---- the thread ---- */

static int stopping_past(Webhook *w, int64_t now)
{
    int past;
    pthread_mutex_lock(&w->lock);
    past = w->stop && now >= w->stop_deadline;
    pthread_mutex_unlock(&w->lock);
    return past;
}

/* One POST of e. Returns 1 when it was accepted, else 0 with *status (0: no
 * answer) and what went wrong in what. */
static int post(Webhook *w, const Event *e, int *status, char *what, size_t size)
{
    struct curl_slist *headers = NULL, *h;
    char sig[sizeof(SIGNATURE_HEADER) + 64];
    long code = 0;
    CURLcode result = CURLE_ABORTED_BY_CALLBACK;
    int running = 1, accepted = 0;
    CURLMsg *m;
    int left;

    *status = 0;
    w->error[0] = 0;
    if (!(h = curl_slist_append(headers, "Content-Type: application/json")))
        goto nomem;
    headers = h;
    /* no "Expect: 100-continue" round trip before each small body */
    if (!(h = curl_slist_append(headers, "Expect:")))
        goto nomem;
    headers = h;
    if (w->secret) {
        memcpy(sig, SIGNATURE_HEADER, sizeof(SIGNATURE_HEADER) - 1);
        if (webhook_sign(w->secret, e->json, e->len, sig + sizeof(SIGNATURE_HEADER) - 1) < 0 ||
            !(h = curl_slist_append(headers, sig)))
            goto nomem;
        headers = h;
    }
    curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, (const char *)e->json);
    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->len);
    if (curl_multi_add_handle(w->multi, w->easy) != CURLM_OK) {
        snprintf(what, size, "libcurl cannot start the request");
        curl_slist_free_all(headers);
        return 0;
    }
    while (running) {
        if (curl_multi_perform(w->multi, &running) != CURLM_OK || !running)
            break;
        if (stopping_past(w, clock_monotonic_us()))
            break;
        curl_multi_poll(w->multi, NULL, 0, POLL_MS, NULL);
    }
    while ((m = curl_multi_info_read(w->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            result = m->data.result;
    curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(w->multi, w->easy);
    curl_slist_free_all(headers);
    curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, NULL);
    if (result == CURLE_OK) {
        *status = (int)code;
        accepted = code >= 200 && code < 300;
        snprintf(what, size, "HTTP %ld", code);
    } else {
        snprintf(what, size, "%s", w->error[0] ? w->error : curl_easy_strerror(result));
    }
    return accepted;
nomem:
    curl_slist_free_all(headers);
    snprintf(what, size, "out of memory");
    return 0;
}

/* Waits until the monotonic time `until`, or less when webhook_free's
 * deadline comes first. */
static void wait_until(Webhook *w, int64_t until)
{
    pthread_mutex_lock(&w->lock);
    for (;;) {
        int64_t end = w->stop ? FFMIN(until, w->stop_deadline) : until;
        int64_t now = clock_monotonic_us();
        struct timespec ts;
        if (now >= end)
            break;
        ts.tv_sec = end / 1000000;
        ts.tv_nsec = end % 1000000 * 1000;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
}

static void *webhook_thread(void *arg)
{
    Webhook *w = arg;
    Event *e = NULL;
    int failures = 0;
    int64_t failing_since = 0;

    thread_set_name("webhook");
    for (;;) {
        int64_t dropped, now;
        char what[CURL_ERROR_SIZE + 32];
        int status;

        pthread_mutex_lock(&w->lock);
        while (!e && !w->head && !w->stop)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->stop && ((!e && !w->head) || clock_monotonic_us() >= w->stop_deadline)) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        if (!e) {
            e = w->head;
            w->head = e->next;
            if (!w->head)
                w->tail = NULL;
            w->queued_bytes -= (int64_t)(sizeof(*e) + e->len);
        }
        dropped = w->dropped_unwarned;
        w->dropped_unwarned = 0;
        pthread_mutex_unlock(&w->lock);
        if (dropped)
            log_msg(LOG_WARN, w->channel, STAGE, "webhook %s: %" PRId64 " event(s) dropped, the oldest: "
                    "more than %" PRId64 " KiB waited for the receiver", w->shown_url, dropped,
                    w->queue_max >> 10);

        if (post(w, e, &status, what, sizeof(what))) {
            now = clock_monotonic_us();
            if (failures) {
                char d[32];
                format_elapsed(d, sizeof(d), now - failing_since);
                log_msg(LOG_NOTICE, w->channel, STAGE, "webhook %s: the receiver accepts events again "
                        "after %s (%d failed request(s)); sending what waited", w->shown_url, d, failures);
            }
            failures = 0;
            pthread_mutex_lock(&w->lock);
            w->st.sent++;
            w->st.queued--;
            w->st.last_status = status;
            pthread_mutex_unlock(&w->lock);
            free(e);
            e = NULL;
            continue;
        }
        now = clock_monotonic_us();
        if (!failures++) {
            char cap[32];
            failing_since = now;
            format_elapsed(cap, sizeof(cap), w->retry_max);
            log_msg(LOG_WARN, w->channel, STAGE, "webhook %s: %s; events wait and are retried in order "
                    "(backoff up to %s), the channel stays on air", w->shown_url, what, cap);
        }
        pthread_mutex_lock(&w->lock);
        w->st.failures++;
        if (status)
            w->st.last_status = status;
        pthread_mutex_unlock(&w->lock);
        wait_until(w, now + backoff_delay(w->retry_base, w->retry_max, failures));
    }
    if (e) {
        /* webhook_free counts it with what waits */
        pthread_mutex_lock(&w->lock);
        e->next = w->head;
        w->head = e;
        if (!w->tail)
            w->tail = e;
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

/* ---- life ---- */

int webhook_new(Webhook **out, const WebhookConfig *cfg)
{
    Webhook *w;
    Buf match = { 0 };
    int ret = 0;

    *out = NULL;
    if (!cfg || !cfg->url || !cfg->channel || strncmp(cfg->url, "http", 4))
        return AVERROR(EINVAL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AVERROR_EXTERNAL;
    w = calloc(1, sizeof(*w));
    if (!w) {
        curl_global_cleanup();
        return AVERROR(ENOMEM);
    }
    w->sub = -1;
    pthread_mutex_init(&w->lock, NULL);
    cond_init_monotonic(&w->cond);
    w->retry_base = cfg->retry_base_us > 0 ? cfg->retry_base_us : DEFAULT_RETRY_BASE_US;
    w->retry_max = cfg->retry_max_us > 0 ? cfg->retry_max_us : DEFAULT_RETRY_MAX_US;
    w->timeout = cfg->timeout_us > 0 ? cfg->timeout_us : DEFAULT_TIMEOUT_US;
    w->queue_max = cfg->queue_bytes > 0 ? cfg->queue_bytes : DEFAULT_QUEUE_BYTES;
    w->flush = cfg->flush_us > 0 ? cfg->flush_us : DEFAULT_FLUSH_US;
    w->channel = strdup(cfg->channel);
    w->url = strdup(cfg->url);
    w->shown_url = shown(cfg->url);
    if (cfg->secret && *cfg->secret && !(w->secret = strdup(cfg->secret)))
        ret = AVERROR(ENOMEM);
    /* the bus writes the channel as json_append_string does */
    if (buf_printf(&match, ",\"channel\":") < 0 || json_append_string(&match, cfg->channel) < 0 ||
        buf_printf(&match, ",\"event\":") < 0 || buf_append(&match, "", 1) < 0)
        ret = AVERROR(ENOMEM);
    w->match = (char *)match.data;
    if (ret < 0 || !w->channel || !w->url || !w->shown_url || !w->match) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    if (!(w->multi = curl_multi_init()) || !(w->easy = curl_easy_init())) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    curl_easy_setopt(w->easy, CURLOPT_URL, w->url);
    curl_easy_setopt(w->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->easy, CURLOPT_ERRORBUFFER, w->error);
    curl_easy_setopt(w->easy, CURLOPT_USERAGENT, "onair");
    curl_easy_setopt(w->easy, CURLOPT_TIMEOUT_MS, (long)(w->timeout / 1000));
    curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(FFMIN(w->timeout, CONNECT_TIMEOUT_MAX_US) / 1000));
    if ((ret = pthread_create(&w->thread, NULL, webhook_thread, w))) {
        ret = AVERROR(ret);
        goto fail;
    }
    w->thread_started = 1;
    if ((w->sub = event_subscribe(on_event, w)) < 0) {
        ret = w->sub;
        log_msg(LOG_ERROR, w->channel, STAGE, "webhook %s: cannot follow the events: %s",
                w->shown_url, ERRSTR(ret));
        goto fail;
    }
    log_msg(LOG_INFO, w->channel, STAGE, "events go to %s%s", w->shown_url,
            w->secret ? ", signed" : ", unsigned");
    *out = w;
    return 0;
fail:
    webhook_free(&w);
    return ret;
}

void webhook_stats(Webhook *w, WebhookStats *st)
{
    pthread_mutex_lock(&w->lock);
    *st = w->st;
    pthread_mutex_unlock(&w->lock);
}

void webhook_free(Webhook **pw)
{
    Webhook *w = *pw;
    int64_t left = 0;

    if (!w)
        return;
    /* once this returns, the bus calls on_event no more */
    event_unsubscribe(w->sub);
    if (w->thread_started) {
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        w->stop_deadline = clock_monotonic_us() + w->flush;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        curl_multi_wakeup(w->multi);
        pthread_join(w->thread, NULL);
    }
    while (w->head) {
        Event *e = w->head;
        w->head = e->next;
        free(e);
        left++;
    }
    if (left) {
        w->st.dropped += left;
        log_msg(LOG_WARN, w->channel, STAGE, "webhook %s: %" PRId64 " event(s) not delivered: the "
                "receiver did not take them before the end", w->shown_url, left);
    }
    if (w->easy)
        curl_easy_cleanup(w->easy);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    free(w->secret);
    free(w->channel);
    free(w->url);
    free(w->shown_url);
    free(w->match);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
    curl_global_cleanup();
    *pw = NULL;
}
