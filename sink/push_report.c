/* The push counters as an operator reads them in the log (pusher_report). */
#include "sink.h"

#include <inttypes.h>

void pusher_report(Pusher *p, const char *channel, PushStats *seen, const char *final)
{
    PushStats st;
    char m50[16], m99[16], mmax[16], p50[16], p99[16], pmax[16];
    int failing;

    pusher_stats(p, &st);
    failing = st.failures > seen->failures || st.dropped > seen->dropped;
    if (!final && !failing && st.pushed == seen->pushed && st.deleted == seen->deleted)
        return;
    format_ms(m50, sizeof(m50), st.media_p50_us);
    format_ms(m99, sizeof(m99), st.media_p99_us);
    format_ms(mmax, sizeof(mmax), st.media_max_us);
    format_ms(p50, sizeof(p50), st.playlist_p50_us);
    format_ms(p99, sizeof(p99), st.playlist_p99_us);
    format_ms(pmax, sizeof(pmax), st.playlist_max_us);
    log_msg(failing || (final && (st.queued_files || st.dropped)) ? LOG_WARN : LOG_NOTICE, channel,
            "push", "push to %s%s%s%s: %" PRId64 " files pushed (%.1f MiB), %" PRId64 " deleted, "
            "%" PRId64 " failed requests (last HTTP status %d), %" PRId64 " dropped, %" PRId64
            " skipped, %" PRId64 " superseded, %" PRId64 " waiting; publish latency: media p50 %s "
            "ms p99 %s ms max %s ms (%" PRId64 "), playlists p50 %s ms p99 %s ms max %s ms (%" PRId64 ")",
            pusher_target(p), final ? " (" : "", final ? final : "", final ? ")" : "", st.pushed, st.pushed_bytes / 1048576.0,
            st.deleted, st.failures, st.last_status, st.dropped, st.skipped, st.superseded,
            st.queued_files, m50, m99, mmax, st.media_count, p50, p99, pmax, st.playlist_count);
    *seen = st;
}
