#!/usr/bin/env python3
"""Bad input to `onair transcode`: exact exit status, a message naming the flag or
path at fault, no crash, no hang.

    bad_input_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    bad_input_test.py --list

Exit status per DESIGN.md: 1 for an error, 2 for a usage error.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

TIMEOUT = 60  # seconds (times ONAIR_TIMEOUT_SCALE); a bad input must never hang


def check(name, wd, args, want_rc, mentions, forbid_output=True):
    """Run onair with args; exit status must be want_rc and stderr must name each of
    mentions (a tuple is a set of alternatives)."""
    r = J.run_onair(args, timeout=TIMEOUT)
    fails = J.crash_failures(r)
    if not r.timed_out and r.returncode != want_rc:
        fails.append('exit status %s, expected %s' % (r.returncode, want_rc))
    for m in mentions:
        alts = m if isinstance(m, tuple) else (m,)
        if not any(a in r.stderr for a in alts):
            where = (' (it is on stdout; errors belong on stderr)'
                     if any(a in r.stdout for a in alts) else '')
            fails.append('the message does not name %s%s' % (' or '.join(map(repr, alts)), where))
    if want_rc != 0 and not r.stderr.strip():
        fails.append('failed without any message on stderr')
    info = ['$ onair ' + ' '.join(str(a) for a in args),
            'exit %s in %.1f s; stderr: %s' % (r.returncode, r.seconds,
                                               r.stderr.strip()[-600:] or '(empty)')]
    return fails, info, r


def finish(name, wd, fails, info):
    rc = J.report(name, fails, info, keep=wd.path)
    wd.ok = rc == 0
    return rc


def usage_case(name, flag_args, mention, need_media=True):
    """A usage error: exit 2, the message names the flag."""
    def run_case():
        with J.Workdir(name) as wd:
            src = os.path.join(wd.path, 'std.mp4')
            if need_media:
                src, _ = J.make_media('std', wd.path, duration=2)
            out = os.path.join(wd.path, 'out')
            args = ['transcode', src, '-o', out] + flag_args
            fails, info, _ = check(name, wd, args, 2, [mention])
            if os.path.exists(os.path.join(out, 'master.m3u8')):
                fails.append('a usage error still wrote output')
            return finish(name, wd, fails, info)
    return run_case


def case_missing_file():
    with J.Workdir('missing-file') as wd:
        src = os.path.join(wd.path, 'no-such-clip.mp4')
        fails, info, _ = check('missing-file', wd,
                               ['transcode', src, '-o', os.path.join(wd.path, 'out')], 1, [src])
        return finish('missing-file', wd, fails, info)


def case_random_bytes():
    with J.Workdir('random-bytes') as wd:
        src = os.path.join(wd.path, 'noise.mp4')
        # Seeded, so a failure can be reproduced; 1 MiB, as `head -c 1M /dev/urandom`.
        with open(src, 'wb') as f:
            f.write(random.Random(1).randbytes(1 << 20))
        fails, info, _ = check('random-bytes', wd,
                               ['transcode', src, '-o', os.path.join(wd.path, 'out')], 1, [src])
        return finish('random-bytes', wd, fails, info)


def truncated_case(faststart):
    name = 'truncated-' + ('moov-first' if faststart else 'moov-last')

    def run_case():
        with J.Workdir(name) as wd:
            full = os.path.join(wd.path, 'full.mp4')
            J.must(['ffmpeg', '-nostdin', '-v', 'error', '-f', 'lavfi', '-i',
                    'testsrc2=size=640x360:rate=30:duration=10', '-f', 'lavfi', '-i',
                    'sine=frequency=440:sample_rate=48000:duration=10', '-c:v', 'libx264',
                    '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'] +
                   (['-movflags', '+faststart'] if faststart else []) + [full])
            src = os.path.join(wd.path, 'cut.mp4')
            data = open(full, 'rb').read()
            with open(src, 'wb') as f:
                f.write(data[:len(data) // 2])
            # A file cut in half is an error (exit 1) that names the file, whether or not
            # its index survived; see the issue, point 8.
            fails, info, _ = check(name, wd,
                                   ['transcode', src, '-o', os.path.join(wd.path, 'out')], 1,
                                   [src])
            return finish(name, wd, fails, info)
    return run_case


def case_outdir_notdir():
    with J.Workdir('outdir-unwritable') as wd:
        src, _ = J.make_media('std', wd.path, duration=2)
        blocker = os.path.join(wd.path, 'file.txt')
        open(blocker, 'w').write('a regular file\n')
        out = os.path.join(blocker, 'out')  # ENOTDIR, even for root
        fails, info, _ = check('outdir-unwritable', wd, ['transcode', src, '-o', out], 1,
                               ['file.txt'])
        return finish('outdir-unwritable', wd, fails, info)


def case_outdir_exists():
    name = 'outdir-exists'
    with J.Workdir(name) as wd:
        src, facts = J.make_media('std', wd.path, duration=4)
        out = os.path.join(wd.path, 'out')
        os.makedirs(out)
        open(os.path.join(out, 'keep.txt'), 'w').write('not onair output\n')
        args = ['transcode', src, '-o', out, '--ladder', '240p']
        fails, info, _ = check(name, wd, args, 1, [out])
        if os.path.exists(os.path.join(out, 'master.m3u8')):
            fails.append('without -y onair still wrote into the non-empty OUTDIR')
        if not os.path.exists(os.path.join(out, 'keep.txt')):
            fails.append('without -y onair deleted a file in OUTDIR')
        f2, i2, r = check(name, wd, args + ['-y'], 0, [])
        fails += f2
        info += ['with -y:'] + i2
        if r.returncode == 0:
            # -y may keep or clear other files; the judge must not count this one
            keep = os.path.join(out, 'keep.txt')
            if os.path.exists(keep):
                os.remove(keep)
            f3, i3 = J.judge_output(out, J.expectation(facts, '240p', 2, 'hls'))
            fails += ['with -y: ' + x for x in f3]
        return finish(name, wd, fails, info)


def unusable_encoder_case():
    """An explicit hardware backend that this host cannot use: exit 1, says which and why."""
    def run_case():
        name = 'encoder-unusable'
        devices = {'nvenc': '/dev/nvidia0', 'vaapi': '/dev/dri/renderD128',
                   'qsv': '/dev/dri/renderD128'}
        enc = next((e for e, d in devices.items() if not os.path.exists(d)), None)
        with J.Workdir(name) as wd:
            if enc is None:
                return finish(name, wd, ['this host has every hardware device; cannot test an '
                                         'unusable backend here'], [])
            src, _ = J.make_media('std', wd.path, duration=2)
            fails, info, r = check(name, wd, ['transcode', src, '-o',
                                              os.path.join(wd.path, 'out'), '--encoder', enc],
                                   1, [enc])
            # "names the missing piece": more than just the backend's name
            if r.returncode == 1 and len(r.stderr.strip().split()) < 5:
                fails.append('the message does not say why %s is not usable: %r' %
                             (enc, r.stderr.strip()))
            return finish(name, wd, fails, info)
    return run_case


def case_corrupt_stream():
    """A TS with a few KB of garbage in the middle: logged, skipped, exit 0, output valid."""
    name = 'corrupt-stream'
    with J.Workdir(name) as wd:
        src, facts = J.make_media('ts', wd.path)
        size = os.path.getsize(src)
        junk = os.path.join(wd.path, 'junk.bin')
        with open(junk, 'wb') as f:
            f.write(random.Random(2).randbytes(8 * 1024))
        # overwrite 8 KiB at the middle, in place, as `dd conv=notrunc` does
        J.must(['dd', 'if=' + junk, 'of=' + src, 'bs=1024', 'seek=%d' % (size // 2048),
                'conv=notrunc', 'status=none'])
        out = os.path.join(wd.path, 'out')
        fails, info, r = check(name, wd, ['transcode', src, '-o', out, '--ladder', '360p,240p'],
                               0, [])
        low = r.stderr.lower()
        if r.returncode == 0 and not any(w in low for w in ('warn', 'corrupt', 'error', 'skip',
                                                            'invalid', 'damaged')):
            fails.append('the corrupt packets were not logged (no warning on stderr)')
        if r.returncode == 0:
            exp = J.expectation(facts, '360p,240p', 2, 'hls')
            exp['frames'] = None  # some frames are rightly lost
            f, i = J.judge_output(out, exp)
            fails += f
            info += i
        return finish(name, wd, fails, info)


CASES = {
    'missing-file': case_missing_file,
    'random-bytes': case_random_bytes,
    'truncated-moov-first': truncated_case(True),
    'truncated-moov-last': truncated_case(False),
    'outdir-unwritable': case_outdir_notdir,
    'outdir-exists': case_outdir_exists,
    'ladder-720x': usage_case('ladder-720x', ['--ladder', '720x'], '--ladder'),
    'ladder-foo': usage_case('ladder-foo', ['--ladder', 'foo'], '--ladder'),
    'ladder-empty': usage_case('ladder-empty', ['--ladder', ''], '--ladder'),
    'encoder-unknown': usage_case('encoder-unknown', ['--encoder', 'foo'], '--encoder'),
    'encoder-unusable': unusable_encoder_case(),
    'format-bad': usage_case('format-bad', ['--format', 'mp5'], '--format'),
    'segment-zero': usage_case('segment-zero', ['--segment', '0'], '--segment'),
    'segment-negative': usage_case('segment-negative', ['--segment', '-2'], '--segment'),
    'segment-text': usage_case('segment-text', ['--segment', 'abc'], '--segment'),
    'unknown-flag': usage_case('unknown-flag', ['--bogus'], '--bogus'),
    'missing-outdir': None,  # filled below
    'no-input': None,
    'corrupt-stream': case_corrupt_stream,
}


def case_missing_outdir():
    with J.Workdir('missing-outdir') as wd:
        src, _ = J.make_media('std', wd.path, duration=2)
        fails, info, _ = check('missing-outdir', wd, ['transcode', src], 2,
                               [('-o', 'OUTDIR')])
        return finish('missing-outdir', wd, fails, info)


def case_no_input():
    with J.Workdir('no-input') as wd:
        fails, info, _ = check('no-input', wd, ['transcode', '-o', os.path.join(wd.path, 'o')],
                               2, [('INPUT', 'input')])
        return finish('no-input', wd, fails, info)


def case_dead_url():
    """A live URL nobody sends to: exit 1 within --timeout, naming the URL."""
    with J.Workdir('dead-url') as wd:
        url = 'udp://127.0.0.1:9'   # the discard port: nothing ever arrives
        fails, info, r = check('dead-url', wd, ['transcode', url, '-o', os.path.join(wd.path, 'o'),
                                                '--timeout', '2s'], 1, [url])
        if r.seconds > 15:
            fails.append('took %.1f s to give up with --timeout 2s' % r.seconds)
        return finish('dead-url', wd, fails, info)


def case_refused_url():
    with J.Workdir('refused-url') as wd:
        url = 'http://127.0.0.1:1/clip.mp4'
        fails, info, _ = check('refused-url', wd, ['transcode', url, '-o', os.path.join(wd.path, 'o')],
                               1, [url])
        return finish('refused-url', wd, fails, info)


CASES['dead-url'] = case_dead_url
CASES['refused-url'] = case_refused_url
CASES['missing-outdir'] = case_missing_outdir
CASES['no-input'] = case_no_input


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
