/* Logging: one line per message, plain text or JSON lines, with a status line
 * (the transcode progress) kept below the log on a terminal. */
#include "common.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum LogLevel log_max = LOG_NOTICE;
static int log_json;
static char status_line[512];

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };

void log_setup(enum LogLevel max_level, int json)
{
    log_max = max_level;
    log_json = json;
}

int log_enabled(enum LogLevel level)
{
    return level <= log_max;
}

/* The members every JSON line starts with; the caller closes the object. */
static void write_json_head(enum LogLevel level, const char *channel, const char *stage, const char *msg)
{
    char when[40];

    clock_format_iso(clock_wall_us(), when, sizeof(when));
    fprintf(stdout, "{\"time\":\"%s\",\"level\":\"%s\",\"channel\":", when, level_names[level]);
    json_write_string(stdout, channel ? channel : "");
    fputs(",\"stage\":", stdout);
    json_write_string(stdout, stage ? stage : "");
    fputs(",\"msg\":", stdout);
    json_write_string(stdout, msg);
}

void log_vmsg(enum LogLevel level, const char *channel, const char *stage,
              const char *fmt, va_list ap)
{
    char msg[2048];
    size_t len;

    if (!log_enabled(level))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = 0;

    pthread_mutex_lock(&log_lock);
    if (log_json) {
        write_json_head(level, channel, stage, msg);
        fputs("}\n", stdout);
        fflush(stdout);
    } else {
        const char *prefix = level == LOG_ERROR ? "error: " : level == LOG_WARN ? "warning: " : "";
        if (status_line[0])
            fputs("\r\033[K", stderr);
        if (channel && channel[0])
            fprintf(stderr, "onair[%s/%s] %s%s\n", channel, stage ? stage : "", prefix, msg);
        else
            fprintf(stderr, "onair[%s] %s%s\n", stage ? stage : "", prefix, msg);
        if (status_line[0])
            fputs(status_line, stderr);
        fflush(stderr);
    }
    pthread_mutex_unlock(&log_lock);
}

void log_msg(enum LogLevel level, const char *channel, const char *stage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, channel, stage, fmt, ap);
    va_end(ap);
}

void log_event(const char *channel, const char *event, const char *fields)
{
    if (!log_enabled(log_json ? LOG_NOTICE : LOG_INFO))
        return;
    pthread_mutex_lock(&log_lock);
    if (log_json) {
        write_json_head(LOG_NOTICE, channel, "events", event);
        fprintf(stdout, ",\"event\":");
        json_write_string(stdout, event);
        fprintf(stdout, "%s}\n", fields ? fields : "");
        fflush(stdout);
        pthread_mutex_unlock(&log_lock);
        return;
    }
    pthread_mutex_unlock(&log_lock);
    if (fields && fields[0] == ',')
        log_msg(LOG_INFO, channel, "events", "%s {%s}", event, fields + 1);
    else
        log_msg(LOG_INFO, channel, "events", "%s", event);
}

void log_status(const char *line)
{
    pthread_mutex_lock(&log_lock);
    if (line) {
        snprintf(status_line, sizeof(status_line), "%s", line);
        fprintf(stderr, "\r\033[K%s", status_line);
    } else if (status_line[0]) {
        status_line[0] = 0;
        fputs("\r\033[K", stderr);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

static int libav_level = AV_LOG_ERROR;

static void libav_callback(void *avcl, int level, const char *fmt, va_list ap)
{
    enum LogLevel ours;
    char line[1024];
    const char *item = NULL;
    AVClass *cls = avcl ? *(AVClass **)avcl : NULL;

    if (level > libav_level)
        return;
    ours = level <= AV_LOG_ERROR ? LOG_WARN : level <= AV_LOG_WARNING ? LOG_INFO : LOG_DEBUG;
    if (!log_enabled(ours))
        return;
    if (cls) {
        item = cls->item_name(avcl);
        if (!item || !strcmp(item, "NULL"))
            item = cls->class_name;
    }
    vsnprintf(line, sizeof(line), fmt, ap);
    if (!line[0] || !strcmp(line, "\n"))
        return;
    log_msg(ours, "", item ? item : "libav", "%s", line);
}

void log_capture_libav(int level)
{
    libav_level = level;
    av_log_set_level(level);
    av_log_set_callback(libav_callback);
}
