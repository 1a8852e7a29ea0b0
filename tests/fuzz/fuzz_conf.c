/*
 * libFuzzer target: the channel config loader, and the timeline of every
 * config it accepts. Beyond the sanitizers it checks the loader's contract
 * (a conf only without errors; messages with places) and the timeline's
 * (entries back to back, covering the window), and the checks of channels
 * together on a config given twice, so a wrong answer is a crash too.
 *
 *   fuzz_conf -max_total_time=60 -dict=tests/fuzz/conf.dict CORPUS tests/fuzz/corpus/conf
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/error.h>

#include "conf/conf.h"
#include "schedule/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOUR (3600LL * 1000000)

static void check_timeline(const ChannelConf *conf, int64_t start, int64_t from, int64_t to)
{
    Timeline *tl = NULL;
    int ret = schedule_resolve(conf, start, from, to, &tl);

    if (ret == AVERROR(ENOMEM) || ret == AVERROR(E2BIG))
        return;
    if (ret < 0 || !tl || !tl->count)
        abort();
    if (tl->entries[0].start > (from > start ? from : start) || tl->entries[tl->count - 1].end < to)
        abort();
    for (int i = 0; i < tl->count; i++) {
        const ScheduleEntry *e = &tl->entries[i];
        if (e->start >= e->end || (i && e->start != tl->entries[i - 1].end))
            abort();
        if ((e->item < 0) != !!(e->flags & SCHEDULE_GAP) || e->item >= conf->schedule.nb_items)
            abort();
        if (e->item >= 0 && (e->source != conf->schedule.items[e->item].source || !e->title))
            abort();
        /* a break's entries, and only those, are BREAK; each break has its id;
         * only a break airs the slate as an item */
        if (!!(e->flags & SCHEDULE_BREAK) != (e->item >= 0 && conf->schedule.items[e->item].is_break))
            abort();
        if ((e->flags & SCHEDULE_BREAK) && !conf->schedule.items[e->item].break_id)
            abort();
        if (e->item >= 0 && e->source < 0 && !(e->flags & SCHEDULE_BREAK))
            abort();
    }
    schedule_timeline_free(&tl);
}

/* The same channel given twice: its id is used twice, and that is all there
 * is to say; its server is the first's. */
static void check_together(ChannelConf *conf)
{
    ChannelConf *const twice[2] = { conf, conf };
    ConfReport report = { 0 };
    ConfServer srv;
    int ret = conf_check_together(twice, 2, &report);

    if (ret != AVERROR(ENOMEM) &&
        (ret != AVERROR(EINVAL) || report.errors != 1 || report.count != 1 || !report.messages[0].file))
        abort();
    if (conf_server_of(twice, 2, 1, &srv) != (conf->output.serve.listen ? 0 : -1))
        abort();
    conf_report_clear(&report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ChannelConf *conf = NULL;
    ConfReport report = { 0 };
    char line[2048];
    int ret;

    /* base_dir NULL: nothing is looked up on disk but the time zone */
    ret = conf_load_string(&conf, (const char *)data, size, "fuzz.yaml", NULL, &report);
    if ((ret >= 0) != (conf != NULL) || (ret >= 0 && report.errors) ||
        (ret == AVERROR(EINVAL) && !report.errors))
        abort();
    for (int i = 0; i < report.count; i++) {
        if (!report.messages[i].text || report.messages[i].line < 0 || report.messages[i].column < 0)
            abort();
        conf_message_format(&report, &report.messages[i], line, sizeof(line));
    }
    if (conf) {
        /* 2026-03-29T00:00:00Z, a night clocks change in Europe; and a year on */
        int64_t t0 = 1774742400LL * 1000000;
        check_timeline(conf, t0, t0, t0 + 3 * HOUR);
        check_timeline(conf, t0, t0 + 8760 * HOUR, t0 + 8761 * HOUR);
        check_together(conf);
    }
    conf_free(&conf);
    conf_report_clear(&report);
    return 0;
}
