/*
 * The walk: conf_load reads the file, conf_load_string parses the YAML and
 * walks each mapping against its section's table (defaults, the keys given,
 * the required ones, the section's check), and conf_free frees what the
 * same tables say was allocated. The mechanics every section shares, apart
 * from what each key and section means (syntax.c, options.c, checks.c).
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#define MAX_FILE (1 << 20)
#define STRING_MAX 4096

/* "section.key" into buf, cut to fit (paths are for messages only). */
void conf_key_path(char *buf, size_t size, const SectionState *st, const char *key)
{
    size_t n = 0;
    for (const char *p = st->path; *p && n + 1 < size; p++)
        buf[n++] = *p;
    if (st->path[0] && n + 1 < size)
        buf[n++] = '.';
    for (const char *p = key; *p && n + 1 < size; p++)
        buf[n++] = *p;
    buf[n] = 0;
}

/* ---- the walk ---- */

/* Sections have at most MAX_OPTS options (SectionState's arrays and bit
 * masks); test_channel loads every section, so a table that outgrows it
 * fails there first. */
static int opt_count(const Section *s)
{
    int n = 0;
    while (s->options[n].key)
        n++;
    return n < MAX_OPTS ? n : MAX_OPTS;
}

void conf_apply_defaults(Ctx *c, const Section *sec, void *base)
{
    char err[256];

    for (const Option *o = sec->options; o->key; o++) {
        if (!o->def)
            continue;
        if (o->type == OT_FORMATS) {
            *(unsigned *)((char *)base + o->offset) = output_format_parse(o->def);
            continue;
        }
        if (o->type == OT_CHOICES) {
            *(unsigned *)((char *)base + o->offset) = conf_choices_mask(o->choices, o->def);
            continue;
        }
        /* a default that does not parse is a bug in the tables, caught by every test */
        if (conf_parse_text(c, o, o->def, (char *)base + o->offset, err, sizeof(err)) < 0 &&
            !c->nomem)
            fail_at(c, (Mark){ 0, 0 }, "internal: default of %s does not parse: %s", o->key, err);
    }
}

static void parse_value(Ctx *c, SectionState *st, int i, void *base)
{
    const Option *o = &st->sec->options[i];
    yaml_node_t *n = st->node[i];
    void *field = (char *)base + o->offset;
    char path[200], err[768];
    const char *text;
    SectionState sub;

    conf_key_path(path, sizeof(path), st, o->key);
    switch (o->type) {
    case OT_SECTION:
        conf_walk_section(c, is_null(n) ? NULL : n, o->sub, field, path, st->key[i], &sub);
        if (is_null(n)) {
            /* given but empty ("output:"): what it requires is still missing */
            for (const Option *so = o->sub->options; so->key; so++) {
                if (so->flags & OPT_REQUIRED) {
                    fail_at(c, st->key[i], "%s: missing required key '%s'", path, so->key);
                    sub.bad = 1;
                }
            }
        }
        if (sub.bad)
            st->bad |= 1u << i;
        return;
    case OT_LADDER:
        conf_read_ladder(c, st, o, n);
        return;
    case OT_SOURCES:
        conf_read_sources(c, st, o, n);
        return;
    case OT_ITEMS:
        conf_read_items(c, st, o, n, base);
        return;
    case OT_FORMATS:
    case OT_CHOICES:
        conf_read_formats(c, st, o, n, field);
        return;
    case OT_HEADERS:
        conf_read_headers(c, st, o, n, field);
        return;
    case OT_URLS:
        conf_read_urls(c, st, o, n, field);
        return;
    case OT_PUSH:
        conf_read_push(c, st, o, n, base);
        return;
    default:
        break;
    }
    if (n->type != YAML_SCALAR_NODE) {
        fail_at(c, mark_of(n), "%s: expected a single value, got %s", path, kind_name(n));
        st->bad |= 1u << i;
        return;
    }
    text = (const char *)n->data.scalar.value;
    if (strlen(text) != n->data.scalar.length) {
        fail_at(c, mark_of(n), "%s: contains a NUL character", path);
        st->bad |= 1u << i;
        return;
    }
    if (strlen(text) > STRING_MAX) {
        fail_at(c, mark_of(n), "%s: too long (at most %d characters)", path, STRING_MAX);
        st->bad |= 1u << i;
        return;
    }
    if (conf_parse_text(c, o, text, field, err, sizeof(err)) < 0) {
        if (err[0])
            fail_at(c, mark_of(n), "%s: %s", path, err);
        st->bad |= 1u << i;
    }
}

/*
 * Walks one mapping against its section: defaults, then every key given
 * (unknown and duplicate keys are errors), then the required ones, then the
 * section's check. node NULL: the section is absent and gets its defaults.
 */
void conf_walk_section(Ctx *c, yaml_node_t *node, const Section *sec, void *base,
                       const char *path, Mark where, SectionState *st)
{
    int nopts = opt_count(sec);

    memset(st, 0, sizeof(*st));
    st->sec = sec;
    st->where = where;
    snprintf(st->path, sizeof(st->path), "%s", path);
    conf_apply_defaults(c, sec, base);
    if (!node) {
        /* nested sections get their defaults too */
        for (int i = 0; i < nopts; i++) {
            if (sec->options[i].type == OT_SECTION) {
                SectionState sub;
                char p[200];
                conf_key_path(p, sizeof(p), st, sec->options[i].key);
                conf_walk_section(c, NULL, sec->options[i].sub,
                                  (char *)base + sec->options[i].offset, p, where, &sub);
            }
        }
        return;
    }
    if (node->type != YAML_MAPPING_NODE) {
        fail_at(c, mark_of(node), "%s%sexpected a mapping (key: value), got %s", path,
              path[0] ? ": " : "", kind_name(node));
        st->bad = ~0u;
        return;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        const char *key;
        int i;

        if (!k || !v)
            continue;
        if (k->type != YAML_SCALAR_NODE || is_null(k)) {
            fail_at(c, mark_of(k), "%s%skeys must be words, not %s", path, path[0] ? ": " : "",
                  kind_name(k));
            st->bad = ~0u;
            continue;
        }
        key = (const char *)k->data.scalar.value;
        i = conf_opt_index(sec, key);
        if (i < 0) {
            const char *names[MAX_OPTS], *near;
            char list[256];
            size_t len = 0;

            for (int j = 0; j < nopts; j++) {
                names[j] = sec->options[j].key;
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "",
                                        names[j]);
                if (len >= sizeof(list))
                    len = sizeof(list) - 1;
            }
            near = conf_nearest(key, names, nopts);
            if (near)
                fail_at(c, mark_of(k), "unknown key '%.64s' in %s (did you mean '%s'?)", key,
                      path[0] ? path : "the channel", near);
            else
                fail_at(c, mark_of(k), "unknown key '%.64s' in %s (known keys: %s)", key,
                      path[0] ? path : "the channel", list);
            st->bad |= 1u << 31;
            continue;
        }
        if (st->given & (1u << i)) {
            fail_at(c, mark_of(k), "duplicate key '%s'%s%s (first given at line %d, column %d)",
                  key, path[0] ? " in " : "", path, st->key[i].line, st->key[i].col);
            st->bad |= 1u << i;
            continue;
        }
        st->given |= 1u << i;
        st->key[i] = mark_of(k);
        st->val[i] = mark_of(v);
        st->node[i] = v;
    }
    for (int i = 0; i < nopts && !c->nomem; i++) {
        const Option *o = &sec->options[i];
        char p[200];

        conf_key_path(p, sizeof(p), st, o->key);
        if (st->bad & (1u << i))
            continue;
        if (st->node[i] && !is_null(st->node[i])) {
            parse_value(c, st, i, base);
        } else if (st->node[i] && o->type == OT_PUSH) {
            /* given but empty ("push:"): what a target requires is missing */
            fail_at(c, st->key[i], "%s: missing required key 'url'", p);
            st->bad |= 1u << i;
        } else if (st->node[i] && o->type == OT_SECTION) {
            parse_value(c, st, i, base);
        } else if (o->type == OT_SECTION) {
            SectionState sub;
            conf_walk_section(c, NULL, o->sub, (char *)base + o->offset, p, where, &sub);
            if (o->flags & OPT_REQUIRED) {
                fail_at(c, where, "%s%smissing required key '%s'", path, path[0] ? ": " : "", o->key);
                st->bad |= 1u << i;
            }
        } else if (st->node[i] && (o->flags & OPT_REQUIRED)) {
            fail_at(c, st->val[i], "%s: missing value%s", p,
                  o->type == OT_COLOR ? " (quote colours: \"#1d2b53\"; an unquoted # starts a "
                                        "YAML comment)" : "");
            st->bad |= 1u << i;
        } else if (st->node[i] && o->type == OT_COLOR) {
            fail_at(c, st->val[i], "%s: missing value (quote colours: \"#1d2b53\"; an unquoted # "
                  "starts a YAML comment)", p);
            st->bad |= 1u << i;
        } else if (o->flags & OPT_REQUIRED) {
            fail_at(c, where, "%s%smissing required key '%s'", path, path[0] ? ": " : "", o->key);
            st->bad |= 1u << i;
        }
    }
    if (sec->check && !c->nomem)
        sec->check(c, base, st);
}

/* ---- freeing, by the same tables ---- */

static int is_owned_string(OptType t)
{
    switch (t) {
    case OT_STRING: case OT_ID: case OT_FILE: case OT_DIR: case OT_URL: case OT_BACKUP:
    case OT_LISTEN: case OT_ENV: case OT_TIMEZONE:
        return 1;
    default:
        return 0;
    }
}

static void free_section(const Section *sec, void *base)
{
    for (const Option *o = sec->options; o->key; o++) {
        void *field = (char *)base + o->offset;
        if (is_owned_string(o->type)) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == OT_SECTION) {
            free_section(o->sub, field);
        } else if (o->type == OT_HEADERS) {
            conf_free_headers(field);
        } else if (o->type == OT_URLS) {
            conf_free_urls(field);
        } else if (o->type == OT_PUSH) {
            for (int i = 0; i < CONF_PUSH_MAX; i++)
                free_section(o->sub, (ConfPush *)field + i);
        }
    }
}

void conf_free(ChannelConf **pconf)
{
    ChannelConf *conf = *pconf;

    if (!conf)
        return;
    for (int i = 0; i < conf->nb_sources; i++) {
        free_section(&conf_source_sec, &conf->sources[i]);
        free(conf->sources[i].name);
    }
    free(conf->sources);
    for (int i = 0; i < conf->schedule.nb_items; i++)
        free_section(&conf_item_sec, &conf->schedule.items[i]);
    free(conf->schedule.items);
    free_section(&conf_channel_sec, conf);
    tz_free(&conf->tz);
    free(conf->path);
    free(conf);
    *pconf = NULL;
}

/* ---- loading ---- */

/* Line and column of a byte offset, for libyaml's reader errors, which give
 * only the offset. */
static Mark mark_of_offset(const char *text, size_t len, size_t offset)
{
    Mark m = { 1, 1 };
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            m.line++;
            m.col = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            m.col++;
        }
    }
    return m;
}

/* Whether the line holding offset has ": #", the usual reason a flow
 * mapping never closes: the colour's # began a comment. */
static int comment_hint(const char *text, size_t len, size_t offset)
{
    size_t b = offset < len ? offset : len, e = b;

    /* that line and the one before: libyaml often notices on the next */
    while (b > 0 && text[b - 1] != '\n')
        b--;
    if (b > 0)
        b--;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    while (e < len && text[e] != '\n')
        e++;
    for (size_t i = b; i + 2 < e; i++)
        if (text[i] == ':' && text[i + 1] == ' ' && text[i + 2] == '#')
            return 1;
    return 0;
}

static void syntax_error(Ctx *c, const yaml_parser_t *p, const char *yaml, size_t len)
{
    const char *hint;
    Mark m;

    if (p->error == YAML_MEMORY_ERROR) {
        c->nomem = 1;
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        m = mark_of_offset(yaml, len, p->problem_offset);
        fail_at(c, m, "YAML: %s (the file must be UTF-8 text)", p->problem ? p->problem : "unreadable");
        return;
    }
    m = (Mark){ (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1 };
    hint = comment_hint(yaml, len, p->problem_mark.index) ||
           (p->context && comment_hint(yaml, len, p->context_mark.index)) ?
           " (an unquoted # starts a comment: quote colours, \"#1d2b53\")" : "";
    if (p->problem_mark.index < len && yaml[p->problem_mark.index] == '\t')
        fail_at(c, m, "YAML: %s (tabs cannot indent YAML: use spaces)", p->problem ? p->problem : "syntax error");
    else if (p->context)
        fail_at(c, m, "YAML: %s %s at line %d, column %d%s", p->problem ? p->problem : "syntax error",
              p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1, hint);
    else
        fail_at(c, m, "YAML: %s%s", p->problem ? p->problem : "syntax error", hint);
}

int conf_load_string(ChannelConf **out, const char *yaml, size_t len, const char *name,
                     const char *base_dir, ConfReport *report)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int have_doc = 0, ret = 0;
    ChannelConf *conf = NULL;
    yaml_node_t *root;
    SectionState st;
    Ctx c;

    *out = NULL;
    conf_report_clear(report);
    report->file = strdup(name ? name : "<config>");
    if (!report->file)
        return AVERROR(ENOMEM);
    memset(&c, 0, sizeof(c));
    c.report = report;
    c.base_dir = base_dir;
    if (!yaml_parser_initialize(&parser))
        return AVERROR(ENOMEM);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&c, &parser, yaml, len);
        goto end;
    }
    have_doc = 1;
    c.doc = &doc;
    root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root)) {
        fail_at(&c, (Mark){ 0, 0 }, "the file is empty: a channel needs at least channel, video, "
              "ladder, sources, schedule and output");
        goto end;
    }
    if (yaml_parser_load(&parser, &extra)) {
        yaml_node_t *r2 = yaml_document_get_root_node(&extra);
        if (r2)
            fail_at(&c, mark_of(r2), "a second YAML document: one channel per file");
        yaml_document_delete(&extra);
    } else {
        syntax_error(&c, &parser, yaml, len);
    }
    conf = calloc(1, sizeof(*conf));
    if (!conf) {
        c.nomem = 1;
        goto end;
    }
    c.conf = conf;
    if (conf_set_string(&c, &conf->path, report->file) < 0)
        goto end;
    if (root->type != YAML_MAPPING_NODE)
        fail_at(&c, mark_of(root), "expected the channel's keys (channel: ..., video: ...), got %s",
              kind_name(root));
    else
        conf_walk_section(&c, root, &conf_channel_sec, conf, "", mark_of(root), &st);
end:
    conf_report_sort(report);
    conf_report_finish(&c);
    if (c.nomem)
        ret = AVERROR(ENOMEM);
    else if (report->errors)
        ret = AVERROR(EINVAL);
    if (ret < 0)
        conf_free(&conf);
    free(c.source_st);
    free(c.item_st);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    *out = conf;
    return ret;
}

int conf_load(ChannelConf **out, const char *path, ConfReport *report)
{
    char dir[PATH_MAX_LEN], real[PATH_MAX];
    const char *slash;
    FILE *f;
    char *data = NULL;
    size_t got = 0;
    int ret, err;
    ConfMessage *m;

    *out = NULL;
    conf_report_clear(report);
    f = fopen(path, "rb");
    if (f) {
        data = malloc(MAX_FILE + 1);
        if (!data) {
            fclose(f);
            return AVERROR(ENOMEM);
        }
        got = fread(data, 1, MAX_FILE + 1, f);
        err = ferror(f) ? errno : 0;
        fclose(f);
        if (!err && got > MAX_FILE)
            err = EFBIG;
    } else {
        err = errno;
    }
    if (err) {
        report->file = strdup(path);
        m = calloc(1, sizeof(*m));
        if (!report->file || !m) {
            free(m);
            free(data);
            return AVERROR(ENOMEM);
        }
        m->severity = CONF_ERROR;
        {
            char t[256];
            snprintf(t, sizeof(t), "cannot read: %s",
                     err == EFBIG ? "too large for a channel config (over 1 MiB)" : strerror(err));
            m->text = strdup(t);
        }
        report->messages = m;
        report->count = 1;
        report->errors = 1;
        free(data);
        return AVERROR(err);
    }
    slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    /* absolute, so that what a config names stays found whatever the
     * working directory of whoever uses the loaded paths */
    if (realpath(dir, real))
        snprintf(dir, sizeof(dir), "%s", real);
    ret = conf_load_string(out, data, got, path, dir, report);
    free(data);
    return ret;
}
