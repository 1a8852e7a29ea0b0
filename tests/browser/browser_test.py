#!/usr/bin/env python3
"""Browser cases: onair transcodes a generated 10 s 640x360 clip (ladder 360p,240p),
then play.mjs plays the output with hls.js or Shaka Player in headless Chromium.

    browser_test.py CASE     (ONAIR=path/to/onair; needs `npm ci` in tests/browser)
    browser_test.py --list
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import judge as J  # noqa: E402

# case: (onair --format, player, URL in OUTDIR)
CASES = {
    'hlsjs-hls': ('hls', 'hlsjs', 'master.m3u8'),
    'hlsjs-cmaf': ('cmaf', 'hlsjs', 'master.m3u8'),
    'shaka-dash': ('dash', 'shaka', 'manifest.mpd'),
    'shaka-cmaf': ('cmaf', 'shaka', 'manifest.mpd'),
}


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
