/* common/scte35.h judged by a decoder that is not onair's: VideoLAN's
 * biTStream (Debian's libbitstream-dev, <bitstream/scte/35.h>). Cues of
 * every kind the packager and the inputs deal in are written with
 * scte35_write; biTStream validates each section (table_id, syntax, CRC_32
 * with its own table, section, command and descriptor lengths) and reads
 * back the command type, pts_adjustment, splice_event_id, the cancel,
 * out_of_network, program and immediate flags, splice_time, break_duration
 * and auto_return, unique_program_id and the avail numbers.
 *
 * biTStream walks the descriptor loop but does not decode segmentation
 * descriptors; their fields are read here at the offsets of SCTE 35 2022's
 * table 19, written from the standard, not from common/scte35.c. */
#include "common/scte35.h"

#include <bitstream/mpeg/psi.h>
#include <bitstream/scte/35.h>

#include "check.h"

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* One segmentation_descriptor (the bytes from its tag) against what it
 * should say. */
static void judge_segmentation(const uint8_t *d, const Scte35Segmentation *s)
{
    const uint8_t *p = d + 2, *end = d + 2 + desc_get_length(d);

    CHECK_EQ_INT(desc_get_tag(d), 0x02);
    CHECK_EQ_INT(be(p, 4), 0x43554549);   /* "CUEI" */
    CHECK_EQ_INT(be(p + 4, 4), s->event_id);
    CHECK_EQ_INT(p[8] >> 7, !!s->cancel);
    p += 9;
    if (s->cancel) {
        CHECK(p == end);
        return;
    }
    CHECK_EQ_INT(p[0] >> 7, 1);                          /* program_segmentation_flag */
    CHECK_EQ_INT(p[0] >> 6 & 1, s->duration >= 0);      /* segmentation_duration_flag */
    CHECK_EQ_INT(p[0] >> 5 & 1, !s->restricted);        /* delivery_not_restricted_flag */
    if (s->restricted) {
        CHECK_EQ_INT(p[0] >> 4 & 1, !!s->web_delivery_allowed);
        CHECK_EQ_INT(p[0] >> 3 & 1, !!s->no_regional_blackout);
        CHECK_EQ_INT(p[0] >> 2 & 1, !!s->archive_allowed);
        CHECK_EQ_INT(p[0] & 3, s->device_restrictions);
    }
    p++;
    if (s->duration >= 0) {
        CHECK_EQ_INT(be(p, 5), s->duration);
        p += 5;
    }
    CHECK_EQ_INT(p[0], s->upid_type);
    CHECK_EQ_INT(p[1], s->upid_length);
    CHECK(!memcmp(p + 2, s->upid, s->upid_length));
    p += 2 + p[1];
    CHECK_EQ_INT(p[0], s->type_id);
    CHECK_EQ_INT(p[1], s->segment_num);
    CHECK_EQ_INT(p[2], s->segments_expected);
    p += 3;
    if (s->has_sub_segments) {
        CHECK_EQ_INT(p[0], s->sub_segment_num);
        CHECK_EQ_INT(p[1], s->sub_segments_expected);
        p += 2;
    }
    CHECK(p == end);
}

static void judge(const char *name, const Scte35Cue *c)
{
    uint8_t sec[SCTE35_SECTION_MAX];
    int n = scte35_write(c, sec, sizeof(sec));
    const uint8_t *descl;
    int nb_seg = 0, nb_avail = 0;

    fprintf(stderr, "%s\n", name);
    CHECK(n > 0);
    if (n <= 0)
        return;
    CHECK_EQ_INT(psi_get_tableid(sec), SCTE35_TABLE_ID);
    CHECK_EQ_INT(psi_get_length(sec) + PSI_HEADER_SIZE, n);
    CHECK(psi_check_crc(sec));
    CHECK(scte35_validate(sec));
    CHECK_EQ_INT(scte35_get_protocol(sec), 0);
    CHECK(!scte35_is_encrypted(sec));
    CHECK_EQ_INT(scte35_get_pts_adjustment(sec), c->pts_adjustment);
    CHECK_EQ_INT(scte35_get_command_type(sec), c->command);

    switch (c->command) {
    case SCTE35_SPLICE_NULL:
        CHECK_EQ_INT(scte35_get_command_length(sec), 0);
        break;
    case SCTE35_TIME_SIGNAL: {
        const uint8_t *t = scte35_time_signal_get_splice_time(sec);
        CHECK_EQ_INT(scte35_splice_time_has_time_specified(t), c->pts_time >= 0);
        if (c->pts_time >= 0)
            CHECK_EQ_INT(scte35_splice_time_get_pts_time(t), c->pts_time);
        break;
    }
    case SCTE35_SPLICE_INSERT:
        CHECK_EQ_INT(scte35_insert_get_event_id(sec), c->event_id);
        CHECK_EQ_INT(scte35_insert_has_cancel(sec), !!c->cancel);
        if (c->cancel)
            break;
        CHECK_EQ_INT(scte35_insert_has_out_of_network(sec), !!c->out_of_network);
        CHECK(scte35_insert_has_program_splice(sec));
        CHECK_EQ_INT(scte35_insert_has_splice_immediate(sec), !!c->immediate);
        if (!c->immediate) {
            const uint8_t *t = scte35_insert_get_splice_time(sec);
            CHECK_EQ_INT(scte35_splice_time_has_time_specified(t), c->pts_time >= 0);
            if (c->pts_time >= 0)
                CHECK_EQ_INT(scte35_splice_time_get_pts_time(t), c->pts_time);
        }
        CHECK_EQ_INT(scte35_insert_has_duration(sec), c->break_duration >= 0);
        if (c->break_duration >= 0) {
            const uint8_t *bd = scte35_insert_get_break_duration(sec);
            CHECK_EQ_INT(scte35_break_duration_has_auto_return(bd), !!c->auto_return);
            CHECK_EQ_INT(scte35_break_duration_get_duration(bd), c->break_duration);
        }
        CHECK_EQ_INT(scte35_insert_get_unique_program_id(sec), c->unique_program_id);
        CHECK_EQ_INT(scte35_insert_get_avail_num(sec), c->avail_num);
        CHECK_EQ_INT(scte35_insert_get_avails_expected(sec), c->avails_expected);
        break;
    }

    descl = scte35_get_descl(sec);
    for (uint16_t k = 0;; k++) {
        const uint8_t *d = descl_get_desc((uint8_t *)descl, scte35_get_desclength(sec), k);
        if (!d)
            break;
        if (desc_get_tag(d) == 0x00) {
            CHECK_EQ_INT(desc_get_length(d), 8);
            CHECK_EQ_INT(be(d + 2, 4), 0x43554549);
            CHECK_EQ_INT(be(d + 6, 4), c->provider_avail_id);
            nb_avail++;
        } else if (nb_seg < c->nb_segmentations) {
            judge_segmentation(d, &c->segmentations[nb_seg++]);
        } else {
            CHECK(!"a descriptor more than the cue has");
        }
    }
    CHECK_EQ_INT(nb_seg, c->nb_segmentations);
    CHECK_EQ_INT(nb_avail, c->command == SCTE35_SPLICE_INSERT && c->has_avail);
}

static const uint8_t turner_id[8] = { 0, 0, 0, 0, 0x2C, 0xA0, 0xA1, 0x8A };

static void segmentation(Scte35Cue *c, uint32_t id, uint8_t type, int64_t duration)
{
    Scte35Segmentation *s = &c->segmentations[c->nb_segmentations++];
    s->event_id = id;
    s->type_id = type;
    s->duration = duration;
    s->upid_type = SCTE35_UPID_TI;
    s->upid_length = sizeof(turner_id);
    memcpy(s->upid, turner_id, sizeof(turner_id));
}

int main(void)
{
    Scte35Cue c;

    /* a break starts: splice_insert out with its length and auto return,
     * at the last pts before the 33-bit wrap */
    scte35_cue_init(&c);
    c.command = SCTE35_SPLICE_INSERT;
    c.event_id = 1001;
    c.out_of_network = 1;
    c.pts_time = SCTE35_TIME_MAX;
    c.break_duration = 90 * 90000;
    c.auto_return = 1;
    c.unique_program_id = 7;
    c.avail_num = 1;
    c.avails_expected = 2;
    c.has_avail = 1;
    c.provider_avail_id = 0xABCDEF01;
    judge("splice_insert out", &c);

    /* the break ends at a time with bit 32 set, no duration */
    c.out_of_network = 0;
    c.pts_time = INT64_C(0x100000001);
    c.break_duration = -1;
    c.has_avail = 0;
    judge("splice_insert in", &c);

    /* an early return now (the API's DELETE) */
    c.immediate = 1;
    c.pts_time = -1;
    judge("splice_insert in, immediate", &c);

    /* out without auto_return, with a pts_adjustment */
    scte35_cue_init(&c);
    c.command = SCTE35_SPLICE_INSERT;
    c.event_id = UINT32_MAX;
    c.out_of_network = 1;
    c.pts_time = 0;
    c.break_duration = SCTE35_TIME_MAX;
    c.pts_adjustment = INT64_C(0x1FFFF0000);
    judge("splice_insert out, no auto_return, pts_adjustment", &c);

    c.cancel = 1;
    judge("splice_insert cancel", &c);

    /* time_signal: provider and distributor placement opportunity starts */
    scte35_cue_init(&c);
    c.command = SCTE35_TIME_SIGNAL;
    c.pts_time = 1924989008;
    segmentation(&c, 0x4800008E, SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_START, 307 * 90000);
    c.segmentations[0].restricted = 1;
    c.segmentations[0].no_regional_blackout = 1;
    c.segmentations[0].archive_allowed = 1;
    c.segmentations[0].device_restrictions = SCTE35_DEVICES_NONE;
    c.segmentations[0].segment_num = 2;
    segmentation(&c, 0x4800008F, SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_START, 30 * 90000);
    c.segmentations[1].restricted = 1;
    c.segmentations[1].web_delivery_allowed = 1;
    c.segmentations[1].device_restrictions = SCTE35_DEVICES_GROUP1;
    c.segmentations[1].has_sub_segments = 1;
    c.segmentations[1].sub_segment_num = 1;
    c.segmentations[1].sub_segments_expected = 3;
    judge("time_signal placement opportunity starts", &c);

    /* their ends, no duration, delivery not restricted; a URI upid */
    scte35_cue_init(&c);
    c.command = SCTE35_TIME_SIGNAL;
    c.pts_time = 1952616608;
    segmentation(&c, 0x4800008E, SCTE35_SEG_PROVIDER_PLACEMENT_OPPORTUNITY_END, -1);
    segmentation(&c, 0x4800008F, SCTE35_SEG_DISTRIBUTOR_PLACEMENT_OPPORTUNITY_END, -1);
    c.segmentations[1].upid_type = SCTE35_UPID_URI;
    c.segmentations[1].upid_length = 13;
    memcpy(c.segmentations[1].upid, "urn:onair:ad1", 13);
    judge("time_signal placement opportunity ends", &c);

    /* now (no time): a provider ad start, an ad end, a cancelled one, no upid */
    scte35_cue_init(&c);
    c.command = SCTE35_TIME_SIGNAL;
    segmentation(&c, 1, SCTE35_SEG_PROVIDER_AD_START, 15 * 90000);
    segmentation(&c, 2, SCTE35_SEG_PROVIDER_AD_END, -1);
    c.segmentations[1].upid_type = SCTE35_UPID_NONE;
    c.segmentations[1].upid_length = 0;
    segmentation(&c, 3, SCTE35_SEG_BREAK_START, -1);
    c.segmentations[2].cancel = 1;
    judge("time_signal now, ad start/end, cancel", &c);

    /* splice_null (a heartbeat) */
    scte35_cue_init(&c);
    judge("splice_null", &c);

    return CHECK_DONE();
}
