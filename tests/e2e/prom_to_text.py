#!/usr/bin/env python3
"""prom_to_text.py: prints a Prometheus /api/v1/query JSON response (stdin)
in the text form of `heed fetch`, so the two can be compared with diff:

  series {__name__="x", a="b"}      labels as Prometheus's Labels.String()
    <t_ms> <value>                  value as C's %.17g, or NaN, +Inf, -Inf
  scalar <t_ms> <value>
  string <t_ms> <text>
  warning <text>

Errors print `error <errorType>: <error>` and exit 1.
"""
import decimal
import json
import sys


def go_quote(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def labels(m):
    return "{" + ", ".join("%s=%s" % (k, go_quote(v)) for k, v in m.items()) + "}"


def value(v):
    if v == "NaN":
        return "NaN"
    if v in ("+Inf", "Inf"):
        return "+Inf"
    if v == "-Inf":
        return "-Inf"
    return "%.17g" % float(v)


def ms(t):
    return int((decimal.Decimal(t) * 1000).to_integral_value(rounding=decimal.ROUND_HALF_UP))


def main():
    body = json.loads(sys.stdin.read(), parse_float=decimal.Decimal, parse_int=decimal.Decimal)
    if body.get("status") != "success":
        print("error %s: %s" % (body.get("errorType"), body.get("error")))
        return 1
    data = body["data"]
    rt, res = data["resultType"], data["result"]
    if rt == "matrix":
        for s in res:
            print("series " + labels(s["metric"]))
            for t, v in s["values"]:
                print("  %d %s" % (ms(t), value(v)))
    elif rt == "vector":
        for s in res:
            print("series " + labels(s["metric"]))
            t, v = s["value"]
            print("  %d %s" % (ms(t), value(v)))
    elif rt == "scalar":
        print("scalar %d %s" % (ms(res[0]), value(res[1])))
    else:
        print("string %d %s" % (ms(res[0]), res[1]))
    for w in body.get("warnings", []):
        print("warning " + w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
