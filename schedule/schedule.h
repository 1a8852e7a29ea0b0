/*
 * schedule: a channel's timeline — what airs when — resolved from its
 * ChannelConf, and the supervisor that plays it out (below).
 *
 * The rules (DESIGN.md, "Channel config"):
 *   - An item without `at` follows the item before it in the list; the first
 *     such item starts when the channel starts.
 *   - An item with `at` starts at that instant and cuts short whatever is on
 *     air; the items after it in the list (those without `at`) follow it.
 *     Two occurrences at one instant: the later in the list airs.
 *   - With schedule.loop, the item after the last one is the first item
 *     without `at`; without it, the slate airs until the next `at`.
 *   - `HH:MM` + repeat: daily is in the channel's time zone, every local day:
 *     a time that a clock change skips airs late by the gap (02:30 -> 03:30),
 *     a time that happens twice airs at the first (see tz_local_to_utc).
 *   - An `at` item already on air when the channel starts is joined in
 *     progress (entry offset > 0); anything else that the channel's start
 *     interrupts simply never aired.
 *   - Time no item covers is a gap: the slate.
 *   - A break item ({ break: LENGTH }) is placed as any item is; its entries
 *     carry SCHEDULE_BREAK, and one without a source airs the slate as a
 *     break (source -1, item >= 0), which is not a gap.
 *
 * Resolution is pure: no I/O (the zone was read by conf_load), no clock, no
 * global state, so it can be called from any thread and tested with any
 * "now". It costs O(entries + `at` occurrences) whatever the distance from
 * the channel's start: whole loops of the list are skipped arithmetically.
 */
#ifndef ONAIR_SCHEDULE_H
#define ONAIR_SCHEDULE_H

#include <stdint.h>

#include "common/metrics.h"
#include "conf/conf.h"

enum ScheduleFlags {
    SCHEDULE_GAP           = 1 << 0,  /* no item: the slate airs (item and source are -1) */
    SCHEDULE_AT            = 1 << 1,  /* started at its item's `at` */
    SCHEDULE_DAILY         = 1 << 2,  /* one day's occurrence of a repeat: daily item */
    SCHEDULE_CUT_SHORT     = 1 << 3,  /* ended before its duration: a later `at` cut in */
    SCHEDULE_JOINED        = 1 << 4,  /* on air before the channel started: begins `offset` in */
    SCHEDULE_DST_SHIFTED   = 1 << 5,  /* its local time did not exist that day; it starts later */
    SCHEDULE_DST_AMBIGUOUS = 1 << 6,  /* its local time happened twice that day; it airs at the first */
    SCHEDULE_OPEN_END      = 1 << 7,  /* a gap that no later `at` ends: end is INT64_MAX */
    SCHEDULE_TAKEN         = 1 << 8,  /* an operator's take (an OVERLAY edit with a source) */
    SCHEDULE_HELD          = 1 << 9,  /* the slate held by an operator (an OVERLAY edit without one) */
    SCHEDULE_EDITED        = 1 << 10, /* starts at an ANCHOR edit (a skip, or an extended program) */
    SCHEDULE_RESUMED       = 1 << 11, /* back after an overlay: joined `offset` in */
    SCHEDULE_BREAK         = 1 << 12, /* an ad break item ({ break: LENGTH }); its source is
                                       * the item's, or -1: the slate (not a GAP: item >= 0) */
};

/* One program on the timeline. Times are microseconds since the Unix epoch,
 * UTC; the entry airs during [start, end). The item's planned end is
 * start - offset + items[item].duration; end is earlier when CUT_SHORT. */
typedef struct ScheduleEntry {
    int64_t start, end;
    int64_t offset;         /* µs into the item (or the taken source) at start; > 0 only
                             * when JOINED, EDITED (an anchor's offset) or RESUMED */
    int item;               /* index into conf->schedule.items, -1 for a gap */
    int source;             /* index into conf->sources, -1 for the slate: a gap (item -1),
                             * a held slate, or a BREAK without a source (item >= 0) */
    const char *title;      /* the item's title, borrowed from the conf; NULL for a gap */
    unsigned flags;         /* ScheduleFlags */
} ScheduleEntry;

typedef struct Timeline {
    ScheduleEntry *entries; /* in time order, back to back */
    int count;
} Timeline;

/* At most this many entries per resolution (AVERROR(E2BIG) beyond). */
#define SCHEDULE_MAX_ENTRIES (1 << 22)

/*
 * The entries of the channel that started at channel_start which overlap
 * [from, to): whole entries, so the first may start before from and the
 * last end after to. Nothing airs before channel_start. The timeline borrows
 * titles from conf, which must outlive it. *out is owned by the caller
 * (schedule_timeline_free); an empty window gives an empty timeline.
 * Returns 0, AVERROR(EINVAL) for a conf that is not loaded and checked,
 * AVERROR(E2BIG), or AVERROR(ENOMEM).
 */
int schedule_resolve(const ChannelConf *conf, int64_t channel_start, int64_t from, int64_t to,
                     Timeline **out);

/*
 * Edits: what an operator changed on a running channel (the admin API),
 * applied over the conf's timeline.
 *
 * ANCHOR: from `at`, the chain restarts at `item` (-1: the slate until the
 * next `at` occurrence), `offset` µs into it; it ends at `end` when
 * end > at (an extended or shortened program), else after its duration
 * less offset; then its followers come as usual. `at` items still start at
 * their times and cut it short. An anchor is an `at` occurrence of the
 * operator's own: the latest anchor or occurrence before an instant
 * decides what airs then, and at one instant an anchor wins.
 *   skip at T:       { ANCHOR, at T, item = the next in the chain }
 *   extend to E:     { ANCHOR, at = the entry's start, item and offset as
 *                      the entry has them, end E }
 *
 * OVERLAY: during [at, end), `source` airs (-1: the slate is held; end
 * INT64_MAX: until released), whatever the timeline says; after it, the
 * timeline as it stands then, the entry on air joined in progress
 * (SCHEDULE_RESUMED, offset into it). Later overlays win over earlier ones
 * where they overlap.
 *
 * Edits may come in any order; items and sources are indexes into the conf
 * that the timeline is resolved with.
 *
 * The details:
 *   - Anchor entries are flagged EDITED (an anchor's slate: EDITED | GAP,
 *     OPEN_END when no cut follows; its `end` is not used). An offset past
 *     the item's end makes it air not at all: its follower starts at `at`.
 *   - An anchor before channel_start is an `at` occurrence before it: its
 *     program is joined at the start (JOINED, offset + time since `at`)
 *     while it is still on air then (an anchor's slate always is, until the
 *     next cut); otherwise the chain starts with the channel as usual.
 *   - Around an overlay, the entry it interrupts is CUT_SHORT (a gap is
 *     not: it has no duration), the entry on air at its end comes back as
 *     RESUMED with offset = its offset + (end - its start) (a gap: 0), its
 *     other flags kept, JOINED dropped. An overlay cut by a later one gets
 *     CUT_SHORT, and RESUMED (a take: offset = time since its `at`) when it
 *     comes back. A held slate is HELD | GAP; an open one OPEN_END.
 *   - An overlay that began before channel_start airs from the start
 *     (JOINED; a take: offset = channel_start - at). Overlays with
 *     end <= at are empty: ignored.
 *   - Overlays that ended before `from` do not show, but still make the
 *     entry on air at `from` a resumed one: any window gives the entries of
 *     one long resolution.
 *   - AVERROR(EINVAL) for an unknown kind, an item outside [-1, items), a
 *     negative offset or a source outside [-1, sources).
 * Cost: O(entries returned + `at` occurrences + anchors' log) for anchors
 * (whole loops after an anchor are skipped as without edits), plus
 * O(overlays²) for the overlays that end after the window's first entry
 * starts.
 */
enum ScheduleEditKind {
    SCHEDULE_EDIT_ANCHOR,
    SCHEDULE_EDIT_OVERLAY,
};

typedef struct ScheduleEdit {
    enum ScheduleEditKind kind;
    int64_t at, end;
    int item;               /* ANCHOR */
    int64_t offset;         /* ANCHOR */
    int source;             /* OVERLAY */
    int is_break;           /* OVERLAY: an ad break (source, or -1: the slate) */
} ScheduleEdit;

typedef struct ScheduleEdits {
    const ScheduleEdit *edits;
    int count;
} ScheduleEdits;

/* schedule_resolve with edits over the conf (NULL or none: the same).
 * Overlay entries have item -1, their source, and the source's name as
 * title (-1 and NULL for a held slate); a break overlay's are flagged
 * SCHEDULE_BREAK and titled CONF_BREAK_TITLE. */
int schedule_resolve_edited(const ChannelConf *conf, const ScheduleEdits *edits, int64_t channel_start,
                            int64_t from, int64_t to, Timeline **out);

/* The item that follows item i in the chain (-1: none: the slate). */
int schedule_next_in_chain(const ChannelConf *conf, int i);

/* The entry on air at instant t (t >= channel_start). */
int schedule_entry_at(const ChannelConf *conf, int64_t channel_start, int64_t t,
                      ScheduleEntry *entry);

/*
 * Edits as text, for the channel's state file: one a line,
 *   anchor AT END ITEM OFFSET "TITLE"     (ITEM -1, the slate: - for TITLE)
 *   overlay AT END "SOURCE"               (the held slate: - for SOURCE)
 *   break AT END "SOURCE"                 (an ad break over the timeline; - the slate)
 * times and offsets in integer µs (END INT64_MAX: open). Strings are
 * double-quoted, with \\ \" \n \t and \xHH escapes. Items are written as
 * index and title and sources by name so that a file written before a
 * reload reads against the new conf: an anchor whose index no longer has
 * that title, or an overlay whose source is gone, is dropped (an overlay's
 * source is found again by name wherever it moved).
 *
 * format appends to out: 0, or AVERROR(EINVAL) for an edit that does not
 * fit conf (out unchanged), AVERROR(ENOMEM).
 * parse: blank lines and lines starting with '#' are skipped. 0 with *out
 * (free() it; NULL when *n is 0) and *n the edits kept; AVERROR_INVALIDDATA
 * for a malformed line, whose 1-based number is then in *n (*out NULL);
 * AVERROR(EINVAL), AVERROR(ENOMEM).
 */
int schedule_edits_format(const ScheduleEdit *e, int n, const ChannelConf *conf, Buf *out);
int schedule_edits_parse(const char *text, const ChannelConf *conf, ScheduleEdit **out, int *n);

void schedule_timeline_free(Timeline **t);

/* ---- running a channel ------------------------------------------------ */

/*
 * A channel on air: the supervisor resolves the timeline a little ahead of
 * the wall clock and cues each program on the playout at its frame (its
 * source opened ahead, so the switch lands on that frame); the playout
 * feeds one encoder per rung and the AAC encoder, and the live packager
 * publishes. State in the output folder lets a restart continue. Each
 * channel runs in threads of its own: one failing never stops another.
 */
typedef struct Channel Channel;

typedef struct ChannelOptions {
    int cores;                /* cores this channel may use (the host's split between channels) */
    int64_t preroll_us;       /* sources are opened this far ahead of their cue (default 3 s) */
    const char *utc_timing_url; /* where a live DASH player reads the server's clock; NULL: none */
    const char *playlist_url;   /* where the built-in server offers its master playlist; NULL: not served */
    const char *instance;       /* this instance's name in an A/B pair (conf->redundancy) */
} ChannelOptions;

/* Builds the channel's graph from a loaded, checked conf (which must
 * outlive it); nothing runs yet. Logs why it cannot, naming the channel. */
int channel_new(Channel **ch, const ChannelConf *conf, const ChannelOptions *opt);
int channel_start(Channel *ch);
/* Finishes the segment in progress, then everything stops. Thread safe. */
void channel_stop(Channel *ch);
/* 1 while it runs (0 once stopped or failed). */
int channel_running(const Channel *ch);
/* Waits for the channel's threads; 0, or the error that stopped it. */
int channel_wait(Channel *ch);
const char *channel_id(const Channel *ch);

/* ---- operating a running channel (the admin API) ------------------------
 *
 * Every call is thread safe and takes effect on the output clock at the
 * next frame that is not cued yet (skip, take, slate: the next frame);
 * it is kept in the channel's state so that a restart keeps it, logged,
 * written to the as-run log and emitted as an "api" event.
 * Returns 0, or: AVERROR(EINVAL) a value out of range (HTTP 400),
 * AVERROR(ENOENT) no such source (404), AVERROR(EBUSY) not now (409: the
 * channel is not on air, nothing to skip or release); err says why.
 * Nothing is changed when a call fails.
 */

/* The entry on air ends now; the next one starts. */
int channel_skip(Channel *ch, char *err, size_t size);
/* Holds the slate for duration_us (0: until released). */
int channel_hold_slate(Channel *ch, int64_t duration_us, char *err, size_t size);
int channel_release_slate(Channel *ch, char *err, size_t size);
/* Puts a configured source on air now for duration_us (0: until the next
 * program on the timeline starts), then returns to the timeline where it
 * stands. */
int channel_take(Channel *ch, const char *source, int64_t duration_us, char *err, size_t size);
/* An ad break of duration_us (> 0) over the timeline, from the first frame
 * at or after at_us (0 or past: the next frame), airing `source` (NULL:
 * the slate) for viewers whose ads are not replaced; then the timeline where
 * it stands. AVERROR(EBUSY) while a break is on air or one overlaps. */
int channel_break(Channel *ch, int64_t duration_us, const char *source, int64_t at_us, char *err, size_t size);
/* The break on air (from the schedule or the API) ends now: the program
 * comes back early, a SCTE-35 return with the break's event id.
 * AVERROR(EBUSY) when no break is on air. */
int channel_break_return(Channel *ch, char *err, size_t size);
/* The program on air runs by_us longer (negative: shorter, never before
 * the next frame); the items that follow it without `at` move with it. */
int channel_extend(Channel *ch, int64_t by_us, char *err, size_t size);

/* A reload: 0 when `next` (loaded and checked) can replace the running
 * conf without a restart, else AVERROR(EBUSY) with the keys that differ and
 * need one ("video, ladder") in keys. */
int channel_reload_check(const Channel *ch, const ChannelConf *next, char *keys, size_t size);
/* Applies `next` (after channel_reload_check said yes): the schedule,
 * sources, slate and events change without a gap. The channel takes `next`
 * over, even when it fails; the conf it ran with stays alive until
 * channel_free. */
int channel_reload(Channel *ch, ChannelConf *next);
/* The conf it runs with now (the last reloaded). */
const ChannelConf *channel_conf(const Channel *ch);

/* The channel as JSON (docs/api.md: a channel object). */
int channel_status_json(Channel *ch, Buf *out);
/* The timeline from now for `hours_us`, edits included, as JSON
 * (docs/api.md: a schedule). */
int channel_schedule_json(Channel *ch, int64_t hours_us, Buf *out);
/* 1 when the channel publishes segments on time; else 0 and why:
 * "starting", "late by 4.2 s", "failed", "standby" (a pair's instance
 * that cuts them in step but may not publish them). */
int channel_ready(Channel *ch, char *why, size_t size);
/* 1 when the channel cuts its segments on time, whatever its role in a
 * pair and whether they could be written (what systemd hears: a standby in
 * step is healthy, and a restart would not empty a full disk); else 0 and
 * why, as channel_ready. *standby: 1 for a pair's instance that may not
 * publish. */
int channel_in_step(Channel *ch, int *standby, char *why, size_t size);
/* Every metric sample of the channel (without the channel label, which the
 * caller adds: channel_id). */
void channel_metrics(Channel *ch, MetricVisit visit, void *opaque);
void channel_free(Channel **ch);

#endif
