/*
 * A/B redundancy: instances of one channel file on several machines agree,
 * through etcd (its v3 JSON gateway, any etcd 3.4+ cluster), on one output
 * clock and one publisher. No consensus of our own: etcd's leases and
 * transactions decide.
 *
 * Keys, under /onair/<channel>/:
 *   epoch   the wall time (us, decimal) frame 0 of the channel airs at,
 *           written once by the first instance to start (a transaction
 *           that creates it only where there is none), read by every other
 *           and by every restart, so that all cut the same frames into the
 *           same segments;
 *   leader  the instance that publishes (its name), held under a lease of
 *           its own: it goes when the lease does;
 *   others  values the pair shares (redundancy_read, redundancy_write): what
 *           every instance must apply alike, whichever took it (the
 *           operator's changes, the segments' numbering); each written only
 *           where it is still what the writer last saw (its revision).
 *
 * Each instance keeps a lease of `lease` seconds alive (every lease / 4). One
 * without a leader key creates it (a transaction: only where none is). The
 * leader publishes only while its last renewal is younger than lease minus
 * REDUNDANCY_MARGIN: a leader cut off from etcd stops before etcd can
 * expire its lease and let another take the key, so two never publish at
 * once. A leader that stops (redundancy_free) revokes its lease: the
 * standby takes over at its next poll instead of at the lease's end.
 *
 * A second thread polls the shared values that cfg.watch names, every
 * REDUNDANCY_WATCH_US, and tells of each change.
 */
#ifndef ONAIR_REDUNDANCY_H
#define ONAIR_REDUNDANCY_H

#include <stdint.h>
#include <stddef.h>

/* How long before its lease could expire a leader that cannot renew it
 * stops publishing: a quarter of the lease, 500 ms at least. */
int64_t redundancy_margin_us(int64_t lease_us);

/* The leader key's name among the channel's keys: redundancy_read gives its
 * holder's name. */
#define REDUNDANCY_LEADER "leader"

/* How often the shared values are read: a change made through one
 * instance reaches the others this late, and etcd's answer later. */
#define REDUNDANCY_WATCH_US 200000

typedef struct RedundancyConfig {
    const char *const *etcd;          /* client URLs of the cluster ("http://10.0.0.5:2379"); netcd */
    int netcd;
    int64_t lease_us;                 /* whole seconds, 2 s at least (etcd's minimum TTL) */
    const char *channel;              /* the channel's id: the keys' folder */
    const char *instance;             /* this instance's name, unique among the pair */
    /* The role changed (on the redundancy's thread): leader 1 or 0; holder:
     * the leader's name as etcd has it ("" when none is known). */
    void (*on_role)(void *opaque, int leader, const char *holder);
    /* Shared values to watch (names under the channel's folder, borrowed;
     * nwatch of them): on_shared tells of each new revision (value NULL: the key is
     * gone), on the watch thread, which it may block; on_poll (may be NULL)
     * is called there after every poll. */
    const char *const *watch;
    int nwatch;
    void (*on_shared)(void *opaque, const char *name, const char *value, int64_t revision);
    void (*on_poll)(void *opaque);
    void *opaque;
} RedundancyConfig;

typedef struct Redundancy Redundancy;

/* Checks cfg and copies its strings; talks to no one yet. */
int redundancy_new(Redundancy **r, const RedundancyConfig *cfg);

/* The channel's epoch: the one etcd keeps, or `proposed` (recorded there)
 * when there is none yet. Tries each URL in turn until `wait_us` has passed;
 * then AVERROR(ETIMEDOUT) with err saying why (a standby must not run on a
 * clock of its own). */
int redundancy_epoch(Redundancy *r, int64_t proposed_us, int64_t wait_us, int64_t *epoch_us, char *err,
                     size_t size);

/* Starts the thread that keeps the lease and campaigns for the leader key,
 * and the one that watches the shared values. */
int redundancy_start(Redundancy *r);

/* The shared value `name` (malloc'd, NULL: none) and its revision (0:
 * none). Blocks for etcd's answer; thread safe. */
int redundancy_read(Redundancy *r, const char *name, char **value, int64_t *revision, char *err, size_t size);
/* Writes the shared value `name` where it is still at revision `expect`
 * (0: there is none): *revision the new one; AVERROR(EAGAIN) when another
 * instance wrote it meanwhile (nothing written). Blocks; thread safe. */
int redundancy_write(Redundancy *r, const char *name, const char *value, int64_t expect, int64_t *revision,
                     char *err, size_t size);

/* Whether this instance may publish now; *until_us (may be NULL): the
 * monotonic time (clock_monotonic_us) its right ends at, should it not be
 * renewed. Thread safe, never blocks. */
int redundancy_may_publish(Redundancy *r, int64_t *until_us);

typedef struct RedundancyStatus {
    int leader;                       /* 1: this instance publishes */
    char holder[256];                 /* the leader's name as last seen; "" none */
    int64_t takeovers;                /* times this instance became the leader after another */
    int etcd_ok;                      /* the last request to etcd was answered */
} RedundancyStatus;

void redundancy_status(Redundancy *r, RedundancyStatus *st);

/* Stops the watch thread: once it returns, on_shared and on_poll are not
 * called again (the state they read may go); the lease is kept. */
void redundancy_unwatch(Redundancy *r);

/* Stops the threads; a leader resigns (its lease is revoked, so the standby
 * takes over at once). */
void redundancy_free(Redundancy **r);

#endif
