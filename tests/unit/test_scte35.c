/* common/scte35.h: the sample sections of SCTE 35's section 14 read with
 * the fields the standard documents for them and written back byte for
 * byte; cues built by hand written to known bytes; the CRC; values out of
 * range, cut or damaged sections, and what is not read, refused; the hex,
 * base64 and XML forms. */
#include "common/scte35.h"

#include <libavutil/error.h>

#include "check.h"

/* SCTE 35 2019r1/2022 section 14 samples */
#define SAMPLE_14_1 "0xFC3034000000000000FFFFF00506FE72BD0050001E021C435545494800008E7FCF0001A599B0" \
                    "0808000000002CA0A18A3402009AC9D17E"
#define SAMPLE_14_2 "0xFC302F000000000000FFFFF014054800008F7FEFFE7369C02EFE0052CCF500000000000A00" \
                    "08435545490000013562DBA30A"
#define SAMPLE_14_3 "0xFC302F000000000000FFFFF00506FE746290A000190217435545494800008E7F9F08080000" \
                    "00002CA0A18A350200A9CC6758"
#define SAMPLE_14_4 "0xFC3048000000000000FFFFF00506FE7A4D88B60032021743554549480000187F9F08080000" \
                    "00002CCBC344110000021743554549480000197F9F0808000000002CA4DBA01000009972E343"

static const uint8_t turner_id_1[8] = { 0, 0, 0, 0, 0x2C, 0xA0, 0xA1, 0x8A };

static size_t from_hex(const char *hex, uint8_t *out, size_t size)
{
    size_t n = 0;

    if (hex[0] == '0' && hex[1] == 'x')
        hex += 2;
    for (; hex[0] && hex[1] && n < size; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Parses the sample, writes the cue read and checks the bytes are the
 * sample's again; the cue is left in *c. */
static void sample(const char *hex, Scte35Cue *c)
{
    uint8_t in[SCTE35_SECTION_MAX], out[SCTE35_SECTION_MAX];
    char text[2 * SCTE35_SECTION_MAX + 3];
    size_t n = from_hex(hex, in, sizeof(in));
    int ret;

    CHECK_EQ_INT(scte35_crc32(in, n), 0);
    CHECK_EQ_INT(scte35_parse(in, n, c), (int)n);
    CHECK(scte35_cue_equal(c, c));
    ret = scte35_write(c, out, sizeof(out));
    CHECK_EQ_INT(ret, (int)n);
    CHECK(ret == (int)n && !memcmp(in, out, n));
    CHECK_EQ_INT(scte35_hex(out, (size_t)ret, text, sizeof(text)), 2 + 2 * (int)n);
    CHECK_EQ_STR(text, hex);
}

static void test_samples(void)
{
    Scte35Cue c;
    const Scte35Segmentation *s = &c.segmentations[0];

    /* 14.1 time_signal, provider placement opportunity start */
    sample(SAMPLE_14_1, &c);
    CHECK_EQ_INT(c.command, SCTE35_TIME_SIGNAL);
    CHECK_EQ_INT(c.pts_adjustment, 0);
    CHECK_EQ_INT(c.tier, 0xFFF);
    CHECK_EQ_INT(c.pts_time, INT64_C(0x072BD0050));
    CHECK_EQ_INT(c.nb_segmentations, 1);
    CHECK_EQ_INT(s->event_id, 0x4800008E);
    CHECK_EQ_INT(s->cancel, 0);
    CHECK_EQ_INT(s->restricted, 1);
    CHECK_EQ_INT(s->web_delivery_allowed, 0);
    CHECK_EQ_INT(s->no_regional_blackout, 1);
    CHECK_EQ_INT(s->archive_allowed, 1);
    CHECK_EQ_INT(s->device_restrictions, SCTE35_DEVICES_NONE);
    CHECK_EQ_INT(s->duration, INT64_C(0x0001A599B0));   /* 307 s */
    CHECK_EQ_INT(s->upid_type, SCTE35_UPID_TI);
    CHECK_EQ_INT(s->upid_length, 8);
    CHECK(!memcmp(s->upid, turner_id_1, 8));
    CHECK_EQ_INT(s->type_id, SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_START);
    CHECK_EQ_INT(s->segment_num, 2);
    CHECK_EQ_INT(s->segments_expected, 0);
    CHECK_EQ_INT(s->has_sub_segments, 0);   /* the sample has none: 2016's fields are optional */

    /* 14.2 splice_insert */
    sample(SAMPLE_14_2, &c);
    CHECK_EQ_INT(c.command, SCTE35_SPLICE_INSERT);
    CHECK_EQ_INT(c.event_id, 0x4800008F);
    CHECK_EQ_INT(c.cancel, 0);
    CHECK_EQ_INT(c.out_of_network, 1);
    CHECK_EQ_INT(c.immediate, 0);
    CHECK_EQ_INT(c.pts_time, INT64_C(0x07369C02E));
    CHECK_EQ_INT(c.break_duration, INT64_C(0x00052CCF5));   /* 60.293567 s */
    CHECK_EQ_INT(c.auto_return, 1);
    CHECK_EQ_INT(c.unique_program_id, 0);
    CHECK_EQ_INT(c.avail_num, 0);
    CHECK_EQ_INT(c.avails_expected, 0);
    CHECK_EQ_INT(c.has_avail, 1);
    CHECK_EQ_INT(c.provider_avail_id, 0x135);
    CHECK_EQ_INT(c.nb_segmentations, 0);

    /* 14.3 time_signal, placement opportunity end */
    sample(SAMPLE_14_3, &c);
    CHECK_EQ_INT(c.command, SCTE35_TIME_SIGNAL);
    CHECK_EQ_INT(c.pts_time, INT64_C(0x0746290A0));
    CHECK_EQ_INT(c.nb_segmentations, 1);
    CHECK_EQ_INT(s->event_id, 0x4800008E);
    CHECK_EQ_INT(s->restricted, 1);
    CHECK_EQ_INT(s->web_delivery_allowed, 1);
    CHECK_EQ_INT(s->no_regional_blackout, 1);
    CHECK_EQ_INT(s->archive_allowed, 1);
    CHECK_EQ_INT(s->duration, -1);
    CHECK_EQ_INT(s->type_id, SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_END);
    CHECK_EQ_INT(s->segment_num, 2);
    CHECK(!memcmp(s->upid, turner_id_1, 8));

    /* 14.4 time_signal, program end and program start in one */
    sample(SAMPLE_14_4, &c);
    CHECK_EQ_INT(c.pts_time, INT64_C(0x07A4D88B6));
    CHECK_EQ_INT(c.nb_segmentations, 2);
    CHECK_EQ_INT(c.segmentations[0].event_id, 0x48000018);
    CHECK_EQ_INT(c.segmentations[0].type_id, SCTE35_SEG_PROGRAM_END);
    CHECK_EQ_INT(c.segmentations[0].upid[5], 0xCB);
    CHECK_EQ_INT(c.segmentations[1].event_id, 0x48000019);
    CHECK_EQ_INT(c.segmentations[1].type_id, SCTE35_SEG_PROGRAM_START);
    CHECK_EQ_INT(c.segmentations[1].upid[7], 0xA0);
}

/* The cue of sample 14.2, built as the packager will. */
static Scte35Cue cue_out(void)
{
    Scte35Cue c;

    scte35_cue_init(&c);
    c.command = SCTE35_SPLICE_INSERT;
    c.event_id = 0x4800008F;
    c.out_of_network = 1;
    c.pts_time = 0x07369C02E;
    c.break_duration = 0x00052CCF5;
    c.auto_return = 1;
    c.has_avail = 1;
    c.provider_avail_id = 0x135;
    return c;
}

static void test_write(void)
{
    uint8_t want[64], out[SCTE35_SECTION_MAX];
    size_t n = from_hex(SAMPLE_14_2, want, sizeof(want));
    Scte35Cue c = cue_out(), back;
    int ret;

    ret = scte35_write(&c, out, sizeof(out));
    CHECK_EQ_INT(ret, (int)n);
    CHECK(ret == (int)n && !memcmp(out, want, n));
    /* exactly big enough, one byte short */
    CHECK_EQ_INT(scte35_write(&c, out, n), (int)n);
    CHECK_EQ_INT(scte35_write(&c, out, n - 1), AVERROR(ERANGE));
    CHECK_EQ_INT(scte35_write(&c, out, 0), AVERROR(ERANGE));

    /* a return (cue in), immediate, no duration */
    scte35_cue_init(&c);
    c.command = SCTE35_SPLICE_INSERT;
    c.event_id = 7;
    c.immediate = 1;
    ret = scte35_write(&c, out, sizeof(out));
    /* header 14, insert 4 + 1 + 1 + 4, loop length 2, CRC 4 */
    CHECK_EQ_INT(ret, 14 + 10 + 2 + 4);
    CHECK_EQ_INT(out[14 + 5], 0x5F);    /* in of network, program, no duration, immediate */
    CHECK_EQ_INT(scte35_parse(out, (size_t)ret, &back), ret);
    CHECK_EQ_INT(back.out_of_network, 0);
    CHECK_EQ_INT(back.immediate, 1);
    CHECK_EQ_INT(back.pts_time, -1);
    CHECK_EQ_INT(back.break_duration, -1);
    CHECK_EQ_INT(back.event_id, 7);

    /* cancel */
    c.cancel = 1;
    ret = scte35_write(&c, out, sizeof(out));
    CHECK_EQ_INT(ret, 14 + 5 + 2 + 4);
    CHECK_EQ_INT(scte35_parse(out, (size_t)ret, &back), ret);
    CHECK_EQ_INT(back.cancel, 1);
    CHECK_EQ_INT(back.event_id, 7);

    /* splice_null: the smallest section */
    scte35_cue_init(&c);
    ret = scte35_write(&c, out, sizeof(out));
    CHECK_EQ_INT(ret, 20);
    CHECK_EQ_INT(out[1], 0x30);     /* syntax 0, private 0, sap_type 3 */
    CHECK_EQ_INT(out[2], 17);
    CHECK_EQ_INT(scte35_parse(out, (size_t)ret, &back), 20);
    CHECK_EQ_INT(back.command, SCTE35_SPLICE_NULL);

    /* the largest values every field takes, and sub-segments */
    scte35_cue_init(&c);
    c.command = SCTE35_TIME_SIGNAL;
    c.pts_time = SCTE35_TIME_MAX;
    c.pts_adjustment = SCTE35_TIME_MAX;
    c.tier = 0x123;
    c.nb_segmentations = SCTE35_SEGMENTATIONS_MAX;
    for (int i = 0; i < SCTE35_SEGMENTATIONS_MAX; i++) {
        Scte35Segmentation *s = &c.segmentations[i];
        s->event_id = UINT32_MAX - (uint32_t)i;
        s->type_id = SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_START;
        s->duration = SCTE35_DURATION_MAX;
        s->upid_type = SCTE35_UPID_URI;
        s->upid_length = 233;   /* the longest a descriptor with all of this holds */
        memset(s->upid, 'a' + i, s->upid_length);
        s->has_sub_segments = 1;
        s->sub_segment_num = 3;
        s->sub_segments_expected = 4;
        s->segment_num = 1;
        s->segments_expected = 2;
    }
    ret = scte35_write(&c, out, sizeof(out));
    CHECK(ret > 8 * 257);
    CHECK_EQ_INT(scte35_parse(out, (size_t)ret, &back), ret);
    CHECK(scte35_cue_equal(&back, &c));
    back.segmentations[7].sub_segments_expected++;
    CHECK(!scte35_cue_equal(&back, &c));
    c.segmentations[3].upid_length = 234;
    CHECK_EQ_INT(scte35_write(&c, out, sizeof(out)), AVERROR(EINVAL));
}

static void test_out_of_range(void)
{
    uint8_t out[SCTE35_SECTION_MAX];
    Scte35Cue c;

#define REFUSED(field, value) do { \
        c = cue_out(); \
        c.field = value; \
        CHECK_EQ_INT(scte35_write(&c, out, sizeof(out)), AVERROR(EINVAL)); \
    } while (0)
    REFUSED(pts_time, SCTE35_TIME_MAX + 1);
    REFUSED(pts_time, -2);
    REFUSED(pts_adjustment, SCTE35_TIME_MAX + 1);
    REFUSED(pts_adjustment, -1);
    REFUSED(break_duration, SCTE35_TIME_MAX + 1);
    REFUSED(tier, 0x1000);
    REFUSED(command, (enum Scte35Command)0x04);
    REFUSED(nb_segmentations, SCTE35_SEGMENTATIONS_MAX + 1);
    REFUSED(nb_segmentations, -1);
    c = cue_out();
    c.nb_segmentations = 1;
    c.segmentations[0].duration = SCTE35_DURATION_MAX + 1;
    CHECK_EQ_INT(scte35_write(&c, out, sizeof(out)), AVERROR(EINVAL));
    c.segmentations[0].duration = -1;
    c.segmentations[0].device_restrictions = 4;
    CHECK_EQ_INT(scte35_write(&c, out, sizeof(out)), AVERROR(EINVAL));
    c.segmentations[0].device_restrictions = 0;
    c.segmentations[0].type_id = SCTE35_SEG_PROVIDER_AD_START;
    c.segmentations[0].has_sub_segments = 1;   /* only placement opportunity starts have them */
    CHECK_EQ_INT(scte35_write(&c, out, sizeof(out)), AVERROR(EINVAL));
    c.segmentations[0].has_sub_segments = 0;
    CHECK(scte35_write(&c, out, sizeof(out)) > 0);
    /* the XML form refuses what the binary does */
    {
        Buf b = { 0 };
        c.pts_time = SCTE35_TIME_MAX + 1;
        CHECK_EQ_INT(scte35_write_xml(&b, &c, 0), AVERROR(EINVAL));
        CHECK_EQ_INT(b.len, 0);
        buf_free(&b);
    }
}

static void test_refused(void)
{
    uint8_t in[128], bad[128];
    size_t n = from_hex(SAMPLE_14_2, in, sizeof(in));
    Scte35Cue c;

    /* cut anywhere: refused; with bytes after the section (TS stuffing): read */
    for (size_t k = 0; k < n; k++)
        CHECK_EQ_INT(scte35_parse(in, k, &c), AVERROR_INVALIDDATA);
    memcpy(bad, in, n);
    memset(bad + n, 0xFF, sizeof(bad) - n);
    CHECK_EQ_INT(scte35_parse(bad, sizeof(bad), &c), (int)n);

    /* any one bit flipped: the CRC catches it */
    for (size_t k = 0; k < n * 8; k++) {
        memcpy(bad, in, n);
        bad[k / 8] ^= (uint8_t)(1 << (k % 8));
        CHECK(scte35_parse(bad, n, &c) < 0);
    }

    /* a section_length past the data, or too short to hold a section */
    memcpy(bad, in, n);
    bad[2] = (uint8_t)(n - 3 + 1);
    CHECK_EQ_INT(scte35_parse(bad, n, &c), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(scte35_parse((const uint8_t[]){ 0xFC, 0x30, 0x00 }, 3, &c), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(scte35_parse((const uint8_t[]){ 0x00, 0x30, 0x00 }, 3, &c), AVERROR_INVALIDDATA);
}

/* A section with a given header and command, its CRC made right. */
static size_t section(uint8_t *out, uint8_t protocol, uint8_t encrypted, uint8_t command,
                      const uint8_t *cmd, size_t cmd_len, const uint8_t *descl, size_t descl_len)
{
    size_t n = 0;
    uint32_t crc;

    out[n++] = 0xFC;
    n += 2;
    out[n++] = protocol;
    out[n++] = encrypted ? 0x80 : 0;
    memset(out + n, 0, 4);
    n += 4;
    out[n++] = 0xFF;
    out[n++] = 0xFF;
    out[n++] = (uint8_t)(0xF0 | cmd_len >> 8);
    out[n++] = (uint8_t)cmd_len;
    out[n++] = command;
    if (cmd_len)
        memcpy(out + n, cmd, cmd_len);
    n += cmd_len;
    out[n++] = (uint8_t)(descl_len >> 8);
    out[n++] = (uint8_t)descl_len;
    if (descl_len)
        memcpy(out + n, descl, descl_len);
    n += descl_len;
    out[1] = (uint8_t)(0x30 | (n + 4 - 3) >> 8);
    out[2] = (uint8_t)(n + 4 - 3);
    crc = scte35_crc32(out, n);
    out[n++] = (uint8_t)(crc >> 24);
    out[n++] = (uint8_t)(crc >> 16);
    out[n++] = (uint8_t)(crc >> 8);
    out[n++] = (uint8_t)crc;
    return n;
}

static void test_not_read(void)
{
    static const uint8_t private_cmd[] = { 'A', 'B', 'C', 'D', 1, 2 };
    static const uint8_t component_insert[] = {
        0, 0, 0, 1, 0x7F, 0xAF /* out, component mode, duration */, 1, 0x22, 0xFE, 0, 0, 0, 0,
        0xFE, 0, 0, 0, 1, 0, 0, 0, 0 };
    static const uint8_t time_now[] = { 0x7F };
    /* an unknown descriptor, a DTMF one, another owner's segmentation one,
     * then an avail descriptor that must not count for time_signal */
    static const uint8_t others[] = {
        0x80, 2, 9, 9,
        0x01, 8, 'C', 'U', 'E', 'I', 0x7F, 0x3F, '1', '2',
        0x02, 6, 'A', 'B', 'C', 'D', 0, 0,
        0x00, 8, 'C', 'U', 'E', 'I', 0, 0, 0, 9 };
    static const uint8_t cut_descriptor[] = { 0x02, 9, 'C', 'U', 'E', 'I' };
    uint8_t s[256];
    size_t n;
    Scte35Cue c;

    n = section(s, 0, 0, 0xFF, private_cmd, sizeof(private_cmd), NULL, 0);
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    n = section(s, 0, 0, 0x07, NULL, 0, NULL, 0);   /* bandwidth_reservation */
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    n = section(s, 0, 0, 0x04, (const uint8_t[]){ 0 }, 1, NULL, 0);   /* splice_schedule */
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    n = section(s, 0, 0, 0x42, NULL, 0, NULL, 0);   /* a reserved command */
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR_INVALIDDATA);
    n = section(s, 0, 0, 0x05, component_insert, sizeof(component_insert), NULL, 0);
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    n = section(s, 1, 0, 0x06, time_now, 1, NULL, 0);
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    n = section(s, 0, 1, 0x06, time_now, 1, NULL, 0);
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR(ENOSYS));
    /* a time_signal without a time, the descriptors it cannot read skipped */
    n = section(s, 0, 0, 0x06, time_now, 1, others, sizeof(others));
    CHECK_EQ_INT(scte35_parse(s, n, &c), (int)n);
    CHECK_EQ_INT(c.command, SCTE35_TIME_SIGNAL);
    CHECK_EQ_INT(c.pts_time, -1);
    CHECK_EQ_INT(c.nb_segmentations, 0);
    CHECK_EQ_INT(c.has_avail, 0);
    /* a descriptor longer than the loop, a command longer than the section */
    n = section(s, 0, 0, 0x06, time_now, 1, cut_descriptor, sizeof(cut_descriptor));
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR_INVALIDDATA);
    n = section(s, 0, 0, 0x06, time_now, 1, NULL, 0);
    s[12] = 40;
    {
        uint32_t crc = scte35_crc32(s, n - 4);
        s[n - 4] = (uint8_t)(crc >> 24), s[n - 3] = (uint8_t)(crc >> 16);
        s[n - 2] = (uint8_t)(crc >> 8), s[n - 1] = (uint8_t)crc;
    }
    CHECK_EQ_INT(scte35_parse(s, n, &c), AVERROR_INVALIDDATA);
    /* splice_command_length 0xFFF (legacy senders): the command's own length counts */
    n = section(s, 0, 0, 0x06, (const uint8_t[]){ 0xFE, 0, 0, 0, 9 }, 5, NULL, 0);
    s[11] |= 0x0F;
    s[12] = 0xFF;
    {
        uint32_t crc = scte35_crc32(s, n - 4);
        s[n - 4] = (uint8_t)(crc >> 24), s[n - 3] = (uint8_t)(crc >> 16);
        s[n - 2] = (uint8_t)(crc >> 8), s[n - 1] = (uint8_t)crc;
    }
    CHECK_EQ_INT(scte35_parse(s, n, &c), (int)n);
    CHECK_EQ_INT(c.pts_time, 9);
}

static void test_crc(void)
{
    /* CRC-32/MPEG-2's check value */
    CHECK_EQ_INT(scte35_crc32((const uint8_t *)"123456789", 9), 0x0376E6E7);
    CHECK_EQ_INT(scte35_crc32(NULL, 0), 0xFFFFFFFF);
}

static void test_text(void)
{
    uint8_t sec[64];
    char text[256];
    size_t n = from_hex(SAMPLE_14_2, sec, sizeof(sec));

    CHECK_EQ_INT(scte35_base64(sec, n, text, sizeof(text)), 68);
    CHECK_EQ_STR(text, "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=");
    CHECK_EQ_INT(scte35_base64(sec, n, text, 69), 68);
    CHECK_EQ_INT(scte35_base64(sec, n, text, 68), AVERROR(ERANGE));
    CHECK_EQ_INT(scte35_hex(sec, n, text, 2 * n + 3), (int)(2 * n + 2));
    CHECK_EQ_INT(scte35_hex(sec, n, text, 2 * n + 2), AVERROR(ERANGE));
    CHECK_EQ_INT(scte35_hex(sec, 0, text, 3), 2);
    CHECK_EQ_STR(text, "0x");
    CHECK_EQ_INT(scte35_hex(sec, 0, text, 2), AVERROR(ERANGE));
}

static void test_xml(void)
{
    Buf b = { 0 };
    Scte35Cue c = cue_out();
    uint8_t in[128];

    CHECK_EQ_INT(scte35_write_xml(&b, &c, SCTE35_XML_DECLARE_NAMESPACE), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_EQ_STR((const char *)b.data,
        "<scte35:SpliceInfoSection xmlns:scte35=\"http://www.scte.org/schemas/35/2016\""
        " ptsAdjustment=\"0\" protocolVersion=\"0\" sapType=\"3\" tier=\"4095\">"
        "<scte35:SpliceInsert spliceEventId=\"1207959695\" spliceEventCancelIndicator=\"false\""
        " outOfNetworkIndicator=\"true\" spliceImmediateFlag=\"false\" uniqueProgramId=\"0\""
        " availNum=\"0\" availsExpected=\"0\">"
        "<scte35:Program><scte35:SpliceTime ptsTime=\"1936310318\"/></scte35:Program>"
        "<scte35:BreakDuration autoReturn=\"true\" duration=\"5426421\"/>"
        "</scte35:SpliceInsert>"
        "<scte35:AvailDescriptor providerAvailId=\"309\"/>"
        "</scte35:SpliceInfoSection>");
    buf_reset(&b);

    scte35_parse(in, from_hex(SAMPLE_14_1, in, sizeof(in)), &c);
    CHECK_EQ_INT(scte35_write_xml(&b, &c, 0), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_EQ_STR((const char *)b.data,
        "<scte35:SpliceInfoSection ptsAdjustment=\"0\" protocolVersion=\"0\" sapType=\"3\" tier=\"4095\">"
        "<scte35:TimeSignal><scte35:SpliceTime ptsTime=\"1924989008\"/></scte35:TimeSignal>"
        "<scte35:SegmentationDescriptor segmentationEventId=\"1207959694\""
        " segmentationEventCancelIndicator=\"false\" segmentationDuration=\"27630000\""
        " segmentationTypeId=\"52\" segmentNum=\"2\" segmentsExpected=\"0\">"
        "<scte35:DeliveryRestrictions webDeliveryAllowedFlag=\"false\" noRegionalBlackoutFlag=\"true\""
        " archiveAllowedFlag=\"true\" deviceRestrictions=\"3\"/>"
        "<scte35:SegmentationUpid segmentationUpidType=\"8\" segmentationUpidFormat=\"hexbinary\">"
        "000000002CA0A18A</scte35:SegmentationUpid>"
        "</scte35:SegmentationDescriptor>"
        "</scte35:SpliceInfoSection>");
    buf_reset(&b);

    /* a return now, and a splice_null */
    scte35_cue_init(&c);
    c.command = SCTE35_SPLICE_INSERT;
    c.event_id = 5;
    c.immediate = 1;
    CHECK_EQ_INT(scte35_write_xml(&b, &c, 0), 0);
    scte35_cue_init(&c);
    CHECK_EQ_INT(scte35_write_xml(&b, &c, 0), 0);
    CHECK_EQ_INT(buf_append(&b, "", 1), 0);
    CHECK_EQ_STR((const char *)b.data,
        "<scte35:SpliceInfoSection ptsAdjustment=\"0\" protocolVersion=\"0\" sapType=\"3\" tier=\"4095\">"
        "<scte35:SpliceInsert spliceEventId=\"5\" spliceEventCancelIndicator=\"false\""
        " outOfNetworkIndicator=\"false\" spliceImmediateFlag=\"true\" uniqueProgramId=\"0\""
        " availNum=\"0\" availsExpected=\"0\"><scte35:Program/></scte35:SpliceInsert>"
        "</scte35:SpliceInfoSection>"
        "<scte35:SpliceInfoSection ptsAdjustment=\"0\" protocolVersion=\"0\" sapType=\"3\" tier=\"4095\">"
        "<scte35:SpliceNull/></scte35:SpliceInfoSection>");
    buf_free(&b);
}

int main(void)
{
    test_crc();
    test_samples();
    test_write();
    test_out_of_range();
    test_refused();
    test_not_read();
    test_text();
    test_xml();
    return CHECK_DONE();
}
