/*
 * common: what every stage of onair shares — logging, bounded thread queues,
 * the output clock and its segment grid, the ladder types, and small helpers.
 *
 * Stages (transcoder, encoder, packager, sink) never include each other; they
 * meet through these types and through libav* types (AVFrame, AVPacket,
 * AVCodecParameters), wired together by graph/ for cli/ (a transcode) and
 * schedule/ (a live channel).
 *
 * Errors are negative AVERROR-compatible codes; 0 is success.
 */
#ifndef ONAIR_COMMON_H
#define ONAIR_COMMON_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libavcodec/defs.h>
#include <libavutil/rational.h>

/* ---- logging ---------------------------------------------------------- */

enum LogLevel {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_NOTICE,   /* hidden by -q */
    LOG_INFO,     /* hidden unless -v */
    LOG_DEBUG,
};

/* Global log setup, called once by the CLI before any thread starts.
 * json: one JSON object a line on stdout instead of plain text on stderr
 * (for collectors that read a container's stdout). */
void log_setup(enum LogLevel max_level, int json);
int log_enabled(enum LogLevel level);

/* One line, tagged with the channel ("" when none) and the stage. Thread safe.
 * Never prints from anywhere but here: library code logs, the CLI prints. */
void log_msg(enum LogLevel level, const char *channel, const char *stage,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(enum LogLevel level, const char *channel, const char *stage,
              const char *fmt, va_list ap);

/* An event (common/metrics.h) as a log line: in JSON, the event's members
 * after time, level, channel, stage and msg; in text, at LOG_INFO. */
void log_event(const char *channel, const char *event, const char *fields);

/* A status line (progress) kept at the bottom of a terminal: log lines are
 * printed above it. NULL clears it. Only used when stderr is a terminal. */
void log_status(const char *line);

/* Route libav* messages at or above `level` (AV_LOG_*) through log_msg. */
void log_capture_libav(int level);

/* ---- bounded queues ----------------------------------------------------- */

/* A bounded FIFO of owned pointers between threads. Items move, they are
 * never copied: a successful send passes ownership to the queue, a
 * successful receive passes it to the caller. */
typedef struct Queue Queue;

/* producers: how many queue_close() calls end the stream.
 * free_item frees items left inside when the queue is aborted or freed. */
int queue_new(Queue **q, int capacity, int producers, void (*free_item)(void *item));
/* Blocks while full. AVERROR_EOF when the queue was aborted: the item stays
 * with the caller then. */
int queue_send(Queue *q, void *item);
/* Blocks while empty. AVERROR_EOF once every producer closed and the queue
 * is drained, or when it was aborted. */
int queue_receive(Queue *q, void **item);
/* Like queue_receive, but gives up at deadline_us (clock_monotonic_us;
 * 0: does not wait) with AVERROR(EAGAIN). */
int queue_receive_until(Queue *q, void **item, int64_t deadline_us);
/* Items waiting now. */
int queue_count(Queue *q);

typedef struct QueueStats {
    int capacity;
    int depth;             /* items waiting now */
    int high_water;        /* the most that ever waited */
    int64_t sent;          /* items that went in */
    int64_t full_waits;    /* sends that found it full and waited: its consumer set the pace */
} QueueStats;

/* A snapshot of the counters; thread safe. */
void queue_stats(Queue *q, QueueStats *st);
/* One producer is done. */
void queue_close(Queue *q);
/* Wakes every waiter, drops what is queued; later sends and receives fail. */
void queue_abort(Queue *q);
void queue_free(Queue **q);

/* Packet streams end with an empty packet (no data) carrying the stream's
 * index, so a consumer fed by several producers knows which one ended. */
int queue_send_end_of_stream(Queue *q, int stream_index);

/* free_item callbacks for the item types onair moves */
void queue_free_frame(void *frame);    /* AVFrame */
void queue_free_packet(void *packet);  /* AVPacket */

/* ---- clock and segment grid ------------------------------------------- */

int64_t clock_monotonic_us(void);
/* A condition variable whose timed waits count on clock_monotonic_us's clock
 * (the timespec of pthread_cond_timedwait is a monotonic deadline), so that a
 * wall clock that steps neither shortens nor stretches a wait. */
void cond_init_monotonic(pthread_cond_t *c);
int64_t clock_wall_us(void);
/* Sleeps for us microseconds, or less: stop (may be NULL) is asked every
 * 10 ms and a nonzero answer ends the sleep. For waits that a stop must be
 * able to cut short (a reconnect's backoff, a thread's tick). */
void clock_sleep_us(int64_t us, int (*stop)(void *opaque), void *opaque);
/* ISO 8601 UTC with milliseconds, as HLS and DASH write it:
 * 2026-11-25T12:00:00.000Z. size >= 32. */
void clock_format_iso(int64_t wall_us, char *out, size_t size);

#define CLOCK_UTC_DATE 1     /* the date too: 2026-11-25T12:00:00Z, else 12:00:00Z */
#define CLOCK_UTC_MS   2     /* milliseconds always, else only when not whole seconds */
/* ISO 8601 UTC as flags (CLOCK_UTC_*) ask; clock_format_iso is DATE | MS.
 * Cut to fit size (32 holds any). */
void clock_format_utc(int64_t wall_us, unsigned flags, char *out, size_t size);

/* a / b rounded towards minus infinity (b > 0), so a time before the epoch
 * falls in the day or second it belongs to, not the one after. */
int64_t clock_floor_div(int64_t a, int64_t b);

/* The output clock: video frame n has pts n in time base 1/fps. Segment k
 * starts at frame round(k * segment * fps), so every segment is `segment`
 * long to within one frame (exactly, when segment * fps is whole) and the
 * segments never drift from the wall clock, even at 30000/1001. Every rung
 * and the packager use this one rule, which is what keeps IDRs aligned.
 *
 * A live channel adds splices: frames where a segment starts besides the
 * regular ones (an ad break's out and its return), so that the segment in
 * progress is cut short there and the next starts on the splice frame, in
 * every rung alike. The regular boundaries stay where they are; each splice
 * adds one segment, so the numbers after it move up by one. */
typedef struct GridSplices GridSplices;

typedef struct SegmentGrid {
    AVRational fps;
    int64_t segment_us;
    GridSplices *splices;          /* NULL: none (a transcode); shared by every copy */
} SegmentGrid;

int64_t grid_segment_start(const SegmentGrid *g, int64_t k);      /* first frame of segment k */
int64_t grid_segment_of_frame(const SegmentGrid *g, int64_t frame);
int grid_is_boundary(const SegmentGrid *g, int64_t frame);
/* Largest number of frames in any segment. */
int grid_max_segment_frames(const SegmentGrid *g);

/* What an encoder asks of each frame before it encodes it: whether the
 * frame starts a segment (an IDR). It also commits the frame: a splice can
 * no longer be added at or before it, so that every rung and the packager
 * agree on where segments start (grid_splices_add). */
int grid_encode_keyframe(const SegmentGrid *g, int64_t frame);

/* The splices of a channel; thread safe. */
int grid_splices_new(GridSplices **s);
void grid_splices_free(GridSplices **s);
/* A segment of g starts at frame. 0 (also when one starts there already),
 * AVERROR(EAGAIN) when an encoder has reached the frame (too late: choose a
 * later one), AVERROR(ENOSPC) with GRID_SPLICES_AHEAD splices still ahead
 * of the encoders. Splices the encoders passed long ago are folded into
 * the numbering (grid_splices_anchor), so a channel that runs for years
 * keeps a bounded list. */
#define GRID_SPLICES_AHEAD 1024
int grid_splices_add(const SegmentGrid *g, int64_t frame);
/* The splices at or after frame that no encoder has reached are dropped
 * (the timeline changed from there; what is cued again adds its own). */
void grid_splices_drop_from(const SegmentGrid *g, int64_t frame);
/* The splice at frame is dropped, unless an encoder reached it
 * (AVERROR(EAGAIN)): a cut cued there that went on air a frame later. 0
 * also when there is none. */
int grid_splices_remove(const SegmentGrid *g, int64_t frame);
/* Segment `number` of g starts at `frame` (a boundary): a packager resuming
 * a published window numbers on from there, whatever splices came before
 * (they are forgotten; the numbers of frames before `frame` are no longer
 * exact). */
void grid_splices_anchor(const SegmentGrid *g, int64_t frame, int64_t number);

/* LL-HLS parts are whole frames counted from each segment's start: part_us
 * at fps is rounded down, to one frame at least. The config's warnings and
 * the packager's cuts both follow this rule. */
int64_t grid_part_frames(AVRational fps, int64_t part_us);
/* The parts of a segment of seg_frames (the last may be shorter), and how
 * many frames that last one has. part_frames > 0. */
int64_t grid_segment_parts(int64_t seg_frames, int64_t part_frames);
int64_t grid_last_part_frames(int64_t seg_frames, int64_t part_frames);

/* A live channel's output clock on the wall clock: frame first_frame airs at
 * epoch_us, frame n at epoch_us + (n - first_frame) / fps (a restart
 * continues the frame count with a new epoch). */
typedef struct AirClock {
    AVRational fps;
    int64_t epoch_us;
    int64_t first_frame;
} AirClock;

/* Wall time (us since the Unix epoch) frame n airs at. */
int64_t air_clock_time(const AirClock *c, int64_t frame);
/* The first frame that airs at or after wall time t (first_frame for any t
 * before the epoch). */
int64_t air_clock_frame_at(const AirClock *c, int64_t t);

/* ---- names ----------------------------------------------------------- */

/* The longest channel id or source name a config may give (conf/ refuses
 * longer ones), and the longest folder or file name the server looks up,
 * in bytes, the NUL not counted: a buffer for one is NAME_MAX_LEN + 1. Ids
 * name URLs, folders, log lines and metrics labels. */
#define NAME_MAX_LEN 64

/* ---- ladder ---------------------------------------------------------- */

/* A rung's name, the NUL counted. */
#define RUNG_NAME_MAX 32

/* A rung as asked for: a box and a bitrate. The picture is fitted inside
 * the box keeping the source's display aspect (no padding). */
typedef struct Rung {
    char name[RUNG_NAME_MAX];
    int width, height;
    int64_t bitrate;       /* bits per second */
} Rung;

#define LADDER_MAX 16

/* Fit a source of width x height and sample aspect sar inside box_w x box_h,
 * keeping its display aspect; even dimensions. */
void rung_fit(int src_w, int src_h, AVRational sar, int box_w, int box_h,
              int *out_w, int *out_h);

/* ---- choices ------------------------------------------------------------ */

/* Index of s in a NULL-terminated list of names; -1 when it is none (or
 * NULL). Exact: no case folding, no spaces. */
int choice_index(const char *const *names, const char *s);
/* "a, b, c" for messages; cut to fit size, always terminated. */
void choice_list(const char *const *names, char *out, size_t size);

/* ---- encoders ----------------------------------------------------------- */

/* x264's presets, fastest first, NULL-terminated: what --preset and
 * encoder.preset take. Hardware backends map each onto theirs by its index
 * (encoder/hw.c), and the planner keeps its CPU costs by index (encoder/plan.c). */
#define PRESET_COUNT 10
extern const char *const preset_names[PRESET_COUNT + 1];
#define PRESET_DEFAULT "veryfast"
/* choice_index in preset_names. */
int preset_index(const char *name);

/* What --encoder and encoder.backend take: "auto" (the first usable hardware
 * backend, else x264), then the name of every backend of encoder/'s registry
 * (tests/unit/test_fallback.c checks that the two agree). NULL-terminated. */
extern const char *const encoder_choice_names[];
#define ENCODER_CHOICE_DEFAULT "auto"
/* What --fallback and encoder.fallback take: the backend that replaces a
 * hardware one that fails, or "none" (the job fails). NULL-terminated. */
extern const char *const encoder_fallback_names[];
#define ENCODER_FALLBACK_DEFAULT "x264"

/* ---- codec profiles ------------------------------------------------------ */

/* A libavcodec profile constant by its name: CODEC_PROFILE(AAC_LOW),
 * CODEC_PROFILE(H264_BASELINE). FFmpeg 6.1 renamed FF_PROFILE_* to
 * AV_PROFILE_* (libavcodec/defs.h) and 7.0 drops the old names; the values
 * are the same. Expands at the use, where libavcodec/avcodec.h is included. */
#ifdef AV_PROFILE_AAC_LOW
#define CODEC_PROFILE(name) AV_PROFILE_##name
#else
#define CODEC_PROFILE(name) FF_PROFILE_##name
#endif

/* ---- H.264 ------------------------------------------------------------- */

/* profile_idc, the constraint flags and level_idc (the three bytes after
 * the NAL header) of the first SPS in data: avcC (ISO/IEC 14496-15, whose
 * first byte is 1 and which copies them) or Annex B (start codes; a NAL
 * ends where 00 00 00 or 00 00 01 begins). Emulation prevention bytes
 * (00 00 03) are dropped, as a decoder does. AVERROR_INVALIDDATA when there
 * is no SPS or it is cut short. */
int h264_sps_head(const uint8_t *data, size_t size, uint8_t head[3]);

/* ---- scaling ---------------------------------------------------------- */

struct AVFrame;

/* Scales pictures of any size and format libswscale reads to dst_w x dst_h
 * yuv420p with libswscale's bicubic: rungs, and sources fitted to a canvas.
 * 8-bit 4:2:0 downscales run on onair's own AVX2 path where the host has
 * it (0.5 to 0.8 of libswscale's time at ladder ratios), equal to
 * libswscale within rounding. */
typedef struct Scaler Scaler;

#define SCALER_LIBSWSCALE 1   /* libswscale alone (tests, comparisons) */

int scaler_new(Scaler **s, int dst_w, int dst_h, unsigned flags);
/* out must have dst_w x dst_h yuv420p buffers; in is read only. A change of
 * input size or format mid-stream is followed. */
int scaler_scale(Scaler *s, const struct AVFrame *in, struct AVFrame *out);
/* How the last picture was scaled, for logs and tests. */
const char *scaler_method(const Scaler *s);
void scaler_free(Scaler **s);

/* ---- helpers ----------------------------------------------------------- */

/* Text error for an AVERROR code, in a static-per-call buffer of the caller. */
const char *err_str(int err, char *buf, size_t size);
#define ERR_BUF_SIZE 128
/* Convenience for log arguments: a compound-literal buffer. */
#define ERRSTR(e) err_str((e), (char[ERR_BUF_SIZE]){0}, ERR_BUF_SIZE)

/* mkdir -p; 0 or AVERROR(errno). */
int path_mkdirs(const char *path);
/* Join dir and name into out (size bytes); AVERROR(ENAMETOOLONG) when it does not fit. */
int path_join(char *out, size_t size, const char *dir, const char *name);

/* The folder of the files onair serves (player.html, status.html, their
 * scripts, node_modules/hls.js/dist/): the installed copy beside the binary
 * (<bindir>/../share/onair/web, found from /proc/self/exe) when there is one,
 * else the source tree's web/ (a build run in place). Resolved once; the
 * string is static. */
const char *web_root_default(void);

/* The CPU cores this process may run on (its affinity: taskset, a
 * container's cpuset), at least 1. */
int cpu_count(void);

/* Names the calling thread (printf-style; cut to the 15 characters Linux
 * keeps), as `top -H`, perf and gdb show it. */
void thread_set_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable byte buffer. */
typedef struct Buf {
    uint8_t *data;
    size_t len, cap;
} Buf;
int buf_append(Buf *b, const void *data, size_t len);
int buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(Buf *b);
/* Cuts the contents back to len bytes (len <= b->len), e.g. to undo a
 * partly written piece. */
void buf_truncate(Buf *b, size_t len);
void buf_free(Buf *b);

/* The wait before the next try after `failures` in a row (>= 1): first,
 * doubled for each failure after the first, capped at cap. Callers add
 * their own jitter where many clients would retry in step. */
int64_t backoff_delay(int64_t first, int64_t cap, int failures);

/* ---- text for people and for JSON ---------------------------------------- */

/* A length as the config writes one, for messages and the reference:
 * "1h30m", "2s", "500ms", "2.020s"; "%g" seconds where it is not whole
 * milliseconds ("0.0005s"). */
void format_duration(char *out, size_t size, int64_t us);
/* A frame rate as users write it: "25", "29.97" (30000/1001), "23.976". */
void format_fps(char *out, size_t size, AVRational fps);
/* Milliseconds, a figure for tables: "0.4", "12.5", "250", "3000". */
void format_ms(char *out, size_t size, int64_t us);
/* A short time for prose: "0.4 ms", "250 ms", "2.5 s". */
void format_elapsed(char *out, size_t size, int64_t us);

/* s as a JSON string with its quotes: '"' and '\\' escaped, a line break as
 * \n, other control characters as \u00XX; bytes from 0x20 up (UTF-8) as
 * they are. To a buffer (0 or AVERROR(ENOMEM); on failure b holds what it
 * held), or to a stream. */
int json_append_string(Buf *b, const char *s);
void json_write_string(FILE *f, const char *s);

/* ---- civil time and time zones ----------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. Exact for
 * any year an int holds; month 1-12, day 1-31. */
int64_t civil_to_days(int year, int month, int day);
void civil_from_days(int64_t days, int *year, int *month, int *day);

/* A time zone read from tzdata (TZif, RFC 8536): its transitions and the
 * POSIX rule that extends them into the future. Immutable once loaded, so
 * any number of threads may use one at once; nothing here touches the
 * process's TZ or calls tzset(). */
typedef struct Tz Tz;

/* Loads zone `name` ("Europe/Berlin", "America/New_York", "UTC") from $TZDIR
 * or /usr/share/zoneinfo. "UTC" needs no file. On error err gets a message
 * for the user and *tz is NULL. The caller owns *tz (tz_free). */
int tz_load(Tz **tz, const char *name, char *err, size_t err_size);
/* The same from the bytes of a TZif file (tests, fuzzing); data is copied. */
int tz_parse(Tz **tz, const char *name, const uint8_t *data, size_t size,
             char *err, size_t err_size);
void tz_free(Tz **tz);
const char *tz_name(const Tz *tz);

typedef struct TzLocal {
    int year, month, day, hour, minute, second, usec;
    int weekday;        /* 0 = Sunday */
    int utc_offset;     /* seconds east of UTC */
    int is_dst;
    char abbr[16];      /* "CEST"; "+0530" when the zone names none */
} TzLocal;

/* Seconds east of UTC in force at utc_us (microseconds since the epoch). */
int tz_offset(const Tz *tz, int64_t utc_us);
void tz_to_local(const Tz *tz, int64_t utc_us, TzLocal *out);

enum TzLocalKind {
    TZ_LOCAL_UNIQUE = 0,  /* the wall time happens once */
    TZ_LOCAL_GAP,         /* skipped by a change (spring forward) */
    TZ_LOCAL_AMBIGUOUS,   /* happens twice (fall back) */
};

/* A local wall time (microseconds since 1970-01-01T00:00 local) -> UTC.
 * A time in a gap does not exist; it is read with the offset in force before
 * the change, which moves it forward by the length of the gap (02:30 on a
 * 02:00 -> 03:00 night airs at 03:30), so a daily item still airs that day
 * and at most the gap late. A time in an overlap happens twice; the first
 * (earlier) instant is returned, so a daily item airs once, not twice.
 * kind (may be NULL) says which case applied. */
int64_t tz_local_to_utc(const Tz *tz, int64_t local_us, enum TzLocalKind *kind);

/* ---- audio on a sample clock (audio.c) --------------------------------- */

/* Audio that must run on without breaks (a source's own clock in the
 * playout, the output clock in the audio encoder) takes each frame where its
 * pts says, against where the clock has got to: silence over a gap, the
 * frame's head dropped where it overlaps what is there already. Both stages
 * decide with audio_place and write with the fifo helpers below. */
typedef struct AudioPlacement {
    int64_t silence;          /* samples of silence to put before the frame (a gap) */
    int64_t skip;             /* samples to drop from its start (an overlap); may be more
                               * than the frame has: then all of it goes */
} AudioPlacement;

/* Where a frame whose first sample is at `pts` goes on a clock standing at
 * `pos` (both in samples). A difference of up to `tolerance` either way is
 * jitter and is left alone: the frame goes on at pos. */
AudioPlacement audio_place(int64_t pos, int64_t pts, int64_t tolerance);

struct AVAudioFifo;
/* Appends n (>= 0) samples of silence to fifo, which holds planar float
 * (AV_SAMPLE_FMT_FLTP) audio of `channels` channels. 0 or a negative AVERROR;
 * on failure part of it may have been written. */
int audio_fifo_write_silence(struct AVAudioFifo *fifo, int channels, int64_t n);
/* Appends samples [offset, offset + n) of frame f (its nb_samples, format and
 * channels; the fifo must have been made for that format and count). f is
 * only read. 0 or a negative AVERROR (EINVAL: outside the frame). */
int audio_fifo_write_frame(struct AVAudioFifo *fifo, const struct AVFrame *f, int offset, int n);

#endif
