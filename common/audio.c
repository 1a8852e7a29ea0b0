/* Audio on a sample clock: where a frame goes, and writing it (or the
 * silence before it) into an AVAudioFifo. See common.h. */
#include "common.h"

#include <errno.h>

#include <libavutil/audio_fifo.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/samplefmt.h>

/* Silence is written from one zeroed buffer, this many samples at a time. */
#define SILENCE_CHUNK 4096

static float zeros[SILENCE_CHUNK];   /* only ever read */

AudioPlacement audio_place(int64_t pos, int64_t pts, int64_t tolerance)
{
    AudioPlacement pl = { 0, 0 };
    int64_t diff = pts - pos;

    if (diff > tolerance)
        pl.silence = diff;
    else if (diff < -tolerance)
        pl.skip = -diff;
    return pl;
}

int audio_fifo_write_silence(AVAudioFifo *fifo, int channels, int64_t n)
{
    void **planes;
    int ret = 0;

    if (!fifo || channels < 1 || n < 0)
        return AVERROR(EINVAL);
    if (!n)
        return 0;
    planes = av_malloc_array((size_t)channels, sizeof(*planes));
    if (!planes)
        return AVERROR(ENOMEM);
    for (int c = 0; c < channels; c++)
        planes[c] = zeros;
    while (n > 0) {
        int chunk = (int)FFMIN(n, SILENCE_CHUNK);
        if ((ret = av_audio_fifo_write(fifo, planes, chunk)) < 0)
            break;
        if (ret != chunk) {
            ret = AVERROR(ENOMEM);
            break;
        }
        n -= chunk;
        ret = 0;
    }
    av_free(planes);
    return ret;
}

int audio_fifo_write_frame(AVAudioFifo *fifo, const AVFrame *f, int offset, int n)
{
    int channels = f ? f->ch_layout.nb_channels : 0;
    int bps = f ? av_get_bytes_per_sample(f->format) : 0;
    int planar = f && av_sample_fmt_is_planar(f->format);
    int nplanes = planar ? channels : 1;
    size_t skip = (size_t)offset * (size_t)bps * (size_t)(planar ? 1 : channels);
    void **planes;
    int ret;

    if (!fifo || !f || channels < 1 || bps <= 0 || offset < 0 || n < 0 || offset > f->nb_samples ||
        n > f->nb_samples - offset)
        return AVERROR(EINVAL);
    if (!n)
        return 0;
    planes = av_malloc_array((size_t)nplanes, sizeof(*planes));
    if (!planes)
        return AVERROR(ENOMEM);
    for (int c = 0; c < nplanes; c++)
        planes[c] = f->extended_data[c] + skip;
    ret = av_audio_fifo_write(fifo, planes, n);
    av_free(planes);
    if (ret < 0)
        return ret;
    return ret == n ? 0 : AVERROR(ENOMEM);
}
