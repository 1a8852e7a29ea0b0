/*
 * cli: the onair command line. Each command is a function that takes the
 * arguments after its name and returns the process exit status:
 * 0 success, 1 error, 2 usage error.
 */
#ifndef ONAIR_CLI_H
#define ONAIR_CLI_H

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* What `onair --version` and onair_build_info say. */
#define ONAIR_VERSION "0.1.0"

int cmd_transcode(int argc, char **argv);
int cmd_encoders(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Prints "onair: <msg>" as a usage error with a pointer to --help. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --log-format, which every command that runs a pipeline takes: text on
 * stderr (the default), or json: JSON lines on stdout, where a collector
 * reads them beside --progress json (common/log.c). Sets *json; returns 0,
 * or usage_error's status naming cmd. */
int parse_log_format(const char *cmd, const char *arg, int *json);
/* Its --help text, after the option's column. */
#define LOG_FORMAT_HELP "log lines as JSON objects on stdout (default: text on stderr)"

struct ConfReport;
/* Prints a config report's messages on stderr, one "FILE:LINE:COL: ..." line each. */
void print_conf_report(const struct ConfReport *r);

#endif
