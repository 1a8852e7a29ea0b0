/*
 * onair transcode: the wiring of one transcode.
 *
 *   source ──frames──► rung (largest) ──frames──► rung (cascaded) ...
 *     │                   │ packets                  │ packets
 *     └──audio frames──► audio ──packets──► packager ◄┘
 *
 * One thread per stage: the source demuxes and decodes once and puts frames
 * on the output clock; each rung scales (from the source or from a larger
 * rung) and encodes; the audio encoder resamples and encodes AAC; the
 * packager cuts, muxes and writes. They meet only through bounded queues
 * (common/), so the slowest stage sets the pace and memory stays bounded.
 * Any stage that fails aborts every queue, so nobody waits forever.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <libavutil/macros.h>
#include <libavutil/mathematics.h>

#include "common/common.h"
#include "conf/conf.h"
#include "encoder/encoder.h"
#include "packager/packager.h"
#include "transcoder/transcoder.h"

#define STAGE "transcode"
#define FRAME_QUEUE 4
#define AUDIO_QUEUE 64
#define PACKET_QUEUE 256

typedef struct Options {
    const char *input, *outdir;
    Rung rungs[LADDER_MAX];
    int nrungs;
    unsigned formats;
    const char *format_name;
    int64_t segment_us, timeout_us;
    const char *encoder, *preset;
    int overwrite, quiet, verbose, json_progress, json_log;
} Options;

/* ---- signals ---- */

static atomic_int stop_requests;

static void on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&stop_requests, 1);
}

static int source_interrupt(void *opaque)
{
    (void)opaque;
    return atomic_load(&stop_requests) > 0;
}

/* ---- options ---- */

static void print_help(void)
{
    printf("usage: onair transcode INPUT -o OUTDIR [options]\n"
           "\n"
           "INPUT is anything libavformat opens: a file, http(s)://, srt://, udp://, rtmp://.\n"
           "\n"
           "  -o, --output OUTDIR     where master.m3u8 / manifest.mpd and one folder per rung go\n"
           "      --ladder LIST       rungs, comma-separated: 1080p, 720p, 480p, 360p, 240p or\n"
           "                          WxH@BITRATE (default %s). Each rung's picture fits inside\n"
           "                          its box keeping the source's aspect; rungs taller than the\n"
           "                          source are left out.\n"
           "      --format F          hls (MPEG-TS), hls-fmp4, dash, cmaf (default "
           OUTPUT_FORMAT_DEFAULT ")\n"
           "      --segment DUR       segment length: 2, 2s, 500ms, 6s (default "
           AV_STRINGIFY(OUTPUT_SEGMENT_DEFAULT_S) "s)\n"
           "      --encoder E         auto, x264, nvenc, vaapi, qsv (default auto: the first\n"
           "                          usable hardware encoder, else x264)\n"
           "      --preset P          x264 preset, mapped for hardware (default " PRESET_DEFAULT ")\n"
           "      --timeout DUR       an input silent this long has ended: a live URL whose\n"
           "                          sender stopped, a dead server (default 10s)\n"
           "  -y, --overwrite         replace the output of an earlier run in OUTDIR\n"
           "  -q, --quiet             no progress, no notices (errors and warnings stay)\n"
           "      --progress json     one JSON object a second on stdout\n"
           "      --log-format json   log lines as JSON objects on stderr\n"
           "  -v, --verbose           more detail\n", CONF_DEFAULT_LADDER);
}

static int parse_options(int argc, char **argv, Options *o)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "ladder", required_argument, NULL, 'l' },
        { "format", required_argument, NULL, 'f' },
        { "segment", required_argument, NULL, 's' },
        { "encoder", required_argument, NULL, 'e' },
        { "preset", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "overwrite", no_argument, NULL, 'y' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "progress", required_argument, NULL, 'P' },
        { "log-format", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *ladder = CONF_DEFAULT_LADDER;
    char err[256], list[160];
    int c;

    memset(o, 0, sizeof(*o));
    o->format_name = OUTPUT_FORMAT_DEFAULT;
    o->segment_us = OUTPUT_SEGMENT_DEFAULT_S * 1000000LL;
    o->timeout_us = 10000000;
    o->encoder = "auto";
    o->preset = PRESET_DEFAULT;
    opterr = 0;
    optind = 1;
    /* '+' would stop at INPUT; permuting lets INPUT stand anywhere */
    while ((c = getopt_long(argc, argv, ":o:yqvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o->outdir = optarg; break;
        case 'l': ladder = optarg; break;
        case 'f': o->format_name = optarg; break;
        case 's':
            if (conf_parse_duration(optarg, &o->segment_us, err, sizeof(err)) < 0)
                return usage_error("transcode", "--segment: %s", err);
            if (o->segment_us < 100000 || o->segment_us > 60000000)
                return usage_error("transcode", "--segment: %s is out of range (100ms to 60s)", optarg);
            break;
        case 't':
            if (conf_parse_duration(optarg, &o->timeout_us, err, sizeof(err)) < 0)
                return usage_error("transcode", "--timeout: %s", err);
            break;
        case 'e': o->encoder = optarg; break;
        case 'p': o->preset = optarg; break;
        case 'y': o->overwrite = 1; break;
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose = 1; break;
        case 'P':
            if (strcmp(optarg, "json"))
                return usage_error("transcode", "--progress: '%s' is not a progress format (json)", optarg);
            o->json_progress = 1;
            break;
        case 'L':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                return usage_error("transcode", "--log-format: '%s' is not text or json", optarg);
            o->json_log = !strcmp(optarg, "json");
            break;
        case 'h':
            print_help();
            exit(EXIT_OK);
        case ':':
            return usage_error("transcode", "%s needs a value", argv[optind - 1]);
        default:
            return usage_error("transcode", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("transcode", "INPUT is missing");
    if (optind + 1 < argc)
        return usage_error("transcode", "one INPUT only; '%s' is extra", argv[optind + 1]);
    o->input = argv[optind];
    if (!o->outdir || !o->outdir[0])
        return usage_error("transcode", "-o OUTDIR is missing");
    if (conf_parse_ladder(ladder, o->rungs, &o->nrungs, err, sizeof(err)) < 0)
        return usage_error("transcode", "--ladder: %s", err);
    o->formats = output_format_parse(o->format_name);
    if (!o->formats) {
        list[0] = 0;
        for (int i = 0; output_format_names[i]; i++)
            av_strlcatf(list, sizeof(list), "%s%s", i ? ", " : "", output_format_names[i]);
        return usage_error("transcode", "--format: '%s' is not one of %s", o->format_name, list);
    }
    if (preset_index(o->preset) < 0) {
        preset_list(list, sizeof(list));
        return usage_error("transcode", "--preset: '%s' is not a preset (%s)", o->preset, list);
    }
    if (strcmp(o->encoder, "auto") && !encoder_backend_find(o->encoder))
        return usage_error("transcode", "--encoder: '%s' is not an encoder (auto, x264, nvenc, "
                           "vaapi, qsv)", o->encoder);
    return 0;
}

/* ---- the output folder ---- */

/* A file of the output tree (top: at OUTDIR's top, else in a rendition's
 * folder), or one the sink left half written under its name. */
static int is_our_file(const char *name, int top)
{
    char written[256];
    size_t n = strlen(name), tmp = strlen(OUTPUT_TMP_SUFFIX);
    OutputName on;

    if (n > tmp && n - tmp < sizeof(written) && !strcmp(name + n - tmp, OUTPUT_TMP_SUFFIX)) {
        memcpy(written, name, n - tmp);
        written[n - tmp] = 0;
        name = written;
    }
    return output_name_parse(name, &on) >= 0 && on.top == top;
}

/* With -y: removes what an earlier onair run wrote (playlists, manifest,
 * segment folders), and nothing else. */
static int clear_previous_output(const char *outdir)
{
    DIR *d = opendir(outdir);
    struct dirent *e;
    char path[4096], file[4096];

    if (!d)
        return AVERROR(errno);
    while ((e = readdir(d))) {
        struct stat st;
        DIR *sub;
        struct dirent *f;
        if (e->d_name[0] == '.')
            continue;
        if (path_join(path, sizeof(path), outdir, e->d_name) < 0 || stat(path, &st) < 0)
            continue;
        if (S_ISREG(st.st_mode) && is_our_file(e->d_name, 1))
            unlink(path);
        if (!S_ISDIR(st.st_mode) || !(sub = opendir(path)))
            continue;
        while ((f = readdir(sub)))
            if (is_our_file(f->d_name, 0) && path_join(file, sizeof(file), path, f->d_name) >= 0)
                unlink(file);
        closedir(sub);
        rmdir(path);   /* only if nothing else was in it */
    }
    closedir(d);
    return 0;
}

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int empty = 1;

    if (!d)
        return 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = 0;
    closedir(d);
    return empty;
}

/* Makes sure OUTDIR can take the output before any work starts. */
static int prepare_outdir(const Options *o)
{
    struct stat st;
    char probe[4200];
    FILE *f;
    int ret;

    if (stat(o->outdir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            log_msg(LOG_ERROR, "", STAGE, "-o %s: exists and is not a directory", o->outdir);
            return AVERROR(ENOTDIR);
        }
        if (!o->overwrite && !dir_is_empty(o->outdir)) {
            log_msg(LOG_ERROR, "", STAGE, "-o %s: exists and is not empty (use -y to overwrite)",
                    o->outdir);
            return AVERROR(EEXIST);
        }
    }
    if ((ret = path_mkdirs(o->outdir)) < 0) {
        log_msg(LOG_ERROR, "", STAGE, "-o %s: cannot create it: %s", o->outdir, ERRSTR(ret));
        return ret;
    }
    snprintf(probe, sizeof(probe), "%s/.onair-write-test", o->outdir);
    f = fopen(probe, "w");
    if (!f) {
        ret = AVERROR(errno);
        log_msg(LOG_ERROR, "", STAGE, "-o %s: not writable: %s", o->outdir, ERRSTR(ret));
        return ret;
    }
    fclose(f);
    unlink(probe);
    return 0;
}

/* ---- the graph ---- */

typedef struct Graph {
    Source *source;
    RungEncoder *rungs[LADDER_MAX];
    int nrungs;
    int parent[LADDER_MAX];
    AudioEncoder *audio;
    Packager *packager;

    Queue *rung_in[LADDER_MAX];     /* frames into each rung */
    Queue *audio_in;
    Queue *packets;

    pthread_t threads[LADDER_MAX + 3];
    int nthreads;
    atomic_int running;
    int source_ret, rung_ret[LADDER_MAX], audio_ret, packager_ret;
} Graph;

typedef struct Job {
    Graph *g;
    int index;
} Job;

static void graph_abort(Graph *g)
{
    for (int i = 0; i < g->nrungs; i++)
        queue_abort(g->rung_in[i]);
    if (g->audio_in)
        queue_abort(g->audio_in);
    queue_abort(g->packets);
}

static int failed(int ret)
{
    return ret < 0 && ret != AVERROR_EOF && ret != AVERROR_EXIT && ret != AVERROR_INVALIDDATA;
}

static void *source_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;
    Queue *roots[LADDER_MAX];
    int n = 0;

    thread_set_name("source");
    for (int i = 0; i < g->nrungs; i++)
        if (g->parent[i] < 0)
            roots[n++] = g->rung_in[i];
    g->source_ret = source_run(g->source, roots, n, g->audio_in);
    if (failed(g->source_ret))
        graph_abort(g);
    atomic_fetch_sub(&g->running, 1);
    return NULL;
}

static void *rung_thread(void *arg)
{
    Job *j = arg;
    Graph *g = j->g;
    Queue *children[LADDER_MAX];
    int n = 0;

    for (int i = 0; i < g->nrungs; i++)
        if (g->parent[i] == j->index)
            children[n++] = g->rung_in[i];
    g->rung_ret[j->index] = rung_encoder_run(g->rungs[j->index], g->rung_in[j->index], children, n,
                                             g->packets);
    if (failed(g->rung_ret[j->index]))
        graph_abort(g);
    atomic_fetch_sub(&g->running, 1);
    return NULL;
}

static void *audio_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;

    thread_set_name("audio");
    g->audio_ret = audio_encoder_run(g->audio, g->audio_in, g->packets);
    if (failed(g->audio_ret))
        graph_abort(g);
    atomic_fetch_sub(&g->running, 1);
    return NULL;
}

static void *packager_thread(void *arg)
{
    Graph *g = ((Job *)arg)->g;

    thread_set_name("packager");
    g->packager_ret = packager_run(g->packager, g->packets);
    if (g->packager_ret < 0)
        graph_abort(g);
    atomic_fetch_sub(&g->running, 1);
    return NULL;
}

/* ---- progress ---- */

static void format_eta(char *out, size_t size, double s)
{
    int t = s < 0 ? 0 : (int)(s + 0.5);
    snprintf(out, size, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
}

static void report_progress(const Options *o, const Graph *g, AVRational fps, int64_t duration_us,
                            int64_t started_us, int final, int tty)
{
    int64_t frames = INT64_MAX;
    double elapsed = (clock_monotonic_us() - started_us) / 1e6;
    double media, percent = -1, speed, rate, eta = -1;
    char line[256], eta_s[32];

    for (int i = 0; i < g->nrungs; i++)
        frames = FFMIN(frames, rung_encoder_frames(g->rungs[i]));
    if (frames == INT64_MAX)
        frames = 0;
    media = frames * av_q2d(av_inv_q(fps));
    speed = elapsed > 0 ? media / elapsed : 0;
    rate = elapsed > 0 ? frames / elapsed : 0;
    if (duration_us > 0) {
        percent = FFMIN(100.0, 100.0 * media / (duration_us / 1e6));
        if (speed > 0)
            eta = (duration_us / 1e6 - media) / speed;
    }
    if (final)
        percent = duration_us > 0 ? percent : -1, eta = 0;
    if (o->json_progress) {
        printf("{\"state\":\"%s\",\"frames\":%" PRId64 ",\"time\":%.3f,\"duration\":%.3f,"
               "\"percent\":%.1f,\"fps\":%.1f,\"speed\":%.2f,\"eta\":%.1f,\"elapsed\":%.1f}\n",
               final ? "done" : "running", frames, media, duration_us / 1e6,
               percent < 0 ? 0 : percent, rate, speed, eta < 0 ? -1 : eta, elapsed);
        fflush(stdout);
    }
    if (tty && !o->quiet && !o->json_log) {
        format_eta(eta_s, sizeof(eta_s), eta);
        if (percent >= 0)
            snprintf(line, sizeof(line), "%5.1f%%  %" PRId64 " frames  %.0f fps  %.2fx  eta %s",
                     percent, frames, rate, speed, eta < 0 ? "-" : eta_s);
        else
            snprintf(line, sizeof(line), "%.1f s  %" PRId64 " frames  %.0f fps  %.2fx", media,
                     frames, rate, speed);
        log_status(final ? NULL : line);
    }
}

/* ---- the command ---- */

static void describe_plan(const Options *o, const SourceInfo *si, const Graph *g, const Rung *rungs,
                          const int *w, const int *h, const EncoderBackend *b)
{
    char ladder[1024] = "";
    size_t n = 0;

    for (int i = 0; i < g->nrungs && n < sizeof(ladder); i++) {
        char size[32];
        snprintf(size, sizeof(size), "%dx%d", w[i], h[i]);
        n += (size_t)snprintf(ladder + n, sizeof(ladder) - n, "%s%s%s%s %" PRId64 "k%s%s",
                              i ? ", " : "", rungs[i].name, strcmp(size, rungs[i].name) ? " " : "",
                              strcmp(size, rungs[i].name) ? size : "", rungs[i].bitrate / 1000,
                              g->parent[i] >= 0 ? " scaled from " : "",
                              g->parent[i] >= 0 ? rungs[g->parent[i]].name : "");
    }
    char duration[32] = "live (no duration)";

    if (si->duration_us > 0)
        snprintf(duration, sizeof(duration), "%.3f s", si->duration_us / 1e6);
    log_msg(LOG_NOTICE, "", STAGE, "%s: %s %dx%d %.3f fps%s%s%s%s, %s", o->input, si->video_codec,
            si->width, si->height, av_q2d(si->fps), si->interlaced ? " interlaced" : "",
            si->has_audio ? ", " : ", no audio", si->has_audio ? si->audio_codec : "",
            si->has_audio ? " audio" : "", duration);
    log_msg(LOG_NOTICE, "", STAGE, "ladder: %s; %s, %s, %.3f s segments", ladder, b->name,
            o->format_name, o->segment_us / 1e6);
}

/* Keeps the rungs the source can fill, fitted to its aspect; a source
 * smaller than every rung gets one rung at its own size. */
static int plan_ladder(const Options *o, const SourceInfo *si, Rung *rungs, int *w, int *h)
{
    int n = 0, display_h = si->height;

    for (int i = 0; i < o->nrungs; i++) {
        if (o->rungs[i].height > display_h) {
            log_msg(LOG_NOTICE, "", STAGE, "rung %s (%dx%d) is left out: the source is only %d lines high",
                    o->rungs[i].name, o->rungs[i].width, o->rungs[i].height, display_h);
            continue;
        }
        rungs[n] = o->rungs[i];
        rung_fit(si->width, si->height, si->sar, rungs[n].width, rungs[n].height, &w[n], &h[n]);
        n++;
    }
    if (n == 0) {
        const Rung *smallest = &o->rungs[0];
        for (int i = 1; i < o->nrungs; i++)
            if (o->rungs[i].height < smallest->height)
                smallest = &o->rungs[i];
        rungs[0] = *smallest;
        rung_fit(si->width, si->height, si->sar, si->width * 4, si->height, &w[0], &h[0]);
        log_msg(LOG_NOTICE, "", STAGE, "every rung is taller than the source: one rung %s at %dx%d",
                rungs[0].name, w[0], h[0]);
        n = 1;
    }
    return n;
}

static void graph_free(Graph *g)
{
    for (int i = 0; i < g->nrungs; i++) {
        rung_encoder_free(&g->rungs[i]);
        queue_free(&g->rung_in[i]);
    }
    audio_encoder_free(&g->audio);
    packager_free(&g->packager);
    queue_free(&g->audio_in);
    queue_free(&g->packets);
    source_free(&g->source);
}

int cmd_transcode(int argc, char **argv)
{
    Options o;
    Graph g;
    Job jobs[LADDER_MAX + 3];
    const EncoderBackend *backend;
    const SourceInfo *si;
    Rung rungs[LADDER_MAX];
    int w[LADDER_MAX], h[LADDER_MAX], threads[LADDER_MAX];
    PackagerStream vstreams[LADDER_MAX], astream;
    char reason[256];
    int ret, status = EXIT_ERROR, tty = isatty(2), cores = cpu_count();
    int64_t started, last_report = 0;
    SegmentGrid grid;
    struct sigaction sa;

    memset(&g, 0, sizeof(g));
    if ((ret = parse_options(argc, argv, &o)) != 0)
        return ret;
    log_setup(o.verbose ? LOG_INFO : o.quiet ? LOG_WARN : LOG_NOTICE, o.json_log);
    log_capture_libav(o.verbose ? AV_LOG_WARNING : AV_LOG_ERROR);

    if (encoder_backend_pick(o.encoder, &backend, reason, sizeof(reason)) < 0) {
        log_msg(LOG_ERROR, "", STAGE, "--encoder %s: not usable on this host: %s", o.encoder, reason);
        return EXIT_ERROR;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    SourceConfig sc = { .url = o.input, .channel = "", .interrupt = source_interrupt,
                        .stall_timeout_us = o.timeout_us };
    if ((ret = source_open(&g.source, &sc)) < 0)
        goto end;
    si = source_info(g.source);
    if ((ret = prepare_outdir(&o)) < 0)
        goto end;
    if (o.overwrite)
        clear_previous_output(o.outdir);

    g.nrungs = plan_ladder(&o, si, rungs, w, h);
    encoder_plan_cascade(w, h, g.nrungs, si->width, si->height, g.parent);
    encoder_budget_threads(w, h, g.nrungs, cores, threads);
    if ((ret = source_set_one_thread_decode_pps(
             g.source, encoder_budget_decode(w, h, g.nrungs, si->fps, cores, backend, o.preset))) < 0)
        goto end;
    grid = (SegmentGrid){ .fps = si->fps, .segment_us = o.segment_us };
    describe_plan(&o, si, &g, rungs, w, h, backend);

    for (int i = 0; i < g.nrungs; i++) {
        RungConfig rc = {
            .backend = backend,
            .fallback = backend->hardware ? &encoder_x264 : NULL,
            .params = {
                .width = w[i], .height = h[i], .fps = si->fps, .bitrate = rungs[i].bitrate,
                .preset = o.preset, .threads = threads[i],
                .max_keyint = grid_max_segment_frames(&grid),
                .channel = "", .name = rungs[i].name,
            },
            .grid = grid,
            .rendition = i,
        };
        if ((ret = rung_encoder_new(&g.rungs[i], &rc)) < 0)
            goto end;
        if ((ret = queue_new(&g.rung_in[i], FRAME_QUEUE, 1, queue_free_frame)) < 0)
            goto end;
        vstreams[i] = (PackagerStream){ .name = rungs[i].name, .par = rung_encoder_codecpar(g.rungs[i]),
                                        .time_base = av_inv_q(si->fps) };
    }
    if (si->has_audio) {
        AudioConfig ac = {
            .in_sample_rate = si->sample_rate, .in_layout = si->ch_layout, .in_fmt = si->sample_fmt,
            .sample_rate = 48000, .channels = 2, .bitrate = 128000,
            .rendition = g.nrungs, .channel = "",
        };
        if ((ret = audio_encoder_new(&g.audio, &ac)) < 0)
            goto end;
        if ((ret = queue_new(&g.audio_in, AUDIO_QUEUE, 1, queue_free_frame)) < 0)
            goto end;
        astream = (PackagerStream){ .name = "audio", .par = audio_encoder_codecpar(g.audio),
                                    .time_base = { 1, 48000 } };
    }
    if ((ret = queue_new(&g.packets, PACKET_QUEUE, g.nrungs + !!g.audio, queue_free_packet)) < 0)
        goto end;
    PackagerConfig pc = {
        .outdir = o.outdir, .channel = "", .formats = o.formats, .grid = grid, .fps = si->fps,
        .video = vstreams, .nvideo = g.nrungs, .audio = g.audio ? &astream : NULL,
    };
    if ((ret = packager_new(&g.packager, &pc)) < 0)
        goto end;

    started = clock_monotonic_us();
    atomic_store(&g.running, 0);
#define START(fn, idx) do { \
        jobs[g.nthreads] = (Job){ &g, (idx) }; \
        atomic_fetch_add(&g.running, 1); \
        if (pthread_create(&g.threads[g.nthreads], NULL, fn, &jobs[g.nthreads])) { \
            atomic_fetch_sub(&g.running, 1); \
            graph_abort(&g); \
            ret = AVERROR(EAGAIN); \
            goto join; \
        } \
        g.nthreads++; \
    } while (0)
    START(packager_thread, 0);
    if (g.audio)
        START(audio_thread, 0);
    for (int i = 0; i < g.nrungs; i++)
        START(rung_thread, i);
    START(source_thread, 0);
#undef START

    while (atomic_load(&g.running) > 0) {
        int64_t now = clock_monotonic_us();
        usleep(100000);
        if (atomic_load(&stop_requests) > 1) {
            /* a second Ctrl-C: stop now; the playlists stay as they were */
            graph_abort(&g);
            break;
        }
        if (now - last_report >= (o.json_progress ? 1000000 : 250000)) {
            report_progress(&o, &g, si->fps, si->duration_us, started, 0, tty);
            last_report = now;
        }
    }
join:
    for (int i = 0; i < g.nthreads; i++)
        pthread_join(g.threads[i], NULL);
    report_progress(&o, &g, si->fps, si->duration_us, started, 1, tty);

    if (ret < 0)
        goto end;
    ret = 0;
    for (int i = 0; i < g.nrungs; i++)
        if (failed(g.rung_ret[i]))
            ret = g.rung_ret[i];
    if (failed(g.audio_ret))
        ret = g.audio_ret;
    if (g.packager_ret < 0)
        ret = g.packager_ret;
    if (failed(g.source_ret))
        ret = g.source_ret;
    if (ret < 0)
        goto end;
    if (atomic_load(&stop_requests) > 1) {
        log_msg(LOG_ERROR, "", STAGE, "stopped; %s holds the segments written, no new playlist", o.outdir);
        goto end;
    }
    if (g.source_ret == AVERROR_EXIT) {
        log_msg(LOG_ERROR, "", STAGE, "stopped at %.3f s by a signal; %s holds a complete playlist "
                "of what was transcoded", packager_progress_us(g.packager) / 1e6, o.outdir);
        goto end;
    }
    {
        double elapsed = (clock_monotonic_us() - started) / 1e6;
        double media = packager_progress_us(g.packager) / 1e6;
        log_msg(LOG_NOTICE, "", STAGE, "%.3f s transcoded in %.2f s (%.2fx real time); output in %s/%s",
                media, elapsed, elapsed > 0 ? media / elapsed : 0, o.outdir,
                o.formats == FORMAT_DASH ? "manifest.mpd" : "master.m3u8");
    }
    /* a truncated input still gave valid output, but the job is not what was asked */
    status = g.source_ret == AVERROR_INVALIDDATA ? EXIT_ERROR : EXIT_OK;
end:
    graph_free(&g);
    return status;
}
