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
#include <inttypes.h>
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

/* Appends e to tl, growing it by doubling up to SCHEDULE_MAX_ENTRIES. */
static int push(Timeline *tl, int *cap, const ScheduleEntry *e)
{
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
    tl->entries[tl->count++] = *e;
    return 0;
}

static int emit(Timeline *tl, int *cap, const ChannelConf *conf, int64_t start, int64_t end,
                int64_t offset, int item, unsigned flags)
{
    ScheduleEntry e = {
        .start = start,
        .end = end,
        .offset = offset,
        .item = item,
        .source = item >= 0 ? conf->schedule.items[item].source : -1,
        .title = item >= 0 ? conf->schedule.items[item].title : NULL,
        .flags = flags | (item >= 0 && conf->schedule.items[item].is_break ? SCHEDULE_BREAK : 0),
    };
    return push(tl, cap, &e);
}

/*
 * A cut: an instant where the chain restarts, cutting whatever airs. Either
 * an `at` occurrence or an operator's ANCHOR edit; both are ordered by
 * (t, rank), the later winning at one instant. Occurrences rank by their
 * item's index and anchors after every item, by their index in the edits,
 * so an anchor wins over an occurrence at its instant and the later of two
 * anchors wins. Merging both into one order is what lets the resolver stay
 * a single walk from the latest cut before the window.
 */
typedef struct Cut {
    int64_t t;
    int rank;
    int item;               /* -1: the slate until the next cut */
    int64_t offset;         /* into the item at t */
    int64_t end;            /* where it ends unless a later cut comes first */
    unsigned flags;
} Cut;

/* The ANCHOR edits, sorted by (at, rank) so that the latest at or before an
 * instant and the first after one are binary searches. */
typedef struct AnchorKey {
    int64_t t;
    int rank;
} AnchorKey;

typedef struct Anchors {
    const ScheduleEdit *edits;
    AnchorKey *keys;
    int n;
    int nb_items;
} Anchors;

static int anchor_key_cmp(const void *a, const void *b)
{
    const AnchorKey *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static int key_after(int64_t t, int rank, int64_t t0, int rank0)
{
    return t > t0 || (t == t0 && rank > rank0);
}

static void cut_of_occ(const ChannelConf *conf, const Occ *o, Cut *c)
{
    c->t = o->t;
    c->rank = o->item;
    c->item = o->item;
    c->offset = 0;
    c->end = o->t + conf->schedule.items[o->item].duration;
    c->flags = o->flags;
}

static void cut_of_anchor(const ChannelConf *conf, const Anchors *a, const AnchorKey *k, Cut *c)
{
    const ScheduleEdit *e = &a->edits[k->rank - a->nb_items];

    c->t = e->at;
    c->rank = k->rank;
    c->item = e->item;
    c->offset = e->offset;
    c->flags = SCHEDULE_EDITED;
    if (e->item < 0)
        c->end = INT64_MAX;          /* the slate holds until the next cut */
    else if (e->end > e->at)
        c->end = e->end;             /* an extended or shortened program */
    else
        c->end = e->at + conf->schedule.items[e->item].duration - e->offset;
    if (c->end < c->t)
        c->end = c->t;               /* an offset past the item's end: it airs not at all */
}

/* The first cut after (t0, rank0); 0 when none. */
static int next_cut(const ChannelConf *conf, const Anchors *a, int64_t t0, int rank0, Cut *out)
{
    Occ o = { 0, -1, 0 };
    int have_occ = next_occ(conf, t0, rank0, &o);
    int lo = 0, hi = a->n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (key_after(a->keys[mid].t, a->keys[mid].rank, t0, rank0))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < a->n && (!have_occ || key_after(o.t, o.item, a->keys[lo].t, a->keys[lo].rank))) {
        cut_of_anchor(conf, a, &a->keys[lo], out);
        return 1;
    }
    if (have_occ)
        cut_of_occ(conf, &o, out);
    return have_occ;
}

/* The latest cut at or before t; 0 when none. */
static int prev_cut(const ChannelConf *conf, const Anchors *a, int64_t t, Cut *out)
{
    Occ o = { 0, -1, 0 };
    int have_occ = prev_occ(conf, t, &o);
    int lo = 0, hi = a->n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a->keys[mid].t > t)
            hi = mid;
        else
            lo = mid + 1;
    }
    /* keys[lo - 1] is the latest anchor at or before t; it ranks above any
     * occurrence at its instant */
    if (lo > 0 && (!have_occ || a->keys[lo - 1].t >= o.t)) {
        cut_of_anchor(conf, a, &a->keys[lo - 1], out);
        return 1;
    }
    if (have_occ)
        cut_of_occ(conf, &o, out);
    return have_occ;
}

/* The timeline of the conf with the ANCHOR edits in a: entries overlapping
 * [from, to), from >= channel_start, from < to. */
static int resolve_chain(const ChannelConf *conf, const Anchors *a, int first, int64_t cycle,
                         int64_t channel_start, int64_t from, int64_t to, Timeline *tl)
{
    const ConfItem *items = conf->schedule.items;
    int cap = 0, ret, cur, have_next, have_prev;
    int64_t t, offset = 0, planned;
    unsigned flags = 0;
    Cut c, next;

    /* the latest cut at or before from that the channel saw happen (or
     * whose program was still on air when it started), else the start */
    have_prev = prev_cut(conf, a, from, &c);
    if (have_prev && c.t >= channel_start) {
        t = c.t;
        cur = c.item;
        offset = c.offset;
        planned = c.end;
        flags = c.flags;
        have_next = next_cut(conf, a, c.t, c.rank, &next);
    } else if (have_prev && c.end > channel_start) {
        t = channel_start;
        cur = c.item;
        /* a slate has no position to join at */
        offset = cur >= 0 ? c.offset + (channel_start - c.t) : 0;
        planned = c.end;
        flags = c.flags | (cur >= 0 ? SCHEDULE_JOINED : 0);
        have_next = next_cut(conf, a, c.t, c.rank, &next);
    } else {
        t = channel_start;
        cur = first;
        planned = cur >= 0 ? t + items[cur].duration : INT64_MAX;
        have_next = next_cut(conf, a, channel_start, -1, &next);
    }

    while (t < to) {
        int64_t cut = have_next ? next.t : INT64_MAX;
        int64_t end;
        unsigned f = flags;

        if (cur >= 0 && cur == first && !flags && !offset && conf->schedule.loop && cycle > 0) {
            /* skip whole loops of the list that end before anything we return */
            int64_t limit = cut < from ? cut : from;
            if (limit - t > cycle) {
                t += (limit - t) / cycle * cycle;
                planned = t + items[cur].duration;
            }
        }
        end = planned;
        if (end > cut) {
            end = cut;
            /* a gap has no duration to fall short of */
            if (cur >= 0)
                f |= SCHEDULE_CUT_SHORT;
        }
        if (cur < 0)
            f |= SCHEDULE_GAP;
        if (end == INT64_MAX)
            f |= SCHEDULE_OPEN_END;
        if (end > t && end > from && (ret = emit(tl, &cap, conf, t, end, offset, cur, f)) < 0)
            return ret;
        if (end == INT64_MAX)
            break;
        if (have_next && end == cut) {
            t = cut;
            cur = next.item;
            offset = next.offset;
            planned = next.end;
            flags = next.flags;
            have_next = next_cut(conf, a, next.t, next.rank, &next);
        } else {
            t = end;
            cur = cur >= 0 ? schedule_next_in_chain(conf, cur) : -1;
            offset = 0;
            flags = 0;
            planned = cur >= 0 ? t + items[cur].duration : INT64_MAX;
        }
    }
    return 0;
}

/* One overlay's stretch of the timeline: where it wins over every other. */
typedef struct Segment {
    int64_t start, end;
    int edit;               /* its index in the edits */
} Segment;

static int int64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int entry_start_cmp(const void *a, const void *b)
{
    const ScheduleEntry *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/*
 * Lays the OVERLAY edits over `under` (the anchored timeline for the
 * window) into *tl: the overlays' stretches where they win, and what is
 * left of the entries under them (cut short before, resumed after). The
 * overlays that matter are those that meet the underlying entries, not just
 * the window: one that ended before `from` still makes the entry on air at
 * `from` a resumed one, and one that starts at or after `to` still cuts
 * short the last entry, or the overlay before it. So every overlay that
 * ends after the first underlying entry starts takes part.
 */
static int apply_overlays(const ChannelConf *conf, const ScheduleEdits *edits, int64_t channel_start,
                          int64_t from, int64_t to, const Timeline *under, Timeline *tl)
{
    int64_t lo = under->count ? under->entries[0].start : from, *bounds = NULL;
    int *ov = NULL, nov = 0, nb = 0, nseg = 0, cap = 0, ret = 0;
    Segment *seg = NULL;
    Timeline all = { 0 };
    int all_cap = 0;

    ov = malloc(sizeof(*ov) * (edits->count + 1));
    bounds = malloc(sizeof(*bounds) * (2 * edits->count + 1));
    seg = malloc(sizeof(*seg) * (2 * edits->count + 1));
    if (!ov || !bounds || !seg) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    for (int k = 0; k < edits->count; k++) {
        const ScheduleEdit *e = &edits->edits[k];
        int64_t s = e->at > channel_start ? e->at : channel_start;
        if (e->kind != SCHEDULE_EDIT_OVERLAY || e->end <= s || e->end <= lo)
            continue;
        ov[nov++] = k;
        bounds[nb++] = s;
        bounds[nb++] = e->end;
    }
    /* the stretches between consecutive bounds each have one winner, the
     * latest overlay covering them: O(overlays²) in the window, which a
     * few hundred edits afford */
    qsort(bounds, nb, sizeof(*bounds), int64_cmp);
    for (int i = 0; i + 1 < nb; i++) {
        int win = -1;
        if (bounds[i] == bounds[i + 1])
            continue;
        for (int j = nov - 1; j >= 0 && win < 0; j--) {
            const ScheduleEdit *e = &edits->edits[ov[j]];
            int64_t s = e->at > channel_start ? e->at : channel_start;
            if (s <= bounds[i] && e->end > bounds[i])
                win = ov[j];
        }
        if (win < 0)
            continue;
        if (nseg && seg[nseg - 1].edit == win && seg[nseg - 1].end == bounds[i])
            seg[nseg - 1].end = bounds[i + 1];
        else
            seg[nseg++] = (Segment){ bounds[i], bounds[i + 1], win };
    }

    /* the overlays' entries */
    for (int i = 0; i < nseg; i++) {
        const ScheduleEdit *e = &edits->edits[seg[i].edit];
        ScheduleEntry x = {
            .start = seg[i].start,
            .end = seg[i].end,
            .item = -1,
            .source = e->source,
            .title = e->is_break ? CONF_BREAK_TITLE : e->source >= 0 ? conf->sources[e->source].name : NULL,
            .flags = e->is_break ? SCHEDULE_BREAK : e->source >= 0 ? SCHEDULE_TAKEN : SCHEDULE_HELD | SCHEDULE_GAP,
        };
        if (x.start > e->at) {
            /* a take is a position in its source; a held slate has none */
            x.offset = e->source >= 0 ? x.start - e->at : 0;
            /* after a later overlay, or the channel started while it aired */
            x.flags |= x.start == channel_start ? SCHEDULE_JOINED : SCHEDULE_RESUMED;
        }
        if (x.end < e->end)
            x.flags |= SCHEDULE_CUT_SHORT;
        if (x.end == INT64_MAX)
            x.flags |= SCHEDULE_OPEN_END;
        if ((ret = push(&all, &all_cap, &x)) < 0)
            goto end;
    }
    /* what is left of each underlying entry between the segments */
    for (int i = 0, j = 0; i < under->count; i++) {
        const ScheduleEntry *u = &under->entries[i];
        int64_t t = u->start;

        while (t < u->end) {
            ScheduleEntry x = *u;
            while (j < nseg && seg[j].end <= t)
                j++;
            if (j < nseg && seg[j].start <= t) {
                t = seg[j].end;
                continue;
            }
            x.start = t;
            x.end = j < nseg && seg[j].start < u->end ? seg[j].start : u->end;
            if (x.start > u->start) {
                x.flags = (x.flags & ~SCHEDULE_JOINED) | SCHEDULE_RESUMED;
                if (u->item >= 0)
                    x.offset = u->offset + (x.start - u->start);
            }
            if (x.end < u->end && u->item >= 0)
                x.flags |= SCHEDULE_CUT_SHORT;
            if ((ret = push(&all, &all_cap, &x)) < 0)
                goto end;
            t = x.end;
        }
    }
    /* both lists are in time order and together tile the time: by start */
    qsort(all.entries, all.count, sizeof(*all.entries), entry_start_cmp);
    for (int i = 0; i < all.count; i++)
        if (all.entries[i].end > from && all.entries[i].start < to &&
            (ret = push(tl, &cap, &all.entries[i])) < 0)
            goto end;
end:
    free(all.entries);
    free(seg);
    free(bounds);
    free(ov);
    return ret;
}

int schedule_resolve(const ChannelConf *conf, int64_t channel_start, int64_t from, int64_t to,
                     Timeline **out)
{
    return schedule_resolve_edited(conf, NULL, channel_start, from, to, out);
}

int schedule_resolve_edited(const ChannelConf *conf, const ScheduleEdits *edits, int64_t channel_start,
                            int64_t from, int64_t to, Timeline **out)
{
    const ConfItem *items;
    Timeline *tl = NULL, *under = NULL;
    Anchors a = { 0 };
    int ret = 0, first = -1, nedits = edits ? edits->count : 0, noverlays = 0;
    int64_t cycle = 0;

    *out = NULL;
    if (!conf || !conf->tz || conf->schedule.nb_items <= 0 || nedits < 0 ||
        (nedits > 0 && !edits->edits))
        return AVERROR(EINVAL);
    items = conf->schedule.items;
    for (int i = 0; i < conf->schedule.nb_items; i++) {
        /* a break may air the slate (-1); a program needs its source */
        if (items[i].duration <= 0 || items[i].source < -1 || items[i].source >= conf->nb_sources ||
            (items[i].source < 0 && !items[i].is_break))
            return AVERROR(EINVAL);
        if (items[i].at_kind == CONF_AT_NONE) {
            if (first < 0)
                first = i;
            cycle += items[i].duration;
        }
    }
    for (int k = 0; k < nedits; k++) {
        const ScheduleEdit *e = &edits->edits[k];
        if (e->kind == SCHEDULE_EDIT_ANCHOR) {
            if (e->item < -1 || e->item >= conf->schedule.nb_items || e->offset < 0)
                return AVERROR(EINVAL);
            a.n++;
        } else if (e->kind == SCHEDULE_EDIT_OVERLAY) {
            if (e->source < -1 || e->source >= conf->nb_sources)
                return AVERROR(EINVAL);
            noverlays++;
        } else {
            return AVERROR(EINVAL);
        }
    }
    a.edits = nedits ? edits->edits : NULL;
    a.nb_items = conf->schedule.nb_items;
    if (a.n) {
        int j = 0;
        if (!(a.keys = malloc(sizeof(*a.keys) * a.n)))
            return AVERROR(ENOMEM);
        for (int k = 0; k < nedits; k++)
            if (edits->edits[k].kind == SCHEDULE_EDIT_ANCHOR)
                a.keys[j++] = (AnchorKey){ edits->edits[k].at, a.nb_items + k };
        qsort(a.keys, a.n, sizeof(*a.keys), anchor_key_cmp);
    }
    tl = calloc(1, sizeof(*tl));
    under = noverlays ? calloc(1, sizeof(*under)) : tl;
    if (!tl || !under) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if (from < channel_start)
        from = channel_start;
    if (from >= to)
        goto end;
    if ((ret = resolve_chain(conf, &a, first, cycle, channel_start, from, to, under)) < 0)
        goto end;
    if (noverlays)
        ret = apply_overlays(conf, edits, channel_start, from, to, under, tl);
end:
    if (under != tl)
        schedule_timeline_free(&under);
    if (ret < 0)
        schedule_timeline_free(&tl);
    free(a.keys);
    *out = tl;
    return ret;
}

/* ---- edits as text ------------------------------------------------------ */

/* A string as a double-quoted token: what a title may hold (spaces,
 * quotes, newlines) must not end the line or the token early. */
static int put_quoted(Buf *out, const char *str)
{
    int ret = buf_append(out, "\"", 1);

    for (const unsigned char *p = (const unsigned char *)str; *p && ret >= 0; p++) {
        if (*p == '"' || *p == '\\')
            ret = buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            ret = buf_append(out, "\\n", 2);
        else if (*p == '\t')
            ret = buf_append(out, "\\t", 2);
        else if (*p < 0x20 || *p == 0x7f)
            ret = buf_printf(out, "\\x%02x", *p);
        else
            ret = buf_append(out, p, 1);
    }
    return ret < 0 ? ret : buf_append(out, "\"", 1);
}

int schedule_edits_format(const ScheduleEdit *e, int n, const ChannelConf *conf, Buf *out)
{
    size_t len0 = out->len;
    int ret = 0;

    if (!conf || n < 0 || (n > 0 && !e))
        return AVERROR(EINVAL);
    for (int k = 0; k < n && ret >= 0; k++) {
        if (e[k].kind == SCHEDULE_EDIT_ANCHOR) {
            if (e[k].item < -1 || e[k].item >= conf->schedule.nb_items || e[k].offset < 0) {
                ret = AVERROR(EINVAL);
                break;
            }
            ret = buf_printf(out, "anchor %" PRId64 " %" PRId64 " %d %" PRId64 " ", e[k].at, e[k].end,
                             e[k].item, e[k].offset);
            if (ret >= 0)
                ret = e[k].item >= 0 ? put_quoted(out, conf->schedule.items[e[k].item].title)
                                     : buf_append(out, "-", 1);
        } else if (e[k].kind == SCHEDULE_EDIT_OVERLAY) {
            if (e[k].source < -1 || e[k].source >= conf->nb_sources) {
                ret = AVERROR(EINVAL);
                break;
            }
            ret = buf_printf(out, "%s %" PRId64 " %" PRId64 " ", e[k].is_break ? "break" : "overlay", e[k].at,
                             e[k].end);
            if (ret >= 0)
                ret = e[k].source >= 0 ? put_quoted(out, conf->sources[e[k].source].name)
                                       : buf_append(out, "-", 1);
        } else {
            ret = AVERROR(EINVAL);
            break;
        }
        if (ret >= 0)
            ret = buf_append(out, "\n", 1);
    }
    /* nothing half written: the caller's buffer is as it was */
    if (ret < 0)
        buf_truncate(out, len0);
    return ret < 0 ? ret : 0;
}

/* The parser's cursor over one line [p, end). */
typedef struct Cursor {
    const char *p, *end;
} Cursor;

static void skip_blank(Cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

/* The next token is a word (letters); 0 when it is not `word`. */
static int take_word(Cursor *c, const char *word)
{
    size_t len = strlen(word);

    skip_blank(c);
    if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len))
        return 0;
    if (c->p + len < c->end && c->p[len] != ' ' && c->p[len] != '\t' && c->p[len] != '\r')
        return 0;
    c->p += len;
    return 1;
}

static int take_int64(Cursor *c, int64_t *v)
{
    char tmp[32], *e;
    size_t len = 0;
    long long x;

    skip_blank(c);
    while (c->p + len < c->end && len < sizeof(tmp) - 1 &&
           (c->p[len] == '-' || (c->p[len] >= '0' && c->p[len] <= '9')))
        len++;
    if (!len || (c->p + len < c->end && c->p[len] != ' ' && c->p[len] != '\t' && c->p[len] != '\r'))
        return 0;
    memcpy(tmp, c->p, len);
    tmp[len] = 0;
    errno = 0;
    x = strtoll(tmp, &e, 10);
    if (errno || *e)
        return 0;
    *v = x;
    c->p += len;
    return 1;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
           ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A quoted string into str (NUL-terminated), or `-` (*none = 1); 0 when
 * the token is neither. */
static int take_string(Cursor *c, Buf *str, int *none)
{
    buf_reset(str);
    *none = 0;
    skip_blank(c);
    if (c->p < c->end && *c->p == '-') {
        c->p++;
        *none = 1;
    } else if (c->p < c->end && *c->p == '"') {
        c->p++;
        for (;;) {
            char ch;
            if (c->p >= c->end)
                return 0;
            ch = *c->p++;
            if (ch == '"')
                break;
            if (ch == '\\') {
                if (c->p >= c->end)
                    return 0;
                ch = *c->p++;
                if (ch == 'n') {
                    ch = '\n';
                } else if (ch == 't') {
                    ch = '\t';
                } else if (ch == 'x') {
                    int hi, lo;
                    if (c->end - c->p < 2 || (hi = hex_digit(c->p[0])) < 0 ||
                        (lo = hex_digit(c->p[1])) < 0 || !(hi | lo))
                        return 0;
                    ch = (char)(hi << 4 | lo);
                    c->p += 2;
                } else if (ch != '"' && ch != '\\') {
                    return 0;
                }
            }
            if (buf_append(str, &ch, 1) < 0)
                return -1;
        }
    } else {
        return 0;
    }
    if (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\r')
        return 0;
    return buf_append(str, "", 1) < 0 ? -1 : 1;
}

/* One line into *e: 1 kept, 0 dropped (it no longer matches the conf),
 * AVERROR_INVALIDDATA malformed, or AVERROR(ENOMEM). */
static int parse_edit(Cursor *c, const ChannelConf *conf, Buf *str, ScheduleEdit *e)
{
    int64_t v;
    int none, r;

    memset(e, 0, sizeof(*e));
    if (take_word(c, "anchor")) {
        e->kind = SCHEDULE_EDIT_ANCHOR;
        e->source = -1;
        if (!take_int64(c, &e->at) || !take_int64(c, &e->end) || !take_int64(c, &v) ||
            v < -1 || v > INT_MAX || !take_int64(c, &e->offset) || e->offset < 0)
            return AVERROR_INVALIDDATA;
        e->item = (int)v;
        if ((r = take_string(c, str, &none)) <= 0)
            return r < 0 ? AVERROR(ENOMEM) : AVERROR_INVALIDDATA;
        /* the slate has no title; an item has one */
        if (none != (e->item < 0))
            return AVERROR_INVALIDDATA;
        skip_blank(c);
        if (c->p != c->end)
            return AVERROR_INVALIDDATA;
        /* an index that names another program since a reload would put the
         * wrong one on air: kept only while index and title still agree */
        if (e->item >= 0 && (e->item >= conf->schedule.nb_items ||
                             strcmp(conf->schedule.items[e->item].title, (const char *)str->data)))
            return 0;
        return 1;
    }
    if (take_word(c, "overlay") || (e->is_break = take_word(c, "break"))) {
        e->kind = SCHEDULE_EDIT_OVERLAY;
        e->item = -1;
        if (!take_int64(c, &e->at) || !take_int64(c, &e->end))
            return AVERROR_INVALIDDATA;
        if ((r = take_string(c, str, &none)) <= 0)
            return r < 0 ? AVERROR(ENOMEM) : AVERROR_INVALIDDATA;
        skip_blank(c);
        if (c->p != c->end)
            return AVERROR_INVALIDDATA;
        e->source = -1;
        if (none)
            return 1;
        /* sources are found by name: a reload may have moved them */
        for (int i = 0; i < conf->nb_sources; i++)
            if (!strcmp(conf->sources[i].name, (const char *)str->data))
                e->source = i;
        return e->source >= 0;
    }
    return AVERROR_INVALIDDATA;
}

int schedule_edits_parse(const char *text, const ChannelConf *conf, ScheduleEdit **out, int *n)
{
    ScheduleEdit *edits = NULL;
    Buf str = { 0 };
    int count = 0, cap = 0, line = 0, ret = 0;
    const char *p = text;

    *out = NULL;
    *n = 0;
    if (!text || !conf)
        return AVERROR(EINVAL);
    while (*p) {
        const char *eol = strchr(p, '\n');
        Cursor c = { p, eol ? eol : p + strlen(p) };
        ScheduleEdit e;

        line++;
        p = eol ? eol + 1 : c.end;
        skip_blank(&c);
        /* blank lines and comments: room for a header a person can read */
        if (c.p == c.end || *c.p == '#')
            continue;
        if ((ret = parse_edit(&c, conf, &str, &e)) < 0)
            goto fail;
        if (!ret)
            continue;
        if (count == cap) {
            int ncap = cap ? cap * 2 : 16;
            ScheduleEdit *m = realloc(edits, sizeof(*m) * ncap);
            if (!m) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
            edits = m;
            cap = ncap;
        }
        edits[count++] = e;
    }
    buf_free(&str);
    *out = edits;
    *n = count;
    return 0;
fail:
    buf_free(&str);
    free(edits);
    /* the line that is wrong, for the caller's message */
    if (ret == AVERROR_INVALIDDATA)
        *n = line;
    return ret;
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
