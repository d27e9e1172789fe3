#!/bin/sh
# (a) crowdsec-custom-bouncer 0.0.15 against OUR Local API: a ban added with
# `cwcli decisions add` reaches its binary as "add IP DURATION REASON JSON", and its deletion
# with `cwcli decisions delete` as "del IP ...": exactly those two calls, in that order
# (CrowdSec 1.4.6's own LAPI gives the same two lines).
# usage: custom-bouncer.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"
need_reference

write_config lapi
start_daemon
KEY=custombouncerkey0123456789abcdef
cwcli bouncers add custom-test --key "$KEY" >>"$WORK/cwcli.log" 2>&1 || fail "cwcli bouncers add"

start_custom_bouncer "$KEY"

sleep 1.5  # its startup pull sees no decision
cwcli decisions add --ip 192.0.2.50 --duration 1h --reason cw-test >>"$WORK/cwcli.log" 2>&1 ||
    fail "cwcli decisions add"
wait_lines 1
cwcli decisions delete --ip 192.0.2.50 >>"$WORK/cwcli.log" 2>&1 || fail "cwcli decisions delete"
wait_lines 2
sleep 3  # later polls must not call it again

printf 'add 192.0.2.50 cw-test\ndel 192.0.2.50 cw-test\n' >"$WORK/want.txt"
diff -u "$WORK/want.txt" "$OUT" || fail "bouncer calls differ"
add_s=$(head -n 1 "$OUT.durations")
[ "$add_s" -ge 3590 ] && [ "$add_s" -le 3600 ] || fail "add duration $add_s s, want 3590..3600"
python3 - "$OUT.json" <<'PY' || fail "decision JSON"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    got = (d["origin"], d["type"], d["scope"], d["value"], d["scenario"])
    assert got == ("cscli", "ban", "Ip", "192.0.2.50", "cw-test"), got
PY
echo "custom-bouncer ($DB): ok"
