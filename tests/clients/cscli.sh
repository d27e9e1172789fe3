#!/bin/sh
# (d) cscli 1.4.6, configured for OUR Local API (a machine made by `cwcli machines add`),
# checks its login (`lapi status`), adds an Ip and a Range ban, lists them with
# `decisions list -o json` and `alerts list -o json` (exact scenario, scope, value, type,
# origin), inspects one alert, deletes the Ip ban and sees only the Range ban left.
# usage: cscli.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"
need_reference

write_config lapi
start_daemon
cs_config_for_our_lapi cscli-test "cscli-password-0123456789abcdef"
cscli() {
    "$CSBIN/cscli" -c "$CS_CONFIG" "$@"
}

cscli lapi status >"$WORK/status.log" 2>&1 || fail "cscli lapi status: $(cat "$WORK/status.log")"
grep -q "You can successfully interact with Local API (LAPI)" "$WORK/status.log" ||
    fail "cscli lapi status: $(cat "$WORK/status.log")"

cscli decisions add --ip 192.0.2.90 --duration 2h --reason cscli-ip >>"$WORK/cscli.log" 2>&1 ||
    fail "cscli decisions add --ip"
cscli decisions add --range 198.51.100.0/24 --duration 1h --type captcha --reason cscli-range \
    >>"$WORK/cscli.log" 2>&1 || fail "cscli decisions add --range"

check() {  # FILE WHAT: python assertions over the JSON list cscli printed
    python3 - "$1" "$2" <<'PY' || fail "cscli $2 differs: $(cat "$1")"
import json, sys
alerts = json.load(open(sys.argv[1])) or []
what = sys.argv[2]
rows = sorted((a["scenario"], a["source"]["scope"], a["source"]["value"], a["machine_id"],
               tuple((d["type"], d["scope"], d["value"], d["origin"], d["scenario"])
                     for d in a["decisions"] or []))
              for a in alerts)
ip = ("cscli-ip", "Ip", "192.0.2.90", "cscli-test",
      (("ban", "Ip", "192.0.2.90", "cscli", "cscli-ip"),))
rng = ("cscli-range", "Range", "198.51.100.0/24", "cscli-test",
       (("captcha", "Range", "198.51.100.0/24", "cscli", "cscli-range"),))
want = {"decisions": [ip, rng], "alerts": [ip, rng], "after-delete": [rng]}[what]
if rows != want:
    sys.exit(f"{what}: got {rows}, want {want}")
import re
def seconds(go):  # Go duration string -> seconds
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"([\d.]+)([hms])", go))
for a in alerts:
    for d in a["decisions"] or []:
        full = 7200 if d["scope"] == "Ip" else 3600
        left = seconds(d["duration"])
        assert full - 60 < left <= full, (d["duration"], full)
PY
}

cscli decisions list -o json >"$WORK/decisions.json" 2>>"$WORK/cscli.log" || fail "cscli decisions list"
check "$WORK/decisions.json" decisions
cscli alerts list -o json >"$WORK/alerts.json" 2>>"$WORK/cscli.log" || fail "cscli alerts list"
check "$WORK/alerts.json" alerts

id=$(python3 -c 'import json,sys; print(min(a["id"] for a in json.load(open(sys.argv[1]))))' "$WORK/alerts.json")
cscli alerts inspect "$id" -o json >"$WORK/inspect.json" 2>>"$WORK/cscli.log" || fail "cscli alerts inspect"
python3 - "$WORK/inspect.json" "$id" <<'PY' || fail "cscli alerts inspect: $(cat "$WORK/inspect.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["id"] == int(sys.argv[2]), a["id"]
assert a["scenario"] == "cscli-ip" and a["source"]["value"] == "192.0.2.90", a
PY

cscli decisions delete --ip 192.0.2.90 >"$WORK/delete.log" 2>&1 || fail "cscli decisions delete"
grep -q "1 decision(s) deleted" "$WORK/delete.log" || fail "cscli decisions delete: $(cat "$WORK/delete.log")"
cscli decisions list -o json >"$WORK/after.json" 2>>"$WORK/cscli.log" || fail "cscli decisions list"
check "$WORK/after.json" after-delete
echo "cscli ($DB): ok"
