#!/usr/bin/env bash
# URL filtering inline in the real rampart-firewall (issue 14), in the namespaces of
# scripts/lib/firewall-topology.sh: pod A reaches pod B's python http.server (8000) and
# openssl s_server (8443) through the tunnel; the policy allows both with a URL filtering
# profile, and spec.lists names a UT1 folder (gambling, news) and a plain list (malware).
#
#   scripts/firewall-urls-e2e.sh .build/debug/rampart-firewall
#
# Checks: curl to a blocked host gets the block page (HTTP 403, its body names the category
# and the URL) and pod B never sees the request; an unlisted host passes; a listed URL path
# is blocked while the host's other paths pass; a `continue` host gets the continue page,
# then passes; an `override` host gets the password form, a wrong password the form again,
# the right one a 303 that curl follows to pod B's page (the answers never reach pod B, the
# password is in no log); `openssl s_client -servername blocked.example` is reset, an allowed SNI
# completes its handshake; the http/tls events carry url_filtering; /metrics counts
# category x action; after a reload (SIGHUP) with the profile removed, the same traffic
# passes. Never touches the root namespace's interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-urls-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
for tool in ip curl openssl timeout $PYTHON; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rpu urls

set -e
firewall_topology_up
steer on
set +e

mkdir -p $WORK/ut1/gambling $WORK/ut1/news $WORK/ut1/adult $WORK/www
echo blocked.example > $WORK/ut1/gambling/domains
echo news.example > $WORK/ut1/news/domains
echo adult.example > $WORK/ut1/adult/domains
echo allowed.example/private/ > $WORK/malware.txt
echo index > $WORK/www/index.html
openssl req -x509 -newkey rsa:2048 -nodes -keyout $WORK/tls.key -out $WORK/tls.crt -days 2 -subj /CN=pod-b.example >/dev/null 2>&1 \
    || { echo "FAIL: openssl could not make a certificate"; exit 1; }

write_config() {   # $1: the rule's profiles line (empty: none)
cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-urls}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  lists:
    - {name: ut1, path: ut1}
    - {name: malware, path: malware.txt}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  urlFilteringProfiles:
    - name: url-default
      categories: {gambling: block, malware: block, news: continue, adult: override}
      overridePassword: sha256:37d8d099d9632b33b5c661885ec2476b59fd246a16c136ce6a8f2e344a7e90f2   # "open sesame+1"
      unknown: alert
      notResolved: allow
  rules:
    - name: allow-web
      from: [pod-a]
      to: [pod-b]
      services: [tcp/8000, tcp/8443]
      action: allow
$1
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
}
write_config "      profiles: [url-default]"

ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
FWPID=$!; PIDS+=($FWPID)
(cd $WORK/www && exec ip netns exec $PODB $PYTHON -m http.server 8000 --protocol HTTP/1.1 --bind 10.244.1.20 > $WORK/http.log 2>&1) &
HTTPPID=$!; PIDS+=($HTTPPID)
(exec ip netns exec $PODB openssl s_server -accept 10.244.1.20:8443 -cert $WORK/tls.crt -key $WORK/tls.key -www -quiet > $WORK/tls.log 2>&1) &
TLSPID=$!; PIDS+=($TLSPID)
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null \
        && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8443' 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or the servers did not start"; cat $WORK/firewall.err $WORK/http.log $WORK/tls.log; exit 1; }
grep -q "lists-loaded" $WORK/firewall.err && pass "the firewall loaded its lists: $(grep -o 'indicator lists: [^"]*' $WORK/firewall.err | head -1)" || fail "no lists-loaded log line"

# curl HOST PATH: the body in $WORK/body, prints the HTTP code; curl's status in $?.
get() { n $PODA curl -s -o $WORK/body -w '%{http_code}' --connect-timeout 3 --max-time 4 --resolve "$1:8000:10.244.1.20" "http://$1:8000$2"; }
# tls SNI: s_client's output in $WORK/tls.out; its status in $?.
tls() { n $PODA timeout 6 openssl s_client -connect 10.244.1.20:8443 -servername "$1" < /dev/null > $WORK/tls.out 2>&1; }

code=$(get blocked.example /gamble-here); status=$?
[ $status = 0 ] && [ "$code" = 403 ] && pass "a blocked host gets the block page (HTTP 403)" || fail "blocked.example: curl status $status code $code"
grep -q '<b>gambling</b>' $WORK/body && grep -q 'http://blocked.example:8000/gamble-here' $WORK/body \
    && pass "the block page names the category and the URL" || fail "block page body: $(cat $WORK/body)"
code=$(get unlisted.example /index.html); status=$?
[ $status = 0 ] && [ "$code" = 200 ] && grep -q index $WORK/body && pass "an unlisted host passes (HTTP 200 from pod B)" || fail "unlisted.example: curl status $status code $code"
code=$(get allowed.example /private/secret); status=$?
[ "$code" = 403 ] && grep -q '<b>malware</b>' $WORK/body && pass "a listed URL path is blocked (malware)" || fail "allowed.example/private: status $status code $code"
code=$(get allowed.example /index.html); status=$?
[ "$code" = 200 ] && pass "the same host's other paths pass" || fail "allowed.example/index.html: status $status code $code"
# Two requests on one kept-alive connection: the second, to the listed path, gets the block page.
n $PODA curl -sv --connect-timeout 3 --max-time 4 --resolve allowed.example:8000:10.244.1.20 -o $WORK/keep1 -o $WORK/keep2 \
    -w '%{http_code} ' http://allowed.example:8000/index.html http://allowed.example:8000/private/kept > $WORK/keep.codes 2> $WORK/keep.err
grep -q 'Re-using existing connection' $WORK/keep.err && [ "$(cat $WORK/keep.codes)" = "200 403 " ] && grep -q '<b>malware</b>' $WORK/keep2 \
    && pass "the second request on a kept-alive connection is judged on its own: the listed path gets the block page" \
    || fail "kept-alive: codes $(cat $WORK/keep.codes): $(grep -i 're-using\|left intact\|closing' $WORK/keep.err | head -3)"
code=$(get news.example /first); status=$?
[ "$code" = 200 ] && grep -q 'Continue to' $WORK/body && ! grep -q '^index' $WORK/body \
    && pass "a continue host gets the continue page first" || fail "news.example first: status $status code $code body $(head -c 300 $WORK/body)"
code=$(get news.example /index.html); status=$?
[ "$code" = 200 ] && grep -q '^index' $WORK/body && pass "after continuing, the same client passes to that host" || fail "news.example second: status $status code $code"
code=$(get adult.example /wanted); status=$?
[ "$code" = 403 ] && grep -q 'action="/.well-known/rampart-override"' $WORK/body && grep -q 'name="password"' $WORK/body \
    && pass "an override host gets the password form" || fail "adult.example: status $status code $code body $(head -c 300 $WORK/body)"
code=$(get adult.example '/.well-known/rampart-override?url=%2Fwanted&password=open+sesame'); status=$?
[ "$code" = 403 ] && grep -q 'Wrong password' $WORK/body && pass "a wrong password gets the form again" || fail "wrong password: status $status code $code"
code=$(get adult.example /index.html); status=$?
[ "$code" = 403 ] && pass "after a wrong password the host is still held" || fail "adult.example after a wrong password: status $status code $code"
answer=$(n $PODA curl -s -L -o $WORK/body -w '%{http_code} %{num_redirects} %{url_effective}' --connect-timeout 3 --max-time 4 \
    --resolve adult.example:8000:10.244.1.20 'http://adult.example:8000/.well-known/rampart-override?url=%2Findex.html&password=open+sesame%2B1')
[ "$answer" = "200 1 http://adult.example:8000/index.html" ] && grep -q '^index' $WORK/body \
    && pass "the right password: a 303 that curl follows to pod B's page ($answer)" || fail "right password: $answer body $(head -c 300 $WORK/body)"
code=$(get adult.example /index.html?again); status=$?
[ "$code" = 200 ] && pass "after the right password the same client passes to that host" || fail "adult.example after override: status $status code $code"

tls blocked.example; status=$?
! grep -q 'BEGIN CERTIFICATE' $WORK/tls.out && grep -q 'errno=104' $WORK/tls.out \
    && pass "openssl s_client -servername blocked.example is reset before any certificate (ECONNRESET, status $status)" || fail "TLS blocked.example: status $status: $(tr '\n' ' ' < $WORK/tls.out | head -c 400)"
tls unlisted.example; status=$?
grep -q 'BEGIN CERTIFICATE' $WORK/tls.out && pass "an unlisted SNI completes its handshake" || fail "TLS unlisted.example: status $status: $(tr '\n' ' ' < $WORK/tls.out | head -c 400)"

# Each worker publishes its counters every 250 ms (more under load): wait for the whole count.
for _ in $(seq 1 50); do
    metrics=$(n $FW curl -s http://127.0.0.1:9680/metrics)
    echo "$metrics" | grep -Eq '^rampart_url_pages_sent_total 8' \
        && echo "$metrics" | grep -q '^rampart_url_override_refused_total 1' \
        && echo "$metrics" | grep -q '^rampart_url_filtering_total{category="gambling",action="block"} 2' \
        && echo "$metrics" | grep -q '^rampart_url_filtering_total{category="unknown",action="alert"}' && break
    sleep 0.2
done
echo "$metrics" | grep -q '^rampart_url_filtering_total{category="gambling",action="block"} 2' \
    && pass "/metrics counts gambling x block (HTTP and TLS)" || fail "/metrics: $(echo "$metrics" | grep url_filtering)"
echo "$metrics" | grep -q '^rampart_url_filtering_total{category="unknown",action="alert"}' && pass "/metrics counts unknown x alert" || fail "/metrics: no unknown x alert"
echo "$metrics" | grep -Eq '^rampart_url_pages_sent_total 8' && pass "/metrics counts the pages sent (3 block, 1 continue, 3 override forms, 1 redirect)" || fail "/metrics: $(echo "$metrics" | grep "^rampart_url_pages")"
echo "$metrics" | grep -q '^rampart_url_override_refused_total 1' && pass "/metrics counts the wrong password" || fail "/metrics: $(echo "$metrics" | grep override)"

# The same traffic with no profile: a reload (SIGHUP) swaps the policy.
write_config ""
kill -HUP $FWPID; sleep 1
code=$(get blocked.example /after-reload); status=$?
[ "$code" = 404 ] && pass "without the profile, the blocked host's request reaches pod B (404 from http.server)" || fail "after reload: status $status code $code"
tls blocked.example; status=$?
grep -q 'BEGIN CERTIFICATE' $WORK/tls.out && pass "without the profile, SNI blocked.example completes its handshake" || fail "after reload TLS: status $status: $(tr '\n' ' ' < $WORK/tls.out | head -c 400)"

grep -q 'GET /gamble-here' $WORK/http.log && fail "pod B received the blocked request" || pass "the blocked request never reached pod B"
grep -q 'GET /private/' $WORK/http.log && fail "pod B received a blocked URL" || pass "the blocked URLs never reached pod B (the kept-alive one neither)"
grep -q 'GET /first' $WORK/http.log && fail "pod B received the request held by the continue page" || pass "the request held by the continue page never reached pod B"
grep -q 'rampart-override\|GET /wanted' $WORK/http.log && fail "pod B received an override form's request or answer" || pass "neither the held request nor the password answers reached pod B"
grep -q 'GET /after-reload' $WORK/http.log && pass "the request after the reload reached pod B" || fail "pod B did not get /after-reload"

kill -TERM $FWPID; wait $FWPID; FWPID=""
grep '"event_type":"http"' $WORK/eve.json | grep -q '"url_filtering":{"category":"gambling","action":"block","list":"[^"]*ut1/gambling/domains","entry":"blocked.example"}' \
    && pass "the http event carries url_filtering (gambling, block, the list)" || fail "no http event with url_filtering gambling/block"
grep '"event_type":"tls"' $WORK/eve.json | grep -q '"url_filtering":{"category":"gambling","action":"block"' \
    && pass "the tls event carries url_filtering" || fail "no tls event with url_filtering"
grep '"event_type":"http"' $WORK/eve.json | grep -q '"url_filtering":{"category":"news","action":"continue",[^}]*"continued":true}' \
    && pass "the continued request is logged continued" || fail "no http event with continued:true"
grep '"event_type":"http"' $WORK/eve.json | grep -q '"url_filtering":{"category":"adult","action":"override-accepted"' \
    && grep '"event_type":"http"' $WORK/eve.json | grep -q '"url_filtering":{"category":"adult","action":"override-refused"' \
    && pass "the password answers are logged override-accepted and override-refused" || fail "no override-accepted/refused http events"
grep -q 'password=\[masked\]' $WORK/eve.json && ! grep -q 'sesame' $WORK/eve.json $WORK/firewall.err $WORK/firewall.out \
    && pass "the password is masked in the events and in no log" || fail "password in a log: $(grep -o '[^"]*sesame[^"]*' $WORK/eve.json $WORK/firewall.err | head -3)"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; cat $WORK/firewall.err
    echo "--- events"; cat $WORK/eve.json
    echo "--- http"; cat $WORK/http.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
