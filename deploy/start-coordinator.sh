#!/bin/sh
# Starts the coordinator of a Kubernetes run: a fresh run, or --resume when the run folder
# (on the persistent volume) already holds one, so a restarted pod loses nothing.
set -eu
run=/data/run
common="--listen 0.0.0.0:7070 --token-file /secrets/token --tls-cert /tls/tls.crt --tls-key /tls/tls.key --tls-ca /tls/ca.crt --expect-workers ${EXPECT_WORKERS:-1}"
if [ -f "$run/run.json" ]; then
  exec heapstorm coordinator $common --resume "$run"
fi
exec heapstorm coordinator $common --out "$run" /suite/suite.yaml
