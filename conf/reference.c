/*
 * docs/config-reference.md and the onair-channel(5) man page, generated from
 * the option tables: every key with its type, default, range and help. The
 * prose around the keys is written here once, in markdown's inline marks
 * (`code`), and rendered in both. Apart because it only reads the tables and
 * nothing that loads a config calls it.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/error.h>

static const char *type_name(const Option *o)
{
    switch (o->type) {
    case OT_VERSION: return "integer";
    case OT_STRING: return "string";
    case OT_ID: return "id";
    case OT_RUNG_NAME: return "name";
    case OT_INT: return "integer";
    case OT_BOOL: return "boolean";
    case OT_LOUDNESS: return "LUFS";
    case OT_DURATION: return "duration";
    case OT_BITRATE: return "bitrate";
    case OT_ENUM: return "one of";
    case OT_FPS: return "frame rate";
    case OT_COLOR: return "colour";
    case OT_FILE: return "path (file)";
    case OT_DIR: return "path (folder)";
    case OT_URL: return "URL";
    case OT_BACKUP: return "URL or source name";
    case OT_LISTEN: return "HOST:PORT";
    case OT_ENV: return "variable name";
    case OT_TIMEZONE: return "time zone";
    case OT_AT: return "time";
    case OT_SOURCE_REF: return "source name";
    case OT_FORMATS: return "list of";
    case OT_SECTION: return "mapping";
    case OT_LADDER: return "list of rungs";
    case OT_SOURCES: return "mapping NAME: source";
    case OT_ITEMS: return "list of items";
    case OT_SIZE: return "size";
    case OT_HEADERS: return "mapping or list";
    case OT_URLS: return "URL or list of URLs";
    case OT_PUSH: return "mapping, or a list of them";
    case OT_CHOICES: return "list of";
    }
    return "?";
}

static void md_text(Buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_append(b, "\\|", 2);
        else
            buf_append(b, s, 1);
    }
}

static void ref_range(Buf *b, const Option *o)
{
    char lo[32], hi[32];
    int ch = 0;

    switch (o->type) {
    case OT_VERSION:
        buf_printf(b, "%d", CONF_SCHEMA_VERSION);
        break;
    case OT_STRING:
        buf_printf(b, "at most %.0f characters", o->max);
        break;
    case OT_ID:
        buf_printf(b, "`[a-z0-9-]+`, at most %.0f characters", o->max);
        break;
    case OT_RUNG_NAME:
        buf_printf(b, "`[A-Za-z0-9._-]+`, at most %d characters", RUNG_NAME_MAX - 1);
        break;
    case OT_INT:
        if (o->choices)
            ch = 1;
        else
            buf_printf(b, "%.0f – %.0f%s", o->min, o->max, (o->flags & OPT_EVEN) ? ", even" : "");
        break;
    case OT_LOUDNESS:
        buf_printf(b, "%.0f – %.0f", o->min, o->max);
        break;
    case OT_DURATION:
        format_duration(lo, sizeof(lo), (int64_t)o->min);
        format_duration(hi, sizeof(hi), (int64_t)o->max);
        buf_printf(b, "%s – %s", (o->flags & OPT_ZERO) ? "0" : lo, hi);
        break;
    case OT_BITRATE:
        conf_fmt_bitrate(lo, sizeof(lo), o->min);
        conf_fmt_bitrate(hi, sizeof(hi), o->max);
        buf_printf(b, "%s – %s", lo, hi);
        break;
    case OT_ENUM:
    case OT_FORMATS:
        ch = 1;
        break;
    case OT_CHOICES:
        if (o->flags & OPT_ZERO)
            buf_printf(b, "`[]` or ");
        ch = 1;
        break;
    case OT_FPS:
        for (size_t i = 0; i < sizeof(conf_frame_rates) / sizeof(conf_frame_rates[0]); i++)
            buf_printf(b, "%s`%s`", i ? ", " : "", conf_frame_rates[i].text);
        buf_printf(b, "; or N/D (`30000/1001`)");
        break;
    case OT_COLOR:
        buf_printf(b, "`\"#RRGGBB\"`, `\"#RGB\"`, a name");
        break;
    case OT_FILE:
        buf_printf(b, "must exist");
        break;
    case OT_URLS:
        buf_printf(b, "%.0f – %.0f; ", o->min, o->max);
        /* fall through */
    case OT_URL:
    case OT_BACKUP:
        buf_printf(b, "schemes: ");
        ch = 1;
        break;
    case OT_LISTEN:
        buf_printf(b, "port 1 – 65535");
        break;
    case OT_ENV:
        buf_printf(b, "`[A-Za-z_][A-Za-z0-9_]*`");
        break;
    case OT_TIMEZONE:
        buf_printf(b, "a tzdata zone");
        break;
    case OT_AT:
        buf_printf(b, "`HH:MM[:SS]` (with repeat: daily) or ISO 8601 with zone");
        break;
    case OT_LADDER:
    case OT_SOURCES:
        buf_printf(b, "%.0f – %.0f", o->min, o->max);
        break;
    case OT_ITEMS:
        buf_printf(b, "1 – %d", MAX_ITEMS);
        break;
    case OT_SIZE:
        conf_fmt_size(lo, sizeof(lo), o->min);
        conf_fmt_size(hi, sizeof(hi), o->max);
        buf_printf(b, "%s – %s", lo, hi);
        break;
    case OT_HEADERS:
        buf_printf(b, "at most %d", CONF_HEADERS_MAX);
        break;
    case OT_PUSH:
        buf_printf(b, "%.0f – %.0f targets", o->min, o->max);
        break;
    default:
        break;
    }
    if (ch)
        for (int i = 0; o->choices[i]; i++)
            buf_printf(b, "%s`%s`", i ? ", " : "", o->choices[i]);
}

/* One key of the reference; key is its full path ("ladder[].name"). */
typedef void (*RefRow)(Buf *b, const char *key, const Option *o);

static void ref_walk(Buf *b, const Section *sec, const char *prefix, RefRow row)
{
    for (const Option *o = sec->options; o->key; o++) {
        char key[160];

        snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", o->key);
        row(b, key, o);
        if (o->type == OT_SECTION || o->type == OT_PUSH) {
            ref_walk(b, o->sub, key, row);
        } else if (o->sub) {
            char sub[180];
            snprintf(sub, sizeof(sub), "%s%s", key, o->type == OT_SOURCES ? ".NAME" : "[]");
            ref_walk(b, o->sub, sub, row);
        }
    }
}

/* What both renderings say about a channel file, before the keys. */
static const char ref_about[] =
    "A channel is one YAML file; `onair check CHANNEL.yaml` validates it and prints its\n"
    "timeline. Errors name `file:line:column`; list items are counted from 1 in messages.\n"
    "Durations are written `500ms`, `2s`, `30m`, `1h`, `1h30m`; bitrates `800k`, `5M`.\n"
    "Relative paths resolve against the config file's folder. A key not given takes its\n"
    "default; a *required* key inside an optional section is required only when the\n"
    "section is given.\n";

/* ... and after them: how the schedule's items follow each other, one rule
 * a string (lines after the first are a list item's continuation). */
static const char *const schedule_rules[] = {
    "An item without `at` follows the item before it in the list; the first such item\n"
    "starts when the channel starts.",
    "An item with `at` starts at that instant and cuts short whatever is on air; the\n"
    "items after it in the list follow it.",
    "With `schedule.loop: true`, after the last item the list starts again from its\n"
    "first item without `at`; without it, the slate airs until the next `at`.",
    "`at: \"HH:MM\"` with `repeat: daily` is in `timezone`. On the night clocks go\n"
    "forward, a time that does not exist airs as late as the gap is long (02:30 becomes\n"
    "03:30); on the night they go back, a time that happens twice airs at the first.",
    "Time no item covers is slate.",
    "An item with `break: LENGTH` instead of `duration` is an ad break: it airs like\n"
    "any item (it follows the one before, or starts at its `at`, daily too), its\n"
    "`source` (not given: the slate) airs for viewers whose ads are not replaced, and\n"
    "every output marks it with SCTE-35 (`output.ad_markers`, `output.interstitials`).\n"
    "A slate break is a break, not a gap.",
};

/* ---- markdown (docs/config-reference.md) --------------------------------- */

static void md_row(Buf *b, const char *key, const Option *o)
{
    buf_printf(b, "| `%s` | %s | ", key, type_name(o));
    if (o->flags & OPT_REQUIRED)
        buf_printf(b, "*required*");
    else if (o->def)
        buf_printf(b, "`%s`", o->def);
    else
        buf_printf(b, "—");
    buf_printf(b, " | ");
    ref_range(b, o);
    buf_printf(b, " | ");
    md_text(b, o->help);
    buf_printf(b, " |\n");
}

int conf_reference_markdown(Buf *out)
{
    buf_printf(out,
        "# Channel config reference (schema version %d)\n"
        "\n"
        "Generated by `onair check --reference` from the option tables in `conf/options.c`;\n"
        "do not edit by hand (a test compares this file with the command's output).\n"
        "\n"
        "%s"
        "\n"
        "| Key | Type | Default | Range / values | Description |\n"
        "|---|---|---|---|---|\n", CONF_SCHEMA_VERSION, ref_about);
    ref_walk(out, &conf_channel_sec, "", md_row);
    buf_printf(out,
        "\n"
        "## Schedule semantics\n"
        "\n");
    for (size_t i = 0; i < sizeof(schedule_rules) / sizeof(schedule_rules[0]); i++) {
        buf_printf(out, "- ");
        for (const char *p = schedule_rules[i]; *p; p++)
            buf_printf(out, *p == '\n' ? "\n  " : "%c", *p);
        buf_printf(out, "\n");
    }
    return out->len ? 0 : AVERROR(ENOMEM);
}

/* ---- roff (the onair-channel(5) man page) -------------------------------- */

/* Source lines of the page are broken at a space where the next word would
 * pass this column (the help texts are long lines; man pages keep theirs
 * under 80). */
#define ROFF_WRAP 78

/* How long the word at s is once escaped (roff_text): a hyphen becomes two
 * bytes, a font change three. */
static size_t roff_word_len(const char *s)
{
    size_t n = 0;

    for (; *s && *s != ' ' && *s != '\n'; s++)
        n += *s == '-' || *s == '\\' ? 2 : *s == '`' || *s == '*' ? 3 : 1;
    return n;
}

/* text in roff: `code` in bold, *emphasis* in italics, the escape character
 * and hyphens escaped (a '-' is a minus in keys and values people type), a
 * control character at the start of a line made plain, and the dashes this
 * file writes in UTF-8 as roff's own (man pages are ASCII). */
static void roff_text(Buf *b, const char *s)
{
    int code = 0, em = 0, line_start = 1;
    size_t line = b->len;   /* where the current source line starts */

    while (line > 0 && b->data[line - 1] != '\n')
        line--;
    for (; *s; s++) {
        if (*s == ' ' && b->len - line + roff_word_len(s + 1) > ROFF_WRAP) {
            buf_printf(b, "\n");
            line = b->len;
            line_start = 1;
            continue;
        }
        if (line_start && (*s == '.' || *s == '\''))
            buf_printf(b, "\\&");
        line_start = 0;
        if (*s == '\\')
            buf_printf(b, "\\e");
        else if (*s == '-')
            buf_printf(b, "\\-");
        else if (*s == '`')
            buf_printf(b, (code = !code) ? "\\fB" : "\\fR");
        else if (*s == '*' && !code)
            buf_printf(b, (em = !em) ? "\\fI" : "\\fR");
        else if (!strncmp(s, "–", strlen("–")))
            buf_printf(b, "\\(en"), s += strlen("–") - 1;
        else if (!strncmp(s, "—", strlen("—")))
            buf_printf(b, "\\(em"), s += strlen("—") - 1;
        else if (*s == '\n')
            buf_printf(b, "\n"), line = b->len, line_start = 1;
        else
            buf_append(b, s, 1);
    }
}

static void man_row(Buf *b, const char *key, const Option *o)
{
    Buf range = { 0 };

    buf_printf(b, ".TP\n.B ");
    roff_text(b, key);
    buf_printf(b, "\n");
    roff_text(b, type_name(o));
    if (o->flags & OPT_REQUIRED) {
        buf_printf(b, "; \\fIrequired\\fR");
    } else if (o->def) {
        buf_printf(b, "; default \\fB");
        roff_text(b, o->def);
        buf_printf(b, "\\fR");
    }
    ref_range(&range, o);
    if (range.len) {
        buf_printf(b, "; ");
        buf_append(&range, "", 1);
        roff_text(b, (const char *)range.data);
    }
    buf_free(&range);
    buf_printf(b, "\n.br\n");
    roff_text(b, o->help);
    buf_printf(b, "\n");
}

int conf_reference_man(Buf *out, const char *version)
{
    /* the page's date: SOURCE_DATE_EPOCH where a reproducible build sets it */
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    time_t t = epoch && epoch[0] ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm tm;
    char date[32];

    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    buf_printf(out,
        ".\\\" Generated by `onair check --reference=man` from the option tables in\n"
        ".\\\" conf/options.c, as docs/config-reference.md is.\n"
        ".TH ONAIR\\-CHANNEL 5 %s \"onair %s\" \"File Formats\"\n"
        ".SH NAME\n"
        "onair\\-channel \\- channel configuration file of onair (YAML, schema version %d)\n"
        ".SH SYNOPSIS\n"
        ".I CHANNEL.yaml\n"
        ".SH DESCRIPTION\n", date, version, CONF_SCHEMA_VERSION);
    roff_text(out, ref_about);
    buf_printf(out, ".SH KEYS\n");
    ref_walk(out, &conf_channel_sec, "", man_row);
    buf_printf(out, ".SH SCHEDULE SEMANTICS\n");
    for (size_t i = 0; i < sizeof(schedule_rules) / sizeof(schedule_rules[0]); i++) {
        buf_printf(out, ".IP \\(bu 2\n");
        roff_text(out, schedule_rules[i]);
        buf_printf(out, "\n");
    }
    buf_printf(out,
        ".SH SEE ALSO\n"
        ".BR onair (1)\n");
    return out->len ? 0 : AVERROR(ENOMEM);
}
