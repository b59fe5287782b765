#!/usr/bin/env bash
# Multi-host: the coordinator and a worker on two "hosts" — network namespaces joined by a
# veth pair, made here and removed at the end. The worker reaches the coordinator only over
# that link, with mutual TLS and a token, as deploy/README.md describes (plain text off
# loopback is refused: checked first). Where namespaces cannot be made (no root, no
# iproute2) the test fails, unless HEAPSTORM_TEST_LANE=no-netns says this lane has no
# root: then it says why and skips.
set -uo pipefail
heapstorm="$TEST_SRCDIR/$TEST_WORKSPACE/cli/heapstorm"
naps="$TEST_SRCDIR/$TEST_WORKSPACE/tests/fixtures/naps.js"
tmp="${TEST_TMPDIR:-/tmp}/multihost.$$"
mkdir -p "$tmp"
# heapstorm's scratch (run folders) stays inside the test's own folder.
export TMPDIR="$tmp"
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

skip() {
  if [[ ",${HEAPSTORM_TEST_LANE:-}," == *,no-netns,* ]]; then echo "SKIPPED (lane without network namespaces): $*"; exit 0; fi
  echo "FAIL: $* (this lane must make network namespaces; HEAPSTORM_TEST_LANE=no-netns skips)"; exit 1
}
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

# Off loopback, plain text is refused before anything is written.
ip netns exec "$ns_c" "$heapstorm" coordinator --listen "$subnet.1:0" --out "$tmp/refused" \
  "$tmp/suite.yaml" >/dev/null 2>"$tmp/refused.err"
code=$?
if [ "$code" -ne 2 ] || ! grep -q "is not a loopback address" "$tmp/refused.err" || [ -e "$tmp/refused" ]; then
  echo "FAIL: a plaintext coordinator off loopback was not refused (exit $code)"; cat "$tmp/refused.err"; exit 1
fi

# A CA, a certificate for each host (the coordinator's names its address), a token.
(
  cd "$tmp" || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ca -keyout ca.key -out ca.pem 2>/dev/null
  for who in coordinator worker; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" -keyout "$who.key" -out "$who.csr" 2>/dev/null
    printf 'subjectAltName=IP:%s.1\n' "$subnet" > "$who.ext"
    openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "$who.ext" -out "$who.pem" 2>/dev/null
  done
  head -c 32 /dev/urandom | base64 > token && chmod 600 token
) || { echo "FAIL: openssl could not make the certificates"; exit 1; }
tls() { echo --tls-cert "$tmp/$1.pem" --tls-key "$tmp/$1.key" --tls-ca "$tmp/ca.pem" --token-file "$tmp/token"; }

ip netns exec "$ns_c" "$heapstorm" coordinator --listen "$subnet.1:0" --out "$tmp/run" $(tls coordinator) \
  --expect-workers 1 --start-timeout 60s "$tmp/suite.yaml" >"$tmp/c.out" 2>"$tmp/c.err" &
coordinator=$!
pids+=("$coordinator")
for _ in $(seq 1 500); do grep -q "listening on" "$tmp/c.out" && break; sleep 0.02; done
address=$(sed -n 's/^listening on //p' "$tmp/c.out")
[ -n "$address" ] || { echo "FAIL: the coordinator did not start"; cat "$tmp/c.err"; exit 1; }

# From the worker's namespace the coordinator's loopback is out of reach: only the link works.
ip netns exec "$ns_w" "$heapstorm" worker --coordinator "$address" --id remote --slots 2 $(tls worker) \
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
echo "PASS: 6 runs over $address between two namespaces, mutual TLS and a token"
