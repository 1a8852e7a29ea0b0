/* Live publishing: every segment goes out as it completes, each
 * rendition's playlist keeps a sliding window with PROGRAM-DATE-TIME and the
 * programs as DATERANGEs, the MPD follows once every rendition has a segment,
 * segments are deleted a window after they leave the playlist, and what was
 * published is kept in OUTDIR/.onair-state so a restart continues it (media
 * sequence, names, discontinuity sequence). */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/mathematics.h>

#define STATE_FILE ".onair-state"
#define STATE_MAGIC "onair-state 1"

static int64_t frame_to_us(const Packager *pk, int64_t frames)
{
    return av_rescale(frames * 1000000, pk->cfg.fps.den, pk->cfg.fps.num);
}

/* When `frame` airs in this run; frames of an earlier run aired elsewhere. */
static int64_t air_us(const Packager *pk, int64_t frame)
{
    const AirClock clock = { pk->cfg.fps, pk->cfg.epoch_us, pk->cfg.first_frame };
    return air_clock_time(&clock, frame);
}

/* ---- programs ---- */

/* A program on air from start_frame, which aired at start_us; the one before
 * ends there. With pk->lock held. */
static int program_add(Packager *pk, const char *title, int64_t start_frame, int64_t start_us,
                       int64_t planned_us)
{
    LiveProgram *prev = pk->nprograms ? &pk->programs[pk->nprograms - 1] : NULL;

    if (prev && prev->end_frame < 0) {
        prev->end_frame = start_frame;
        prev->end_us = start_us;
    }
    if (pk->nprograms == pk->programs_cap) {
        int cap = pk->programs_cap ? pk->programs_cap * 2 : 16;
        LiveProgram *p = realloc(pk->programs, sizeof(*p) * (size_t)cap);
        if (!p)
            return AVERROR(ENOMEM);
        pk->programs = p;
        pk->programs_cap = cap;
    }
    pk->programs[pk->nprograms] = (LiveProgram){ .start_frame = start_frame, .end_frame = -1,
                                                 .start_us = start_us, .planned_us = planned_us,
                                                 .title = av_strdup(title ? title : "") };
    if (!pk->programs[pk->nprograms].title)
        return AVERROR(ENOMEM);
    pk->nprograms++;
    return 0;
}

int packager_program(Packager *pk, const char *title, int64_t frame, int64_t planned_us)
{
    int ret;

    pthread_mutex_lock(&pk->lock);
    ret = program_add(pk, title, frame, air_us(pk, frame), planned_us);
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

/* Programs that ended before `frame` are forgotten. */
static void forget_programs(Packager *pk, int64_t frame)
{
    int n = 0;

    while (n < pk->nprograms && pk->programs[n].end_frame >= 0 && pk->programs[n].end_frame < frame)
        av_free(pk->programs[n++].title);
    if (n) {
        memmove(pk->programs, pk->programs + n, sizeof(*pk->programs) * (size_t)(pk->nprograms - n));
        pk->nprograms -= n;
    }
}

/* ---- ad breaks ---- */

/* Frame's timestamp on the output's own 90 kHz clock, as a TS segment's PTS
 * says it (every stream is shifted by PACKAGER_TS_OFFSET_US), in 33 bits:
 * a cue's splice_time. */
static int64_t splice_pts(const Packager *pk, int64_t frame)
{
    return av_rescale_q(frame + pk->offset_frames, pk->vtb, (AVRational){ 1, 90000 }) & SCTE35_TIME_MAX;
}

/* The splice_insert cue of b's out (out) or its return. */
static void break_cue(const Packager *pk, const LiveBreak *b, int out, Scte35Cue *c)
{
    scte35_cue_init(c);
    c->command = SCTE35_SPLICE_INSERT;
    c->event_id = b->event_id;
    c->out_of_network = out;
    c->pts_time = splice_pts(pk, out ? b->start_frame : b->end_frame);
    if (out && b->planned_frames > 0) {
        c->break_duration = av_rescale_q(b->planned_frames, pk->vtb, (AVRational){ 1, 90000 });
        c->auto_return = 1;
    }
}

/* Writes b's cue (out, or the return) and its text forms. With lock. */
static int break_make_cue(Packager *pk, LiveBreak *b, int out)
{
    uint8_t section[SCTE35_SECTION_MAX];
    Scte35Cue c;
    uint8_t **data = out ? &b->cue_out : &b->cue_in;
    size_t *size = out ? &b->cue_out_size : &b->cue_in_size;
    char **hex = out ? &b->out_hex : &b->in_hex;
    int n, ret;

    break_cue(pk, b, out, &c);
    if ((n = scte35_write(&c, section, sizeof(section))) < 0)
        return n;
    if (!(*data = av_memdup(section, (size_t)n)) || !(*hex = av_malloc(2 * (size_t)n + 3)))
        return AVERROR(ENOMEM);
    *size = (size_t)n;
    if ((ret = scte35_hex(section, (size_t)n, *hex, 2 * (size_t)n + 3)) < 0)
        return ret;
    if (out && (pk->cfg.ad_markers & AD_MARKERS_DASH_BIN)) {
        size_t len = 4 * (((size_t)n + 2) / 3) + 1;
        if (!(b->dash = malloc(len)))
            return AVERROR(ENOMEM);
        return scte35_base64(section, (size_t)n, b->dash, len);
    }
    if (out) {
        Buf xml = { 0 };
        if ((ret = scte35_write_xml(&xml, &c, 0)) < 0 || (ret = buf_append(&xml, "", 1)) < 0) {
            buf_free(&xml);
            return ret;
        }
        b->dash = (char *)xml.data;   /* malloc'd, as a Buf's bytes are */
    }
    return 0;
}

static void break_free(LiveBreak *b)
{
    av_freep(&b->cue_out);
    av_freep(&b->cue_in);
    av_freep(&b->out_hex);
    av_freep(&b->in_hex);
    free(b->dash);
    b->dash = NULL;
}

/* With lock. */
static LiveBreak *break_find(Packager *pk, uint32_t event_id)
{
    for (int i = 0; i < pk->nbreaks; i++)
        if (pk->breaks[i].event_id == event_id)
            return &pk->breaks[i];
    return NULL;
}

/* A break from start_frame, which aired at start_us; returned at end_frame
 * (end_us) unless that is -1. With lock. */
static int break_add(Packager *pk, uint32_t event_id, const char *id, int64_t start_frame, int64_t planned_frames,
                     int64_t start_us, int64_t end_frame, int64_t end_us)
{
    LiveBreak *b;
    int ret;

    if (break_find(pk, event_id))
        return AVERROR(EEXIST);
    if (strlen(id) >= BREAK_ID_MAX)
        return AVERROR(EINVAL);
    if (pk->nbreaks == pk->breaks_cap) {
        int cap = pk->breaks_cap ? pk->breaks_cap * 2 : 8;
        LiveBreak *p = realloc(pk->breaks, sizeof(*p) * (size_t)cap);
        if (!p)
            return AVERROR(ENOMEM);
        pk->breaks = p;
        pk->breaks_cap = cap;
    }
    b = &pk->breaks[pk->nbreaks];
    *b = (LiveBreak){ .event_id = event_id, .start_frame = start_frame, .planned_frames = planned_frames,
                      .end_frame = end_frame, .start_us = start_us, .end_us = end_us };
    snprintf(b->id, sizeof(b->id), "%s", id);
    if ((ret = break_make_cue(pk, b, 1)) < 0 || (end_frame >= 0 && (ret = break_make_cue(pk, b, 0)) < 0)) {
        break_free(b);
        return ret;
    }
    pk->nbreaks++;
    return 0;
}

int packager_break(Packager *pk, const PackagerBreak *b)
{
    int ret;

    if (!b->id || strpbrk(b->id, "\"\r\n") || b->planned_frames < 0)
        return AVERROR(EINVAL);
    pthread_mutex_lock(&pk->lock);
    ret = break_add(pk, b->event_id, b->id, b->start_frame, b->planned_frames, air_us(pk, b->start_frame),
                    -1, 0);
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

int packager_break_return(Packager *pk, uint32_t event_id, int64_t frame)
{
    LiveBreak *b;
    int ret;

    pthread_mutex_lock(&pk->lock);
    if (!(b = break_find(pk, event_id)) || b->end_frame >= 0) {
        ret = AVERROR(ENOENT);
    } else if (frame <= b->start_frame) {
        ret = AVERROR(EINVAL);
    } else {
        b->end_frame = frame;
        b->end_us = air_us(pk, frame);
        if ((ret = break_make_cue(pk, b, 0)) < 0)
            b->end_frame = -1;
    }
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

void packager_breaks_withdraw(Packager *pk, int64_t frame)
{
    pthread_mutex_lock(&pk->lock);
    while (pk->nbreaks && pk->breaks[pk->nbreaks - 1].start_frame >= frame)
        break_free(&pk->breaks[--pk->nbreaks]);
    pthread_mutex_unlock(&pk->lock);
}

static void break_known(const LiveBreak *b, PackagerBreak *out, int64_t *start_us)
{
    out->event_id = b->event_id;
    out->id = NULL;   /* the packager's own string: not handed out */
    out->start_frame = b->start_frame;
    out->planned_frames = b->planned_frames;
    *start_us = b->start_us;
}

int packager_break_known(Packager *pk, uint32_t event_id, PackagerBreak *out, int64_t *start_us)
{
    const LiveBreak *b;
    int ret = AVERROR(ENOENT);

    pthread_mutex_lock(&pk->lock);
    if ((b = break_find(pk, event_id))) {
        break_known(b, out, start_us);
        ret = 0;
    }
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

int packager_break_out_at(Packager *pk, int64_t frame, PackagerBreak *out, char *id, size_t id_size,
                          int64_t *start_us)
{
    int ret = AVERROR(ENOENT);

    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nbreaks && ret < 0; i++) {
        const LiveBreak *b = &pk->breaks[i];
        if (b->start_frame <= frame && b->end_frame < 0) {
            break_known(b, out, start_us);
            snprintf(id, id_size, "%s", b->id);
            ret = 0;
        }
    }
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

int live_break_edge(Packager *pk, int64_t frame)
{
    int edge = 0;

    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nbreaks && !edge; i++) {
        const LiveBreak *b = &pk->breaks[i];
        /* one still out returns where it is planned to; one cut short
         * returns on a splice, which the grid knows (splice_edge) */
        int64_t end = b->end_frame >= 0 ? b->end_frame :
                      b->planned_frames > 0 ? b->start_frame + b->planned_frames : -1;
        edge = frame == b->start_frame || frame == end;
    }
    pthread_mutex_unlock(&pk->lock);
    return edge;
}

/* Breaks that ended before `frame` are forgotten. With lock. */
static void forget_breaks(Packager *pk, int64_t frame)
{
    int n = 0;

    while (n < pk->nbreaks && pk->breaks[n].end_frame >= 0 && pk->breaks[n].end_frame < frame)
        break_free(&pk->breaks[n++]);
    if (n) {
        memmove(pk->breaks, pk->breaks + n, sizeof(*pk->breaks) * (size_t)(pk->nbreaks - n));
        pk->nbreaks -= n;
    }
}

int live_breaks(const Packager *pk, int64_t from_us, int64_t to_us, int64_t timescale, PlaylistAdBreak *out,
                int max)
{
    int n = 0;

    for (int i = 0; i < pk->nbreaks && n < max; i++) {
        const LiveBreak *b = &pk->breaks[i];
        int64_t end = b->end_frame >= 0 ? b->end_us : INT64_MAX;
        /* one still ahead is listed as soon as it is known: a player (an
         * interstitial's above all) needs to know a break before it comes */
        if (end <= from_us)
            continue;
        out[n++] = (PlaylistAdBreak){
            .id = b->id,
            .event_id = b->event_id,
            .start_us = b->start_us,
            .planned_duration_us = frame_to_us(pk, b->planned_frames),
            .duration_us = b->end_frame >= 0 ? b->end_us - b->start_us : 0,
            .scte35_out = b->out_hex,
            .scte35_in = b->in_hex,
            .media_start = timescale > 0 ? av_rescale_q(b->start_frame + pk->offset_frames, pk->vtb,
                                                        (AVRational){ 1, (int)timescale }) : 0,
            .dash_xml = pk->cfg.ad_markers & AD_MARKERS_DASH_BIN ? NULL : b->dash,
            .dash_binary = pk->cfg.ad_markers & AD_MARKERS_DASH_BIN ? b->dash : NULL,
        };
    }
    return n;
}

/* ---- the window ---- */

static int shown_from(const Packager *pk, const Rendition *r)
{
    return r->nsegs > pk->cfg.window ? r->nsegs - pk->cfg.window : 0;
}

/* Deletes segment n of r from outdir, its LL-HLS parts first (nothing
 * lists them any more); tell: the pushers follow (on_deleted). */
static void remove_segment(Packager *pk, const Rendition *r, int64_t n, int tell)
{
    char file[64], path[RUNG_NAME_MAX + 80];
    int64_t frames = grid_segment_start(&pk->cfg.grid, n + 1) - grid_segment_start(&pk->cfg.grid, n);
    int nparts = pk->part_frames > 0 ? (int)grid_segment_parts(frames, pk->part_frames) : 0;

    for (int i = 0; i < nparts; i++) {
        output_name(file, sizeof(file), n, i, r->ext);
        snprintf(path, sizeof(path), "%s/%s", r->name, file);
        if (pk->sink->remove(pk->sink_priv, path) >= 0 && tell && pk->cfg.on_deleted)
            pk->cfg.on_deleted(pk->cfg.opaque, path);
    }
    output_name(file, sizeof(file), n, -1, r->ext);
    snprintf(path, sizeof(path), "%s/%s", r->name, file);
    if (pk->sink->remove(pk->sink_priv, path) < 0)
        log_msg(LOG_WARN, pk->cfg.channel, STAGE, "cannot delete %s/%s", pk->outdir, path);
    else if (tell && pk->cfg.on_deleted)
        pk->cfg.on_deleted(pk->cfg.opaque, path);
}

/* Keeps the window and one window of grace after it (players still on
 * those segments can finish them); deletes what is older. */
static void trim(Packager *pk, Rendition *r)
{
    while (r->nsegs > 2 * pk->cfg.window) {
        remove_segment(pk, r, r->segs[0].number, 1);
        r->disc_dropped += r->segs[0].discontinuity;
        memmove(r->segs, r->segs + 1, sizeof(*r->segs) * (size_t)(r->nsegs - 1));
        r->nsegs--;
    }
}

/* LL-HLS: the parts of the last three segments stay listed (RFC 8216bis asks
 * for those within three target durations of the end); older ones go. */
static void forget_parts(Rendition *r)
{
    int64_t keep_from = r->nsegs ? r->segs[r->nsegs - 1].number - 2 : 0;
    int n = 0;

    while (n < r->nparts && r->parts[n].number < keep_from)
        n++;
    if (n) {
        memmove(r->parts, r->parts + n, sizeof(*r->parts) * (size_t)(r->nparts - n));
        r->nparts -= n;
    }
}

/* One AAC frame, and PROGRAM-DATE-TIME's millisecond: how far an audio
 * segment may start from the picture's cut. */
static int64_t audio_frame_us(const AVCodecParameters *par)
{
    if (par->sample_rate <= 0)
        return 0;
    return av_rescale_rnd(FFMAX(par->frame_size, 1024), 1000000, par->sample_rate, AV_ROUND_UP) + 1000;
}

static int write_playlist(Packager *pk, Rendition *r, Buf *b)
{
    int first = shown_from(pk, r), ret;
    HlsLowLatency ll = { 0 };
    const char *report_uris[LADDER_MAX];
    char report_buf[LADDER_MAX][RUNG_NAME_MAX + 32];
    int64_t report_msn[LADDER_MAX];
    int report_part[LADDER_MAX];

    if (pk->part_frames > 0) {
        forget_parts(r);
        ll.part_target_us = frame_to_us(pk, pk->part_frames);
        if (r->kind == REND_FMP4_AUDIO && r->ast >= 0) {
            /* audio parts end on the first AAC frame past the part grid, and
             * the stream's first part holds the encoder's priming frame too:
             * two frames over at most, and a part must not exceed its target */
            const AVCodecParameters *par = r->mux->streams[r->ast]->codecpar;
            if (par->sample_rate > 0)
                ll.part_target_us += av_rescale(2 * FFMAX(par->frame_size, 1024), 1000000, par->sample_rate);
        }
        ll.part_hold_back_us = 3 * ll.part_target_us;
        ll.can_skip_until_us = 6 * pk->cfg.grid.segment_us;
        ll.parts = r->parts;
        ll.nparts = r->nparts;
        /* the part being made now */
        ll.hint_number = r->seg_open ? r->seg : (r->nsegs ? r->segs[r->nsegs - 1].number + 1 : r->seg);
        ll.hint_index = pk->ending ? -1 : r->seg_open ? r->part : 0;   /* stopping: nothing comes */
        ll.report_uris = report_uris;
        ll.report_msn = report_msn;
        ll.report_part = report_part;
        for (int i = 0; i < pk->nrends; i++) {
            const Rendition *o = &pk->rends[i];
            if (o == r || !rendition_in_hls(pk, o) || !o->nparts || ll.nreports == LADDER_MAX)
                continue;
            snprintf(report_buf[ll.nreports], sizeof(report_buf[0]), "../%s/" OUTPUT_MEDIA_PLAYLIST, o->name);
            report_uris[ll.nreports] = report_buf[ll.nreports];
            report_msn[ll.nreports] = o->parts[o->nparts - 1].number;
            report_part[ll.nreports] = o->parts[o->nparts - 1].index;
            ll.nreports++;
        }
    }
    int64_t disc = r->disc_dropped, from_us, to_us;
    PlaylistAdBreak breaks[LIVE_BREAKS_LISTED];
    HlsInterstitials interstitials = {
        .asset_list = pk->cfg.interstitial_asset_list, .asset_uri = pk->cfg.interstitial_asset_uri,
        .restrict_mask = pk->cfg.interstitial_restrict,
    };
    HlsDateRange ranges[64];
    char ids[64][32];
    int nranges = 0;

    for (int i = 0; i < first; i++)
        disc += r->segs[i].discontinuity;
    /* the programs the window shows */
    from_us = r->nsegs ? r->segs[first].pdt_us : 0;
    to_us = r->nsegs ? r->segs[r->nsegs - 1].pdt_us + av_rescale(r->segs[r->nsegs - 1].duration, 1000000, r->timescale) : 0;
    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nprograms && nranges < 64; i++) {
        const LiveProgram *p = &pk->programs[i];
        int64_t start = p->start_us, end = p->end_frame >= 0 ? p->end_us : INT64_MAX;
        if (end <= from_us || start >= to_us)
            continue;
        snprintf(ids[nranges], sizeof(ids[nranges]), "program-%" PRId64, p->start_frame);
        ranges[nranges] = (HlsDateRange){
            .id = ids[nranges],
            .title = p->title[0] && !strpbrk(p->title, "\"\r\n") ? p->title : NULL,
            .start_us = start,
            .planned_duration_us = p->planned_us,
            .duration_us = p->end_frame >= 0 ? end - start : 0,
        };
        nranges++;
    }
    {
        HlsMediaPlaylist pl = {
            .timescale = r->timescale,
            .segments = r->segs + first,
            .nsegments = r->nsegs - first,
            .extension = r->ext,
            .map_uri = r->kind == REND_TS ? NULL : OUTPUT_INIT,
            .media_sequence = r->nsegs ? r->segs[first].number : 0,
            .discontinuity_sequence = disc,
            .dateranges = ranges,
            .ndateranges = nranges,
            .ll = pk->part_frames > 0 ? &ll : NULL,
            .breaks = breaks,
            .nbreaks = live_breaks(pk, from_us, to_us, 0, breaks, LIVE_BREAKS_LISTED),
            .ad_markers = pk->cfg.ad_markers ? pk->cfg.ad_markers : AD_MARKERS_DATERANGE,
            /* audio is cut on its own frames, at most one after the picture */
            .break_slack_us = r->kind == REND_FMP4_AUDIO && r->ast >= 0 ?
                              audio_frame_us(r->mux->streams[r->ast]->codecpar) : 0,
            .interstitials = interstitials.asset_list || interstitials.asset_uri ? &interstitials : NULL,
        };
        ret = hls_write_media_playlist(b, &pl);
        if (ret == AVERROR(EINVAL) && pl.nbreaks) {
            /* the marks are wrong somehow: the channel stays on air without them */
            if (!r->marks_refused++)
                log_msg(LOG_WARN, pk->cfg.channel, STAGE, "%s: the ad breaks cannot be marked in the "
                        "playlist; it goes out without them", r->name);
            pl.nbreaks = 0;
            ret = hls_write_media_playlist(b, &pl);
        }
    }
    pthread_mutex_unlock(&pk->lock);
    if (ret < 0)
        return ret;
    ret = packager_write_file(pk, r->name, OUTPUT_MEDIA_PLAYLIST, b->data, b->len);
    buf_reset(b);
    return ret;
}

/* ---- state ---- */

static int write_state(Packager *pk, Buf *b)
{
    int ret = 0;

    buf_reset(b);
    buf_printf(b, "%s\nchannel-start %" PRId64 "\nnext-frame %" PRId64 "\n", STATE_MAGIC,
               pk->cfg.channel_start_us, grid_segment_start(&pk->cfg.grid, pk->published));
    for (int i = 0; i < pk->nrends; i++) {
        const Rendition *r = &pk->rends[i];
        buf_printf(b, "rendition %s %s %" PRId64 "\n", r->name, r->ext, r->disc_dropped);
        for (int k = 0; k < r->nsegs; k++) {
            const PlaylistSegment *s = &r->segs[k];
            if (s->number >= pk->published)
                break;
            buf_printf(b, "segment %s %s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %d %d\n",
                       r->name, r->ext, s->number, s->start, s->duration, s->bytes, s->pdt_us,
                       s->discontinuity, s->gap);
        }
    }
    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nprograms; i++) {
        const LiveProgram *p = &pk->programs[i];
        /* one on air ends where what is published ends, should the run stop now */
        int64_t end_us = p->end_frame >= 0 ? p->end_us
                                           : air_us(pk, grid_segment_start(&pk->cfg.grid, pk->published));
        buf_printf(b, "program-at %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
                   p->start_frame, p->end_frame, p->start_us, end_us, p->planned_us, p->title);
    }
    for (int i = 0; i < pk->nbreaks; i++) {
        const LiveBreak *k = &pk->breaks[i];
        buf_printf(b, "break %" PRIu32 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
                   k->event_id, k->start_frame, k->planned_frames, k->end_frame, k->start_us, k->end_us, k->id);
    }
    pthread_mutex_unlock(&pk->lock);
    ret = packager_write_file(pk, "", STATE_FILE, b->data, b->len);
    buf_reset(b);
    return ret;
}

typedef int (*StateLine)(Packager *pk, const char *line, void *opaque);

static int read_state(const char *outdir, StateLine fn, Packager *pk, void *opaque)
{
    char path[4096], line[2048];
    FILE *f;
    int ret = 0;

    if ((ret = path_join(path, sizeof(path), outdir, STATE_FILE)) < 0)
        return ret;
    f = fopen(path, "r");
    if (!f)
        return AVERROR(errno);
    if (!fgets(line, sizeof(line), f) || strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC))) {
        fclose(f);
        return AVERROR_INVALIDDATA;
    }
    while (ret >= 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        ret = fn(pk, line, opaque);
    }
    fclose(f);
    return ret;
}

typedef struct ResumePoint {
    int64_t next_frame, channel_start;
    int have_next;
} ResumePoint;

static int resume_line(Packager *pk, const char *line, void *opaque)
{
    ResumePoint *rp = opaque;
    (void)pk;
    if (sscanf(line, "next-frame %" SCNd64, &rp->next_frame) == 1)
        rp->have_next = 1;
    sscanf(line, "channel-start %" SCNd64, &rp->channel_start);
    return 0;
}

int packager_resume_point(const char *outdir, int64_t *next_frame, int64_t *channel_start_us)
{
    ResumePoint rp = { 0 };
    int ret = read_state(outdir, resume_line, NULL, &rp);

    if (ret < 0)
        return ret;
    if (!rp.have_next)
        return AVERROR_INVALIDDATA;
    *next_frame = rp.next_frame;
    *channel_start_us = rp.channel_start;
    return 0;
}

static Rendition *rendition_named(Packager *pk, const char *name, const char *ext)
{
    for (int i = 0; i < pk->nrends; i++)
        if (!strcmp(pk->rends[i].name, name) && !strcmp(pk->rends[i].ext, ext))
            return &pk->rends[i];
    return NULL;
}

static int restore_line(Packager *pk, const char *line, void *opaque)
{
    char name[RUNG_NAME_MAX], ext[8], title[1024];
    uint32_t event_id;
    PlaylistSegment s = { 0 };
    int64_t a, b, c, start_us, end_us;
    Rendition *r;
    int n, ret;
    (void)opaque;

    if (sscanf(line, "next-frame %" SCNd64, &a) == 1) {
        pk->resume_frame = a;
    } else if (sscanf(line, "break %" SCNu32 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %n",
                      &event_id, &a, &b, &c, &start_us, &end_us, &n) == 6) {
        pthread_mutex_lock(&pk->lock);
        ret = break_add(pk, event_id, line + n, a, b, start_us, c, end_us);
        pthread_mutex_unlock(&pk->lock);
        return ret == AVERROR(EEXIST) ? 0 : ret;
    } else if (pk->cfg.rejoin && !strncmp(line, "rendition ", 10)) {
        return 0;
    } else if (sscanf(line, "rendition %31s %7s %" SCNd64, name, ext, &a) == 3) {
        if ((r = rendition_named(pk, name, ext)))
            r->disc_dropped = a;
    } else if (sscanf(line, "segment %31s %7s %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %d %d",
                      name, ext, &s.number, &s.start, &s.duration, &s.bytes, &s.pdt_us,
                      &s.discontinuity, &s.gap) >= 8) {   /* the gap came later */
        if (!(r = rendition_named(pk, name, ext)))
            return 0;   /* a rung this run does not have */
        if (pk->cfg.rejoin) {
            /* the pair's window went on without it: its files are nobody's
             * (the origin's copies are the leader's to delete) */
            remove_segment(pk, r, s.number, 0);
            return 0;
        }
        return rendition_add_segment(r, &s);
    } else if (sscanf(line, "program-at %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %n",
                      &a, &b, &start_us, &end_us, &c, &n) == 5) {
        av_strlcpy(title, line + n, sizeof(title));
        pthread_mutex_lock(&pk->lock);
        if ((ret = program_add(pk, title, a, start_us, c)) >= 0) {
            /* one on air closes where the earlier run stopped */
            pk->programs[pk->nprograms - 1].end_frame = b >= 0 ? b : pk->cfg.first_frame;
            pk->programs[pk->nprograms - 1].end_us = end_us;
        }
        pthread_mutex_unlock(&pk->lock);
        return ret;
    } else if (sscanf(line, "program %" SCNd64 " %" SCNd64 " %" SCNd64 " %n", &a, &b, &c, &n) == 3) {
        /* a state written before the programs' times were kept: this run's
         * clock is the best guess there is */
        int64_t end = b >= 0 ? b : pk->cfg.first_frame;
        av_strlcpy(title, line + n, sizeof(title));
        pthread_mutex_lock(&pk->lock);
        if ((ret = program_add(pk, title, a, air_us(pk, a), c)) >= 0) {
            pk->programs[pk->nprograms - 1].end_frame = end;
            pk->programs[pk->nprograms - 1].end_us = air_us(pk, end);
        }
        pthread_mutex_unlock(&pk->lock);
        return ret;
    }
    return 0;
}

int live_init(Packager *pk)
{
    int ret;

    if (pk->cfg.window < 1)
        return AVERROR(EINVAL);
    if (!pk->cfg.resume)
        return 0;
    ret = read_state(pk->outdir, restore_line, pk, NULL);
    if (ret == AVERROR(ENOENT))
        return 0;
    if (ret < 0) {
        log_msg(LOG_WARN, pk->cfg.channel, STAGE, "%s/%s cannot be read (%s); starting afresh",
                pk->outdir, STATE_FILE, ERRSTR(ret));
        return 0;
    }
    for (int i = 0; i < pk->nrends; i++) {
        Rendition *r = &pk->rends[i];
        /* a restart: encoder state, timestamps and the wall clock jump */
        r->next_discontinuity = r->nsegs > 0;
        if (r->nsegs)
            pk->published = FFMAX(pk->published, r->segs[r->nsegs - 1].number + 1);
    }
    /* the numbers go on from there, whatever splices the earlier run cut
     * (a pair's are the pair's) */
    if (pk->resume_frame >= 0 && !pk->cfg.pair)
        grid_splices_anchor(&pk->cfg.grid, pk->resume_frame, pk->published);
    /* a planned break that should have returned while nothing ran returns
     * where this run starts (one still running the channel takes up again) */
    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nbreaks && pk->resume_frame >= 0; i++) {
        LiveBreak *b = &pk->breaks[i];
        if (b->end_frame < 0 && b->planned_frames > 0 && b->start_frame + b->planned_frames <= pk->resume_frame) {
            b->end_frame = pk->resume_frame;
            b->end_us = air_us(pk, pk->resume_frame);
            if ((ret = break_make_cue(pk, b, 0)) < 0)
                b->end_frame = -1;
        }
    }
    pthread_mutex_unlock(&pk->lock);
    log_msg(LOG_NOTICE, pk->cfg.channel, STAGE, "continuing the published window at segment %" PRId64,
            pk->published);
    return 0;
}

int live_start(Packager *pk)
{
    char codecs[LADDER_MAX][96], acodec[32];
    Buf b = { 0 };
    int ret;

    if ((ret = packager_codec_strings(pk, codecs, acodec, sizeof(acodec))) < 0)
        goto end;
    /* playlists restored from the state are published again first */
    for (int i = 0; i < pk->nrends; i++)
        if (rendition_in_hls(pk, &pk->rends[i]) && pk->rends[i].nsegs &&
            (ret = write_playlist(pk, &pk->rends[i], &b)) < 0)
            goto end;
    if (pk->cfg.formats & (FORMAT_HLS_TS | FORMAT_HLS_FMP4))
        ret = packager_write_master(pk, &b, codecs, pk->cfg.audio ? acodec : NULL);
end:
    buf_free(&b);
    return ret;
}

int live_segment_closed(Packager *pk, Rendition *r, int64_t start_frame)
{
    PlaylistSegment *s = &r->segs[r->nsegs - 1];
    char codecs[LADDER_MAX][96], acodec[32];
    int64_t published = INT64_MAX;
    Buf b = { 0 };
    int ret = 0;

    s->pdt_us = air_us(pk, start_frame);
    if (r->nsegs > 1) {
        /* a restart's audio starts where the last run's ended (encoder.h,
         * AudioConfig.start_pts), but one resuming a state written before
         * it did may reach back into the last segment published before: the
         * timeline stays unbroken */
        const PlaylistSegment *prev = &r->segs[r->nsegs - 2];
        int64_t overlap = prev->start + prev->duration - s->start;
        if (overlap > 0 && overlap < s->duration) {
            s->start += overlap;
            s->duration -= overlap;
        }
    }
    s->discontinuity = r->next_discontinuity;
    r->next_discontinuity = 0;
    trim(pk, r);
    if (rendition_in_hls(pk, r) && (ret = packager_write_survived(pk, write_playlist(pk, r, &b))) < 0)
        goto end;

    /* the MPD and the state describe what every rendition has */
    for (int i = 0; i < pk->nrends; i++) {
        const Rendition *o = &pk->rends[i];
        published = FFMIN(published, o->nsegs ? o->segs[o->nsegs - 1].number + 1 : 0);
    }
    if (published > pk->published) {
        /* the newest segment is now in every rendition's playlist: its
         * delay is the channel's (a jump of several at once is a restart's
         * or a slow rendition's catching up: the newest stands for them) */
        int64_t now = clock_wall_us();
        int64_t end = air_us(pk, grid_segment_start(&pk->cfg.grid, published));
        /* one lost, or its playlist, is not published: the channel is late,
         * though in time */
        atomic_store(&pk->last_cut_us, now);
        if (published - 1 > pk->last_lost && !pk->write_failing) {
            histogram_observe(&pk->publish_delay, FFMAX(0, now - end) / 1e6);
            atomic_store(&pk->last_publish_us, now);
        }
        pk->published = published;
        if ((pk->cfg.formats & FORMAT_DASH) &&
            ((ret = packager_codec_strings(pk, codecs, acodec, sizeof(acodec))) < 0 ||
             (ret = packager_write_survived(pk, packager_write_mpd(pk, &b, codecs, pk->cfg.audio ? acodec : NULL))) < 0))
            goto end;
        if ((ret = packager_write_survived(pk, write_state(pk, &b))) < 0)
            goto end;
        pthread_mutex_lock(&pk->lock);
        forget_programs(pk, grid_segment_start(&pk->cfg.grid, r->segs[0].number));
        forget_breaks(pk, grid_segment_start(&pk->cfg.grid, r->segs[0].number));
        pthread_mutex_unlock(&pk->lock);
    }
end:
    if (ret < 0)
        log_msg(LOG_ERROR, pk->cfg.channel, STAGE, "%s: cannot publish segment %" PRId64 ": %s",
                r->name, s->number, ERRSTR(ret));
    buf_free(&b);
    return ret;
}

int live_part_closed(Packager *pk, Rendition *r)
{
    Buf b = { 0 };
    int ret = 0;

    if (rendition_in_hls(pk, r))
        ret = packager_write_survived(pk, write_playlist(pk, r, &b));
    buf_free(&b);
    return ret;
}

void live_free(Packager *pk)
{
    for (int i = 0; i < pk->nprograms; i++)
        av_free(pk->programs[i].title);
    free(pk->programs);
    pk->programs = NULL;
    pk->nprograms = 0;
    for (int i = 0; i < pk->nbreaks; i++)
        break_free(&pk->breaks[i]);
    free(pk->breaks);
    pk->breaks = NULL;
    pk->nbreaks = 0;
}
