/* onair run: play channels out until SIGINT/SIGTERM. Every config is
 * checked first (nothing starts from a config that fails `onair check`);
 * then each channel runs on its own threads, and one failing leaves the
 * others on air. */
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

/* The server's limits from a channel's output.serve; 0: the server's default. */
static ServerLimits limits_of(const ConfServe *v)
{
    /* whole seconds already (the loader rounds up) */
    return (ServerLimits){ .connections = v->connections, .per_address = v->per_address,
                           .timeout_s = (int)(v->idle_timeout / 1000000) };
}

/* Channels that name the same listen address share its server, so its
 * limits are theirs together: a limit is the server's, not a channel's
 * share of it. A key given by several channels must have one value (which
 * channel started first must not decide); one given by some channels only
 * is theirs for all. Fills *into; logs and returns -1 on disagreement. */
static int merge_limits(ServerLimits *into, const char **into_from, const ChannelConf *conf)
{
    static const char *const names[3] = { "connections", "per_address", "idle_timeout" };
    ServerLimits add = limits_of(&conf->output.serve);
    int *have[3] = { &into->connections, &into->per_address, &into->timeout_s };
    int give[3] = { add.connections, add.per_address, add.timeout_s };
    int ret = 0;

    for (int k = 0; k < 3; k++) {
        if (!give[k])
            continue;
        if (*have[k] && *have[k] != give[k]) {
            log_msg(LOG_ERROR, "", STAGE, "%s: output.serve.%s is %d%s, but %s gives %d%s for the "
                    "same listen address %s: channels sharing a server give its limits once or "
                    "alike", conf->path, names[k], give[k], k == 2 ? "s" : "", into_from[k],
                    *have[k], k == 2 ? "s" : "", conf->output.serve.listen);
            ret = -1;
            continue;
        }
        *have[k] = give[k];
        into_from[k] = conf->path;
    }
    if (!ret && into->per_address && into->connections && into->per_address > into->connections) {
        log_msg(LOG_ERROR, "", STAGE, "%s: output.serve.per_address (%d, from %s) is more than "
                "connections (%d, from %s), which share the listen address %s", conf->path,
                into->per_address, into_from[1], into->connections, into_from[0],
                conf->output.serve.listen);
        ret = -1;
    }
    return ret;
}

static void print_report(const ConfReport *r)
{
    for (int i = 0; i < r->count; i++) {
        char line[2048];
        conf_message_format(r, &r->messages[i], line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
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
    /* one server per listen address, shared by the channels that name it */
    Server *servers[MAX_CHANNELS] = { 0 };
    const char *listens[MAX_CHANNELS] = { 0 };
    ServerLimits limits[MAX_CHANNELS] = { 0 };
    const char *limits_from[MAX_CHANNELS][3] = { 0 };
    int nservers = 0;
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

    /* every config first: nothing starts unless all of them check */
    for (int i = optind; i < argc; i++) {
        ConfReport report = { 0 };
        int ret = conf_load(&confs[nconf], argv[i], &report);
        print_report(&report);
        conf_report_clear(&report);
        if (ret < 0) {
            status = EXIT_ERROR;
            continue;
        }
        for (int j = 0; j < nconf; j++) {
            if (!strcmp(confs[j]->channel, confs[nconf]->channel)) {
                log_msg(LOG_ERROR, "", STAGE, "%s: channel '%s' is also defined by %s", argv[i],
                        confs[nconf]->channel, confs[j]->path);
                status = EXIT_ERROR;
            } else if (!strcmp(confs[j]->output.dir, confs[nconf]->output.dir)) {
                log_msg(LOG_ERROR, "", STAGE, "%s: output.dir %s is also %s's", argv[i],
                        confs[nconf]->output.dir, confs[j]->channel);
                status = EXIT_ERROR;
            }
        }
        nconf++;
    }
    /* the servers' limits, before anything starts: a disagreement is the configs' error */
    for (int i = 0; i < nconf && status == EXIT_OK; i++) {
        const char *listen = confs[i]->output.serve.listen;
        int s = 0;
        if (!listen)
            continue;
        while (s < nservers && strcmp(listens[s], listen))
            s++;
        if (s == nservers)
            listens[nservers++] = listen;
        if (merge_limits(&limits[s], limits_from[s], confs[i]) < 0)
            status = EXIT_ERROR;
    }
    if (status != EXIT_OK)
        goto end;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (int s = 0; s < nservers; s++) {
        if (server_new_limited(&servers[s], listens[s], NULL, &limits[s]) < 0) {
            /* the server said which address and why */
            status = EXIT_ERROR;
            goto end;
        }
    }
    for (int i = 0; i < nconf; i++) {
        ChannelOptions opt = { .cores = FFMAX(1, cpu_count() / nconf) };
        const char *listen = confs[i]->output.serve.listen;
        int ret, s = 0;
        if (listen) {
            while (strcmp(listens[s], listen))
                s++;
            opt.utc_timing_url = "/time";
        }
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
    for (int i = 0; i < nservers; i++)
        server_free(&servers[i]);
    for (int i = 0; i < nconf; i++) {
        channel_free(&chans[i]);
        conf_free(&confs[i]);
    }
    return status;
}
