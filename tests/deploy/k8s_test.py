#!/usr/bin/env python3
"""deploy/k8s and deploy/Dockerfile against onair's real ports, paths and routes.

Every kustomization under deploy/k8s (the base and each overlay) is rendered with
`kubectl kustomize` and its objects are checked against what the binary says
(`onair run --help`: the admin listener's default address, the token's variable),
what the code defines (the stop's flush times, sink/push.c and sink/webhook.c) and
what the channel file in the rendered ConfigMap says (serve port, output.dir,
segment): probes, scrape annotations, Service, volumes, grace period, the pair's
anti-affinity, PDB, update strategy, etcd URLs. The routes the probes use are asked
of a running admin listener. yamllint judges the files as YAML.

    ONAIR=build/cli/onair python3 tests/deploy/k8s_test.py render|lint|routes|dockerfile
"""
import glob
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
K8S = os.path.join(ROOT, 'deploy', 'k8s')
BASE = os.path.join(K8S, 'base')
ONAIR = os.environ.get('ONAIR', os.path.join(ROOT, 'build', 'cli', 'onair'))

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL: ' + what)
    return cond


# ---- facts from their single sources ----------------------------------------

def run_help():
    return subprocess.run([ONAIR, 'run', '--help'], capture_output=True, text=True, check=True).stdout


def admin_default():
    """(host, port) of --admin's default, as `onair run --help` states it."""
    m = re.search(r'--admin HOST:PORT.*?\(default ([^\s;)]+):(\d+)', run_help(), re.S)
    if not m:
        sys.exit('onair run --help does not state the --admin default')
    return m.group(1), int(m.group(2))


def token_env_default():
    m = re.search(r'--admin-token-env NAME.*?\(default ([A-Z0-9_]+)\)', run_help(), re.S)
    if not m:
        sys.exit('onair run --help does not state the --admin-token-env default')
    return m.group(1)


def flush_seconds(path):
    """DEFAULT_FLUSH_US of a sink: what it still sends after the stop."""
    with open(os.path.join(ROOT, path)) as f:
        m = re.search(r'#define DEFAULT_FLUSH_US (\d+)', f.read())
    if not m:
        sys.exit('%s: no DEFAULT_FLUSH_US' % path)
    return int(m.group(1)) / 1e6


# DESIGN.md, "Exits, errors, signals": SIGTERM finishes the segment in progress and
# exits within the segment length plus 2 s.
STOP_MARGIN_S = 2.0

DURATION_UNITS = {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600}


def seconds(text):
    """A channel file's duration ('2s', '500ms', '1h30m') in seconds."""
    text = str(text)
    parts = re.findall(r'(\d+(?:\.\d+)?)(ms|s|m|h)', text)
    if not parts or ''.join(a + b for a, b in parts) != text:
        raise ValueError('not a duration: %r' % text)
    return sum(float(a) * DURATION_UNITS[b] for a, b in parts)


def listen_port(listen):
    return int(listen.rsplit(':', 1)[1])


# ---- rendering ---------------------------------------------------------------

def kustomizations():
    """Every folder under deploy/k8s that kubectl can render (not the components)."""
    out = []
    for path in sorted(glob.glob(os.path.join(K8S, '**', 'kustomization.yaml'), recursive=True)):
        with open(path) as f:
            if yaml.safe_load(f).get('kind') == 'Component':
                continue
        out.append(os.path.dirname(path))
    return out


def render(folder):
    r = subprocess.run(['kubectl', 'kustomize', folder], capture_output=True, text=True)
    if r.returncode != 0:
        check(False, '%s: kubectl kustomize failed: %s' % (folder, r.stderr.strip()))
        return []
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def objects(docs, kind):
    return [d for d in docs if d.get('kind') == kind]


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def onair_check(path):
    return subprocess.run([ONAIR, 'check', path], capture_output=True, text=True)


def check_channel_file(name, text, base_channel, tmp):
    """The ConfigMap's channel file passes `onair check`. One with a redundancy block
    (the overlays) must be the base's plus that block; where this onair does not know
    the key yet, it is judged as YAML only."""
    path = os.path.join(tmp, 'channel.yaml')
    with open(path, 'w') as f:
        f.write(text)
    conf = yaml.safe_load(text)
    r = onair_check(path)
    if 'redundancy' in conf:
        red = conf['redundancy']
        check(isinstance(red.get('etcd'), list) and red['etcd'], '%s: redundancy.etcd is a list of URLs' % name)
        check(seconds(red.get('lease', '')) > 0, '%s: redundancy.lease is a duration' % name)
        rest = {k: v for k, v in conf.items() if k != 'redundancy'}
        check(rest == base_channel,
              '%s: the channel file is base/channel.yaml plus redundancy (keep the rest equal)' % name)
        if r.returncode != 0 and "unknown key 'redundancy'" in r.stderr:
            print('%s: this onair does not know redundancy yet: judged as YAML only' % name)
            return conf
    check(r.returncode == 0, '%s: onair check of the ConfigMap channel file: %s' % (name, r.stderr.strip()))
    return conf


def check_rendered(folder, base_channel, admin_port, token_env, grace_needed, tmp):
    name = os.path.relpath(folder, ROOT)
    docs = render(folder)
    if not docs:
        return
    maps = {c['metadata']['name']: c for c in objects(docs, 'ConfigMap')}
    stses = objects(docs, 'StatefulSet')
    pairs = [s for s in stses
             if any(c['name'] == 'onair' for c in s['spec']['template']['spec']['containers'])]
    if not check(len(pairs) >= 1, '%s: an onair StatefulSet' % name):
        return
    for sts in pairs:
        sname = '%s: StatefulSet %s' % (name, sts['metadata']['name'])
        spec = sts['spec']
        pod = spec['template']
        labels = pod['metadata'].get('labels', {})
        podspec = pod['spec']
        c = next(c for c in podspec['containers'] if c['name'] == 'onair')
        args = c.get('args', [])

        # the pair
        check(spec.get('replicas') == 2, sname + ': two replicas (the A/B pair)')
        check(spec.get('podManagementPolicy') == 'Parallel', sname + ': podManagementPolicy Parallel')
        check(selects(spec['selector']['matchLabels'], labels), sname + ': selector matches the pod labels')
        terms = (podspec.get('affinity', {}).get('podAntiAffinity', {})
                 .get('requiredDuringSchedulingIgnoredDuringExecution', []))
        check(any(t.get('topologyKey') == 'kubernetes.io/hostname'
                  and selects(t.get('labelSelector', {}).get('matchLabels'), labels) for t in terms),
              sname + ': required anti-affinity on the host name, selecting its own pods')
        upd = spec.get('updateStrategy', {})
        check(upd.get('type') == 'RollingUpdate' and upd.get('rollingUpdate', {}).get('partition') == 0,
              sname + ': RollingUpdate, partition 0 (a deleted pod comes back at the new revision)')

        # the command line
        check(args[:1] == ['run'], sname + ': args start with run')
        opts = {}
        for i, a in enumerate(args):
            if a.startswith('--') and i + 1 < len(args):
                opts[a] = args[i + 1]
        admin = opts.get('--admin', '')
        check(admin.startswith('0.0.0.0:'), sname + ': --admin listens on every address (the kubelet probes the pod IP)')
        port = int(admin.rsplit(':', 1)[1]) if ':' in admin else None
        check(port == admin_port, sname + ': --admin port %s is onair\'s default admin port %d '
              '(the Dockerfile\'s EXPOSE and HEALTHCHECK)' % (port, admin_port))
        env = {e['name']: e for e in c.get('env', [])}
        check(opts.get('--instance') == '$(POD_NAME)'
              and env.get('POD_NAME', {}).get('valueFrom', {}).get('fieldRef', {}).get('fieldPath') == 'metadata.name',
              sname + ': --instance $(POD_NAME) from the downward API')
        tok = env.get(token_env, {}).get('valueFrom', {}).get('secretKeyRef')
        check(bool(tok and tok.get('name') and tok.get('key')), sname + ': %s from a Secret' % token_env)

        # ports and probes
        cports = {p['name']: p['containerPort'] for p in c.get('ports', []) if 'name' in p}

        def port_of(p):
            return cports.get(p) if isinstance(p, str) else p
        for probe, path in (('livenessProbe', '/healthz'), ('readinessProbe', '/readyz')):
            g = c.get(probe, {}).get('httpGet', {})
            check(g.get('path') == path, '%s: %s on %s' % (sname, probe, path))
            check(port_of(g.get('port')) == port, '%s: %s port is the --admin port' % (sname, probe))
        ann = pod['metadata'].get('annotations', {})
        check(ann.get('prometheus.io/scrape') == 'true', sname + ': prometheus.io/scrape "true"')
        check(ann.get('prometheus.io/port') == str(port), sname + ': prometheus.io/port is the --admin port')
        check(ann.get('prometheus.io/path') == '/metrics', sname + ': prometheus.io/path /metrics')

        # the channel file: the ConfigMap mounted where args say
        chan_path = args[1] if len(args) > 1 else ''
        mounts = c.get('volumeMounts', [])
        vols = {v['name']: v for v in podspec.get('volumes', [])}
        claims = {t['metadata']['name'] for t in spec.get('volumeClaimTemplates', [])}
        cm_mount = next((m for m in mounts if m['name'] in vols and 'configMap' in vols[m['name']]
                         and chan_path.startswith(m['mountPath'].rstrip('/') + '/')), None)
        if not check(cm_mount is not None, sname + ': %s is in a mounted ConfigMap' % chan_path):
            continue
        cm = maps.get(vols[cm_mount['name']]['configMap']['name'])
        key = os.path.relpath(chan_path, cm_mount['mountPath'])
        if not check(cm is not None and key in cm.get('data', {}),
                     sname + ': the ConfigMap has %s' % key):
            continue
        conf = check_channel_file(sname, cm['data'][key], base_channel, tmp)
        out = conf['output']

        # output.dir on the pod's claim
        odir = out['dir']
        state = [m for m in mounts if m['name'] in claims
                 and (odir + '/').startswith(m['mountPath'].rstrip('/') + '/')]
        check(os.path.isabs(odir) and len(state) == 1,
              sname + ': output.dir %s is on a volumeClaimTemplate\'s mount' % odir)

        # the Service of the built-in server
        serve = listen_port(out['serve']['listen'])
        svcs = [s for s in objects(docs, 'Service')
                if selects(s['spec'].get('selector'), labels) and s['spec'].get('clusterIP') != 'None']
        check(len(svcs) == 1, sname + ': one Service in front of the pair')
        for s in svcs:
            sp = s['spec']['ports']
            check(any(port_of(p.get('targetPort', p['port'])) == serve for p in sp),
                  sname + ': Service %s targets the serve port %d' % (s['metadata']['name'], serve))
        headless = [s for s in objects(docs, 'Service') if s['metadata']['name'] == spec.get('serviceName')]
        check(len(headless) == 1 and headless[0]['spec'].get('clusterIP') == 'None',
              sname + ': serviceName is a headless Service')

        # the stop
        segment = seconds(out.get('segment', '2s'))
        grace = podspec.get('terminationGracePeriodSeconds', 30)
        check(grace > segment and grace >= segment + grace_needed,
              sname + ': terminationGracePeriodSeconds %s >= segment %g s + %g s' % (grace, segment, grace_needed))

        # the channel's id labels its objects
        check(labels.get('onair.channel') == conf['channel'],
              sname + ': pod label onair.channel is the channel id %r' % conf['channel'])

        # the disruption budget
        pdbs = [p for p in objects(docs, 'PodDisruptionBudget')
                if selects(p['spec'].get('selector', {}).get('matchLabels'), labels)]
        check(len(pdbs) == 1 and pdbs[0]['spec'].get('maxUnavailable') == 1,
              sname + ': a PodDisruptionBudget, maxUnavailable 1')

        # NVENC, where an overlay asks for it
        gpu = c.get('resources', {}).get('limits', {}).get('nvidia.com/gpu')
        if 'gpu' in os.path.basename(folder):
            check(isinstance(gpu, int) and gpu >= 1, sname + ': an nvidia.com/gpu limit')

        # etcd in the rendering: the channel's URLs are its members' client URLs
        etcds = [s for s in stses if s is not sts and s not in pairs]
        urls = conf.get('redundancy', {}).get('etcd', [])
        for e in etcds:
            svc = e['spec']['serviceName']
            ec = e['spec']['template']['spec']['containers'][0]
            client = next(p['containerPort'] for p in ec['ports'] if p.get('name') == 'client')
            members = {'http://%s-%d.%s:%d' % (e['metadata']['name'], i, svc, client)
                       for i in range(e['spec']['replicas'])}
            check(e['spec']['replicas'] % 2 == 1, '%s: etcd has an odd number of members' % name)
            check(set(urls) == members, '%s: redundancy.etcd %s are the etcd members %s'
                  % (sname, urls, sorted(members)))


def case_render():
    admin_host, admin_port = admin_default()
    token_env = token_env_default()
    grace_needed = STOP_MARGIN_S + max(flush_seconds('sink/push.c'), flush_seconds('sink/webhook.c'))
    with open(os.path.join(BASE, 'channel.yaml')) as f:
        base_channel = yaml.safe_load(f)
    folders = kustomizations()
    check(BASE in folders and len(folders) >= 3, 'the base and its overlays render: %s' % folders)
    tmp = tempfile.mkdtemp(prefix='onair-k8s-')
    try:
        for folder in folders:
            print('rendering %s' % os.path.relpath(folder, ROOT))
            check_rendered(folder, base_channel, admin_port, token_env, grace_needed, tmp)
    finally:
        shutil.rmtree(tmp)


def case_lint():
    r = subprocess.run(['yamllint', '-s', '-c', os.path.join(K8S, '.yamllint'), K8S],
                       capture_output=True, text=True)
    print(r.stdout + r.stderr)
    check(r.returncode == 0, 'yamllint deploy/k8s')


def http_get(port, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        conn.request('GET', path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def case_routes():
    """The paths the manifests probe and scrape are routes a running admin listener
    answers: /healthz 200, /readyz 200 or 503 (a standby, a late channel), /metrics 200
    in Prometheus' text format; a path it does not have is 404, so the check can fail."""
    docs = render(BASE)
    pod = objects(docs, 'StatefulSet')[0]['spec']['template']
    c = pod['spec']['containers'][0]
    paths = {'liveness': c['livenessProbe']['httpGet']['path'],
             'readiness': c['readinessProbe']['httpGet']['path'],
             'scrape': pod['metadata']['annotations']['prometheus.io/path']}
    tmp = tempfile.mkdtemp(prefix='onair-k8s-routes-')
    proc = None
    try:
        conf = os.path.join(tmp, 'tiny.yaml')
        with open(conf, 'w') as f:
            f.write('channel: tiny\nvideo: { width: 160, height: 90, fps: 25 }\n'
                    'ladder: [ "160x90@100k" ]\nencoder: { backend: x264, preset: ultrafast }\n'
                    'sources: { bars: { generate: testsrc } }\n'
                    'schedule: { items: [ { source: bars, duration: 1h } ] }\n'
                    'output: { dir: out, segment: 1s }\n')
        log = open(os.path.join(tmp, 'log'), 'w+')
        proc = subprocess.Popen([ONAIR, 'run', conf, '--admin', '127.0.0.1:0', '--for', '60s'],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        port = None
        deadline = time.time() + 20 * float(os.environ.get('ONAIR_TIMEOUT_SCALE', '1'))
        while time.time() < deadline and port is None and proc.poll() is None:
            log.seek(0)
            m = re.search(r'admin at http://[^:]+:(\d+)/', log.read())
            port = int(m.group(1)) if m else None
            time.sleep(0.2)
        if not check(port is not None, 'onair run printed its admin address'):
            log.seek(0)
            print(log.read())
            return
        status = {k: http_get(port, p) for k, p in paths.items()}
        check(status['liveness'][0] == 200, 'liveness %s answers 200: %s' % (paths['liveness'], status['liveness']))
        check(status['readiness'][0] in (200, 503), 'readiness %s answers 200 or 503: %s'
              % (paths['readiness'], status['readiness'][0]))
        check(status['scrape'][0] == 200 and b'# TYPE ' in status['scrape'][1],
              'scrape %s answers Prometheus text' % paths['scrape'])
        check(http_get(port, '/no-such-route')[0] == 404, 'a path the listener lacks is 404')
    finally:
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


def case_dockerfile():
    """deploy/Dockerfile exposes the admin port and the example channel's serve port,
    checks health on /healthz at the admin default, runs onair as a non-root user."""
    admin_host, admin_port = admin_default()
    with open(os.path.join(ROOT, 'deploy', 'Dockerfile')) as f:
        text = f.read()
    with open(os.path.join(BASE, 'channel.yaml')) as f:
        serve = listen_port(yaml.safe_load(f)['output']['serve']['listen'])
    exposed = {int(p) for line in re.findall(r'^EXPOSE (.+)$', text, re.M) for p in line.split()}
    check(exposed == {admin_port, serve}, 'EXPOSE %s is the admin port %d and the serve port %d'
          % (sorted(exposed), admin_port, serve))
    hc = re.search(r'^HEALTHCHECK .*?CMD (.+?)$', text, re.M | re.S)
    check(hc and 'http://%s:%d/healthz' % (admin_host, admin_port) in hc.group(1),
          'HEALTHCHECK asks http://%s:%d/healthz' % (admin_host, admin_port))
    users = re.findall(r'^USER (\S+)', text, re.M)
    check(users and users[-1] not in ('root', '0'), 'the final stage runs as a user that is not root')
    check(re.search(r'^ENTRYPOINT \["onair"\]', text, re.M), 'ENTRYPOINT onair')
    check(len(re.findall(r'^FROM ', text, re.M)) >= 2, 'multi-stage')


CASES = {'render': case_render, 'lint': case_lint, 'routes': case_routes, 'dockerfile': case_dockerfile}

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit('usage: k8s_test.py %s' % '|'.join(CASES))
    for tool in ('kubectl', 'yamllint'):
        if not shutil.which(tool):
            sys.exit('%s not found (kubectl: see ../shared/FIELD-NOTES.md; yamllint: .ci/setup --tests)' % tool)
    CASES[sys.argv[1]]()
    if failures:
        sys.exit('%d check(s) failed' % len(failures))
    print('ok')
