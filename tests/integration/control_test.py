#!/usr/bin/env python3
"""The control API's changes judged from the published output: the colour of every
frame against the frame each change took effect on (the as-run log's `api` lines),
and that frame's PROGRAM-DATE-TIME against when the request was made.

    control_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    control_test.py --list
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402
import push_test as P  # noqa: E402
import run_test as R  # noqa: E402

TOKEN = 'control-test-token'
FPS = R.FPS


class Admin:
    def __init__(self, port):
        self.base = 'http://127.0.0.1:%d' % port

    def call(self, method, path, body=None, token=TOKEN):
        data = json.dumps(body).encode() if body is not None else None
        rq = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            rq.add_header('Authorization', 'Bearer ' + token)
        if data is not None:
            rq.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(rq, timeout=15 * J.timeout_scale()) as r:
                return r.status, json.loads(r.read() or b'null')
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text.decode('utf-8', 'replace')

    def wait_on_air(self, channel='test', timeout=30):
        give_up = time.time() + timeout * J.timeout_scale()
        while time.time() < give_up:
            try:
                code, ch = self.call('GET', '/api/v1/channels/' + channel, token=None)
                if code == 200 and ch.get('now'):
                    return ch
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError('channel %s not on air through the admin listener within %d s'
                           % (channel, timeout))


def start(conf, *args):
    port = J.free_port()
    env = dict(os.environ, ONAIR_ADMIN_TOKEN=TOKEN)
    p = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', '127.0.0.1:%d' % port] + list(args),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                         env=env)
    return p, Admin(port)


def asrun(out):
    return [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]


def api_frames(lines):
    """{action: [frame, ...]} of the operator's changes, in order."""
    got = {}
    for a in lines:
        if a.get('event') == 'api':
            got.setdefault(a['action'], []).append(a['frame'])
    return got


def colour_runs(out):
    """[(colour, first frame, frames)] of the whole published playlist, and its segments."""
    rung = R.RUNG
    segs, _ = R.playlist(out, rung)
    return R.runs(R.frame_colours(R.vod_copy(out, rung))), segs


def expect_runs(got, want, fails, slack=1):
    """want: [(colour, first frame, frames or None)], in order, each within slack frames."""
    if [g[0] for g in got] != [w[0] for w in want]:
        fails.append('on air: %s, expected %s' % ([g[0] for g in got], [w[0] for w in want]))
        return
    for (c, i, n), (wc, wi, wn) in zip(got, want):
        if abs(i - wi) > slack or (wn is not None and abs(n - wn) > slack):
            fails.append('%s from frame %d for %d frames, expected from %d for %s' % (c, i, n, wi, wn))


def pdt_of_frame(segs, frame):
    """The air time of a frame, from the PROGRAM-DATE-TIME of its segment (1 s segments)."""
    seg = segs[frame // FPS]
    return seg[2] + (frame % FPS) / FPS


def case_effects():
    """Take, slate, skip and extend on a running channel: each change shows in the frames
    from the one it took effect on (frame-exact runs of colour), and that frame airs after
    the request was made (its PROGRAM-DATE-TIME) and soon after it."""
    with J.Workdir('control-effects') as wd:
        R.make_clips(wd.path, [(name, colour, None, 8) for name, colour in
                               (('red', 'red'), ('blue', 'blue'), ('green', 'lime'))])
        conf = R.write_conf(wd.path,
                            '  red: { file: red.mp4, loop: true }\n  blue: { file: blue.mp4, loop: true }\n'
                            '  green: { file: green.mp4, loop: true }\n',
                            '    - { source: red, duration: 60s, title: "Red" }\n'
                            '    - { source: blue, duration: 6s, title: "Blue" }\n'
                            '    - { source: green, duration: 20s, title: "Green" }\n')
        # stopped by SIGTERM 1 s after blue's extended end; --for only bounds a hang
        p, admin = start(conf, '--for', '60s')
        fails, info, asked = [], [], {}
        try:
            admin.wait_on_air()
            t0 = time.time()
            # the first frame airs ~1.3 s after the API says on air; each change 2 s
            # after the one before has ended (they take effect within ~0.1 s, 3 s
            # allowed): red between them; the extend 2 s into blue
            for at, action, path, body in ((3, 'take', 'take', {'source': 'green', 'duration': '3s'}),
                                           (8, 'slate', 'slate', {'duration': '2s'}),
                                           (12, 'skip', 'skip', None),
                                           (14, 'extend', 'extend', {'by': '3s'})):
                time.sleep(max(0, t0 + at - time.time()))
                asked[action] = time.time()
                code, answer = admin.call('POST', '/api/v1/channels/test/' + path, body)
                info.append('%s: %s %s' % (action, code, json.dumps(answer)[:300]))
                if code != 200:
                    fails.append('POST %s answered %s: %s' % (path, code, answer))
            # blue (6 s + 3 s) ends 9 s after the skip; then green, for a second
            time.sleep(max(0, asked['skip'] + 9 + 1 - time.time()))
            p.send_signal(signal.SIGTERM)
        finally:
            rc, err = R.finish(p, 60)
        info.append('exit %s; stderr: %s' % (rc, err.strip()[-1500:]))
        if rc != 0:
            fails.append('onair run exited %s' % rc)
        if fails:
            return R.finish_case('control-effects', wd, fails, info)
        out = os.path.join(wd.path, 'out')
        lines = asrun(out)
        frames = api_frames(lines)
        info.append('api frames: %s' % frames)
        got, segs = colour_runs(out)
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        if any(len(frames.get(a, [])) != 1 for a in asked):
            fails.append('the as-run log lacks one api line per change: %s' % frames)
            return R.finish_case('control-effects', wd, fails, info)
        take, slate, skip, extend = (frames[a][0] for a in ('take', 'slate', 'skip', 'extend'))
        # blue: from the skip for its 6 s, 3 s longer by the extend; then green
        expect_runs(got, [('red', 0, take), ('green', take, 3 * FPS), ('red', take + 3 * FPS, None),
                          ('slate', slate, 2 * FPS), ('red', slate + 2 * FPS, None),
                          ('blue', skip, 9 * FPS), ('green', skip + 9 * FPS, None)], fails)
        for action, frame in (('take', take), ('slate', slate), ('skip', skip), ('extend', extend)):
            aired = pdt_of_frame(segs, frame)
            late = aired - asked[action]
            info.append('%s: asked %s, frame %d aired %s (%+.3f s)' % (action, R.iso(asked[action]), frame,
                                                                     R.iso(aired), late))
            if late < 0:
                fails.append('%s took effect on frame %d, which aired %.3f s BEFORE the request'
                             % (action, frame, -late))
            elif late > 3.0 * J.timeout_scale():
                fails.append('%s took effect %.1f s after the request' % (action, late))
        programs = [a['title'] for a in lines if 'title' in a and a.get('event') is None]
        info.append('as-run programs: %s' % programs)
        return R.finish_case('control-effects', wd, fails, info)


def case_restart():
    """A slate held through the API stays held across a SIGKILL and a restart (the state
    file), and a release after the restart brings the program back."""
    with J.Workdir('control-restart') as wd:
        R.make_clip(wd.path, 'red', 'red', None, 8)
        conf = R.write_conf(wd.path, '  red: { file: red.mp4, loop: true }\n',
                            '    - { source: red, duration: 1h, title: "Red" }\n')
        out = os.path.join(wd.path, 'out')
        fails, info = [], []
        p, admin = start(conf)
        try:
            admin.wait_on_air()
            time.sleep(2)
            code, answer = admin.call('POST', '/api/v1/channels/test/slate', {})
            info.append('hold: %s %s' % (code, answer))
            if code != 200:
                fails.append('POST slate answered %s' % code)
            time.sleep(3)
        finally:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
        time.sleep(1)
        p, admin = start(conf)
        try:
            ch = admin.wait_on_air()
            info.append('after the restart: %s' % json.dumps(ch.get('now')))
            if (ch.get('now') or {}).get('kind') != 'slate_held':
                fails.append('after the restart the held slate is not on air: %s' % ch.get('now'))
            time.sleep(3)
            code, answer = admin.call('DELETE', '/api/v1/channels/test/slate')
            info.append('release: %s %s' % (code, answer))
            if code != 200:
                fails.append('DELETE slate answered %s' % code)
            code, _ = admin.call('DELETE', '/api/v1/channels/test/slate')
            if code != 409:
                fails.append('a second DELETE slate answered %s, expected 409 (none held)' % code)
            time.sleep(4)
            p.send_signal(signal.SIGTERM)
        finally:
            rc, err = R.finish(p, 30)
        info.append('exit %s; stderr: %s' % (rc, err.strip()[-1000:]))
        got, _ = colour_runs(out)
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        colours = [g[0] for g in got]
        if colours != ['red', 'slate', 'red']:
            fails.append('on air: %s, expected red, the held slate (across the restart), red' % colours)
        return R.finish_case('control-restart', wd, fails, info)


def with_push(conf, *origins):
    """The conf (as R.write_conf writes it) pushing to origins (push_test.Nginx), under /live/."""
    with open(conf) as f:
        text = f.read()
    text = text.replace('output: { dir: out, segment: 1s, window: 40 }\n',
                        'output:\n  dir: out\n  segment: 1s\n  window: 40\n  push:\n'
                        + ''.join('    - { url: "http://127.0.0.1:%d/live/" }\n' % o.port for o in origins))
    with open(conf, 'w') as f:
        f.write(text)


def holds_window(out, rung, origin, which, fails):
    """origin holds the whole local window of rung, byte for byte, and the last playlists."""
    segs, _ = R.playlist(out, rung)
    for name, _, _, _ in segs:
        there = os.path.join(origin.root, 'live', rung, name)
        if not os.path.exists(there):
            fails.append('%s/%s is not on the %s' % (rung, name, which))
        elif open(there, 'rb').read() != open(os.path.join(out, rung, name), 'rb').read():
            fails.append('%s/%s on the %s differs from the local file' % (rung, name, which))
    for top in ('master.m3u8', rung + '/index.m3u8'):
        there = os.path.join(origin.root, 'live', top)
        if not os.path.exists(there) or open(there).read() != open(os.path.join(out, top)).read():
            fails.append('the %s\'s %s is not the last local one' % (which, top))


def judge_push_swap(out, rung, a, b, fails, info):
    """After a reload moved the push from origin a to origin b: b holds the whole local
    window (what was published before b was a target too); a holds only what came
    before the reload and stopped there."""
    segs, text = R.playlist(out, rung)
    local = os.path.join(out, rung)
    on_b = os.path.join(b.root, 'live', rung)
    on_a = os.path.join(a.root, 'live', rung)
    holds_window(out, rung, b, 'new origin', fails)
    try:
        a_segs = sorted(n for n in os.listdir(on_a) if n.startswith('seg_'))
        a_text = open(os.path.join(on_a, 'index.m3u8')).read()
    except OSError as e:
        fails.append('the first origin got nothing before the reload: %s' % e)
        return
    info.append('first origin: %d segments (%s .. %s); the new one: %d; local window: %d'
                % (len(a_segs), a_segs[0] if a_segs else '-', a_segs[-1] if a_segs else '-',
                   len([n for n in os.listdir(on_b) if n.startswith('seg_')]), len(segs)))
    if len(a_segs) >= len(segs) - 3 or a_text == text:
        fails.append('the first origin went on receiving after the reload: %d of %d segments'
                     % (len(a_segs), len(segs)))
    for n in a_segs:
        if open(os.path.join(on_a, n), 'rb').read() != open(os.path.join(local, n), 'rb').read():
            fails.append('%s/%s on the first origin differs from the local file' % (rung, n))


def case_reload():
    """A reload that adds an `at` item 5 s ahead and moves the push target to another
    origin: the item airs on its frame (and, as the last item of a list that does not
    loop, the slate after it), with no gap in the output; the new origin gets the whole
    window (what came before it too) and follows, the old one stops. A broken file is
    refused (400 naming file:line:col) and changes nothing; a change of the canvas is
    refused (409 naming `video`); SIGHUP reloads too, adding a third origin beside the
    second, which goes on as it was (not sent the window again) while the third gets it."""
    with J.Workdir('control-reload') as wd:
        R.make_clips(wd.path, [('red', 'red', None, 8), ('green', 'lime', None, 8)])
        origin_a = P.Nginx(wd.path, J.free_port(), 'origin-a')
        origin_b = P.Nginx(wd.path, J.free_port(), 'origin-b')
        origin_c = P.Nginx(wd.path, J.free_port(), 'origin-c')
        sources = '  red: { file: red.mp4, loop: true }\n  green: { file: green.mp4, loop: true }\n'
        items = '    - { source: red, duration: 1h, title: "Red" }\n'
        conf = R.write_conf(wd.path, sources, items)
        with_push(conf, origin_a)
        original = open(conf).read()
        out = os.path.join(wd.path, 'out')
        fails, info = [], []
        for o in (origin_a, origin_b, origin_c):
            o.start()
        # stopped by SIGTERM 1 s after green's end; --for only bounds a hang
        p, admin = start(conf, '--for', '60s')
        at = None
        try:
            admin.wait_on_air()
            # the first origin gets a few segments before the reload takes it off
            on_a = os.path.join(origin_a.root, 'live', R.RUNG)
            give_up = time.time() + 30 * J.timeout_scale()
            while time.time() < give_up and p.poll() is None and \
                    len([n for n in (os.listdir(on_a) if os.path.isdir(on_a) else []) if n.startswith('seg_')]) < 2:
                time.sleep(0.1)
            at = time.time() + 5.0
            R.write_conf(wd.path, sources, items + '    - { at: "%s", source: green, duration: 3s, title: "Green" }\n'
                         % R.iso(at))
            with_push(conf, origin_b)
            code, answer = admin.call('POST', '/api/v1/reload')
            info.append('reload: %s %s' % (code, answer))
            if code != 200:
                fails.append('POST reload answered %s: %s' % (code, answer))
            with open(conf) as f:
                good = f.read()
            with open(conf, 'w') as f:
                f.write(good.replace('duration: 3s', 'duration: 3 seconds'))
            code, answer = admin.call('POST', '/api/v1/reload')
            info.append('broken: %s %s' % (code, answer))
            if code != 400 or 'channel.yaml:' not in json.dumps(answer):
                fails.append('a broken file answered %s %s, expected 400 naming channel.yaml:LINE:COL'
                             % (code, answer))
            with open(conf, 'w') as f:
                f.write(good.replace('width: %d' % R.W, 'width: %d' % (R.W * 2)))
            code, answer = admin.call('POST', '/api/v1/reload')
            info.append('canvas: %s %s' % (code, answer))
            if code != 409 or 'video' not in json.dumps(answer):
                fails.append('a new canvas answered %s %s, expected 409 naming video' % (code, answer))
            with open(conf, 'w') as f:
                f.write(good.replace('    - { url: "http://127.0.0.1:%d/live/" }\n' % origin_b.port,
                                     '    - { url: "http://127.0.0.1:%d/live/" }\n' % origin_b.port
                                     + '    - { url: "http://127.0.0.1:%d/live/" }\n' % origin_c.port))
            os.killpg(p.pid, signal.SIGHUP)
            # green (3 s from `at`), then a second of the slate after it
            time.sleep(max(0, at + 3 + 1 - time.time()))
            p.send_signal(signal.SIGTERM)
        finally:
            rc, err = R.finish(p, 60)
            for o in (origin_a, origin_b, origin_c):
                o.kill()
        info.append('exit %s; stderr: %s' % (rc, err.strip()[-1500:]))
        if rc != 0:
            fails.append('onair run exited %s' % rc)
        if 'reloaded' not in err:
            fails.append('SIGHUP: no reload logged')
        started = err.count('a new target, starting from the window')
        if started != 2 or err.count('(no longer a target)') != 1:
            fails.append('%d targets started and %d went, expected 2 (the second origin, then the third) '
                         'and 1 (the first)' % (started, err.count('(no longer a target)')))
        judge_push_swap(out, R.RUNG, origin_a, origin_b, fails, info)
        holds_window(out, R.RUNG, origin_c, 'third origin', fails)
        lines = asrun(out)
        start_t = R.parse_iso(next(a for a in lines if 'actual_start' in a)['actual_start'])
        got, segs = colour_runs(out)
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        at_frame = round((at - start_t) * FPS + 0.4999)
        # the `at` item re-anchors the chain: nothing follows it in the list, so the slate
        expect_runs(got, [('red', 0, at_frame), ('green', at_frame, 3 * FPS), ('slate', at_frame + 3 * FPS, None)],
                    fails)
        if any(abs(d - 1.0) > 0.0005 for _, d, _, _ in segs):
            fails.append('a gap or a short segment in the output: EXTINF %s' % [d for _, d, _, _ in segs])
        with open(conf, 'w') as f:
            f.write(original)
        return R.finish_case('control-reload', wd, fails, info)


CASES = {'effects': case_effects, 'restart': case_restart, 'reload': case_reload}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
