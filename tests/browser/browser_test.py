#!/usr/bin/env python3
"""Browser cases: onair transcodes a generated 10 s 640x360 clip (ladder 360p,240p),
then play.mjs plays the output with hls.js or Shaka Player in headless Chromium;
and a live channel (`onair run`, served by onair itself) played for 20 s; and
low-latency channels (0.5 s parts, 2 s segments): hls.js in its low-latency mode
on LL-HLS (TS) must show the parts and blocking reloads and stay within 4 s of the
wall clock; Shaka, in its low-latency mode, plays LL-HLS (fMP4) and LL-DASH
(CMAF) for 12 s without a stall (see LIVE for what each allows).

    browser_test.py CASE     (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    browser_test.py --list
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import judge as J  # noqa: E402

# case: (onair --format, player, URL in OUTDIR)
CASES = {
    'hlsjs-hls': ('hls', 'hlsjs', 'master.m3u8'),
    'hlsjs-cmaf': ('cmaf', 'hlsjs', 'master.m3u8'),
    'shaka-dash': ('dash', 'shaka', 'manifest.mpd'),
    'shaka-cmaf': ('cmaf', 'shaka', 'manifest.mpd'),
    'hlsjs-live': ('live', 'hlsjs', 'master.m3u8'),
    'hlsjs-ll': ('live', 'hlsjs', 'master.m3u8'),
    'shaka-ll-hls': ('live', 'shaka', 'master.m3u8'),
    'shaka-ll-dash': ('live', 'shaka', 'manifest.mpd'),
}

# Live cases: the channel's output formats, its LL part (None: no LL), how long it
# runs before the player starts, what the player must play (s past its start), and
# the checks on play.mjs's report.
LIVE = {
    'hlsjs-live': dict(formats=None, part=None, fps=25, lead=6, played=None),
    'hlsjs-ll': dict(formats='hls', part='0.5s', fps=30, lead=4, played=12,
                     latency_p50_max=4.0, need_parts=True),
    # Shaka 5.2.12 in its low-latency mode on LL-HLS (fMP4). It used to fail to
    # load a young channel: with no CLOSED-CAPTIONS on EXT-X-STREAM-INF, HlsParser
    # (lib/hls/hls_parser.js) probes the video for CEA-608 at load, and among the
    # candidates of getClosedCaptionProbeSegments_ (it drops MISSING segments, not
    # ones without a URI) was the segment being cut, which in lowLatencyMode is a
    # SegmentReference made only of its EXT-X-PART / PRELOAD-HINT parts with no
    # segment URI yet; getInfoFromSegment_ then sent a request with no URI and
    # NetworkingEngine.send_ threw in URL.getScheme(undefined). onair carries no
    # captions and now says so, CLOSED-CAPTIONS=NONE on every EXT-X-STREAM-INF
    # (packager/hls.c), so Shaka skips the probe and loads at once.
    'shaka-ll-hls': dict(formats='hls-fmp4', part='0.5s', fps=30, lead=4, played=12),
    # Shaka in low-latency mode on LL-DASH (chunked CMAF), with drift correction
    # off from the start (see play.mjs): not one wait allowed
    'shaka-ll-dash': dict(formats='cmaf', part='0.5s', fps=30, lead=5, played=12,
                          latency_p50_max=4.0),
}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def read_report(stdout):
    """play.mjs's `report: {...}` line, or None."""
    for ln in stdout.splitlines():
        if ln.startswith('report: '):
            try:
                return json.loads(ln[len('report: '):])
            except ValueError:
                return None
    return None


def report_failures(spec, rep, url):
    """What the report of a low-latency case says is wrong."""
    fails = []
    if rep is None:
        return ['play.mjs printed no report line']
    lat = rep.get('latency') or {}
    if not lat.get('n'):
        fails.append('no latency sample (the player had no program date for its playhead)')
    elif spec.get('latency_p50_max') and lat['p50'] >= spec['latency_p50_max']:
        fails.append('latency behind the wall clock p50 %.3f s (max %.3f s), want < %.1f s' %
                     (lat['p50'], lat['max'], spec['latency_p50_max']))
    if spec.get('need_parts'):
        if not rep.get('parts'):
            fails.append('hls.js saw no EXT-X-PART in the level playlist of %s' % url)
        if rep.get('canBlockReload') is not True:
            fails.append('hls.js read no CAN-BLOCK-RELOAD=YES in the level playlist of %s' % url)
    return fails


def live_case(name, node, chromium):
    """A channel on the wall clock, served by onair: a player plays it for 20 s
    (low-latency cases: 12 s) without running dry once (low-latency cases: with the
    report's checks)."""
    spec = LIVE[name]
    _, player, url = CASES[name]
    with J.Workdir('browser-' + name) as wd:
        port = free_port()
        conf = os.path.join(wd.path, 'live.yaml')
        out = ['dir: out', 'segment: 2s', 'window: 6']
        if spec['formats']:
            out.append('formats: [%s]' % spec['formats'])
        if spec['part']:
            out.append('low_latency: { part: %s }' % spec['part'])
        out.append('serve: { listen: "127.0.0.1:%d" }' % port)
        with open(conf, 'w') as f:
            f.write('channel: live\n'
                    'video: { width: 640, height: 360, fps: %d }\n'
                    'ladder: [ 360p, 240p ]\n'
                    'encoder: { backend: x264, preset: ultrafast }\n'
                    'sources:\n  bars: { generate: testsrc }\n  field: { generate: color }\n'
                    'schedule:\n  loop: true\n  items:\n'
                    '    - { source: bars, duration: 8s }\n    - { source: field, duration: 4s }\n'
                    'output: { %s }\n' % (spec['fps'], ', '.join(out)))
        onair = subprocess.Popen([J.onair_path(), 'run', conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
        fails = []
        src = 'http://127.0.0.1:%d/live/%s' % (port, url)
        try:
            time.sleep(spec['lead'])   # a few segments in the window
            args = [node, os.path.join(HERE, 'play.mjs'), '--src', src, '--player', player,
                    '--live', 'yes', '--timeout', '60', '--audio', 'yes', '--chromium', chromium]
            if spec['played']:
                args += ['--min-time', '1', '--min-played', str(spec['played']),
                         '--low-latency', spec.get('player_low_latency', 'yes'), '--report', 'yes',
                         '--gap-jumps-max', str(spec.get('gap_jumps_max', 0))]
            else:
                args += ['--min-time', '20']
            p = J.run(args, timeout=120)
            print(p.stdout.rstrip())
            if p.stderr.strip():
                print(p.stderr.rstrip())
            what = '%s%s' % (player, ' (low-latency mode)'
                             if spec['played'] and spec.get('player_low_latency', 'yes') == 'yes' else '')
            if p.timed_out:
                fails.append('play.mjs did not finish within 120 s')
            elif p.returncode != 0:
                fails.append('%s could not play %s for %s s without a stall' %
                             (what, src, spec['played'] or 20))
            if spec['played'] and not p.timed_out:
                fails += report_failures(spec, read_report(p.stdout), src)
        finally:
            onair.send_signal(signal.SIGTERM)
            try:
                _, err = onair.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(onair.pid, signal.SIGKILL)
                _, err = onair.communicate()
                fails.append('onair did not stop on SIGTERM')
        if onair.returncode != 0:
            fails.append('onair run exited %s: %s' % (onair.returncode, err.decode()[-800:]))
        rc = J.report(name, fails, keep=wd.path)
        wd.ok = rc == 0
        return rc


def main():
    if len(sys.argv) != 2 or (sys.argv[1] not in CASES and sys.argv[1] != '--list'):
        print(__doc__ + '\ncases: ' + ' '.join(CASES))
        return 2
    if sys.argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    name = sys.argv[1]
    fmt, player, url = CASES[name]
    # Missing player libraries are a failure, never a silent skip.
    for mod in ('hls.js', 'shaka-player', 'playwright-core'):
        if not os.path.isdir(os.path.join(HERE, 'node_modules', mod)):
            print('FAIL %s: node_modules/%s missing: run npm ci in tests/browser' % (name, mod))
            return 1
    node = shutil.which('node')
    if not node:
        print('FAIL %s: node not found (apt-get install nodejs)' % name)
        return 1
    chromium = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    if not os.path.exists(chromium):
        print('FAIL %s: %s not found (apt-get install chromium)' % (name, chromium))
        return 1
    if fmt == 'live':
        return live_case(name, node, chromium)
    with J.Workdir('browser-' + name) as wd:
        src, facts = J.make_media('std', wd.path)
        out = os.path.join(wd.path, 'out')
        r = J.run_onair(['transcode', src, '-o', out, '--ladder', '360p,240p',
                         '--format', fmt, '--segment', '2', '-q'])
        fails = J.crash_failures(r)
        if r.returncode != 0:
            fails.append('onair exited %s\n%s' % (r.returncode, r.describe()))
            rc = J.report(name, fails, keep=wd.path)
            return rc
        p = J.run([node, os.path.join(HERE, 'play.mjs'), '--dir', out, '--url', url,
                   '--player', player, '--min-time', '6', '--timeout', '40',
                   '--audio', 'yes' if facts['audio'] else 'no', '--chromium', chromium],
                  timeout=90)
        print(p.stdout.rstrip())
        if p.stderr.strip():
            print(p.stderr.rstrip())
        if p.timed_out:
            fails.append('play.mjs did not finish within 90 s')
        elif p.returncode != 0:
            fails.append('%s could not play %s (see above)' % (player, url))
        rc = J.report(name, fails, keep=wd.path)
        wd.ok = rc == 0
        return rc


if __name__ == '__main__':
    J.main_guard(main)
