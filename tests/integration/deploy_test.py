#!/usr/bin/env python3
"""onair as a packaged service: `meson install`, the man pages, the systemd unit
and the sd_notify protocol, judged with the tools an operator's system uses
(meson's own install, mandoc and groff, systemd-analyze, strace, a unix socket
read here).

    deploy_test.py CASE      (ONAIR=path/to/build/cli/onair)
    deploy_test.py --list

notify          READY=1 only once a segment exists, WATCHDOG=1 every WATCHDOG_USEC/2,
                STATUS= lines, STOPPING=1 at SIGTERM (a socket path, as systemd's)
notify-reload   an abstract socket ('@'); SIGHUP gives RELOADING=1 then READY=1; no
                WATCHDOG=1 without WATCHDOG_USEC; --output-dir puts the output there
notify-pair     a pair's standby is in step, not stalled: READY=1 and WATCHDOG=1 from
                both instances, the standby's STATUS= says it stands by; with etcd
                stopped the leader loses the lease and goes on pinging (a restart would
                not make it publish); etcd back, one of them is on air again
install         meson install --destdir: the installed binary serves the pages it was
                installed with; man pages render without warnings and onair-channel(5)
                lists every key of docs/config-reference.md; the unit passes
                systemd-analyze verify
mdwe            nothing maps memory writable and executable, nor makes it executable
                later (the unit's MemoryDenyWriteExecute=yes), under strace
"""

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402
import run_test as R  # noqa: E402

WATCHDOG_US = 2000000
SOURCES = '  bars: { generate: testsrc }\n'
ITEMS = '    - { source: bars, duration: 1h }\n'


def finish_case(name, wd, fails, info=()):
    wd.ok = not fails
    return J.report(name, fails, info, keep=None if wd.ok else wd.path)


def segments(out):
    return glob.glob(os.path.join(out, '*', 'seg_*'))


class Listener:
    """The manager's end of NOTIFY_SOCKET: every datagram with when it came."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.messages = []          # (monotonic time, {key: value})

    def receive(self, until, stop):
        """Reads until stop(message) is true or the monotonic deadline passes."""
        while time.monotonic() < until:
            self.sock.settimeout(max(0.01, until - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            fields = dict(ln.split('=', 1) for ln in data.decode().split('\n') if '=' in ln)
            self.messages.append((time.monotonic(), fields))
            if stop(fields):
                return fields
        return None

    def collect(self, done):
        """Reads until the event done is set (for a thread of its own)."""
        while not done.is_set():
            self.receive(time.monotonic() + 0.2, lambda m: False)

    def statuses(self):
        return [m['STATUS'] for _, m in self.messages if 'STATUS' in m]

    def times(self, key, value='1'):
        return [t for t, m in self.messages if m.get(key) == value]

    def close(self):
        self.sock.close()


def start(argv, env_add, log):
    env = dict(os.environ, **env_add)
    with open(log, 'wb') as f:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=f, env=env,
                                start_new_session=True)


def stop(p, fails, what):
    try:
        rc = p.wait(timeout=20 * J.timeout_scale())
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        fails.append('%s did not exit within 20 s of SIGTERM' % what)
        return
    if rc != 0:
        fails.append('%s exited %d after SIGTERM' % (what, rc))


def case_notify():
    with J.Workdir('notify') as wd:
        fails, info = [], []
        conf = R.write_conf(wd.path, SOURCES, ITEMS)
        out = os.path.join(wd.path, 'out')
        n = Listener(os.path.join(wd.path, 'notify.sock'))
        log = os.path.join(wd.path, 'onair.log')
        p = start([J.onair_path(), 'run', conf, '--admin', 'none'],
                  {'NOTIFY_SOCKET': n.sock.getsockname(), 'WATCHDOG_USEC': str(WATCHDOG_US)}, log)
        try:
            seen_at_ready = None

            def ready(m):
                nonlocal seen_at_ready
                if m.get('READY') == '1':
                    # what exists the moment systemd would hear it
                    seen_at_ready = (len(segments(out)), os.path.exists(os.path.join(out, 'master.m3u8')))
                    return True
                return False
            t0 = time.monotonic()
            if not n.receive(t0 + 30 * J.timeout_scale(), ready):
                fails.append('no READY=1 within 30 s')
            elif seen_at_ready[0] == 0 or not seen_at_ready[1]:
                fails.append('READY=1 came before the first segment and master.m3u8 were there '
                             '(%d segments, master %s)' % seen_at_ready)
            else:
                info.append('READY=1 after %.1f s, %d segment(s) published by then'
                            % (time.monotonic() - t0, seen_at_ready[0]))
            # five watchdog periods
            n.receive(time.monotonic() + 5 * WATCHDOG_US / 2e6 + 0.5, lambda m: False)
            p.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            if not n.receive(sent + 5, lambda m: m.get('STOPPING') == '1'):
                fails.append('no STOPPING=1 within 5 s of SIGTERM')
            else:
                info.append('STOPPING=1 %.2f s after SIGTERM' % (n.times('STOPPING')[0] - sent))
        finally:
            stop(p, fails, 'onair run')
            n.close()
        pings = n.times('WATCHDOG')
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        half = WATCHDOG_US / 2e6
        info.append('WATCHDOG=1 x%d, gaps %s s' % (len(pings), ' '.join('%.2f' % g for g in gaps)))
        if len(pings) < 5:
            fails.append('%d WATCHDOG=1 pings; at least 5 expected' % len(pings))
        bad = [g for g in gaps if not half * 0.9 <= g <= half * 1.5]
        if bad:
            fails.append('WATCHDOG=1 every %s s; WATCHDOG_USEC/2 = %.1f s expected' % (bad, half))
        if len(n.times('READY')) != 1:
            fails.append('READY=1 sent %d times, once expected' % len(n.times('READY')))
        statuses = [m['STATUS'] for _, m in n.messages if 'STATUS' in m]
        info.append('STATUS: %s' % ' | '.join(statuses))
        if not any('on air' in s for s in statuses):
            fails.append('no STATUS= line says the channel is on air: %s' % statuses)
        with open(log, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
        if 'NOTIFY_SOCKET' in text:
            fails.append('onair complained about NOTIFY_SOCKET:\n' + text[-1000:])
        return finish_case('deploy notify', wd, fails, info)


def pings_steady(n, name, since, until, fails, info):
    """n's WATCHDOG=1 pings between since and until came every WATCHDOG_USEC/2 (a late
    one by half a period more at most)."""
    pings = [t for t in n.times('WATCHDOG') if since <= t <= until]
    gaps = [b - a for a, b in zip([since] + pings, pings + [until])]
    info.append('%s: WATCHDOG=1 x%d, the longest gap %.2f s' % (name, len(pings), max(gaps)))
    if max(gaps) > WATCHDOG_US / 2e6 * 1.5:
        fails.append('%s\'s WATCHDOG=1 pings stopped for %.2f s (WATCHDOG_USEC/2 = %.1f s): systemd would '
                     'have restarted it' % (name, max(gaps), WATCHDOG_US / 2e6))


def case_notify_pair():
    import pair_test as T
    with J.Workdir('notify-pair') as wd:
        fails, info = [], []
        etcd = T.Etcd(wd.path)
        done = threading.Event()
        listeners, procs, ready, collectors = {}, {}, {}, []

        def wait_status(name, want, seconds):
            deadline = time.monotonic() + seconds * J.timeout_scale()
            while time.monotonic() < deadline:
                if any(want(st) for st in listeners[name].statuses()[-1:]):
                    return True
                time.sleep(0.1)
            return False
        try:
            for name in ('A', 'B'):
                d = os.path.join(wd.path, name.lower())
                os.makedirs(d)
                conf = R.write_conf(d, SOURCES, ITEMS, extra='redundancy: { etcd: [ "%s" ], lease: %ds }\n'
                                    % (etcd.url, T.LEASE_S))
                n = listeners[name] = Listener(os.path.join(d, 'notify.sock'))
                collectors.append(threading.Thread(target=n.collect, args=(done,), daemon=True))
                collectors[-1].start()
                procs[name] = start([J.onair_path(), 'run', conf, '--instance', name, '--admin', 'none'],
                                    {'NOTIFY_SOCKET': n.sock.getsockname(), 'WATCHDOG_USEC': str(WATCHDOG_US)},
                                    os.path.join(d, 'onair.log'))
                deadline = time.monotonic() + 30 * J.timeout_scale()
                while not n.times('READY') and time.monotonic() < deadline and procs[name].poll() is None:
                    time.sleep(0.1)
                if not n.times('READY'):
                    fails.append('%s sent no READY=1 within 30 s (STATUS: %s)' % (name, n.statuses()))
                    return finish_case('deploy notify-pair', wd, fails, info)
                ready[name] = n.times('READY')[0]
            if not wait_status('A', lambda st: st == '1 of 1 channel on air', 5):
                fails.append('A, the leader, says %s' % listeners['A'].statuses())
            if not wait_status('B', lambda st: st == '0 of 1 channel on air, 1 standing by', 5):
                fails.append('B, the standby, says %s' % listeners['B'].statuses())
            # etcd away: the leader cannot renew its lease and stops publishing, in step still
            os.killpg(etcd.p.pid, signal.SIGSTOP)
            stopped = time.monotonic()
            if not wait_status('A', lambda st: 'standing by' in st, T.LEASE_S + 3):
                fails.append('A, its lease lost with etcd stopped, says %s' % listeners['A'].statuses()[-3:])
            time.sleep(WATCHDOG_US / 1e6)
            os.killpg(etcd.p.pid, signal.SIGCONT)
            info.append('etcd stopped for %.1f s' % (time.monotonic() - stopped))
            deadline = time.monotonic() + (T.LEASE_S + 10) * J.timeout_scale()
            while time.monotonic() < deadline and not any(
                    (listeners[x].statuses()[-1:] or [''])[0] == '1 of 1 channel on air' for x in ('A', 'B')):
                time.sleep(0.1)
            back = [x for x in ('A', 'B') if listeners[x].statuses()[-1] == '1 of 1 channel on air']
            info.append('etcd back: %s on air' % back)
            if not back:
                fails.append('etcd back, neither instance is on air again: A %s, B %s'
                             % (listeners['A'].statuses()[-2:], listeners['B'].statuses()[-2:]))
            end = time.monotonic()
            for name in ('A', 'B'):
                pings_steady(listeners[name], name, ready[name], end, fails, info)
                info.append('%s STATUS: %s' % (name, ' | '.join(listeners[name].statuses())))
                procs[name].send_signal(signal.SIGTERM)
            for name in ('A', 'B'):
                stop(procs[name], fails, 'instance ' + name)
            time.sleep(0.5)   # the collectors read what came before the exits
            for name in ('A', 'B'):
                if not listeners[name].times('STOPPING'):
                    fails.append('%s sent no STOPPING=1' % name)
        finally:
            for p in procs.values():
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            done.set()
            for t in collectors:
                t.join()
            for n in listeners.values():
                n.close()
            os.killpg(etcd.p.pid, signal.SIGCONT)
            etcd.stop()
        return finish_case('deploy notify-pair', wd, fails, info)


def case_notify_reload():
    with J.Workdir('notify-reload') as wd:
        fails, info = [], []
        conf = R.write_conf(wd.path, SOURCES, ITEMS)
        state = os.path.join(wd.path, 'state')
        name = 'onair-test-%d-%d' % (os.getpid(), time.monotonic_ns())
        # Python's abstract address starts with a NUL, systemd's spelling with '@'
        n = Listener('\0' + name)
        p = start([J.onair_path(), 'run', conf, '--admin', 'none', '--output-dir', state],
                  {'NOTIFY_SOCKET': '@' + name}, os.path.join(wd.path, 'onair.log'))
        try:
            if not n.receive(time.monotonic() + 30 * J.timeout_scale(), lambda m: m.get('READY') == '1'):
                fails.append('no READY=1 on the abstract socket within 30 s')
            else:
                p.send_signal(signal.SIGHUP)
                sent = time.monotonic()
                if not n.receive(sent + 5, lambda m: m.get('RELOADING') == '1'):
                    fails.append('no RELOADING=1 within 5 s of SIGHUP')
                elif not n.receive(sent + 10, lambda m: m.get('READY') == '1'):
                    fails.append('no READY=1 after RELOADING=1')
                else:
                    reloading = [m for _, m in n.messages if m.get('RELOADING') == '1'][0]
                    if not reloading.get('MONOTONIC_USEC', '').isdigit():
                        fails.append('RELOADING=1 without MONOTONIC_USEC: %s' % reloading)
                    info.append('SIGHUP: RELOADING=1, READY=1 %.2f s later'
                                % (n.times('READY')[-1] - n.times('RELOADING')[0]))
            p.send_signal(signal.SIGTERM)
            if not n.receive(time.monotonic() + 5, lambda m: m.get('STOPPING') == '1'):
                fails.append('no STOPPING=1 within 5 s of SIGTERM')
        finally:
            stop(p, fails, 'onair run')
            n.close()
        if n.times('WATCHDOG'):
            fails.append('WATCHDOG=1 sent without WATCHDOG_USEC')
        if not segments(state) or not os.path.exists(os.path.join(state, 'master.m3u8')):
            fails.append('--output-dir %s: no segments or master.m3u8 there' % state)
        if os.path.exists(os.path.join(wd.path, 'out')):
            fails.append('output.dir (out) was written although --output-dir replaces it')
        return finish_case('deploy notify-reload', wd, fails, info)


def meson_options(build):
    r = J.must(['meson', 'introspect', '--buildoptions', build])
    return {o['name']: o['value'] for o in json.loads(r.stdout)}


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.code, ''


def rendered(page):
    """The page as man shows it, as plain text; hyphens and minus signs as '-'."""
    r = J.run(['man', '-l', page], env=dict(os.environ, MANWIDTH='200', MAN_KEEP_FORMATTING=''))
    return r.returncode, re.sub('[\u2010\u2212]', '-', r.stdout), r.stderr


def check_man(page, fails):
    """No warning from groff (-ww: all of them) or mandoc's lint (warnings and up)."""
    r = J.run(['groff', '-man', '-Tutf8', '-ww', '-z', page])
    if r.returncode or r.stderr.strip():
        fails.append('groff warns on %s:\n%s' % (page, r.stderr[-1500:]))
    if shutil.which('mandoc'):
        r = J.run(['mandoc', '-T', 'lint', '-W', 'warning', page])
        if r.returncode or r.stdout.strip() or r.stderr.strip():
            fails.append('mandoc -T lint on %s:\n%s%s' % (page, r.stdout[-1500:], r.stderr[-500:]))
    else:
        fails.append('mandoc not found (apt-get install mandoc: .ci/setup --tests)')
    rc, text, err = rendered(page)
    if rc or err.strip():
        fails.append('man -l %s: exit %d\n%s' % (page, rc, err[-800:]))
    return text


def case_install():
    onair = J.onair_path()
    build = os.path.dirname(os.path.dirname(onair))
    with J.Workdir('install') as wd:
        fails, info = [], []
        dest = os.path.join(wd.path, 'dest')
        J.must(['meson', 'install', '-C', build, '--destdir', dest, '--no-rebuild', '--quiet'], timeout=120)
        o = meson_options(build)
        prefix = o['prefix']

        def installed(*parts):
            return os.path.join(dest + os.path.join(prefix, *parts[:1]), *parts[1:])
        binary = installed(o['bindir'], 'onair')
        web = installed(o['datadir'], 'onair', 'web')
        man1 = installed(o['mandir'], 'man1', 'onair.1')
        man5 = installed(o['mandir'], 'man5', 'onair-channel.5')
        unit_dir = o['systemd_unit_dir'] or os.path.join(prefix, 'lib', 'systemd', 'system')
        unit = dest + os.path.join(unit_dir, 'onair@.service')
        for path in (binary, man1, man5, unit, os.path.join(web, 'node_modules', 'hls.js', 'LICENSE')):
            if not os.path.isfile(path):
                fails.append('not installed: %s' % os.path.relpath(path, dest))
        # every page and script of web/ (what the servers may serve from its top)
        src_web = os.path.join(J.REPO, 'web')
        for f in sorted(os.listdir(src_web)):
            if f.rsplit('.', 1)[-1] in ('html', 'js', 'css') and not os.path.isfile(os.path.join(web, f)):
                fails.append('web/%s is not installed in %s' % (f, os.path.relpath(web, dest)))
        if fails:
            return finish_case('deploy install', wd, fails, info)

        # The installed binary serves the installed copies: each is marked here,
        # and the source tree's are not.
        served = {'status.html': '<!-- installed copy -->\n',
                  'player.html': '<!-- installed copy -->\n',
                  os.path.join('node_modules', 'hls.js', 'dist', 'hls.min.js'): '\n/* installed copy */\n'}
        for f, mark in served.items():
            with open(os.path.join(web, f), 'a') as g:
                g.write(mark)
        port = J.free_port()
        conf = R.write_conf(wd.path, SOURCES, ITEMS, output=', serve: { listen: "127.0.0.1:%d" }' % port)
        log = os.path.join(wd.path, 'onair.log')
        p = start([binary, 'run', conf, '--admin', '127.0.0.1:0'], {}, log)
        try:
            admin = None
            deadline = time.monotonic() + 20 * J.timeout_scale()
            while admin is None and time.monotonic() < deadline and p.poll() is None:
                with open(log, 'rb') as f:
                    m = re.search(rb'onair: admin at http://127\.0\.0\.1:(\d+)/', f.read())
                admin = int(m.group(1)) if m else None
                time.sleep(0.1)
            if admin is None:
                with open(log, 'rb') as f:
                    fails.append('no "onair: admin at" line:\n' + f.read().decode('utf-8', 'replace')[-1500:])
            else:
                for url, mark in (('http://127.0.0.1:%d/' % admin, served['status.html']),
                                  ('http://127.0.0.1:%d/hls.js' % admin, served[list(served)[2]]),
                                  ('http://127.0.0.1:%d/test/' % port, served['player.html']),
                                  ('http://127.0.0.1:%d/player/hls.min.js' % port, served[list(served)[2]])):
                    status, body = get(url)
                    if status != 200 or mark.strip() not in body:
                        fails.append('%s: %d, %s' % (url, status, 'not the installed copy' if status == 200
                                                     else 'not served'))
                info.append('the status page, the player page and hls.js came from %s'
                            % os.path.relpath(web, dest))
        finally:
            p.send_signal(signal.SIGTERM)
            stop(p, fails, 'the installed onair')

        # The man pages: clean for groff and mandoc; onair-channel(5) has every key
        # docs/config-reference.md has (one set of tables makes both).
        text1 = check_man(man1, fails)
        text5 = check_man(man5, fails)
        with open(os.path.join(J.REPO, 'docs', 'config-reference.md')) as f:
            keys = re.findall(r'^\| `([^`]+)` \|', f.read(), re.M)
        missing = [k for k in keys if not re.search(r'^\s+%s(\s|$)' % re.escape(k), text5, re.M)]
        if not keys or missing:
            fails.append('onair-channel(5) lacks %d of the %d keys of docs/config-reference.md: %s'
                         % (len(missing), len(keys), ', '.join(missing[:20])))
        info.append('onair-channel(5): all %d keys of docs/config-reference.md' % len(keys))
        r = J.must([onair, '--help'])
        commands = re.findall(r'^  ([a-z]+) ', r.stdout.split('commands:', 1)[1], re.M)
        for c in commands:
            if not re.search(r'^\s+onair %s\b' % c, text1, re.M):
                fails.append('onair(1) has no section for `onair %s`' % c)
        for opt in re.findall(r'^\s+(--[a-z-]+)', J.must([onair, 'run', '--help']).stdout, re.M):
            if opt not in text1:
                fails.append('onair(1) does not give `onair run %s`' % opt)

        # The unit, as installed: it runs the installed binary; systemd-analyze
        # verify (with that binary where the unit names it, in DESTDIR, and the
        # installed man pages its Documentation= names) says nothing.
        with open(unit) as f:
            text = f.read()
        exec_start = re.search(r'^ExecStart=(\S+)', text, re.M)
        if not exec_start or exec_start.group(1) != os.path.join(prefix, o['bindir'], 'onair'):
            fails.append('ExecStart= does not run %s: %s'
                         % (os.path.join(prefix, o['bindir'], 'onair'), exec_start and exec_start.group(0)))
        for want in ('Type=notify', 'WatchdogSec=', 'DynamicUser=yes', 'StateDirectory=onair/%i',
                     '--output-dir %S/onair/%i', 'ProtectSystem=strict', 'NoNewPrivileges=yes',
                     'CapabilityBoundingSet=\n', 'SystemCallFilter=@system-service',
                     'Restart=on-failure', '%s/%%i.yaml' % os.path.join(prefix, o['sysconfdir'], 'onair')):
            if want not in text:
                fails.append('the unit lacks %r' % want.strip())
        check = os.path.join(wd.path, 'onair@demo.service')
        with open(check, 'w') as f:
            f.write(text.replace('ExecStart=' + exec_start.group(1), 'ExecStart=' + binary) if exec_start else text)
        r = J.run(['systemd-analyze', 'verify', check],
                  env=dict(os.environ, MANPATH=installed(o['mandir'])))
        if r.returncode or r.stderr.strip() or r.stdout.strip():
            fails.append('systemd-analyze verify: exit %d\n%s%s' % (r.returncode, r.stdout, r.stderr))
        else:
            info.append('systemd-analyze verify: clean')
        return finish_case('deploy install', wd, fails, info)


def case_mdwe():
    """What systemd's MemoryDenyWriteExecute=yes refuses (its seccomp filter): mmap
    with PROT_WRITE|PROT_EXEC, mprotect or pkey_mprotect adding PROT_EXEC, shmat
    with SHM_EXEC. A transcode (x264, libavcodec's AAC, libav*'s demuxers and
    muxers) and `onair encoders` (the hardware backends' probes) under strace."""
    if not shutil.which('strace'):
        raise RuntimeError('strace not found (apt-get install strace: .ci/setup --tests)')
    with J.Workdir('mdwe') as wd:
        fails, info = [], []
        clip = os.path.join(wd.path, 'in.mp4')
        J.must(['ffmpeg', '-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x180:r=25:d=2',
                '-f', 'lavfi', '-i', 'sine=d=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
                '-shortest', clip])
        for name, args in (('transcode', ['transcode', clip, '-o', os.path.join(wd.path, 'out'),
                                          '--ladder', '240p', '-q']),
                           ('encoders', ['encoders'])):
            trace = os.path.join(wd.path, name + '.strace')
            # a sanitizer build's leak check cannot run under ptrace; the rest of it can
            env = dict(os.environ, ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':detect_leaks=0')
            r = J.run(['strace', '-f', '-qq', '-e', 'trace=mmap,mprotect,pkey_mprotect,shmat', '-o', trace,
                       J.onair_path()] + args, timeout=120 * J.timeout_scale(), env=env)
            if r.returncode:
                fails.append('onair %s under strace: exit %d\n%s' % (name, r.returncode, r.stderr[-800:]))
                continue
            with open(trace) as f:
                calls = f.read().splitlines()
            refused = [c for c in calls
                       if ('mmap(' in c and 'PROT_EXEC' in c and 'PROT_WRITE' in c)
                       or ('mprotect(' in c and 'PROT_EXEC' in c)
                       or ('shmat(' in c and 'SHM_EXEC' in c)]
            info.append('onair %s: %d calls traced, %d refused by MemoryDenyWriteExecute'
                        % (name, len(calls), len(refused)))
            fails += ['onair %s: %s' % (name, c) for c in refused[:10]]
        return finish_case('deploy mdwe', wd, fails, info)


CASES = {
    'notify': case_notify,
    'notify-pair': case_notify_pair,
    'notify-reload': case_notify_reload,
    'install': case_install,
    'mdwe': case_mdwe,
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
