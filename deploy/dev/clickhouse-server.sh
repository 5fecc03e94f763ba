#!/usr/bin/env bash
# Local ClickHouse server (Debian's 18.16.1 package) for development and tests.
#
#   clickhouse-server.sh install
#       apt-get install clickhouse-server + clickhouse-client (needs root;
#       does nothing when already installed).
#   clickhouse-server.sh start BASE_DIR HTTP_PORT [TCP_PORT] [INTERSERVER_PORT]
#       Writes BASE_DIR/etc/{config,users}.xml, starts a server listening on
#       127.0.0.1 only, waits for /ping, writes BASE_DIR/clickhouse.pid and
#       prints the HTTP URL. TCP_PORT defaults to HTTP_PORT+1 (env CH_TCP_PORT),
#       INTERSERVER_PORT to HTTP_PORT+2 (env CH_INTERSERVER_PORT).
#       Data persists in BASE_DIR/data across stop/start.
#   clickhouse-server.sh stop BASE_DIR
#       SIGTERM, wait up to CH_STOP_TIMEOUT_S (10) seconds, then SIGKILL.
#   clickhouse-server.sh status BASE_DIR
#       Exit 0 and print pid + URL when running, exit 3 when not.
#
# Users: `default` (no password) and `spamtrace` (password from env
# CH_PASSWORD, stored as sha256; empty when unset), both loopback-only.
# The password is read from the environment so it never appears in argv.
# Environment: CH_START_TIMEOUT_S (30), CH_LOG_LEVEL (information).
set -euo pipefail

readonly SERVER_BIN=/usr/sbin/clickhouse-server
readonly CLIENT_BIN=/usr/bin/clickhouse-client
readonly RUN_USER=clickhouse

die() {
  echo "clickhouse-server.sh: error: $*" >&2
  exit 1
}

log() {
  echo "clickhouse-server.sh: $*" >&2
}

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_port() {
  [[ "$1" =~ ^[0-9]+$ ]] && (("$1" >= 1 && "$1" <= 65535))
}

# Absolute path without requiring it to exist; rejects characters that would
# need escaping in the XML config.
abs_base_dir() {
  local dir="$1"
  [[ -n "$dir" ]] || die "BASE_DIR is empty"
  [[ "$dir" != *[\<\>\&\"\'[:space:]]* ]] || die "BASE_DIR '$dir' must not contain whitespace, quotes, '<', '>' or '&'"
  dir="$(realpath -m -- "$dir")"
  [[ "$dir" != "/" ]] || die "BASE_DIR must not be /"
  printf '%s\n' "$dir"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# GET /ping without depending on curl (absent from minimal Debian images).
ping_ok() {
  local port="$1" reply
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash.
  reply="$(timeout 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    cat <&3' "$port" 2>/dev/null)" || return 1
  [[ "$reply" == *"Ok."* ]]
}

# Pid from BASE_DIR/clickhouse.pid if that process is alive (not a zombie) and
# is our server for this BASE_DIR (guards against pid reuse).
running_pid() {
  local base="$1" pid
  [[ -f "$base/clickhouse.pid" ]] || return 1
  pid="$(<"$base/clickhouse.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config-file=$base/etc/config.xml" || return 1
  printf '%s\n' "$pid"
}

# kill -0 succeeds on zombies, and an orphaned server may stay a zombie when
# PID 1 (e.g. in a container) does not reap: treat state Z as dead.
pid_alive() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != "Z" && "$state" != "X" ]]
}

show_logs() {
  local base="$1" f
  for f in "$base/log/clickhouse-server.err.log" "$base/log/stdout.log"; do
    if [[ -s "$f" ]]; then
      echo "---- last lines of $f ----" >&2
      tail -n 25 "$f" >&2
    fi
  done
}

cmd_install() {
  if [[ -x "$SERVER_BIN" && -x "$CLIENT_BIN" ]]; then
    log "already installed: $SERVER_BIN"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "install needs root (apt-get install clickhouse-server clickhouse-client); run it as root"
  command -v apt-get >/dev/null || die "install needs apt-get (Debian/Ubuntu); install clickhouse-server by hand"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for a concurrent apt/dpkg run instead of failing on its lock.
  local apt_opts=(-o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
  if ! apt-cache show clickhouse-server >/dev/null 2>&1; then
    log "apt-get update"
    apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update failed"
  fi
  log "apt-get install clickhouse-server clickhouse-client"
  if ! apt-get "${apt_opts[@]}" install -y -q clickhouse-server clickhouse-client >&2; then
    # A stale package list is the usual cause: refresh once and retry.
    apt-get "${apt_opts[@]}" update -q >&2 || die "apt-get update failed"
    apt-get "${apt_opts[@]}" install -y -q clickhouse-server clickhouse-client >&2 ||
      die "apt-get install clickhouse-server clickhouse-client failed"
  fi
  [[ -x "$SERVER_BIN" ]] || die "installed, but $SERVER_BIN is missing"
  log "installed $SERVER_BIN"
}

write_config() {
  local base="$1" http="$2" tcp="$3" inter="$4" level="$5"
  cat >"$base/etc/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by deploy/dev/clickhouse-server.sh; rewritten on every start. -->
<yandex>
    <logger>
        <level>$level</level>
        <log>$base/log/clickhouse-server.log</log>
        <errorlog>$base/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>

    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>$inter</interserver_http_port>

    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <!-- Upper bounds, allocated on demand; small because this is a dev box. -->
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>

    <path>$base/data/</path>
    <tmp_path>$base/tmp/</tmp_path>
    <user_files_path>$base/user_files/</user_files_path>
    <format_schema_path>$base/format_schemas/</format_schema_path>
    <users_config>$base/etc/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <!-- DateTime text I/O uses the server timezone; keep it fixed. -->
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>

    <!-- One-node cluster so Distributed tables can be exercised locally. -->
    <remote_servers>
        <spamtrace_dev>
            <shard>
                <replica>
                    <host>127.0.0.1</host>
                    <port>$tcp</port>
                </replica>
            </shard>
        </spamtrace_dev>
    </remote_servers>

    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
EOF
}

write_users() {
  local base="$1" password_xml
  if [[ -n "${CH_PASSWORD:-}" ]]; then
    local hash
    hash="$(printf '%s' "$CH_PASSWORD" | sha256sum | cut -d' ' -f1)"
    password_xml="<password_sha256_hex>$hash</password_sha256_hex>"
  else
    password_xml="<password></password>"
  fi
  cat >"$base/etc/users.xml" <<EOF
<?xml version="1.0"?>
<!-- Generated by deploy/dev/clickhouse-server.sh; rewritten on every start. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>

    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <spamtrace>
            $password_xml
            <networks>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </spamtrace>
    </users>

    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
  chmod 0640 "$base/etc/users.xml"
}

cmd_start() {
  [[ $# -ge 2 && $# -le 4 ]] || usage
  local base http tcp inter
  base="$(abs_base_dir "$1")"
  http="$2"
  tcp="${3:-${CH_TCP_PORT:-$((http + 1))}}"
  inter="${4:-${CH_INTERSERVER_PORT:-$((http + 2))}}"
  local p
  for p in "$http" "$tcp" "$inter"; do
    is_port "$p" || die "port '$p' must be an integer in 1..65535"
  done
  [[ "$http" != "$tcp" && "$http" != "$inter" && "$tcp" != "$inter" ]] ||
    die "HTTP_PORT $http, TCP_PORT $tcp and INTERSERVER_PORT $inter must differ"
  [[ -x "$SERVER_BIN" ]] || die "$SERVER_BIN not found; run '$0 install' first"

  local pid
  if pid="$(running_pid "$base")"; then
    local old_http
    old_http="$(cat "$base/http_port" 2>/dev/null || echo '?')"
    [[ "$old_http" == "$http" ]] ||
      die "a server for $base is already running (pid $pid) on HTTP port $old_http, not $http; stop it first"
    log "already running (pid $pid)"
    echo "http://127.0.0.1:$http"
    return 0
  fi
  for p in "$http" "$tcp" "$inter"; do
    ! port_in_use "$p" || die "port $p on 127.0.0.1 is already in use"
  done

  local as_root=0 gid=""
  if [[ "$(id -u)" == 0 ]]; then
    as_root=1
    id -u "$RUN_USER" >/dev/null 2>&1 || die "user '$RUN_USER' does not exist (it is created by the clickhouse-server package; run '$0 install')"
    gid="$(id -g "$RUN_USER")"
  fi

  mkdir -p "$base"/{etc,data,tmp,log,user_files,format_schemas}
  write_config "$base" "$http" "$tcp" "$inter" "${CH_LOG_LEVEL:-information}"
  write_users "$base"
  echo "$http" >"$base/http_port"
  echo "$tcp" >"$base/tcp_port"
  : >"$base/log/stdout.log"
  rm -f "$base/clickhouse.pid"

  local -a run_as=()
  if ((as_root)); then
    chown -R "$RUN_USER:$gid" "$base"
    # The server must reach BASE_DIR through every parent directory.
    setpriv --reuid="$RUN_USER" --regid="$gid" --init-groups -- test -w "$base/data" -a -r "$base/etc/config.xml" ||
      die "user '$RUN_USER' cannot write $base/data or read $base/etc/config.xml (is a parent directory of $base closed to other users?)"
    run_as=(setpriv --reuid="$RUN_USER" --regid="$gid" --init-groups --)
  fi

  local started_ms=$(($(date +%s%N) / 1000000))
  # No job control in a script, so setsid does not fork: $! is the server's pid.
  # All three std streams are redirected so callers reading our output
  # (e.g. Node's execFile) do not wait on the server.
  setsid "${run_as[@]}" "$SERVER_BIN" --config-file="$base/etc/config.xml" \
    </dev/null >>"$base/log/stdout.log" 2>&1 &
  pid=$!
  echo "$pid" >"$base/clickhouse.pid"

  local timeout_s="${CH_START_TIMEOUT_S:-30}"
  local deadline=$((SECONDS + timeout_s))
  until ping_ok "$http"; do
    if ! pid_alive "$pid"; then
      rm -f "$base/clickhouse.pid"
      show_logs "$base"
      die "clickhouse-server exited during startup (config $base/etc/config.xml, logs in $base/log)"
    fi
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$base/clickhouse.pid"
      show_logs "$base"
      die "clickhouse-server (pid $pid) did not answer http://127.0.0.1:$http/ping within ${timeout_s}s; killed it"
    fi
    sleep 0.1
  done
  local ready_ms=$(($(date +%s%N) / 1000000))
  log "started pid $pid in $((ready_ms - started_ms)) ms (http $http, tcp $tcp, interserver $inter, data $base/data)"
  echo "http://127.0.0.1:$http"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local base pid
  base="$(abs_base_dir "$1")"
  if ! pid="$(running_pid "$base")"; then
    rm -f "$base/clickhouse.pid"
    log "not running ($base)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local timeout_s="${CH_STOP_TIMEOUT_S:-10}"
  local deadline=$((SECONDS + timeout_s))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      log "pid $pid still running ${timeout_s}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      local _
      for _ in $(seq 1 50); do
        pid_alive "$pid" || break
        sleep 0.1
      done
      pid_alive "$pid" && die "pid $pid survived SIGKILL"
      break
    fi
    sleep 0.1
  done
  rm -f "$base/clickhouse.pid"
  log "stopped pid $pid"
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local base pid
  base="$(abs_base_dir "$1")"
  if pid="$(running_pid "$base")"; then
    local http
    http="$(cat "$base/http_port" 2>/dev/null || echo '?')"
    if ping_ok "$http"; then
      echo "running pid $pid http://127.0.0.1:$http"
    else
      echo "running pid $pid http://127.0.0.1:$http (not answering /ping)"
    fi
    return 0
  fi
  echo "not running"
  return 3
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "$cmd" in
  install) [[ $# -eq 0 ]] || usage; cmd_install ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  -h | --help | help) usage ;;
  *) echo "clickhouse-server.sh: unknown command '$cmd'" >&2; usage ;;
  esac
}

main "$@"
