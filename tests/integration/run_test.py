#!/usr/bin/env python3
"""Integration cases for `onair run` (live channels), judged from the output with
ffprobe and the ffmpeg CLI, and against the wall clock.

    run_test.py CASE      (ONAIR=path/to/onair; default build/cli/onair)
    run_test.py --list
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

FPS = 25
W, H = 320, 180
RUNG = '%dx%d' % (W, H)   # the one rung of write_conf's ladder
SLATE = '#808080'

# BT.601 limited range (Y, U, V) of the colours the test uses
COLOURS = {'red': (81, 90, 240), 'blue': (41, 240, 110), 'green': (145, 54, 34),
           'slate': (126, 128, 128)}


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def parse_iso(s):
    return datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()


def make_clip(directory, name, colour, tone, seconds):
    """A plain-colour clip with a tone (frequency) or silence (None)."""
    path = os.path.join(directory, name + '.mp4')
    audio = (['-f', 'lavfi', '-i', 'sine=frequency=%d:sample_rate=48000:duration=%d' % (tone, seconds)]
             if tone else ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo'])
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
            'color=c=%s:s=%dx%d:r=%d:d=%d' % (colour, W, H, FPS, seconds)] + audio +
           ['-t', str(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25',
            '-c:a', 'aac', '-shortest', path])
    return path


def make_clips(directory, clips):
    """make_clip for each (name, colour, tone, seconds) of clips, side by side: their paths."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(clips)) as pool:
        return [f.result() for f in [pool.submit(make_clip, directory, *c) for c in clips]]


def write_conf(directory, sources, items, extra='', window=40, loop=False, output='', outdir='out'):
    """channel.yaml of a test channel; output: more keys of `output` (', formats: [hls]')."""
    conf = os.path.join(directory, 'channel.yaml')
    with open(conf, 'w') as f:
        f.write('channel: test\n'
                'video: { width: %d, height: %d, fps: %d }\n'
                'ladder: [ "%dx%d@400k" ]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'slate: { text: "", color: "%s" }\n'
                'sources:\n%s'
                'schedule:\n  loop: %s\n  items:\n%s'
                'output: { dir: %s, segment: 1s, window: %d%s }\n%s'
                % (W, H, FPS, W, H, SLATE, sources, 'true' if loop else 'false', items, outdir, window, output,
                   extra))
    return conf


def start_onair(conf, *args):
    return subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none'] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def finish(p, timeout=30):
    try:
        out, err = p.communicate(timeout=timeout * J.timeout_scale())
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return None, err.decode('utf-8', 'replace')
    return p.returncode, err.decode('utf-8', 'replace')


def playlist(out, rung):
    """Segments of a rendition's live playlist: [(name, extinf, pdt, discontinuity)]."""
    segs, pdt, disc, dur = [], None, False, None
    text = open(os.path.join(out, rung, 'index.m3u8')).read()
    for ln in text.splitlines():
        if ln.startswith('#EXT-X-PROGRAM-DATE-TIME:'):
            pdt = parse_iso(ln.split(':', 1)[1])
        elif ln.startswith('#EXTINF:'):
            dur = float(ln[8:].split(',')[0])
        elif ln == '#EXT-X-DISCONTINUITY':
            disc = True
        elif ln and not ln.startswith('#'):
            segs.append((ln, dur, pdt, disc))
            pdt, disc = None, False
    return segs, text


def vod_copy(out, rung):
    """The live playlist closed with ENDLIST, for the ffmpeg CLI (FIELD-NOTES)."""
    src = os.path.join(out, rung, 'index.m3u8')
    dst = os.path.join(out, rung, 'judge.m3u8')
    with open(src) as f, open(dst, 'w') as g:
        g.write(f.read() + '#EXT-X-ENDLIST\n')
    return dst


def frame_colours(url):
    """The colour of every decoded frame, by its average Y, U and V."""
    meta = url + '.yuv.txt'
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', '0:v:0', '-vf',
            'signalstats,metadata=mode=print:file=' + meta, '-f', 'null', '-'], timeout=300)
    frames, cur = [], {}
    for ln in open(meta):
        m = re.search(r'lavfi\.signalstats\.(YAVG|UAVG|VAVG)=([\d.]+)', ln)
        if m:
            cur[m.group(1)] = float(m.group(2))
            if len(cur) == 3:
                y, u, v = cur['YAVG'], cur['UAVG'], cur['VAVG']
                name = min(COLOURS, key=lambda c: sum((a - b) ** 2 for a, b in
                                                      zip(COLOURS[c], (y, u, v))))
                frames.append(name)
                cur = {}
    return frames


def audio_levels(url):
    """RMS level (dB) of each video frame's worth of audio (1920 samples at 25 fps)."""
    meta = url + '.rms.txt'
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', '0:a:0', '-af',
            'asetnsamples=n=%d,astats=metadata=1:reset=1,ametadata=mode=print:'
            'key=lavfi.astats.Overall.RMS_level:file=%s' % (48000 // FPS, meta),
            '-f', 'null', '-'], timeout=300)
    levels = []
    for ln in open(meta):
        m = re.search(r'RMS_level=(-?[\d.]+|-inf)', ln)
        if m:
            levels.append(-200.0 if m.group(1) == '-inf' else float(m.group(1)))
    return levels


def runs(seq):
    """[(value, first index, length)] of consecutive equal values."""
    out = []
    for i, v in enumerate(seq):
        if out and out[-1][0] == v:
            out[-1][2] += 1
        else:
            out.append([v, i, 1])
    return out


def case_schedule():
    """Two files (red + 440 Hz, blue + silence) that follow each other from the start,
    a gap, and a green file at an absolute `at`: each program airs on its scheduled
    frame, the slate fills the gap, PDT is the wall clock, segments are exactly 1 s,
    timestamps are continuous, and the audio switches with the picture. The judges
    (picture, timestamps, audio, a plain decode) read the output side by side."""
    with J.Workdir('run-schedule') as wd:
        make_clips(wd.path, [('red', 'red', 440, 8), ('blue', 'blue', None, 8), ('green', 'lime', 880, 8)])
        # the gap: red and blue take 7 s of the channel, which goes on air ~2 s after
        # this (more under load), so `at` 11.5 s ahead leaves ~2.5 s of slate before it
        at = time.time() + 11.5
        conf = write_conf(wd.path,
                          '  red: { file: red.mp4 }\n  blue: { file: blue.mp4 }\n'
                          '  green: { file: green.mp4 }\n',
                          '    - { source: red, duration: 4s, title: "Red" }\n'
                          '    - { source: blue, duration: 3s, title: "Blue" }\n'
                          '    - { at: "%s", source: green, duration: 3s, title: "Green" }\n'
                          % iso(at))
        # green ends ~12.5 s into the channel, which has ~14 s (the slate after green)
        p = start_onair(conf, '--for', '15s')
        rc, err = finish(p, 60)
        out = os.path.join(wd.path, 'out')
        fails, info = [], ['onair exit %s; stderr: %s' % (rc, err.strip()[-800:])]
        if rc != 0:
            fails.append('onair run exited %s' % rc)
            return finish_case('run-schedule', wd, fails, info)
        rung = RUNG
        segs, text = playlist(out, rung)
        asrun = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        info.append('as-run: ' + '; '.join('%s %s' % (a['title'], a['actual_start']) for a in asrun))
        start = parse_iso(asrun[0]['actual_start'])
        # segments: exactly 1 s, PDT contiguous from the channel's start, not ahead of the clock
        if any(abs(d - 1.0) > 0.0005 for _, d, _, _ in segs):
            fails.append('EXTINF not all 1.000: %s' % [d for _, d, _, _ in segs])
        for i, (name, d, pdt, _) in enumerate(segs):
            if pdt is None or abs(pdt - (start + i)) > 0.002:
                fails.append('%s: PROGRAM-DATE-TIME %s, expected %s' % (name, pdt, iso(start + i)))
                break
            written = os.path.getmtime(os.path.join(out, rung, name))
            if not (pdt + d - 0.05 <= written <= pdt + d + 2.0):
                fails.append('%s written at %s: not within 2 s after it aired (%s)' %
                             (name, iso(written), iso(pdt + d)))
        first = parse_iso(asrun[0]['scheduled_start'])
        if abs(start - first) > 0.5:
            fails.append('first program aired at %s, scheduled %s' % (iso(start), iso(first)))
        # the judges read the output side by side (each is one ffmpeg or ffprobe)
        from concurrent.futures import ThreadPoolExecutor
        url = vod_copy(out, rung)
        with ThreadPoolExecutor(4) as pool:
            colours_f = pool.submit(frame_colours, url)
            pts_f = pool.submit(J.must, ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries',
                                         'frame=pts_time', '-of', 'csv=p=0', url], timeout=120)
            levels_f = pool.submit(audio_levels, url)
            decode_f = pool.submit(J.run, ['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-f', 'null', '-'],
                                   timeout=120)
            colours, r, levels, decoded = colours_f.result(), pts_f.result(), levels_f.result(), decode_f.result()
        # the picture: program by program, on its frame
        got = [(c, i, n) for c, i, n in runs(colours)]
        at_frame = round((at - start) * FPS + 0.4999)
        want = [('red', 0, 4 * FPS), ('blue', 4 * FPS, 3 * FPS),
                ('slate', 7 * FPS, at_frame - 7 * FPS), ('green', at_frame, 3 * FPS),
                ('slate', at_frame + 3 * FPS, None)]
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        if len(got) != len(want):
            fails.append('programs on air: %s, expected %s' % ([g[0] for g in got], [w[0] for w in want]))
        else:
            for (c, i, n), (wc, wi, wn) in zip(got, want):
                if c != wc or abs(i - wi) > 1 or (wn is not None and abs(n - wn) > 1):
                    fails.append('%s from frame %d for %d frames, expected %s from %d for %s'
                                 % (c, i, n, wc, wi, wn))
        # timestamps: every frame one frame after the one before, across all segments
        pts = [float(x.strip(',')) for x in r.stdout.split() if x.strip(',')]
        steps = [round((b - a) * FPS, 3) for a, b in zip(pts, pts[1:])]
        if any(s != 1.0 for s in steps):
            fails.append('video timestamps are not continuous: steps %s' %
                         sorted(set(steps)))
        # the audio: the tone of each program, switched with its picture
        loud = ['tone' if lv > -30 else 'quiet' for lv in levels]
        tone_runs = runs(loud)
        info.append('audio: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in tone_runs))
        want_audio = [('tone', 0), ('quiet', 4 * FPS), ('tone', at_frame), ('quiet', at_frame + 3 * FPS)]
        if len(tone_runs) != len(want_audio):
            fails.append('audio runs %s, expected %s' % ([t[0] for t in tone_runs],
                                                         [w[0] for w in want_audio]))
        else:
            for (c, i, _), (wc, wi) in zip(tone_runs, want_audio):
                if c != wc or abs(i - wi) > 1:
                    fails.append('audio %s from frame %d, expected from %d (out of sync)' % (c, i, wi))
        if '#EXT-X-DATERANGE:ID="program-' not in text or 'X-TITLE="Green"' not in text:
            fails.append('no DATERANGE for the programs in the playlist')
        if decoded.returncode != 0 or decoded.stderr.strip():
            fails.append('the ffmpeg CLI reports errors decoding the channel:\n' + decoded.stderr[-1000:])
        return finish_case('run-schedule', wd, fails, info)


def finish_case(name, wd, fails, info):
    rc = J.report(name, fails, info, keep=wd.path)
    wd.ok = rc == 0
    return rc


def sender(clip, port):
    return subprocess.Popen(['ffmpeg', '-nostdin', '-v', 'error', '-re', '-stream_loop', '-1', '-i', clip,
                             '-c', 'copy', '-f', 'mpegts', 'udp://127.0.0.1:%d?pkt_size=1316' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def published(out, rung):
    """How many segments the rendition's live playlist lists (0 before it exists)."""
    try:
        return len(playlist(out, rung)[0])
    except OSError:
        return 0


def outage(conf, clip, port):
    """The sender runs, dies once the channel has published a segment of it, comes back 5 s
    later (the stand-in takes over within its 2 s timeout plus a segment, 3.5 s
    allowed), and the channel is stopped 5 s after that (the source is back within
    4 s allowed): (exit, stderr, killed, restarted)."""
    snd = sender(clip, port)
    time.sleep(1.0)
    p = start_onair(conf)
    out = os.path.join(os.path.dirname(conf), 'out')
    give_up = time.time() + 30 * J.timeout_scale()
    while published(out, RUNG) < 1 and p.poll() is None and time.time() < give_up:
        time.sleep(0.1)
    os.killpg(snd.pid, signal.SIGKILL)
    snd.wait()
    killed = time.time()
    time.sleep(5.0)
    snd = sender(clip, port)
    restarted = time.time()
    time.sleep(5.0)
    p.send_signal(signal.SIGTERM)
    rc, err = finish(p, 30)
    os.killpg(snd.pid, signal.SIGKILL)
    snd.wait()
    return rc, err, killed, restarted


def judge_outage(name, wd, rc, err, killed, restarted, source, stand_in, asrun_check):
    """On air: `source`, then `stand_in` within timeout (2 s) plus a segment of the
    sender dying, then `source` again within a few seconds of its return."""
    out = os.path.join(wd.path, 'out')
    fails, info = [], ['onair exit %s; killed %s, restarted %s' % (rc, iso(killed), iso(restarted))]
    if rc != 0:
        fails.append('onair run exited %s after SIGTERM: %s' % (rc, err[-800:]))
        return finish_case(name, wd, fails, info)
    rung = RUNG
    segs, _ = playlist(out, rung)
    start = segs[0][2]
    got = runs(frame_colours(vod_copy(out, rung)))
    info.append('frames: ' + ', '.join('%s@%s+%d' % (c, iso(start + i / FPS), n) for c, i, n in got))
    seq = [c for c, _, n in got if n > 2]
    if seq[:3] != [source, stand_in, source]:
        fails.append('expected %s, then %s, then %s again; got %s' % (source, stand_in, source, seq))
    else:
        gone = next(g for g in got if g[0] == stand_in and g[2] > 2)
        back = got[got.index(gone) + 1]
        t_gone, t_back = start + gone[1] / FPS, start + back[1] / FPS
        if t_gone - killed > 2.0 + 1.0 + 0.5:
            fails.append('the %s came %.2f s after the sender died (timeout 2 s + a 1 s segment '
                         'allowed)' % (stand_in, t_gone - killed))
        if t_back - restarted > 1.0 + 3.0:
            fails.append('the source came back %.2f s after its sender restarted' % (t_back - restarted))
    asrun = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
    if not asrun or not asrun_check(asrun[-1]):
        fails.append('the as-run log does not show the outage: %s' % asrun)
    return finish_case(name, wd, fails, info)


def case_failover():
    """A live UDP source (the ffmpeg CLI sending a red clip) whose sender is killed:
    the slate within `timeout` plus one segment; the sender back: red again; the
    as-run log counts the failover and the time on the slate."""
    with J.Workdir('run-failover') as wd:
        red = make_clip(wd.path, 'red', 'red', 440, 4)
        port = J.free_port(udp=True)
        conf = write_conf(wd.path,
                          '  studio: { url: "udp://127.0.0.1:%d", timeout: 2s }\n' % port,
                          '    - { source: studio, duration: 1h, title: "Live" }\n')
        rc, err, killed, restarted = outage(conf, red, port)
        return judge_outage('run-failover', wd, rc, err, killed, restarted, 'red', 'slate',
                            lambda a: a['failovers'] == 1 and a['slate_seconds'] >= 2)


def case_failover_backup():
    """The same with a backup: a blue UDP source whose sender dies is replaced by its
    backup (a red file, looped) and taken back when the sender returns; the as-run
    log counts the time on the backup, none on the slate."""
    with J.Workdir('run-failover-backup') as wd:
        blue, _ = make_clips(wd.path, [('blue', 'blue', 440, 4), ('red', 'red', 880, 4)])
        port = J.free_port(udp=True)
        conf = write_conf(wd.path,
                          '  studio: { url: "udp://127.0.0.1:%d", timeout: 2s, backup: reserve }\n'
                          '  reserve: { file: red.mp4, loop: true }\n' % port,
                          '    - { source: studio, duration: 1h, title: "Live" }\n')
        rc, err, killed, restarted = outage(conf, blue, port)
        return judge_outage('run-failover-backup', wd, rc, err, killed, restarted, 'blue', 'red',
                            lambda a: a['failovers'] == 1 and a['backup_seconds'] >= 2 and
                            a['slate_seconds'] <= 0.5)


def case_rtmp():
    """A live RTMP source: the ffmpeg CLI serves a stream (-listen 1) and onair pulls it."""
    with J.Workdir('run-rtmp') as wd:
        blue = make_clip(wd.path, 'blue', 'blue', 440, 4)
        port = J.free_port(udp=True)
        url = 'rtmp://127.0.0.1:%d/live/studio' % port
        server = subprocess.Popen(['ffmpeg', '-nostdin', '-v', 'quiet', '-re', '-stream_loop', '-1', '-i', blue,
                                   '-c', 'copy', '-f', 'flv', '-listen', '1', url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(1.0)
        conf = write_conf(wd.path, '  studio: { url: "%s", timeout: 3s }\n' % url,
                          '    - { source: studio, duration: 1h }\n')
        p = start_onair(conf, '--for', '10s')
        rc, err = finish(p, 60)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        fails, info = [], ['onair exit %s' % rc]
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case('run-rtmp', wd, fails, info)
        got = runs(frame_colours(vod_copy(os.path.join(wd.path, 'out'), RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        if sum(n for c, _, n in got if c == 'blue') < 4 * FPS:
            fails.append('the RTMP stream did not come on air (at least 4 s of it)')
        return finish_case('run-rtmp', wd, fails, info)


def srt_case(name, onair_mode):
    """A live SRT source, onair as `onair_mode` and the ffmpeg CLI as the other end:
    the slate until the stream arrives, then the stream's picture."""
    with J.Workdir(name) as wd:
        blue = make_clip(wd.path, 'blue', 'blue', 440, 4)
        port = J.free_port(udp=True)
        peer = 'caller' if onair_mode == 'listener' else 'listener'
        conf = write_conf(wd.path, '  studio: { url: "srt://127.0.0.1:%d?mode=%s", timeout: 2s }\n'
                          % (port, onair_mode), '    - { source: studio, duration: 1h }\n')
        p = start_onair(conf, '--for', '14s')
        time.sleep(3.0)
        deadline = time.time() + 8
        snd = None
        while time.time() < deadline:
            # a caller gives up at once when nobody listens yet: try again
            snd = subprocess.Popen(['ffmpeg', '-nostdin', '-v', 'quiet', '-re', '-stream_loop', '-1',
                                    '-i', blue, '-c', 'copy', '-f', 'mpegts',
                                    'srt://127.0.0.1:%d?mode=%s' % (port, peer)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
            time.sleep(1.0)
            if snd.poll() is None:
                break
        rc, err = finish(p, 60)
        if snd and snd.poll() is None:
            os.killpg(snd.pid, signal.SIGKILL)
            snd.wait()
        fails, info = [], ['onair exit %s' % rc]
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case(name, wd, fails, info)
        out = os.path.join(wd.path, 'out')
        got = runs(frame_colours(vod_copy(out, RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        seq = [c for c, _, n in got if n > 2]
        if 'blue' not in seq or sum(n for c, _, n in got if c == 'blue') < 3 * FPS:
            fails.append('the SRT stream did not come on air (at least 3 s of it): %s' % seq)
        return finish_case(name, wd, fails, info)


def case_dash():
    """formats: [cmaf]: one set of fMP4 segments behind a live HLS playlist and a dynamic
    MPD (availabilityStartTime, SegmentTimeline, timeShiftBufferDepth, minimumUpdatePeriod,
    UTCTiming); every segment the MPD lists exists and decodes after its init segment,
    and its timeline starts where the HLS playlist's window does."""
    import xml.etree.ElementTree as ET
    with J.Workdir('run-dash') as wd:
        conf = write_conf(wd.path, '  bars: { generate: testsrc }\n',
                          '    - { source: bars, duration: 1h }\n', window=4)
        with open(conf) as f:
            text = f.read().replace('window: 4 }', 'window: 4, formats: [cmaf] }')
        with open(conf, 'w') as f:
            f.write(text)
        p = start_onair(conf, '--for', '9s')
        rc, err = finish(p, 60)
        fails, info = [], ['onair exit %s' % rc]
        out = os.path.join(wd.path, 'out')
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case('run-dash', wd, fails, info)
        ns = {'d': 'urn:mpeg:dash:schema:mpd:2011'}
        mpd = ET.parse(os.path.join(out, 'manifest.mpd')).getroot()
        for attr in ('availabilityStartTime', 'publishTime', 'timeShiftBufferDepth', 'minimumUpdatePeriod'):
            if not mpd.get(attr):
                fails.append('the MPD has no %s' % attr)
        if mpd.get('type') != 'dynamic':
            fails.append('MPD type %r, a live channel is dynamic' % mpd.get('type'))
        if mpd.find('d:UTCTiming', ns) is None:
            fails.append('the MPD has no UTCTiming')
        segs_hls, _ = playlist(out, RUNG)
        for rep in mpd.iter('{urn:mpeg:dash:schema:mpd:2011}Representation'):
            tpl = rep.find('d:SegmentTemplate', ns)
            number = int(tpl.get('startNumber'))
            count = sum(1 + int(s.get('r', 0)) for s in tpl.find('d:SegmentTimeline', ns))
            folder = os.path.join(out, rep.get('id'))
            names = ['seg_%08d.m4s' % n for n in range(number, number + count)]
            missing = [n for n in names if not os.path.exists(os.path.join(folder, n))]
            if missing:
                fails.append('%s: the MPD lists segments not on disk: %s' % (rep.get('id'), missing))
                continue
            joined = os.path.join(wd.path, rep.get('id') + '.mp4')
            with open(joined, 'wb') as j:
                for part in ['init.mp4'] + names:
                    with open(os.path.join(folder, part), 'rb') as f:
                        j.write(f.read())
            r = J.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', joined, '-f', 'null', '-'], timeout=60)
            if r.returncode != 0 or r.stderr.strip():
                fails.append('%s: init + segments do not decode: %s' % (rep.get('id'), r.stderr[-400:]))
            if rep.get('id') != 'audio' and segs_hls and names[0] != segs_hls[0][0]:
                fails.append('the MPD starts at %s, the HLS window at %s' % (names[0], segs_hls[0][0]))
            info.append('%s: %s..%s' % (rep.get('id'), names[0], names[-1]))
        return finish_case('run-dash', wd, fails, info)


def dateranges(text):
    """{ID: attributes} of a playlist's EXT-X-DATERANGEs."""
    out = {}
    for ln in text.splitlines():
        if ln.startswith('#EXT-X-DATERANGE:'):
            a = J.parse_attrs(ln.split(':', 1)[1])
            out[a.get('ID')] = a
    return out


def daterange_failures(before_text, after, after_text):
    """A program's DATERANGE across a restart: the ID and START-DATE it had before the
    kill are kept, and every START-DATE is the PROGRAM-DATE-TIME of the segment the
    program began in (programs here begin on segment boundaries), every end
    (START-DATE + DURATION) a segment's end."""
    fails, info = [], []
    old, new = dateranges(before_text), dateranges(after_text)
    starts = [s[2] for s in after if s[2] is not None]
    ends = [s[2] + s[1] for s in after if s[2] is not None and s[1] is not None]
    info.append('DATERANGEs before: %s' % sorted((k, a.get('START-DATE')) for k, a in old.items()))
    info.append('DATERANGEs after: %s' % sorted((k, a.get('START-DATE'), a.get('DURATION'))
                                                for k, a in new.items()))
    if not old:
        fails.append('no DATERANGE in the playlist before the kill')
    for k, a in old.items():
        if k not in new:
            fails.append('DATERANGE %s (on air before the kill) is gone after the restart' % k)
        elif new[k].get('START-DATE') != a.get('START-DATE'):
            fails.append('DATERANGE %s: START-DATE %s before the kill, %s after the restart' %
                         (k, a.get('START-DATE'), new[k].get('START-DATE')))
    for k, a in new.items():
        start = parse_iso(a['START-DATE'])
        if not any(abs(start - t) < 0.002 for t in starts):
            fails.append('DATERANGE %s: START-DATE %s is no segment\'s PROGRAM-DATE-TIME (%s)' %
                         (k, a['START-DATE'], ', '.join(iso(t) for t in starts)))
        if 'DURATION' in a and not any(abs(start + float(a['DURATION']) - t) < 0.002 for t in ends):
            fails.append('DATERANGE %s: ends at %s (START-DATE + DURATION), no segment ends there' %
                         (k, iso(start + float(a['DURATION']))))
    return fails, info


def audio_packets(path):
    """(pts, dts, duration) in seconds of a TS segment's audio packets, by ffprobe."""
    r = J.must(['ffprobe', '-v', 'error', '-select_streams', 'a:0', '-show_entries',
                'packet=pts_time,dts_time,duration_time', '-of', 'json', path])
    return [(float(p['pts_time']), float(p['dts_time']), float(p['duration_time']))
            for p in json.loads(r.stdout).get('packets', [])]


def restart_audio_failures(out, rung, after):
    """Audio across the restart: the first packet after it starts where the last one
    before it ended (TS timestamps run on across a restart), never before; no hole
    either (at most an AAC frame)."""
    fails, info = [], []
    first_new = next((i for i, s in enumerate(after) if s[3]), None)
    if not first_new:
        return ['no segment after the restart to compare audio across'], info
    last = audio_packets(os.path.join(out, rung, after[first_new - 1][0]))
    new = audio_packets(os.path.join(out, rung, after[first_new][0]))
    if not last or not new:
        return ['no audio packets around the restart (%d before, %d after)' % (len(last), len(new))], info
    end = max(p + d for p, _, d in last)
    end_dts = max(d + dur for _, d, dur in last)
    info.append('audio around the restart: the last packet before ends at %.6f s, the first after '
                'starts at %.6f s (dts %.6f)' % (end, new[0][0], new[0][1]))
    if new[0][0] < end - 1e-6 or new[0][1] < end_dts - 1e-6:
        fails.append('audio after the restart starts at pts %.6f dts %.6f, before the audio published '
                     'before the kill ends (%.6f): it overlaps by %.1f ms' %
                     (new[0][0], new[0][1], end, (end - new[0][0]) * 1000))
    elif new[0][0] - end > J.AAC_FRAME + 1e-6:
        fails.append('audio after the restart starts %.1f ms after the audio before it ends' %
                     ((new[0][0] - end) * 1000))
    for label, pk in (('before', last), ('after', new)):
        for (_, d0, u0), (_, d1, _) in zip(pk, pk[1:]):
            if d1 < d0 + u0 - 1e-6:
                fails.append('audio dts goes back %s the restart: %.6f after %.6f' % (label, d1, d0))
                break
    return fails, info


def case_restart():
    """SIGKILL mid-run, start again: the published window is kept, the media
    sequence and names go on, a DISCONTINUITY marks the restart, the ffmpeg CLI reads
    the playlist across it; a program on air across the restart keeps its DATERANGE
    (ID, START-DATE: its first segment's PROGRAM-DATE-TIME); audio after the restart
    never overlaps audio before it; SIGTERM ends the run within a segment plus 2 s."""
    with J.Workdir('run-restart') as wd:
        conf = write_conf(wd.path, '  bars: { generate: testsrc }\n',
                          '    - { source: bars, duration: 1h, title: "Bars" }\n')
        out = os.path.join(wd.path, 'out')
        rung = RUNG
        p = start_onair(conf)
        time.sleep(7.0)
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        before, before_text = playlist(out, rung)
        time.sleep(2.0)
        p = start_onair(conf)
        time.sleep(7.0)
        t = time.time()
        p.send_signal(signal.SIGTERM)
        rc, err = finish(p, 30)
        took = time.time() - t
        after, text = playlist(out, rung)
        fails, info = [], ['before: %s' % [s[0] for s in before], 'after: %s' % [s[0] for s in after],
                           'SIGTERM to exit: %.2f s, exit %s' % (took, rc)]
        if rc != 0:
            fails.append('exit %s after SIGTERM; stderr: %s' % (rc, err[-800:]))
        if took > 1.0 + 2.0 + 1.0:
            fails.append('SIGTERM took %.2f s (a 1 s segment + 2 s allowed)' % took)
        names_before = [s[0] for s in before]
        names_after = [s[0] for s in after]
        if not before or names_after[:len(names_before)] != names_before:
            fails.append('the window published before the kill is not kept at the head')
        nums = [int(re.search(r'(\d+)', n).group(1)) for n in names_after]
        if nums != list(range(nums[0], nums[0] + len(nums))):
            fails.append('segment numbers do not continue: %s' % nums)
        discs = [s[0] for s in after if s[3]]
        if len(discs) != 1 or names_after.index(discs[0]) != len(before):
            fails.append('one DISCONTINUITY expected, at the first new segment; got before %s' % discs)
        r = J.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', vod_copy(out, rung), '-f', 'null', '-'],
                  timeout=120)
        if r.returncode != 0:
            fails.append('the ffmpeg CLI cannot read across the restart:\n' + r.stderr[-1000:])
        r = J.run(['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
                   'stream=nb_read_frames', '-of', 'csv=p=0', vod_copy(out, rung)], timeout=120)
        counts = [int(x) for x in r.stdout.split() if x.strip().isdigit()]
        frames = counts[0] if counts else 0
        if frames < (len(after) - 1) * FPS:
            fails.append('only %d frames decoded of %d segments' % (frames, len(after)))
        for f, i in (daterange_failures(before_text, after, text), restart_audio_failures(out, rung, after)):
            fails += f
            info += i
        return finish_case('run-restart', wd, fails, info)


def make_tone(directory, name, amplitude, seconds):
    path = os.path.join(directory, name + '.mp4')
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
            'color=c=black:s=%dx%d:r=%d:d=%d' % (W, H, FPS, seconds), '-f', 'lavfi', '-i',
            'aevalsrc=%g*sin(2*PI*440*t)|%g*sin(2*PI*440*t):s=48000:d=%d' % (amplitude, amplitude, seconds),
            '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-b:a', '128k', '-shortest', path])
    return path


def short_term(url):
    """EBU R128 short-term loudness (LUFS) every 100 ms, by the ffmpeg CLI's ebur128 filter."""
    meta = url + '.r128.txt'
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', '0:a:0', '-af',
            'ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.S:file=' + meta,
            '-f', 'null', '-'], timeout=300)
    values = []
    for ln in open(meta):
        m = re.search(r'lavfi\.r128\.S=(-?[\d.]+|-inf)', ln)
        if m:
            values.append(-120.0 if m.group(1) == '-inf' else float(m.group(1)))
    return values


def case_audio_gap():
    """A file whose audio pauses (nothing from 1 s to 3.6 s while its picture goes on)
    airs silence for exactly the pause and its audio after it in its place: the ffmpeg
    CLI's astats, a video frame's worth of audio at a time."""
    with J.Workdir('run-audio-gap') as wd:
        J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
                'color=c=red:s=%dx%d:r=%d:d=8' % (W, H, FPS), '-f', 'lavfi', '-i',
                'sine=frequency=440:sample_rate=48000:duration=8', '-filter_complex',
                "[1:a]aselect='not(between(t,1,3.6))',asetpts=PTS[a]", '-map', '0:v', '-map', '[a]',
                '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts',
                os.path.join(wd.path, 'gap.ts')])
        conf = write_conf(wd.path, '  clip: { file: gap.ts }\n', '    - { source: clip, duration: 8s }\n')
        p = start_onair(conf, '--for', '8.5s')
        rc, err = finish(p, 60)
        fails, info = [], ['onair exit %s' % rc]
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case('run-audio-gap', wd, fails, info)
        levels = audio_levels(vod_copy(os.path.join(wd.path, 'out'), RUNG))
        # frames 25..89 (1 s to 3.6 s) silent, the tone around them; a frame either side
        # of each edge may hold a little of both (AAC frames straddle them), and the
        # clip's first is mostly its encoder's priming
        edges = {0, 24, 25, 89, 90}
        wrong = [i for i, v in enumerate(levels[:7 * FPS])
                 if i not in edges and (v > -60) != (i < 25 or i >= 90)]
        info.append('audio level by frame (dB): %s' % ' '.join('%.0f' % v for v in levels[:7 * FPS]))
        if len(levels) < 7 * FPS:
            fails.append('only %d frames of audio' % len(levels))
        if wrong:
            fails.append('%d frames with the tone where the file is silent or silent where it has the '
                         'tone (expected: tone before frame 25 and from frame 90), first at frames %s' %
                         (len(wrong), wrong[:8]))
        return finish_case('run-audio-gap', wd, fails, info)


# The programs of run loudness. The normaliser's gain moves at most 6 dB a second and
# follows a 3 s meter; the ffmpeg CLI's short-term value is a 3 s one. The quiet
# program (first, the gain from 0 dB to about +20) reads -23 +-0.1 about 5.5 s in;
# the loud one (the gain from +20 to about -14 dB) about 8.5 s in. Each is judged on
# its last 3 s.
QUIET_S, LOUD_S = 9, 12


def case_loudness():
    """audio.loudness: -23: a quiet program (-40 dBFS) and a loud one (-6 dBFS) both go
    out near -23 LUFS once the normaliser has settled, by the ffmpeg CLI's own meter."""
    with J.Workdir('run-loudness') as wd:
        # each clip a second longer than its program; made side by side
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(2) as pool:
            for f in [pool.submit(make_tone, wd.path, 'quiet', 0.01, QUIET_S + 1),
                      pool.submit(make_tone, wd.path, 'loud', 0.5, LOUD_S + 1)]:
                f.result()
        conf = write_conf(wd.path, '  quiet: { file: quiet.mp4 }\n  loud: { file: loud.mp4 }\n',
                          '    - { source: quiet, duration: %ds }\n'
                          '    - { source: loud, duration: %ds }\n' % (QUIET_S, LOUD_S),
                          extra='audio: { loudness: -23 }\n')
        p = start_onair(conf, '--for', '%gs' % (QUIET_S + LOUD_S + 1.5))
        rc, err = finish(p, 60)
        fails, info = [], ['onair exit %s' % rc]
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case('run-loudness', wd, fails, info)
        out = os.path.join(wd.path, 'out')
        st = short_term(vod_copy(out, RUNG))
        # 10 values a second: the last 3 s of each program
        quiet = st[(QUIET_S - 3) * 10:(QUIET_S - 3) * 10 + 28]
        loud = st[(QUIET_S + LOUD_S - 3) * 10:(QUIET_S + LOUD_S - 3) * 10 + 28]
        info.append('short-term LUFS, quiet program end: %s' % [round(v, 1) for v in quiet[::5]])
        info.append('short-term LUFS, loud program end: %s' % [round(v, 1) for v in loud[::5]])
        for name, vals in (('quiet', quiet), ('loud', loud)):
            if not vals or max(abs(v + 23) for v in vals) > 2.0:
                fails.append('the %s program is not at -23 LUFS (+-2) once settled' % name)
        return finish_case('run-loudness', wd, fails, info)


def case_two_channels():
    """Two channels in one process; one cannot go on air (its output folder is a
    file): it says so, and the other plays out regardless."""
    with J.Workdir('run-two') as wd:
        a_dir = os.path.join(wd.path, 'a')
        b_dir = os.path.join(wd.path, 'b')
        os.makedirs(a_dir)
        os.makedirs(b_dir)
        a = write_conf(a_dir, '  bars: { generate: testsrc }\n',
                       '    - { source: bars, duration: 1h }\n')
        b = write_conf(b_dir, '  bars: { generate: testsrc }\n',
                       '    - { source: bars, duration: 1h }\n')
        with open(b) as f:
            text = f.read().replace('channel: test', 'channel: other')
        with open(b, 'w') as f:
            f.write(text)
        open(os.path.join(b_dir, 'out'), 'w').close()   # where b's folder should be
        p = start_onair(a, b, '--for', '6s')
        rc, err = finish(p, 60)
        fails, info = [], ['exit %s; stderr: %s' % (rc, err.strip()[-600:])]
        if 'other' not in err or 'out' not in err:
            fails.append('no error naming the channel that could not start and its folder')
        segs = [f for f in os.listdir(os.path.join(a_dir, 'out', RUNG)) if f.endswith('.ts')]
        if len(segs) < 3:
            fails.append('the other channel did not play out: %s' % segs)
        if rc != 1:
            fails.append('exit status %s; 1 expected (a channel failed)' % rc)
        return finish_case('run-two', wd, fails, info)


def case_wrap():
    """26.5 hours in: MPEG-TS timestamps (33 bits of 90 kHz) wrap inside the run. The
    channel resumes from a state 2 s before the wrap; the ffmpeg CLI reads the segments
    across it without an error and every frame is there."""
    with J.Workdir('run-wrap') as wd:
        conf = write_conf(wd.path, '  bars: { generate: testsrc }\n',
                          '    - { source: bars, duration: 100h }\n')
        out = os.path.join(wd.path, 'out')
        os.makedirs(out)
        # output timestamps are 10 s + frame / fps; the wrap is at 2^33 / 90000 s
        wrap_frame = int((2 ** 33 / 90000 - 10) * FPS)
        first = (wrap_frame - 2 * FPS) // FPS * FPS
        with open(os.path.join(out, '.onair-state'), 'w') as f:
            f.write('onair-state 1\nchannel-start %d\nnext-frame %d\n' % (int(time.time() * 1e6), first))
        p = start_onair(conf, '--for', '8s')
        rc, err = finish(p, 60)
        fails, info = [], ['onair exit %s, from frame %d (wrap at %d)' % (rc, first, wrap_frame)]
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-800:]))
            return finish_case('run-wrap', wd, fails, info)
        rung = RUNG
        segs, _ = playlist(out, rung)
        url = vod_copy(out, rung)
        firsts = []
        for name, _, _, _ in segs:
            # the raw 33-bit values, as they are in the segment
            r = J.run(['ffprobe', '-v', 'error', '-correct_ts_overflow', '0', '-select_streams', 'v:0',
                       '-show_entries', 'packet=pts', '-of', 'csv=p=0', os.path.join(out, rung, name)],
                      timeout=60)
            vals = [int(x.strip(',')) for x in r.stdout.split() if x.strip(',').isdigit()]
            firsts.append(min(vals) if vals else None)
        info.append('first pts of each segment: %s' % firsts)
        if not any(a is not None and b is not None and b < a for a, b in zip(firsts, firsts[1:])):
            fails.append('the timestamps did not wrap within the run (test setup)')
        r = J.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-f', 'null', '-'], timeout=120)
        if r.returncode != 0 or r.stderr.strip():
            fails.append('the ffmpeg CLI reports errors across the wrap:\n' + r.stderr[-800:])
        r = J.run(['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
                   'stream=nb_read_frames', '-of', 'csv=p=0', url], timeout=120)
        counts = [int(x) for x in r.stdout.split() if x.strip().isdigit()]
        if not counts or counts[0] != len(segs) * FPS:
            fails.append('%s frames decoded across the wrap, %d expected' % (counts, len(segs) * FPS))
        return finish_case('run-wrap', wd, fails, info)


def fill(path):
    """Writes zeros to path until the filesystem is full."""
    chunk = b'\0' * 65536
    with open(path, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise


def gap_segments(text):
    """The URIs a media playlist lists with EXT-X-GAP (the tag, EXTINF, the URI)."""
    lines = text.splitlines()
    return {lines[i + 2] for i, ln in enumerate(lines[:-2]) if ln == '#EXT-X-GAP'}


def count_segment_frames(path, init):
    """Video frames that decode from a segment (an fMP4 one after init, its playlist's map)."""
    if not init:
        return J.count_frames(path, '0:v:0')
    whole = path + '.whole.mp4'
    with open(whole, 'wb') as f:
        for part in (os.path.join(os.path.dirname(path), init), path):
            with open(part, 'rb') as g:
                f.write(g.read())
    try:
        return J.count_frames(whole, '0:v:0')
    finally:
        os.unlink(whole)


def case_disk_full(ll=False):
    """The output folder fills up for a few seconds (a tmpfs of its own, filled with a
    file the test then deletes): the channel stays on air; the segments it could not
    write are listed with EXT-X-GAP, their files absent; the others decode; numbers and
    dates run on across the gap; the log says when it began and ended. ll: LL-HLS
    parts in fMP4 (a part lost loses its segment)."""
    name = 'run-disk-full' + ('-ll' if ll else '')
    with J.Workdir(name) as wd:
        fails, info = [], []
        mnt = os.path.join(wd.path, 'disk')
        os.makedirs(mnt)
        r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', mnt], stderr=subprocess.PIPE)
        if r.returncode != 0:
            fails.append('cannot mount a tmpfs (the test needs root): %s' % r.stderr.decode().strip())
            return finish_case(name, wd, fails, info)
        try:
            out = os.path.join(mnt, 'out')
            conf = write_conf(wd.path, '  bars: { generate: testsrc }\n', '    - { source: bars, duration: 1h }\n',
                              window=30, output=', formats: [hls-fmp4], low_latency: { part: 200ms }' if ll
                              else ', formats: [hls, dash]', outdir=out)
            # systemd's end of the notify protocol: the watchdog goes on hearing from the
            # channel while its disk is full (a restart would not empty it)
            import deploy_test as D
            import threading
            notify, done = D.Listener(os.path.join(wd.path, 'notify.sock')), threading.Event()
            collector = threading.Thread(target=notify.collect, args=(done,), daemon=True)
            collector.start()
            p = subprocess.Popen([J.onair_path(), 'run', conf, '--admin', 'none', '--for', '19s'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                 env=dict(os.environ, NOTIFY_SOCKET=notify.sock.getsockname(),
                                          WATCHDOG_USEC=str(D.WATCHDOG_US)))
            deadline = time.time() + 20 * J.timeout_scale()
            while published(out, RUNG) < 3 and time.time() < deadline and p.poll() is None:
                time.sleep(0.1)
            filler = os.path.join(mnt, 'filler')
            fill(filler)
            full_at, full_mono = time.time(), time.monotonic()
            time.sleep(5)
            os.unlink(filler)
            info.append('the disk was full for %.1f s' % (time.time() - full_at))
            rc, err = finish(p, 60)
            done.set()
            collector.join()
            notify.close()
            D.pings_steady(notify, 'onair', full_mono - 1, full_mono + 8, fails, info)
            if rc != 0:
                fails.append('onair exited %s with the disk full for a while: %s' % (rc, err[-1500:]))
            if 'No space left on device' not in err or 'takes writes again' not in err:
                fails.append('the log does not say when the disk filled and when writes came back:\n' + err[-1500:])
            try:
                segs, text = playlist(out, RUNG)
            except OSError as e:
                fails.append('no playlist: %s\n%s' % (e, err[-1500:]))
                return finish_case(name, wd, fails, info)
            init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text)
            init = init.group(1) if init else None
            gaps = gap_segments(text)
            names = [sg[0] for sg in segs]
            numbers = [int(re.search(r'(\d+)', n).group(1)) for n in names]
            info.append('%d segments listed, gaps: %s' % (len(names), sorted(gaps)))
            if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
                fails.append('the numbers do not run on: %s' % numbers)
            if not gaps:
                fails.append('no segment is listed as a gap:\n' + text)
            elif names.index(max(gaps)) + 3 > len(names):
                fails.append('fewer than 2 segments after the gap: writes did not come back')
            for sg in segs:
                path = os.path.join(out, RUNG, sg[0])
                if sg[0] in gaps:
                    if os.path.exists(path):
                        fails.append('%s is listed as a gap and yet exists' % sg[0])
                elif not os.path.exists(path):
                    fails.append('%s is listed, not as a gap, and missing' % sg[0])
                elif (frames := count_segment_frames(path, init)) != FPS:
                    fails.append('%s: %d frames decode, %d expected' % (sg[0], frames, FPS))
            for a, b in zip(segs, segs[1:]):
                if a[2] is None or b[2] is None or abs(a[2] + a[1] - b[2]) > J.MS:
                    fails.append('the dates do not run on from %s to %s' % (a[0], b[0]))
                if b[3]:
                    fails.append('a discontinuity before %s' % b[0])
            if not ll and 'SegmentTimeline' not in open(os.path.join(out, 'manifest.mpd')).read():
                fails.append('no manifest.mpd written after the disk came back')
            # a restart keeps them gaps (the state file says so)
            rc, err = finish(start_onair(conf, '--for', '3s'), 30)
            again = gap_segments(playlist(out, RUNG)[1])
            if rc != 0 or again != gaps:
                fails.append('after a restart (exit %s) the gaps are %s, were %s' % (rc, sorted(again), sorted(gaps)))
        finally:
            subprocess.run(['umount', '-l', mnt])
        return finish_case(name, wd, fails, info)


CASES = {
    'schedule': case_schedule,
    'failover': case_failover,
    'failover-backup': case_failover_backup,
    'srt-listener': lambda: srt_case('run-srt-listener', 'listener'),
    'srt-caller': lambda: srt_case('run-srt-caller', 'caller'),
    'rtmp': case_rtmp,
    'restart': case_restart,
    'loudness': case_loudness,
    'audio-gap': case_audio_gap,
    'two-channels': case_two_channels,
    'wrap': case_wrap,
    'dash': case_dash,
    'disk-full': case_disk_full,
    'disk-full-ll': lambda: case_disk_full(ll=True),
}


if __name__ == '__main__':
    J.case_main(CASES, __doc__)
