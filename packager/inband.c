/* In-band SCTE-35: the cue written into a segment's own bytes, after
 * libavformat muxed them. FFmpeg 5.1's mpegts muxer carries a data stream
 * only as PES (stream_type 0x06), never as sections, and its mp4 muxer
 * writes no emsg, so both are added here at the byte level (ISO/IEC
 * 13818-1 2.4.4, SCTE 35 8.1, ISO/IEC 23009-1 5.10.3.3). The section itself
 * is opaque: whoever built it (CRC included) owns its contents. */
#include "internal.h"

#include <string.h>

#include <libavutil/crc.h>
#include <libavutil/intreadwrite.h>

#define TS_PACKET 188
#define TS_PAYLOAD 184
#define PMT_TABLE_ID 0x02
#define SCTE35_TABLE_ID 0xFC
#define SCTE35_STREAM_TYPE 0x86
#define REGISTRATION_DESCRIPTOR 0x05
#define CUE_IDENTIFIER_DESCRIPTOR 0x8A
#define CUE_STREAM_ALL_COMMANDS 0x01

static uint32_t mpeg2_crc(const uint8_t *data, size_t len)
{
    /* libavutil's big-endian table gives the CRC byte-swapped */
    return av_bswap32(av_crc(av_crc_get_table(AV_CRC_32_IEEE), 0xFFFFFFFF, data, len));
}

static int ts_pid(const uint8_t *p)
{
    return ((p[1] & 0x1F) << 8) | p[2];
}

/* Offset of the payload in packet p, or -1 when it has none. */
static int ts_payload(const uint8_t *p)
{
    int afc = (p[3] >> 4) & 3;
    int off = 4;

    if (!(afc & 1))
        return -1;
    if (afc & 2)
        off += 1 + p[4];
    return off < TS_PACKET ? off : -1;
}

static int ts_has_pcr(const uint8_t *p)
{
    return (p[3] & 0x20) && p[4] >= 7 && (p[5] & 0x10);
}

/* The section that starts in packet p (pointer_field 0, all of it in this
 * packet, nothing but stuffing after it): its offset and length. */
static int ts_section(const uint8_t *p, int table_id, int *off, int *len)
{
    int pl = ts_payload(p);
    int n;

    if (!(p[1] & 0x40) || pl < 0 || pl + 4 > TS_PACKET || p[pl] != 0)
        return AVERROR_INVALIDDATA;
    pl++;
    if (p[pl] != table_id)
        return AVERROR_INVALIDDATA;
    n = 3 + (((p[pl + 1] & 0x0F) << 8) | p[pl + 2]);
    if (n < 16 || pl + n > TS_PACKET)    /* a PMT, or a PAT with a program, is longer than 15 */
        return AVERROR_INVALIDDATA;
    for (int i = pl + n; i < TS_PACKET; i++)
        if (p[i] != 0xFF)
            return AVERROR_INVALIDDATA;
    if (mpeg2_crc(p + pl, (size_t)n - 4) != AV_RB32(p + pl + n - 4))
        return AVERROR_INVALIDDATA;
    *off = pl;
    *len = n;
    return 0;
}

static int ts_check(const uint8_t *seg, size_t len)
{
    if (!seg || !len || len % TS_PACKET)
        return AVERROR_INVALIDDATA;
    for (size_t i = 0; i < len; i += TS_PACKET)
        if (seg[i] != 0x47)
            return AVERROR_INVALIDDATA;
    return 0;
}

/* The PMT PID of the first program of the segment's first PAT, and the
 * offset of the packet after that PAT. */
static int ts_pmt_pid(const uint8_t *seg, size_t len, size_t *after)
{
    for (size_t i = 0; i < len; i += TS_PACKET) {
        const uint8_t *p = seg + i;
        int off, n, ret;

        if (ts_pid(p) != 0 || !(p[1] & 0x40))
            continue;
        if ((ret = ts_section(p, 0x00, &off, &n)) < 0)
            return ret;
        for (int k = off + 8; k + 4 <= off + n - 4; k += 4)
            if (AV_RB16(p + k)) {   /* program 0 is the network PID */
                *after = i + TS_PACKET;
                return AV_RB16(p + k + 2) & 0x1FFF;
            }
        return AVERROR_INVALIDDATA;
    }
    return AVERROR_INVALIDDATA;
}

typedef struct PmtScan {
    int off, len;        /* the section in its packet */
    int pil;             /* program_info_length */
    int has_cuei;        /* a CUEI registration descriptor in the program_info loop */
    int es_type;         /* stream_type listed for the cue's PID; -1: not listed */
} PmtScan;

static int pmt_scan(const uint8_t *p, int pid, PmtScan *s)
{
    const uint8_t *sec;
    int ret, end, k;

    if ((ret = ts_section(p, PMT_TABLE_ID, &s->off, &s->len)) < 0)
        return ret;
    sec = p + s->off;
    end = s->len - 4;
    s->pil = AV_RB16(sec + 10) & 0x0FFF;
    s->has_cuei = 0;
    s->es_type = -1;
    if (12 + s->pil > end)
        return AVERROR_INVALIDDATA;
    for (k = 12; k + 2 <= 12 + s->pil; k += 2 + sec[k + 1]) {
        if (k + 2 + sec[k + 1] > 12 + s->pil)
            return AVERROR_INVALIDDATA;
        if (sec[k] == REGISTRATION_DESCRIPTOR && sec[k + 1] >= 4 && AV_RB32(sec + k + 2) == MKBETAG('C', 'U', 'E', 'I'))
            s->has_cuei = 1;
    }
    for (k = 12 + s->pil; k + 5 <= end; k += 5 + (AV_RB16(sec + k + 3) & 0x0FFF)) {
        if ((AV_RB16(sec + k + 1) & 0x1FFF) == pid)
            s->es_type = sec[k];
    }
    if (k != end)
        return AVERROR_INVALIDDATA;
    /* the cue's PID must be free: not the PCR's, nor any other stream's */
    if ((s->es_type >= 0 && s->es_type != SCTE35_STREAM_TYPE) || (AV_RB16(sec + 8) & 0x1FFF) == pid)
        return AVERROR(EINVAL);
    return 0;
}

/* Rewrites one PMT packet in place: the registration descriptor at the end
 * of the program_info loop, the cue's stream at the end of the ES loop. */
static int pmt_declare(uint8_t *p, int pid)
{
    static const uint8_t reg[6] = { REGISTRATION_DESCRIPTOR, 4, 'C', 'U', 'E', 'I' };
    uint8_t es[8] = { SCTE35_STREAM_TYPE, 0xE0 | (pid >> 8), pid & 0xFF, 0xF0, 3,
                      CUE_IDENTIFIER_DESCRIPTOR, 1, CUE_STREAM_ALL_COMMANDS };
    uint8_t sec[TS_PACKET];
    PmtScan s;
    int ret, n, pinfo_end;

    if ((ret = pmt_scan(p, pid, &s)) < 0)
        return ret;
    if (s.has_cuei && s.es_type == SCTE35_STREAM_TYPE)
        return 0;   /* declared already */
    pinfo_end = s.off + 12 + s.pil;
    n = 0;
    memcpy(sec, p + s.off, 12 + (size_t)s.pil);
    n = 12 + s.pil;
    if (!s.has_cuei) {
        memcpy(sec + n, reg, sizeof(reg));
        n += (int)sizeof(reg);
        AV_WB16(sec + 10, (AV_RB16(sec + 10) & 0xF000) | (s.pil + (int)sizeof(reg)));
    }
    memcpy(sec + n, p + pinfo_end, (size_t)(s.off + s.len - 4 - pinfo_end));
    n += s.off + s.len - 4 - pinfo_end;
    if (s.es_type < 0) {
        memcpy(sec + n, es, sizeof(es));
        n += (int)sizeof(es);
    }
    if (s.off + n + 4 > TS_PACKET)
        return AVERROR_INVALIDDATA;   /* no room in the packet */
    /* section_syntax_indicator and the reserved bits stay; version_number too */
    AV_WB16(sec + 1, (AV_RB16(sec + 1) & 0xF000) | (n + 4 - 3));
    AV_WB32(sec + n, mpeg2_crc(sec, (size_t)n));
    n += 4;
    memcpy(p + s.off, sec, (size_t)n);
    memset(p + s.off + n, 0xFF, (size_t)(TS_PACKET - s.off - n));
    return 0;
}

/* Makes n bytes of room at offset at of b (their contents undefined). */
static int buf_open_gap(Buf *b, size_t at, size_t n)
{
    static const uint8_t zero[256];
    size_t old = b->len;
    int ret;

    for (size_t left = n; left;) {
        size_t k = FFMIN(left, sizeof(zero));
        if ((ret = buf_append(b, zero, k)) < 0) {
            buf_truncate(b, old);
            return ret;
        }
        left -= k;
    }
    memmove(b->data + at + n, b->data + at, old - at);
    return 0;
}

static int valid_pid(int pid)
{
    return pid >= 0x10 && pid <= 0x1FFE;
}

int ts_declare_scte35(uint8_t *seg, size_t len, int pid)
{
    size_t after;
    int pmt, ret, n = 0;

    if (!valid_pid(pid))
        return AVERROR(EINVAL);
    if ((ret = ts_check(seg, len)) < 0 || (pmt = ret = ts_pmt_pid(seg, len, &after)) < 0)
        return ret;
    if (pmt == pid)
        return AVERROR(EINVAL);
    /* check every PMT first, so a refusal leaves the segment as it was */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < len; i += TS_PACKET) {
            uint8_t *p = seg + i;
            PmtScan s;

            if (ts_pid(p) != pmt || !(p[1] & 0x40))
                continue;
            if (!pass) {
                if ((ret = pmt_scan(p, pid, &s)) < 0)
                    return ret;
                if (s.off + s.len + (s.has_cuei ? 0 : 6) + (s.es_type >= 0 ? 0 : 8) > TS_PACKET)
                    return AVERROR_INVALIDDATA;
                n++;
            } else if ((ret = pmt_declare(p, pid)) < 0) {
                return ret;
            }
        }
        if (!n)
            return AVERROR_INVALIDDATA;
    }
    return n;
}

int ts_add_scte35(Buf *seg, const uint8_t *section, size_t size, int pid, int *cc)
{
    size_t after_pat, at = 0, npk, ins;
    uint8_t *p;
    int pmt, ret, declared = 0;

    if (!seg || !section || !cc || !valid_pid(pid) || size < 3 || size > 4096 ||
        section[0] != SCTE35_TABLE_ID || 3 + (AV_RB16(section + 1) & 0x0FFF) != (int)size)
        return AVERROR(EINVAL);
    if ((ret = ts_check(seg->data, seg->len)) < 0 ||
        (pmt = ret = ts_pmt_pid(seg->data, seg->len, &after_pat)) < 0)
        return ret;
    /* after the first PMT, which must declare the PID (ffprobe and other
     * demuxers drop the packets of a PID they were not told of), and after
     * the first PCR that follows it: a demuxer stamps a section with the
     * last PCR: with this one, the cue's time is the segment's (at most the
     * muxer's max_delay before its first frame) rather than none */
    for (size_t i = after_pat; i < seg->len; i += TS_PACKET) {
        const uint8_t *q = seg->data + i;
        if (!declared && ts_pid(q) == pmt && (q[1] & 0x40)) {
            PmtScan s;
            if ((ret = pmt_scan(q, pid, &s)) < 0)
                return ret;
            if (!s.has_cuei || s.es_type != SCTE35_STREAM_TYPE)
                return AVERROR(EINVAL);   /* ts_declare_scte35 first */
            declared = 1;
            at = i + TS_PACKET;
        } else if (declared && ts_has_pcr(q)) {
            at = i + TS_PACKET;
            break;
        }
    }
    if (!declared)
        return AVERROR_INVALIDDATA;

    npk = (size + 1 + TS_PAYLOAD - 1) / TS_PAYLOAD;   /* pointer_field, then the section */
    ins = npk * TS_PACKET;
    if ((ret = buf_open_gap(seg, at, ins)) < 0)
        return ret;
    p = seg->data + at;
    for (size_t k = 0, done = 0; k < npk; k++, p += TS_PACKET) {
        size_t room = TS_PAYLOAD, n;
        uint8_t *w = p + 4;

        p[0] = 0x47;
        p[1] = (k == 0 ? 0x40 : 0x00) | (pid >> 8);
        p[2] = pid & 0xFF;
        p[3] = 0x10 | (*cc & 0x0F);   /* payload only */
        *cc = (*cc + 1) & 0x0F;
        if (k == 0) {
            *w++ = 0;   /* pointer_field */
            room--;
        }
        n = FFMIN(room, size - done);
        memcpy(w, section + done, n);
        memset(w + n, 0xFF, room - n);
        done += n;
    }
    return 0;
}

/* ---- fMP4 ---- */

int fmp4_add_emsg(Buf *seg, const uint8_t *message, size_t size, uint32_t timescale,
                  uint64_t presentation_time, uint32_t duration, uint32_t id, const char *scheme,
                  const char *value)
{
    size_t at = SIZE_MAX, pos = 0, ls, lv, box;
    uint8_t *w;
    int ret;

    if (!seg || (!message && size) || !timescale || !scheme)
        return AVERROR(EINVAL);
    if (!value)
        value = "";
    ls = strlen(scheme) + 1;
    lv = strlen(value) + 1;
    box = 8 + 4 + 4 + 8 + 4 + 4 + ls + lv;
    if (size > UINT32_MAX - box)
        return AVERROR(EINVAL);
    box += size;

    /* the top-level boxes up to the first moof */
    while (pos + 8 <= seg->len) {
        const uint8_t *b = seg->data + pos;
        uint64_t n = AV_RB32(b);

        if (n == 1) {
            if (pos + 16 > seg->len)
                return AVERROR_INVALIDDATA;
            n = AV_RB64(b + 8);
        } else if (n == 0) {
            n = seg->len - pos;
        }
        if (n < 8 || n > seg->len - pos)
            return AVERROR_INVALIDDATA;
        if (AV_RL32(b + 4) == MKTAG('m', 'o', 'o', 'f')) {
            at = pos;
            break;
        }
        /* a sidx counts its offsets from its own end: it would need rewriting */
        if (AV_RL32(b + 4) == MKTAG('s', 'i', 'd', 'x'))
            return AVERROR_PATCHWELCOME;
        pos += n;
    }
    if (at == SIZE_MAX)
        return AVERROR_INVALIDDATA;

    if ((ret = buf_open_gap(seg, at, box)) < 0)
        return ret;
    w = seg->data + at;
    AV_WB32(w, (uint32_t)box);
    AV_WL32(w + 4, MKTAG('e', 'm', 's', 'g'));
    AV_WB32(w + 8, 1u << 24);   /* version 1, flags 0 */
    AV_WB32(w + 12, timescale);
    AV_WB64(w + 16, presentation_time);
    AV_WB32(w + 24, duration);
    AV_WB32(w + 28, id);
    w += 32;
    memcpy(w, scheme, ls);
    w += ls;
    memcpy(w, value, lv);
    w += lv;
    if (size)
        memcpy(w, message, size);
    return 0;
}
