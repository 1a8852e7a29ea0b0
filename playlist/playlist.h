/*
 * playlist: the HLS playlists and the DASH manifest onair writes, and what
 * the server reads back from a live media playlist. Pure functions of plain
 * structs: no I/O, no state, thread safe; the packager fills the structs
 * from what it cut, the server (sink/) reads playlists it finds on disk.
 *
 * A library below the stages, like common/ and conf/: packager/ and sink/
 * both include it, and it includes only common/.
 *
 * onair writes its own playlists and manifests rather than using
 * libavformat's hls and dash muxers, which cannot cut exact aligned parts,
 * write a DATERANGE per program or hold a playlist back until its segments
 * are pushed (docs/architecture.md).
 *
 * Writers append to a Buf and, on failure, cut it back to the length it
 * had, so a caller never publishes half a playlist. Errors are negative
 * AVERROR codes: AVERROR(EINVAL) for a struct that cannot be written as
 * asked (a missing field, a line break in a name), AVERROR(ENOMEM).
 */
#ifndef ONAIR_PLAYLIST_H
#define ONAIR_PLAYLIST_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/codec_par.h>
#include <libavutil/rational.h>

#include "common/common.h"

/* ---- segments and parts ------------------------------------------------ */

typedef struct PlaylistSegment {
    int64_t number;                   /* in the name: seg_<number> */
    int64_t start;                    /* presentation start, timescale units */
    int64_t duration;                 /* timescale units */
    int64_t bytes;
    int discontinuity;                /* EXT-X-DISCONTINUITY before it */
    int64_t pdt_us;                   /* wall clock its first frame aired (us since the
                                       * epoch): EXT-X-PROGRAM-DATE-TIME; 0: none */
} PlaylistSegment;

/* An LL-HLS partial segment. */
typedef struct PlaylistPart {
    int64_t number;                   /* the segment it belongs to */
    int index;                        /* its place in that segment, from 0 */
    int64_t duration;                 /* timescale units */
    int independent;                  /* starts with an IDR */
} PlaylistPart;

/* ---- HLS media playlists (RFC 8216, draft-pantos-hls-rfc8216bis) ------ */

/* What a low-latency playlist says besides its segments. */
typedef struct HlsLowLatency {
    int64_t part_target_us;           /* EXT-X-PART-INF:PART-TARGET, the longest part */
    int64_t part_hold_back_us;        /* EXT-X-SERVER-CONTROL:PART-HOLD-BACK (>= 3 parts) */
    int64_t can_skip_until_us;        /* CAN-SKIP-UNTIL; 0: no delta updates */
    const PlaylistPart *parts;        /* of the last segments and the one in progress, in order */
    int nparts;
    int64_t hint_number;              /* EXT-X-PRELOAD-HINT for part hint_index of segment */
    int hint_index;                   /* hint_number; -1: none */
    const char *const *report_uris;   /* EXT-X-RENDITION-REPORT for the other renditions */
    const int64_t *report_msn;
    const int *report_part;
    int nreports;
} HlsLowLatency;

/* A program on air: EXT-X-DATERANGE (CLASS "com.onair.program"). */
typedef struct HlsDateRange {
    const char *id;                   /* unique for the channel's life */
    const char *title;                /* X-TITLE */
    int64_t start_us;                 /* START-DATE, wall clock */
    int64_t planned_duration_us;      /* PLANNED-DURATION; 0: none */
    int64_t duration_us;              /* DURATION once it has ended; 0: still on air */
} HlsDateRange;

typedef struct HlsMediaPlaylist {
    int64_t timescale;
    const PlaylistSegment *segments;
    int nsegments;
    const char *extension;            /* "ts" or "m4s" */
    const char *map_uri;              /* EXT-X-MAP (fMP4), NULL for TS */
    int64_t media_sequence;
    int64_t discontinuity_sequence;   /* EXT-X-DISCONTINUITY-SEQUENCE, written when > 0 */
    const HlsDateRange *dateranges;   /* written after the header, before the segments */
    int ndateranges;
    int vod;                          /* PLAYLIST-TYPE:VOD and ENDLIST */
    const HlsLowLatency *ll;          /* LL-HLS (RFC 8216bis); NULL: none */
} HlsMediaPlaylist;

/* Writers append to out; on failure out is left as it was.
 * EXTINF in milliseconds, TARGETDURATION the rounded maximum. */
int hls_write_media_playlist(Buf *out, const HlsMediaPlaylist *pl);

/* ---- a live media playlist read back (the server, sink/) -------------- */

/* Where a live media playlist stands, read back from its text: what the
 * server answers a blocking reload (_HLS_msn, _HLS_part) from. */
typedef struct HlsEdge {
    int64_t last_msn;                 /* the last whole segment; -1: none */
    int last_part;                    /* the last part listed of segment last_msn + 1; -1: none */
    int64_t target_us;                /* EXT-X-TARGETDURATION */
    int64_t part_target_us;           /* EXT-X-PART-INF; 0: no parts */
    int64_t skip_until_us;            /* CAN-SKIP-UNTIL; 0: no delta updates */
    int can_block;                    /* CAN-BLOCK-RELOAD=YES */
    int ended;                        /* EXT-X-ENDLIST: nothing more will come */
} HlsEdge;

/* AVERROR_INVALIDDATA when text is not a media playlist. */
int hls_read_edge(const char *text, size_t len, HlsEdge *e);

/* Whether the playlist holds segment msn whole (part < 0), or part `part`
 * of it (or the whole segment, or anything later). */
int hls_edge_has(const HlsEdge *e, int64_t msn, int part);

/* The delta update of a media playlist (RFC 8216bis 6.2.5.1, _HLS_skip=YES):
 * the segments older than CAN-SKIP-UNTIL from its end become one
 * EXT-X-SKIP; everything else (header, EXT-X-DATERANGE, the parts) stays.
 * A playlist without CAN-SKIP-UNTIL, or too short to skip anything, is
 * copied whole (a client takes a full playlist for an answer too).
 * Appends to out; returns the segments skipped, or an AVERROR. */
int hls_write_delta(Buf *out, const char *text, size_t len);

/* ---- the HLS multivariant playlist (master.m3u8) ---------------------- */

typedef struct HlsVariant {
    const char *uri;                  /* "720p/index.m3u8" */
    int64_t bandwidth;                /* measured peak, bits/s */
    int64_t average_bandwidth;
    int width, height;
    AVRational fps;
    const char *codecs;               /* "avc1.64001f,mp4a.40.2" */
    const char *audio_group;          /* EXT-X-MEDIA group, NULL when audio is muxed in */
} HlsVariant;

typedef struct HlsAudioRendition {
    const char *group;                /* "aac" */
    const char *name;                 /* "audio" */
    const char *uri;                  /* "audio/index.m3u8" */
    const char *language;             /* NULL for none */
    int channels;
} HlsAudioRendition;

typedef struct HlsMaster {
    const HlsVariant *variants;
    int nvariants;
    const HlsAudioRendition *audio;   /* NULL when none */
    int version;
} HlsMaster;

int hls_write_master_playlist(Buf *out, const HlsMaster *m);

/* ---- the DASH manifest (manifest.mpd) ---------------------------------- */

typedef struct DashRepresentation {
    const char *id;                   /* also its folder: $RepresentationID$ */
    int64_t bandwidth;
    const char *codecs;
    int width, height;                /* video */
    AVRational fps;                   /* video */
    int sample_rate, channels;        /* audio */
    int64_t timescale;
    int64_t presentation_time_offset; /* media time of presentation time 0, timescale units */
    const PlaylistSegment *segments;
    int nsegments;
    /* low-latency live: the segment being cut, listed after them with its
     * planned duration (timescale units) so a player asks for it while it
     * grows; 0: not listed */
    int64_t open_duration;
} DashRepresentation;

typedef struct DashManifest {
    int64_t duration_us;              /* mediaPresentationDuration (static only) */
    int64_t max_segment_us;           /* maxSegmentDuration, minBufferTime */
    const DashRepresentation *video;
    int nvideo;
    const DashRepresentation *audio;  /* NULL when none */
    /* live (type="dynamic"): */
    int dynamic;
    int64_t availability_start_us;    /* wall clock of presentation time 0 */
    int64_t publish_us;               /* publishTime */
    int64_t min_update_us;            /* minimumUpdatePeriod */
    int64_t time_shift_us;            /* timeShiftBufferDepth */
    int64_t presentation_delay_us;    /* suggestedPresentationDelay; 0: none */
    const char *utc_timing_url;       /* UTCTiming http-iso; NULL: direct, from publish_us */
    /* low-latency (chunked CMAF): how long before its end a segment can be
     * fetched (availabilityTimeOffset, availabilityTimeComplete="false"),
     * and the latency a player should aim at (ServiceDescription); 0: none */
    int64_t availability_offset_us;
    int64_t target_latency_us;
} DashManifest;

/* An MPD, static (VOD) or dynamic (live): SegmentTemplate with SegmentTimeline. */
int dash_write_mpd(Buf *out, const DashManifest *m);

/* ---- codec strings ---------------------------------------------------- */

/* RFC 6381 codec string from the stream itself: avc1.PPCCLL from the SPS in
 * the extradata, mp4a.40.N from the AAC profile. AVERROR(ENOSYS) for
 * another codec, AVERROR_INVALIDDATA when the extradata has no SPS, AVERROR(ERANGE) when out is too small. */
int playlist_codec_string(const AVCodecParameters *par, char *out, size_t size);

#endif
