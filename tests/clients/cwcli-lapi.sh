#!/bin/sh
# `cwcli lapi register` and `cwcli lapi status` against OUR Local API: a registered machine
# cannot log in before `cwcli machines validate`, can after; registering the same name again
# is refused (403). Then the same register/status against CrowdSec 1.4.6's LAPI (validated with
# cscli) when the reference sandbox is present.
# usage: cwcli-lapi.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"

write_config lapi
start_daemon
cwcli lapi register --machine reg-test -f "$WORK/reg.yaml" >"$WORK/register.out" 2>&1 ||
    fail "cwcli lapi register: $(cat "$WORK/register.out")"
grep -qx "Successfully registered to Local API (LAPI) as reg-test" "$WORK/register.out" ||
    fail "register output: $(cat "$WORK/register.out")"
grep -qx "url: $URL" "$WORK/reg.yaml" || fail "credentials url: $(cat "$WORK/reg.yaml")"
sed -i "s#credentials_path: .*#credentials_path: $WORK/reg.yaml#" "$CONFIG"

if cwcli lapi status >"$WORK/status1.out" 2>&1; then fail "an unvalidated machine logged in"; fi
grep -qx "cwcli lapi status: login of 'reg-test' refused (401): machine reg-test not validated" \
    "$WORK/status1.out" || fail "status before validation: $(cat "$WORK/status1.out")"
cwcli machines validate reg-test >>"$WORK/cwcli.log" 2>&1 || fail "cwcli machines validate"
cwcli lapi status >"$WORK/status2.out" 2>&1 || fail "cwcli lapi status: $(cat "$WORK/status2.out")"
grep -qx "You can successfully interact with Local API (LAPI)" "$WORK/status2.out" ||
    fail "status after validation: $(cat "$WORK/status2.out")"
if cwcli lapi register --machine reg-test -f "$WORK/reg2.yaml" >"$WORK/register2.out" 2>&1; then
    fail "registered the same machine twice"
fi
grep -q "registration of 'reg-test' refused (403)" "$WORK/register2.out" ||
    fail "second register: $(cat "$WORK/register2.out")"
echo "cwcli-lapi against our LAPI ($DB): ok"

[ -x "$CSBIN/crowdsec" ] || { echo "cwcli-lapi: CrowdSec part skipped (no reference sandbox)"; exit 0; }
CSD=$WORK/cslapi
mkdir -p "$CSD/log"
CSPORT=$(free_port)
sed -e "s#db_path: .*#db_path: $CSD/crowdsec.db#" -e "s#listen_uri: .*#listen_uri: 127.0.0.1:$CSPORT#" \
    -e "s#log_dir: .*#log_dir: $CSD/log/#" -e "s#  enabled: true#  enabled: false#" \
    -e "s#credentials_path: .*#credentials_path: $CSD/creds.yaml#" \
    "$REF/cs/etc/config.yaml" >"$CSD/config.yaml"
"$CSBIN/crowdsec" -c "$CSD/config.yaml" -no-cs -no-capi >"$WORK/crowdsec-lapi.log" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
LISTEN_HOST=127.0.0.1 wait_port "$CSPORT" 150 || fail "CrowdSec's LAPI does not start"
cwcli lapi register --url "http://127.0.0.1:$CSPORT/" --machine cw-on-crowdsec -f "$WORK/reg.yaml" \
    >"$WORK/register3.out" 2>&1 || fail "register with CrowdSec: $(cat "$WORK/register3.out")"
"$CSBIN/cscli" -c "$CSD/config.yaml" --error machines validate cw-on-crowdsec >>"$WORK/cscli.log" 2>&1 ||
    fail "cscli machines validate"
cwcli lapi status >"$WORK/status3.out" 2>&1 || fail "status on CrowdSec: $(cat "$WORK/status3.out")"
grep -qx "You can successfully interact with Local API (LAPI)" "$WORK/status3.out" ||
    fail "status on CrowdSec: $(cat "$WORK/status3.out")"
echo "cwcli-lapi against CrowdSec 1.4.6's LAPI: ok"
