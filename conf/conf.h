/*
 * conf: parsing of what users write — durations, bitrates and ladder specs
 * (on the command line and, later, in channel YAML).
 *
 * Parsers return 0 or AVERROR(EINVAL); on error they write a message for
 * the user into err (which the caller prefixes with the flag or place).
 */
#ifndef ONAIR_CONF_H
#define ONAIR_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* "500ms", "2s", "2", "1.5s", "30m", "1h", "1h30m" -> microseconds, > 0. */
int conf_parse_duration(const char *text, int64_t *us, char *err, size_t err_size);

/* "800k", "5M", "128000", "2.5M" -> bits per second, > 0. */
int conf_parse_bitrate(const char *text, int64_t *bps, char *err, size_t err_size);

/* A named rung ("720p") or "WxH@BITRATE" ("960x540@2000k"; "960x540" takes
 * the bitrate of the nearest named rung by height). */
int conf_parse_rung(const char *text, Rung *rung, char *err, size_t err_size);

/* Comma-separated rungs, at most LADDER_MAX, names unique. */
int conf_parse_ladder(const char *text, Rung *rungs, int *count, char *err, size_t err_size);

#define CONF_DEFAULT_LADDER "720p,480p,360p"

#endif
