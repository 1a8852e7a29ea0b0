/* Codec strings from real extradata. */
#include "playlist/playlist.h"

#include <errno.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "check.h"

/* x264 1280x720 High@3.1, Annex B (what -bsf h264_mp4toannexb gives): SPS, PPS. */
static const uint8_t annexb_high[] = {
    0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb,
    0x01, 0x10, 0x00, 0x00, 0x3e, 0x90, 0x00, 0x0e, 0xa6, 0x00, 0xf1, 0x83, 0x19, 0x60,
    0x00, 0x00, 0x00, 0x01, 0x68, 0xef, 0x8f, 0xcb,
};

/* x264 640x360 Main@3.0, avcC from the mp4 muxer. */
static const uint8_t avcc_main[] = {
    0x01, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x4d, 0x40, 0x1e, 0xec, 0xa0,
    0x50, 0x17, 0xfc, 0xb8, 0x08, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x19,
    0x07, 0x8b, 0x16, 0xcb, 0x01, 0x00, 0x04, 0x68, 0xef, 0x8f, 0xc8,
};

/* The PPS first, 3-byte start codes, Constrained Baseline@3.0. */
static const uint8_t annexb_pps_first[] = {
    0x00, 0x00, 0x01, 0x68, 0xce, 0x3c, 0x80,
    0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5,
};

/* An emulation prevention byte inside the first bytes of the SPS. */
static const uint8_t annexb_epb[] = {
    0x00, 0x00, 0x01, 0x67, 0x00, 0x00, 0x03, 0x01, 0x80,
};

static const uint8_t annexb_cut[] = { 0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00 };
static const uint8_t annexb_no_sps[] = { 0x00, 0x00, 0x00, 0x01, 0x68, 0xef, 0x8f, 0xcb };
static const uint8_t annexb_sps_then_start[] = {
    0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x00, 0x01, 0x68, 0xef,
};

static int codec_string(enum AVCodecID id, int profile, const uint8_t *extradata, int size,
                        char *out, size_t out_size)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    int ret;

    if (!par)
        return AVERROR(ENOMEM);
    par->codec_id = id;
    par->profile = profile;
    if (size) {
        par->extradata = av_mallocz((size_t)size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!par->extradata) {
            avcodec_parameters_free(&par);
            return AVERROR(ENOMEM);
        }
        memcpy(par->extradata, extradata, (size_t)size);
        par->extradata_size = size;
    }
    ret = playlist_codec_string(par, out, out_size);
    avcodec_parameters_free(&par);
    return ret;
}

#define H264(data, out) codec_string(AV_CODEC_ID_H264, 0, data, (int)sizeof(data), out, sizeof(out))
#define AAC(profile, out) codec_string(AV_CODEC_ID_AAC, profile, NULL, 0, out, sizeof(out))

static void test_h264(void)
{
    char s[32];

    CHECK_EQ_INT(H264(annexb_high, s), 0);
    CHECK_EQ_STR(s, "avc1.64001f");
    CHECK_EQ_INT(H264(avcc_main, s), 0);
    CHECK_EQ_STR(s, "avc1.4d401e");
    CHECK_EQ_INT(H264(annexb_pps_first, s), 0);
    CHECK_EQ_STR(s, "avc1.42c01e");
    CHECK_EQ_INT(H264(annexb_epb, s), 0);
    CHECK_EQ_STR(s, "avc1.000001");

    CHECK_EQ_INT(H264(annexb_cut, s), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(H264(annexb_no_sps, s), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(H264(annexb_sps_then_start, s), AVERROR_INVALIDDATA);
    CHECK_EQ_INT(codec_string(AV_CODEC_ID_H264, 0, NULL, 0, s, sizeof(s)), AVERROR_INVALIDDATA);

    /* "avc1.64001f" needs 12 bytes with its terminator */
    CHECK_EQ_INT(codec_string(AV_CODEC_ID_H264, 0, annexb_high, sizeof(annexb_high), s, 11),
                 AVERROR(ERANGE));
    CHECK_EQ_INT(codec_string(AV_CODEC_ID_H264, 0, annexb_high, sizeof(annexb_high), s, 12), 0);
    CHECK_EQ_STR(s, "avc1.64001f");
}

static void test_aac(void)
{
    char s[32];

    CHECK_EQ_INT(AAC(1, s), 0);         /* LC */
    CHECK_EQ_STR(s, "mp4a.40.2");
    CHECK_EQ_INT(AAC(4, s), 0);         /* HE-AAC: SBR */
    CHECK_EQ_STR(s, "mp4a.40.5");
    CHECK_EQ_INT(AAC(28, s), 0);        /* HE-AAC v2: PS */
    CHECK_EQ_STR(s, "mp4a.40.29");
    CHECK_EQ_INT(AAC(-99, s), 0);       /* unknown: the aac encoder's LC */
    CHECK_EQ_STR(s, "mp4a.40.2");
    CHECK_EQ_INT(AAC(77, s), 0);
    CHECK_EQ_STR(s, "mp4a.40.2");
}

static void test_other(void)
{
    char s[32];

    CHECK_EQ_INT(codec_string(AV_CODEC_ID_HEVC, 0, NULL, 0, s, sizeof(s)), AVERROR(ENOSYS));
    CHECK_EQ_INT(codec_string(AV_CODEC_ID_MP3, 0, NULL, 0, s, sizeof(s)), AVERROR(ENOSYS));
    CHECK_EQ_INT(playlist_codec_string(NULL, s, sizeof(s)), AVERROR(EINVAL));
}

int main(void)
{
    test_h264();
    test_aac();
    test_other();
    return CHECK_DONE();
}
