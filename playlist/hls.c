/*
 * HLS media and multivariant playlists (RFC 8216, draft-pantos-hls-rfc8216bis).
 *
 * Both writers append to the caller's Buf; on failure the Buf is cut back to
 * the length it had, so a caller never publishes half a playlist.
 */
#include "playlist.h"

#include "common/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/common.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>

/* Longest extension accepted: keeps segment names in a fixed buffer. */
#define EXT_MAX 16

static int is_set(const char *s)
{
    return s && s[0];
}

/* A quoted-string attribute may hold neither '"' nor a line break, and a
 * line (a URI) may hold no line break: either would end it early. */
static int quotable(const char *s)
{
    return is_set(s) && !strpbrk(s, "\"\r\n");
}

static int line_safe(const char *s)
{
    return is_set(s) && !strpbrk(s, "\r\n");
}

/* Milliseconds, half up: what EXTINF shows. */
static int64_t to_ms(int64_t duration, int64_t timescale)
{
    return av_rescale_rnd(duration, 1000, timescale, AV_ROUND_NEAR_INF);
}

/* ---- ad breaks ---------------------------------------------------------- */

/* How far a break's start or end may be from a segment's start and still be
 * on it, unless the playlist says otherwise (break_slack_us): PROGRAM-DATE-
 * TIME shows milliseconds, and both come from the same air clock, so
 * anything further is a break cut inside a segment. */
#define BREAK_SLACK_US 1000

static int64_t slack(const HlsMediaPlaylist *pl)
{
    return pl->break_slack_us > 0 ? pl->break_slack_us : BREAK_SLACK_US;
}

#define CLASS_INTERSTITIAL "com.apple.hls.interstitial"

/* A quoted-string that is also printable: RFC 8216 4.1 allows no control
 * characters in a playlist at all. */
static int printable_quotable(const char *s)
{
    if (!is_set(s))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '"')
            return 0;
    return 1;
}

/* A splice_info_section (table_id 0xFC) as a hexadecimal-sequence of whole
 * bytes, as RFC 8216bis writes SCTE35-OUT and SCTE35-IN. */
static int scte35_hex(const char *s)
{
    size_t n;

    if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return 0;
    s += 2;
    n = strlen(s);
    return n >= 2 && n % 2 == 0 && (s[0] == 'F' || s[0] == 'f') && (s[1] == 'C' || s[1] == 'c') &&
           strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Where a break ends on the wall clock; INT64_MAX while it is out. */
static int64_t break_end(const PlaylistAdBreak *b)
{
    return b->duration_us > 0 ? b->start_us + b->duration_us : INT64_MAX;
}

/* The length the CUE tags give: what it lasted once returned, else what was
 * planned; 0: not known. */
static int64_t cue_length(const PlaylistAdBreak *b)
{
    return b->duration_us > 0 ? b->duration_us : b->planned_duration_us;
}

/* The length an interstitial covers (X-RESUME-OFFSET, X-PLAYOUT-LIMIT): the
 * planned one where there is one, since a player drops a date range whose
 * attributes change between reloads; else the real one once known; 0: none. */
static int64_t interstitial_length(const PlaylistAdBreak *b)
{
    return b->planned_duration_us > 0 ? b->planned_duration_us : b->duration_us;
}

/* Where segment i starts on the wall clock: its PROGRAM-DATE-TIME, else the
 * end of the one before (prev_start: where that one started); -1: unknown. */
static int64_t segment_start(const HlsMediaPlaylist *pl, int i, int64_t prev_start)
{
    const PlaylistSegment *s = &pl->segments[i];

    if (s->pdt_us > 0)
        return s->pdt_us;
    if (i == 0 || prev_start < 0)
        return -1;
    return prev_start + av_rescale(pl->segments[i - 1].duration, 1000000, pl->timescale);
}

static int near(const HlsMediaPlaylist *pl, int64_t a, int64_t b)
{
    return a != INT64_MAX && b != INT64_MAX && llabs(a - b) <= slack(pl);
}

/* A break edge strictly inside the listed segments must be a segment's start. */
static int on_boundary(const HlsMediaPlaylist *pl, int64_t t)
{
    int64_t start = -1, first = -1, end = -1;

    for (int i = 0; i < pl->nsegments; i++) {
        start = segment_start(pl, i, start);
        if (i == 0)
            first = start;
        if (near(pl, t, start))
            return 1;
        end = start + av_rescale(pl->segments[i].duration, 1000000, pl->timescale);
    }
    return pl->nsegments == 0 || t == INT64_MAX || t <= first + slack(pl) || t >= end - slack(pl);
}

static int check_breaks(const HlsMediaPlaylist *pl)
{
    const HlsInterstitials *in = pl->interstitials;

    if (pl->nbreaks < 0 || (pl->nbreaks && !pl->breaks) ||
        (pl->ad_markers & ~(unsigned)(AD_MARKERS_DATERANGE | AD_MARKERS_CUE | AD_MARKERS_DASH_BIN)))
        return AVERROR(EINVAL);
    if (in && (!!in->asset_list == !!in->asset_uri ||
               !printable_quotable(in->asset_list ? in->asset_list : in->asset_uri) ||
               (in->restrict_mask & ~(unsigned)(INTERSTITIAL_RESTRICT_SKIP | INTERSTITIAL_RESTRICT_JUMP))))
        return AVERROR(EINVAL);
    if (!pl->nbreaks)
        return 0;
    /* a date range is placed by PROGRAM-DATE-TIME; the CUE tags too */
    if (pl->nsegments && pl->segments[0].pdt_us <= 0)
        return AVERROR(EINVAL);
    for (int i = 0; i < pl->nbreaks; i++) {
        const PlaylistAdBreak *b = &pl->breaks[i];

        if (!printable_quotable(b->id) || b->start_us <= 0 || b->planned_duration_us < 0 ||
            b->duration_us < 0 || (b->scte35_out && !scte35_hex(b->scte35_out)) ||
            (b->scte35_in && (!scte35_hex(b->scte35_in) || b->duration_us <= 0)))
            return AVERROR(EINVAL);
        /* one break at a time, each ID once */
        if (i && b->start_us < break_end(&pl->breaks[i - 1]))
            return AVERROR(EINVAL);
        for (int j = 0; j < i; j++)
            if (!strcmp(b->id, pl->breaks[j].id))
                return AVERROR(EINVAL);
        if ((pl->ad_markers & AD_MARKERS_CUE) &&
            (!on_boundary(pl, b->start_us) || !on_boundary(pl, break_end(b))))
            return AVERROR(EINVAL);
    }
    return 0;
}

static int check_media(const HlsMediaPlaylist *pl)
{
    if (pl->timescale <= 0 || pl->nsegments < 0 || pl->media_sequence < 0)
        return AVERROR(EINVAL);
    if (pl->nsegments > 0 && !pl->segments)
        return AVERROR(EINVAL);
    if (!is_set(pl->extension) || strlen(pl->extension) > EXT_MAX ||
        strpbrk(pl->extension, "\r\n/"))
        return AVERROR(EINVAL);
    if (pl->map_uri && !quotable(pl->map_uri))
        return AVERROR(EINVAL);
    for (int i = 0; i < pl->nsegments; i++)
        if (pl->segments[i].duration < 0 || pl->segments[i].number < 0 || pl->segments[i].pdt_us < 0)
            return AVERROR(EINVAL);
    if (pl->discontinuity_sequence < 0 || pl->ndateranges < 0 || (pl->ndateranges && !pl->dateranges))
        return AVERROR(EINVAL);
    if (pl->ll && (pl->ll->part_target_us <= 0 || pl->ll->nparts < 0 || (pl->ll->nparts && !pl->ll->parts) ||
                   pl->ll->nreports < 0 ||
                   (pl->ll->nreports && (!pl->ll->report_uris || !pl->ll->report_msn || !pl->ll->report_part))))
        return AVERROR(EINVAL);
    for (int i = 0; pl->ll && i < pl->ll->nreports; i++)
        if (!quotable(pl->ll->report_uris[i]))
            return AVERROR(EINVAL);
    for (int i = 0; i < pl->ndateranges; i++) {
        const HlsDateRange *d = &pl->dateranges[i];
        if (!quotable(d->id) || (d->title && !quotable(d->title)) || d->start_us <= 0 ||
            d->planned_duration_us < 0 || d->duration_us < 0)
            return AVERROR(EINVAL);
    }
    return check_breaks(pl);
}

/* Seconds with milliseconds: 30.000 */
static int put_seconds(Buf *out, const char *name, int64_t us)
{
    int64_t ms = av_rescale_rnd(us, 1, 1000, AV_ROUND_NEAR_INF);
    return buf_printf(out, ",%s=%lld.%03lld", name, (long long)(ms / 1000), (long long)(ms % 1000));
}

static int put_daterange(Buf *out, const HlsDateRange *d)
{
    char when[40];
    int ret;

    clock_format_iso(d->start_us, when, sizeof(when));
    if ((ret = buf_printf(out, "#EXT-X-DATERANGE:ID=\"%s\",CLASS=\"com.onair.program\",START-DATE=\"%s\"",
                          d->id, when)) < 0)
        return ret;
    if (d->duration_us > 0 && (ret = put_seconds(out, "DURATION", d->duration_us)) < 0)
        return ret;
    if (d->planned_duration_us > 0 && (ret = put_seconds(out, "PLANNED-DURATION", d->planned_duration_us)) < 0)
        return ret;
    if (d->title && (ret = buf_printf(out, ",X-TITLE=\"%s\"", d->title)) < 0)
        return ret;
    return buf_printf(out, "\n");
}

/* Seconds with milliseconds, trailing zeros kept: 0.500 */
static void fmt_seconds(char *out, size_t size, int64_t us)
{
    int64_t ms = av_rescale_rnd(us, 1, 1000, AV_ROUND_NEAR_INF);
    snprintf(out, size, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* The break's EXT-X-DATERANGEs: the out, the return once it came, and the
 * interstitial. */
static int put_break(Buf *out, const HlsMediaPlaylist *pl, const PlaylistAdBreak *b)
{
    const HlsInterstitials *in = pl->interstitials;
    char when[40];
    int ret;

    clock_format_iso(b->start_us, when, sizeof(when));
    if (pl->ad_markers & AD_MARKERS_DATERANGE) {
        if ((ret = buf_printf(out, "#EXT-X-DATERANGE:ID=\"%s\",START-DATE=\"%s\"", b->id, when)) < 0 ||
            (b->planned_duration_us > 0 &&
             (ret = put_seconds(out, "PLANNED-DURATION", b->planned_duration_us)) < 0) ||
            (b->scte35_out && (ret = buf_printf(out, ",SCTE35-OUT=%s", b->scte35_out)) < 0) ||
            (ret = buf_printf(out, "\n")) < 0)
            return ret;
        if (b->duration_us > 0 &&
            ((ret = buf_printf(out, "#EXT-X-DATERANGE:ID=\"%s\",START-DATE=\"%s\"", b->id, when)) < 0 ||
             (ret = put_seconds(out, "DURATION", b->duration_us)) < 0 ||
             (b->scte35_in && (ret = buf_printf(out, ",SCTE35-IN=%s", b->scte35_in)) < 0) ||
             (ret = buf_printf(out, "\n")) < 0))
            return ret;
    }
    if (in) {
        int64_t len = interstitial_length(b);
        unsigned r = in->restrict_mask;

        if ((ret = buf_printf(out, "#EXT-X-DATERANGE:ID=\"%s-ad\",CLASS=\"" CLASS_INTERSTITIAL "\","
                              "START-DATE=\"%s\"", b->id, when)) < 0 ||
            (len > 0 &&
             (ret = put_seconds(out, b->planned_duration_us > 0 ? "PLANNED-DURATION" : "DURATION", len)) < 0) ||
            (ret = buf_printf(out, ",%s=\"%s\"", in->asset_list ? "X-ASSET-LIST" : "X-ASSET-URI",
                              in->asset_list ? in->asset_list : in->asset_uri)) < 0)
            return ret;
        /* a live primary resumes where the break ends, not after however
         * long the ads ran, and an ad running long is cut there */
        if (len > 0 && ((ret = put_seconds(out, "X-RESUME-OFFSET", len)) < 0 ||
                        (ret = put_seconds(out, "X-PLAYOUT-LIMIT", len)) < 0))
            return ret;
        if (r && (ret = buf_printf(out, ",X-RESTRICT=\"%s%s%s\"", r & INTERSTITIAL_RESTRICT_SKIP ? "SKIP" : "",
                                   r == (INTERSTITIAL_RESTRICT_SKIP | INTERSTITIAL_RESTRICT_JUMP) ? "," : "",
                                   r & INTERSTITIAL_RESTRICT_JUMP ? "JUMP" : "")) < 0)
            return ret;
        /* the break starts a segment: say so (X-SNAP=OUT), for a break
         * announced ahead has no segment at its START-DATE yet, and hls.js
         * (1.7.4, InterstitialEvent.startIsAligned) then takes its start as
         * unaligned, creates the ad's player without the in-place timeline
         * offset, and skips the ad once the segments come and it appends it
         * in place */
        if ((ret = buf_printf(out, ",X-SNAP=\"OUT\"")) < 0)
            return ret;
        if ((ret = buf_printf(out, "\n")) < 0)
            return ret;
    }
    return 0;
}

/* The CUE tags of the segment that starts at t (wall clock): the end of a
 * break that returned there, then the start of one or its continuation. */
static int put_cues(Buf *out, const HlsMediaPlaylist *pl, int64_t t)
{
    int ret;

    if (!(pl->ad_markers & AD_MARKERS_CUE) || t < 0)
        return 0;
    for (int i = 0; i < pl->nbreaks; i++)
        if (near(pl, t, break_end(&pl->breaks[i])) && (ret = buf_printf(out, "#EXT-X-CUE-IN\n")) < 0)
            return ret;
    for (int i = 0; i < pl->nbreaks; i++) {
        const PlaylistAdBreak *b = &pl->breaks[i];
        int64_t len = cue_length(b);
        char s[32];

        if (t + slack(pl) < b->start_us || (b->duration_us > 0 && t + slack(pl) >= break_end(b)))
            continue;
        if (near(pl, t, b->start_us)) {
            fmt_seconds(s, sizeof(s), len);
            ret = len > 0 ? buf_printf(out, "#EXT-X-CUE-OUT:DURATION=%s\n", s)
                          : buf_printf(out, "#EXT-X-CUE-OUT\n");
        } else {
            fmt_seconds(s, sizeof(s), t - b->start_us);
            if ((ret = buf_printf(out, "#EXT-X-CUE-OUT-CONT:ElapsedTime=%s", s)) >= 0 && len > 0) {
                fmt_seconds(s, sizeof(s), len);
                ret = buf_printf(out, ",Duration=%s", s);
            }
            if (ret >= 0)
                ret = buf_printf(out, "\n");
        }
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* The parts of segment `number`, in order. */
static int put_parts(Buf *out, const HlsMediaPlaylist *pl, int64_t number)
{
    const HlsLowLatency *ll = pl->ll;
    int ret = 0;

    for (int i = 0; i < ll->nparts && ret >= 0; i++) {
        const PlaylistPart *p = &ll->parts[i];
        char name[32 + EXT_MAX], dur[32];
        if (p->number != number)
            continue;
        output_name(name, sizeof(name), p->number, p->index, pl->extension);
        fmt_seconds(dur, sizeof(dur), av_rescale(p->duration, 1000000, pl->timescale));
        ret = buf_printf(out, "#EXT-X-PART:DURATION=%s,URI=\"%s\"%s\n", dur, name,
                         p->independent ? ",INDEPENDENT=YES" : "");
    }
    return ret;
}

/* After the last whole segment: the parts of the one in progress, the hint
 * of the next part, and where the other renditions stand. */
static int put_live_edge(Buf *out, const HlsMediaPlaylist *pl, int64_t next_start)
{
    const HlsLowLatency *ll = pl->ll;
    int64_t last = pl->nsegments ? pl->segments[pl->nsegments - 1].number : -1;
    int ret = 0;

    for (int i = 0; i < ll->nparts; i++) {
        const PlaylistPart *p = &ll->parts[i];
        if (p->number <= last)
            continue;
        /* a segment in progress: its CUE tags before its first part */
        if (i == 0 || ll->parts[i - 1].number != p->number) {
            if ((ret = put_cues(out, pl, next_start)) < 0 || (ret = put_parts(out, pl, p->number)) < 0)
                return ret;
        }
        if (next_start >= 0)
            next_start += av_rescale(p->duration, 1000000, pl->timescale);
    }
    if (ll->hint_index >= 0) {
        char name[32 + EXT_MAX];
        output_name(name, sizeof(name), ll->hint_number, ll->hint_index, pl->extension);
        if ((ret = buf_printf(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s\"\n", name)) < 0)
            return ret;
    }
    for (int i = 0; i < ll->nreports && ret >= 0; i++)
        ret = buf_printf(out, "#EXT-X-RENDITION-REPORT:URI=\"%s\",LAST-MSN=%lld,LAST-PART=%d\n",
                         ll->report_uris[i], (long long)ll->report_msn[i], ll->report_part[i]);
    return ret;
}

int hls_write_media_playlist(Buf *out, const HlsMediaPlaylist *pl)
{
    size_t start;
    int64_t max_ms = 0, target, seg_start = -1;
    int ret;

    if (!out || !pl)
        return AVERROR(EINVAL);
    if ((ret = check_media(pl)) < 0)
        return ret;
    start = out->len;

    /* TARGETDURATION comes from the millisecond values written below rather
     * than the exact durations: a player checks EXTINF rounded against it,
     * and 2.4996 s must not become EXTINF 2.500 under a target of 2. */
    for (int i = 0; i < pl->nsegments; i++) {
        int64_t ms = to_ms(pl->segments[i].duration, pl->timescale);
        if (ms > max_ms)
            max_ms = ms;
    }
    target = (max_ms + 500) / 1000;
    if (target < 1)
        target = 1;

    /* EXT-X-MAP needs version 6 and fMP4 segments 7 (RFC 8216 section 7);
     * delta updates (EXT-X-SKIP) 9 (RFC 8216bis) */
    if ((ret = buf_printf(out, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%lld\n",
                          pl->ll ? 9 : pl->map_uri ? 7 : 3, (long long)target)) < 0)
        goto fail;
    if (pl->ll) {
        char hold[32], part[32], skip[64] = "";
        fmt_seconds(hold, sizeof(hold), pl->ll->part_hold_back_us);
        fmt_seconds(part, sizeof(part), pl->ll->part_target_us);
        if (pl->ll->can_skip_until_us > 0) {
            char until[32];
            fmt_seconds(until, sizeof(until), pl->ll->can_skip_until_us);
            snprintf(skip, sizeof(skip), ",CAN-SKIP-UNTIL=%s", until);
        }
        if ((ret = buf_printf(out, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%s%s\n"
                              "#EXT-X-PART-INF:PART-TARGET=%s\n", hold, skip, part)) < 0)
            goto fail;
    }
    if ((ret = buf_printf(out, "#EXT-X-MEDIA-SEQUENCE:%lld\n", (long long)pl->media_sequence)) < 0)
        goto fail;
    if (pl->vod && (ret = buf_printf(out, "#EXT-X-PLAYLIST-TYPE:VOD\n")) < 0)
        goto fail;
    if ((ret = buf_printf(out, "#EXT-X-INDEPENDENT-SEGMENTS\n")) < 0)
        goto fail;
    if (pl->discontinuity_sequence > 0 &&
        (ret = buf_printf(out, "#EXT-X-DISCONTINUITY-SEQUENCE:%lld\n",
                          (long long)pl->discontinuity_sequence)) < 0)
        goto fail;
    if (pl->map_uri && (ret = buf_printf(out, "#EXT-X-MAP:URI=\"%s\"\n", pl->map_uri)) < 0)
        goto fail;
    for (int i = 0; i < pl->ndateranges; i++)
        if ((ret = put_daterange(out, &pl->dateranges[i])) < 0)
            goto fail;
    for (int i = 0; i < pl->nbreaks; i++)
        if ((ret = put_break(out, pl, &pl->breaks[i])) < 0)
            goto fail;

    for (int i = 0; i < pl->nsegments; i++) {
        const PlaylistSegment *s = &pl->segments[i];
        int64_t ms = to_ms(s->duration, pl->timescale);
        char name[32 + EXT_MAX];

        seg_start = segment_start(pl, i, seg_start);
        if (s->discontinuity && (ret = buf_printf(out, "#EXT-X-DISCONTINUITY\n")) < 0)
            goto fail;
        if ((ret = put_cues(out, pl, seg_start)) < 0)
            goto fail;
        if (s->pdt_us > 0) {
            char when[40];
            clock_format_iso(s->pdt_us, when, sizeof(when));
            if ((ret = buf_printf(out, "#EXT-X-PROGRAM-DATE-TIME:%s\n", when)) < 0)
                goto fail;
        }
        if (pl->ll && (ret = put_parts(out, pl, s->number)) < 0)
            goto fail;
        if (s->gap && (ret = buf_printf(out, "#EXT-X-GAP\n")) < 0)
            goto fail;
        output_name(name, sizeof(name), s->number, -1, pl->extension);
        if ((ret = buf_printf(out, "#EXTINF:%lld.%03lld,\n%s\n",
                              (long long)(ms / 1000), (long long)(ms % 1000), name)) < 0)
            goto fail;
    }
    if (pl->ll && (ret = put_live_edge(out, pl, seg_start < 0 ? -1 : seg_start +
                                       av_rescale(pl->segments[pl->nsegments - 1].duration, 1000000,
                                                  pl->timescale))) < 0)
        goto fail;

    if (pl->vod && (ret = buf_printf(out, "#EXT-X-ENDLIST\n")) < 0)
        goto fail;
    return 0;

fail:
    buf_truncate(out, start);
    return ret;
}

static int check_master(const HlsMaster *m)
{
    const HlsAudioRendition *a = m->audio;

    if (m->version < 1 || m->nvariants < 1 || !m->variants)
        return AVERROR(EINVAL);
    if (a && (!quotable(a->group) || !quotable(a->name) || !quotable(a->uri) ||
              (a->language && !quotable(a->language)) || a->channels < 1))
        return AVERROR(EINVAL);
    for (int i = 0; i < m->nvariants; i++) {
        const HlsVariant *v = &m->variants[i];

        if (!line_safe(v->uri) || !quotable(v->codecs) || v->bandwidth <= 0 ||
            v->average_bandwidth < 0 || v->width <= 0 || v->height <= 0 ||
            v->fps.num <= 0 || v->fps.den <= 0)
            return AVERROR(EINVAL);
        /* A variant naming a group the playlist does not declare is an
         * error players reject the whole playlist for. */
        if (v->audio_group && (!a || strcmp(v->audio_group, a->group)))
            return AVERROR(EINVAL);
    }
    return 0;
}

int hls_write_master_playlist(Buf *out, const HlsMaster *m)
{
    const HlsAudioRendition *a;
    size_t start;
    int ret;

    if (!out || !m)
        return AVERROR(EINVAL);
    if ((ret = check_master(m)) < 0)
        return ret;
    a = m->audio;
    start = out->len;

    if ((ret = buf_printf(out, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n",
                          m->version)) < 0)
        goto fail;

    if (a) {
        if ((ret = buf_printf(out, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"%s\",NAME=\"%s\"",
                              a->group, a->name)) < 0)
            goto fail;
        if (a->language && (ret = buf_printf(out, ",LANGUAGE=\"%s\"", a->language)) < 0)
            goto fail;
        if ((ret = buf_printf(out, ",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s\"\n",
                              a->channels, a->uri)) < 0)
            goto fail;
    }

    for (int i = 0; i < m->nvariants; i++) {
        const HlsVariant *v = &m->variants[i];
        int64_t mfps = av_rescale_rnd(v->fps.num, 1000, v->fps.den, AV_ROUND_NEAR_INF);

        if ((ret = buf_printf(out, "#EXT-X-STREAM-INF:BANDWIDTH=%lld", (long long)v->bandwidth)) < 0)
            goto fail;
        if (v->average_bandwidth > 0 &&
            (ret = buf_printf(out, ",AVERAGE-BANDWIDTH=%lld", (long long)v->average_bandwidth)) < 0)
            goto fail;
        if ((ret = buf_printf(out, ",RESOLUTION=%dx%d,FRAME-RATE=%lld.%03lld,CODECS=\"%s\"",
                              v->width, v->height, (long long)(mfps / 1000),
                              (long long)(mfps % 1000), v->codecs)) < 0)
            goto fail;
        if (v->audio_group && (ret = buf_printf(out, ",AUDIO=\"%s\"", v->audio_group)) < 0)
            goto fail;
        /* onair passes no A53/CEA-608 captions to its encoders, so it says so
         * (RFC 8216bis 4.4.6.2: NONE, then on every EXT-X-STREAM-INF; no
         * EXT-X-VERSION needed). Without it players may probe segments for
         * 608: Shaka's low-latency mode probes the open LL segment, which has
         * no URI yet, and fails to load. */
        if ((ret = buf_printf(out, ",CLOSED-CAPTIONS=NONE\n%s\n", v->uri)) < 0)
            goto fail;
    }
    return 0;

fail:
    buf_truncate(out, start);
    return ret;
}

/* ---- reading back a live media playlist (for the server) ----------------- */

typedef struct Line {
    const char *p;
    size_t len;                       /* without the line break */
    size_t next;                      /* offset of the line after it */
} Line;

/* The line at offset at; 0 at the end. A CR before LF is not part of it. */
static int line_at(const char *text, size_t len, size_t at, Line *l)
{
    const char *nl;

    if (at >= len)
        return 0;
    l->p = text + at;
    nl = memchr(l->p, '\n', len - at);
    l->len = nl ? (size_t)(nl - l->p) : len - at;
    l->next = at + l->len + (nl ? 1 : 0);
    if (l->len && l->p[l->len - 1] == '\r')
        l->len--;
    return 1;
}

static int starts(const Line *l, const char *prefix)
{
    size_t n = strlen(prefix);
    return l->len >= n && !memcmp(l->p, prefix, n);
}

/* A tag that is the line, or the line up to ':' ("#EXT-X-DISCONTINUITY" is
 * not "#EXT-X-DISCONTINUITY-SEQUENCE:3"). */
static int is_tag(const Line *l, const char *tag)
{
    size_t n = strlen(tag);
    return starts(l, tag) && (l->len == n || l->p[n] == ':');
}

/* A decimal number of seconds after `name` in the line, in microseconds;
 * -1 when absent. Parsed by hand: strtod would need a terminated copy and
 * follows the locale. */
static int64_t seconds_after(const Line *l, const char *name)
{
    size_t n = strlen(name), i;
    int64_t whole = 0, frac = 0, scale = 1000000;
    int digits = 0;

    for (i = 0; i + n <= l->len; i++)
        if (!memcmp(l->p + i, name, n))
            break;
    if (i + n > l->len)
        return -1;
    for (i += n; i < l->len && l->p[i] >= '0' && l->p[i] <= '9' && whole < INT64_MAX / 100; i++, digits++)
        whole = whole * 10 + (l->p[i] - '0');
    if (i < l->len && l->p[i] == '.')
        for (i++; i < l->len && l->p[i] >= '0' && l->p[i] <= '9'; i++, digits++)
            if (scale > 1) {
                scale /= 10;
                frac += (l->p[i] - '0') * scale;
            }
    if (!digits || whole > INT64_MAX / 1000000 - 1)
        return -1;
    return whole * 1000000 + frac;
}

/* A tag that belongs to the segment after it (or, for EXT-X-PART, to the
 * segment its parts make up): where a segment's lines begin. */
static int is_segment_tag(const Line *l)
{
    return is_tag(l, "#EXTINF") || is_tag(l, "#EXT-X-DISCONTINUITY") ||
           is_tag(l, "#EXT-X-PROGRAM-DATE-TIME") || is_tag(l, "#EXT-X-PART") ||
           is_tag(l, "#EXT-X-GAP") || is_tag(l, "#EXT-X-BITRATE") ||
           is_tag(l, "#EXT-X-CUE-OUT") || is_tag(l, "#EXT-X-CUE-OUT-CONT") || is_tag(l, "#EXT-X-CUE-IN");
}

static int is_uri(const Line *l)
{
    return l->len && l->p[0] != '#';
}

static int put_line(Buf *out, const Line *l)
{
    int ret = buf_append(out, l->p, l->len);
    return ret < 0 ? ret : buf_append(out, "\n", 1);
}

int hls_read_edge(const char *text, size_t len, HlsEdge *e)
{
    int64_t sequence = 0, segments = 0;
    int parts = 0, target_seen = 0;
    size_t at = 0;
    Line l;

    if (!text || !e)
        return AVERROR(EINVAL);
    memset(e, 0, sizeof(*e));
    if (!line_at(text, len, 0, &l) || !is_tag(&l, "#EXTM3U"))
        return AVERROR_INVALIDDATA;
    for (; line_at(text, len, at, &l); at = l.next) {
        if (is_tag(&l, "#EXT-X-MEDIA-SEQUENCE")) {
            int64_t us = seconds_after(&l, ":");
            if (us < 0)
                return AVERROR_INVALIDDATA;
            sequence = us / 1000000;
        } else if (is_tag(&l, "#EXT-X-TARGETDURATION")) {
            if ((e->target_us = seconds_after(&l, ":")) < 0)
                return AVERROR_INVALIDDATA;
            target_seen = 1;
        } else if (is_tag(&l, "#EXT-X-PART-INF")) {
            e->part_target_us = seconds_after(&l, "PART-TARGET=");
        } else if (is_tag(&l, "#EXT-X-SERVER-CONTROL")) {
            e->skip_until_us = seconds_after(&l, "CAN-SKIP-UNTIL=");
            e->can_block = memmem(l.p, l.len, "CAN-BLOCK-RELOAD=YES", 20) != NULL;
        } else if (is_tag(&l, "#EXT-X-PART")) {
            parts++;
        } else if (is_tag(&l, "#EXT-X-ENDLIST")) {
            e->ended = 1;
        } else if (is_tag(&l, "#EXT-X-STREAM-INF")) {
            return AVERROR_INVALIDDATA;   /* a multivariant playlist */
        } else if (is_uri(&l)) {
            segments++;
            parts = 0;
        }
    }
    if (!target_seen)
        return AVERROR_INVALIDDATA;
    e->part_target_us = FFMAX(e->part_target_us, 0);
    e->skip_until_us = FFMAX(e->skip_until_us, 0);
    e->last_msn = sequence + segments - 1;
    e->last_part = parts - 1;
    return 0;
}

int hls_edge_has(const HlsEdge *e, int64_t msn, int part)
{
    if (msn <= e->last_msn)
        return 1;
    return part >= 0 && msn == e->last_msn + 1 && part <= e->last_part;
}

int hls_write_delta(Buf *out, const char *text, size_t len)
{
    HlsEdge edge;
    size_t at, body = len, start, keep_from = 0;
    int64_t total_us = 0, done_us = 0;
    int skipped = 0, ret;
    Line l;

    if (!out || !text)
        return AVERROR(EINVAL);
    if ((ret = hls_read_edge(text, len, &edge)) < 0)
        return ret;
    start = out->len;
    /* where the segments begin, and how long they last together */
    for (at = 0; line_at(text, len, at, &l); at = l.next) {
        if (body == len && is_segment_tag(&l))
            body = at;
        if (is_tag(&l, "#EXTINF"))
            total_us += FFMAX(seconds_after(&l, ":"), 0);
    }
    /* a segment goes when those after it still cover the skip boundary */
    if (edge.skip_until_us > 0) {
        int64_t seg_us = 0;
        for (at = body; line_at(text, len, at, &l); at = l.next) {
            if (is_tag(&l, "#EXTINF"))
                seg_us = FFMAX(seconds_after(&l, ":"), 0);
            if (!is_uri(&l))
                continue;
            done_us += seg_us;
            if (total_us - done_us < edge.skip_until_us || l.next >= len)
                break;
            skipped++;
            keep_from = l.next;
        }
    }
    if (!skipped)
        return buf_append(out, text, len) < 0 ? AVERROR(ENOMEM) : 0;

    if ((ret = buf_append(out, text, body)) < 0 ||
        (ret = buf_printf(out, "#EXT-X-SKIP:SKIPPED-SEGMENTS=%d\n", skipped)) < 0)
        goto fail;
    /* what the skipped segments' lines said that outlives them: date
     * ranges (no CAN-SKIP-DATERANGES is offered), and the init section and
     * key the kept segments still need */
    {
        Line map = { 0 }, key = { 0 };
        for (at = body; at < keep_from && line_at(text, len, at, &l); at = l.next) {
            if (is_tag(&l, "#EXT-X-DATERANGE") && (ret = put_line(out, &l)) < 0)
                goto fail;
            if (is_tag(&l, "#EXT-X-MAP"))
                map = l;
            if (is_tag(&l, "#EXT-X-KEY"))
                key = l;
        }
        if ((key.p && (ret = put_line(out, &key)) < 0) || (map.p && (ret = put_line(out, &map)) < 0))
            goto fail;
    }
    if ((ret = buf_append(out, text + keep_from, len - keep_from)) < 0)
        goto fail;
    return skipped;
fail:
    buf_truncate(out, start);
    return ret < 0 ? ret : AVERROR(ENOMEM);
}
