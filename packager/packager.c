/* The packager: packets in, segments cut on the grid, muxed in memory,
 * written through the sink; playlists and manifest at the end.
 *
 * A rendition is one output folder. With MPEG-TS each video rung is a
 * rendition carrying the audio too; with fMP4 each rung is a video-only
 * rendition and audio is a rendition of its own. Each rendition keeps FIFOs
 * of the packets it still has to mux and cuts a segment when the next
 * segment's IDR is at the head and every packet before the boundary is in. */
#include "internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/fifo.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>

#define AVIO_BUFFER_SIZE 65536

/* ---- packet fifo ---- */

/* A rendition's packets wait in an AVFifo of AVPacket pointers until they
 * can be muxed. It grows without a limit of its own (AVFifo's default
 * would fail past 128 Ki packets): a packet waits however long another
 * stream of its rendition lags behind, and is never dropped. */
static int fifo_push(AVFifo **f, AVPacket *p)
{
    if (!*f) {
        if (!(*f = av_fifo_alloc2(64, sizeof(p), AV_FIFO_FLAG_AUTO_GROW)))
            return AVERROR(ENOMEM);
        av_fifo_auto_grow_limit(*f, SIZE_MAX / sizeof(p));
    }
    return av_fifo_write(*f, &p, 1) < 0 ? AVERROR(ENOMEM) : 0;
}

static AVPacket *fifo_peek(AVFifo *f)
{
    AVPacket *p = NULL;

    return f && av_fifo_peek(f, &p, 1, 0) >= 0 ? p : NULL;
}

static AVPacket *fifo_pop(AVFifo *f)
{
    AVPacket *p = NULL;

    return f && av_fifo_read(f, &p, 1) >= 0 ? p : NULL;
}

static void fifo_free(AVFifo **f)
{
    AVPacket *p;

    while ((p = fifo_pop(*f)))
        av_packet_free(&p);
    av_fifo_freep2(f);
}

/* ---- muxing into memory ---- */

static int write_cb(void *opaque, uint8_t *data, int size)
{
    Rendition *r = opaque;
    return buf_append(&r->out, data, (size_t)size) < 0 ? AVERROR(ENOMEM) : size;
}

static int add_stream(AVFormatContext *mux, const PackagerStream *ps, AVRational tb, int *index)
{
    AVStream *st = avformat_new_stream(mux, NULL);
    int ret;

    if (!st)
        return AVERROR(ENOMEM);
    if ((ret = avcodec_parameters_copy(st->codecpar, ps->par)) < 0)
        return ret;
    st->codecpar->codec_tag = 0;
    st->time_base = tb;
    *index = st->index;
    return 0;
}

static enum PublishedKind kind_of(const char *file)
{
    OutputName n;

    /* only the packager's own names come here */
    return output_name_parse(file, &n) < 0 ? PUBLISHED_SEGMENT : n.kind;
}

/* A full disk refuses every write for as long as it lasts: its story is
 * told when it begins, every WRITE_FAIL_LOG_US, and when it ends. */
#define WRITE_FAIL_LOG_US 30000000

static void write_refused(Packager *pk, const char *path, int err)
{
    int64_t now = clock_monotonic_us();

    atomic_fetch_add(&pk->write_errors, 1);
    if (pk->write_failing) {
        pk->failed_writes++;
        if (now - pk->failing_logged_us >= WRITE_FAIL_LOG_US) {
            pk->failing_logged_us = now;
            log_msg(LOG_ERROR, pk->cfg.channel, STAGE, "%s still refuses writes (%" PRId64 " in %.0f s; the "
                    "latest, %s: %s)", pk->outdir, pk->failed_writes, (now - pk->failing_since_us) / 1e6, path,
                    ERRSTR(err));
        }
        return;
    }
    pk->write_failing = 1;
    pk->failing_since_us = pk->failing_logged_us = now;
    pk->failed_writes = 1;
    log_msg(LOG_ERROR, pk->cfg.channel, STAGE, "cannot write %s/%s: %s%s", pk->outdir, path, ERRSTR(err),
            pk->cfg.live ? "; the channel stays on air, and what cannot be written is lost (a segment "
            "is listed as a gap) until writes succeed again" : "");
}

int packager_write_file(Packager *pk, const char *dir, const char *file, const uint8_t *data,
                        size_t size)
{
    char path[1024];
    int ret = path_join(path, sizeof(path), dir, file);

    if (ret < 0) {
        log_msg(LOG_ERROR, pk->cfg.channel, STAGE, "cannot write %s/%s/%s: %s", pk->outdir, dir, file,
                ERRSTR(ret));
        return ret;
    }
    if ((ret = pk->sink->write(pk->sink_priv, path, data, size)) < 0) {
        write_refused(pk, path, ret);
        return ret;
    }
    if (pk->write_failing) {
        pk->write_failing = 0;
        log_msg(LOG_NOTICE, pk->cfg.channel, STAGE, "%s takes writes again, after %" PRId64 " refused in "
                "%.0f s", pk->outdir, pk->failed_writes, (clock_monotonic_us() - pk->failing_since_us) / 1e6);
    }
    if (pk->cfg.on_published && file[0] != '.')   /* the state file is ours alone */
        pk->cfg.on_published(pk->cfg.opaque, path, kind_of(file));
    return 0;
}

int packager_write_survived(const Packager *pk, int ret)
{
    return ret < 0 && pk->cfg.live && pk->write_failing ? 0 : ret;
}

static int open_mux(Packager *pk, Rendition *r)
{
    const PackagerConfig *c = &pk->cfg;
    AVDictionary *opts = NULL;
    uint8_t *iobuf;
    int ret;

    r->vst = r->ast = -1;
    if ((ret = avformat_alloc_output_context2(&r->mux, NULL, r->kind == REND_TS ? "mpegts" : "mp4",
                                              NULL)) < 0)
        return ret;
    iobuf = av_malloc(AVIO_BUFFER_SIZE);
    if (!iobuf)
        return AVERROR(ENOMEM);
    r->mux->pb = avio_alloc_context(iobuf, AVIO_BUFFER_SIZE, 1, r, NULL, write_cb, NULL);
    if (!r->mux->pb) {
        av_free(iobuf);
        return AVERROR(ENOMEM);
    }
    r->mux->flags |= AVFMT_FLAG_CUSTOM_IO;

    if (r->kind == REND_TS) {
        if ((ret = add_stream(r->mux, &c->video[r->video], (AVRational){ 1, 90000 }, &r->vst)) < 0)
            return ret;
        if (c->audio && (ret = add_stream(r->mux, c->audio, (AVRational){ 1, 90000 }, &r->ast)) < 0)
            return ret;
        /* our timestamps, as they are: the offset already keeps them positive */
        av_dict_set(&opts, "mpegts_copyts", "1", 0);
        /* PAT/PMT open every segment (resend_headers at each cut), so no
         * periodic tables inside it; several AAC frames per PES, as the
         * ffmpeg CLI does, instead of a PES (and its stuffing) per frame */
        av_dict_set(&opts, "pat_period", "3600", 0);
        av_dict_set(&opts, "sdt_period", "3600", 0);
        r->mux->max_delay = 700000;
    } else {
        if (r->kind == REND_FMP4_VIDEO)
            ret = add_stream(r->mux, &c->video[r->video], (AVRational){ 1, c->fps.num }, &r->vst);
        else
            ret = add_stream(r->mux, c->audio, pk->atb, &r->ast);
        if (ret < 0)
            return ret;
        /* one fragment per segment, cut when we say; the init segment is
         * the header alone; frag_discont keeps our timestamps (tfdt is the
         * absolute decode time) rather than restarting each track at 0.
         * Composition offsets stay positive (trun v0): FFmpeg's own demuxer
         * shifts presentation times of negative-offset (v1) fragments. */
        av_dict_set(&opts, "movflags", "frag_custom+empty_moov+default_base_moof+skip_trailer"
                    "+frag_discont", 0);
        av_dict_set(&opts, "use_editlist", "0", 0);
        r->mux->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;   /* nothing is negative */
    }
    ret = avformat_write_header(r->mux, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        log_msg(LOG_ERROR, c->channel, STAGE, "%s: cannot start the %s muxer: %s", r->name,
                r->mux->oformat->name, ERRSTR(ret));
        return ret;
    }
    r->timescale = r->mux->streams[r->vst >= 0 ? r->vst : r->ast]->time_base.den;
    avio_flush(r->mux->pb);
    if (r->kind != REND_TS) {
        ret = packager_write_file(pk, r->name, OUTPUT_INIT, r->out.data, r->out.len);
        buf_reset(&r->out);
        if (ret < 0)
            return ret;
    } else {
        buf_reset(&r->out);   /* nothing yet: PAT/PMT go out with the first packet */
    }
    return 0;
}

static int64_t offset_in(const Packager *pk, AVRational tb)
{
    return av_rescale_q_rnd(pk->offset_frames, pk->vtb, tb, AV_ROUND_NEAR_INF);
}

/* Mux one packet (taken) of the rendition's stream `st`. */
static int mux_packet(Packager *pk, Rendition *r, AVPacket *p, int st)
{
    AVRational tb = p->time_base;
    AVRational mtb = r->mux->streams[st]->time_base;
    int64_t off = offset_in(pk, tb);
    int ret;

    if (!r->seg_open) {
        r->seg_open = 1;
        r->seg_start = r->part_start = INT64_MAX;
        r->seg_end = r->part_end = INT64_MIN;
    }
    p->pts += off;
    p->dts += off;
    p->stream_index = st;
    av_packet_rescale_ts(p, tb, mtb);
    /* the segment's span: video decides it where there is video */
    if (st == r->vst || r->vst < 0) {
        r->seg_start = FFMIN(r->seg_start, p->pts);
        r->seg_end = FFMAX(r->seg_end, p->pts + p->duration);
        r->part_start = FFMIN(r->part_start, p->pts);
        r->part_end = FFMAX(r->part_end, p->pts + p->duration);
    }
    ret = av_write_frame(r->mux, p);
    av_packet_free(&p);
    if (ret < 0)
        log_msg(LOG_ERROR, pk->cfg.channel, STAGE, "%s: muxing failed: %s", r->name, ERRSTR(ret));
    return ret;
}

int rendition_add_segment(Rendition *r, const PlaylistSegment *s)
{
    if (r->nsegs == r->segs_cap) {
        int cap = r->segs_cap ? r->segs_cap * 2 : 64;
        PlaylistSegment *segs = realloc(r->segs, sizeof(*segs) * (size_t)cap);
        if (!segs)
            return AVERROR(ENOMEM);
        r->segs = segs;
        r->segs_cap = cap;
    }
    r->segs[r->nsegs++] = *s;
    return 0;
}

/* LL-HLS: the part in progress goes out as a file of its own (a fragment
 * of fMP4, or the TS packets since the last cut); the segment keeps the
 * bytes, so the whole segment is the parts end to end. `publish`: write the
 * playlists now; not for a segment's last part, which the segment's own
 * playlists list (written between the two, they would hint a part past the
 * segment's end, one that never comes). */
/* A live segment's piece (a part, or the whole segment without parts) in
 * r->out from part_offset, before it is written: a TS piece declares the
 * SCTE-35 PID in its PMT (every piece, so the PMT never changes), and the
 * first piece of a segment that starts a break or its return carries the
 * cue (TS: a section on that PID; fMP4: an emsg before the moof). */
static int add_inband(Packager *pk, Rendition *r)
{
    const uint8_t *cue = NULL;
    size_t size = 0;
    uint32_t id = 0, duration = UINT32_MAX;
    int64_t frame;
    int ret;

    if (!pk->cfg.live)
        return 0;
    if (r->kind == REND_TS &&
        (ret = ts_declare_scte35(r->out.data + r->part_offset, r->out.len - r->part_offset, INBAND_SCTE35_PID)) < 0)
        return ret;
    if (r->part_offset > 0)
        return 0;
    frame = grid_segment_start(&pk->cfg.grid, r->seg);
    pthread_mutex_lock(&pk->lock);
    for (int i = 0; i < pk->nbreaks && !cue; i++) {
        const LiveBreak *b = &pk->breaks[i];
        if (b->start_frame == frame) {
            cue = b->cue_out;
            size = b->cue_out_size;
            if (b->planned_frames > 0)
                duration = (uint32_t)av_rescale_q(b->planned_frames, pk->vtb, (AVRational){ 1, (int)r->timescale });
        } else if (b->end_frame == frame && b->cue_in) {
            cue = b->cue_in;
            size = b->cue_in_size;
        }
        if (cue)
            id = b->event_id;
    }
    if (!cue)
        ret = 0;
    else if (r->kind == REND_TS)
        ret = ts_add_scte35(&r->out, cue, size, INBAND_SCTE35_PID, &r->scte35_cc);
    else
        ret = fmp4_add_emsg(&r->out, cue, size, (uint32_t)r->timescale, (uint64_t)r->seg_start, duration, id,
                            SCTE35_EMSG_SCHEME, NULL);
    pthread_mutex_unlock(&pk->lock);
    return ret;
}

static int close_part(Packager *pk, Rendition *r, int publish)
{
    char file[64];
    PlaylistPart *pi;
    int ret;

    if (!r->seg_open || r->part_start == INT64_MAX)
        return 0;
    if ((ret = av_write_frame(r->mux, NULL)) < 0)
        return ret;
    avio_flush(r->mux->pb);
    if ((ret = add_inband(pk, r)) < 0)
        return ret;
    output_name(file, sizeof(file), r->seg, r->part, r->ext);
    /* a part lost loses its segment: the parts after it are not listed */
    if (!r->seg_lost &&
        (ret = packager_write_file(pk, r->name, file, r->out.data + r->part_offset, r->out.len - r->part_offset)) < 0) {
        if ((ret = packager_write_survived(pk, ret)) < 0)
            return ret;
        r->seg_lost = 1;
    }
    if (r->seg_lost) {
        publish = 0;
    } else {
        if (r->nparts == r->parts_cap) {
            int cap = r->parts_cap ? r->parts_cap * 2 : 32;
            PlaylistPart *parts = realloc(r->parts, sizeof(*parts) * (size_t)cap);
            if (!parts)
                return AVERROR(ENOMEM);
            r->parts = parts;
            r->parts_cap = cap;
        }
        pi = &r->parts[r->nparts++];
        /* every audio frame is a sync sample: each audio part is independent */
        *pi = (PlaylistPart){ r->seg, r->part, r->part_end - r->part_start,
                              r->part == 0 || r->kind == REND_FMP4_AUDIO };
    }
    r->part++;
    r->part_offset = r->out.len;
    /* a TS part is fetched on its own: it opens with PAT and PMT (in the
     * segment they repeat, which TS allows) */
    if (r->kind == REND_TS)
        av_opt_set(r->mux->priv_data, "mpegts_flags", "+resend_headers", 0);
    r->part_start = INT64_MAX;
    r->part_end = INT64_MIN;
    return publish ? live_part_closed(pk, r) : 0;
}

static int close_segment(Packager *pk, Rendition *r)
{
    char file[64];
    int lost, ret;

    if (!r->seg_open)
        return 0;
    if (pk->part_frames > 0 && (ret = close_part(pk, r, 0)) < 0)
        return ret;
    if ((ret = av_write_frame(r->mux, NULL)) < 0)
        return ret;
    avio_flush(r->mux->pb);
    /* with parts, the pieces carry it already */
    if (pk->part_frames == 0 && (ret = add_inband(pk, r)) < 0)
        return ret;
    output_name(file, sizeof(file), r->seg, -1, r->ext);
    ret = r->seg_lost ? 0 : packager_write_file(pk, r->name, file, r->out.data, r->out.len);
    if (ret < 0 && (ret = packager_write_survived(pk, ret)) >= 0)
        r->seg_lost = 1;
    lost = r->seg_lost;
    r->seg_lost = 0;
    r->seg_open = 0;
    if (lost)
        pk->last_lost = FFMAX(pk->last_lost, r->seg);
    if (ret >= 0)
        ret = rendition_add_segment(r, &(PlaylistSegment){ .number = r->seg, .start = r->seg_start,
                                                           .duration = r->seg_end - r->seg_start,
                                                           .bytes = lost ? 0 : (int64_t)r->out.len,
                                                           .gap = lost });
    buf_reset(&r->out);
    r->part = 0;
    r->part_offset = 0;
    if (ret < 0)
        return ret;
    if (r->kind == REND_TS)
        av_opt_set(r->mux->priv_data, "mpegts_flags", "+resend_headers", 0);
    if (pk->cfg.live && (ret = live_segment_closed(pk, r, grid_segment_start(&pk->cfg.grid, r->seg))) < 0)
        return ret;
    if (r->counts && !lost)
        atomic_fetch_add(&r->segments, 1);
    return 0;
}

/* ---- cutting ---- */

static int before_frame(const Packager *pk, const AVPacket *a, int64_t frame)
{
    return av_compare_ts(a->pts, a->time_base, frame, pk->vtb) < 0;
}

/* The end of the video, in frames, once every video stream has ended. */
static int64_t video_end(const Packager *pk)
{
    int64_t end = INT64_MAX;
    for (int i = 0; i < pk->cfg.nvideo; i++)
        end = FFMIN(end, pk->video_end[i]);
    return end;
}

static int all_video_ended(const Packager *pk)
{
    for (int i = 0; i < pk->cfg.nvideo; i++)
        if (!pk->video_ended[i])
            return 0;
    return 1;
}

/* The frame the open piece ends at: the next part's start within the
 * segment when there are parts, else the next segment's. */
static int64_t next_cut(const Packager *pk, const Rendition *r)
{
    int64_t end = grid_segment_start(&pk->cfg.grid, r->seg + 1);

    if (pk->part_frames > 0) {
        int64_t part = grid_segment_start(&pk->cfg.grid, r->seg) + (int64_t)(r->part + 1) * pk->part_frames;
        if (part < end)
            return part;
    }
    return end;
}

enum Cut { CUT_NONE, CUT_PART, CUT_SEGMENT };

/* What a packet at `frame` does to the open segment: nothing, ends a part,
 * or (an IDR at the next segment's start) ends the segment. */
static enum Cut cut_at(const Packager *pk, const Rendition *r, int64_t frame, int key)
{
    int64_t cut;

    if (!r->seg_open || frame < (cut = next_cut(pk, r)))
        return CUT_NONE;
    if (cut == grid_segment_start(&pk->cfg.grid, r->seg + 1))
        return key ? CUT_SEGMENT : CUT_NONE;
    return CUT_PART;
}

static int cut(Packager *pk, Rendition *r, enum Cut c)
{
    return c == CUT_SEGMENT ? close_segment(pk, r) : close_part(pk, r, 1);
}

static int start_segment_at(const Packager *pk, Rendition *r, int64_t frame)
{
    if (!r->seg_open)
        r->seg = grid_segment_of_frame(&pk->cfg.grid, frame < 0 ? 0 : frame);
    return 0;
}

/* Whether a segment starting at frame is a splice: an ad break's out or
 * return. The grid knows those it added (frames that are no regular
 * boundary); a break may also go out on a regular boundary, which only the
 * break itself says. */
static int splice_edge(Packager *pk, int64_t frame)
{
    SegmentGrid regular = pk->cfg.grid;

    regular.splices = NULL;
    return !grid_is_boundary(&regular, frame) || (pk->cfg.live && live_break_edge(pk, frame));
}

/* Whether the audio packet a goes into the open piece of r, which ends at
 * frame next: one that starts before next does, save one that straddles a
 * splice. That one goes into the segment after it, so that the segment
 * before a break (or the break's last) has no audio past its picture: a
 * player that starts an interstitial at the break (hls.js) takes the later
 * of the two ends as the segment's end and waits there for media it never
 * loads. A gap of less than an audio frame before the cut is what remains. */
static int audio_in_piece(Packager *pk, const Rendition *r, const AVPacket *a, int64_t next)
{
    if (!before_frame(pk, a, next))
        return 0;
    if (av_compare_ts(a->pts + a->duration, a->time_base, next, pk->vtb) <= 0)
        return 1;
    return next != grid_segment_start(&pk->cfg.grid, r->seg + 1) || !splice_edge(pk, next);
}

static int pump_ts(Packager *pk, Rendition *r)
{
    int ret;

    while (1) {
        AVPacket *v = fifo_peek(r->vq), *a = fifo_peek(r->aq);
        int audio_done = !pk->has_audio || (r->a_ended && !a);
        int64_t next = next_cut(pk, r);
        enum Cut c = v ? cut_at(pk, r, v->pts, v->flags & AV_PKT_FLAG_KEY) : CUT_NONE;

        if (v) {
            if (c != CUT_NONE) {
                /* the open piece takes its audio before the boundary */
                if (a && audio_in_piece(pk, r, a, next)) {
                    ret = mux_packet(pk, r, fifo_pop(r->aq), r->ast);
                } else if (a || audio_done) {
                    /* the next segment is numbered now: audio that
                     * straddled a splice may open it before its picture */
                    if ((ret = cut(pk, r, c)) >= 0)
                        start_segment_at(pk, r, v->pts);
                } else {
                    return 0;   /* wait for audio */
                }
            } else if (a && audio_in_piece(pk, r, a, next) &&
                       av_compare_ts(a->dts, a->time_base, v->dts, v->time_base) <= 0) {
                ret = mux_packet(pk, r, fifo_pop(r->aq), r->ast);
            } else if (a || audio_done) {
                start_segment_at(pk, r, v->pts);
                ret = mux_packet(pk, r, fifo_pop(r->vq), r->vst);
            } else {
                return 0;
            }
        } else if (r->v_ended && a) {
            /* audio past the end of the picture is left out */
            AVPacket *p = fifo_pop(r->aq);
            if (r->seg_open && before_frame(pk, p, pk->video_end[r->video]))
                ret = mux_packet(pk, r, p, r->ast);
            else
                av_packet_free(&p), ret = 0;
        } else {
            return 0;
        }
        if (ret < 0)
            return ret;
    }
}

static int pump_fmp4_video(Packager *pk, Rendition *r)
{
    AVPacket *v;
    int ret;

    while ((v = fifo_peek(r->vq))) {
        enum Cut c = cut_at(pk, r, v->pts, v->flags & AV_PKT_FLAG_KEY);
        if (c != CUT_NONE && (ret = cut(pk, r, c)) < 0)
            return ret;
        start_segment_at(pk, r, v->pts);
        if ((ret = mux_packet(pk, r, fifo_pop(r->vq), r->vst)) < 0)
            return ret;
    }
    return 0;
}

static int pump_fmp4_audio(Packager *pk, Rendition *r)
{
    AVPacket *a;
    int ret;

    while ((a = fifo_peek(r->aq))) {
        int ended = all_video_ended(pk);
        int64_t frame;

        /* audio follows the picture: it needs to know where segments and
         * the picture end before it can place a packet */
        if (!ended && av_compare_ts(a->pts + a->duration, a->time_base, video_end(pk), pk->vtb) > 0)
            return 0;
        a = fifo_pop(r->aq);
        if (ended && !before_frame(pk, a, video_end(pk))) {
            av_packet_free(&a);
            continue;
        }
        /* the AAC priming frame reaches before the run's first frame */
        frame = FFMAX(av_rescale_q_rnd(a->pts, a->time_base, pk->vtb, AV_ROUND_DOWN), pk->cfg.first_frame);
        {
            enum Cut c = cut_at(pk, r, frame, 1);
            if (c != CUT_NONE && (ret = cut(pk, r, c)) < 0) {
                av_packet_free(&a);
                return ret;
            }
        }
        start_segment_at(pk, r, frame);
        if ((ret = mux_packet(pk, r, a, r->ast)) < 0)
            return ret;
    }
    return 0;
}

static int pump(Packager *pk, Rendition *r)
{
    switch (r->kind) {
    case REND_TS:
        return pump_ts(pk, r);
    case REND_FMP4_VIDEO:
        return pump_fmp4_video(pk, r);
    default:
        return pump_fmp4_audio(pk, r);
    }
}

/* ---- setup ---- */

int packager_new(Packager **out, const PackagerConfig *cfg)
{
    Packager *pk;
    int fmp4 = !!(cfg->formats & (FORMAT_HLS_FMP4 | FORMAT_DASH));
    int ts = !!(cfg->formats & FORMAT_HLS_TS);
    int n = 0, ret;

    *out = NULL;
    if (!cfg->formats || cfg->nvideo < 1 || (ts && (cfg->formats & FORMAT_HLS_FMP4)) || !cfg->sink)
        return AVERROR(EINVAL);
    pk = calloc(1, sizeof(*pk));
    if (!pk)
        return AVERROR(ENOMEM);
    pthread_mutex_init(&pk->lock, NULL);
    pk->cfg = *cfg;
    pk->has_audio = cfg->audio != NULL;
    pk->vtb = av_inv_q(cfg->fps);
    pk->resume_frame = -1;
    pk->last_lost = -1;
    pk->atb = cfg->audio ? cfg->audio->time_base : (AVRational){ 1, 48000 };
    pk->offset_frames = av_rescale_q(PACKAGER_TS_OFFSET_US, (AVRational){ 1, 1000000 }, pk->vtb);
    if (cfg->live && cfg->part_us > 0)
        pk->part_frames = grid_part_frames(cfg->fps, cfg->part_us);
    histogram_init(&pk->publish_delay, metric_latency_bounds, metric_latency_nbounds);
    pk->audio_end_us = INT64_MIN;
    pk->outdir = av_strdup(cfg->outdir);
    pk->sink = cfg->sink;
    pk->nrends = (ts ? cfg->nvideo : 0) + (fmp4 ? cfg->nvideo + pk->has_audio : 0);
    pk->rends = calloc((size_t)pk->nrends, sizeof(*pk->rends));
    pk->video_end = calloc((size_t)cfg->nvideo, sizeof(*pk->video_end));
    pk->video_ended = calloc((size_t)cfg->nvideo, sizeof(*pk->video_ended));
    if (!pk->outdir || !pk->rends || !pk->video_end || !pk->video_ended) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    for (int i = 0; ts && i < cfg->nvideo; i++)
        pk->rends[n++] = (Rendition){ .pk = pk, .kind = REND_TS, .name = cfg->video[i].name,
                                      .video = i, .ext = "ts" };
    for (int i = 0; fmp4 && i < cfg->nvideo; i++)
        pk->rends[n++] = (Rendition){ .pk = pk, .kind = REND_FMP4_VIDEO, .name = cfg->video[i].name,
                                      .video = i, .ext = "m4s" };
    if (fmp4 && pk->has_audio)
        pk->rends[n++] = (Rendition){ .pk = pk, .kind = REND_FMP4_AUDIO, .name = cfg->audio->name,
                                      .video = -1, .ext = "m4s" };
    for (int i = 0; i < pk->nrends; i++) {
        pk->rends[i].counts = 1;
        for (int j = 0; j < i; j++)
            if (!strcmp(pk->rends[j].name, pk->rends[i].name))
                pk->rends[i].counts = 0;
    }
    if ((ret = pk->sink->open(&pk->sink_priv, pk->outdir)) < 0) {
        log_msg(LOG_ERROR, cfg->channel, STAGE, "%s: %s", pk->outdir, ERRSTR(ret));
        goto fail;
    }
    if (cfg->live && (ret = live_init(pk)) < 0)
        goto fail;
    *out = pk;
    return 0;
fail:
    packager_free(&pk);
    return ret;
}

int64_t packager_progress_us(const Packager *pk)
{
    return pk->progress_us;
}

void packager_stats(const Packager *pk, PackagerStats *st)
{
    int64_t audio = atomic_load(&pk->audio_end_us), video = atomic_load(&pk->progress_us);

    memset(st, 0, sizeof(*st));
    for (int i = 0; i < pk->nrends && st->nrenditions < LADDER_MAX + 1; i++) {
        if (!pk->rends[i].counts)
            continue;
        st->renditions[st->nrenditions].name = pk->rends[i].name;
        st->renditions[st->nrenditions++].segments = atomic_load(&pk->rends[i].segments);
    }
    /* progress_us is 0 until every rung has a packet */
    st->has_av_offset = audio != INT64_MIN && video > 0;
    if (st->has_av_offset)
        st->av_offset_s = (double)(audio - video) / 1e6;
    st->last_publish_us = atomic_load(&pk->last_publish_us);
    st->last_cut_us = atomic_load(&pk->last_cut_us);
    st->write_errors = atomic_load(&pk->write_errors);
}

const Histogram *packager_publish_delay(const Packager *pk)
{
    return &pk->publish_delay;
}

/* ---- playlists and manifest ---- */

typedef struct Rates {
    int64_t peak, average;
} Rates;

/* VOD: measured from the segments. Live: from the encoders' targets, as the
 * master playlist is written before the first segment (the peak allows for
 * a rate-controlled encoder's swing from segment to segment). */
static Rates rendition_rates(const Rendition *r)
{
    Rates rt = { 0, 0 };
    int64_t bytes = 0, dur = 0;

    if (r->pk->cfg.live) {
        const PackagerConfig *c = &r->pk->cfg;
        int64_t rate = r->video >= 0 ? c->video[r->video].par->bit_rate : c->audio->par->bit_rate;
        if (r->kind == REND_TS && c->audio)
            rate += c->audio->par->bit_rate;
        return (Rates){ rate * 5 / 4, rate };
    }

    for (int i = 0; i < r->nsegs; i++) {
        const PlaylistSegment *s = &r->segs[i];
        if (s->duration <= 0)
            continue;
        rt.peak = FFMAX(rt.peak, av_rescale(s->bytes * 8, r->timescale, s->duration));
        bytes += s->bytes;
        dur += s->duration;
    }
    if (dur > 0)
        rt.average = av_rescale(bytes * 8, r->timescale, dur);
    return rt;
}

int rendition_in_hls(const Packager *pk, const Rendition *r)
{
    unsigned f = pk->cfg.formats;
    return r->kind == REND_TS ? !!(f & FORMAT_HLS_TS) : !!(f & FORMAT_HLS_FMP4);
}

const Rendition *rendition_find(const Packager *pk, enum RenditionKind kind, int video)
{
    for (int i = 0; i < pk->nrends; i++)
        if (pk->rends[i].kind == kind && pk->rends[i].video == video)
            return &pk->rends[i];
    return NULL;
}

static int write_buf(Packager *pk, const char *dir, const char *file, Buf *b)
{
    int ret = packager_write_file(pk, dir, file, b->data, b->len);
    buf_reset(b);
    return ret;
}

static int write_media_playlists(Packager *pk, Buf *b)
{
    int ret;

    for (int i = 0; i < pk->nrends; i++) {
        const Rendition *r = &pk->rends[i];
        if (!rendition_in_hls(pk, r))
            continue;
        HlsMediaPlaylist pl = {
            .timescale = r->timescale,
            .segments = r->segs,
            .nsegments = r->nsegs,
            .extension = r->ext,
            .map_uri = r->kind == REND_TS ? NULL : OUTPUT_INIT,
            .media_sequence = r->nsegs ? r->segs[0].number : 0,
            .vod = 1,
        };
        if ((ret = hls_write_media_playlist(b, &pl)) < 0 || (ret = write_buf(pk, r->name, OUTPUT_MEDIA_PLAYLIST, b)) < 0)
            return ret;
    }
    return 0;
}

int packager_write_master(Packager *pk, Buf *b, char (*codecs)[96], const char *acodec)
{
    const PackagerConfig *c = &pk->cfg;
    int fmp4 = !!(c->formats & FORMAT_HLS_FMP4);
    const Rendition *audio = rendition_find(pk, REND_FMP4_AUDIO, -1);
    Rates ar = audio ? rendition_rates(audio) : (Rates){ 0, 0 };
    HlsVariant vars[LADDER_MAX];
    char uris[LADDER_MAX][RUNG_NAME_MAX + 16];
    char full[LADDER_MAX][160];
    HlsAudioRendition arend = { .group = "aac", .name = "audio", .uri = "audio/" OUTPUT_MEDIA_PLAYLIST,
                                .channels = c->audio ? c->audio->par->ch_layout.nb_channels : 0 };
    HlsMaster m = { .variants = vars, .nvariants = c->nvideo, .version = fmp4 ? 7 : 3,
                    .audio = fmp4 && audio ? &arend : NULL };
    char audio_uri[RUNG_NAME_MAX + 16];

    if (audio) {
        snprintf(audio_uri, sizeof(audio_uri), "%s/" OUTPUT_MEDIA_PLAYLIST, audio->name);
        arend.uri = audio_uri;
    }
    for (int i = 0; i < c->nvideo; i++) {
        const Rendition *r = rendition_find(pk, fmp4 ? REND_FMP4_VIDEO : REND_TS, i);
        Rates vr = rendition_rates(r);
        snprintf(uris[i], sizeof(uris[i]), "%s/" OUTPUT_MEDIA_PLAYLIST, r->name);
        if (acodec)
            snprintf(full[i], sizeof(full[i]), "%s,%s", codecs[i], acodec);
        else
            snprintf(full[i], sizeof(full[i]), "%s", codecs[i]);
        vars[i] = (HlsVariant){
            .uri = uris[i],
            .bandwidth = vr.peak + ar.peak,
            .average_bandwidth = vr.average + ar.average,
            .width = c->video[i].par->width,
            .height = c->video[i].par->height,
            .fps = c->fps,
            .codecs = full[i],
            .audio_group = m.audio ? "aac" : NULL,
        };
    }
    int ret = hls_write_master_playlist(b, &m);
    return ret < 0 ? ret : write_buf(pk, "", OUTPUT_MASTER, b);
}

static void fill_dash_rep(const Packager *pk, const Rendition *r, DashRepresentation *d,
                          const char *codecs)
{
    const AVCodecParameters *par = r->video >= 0 ? pk->cfg.video[r->video].par : pk->cfg.audio->par;

    *d = (DashRepresentation){
        .id = r->name,
        .bandwidth = rendition_rates(r).peak,
        .codecs = codecs,
        .timescale = r->timescale,
        .presentation_time_offset = offset_in(pk, (AVRational){ 1, (int)r->timescale }),
        .segments = r->segs,
        .nsegments = r->nsegs,
    };
    if (pk->cfg.live) {
        /* what every rendition has, the last window of it */
        int n = 0;
        while (n < r->nsegs && r->segs[n].number < pk->published)
            n++;
        d->nsegments = FFMIN(n, pk->cfg.window);
        d->segments = r->segs + n - d->nsegments;
    }
    if (r->video >= 0) {
        d->width = par->width;
        d->height = par->height;
        d->fps = pk->cfg.fps;
    } else {
        d->sample_rate = par->sample_rate;
        d->channels = par->ch_layout.nb_channels;
    }
}

/* Low-latency DASH (chunked CMAF): the segment being cut is listed with its
 * planned length, fetchable once its first part is out; the server streams
 * it part by part as they are made. */
static void announce_open_segment(const Packager *pk, DashManifest *m, DashRepresentation *video,
                                  DashRepresentation *audio)
{
    const PackagerConfig *c = &pk->cfg;
    int64_t frames = grid_segment_start(&c->grid, pk->published + 1) - grid_segment_start(&c->grid, pk->published);

    for (int i = 0; i <= c->nvideo; i++) {
        DashRepresentation *d = i < c->nvideo ? &video[i] : audio;
        if (!d || !d->nsegments || d->segments[d->nsegments - 1].number != pk->published - 1)
            continue;
        d->open_duration = av_rescale(frames * c->fps.den, d->timescale, c->fps.num);
    }
    m->availability_offset_us = c->grid.segment_us - c->part_us;
    m->target_latency_us = 3 * c->part_us;
    m->presentation_delay_us = m->target_latency_us;
}

int packager_write_mpd(Packager *pk, Buf *b, char (*codecs)[96], const char *acodec)
{
    const PackagerConfig *c = &pk->cfg;
    DashRepresentation video[LADDER_MAX], audio;
    const Rendition *ar = rendition_find(pk, REND_FMP4_AUDIO, -1);
    DashManifest m = { .video = video, .nvideo = c->nvideo, .audio = ar ? &audio : NULL };
    PlaylistAdBreak breaks[LIVE_BREAKS_LISTED];
    int64_t max_seg = 0, ret;

    for (int i = 0; i < c->nvideo; i++) {
        const Rendition *r = rendition_find(pk, REND_FMP4_VIDEO, i);
        fill_dash_rep(pk, r, &video[i], codecs[i]);
        for (int k = 0; k < r->nsegs; k++)
            max_seg = FFMAX(max_seg, av_rescale(r->segs[k].duration, 1000000, r->timescale));
        if (r->nsegs)
            m.duration_us = FFMAX(m.duration_us,
                                  av_rescale(r->segs[r->nsegs - 1].start + r->segs[r->nsegs - 1].duration -
                                             r->segs[0].start, 1000000, r->timescale));
    }
    if (ar)
        fill_dash_rep(pk, ar, &audio, acodec);
    m.max_segment_us = max_seg;
    if (c->live) {
        m.dynamic = 1;
        /* presentation time 0 is frame 0 of the output clock */
        /* presentation time 0 is frame 0's air time on this run's clock */
        m.availability_start_us = air_clock_time(&(AirClock){ c->fps, c->epoch_us, c->first_frame }, 0);
        m.publish_us = clock_wall_us();
        m.min_update_us = c->grid.segment_us;
        m.time_shift_us = c->grid.segment_us * c->window;
        m.presentation_delay_us = c->grid.segment_us * 3;
        m.utc_timing_url = c->utc_timing_url;
        if (pk->part_frames > 0 && !pk->ending)
            announce_open_segment(pk, &m, video, ar ? &audio : NULL);
        m.ad_markers = c->ad_markers;
        m.breaks = breaks;
    }
    pthread_mutex_lock(&pk->lock);
    /* the breaks, on the first video Representation's timeline */
    if (c->live)
        m.nbreaks = live_breaks(pk, INT64_MIN, INT64_MAX, video[0].timescale, breaks, LIVE_BREAKS_LISTED);
    ret = dash_write_mpd(b, &m);
    if (ret == AVERROR(EINVAL) && m.nbreaks) {
        /* the marks are wrong somehow: the channel stays on air without them */
        log_msg(LOG_WARN, c->channel, STAGE, "the ad breaks cannot be marked in the MPD; it goes out without them");
        m.nbreaks = 0;
        ret = dash_write_mpd(b, &m);
    }
    pthread_mutex_unlock(&pk->lock);
    if (ret < 0)
        return (int)ret;
    return write_buf(pk, "", OUTPUT_MANIFEST, b);
}

int packager_codec_strings(Packager *pk, char (*codecs)[96], char *acodec, size_t size)
{
    const PackagerConfig *c = &pk->cfg;
    int ret;

    for (int i = 0; i < c->nvideo; i++)
        if ((ret = playlist_codec_string(c->video[i].par, codecs[i], sizeof(codecs[i]))) < 0)
            return ret;
    if (c->audio && (ret = playlist_codec_string(c->audio->par, acodec, size)) < 0)
        return ret;
    return 0;
}

static int write_manifests(Packager *pk)
{
    const PackagerConfig *c = &pk->cfg;
    char codecs[LADDER_MAX][96], acodec[32];
    Buf b = { 0 };
    int ret;

    if ((ret = packager_codec_strings(pk, codecs, acodec, sizeof(acodec))) < 0)
        goto end;
    if ((ret = write_media_playlists(pk, &b)) < 0)
        goto end;
    if ((c->formats & (FORMAT_HLS_TS | FORMAT_HLS_FMP4)) &&
        (ret = packager_write_master(pk, &b, codecs, c->audio ? acodec : NULL)) < 0)
        goto end;
    if ((c->formats & FORMAT_DASH) && (ret = packager_write_mpd(pk, &b, codecs, c->audio ? acodec : NULL)) < 0)
        goto end;
end:
    if (ret < 0)
        log_msg(LOG_ERROR, c->channel, STAGE, "cannot write the playlists: %s", ERRSTR(ret));
    buf_free(&b);
    return ret;
}

/* ---- the thread ---- */

static void end_stream(Packager *pk, int index)
{
    for (int i = 0; i < pk->nrends; i++) {
        Rendition *r = &pk->rends[i];
        if (index < pk->cfg.nvideo && r->video == index)
            r->v_ended = 1;
        if (index == pk->cfg.nvideo)
            r->a_ended = 1;
    }
    if (index < pk->cfg.nvideo)
        pk->video_ended[index] = 1;
}

static int route(Packager *pk, AVPacket *p)
{
    int index = p->stream_index;
    int ret = 0;

    if (index < 0 || index > pk->cfg.nvideo || (index == pk->cfg.nvideo && !pk->has_audio)) {
        av_packet_free(&p);
        return AVERROR_BUG;
    }
    if (!p->data) {
        av_packet_free(&p);
        end_stream(pk, index);
        return 0;
    }
    if (index < pk->cfg.nvideo) {
        int64_t end = p->pts + p->duration;
        if (end > pk->video_end[index]) {
            int64_t all = INT64_MAX;
            pk->video_end[index] = end;
            for (int i = 0; i < pk->cfg.nvideo; i++)
                all = FFMIN(all, pk->video_end[i]);
            pk->progress_us = av_rescale_q(all, pk->vtb, (AVRational){ 1, 1000000 });
        }
    } else {
        int64_t end = av_rescale_q(p->pts + p->duration, pk->atb, (AVRational){ 1, 1000000 });
        if (end > pk->audio_end_us)
            pk->audio_end_us = end;
    }
    /* each rendition that carries this stream gets its own reference */
    for (int i = 0; i < pk->nrends && ret >= 0; i++) {
        Rendition *r = &pk->rends[i];
        AVFifo **q = index < pk->cfg.nvideo ? (r->video == index ? &r->vq : NULL)
                                            : (r->kind != REND_FMP4_VIDEO ? &r->aq : NULL);
        AVPacket *ref;
        if (!q)
            continue;
        ref = av_packet_clone(p);
        if (!ref)
            ret = AVERROR(ENOMEM);
        else if ((ret = fifo_push(q, ref)) < 0)
            av_packet_free(&ref);
    }
    av_packet_free(&p);
    return ret;
}

int packager_run(Packager *pk, Queue *in)
{
    void *item;
    int ret = 0;

    for (int i = 0; i < pk->nrends; i++)
        if ((ret = open_mux(pk, &pk->rends[i])) < 0)
            goto fail;
    if (pk->cfg.live && (ret = live_start(pk)) < 0)
        goto fail;

    while (queue_receive(in, &item) == 0) {
        if ((ret = route(pk, item)) < 0)
            goto fail;
        for (int i = 0; i < pk->nrends; i++)
            if ((ret = pump(pk, &pk->rends[i])) < 0)
                goto fail;
    }
    /* every producer is gone: whatever did not say it ended has ended */
    pk->ending = 1;
    for (int i = 0; i <= pk->cfg.nvideo; i++)
        end_stream(pk, i);
    for (int i = 0; i < pk->nrends; i++) {
        Rendition *r = &pk->rends[i];
        if ((ret = pump(pk, r)) < 0 || (ret = close_segment(pk, r)) < 0)
            goto fail;
        av_write_trailer(r->mux);
        buf_reset(&r->out);
    }
    if (pk->cfg.live)
        return 0;   /* every segment is out already; a live playlist never ends */
    /* nothing came (the source failed before its first picture, and says
     * so): no playlist to describe nothing */
    for (int i = 0; i < pk->nrends; i++)
        if (pk->rends[i].nsegs)
            return write_manifests(pk);
    return 0;
fail:
    /* stop the producers: nothing more will be taken */
    queue_abort(in);
    return ret;
}

void packager_free(Packager **ppk)
{
    Packager *pk = *ppk;

    if (!pk)
        return;
    for (int i = 0; i < pk->nrends; i++) {
        Rendition *r = &pk->rends[i];
        if (r->mux) {
            if (r->mux->pb) {
                av_freep(&r->mux->pb->buffer);
                avio_context_free(&r->mux->pb);
            }
            avformat_free_context(r->mux);
        }
        fifo_free(&r->vq);
        fifo_free(&r->aq);
        buf_free(&r->out);
        free(r->segs);
        free(r->parts);
    }
    if (pk->sink_priv)
        pk->sink->close(&pk->sink_priv);
    live_free(pk);
    pthread_mutex_destroy(&pk->lock);
    free(pk->rends);
    free(pk->video_end);
    free(pk->video_ended);
    av_free(pk->outdir);
    free(pk);
    *ppk = NULL;
}
