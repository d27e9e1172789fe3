#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# replay_scenario.sh CROWDWALL PLUGIN_DIR
# `crowdwall replay` with a scenario of type plugin (crowdwall/distinct): our hub's parsers and
# one scenario (scenario/ssh-user-enum.yaml) over scenario/auth.log give exactly one alert; a
# scenario naming a plugin that is not there is a load error naming the file, line and id.
set -eu
cw=$1
plugins=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/cw-replay-scenario-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/hub/scenarios/crowdwall"
cp -r "$root/hub/parsers" "$root/hub/patterns" "$root/hub/data" "$tmp/hub/"
cp "$here/scenario/ssh-user-enum.yaml" "$tmp/hub/scenarios/crowdwall/"

"$cw" replay --file "$here/scenario/auth.log" --type syslog --year 2026 --hub "$tmp/hub" \
  --plugin-dir "$plugins" > "$tmp/out.txt"
cat > "$tmp/expected.txt" <<'END'
SCENARIO                 SOURCE        EVENTS  FIRST EVENT           LAST EVENT
crowdwall/ssh-user-enum  203.0.113.45  4       2026-03-07T09:14:05Z  2026-03-07T09:14:10Z
8 lines read, 7 parsed (0 whitelisted), 1 unparsed, 0 too long, 0 empty, 1 alerts
END
diff -u "$tmp/expected.txt" "$tmp/out.txt"

"$cw" replay --file "$here/scenario/auth.log" --type syslog --year 2026 --hub "$tmp/hub" \
  --plugin-dir "$plugins" -o json > "$tmp/out.json"
python3 - "$tmp/out.json" <<'END'
import json, sys
doc = json.load(open(sys.argv[1]))
alerts = doc["alerts"] if isinstance(doc, dict) else doc
assert len(alerts) == 1, alerts
a = alerts[0]
got = (a["scenario"], a["source"]["scope"], a["source"]["value"], a["events_count"],
       a["remediation"], len(a["events"]))
want = ("crowdwall/ssh-user-enum", "Ip", "203.0.113.45", 4, True, 4)
assert got == want, got
END

sed 's|plugin: crowdwall/distinct|plugin: crowdwall/nope|' "$here/scenario/ssh-user-enum.yaml" \
  > "$tmp/hub/scenarios/crowdwall/ssh-user-enum.yaml"
if "$cw" replay --file "$here/scenario/auth.log" --type syslog --hub "$tmp/hub" \
     --plugin-dir "$plugins" > /dev/null 2> "$tmp/err"; then
  echo "replay_scenario: a missing scenario plugin was accepted" >&2
  exit 1
fi
grep -qx "crowdwall: $tmp/hub/scenarios/crowdwall/ssh-user-enum.yaml:6: scenario 'crowdwall/ssh-user-enum': plugin: no enabled scenario plugin 'crowdwall/nope' (available: crowdwall/distinct)" "$tmp/err" || {
  cat "$tmp/err" >&2
  exit 1
}
echo "replay_scenario: 1 alert from crowdwall/distinct; a missing plugin is a load error"
