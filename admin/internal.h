/*
 * admin/ inside: the request body parser (fuzzed: tests/fuzz/fuzz_admin_json.c)
 * and the Prometheus text writer, apart from the HTTP server that uses them.
 */
#ifndef ONAIR_ADMIN_INTERNAL_H
#define ONAIR_ADMIN_INTERNAL_H

#include <stddef.h>

#include "admin.h"

/* ---- request bodies (json.c) ------------------------------------------- */

/* What the API accepts as a body: one flat JSON object (RFC 8259) whose
 * values are strings, numbers, true, false or null. Nested objects and
 * arrays, duplicate keys, strings that are not UTF-8 or hold a NUL, and
 * anything after the object are refused. */
enum JsonType { JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL };

typedef struct JsonMember {
    char *key;                        /* UTF-8, no NUL inside; owned */
    enum JsonType type;
    char *str;                        /* JSON_STRING: the value, unescaped; owned */
    double num;                       /* JSON_NUMBER */
} JsonMember;

typedef struct JsonObject {
    JsonMember *members;              /* in the order written; owned */
    int count;
} JsonObject;

#define JSON_MEMBERS_MAX 32

/* Parses data[0..len) (no NUL needed); an empty or all-blank body is an
 * empty object. On error *out is empty, err says what and where ("at byte
 * N"), and the return is AVERROR(EINVAL) (or AVERROR(ENOMEM)). */
int json_object_parse(const char *data, size_t len, JsonObject *out, char *err, size_t size);
void json_object_clear(JsonObject *o);
/* The member named key, or NULL. */
const JsonMember *json_object_get(const JsonObject *o, const char *key);
/* The first member whose key is not in allowed (NULL-terminated), or NULL. */
const JsonMember *json_object_unknown(const JsonObject *o, const char *const *allowed);

/* ---- Prometheus text format (prom.c) ------------------------------------ */

typedef struct PromWriter PromWriter;

int prom_new(PromWriter **w);
/* A sample; channel NULL for a metric without a channel label. Labels are
 * copied. Samples of one metric with the same labels are added up
 * (counters and gauges; a histogram's buckets, sum and count). */
int prom_add(PromWriter *w, const char *channel, const MetricSample *s);
/* The process's own metrics (process_*), from /proc. */
int prom_add_process(PromWriter *w);
/* Every metric with samples, in metric_defs order: # HELP, # TYPE, then
 * its samples in the order added. */
int prom_render(const PromWriter *w, Buf *out);
void prom_free(PromWriter **w);

#endif
