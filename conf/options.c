/*
 * The schema: one table of options per section (key, type, offset, default,
 * range, help), and the value lists they name. Every key of a channel config
 * is declared here and only here: the loader, the defaults, the range checks
 * and the reference (docs/config-reference.md) all read these tables. Apart
 * so that the schema reads as a whole, without the code that walks it.
 */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#include <libavutil/macros.h>

static const char *const generators[] = { "testsrc", "color", "slate", NULL };
static const char *const repeats[] = { "daily", NULL };
static const char *const scte35_modes[] = { "pass", "ignore", NULL };
const char *const conf_source_schemes[] = {
    "srt", "udp", "rtp", "rtmp", "rtmps", "rtsp", "http", "https", "tcp", NULL,
};
/* push targets and webhooks */
const char *const conf_push_schemes[] = { "http", "https", NULL };
static const char *const sample_rates[] = {
    "8000", "11025", "12000", "16000", "22050", "24000", "32000", "44100", "48000", "64000",
    "88200", "96000", NULL,
};

#define F(type, field) offsetof(type, field)
static const Option video_opts[] = {
    { "width", OT_INT, F(ConfVideo, width), "1280", 16, 8192, NULL, NULL, OPT_EVEN,
      "width of the program canvas in pixels; every source is fitted to it" },
    { "height", OT_INT, F(ConfVideo, height), "720", 16, 8192, NULL, NULL, OPT_EVEN,
      "height of the program canvas in pixels" },
    { "fps", OT_FPS, F(ConfVideo, fps), "30", NONE, NONE, NULL, NULL, 0,
      "frame rate of the output clock; sources are converted to it" },
    { .key = NULL },
};
static const Section video_sec = { "video", video_opts, conf_check_video };

static const Option audio_opts[] = {
    { "sample_rate", OT_INT, F(ConfAudio, sample_rate), "48000", NONE, NONE, sample_rates, NULL, 0,
      "output sample rate in Hz" },
    { "channels", OT_INT, F(ConfAudio, channels), "2", 1, 2, NULL, NULL, 0,
      "1 (mono) or 2 (stereo)" },
    { "bitrate", OT_BITRATE, F(ConfAudio, bitrate), "128k", 16e3, 512e3, NULL, NULL, 0,
      "AAC-LC bitrate" },
    { "loudness", OT_LOUDNESS, F(ConfAudio, loudness), NULL, -70, -5, NULL, NULL, 0,
      "EBU R128 target in LUFS (e.g. -23); not given: audio is not normalised" },
    { .key = NULL },
};
static const Section audio_sec = { "audio", audio_opts, NULL };

static const Option rung_opts[] = {
    { "name", OT_RUNG_NAME, F(Rung, name), NULL, NONE, NONE, NULL, NULL, 0,
      "folder and playlist name of the rung; default WIDTHxHEIGHT. A list item may also be a "
      "string: 720p, 480p, 360p, 240p, 1080p or WxH@BITRATE" },
    { "width", OT_INT, F(Rung, width), NULL, 16, 8192, NULL, NULL, OPT_REQUIRED | OPT_EVEN,
      "width of the rung's box; at most video.width" },
    { "height", OT_INT, F(Rung, height), NULL, 16, 8192, NULL, NULL, OPT_REQUIRED | OPT_EVEN,
      "height of the rung's box; at most video.height" },
    { "bitrate", OT_BITRATE, F(Rung, bitrate), NULL, 50e3, 100e6, NULL, NULL, OPT_REQUIRED,
      "video bitrate of the rung" },
    { .key = NULL },
};
static const Section rung_sec = { "ladder[]", rung_opts, conf_check_rung };

static const Option encoder_opts[] = {
    { "backend", OT_ENUM, F(ConfEncoder, backend), ENCODER_CHOICE_DEFAULT, NONE, NONE, encoder_choice_names, NULL, 0,
      "encode backend; auto takes the first usable hardware encoder, else x264" },
    { "fallback", OT_ENUM, F(ConfEncoder, fallback), ENCODER_FALLBACK_DEFAULT, NONE, NONE, encoder_fallback_names, NULL, 0,
      "what a failing hardware backend falls back to (with a warning); none: the channel fails" },
    { "preset", OT_ENUM, F(ConfEncoder, preset), PRESET_DEFAULT, NONE, NONE, preset_names, NULL, 0,
      "x264 preset, mapped onto hardware encoders' presets" },
    { .key = NULL },
};
static const Section encoder_sec = { "encoder", encoder_opts, NULL };

static const Option slate_opts[] = {
    { "text", OT_STRING, F(ConfSlate, text), "We'll be right back", 0, 256, NULL, NULL, 0,
      "text centred on the slate; \"\" for none" },
    { "color", OT_COLOR, F(ConfSlate, color), "#1d2b53", NONE, NONE, NULL, NULL, 0,
      "background colour: \"#RRGGBB\" (quoted: an unquoted # starts a YAML comment), \"#RGB\" "
      "or black, white, red, green, blue, yellow, cyan, magenta, gray" },
    { "image", OT_FILE, F(ConfSlate, image), NULL, NONE, NONE, NULL, NULL, 0,
      "a picture shown instead of the colour and text, fitted to the canvas" },
    { .key = NULL },
};
static const Section slate_sec = { "slate", slate_opts, NULL };

static const Option source_opts[] = {
    { "generate", OT_ENUM, F(ConfSource, generate), NULL, NONE, NONE, generators, NULL, 0,
      "a built-in source: testsrc (pattern, wall clock, tone), color (the slate colour), slate" },
    { "file", OT_FILE, F(ConfSource, file), NULL, NONE, NONE, NULL, NULL, 0,
      "a media file, paced at real time; relative to the config's folder; must exist" },
    { "url", OT_URL, F(ConfSource, url), NULL, NONE, NONE, conf_source_schemes, NULL, 0,
      "a live input: srt:// (listener or caller), udp://, rtp://, rtmp://, rtsp://, "
      "http(s):// (HLS pull); reconnected in the background" },
    { "loop", OT_BOOL, F(ConfSource, loop), "false", NONE, NONE, NULL, NULL, 0,
      "file: start again at the end instead of ending" },
    { "start", OT_DURATION, F(ConfSource, start), "0", 0, 8784.0 * 3600 * US, NULL, NULL, OPT_ZERO,
      "file: how far into the file to begin" },
    { "backup", OT_BACKUP, F(ConfSource, backup), NULL, NONE, NONE, conf_source_schemes, NULL, 0,
      "url: a URL or another source's name that replaces it while it delivers nothing; "
      "without one the slate does" },
    { "timeout", OT_DURATION, F(ConfSource, timeout), "5s", 100e3, 3600.0 * US, NULL, NULL, 0,
      "url: how long without data before the backup (or slate) takes over" },
    { "scte35", OT_ENUM, F(ConfSource, scte35), "pass", NONE, NONE, scte35_modes, NULL, 0,
      "url: SCTE-35 cues in the input's MPEG-TS (splice_insert, time_signal; stream type 0x86) "
      "become ad breaks on the channel's clock (pass), or are dropped (ignore)" },
    { .key = NULL },
};
const Section conf_source_sec = { "sources.NAME", source_opts, conf_check_source };

/* source and duration are required of a program, not of a break
 * (conf_check_item says so, naming the key). */
static const Option item_opts[] = {
    { "source", OT_SOURCE_REF, F(ConfItem, source), NULL, NONE, NONE, NULL, NULL, 0,
      "the name of a source under sources; required, except in a break, where it is what "
      "airs for viewers whose ads are not replaced (not given: the slate)" },
    { "duration", OT_DURATION, F(ConfItem, duration), NULL, 100e3, 744.0 * 3600 * US, NULL, NULL,
      0, "how long the item airs (unless a later `at` cuts it short); required, except in a "
      "break, which gives break instead" },
    { "break", OT_DURATION, F(ConfItem, duration), NULL, 100e3, 744.0 * 3600 * US, NULL, NULL, 0,
      "makes the item an ad break this long, instead of duration: marked with SCTE-35 in every "
      "output (HLS DATERANGE, DASH events, in-band), so that an ad inserter or the player can "
      "replace it. It airs like any item: it follows the one before, or starts at its at" },
    { "id", OT_STRING, F(ConfItem, break_id), NULL, 0, CONF_BREAK_ID_MAX, NULL, NULL, 0,
      "a break's id, unique in the channel (the as-run log, the DATERANGE's ID): letters, "
      "digits and - _ . : /; default: break-N, N the item's place in the list (1 for the "
      "first). Only breaks have one" },
    { "title", OT_STRING, F(ConfItem, title), NULL, 0, 256, NULL, NULL, 0,
      "the program's title (playlists' DATERANGE, as-run log); default: the source's name "
      "(a break: " CONF_BREAK_TITLE ")" },
    { "at", OT_AT, F(ConfItem, at), NULL, NONE, NONE, NULL, NULL, 0,
      "start at this wall-clock time, cutting short what is on air: ISO 8601 with its zone "
      "(2026-11-25T12:00:00Z), or HH:MM with repeat: daily. Without at, the item follows the one "
      "before (the first follows the channel's start)" },
    { "repeat", OT_ENUM, 0, NULL, NONE, NONE, repeats, NULL, OPT_NOSTORE,
      "daily: air every day at the HH:MM of at, in the channel's timezone" },
    { .key = NULL },
};
const Section conf_item_sec = { "schedule.items[]", item_opts, conf_check_item };

static const Option schedule_opts[] = {
    { "loop", OT_BOOL, F(ConfSchedule, loop), "false", NONE, NONE, NULL, NULL, 0,
      "after the last item, start again from the first item without at" },
    { "items", OT_ITEMS, 0, NULL, NONE, NONE, NULL, &conf_item_sec, OPT_REQUIRED,
      "the programs, in order" },
    { .key = NULL },
};
static const Section schedule_sec = { "schedule", schedule_opts, NULL };

static const Option low_latency_opts[] = {
    { "part", OT_DURATION, F(ConfLowLatency, part), NULL, 100e3, 5.0 * US, NULL, NULL, OPT_REQUIRED,
      "LL-HLS partial segment length; shorter than output.segment. Parts are whole frames "
      "(rounded down) counted from each segment's start: one that is not a whole number of "
      "frames at video.fps, or does not divide output.segment, draws a warning that says what "
      "the parts become and which whole-frame lengths divide the segment" },
    { .key = NULL },
};
static const Section low_latency_sec = { "output.low_latency", low_latency_opts,
                                         conf_check_low_latency };

/* Not given: 0, the server's own defaults (sink/serve.c), which follow
 * the host's open files; the help says what they are (common/output.h). */
static const Option serve_opts[] = {
    { "listen", OT_LISTEN, F(ConfServe, listen), NULL, NONE, NONE, NULL, NULL, OPT_REQUIRED,
      "HOST:PORT the built-in server listens on; the channel is at http://HOST:PORT/CHANNEL/" },
    { "connections", OT_INT, F(ConfServe, connections), NULL, 1, SERVER_CONNECTIONS_MAX, NULL, NULL,
      0, "connections open at once, in all; one more is answered 503 (Retry-After: 1). Not "
      "given: " AV_STRINGIFY(SERVER_CONNECTIONS_DEFAULT) ". More than the open files allow "
      "(ulimit -n, which onair raises to its hard limit) is lowered to what they allow, with a "
      "warning from onair check and in the log, so that the channel still goes on air. "
      "Channels on the same listen address share one server: they must give the same value, "
      "or only one of them gives it" },
    { "per_address", OT_INT, F(ConfServe, per_address), NULL, 1, SERVER_CONNECTIONS_MAX, NULL, NULL,
      0, "connections open at once from one client address (an IPv6 /64 counts as one); at "
      "most connections. Not given: half of connections. A CDN's shield pulling from few "
      "addresses may need more. Shared as connections is" },
    { "idle_timeout", OT_DURATION, F(ConfServe, idle_timeout), NULL, 1e6, 3600.0 * US, NULL, NULL,
      0, "a connection that sends nothing this long is closed; whole seconds (a fraction is rounded "
      "up, with a warning). Not given: " AV_STRINGIFY(SERVER_IDLE_TIMEOUT_DEFAULT_S) "s. "
      "Channels on one listen address share it as connections" },
    { .key = NULL },
};
static const Section serve_sec = { "output.serve", serve_opts, conf_check_serve };

static const Option push_opts[] = {
    { "url", OT_URL, F(ConfPush, url), NULL, NONE, NONE, conf_push_schemes, NULL,
      OPT_REQUIRED | OPT_BASE_URL,
      "base URL of the origin; files are PUT under it at the paths of the output tree" },
    { "name", OT_ID, F(ConfPush, name), NULL, 1, NAME_MAX_LEN, NULL, NULL, 0,
      "the target's label in metrics and events (`target`), unique among the channel's "
      "targets; not given: its index (0 for the first)" },
    { "bearer_env", OT_ENV, F(ConfPush, bearer_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding a bearer token for the origin (the token never goes in "
      "the file)" },
    { "basic_user_env", OT_ENV, F(ConfPush, basic_user_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the HTTP basic auth user (with basic_password_env)" },
    { "basic_password_env", OT_ENV, F(ConfPush, basic_password_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the HTTP basic auth password" },
    { "headers", OT_HEADERS, F(ConfPush, headers), NULL, NONE, NONE, NULL, NULL, 0,
      "extra request headers: a mapping Name: value, or a list of \"Name: value\"" },
    { "ca_file", OT_FILE, F(ConfPush, ca_file), NULL, NONE, NONE, NULL, NULL, 0,
      "PEM bundle that verifies the origin's https certificate; not given: the system's" },
    { "aws_sigv4", OT_STRING, F(ConfPush, aws_sigv4), NULL, 0, 256, NULL, NULL, 0,
      "sign requests with AWS SigV4 for S3-compatible buckets: \"aws:amz:REGION:s3\" "
      "(with aws_key_env, aws_secret_env)" },
    { "aws_key_env", OT_ENV, F(ConfPush, aws_key_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the access key id for aws_sigv4" },
    { "aws_secret_env", OT_ENV, F(ConfPush, aws_secret_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the secret access key for aws_sigv4" },
    { "delete", OT_BOOL, F(ConfPush, delete_segments), "true", NONE, NONE, NULL, NULL, 0,
      "DELETE segments from the origin when they leave the window" },
    { "spool", OT_SIZE, F(ConfPush, spool), AV_STRINGIFY(PUSH_SPOOL_DEFAULT_GIB) "G",
      1024.0 * 1024, 1024.0 * 1024 * 1024 * 1024, NULL,
      NULL, 0, "segments that may wait on disk while the origin fails; past it the oldest go" },
    { "timeout", OT_DURATION, F(ConfPush, timeout), AV_STRINGIFY(PUSH_TIMEOUT_DEFAULT_S) "s",
      1e6, 300.0 * US, NULL, NULL, 0,
      "a request that takes longer fails (and is retried)" },
    { "retry_max", OT_DURATION, F(ConfPush, retry_max), AV_STRINGIFY(PUSH_RETRY_MAX_DEFAULT_S) "s",
      1e6, 300.0 * US, NULL, NULL, 0,
      "cap of the retry backoff while the origin fails" },
    { .key = NULL },
};
static const Section push_sec = { "output.push", push_opts, conf_check_push };

static const Option interstitials_opts[] = {
    { "asset_list", OT_URL, F(ConfInterstitials, asset_list), NULL, NONE, NONE, conf_push_schemes,
      NULL, 0, "X-ASSET-LIST: the ad server's URL that answers each break with a list of ads "
      "(JSON, HLS Interstitials); give this or asset_uri" },
    { "asset_uri", OT_URL, F(ConfInterstitials, asset_uri), NULL, NONE, NONE, conf_push_schemes,
      NULL, 0, "X-ASSET-URI: one ad (an HLS multivariant playlist) played at every break; give "
      "this or asset_list" },
    { "restrict", OT_CHOICES, F(ConfInterstitials, restrictions), "skip, jump", NONE, NONE,
      interstitial_restrict_names, NULL, OPT_ZERO,
      "X-RESTRICT: what the player must not let viewers do during an ad: skip (seek past it), "
      "jump (seek over the break); [] for neither" },
    { .key = NULL },
};
static const Section interstitials_sec = { "output.interstitials", interstitials_opts,
                                           conf_check_interstitials };

static const Option output_opts[] = {
    { "dir", OT_DIR, F(ConfOutput, dir), NULL, NONE, NONE, NULL, NULL, OPT_REQUIRED,
      "where playlists, segments and state go; relative to the config's folder" },
    { "segment", OT_DURATION, F(ConfOutput, segment), AV_STRINGIFY(OUTPUT_SEGMENT_DEFAULT_S) "s",
      500e3, 30.0 * US, NULL, NULL, 0,
      "segment length; every segment is exactly this long where it is a whole number of frames "
      "at video.fps. Where not (2s at 29.97 is 59.94 frames), segments are cut on the frames "
      "either side of it (60 and 59), exact on average, and a warning names whole-frame lengths "
      "(2.002s)" },
    { "window", OT_INT, F(ConfOutput, window), "6", 3, 10000, NULL, NULL, 0,
      "segments kept in a live playlist" },
    { "formats", OT_FORMATS, F(ConfOutput, formats), OUTPUT_FORMAT_DEFAULT, NONE, NONE,
      output_format_names, NULL, 0,
      "list of: hls (MPEG-TS), hls-fmp4, dash, cmaf (fMP4 once, HLS and DASH)" },
    { "low_latency", OT_SECTION, F(ConfOutput, low_latency), NULL, NONE, NONE, NULL,
      &low_latency_sec, 0, "LL-HLS; not given: off" },
    { "serve", OT_SECTION, F(ConfOutput, serve), NULL, NONE, NONE, NULL, &serve_sec, 0,
      "the built-in HTTP server; not given: not served" },
    { "push", OT_PUSH, F(ConfOutput, push), NULL, 1, CONF_PUSH_MAX, NULL, &push_sec, 0,
      "push to a CDN origin (a list: to each of several); not given: not pushed" },
    { "ad_markers", OT_CHOICES, F(ConfOutput, ad_markers), AD_MARKERS_DEFAULT, NONE, NONE,
      ad_marker_names, NULL, 0,
      "how ad breaks are marked beside the SCTE-35 cues in the segments, a list of: daterange "
      "(HLS EXT-X-DATERANGE with SCTE35-OUT/IN), cue (also EXT-X-CUE-OUT/-CONT/-IN, which "
      "MediaTailor and Google DAI read), dash_bin (DASH events as "
      "urn:scte:scte35:2014:xml+bin instead of XML)" },
    { "interstitials", OT_SECTION, F(ConfOutput, interstitials), NULL, NONE, NONE, NULL,
      &interstitials_sec, 0,
      "HLS Interstitials: each break is also a DATERANGE of CLASS com.apple.hls.interstitial, "
      "so that players that support them (hls.js 1.6+, Apple's) play ads from an ad server at "
      "the break, cut at its end; not given: off" },
    { .key = NULL },
};
static const Section output_sec = { "output", output_opts, conf_check_output };

static const Option events_opts[] = {
    { "url", OT_URL, F(ConfEvents, url), NULL, NONE, NONE, conf_push_schemes, NULL, OPT_REQUIRED,
      "webhook: every event of the channel is POSTed here as JSON, one per request, in order; "
      "retried (backoff up to " AV_STRINGIFY(WEBHOOK_RETRY_MAX_S) "s) until the receiver "
      "answers 2xx, never holding the channel back" },
    { "secret_env", OT_ENV, F(ConfEvents, secret_env), NULL, NONE, NONE, NULL, NULL, 0,
      "environment variable holding the key that signs each body (X-Onair-Signature: "
      "sha256=HMAC-SHA256 in hex); not given: events go unsigned, with a warning" },
    { .key = NULL },
};
static const Section events_sec = { "events", events_opts, conf_check_events };

static const Option redundancy_opts[] = {
    { "etcd", OT_URLS, F(ConfRedundancy, etcd), NULL, 1, CONF_ETCD_MAX, conf_push_schemes, NULL, OPT_REQUIRED,
      "client URLs of the etcd cluster (3.4 or later) the instances agree through: one output "
      "clock (the epoch key) and one publisher (the leader key, under a lease)" },
    { "lease", OT_DURATION, F(ConfRedundancy, lease), "4s", 2 * US, 60 * US, NULL, NULL, 0,
      "the leader's lease, whole seconds: a standby takes over within it when the leader dies; "
      "a leader that cannot renew it stops publishing a quarter of it (0.5 s at least) before "
      "it can expire" },
    { .key = NULL },
};
static const Section redundancy_sec = { "redundancy", redundancy_opts, conf_check_redundancy };

static const Option channel_opts[] = {
    { "version", OT_VERSION, F(ChannelConf, version), "1", NONE, NONE, NULL, NULL, 0,
      "schema version; this onair reads 1" },
    { "channel", OT_ID, F(ChannelConf, channel), NULL, 1, NAME_MAX_LEN, NULL, NULL, OPT_REQUIRED,
      "the channel's id, used in URLs, paths and metrics" },
    { "title", OT_STRING, F(ChannelConf, title), NULL, 0, 256, NULL, NULL, 0,
      "the channel's name for people; default: the id" },
    { "timezone", OT_TIMEZONE, F(ChannelConf, timezone), "UTC", NONE, NONE, NULL, NULL, 0,
      "tzdata name (Europe/Berlin, America/New_York) for daily HH:MM times; DST is followed" },
    { "video", OT_SECTION, F(ChannelConf, video), NULL, NONE, NONE, NULL, &video_sec, OPT_REQUIRED,
      "the program canvas" },
    { "audio", OT_SECTION, F(ChannelConf, audio), NULL, NONE, NONE, NULL, &audio_sec, 0,
      "the program audio (AAC-LC)" },
    { "ladder", OT_LADDER, F(ChannelConf, ladder), NULL, 1, LADDER_MAX, NULL, &rung_sec,
      OPT_REQUIRED, "the ABR rungs, each no larger than the canvas" },
    { "encoder", OT_SECTION, F(ChannelConf, encoder), NULL, NONE, NONE, NULL, &encoder_sec, 0,
      "how the rungs are encoded" },
    { "slate", OT_SECTION, F(ChannelConf, slate), NULL, NONE, NONE, NULL, &slate_sec, 0,
      "what airs when no item does, and in place of a lost live source" },
    { "sources", OT_SOURCES, F(ChannelConf, sources), NULL, 1, MAX_SOURCES, NULL, &conf_source_sec,
      OPT_REQUIRED, "the sources items play, by name; each has one of generate, file, url" },
    { "schedule", OT_SECTION, F(ChannelConf, schedule), NULL, NONE, NONE, NULL, &schedule_sec,
      OPT_REQUIRED, "the program schedule" },
    { "output", OT_SECTION, F(ChannelConf, output), NULL, NONE, NONE, NULL, &output_sec,
      OPT_REQUIRED, "where the channel goes" },
    { "events", OT_SECTION, F(ChannelConf, events), NULL, NONE, NONE, NULL, &events_sec, 0,
      "send the channel's events to a webhook; not given: they go to the log and the admin API "
      "only" },
    { "redundancy", OT_SECTION, F(ChannelConf, redundancy), NULL, NONE, NONE, NULL, &redundancy_sec, 0,
      "run as an A/B pair: instances of this file on other machines (`onair run --instance "
      "NAME`) keep one output clock and one publisher; not given: this instance alone" },
    { .key = NULL },
};
const Section conf_channel_sec = { "", channel_opts, conf_check_channel };

int conf_opt_index(const Section *s, const char *key)
{
    for (int i = 0; s->options[i].key; i++)
        if (!strcmp(s->options[i].key, key))
            return i;
    return -1;
}
