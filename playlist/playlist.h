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
    int gap;                          /* EXT-X-GAP: its file could not be written (live) */
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

/* ---- ad breaks (issue 11) --------------------------------------------- */

/* An ad break as the playlists and the manifest see it. The packager fills
 * it; the cue itself (the splice_info_section, its XML form, its base64) is
 * prepared by the SCTE-35 code and passed here as text, written as given
 * once checked. Every value that may change while the break stays listed
 * only ever goes from unknown to known (a player merges the tags of one ID
 * across reloads and drops a range whose attributes disagree), so:
 * start_us, planned_duration_us and scte35_out never change; duration_us
 * and scte35_in are set once, at the return.
 *
 * Breaks start and end on segment boundaries (the packager cuts there); a
 * writer refuses one that starts or ends inside a listed segment. */
typedef struct PlaylistAdBreak {
    const char *id;                   /* DATERANGE ID, unique for the channel's life;
                                       * printable, no '"' */
    uint32_t event_id;                /* splice_event_id: the DASH Event@id */
    int64_t start_us;                 /* wall clock of its first frame: START-DATE */
    int64_t planned_duration_us;      /* PLANNED-DURATION (break_duration); 0: open-ended */
    int64_t duration_us;              /* set at the return: DURATION, the end of the CUE
                                       * tags; 0: still out */
    const char *scte35_out;           /* SCTE35-OUT: the out splice_info_section as a
                                       * hexadecimal-sequence, "0xFC..."; NULL: none */
    const char *scte35_in;            /* SCTE35-IN, the return's; NULL: none (not yet, or
                                       * an auto_return break) */
    /* DASH: */
    int64_t media_start;              /* media time of its first frame in the first video
                                       * Representation's timescale (as its segments'
                                       * start): Event@presentationTime, less that
                                       * Representation's presentation_time_offset */
    const char *dash_xml;             /* urn:scte:scte35:2013:xml: the element
                                       * "<scte35:SpliceInfoSection ...>...</scte35:SpliceInfoSection>"
                                       * (the MPD declares the scte35 prefix) */
    const char *dash_binary;          /* urn:scte:scte35:2014:xml+bin: the
                                       * splice_info_section in base64 */
} PlaylistAdBreak;

/* HLS Interstitials (Apple's HLS Interstitials, hls.js 1.6 and later): each
 * break is also an EXT-X-DATERANGE of CLASS "com.apple.hls.interstitial"
 * with ID "<id>-ad", so the player fetches ads for it and then resumes the
 * live primary at the break's end. */
typedef struct HlsInterstitials {
    const char *asset_list;           /* X-ASSET-LIST: a JSON asset list; or */
    const char *asset_uri;            /* X-ASSET-URI: one asset (exactly one of the two) */
    unsigned restrict_mask;           /* X-RESTRICT: INTERSTITIAL_RESTRICT_* (common/output.h) */
} HlsInterstitials;

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
    /* ad breaks that overlap the window (or are still out), in start order;
     * DATERANGEs after the programs', CUE tags on the segments */
    const PlaylistAdBreak *breaks;
    int nbreaks;
    unsigned ad_markers;              /* AD_MARKERS_DATERANGE, _CUE (common/output.h) */
    const HlsInterstitials *interstitials;   /* NULL: none */
    /* How far a segment may start from a break's edge and still be the one
     * it starts or ends on; 0: 1 ms (PROGRAM-DATE-TIME's milliseconds). An
     * audio rendition cut on its own frames, after the picture's cut, gives
     * the length of one of them. */
    int64_t break_slack_us;
} HlsMediaPlaylist;

/* Writers append to out; on failure out is left as it was.
 * EXTINF in milliseconds, TARGETDURATION the rounded maximum.
 *
 * An ad break is, with AD_MARKERS_DATERANGE,
 *   #EXT-X-DATERANGE:ID="<id>",START-DATE=...,PLANNED-DURATION=...,SCTE35-OUT=0x...
 * and, once it has returned, a second tag of the same ID (RFC 8216bis
 * 4.4.5.1.1: out and in as a pair of tags that agree where they overlap)
 *   #EXT-X-DATERANGE:ID="<id>",START-DATE=...,DURATION=...,SCTE35-IN=0x...
 * With AD_MARKERS_CUE: #EXT-X-CUE-OUT:DURATION=<s> before the break's first
 * segment, #EXT-X-CUE-OUT-CONT:ElapsedTime=<s>,Duration=<s> before each
 * later one in it, #EXT-X-CUE-IN before the first after it (Duration: the
 * break's length once returned, else its planned length; none when
 * open-ended). A segment's time is its pdt_us, or the one before it's end;
 * a playlist with breaks needs pdt_us on its first segment.
 * AVERROR(EINVAL) for a break that cannot be written: an id or a cue that is
 * not what the fields above say, or a start or end inside a segment. */
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
 * A skipped segment's own tags (EXT-X-CUE-*, PROGRAM-DATE-TIME) go with it:
 * the client has them from the playlist it merges this one into.
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
    /* ad breaks that overlap the window, in start order: one Event each in
     * the Period's EventStream, in the first video Representation's
     * timescale; urn:scte:scte35:2013:xml (dash_xml), or
     * urn:scte:scte35:2014:xml+bin (dash_binary) with AD_MARKERS_DASH_BIN */
    const PlaylistAdBreak *breaks;
    int nbreaks;
    unsigned ad_markers;
} DashManifest;

/* An MPD, static (VOD) or dynamic (live): SegmentTemplate with SegmentTimeline.
 * Each ad break is an Event with presentationTime, duration (its length
 * once returned, else the planned one; none when open-ended) and id (the
 * splice_event_id); the MPD declares xmlns:scte35 when it has breaks. */
int dash_write_mpd(Buf *out, const DashManifest *m);

/* ---- codec strings ---------------------------------------------------- */

/* RFC 6381 codec string from the stream itself: avc1.PPCCLL from the SPS in
 * the extradata, mp4a.40.N from the AAC profile. AVERROR(ENOSYS) for
 * another codec, AVERROR_INVALIDDATA when the extradata has no SPS, AVERROR(ERANGE) when out is too small. */
int playlist_codec_string(const AVCodecParameters *par, char *out, size_t size);

#endif
