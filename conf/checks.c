/*
 * Each section's check: what one option cannot judge alone, run once every
 * option of its section is parsed, with the places of every key at hand
 * (a source's one kind, `at` with its `repeat`, credentials that come in
 * pairs, a segment or a part against the frame grid). Apart from the walk
 * because these are the schema's rules, not its mechanics.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/common.h>
#include <libavutil/mathematics.h>

static int given(const SectionState *st, const char *key)
{
    int i = conf_opt_index(st->sec, key);
    return i >= 0 && (st->given & (1u << i)) && st->node[i] && !is_null(st->node[i]);
}

static Mark key_mark(const SectionState *st, const char *key)
{
    return st->key[conf_opt_index(st->sec, key)];
}

static Mark val_mark(const SectionState *st, const char *key)
{
    return st->val[conf_opt_index(st->sec, key)];
}

static int ok(const SectionState *st, const char *key)
{
    return given(st, key) && !(st->bad & (1u << conf_opt_index(st->sec, key)));
}

void conf_check_video(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    if (st->bad)
        c->video_bad = 1;
    if (given(st, "fps"))
        c->fps = val_mark(st, "fps");
}

void conf_check_rung(Ctx *c, void *base, SectionState *st)
{
    Rung *r = base;
    (void)c;
    if (!given(st, "name") && !st->bad)
        snprintf(r->name, sizeof(r->name), "%dx%d", r->width, r->height);
}

void conf_check_source(Ctx *c, void *base, SectionState *st)
{
    ConfSource *s = base;
    static const char *const kinds[] = { "generate", "file", "url" };
    const char *first = NULL;
    int n = 0;

    for (int k = 0; k < 3; k++) {
        if (!given(st, kinds[k]))
            continue;
        if (n++ == 0) {
            first = kinds[k];
            s->kind = (enum ConfSourceKind)k;
        } else {
            fail_at(c, key_mark(st, kinds[k]), "%s: give only one of generate, file and url "
                  "(%s is given too)", st->path, first);
            st->bad |= 1u << conf_opt_index(st->sec, kinds[k]);
        }
    }
    if (n == 0) {
        fail_at(c, st->where, "%s: give one of generate, file or url", st->path);
        st->bad |= 1u;
        return;
    }
    if (s->kind != CONF_SOURCE_FILE) {
        if (given(st, "loop"))
            warn_at(c, key_mark(st, "loop"), "%s.loop: only file sources loop; ignored", st->path);
        if (given(st, "start"))
            warn_at(c, key_mark(st, "start"), "%s.start: only file sources have a start; ignored",
                    st->path);
    }
    if (s->kind != CONF_SOURCE_URL) {
        if (given(st, "backup"))
            warn_at(c, key_mark(st, "backup"), "%s.backup: only url sources have a backup; "
                    "ignored", st->path);
        if (given(st, "timeout"))
            warn_at(c, key_mark(st, "timeout"), "%s.timeout: only url sources time out; ignored",
                    st->path);
        if (given(st, "scte35"))
            warn_at(c, key_mark(st, "scte35"), "%s.scte35: only url sources (live MPEG-TS) carry "
                    "SCTE-35 cues that are taken over; ignored", st->path);
    }
}

/* What a break's id may hold: it is written into quoted strings (the
 * DATERANGE's ID, JSON), file lines and URLs, so nothing to escape. */
static int valid_break_id(const char *s)
{
    return conf_match_chars(s, "-_.:/", 0) && strlen(s) <= CONF_BREAK_ID_MAX;
}

/* A program has a source and a duration; a break has a break (its length)
 * instead of the duration, and its source is optional. */
void conf_check_item(Ctx *c, void *base, SectionState *st)
{
    ConfItem *it = base;
    const ChannelConf *conf = c->conf;
    int is_break = given(st, "break"), has_duration = given(st, "duration");

    it->is_break = is_break;
    if (is_break && has_duration) {
        Mark a = key_mark(st, "break"), b = key_mark(st, "duration");
        int later_is_break = a.line > b.line || (a.line == b.line && a.col > b.col);
        fail_at(c, later_is_break ? a : b, "%s: give duration (a program) or break (an ad break "
                "that long), not both", st->path);
        st->bad |= 1u << conf_opt_index(st->sec, later_is_break ? "break" : "duration");
    } else if (!is_break && !has_duration && !(st->bad & (1u << conf_opt_index(st->sec, "break")))) {
        fail_at(c, st->where, "%s%smissing required key 'duration' (or break: LENGTH for an ad "
                "break)", st->path, st->path[0] ? ": " : "");
        st->bad |= 1u << conf_opt_index(st->sec, "duration");
    }
    if (!is_break && !given(st, "source") && !(st->bad & (1u << conf_opt_index(st->sec, "source")))) {
        fail_at(c, st->where, "%s: missing required key 'source'", st->path);
        st->bad |= 1u << conf_opt_index(st->sec, "source");
    }
    if (given(st, "id") && !(st->bad & (1u << conf_opt_index(st->sec, "id")))) {
        if (!is_break) {
            fail_at(c, key_mark(st, "id"), "%s.id: only a break has an id (write break: LENGTH "
                    "instead of duration to make the item an ad break)", st->path);
            st->bad |= 1u << conf_opt_index(st->sec, "id");
        } else if (!it->break_id || !valid_break_id(it->break_id)) {
            fail_at(c, val_mark(st, "id"), "%s.id: '%s' is not a break id: use letters, digits, "
                    "'-', '_', '.', ':' and '/' (at most %d; no spaces, quotes or line breaks)",
                    st->path, it->break_id ? it->break_id : "", CONF_BREAK_ID_MAX);
            st->bad |= 1u << conf_opt_index(st->sec, "id");
        }
    }
    if (!given(st, "title") && is_break && !st->bad) {
        it->title = strdup(CONF_BREAK_TITLE);
        if (!it->title)
            c->nomem = 1;
    } else if (!given(st, "title") && it->source >= 0 && !st->bad) {
        it->title = strdup(conf->sources[it->source].name);
        if (!it->title)
            c->nomem = 1;
    }
    if (given(st, "repeat") && ok(st, "repeat")) {
        if (!given(st, "at")) {
            fail_at(c, key_mark(st, "repeat"), "%s.repeat: daily needs an at time of day "
                  "(at: \"18:00\")", st->path);
            st->bad |= 1u << conf_opt_index(st->sec, "repeat");
        } else if (ok(st, "at") && it->at_kind == CONF_AT_ABSOLUTE) {
            fail_at(c, val_mark(st, "repeat"), "%s.repeat: daily needs at as a time of day "
                  "(HH:MM), not a date", st->path);
            st->bad |= 1u << conf_opt_index(st->sec, "repeat");
        }
    } else if (ok(st, "at") && it->at_kind == CONF_AT_DAILY && !given(st, "repeat")) {
        fail_at(c, val_mark(st, "at"), "%s.at: '%s' is a time of day: add repeat: daily, or give "
              "a date and zone (e.g. 2026-11-25T18:00:00Z)", st->path,
              (const char *)st->node[conf_opt_index(st->sec, "at")]->data.scalar.value);
        st->bad |= 1u << conf_opt_index(st->sec, "at");
    }
}

/* The part is judged against the segment by conf_check_output, which knows
 * whether the segment itself was read; it needs the part's place. */
void conf_check_low_latency(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    c->part = val_mark(st, "part");
}

/* The limits among themselves; against the host's open files is onair
 * check's (and the server's) to judge, since that is the host's, not the
 * file's. */
void conf_check_serve(Ctx *c, void *base, SectionState *st)
{
    ConfServe *v = base;
    char asked[32], got[32];

    /* for conf_check_together, which compares them with other channels' */
    if (ok(st, "connections")) {
        v->connections_line = val_mark(st, "connections").line;
        v->connections_column = val_mark(st, "connections").col;
    }
    if (ok(st, "per_address")) {
        v->per_address_line = val_mark(st, "per_address").line;
        v->per_address_column = val_mark(st, "per_address").col;
    }
    if (ok(st, "idle_timeout")) {
        v->idle_timeout_line = val_mark(st, "idle_timeout").line;
        v->idle_timeout_column = val_mark(st, "idle_timeout").col;
    }
    if (ok(st, "per_address")) {
        int most = ok(st, "connections") ? v->connections : SERVER_CONNECTIONS_DEFAULT;
        if (v->per_address > most) {
            fail_at(c, val_mark(st, "per_address"), "%s.per_address: %d is more than connections "
                    "(%d%s): one address cannot have more than all", st->path, v->per_address, most,
                    ok(st, "connections") ? "" : ", the default");
            st->bad |= 1u << conf_opt_index(st->sec, "per_address");
        }
    }
    if (ok(st, "idle_timeout") && v->idle_timeout % US) {
        /* libmicrohttpd counts whole seconds; rounding up never closes early */
        int64_t up = (v->idle_timeout + US - 1) / US * US;
        format_duration(asked, sizeof(asked), v->idle_timeout);
        format_duration(got, sizeof(got), up);
        warn_at(c, val_mark(st, "idle_timeout"), "%s.idle_timeout: %s is not whole seconds, which "
                "the server counts in: %s it is", st->path, asked, got);
        v->idle_timeout = up;
    }
}

/* ---- the frame grid: what the packager really cuts ---- */

/* µs -> frames at fps, and back; whole only where the division is exact. */
static int is_whole_frames(int64_t us, AVRational fps)
{
    return us * fps.num % ((int64_t)fps.den * US) == 0;
}

static double frames_of(int64_t us, AVRational fps)
{
    return (double)us * fps.num / ((double)fps.den * US);
}

/* The µs of n frames, or -1 where that is not a whole number of µs (a
 * value nobody can write, so none to suggest). */
static int64_t exact_us_of(int64_t n, AVRational fps)
{
    int64_t t = n * fps.den * US;
    return t % fps.num ? -1 : t / fps.num;
}

/* The nearest whole-frame values to us, one below it and one above (each
 * within lo..hi µs and, where divides > 0, dividing `divides` frames),
 * written "400ms (10 frames) or 1s (25 frames)", the nearer first; "" where
 * there is none. */
static void suggest_frames(char *buf, size_t size, int64_t us, AVRational fps, double lo, double hi,
                           int64_t divides)
{
    double x = frames_of(us, fps);
    int64_t found[2] = { -1, -1 };
    char a[32], b[32];

    for (int side = 0; side < 2; side++) {
        int64_t n = side ? (int64_t)ceil(x) : (int64_t)floor(x);
        for (; n >= 1; n += side ? 1 : -1) {
            int64_t t = exact_us_of(n, fps);
            if (t > hi)
                break;
            if (n == x || t < 0 || t < lo || (divides > 0 && divides % n))
                continue;
            found[side] = n;
            break;
        }
    }
    buf[0] = 0;
    if (found[0] >= 0 && found[1] >= 0 && found[1] - x < x - found[0]) {
        int64_t t = found[0];
        found[0] = found[1];
        found[1] = t;
    }
    if (found[0] < 0) {
        found[0] = found[1];
        found[1] = -1;
    }
    if (found[0] < 0)
        return;
    format_duration(a, sizeof(a), exact_us_of(found[0], fps));
    if (found[1] < 0) {
        snprintf(buf, size, "%s (%lld frames)", a, (long long)found[0]);
        return;
    }
    format_duration(b, sizeof(b), exact_us_of(found[1], fps));
    snprintf(buf, size, "%s (%lld frames) or %s (%lld frames)", a, (long long)found[0], b,
             (long long)found[1]);
}

/* A segment that is not a whole number of frames: the grid (common.h)
 * starts segment k at frame round(k * segment * fps), so segments are the
 * frames either side of it, long and short in turn, and right on average. */
static void check_segment_frames(Ctx *c, const ConfOutput *o, SectionState *st)
{
    AVRational fps = c->conf->video.fps;
    const Option *opt = &st->sec->options[conf_opt_index(st->sec, "segment")];
    double x = frames_of(o->segment, fps);
    int64_t lo = (int64_t)floor(x), hi = lo + 1;
    char seg[32], rate[16], lo_d[32], hi_d[32], alt[128];
    Mark m = given(st, "segment") ? val_mark(st, "segment") : c->fps;

    if (is_whole_frames(o->segment, fps))
        return;
    format_duration(seg, sizeof(seg), o->segment);
    format_fps(rate, sizeof(rate), fps);
    format_duration(lo_d, sizeof(lo_d), av_rescale_rnd(lo, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(hi_d, sizeof(hi_d), av_rescale_rnd(hi, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    suggest_frames(alt, sizeof(alt), o->segment, fps, opt->min, opt->max, 0);
    warn_at(c, m, "%s.segment: %s%s is %.5g frames at %s fps: segments are cut on whole frames, "
            "%lld or %lld of them (%s or %s), %s on average%s%s%s", st->path, seg,
            given(st, "segment") ? "" : " (the default)", x, rate, (long long)hi, (long long)lo,
            hi_d, lo_d, seg, alt[0] ? "; " : "", alt, alt[0] ? " makes every segment as long" : "");
}

/* A part that is not a whole number of frames: the packager cuts a part
 * every grid_part_frames() frames from the segment's start, so the parts are
 * shorter than asked and the last of each segment shorter still. Judged
 * when the part is shorter than the segment, and said instead of the plain
 * "does not divide": this says what the parts really are. */
static void check_part_frames(Ctx *c, const ConfOutput *o, SectionState *st)
{
    AVRational fps = c->conf->video.fps;
    double x = frames_of(o->low_latency.part, fps);
    int64_t pf = grid_part_frames(fps, o->low_latency.part);
    double sx = frames_of(o->segment, fps);
    int64_t seg_lo = (int64_t)floor(sx), seg_hi = (int64_t)ceil(sx);
    int64_t last_lo = grid_last_part_frames(seg_lo, pf), last_hi = grid_last_part_frames(seg_hi, pf);
    int seg_whole = is_whole_frames(o->segment, fps);
    char part[32], seg[32], rate[16], real[32], last[160], alt[128], l1[32], l2[32], tail[256] = "";

    format_duration(part, sizeof(part), o->low_latency.part);
    format_duration(seg, sizeof(seg), o->segment);
    format_fps(rate, sizeof(rate), fps);
    format_duration(real, sizeof(real), av_rescale_rnd(pf, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(l1, sizeof(l1), av_rescale_rnd(last_lo, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    format_duration(l2, sizeof(l2), av_rescale_rnd(last_hi, (int64_t)fps.den * US, fps.num, AV_ROUND_NEAR_INF));
    if (last_lo == pf && last_hi == pf)
        snprintf(last, sizeof(last), ", %lld to a segment", (long long)(seg_lo / pf));
    else if (last_lo == last_hi)
        snprintf(last, sizeof(last), " and the last of each segment %lld frames (%s)", (long long)last_lo,
                 l1);
    else
        snprintf(last, sizeof(last), " and the last of each segment %lld or %lld frames (%s or %s)",
                 (long long)last_hi, (long long)last_lo, l2, l1);
    /* a part that divides the segment must be shorter than it */
    suggest_frames(alt, sizeof(alt), o->low_latency.part, fps, 100e3,
                   FFMIN(5.0 * US, (double)o->segment - 1), seg_whole ? seg_lo : 0);
    if (seg_whole && alt[0])
        snprintf(tail, sizeof(tail), "; %s divides output.segment (%s) into whole-frame parts",
                 alt, seg);
    else if (seg_whole)
        snprintf(tail, sizeof(tail), "; no whole-frame part divides output.segment (%s)", seg);
    else if (alt[0])
        snprintf(tail, sizeof(tail), "; the nearest whole-frame parts are %s (none divides "
                 "output.segment, which is not whole frames either)", alt);
    warn_at(c, c->part, "%s.low_latency.part: %s is %.5g frames at %s fps: parts are cut on whole "
            "frames, so they are %lld frames (%s)%s%s", st->path, part, x, rate, (long long)pf,
            real, last, tail);
}

void conf_check_output(Ctx *c, void *base, SectionState *st)
{
    ConfOutput *o = base;
    int frames_known = !c->video_bad && c->conf->video.fps.num > 0 && c->conf->video.fps.den > 0;
    char a[32], b[32];

    if (ok(st, "dir")) {
        o->dir_line = val_mark(st, "dir").line;
        o->dir_column = val_mark(st, "dir").col;
    }
    if (frames_known && !(st->bad & (1u << conf_opt_index(st->sec, "segment"))))
        check_segment_frames(c, o, st);
    {
        int ii = conf_opt_index(st->sec, "interstitials");
        if (st->node[ii] && is_null(st->node[ii])) {
            fail_at(c, st->key[ii], "%s.interstitials: empty: give asset_list (the ad server's "
                    "URL) or asset_uri (one ad's playlist), or leave the key out", st->path);
            st->bad |= 1u << ii;
        }
    }
    /* markers for a kind of output the channel does not write: said, not refused */
    if (ok(st, "ad_markers") && !(st->bad & (1u << conf_opt_index(st->sec, "formats")))) {
        if ((o->ad_markers & AD_MARKERS_DASH_BIN) && !(o->formats & FORMAT_DASH))
            warn_at(c, val_mark(st, "ad_markers"), "%s.ad_markers: dash_bin marks DASH events, "
                    "and output.formats has no dash or cmaf; ignored", st->path);
        if ((o->ad_markers & AD_MARKERS_CUE) && !(o->formats & (FORMAT_HLS_TS | FORMAT_HLS_FMP4)))
            warn_at(c, val_mark(st, "ad_markers"), "%s.ad_markers: cue marks HLS playlists, and "
                    "output.formats has no hls, hls-fmp4 or cmaf; ignored", st->path);
    }
    if (ok(st, "interstitials") && !(st->bad & (1u << conf_opt_index(st->sec, "formats"))) &&
        !(o->formats & (FORMAT_HLS_TS | FORMAT_HLS_FMP4)))
        warn_at(c, key_mark(st, "interstitials"), "%s.interstitials: HLS Interstitials are HLS "
                "tags, and output.formats has no hls, hls-fmp4 or cmaf; ignored", st->path);
    if (!o->low_latency.part || !ok(st, "low_latency") ||
        (st->bad & (1u << conf_opt_index(st->sec, "segment"))))
        return;
    format_duration(a, sizeof(a), o->low_latency.part);
    format_duration(b, sizeof(b), o->segment);
    if (o->low_latency.part >= o->segment) {
        fail_at(c, c->part, "%s.low_latency.part: %s must be "
              "shorter than output.segment (%s)", st->path, a, b);
        st->bad |= 1u << conf_opt_index(st->sec, "low_latency");
    } else if (frames_known && !is_whole_frames(o->low_latency.part, c->conf->video.fps)) {
        check_part_frames(c, o, st);
    } else if (o->segment % o->low_latency.part) {
        warn_at(c, c->part, "%s.low_latency.part: %s does "
                "not divide output.segment (%s): the last part of every segment is shorter",
                st->path, a, b);
    }
}

/* Exactly one of the two URLs; an empty `interstitials:` is caught by
 * conf_check_output, since a section not given is never checked. */
void conf_check_interstitials(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    if (given(st, "asset_list") && given(st, "asset_uri")) {
        fail_at(c, key_mark(st, "asset_uri"), "%s: give asset_list (an ad server) or asset_uri "
                "(one ad), not both", st->path);
        st->bad |= 1u << conf_opt_index(st->sec, "asset_uri");
    } else if (!given(st, "asset_list") && !given(st, "asset_uri") &&
               !(st->bad & ((1u << conf_opt_index(st->sec, "asset_list")) |
                            (1u << conf_opt_index(st->sec, "asset_uri"))))) {
        fail_at(c, st->where, "%s: give asset_list (the ad server's URL) or asset_uri (one ad's "
                "playlist)", st->path);
        st->bad |= 1u << conf_opt_index(st->sec, "asset_list");
    }
}

/* What one key cannot judge alone: credentials come in pairs, and one kind at a time. */
void conf_check_push(Ctx *c, void *base, SectionState *st)
{
    ConfPush *t = base;
    int bearer = given(st, "bearer_env"), user = given(st, "basic_user_env");
    int pass = given(st, "basic_password_env"), sig = given(st, "aws_sigv4");
    int key = given(st, "aws_key_env"), secret = given(st, "aws_secret_env");

    if (user != pass) {
        const char *has = user ? "basic_user_env" : "basic_password_env";
        fail_at(c, key_mark(st, has), "%s.%s: give basic_user_env and basic_password_env together",
                st->path, has);
        st->bad |= 1u << conf_opt_index(st->sec, has);
    }
    if (bearer && (user || pass)) {
        fail_at(c, key_mark(st, user ? "basic_user_env" : "basic_password_env"), "%s: bearer_env and "
                "basic auth exclude each other: give one of them", st->path);
        st->bad |= 1u << conf_opt_index(st->sec, "bearer_env");
    }
    if (sig) {
        const char *v = t->aws_sigv4;
        int parts = 1, okv = v && *v && *v != ':';
        for (const char *p = v; okv && *p; p++) {
            if (*p == ':')
                parts++;
            else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                       *p == '-' || *p == '_'))
                okv = 0;
        }
        if (!okv || parts > 4) {
            fail_at(c, val_mark(st, "aws_sigv4"), "%s.aws_sigv4: '%s' is not a SigV4 scope: write "
                    "PROVIDER1[:PROVIDER2[:REGION[:SERVICE]]], e.g. \"aws:amz:eu-west-1:s3\"",
                    st->path, v ? v : "");
            st->bad |= 1u << conf_opt_index(st->sec, "aws_sigv4");
        }
        if (!key || !secret) {
            fail_at(c, key_mark(st, "aws_sigv4"), "%s.aws_sigv4: needs aws_key_env and aws_secret_env "
                    "(the variables holding the access key id and the secret)", st->path);
            st->bad |= 1u << conf_opt_index(st->sec, "aws_sigv4");
        }
        if (bearer || user || pass) {
            fail_at(c, key_mark(st, "aws_sigv4"), "%s: aws_sigv4 signs the requests itself: leave "
                    "out bearer_env and basic auth", st->path);
            st->bad |= 1u << conf_opt_index(st->sec, "aws_sigv4");
        }
    } else if (key || secret) {
        const char *has = key ? "aws_key_env" : "aws_secret_env";
        fail_at(c, key_mark(st, has), "%s.%s: only used with aws_sigv4", st->path, has);
        st->bad |= 1u << conf_opt_index(st->sec, has);
    }
    if ((bearer || user || sig) && ok(st, "headers")) {
        for (int i = 0; i < t->headers.count; i++) {
            if (!strncasecmp(t->headers.lines[i], "Authorization:", 14)) {
                fail_at(c, val_mark(st, "headers"), "%s.headers: Authorization is set by %s; "
                        "leave one out", st->path, bearer ? "bearer_env" : user ? "basic auth" : "aws_sigv4");
                st->bad |= 1u << conf_opt_index(st->sec, "headers");
            }
        }
    }
    if (ok(st, "ca_file") && t->url && !strncasecmp(t->url, "http:", 5))
        warn_at(c, key_mark(st, "ca_file"), "%s.ca_file: used only for https, and url is http",
                st->path);
}

/* A webhook without a key still works, but its receiver cannot tell onair's
 * events from anyone's. */
void conf_check_events(Ctx *c, void *base, SectionState *st)
{
    (void)base;
    if (ok(st, "url") && !given(st, "secret_env"))
        warn_at(c, key_mark(st, "url"), "%s: no secret_env: events are sent unsigned, and the "
                "receiver cannot tell that they come from onair", st->path);
}

void conf_check_redundancy(Ctx *c, void *base, SectionState *st)
{
    ConfRedundancy *r = base;

    if (ok(st, "lease") && r->lease % US)
        fail_at(c, val_mark(st, "lease"), "%s.lease: etcd's leases are whole seconds", st->path);
}

void conf_check_channel(Ctx *c, void *base, SectionState *st)
{
    ChannelConf *conf = base;
    char *used;

    if (ok(st, "channel")) {
        conf->channel_line = val_mark(st, "channel").line;
        conf->channel_column = val_mark(st, "channel").col;
    }
    if (!conf->title && conf->channel && !given(st, "title")) {
        conf->title = strdup(conf->channel);
        if (!conf->title)
            c->nomem = 1;
    }
    if (c->sources_bad || !conf->nb_sources || !conf->schedule.items)
        return;
    used = calloc(conf->nb_sources, 1);
    if (!used) {
        c->nomem = 1;
        return;
    }
    for (int i = 0; i < conf->schedule.nb_items; i++)
        if (conf->schedule.items[i].source >= 0)
            used[conf->schedule.items[i].source] = 1;
    for (int i = 0; i < conf->nb_sources; i++)
        if (conf->sources[i].backup_source >= 0 && used[i])
            used[conf->sources[i].backup_source] = 1;
    for (int i = 0; i < conf->nb_sources; i++)
        if (!used[i])
            warn_at(c, (Mark){ conf->sources[i].line, conf->sources[i].column },
                    "sources.%s is never scheduled", conf->sources[i].name);
    free(used);
}
