/*
 * common/scte35.c: the splice_info_section of SCTE 35 2022, section 9,
 * written and read; its hex, base64 and XML forms. See scte35.h.
 */
#include "common/scte35.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <libavutil/base64.h>
#include <libavutil/bswap.h>
#include <libavutil/crc.h>
#include <libavutil/error.h>

#define TABLE_ID 0xFC
#define SAP_TYPE_UNSPECIFIED 3
#define CW_INDEX_UNUSED 0xFF            /* cw_index of an unencrypted section */
#define CUEI 0x43554549u                /* "CUEI", the identifier of SCTE 35's own descriptors */
#define HEADER_SIZE 14                  /* table_id .. splice_command_type */
#define CRC_SIZE 4
#define SECTION_LENGTH_MAX 4093         /* 12 bits, and a section is at most 4096 bytes */
#define COMMAND_LENGTH_UNKNOWN 0xFFF    /* legacy: splice_command_length not given */

enum {
    TAG_AVAIL = 0x00,
    TAG_SEGMENTATION = 0x02,
};

enum {
    COMMAND_SPLICE_SCHEDULE = 0x04,
    COMMAND_BANDWIDTH_RESERVATION = 0x07,
    COMMAND_PRIVATE = 0xFF,
};

void scte35_cue_init(Scte35Cue *c)
{
    memset(c, 0, sizeof(*c));
    c->command = SCTE35_SPLICE_NULL;
    c->tier = SCTE35_TIER_ALL;
    c->pts_time = -1;
    c->break_duration = -1;
    for (int i = 0; i < SCTE35_SEGMENTATIONS_MAX; i++) {
        c->segmentations[i].duration = -1;
        c->segmentations[i].device_restrictions = SCTE35_DEVICES_NONE;
    }
}

uint32_t scte35_crc32(const uint8_t *data, size_t size)
{
    /* libavutil keeps its big-endian CRC tables byte-swapped; what it
     * returns is the MPEG-2 CRC with its bytes swapped (libavformat's
     * mpegtsenc swaps it back the same way). av_crc reads ahead, even
     * of nothing. */
    if (!size)
        return UINT32_MAX;
    return av_bswap32(av_crc(av_crc_get_table(AV_CRC_32_IEEE), UINT32_MAX, data, size));
}

static int has_sub_segments(uint8_t type_id)
{
    switch (type_id) {
    case 0x34: case 0x36: case 0x38: case 0x3A: case 0x44: case 0x46:
        return 1;
    }
    return 0;
}

static int segmentation_equal(const Scte35Segmentation *a, const Scte35Segmentation *b)
{
    if (a->event_id != b->event_id || !a->cancel != !b->cancel)
        return 0;
    if (a->cancel)
        return 1;
    if (a->type_id != b->type_id || a->duration != b->duration || !a->restricted != !b->restricted ||
        a->upid_type != b->upid_type || a->upid_length != b->upid_length ||
        memcmp(a->upid, b->upid, a->upid_length) || a->segment_num != b->segment_num ||
        a->segments_expected != b->segments_expected ||
        !a->has_sub_segments != !b->has_sub_segments)
        return 0;
    if (a->restricted &&
        (!a->web_delivery_allowed != !b->web_delivery_allowed ||
         !a->no_regional_blackout != !b->no_regional_blackout ||
         !a->archive_allowed != !b->archive_allowed ||
         a->device_restrictions != b->device_restrictions))
        return 0;
    return !a->has_sub_segments || (a->sub_segment_num == b->sub_segment_num &&
                                    a->sub_segments_expected == b->sub_segments_expected);
}

int scte35_cue_equal(const Scte35Cue *a, const Scte35Cue *b)
{
    if (a->command != b->command || a->pts_adjustment != b->pts_adjustment || a->tier != b->tier ||
        a->nb_segmentations != b->nb_segmentations)
        return 0;
    if (a->command == SCTE35_TIME_SIGNAL && a->pts_time != b->pts_time)
        return 0;
    if (a->command == SCTE35_SPLICE_INSERT) {
        if (a->event_id != b->event_id || !a->cancel != !b->cancel)
            return 0;
        if (!a->cancel &&
            (!a->out_of_network != !b->out_of_network || !a->immediate != !b->immediate ||
             (!a->immediate && a->pts_time != b->pts_time) ||
             a->break_duration != b->break_duration ||
             (a->break_duration >= 0 && !a->auto_return != !b->auto_return) ||
             a->unique_program_id != b->unique_program_id || a->avail_num != b->avail_num ||
             a->avails_expected != b->avails_expected))
            return 0;
        if (!a->has_avail != !b->has_avail || (a->has_avail && a->provider_avail_id != b->provider_avail_id))
            return 0;
    }
    for (int i = 0; i < a->nb_segmentations && i < SCTE35_SEGMENTATIONS_MAX; i++)
        if (!segmentation_equal(&a->segmentations[i], &b->segmentations[i]))
            return 0;
    return 1;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct Writer {
    uint8_t *p;
    size_t size, pos;
    int overflow;
} Writer;

static void put_bytes(Writer *w, const void *data, size_t n)
{
    if (w->overflow || n > w->size - w->pos) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p + w->pos, data, n);
    w->pos += n;
}

/* The low n bytes of v, most significant first. */
static void put_be(Writer *w, uint64_t v, int n)
{
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put_bytes(w, b, (size_t)n);
}

static void put_u8(Writer *w, unsigned v) { put_be(w, v, 1); }

/* Patches a length written before its contents were: the bits of
 * keep_mask in its first byte are another field's, and stay. */
static void patch_u16(Writer *w, size_t at, unsigned v, uint8_t keep_mask)
{
    if (w->overflow)
        return;
    w->p[at] = (uint8_t)((w->p[at] & keep_mask) | (v >> 8));
    w->p[at + 1] = (uint8_t)v;
}

static int time_ok(int64_t t) { return t >= -1 && t <= SCTE35_TIME_MAX; }

/* splice_time(): time_specified_flag, 6 reserved bits, pts_time (33);
 * or the flag 0 and 7 reserved bits. */
static void put_splice_time(Writer *w, int64_t pts)
{
    if (pts < 0)
        put_u8(w, 0x7F);
    else
        put_be(w, (UINT64_C(0xFE) << 32) | (uint64_t)pts, 5);
}

static int check_cue(const Scte35Cue *c)
{
    if (c->command != SCTE35_SPLICE_NULL && c->command != SCTE35_SPLICE_INSERT &&
        c->command != SCTE35_TIME_SIGNAL)
        return AVERROR(EINVAL);
    if (c->pts_adjustment < 0 || c->pts_adjustment > SCTE35_TIME_MAX || c->tier > 0xFFF ||
        !time_ok(c->pts_time) || c->break_duration < -1 || c->break_duration > SCTE35_TIME_MAX)
        return AVERROR(EINVAL);
    if (c->nb_segmentations < 0 || c->nb_segmentations > SCTE35_SEGMENTATIONS_MAX)
        return AVERROR(EINVAL);
    for (int i = 0; i < c->nb_segmentations; i++) {
        const Scte35Segmentation *s = &c->segmentations[i];
        if (s->cancel)
            continue;
        if (s->duration < -1 || s->duration > SCTE35_DURATION_MAX || s->device_restrictions > 3 ||
            (s->has_sub_segments && !has_sub_segments(s->type_id)))
            return AVERROR(EINVAL);
        /* descriptor_length is 8 bits: identifier 4, id 4, flags 2,
         * duration 5, upid head 2 and the upid, type and numbers 3,
         * sub-segments 2 */
        if (15 + (s->duration >= 0 ? 5 : 0) + s->upid_length + (s->has_sub_segments ? 2 : 0) > 255)
            return AVERROR(EINVAL);
    }
    return 0;
}

static void put_splice_insert(Writer *w, const Scte35Cue *c)
{
    put_be(w, c->event_id, 4);
    if (c->cancel) {
        put_u8(w, 0xFF);    /* cancel, 7 reserved */
        return;
    }
    put_u8(w, 0x7F);        /* cancel 0, 7 reserved */
    /* out_of_network, program_splice 1, duration_flag, splice_immediate,
     * event_id_compliance_flag 1 and 3 reserved */
    put_u8(w, (c->out_of_network ? 0x80 : 0) | 0x40 | (c->break_duration >= 0 ? 0x20 : 0) |
              (c->immediate ? 0x10 : 0) | 0x0F);
    if (!c->immediate)
        put_splice_time(w, c->pts_time);
    if (c->break_duration >= 0)     /* auto_return, 6 reserved, duration (33) */
        put_be(w, ((uint64_t)(c->auto_return ? 0xFE : 0x7E) << 32) | (uint64_t)c->break_duration, 5);
    put_be(w, c->unique_program_id, 2);
    put_u8(w, c->avail_num);
    put_u8(w, c->avails_expected);
}

static void put_segmentation(Writer *w, const Scte35Segmentation *s)
{
    size_t len_at;

    put_u8(w, TAG_SEGMENTATION);
    len_at = w->pos;
    put_u8(w, 0);
    put_be(w, CUEI, 4);
    put_be(w, s->event_id, 4);
    if (s->cancel) {
        put_u8(w, 0xFF);    /* cancel, compliance indicator 1, 6 reserved */
    } else {
        put_u8(w, 0x7F);
        /* program_segmentation 1, duration_flag, delivery_not_restricted,
         * then the restrictions or 5 reserved bits */
        put_u8(w, 0x80 | (s->duration >= 0 ? 0x40 : 0) |
                  (s->restricted ? (s->web_delivery_allowed ? 0x10 : 0) |
                                   (s->no_regional_blackout ? 0x08 : 0) |
                                   (s->archive_allowed ? 0x04 : 0) | (s->device_restrictions & 3)
                                 : 0x3F));
        if (s->duration >= 0)
            put_be(w, (uint64_t)s->duration, 5);
        put_u8(w, s->upid_type);
        put_u8(w, s->upid_length);
        put_bytes(w, s->upid, s->upid_length);
        put_u8(w, s->type_id);
        put_u8(w, s->segment_num);
        put_u8(w, s->segments_expected);
        if (s->has_sub_segments) {
            put_u8(w, s->sub_segment_num);
            put_u8(w, s->sub_segments_expected);
        }
    }
    if (!w->overflow)
        w->p[len_at] = (uint8_t)(w->pos - len_at - 1);
}

int scte35_write(const Scte35Cue *c, uint8_t *out, size_t size)
{
    Writer w = { .p = out, .size = size };
    size_t cmd_at, loop_at;
    int ret;

    if ((ret = check_cue(c)) < 0)
        return ret;

    put_u8(&w, TABLE_ID);
    /* section_syntax_indicator 0, private_indicator 0, sap_type, section_length (later) */
    put_be(&w, SAP_TYPE_UNSPECIFIED << 12, 2);
    put_u8(&w, 0);                                  /* protocol_version */
    put_be(&w, (uint64_t)c->pts_adjustment, 5);     /* encrypted_packet 0, algorithm 0 */
    put_u8(&w, CW_INDEX_UNUSED);
    put_be(&w, (uint32_t)c->tier << 12, 3);         /* tier, splice_command_length (later) */
    put_u8(&w, c->command);

    cmd_at = w.pos;
    if (c->command == SCTE35_SPLICE_INSERT)
        put_splice_insert(&w, c);
    else if (c->command == SCTE35_TIME_SIGNAL)
        put_splice_time(&w, c->pts_time);
    patch_u16(&w, 11, (unsigned)(w.pos - cmd_at), 0xF0);

    loop_at = w.pos;
    put_be(&w, 0, 2);
    if (c->command == SCTE35_SPLICE_INSERT && c->has_avail) {
        put_u8(&w, TAG_AVAIL);
        put_u8(&w, 8);
        put_be(&w, CUEI, 4);
        put_be(&w, c->provider_avail_id, 4);
    }
    for (int i = 0; i < c->nb_segmentations; i++)
        put_segmentation(&w, &c->segmentations[i]);
    patch_u16(&w, loop_at, (unsigned)(w.pos - loop_at - 2), 0);

    if (w.overflow || w.pos + CRC_SIZE > size)
        return AVERROR(ERANGE);
    if (w.pos + CRC_SIZE - 3 > SECTION_LENGTH_MAX)
        return AVERROR(EINVAL);
    patch_u16(&w, 1, (unsigned)(w.pos + CRC_SIZE - 3), 0xF0);
    put_be(&w, scte35_crc32(out, w.pos), 4);
    return (int)w.pos;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct Reader {
    const uint8_t *p;
    size_t size, pos;
    int short_read;
} Reader;

static uint64_t get_be(Reader *r, int n)
{
    uint64_t v = 0;
    if (r->short_read || (size_t)n > r->size - r->pos) {
        r->short_read = 1;
        return 0;
    }
    for (int i = 0; i < n; i++)
        v = v << 8 | r->p[r->pos++];
    return v;
}

static unsigned get_u8(Reader *r) { return (unsigned)get_be(r, 1); }

static int64_t get_splice_time(Reader *r)
{
    unsigned b = get_u8(r);
    if (!(b & 0x80))
        return -1;
    return (int64_t)(((uint64_t)(b & 1) << 32) | get_be(r, 4));
}

static int parse_splice_insert(Reader *r, Scte35Cue *c)
{
    unsigned flags;

    c->event_id = (uint32_t)get_be(r, 4);
    c->cancel = !!(get_u8(r) & 0x80);
    if (c->cancel)
        return 0;
    flags = get_u8(r);
    c->out_of_network = !!(flags & 0x80);
    c->immediate = !!(flags & 0x10);
    if (!(flags & 0x40))
        return AVERROR(ENOSYS);     /* component splice mode */
    if (!c->immediate)
        c->pts_time = get_splice_time(r);
    if (flags & 0x20) {
        uint64_t d = get_be(r, 5);
        c->auto_return = !!(d >> 39 & 1);
        c->break_duration = (int64_t)(d & SCTE35_TIME_MAX);
    }
    c->unique_program_id = (uint16_t)get_be(r, 2);
    c->avail_num = (uint8_t)get_u8(r);
    c->avails_expected = (uint8_t)get_u8(r);
    return 0;
}

/* r covers the descriptor's contents after the identifier. */
static int parse_segmentation(Reader *r, Scte35Segmentation *s)
{
    unsigned flags;

    s->event_id = (uint32_t)get_be(r, 4);
    s->cancel = !!(get_u8(r) & 0x80);
    if (s->cancel)
        return r->short_read ? AVERROR_INVALIDDATA : 0;
    flags = get_u8(r);
    if (!(flags & 0x80))
        return AVERROR(ENOSYS);     /* component segmentation */
    s->restricted = !(flags & 0x20);
    if (s->restricted) {
        s->web_delivery_allowed = !!(flags & 0x10);
        s->no_regional_blackout = !!(flags & 0x08);
        s->archive_allowed = !!(flags & 0x04);
        s->device_restrictions = flags & 3;
    } else {
        s->device_restrictions = SCTE35_DEVICES_NONE;
    }
    if (flags & 0x40)
        s->duration = (int64_t)get_be(r, 5);
    s->upid_type = (uint8_t)get_u8(r);
    s->upid_length = (uint8_t)get_u8(r);
    if (r->short_read || s->upid_length > r->size - r->pos)
        return AVERROR_INVALIDDATA;
    memcpy(s->upid, r->p + r->pos, s->upid_length);
    r->pos += s->upid_length;
    s->type_id = (uint8_t)get_u8(r);
    s->segment_num = (uint8_t)get_u8(r);
    s->segments_expected = (uint8_t)get_u8(r);
    if (has_sub_segments(s->type_id) && r->size - r->pos >= 2 && !r->short_read) {
        s->has_sub_segments = 1;
        s->sub_segment_num = (uint8_t)get_u8(r);
        s->sub_segments_expected = (uint8_t)get_u8(r);
    }
    return r->short_read ? AVERROR_INVALIDDATA : 0;
}

static int parse_descriptors(const uint8_t *p, size_t size, Scte35Cue *c)
{
    size_t pos = 0;

    while (pos < size) {
        unsigned tag, len;
        Reader r;
        int ret;

        if (size - pos < 2)
            return AVERROR_INVALIDDATA;
        tag = p[pos];
        len = p[pos + 1];
        pos += 2;
        if (len > size - pos)
            return AVERROR_INVALIDDATA;
        r = (Reader){ .p = p + pos, .size = len };
        pos += len;
        /* a descriptor of another owner than SCTE 35, or of a kind not
         * read here, is skipped */
        if ((tag != TAG_AVAIL && tag != TAG_SEGMENTATION) || len < 4 || get_be(&r, 4) != CUEI)
            continue;
        if (tag == TAG_AVAIL) {
            if (c->command != SCTE35_SPLICE_INSERT)
                continue;
            c->provider_avail_id = (uint32_t)get_be(&r, 4);
            if (r.short_read)
                return AVERROR_INVALIDDATA;
            c->has_avail = 1;
            continue;
        }
        if (c->nb_segmentations == SCTE35_SEGMENTATIONS_MAX)
            return AVERROR_INVALIDDATA;
        if ((ret = parse_segmentation(&r, &c->segmentations[c->nb_segmentations])) < 0)
            return ret;
        c->nb_segmentations++;
    }
    return 0;
}

int scte35_parse(const uint8_t *data, size_t size, Scte35Cue *out)
{
    Scte35Cue c;
    size_t section_size, end, cmd_len, loop_len;
    Reader r;
    unsigned cmd;
    int ret;

    scte35_cue_init(&c);
    if (size < 3 || data[0] != TABLE_ID || (data[1] & 0x80))
        return AVERROR_INVALIDDATA;
    section_size = 3 + (size_t)((data[1] & 0x0F) << 8 | data[2]);
    if (section_size > size || section_size < HEADER_SIZE + 2 + CRC_SIZE)
        return AVERROR_INVALIDDATA;
    if (scte35_crc32(data, section_size))
        return AVERROR_INVALIDDATA;
    end = section_size - CRC_SIZE;

    if (data[3] != 0)
        return AVERROR(ENOSYS);     /* a protocol_version of the future */
    if (data[4] & 0x80)
        return AVERROR(ENOSYS);     /* encrypted */
    c.pts_adjustment = (int64_t)(((uint64_t)(data[4] & 1) << 32) |
                                 (uint64_t)data[5] << 24 | (uint32_t)data[6] << 16 |
                                 (uint32_t)data[7] << 8 | data[8]);
    c.tier = (uint16_t)(data[10] << 4 | data[11] >> 4);
    cmd_len = (size_t)((data[11] & 0x0F) << 8 | data[12]);
    cmd = data[13];
    if (cmd_len != COMMAND_LENGTH_UNKNOWN && cmd_len > end - HEADER_SIZE)
        return AVERROR_INVALIDDATA;

    r = (Reader){ .p = data + HEADER_SIZE,
                  .size = cmd_len == COMMAND_LENGTH_UNKNOWN ? end - HEADER_SIZE : cmd_len };
    switch (cmd) {
    case SCTE35_SPLICE_NULL:
        break;
    case SCTE35_SPLICE_INSERT:
        if ((ret = parse_splice_insert(&r, &c)) < 0)
            return ret;
        break;
    case SCTE35_TIME_SIGNAL:
        c.pts_time = get_splice_time(&r);
        break;
    case COMMAND_SPLICE_SCHEDULE:
    case COMMAND_BANDWIDTH_RESERVATION:
    case COMMAND_PRIVATE:
        return AVERROR(ENOSYS);
    default:
        return AVERROR_INVALIDDATA;
    }
    if (r.short_read)
        return AVERROR_INVALIDDATA;
    c.command = (enum Scte35Command)cmd;
    if (cmd_len == COMMAND_LENGTH_UNKNOWN)
        cmd_len = r.pos;

    /* descriptor_loop_length, the loop; what follows up to CRC_32 is
     * alignment_stuffing */
    r = (Reader){ .p = data + HEADER_SIZE + cmd_len, .size = end - HEADER_SIZE - cmd_len };
    loop_len = (size_t)get_be(&r, 2);
    if (r.short_read || loop_len > r.size - r.pos)
        return AVERROR_INVALIDDATA;
    if ((ret = parse_descriptors(r.p + r.pos, loop_len, &c)) < 0)
        return ret;
    *out = c;
    return (int)section_size;
}

/* ---- text forms --------------------------------------------------------- */

int scte35_hex(const uint8_t *section, size_t size, char *out, size_t out_size)
{
    static const char digits[] = "0123456789ABCDEF";

    if (out_size < 3 || (out_size - 3) / 2 < size)
        return AVERROR(ERANGE);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < size; i++) {
        out[2 + 2 * i] = digits[section[i] >> 4];
        out[3 + 2 * i] = digits[section[i] & 15];
    }
    out[2 + 2 * size] = 0;
    return (int)(2 + 2 * size);
}

int scte35_base64(const uint8_t *section, size_t size, char *out, size_t out_size)
{
    if (size > SCTE35_SECTION_MAX || out_size > INT_MAX || out_size < AV_BASE64_SIZE(size))
        return AVERROR(ERANGE);
    if (!av_base64_encode(out, (int)out_size, section, (int)size))
        return AVERROR(ERANGE);
    return (int)strlen(out);
}

static const char *xml_bool(int v) { return v ? "true" : "false"; }

static int xml_splice_time(Buf *b, int64_t pts)
{
    if (pts < 0)
        return buf_printf(b, "<scte35:SpliceTime/>");
    return buf_printf(b, "<scte35:SpliceTime ptsTime=\"%" PRId64 "\"/>", pts);
}

static int xml_segmentation(Buf *b, const Scte35Segmentation *s)
{
    int ret;

    ret = buf_printf(b, "<scte35:SegmentationDescriptor segmentationEventId=\"%" PRIu32 "\""
                     " segmentationEventCancelIndicator=\"%s\"", s->event_id, xml_bool(s->cancel));
    if (ret < 0 || s->cancel)
        return ret < 0 ? ret : buf_printf(b, "/>");
    if (s->duration >= 0 &&
        (ret = buf_printf(b, " segmentationDuration=\"%" PRId64 "\"", s->duration)) < 0)
        return ret;
    if ((ret = buf_printf(b, " segmentationTypeId=\"%u\" segmentNum=\"%u\" segmentsExpected=\"%u\"",
                          s->type_id, s->segment_num, s->segments_expected)) < 0)
        return ret;
    if (s->has_sub_segments &&
        (ret = buf_printf(b, " subSegmentNum=\"%u\" subSegmentsExpected=\"%u\"",
                          s->sub_segment_num, s->sub_segments_expected)) < 0)
        return ret;
    if ((ret = buf_printf(b, ">")) < 0)
        return ret;
    if (s->restricted &&
        (ret = buf_printf(b, "<scte35:DeliveryRestrictions webDeliveryAllowedFlag=\"%s\""
                          " noRegionalBlackoutFlag=\"%s\" archiveAllowedFlag=\"%s\""
                          " deviceRestrictions=\"%u\"/>",
                          xml_bool(s->web_delivery_allowed), xml_bool(s->no_regional_blackout),
                          xml_bool(s->archive_allowed), s->device_restrictions)) < 0)
        return ret;
    if (s->upid_type != SCTE35_UPID_NONE || s->upid_length) {
        if ((ret = buf_printf(b, "<scte35:SegmentationUpid segmentationUpidType=\"%u\""
                              " segmentationUpidFormat=\"hexbinary\">", s->upid_type)) < 0)
            return ret;
        for (int i = 0; i < s->upid_length; i++)
            if ((ret = buf_printf(b, "%02X", s->upid[i])) < 0)
                return ret;
        if ((ret = buf_printf(b, "</scte35:SegmentationUpid>")) < 0)
            return ret;
    }
    return buf_printf(b, "</scte35:SegmentationDescriptor>");
}

static int xml_cue(Buf *b, const Scte35Cue *c, unsigned flags)
{
    int ret = 0;

    if ((ret = buf_printf(b, "<scte35:SpliceInfoSection%s%s%s ptsAdjustment=\"%" PRId64 "\""
                          " protocolVersion=\"0\" sapType=\"%d\" tier=\"%u\">",
                          flags & SCTE35_XML_DECLARE_NAMESPACE ? " xmlns:scte35=\"" : "",
                          flags & SCTE35_XML_DECLARE_NAMESPACE ? SCTE35_XML_NAMESPACE : "",
                          flags & SCTE35_XML_DECLARE_NAMESPACE ? "\"" : "",
                          c->pts_adjustment, SAP_TYPE_UNSPECIFIED, c->tier)) < 0)
        return ret;
    switch (c->command) {
    case SCTE35_SPLICE_NULL:
        ret = buf_printf(b, "<scte35:SpliceNull/>");
        break;
    case SCTE35_TIME_SIGNAL:
        if ((ret = buf_printf(b, "<scte35:TimeSignal>")) < 0 ||
            (ret = xml_splice_time(b, c->pts_time)) < 0)
            return ret;
        ret = buf_printf(b, "</scte35:TimeSignal>");
        break;
    case SCTE35_SPLICE_INSERT:
        ret = buf_printf(b, "<scte35:SpliceInsert spliceEventId=\"%" PRIu32 "\""
                         " spliceEventCancelIndicator=\"%s\"", c->event_id, xml_bool(c->cancel));
        if (ret < 0)
            return ret;
        if (c->cancel) {
            ret = buf_printf(b, "/>");
            break;
        }
        if ((ret = buf_printf(b, " outOfNetworkIndicator=\"%s\" spliceImmediateFlag=\"%s\""
                              " uniqueProgramId=\"%u\" availNum=\"%u\" availsExpected=\"%u\">",
                              xml_bool(c->out_of_network), xml_bool(c->immediate),
                              c->unique_program_id, c->avail_num, c->avails_expected)) < 0)
            return ret;
        if (c->immediate)
            ret = buf_printf(b, "<scte35:Program/>");
        else if ((ret = buf_printf(b, "<scte35:Program>")) >= 0 &&
                 (ret = xml_splice_time(b, c->pts_time)) >= 0)
            ret = buf_printf(b, "</scte35:Program>");
        if (ret < 0)
            return ret;
        if (c->break_duration >= 0 &&
            (ret = buf_printf(b, "<scte35:BreakDuration autoReturn=\"%s\" duration=\"%" PRId64 "\"/>",
                              xml_bool(c->auto_return), c->break_duration)) < 0)
            return ret;
        ret = buf_printf(b, "</scte35:SpliceInsert>");
        break;
    }
    if (ret < 0)
        return ret;
    if (c->command == SCTE35_SPLICE_INSERT && c->has_avail &&
        (ret = buf_printf(b, "<scte35:AvailDescriptor providerAvailId=\"%" PRIu32 "\"/>",
                          c->provider_avail_id)) < 0)
        return ret;
    for (int i = 0; i < c->nb_segmentations; i++)
        if ((ret = xml_segmentation(b, &c->segmentations[i])) < 0)
            return ret;
    return buf_printf(b, "</scte35:SpliceInfoSection>");
}

int scte35_write_xml(Buf *out, const Scte35Cue *c, unsigned flags)
{
    size_t len = out->len;
    int ret;

    if ((ret = check_cue(c)) < 0)
        return ret;
    if ((ret = xml_cue(out, c, flags)) < 0) {
        buf_truncate(out, len);
        return ret;
    }
    return 0;
}
