#!/bin/sh
# Shared by the real-client acceptance tests: our daemon (crowdwall run) with SQLite or
# PostgreSQL, and the real CrowdSec 1.4.6 clients from the reference sandbox
# (.cache/reference, made by scripts/reference-crowdsec).
# Each test sources this file with CROWDWALL, CWCLI (binaries) and DB (sqlite|postgres) set.
# Exit 77 (with a "skipped: ..." line) when something the test needs is missing.
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
REF=${CW_REF_DIR:-$REPO/.cache/reference}
CSBIN=$REF/debs/usr/bin
DB=${DB:-sqlite}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cw-clients.XXXXXX")
DAEMON_PID=""
EXTRA_PIDS=""

exec 3>&1  # the test's own stdout, for messages printed while stdout goes to a file
skip() {
    echo "skipped: $*" >&3
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last 30 lines)" >&2
        tail -n 30 "$f" >&2
    done
    exit 1
}

# on_exit CMD: run CMD (errors ignored) when the test ends, after the processes are stopped.
CLEANUP_HOOK=""
on_exit() {
    CLEANUP_HOOK="$CLEANUP_HOOK
$1"
}

cleanup() {
    set +e
    for p in $EXTRA_PIDS $DAEMON_PID; do
        kill "$p" 2>/dev/null || true
    done
    for p in $EXTRA_PIDS $DAEMON_PID; do
        wait "$p" 2>/dev/null || true
    done
    eval "$CLEANUP_HOOK" >/dev/null 2>&1
    if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; fi
    return 0
}
trap cleanup EXIT INT TERM

need_reference() {
    [ -x "$CSBIN/crowdsec" ] && [ -f "$REF/cs/etc/config.yaml" ] ||
        skip "CrowdSec 1.4.6 reference sandbox not found in $REF (run scripts/reference-crowdsec)"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

LISTEN_HOST=${LISTEN_HOST:-127.0.0.1}

wait_port() {  # PORT [TRIES of 0.1 s]
    n=0
    while ! python3 -c "import socket,sys; socket.create_connection(('$LISTEN_HOST',$1),1)" 2>/dev/null; do
        n=$((n + 1))
        [ "$n" -lt "${2:-100}" ] || return 1
        sleep 0.1
    done
}

# db_config for our daemon: SQLite in $WORK, or a fresh PostgreSQL database when DB=postgres
# (scripts/postgres starts the server; skip when it cannot).
db_section() {
    if [ "$DB" = postgres ]; then
        [ -x "$REPO/scripts/postgres" ] || skip "scripts/postgres not present"
        CONNINFO=$("$REPO/scripts/postgres" 2>"$WORK/postgres.log") ||
            skip "PostgreSQL unavailable: $(tail -n 1 "$WORK/postgres.log")"
        PGPORT=$(echo "$CONNINFO" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
        PGUSER=$(echo "$CONNINFO" | sed -n 's/.*user=\([^ ]*\).*/\1/p')
        PGPASS=$(echo "$CONNINFO" | sed -n 's/.*password=\([^ ]*\).*/\1/p')
        PGDB="cwclients_$$"
        PSQL="/usr/lib/postgresql/15/bin/psql -X -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres"
        $PSQL -c "DROP DATABASE IF EXISTS $PGDB" >>"$WORK/postgres.log" 2>&1 || true
        $PSQL -c "CREATE DATABASE $PGDB OWNER $PGUSER" >>"$WORK/postgres.log" 2>&1 ||
            skip "cannot create a PostgreSQL database: $(tail -n 1 "$WORK/postgres.log")"
        on_exit "$PSQL -c 'DROP DATABASE IF EXISTS $PGDB'"
        cat <<YAML
db_config:
  type: postgresql
  host: 127.0.0.1
  port: $PGPORT
  user: $PGUSER
  password: "$PGPASS"
  db_name: $PGDB
  sslmode: disable
YAML
    else
        cat <<YAML
db_config:
  type: sqlite
  db_path: $WORK/data/crowdwall.db
YAML
    fi
}

# write_config MODE: lapi (LAPI only) or both (agent + LAPI; the agent reads $WORK/acquis.yaml
# with our hub's items). Sets CONFIG, PORT, URL.
write_config() {
    PORT=$(free_port)
    URL="http://$LISTEN_HOST:$PORT/"
    CONFIG=$WORK/config.yaml
    mkdir -p "$WORK/data" "$WORK/log"
    agent_enabled=false
    [ "$1" = both ] && agent_enabled=true
    cat >"$WORK/profiles.yaml" <<'YAML'
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
---
name: default_range_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Range"
decisions:
 - type: ban
   duration: 4h
on_success: break
YAML
    : >"$WORK/acquis.yaml"
    plugin_lines=""
    if [ "$1" = both ]; then
        # The agent tails $WORK/auth.log with our hub's items; data files go to data_dir.
        : >"$WORK/auth.log"
        printf 'source: file\nfilenames:\n  - %s\nlabels:\n  type: syslog\n' "$WORK/auth.log" \
            >"$WORK/acquis.yaml"
        cp -r "$REPO/hub/data/." "$WORK/data/"
        PLUGINS=$(cd "$(dirname "$CROWDWALL")/../plugins" 2>/dev/null && pwd) ||
            skip "no plugins folder beside $CROWDWALL"
        plugin_lines="  plugin_dir: $PLUGINS/
  index_path: $PLUGINS/index.json"
    fi
    {
        cat <<YAML
common:
  log_media: file
  log_dir: $WORK/log/
  log_level: info
config_paths:
  config_dir: $REPO/hub/
  data_dir: $WORK/data/
  simulation_path: $WORK/simulation.yaml
$plugin_lines
crowdsec_service:
  enable: $agent_enabled
  acquisition_path: $WORK/acquis.yaml
api:
  client:
    credentials_path: $WORK/local_api_credentials.yaml
  server:
    enable: true
    listen_uri: $LISTEN_HOST:$PORT
    profiles_path: $WORK/profiles.yaml
    trusted_ips:
      - 127.0.0.1
      - ::1
YAML
        db_section
    } >"$CONFIG"
}

start_daemon() {
    "$CROWDWALL" run -c "$CONFIG" >>"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
    wait_port "$PORT" 150 || fail "our daemon does not listen on $PORT"
}

stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}

cwcli() {
    "$CWCLI" -c "$CONFIG" "$@"
}

# crowdsec-custom-bouncer 0.0.15 with API key $1, polling our LAPI every second. Its binary
# records each call in $OUT ("add|del IP REASON"), $OUT.durations (seconds) and $OUT.json.
start_custom_bouncer() {
    OUT=$WORK/calls.txt
    cat >"$WORK/record.sh" <<SH
#!/bin/sh
printf '%s %s %s\n' "\$1" "\$2" "\$4" >>"$OUT"
printf '%s\n' "\$3" >>"$OUT.durations"
printf '%s\n' "\$5" >>"$OUT.json"
SH
    chmod +x "$WORK/record.sh"
    cat >"$WORK/custom-bouncer.yaml" <<YAML
bin_path: $WORK/record.sh
feed_via_stdin: false
total_retries: 0
scenarios_containing: []
scenarios_not_containing: []
origins: []
piddir: $WORK/
update_frequency: 1s
cache_retention_duration: 10s
daemonize: false
log_mode: file
log_dir: $WORK/log/
log_level: info
api_url: $URL
api_key: $1
prometheus:
  enabled: false
YAML
    "$CSBIN/crowdsec-custom-bouncer" -c "$WORK/custom-bouncer.yaml" >"$WORK/custom-bouncer.log" 2>&1 &
    EXTRA_PIDS="$EXTRA_PIDS $!"
}

# Until the custom bouncer has made N calls (30 s at most).
wait_lines() {
    n=0
    while [ "$(cat "$OUT" 2>/dev/null | wc -l)" -lt "$1" ]; do
        n=$((n + 1))
        [ "$n" -lt 300 ] || fail "the bouncer made $(cat "$OUT" 2>/dev/null | wc -l) calls, want $1"
        sleep 0.1
    done
}

# A CrowdSec 1.4.6 config (agent / cscli) whose credentials point at our LAPI: machine $1.
cs_config_for_our_lapi() {
    CS_DIR=$WORK/cs
    mkdir -p "$CS_DIR/log" "$CS_DIR/data"
    cwcli machines add "$1" --password "$2" -f "$CS_DIR/credentials.yaml" >>"$WORK/cwcli.log" 2>&1 ||
        fail "cwcli machines add $1"
    sed -e "s#credentials_path: .*#credentials_path: $CS_DIR/credentials.yaml#" \
        -e "s#db_path: .*#db_path: $CS_DIR/data/unused.db#" \
        -e "s#log_dir: .*#log_dir: $CS_DIR/log/#" \
        -e "s#listen_uri: .*#listen_uri: 127.0.0.1:1#" \
        -e "s#  enabled: true#  enabled: false#" \
        "$REF/cs/etc/config.yaml" >"$CS_DIR/config.yaml"
    CS_CONFIG=$CS_DIR/config.yaml
}

# Syslog sshd lines dated a few seconds ago (so decisions are active): N failed logins of root
# from IP.  usage: ssh_failures IP N >> file
ssh_failures() {
    python3 - "$1" "$2" <<'PY'
import sys, datetime
ip, n = sys.argv[1], int(sys.argv[2])
now = datetime.datetime.now() - datetime.timedelta(seconds=30)
for i in range(n):
    t = now + datetime.timedelta(seconds=i)
    stamp = t.strftime("%b ") + ("%2d" % t.day) + t.strftime(" %H:%M:%S")
    print(f"{stamp} testhost sshd[{1000 + i}]: Failed password for root from {ip} port {40000 + i} ssh2")
PY
}
