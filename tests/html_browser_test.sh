#!/usr/bin/env bash
# report.html in a real browser (Debian's Chromium, headless): it renders with no console
# error, makes no network request, shows its charts; a screenshot is kept as a test
# output (bazel-testlogs/tests/html_browser_test/test.outputs/report.png).
set -uo pipefail
html="$TEST_SRCDIR/$TEST_WORKSPACE/reports/testdata/golden_report.html"
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
tmp="${TEST_TMPDIR:-/tmp}/browser.$$"
mkdir -p "$tmp" "$out"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed (scripts/setup.sh installs it)"
  exit 1
fi
# Every http(s) request, the browser's own background ones included, goes to a dead proxy
# on loopback: nothing leaves this machine.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-default-apps --no-pings --disable-domain-reliability
       --disable-features=NetworkTimeServiceQuerying,Translate,MediaRouter,OptimizationHints
       --proxy-server=127.0.0.1:9 --proxy-bypass-list="<-loopback>"
       --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0
       --log-net-log="$tmp/netlog.json" --window-size=1280,3200)
export HOME="$tmp"

timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$html" >"$tmp/dom.html" 2>"$tmp/log.txt"
status=$?
if [ $status -ne 0 ]; then echo "FAIL: chromium exited $status"; tail -20 "$tmp/log.txt"; exit 1; fi

fail=0
if grep -q "CONSOLE" "$tmp/log.txt"; then
  echo "FAIL: console messages:"; grep "CONSOLE" "$tmp/log.txt"; fail=1
fi
charts=$(grep -o "<svg" "$tmp/dom.html" | wc -l)
if [ "$charts" -lt 4 ]; then echo "FAIL: expected charts, found $charts <svg> elements"; fail=1; fi
if ! grep -q "polyline" "$tmp/dom.html"; then echo "FAIL: the charts have no lines"; fail=1; fi
if grep -qi "<img src=x" "$tmp/dom.html"; then echo "FAIL: unescaped markup in the DOM"; fail=1; fi
# The page loads nothing but itself: no request started on its behalf (the browser's own
# background requests have initiator "not an origin").
page_requests=$(python3 - "$tmp/netlog.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
for e in log["events"]:
    p = e.get("params", {})
    if e["type"] == start and "url" in p and not p["url"].startswith("file:") \
            and p.get("initiator") != "not an origin":
        print(p["url"])
PY
)
if [ -n "$page_requests" ]; then echo "FAIL: the page made network requests: $page_requests"; fail=1; fi
if grep -Eq '(src|href)="[a-z]+://' "$tmp/dom.html"; then echo "FAIL: an external URL in the page"; fail=1; fi

timeout 120 "$browser" "${flags[@]}" --screenshot="$out/report.png" "file://$html" >/dev/null 2>&1
if [ ! -s "$out/report.png" ]; then echo "FAIL: no screenshot"; fail=1; fi
[ $fail -eq 0 ] && echo "PASS: $charts charts, no console message, no network request; screenshot $out/report.png"
exit $fail
