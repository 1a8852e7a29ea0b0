#!/usr/bin/env python3
"""`onair check CHANNEL.yaml`: exit status, compiler-style messages with the
file:line:column at fault, the timeline it prints, and that it only reads; given
several files, what `onair run` would refuse in them together (and that run does).

    check_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    check_test.py --list

Exit status per DESIGN.md: 0 valid (warnings allowed), 1 errors, 2 usage error.
"""

import os
import re
import shutil
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

TIMEOUT = 30  # seconds (times ONAIR_TIMEOUT_SCALE)
DEMO = os.path.join(J.REPO, 'conf', 'examples', 'demo.yaml')
REFERENCE = os.path.join(J.REPO, 'docs', 'config-reference.md')

# A small valid channel; the cases write variants of it.
BASE = """channel: t
timezone: {tz}
video: {{ width: 640, height: 360, fps: 25 }}
ladder: [360p]
sources:
  bars: {{ generate: testsrc }}
  blue: {{ generate: color }}
schedule:
  loop: {loop}
  items:
{items}
output: {{ dir: out, serve: {{ listen: "127.0.0.1:{port}" }} }}
"""


def channel(items, tz='UTC', loop='true', port=8080):
    return BASE.format(tz=tz, loop=loop, items=items, port=port)


def write(wd, name, text):
    path = os.path.join(wd.path, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def run(args):
    r = J.run_onair(args, timeout=TIMEOUT)
    fails = J.crash_failures(r)
    info = ['$ onair ' + ' '.join(str(a) for a in args),
            'exit %s in %.2f s' % (r.returncode, r.seconds),
            'stdout (head): ' + (r.stdout[:1500].strip() or '(empty)'),
            'stderr (head): ' + (r.stderr[:1500].strip() or '(empty)')]
    return r, fails, info


def want_rc(r, rc, fails):
    if not r.timed_out and r.returncode != rc:
        fails.append('exit status %s, expected %s' % (r.returncode, rc))


def finish(name, wd, fails, info):
    rc = J.report(name, fails, info, keep=wd.path)
    wd.ok = rc == 0
    return rc


def case_demo():
    """The example channel is valid, prints a day's timeline from now, and warns of nothing."""
    with J.Workdir('check-demo') as wd:
        r, fails, info = run(['check', DEMO])
        want_rc(r, 0, fails)
        if 'warning' in r.stderr or 'error' in r.stderr:
            fails.append('the demo config draws warnings or errors')
        if "channel 'demo'" not in r.stdout or 'timeline for 24h' not in r.stdout:
            fails.append('no timeline header for a day')
        for src in ('bars', 'blue', 'break'):
            if not re.search(r'\s%s\s' % src, r.stdout):
                fails.append('the timeline never shows source %r' % src)
        # with a fixed start: exact first entries, local and UTC times
        r2, f2, i2 = run(['check', '--from', '2026-11-25T12:00:00Z', '--for', '1m', DEMO])
        fails += f2
        info += i2
        want_rc(r2, 0, fails)
        for line in ('2026-11-25 12:00:00 UTC - 12:00:20 UTC  2026-11-25T12:00:00Z - 12:00:20Z',
                     '2026-11-25 12:00:20 UTC - 12:00:30 UTC  2026-11-25T12:00:20Z - 12:00:30Z'):
            if line not in r2.stdout:
                fails.append('timeline lacks %r' % line)
        return finish('demo', wd, fails, info)


def case_timeline_dst():
    """A daily 02:30 in Europe/Berlin on the night clocks go forward airs at 03:30 CEST."""
    with J.Workdir('check-dst') as wd:
        path = write(wd, 'berlin.yaml', channel(
            '    - { source: bars, duration: 20m }\n'
            '    - { at: "02:30", repeat: daily, source: blue, duration: 10m, title: Night }\n',
            tz='Europe/Berlin'))
        r, fails, info = run(['check', '--from', '2026-03-28T12:00:00Z', '--for', '40h', path])
        want_rc(r, 0, fails)
        for s in ('2026-03-29 03:30:00 CEST - 03:40:00 CEST  2026-03-29T01:30:00Z - 01:40:00Z',
                  '2026-03-30 02:30:00 CEST - 02:40:00 CEST  2026-03-30T00:30:00Z - 00:40:00Z'):
            if s not in r.stdout:
                fails.append('timeline lacks %r' % s)
        if not re.search(r'^%s:12:7: warning: .Night.: its time does not exist on that day in '
                         r'Europe/Berlin' % re.escape(path), r.stderr, re.M):
            fails.append('no warning at %s:12:7 that 02:30 does not exist' % path)
        if not re.search(r'^%s:11:7: warning: .bars. is cut short at 2026-03-29T01:30:00Z by '
                         r'.Night. \(line 12\)' % re.escape(path), r.stderr, re.M):
            fails.append('no cut-short warning at %s:11:7' % path)
        return finish('timeline-dst', wd, fails, info)


def case_gap_warning():
    """Time no item covers is slate: a warning, exit 0."""
    with J.Workdir('check-gap') as wd:
        path = write(wd, 'gap.yaml', channel(
            '    - { source: bars, duration: 10m }\n'
            '    - { at: "2026-11-25T13:00:00Z", source: blue, duration: 30m }\n', loop='false'))
        r, fails, info = run(['check', '--from', '2026-11-25T12:00:00Z', path])
        want_rc(r, 0, fails)
        if not re.search(r'^%s:11:7: warning: gap from 2026-11-25T12:10:00Z to 2026-11-25T13:00:00Z '
                         r'\(50m\): the slate airs' % re.escape(path), r.stderr, re.M):
            fails.append('no gap warning naming %s:11:7 and the gap' % path)
        if not re.search(r'warning: from 2026-11-25T13:30:00Z nothing is scheduled', r.stderr):
            fails.append('no warning that nothing is scheduled after 13:30')
        if '(slate)' not in r.stdout:
            fails.append('the timeline does not show the slate')
        return finish('gap-warning', wd, fails, info)


def case_breaks():
    """Ad breaks ({ break: LENGTH }) in the timeline: BREAK, title, length and id, their source or
    the slate (which is a break, not a gap: no warning); a daily break across Berlin's spring DST
    change airs late by the gap; the loop of programs and breaks still folds."""
    with J.Workdir('check-breaks') as wd:
        path = write(wd, 'breaks.yaml', channel(
            '    - { source: bars, duration: 10m, title: News }\n'
            '    - { break: 90s, source: blue, id: brk-1 }\n'
            '    - { break: 30s, title: "Station break" }\n'
            '    - { at: "02:30", repeat: daily, break: 2m, id: night }\n', tz='Europe/Berlin'))
        r, fails, info = run(['check', '--from', '2026-03-28T23:50:00Z', '--for', '3h', path])
        want_rc(r, 0, fails)
        row = r'^\s+%s\s+%s\s+%s\s+%s$'
        for local, utc, source, title in (
                ('2026-03-29 01:00:00 CET - 01:01:30 CET', '2026-03-29T00:00:00Z - 00:01:30Z', 'blue',
                 'BREAK Ad break (1m30s, id brk-1)'),
                ('2026-03-29 01:01:30 CET - 01:02:00 CET', '2026-03-29T00:01:30Z - 00:02:00Z', '(slate)',
                 'BREAK Station break (30s, id break-3)'),
                ('2026-03-29 03:30:00 CEST - 03:32:00 CEST', '2026-03-29T01:30:00Z - 01:32:00Z', '(slate)',
                 'BREAK Ad break (2m, id night) [daily] [DST: moved later]'),
                ('2026-03-29 03:32:00 CEST - 03:42:00 CEST', '2026-03-29T01:32:00Z - 01:42:00Z', 'bars',
                 'News')):
            if not re.search(row % tuple(re.escape(x) for x in (local, utc, source, title)), r.stdout, re.M):
                fails.append('timeline lacks %s  %s  %s  %s' % (local, utc, source, title))
        if 'the loop above runs 7 more times' not in r.stdout:
            fails.append('the loop of programs and breaks is not folded')
        if re.search(r'gap|nothing is scheduled', r.stderr):
            fails.append('a slate break drew a gap warning')
        if not re.search(r'^%s:14:7: warning: .Ad break.: its time does not exist on that day in '
                         r'Europe/Berlin .* it airs at 2026-03-29 03:30:00 CEST' % re.escape(path),
                         r.stderr, re.M):
            fails.append('no warning at %s:14:7 that the 02:30 break moves to 03:30' % path)
        # the output keys, each with a value, check without a word
        r2, f2, i2 = run(['check', '-q', write(wd, 'markers.yaml', channel(
            '    - { source: bars, duration: 10m }\n    - { break: 1m, source: blue }\n').replace(
            'output: { dir: out, ',
            'output: { dir: out, formats: [hls, cmaf], ad_markers: [daterange, cue, dash_bin], '
            'interstitials: { asset_list: "https://ads.example/list", restrict: [skip] }, ').replace(
            '{ generate: color }', '{ url: "udp://127.0.0.1:5000", scte35: ignore }'))])
        fails += f2
        info += i2
        want_rc(r2, 0, fails)
        if r2.stderr.strip():
            fails.append('ad_markers, interstitials and scte35 drew messages: %r' % r2.stderr.strip())
        return finish('breaks', wd, fails, info)


BROKEN = [
    # (file text, line, column, message part)
    (channel('    - { source: bars, duration: 10s }\n').replace('channel: t', 'chanel: t'),
     1, 1, "unknown key 'chanel' in the channel (did you mean 'channel'?)"),
    (channel('    - { source: bars, duration: 10s }\n').replace('width: 640', 'width: 641'),
     3, 17, 'video.width: 641 is odd'),
    (channel('    - { source: barz, duration: 10s }\n'),
     11, 17, "schedule.items[1].source: source 'barz' is not defined (did you mean 'bars'?)"),
    (channel('    - { source: bars, duration: 0s }\n'),
     11, 33, "schedule.items[1].duration: duration must be more than zero"),
    (channel('    - { source: bars, duration: 10s }\n').replace('{ generate: color }',
                                                               '{ file: media/none.mp4 }'),
     7, 17, "sources.blue.file: 'media/none.mp4' does not exist"),
    (channel('    - { source: bars, duration: 10s, at: "18:00" }\n'),
     11, 42, "'18:00' is a time of day: add repeat: daily"),
    (channel('    - { break: 10s, duration: 10s }\n'),
     11, 21, "schedule.items[1]: give duration (a program) or break (an ad break that long), not both"),
    (channel('    - { break: 1m, id: x }\n    - { break: 2m, id: x }\n'),
     12, 24, "schedule.items[2].id: break id 'x' is item 1's too (line 11)"),
    (channel('    - { source: bars, duration: 10s }\n').replace(
        'output: { dir: out, ', 'output: { dir: out, interstitials: { restrict: [skip] }, '),
     13, 21, "output.interstitials: give asset_list (the ad server's URL) or asset_uri"),
    (channel('    - { source: bars, duration: 10s }\n').replace('fps: 25 }', 'fps: 25'),
     4, 7, "YAML: did not find expected ',' or '}' while parsing a flow mapping at line 3"),
]


def case_frame_grid():
    """A part and a segment that are not whole frames at the canvas rate: warnings naming what
    the packager cuts instead, exit 0; a server limit above the open files: a warning."""
    with J.Workdir('check-frame-grid') as wd:
        text = channel('    - { source: bars, duration: 10m }\n').replace(
            'fps: 25', 'fps: 29.97').replace(
            'output: { dir: out, ',
            'output: { dir: out, low_latency: { part: 0.5s }, ').replace(
            '"127.0.0.1:8080" }', '"127.0.0.1:8080", connections: 32768 }')
        path = write(wd, 'grid.yaml', text)
        r, fails, info = run(['check', '-q', path])
        want_rc(r, 0, fails)
        p = re.escape(path)
        if not re.search(r'^%s:3:40: warning: output.segment: 2s \(the default\) is 59.94 frames at '
                         r'29.97 fps: segments are cut on whole frames, 60 or 59 of them .*2.002s '
                         r'\(60 frames\)' % p, r.stderr, re.M):
            fails.append('no warning at %s:3:40 that 2s segments are 60 or 59 frames' % path)
        if not re.search(r'^%s:13:42: warning: output.low_latency.part: 500ms is 14.985 frames at '
                         r'29.97 fps: parts are cut on whole frames, so they are 14 frames '
                         r'\(0.467133s\)' % p, r.stderr, re.M):
            fails.append('no warning at %s:13:42 that the parts are 14 frames' % path)
        if not re.search(r'^%s:13:98: warning: output.serve.connections: 32768 is more than the '
                         r'open files allow here .*: the server will allow \d+' % p, r.stderr, re.M):
            fails.append('no warning that 32768 connections exceed the open files')
        return finish('frame-grid', wd, fails, info)


def case_broken():
    """Each broken config: exit 1, FILE:LINE:COL: error: naming the fault, on stderr."""
    with J.Workdir('check-broken') as wd:
        fails, info = [], []
        for i, (text, line, col, msg) in enumerate(BROKEN):
            path = write(wd, 'broken%d.yaml' % i, text)
            r, f, inf = run(['check', path])
            fails += f
            info += inf
            want_rc(r, 1, fails)
            want = '%s:%d:%d: error: ' % (path, line, col)
            hit = [ln for ln in r.stderr.splitlines() if ln.startswith(want) and msg in ln]
            if not hit:
                fails.append('%s: no line %r...%r on stderr' % (os.path.basename(path), want, msg))
            if r.stdout.strip():
                fails.append('%s: printed a timeline although the config is broken' % path)
        # one broken among valid files: each is reported, the status is 1
        good = write(wd, 'good.yaml', channel('    - { source: bars, duration: 10s }\n'))
        r, f, inf = run(['check', good, os.path.join(wd.path, 'broken0.yaml')])
        fails += f
        info += inf
        want_rc(r, 1, fails)
        if "channel 't'" not in r.stdout:
            fails.append('the valid file among broken ones got no timeline')
        return finish('broken', wd, fails, info)


def case_missing_file():
    with J.Workdir('check-missing') as wd:
        path = os.path.join(wd.path, 'nope.yaml')
        r, fails, info = run(['check', path])
        want_rc(r, 1, fails)
        if '%s: error: cannot read: No such file or directory' % path not in r.stderr:
            fails.append('the message does not name %s and why' % path)
        return finish('missing-file', wd, fails, info)


def case_usage():
    """Usage errors exit 2 and point at --help."""
    with J.Workdir('check-usage') as wd:
        fails, info = [], []
        for args, mention in ((['check'], 'CHANNEL.yaml is missing'),
                              (['check', '--bogus', DEMO], "unknown option '--bogus'"),
                              (['check', '--from', 'noon', DEMO], '--from:'),
                              (['check', '--from', '18:00', DEMO], '--from: give a date and time'),
                              (['check', '--for', '0s', DEMO], '--for:'),
                              (['check', '--for', '32d', DEMO], '--for:'),
                              (['check', '--reference', DEMO], '--reference takes no CHANNEL.yaml'),
                              (['check', '--from'], '--from needs a value')):
            r, f, inf = run(args)
            fails += f
            info += inf
            want_rc(r, 2, fails)
            if mention not in r.stderr:
                fails.append('%s: stderr does not say %r' % (' '.join(args), mention))
            if 'onair check --help' not in r.stderr:
                fails.append('%s: no pointer to onair check --help' % ' '.join(args))
        r, f, inf = run(['check', '--help'])
        fails += f
        want_rc(r, 0, fails)
        if 'usage: onair check' not in r.stdout:
            fails.append('--help prints no usage')
        return finish('usage', wd, fails, info)


def tree(path):
    out = {}
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def case_read_only():
    """check writes nothing (not even output.dir) and binds no port: the port it
    would serve on is held by this test, and strace sees no bind, listen or write."""
    with J.Workdir('check-readonly') as wd:
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        holder.bind(('127.0.0.1', 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        path = write(wd, 'ro.yaml', channel('    - { source: bars, duration: 10s }\n', port=port))
        os.chmod(wd.path, 0o555)           # a write would fail loudly too
        before = tree(wd.path)
        fails, info = [], []
        try:
            r, f, info = run(['check', path])
            fails += f
            want_rc(r, 0, fails)
            strace = shutil.which('strace')
            if strace:
                log = os.path.join(J.tempfile.gettempdir(), 'onair-check-strace-%d' % os.getpid())
                t = J.run([strace, '-f', '-qq', '-o', log, '-e',
                           'trace=bind,listen,openat,open,creat,mkdir,mkdirat,rename,renameat,'
                           'renameat2,unlink,unlinkat,truncate',
                           J.onair_path(), 'check', path], timeout=TIMEOUT * J.timeout_scale())
                if t.returncode == 0 and os.path.exists(log):
                    calls = open(log).read()
                    os.unlink(log)
                    for ln in calls.splitlines():
                        if re.search(r'\b(bind|listen|creat|mkdir|mkdirat|rename\w*|unlink\w*|'
                                     r'truncate)\(', ln):
                            fails.append('strace: %s' % ln.strip())
                        elif re.search(r'open(at)?\(.*O_(WRONLY|RDWR|CREAT)', ln) and \
                                '/dev/' not in ln:
                            fails.append('strace: %s' % ln.strip())
                else:
                    info.append('strace could not run here (exit %s): skipped that part'
                                % t.returncode)
        finally:
            os.chmod(wd.path, 0o755)
            holder.close()
        if tree(wd.path) != before:
            fails.append('the folder changed: %s' % sorted(set(tree(wd.path)) ^ set(before)))
        if os.path.exists(os.path.join(wd.path, 'out')):
            fails.append('check created output.dir')
        return finish('read-only', wd, fails, info)


def case_reference():
    """docs/config-reference.md is exactly what `onair check --reference` prints."""
    with J.Workdir('check-reference') as wd:
        r, fails, info = run(['check', '--reference'])
        want_rc(r, 0, fails)
        with open(REFERENCE) as f:
            doc = f.read()
        if r.stdout != doc:
            import difflib
            diff = list(difflib.unified_diff(doc.splitlines(), r.stdout.splitlines(),
                                             'docs/config-reference.md', 'onair check --reference',
                                             lineterm=''))
            fails.append('docs/config-reference.md is out of date; regenerate it with\n'
                         '    build/cli/onair check --reference > docs/config-reference.md\n' +
                         '\n'.join(diff[:60]))
        return finish('reference', wd, fails, info)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def refused_together(wd, paths, want, fails, info):
    """`onair check` and `onair run` both refuse the set: exit 1, a line on stderr that
    matches `want` (a regex), and run starts nothing (no channel on air, no output folder)."""
    r, f, inf = run(['check'] + paths)
    fails += f
    info += inf
    want_rc(r, 1, fails)
    if not re.search(want, r.stderr, re.M):
        fails.append('check: no line matching %r on stderr' % want)
    for p in paths:
        if p + ': channel' not in r.stdout:
            fails.append('check: no timeline for %s, which is valid alone' % p)
    before = sorted(os.listdir(wd.path))
    r, f, inf = run(['run'] + paths + ['--for', '2s', '--admin', 'none'])
    fails += f
    info += inf
    want_rc(r, 1, fails)
    if not re.search(want, r.stderr, re.M):
        fails.append('run: no line matching %r on stderr' % want)
    if 'on air' in r.stderr:
        fails.append('run put a channel on air')
    if sorted(os.listdir(wd.path)) != before:
        fails.append('run wrote into the folder: %s' % sorted(set(os.listdir(wd.path)) - set(before)))


def case_together_channel():
    """Two files with one channel id: check and run refuse them together, naming both."""
    with J.Workdir('check-together-channel') as wd:
        port = free_port()
        a = write(wd, 'a.yaml', channel('    - { source: bars, duration: 10s }\n', port=port)
                  .replace('dir: out', 'dir: out-a'))
        b = write(wd, 'b.yaml', channel('    - { source: bars, duration: 10s }\n', port=port)
                  .replace('dir: out', 'dir: out-b'))
        fails, info = [], []
        refused_together(wd, [a, b], r'^%s:1:10: error: channel: .t. is also defined by %s \(line 1\)$'
                         % (re.escape(b), re.escape(a)), fails, info)
        # each alone is valid: the single-file output has no such error
        r, f, inf = run(['check', a])
        fails += f
        want_rc(r, 0, fails)
        return finish('together-channel', wd, fails, info)


def case_together_dir():
    """Two channels with one output.dir: refused together, naming both files."""
    with J.Workdir('check-together-dir') as wd:
        port = free_port()
        a = write(wd, 'a.yaml', channel('    - { source: bars, duration: 10s }\n', port=port))
        b = write(wd, 'b.yaml', channel('    - { source: bars, duration: 10s }\n', port=port)
                  .replace('channel: t', 'channel: u'))
        fails, info = [], []
        refused_together(wd, [a, b], r'^%s:13:16: error: output.dir: %s is also the output folder '
                         r"of channel 't' \(%s, line 13\)$"
                         % (re.escape(b), re.escape(os.path.join(wd.path, 'out')), re.escape(a)),
                         fails, info)
        return finish('together-dir', wd, fails, info)


def case_together_limits():
    """Channels on one listen address share its server: different connections are refused
    together (naming both files); limits given once or alike are accepted."""
    with J.Workdir('check-together-limits') as wd:
        port = free_port()

        def served(name, ident, limits):
            return write(wd, name, channel('    - { source: bars, duration: 10s }\n', port=port)
                         .replace('channel: t', 'channel: ' + ident)
                         .replace('dir: out', 'dir: out-' + ident)
                         .replace('"127.0.0.1:%d" }' % port, '"127.0.0.1:%d"%s }' % (port, limits)))
        a = served('a.yaml', 'a', ', connections: 100')
        b = served('b.yaml', 'b', ', connections: 200')
        fails, info = [], []
        refused_together(wd, [a, b], r'^%s:13:\d+: error: output.serve.connections: 200, but %s '
                         r'gives 100 \(line 13\) for the same listen address 127.0.0.1:%d: channels '
                         r'that share a server give its limits once or alike$'
                         % (re.escape(b), re.escape(a), port), fails, info)
        # alike, and given once: one server, accepted
        c = served('c.yaml', 'c', ', connections: 100')
        d = served('d.yaml', 'd', '')
        r, f, inf = run(['check', '-q', a, c, d])
        fails += f
        info += inf
        want_rc(r, 0, fails)
        if 'error' in r.stderr:
            fails.append('limits given once or alike drew an error')
        return finish('together-limits', wd, fails, info)


CASES = {
    'demo': case_demo,
    'timeline-dst': case_timeline_dst,
    'gap-warning': case_gap_warning,
    'frame-grid': case_frame_grid,
    'breaks': case_breaks,
    'broken': case_broken,
    'missing-file': case_missing_file,
    'usage': case_usage,
    'read-only': case_read_only,
    'reference': case_reference,
    'together-channel': case_together_channel,
    'together-dir': case_together_dir,
    'together-limits': case_together_limits,
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
