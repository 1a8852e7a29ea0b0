/* common/output.h: format names. */
#include "common/output.h"

#include "check.h"

static void test_formats(void)
{
    CHECK_EQ_INT(output_format_parse("hls"), FORMAT_HLS_TS);
    CHECK_EQ_INT(output_format_parse("hls-fmp4"), FORMAT_HLS_FMP4);
    CHECK_EQ_INT(output_format_parse("dash"), FORMAT_DASH);
    CHECK_EQ_INT(output_format_parse("cmaf"), FORMAT_HLS_FMP4 | FORMAT_DASH);
    CHECK_EQ_INT(output_format_parse("HLS"), 0);
    CHECK_EQ_INT(output_format_parse("hls "), 0);
    CHECK_EQ_INT(output_format_parse(""), 0);
    CHECK_EQ_INT(output_format_parse("mp4"), 0);
    CHECK_EQ_INT(output_format_parse(NULL), 0);
    /* every name users see parses, the default among them */
    for (int i = 0; output_format_names[i]; i++)
        CHECK(output_format_parse(output_format_names[i]) != 0);
    CHECK(output_format_parse(OUTPUT_FORMAT_DEFAULT) != 0);
}

int main(void)
{
    test_formats();
    return CHECK_DONE();
}
