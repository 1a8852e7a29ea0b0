#!/usr/bin/env python3
"""The README's facts against the code that defines them, so neither drifts alone.

    docs_test.py readme-metrics   the Operations section's metrics table and histogram
                                  buckets against metric_defs (common/metrics.c), the
                                  process metrics (admin/prom.c) and metric_latency_bounds
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES = {'METRIC_GAUGE': 'gauge', 'METRIC_COUNTER': 'counter', 'METRIC_HISTOGRAM': 'histogram'}


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def code_metrics():
    """{name: (type, [labels])} of every MetricDef row: per-channel ones get `channel` first."""
    row = re.compile(r'\[\w+\]\s*=\s*\{\s*"(\w+)",\s*(METRIC_\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+),'
                     r'\s*\{([^}]*)\},\s*([01])\s*\}', re.S)
    got = {}
    for path in ('common/metrics.c', 'admin/prom.c'):
        for m in row.finditer(read(path)):
            name, typ, _, labels, per_channel = m.groups()
            names = [x for x in re.findall(r'"(\w+)"', labels)]
            got[name] = (TYPES[typ], (['channel'] if per_channel == '1' else []) + names)
    return got


def readme_metrics(text):
    """{name: (type, [labels])} of the README's metrics table."""
    got = {}
    for line in text.splitlines():
        m = re.match(r'\| `((?:onair|process)_\w+)` \| (\w+) \| ([^|]*) \|', line)
        if m:
            got[m.group(1)] = (m.group(2), re.findall(r'`(\w+)`', m.group(3)))
    return got


def case_readme_metrics():
    fails = []
    code = code_metrics()
    readme = read('README.md')
    table = readme_metrics(readme)
    if len(code) < 20:
        fails.append('only %d metric rows found in the code: the pattern no longer reads them' % len(code))
    for name in sorted(set(code) | set(table)):
        if name not in table:
            fails.append('%s (%s) is not in the README\'s metrics table' % (name, code[name][0]))
        elif name not in code:
            fails.append('the README lists %s, which no MetricDef defines' % name)
        elif code[name] != table[name]:
            fails.append('%s: the README says %s %s, the code %s %s'
                         % (name, table[name][0], table[name][1], code[name][0], code[name][1]))
    bounds = re.search(r'metric_latency_bounds\[\]\s*=\s*\{([^}]*)\}', read('common/metrics.c'))
    want = [float(x) for x in bounds.group(1).split(',')] if bounds else []
    said = re.search(r'Histograms use the\s+buckets ([\d., and]+) s\.', readme)
    listed = [float(x) for x in re.findall(r'[\d.]+\d|\d', said.group(1))] if said else None
    if listed != want:
        fails.append('the README\'s histogram buckets %s are not metric_latency_bounds %s' % (listed, want))
    if fails:
        print('FAIL readme-metrics: %d problem(s)' % len(fails))
        for f in fails:
            print('  - ' + f)
        return 1
    print('PASS readme-metrics: %d metrics, %d buckets' % (len(code), len(want)))
    return 0


CASES = {'readme-metrics': case_readme_metrics}

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(__doc__)
        sys.exit(2)
    sys.exit(CASES[sys.argv[1]]())
