#!/bin/sh
# cwcli machines|bouncers|decisions|alerts on a fresh database, SQLite then PostgreSQL (the
# cluster of scripts/postgres, in a schema of its own; skipped with the reason when absent):
# exact outputs, and what lands in the database (read back with sqlite3 / psql).
# Usage: cwcli_db_test.sh CWCLI
set -eu
CWCLI=$1
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
T=$(mktemp -d)
SCHEMA=cwcli_test_$$
PGCONN=
cleanup() {
    if [ -n "$PGCONN" ]; then
        psql "$PGCONN" -X -q -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT
fail=0
# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        echo "ok: $BACKEND: $1"
    else
        echo "FAIL: $BACKEND: $1"
        echo "  expected: $(printf '%s' "$2" | sed -n 'l')"
        echo "  actual:   $(printf '%s' "$3" | sed -n 'l')"
        fail=1
    fi
}
cw() { "$CWCLI" -c "$T/config.yaml" "$@" 2>&1; }
db() {
    if [ "$BACKEND" = sqlite ]; then
        sqlite3 "$T/crowdwall.db" "$@"
    else
        PGOPTIONS="-c search_path=$SCHEMA" psql "$PGCONN" -X -q -tA -c "$@"
    fi
}
# Columns of cwcli's CSV output (quoted fields decoded), joined with |.
csv_cols() { python3 -c 'import csv, sys; [print("|".join(r[int(i)] for i in sys.argv[1:])) for r in csv.reader(sys.stdin)]' "$@"; }

# write_config DB_CONFIG_LINES
write_config() {
    cat >"$T/config.yaml" <<YAML
config_paths:
  config_dir: $T/
  data_dir: $T/data/
db_config:
$1
api:
  client:
    credentials_path: $T/creds.yaml
  server:
    listen_uri: 127.0.0.1:8081
YAML
}

suite() {
# The body is not indented: its expected outputs span lines.
check "machines add" "Machine 'agent1' created; API credentials written to '$T/creds.yaml'." \
    "$(cw machines add agent1 --password 's3cret')"
check "credentials file" "url: http://127.0.0.1:8081/
login: agent1
password: s3cret" "$(cat "$T/creds.yaml")"
check "credentials mode" "600" "$(stat -c %a "$T/creds.yaml")"
[ "$BACKEND" = sqlite ] && check "database mode" "600" "$(stat -c %a "$T/crowdwall.db")"
check "duplicate machine" "cwcli machines add: user 'agent1': user already exist" \
    "$(cw machines add agent1 --password x || true)"
check "machines add --force says it replaced" \
    "Machine 'agent1' already existed: its password was replaced; API credentials written to '$T/creds.yaml'." \
    "$(cw machines add agent1 --password 's3cret' --force)"
check "password is bcrypt" '$2a$10$' "$(db "SELECT substr(password_hash, 1, 7) FROM machines")"
check "machines list raw" "NAME,STATUS,AUTH TYPE
agent1,validated,password" "$(cw machines list -o raw | cut -d, -f1,4,6)"
check "machines delete unknown" "cwcli machines delete: machine 'ghost' does not exist" \
    "$(cw machines delete ghost || true)"

added_after=$(date +%s)
check "bouncers add raw" "abc" "$(cw bouncers add fw --key abc -o raw)"
# As cscli 1.4.6: last_pull is the creation time (a first delta poll is not a full dump).
check "new bouncer's last_pull" "creation time" \
    "$(db "SELECT CASE WHEN last_pull = created_at AND last_pull / 1000000000 >= $added_after THEN 'creation time' ELSE 'differs' END FROM bouncers WHERE name = 'fw'")"
check "bouncer key stored as SHA-512" \
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" \
    "$(db "SELECT api_key_hash FROM bouncers WHERE name = 'fw'")"
check "bouncers add json" "32" "$(cw bouncers add nginx -o json | tr -d '"' | tr -d '\n' | wc -c)"
check "bouncers list raw" "NAME,VALID
fw,valid
nginx,valid" "$(cw bouncers list -o raw | cut -d, -f1,3)"
check "bouncers delete" "Bouncer 'nginx' deleted." "$(cw bouncers delete nginx)"

check "decisions add ip" "Decision successfully added (alert 1)." \
    "$(cw decisions add --ip 192.0.2.10 --duration 1h --reason anchor-test)"
check "decisions add range" "Decision successfully added (alert 2)." \
    "$(cw decisions add --range 198.51.100.0/24 --type captcha)"
check "decisions add refuses a range as --ip" "cwcli decisions add: '10.0.0.0/8' is a range: use --range" \
    "$(cw decisions add --ip 10.0.0.0/8 || true)"
check "stored decision" "cscli|ban|Ip|192.0.2.10|anchor-test|3600" \
    "$(db "SELECT d.origin, d.type, d.scope, d.value, d.scenario, (d.until - a.created_at) / 1000000000 FROM decisions d JOIN alerts a ON a.id = d.alert_id WHERE d.id = 1")"
check "stored alert" "cscli|anchor-test|1|0|0|1|Ip|192.0.2.10|192.0.2.10" \
    "$(db "SELECT kind, scenario, events_count, capacity, leakspeed, remediation, source_scope, source_value, source_ip FROM alerts WHERE id = 1")"

printf 'value,duration,reason,type\n203.0.113.1,1h,csv-one,\n203.0.113.2,,,captcha\nnot-an-ip,1h,x,\n"2001:db8::1",30m,"quoted, reason",\n' >"$T/in.csv"
check "import csv" "cwcli decisions import: entry 3 skipped: 'not-an-ip' is not a valid IP: invalid address
3 decision(s) imported (alert 3), 1 skipped." "$(cw decisions import -i "$T/in.csv")"
echo '[{"value": "10.0.0.0/8", "scope": "range", "duration": "2d"}]' >"$T/in.json"
check "import json" "1 decision(s) imported (alert 4), 0 skipped." "$(cw decisions import -i "$T/in.json")"
check "imported rows" "cscli-import|ban|Ip|203.0.113.1|csv-one|3600
cscli-import|captcha|Ip|203.0.113.2|manual|14400
cscli-import|ban|Ip|2001:db8::1|quoted, reason|1800
cscli-import|ban|Range|10.0.0.0/8|manual|172800" \
    "$(db "SELECT d.origin, d.type, d.scope, d.value, d.scenario, (d.until - a.created_at) / 1000000000 FROM decisions d JOIN alerts a ON a.id = d.alert_id WHERE a.id IN (3, 4) ORDER BY d.id")"

check "decisions list raw" "ID|SOURCE|SCOPE:VALUE|REASON|ACTION|ALERT ID
6|cscli-import|Range:10.0.0.0/8|manual|ban|4
3|cscli-import|Ip:203.0.113.1|csv-one|ban|3
4|cscli-import|Ip:203.0.113.2|manual|captcha|3
5|cscli-import|Ip:2001:db8::1|quoted, reason|ban|3
2|cscli|Range:198.51.100.0/24|manual 'captcha' from 'cwcli'|captcha|2
1|cscli|Ip:192.0.2.10|anchor-test|ban|1" "$(cw decisions list -o raw | csv_cols 0 1 2 3 4 9)"
check "decisions list --ip inside a range" "2" \
    "$(cw decisions list --ip 198.51.100.7 -o raw | tail -n +2 | cut -d, -f1)"
check "decisions list bad ip" \
    "cwcli decisions list: --ip: 'nope' is not an IP address or range: invalid address" \
    "$(cw decisions list --ip nope || true)"
check "decisions delete bad range" \
    "cwcli decisions delete: --range: '192.0.2.0/33' is not an IP address or range: while parsing range 192.0.2.0/33: invalid CIDR address: 192.0.2.0/33" \
    "$(cw decisions delete --range 192.0.2.0/33 || true)"
check "decisions add empty ip" "cwcli decisions add: '' is not a valid IP: invalid address" \
    "$(cw decisions add --ip '' || true)"
check "output flag before the command, as cscli takes it" "ID|SOURCE|SCOPE:VALUE|ALERT ID
6|cscli-import|Range:10.0.0.0/8|4
3|cscli-import|Ip:203.0.113.1|3
4|cscli-import|Ip:203.0.113.2|3
5|cscli-import|Ip:2001:db8::1|3
2|cscli|Range:198.51.100.0/24|2
1|cscli|Ip:192.0.2.10|1" "$("$CWCLI" -o raw -c "$T/config.yaml" decisions list 2>&1 | csv_cols 0 1 2 9)"
check "no hidden --name option" "cwcli decisions list: unrecognised option '--name'" \
    "$(cw decisions list --name x | head -1)"
check "decisions delete --ip" "1 decision(s) deleted." "$(cw decisions delete --ip 192.0.2.10)"
check "decisions delete again" "0 decision(s) deleted." "$(cw decisions delete --ip 192.0.2.10)"
check "decisions delete --range --contained" "2 decision(s) deleted." \
    "$(cw decisions delete --range 203.0.113.0/24 --contained)"
check "decisions delete --id" "1 decision(s) deleted." "$(cw decisions delete --id 6)"
check "active after deletes" "5
2" "$(cw decisions list -o raw | tail -n +2 | cut -d, -f1)"

check "alerts list raw" "ID,VALUE,DECISIONS
4,cscli-import:in.json,ban:1
3,cscli-import:in.csv,ban:2 captcha:1
2,Range:198.51.100.0/24,captcha:1
1,Ip:192.0.2.10,ban:1" "$(cw alerts list -o raw | cut -d, -f1,2,6)"
check "alerts list --scope range" "2" "$(cw alerts list --scope range -o raw | tail -n +2 | cut -d, -f1)"
check "alerts inspect json" "2 cscli captcha Range 198.51.100.0/24" \
    "$(cw alerts inspect 2 -o json | python3 -c 'import json,sys; a=json.load(sys.stdin); d=a["decisions"][0]; print(a["id"], a["kind"], d["type"], d["scope"], d["value"])')"
check "alerts inspect unknown" "cwcli alerts inspect: no alert 99" "$(cw alerts inspect 99 || true)"
check "alerts delete --id" "1 alert(s) deleted." "$(cw alerts delete --id 1)"
check "alerts delete --all" "3 alert(s) deleted." "$(cw alerts delete --all)"
check "decisions gone with alerts" "0" "$(db "SELECT COUNT(*) FROM decisions")"
check "alerts list empty" "No alerts." "$(cw alerts list)"
}

BACKEND=sqlite
write_config "  type: sqlite
  db_path: $T/crowdwall.db"
suite

BACKEND=postgres
conninfo=${CW_PG_CONNINFO:-$(cat "${CW_PG_DIR:-$ROOT/.cache/pg}/conninfo" 2>/dev/null || true)}
value() { printf '%s\n' "$conninfo" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
if [ -z "$conninfo" ] || ! psql "$conninfo" -X -q -c "CREATE SCHEMA $SCHEMA" >/dev/null 2>&1; then
    echo "skipped: PostgreSQL not available (run scripts/postgres)"
else
    PGCONN=$conninfo
    rm -f "$T/creds.yaml"
    # libpq reads PGOPTIONS: cwcli's connections work in the test's own schema.
    export PGOPTIONS="-c search_path=$SCHEMA"
    write_config "  type: postgres
  host: $(value host)
  port: $(value port)
  user: $(value user)
  password: $(value password)
  db_name: $(value dbname)"
    suite
    unset PGOPTIONS
fi
exit $fail
