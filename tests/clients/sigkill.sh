#!/bin/sh
# (e) Bad input and SIGKILL: malformed, invalid, oversized and unauthenticated requests get
# their exact error status while the LAPI keeps serving; then four clients post alerts and our
# daemon is killed with SIGKILL after 200 acknowledgements. After a restart every alert that was
# acknowledged with 201 is in the store with its source.
# usage: sigkill.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"

write_config lapi
start_daemon
PW=sigkill-password-0123456789abcdef
cwcli machines add sigkill-test --password "$PW" -f "$WORK/creds.yaml" >>"$WORK/cwcli.log" 2>&1 ||
    fail "cwcli machines add"
python3 "$(dirname "$0")/sigkill.py" attack "$URL" sigkill-test "$PW" "$DAEMON_PID" "$WORK/acked.json" ||
    fail "attack phase"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
start_daemon
python3 "$(dirname "$0")/sigkill.py" verify "$URL" sigkill-test "$PW" "$WORK/acked.json" ||
    fail "acknowledged alerts lost"
echo "sigkill ($DB): ok"
