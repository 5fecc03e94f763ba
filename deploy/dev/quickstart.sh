#!/usr/bin/env bash
# Sets up and runs the main job on this machine: the collector on the
# embedded ClickHouse engine + a probe watching this host's SMTP sockets,
# with mTLS certificates from a private CA. Everything lives under ./var.
# Stop with Ctrl-C; run again to resume with the same data and certificates.
#
# Knobs (environment): QUICKSTART_VAR (folder, default ./var),
# QUICKSTART_GRPC_PORT (7443), QUICKSTART_ADMIN_PORT (7444),
# QUICKSTART_PROBE_METRICS_PORT (7445). They are named QUICKSTART_* on purpose:
# SPAMTRACE_PROBE_* and SPAMTRACE_COLLECTOR_* are the processes' own config
# keys (docs/configuration.md), which this script passes through untouched.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VAR=${QUICKSTART_VAR:-$ROOT/var}
GRPC_PORT=${QUICKSTART_GRPC_PORT:-7443}
ADMIN_PORT=${QUICKSTART_ADMIN_PORT:-7444}
PROBE_METRICS_PORT=${QUICKSTART_PROBE_METRICS_PORT:-7445}
HOST_ID=$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '-' | sed 's/^[^A-Za-z0-9]*//')
HOST_ID=${HOST_ID:-local}

log() { printf '\033[1mquickstart:\033[0m %s\n' "$*"; }

# The knobs' old names collide with the probe's and collector's config keys.
for old in SPAMTRACE_VAR SPAMTRACE_GRPC_PORT SPAMTRACE_ADMIN_PORT SPAMTRACE_PROBE_METRICS_PORT; do
  if [ -n "${!old:-}" ]; then
    log "$old is not a quickstart knob (SPAMTRACE_PROBE_*/SPAMTRACE_COLLECTOR_* set config keys); use QUICKSTART_${old#SPAMTRACE_}" >&2
    exit 2
  fi
done

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

declare -A names=()
pids=()
stopping=0
cleanup() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - EXIT INT TERM
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# Starts a child with its stderr appended to var/<name>.log; remembers where
# this run's part of the log starts, so waits and reports never read an
# earlier run's lines.
declare -A log_start=()
start() {
  local name=$1
  shift
  local file="$VAR/$name.log"
  log_start[$name]=$(($( (stat -c %s "$file" 2>/dev/null) || echo 0) + 1))
  "$@" 2>>"$file" &
  pids+=($!)
  names[$!]=$name
}
this_run_log() { tail -c "+${log_start[$1]}" "$VAR/$1.log" 2>/dev/null || true; }
died() {
  local name=$1 code=$2
  log "the $name exited (status $code); last lines of $VAR/$name.log:" >&2
  this_run_log "$name" | tail -n 15 >&2
}
wait_for_line() {
  local name=$1 pattern=$2 pid=$3
  for _ in $(seq 1 120); do
    this_run_log "$name" | grep -q "$pattern" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && code=0 || code=$?
      died "$name" "$code"
      exit 1
    fi
    sleep 0.5
  done
  log "the $name did not report '$pattern' within 60 s; see $VAR/$name.log" >&2
  exit 1
}

start collector node --heap-growing-percent=50 bin/spamtrace.js serve --config "$VAR/collector.yaml"
wait_for_line collector '"collector listening"' "${pids[0]}"
start probe node bin/spamtrace-probe.js run --config "$VAR/probe.yaml"
wait_for_line probe '"probe started"' "${pids[1]}"

cat <<TXT

  spamtrace is running.
    collector  gRPC (mTLS) 127.0.0.1:$GRPC_PORT   admin/metrics http://127.0.0.1:$ADMIN_PORT/metrics
    probe      host id "$HOST_ID", metrics http://127.0.0.1:$PROBE_METRICS_PORT/metrics
    data       embedded ClickHouse in $VAR/clickhouse (database "spamtrace")
    logs       $VAR/collector.log, $VAR/probe.log

  Query it from another terminal (any folder), for example:
    SPAMTRACE_CONFIG=$VAR/collector.yaml node $ROOT/bin/spamtrace.js sql \\
      "SELECT observed_at, direction, state, local_port, remote_address, remote_port, pid, user, comm, exe, cwd FROM socket_snapshots ORDER BY observed_at DESC LIMIT 20"

  Ctrl-C stops both.
TXT

# After the first snapshots: say what to do when this host has no SMTP socket at all.
(
  sleep 12
  n=$(node bin/spamtrace.js sql --json --config "$VAR/collector.yaml" "SELECT count() AS n FROM socket_snapshots WHERE host_id = '$HOST_ID'" 2>/dev/null | sed -n 's/.*"n":"\{0,1\}\([0-9]*\).*/\1/p')
  if [ "${n:-0}" = 0 ]; then
    log "no SMTP socket seen on this host yet (the probe records TCP sockets on ports 25, 465 and 587)."
    log "  to see one: run an MTA here, or open a connection, e.g. 'swaks --server <some MX> --quit-after CONNECT' or 'nc -v <some MX> 25';"
    log "  'node bin/spamtrace-probe.js snapshot --once' prints what the probe sees right now."
  fi
) &
hint=$!

set +e
wait -n "${pids[@]}"
code=$?
set -e
kill "$hint" 2>/dev/null || true
for pid in "${pids[@]}"; do
  if ! kill -0 "$pid" 2>/dev/null; then died "${names[$pid]}" "$code"; break; fi
done
exit 1
