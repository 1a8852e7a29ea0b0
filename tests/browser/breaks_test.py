#!/usr/bin/env python3
"""Ad breaks as players see them: a live channel served by onair (320x180, 25 fps,
1 s segments; red, then `{ break: 3s, source: green }`, then blue), played in
Debian's headless Chromium by hls.js or Shaka Player (breaks.mjs), judged against
the channel's as-run log (when the break went out and came back) and its own
playlist (the cues it wrote).

    breaks_test.py CASE    (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    breaks_test.py --list

Cases:

  hlsjs-breaks        HLS (TS) with `ad_markers: [daterange, cue]`: hls.js's level details
                      hold the DateRange "brk-1" with START-DATE the break's air time,
                      anchored on the fragment whose PROGRAM-DATE-TIME that is (and
                      hls.js's startTime its start), PLANNED-DURATION 3, SCTE35-OUT as
                      the playlist wrote it, then DURATION 3 and SCTE35-IN; the
                      fragments' tagList has EXT-X-CUE-OUT:DURATION=3.000 on the break's
                      first fragment, EXT-X-CUE-OUT-CONT with the elapsed time on each
                      one inside it, EXT-X-CUE-IN on the return, and no CUE tag
                      elsewhere; playback crosses the break: red, green, blue at the
                      playhead's program dates, no fatal error, no rebuffering, the
                      playhead keeping up with the wall clock.
  shaka-breaks        cmaf (fMP4 HLS + DASH), two breaks: Shaka on the MPD across
                      brk-1, then Shaka on the HLS playlist across brk-2. DASH: a
                      'timelineregionadded' with schemeIdUri urn:scte:scte35:2013:xml,
                      the splice_event_id as id, the break's start and 3 s length, a
                      SpliceInfoSection in its Event. HLS: Shaka maps every
                      EXT-X-DATERANGE to a region whose schemeIdUri is its CLASS, or
                      "com.apple.quicktime.HLS" without one (lib/hls/hls_parser.js,
                      processDateRangeTags_): the region "brk-2" with that scheme, the
                      break's start and 3 s, SCTE35-OUT among its values. The return's
                      DATERANGE (same ID, start and length, SCTE35-IN) is no second
                      region: Shaka's region timeline keeps one per ID, start and end
                      (RFC 8216 lets a later tag of an ID add attributes), so its
                      SCTE35-IN must come as a 'metadata' event of that range. Both
                      played across their break (colours, no error, no rebuffering).
  hlsjs-interstitial  HLS with `interstitials: { asset_list: URL }` where URL is this
                      test's own server: its asset list names one ad, a 3 s yellow VOD
                      made with `onair transcode`. hls.js (its interstitials controller)
                      learns the interstitial "brk-1-ad" from a playlist update before
                      the one that lists the break's first segment, loads the list,
                      starts the ad at the break, plays it (yellow pictures, the asset
                      player's playhead advancing), ends it and resumes the channel at
                      the return (X-RESUME-OFFSET=3: blue, never the green that airs
                      under the ad). Runs on hls-fmp4 (the ad too); BRK_FMT=hls runs it
                      on MPEG-TS.
                      The ad is encoded as the channel is (PRESET: x264 ultrafast, no
                      B-frames), as an ad server conditions its ads to the channel it
                      plays into. It must be here: hls.js (1.7.4) places an fMP4
                      fragment by its decode time (tfdt, passthrough-remuxer), and
                      appends the ad in place of the primary (interstitialAppendInPlace)
                      at the break. An ad with B-frames has its first picture two frames
                      after its first decode time, so it lands 80 ms past the break
                      while the channel's pictures end on it; nothing skips that hole at
                      the hand-over and playback stalls one frame before the break. Both
                      streams are valid (onair's fMP4 keeps composition offsets positive,
                      trun v0); it is the mix of encodings that hls.js cannot join.
                      At the break's out and return the TS packager puts an AAC frame
                      that straddles the cut into the next segment, so the segment
                      before each ends its audio at or before its picture: hls.js takes
                      the later of the two ends as where the interstitial starts.

Every case keeps the players' record (JSON) and a screenshot in ONAIR_ARTIFACTS
(the meson test's build folder), else in its temp folder.
"""

import http.server
import json
import os
import re
import signal
import shutil
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import judge as J  # noqa: E402
import run_test as R  # noqa: E402

FPS = R.FPS
RUNG = R.RUNG
BREAK_S = 3.0
# The channel's (and the ad's) format in hlsjs-interstitial; BRK_FMT=hls runs it on
# MPEG-TS
INTERSTITIAL_FORMAT = os.environ.get('BRK_FMT', 'hls-fmp4')
# RGB of the clips as the canvas shows them (BT.601 round trips land near these)
RGB = {'red': (255, 0, 0), 'green': (0, 255, 0), 'blue': (0, 0, 255), 'yellow': (255, 255, 0)}
MARGIN = 0.3   # s around a cut where a sample's colour is not judged (a frame's lag)
# The channel's x264 preset, and the ad's: an ad server conditions its ads to the
# channel's encoding (hlsjs-interstitial's notes say why it must here)
PRESET = 'ultrafast'


def parse_iso(s):
    return datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def colour(rgb):
    if not isinstance(rgb, list):
        return None
    name = min(RGB, key=lambda c: sum((a - b) ** 2 for a, b in zip(RGB[c], rgb)))
    return name if sum((a - b) ** 2 for a, b in zip(RGB[name], rgb)) < 60 ** 2 * 3 else 'other%s' % rgb


def artifact(wd, name):
    where = os.environ.get('ONAIR_ARTIFACTS') or wd
    os.makedirs(where, exist_ok=True)
    return os.path.join(where, name)


def fetch(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode('utf-8', 'replace')
    except (OSError, ValueError):
        return None


def dateranges(text):
    """[(attrs)] of the EXT-X-DATERANGE lines of a playlist."""
    out = []
    for ln in text.splitlines():
        if ln.startswith('#EXT-X-DATERANGE:'):
            out.append(dict((m.group(1), m.group(2).strip('"'))
                            for m in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', ln.split(':', 1)[1])))
    return out


class Channel:
    """onair run on a channel of clips, served on a free port."""

    def __init__(self, wd, items, output):
        self.wd, self.port = wd, J.free_port()
        for name, c in (('red', 'red'), ('green', 'lime'), ('blue', 'blue')):
            R.make_clip(wd, name, c, None, 6)
        self.conf = os.path.join(wd, 'channel.yaml')
        with open(self.conf, 'w') as f:
            f.write('channel: test\n'
                    'video: { width: %d, height: %d, fps: %d }\n'
                    'ladder: [ "%s@400k" ]\n'
                    'encoder: { backend: x264, preset: %s }\n'
                    'sources:\n'
                    '  red: { file: red.mp4, loop: true }\n'
                    '  green: { file: green.mp4, loop: true }\n'
                    '  blue: { file: blue.mp4, loop: true }\n'
                    'schedule:\n  loop: false\n  items:\n%s'
                    'output: { dir: out, segment: 1s, window: 40, %s, serve: { listen: "127.0.0.1:%d" } }\n'
                    % (R.W, R.H, FPS, RUNG, PRESET, items, output, self.port))
        self.out = os.path.join(wd, 'out')
        self.base = 'http://127.0.0.1:%d/test/' % self.port
        self.log = open(os.path.join(wd, 'onair.log'), 'wb')
        self.p = subprocess.Popen([J.onair_path(), 'run', self.conf, '--admin', 'none', '--for', '90s'],
                                  stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)

    def epoch(self, playlist, limit=30):
        """The PROGRAM-DATE-TIME of the first segment (the channel's frame 0), once
        two segments are listed; None if not within limit s."""
        end = time.monotonic() + limit
        while time.monotonic() < end and self.p.poll() is None:
            text = fetch(self.base + playlist) or ''
            pdts = re.findall(r'#EXT-X-PROGRAM-DATE-TIME:(\S+)', text)
            if len(pdts) >= 2:
                return parse_iso(pdts[0])
            time.sleep(0.25)
        return None

    def stop(self, fails):
        try:
            os.killpg(self.p.pid, signal.SIGTERM)
            self.p.wait(timeout=30)
        except ProcessLookupError:
            self.p.wait()
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
            fails.append('onair did not stop on SIGTERM')
        self.log.close()
        if self.p.returncode != 0:
            with open(os.path.join(self.wd, 'onair.log'), 'rb') as f:
                fails.append('onair run exited %s: %s' % (self.p.returncode, f.read().decode()[-1200:]))

    def breaks(self):
        """{id: (start, end, splice_event_id)} of the as-run log's break records."""
        out = {}
        path = os.path.join(self.out, 'as-run.jsonl')
        for ln in open(path) if os.path.exists(path) else ():
            a = json.loads(ln)
            if a.get('event') == 'break_end':
                s = parse_iso(a['actual_start'])
                out[a['id']] = (s, s + a['duration'], a['splice_event_id'])
        return out


def play(node, chromium, wd, name, player, src, until, timeout=60):
    """breaks.mjs: returns (its record, failures)."""
    log = artifact(wd, 'breaks-%s.json' % name)
    shot = artifact(wd, 'breaks-%s.png' % name)
    p = J.run([node, os.path.join(HERE, 'breaks.mjs'), '--src', src, '--player', player,
               '--until', datetime.utcfromtimestamp(until).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z',
               '--timeout', str(timeout), '--log', log, '--screenshot', shot, '--chromium', chromium],
              timeout=timeout + 60)
    print(p.stdout.rstrip())
    if p.stderr.strip():
        print(p.stderr.rstrip())
    print('player record: %s, screenshot: %s' % (log, shot))
    if p.timed_out or p.returncode != 0 or not os.path.exists(log):
        return None, ['breaks.mjs (%s on %s) failed: rc %s' % (player, src, 'timeout' if p.timed_out else p.returncode)]
    with open(log) as f:
        return json.load(f), []


def playback_failures(rec, start, end, before, during, after, what):
    """Playback across [start, end) (wall clock of the channel): no fatal error, no
    rebuffering after the first 'playing', the playhead's program date through the
    whole break and 2 s past it, the colours before, inside and after, currentTime
    keeping up with the wall clock."""
    fails = []
    errs = [e['msg'] for e in rec.get('errors', [])]
    if errs:
        fails.append('%s: player errors: %s' % (what, errs))
    if rec.get('harness'):
        fails.append('%s: %s' % (what, rec['harness']))
    ev = rec.get('events', [])
    first = next((i for i, e in enumerate(ev) if e['e'] == 'playing'), None)
    if first is None:
        return fails + ['%s: never played (events %s)' % (what, ev)]
    # a 'waiting' after playback started, save one the player ends itself by its
    # own seek over a start-up gap in the first second (play.mjs allows it too)
    stalls = [e for i, e in enumerate(ev[first + 1:], first + 1) if e['e'] == 'waiting' and
              not (e['t'] < 1 and ev[i - 1]['e'] == 'seeking')]
    if stalls:
        fails.append('%s: rebuffered %d time(s): %s' % (what, len(stalls),
                                                       ['waiting@%.3f' % e['t'] for e in stalls]))
    samples = [s for s in rec.get('samples', []) if s.get('date') and not s['paused'] and s['rs'] >= 2]
    if not samples:
        return fails + ['%s: no sample with a program date while playing' % what]
    dates = [parse_iso(s['date']) for s in samples]
    if not (min(dates) < start - 0.5 and max(dates) > end + 2):
        fails.append('%s: the playhead covered %s .. %s, not the break %s .. %s and 2 s after'
                     % (what, samples[0]['date'], samples[-1]['date'], J_iso(start), J_iso(end)))
    # the playhead keeps up: currentTime against wall time from 1 s before the
    # break to the last sample
    span = [s for s, d in zip(samples, dates) if d >= start - 1]
    if len(span) >= 2:
        wall = (span[-1]['wall'] - span[0]['wall']) / 1000
        moved = span[-1]['t'] - span[0]['t']
        if moved < 0.85 * wall:
            fails.append('%s: currentTime moved %.2f s in %.2f s of wall time across the break'
                         % (what, moved, wall))
        stuck = max((b['wall'] - a['wall']) / 1000 for a, b in zip(span, span[1:]) if b['t'] == a['t']) \
            if any(b['t'] == a['t'] for a, b in zip(span, span[1:])) else 0
        if stuck > 1.0:
            fails.append('%s: currentTime stood still for %.2f s across the break' % (what, stuck))
    want = lambda d: (before if d < start - MARGIN else during if start + MARGIN < d < end - MARGIN
                      else after if d > end + MARGIN else None)
    wrong = []
    seen = set()
    for s, d in zip(samples, dates):
        w, got = want(d), colour(s.get('rgb'))
        if w:
            seen.add(w)
            if got != w:
                wrong.append('%s at %s: %s' % (got, s['date'], w))
    if wrong:
        fails.append('%s: %d sample(s) show another colour than the channel aired at that program date: %s'
                     % (what, len(wrong), wrong[:6]))
    for w in (before, during, after):
        if w not in seen:
            fails.append('%s: no sample while %s aired' % (what, w))
    return fails


def J_iso(t):
    return R.iso(t)


def start_time_date(rec, t):
    """The program date of presentation time t, by the player's own mapping
    (date - currentTime of the samples, median)."""
    offs = sorted(parse_iso(s['date']) - s['t'] for s in rec.get('samples', []) if s.get('date'))
    return offs[len(offs) // 2] + t if offs else None


# ---- cases ---------------------------------------------------------------

def tools():
    for mod in ('hls.js', 'shaka-player', 'playwright-core'):
        if not os.path.isdir(os.path.join(HERE, 'node_modules', mod)):
            raise RuntimeError('node_modules/%s missing: run npm ci in tests/browser' % mod)
    node = shutil.which('node')
    if not node:
        raise RuntimeError('node not found (apt-get install nodejs)')
    chromium = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    if not os.path.exists(chromium):
        raise RuntimeError('%s not found (apt-get install chromium)' % chromium)
    return node, chromium


ONE_BREAK = ('    - { source: red, duration: 6s, title: Red }\n'
             '    - { break: 3s, source: green, id: brk-1 }\n'
             '    - { source: blue, duration: 1h, title: Blue }\n')
# the interstitial's break comes later: the player, started once the channel is up,
# must be playing before the break is announced for the test to see it come ahead
INTERSTITIAL_AT = 12
LATE_BREAK = ONE_BREAK.replace('duration: 6s', 'duration: %ds' % INTERSTITIAL_AT)


def case_hlsjs_breaks():
    node, chromium = tools()
    with J.Workdir('browser-hlsjs-breaks') as wd:
        fails, info = [], []
        ch = Channel(wd.path, ONE_BREAK, 'formats: [hls], ad_markers: [daterange, cue]')
        rec = None
        try:
            t0 = ch.epoch(RUNG + '/index.m3u8')
            if t0 is None:
                fails.append('no two segments in %s%s/index.m3u8 within 30 s' % (ch.base, RUNG))
            else:
                rec, f = play(node, chromium, wd.path, 'hlsjs-breaks', 'hlsjs', ch.base + 'master.m3u8',
                              t0 + 6 + BREAK_S + 3)
                fails += f
        finally:
            ch.stop(fails)
        brk = ch.breaks().get('brk-1')
        if not brk:
            fails.append('the as-run log has no record of brk-1: %s' % ch.breaks())
        if rec and brk:
            start, end, _ = brk
            text = open(os.path.join(ch.out, RUNG, 'index.m3u8')).read()
            mine = [d for d in dateranges(text) if d.get('ID') == 'brk-1']
            out_hex = next((d['SCTE35-OUT'] for d in mine if 'SCTE35-OUT' in d), None)
            in_hex = next((d['SCTE35-IN'] for d in mine if 'SCTE35-IN' in d), None)
            fails += hlsjs_daterange_failures(rec, start, end, out_hex, in_hex, info)
            fails += hlsjs_cue_failures(rec, start, end, info)
            fails += playback_failures(rec, start, end, 'red', 'green', 'blue', 'hls.js')
        rc = J.report('browser hlsjs-breaks', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def hlsjs_daterange_failures(rec, start, end, out_hex, in_hex, info):
    fails = []
    d = (rec.get('dateRanges') or {}).get('brk-1')
    frags = rec.get('frags') or {}
    if not d:
        return ['hls.js has no DateRange "brk-1" in its level details (it has %s)'
                % sorted((rec.get('dateRanges') or {}).keys())]
    info.append('hls.js DateRange brk-1: %s' % json.dumps({k: d[k] for k in (
        'startDate', 'startTime', 'duration', 'plannedDuration', 'anchorSn', 'isValid', 'attrHistory')}))
    if not d['isValid']:
        fails.append('hls.js holds DateRange brk-1 invalid: %s' % d)
    if d['startDate'] is None or abs(parse_iso(d['startDate']) - start) > 0.0015:
        fails.append('DateRange brk-1 START-DATE %s, the break went out at %s' % (d['startDate'], J_iso(start)))
    anchor = frags.get(str(d['anchorSn']))
    if not anchor or not anchor['pdt'] or abs(parse_iso(anchor['pdt']) - start) > 0.0015:
        fails.append('hls.js anchors brk-1 on fragment %s (%s), not on the one whose PROGRAM-DATE-TIME is the '
                     'break\'s start' % (d['anchorSn'], anchor))
    elif d['startTime'] is None or abs(d['startTime'] - anchor['start']) > 0.01:
        fails.append('hls.js maps brk-1 to %s s, its fragment %s starts at %.3f s'
                     % (d['startTime'], anchor['sn'], anchor['start']))
    if d['plannedDuration'] != BREAK_S:
        fails.append('DateRange brk-1 PLANNED-DURATION %s, expected 3' % d['plannedDuration'])
    if d['duration'] is None or abs(d['duration'] - (end - start)) > 0.0015:
        fails.append('DateRange brk-1 DURATION %s (the return\'s tag), the break lasted %.3f s'
                     % (d['duration'], end - start))
    a = d['attr']
    if not out_hex or a.get('SCTE35-OUT') != out_hex:
        fails.append('DateRange brk-1 SCTE35-OUT %s, the playlist has %s' % (a.get('SCTE35-OUT'), out_hex))
    if not in_hex or a.get('SCTE35-IN') != in_hex:
        fails.append('DateRange brk-1 SCTE35-IN %s, the playlist has %s' % (a.get('SCTE35-IN'), in_hex))
    for k in ('SCTE35-OUT', 'SCTE35-IN'):
        if not re.fullmatch(r'0x[0-9A-Fa-f]+', a.get(k) or ''):
            fails.append('DateRange brk-1 %s is %r, not a 0x hex sequence' % (k, a.get(k)))
    return fails


def hlsjs_cue_failures(rec, start, end, info):
    """CUE-OUT on the fragment starting the break, CUE-OUT-CONT on each inside, CUE-IN
    on the return, none elsewhere."""
    fails, want, got = [], {}, {}
    for f in (rec.get('frags') or {}).values():
        cues = [t for t in f['tags'] if t[0].startswith('EXT-X-CUE')]
        if not f['pdt']:
            if cues:
                fails.append('fragment %s has CUE tags and no program date: %s' % (f['sn'], cues))
            continue
        t = parse_iso(f['pdt'])
        if abs(t - start) < 0.0015:
            want[f['sn']] = [['EXT-X-CUE-OUT', 'DURATION=%.3f' % BREAK_S]]
        elif start < t < end - 0.0015:
            want[f['sn']] = [['EXT-X-CUE-OUT-CONT', 'ElapsedTime=%.3f,Duration=%.3f' % (t - start, BREAK_S)]]
        elif abs(t - end) < 0.0015:
            want[f['sn']] = [['EXT-X-CUE-IN']]
        else:
            want[f['sn']] = []
        got[f['sn']] = cues
    info.append('hls.js fragments with CUE tags: %s' % {sn: c for sn, c in sorted(got.items()) if c})
    marked = [sn for sn, w in want.items() if w]
    if not any(w and w[0][0] == 'EXT-X-CUE-OUT' for w in want.values()) or \
            not any(w and w[0][0] == 'EXT-X-CUE-IN' for w in want.values()):
        fails.append('hls.js saw no fragment starting at the break (%s) or at its return (%s)'
                     % (J_iso(start), J_iso(end)))
    for sn in sorted(want):
        if got[sn] != want[sn]:
            fails.append('fragment %s (PDT %s) has CUE tags %s, expected %s'
                         % (sn, rec['frags'][str(sn)]['pdt'], got[sn], want[sn]))
    if len(marked) < 3:
        fails.append('only %d fragments in the break and at its return' % len(marked))
    return fails


TWO_BREAKS = ('    - { source: red, duration: 6s, title: Red }\n'
              '    - { break: 3s, source: green, id: brk-1 }\n'
              '    - { source: blue, duration: 14s, title: Blue }\n'
              '    - { break: 3s, source: green, id: brk-2 }\n'
              '    - { source: blue, duration: 1h, title: Blue }\n')


def case_shaka_breaks():
    node, chromium = tools()
    with J.Workdir('browser-shaka-breaks') as wd:
        fails, info = [], []
        ch = Channel(wd.path, TWO_BREAKS, 'formats: [cmaf]')
        recs = {}
        try:
            t0 = ch.epoch(RUNG + '/index.m3u8')
            if t0 is None:
                fails.append('no two segments in %s%s/index.m3u8 within 30 s' % (ch.base, RUNG))
            else:
                # DASH across brk-1 (6 s .. 9 s), then HLS across brk-2 (23 s .. 26 s)
                recs['dash'], f = play(node, chromium, wd.path, 'shaka-dash', 'shaka', ch.base + 'manifest.mpd',
                                       t0 + 9 + 2.5)
                fails += f
                # (started too late for brk-2, the HLS run's playback check says so)
                info.append('the DASH run ended %.1f s into the channel' % (time.time() - t0))
                recs['hls'], f = play(node, chromium, wd.path, 'shaka-hls', 'shaka', ch.base + 'master.m3u8',
                                      t0 + 26 + 2.5)
                fails += f
        finally:
            ch.stop(fails)
        brks = ch.breaks()
        if set(brks) != {'brk-1', 'brk-2'}:
            fails.append('the as-run log has breaks %s, expected brk-1 and brk-2' % sorted(brks))
        if recs.get('dash') and 'brk-1' in brks:
            s, e, eid = brks['brk-1']
            fails += shaka_dash_failures(recs['dash'], s, e, eid, info)
            fails += playback_failures(recs['dash'], s, e, 'red', 'green', 'blue', 'Shaka (DASH)')
        if recs.get('hls') and 'brk-2' in brks:
            s, e, _ = brks['brk-2']
            text = open(os.path.join(ch.out, RUNG, 'index.m3u8')).read()
            mine = [d for d in dateranges(text) if d.get('ID') == 'brk-2']
            out_hex = next((d['SCTE35-OUT'] for d in mine if 'SCTE35-OUT' in d), None)
            in_hex = next((d['SCTE35-IN'] for d in mine if 'SCTE35-IN' in d), None)
            fails += shaka_hls_failures(recs['hls'], s, e, out_hex, in_hex, info)
            fails += playback_failures(recs['hls'], s, e, 'blue', 'green', 'blue', 'Shaka (HLS)')
        rc = J.report('browser shaka-breaks', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def region_summary(r):
    return {k: r[k] for k in ('schemeIdUri', 'id', 'startTime', 'endTime')}


def shaka_dash_failures(rec, start, end, event_id, info):
    regions = rec.get('regions') or []
    info.append('Shaka %s DASH regions: %s' % (rec.get('version'), [region_summary(r) for r in regions]))
    mine = [r for r in regions if r['schemeIdUri'] == 'urn:scte:scte35:2013:xml' and str(r['id']) == str(event_id)]
    if len(mine) != 1:
        return ['Shaka reported %d timelineregionadded of urn:scte:scte35:2013:xml with id %s (the splice_event_id '
                'of brk-1), expected 1: %s' % (len(mine), event_id, [region_summary(r) for r in regions])]
    r, fails = mine[0], []
    at = start_time_date(rec, r['startTime'])
    if at is None or abs(at - start) > 0.05:
        fails.append('Shaka\'s DASH region starts at %.3f s (%s), the break went out at %s'
                     % (r['startTime'], at and J_iso(at), J_iso(start)))
    if abs((r['endTime'] - r['startTime']) - (end - start)) > 0.002:
        fails.append('Shaka\'s DASH region lasts %.3f s, the break %.3f s' % (r['endTime'] - r['startTime'], end - start))
    if 'SpliceInfoSection' not in json.dumps(r.get('eventNode')):
        fails.append('Shaka\'s DASH region has no SpliceInfoSection in its Event: %s' % r.get('eventNode'))
    return fails


def shaka_hls_failures(rec, start, end, out_hex, in_hex, info):
    regions = rec.get('regions') or []
    info.append('Shaka %s HLS regions: %s' % (rec.get('version'), [
        dict(region_summary(r), keys=[v['key'] for v in r['values']]) for r in regions]))
    mine = [r for r in regions if r['id'] == 'brk-2']
    out = [r for r in mine if any(v['key'] == 'SCTE35-OUT' for v in r['values'])]
    if not out:
        return ['Shaka reported no timelineregionadded for DATERANGE brk-2 with SCTE35-OUT: %s'
                % [region_summary(r) for r in regions]]
    r, fails = out[0], []
    if r['schemeIdUri'] != 'com.apple.quicktime.HLS':
        fails.append('Shaka\'s HLS region brk-2 has schemeIdUri %s, expected com.apple.quicktime.HLS (a DATERANGE '
                     'without CLASS)' % r['schemeIdUri'])
    vals = {v['key']: v['data'] for v in r['values']}
    if not out_hex or vals.get('SCTE35-OUT') != out_hex:
        fails.append('Shaka\'s region brk-2 SCTE35-OUT %s, the playlist has %s' % (vals.get('SCTE35-OUT'), out_hex))
    at = start_time_date(rec, r['startTime'])
    if at is None or abs(at - start) > 0.05:
        fails.append('Shaka\'s HLS region brk-2 starts at %.3f s (%s), the break went out at %s'
                     % (r['startTime'], at and J_iso(at), J_iso(start)))
    if abs((r['endTime'] - r['startTime']) - (end - start)) > 0.002:
        fails.append('Shaka\'s HLS region brk-2 lasts %.3f s, the break %.3f s'
                     % (r['endTime'] - r['startTime'], end - start))
    back = [m for m in rec.get('metadata') or [] if (m.get('payload') or {}).get('key') == 'SCTE35-IN']
    info.append('Shaka\'s SCTE35-IN metadata: %s' % back)
    if not in_hex or not any(m['payload']['data'] == in_hex and abs(m['startTime'] - r['startTime']) < 0.002
                             for m in back):
        fails.append('Shaka gave no metadata event with the return\'s SCTE35-IN %s at the region\'s start: %s'
                     % (in_hex, back))
    return fails


class AdServer:
    """The test's ad server on 127.0.0.1: /ads/list.json (the asset list) and the ad's
    files under /ad/, with CORS headers; it notes every request."""

    def __init__(self, root):
        self.requests = []
        me = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=root, **k)

            def end_headers(self):
                self.send_header('Access-Control-Allow-Origin', '*')
                self.send_header('Cache-Control', 'no-store')
                super().end_headers()

            def do_GET(self):
                me.requests.append(self.path)
                self.path = urllib.parse.urlsplit(self.path).path
                super().do_GET()

            def log_message(self, *a):
                pass

        Handler.extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                                      **{'.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t',
                                         '.json': 'application/json'})
        self.httpd = socketserver.ThreadingTCPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_ad(wd, fails):
    """A 3 s yellow ad with a tone, as VOD HLS by `onair transcode`, in wd/ads/ad."""
    src = os.path.join(wd, 'yellow.mp4')
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
            'color=c=yellow:s=%dx%d:r=%d:d=3' % (R.W, R.H, FPS), '-f', 'lavfi', '-i',
            'sine=frequency=880:sample_rate=48000:duration=3', '-t', '3', '-c:v', 'libx264',
            '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-shortest', src])
    ad = os.path.join(wd, 'ads', 'ad')
    r = J.run_onair(['transcode', src, '-o', ad, '--ladder', '%s@400k' % RUNG, '--format', INTERSTITIAL_FORMAT,
                     '--preset', PRESET, '--segment', '1', '-y', '-q'])
    fails += J.crash_failures(r)
    if r.returncode != 0:
        fails.append('onair transcode of the ad exited %s: %s' % (r.returncode, r.describe()))
    return os.path.exists(os.path.join(ad, 'master.m3u8'))


def case_hlsjs_interstitial():
    node, chromium = tools()
    # one record per format: CI runs both into the same artifacts folder
    name = 'hlsjs-interstitial-%s' % INTERSTITIAL_FORMAT
    with J.Workdir('browser-' + name) as wd:
        fails, info = [], []
        if not make_ad(wd.path, fails):
            return J.report('browser ' + name, fails, info, keep=wd.path)
        ads = AdServer(os.path.join(wd.path, 'ads'))
        ad_uri = 'http://127.0.0.1:%d/ad/master.m3u8' % ads.port
        with open(os.path.join(wd.path, 'ads', 'list.json'), 'w') as f:
            json.dump({'ASSETS': [{'URI': ad_uri, 'DURATION': 3.0}]}, f)
        ch = Channel(wd.path, LATE_BREAK, 'formats: [%s], interstitials: { asset_list: ' % INTERSTITIAL_FORMAT +
                     '"http://127.0.0.1:%d/list.json" }' % ads.port)
        rec = None
        try:
            t0 = ch.epoch(RUNG + '/index.m3u8')
            if t0 is None:
                fails.append('no two segments in %s%s/index.m3u8 within 30 s' % (ch.base, RUNG))
            else:
                rec, f = play(node, chromium, wd.path, name, 'hlsjs', ch.base + 'master.m3u8',
                              t0 + INTERSTITIAL_AT + BREAK_S + 3)
                fails += f
        finally:
            ch.stop(fails)
            ads.close()
        info.append('ad server requests: %s' % ads.requests)
        brk = ch.breaks().get('brk-1')
        if not brk:
            fails.append('the as-run log has no record of brk-1: %s' % ch.breaks())
        if rec and brk:
            fails += interstitial_failures(rec, brk[0], brk[1], ad_uri, ads.requests, info)
        rc = J.report('browser ' + name, fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def interstitial_failures(rec, start, end, ad_uri, requests, info):
    fails = []
    info.append('hls.js %s interstitial config %s' % (rec.get('version'), rec.get('config')))
    d = (rec.get('dateRanges') or {}).get('brk-1-ad')
    info.append('hls.js DateRange brk-1-ad: %s' % (d and {k: d[k] for k in (
        'class', 'startDate', 'startTime', 'isValid', 'isInterstitial', 'attr', 'firstSeen')}))
    evs = rec.get('interstitials') or []
    info.append('hls.js interstitial events: %s' % [
        (e['name'], round(e['t'], 3), (e.get('event') or {}).get('id'), (e.get('asset') or {}).get('uri'),
         e.get('error')) for e in evs])
    if not d or not d['isInterstitial'] or not d['isValid']:
        fails.append('hls.js holds no valid interstitial DateRange brk-1-ad: %s' % d)
    elif abs(parse_iso(d['startDate']) - start) > 0.0015:
        fails.append('interstitial brk-1-ad START-DATE %s, the break went out at %s' % (d['startDate'], J_iso(start)))
    # announced ahead: hls.js must know of the interstitial before it can buffer the
    # break's first segment, else it plays that segment's primary media (green)
    # under the start of the ad (appendInPlace); the tag must come in a playlist
    # update before the one that lists that segment
    if d and d.get('anchorSn') is not None:
        levels = rec.get('levels', [])
        listed = next((lv['wall'] for lv in levels if lv['endSN'] >= d['anchorSn']), None)
        if levels and levels[0]['endSN'] >= d['anchorSn']:
            fails.append('hls.js first loaded the playlist after the break\'s first segment was listed: the test '
                         'cannot tell whether the interstitial came ahead (start the break later)')
        elif listed is not None and d['firstSeen'] >= listed:
            fails.append('the interstitial DATERANGE brk-1-ad first came in the playlist update that lists the '
                         'break\'s first segment (sn %d), %.2f s after its START-DATE: hls.js had that segment '
                         'of the primary buffered before it knew of the ad; onair must publish it ahead of the '
                         'break' % (d['anchorSn'], d['firstSeen'] / 1000 - parse_iso(d['startDate'])))
    names = [e['name'] for e in evs]
    for n in ('ASSET_LIST_LOADED', 'INTERSTITIAL_STARTED', 'INTERSTITIAL_ASSET_STARTED',
              'INTERSTITIAL_ASSET_ENDED', 'INTERSTITIAL_ENDED', 'INTERSTITIALS_PRIMARY_RESUMED'):
        if n not in names:
            fails.append('hls.js fired no %s' % n)
    for e in evs:
        if e['name'] in ('INTERSTITIAL_ASSET_ERROR',) or e.get('error'):
            fails.append('hls.js: %s %s' % (e['name'], e.get('error')))
    if not any(q.startswith('/list.json') for q in requests):
        fails.append('the asset list was never requested (ad server saw %s)' % requests)
    if not any(q.startswith('/ad/') and re.search(r'\.(ts|m4s)$', q) for q in requests):
        fails.append('no segment of the ad was requested (ad server saw %s)' % requests)
    started = next((e for e in evs if e['name'] == 'INTERSTITIAL_ASSET_STARTED'), None)
    if started and (started.get('asset') or {}).get('uri') != ad_uri:
        fails.append('the asset that started is %s, the list names %s' % (started.get('asset'), ad_uri))
    errs = [e['msg'] for e in rec.get('errors', [])]
    if errs:
        fails.append('player errors: %s' % errs)
    # the pictures: red, then the ad (yellow) for most of its 3 s, then blue; the
    # green that airs under the ad never shown
    samples = [s for s in rec.get('samples', []) if s['rs'] >= 2 and not s['paused']]
    seq = [colour(s.get('rgb')) for s in samples]
    runs = R.runs(seq)
    info.append('colours shown (samples of 200 ms): %s' % [(c, n) for c, _, n in runs])
    order = [c for c, _, _ in runs if c in RGB]
    yellow = sum(n for c, _, n in runs if c == 'yellow') * 0.2
    if 'green' in seq:
        fails.append('the break\'s own pictures (green) were shown: the ad did not replace it')
    if order[:1] != ['red'] or order[-1:] != ['blue'] or 'yellow' not in order or \
            order.index('yellow') > order.index('blue'):
        fails.append('pictures shown %s, expected red, the ad (yellow), blue' % order)
    if yellow < 2.0:
        fails.append('the ad was seen for %.1f s, expected most of its 3 s' % yellow)
    ad_t = [s['assetT'] for s in samples if s.get('assetT') is not None]
    if ad_t and max(ad_t) - min(ad_t) < 1.5:
        fails.append('the asset player\'s playhead moved %.2f s' % (max(ad_t) - min(ad_t)))
    blue = [s for s, c in zip(samples, seq) if c == 'blue']
    if len(blue) >= 2 and blue[-1]['t'] - blue[0]['t'] < 1.0:
        fails.append('after the ad the channel did not play on (currentTime %.3f .. %.3f)'
                     % (blue[0]['t'], blue[-1]['t']))
    elif len(blue) < 2:
        fails.append('the channel did not resume after the ad')
    return fails


CASES = {'hlsjs-breaks': case_hlsjs_breaks, 'shaka-breaks': case_shaka_breaks,
         'hlsjs-interstitial': case_hlsjs_interstitial}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
