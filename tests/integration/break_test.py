#!/usr/bin/env python3
"""Ad breaks from the schedule, judged in the published output by tools that are not
onair's: ffmpeg/ffprobe (frames, segment PTS, the TS SCTE-35 PID), VideoLAN's biTStream
(scte35_decode, built beside this test: the cues), mp4box.js (tests/browser/boxes.mjs:
the emsg boxes) and Python's XML parser (the MPD).

    break_test.py CASE     (ONAIR, SCTE35_DECODE; cmaf needs `npm ci` in tests/browser)
    break_test.py --list

Cases (a channel: red 5.4 s, then `{ break: 3s, source: green }`, then blue; 1 s
segments at 25 fps, so the break goes out on frame 135 and returns on frame 210,
neither of them a regular segment start):

  ts     HLS (MPEG-TS): a segment starts on the break's first frame and on the return
         in the playlist (PROGRAM-DATE-TIME), the frames are red, green and blue from
         exactly there, the EXT-X-DATERANGE of the break carries START-DATE,
         PLANNED-DURATION and SCTE35-OUT, then DURATION and SCTE35-IN; the cues are
         splice_inserts (out with a 3 s break_duration and auto_return, then in) whose
         splice_time is the PTS of the first frame of the segment that starts there,
         whose event id is the as-run log's; the TS segments that start the break and
         the return carry the same cues on a SCTE-35 PID; the as-run log has the
         break's record (3.000 s).
  cmaf   hls-fmp4 + DASH: the same cuts, DATERANGE and cues in the fMP4 playlist; the
         MPD's EventStream (urn:scte:scte35:2013:xml) has the break at 5.4 s for 3 s
         with the event id; the first video segment of the break starts with an emsg
         (urn:scte:scte35:2013:bin) holding the out cue at the break's time.
  api    Breaks through the control API on a red channel: POST break 3 s airing green,
         then POST break 10 s (the slate) and DELETE it 2 s in (an early return). Each
         airs from the frame the as-run log names (the colours), a segment starts on
         each out and return, each has its DATERANGE (PLANNED-DURATION 3 and 10, then
         DURATION 3 and the early length) and cues whose splice_time is the PTS of
         those segments; a second break while one is out, and a DELETE with none, are
         409; a break with no duration is 400.
  restart
         SIGKILL in the middle of an 8 s break and a restart: the break goes on after
         the restart (green), returns on its planned end on the wall clock, and is one
         break: one SCTE35-OUT and one SCTE35-IN with one event id (the out cue the
         first run wrote), one as-run record from its first frame in the first run, a
         segment that starts on the return with the in cue's splice_time as its PTS.
  input  SCTE-35 from a live UDP input: a 30 fps MPEG-TS (ffmpeg CLI) whose colour
         changes exactly on each splice point, with a SCTE-35 PID (stream type 0x86,
         CUEI) written into it here, sent paced by its PCR. Three breaks: a
         splice_insert out with a 3 s break_duration and auto_return (no in sent), a
         time_signal provider placement opportunity start (0x34, 5 s) ended early by
         its end (0x35) 3 s later, a splice_insert out without a duration and its in
         2 s later; each cue repeated three times ahead of its point, splice_nulls
         between, and a fourth out that is cancelled before its point. Each break's
         out and return land on the first output frame showing the input's picture of
         its splice point (the colour change), segments start there, DATERANGE with
         IDs, planned and actual durations, cues (biTStream) whose splice_time is the
         PTS of those segments; the as-run records say origin input and the input's
         event ids.
  input-ignore  The same input with `scte35: ignore`: no break, no SCTE-35 DATERANGE.
  input-restart  The same input, onair killed (SIGKILL) 1.5 s into its first break
         and started again at once: that break, out in the packager's state, returns
         at its planned end (or on the restart's first frame, past it) with a cue in
         of its event id at the PTS of the segment starting there; the input's next
         two breaks go out and return.
"""

import json
import os
import re
import signal
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inband_test as I  # noqa: E402
import judge as J  # noqa: E402
import run_test as R  # noqa: E402

FPS = R.FPS
START, END = 135, 210            # the break's first frame and the return
RUNG = R.RUNG
BROWSER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'browser')


COLOUR_SOURCES = ('  red: { file: red.mp4, loop: true }\n  green: { file: green.mp4, loop: true }\n'
                  '  blue: { file: blue.mp4, loop: true }\n')


def write_conf(wd, formats, markers='daterange'):
    return R.write_conf(wd, COLOUR_SOURCES, '    - { source: red, duration: 5400ms, title: Red }\n'
                        '    - { break: 3s, source: green, id: brk-1 }\n'
                        '    - { source: blue, duration: 1h, title: Blue }\n',
                        output=', formats: [%s], ad_markers: [%s]' % (formats, markers))


def decode(hexcue):
    exe = os.environ.get('SCTE35_DECODE') or os.path.join(J.REPO, 'build', 'tests', 'integration',
                                                          'scte35_decode')
    return json.loads(J.must([exe, hexcue], timeout=30).stdout)


def check_cues(fails, rec, out_tag, in_tag, starts, out):
    """The out and in cues (SCTE35-OUT/-IN of the break's DATERANGEs; None: not
    checked) of as-run record rec: splice_inserts of its event id, valid CRC,
    at the PTS of the segment that starts on its first and its return frame
    (starts: frame -> segment of the rung)."""
    for frame, tag, key, flag in ((rec['start_frame'], out_tag, 'SCTE35-OUT', True),
                                  (rec['end_frame'], in_tag, 'SCTE35-IN', False)):
        if tag is None:
            continue
        cue = decode(tag[key])
        seg = starts.get(frame)
        if not seg:
            fails.append('%s: no segment starts on frame %d' % (rec['id'], frame))
            continue
        pts = first_video_pts([os.path.join(out, RUNG, seg)])
        if not cue['crc_ok'] or cue['command'] != 5 or cue.get('event_id') != rec['splice_event_id'] or \
                cue.get('out_of_network') != flag or cue.get('pts_time') != pts % (1 << 33):
            fails.append('%s: cue %s, expected a splice_insert of event %s, out %s at PTS %s (%s, frame %d)'
                         % (rec['id'], cue, rec['splice_event_id'], flag, pts, seg, frame))


def attrs(tag):
    """The attributes of an EXT-X-DATERANGE line."""
    return dict((m.group(1), m.group(2).strip('"'))
                for m in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', tag.split(':', 1)[1]))


def first_video_pts(paths):
    """pts (90 kHz ticks as the file says, TS) of the first video packet of the files."""
    url = paths[0] if len(paths) == 1 else 'concat:' + '|'.join(paths)
    # -f: a segment of one frame is too short for ffprobe to tell it is TS
    r = J.must(['ffprobe', '-v', 'error', '-f', 'mpegts', '-select_streams', 'v:0', '-show_packets', '-of', 'json',
                url])
    pk = json.loads(r.stdout)['packets']
    return min(int(p['pts']) for p in pk) if pk else None


AAC_FRAME_TICKS = 1024 * 90000 // 48000


def audio_span(path):
    """(first pts, last pts + duration) of a TS segment's audio, 90 kHz (ffprobe)."""
    r = J.must(['ffprobe', '-v', 'error', '-f', 'mpegts', '-select_streams', 'a:0', '-show_packets', '-of', 'json',
                path])
    pk = json.loads(r.stdout)['packets']
    return (min(int(p['pts']) for p in pk), max(int(p['pts']) + int(p['duration']) for p in pk)) if pk else None


def ts_cues(path):
    """The data of the scte_35 stream's packets of a TS segment (ffprobe), as hex."""
    r = J.must(['ffprobe', '-v', 'error', '-f', 'mpegts', '-show_streams', '-show_packets', '-show_data', '-of',
                'json', path])
    d = json.loads(r.stdout)
    ids = [s['index'] for s in d['streams'] if s.get('codec_name') == 'scte_35']
    out = []
    for p in d.get('packets', []):
        if p['stream_index'] in ids:
            # ffprobe's dump: "00000010: 0000 ffff f014 ...  ascii": 8 groups of 2 bytes
            hexs = ''.join(ln.split(': ', 1)[1][:39].replace(' ', '')
                           for ln in p.get('data', '').splitlines() if ': ' in ln)
            out.append('0x' + hexs.upper())
    return ids, out


def run_channel(wd, formats, markers='daterange'):
    for name, colour in (('red', 'red'), ('green', 'lime'), ('blue', 'blue')):
        R.make_clip(wd.path, name, colour, None, 6)
    conf = write_conf(wd.path, formats, markers)
    p = R.start_onair(conf, '--for', '14s')
    rc, err = R.finish(p, 60)
    return rc, err, os.path.join(wd.path, 'out')


def judge_common(out, rc, err, fails, info, playlist_dir):
    """What both cases check; returns (the break's as-run record, its DATERANGE attrs
    (out, in), the segments of the playlist)."""
    if rc != 0:
        fails.append('onair run exited %s: %s' % (rc, err[-2000:]))
    records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
    brk = [a for a in records if a.get('event') == 'break_end']
    first = next(a for a in records if 'actual_start' in a and 'start_frame' in a and a.get('start_frame') == 0)
    t0 = R.parse_iso(first['actual_start'])
    if len(brk) != 1:
        fails.append('as-run: %d break records, expected 1: %s' % (len(brk), brk))
        return None, None, []
    b = brk[0]
    info.append('as-run: %s' % b)
    if (b['start_frame'], b['end_frame']) != (START, END) or abs(b['duration'] - 3.0) > 0.001:
        fails.append('the break aired frames %s..%s (%.3f s), expected %d..%d (3 s)'
                     % (b['start_frame'], b['end_frame'], b['duration'], START, END))
    if b['id'] != 'brk-1' or b['origin'] != 'schedule':
        fails.append('as-run: id %s origin %s, expected brk-1 and schedule' % (b['id'], b['origin']))
    # every frame: red, green, blue, cut on the break's frames
    got, segs = R.runs(R.frame_colours(R.vod_copy(out, playlist_dir))), None
    info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
    if [(c, i) for c, i, _ in got] != [('red', 0), ('green', START), ('blue', END)]:
        fails.append('on air: %s, expected red from 0, green from %d, blue from %d'
                     % ([(c, i) for c, i, _ in got], START, END))
    segs, text = R.playlist(out, playlist_dir)
    starts = [round((s[2] - t0) * FPS) for s in segs if s[2] is not None]
    # PROGRAM-DATE-TIME and EXTINF tile the time: no segment shifted by the cuts
    for prev, s in zip(segs, segs[1:]):
        if prev[2] is not None and s[2] is not None and abs(prev[2] + prev[1] - s[2]) > J.MS:
            fails.append('%s starts at %.3f, but %s ends at %.3f' % (s[0], s[2] - t0, prev[0],
                                                                    prev[2] + prev[1] - t0))
    info.append('segment starts (frames): %s' % starts)
    for f in (START, END):
        if f not in starts:
            fails.append('no segment starts on frame %d (the break\'s %s)' % (f, 'out' if f == START else 'return'))
    for s in starts:
        if s % FPS and s not in (START, END):
            fails.append('a segment starts on frame %d, neither the grid nor the break' % s)
    tags = [attrs(ln) for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:') and 'SCTE35' in ln]
    outs = [t for t in tags if 'SCTE35-OUT' in t]
    ins = [t for t in tags if 'SCTE35-IN' in t]
    if len(outs) != 1 or len(ins) != 1:
        fails.append('%d DATERANGEs with SCTE35-OUT and %d with SCTE35-IN, expected 1 each: %s'
                     % (len(outs), len(ins), tags))
        return b, None, segs
    o, i = outs[0], ins[0]
    start_date = R.parse_iso(o.get('START-DATE', ''))
    if o.get('ID') != 'brk-1' or i.get('ID') != 'brk-1' or o.get('START-DATE') != i.get('START-DATE'):
        fails.append('DATERANGE ids/dates: %s / %s' % (o, i))
    if abs(start_date - (t0 + START / FPS)) > J.MS:
        fails.append('START-DATE %s is not frame %d\'s air time' % (o.get('START-DATE'), START))
    if abs(float(o.get('PLANNED-DURATION', 0)) - 3.0) > 0.001 or abs(float(i.get('DURATION', 0)) - 3.0) > 0.001:
        fails.append('PLANNED-DURATION %s, DURATION %s, expected 3.000' % (o.get('PLANNED-DURATION'),
                                                                          i.get('DURATION')))
    cue_out, cue_in = decode(o['SCTE35-OUT']), decode(i['SCTE35-IN'])
    info.append('cue out: %s' % cue_out)
    info.append('cue in: %s' % cue_in)
    for name, c, out_flag in (('out', cue_out, True), ('in', cue_in, False)):
        if not c['crc_ok'] or not c['valid'] or c['command'] != 5:
            fails.append('cue %s: not a valid splice_insert: %s' % (name, c))
        elif c['event_id'] != b['splice_event_id'] or c['out_of_network'] != out_flag:
            fails.append('cue %s: event %s out_of_network %s, expected %s and %s'
                         % (name, c['event_id'], c['out_of_network'], b['splice_event_id'], out_flag))
    if cue_out.get('duration') != 3 * 90000 or not cue_out.get('auto_return'):
        fails.append('cue out: break_duration %s auto_return %s, expected 270000 and true'
                     % (cue_out.get('duration'), cue_out.get('auto_return')))
    if cue_in.get('duration') is not None:
        fails.append('cue in has a break_duration: %s' % cue_in)
    return b, (o, i, cue_out, cue_in), segs


def judge_cue_tags(out, fails, info):
    """With ad_markers [daterange, cue]: CUE-OUT:DURATION=3 before the break's first
    segment, CUE-OUT-CONT before each later one inside it, CUE-IN before the return's."""
    t0 = t0_of(out)
    tag, want = None, {}
    for ln in open(os.path.join(out, RUNG, 'index.m3u8')).read().splitlines():
        if ln.startswith('#EXT-X-CUE'):
            tag = ln
        elif ln.startswith('#EXT-X-PROGRAM-DATE-TIME:'):
            frame = round((R.parse_iso(ln.split(':', 1)[1]) - t0) * FPS)
            if tag:
                want[frame] = tag
            tag = None
    info.append('CUE tags by segment start: %s' % want)
    if not want.get(START, '').startswith('#EXT-X-CUE-OUT:DURATION=3.000'):
        fails.append('no EXT-X-CUE-OUT:DURATION=3.000 before the segment of frame %d' % START)
    if want.get(END) != '#EXT-X-CUE-IN':
        fails.append('no EXT-X-CUE-IN before the segment of frame %d' % END)
    inside = [f for f in want if START < f < END]
    if not inside or any(not want[f].startswith('#EXT-X-CUE-OUT-CONT:') for f in inside):
        fails.append('the segments inside the break lack EXT-X-CUE-OUT-CONT: %s' % want)


def segment_at(segs, t0, frame):
    for s in segs:
        if s[2] is not None and round((s[2] - t0) * FPS) == frame:
            return s[0]
    return None


def t0_of(out):
    """The air time of frame 0, from a program's as-run record (a run killed
    wrote none: the next run's then)."""
    records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
    a = next(a for a in records if a.get('event') is None and 'actual_start' in a)
    return R.parse_iso(a['actual_start']) - a['start_frame'] / FPS


def case_ts():
    with J.Workdir('break-ts') as wd:
        fails, info = [], []
        rc, err, out = run_channel(wd, 'hls', 'daterange, cue')
        b, tags, segs = judge_common(out, rc, err, fails, info, RUNG)
        judge_cue_tags(out, fails, info)
        if tags:
            o, i, cue_out, cue_in = tags
            t0 = t0_of(out)
            for frame, cue, hexcue, name in ((START, cue_out, o['SCTE35-OUT'], 'out'),
                                             (END, cue_in, i['SCTE35-IN'], 'in')):
                seg = segment_at(segs, t0, frame)
                if not seg:
                    continue
                path = os.path.join(out, RUNG, seg)
                pts = first_video_pts([path])
                if cue.get('pts_time') != pts % (1 << 33):
                    fails.append('cue %s: splice_time %s, but %s starts at PTS %s'
                                 % (name, cue.get('pts_time'), seg, pts))
                # no audio past the cut in the segment before it (an AAC frame that
                # straddles it opens this one): a player (hls.js) starts an
                # interstitial at the later end of the two
                names = [sg[0] for sg in segs]
                if seg in names and names.index(seg) > 0:
                    before = audio_span(os.path.join(out, RUNG, names[names.index(seg) - 1]))
                    after = audio_span(path)
                    info.append('%s: audio of the segment before ends at %s, its own starts at %s, picture at %s'
                                % (seg, before and before[1], after and after[0], pts))
                    if not before or not after or not pts - AAC_FRAME_TICKS < before[1] <= pts or \
                            after[0] != before[1]:
                        fails.append('the cut %s at PTS %s: the audio before it ends at %s, after it starts at %s; '
                                     'expected an end at or less than an AAC frame before the cut, and no gap'
                                     % (name, pts, before and before[1], after and after[0]))
                ids, cues = ts_cues(path)
                info.append('%s: SCTE-35 streams %s, cues %s' % (seg, ids, cues))
                if cues != [hexcue]:
                    fails.append('%s carries %s on its SCTE-35 PID, expected the %s cue %s'
                                 % (seg, cues, name, hexcue))
            # the segments between carry none
            inside = [s[0] for s in segs if s[2] is not None and START < round((s[2] - t0) * FPS) < END]
            for seg in inside:
                ids, cues = ts_cues(os.path.join(out, RUNG, seg))
                if not ids or cues:
                    fails.append('%s: SCTE-35 PID %s, cues %s: expected the PID declared and no cue'
                                 % (seg, ids, cues))
        return R.finish_case('break-ts', wd, fails, info)


def case_cmaf():
    with J.Workdir('break-cmaf') as wd:
        fails, info = [], []
        rc, err, out = run_channel(wd, 'cmaf', 'daterange, cue')
        b, tags, segs = judge_common(out, rc, err, fails, info, RUNG)
        if tags:
            o, i, cue_out, cue_in = tags
            t0 = t0_of(out)
            seg = segment_at(segs, t0, START)
            if seg:
                r = J.run(['node', os.path.join(BROWSER, 'boxes.mjs'), os.path.join(out, RUNG, 'init.mp4'),
                           os.path.join(out, RUNG, seg)], timeout=60)
                if r.returncode != 0:
                    fails.append('boxes.mjs: %s' % r.stderr.strip())
                else:
                    d = json.loads(r.stdout)
                    info.append('%s: boxes %s, emsg %s' % (seg, d['boxes'], d['emsg']))
                    em = d['emsg']
                    ts = d['tracks'][0]['timescale'] if d.get('tracks') else None
                    if len(em) != 1 or d['boxes'].index('emsg') > d['boxes'].index('moof'):
                        fails.append('%s: %d emsg boxes (%s), expected one before the moof' % (seg, len(em), d['boxes']))
                    else:
                        e = em[0]
                        if e['scheme_id_uri'] != 'urn:scte:scte35:2013:bin' or e['id'] != b['splice_event_id'] or \
                                '0X' + e['message_data'].upper() != o['SCTE35-OUT'].upper():
                            fails.append('%s: emsg %s is not the out cue %s (event %s)'
                                         % (seg, e, o['SCTE35-OUT'], b['splice_event_id']))
                        if ts and abs(e['presentation_time'] / e['timescale'] - (first_media_time(out, seg) or 0)) > 0.001:
                            fails.append('%s: emsg at %s/%s, not the segment\'s first frame'
                                         % (seg, e['presentation_time'], e['timescale']))
            judge_mpd(out, b, fails, info)
            if 'cannot be marked' in err:
                fails.append('a playlist went out without its marks: %s' % err[-600:])
            # the audio rendition, cut on its own frames, marks the break on its segments too
            audio = open(os.path.join(out, 'audio', 'index.m3u8')).read()
            if '#EXT-X-CUE-OUT:DURATION=3.000' not in audio or '#EXT-X-CUE-IN' not in audio:
                fails.append('the audio playlist lacks the CUE tags')
        return R.finish_case('break-cmaf', wd, fails, info)


def first_media_time(out, seg):
    """Seconds on the track's timeline of the first video packet of an fMP4 segment."""
    url = 'concat:' + os.path.join(out, RUNG, 'init.mp4') + '|' + os.path.join(out, RUNG, seg)
    r = J.must(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_packets', '-of', 'json', url])
    pk = json.loads(r.stdout)['packets']
    return min(float(p['pts_time']) for p in pk) if pk else None


def judge_mpd(out, b, fails, info):
    ns = {'d': 'urn:mpeg:dash:schema:mpd:2011'}
    root = ET.parse(os.path.join(out, 'manifest.mpd')).getroot()
    streams = root.findall('.//d:Period/d:EventStream', ns)
    events = [(es.get('schemeIdUri'), int(es.get('timescale', '1')), ev) for es in streams
              for ev in es.findall('d:Event', ns)]
    info.append('MPD events: %s' % [(s, t, e.attrib) for s, t, e in events])
    if len(events) != 1:
        fails.append('the MPD has %d events, expected the break' % len(events))
        return
    scheme, timescale, ev = events[0]
    if scheme != 'urn:scte:scte35:2013:xml' or int(ev.get('id')) != b['splice_event_id']:
        fails.append('MPD event %s %s, expected urn:scte:scte35:2013:xml id %s' % (scheme, ev.attrib,
                                                                                  b['splice_event_id']))
    start = int(ev.get('presentationTime', '0')) / timescale
    if abs(start - START / FPS) > 0.001 or abs(int(ev.get('duration', '0')) / timescale - 3.0) > 0.001:
        fails.append('MPD event at %.3f s for %s, expected %.3f s for 3 s'
                     % (start, ev.get('duration'), START / FPS))
    if not ev.findall('{http://www.scte.org/schemas/35/2016}SpliceInfoSection'):
        fails.append('the MPD event holds no scte35:SpliceInfoSection')


def case_api():
    import control_test as C
    with J.Workdir('break-api') as wd:
        fails, info = [], []
        R.make_clip(wd.path, 'red', 'red', None, 8)
        R.make_clip(wd.path, 'green', 'lime', None, 8)
        conf = R.write_conf(wd.path, '  red: { file: red.mp4, loop: true }\n  green: { file: green.mp4, loop: true }\n',
                            '    - { source: red, duration: 1h, title: "Red" }\n')
        out = os.path.join(wd.path, 'out')
        p, admin = C.start(conf, '--for', '22s')
        try:
            admin.wait_on_air()
            time.sleep(3)
            code, answer = admin.call('DELETE', '/api/v1/channels/test/break')
            if code != 409:
                fails.append('DELETE break with none on air answered %s %s, expected 409' % (code, answer))
            code, answer = admin.call('POST', '/api/v1/channels/test/break', {'source': 'green'})
            if code != 400 or 'duration' not in json.dumps(answer):
                fails.append('a break without a duration answered %s %s, expected 400 naming duration'
                             % (code, answer))
            code, answer = admin.call('POST', '/api/v1/channels/test/break', {'duration': '3s', 'source': 'green'})
            info.append('break 1: %s' % code)
            if code != 200:
                fails.append('POST break answered %s %s' % (code, answer))
            time.sleep(1)
            code, answer = admin.call('POST', '/api/v1/channels/test/break', {'duration': '5s'})
            if code != 409:
                fails.append('a second break while one is out answered %s %s, expected 409' % (code, answer))
            time.sleep(4)
            code, answer = admin.call('POST', '/api/v1/channels/test/break', {'duration': '10s'})
            info.append('break 2: %s' % code)
            if code != 200:
                fails.append('POST break (slate) answered %s %s' % (code, answer))
            time.sleep(2)
            code, answer = admin.call('DELETE', '/api/v1/channels/test/break')
            info.append('early return: %s' % code)
            if code != 200:
                fails.append('DELETE break answered %s %s' % (code, answer))
            time.sleep(4)
        finally:
            rc, err = R.finish(p, 60)
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-1500:]))
        records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        brk = [a for a in records if a.get('event') == 'break_end']
        info.append('breaks: %s' % brk)
        if len(brk) != 2:
            fails.append('%d break records, expected 2' % len(brk))
            return R.finish_case('break-api', wd, fails, info)
        a, b = brk
        if a['origin'] != 'api' or abs(a['duration'] - 3.0) > 0.001 or b['origin'] != 'api' or \
                not 0.5 < b['duration'] < 9.0 or b['planned_duration'] != 10:
            fails.append('the breaks aired %.3f s (planned %s) and %.3f s (planned %s), expected 3 and an early '
                         'return of 10' % (a['duration'], a['planned_duration'], b['duration'], b['planned_duration']))
        got = R.runs(R.frame_colours(R.vod_copy(out, RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        want = [('red', 0), ('green', a['start_frame']), ('red', a['end_frame']), ('slate', b['start_frame']),
                ('red', b['end_frame'])]
        if [(c, i) for c, i, _ in got] != want:
            fails.append('on air: %s, expected %s' % ([(c, i) for c, i, _ in got], want))
        segs, text = R.playlist(out, RUNG)
        t0 = t0_of(out)
        starts = {round((s[2] - t0) * FPS): s[0] for s in segs if s[2] is not None}
        tags = [attrs(ln) for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:') and 'SCTE35' in ln]
        for rec, planned in ((a, 3.0), (b, 10.0)):
            mine = [t for t in tags if t.get('ID') == rec['id']]
            o = next((t for t in mine if 'SCTE35-OUT' in t), None)
            i = next((t for t in mine if 'SCTE35-IN' in t), None)
            if not o or not i:
                fails.append('%s: DATERANGEs %s, expected an out and an in' % (rec['id'], mine))
                continue
            if abs(float(o['PLANNED-DURATION']) - planned) > 0.001 or \
                    abs(float(i['DURATION']) - rec['duration']) > 0.001:
                fails.append('%s: PLANNED-DURATION %s DURATION %s, expected %s and %s'
                             % (rec['id'], o['PLANNED-DURATION'], i['DURATION'], planned, rec['duration']))
            check_cues(fails, rec, o, i, starts, out)
        return R.finish_case('break-api', wd, fails, info)


def case_restart():
    with J.Workdir('break-restart') as wd:
        fails, info = [], []
        for name, colour in (('red', 'red'), ('green', 'lime'), ('blue', 'blue')):
            R.make_clip(wd.path, name, colour, None, 6)
        conf = R.write_conf(wd.path, COLOUR_SOURCES, '    - { source: red, duration: 4s, title: Red }\n'
                            '    - { break: 8s, source: green, id: brk-r }\n'
                            '    - { source: blue, duration: 1h, title: Blue }\n', window=60)
        out = os.path.join(wd.path, 'out')
        p = R.start_onair(conf)
        time.sleep(8)
        os.killpg(p.pid, signal.SIGKILL)
        R.finish(p, 30)
        p = R.start_onair(conf, '--for', '10s')
        rc, err = R.finish(p, 60)
        if rc != 0:
            fails.append('the restarted run exited %s: %s' % (rc, err[-1500:]))
        records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        brk = [a for a in records if a.get('event') == 'break_end']
        info.append('breaks: %s' % brk)
        segs, text = R.playlist(out, RUNG)
        tags = [attrs(ln) for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:') and 'SCTE35' in ln]
        outs = [t for t in tags if 'SCTE35-OUT' in t]
        ins = [t for t in tags if 'SCTE35-IN' in t]
        info.append('DATERANGEs: %s' % tags)
        if len(brk) != 1 or len(outs) != 1 or len(ins) != 1:
            fails.append('%d break records, %d outs, %d ins: expected one break' % (len(brk), len(outs), len(ins)))
            return R.finish_case('break-restart', wd, fails, info)
        b = brk[0]
        start_t = R.parse_iso(b['scheduled_start'])
        cue_out, cue_in = decode(outs[0]['SCTE35-OUT']), decode(ins[0]['SCTE35-IN'])
        if not (cue_out['event_id'] == cue_in['event_id'] == b['splice_event_id']):
            fails.append('event ids: out %s, in %s, as-run %s' % (cue_out['event_id'], cue_in['event_id'],
                                                                 b['splice_event_id']))
        if b['start_frame'] != 100 or b['origin'] != 'schedule':
            fails.append('the break record starts on frame %s (origin %s), expected 100 (the first run\'s)'
                         % (b['start_frame'], b['origin']))
        # the return, on the wall clock: the first frame at or after 8 s from the break's
        # start (the restarted run's frames need not fall on the first run's instants)
        # (dates are to the millisecond, so either end of that frame's span reads up to
        # 1.5 ms off: a return 39.6 ms after the end is dated 40 ms after it, and a regular
        # segment start a frame before the end may read as on it, so the return's segment
        # is the one at the cue's PTS)
        back = [sg for sg in segs if sg[2] is not None and -J.MS <= sg[2] - (start_t + 8.0) < 1.0 / FPS + J.MS]
        at_cue = [sg for sg in back
                  if first_video_pts([os.path.join(out, RUNG, sg[0])]) % (1 << 33) == cue_in.get('pts_time')]
        if not at_cue:
            fails.append('no segment starts at the break\'s planned end (%s + 8 s) on the cue in\'s PTS %s: %s'
                         % (b['scheduled_start'], cue_in.get('pts_time'),
                            [(sg[0], round(sg[2] - start_t, 3), first_video_pts([os.path.join(out, RUNG, sg[0])]))
                             for sg in back]))
        got = R.runs(R.frame_colours(R.vod_copy(out, RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        if [c for c, _, _ in got] != ['red', 'green', 'blue'] or got[1][1] != 100 or got[2][1] != b['end_frame']:
            fails.append('on air: %s, expected red, green from frame 100, blue from %s'
                         % ([(c, i) for c, i, _ in got], b['end_frame']))
        return R.finish_case('break-restart', wd, fails, info)


# ---- SCTE-35 from a live input ----

IN_FPS = 30
# the input's colours (its seconds) and its cues: each colour changes on a splice point
IN_COLOURS = [('red', 6), ('green', 3), ('blue', 3), ('green', 3), ('red', 2), ('blue', 2), ('green', 3)]
CUE_PID = I.PID


def splice_time(pts):
    return bytes([0xFE | (pts >> 32) & 1]) + (pts & 0xFFFFFFFF).to_bytes(4, 'big')


def splice_info(command_type, command, descriptors=b''):
    """A splice_info_section (SCTE 35 2022 9.2): pts_adjustment 0, tier 0xFFF."""
    body = bytes([0, 0, 0, 0, 0, 0, 0, 0xFF, 0xF0 | len(command) >> 8, len(command) & 0xFF, command_type])
    body += command + len(descriptors).to_bytes(2, 'big') + descriptors
    length = len(body) + 4
    sec = bytes([0xFC, 0x30 | length >> 8, length & 0xFF]) + body
    return sec + I.crc_mpeg2(sec).to_bytes(4, 'big')


def splice_insert(event_id, out, pts=None, duration=None, auto_return=False, cancel=False):
    cmd = event_id.to_bytes(4, 'big') + bytes([0xFF if cancel else 0x7F])
    if not cancel:
        cmd += bytes([out << 7 | 0x40 | (duration is not None) << 5 | (pts is None) << 4 | 0x0F])
        if pts is not None:
            cmd += splice_time(pts)
        if duration is not None:
            cmd += bytes([auto_return << 7 | 0x7E | (duration >> 32) & 1]) + (duration & 0xFFFFFFFF).to_bytes(4, 'big')
        cmd += bytes([0, 1, 0, 0])   # unique_program_id, avail_num, avails_expected
    return splice_info(0x05, cmd)


def time_signal(pts, seg_event_id, seg_type, duration=None):
    d = b'CUEI' + seg_event_id.to_bytes(4, 'big') + bytes([0x7F, 0x80 | (duration is not None) << 6 | 0x3F])
    if duration is not None:
        d += duration.to_bytes(5, 'big')
    d += bytes([0, 0, seg_type, 0, 0])   # no UPID; segment_num, segments_expected
    return splice_info(0x06, splice_time(pts), bytes([0x02, len(d)]) + d)


def ts_pid(p):
    return (p[1] & 0x1F) << 8 | p[2]


def ts_pcr(p):
    if p[3] & 0x20 and p[4] >= 7 and p[5] & 0x10:
        return ((p[6] << 25 | p[7] << 17 | p[8] << 9 | p[9] << 1 | p[10] >> 7) * 300 +
                ((p[10] & 1) << 8 | p[11]))
    return None


def psi_section(p):
    """The section a PSI packet starts (no adaptation field, pointer_field 0 as FFmpeg writes)."""
    assert p[1] & 0x40 and p[3] & 0x30 == 0x10 and p[4] == 0
    n = (p[6] & 0x0F) << 8 | p[7]
    return p[5:8 + n]


def declare_cues(pmt_packet):
    """The PMT with the CUEI registration in program_info and an ES of stream type 0x86."""
    sec = psi_section(pmt_packet)
    pil = (sec[10] & 0x0F) << 8 | sec[11]
    body = bytearray(sec[3:-4])
    prog_info = bytes(body[9:9 + pil]) + b'\x05\x04CUEI'
    body = body[:7] + bytes([0xF0 | len(prog_info) >> 8, len(prog_info) & 0xFF]) + prog_info + body[9 + pil:]
    body += bytes([0x86, 0xE0 | CUE_PID >> 8, CUE_PID & 0xFF, 0xF0, 0x00])
    length = len(body) + 4
    new = bytes([sec[0], 0xB0 | length >> 8, length & 0xFF]) + bytes(body)
    new += I.crc_mpeg2(new).to_bytes(4, 'big')
    pk = bytes(pmt_packet[:5]) + new
    assert len(pk) <= 188
    return pk + b'\xFF' * (188 - len(pk))


def cue_packets(section, cc):
    pk = bytes([0x47, 0x40 | CUE_PID >> 8, CUE_PID & 0xFF, 0x10 | cc & 0x0F, 0]) + section
    assert len(pk) <= 188
    return pk + b'\xFF' * (188 - len(pk))


def make_input(wd):
    """The input TS with its cues: (path, the input's seconds of each colour change, cues sent)."""
    raw = os.path.join(wd, 'raw.ts')
    chain = ';'.join('color=c=%s:s=%dx%d:r=%d:d=%d[c%d]' % ('lime' if c == 'green' else c, R.W, R.H, IN_FPS, d, i)
                     for i, (c, d) in enumerate(IN_COLOURS))
    total = sum(d for _, d in IN_COLOURS)
    J.must(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-filter_complex',
            chain + ';' + ''.join('[c%d]' % i for i in range(len(IN_COLOURS))) +
            'concat=n=%d:v=1:a=0[v];sine=frequency=1000:sample_rate=48000:duration=%d[a]' % (len(IN_COLOURS), total),
            '-map', '[v]', '-map', '[a]', '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', str(IN_FPS),
            '-c:a', 'aac', '-f', 'mpegts', raw], timeout=120)
    r = J.must(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_packets', '-read_intervals', '%+#1',
                '-of', 'json', raw])
    pts0 = int(json.loads(r.stdout)['packets'][0]['pts'])
    changes, t = [], 0
    for _, d in IN_COLOURS:
        t += d
        changes.append(t)

    def pts(sec):
        return (pts0 + sec * 90000) % (1 << 33)
    # (input second of the splice point, section): the breaks and a cancelled one
    b1, b2o, b2i, b3o, b3i, b4 = changes[0], changes[2], changes[3], changes[4], changes[5], changes[5] + 1
    cues = [(b1, splice_insert(1001, 1, pts(b1), 3 * 90000, True)),
            (b2o, time_signal(pts(b2o), 2002, 0x34, 5 * 90000)),
            (b2i, time_signal(pts(b2i), 2002, 0x35)),
            (b3o, splice_insert(3003, 1, pts(b3o))),
            (b3i, splice_insert(3003, 0, pts(b3i))),
            (b4, splice_insert(4004, 1, pts(b4), 2 * 90000, True))]
    # sent 3, 2 and 1 s ahead (the cancel of 4004 0.5 s ahead), splice_nulls every 2 s
    sends = [(at - k, sec) for at, sec in cues for k in (3, 2, 1) if at - k >= 0]
    sends = [(t, sec) for t, sec in sends if not (sec == cues[-1][1] and t > b4 - 1)]
    sends += [(b4 - 0.5, splice_insert(4004, 1, cancel=True))]
    sends += [(t + 0.5, splice_info(0x00, b'')) for t in range(0, total, 2)]
    sends.sort(key=lambda x: x[0])
    data = open(raw, 'rb').read()
    pkts = [data[i:i + 188] for i in range(0, len(data), 188)]
    pat = psi_section(next(p for p in pkts if ts_pid(p) == 0))
    pmt_pid = (pat[10] & 0x1F) << 8 | pat[11]
    pcr0, out, cc, k = None, [], 0, 0
    for p in pkts:
        if ts_pid(p) == pmt_pid and p[1] & 0x40:
            p = declare_cues(p)
        out.append(p)
        pcr = ts_pcr(p)
        if pcr is None:
            continue
        pcr0 = pcr if pcr0 is None else pcr0
        while k < len(sends) and (pcr - pcr0) / 27e6 >= sends[k][0]:
            out.append(cue_packets(sends[k][1], cc))
            cc, k = cc + 1, k + 1
    path = os.path.join(wd, 'input.ts')
    with open(path, 'wb') as f:
        f.write(b''.join(out))
    return path, changes, cues


def udp_send(path, port, stop):
    """Sends a TS to 127.0.0.1:port in datagrams of 7 packets, paced by its PCR."""
    import socket
    data = open(path, 'rb').read()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start, pcr0 = time.monotonic(), None
    for i in range(0, len(data), 1316):
        if stop.is_set():
            break
        dg = data[i:i + 1316]
        for j in range(0, len(dg), 188):
            pcr = ts_pcr(dg[j:j + 188])
            if pcr is not None:
                pcr0 = pcr if pcr0 is None else pcr0
                wait = start + (pcr - pcr0) / 27e6 - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
        sock.sendto(dg, ('127.0.0.1', port))
    sock.close()


def run_input(wd, mode, kill_at=None, seconds=30):
    """onair on the input for `seconds`; with kill_at, killed kill_at s into the
    input and started again at once for the rest of it."""
    import threading
    path, changes, cues = make_input(wd.path)
    port = J.free_port(udp=True)
    conf = R.write_conf(wd.path, '  studio: { url: "udp://127.0.0.1:%d", timeout: 2s, scte35: %s }\n' % (port, mode),
                        '    - { source: studio, duration: 1h, title: "Live" }\n', window=60)
    stop = threading.Event()
    snd = threading.Thread(target=udp_send, args=(path, port, stop))
    snd.start()
    sent = time.monotonic()
    time.sleep(0.3)
    try:
        p = R.start_onair(conf, '--for', '%ds' % seconds)
        if kill_at is not None:
            time.sleep(max(0, sent + kill_at - time.monotonic()))
            os.killpg(p.pid, signal.SIGKILL)
            R.finish(p, 30)
            p = R.start_onair(conf, '--for', '%ds' % (sum(d for _, d in IN_COLOURS) - kill_at))
        rc, err = R.finish(p, 90)
    finally:
        stop.set()
        snd.join()
    return rc, err, os.path.join(wd.path, 'out'), changes


def case_input():
    with J.Workdir('break-input') as wd:
        fails, info = [], []
        # the input's 22 s and its 2 s timeout (the slate after it): the fourth out,
        # cancelled, would have returned at its 22 s
        rc, err, out, changes = run_input(wd, 'pass', seconds=sum(d for _, d in IN_COLOURS) + 2)
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-2000:]))
        info += [ln for ln in err.splitlines() if 'SCTE-35' in ln or 'ad break' in ln][:40]
        records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        brk = [a for a in records if a.get('event') == 'break_end']
        info.append('breaks: %s' % brk)
        got = R.runs(R.frame_colours(R.vod_copy(out, RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        # the runs of the input's colours from its first red on (slate before it connected)
        seq = [(c, i) for c, i, _ in got]
        first = next((k for k, (c, _) in enumerate(seq) if c == 'red'), None)
        seq = seq[first:] if first is not None else []
        want = [c for c, _ in IN_COLOURS]
        if [c for c, _ in seq[:len(want)]] != want:
            fails.append('on air: %s, expected the input\'s colours %s' % (seq, want))
            return R.finish_case('break-input', wd, fails, info)
        # the output frame that first shows the input's picture at each change
        at = [i for _, i in seq[1:len(want)]]
        expect = [(1001, at[0], at[1], 3.0, 3.0), (2002, at[2], at[3], 5.0, 3.0), (3003, at[4], at[5], 0, 2.0)]
        info.append('the input\'s colour changes (its %s s) air on output frames %s' % (changes[:6], at))
        if len(brk) != len(expect):
            fails.append('%d break records, expected %d (4004 was cancelled)' % (len(brk), len(expect)))
            return R.finish_case('break-input', wd, fails, info)
        segs, text = R.playlist(out, RUNG)
        t0 = t0_of(out)
        starts = {round((s[2] - t0) * FPS): s[0] for s in segs if s[2] is not None}
        tags = [attrs(ln) for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:') and 'SCTE35' in ln]
        for rec, (input_id, start, end, planned, nominal) in zip(brk, expect):
            # what aired: the input's frames between its splice points (one
            # it lost or repeated on the way counts), about the nominal length
            duration = (end - start) / FPS
            info.append('break %s: frames %d..%d, expected %d..%d (the colour changes)'
                        % (input_id, rec['start_frame'], rec['end_frame'], start, end))
            if rec.get('origin') != 'input' or rec.get('input_event_id') != input_id:
                fails.append('as-run %s: origin %s input_event_id %s, expected input and %s'
                             % (rec.get('id'), rec.get('origin'), rec.get('input_event_id'), input_id))
            if (rec['start_frame'], rec['end_frame']) != (start, end):
                fails.append('break %s aired frames %d..%d, but the input\'s splice points air on %d and %d'
                             % (input_id, rec['start_frame'], rec['end_frame'], start, end))
            if abs(rec['duration'] - duration) > 0.001 or abs(rec['planned_duration'] - planned) > 0.001 or \
                    abs(duration - nominal) > 0.25:
                fails.append('break %s: %.3f s (planned %.3f), expected %.3f, about %.1f (planned %.3f)'
                             % (input_id, rec['duration'], rec['planned_duration'], duration, nominal, planned))
            mine = [t for t in tags if t.get('ID') == rec['id']]
            o = next((t for t in mine if 'SCTE35-OUT' in t), None)
            i = next((t for t in mine if 'SCTE35-IN' in t), None)
            if not o or not i:
                fails.append('%s: DATERANGEs %s, expected an out and an in' % (rec['id'], mine))
                continue
            if planned and abs(float(o.get('PLANNED-DURATION', 0)) - planned) > 0.001:
                fails.append('%s: PLANNED-DURATION %s, expected %s' % (rec['id'], o.get('PLANNED-DURATION'), planned))
            if abs(float(i.get('DURATION', 0)) - duration) > 0.001:
                fails.append('%s: DURATION %s, expected %s' % (rec['id'], i.get('DURATION'), duration))
            check_cues(fails, rec, o, i, starts, out)
        return R.finish_case('break-input', wd, fails, info)


def case_input_ignore():
    with J.Workdir('break-input-ignore') as wd:
        fails, info = [], []
        # the input's first two breaks (its 6 and 12 s) air within 14 s
        rc, err, out, _ = run_input(wd, 'ignore', seconds=14)
        if rc != 0:
            fails.append('onair run exited %s: %s' % (rc, err[-2000:]))
        records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        brk = [a for a in records if a.get('event') == 'break_end']
        got = R.runs(R.frame_colours(R.vod_copy(out, RUNG)))
        info.append('frames: ' + ', '.join('%s@%d+%d' % (c, i, n) for c, i, n in got))
        if not any(c == 'blue' for c, _, _ in got):
            fails.append('the input did not air: %s' % got)
        _, text = R.playlist(out, RUNG)
        tags = [ln for ln in text.splitlines() if 'SCTE35' in ln or 'CUE-OUT' in ln]
        if brk or tags:
            fails.append('scte35: ignore, yet breaks %s and tags %s' % (brk, tags))
        return R.finish_case('break-input-ignore', wd, fails, info)


def case_input_restart():
    """Killed in the input's first break (3 s, auto_return) and started again at
    once: the break, still out in the packager's state, is the input's again and
    returns at its planned end (or at once, past it), with its own cue in; the
    input's next breaks go out and return as ever."""
    with J.Workdir('break-input-restart') as wd:
        fails, info = [], []
        first = IN_COLOURS[0][1]
        rc, err, out, changes = run_input(wd, 'pass', kill_at=first + 1.5)
        if rc != 0:
            fails.append('the restarted run exited %s: %s' % (rc, err[-2000:]))
        info += [ln for ln in err.splitlines() if 'SCTE-35' in ln or 'ad break' in ln][:40]
        records = [json.loads(ln) for ln in open(os.path.join(out, 'as-run.jsonl'))]
        brk = [a for a in records if a.get('event') == 'break_end']
        restart = max((a['start_frame'] for a in records if a.get('event') is None), default=None)
        info.append('breaks: %s; the restarted run\'s first program at frame %s' % (brk, restart))
        if len(brk) != 3 or [b.get('origin') for b in brk] != ['input'] * 3:
            fails.append('%d break records of origins %s, expected 3 of the input' % (len(brk),
                                                                                   [b.get('origin') for b in brk]))
            return R.finish_case('break-input-restart', wd, fails, info)
        b = brk[0]
        planned_end = b['start_frame'] + round(3 * FPS)
        if restart is None or not b['start_frame'] < restart or b['end_frame'] != max(planned_end, restart):
            fails.append('the break out at the kill aired frames %d..%d, expected %d..%d (its planned end, or '
                         'the restart\'s first frame %s past it)' % (b['start_frame'], b['end_frame'],
                                                                     b['start_frame'], max(planned_end, restart or 0),
                                                                     restart))
        if [a.get('input_event_id') for a in brk[1:]] != [2002, 3003]:
            fails.append('the breaks after the restart: input events %s, expected 2002 and 3003'
                         % [a.get('input_event_id') for a in brk[1:]])
        segs, text = R.playlist(out, RUNG)
        t0 = t0_of(out)
        starts = {round((sg[2] - t0) * FPS): sg[0] for sg in segs if sg[2] is not None}
        tags = [attrs(ln) for ln in text.splitlines() if ln.startswith('#EXT-X-DATERANGE:') and 'SCTE35' in ln]
        for rec in brk:
            o = next((t for t in tags if t.get('ID') == rec['id'] and 'SCTE35-OUT' in t), None)
            i = next((t for t in tags if t.get('ID') == rec['id'] and 'SCTE35-IN' in t), None)
            if not o or not i:
                fails.append('%s: out %s, in %s: expected both' % (rec['id'], o, i))
                continue
            check_cues(fails, rec, None, i, starts, out)
        return R.finish_case('break-input-restart', wd, fails, info)


CASES = {'ts': case_ts, 'cmaf': case_cmaf, 'api': case_api, 'restart': case_restart, 'input': case_input,
         'input-ignore': case_input_ignore, 'input-restart': case_input_restart}

if __name__ == '__main__':
    J.case_main(CASES, __doc__)
