/* common/'s small shared helpers: presets. */
#include "common/common.h"

#include "check.h"

static void test_presets(void)
{
    char list[200];

    CHECK_EQ_INT(preset_index("ultrafast"), 0);
    CHECK_EQ_INT(preset_index("medium"), 5);
    CHECK_EQ_INT(preset_index("placebo"), PRESET_COUNT - 1);
    CHECK(preset_index(PRESET_DEFAULT) >= 0);
    CHECK_EQ_INT(preset_index("Medium"), -1);
    CHECK_EQ_INT(preset_index("medium "), -1);
    CHECK_EQ_INT(preset_index(""), -1);
    CHECK_EQ_INT(preset_index(NULL), -1);
    CHECK(preset_names[PRESET_COUNT] == NULL);
    preset_list(list, sizeof(list));
    CHECK_EQ_STR(list, "ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, "
                       "veryslow, placebo");
    preset_list(list, 12);
    CHECK_EQ_STR(list, "ultrafast, ");
}

int main(void)
{
    test_presets();
    return CHECK_DONE();
}
