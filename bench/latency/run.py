#!/usr/bin/env python3
"""bench/latency: how far behind the wall clock a viewer is, onair with and without
low latency beside the ffmpeg CLI's live HLS, in one run on this machine.

Latency here is Date.now() minus hls.js's playingDate: the playhead mapped to the
wall clock through EXT-X-PROGRAM-DATE-TIME. onair's PDT is the time a frame was
scheduled to air and the ffmpeg CLI's is its wall clock when it cut the segment, so
this is glass-to-glass but for capture and display (sampled every 250 ms in
headless Chromium by tests/browser/play.mjs --report yes).

Three streams, one after the other, each 640x360 at --fps (default 30) with a
2 s GOP, x264 ultrafast, AAC, played for --warmup s (not counted) and then
--seconds s:

  onair      `onair run`, 2 s HLS (TS) segments, ladder 360p + 240p, its own server;
             hls.js with its defaults
  onair-ll   the same with `low_latency: { part: 0.5s }`; hls.js lowLatencyMode
  ffmpeg     ffmpeg -re -f lavfi -i testsrc=size=640x360:rate=FPS -re -f lavfi -i sine
             -c:v libx264 -preset ultrafast -g 2*FPS -c:a aac -f hls -hls_time 2
             -hls_list_size 6 -hls_flags delete_segments+program_date_time,
             served by a small static server (CORS); hls.js with its defaults

Printed per stream: latency p50 / p99 / max over the samples after the warm-up,
hls.js's own latency estimate (behind the live edge) and, for onair-ll, what hls.js
read of LL-HLS (parts, blocking reloads). onair-ll-catchup is onair-ll with hls.js
allowed to play up to --live-sync-rate times fast to reach its target latency
(PART-HOLD-BACK behind the edge) instead of staying where it started. onair log lines about publish latency are
summarised when onair prints any.

    bench/latency/run.py [--seconds 30] [--warmup 10] [--fps 30] [--onair build/cli/onair]
                         [--part 0.5] [--only onair,onair-ll,onair-ll-catchup,ffmpeg]
                         [--live-sync-rate 1.1] [--markdown FILE]

Needs `npm ci` in tests/browser and Debian's chromium. Run by hand on an otherwise
idle machine; not a CI test.
"""

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLAY = os.path.join(REPO, 'tests', 'browser', 'play.mjs')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class CorsHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('Access-Control-Allow-Origin', '*')
        self.send_header('Cache-Control', 'no-store')
        super().end_headers()

    def log_message(self, *args):
        pass


def stop(proc, grace=15):
    """SIGTERM the process group, SIGKILL what is left after grace."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def play(args, url, low_latency, live_sync_rate=1):
    """play.mjs's report for url, or (None, why)."""
    total = args.warmup + args.seconds
    argv = ['node', PLAY, '--src', url, '--player', 'hlsjs', '--live', 'yes',
            '--min-time', '1', '--min-played', str(total), '--warmup', str(args.warmup),
            '--timeout', str(total + 40), '--report', 'yes', '--chromium', args.chromium]
    if low_latency:
        argv += ['--low-latency', 'yes']
    if live_sync_rate > 1:
        argv += ['--live-sync-rate', str(live_sync_rate)]
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=total + 90, start_new_session=True)
    except subprocess.TimeoutExpired:
        return None, 'play.mjs timed out'
    out = p.stdout.decode(errors='replace')
    rep = None
    for ln in out.splitlines():
        if ln.startswith('report: '):
            rep = json.loads(ln[len('report: '):])
    why = None
    if p.returncode != 0:
        why = (out + p.stderr.decode(errors='replace')).strip().splitlines()[-3:]
        why = ' | '.join(why)
    return rep, why


def channel_yaml(d, port, fps, ll, part):
    conf = os.path.join(d, 'channel.yaml')
    with open(conf, 'w') as f:
        f.write('channel: lat\n'
                'video: { width: 640, height: 360, fps: %d }\n'
                'ladder: [ 360p, 240p ]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'sources:\n  bars: { generate: testsrc }\n'
                'schedule:\n  loop: true\n  items:\n    - { source: bars, duration: 1h }\n'
                'output: { dir: out, segment: 2s, window: 6,%s serve: { listen: "127.0.0.1:%d" } }\n'
                % (fps, ' low_latency: { part: %gs },' % part if ll else '', port))
    return conf


def wait_http(url, timeout):
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def run_onair(args, work, ll, live_sync_rate=1):
    d = tempfile.mkdtemp(prefix='onair-ll' if ll else 'onair', dir=work)
    port = free_port()
    conf = channel_yaml(d, port, args.fps, ll, args.part)
    log = open(os.path.join(d, 'onair.log'), 'w+b')
    proc = subprocess.Popen([args.onair, 'run', conf, '--admin', 'none'], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        url = 'http://127.0.0.1:%d/lat/master.m3u8' % port
        if not wait_http('http://127.0.0.1:%d/lat/360p/index.m3u8' % port, 30):
            return None, 'onair did not serve a playlist within 30 s', ''
        time.sleep(4 if ll else 6)   # a few segments in the window
        rep, why = play(args, url, ll, live_sync_rate)
    finally:
        stop(proc)
        log.seek(0)
        text = log.read().decode(errors='replace')
        log.close()
    return rep, why, text


def run_ffmpeg(args, work):
    d = tempfile.mkdtemp(prefix='ffmpeg', dir=work)
    argv = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i',
            'testsrc=size=640x360:rate=%d' % args.fps, '-re', '-f', 'lavfi', '-i', 'sine',
            '-c:v', 'libx264', '-preset', 'ultrafast', '-g', str(2 * args.fps), '-c:a', 'aac',
            '-f', 'hls', '-hls_time', '2', '-hls_list_size', '6',
            '-hls_flags', 'delete_segments+program_date_time', os.path.join(d, 'index.m3u8')]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    handler = functools.partial(CorsHandler, directory=d)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = 'http://127.0.0.1:%d/index.m3u8' % server.server_address[1]
        if not wait_http(url, 30):
            return None, 'the ffmpeg CLI wrote no playlist within 30 s', ' '.join(argv)
        time.sleep(6)
        rep, why = play(args, url, False)
    finally:
        server.shutdown()
        stop(proc, grace=5)
    return rep, why, ' '.join(argv)


def publish_lines(log, work):
    """What onair's log says about publish latency (another stage may print it);
    the bench's own paths, which say "latency", taken out first."""
    return [ln for ln in log.replace(work, 'WORK').splitlines()
            if re.search(r'publish|latenc', ln, re.I)]


def fmt(x):
    return '-' if x is None else '%.2f s' % x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seconds', type=float, default=30)
    ap.add_argument('--warmup', type=float, default=10)
    ap.add_argument('--fps', type=int, default=30)
    ap.add_argument('--part', type=float, default=0.5, help='onair-ll part, s (default 0.5)')
    ap.add_argument('--onair', default=os.path.join(REPO, 'build', 'cli', 'onair'))
    ap.add_argument('--chromium', default=os.environ.get('CHROMIUM', '/usr/bin/chromium'))
    ap.add_argument('--only', default='onair,onair-ll,onair-ll-catchup,ffmpeg',
                    help='onair-ll-catchup: onair-ll with hls.js allowed to catch up')
    ap.add_argument('--live-sync-rate', type=float, default=1.1,
                    help="onair-ll-catchup's hls.js maxLiveSyncPlaybackRate (default 1.1)")
    ap.add_argument('--markdown')
    args = ap.parse_args()
    for what, ok in (('onair', os.access(args.onair, os.X_OK)), ('node', shutil.which('node')),
                     ('ffmpeg', shutil.which('ffmpeg')), ('chromium', os.path.exists(args.chromium)),
                     ('hls.js (npm ci in tests/browser)',
                      os.path.isdir(os.path.join(REPO, 'tests', 'browser', 'node_modules', 'hls.js')))):
        if not ok:
            print('bench/latency: %s not found' % what)
            return 1
    work = tempfile.mkdtemp(prefix='onair-bench-latency-')
    rows = []
    try:
        for name in args.only.split(','):
            t0 = time.monotonic()
            if name == 'ffmpeg':
                rep, why, extra = run_ffmpeg(args, work)
                pub = []
            else:
                ll = name.startswith('onair-ll')
                rep, why, extra = run_onair(args, work, ll,
                                            args.live_sync_rate if name == 'onair-ll-catchup' else 1)
                pub = publish_lines(extra, work)
            lat = (rep or {}).get('latency') or {}
            hl = (rep or {}).get('hlsLatency') or {}
            row = dict(name=name, p50=lat.get('p50'), p99=lat.get('p99'), max=lat.get('max'),
                       n=lat.get('n'), hls_p50=hl.get('p50'), target=(rep or {}).get('targetLatency'),
                       parts=(rep or {}).get('parts'), block=(rep or {}).get('blockingReloads'),
                       msn=(rep or {}).get('msnRequests'), played=(rep or {}).get('played'),
                       why=why, publish=pub[-5:], secs=time.monotonic() - t0)
            rows.append(row)
            print('%-9s latency p50 %s p99 %s max %s (%s samples after %.0f s warm-up, played %s s); '
                  'hls.js latency p50 %s target %s%s%s' %
                  (name, fmt(row['p50']), fmt(row['p99']), fmt(row['max']), row['n'], args.warmup,
                   row['played'], fmt(row['hls_p50']), fmt(row['target']),
                   '; parts %s, blocking reloads %s (%s requests with _HLS_msn)' %
                   (row['parts'], row['block'], row['msn']) if name.startswith('onair-ll') else '',
                   '; PLAYER PROBLEM: %s' % why if why else ''), flush=True)
            for ln in row['publish']:
                print('    onair log: ' + ln.strip())
            if name != 'ffmpeg' and not pub:
                print('    (onair printed no publish-latency lines)')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.markdown:
        with open(args.markdown, 'w') as f:
            f.write('| stream | latency p50 | p99 | max | samples | hls.js latency p50 | notes |\n'
                    '|---|---|---|---|---|---|---|\n')
            for r in rows:
                f.write('| %s | %s | %s | %s | %s | %s | %s |\n' %
                        (r['name'], fmt(r['p50']), fmt(r['p99']), fmt(r['max']), r['n'],
                         fmt(r['hls_p50']), ('player problem: %s' % r['why']) if r['why'] else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
