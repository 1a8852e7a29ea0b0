/* Durations, bitrates and ladders as users write them. */
#include "check.h"
#include "conf/conf.h"

static int64_t dur(const char *s)
{
    char err[256];
    int64_t us = -1;
    return conf_parse_duration(s, &us, err, sizeof(err)) < 0 ? -1 : us;
}

static int64_t rate(const char *s)
{
    char err[256];
    int64_t bps = -1;
    return conf_parse_bitrate(s, &bps, err, sizeof(err)) < 0 ? -1 : bps;
}

int main(void)
{
    char err[256];
    Rung r[LADDER_MAX];
    int n;

    CHECK_EQ_INT(dur("2s"), 2000000);
    CHECK_EQ_INT(dur("2"), 2000000);
    CHECK_EQ_INT(dur("500ms"), 500000);
    CHECK_EQ_INT(dur("1.5s"), 1500000);
    CHECK_EQ_INT(dur("30m"), 1800000000LL);
    CHECK_EQ_INT(dur("1h"), 3600000000LL);
    CHECK_EQ_INT(dur("1h30m"), 5400000000LL);
    CHECK_EQ_INT(dur("1m30s"), 90000000);
    CHECK_EQ_INT(dur("2s500ms"), 2500000);
    CHECK_EQ_INT(dur("0s"), -1);
    CHECK_EQ_INT(dur("-2s"), -1);
    CHECK_EQ_INT(dur(""), -1);
    CHECK_EQ_INT(dur("2x"), -1);
    CHECK_EQ_INT(dur("s"), -1);
    CHECK_EQ_INT(dur("30s1m"), -1);
    CHECK_EQ_INT(dur("1h1h"), -1);
    CHECK_EQ_INT(dur("2 s"), -1);

    CHECK_EQ_INT(rate("800k"), 800000);
    CHECK_EQ_INT(rate("5M"), 5000000);
    CHECK_EQ_INT(rate("2.5M"), 2500000);
    CHECK_EQ_INT(rate("128000"), 128000);
    CHECK_EQ_INT(rate("0k"), -1);
    CHECK_EQ_INT(rate("k"), -1);
    CHECK_EQ_INT(rate("5Mb"), -1);
    CHECK_EQ_INT(rate("-1M"), -1);
    CHECK_EQ_INT(rate("2000M"), -1);

    CHECK_EQ_INT(conf_parse_ladder("720p,480p,360p", r, &n, err, sizeof(err)), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(r[0].name, "720p");
    CHECK_EQ_INT(r[0].width, 1280);
    CHECK_EQ_INT(r[0].height, 720);
    CHECK_EQ_INT(r[0].bitrate, 3000000);
    CHECK_EQ_INT(r[1].width, 854);
    CHECK_EQ_INT(r[2].bitrate, 800000);

    CHECK_EQ_INT(conf_parse_ladder("960x540@2000k, 1080p", r, &n, err, sizeof(err)), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(r[0].name, "960x540");
    CHECK_EQ_INT(r[0].width, 960);
    CHECK_EQ_INT(r[0].height, 540);
    CHECK_EQ_INT(r[0].bitrate, 2000000);
    CHECK_EQ_INT(r[1].bitrate, 5000000);

    /* a size without bitrate takes the nearest named rung's */
    CHECK_EQ_INT(conf_parse_ladder("1024x576", r, &n, err, sizeof(err)), 0);
    CHECK_EQ_INT(r[0].bitrate, 1500000);

    CHECK(conf_parse_ladder("720x", r, &n, err, sizeof(err)) < 0);
    CHECK(strstr(err, "720x") != NULL);
    CHECK(conf_parse_ladder("foo", r, &n, err, sizeof(err)) < 0);
    CHECK(strstr(err, "foo") != NULL);
    CHECK(conf_parse_ladder("", r, &n, err, sizeof(err)) < 0);
    CHECK(conf_parse_ladder("720p,,360p", r, &n, err, sizeof(err)) < 0);
    CHECK(conf_parse_ladder("720p,720p", r, &n, err, sizeof(err)) < 0);
    CHECK(strstr(err, "twice") != NULL);
    CHECK(conf_parse_ladder("641x360@800k", r, &n, err, sizeof(err)) < 0);
    CHECK(strstr(err, "even") != NULL);
    CHECK(conf_parse_ladder("640x360@fast", r, &n, err, sizeof(err)) < 0);
    CHECK(conf_parse_ladder("8x8@100k", r, &n, err, sizeof(err)) < 0);
    CHECK(conf_parse_ladder("640x360@800k+", r, &n, err, sizeof(err)) < 0);
    CHECK(conf_parse_ladder("1p,2p,3p,4p,5p,6p,7p,8p,9p,10p,11p,12p,13p,14p,15p,16p,17p", r, &n, err,
                            sizeof(err)) < 0);
    return CHECK_DONE();
}
