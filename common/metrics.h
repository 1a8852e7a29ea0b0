/*
 * What an operator watches: metrics (Prometheus) and events (the admin
 * API's stream, webhooks, JSON logs).
 *
 * Metrics. Every metric onair exports is one row of metric_defs (metrics.c):
 * its name, type, help and label names, written once. A stage keeps its
 * counters as plain atomics or a Histogram; a reader (the admin listener's
 * /metrics) asks each channel for its samples, which name the row by its
 * MetricId and give the label values. The channel label is added by whoever
 * knows the channel (schedule/), never by a stage. Names follow Prometheus:
 * onair_ prefix, base units (_seconds, _bytes), _total for counters.
 *
 * Events. One bus for the process: event_emit() formats an object
 *   {"time":"2026-12-05T10:00:00.000Z","seq":17,"channel":"demo","event":"failover",...}
 * (seq: the process's event count, 1 first: a reader sees a gap as one)
 * keeps the last EVENT_RING of them for readers that follow by sequence
 * number (the API's Server-Sent Events), hands each to every subscriber
 * (a webhook sender, synchronously: it must only queue it) and logs it.
 */
#ifndef ONAIR_METRICS_H
#define ONAIR_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "common.h"

/* ---- metrics ---------------------------------------------------------- */

typedef enum MetricType {
    METRIC_COUNTER,
    METRIC_GAUGE,
    METRIC_HISTOGRAM,
} MetricType;

typedef enum MetricId {
    METRIC_BUILD_INFO,
    METRIC_CHANNEL_UP,
    METRIC_CHANNEL_READY,
    METRIC_FRAMES,
    METRIC_FRAMES_REPEATED,
    METRIC_FRAMES_DROPPED,
    METRIC_SOURCE_ACTIVE,
    METRIC_SLATE_REASON,
    METRIC_INPUT_LOSS_SECONDS,
    METRIC_SLATE_SECONDS,
    METRIC_FAILOVERS,
    METRIC_SEGMENTS,
    METRIC_SEGMENT_PUBLISH_DELAY,
    METRIC_ENCODE_SPEED_RATIO,
    METRIC_AV_OFFSET,
    METRIC_PUSH_REQUESTS,
    METRIC_PUSH_PUBLISH_LATENCY,
    METRIC_PUSH_SPOOL_BYTES,
    METRIC_PUSH_DROPPED,
    METRIC_HTTP_REQUESTS,
    METRIC_HTTP_CONNECTIONS,
    METRIC_LAST_SEGMENT_AGE,
    METRIC_OUTPUT_WRITE_ERRORS,
    METRIC_AD_BREAKS,
    METRIC_AD_BREAK_SECONDS,
    METRIC_LEADER,
    METRIC_TAKEOVERS,
    METRIC_COUNT
} MetricId;

#define METRIC_LABELS_MAX 3
#define METRIC_BUCKETS_MAX 16

typedef struct MetricDef {
    const char *name;                  /* "onair_frames_total" */
    MetricType type;
    const char *help;
    /* label names besides channel (NULL-terminated): "rendition" */
    const char *labels[METRIC_LABELS_MAX];
    int per_channel;                   /* has a channel label */
} MetricDef;

extern const MetricDef metric_defs[METRIC_COUNT];

/* A histogram with fixed upper bounds (base units, ascending), updated from
 * any thread. */
typedef struct Histogram {
    const double *bounds;
    int nbounds;                       /* <= METRIC_BUCKETS_MAX */
    _Atomic uint64_t buckets[METRIC_BUCKETS_MAX + 1];   /* per bucket, not cumulative; last: +Inf */
    _Atomic uint64_t count;
    _Atomic int64_t sum_ns;            /* the sum, in 1e-9 units */
} Histogram;

/* Bounds shared by the latency histograms, in seconds. */
extern const double metric_latency_bounds[];
extern const int metric_latency_nbounds;

void histogram_init(Histogram *h, const double *bounds, int nbounds);
void histogram_observe(Histogram *h, double value);

/* One sample of a metric, as a stage or a channel gives it. */
typedef struct MetricSample {
    MetricId id;
    /* values for metric_defs[id].labels, in that order */
    const char *labels[METRIC_LABELS_MAX];
    double value;                      /* counters and gauges */
    const Histogram *histogram;        /* METRIC_HISTOGRAM */
} MetricSample;

typedef void (*MetricVisit)(void *opaque, const MetricSample *s);

/* ---- events ----------------------------------------------------------- */

#define EVENT_RING 4096
#define EVENT_JSON_MAX 4096

/* The names of events, written once. */
#define EVENT_PROGRAM_START "program_start"
#define EVENT_PROGRAM_END "program_end"
#define EVENT_FAILOVER "failover"
#define EVENT_RECOVERED "recovered"
#define EVENT_SLATE_ON "slate_on"
#define EVENT_SLATE_OFF "slate_off"
#define EVENT_API "api"
#define EVENT_PUSH_FAILING "push_failing"
#define EVENT_PUSH_RECOVERED "push_recovered"
#define EVENT_LATE "late"
#define EVENT_RELOAD "reload"
#define EVENT_ASRUN "asrun"
#define EVENT_BREAK_START "break_start"
#define EVENT_BREAK_END "break_end"
#define EVENT_CHANNEL_UP "channel_up"
#define EVENT_CHANNEL_DOWN "channel_down"
#define EVENT_LEADER "leader"
#define EVENT_STANDBY "standby"

/* Emits one event. fields: more members of the object as a JSON fragment
 * that starts with a comma (",\"title\":\"News\""), or NULL. Thread safe;
 * never blocks on a reader. */
void event_emit(const char *channel, const char *event, const char *fields);

/* Appends ,"key":"value" (value escaped) or ,"key":number to a fields
 * fragment. */
int event_field_str(Buf *fields, const char *key, const char *value);
int event_field_int(Buf *fields, const char *key, int64_t value);
/* A duration in seconds, to the millisecond (%.3f: 6 significant digits
 * would round a long program), as every record and event gives them. */
int event_field_seconds(Buf *fields, const char *key, double seconds);

/* The sequence number the next event will get (the first is 1). */
int64_t event_next_seq(void);

/* Copies the event with sequence number *seq into out (NUL-terminated, at
 * most EVENT_JSON_MAX bytes) and advances *seq, waiting until deadline_us
 * (clock_monotonic_us) for it to happen. An event that left the ring is
 * skipped: *seq moves to the oldest kept. Returns 1 with an event, 0 at
 * the deadline, or AVERROR_EOF once events_shutdown() was called. */
int event_read(int64_t *seq, char *out, int64_t deadline_us);

/* A subscriber gets every event after it subscribed, on the emitting
 * thread: it must only copy it. Returns an id for event_unsubscribe. */
int event_subscribe(void (*fn)(void *opaque, const char *json), void *opaque);
void event_unsubscribe(int id);

/* Wakes every reader with AVERROR_EOF (at exit). */
void events_shutdown(void);

#endif
