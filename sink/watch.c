/*
 * Folder watching (inotify), for the server's waiting requests: a blocking
 * playlist reload, a part named in a PRELOAD-HINT, a CMAF segment streamed
 * while it is cut. The server learns that a file has arrived from the
 * kernel, not from the channel, so it needs no link to whatever writes the
 * folder, and nothing polls.
 *
 * One thread reads the inotify descriptor and calls the owner for each file
 * that arrived (renamed in: the dir sink publishes by rename; or closed after
 * writing), and every tick so the owner can time out its waiters. A channel's
 * folder and the rendition folders directly inside it are watched; folders
 * made later are picked up as they appear, and a folder that does not exist
 * yet (a channel that has not started) is looked for again every tick.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <dirent.h>

#include <libavutil/error.h>

#define WATCH_KEY_MAX NAME_MAX_LEN   /* a key is a channel id */
#define WATCH_PATH_MAX 4096
#define WATCH_FILE_EVENTS (IN_MOVED_TO | IN_CLOSE_WRITE)
#define WATCH_DIR_EVENTS (WATCH_FILE_EVENTS | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

typedef struct WatchedDir {
    int wd;                           /* -1: not watched (yet) */
    char key[WATCH_KEY_MAX + 1];
    char sub[WATCH_PATH_MAX];         /* "" for the folder itself, "720p" inside it */
    int top;                          /* the folder that was asked for */
} WatchedDir;

struct FolderWatch {
    int fd;
    int wake[2];                      /* a byte here ends the thread */
    pthread_t thread;
    int started;
    int tick_ms;
    void (*arrived)(void *opaque, const char *key, const char *path);
    void *opaque;
    pthread_mutex_t lock;             /* dirs, and roots */
    WatchedDir *dirs;
    int ndirs, cap;
    struct { char key[WATCH_KEY_MAX + 1]; char *dir; } *roots;
    int nroots, roots_cap;
};

static WatchedDir *find_wd(FolderWatch *w, int wd)
{
    for (int i = 0; i < w->ndirs; i++)
        if (w->dirs[i].wd == wd)
            return &w->dirs[i];
    return NULL;
}

static const char *root_of(FolderWatch *w, const char *key)
{
    for (int i = 0; i < w->nroots; i++)
        if (!strcmp(w->roots[i].key, key))
            return w->roots[i].dir;
    return NULL;
}

/* Watches root/sub, once; 0 when the folder is not there (yet). */
static int add_dir(FolderWatch *w, const char *key, const char *sub, int top)
{
    char path[WATCH_PATH_MAX];
    const char *root = root_of(w, key);
    WatchedDir *d;
    int wd;

    if (!root || snprintf(path, sizeof(path), "%s%s%s", root, sub[0] ? "/" : "", sub) >= (int)sizeof(path))
        return AVERROR(ENAMETOOLONG);
    if ((wd = inotify_add_watch(w->fd, path, WATCH_DIR_EVENTS)) < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : AVERROR(errno);
    if ((d = find_wd(w, wd)))         /* the same folder again: already known */
        return 1;
    if (w->ndirs == w->cap) {
        int cap = w->cap ? w->cap * 2 : 16;
        WatchedDir *grown = realloc(w->dirs, sizeof(*grown) * (size_t)cap);
        if (!grown) {
            inotify_rm_watch(w->fd, wd);
            return AVERROR(ENOMEM);
        }
        w->dirs = grown;
        w->cap = cap;
    }
    d = &w->dirs[w->ndirs++];
    d->wd = wd;
    d->top = top;
    snprintf(d->key, sizeof(d->key), "%s", key);
    snprintf(d->sub, sizeof(d->sub), "%s", sub);
    return 1;
}

/* The rendition folders already inside a channel's folder. */
static void add_subdirs(FolderWatch *w, const char *key)
{
    const char *root = root_of(w, key);
    DIR *dir = root ? opendir(root) : NULL;
    struct dirent *e;

    if (!dir)
        return;
    while ((e = readdir(dir)))
        if (e->d_type == DT_DIR && e->d_name[0] != '.')
            add_dir(w, key, e->d_name, 0);
    closedir(dir);
}

/* A channel's folder not watched yet: look for it (once a tick). */
static void find_missing(FolderWatch *w)
{
    for (int i = 0; i < w->nroots; i++) {
        int watched = 0;
        for (int j = 0; j < w->ndirs && !watched; j++)
            watched = w->dirs[j].top && !strcmp(w->dirs[j].key, w->roots[i].key);
        if (!watched && add_dir(w, w->roots[i].key, "", 1) > 0)
            add_subdirs(w, w->roots[i].key);
    }
}

static void forget_wd(FolderWatch *w, int wd)
{
    for (int i = 0; i < w->ndirs; i++)
        if (w->dirs[i].wd == wd) {
            w->dirs[i] = w->dirs[--w->ndirs];
            return;
        }
}

static void handle_event(FolderWatch *w, const struct inotify_event *ev)
{
    char key[WATCH_KEY_MAX + 1], path[WATCH_PATH_MAX];
    WatchedDir *d;
    int file = 0;

    pthread_mutex_lock(&w->lock);
    d = find_wd(w, ev->wd);
    if (!d) {
        pthread_mutex_unlock(&w->lock);
        return;
    }
    if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        /* gone (a channel's folder replaced): found again at a tick */
        if (ev->mask & IN_IGNORED)
            forget_wd(w, ev->wd);
        else
            inotify_rm_watch(w->fd, ev->wd);
    } else if (ev->len && (ev->mask & IN_ISDIR)) {
        if (d->top && ev->name[0] != '.' && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
            snprintf(key, sizeof(key), "%s", d->key);
            add_dir(w, key, ev->name, 0);
        }
    } else if (ev->len && (ev->mask & WATCH_FILE_EVENTS)) {
        snprintf(key, sizeof(key), "%s", d->key);
        file = snprintf(path, sizeof(path), "%s%s%s", d->sub, d->sub[0] ? "/" : "", ev->name) <
               (int)sizeof(path);
    }
    pthread_mutex_unlock(&w->lock);
    if (file)
        w->arrived(w->opaque, key, path);
}

static void *watch_thread(void *arg)
{
    FolderWatch *w = arg;
    /* aligned as inotify_event wants */
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

    thread_set_name("watch");
    for (;;) {
        struct pollfd fds[2] = { { w->fd, POLLIN, 0 }, { w->wake[0], POLLIN, 0 } };
        int n = poll(fds, 2, w->tick_ms);

        if (n < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, "", "serve", "watching the channels' folders failed: %s", strerror(errno));
            return NULL;
        }
        if (fds[1].revents)
            return NULL;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            ssize_t len = read(w->fd, buf, sizeof(buf));
            for (ssize_t at = 0; len > 0 && at < len;) {
                const struct inotify_event *ev = (const struct inotify_event *)(buf + at);
                handle_event(w, ev);
                at += (ssize_t)sizeof(*ev) + ev->len;
            }
        }
        pthread_mutex_lock(&w->lock);
        find_missing(w);
        pthread_mutex_unlock(&w->lock);
        w->arrived(w->opaque, NULL, NULL);
    }
}

int folder_watch_new(FolderWatch **wp, int tick_ms,
                     void (*arrived)(void *opaque, const char *key, const char *path), void *opaque)
{
    FolderWatch *w;
    int ret;

    *wp = NULL;
    if (!(w = calloc(1, sizeof(*w))))
        return AVERROR(ENOMEM);
    w->fd = w->wake[0] = w->wake[1] = -1;
    w->tick_ms = tick_ms;
    w->arrived = arrived;
    w->opaque = opaque;
    pthread_mutex_init(&w->lock, NULL);
    if ((w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 || pipe2(w->wake, O_CLOEXEC) < 0) {
        ret = AVERROR(errno);
        log_msg(LOG_ERROR, "", "serve", "cannot watch folders (inotify): %s", strerror(errno));
        goto fail;
    }
    if ((ret = pthread_create(&w->thread, NULL, watch_thread, w))) {
        ret = AVERROR(ret);
        goto fail;
    }
    w->started = 1;
    *wp = w;
    return 0;
fail:
    folder_watch_free(&w);
    return ret;
}

int folder_watch_add(FolderWatch *w, const char *key, const char *dir)
{
    char *copy;
    int ret = 0;

    if (strlen(key) > WATCH_KEY_MAX)
        return AVERROR(EINVAL);
    if (!(copy = strdup(dir)))
        return AVERROR(ENOMEM);
    folder_watch_remove(w, key);
    pthread_mutex_lock(&w->lock);
    if (w->nroots == w->roots_cap) {
        int cap = w->roots_cap ? w->roots_cap * 2 : 8;
        void *grown = realloc(w->roots, sizeof(*w->roots) * (size_t)cap);
        if (!grown) {
            ret = AVERROR(ENOMEM);
            goto unlock;
        }
        w->roots = grown;
        w->roots_cap = cap;
    }
    snprintf(w->roots[w->nroots].key, sizeof(w->roots[w->nroots].key), "%s", key);
    w->roots[w->nroots++].dir = copy;
    copy = NULL;
    find_missing(w);
unlock:
    pthread_mutex_unlock(&w->lock);
    free(copy);
    return ret;
}

void folder_watch_remove(FolderWatch *w, const char *key)
{
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->ndirs;) {
        if (!strcmp(w->dirs[i].key, key)) {
            inotify_rm_watch(w->fd, w->dirs[i].wd);
            w->dirs[i] = w->dirs[--w->ndirs];
        } else {
            i++;
        }
    }
    for (int i = 0; i < w->nroots; i++)
        if (!strcmp(w->roots[i].key, key)) {
            free(w->roots[i].dir);
            w->roots[i] = w->roots[--w->nroots];
            break;
        }
    pthread_mutex_unlock(&w->lock);
}

void folder_watch_free(FolderWatch **wp)
{
    FolderWatch *w = *wp;

    if (!w)
        return;
    if (w->started) {
        ssize_t n;
        do
            n = write(w->wake[1], "", 1);
        while (n < 0 && errno == EINTR);
        pthread_join(w->thread, NULL);
    }
    for (int i = 0; i < w->nroots; i++)
        free(w->roots[i].dir);
    free(w->roots);
    free(w->dirs);
    if (w->fd >= 0)
        close(w->fd);
    if (w->wake[0] >= 0) {
        close(w->wake[0]);
        close(w->wake[1]);
    }
    pthread_mutex_destroy(&w->lock);
    free(w);
    *wp = NULL;
}
