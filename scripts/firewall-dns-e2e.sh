#!/usr/bin/env bash
# The DNS security profile in the real rampart-firewall (issue 14), in the namespaces of
# scripts/lib/firewall-topology.sh: pod B runs dnsmasq (10.244.1.20:53, UDP and TCP) and,
# behind it, iodined for the zone t.tunnel.test; pod A asks with dig, with the glibc resolver
# (getent, curl) and with the iodine client, through the tunnel and the firewall.
#
#   scripts/firewall-dns-e2e.sh .build/debug/rampart-firewall
#
# Checks: a clean name resolves; a name of a `block` category is dropped (dig over UDP times
# out) and reset over TCP (dig +tcp); a name of a `sinkhole` category resolves to the
# profile's sinkhole address (dig, dig +tcp, getent) although dnsmasq answers otherwise, and
# the connection curl then makes to the sinkhole is logged with rampart.sinkhole and the pod's
# address; a generated (DGA) name is dropped; an iodine tunnel comes up while the tunnelling
# action is `alert` (ping through it) and, after a reload with `block`, does not; the dns
# records carry rampart.dns {verdict, category, reason}; /metrics counts the verdicts.
# Never touches the root namespace's interfaces; removes everything it made (also the
# resolv.conf it gives pod A under /etc/netns). A dns2tcp connection (TXT queries) to an echo
# server in pod B is checked the same way as iodine.
set -u
FIREWALL=${1:?usage: firewall-dns-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
export PATH=$PATH:/usr/sbin:/sbin
for tool in ip curl dig getent dnsmasq iodine iodined dns2tcpc dns2tcpd socat; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/setup.sh installs it)"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: /dev/net/tun missing (iodine needs it)"; exit 77; }

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rpd dns
dns_cleanup() {
    # DNS_E2E_KEEP=DIR keeps the work folder's logs and events there.
    [ -n "${DNS_E2E_KEEP:-}" ] && rm -rf "$DNS_E2E_KEEP" && cp -a "$WORK" "$DNS_E2E_KEEP"
    firewall_e2e_cleanup
    rm -rf "/etc/netns/$PODA"
}
trap dns_cleanup EXIT INT TERM

set -e
firewall_topology_up
steer on
# The glibc resolver of pod A asks pod B's dnsmasq (`ip netns exec` mounts this over /etc/resolv.conf).
mkdir -p /etc/netns/$PODA
printf 'nameserver 10.244.1.20\noptions timeout:2 attempts:1\n' > /etc/netns/$PODA/resolv.conf
set +e

cat > $WORK/malware.txt <<'LIST'
malware-c2.test
LIST
cat > $WORK/phishing.txt <<'LIST'
login-phish.test
LIST
write_configuration() {  # $1 = the tunnelling action
cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-dns}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  lists:
    - {name: malware, path: malware.txt}
    - {name: phishing, path: phishing.txt}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  dnsSecurityProfiles:
    - name: dns-strict
      categories: {malware: sinkhole, phishing: block}
      sinkhole: {ipv4: 198.18.0.1, ipv6: "fd00::5:1"}
      dga: {action: block, threshold: 0.9}
      tunnelling: {action: $1, queriesPerMinute: 600, maxLabelLength: 52, minEntropy: 3.8,
                   txtShare: 0.5, uniqueSubdomainsPerMinute: 120}
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
    - {name: outside, networks: [198.18.0.0/15]}
  rules:
    - {name: allow-dns, from: [pod-a], to: [pod-b], services: [udp/53, tcp/53], action: allow, profiles: [dns-strict]}
    - {name: allow-web-out, from: [pod-a], to: [outside], services: [tcp/80], action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
}
write_configuration alert

# dnsmasq answers the test names itself and sends the tunnel's zone to iodined.
ip netns exec $PODB dnsmasq -k --conf-file=/dev/null --user=root --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.244.1.20 --port=53 --pid-file= --log-queries --log-facility=$WORK/dnsmasq.log \
    --host-record=web.example.test,203.0.113.10 --host-record=malware-c2.test,203.0.113.7,2001:db8::7 \
    --host-record=login-phish.test,203.0.113.8 --host-record=xjwqkzpvbnrtqh.com,203.0.113.9 \
    --server=/t.tunnel.test/127.0.0.1#5353 --server=/dns2tcp.test/127.0.0.1#5354 > $WORK/dnsmasq.out 2>&1 &
PIDS+=($!)
# dns2tcp (TXT records) carries a TCP connection to an echo server in pod B.
cat > $WORK/dns2tcpd.conf <<CONF
listen = 127.0.0.1
port = 5354
user = root
chroot = $WORK
domain = dns2tcp.test
resources = echo:127.0.0.1:7777
CONF
ip netns exec $PODB dns2tcpd -F -f $WORK/dns2tcpd.conf > $WORK/dns2tcpd.log 2>&1 &
PIDS+=($!)
ip netns exec $PODB socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork EXEC:cat > /dev/null 2>&1 &
PIDS+=($!)
ip netns exec $PODB iodined -f -c -P e2esecret -l 127.0.0.1 -p 5353 10.99.0.1 t.tunnel.test > $WORK/iodined.log 2>&1 &
PIDS+=($!)
ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
FWPID=$!; PIDS+=($FWPID)
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz \
        && [ "$(n $PODA dig +short +time=1 +tries=1 @10.244.1.20 web.example.test 2>/dev/null)" = 203.0.113.10 ]; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or dnsmasq did not start"; cat $WORK/firewall.err $WORK/dnsmasq.out $WORK/dnsmasq.log; exit 1; }
pass "a clean name resolves through the firewall (dig: 203.0.113.10)"

ask() { n $PODA dig +time=2 +tries=1 @10.244.1.20 "$@"; }

out=$(ask +short login-phish.test); status=$?
[ $status = 9 ] && pass "a name of a block category is dropped over UDP (dig: no answer, exit 9)" \
    || fail "login-phish.test over UDP: dig exit $status, answer '$out'"
out=$(ask +tcp login-phish.test 2>&1); status=$?
echo "$out" | grep -qiE 'reset|communications error|connection refused|end of file' && [ $status != 0 ] \
    && pass "the same name over TCP is reset (dig +tcp: $(echo "$out" | grep -ioE 'connection reset|end of file|communications error' | head -1))" \
    || fail "login-phish.test over TCP: dig exit $status: $out"
out=$(ask +short malware-c2.test); status=$?
[ "$out" = 198.18.0.1 ] && pass "a name of a sinkhole category resolves to the sinkhole (dig: $out; dnsmasq says 203.0.113.7)" \
    || fail "malware-c2.test over UDP: '$out' (exit $status)"
out=$(ask +short AAAA malware-c2.test); status=$?
[ "$out" = fd00::5:1 ] && pass "its AAAA answer too (dig: $out)" || fail "malware-c2.test AAAA: '$out' (exit $status)"
out=$(ask +short +tcp malware-c2.test); status=$?
[ "$out" = 198.18.0.1 ] && pass "and over TCP (dig +tcp: $out)" || fail "malware-c2.test over TCP: '$out' (exit $status)"
out=$(n $PODA getent ahostsv4 malware-c2.test | awk 'NR==1{print $1}')
[ "$out" = 198.18.0.1 ] && pass "the glibc resolver gets the sinkhole address too (getent: $out)" || fail "getent malware-c2.test: '$out'"
n $PODA curl -s -o /dev/null --connect-timeout 2 --max-time 3 http://malware-c2.test/ ; status=$?
[ $status != 0 ] && pass "curl http://malware-c2.test/ goes to the sinkhole, where nothing answers (exit $status)" \
    || fail "curl to the sinkholed name succeeded"
out=$(ask +short xjwqkzpvbnrtqh.com); status=$?
[ $status = 9 ] && pass "a generated (DGA) name is dropped (dig exit 9)" || fail "xjwqkzpvbnrtqh.com: dig exit $status, '$out'"
out=$(ask +short web.example.test); status=$?
[ "$out" = 203.0.113.10 ] && pass "a clean name still resolves after the blocks" || fail "web.example.test afterwards: '$out'"

# A real tunnel: iodine through dnsmasq, with the tunnelling action `alert`: it works.
tunnel_works() {
    timeout 25 ip netns exec $PODA iodine -f -r -P e2esecret 10.244.1.20 t.tunnel.test > $WORK/iodine-$1.log 2>&1 &
    local client=$! up=no
    PIDS+=($client)
    for i in $(seq 40); do
        if n $PODA ping -c 1 -W 1 10.99.0.1 >/dev/null 2>&1; then up=yes; break; fi
        sleep 0.5
    done
    kill $client 2>/dev/null; wait $client 2>/dev/null
    [ $up = yes ]
}
dns2tcp_echo() {
    # -t 10: dns2tcpd takes about 3 s to answer its first query, dns2tcpc's default patience.
    (echo "hello-through-dns2tcp"; sleep 8) | timeout 14 ip netns exec $PODA dns2tcpc -t 10 -z dns2tcp.test -r echo -l - 10.244.1.20 2>> $WORK/dns2tcpc.log
}
out=$(dns2tcp_echo)
[ "$out" = hello-through-dns2tcp ] && pass "a dns2tcp connection (TXT queries) carries data while tunnelling only alerts" \
    || fail "dns2tcp under alert: '$out' $(tail -3 $WORK/dns2tcpc.log)"
if tunnel_works alert; then
    pass "an iodine tunnel comes up while tunnelling only alerts (ping 10.99.0.1 through it)"
else
    fail "iodine did not come up under alert: $(tail -5 $WORK/iodine-alert.log)"
fi
# The same tool after a reload with `block`: its parent, flagged while it ran (the flag holds
# into the next minute), has its queries dropped from the first.
write_configuration block
kill -HUP $FWPID; sleep 1
if tunnel_works block; then
    fail "iodine came up although tunnelling blocks: $(tail -5 $WORK/iodine-block.log)"
else
    pass "after a reload with tunnelling: block, iodine cannot bring its tunnel up ($(grep -iE 'stopped|error|no reply|timeout|giving up|failed' $WORK/iodine-block.log | tail -1))"
fi
out=$(dns2tcp_echo)
[ -z "$out" ] && pass "after the reload dns2tcp carries nothing" || fail "dns2tcp under block echoed '$out'"
out=$(ask +short web.example.test); status=$?
[ "$out" = 203.0.113.10 ] && pass "other names still resolve while the tunnel's parent is blocked" || fail "web.example.test after the tunnel: '$out'"

sleep 0.3
metrics=$(n $FW curl -s http://127.0.0.1:9680/metrics)
echo "$metrics" | grep -Eq '^rampart_dns_security_total\{verdict="block",reason="category"\} [1-9]' \
    && pass "/metrics counts category blocks" || fail "/metrics: $(echo "$metrics" | grep dns_security)"
echo "$metrics" | grep -Eq '^rampart_dns_security_total\{verdict="sinkhole",reason="category"\} [1-9]' \
    && pass "/metrics counts sinkholes" || fail "/metrics: no sinkhole count"
echo "$metrics" | grep -Eq '^rampart_dns_security_total\{verdict="block",reason="tunnelling"\} [1-9]' \
    && pass "/metrics counts tunnelling blocks" || fail "/metrics: no tunnelling block"
echo "$metrics" | grep -Eq '^rampart_dns_sinkhole_answers_total\{outcome="rewritten"\} [3-9]' \
    && pass "/metrics counts rewritten answers" || fail "/metrics: $(echo "$metrics" | grep sinkhole_answers)"

kill -TERM $FWPID; wait $FWPID; FWPID=""
dns=$(grep '"event_type":"dns"' $WORK/eve.json)
echo "$dns" | grep '"rrname":"login-phish.test"' | grep -q '"dns":{"verdict":"block","category":"phishing","reason":"category"}' \
    && pass "dns record: login-phish.test blocked, category phishing" || fail "no blocked dns record for login-phish.test"
echo "$dns" | grep '"rrname":"malware-c2.test"' | grep '"src_ip":"10.244.1.10"' | grep -q '"dns":{"verdict":"sinkhole","category":"malware","reason":"category"}' \
    && pass "dns record: malware-c2.test sinkholed for pod A (src_ip 10.244.1.10)" || fail "no sinkhole dns record for malware-c2.test"
echo "$dns" | grep '"rrname":"xjwqkzpvbnrtqh.com"' | grep -q '"dns":{"verdict":"block","category":"","reason":"dga"}' \
    && pass "dns record: the generated name blocked by the DGA model" || fail "no dga dns record"
echo "$dns" | grep -q '"verdict":"alert","category":"","reason":"tunnelling"' \
    && pass "dns record: the iodine session detected as tunnelling while the action was alert" || fail "no tunnelling alert record"
echo "$dns" | grep 'dns2tcp.test' | grep -q '"verdict":"alert","category":"","reason":"tunnelling"' \
    && pass "dns record: the dns2tcp session detected as tunnelling while the action was alert" || fail "no tunnelling alert record for dns2tcp"
echo "$dns" | grep -q '"verdict":"block","category":"","reason":"tunnelling"' \
    && pass "dns record: the iodine session blocked as tunnelling" || fail "no tunnelling dns record"
echo "$dns" | grep '"rrname":"web.example.test"' | grep -q '"dns":{"verdict":"allow","category":"","reason":"clean"}' \
    && pass "dns record: the clean name allowed" || fail "no clean dns record"
grep '"event_type":"flow"' $WORK/eve.json | grep '"dest_ip":"198.18.0.1"' | grep '"src_ip":"10.244.1.10"' | grep -q '"sinkhole":true' \
    && pass "the connection to the sinkhole is logged with rampart.sinkhole and pod A as its source" \
    || fail "no flow record to 198.18.0.1 with sinkhole:true"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; tail -30 $WORK/firewall.err
    echo "--- events"; grep -E '"event_type":"(dns|anomaly)"' $WORK/eve.json | tail -40
    echo "--- dnsmasq"; tail -20 $WORK/dnsmasq.log
    echo "--- iodined"; tail -10 $WORK/iodined.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
