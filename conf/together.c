/*
 * Several channels in one process: what no file shows alone, because it is
 * about two of them (one channel id, one output folder, one server's limits
 * given two ways). Apart from the loader because it reads loaded confs,
 * never a document; `onair check` and `onair run` both ask it, so that check
 * refuses what run would, and run builds its servers from what it merges.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavutil/error.h>

enum { LIMIT_CONNECTIONS, LIMIT_PER_ADDRESS, LIMIT_IDLE_TIMEOUT, NB_LIMITS };

static const char *const limit_keys[NB_LIMITS] = { "connections", "per_address", "idle_timeout" };

/* A server limit as a channel gives it (0: not given), and where. */
static int64_t limit_of(const ConfServe *v, int k, Mark *where)
{
    switch (k) {
    case LIMIT_CONNECTIONS:
        *where = (Mark){ v->connections_line, v->connections_column };
        return v->connections;
    case LIMIT_PER_ADDRESS:
        *where = (Mark){ v->per_address_line, v->per_address_column };
        return v->per_address;
    default:
        *where = (Mark){ v->idle_timeout_line, v->idle_timeout_column };
        return v->idle_timeout;
    }
}

static void format_limit(char *buf, size_t size, int k, int64_t v)
{
    if (k == LIMIT_IDLE_TIMEOUT)
        format_duration(buf, size, v);
    else
        snprintf(buf, size, "%lld", (long long)v);
}

/* One server is one bound address: the same host and port as listen_parse
 * reads them, whatever the case of a name or the zeros before a port. */
static int same_listen(const char *a, const char *b)
{
    ListenAddr x, y;

    if (!a || !b)
        return 0;
    if (listen_parse(a, &x, NULL, 0) < 0 || listen_parse(b, &y, NULL, 0) < 0)
        return !strcmp(a, b);
    return x.port == y.port && x.ipv6 == y.ipv6 && !strcasecmp(x.host, y.host);
}

/*
 * The limits of confs[i]'s server, merged in the order of confs: a limit is
 * the server's, not a channel's share of it, so one given by some channels
 * only is theirs for all, and one given by several must be alike (which
 * channel started first must not decide). lim[k] is 0 where no channel gives
 * it, from[k] the first channel that does (-1: none). With c, and when
 * confs[i] is the server's first channel, each channel that gives one
 * otherwise is reported. Returns the server's first channel, or -1 when
 * confs[i] is not served.
 */
static int merge_server(ChannelConf *const *confs, int n, int i, int64_t lim[NB_LIMITS],
                        int from[NB_LIMITS], Ctx *c)
{
    const char *listen = confs[i]->output.serve.listen;
    int first = -1;

    for (int k = 0; k < NB_LIMITS; k++) {
        lim[k] = 0;
        from[k] = -1;
    }
    if (!listen)
        return -1;
    for (int j = 0; j < n; j++) {
        const ConfServe *v = &confs[j]->output.serve;

        if (!same_listen(v->listen, listen))
            continue;
        if (first < 0) {
            first = j;
            /* said once, for the server's first channel */
            if (first != i)
                c = NULL;
        }
        for (int k = 0; k < NB_LIMITS; k++) {
            char a[32], b[32];
            Mark m, mf;
            int64_t give = limit_of(v, k, &m);

            if (!give)
                continue;
            if (from[k] < 0) {
                lim[k] = give;
                from[k] = j;
                continue;
            }
            if (give == lim[k] || !c)
                continue;
            limit_of(&confs[from[k]]->output.serve, k, &mf);
            format_limit(a, sizeof(a), k, give);
            format_limit(b, sizeof(b), k, lim[k]);
            c->file = confs[j]->path;
            fail_at(c, m, "output.serve.%s: %s, but %s gives %s (line %d) for the same listen "
                    "address %s: channels that share a server give its limits once or alike",
                    limit_keys[k], a, confs[from[k]]->path, b, mf.line, listen);
        }
    }
    return first;
}

int conf_check_together(ChannelConf *const *confs, int n, ConfReport *report)
{
    Ctx c = { .report = report };

    conf_report_clear(report);
    for (int i = 0; i < n; i++) {
        const ChannelConf *a = confs[i];

        c.file = a->path;
        /* the first one it repeats is enough to say */
        for (int j = 0; j < i; j++) {
            const ChannelConf *b = confs[j];
            if (!strcmp(a->channel, b->channel)) {
                fail_at(&c, (Mark){ a->channel_line, a->channel_column }, "channel: '%s' is also "
                        "defined by %s (line %d)", a->channel, b->path, b->channel_line);
                break;
            }
            if (!strcmp(a->output.dir, b->output.dir)) {
                fail_at(&c, (Mark){ a->output.dir_line, a->output.dir_column }, "output.dir: %s is "
                        "also the output folder of channel '%s' (%s, line %d)", a->output.dir,
                        b->channel, b->path, b->output.dir_line);
                break;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        int64_t lim[NB_LIMITS];
        int from[NB_LIMITS];
        const ChannelConf *pa, *co;
        Mark m, mc;

        if (merge_server(confs, n, i, lim, from, &c) != i)
            continue;
        if (!lim[LIMIT_PER_ADDRESS] || !lim[LIMIT_CONNECTIONS] ||
            lim[LIMIT_PER_ADDRESS] <= lim[LIMIT_CONNECTIONS])
            continue;
        pa = confs[from[LIMIT_PER_ADDRESS]];
        co = confs[from[LIMIT_CONNECTIONS]];
        limit_of(&pa->output.serve, LIMIT_PER_ADDRESS, &m);
        limit_of(&co->output.serve, LIMIT_CONNECTIONS, &mc);
        c.file = pa->path;
        fail_at(&c, m, "output.serve.per_address: %lld is more than the connections (%lld) that %s "
                "gives (line %d) for the same listen address %s: one address cannot have more "
                "than all", (long long)lim[LIMIT_PER_ADDRESS], (long long)lim[LIMIT_CONNECTIONS],
                co->path, mc.line, confs[i]->output.serve.listen);
    }
    conf_report_finish(&c);
    if (c.nomem)
        return AVERROR(ENOMEM);
    return report->errors ? AVERROR(EINVAL) : 0;
}

int conf_server_of(ChannelConf *const *confs, int n, int i, ConfServer *out)
{
    int64_t lim[NB_LIMITS];
    int from[NB_LIMITS];
    int first = merge_server(confs, n, i, lim, from, NULL);

    memset(out, 0, sizeof(*out));
    if (first < 0)
        return -1;
    out->listen = confs[first]->output.serve.listen;
    out->connections = (int)lim[LIMIT_CONNECTIONS];
    out->per_address = (int)lim[LIMIT_PER_ADDRESS];
    out->idle_timeout = lim[LIMIT_IDLE_TIMEOUT];
    return first;
}
