/* The output tree's shared facts: formats (output.h). */
#include "output.h"

#include <string.h>

/* ---- formats ---- */

const char *const output_format_names[] = { "hls", "hls-fmp4", "dash", "cmaf", NULL };

static const unsigned format_bits[] = {
    FORMAT_HLS_TS, FORMAT_HLS_FMP4, FORMAT_DASH, FORMAT_HLS_FMP4 | FORMAT_DASH,
};

unsigned output_format_parse(const char *name)
{
    for (int i = 0; name && output_format_names[i]; i++)
        if (!strcmp(name, output_format_names[i]))
            return format_bits[i];
    return 0;
}
