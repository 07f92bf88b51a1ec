#!/usr/bin/env bash
# An external dynamic list refreshed while traffic flows, in the real rampart-firewall
# (issue 14), in the namespaces of scripts/lib/firewall-topology.sh: Python's http.server in
# the firewall's namespace (127.0.0.1:8088) serves feed.txt; the firewall's spec.lists names
# it with `url:` and `refresh: 2`, and two profiles look its category up: URL filtering
# (feed: block) on pod B's http.server (8000), DNS security (feed: sinkhole) on pod B's
# dnsmasq (53). Pod A keeps asking all along: curl to shop.example and other.example, dig of
# both names.
#
#   scripts/firewall-feeds-e2e.sh .build/debug/rampart-firewall
#
# Checks: with the first copy (unrelated.example) every request passes; the test adds
# shop.example to the served file and, within the refresh interval (plus the reload), curl
# to shop.example gets the block page and dig gets the sinkhole, and from then on always
# does; other.example never fails, and a slow download started before the change completes
# whole; the firewall is the same process all along (no restart) and
# rampart_policy_generation went up. Then the list server is stopped: fetches fail
# (rampart_list_feed_stale 1, fetches_total{outcome="failed"}, a list-fetch-failed line), and
# the last good copy stays in force for several more refresh intervals (entries 2, shop
# still blocked and sinkholed, other.example still served). Never touches the root
# namespace's interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-feeds-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
export PATH=$PATH:/usr/sbin:/sbin
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
for tool in ip curl dig dnsmasq timeout $PYTHON; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/setup.sh installs it)"; exit 77; }
done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin edl feeds

set -e
firewall_topology_up
steer on
set +e

REFRESH=2
mkdir -p $WORK/served $WORK/www
echo unrelated.example > $WORK/served/feed.txt
echo index > $WORK/www/index.html
head -c 3000000 /dev/urandom > $WORK/www/big.bin

cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-feeds}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  lists:
    - {name: feed, url: "http://127.0.0.1:8088/feed.txt", refresh: $REFRESH, path: feed.list}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  dnsSecurityProfiles:
    - name: dns-feed
      categories: {feed: sinkhole}
      sinkhole: {ipv4: 198.18.0.1, ipv6: "fd00::5:1"}
  urlFilteringProfiles:
    - name: url-feed
      categories: {feed: block}
      unknown: allow
      notResolved: allow
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  rules:
    - {name: allow-dns, from: [pod-a], to: [pod-b], services: [udp/53], action: allow, profiles: [dns-feed]}
    - {name: allow-web, from: [pod-a], to: [pod-b], services: [tcp/8000], action: allow, profiles: [url-feed]}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML

# The list's source, on the firewall's loopback (the firewall fetches from its own namespace).
(cd $WORK/served && exec ip netns exec $FW $PYTHON -m http.server 8088 --bind 127.0.0.1 > $WORK/feed-server.log 2>&1) &
FEEDPID=$!; PIDS+=($FEEDPID)
(cd $WORK/www && exec ip netns exec $PODB $PYTHON -m http.server 8000 --bind 10.244.1.20 > $WORK/http.log 2>&1) &
PIDS+=($!)
ip netns exec $PODB dnsmasq -k --conf-file=/dev/null --user=root --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.244.1.20 --port=53 --pid-file= \
    --host-record=shop.example,203.0.113.10 --host-record=other.example,203.0.113.11 > $WORK/dnsmasq.out 2>&1 &
PIDS+=($!)
ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
FWPID=$!; PIDS+=($FWPID)

metrics() { n $FW curl -s --max-time 2 http://127.0.0.1:9680/metrics; }
metric() { metrics | awk -v k="$1" '$1 == k {print $2}'; }   # the value of one exact series
ready=no
for i in $(seq 150); do
    if [ "$(metric 'rampart_list_feed_entries{list="feed"}')" = 1 ] && [ "$(metric rampart_policy_generation)" -ge 1 ] 2>/dev/null \
        && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000' 2>/dev/null \
        && [ "$(n $PODA dig +short +time=1 +tries=1 @10.244.1.20 other.example 2>/dev/null)" = 203.0.113.11 ]; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall, its first fetch or the servers did not come up"; tail -20 $WORK/firewall.err; cat $WORK/feed-server.log $WORK/http.log $WORK/dnsmasq.out; exit 1; }
pass "the firewall fetched the first copy (1 entry) and put it in force (policy generation $(metric rampart_policy_generation))"
generation0=$(metric rampart_policy_generation)

# Pod A's traffic, all along: one line per request, "SECONDS WHAT RESULT".
cat > $WORK/traffic.sh <<'SH'
while [ ! -e "$1/stop-traffic" ]; do
    for host in shop other; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 \
               --resolve $host.example:8000:10.244.1.20 http://$host.example:8000/index.html)
        echo "$(date +%s.%N) $host-http ${code:-none}"
        answer=$(dig +short +time=2 +tries=1 @10.244.1.20 $host.example | head -1)
        echo "$(date +%s.%N) $host-dns ${answer:-none}"
    done
    sleep 0.1
done
SH
ip netns exec $PODA bash $WORK/traffic.sh $WORK > $WORK/traffic.log 2>&1 &
TRAFFICPID=$!; PIDS+=($TRAFFICPID)
# results WHAT FROM [TO]: the results of one kind of request between two times, in order.
results() { awk -v w="$1" -v from="$2" -v to="${3:-1e12}" '$2 == w && $1 >= from && $1 < to {print $3}' $WORK/traffic.log; }
# first WHAT RESULT FROM: the time of the first such result after FROM.
first() { awk -v w="$1" -v r="$2" -v from="$3" '$2 == w && $3 == r && $1 >= from {print $1; exit}' $WORK/traffic.log; }

sleep 3
start=$(awk 'NR == 1 {print $1}' $WORK/traffic.log)
before=$(date +%s.%N)
[ -n "$start" ] && [ -z "$(results shop-http $start $before | grep -vx 200)" ] && [ -n "$(results shop-http $start $before)" ] \
    && [ -z "$(results shop-dns $start $before | grep -vx 203.0.113.10)" ] \
    && pass "before the change shop.example is served and resolves ($(results shop-http $start $before | wc -l) requests, $(results shop-dns $start $before | wc -l) queries)" \
    || fail "before the change: http $(results shop-http $start $before | sort | uniq -c | tr '\n' ' ') dns $(results shop-dns $start $before | sort | uniq -c | tr '\n' ' ')"

# A slow download from other.example across the change and the reload it causes.
n $PODA curl -s -o $WORK/big.out -w '%{http_code} %{size_download}' --limit-rate 400k --max-time 30 \
    --resolve other.example:8000:10.244.1.20 http://other.example:8000/big.bin > $WORK/big.result 2>&1 &
BIGPID=$!; PIDS+=($BIGPID)
big_started=$(date +%s.%N)
sleep 1

# The change: shop.example listed. The file's new mtime answers If-Modified-Since.
printf 'unrelated.example\nshop.example\n' > $WORK/served/feed.txt.new && mv $WORK/served/feed.txt.new $WORK/served/feed.txt
changed=$(date +%s.%N)
for i in $(seq 100); do
    [ -n "$(first shop-http 403 $changed)" ] && [ -n "$(first shop-dns 198.18.0.1 $changed)" ] && break
    sleep 0.1
done
http_at=$(first shop-http 403 $changed); dns_at=$(first shop-dns 198.18.0.1 $changed)
# Within the refresh interval, plus the reload and one round of pod A's requests.
limit=$(awk -v r=$REFRESH 'BEGIN {print r + 3}')
if [ -n "$http_at" ] && [ -n "$dns_at" ]; then
    http_delay=$(awk -v a=$http_at -v c=$changed 'BEGIN {printf "%.1f", a - c}')
    dns_delay=$(awk -v a=$dns_at -v c=$changed 'BEGIN {printf "%.1f", a - c}')
    awk -v h=$http_delay -v d=$dns_delay -v l=$limit 'BEGIN {exit !(h <= l && d <= l)}' \
        && pass "after the served list changed, shop.example gets the block page in ${http_delay} s and the sinkhole in ${dns_delay} s (refresh ${REFRESH} s)" \
        || fail "the change took effect too late: block page after ${http_delay} s, sinkhole after ${dns_delay} s (limit $limit s)"
else
    fail "the change never took effect: block page at '${http_at}', sinkhole at '${dns_at}'; $(grep -E 'list-|reload' $WORK/firewall.err | tail -5)"
fi
grep -q 'list-updated' $WORK/firewall.err && pass "the firewall logged list-updated" || fail "no list-updated line"
[ "$(metric 'rampart_list_feed_entries{list="feed"}')" = 2 ] && pass "rampart_list_feed_entries{list=\"feed\"} is 2" \
    || fail "entries: $(metrics | grep list_feed_entries)"
generation1=$(metric rampart_policy_generation)
[ "$generation1" -gt "$generation0" ] 2>/dev/null && pass "the new copy came in by a reload (policy generation $generation0 -> $generation1), not a restart" \
    || fail "policy generation $generation0 -> $generation1"

wait $BIGPID; status=$?
big_ended=$(date +%s.%N)
span=$(awk -v s=$big_started -v e=$big_ended -v h=${http_at:-0} 'BEGIN {printf "%s (%.1f s to %.1f s, the new list in force at %.1f s)", (s < h && h < e) ? "yes" : "no", 0, e - s, h - s}')
[ $status = 0 ] && [ "$(cat $WORK/big.result)" = "200 3000000" ] && cmp -s $WORK/big.out $WORK/www/big.bin && [ "${span%% *}" = yes ] \
    && pass "a 3 MB download from other.example across the change and the reload completed whole: ${span#* }" \
    || fail "the download across the reload: curl $status, $(cat $WORK/big.result), across the change: $span"

# The source goes away: the last good copy stays in force, and the metrics say so.
kill $FEEDPID; wait $FEEDPID 2>/dev/null
stopped=$(date +%s.%N)
stale=no
for i in $(seq 60); do
    [ "$(metric 'rampart_list_feed_stale{list="feed"}')" = 1 ] && { stale=yes; break; }
    sleep 0.2
done
[ $stale = yes ] && pass "with the list server stopped, rampart_list_feed_stale{list=\"feed\"} is 1" || fail "stale: $(metrics | grep list_feed)"
failed=$(metric 'rampart_list_feed_fetches_total{list="feed",outcome="failed"}')
[ "${failed:-0}" -ge 1 ] 2>/dev/null && pass "rampart_list_feed_fetches_total{outcome=\"failed\"} counts the failed fetches ($failed)" || fail "failed fetches: '$failed'"
grep 'list-fetch-failed' $WORK/firewall.err | grep -q 'the last good copy (2 entries) stays in force' \
    && pass "the firewall logged list-fetch-failed: the last good copy (2 entries) stays in force" || fail "no list-fetch-failed line naming the copy in force"
sleep $((REFRESH * 3))
after=$(date +%s.%N)
[ "$(metric 'rampart_list_feed_entries{list="feed"}')" = 2 ] && [ "$(metric 'rampart_list_feed_fetches_total{list="feed",outcome="failed"}')" -ge 2 ] 2>/dev/null \
    && pass "three refresh intervals later the feed still reports 2 entries in force, $(metric 'rampart_list_feed_fetches_total{list="feed",outcome="failed"}') failed fetches" \
    || fail "after the source stopped: $(metrics | grep list_feed)"
touch $WORK/stop-traffic; wait $TRAFFICPID

# Over the whole run, once the change was in force: never served, never resolved again.
settled=$(awk -v a=${http_at:-0} -v b=${dns_at:-0} 'BEGIN {print (a > b ? a : b)}')
[ -n "$(results shop-http $stopped $after)" ] && [ -z "$(results shop-http $settled | grep -vx 403)" ] \
    && [ -z "$(results shop-dns $settled | grep -vx 198.18.0.1)" ] \
    && pass "from the change on, while the source was up and after it stopped, shop.example was always blocked ($(results shop-http $settled | wc -l) requests) and sinkholed ($(results shop-dns $settled | wc -l) queries)" \
    || fail "shop.example after the change: http $(results shop-http $settled | sort | uniq -c | tr '\n' ' ') dns $(results shop-dns $settled | sort | uniq -c | tr '\n' ' ')"
[ -z "$(results other-http 0 | grep -vx 200)" ] && [ -z "$(results other-dns 0 | grep -vx 203.0.113.11)" ] \
    && pass "other.example never failed over the whole run ($(results other-http 0 | wc -l) requests, $(results other-dns 0 | wc -l) queries, all answered)" \
    || fail "other.example: http $(results other-http 0 | sort | uniq -c | tr '\n' ' ') dns $(results other-dns 0 | sort | uniq -c | tr '\n' ' ')"
kill -0 $FWPID 2>/dev/null && [ "$(grep -c '"event":"listening"' $WORK/firewall.err)" = 1 ] \
    && pass "one firewall process all along (pid $FWPID, started once)" || fail "the firewall restarted or stopped"

kill -TERM $FWPID; wait $FWPID; FWPID=""
grep '"event_type":"http"' $WORK/eve.json | grep '"hostname":"shop.example:8000"' | grep -q '"url_filtering":{"category":"feed","action":"block"' \
    && pass "the http event of a blocked request carries url_filtering (feed, block)" || fail "no http event with url_filtering feed/block"
grep '"event_type":"dns"' $WORK/eve.json | grep '"rrname":"shop.example"' | grep -q '"dns":{"verdict":"sinkhole","category":"feed","reason":"category"}' \
    && pass "the dns record of a sinkholed query carries rampart.dns (sinkhole, feed)" || fail "no dns record sinkholing shop.example"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; tail -40 $WORK/firewall.err
    echo "--- traffic (last lines)"; tail -20 $WORK/traffic.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
