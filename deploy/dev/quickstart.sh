#!/usr/bin/env bash
# Sets up and runs the main job on this machine: the collector on the
# embedded ClickHouse engine + a probe watching this host's SMTP sockets,
# with mTLS certificates from a private CA. Everything lives under ./var.
# Stop with Ctrl-C; run again to resume with the same data and certificates.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VAR=${SPAMTRACE_VAR:-$ROOT/var}
GRPC_PORT=${SPAMTRACE_GRPC_PORT:-7443}
ADMIN_PORT=${SPAMTRACE_ADMIN_PORT:-7444}
PROBE_METRICS_PORT=${SPAMTRACE_PROBE_METRICS_PORT:-7445}
HOST_ID=$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '-' | sed 's/^[^A-Za-z0-9]*//')
HOST_ID=${HOST_ID:-local}

log() { printf '\033[1mquickstart:\033[0m %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm install)"
  npm install --no-audit --no-fund
fi

mkdir -p "$VAR"
if [ ! -f "$VAR/certs/probe-$HOST_ID.crt" ]; then
  log "making a private CA and certificates in $VAR/certs"
  node bin/spamtrace.js certs init --dir "$VAR/certs" --probe "$HOST_ID"
fi

cat > "$VAR/collector.yaml" <<YAML
# Written by deploy/dev/quickstart.sh; see docs/configuration.md.
grpc: { host: 127.0.0.1, port: $GRPC_PORT, certsDir: $VAR/certs }
admin: { host: 127.0.0.1, port: $ADMIN_PORT, tokenFile: $VAR/admin.token }
store: { dataDir: $VAR/clickhouse }
YAML
cat > "$VAR/probe.yaml" <<YAML
# Written by deploy/dev/quickstart.sh; see docs/configuration.md.
hostId: $HOST_ID
collector: { address: "localhost:$GRPC_PORT", certsDir: $VAR/certs }
sockets: { snapshotIntervalMs: 5000 }
spool: { dir: $VAR/spool }
metrics: { port: $PROBE_METRICS_PORT }
YAML

pids=()
cleanup() {
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

node bin/spamtrace.js serve --config "$VAR/collector.yaml" 2>>"$VAR/collector.log" &
pids+=($!)
for _ in $(seq 1 120); do
  grep -q '"collector listening"' "$VAR/collector.log" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { tail -n 20 "$VAR/collector.log"; exit 1; }
  sleep 0.5
done
node bin/spamtrace-probe.js run --config "$VAR/probe.yaml" 2>>"$VAR/probe.log" &
pids+=($!)

cat <<TXT

  spamtrace is running.
    collector  gRPC (mTLS) 127.0.0.1:$GRPC_PORT   admin/metrics http://127.0.0.1:$ADMIN_PORT/metrics
    probe      host id "$HOST_ID", metrics http://127.0.0.1:$PROBE_METRICS_PORT/metrics
    data       embedded ClickHouse in $VAR/clickhouse (database "spamtrace")
    logs       $VAR/collector.log, $VAR/probe.log

  Query it from another terminal, for example:
    node bin/spamtrace.js sql --config $VAR/collector.yaml \\
      "SELECT observed_at, direction, state, local_port, remote_address, remote_port, pid, user, comm, exe, cwd FROM spamtrace.socket_snapshots ORDER BY observed_at DESC LIMIT 20"

  Ctrl-C stops both.
TXT
wait -n "${pids[@]}"
