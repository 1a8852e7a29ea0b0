/*
 * redundancy/ inside: etcd's v3 JSON gateway (etcd.c) and the small JSON
 * reader its answers need (json.c).
 */
#ifndef ONAIR_REDUNDANCY_INTERNAL_H
#define ONAIR_REDUNDANCY_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "redundancy.h"

/* ---- JSON (json.c): a tree of what etcd answers ------------------------- */

enum JvType { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

typedef struct Jv {
    enum JvType type;
    char *text;                       /* a string unescaped, a number as written */
    char *key;                        /* the member's name, in an object */
    struct Jv *child, *next;          /* an array's or object's first element; the next one */
} Jv;

/* Parses data[0..len) (RFC 8259, nesting up to 32 deep) into *out (jv_free).
 * AVERROR(EINVAL) when it is no JSON. */
int jv_parse(const char *data, size_t len, Jv **out);
void jv_free(Jv **v);
/* The member key of object o; NULL when o is none or has no such member. */
const Jv *jv_get(const Jv *o, const char *key);
/* A string's or a number's text; NULL for anything else (or NULL). */
const char *jv_text(const Jv *v);

/* ---- etcd (etcd.c) ------------------------------------------------------ */

typedef struct Etcd Etcd;

/* A client of the cluster at urls (copied); each call tries the URL that
 * answered last, then the others. timeout_us bounds each request. */
int etcd_new(Etcd **e, const char *const *urls, int n, int64_t timeout_us);
void etcd_free(Etcd **e);

/* A lease of ttl_s seconds: its id. */
int etcd_grant(Etcd *e, int64_t ttl_s, int64_t *id, char *err, size_t size);
/* Renews lease id: *ttl_s the seconds it has now; 0 when etcd no longer
 * knows it (expired or revoked). */
int etcd_keepalive(Etcd *e, int64_t id, int64_t *ttl_s, char *err, size_t size);
int etcd_revoke(Etcd *e, int64_t id, char *err, size_t size);

/* What etcd holds at a key. */
typedef struct EtcdValue {
    int found;
    char value[256];                  /* NUL-terminated; a longer value is cut */
    int64_t lease;                    /* 0: none */
} EtcdValue;

/* The text at key (malloc'd; NULL: no such key) and its mod revision (0: none). */
int etcd_get_text(Etcd *e, const char *key, char **value, int64_t *revision, char *err, size_t size);
/* key = value where key's mod revision is still `expect` (0: there is no such
 * key): *written 1, *revision the new one; else *written 0. One transaction. */
int etcd_put_if(Etcd *e, const char *key, const char *value, int64_t expect, int *written, int64_t *revision,
                char *err, size_t size);
/* Creates key = value (under lease, 0: none) only where there is no such
 * key: *created 1; else 0 and *held what is there. One transaction. */
int etcd_create(Etcd *e, const char *key, const char *value, int64_t lease, int *created, EtcdValue *held,
                char *err, size_t size);

#endif
