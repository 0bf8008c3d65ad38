#!/bin/sh
# The status page "/" in a real browser: headless Chromium (Debian's
# chromium package) loads it from heed's server (serving the API test
# fixture on 127.0.0.1), the rendered DOM is checked for the groups, rules,
# alert instances, freshness and self-monitoring rows, and a screenshot is
# saved as $BUILD/test-logs/status-page.png.
# Skips, saying why, when chromium is not installed.
set -u
: "${BUILD:?}"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "not ok: $*"; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "skipped: chromium is not installed (apt-get install chromium)"
    echo "0 passed, 0 failed"
    exit 0
fi
server=$BUILD/tests/api_server_test
if [ ! -x "$server" ]; then
    echo "not ok: $server not built"
    echo "0 passed, 1 failed"
    exit 1
fi

tmp=$(mktemp -d /tmp/heed-page-XXXXXX)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$server" --serve "$tmp/port" &
server_pid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
port=$(cat "$tmp/port" 2>/dev/null)
if [ -z "$port" ]; then
    echo "not ok: fixture server did not start"
    echo "0 passed, 1 failed"
    exit 1
fi
url="http://127.0.0.1:$port/"

# Flags keep the browser off the network (only 127.0.0.1 is reached).
run_browser() {
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$tmp/profile" "$@" 2>>"$tmp/browser.log"
}

run_browser --dump-dom "$url" >"$tmp/dom.html"
if [ -s "$tmp/dom.html" ]; then ok; else bad "chromium rendered nothing (see $tmp/browser.log)"; fi
for want in "heed (test fixture)" "Self-monitoring" "HeedWatchdog" "Alert instances" "HighErrorRate" \
    "InstanceDown" "instance=b:1" "held" "Stale inputs" "frozen" "late" "Rule groups" "job:errors:rate5m" \
    "NeverAlert" "query timed out in expression evaluation" "Errors &lt;high&gt; on a:1"; do
    if grep -qF "$want" "$tmp/dom.html"; then ok; else bad "rendered page lacks: $want"; fi
done
# The page must need nothing from outside: no scripts, links or remote URLs.
if grep -qiE '<script|<link|https?://' "$tmp/dom.html"; then bad "page refers to external assets"; else ok; fi

mkdir -p "$BUILD/test-logs"
shot=$BUILD/test-logs/status-page.png
rm -f "$shot"
run_browser --hide-scrollbars --window-size=1280,1400 --screenshot="$shot" "$url" >/dev/null
# A PNG signature and more than a blank page's few bytes.
if [ -s "$shot" ] && [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] &&
    [ "$(wc -c <"$shot")" -gt 10000 ]; then
    ok
    echo "screenshot: $shot ($(wc -c <"$shot") bytes)"
else
    bad "no screenshot at $shot"
    tail -5 "$tmp/browser.log"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
