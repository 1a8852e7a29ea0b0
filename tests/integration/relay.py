#!/usr/bin/env python3
"""A network-fault relay for the tests: what netem would do, in user space
(these machines' kernels have no netem qdisc; FIELD-NOTES.md).

It listens on one address and forwards to a target, UDP datagrams or TCP
connections, and on the way it can
- drop a fraction of UDP datagrams (seeded, so a run repeats: the same
  datagrams by arrival order are dropped),
- delay everything by a fixed time plus an optional uniform jitter, in both
  directions (TCP keeps its byte order: a chunk never overtakes the one before),
- stall on command: forward nothing for N seconds, holding what arrives (it
  goes out when the stall ends) or dropping it (UDP datagrams are lost; TCP
  connections are reset and new ones refused until the stall ends).

UDP keeps one session per client address: its datagrams go to the target from
a socket of their own, and what the target sends back to that socket returns
to the client's address. So a request/answer protocol over UDP (SRT's
handshake, ACK and NAK) runs through it both ways.

In a test (one thread, the event loop):

    r = Relay('udp', ('127.0.0.1', 0), ('127.0.0.1', port), drop=0.05, delay=0.08, seed=1)
    r.start(); r.port          # the address to send to
    r.stall(6, hold=True)      # now, for 6 s
    r.stats()                  # {'forwarded': ..., 'dropped': ..., 'held': ..., ...}
    r.late_max                 # the most a datagram went out after its time (s): the
                               # relay's own lag on a loaded machine, on top of `delay`
    r.late_max_at              # when (wall time, s), or None
    r.close()

From a shell: relay.py udp|tcp LISTEN_PORT TARGET_HOST:PORT [--drop F] [--delay S]
[--jitter S] [--seed N]; it prints its counts every 5 s and at SIGINT.
"""

import argparse
import collections
import heapq
import itertools
import random
import selectors
import signal
import socket
import sys
import threading
import time

CHUNK = 65536
# A TCP side whose queue towards its peer is this large is not read until the
# queue drains (the relay's own window: memory stays bounded).
TCP_QUEUE_MAX = 4 << 20


class Relay:
    def __init__(self, proto, listen, target, drop=0.0, delay=0.0, jitter=0.0, seed=1, tap=None):
        """tap(direction, client, data): called on the loop's thread with every
        UDP datagram as it arrives ('up': from the client at address client,
        'down': to it), before it may be dropped."""
        if proto not in ('udp', 'tcp'):
            raise ValueError('proto is udp or tcp, not %r' % proto)
        if not 0.0 <= drop < 1.0 or delay < 0 or jitter < 0:
            raise ValueError('drop in [0, 1), delay and jitter >= 0')
        self.proto, self.target = proto, target
        self.drop, self.delay, self.jitter = drop, delay, jitter
        self.rng = random.Random(seed)
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.stall_until, self.stall_hold = 0.0, True
        self.timers = []                    # heap of (when, seq, fn)
        self.seq = itertools.count()
        self.closing = False
        self.tap = tap
        self.late_max, self.late_max_at = 0.0, None
        self.thread = None
        # a socketpair wakes the loop when the test calls in from its thread
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, ('wake', None))
        kind = socket.SOCK_DGRAM if proto == 'udp' else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(listen)
        self.sock.setblocking(False)
        if proto == 'udp':
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            self.sessions = {}              # client address -> upstream socket
        else:
            self.sock.listen(64)
            self.conns = set()
        self.sel.register(self.sock, selectors.EVENT_READ, ('listen', None))
        self.port = self.sock.getsockname()[1]

    # ---- the test's side (any thread) ----

    def start(self):
        self.thread = threading.Thread(target=self._loop, name='relay-%s-%d' % (self.proto, self.port),
                                       daemon=True)
        self.thread.start()
        return self

    def stall(self, seconds, hold=True):
        """Forward nothing from now for `seconds`; hold what arrives meanwhile
        (sent when the stall ends), or drop it."""
        self._call(lambda: self._stall(seconds, hold))

    def stats(self):
        with self.lock:
            return dict(self.counts)

    def close(self):
        if self.thread:
            self._call(self._shutdown)
            self.thread.join(5)
        else:
            self._shutdown()

    # ---- the loop's side ----

    def _call(self, fn):
        self._after(0, fn)
        try:
            self.wake_w.send(b'x')
        except OSError:
            pass

    def _after(self, seconds, fn):
        with self.lock:
            heapq.heappush(self.timers, (time.monotonic() + seconds, next(self.seq), fn))

    def _count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def _stalled(self):
        return time.monotonic() < self.stall_until

    def _stall(self, seconds, hold):
        self.stall_until = time.monotonic() + seconds
        self.stall_hold = hold
        self._count('stalls')
        if self.proto == 'tcp' and not hold:
            for c in list(self.conns):
                c.close(reset=True)
                self._count('reset')

    def _release(self, now):
        """When what arrives now goes out: after the delay, never inside a stall."""
        when = now + self.delay + (self.rng.uniform(0, self.jitter) if self.jitter else 0.0)
        return max(when, self.stall_until) if now < self.stall_until else when

    def _loop(self):
        while not self.closing:
            with self.lock:
                timeout = max(0.0, self.timers[0][0] - time.monotonic()) if self.timers else 0.5
            for key, mask in self.sel.select(min(timeout, 0.5)):
                kind, obj = key.data
                try:
                    if kind == 'wake':
                        self.wake_r.recv(4096)
                    elif kind == 'listen':
                        self._on_listen()
                    elif kind == 'upstream':
                        self._on_upstream(key.fileobj, obj)
                    elif kind == 'tcp':
                        obj.on_event(key.fileobj, mask)
                except OSError:
                    self._count('errors')
            now = time.monotonic()
            while True:
                with self.lock:
                    if not self.timers or self.timers[0][0] > now:
                        break
                    _, _, fn = heapq.heappop(self.timers)
                fn()

    def _shutdown(self):
        self.closing = True
        if self.proto == 'udp':
            for s in self.sessions.values():
                s.close()
        else:
            for c in list(self.conns):
                c.close(reset=False)
        self.sock.close()
        self.sel.close()

    # ---- UDP ----

    def _udp_forward(self, sock, data, addr, direction, client):
        now = time.monotonic()
        if self.tap:
            self.tap(direction, client, data)
        if self._stalled() and not self.stall_hold:
            self._count('dropped_' + direction)
            self._count('dropped_stall')
            return
        if self.drop and self.rng.random() < self.drop:
            self._count('dropped_' + direction)
            return
        if self._stalled():
            self._count('held')

        def send():
            late = time.monotonic() - when
            if late > self.late_max:
                self.late_max, self.late_max_at = late, time.time()
            try:
                sock.sendto(data, addr)
                self._count('forwarded_' + direction)
            except ConnectionRefusedError:
                # an ICMP answer to an earlier datagram: nobody listens there (yet)
                self._count('refused')
            except OSError:
                self._count('errors')
        when = self._release(now)
        if when <= now:
            send()
        else:
            self._after(when - now, send)

    def _on_listen(self):
        if self.proto == 'tcp':
            client, _ = self.sock.accept()
            if self._stalled() and not self.stall_hold:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
                client.close()
                self._count('refused')
                return
            try:
                TcpPair(self, client)
            except OSError:
                # the target refuses: so does the relay
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
                client.close()
                self._count('refused')
                return
            self._count('connections')
            return
        for _ in range(64):
            try:
                data, addr = self.sock.recvfrom(CHUNK)
            except BlockingIOError:
                return
            up = self.sessions.get(addr)
            if up is None:
                up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                up.bind(('127.0.0.1', 0))
                up.connect(self.target)
                up.setblocking(False)
                self.sessions[addr] = up
                self.sel.register(up, selectors.EVENT_READ, ('upstream', addr))
                self._count('sessions')
            self._udp_forward(up, data, self.target, 'up', addr)

    def _on_upstream(self, up, client):
        for _ in range(64):
            try:
                data = up.recv(CHUNK)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                # the target is not there (yet): an ICMP answer to a datagram sent
                self._count('refused')
                return
            self._udp_forward(self.sock, data, client, 'down', client)


class TcpPair:
    """One client connection and its connection to the target: two ordered
    queues of (release time, bytes), one per direction."""

    def __init__(self, relay, client):
        self.relay = relay
        self.client = client
        self.server = socket.create_connection(relay.target, timeout=5)
        for s in (client, self.server):
            s.setblocking(False)
        self.peer = {client: self.server, self.server: client}
        self.queue = {client: collections.deque(), self.server: collections.deque()}   # towards the key
        self.queued = {client: 0, self.server: 0}
        self.eof = {client: False, self.server: False}   # the key's peer said EOF
        self.last = {client: 0.0, self.server: 0.0}      # last release time towards the key
        self.dir = {self.server: 'up', client: 'down'}   # direction of bytes sent to the key
        self.closed = False
        relay.conns.add(self)
        for s in (client, self.server):
            relay.sel.register(s, selectors.EVENT_READ, ('tcp', self))

    def interest(self, s):
        if self.closed:
            return
        ev = 0
        if self.queued[self.peer[s]] < TCP_QUEUE_MAX and not self.eof[self.peer[s]]:
            ev |= selectors.EVENT_READ
        q = self.queue[s]
        if q and q[0][0] <= time.monotonic():
            ev |= selectors.EVENT_WRITE
        try:
            if ev:
                self.relay.sel.modify(s, ev, ('tcp', self))
            else:
                self.relay.sel.unregister(s)
        except KeyError:
            if ev:
                self.relay.sel.register(s, ev, ('tcp', self))
        except ValueError:
            pass

    def on_event(self, s, mask):
        if mask & selectors.EVENT_READ:
            self.read(s)
        if not self.closed and mask & selectors.EVENT_WRITE:
            self.flush(s)

    def read(self, s):
        dst = self.peer[s]
        try:
            data = s.recv(CHUNK)
        except BlockingIOError:
            return
        except OSError:
            self.close(reset=True)
            return
        now = time.monotonic()
        if not data:
            self.eof[dst] = True
            data = b''
        elif self.relay._stalled():
            self.relay._count('held')
        when = max(self.relay._release(now), self.last[dst])
        self.last[dst] = when
        self.queue[dst].append((when, data))
        self.queued[dst] += len(data)
        self.relay._after(max(0.0, when - now), lambda: self.flush(dst))
        self.interest(s)
        self.interest(dst)

    def flush(self, dst):
        if self.closed:
            return
        q = self.queue[dst]
        now = time.monotonic()
        while q and q[0][0] <= now:
            when, data = q[0]
            if not data:                       # the other side's EOF, in its place
                q.popleft()
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                if self.eof[self.peer[dst]] and not self.queue[self.peer[dst]]:
                    self.close(reset=False)
                    return
                continue
            try:
                n = dst.send(data)
            except BlockingIOError:
                break
            except OSError:
                self.close(reset=True)
                return
            self.relay._count('bytes_' + self.dir[dst], n)
            self.queued[dst] -= n
            if n < len(data):
                q[0] = (when, data[n:])
                break
            q.popleft()
        self.interest(dst)
        self.interest(self.peer[dst])

    def close(self, reset):
        if self.closed:
            return
        self.closed = True
        self.relay.conns.discard(self)
        for s in (self.client, self.server):
            try:
                self.relay.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            if reset:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('proto', choices=['udp', 'tcp'])
    ap.add_argument('listen_port', type=int)
    ap.add_argument('target', help='HOST:PORT')
    ap.add_argument('--listen-host', default='127.0.0.1')
    ap.add_argument('--drop', type=float, default=0.0, help='fraction of UDP datagrams dropped')
    ap.add_argument('--delay', type=float, default=0.0, help='seconds added each way')
    ap.add_argument('--jitter', type=float, default=0.0, help='up to this many seconds more, uniform')
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    host, port = a.target.rsplit(':', 1)
    r = Relay(a.proto, (a.listen_host, a.listen_port), (host, int(port)), a.drop, a.delay, a.jitter,
              a.seed).start()
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    while not done.wait(5):
        print(r.stats(), flush=True)
    r.close()
    print(r.stats(), flush=True)


if __name__ == '__main__':
    sys.exit(main())
