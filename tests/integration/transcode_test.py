#!/usr/bin/env python3
"""Integration cases for `onair transcode` and `onair encoders`, judged by ffprobe/ffmpeg.

    transcode_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    transcode_test.py --list
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

LADDER = '360p,240p'


def transcode(wd, src, fmt, ladder=LADDER, segment=2, extra=(), cpus=None):
    out = os.path.join(wd.path, 'out-' + fmt)
    args = ['transcode', src, '-o', out, '--format', fmt, '--segment', str(segment)]
    if ladder is not None:
        args += ['--ladder', ladder]
    # onair plans its threads for the CPUs it may run on
    r = J.run_onair(args + list(extra), wrapper=['taskset', '-c', cpus] if cpus else ())
    return out, r


def judged_transcode(name, kind, fmt, ladder=LADDER, segment=2, extra=(), more=None, cpus=None):
    """Generate `kind`, transcode to fmt, judge; `more(out, facts, result)` adds checks."""
    with J.Workdir(name) as wd:
        src, facts = J.make_media(kind, wd.path)
        out, r = transcode(wd, src, fmt, ladder, segment, extra, cpus)
        fails = J.crash_failures(r)
        info = ['onair took %.1f s' % r.seconds]
        if r.returncode != 0:
            fails.append('onair exited %s\n%s' % (r.returncode, r.describe()))
        else:
            exp = J.expectation(facts, ladder or '720p,480p,360p', segment, fmt)
            f, i = J.judge_output(out, exp)
            fails += f
            info += i
            if more:
                f, i = more(out, facts, r)
                fails += f
                info += i
        rc = J.report(name, fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


# -- cases -------------------------------------------------------------------

def case_format(fmt):
    return lambda: judged_transcode('format-' + fmt, 'std', fmt)


def case_taller():
    """Default ladder on a 360p source: 720p and 480p are left out with a notice."""
    def more(out, facts, r):
        f = []
        for rung in ('720p', '480p'):
            if rung not in r.stderr:
                f.append('no notice naming the left-out rung %s on stderr; stderr was:\n%s' %
                         (rung, r.stderr[-1500:]))
        return f, []
    return judged_transcode('taller-rung', 'std', 'hls', ladder=None, more=more)


def case_custom_rung():
    """Also: on 2 CPUs, encoding two rungs is most of the work, so the 360p source
    is decoded in one thread (frame threads cost CPU of their own); the decoder,
    opened with libavcodec's threads while the source was probed, is opened again."""
    def more(out, facts, r):
        opened = re.findall(r'h264 decoder, (\d+) threads?', r.stderr)
        if len(opened) != 2 or int(opened[0]) < 2 or opened[1] != '1':
            return ['expected the decoder opened with threads, then again with 1 thread; '
                    'decoder lines: %r\n%s' % (opened, r.stderr[-1500:])], []
        return [], []
    return judged_transcode('custom-rung', 'std', 'hls-fmp4', ladder='480x270@600k,240p', extra=['-v'],
                            more=more, cpus='0,1')


def case_segment3():
    return judged_transcode('segment-3', 'std', 'hls', ladder='240p', segment=3)


def ntsc_more(out, facts, r):
    f = []
    if facts['fps'] != J.Fraction(30000, 1001):
        f.append('test bug: source rate %s' % facts['fps'])
    p = os.path.join(out, '360p', 'index.m3u8')
    if os.path.isfile(p):
        durs = [d for _, d in J.parse_media(p)['segments']]
        # 2 s at 30000/1001 is 59.94 frames: a segment is 59 or 60 frames.
        allowed = {'%.3f' % (k * 1001 / 30000) for k in (59, 60)}
        bad = ['%.3f' % d for d in durs[:-1] if '%.3f' % d not in allowed]
        if bad:
            f.append('360p EXTINF %s, each but the last must be one of %s' % (bad, sorted(allowed)))
        return f, ['360p EXTINF: %s' % ['%.3f' % d for d in durs]]
    return f, []


def case_ntsc(fmt):
    return lambda: judged_transcode('ntsc-' + fmt, 'ntsc', fmt, more=ntsc_more)


def case_interlaced():
    """A 30i TFF source comes out progressive (idet on the decoded output), same rate."""
    def more(out, facts, r):
        f = []
        src_c = J.idet(facts['path'])
        out_c = J.idet(os.path.join(out, '360p', 'index.m3u8'))
        if J.idet_verdict(src_c) != 'interlaced':
            f.append('test bug: idet does not see the source as interlaced: %s' % src_c)
        if J.idet_verdict(out_c) != 'progressive':
            f.append('output not deinterlaced: idet on 360p says %s' % out_c)
        return f, ['idet source %s, output %s' % (src_c, out_c)]
    return judged_transcode('interlaced', 'interlaced', 'hls', ladder='360p', more=more)


def case_noaudio(fmt):
    def more(out, facts, r):
        f = []
        if os.path.exists(os.path.join(out, 'audio')):
            f.append('OUTDIR/audio/ exists but the source has no audio')
        return f, []
    return lambda: judged_transcode('noaudio-' + fmt, 'noaudio', fmt, more=more)


def case_avsync(fmt):
    def more(out, facts, r):
        fails, info = [], []
        urls = []
        if fmt != 'dash':
            urls.append(os.path.join(out, 'master.m3u8'))
        if fmt in ('dash', 'cmaf'):
            urls.append(os.path.join(out, 'manifest.mpd'))
        for u in urls:
            f, i = J.sync_failures(os.path.basename(u), u, facts['fps'])
            fails += f
            info.append(i)
        return fails, info
    return lambda: judged_transcode('avsync-' + fmt, 'avsync', fmt, more=more)


def case_progress():
    def more(out, facts, r):
        f, info = [], []
        streams = {'stdout': r.stdout, 'stderr': r.stderr}
        found = None
        for name, text in streams.items():
            lines = [ln for ln in text.splitlines() if ln.strip()]
            objs = []
            for ln in lines:
                if ln.lstrip().startswith('{'):
                    try:
                        objs.append(json.loads(ln))
                    except ValueError as e:
                        f.append('%s: a line that starts with { is not JSON (%s): %r' %
                                 (name, e, ln[:200]))
            if objs:
                found = (name, lines, objs)
                break
        if not found:
            f.append('--progress json printed no JSON object on stdout or stderr')
            return f, info
        name, lines, objs = found
        nonjson = [ln for ln in lines if not ln.lstrip().startswith('{')]
        if nonjson:
            f.append('%s mixes JSON lines with other text (a script cannot parse it): %r' %
                     (name, nonjson[:3]))
        if not all(isinstance(o, dict) for o in objs):
            f.append('--progress json lines must each be one JSON object')
        # A percent-like field, if there is one, stays within 0..100 and never goes back.
        for key in sorted({k for o in objs if isinstance(o, dict) for k in o}):
            if 'percent' in key.lower() or key.lower() in ('progress', 'pct'):
                vals = [o[key] for o in objs if isinstance(o.get(key), (int, float))]
                if vals and (min(vals) < 0 or max(vals) > 100 or
                             any(b < a for a, b in zip(vals, vals[1:]))):
                    f.append('%s values %s are not a rising 0..100 percentage' % (key, vals))
                if vals and vals[-1] < 99.9 and 'fraction' not in key:
                    f.append('last %s is %s, not 100 at the end' % (key, vals[-1]))
        info.append('%d JSON progress objects on %s; last: %s' %
                    (len(objs), name, json.dumps(objs[-1])[:300]))
        return f, info
    return judged_transcode('progress-json', 'std', 'hls', ladder='240p',
                            extra=['--progress', 'json'], more=more)


def case_quiet():
    """-q hides progress and notices (the default ladder would give notices here)."""
    with J.Workdir('quiet') as wd:
        src, facts = J.make_media('std', wd.path)
        out, r = transcode(wd, src, 'hls', ladder=None, extra=['-q'])
        fails = J.crash_failures(r)
        if r.returncode != 0:
            fails.append('onair exited %s\n%s' % (r.returncode, r.describe()))
        if r.stdout.strip() or r.stderr.strip():
            fails.append('with -q a clean transcode printed something:\nstdout: %r\nstderr: %r' %
                         (r.stdout[-800:], r.stderr[-800:]))
        if r.returncode == 0 and not os.path.isfile(os.path.join(out, 'master.m3u8')):
            fails.append('no master.m3u8')
        rc = J.report('quiet', fails, keep=wd.path)
        wd.ok = rc == 0
        return rc


def case_encoders():
    r = J.run_onair(['encoders'], timeout=60)
    fails = J.crash_failures(r)
    if r.returncode != 0:
        fails.append('`onair encoders` exited %s\n%s' % (r.returncode, r.describe()))
    text = r.stdout
    lines = text.splitlines()
    neg = re.compile(r'\b(no|not|unusable|unavailable|missing|cannot|can\'t|failed?|error)\b',
                     re.I)
    pos = re.compile(r'\b(yes|usable|ok|available|ready)\b|✓', re.I)
    x = [ln for ln in lines if re.search(r'\bx264\b', ln)]
    if not x:
        fails.append('`onair encoders` stdout has no x264 line:\n' + text)
    elif neg.search(x[0]) or not pos.search(x[0]):
        fails.append('x264 is not listed as usable: %r' % x[0])
    for hw in ('nvenc', 'vaapi', 'qsv'):
        hl = [ln for ln in lines if hw in ln.lower()]
        if not hl:
            fails.append('`onair encoders` does not list %s' % hw)
            continue
        usable = pos.search(hl[0]) and not neg.search(hl[0])
        dev = {'nvenc': '/dev/nvidia0', 'vaapi': '/dev/dri', 'qsv': '/dev/dri'}[hw]
        if usable and not os.path.exists(dev):
            fails.append('%s listed as usable on a host without %s: %r' % (hw, dev, hl[0]))
        if not usable:
            # the reason: the line (or the next, indented) says more than the verdict
            idx = lines.index(hl[0])
            reason = hl[0] + (' ' + lines[idx + 1] if idx + 1 < len(lines) and
                              lines[idx + 1].startswith((' ', '\t')) else '')
            words = re.findall(r'[A-Za-z]{3,}', reason)
            if len(words) < 4:
                fails.append('%s is not usable but no reason is given: %r' % (hw, reason))
    return J.report('encoders', fails, ['onair encoders said:\n' + text])


def case_http_input():
    """INPUT as an http:// URL, served from 127.0.0.1 by Python's own server (which
    answers no byte ranges, so the file is one a player could stream: moov first)."""
    import functools
    import http.server
    import threading
    with J.Workdir('http-input') as wd:
        made, facts = J.make_media('std', wd.path)
        src = os.path.join(wd.path, 'web.mp4')
        J.must(['ffmpeg', '-nostdin', '-v', 'error', '-i', made, '-c', 'copy', '-movflags', '+faststart', src])
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=wd.path)
        handler.log_message = lambda *a: None
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            url = 'http://127.0.0.1:%d/%s' % (srv.server_address[1], os.path.basename(src))
            out, r = transcode(wd, url, 'hls')
        finally:
            srv.shutdown()
        fails = J.crash_failures(r)
        info = ['$ onair transcode %s; took %.1f s' % (url, r.seconds)]
        if r.returncode != 0:
            fails.append('onair exited %s\n%s' % (r.returncode, r.describe()))
        else:
            f, i = J.judge_output(out, J.expectation(facts, LADDER, 2, 'hls'))
            fails += f
            info += i
        rc = J.report('http-input', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def case_udp_live():
    """A live MPEG-TS over UDP from the ffmpeg CLI (-re); when the sender stops, onair
    takes the silence (--timeout) as the end and writes a complete VOD."""
    import subprocess
    import time
    with J.Workdir('udp-live') as wd:
        src, facts = J.make_media('std', wd.path, duration=6)
        port = J.free_port(udp=True)
        url = 'udp://127.0.0.1:%d' % port
        out = os.path.join(wd.path, 'out-udp')
        onair = subprocess.Popen([J.onair_path(), 'transcode', url, '-o', out, '--ladder', LADDER,
                                  '--timeout', '3s'], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(0.5)
        sender = J.run(['ffmpeg', '-nostdin', '-v', 'error', '-re', '-i', src, '-c', 'copy',
                        '-f', 'mpegts', url + '?pkt_size=1316'], timeout=60)
        fails = []
        try:
            _, err = onair.communicate(timeout=60 * J.timeout_scale())
        except subprocess.TimeoutExpired:
            onair.kill()
            _, err = onair.communicate()
            fails.append('onair did not end after the sender stopped (--timeout 3s)')
        err = err.decode('utf-8', 'replace')
        info = ['sender exit %s; onair exit %s; stderr: %s' % (sender.returncode, onair.returncode,
                                                             err.strip()[-800:])]
        if onair.returncode != 0:
            fails.append('onair exited %s' % onair.returncode)
        elif 'no data for' not in err:
            fails.append('no warning that the input went silent')
        else:
            exp = J.expectation(facts, LADDER, 2, 'hls')
            exp['frames'] = None   # a live capture starts wherever it joins
            f, i = J.judge_output(out, exp)
            fails += f
            info += i
        rc = J.report('udp-live', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def case_sigint():
    """Ctrl-C mid-transcode: onair stops within seconds, exits 1, and leaves complete
    playlists (ENDLIST) of what it transcoded, every segment decodable; no temp files."""
    import subprocess
    import time
    with J.Workdir('sigint') as wd:
        src, facts = J.make_media('std', wd.path, duration=60)
        out = os.path.join(wd.path, 'out')
        p = subprocess.Popen([J.onair_path(), 'transcode', src, '-o', out, '--ladder', LADDER,
                              '--preset', 'medium'], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        # mid-transcode: once the first segment is out (a loaded machine, or the sanitizer
        # build, may take longer than any fixed wait to get there)
        give_up = time.monotonic() + 30 * J.timeout_scale()
        first = os.path.join(out, '360p', 'seg_00000000.ts')
        while not os.path.exists(first) and p.poll() is None and time.monotonic() < give_up:
            time.sleep(0.1)
        p.send_signal(__import__('signal').SIGINT)
        t0 = time.monotonic()
        fails = []
        try:
            _, err = p.communicate(timeout=30 * J.timeout_scale())
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            fails.append('onair did not stop within 30 s of SIGINT')
        took = time.monotonic() - t0
        err = err.decode('utf-8', 'replace')
        info = ['stopped %.1f s after SIGINT, exit %s; stderr: %s' % (took, p.returncode,
                                                                    err.strip()[-500:])]
        if p.returncode != 1:
            fails.append('exit status %s after SIGINT, expected 1 (the job was cut short)'
                         % p.returncode)
        if p.returncode is not None and p.returncode < 0:
            fails.append('onair died of the signal instead of stopping cleanly')
        for rung in ('360p', '240p'):
            pl = os.path.join(out, rung, 'index.m3u8')
            if not os.path.isfile(pl):
                fails.append('no %s after SIGINT' % pl)
                continue
            text = open(pl).read()
            if '#EXT-X-ENDLIST' not in text:
                fails.append('%s is not complete (no ENDLIST)' % pl)
            if text.count('#EXTINF') < 1:
                fails.append('%s lists no segment' % pl)
        for root, _, files in os.walk(out):
            for f in files:
                if f.endswith('.tmp'):
                    fails.append('a temporary file was left: %s' % os.path.join(root, f))
        r = J.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', os.path.join(out, 'master.m3u8'),
                   '-f', 'null', '-'], timeout=120)
        if r.returncode != 0 or r.stderr.strip():
            fails.append('the ffmpeg CLI cannot decode what was left:\n' + r.describe())
        rc = J.report('sigint', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {
    'format-hls': case_format('hls'),
    'format-hls-fmp4': case_format('hls-fmp4'),
    'format-dash': case_format('dash'),
    'format-cmaf': case_format('cmaf'),
    'taller-rung': case_taller,
    'custom-rung': case_custom_rung,
    'segment-3': case_segment3,
    'ntsc-hls': case_ntsc('hls'),
    'ntsc-cmaf': case_ntsc('cmaf'),
    'interlaced': case_interlaced,
    'noaudio-hls': case_noaudio('hls'),
    'noaudio-cmaf': case_noaudio('cmaf'),
    'avsync-hls': case_avsync('hls'),
    'avsync-cmaf': case_avsync('cmaf'),
    'progress-json': case_progress,
    'quiet': case_quiet,
    'encoders': case_encoders,
    'http-input': case_http_input,
    'udp-live': case_udp_live,
    'sigint': case_sigint,
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
