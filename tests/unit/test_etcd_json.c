/* The reader of etcd's answers (redundancy/json.c): the shapes the v3 JSON
 * gateway answers with, escapes, and what is no JSON. */
#include "check.h"
#include "redundancy/internal.h"

#include <libavutil/error.h>

static const Jv *parsed(Jv **root, const char *text)
{
    CHECK_EQ_INT(jv_parse(text, strlen(text), root), 0);
    return *root;
}

int main(void)
{
    Jv *root = NULL;
    const Jv *r, *kvs;

    /* a txn that failed: "succeeded" left out, the range's kv inside */
    r = parsed(&root, "{\"header\":{\"cluster_id\":\"3249\",\"revision\":\"2\"},\"responses\":[{\"response_range\":"
                      "{\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"L29uYWly\",\"create_revision\":\"2\","
                      "\"value\":\"QQ==\",\"lease\":\"2324035826333461767\"}],\"count\":\"1\"}}]}");
    CHECK(!jv_get(r, "succeeded"));
    kvs = jv_get(jv_get(jv_get(r, "responses")->child, "response_range"), "kvs");
    CHECK(kvs && kvs->type == JV_ARRAY);
    CHECK_EQ_STR(jv_text(jv_get(kvs->child, "value")), "QQ==");
    CHECK_EQ_STR(jv_text(jv_get(kvs->child, "lease")), "2324035826333461767");
    CHECK_EQ_STR(jv_text(jv_get(jv_get(r, "header"), "revision")), "2");
    jv_free(&root);

    /* true, numbers, nesting, escapes (a surrogate pair is one code point) */
    r = parsed(&root, " {\"succeeded\": true, \"n\": -1.5e3, \"a\": [[], {}, null, false],"
                      " \"s\": \"q\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\"} ");
    CHECK(jv_get(r, "succeeded")->type == JV_TRUE);
    CHECK_EQ_STR(jv_text(jv_get(r, "n")), "-1.5e3");
    CHECK_EQ_STR(jv_text(jv_get(r, "s")), "q\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(!jv_text(jv_get(r, "a")));
    CHECK(!jv_get(r, "missing"));
    CHECK(!jv_get(NULL, "x"));
    jv_free(&root);
    CHECK(!root);

    /* what is no JSON, each refused without a tree left */
    {
        static const char *const bad[] = {
            "", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "\"\\x\"", "\"\\ud800\"", "tru", "{} {}",
            "\"a\nb\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            int ret = jv_parse(bad[i], strlen(bad[i]), &root);
            if (ret != AVERROR(EINVAL) || root)
                fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK_EQ_INT(ret, AVERROR(EINVAL));
            CHECK(!root);
        }
    }
    return CHECK_DONE();
}
