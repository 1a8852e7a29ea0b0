/* A JSON reader for etcd's answers: nested objects and arrays, read into a
 * tree (the admin API's bodies are flat and read by a stricter reader of
 * their own). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/common.h"

#define JV_DEPTH_MAX 32

typedef struct Reader {
    const char *p, *end;
} Reader;

static void blank(Reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

static int put_utf8(Buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(b, u, n);
}

/* A string at r->p (its opening quote), unescaped into a new C string. */
static int read_string(Reader *r, char **out)
{
    Buf b = { 0 };
    int ret = 0;

    r->p++;
    while (ret >= 0) {
        if (r->p >= r->end || (unsigned char)*r->p < 0x20) {
            ret = AVERROR(EINVAL);
        } else if (*r->p == '"') {
            r->p++;
            break;
        } else if (*r->p != '\\') {
            ret = buf_append(&b, r->p++, 1);
        } else if (r->end - r->p < 2) {
            ret = AVERROR(EINVAL);
        } else {
            const char *esc = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *e = strchr(esc, r->p[1]);
            unsigned cp, lo;
            if (r->p[1] && e) {
                ret = buf_append(&b, to + (e - esc), 1);
                r->p += 2;
            } else if (r->p[1] != 'u' || r->end - r->p < 6 || hex4(r->p + 2, &cp) < 0) {
                ret = AVERROR(EINVAL);
            } else {
                r->p += 6;
                /* a pair of surrogates is one code point; one alone is none */
                if (cp >= 0xD800 && cp < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u' &&
                    hex4(r->p + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    r->p += 6;
                } else if (cp >= 0xD800 && cp < 0xE000) {
                    ret = AVERROR(EINVAL);
                    break;
                }
                ret = put_utf8(&b, cp);
            }
        }
    }
    if (ret >= 0 && !(*out = strndup(b.data ? (const char *)b.data : "", b.len)))
        ret = AVERROR(ENOMEM);
    buf_free(&b);
    return ret;
}

static int read_value(Reader *r, Jv **out, int depth);

/* The elements of an array or the members of an object, after its opening
 * bracket, up to its closing one. */
static int read_elements(Reader *r, Jv *v, int depth)
{
    char close = v->type == JV_ARRAY ? ']' : '}';
    Jv **tail = &v->child;
    int ret;

    r->p++;
    blank(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        blank(r);
        if (v->type == JV_OBJECT) {
            if (r->p >= r->end || *r->p != '"' || (ret = read_string(r, &key)) < 0)
                return AVERROR(EINVAL);
            blank(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                return AVERROR(EINVAL);
            }
            r->p++;
        }
        if ((ret = read_value(r, tail, depth + 1)) < 0) {
            free(key);
            return ret;
        }
        (*tail)->key = key;
        tail = &(*tail)->next;
        blank(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        return AVERROR(EINVAL);
    }
}

static int read_value(Reader *r, Jv **out, int depth)
{
    static const struct { const char *word; enum JvType type; } words[] = {
        { "null", JV_NULL }, { "false", JV_FALSE }, { "true", JV_TRUE },
    };
    Jv *v;
    int ret = 0;

    *out = NULL;
    if (depth > JV_DEPTH_MAX)
        return AVERROR(EINVAL);
    blank(r);
    if (r->p >= r->end)
        return AVERROR(EINVAL);
    if (!(v = calloc(1, sizeof(*v))))
        return AVERROR(ENOMEM);
    *out = v;
    if (*r->p == '{' || *r->p == '[') {
        v->type = *r->p == '{' ? JV_OBJECT : JV_ARRAY;
        return read_elements(r, v, depth);
    }
    if (*r->p == '"') {
        v->type = JV_STRING;
        return read_string(r, &v->text);
    }
    if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
        const char *start = r->p;
        while (r->p < r->end && strchr("+-.0123456789eE", *r->p))
            r->p++;
        v->type = JV_NUMBER;
        return (v->text = strndup(start, (size_t)(r->p - start))) ? 0 : AVERROR(ENOMEM);
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(r->end - r->p) >= n && !memcmp(r->p, words[i].word, n)) {
            v->type = words[i].type;
            r->p += n;
            return 0;
        }
    }
    ret = AVERROR(EINVAL);
    return ret;
}

int jv_parse(const char *data, size_t len, Jv **out)
{
    Reader r = { data, data + len };
    int ret = read_value(&r, out, 0);

    blank(&r);
    if (ret >= 0 && r.p != r.end)
        ret = AVERROR(EINVAL);
    if (ret < 0)
        jv_free(out);
    return ret;
}

void jv_free(Jv **pv)
{
    Jv *v = *pv;

    while (v) {
        Jv *next = v->next;
        jv_free(&v->child);
        free(v->text);
        free(v->key);
        free(v);
        v = next;
    }
    *pv = NULL;
}

const Jv *jv_get(const Jv *o, const char *key)
{
    if (!o || o->type != JV_OBJECT)
        return NULL;
    for (const Jv *m = o->child; m; m = m->next)
        if (m->key && !strcmp(m->key, key))
            return m;
    return NULL;
}

const char *jv_text(const Jv *v)
{
    return v && (v->type == JV_STRING || v->type == JV_NUMBER) ? v->text : NULL;
}
