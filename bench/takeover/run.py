#!/usr/bin/env python3
"""Takeover time of an A/B pair (issue 12), measured as tests/integration/pair_test.py
measures it, over many runs: `kill` (the leader SIGKILLed; etcd and the origin on
127.0.0.1) and `partition` (the leader cut off from etcd in network namespaces, root).

    bench/takeover/run.py [--runs 10] [--cases kill,partition]   (ONAIR=build/cli/onair)

For each run: how long after the kill (or the cut) a player reading the origin first saw a
new segment, and the longest the origin's playlist stood still; for partition also when the
old leader's last playlist and the new leader's first reached the origin. Prints each run
and the median and worst of each figure (lease 2 s, 1 s segments: pair_test.py's).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEST = os.path.join(HERE, '..', '..', 'tests', 'integration', 'pair_test.py')
FIGURES = {
    'first new segment after the kill (s)': r'takeover: the first new segment came ([\d.]+) s',
    'playlist stood still at most (s)': r'the longest wait for a new segment: ([\d.]+) s',
    'old leader\'s last playlist after the cut (s)': r'A\'s last playlist PUT \+([\d.]+) s',
    'new leader\'s first playlist after the cut (s)': r'B\'s first \+([\d.]+) s',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--cases', default='kill,partition')
    args = ap.parse_args()
    failed = 0
    for case in args.cases.split(','):
        got = {k: [] for k in FIGURES}
        for i in range(args.runs):
            r = subprocess.run([sys.executable, TEST, case], capture_output=True, text=True, timeout=300)
            out = r.stdout + r.stderr
            ok = r.returncode == 0
            failed += not ok
            line = []
            for k, rx in FIGURES.items():
                m = re.search(rx, out)
                if m:
                    got[k].append(float(m.group(1)))
                    line.append('%s %s' % (k.split(' (')[0], m.group(1)))
            print('%s run %d: %s; %s' % (case, i + 1, 'PASS' if ok else 'FAIL', ', '.join(line)), flush=True)
        print('\n| %s, %d runs | median | worst |\n|---|---|---|' % (case, args.runs))
        for k, v in got.items():
            if v:
                print('| %s | %.2f | %.2f |' % (k, statistics.median(v), max(v)))
        print()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
