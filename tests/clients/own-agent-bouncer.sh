#!/bin/sh
# Our whole chain with a real bouncer: `crowdwall run` with the agent and the Local API in one
# process (the agent registers itself), a brute force appended to the log it tails, and
# crowdsec-custom-bouncer 0.0.15 receives the ban our profiles gave ("add IP ... crowdwall/ssh-bf"),
# then its deletion after `cwcli decisions delete`. SIGHUP first reloads the hub items (the agent
# keeps working); SIGTERM at the end stops cleanly with every line and alert accounted for.
# usage: own-agent-bouncer.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
. "$(dirname "$0")/lib.sh"
need_reference

write_config both
start_daemon
KEY=ownagentbouncerkey0123456789abcd
cwcli bouncers add own-agent-test --key "$KEY" >>"$WORK/cwcli.log" 2>&1 || fail "cwcli bouncers add"
start_custom_bouncer "$KEY"
sleep 1.5

kill -HUP "$DAEMON_PID"
n=0
until grep -q "Hub items reloaded" "$WORK/log/crowdwall.log"; do
    n=$((n + 1))
    [ "$n" -lt 150 ] || fail "SIGHUP did not reload the hub items"
    sleep 0.1
done
ssh_failures 192.0.2.99 8 >>"$WORK/auth.log"
ssh_failures 192.0.2.98 2 >>"$WORK/auth.log"
wait_lines 1
cwcli decisions delete --ip 192.0.2.99 >>"$WORK/cwcli.log" 2>&1 || fail "cwcli decisions delete"
wait_lines 2
sleep 2
printf 'add 192.0.2.99 crowdwall/ssh-bf\ndel 192.0.2.99 crowdwall/ssh-bf\n' >"$WORK/want.txt"
diff -u "$WORK/want.txt" "$OUT" || fail "bouncer calls differ"
grep -q "machine=localhost-crowdwall" "$WORK/log/crowdwall.log" || fail "the agent did not register itself"
stop_daemon
grep -q "Agent stopped lines=10 alerts=1 sent=1 pending=0" "$WORK/log/crowdwall.log" ||
    fail "clean stop: $(grep 'Agent stopped' "$WORK/log/crowdwall.log")"
echo "own-agent-bouncer ($DB): ok"
