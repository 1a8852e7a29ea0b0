#!/usr/bin/env python3
"""Browser cases: onair transcodes a generated 10 s 640x360 clip (ladder 360p,240p),
then play.mjs plays the output with hls.js or Shaka Player in headless Chromium;
and a live channel (`onair run`, served by onair itself) played for 20 s; and
low-latency channels (0.5 s parts, 2 s segments): hls.js in its low-latency mode
on LL-HLS (TS) must show the parts and blocking reloads and stay within LL_LATENCY_P50_MAX of the
wall clock; Shaka, in its low-latency mode, plays LL-HLS (fMP4) and LL-DASH
(CMAF) for 12 s without a stall (see LIVE for what each allows); and onair's own
player page (web/), opened at the URL `onair run` prints, plays a demo-like
channel, plain and low-latency, for 12 s (page.mjs; see PAGE); and the status page
of the admin listener on two channels (status.mjs; see STATUS_CHANNELS).

    browser_test.py CASE     (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    browser_test.py --list
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import judge as J  # noqa: E402

# The low-latency cases' bound on the player's latency behind the wall clock (p50 of
# its samples, every 250 ms while playing). Their segments are 2 s: whole segments
# alone keep a player 3 of them (6 s) and the encoder's delay behind, so a p50 below
# 5 s shows the parts at work, with room for a loaded CI machine (unloaded, hls.js
# plays 2.5-3.5 s behind; two CI runs had the page's start-up catch-up end at 4.2 s
# and 6.1 s, the latter beside a compiler).
LL_LATENCY_P50_MAX = 5.0

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
    'player-page': ('page', 'page', None),
    'player-page-ll': ('page', 'page', None),
    'status-page': ('status', 'status', None),
}

# Live cases: the channel's output formats, its LL part (None: no LL), how long it
# runs before the player starts, what the player must play (s past its start), and
# the checks on play.mjs's report.
LIVE = {
    'hlsjs-live': dict(formats=None, part=None, fps=25, lead=6, played=None),
    'hlsjs-ll': dict(formats='hls', part='0.5s', fps=30, lead=4, played=12,
                     latency_p50_max=LL_LATENCY_P50_MAX, need_parts=True),
    # Shaka 5.2.12 in its low-latency mode on LL-HLS (fMP4). It used to fail to
    # load a young channel: with no CLOSED-CAPTIONS on EXT-X-STREAM-INF, HlsParser
    # (lib/hls/hls_parser.js) probes the video for CEA-608 at load, and among the
    # candidates of getClosedCaptionProbeSegments_ (it drops MISSING segments, not
    # ones without a URI) was the segment being cut, which in lowLatencyMode is a
    # SegmentReference made only of its EXT-X-PART / PRELOAD-HINT parts with no
    # segment URI yet; getInfoFromSegment_ then sent a request with no URI and
    # NetworkingEngine.send_ threw in URL.getScheme(undefined). onair carries no
    # captions and now says so, CLOSED-CAPTIONS=NONE on every EXT-X-STREAM-INF
    # (playlist/hls.c), so Shaka skips the probe and loads at once.
    'shaka-ll-hls': dict(formats='hls-fmp4', part='0.5s', fps=30, lead=4, played=12),
    # Shaka in low-latency mode on LL-DASH (chunked CMAF), with drift correction
    # off from the start (see play.mjs): not one wait allowed
    'shaka-ll-dash': dict(formats='cmaf', part='0.5s', fps=30, lead=5, played=12,
                          latency_p50_max=LL_LATENCY_P50_MAX),
}


# Player page cases: a channel like conf/examples/demo.yaml (built-in sources only,
# HLS, 2 s segments, served by onair) at 640x360, and page.mjs opens its page at
# the URL `onair run` prints, http://127.0.0.1:PORT/<channel>/, which must play
# for `played` s of wall time; the LL variant (0.5 s parts) also needs hls.js (the
# page's lowLatencyMode) to have read parts, and its latency behind the wall clock
# (hls.playingDate) under LL_LATENCY_P50_MAX at p50.
PAGE = {
    'player-page': dict(part=None, played=12),
    'player-page-ll': dict(part='0.5s', played=12, latency_p50_max=LL_LATENCY_P50_MAX, need_parts=True),
}


def read_report(stdout):
    """play.mjs's `report: {...}` line, or None."""
    for ln in stdout.splitlines():
        if ln.startswith('report: '):
            try:
                return json.loads(ln[len('report: '):])
            except ValueError:
                return None
    return None


def latency_failures(spec, rep):
    """The report's latency behind the wall clock against the case's bound."""
    lat = rep.get('latency') or {}
    if not lat.get('n'):
        return ['no latency sample (the player had no program date for its playhead)']
    if spec.get('latency_p50_max') and lat['p50'] >= spec['latency_p50_max']:
        return ['latency behind the wall clock p50 %.3f s (max %.3f s), want < %.1f s' %
                (lat['p50'], lat['max'], spec['latency_p50_max'])]
    return []


def report_failures(spec, rep, url):
    """What the report of a low-latency case says is wrong."""
    if rep is None:
        return ['play.mjs printed no report line']
    fails = latency_failures(spec, rep)
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
        port = J.free_port()
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
        onair = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none'], stdout=subprocess.DEVNULL,
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


def fetch(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode('utf-8', 'replace')
    except (OSError, ValueError):
        return None


def wait_segments(base, n, limit):
    """Waits until the first variant of base + master.m3u8 lists n segments;
    returns how many it lists then."""
    end = time.monotonic() + limit
    count = 0
    while time.monotonic() < end:
        master = fetch(base + 'master.m3u8')
        uris = [ln for ln in (master or '').splitlines() if ln and not ln.startswith('#')]
        media = fetch(urllib.parse.urljoin(base + 'master.m3u8', uris[0])) if uris else None
        count = (media or '').count('#EXTINF')
        if count >= n:
            break
        time.sleep(0.5)
    return count


def page_case(name, node, chromium):
    """A channel as the demo runs it, served by onair: its own player page
    (web/player.html, web/player.js) plays it in Chromium for 12 s."""
    spec = PAGE[name]
    with J.Workdir('browser-' + name) as wd:
        port = J.free_port()
        conf = os.path.join(wd.path, 'demo.yaml')
        out = ['dir: out', 'segment: 2s', 'window: 6', 'formats: [hls]']
        if spec['part']:
            out.append('low_latency: { part: %s }' % spec['part'])
        out.append('serve: { listen: "127.0.0.1:%d" }' % port)
        with open(conf, 'w') as f:
            f.write('version: 1\nchannel: demo\ntitle: "onair demo"\ntimezone: UTC\n'
                    'video: { width: 640, height: 360, fps: 30 }\n'
                    'audio: { sample_rate: 48000, channels: 2, bitrate: 128k }\n'
                    'ladder: [ 360p ]\n'
                    'encoder: { backend: x264, preset: ultrafast }\n'
                    'slate: { text: "We\'ll be right back", color: "#1d2b53" }\n'
                    'sources:\n  bars: { generate: testsrc }\n  blue: { generate: color }\n'
                    '  break: { generate: slate }\n'
                    'schedule:\n  loop: true\n  items:\n'
                    '    - { source: bars, duration: 8s }\n    - { source: blue, duration: 4s }\n'
                    '    - { source: break, duration: 4s }\n'
                    'output: { %s }\n' % ', '.join(out))
        log_path = os.path.join(wd.path, 'onair.log')
        log = open(log_path, 'wb')
        onair = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none'], stdout=subprocess.DEVNULL,
                                 stderr=log, start_new_session=True)
        fails = []
        try:
            # the page URL as `onair run` prints it: "demo is on air at URL (playlist: ...)"
            page = None
            end = time.monotonic() + 30
            while page is None and time.monotonic() < end and onair.poll() is None:
                with open(log_path, 'rb') as f:
                    m = re.search(rb' is on air at (http://\S+/) ', f.read())
                page = m and m.group(1).decode()
                time.sleep(0.2)
            if page is None:
                fails.append('onair run printed no "is on air at http://..." line within 30 s')
            elif page != 'http://127.0.0.1:%d/demo/' % port:
                fails.append('onair run printed %s, want http://127.0.0.1:%d/demo/' % (page, port))
            elif wait_segments(page, 2, 30) < 2:
                fails.append('%smaster.m3u8: fewer than 2 segments after 30 s' % page)
            else:
                args = [node, os.path.join(HERE, 'page.mjs'), '--page', page,
                        '--min-played', str(spec['played']), '--timeout', '60',
                        '--chromium', chromium]
                p = J.run(args, timeout=120)
                print(p.stdout.rstrip())
                if p.stderr.strip():
                    print(p.stderr.rstrip())
                if p.timed_out:
                    fails.append('page.mjs did not finish within 120 s')
                elif p.returncode != 0:
                    fails.append('the player page %s did not play for %d s (see above)' %
                                 (page, spec['played']))
                if not p.timed_out:
                    fails += page_report_failures(spec, read_report(p.stdout), page)
        finally:
            onair.send_signal(signal.SIGTERM)
            try:
                onair.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(onair.pid, signal.SIGKILL)
                onair.wait()
                fails.append('onair did not stop on SIGTERM')
            log.close()
        if onair.returncode != 0:
            with open(log_path, 'rb') as f:
                fails.append('onair run exited %s: %s' % (onair.returncode, f.read().decode()[-800:]))
        rc = J.report(name, fails, keep=wd.path)
        wd.ok = rc == 0
        return rc


def page_report_failures(spec, rep, page):
    """What page.mjs's report says is wrong beyond its own checks."""
    if rep is None:
        return ['page.mjs printed no report line']
    fails = []
    cfg = rep.get('config') or {}
    # web/player.js: lowLatencyMode, and catch-up (maxLiveSyncPlaybackRate 1.1)
    if cfg.get('lowLatencyMode') is not True or not (cfg.get('maxLiveSyncPlaybackRate') or 0) > 1:
        fails.append('the page\'s hls.js config is %s, want lowLatencyMode true and '
                     'maxLiveSyncPlaybackRate above 1' % json.dumps(cfg))
    if spec.get('need_parts') and not rep.get('partList'):
        fails.append('hls.js on %s saw no EXT-X-PART in the level playlist (%d level loads)' %
                     (page, rep.get('levelLoads', 0)))
    if spec.get('need_parts') and not rep.get('partLoads'):
        fails.append('hls.js on %s loaded no part (%d whole fragments)' % (page, rep.get('fragLoads', 0)))
    if spec.get('latency_p50_max'):
        fails += latency_failures(spec, rep)
    return fails


# The status page case: two channels in one process (640x360, 1 s segments, built-in
# sources, one of them in no schedule item, looping schedules whose first programs run
# long enough to be skipped with status.mjs's margin to spare), served by onair on one
# port, with the admin listener on a free port of its own choosing and a token in
# ONAIR_ADMIN_TOKEN.
STATUS_CHANNELS = {
    'north': ('North', [('bars', 'Morning news', '40s'), ('field', 'Weather', '10s')]),
    'south': ('South', [('field', 'Colour field', '30s'), ('bars', 'Test card', '10s')]),
}


def status_case(name, node, chromium):
    """The status page (web/status.*) at / of `onair run --admin`: both channels with
    what airs, every source in the take picker, every preview playing, a skip that asks
    for the token and changes what airs, no script error (status.mjs); a screenshot kept."""
    with J.Workdir('browser-' + name) as wd:
        port = J.free_port()
        confs = []
        for ch, (title, items) in STATUS_CHANNELS.items():
            conf = os.path.join(wd.path, ch + '.yaml')
            confs.append(conf)
            with open(conf, 'w') as f:
                f.write('channel: %s\ntitle: "%s"\n'
                        'video: { width: 640, height: 360, fps: 25 }\n'
                        'ladder: [ 360p ]\n'
                        'encoder: { backend: x264, preset: ultrafast }\n'
                        'sources:\n  bars: { generate: testsrc }\n  field: { generate: color }\n'
                        # neither live nor scheduled: the take picker still offers it
                        '  spare: { generate: testsrc }\n'
                        'schedule:\n  loop: true\n  items:\n' % (ch, title))
                for src, item_title, dur in items:
                    f.write('    - { source: %s, duration: %s, title: "%s" }\n' % (src, dur, item_title))
                f.write('output: { dir: out-%s, segment: 1s, window: 6, formats: [hls], '
                        'serve: { listen: "127.0.0.1:%d" } }\n' % (ch, port))
        token = os.urandom(12).hex()
        env = dict(os.environ, ONAIR_ADMIN_TOKEN=token)
        log_path = os.path.join(wd.path, 'onair.log')
        log = open(log_path, 'wb')
        onair = subprocess.Popen([J.onair_path(), 'run'] + confs + ['--admin', '127.0.0.1:0'],
                                 stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True)
        fails = []
        # the screenshot is the test's artifact: in the meson test's build folder
        # (tests/browser/meson.build says which), else beside the temp dir's files
        shot = os.path.join(os.environ.get('ONAIR_ARTIFACTS') or wd.path, 'status-page.png')
        try:
            # "onair: admin at http://HOST:PORT/", said once the listener is bound
            admin = None
            end = time.monotonic() + 30
            while admin is None and time.monotonic() < end and onair.poll() is None:
                with open(log_path, 'rb') as f:
                    m = re.search(rb'onair: admin at (http://\S+/)', f.read())
                admin = m and m.group(1).decode()
                time.sleep(0.2)
            if admin is None:
                fails.append('onair run printed no "onair: admin at http://..." line within 30 s')
            else:
                for ch in STATUS_CHANNELS:
                    if wait_segments('http://127.0.0.1:%d/%s/' % (port, ch), 3, 30) < 3:
                        fails.append('%s: fewer than 3 segments after 30 s' % ch)
            if admin and not fails:
                p = J.run([node, os.path.join(HERE, 'status.mjs'), '--page', admin,
                           '--screenshot', shot, '--min-played', '2.5', '--timeout', '90',
                           '--chromium', chromium],
                          env=dict(os.environ, STATUS_TOKEN=token), timeout=150)
                print(p.stdout.rstrip())
                if p.stderr.strip():
                    print(p.stderr.rstrip())
                if p.timed_out:
                    fails.append('status.mjs did not finish within 150 s')
                elif p.returncode != 0:
                    fails.append('the status page %s failed (see above)' % admin)
                if os.path.exists(shot):
                    print('screenshot of the status page: %s' % shot)
        finally:
            try:
                os.killpg(onair.pid, signal.SIGTERM)
                onair.wait(timeout=30)
            except ProcessLookupError:
                onair.wait()
            except subprocess.TimeoutExpired:
                os.killpg(onair.pid, signal.SIGKILL)
                onair.wait()
                fails.append('onair did not stop on SIGTERM')
            log.close()
        if onair.returncode != 0:
            with open(log_path, 'rb') as f:
                fails.append('onair run exited %s: %s' % (onair.returncode, f.read().decode()[-800:]))
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
    if fmt == 'page':
        return page_case(name, node, chromium)
    if fmt == 'status':
        return status_case(name, node, chromium)
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
