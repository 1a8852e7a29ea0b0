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
#include "graph/graph.h"

#define STAGE "transcode"

typedef struct Options {
    const char *input, *outdir;
    Rung rungs[LADDER_MAX];
    int nrungs;
    unsigned formats;
    const char *format_name;
    int64_t segment_us, timeout_us;
    const char *encoder, *fallback, *preset;
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
    char encoders[128], fallbacks[64];

    choice_list(encoder_choice_names, encoders, sizeof(encoders));
    choice_list(encoder_fallback_names, fallbacks, sizeof(fallbacks));
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
           "      --encoder E         %s (default " ENCODER_CHOICE_DEFAULT ": the first\n"
           "                          usable hardware encoder, else x264)\n"
           "      --fallback F        %s: what replaces a hardware encoder that fails\n"
           "                          while encoding (default " ENCODER_FALLBACK_DEFAULT ", with a warning)\n"
           "      --preset P          x264 preset, mapped for hardware (default " PRESET_DEFAULT ")\n"
           "      --timeout DUR       an input silent this long has ended: a live URL whose\n"
           "                          sender stopped, a dead server (default 10s)\n"
           "  -y, --overwrite         replace the output of an earlier run in OUTDIR\n"
           "  -q, --quiet             no progress, no notices (errors and warnings stay)\n"
           "      --progress json     one JSON object a second on stdout\n"
           "      --log-format json   " LOG_FORMAT_HELP "\n"
           "  -v, --verbose           more detail\n", CONF_DEFAULT_LADDER, encoders, fallbacks);
}

static int parse_options(int argc, char **argv, Options *o)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "ladder", required_argument, NULL, 'l' },
        { "format", required_argument, NULL, 'f' },
        { "segment", required_argument, NULL, 's' },
        { "encoder", required_argument, NULL, 'e' },
        { "fallback", required_argument, NULL, 'F' },
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
    o->encoder = ENCODER_CHOICE_DEFAULT;
    o->fallback = ENCODER_FALLBACK_DEFAULT;
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
        case 'F':
            o->fallback = optarg;
            break;
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
            if (parse_log_format("transcode", optarg, &o->json_log))
                return EXIT_USAGE;
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
        choice_list(output_format_names, list, sizeof(list));
        return usage_error("transcode", "--format: '%s' is not one of %s", o->format_name, list);
    }
    if (preset_index(o->preset) < 0) {
        choice_list(preset_names, list, sizeof(list));
        return usage_error("transcode", "--preset: '%s' is not a preset (%s)", o->preset, list);
    }
    if (choice_index(encoder_choice_names, o->encoder) < 0) {
        choice_list(encoder_choice_names, list, sizeof(list));
        return usage_error("transcode", "--encoder: '%s' is not an encoder (%s)", o->encoder, list);
    }
    if (choice_index(encoder_fallback_names, o->fallback) < 0) {
        choice_list(encoder_fallback_names, list, sizeof(list));
        return usage_error("transcode", "--fallback: '%s' is not one of %s", o->fallback, list);
    }
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

/* ---- progress ---- */

typedef struct Progress {
    const Options *o;
    Graph *g;
    AVRational fps;
    int64_t duration_us;
    int64_t started_us, last_report_us;
    int tty;
} Progress;

static void format_eta(char *out, size_t size, double s)
{
    int t = s < 0 ? 0 : (int)(s + 0.5);
    snprintf(out, size, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
}

static void report_progress(const Progress *pr, int final)
{
    const Options *o = pr->o;
    int64_t frames = graph_frames_encoded(pr->g), duration_us = pr->duration_us;
    double elapsed = (clock_monotonic_us() - pr->started_us) / 1e6;
    double media, percent = -1, speed, rate, eta = -1;
    char line[256], eta_s[32];

    media = frames * av_q2d(av_inv_q(pr->fps));
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
    if (pr->tty && !o->quiet && !o->json_log) {
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

/* The graph's tick: progress, and a second Ctrl-C stops at once. */
static int progress_tick(void *opaque)
{
    Progress *pr = opaque;
    int64_t now = clock_monotonic_us();

    if (atomic_load(&stop_requests) > 1)
        return AVERROR_EXIT;   /* the playlists stay as they were */
    if (now - pr->last_report_us >= (pr->o->json_progress ? 1000000 : 250000)) {
        report_progress(pr, 0);
        pr->last_report_us = now;
    }
    return 0;
}

/* ---- the command ---- */

static void describe_plan(const Options *o, const SourceInfo *si, const Graph *g)
{
    char ladder[1024] = "";
    size_t n = 0;

    for (int i = 0; i < graph_nrungs(g) && n < sizeof(ladder); i++) {
        GraphRungInfo r, from;
        char size[32];
        graph_rung_info(g, i, &r);
        if (r.parent >= 0)
            graph_rung_info(g, r.parent, &from);
        snprintf(size, sizeof(size), "%dx%d", r.width, r.height);
        n += (size_t)snprintf(ladder + n, sizeof(ladder) - n, "%s%s%s%s %" PRId64 "k%s%s",
                              i ? ", " : "", r.name, strcmp(size, r.name) ? " " : "",
                              strcmp(size, r.name) ? size : "", r.bitrate / 1000,
                              r.parent >= 0 ? " scaled from " : "", r.parent >= 0 ? from.name : "");
    }
    char duration[32] = "live (no duration)";

    if (si->duration_us > 0)
        snprintf(duration, sizeof(duration), "%.3f s", si->duration_us / 1e6);
    log_msg(LOG_NOTICE, "", STAGE, "%s: %s %dx%d %.3f fps%s%s%s%s, %s", o->input, si->video_codec,
            si->width, si->height, av_q2d(si->fps), si->interlaced ? " interlaced" : "",
            si->has_audio ? ", " : ", no audio", si->has_audio ? si->audio_codec : "",
            si->has_audio ? " audio" : "", duration);
    log_msg(LOG_NOTICE, "", STAGE, "ladder: %s; %s, %s, %.3f s segments", ladder, graph_backend(g)->name,
            o->format_name, o->segment_us / 1e6);
}

/* Keeps the rungs the source can fill, fitted to its aspect; a source
 * smaller than every rung gets one rung at its own size. */
static int plan_ladder(const Options *o, const SourceInfo *si, GraphRung *rungs)
{
    int n = 0, display_h = si->height;

    for (int i = 0; i < o->nrungs; i++) {
        const Rung *r = &o->rungs[i];
        if (r->height > display_h) {
            log_msg(LOG_NOTICE, "", STAGE, "rung %s (%dx%d) is left out: the source is only %d lines high",
                    r->name, r->width, r->height, display_h);
            continue;
        }
        rungs[n] = (GraphRung){ .name = r->name, .bitrate = r->bitrate };
        rung_fit(si->width, si->height, si->sar, r->width, r->height, &rungs[n].width, &rungs[n].height);
        n++;
    }
    if (n == 0) {
        const Rung *smallest = &o->rungs[0];
        for (int i = 1; i < o->nrungs; i++)
            if (o->rungs[i].height < smallest->height)
                smallest = &o->rungs[i];
        rungs[0] = (GraphRung){ .name = smallest->name, .bitrate = smallest->bitrate };
        rung_fit(si->width, si->height, si->sar, si->width * 4, si->height, &rungs[0].width,
                 &rungs[0].height);
        log_msg(LOG_NOTICE, "", STAGE, "every rung is taller than the source: one rung %s at %dx%d",
                rungs[0].name, rungs[0].width, rungs[0].height);
        n = 1;
    }
    return n;
}

int cmd_transcode(int argc, char **argv)
{
    Options o;
    Source *source = NULL;
    Graph *g = NULL;
    const SourceInfo *si;
    GraphRung rungs[LADDER_MAX];
    Progress pr = { 0 };
    const EncoderBackend *backend;
    int ret, head, status = EXIT_ERROR;
    struct sigaction sa;

    if ((ret = parse_options(argc, argv, &o)) != 0)
        return ret;
    log_setup(o.verbose ? LOG_INFO : o.quiet ? LOG_WARN : LOG_NOTICE, o.json_log);
    log_capture_libav(o.verbose ? AV_LOG_WARNING : AV_LOG_ERROR);

    GraphEncoder encoder = { .backend = o.encoder, .fallback = o.fallback, .backend_required = 1,
                             .preset = o.preset, .origin = "--encoder" };
    /* an encoder that cannot run fails the job before it reads or writes anything */
    if (graph_pick_backend(&encoder, "", &backend) < 0)
        return EXIT_ERROR;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    SourceConfig sc = { .url = o.input, .channel = "", .interrupt = source_interrupt,
                        .stall_timeout_us = o.timeout_us };
    if ((ret = source_open(&source, &sc)) < 0)
        goto end;
    si = source_info(source);
    if ((ret = prepare_outdir(&o)) < 0)
        goto end;
    if (o.overwrite)
        clear_previous_output(o.outdir);

    AudioConfig audio = {
        .in_sample_rate = si->sample_rate, .in_layout = si->ch_layout, .in_fmt = si->sample_fmt,
        .sample_rate = 48000, .channels = 2, .bitrate = 128000,
    };
    PackagerConfig pc = { .outdir = o.outdir, .formats = o.formats };
    GraphConfig gc = {
        .channel = "", .source = source,
        .fps = si->fps, .grid = { .fps = si->fps, .segment_us = o.segment_us },
        .src_width = si->width, .src_height = si->height,
        .rungs = rungs, .nrungs = plan_ladder(&o, si, rungs),
        .encoder = encoder,
        .cores = cpu_count(),
        .audio = si->has_audio ? &audio : NULL, .packager = &pc,
        .tick = progress_tick, .tick_name = "progress", .opaque = &pr,
    };
    /* the graph owns the source from here, even when it fails */
    ret = graph_new(&g, &gc);
    source = NULL;
    if (ret < 0)
        goto end;
    describe_plan(&o, si, g);

    pr = (Progress){ .o = &o, .g = g, .fps = si->fps, .duration_us = si->duration_us,
                     .started_us = clock_monotonic_us(), .tty = isatty(2) };
    ret = graph_start(g);
    ret = FFMIN(ret, graph_wait(g));
    report_progress(&pr, 1);
    head = graph_head_result(g);

    if (atomic_load(&stop_requests) > 1) {
        log_msg(LOG_ERROR, "", STAGE, "stopped; %s holds the segments written, no new playlist", o.outdir);
        goto end;
    }
    if (ret < 0)
        goto end;
    if (head == AVERROR_EXIT) {
        log_msg(LOG_ERROR, "", STAGE, "stopped at %.3f s by a signal; %s holds a complete playlist "
                "of what was transcoded", packager_progress_us(graph_packager(g)) / 1e6, o.outdir);
        goto end;
    }
    {
        double elapsed = (clock_monotonic_us() - pr.started_us) / 1e6;
        double media = packager_progress_us(graph_packager(g)) / 1e6;
        log_msg(LOG_NOTICE, "", STAGE, "%.3f s transcoded in %.2f s (%.2fx real time); output in %s/%s",
                media, elapsed, elapsed > 0 ? media / elapsed : 0, o.outdir,
                o.formats == FORMAT_DASH ? OUTPUT_MANIFEST : OUTPUT_MASTER);
    }
    /* a truncated input still gave valid output, but the job is not what was asked */
    status = head == AVERROR_INVALIDDATA ? EXIT_ERROR : EXIT_OK;
end:
    graph_free(&g);
    source_free(&source);
    return status;
}
