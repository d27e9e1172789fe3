#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scripts/install into a temporary prefix, config dir, data dir and systemd dir (never into /):
# the files it writes (paths substituted, an existing acquis.yaml kept), the hub items it
# enables, the systemd unit; then the installed `crowdwall run` follows a log, an ssh brute
# force in it gives the exact alert and ban through the installed `cwcli`, and a SIGTERM stops
# it cleanly; after a SIGKILL the restarted service does not read those lines again. A second
# run of the script keeps the configuration.
#   usage: install.sh BUILD_DIR
set -eu
BUILD=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: scripts/install needs root"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 77; }
umask 022
unset CROWDWALL_HUB CROWDWALL_CONFIG CROWDWALL_PLUGIN_DIR  # the installed defaults are under test
T=$(mktemp -d /tmp/cw-install.XXXXXX)
chmod 755 "$T"
PID=
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/log/crowdwall.log" ] && tail -20 "$T/log/crowdwall.log"; exit 1; }

P=$T/prefix
E=$T/etc
D=$T/var
mkdir -p "$E" "$T/log"
# An acquis.yaml of our own: the script must keep it.
cat >"$E/acquis.yaml" <<YAML
filenames:
  - $T/auth.log
labels:
  type: syslog
YAML
: >"$T/auth.log"
cp "$E/acquis.yaml" "$T/acquis.orig"

"$ROOT/scripts/install" --build-dir "$BUILD" --prefix "$P" --config-dir "$E" --data-dir "$D" \
    --systemd-dir "$T/systemd" >"$T/out" 2>&1 || { cat "$T/out"; fail "scripts/install"; }
want="installed crowdwall and cwcli in $P/bin
wrote $E/config.yaml
kept $E/acquis.yaml (exists)
wrote $E/profiles.yaml
hub items: collections crowdwall/linux and crowdwall/sshd enabled in $E
wrote $T/systemd/crowdwall.service"
[ "$(cat "$T/out")" = "$want" ] || { diff <(echo "$want") "$T/out"; fail "install output"; }

# What was installed.
for f in "$P/bin/crowdwall" "$P/bin/cwcli" "$P/lib/crowdwall/plugins/index.json" \
         "$P/lib/crowdwall/plugins/cw-acquisition-file.so" "$P/share/crowdwall/hub/.index.json" \
         "$P/share/crowdwall/hub/patterns"; do
    [ -e "$f" ] || fail "missing $f"
done
cmp -s "$E/acquis.yaml" "$T/acquis.orig" || fail "acquis.yaml was overwritten"
cmp -s "$E/profiles.yaml" "$ROOT/examples/config/profiles.yaml" || fail "profiles.yaml"
grep -v '^ *#' "$E/config.yaml" | grep -E '^ +(config_dir|data_dir|hub_dir|index_path|simulation_path|plugin_dir|acquisition_path|acquisition_dir|db_path|credentials_path|profiles_path):' \
    | sed 's/ *#.*//; s/ *$//' >"$T/paths"
want_paths="  config_dir: $E/
  data_dir: $D/data/
  hub_dir: $E/hub/
  index_path: $E/hub/.index.json
  simulation_path: $E/simulation.yaml
  plugin_dir: $P/lib/crowdwall/plugins/
  acquisition_path: $E/acquis.yaml
  acquisition_dir: $E/acquis.d
  db_path: $D/data/crowdwall.db
    credentials_path: $E/local_api_credentials.yaml
    profiles_path: $E/profiles.yaml"
[ "$(cat "$T/paths")" = "$want_paths" ] || { diff <(echo "$want_paths") "$T/paths"; fail "config.yaml paths"; }
[ "$(stat -c %a "$D")" = 750 ] || fail "data dir mode $(stat -c %a "$D")"

# The hub items the script enabled.
"$P/bin/cwcli" -c "$E/config.yaml" hub list -o json >"$T/hub.json"
python3 - "$T/hub.json" <<'PY' || fail "installed hub items"
import json, sys
h = json.load(open(sys.argv[1]))
names = lambda kind: sorted(i["name"] for i in h.get(kind) or [])
assert names("collections") == ["crowdwall/linux", "crowdwall/sshd"], names("collections")
assert "crowdwall/ssh-bf" in names("scenarios"), names("scenarios")
assert "crowdwall/sshd-logs" in names("parsers"), names("parsers")
PY

# The systemd unit.
U=$T/systemd/crowdwall.service
[ "$(grep -E '^(Type|ExecStart|ExecReload|ReadWritePaths)=' "$U")" = "Type=simple
ExecStart=$P/bin/crowdwall run -c $E/config.yaml
ExecReload=/bin/kill -HUP \$MAINPID
ReadWritePaths=$D $E /var/log" ] || fail "unit file: $(grep -E '^(Type|Exec|ReadWrite)' "$U")"
! grep -q '@[A-Z_]*@' "$U" || fail "unit file keeps a placeholder"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$U" >"$T/verify" 2>&1 || { cat "$T/verify"; fail "systemd-analyze verify"; }
fi

# Run it: our log, a free port, logs in $T/log.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i -e "s|^  log_dir: .*|  log_dir: $T/log/|" -e "s|^    listen_uri: .*|    listen_uri: 127.0.0.1:$PORT|" \
    "$E/config.yaml"
"$P/bin/crowdwall" run -c "$E/config.yaml" 2>"$T/stderr" &
PID=$!
for _ in $(seq 100); do
    grep -q "Agent running" "$T/log/crowdwall.log" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$T/stderr"; fail "crowdwall run exited"; }
    sleep 0.2
done
grep -q "Agent running" "$T/log/crowdwall.log" || fail "crowdwall run did not start"
grep -q "Grok patterns: $E/patterns does not exist, using $E/hub/patterns$" \
    "$T/log/crowdwall.log" || fail "patterns mirrored from the packaged hub"
diff -r "$P/share/crowdwall/hub/patterns" "$E/hub/patterns" >/dev/null || fail "mirrored patterns differ"

for i in 1 2 3 4 5 6 7 8; do
    echo "$(LC_ALL=C date '+%b %e %H:%M:%S') web1 sshd[$((4000 + i))]: Failed password for root from 192.0.2.77 port $((51000 + i)) ssh2" >>"$T/auth.log"
done
CW() { "$P/bin/cwcli" -c "$E/config.yaml" "$@"; }
for _ in $(seq 100); do
    [ "$(CW alerts list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin) or []))')" = 1 ] && break
    sleep 0.2
done
CW alerts list -o json >"$T/alerts.json"
CW decisions list -o json >"$T/decisions.json"
python3 - "$T/alerts.json" "$T/decisions.json" <<'PY' || fail "alert and decision"
import json, sys
alerts = json.load(open(sys.argv[1]))
assert len(alerts) == 1, alerts
a = alerts[0]
assert a["scenario"] == "crowdwall/ssh-bf", a["scenario"]
assert a["source"]["scope"] == "Ip" and a["source"]["value"] == "192.0.2.77", a["source"]
assert a["machine_id"] == "localhost-crowdwall", a["machine_id"]
dec = json.load(open(sys.argv[2]))
ds = [d for x in dec for d in (x.get("decisions") or [])] if dec and "decisions" in dec[0] else dec
got = sorted((d["type"], d["scope"], d["value"], d["origin"], d["scenario"]) for d in ds)
assert got == [("ban", "Ip", "192.0.2.77", "crowdsec", "crowdwall/ssh-bf")], got
PY

# A bouncer added now: its first poll without startup=true is a delta since it was added (the
# ban is older: nothing new), as with cscli 1.4.6; with startup=true it gets the ban.
KEY=$(CW bouncers add fw1 -o raw)
URL=http://127.0.0.1:$PORT/v1/decisions/stream
get() { python3 -c 'import sys, urllib.request as u; r = u.urlopen(u.Request(sys.argv[1], headers={"X-Api-Key": sys.argv[2]}), timeout=10); sys.stdout.write(r.read().decode())' "$1" "$KEY"; }
get "$URL" >"$T/delta.json" || fail "delta poll"
get "$URL?startup=true" >"$T/startup.json" || fail "startup poll"
python3 - "$T/delta.json" "$T/startup.json" <<'PY' || fail "bouncer polls"
import json, sys
delta, startup = (json.load(open(f)) for f in sys.argv[1:3])
assert not delta.get("new"), delta
got = [(d["type"], d["scope"], d["value"]) for d in startup["new"]]
assert got == [("ban", "Ip", "192.0.2.77")], startup
PY

# SIGKILL once the file position is saved past the 8 lines: after the restart they must not
# come again (no second alert for 192.0.2.77); a new brute force from .78 is the one alert.
size=$(stat -c %s "$T/auth.log")
for _ in $(seq 100); do
    pos=$(find "$D/data/acquisition" -name positions -exec awk 'NF { print $3 }' {} \; 2>/dev/null)
    [ "$pos" = "$size" ] && break
    sleep 0.1
done
[ "$pos" = "$size" ] || fail "saved position $pos, file size $size"
kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
"$P/bin/crowdwall" run -c "$E/config.yaml" 2>"$T/stderr" &
PID=$!
for _ in $(seq 100); do
    [ "$(grep -c "Agent running" "$T/log/crowdwall.log")" = 2 ] && break
    sleep 0.2
done
[ "$(grep -c "Agent running" "$T/log/crowdwall.log")" = 2 ] || fail "restart after SIGKILL"
for i in 1 2 3 4 5 6 7 8; do
    echo "$(LC_ALL=C date '+%b %e %H:%M:%S') web1 sshd[$((5000 + i))]: Failed password for root from 192.0.2.78 port $((52000 + i)) ssh2" >>"$T/auth.log"
done
for _ in $(seq 100); do
    [ "$(CW alerts list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin) or []))')" -ge 2 ] && break
    sleep 0.2
done
CW alerts list -o json >"$T/alerts.json"
python3 - "$T/alerts.json" <<'PY' || fail "alerts after the restart"
import json, sys
got = sorted((a["scenario"], a["source"]["value"]) for a in json.load(open(sys.argv[1])))
assert got == [("crowdwall/ssh-bf", "192.0.2.77"), ("crowdwall/ssh-bf", "192.0.2.78")], got
PY

kill -TERM "$PID"
set +e
wait "$PID"
rc=$?
set -e
PID=
[ $rc = 0 ] || fail "exit status after SIGTERM: $rc"
# The restarted agent read only the 8 new lines.
[ "$(grep "Agent stopped" "$T/log/crowdwall.log" | sed 's/.*Agent stopped/Agent stopped/')" = "Agent stopped lines=8 alerts=1 sent=1 pending=0" ] \
    || fail "stop counters: $(grep "Agent stopped" "$T/log/crowdwall.log")"
grep -q "crowdwall stopped$" "$T/log/crowdwall.log" || fail "clean stop"
[ "$(stat -c %a "$E/local_api_credentials.yaml")" = 600 ] || fail "credentials mode"

# Again: programs reinstalled, configuration kept.
cp "$E/config.yaml" "$T/config.before"
"$ROOT/scripts/install" --build-dir "$BUILD" --prefix "$P" --config-dir "$E" --data-dir "$D" \
    --systemd-dir "$T/systemd" >"$T/out" 2>&1 || { cat "$T/out"; fail "second scripts/install"; }
[ "$(grep -c '^kept ' "$T/out")" = 3 ] || { cat "$T/out"; fail "second run keeps the 3 files"; }
cmp -s "$E/config.yaml" "$T/config.before" || fail "config.yaml changed by the second run"
echo "install: all checks passed"
