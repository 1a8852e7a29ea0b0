/*
 * onair check: loads channel configs the way `onair run` will, prints their
 * problems as a compiler does (FILE:LINE:COL: error: ...), and for a config
 * without errors the timeline it resolves to, with warnings for the slate
 * and for items cut short; then, given several, what `onair run` would
 * refuse in them together (conf_check_together). It reads the configs and
 * the zone files only: it binds no port and writes no file.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/common.h"
#include "conf/conf.h"
#include "sink/sink.h"
#include "schedule/schedule.h"

#define DEFAULT_SPAN (24LL * 3600 * 1000000)
#define MAX_TIMELINE_WARNINGS 20

typedef struct CheckOptions {
    int64_t from;        /* when have_from, else now */
    int64_t span;
    int have_from, quiet, all;
} CheckOptions;

static void print_help(void)
{
    printf("usage: onair check [options] CHANNEL.yaml [CHANNEL.yaml ...]\n"
           "       onair check --reference[=markdown|man]\n"
           "\n"
           "Validates channel configs as `onair run` would, printing each problem as\n"
           "FILE:LINE:COL: error|warning: ..., then the timeline each resolves to (local and\n"
           "UTC times), with warnings for gaps (the slate airs) and items cut short.\n"
           "Ad breaks show as BREAK TITLE (LENGTH, id ID), their source (slate) or the one given.\n"
           "Several configs are also checked as one `onair run` of them all: no channel id\n"
           "or output.dir twice, and channels on one listen address give its server's\n"
           "limits (output.serve) once or alike.\n"
           "Exit status: 0 valid (warnings allowed), 1 errors, 2 usage error. Reads only:\n"
           "binds no port, writes no file.\n"
           "\n"
           "      --from TIME     start the timeline at TIME, as if the channel started then\n"
           "                      (ISO 8601 with zone, 2026-11-25T12:00:00Z; default: now)\n"
           "      --for DUR       how much timeline to print (default 24h)\n"
           "      --all           print every entry, also loops that repeat unchanged\n"
           "  -q, --quiet         only problems, no timeline\n"
           "      --reference     print every config key (type, default, range, meaning)\n"
           "                      as markdown, as in docs/config-reference.md\n"
           "      --reference=man the same as the onair-channel(5) man page (roff)\n");
}

/* "2026-11-25 13:00:00 CET", with milliseconds only when there are any. */
static void fmt_local(char *buf, size_t size, const Tz *tz, int64_t t, int date)
{
    TzLocal l;
    char ms[16] = "";

    tz_to_local(tz, t, &l);
    if (l.usec)
        snprintf(ms, sizeof(ms), ".%03d", l.usec / 1000);
    if (date)
        snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d%s %s", l.year, l.month, l.day,
                 l.hour, l.minute, l.second, ms, l.abbr);
    else
        snprintf(buf, size, "%02d:%02d:%02d%s %s", l.hour, l.minute, l.second, ms, l.abbr);
}

/* tz NULL: the same UTC day */
static int same_local_day(const Tz *tz, int64_t a, int64_t b)
{
    TzLocal la, lb;
    if (!tz)
        return clock_floor_div(a, 86400000000LL) == clock_floor_div(b, 86400000000LL);
    tz_to_local(tz, a, &la);
    tz_to_local(tz, b, &lb);
    return la.year == lb.year && la.month == lb.month && la.day == lb.day;
}

/* Warnings about the timeline, in the loader's format, capped. */
typedef struct Warner {
    const char *file;
    int count;
} Warner;

static void __attribute__((format(printf, 4, 5)))
twarn(Warner *w, int line, int col, const char *fmt, ...)
{
    va_list ap;

    if (++w->count > MAX_TIMELINE_WARNINGS)
        return;
    if (line > 0)
        fprintf(stderr, "%s:%d:%d: warning: ", w->file, line, col);
    else
        fprintf(stderr, "%s: warning: ", w->file);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void timeline_warnings(const ChannelConf *conf, const Timeline *tl, int64_t to, Warner *w)
{
    const ConfItem *items = conf->schedule.items;
    char a[64], b[64], d[32], e[32];

    for (int i = 0; i < tl->count; i++) {
        const ScheduleEntry *en = &tl->entries[i];
        if (en->flags & SCHEDULE_GAP) {
            const ConfItem *before = i > 0 && tl->entries[i - 1].item >= 0 ?
                                     &items[tl->entries[i - 1].item] : NULL;
            clock_format_utc(en->start, CLOCK_UTC_DATE, a, sizeof(a));
            if (en->flags & SCHEDULE_OPEN_END) {
                twarn(w, before ? before->line : 0, before ? before->column : 0,
                      "from %s nothing is scheduled: the slate airs from then on%s", a,
                      conf->schedule.loop ? "" : " (schedule.loop is false)");
            } else {
                clock_format_utc(en->end, CLOCK_UTC_DATE, b, sizeof(b));
                format_duration(d, sizeof(d), en->end - en->start);
                twarn(w, before ? before->line : 0, before ? before->column : 0,
                      "gap from %s to %s (%s): the slate airs", a, b, d);
            }
        }
        if ((en->flags & SCHEDULE_CUT_SHORT) && i + 1 < tl->count && en->end < to) {
            const ScheduleEntry *nx = &tl->entries[i + 1];
            const ConfItem *it = &items[en->item];
            clock_format_utc(en->end, CLOCK_UTC_DATE, a, sizeof(a));
            format_duration(d, sizeof(d), en->end - en->start + en->offset);
            format_duration(e, sizeof(e), it->duration);
            twarn(w, it->line, it->column, "'%s' is cut short at %s by '%s' (line %d): %s of %s airs",
                  en->title, a, nx->title ? nx->title : "?",
                  nx->item >= 0 ? items[nx->item].line : 0, d, e);
        }
        if (en->flags & SCHEDULE_DST_SHIFTED) {
            const ConfItem *it = &items[en->item];
            fmt_local(a, sizeof(a), conf->tz, en->start, 1);
            twarn(w, it->line, it->column, "'%s': its time does not exist on that day in %s "
                  "(clocks go forward); it airs at %s", en->title, conf->timezone, a);
        }
        if (en->flags & SCHEDULE_DST_AMBIGUOUS) {
            const ConfItem *it = &items[en->item];
            fmt_local(a, sizeof(a), conf->tz, en->start, 1);
            twarn(w, it->line, it->column, "'%s': its time happens twice on that day in %s "
                  "(clocks go back); it airs once, at the first, %s", en->title, conf->timezone, a);
        }
    }
    if (w->count > MAX_TIMELINE_WARNINGS)
        fprintf(stderr, "%s: warning: %d more timeline warnings not shown\n", w->file,
                w->count - MAX_TIMELINE_WARNINGS);
}

/* Whether entries j.. are one whole, untouched pass through the loop. */
static int whole_loop(const Timeline *tl, int j, const int *chain, int m)
{
    if (m <= 0 || j < 0 || j + m > tl->count)
        return 0;
    for (int k = 0; k < m; k++)
        if (tl->entries[j + k].item != chain[k] || (tl->entries[j + k].flags & ~SCHEDULE_BREAK))
            return 0;
    return 1;
}

/* One printed line of the timeline: its columns, aligned when printed. */
typedef struct Row {
    char local[96], utc[96], source[80], title[400];
} Row;

static void fill_row(const ChannelConf *conf, const ScheduleEntry *en, Row *r)
{
    char a[40], b[40], d[32], notes[160] = "";
    int n = 0;

    fmt_local(a, sizeof(a), conf->tz, en->start, 1);
    if (en->flags & SCHEDULE_OPEN_END)
        snprintf(b, sizeof(b), "...");
    else
        fmt_local(b, sizeof(b), conf->tz, en->end, !same_local_day(conf->tz, en->start, en->end));
    snprintf(r->local, sizeof(r->local), "%s - %s", a, b);
    clock_format_utc(en->start, CLOCK_UTC_DATE, a, sizeof(a));
    if (en->flags & SCHEDULE_OPEN_END)
        snprintf(b, sizeof(b), "...");
    else
        clock_format_utc(en->end, same_local_day(NULL, en->start, en->end) ? 0 : CLOCK_UTC_DATE, b,
                         sizeof(b));
    snprintf(r->utc, sizeof(r->utc), "%s - %s", a, b);
    snprintf(r->source, sizeof(r->source), "%s", en->source >= 0 ? conf->sources[en->source].name
                                                                 : "(slate)");
#define NOTE(...) (n += snprintf(notes + n, n < (int)sizeof(notes) ? sizeof(notes) - n : 0, __VA_ARGS__))
    if (en->flags & SCHEDULE_DAILY)
        NOTE(" [daily]");
    else if (en->flags & SCHEDULE_AT)
        NOTE(" [at]");
    if (en->flags & SCHEDULE_JOINED) {
        format_duration(d, sizeof(d), en->offset);
        NOTE(" [joined %s in]", d);
    }
    if (en->flags & SCHEDULE_CUT_SHORT)
        NOTE(" [cut short]");
    if (en->flags & SCHEDULE_DST_SHIFTED)
        NOTE(" [DST: moved later]");
    if (en->flags & SCHEDULE_DST_AMBIGUOUS)
        NOTE(" [DST: first of two]");
#undef NOTE
    if (en->flags & SCHEDULE_BREAK) {
        /* its length as written, and the id the as-run log and the playlists name it by */
        const ConfItem *it = &conf->schedule.items[en->item];
        format_duration(d, sizeof(d), it->duration);
        snprintf(r->title, sizeof(r->title), "BREAK %s (%s, id %s)%s", en->title, d,
                 it->break_id ? it->break_id : "?", notes);
        return;
    }
    snprintf(r->title, sizeof(r->title), "%s%s", en->title ? en->title : "slate", notes);
}

static int print_timeline(const ChannelConf *conf, const Timeline *tl, const CheckOptions *o)
{
    Row *rows = calloc(tl->count + 1, sizeof(*rows));
    int *chain = calloc(conf->schedule.nb_items, sizeof(*chain));
    int nrows = 0, m = 0, wl = 5, wu = 3, ws = 6;
    char head[96];

    if (!rows || !chain) {
        free(rows);
        free(chain);
        return AVERROR(ENOMEM);
    }
    /* one pass through the loop, to fold passes that repeat unchanged */
    if (conf->schedule.loop)
        for (int i = 0; i < conf->schedule.nb_items; i++)
            if (conf->schedule.items[i].at_kind == CONF_AT_NONE)
                chain[m++] = i;
    for (int i = 0; i < tl->count;) {
        Row *r = &rows[nrows++];
        if (!o->all && whole_loop(tl, i, chain, m) && whole_loop(tl, i - m, chain, m)) {
            char a[64];
            int j = i, k = 0;
            while (whole_loop(tl, j, chain, m)) {
                j += m;
                k++;
            }
            fmt_local(a, sizeof(a), conf->tz, tl->entries[j - 1].end, 1);
            snprintf(r->local, sizeof(r->local), "...");
            snprintf(r->title, sizeof(r->title), "(the loop above runs %d more time%s, until %s)", k,
                     k == 1 ? "" : "s", a);
            i = j;
            continue;
        }
        fill_row(conf, &tl->entries[i], r);
        i++;
    }
    for (int i = 0; i < nrows; i++) {
        if ((int)strlen(rows[i].local) > wl)
            wl = (int)strlen(rows[i].local);
        if ((int)strlen(rows[i].utc) > wu)
            wu = (int)strlen(rows[i].utc);
        if ((int)strlen(rows[i].source) > ws)
            ws = (int)strlen(rows[i].source);
    }
    snprintf(head, sizeof(head), "LOCAL (%s)", conf->timezone);
    if ((int)strlen(head) > wl)
        wl = (int)strlen(head);
    printf("  %-*s  %-*s  %-*s  %s\n", wl, head, wu, "UTC", ws, "SOURCE", "TITLE");
    for (int i = 0; i < nrows; i++)
        printf("  %-*s  %-*s  %-*s  %s\n", wl, rows[i].local, wu, rows[i].utc, ws, rows[i].source,
               rows[i].title);
    free(rows);
    free(chain);
    return 0;
}

/* On success *keep is the conf, for the checks of the files together. */
static int check_one(const char *path, const CheckOptions *o, ChannelConf **keep)
{
    ChannelConf *conf = NULL;
    ConfReport report = { 0 };
    Timeline *tl = NULL;
    Warner w = { path, 0 };
    char a[64], b[64], span[32];
    int ret;
    int64_t from, to;

    ret = conf_load(&conf, path, &report);
    print_conf_report(&report);
    if (ret < 0) {
        if (report.errors)
            fprintf(stderr, "%s: %d error%s\n", path, report.errors, report.errors == 1 ? "" : "s");
        else
            fprintf(stderr, "%s: cannot load: %s\n", path, ERRSTR(ret));
        conf_report_clear(&report);
        return EXIT_ERROR;
    }
    conf_report_clear(&report);
    /* The open files are the host's, not the file's: judged here, on the
     * machine the channel is checked on, and again by the server when it
     * starts (where it lowers the limit the same way and logs it). */
    if (conf->output.serve.connections > server_connections_allowed())
        fprintf(stderr, "%s:%d:%d: warning: output.serve.connections: %d is more than the open "
                "files allow here (ulimit -n, which onair raises to its hard limit): the server "
                "will allow %d\n", path, conf->output.serve.connections_line,
                conf->output.serve.connections_column, conf->output.serve.connections,
                server_connections_allowed());

    from = o->have_from ? o->from : clock_wall_us() / 1000000 * 1000000;
    to = from + o->span;
    ret = schedule_resolve(conf, from, from, to, &tl);
    if (ret < 0) {
        fprintf(stderr, "%s: error: cannot resolve the timeline: %s\n", path, ERRSTR(ret));
        conf_free(&conf);
        return EXIT_ERROR;
    }
    if (!o->quiet) {
        char fps[16];
        format_fps(fps, sizeof(fps), conf->video.fps);
        printf("%s: channel '%s' (\"%s\"): %dx%d at %s fps; ladder", path, conf->channel,
               conf->title, conf->video.width, conf->video.height, fps);
        for (int i = 0; i < conf->nb_rungs; i++)
            printf("%s %s", i ? "," : "", conf->ladder[i].name);
        printf("; %d source%s, %d item%s; time zone %s\n", conf->nb_sources,
               conf->nb_sources == 1 ? "" : "s", conf->schedule.nb_items,
               conf->schedule.nb_items == 1 ? "" : "s", conf->timezone);
        fmt_local(a, sizeof(a), conf->tz, from, 1);
        clock_format_utc(from, CLOCK_UTC_DATE, b, sizeof(b));
        format_duration(span, sizeof(span), o->span);
        printf("timeline for %s from %s (%s), the channel starting then:\n", span, a, b);
        ret = print_timeline(conf, tl, o);
        fflush(stdout);
        if (ret < 0) {
            fprintf(stderr, "%s: error: %s\n", path, ERRSTR(ret));
            schedule_timeline_free(&tl);
            conf_free(&conf);
            return EXIT_ERROR;
        }
    }
    timeline_warnings(conf, tl, to, &w);
    schedule_timeline_free(&tl);
    *keep = conf;
    return EXIT_OK;
}

/* What `onair run` would refuse in the files together; prints it. */
static int check_together(ChannelConf *const *confs, int n)
{
    ConfReport report = { 0 };
    int ret = conf_check_together(confs, n, &report);

    print_conf_report(&report);
    conf_report_clear(&report);
    if (ret == AVERROR(ENOMEM))
        fprintf(stderr, "onair check: out of memory\n");
    return ret < 0 ? EXIT_ERROR : EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "from", required_argument, NULL, 'f' },
        { "for", required_argument, NULL, 's' },
        { "all", no_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },
        { "reference", optional_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    CheckOptions o = { .span = DEFAULT_SPAN };
    ChannelConf **confs;
    char err[512];
    int c, reference = 0, man = 0, status = EXIT_OK, nconf = 0;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': {
            enum ConfAtKind kind;
            if (conf_parse_at(optarg, &kind, &o.from, err, sizeof(err)) < 0)
                return usage_error("check", "--from: %s", err);
            if (kind != CONF_AT_ABSOLUTE)
                return usage_error("check", "--from: give a date and time with zone "
                                   "(2026-11-25T12:00:00Z), not '%s'", optarg);
            o.have_from = 1;
            break;
        }
        case 's':
            if (conf_parse_duration(optarg, &o.span, err, sizeof(err)) < 0)
                return usage_error("check", "--for: %s", err);
            if (o.span > 31LL * 24 * 3600 * 1000000)
                return usage_error("check", "--for: %s is more than 31 days", optarg);
            break;
        case 'a': o.all = 1; break;
        case 'q': o.quiet = 1; break;
        case 'r':
            reference = 1;
            if (optarg && strcmp(optarg, "markdown") && strcmp(optarg, "man"))
                return usage_error("check", "--reference=%s: markdown or man expected", optarg);
            man = optarg && !strcmp(optarg, "man");
            break;
        case 'h':
            print_help();
            return EXIT_OK;
        case ':':
            return usage_error("check", "%s needs a value", argv[optind - 1]);
        default:
            return usage_error("check", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (reference) {
        Buf b = { 0 };
        if (optind < argc)
            return usage_error("check", "--reference takes no CHANNEL.yaml");
        if ((man ? conf_reference_man(&b, ONAIR_VERSION) : conf_reference_markdown(&b)) < 0) {
            buf_free(&b);
            fprintf(stderr, "onair check: out of memory\n");
            return EXIT_ERROR;
        }
        fwrite(b.data, 1, b.len, stdout);
        buf_free(&b);
        return fflush(stdout) ? EXIT_ERROR : EXIT_OK;
    }
    if (optind >= argc)
        return usage_error("check", "CHANNEL.yaml is missing");
    confs = calloc(argc - optind, sizeof(*confs));
    if (!confs) {
        fprintf(stderr, "onair check: out of memory\n");
        return EXIT_ERROR;
    }
    for (int i = optind; i < argc; i++) {
        if (i > optind && !o.quiet)
            printf("\n");
        if (check_one(argv[i], &o, &confs[nconf]) != EXIT_OK)
            status = EXIT_ERROR;
        else
            nconf++;
    }
    fflush(stdout);
    if (nconf > 1 && check_together(confs, nconf) != EXIT_OK)
        status = EXIT_ERROR;
    for (int i = 0; i < nconf; i++)
        conf_free(&confs[i]);
    free(confs);
    return status;
}
