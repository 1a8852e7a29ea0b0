#!/usr/bin/env python3
"""deploy/Dockerfile built and run with buildah, without a registry.

1. base: `debootstrap --variant=minbase bookworm` from the Debian mirror apt uses,
   imported with `buildah from scratch` + `buildah copy` and committed as an image;
2. image: `buildah build --build-arg BASE=<that image>` of deploy/Dockerfile (vfs storage,
   chroot isolation, Docker format so the HEALTHCHECK is kept);
3. inside it (`buildah run`, as the image's user): `onair check` on a channel file, then a
   640x360 ultrafast channel for 8 s whose output dir is a folder of the test's; while it
   runs, its built-in server answers the player page and hls.js (the web assets are where
   the binary looks) and its admin listener /healthz;
4. the output judged by ffprobe: playlists, segments, a segment's picture.

Everything buildah keeps lives in the test's own folder (--root, --runroot) and is removed
at the end, failing or not. Root is needed (buildah with vfs and chroot, debootstrap).

    ONAIR_TEST_TMP=/var/tmp python3 tests/deploy/container_test.py [--keep | --reuse KEPT_DIR]
"""
import glob
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BASE_TAG = 'localhost/onair-test-base:bookworm'
IMAGE_TAG = 'localhost/onair-test:ci'
SUITE = 'bookworm'

failures = []
timings = []


def check(cond, what):
    print(('ok: ' if cond else 'FAIL: ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def timed(what, argv, **kw):
    """Runs argv, printing its output as it comes; returns (rc, output)."""
    t0 = time.monotonic()
    print('$ ' + ' '.join(argv), flush=True)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    out = []
    for line in p.stdout:
        out.append(line)
        sys.stdout.write('  ' + line)
    rc = p.wait()
    timings.append((what, time.monotonic() - t0))
    print('%s: %.0f s (exit %d)' % (what, timings[-1][1], rc), flush=True)
    return rc, ''.join(out)


def debian_mirror():
    """The Debian mirror apt is configured with (deb822 or one-line sources)."""
    texts = []
    for path in ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*')):
        try:
            with open(path) as f:
                texts.append(f.read())
        except OSError:
            pass
    for text in texts:
        for stanza in re.split(r'\n\s*\n', text):
            uris = re.search(r'^URIs:\s*(\S+)', stanza, re.M)
            suites = re.search(r'^Suites:\s*(.+)$', stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
        m = re.search(r'^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+%s\s' % SUITE, text, re.M)
        if m:
            return m.group(1)
    return 'http://deb.debian.org/debian'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http_get(port, path):
    try:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
        conn.request('GET', path)
        r = conn.getresponse()
        return r.status, r.read()
    except OSError:
        return None, b''


def ffprobe(path):
    r = subprocess.run(['ffprobe', '-v', 'error', '-show_streams', '-show_format', '-of', 'json', path],
                       capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def main():
    keep = '--keep' in sys.argv[1:]
    if os.geteuid() != 0:
        sys.exit('needs root (buildah with vfs storage and chroot isolation, debootstrap)')
    for tool in ('buildah', 'debootstrap', 'ffprobe'):
        if not shutil.which(tool):
            sys.exit('%s not found: apt-get install buildah debootstrap ffmpeg (.ci/setup --tests)' % tool)
    if not os.path.isfile(os.path.join(ROOT, 'web', 'node_modules', 'hls.js', 'dist', 'hls.min.js')):
        sys.exit('web/node_modules/hls.js is missing: run .ci/setup (npm ci in web/); the image copies it')

    tmp = tempfile.mkdtemp(prefix='onair-container-', dir=os.environ.get('ONAIR_TEST_TMP'))
    # --reuse DIR: run step 3 and 4 on the image a kept run (--keep) left in DIR
    reuse = sys.argv[sys.argv.index('--reuse') + 1] if '--reuse' in sys.argv[1:-1] else None
    store = reuse or tmp
    b = ['buildah', '--root', os.path.join(store, 'storage'), '--runroot', os.path.join(store, 'run'),
         '--storage-driver', 'vfs']
    t_start = time.monotonic()
    try:
        if reuse:
            keep = True
            exercise(tmp, b)
        else:
            run_all(tmp, b)
    finally:
        # nothing leaks: the containers, the images, the storage folder (a reused
        # storage keeps its images: another --reuse may follow)
        subprocess.run(b + ['rm', '--all'], capture_output=True)
        if not reuse:
            subprocess.run(b + ['rmi', '--all', '--force'], capture_output=True)
        if keep or failures:
            print('kept %s' % tmp)
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if failures:
                print('(removed: buildah storage is too big to keep; rerun with --keep)')
    timings.append(('total', time.monotonic() - t_start))
    print('timings: ' + ', '.join('%s %.0f s' % t for t in timings))
    if failures:
        sys.exit('%d check(s) failed' % len(failures))
    print('ok')


def run_all(tmp, b):
    # 1. the base image, from Debian's packages
    rootfs = os.path.join(tmp, 'rootfs')
    rc, _ = timed('debootstrap', ['debootstrap', '--variant=minbase', SUITE, rootfs, debian_mirror()])
    if not check(rc == 0, 'debootstrap %s' % SUITE):
        return
    # the image's apt gets the host's sources (security and updates included), as a
    # registry's debian image would have them
    sources = [p for p in ['/etc/apt/sources.list'] + glob.glob('/etc/apt/sources.list.d/debian*.sources')
               if os.path.isfile(p) and os.path.getsize(p)]
    if sources:
        os.remove(os.path.join(rootfs, 'etc', 'apt', 'sources.list'))   # debootstrap's, now in them
    for src in sources:
        dst = os.path.join(rootfs, src.lstrip('/'))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)
    shutil.rmtree(os.path.join(rootfs, 'var', 'cache', 'apt', 'archives'), ignore_errors=True)
    t0 = time.monotonic()
    ctr = subprocess.run(b + ['from', 'scratch'], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(b + ['copy', '--quiet', ctr, rootfs + '/', '/'], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(b + ['config', '--cmd', '/bin/bash', ctr], check=True)
    subprocess.run(b + ['commit', '--quiet', '--rm', ctr, BASE_TAG], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(rootfs)
    timings.append(('base import', time.monotonic() - t0))
    print('base import: %.0f s' % timings[-1][1])

    # 2. the image
    rc, out = timed('image build', b + [
        'build', '--isolation', 'chroot', '--format', 'docker', '--pull-never', '--layers=false',
        '--build-arg', 'BASE=' + BASE_TAG, '-f', os.path.join(ROOT, 'deploy', 'Dockerfile'),
        '-t', IMAGE_TAG, ROOT])
    if not check(rc == 0, 'buildah build deploy/Dockerfile'):
        return
    info = json.loads(subprocess.run(b + ['inspect', '--type', 'image', IMAGE_TAG],
                                     capture_output=True, text=True, check=True).stdout)
    cfg = info.get('Docker', {}).get('config', {})
    check(cfg.get('Entrypoint') == ['onair'], 'ENTRYPOINT onair: %s' % cfg.get('Entrypoint'))
    check(cfg.get('User') not in (None, '', 'root', '0'), 'runs as a user that is not root: %r' % cfg.get('User'))
    check(bool(cfg.get('Healthcheck', {}).get('Test')), 'the HEALTHCHECK is in the image')
    ports = sorted(cfg.get('ExposedPorts', {}))
    check(len(ports) >= 2, 'EXPOSEs the admin and serve ports: %s' % ports)
    layers = subprocess.run(b + ['images', '--format', '{{.Name}}:{{.Tag}} {{.Size}}'],
                            capture_output=True, text=True).stdout
    print('images:\n' + layers)

    exercise(tmp, b)


def exercise(tmp, b):
    # 3. inside the image
    ctr = subprocess.run(b + ['from', '--pull-never', IMAGE_TAG], capture_output=True, text=True,
                         check=True).stdout.strip()
    uid = subprocess.run(b + ['run', '--isolation', 'chroot', ctr, '--', 'id', '-u'], capture_output=True, text=True)
    check(uid.returncode == 0 and uid.stdout.strip() not in ('', '0'),
          'buildah run runs as the image\'s user (uid %s)' % uid.stdout.strip())
    libs = subprocess.run(b + ['run', '--isolation', 'chroot', ctr, '--', 'sh', '-c',
                               'ls /usr/include 2>/dev/null | wc -l; command -v gcc meson || true'],
                          capture_output=True, text=True)
    check(libs.returncode == 0 and libs.stdout.split()[:1] == ['0'],
          'no headers or compilers in the final image: %r' % libs.stdout)

    chan_dir = os.path.join(tmp, 'chan')
    out_dir = os.path.join(tmp, 'out')
    os.makedirs(chan_dir)
    os.makedirs(out_dir)
    os.chown(out_dir, int(uid.stdout.strip() or 0), -1)
    serve_port, admin_port = free_port(), free_port()
    with open(os.path.join(chan_dir, 'tiny.yaml'), 'w') as f:
        f.write('channel: tiny\n'
                'video: { width: 640, height: 360, fps: 25 }\n'
                'ladder: [ 360p ]\n'
                'encoder: { backend: x264, preset: ultrafast }\n'
                'sources: { bars: { generate: testsrc } }\n'
                'schedule: { loop: true, items: [ { source: bars, duration: 1h } ] }\n'
                'output: { dir: /var/lib/onair/out, segment: 2s, serve: { listen: "127.0.0.1:%d" } }\n'
                % serve_port)
    mounts = ['-v', chan_dir + ':/etc/onair:ro', '-v', out_dir + ':/var/lib/onair/out']
    rc, out = timed('onair check', b + ['run', '--isolation', 'chroot'] + mounts + [ctr, '--', 'onair', 'check', '/etc/onair/tiny.yaml'])
    check(rc == 0 and 'channel \'tiny\'' in out, 'onair check in the image')

    t0 = time.monotonic()
    log_path = os.path.join(tmp, 'run.log')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(b + ['run', '--isolation', 'chroot'] + mounts + [ctr, '--', 'onair', 'run', '/etc/onair/tiny.yaml',
                                '--for', '8s', '--admin', '127.0.0.1:%d' % admin_port],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        seen = {}
        while proc.poll() is None and time.monotonic() - t0 < 60:
            if 'healthz' not in seen and http_get(admin_port, '/healthz')[0] == 200:
                seen['healthz'] = True
            if 'player' not in seen:
                st, body = http_get(serve_port, '/tiny/')
                if st == 200:
                    seen['player'] = b'hls.min.js' in body
            if 'hls' not in seen:
                st, body = http_get(serve_port, '/player/hls.min.js')
                if st == 200:
                    seen['hls'] = len(body) > 10000
            time.sleep(0.5)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            rc = proc.wait()
    timings.append(('onair run --for 8s', time.monotonic() - t0))
    with open(log_path) as f:
        print(f.read())
    check(rc == 0, 'onair run --for 8s in the image exits 0 (exit %s)' % rc)
    check(seen.get('healthz'), 'its admin listener answered /healthz 200')
    check(seen.get('player'), 'its server answered the player page (web/ found in the image)')
    check(seen.get('hls'), 'its server answered /player/hls.min.js (web/node_modules in the image)')

    # 4. the output, judged by ffprobe
    check(os.path.isfile(os.path.join(out_dir, 'master.m3u8')), 'master.m3u8 written')
    segs = sorted(glob.glob(os.path.join(out_dir, '360p', 'seg_*.ts')))
    check(os.path.isfile(os.path.join(out_dir, '360p', 'index.m3u8')), '360p/index.m3u8 written')
    check(len(segs) >= 3, '8 s of 2 s segments: %d segments' % len(segs))
    if segs:
        info = ffprobe(segs[0])
        v = [s for s in (info or {}).get('streams', []) if s.get('codec_type') == 'video']
        check(bool(v) and v[0].get('codec_name') == 'h264' and (v[0].get('width'), v[0].get('height')) == (640, 360),
              'ffprobe reads %s: h264 640x360' % os.path.relpath(segs[0], out_dir))
        dur = float((info or {}).get('format', {}).get('duration', 0))
        check(1.5 < dur < 2.5, 'the segment is about 2 s long (%.2f s)' % dur)
    subprocess.run(b + ['rm', ctr], capture_output=True)


if __name__ == '__main__':
    main()
