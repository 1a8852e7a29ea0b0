/* What onair reads of H.264 itself: the head of the SPS. */
#include "common.h"

#include <string.h>

#include <libavutil/error.h>

#define NAL_SPS 7

/* The NAL whose header byte is at d[pos] ends where the next start code
 * (00 00 01, or 00 00 00 that begins a four-byte one) begins: H.264 B.2
 * keeps both out of a NAL's body. */
static size_t nal_end(const uint8_t *d, size_t size, size_t pos)
{
    for (size_t k = pos + 1; k + 2 < size; k++)
        if (!d[k] && !d[k + 1] && d[k + 2] <= 1)
            return k;
    return size;
}

int h264_sps_head(const uint8_t *d, size_t size, uint8_t head[3])
{
    if (!d || size < 4)
        return AVERROR_INVALIDDATA;
    if (d[0] == 1) {
        memcpy(head, d + 1, 3);
        return 0;
    }
    for (size_t i = 0; i + 3 < size; i++) {
        size_t end, n = 0;
        int zeros = 0;

        if (d[i] || d[i + 1] || d[i + 2] != 1 || (d[i + 3] & 0x1f) != NAL_SPS)
            continue;
        end = nal_end(d, size, i + 3);
        for (size_t k = i + 4; k < end && n < 3; k++) {
            if (zeros >= 2 && d[k] == 3) {
                zeros = 0;
                continue;
            }
            head[n++] = d[k];
            zeros = d[k] ? 0 : zeros + 1;
        }
        return n == 3 ? 0 : AVERROR_INVALIDDATA;
    }
    return AVERROR_INVALIDDATA;
}
