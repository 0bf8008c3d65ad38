#!/usr/bin/env python3
"""compare_text.py: compares two results in `heed fetch` text form (WANT,
GOT), ignoring series order, with floats equal within a relative tolerance
(NaN equals NaN). Prints the differences; exit 0 when equal, 1 otherwise.

Usage: compare_text.py WANT GOT [REL_TOL]   (default 1e-9)
"""
import math
import sys


def parse(path):
    series, cur, other = {}, None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("series "):
            cur = line[len("series "):]
            series.setdefault(cur, [])
        elif line.startswith("  ") and cur is not None:
            t, v = line.split()
            series[cur].append((int(t), v))
        elif line:
            other.append(line)
    return series, other


def fval(v):
    return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf, "stale": math.nan}.get(v) or float(v)


def close(a, b, tol):
    if a == b:
        return True
    x, y = fval(a), fval(b)
    if math.isnan(x) and math.isnan(y):
        return True
    return abs(x - y) <= tol * max(abs(x), abs(y))


def differences(want_path, got_path, tol=1e-9):
    """The differences between two result files, as lines (empty: equal).
    Pure: threads may call it at once."""
    (ws, wo), (gs, go) = parse(want_path), parse(got_path)
    diffs = []
    for k in sorted(set(ws) | set(gs)):
        if k not in gs:
            diffs.append("missing series " + k)
        elif k not in ws:
            diffs.append("extra series " + k)
        else:
            a, b = ws[k], gs[k]
            if len(a) != len(b) or any(ta != tb or not close(va, vb, tol) for (ta, va), (tb, vb) in zip(a, b)):
                diffs.append("series %s: want %s, got %s" % (k, a[:4], b[:4]))
    for x, y in zip(wo, go):
        p, q = x.split(), y.split()
        if len(p) != 3 or len(q) != 3 or p[:2] != q[:2] or not close(p[2], q[2], tol):
            if x != y:
                diffs.append("want %r, got %r" % (x, y))
    if len(wo) != len(go):
        diffs.append("want %s, got %s" % (wo, go))
    return diffs


def main():
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    diffs = differences(sys.argv[1], sys.argv[2], tol)
    for d in diffs[:10]:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
