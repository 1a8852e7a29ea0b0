/* onair run: play channels out until SIGINT/SIGTERM. Every config is
 * checked first, alone and with the others (nothing starts from configs
 * that fail `onair check`); then each channel runs on its own threads, and
 * one failing leaves the others on air. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <x264.h>

#include "admin/admin.h"
#include "common/common.h"
#include "common/metrics.h"
#include "common/output.h"
#include "conf/conf.h"
#include "sink/sink.h"
#include "schedule/schedule.h"

#define STAGE "run"
#define MAX_CHANNELS 64
/* the log's line and systemd's STATUS= at a stop */
#define STOPPING_TEXT "stopping: finishing the segments in progress"

static atomic_int signals, hangups;

static void on_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals, 1);
}

/* SIGHUP: a reload, run by the main loop (never in the handler). */
static void on_hangup(int sig)
{
    (void)sig;
    atomic_store(&hangups, 1);
}

/* What the admin listener's callbacks need: the files of the command
 * line and the channels made from them (NULL where one could not be made),
 * in the same order; the built-in servers (NULL where none). */
typedef struct RunState {
    pthread_mutex_t lock;             /* one reload at a time: the API's and SIGHUP's */
    char *const *paths;
    Channel **chans;
    Server **servers;
    int n;
    const char *output_dir;           /* --output-dir: replaces the channel's output.dir; NULL: none */
    Notifier *notify;                 /* systemd, told about reloads */
    atomic_int ready_told;            /* READY=1 was sent (a reload says it again) */
} RunState;

/* --output-dir: the one channel's output folder is DIR whatever its file
 * says, so that a service manager chooses where state lives (systemd's
 * StateDirectory=, deploy/systemd/onair@.service) while the channel file
 * stays read-only in /etc. A relative DIR is taken from the current folder,
 * as every path on the command line. */
static int override_output_dir(ChannelConf *conf, const char *dir)
{
    char cwd[4096], full[8192], *copy;

    if (!dir)
        return 0;
    if (dir[0] != '/') {
        if (!getcwd(cwd, sizeof(cwd)))
            return AVERROR(errno);
        if (path_join(full, sizeof(full), cwd, dir) < 0)
            return AVERROR(ENAMETOOLONG);
        dir = full;
    }
    if (!(copy = strdup(dir)))
        return AVERROR(ENOMEM);
    free(conf->output.dir);
    conf->output.dir = copy;
    return 0;
}

static int append_message(Buf *errors, const ConfReport *r)
{
    for (int i = 0; i < r->count; i++) {
        char line[2048];
        int ret;
        if (r->messages[i].severity != CONF_ERROR)
            continue;
        conf_message_format(r, &r->messages[i], line, sizeof(line));
        if ((errors->len && (ret = buf_printf(errors, ",")) < 0) || (ret = json_append_string(errors, line)) < 0)
            return ret;
    }
    return 0;
}

/* Keys "video, ladder" as a JSON array. */
static int append_keys(Buf *b, const char *keys)
{
    int ret = buf_printf(b, "[");
    const char *p = keys;

    for (int n = 0; ret >= 0 && *p; n++) {
        size_t len = strcspn(p, ", ");
        char key[128];
        if (len) {
            snprintf(key, sizeof(key), "%.*s", (int)len, p);
            if ((n && (ret = buf_printf(b, ",")) < 0) || (ret = json_append_string(b, key)) < 0)
                break;
        } else {
            n--;
        }
        p += len;
        p += strspn(p, ", ");
    }
    return ret < 0 ? ret : buf_printf(b, "]");
}

/*
 * Re-reads every channel file; applies them only when all pass `onair check`
 * alone and together, name the same channels, and need no restart
 * (channel_reload_check). The answer is docs/api.md's: 200 {"reloaded":[..]},
 * 400 with the file:line:col errors, 409 with the keys, 501 while the
 * channels cannot reload. Nothing is applied unless everything passes.
 */
static int reload_channels(void *opaque, Buf *answer, int *status)
{
    RunState *r = opaque;
    ChannelConf *next[MAX_CHANNELS] = { 0 };
    ConfReport together = { 0 };
    Buf errors = { 0 };
    char keys[512], msg[512];
    int ret = 0, failed = 0;

    pthread_mutex_lock(&r->lock);
    /* MONOTONIC_USEC: what a Type=notify-reload manager matches the
     * RELOADING=1 with; Type=notify takes it as a state to show */
    notifier_send(r->notify, "RELOADING=1\nMONOTONIC_USEC=%" PRId64 "\nSTATUS=reloading the channel files",
                  clock_monotonic_us());
    for (int i = 0; i < r->n; i++) {
        ConfReport report = { 0 };
        if (conf_load(&next[i], r->paths[i], &report) >= 0 &&
            (ret = override_output_dir(next[i], r->output_dir)) < 0) {
            conf_report_clear(&report);
            goto end;
        }
        if (!next[i]) {
            failed = 1;
            if (!report.errors) {
                /* no place to point at: the file itself cannot be read */
                snprintf(msg, sizeof(msg), "%s: cannot load", r->paths[i]);
                if ((ret = errors.len ? buf_printf(&errors, ",") : 0) < 0 ||
                    (ret = json_append_string(&errors, msg)) < 0) {
                    conf_report_clear(&report);
                    goto end;
                }
            }
        }
        print_conf_report(&report);
        ret = append_message(&errors, &report);
        conf_report_clear(&report);
        if (ret < 0)
            goto end;
    }
    if (!failed) {
        if (conf_check_together(next, r->n, &together) < 0)
            failed = 1;
        print_conf_report(&together);
        ret = append_message(&errors, &together);
        conf_report_clear(&together);
        if (ret < 0)
            goto end;
    }
    if (failed) {
        *status = 400;
        ret = buf_printf(answer, "{\"error\":\"the channel files do not pass onair check: nothing was "
                         "changed\",\"errors\":[%.*s]}", (int)errors.len, errors.data ? (char *)errors.data : "");
        goto end;
    }
    for (int i = 0; i < r->n; i++) {
        if (r->chans[i] && strcmp(next[i]->channel, channel_id(r->chans[i]))) {
            *status = 409;
            snprintf(msg, sizeof(msg), "%s: the channel id changed from %s to %s: a reload cannot add, "
                     "remove or rename channels (restart onair for that)", r->paths[i],
                     channel_id(r->chans[i]), next[i]->channel);
            if ((ret = buf_printf(answer, "{\"error\":")) >= 0 && (ret = json_append_string(answer, msg)) >= 0)
                ret = buf_printf(answer, ",\"keys\":[\"channel\"]}");
            goto end;
        }
    }
    for (int i = 0; i < r->n; i++) {
        int err;
        if (!r->chans[i])
            continue;
        keys[0] = 0;
        if ((err = channel_reload_check(r->chans[i], next[i], keys, sizeof(keys))) < 0) {
            if (err == AVERROR(EBUSY)) {
                *status = 409;
                snprintf(msg, sizeof(msg), "%s: these keys changed and need a restart: %s", r->paths[i], keys);
            } else {
                *status = err == AVERROR(ENOSYS) ? 501 : err == AVERROR(EINVAL) ? 400 : 500;
                snprintf(msg, sizeof(msg), "%s: %s", channel_id(r->chans[i]), keys[0] ? keys : ERRSTR(err));
            }
            if ((ret = buf_printf(answer, "{\"error\":")) >= 0 && (ret = json_append_string(answer, msg)) >= 0 &&
                (err != AVERROR(EBUSY) || (ret = buf_printf(answer, ",\"keys\":")) < 0 ||
                 (ret = append_keys(answer, keys)) >= 0))
                ret = buf_printf(answer, "}");
            goto end;
        }
    }
    *status = 200;
    if ((ret = buf_printf(answer, "{\"reloaded\":[")) < 0)
        goto end;
    for (int i = 0, n = 0; i < r->n; i++) {
        int err;
        if (!r->chans[i])
            continue;
        /* the channel takes next[i] over, whatever it answers */
        err = channel_reload(r->chans[i], next[i]);
        next[i] = NULL;
        if (err < 0) {
            log_msg(LOG_ERROR, channel_id(r->chans[i]), STAGE, "reload: %s", ERRSTR(err));
            *status = 500;
            continue;
        }
        /* the channel emitted the reload event */
        log_msg(LOG_NOTICE, channel_id(r->chans[i]), STAGE, "reloaded %s", r->paths[i]);
        if ((n++ && (ret = buf_printf(answer, ",")) < 0) ||
            (ret = json_append_string(answer, channel_id(r->chans[i]))) < 0)
            goto end;
    }
    ret = buf_printf(answer, "]}");
end:
    for (int i = 0; i < r->n; i++)
        conf_free(&next[i]);
    buf_free(&errors);
    /* back to what it was: the channels run on, reloaded or not (the next
     * STATUS= line comes from the main loop) */
    if (atomic_load(&r->ready_told))
        notifier_send(r->notify, "READY=1");
    pthread_mutex_unlock(&r->lock);
    return ret < 0 ? ret : 0;
}

/* The metrics of no channel: the built-in servers'. */
static void servers_metrics(void *opaque, MetricVisit visit, void *vopaque)
{
    RunState *set = opaque;

    for (int i = 0; i < set->n; i++)
        if (set->servers[i])
            server_metrics(set->servers[i], visit, vopaque);
}

/* "localhost" for a wildcard address, [v6] in brackets: what a user can
 * paste into a browser. */
static void url_host(const ListenAddr *a, char *out, size_t size)
{
    if (!a->host[0] || !strcmp(a->host, "0.0.0.0") || !strcmp(a->host, "::"))
        snprintf(out, size, "localhost");
    else
        snprintf(out, size, a->ipv6 ? "[%s]" : "%s", a->host);
}

/*
 * What systemd hears from the main loop, every turn (100 ms): READY=1 once
 * every running channel cuts its segments on time (channel_in_step: what
 * /readyz calls ready, or a pair's standby in step with the leader; a
 * channel that failed is left out, as the others stay on air); a STATUS=
 * line when the count changes; WATCHDOG=1 every $WATCHDOG_USEC/2 while no
 * channel that had been in step has stalled or fallen behind (nothing cut
 * for a segment plus a grace), so that a stuck playout stops the pings and
 * systemd restarts the service, which continues the channels from their
 * state. A channel still starting does not stop them: TimeoutStartSec=
 * bounds the start. A standby, or a leader that lost the lease, is in step:
 * a restart would not make it publish.
 */
static void tell_systemd(RunState *run, int running, int on_time, int standby, int behind, int stopping,
                         int64_t *next_ping, char *told, char *state, size_t size)
{
    Notifier *n = run->notify;
    int64_t now = clock_monotonic_us();
    const char *s = running == 1 ? "" : "s";
    size_t len;

    if (n->fd < 0)
        return;
    if (stopping)
        snprintf(state, size, STOPPING_TEXT);
    else if (on_time < running && !behind && !atomic_load(&run->ready_told))
        snprintf(state, size, "starting: %d of %d channel%s publishing", on_time, running, s);
    else
        snprintf(state, size, "%d of %d channel%s on air", on_time - standby, running, s);
    len = strlen(state);
    if (!stopping && standby && len < size)
        len += (size_t)snprintf(state + len, size - len, ", %d standing by", standby);
    if (!stopping && behind && len < size)
        snprintf(state + len, size - len, ", %d stalled or late", behind);
    if (!stopping && on_time == running && !atomic_load(&run->ready_told)) {
        notifier_send(n, "READY=1\nSTATUS=%s", state);
        atomic_store(&run->ready_told, 1);
        snprintf(told, size, "%s", state);
    } else if (strcmp(state, told)) {
        notifier_send(n, "STATUS=%s", state);
        snprintf(told, size, "%s", state);
    }
    if (n->watchdog_us && !behind && now >= *next_ping) {
        notifier_send(n, "WATCHDOG=1");
        *next_ping = now + n->watchdog_us / 2;
    }
}

static void print_help(void)
{
    printf("usage: onair run CHANNEL.yaml [CHANNEL.yaml ...] [options]\n"
           "\n"
           "Plays each channel out on the wall clock until SIGINT or SIGTERM, which finish the\n"
           "segment in progress. A restart continues what the output folder holds.\n"
           "\n"
           "  --for DUR             stop by itself after DUR (e.g. 30s, 2h)\n"
           "  --admin HOST:PORT     the admin listener: /metrics, /healthz, /readyz, the control\n"
           "                        API under /api/v1 and the status page at / (default "
           ADMIN_LISTEN_DEFAULT ";\n"
           "                        port 0: any free port; none: off)\n"
           "  --admin-token-env NAME  the environment variable holding the token that API\n"
           "                        changes need (default " ADMIN_TOKEN_ENV_DEFAULT ")\n"
           "  --instance NAME       this instance's name in an A/B pair (a channel's\n"
           "                        `redundancy`; default: the host name)\n"
           "  --output-dir DIR      the channel's output folder (and its state) is DIR,\n"
           "                        whatever output.dir says; one CHANNEL.yaml only\n"
           "\n"
           "SIGHUP re-reads every CHANNEL.yaml, as POST /api/v1/reload does.\n"
           "Under systemd (Type=notify, $NOTIFY_SOCKET) onair says READY=1 once every channel\n"
           "has published a segment, pings the watchdog ($WATCHDOG_USEC) while every channel\n"
           "publishes on time, and says RELOADING=1 and STOPPING=1.\n"
           "\n"
           "  -q, --quiet           no notices (errors and warnings stay)\n"
           "  -v, --verbose         more detail (what goes on air, when)\n"
           "      --log-format json " LOG_FORMAT_HELP "\n");
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
        { "admin", required_argument, NULL, 'A' },
        { "admin-token-env", required_argument, NULL, 'T' },
        { "instance", required_argument, NULL, 'I' },
        { "output-dir", required_argument, NULL, 'O' },
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
    char playlist_urls[MAX_CHANNELS][300] = { { 0 } };   /* per channel: its served master playlist */
    ConfReport together = { 0 };
    Notifier notify = { .fd = -1 };
    RunState run = { .lock = PTHREAD_MUTEX_INITIALIZER, .servers = servers, .notify = &notify };
    /* per channel: it has published on time once (READY=1 waits for all) */
    int published[MAX_CHANNELS] = { 0 };
    char notified_status[256] = "";
    Admin *admin = NULL;
    const char *admin_listen = ADMIN_LISTEN_DEFAULT, *token_env = ADMIN_TOKEN_ENV_DEFAULT;
    char instance[128] = "";
    int nconf = 0, quiet = 0, verbose = 0, json = 0, c, status = EXIT_OK, started = 0;
    int64_t run_for = 0, t0, next_ping;
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
        case 'A': {
            ListenAddr la;
            if (strcmp(optarg, "none") && listen_parse(optarg, &la, err, sizeof(err)) < 0)
                return usage_error("run", "--admin: %s", err);
            admin_listen = strcmp(optarg, "none") ? optarg : NULL;
            break;
        }
        case 'I':
            if (!optarg[0] || strlen(optarg) >= sizeof(instance) || strpbrk(optarg, "\"\\\r\n"))
                return usage_error("run", "--instance: '%s' is not a name (printable, no quotes, at most %zu "
                                   "characters)", optarg, sizeof(instance) - 1);
            snprintf(instance, sizeof(instance), "%s", optarg);
            break;
        case 'T':
            if (!optarg[0] || strchr(optarg, '='))
                return usage_error("run", "--admin-token-env: '%s' is not a variable name", optarg);
            token_env = optarg;
            break;
        case 'O':
            if (!optarg[0])
                return usage_error("run", "--output-dir: an empty folder name");
            run.output_dir = optarg;
            break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'L':
            if (parse_log_format("run", optarg, &json))
                return EXIT_USAGE;
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
    /* an A/B pair's instances tell each other apart by it */
    if (!instance[0] && gethostname(instance, sizeof(instance) - 1) < 0)
        instance[0] = 0;
    if (argc - optind > MAX_CHANNELS)
        return usage_error("run", "at most %d channels in one process", MAX_CHANNELS);
    if (run.output_dir && argc - optind > 1)
        return usage_error("run", "--output-dir takes one CHANNEL.yaml (two channels cannot share a folder)");
    log_setup(verbose ? LOG_INFO : quiet ? LOG_WARN : LOG_NOTICE, json);
    log_capture_libav(verbose ? AV_LOG_WARNING : AV_LOG_ERROR);

    /* every config first: nothing starts unless all of them check, alone
     * and together (one id, one output.dir, one server's limits) */
    for (int i = optind; i < argc; i++) {
        ConfReport report = { 0 };
        int ret = conf_load(&confs[nconf], argv[i], &report);
        print_conf_report(&report);
        conf_report_clear(&report);
        if (ret >= 0 && (ret = override_output_dir(confs[nconf], run.output_dir)) < 0) {
            fprintf(stderr, "onair run: --output-dir %s: %s\n", run.output_dir, ERRSTR(ret));
            conf_free(&confs[nconf]);
        }
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

    /* read before anything else starts a thread: it unsets the variables */
    notifier_open(&notify);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, NULL);
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
    /* every channel is made first (nothing runs yet), so that the admin
     * listener is bound before anything goes on air: an address in use
     * stops onair before it writes a segment */
    for (int i = 0; i < nconf; i++) {
        ChannelOptions opt = { .cores = FFMAX(1, cpu_count() / nconf), .instance = instance };
        int ret;
        if (confs[i]->output.serve.listen) {
            ConfServer srv;
            ListenAddr a = { 0 };
            char host[260];
            int s = conf_server_of(confs, nconf, i, &srv);
            opt.utc_timing_url = "/time";
            listen_parse(confs[i]->output.serve.listen, &a, NULL, 0);
            url_host(&a, host, sizeof(host));
            /* the URL the status gives (the status page's preview plays it) */
            snprintf(playlist_urls[i], sizeof(playlist_urls[i]), "http://%s:%d/%s/%s", host,
                     server_port(servers[s]), confs[i]->channel, OUTPUT_MASTER);
            opt.playlist_url = playlist_urls[i];
        }
        if ((ret = channel_new(&chans[i], confs[i], &opt)) < 0) {
            log_msg(LOG_ERROR, confs[i]->channel, STAGE, "cannot go on air: %s", ERRSTR(ret));
            status = EXIT_ERROR;
        }
    }
    run.paths = argv + optind;
    run.chans = chans;
    run.n = nconf;
    if (admin_listen) {
        Channel *made[MAX_CHANNELS];
        ListenAddr la = { 0 };
        char host[260], x264_version[16];
        int nmade = 0;
        for (int i = 0; i < nconf; i++)
            if (chans[i])
                made[nmade++] = chans[i];
        snprintf(x264_version, sizeof(x264_version), "%d", X264_BUILD);
        AdminConfig acfg = {
            .listen = admin_listen, .token_env = token_env, .channels = made, .nchannels = nmade,
            .version = ONAIR_VERSION, .ffmpeg_version = av_version_info(), .x264_version = x264_version,
            .reload = reload_channels, .process_metrics = servers_metrics, .opaque = &run,
        };
        if (admin_new(&admin, &acfg) < 0) {
            /* admin_new said which address and why */
            status = EXIT_ERROR;
            goto end;
        }
        listen_parse(admin_listen, &la, NULL, 0);
        url_host(&la, host, sizeof(host));
        /* said whatever -q says, like the channels' URLs */
        fprintf(stderr, "onair: admin at http://%s:%d/\n", host, admin_port(admin));
    }
    for (int i = 0; i < nconf; i++) {
        const char *listen = confs[i]->output.serve.listen;
        ConfServer srv;
        int ret, s = conf_server_of(confs, nconf, i, &srv);
        if (!chans[i])
            continue;
        if ((ret = channel_start(chans[i])) < 0) {
            /* kept (not freed): the admin listener shows it failed */
            log_msg(LOG_ERROR, confs[i]->channel, STAGE, "cannot go on air: %s", ERRSTR(ret));
            status = EXIT_ERROR;
            continue;
        }
        started++;
        if (listen) {
            server_add_channel(servers[s], confs[i]->channel, confs[i]->output.dir);
            /* said whatever -q says: the URL is what the user came for; the
             * page is the playlist's folder */
            fprintf(stderr, "onair: %s is on air at %.*s (playlist: %s)\n", confs[i]->channel,
                    (int)(strlen(playlist_urls[i]) - strlen(OUTPUT_MASTER)), playlist_urls[i], playlist_urls[i]);
        }
    }
    if (!started)
        goto end;

    t0 = clock_monotonic_us();
    next_ping = t0;
    while (1) {
        int running = 0, stopping = atomic_load(&signals) > 0 ||
                                    (run_for > 0 && clock_monotonic_us() - t0 >= run_for);
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        static int stop_sent;
        int on_time = 0, standby = 0, behind = 0;
        char state[sizeof(notified_status)];

        for (int i = 0; i < nconf; i++) {
            char why[128];
            int waits;
            if (!chans[i] || !channel_running(chans[i]))
                continue;
            running++;
            if (channel_in_step(chans[i], &waits, why, sizeof(why))) {
                published[i] = 1;
                on_time++;
                standby += waits;
            } else if (published[i]) {
                /* published before, not now: its clock stalled or fell behind */
                behind++;
            }
        }
        if (!running)
            break;
        tell_systemd(&run, running, on_time, standby, behind, stop_sent, &next_ping, notified_status,
                     state, sizeof(state));
        if (atomic_exchange(&hangups, 0) && !stop_sent) {
            Buf answer = { 0 };
            int code = 500, ret;
            log_msg(LOG_NOTICE, "", STAGE, "SIGHUP: reloading the channel files");
            ret = reload_channels(&run, &answer, &code);
            if (ret < 0 || code != 200)
                log_msg(LOG_ERROR, "", STAGE, "SIGHUP: reload refused (%d): %.*s", ret < 0 ? 500 : code,
                        (int)answer.len, answer.data ? (const char *)answer.data : ERRSTR(ret));
            else
                log_msg(LOG_NOTICE, "", STAGE, "SIGHUP: reloaded: %.*s", (int)answer.len, (const char *)answer.data);
            buf_free(&answer);
        }
        if (stopping && !stop_sent) {
            notifier_send(&notify, "STOPPING=1\nSTATUS=" STOPPING_TEXT);
            snprintf(notified_status, sizeof(notified_status), STOPPING_TEXT);
            log_msg(LOG_NOTICE, "", STAGE, STOPPING_TEXT);
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
    /* the listener first: it borrows the channels; its event streams end */
    events_shutdown();
    admin_free(&admin);
    for (int i = 0; i < nconf; i++)
        server_free(&servers[i]);
    for (int i = 0; i < nconf; i++) {
        channel_free(&chans[i]);
        conf_free(&confs[i]);
    }
    notifier_close(&notify);
    return status;
}
