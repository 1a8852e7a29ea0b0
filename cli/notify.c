/*
 * The systemd notification protocol (sd_notify(3)), spoken without
 * libsystemd: one datagram of "KEY=VALUE" lines to the unix socket that
 * $NOTIFY_SOCKET names (a path, or an abstract name when it starts with
 * '@'). It is all a Type=notify unit needs, and it keeps onair free of a
 * dependency that a container or a non-systemd host would not have.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "common/common.h"

#define STAGE "notify"
/* A message is a few short lines; the protocol allows far more. */
#define NOTIFY_MESSAGE_MAX 1024

int notifier_open(Notifier *n)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    const char *wd = getenv("WATCHDOG_USEC"), *wd_pid = getenv("WATCHDOG_PID");
    struct sockaddr_un *a = &n->addr;
    size_t len;
    int ret = 0;

    memset(n, 0, sizeof(*n));
    n->fd = -1;
    /* the watchdog is ours unless WATCHDOG_PID names another process (a
     * wrapper that started onair) */
    if (wd && (!wd_pid || strtoll(wd_pid, NULL, 10) == (long long)getpid())) {
        char *end;
        long long us = strtoll(wd, &end, 10);
        if (!*end && us > 0)
            n->watchdog_us = us;
    }
    if (sock && sock[0]) {
        len = strlen(sock);
        if ((sock[0] != '/' && sock[0] != '@') || len >= sizeof(a->sun_path)) {
            log_msg(LOG_WARN, "", STAGE, "NOTIFY_SOCKET=%s: not a socket path or an @abstract name: "
                    "systemd is not told", sock);
            n->watchdog_us = 0;
            goto unset;
        }
        a->sun_family = AF_UNIX;
        memcpy(a->sun_path, sock, len);
        /* abstract: a leading NUL, and the name is exactly len bytes long */
        if (sock[0] == '@')
            a->sun_path[0] = 0;
        n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (sock[0] == '/'));
        if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
            ret = AVERROR(errno);
            log_msg(LOG_WARN, "", STAGE, "NOTIFY_SOCKET: %s: systemd is not told", ERRSTR(ret));
            n->watchdog_us = 0;
        }
    } else {
        /* nobody to ping */
        n->watchdog_us = 0;
    }
unset:
    /* what a process started from here would otherwise take as its own */
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return ret;
}

int notifier_send(Notifier *n, const char *fmt, ...)
{
    char msg[NOTIFY_MESSAGE_MAX];
    va_list ap;
    int len;

    if (!n || n->fd < 0)
        return 0;
    va_start(ap, fmt);
    len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (len < 0)
        return AVERROR(EINVAL);
    if ((size_t)len >= sizeof(msg))
        len = sizeof(msg) - 1;
    /* a manager that went away is never fatal to the channels; it is
     * logged once, not at every watchdog ping */
    if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
               n->addr_len) < 0) {
        int ret = AVERROR(errno);
        if (!n->warned) {
            log_msg(LOG_WARN, "", STAGE, "NOTIFY_SOCKET: %.*s: %s", (int)strcspn(msg, "\n"), msg,
                    ERRSTR(ret));
            n->warned = 1;
        }
        return ret;
    }
    return 0;
}

void notifier_close(Notifier *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
