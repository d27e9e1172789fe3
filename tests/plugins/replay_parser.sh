#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# replay_parser.sh CROWDWALL PLUGIN_DIR CWCLI
# `crowdwall replay` over a small firewall log whose parser node names the crowdwall/kv parser
# plugin: the plugin's fields (evt.Enriched) feed Meta and the time, a scenario groups on them,
# and the alerts and counters are exactly these. `cwcli explain` shows what the node wrote. A
# plugin folder without the plugin is a load error naming the file, node, plugin and line.
set -eu
cw=$1
plugins=$2
cwcli=$3
tmp=$(mktemp -d /tmp/cw-replay-parser-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/hub/parsers/s01-parse" "$tmp/hub/parsers/s02-enrich" "$tmp/hub/scenarios"

cat > "$tmp/hub/parsers/s01-parse/fw-kv.yaml" <<'YAML'
name: test/fw-kv
description: "key=value firewall lines, decoded by the crowdwall/kv parser plugin"
filter: "evt.Line.Labels.type == 'fw'"
plugin:
  id: kv
  config:
    required: [ts, action, src]
onsuccess: next_stage
statics:
  - meta: source_ip
    expression: evt.Enriched.src
  - meta: log_type
    expression: "'fw_' + evt.Enriched.action"
  - target: evt.StrTime
    expression: evt.Enriched.ts
YAML
cat > "$tmp/hub/parsers/s02-enrich/dateparse.yaml" <<'YAML'
name: test/dateparse
description: "event time from evt.StrTime"
filter: "evt.StrTime != ''"
statics:
  - method: ParseDate
    expression: evt.StrTime
  - target: MarshaledTime
    expression: evt.Enriched.MarshaledTime
YAML
cat > "$tmp/hub/scenarios/fw-deny.yaml" <<'YAML'
type: leaky
name: test/fw-deny
description: "three denied connections from one source"
filter: "evt.Meta.log_type == 'fw_deny'"
groupby: evt.Meta.source_ip
capacity: 2
leakspeed: 10s
blackhole: 1m
labels:
  remediation: true
YAML
cat > "$tmp/fw.log" <<'LOG'
ts=2026-03-07T09:14:05Z action=deny src=203.0.113.45 dport=22 msg="blocked by policy"
ts=2026-03-07T09:14:06Z action=accept src=198.51.100.9 dport=443
ts=2026-03-07T09:14:06Z action=deny src=203.0.113.45 dport=23
ts=2026-03-07T09:14:07Z action=deny src=192.0.2.80 dport=22
ts=2026-03-07T09:14:08Z action=deny dport=22
this line has no pairs at all
ts=2026-03-07T09:14:09Z action=deny src=203.0.113.45 dport=3389
LOG

"$cw" replay --file "$tmp/fw.log" --type fw --hub "$tmp/hub" --plugin-dir "$plugins" \
  > "$tmp/out"
cat > "$tmp/expected" <<'OUT'
SCENARIO      SOURCE        EVENTS  FIRST EVENT           LAST EVENT
test/fw-deny  203.0.113.45  3       2026-03-07T09:14:05Z  2026-03-07T09:14:09Z
7 lines read, 5 parsed (0 whitelisted), 2 unparsed, 0 too long, 0 empty, 1 alerts
OUT
diff -u "$tmp/expected" "$tmp/out"

# explain: the plugin's fields and what the statics copied from them (sorted by explain).
"$cwcli" explain --log 'ts=2026-03-07T09:14:05Z action=deny src=203.0.113.45' --type fw \
  --hub "$tmp/hub" --plugin-dir "$plugins" > "$tmp/out"
cat > "$tmp/expected" <<'OUT'
line 1: ts=2026-03-07T09:14:05Z action=deny src=203.0.113.45
  s01-parse
    ok  test/fw-kv
        + Enriched.action = deny
        + Enriched.src = 203.0.113.45
        + Enriched.ts = 2026-03-07T09:14:05Z
        + Meta.log_type = fw_deny
        + Meta.source_ip = 203.0.113.45
        + StrTime = 2026-03-07T09:14:05Z
  s02-enrich
    ok  test/dateparse
        + Enriched.MarshaledTime = 2026-03-07T09:14:05Z
        + MarshaledTime = 2026-03-07T09:14:05Z
    => parsed
  scenarios
    poured into test/fw-deny

OUT
diff -u "$tmp/expected" "$tmp/out"

# A plugin folder that does not hold the plugin: the node's load error.
mkdir "$tmp/empty"
echo '{"plugins": {}}' > "$tmp/empty/index.json"
if "$cw" replay --file "$tmp/fw.log" --type fw --hub "$tmp/hub" --plugin-dir "$tmp/empty" \
     > /dev/null 2> "$tmp/err"; then
  echo "replay_parser: a missing parser plugin was accepted" >&2
  exit 1
fi
cat > "$tmp/expected" <<ERR
crowdwall: 1 error(s) loading parsers:
crowdwall:   $tmp/hub/parsers/s01-parse/fw-kv.yaml: document 1, node 'test/fw-kv': plugin: no enabled parser plugin 'kv' (available: none), at line 5
ERR
diff -u "$tmp/expected" "$tmp/err"

# A plugin folder without index.json (a wrong --plugin-dir): the error names that folder's index.
if "$cw" replay --file "$tmp/fw.log" --type fw --hub "$tmp/hub" --plugin-dir "$tmp/nowhere" \
     > /dev/null 2> "$tmp/err"; then
  echo "replay_parser: a plugin dir without index.json was accepted" >&2
  exit 1
fi
cat > "$tmp/expected" <<ERR
crowdwall: 1 error(s) loading parsers:
crowdwall:   $tmp/hub/parsers/s01-parse/fw-kv.yaml: document 1, node 'test/fw-kv': plugin: parser plugin 'kv': cannot read plugin index $tmp/nowhere/index.json: No such file or directory, at line 5
ERR
diff -u "$tmp/expected" "$tmp/err"
echo "replay_parser: the kv parser plugin feeds the scenario (1 alert)"
