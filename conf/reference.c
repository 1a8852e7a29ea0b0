/*
 * docs/config-reference.md, generated from the option tables: every key
 * with its type, default, range and help. Apart because it only reads the
 * tables and nothing that loads a config calls it.
 */
#include "internal.h"

#include <stdio.h>

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

static void ref_section(Buf *b, const Section *sec, const char *prefix)
{
    for (const Option *o = sec->options; o->key; o++) {
        char key[160];

        snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", o->key);
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
        if (o->type == OT_SECTION || o->type == OT_PUSH) {
            ref_section(b, o->sub, key);
        } else if (o->sub) {
            char sub[180];
            snprintf(sub, sizeof(sub), "%s%s", key, o->type == OT_SOURCES ? ".NAME" : "[]");
            ref_section(b, o->sub, sub);
        }
    }
}

int conf_reference_markdown(Buf *out)
{
    buf_printf(out,
        "# Channel config reference (schema version %d)\n"
        "\n"
        "Generated by `onair check --reference` from the option tables in `conf/options.c`;\n"
        "do not edit by hand (a test compares this file with the command's output).\n"
        "\n"
        "A channel is one YAML file; `onair check CHANNEL.yaml` validates it and prints its\n"
        "timeline. Errors name `file:line:column`; list items are counted from 1 in messages.\n"
        "Durations are written `500ms`, `2s`, `30m`, `1h`, `1h30m`; bitrates `800k`, `5M`.\n"
        "Relative paths resolve against the config file's folder. A key not given takes its\n"
        "default; a *required* key inside an optional section is required only when the\n"
        "section is given.\n"
        "\n"
        "| Key | Type | Default | Range / values | Description |\n"
        "|---|---|---|---|---|\n", CONF_SCHEMA_VERSION);
    ref_section(out, &conf_channel_sec, "");
    buf_printf(out,
        "\n"
        "## Schedule semantics\n"
        "\n"
        "- An item without `at` follows the item before it in the list; the first such item\n"
        "  starts when the channel starts.\n"
        "- An item with `at` starts at that instant and cuts short whatever is on air; the\n"
        "  items after it in the list follow it.\n"
        "- With `schedule.loop: true`, after the last item the list starts again from its\n"
        "  first item without `at`; without it, the slate airs until the next `at`.\n"
        "- `at: \"HH:MM\"` with `repeat: daily` is in `timezone`. On the night clocks go\n"
        "  forward, a time that does not exist airs as late as the gap is long (02:30 becomes\n"
        "  03:30); on the night they go back, a time that happens twice airs at the first.\n"
        "- Time no item covers is slate.\n"
        "- An item with `break: LENGTH` instead of `duration` is an ad break: it airs like\n"
        "  any item (it follows the one before, or starts at its `at`, daily too), its\n"
        "  `source` (not given: the slate) airs for viewers whose ads are not replaced, and\n"
        "  every output marks it with SCTE-35 (`output.ad_markers`, `output.interstitials`).\n"
        "  A slate break is a break, not a gap.\n");
    return out->len ? 0 : AVERROR(ENOMEM);
}
