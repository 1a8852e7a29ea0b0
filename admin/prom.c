/* The Prometheus text exposition format, version 0.0.4: what /metrics
 * answers. Samples are gathered first and written by metric afterwards,
 * because each metric's # HELP and # TYPE must come once, before all of its
 * samples, whichever channel or server gave them. */
#include "internal.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/error.h>

typedef struct PromSample {
    int metric;                       /* a MetricId, or METRIC_COUNT + a process metric */
    char *labels;                     /* name="value",... escaped, without braces; owned */
    double value;
    int nbuckets;                     /* histograms: bounds, then +Inf */
    const double *bounds;
    uint64_t buckets[METRIC_BUCKETS_MAX + 1];   /* per bucket, as Histogram keeps them */
    double sum;
} PromSample;

struct PromWriter {
    PromSample *samples;
    int count, cap;
};

/* The process's own metrics, as Prometheus' client libraries name and
 * describe them (their "process collector"), so that the dashboards and
 * alerts written for any exporter work here too. They belong to no
 * channel and to no stage, which is why they are not rows of metric_defs. */
enum {
    PROCESS_CPU,
    PROCESS_RSS,
    PROCESS_VSIZE,
    PROCESS_OPEN_FDS,
    PROCESS_MAX_FDS,
    PROCESS_START,
    PROCESS_COUNT
};

static const MetricDef process_defs[PROCESS_COUNT] = {
    [PROCESS_CPU] = { "process_cpu_seconds_total", METRIC_COUNTER,
        "Total user and system CPU time spent in seconds.", { NULL }, 0 },
    [PROCESS_RSS] = { "process_resident_memory_bytes", METRIC_GAUGE,
        "Resident memory size in bytes.", { NULL }, 0 },
    [PROCESS_VSIZE] = { "process_virtual_memory_bytes", METRIC_GAUGE,
        "Virtual memory size in bytes.", { NULL }, 0 },
    [PROCESS_OPEN_FDS] = { "process_open_fds", METRIC_GAUGE,
        "Number of open file descriptors.", { NULL }, 0 },
    [PROCESS_MAX_FDS] = { "process_max_fds", METRIC_GAUGE,
        "Maximum number of open file descriptors.", { NULL }, 0 },
    [PROCESS_START] = { "process_start_time_seconds", METRIC_GAUGE,
        "Start time of the process since unix epoch in seconds.", { NULL }, 0 },
};

static const MetricDef *def_of(int metric)
{
    return metric < METRIC_COUNT ? &metric_defs[metric] : &process_defs[metric - METRIC_COUNT];
}

int prom_new(PromWriter **w)
{
    *w = calloc(1, sizeof(**w));
    return *w ? 0 : AVERROR(ENOMEM);
}

void prom_free(PromWriter **pw)
{
    PromWriter *w = *pw;

    if (!w)
        return;
    for (int i = 0; i < w->count; i++)
        free(w->samples[i].labels);
    free(w->samples);
    free(w);
    *pw = NULL;
}

/* A label value: backslash, double quote and line feed escaped (the text
 * format's three). */
static int put_label(Buf *b, const char *name, const char *value)
{
    int ret;

    if (b->len && (ret = buf_append(b, ",", 1)) < 0)
        return ret;
    if ((ret = buf_printf(b, "%s=\"", name)) < 0)
        return ret;
    for (const char *p = value ? value : ""; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        if ((ret = esc ? buf_append(b, esc, 2) : buf_append(b, p, 1)) < 0)
            return ret;
    }
    return buf_append(b, "\"", 1);
}

static int add(PromWriter *w, int metric, const char *channel, const char *const *labels,
               double value, const Histogram *h)
{
    const MetricDef *d = def_of(metric);
    Buf b = { 0 };
    PromSample *s;
    int ret = 0;

    if (d->per_channel && (ret = put_label(&b, "channel", channel)) < 0)
        goto end;
    for (int i = 0; i < METRIC_LABELS_MAX && d->labels[i]; i++)
        if ((ret = put_label(&b, d->labels[i], labels ? labels[i] : "")) < 0)
            goto end;
    if ((ret = buf_append(&b, "", 1)) < 0)
        goto end;
    /* the same series twice (two servers' counts of one code): one sum */
    for (int i = 0; i < w->count; i++) {
        s = &w->samples[i];
        if (s->metric != metric || strcmp(s->labels, (const char *)b.data))
            continue;
        s->value += value;
        if (h && s->bounds == h->bounds && s->nbuckets == h->nbounds + 1) {
            for (int k = 0; k < s->nbuckets; k++)
                s->buckets[k] += atomic_load(&h->buckets[k]);
            s->sum += (double)atomic_load(&h->sum_ns) / 1e9;
        }
        goto end;
    }
    if (w->count == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        PromSample *n = realloc(w->samples, (size_t)cap * sizeof(*n));
        if (!n) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        w->samples = n;
        w->cap = cap;
    }
    s = &w->samples[w->count++];
    memset(s, 0, sizeof(*s));
    s->metric = metric;
    s->labels = (char *)b.data;
    b.data = NULL;
    s->value = value;
    if (h) {
        s->bounds = h->bounds;
        s->nbuckets = h->nbounds + 1;
        for (int k = 0; k < s->nbuckets; k++)
            s->buckets[k] = atomic_load(&h->buckets[k]);
        s->sum = (double)atomic_load(&h->sum_ns) / 1e9;
    }
end:
    buf_free(&b);
    return ret;
}

int prom_add(PromWriter *w, const char *channel, const MetricSample *s)
{
    if (s->id < 0 || s->id >= METRIC_COUNT)
        return AVERROR(EINVAL);
    if (metric_defs[s->id].type == METRIC_HISTOGRAM && !s->histogram)
        return AVERROR(EINVAL);
    return add(w, s->id, channel, s->labels, s->value,
               metric_defs[s->id].type == METRIC_HISTOGRAM ? s->histogram : NULL);
}

/* ---- the process, from /proc ---- */

static int read_small_file(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "re");
    size_t n;

    if (!f)
        return -1;
    n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = 0;
    return 0;
}

static int add_process(PromWriter *w, int which, double v)
{
    return add(w, METRIC_COUNT + which, NULL, NULL, v, NULL);
}

int prom_add_process(PromWriter *w)
{
    char stat[1024], line[256];
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    DIR *d;
    FILE *f;
    int ret;

    /* /proc/self/stat: fields after the command's closing parenthesis
     * (which may itself hold spaces and parentheses) */
    if (tick > 0 && read_small_file("/proc/self/stat", stat, sizeof(stat)) == 0) {
        char *p = strrchr(stat, ')');
        unsigned long long utime, stime, start, vsize;
        long long rss;
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                        "%*d %*d %*d %llu %llu %lld", &utime, &stime, &start, &vsize, &rss) == 5) {
            double btime = -1;
            if ((ret = add_process(w, PROCESS_CPU, (double)(utime + stime) / (double)tick)) < 0 ||
                (ret = add_process(w, PROCESS_VSIZE, (double)vsize)) < 0 ||
                (ret = add_process(w, PROCESS_RSS, (double)rss * (double)page)) < 0)
                return ret;
            /* the start is in ticks since boot: boot time is /proc/stat's btime */
            if ((f = fopen("/proc/stat", "re"))) {
                while (fgets(line, sizeof(line), f))
                    if (!strncmp(line, "btime ", 6))
                        btime = strtod(line + 6, NULL);
                fclose(f);
            }
            if (btime > 0 && (ret = add_process(w, PROCESS_START, btime + (double)start / (double)tick)) < 0)
                return ret;
        }
    }
    if ((d = opendir("/proc/self/fd"))) {
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d)))
            n += e->d_name[0] != '.';
        closedir(d);
        /* not counting the one that read the folder */
        if ((ret = add_process(w, PROCESS_OPEN_FDS, n - 1)) < 0)
            return ret;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (ret = add_process(w, PROCESS_MAX_FDS, (double)rl.rlim_cur)) < 0)
        return ret;
    return 0;
}

/* ---- writing ---- */

/* The shortest of %.15g, %.16g and %.17g that reads back as v: 0.1 reads
 * "0.1", not "0.10000000000000001", and nothing is rounded away. A
 * histogram's le must read as the same double in every scrape, or
 * Prometheus sees a new series. */
static void shortest_double(char *text, size_t size, double v)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, size, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            return;
    }
}

/* A value as the format writes floats: integers exactly, NaN and infinities
 * by their names. */
static int put_value(Buf *b, double v)
{
    if (isnan(v))
        return buf_printf(b, "NaN");
    if (isinf(v))
        return buf_printf(b, v > 0 ? "+Inf" : "-Inf");
    char text[32];

    if (v == floor(v) && fabs(v) < 1e15)
        return buf_printf(b, "%.0f", v);
    shortest_double(text, sizeof(text), v);
    return buf_printf(b, "%s", text);
}

/* # HELP text: backslash and line feed escaped. */
static int put_help(Buf *b, const char *name, const char *help)
{
    int ret = buf_printf(b, "# HELP %s ", name);

    for (const char *p = help; ret >= 0 && *p; p++)
        ret = *p == '\\' ? buf_append(b, "\\\\", 2) : *p == '\n' ? buf_append(b, "\\n", 2)
                                                              : buf_append(b, p, 1);
    return ret < 0 ? ret : buf_append(b, "\n", 1);
}

static int put_series(Buf *b, const char *name, const char *suffix, const char *labels,
                      const char *extra, double v)
{
    int ret;

    if (labels[0] || extra)
        ret = buf_printf(b, "%s%s{%s%s%s} ", name, suffix, labels, labels[0] && extra ? "," : "",
                         extra ? extra : "");
    else
        ret = buf_printf(b, "%s%s ", name, suffix);
    if (ret < 0 || (ret = put_value(b, v)) < 0)
        return ret;
    return buf_append(b, "\n", 1);
}

static int put_sample(Buf *b, const MetricDef *d, const PromSample *s)
{
    uint64_t total = 0;
    int ret;

    if (d->type != METRIC_HISTOGRAM)
        return put_series(b, d->name, "", s->labels, NULL, s->value);
    for (int k = 0; k < s->nbuckets; k++) {
        char bound[32], le[64];
        total += s->buckets[k];
        if (k < s->nbuckets - 1)
            shortest_double(bound, sizeof(bound), s->bounds[k]);
        else
            snprintf(bound, sizeof(bound), "+Inf");
        snprintf(le, sizeof(le), "le=\"%s\"", bound);
        if ((ret = put_series(b, d->name, "_bucket", s->labels, le, (double)total)) < 0)
            return ret;
    }
    /* _count is the +Inf bucket, read once, so the two always agree */
    if ((ret = put_series(b, d->name, "_sum", s->labels, NULL, s->sum)) < 0)
        return ret;
    return put_series(b, d->name, "_count", s->labels, NULL, (double)total);
}

int prom_render(const PromWriter *w, Buf *out)
{
    static const char *const types[] = { [METRIC_COUNTER] = "counter", [METRIC_GAUGE] = "gauge",
                                         [METRIC_HISTOGRAM] = "histogram" };
    int ret;

    for (int m = 0; m < METRIC_COUNT + PROCESS_COUNT; m++) {
        const MetricDef *d = def_of(m);
        int first = 1;
        for (int i = 0; i < w->count; i++) {
            if (w->samples[i].metric != m)
                continue;
            if (first && ((ret = put_help(out, d->name, d->help)) < 0 ||
                          (ret = buf_printf(out, "# TYPE %s %s\n", d->name, types[d->type])) < 0))
                return ret;
            first = 0;
            if ((ret = put_sample(out, d, &w->samples[i])) < 0)
                return ret;
        }
    }
    return 0;
}
