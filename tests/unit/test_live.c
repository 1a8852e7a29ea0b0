/* A live channel end to end, unpaced: playout (test card) -> x264 rung and
 * AAC -> live packager (TS for HLS, fMP4 for DASH). The playlist keeps a
 * sliding window with PROGRAM-DATE-TIME a segment apart and the program as
 * a DATERANGE, old segments are deleted after a window of grace, the state
 * file says where to go on, and a second run resumes the window with a
 * discontinuity and continuing names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "graph/graph.h"

#define FPS 25
#define EPOCH 1795608000LL * 1000000

typedef struct Channel {
    Graph *graph;
} Channel;

static void on_event(void *opaque, const PlayoutEvent *ev)
{
    Channel *c = opaque;
    if (ev->type == PLAYOUT_PROGRAM)
        packager_program(graph_packager(c->graph), "Test card", ev->frame, 60000000);
}

/* The channel's graph, as schedule/channel.c builds it, with an unpaced
 * playout that stops after `frames`. */
static void run_channel(const char *dir, int64_t first_frame, int64_t epoch, int64_t frames, int resume,
                        int64_t part_us)
{
    Channel c = { 0 };
    SegmentGrid grid = { .fps = { FPS, 1 }, .segment_us = 1000000 };
    SourceConfig card = { .url = "bars", .generate = GENERATE_TESTSRC, .canvas_width = 160,
                          .canvas_height = 90, .out_fps = { FPS, 1 }, .out_sample_rate = 48000,
                          .out_channels = 2, .clock_epoch_us = epoch };
    SourceConfig gray = card;
    PlayoutInput *slate = NULL, *bars = NULL;
    Playout *playout = NULL;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    GraphRung rung = { "90p", 160, 90, 200000 };
    AudioConfig ac = { .in_sample_rate = 48000, .in_layout = stereo, .in_fmt = AV_SAMPLE_FMT_FLTP,
                       .sample_rate = 48000, .channels = 2, .bitrate = 64000,
                       .start_pts = first_frame * 48000 / FPS };
    PackagerConfig pc = {
        .outdir = dir, .formats = FORMAT_HLS_TS | FORMAT_DASH, .live = 1, .window = 3, .epoch_us = epoch,
        .first_frame = first_frame, .channel_start_us = EPOCH, .resume = resume, .part_us = part_us,
    };
    PlayoutConfig po = {
        .channel = "t", .width = 160, .height = 90, .fps = { FPS, 1 }, .sample_rate = 48000,
        .channels = 2, .epoch_us = epoch, .first_frame = first_frame, .paced = 0,
        .on_event = on_event, .opaque = &c,
    };

    gray.generate = GENERATE_COLOR;
    gray.color = "gray";
    CHECK_EQ_INT(playout_input_start(&slate, &gray, 0), 0);
    CHECK_EQ_INT(playout_input_start(&bars, &card, 0), 0);
    po.slate = slate;
    CHECK_EQ_INT(playout_new(&playout, &po), 0);
    CHECK_EQ_INT(playout_cue(playout, first_frame, 1, bars, NULL, 0), 0);
    {
        GraphConfig gc = {
            .channel = "t", .playout = playout, .playout_frames = frames,
            .fps = { FPS, 1 }, .grid = grid, .src_width = 160, .src_height = 90,
            .rungs = &rung, .nrungs = 1,
            .encoder = { .backend = "x264", .fallback = "none", .preset = "ultrafast",
                         .origin = "encoder" },
            .low_latency = part_us > 0, .cores = 1,
            .audio = &ac, .packager = &pc,
        };
        CHECK_EQ_INT(graph_new(&c.graph, &gc), 0);
    }
    CHECK_EQ_INT(graph_start(c.graph), 0);
    CHECK_EQ_INT(graph_wait(c.graph), 0);
    CHECK_EQ_INT(graph_head_result(c.graph), 0);
    graph_free(&c.graph);
}

static char *slurp(const char *dir, const char *file)
{
    char path[512];
    FILE *f;
    static char buf[65536];
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (!(f = fopen(path, "r")))
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int exists(const char *dir, const char *file)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return stat(path, &st) == 0;
}

int main(void)
{
    char dir[] = "/tmp/onair-test-live-XXXXXX";
    int64_t next = -1, start = -1;
    char *pl;

    log_setup(LOG_ERROR, 0);
    CHECK(mkdtemp(dir) != NULL);

    /* 8 s: segments 0..7; the playlist shows 5..7, the disk keeps 2..7 */
    run_channel(dir, 0, EPOCH, 8 * FPS, 0, 0);
    pl = slurp(dir, "90p/index.m3u8");
    CHECK(pl != NULL);
    if (pl) {
        CHECK(strstr(pl, "#EXT-X-MEDIA-SEQUENCE:5\n") != NULL);
        CHECK(strstr(pl, "#EXT-X-ENDLIST") == NULL);
        CHECK(strstr(pl, "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T12:00:05.000Z\n#EXTINF:1.000,\nseg_00000005.ts") != NULL);
        CHECK(strstr(pl, "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T12:00:07.000Z\n#EXTINF:1.000,\nseg_00000007.ts") != NULL);
        CHECK(strstr(pl, "#EXT-X-DATERANGE:ID=\"program-0\",CLASS=\"com.onair.program\","
                         "START-DATE=\"2026-11-25T12:00:00.000Z\",PLANNED-DURATION=60.000,X-TITLE=\"Test card\"") != NULL);
        CHECK(strstr(pl, "seg_00000004.ts") == NULL);
        CHECK(strstr(pl, "DISCONTINUITY") == NULL);
    }
    CHECK(!exists(dir, "90p/seg_00000001.ts"));
    CHECK(exists(dir, "90p/seg_00000002.ts"));
    CHECK(exists(dir, "90p/seg_00000007.ts"));
    CHECK(exists(dir, "90p/seg_00000007.m4s"));
    CHECK(exists(dir, "audio/seg_00000007.m4s"));
    CHECK(exists(dir, "master.m3u8"));
    pl = slurp(dir, "manifest.mpd");
    CHECK(pl && strstr(pl, "type=\"dynamic\"") && strstr(pl, "startNumber=\"5\""));
    CHECK_EQ_INT(packager_resume_point(dir, &next, &start), 0);
    CHECK_EQ_INT(next, 8 * FPS);
    CHECK_EQ_INT(start, EPOCH);

    /* a restart 100 s later: segments 8 and 9, after a discontinuity, the
     * window still holding 7 from the first run */
    run_channel(dir, next, EPOCH + 108000000, 2 * FPS, 1, 0);
    pl = slurp(dir, "90p/index.m3u8");
    CHECK(pl != NULL);
    if (pl) {
        CHECK(strstr(pl, "#EXT-X-MEDIA-SEQUENCE:7\n") != NULL);
        CHECK(strstr(pl, "seg_00000007.ts\n#EXT-X-DISCONTINUITY\n"
                         "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T12:01:48.000Z\n#EXTINF:1.000,\nseg_00000008.ts") != NULL);
        CHECK(strstr(pl, "seg_00000009.ts") != NULL);
        CHECK(strstr(pl, "DISCONTINUITY-SEQUENCE") == NULL);
        /* the program keeps the start it aired at (not the restart's time
         * less its length) and ends where the first run stopped */
        CHECK(strstr(pl, "#EXT-X-DATERANGE:ID=\"program-0\",CLASS=\"com.onair.program\","
                         "START-DATE=\"2026-11-25T12:00:00.000Z\",DURATION=8.000,") != NULL);
        CHECK(strstr(pl, "#EXT-X-DATERANGE:ID=\"program-200\",CLASS=\"com.onair.program\","
                         "START-DATE=\"2026-11-25T12:01:48.000Z\",") != NULL);
    }
    CHECK_EQ_INT(packager_resume_point(dir, &next, &start), 0);
    CHECK_EQ_INT(next, 10 * FPS);
    CHECK_EQ_INT(start, EPOCH);

    /* a third run of 3 s: segment 8's discontinuity has left the window and
     * is counted; segment 10 opens with one of its own */
    run_channel(dir, next, EPOCH + 200000000, 3 * FPS, 1, 0);
    pl = slurp(dir, "90p/index.m3u8");
    CHECK(pl && strstr(pl, "#EXT-X-MEDIA-SEQUENCE:10\n") != NULL);
    CHECK(pl && strstr(pl, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
    CHECK(pl && strstr(pl, "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-11-25T12:03:20.000Z\n"
                           "#EXTINF:1.000,\nseg_00000010.ts") != NULL);
    CHECK(!exists(dir, "90p/seg_00000006.ts"));

    /* LL-HLS: 0.2 s parts (5 frames): listed with INDEPENDENT on each
     * segment's first, files that add up to the segment */
    {
        char lldir[] = "/tmp/onair-test-ll-XXXXXX", a[64], b[64];
        FILE *whole, *part;
        int same = 1;
        CHECK(mkdtemp(lldir) != NULL);
        run_channel(lldir, 0, EPOCH, 3 * FPS, 0, 200000);
        pl = slurp(lldir, "90p/index.m3u8");
        CHECK(pl && strstr(pl, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600") != NULL);
        CHECK(pl && strstr(pl, "#EXT-X-PART-INF:PART-TARGET=0.200\n") != NULL);
        CHECK(pl && strstr(pl, "#EXT-X-PART:DURATION=0.200,URI=\"seg_00000001.p0.ts\",INDEPENDENT=YES\n"
                               "#EXT-X-PART:DURATION=0.200,URI=\"seg_00000001.p1.ts\"\n") != NULL);
        CHECK(pl && strstr(pl, "seg_00000001.p4.ts\"\n#EXTINF:1.000,\nseg_00000001.ts") != NULL);
        /* the channel has stopped: no part is hinted that will never come */
        CHECK(pl && strstr(pl, "#EXT-X-PRELOAD-HINT") == NULL);
        /* seg 2's parts, end to end, are seg 2 */
        snprintf(a, sizeof(a), "%s/90p/seg_00000002.ts", lldir);
        whole = fopen(a, "rb");
        for (int i = 0; i < 5 && whole; i++) {
            int c1, c2;
            snprintf(b, sizeof(b), "%s/90p/seg_00000002.p%d.ts", lldir, i);
            part = fopen(b, "rb");
            CHECK(part != NULL);
            while (part && (c2 = fgetc(part)) != EOF)
                if ((c1 = fgetc(whole)) != c2)
                    same = 0;
            if (part)
                fclose(part);
        }
        CHECK(whole && fgetc(whole) == EOF);
        CHECK(same);
        if (whole)
            fclose(whole);
        if (!check_failures) {
            char cmd[600];
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", lldir);
            CHECK_EQ_INT(system(cmd), 0);
        }
    }

    /* a part that is not whole frames: 0.3 s at 25 fps is 7.5 frames, cut
     * as 7 (0.28 s) with the last of a 25-frame segment 4 (0.16 s), as the
     * config loader warns (test_channel.c test_frame_grid) */
    {
        char lldir[] = "/tmp/onair-test-ll-XXXXXX";
        CHECK(mkdtemp(lldir) != NULL);
        run_channel(lldir, 0, EPOCH, 3 * FPS, 0, 300000);
        pl = slurp(lldir, "90p/index.m3u8");
        CHECK(pl && strstr(pl, "#EXT-X-PART:DURATION=0.280,URI=\"seg_00000001.p0.ts\",INDEPENDENT=YES\n"
                               "#EXT-X-PART:DURATION=0.280,URI=\"seg_00000001.p1.ts\"\n"
                               "#EXT-X-PART:DURATION=0.280,URI=\"seg_00000001.p2.ts\"\n"
                               "#EXT-X-PART:DURATION=0.160,URI=\"seg_00000001.p3.ts\"\n"
                               "#EXTINF:1.000,\nseg_00000001.ts") != NULL);
        if (!check_failures) {
            char cmd[600];
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", lldir);
            CHECK_EQ_INT(system(cmd), 0);
        }
    }

    if (!check_failures) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK_EQ_INT(system(cmd), 0);
    } else {
        fprintf(stderr, "output kept in %s\n", dir);
    }
    return CHECK_DONE();
}
