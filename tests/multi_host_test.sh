#!/usr/bin/env bash
# Multi-host: the coordinator and a worker on two "hosts" — network namespaces joined by a
# veth pair, made here and removed at the end. The worker reaches the coordinator only over
# that link. Where namespaces cannot be made (no root, no iproute2), the test says why and
# skips.
set -uo pipefail
heapstorm="$TEST_SRCDIR/$TEST_WORKSPACE/cli/heapstorm"
naps="$TEST_SRCDIR/$TEST_WORKSPACE/tests/fixtures/naps.js"
tmp="${TEST_TMPDIR:-/tmp}/multihost.$$"
mkdir -p "$tmp"
tag=$(( $$ % 100000 ))
ns_c="hsc$tag"; ns_w="hsw$tag"; veth_c="hsvc$tag"; veth_w="hsvw$tag"
subnet="10.$(( 100 + $$ % 100 )).$(( $$ / 100 % 250 ))"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$ns_c" 2>/dev/null
  ip netns del "$ns_w" 2>/dev/null
}
trap cleanup EXIT

skip() { echo "SKIPPED: $*"; exit 0; }
command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
ip netns add "$ns_c" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ip netns add "$ns_w" || skip "cannot create a second network namespace"
ip link add "$veth_c" type veth peer name "$veth_w" 2>"$tmp/err" || skip "cannot create a veth pair: $(cat "$tmp/err")"
ip link set "$veth_c" netns "$ns_c" && ip link set "$veth_w" netns "$ns_w" || skip "cannot move the veth ends"
ip -n "$ns_c" addr add "$subnet.1/24" dev "$veth_c"
ip -n "$ns_w" addr add "$subnet.2/24" dev "$veth_w"
for ns in "$ns_c" "$ns_w"; do ip -n "$ns" link set lo up; done
ip -n "$ns_c" link set "$veth_c" up
ip -n "$ns_w" link set "$veth_w" up

cat > "$tmp/suite.yaml" <<YAML
scenarios:
  - name: naps
    kind: script
    params: {module: $naps, iterations: 4}
    repeats: 4
  - name: cache
    kind: cached_data
    params: {entries: 2000}
    repeats: 2
YAML

ip netns exec "$ns_c" "$heapstorm" coordinator --listen "$subnet.1:0" --out "$tmp/run" \
  --expect-workers 1 --start-timeout 60s "$tmp/suite.yaml" >"$tmp/c.out" 2>"$tmp/c.err" &
coordinator=$!
pids+=("$coordinator")
for _ in $(seq 1 500); do grep -q "listening on" "$tmp/c.out" && break; sleep 0.02; done
address=$(sed -n 's/^listening on //p' "$tmp/c.out")
[ -n "$address" ] || { echo "FAIL: the coordinator did not start"; cat "$tmp/c.err"; exit 1; }

# From the worker's namespace the coordinator's loopback is out of reach: only the link works.
ip netns exec "$ns_w" "$heapstorm" worker --coordinator "$address" --id remote --slots 2 \
  --no-cgroups >"$tmp/w.out" 2>"$tmp/w.err" &
worker=$!
pids+=("$worker")

wait "$coordinator"; code=$?
if [ "$code" -ne 0 ]; then echo "FAIL: coordinator exit $code"; cat "$tmp/c.err" "$tmp/w.err"; exit 1; fi
wait "$worker"; wcode=$?
if [ "$wcode" -ne 0 ]; then echo "FAIL: worker exit $wcode"; cat "$tmp/w.err"; exit 1; fi
runs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' "$tmp/run/report.json")
remote=$(python3 -c 'import json,sys; print(sum(r.get("worker") == "remote" for r in json.load(open(sys.argv[1]))["runs"]))' "$tmp/run/report.json")
if [ "$runs" -ne 6 ] || [ "$remote" -ne 6 ]; then
  echo "FAIL: expected 6 runs by the remote worker, got $runs runs, $remote by it"
  exit 1
fi
echo "PASS: 6 runs over $address between two namespaces"
