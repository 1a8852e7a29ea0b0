#!/usr/bin/env python3
"""Integration cases for the admin listener (`onair run --admin HOST:PORT`, docs/api.md):
health, readiness, /metrics judged by `promtool check metrics`, auth, refusals, hostile
requests, concurrency, the event stream, reload with a broken file, SIGHUP.

    admin_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    admin_test.py --list

The cases under PENDING need the channel operating API (schedule/channel.c: skip, slate,
take, extend, reload, channel_ready's reasons), which answers 501 until it lands; they
expect the real behaviour and are not registered in meson.build until then.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

TOKEN = 'test-token-3f9c'
TOKEN_ENV = 'ONAIR_TEST_ADMIN_TOKEN'


def write_conf(directory, channel='demo', broken=False):
    conf = os.path.join(directory, channel + '.yaml')
    with open(conf, 'w') as f:
        f.write('channel: %s\n'
                'video: { width: 320, height: 180, fps: 25 }\n'
                'ladder: [ "320x180@300k" ]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'sources:\n'
                '  bars: { generate: testsrc }\n'
                '  red: { generate: color }\n'
                'schedule:\n'
                '  loop: true\n'
                '  items:\n'
                '    - { source: bars, duration: 20s, title: "Bars" }\n'
                '    - { source: red, duration: 20s, title: "Red" }\n'
                'output: { dir: out-%s, segment: 1s, window: 6 }\n' % (channel, channel))
        if broken:
            f.write('bogus_key: 1\n')
    return conf


class Onair:
    """onair run in its own session, its admin port read from what it prints."""

    def __init__(self, directory, confs, token=True, extra=()):
        env = dict(os.environ)
        env.pop(TOKEN_ENV, None)
        if token:
            env[TOKEN_ENV] = TOKEN
        self.log_path = os.path.join(directory, 'onair.log')
        self.log = open(self.log_path, 'wb')
        self.p = subprocess.Popen([J.onair_path(), 'run'] + confs +
                                  ['--admin', '127.0.0.1:0', '--admin-token-env', TOKEN_ENV] + list(extra),
                                  stdout=self.log, stderr=subprocess.STDOUT, cwd=directory, env=env,
                                  start_new_session=True)
        self.port = None
        deadline = time.time() + 20 * J.timeout_scale()
        while time.time() < deadline and self.p.poll() is None:
            m = re.search(r'onair: admin at http://127\.0\.0\.1:(\d+)/', self.text())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.1)

    def text(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=15):
        """SIGTERM; the exit status, or None when it had to be killed."""
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=timeout * J.timeout_scale())
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
            rc = None
        self.log.close()
        return rc

    def request(self, method, path, body=None, headers=None, auth=True, timeout=10):
        """(status, headers dict with lower-case names, body bytes)."""
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout * J.timeout_scale())
        h = dict(headers or {})
        if auth and method in ('POST', 'DELETE'):
            h.setdefault('Authorization', 'Bearer ' + TOKEN)
        if isinstance(body, str):
            body = body.encode()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()


def json_error(fails, label, status, headers, body, want_status, want_words=()):
    """A JSON {"error": ...} with want_status that names want_words."""
    if status != want_status:
        fails.append('%s: status %s, want %s (%r)' % (label, status, want_status, body[:300]))
        return None
    if not headers.get('content-type', '').startswith('application/json'):
        fails.append('%s: Content-Type %r, want application/json' % (label, headers.get('content-type')))
    try:
        obj = json.loads(body)
    except ValueError:
        fails.append('%s: the body is not JSON: %r' % (label, body[:300]))
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get('error'), str):
        fails.append('%s: no "error" string in %r' % (label, obj))
        return None
    for w in want_words:
        if w not in obj['error']:
            fails.append('%s: the error %r does not name %r' % (label, obj['error'], w))
    return obj


def wait_ready(o, fails, seconds=40):
    """/readyz: 503 with a reason while starting (if seen at all), then 200."""
    deadline = time.time() + seconds * J.timeout_scale()
    while time.time() < deadline:
        s, h, b = o.request('GET', '/readyz')
        obj = json.loads(b)
        if s == 200:
            if obj != {'ready': True, 'channels': {}}:
                fails.append('/readyz 200 with %r' % obj)
            return True
        if s != 503 or obj.get('ready') is not False or not obj.get('channels'):
            fails.append('/readyz: %s %r' % (s, obj))
            return False
        for ch, why in obj['channels'].items():
            if not re.fullmatch(r'starting|late by [0-9.]+ s|failed', why):
                fails.append('/readyz: %s: reason %r is none of docs/api.md\'s' % (ch, why))
        time.sleep(0.5)
    fails.append('/readyz never answered 200 within %d s' % seconds)
    return False


def check_metrics(o, fails):
    s, h, b = o.request('GET', '/metrics')
    if s != 200:
        fails.append('/metrics: status %s' % s)
        return
    if h.get('content-type') != 'text/plain; version=0.0.4; charset=utf-8':
        fails.append('/metrics: Content-Type %r' % h.get('content-type'))
    r = subprocess.run(['promtool', 'check', 'metrics'], input=b, capture_output=True, timeout=60)
    if r.returncode != 0:
        fails.append('promtool check metrics: %s%s' % (r.stdout.decode()[-1500:], r.stderr.decode()[-1500:]))
    text = b.decode()
    for want in ('onair_build_info{version="', 'onair_channel_up{channel="demo"} 1',
                 'onair_channel_ready{channel="demo"} ', 'process_cpu_seconds_total ',
                 'process_resident_memory_bytes ', 'process_open_fds ', 'process_max_fds ',
                 'process_start_time_seconds ', 'process_virtual_memory_bytes '):
        if want not in text:
            fails.append('/metrics lacks %r' % want)
    for name in set(re.findall(r'^# TYPE (\S+)', text, re.M)):
        if len(re.findall(r'^# TYPE %s ' % re.escape(name), text, re.M)) != 1:
            fails.append('/metrics: # TYPE %s more than once' % name)
    if TOKEN in text:
        fails.append('/metrics shows the token')
    # bucket bounds as the shortest text that reads back as the same double
    if 'onair_segment_publish_delay_seconds_bucket{channel="demo",le="0.1"} ' not in text:
        fails.append('/metrics lacks the publish delay\'s le="0.1" bucket')
    for le in set(re.findall(r'[{,]le="([^"]+)"', text)) - {'+Inf'}:
        shortest = next(t for t in ('%.15g' % float(le), '%.16g' % float(le), '%.17g' % float(le))
                        if float(t) == float(le))
        if le != shortest:
            fails.append('/metrics: le="%s", not the shortest le="%s"' % (le, shortest))
    start = re.search(r'^process_start_time_seconds (\S+)', text, re.M)
    if start and abs(float(start.group(1)) - time.time()) > 600:
        fails.append('process_start_time_seconds %s is not about now' % start.group(1))


def documented_channel():
    """docs/api.md's example of a channel object, its // comments dropped."""
    with open(os.path.join(J.REPO, 'docs', 'api.md')) as f:
        text = f.read()
    block = text.split('→ CHANNEL', 1)[1].split('```json', 1)[1].split('```', 1)[0]
    return json.loads(re.sub(r'\s//\s[^\n]*', '', block))


def check_channel_documented(fails, ch):
    """Every member of the channel object answered is in docs/api.md's example and every
    one there is answered: at the top, in now and next, in each source and push target."""
    doc = documented_channel()
    pairs = [('the channel object', doc, ch)]
    pairs += [(k, doc[k], ch[k]) for k in ('now', 'next') if ch.get(k)]
    pairs += [('%s[%d]' % (k, i), doc[k][0], x) for k in ('sources', 'push') for i, x in enumerate(ch.get(k) or [])]
    for label, d, c in pairs:
        if set(c) != set(d):
            fails.append('%s: answered %s, docs/api.md documents %s' % (label, sorted(c), sorted(d)))


def refusals(o, fails):
    """401, 400, 404, 405, 413: JSON errors naming what is wrong; nothing changes."""
    before = o.request('GET', '/api/v1/channels/demo')
    s, h, b = o.request('POST', '/api/v1/channels/demo/skip', auth=False)
    json_error(fails, 'no token', s, h, b, 401, ['Authorization'])
    if h.get('www-authenticate', '').split(' ')[0] != 'Bearer':
        fails.append('401 without WWW-Authenticate: Bearer (%r)' % h.get('www-authenticate'))
    if 'access-control-allow-origin' in h:
        fails.append('a change\'s answer carries CORS')
    s, h, b = o.request('POST', '/api/v1/channels/demo/skip', headers={'Authorization': 'Bearer wrong'})
    json_error(fails, 'wrong token', s, h, b, 401)
    s, h, b = o.request('POST', '/api/v1/channels/demo/skip', headers={'Authorization': 'Basic ' + TOKEN})
    json_error(fails, 'basic auth', s, h, b, 401)
    for label, path, body, words in [
            ('bad JSON', '/api/v1/channels/demo/slate', '{"duration": ', ['JSON']),
            ('an array', '/api/v1/channels/demo/slate', '["30s"]', ['object']),
            ('nested', '/api/v1/channels/demo/take', '{"source": {"a": 1}}', ['source']),
            ('unknown field', '/api/v1/channels/demo/slate', '{"duration": "30s", "colour": "red"}', ['colour']),
            ('unknown field on skip', '/api/v1/channels/demo/skip', '{"now": true}', ['now']),
            ('bad duration', '/api/v1/channels/demo/slate', '{"duration": "30 parsecs"}', ['duration']),
            ('duration as number', '/api/v1/channels/demo/slate', '{"duration": 30}', ['duration']),
            ('take without source', '/api/v1/channels/demo/take', '{"duration": "1m"}', ['source']),
            ('extend without by', '/api/v1/channels/demo/extend', '{}', ['by']),
            ('bad extend', '/api/v1/channels/demo/extend', '{"by": "--5m"}', ['by']),
            ('duplicate key', '/api/v1/channels/demo/extend', '{"by": "1m", "by": "2m"}', ['by']),
            ('reload with fields', '/api/v1/reload', '{"files": []}', []),
            ('not UTF-8', '/api/v1/channels/demo/take', b'{"source": "\xff\xfe"}', ['UTF-8'])]:
        s, h, b = o.request('POST', path, body=body)
        json_error(fails, label, s, h, b, 400, words)
    s, h, b = o.request('GET', '/api/v1/channels/demo/schedule?hours=1000')
    json_error(fails, 'hours out of range', s, h, b, 400, ['hours'])
    s, h, b = o.request('GET', '/api/v1/channels/nosuch')
    json_error(fails, 'unknown channel', s, h, b, 404, ['nosuch'])
    s, h, b = o.request('POST', '/api/v1/channels/nosuch/skip')
    json_error(fails, 'skip of an unknown channel', s, h, b, 404, ['nosuch'])
    s, h, b = o.request('GET', '/api/v1/nothing')
    json_error(fails, 'unknown path', s, h, b, 404)
    s, h, b = o.request('GET', '/api/v1/channels/demo/skip')
    json_error(fails, 'GET of a change', s, h, b, 405)
    if h.get('allow') != 'POST':
        fails.append('405 for GET skip: Allow %r, want POST' % h.get('allow'))
    s, h, b = o.request('PUT', '/api/v1/channels/demo/slate')
    json_error(fails, 'PUT slate', s, h, b, 405)
    if h.get('allow') != 'POST, DELETE':
        fails.append('405 for PUT slate: Allow %r' % h.get('allow'))
    s, h, b = o.request('DELETE', '/metrics')
    json_error(fails, 'DELETE /metrics', s, h, b, 405)
    s, h, b = o.request('POST', '/api/v1/channels/demo/slate', body='{"duration":"' + 'x' * 70000 + '"}')
    json_error(fails, '70 KB body', s, h, b, 413, ['64 KiB'])
    after = o.request('GET', '/api/v1/channels/demo')
    if before[0] != 200 or after[0] != 200:
        fails.append('GET /api/v1/channels/demo: %s then %s' % (before[0], after[0]))
    elif json.loads(before[2]).get('now', {}).get('item') != json.loads(after[2]).get('now', {}).get('item'):
        fails.append('a refused request changed what is on air: %r -> %r' % (before[2], after[2]))


def raw_request(port, data, timeout=10):
    """Sends bytes as they are; the status line's code (0: closed without one)."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        buf = b''
        try:
            while b'\r\n' not in buf:
                got = s.recv(4096)
                if not got:
                    break
                buf += got
        except OSError:
            pass
    m = re.match(rb'HTTP/1\.[01] (\d{3})', buf)
    return int(m.group(1)) if m else 0


def hostile(o, fails):
    for label, target in [('dot segments', '/../../etc/passwd'), ('encoded dots', '/%2e%2e/%2e%2e/etc/passwd'),
                          ('encoded slash in id', '/api/v1/channels/demo%2f..%2fx'),
                          ('NUL', '/api/v1/channels/demo%00/skip'), ('web file outside', '/status.html/../../README.md'),
                          ('node_modules', '/node_modules/hls.js/package.json'), ('long', '/' + 'a' * 5000)]:
        code = raw_request(o.port, b'GET ' + target.encode() + b' HTTP/1.1\r\nHost: x\r\n\r\n')
        if not 400 <= code < 500:
            fails.append('%s (%s...): status %s, want 4xx' % (label, target[:40], code))
    code = raw_request(o.port, b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 100000 + b'\r\n\r\n')
    if code and not 400 <= code < 500:
        fails.append('huge header: status %s, want 4xx or a close' % code)
    code = raw_request(o.port, b'POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' +
                       TOKEN.encode() + b'\r\nContent-Length: 99999999999\r\n\r\n')
    if code != 413:
        fails.append('Content-Length 99999999999: status %s, want 413' % code)
    code = raw_request(o.port, b'\x00\x01garbage\r\n\r\n')
    if code and not 400 <= code < 500:
        fails.append('garbage: status %s' % code)
    s, h, b = o.request('GET', '/healthz')
    if s != 200 or not o.alive():
        fails.append('after hostile requests: /healthz %s, process alive %s' % (s, o.alive()))


def concurrent(o, fails):
    """20 GETs and 20 POSTs at once, beside an open event stream: all answered."""
    results = []
    lock = threading.Lock()

    def one(i):
        try:
            if i % 2:
                r = o.request('GET', ['/metrics', '/api/v1/channels', '/readyz', '/healthz'][i % 4], timeout=20)
            else:
                r = o.request('POST', '/api/v1/channels/demo/slate', body='{"duration": "bogus"}', timeout=20)
        except Exception as e:  # noqa: BLE001 -- any failure is the finding
            r = (0, {}, repr(e).encode())
        with lock:
            results.append((i, r[0]))

    stream = socket.create_connection(('127.0.0.1', o.port), timeout=10)
    stream.sendall(b'GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n')
    threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stream.close()
    bad = [(i, s) for i, s in results if s != (200 if i % 2 else 400) and not (i % 4 == 3 and s == 503)]
    if len(results) != 40 or bad:
        fails.append('concurrent requests: %d answered, wrong: %r' % (len(results), bad[:10]))
    if time.time() - t0 > 20 * J.timeout_scale():
        fails.append('40 concurrent requests took %.1f s' % (time.time() - t0))


def sse_open(port, last_id=None):
    s = socket.create_connection(('127.0.0.1', port), timeout=30)
    s.sendall(b'GET /api/v1/events HTTP/1.1\r\nHost: x\r\n' +
              (b'Last-Event-ID: %d\r\n' % last_id if last_id is not None else b'') + b'\r\n')
    return s


def sse_read(s, seconds, want_events=0, want_comment=False, until=None):
    """What the stream sent within seconds: (headers, [(id, obj)], comments)."""
    buf = b''
    deadline = time.time() + seconds
    events, comments = [], 0
    while time.time() < deadline:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            got = s.recv(65536)
        except socket.timeout:
            break
        if not got:
            break
        buf += got
        if buf.startswith(b'HTTP/'):
            head, _, body = buf.partition(b'\r\n\r\n')
        else:
            # a later read of the same stream: its head was read before; a chunk size
            # line may come first
            head, body = b'', b'\r\n' + buf
        # chunked: drop the chunk size lines (hex + CRLF) around the data
        text = re.sub(rb'(?:^|\r\n)[0-9a-fA-F]+\r\n', b'', body).decode('utf-8', 'replace')
        events = [(int(m.group(1)), json.loads(m.group(2)))
                  for m in re.finditer(r'id: (\d+)\ndata: (.*)\n\n', text)]
        comments = len(re.findall(r'(?m)^:.*\n\n', text))
        if want_events and len(events) >= want_events:
            break
        if until and until(events):
            break
        if want_comment and comments:
            break
    return head.decode('latin-1'), events, comments


def case_basic(d):
    """Health, readiness, /metrics with promtool, refusals, hostile requests,
    concurrency, the event stream's keep-alive, the status page's files, and a
    prompt exit with a stream open."""
    fails = []
    o = Onair(d, [write_conf(d)])
    try:
        if not o.port:
            return ['no "onair: admin at http://127.0.0.1:PORT/" line: ' + o.text()[-1500:]]
        # the event stream, opened first: its keep-alive comes while the rest is checked
        st, opened = sse_open(o.port), time.time()
        s, h, b = o.request('GET', '/healthz')
        if s != 200:
            fails.append('/healthz: %s' % s)
        wait_ready(o, fails)
        check_metrics(o, fails)
        refusals(o, fails)
        hostile(o, fails)
        concurrent(o, fails)
        s, h, b = o.request('GET', '/api/v1/channels')
        if s != 200 or [c.get('id') for c in json.loads(b).get('channels', [])] != ['demo']:
            fails.append('GET /api/v1/channels: %s %r' % (s, b[:300]))
        elif h.get('access-control-allow-origin') != '*':
            fails.append('GET /api/v1/channels without Access-Control-Allow-Origin: *')
        s, h, b = o.request('GET', '/api/v1/channels/demo')
        if s == 200:
            check_channel_documented(fails, json.loads(b))
        else:
            fails.append('GET /api/v1/channels/demo: %s %r' % (s, b[:300]))
        s, h, b = o.request('GET', '/api/v1/channels/demo/schedule?hours=2')
        if s != 200 or 'entries' not in json.loads(b):
            fails.append('GET schedule: %s %r' % (s, b[:300]))
        web = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'web')
        for path, f in [('/', 'status.html'), ('/status.js', 'status.js'), ('/status.css', 'status.css'),
                        ('/hls.js', 'node_modules/hls.js/dist/hls.min.js')]:
            s, h, b = o.request('GET', path)
            exists = os.path.isfile(os.path.join(web, f))
            if exists and (s != 200 or b != open(os.path.join(web, f), 'rb').read()):
                fails.append('GET %s: %s, not web/%s' % (path, s, f))
            if not exists and s != 404:
                fails.append('GET %s without web/%s: %s, want 404' % (path, f, s))
        # the stream opened at once and keeps itself open with a comment every 15 s
        head, events, comments = sse_read(st, max(1, opened + 25 - time.time()), want_comment=True)
        if not head.startswith('HTTP/1.1 200') or 'text/event-stream' not in head:
            fails.append('/api/v1/events: %r' % head[:300])
        if not comments:
            fails.append('/api/v1/events: no comment line within 25 s')
        if TOKEN in o.text():
            fails.append('the token appears in the log')
        # SIGTERM with a stream open: out within the segment plus 2 s (and slack)
        t0 = time.time()
        rc = o.stop(timeout=10)
        st.close()
        if rc != 0:
            fails.append('SIGTERM with an event stream open: exit %s after %.1f s' % (rc, time.time() - t0))
    finally:
        o.stop()
    return fails


def case_no_token(d):
    """Without the token's variable: changes 403 naming it, reads work."""
    fails = []
    o = Onair(d, [write_conf(d)], token=False)
    try:
        if not o.port:
            return ['no admin line: ' + o.text()[-1500:]]
        for method, path in [('POST', '/api/v1/channels/demo/skip'), ('DELETE', '/api/v1/channels/demo/slate'),
                             ('POST', '/api/v1/reload')]:
            s, h, b = o.request(method, path)
            json_error(fails, '%s %s without a token set' % (method, path), s, h, b, 403, [TOKEN_ENV])
        for path in ['/healthz', '/metrics', '/api/v1/channels']:
            s, h, b = o.request('GET', path)
            if s != 200:
                fails.append('GET %s read-only: %s' % (path, s))
    finally:
        o.stop()
    return fails


def case_reload_broken(d):
    """POST /api/v1/reload and SIGHUP with a broken file: 400 naming file:line:col,
    the channel goes on as it was; SIGHUP's refusal is logged."""
    fails = []
    conf = write_conf(d)
    o = Onair(d, [conf])
    try:
        if not o.port:
            return ['no admin line: ' + o.text()[-1500:]]
        wait_ready(o, fails)
        write_conf(d, broken=True)
        s, h, b = o.request('POST', '/api/v1/reload')
        obj = json_error(fails, 'reload of a broken file', s, h, b, 400)
        if obj is not None:
            errs = obj.get('errors') or []
            if not any(re.match(re.escape(conf) + r':14:1: .*bogus_key', e) for e in errs):
                fails.append('reload: errors %r do not name %s:14:1 and bogus_key' % (errs, conf))
        os.killpg(o.p.pid, signal.SIGHUP)
        deadline = time.time() + 10 * J.timeout_scale()
        while time.time() < deadline and 'SIGHUP: reload refused' not in o.text():
            time.sleep(0.2)
        if 'SIGHUP: reload refused' not in o.text() or 'bogus_key' not in o.text():
            fails.append('SIGHUP with a broken file: not logged: ' + o.text()[-1500:])
        if not o.alive():
            fails.append('onair exited after a refused reload')
        s, h, b = o.request('GET', '/readyz')
        if s != 200:
            fails.append('/readyz after a refused reload: %s %r' % (s, b))
    finally:
        o.stop()
    return fails


def case_bind_in_use(d):
    """An admin address in use: exit 1 naming it, before anything goes on air."""
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = J.run([J.onair_path(), 'run', write_conf(d), '--admin', '127.0.0.1:%d' % port, '--for', '5s'],
                  timeout=60)
    fails = []
    if r.returncode != 1 or '127.0.0.1:%d' % port not in r.stderr:
        fails.append('admin port in use: exit %s, stderr %r' % (r.returncode, r.stderr[-800:]))
    if os.path.exists(os.path.join(d, 'out-demo', 'master.m3u8')):
        fails.append('a channel went on air though the admin listener could not bind')
    r = J.run([J.onair_path(), 'run', write_conf(d), '--admin', 'nohost:'], timeout=60)
    if r.returncode != 2 or '--admin' not in r.stderr:
        fails.append('--admin nohost: exit %s, stderr %r' % (r.returncode, r.stderr[-800:]))
    return fails


# ---- PENDING: needs the channel operating API (schedule/channel.c) ----------------
# Not registered in meson.build until channel_skip & co. stop answering 501.

SLATE_REASONS = {'gap', 'held', 'input_loss', 'no_picture', 'break'}


def slate_reasons(o):
    """onair_slate_reason of channel demo from one scrape: {reason: value}."""
    _, _, b = o.request('GET', '/metrics')
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^onair_slate_reason\{channel="demo",reason="([^"]+)"\} (\S+)$', b.decode(), re.M)}


def wait_slate_reason(o, fails, label, want, seconds=3):
    """onair_slate_reason at 1 for want only (None: for none), every reason given."""
    deadline = time.time() + seconds * J.timeout_scale()
    while True:
        got = slate_reasons(o)
        if set(got) == SLATE_REASONS and got == {r: float(r == want) for r in SLATE_REASONS}:
            return
        if time.time() > deadline:
            fails.append('%s: onair_slate_reason %r, want 1 for %s only' % (label, got, want))
            return
        time.sleep(0.1)


def case_api_live(d):
    """skip, slate, take, extend answered 200 with the channel object; each seen as an
    "api" event on the stream with increasing ids; onair_slate_reason{reason="held"} at 1
    while the slate is held, every reason 0 before and after; /readyz says "starting" at first;
    a good reload answers {"reloaded":["demo"]} and a "reload" event; SIGHUP logged."""
    fails = []
    conf = write_conf(d)
    o = Onair(d, [conf])
    try:
        if not o.port:
            return ['no admin line: ' + o.text()[-1500:]]
        s, h, b = o.request('GET', '/readyz')
        if s != 503 or json.loads(b).get('channels', {}).get('demo') != 'starting':
            fails.append('/readyz at start: %s %r, want 503 starting' % (s, b))
        wait_ready(o, fails)
        st = sse_open(o.port)
        sse_read(st, 1)
        calls = [('POST', '/api/v1/channels/demo/skip', None, 'skip'),
                 ('POST', '/api/v1/channels/demo/slate', '{"duration":"5s"}', 'slate'),
                 ('DELETE', '/api/v1/channels/demo/slate', None, 'slate_release'),
                 ('POST', '/api/v1/channels/demo/take', '{"source":"red","duration":"3s"}', 'take'),
                 ('POST', '/api/v1/channels/demo/extend', '{"by":"10s"}', 'extend'),
                 ('POST', '/api/v1/channels/demo/extend', '{"by":"-5s"}', 'extend')]
        wait_slate_reason(o, fails, 'bars on air', None)
        for method, path, body, action in calls:
            s, h, b = o.request(method, path, body=body)
            if s != 200 or json.loads(b).get('id') != 'demo':
                fails.append('%s %s: %s %r' % (method, path, s, b[:300]))
            # the slate held: its reason is "held" while it airs, and no reason once released
            if action == 'slate':
                wait_slate_reason(o, fails, 'slate held', 'held')
            elif action == 'slate_release':
                wait_slate_reason(o, fails, 'slate released', None)
            time.sleep(0.3)
        s, h, b = o.request('POST', '/api/v1/channels/demo/take', body='{"source":"nosuch"}')
        json_error(fails, 'take of an unknown source', s, h, b, 404, ['nosuch'])
        s, h, b = o.request('DELETE', '/api/v1/channels/demo/slate')
        json_error(fails, 'release with no slate held', s, h, b, 409)
        s, h, b = o.request('POST', '/api/v1/reload')
        if s != 200 or json.loads(b) != {'reloaded': ['demo']}:
            fails.append('reload of an unchanged file: %s %r' % (s, b))
        head, events, _ = sse_read(st, 15, until=lambda evs: any(e.get('event') == 'reload' for _, e in evs))
        st.close()
        ids = [i for i, _ in events]
        if ids != sorted(ids) or len(set(ids)) != len(ids):
            fails.append('event ids not increasing: %r' % ids)
        actions = [e.get('action') for _, e in events if e.get('event') == 'api']
        if actions[:len(calls)] != [a for *_, a in calls]:
            fails.append('api events %r, want %r' % (actions, [a for *_, a in calls]))
        if not any(e.get('event') == 'reload' for _, e in events):
            fails.append('no reload event')
        # Last-Event-ID resumes after the id given
        if ids:
            st = sse_open(o.port, last_id=ids[0])
            _, again, _ = sse_read(st, 5, want_events=1)
            st.close()
            if not again or again[0][0] != ids[0] + 1:
                fails.append('Last-Event-ID %d: resumed at %r' % (ids[0], again[:1]))
        os.killpg(o.p.pid, signal.SIGHUP)
        time.sleep(3 * J.timeout_scale())
        if 'SIGHUP: reloaded' not in o.text():
            fails.append('SIGHUP reload not logged: ' + o.text()[-1500:])
    finally:
        o.stop()
    return fails


CASES = {
    'basic': case_basic,
    'no-token': case_no_token,
    'reload-broken': case_reload_broken,
    'bind-in-use': case_bind_in_use,
    'api-live': case_api_live,   # PENDING (see above)
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES and sys.argv[1] != '--list':
        print(__doc__)
        return 2
    if sys.argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    with tempfile.TemporaryDirectory(prefix='onair-admin-') as d:
        fails = CASES[sys.argv[1]](d)
    for f in fails:
        print('FAIL:', f)
    print('%s: %s' % (sys.argv[1], 'ok' if not fails else '%d failure(s)' % len(fails)))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
