/* The directory sink: every file is written under a temporary name beside
 * its final one and renamed into place, so a reader (a player polling a
 * playlist, a web server) never sees half a file. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/error.h>

typedef struct DirSink {
    char root[4096];
} DirSink;

static int dir_open(void **priv, const char *target)
{
    DirSink *d;
    int ret = path_mkdirs(target);

    *priv = NULL;
    if (ret < 0)
        return ret;
    d = calloc(1, sizeof(*d));
    if (!d)
        return AVERROR(ENOMEM);
    if (snprintf(d->root, sizeof(d->root), "%s", target) >= (int)sizeof(d->root)) {
        free(d);
        return AVERROR(ENAMETOOLONG);
    }
    *priv = d;
    return 0;
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
    while (size) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return AVERROR(errno);
        }
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

static int dir_write(void *priv, const char *path, const uint8_t *data, size_t size)
{
    DirSink *d = priv;
    char full[4096], tmp[4200], *slash;
    int fd, ret;

    if ((ret = path_join(full, sizeof(full), d->root, path)) < 0)
        return ret;
    snprintf(tmp, sizeof(tmp), "%s" OUTPUT_TMP_SUFFIX, full);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        /* first file of a rendition: its folder is made on demand */
        slash = strrchr(full, '/');
        if (slash) {
            *slash = 0;
            ret = path_mkdirs(full);
            *slash = '/';
            if (ret < 0)
                return ret;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd < 0)
        return AVERROR(errno);
    ret = write_all(fd, data, size);
    if (close(fd) < 0 && ret >= 0)
        ret = AVERROR(errno);
    if (ret >= 0 && rename(tmp, full) < 0)
        ret = AVERROR(errno);
    if (ret < 0)
        unlink(tmp);
    return ret;
}

static int dir_remove(void *priv, const char *path)
{
    DirSink *d = priv;
    char full[4096];
    int ret = path_join(full, sizeof(full), d->root, path);

    if (ret < 0)
        return ret;
    if (unlink(full) < 0 && errno != ENOENT)
        return AVERROR(errno);
    return 0;
}

static void dir_close(void **priv)
{
    free(*priv);
    *priv = NULL;
}

const SinkKind sink_dir = {
    .name = "dir",
    .open = dir_open,
    .write = dir_write,
    .remove = dir_remove,
    .close = dir_close,
};
