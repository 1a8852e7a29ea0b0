/*
 * Internal to conf/ (its interface is conf.h): what the loader's files
 * share. The loader walks a YAML document (libyaml's document API) against
 * declarative option tables.
 *
 * Each section of the schema is one table of options (key, type, offset
 * into the section's struct, default, range, help; options.c). The same
 * tables apply the defaults, parse and range-check what was written, free
 * what was allocated (load.c, syntax.c), and print the reference
 * (reference.c), so a key exists in exactly one place. What a single option
 * cannot judge alone (one of generate/file/url, an `at` with its `repeat`,
 * a rung against the canvas, a source that is not defined, colliding `at`s)
 * is a section's check function (checks.c) or a collection's parser
 * (collections.c), which run with the places of every key at hand.
 *
 * Sections are processed in table order, not file order, so that what a key
 * refers to (the canvas for the ladder, the sources for the schedule) is
 * already known; the messages are sorted by place at the end (report.c).
 * The walk goes no deeper than the schema, so aliases (even cyclic ones)
 * cannot make it loop or blow up.
 *
 * What is declared here is global to the whole program's link, so it
 * carries the folder's prefix; fail_at and warn_at, on nearly every line
 * that judges something, are short macros over conf_report_add.
 */
#ifndef ONAIR_CONF_INTERNAL_H
#define ONAIR_CONF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "conf.h"

#define MAX_SOURCES 256
#define MAX_ITEMS 10000
#define MAX_OPTS 16
#define PATH_MAX_LEN 4096

#define US 1000000LL
#define NONE (-1.0)

typedef struct Mark {
    int line, col;
} Mark;

typedef enum OptType {
    OT_VERSION,     /* int, must be CONF_SCHEMA_VERSION */
    OT_STRING,      /* char *; max = longest */
    OT_ID,          /* char *, [a-z0-9-]+ */
    OT_RUNG_NAME,   /* char[RUNG_NAME_MAX] */
    OT_INT,         /* int; min..max or choices; OPT_EVEN */
    OT_BOOL,        /* int */
    OT_LOUDNESS,    /* double LUFS */
    OT_DURATION,    /* int64_t µs; OPT_ZERO allows 0 */
    OT_BITRATE,     /* int64_t bps */
    OT_ENUM,        /* const char * into choices */
    OT_FPS,         /* AVRational */
    OT_COLOR,       /* uint32_t 0xRRGGBB */
    OT_FILE,        /* char *, an existing file, resolved */
    OT_DIR,         /* char *, resolved, need not exist */
    OT_URL,         /* char *, scheme one of choices */
    OT_BACKUP,      /* char *, a URL or a source's name (checked once all are known) */
    OT_LISTEN,      /* char *, HOST:PORT */
    OT_ENV,         /* char *, an environment variable's name */
    OT_TIMEZONE,    /* char *, and loads ChannelConf.tz */
    OT_AT,          /* ConfItem.at_kind + at */
    OT_SOURCE_REF,  /* int, index of a source */
    OT_FORMATS,     /* unsigned ConfFormat bits */
    OT_SECTION,     /* a nested struct at offset, sub */
    OT_LADDER,      /* ChannelConf.ladder / nb_rungs, elements per sub */
    OT_SOURCES,     /* ChannelConf.sources / nb_sources, elements per sub */
    OT_ITEMS,       /* ConfSchedule.items / nb_items, elements per sub */
    OT_SIZE,        /* int64_t bytes: 512M, 2G (powers of 1024) */
    OT_HEADERS,     /* ConfHeaders: a mapping Name: value, or a list of "Name: value" */
    OT_PUSH,        /* ConfOutput.push / nb_push: one mapping, or a list of them, per sub */
    OT_URLS,        /* ConfUrls: a list of URLs, schemes as OT_URL (one alone may be written
                     * bare); min..max of them */
    OT_CHOICES,     /* unsigned, bit i = choices[i]: a list of them (one alone may be
                     * written bare); OPT_ZERO allows an empty list; default "a, b" */
} OptType;

enum {
    OPT_REQUIRED = 1 << 0,
    OPT_EVEN     = 1 << 1,
    OPT_ZERO     = 1 << 2,   /* a duration of 0, an empty OT_CHOICES list is allowed */
    OPT_NOSTORE  = 1 << 3,   /* checked, then read by the section's check */
    OPT_BASE_URL = 1 << 4,   /* OT_URL: paths are appended (no query, '/' added) */
};

typedef struct Ctx Ctx;
typedef struct Section Section;
typedef struct SectionState SectionState;

typedef struct Option {
    const char *key;
    OptType type;
    size_t offset;
    const char *def;              /* default, as a user would write it; NULL: none */
    double min, max;              /* range (µs for durations, bps for bitrates); NONE: unbounded */
    const char *const *choices;   /* NULL-terminated */
    const Section *sub;
    unsigned flags;
    const char *help;
} Option;

struct Section {
    const char *ref_path;         /* the keys' prefix in the reference */
    const Option *options;        /* up to a NULL key */
    /* cross-key checks, once every option of the section is parsed */
    void (*check)(Ctx *c, void *base, SectionState *st);
};

struct SectionState {
    const Section *sec;
    char path[200];               /* for messages: "video", "schedule.items[3]" */
    Mark where;                   /* the section's own place */
    Mark key[MAX_OPTS], val[MAX_OPTS];
    yaml_node_t *node[MAX_OPTS];  /* the value, NULL when not given */
    unsigned given, bad;
};

/* One load: the document, what it fills and where its messages go. */
struct Ctx {
    yaml_document_t *doc;
    ChannelConf *conf;
    ConfReport *report;
    const char *file;             /* what messages are about, when not the report's file */
    const char *base_dir;         /* NULL: no file system checks */
    int nomem;
    int video_bad;                /* the canvas could not be read */
    int sources_bad;
    int overflow;                 /* the report is full (report.c) */
    SectionState *source_st;      /* per source, for the checks after all are parsed */
    SectionState *item_st;        /* per item */
    Mark part;                    /* where output.low_latency.part is */
    Mark fps;                     /* where video.fps is; 0:0 when not given */
};

/* ---- report.c: messages ---- */

/* An error or a warning at m (0:0: about the whole file) into c->report. */
void __attribute__((format(printf, 4, 5)))
conf_report_add(Ctx *c, enum ConfSeverity sev, Mark m, const char *fmt, ...);
#define fail_at(c, ...) conf_report_add(c, CONF_ERROR, __VA_ARGS__)
#define warn_at(c, ...) conf_report_add(c, CONF_WARNING, __VA_ARGS__)
/* In place, stable: the messages in file order, like a compiler's. */
void conf_report_sort(ConfReport *r);
/* The last message: a note when some were not kept. */
void conf_report_finish(Ctx *c);

/* ---- syntax.c: scalars ---- */

typedef struct FrameRate {
    AVRational q;
    const char *text;
} FrameRate;

/* The rates video.fps accepts, as the reference lists them. */
#define NB_FRAME_RATES 8
extern const FrameRate conf_frame_rates[NB_FRAME_RATES];

const char *conf_nearest(const char *s, const char *const *names, int count);
void conf_fmt_bitrate(char *buf, size_t size, double bps);
void conf_fmt_size(char *buf, size_t size, double bytes);
/* Whether s is letters and digits (lowercase only if lower_only) or extra. */
int conf_match_chars(const char *s, const char *extra, int lower_only);
int conf_valid_url(const char *s, const char *const *schemes, char *err, size_t err_size);
/* *field = a copy of v; sets c->nomem when out of memory. */
int conf_set_string(Ctx *c, char **field, const char *v);
int conf_parse_text(Ctx *c, const Option *o, const char *text, void *field,
                    char *err, size_t err_size);

/* ---- options.c: the tables ---- */

extern const Section conf_channel_sec, conf_source_sec, conf_item_sec;
extern const char *const conf_source_schemes[], *const conf_push_schemes[];

/* The index of key in s, or -1. */
int conf_opt_index(const Section *s, const char *key);

/* ---- collections.c: what a key holds several of ---- */

/* OT_FORMATS and OT_CHOICES: a list of names (or one bare) into a mask. */
void conf_read_formats(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, unsigned *out);
/* An OT_CHOICES default ("skip, jump", "[daterange]") into its mask. */
unsigned conf_choices_mask(const char *const *choices, const char *text);
void conf_read_ladder(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n);
void conf_read_headers(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfHeaders *h);
void conf_read_push(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfOutput *out);
void conf_read_sources(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n);
void conf_read_items(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfSchedule *sch);
void conf_free_headers(ConfHeaders *h);
void conf_read_urls(Ctx *c, SectionState *st, const Option *o, yaml_node_t *n, ConfUrls *u);
void conf_free_urls(ConfUrls *u);

/* ---- checks.c: each section's check, once its options are parsed ---- */

void conf_check_video(Ctx *c, void *base, SectionState *st);
void conf_check_rung(Ctx *c, void *base, SectionState *st);
void conf_check_source(Ctx *c, void *base, SectionState *st);
void conf_check_item(Ctx *c, void *base, SectionState *st);
void conf_check_low_latency(Ctx *c, void *base, SectionState *st);
void conf_check_serve(Ctx *c, void *base, SectionState *st);
void conf_check_output(Ctx *c, void *base, SectionState *st);
void conf_check_interstitials(Ctx *c, void *base, SectionState *st);
void conf_check_push(Ctx *c, void *base, SectionState *st);
void conf_check_events(Ctx *c, void *base, SectionState *st);
void conf_check_redundancy(Ctx *c, void *base, SectionState *st);
void conf_check_channel(Ctx *c, void *base, SectionState *st);

/* ---- nodes ---- */

static inline Mark mark_of(const yaml_node_t *n)
{
    return (Mark){ (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
}

static inline yaml_node_t *node_at(Ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

static inline int is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* For messages. */
static inline const char *kind_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "a single value";
    }
}

/* ---- load.c: the walk ---- */

void conf_key_path(char *buf, size_t size, const SectionState *st, const char *key);
void conf_apply_defaults(Ctx *c, const Section *sec, void *base);
void conf_walk_section(Ctx *c, yaml_node_t *node, const Section *sec, void *base,
                       const char *path, Mark where, SectionState *st);

#endif
