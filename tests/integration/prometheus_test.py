#!/usr/bin/env python3
"""A real Prometheus (Debian's `prometheus` package) scrapes a live channel's admin
listener; its HTTP API judges what the metrics say against what happens.

    prometheus_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    prometheus_test.py --list

scrape: a channel (640x360, 25 fps, 1 s segments) airs a live UDP MPEG-TS input that the
ffmpeg CLI sends; `onair run --admin 127.0.0.1:0`. One scrape of /metrics passes
`promtool check metrics`. Prometheus, scraping every second, sees
rate(onair_frames_total[10s]) at 25 (+-10%) and onair_source_active{role="primary"} at 1;
the sender killed, onair_source_active{role="slate"} goes to 1 within the source's
timeout (2 s) and a generous margin, and onair_slate_reason says why: input_loss, no other. The same Prometheus evaluates the shipped alert rules
(deploy/prometheus/alerts.yml): every rule evaluates without an error on the real series, and
OnairSlateInputLoss becomes active (pending) for the channel once the input is cut.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

FPS = 25
W, H = 640, 360
CHANNEL = 'promtest'
TIMEOUT = 2.0                 # the live source's `timeout`
PROMETHEUS = '/usr/bin/prometheus'
ALERTS_FILE = os.path.join(J.REPO, 'deploy', 'prometheus', 'alerts.yml')
ADMIN_LINE = re.compile(r'onair: admin at (http://127\.0\.0\.1:(\d+))/')


def write_conf(directory, udp_port):
    conf = os.path.join(directory, 'channel.yaml')
    with open(conf, 'w') as f:
        f.write('channel: %s\n'
                'video: { width: %d, height: %d, fps: %d }\n'
                'ladder: [360p]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'sources:\n'
                '  studio: { url: "udp://127.0.0.1:%d", timeout: %gs }\n'
                'schedule:\n  loop: false\n  items:\n'
                '    - { source: studio, duration: 1h, title: "Live" }\n'
                'output: { dir: out, segment: 1s, window: 10 }\n'
                % (CHANNEL, W, H, FPS, udp_port, TIMEOUT))
    return conf


def start(argv, log_path):
    """argv in a session of its own (stopped by its process group), output to a file:
    nothing waits on a pipe that fills up."""
    log = open(log_path, 'wb')
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()


def stop(p, sig=signal.SIGTERM, grace=15):
    """Signal p's process group, then SIGKILL it after `grace` s; p's exit status
    (None: it had to be killed)."""
    if p is None:
        return None
    if p.poll() is not None:
        return p.returncode
    try:
        os.killpg(p.pid, sig)
        return p.wait(timeout=grace * J.timeout_scale())
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return p.wait()
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()
    return None


def tail(path, n=1500):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')[-n:]
    except OSError:
        return ''


def wait_admin(p, log_path, seconds):
    """The admin listener's base URL, from the line onair prints when it listens."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        m = ADMIN_LINE.search(tail(log_path, 1 << 20))
        if m:
            return m.group(1)
        if p.poll() is not None:
            raise RuntimeError('onair run exited %s before its admin listener said where it is:\n%s'
                               % (p.returncode, tail(log_path)))
        time.sleep(0.2)
    raise RuntimeError('no "onair: admin at http://127.0.0.1:PORT/" line within %.0f s:\n%s'
                       % (seconds, tail(log_path)))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_http(url, seconds, what, p=None, log_path=None):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            st, _ = http_get(url)
            if st == 200:
                return
            last = 'status %d' % st
        except (OSError, urllib.error.URLError) as e:
            last = str(e)
        if p is not None and p.poll() is not None:
            raise RuntimeError('%s exited %s:\n%s' % (what, p.returncode, tail(log_path)))
        time.sleep(0.3)
    raise RuntimeError('%s not ready at %s within %.0f s (%s)' % (what, url, seconds, last))


class Prom:
    """A Prometheus server of the test's own: config, TSDB and log in the test's folder."""

    def __init__(self, directory, target):
        self.dir = os.path.join(directory, 'prometheus')
        os.makedirs(self.dir)
        self.port = J.free_port()
        self.base = 'http://127.0.0.1:%d' % self.port
        self.config = os.path.join(self.dir, 'prometheus.yml')
        self.log = os.path.join(self.dir, 'prometheus.log')
        with open(self.config, 'w') as f:
            f.write('global:\n'
                    '  scrape_interval: 1s\n'
                    '  scrape_timeout: 1s\n'
                    '  evaluation_interval: 1s\n'
                    'rule_files: ["%s"]\n'
                    'scrape_configs:\n'
                    '  - job_name: onair\n'
                    '    metrics_path: /metrics\n'
                    '    static_configs:\n'
                    '      - targets: ["%s"]\n' % (ALERTS_FILE, target))
        self.p = None

    def start(self):
        self.p = start([PROMETHEUS, '--config.file=' + self.config,
                        '--storage.tsdb.path=' + os.path.join(self.dir, 'data'),
                        '--web.listen-address=127.0.0.1:%d' % self.port,
                        '--log.level=warn'], self.log)
        wait_http(self.base + '/-/ready', 60 * J.timeout_scale(), 'prometheus', self.p, self.log)

    def query(self, expr):
        """An instant query: [(labels, value)]."""
        url = self.base + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
        _, body = http_get(url, timeout=10)
        doc = json.loads(body)
        if doc.get('status') != 'success':
            raise RuntimeError('query %s: %s' % (expr, doc))
        return [(r['metric'], float(r['value'][1])) for r in doc['data']['result']]

    def value(self, expr):
        """The value of a query that selects one series, or None (none or several)."""
        try:
            res = self.query(expr)
        except (OSError, urllib.error.URLError, ValueError):
            return None
        return res[0][1] if len(res) == 1 else None

    def rules(self):
        """Every rule's (name, health, lastError), as Prometheus evaluated it last."""
        _, body = http_get(self.base + '/api/v1/rules', timeout=10)
        doc = json.loads(body)
        return [(r.get('name'), r.get('health'), r.get('lastError', ''))
                for g in doc['data']['groups'] for r in g['rules']]

    def describe(self, expr):
        try:
            return self.query(expr)
        except (OSError, urllib.error.URLError, ValueError, RuntimeError) as e:
            return 'query failed: %s' % e

    def stop(self):
        return stop(self.p)


def sender(udp_port, log_path):
    """The ffmpeg CLI as a live contribution feed: test pattern and tone, in real time."""
    return start(['ffmpeg', '-nostdin', '-v', 'error',
                  '-re', '-f', 'lavfi', '-i', 'testsrc=size=%dx%d:rate=%d' % (W, H, FPS),
                  '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
                  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', str(FPS), '-pix_fmt', 'yuv420p',
                  '-c:a', 'aac', '-b:a', '96k',
                  '-f', 'mpegts', 'udp://127.0.0.1:%d?pkt_size=1316' % udp_port], log_path)


def poll(seconds, step, fn):
    """fn() every `step` s until it returns true or `seconds` pass; its last result."""
    deadline = time.time() + seconds
    while True:
        r = fn()
        if r or time.time() >= deadline:
            return r
        time.sleep(step)


def case_scrape():
    if not os.access(PROMETHEUS, os.X_OK) or not shutil.which('promtool'):
        raise RuntimeError('%s and promtool are needed: apt-get install prometheus '
                           '(.ci/setup --tests)' % PROMETHEUS)
    scale = J.timeout_scale()
    fails, info = [], []
    with J.Workdir('prometheus-scrape') as wd:
        udp_port = J.free_port(udp=True)
        conf = write_conf(wd.path, udp_port)
        onair_log = os.path.join(wd.path, 'onair.log')
        snd = onair = prom = None
        try:
            snd = sender(udp_port, os.path.join(wd.path, 'sender.log'))
            time.sleep(1.0)
            onair = start([J.onair_path(), 'run', conf, '--admin', '127.0.0.1:0'], onair_log)
            admin = wait_admin(onair, onair_log, 30 * scale)
            info.append('admin listener at %s' % admin)
            prom = Prom(wd.path, admin[len('http://'):])
            prom.start()
            info.append('prometheus at %s' % prom.base)

            # on air: the primary (the live input), the playout clock at the frame rate
            sel = '{job="onair", channel="%s"}' % CHANNEL
            rate_q = 'rate(onair_frames_total%s[10s])' % sel
            primary_q = 'onair_source_active{job="onair", channel="%s", role="primary"}' % CHANNEL
            # judged once the window is full: a younger series reads low (no extrapolation past
            # its first sample)
            samples_q = 'count_over_time(onair_frames_total%s[10s])' % sel
            seen = {}

            def on_air():
                seen['rate'] = prom.value(rate_q)
                seen['primary'] = prom.value(primary_q)
                seen['samples'] = prom.value(samples_q)
                return ((seen['samples'] or 0) >= 10 and seen['rate'] is not None
                        and abs(seen['rate'] - FPS) <= 0.1 * FPS and seen['primary'] == 1)
            t0 = time.time()
            ok = poll(60 * scale, 0.5, on_air)
            info.append('%s = %s (%s samples), %s = %s after %.1f s'
                        % (rate_q, seen.get('rate'), seen.get('samples'), primary_q, seen.get('primary'),
                           time.time() - t0))
            if not ok:
                fails.append('Prometheus did not see the channel on air within %.0f s: %s = %s '
                             '(%d +-10%% expected), %s = %s (1 expected); up = %s'
                             % (60 * scale, rate_q, seen.get('rate'), FPS, primary_q,
                                seen.get('primary'), prom.describe('up')))

            # one scrape, as Prometheus reads it, through its own linter
            _, text = http_get(admin + '/metrics', timeout=10)
            with open(os.path.join(wd.path, 'metrics.txt'), 'wb') as f:
                f.write(text)
            r = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True,
                               timeout=60)
            lint = (r.stdout + r.stderr).decode('utf-8', 'replace').strip()
            info.append('promtool check metrics: exit %d %s' % (r.returncode, lint[:1500]))
            if r.returncode != 0:
                fails.append('promtool check metrics fails on /metrics (kept in metrics.txt): %s'
                             % lint[:1500])

            # the live input cut: the slate, within the timeout and a generous margin
            if ok:
                slate_q = 'onair_source_active{job="onair", channel="%s", role="slate"}' % CHANNEL
                stop(snd, signal.SIGKILL)
                cut = time.time()
                margin = 20 * scale
                got = poll(TIMEOUT + margin, 0.25, lambda: prom.value(slate_q) == 1)
                took = time.time() - cut
                primary_after = prom.value(primary_q)
                info.append('sender killed; %s = 1 after %.1f s (primary then %s)'
                            % (slate_q, took, primary_after))
                if not got:
                    fails.append('%s did not go to 1 within %.0f s of the live input cut (timeout '
                                 '%g s); it is %s' % (slate_q, TIMEOUT + margin, TIMEOUT,
                                                     prom.value(slate_q)))
                elif primary_after != 0:
                    fails.append('the slate on air, but %s = %s (0 expected)' % (primary_q, primary_after))
                # and why: the input lost, no other reason
                reason_q = 'onair_slate_reason{job="onair", channel="%s", reason="input_loss"}' % CHANNEL
                others_q = 'sum(onair_slate_reason{job="onair", channel="%s", reason!="input_loss"})' % CHANNEL
                if got and not poll(5 * scale, 0.25, lambda: prom.value(reason_q) == 1
                                    and prom.value(others_q) == 0):
                    fails.append('the slate on air for the input lost, but %s = %s and %s = %s (1 and 0 '
                                 'expected)' % (reason_q, prom.value(reason_q), others_q,
                                               prom.value(others_q)))

                # the shipped rules on the real series: the input loss alert goes active
                alert_q = 'ALERTS{alertname="OnairSlateInputLoss", channel="%s"}' % CHANNEL
                active = poll(margin, 0.5, lambda: prom.value(alert_q) == 1)
                info.append('%s: %s' % (alert_q, prom.describe(alert_q)))
                if not active:
                    fails.append('OnairSlateInputLoss not active (pending or firing) within %.0f s of '
                                 'the slate: %s' % (margin, prom.describe(alert_q)))
            rules = prom.rules()
            info.append('rules: %s' % ', '.join('%s %s' % (n, h) for n, h, _ in rules))
            bad = [r for r in rules if r[1] != 'ok']
            if not rules or bad:
                fails.append('the alert rules (%s) do not all evaluate: %s'
                             % (ALERTS_FILE, bad or 'none loaded'))
        finally:
            stop(snd, signal.SIGKILL)
            if prom:
                prom.stop()
            rc = stop(onair)
        info.append('onair exit %s after SIGTERM' % rc)
        if rc != 0:
            fails.append('onair run exited %s after SIGTERM: %s' % (rc, tail(onair_log)))
        rc = J.report('prometheus-scrape', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {
    'scrape': case_scrape,
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
