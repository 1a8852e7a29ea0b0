#!/usr/bin/env python3
"""Browser cases: onair transcodes a generated 10 s 640x360 clip (ladder 360p,240p),
then play.mjs plays the output with hls.js or Shaka Player in headless Chromium;
and a live channel (`onair run`, served by onair itself) played for 20 s.

    browser_test.py CASE     (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    browser_test.py --list
"""

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
}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def live_case(name, node, chromium):
    """A channel on the wall clock, served by onair: hls.js plays it for 20 s without
    running dry once."""
    with J.Workdir('browser-' + name) as wd:
        port = free_port()
        conf = os.path.join(wd.path, 'live.yaml')
        with open(conf, 'w') as f:
            f.write('channel: live\n'
                    'video: { width: 640, height: 360, fps: 25 }\n'
                    'ladder: [ 360p, 240p ]\n'
                    'encoder: { backend: x264, preset: ultrafast }\n'
                    'sources:\n  bars: { generate: testsrc }\n  field: { generate: color }\n'
                    'schedule:\n  loop: true\n  items:\n'
                    '    - { source: bars, duration: 8s }\n    - { source: field, duration: 4s }\n'
                    'output: { dir: out, segment: 2s, window: 6, serve: { listen: "127.0.0.1:%d" } }\n'
                    % port)
        onair = subprocess.Popen([J.onair_path(), 'run', conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, start_new_session=True)
        fails = []
        try:
            time.sleep(6)   # a few segments in the window
            p = J.run([node, os.path.join(HERE, 'play.mjs'), '--src',
                       'http://127.0.0.1:%d/live/master.m3u8' % port, '--player', 'hlsjs',
                       '--live', 'yes', '--min-time', '20', '--timeout', '60', '--audio', 'yes',
                       '--chromium', chromium], timeout=120)
            print(p.stdout.rstrip())
            if p.stderr.strip():
                print(p.stderr.rstrip())
            if p.timed_out:
                fails.append('play.mjs did not finish within 120 s')
            elif p.returncode != 0:
                fails.append('hls.js could not play the live channel for 20 s without a stall')
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
