#!/usr/bin/env python3
"""Integration cases for the built-in HTTP server on a live channel (`onair run` with
`serve:`), judged with Python's http.client (not onair's code), wrk and the wall clock.

    serve_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    serve_test.py --list

live-headers  headers, ranges, 304s, CORS, keep-alive and refusals on a running
              channel's real files, compared byte for byte with the files on disk.
live-limits   output.serve's connections: 2 and idle_timeout: 2s from the config: a third
              connection is answered 503 while two are open, and idle ones are closed.
live-load     several hundred concurrent connections while the channel runs: wrk on
              the playlist and on a segment (two wrk -t2, 150 connections each, 15 s)
              beside 16 stalled clients, 316 at once, all from 127.0.0.1 (within
              the server's defaults: 1024 connections, 512 from one address; the
              open files allow them where `ulimit -Hn` is 2048 or more, as onair
              raises its soft limit to the hard one): the channel keeps real time
              (media sequence and PROGRAM-DATE-TIME advance with the wall clock, no
              segment published late) and wrk sees no socket error and no 503.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

SEGMENT = 2.0
WINDOW = 6
WRK_SECONDS = 15
WRK_CONNECTIONS = 150      # per wrk; two of them, beside STALLED clients
STALLED = 16


def parse_iso(s):
    return datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


class Channel:
    """A live channel served on a free port, stopped (and its exit judged) on leaving."""

    def __init__(self, wd, serve=''):
        self.port = J.free_port()
        self.out = os.path.join(wd, 'out')
        conf = os.path.join(wd, 'live.yaml')
        with open(conf, 'w') as f:
            f.write('channel: live\n'
                    'video: { width: 640, height: 360, fps: 25 }\n'
                    'ladder: [ 360p, 240p ]\n'
                    'encoder: { backend: x264, preset: ultrafast }\n'
                    'sources:\n  bars: { generate: testsrc }\n'
                    'schedule:\n  loop: true\n  items:\n    - { source: bars, duration: 1h }\n'
                    'output: { dir: out, segment: 2s, window: %d, '
                    'serve: { listen: "127.0.0.1:%d"%s } }\n' % (WINDOW, self.port, serve))
        self.p = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none'], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.fails = []

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            _, err = self.p.communicate(timeout=30 * J.timeout_scale())
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            _, err = self.p.communicate()
            self.fails.append('onair did not stop on SIGTERM')
        err = err.decode('utf-8', 'replace')
        if self.p.returncode != 0:
            self.fails.append('onair run exited %s: %s' % (self.p.returncode, err[-800:]))
        for marker in J.CRASH_MARKERS:
            if marker in err:
                self.fails.append('onair stderr has "%s": %s' % (marker, err[-800:]))
                break

    def conn(self):
        return http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)

    def get(self, path, method='GET', headers=None, conn=None):
        """(status, headers as a dict of lower-case names, body)."""
        c = conn or self.conn()
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if not conn:
            c.close()
        return r.status, hdrs, body

    def wait_segments(self, n, seconds=30):
        """The 360p playlist once it lists n segments (None: it did not in time)."""
        end = time.monotonic() + seconds * J.timeout_scale()
        while time.monotonic() < end:
            if self.p.poll() is not None:
                return None
            try:
                st, _, body = self.get('/live/360p/index.m3u8')
                if st == 200:
                    pl = parse_playlist(body.decode())
                    if len(pl['segments']) >= n:
                        return pl
            except OSError:
                pass
            time.sleep(0.3)
        return None


def parse_playlist(text):
    """Media sequence and [(name, pdt, duration)] of a media playlist."""
    seq, pdt, dur, segs = 0, None, None, []
    for ln in text.splitlines():
        ln = ln.strip()
        if ln.startswith('#EXT-X-MEDIA-SEQUENCE:'):
            seq = int(ln.split(':', 1)[1])
        elif ln.startswith('#EXT-X-PROGRAM-DATE-TIME:'):
            pdt = parse_iso(ln.split(':', 1)[1])
        elif ln.startswith('#EXTINF:'):
            dur = float(ln[8:].split(',')[0])
        elif ln and not ln.startswith('#'):
            segs.append((ln, pdt, dur))
            pdt = pdt + dur if pdt is not None and dur is not None else None
    return {'seq': seq, 'segments': segs}


def check_headers(ch, fails):
    def want(cond, msg):
        if not cond:
            fails.append(msg)

    pl = ch.wait_segments(2)
    if not pl:
        fails.append('the 360p playlist did not list 2 segments within 30 s')
        return
    name = pl['segments'][0][0]
    seg_path = '/live/360p/' + name
    with open(os.path.join(ch.out, '360p', name), 'rb') as f:
        disk = f.read()
    size = len(disk)

    # playlists and manifests: short cache, their types, CORS
    for path in ('/live/master.m3u8', '/live/360p/index.m3u8', '/live/240p/index.m3u8'):
        st, h, body = ch.get(path)
        want(st == 200, '%s: %s' % (path, st))
        want(h.get('content-type') == 'application/vnd.apple.mpegurl',
             '%s: Content-Type %s' % (path, h.get('content-type')))
        want(h.get('cache-control') == 'max-age=1', '%s: Cache-Control %s' % (path, h.get('cache-control')))
        want(h.get('access-control-allow-origin') == '*', '%s: no CORS header' % path)
        want(body.startswith(b'#EXTM3U'), '%s: not a playlist' % path)

    # a segment: its bytes, long immutable cache, validators
    st, h, body = ch.get(seg_path)
    want(st == 200 and body == disk, '%s: %s, %d bytes, the file has %d' % (seg_path, st, len(body), size))
    want(h.get('content-type') == 'video/mp2t', 'segment Content-Type %s' % h.get('content-type'))
    want('immutable' in h.get('cache-control', '') and 'max-age=86400' in h.get('cache-control', ''),
         'segment Cache-Control %s' % h.get('cache-control'))
    want(h.get('accept-ranges') == 'bytes', 'segment Accept-Ranges %s' % h.get('accept-ranges'))
    want(h.get('access-control-allow-origin') == '*', 'segment: no CORS header')
    etag = h.get('etag', '')
    want(re.fullmatch(r'"[^"]+"', etag) is not None, 'segment ETag %r' % etag)

    # HEAD: the headers, no body
    st, hh, body = ch.get(seg_path, 'HEAD')
    want(st == 200 and body == b'', 'HEAD: %s with %d body bytes' % (st, len(body)))
    want(hh.get('content-length') == str(size), 'HEAD Content-Length %s, size %d' % (hh.get('content-length'), size))
    want(hh.get('etag') == etag, 'HEAD ETag %s, GET %s' % (hh.get('etag'), etag))

    # ranges
    for rng, first, last in (('bytes=0-99', 0, 99), ('bytes=-100', size - 100, size - 1),
                             ('bytes=100-', 100, size - 1)):
        st, h, body = ch.get(seg_path, headers={'Range': rng})
        cr = 'bytes %d-%d/%d' % (first, last, size)
        want(st == 206 and h.get('content-range') == cr and body == disk[first:last + 1],
             'Range %s: %s, Content-Range %s (want %s), %d bytes' % (rng, st, h.get('content-range'), cr, len(body)))
    st, h, body = ch.get(seg_path, headers={'Range': 'bytes=%d-' % size})
    want(st == 416 and h.get('content-range') == 'bytes */%d' % size,
         'Range past the end: %s, Content-Range %s' % (st, h.get('content-range')))
    st, h, body = ch.get(seg_path, headers={'Range': 'bytes=0-9,20-29'})
    want(st == 200 and body == disk, 'several ranges: %s, %d bytes (the whole file expected)' % (st, len(body)))

    # conditional requests
    st, h, body = ch.get(seg_path, headers={'If-None-Match': etag})
    want(st == 304 and body == b'', 'If-None-Match: %s' % st)
    want(h.get('access-control-allow-origin') == '*', '304: no CORS header')
    time.sleep(1.2)   # Last-Modified is given once a file is over a second old
    st, h, _ = ch.get(seg_path)
    lm = h.get('last-modified')
    want(lm is not None and lm.endswith(' GMT'), 'segment Last-Modified %r' % lm)
    if lm:
        st, h, body = ch.get(seg_path, headers={'If-Modified-Since': lm})
        want(st == 304 and body == b'', 'If-Modified-Since: %s' % st)

    # CORS preflight
    st, h, body = ch.get(seg_path, 'OPTIONS', headers={
        'Origin': 'http://player.example', 'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range'})
    want(st == 204 and h.get('access-control-allow-origin') == '*' and
         'range' in h.get('access-control-allow-headers', '').lower(),
         'preflight: %s %s' % (st, h))

    # keep-alive: several requests, one connection
    c = ch.conn()
    try:
        for path in ('/live/master.m3u8', seg_path, '/live/360p/index.m3u8', '/live/nothing.m3u8'):
            st, _, _ = ch.get(path, conn=c)
        want(st == 404, 'keep-alive: the 4th request answered %s' % st)
        sock = c.sock
        st, _, _ = ch.get('/live/master.m3u8', conn=c)
        want(st == 200 and c.sock is sock, 'keep-alive: the connection was not kept')
    finally:
        c.close()

    # refusals: nothing outside the channel's files, never a 5xx
    for path in ('/live/../live.yaml', '/live/%2e%2e/live.yaml', '/live/360p/..%2f..%2flive.yaml',
                 '/live/.onair-state', '/live/360p/' + name + '.tmp', '//etc/passwd',
                 '/live/%2fetc%2fpasswd', '/live/master.m3u8%00', '/nochannel/master.m3u8'):
        st, h, body = ch.get(path)
        want(st in (400, 404) and b'channel:' not in body and b'root:' not in body,
             '%s answered %s' % (path, st))
    st, h, _ = ch.get('/live/master.m3u8', 'DELETE')
    want(st == 405, 'DELETE answered %s' % st)


def case_headers():
    with J.Workdir('serve-headers') as wd:
        fails = []
        with Channel(wd.path) as ch:
            check_headers(ch, fails)
        fails += ch.fails
        rc = J.report('serve-live-headers', fails, keep=wd.path)
        wd.ok = rc == 0
        return rc


def get_until(port, path, want):
    """raw_get again until it answers `want`, a few seconds at most: what it last got."""
    until = time.monotonic() + 2 * J.timeout_scale()
    while True:
        st, head = raw_get(port, path)
        if st == want or time.monotonic() > until:
            return st, head
        time.sleep(0.1)


def raw_get(port, path):
    """A GET on a connection of its own: (status, its headers as lower-case text)."""
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.sendall(('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' % path).encode())
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b'\r\n\r\n')[0].decode('latin-1')
    m = re.match(r'HTTP/1\.[01] (\d+)', head)
    return (int(m.group(1)) if m else None), head.lower()


IDLE_S = 4   # case_limits' idle_timeout


def case_limits():
    """The limits come from the config (not the server's defaults of 1024 and 15 s)."""
    with J.Workdir('serve-limits') as wd:
        fails, info = [], []
        # idle_timeout 4 s: the window in which the two held connections are
        # counted, should the server accept them late on a loaded machine
        with Channel(wd.path, ', connections: 2, idle_timeout: %ds' % IDLE_S) as ch:
            end = time.monotonic() + 30 * J.timeout_scale()
            st = None
            while st != 200 and time.monotonic() < end and ch.p.poll() is None:
                try:
                    st, _ = raw_get(ch.port, '/time')
                except OSError:
                    time.sleep(0.2)
            if st != 200:
                fails.append('the server did not answer /time (last: %s)' % st)
            else:
                held = [socket.create_connection(('127.0.0.1', ch.port), timeout=5) for _ in range(2)]
                opened = time.monotonic()
                # the server counts a connection once it has accepted it, which
                # a loaded machine (or the sanitizers) can put off
                st, head = get_until(ch.port, '/time', 503)
                info.append('third connection: %s' % st)
                if st != 503 or 'retry-after: 1' not in head:
                    fails.append('a third connection beside two open ones got %s, not 503 with '
                                 'Retry-After: 1 (connections: 2 not in force)' % st)
                # the two say nothing: closed after idle_timeout, long before
                # the default 15 s
                wait = IDLE_S + 2 * J.timeout_scale()
                closed = 0
                for s in held:
                    s.settimeout(max(0.1, opened + wait - time.monotonic()))
                    try:
                        closed += s.recv(1) == b''
                    except socket.timeout:
                        pass            # still open when the time was up
                    except OSError:
                        closed += 1     # reset: closed too
                    s.close()
                if closed != 2:
                    fails.append('%d of the 2 idle connections were closed within %g s '
                                 '(idle_timeout: %ds not in force)' % (closed, wait, IDLE_S))
                # the server may see the close a moment after the client
                st, _ = get_until(ch.port, '/time', 200)
                if st != 200:
                    fails.append('once they closed, a connection got %s, not 200' % st)
        fails += ch.fails
        rc = J.report('serve-live-limits', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def wrk(url, seconds):
    return subprocess.Popen(['wrk', '-t2', '-c%d' % WRK_CONNECTIONS, '-d%ds' % seconds, url], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wrk_result(p, label, fails):
    try:
        out, _ = p.communicate(timeout=WRK_SECONDS + 30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        fails.append('%s: wrk did not finish' % label)
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    rps = float(m.group(1)) if m else 0.0
    e = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    if e:
        fails.append('%s: wrk socket errors: %s' % (label, e.group(0)))
    n = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if n:
        fails.append('%s: %s answers were not 2xx' % (label, n.group(1)))
    if rps < 50:
        fails.append('%s: %.0f requests/s: no load was made\n%s' % (label, rps, out[-800:]))
    return '%s: %.0f requests/s' % (label, rps)


def edge(pl):
    """Wall-clock end of the playlist's last segment."""
    name, pdt, dur = pl['segments'][-1]
    return pdt + dur


def case_load():
    if not shutil.which('wrk'):
        print('FAIL serve-live-load: wrk not found (apt-get install wrk)')
        return 1
    with J.Workdir('serve-load') as wd:
        fails, info = [], []
        with Channel(wd.path) as ch:
            pl0 = ch.wait_segments(2)
            if not pl0:
                fails.append('the 360p playlist did not list 2 segments within 30 s')
            else:
                t0 = time.time()
                _, _, body = ch.get('/live/360p/index.m3u8')
                pl0 = parse_playlist(body.decode())
                seg = pl0['segments'][-1][0]   # the newest: kept well past the run
                base = 'http://127.0.0.1:%d/live/360p/' % ch.port
                loads = [wrk(base + 'index.m3u8', WRK_SECONDS), wrk(base + seg, WRK_SECONDS)]
                # beside them, clients that stall: half a request, or a body never read
                stalled = []
                for i in range(STALLED):
                    s = socket.create_connection(('127.0.0.1', ch.port))
                    s.sendall(b'GET /live/360p/ind' if i % 2 else
                              ('GET /live/360p/%s HTTP/1.1\r\nHost: x\r\n\r\n' % seg).encode())
                    stalled.append(s)
                # while loaded, the playlist is still answered promptly
                worst = 0.0
                for _ in range(int(WRK_SECONDS / 0.5) - 2):
                    time.sleep(0.5)
                    t = time.monotonic()
                    try:
                        st, _, _ = ch.get('/live/master.m3u8')
                        if st != 200:
                            fails.append('master.m3u8 answered %s under load' % st)
                    except OSError as e:
                        fails.append('master.m3u8 under load: %s' % e)
                    worst = max(worst, time.monotonic() - t)
                info.append('slowest master.m3u8 beside the load: %.3f s' % worst)
                if worst > 2.0:
                    fails.append('a request beside the load took %.1f s' % worst)
                info.append(wrk_result(loads[0], 'playlist', fails))
                info.append(wrk_result(loads[1], 'segment ' + seg, fails))
                for s in stalled:
                    s.close()
                t1 = time.time()
                _, _, body = ch.get('/live/360p/index.m3u8')
                pl1 = parse_playlist(body.decode())
                check_real_time(ch, pl0, pl1, t0, t1, fails, info)
        fails += ch.fails
        rc = J.report('serve-live-load', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def check_real_time(ch, pl0, pl1, t0, t1, fails, info):
    """The channel kept the wall clock while it was served under load."""
    # generous: a 2-core machine, other tests beside this one
    slack = SEGMENT + 2.0
    wall = t1 - t0
    seq_adv = (pl1['seq'] + len(pl1['segments'])) - (pl0['seq'] + len(pl0['segments']))
    edge_adv = edge(pl1) - edge(pl0)
    info.append('over %.1f s of wall clock: %d segments published, the live edge moved %.1f s'
                % (wall, seq_adv, edge_adv))
    if abs(edge_adv - wall) > slack:
        fails.append('the live edge moved %.1f s in %.1f s of wall clock' % (edge_adv, wall))
    if abs(seq_adv * SEGMENT - wall) > slack:
        fails.append('%d segments published in %.1f s of wall clock' % (seq_adv, wall))
    lag = t1 - edge(pl1)
    info.append('live edge %.2f s behind the wall clock at the end' % lag)
    if lag > SEGMENT + slack:
        fails.append('the live edge is %.1f s behind the wall clock' % lag)
    # PDT steps by EXTINF, and each segment was on disk soon after it ended
    segs = pl1['segments']
    for (a, pa, da), (b, pb, _) in zip(segs, segs[1:]):
        if pa is None or pb is None or abs(pa + da - pb) > 0.002:
            fails.append('PROGRAM-DATE-TIME of %s is not %s\'s plus its EXTINF' % (b, a))
    worst = 0.0
    for name, pdt, dur in segs:
        path = os.path.join(ch.out, '360p', name)
        if pdt is not None and os.path.exists(path):
            worst = max(worst, os.path.getmtime(path) - (pdt + dur))
    info.append('latest segment written %.2f s after its end' % worst)
    if worst > SEGMENT + 1.0:
        fails.append('a segment was written %.1f s after its end (more than a segment late)' % worst)


CASES = {
    'live-headers': case_headers,
    'live-limits': case_limits,
    'live-load': case_load,
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
