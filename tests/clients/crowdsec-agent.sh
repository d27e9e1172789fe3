#!/bin/sh
# (c) CrowdSec 1.4.6's agent (crowdsec -no-api) replays an sshd log into OUR Local API with a
# machine made by `cwcli machines add`; its alerts and the decisions our profiles give them
# appear in `cwcli alerts list -o json`: exactly one crowdsecurity/ssh-bf alert per attacking
# IP, each with one active ban on that IP; the IP below the threshold gets nothing.
# usage: crowdsec-agent.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"
need_reference

write_config lapi
start_daemon
cs_config_for_our_lapi cs-agent "agent-password-0123456789abcdef"

LOG=$WORK/auth.log
{
    ssh_failures 192.0.2.61 8
    ssh_failures 198.51.100.62 7
    ssh_failures 203.0.113.63 3
} >"$LOG"

timeout 120 "$CSBIN/crowdsec" -c "$CS_CONFIG" -dsn "file://$LOG" -type syslog -no-api -no-capi \
    >"$WORK/crowdsec-agent.log" 2>&1 || fail "crowdsec agent replay failed"

cwcli alerts list -o json >"$WORK/alerts.json" 2>>"$WORK/cwcli.log" || fail "cwcli alerts list"
python3 - "$WORK/alerts.json" <<'PY' || fail "alerts in our LAPI differ"
import json, sys
alerts = json.load(open(sys.argv[1])) or []
got = sorted((a["scenario"], a["source"]["value"]) for a in alerts)
want = [("crowdsecurity/ssh-bf", "192.0.2.61"), ("crowdsecurity/ssh-bf", "198.51.100.62")]
if got != want:
    sys.exit(f"alerts: got {got}, want {want}")
for a in alerts:
    ip = a["source"]["value"]
    assert a["source"]["scope"] == "Ip", a["source"]
    assert a["machine_id"] == "cs-agent", a.get("machine_id")
    assert a["capacity"] == 5 and a["leakspeed"] == "10s", (a["capacity"], a["leakspeed"])
    assert a["events_count"] == 6, a["events_count"]
    ds = [(d["type"], d["scope"], d["value"], d["origin"], d["scenario"]) for d in a["decisions"]]
    if ds != [("ban", "Ip", ip, "crowdsec", "crowdsecurity/ssh-bf")]:
        sys.exit(f"decisions of {ip}: {ds}")
print("ok: 2 alerts, 2 bans")
PY
echo "crowdsec-agent ($DB): ok"
