/* RFC 6381 codec strings. */
#include "playlist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/common.h>
#include <libavutil/error.h>

/* The MPEG-4 audio object type (ISO/IEC 14496-3) that the profile names. */
static int aac_object_type(int profile)
{
    switch (profile) {
    case CODEC_PROFILE(AAC_MAIN):  return 1;
    case CODEC_PROFILE(AAC_LOW):   return 2;
    case CODEC_PROFILE(AAC_LTP):   return 4;
    case CODEC_PROFILE(AAC_HE):    return 5;
    case CODEC_PROFILE(AAC_HE_V2): return 29;
    default:                       return 2;   /* unset: what the aac encoder makes */
    }
}

int playlist_codec_string(const AVCodecParameters *par, char *out, size_t size)
{
    uint8_t h[3];
    int n, ret;

    if (!par || !out || !size)
        return AVERROR(EINVAL);
    switch (par->codec_id) {
    case AV_CODEC_ID_H264:
        if ((ret = h264_sps_head(par->extradata, (size_t)FFMAX(par->extradata_size, 0), h)) < 0)
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
