/* Small helpers: error strings, paths, cores, byte buffers, backoff, presets. */
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/error.h>

const char *err_str(int err, char *buf, size_t size)
{
    if (av_strerror(err, buf, size) < 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

int path_mkdirs(const char *path)
{
    char tmp[4096];
    size_t len = strlen(path);
    struct stat st;

    if (len == 0 || len >= sizeof(tmp))
        return AVERROR(ENAMETOOLONG);
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return AVERROR(errno);
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return AVERROR(errno);
    if (stat(tmp, &st) < 0)
        return AVERROR(errno);
    if (!S_ISDIR(st.st_mode))
        return AVERROR(ENOTDIR);
    return 0;
}

int path_join(char *out, size_t size, const char *dir, const char *name)
{
    int n;

    if (!dir || !dir[0])
        n = snprintf(out, size, "%s", name);
    else
        n = snprintf(out, size, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return n < 0 || (size_t)n >= size ? AVERROR(ENAMETOOLONG) : 0;
}

int cpu_count(void)
{
    cpu_set_t set;
    long n;

    /* the CPUs this process may run on (taskset, a container's cpuset),
     * not all the host has */
    if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

void thread_set_name(const char *fmt, ...)
{
    char name[16];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    pthread_setname_np(pthread_self(), name);
}

int buf_append(Buf *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;
        while (cap < b->len + len + 1)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p)
            return AVERROR(ENOMEM);
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;   /* text stays terminated */
    return 0;
}

int buf_printf(Buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n, ret;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return AVERROR(EINVAL);
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    {
        char *big = malloc((size_t)n + 1);
        if (!big)
            return AVERROR(ENOMEM);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        ret = buf_append(b, big, (size_t)n);
        free(big);
    }
    return ret;
}

void buf_reset(Buf *b)
{
    buf_truncate(b, 0);
}

void buf_truncate(Buf *b, size_t len)
{
    if (len > b->len)
        return;
    b->len = len;
    if (b->data)
        b->data[len] = 0;
}

void buf_free(Buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int64_t backoff_delay(int64_t first, int64_t cap, int failures)
{
    int shift = failures > 1 ? failures - 1 : 0;

    /* first << shift, without passing cap or overflowing */
    if (first <= 0 || shift >= 62 || first > cap >> shift)
        return cap;
    return first << shift;
}

int choice_index(const char *const *names, const char *s)
{
    for (int i = 0; s && names[i]; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

void choice_list(const char *const *names, char *out, size_t size)
{
    size_t n = 0;

    if (!out || !size)
        return;
    out[0] = 0;
    for (int i = 0; names[i] && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", names[i]);
}

const char *const preset_names[PRESET_COUNT + 1] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "placebo", NULL,
};

int preset_index(const char *name)
{
    return choice_index(preset_names, name);
}

const char *const encoder_choice_names[] = { "auto", "x264", "nvenc", "vaapi", "qsv", NULL };
const char *const encoder_fallback_names[] = { "x264", "none", NULL };
