/* Minimal assertions for the unit tests: count failures, print where. */
#ifndef ONAIR_TEST_CHECK_H
#define ONAIR_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static int check_failures;

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        check_failures++; \
    } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long va_ = (long long)(a), vb_ = (long long)(b); \
    if (va_ != vb_) { \
        fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
                #a, va_, #b, vb_); \
        check_failures++; \
    } \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
    const char *sa_ = (a), *sb_ = (b); \
    if (!sa_ || !sb_ || strcmp(sa_, sb_)) { \
        fprintf(stderr, "%s:%d: %s is\n---\n%s\n---\nexpected\n---\n%s\n---\n", __FILE__, __LINE__, \
                #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
        check_failures++; \
    } \
} while (0)

/* Writes root/rel (its folders made) as the packager publishes: whole, into
 * a temporary renamed into place. Exits when it cannot: a fixture missing
 * would fail every check after it for the wrong reason. */
static inline void test_write_file(const char *root, const char *rel, const void *data, size_t len)
{
    char path[1024], tmp[1100], *slash;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(tmp, sizeof(tmp), "%s", path);
    if ((slash = strrchr(tmp, '/'))) {
        *slash = 0;
        path_mkdirs(tmp);
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) || rename(tmp, path)) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)

#endif
