/*
 * libFuzzer target: the admin API's request body parser (admin/internal.h,
 * json_object_parse). Beyond the sanitizers it checks the parser's
 * contract, so a wrong answer is a crash too: a refusal leaves nothing and
 * says why; an object has at most JSON_MEMBERS_MAX members with distinct
 * keys, and every key and string value is valid UTF-8 without a NUL.
 *
 *   fuzz_admin_json -max_total_time=60 -dict=tests/fuzz/admin_json.dict CORPUS tests/fuzz/corpus/admin_json
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Well-formed UTF-8 (RFC 3629), as the parser promises. */
static void check_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p, cp, n;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4, cp = c & 0x07;
        else
            abort();
        for (unsigned i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                abort();
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            abort();
        p += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const allowed[] = { "source", "duration", "by", NULL };
    JsonObject o;
    char err[256] = "";
    int ret = json_object_parse((const char *)data, size, &o, err, sizeof(err));

    if (ret < 0) {
        if (o.count || o.members || !err[0])
            abort();
        return 0;
    }
    if (o.count > JSON_MEMBERS_MAX)
        abort();
    for (int i = 0; i < o.count; i++) {
        const JsonMember *m = &o.members[i];
        check_utf8(m->key);
        if (json_object_get(&o, m->key) != m)
            abort();   /* a duplicate key got through */
        if ((m->type == JSON_STRING) != (m->str != NULL))
            abort();
        if (m->str)
            check_utf8(m->str);
    }
    json_object_unknown(&o, allowed);
    json_object_clear(&o);
    if (o.count || o.members)
        abort();
    return 0;
}
