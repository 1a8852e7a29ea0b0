"""Independent judge of onair's output: the ffmpeg CLI and ffprobe only.

Nothing here uses onair's code. Playlists and manifests are text and are
parsed with a few lines of Python; every fact about the media (timestamps,
keyframes, profile, level, frame counts, sync) comes from ffprobe or from the
ffmpeg CLI decoding the output the way a player would.

A judge returns a list of failure strings instead of stopping at the first,
so one run reports everything that is wrong with an output tree.
"""

import concurrent.futures
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

AAC_FRAME = 1024 / 48000  # seconds of one AAC-LC frame at onair's 48 kHz
MS = 0.0015               # EXTINF is written to the millisecond; 90 kHz ticks add a little

# Rungs as DESIGN.md names them.
NAMED_RUNGS = {
    '1080p': (1920, 1080, 5000_000),
    '720p': (1280, 720, 3000_000),
    '480p': (854, 480, 1500_000),
    '360p': (640, 360, 800_000),
    '240p': (426, 240, 400_000),
}

# H.264 profile names as ffprobe prints them -> profile_idc.
PROFILE_IDC = {
    'Baseline': 0x42, 'Constrained Baseline': 0x42, 'Main': 0x4D, 'Extended': 0x58,
    'High': 0x64, 'High 10': 0x6E, 'High 4:2:2': 0x7A, 'High 4:4:4 Predictive': 0xF4,
}

# Things in stderr that mean the process crashed or tripped a sanitizer.
CRASH_MARKERS = ('Segmentation fault', 'AddressSanitizer', 'LeakSanitizer',
                 'UndefinedBehaviorSanitizer', 'runtime error:', 'core dumped',
                 'Assertion', 'Aborted', 'double free', 'stack smashing')

# FFmpeg 5.1's DASH demuxer prints this on valid manifests (FIELD-NOTES.md).
DASH_NOISE = re.compile(r'Error when loading first fragment of playlist')


def free_port(udp=False):
    """A port on 127.0.0.1 free now (TCP, or UDP), for a server or sender a test starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def timeout_scale():
    try:
        return max(1.0, float(os.environ.get('ONAIR_TIMEOUT_SCALE', '1')))
    except ValueError:
        return 1.0


# --------------------------------------------------------------------------
# Processes

class Result:
    def __init__(self, argv, returncode, stdout, stderr, timed_out, seconds):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.seconds = seconds

    def describe(self):
        tail = self.stderr[-3000:]
        return ('command: %s\nexit: %s%s\nstderr (tail):\n%s' %
                (' '.join(self.argv), self.returncode,
                 ' (timed out)' if self.timed_out else '', tail))


def run(argv, timeout=120, env=None, stdin=subprocess.DEVNULL, binary=False):
    """Run argv in its own process group; kill the whole group on timeout."""
    import time
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    if not binary:
        out = out.decode('utf-8', 'replace')
    err = err.decode('utf-8', 'replace')
    return Result([str(a) for a in argv], p.returncode, out, err, timed_out,
                  time.monotonic() - t0)


def must(argv, timeout=120, binary=False):
    r = run(argv, timeout=timeout, binary=binary)
    if r.returncode != 0 or r.timed_out:
        raise RuntimeError('helper command failed\n' + r.describe())
    return r


def onair_path():
    exe = os.environ.get('ONAIR') or os.path.join(REPO, 'build', 'cli', 'onair')
    if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        raise RuntimeError('onair binary not found at %s (set ONAIR or build first)' % exe)
    return exe


def run_onair(args, timeout=120, wrapper=()):
    """Run onair with args (under wrapper, e.g. taskset, when given); the timeout
    grows with ONAIR_TIMEOUT_SCALE (sanitizer builds)."""
    return run(list(wrapper) + [onair_path()] + [str(a) for a in args],
               timeout=timeout * timeout_scale())


def crash_failures(r):
    """Failures if r crashed, hung or tripped a sanitizer, whatever its exit code."""
    f = []
    if r.timed_out:
        f.append('onair did not finish within %.0f s (hang?)' % r.seconds)
    elif r.returncode < 0 or r.returncode >= 128:
        f.append('onair died: exit status %d' % r.returncode)
    for m in CRASH_MARKERS:
        if m in r.stderr:
            f.append('onair stderr contains %r' % m)
    return f


# --------------------------------------------------------------------------
# Test media, generated with the ffmpeg CLI's lavfi sources

# Flashes and beeps of the A/V sync clip: start times in seconds (on the
# 30 fps grid), each lasting 0.1 s.
SYNC_EVENTS = (1.5, 4.0, 7.3)


def make_media(kind, directory, duration=10):
    """Generate a test clip; return (path, facts) where facts come from ffprobe."""
    ff = ['ffmpeg', '-nostdin', '-v', 'error', '-y']
    d = str(duration)
    x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '45']
    sine = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=' + d]
    aac = ['-c:a', 'aac', '-b:a', '96k']
    if kind == 'std':
        path = os.path.join(directory, 'std.mp4')
        argv = ff + ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=' + d] + sine + \
            x264 + aac + ['-shortest', path]
    elif kind == 'ntsc':
        path = os.path.join(directory, 'ntsc.mp4')
        argv = ff + ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30000/1001:duration=' + d] + \
            sine + x264 + aac + ['-shortest', path]
    elif kind == 'noaudio':
        path = os.path.join(directory, 'noaudio.mp4')
        argv = ff + ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=' + d] + \
            x264 + [path]
    elif kind == 'interlaced':
        # 60p motion (a picture panning 6 px a frame) woven into 30i TFF, coded
        # as interlaced H.264. testsrc2 is not used: its fine detail reads as
        # combing to idet even when progressive.
        path = os.path.join(directory, 'interlaced.mp4')
        src = "testsrc=size=1280x360:rate=60:duration=%s,crop=640:360:x='mod(n*6\\,640)':y=0" % d
        argv = ff + ['-f', 'lavfi', '-i', src] + sine + \
            ['-vf', 'tinterlace=mode=interleave_top,setfield=tff',
             '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
             '-flags', '+ildct+ilme', '-x264opts', 'tff=1'] + aac + ['-shortest', path]
    elif kind == 'avsync':
        # Black picture and silence; a white frame and a 1 kHz beep start
        # together at each SYNC_EVENTS time. PCM audio in Matroska so that
        # the source itself carries no codec delay.
        path = os.path.join(directory, 'avsync.mkv')
        on = '+'.join('between(t,%.3f,%.3f)' % (t, t + 0.099) for t in SYNC_EVENTS)
        aon = '+'.join('between(t,%.3f,%.3f)' % (t, t + 0.1) for t in SYNC_EVENTS)
        video = ("color=c=black:size=640x360:rate=30:duration=%s,"
                 "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='%s'" % (d, on))
        audio = "aevalsrc='0.5*sin(2*PI*1000*t)*(%s)':s=48000:c=stereo:d=%s" % (aon, d)
        argv = ff + ['-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', audio] + \
            ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '45',
             '-c:a', 'pcm_s16le', path]
    elif kind == 'ts':
        path = os.path.join(directory, 'std.ts')
        argv = ff + ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=' + d] + sine + \
            x264 + aac + ['-shortest', '-f', 'mpegts', path]
    else:
        raise ValueError(kind)
    must(argv, timeout=120)
    facts = source_facts(path)
    facts['path'] = path
    return path, facts


def source_facts(path):
    r = must(['ffprobe', '-v', 'error', '-count_packets', '-of', 'json', '-show_entries',
              'stream=codec_type,width,height,r_frame_rate,nb_read_packets,field_order',
              path])
    facts = {'audio': False}
    for s in json.loads(r.stdout)['streams']:
        if s['codec_type'] == 'video' and 'fps' not in facts:
            facts.update(width=s['width'], height=s['height'],
                         fps=Fraction(s['r_frame_rate']),
                         frames=int(s['nb_read_packets']),
                         field_order=s.get('field_order', 'unknown'))
        elif s['codec_type'] == 'audio':
            facts['audio'] = True
    return facts


def expectation(facts, ladder, segment=2.0, fmt='hls'):
    """What a correct output looks like for a source and a --ladder."""
    rungs = []
    absent = []
    for spec in ladder.split(','):
        if spec in NAMED_RUNGS:
            w, h, _ = NAMED_RUNGS[spec]
            name = spec
        else:
            m = re.fullmatch(r'(\d+)x(\d+)@\w+', spec)
            w, h, name = int(m.group(1)), int(m.group(2)), '%sx%s' % (m.group(1), m.group(2))
        if h > facts['height']:
            absent.append(name)
        else:
            rungs.append((name, w, h))
    return {'format': fmt, 'rungs': rungs, 'absent': absent, 'segment': float(segment),
            'fps': facts['fps'], 'frames': facts.get('frames'), 'audio': facts['audio'],
            'src_dar': Fraction(facts['width'], facts['height'])}


# --------------------------------------------------------------------------
# Text formats

ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def parse_attrs(s):
    return {k: v[1:-1] if v.startswith('"') else v for k, v in ATTR.findall(s)}


def parse_master(path):
    lines = open(path, encoding='utf-8').read().splitlines()
    m = {'first': lines[0] if lines else '', 'variants': [], 'media': [], 'tags': set()}
    pending = None
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        if ln.startswith('#'):
            tag = ln.split(':', 1)[0]
            m['tags'].add(tag)
            if tag == '#EXT-X-STREAM-INF':
                pending = parse_attrs(ln.split(':', 1)[1])
            elif tag == '#EXT-X-MEDIA':
                m['media'].append(parse_attrs(ln.split(':', 1)[1]))
        elif pending is not None:
            pending['URI'] = ln
            m['variants'].append(pending)
            pending = None
    return m


def parse_media(path):
    text = open(path, encoding='utf-8').read()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    p = {'first': lines[0] if lines else '', 'last': lines[-1] if lines else '',
         'segments': [], 'tags': {}, 'extinf_raw': [], 'map': None}
    dur = None
    for ln in lines:
        if ln.startswith('#EXTINF:'):
            raw = ln[len('#EXTINF:'):].split(',', 1)[0]
            p['extinf_raw'].append(raw)
            dur = float(raw)
        elif ln.startswith('#EXT-X-MAP:'):
            p['map'] = parse_attrs(ln.split(':', 1)[1]).get('URI')
        elif ln.startswith('#'):
            k, _, v = ln.partition(':')
            p['tags'][k] = v
        else:
            p['segments'].append((ln, dur))
            dur = None
    return p


def iso_duration(s):
    m = re.fullmatch(r'P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?', s or '')
    if not m:
        return None
    d, h, mi, se = m.groups()
    return (int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(se or 0))


# --------------------------------------------------------------------------
# Media facts through ffprobe / ffmpeg

def probe(url):
    """Packets and streams of one segment (url may be concat:init|seg)."""
    r = run(['ffprobe', '-v', 'error', '-of', 'json', '-show_entries',
             'packet=stream_index,pts_time,dts_time,duration_time,flags,size:'
             'stream=index,codec_type,codec_name,profile,level,width,height,r_frame_rate,'
             'sample_rate,channels,field_order,sample_aspect_ratio', url], timeout=60)
    if r.returncode != 0 or r.timed_out:
        return {'error': r.stderr.strip() or 'ffprobe failed', 'streams': [], 'packets': []}
    j = json.loads(r.stdout or '{}')
    j.setdefault('streams', [])
    j.setdefault('packets', [])
    j['error'] = r.stderr.strip()
    return j


def probe_many(urls):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        return list(ex.map(probe, urls))


def url_files(url):
    """The files behind a segment URL: [seg], or [init, seg] for concat:init|seg."""
    return url[len('concat:'):].split('|') if url.startswith('concat:') else [url]


NOPTS = -(1 << 63)


def packets_alone(urls, timeout=300):
    """What probe(u) tells of packets and stream types, for many segment URLs in ONE
    process: the ffmpeg CLI opens every url as an input of its own (its own demuxer,
    knowing nothing of the other segments: what probing that one segment opens) and
    stream-copies every stream of every input to framecrc.

    Each packet's pts, dts and duration are the demuxer's own, as -debug_ts prints them
    when the packet is read (before the CLI adjusts anything: it would, for one, give an
    audio packet its dts as pts); its size and flags are what framecrc prints for it. The
    two are paired per stream in order, and framecrc's dts must be the demuxer's for
    every packet: so no packet was dropped, added, reordered or retimed on the way.

    Returns a list (url order) of {'streams': [{'index', 'codec_type', 'codec_name', and
    for video 'width', 'height'}],
    'packets': [ffprobe-style packet dicts, in demuxing order], 'error': ''}, or None when
    the run said anything but its usual report (an input that did not open, a warning, a
    corrupt packet) or the pairing does not hold: the caller then probes each url alone
    with ffprobe, as before."""
    argv = ['ffmpeg', '-nostdin', '-hide_banner', '-nostats', '-v', 'info', '-debug_ts',
            '-copyts']
    for u in urls:
        argv += ['-i', u]
    for k in range(len(urls)):
        argv += ['-map', str(k)]
    argv += ['-c', 'copy', '-copyinkf', '-copypriorss', '1', '-f', 'framecrc', '-']
    r = run(argv, timeout=timeout)
    if r.returncode != 0 or r.timed_out:
        return None
    out = [{'streams': [], 'packets': [], 'error': ''} for _ in urls]
    inputs = 0
    where = {}   # output stream -> (input, its stream)
    demuxed = []  # (global input stream, pts, dts, duration) in the order read
    section = None
    for ln in r.stderr.splitlines():
        if ln.startswith('demuxer -> '):
            m = re.match(r'demuxer -> ist_index:(\d+) .* pkt_pts:(-?\d+|NOPTS) .* '
                         r'pkt_dts:(-?\d+|NOPTS) .* duration:(-?\d+|NOPTS) ', ln)
            if not m:
                return None
            demuxed.append(tuple(NOPTS if x == 'NOPTS' else int(x) for x in m.groups()))
            continue
        if ln.startswith(('demuxer+ffmpeg -> ', 'muxer <- ')):
            continue
        m = re.match(r"Input #(\d+), .*, from '(.*)':$", ln)
        if m:
            if int(m.group(1)) != inputs or inputs >= len(urls) or m.group(2) != urls[inputs]:
                return None
            inputs += 1
            section = 'input'
            continue
        if ln == "Output #0, framecrc, to 'pipe:':":
            section = 'output'
            continue
        if ln == 'Stream mapping:':
            section = 'mapping'
            continue
        if re.match(r'(frame=|size=|video:\d+kB audio:)', ln):
            section = None
            continue
        if not ln.startswith('  ') or section is None:
            return None  # a diagnostic ([demuxer @ ...] ...), an error, a warning
        if section == 'input':
            m = re.match(r'  Stream #(\d+):(\d+)(?:\[\w+\])?(?:\([^)]*\))?: (\w+): ([^\s,]+)', ln)
            if m:
                k, j = int(m.group(1)), int(m.group(2))
                if k != inputs - 1 or j != len(out[k]['streams']):
                    return None
                out[k]['streams'].append({'index': j, 'codec_type': m.group(3).lower(),
                                          'codec_name': m.group(4)})
        elif section == 'mapping':
            m = re.fullmatch(r'  Stream #(\d+):(\d+) -> #0:(\d+) \(copy\)', ln)
            if not m:
                return None
            where[int(m.group(3))] = (int(m.group(1)), int(m.group(2)))
    ist = [(k, s['index']) for k in range(len(urls)) for s in out[k]['streams']]
    if inputs != len(urls) or sorted(where.values()) != ist:
        return None
    tb = {}
    muxed = {x: [] for x in ist}  # (input, stream) -> [(dts, size, flags)]
    for ln in r.stdout.splitlines():
        m = re.fullmatch(r'#tb (\d+): (\d+)/(\d+)', ln)
        if m:
            tb[where.get(int(m.group(1)))] = int(m.group(2)) / int(m.group(3))  # av_q2d
            continue
        m = re.fullmatch(r'#dimensions (\d+): (\d+)x(\d+)', ln)
        if m and int(m.group(1)) in where:
            k, j = where[int(m.group(1))]
            out[k]['streams'][j].update(width=int(m.group(2)), height=int(m.group(3)))
            continue
        if ln.startswith('#') or not ln.strip():
            continue
        f = [x.strip() for x in ln.split(',')]
        try:
            o, dts, _, _, size = (int(x) for x in f[:5])
            flags = int(f[6][2:], 16) if len(f) > 6 and f[6].startswith('F=') else 1
            muxed[where[o]].append((dts, size, flags))
        except (ValueError, KeyError, IndexError):
            return None
    taken = {x: 0 for x in ist}
    for g, pts, dts, dur in demuxed:
        if g >= len(ist):
            return None
        k, j = ist[g]
        n = taken[(k, j)]
        if n >= len(muxed[(k, j)]) or (k, j) not in tb:
            return None
        mdts, size, flags = muxed[(k, j)][n]
        if dts != NOPTS and mdts != dts:
            return None
        taken[(k, j)] = n + 1
        q = tb[(k, j)]
        p = {'stream_index': j, 'size': str(size),
             'flags': ('K' if flags & 1 else '_') + ('D' if flags & 4 else '_')}
        # as ffprobe prints them: ts * av_q2d(time_base) with %f, left out when unset
        if pts != NOPTS:
            p['pts_time'] = '%f' % (pts * q)
        if dts != NOPTS:
            p['dts_time'] = '%f' % (dts * q)
        if dur and dur != NOPTS:
            p['duration_time'] = '%f' % (dur * q)
        out[k]['packets'].append(p)
    if any(taken[x] != len(muxed[x]) for x in ist):
        return None
    return out


ALONE_MAX = 100  # inputs per ffmpeg run


def probe_segments(urls):
    """probe(u) for every u in urls (the segments of one playlist or Representation),
    each segment still read on its own: the first by ffprobe exactly as before (its
    streams' profile, level, size, rate... are what the judge checks), the rest by
    packets_alone in one ffmpeg run. Where that run cannot stand for them (see
    packets_alone), or a later segment's streams are not the first one's, every
    segment is probed alone with ffprobe as before.

    Returns (list of probe dicts, None) or (that list, why it fell back)."""
    if not urls:
        return [], None
    rest = [urls[k:k + ALONE_MAX] for k in range(1, len(urls), ALONE_MAX)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        first = ex.submit(probe, urls[0])
        alone = list(ex.map(packets_alone, rest))
        first = first.result()
    why = None
    pjs = [first]
    for got in alone:
        if got is None:
            why = 'ffmpeg did not read every segment cleanly'
            break
        pjs += got
    if why is None:
        kinds = [(s.get('index'), s.get('codec_type'), s.get('codec_name'))
                 for s in first['streams']]
        for i, pj in enumerate(pjs[1:], 1):
            mine = [(s['index'], s['codec_type'], s['codec_name']) for s in pj['streams']]
            if mine != kinds:
                why = 'segment %d has streams %s, segment 0 %s' % (i, mine, kinds)
                break
            types = [s['codec_type'] for s in pj['streams']]
            if len(set(types)) != len(types):
                why = 'segment %d has two streams of a kind' % i
                break
    if why is None and (first['error'] or not first['packets']):
        why = 'ffprobe on segment 0: %s' % (first['error'][:200] or 'no packets')
    if why is not None:
        return [first] + probe_many(urls[1:]), why
    return pjs, None


def seg_timing(pj, kind):
    """(first pts, last pts, packets of kind in decode order) of one probed segment."""
    idx = {s['index'] for s in pj['streams'] if s['codec_type'] == kind}
    pk = [p for p in pj['packets'] if p.get('stream_index') in idx]
    pts = [float(p['pts_time']) for p in pk if p.get('pts_time') not in (None, 'N/A')]
    return (min(pts) if pts else None), (max(pts) if pts else None), pk


def seg_end(pj, kind, default_dur):
    """Presentation end of a segment: the latest pts + that packet's duration."""
    _, _, pk = seg_timing(pj, kind)
    ends = []
    for p in pk:
        if p.get('pts_time') in (None, 'N/A'):
            continue
        d = p.get('duration_time')
        d = float(d) if d not in (None, 'N/A') and float(d) > 0 else default_dur
        ends.append(float(p['pts_time']) + d)
    return max(ends) if ends else None


def first_packet_nals(url):
    """The NAL units of url's first video packet, as the ffmpeg CLI copies them out in
    Annex B: (nal_unit_type, bytes after the NAL header) each, in order."""
    r = run(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', '0:v:0', '-c', 'copy',
             '-bsf:v', 'h264_mp4toannexb', '-frames:v', '1', '-f', 'h264', '-'],
            timeout=60, binary=True)
    data = r.stdout
    i = data.find(b'\x00\x00\x01')
    while 0 <= i and i + 3 < len(data):
        end = data.find(b'\x00\x00\x01', i + 3)
        yield data[i + 3] & 0x1F, data[i + 4:end if end >= 0 else len(data)]
        i = end


def sps_bytes(url):
    """profile_idc, constraint flags, level_idc of the first SPS, as 6 hex digits."""
    for nal_type, body in first_packet_nals(url):
        if nal_type == 7 and len(body) >= 3:
            return body[:3].hex()
    return None


def first_slice_type(url):
    """nal_unit_type of the first slice NAL (1 to 5) of url's first video packet: 5 is an
    IDR, 1 a picture that is not (an I-frame that is no IDR, too). None when there is none."""
    for nal_type, _ in first_packet_nals(url):
        if 1 <= nal_type <= 5:
            return nal_type
    return None


def count_frames(url, stream_spec):
    r = run(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', stream_spec,
             '-fps_mode', 'passthrough', '-f', 'framecrc', '-'], timeout=180)
    return sum(1 for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith('#'))


def avc1_from_ffprobe(stream):
    idc = PROFILE_IDC.get(stream.get('profile'))
    lvl = stream.get('level')
    if idc is None or lvl is None:
        return None
    return idc, int(lvl)


def decode_all(url, dash=False, timeout=180):
    """Decode every stream of url the way a player would; (failures, frames per stream, types)."""
    r = run(['ffmpeg', '-nostdin', '-v', 'error', '-i', url, '-map', '0',
             '-fps_mode', 'passthrough', '-f', 'framecrc', '-'],
            timeout=timeout)
    failures = []
    errs = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if dash:
        errs = [ln for ln in errs if not DASH_NOISE.search(ln) and
                'Last message repeated' not in ln]
    if r.returncode != 0 or r.timed_out:
        failures.append('ffmpeg could not decode %s (exit %s): %s' %
                        (os.path.basename(url), r.returncode, ' | '.join(errs[-5:])))
    elif errs:
        failures.append('ffmpeg decoding %s reported errors: %s' %
                        (os.path.basename(url), ' | '.join(errs[:5])))
    frames = {}
    # framecrc's header names the type of each stream it decoded ("#media_type 1: audio").
    types = {}
    for ln in r.stdout.splitlines():
        m = re.fullmatch(r'#media_type (\d+): (\w+)', ln)
        if m:
            types[int(m.group(1))] = m.group(2)
        if ln.startswith('#') or not ln.strip():
            continue
        s = int(ln.split(',', 1)[0])
        frames[s] = frames.get(s, 0) + 1
    return failures, frames, types


# --------------------------------------------------------------------------
# The judge of an output tree

class Judge:
    def __init__(self, outdir, exp, audio_grid=AAC_FRAME + 0.001):
        self.out = outdir
        self.exp = exp
        self.fail = []
        self.info = []
        self.audio_grid = audio_grid
        self.referenced = set()
        self.fps = exp['fps']
        self.frame = float(1 / exp['fps'])
        # The same files read twice give the same answer: CMAF's HLS playlists and its
        # MPD name the same segments, an MPEG-TS segment holds video and audio.
        self.probed = {}
        self.sps = {}

    def f(self, msg):
        self.fail.append(msg)

    @staticmethod
    def files_key(url):
        return tuple(os.path.realpath(x) for x in url_files(url))

    def probe_segments(self, label, urls):
        """probe(u) for each segment URL u of one playlist/Representation (probe_segments)."""
        key = tuple(self.files_key(u) for u in urls)
        if key not in self.probed:
            pjs, why = probe_segments(urls)
            if why:
                self.info.append('%s: every segment probed alone with ffprobe (%s)' % (label, why))
            self.probed[key] = pjs
        return self.probed[key]

    def sps_bytes(self, url):
        key = self.files_key(url)
        if key not in self.sps:
            self.sps[key] = sps_bytes(url)
        return self.sps[key]

    # -- checks shared by HLS and DASH -------------------------------------

    def check_video_segments(self, label, urls, durations):
        """urls: probe-able segment URLs of one rung; durations: what the playlist or MPD says.

        Returns list of segment start times (first video pts) and the first stream dict."""
        pjs = self.probe_segments(label, urls)
        starts, ends, nframes, stream = [], [], 0, None
        prev_max = None
        for i, (u, pj) in enumerate(zip(urls, pjs)):
            name = '%s segment %d' % (label, i)
            if pj['error'] and not pj['packets']:
                self.f('%s: ffprobe failed: %s' % (name, pj['error'][:300]))
                starts.append(None)
                ends.append(None)
                continue
            vs = [s for s in pj['streams'] if s['codec_type'] == 'video']
            if not vs:
                self.f('%s: no video stream' % name)
                starts.append(None)
                ends.append(None)
                continue
            if stream is None:
                stream, stream_seg = vs[0], i
            size = (vs[0].get('width'), vs[0].get('height'))
            if size != (stream.get('width'), stream.get('height')):
                self.f('%s: %sx%s, segment %d is %sx%s' % (name, size[0], size[1], stream_seg,
                                                           stream.get('width'), stream.get('height')))
            first, last, pk = seg_timing(pj, 'video')
            if not pk:
                self.f('%s: no video packets' % name)
            elif 'K' not in pk[0].get('flags', ''):
                self.f('%s: first video packet is not a keyframe (flags %r)' %
                       (name, pk[0].get('flags')))
            nframes += len(pk)
            if first is not None and prev_max is not None and first <= prev_max:
                self.f('%s: starts at %.6f, not after the previous segment (%.6f): '
                       'timestamps go back or repeat' % (name, first, prev_max))
            prev_max = last
            starts.append(first)
            ends.append(seg_end(pj, 'video', self.frame))
            if self.exp['audio'] and self.exp['format'] == 'hls':
                a_first, _, apk = seg_timing(pj, 'audio')
                if not apk:
                    self.f('%s: no audio packets in a TS segment (source has audio)' % name)
            if not self.exp['audio'] and any(s['codec_type'] == 'audio' for s in pj['streams']):
                self.f('%s: has an audio stream but the source has none' % name)
        # durations
        seg = self.exp['segment']
        whole = abs(seg * float(self.fps) - round(seg * float(self.fps))) < 1e-9
        tol = 0.001 if whole else self.frame + 0.001
        n = len(urls)
        measured = []
        for i in range(n):
            if starts[i] is None:
                measured.append(None)
                continue
            if i + 1 < n and starts[i + 1] is not None:
                measured.append(starts[i + 1] - starts[i])
            elif i + 1 == n and ends[i] is not None:
                measured.append(ends[i] - starts[i])
            else:
                measured.append(None)
        for i, (m, d) in enumerate(zip(measured, durations)):
            name = '%s segment %d' % (label, i)
            if m is None:
                continue
            if d is not None and abs(m - d) > MS:
                self.f('%s: lasts %.4f s by its timestamps but the playlist says %.3f' %
                       (name, m, d))
            if i + 1 < n and abs(m - seg) > tol:
                self.f('%s: lasts %.4f s, --segment is %g (tolerance %.4f)' % (name, m, seg, tol))
            if i + 1 == n and not (0 < m <= seg + tol):
                self.f('%s (last): lasts %.4f s, must be > 0 and <= %g' % (name, m, seg))
        if self.exp.get('frames') is not None and nframes != self.exp['frames']:
            self.f('%s: %d video frames in all segments, the source has %d' %
                   (label, nframes, self.exp['frames']))
        if all(m is not None for m in measured) and measured:
            total = sum(measured)
            if self.exp.get('frames'):
                want = self.exp['frames'] * self.frame
                if abs(total - want) > self.frame + 0.001:
                    self.f('%s: segments cover %.4f s, the source is %.4f s' % (label, total, want))
        if whole and self.exp.get('frames'):
            want_n = math.ceil(self.exp['frames'] / (seg * float(self.fps)) - 1e-9)
            if n != want_n:
                self.f('%s: %d segments, expected %d' % (label, n, want_n))
        self.info.append('%s: %d segments, durations %s' %
                         (label, n, ', '.join('%.3f' % m if m is not None else '?'
                                              for m in measured)))
        return starts, stream, urls

    def check_stream(self, label, stream, rung):
        name, w, h = rung
        if stream is None:
            return
        if stream.get('codec_name') != 'h264':
            self.f('%s: codec %s, expected h264' % (label, stream.get('codec_name')))
        sw, sh = stream.get('width'), stream.get('height')
        if (sw, sh) != (w, h):
            self.f('%s: picture is %sx%s, rung %s is %dx%d' % (label, sw, sh, name, w, h))
        if sw and sh:
            sar = stream.get('sample_aspect_ratio') or '1:1'
            try:
                sn, sd = (int(x) for x in sar.split(':'))
                sar_f = Fraction(sn, sd) if sn and sd else Fraction(1)
            except ValueError:
                sar_f = Fraction(1)
            dar = Fraction(sw, sh) * sar_f
            if abs(float(dar / self.exp['src_dar']) - 1) > 0.01:
                self.f('%s: display aspect %.4f, source %.4f (aspect not kept)' %
                       (label, float(dar), float(self.exp['src_dar'])))
        fr = stream.get('r_frame_rate')
        if fr and Fraction(fr) != self.fps:
            self.f('%s: ffprobe r_frame_rate %s, source %s' % (label, fr, self.fps))
        fo = stream.get('field_order', 'unknown')
        if fo not in ('progressive', 'unknown'):
            self.f('%s: field_order %s, output must be progressive' % (label, fo))

    def check_codecs(self, label, codecs, first_url, stream):
        """codecs: the CODECS/codecs string; first_url: a probe-able URL of the stream."""
        parts = [c.strip() for c in codecs.split(',') if c.strip()]
        avc = [c for c in parts if c.lower().startswith('avc1.')]
        mp4a = [c for c in parts if c.lower().startswith('mp4a')]
        if len(avc) != 1:
            self.f('%s: CODECS %r has no single avc1 entry' % (label, codecs))
        else:
            sps = self.sps_bytes(first_url)
            want = 'avc1.' + sps if sps else None
            if sps is None:
                self.f('%s: could not read an SPS from the stream' % label)
            elif avc[0].lower() != want.lower():
                self.f('%s: CODECS says %s but the stream\'s SPS is %s' % (label, avc[0], want))
            pl = avc1_from_ffprobe(stream or {})
            if pl:
                try:
                    got = int(avc[0][5:7], 16), int(avc[0][9:11], 16)
                except ValueError:
                    got = None
                if got != pl:
                    self.f('%s: CODECS %s does not match ffprobe profile %s level %s '
                           '(avc1.%02x..%02x)' % (label, avc[0], stream.get('profile'),
                                                   stream.get('level'), pl[0], pl[1]))
        return mp4a

    def check_audio_probe(self, label, pj):
        a = [s for s in pj['streams'] if s['codec_type'] == 'audio']
        if not a:
            self.f('%s: no audio stream' % label)
            return
        a = a[0]
        if a.get('codec_name') != 'aac' or a.get('profile') != 'LC':
            self.f('%s: audio is %s %s, expected AAC LC' % (label, a.get('codec_name'),
                                                          a.get('profile')))
        if str(a.get('sample_rate')) != '48000' or a.get('channels') != 2:
            self.f('%s: audio is %s Hz %s channels, expected 48000 Hz stereo' %
                   (label, a.get('sample_rate'), a.get('channels')))

    def check_audio_continuity(self, label, pjs):
        """AAC packets across all segments step by exactly one frame: no gap, no repeat."""
        pts = []
        for pj in pjs:
            _, _, pk = seg_timing(pj, 'audio')
            pts += [float(p['pts_time']) for p in pk if p.get('pts_time') not in (None, 'N/A')]
        if not pts:
            return
        bad = [(a, b) for a, b in zip(pts, pts[1:]) if abs((b - a) - AAC_FRAME) > 0.0012]
        if bad:
            self.f('%s: %d audio packet steps are not one AAC frame, first %.6f -> %.6f' %
                   (label, len(bad), bad[0][0], bad[0][1]))

    def check_files(self):
        """No file in OUTDIR that no playlist or manifest references (half-written, temp)."""
        for root, _, files in os.walk(self.out):
            for fn in files:
                p = os.path.relpath(os.path.join(root, fn), self.out)
                if p in ('master.m3u8', 'manifest.mpd'):
                    continue
                if p not in self.referenced:
                    self.f('stray file in OUTDIR not referenced by any playlist/manifest: %s' % p)

    # -- HLS ---------------------------------------------------------------

    def judge_hls(self):
        fmt = self.exp['format']
        fmp4 = fmt != 'hls'
        mpath = os.path.join(self.out, 'master.m3u8')
        if not os.path.isfile(mpath):
            self.f('no master.m3u8 in OUTDIR')
            return
        m = parse_master(mpath)
        if m['first'] != '#EXTM3U':
            self.f('master.m3u8 does not start with #EXTM3U')
        video_variants = [v for v in m['variants'] if 'avc1' in v.get('CODECS', '')]
        by_uri = {v['URI']: v for v in video_variants}
        want_uris = ['%s/index.m3u8' % r[0] for r in self.exp['rungs']]
        if sorted(by_uri) != sorted(want_uris):
            self.f('master.m3u8 variants %s, expected %s' % (sorted(by_uri), sorted(want_uris)))
        for name in self.exp['absent']:
            if os.path.exists(os.path.join(self.out, name)):
                self.f('rung %s is taller than the source but %s/ exists' % (name, name))
        audio_media = [x for x in m['media'] if x.get('TYPE') == 'AUDIO']
        audio_pl = None
        if fmp4 and self.exp['audio']:
            if len(audio_media) != 1:
                self.f('master.m3u8: expected one EXT-X-MEDIA TYPE=AUDIO, found %d' %
                       len(audio_media))
            else:
                am = audio_media[0]
                if am.get('GROUP-ID') != 'aac':
                    self.f('EXT-X-MEDIA GROUP-ID is %r, expected "aac"' % am.get('GROUP-ID'))
                if am.get('URI') != 'audio/index.m3u8':
                    self.f('EXT-X-MEDIA URI is %r, expected audio/index.m3u8' % am.get('URI'))
                audio_pl = am.get('URI')
            for v in video_variants:
                if v.get('AUDIO') != 'aac':
                    self.f('variant %s: AUDIO=%r, expected "aac"' % (v['URI'], v.get('AUDIO')))
        if not self.exp['audio']:
            if m['media']:
                self.f('master.m3u8 has EXT-X-MEDIA but the source has no audio')
            for v in video_variants:
                if 'AUDIO' in v:
                    self.f('variant %s names an AUDIO group but the source has no audio' %
                           v['URI'])
        independent_master = '#EXT-X-INDEPENDENT-SEGMENTS' in m['tags']

        rung_starts = {}
        audio_bits = None
        audio_starts = None
        if audio_pl:
            audio_starts, audio_bits = self.judge_audio_playlist(audio_pl)
        for rung in self.exp['rungs']:
            uri = '%s/index.m3u8' % rung[0]
            v = by_uri.get(uri)
            if v is None or not os.path.isfile(os.path.join(self.out, uri)):
                if v is not None:
                    self.f('%s is in master.m3u8 but missing on disk' % uri)
                continue
            self.referenced.add(uri)
            starts = self.judge_media_playlist(uri, v, rung, fmp4, independent_master,
                                               audio_bits)
            rung_starts[rung[0]] = starts
            if audio_starts is not None and starts:
                self.compare_audio_grid(rung[0], starts, audio_starts)
        self.compare_boundaries(rung_starts)

    def judge_media_playlist(self, uri, variant, rung, fmp4, independent_master, audio_bits):
        label = uri
        path = os.path.join(self.out, uri)
        base = os.path.dirname(path)
        p = parse_media(path)
        self.check_playlist_text(label, p, fmp4, independent_master)
        urls, durs, sizes = [], [], []
        init = None
        if fmp4:
            if p['map'] != 'init.mp4':
                self.f('%s: EXT-X-MAP URI is %r, expected init.mp4' % (label, p['map']))
            if p['map']:
                init = os.path.join(base, p['map'])
                self.referenced.add(os.path.relpath(init, self.out))
                if not os.path.isfile(init):
                    self.f('%s: init segment %s missing' % (label, p['map']))
                    return None
        ext = 'm4s' if fmp4 else 'ts'
        for i, (s, d) in enumerate(p['segments']):
            want = 'seg_%08d.%s' % (i, ext)
            if s != want:
                self.f('%s: segment %d is named %s, expected %s' % (label, i, s, want))
            sp = os.path.join(base, s)
            self.referenced.add(os.path.relpath(sp, self.out))
            if not os.path.isfile(sp):
                self.f('%s: segment %s missing' % (label, s))
                return None
            urls.append('concat:%s|%s' % (init, sp) if init else sp)
            durs.append(d)
            sizes.append(os.path.getsize(sp))
        if not urls:
            self.f('%s: no segments' % label)
            return None
        starts, stream, _ = self.check_video_segments(label, urls, durs)
        self.check_stream(label, stream, rung)
        if self.exp['audio'] and not fmp4:
            pjs = self.probe_segments(label, urls)  # the probes check_video_segments made
            self.check_audio_probe(label, pjs[0])
            self.check_audio_continuity(label, pjs)
        # master attributes of this variant
        vlabel = 'master.m3u8 variant %s' % uri
        mp4a = self.check_codecs(vlabel, variant.get('CODECS', ''), urls[0], stream)
        if self.exp['audio'] and mp4a != ['mp4a.40.2']:
            self.f('%s: CODECS %r, expected one mp4a.40.2 (AAC-LC)' %
                   (vlabel, variant.get('CODECS')))
        if not self.exp['audio'] and mp4a:
            self.f('%s: CODECS names audio but the source has none' % vlabel)
        if stream and variant.get('RESOLUTION') != '%sx%s' % (stream.get('width'),
                                                              stream.get('height')):
            self.f('%s: RESOLUTION=%s, stream is %sx%s' % (vlabel, variant.get('RESOLUTION'),
                                                          stream.get('width'),
                                                          stream.get('height')))
        want_fr = '%.3f' % float(self.fps)
        if variant.get('FRAME-RATE') != want_fr:
            self.f('%s: FRAME-RATE=%s, expected %s' % (vlabel, variant.get('FRAME-RATE'), want_fr))
        self.check_bandwidth(vlabel, variant, sizes, durs, audio_bits)
        return starts

    def check_playlist_text(self, label, p, fmp4, independent_master):
        t = p['tags']
        if p['first'] != '#EXTM3U':
            self.f('%s: does not start with #EXTM3U' % label)
        if t.get('#EXT-X-PLAYLIST-TYPE') != 'VOD':
            self.f('%s: EXT-X-PLAYLIST-TYPE is %r, expected VOD' %
                   (label, t.get('#EXT-X-PLAYLIST-TYPE')))
        if '#EXT-X-INDEPENDENT-SEGMENTS' not in t and not independent_master:
            self.f('%s: no EXT-X-INDEPENDENT-SEGMENTS (here or in master.m3u8)' % label)
        if p['last'] != '#EXT-X-ENDLIST':
            self.f('%s: does not end with #EXT-X-ENDLIST' % label)
        try:
            ver = int(t.get('#EXT-X-VERSION', '1'))
        except ValueError:
            ver = 0
        need = 6 if fmp4 else 3
        if ver < need:
            self.f('%s: EXT-X-VERSION %s, its tags need at least %d' %
                   (label, t.get('#EXT-X-VERSION', '(none)'), need))
        bad = [r for r in p['extinf_raw'] if not re.fullmatch(r'\d+\.\d{3}', r)]
        if bad:
            self.f('%s: EXTINF values not written with 3 decimals: %s' % (label, bad[:3]))
        durs = [d for _, d in p['segments'] if d is not None]
        if durs:
            want = int(max(durs) + 0.5)
            try:
                td = int(t.get('#EXT-X-TARGETDURATION', ''))
            except ValueError:
                td = None
            if td != want:
                self.f('%s: EXT-X-TARGETDURATION %s, rounded max EXTINF is %d' %
                       (label, t.get('#EXT-X-TARGETDURATION'), want))
        if any(d is None for _, d in p['segments']):
            self.f('%s: a segment without EXTINF' % label)

    def judge_audio_playlist(self, uri):
        label = uri
        path = os.path.join(self.out, uri)
        if not os.path.isfile(path):
            self.f('%s missing' % uri)
            return None, None
        self.referenced.add(uri)
        base = os.path.dirname(path)
        p = parse_media(path)
        self.check_playlist_text(label, p, True, True)
        if p['map'] != 'init.mp4':
            self.f('%s: EXT-X-MAP URI is %r, expected init.mp4' % (label, p['map']))
        if not p['map']:
            return None, None
        init = os.path.join(base, p['map'])
        self.referenced.add(os.path.relpath(init, self.out))
        urls, durs, bits = [], [], []
        for i, (s, d) in enumerate(p['segments']):
            want = 'seg_%08d.m4s' % i
            if s != want:
                self.f('%s: segment %d is named %s, expected %s' % (label, i, s, want))
            sp = os.path.join(base, s)
            self.referenced.add(os.path.relpath(sp, self.out))
            if not os.path.isfile(sp):
                self.f('%s: segment %s missing' % (label, s))
                return None, None
            urls.append('concat:%s|%s' % (init, sp))
            durs.append(d)
            bits.append(os.path.getsize(sp) * 8)
        pjs = self.probe_segments(label, urls)
        starts = []
        for i, pj in enumerate(pjs):
            first, last, pk = seg_timing(pj, 'audio')
            if not pk:
                self.f('%s segment %d: no audio packets' % (label, i))
            starts.append(first)
            if i + 1 == len(pjs):
                starts.append(seg_end(pj, 'audio', AAC_FRAME))  # end of the last one
        if pjs:
            self.check_audio_probe(label, pjs[0])
        for i, d in enumerate(durs):
            if None not in (starts[i], starts[i + 1], d):
                m = starts[i + 1] - starts[i]
                # The first may hold the encoder's priming frame (hidden by the edit
                # list); the last AAC frame may be padded past the end of the sound.
                lo, hi = -MS, MS
                if i == 0:
                    lo, hi = -MS - AAC_FRAME, MS + AAC_FRAME
                if i + 1 == len(durs):
                    hi = MS + AAC_FRAME
                if not lo <= m - d <= hi:
                    self.f('%s segment %d: lasts %.4f s by its timestamps, EXTINF says %.3f' %
                           (label, i, m, d))
        self.check_audio_continuity(label, pjs)
        return starts[:-1], (bits, durs)

    def compare_audio_grid(self, rung, vstarts, astarts):
        if len(vstarts) != len(astarts):
            self.f('audio has %d segments, rung %s has %d' % (len(astarts), rung, len(vstarts)))
            return
        for i, (v, a) in enumerate(zip(vstarts, astarts)):
            if v is not None and a is not None and abs(v - a) > self.audio_grid:
                self.f('audio segment %d starts at %.4f, video (%s) at %.4f: more than one AAC '
                       'frame apart' % (i, a, rung, v))

    def compare_boundaries(self, rung_starts):
        names = [n for n in rung_starts if rung_starts[n]]
        if len(names) < 2:
            return
        ref = names[0]
        for n in names[1:]:
            a, b = rung_starts[ref], rung_starts[n]
            if len(a) != len(b):
                self.f('rungs %s and %s have %d and %d segments' % (ref, n, len(a), len(b)))
                continue
            for i, (x, y) in enumerate(zip(a, b)):
                if x is not None and y is not None and abs(x - y) > 0.001:
                    self.f('segment %d starts at %.4f in %s but %.4f in %s' % (i, x, ref, y, n))

    def check_bandwidth(self, label, variant, sizes, durs, audio_bits):
        try:
            bw = int(variant.get('BANDWIDTH', ''))
            avg = int(variant.get('AVERAGE-BANDWIDTH', ''))
        except ValueError:
            self.f('%s: BANDWIDTH=%r AVERAGE-BANDWIDTH=%r, both must be integers' %
                   (label, variant.get('BANDWIDTH'), variant.get('AVERAGE-BANDWIDTH')))
            return
        bits = [s * 8 for s in sizes]
        if audio_bits:
            ab, ad = audio_bits
            if len(ab) == len(bits):
                bits = [b + x for b, x in zip(bits, ab)]
        if any(d is None or d <= 0 for d in durs):
            return
        peak = max(b / d for b, d in zip(bits, durs))
        mean = sum(bits) / sum(durs)
        if bw < avg:
            self.f('%s: BANDWIDTH %d < AVERAGE-BANDWIDTH %d' % (label, bw, avg))
        if bw < 0.95 * peak:
            self.f('%s: BANDWIDTH %d is below the measured peak segment bit rate %.0f' %
                   (label, bw, peak))
        if bw > 2.0 * peak:
            self.f('%s: BANDWIDTH %d is more than twice the measured peak %.0f (not measured?)' %
                   (label, bw, peak))
        if abs(avg - mean) > 0.1 * mean:
            self.f('%s: AVERAGE-BANDWIDTH %d, measured mean %.0f' % (label, avg, mean))

    # -- DASH --------------------------------------------------------------

    def judge_dash(self):
        path = os.path.join(self.out, 'manifest.mpd')
        if not os.path.isfile(path):
            self.f('no manifest.mpd in OUTDIR')
            return
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            self.f('manifest.mpd is not well-formed XML: %s' % e)
            return
        ns = ''
        if root.tag.startswith('{'):
            ns = root.tag[:root.tag.index('}') + 1]
        q = lambda t: ns + t  # noqa: E731
        if root.get('type', 'static') != 'static':
            self.f('manifest.mpd type=%r, a transcode is static' % root.get('type'))
        mpd_dur = iso_duration(root.get('mediaPresentationDuration'))
        if mpd_dur is None:
            self.f('manifest.mpd has no valid mediaPresentationDuration')
        elif self.exp.get('frames'):
            want = self.exp['frames'] * self.frame
            if abs(mpd_dur - want) > 0.1:
                self.f('mediaPresentationDuration %.3f s, source is %.3f s' % (mpd_dur, want))
        periods = root.findall(q('Period'))
        if len(periods) != 1:
            self.f('manifest.mpd has %d Periods, expected 1' % len(periods))
            if not periods:
                return
        period = periods[0]
        vsets, asets = [], []
        for a in period.findall(q('AdaptationSet')):
            kind = a.get('contentType') or (a.get('mimeType') or '').split('/')[0]
            if not kind:
                r0 = a.find(q('Representation'))
                kind = (r0.get('mimeType') or '').split('/')[0] if r0 is not None else ''
            (vsets if kind == 'video' else asets if kind == 'audio' else []).append(a)
        if len(vsets) != 1:
            self.f('manifest.mpd has %d video AdaptationSets, expected 1' % len(vsets))
        if self.exp['audio'] and len(asets) != 1:
            self.f('manifest.mpd has %d audio AdaptationSets, expected 1' % len(asets))
        if not self.exp['audio'] and asets:
            self.f('manifest.mpd has an audio AdaptationSet but the source has no audio')
        base = self.out
        bu = root.find(q('BaseURL'))
        if bu is not None and bu.text:
            base = os.path.join(base, bu.text.strip())
        rung_starts = {}
        for vs in vsets[:1]:
            fr = vs.get('frameRate')
            reps = vs.findall(q('Representation'))
            ids = sorted(r.get('id') for r in reps)
            want = sorted(r[0] for r in self.exp['rungs'])
            if ids != want:
                self.f('video Representations %s, expected %s' % (ids, want))
            for rep in reps:
                rung = next((r for r in self.exp['rungs'] if r[0] == rep.get('id')), None)
                rfr = rep.get('frameRate', fr)
                if rfr and Fraction(rfr) != self.fps:
                    self.f('Representation %s frameRate=%s, source %s' %
                           (rep.get('id'), rfr, self.fps))
                res = self.judge_representation(q, vs, rep, base, 'video', rung)
                if res:
                    rung_starts[rep.get('id')] = res
        self.compare_boundaries(rung_starts)
        for a in asets[:1]:
            reps = a.findall(q('Representation'))
            if len(reps) != 1:
                self.f('audio AdaptationSet has %d Representations, expected 1' % len(reps))
            for rep in reps[:1]:
                astarts = self.judge_representation(q, a, rep, base, 'audio', None)
                if astarts and rung_starts:
                    n0 = sorted(rung_starts)[0]
                    self.compare_audio_grid(n0, rung_starts[n0], astarts)

    def judge_representation(self, q, aset, rep, base, kind, rung):
        rid = rep.get('id')
        label = 'manifest.mpd %s Representation %s' % (kind, rid)
        st = rep.find(q('SegmentTemplate'))
        if st is None:
            st = aset.find(q('SegmentTemplate'))
        if st is None:
            self.f('%s: no SegmentTemplate' % label)
            return None
        tl = st.find(q('SegmentTimeline'))
        if tl is None:
            self.f('%s: SegmentTemplate without SegmentTimeline' % label)
            return None
        ts = int(st.get('timescale', '1'))
        start_no = int(st.get('startNumber', '1'))
        pto = int(st.get('presentationTimeOffset', '0'))
        entries = []
        t = 0
        for s in tl.findall(q('S')):
            if s.get('t') is not None:
                t = int(s.get('t'))
            d = int(s.get('d'))
            r = int(s.get('r', '0'))
            if r < 0:
                self.f('%s: S@r=-1 in a static manifest' % label)
                r = 0
            for _ in range(r + 1):
                entries.append((t, d))
                t += d

        def expand(tmpl, number=None, time=None):
            def sub(m):
                key, fmtspec = m.group(1), m.group(2)
                val = {'RepresentationID': rid, 'Number': number, 'Time': time,
                       'Bandwidth': rep.get('bandwidth')}.get(key)
                if key == '':
                    return '$'
                if fmtspec:
                    return ('%' + fmtspec[1:]) % int(val)
                return str(val)
            return re.sub(r'\$(RepresentationID|Number|Time|Bandwidth|)(%0\d+d)?\$', sub, tmpl)

        init_t = st.get('initialization')
        media_t = st.get('media')
        if not init_t or not media_t:
            self.f('%s: SegmentTemplate lacks initialization or media' % label)
            return None
        init = os.path.normpath(os.path.join(base, expand(init_t)))
        self.referenced.add(os.path.relpath(init, self.out))
        if not os.path.isfile(init):
            self.f('%s: initialization %s missing' % (label, os.path.relpath(init, self.out)))
            return None
        want_dir = rid if kind == 'video' else 'audio'
        if os.path.relpath(init, self.out).split(os.sep)[0] != want_dir:
            self.f('%s: files are not in OUTDIR/%s/' % (label, want_dir))
        urls, durs = [], []
        for i, (t0, d) in enumerate(entries):
            sp = os.path.normpath(os.path.join(base, expand(media_t, start_no + i, t0)))
            self.referenced.add(os.path.relpath(sp, self.out))
            if not os.path.isfile(sp):
                self.f('%s: segment %s missing' % (label, os.path.relpath(sp, self.out)))
                return None
            if not re.fullmatch(r'seg_\d{8}\.m4s', os.path.basename(sp)):
                self.f('%s: segment name %s is not seg_NNNNNNNN.m4s' % (label,
                                                                      os.path.basename(sp)))
            urls.append('concat:%s|%s' % (init, sp))
            durs.append(d / ts)
        codecs = rep.get('codecs') or aset.get('codecs') or ''
        # @bandwidth: measured, so near what the segments weigh (loose: DASH defines
        # it against minBufferTime, not per segment).
        bits = [os.path.getsize(u.split('|', 1)[1]) * 8 for u in urls]
        if durs and sum(durs) > 0:
            mean = sum(bits) / sum(durs)
            peak = max(b / d for b, d in zip(bits, durs) if d > 0)
            try:
                bw = int(rep.get('bandwidth', ''))
            except ValueError:
                bw = None
            if bw is None or not 0.5 * mean <= bw <= 3 * peak:
                self.f('%s: bandwidth=%r, the segments average %.0f bit/s (peak %.0f)' %
                       (label, rep.get('bandwidth'), mean, peak))
        if kind == 'video':
            starts, stream, _ = self.check_video_segments(label, urls, durs)
            self.check_stream(label, stream, rung)
            self.check_codecs(label, codecs, urls[0], stream)
            if stream and (rep.get('width'), rep.get('height')) != (str(stream.get('width')),
                                                                    str(stream.get('height'))):
                self.f('%s: width/height %sx%s, stream is %sx%s' %
                       (label, rep.get('width'), rep.get('height'), stream.get('width'),
                        stream.get('height')))
        else:
            if codecs != 'mp4a.40.2':
                self.f('%s: codecs=%r, expected mp4a.40.2' % (label, codecs))
            pjs = self.probe_segments(label, urls)
            starts = [seg_timing(pj, 'audio')[0] for pj in pjs]
            if pjs:
                self.check_audio_probe(label, pjs[0])
            self.check_audio_continuity(label, pjs)
            for i, pj in enumerate(pjs):
                if i + 1 < len(pjs) and None not in (starts[i], starts[i + 1]):
                    m = starts[i + 1] - starts[i]
                    if abs(m - durs[i]) > (MS + AAC_FRAME if i == 0 else MS):
                        self.f('%s segment %d: lasts %.4f s by its timestamps, S@d says %.4f' %
                               (label, i, m, durs[i]))
        # S@t must be where the media says the segment starts, relative to the
        # first (video) or second (audio: the first may start with AAC priming
        # that the edit list hides) segment.
        k = 0 if kind == 'video' else 1
        if len(starts) > k and starts[k] is not None:
            for i, (t0, _) in enumerate(entries):
                if i < k or starts[i] is None:
                    continue
                want = (t0 - entries[k][0]) / ts
                got = starts[i] - starts[k]
                if abs(got - want) > MS:
                    self.f('%s segment %d: S@t says +%.4f s, media starts at +%.4f s '
                           '(relative to segment %d)' % (label, i, want, got, k))
        if pto and entries and abs(entries[0][0] - pto) / ts > 0.001 and kind == 'video':
            self.info.append('%s: presentationTimeOffset %d, first t %d' % (label, pto,
                                                                            entries[0][0]))
        return starts

    # -- everything ---------------------------------------------------------

    def judge(self, decode=True):
        fmt = self.exp['format']
        has_m3u8 = any(fn.endswith('.m3u8') for _, _, fs in os.walk(self.out) for fn in fs)
        has_mpd = os.path.exists(os.path.join(self.out, 'manifest.mpd'))
        if fmt in ('hls', 'hls-fmp4', 'cmaf'):
            self.judge_hls()
        elif has_m3u8:
            self.f('--format %s wrote .m3u8 files' % fmt)
        if fmt in ('dash', 'cmaf'):
            self.judge_dash()
        elif has_mpd:
            self.f('--format %s wrote manifest.mpd' % fmt)
        if fmt in ('hls', 'hls-fmp4') and not self.fail:
            ext = '.ts' if fmt == 'hls' else '.m4s'
            for _, _, fs in os.walk(self.out):
                for fn in fs:
                    if fn.startswith('seg_') and not fn.endswith(ext):
                        self.f('--format %s wrote %s' % (fmt, fn))
        self.check_files()
        if decode:
            self.decode_check()
        return self.fail

    def decode_check(self):
        """The ffmpeg CLI decodes master.m3u8 / manifest.mpd end to end, frame counts right."""
        fmt = self.exp['format']
        targets = []
        if fmt != 'dash':
            targets.append(('master.m3u8', False))
        if fmt in ('dash', 'cmaf'):
            targets.append(('manifest.mpd', True))
        for name, dash in targets:
            url = os.path.join(self.out, name)
            if not os.path.isfile(url):
                continue
            fails, frames, types = decode_all(url, dash=dash)
            self.fail += fails
            vcounts = [n for i, n in frames.items() if types.get(i) == 'video']
            if dash:
                # FFmpeg 5.1's DASH demuxer loses the first frame or two of a
                # Representation when it reads several at once (its own muxer's output
                # shows it too), so each is counted on its own.
                vcounts = [count_frames(url, '0:v:%d' % k) for k in range(len(vcounts))]
            acounts = [n for i, n in frames.items() if types.get(i) == 'audio']
            if len(vcounts) < len(self.exp['rungs']):
                self.f('%s: ffmpeg decoded %d video streams, expected %d' %
                       (name, len(vcounts), len(self.exp['rungs'])))
            if self.exp.get('frames'):
                for n in vcounts:
                    if n != self.exp['frames']:
                        self.f('%s: ffmpeg decoded %d frames of a video stream, the source has %d'
                               % (name, n, self.exp['frames']))
            if self.exp['audio']:
                if not acounts:
                    self.f('%s: ffmpeg decoded no audio' % name)
                elif self.exp.get('frames'):
                    want = self.exp['frames'] * self.frame / AAC_FRAME
                    for n in acounts:
                        if abs(n - want) > 4:
                            self.f('%s: ffmpeg decoded %d AAC frames, about %.0f expected' %
                                   (name, n, want))
            elif acounts:
                self.f('%s: ffmpeg decoded audio but the source has none' % name)
            self.info.append("%s decodes: frames per stream %s" %
                             (name, dict(sorted(frames.items()))))


def judge_output(outdir, exp, decode=True, audio_grid=AAC_FRAME + 0.001):
    j = Judge(outdir, exp, audio_grid=audio_grid)
    fails = j.judge(decode=decode)
    return fails, j.info


# --------------------------------------------------------------------------
# A/V sync: flashes against beeps, measured on the decoded output

def flash_times(url, stream_spec='0:v:0', copyts=True):
    """Times of dark->white transitions in the decoded video."""
    with tempfile.TemporaryDirectory() as td:
        meta = os.path.join(td, 'meta.txt')
        argv = ['ffmpeg', '-nostdin', '-v', 'error'] + (['-copyts'] if copyts else []) + \
            ['-i', url, '-map', stream_spec, '-vf',
             'signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file=' + meta,
             '-f', 'null', '-']
        r = run(argv, timeout=180)
        if r.returncode != 0:
            raise RuntimeError('flash detection failed\n' + r.describe())
        frames = []
        pts = None
        for ln in open(meta):
            m = re.search(r'pts_time:([-\d.e]+)', ln)
            if m:
                pts = float(m.group(1))
            m = re.search(r'YAVG=([\d.]+)', ln)
            if m and pts is not None:
                frames.append((pts, float(m.group(1))))
    out = []
    prev = 0.0
    for t, y in sorted(frames):
        if y > 128 and prev < 64:
            out.append(t)
        prev = y
    return out


def beep_times(url, stream_spec='0:a:0', copyts=True):
    """Times where silence ends (beep onsets) in the decoded audio."""
    argv = ['ffmpeg', '-nostdin', '-v', 'info'] + (['-copyts'] if copyts else []) + \
        ['-i', url, '-map', stream_spec, '-af', 'silencedetect=noise=-30dB:duration=0.05',
         '-f', 'null', '-']
    r = run(argv, timeout=180)
    if r.returncode != 0:
        raise RuntimeError('beep detection failed\n' + r.describe())
    # A silence_end at the end of the stream is not a beep: keep only the ones
    # that a later silence_start follows (every beep ends in silence).
    ev = re.findall(r'silence_(start|end): ([-\d.e]+)', r.stderr)
    return [float(v) for i, (k, v) in enumerate(ev)
            if k == 'end' and any(k2 == 'start' for k2, _ in ev[i + 1:])]


def sync_failures(label, url, fps, video_spec='0:v:0', audio_spec='0:a:0'):
    """Compare each flash with its beep; tolerance one frame plus one AAC frame."""
    fl = flash_times(url, video_spec)
    be = beep_times(url, audio_spec)
    tol = float(1 / fps) + AAC_FRAME
    f = []
    info = '%s: flashes at %s, beeps at %s' % (label, ['%.4f' % x for x in fl],
                                               ['%.4f' % x for x in be])
    if len(fl) != len(SYNC_EVENTS):
        f.append('%s: found %d flashes, the clip has %d' % (label, len(fl), len(SYNC_EVENTS)))
    if len(be) != len(SYNC_EVENTS):
        f.append('%s: found %d beeps, the clip has %d' % (label, len(be), len(SYNC_EVENTS)))
    offsets = []
    for t in fl:
        if not be:
            break
        b = min(be, key=lambda x: abs(x - t))
        offsets.append(b - t)
        if abs(b - t) >= tol:
            f.append('%s: flash at %.4f, beep at %.4f: audio %+.1f ms off (tolerance %.1f ms)' %
                     (label, t, b, (b - t) * 1000, tol * 1000))
    info += ', audio-video offsets ms %s' % ['%+.1f' % (o * 1000) for o in offsets]
    return f, info


# --------------------------------------------------------------------------
# Interlacing, judged by ffmpeg's idet filter on the decoded pictures

def idet(url, stream_spec='0:v:0'):
    """idet's multi-frame counts {'TFF','BFF','Progressive','Undetermined'}."""
    r = run(['ffmpeg', '-nostdin', '-v', 'info', '-i', url, '-map', stream_spec,
             '-vf', 'idet', '-f', 'null', '-'], timeout=180)
    m = re.search(r'Multi frame detection: TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)'
                  r'\s+Undetermined:\s*(\d+)', r.stderr)
    if not m:
        raise RuntimeError('idet gave no verdict\n' + r.describe())
    return dict(zip(('TFF', 'BFF', 'Progressive', 'Undetermined'), map(int, m.groups())))


def idet_verdict(c):
    inter = c['TFF'] + c['BFF']
    total = inter + c['Progressive']
    if total == 0:
        return 'unknown'
    if inter >= 0.8 * total:
        return 'interlaced'
    if c['Progressive'] >= 0.8 * total:
        return 'progressive'
    return 'mixed'


# --------------------------------------------------------------------------
# Reporting

def report(name, failures, info=(), keep=None):
    for ln in info:
        print('  ' + ln)
    if failures:
        print('FAIL %s: %d problem(s)' % (name, len(failures)))
        for x in failures:
            print('  - ' + x)
        if keep:
            print('  (output kept in %s)' % keep)
        return 1
    print('PASS %s' % name)
    return 0


class Workdir:
    """A temp dir kept when the test fails (its path is printed), removed when it passes."""

    def __init__(self, prefix):
        base = os.environ.get('ONAIR_TEST_TMP') or None
        if base:
            os.makedirs(base, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix='onair-%s-' % prefix, dir=base)
        self.ok = False

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if self.ok and et is None:
            shutil.rmtree(self.path, ignore_errors=True)


def case_main(cases, doc):
    """The command line every test script shares: run one case by name, or --list."""
    def main():
        if len(sys.argv) != 2 or (sys.argv[1] not in cases and sys.argv[1] != '--list'):
            print(doc + '\ncases: ' + ' '.join(cases))
            return 2
        if sys.argv[1] == '--list':
            print('\n'.join(cases))
            return 0
        return cases[sys.argv[1]]()
    main_guard(main)


def main_guard(fn):
    """Run a test body; exit 77 is not used (meson reads it as SKIP, which CI counts as failed)."""
    try:
        for tool in ('ffmpeg', 'ffprobe'):
            if not shutil.which(tool):
                raise RuntimeError('%s not found: the judge needs the ffmpeg CLI '
                                   '(apt-get install ffmpeg)' % tool)
        rc = fn()
    except RuntimeError as e:
        print('FAIL: %s' % e)
        rc = 1
    sys.stdout.flush()
    sys.exit(rc)
