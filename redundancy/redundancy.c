/* The instance's part in an A/B pair: a lease kept alive, the leader key
 * campaigned for, the right to publish measured against the last renewal
 * (redundancy.h). The lease's thread never waits on anyone else's work; the
 * clock's and the pusher's threads only read atomics; the shared values are
 * polled on a thread of their own, whose callers may take their time. */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/common.h>
#include <libavutil/error.h>

#include "common/common.h"

#define STAGE "redundancy"
#define MARGIN_MIN_US 500000
#define KEY_PREFIX "/onair/"

struct Redundancy {
    RedundancyConfig cfg;
    char *channel, *instance;
    char leader_key[256], epoch_key[256];
    Etcd *etcd;                       /* the lease thread's */
    Etcd *watcher;                    /* the watch thread's */
    Etcd *api;                        /* redundancy_read and _write's, under api_lock */
    pthread_mutex_t api_lock;
    pthread_t thread, watch_thread;
    int started, watching;
    int64_t *seen;                    /* the watch thread's: each watched name's last revision */
    pthread_mutex_t lock;             /* stop, unwatch, wake; status strings */
    pthread_cond_t wake;
    int stop;                         /* the lease thread's end */
    int unwatch;                      /* the watch thread's end: no more callbacks */

    int64_t lease;                    /* the thread's: 0 none */
    int64_t renewed_us;               /* monotonic time the last renewal that took was sent */
    _Atomic int64_t publish_until;    /* monotonic; 0: not the leader */
    atomic_int leader, etcd_ok;
    int renew_failing;                /* the thread's: the failure was logged */
    _Atomic int64_t takeovers;
    char holder[256];                 /* under lock; as EtcdValue.value */
    int64_t lease_us, margin_us, tick_us;
};

/* The key of `name` among the channel's. */
static int shared_key(const Redundancy *r, const char *name, char *key, size_t size)
{
    return snprintf(key, size, KEY_PREFIX "%s/%s", r->channel, name) < (int)size ? 0 : AVERROR(EINVAL);
}

/* With lock: until the monotonic time next, or *quit (stop, unwatch). */
static void wait_until(Redundancy *r, int64_t next, const int *quit)
{
    while (!*quit && clock_monotonic_us() < next) {
        struct timespec ts = { .tv_sec = next / 1000000, .tv_nsec = next % 1000000 * 1000 };
        pthread_cond_timedwait(&r->wake, &r->lock, &ts);
    }
}

int64_t redundancy_margin_us(int64_t lease_us)
{
    return FFMAX(lease_us / 4, MARGIN_MIN_US);
}

int redundancy_new(Redundancy **out, const RedundancyConfig *cfg)
{
    Redundancy *r;

    *out = NULL;
    if (cfg->netcd < 1 || !cfg->channel || !cfg->instance || !*cfg->instance || cfg->lease_us < 2000000)
        return AVERROR(EINVAL);
    if (!(r = calloc(1, sizeof(*r))))
        return AVERROR(ENOMEM);
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->api_lock, NULL);
    cond_init_monotonic(&r->wake);
    r->cfg = *cfg;
    r->lease_us = cfg->lease_us;
    r->margin_us = redundancy_margin_us(cfg->lease_us);
    /* a renewal every quarter lease; one may take up to half of what is
     * left before the margin (a loaded etcd answers late, not never) */
    r->tick_us = cfg->lease_us / 4;
    if (!(r->channel = strdup(cfg->channel)) || !(r->instance = strdup(cfg->instance)) ||
        etcd_new(&r->etcd, cfg->etcd, cfg->netcd, FFMAX(r->tick_us, (r->lease_us - r->margin_us) / 2)) < 0 ||
        etcd_new(&r->watcher, cfg->etcd, cfg->netcd, r->tick_us) < 0 ||
        etcd_new(&r->api, cfg->etcd, cfg->netcd, r->tick_us) < 0 ||
        !(r->seen = calloc((size_t)FFMAX(cfg->nwatch, 1), sizeof(*r->seen)))) {
        redundancy_free(&r);
        return AVERROR(ENOMEM);
    }
    r->cfg.channel = r->channel;
    r->cfg.instance = r->instance;
    r->cfg.etcd = NULL;   /* copied into the client */
    if (shared_key(r, REDUNDANCY_LEADER, r->leader_key, sizeof(r->leader_key)) < 0 ||
        shared_key(r, "epoch", r->epoch_key, sizeof(r->epoch_key)) < 0) {
        redundancy_free(&r);
        return AVERROR(EINVAL);
    }
    *out = r;
    return 0;
}

int redundancy_epoch(Redundancy *r, int64_t proposed_us, int64_t wait_us, int64_t *epoch_us, char *err,
                     size_t size)
{
    int64_t give_up = clock_monotonic_us() + wait_us;
    char value[32], why[256] = "";
    int warned = 0;

    snprintf(value, sizeof(value), "%" PRId64, proposed_us);
    for (;;) {
        EtcdValue held;
        int created, ret = etcd_create(r->etcd, r->epoch_key, value, 0, &created, &held, why, sizeof(why));
        if (ret >= 0 && created) {
            *epoch_us = proposed_us;
            atomic_store(&r->etcd_ok, 1);
            return 0;
        }
        if (ret >= 0 && held.found) {
            char *end;
            long long v = strtoll(held.value, &end, 10);
            if (*end || v <= 0) {
                snprintf(err, size, "etcd's %s is \"%s\", not a time in microseconds", r->epoch_key, held.value);
                return AVERROR(EINVAL);
            }
            *epoch_us = v;
            atomic_store(&r->etcd_ok, 1);
            return 0;
        }
        if (clock_monotonic_us() >= give_up) {
            snprintf(err, size, "no etcd member answered within %.0f s (%s)", wait_us / 1e6, why);
            return AVERROR(ETIMEDOUT);
        }
        if (!warned++)
            log_msg(LOG_WARN, r->channel, STAGE, "waiting for etcd: %s", why);
        clock_sleep_us(FFMIN(r->tick_us, 500000), NULL, NULL);
    }
}

static void set_holder(Redundancy *r, const char *holder)
{
    pthread_mutex_lock(&r->lock);
    snprintf(r->holder, sizeof(r->holder), "%s", holder);
    pthread_mutex_unlock(&r->lock);
}

static void become(Redundancy *r, int leader, const char *holder, const char *why)
{
    if (atomic_load(&r->leader) == leader)
        return;
    atomic_store(&r->leader, leader);
    if (!leader)
        atomic_store(&r->publish_until, 0);
    log_msg(leader ? LOG_NOTICE : LOG_WARN, r->channel, STAGE, "%s: %s", leader ? "leader" : "standby", why);
    if (r->cfg.on_role)
        r->cfg.on_role(r->cfg.opaque, leader, holder);
}

/* The lease: granted when there is none, else renewed. A leader whose lease
 * is gone, or whose renewals failed until its margin, stands down. */
static void keep_lease(Redundancy *r)
{
    char err[256];
    int64_t sent = clock_monotonic_us(), ttl = 0;
    int ret;

    if (!r->lease) {
        ret = etcd_grant(r->etcd, r->lease_us / 1000000, &r->lease, err, sizeof(err));
        ttl = ret >= 0 ? r->lease_us / 1000000 : 0;
    } else {
        ret = etcd_keepalive(r->etcd, r->lease, &ttl, err, sizeof(err));
        if (ret >= 0 && ttl <= 0) {
            snprintf(err, sizeof(err), "etcd no longer knows its lease");
            r->lease = 0;
        }
    }
    atomic_store(&r->etcd_ok, ret >= 0);
    if (ret >= 0 && ttl > 0) {
        if (r->renew_failing)
            log_msg(LOG_NOTICE, r->channel, STAGE, "etcd answers again (after %d failed renewals)",
                    r->renew_failing);
        r->renew_failing = 0;
        r->renewed_us = sent;
        if (atomic_load(&r->leader))
            atomic_store(&r->publish_until, sent + r->lease_us - r->margin_us);
        return;
    }
    /* once as it begins, once as it ends: not every quarter lease */
    if (ret < 0 && !r->renew_failing++)
        log_msg(LOG_WARN, r->channel, STAGE, "the lease cannot be renewed: %s", err);
    if (atomic_load(&r->leader) && (!r->lease || clock_monotonic_us() >= atomic_load(&r->publish_until)))
        become(r, 0, "", r->lease ? "the lease could not be renewed in time; publishing stopped before etcd "
                                    "could let it go" : err);
}

/* The leader key: taken where there is none; else who holds it. */
static void campaign(Redundancy *r)
{
    EtcdValue held;
    char err[256];
    int created, ret;

    if (!r->lease)
        return;
    ret = etcd_create(r->etcd, r->leader_key, r->instance, r->lease, &created, &held, err, sizeof(err));
    if (ret < 0) {
        atomic_store(&r->etcd_ok, 0);
        return;
    }
    if (created || (held.found && held.lease == r->lease)) {
        if (!atomic_load(&r->leader)) {
            char prev[sizeof(r->holder)];
            pthread_mutex_lock(&r->lock);
            snprintf(prev, sizeof(prev), "%s", r->holder);
            pthread_mutex_unlock(&r->lock);
            /* the right to publish runs from the renewal before the key */
            atomic_store(&r->publish_until, r->renewed_us + r->lease_us - r->margin_us);
            if (*prev && strcmp(prev, r->instance))
                atomic_fetch_add(&r->takeovers, 1);
            set_holder(r, r->instance);
            become(r, 1, r->instance, *prev && strcmp(prev, r->instance) ? "took over from the last leader"
                                                                         : "no leader held the channel");
        }
        return;
    }
    set_holder(r, held.found ? held.value : "");
    if (atomic_load(&r->leader))
        become(r, 0, held.value, "another instance holds the leader key");
}

static void *run(void *arg)
{
    Redundancy *r = arg;

    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        int64_t next = clock_monotonic_us() + r->tick_us;
        pthread_mutex_unlock(&r->lock);
        keep_lease(r);
        campaign(r);
        pthread_mutex_lock(&r->lock);
        wait_until(r, next, &r->stop);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Each watched value, read again: a new revision is told. Every
 * REDUNDANCY_WATCH_US until stopped. */
static void *watch(void *arg)
{
    Redundancy *r = arg;
    char key[512], err[256];

    pthread_mutex_lock(&r->lock);
    while (!r->unwatch) {
        int64_t next = clock_monotonic_us() + REDUNDANCY_WATCH_US;
        pthread_mutex_unlock(&r->lock);
        for (int i = 0; i < r->cfg.nwatch; i++) {
            char *value = NULL;
            int64_t rev;
            if (shared_key(r, r->cfg.watch[i], key, sizeof(key)) < 0 ||
                etcd_get_text(r->watcher, key, &value, &rev, err, sizeof(err)) < 0)
                continue;   /* the lease's thread says when etcd is away */
            if (rev != r->seen[i]) {
                r->seen[i] = rev;
                if (r->cfg.on_shared)
                    r->cfg.on_shared(r->cfg.opaque, r->cfg.watch[i], value, rev);
            }
            free(value);
        }
        if (r->cfg.on_poll)
            r->cfg.on_poll(r->cfg.opaque);
        pthread_mutex_lock(&r->lock);
        wait_until(r, next, &r->unwatch);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int redundancy_start(Redundancy *r)
{
    int ret;

    if ((ret = pthread_create(&r->thread, NULL, run, r)))
        return AVERROR(ret);
    r->started = 1;
    if (r->cfg.nwatch > 0 || r->cfg.on_poll) {
        if ((ret = pthread_create(&r->watch_thread, NULL, watch, r)))
            return AVERROR(ret);
        r->watching = 1;
    }
    return 0;
}

int redundancy_read(Redundancy *r, const char *name, char **value, int64_t *revision, char *err, size_t size)
{
    char key[512];
    int ret;

    *value = NULL;
    *revision = 0;
    if ((ret = shared_key(r, name, key, sizeof(key))) < 0)
        return ret;
    pthread_mutex_lock(&r->api_lock);
    ret = etcd_get_text(r->api, key, value, revision, err, size);
    pthread_mutex_unlock(&r->api_lock);
    return ret;
}

int redundancy_write(Redundancy *r, const char *name, const char *value, int64_t expect, int64_t *revision,
                     char *err, size_t size)
{
    char key[512];
    int written, ret;

    if ((ret = shared_key(r, name, key, sizeof(key))) < 0)
        return ret;
    pthread_mutex_lock(&r->api_lock);
    ret = etcd_put_if(r->api, key, value, expect, &written, revision, err, size);
    pthread_mutex_unlock(&r->api_lock);
    if (ret >= 0 && !written) {
        snprintf(err, size, "another instance of the pair changed %s meanwhile", name);
        ret = AVERROR(EAGAIN);
    }
    return ret;
}

int redundancy_may_publish(Redundancy *r, int64_t *until_us)
{
    int64_t until = atomic_load(&r->publish_until);

    if (until_us)
        *until_us = until;
    return atomic_load(&r->leader) && clock_monotonic_us() < until;
}

void redundancy_status(Redundancy *r, RedundancyStatus *st)
{
    memset(st, 0, sizeof(*st));
    st->leader = redundancy_may_publish(r, NULL);
    st->takeovers = atomic_load(&r->takeovers);
    st->etcd_ok = atomic_load(&r->etcd_ok);
    pthread_mutex_lock(&r->lock);
    snprintf(st->holder, sizeof(st->holder), "%s", r->holder);
    pthread_mutex_unlock(&r->lock);
}

void redundancy_unwatch(Redundancy *r)
{
    if (!r || !r->watching)
        return;
    pthread_mutex_lock(&r->lock);
    r->unwatch = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->watch_thread, NULL);
    r->watching = 0;
}

void redundancy_free(Redundancy **pr)
{
    Redundancy *r = *pr;
    char err[256];

    if (!r)
        return;
    redundancy_unwatch(r);
    if (r->started) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->wake);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    /* a leader resigns: without its lease the key goes now, not at its end */
    if (r->lease && r->etcd) {
        atomic_store(&r->publish_until, 0);
        if (etcd_revoke(r->etcd, r->lease, err, sizeof(err)) < 0)
            log_msg(LOG_WARN, r->channel, STAGE, "the lease cannot be revoked (%s): the standby takes over "
                    "when it ends", err);
    }
    etcd_free(&r->etcd);
    etcd_free(&r->watcher);
    etcd_free(&r->api);
    free(r->seen);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->api_lock);
    free(r->channel);
    free(r->instance);
    free(r);
    *pr = NULL;
}
