/*
 * Where the files onair serves (the player page, the status page, hls.js)
 * are at run time. An installed onair finds them beside itself, at
 * <bindir>/ONAIR_WEB_FROM_BIN (<prefix>/share/onair/web), found from
 * /proc/self/exe so that a copied or DESTDIR install serves its own copy;
 * an onair run from its build finds no such folder and serves the source
 * tree's web/ (ONAIR_WEB_ROOT), so a build needs no `meson install`. The
 * installed copy comes first: a binary installed from a tree that is later
 * edited or removed keeps serving what was installed with it.
 */
#include "common.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* both from meson.build (web_root_c_args) */
#if !defined(ONAIR_WEB_ROOT) || !defined(ONAIR_WEB_FROM_BIN)
#error "ONAIR_WEB_ROOT and ONAIR_WEB_FROM_BIN come from meson.build"
#endif

/* What marks a folder as a copy of web/: the status page, which every
 * install carries (the player page and hls.js come with it). */
#define WEB_ROOT_MARK "status.html"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char installed[PATH_MAX];
static const char *chosen = ONAIR_WEB_ROOT;

static void resolve(void)
{
    char exe[PATH_MAX], mark[PATH_MAX + 32];
    char *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    struct stat st;

    if (n <= 0)
        return;
    exe[n] = 0;
    if (!(slash = strrchr(exe, '/')))
        return;
    *slash = 0;
    if (ONAIR_WEB_FROM_BIN[0] == '/')
        snprintf(installed, sizeof(installed), "%s", ONAIR_WEB_FROM_BIN);
    else if (path_join(installed, sizeof(installed), exe, ONAIR_WEB_FROM_BIN) < 0)
        return;
    if (path_join(mark, sizeof(mark), installed, WEB_ROOT_MARK) < 0 || stat(mark, &st) < 0 ||
        !S_ISREG(st.st_mode))
        return;
    chosen = installed;
}

const char *web_root_default(void)
{
    pthread_once(&once, resolve);
    return chosen;
}
