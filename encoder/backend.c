/* The registry of encode backends and the choice among them. */
#include "encoder.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

/* Hardware first, in order of preference: `auto` takes the first usable. */
static const EncoderBackend *const backends[] = {
    &encoder_nvenc,
    &encoder_qsv,
    &encoder_vaapi,
    &encoder_x264,
    NULL,
};

const EncoderBackend *const *encoder_backends(void)
{
    return backends;
}

const EncoderBackend *encoder_backend_find(const char *name)
{
    for (int i = 0; backends[i]; i++)
        if (!strcmp(backends[i]->name, name))
            return backends[i];
    return NULL;
}

int encoder_backend_pick(const char *name, const EncoderBackend **out, char *reason, size_t size)
{
    *out = NULL;
    reason[0] = 0;
    if (!strcmp(name, "auto")) {
        for (int i = 0; backends[i]; i++) {
            char why[256];
            if (backends[i]->probe(why, sizeof(why)) >= 0) {
                *out = backends[i];
                return 0;
            }
        }
        snprintf(reason, size, "no backend is usable (not even x264)");
        return AVERROR(ENODEV);
    }
    *out = encoder_backend_find(name);
    if (!*out) {
        int n = snprintf(reason, size, "unknown encoder '%s' (known: auto", name);
        for (int i = 0; backends[i] && n > 0 && (size_t)n < size; i++)
            n += snprintf(reason + n, size - (size_t)n, ", %s", backends[i]->name);
        if (n > 0 && (size_t)n < size)
            snprintf(reason + n, size - (size_t)n, ")");
        return AVERROR(EINVAL);
    }
    if ((*out)->probe(reason, size) < 0) {
        *out = NULL;
        return AVERROR(ENODEV);
    }
    return 0;
}
