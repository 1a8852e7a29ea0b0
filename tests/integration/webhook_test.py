#!/usr/bin/env python3
"""Events leaving the process: a channel's webhook and the JSON log.

    webhook_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    webhook_test.py --list

delivery: a receiver of the test's own (http.server on 127.0.0.1) checks every
  signature with hmac/hashlib and keeps the bodies; it is also the channel's push
  origin. It is stopped for ~5 s mid-run and started again on the same port. At
  the end the receiver holds every event the channel logged, each once, in order
  of seq, all signed right, with program_end and asrun among them, and the push
  target's push_failing and push_recovered (by its name).
json-log: `--log-format json` writes one JSON object a line on stdout, each with
  time, level, channel, stage and msg; event lines carry event; `onair run --help` and
  `onair transcode --help` say so.
"""

import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

SECRET = 'w3bh00k-s3cret'
SECRET_ENV = 'ONAIR_TEST_HOOK_SECRET'


def write_conf(directory, output='', extra=''):
    conf = os.path.join(directory, 'channel.yaml')
    with open(conf, 'w') as f:
        f.write('channel: t\n'
                'video: { width: 640, height: 360, fps: 25 }\n'
                'ladder: [360p]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'sources:\n  bars: { generate: testsrc }\n  blue: { generate: color }\n'
                'schedule:\n  loop: true\n  items:\n'
                '    - { source: bars, duration: 2s, title: "Bars" }\n'
                '    - { source: blue, duration: 2s, title: "Blue" }\n'
                'output: { dir: out, segment: 1s, window: 6%s }\n%s' % (output, extra))
    return conf


class Receiver:
    """POSTs are events (signature checked, body kept); PUT and DELETE are a push
    origin that accepts everything. HTTP/1.0: a connection per request, so a stop
    leaves nothing open."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.events = []        # (body text, signature ok)
        self.pushes = 0
        self.server = None

    def start(self):
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def body(self):
                return self.rfile.read(int(self.headers.get('Content-Length', '0')))

            def do_POST(self):
                data = self.body()
                sig = self.headers.get('X-Onair-Signature', '')
                want = 'sha256=' + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
                ok = (hmac.compare_digest(sig, want) and
                      self.headers.get('Content-Type') == 'application/json')
                with rx.lock:
                    rx.events.append((data.decode('utf-8', 'replace'), ok))
                self.send_response(204)
                self.end_headers()

            def do_PUT(self):
                self.body()
                with rx.lock:
                    rx.pushes += 1
                self.send_response(201)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def do_DELETE(self):
                self.send_response(204)
                self.end_headers()

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = None


def start_onair(conf, env, *args):
    # its own session: a stop reaches whatever it started (FIELD-NOTES)
    return subprocess.Popen([J.onair_path(), 'run', conf] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)


def finish(p, timeout):
    try:
        out, err = p.communicate(timeout=timeout * J.timeout_scale())
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return None, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
    return p.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')


def json_lines(out, fails):
    lines = []
    for i, ln in enumerate(out.splitlines()):
        try:
            obj = json.loads(ln)
        except ValueError:
            fails.append('stdout line %d is not JSON: %r' % (i + 1, ln[:200]))
            continue
        if not isinstance(obj, dict):
            fails.append('stdout line %d is not an object: %r' % (i + 1, ln[:200]))
            continue
        lines.append(obj)
    return lines


def finish_case(name, wd, fails, info):
    rc = J.report(name, fails, info, keep=wd.path)
    wd.ok = rc == 0
    return rc


def case_delivery():
    with J.Workdir('webhook-delivery') as wd:
        port = J.free_port()
        rx = Receiver(port)
        rx.start()
        conf = write_conf(wd.path,
                          ', push: { url: "http://127.0.0.1:%d/origin/", name: edge }' % port,
                          'events: { url: "http://127.0.0.1:%d/hook", secret_env: %s }\n'
                          % (port, SECRET_ENV))
        env = dict(os.environ, **{SECRET_ENV: SECRET})
        p = start_onair(conf, env, '--for', '16s', '--log-format', 'json')
        time.sleep(4)
        rx.stop()
        down_at = time.monotonic()
        time.sleep(5)
        rx.start()
        info = ['receiver down for %.1f s' % (time.monotonic() - down_at)]
        rc, out, err = finish(p, 60)
        time.sleep(0.5)
        rx.stop()
        fails = []
        info.append('onair exit %s; stderr: %s' % (rc, err.strip()[-600:]))
        if rc != 0:
            fails.append('onair run exited %s' % rc)
        if SECRET in out or SECRET in err:
            fails.append('the secret appears in the log')
        logged = [o for o in json_lines(out, fails) if 'event' in o and o.get('channel') == 't']
        got = []
        for body, ok in rx.events:
            try:
                ev = json.loads(body)
            except ValueError:
                fails.append('a body is not JSON: %r' % body[:200])
                continue
            if not ok:
                fails.append('bad signature or Content-Type on %r' % body[:200])
            if ev.get('channel') != 't':
                fails.append('an event of another channel: %r' % body[:200])
            got.append(ev)
        seqs = [e.get('seq') for e in got]
        names = [e.get('event') for e in got]
        info.append('received %d events (%s), logged %d; pushes %d'
                    % (len(got), ', '.join('%s:%s' % (s, n) for s, n in zip(seqs, names)),
                       len(logged), rx.pushes))
        if len(set(seqs)) != len(seqs):
            fails.append('an event came more than once: seqs %s' % seqs)
        if seqs != sorted(seqs):
            fails.append('events out of order: seqs %s' % seqs)
        # one channel in the process: its events are every seq from the first
        if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
            fails.append('seqs are not contiguous (an event lost): %s' % seqs)
        if names != [o['event'] for o in logged]:
            fails.append('received %s, but the log shows %s' % (names, [o['event'] for o in logged]))
        for e in got:
            if not isinstance(e.get('time'), str) or not e['time'].endswith('Z'):
                fails.append('event without an ISO time: %r' % e)
                break
        # events of the outage: what happened while the receiver was down came after it
        for want in ('program_end', 'asrun', 'push_failing', 'push_recovered'):
            if want not in names:
                fails.append('no %s event came' % want)
        for e in got:
            if e['event'] == 'program_end' and not ({'title', 'frame', 'duration_seconds'} <= set(e)):
                fails.append('program_end lacks title, frame or duration_seconds: %r' % e)
            if e['event'] == 'asrun' and not ({'title', 'source', 'actual_start', 'duration'} <= set(e)):
                fails.append('asrun lacks the record\'s members: %r' % e)
            if e['event'] in ('push_failing', 'push_recovered'):
                if e.get('target') != 'edge' or not isinstance(e.get('status'), int):
                    fails.append('%s: target %r status %r, expected edge and a number'
                                 % (e['event'], e.get('target'), e.get('status')))
        ends = [e for e in got if e['event'] == 'program_end']
        if len(ends) < 5:
            fails.append('%d program_end events for 16 s of 2 s programs' % len(ends))
        # the as-run log and its events say the same
        asrun = [json.loads(ln) for ln in open(os.path.join(wd.path, 'out', 'as-run.jsonl'))]
        events = [{k: v for k, v in e.items() if k not in ('time', 'seq', 'event')}
                  for e in got if e['event'] == 'asrun']
        if asrun != events:
            fails.append('as-run log %s, asrun events %s' % (asrun[:2], events[:2]))
        return finish_case('webhook-delivery', wd, fails, info)


def case_json_log():
    with J.Workdir('webhook-json-log') as wd:
        conf = write_conf(wd.path)
        p = start_onair(conf, dict(os.environ), '--for', '5s', '--log-format', 'json')
        rc, out, err = finish(p, 40)
        fails, info = [], ['onair exit %s; stderr: %s' % (rc, err.strip()[-600:])]
        if rc != 0:
            fails.append('onair run exited %s' % rc)
        lines = json_lines(out, fails)
        if not lines:
            fails.append('nothing on stdout')
        for o in lines:
            missing = [k for k in ('time', 'level', 'channel', 'stage', 'msg') if k not in o]
            if missing:
                fails.append('a line lacks %s: %r' % (missing, o))
                break
            if not all(isinstance(o[k], str) for k in ('time', 'level', 'channel', 'stage', 'msg')):
                fails.append('a line whose head is not all strings: %r' % o)
                break
        events = [o for o in lines if 'event' in o]
        info.append('%d lines, %d events: %s' % (len(lines), len(events),
                                                  ', '.join(o['event'] for o in events)))
        if 'program_end' not in [o['event'] for o in events] or 'asrun' not in [o['event'] for o in events]:
            fails.append('no program_end and asrun event lines')
        if any(o.get('channel') != 't' for o in events):
            fails.append('an event line without the channel: %r' % events)
        # what each command's --help says of it is what this case found
        for cmd in ('run', 'transcode'):
            h = subprocess.run([J.onair_path(), cmd, '--help'], capture_output=True, text=True, timeout=10)
            line = [ln for ln in h.stdout.splitlines() if '--log-format' in ln]
            if not line or 'on stdout' not in line[0] or 'on stderr' in line[0].split('default')[0]:
                fails.append('onair %s --help on --log-format json: %r, want it on stdout' % (cmd, line))
        return finish_case('webhook-json-log', wd, fails, info)


if __name__ == '__main__':
    J.case_main({'delivery': case_delivery, 'json-log': case_json_log}, __doc__)
