/*
 * libFuzzer target: tz_parse on the bytes of a TZif file (RFC 8536), as
 * common/common.h promises, and the lookups on every zone it accepts.
 * Beyond the sanitizers it checks their contracts: a zone loads only
 * without an error message and with its name; offsets stay within ±26 h;
 * a local time is a real date and clock; a local time that happens (not in
 * a gap) converts to a UTC instant that shows that very local time.
 *
 * The seeds are real zones from /usr/share/zoneinfo, copied at build time
 * (tests/fuzz/meson.build), so no binary file is committed:
 *
 *   fuzz_tz -max_total_time=60 CORPUS build-fuzz/tests/fuzz/corpus-tz
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define US 1000000LL
#define HOUR_S 3600
#define OFFSET_MAX_S (26 * HOUR_S)

/* Instants to look up: the epoch, around the 32-bit limit, clock changes of
 * the years zones use, and far out (the POSIX footer's rule alone). */
static const int64_t probes_s[] = {
    INT64_C(0), INT64_C(-2147483648), INT64_C(2147483647), INT64_C(-5000000000),
    INT64_C(1774742400), INT64_C(1774746000), INT64_C(1792890000), INT64_C(1711846800),
    INT64_C(4102444800), INT64_C(32503680000), INT64_C(-62135596800),
};

static void check_local(const Tz *tz, int64_t utc_us)
{
    TzLocal l;
    int off = tz_offset(tz, utc_us);

    if (off < -OFFSET_MAX_S || off > OFFSET_MAX_S)
        abort();
    tz_to_local(tz, utc_us, &l);
    if (l.utc_offset != off || l.month < 1 || l.month > 12 || l.day < 1 || l.day > 31 ||
        l.hour < 0 || l.hour > 23 || l.minute < 0 || l.minute > 59 || l.second < 0 ||
        l.second > 59 || l.usec < 0 || l.usec > 999999 || l.weekday < 0 || l.weekday > 6 ||
        (l.is_dst != 0 && l.is_dst != 1) || !memchr(l.abbr, 0, sizeof(l.abbr)))
        abort();
}

static void check_local_to_utc(const Tz *tz, int64_t local_us)
{
    enum TzLocalKind kind = (enum TzLocalKind)-1;
    int64_t t = tz_local_to_utc(tz, local_us, &kind);

    if (kind != TZ_LOCAL_UNIQUE && kind != TZ_LOCAL_GAP && kind != TZ_LOCAL_AMBIGUOUS)
        abort();
    /* the offsets either side are within ±26 h, so is the instant */
    if (t < local_us - 2 * OFFSET_MAX_S * US || t > local_us + 2 * OFFSET_MAX_S * US)
        abort();
    if (kind != TZ_LOCAL_GAP && t + (int64_t)tz_offset(tz, t) * US != local_us)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Tz *tz = NULL;
    char err[256] = "";
    int ret = tz_parse(&tz, "Fuzz/Zone", data, size, err, sizeof(err));

    if ((ret >= 0) != (tz != NULL) || (ret < 0 && !err[0]))
        abort();
    if (!tz)
        return 0;
    if (strcmp(tz_name(tz), "Fuzz/Zone"))
        abort();
    for (size_t i = 0; i < sizeof(probes_s) / sizeof(probes_s[0]); i++) {
        int64_t us = probes_s[i] * US;
        check_local(tz, us);
        check_local(tz, us - 1);
        check_local_to_utc(tz, us);
        check_local_to_utc(tz, us + 30 * 60 * US);
    }
    /* and the instants the input itself names, where it has room for one */
    for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
        int64_t s = 0;
        for (int k = 0; k < 8; k++)
            s = (int64_t)((uint64_t)s << 8 | data[i + k]);
        s %= INT64_C(100000000000);   /* ±3000 years */
        check_local(tz, s * US);
        check_local_to_utc(tz, s * US);
    }
    tz_free(&tz);
    if (tz)
        abort();
    return 0;
}
