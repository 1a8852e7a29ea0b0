/* onair run: play channels out until SIGINT/SIGTERM. Every config is
 * checked first, alone and with the others (nothing starts from configs
 * that fail `onair check`); then each channel runs on its own threads, and
 * one failing leaves the others on air. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/log.h>

#include "common/common.h"
#include "conf/conf.h"
#include "sink/sink.h"
#include "schedule/schedule.h"

#define STAGE "run"
#define MAX_CHANNELS 64

static atomic_int signals;

static void on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals, 1);
}

static void print_help(void)
{
    printf("usage: onair run CHANNEL.yaml [CHANNEL.yaml ...] [options]\n"
           "\n"
           "Plays each channel out on the wall clock until SIGINT or SIGTERM, which finish the\n"
           "segment in progress. A restart continues what the output folder holds.\n"
           "\n"
           "  --for DUR             stop by itself after DUR (e.g. 30s, 2h)\n"
           "  -q, --quiet           no notices (errors and warnings stay)\n"
           "  -v, --verbose         more detail (what goes on air, when)\n"
           "      --log-format json log lines as JSON objects on stderr\n");
}

/* The server's limits as conf merged them; 0: the server's default. */
static ServerLimits limits_of(const ConfServer *v)
{
    /* whole seconds already (the loader rounds up) */
    return (ServerLimits){ .connections = v->connections, .per_address = v->per_address,
                           .timeout_s = (int)(v->idle_timeout / 1000000) };
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "for", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "log-format", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ChannelConf *confs[MAX_CHANNELS] = { 0 };
    Channel *chans[MAX_CHANNELS] = { 0 };
    /* one server per listen address, shared by the channels that name it:
     * servers[i] where confs[i] is the first of them (conf_server_of) */
    Server *servers[MAX_CHANNELS] = { 0 };
    ConfReport together = { 0 };
    int nconf = 0, quiet = 0, verbose = 0, json = 0, c, status = EXIT_OK, started = 0;
    int64_t run_for = 0, t0;
    char err[256];
    struct sigaction sa;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (conf_parse_duration(optarg, &run_for, err, sizeof(err)) < 0)
                return usage_error("run", "--for: %s", err);
            break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'L':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                return usage_error("run", "--log-format: '%s' is not text or json", optarg);
            json = !strcmp(optarg, "json");
            break;
        case 'h':
            print_help();
            return EXIT_OK;
        case ':':
            return usage_error("run", "%s needs a value", argv[optind - 1]);
        default:
            return usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("run", "no CHANNEL.yaml given");
    if (argc - optind > MAX_CHANNELS)
        return usage_error("run", "at most %d channels in one process", MAX_CHANNELS);
    log_setup(verbose ? LOG_INFO : quiet ? LOG_WARN : LOG_NOTICE, json);
    log_capture_libav(verbose ? AV_LOG_WARNING : AV_LOG_ERROR);

    /* every config first: nothing starts unless all of them check, alone
     * and together (one id, one output.dir, one server's limits) */
    for (int i = optind; i < argc; i++) {
        ConfReport report = { 0 };
        int ret = conf_load(&confs[nconf], argv[i], &report);
        print_conf_report(&report);
        conf_report_clear(&report);
        if (ret < 0) {
            status = EXIT_ERROR;
            continue;
        }
        nconf++;
    }
    if (conf_check_together(confs, nconf, &together) < 0)
        status = EXIT_ERROR;
    print_conf_report(&together);
    conf_report_clear(&together);
    if (status != EXIT_OK)
        goto end;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < nconf; i++) {
        ConfServer srv;
        ServerLimits limits;
        if (conf_server_of(confs, nconf, i, &srv) != i)
            continue;
        limits = limits_of(&srv);
        if (server_new_limited(&servers[i], srv.listen, NULL, &limits) < 0) {
            /* the server said which address and why */
            status = EXIT_ERROR;
            goto end;
        }
    }
    for (int i = 0; i < nconf; i++) {
        ChannelOptions opt = { .cores = FFMAX(1, cpu_count() / nconf) };
        const char *listen = confs[i]->output.serve.listen;
        ConfServer srv;
        int ret, s = conf_server_of(confs, nconf, i, &srv);
        if (listen)
            opt.utc_timing_url = "/time";
        ret = channel_new(&chans[i], confs[i], &opt);
        if (ret >= 0)
            ret = channel_start(chans[i]);
        if (ret < 0) {
            log_msg(LOG_ERROR, confs[i]->channel, STAGE, "cannot go on air: %s", ERRSTR(ret));
            channel_free(&chans[i]);
            status = EXIT_ERROR;
            continue;
        }
        started++;
        if (listen) {
            char host[260];
            ListenAddr a = { 0 };
            /* the config checked it, and the server bound it */
            listen_parse(listen, &a, NULL, 0);
            if (!a.host[0] || !strcmp(a.host, "0.0.0.0") || !strcmp(a.host, "::"))
                snprintf(host, sizeof(host), "localhost");
            else
                snprintf(host, sizeof(host), a.ipv6 ? "[%s]" : "%s", a.host);
            server_add_channel(servers[s], confs[i]->channel, confs[i]->output.dir);
            /* said whatever -q says: the URL is what the user came for */
            fprintf(stderr, "onair: %s is on air at http://%s:%d/%s/ (playlist: "
                    "http://%s:%d/%s/master.m3u8)\n", confs[i]->channel, host, server_port(servers[s]),
                    confs[i]->channel, host, server_port(servers[s]), confs[i]->channel);
        }
    }
    if (!started)
        goto end;

    t0 = clock_monotonic_us();
    while (1) {
        int running = 0, stopping = atomic_load(&signals) > 0 ||
                                    (run_for > 0 && clock_monotonic_us() - t0 >= run_for);
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        static int stop_sent;

        for (int i = 0; i < nconf; i++)
            running += chans[i] && channel_running(chans[i]);
        if (!running)
            break;
        if (stopping && !stop_sent) {
            log_msg(LOG_NOTICE, "", STAGE, "stopping: finishing the segments in progress");
            for (int i = 0; i < nconf; i++)
                if (chans[i])
                    channel_stop(chans[i]);
            stop_sent = 1;
        }
        if (atomic_load(&signals) > 1) {
            /* a second signal: down at once, the segment in progress lost */
            log_msg(LOG_WARN, "", STAGE, "stopping now");
            status = EXIT_ERROR;
            goto end;
        }
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < nconf; i++) {
        if (!chans[i])
            continue;
        if (channel_running(chans[i]))
            channel_stop(chans[i]);
        if (channel_wait(chans[i]) < 0) {
            log_msg(LOG_ERROR, channel_id(chans[i]), STAGE, "went off air with an error");
            status = EXIT_ERROR;
        }
    }
end:
    for (int i = 0; i < nconf; i++)
        server_free(&servers[i]);
    for (int i = 0; i < nconf; i++) {
        channel_free(&chans[i]);
        conf_free(&confs[i]);
    }
    return status;
}
