/* onair: the entry point; dispatches to the commands. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "common/common.h"
#include "conf/conf.h"
#include "encoder/encoder.h"

static void usage(FILE *f)
{
    fputs("usage: onair COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  transcode INPUT -o OUTDIR [options]   transcode to an ABR ladder (HLS, fMP4, DASH, CMAF)\n"
          "  run CHANNEL.yaml [CHANNEL.yaml ...]   play channels out until SIGINT/SIGTERM\n"
          "  check CHANNEL.yaml [CHANNEL.yaml ...] validate channel configs, alone and together;\n"
          "                                        print their timelines\n"
          "  encoders                              encode backends and whether this host can use them\n"
          "\n"
          "`onair COMMAND --help` describes a command.\n", f);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "onair%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'onair %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

int parse_log_format(const char *cmd, const char *arg, int *json)
{
    if (strcmp(arg, "json") && strcmp(arg, "text"))
        return usage_error(cmd, "--log-format: '%s' is not text or json", arg);
    *json = !strcmp(arg, "json");
    return 0;
}

void print_conf_report(const ConfReport *r)
{
    for (int i = 0; i < r->count; i++) {
        char line[2048];
        conf_message_format(r, &r->messages[i], line, sizeof(line));
        fprintf(stderr, "%s\n", line);
    }
}

int cmd_encoders(int argc, char **argv)
{
    const EncoderBackend *const *b = encoder_backends();
    const EncoderBackend *chosen = NULL;
    char reason[256];

    if (argc > 1) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            puts("usage: onair encoders\n\nLists the encode backends, whether each is usable on "
                 "this host (with the reason when not), and what --encoder auto picks.");
            return EXIT_OK;
        }
        return usage_error("encoders", "unexpected argument '%s'", argv[1]);
    }
    log_setup(LOG_WARN, 0);
    log_capture_libav(AV_LOG_QUIET);
    printf("%-8s %-9s %-7s %s\n", "BACKEND", "KIND", "USABLE", "DETAILS");
    for (int i = 0; b[i]; i++) {
        int usable = b[i]->probe(reason, sizeof(reason)) >= 0;
        printf("%-8s %-9s %-7s %s%s%s\n", b[i]->name, b[i]->hardware ? "hardware" : "software",
               usable ? "yes" : "no", b[i]->description, reason[0] ? ": " : "", reason);
    }
    if (encoder_backend_pick("auto", &chosen, reason, sizeof(reason)) >= 0)
        printf("\n--encoder auto uses %s on this host\n", chosen->name);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("onair %s\n", ONAIR_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "transcode"))
        return cmd_transcode(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "encoders"))
        return cmd_encoders(argc - 1, argv + 1);
    usage(stderr);
    return usage_error(NULL, "unknown command '%s'", cmd);
}
