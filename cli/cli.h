/*
 * cli: the onair command line. Each command is a function that takes the
 * arguments after its name and returns the process exit status:
 * 0 success, 1 error, 2 usage error.
 */
#ifndef ONAIR_CLI_H
#define ONAIR_CLI_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

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

/* ---- systemd's notification protocol (notify.c) ---------------------------
 *
 * `onair run` under a Type=notify unit tells systemd how it is: READY=1 once
 * every channel has published its first segment, STATUS= lines, WATCHDOG=1
 * pings while the channels keep their clocks, RELOADING=1 and READY=1
 * around a reload, STOPPING=1 at a stop. Without $NOTIFY_SOCKET every call
 * does nothing. */
typedef struct Notifier {
    int fd;                   /* -1: nobody to tell */
    struct sockaddr_un addr;  /* $NOTIFY_SOCKET; '@' names an abstract socket */
    socklen_t addr_len;
    int64_t watchdog_us;      /* $WATCHDOG_USEC when it is for this process; 0: no watchdog */
    int warned;               /* a failed send was logged */
} Notifier;

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then unsets them
 * so that nothing this process starts takes them for its own. 0, also
 * without a socket (then notifier_send does nothing); a socket that cannot
 * be made is logged and returned (n is usable and silent). */
int notifier_open(Notifier *n);
/* Sends one message, printf-style ("READY=1\nSTATUS=..."). 0, or the
 * error of the send (logged once). Thread safe (one datagram a call). */
int notifier_send(Notifier *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void notifier_close(Notifier *n);

#endif
