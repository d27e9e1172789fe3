#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `crowdwall run` on a config dir filled by cwcli:
# - it loads the plugins `cwcli plugins install` enabled (<config_dir>/plugins/index.json, links
#   into the hub dir) next to the packaged ones (plugin_dir), and not a plugin `cwcli plugins
#   remove` disabled whose file stays in the hub dir, nor one disabled in config.yaml;
# - grok patterns: without <config_dir>/patterns, those `hub update` mirrored from the source,
#   else the packaged ones of our hub, said in one info line; an existing but broken folder is
#   an error;
# - `crowdwall replay --dsn --hub <config_dir>` finds the hub plugin's DSN scheme too.
#   usage: hub-install.sh CWCLI CROWDWALL FIXTURE_DIR PLUGIN_DIR
set -eu
CWCLI=$1
CROWDWALL=$2
FIXTURES=$3
PLUGIN_DIR=$4
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 77; }
umask 022
unset CROWDWALL_HUB CROWDWALL_CONFIG CROWDWALL_PLUGIN_DIR
T=$(mktemp -d /tmp/cw-hub-install.XXXXXX)
chmod 755 "$T"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; [ -f "$T/err" ] && cat "$T/err"; exit 1; }

# Our hub plus two plugins: fixture/good (a working acquisition plugin, source `fixture`) and
# fixture/bad-abi-major (its descriptor says ABI 2.0: loading it would fail the start).
cp -rL "$ROOT/hub" "$T/hub"
mkdir -p "$T/hub/plugins/fixture" "$T/hub/plugins/acquisition"
PLATFORM=linux-$(uname -m)
for f in good bad_abi_major; do
    cp "$FIXTURES/cw-fixture-$f.so" "$T/hub/plugins/acquisition/"
    cat >"$T/hub/plugins/fixture/${f//_/-}.yaml" <<YAML
kind: acquisition
abi: "1.0"
platform: $PLATFORM
file: plugins/acquisition/cw-fixture-$f.so
YAML
done
python3 "$ROOT/tools/hub-index" --hub "$T/hub" >/dev/null

E="$T/etc"
"$CWCLI" hub update --config-dir "$E" --source "$T/hub" >/dev/null
"$CWCLI" collections install crowdwall/linux --config-dir "$E" >/dev/null
"$CWCLI" plugins install fixture/good fixture/bad-abi-major --config-dir "$E" >/dev/null
"$CWCLI" plugins remove fixture/bad-abi-major --config-dir "$E" >/dev/null
[ -f "$E/hub/plugins/acquisition/cw-fixture-bad_abi_major.so" ] || fail "removed plugin's file left in the hub dir"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["plugins"]; assert sorted(p) == ["fixture/good"] and p["fixture/good"]["file"] == "acquisition/cw-fixture-good.so", p' \
    "$E/plugins/index.json" || fail "loader index"

cat >"$T/acquis.yaml" <<'YAML'
source: fixture
mode: cat
lines:
  - hub plugin line one
  - hub plugin line two
  - hub plugin line three
labels:
  type: syslog
YAML
# Agent only; its LAPI is not running (alerts would wait in the queue).
cat >"$T/creds.yaml" <<'YAML'
url: http://127.0.0.1:1/
login: agent
password: agent-password
YAML
write_config() {
    cat >"$T/config.yaml" <<YAML
common:
  log_media: stdout
  log_level: info
config_paths:
  config_dir: $E/
  hub_dir: $E/hub/
  data_dir: $T/data/
$PATTERNS_LINE
  plugin_dir: $PLUGIN_DIR/
crowdsec_service:
  enable: true
  acquisition_path: $T/acquis.yaml
api:
  client:
    credentials_path: $T/creds.yaml
  server:
    enable: false
$1
YAML
}

PATTERNS_LINE="  patterns_dir: $ROOT/hub/patterns/"
# 1. The hub plugin serves `source: fixture`; its three lines reach the agent, which stops once
#    the cat-mode source has finished.
write_config ""
timeout 60 "$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err" || fail "crowdwall run exit status $?"
grep -q "Agent stopped lines=3 alerts=0 sent=0 pending=0$" "$T/err" || fail "lines of the hub plugin"

# 2. Disabled in config.yaml: not loaded, so `source: fixture` has no plugin.
write_config "plugins:
  disabled:
    - fixture/good"
set +e
timeout 60 "$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "disabled plugin: exit status $rc"
grep -q "unknown source 'fixture': no enabled acquisition plugin serves it (available: file, journalctl, syslog)" "$T/err" \
    || fail "disabled plugin: message"
# 3. No patterns_dir and no <config_dir>/patterns: the patterns `hub update` mirrored from its
#    source into <hub_dir>/patterns; without them, our hub's packaged patterns
#    (defaultHubDir(): $CROWDWALL_HUB here, <prefix>/share/crowdwall/hub when installed).
PATTERNS_LINE=""
write_config ""
diff -r "$T/hub/patterns" "$E/hub/patterns" >/dev/null || fail "hub update did not mirror the patterns"
for want in "$E/hub/patterns" "$T/hub/patterns"; do
    CROWDWALL_HUB="$T/hub" timeout 60 "$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err" \
        || fail "fallback patterns ($want): exit status $?"
    [ "$(grep -c 'Grok patterns:' "$T/err")" = 1 ] || fail "fallback patterns ($want): one log line"
    grep -q "\[info\] Grok patterns: $E/patterns does not exist, using $want$" "$T/err" \
        || fail "fallback patterns ($want): log line"
    grep -q "Agent stopped lines=3 alerts=0 sent=0 pending=0$" "$T/err" \
        || fail "fallback patterns ($want): lines"
    rm -rf "$E/hub/patterns"  # the second round: no mirror
done

# 4. <config_dir>/patterns exists but is broken: an error, no fallback.
mkdir "$E/patterns"
printf 'BROKEN x\nBROKEN y\n' >"$E/patterns/local"
set +e
CROWDWALL_HUB="$T/hub" timeout 60 "$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err"
rc=$?
set -e
[ $rc = 1 ] || fail "broken patterns: exit status $rc"
grep -q "^crowdwall: grok patterns $E/patterns: $E/patterns/local:2: grok pattern 'BROKEN' is already defined$" "$T/err" \
    || fail "broken patterns: message"
! grep -q "Grok patterns:" "$T/err" || fail "broken patterns: no fallback"
# 5. `crowdwall replay --dsn` with --hub <config_dir> serves the hub plugin's DSN scheme too.
rm -rf "$E/patterns"
out=$("$CROWDWALL" replay --dsn fixture://x --type syslog --hub "$E" --plugin-dir "$PLUGIN_DIR" \
    --patterns "$ROOT/hub/patterns" 2>"$T/err") || fail "replay --dsn --hub: exit status $?"
[ "$(echo "$out" | tail -1)" = "0 lines read, 0 parsed (0 whitelisted), 0 unparsed, 0 too long, 0 empty, 0 alerts" ] \
    || fail "replay --dsn --hub: $out"
set +e
"$CROWDWALL" replay --dsn fixture://x --type syslog --plugin-dir "$PLUGIN_DIR" 2>"$T/err" >/dev/null
rc=$?
set -e
[ $rc = 1 ] || fail "replay --dsn without --hub: exit status $rc"
[ "$(cat "$T/err")" = "crowdwall: dsn fixture://x: unknown DSN scheme 'fixture': no enabled acquisition plugin serves it (available: file, journalctl)" ] \
    || fail "replay --dsn without --hub: message"
echo "hub-install: all checks passed"
