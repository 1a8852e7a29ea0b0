/*
 * A static or dynamic DASH MPD (ISO/IEC 23009-1, isoff-live profile) over the fMP4
 * segments: one SegmentTemplate with a SegmentTimeline per Representation,
 * because the durations are exact and FFmpeg 5.1's demuxer mishandles
 * @duration templates.
 *
 * Like the HLS writers, dash_write_mpd appends to the caller's Buf and cuts
 * it back to its old length on failure.
 */
#include "playlist.h"

#include "common/output.h"
#include "common/scte35.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/mathematics.h>

/* the names output_name gives (common/output.h) */
#define INIT_TEMPLATE  "$RepresentationID$/" OUTPUT_INIT
#define MEDIA_TEMPLATE "$RepresentationID$/" OUTPUT_SEGMENT_PREFIX "$Number%" OUTPUT_NUMBER_WIDTH "d$.m4s"

static int put_escaped(Buf *out, const char *s)
{
    int ret = 0;

    for (const char *p = s; *p && ret >= 0; p++) {
        switch (*p) {
        case '&':  ret = buf_printf(out, "&amp;");  break;
        case '<':  ret = buf_printf(out, "&lt;");   break;
        case '>':  ret = buf_printf(out, "&gt;");   break;
        case '"':  ret = buf_printf(out, "&quot;"); break;
        case '\'': ret = buf_printf(out, "&apos;"); break;
        default:   ret = buf_append(out, p, 1);     break;
        }
    }
    return ret;
}

/* ` name="value"`, the value escaped. */
static int put_attr(Buf *out, const char *name, const char *value)
{
    int ret;

    if ((ret = buf_printf(out, " %s=\"", name)) < 0 ||
        (ret = put_escaped(out, value)) < 0)
        return ret;
    return buf_printf(out, "\"");
}

/* xs:duration from milliseconds: PT10.000S, PT2M5.000S, PT1H2M3.500S. */
static int put_duration(Buf *out, const char *name, int64_t ms)
{
    long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000;

    if (h)
        return buf_printf(out, " %s=\"PT%lldH%lldM%lld.%03lldS\"", name, h, m, s, f);
    if (m)
        return buf_printf(out, " %s=\"PT%lldM%lld.%03lldS\"", name, m, s, f);
    return buf_printf(out, " %s=\"PT%lld.%03lldS\"", name, s, f);
}

/* xs:double seconds from microseconds, to the millisecond: " name="1.500"" */
static int put_seconds_attr(Buf *out, const char *name, int64_t us)
{
    int64_t ms = av_rescale_rnd(us, 1, 1000, AV_ROUND_NEAR_INF);
    return buf_printf(out, " %s=\"%lld.%03lld\"", name, (long long)(ms / 1000), (long long)(ms % 1000));
}

/* FrameRateType: "30" or "30000/1001". */
static int put_frame_rate(Buf *out, const char *name, AVRational q)
{
    int num, den;

    av_reduce(&num, &den, q.num, q.den, INT_MAX);
    if (den == 1)
        return buf_printf(out, " %s=\"%d\"", name, num);
    return buf_printf(out, " %s=\"%d/%d\"", name, num, den);
}

static int check_rep(const DashRepresentation *r, int video)
{
    int64_t end = 0;

    /* The id is substituted into URLs by $RepresentationID$, which the
     * standard forbids for ids with whitespace. */
    if (!r->id || !r->id[0] || strpbrk(r->id, " \t\r\n") ||
        !r->codecs || !r->codecs[0] || r->nsegments < 1 || !r->segments || r->open_duration < 0)
        return AVERROR(EINVAL);
    /* @bandwidth, @timescale and @startNumber are xs:unsignedInt. */
    if (r->bandwidth <= 0 || r->bandwidth > UINT32_MAX ||
        r->timescale <= 0 || r->timescale > UINT32_MAX ||
        r->segments[0].number > UINT32_MAX)
        return AVERROR(EINVAL);
    if (video && (r->width <= 0 || r->height <= 0 || r->fps.num <= 0 || r->fps.den <= 0))
        return AVERROR(EINVAL);
    if (!video && (r->sample_rate <= 0 || r->channels <= 0))
        return AVERROR(EINVAL);

    for (int i = 0; i < r->nsegments; i++) {
        const PlaylistSegment *s = &r->segments[i];

        /* $Number$ addresses segment i as startNumber + i, so the numbers
         * must run without holes; a timeline cannot go back in time. */
        if (s->number != r->segments[0].number + i || s->number < 0 ||
            s->duration <= 0 || s->start < 0 || (i && s->start < end))
            return AVERROR(EINVAL);
        end = s->start + s->duration;
    }
    return 0;
}

static int put_timeline(Buf *out, const PlaylistSegment *seg, int n)
{
    int ret;

    if ((ret = buf_printf(out, "          <SegmentTimeline>\n")) < 0)
        return ret;
    for (int i = 0; i < n;) {
        int j = i + 1;

        while (j < n && seg[j].duration == seg[i].duration &&
               seg[j].start == seg[j - 1].start + seg[j - 1].duration)
            j++;
        if ((ret = buf_printf(out, "            <S")) < 0)
            return ret;
        /* t only where the timeline does not follow on from the last S. */
        if ((i == 0 || seg[i].start != seg[i - 1].start + seg[i - 1].duration) &&
            (ret = buf_printf(out, " t=\"%lld\"", (long long)seg[i].start)) < 0)
            return ret;
        if ((ret = buf_printf(out, " d=\"%lld\"", (long long)seg[i].duration)) < 0)
            return ret;
        if (j - i > 1 && (ret = buf_printf(out, " r=\"%d\"", j - i - 1)) < 0)
            return ret;
        if ((ret = buf_printf(out, "/>\n")) < 0)
            return ret;
        i = j;
    }
    return buf_printf(out, "          </SegmentTimeline>\n");
}

/* The timeline, with the open segment after the others where it is listed. */
static int put_timeline_open(Buf *out, const DashRepresentation *r)
{
    PlaylistSegment *all;
    const PlaylistSegment *last = &r->segments[r->nsegments - 1];
    int ret;

    if (r->open_duration <= 0)
        return put_timeline(out, r->segments, r->nsegments);
    if (!(all = malloc(sizeof(*all) * (size_t)(r->nsegments + 1))))
        return AVERROR(ENOMEM);
    memcpy(all, r->segments, sizeof(*all) * (size_t)r->nsegments);
    all[r->nsegments] = (PlaylistSegment){
        .number = last->number + 1, .start = last->start + last->duration, .duration = r->open_duration,
    };
    ret = put_timeline(out, all, r->nsegments + 1);
    free(all);
    return ret;
}

static int put_representation(Buf *out, const DashRepresentation *r, int video,
                              int64_t availability_offset_us)
{
    int ret;

    if ((ret = buf_printf(out, "      <Representation")) < 0 ||
        (ret = put_attr(out, "id", r->id)) < 0 ||
        (ret = buf_printf(out, " bandwidth=\"%lld\"", (long long)r->bandwidth)) < 0 ||
        (ret = put_attr(out, "codecs", r->codecs)) < 0)
        return ret;
    if (video) {
        if ((ret = buf_printf(out, " width=\"%d\" height=\"%d\" sar=\"1:1\"",
                              r->width, r->height)) < 0 ||
            (ret = put_frame_rate(out, "frameRate", r->fps)) < 0 ||
            (ret = buf_printf(out, ">\n")) < 0)
            return ret;
    } else {
        /* Schema order: AudioChannelConfiguration before SegmentTemplate. */
        if ((ret = buf_printf(out, " audioSamplingRate=\"%d\">\n"
                              "        <AudioChannelConfiguration"
                              " schemeIdUri=\"urn:mpeg:mpegB:cicp:ChannelConfiguration\""
                              " value=\"%d\"/>\n", r->sample_rate, r->channels)) < 0)
            return ret;
    }
    if ((ret = buf_printf(out, "        <SegmentTemplate timescale=\"%lld\"",
                          (long long)r->timescale)) < 0 ||
        (ret = put_attr(out, "initialization", INIT_TEMPLATE)) < 0 ||
        (ret = put_attr(out, "media", MEDIA_TEMPLATE)) < 0 ||
        (r->presentation_time_offset > 0 &&
         (ret = buf_printf(out, " presentationTimeOffset=\"%lld\"",
                           (long long)r->presentation_time_offset)) < 0) ||
        (ret = buf_printf(out, " startNumber=\"%lld\"", (long long)r->segments[0].number)) < 0 ||
        (availability_offset_us > 0 &&
         ((ret = put_seconds_attr(out, "availabilityTimeOffset", availability_offset_us)) < 0 ||
          (ret = put_attr(out, "availabilityTimeComplete", "false")) < 0)) ||
        (ret = buf_printf(out, ">\n")) < 0 ||
        (ret = put_timeline_open(out, r)) < 0 ||
        (ret = buf_printf(out, "        </SegmentTemplate>\n      </Representation>\n")) < 0)
        return ret;
    return 0;
}

static int put_video_set(Buf *out, const DashRepresentation *reps, int n, int64_t ato_us)
{
    int max_w = 0, max_h = 0, same_fps = 1, ret;
    AVRational max_fps = reps[0].fps;

    for (int i = 0; i < n; i++) {
        if (reps[i].width > max_w)
            max_w = reps[i].width;
        if (reps[i].height > max_h)
            max_h = reps[i].height;
        if (av_cmp_q(reps[i].fps, reps[0].fps))
            same_fps = 0;
        if (av_cmp_q(reps[i].fps, max_fps) > 0)
            max_fps = reps[i].fps;
    }
    if ((ret = buf_printf(out, "    <AdaptationSet id=\"0\" contentType=\"video\""
                          " mimeType=\"video/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\""
                          " maxWidth=\"%d\" maxHeight=\"%d\"", max_w, max_h)) < 0 ||
        /* @frameRate on the set claims it for every Representation. */
        (ret = put_frame_rate(out, same_fps ? "frameRate" : "maxFrameRate", max_fps)) < 0 ||
        (ret = buf_printf(out, ">\n")) < 0)
        return ret;
    for (int i = 0; i < n; i++)
        if ((ret = put_representation(out, &reps[i], 1, ato_us)) < 0)
            return ret;
    return buf_printf(out, "    </AdaptationSet>\n");
}

static int put_audio_set(Buf *out, const DashRepresentation *r, int64_t ato_us)
{
    int ret;

    if ((ret = buf_printf(out, "    <AdaptationSet id=\"1\" contentType=\"audio\""
                          " mimeType=\"audio/mp4\" lang=\"und\" segmentAlignment=\"true\""
                          " startWithSAP=\"1\">\n")) < 0 ||
        (ret = put_representation(out, r, 0, ato_us)) < 0)
        return ret;
    return buf_printf(out, "    </AdaptationSet>\n");
}

/* ---- ad breaks: SCTE 214-1 / DASH-IF IOP EventStreams ------------------- */

#define SPLICE_INFO_OPEN "<scte35:SpliceInfoSection"

/* RFC 4648 base64, padded: what scte35:Binary holds. */
static int base64_ok(const char *s)
{
    size_t n, data;

    if (!s || !(n = strlen(s)) || n % 4)
        return 0;
    data = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    return data == n || (data >= n - 2 && strspn(s + data, "=") == n - data);
}

/* The SpliceInfoSection element the SCTE-35 code wrote: one element of
 * that name (prefix scte35, which the MPD declares), no prolog, DOCTYPE,
 * CDATA or processing instruction, no control characters but white space. */
static int splice_xml_ok(const char *s)
{
    size_t n, open = strlen(SPLICE_INFO_OPEN);

    if (!s || strncmp(s, SPLICE_INFO_OPEN, open) || !strchr(" \t\r\n/>", s[open]) ||
        (n = strlen(s)) < open + 2 || s[n - 1] != '>' || strstr(s, "<?") || strstr(s, "<!"))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') || *p == 0x7f)
            return 0;
    return 1;
}

static int check_breaks(const DashManifest *m)
{
    int bin = !!(m->ad_markers & AD_MARKERS_DASH_BIN);

    if (m->nbreaks < 0 || (m->nbreaks && !m->breaks) ||
        (m->ad_markers & ~(unsigned)(AD_MARKERS_DATERANGE | AD_MARKERS_CUE | AD_MARKERS_DASH_BIN)))
        return AVERROR(EINVAL);
    for (int i = 0; i < m->nbreaks; i++) {
        const PlaylistAdBreak *b = &m->breaks[i];

        /* presentationTime is xs:unsignedLong: no break before the Period */
        if (b->planned_duration_us < 0 || b->duration_us < 0 ||
            b->media_start < m->video[0].presentation_time_offset ||
            (bin ? !base64_ok(b->dash_binary) : !splice_xml_ok(b->dash_xml)))
            return AVERROR(EINVAL);
        /* Event@id tells events apart within the stream */
        for (int j = 0; j < i; j++)
            if (m->breaks[j].event_id == b->event_id)
                return AVERROR(EINVAL);
    }
    return 0;
}

/* Before the AdaptationSets, as the schema orders a Period's children. */
static int put_events(Buf *out, const DashManifest *m)
{
    const DashRepresentation *v = &m->video[0];
    int bin = !!(m->ad_markers & AD_MARKERS_DASH_BIN), ret;

    if ((ret = buf_printf(out, "    <EventStream schemeIdUri=\"%s\" timescale=\"%lld\">\n",
                          bin ? SCTE35_DASH_SCHEME_XML_BIN : SCTE35_DASH_SCHEME_XML, (long long)v->timescale)) < 0)
        return ret;
    for (int i = 0; i < m->nbreaks; i++) {
        const PlaylistAdBreak *b = &m->breaks[i];
        int64_t len_us = b->duration_us > 0 ? b->duration_us : b->planned_duration_us;

        if ((ret = buf_printf(out, "      <Event presentationTime=\"%lld\"",
                              (long long)(b->media_start - v->presentation_time_offset))) < 0 ||
            (len_us > 0 &&
             (ret = buf_printf(out, " duration=\"%lld\"",
                               (long long)av_rescale_rnd(len_us, v->timescale, 1000000, AV_ROUND_NEAR_INF))) < 0) ||
            (ret = buf_printf(out, " id=\"%" PRIu32 "\">\n", b->event_id)) < 0)
            return ret;
        if (bin)
            ret = buf_printf(out, "        <scte35:Signal>\n"
                             "          <scte35:Binary>%s</scte35:Binary>\n"
                             "        </scte35:Signal>\n", b->dash_binary);
        else
            ret = buf_printf(out, "        %s\n", b->dash_xml);
        if (ret < 0 || (ret = buf_printf(out, "      </Event>\n")) < 0)
            return ret;
    }
    return buf_printf(out, "    </EventStream>\n");
}

int dash_write_mpd(Buf *out, const DashManifest *m)
{
    size_t start;
    int ret;

    if (!out || !m || !m->video || m->nvideo < 1 ||
        m->duration_us < 0 || m->max_segment_us < 0)
        return AVERROR(EINVAL);
    if (m->dynamic && (m->availability_start_us <= 0 || m->publish_us <= 0 || m->min_update_us <= 0 ||
                       m->time_shift_us <= 0 || m->presentation_delay_us < 0))
        return AVERROR(EINVAL);
    for (int i = 0; i < m->nvideo; i++)
        if ((ret = check_rep(&m->video[i], 1)) < 0)
            return ret;
    if (m->audio && (ret = check_rep(m->audio, 0)) < 0)
        return ret;
    if ((ret = check_breaks(m)) < 0)
        return ret;
    start = out->len;

    if ((ret = buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"%s"
                          " profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"%s\"",
                          m->nbreaks ? " xmlns:scte35=\"" SCTE35_XML_NAMESPACE "\"" : "",
                          m->dynamic ? "dynamic" : "static")) < 0)
        goto fail;
    if (!m->dynamic) {
        if ((ret = put_duration(out, "mediaPresentationDuration",
                                av_rescale_rnd(m->duration_us, 1, 1000, AV_ROUND_NEAR_INF))) < 0)
            goto fail;
    } else {
        char ast[40], pub[40];
        clock_format_iso(m->availability_start_us, ast, sizeof(ast));
        clock_format_iso(m->publish_us, pub, sizeof(pub));
        if ((ret = put_attr(out, "availabilityStartTime", ast)) < 0 ||
            (ret = put_attr(out, "publishTime", pub)) < 0 ||
            (ret = put_duration(out, "minimumUpdatePeriod", m->min_update_us / 1000)) < 0 ||
            (ret = put_duration(out, "timeShiftBufferDepth", m->time_shift_us / 1000)) < 0 ||
            (m->presentation_delay_us > 0 &&
             (ret = put_duration(out, "suggestedPresentationDelay", m->presentation_delay_us / 1000)) < 0))
            goto fail;
    }
    /* Rounded up: a maximum written below a real segment's length would be
     * a false promise to the player. */
    {
        int64_t max_ms = av_rescale_rnd(m->max_segment_us, 1, 1000, AV_ROUND_UP);
        if ((ret = put_duration(out, "maxSegmentDuration", max_ms)) < 0 ||
            (ret = put_duration(out, "minBufferTime", max_ms)) < 0)
            goto fail;
    }
    if ((ret = buf_printf(out, ">\n")) < 0)
        goto fail;
    /* DASH-IF low-latency: the latency to aim at, and how far a player may
     * change its speed to hold it */
    if (m->target_latency_us > 0 &&
        (ret = buf_printf(out, "  <ServiceDescription id=\"0\">\n"
                          "    <Latency target=\"%lld\" min=\"%lld\" max=\"%lld\"/>\n"
                          "    <PlaybackRate min=\"0.96\" max=\"1.04\"/>\n"
                          "  </ServiceDescription>\n", (long long)(m->target_latency_us / 1000),
                          (long long)(m->target_latency_us / 2000),
                          (long long)(m->target_latency_us * 2 / 1000))) < 0)
        goto fail;
    if ((ret = buf_printf(out, "  <Period id=\"0\" start=\"PT0S\">\n")) < 0 ||
        (m->nbreaks && (ret = put_events(out, m)) < 0) ||
        (ret = put_video_set(out, m->video, m->nvideo, m->availability_offset_us)) < 0 ||
        (m->audio && (ret = put_audio_set(out, m->audio, m->availability_offset_us)) < 0) ||
        (ret = buf_printf(out, "  </Period>\n")) < 0)
        goto fail;
    /* live players need the server's clock to find the live edge */
    if (m->dynamic) {
        char now[40];
        clock_format_iso(m->publish_us, now, sizeof(now));
        if ((ret = buf_printf(out, "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:%s:2014\"",
                              m->utc_timing_url ? "http-iso" : "direct")) < 0 ||
            (ret = put_attr(out, "value", m->utc_timing_url ? m->utc_timing_url : now)) < 0 ||
            (ret = buf_printf(out, "/>\n")) < 0)
            goto fail;
    }
    if ((ret = buf_printf(out, "</MPD>\n")) < 0)
        goto fail;
    return 0;

fail:
    buf_truncate(out, start);
    return ret;
}
