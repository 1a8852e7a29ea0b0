/*
 * libFuzzer target: scte35_parse on any bytes, as a live MPEG-TS input's
 * SCTE-35 PID hands them over (common/scte35.h). Beyond the sanitizers it
 * checks the contracts: a parse that succeeds returns the section's
 * length, within the input; the cue read is one scte35_write accepts; what
 * it writes parses to the same cue, and writing that gives the same bytes
 * again; the text forms fit the sizes the header gives them.
 *
 * Each input is read twice: as it is, and with its CRC_32 made right, so
 * that mutations reach past the CRC check into the commands and
 * descriptors.
 *
 *   fuzz_scte35 -max_total_time=60 CORPUS tests/fuzz/corpus/scte35
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "common/scte35.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size)
{
    static uint8_t out[SCTE35_SECTION_MAX], again[SCTE35_SECTION_MAX];
    static char text[2 * SCTE35_SECTION_MAX + 3];
    Scte35Cue cue, back;
    Buf xml = { 0 };
    int n, m, ret = scte35_parse(data, size, &cue);

    if (ret < 0) {
        if (ret != AVERROR_INVALIDDATA && ret != AVERROR(ENOSYS))
            abort();
        return;
    }
    if ((size_t)ret > size || ret < 20)
        abort();
    n = scte35_write(&cue, out, sizeof(out));
    if (n < 0 || n > ret)     /* skipped descriptors and stuffing are not written back */
        abort();
    if (scte35_parse(out, (size_t)n, &back) != n || !scte35_cue_equal(&cue, &back) ||
        !scte35_cue_equal(&back, &cue))
        abort();
    m = scte35_write(&back, again, sizeof(again));
    if (m != n || memcmp(out, again, (size_t)n))
        abort();
    if (scte35_hex(out, (size_t)n, text, 2 * (size_t)n + 3) != 2 * n + 2 ||
        scte35_base64(out, (size_t)n, text, 4 * (((size_t)n + 2) / 3) + 1) < 0)
        abort();
    if (scte35_write_xml(&xml, &cue, SCTE35_XML_DECLARE_NAMESPACE) < 0 || !xml.len)
        abort();
    buf_free(&xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t fixed[SCTE35_SECTION_MAX + 16];
    size_t section_size;
    uint32_t crc;

    check(data, size);
    if (size < 3 || size > sizeof(fixed))
        return 0;
    section_size = 3 + (size_t)((data[1] & 0x0F) << 8 | data[2]);
    if (section_size < 8 || section_size > size)
        return 0;
    memcpy(fixed, data, size);
    crc = scte35_crc32(fixed, section_size - 4);
    fixed[section_size - 4] = (uint8_t)(crc >> 24);
    fixed[section_size - 3] = (uint8_t)(crc >> 16);
    fixed[section_size - 2] = (uint8_t)(crc >> 8);
    fixed[section_size - 1] = (uint8_t)crc;
    check(fixed, size);
    return 0;
}
