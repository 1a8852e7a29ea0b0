#!/usr/bin/env python3
"""LL-HLS / LL-DASH as a client sees them: a live low-latency channel served by
onair, its playlists fetched over HTTP (http.client) and read by an independent
parser (videojs's m3u8-parser, tests/browser/parse_m3u8.mjs), never onair's own.

    ll_test.py CASE      (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    ll_test.py --list

Cases (each runs one channel, 1 s segments cut into 0.2 s parts, 30 fps, a window
of 10 segments, for about 15 s):

  hls    MPEG-TS. Every rendition's playlist, by RFC 8216bis: PART-INF PART-TARGET is
         the configured part; every part lasts at most PART-TARGET and at least 85%
         of it (save a segment's first and last); a segment's parts add up to its
         EXTINF; a segment's first part is INDEPENDENT=YES; SERVER-CONTROL has
         CAN-BLOCK-RELOAD=YES, PART-HOLD-BACK >= 2 x PART-TARGET and CAN-SKIP-UNTIL
         >= 6 x the target duration; PRELOAD-HINT names the part after the last
         listed; a RENDITION-REPORT for each other rendition; every part is there
         and a segment's parts put together are the segment's bytes. The server:
         a blocking reload (_HLS_msn/_HLS_part) answers once the part is listed,
         within 3 target durations; _HLS_part without _HLS_msn and _HLS_msn far
         ahead are 400; _HLS_skip=YES is a delta update (EXT-X-SKIP); the hinted
         part asked for before it is cut is answered with its bytes.
  cmaf   fMP4 with a DASH manifest: the same playlist rules (video and audio), the
         MPD's low-latency attributes, and the segment being cut, asked for, comes
         chunked (Transfer-Encoding: chunked) with the bytes of the finished file.

Both: every listed segment of every rung starts with an IDR (its first slice NAL,
as the ffmpeg CLI copies it out) at the same pts in every rung, and the log carries
no x264 warning about a forced frame type (x264 turning the IDR onair forces at a
boundary into something else, even if it then makes it an IDR again).
"""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(os.path.dirname(HERE), 'browser')
sys.path.insert(0, HERE)
import judge as J  # noqa: E402

FPS = 30
SEGMENT = 1.0
PART = 0.2
WINDOW = 10
NAME = re.compile(r'^seg_(\d+)(?:\.p(\d+))?\.(ts|m4s)$')


# --------------------------------------------------------------------------
# HTTP

class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers      # lower-case names
        self.body = body
        self.elapsed = elapsed

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    @property
    def chunked(self):
        return 'chunked' in self.headers.get('transfer-encoding', '').lower()


def get(port, path, timeout=15):
    """GET http://127.0.0.1:port/path; status 0 with the error as body when it failed."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request('GET', path)
        r = conn.getresponse()
        body = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, body,
                        time.monotonic() - t0)
    except (OSError, http.client.HTTPException) as e:
        return Response(0, {}, ('%s: %s' % (type(e).__name__, e)).encode(),
                        time.monotonic() - t0)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# The independent parser

def parse(text, label):
    """m3u8-parser's reading of a playlist (see parse_m3u8.mjs)."""
    node = shutil.which('node')
    if not node:
        raise RuntimeError('node not found (apt-get install nodejs)')
    p = subprocess.run([node, os.path.join(BROWSER, 'parse_m3u8.mjs')], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise RuntimeError('parse_m3u8.mjs could not read %s: %s' %
                           (label, p.stderr.decode(errors='replace').strip()))
    return json.loads(p.stdout)


def part_key(uri):
    """(segment number, part index) of a part's name; None for other names."""
    m = NAME.match(os.path.basename(uri or ''))
    return (int(m.group(1)), int(m.group(2))) if m and m.group(2) is not None else None


def seg_number(uri):
    m = NAME.match(os.path.basename(uri or ''))
    return int(m.group(1)) if m and m.group(2) is None else None


def listed_parts(pl):
    """Every part the playlist lists, in order: (segment number, index, part)."""
    out = []
    for s in pl['segments']:
        for p in s['parts']:
            k = part_key(p['uri'])
            out.append((k[0] if k else None, k[1] if k else None, p))
    for p in pl['parts']:
        k = part_key(p['uri'])
        out.append((k[0] if k else None, k[1] if k else None, p))
    return out


def lists_part(pl, msn, part):
    """Whether the playlist holds segment msn's part `part` (or segment msn whole)."""
    if any(seg_number(s['uri']) == msn for s in pl['segments']):
        return True
    return any(n == msn and i == part for n, i, _ in listed_parts(pl))


def last_msn(pl):
    return pl['mediaSequence'] + len(pl['segments']) - 1 + (
        pl['skip']['skippedSegments'] if pl.get('skip') else 0)


# --------------------------------------------------------------------------
# The channel

class Channel:
    def __init__(self, wd, fmt):
        self.port = J.free_port()
        self.dir = wd
        conf = os.path.join(wd, 'll.yaml')
        with open(conf, 'w') as f:
            f.write('channel: ll\n'
                    'video: { width: 640, height: 360, fps: %d }\n'
                    'ladder: [ 360p, 240p ]\n'
                    # veryfast, the default: ultrafast has no scene-cut detection, so x264
                    # never runs the slice type analysis in which it overrode forced IDRs
                    'encoder: { backend: x264, preset: veryfast }\n'
                    'sources:\n  bars: { generate: testsrc }\n'
                    'schedule:\n  loop: true\n  items:\n    - { source: bars, duration: 10m }\n'
                    'output: { dir: out, segment: %gs, window: %d, formats: [%s], '
                    'low_latency: { part: %gs }, serve: { listen: "127.0.0.1:%d" } }\n'
                    % (FPS, SEGMENT, WINDOW, fmt, PART, self.port))
        self.log = open(os.path.join(wd, 'onair.log'), 'w+b')
        self.proc = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none'], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def path(self, rel):
        return '/ll/' + rel

    def stop(self, fails):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                fails.append('onair did not stop within 30 s of SIGTERM')
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)   # anything it left behind
        except ProcessLookupError:
            pass
        self.log.seek(0)
        text = self.log.read().decode('utf-8', 'replace')
        self.log.close()
        for m in J.CRASH_MARKERS:
            if m in text:
                fails.append('onair log shows "%s":\n%s' % (m, text[-2000:]))
                break
        if self.proc.returncode not in (0, None):
            fails.append('onair run exited %s:\n%s' % (self.proc.returncode, text[-1500:]))
        return text

    def playlist(self, rel, query=''):
        r = get(self.port, self.path(rel) + query)
        if r.status != 200:
            return r, None
        return r, parse(r.text, rel + query)

    def wait_for(self, rel, min_segments, timeout):
        """The playlist once it lists min_segments whole segments (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return None
            r, pl = self.playlist(rel)
            if pl and len(pl['segments']) >= min_segments:
                return pl
            time.sleep(0.25)
        return None


def renditions(ch):
    """Media playlists the master lists (video variants and audio renditions)."""
    r = get(ch.port, ch.path('master.m3u8'))
    if r.status != 200:
        return None
    out = []
    for ln in r.text.splitlines():
        m = re.search(r'URI="([^"]+)"', ln) if ln.startswith('#EXT-X-MEDIA:') else None
        if m:
            out.append(m.group(1))
        elif ln and not ln.startswith('#'):
            out.append(ln.strip())
    return out


# --------------------------------------------------------------------------
# Playlist rules (RFC 8216bis), each failure naming its rule and playlist

def check_playlist(ch, rel, text, pl, others, fails):
    f = lambda rule, msg: fails.append('%s [%s]: %s' % (rel, rule, msg))  # noqa: E731
    target = pl.get('partTargetDuration') or (pl.get('partInf') or {}).get('partTarget')
    if not target:
        f('PART-INF', 'no EXT-X-PART-INF PART-TARGET')
        return
    # video parts are whole frames: the part exactly; AAC frames (1024 samples)
    # straddle the part grid, so an audio-only playlist may announce up to two
    # frames more (parts must not exceed their target)
    slack = 2 * 1024 / 48000 if rel.startswith('audio/') else 0
    if not (PART - 0.0005 <= target <= PART + slack + 0.0005):
        f('PART-INF', 'PART-TARGET=%.3f, the channel is configured with part %.3f s' % (target, PART))

    parts = listed_parts(pl)
    if not parts:
        f('EXT-X-PART', 'no parts listed')
    for n, i, p in parts:
        if n is None:
            f('EXT-X-PART', 'part URI %r is not a part name onair writes' % p['uri'])
    # durations: <= PART-TARGET; >= 85% of it except INDEPENDENT parts (a segment's
    # first; every audio part) and a segment's last (RFC 8216bis 4.4.4.9)
    for s in pl['segments']:
        sp = s['parts']
        for j, p in enumerate(sp):
            if p['duration'] > target + 0.001:
                f('EXT-X-PART DURATION <= PART-TARGET',
                  '%s DURATION=%.3f > PART-TARGET=%.3f' % (p['uri'], p['duration'], target))
            if not p.get('independent') and j < len(sp) - 1 and p['duration'] < 0.85 * target - 0.001:
                f('EXT-X-PART DURATION >= 0.85 x PART-TARGET',
                  '%s DURATION=%.3f < 85%% of PART-TARGET=%.3f' % (p['uri'], p['duration'], target))
        if sp:
            total = sum(p['duration'] for p in sp)
            if abs(total - s['duration']) > 0.001 * len(sp) + 0.0005:
                f('parts add up to EXTINF', '%s: %d parts sum to %.3f s, EXTINF %.3f s' %
                  (s['uri'], len(sp), total, s['duration']))
            if not sp[0].get('independent'):
                f('INDEPENDENT=YES', 'first part %s of %s lacks INDEPENDENT=YES' % (sp[0]['uri'], s['uri']))
            seg = seg_number(s['uri'])
            idx = [part_key(p['uri']) for p in sp]
            if idx != [(seg, k) for k in range(len(sp))]:
                f('EXT-X-PART', '%s lists parts %s, not p0..p%d of its own segment' %
                  (s['uri'], [p['uri'] for p in sp], len(sp) - 1))
    for j, p in enumerate(pl['parts']):
        if p['duration'] > target + 0.001:
            f('EXT-X-PART DURATION <= PART-TARGET',
              '%s DURATION=%.3f > PART-TARGET=%.3f' % (p['uri'], p['duration'], target))
        if not p.get('independent') and j < len(pl['parts']) - 1 and \
                p['duration'] < 0.85 * target - 0.001:
            f('EXT-X-PART DURATION >= 0.85 x PART-TARGET',
              '%s DURATION=%.3f < 85%% of PART-TARGET=%.3f' % (p['uri'], p['duration'], target))
    if pl['parts'] and part_key(pl['parts'][0]['uri']) and part_key(pl['parts'][0]['uri'])[1] == 0 \
            and not pl['parts'][0].get('independent'):
        f('INDEPENDENT=YES', 'first part %s of the open segment lacks INDEPENDENT=YES' %
          pl['parts'][0]['uri'])
    if not any(s['parts'] for s in pl['segments']):
        f('EXT-X-PART', 'no whole segment is listed with its parts')

    sc = pl.get('serverControl') or {}
    if sc.get('canBlockReload') is not True:
        f('SERVER-CONTROL', 'CAN-BLOCK-RELOAD=YES missing')
    phb = sc.get('partHoldBack')
    if phb is None:
        f('SERVER-CONTROL', 'PART-HOLD-BACK missing (required with EXT-X-PART-INF)')
    elif phb < 2 * target - 0.0005:
        f('SERVER-CONTROL PART-HOLD-BACK >= 2 x PART-TARGET',
          'PART-HOLD-BACK=%.3f < 2 x %.3f' % (phb, target))
    if sc.get('canSkipUntil') is not None and sc['canSkipUntil'] < 6 * pl['targetDuration'] - 0.0005:
        f('SERVER-CONTROL CAN-SKIP-UNTIL >= 6 x TARGETDURATION',
          'CAN-SKIP-UNTIL=%.3f < 6 x %d' % (sc['canSkipUntil'], pl['targetDuration']))

    # PRELOAD-HINT: the part after the last listed one
    if not parts or parts[-1][0] is None:
        pass
    else:
        n, i, _ = parts[-1]
        closed = bool(pl['segments']) and seg_number(pl['segments'][-1]['uri']) == n
        want = (n + 1, 0) if closed else (n, i + 1)
        hints = [h for h in pl['preloadHints'] if h.get('type') == 'PART']
        if len(hints) != 1:
            f('PRELOAD-HINT', 'want one TYPE=PART hint (for seg %d part %d), found %s' %
              (want[0], want[1], pl['preloadHints']))
        elif part_key(hints[0]['uri']) != want:
            f('PRELOAD-HINT', 'hint %s, want the part after the last listed (%s): seg %d part %d' %
              (hints[0]['uri'], parts[-1][2]['uri'], want[0], want[1]))

    # RENDITION-REPORT: one per other rendition, with LAST-MSN/LAST-PART
    base = os.path.dirname(rel)
    reports = {os.path.normpath(os.path.join(base, r['uri'])): r for r in pl['renditionReports']}
    mine = last_msn(pl)
    for o in others:
        r = reports.get(os.path.normpath(o))
        if not r:
            f('RENDITION-REPORT', 'none for %s (reports: %s)' % (o, [x['uri'] for x in pl['renditionReports']]))
            continue
        if not isinstance(r.get('lastMsn'), int) or not isinstance(r.get('lastPart'), int):
            f('RENDITION-REPORT', 'for %s lacks LAST-MSN/LAST-PART: %s' % (o, r))
        elif abs(r['lastMsn'] - mine) > 1:
            f('RENDITION-REPORT', 'for %s says LAST-MSN=%d, this playlist is at %d' % (o, r['lastMsn'], mine))
    for u in reports:
        if u not in [os.path.normpath(o) for o in others]:
            f('RENDITION-REPORT', 'reports %s, which is not another rendition of the master' % u)

    # the parts are there, and a whole segment's parts are its bytes
    for s in pl['segments']:
        if not s['parts']:
            continue
        seg = get(ch.port, ch.path(os.path.join(base, s['uri'])))
        bodies = []
        for p in s['parts']:
            r = get(ch.port, ch.path(os.path.join(base, p['uri'])))
            if r.status != 200:
                f('part files', '%s: HTTP %d' % (p['uri'], r.status))
            bodies.append(r.body)
        if seg.status != 200:
            if seg_number(s['uri']) >= mine - 2:   # an old one may just have gone
                f('segment files', '%s: HTTP %d' % (s['uri'], seg.status))
            continue
        if len(bodies) == len(s['parts']) and b''.join(bodies) != seg.body:
            f('parts are the segment', '%s: its %d parts put together (%d bytes) differ from it (%d bytes)' %
              (s['uri'], len(bodies), sum(len(b) for b in bodies), len(seg.body)))


def check_rungs(ch, rels, fails):
    for rel in rels:
        r, pl = ch.playlist(rel)
        if not pl:
            fails.append('%s: HTTP %d %s' % (rel, r.status, r.text[:200]))
            continue
        check_playlist(ch, rel, r.text, pl, [o for o in rels if o != rel], fails)


def snapshot_segments(ch, rels, fails):
    """A copy of every segment each video rung's playlist lists now (and its init.mp4),
    taken while the channel runs, for check_idr to judge once it has stopped (the ffmpeg
    CLI then has the CPU to itself, and no segment leaves the window while it reads):
    [(rung, segment number, segment URI, url of the copy)]."""
    snap = os.path.join(ch.dir, 'snapshot')
    out = []
    for rel in rels:
        if rel.startswith('audio/'):
            continue
        r, pl = ch.playlist(rel)
        if not pl:
            fails.append('%s: HTTP %d' % (rel, r.status))
            continue
        folder = os.path.join(ch.dir, 'out', os.path.dirname(rel))
        copies = os.path.join(snap, os.path.dirname(rel))
        os.makedirs(copies, exist_ok=True)
        init = None
        for s in pl['segments']:
            name = os.path.basename(s['uri'])
            if name.endswith('.m4s') and init is None:
                init = os.path.join(copies, 'init.mp4')
                try:
                    shutil.copyfile(os.path.join(folder, 'init.mp4'), init)
                except OSError as e:
                    fails.append('%s: init.mp4: %s' % (rel, e))
                    break
            try:
                shutil.copyfile(os.path.join(folder, name), os.path.join(copies, name))
            except FileNotFoundError:
                continue   # left the window since
            path = os.path.join(copies, name)
            url = 'concat:%s|%s' % (init, path) if name.endswith('.m4s') else path
            out.append((rel, seg_number(s['uri']), s['uri'], url))
    return out


def slice_type(annexb):
    """nal_unit_type of the first slice NAL (1 to 5) in an Annex B stream (J.first_slice_type's
    reading of what the ffmpeg CLI copied out); None when there is none."""
    i = annexb.find(b'\x00\x00\x01')
    while 0 <= i and i + 3 < len(annexb):
        if 1 <= annexb[i + 3] & 0x1F <= 5:
            return annexb[i + 3] & 0x1F
        i = annexb.find(b'\x00\x00\x01', i + 3)
    return None


def first_slice_types(urls, scratch):
    """J.first_slice_type of each url, from one run of the ffmpeg CLI: each url its own
    input, copied out (the same options as J.first_packet_nals) to its own output, so
    each is read as alone; one process instead of one per url. Should that run fail,
    each url on its own (each then gets its own verdict)."""
    os.makedirs(scratch, exist_ok=True)
    outs = [os.path.join(scratch, '%d.h264' % i) for i in range(len(urls))]
    argv = ['ffmpeg', '-nostdin', '-v', 'error', '-y']
    for u in urls:
        argv += ['-i', u]
    for i, o in enumerate(outs):
        argv += ['-map', '%d:v:0' % i, '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-frames:v', '1',
                 '-f', 'h264', o]
    r = J.run(argv, timeout=120)
    if r.returncode != 0:
        return [J.first_slice_type(u) for u in urls]
    found = []
    for u, o in zip(urls, outs):
        try:
            found.append(slice_type(open(o, 'rb').read()))
        except OSError:
            found.append(J.first_slice_type(u))
    return found


def first_packet(url):
    """ffprobe's first video packet of url (pts_time, flags), or None; its stderr."""
    p = J.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1',
               '-show_entries', 'packet=pts_time,flags', '-of', 'json', url], timeout=60)
    pk = json.loads(p.stdout or '{}').get('packets') if p.returncode == 0 else None
    return (pk[0] if pk else None), p.stderr


def check_idr(segments, fails, info):
    """Every listed segment of every video rung starts with an IDR, and a segment starts
    at the same pts in every rung (judged by the ffmpeg CLI and ffprobe, from the files
    snapshot_segments copied; a few at a time)."""
    starts = {}   # segment number -> {rung: first video pts}
    checked = 0
    if not segments:
        fails.append('[IDR at every segment start]: no segment of a video rung to check')
    by_rung, nal_of = {}, {}
    for x in segments:
        by_rung.setdefault(x[0], []).append(x)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        # the ffmpeg CLI once a rung, ffprobe once a segment, side by side
        jobs = [(mine, pool.submit(first_slice_types, [x[3] for x in mine],
                                   os.path.join(os.path.dirname(mine[0][3].split('|')[-1]), 'first')))
                for mine in by_rung.values()]
        packets = list(pool.map(lambda x: first_packet(x[3]), segments))
        for mine, job in jobs:
            nal_of.update(zip([x[:3] for x in mine], job.result()))
    for (rel, n, uri, _), (pk, err) in zip(segments, packets):
        nal = nal_of[(rel, n, uri)]
        if nal != 5:
            fails.append('%s [IDR at every segment start]: %s starts with NAL type %s, not an IDR (5)' %
                         (rel, uri, nal))
        if not pk:
            fails.append('%s [IDR at every segment start]: ffprobe reads no video packet in %s: %s' %
                         (rel, uri, err[-300:]))
            continue
        if 'K' not in pk.get('flags', ''):
            fails.append('%s [IDR at every segment start]: %s: first video packet is not a keyframe' %
                         (rel, uri))
        starts.setdefault(n, {})[rel] = float(pk['pts_time'])
        checked += 1
    for n, by_rung in sorted(starts.items()):
        if len(set(round(t, 4) for t in by_rung.values())) > 1:
            fails.append('segment %d [aligned rungs]: starts at %s' % (n, by_rung))
    info.append('IDR at the start of %d segments checked' % checked)


def check_log(text, fails):
    forced = [ln for ln in text.splitlines() if 'forced frame type' in ln]
    if forced:
        fails.append('log [no x264 warnings]: %d lines about a forced frame type, e.g. %s' %
                     (len(forced), forced[0].strip()))


# --------------------------------------------------------------------------
# The server's low-latency answers

HINT = re.compile(r'^#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', re.M)


def check_blocking(ch, rel, fails, info):
    f = lambda rule, msg: fails.append('%s [%s]: %s' % (rel, rule, msg))  # noqa: E731
    # A blocking reload for the next part, a few times. The part asked for is read
    # off the hint with a regular expression, so that the request goes out at once
    # (the parser, a node process, takes longer than some parts last); that the
    # hint is the next part is checked through the parser above.
    # The answers are parsed after the last one: a parse takes about as long as a part
    # lasts, and the next part's reload would otherwise find it all but done.
    waits, answers = [], []
    _, pl = ch.playlist(rel)
    t = pl['targetDuration']
    for _ in range(4):
        r = get(ch.port, ch.path(rel))
        m = HINT.search(r.text) if r.status == 200 else None
        if not m or not part_key(m.group(1)):
            f('blocking reload', 'plain playlist: HTTP %d, no part hinted' % r.status)
            return
        msn, part = part_key(m.group(1))
        q = '?_HLS_msn=%d&_HLS_part=%d' % (msn, part)
        r = get(ch.port, ch.path(rel + q), timeout=3 * t + 10)
        waits.append(r.elapsed)
        if r.status != 200:
            f('blocking reload', '%s: HTTP %d %s' % (q, r.status, r.text[:200]))
            continue
        if r.elapsed > 3 * t + 0.5:
            f('blocking reload', '%s took %.2f s, more than 3 target durations (%d s)' % (q, r.elapsed, 3 * t))
        answers.append((q, r, msn, part))
        time.sleep(0.05)
    for q, r, msn, part in answers:
        got = parse(r.text, rel + q)
        if not lists_part(got, msn, part):
            f('blocking reload', '%s answered after %.3f s with a playlist that does not list seg %d '
              'part %d (last listed: %s)' % (q, r.elapsed, msn, part,
                                             (listed_parts(got) or [(0, 0, {'uri': '-'})])[-1][2]['uri']))
    info.append('%s: blocking reloads for the next part answered after %s s' %
                (rel, ' '.join('%.3f' % w for w in waits)))
    if waits and max(waits) < 0.02:
        f('blocking reload', 'every reload for a part not yet listed came back at once (%s s): '
          'the server does not block' % ' '.join('%.3f' % w for w in waits))

    # bad requests
    r = get(ch.port, ch.path(rel + '?_HLS_part=1'))
    if r.status != 400:
        f('_HLS_part without _HLS_msn is 400', 'got HTTP %d' % r.status)
    _, pl = ch.playlist(rel)
    far = last_msn(pl) + 10
    r = get(ch.port, ch.path(rel + '?_HLS_msn=%d' % far), timeout=3 * pl['targetDuration'] + 10)
    if r.status != 400:
        f('_HLS_msn more than 2 past the last segment is 400',
          '_HLS_msn=%d (last %d): HTTP %d after %.2f s' % (far, last_msn(pl), r.status, r.elapsed))

    # the hinted part asked for before it is cut
    r = get(ch.port, ch.path(rel))
    hints = [{'uri': m} for m in HINT.findall(r.text)]
    if not hints:
        f('PRELOAD-HINT', 'no part hinted')
    else:
        uri = os.path.join(os.path.dirname(rel), hints[0]['uri'])
        r = get(ch.port, ch.path(uri), timeout=15)
        if r.status != 200:
            f('hinted part answered when cut', '%s asked for before it was cut: HTTP %d after %.3f s' %
              (hints[0]['uri'], r.status, r.elapsed))
        else:
            later = get(ch.port, ch.path(uri))
            if later.status == 200 and later.body != r.body:
                f('hinted part answered when cut', '%s: the early answer (%d bytes) is not the part '
                  '(%d bytes)' % (hints[0]['uri'], len(r.body), len(later.body)))
            info.append('%s: hinted part %s answered after %.3f s, %d bytes' %
                        (rel, hints[0]['uri'], r.elapsed, len(r.body)))


def check_skip(ch, rel, fails, info):
    """_HLS_skip=YES: a delta update once the playlist is longer than CAN-SKIP-UNTIL."""
    f = lambda rule, msg: fails.append('%s [%s]: %s' % (rel, rule, msg))  # noqa: E731
    deadline = time.monotonic() + 20
    while True:
        r, pl = ch.playlist(rel)
        if not pl:
            f('_HLS_skip', 'plain playlist: HTTP %d' % r.status)
            return
        span = sum(s['duration'] for s in pl['segments'])
        until = (pl.get('serverControl') or {}).get('canSkipUntil')
        if not until:
            f('_HLS_skip', 'no CAN-SKIP-UNTIL in SERVER-CONTROL')
            return
        if span > until + 2 * pl['targetDuration'] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    r = get(ch.port, ch.path(rel + '?_HLS_skip=YES'))
    if r.status != 200:
        f('_HLS_skip=YES', 'HTTP %d %s' % (r.status, r.text[:200]))
        return
    d = parse(r.text, rel + '?_HLS_skip=YES')
    skipped = (d.get('skip') or {}).get('skippedSegments', 0)
    if not skipped:
        f('_HLS_skip=YES is a delta update', 'no EXT-X-SKIP with SKIPPED-SEGMENTS > 0 in the answer, '
          'though the playlist spans %.1f s and CAN-SKIP-UNTIL=%.1f' % (span, until))
        return
    info.append('%s: delta update skips %d of %d segments' % (rel, skipped, skipped + len(d['segments'])))
    if d['mediaSequence'] < pl['mediaSequence'] or last_msn(d) < last_msn(pl):
        f('_HLS_skip=YES is a delta update', 'the delta (sequence %d, last %d) is older than the '
          'playlist (sequence %d, last %d)' % (d['mediaSequence'], last_msn(d), pl['mediaSequence'], last_msn(pl)))
    kept = sum(s['duration'] for s in d['segments'])
    if kept < until - pl['targetDuration']:
        f('_HLS_skip=YES keeps CAN-SKIP-UNTIL', 'the delta keeps %.1f s of segments, CAN-SKIP-UNTIL=%.1f' %
          (kept, until))


def check_chunked(ch, rel, fails, info):
    """A CMAF segment asked for while it is cut arrives chunked, with the finished file's bytes."""
    f = lambda rule, msg: fails.append('%s [%s]: %s' % (rel, rule, msg))  # noqa: E731
    for attempt in range(3):
        _, pl = ch.playlist(rel)
        # the segment after the one in progress, asked for as soon as its first
        # part is listed (a blocking reload): it is being cut for a whole target
        # duration from then, however late this test's requests are answered
        msn = seg_number(pl['segments'][-1]['uri']) + 2
        get(ch.port, ch.path(rel + '?_HLS_msn=%d&_HLS_part=0' % msn), timeout=3 * pl['targetDuration'] + 10)
        uri = 'seg_%08d.m4s' % msn
        path = os.path.join(os.path.dirname(rel), uri)
        r = get(ch.port, ch.path(path), timeout=20)
        if r.status != 200:
            f('segment streamed while cut', '%s (the segment being cut) asked for: HTTP %d after %.3f s' %
              (uri, r.status, r.elapsed))
            return
        later = get(ch.port, ch.path(path))
        if later.status != 200:
            f('segment streamed while cut', '%s afterwards: HTTP %d' % (uri, later.status))
            return
        if r.body != later.body:
            f('segment streamed while cut', '%s: streamed %d bytes, the finished file has %d (%s)' %
              (uri, len(r.body), len(later.body), 'a prefix' if later.body.startswith(r.body) else 'different'))
            return
        if r.chunked:
            info.append('%s: %s streamed chunked in %.3f s, %d bytes, the finished file\'s' %
                        (rel, uri, r.elapsed, len(r.body)))
            return
        # it may have been finished by the time it was asked for: ask for the next
    f('segment streamed while cut', '%s: no Transfer-Encoding: chunked in 3 tries (headers %s)' %
      (uri, r.headers))


def check_mpd(ch, fails):
    r = get(ch.port, ch.path('manifest.mpd'))
    if r.status != 200:
        fails.append('manifest.mpd: HTTP %d' % r.status)
        return
    ns = {'d': 'urn:mpeg:dash:schema:mpd:2011'}
    try:
        mpd = ET.fromstring(r.body)
    except ET.ParseError as e:
        fails.append('manifest.mpd does not parse: %s' % e)
        return
    if mpd.get('type') != 'dynamic':
        fails.append('manifest.mpd [LL-DASH]: type=%s, want dynamic' % mpd.get('type'))
    if mpd.find('d:ServiceDescription', ns) is None:
        fails.append('manifest.mpd [LL-DASH]: no ServiceDescription (Latency target)')
    ato = [e for e in mpd.iter() if e.get('availabilityTimeOffset') is not None]
    if not ato:
        fails.append('manifest.mpd [LL-DASH]: no availabilityTimeOffset')
    if not [e for e in mpd.iter() if e.get('availabilityTimeComplete') == 'false']:
        fails.append('manifest.mpd [LL-DASH]: no availabilityTimeComplete="false"')


# --------------------------------------------------------------------------

def condense(fails):
    """Each failure once; of one rule in one playlist, the first 3 and a count."""
    out, count = [], {}
    for x in fails:
        if x in out:
            continue
        key = x.split(']:', 1)[0] if ']:' in x else x
        count[key] = count.get(key, 0) + 1
        if count[key] <= 3:
            out.append(x)
    for key, n in count.items():
        if n > 3:
            out.append('%s]: ... and %d more like it' % (key, n - 3))
    return out


def run_case(name, fmt):
    for tool in ('node',):
        if not shutil.which(tool):
            raise RuntimeError('%s not found (apt-get install nodejs)' % tool)
    if not os.path.isdir(os.path.join(BROWSER, 'node_modules', 'm3u8-parser')):
        raise RuntimeError('tests/browser/node_modules/m3u8-parser missing: run npm ci in tests/browser')
    fails, info = [], []
    with J.Workdir('ll-' + name) as wd:
        ch = Channel(wd.path, fmt)
        segments = None
        try:
            first = '360p/index.m3u8'
            if not ch.wait_for(first, 3, 30):
                fails.append('%s: fewer than 3 segments listed within 30 s of start' % first)
            else:
                rels = renditions(ch)
                if not rels:
                    fails.append('master.m3u8: no renditions')
                else:
                    info.append('renditions: %s' % ' '.join(rels))
                    check_rungs(ch, rels, fails)
                    check_blocking(ch, first, fails, info)
                    if fmt == 'cmaf':
                        check_mpd(ch, fails)
                        check_chunked(ch, first, fails, info)
                    check_skip(ch, first, fails, info)
                    # and once more on the longer window
                    check_rungs(ch, rels, fails)
                    segments = snapshot_segments(ch, rels, fails)
        finally:
            check_log(ch.stop(fails), fails)
        if segments is not None:
            check_idr(segments, fails, info)
        rc = J.report(name, condense(fails), info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {
    'hls': lambda: run_case('hls', 'hls'),
    'cmaf': lambda: run_case('cmaf', 'cmaf'),
}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
