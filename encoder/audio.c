/* Audio: resample whatever the source decodes to the output format, keep
 * it on the output clock (silence over gaps, overlaps dropped), and encode
 * AAC-LC in 1024-sample frames. */
#include "encoder.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <ebur128.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#define STAGE "audio"

struct AudioEncoder {
    AudioConfig cfg;
    AVCodecContext *enc;
    AVCodecParameters *par;
    SwrContext *swr;
    AVAudioFifo *fifo;
    int64_t out_pos;          /* output samples put into the fifo so far (the clock) */
    int64_t encoded;          /* output samples sent to the encoder */
    int64_t discard;          /* samples still to drop before encoding (a resumed run) */
    AVFrame *frame;           /* one encoder frame */
    AVFrame *converted;
    int64_t gaps, overlaps;
    /* loudness normalisation */
    ebur128_state *meter;
    float *interleaved;
    double gain_db;           /* applied now, moving toward what the meter asks */
};

/* Programs arrive at different levels; the channel goes out at one. The
 * short-term loudness (3 s, EBU R128) sets a gain that moves at most
 * GAIN_SLEW_DB a second, so a program's own dynamics stay, and silence
 * (below the R128 gate) holds the gain where it is. */
#define GAIN_MAX_DB 24.0
#define GAIN_SLEW_DB 6.0
#define SILENCE_LUFS -70.0

static void normalise(AudioEncoder *a, AVFrame *f)
{
    int ch = a->cfg.channels, n = f->nb_samples;
    double st, gain;

    /* the meter hears the input: the gain is what takes it to the target */
    for (int i = 0; i < n; i++)
        for (int c = 0; c < ch; c++)
            a->interleaved[i * ch + c] = ((const float *)f->data[c])[i];
    ebur128_add_frames_float(a->meter, a->interleaved, (size_t)n);
    if (ebur128_loudness_shortterm(a->meter, &st) == EBUR128_SUCCESS && st > SILENCE_LUFS) {
        double want = av_clipd(a->cfg.loudness - st, -GAIN_MAX_DB, GAIN_MAX_DB);
        double step = GAIN_SLEW_DB * n / a->cfg.sample_rate;
        a->gain_db = av_clipd(want, a->gain_db - step, a->gain_db + step);
    }
    gain = pow(10, a->gain_db / 20);
    for (int c = 0; c < ch; c++) {
        float *d = (float *)f->data[c];
        for (int i = 0; i < n; i++) {
            /* a soft ceiling instead of clipping when the gain is up */
            float v = (float)(d[i] * gain);
            d[i] = v > 0.98f ? 0.98f + 0.02f * tanhf((v - 0.98f) / 0.02f)
                 : v < -0.98f ? -0.98f + 0.02f * tanhf((v + 0.98f) / 0.02f) : v;
        }
    }
}

int audio_encoder_new(AudioEncoder **out, const AudioConfig *cfg)
{
    AudioEncoder *a;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    AVChannelLayout out_layout;
    int ret;

    *out = NULL;
    if (!codec)
        return AVERROR_ENCODER_NOT_FOUND;
    a = calloc(1, sizeof(*a));
    if (!a)
        return AVERROR(ENOMEM);
    a->cfg = *cfg;
    memset(&a->cfg.in_layout, 0, sizeof(a->cfg.in_layout));
    if ((ret = av_channel_layout_copy(&a->cfg.in_layout, &cfg->in_layout)) < 0)
        goto fail;
    av_channel_layout_default(&out_layout, cfg->channels);

    a->enc = avcodec_alloc_context3(codec);
    a->par = avcodec_parameters_alloc();
    a->frame = av_frame_alloc();
    a->converted = av_frame_alloc();
    if (!a->enc || !a->par || !a->frame || !a->converted) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    a->enc->sample_rate = cfg->sample_rate;
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->enc->bit_rate = cfg->bitrate;
    a->enc->profile = CODEC_PROFILE(AAC_LOW);
    a->enc->time_base = (AVRational){ 1, cfg->sample_rate };
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;   /* AudioSpecificConfig for the muxers */
    if ((ret = av_channel_layout_copy(&a->enc->ch_layout, &out_layout)) < 0)
        goto fail;
    if ((ret = avcodec_open2(a->enc, codec, NULL)) < 0) {
        log_msg(LOG_ERROR, cfg->channel, STAGE, "cannot open the AAC encoder: %s", ERRSTR(ret));
        goto fail;
    }
    if ((ret = avcodec_parameters_from_context(a->par, a->enc)) < 0)
        goto fail;

    if ((ret = swr_alloc_set_opts2(&a->swr, &out_layout, AV_SAMPLE_FMT_FLTP, cfg->sample_rate,
                                   &a->cfg.in_layout, cfg->in_fmt, cfg->in_sample_rate, 0, NULL)) < 0 ||
        (ret = swr_init(a->swr)) < 0) {
        log_msg(LOG_ERROR, cfg->channel, STAGE, "cannot resample %d Hz %d channels to %d Hz %d channels: %s",
                cfg->in_sample_rate, cfg->in_layout.nb_channels, cfg->sample_rate, cfg->channels,
                ERRSTR(ret));
        goto fail;
    }
    a->out_pos = a->encoded = cfg->start_pts;
    if (cfg->start_pts > 0) {
        /* The earlier run published every packet that starts before its
         * last boundary; start_pts is that boundary rounded down, so a packet
         * starting right on it may be the earlier run's too. The first
         * packet comes initial_padding before the first sample. */
        int64_t fs = a->enc->frame_size, pad = a->enc->initial_padding;
        a->encoded = ((cfg->start_pts + pad) / fs + 1) * fs;
        a->discard = a->encoded - cfg->start_pts;
    }
    if (cfg->loudness != 0) {
        a->meter = ebur128_init((unsigned)cfg->channels, (unsigned long)cfg->sample_rate, EBUR128_MODE_S);
        a->interleaved = malloc(sizeof(float) * (size_t)cfg->channels * (size_t)a->enc->frame_size);
        if (!a->meter || !a->interleaved) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
    }
    a->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, cfg->channels, a->enc->frame_size * 4);
    if (!a->fifo) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    *out = a;
    return 0;
fail:
    audio_encoder_free(&a);
    return ret;
}

const AVCodecParameters *audio_encoder_codecpar(const AudioEncoder *a)
{
    return a->par;
}

static int receive_packets(AudioEncoder *a, Queue *out)
{
    while (1) {
        AVPacket *pkt = av_packet_alloc();
        int ret;
        if (!pkt)
            return AVERROR(ENOMEM);
        ret = avcodec_receive_packet(a->enc, pkt);
        if (ret < 0) {
            av_packet_free(&pkt);
            return ret == AVERROR(EAGAIN) ? 0 : ret;
        }
        pkt->stream_index = a->cfg.rendition;
        pkt->time_base = a->enc->time_base;
        if ((ret = queue_send(out, pkt)) < 0) {
            av_packet_free(&pkt);
            return ret;
        }
    }
}

/* Encodes whole frames from the fifo; at the end (flush) the rest, padded. */
static int encode_fifo(AudioEncoder *a, Queue *out, int flush)
{
    int fs = a->enc->frame_size;
    int ret;

    if (a->discard > 0) {
        int n = (int)FFMIN(a->discard, av_audio_fifo_size(a->fifo));
        if ((ret = av_audio_fifo_drain(a->fifo, n)) < 0)
            return ret;
        a->discard -= n;
    }
    while (av_audio_fifo_size(a->fifo) >= fs || (flush && av_audio_fifo_size(a->fifo) > 0)) {
        int n = FFMIN(fs, av_audio_fifo_size(a->fifo));
        av_frame_unref(a->frame);
        a->frame->nb_samples = n;
        a->frame->format = AV_SAMPLE_FMT_FLTP;
        a->frame->sample_rate = a->cfg.sample_rate;
        if ((ret = av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout)) < 0 ||
            (ret = av_frame_get_buffer(a->frame, 0)) < 0)
            return ret;
        if (av_audio_fifo_read(a->fifo, (void **)a->frame->data, n) != n)
            return AVERROR_BUG;
        a->frame->pts = a->encoded;
        a->encoded += n;
        if (a->meter)
            normalise(a, a->frame);
        if ((ret = avcodec_send_frame(a->enc, a->frame)) < 0)
            return ret;
        if ((ret = receive_packets(a, out)) < 0)
            return ret;
    }
    return 0;
}

/* n samples of silence, each encoder frame's worth encoded before the next
 * is written: however long a gap, the fifo stays small. */
static int push_silence(AudioEncoder *a, Queue *out, int64_t n)
{
    while (n > 0) {
        int chunk = (int)FFMIN(n, a->enc->frame_size);
        int ret;
        if ((ret = audio_fifo_write_silence(a->fifo, a->cfg.channels, chunk)) < 0)
            return ret;
        a->out_pos += chunk;
        n -= chunk;
        if ((ret = encode_fifo(a, out, 0)) < 0)
            return ret;
    }
    return 0;
}

/* Resamples one input frame (or flushes the resampler: in NULL) into the
 * fifo, skipping the first `skip` output samples. */
static int resample(AudioEncoder *a, const AVFrame *in, int64_t skip)
{
    int max_out = swr_get_out_samples(a->swr, in ? in->nb_samples : 0);
    int n, ret;

    if (max_out <= 0)
        return 0;
    av_frame_unref(a->converted);
    a->converted->nb_samples = max_out;
    a->converted->format = AV_SAMPLE_FMT_FLTP;
    if ((ret = av_channel_layout_copy(&a->converted->ch_layout, &a->enc->ch_layout)) < 0 ||
        (ret = av_frame_get_buffer(a->converted, 0)) < 0)
        return ret;
    n = swr_convert(a->swr, a->converted->data, max_out,
                    in ? (const uint8_t **)in->extended_data : NULL, in ? in->nb_samples : 0);
    if (n < 0)
        return n;
    if (skip >= n)
        return 0;
    if ((ret = audio_fifo_write_frame(a->fifo, a->converted, (int)skip, n - (int)skip)) < 0)
        return ret;
    a->out_pos += n - skip;
    return 0;
}

/* Where the first sample of `in` belongs on the output clock, against where
 * the clock is (with what the resampler holds): silence fills a gap, an
 * overlap is dropped. Jitter under two encoder frames is left alone. */
static int place_frame(AudioEncoder *a, const AVFrame *in, Queue *out)
{
    AudioPlacement pl;
    int64_t target;
    int ret;

    if (in->pts == AV_NOPTS_VALUE)
        return resample(a, in, 0);
    target = av_rescale(in->pts, a->cfg.sample_rate, in->sample_rate);
    pl = audio_place(a->out_pos + swr_get_delay(a->swr, a->cfg.sample_rate), target,
                     2 * a->enc->frame_size);
    if (pl.silence > 0) {
        if (a->out_pos > a->cfg.start_pts)
            a->gaps++;
        if ((ret = push_silence(a, out, pl.silence)) < 0)
            return ret;
    }
    if (pl.skip > 0 && target >= a->cfg.start_pts)
        a->overlaps++;
    return resample(a, in, pl.skip);
}

int audio_encoder_run(AudioEncoder *a, Queue *in, Queue *out)
{
    void *item;
    int ret = 0;

    while (queue_receive(in, &item) == 0) {
        AVFrame *f = item;
        ret = place_frame(a, f, out);
        av_frame_free(&f);
        if (ret < 0 || (ret = encode_fifo(a, out, 0)) < 0)
            goto end;
    }
    if ((ret = resample(a, NULL, 0)) < 0 || (ret = encode_fifo(a, out, 1)) < 0)
        goto end;
    if ((ret = avcodec_send_frame(a->enc, NULL)) < 0)
        goto end;
    ret = receive_packets(a, out);
    if (ret == AVERROR_EOF)
        ret = queue_send_end_of_stream(out, a->cfg.rendition);
    if (a->gaps || a->overlaps)
        log_msg(LOG_NOTICE, a->cfg.channel, STAGE, "audio timestamps: %" PRId64 " gaps filled with "
                "silence, %" PRId64 " overlaps dropped", a->gaps, a->overlaps);
end:
    if (ret < 0 && ret != AVERROR_EOF)
        log_msg(LOG_ERROR, a->cfg.channel, STAGE, "audio encoding failed: %s", ERRSTR(ret));
    queue_close(out);
    return ret;
}

void audio_encoder_free(AudioEncoder **pa)
{
    AudioEncoder *a = *pa;

    if (!a)
        return;
    avcodec_free_context(&a->enc);
    avcodec_parameters_free(&a->par);
    swr_free(&a->swr);
    if (a->fifo)
        av_audio_fifo_free(a->fifo);
    av_frame_free(&a->frame);
    av_frame_free(&a->converted);
    if (a->meter)
        ebur128_destroy(&a->meter);
    free(a->interleaved);
    av_channel_layout_uninit(&a->cfg.in_layout);
    free(a);
    *pa = NULL;
}
