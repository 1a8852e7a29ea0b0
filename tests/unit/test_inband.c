/* packager/inband.c: SCTE-35 written into segment bytes, against hand-made
 * segments. The PAT and PMT are the packets FFmpeg 5.1's mpegts muxer
 * wrote for a 25 fps H.264 + AAC segment; CRCs are checked with a bitwise
 * MPEG-2 CRC of this file's own, not the code's. The real segments are
 * judged by ffprobe and mp4box.js in tests/integration/inband_test.py. */
#include "packager/internal.h"

#include <libavutil/error.h>
#include <libavutil/intreadwrite.h>

#include "check.h"

#define PID 0x1F4

/* ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial 0xFFFFFFFF, no
 * reflection, no final XOR. */
static uint32_t crc_mpeg2(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFF;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++)
            crc = crc & 0x80000000 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
    }
    return crc;
}

static size_t unhex(uint8_t *out, const char *hex)
{
    size_t n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* A packet: header + payload hex, 0xFF stuffing after it. */
static void packet(uint8_t *p, const char *hex)
{
    memset(p, 0xFF, 188);
    unhex(p, hex);
}

static const char *PAT = "474000100000b00d0001c100000001f0002ab104b2";
static const char *PMT = "475000100002b0170001c10000e100f0001be100f0000fe101f0002f44b99b";
/* the PMT above with the cue declared: program_info_length 6 with the CUEI
 * registration descriptor; an 0x86 stream on 0x1F4 with a
 * cue_identifier_descriptor (all commands); section_length 37 */
static const char *PMT_DECLARED = "02b0250001c10000e100f006050443554549"
                                  "1be100f0000fe101f00086e1f4f0038a0101";
/* SCTE 35 sample: splice_insert, event 1, out of network, 19125000 ticks */
static const char *SAMPLE = "fc302500000000000000fff01405000000017feffe2d142b00fe0123d3080001010100007f157a49";

/* PAT, PMT, video with a PCR, more video, PMT again (an LL-HLS part's
 * headers), video: 6 packets. */
static void make_segment(uint8_t *seg)
{
    packet(seg, PAT);
    packet(seg + 188, PMT);
    packet(seg + 376, "47410030075000007b0c7e00000001e0000080c00a310009");
    for (int i = 0; i < 180; i++)
        seg[376 + 8 + i] = (uint8_t)i;
    packet(seg + 564, "47010011");
    for (int i = 4; i < 188; i++)
        seg[564 + i] = (uint8_t)(i * 7);
    packet(seg + 752, PMT);
    seg[752 + 3] = 0x11;
    memcpy(seg + 940, seg + 564, 188);
    seg[940 + 3] = 0x12;
}

static void check_pmt(const uint8_t *p)
{
    uint8_t want[64];
    size_t n = unhex(want, PMT_DECLARED);

    CHECK(!memcmp(p, "\x47\x50\x00", 3));
    CHECK_EQ_INT(p[4], 0);   /* pointer_field */
    CHECK(!memcmp(p + 5, want, n));
    CHECK_EQ_INT(AV_RB32(p + 5 + n), crc_mpeg2(p + 5, n));
    for (size_t i = 5 + n + 4; i < 188; i++)
        if (p[i] != 0xFF) {
            CHECK(!"stuffing after the PMT");
            break;
        }
}

static void test_fixtures(void)
{
    uint8_t b[188];
    size_t n = unhex(b, SAMPLE);

    /* the bitwise CRC agrees with what FFmpeg wrote and with the spec's sample */
    packet(b, PAT);
    CHECK_EQ_INT(crc_mpeg2(b + 5, 12), AV_RB32(b + 17));
    packet(b, PMT);
    CHECK_EQ_INT(crc_mpeg2(b + 5, 22), AV_RB32(b + 27));
    n = unhex(b, SAMPLE);
    CHECK_EQ_INT(crc_mpeg2(b, n - 4), AV_RB32(b + n - 4));
}

static void test_declare(void)
{
    uint8_t seg[6 * 188], orig[6 * 188], again[6 * 188];

    make_segment(seg);
    memcpy(orig, seg, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), 2);
    check_pmt(seg + 188);
    check_pmt(seg + 752);
    CHECK_EQ_INT(seg[752 + 3], 0x11);   /* its continuity counter kept */
    /* nothing else moved */
    CHECK(!memcmp(seg, orig, 188));
    CHECK(!memcmp(seg + 376, orig + 376, 376));
    CHECK(!memcmp(seg + 940, orig + 940, 188));
    /* a second time changes nothing */
    memcpy(again, seg, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), 2);
    CHECK(!memcmp(seg, again, sizeof(seg)));
}

/* A PMT of one stream whose ES_info is `info` bytes of descriptors. */
static void make_pmt(uint8_t *p, int info)
{
    uint8_t *s = p + 5;
    int n = 12 + 5 + info;

    memset(p, 0xFF, 188);
    memcpy(p, "\x47\x50\x00\x10\x00", 5);
    memcpy(s, "\x02\xb0\x00\x00\x01\xc1\x00\x00\xe1\x00\xf0\x00\x1b\xe1\x00", 15);
    AV_WB16(s + 15, 0xF000 | info);
    for (int i = 0; i < info; i += 2) {   /* private descriptors, 0 bytes each */
        s[17 + i] = 0x80;
        s[18 + i] = 0;
    }
    AV_WB16(s + 1, 0xB000 | (n + 4 - 3));
    AV_WB32(s + n, crc_mpeg2(s, (size_t)n));
}

static void test_room(void)
{
    uint8_t seg[6 * 188], orig[6 * 188];

    /* the declared PMT takes the packet to its last byte */
    make_segment(seg);
    make_pmt(seg + 188, 188 - 5 - 16 - 5 - 14);
    CHECK_EQ_INT(ts_declare_scte35(seg, 3 * 188, PID), 1);
    CHECK_EQ_INT(AV_RB32(seg + 188 + 184), crc_mpeg2(seg + 188 + 5, 179));
    CHECK_EQ_INT(seg[188 + 5 + 12 + 6], 0x1b);   /* the program info went in before the streams */

    /* one descriptor more and it does not fit: refused, the segment untouched */
    make_segment(seg);
    make_pmt(seg + 188, 188 - 5 - 16 - 5 - 14 + 2);
    memcpy(orig, seg, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, 3 * 188, PID), AVERROR_INVALIDDATA);
    CHECK(!memcmp(seg, orig, sizeof(seg)));
}

static void test_refusals(void)
{
    uint8_t seg[6 * 188], orig[6 * 188];

    /* not TS */
    memset(seg, 0x42, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), AVERROR_INVALIDDATA);
    make_segment(seg);
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg) - 1, PID), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(ts_declare_scte35(seg, 0, PID), AVERROR_INVALIDDATA);
    /* no PAT */
    CHECK_EQ_INT(ts_declare_scte35(seg + 188, sizeof(seg) - 188, PID), AVERROR_INVALIDDATA);
    /* a PAT but no PMT */
    memcpy(orig, seg, sizeof(seg));
    memcpy(seg + 188, seg + 376, 188);
    memcpy(seg + 752, seg + 376, 188);
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), AVERROR_INVALIDDATA);
    /* a PMT that goes on in the next packet */
    make_segment(seg);
    seg[188 + 6] = 0xB0 | 0x0;
    seg[188 + 7] = 200;
    memcpy(orig, seg, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), AVERROR_INVALIDDATA);
    CHECK(!memcmp(seg, orig, sizeof(seg)));
    /* a bad CRC in the second PMT: the first is left as it was too */
    make_segment(seg);
    seg[752 + 30] ^= 1;
    memcpy(orig, seg, sizeof(seg));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), PID), AVERROR_INVALIDDATA);
    CHECK(!memcmp(seg, orig, sizeof(seg)));
    /* PIDs that are not free or not PIDs */
    make_segment(seg);
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), 0x101), AVERROR(EINVAL));   /* the audio's */
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), 0x100), AVERROR(EINVAL));   /* video, PCR */
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), 0x1000), AVERROR(EINVAL));  /* the PMT's */
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), 0x1FFF), AVERROR(EINVAL));
    CHECK_EQ_INT(ts_declare_scte35(seg, sizeof(seg), 0), AVERROR(EINVAL));
    make_segment(orig);
    CHECK(!memcmp(seg, orig, sizeof(seg)));
}

/* The payloads of the packets on PID from `from`, as one byte string. */
static size_t pid_payload(const uint8_t *seg, size_t len, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i += 188)
        if ((((seg[i + 1] & 0x1F) << 8) | seg[i + 2]) == PID) {
            memcpy(out + n, seg + i + 4, 184);
            n += 184;
        }
    return n;
}

static void test_add(void)
{
    uint8_t sec[600], got[1024], orig[6 * 188];
    size_t n = unhex(sec, SAMPLE);
    Buf b = { 0 };
    int cc = 15;

    make_segment(orig);
    CHECK_EQ_INT(ts_declare_scte35(orig, sizeof(orig), PID), 2);
    buf_append(&b, orig, sizeof(orig));
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, PID, &cc), 0);
    CHECK_EQ_INT(b.len, sizeof(orig) + 188);
    CHECK_EQ_INT(cc, 0);
    /* after the PMT and the packet with the PCR; the rest as it was */
    CHECK(!memcmp(b.data, orig, 3 * 188));
    CHECK(!memcmp(b.data + 4 * 188, orig + 3 * 188, 3 * 188));
    {
        const uint8_t *p = b.data + 3 * 188;
        CHECK(!memcmp(p, "\x47\x41\xf4\x1f\x00", 5));   /* PUSI, pid, payload only, cc 15, pointer 0 */
        CHECK(!memcmp(p + 5, sec, n));
        for (size_t i = 5 + n; i < 188; i++)
            if (p[i] != 0xFF) {
                CHECK(!"stuffing after the section");
                break;
            }
    }

    /* a section longer than a packet: continuation packets, counters on */
    memset(sec, 0xAB, sizeof(sec));
    sec[0] = 0xFC;
    AV_WB16(sec + 1, 0x3000 | (400 - 3));
    buf_reset(&b);
    buf_append(&b, orig, sizeof(orig));
    cc = 3;
    CHECK_EQ_INT(ts_add_scte35(&b, sec, 400, PID, &cc), 0);
    CHECK_EQ_INT(b.len, sizeof(orig) + 3 * 188);
    CHECK_EQ_INT(cc, 6);
    CHECK_EQ_INT(b.data[3 * 188 + 1], 0x41);
    CHECK_EQ_INT(b.data[4 * 188 + 1], 0x01);
    CHECK_EQ_INT(b.data[5 * 188 + 1], 0x01);
    CHECK_EQ_INT(b.data[3 * 188 + 3], 0x13);
    CHECK_EQ_INT(b.data[4 * 188 + 3], 0x14);
    CHECK_EQ_INT(b.data[5 * 188 + 3], 0x15);
    CHECK_EQ_INT(pid_payload(b.data, b.len, got), 3 * 184);
    CHECK_EQ_INT(got[0], 0);
    CHECK(!memcmp(got + 1, sec, 400));
    CHECK_EQ_INT(got[401], 0xFF);
    CHECK_EQ_INT(got[3 * 184 - 1], 0xFF);
    CHECK(!memcmp(b.data + 6 * 188, orig + 3 * 188, 3 * 188));

    /* refusals leave the segment as it was */
    n = unhex(sec, SAMPLE);
    buf_reset(&b);
    buf_append(&b, orig, sizeof(orig));
    cc = 0;
    sec[0] = 0xFD;   /* not a splice_info_section */
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, PID, &cc), AVERROR(EINVAL));
    sec[0] = 0xFC;
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n - 1, PID, &cc), AVERROR(EINVAL));   /* its length */
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, 0x1F5, &cc), AVERROR(EINVAL));     /* not declared */
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, 0x101, &cc), AVERROR(EINVAL));     /* the audio's */
    CHECK_EQ_INT(b.len, sizeof(orig));
    CHECK(!memcmp(b.data, orig, sizeof(orig)));
    CHECK_EQ_INT(cc, 0);
    make_segment(orig);   /* not declared at all */
    buf_reset(&b);
    buf_append(&b, orig, sizeof(orig));
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, PID, &cc), AVERROR(EINVAL));
    buf_reset(&b);
    buf_append(&b, "not a transport stream", 22);
    CHECK_EQ_INT(ts_add_scte35(&b, sec, n, PID, &cc), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(b.len, 22);
    buf_free(&b);
}

/* ---- fMP4 ---- */

static void box(Buf *b, const char *type, size_t payload, uint8_t fill)
{
    uint8_t h[8];
    AV_WB32(h, (uint32_t)(8 + payload));
    memcpy(h + 4, type, 4);
    buf_append(b, h, 8);
    for (size_t i = 0; i < payload; i++)
        buf_append(b, &fill, 1);
}

static void test_emsg(void)
{
    uint8_t sec[64], want[256];
    size_t n = unhex(sec, SAMPLE), w;
    Buf b = { 0 }, orig = { 0 };

    box(&orig, "styp", 16, 1);
    box(&orig, "moof", 40, 2);
    box(&orig, "mdat", 100, 3);
    buf_append(&b, orig.data, orig.len);
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0x123456789AULL, 0xFFFFFFFF, 7,
                               "urn:scte:scte35:2013:bin", NULL), 0);
    /* ISO/IEC 23009-1 5.10.3.3, version 1, written out by hand */
    w = unhex(want, "00000062" "656d7367" "01000000" "00015f90" "000000123456789a" "ffffffff" "00000007"
                    "75726e3a736374653a7363746533353a323031333a62696e00" "00");
    memcpy(want + w, sec, n);
    w += n;
    CHECK_EQ_INT(w, 0x62);
    CHECK_EQ_INT(b.len, orig.len + w);
    CHECK(!memcmp(b.data, orig.data, 24));
    CHECK(!memcmp(b.data + 24, want, w));
    CHECK(!memcmp(b.data + 24 + w, orig.data + 24, orig.len - 24));

    /* no styp (an LL-HLS part, a segment as onair's muxer writes it): first */
    buf_reset(&b);
    buf_append(&b, orig.data + 24, orig.len - 24);
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0x123456789AULL, 0xFFFFFFFF, 7,
                               "urn:scte:scte35:2013:bin", ""), 0);
    CHECK(!memcmp(b.data, want, w));
    CHECK(!memcmp(b.data + w, orig.data + 24, orig.len - 24));

    /* refusals leave the bytes as they were */
    buf_reset(&b);
    box(&b, "styp", 16, 1);
    box(&b, "mdat", 100, 3);   /* no moof */
    w = b.len;
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0, 0, 1, "urn:x", ""), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(b.len, w);
    buf_reset(&b);
    box(&b, "styp", 16, 1);
    box(&b, "moof", 40, 2);
    AV_WB32(b.data + 24, 4000);   /* the moof runs past the end */
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0, 0, 1, "urn:x", ""), AVERROR_INVALIDDATA);
    buf_reset(&b);
    box(&b, "styp", 16, 1);
    AV_WB32(b.data, 4000);   /* cut short before any moof */
    box(&b, "moof", 40, 2);
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0, 0, 1, "urn:x", ""), AVERROR_INVALIDDATA);
    buf_reset(&b);
    box(&b, "styp", 16, 1);
    box(&b, "sidx", 24, 4);
    box(&b, "moof", 40, 2);
    w = b.len;
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0, 0, 1, "urn:x", ""), AVERROR_PATCHWELCOME);
    CHECK_EQ_INT(b.len, w);
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 0, 0, 0, 1, "urn:x", ""), AVERROR(EINVAL));
    CHECK_EQ_INT(fmp4_add_emsg(&b, sec, n, 90000, 0, 0, 1, NULL, ""), AVERROR(EINVAL));
    buf_free(&b);
    buf_free(&orig);
}

int main(void)
{
    test_fixtures();
    test_declare();
    test_room();
    test_refusals();
    test_add();
    test_emsg();
    return CHECK_DONE();
}
