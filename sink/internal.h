/*
 * Internal to sink/ (its interface is sink.h): what the server's files
 * share. serve.c answers requests; lowlatency.c the requests for what is
 * not there yet; watch.c tells it when files arrive.
 */
#ifndef ONAIR_SINK_INTERNAL_H
#define ONAIR_SINK_INTERNAL_H

#include <stdint.h>

#include "sink.h"

/* watch.c: files arriving in channels' folders (inotify), for the server */
typedef struct FolderWatch FolderWatch;
/* arrived(opaque, key, "720p/index.m3u8") from the watch's thread for each
 * file renamed into or written in a watched folder or a folder directly in
 * it; arrived(opaque, NULL, NULL) every tick_ms besides. */
int folder_watch_new(FolderWatch **w, int tick_ms,
                     void (*arrived)(void *opaque, const char *key, const char *path), void *opaque);
/* Watches dir (and its sub-folders) under key, replacing what key had. A
 * folder that is not there yet is watched once it appears. */
int folder_watch_add(FolderWatch *w, const char *key, const char *dir);
void folder_watch_remove(FolderWatch *w, const char *key);
void folder_watch_free(FolderWatch **w);

/* serve.c: a channel's or the web root's file, opened as the server does.
 * Opens root/parts[0]/.../parts[n-1], a regular file, for reading; no part
 * below root may be a link (one leading out of it is not followed). */
struct stat;
int serve_open_beneath(const char *root, const char *const *parts, int n, int *fd, struct stat *st);
/* Appends the whole file to out; AVERROR(EFBIG) past max bytes. */
int serve_read_beneath(const char *root, const char *const *parts, int n, Buf *out, size_t max);

/* lowlatency.c: the server's answers for what is not there yet (blocking
 * playlist reloads, hinted parts, CMAF segments streamed while cut), on
 * suspended connections woken by a FolderWatch. */
struct MHD_Connection;
struct MHD_Response;
typedef struct LowLatency LowLatency;

/* Per request, zeroed when it starts; kept across its suspensions. */
typedef struct LlWait {
    int64_t deadline_us;              /* 0: has not waited */
} LlWait;

enum LlAction {
    LL_SERVE_FILE,                    /* not low latency's: the file as usual */
    LL_SUSPENDED,                     /* the connection waits; nothing to queue */
    LL_RESPOND,                       /* queue response with status */
};

enum LlCache {
    LL_CACHE_PLAYLIST,                /* as a playlist */
    LL_CACHE_BLOCKED,                 /* a blocking reload's: max-age=max_age_s */
    LL_CACHE_MEDIA,                   /* as a segment (immutable) */
    LL_CACHE_ERROR,                   /* not stored */
};

typedef struct LlAnswer {
    enum LlAction action;
    unsigned status;
    struct MHD_Response *response;    /* LL_RESPOND; the caller queues and destroys it */
    enum LlCache cache;
    int64_t max_age_s;
} LlAnswer;

int lowlatency_new(LowLatency **ll);
/* Serves channel key from dir: its folders are watched. */
int lowlatency_watch(LowLatency *ll, const char *key, const char *dir);
void lowlatency_unwatch(LowLatency *ll, const char *key);
/* What to answer for rel ("360p/index.m3u8") of channel key in channel_dir,
 * from the request's query (_HLS_msn, _HLS_part, _HLS_skip). An AVERROR
 * when a response cannot be made. */
int lowlatency_answer(LowLatency *ll, struct MHD_Connection *c, LlWait *wait, const char *key,
                      const char *channel_dir, const char *rel, LlAnswer *a);
/* Resumes every waiting connection and suspends none after: before the
 * daemon stops. */
void lowlatency_close(LowLatency *ll);
void lowlatency_free(LowLatency **ll);

#endif
