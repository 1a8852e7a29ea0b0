/* The API's request bodies: one flat JSON object, read strictly, so that a
 * hostile body is refused with a message rather than half understood. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

/* Longer strings and numbers are no request of ours (bodies are 64 KiB). */
#define NUMBER_TEXT_MAX 64

typedef struct Parser {
    const unsigned char *p, *start, *end;
    char *err;
    size_t size;
} Parser;

static int fail(Parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Parser *ps, const char *fmt, ...)
{
    char what[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (ps->err && ps->size)
        snprintf(ps->err, ps->size, "%s at byte %zu", what, (size_t)(ps->p - ps->start));
    return AVERROR(EINVAL);
}

static void skip_blank(Parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const unsigned char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

static int put_utf8(Buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xc0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_append(b, u, n);
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], cp;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* A string at ps->p (its opening quote), unescaped into a new C string. */
static int parse_string(Parser *ps, char **out)
{
    Buf b = { 0 };
    int ret;

    ps->p++;
    for (;;) {
        unsigned c;
        if (ps->p >= ps->end) {
            ret = fail(ps, "unterminated string");
            goto fail;
        }
        c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20) {
            ret = fail(ps, "a control character in a string (escape it)");
            goto fail;
        }
        if (c == '\\') {
            unsigned cp;
            if (ps->end - ps->p < 2) {
                ret = fail(ps, "unterminated string");
                goto fail;
            }
            switch (ps->p[1]) {
            case '"':  cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/':  cp = '/'; break;
            case 'b':  cp = '\b'; break;
            case 'f':  cp = '\f'; break;
            case 'n':  cp = '\n'; break;
            case 'r':  cp = '\r'; break;
            case 't':  cp = '\t'; break;
            case 'u':
                if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0) {
                    ret = fail(ps, "a \\u escape needs four hex digits");
                    goto fail;
                }
                if (cp >= 0xdc00 && cp <= 0xdfff) {
                    ret = fail(ps, "a lone low surrogate in a \\u escape");
                    goto fail;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (ps->end - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
                        hex4(ps->p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                        ret = fail(ps, "a high surrogate in a \\u escape without its low one");
                        goto fail;
                    }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    ps->p += 6;
                }
                if (cp == 0) {
                    ret = fail(ps, "\\u0000 is not accepted in a string");
                    goto fail;
                }
                ps->p += 4;
                break;
            default:
                ret = fail(ps, "an unknown escape \\%c", ps->p[1] >= 0x20 && ps->p[1] < 0x7f ? ps->p[1] : '?');
                goto fail;
            }
            ps->p += 2;
            if ((ret = put_utf8(&b, cp)) < 0)
                goto fail;
            continue;
        }
        {
            size_t n = utf8_len(ps->p, ps->end);
            if (!n) {
                ret = fail(ps, "a string that is not UTF-8");
                goto fail;
            }
            if ((ret = buf_append(&b, ps->p, n)) < 0)
                goto fail;
            ps->p += n;
        }
    }
    if ((ret = buf_append(&b, "", 1)) < 0)
        goto fail;
    *out = (char *)b.data;
    return 0;
fail:
    buf_free(&b);
    return ret;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* A number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(Parser *ps, double *v)
{
    const unsigned char *s = ps->p, *p = s;
    char text[NUMBER_TEXT_MAX + 1];
    char *endp;

    if (p < ps->end && *p == '-')
        p++;
    if (p < ps->end && *p == '0')
        p++;
    else if (p < ps->end && is_digit(*p))
        while (p < ps->end && is_digit(*p))
            p++;
    else
        return fail(ps, "a malformed number");
    if (p < ps->end && *p == '.') {
        if (++p >= ps->end || !is_digit(*p))
            return fail(ps, "a malformed number");
        while (p < ps->end && is_digit(*p))
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= ps->end || !is_digit(*p))
            return fail(ps, "a malformed number");
        while (p < ps->end && is_digit(*p))
            p++;
    }
    if (p - s > NUMBER_TEXT_MAX)
        return fail(ps, "a number of more than %d characters", NUMBER_TEXT_MAX);
    memcpy(text, s, (size_t)(p - s));
    text[p - s] = 0;
    /* the grammar above is the C locale's too: strtod reads it whole */
    errno = 0;
    *v = strtod(text, &endp);
    if (errno == ERANGE && (*v > 1 || *v < -1))
        return fail(ps, "a number out of range");
    ps->p = p;
    return 0;
}

static int literal(Parser *ps, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return 0;
    ps->p += n;
    return 1;
}

static int parse_value(Parser *ps, JsonMember *m)
{
    int c;

    if (ps->p >= ps->end)
        return fail(ps, "a value of \"%s\" is missing", m->key);
    c = *ps->p;
    if (c == '"') {
        m->type = JSON_STRING;
        return parse_string(ps, &m->str);
    }
    if (c == '-' || is_digit(c)) {
        m->type = JSON_NUMBER;
        return parse_number(ps, &m->num);
    }
    if (literal(ps, "true")) {
        m->type = JSON_TRUE;
        return 0;
    }
    if (literal(ps, "false")) {
        m->type = JSON_FALSE;
        return 0;
    }
    if (literal(ps, "null")) {
        m->type = JSON_NULL;
        return 0;
    }
    if (c == '{' || c == '[')
        return fail(ps, "\"%s\": objects and arrays are not accepted as values", m->key);
    return fail(ps, "\"%s\": not a JSON value", m->key);
}

int json_object_parse(const char *data, size_t len, JsonObject *out, char *err, size_t size)
{
    Parser ps = { (const unsigned char *)data, (const unsigned char *)data,
                  (const unsigned char *)data + len, err, size };
    JsonObject o = { 0 };
    int ret;

    memset(out, 0, sizeof(*out));
    skip_blank(&ps);
    if (ps.p == ps.end)
        return 0;
    if (*ps.p != '{')
        return fail(&ps, "the body must be a JSON object");
    ps.p++;
    skip_blank(&ps);
    if (ps.p < ps.end && *ps.p == '}') {
        ps.p++;
    } else {
        for (;;) {
            JsonMember *m;
            skip_blank(&ps);
            if (ps.p >= ps.end || *ps.p != '"') {
                ret = fail(&ps, "a member's name (a string) expected");
                goto fail;
            }
            if (o.count == JSON_MEMBERS_MAX) {
                ret = fail(&ps, "more than %d members", JSON_MEMBERS_MAX);
                goto fail;
            }
            if (!o.members && !(o.members = calloc(JSON_MEMBERS_MAX, sizeof(*o.members)))) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
            m = &o.members[o.count];
            if ((ret = parse_string(&ps, &m->key)) < 0)
                goto fail;
            o.count++;
            for (int i = 0; i < o.count - 1; i++) {
                if (!strcmp(o.members[i].key, m->key)) {
                    ret = fail(&ps, "\"%s\" is given twice", m->key);
                    goto fail;
                }
            }
            skip_blank(&ps);
            if (ps.p >= ps.end || *ps.p != ':') {
                ret = fail(&ps, "':' expected after \"%s\"", m->key);
                goto fail;
            }
            ps.p++;
            skip_blank(&ps);
            if ((ret = parse_value(&ps, m)) < 0)
                goto fail;
            skip_blank(&ps);
            if (ps.p < ps.end && *ps.p == ',') {
                ps.p++;
                continue;
            }
            if (ps.p < ps.end && *ps.p == '}') {
                ps.p++;
                break;
            }
            ret = fail(&ps, "',' or '}' expected");
            goto fail;
        }
    }
    skip_blank(&ps);
    if (ps.p != ps.end) {
        ret = fail(&ps, "something after the object");
        goto fail;
    }
    *out = o;
    return 0;
fail:
    json_object_clear(&o);
    return ret;
}

void json_object_clear(JsonObject *o)
{
    for (int i = 0; i < o->count; i++) {
        free(o->members[i].key);
        free(o->members[i].str);
    }
    free(o->members);
    memset(o, 0, sizeof(*o));
}

const JsonMember *json_object_get(const JsonObject *o, const char *key)
{
    for (int i = 0; i < o->count; i++)
        if (!strcmp(o->members[i].key, key))
            return &o->members[i];
    return NULL;
}

const JsonMember *json_object_unknown(const JsonObject *o, const char *const *allowed)
{
    for (int i = 0; i < o->count; i++) {
        int known = 0;
        for (int k = 0; allowed && allowed[k]; k++)
            known |= !strcmp(o->members[i].key, allowed[k]);
        if (!known)
            return &o->members[i];
    }
    return NULL;
}
