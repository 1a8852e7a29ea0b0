#!/usr/bin/env python3
"""An A/B pair (`redundancy: { etcd: [...], lease: 2s }`) on one machine: etcd
(Debian's etcd-server) and an nginx WebDAV origin on 127.0.0.1, started by the
test in its folder; instances A and B run the same channel file, each with its
own output folder, and push to the origin.

    pair_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    pair_test.py --list

cases:
  kill   A starts first and leads; B joins; A is killed (SIGKILL) while a poller reads
         the origin's playlist every 100 ms. The playlist goes on from B within the
         lease and a segment: every version's media sequence follows the last, no
         segment number missing and no EXT-X-DISCONTINUITY, PROGRAM-DATE-TIME
         continuous (each segment's date is the one before plus its EXTINF, and the
         same in every version that names it, A's or B's), every segment it names on
         the origin when named (fetched then: the leader deletes what leaves its
         window, the standby never deletes); the colours of every segment the origin got (the
         ffmpeg CLI) switch on the scheduled frames across the takeover; B's as-run
         log records it as leader.
  partition  Four hosts (network namespaces and veth links, netns.py): etcd, the origin,
         A and B, each instance linked to etcd and to the origin on links of its own.
         A leads; its link to etcd is cut while it still reaches the origin. A stops
         publishing before its lease can expire (its last playlist PUT no later than
         the cut plus the lease less the margin), B takes over, and no playlist from
         A's address reaches the origin after B's first (the origin's access log by
         source address); the origin's playlist goes on as in kill. The link comes
         back: A rejoins as the standby and never publishes again.
  rolling  A leads, B stands by (each with its admin API). An operator's ad break is
         made through the standby, B: both instances cut it on the same frame (their
         own playlists: the same segments, durations and dates, the same DATERANGE;
         their own manifest.mpd the same but for when it was written), A's as-run
         log names B as the instance that took it; B's channel object (the API) says
         it is the standby and A holds the lease. Then the rolling
         restarts: B restarts (it rejoins: numbered as the pair numbers, the break's
         splices counted, though it did not run then), A stops (SIGINT: it resigns)
         and B takes over; A restarts as the standby, B stops and A takes over. The
         origin's playlist goes on through all of it as in kill (no discontinuity,
         nothing missing, dates continuous, the colours switching on the scheduled
         frames) and never stands still longer than the lease and a segment allow;
         at the end the two manifest.mpd are still the same.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402
import netns as N  # noqa: E402
import push_test as P  # noqa: E402
import run_test as R  # noqa: E402

LEASE_S = 2
SEGMENT_S = 1
WINDOW = 8      # segments
ROLLING_WINDOW = 5  # rolling: each restarted instance runs a window before the other stops
PROGRAM_S = 4   # red, green, blue: a switch every 4 s from the channel's epoch
RUNG = R.RUNG


def make_clips(directory):
    """The schedule's red, green and blue clips, each a little longer than its program."""
    R.make_clips(directory, [(name, colour, None, PROGRAM_S + 2)
                             for name, colour in (('red', 'red'), ('green', 'lime'), ('blue', 'blue'))])


class Etcd:
    """etcd on ports of its own, its data in the test's folder: on loopback, or with
    hosts (netns.Hosts) in host `etcd`, listening on `addresses` there."""

    def __init__(self, directory, hosts=None, addresses=('127.0.0.1',)):
        self.client, self.peer = J.free_port(), J.free_port()
        self.urls = ['http://%s:%d' % (a, self.client) for a in addresses]
        self.url = self.urls[0]
        self.log = open(os.path.join(directory, 'etcd.log'), 'w')
        argv = ['etcd', '--name', 'test', '--data-dir', os.path.join(directory, 'etcd'),
                '--listen-client-urls', ','.join(self.urls), '--advertise-client-urls', ','.join(self.urls),
                '--listen-peer-urls', 'http://127.0.0.1:%d' % self.peer,
                '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % self.peer,
                '--initial-cluster', 'test=http://127.0.0.1:%d' % self.peer]
        self.hosts = hosts
        self.p = (hosts.popen('etcd', argv, stdout=self.log, stderr=subprocess.STDOUT) if hosts else
                  subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.time() + 20 * J.timeout_scale()
        while time.time() < deadline:
            try:
                if json.loads(self.call('/health')).get('health') == 'true':
                    return
            except (OSError, ValueError, subprocess.SubprocessError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('etcd did not come up: see %s' % self.log.name)

    def call(self, path, body=None):
        """GET (or POST body, JSON) path: the answer's text, from inside etcd's host."""
        if not self.hosts:
            with urllib.request.urlopen(self.url + path, body, timeout=2) as r:
                return r.read().decode()
        r = self.hosts.run('etcd', ['curl', '-sf', '--max-time', '2', self.url + path] +
                           (['-d', body.decode()] if body else []))
        if r.returncode != 0:
            raise OSError('curl %s: %s' % (path, r.returncode))
        return r.stdout

    def get(self, key):
        """The value at key (a string), or None."""
        import base64
        body = json.dumps({'key': base64.b64encode(key.encode()).decode()}).encode()
        kvs = json.loads(self.call('/v3/kv/range', body)).get('kvs') or []
        return base64.b64decode(kvs[0]['value']).decode() if kvs else None

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        self.log.close()


def write_conf(directory, etcd_url, origin_url, window=WINDOW, formats=''):
    os.makedirs(directory, exist_ok=True)
    for name in ('red', 'green', 'blue'):
        shutil.copy(os.path.join(os.path.dirname(directory), name + '.mp4'), directory)
    return R.write_conf(directory, '  red: { file: red.mp4, loop: true }\n  green: { file: green.mp4, loop: true }\n'
                        '  blue: { file: blue.mp4, loop: true }\n',
                        ''.join('    - { source: %s, duration: %ds }\n' % (c, PROGRAM_S) for c in ('red', 'green', 'blue')),
                        extra='redundancy: { etcd: [ "%s" ], lease: %ds }\n' % (etcd_url, LEASE_S),
                        window=window, loop=True,
                        output=', push: { url: "%s" }%s' % (origin_url, formats))


def start(conf, instance, hosts=None):
    argv = [J.onair_path(), 'run', conf, '--instance', instance, '--admin', 'none', '-v']
    if hosts:
        return hosts.popen(instance.lower(), argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


class PlaylistPoller(threading.Thread):
    """A player recording the origin: every 100 ms its media playlist (each version
    that differs from the last, with when it was read), and each segment it names
    the first time, fetched into `keep` (the origin deletes what leaves the
    window). A segment named and not there is noted."""

    def __init__(self, url, keep):
        super().__init__(daemon=True)
        self.url, self.keep, self.versions, self.stop = url, keep, [], threading.Event()
        self.missing = []
        os.makedirs(keep, exist_ok=True)

    def run(self):
        last = None
        while not self.stop.is_set():
            try:
                text = self.read()
                if text != last:
                    self.versions.append((time.time(), text))
                    last = text
                    for _, uri, _, _ in parse(text)[1]:
                        self.fetch(uri)
            except OSError:
                pass
            self.stop.wait(0.1)

    def read(self):
        with urllib.request.urlopen(self.url, timeout=2) as r:
            return r.read().decode()

    def fetch(self, uri):
        path = os.path.join(self.keep, uri)
        if os.path.exists(path):
            return
        try:
            with urllib.request.urlopen(self.url.rsplit('/', 1)[0] + '/' + uri, timeout=2) as r:
                data = r.read()
        except OSError as e:
            self.missing.append('%s (%s)' % (uri, e))
            return
        with open(path, 'wb') as f:
            f.write(data)


def parse(text):
    """(media sequence, [(number, uri, extinf, pdt)], discontinuities) of a playlist."""
    seq = int(re.search(r'#EXT-X-MEDIA-SEQUENCE:(\d+)', text).group(1))
    segs, pdt, dur = [], None, None
    for ln in text.splitlines():
        if ln.startswith('#EXT-X-PROGRAM-DATE-TIME:'):
            pdt = R.parse_iso(ln.split(':', 1)[1])
        elif ln.startswith('#EXTINF:'):
            dur = float(ln[8:].split(',')[0])
        elif ln and not ln.startswith('#'):
            segs.append((seq + len(segs), ln, dur, pdt))
            pdt = None
    return seq, segs, text.count('#EXT-X-DISCONTINUITY\n') + text.count('#EXT-X-DISCONTINUITY\r')


def case_kill():
    fails, info = [], []
    with J.Workdir('pair-kill') as wd:
        make_clips(wd.path)
        etcd = Etcd(wd.path)
        origin = P.Nginx(wd.path, J.free_port())
        a = b = None
        poller = None
        try:
            origin.start()
            base = 'http://127.0.0.1:%d/' % origin.port
            conf_a = write_conf(os.path.join(wd.path, 'a'), etcd.url, base)
            conf_b = write_conf(os.path.join(wd.path, 'b'), etcd.url, base)
            a = start(conf_a, 'A')
            index = os.path.join(origin.root, RUNG, 'index.m3u8')
            if not P.wait_for(index, 20 * J.timeout_scale()):
                fails.append('A published no playlist on the origin')
                return J.report('pair kill', fails, info, keep=wd.path)
            got = os.path.join(wd.path, 'got')
            poller = PlaylistPoller(base + RUNG + '/index.m3u8', got)
            poller.start()
            b = start(conf_b, 'B')
            # B runs more than a window before A goes, so that its playlist is a whole window
            time.sleep(WINDOW + 2)
            killed = time.time()
            os.killpg(a.pid, signal.SIGKILL)
            _, err_a = a.communicate()
            a = None
            time.sleep(6)
            rc, err_b = P.stop_onair(b)
            b = None
            poller.stop.set()
            poller.join()
            info += [ln for ln in err_b.splitlines() if 'redundancy' in ln or 'leader' in ln][:10]
            judge_versions(poller.versions, killed, fails, info)
            epoch = int(etcd.get('/onair/test/epoch') or 0) / 1e6
            if poller.missing:
                fails.append('segments the playlist named and the origin did not have: %s' % poller.missing[:5])
            judge_colours(got, poller.versions, epoch, fails, info)
            if not os.path.exists(os.path.join(origin.root, 'master.m3u8')):
                fails.append('the origin has no master.m3u8 (the leader pushes it when it gets the right)')
            records = [json.loads(ln) for ln in open(os.path.join(wd.path, 'b', 'out', 'as-run.jsonl'))]
            leads = [r for r in records if r.get('event') == 'leader']
            if [r.get('holder') for r in leads] != ['B']:
                fails.append('B\'s as-run log has leader records %s, expected one (B took over)' % leads)
        finally:
            if poller:
                poller.stop.set()
            for p in (a, b):
                if p and p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.communicate()
            origin.kill()
            etcd.stop()
        rc = J.report('pair kill', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


class Instance:
    """onair run of one instance with its admin API on 127.0.0.1 (port read from
    its log), its log in the channel's folder (a restart appends to it)."""

    TOKEN_ENV, TOKEN = 'ONAIR_TEST_ADMIN_TOKEN', 'pair-token-7c1e'

    def __init__(self, conf, name):
        self.conf, self.name = conf, name
        self.log_path = os.path.join(os.path.dirname(conf), 'onair.log')
        self.p = None

    def start(self):
        env = dict(os.environ, **{self.TOKEN_ENV: self.TOKEN})
        with open(self.log_path, 'a') as log:
            log.write('---- start\n')
        self.offset = os.path.getsize(self.log_path)
        self.log = open(self.log_path, 'ab')
        self.p = subprocess.Popen([J.onair_path(), 'run', self.conf, '--instance', self.name, '-v', '--admin',
                                   '127.0.0.1:0', '--admin-token-env', self.TOKEN_ENV],
                                  stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.port = None
        deadline = time.time() + 20 * J.timeout_scale()
        while time.time() < deadline and self.p.poll() is None and not self.port:
            m = re.search(r'onair: admin at http://127\.0\.0\.1:(\d+)/', self.text())
            self.port = int(m.group(1)) if m else None
            time.sleep(0.1)
        return self.port is not None

    def text(self):
        with open(self.log_path, 'rb') as f:
            f.seek(self.offset)
            return f.read().decode('utf-8', 'replace')

    def ready(self):
        """/readyz's reason for the channel ('' when it publishes)."""
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/readyz' % self.port, timeout=2) as r:
                return ''
        except urllib.error.HTTPError as e:
            return json.loads(e.read().decode()).get('channels', {}).get('test', '?')
        except OSError as e:
            return str(e)

    def status(self):
        """The channel's object (GET /api/v1/channels/test); {} when it cannot be read."""
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/api/v1/channels/test' % self.port, timeout=5) as r:
                return json.loads(r.read().decode())
        except (OSError, ValueError):
            return {}

    def post(self, path, body):
        rq = urllib.request.Request('http://127.0.0.1:%d%s' % (self.port, path), data=json.dumps(body).encode(),
                                    headers={'Authorization': 'Bearer ' + self.TOKEN,
                                             'Content-Type': 'application/json'}, method='POST')
        try:
            with urllib.request.urlopen(rq, timeout=10 * J.timeout_scale()) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGINT)
            try:
                self.p.wait(20 * J.timeout_scale())
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def kill(self):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        if self.p:
            self.log.close()


def own_playlist(conf):
    with open(os.path.join(os.path.dirname(conf), 'out', RUNG, 'index.m3u8')) as f:
        return f.read()


def dateranges(text):
    return sorted(ln for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:'))


def same_mpd(a, b, when, fails):
    """A's and B's own manifest.mpd are the same but for when each was written
    (publishTime, UTCTiming): the same timeline, numbers, periods and events.
    Read again a few times: one may have written the next segment's version."""
    def own(inst):
        with open(os.path.join(os.path.dirname(inst.conf), 'out', 'manifest.mpd')) as f:
            return re.sub(r'(publishTime|value)="\d{4}-[^"]*"', r'\1=""', f.read())
    for _ in range(10):
        mpd_a, mpd_b = own(a), own(b)
        if mpd_a == mpd_b:
            return
        time.sleep(0.1)
    fails.append('A\'s and B\'s manifest.mpd differ %s:\n%s\n%s' % (when, mpd_a, mpd_b))


def wait_role(inst, want, seconds):
    """Until inst's /readyz says want ('' leader, 'standby'); whether it did."""
    deadline = time.time() + seconds * J.timeout_scale()
    while time.time() < deadline:
        if inst.ready() == want:
            return True
        time.sleep(0.2)
    return False


def case_rolling():
    fails, info = [], []
    with J.Workdir('pair-rolling') as wd:
        make_clips(wd.path)
        etcd = Etcd(wd.path)
        origin = P.Nginx(wd.path, J.free_port())
        a = b = poller = None
        try:
            origin.start()
            base = 'http://127.0.0.1:%d/' % origin.port
            dash = ', formats: [hls, dash]'
            a = Instance(write_conf(os.path.join(wd.path, 'a'), etcd.url, base, ROLLING_WINDOW, dash), 'A')
            b = Instance(write_conf(os.path.join(wd.path, 'b'), etcd.url, base, ROLLING_WINDOW, dash), 'B')
            if not a.start() or not wait_role(a, '', 20):
                fails.append('A did not come up as the leader: %s' % a.text()[-1500:])
                return J.report('pair rolling', fails, info, keep=wd.path)
            poller = PlaylistPoller(base + RUNG + '/index.m3u8', os.path.join(wd.path, 'got'))
            poller.start()
            if not b.start() or not wait_role(b, 'standby', 20):
                fails.append('B did not come up as the standby: %s' % b.text()[-1500:])
                return J.report('pair rolling', fails, info, keep=wd.path)
            time.sleep(2)
            pair = b.status().get('pair') or {}
            if (pair.get('instance'), pair.get('role'), pair.get('holder')) != ('B', 'standby', 'A'):
                fails.append('B\'s channel object says pair %s, expected B as the standby, A holding' % pair)
            # the break, through the standby: within one program, airing that
            # program's own clip, so that the colours switch where the schedule does
            epoch = int(etcd.get('/onair/test/epoch')) / 1e6
            while (time.time() - epoch) % PROGRAM_S > 0.5:
                time.sleep(0.05)
            colour = ('red', 'green', 'blue')[int((time.time() - epoch) // PROGRAM_S) % 3]
            status, body = b.post('/api/v1/channels/test/break', {'duration': '1.5s', 'source': colour})
            if status != 200:
                fails.append('the break through B answered %d: %s' % (status, body))
            # on air 1 s on, for 1.5 s: read when the window holds the segments it cut
            time.sleep(4)
            # both instances cut it alike: their own playlists agree where they overlap
            own_a, own_b = own_playlist(a.conf), own_playlist(b.conf)
            segs_a = {n: (uri, dur, pdt) for n, uri, dur, pdt in parse(own_a)[1]}
            segs_b = {n: (uri, dur, pdt) for n, uri, dur, pdt in parse(own_b)[1]}
            common = sorted(set(segs_a) & set(segs_b))
            if len(common) < ROLLING_WINDOW - 1:
                fails.append('A\'s and B\'s playlists share only segments %s' % common)
            for n in common:
                if segs_a[n][0] != segs_b[n][0] or abs(segs_a[n][1] - segs_b[n][1]) > 0.0015 or \
                        abs(segs_a[n][2] - segs_b[n][2]) > 0.0015:
                    fails.append('segment %d: A has %s, B %s' % (n, segs_a[n], segs_b[n]))
            short = [n for n in common if segs_a[n][1] < SEGMENT_S - 0.01]
            info.append('the break\'s cuts: segments %s are short' % short)
            if len(short) < 2:
                fails.append('the break cut %d short segment(s) where its out and return should cut two: %s'
                             % (len(short), own_a))
            if not dateranges(own_a) or dateranges(own_a) != dateranges(own_b):
                fails.append('the break\'s DATERANGEs: A %s, B %s' % (dateranges(own_a), dateranges(own_b)))
            same_mpd(a, b, 'after the break', fails)
            adopted = [json.loads(ln) for ln in open(os.path.join(wd.path, 'a', 'out', 'as-run.jsonl'))
                       if '"api"' in ln]
            if not any(r.get('action') == 'break' and r.get('instance') == 'B' for r in adopted):
                fails.append('A\'s as-run log has no break taken through B: %s' % adopted)
            # the rolling restarts: the standby first, each back a window before the next goes
            steps = []
            for first, second in ((b, a), (a, b)):
                rc = first.stop()
                if rc != 0:
                    fails.append('%s (the standby) stopped with %s: %s' % (first.name, rc, first.text()[-1500:]))
                if not first.start() or not wait_role(first, 'standby', 20):
                    fails.append('%s did not come back as the standby (exit %s): %s'
                                 % (first.name, first.p.poll(), first.text()[-1500:]))
                    break
                if 'left behind' not in first.text():
                    fails.append('%s\'s restart did not rejoin the pair: %s' % (first.name, first.text()[-1500:]))
                time.sleep(ROLLING_WINDOW + 2)
                steps.append(time.time())
                rc = second.stop()
                if rc != 0:
                    fails.append('%s (the leader) stopped with %s: %s' % (second.name, rc, second.text()[-1500:]))
                if not wait_role(first, '', LEASE_S + 4):
                    fails.append('%s did not take over from %s' % (first.name, second.name))
                pair = first.status().get('pair') or {}
                if (pair.get('role'), pair.get('holder'), pair.get('takeovers')) != ('leader', first.name, 1):
                    fails.append('%s\'s channel object says pair %s after it took over' % (first.name, pair))
                if not second.start() or not wait_role(second, 'standby', 20):
                    fails.append('%s did not come back as the standby' % second.name)
                    break
            time.sleep(ROLLING_WINDOW + 1)   # the last restarted has a whole window again
            same_mpd(a, b, 'after the restarts', fails)
            for inst in (a, b):
                # a window and a window of grace: what it published before its
                # restart went when it rejoined
                rung = os.path.join(os.path.dirname(inst.conf), 'out', RUNG)
                kept = sorted(f for f in os.listdir(rung) if f.startswith('seg_'))
                if len(kept) > 2 * (2 * ROLLING_WINDOW + 1):   # .ts and .m4s
                    fails.append('%s keeps %d segment files: %s' % (inst.name, len(kept), kept))
            for inst in (a, b):
                rc = inst.stop()
                if rc != 0:
                    fails.append('%s stopped with %s at the end: %s' % (inst.name, rc, inst.text()[-1500:]))
            poller.stop.set()
            poller.join()
            for step in steps:
                judge_versions([v for v in poller.versions if v[0] < step + 6], step, fails, info)
            judge_versions(poller.versions, steps[-1] if steps else time.time(), fails, info)
            if poller.missing:
                fails.append('segments the playlist named and the origin did not have: %s' % poller.missing[:5])
            judge_colours(os.path.join(wd.path, 'got'), poller.versions, epoch, fails, info)
        finally:
            if poller:
                poller.stop.set()
            for inst in (a, b):
                if inst:
                    inst.kill()
            origin.kill()
            etcd.stop()
        rc = J.report('pair rolling', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def judge_versions(versions, killed, fails, info):
    """The origin's playlist across the takeover: see the docstring."""
    dates, last_seq, last_new, longest = {}, -1, None, (0, None)
    for t, text in versions:
        seq, segs, disc = parse(text)
        if disc:
            fails.append('a version at %.1f s (from the kill) has EXT-X-DISCONTINUITY' % (t - killed))
        if seq < last_seq:
            fails.append('the media sequence went back from %d to %d' % (last_seq, seq))
        last_seq = seq
        for (n, uri, dur, pdt), nxt in zip(segs, segs[1:] + [None]):
            if pdt is None:
                fails.append('segment %d (%s) has no PROGRAM-DATE-TIME' % (n, uri))
                continue
            if n in dates and abs(dates[n] - pdt) > 0.0015:
                fails.append('segment %d: PROGRAM-DATE-TIME %.3f, earlier %.3f' % (n, pdt, dates[n]))
            dates.setdefault(n, pdt)
            if nxt and nxt[3] is not None and abs(pdt + dur - nxt[3]) > 0.0015:
                fails.append('segment %d ends at %.3f, the next starts at %.3f' % (n, pdt + dur, nxt[3]))
        newest = segs[-1][0] if segs else -1
        if last_new is None or newest > last_new[1]:
            if last_new is not None and t - last_new[0] > longest[0]:
                longest = (t - last_new[0], last_new[0] - killed)
            last_new = (t, newest)
    numbers = sorted(dates)
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers)) if numbers else []
    # the takeover as a player sees it: from the kill (or cut) to the first version
    # naming a segment newer than any named before it
    before = max((parse(text)[1][-1][0] for t, text in versions if t <= killed and parse(text)[1]), default=-1)
    after = next((t for t, text in versions if t > killed and parse(text)[1] and parse(text)[1][-1][0] > before),
                 None)
    if after is not None:
        info.append('takeover: the first new segment came %.2f s after the kill' % (after - killed))
    info.append('%d versions, segments %s..%s; the longest wait for a new segment: %.2f s (from %.1f s after '
                'the kill)' % (len(versions), numbers[0] if numbers else None, numbers[-1] if numbers else None,
                               longest[0], longest[1] or 0))
    if missing:
        fails.append('segments never in the playlist: %s' % missing)
    allowed = LEASE_S + 2 * SEGMENT_S + 1.5
    if longest[0] > allowed * J.timeout_scale():
        fails.append('the playlist stood still %.2f s, more than the lease and a segment allow (%.1f s)'
                     % (longest[0], allowed))
    if not numbers or dates[numbers[-1]] < killed + 3:
        fails.append('the playlist did not go on after the kill')


def judge_colours(got, versions, epoch, fails, info):
    """Every segment the playlist named, in order, decoded: the colour changes on
    frames whose air time is a multiple of PROGRAM_S past the pair's epoch (etcd's),
    where the schedule starts."""
    segs = {}
    for _, text in versions:
        for n, uri, dur, pdt in parse(text)[1]:
            segs[n] = (uri, dur, pdt)
    if not segs:
        return
    vod = os.path.join(got, 'judge.m3u8')
    with open(vod, 'w') as f:
        f.write('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n'
                % (SEGMENT_S + 1, min(segs)))
        for n in sorted(segs):
            f.write('#EXTINF:%.3f,\n%s\n' % (segs[n][1], segs[n][0]))
        f.write('#EXT-X-ENDLIST\n')
    got = R.runs(R.frame_colours(vod))
    t0 = segs[min(segs)][2]
    info.append('colours: ' + ', '.join('%s@%.2fs+%d' % (c, t0 + i / R.FPS, k) for c, i, k in got))
    if len(got) < 4:
        fails.append('the colours did not change across the run: %s' % got)
    for c, i, _ in got[1:]:
        frame = round((t0 + i / R.FPS - epoch) * R.FPS)
        if frame % (PROGRAM_S * R.FPS):
            fails.append('%s starts on the pair\'s frame %d, not on a switch of the schedule (every %d frames)'
                         % (c, frame, PROGRAM_S * R.FPS))


class FilePoller(PlaylistPoller):
    """The same recording player, reading the origin's files from its folder (the
    origin is in a namespace the test's process is not in)."""

    def __init__(self, root, keep):
        super().__init__(os.path.join(root, RUNG, 'index.m3u8'), keep)
        self.root = root

    def read(self):
        with open(self.url) as f:
            return f.read()

    def fetch(self, uri):
        path = os.path.join(self.keep, uri)
        if not os.path.exists(path):
            try:
                shutil.copy(os.path.join(self.root, RUNG, uri), path)
            except OSError as e:
                self.missing.append('%s (%s)' % (uri, e))


def origin_in(hosts, directory, addresses, port):
    """nginx WebDAV in host `origin`, on addresses:port, its access log with the
    time to the millisecond and the client's address."""
    d = os.path.join(directory, 'origin')
    root = os.path.join(d, 'www')
    os.makedirs(os.path.join(d, 'tmp'), exist_ok=True)
    os.makedirs(root, exist_ok=True)
    conf = os.path.join(d, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write('user root;\nworker_processes 1;\ndaemon off;\npid %(d)s/nginx.pid;\n'
                'error_log %(d)s/error.log;\nevents { worker_connections 512; }\nhttp {\n'
                '  log_format t \'$msec $remote_addr "$request" $status\';\n  access_log %(d)s/access.log t;\n'
                '  client_body_temp_path %(d)s/tmp;\n  server {\n%(listen)s    root %(root)s;\n'
                '    client_max_body_size 0;\n    location / { dav_methods PUT DELETE; create_full_put_path on; '
                'dav_access user:rw group:r all:r; }\n  }\n}\n'
                % {'d': d, 'root': root, 'listen': ''.join('    listen %s:%d;\n' % (a, port) for a in addresses)})
    hosts.popen('origin', ['nginx', '-c', conf, '-e', os.path.join(d, 'error.log')],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        if hosts.run('origin', ['curl', '-s', '-o', '/dev/null', 'http://%s:%d/' % (addresses[0], port)]).returncode == 0:
            return root, os.path.join(d, 'access.log')
        time.sleep(0.1)
    raise RuntimeError('nginx does not answer in the origin host')


def playlist_puts(log):
    """[(time, client address)] of the playlist and manifest PUTs the origin took (2xx)."""
    out = []
    for ln in open(log):
        m = re.match(r'([\d.]+) (\S+) "PUT (\S+) [^"]*" (\d+)', ln)
        if m and m.group(4).startswith('2') and m.group(3).endswith(('.m3u8', '.mpd')):
            out.append((float(m.group(1)), m.group(2)))
    return out


def case_partition():
    fails, info = [], []
    with J.Workdir('pair-partition') as wd:
        make_clips(wd.path)
        hosts = N.Hosts(['etcd', 'origin', 'a', 'b'])
        a = b = poller = None
        try:
            ea, a_e = hosts.link('etcd', 'a')
            eb, b_e = hosts.link('etcd', 'b')
            oa, a_o = hosts.link('origin', 'a')
            ob, b_o = hosts.link('origin', 'b')
            etcd = Etcd(wd.path, hosts, (ea, eb))
            port = J.free_port()
            root, log = origin_in(hosts, wd.path, (oa, ob), port)
            conf_a = write_conf(os.path.join(wd.path, 'a'), etcd.urls[0], 'http://%s:%d/' % (oa, port))
            conf_b = write_conf(os.path.join(wd.path, 'b'), etcd.urls[1], 'http://%s:%d/' % (ob, port))
            a = start(conf_a, 'A', hosts)
            if not P.wait_for(os.path.join(root, RUNG, 'index.m3u8'), 20 * J.timeout_scale()):
                fails.append('A published no playlist on the origin')
                return J.report('pair partition', fails, info, keep=wd.path)
            poller = FilePoller(root, os.path.join(wd.path, 'got'))
            poller.start()
            b = start(conf_b, 'B', hosts)
            time.sleep(WINDOW + 2)
            cut = time.time()
            hosts.set_link('etcd', 'a', False)
            time.sleep(6)
            hosts.set_link('etcd', 'a', True)
            time.sleep(4)
            # A first: B stopping first would hand the channel back to A, rightly
            _, err_a = P.stop_onair(a)
            _, err_b = P.stop_onair(b)
            a = b = None
            for name, err in (('a', err_a), ('b', err_b)):
                with open(os.path.join(wd.path, name, 'stderr.log'), 'w') as f:
                    f.write(err)
            poller.stop.set()
            poller.join()
            info += [ln for ln in err_a.splitlines() if 'redundancy' in ln][:10]
            puts = playlist_puts(log)
            first_b = min((t for t, addr in puts if addr == b_o), default=None)
            from_a = [t for t, addr in puts if addr == a_o]
            last_a = max((t for t in from_a if t < cut + 30), default=None)
            margin = max(LEASE_S / 4, 0.5)
            info.append('the cut at %.3f; A\'s last playlist PUT %+.3f s from it, B\'s first %+.3f s'
                        % (cut, (last_a or cut) - cut, (first_b or cut) - cut))
            if first_b is None:
                fails.append('B never published a playlist')
            elif [t for t in from_a if t > first_b]:
                fails.append('split brain: %d playlist PUTs from A after B\'s first (%s)'
                             % (len([t for t in from_a if t > first_b]), [round(t - first_b, 3) for t in from_a
                                                                        if t > first_b][:5]))
            if last_a is not None and last_a > cut + LEASE_S - margin + 0.25:
                fails.append('A published %.3f s after the cut: past its lease less the margin (%.2f s)'
                             % (last_a - cut, LEASE_S - margin))
            if poller.missing:
                fails.append('segments the playlist named and the origin did not have: %s' % poller.missing[:5])
            judge_versions(poller.versions, cut, fails, info)
            roles = [(r.get('event'), r.get('holder')) for r in
                     (json.loads(ln) for ln in open(os.path.join(wd.path, 'a', 'out', 'as-run.jsonl')))
                     if r.get('event') in ('leader', 'standby')]
            if roles != [('leader', 'A'), ('standby', '')]:
                fails.append('A\'s roles %s, expected leader then standby (and never leader again)' % roles)
        finally:
            if poller:
                poller.stop.set()
            hosts.close()
        rc = J.report('pair partition', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {'kill': case_kill, 'partition': case_partition, 'rolling': case_rolling}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
