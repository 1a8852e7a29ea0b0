"""Test hosts on one machine: network namespaces the test makes and removes,
linked by veth pairs with addresses of their own (10.231.N.1 and .2 on link N),
never any address outside them. Needs root (FIELD-NOTES: `ip netns` works here;
there is no netem, so loss and delay need a relay of the test's own)."""

import os
import signal
import subprocess


def ip(*args):
    r = subprocess.run(['ip'] + list(args), capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise RuntimeError('ip %s: %s' % (' '.join(args), r.stderr.strip()))
    return r.stdout


class Hosts:
    """hosts: names ('a', 'b', 'etcd'); each a namespace onair-PID-NAME with lo up."""

    def __init__(self, names):
        self.ns = {}
        self.links = {}
        self.procs = []
        try:
            for n in names:
                ns = 'onair-%d-%s' % (os.getpid(), n)
                ip('netns', 'add', ns)
                self.ns[n] = ns
                ip('-n', ns, 'link', 'set', 'lo', 'up')
        except Exception:
            self.close()
            raise

    def link(self, h1, h2):
        """A veth pair between h1 and h2: (h1's address, h2's address)."""
        n = len(self.links) + 1
        a, b = 'v%d%s' % (n, h1[:4]), 'v%d%s' % (n, h2[:4])
        ip('link', 'add', a, 'netns', self.ns[h1], 'type', 'veth', 'peer', 'name', b, 'netns', self.ns[h2])
        addr1, addr2 = '10.231.%d.1' % n, '10.231.%d.2' % n
        ip('-n', self.ns[h1], 'addr', 'add', addr1 + '/24', 'dev', a)
        ip('-n', self.ns[h2], 'addr', 'add', addr2 + '/24', 'dev', b)
        ip('-n', self.ns[h1], 'link', 'set', a, 'up')
        ip('-n', self.ns[h2], 'link', 'set', b, 'up')
        self.links[(h1, h2)] = (a, b)
        return addr1, addr2

    def set_link(self, h1, h2, up):
        """Cuts (up False) or restores the link between h1 and h2, on both ends."""
        a, b = self.links[(h1, h2)]
        ip('-n', self.ns[h1], 'link', 'set', a, 'up' if up else 'down')
        ip('-n', self.ns[h2], 'link', 'set', b, 'up' if up else 'down')

    def argv(self, host, argv):
        return ['ip', 'netns', 'exec', self.ns[host]] + list(argv)

    def popen(self, host, argv, **kw):
        """A process in host's namespace, in a session of its own (killed by close)."""
        p = subprocess.Popen(self.argv(host, argv), start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def run(self, host, argv, timeout=30):
        return subprocess.run(self.argv(host, argv), capture_output=True, text=True, timeout=timeout)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for ns in self.ns.values():
            # whatever still runs in it (nginx's daemon) goes with it
            r = subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
        self.ns = {}
