/* RFC 6381 codec strings. */
#include "packager.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>

/* FFmpeg 6.1 renamed FF_PROFILE_* to AV_PROFILE_* and later drops the old
 * names; the values are the same. */
#ifdef AV_PROFILE_AAC_LOW
#define AAC_MAIN  AV_PROFILE_AAC_MAIN
#define AAC_LOW   AV_PROFILE_AAC_LOW
#define AAC_LTP   AV_PROFILE_AAC_LTP
#define AAC_HE    AV_PROFILE_AAC_HE
#define AAC_HE_V2 AV_PROFILE_AAC_HE_V2
#else
#define AAC_MAIN  FF_PROFILE_AAC_MAIN
#define AAC_LOW   FF_PROFILE_AAC_LOW
#define AAC_LTP   FF_PROFILE_AAC_LTP
#define AAC_HE    FF_PROFILE_AAC_HE
#define AAC_HE_V2 FF_PROFILE_AAC_HE_V2
#endif

#define NAL_SPS 7

/* profile_idc, constraint flags and level_idc: the first three bytes of an
 * SPS after its NAL header. The NAL ends where 00 00 00 or 00 00 01 begins
 * (H.264 B.2: no start code shows inside a NAL); emulation prevention bytes
 * (00 00 03) inside it are dropped. */
static int sps_head_annexb(const uint8_t *p, int size, uint8_t head[3])
{
    for (int i = 0; i + 3 < size; i++) {
        int n = 0, zeros = 0, end = size;

        if (p[i] || p[i + 1] || p[i + 2] != 1 || (p[i + 3] & 0x1f) != NAL_SPS)
            continue;
        for (int k = i + 4; k + 2 < size; k++) {
            if (!p[k] && !p[k + 1] && p[k + 2] <= 1) {
                end = k;
                break;
            }
        }
        for (int k = i + 4; k < end && n < 3; k++) {
            if (zeros >= 2 && p[k] == 3) {
                zeros = 0;
                continue;
            }
            head[n++] = p[k];
            zeros = p[k] ? 0 : zeros + 1;
        }
        return n == 3 ? 0 : AVERROR_INVALIDDATA;
    }
    return AVERROR_INVALIDDATA;
}

static int h264_head(const AVCodecParameters *par, uint8_t head[3])
{
    const uint8_t *p = par->extradata;
    int size = par->extradata_size;

    if (!p || size < 4)
        return AVERROR_INVALIDDATA;
    /* avcC (ISO/IEC 14496-15) starts with configurationVersion 1 and copies
     * the three bytes; Annex B starts with a zero byte of a start code. */
    if (p[0] == 1) {
        memcpy(head, p + 1, 3);
        return 0;
    }
    return sps_head_annexb(p, size, head);
}

/* The MPEG-4 audio object type (ISO/IEC 14496-3) that the profile names. */
static int aac_object_type(int profile)
{
    switch (profile) {
    case AAC_MAIN:  return 1;
    case AAC_LOW:   return 2;
    case AAC_LTP:   return 4;
    case AAC_HE:    return 5;
    case AAC_HE_V2: return 29;
    default:        return 2;   /* unset: what the aac encoder makes */
    }
}

int packager_codec_string(const AVCodecParameters *par, char *out, size_t size)
{
    uint8_t h[3];
    int n, ret;

    if (!par || !out || !size)
        return AVERROR(EINVAL);
    switch (par->codec_id) {
    case AV_CODEC_ID_H264:
        if ((ret = h264_head(par, h)) < 0)
            return ret;
        n = snprintf(out, size, "avc1.%02x%02x%02x", h[0], h[1], h[2]);
        break;
    case AV_CODEC_ID_AAC:
        n = snprintf(out, size, "mp4a.40.%d", aac_object_type(par->profile));
        break;
    default:
        return AVERROR(ENOSYS);
    }
    return n < 0 || (size_t)n >= size ? AVERROR(ERANGE) : 0;
}
