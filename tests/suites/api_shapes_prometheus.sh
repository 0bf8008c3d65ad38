#!/bin/sh
# heed's API shapes against the real Prometheus (Debian's prometheus
# package) on 127.0.0.1: Prometheus evaluates a rule file with firing,
# pending and recording rules; heed's server serves its test fixture; for
# every kind of object (envelope, rule group, alerting rule, recording rule,
# alert, query results, errors, buildinfo) the JSON keys, their order and
# their value types must agree. heed's additional fields (freshness,
# evaluationLag, iterationsMissed) are the only keys allowed beyond
# Prometheus's; keys Prometheus omits when empty are compared when present.
# Then `heed run` with that Prometheus as its datasource: the forwarded
# metadata endpoints (labels, label values, series, metadata, exemplars, GET
# and POST) and format_query must answer with Prometheus's own status and
# body for the same request.
# Skips, saying why, when prometheus is not installed.
set -u
: "${BUILD:?}"
prom=$(command -v prometheus || true)
if [ -z "$prom" ]; then
    echo "skipped: prometheus is not installed (apt-get install prometheus)"
    echo "0 passed, 0 failed"
    exit 0
fi
command -v python3 >/dev/null || { echo "skipped: python3 missing"; echo "0 passed, 0 failed"; exit 0; }

tmp=$(mktemp -d /tmp/heed-shapes-XXXXXX)
prom_pid=
heed_pid=
run_pid=
cleanup() {
    [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
    [ -n "$heed_pid" ] && kill "$heed_pid" 2>/dev/null && wait "$heed_pid" 2>/dev/null
    [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: shapes
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels: {severity: page}
        annotations: {summary: "value {{ $value }}"}
      - alert: LongPending
        expr: vector(2)
        for: 1h
        keep_firing_for: 5m
      - record: job:shape:sum
        expr: sum(vector(3))
EOF
pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF
global: {evaluation_interval: 1s, scrape_interval: 1s}
rule_files: [$tmp/rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$pport"]}]
EOF
"$prom" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!

"$BUILD/tests/api_server_test" --serve "$tmp/heedport" &
heed_pid=$!

# heed run with Prometheus as its datasource: the metadata endpoints
# Grafana's query editor uses are forwarded there.
HEED=${HEED:-$(cd "$(dirname "$0")/../.." && pwd)/bin/heed}
rport=$(free_port)
cat >"$tmp/heed.yml" <<EOF
datasource: {url: "http://127.0.0.1:$pport"}
rule_files: [$tmp/rules.yml]
web: {listen_address: "127.0.0.1:$rport"}
EOF
"$HEED" run --config "$tmp/heed.yml" >"$tmp/heed-run.log" 2>&1 &
run_pid=$!

# Wait until Prometheus has evaluated the group (alerts are then listed).
i=0
until curl -sf "http://127.0.0.1:$pport/api/v1/alerts" 2>/dev/null | grep -q AlwaysFiring; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
        echo "not ok: prometheus did not evaluate the rules in time"
        tail -5 "$tmp/prometheus.log"
        echo "0 passed, 1 failed"
        exit 1
    fi
    sleep 0.1
done
hport=$(cat "$tmp/heedport")

P=http://127.0.0.1:$pport
H=http://127.0.0.1:$hport
fetch() { # name url
    curl -s -o "$tmp/$1.json" "$2"
}
fetch p_rules "$P/api/v1/rules"
fetch h_rules "$H/api/v1/rules"
fetch p_alerts "$P/api/v1/alerts"
fetch h_alerts "$H/api/v1/alerts"
fetch p_build "$P/api/v1/status/buildinfo"
fetch h_build "$H/api/v1/status/buildinfo"
fetch p_flags "$P/api/v1/status/flags"
fetch h_flags "$H/api/v1/status/flags"
fetch p_vector "$P/api/v1/query?query=label_replace(vector(1),\"job\",\"x\",\"\",\"\")&time=1.5"
fetch h_vector "$H/api/v1/query?query=up&time=1.5"
fetch p_matrix "$P/api/v1/query_range?query=label_replace(vector(1),\"job\",\"x\",\"\",\"\")&start=0&end=60&step=30"
fetch h_matrix "$H/api/v1/query_range?query=up&start=0&end=60&step=30"
fetch p_scalar "$P/api/v1/query?query=scalar(vector(1))&time=100"
fetch h_scalar "$H/api/v1/query?query=scalar&time=100"
fetch p_string "$P/api/v1/query?query=\"s\"&time=1.25"
fetch h_string "$H/api/v1/query?query=string&time=1.25"
fetch p_err "$P/api/v1/query?query=sum("
fetch h_err "$H/api/v1/query?query=bad("
fetch p_badtype "$P/api/v1/rules?type=bogus"
fetch h_badtype "$H/api/v1/rules?type=bogus"

# Forwarded metadata endpoints: heed run (R) against Prometheus (P) itself,
# once Prometheus has scraped itself (so "up" exists).
R=http://127.0.0.1:$rport
i=0
until curl -s "$P/api/v1/series?match%5B%5D=up" 2>/dev/null | grep -q '"job"' &&
    curl -sf "$R/-/healthy" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 300 ] && break
    sleep 0.1
done
both() { # name path-and-query [curl args]
    n=$1
    u=$2
    shift 2
    curl -s -o "$tmp/p_$n.json" -w '%{http_code}' "$@" "$P$u" >"$tmp/p_$n.code"
    curl -s -o "$tmp/h_$n.json" -w '%{http_code}' "$@" "$R$u" >"$tmp/h_$n.code"
}
both labels "/api/v1/labels?match%5B%5D=up"
both labels_post "/api/v1/labels" --data-urlencode "match[]=up"
both label_values "/api/v1/label/job/values"
both label_values_m "/api/v1/label/__name__/values?match%5B%5D=up"
both series "/api/v1/series?match%5B%5D=up"
both series_post "/api/v1/series" --data-urlencode "match[]=up" --data-urlencode "start=0"
both series_err "/api/v1/series"
both series_bad "/api/v1/series?match%5B%5D=up%7B"
both metadata "/api/v1/metadata?metric=up"
both metadata_all "/api/v1/metadata?limit=2"
both exemplars "/api/v1/query_exemplars?query=up&start=0&end=10"
both format "/api/v1/format_query?query=sum+by(job)(rate(x%5B5m%5D))"
both format_post "/api/v1/format_query" --data-urlencode "query=a  +  on(b)   c"
both format_err "/api/v1/format_query?query=sum("
both stats "/api/v1/query?query=time()&time=10&stats=1"
both stats_range "/api/v1/query_range?query=time()&start=0&end=10&step=5&stats=all"
both nostats "/api/v1/query?query=time()&time=10&stats="
# time= spellings: both must read the same millisecond (or refuse alike)
k=0
for t in 1.009 1.0015 1.0025 -1.0015 1e3 0x10 2024-01-01T00:00:00.035Z 2024-01-01T00:00:00.0039999Z \
    2024-01-01T00:00:00,5Z 2024-01-01t00:00:00Z 2024-01-01T00:00:00.0351234567891Z; do
    both "time_$k" "/api/v1/query?query=time()&time=$t"
    k=$((k + 1))
done

python3 - "$tmp" <<'EOF'
import json, sys
tmp = sys.argv[1]
EXTRA = {"freshness", "evaluationLag", "iterationsMissed"}          # heed's additional fields
OPTIONAL = {"lastError", "keepFiringSince", "groupNextToken", "warnings", "infos"}  # omitempty upstream
# Differences between Prometheus versions: heed follows 3.x, where an empty
# recording-rule "labels" is written as {}; 2.x (Debian's package) omits it.
VERSION_OPTIONAL = {("<recording>", "labels")}

class Obj(list):
    """A JSON object as its ordered (key, value) pairs."""
passed = failed = 0

def load(name):
    with open(f"{tmp}/{name}.json") as f:
        return json.load(f, object_pairs_hook=Obj)

def jtype(v):
    if isinstance(v, Obj):
        return "object"
    return {str: "string", bool: "bool", int: "number", float: "number", type(None): "null"}.get(type(v), "array")

MAPS = (".labels", ".annotations", ".metric")  # objects whose keys are data, not schema

def is_obj(v):
    return isinstance(v, Obj)

def walk(node, path, out):
    """Collects, per object kind (a path with list indices erased and rule
    objects told apart by their "type"), the (key, type) lists seen there."""
    if is_obj(node):
        out.setdefault(path, []).append([(k, jtype(v)) for k, v in node])
        if path.endswith(MAPS):
            return
        for k, v in node:
            walk(v, path + "." + k, out)
    elif isinstance(node, list):
        for v in node:
            t = dict(v).get("type") if is_obj(v) else None
            walk(v, path + "[]" + (f"<{t}>" if isinstance(t, str) else ""), out)

def check(label, pname, hname):
    global passed, failed
    pk, hk = {}, {}
    walk(load(pname), "$", pk)
    walk(load(hname), "$", hk)
    ok = True
    compared = 0
    for path, plists in pk.items():
        if path.endswith(MAPS) or path not in hk:
            continue  # an empty list on one side hides the kinds below it
        ref = max(plists, key=len)
        rkeys = [k for k, _ in ref]
        rtypes = {k: t for pl in plists for k, t in pl}
        optional = OPTIONAL | {k for suffix, k in VERSION_OPTIONAL if path.endswith(suffix)}
        for hl in hk[path]:
            compared += 1
            hkeys = [k for k, _ in hl if k not in EXTRA]
            want = [k for k in rkeys if k not in optional or k in hkeys]
            got = [k for k in hkeys if k in rkeys or k not in optional]
            if got != want:
                print(f"not ok: {label} {path}: keys {got}, prometheus has {want}")
                ok = False
                break
            for k, t in hl:
                if k in rtypes and rtypes[k] != t:
                    print(f"not ok: {label} {path}.{k}: type {t}, prometheus has {rtypes[k]}")
                    ok = False
    if not compared:
        print(f"not ok: {label}: nothing to compare")
        ok = False
    if ok:
        passed += 1
    else:
        failed += 1

check("rules", "p_rules", "h_rules")
check("alerts", "p_alerts", "h_alerts")
check("buildinfo", "p_build", "h_build")
check("vector", "p_vector", "h_vector")
check("matrix", "p_matrix", "h_matrix")
check("scalar", "p_scalar", "h_scalar")
check("string", "p_string", "h_string")
check("error", "p_err", "h_err")
check("bad type", "p_badtype", "h_badtype")

# Specific values both must spell identically.
def d(name):
    with open(f"{tmp}/{name}.json") as f:
        return json.load(f)
def same(label, a, b):
    global passed, failed
    if a == b:
        passed += 1
    else:
        failed += 1
        print(f"not ok: {label}: prometheus {a!r}, heed {b!r}")
same("flags envelope", list(d("p_flags").keys()), list(d("h_flags").keys()))
same("flags values are strings", {type(v).__name__ for v in d("p_flags")["data"].values()},
     {type(v).__name__ for v in d("h_flags")["data"].values()})
same("bad type message", d("p_badtype"), d("h_badtype"))
same("error status/type", (d("p_err")["status"], d("p_err")["errorType"]), (d("h_err")["status"], d("h_err")["errorType"]))
same("vector timestamp", d("p_vector")["data"]["result"][0]["value"][0], d("h_vector")["data"]["result"][0]["value"][0])
same("scalar", d("p_scalar")["data"]["result"][0], d("h_scalar")["data"]["result"][0])
same("string time", d("p_string")["data"]["result"][0], d("h_string")["data"]["result"][0])
pal = d("p_alerts")["data"]["alerts"]
firing = [a for a in pal if a["labels"]["alertname"] == "AlwaysFiring"][0]
same("alert value spelling", firing["value"], "1e+00")

# Forwarded endpoints and time spellings: same status and body as
# Prometheus's own answer
# (metadata of all metrics changes while Prometheus runs: compared by shape).
def code(name):
    with open(f"{tmp}/{name}.code") as f:
        return f.read().strip()
for n in ("labels", "labels_post", "label_values", "label_values_m", "series", "series_post", "series_err",
          "series_bad", "metadata", "exemplars", "format", "format_post", "format_err"):
    try:
        same(f"forwarded {n}", (code("p_" + n), d("p_" + n)), (code("h_" + n), d("h_" + n)))
    except (OSError, ValueError) as e:
        failed += 1
        print(f"not ok: forwarded {n}: {e}")
# Prometheus 2 words this error "Invalid time value", 3 (heed) "invalid":
# compared by status, errorType and data.
def outcome(name):
    j = d(name)
    return (code(name), j["status"], j.get("errorType"), j.get("data"))
# stats: the keys and types of Prometheus's, except what heed does not track
# (peakSamples, the per-step counts of stats=all)
OPTIONAL.update({"peakSamples", "totalQueryableSamplesPerStep"})
check("stats (instant)", "p_stats", "h_stats")
check("stats (range)", "p_stats_range", "h_stats_range")
same("no stats for an empty stats=", "stats" in d("p_nostats")["data"], "stats" in d("h_nostats")["data"])
for k in range(11):
    same(f"time spelling {k}", outcome(f"p_time_{k}"), outcome(f"h_time_{k}"))
def meta_shape(name):
    m = d(name)
    return (code(name), m["status"], len(m["data"]),
            sorted({tuple(e) for entries in m["data"].values() for e in entries}))
same("forwarded metadata (shape)", meta_shape("p_metadata_all"), meta_shape("h_metadata_all"))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
