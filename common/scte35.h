/*
 * common/scte35.h: SCTE-35 cues (ANSI/SCTE 35 2022, "Digital Program
 * Insertion Cueing Message"), the message that says where an ad break
 * starts and ends in every output format: the binary splice_info_section
 * written and read, and its text forms for HLS (hex), DASH (base64 and the
 * SCTE 35 XML schema).
 *
 * A cue is a plain struct (Scte35Cue). What is read and written:
 *   - splice_null, splice_insert (program splice mode, with or without
 *     splice_time and break_duration) and time_signal;
 *   - segmentation_descriptors ("CUEI"), program mode, with their UPID,
 *     delivery restrictions and sub-segments;
 *   - an avail_descriptor with splice_insert (provider_avail_id).
 * Other descriptors are skipped when read and never written. Refused when
 * read, as AVERROR(ENOSYS): splice_schedule, bandwidth_reservation,
 * private_command, encrypted sections, a protocol_version other than 0,
 * component mode (splice_insert or a segmentation_descriptor per
 * elementary stream).
 *
 * Time is in 90 kHz ticks, as the section carries it (33 bits); a
 * splice_time is the PTS of the splice point before pts_adjustment, the
 * sum taken modulo 2^33 by whoever splices.
 *
 * Everything here is pure (no I/O; only scte35_write_xml allocates, in the
 * caller's Buf) and thread safe. Errors are negative AVERROR-compatible
 * codes. Nothing logs: the caller says what was wrong where.
 */
#ifndef ONAIR_COMMON_SCTE35_H
#define ONAIR_COMMON_SCTE35_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* splice_command_type */
enum Scte35Command {
    SCTE35_SPLICE_NULL   = 0x00,
    SCTE35_SPLICE_INSERT = 0x05,
    SCTE35_TIME_SIGNAL   = 0x06,
};

/* segmentation_type_id (SCTE 35 2022 table 23): the ones onair writes or
 * reacts to. Any other value is read and written as it is. */
enum Scte35SegmentationType {
    SCTE35_SEG_PROGRAM_START                         = 0x10,
    SCTE35_SEG_PROGRAM_END                           = 0x11,
    SCTE35_SEG_BREAK_START                           = 0x22,
    SCTE35_SEG_BREAK_END                             = 0x23,
    SCTE35_SEG_PROVIDER_AD_START                     = 0x30,
    SCTE35_SEG_PROVIDER_AD_END                       = 0x31,
    SCTE35_SEG_DISTRIBUTOR_AD_START                  = 0x32,
    SCTE35_SEG_DISTRIBUTOR_AD_END                    = 0x33,
    SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_START  = 0x34,
    SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_END    = 0x35,
    SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_START = 0x36,
    SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_END = 0x37,
};

/* segmentation_upid_type values used with it (table 22). */
#define SCTE35_UPID_NONE 0x00
#define SCTE35_UPID_TI   0x08     /* Turner Identifier, 8 bytes */
#define SCTE35_UPID_ADI  0x09     /* CableLabs ADI, text */
#define SCTE35_UPID_URI  0x0F     /* RFC 3986 URI, text */

#define SCTE35_TIME_MAX      ((INT64_C(1) << 33) - 1)  /* a 33-bit 90 kHz field */
#define SCTE35_DURATION_MAX  ((INT64_C(1) << 40) - 1)  /* segmentation_duration: 40 bits */
#define SCTE35_TIER_ALL      0xFFF                      /* tier: every tier */
#define SCTE35_UPID_MAX      255
#define SCTE35_SEGMENTATIONS_MAX 8
/* The longest a section can be (3 bytes and a 12-bit section_length): a
 * buffer of this size holds whatever scte35_write makes. */
#define SCTE35_SECTION_MAX   4096

/* device_restrictions (2 bits) */
enum Scte35DeviceRestrictions {
    SCTE35_DEVICES_GROUP0 = 0,
    SCTE35_DEVICES_GROUP1 = 1,
    SCTE35_DEVICES_GROUP2 = 2,
    SCTE35_DEVICES_NONE   = 3,   /* no restriction */
};

/* One segmentation_descriptor. */
typedef struct Scte35Segmentation {
    uint32_t event_id;              /* segmentation_event_id */
    int cancel;                     /* segmentation_event_cancel_indicator: nothing below */
    uint8_t type_id;                /* segmentation_type_id: enum Scte35SegmentationType */
    int64_t duration;               /* segmentation_duration, 90 kHz; -1: none */
    /* Delivery restrictions: restricted = 0 means delivery_not_restricted_flag
     * (the four below are then not sent, and read as 0). */
    int restricted;
    int web_delivery_allowed;
    int no_regional_blackout;
    int archive_allowed;
    uint8_t device_restrictions;    /* enum Scte35DeviceRestrictions */
    uint8_t upid_type;              /* SCTE35_UPID_* */
    uint8_t upid_length;            /* bytes of upid */
    uint8_t upid[SCTE35_UPID_MAX];
    uint8_t segment_num, segments_expected;
    /* sub_segment_num / sub_segments_expected: only for the starts of
     * placement opportunities and ad blocks (0x34, 0x36, 0x38, 0x3A, 0x44,
     * 0x46), and optional there (senders before SCTE 35 2016 leave them
     * out): read when the descriptor has them, written when set. */
    int has_sub_segments;
    uint8_t sub_segment_num, sub_segments_expected;
} Scte35Segmentation;

typedef struct Scte35Cue {
    enum Scte35Command command;
    int64_t pts_adjustment;         /* 33 bits, 90 kHz, added to every splice time */
    uint16_t tier;                  /* 12 bits; SCTE35_TIER_ALL */

    /* splice_insert (also pts_time for time_signal) */
    uint32_t event_id;              /* splice_event_id */
    int cancel;                     /* splice_event_cancel_indicator: only event_id counts */
    int out_of_network;             /* 1: a break starts (cue out); 0: it ends (cue in) */
    int immediate;                  /* splice_immediate_flag: no pts_time */
    /* splice_time: splice_insert's when not immediate, time_signal's; -1:
     * time_specified_flag 0 (time_signal: "now"). */
    int64_t pts_time;
    int64_t break_duration;         /* 90 kHz; -1: none (duration_flag 0) */
    int auto_return;                /* break_duration's auto_return */
    uint16_t unique_program_id;
    uint8_t avail_num, avails_expected;
    /* avail_descriptor (splice_insert): provider_avail_id, when has_avail. */
    int has_avail;
    uint32_t provider_avail_id;

    int nb_segmentations;
    Scte35Segmentation segmentations[SCTE35_SEGMENTATIONS_MAX];
} Scte35Cue;

/* A cue with every field at its "none" value: splice_null, pts_time,
 * break_duration and each duration -1, tier SCTE35_TIER_ALL. Callers fill
 * in what they need from there. */
void scte35_cue_init(Scte35Cue *c);

/* 1 when a and b say the same: the fields their command and flags give a
 * meaning (what scte35_write writes), not the others nor any padding.
 * Senders repeat a cue until its splice time; this tells a repeat. */
int scte35_cue_equal(const Scte35Cue *a, const Scte35Cue *b);

/* The whole splice_info_section of c (table_id 0xFC to CRC_32) into
 * out[0..size). Returns its length in bytes, or AVERROR(ERANGE) when size
 * is too small (SCTE35_SECTION_MAX always does), AVERROR(EINVAL) when a
 * value does not fit its field (a time past 33 bits, a duration past its
 * bits, tier past 12 bits, device_restrictions past 2, an unknown command,
 * more than SCTE35_SEGMENTATIONS_MAX descriptors, a UPID longer than
 * its descriptor holds, sub-segments on a type that has none). */
int scte35_write(const Scte35Cue *c, uint8_t *out, size_t size);

/* Reads one splice_info_section from data[0..size) (from table_id: what
 * libavformat's mpegts demuxer gives as an AV_CODEC_ID_SCTE_35 packet)
 * into *out. Bytes after the section (TS stuffing) are ignored. The CRC
 * and every length are checked. Returns the section's length, or
 * AVERROR_INVALIDDATA (not a section, cut short, bad CRC or lengths,
 * more than SCTE35_SEGMENTATIONS_MAX segmentation descriptors),
 * AVERROR(ENOSYS) for what is not read (see above). Never reads outside
 * data[0..size). *out is only meaningful on success. */
int scte35_parse(const uint8_t *data, size_t size, Scte35Cue *out);

/* The MPEG-2 CRC_32 (ISO/IEC 13818-1 annex A: poly 0x04C11DB7, initial
 * 0xFFFFFFFF, not reflected, no final xor) of data[0..size). A section is
 * whole when the CRC of all of it, CRC_32 included, is 0. */
uint32_t scte35_crc32(const uint8_t *data, size_t size);

/* Text of a section as HLS's EXT-X-DATERANGE SCTE35-OUT/-IN/-CMD take it:
 * "0x" and two uppercase hex digits a byte, NUL-terminated. out needs
 * 2 * size + 3 bytes: AVERROR(ERANGE) otherwise. Returns the text length. */
int scte35_hex(const uint8_t *section, size_t size, char *out, size_t out_size);

/* Base64 of a section (RFC 4648, with padding), as DASH's
 * urn:scte:scte35:2014:xml+bin <scte35:Binary> and the EXT-X-CUE-OUT
 * family of HLS tags take it, NUL-terminated. out needs
 * 4 * ((size + 2) / 3) + 1 bytes: AVERROR(ERANGE) otherwise. Returns the
 * text length. */
int scte35_base64(const uint8_t *section, size_t size, char *out, size_t out_size);

/* The cue as the SCTE 35 XML schema writes it (namespace
 * SCTE35_XML_NAMESPACE, prefix "scte35", for DASH's EventStream of
 * schemeIdUri SCTE35_DASH_SCHEME_XML): one <scte35:SpliceInfoSection>
 * element appended to out, on one line, with the namespace declared on it
 * when flags has SCTE35_XML_DECLARE_NAMESPACE (otherwise the document
 * declares xmlns:scte35). 0, AVERROR(ENOMEM) (out then holds what it held),
 * or AVERROR(EINVAL) for a cue scte35_write would refuse. */
#define SCTE35_XML_NAMESPACE "http://www.scte.org/schemas/35/2016"
#define SCTE35_DASH_SCHEME_XML "urn:scte:scte35:2013:xml"
#define SCTE35_DASH_SCHEME_XML_BIN "urn:scte:scte35:2014:xml+bin"
/* The scheme of an emsg box that carries a section (an fMP4 segment's
 * in-band cue), and of a DASH InbandEventStream announcing them. */
#define SCTE35_EMSG_SCHEME "urn:scte:scte35:2013:bin"
#define SCTE35_XML_DECLARE_NAMESPACE 1u
int scte35_write_xml(Buf *out, const Scte35Cue *c, unsigned flags);

#endif
