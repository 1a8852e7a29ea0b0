/* etcd's v3 API through its JSON gateway (/v3/..., etcd 3.4+): keys and
 * values travel base64-encoded, 64-bit numbers as decimal strings, and a
 * member at its zero value is left out of an answer (no "succeeded" is
 * false, no "TTL" is 0). One libcurl handle, used by one thread at a time. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libavutil/base64.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "common/common.h"

/* An answer of etcd's is a few hundred bytes; more is no answer of etcd's. */
#define ANSWER_MAX (64 * 1024)
#define KEY_MAX 512

struct Etcd {
    char **urls;
    int n, current;
    CURL *curl;
    int64_t timeout_us;
};

int etcd_new(Etcd **out, const char *const *urls, int n, int64_t timeout_us)
{
    Etcd *e = calloc(1, sizeof(*e));

    *out = NULL;
    if (!e || !(e->urls = calloc((size_t)n, sizeof(*e->urls))) || !(e->curl = curl_easy_init())) {
        etcd_free(&e);
        return AVERROR(ENOMEM);
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(urls[i]);
        /* the gateway's paths start with "/v3/": a base without its own slash */
        if (!(e->urls[i] = strndup(urls[i], len && urls[i][len - 1] == '/' ? len - 1 : len))) {
            etcd_free(&e);
            return AVERROR(ENOMEM);
        }
        e->n++;
    }
    e->timeout_us = timeout_us;
    *out = e;
    return 0;
}

void etcd_free(Etcd **pe)
{
    Etcd *e = *pe;

    if (!e)
        return;
    for (int i = 0; i < e->n; i++)
        free(e->urls[i]);
    free(e->urls);
    if (e->curl)
        curl_easy_cleanup(e->curl);
    free(e);
    *pe = NULL;
}

static size_t on_data(char *data, size_t size, size_t n, void *opaque)
{
    Buf *b = opaque;

    if (b->len + size * n > ANSWER_MAX || buf_append(b, data, size * n) < 0)
        return 0;   /* ends the transfer: CURLE_WRITE_ERROR */
    return size * n;
}

/* POSTs body to path on one member after another, from the one that
 * answered last; *out the answer's JSON. An HTTP error is etcd's answer
 * (its message in err), not a reason to ask another member. */
static int call(Etcd *e, const char *path, const char *body, Jv **out, char *err, size_t size)
{
    int ret = AVERROR(EIO);

    *out = NULL;
    for (int tries = 0; tries < e->n; tries++, e->current = (e->current + 1) % e->n) {
        char url[2048];
        Buf answer = { 0 };
        long status = 0;
        CURLcode rc;

        snprintf(url, sizeof(url), "%s%s", e->urls[e->current], path);
        curl_easy_reset(e->curl);
        curl_easy_setopt(e->curl, CURLOPT_URL, url);
        curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)(e->timeout_us / 1000));
        curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(e->timeout_us / 1000));
        curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        rc = curl_easy_perform(e->curl);
        curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK) {
            /* the URL may carry credentials: the member by its index */
            snprintf(err, size, "etcd member %d of %d: %s", e->current + 1, e->n, curl_easy_strerror(rc));
            buf_free(&answer);
            ret = AVERROR(EIO);
            continue;
        }
        if (jv_parse(answer.data ? (const char *)answer.data : "", answer.len, out) < 0) {
            snprintf(err, size, "etcd member %d of %d answered %ld with no JSON", e->current + 1, e->n, status);
            ret = AVERROR(EPROTO);
        } else if (status != 200) {
            const char *msg = jv_text(jv_get(*out, "message"));
            if (!msg)
                msg = jv_text(jv_get(*out, "error"));
            snprintf(err, size, "etcd answered %ld: %s", status, msg ? msg : "(no message)");
            jv_free(out);
            ret = AVERROR(EPROTO);
        } else {
            ret = 0;
        }
        buf_free(&answer);
        return ret;
    }
    return ret;
}

static int64_t num(const Jv *v)
{
    const char *t = jv_text(v);
    return t ? strtoll(t, NULL, 10) : 0;
}

/* s as the gateway's base64, into out (NUL-terminated). */
static int b64(const char *s, char *out, size_t size)
{
    return av_base64_encode(out, (int)size, (const uint8_t *)s, (int)strlen(s)) ? 0 : AVERROR(EINVAL);
}

/* A kv of a range answer into v. */
static void read_kv(const Jv *kv, EtcdValue *v)
{
    const char *value = jv_text(jv_get(kv, "value"));
    int n = 0;

    memset(v, 0, sizeof(*v));
    if (!kv)
        return;
    v->found = 1;
    v->lease = num(jv_get(kv, "lease"));
    if (value && (n = av_base64_decode((uint8_t *)v->value, value, (int)sizeof(v->value) - 1)) < 0)
        n = 0;
    v->value[n] = 0;
}

/* The lease API's calls: one number in the body ({"TTL": "4"}, {"ID": "..."}). */
static int lease_call(Etcd *e, const char *path, const char *member, int64_t value, Jv **answer, char *err,
                      size_t size)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"%s\":\"%" PRId64 "\"}", member, value);
    return call(e, path, body, answer, err, size);
}

int etcd_grant(Etcd *e, int64_t ttl_s, int64_t *id, char *err, size_t size)
{
    Jv *a;
    int ret;

    if ((ret = lease_call(e, "/v3/lease/grant", "TTL", ttl_s, &a, err, size)) < 0)
        return ret;
    if ((*id = num(jv_get(a, "ID"))) <= 0) {
        const char *why = jv_text(jv_get(a, "error"));
        snprintf(err, size, "etcd granted no lease: %s", why ? why : "no ID");
        ret = AVERROR(EPROTO);
    }
    jv_free(&a);
    return ret;
}

int etcd_keepalive(Etcd *e, int64_t id, int64_t *ttl_s, char *err, size_t size)
{
    Jv *a;
    int ret;

    if ((ret = lease_call(e, "/v3/lease/keepalive", "ID", id, &a, err, size)) < 0)
        return ret;
    /* the answer of a stream: {"result": {...}}; no TTL: the lease is gone */
    *ttl_s = num(jv_get(jv_get(a, "result"), "TTL"));
    jv_free(&a);
    return 0;
}

int etcd_revoke(Etcd *e, int64_t id, char *err, size_t size)
{
    Jv *a;
    int ret;

    if ((ret = lease_call(e, "/v3/lease/revoke", "ID", id, &a, err, size)) >= 0)
        jv_free(&a);
    return ret;
}

/* s as the gateway's base64, allocated (av_free). */
static char *b64_alloc(const char *s)
{
    size_t len = strlen(s);
    char *out = av_malloc(AV_BASE64_SIZE(len));

    if (out && !av_base64_encode(out, (int)AV_BASE64_SIZE(len), (const uint8_t *)s, (int)len))
        av_freep(&out);
    return out;
}

int etcd_get_text(Etcd *e, const char *key, char **value, int64_t *revision, char *err, size_t size)
{
    char k[KEY_MAX], body[KEY_MAX + 32];
    const Jv *kvs, *kv;
    const char *text;
    Jv *a;
    int ret;

    *value = NULL;
    *revision = 0;
    if ((ret = b64(key, k, sizeof(k))) < 0)
        return ret;
    snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
    if ((ret = call(e, "/v3/kv/range", body, &a, err, size)) < 0)
        return ret;
    kvs = jv_get(a, "kvs");
    kv = kvs && kvs->type == JV_ARRAY ? kvs->child : NULL;
    if (kv) {
        text = jv_text(jv_get(kv, "value"));
        size_t len = text ? strlen(text) : 0;
        int n;
        *revision = num(jv_get(kv, "mod_revision"));
        if (!(*value = malloc(len + 1))) {
            ret = AVERROR(ENOMEM);
        } else if ((n = len ? av_base64_decode((uint8_t *)*value, text, (int)len) : 0) < 0) {
            snprintf(err, size, "etcd's %s is no base64", key);
            ret = AVERROR(EPROTO);
        } else {
            (*value)[n] = 0;
        }
        if (ret < 0) {
            free(*value);
            *value = NULL;
            *revision = 0;
        }
    }
    jv_free(&a);
    return ret;
}

int etcd_put_if(Etcd *e, const char *key, const char *value, int64_t expect, int *written, int64_t *revision,
                char *err, size_t size)
{
    char k[KEY_MAX], *val = b64_alloc(value);
    const Jv *ok;
    Buf body = { 0 };
    Jv *a = NULL;
    int ret;

    *written = 0;
    if (!val)
        return AVERROR(ENOMEM);
    /* a key that is not there has mod_revision 0 */
    if ((ret = b64(key, k, sizeof(k))) < 0 ||
        (ret = buf_printf(&body, "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\","
                          "\"mod_revision\":\"%" PRId64 "\"}],"
                          "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}]}",
                          k, expect, k, val)) < 0 ||
        (ret = call(e, "/v3/kv/txn", (const char *)body.data, &a, err, size)) < 0)
        goto end;
    ok = jv_get(a, "succeeded");
    *written = ok && ok->type == JV_TRUE;
    /* the put's revision is the transaction's, the header's */
    *revision = num(jv_get(jv_get(a, "header"), "revision"));
end:
    jv_free(&a);
    buf_free(&body);
    av_free(val);
    return ret;
}

int etcd_create(Etcd *e, const char *key, const char *value, int64_t lease, int *created, EtcdValue *held,
                char *err, size_t size)
{
    char k[KEY_MAX], val[KEY_MAX], body[6 * KEY_MAX];
    const Jv *r, *kvs;
    Jv *a;
    int ret;

    if ((ret = b64(key, k, sizeof(k))) < 0 || (ret = b64(value, val, sizeof(val))) < 0)
        return ret;
    /* put where the key was never created (or was deleted); else read it */
    if (snprintf(body, sizeof(body),
             "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
             "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%" PRId64 "\"}}],"
             "\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}", k, k, val, lease, k) >= (int)sizeof(body))
        return AVERROR(EINVAL);
    if ((ret = call(e, "/v3/kv/txn", body, &a, err, size)) < 0)
        return ret;
    r = jv_get(a, "succeeded");
    *created = r && r->type == JV_TRUE;
    memset(held, 0, sizeof(*held));
    if (!*created) {
        r = jv_get(a, "responses");
        kvs = jv_get(jv_get(r && r->type == JV_ARRAY ? r->child : NULL, "response_range"), "kvs");
        /* the key may have gone between the compare and now: none held */
        read_kv(kvs && kvs->type == JV_ARRAY ? kvs->child : NULL, held);
    }
    jv_free(&a);
    return 0;
}
