#!/bin/sh
# (b) crowdsec-firewall-bouncer 0.0.25 in nftables mode, inside a network namespace this test
# creates, pulls OUR Local API's decision stream over a veth pair: a ban added with
# `cwcli decisions add` becomes the only element of its nft set `ip crowdsec crowdsec-blacklists`
# (a captcha decision is not applied: the bouncer supports ban only), and the set is empty again
# after `cwcli decisions delete`.
# usage: firewall-bouncer.sh CROWDWALL CWCLI [sqlite|postgres]
CROWDWALL=$1 CWCLI=$2 DB=${3:-sqlite}
[ "$(id -u)" = 0 ] || { echo "skipped: needs root (network namespace, nftables)"; exit 77; }
command -v nft >/dev/null 2>&1 || { echo "skipped: nft not installed (scripts/setup-deps installs nftables)"; exit 77; }
NS=cwfw$$
SUB=$(( $$ % 250 + 1 ))
LISTEN_HOST=10.231.$SUB.1
. "$(dirname "$0")/lib.sh"
need_reference

ip netns add "$NS" 2>"$WORK/netns.log" || skip "cannot create a network namespace: $(cat "$WORK/netns.log")"
on_exit "ip netns del $NS"
on_exit "ip link del cwh$$"
ip link add "cwh$$" type veth peer name "cwn$$" || fail "veth pair"
ip link set "cwn$$" netns "$NS"
ip addr add "10.231.$SUB.1/30" dev "cwh$$"
ip link set "cwh$$" up
ip netns exec "$NS" ip addr add "10.231.$SUB.2/30" dev "cwn$$"
ip netns exec "$NS" ip link set "cwn$$" up
ip netns exec "$NS" ip link set lo up

write_config lapi
start_daemon
KEY=firewallbouncerkey0123456789abcd
cwcli bouncers add firewall-test --key "$KEY" >>"$WORK/cwcli.log" 2>&1 || fail "cwcli bouncers add"

cat >"$WORK/firewall-bouncer.yaml" <<YAML
mode: nftables
pid_dir: $WORK/
update_frequency: 1s
daemonize: false
log_mode: file
log_dir: $WORK/log/
log_level: info
api_url: $URL
api_key: $KEY
insecure_skip_verify: false
disable_ipv6: true
deny_action: DROP
deny_log: false
supported_decisions_types:
  - ban
blacklists_ipv4: crowdsec-blacklists
blacklists_ipv6: crowdsec6-blacklists
ipset_type: nethash
iptables_chains:
  - INPUT
nftables:
  ipv4:
    enabled: true
    set-only: false
    table: crowdsec
    chain: crowdsec-chain
  ipv6:
    enabled: false
    set-only: false
    table: crowdsec6
    chain: crowdsec6-chain
pf:
  anchor_name: ""
prometheus:
  enabled: false
  listen_addr: 127.0.0.1
  listen_port: 60601
YAML
ip netns exec "$NS" "$CSBIN/crowdsec-firewall-bouncer" -c "$WORK/firewall-bouncer.yaml" \
    >"$WORK/firewall-bouncer.log" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"

set_elements() {
    ip netns exec "$NS" nft -j list set ip crowdsec crowdsec-blacklists 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
vals = []
for o in doc.get("nftables", []):
    for e in o.get("set", {}).get("elem", []) or []:
        v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
        vals.append(v if isinstance(v, str) else json.dumps(v))
print(" ".join(sorted(vals)))'
}

wait_set() {  # WANT: space-separated sorted elements ("" = empty set), 30 s at most
    n=0
    while [ "$(set_elements)" != "$1" ]; do
        n=$((n + 1))
        [ "$n" -lt 300 ] || fail "nft set holds '$(set_elements)', want '$1'"
        sleep 0.1
    done
}

n=0
until ip netns exec "$NS" nft list set ip crowdsec crowdsec-blacklists >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -lt 300 ] || fail "the bouncer never created its nft set"
    sleep 0.1
done
wait_set ""
cwcli decisions add --ip 192.0.2.77 --duration 1h --reason fw-test >>"$WORK/cwcli.log" 2>&1 ||
    fail "cwcli decisions add"
cwcli decisions add --ip 192.0.2.78 --duration 1h --type captcha --reason fw-test \
    >>"$WORK/cwcli.log" 2>&1 || fail "cwcli decisions add captcha"
wait_set "192.0.2.77"
ip netns exec "$NS" nft list chain ip crowdsec crowdsec-chain | grep -q '@crowdsec-blacklists' ||
    fail "no rule matching the set in chain crowdsec-chain"
cwcli decisions delete --ip 192.0.2.77 >>"$WORK/cwcli.log" 2>&1 || fail "cwcli decisions delete"
wait_set ""
sleep 2
[ "$(set_elements)" = "" ] || fail "the ban came back: $(set_elements)"
echo "firewall-bouncer ($DB): ok"
