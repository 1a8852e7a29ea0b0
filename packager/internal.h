/*
 * Internal to packager/ (its interface is packager.h): the packager's state,
 * shared by the cutting and muxing (packager.c) and the live publishing
 * (live.c).
 */
#ifndef ONAIR_PACKAGER_INTERNAL_H
#define ONAIR_PACKAGER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <libavformat/avformat.h>
#include <libavutil/fifo.h>

#include "packager.h"
#include "common/scte35.h"
#include "playlist/playlist.h"

#ifndef STAGE
#define STAGE "packager"
#endif

/* A program on air, for its DATERANGE. Its times are kept as they aired:
 * after a restart the frame count goes on but the wall clock has moved, so
 * they cannot be found again from the frames. */
typedef struct LiveProgram {
    int64_t start_frame, end_frame;   /* end -1 while on air */
    int64_t start_us, end_us;         /* wall clock; end_us unset while on air */
    int64_t planned_us;
    char *title;
} LiveProgram;

/* An ad break, as the packager marks it: its cues made once (hex for HLS,
 * XML or base64 for DASH) so that every playlist rewrite says the same. */
#define BREAK_ID_MAX 80
typedef struct LiveBreak {
    uint32_t event_id;
    char id[BREAK_ID_MAX];
    int64_t start_frame, planned_frames;
    int64_t end_frame;                /* -1 while out */
    int64_t start_us, end_us;         /* wall clock, as aired */
    uint8_t *cue_out, *cue_in;        /* the sections; cue_in NULL while out */
    size_t cue_out_size, cue_in_size;
    char *out_hex, *in_hex;           /* SCTE35-OUT / SCTE35-IN */
    char *dash;                       /* the out cue as the MPD carries it (XML or base64) */
} LiveBreak;

enum RenditionKind {
    REND_TS,          /* video + muxed audio, MPEG-TS */
    REND_FMP4_VIDEO,
    REND_FMP4_AUDIO,
};

typedef struct Rendition {
    struct Packager *pk;
    enum RenditionKind kind;
    const char *name;
    int video;                    /* its video stream, -1 for audio */
    const char *ext;
    AVFormatContext *mux;
    int vst, ast;                 /* stream indexes in mux, -1 when absent */
    Buf out;                      /* bytes of the segment being written */
    AVFifo *vq, *aq;              /* AVPacket *: not muxed yet; NULL until the first */
    int v_ended, a_ended;
    int64_t seg;                  /* number of the open segment */
    int seg_open;
    int64_t seg_start, seg_end;   /* presentation, in timescale */
    int64_t timescale;            /* of the main stream in mux */
    PlaylistSegment *segs;        /* VOD: all; live: the window and the grace after it */
    int nsegs, segs_cap;
    int64_t disc_dropped;         /* live: discontinuities deleted already */
    int next_discontinuity;       /* live: the next segment follows a restart */
    int scte35_cc;                /* live TS: continuity counter of the SCTE-35 PID */
    int marks_refused;            /* live: playlists written without their break marks */
    int seg_lost;                 /* live: a piece of the open segment could not be written */
    /* LL-HLS parts of the open segment */
    int part;                     /* index of the open part */
    int64_t part_start, part_end; /* its presentation span, timescale */
    size_t part_offset;           /* where it begins in out */
    PlaylistPart *parts;          /* parts of the last segments and the open one */
    int nparts, parts_cap;
    /* the first rendition of its name (hls and dash both cut "720p"):
     * segments counts one per segment of the output tree's rendition */
    int counts;
    _Atomic int64_t segments;     /* published (live: its playlist written) */
} Rendition;

struct Packager {
    PackagerConfig cfg;
    char *outdir;
    const SinkKind *sink;
    void *sink_priv;
    Rendition *rends;
    int nrends;
    int has_audio;
    AVRational vtb, atb;          /* packet time bases: video 1/fps, audio 1/rate */
    int64_t offset_frames;        /* PACKAGER_TS_OFFSET in video frames */
    int64_t *video_end;           /* per video stream: end of the packets seen, frames */
    int *video_ended;
    _Atomic int64_t progress_us;

    /* live */
    pthread_mutex_t lock;         /* programs, which another thread adds */
    LiveProgram *programs;
    int nprograms, programs_cap;
    LiveBreak *breaks;            /* in start order; under lock, like programs */
    int nbreaks, breaks_cap;
    int64_t published;            /* every rendition has the segments below this number */
    int64_t resume_frame;         /* where a resumed window goes on (the state's next-frame); -1: none */
    int64_t part_frames;          /* LL-HLS part length in frames; 0: no parts */
    int ending;                   /* the input has ended: what is open is the last */
    /* writes the output folder refused (a full disk): packager_write_file */
    int write_failing;            /* the last one failed */
    int64_t failing_since_us, failing_logged_us, failed_writes;
    int64_t last_lost;            /* live: the newest segment number lost in a rendition; -1: none */

    /* packager_stats: written by the packager's thread, read by any */
    Histogram publish_delay;      /* live: a segment's end on air -> published everywhere */
    _Atomic int64_t last_publish_us;   /* wall clock; 0: none yet */
    _Atomic int64_t last_cut_us;       /* the same, published or lost (a full disk) */
    _Atomic int64_t audio_end_us;      /* end of the audio packets seen; INT64_MIN: none */
    _Atomic int64_t write_errors;      /* writes the output folder refused */
};


/* Whether r's segments are listed in an HLS media playlist (TS renditions
 * for hls, fMP4 ones for hls-fmp4; those of dash only in the MPD). */
int rendition_in_hls(const Packager *pk, const Rendition *r);
/* Appends s to r's list (VOD: every segment; live: the window). */
int rendition_add_segment(Rendition *r, const PlaylistSegment *s);
/* dir/file through the sink; on_published hears of it unless it is a
 * dotfile (the state file is the packager's alone). A refused write is
 * logged when a run of them begins, every WRITE_FAIL_LOG_US while it lasts,
 * and when writes succeed again. */
int packager_write_file(Packager *pk, const char *dir, const char *file, const uint8_t *data,
                        size_t size);
/* ret, or 0 where it is the output folder's refusal of the last write and
 * the channel is live: a live channel stays on air through a full disk,
 * what was not written lost (a segment listed as a gap), and the next
 * write tries again. */
int packager_write_survived(const Packager *pk, int ret);
const Rendition *rendition_find(const Packager *pk, enum RenditionKind kind, int video);

/* HLS master playlist and DASH manifest (live or VOD). codecs: one string a
 * video stream, acodec the audio's (NULL: none). */
int packager_write_master(Packager *pk, Buf *b, char (*codecs)[96], const char *acodec);
int packager_write_mpd(Packager *pk, Buf *b, char (*codecs)[96], const char *acodec);
int packager_codec_strings(Packager *pk, char (*codecs)[96], char *acodec, size_t size);

/* The PID a live TS segment carries SCTE-35 on: clear of the mpegts
 * muxer's streams (0x100 up) and its PMT (0x1000). */
#define INBAND_SCTE35_PID 0x1F4

/* inband.c: SCTE-35 in a segment's own bytes, after libavformat muxed
 * them (its mpegts muxer carries data only as PES, its mp4 muxer writes no
 * emsg). The section is a whole splice_info_section, CRC included, built by
 * the caller; these functions copy it and never look inside but for its
 * table_id and length. Buffers stay the caller's. */

/* Declares the cue's PID in every PMT of a TS segment that the mpegts
 * muxer wrote (PAT first; each PMT section whole in one packet with
 * stuffing after it): an elementary stream of stream_type 0x86 on pid with
 * a cue_identifier_descriptor (all commands), and the SCTE 35 registration
 * descriptor ("CUEI") in the program_info loop, without which demuxers
 * (FFmpeg's among them) take 0x86 for PES. section_length and CRC_32 are
 * recomputed; version_number is kept: every segment of a channel is
 * declared, break or not, so the PMT never changes. A PMT that declares it
 * already is left alone. Returns the number of PMTs (> 0);
 * AVERROR_INVALIDDATA when the bytes are not what the muxer writes (not
 * TS, no PAT or PMT, a bad CRC, a section over more than one packet, no
 * room left in the packet), AVERROR(EINVAL) when pid is not free (the PMT
 * PID, the PCR PID, another stream's). Nothing is changed on an error. */
int ts_declare_scte35(uint8_t *seg, size_t len, int pid);

/* Inserts the section into a TS segment as TS packets on pid
 * (payload_unit_start_indicator and pointer_field 0 in the first, then
 * continuation packets, 0xFF stuffing after the section), continuity
 * counters from *cc, which is left at the next one (keep one per
 * rendition). They go near the start, after the first PMT (which must
 * declare pid: ts_declare_scte35 first, else AVERROR(EINVAL)) and after
 * the first packet with a PCR that follows it: a demuxer that meets the
 * segment alone knows the PID before the cue, and stamps the cue with that
 * PCR (FFmpeg's does), the segment's time, not none; a segmenter
 * downstream meets it at the segment's start (the PCR rides on the first
 * packet of its first picture). The splice_time
 * in the section says when the splice is. AVERROR(EINVAL) for a section
 * that is not one (table_id 0xFC, its length), AVERROR_INVALIDDATA as
 * above; nothing is changed on an error. */
int ts_add_scte35(Buf *seg, const uint8_t *section, size_t size, int pid, int *cc);

/* Inserts an emsg box, version 1 (ISO/IEC 23009-1 5.10.3.3), before the
 * first moof of an fMP4 segment (after an styp): timescale and
 * presentation_time on the track's timeline (absolute, as tfdt is, not
 * from the segment's start), duration 0xFFFFFFFF when unknown, scheme
 * e.g. "urn:scte:scte35:2013:bin", value NULL for "", message the section.
 * The moof's data offsets count from the moof (default_base_moof), so
 * they stay right. AVERROR_INVALIDDATA when there is no moof or a box is
 * cut short; AVERROR_PATCHWELCOME when a sidx precedes it (its offsets
 * would move). Nothing is changed on an error. */
int fmp4_add_emsg(Buf *seg, const uint8_t *message, size_t size, uint32_t timescale,
                  uint64_t presentation_time, uint32_t duration, uint32_t id, const char *scheme,
                  const char *value);

/* live.c */
/* The breaks that end after from_us (to_us: not used: those ahead are
 * listed too) as the playlist writers take them, at most max; media_start
 * in timescale (DASH; 0: not wanted).
 * Strings borrowed from pk->breaks: hold pk->lock while they are used. */
#define LIVE_BREAKS_LISTED 32
int live_breaks(const Packager *pk, int64_t from_us, int64_t to_us, int64_t timescale, PlaylistAdBreak *out,
                int max);
/* Whether a known break goes out or comes back (planned or as it did) at
 * frame. Takes pk->lock. */
int live_break_edge(Packager *pk, int64_t frame);
int live_init(Packager *pk);
int live_start(Packager *pk);
int live_segment_closed(Packager *pk, Rendition *r, int64_t start_frame);
int live_part_closed(Packager *pk, Rendition *r);
void live_free(Packager *pk);

#endif
