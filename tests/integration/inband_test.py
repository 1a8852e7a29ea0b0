#!/usr/bin/env python3
"""In-band SCTE-35 (packager/inband.c) on real segments of `onair transcode`,
judged by ffprobe (TS) and mp4box.js (fMP4, tests/browser/boxes.mjs), never by
onair's own parsing. inband_apply (built beside this test) runs the functions
on a segment file.

    inband_test.py CASE   (ONAIR, INBAND_APPLY; fmp4 needs `npm ci` in tests/browser)
    inband_test.py --list

Cases:

  ts     Segment 0 declared only: ffprobe lists a scte_35 data stream on the cue's
         PID and no packet on it. Segment 1 declared with the SCTE 35 spec's sample
         cue (one packet), segment 2 with a 300-byte cue of our own (three packets):
         ffprobe reads exactly one packet on that stream whose data is the section,
         stamped at or before the segment's first frame. Audio and video packets
         (pts, sizes) are those of the segment before. The three segments end to end
         read as one stream with both cues. An fMP4 segment is refused.
  fmp4   A video and an audio segment with an emsg: mp4box.js lists emsg before
         moof and reads version 1, the timescale, presentation_time, duration, id,
         scheme and the section as given; ffprobe reads the same samples as before
         from init + segment. A TS segment is refused.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import judge as J  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(os.path.dirname(HERE), 'browser')
PID = 0x1F4
SCHEME = 'urn:scte:scte35:2013:bin'
# SCTE 35's sample splice_insert: event 1, out of network, 19125000 ticks
SAMPLE = bytes.fromhex('fc302500000000000000fff01405000000017feffe2d142b00fe0123d3080001010100007f157a49')


def crc_mpeg2(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def long_cue(n=300):
    """A splice_null with avail_descriptors up to n bytes: valid, CRC and all."""
    desc = b''
    i = 0
    while 14 + 2 + len(desc) + 10 + 4 <= n:
        desc += bytes([0x00, 8]) + b'CUEI' + i.to_bytes(4, 'big')
        i += 1
    body = bytes([0x00]) + bytes(5) + bytes([0x00]) + bytes([0xFF, 0xF0, 0x00]) + bytes([0x00]) + \
        len(desc).to_bytes(2, 'big') + desc
    length = len(body) + 4
    sec = bytes([0xFC, 0x30 | (length >> 8), length & 0xFF]) + body
    return sec + crc_mpeg2(sec).to_bytes(4, 'big')


def apply(*args):
    exe = os.environ.get('INBAND_APPLY') or os.path.join(J.REPO, 'build', 'tests', 'integration',
                                                         'inband_apply')
    if not os.access(exe, os.X_OK):
        raise RuntimeError('inband_apply not found at %s (set INBAND_APPLY or build first)' % exe)
    return J.run([exe] + [str(a) for a in args], timeout=30)


def ffprobe_json(*paths, extra=()):
    """ffprobe of the files end to end (concat protocol for more than one)."""
    url = paths[0] if len(paths) == 1 else 'concat:' + '|'.join(paths)
    r = J.must(['ffprobe', '-v', 'error', '-show_streams', '-show_packets', '-of', 'json'] +
               list(extra) + [url])
    return json.loads(r.stdout), r.stderr


def hexdump_bytes(dump):
    """ffprobe's -show_data hexdump back to bytes."""
    out = b''
    for line in dump.strip('\n').split('\n'):
        out += bytes.fromhex(line.split(': ', 1)[1][:40].replace(' ', ''))
    return out


def av_packets(pj):
    return [(p['codec_type'], p.get('pts'), p['size']) for p in pj['packets']
            if p['codec_type'] in ('video', 'audio')]


def transcode(wd, fmt):
    src, _ = J.make_media('std', wd.path, duration=6)
    out = os.path.join(wd.path, 'out-' + fmt)
    r = J.run_onair(['transcode', src, '-o', out, '--format', fmt, '--ladder', '240p',
                     '--segment', '2', '-q'])
    if r.returncode != 0:
        raise RuntimeError('onair transcode failed\n' + r.describe())
    return out


def check_ts_segment(label, orig, done, cue, fails, info):
    pj0, _ = ffprobe_json(orig)
    pj, err = ffprobe_json(done, extra=['-show_data'])
    if err.strip():
        fails.append('%s: ffprobe says: %s' % (label, err.strip()[:300]))
    scte = [s for s in pj['streams'] if s.get('codec_name') == 'scte_35']
    if len(scte) != 1 or int(scte[0].get('id', '0'), 16) != PID:
        fails.append('%s: want one scte_35 stream on PID 0x%x, ffprobe lists %s' %
                     (label, PID, [(s.get('codec_name'), s.get('id')) for s in pj['streams']]))
        return
    data = [p for p in pj['packets'] if p['stream_index'] == scte[0]['index']]
    if cue is None:
        if data:
            fails.append('%s: declared only, yet %d packet(s) on the cue stream' % (label, len(data)))
    elif len(data) != 1:
        fails.append('%s: want 1 packet on the cue stream, ffprobe reads %d' % (label, len(data)))
    else:
        got = hexdump_bytes(data[0].get('data', ''))
        if got != cue:
            fails.append('%s: the cue reads %s, want %s' % (label, got.hex(), cue.hex()))
        first = min(int(p['pts']) for p in pj['packets'] if p['codec_type'] == 'video')
        pts = data[0].get('pts')
        if pts is None or not first - 90000 <= int(pts) <= first:
            fails.append('%s: the cue is stamped %s, want within 1 s before the first frame %d' %
                         (label, pts, first))
        info.append('%s: cue of %d bytes at pts %s (first frame %d)' % (label, len(cue), pts, first))
    if av_packets(pj) != av_packets(pj0):
        fails.append('%s: the audio and video packets are not those of the segment before' % label)


def case_ts():
    fails, info = [], []
    with J.Workdir('inband-ts') as wd:
        out = transcode(wd, 'hls')
        seg = [os.path.join(out, '240p', 'seg_%08d.ts' % i) for i in range(3)]
        done = [os.path.join(wd.path, 'cue_%d.ts' % i) for i in range(3)]
        cues = [None, SAMPLE, long_cue()]
        cc = 0
        for i in range(3):
            args = ['ts', seg[i], done[i], PID]
            if cues[i]:
                args += [cues[i].hex(), cc]
                cc += (len(cues[i]) + 1 + 183) // 184
            r = apply(*args)
            if r.returncode != 0:
                fails.append('inband_apply %s: %s' % (' '.join(map(str, args[:4])), r.describe()))
                continue
            check_ts_segment('seg %d' % i, seg[i], done[i], cues[i], fails, info)
        if not fails:
            pj, err = ffprobe_json(*done, extra=['-show_data'])
            scte = [s['index'] for s in pj['streams'] if s.get('codec_name') == 'scte_35']
            got = [hexdump_bytes(p['data']) for p in pj['packets'] if p['stream_index'] in scte]
            if got != cues[1:]:
                fails.append('segments end to end: the cues read %s' % [g.hex() for g in got])
            if err.strip():
                fails.append('segments end to end: ffprobe says: %s' % err.strip()[:300])
        # not TS: refused, nothing written
        init = os.path.join(wd.path, 'not-ts.mp4')
        J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
                'testsrc2=size=64x64:rate=10:duration=1', '-c:v', 'libx264', init])
        r = apply('ts', init, os.path.join(wd.path, 'refused.ts'), PID, SAMPLE.hex())
        if r.returncode != 1 or os.path.exists(os.path.join(wd.path, 'refused.ts')):
            fails.append('an MP4 file as TS: want exit 1 and no output, got %s' % r.returncode)
        rc = J.report('inband ts', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


def boxes(*paths):
    node = shutil.which('node')
    if not node:
        raise RuntimeError('node not found (apt-get install nodejs)')
    if not os.path.isdir(os.path.join(BROWSER, 'node_modules', 'mp4box')):
        raise RuntimeError('tests/browser/node_modules/mp4box missing: run npm ci in tests/browser')
    r = J.run([node, os.path.join(BROWSER, 'boxes.mjs')] + list(paths), timeout=60)
    if r.returncode != 0:
        raise RuntimeError('boxes.mjs: ' + r.describe())
    return json.loads(r.stdout)


def case_fmp4():
    fails, info = [], []
    with J.Workdir('inband-fmp4') as wd:
        out = transcode(wd, 'cmaf')
        for rend, cue, eid in (('240p', SAMPLE, 7), ('audio', long_cue(), 8)):
            init = os.path.join(out, rend, 'init.mp4')
            seg = os.path.join(out, rend, 'seg_00000001.m4s')
            done = os.path.join(wd.path, rend + '.m4s')
            before = boxes(init, seg)
            timescale = before['tracks'][0]['timescale']
            pj0, _ = ffprobe_json('concat:%s|%s' % (init, seg))
            st = pj0['streams'][0]
            num, den = map(int, st['time_base'].split('/'))
            # the segment's first sample on the track's timeline: where a break
            # starting with this segment is
            first = min(int(p['pts']) for p in pj0['packets'])
            pt = first * num * timescale // den
            duration = 2 * timescale
            r = apply('emsg', seg, done, timescale, pt, duration, eid, cue.hex())
            if r.returncode != 0:
                fails.append('%s: inband_apply emsg: %s' % (rend, r.describe()))
                continue
            after = boxes(init, done)
            want_boxes = before['boxes'][:2] + ['emsg'] + before['boxes'][2:]
            if after['boxes'] != want_boxes:
                fails.append('%s: boxes %s, want %s' % (rend, after['boxes'], want_boxes))
            want = {'version': 1, 'timescale': timescale, 'presentation_time': pt,
                    'event_duration': duration, 'id': eid, 'scheme_id_uri': SCHEME, 'value': '',
                    'message_data': cue.hex()}
            got = after['emsg'][0] if len(after['emsg']) == 1 else None
            if got is None:
                fails.append('%s: want one emsg, mp4box.js reads %d' % (rend, len(after['emsg'])))
            else:
                for k, v in want.items():
                    if got.get(k) != v:
                        fails.append('%s: emsg %s is %r, want %r' % (rend, k, got.get(k), v))
            if after['tracks'] != before['tracks']:
                fails.append('%s: mp4box.js reads the track as %s, before %s' %
                             (rend, after['tracks'], before['tracks']))
            pj, err = ffprobe_json('concat:%s|%s' % (init, done))
            if av_packets(pj) != av_packets(pj0) or err.strip():
                fails.append('%s: ffprobe reads other samples with the emsg in (%s)' % (rend, err.strip()[:200]))
            info.append('%s: emsg of %d bytes at %d/%d' % (rend, len(cue), pt, timescale))
        ts = os.path.join(wd.path, 'std.ts')
        J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
                'testsrc2=size=64x64:rate=10:duration=1', '-c:v', 'libx264', '-f', 'mpegts', ts])
        r = apply('emsg', ts, os.path.join(wd.path, 'refused.m4s'), 90000, 0, 0, 1, SAMPLE.hex())
        if r.returncode != 1 or os.path.exists(os.path.join(wd.path, 'refused.m4s')):
            fails.append('a TS file as fMP4: want exit 1 and no output, got %s' % r.returncode)
        rc = J.report('inband fmp4', fails, info, keep=wd.path)
        wd.ok = rc == 0
        return rc


CASES = {'ts': case_ts, 'fmp4': case_fmp4}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
