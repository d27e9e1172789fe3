#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Notification plugins in `crowdwall run` (LAPI only, SQLite):
#   http     a profile names two crowdwall/http notifications, one pointed at a receiver on
#            loopback (python3 http.server), one at a closed port. A machine posts an alert the
#            profile matches and one it does not: the receiver gets exactly the first alert
#            (scenario, source, one ban); the dead one's failure is logged and counted, the
#            LAPI keeps serving; at stop the counters are sent=1 failed=1 dropped=0.
#   unknown  a profile naming a notification no file defines, and a notification whose type
#            is no plugin: both listed at start, exit status 1.
#   crowdsec notification files written as CrowdSec's http.yaml is (`type: http`, log_level,
#            format, group_wait, group_threshold, max_retry, skip_tls_verification, an empty
#            `headers:`), loaded unchanged: two alerts posted together reach the receiver as
#            one batch (group_threshold 2) whose body is exactly `{{.|toJson}}` of both plus the
#            newline of the YAML block; a second file's `{{range .}}` format sends one exact line
#            per alert; the dead one is tried 1 + max_retry times per alert and counted
#            (sent=3 failed=2 dropped=0 retried=4 at stop).
#   usage: notifications.sh CWCLI CROWDWALL PLUGIN_DIR http|unknown|crowdsec
set -eu
CWCLI=$1
CROWDWALL=$2
PLUGIN_DIR=$(cd "$3" && pwd)
MODE=$4
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 77; }
[ -f "$PLUGIN_DIR/cw-notification-http.so" ] || { echo "skipped: no $PLUGIN_DIR/cw-notification-http.so"; exit 77; }
umask 022
unset CROWDWALL_HUB CROWDWALL_CONFIG CROWDWALL_PLUGIN_DIR
T=$(mktemp -d /tmp/cw-notifications.XXXXXX)
chmod 755 "$T"
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$T/err" "$T/log/crowdwall.log" "$T/receiver.log"; do
        [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
    done
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() {  # PORT: up to 15 s
    for _ in $(seq 150); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

E=$T/etc
mkdir -p "$E/notifications" "$T/log" "$T/data"
PORT=$(free_port)
write_config() {
    cat >"$T/config.yaml" <<YAML
common:
  log_media: file
  log_dir: $T/log/
  log_level: info
config_paths:
  config_dir: $E/
  data_dir: $T/data/
  plugin_dir: $PLUGIN_DIR/
crowdsec_service:
  enable: false
api:
  server:
    enable: true
    listen_uri: 127.0.0.1:$PORT
    profiles_path: $E/profiles.yaml
db_config:
  type: sqlite
  db_path: $T/data/crowdwall.db
YAML
}
write_config

if [ "$MODE" = unknown ]; then
    cat >"$E/profiles.yaml" <<'YAML'
name: notify_ip
filters:
 - Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
notifications:
 - nope
 - mail
YAML
    cat >"$E/notifications/mail.yaml" <<'YAML'
type: me/mail
name: mail
smtp_host: localhost
YAML
    set +e
    timeout 60 "$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err"
    rc=$?
    set -e
    [ $rc = 1 ] || fail "exit status $rc, want 1"
    cat >"$T/want" <<TXT
crowdwall: $E/profiles.yaml: profile 'notify_ip' names notification 'nope', which no file of $E/notifications defines
crowdwall: $E/notifications/mail.yaml:1: notification 'mail': no enabled notification plugin 'me/mail' (available: crowdwall/http)
TXT
    diff "$T/want" "$T/err" || fail "start errors"
    echo "notifications unknown: all checks passed"
    exit 0
fi

# The receiver: records each request's method, path and body, one JSON line each.
cat >"$T/receiver.py" <<'PY'
import http.server, json, sys
out, port_file = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "type": self.headers.get("Content-Type"),
                                "token": self.headers.get("X-Token"),
                                "body": body.decode()}) + "\n")
        self.send_response(200)
        self.end_headers()
    do_PUT = do_POST
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
s.serve_forever()
PY
python3 "$T/receiver.py" "$T/received" "$T/receiver.port" 2>"$T/receiver.log" &
PIDS="$PIDS $!"
for _ in $(seq 150); do [ -f "$T/receiver.port" ] && break; sleep 0.1; done
[ -f "$T/receiver.port" ] || fail "the receiver did not start"
RPORT=$(cat "$T/receiver.port")
DEAD=$(free_port)

if [ "$MODE" = crowdsec ]; then
    cat >"$E/profiles.yaml" <<'YAML'
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
notifications:
 - http_default
 - http_lines
 - http_dead
on_success: break
YAML
    # Shaped as CrowdSec's /etc/crowdsec/notifications/http.yaml (our own words and values).
    cat >"$E/notifications/http.yaml" <<YAML
type: http
name: http_default
log_level: info

group_wait: 1m
group_threshold: 2
max_retry: 1
timeout: 5s

format: |
  {{.|toJson}}

url: http://127.0.0.1:$RPORT/crowdsec
method: POST
headers:
  X-Token: secret-2
skip_tls_verification: true
YAML
    cat >"$E/notifications/lines.yaml" <<YAML
type: http
name: http_lines
log_level: debug
format: |
  {{- range . -}}
  {{ .Scenario }} {{ .Source.Scope }}:{{ .Source.Value }} ip={{ .Source.IP }} decisions={{ len .Decisions }}
  {{ end -}}
url: http://127.0.0.1:$RPORT/lines
method: PUT
headers:
group_wait:
group_threshold:
skip_tls_verification:
YAML
    cat >"$E/notifications/dead.yaml" <<YAML
type: http
name: http_dead
log_level: warn
max_retry: 2
timeout: 2s
format: |
  {{.|toJson}}
url: http://127.0.0.1:$DEAD/
YAML
fi

if [ "$MODE" = http ]; then
cat >"$E/profiles.yaml" <<'YAML'
name: notify_ip
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
notifications:
 - http_test
 - http_dead
on_success: break
YAML
cat >"$E/notifications/http.yaml" <<YAML
type: crowdwall/http
name: http_test
url: http://127.0.0.1:$RPORT/hook
headers:
  X-Token: secret-1
timeout: 5s
---
type: crowdwall/http
name: http_dead
url: http://127.0.0.1:$DEAD/
timeout: 2s
YAML
# Not named by any profile: never created (its url would be refused).
cat >"$E/notifications/unused.yaml" <<'YAML'
type: crowdwall/http
name: unused
url: ftp://nowhere/
YAML
fi

"$CROWDWALL" run -c "$T/config.yaml" 2>"$T/err" &
DAEMON=$!
PIDS="$PIDS $DAEMON"
wait_port "$PORT" || fail "the LAPI does not listen on $PORT"
"$CWCLI" -c "$T/config.yaml" machines add notify-test --password notify-password-1 \
    -f "$T/creds.yaml" >/dev/null 2>"$T/cwcli.err" || fail "cwcli machines add: $(cat "$T/cwcli.err")"

cat >"$T/post.py" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def req(path, body=None, token=None):
    h = {"User-Agent": "cw-notifications-test/1", "Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    r = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                               method="POST" if body is not None else "GET", headers=h)
    with urllib.request.urlopen(r, timeout=10) as resp:
        return resp.status, json.loads(resp.read() or b"null")
st, login = req("v1/watchers/login", {"machine_id": "notify-test", "password": "notify-password-1",
                                      "scenarios": []})
assert st == 200, st
token = login["token"]
t = "2026-12-04T10:00:00Z"
def alert(scenario, scope, value, ip):
    src = {"scope": scope, "value": value}
    if ip:
        src["ip"] = ip
    return {"scenario": scenario, "scenario_hash": "h1", "scenario_version": "0.1",
            "message": scenario + " " + value, "events_count": 3, "start_at": t, "stop_at": t,
            "capacity": 2, "leakspeed": "10s", "simulated": False, "remediation": True,
            "source": src,
            "events": [{"timestamp": t, "meta": [{"key": "source_ip", "value": value}]}]}
first = [alert("test/notify-bf", "Ip", "192.0.2.77", "192.0.2.77")]
if len(sys.argv) > 2 and sys.argv[2] == "crowdsec":
    first.append(alert("test/notify-scan", "Ip", "192.0.2.78", "192.0.2.78"))
st, ids = req("v1/alerts", first, token)
assert st == 201 and len(ids) == len(first), (st, ids)
# A Range alert: the profile does not match, so no notification.
st, ids2 = req("v1/alerts", [alert("test/notify-range", "Range", "198.51.100.0/24", "")], token)
assert st == 201 and len(ids2) == 1, (st, ids2)
print(ids[0])
PY
ID=$(python3 "$T/post.py" "http://127.0.0.1:$PORT/" "$MODE") || fail "posting the alerts"

if [ "$MODE" = crowdsec ]; then
    # http_default's one batch, then: the dead one's failures are logged and counted.
    for _ in $(seq 300); do grep -q '"path": "/crowdsec"' "$T/received" 2>/dev/null && break; sleep 0.1; done
    for _ in $(seq 300); do [ "$(grep -c "Notification failed name=http_dead" "$T/log/crowdwall.log")" = 2 ] && break; sleep 0.1; done
    kill "$DAEMON"
    wait "$DAEMON" || fail "crowdwall run exit status $?"
    PIDS=${PIDS% $DAEMON}
    grep -q "\[info\] Notifications stopped sent=3 failed=2 dropped=0 retried=4$" "$T/log/crowdwall.log" \
        || fail "counters at stop"
    for n in http_default http_lines http_dead; do
        grep -q "\[info\] Notification ready name=$n type=crowdwall/http file=" "$T/log/crowdwall.log" \
            || fail "$n not created as crowdwall/http"
    done
    [ "$(grep -c "\[warning\] Notification attempt failed, retrying name=http_dead" "$T/log/crowdwall.log")" = 4 ] \
        || fail "retries of http_dead not logged 4 times"
    grep -q "\[error\] Notification failed name=http_dead alerts=1 attempts=3 error=POST http://127.0.0.1:$DEAD/: " \
        "$T/log/crowdwall.log" || fail "final failure of http_dead not logged"
    # The exact requests, in the order the one notification thread sent them.
    a() {  # SCENARIO IP: the alert as the LAPI hands it to notifications
        printf '{"scenario":"%s","scenario_hash":"h1","scenario_version":"0.1","message":"%s %s","events_count":3,"start_at":"2026-12-04T10:00:00Z","stop_at":"2026-12-04T10:00:00Z","capacity":2,"leakspeed":"10s","simulated":false,"remediation":true,"source":{"scope":"Ip","value":"%s","ip":"%s"},"events":[{"timestamp":"2026-12-04T10:00:00Z","meta":[{"key":"source_ip","value":"%s"}]}],"decisions":[{"origin":"crowdsec","type":"ban","scope":"Ip","value":"%s","duration":"4h0m0s","scenario":"%s","simulated":false,"until":"2026-12-04T14:00:00Z"}]}' \
            "$1" "$1" "$2" "$2" "$2" "$2" "$2" "$1"
    }
    python3 - "$T/received" "[$(a test/notify-bf 192.0.2.77),$(a test/notify-scan 192.0.2.78)]" <<'PY' || fail "the received requests"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
want = [
    {"method": "PUT", "path": "/lines", "type": "application/json", "token": None,
     "body": "test/notify-bf Ip:192.0.2.77 ip=192.0.2.77 decisions=1\n"},
    {"method": "POST", "path": "/crowdsec", "type": "application/json", "token": "secret-2",
     "body": sys.argv[2] + "\n"},
    {"method": "PUT", "path": "/lines", "type": "application/json", "token": None,
     "body": "test/notify-scan Ip:192.0.2.78 ip=192.0.2.78 decisions=1\n"},
]
for i, (g, w) in enumerate(zip(got, want)):
    assert g == w, (i, g, w)
assert len(got) == len(want), got
PY
    echo "notifications crowdsec: all checks passed"
    exit 0
fi

# The receiver's one request (the dispatcher's thread sends it after the 201).
for _ in $(seq 300); do [ -s "$T/received" ] && break; sleep 0.1; done
[ -s "$T/received" ] || fail "the receiver got nothing"
# The failing notification was logged, and the LAPI still serves.
for _ in $(seq 300); do grep -q "Notification failed name=http_dead" "$T/log/crowdwall.log" && break; sleep 0.1; done
grep -q "\[error\] Notification failed name=http_dead alerts=1 attempts=1 error=POST http://127.0.0.1:$DEAD/: " \
    "$T/log/crowdwall.log" || fail "failure not logged"
python3 -c "import urllib.request; assert urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=5).status == 200" \
    || fail "the LAPI stopped serving"

kill "$DAEMON"
wait "$DAEMON" || fail "crowdwall run exit status $?"
PIDS=${PIDS% $DAEMON}
grep -q "\[info\] Notifications stopped sent=1 failed=1 dropped=0 retried=0$" "$T/log/crowdwall.log" \
    || fail "counters at stop"
! grep -q "unused" "$T/log/crowdwall.log" || fail "an unnamed notification was created"
grep -q "\[info\] Notification ready name=http_test type=crowdwall/http file=$E/notifications/http.yaml$" \
    "$T/log/crowdwall.log" || fail "http_test not created"

python3 - "$T/received" "$ID" <<'PY' || fail "the received alert"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
r = json.loads(lines[0])
assert r["method"] == "POST" and r["path"] == "/hook", r
assert r["type"] == "application/json" and r["token"] == "secret-1", r
body = json.loads(r["body"])
assert isinstance(body, list) and len(body) == 1, body
a = body[0]
assert a["scenario"] == "test/notify-bf", a["scenario"]
assert a["source"] == {"scope": "Ip", "value": "192.0.2.77", "ip": "192.0.2.77"}, a["source"]
assert a["events_count"] == 3 and a["capacity"] == 2 and a["leakspeed"] == "10s", a
assert a["start_at"] == "2026-12-04T10:00:00Z" and a["stop_at"] == "2026-12-04T10:00:00Z", a
assert a["message"] == "test/notify-bf 192.0.2.77", a["message"]
assert a["events"] == [{"timestamp": "2026-12-04T10:00:00Z",
                        "meta": [{"key": "source_ip", "value": "192.0.2.77"}]}], a["events"]
assert len(a["decisions"]) == 1, a["decisions"]
d = a["decisions"][0]
assert d == {"origin": "crowdsec", "type": "ban", "scope": "Ip", "value": "192.0.2.77",
             "duration": "4h0m0s", "scenario": "test/notify-bf", "simulated": False,
             "until": "2026-12-04T14:00:00Z"}, d
PY
echo "notifications http: all checks passed"
