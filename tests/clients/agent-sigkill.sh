#!/bin/sh
# The agent's on-disk queue across a crash: our LAPI (one `crowdwall run`) is down while our
# agent (another `crowdwall run`, agent only) raises an alert from a tailed log; the agent is
# killed with SIGKILL. The alert is in its queue file; once both are restarted it reaches the
# LAPI (`cwcli alerts list`), exactly once, and the queue is empty.
# (The restarted agent reads another log, so that only the queue can bring the alert.)
# usage: agent-sigkill.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"

write_config lapi
start_daemon
LAPI_CONFIG=$CONFIG
cwcli machines add agent-test --password agent-test-password-0123456789ab -f "$WORK/agent-creds.yaml" \
    >>"$WORK/cwcli.log" 2>&1 || fail "cwcli machines add"
stop_daemon

# The agent-only daemon: its own data dir and log, our hub's items, the LAPI above.
A=$WORK/agent
mkdir -p "$A/data" "$A/log"
cp -r "$REPO/hub/data/." "$A/data/"
PLUGINS=$(cd "$(dirname "$CROWDWALL")/../plugins" 2>/dev/null && pwd) || skip "no plugins folder beside $CROWDWALL"
: >"$A/auth.log"
printf 'source: file\nfilenames:\n  - %s\nlabels:\n  type: syslog\n' "$A/auth.log" >"$A/acquis.yaml"
cat >"$A/config.yaml" <<YAML
common:
  log_media: file
  log_dir: $A/log/
  log_level: info
config_paths:
  config_dir: $REPO/hub/
  data_dir: $A/data/
  simulation_path: $A/simulation.yaml
  plugin_dir: $PLUGINS/
  index_path: $PLUGINS/index.json
crowdsec_service:
  acquisition_path: $A/acquis.yaml
api:
  client:
    credentials_path: $WORK/agent-creds.yaml
  server:
    enable: false
YAML
start_agent() {
    "$CROWDWALL" run -c "$A/config.yaml" >>"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    EXTRA_PIDS="$EXTRA_PIDS $AGENT_PID"
    n=0
    until grep -q "Agent running" "$A/log/crowdwall.log" 2>/dev/null; do
        n=$((n + 1))
        [ "$n" -lt 150 ] || fail "the agent does not start"
        sleep 0.1
    done
}
start_agent
ssh_failures 192.0.2.123 8 >>"$A/auth.log"
n=0
until grep -q "Cannot send alerts to the LAPI" "$A/log/crowdwall.log"; do
    n=$((n + 1))
    [ "$n" -lt 200 ] || fail "the agent raised no alert"
    sleep 0.1
done
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
queued=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from alerts").fetchone()[0])' \
    "$A/data/crowdwall-alert-queue.db")
[ "$queued" = 1 ] || fail "queue holds $queued alerts after SIGKILL, want 1"

# The restarted agent tails another (empty) log: after a crash the file source may deliver the
# lines past its last saved position again, which is the source's business, not the queue's.
: >"$A/other.log"
printf 'source: file\nfilenames:\n  - %s\nlabels:\n  type: syslog\n' "$A/other.log" >"$A/acquis.yaml"
CONFIG=$LAPI_CONFIG
start_daemon
: >"$A/log/crowdwall.log"
start_agent
n=0
while :; do
    cwcli alerts list -o json >"$WORK/alerts.json" 2>>"$WORK/cwcli.log" || fail "cwcli alerts list"
    got=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])) or []; print(" ".join(sorted(x["scenario"]+"/"+x["source"]["value"]+"/"+x["machine_id"] for x in a)))' "$WORK/alerts.json")
    [ -n "$got" ] && break
    n=$((n + 1))
    [ "$n" -lt 100 ] || fail "the queued alert never reached the LAPI"
    sleep 0.2
done
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
[ "$got" = "crowdwall/ssh-bf/192.0.2.123/agent-test" ] || fail "alerts in the LAPI: '$got'"
grep -q "Agent stopped lines=0 alerts=0 sent=1 pending=0" "$A/log/crowdwall.log" ||
    fail "agent after restart: $(grep 'Agent stopped' "$A/log/crowdwall.log")"
echo "agent-sigkill ($DB): ok"
