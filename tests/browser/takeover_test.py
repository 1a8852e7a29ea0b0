#!/usr/bin/env python3
"""An A/B pair's takeover as a viewer sees it: hls.js, in Debian's headless
Chromium, plays a redundant channel from the origin while the leader is killed.

    takeover_test.py CASE    (ONAIR=path/to/onair; needs `npm ci` in tests/browser,
                              etcd (Debian's etcd-server) and nginx)
    takeover_test.py --list

cases:
  hlsjs-takeover  The pair of pair_test.py's `kill` (`redundancy: { etcd: [...],
          lease: 2s }`, 1 s segments, etcd and an nginx WebDAV origin on 127.0.0.1,
          started in the test's folder; the origin here also answers with CORS and
          no-cache, since the player's page is on another origin). A starts and
          leads; B joins (its /readyz on its admin port says "standby"); hls.js
          (breaks.mjs, its default live config) plays the origin's master playlist
          (the new leader pushes it when it gets the right to publish);
          8 s after its first 'playing' A is killed (SIGKILL), and it plays 12 s
          more. Judged on the player's record (breaks.mjs samples the <video>
          every 200 ms: currentTime, the middle pixel's colour; hls.js's playlist
          loads, FRAG_CHANGED, errors): no fatal hls.js error; from the first
          'playing' on, the playhead never stands still longer than STALL_MAX_S
          (the lease, a segment and a tolerance: see there), never seeks away,
          and 12 s after the kill has advanced at least the wall time since the
          kill less STALL_MAX_S; the pictures follow the schedule (red, green,
          blue, none skipped) and change after the kill; hls.js played segments
          numbered past the last one A wrote before it died, i.e. B's (this holds
          however far ONAIR_TIMEOUT_SCALE widens the bound: with no B, hls.js
          plays out the 3-5 s it had buffered and stops); B's as-run log has it
          take over.
          The record (JSON) and a screenshot at the end go to ONAIR_ARTIFACTS
          (else the test's folder).
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import judge as J  # noqa: E402
import pair_test as T  # noqa: E402
import push_test as P  # noqa: E402
import run_test as R  # noqa: E402

BEFORE_S = 8    # played before the kill (from the first 'playing')
AFTER_S = 12    # played after it
# The longest the playhead may stand still: the lease (A's key outlives A by up
# to that) and a segment (B's first after it) make 3 s of playlist with nothing
# new; hls.js's 3-5 s of buffer should hide most of it. The tolerance, 2 s: hls.js
# reloads an unchanged playlist every half target duration (0.5 s) and must load
# and append the next fragment; the record samples every 0.2 s (a stall reads up
# to one sample long); and CI runs this on 2 loaded cores beside two encoders and
# Chromium, where B's first segment can come late by a few hundred ms. A player
# with no B (the playlist stops) stands still for good, so 5 s still tells the
# two apart. Scaled by ONAIR_TIMEOUT_SCALE.
STALL_MAX_S = T.LEASE_S + T.SEGMENT_S + 2.0
MOVED_EPS = 0.001   # s of currentTime: a sample that moved less stands still


class Lines(threading.Thread):
    """A child's stdout, line by line, kept; `playing` is set on breaks.mjs's `playing at`."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.lines, self.playing = stream, [], threading.Event()

    def run(self):
        for ln in self.stream:
            self.lines.append(ln.rstrip('\n'))
            if ln.startswith('playing at '):
                self.playing.set()


def judge_record(rec, killed, fails, info):
    """The player's record against the kill (wall time, s): see the docstring."""
    bound = STALL_MAX_S * J.timeout_scale()
    info.append('hls.js %s: %s, %d samples; the bound on a stall %.1f s'
                % (rec.get('version'), rec.get('endReason'), len(rec.get('samples') or []), bound))
    for e in rec.get('errors') or []:
        fails.append('hls.js error at %+.2f s from the kill: %s' % (e.get('wall', 0) / 1e3 - killed, e.get('msg')))
    if rec.get('harness'):
        fails.append('the harness (breaks.mjs): %s' % '; '.join(rec['harness']))
    warnings = rec.get('warnings') or []
    if warnings:
        info.append('%d non-fatal hls.js errors: %s' % (len(warnings), ' | '.join(
            '%+.2fs %s' % (w['wall'] / 1e3 - killed, w['msg']) for w in warnings[:6])))
    events = rec.get('events') or []
    info.append('media events (s from the kill: currentTime): ' + ' '.join(
        '%s@%+.2f:%.2f' % (e['e'], e['wall'] / 1e3 - killed, e['t']) for e in events[:30]))
    first = next((e for e in events if e['e'] == 'playing'), None)
    if first is None:
        fails.append('hls.js never played (no \'playing\' event)')
        return
    samples = [(s['wall'] / 1e3, s['t'], s['paused']) for s in rec.get('samples') or []
               if s['wall'] >= first['wall']]
    if len(samples) < 2:
        fails.append('the record has %d samples after the first \'playing\'' % len(samples))
        return
    # stand-stills: from the first sample at a position to the first that moved on
    # (or the last sample, if none did)
    stills, since = [], samples[0]
    for s in samples[1:] + [None]:
        if s is None or abs(s[1] - since[1]) > MOVED_EPS:
            end = s or samples[-1]
            if end[0] - since[0] > 0.5:
                stills.append((since[0] - killed, end[0] - since[0], since[1], s is None))
            since = s
    longest = max(stills, key=lambda x: x[1], default=None)
    info.append('the playhead stood still (s from the kill, for, at): %s' % (
        ', '.join('%+.2f %.2fs @%.2f%s' % (a, d, t, ' (to the end)' if last else '') for a, d, t, last in stills)
        or 'never over 0.5 s'))
    if longest and longest[1] > bound:
        fails.append('the playhead stood still %.2f s at %.2f s (from %+.2f s after the kill%s): more than the lease '
                     'and a segment allow (%.1f s)' % (longest[1], longest[2], longest[0],
                                                       ', to the end of the record' if longest[3] else '', bound))
    paused = [s for s in samples if s[2]]
    if paused:
        fails.append('the <video> was paused in %d samples (first %+.2f s from the kill)'
                     % (len(paused), paused[0][0] - killed))
    # jumps: a seek after playback started skips (or repeats) what aired
    for e in events:
        if e['e'] == 'seeking' and e['wall'] > first['wall']:
            prior = [s for s in samples if s[0] <= e['wall'] / 1e3]
            if prior and abs(e['t'] - prior[-1][1]) > 0.5:
                fails.append('hls.js jumped from %.2f s to %.2f s at %+.2f s from the kill'
                             % (prior[-1][1], e['t'], e['wall'] / 1e3 - killed))
    judge_colours(rec, first['wall'] / 1e3, killed, fails, info)
    judge_playlists(rec, killed, fails, info)
    before = [s for s in samples if s[0] <= killed]
    after = samples[-1]
    if not before:
        fails.append('playback had not started when A was killed')
        return
    at_kill = before[-1]
    played_before = at_kill[1] - samples[0][1]
    wall_after, played_after = after[0] - killed, after[1] - at_kill[1]
    info.append('played %.2f s before the kill, %.2f s in the %.2f s after it (playhead %.2f -> %.2f -> %.2f)'
                % (played_before, played_after, wall_after, samples[0][1], at_kill[1], after[1]))
    if played_before < BEFORE_S - bound:
        fails.append('only %.2f s played in the %d s before the kill' % (played_before, BEFORE_S))
    if wall_after < AFTER_S - 1:
        fails.append('the record ends %.2f s after the kill, want %d s' % (wall_after, AFTER_S))
    if played_after < wall_after - bound:
        fails.append('the playhead advanced %.2f s in the %.2f s after the kill: it fell more than %.1f s behind'
                     % (played_after, wall_after, bound))


def colour_name(rgb):
    """red, green or blue: the picture's middle pixel; None for anything else."""
    if not isinstance(rgb, list) or max(rgb) < 128:
        return None
    i = rgb.index(max(rgb))
    return ('red', 'green', 'blue')[i] if rgb[i] - sorted(rgb)[1] > 100 else None


def judge_colours(rec, started, killed, fails, info):
    """The pictures shown, in order: the schedule's red, green, blue (4 s each, looping),
    none skipped across the takeover, and still changing after it."""
    runs = []
    for s in rec.get('samples') or []:
        c = colour_name(s.get('rgb'))
        if s['wall'] / 1e3 >= started and c and (not runs or runs[-1][0] != c):
            runs.append((c, s['wall'] / 1e3 - killed))
    info.append('pictures (s from the kill): ' + ', '.join('%s@%+.1f' % r for r in runs))
    order = ('red', 'green', 'blue')
    for (c, _), (d, t) in zip(runs, runs[1:]):
        if order.index(d) != (order.index(c) + 1) % 3:
            fails.append('the picture went from %s to %s at %+.1f s from the kill: a program was skipped' % (c, d, t))
    if len([t for _, t in runs if t > 0]) < 1:
        fails.append('the picture did not change after the kill (programs change every %d s)' % T.PROGRAM_S)


def judge_playlists(rec, killed, fails, info):
    """The media playlist as hls.js loaded it (LEVEL_UPDATED): new segments after the kill."""
    news, last = [], None
    for lv in rec.get('levels') or []:
        if last is None or lv['endSN'] > last:
            news.append((lv['wall'] / 1e3, lv['endSN']))
            last = lv['endSN']
    waits = [(b[0] - a[0], a[0] - killed) for a, b in zip(news, news[1:])]
    longest = max(waits, default=(0, 0))
    first_after = next((t - killed for t, _ in news if t > killed), None)
    info.append('hls.js\'s playlist: %d loads, segments up to %s; the first new one %s after the kill, the longest '
                'wait for one %.2f s (from %+.2f s)' % (len(rec.get('levels') or []), last,
                                                      '%.2f s' % first_after if first_after is not None else 'never',
                                                      longest[0], longest[1]))
    if first_after is None:
        fails.append('hls.js loaded no playlist with a new segment after the kill')


def judge_b_played(rec, a_out, killed, fails, info):
    """hls.js played segments that only B can have made: numbered past the last A
    wrote (in its own output folder) before it was killed."""
    a_last = max((int(m.group(1)) for m in (re.match(r'seg_(\d+)\.ts$', f) for f in os.listdir(a_out)) if m),
                 default=None)
    played = [(c['wall'] / 1e3 - killed, int(re.search(r'(\d+)', rec['frags'][str(c['sn'])]['url']).group(1)))
              for c in rec.get('fragChanged') or [] if str(c['sn']) in (rec.get('frags') or {})]
    from_b = [(t, n) for t, n in played if a_last is not None and n > a_last]
    info.append('A\'s last segment %s; hls.js played %s, B\'s first at %s' % (
        a_last, '%d..%d' % (played[0][1], played[-1][1]) if played else 'none',
        '%+.2f s from the kill' % from_b[0][0] if from_b else 'never'))
    if len(from_b) < 2:
        fails.append('hls.js played %d segments past A\'s last (%s): it never went on with B\'s'
                     % (len(from_b), a_last))


def case_hlsjs_takeover():
    name = 'hlsjs-takeover'
    for mod in ('hls.js', 'playwright-core'):
        if not os.path.isdir(os.path.join(HERE, 'node_modules', mod)):
            print('FAIL %s: node_modules/%s missing: run npm ci in tests/browser' % (name, mod))
            return 1
    node = shutil.which('node')
    chromium = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for what, path, pkg in (('node', node, 'nodejs'), ('chromium', chromium if os.path.exists(chromium) else None,
                                                       'chromium'),
                            ('etcd', shutil.which('etcd'), 'etcd-server'), ('nginx', shutil.which('nginx'),
                                                                           'nginx-light')):
        if not path:
            print('FAIL %s: %s not found (apt-get install %s)' % (name, what, pkg))
            return 1
    fails, info = [], []
    with J.Workdir('browser-' + name) as wd:
        T.make_clips(wd.path)
        where = os.environ.get('ONAIR_ARTIFACTS') or wd.path
        record, shot = os.path.join(where, name + '.json'), os.path.join(where, name + '.png')
        stop_file = os.path.join(wd.path, 'stop-player')
        etcd = T.Etcd(wd.path)
        origin = P.Nginx(wd.path, J.free_port(), players=True)
        a = b = player = None
        try:
            origin.start()
            base = 'http://127.0.0.1:%d/' % origin.port
            a = T.Instance(T.write_conf(os.path.join(wd.path, 'a'), etcd.url, base), 'A')
            b = T.Instance(T.write_conf(os.path.join(wd.path, 'b'), etcd.url, base), 'B')
            a.start()
            # the master playlist: written once at the start, before either instance
            # may publish, and pushed by the leader when it gets the right
            src = base + 'master.m3u8'
            if not P.wait_for(os.path.join(origin.root, 'master.m3u8'), 20 * J.timeout_scale()):
                fails.append('A published no playlist on the origin within 20 s (%s)' % src)
                return J.report(name, fails, info, keep=wd.path)
            if not b.start() or not T.wait_role(b, 'standby', 30):
                fails.append('B\'s /readyz did not say standby within 30 s (B %s): %s'
                             % ('running' if b.p.poll() is None else 'exited %s' % b.p.returncode, b.text()[-1500:]))
                return J.report(name, fails, info, keep=wd.path)
            player = subprocess.Popen([node, os.path.join(HERE, 'breaks.mjs'), '--src', src,
                                       '--player', 'hlsjs', '--stop-file', stop_file,
                                       '--timeout', str(int(90 * J.timeout_scale())), '--log', record,
                                       '--screenshot', shot, '--chromium', chromium],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      start_new_session=True)
            lines = Lines(player.stdout)
            lines.start()
            if not lines.playing.wait(45 * J.timeout_scale()):
                fails.append('hls.js did not start playing %s within 45 s' % src)
            else:
                time.sleep(BEFORE_S)
                killed = time.time()
                a.kill()
                time.sleep(AFTER_S)
                open(stop_file, 'w').close()
            try:
                player.wait(timeout=60 * J.timeout_scale())
            except subprocess.TimeoutExpired:
                os.killpg(player.pid, signal.SIGKILL)
                player.wait()
                fails.append('breaks.mjs did not end within 60 s of being asked to')
            lines.join(5)
            print('\n'.join(lines.lines))
            if player.returncode != 0:
                fails.append('breaks.mjs exited %s (see above)' % player.returncode)
            if not fails:
                with open(record) as f:
                    rec = json.load(f)
                judge_record(rec, killed, fails, info)
                judge_b_played(rec, os.path.join(wd.path, 'a', 'out', T.RUNG), killed, fails, info)
                print('player record: %s, screenshot: %s' % (record, shot))
            rc_b = b.stop()
            if rc_b != 0:
                fails.append('B exited %s on SIGINT (log: %s)' % (rc_b, b.log_path))
            asrun = os.path.join(wd.path, 'b', 'out', 'as-run.jsonl')
            leads = [r.get('holder') for r in (json.loads(ln) for ln in open(asrun)) if r.get('event') == 'leader'] \
                if os.path.exists(asrun) else []
            if leads != ['B']:
                fails.append('B\'s as-run log has leader records %s, expected one (B took over)' % leads)
        finally:
            if player and player.poll() is None:
                os.killpg(player.pid, signal.SIGKILL)
                player.wait()
            for inst in (a, b):
                if inst:
                    inst.kill()
            origin.kill()
            etcd.stop()
        rc = J.report(name, fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {'hlsjs-takeover': case_hlsjs_takeover}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
