/* bench/scale: onair's rung scaler against libswscale's bicubic on real
 * decoded frames, alternating the two, at the ratios of a ladder.
 *
 *     build/bench/scale CLIP [WxH[:FROM_WxH]]...
 *
 * CLIP: any video libavformat opens (bench/transcode makes
 * bench/.cache/clip-1080p30-20s.mp4). Each argument after it is a rung,
 * scaled from the clip's frames, or from those frames first scaled to
 * FROM_WxH (a cascade: 640x360:1280x720). Default: the transcode
 * benchmark's ladder. 60 frames, 5 rounds, both scalers on the same
 * frames in turn; prints ms a frame for each, their ratio, and how far
 * apart the two pictures are (PSNR, largest difference).
 *
 * Not a test: run it by hand on an otherwise idle machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "common/common.h"

#define FRAMES 60
#define ROUNDS 5

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static AVFrame *picture(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0)
        av_frame_free(&f);
    return f;
}

static int decode(const char *path, AVFrame **frames)
{
    AVFormatContext *fc = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    int n = 0, vi;

    if (!pkt || avformat_open_input(&fc, path, NULL, NULL) < 0 || avformat_find_stream_info(fc, NULL) < 0 ||
        (vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
        fprintf(stderr, "bench/scale: %s: no video to read\n", path);
        exit(1);
    }
    dec = avcodec_alloc_context3(avcodec_find_decoder(fc->streams[vi]->codecpar->codec_id));
    if (!dec || avcodec_parameters_to_context(dec, fc->streams[vi]->codecpar) < 0 ||
        avcodec_open2(dec, NULL, NULL) < 0) {
        fprintf(stderr, "bench/scale: %s: cannot open its decoder\n", path);
        exit(1);
    }
    while (n < FRAMES && av_read_frame(fc, pkt) >= 0) {
        if (pkt->stream_index == vi && avcodec_send_packet(dec, pkt) >= 0) {
            AVFrame *f = av_frame_alloc();
            while (f && n < FRAMES && avcodec_receive_frame(dec, f) == 0) {
                frames[n++] = f;
                f = av_frame_alloc();
            }
            av_frame_free(&f);
        }
        av_packet_unref(pkt);
    }
    avcodec_free_context(&dec);
    avformat_close_input(&fc);
    av_packet_free(&pkt);
    if (!n || frames[0]->format != AV_PIX_FMT_YUV420P) {
        fprintf(stderr, "bench/scale: %s: needs 8-bit 4:2:0 video\n", path);
        exit(1);
    }
    return n;
}

static double psnr(const AVFrame *a, const AVFrame *b, int *max_diff)
{
    double se = 0;
    long count = 0;

    *max_diff = 0;
    for (int p = 0; p < 3; p++) {
        int w = p ? (a->width + 1) / 2 : a->width, h = p ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int e = a->data[p][y * a->linesize[p] + x] - b->data[p][y * b->linesize[p] + x];
                se += e * e;
                count++;
                *max_diff = e > *max_diff ? e : -e > *max_diff ? -e : *max_diff;
            }
    }
    return se ? 10 * log10(255.0 * 255 * (double)count / se) : 99;
}

static void rung(AVFrame **frames, int n, int w, int h, int from_w, int from_h)
{
    AVFrame *src[FRAMES], *ours = picture(w, h), *ref = picture(w, h);
    int sw = from_w ? from_w : frames[0]->width, sh = from_h ? from_h : frames[0]->height, diff;
    struct SwsContext *sws;
    Scaler *scaler;
    double t_sws = 0, t_ours = 0, db;

    for (int i = 0; i < n; i++) {
        src[i] = frames[i];
        if (from_w) {
            struct SwsContext *pre = sws_getContext(frames[i]->width, frames[i]->height, AV_PIX_FMT_YUV420P, sw,
                                                    sh, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
            src[i] = picture(sw, sh);
            sws_scale(pre, (const uint8_t *const *)frames[i]->data, frames[i]->linesize, 0, frames[i]->height,
                      src[i]->data, src[i]->linesize);
            sws_freeContext(pre);
        }
    }
    sws = sws_getContext(sw, sh, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws || scaler_new(&scaler, w, h, 0) < 0 || !ours || !ref) {
        fprintf(stderr, "bench/scale: %dx%d: cannot set up\n", w, h);
        exit(1);
    }
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now();
        for (int i = 0; i < n; i++)
            sws_scale(sws, (const uint8_t *const *)src[i]->data, src[i]->linesize, 0, sh, ref->data, ref->linesize);
        t_sws += now() - t0;
        t0 = now();
        for (int i = 0; i < n; i++)
            scaler_scale(scaler, src[i], ours);
        t_ours += now() - t0;
    }
    db = psnr(ours, ref, &diff);   /* the last frame of both */
    printf("%4dx%-4d -> %4dx%-4d  libswscale %.3f ms  onair %.3f ms (%s)  ratio %.2f  apart: %.1f dB, at most %d\n",
           sw, sh, w, h, t_sws * 1e3 / (ROUNDS * n), t_ours * 1e3 / (ROUNDS * n), scaler_method(scaler),
           t_ours / t_sws, db, diff);
    scaler_free(&scaler);
    sws_freeContext(sws);
    av_frame_free(&ours);
    av_frame_free(&ref);
    for (int i = 0; from_w && i < n; i++)
        av_frame_free(&src[i]);
}

int main(int argc, char **argv)
{
    static char *ladder[] = { "1280x720", "854x480", "640x360:1280x720", "640x360" };
    AVFrame *frames[FRAMES];
    int n;

    if (argc < 2) {
        fprintf(stderr, "usage: bench/scale CLIP [WxH[:FROM_WxH]]...\n");
        return 2;
    }
    n = decode(argv[1], frames);
    for (int i = 0; i < (argc > 2 ? argc - 2 : 4); i++) {
        const char *spec = argc > 2 ? argv[i + 2] : ladder[i];
        int w, h, fw = 0, fh = 0;
        if (sscanf(spec, "%dx%d:%dx%d", &w, &h, &fw, &fh) < 2 || w < 2 || h < 2) {
            fprintf(stderr, "bench/scale: %s: not WxH or WxH:WxH\n", spec);
            return 2;
        }
        rung(frames, n, w, h, fw, fh);
    }
    for (int i = 0; i < n; i++)
        av_frame_free(&frames[i]);
    return 0;
}
