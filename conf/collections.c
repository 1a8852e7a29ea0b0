/*
 * Keys that hold several things: the ladder, the sources, the schedule's
 * items, push targets, request headers and output formats. Each is a list
 * or a mapping whose elements are judged against each other (names used
 * twice, a backup naming a source, two items at once), which a table row
 * cannot say; elements that are sections of their own are walked as any
 * section is (load.c).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/common.h>

unsigned conf_choices_mask(const char *const *choices, const char *text)
{
    unsigned mask = 0;

    while (*text) {
        size_t len = strcspn(text, "[], ");
        for (int k = 0; len && choices[k]; k++)
            if (strlen(choices[k]) == len && !strncmp(choices[k], text, len))
                mask |= 1u << k;
        text += len ? len : 1;
    }
    return mask;
}

/* output.formats (each name's FORMAT_* mask) and OT_CHOICES (bit i for
 * choices[i]): a list, or one name alone. */
void conf_read_formats(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, unsigned *out)
{
    const char *what = o->type == OT_FORMATS ? "format" : "value";
    const char *example = o->type == OT_FORMATS ? "[hls, dash]" : "[a, b]";
    char path[200], list[128], ex[64];
    unsigned mask = 0, seen = 0;
    int count = 0, bad = 0, nchoices = 0;
    yaml_node_item_t *it;

    conf_key_path(path, sizeof(path), st, o->key);
    choice_list(o->choices, list, sizeof(list));
    while (o->choices[nchoices])
        nchoices++;
    if (o->type == OT_CHOICES)
        snprintf(ex, sizeof(ex), "[%s%s%s]", o->choices[0], nchoices > 1 ? ", " : "",
                 nchoices > 1 ? o->choices[1] : "");
    else
        snprintf(ex, sizeof(ex), "%s", example);
    if (n->type == YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list such as %s, got a mapping", path, ex);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    for (int i = 0;; i++) {
        yaml_node_t *e;
        const char *v;
        int k;

        if (n->type == YAML_SCALAR_NODE) {
            if (i > 0)
                break;
            e = n;
        } else {
            it = n->data.sequence.items.start + i;
            if (it >= n->data.sequence.items.top)
                break;
            e = node_at(c, *it);
        }
        if (!e)
            continue;
        if (e->type != YAML_SCALAR_NODE) {
            fail_at(c, mark_of(e), "%s: expected a %s name (%s), got %s", path, what, list,
                    kind_name(e));
            bad = 1;
            continue;
        }
        v = (const char *)e->data.scalar.value;
        k = choice_index(o->choices, v);
        if (k < 0) {
            const char *near = conf_nearest(v, o->choices, nchoices);
            fail_at(c, mark_of(e), "%s: unknown %s '%s'%s%s%s (one of %s)", path, what, v,
                  near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", list);
            bad = 1;
            continue;
        }
        if (seen & (1u << k)) {
            fail_at(c, mark_of(e), "%s: '%s' is listed twice", path, v);
            bad = 1;
            continue;
        }
        seen |= 1u << k;
        mask |= o->type == OT_FORMATS ? output_format_parse(v) : 1u << k;
        count++;
    }
    if (!bad && !count && !(o->type == OT_CHOICES && (o->flags & OPT_ZERO))) {
        fail_at(c, mark_of(n), "%s: empty: list at least one of %s", path, list);
        bad = 1;
    }
    if (!bad)
        *out = mask;
    else
        st->bad |= 1u << (o - st->sec->options);
}

void conf_read_ladder(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n)
{
    ChannelConf *conf = c->conf;
    char path[160], err[512];
    Mark marks[LADDER_MAX];
    int count = 0, bad = 0, total, canvas_ok;

    /* a canvas in error or not given says nothing about the rungs */
    canvas_ok = !c->video_bad && (st->given & (1u << conf_opt_index(st->sec, "video")));
    conf_key_path(path, sizeof(path), st, o->key);
    if (n->type == YAML_SCALAR_NODE) {
        /* the command line's form: "720p,360p" */
        if (conf_parse_ladder((const char *)n->data.scalar.value, conf->ladder, &count, err,
                              sizeof(err)) < 0) {
            fail_at(c, mark_of(n), "%s: %s", path, err);
            bad = 1;
        }
        for (int i = 0; i < count; i++)
            marks[i] = mark_of(n);
    } else if (n->type == YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list of rungs (720p, or { name, width, height, "
              "bitrate }), got a mapping", path);
        bad = 1;
    } else {
        total = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        for (int i = 0; i < total; i++) {
            yaml_node_t *e = node_at(c, n->data.sequence.items.start[i]);
            char epath[240];
            Rung r;

            if (!e)
                continue;
            snprintf(epath, sizeof(epath), "%s[%d]", path, i + 1);
            if (count == LADDER_MAX) {
                fail_at(c, mark_of(e), "%s: too many rungs (at most %d)", epath, LADDER_MAX);
                bad = 1;
                break;
            }
            memset(&r, 0, sizeof(r));
            if (e->type == YAML_SCALAR_NODE) {
                if (conf_parse_rung((const char *)e->data.scalar.value, &r, err, sizeof(err)) < 0) {
                    fail_at(c, mark_of(e), "%s: %s", epath, err);
                    bad = 1;
                    continue;
                }
            } else if (e->type == YAML_MAPPING_NODE) {
                SectionState est;
                conf_walk_section(c, e, o->sub, &r, epath, mark_of(e), &est);
                if (est.bad) {
                    bad = 1;
                    continue;
                }
            } else {
                fail_at(c, mark_of(e), "%s: expected a rung (720p, or { name, width, height, "
                      "bitrate }), got %s", epath, kind_name(e));
                bad = 1;
                continue;
            }
            marks[count] = mark_of(e);
            conf->ladder[count++] = r;
        }
    }
    for (int i = 0; i < count; i++) {
        Rung *r = &conf->ladder[i];
        for (int j = 0; j < i; j++) {
            if (!strcmp(conf->ladder[j].name, r->name)) {
                fail_at(c, marks[i], "%s[%d]: rung name '%s' is used twice (first at line %d)",
                      path, i + 1, r->name, marks[j].line);
                bad = 1;
                break;
            }
        }
        if (canvas_ok && (r->width > conf->video.width || r->height > conf->video.height)) {
            fail_at(c, marks[i], "%s[%d]: rung '%s' (%dx%d) is larger than the canvas %dx%d "
                  "(video.width x video.height)", path, i + 1, r->name, r->width, r->height,
                  conf->video.width, conf->video.height);
            bad = 1;
        }
    }
    if (!bad && count == 0) {
        fail_at(c, mark_of(n), "%s: empty: give at least one rung (e.g. [720p, 360p])", path);
        bad = 1;
    }
    conf->nb_rungs = count;
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

/* RFC 9110 token characters: what a header name may hold. */
static int header_name_ok(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch && strchr("!#$%&'*+-.^_`|~", ch))))
            return 0;
    }
    return 1;
}

/* One header from its name and value (n bytes of name); err says why not. */
static int add_header(Ctx *c, ConfHeaders *h, const char *name, size_t n, const char *value,
                      char *err, size_t err_size)
{
    static const char *const refused[] = { "Content-Length", "Transfer-Encoding", "Expect",
                                           "Content-Type", NULL };
    char **lines;
    size_t vlen;

    if (!header_name_ok(name, n)) {
        snprintf(err, err_size, "'%.*s' is not a header name (letters, digits and -)",
                 (int)FFMIN(n, 64), name);
        return -1;
    }
    for (int i = 0; refused[i]; i++) {
        if (strlen(refused[i]) == n && !strncasecmp(name, refused[i], n)) {
            snprintf(err, err_size, "%s is set by onair itself and cannot be given", refused[i]);
            return -1;
        }
    }
    while (*value == ' ' || *value == '\t')
        value++;
    for (const char *v = value; *v; v++) {
        if ((unsigned char)*v < 0x20 && *v != '\t') {
            snprintf(err, err_size, "the value of %.*s holds a control character or line break",
                     (int)FFMIN(n, 64), name);
            return -1;
        }
    }
    for (int i = 0; i < h->count; i++) {
        if (!strncasecmp(h->lines[i], name, n) && h->lines[i][n] == ':') {
            snprintf(err, err_size, "%.*s is given twice", (int)FFMIN(n, 64), name);
            return -1;
        }
    }
    if (h->count == CONF_HEADERS_MAX) {
        snprintf(err, err_size, "too many headers (at most %d)", CONF_HEADERS_MAX);
        return -1;
    }
    lines = realloc(h->lines, sizeof(*lines) * (size_t)(h->count + 1));
    if (!lines) {
        c->nomem = 1;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    h->lines = lines;
    vlen = strlen(value);
    if (!(lines[h->count] = malloc(n + vlen + 3))) {
        c->nomem = 1;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    snprintf(lines[h->count], n + vlen + 3, "%.*s: %s", (int)n, name, value);
    h->count++;
    return 0;
}

void conf_free_headers(ConfHeaders *h)
{
    for (int i = 0; i < h->count; i++)
        free(h->lines[i]);
    free(h->lines);
    h->lines = NULL;
    h->count = 0;
}

void conf_free_urls(ConfUrls *u)
{
    for (int i = 0; i < u->count; i++)
        free(u->urls[i]);
    free(u->urls);
    u->urls = NULL;
    u->count = 0;
}

/* One URL, or a list of them: each read as an OT_URL of the same option. */
void conf_read_urls(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfUrls *u)
{
    Option one = *o;
    yaml_node_item_t *first = NULL, *last = NULL;
    char path[200], err[256];
    int bad = 0, count;

    one.type = OT_URL;
    conf_key_path(path, sizeof(path), st, o->key);
    conf_free_urls(u);
    if (n->type == YAML_SEQUENCE_NODE) {
        first = n->data.sequence.items.start;
        last = n->data.sequence.items.top;
    } else if (n->type != YAML_SCALAR_NODE) {
        fail_at(c, mark_of(n), "%s: expected a URL or a list of them, got %s", path, kind_name(n));
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    count = first ? (int)(last - first) : 1;
    if (count < o->min || count > o->max) {
        fail_at(c, mark_of(n), "%s: %d URL%s, expected %.0f to %.0f", path, count, count == 1 ? "" : "s",
                o->min, o->max);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    if (!(u->urls = calloc((size_t)count, sizeof(*u->urls)))) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < count; i++) {
        yaml_node_t *e = first ? node_at(c, first[i]) : n;
        const char *text = e && e->type == YAML_SCALAR_NODE ? (const char *)e->data.scalar.value : NULL;
        err[0] = 0;
        if (!text || strlen(text) != e->data.scalar.length) {
            fail_at(c, mark_of(e ? e : n), "%s[%d]: expected a URL, got %s", path, i + 1,
                    e ? (text ? "a NUL character" : kind_name(e)) : "nothing");
            bad = 1;
            continue;
        }
        if (conf_parse_text(c, &one, text, &u->urls[u->count], err, sizeof(err)) < 0) {
            if (err[0])
                fail_at(c, mark_of(e), "%s[%d]: %s", path, i + 1, err);
            bad = 1;
            continue;
        }
        u->count++;
    }
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

void conf_read_headers(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfHeaders *h)
{
    char path[200], err[256];
    int bad = 0;

    conf_key_path(path, sizeof(path), st, o->key);
    conf_free_headers(h);
    if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
            const char *name;
            if (!k || !v)
                continue;
            if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE) {
                fail_at(c, mark_of(k->type != YAML_SCALAR_NODE ? k : v), "%s: expected Name: value, "
                        "got %s", path, kind_name(k->type != YAML_SCALAR_NODE ? k : v));
                bad = 1;
                continue;
            }
            name = (const char *)k->data.scalar.value;
            if (strlen(name) != k->data.scalar.length ||
                strlen((const char *)v->data.scalar.value) != v->data.scalar.length ||
                add_header(c, h, name, strlen(name), (const char *)v->data.scalar.value, err,
                           sizeof(err)) < 0) {
                fail_at(c, mark_of(k), "%s: %s", path, err[0] ? err : "contains a NUL character");
                bad = 1;
            }
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = node_at(c, *it);
            const char *line, *colon;
            if (!e)
                continue;
            err[0] = 0;
            line = e->type == YAML_SCALAR_NODE ? (const char *)e->data.scalar.value : NULL;
            colon = line ? strchr(line, ':') : NULL;
            if (!colon) {
                fail_at(c, mark_of(e), "%s[%d]: expected \"Name: value\", got %s", path,
                        (int)(it - n->data.sequence.items.start) + 1,
                        line ? "no ':'" : kind_name(e));
                bad = 1;
                continue;
            }
            if (strlen(line) != e->data.scalar.length ||
                add_header(c, h, line, (size_t)(colon - line), colon + 1, err, sizeof(err)) < 0) {
                fail_at(c, mark_of(e), "%s[%d]: %s", path, (int)(it - n->data.sequence.items.start) + 1,
                        err[0] ? err : "contains a NUL character");
                bad = 1;
            }
        }
    } else {
        fail_at(c, mark_of(n), "%s: expected a mapping Name: value, or a list of \"Name: value\", "
                "got %s", path, kind_name(n));
        bad = 1;
    }
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

/* output.push: one target (a mapping) or several (a list of mappings). */
void conf_read_push(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfOutput *out)
{
    char path[160];
    yaml_node_t *elems[CONF_PUSH_MAX];
    int count = 0, bad = 0, list = n->type == YAML_SEQUENCE_NODE;

    conf_key_path(path, sizeof(path), st, o->key);
    if (n->type == YAML_MAPPING_NODE) {
        elems[count++] = n;
    } else if (list) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = node_at(c, *it);
            if (!e)
                continue;
            if (count == CONF_PUSH_MAX) {
                fail_at(c, mark_of(e), "%s: too many targets (at most %d)", path, CONF_PUSH_MAX);
                bad = 1;
                break;
            }
            elems[count++] = e;
        }
        if (!count && !bad) {
            fail_at(c, mark_of(n), "%s: empty: give a target { url: ... }, or leave push out", path);
            bad = 1;
        }
    } else {
        fail_at(c, mark_of(n), "%s: expected a mapping { url: ... } or a list of them, got %s",
                path, kind_name(n));
        bad = 1;
    }
    for (int i = 0; i < count; i++) {
        ConfPush *t = &out->push[i];
        SectionState est;
        char epath[200];

        if (list)
            snprintf(epath, sizeof(epath), "%s[%d]", path, i + 1);
        else
            snprintf(epath, sizeof(epath), "%s", path);
        t->line = mark_of(elems[i]).line;
        t->column = mark_of(elems[i]).col;
        /* a single target's messages point at its key, as a section's do */
        conf_walk_section(c, elems[i], o->sub, t, epath,
                          list ? mark_of(elems[i]) : st->key[o - st->sec->options], &est);
        if (est.bad) {
            bad = 1;
            continue;
        }
        for (int j = 0; j < i; j++) {
            if (t->url && out->push[j].url && !strcmp(t->url, out->push[j].url)) {
                fail_at(c, mark_of(elems[i]), "%s: url %s is also target %d's (line %d)", epath,
                        t->url, j + 1, out->push[j].line);
                bad = 1;
            }
            /* a name labels one target's metrics and events */
            if (t->name && out->push[j].name && !strcmp(t->name, out->push[j].name)) {
                fail_at(c, est.val[conf_opt_index(o->sub, "name")], "%s.name: %s is also target "
                        "%d's (line %d)", epath, t->name, j + 1, out->push[j].line);
                bad = 1;
            }
        }
    }
    out->nb_push = count;
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}

static int valid_source_name(const char *s)
{
    return conf_match_chars(s, "-_", 0) && strlen(s) <= NAME_MAX_LEN;
}

void conf_read_sources(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n)
{
    ChannelConf *conf = c->conf;
    char path[200];
    int total, bad = 0;

    conf_key_path(path, sizeof(path), st, o->key);
    if (n->type != YAML_MAPPING_NODE) {
        fail_at(c, mark_of(n), "%s: expected a mapping of NAME: { generate | file | url ... }, "
              "got %s", path, kind_name(n));
        st->bad |= 1u << (o - st->sec->options);
        c->sources_bad = 1;
        return;
    }
    total = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (total > MAX_SOURCES) {
        fail_at(c, mark_of(n), "%s: too many sources (at most %d)", path, MAX_SOURCES);
        total = MAX_SOURCES;
        bad = 1;
    }
    conf->sources = calloc(total ? total : 1, sizeof(*conf->sources));
    c->source_st = calloc(total ? total : 1, sizeof(*c->source_st));
    if (!conf->sources || !c->source_st) {
        c->nomem = 1;
        return;
    }
    /* names first, so that a source in error is still known to the schedule */
    for (int i = 0; i < total; i++) {
        yaml_node_pair_t *p = n->data.mapping.pairs.start + i;
        yaml_node_t *k = node_at(c, p->key);
        ConfSource *s = &conf->sources[conf->nb_sources];
        const char *name;
        int dup = 0;

        if (!k)
            continue;
        if (k->type != YAML_SCALAR_NODE || is_null(k)) {
            fail_at(c, mark_of(k), "%s: a source's name must be a word, not %s", path, kind_name(k));
            bad = 1;
            continue;
        }
        name = (const char *)k->data.scalar.value;
        if (!valid_source_name(name) || strlen(name) != k->data.scalar.length) {
            fail_at(c, mark_of(k), "%s: '%s' is not a source name (letters, digits, '-' and '_', "
                  "at most %d)", path, name, NAME_MAX_LEN);
            bad = 1;
            continue;
        }
        for (int j = 0; j < conf->nb_sources; j++) {
            if (!strcmp(conf->sources[j].name, name)) {
                fail_at(c, mark_of(k), "%s: duplicate source '%s' (first defined at line %d, "
                      "column %d)", path, name, conf->sources[j].line, conf->sources[j].column);
                dup = 1;
            }
        }
        if (dup) {
            bad = 1;
            continue;
        }
        if (conf_set_string(c, &s->name, name) < 0)
            return;
        s->line = mark_of(k).line;
        s->column = mark_of(k).col;
        s->backup_source = -1;
        c->source_st[conf->nb_sources].where = mark_of(k);
        c->source_st[conf->nb_sources].node[0] = node_at(c, p->value);  /* stashed for below */
        conf->nb_sources++;
    }
    for (int i = 0; i < conf->nb_sources; i++) {
        ConfSource *s = &conf->sources[i];
        SectionState *ss = &c->source_st[i];
        yaml_node_t *v = ss->node[0];
        Mark where = ss->where;
        char spath[240];

        snprintf(spath, sizeof(spath), "%s.%s", path, s->name);
        if (!v || is_null(v) || v->type != YAML_MAPPING_NODE) {
            if (v && !is_null(v))
                fail_at(c, mark_of(v), "%s: expected a mapping ({ generate: testsrc }, { file: "
                      "PATH }, { url: URL }), got %s", spath, kind_name(v));
            else
                fail_at(c, where, "%s: empty: give one of generate, file or url", spath);
            memset(ss, 0, sizeof(*ss));
            ss->bad = ~0u;
            bad = 1;
            conf_apply_defaults(c, o->sub, s);
            continue;
        }
        conf_walk_section(c, v, o->sub, s, spath, where, ss);
        if (ss->bad)
            bad = 1;
    }
    /* backups can name any source, so they are resolved once all are known */
    for (int i = 0; i < conf->nb_sources; i++) {
        ConfSource *s = &conf->sources[i];
        SectionState *ss = &c->source_st[i];
        int bi = conf_opt_index(o->sub, "backup");
        char err[512], bpath[240];

        if (!s->backup || (ss->bad & (1u << bi)))
            continue;
        snprintf(bpath, sizeof(bpath), "%s.%s.backup", path, s->name);
        if (strstr(s->backup, "://")) {
            if (conf_valid_url(s->backup, conf_source_schemes, err, sizeof(err)) < 0) {
                fail_at(c, ss->val[bi], "%s: %s", bpath, err);
                bad = 1;
            }
            continue;
        }
        for (int j = 0; j < conf->nb_sources; j++)
            if (!strcmp(conf->sources[j].name, s->backup))
                s->backup_source = j;
        if (s->backup_source == i) {
            fail_at(c, ss->val[bi], "%s: a source cannot be its own backup", bpath);
            bad = 1;
        } else if (s->backup_source < 0) {
            fail_at(c, ss->val[bi], "%s: '%s' is neither a URL nor a source defined under sources",
                  bpath, s->backup);
            bad = 1;
        }
    }
    if (!total) {
        fail_at(c, mark_of(n), "%s: empty: define at least one source", path);
        bad = 1;
    }
    if (bad) {
        st->bad |= 1u << (o - st->sec->options);
        c->sources_bad = 1;
    }
}

static void check_collisions(Ctx *c, const char *path)
{
    ChannelConf *conf = c->conf;
    const Tz *tz = conf->tz;
    int ai = conf_opt_index(&conf_item_sec, "at");

    /* Items are few (a schedule, not a log); pairs are fine up to a few
     * thousand, which MAX_ITEMS bounds. */
    for (int i = 0; i < conf->schedule.nb_items; i++) {
        ConfItem *a = &conf->schedule.items[i];
        if (!a->at_kind || (c->item_st[i].bad & (1u << ai)))
            continue;
        for (int j = 0; j < i; j++) {
            ConfItem *b = &conf->schedule.items[j];
            int clash = 0;

            if (!b->at_kind || (c->item_st[j].bad & (1u << ai)))
                continue;
            if (a->at_kind == b->at_kind) {
                clash = a->at == b->at;
            } else if (tz) {
                /* an absolute time that falls on a daily item's occurrence that day */
                const ConfItem *abs_it = a->at_kind == CONF_AT_ABSOLUTE ? a : b;
                const ConfItem *day_it = a->at_kind == CONF_AT_DAILY ? a : b;
                TzLocal l;
                int64_t day;

                tz_to_local(tz, abs_it->at, &l);
                day = civil_to_days(l.year, l.month, l.day);
                for (int64_t d = day - 1; d <= day + 1 && !clash; d++)
                    clash = tz_local_to_utc(tz, d * 86400 * US + day_it->at, NULL) == abs_it->at;
            }
            if (clash) {
                fail_at(c, c->item_st[i].val[ai], "%s[%d].at: starts at the same time as item %d "
                      "(line %d): two items cannot start at once", path, i + 1, j + 1,
                      c->item_st[j].val[ai].line);
                break;
            }
        }
    }
}

/* Every break gets its id (given, else break-N), and no two breaks share
 * one: the as-run log and the playlists name a break by it. -1 when two
 * do (said at the later one's id, or at its item when that id is derived). */
static int check_break_ids(Ctx *c, const char *path)
{
    ConfSchedule *sch = &c->conf->schedule;
    int ii = conf_opt_index(&conf_item_sec, "id"), ret = 0;

    for (int i = 0; i < sch->nb_items; i++) {
        ConfItem *it = &sch->items[i];
        char id[32];

        if (!it->is_break || it->break_id || (c->item_st[i].bad & (1u << ii)))
            continue;
        snprintf(id, sizeof(id), "%s%d", CONF_BREAK_ID_PREFIX, i + 1);
        if (conf_set_string(c, &it->break_id, id) < 0)
            return -1;
    }
    /* pairs: a schedule's breaks are few (MAX_ITEMS bounds them) */
    for (int i = 0; i < sch->nb_items; i++) {
        const ConfItem *a = &sch->items[i];
        const SectionState *sa = &c->item_st[i];
        int a_given = (sa->given & (1u << ii)) != 0;

        if (!a->is_break || !a->break_id)
            continue;
        for (int j = 0; j < i; j++) {
            const ConfItem *b = &sch->items[j];
            int b_given = (c->item_st[j].given & (1u << ii)) != 0;

            if (!b->is_break || !b->break_id || strcmp(a->break_id, b->break_id))
                continue;
            if (a_given)
                fail_at(c, sa->val[ii], "%s[%d].id: break id '%s' is item %d's %s(line %d): "
                        "a break's id is unique in the channel", path, i + 1, a->break_id, j + 1,
                        b_given ? "too " : "default id ", b->line);
            else
                /* a derived id that an earlier break gives: that one is to change */
                fail_at(c, c->item_st[j].val[ii], "%s[%d].id: break id '%s' is item %d's default "
                        "id (line %d): a break's id is unique in the channel", path, j + 1,
                        b->break_id, i + 1, a->line);
            ret = -1;
            break;
        }
    }
    return ret;
}

void conf_read_items(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfSchedule *sch)
{
    char path[200];
    int total, bad = 0;

    conf_key_path(path, sizeof(path), st, o->key);
    if (n->type != YAML_SEQUENCE_NODE) {
        fail_at(c, mark_of(n), "%s: expected a list of items (- { source: NAME, duration: 30s }), "
              "got %s", path, kind_name(n));
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    total = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (total > MAX_ITEMS) {
        fail_at(c, mark_of(n), "%s: too many items (at most %d)", path, MAX_ITEMS);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    if (!total) {
        fail_at(c, mark_of(n), "%s: empty: give at least one item", path);
        st->bad |= 1u << (o - st->sec->options);
        return;
    }
    sch->items = calloc(total, sizeof(*sch->items));
    c->item_st = calloc(total, sizeof(*c->item_st));
    if (!sch->items || !c->item_st) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < total; i++) {
        yaml_node_t *e = node_at(c, n->data.sequence.items.start[i]);
        ConfItem *it = &sch->items[sch->nb_items];
        SectionState *ist = &c->item_st[sch->nb_items];
        char ipath[240];

        if (!e)
            continue;
        snprintf(ipath, sizeof(ipath), "%s[%d]", path, i + 1);
        it->source = -1;
        it->line = mark_of(e).line;
        it->column = mark_of(e).col;
        sch->nb_items++;
        if (e->type != YAML_MAPPING_NODE) {
            fail_at(c, mark_of(e), "%s: expected an item ({ source: NAME, duration: 30s }), got %s",
                  ipath, kind_name(e));
            ist->bad = ~0u;
            bad = 1;
            continue;
        }
        conf_walk_section(c, e, o->sub, it, ipath, mark_of(e), ist);
        if (ist->bad)
            bad = 1;
    }
    if (!c->nomem && check_break_ids(c, path) < 0)
        bad = 1;
    check_collisions(c, path);
    if (bad)
        st->bad |= 1u << (o - st->sec->options);
}
