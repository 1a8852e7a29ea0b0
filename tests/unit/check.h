/* Minimal assertions for the unit tests: count failures, print where. */
#ifndef ONAIR_TEST_CHECK_H
#define ONAIR_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

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

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)

#endif
