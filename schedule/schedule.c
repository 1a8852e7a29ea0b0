/*
 * Timeline resolution. The state of a channel at any instant depends only
 * on the latest "anchor" before it: the latest `at` occurrence (which cuts
 * whatever was on air and restarts the chain of followers from itself), or
 * the channel's start. So resolution finds the anchor at or before `from`,
 * walks the chain from there, and jumps over whole loops of the list in one
 * step, which keeps it proportional to what it returns however long the
 * channel has been on air.
 */
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#define DAY_US (86400LL * 1000000)

/* One occurrence of an `at` item. Occurrences are ordered by (t, item): at
 * one instant the later item in the list wins. */
typedef struct Occ {
    int64_t t;
    int item;
    unsigned flags;
} Occ;

static int64_t daily_time(const ChannelConf *conf, const ConfItem *it, int64_t day,
                          unsigned *flags)
{
    enum TzLocalKind kind;
    int64_t t = tz_local_to_utc(conf->tz, day * DAY_US + it->at, &kind);

    *flags = SCHEDULE_AT | SCHEDULE_DAILY;
    if (kind == TZ_LOCAL_GAP)
        *flags |= SCHEDULE_DST_SHIFTED;
    else if (kind == TZ_LOCAL_AMBIGUOUS)
        *flags |= SCHEDULE_DST_AMBIGUOUS;
    return t;
}

static int64_t local_day(const ChannelConf *conf, int64_t t)
{
    return clock_floor_div(t + (int64_t)tz_offset(conf->tz, t) * 1000000, DAY_US);
}

static int occ_after(int64_t t, int item, int64_t t0, int item0)
{
    return t > t0 || (t == t0 && item > item0);
}

/* The first occurrence after (t0, item0) in (t, item) order; 0 when none. */
static int next_occ(const ChannelConf *conf, int64_t t0, int item0, Occ *out)
{
    int found = 0;

    for (int i = 0; i < conf->schedule.nb_items; i++) {
        const ConfItem *it = &conf->schedule.items[i];
        Occ o = { 0, i, SCHEDULE_AT };

        if (it->at_kind == CONF_AT_ABSOLUTE) {
            o.t = it->at;
            if (!occ_after(o.t, i, t0, item0))
                continue;
        } else if (it->at_kind == CONF_AT_DAILY) {
            int64_t d = local_day(conf, t0) - 1;
            int ok = 0;
            /* a day's occurrence is within a day and a bit of its local midnight */
            for (int k = 0; k < 4 && !ok; k++, d++) {
                o.t = daily_time(conf, it, d, &o.flags);
                ok = occ_after(o.t, i, t0, item0);
            }
            if (!ok)
                continue;
        } else {
            continue;
        }
        if (!found || o.t < out->t || (o.t == out->t && o.item < out->item))
            *out = o;
        found = 1;
    }
    return found;
}

/* The latest occurrence at or before t; 0 when none. */
static int prev_occ(const ChannelConf *conf, int64_t t, Occ *out)
{
    int found = 0;

    for (int i = 0; i < conf->schedule.nb_items; i++) {
        const ConfItem *it = &conf->schedule.items[i];
        Occ o = { 0, i, SCHEDULE_AT };

        if (it->at_kind == CONF_AT_ABSOLUTE) {
            o.t = it->at;
            if (o.t > t)
                continue;
        } else if (it->at_kind == CONF_AT_DAILY) {
            int64_t d = local_day(conf, t) + 1;
            int ok = 0;
            for (int k = 0; k < 4 && !ok; k++, d--) {
                o.t = daily_time(conf, it, d, &o.flags);
                ok = o.t <= t;
            }
            if (!ok)
                continue;
        } else {
            continue;
        }
        if (!found || o.t > out->t || (o.t == out->t && o.item > out->item))
            *out = o;
        found = 1;
    }
    return found;
}

/* The item that follows item i in the chain: the next one without `at`,
 * wrapping to the first with loop; -1 when the chain ends (slate). */
int schedule_next_in_chain(const ChannelConf *conf, int i)
{
    for (int j = i + 1; j < conf->schedule.nb_items; j++)
        if (conf->schedule.items[j].at_kind == CONF_AT_NONE)
            return j;
    if (!conf->schedule.loop)
        return -1;
    for (int j = 0; j < conf->schedule.nb_items; j++)
        if (conf->schedule.items[j].at_kind == CONF_AT_NONE)
            return j;
    return -1;
}

static int emit(Timeline *tl, int *cap, const ChannelConf *conf, int64_t start, int64_t end,
                int64_t offset, int item, unsigned flags)
{
    ScheduleEntry *e;

    if (tl->count == *cap) {
        int ncap;
        ScheduleEntry *n;
        if (*cap >= SCHEDULE_MAX_ENTRIES)
            return AVERROR(E2BIG);
        ncap = *cap ? *cap * 2 : 64;
        if (ncap > SCHEDULE_MAX_ENTRIES)
            ncap = SCHEDULE_MAX_ENTRIES;
        n = realloc(tl->entries, sizeof(*n) * ncap);
        if (!n)
            return AVERROR(ENOMEM);
        tl->entries = n;
        *cap = ncap;
    }
    e = &tl->entries[tl->count++];
    e->start = start;
    e->end = end;
    e->offset = offset;
    e->item = item;
    e->source = item >= 0 ? conf->schedule.items[item].source : -1;
    e->title = item >= 0 ? conf->schedule.items[item].title : NULL;
    e->flags = flags;
    return 0;
}

int schedule_resolve(const ChannelConf *conf, int64_t channel_start, int64_t from, int64_t to,
                     Timeline **out)
{
    const ConfItem *items;
    Timeline *tl;
    int cap = 0, ret = 0, cur, first = -1, have_anchor, have_next;
    int64_t t, elapsed = 0, cycle = 0;
    unsigned flags = 0;
    Occ anchor, next;

    *out = NULL;
    if (!conf || !conf->tz || conf->schedule.nb_items <= 0)
        return AVERROR(EINVAL);
    items = conf->schedule.items;
    for (int i = 0; i < conf->schedule.nb_items; i++) {
        if (items[i].duration <= 0 || items[i].source < 0)
            return AVERROR(EINVAL);
        if (items[i].at_kind == CONF_AT_NONE) {
            if (first < 0)
                first = i;
            cycle += items[i].duration;
        }
    }
    tl = calloc(1, sizeof(*tl));
    if (!tl)
        return AVERROR(ENOMEM);
    if (from < channel_start)
        from = channel_start;
    if (from >= to)
        goto done;

    /* the anchor: the latest `at` at or before from that the channel saw
     * start (or that was still on air when it started), else the start */
    have_anchor = prev_occ(conf, from, &anchor);
    if (have_anchor && anchor.t >= channel_start) {
        t = anchor.t;
        cur = anchor.item;
        flags = anchor.flags;
        have_next = next_occ(conf, anchor.t, anchor.item, &next);
    } else if (have_anchor && anchor.t + items[anchor.item].duration > channel_start) {
        t = channel_start;
        cur = anchor.item;
        elapsed = channel_start - anchor.t;
        flags = anchor.flags | SCHEDULE_JOINED;
        have_next = next_occ(conf, anchor.t, anchor.item, &next);
    } else {
        t = channel_start;
        cur = first;
        have_next = next_occ(conf, channel_start, -1, &next);
    }

    while (t < to) {
        int64_t cut = have_next ? next.t : INT64_MAX;
        int64_t end;
        int cut_short = 0;

        if (cur < 0) {
            end = cut;
            if (end > t && end > from &&
                (ret = emit(tl, &cap, conf, t, end, 0, -1,
                            SCHEDULE_GAP | (have_next ? 0 : SCHEDULE_OPEN_END))) < 0)
                goto fail;
            if (!have_next)
                break;
        } else {
            if (cur == first && !flags && !elapsed && conf->schedule.loop && cycle > 0) {
                /* skip whole loops of the list that end before anything we return */
                int64_t limit = cut < from ? cut : from;
                if (limit - t > cycle)
                    t += (limit - t) / cycle * cycle;
            }
            end = t + items[cur].duration - elapsed;
            if (end > cut) {
                end = cut;
                cut_short = 1;
            }
            if (end > t && end > from &&
                (ret = emit(tl, &cap, conf, t, end, elapsed, cur,
                            flags | (cut_short ? SCHEDULE_CUT_SHORT : 0))) < 0)
                goto fail;
        }
        elapsed = 0;
        if (have_next && end == cut) {
            t = cut;
            cur = next.item;
            flags = next.flags;
            have_next = next_occ(conf, next.t, next.item, &next);
        } else {
            t = end;
            cur = schedule_next_in_chain(conf, cur);
            flags = 0;
        }
    }
done:
    *out = tl;
    return 0;
fail:
    schedule_timeline_free(&tl);
    return ret;
}

int schedule_resolve_edited(const ChannelConf *conf, const ScheduleEdits *edits, int64_t channel_start,
                            int64_t from, int64_t to, Timeline **out)
{
    /* TODO(edits): the resolver does not apply edits yet */
    (void)edits;
    return schedule_resolve(conf, channel_start, from, to, out);
}

int schedule_entry_at(const ChannelConf *conf, int64_t channel_start, int64_t t,
                      ScheduleEntry *entry)
{
    Timeline *tl;
    int ret = schedule_resolve(conf, channel_start, t, t + 1, &tl);

    if (ret < 0)
        return ret;
    if (!tl->count) {
        schedule_timeline_free(&tl);
        return AVERROR(EINVAL);      /* t is before the channel's start */
    }
    *entry = tl->entries[0];
    schedule_timeline_free(&tl);
    return 0;
}

void schedule_timeline_free(Timeline **ptl)
{
    Timeline *tl = *ptl;

    if (!tl)
        return;
    free(tl->entries);
    free(tl);
    *ptl = NULL;
}

/* TODO(edits): replaced by the real text form */
int schedule_edits_format(const ScheduleEdit *e, int n, const ChannelConf *conf, Buf *out)
{
    return 0;
}

int schedule_edits_parse(const char *text, const ChannelConf *conf, ScheduleEdit **out, int *n)
{
    *out = NULL;
    *n = 0;
    return 0;
}
