/* Metric definitions, histograms and the process's event bus. */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>

const MetricDef metric_defs[METRIC_COUNT] = {
    [METRIC_BUILD_INFO] = { "onair_build_info", METRIC_GAUGE,
        "Always 1; the labels name the build and the libraries it runs with.",
        { "version", "ffmpeg", "x264" }, 0 },
    [METRIC_CHANNEL_UP] = { "onair_channel_up", METRIC_GAUGE,
        "1 while the channel runs, 0 once it stopped or failed.", { NULL }, 1 },
    [METRIC_CHANNEL_READY] = { "onair_channel_ready", METRIC_GAUGE,
        "1 while the channel publishes its segments on time (as /readyz says).", { NULL }, 1 },
    [METRIC_FRAMES] = { "onair_frames_total", METRIC_COUNTER,
        "Frames put out by the channel's playout clock.", { NULL }, 1 },
    [METRIC_FRAMES_REPEATED] = { "onair_frames_repeated_total", METRIC_COUNTER,
        "Output frames that repeated the picture before: the source on air had no new one in time.",
        { NULL }, 1 },
    [METRIC_FRAMES_DROPPED] = { "onair_frames_dropped_total", METRIC_COUNTER,
        "Source pictures never aired: they came faster than the output clock took them.", { NULL }, 1 },
    [METRIC_SOURCE_ACTIVE] = { "onair_source_active", METRIC_GAUGE,
        "1 for the role on air now (primary, backup, slate), 0 for the others.", { "role" }, 1 },
    [METRIC_SLATE_REASON] = { "onair_slate_reason", METRIC_GAUGE,
        "1 for why the slate is on air now (gap: none scheduled, held: through the API, input_loss: "
        "the live input is lost and no backup plays, no_picture: the program's source has none, break: "
        "an ad break with no source of its own), "
        "0 for the others; all 0 while it is not on air.", { "reason" }, 1 },
    [METRIC_INPUT_LOSS_SECONDS] = { "onair_input_loss_seconds_total", METRIC_COUNTER,
        "Time a scheduled live input was silent (on its backup or the slate instead).", { NULL }, 1 },
    [METRIC_SLATE_SECONDS] = { "onair_slate_seconds_total", METRIC_COUNTER,
        "Time the slate was on air, for any reason.", { NULL }, 1 },
    [METRIC_FAILOVERS] = { "onair_failovers_total", METRIC_COUNTER,
        "Times a live input went silent and its backup or the slate took over.", { NULL }, 1 },
    [METRIC_SEGMENTS] = { "onair_segments_total", METRIC_COUNTER,
        "Segments published, per rendition.", { "rendition" }, 1 },
    [METRIC_SEGMENT_PUBLISH_DELAY] = { "onair_segment_publish_delay_seconds", METRIC_HISTOGRAM,
        "From a segment's end on the output clock to its file published.", { NULL }, 1 },
    [METRIC_ENCODE_SPEED_RATIO] = { "onair_encode_speed_ratio", METRIC_GAUGE,
        "Media time encoded over the time the encoder spent on it (real time is 1; more is spare).",
        { "rendition" }, 1 },
    [METRIC_AV_OFFSET] = { "onair_av_offset_seconds", METRIC_GAUGE,
        "Audio time minus video time at the packager's input (positive: audio ahead).", { NULL }, 1 },
    [METRIC_PUSH_REQUESTS] = { "onair_push_requests_total", METRIC_COUNTER,
        "HTTP requests made to a push target, by status code (0: no answer).", { "target", "code" }, 1 },
    [METRIC_PUSH_PUBLISH_LATENCY] = { "onair_push_publish_latency_seconds", METRIC_HISTOGRAM,
        "From a file published here to its PUT accepted by the target.", { "target", "kind" }, 1 },
    [METRIC_PUSH_SPOOL_BYTES] = { "onair_push_spool_bytes", METRIC_GAUGE,
        "Bytes waiting for a push target.", { "target" }, 1 },
    [METRIC_PUSH_DROPPED] = { "onair_push_dropped_total", METRIC_COUNTER,
        "Segments a push target never got: its spool was full.", { "target" }, 1 },
    [METRIC_HTTP_REQUESTS] = { "onair_http_requests_total", METRIC_COUNTER,
        "Requests answered by the built-in servers, by status code.", { "code" }, 0 },
    [METRIC_HTTP_CONNECTIONS] = { "onair_http_connections", METRIC_GAUGE,
        "Connections open on the built-in servers now.", { NULL }, 0 },
    [METRIC_LAST_SEGMENT_AGE] = { "onair_last_segment_age_seconds", METRIC_GAUGE,
        "Time since the channel last published a segment.", { NULL }, 1 },
    [METRIC_OUTPUT_WRITE_ERRORS] = { "onair_output_write_errors_total", METRIC_COUNTER,
        "Writes the output folder refused (a full disk): what they carried is lost (a segment is "
        "listed as a gap) while the channel stays on air.", { NULL }, 1 },
    [METRIC_AD_BREAKS] = { "onair_ad_breaks_total", METRIC_COUNTER,
        "Ad breaks that went on air (SCTE-35 out).", { NULL }, 1 },
    [METRIC_LEADER] = { "onair_leader", METRIC_GAUGE,
        "1 while this instance publishes the channel (an A/B pair's leader, or one alone), 0 as "
        "the standby.", { NULL }, 1 },
    [METRIC_TAKEOVERS] = { "onair_takeovers_total", METRIC_COUNTER,
        "Times this instance took the channel over from another as the pair's leader.", { NULL }, 1 },
    [METRIC_AD_BREAK_SECONDS] = { "onair_ad_break_seconds_total", METRIC_COUNTER,
        "Time in ad breaks, counted as each returns.", { NULL }, 1 },
};

const double metric_latency_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32 };
const int metric_latency_nbounds = sizeof(metric_latency_bounds) / sizeof(metric_latency_bounds[0]);

void histogram_init(Histogram *h, const double *bounds, int nbounds)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->nbounds = nbounds > METRIC_BUCKETS_MAX ? METRIC_BUCKETS_MAX : nbounds;
}

void histogram_observe(Histogram *h, double value)
{
    int i = 0;

    while (i < h->nbounds && value > h->bounds[i])
        i++;
    atomic_fetch_add(&h->buckets[i], 1);
    atomic_fetch_add(&h->sum_ns, (int64_t)(value * 1e9));
    atomic_fetch_add(&h->count, 1);
}

/* ---- events ---- */

#define SUBSCRIBERS_MAX 64

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *ring[EVENT_RING];
    int64_t next_seq;                  /* of the next event; ring[seq % EVENT_RING] */
    int shutdown;
    struct {
        void (*fn)(void *opaque, const char *json);
        void *opaque;
    } subs[SUBSCRIBERS_MAX];
} bus = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 1, 0, { { 0 } } };

static int append_field(Buf *fields, const char *key, const char *value_json)
{
    size_t len = fields->len;
    int ret;

    if ((ret = buf_printf(fields, ",")) < 0 || (ret = json_append_string(fields, key)) < 0 ||
        (ret = buf_printf(fields, ":%s", value_json)) < 0) {
        buf_truncate(fields, len);
        return ret;
    }
    return 0;
}

int event_field_str(Buf *fields, const char *key, const char *value)
{
    Buf v = { 0 };
    int ret = json_append_string(&v, value ? value : "");

    if (ret >= 0 && (ret = buf_append(&v, "", 1)) >= 0)
        ret = append_field(fields, key, (const char *)v.data);
    buf_free(&v);
    return ret;
}

int event_field_int(Buf *fields, const char *key, int64_t value)
{
    char s[32];
    snprintf(s, sizeof(s), "%lld", (long long)value);
    return append_field(fields, key, s);
}

int event_field_seconds(Buf *fields, const char *key, double seconds)
{
    char s[48];
    snprintf(s, sizeof(s), "%.3f", seconds);
    return append_field(fields, key, s);
}

void event_emit(const char *channel, const char *event, const char *fields)
{
    Buf b = { 0 };
    char when[40];
    char *json;

    /* built under the lock: seq and time go up together */
    pthread_mutex_lock(&bus.lock);
    clock_format_iso(clock_wall_us(), when, sizeof(when));
    if (buf_printf(&b, "{\"time\":\"%s\",\"seq\":%lld,\"channel\":", when, (long long)bus.next_seq) < 0 ||
        json_append_string(&b, channel ? channel : "") < 0 || buf_printf(&b, ",\"event\":") < 0 ||
        json_append_string(&b, event) < 0 || buf_printf(&b, "%s}", fields ? fields : "") < 0 ||
        buf_append(&b, "", 1) < 0 || b.len > EVENT_JSON_MAX) {
        pthread_mutex_unlock(&bus.lock);
        buf_free(&b);
        log_msg(LOG_WARN, channel, "events", "the event %s is too large to keep", event);
        return;
    }
    json = (char *)b.data;
    for (int i = 0; i < SUBSCRIBERS_MAX; i++)
        if (bus.subs[i].fn)
            bus.subs[i].fn(bus.subs[i].opaque, json);
    free(bus.ring[bus.next_seq % EVENT_RING]);
    bus.ring[bus.next_seq % EVENT_RING] = json;
    bus.next_seq++;
    pthread_cond_broadcast(&bus.cond);
    pthread_mutex_unlock(&bus.lock);
    log_event(channel, event, fields);
}

int64_t event_next_seq(void)
{
    int64_t seq;
    pthread_mutex_lock(&bus.lock);
    seq = bus.next_seq;
    pthread_mutex_unlock(&bus.lock);
    return seq;
}

int event_read(int64_t *seq, char *out, int64_t deadline_us)
{
    int ret = 0;

    pthread_mutex_lock(&bus.lock);
    while (!bus.shutdown && *seq >= bus.next_seq) {
        int64_t now = clock_monotonic_us(), wall;
        struct timespec ts;
        if (now >= deadline_us)
            break;
        /* the condition variable waits on the wall clock */
        wall = clock_wall_us() + (deadline_us - now);
        ts.tv_sec = wall / 1000000;
        ts.tv_nsec = wall % 1000000 * 1000;
        pthread_cond_timedwait(&bus.cond, &bus.lock, &ts);
    }
    if (bus.shutdown) {
        ret = AVERROR_EOF;
    } else if (*seq < bus.next_seq) {
        if (*seq < bus.next_seq - EVENT_RING)
            *seq = bus.next_seq - EVENT_RING;
        if (*seq < 1)
            *seq = 1;
        snprintf(out, EVENT_JSON_MAX, "%s", bus.ring[*seq % EVENT_RING]);
        ++*seq;
        ret = 1;
    }
    pthread_mutex_unlock(&bus.lock);
    return ret;
}

int event_subscribe(void (*fn)(void *opaque, const char *json), void *opaque)
{
    int id = AVERROR(ENOSPC);

    pthread_mutex_lock(&bus.lock);
    for (int i = 0; i < SUBSCRIBERS_MAX; i++) {
        if (!bus.subs[i].fn) {
            bus.subs[i].fn = fn;
            bus.subs[i].opaque = opaque;
            id = i;
            break;
        }
    }
    pthread_mutex_unlock(&bus.lock);
    return id;
}

void event_unsubscribe(int id)
{
    if (id < 0 || id >= SUBSCRIBERS_MAX)
        return;
    pthread_mutex_lock(&bus.lock);
    bus.subs[id].fn = NULL;
    bus.subs[id].opaque = NULL;
    pthread_mutex_unlock(&bus.lock);
}

void events_shutdown(void)
{
    pthread_mutex_lock(&bus.lock);
    bus.shutdown = 1;
    pthread_cond_broadcast(&bus.cond);
    pthread_mutex_unlock(&bus.lock);
}
