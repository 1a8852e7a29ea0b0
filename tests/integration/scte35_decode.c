/* A SCTE-35 decoder that is not onair's, for the tests: VideoLAN's biTStream
 * (libbitstream-dev) reads a splice_info_section given in hex (with or
 * without 0x) and prints what it says as one JSON object:
 *
 *   scte35_decode 0xFC302500...
 *   {"crc_ok":true,"valid":true,"command":5,"pts_adjustment":0,"event_id":..,
 *    "out_of_network":true,"immediate":false,"pts_time":..,"duration":..,
 *    "auto_return":true}
 *
 * pts_time and duration are null when the section has none. Exit 1 for what
 * is not hex or not a section. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bitstream/mpeg/psi.h>
#include <bitstream/scte/35.h>

int main(int argc, char **argv)
{
    uint8_t sec[4096 + PSI_HEADER_SIZE];
    const char *hex = argc == 2 ? argv[1] : "";
    size_t n = 0;

    if (!strncmp(hex, "0x", 2) || !strncmp(hex, "0X", 2))
        hex += 2;
    if (!*hex || strlen(hex) % 2 || strlen(hex) / 2 > sizeof(sec)) {
        fprintf(stderr, "usage: scte35_decode HEX (a whole section)\n");
        return 1;
    }
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) {
            fprintf(stderr, "not hex: %s\n", hex);
            return 1;
        }
        sec[n++] = (uint8_t)v;
    }
    if (n < PSI_HEADER_SIZE || psi_get_tableid(sec) != SCTE35_TABLE_ID ||
        (size_t)psi_get_length(sec) + PSI_HEADER_SIZE != n) {
        fprintf(stderr, "not a splice_info_section of %zu bytes\n", n);
        return 1;
    }
    printf("{\"crc_ok\":%s,\"valid\":%s,\"command\":%u,\"pts_adjustment\":%llu",
           psi_check_crc(sec) ? "true" : "false", scte35_validate(sec) ? "true" : "false",
           scte35_get_command_type(sec), (unsigned long long)scte35_get_pts_adjustment(sec));
    if (scte35_get_command_type(sec) == SCTE35_INSERT_COMMAND) {
        printf(",\"event_id\":%u,\"cancel\":%s", scte35_insert_get_event_id(sec),
               scte35_insert_has_cancel(sec) ? "true" : "false");
        if (!scte35_insert_has_cancel(sec)) {
            int timed = !scte35_insert_has_splice_immediate(sec) &&
                        scte35_splice_time_has_time_specified(scte35_insert_get_splice_time(sec));
            printf(",\"out_of_network\":%s,\"immediate\":%s",
                   scte35_insert_has_out_of_network(sec) ? "true" : "false",
                   scte35_insert_has_splice_immediate(sec) ? "true" : "false");
            if (timed)
                printf(",\"pts_time\":%llu",
                       (unsigned long long)scte35_splice_time_get_pts_time(scte35_insert_get_splice_time(sec)));
            else
                printf(",\"pts_time\":null");
            if (scte35_insert_has_duration(sec)) {
                const uint8_t *d = scte35_insert_get_break_duration(sec);
                printf(",\"duration\":%llu,\"auto_return\":%s",
                       (unsigned long long)scte35_break_duration_get_duration(d),
                       scte35_break_duration_has_auto_return(d) ? "true" : "false");
            } else {
                printf(",\"duration\":null,\"auto_return\":false");
            }
        }
    }
    printf("}\n");
    return 0;
}
