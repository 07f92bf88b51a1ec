#!/usr/bin/env bash
# File blocking inline in the real rampart-firewall (issue 13), in the namespaces of
# scripts/lib/firewall-topology.sh: pod A downloads with curl from two python http.servers
# in pod B, through the tunnel. The policy allows both; the rule for port 8000 carries a file
# blocking profile (executables blocked on download, malicious files blocked), the rule for
# port 8001 none. spec.files names a hash list holding EICAR's SHA-256 and a YARA rule.
#
#   scripts/firewall-files-e2e.sh .build/debug/rampart-firewall
#
# Checks: EICAR (68 bytes, written here) passes whole on 8001 and is cut on 8000 (curl does
# not get its 68 bytes: the segment that ends it is held back and the session reset); an ELF
# executable passes whole on 8001 and on 8000 none of its bytes reach pod A; a text file
# passes on both; the EVE fileinfo records say blocked or allowed, with the verdict, the hash
# and the YARA rule. Never touches the root namespace's interfaces; removes everything it made.
set -u
FIREWALL=${1:?usage: firewall-files-e2e.sh path/to/rampart-firewall}
FIREWALL=$(readlink -f "$FIREWALL")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
for tool in ip curl sha256sum $PYTHON; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done

source "$(dirname "${BASH_SOURCE[0]}")/lib/firewall-e2e.sh"
firewall_e2e_begin rfl files

set -e
firewall_topology_up
steer on
set +e

EICAR_SHA256=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
mkdir -p $WORK/www
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' > $WORK/www/eicar.com
[ "$(sha256sum < $WORK/www/eicar.com | cut -d' ' -f1)" = $EICAR_SHA256 ] || { echo "FAIL: the EICAR file written is wrong"; exit 1; }
cp "$(command -v gzip)" $WORK/www/tool.bin          # an ELF executable (~100 KB)
for i in $(seq 200); do echo "line $i of a plain text file"; done > $WORK/www/notes.txt
echo "$EICAR_SHA256  eicar-test-file" > $WORK/bad.sha256
printf 'rule eicar_string { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }\n' > $WORK/eicar.yar

cat > $WORK/firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: e2e-files}
spec:
  listen: 0.0.0.0:6080
  admin: 127.0.0.1:9680
  vnis: [7]
  tunnelSourceNetworks: [10.200.0.0/30]
  events: $WORK/eve.json
  files: {hashes: [bad.sha256], yara: [eicar.yar]}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: e2e}
spec:
  zones:
    - {name: pod-a, networks: [10.244.1.10/32]}
    - {name: pod-b, networks: [10.244.1.20/32]}
  fileBlockingProfiles:
    - name: no-executables
      fileTypes: [{types: [executable], direction: download, action: block}]
      verdicts: {malicious: block}
  rules:
    - {name: guarded, from: [pod-a], to: [pod-b], services: [tcp/8000], action: allow, profiles: [no-executables]}
    - {name: open, from: [pod-a], to: [pod-b], services: [tcp/8001], action: allow}
  defaults:
    intrazone: {action: allow}
    interzone: {action: deny}
YAML
ip netns exec $FW "$FIREWALL" --config $WORK/firewall.yaml --workers 1 >> $WORK/firewall.out 2>> $WORK/firewall.err &
PIDS+=($!)
for port in 8000 8001; do
    (cd $WORK/www && exec ip netns exec $PODB $PYTHON -m http.server $port --bind 10.244.1.20 >> $WORK/http.log 2>&1) &
    PIDS+=($!)
done
ready=no
for i in $(seq 150); do
    if n $FW curl -s -o /dev/null http://127.0.0.1:9680/readyz && n $PODB bash -c 'exec 3<>/dev/tcp/10.244.1.20/8000 && exec 4<>/dev/tcp/10.244.1.20/8001' 2>/dev/null; then
        ready=yes; break
    fi
    sleep 0.2
done
[ $ready = yes ] || { echo "FAIL: the firewall or the HTTP servers did not start"; cat $WORK/firewall.err $WORK/http.log; exit 1; }
grep -q "files-loaded" $WORK/firewall.err && pass "the firewall logged its file inspection: $(grep -o 'files tracked[^"]*' $WORK/firewall.err | head -1)" || fail "no files-loaded log line"

# fetch PORT PATH: curl's exit status; the body lands in $WORK/got
fetch() {
    rm -f $WORK/got
    n $PODA curl -s -o $WORK/got --connect-timeout 3 --max-time 5 "http://10.244.1.20:$1$2"
}
size() { stat -c %s $WORK/got 2>/dev/null || echo 0; }

fetch 8001 /eicar.com; status=$?
[ $status = 0 ] && [ "$(sha256sum < $WORK/got | cut -d' ' -f1)" = $EICAR_SHA256 ] \
    && pass "without the profile EICAR arrives whole (68 bytes, its SHA-256)" || fail "8001 /eicar.com: curl $status, $(size) bytes"
fetch 8000 /eicar.com; status=$?
[ $status != 0 ] && [ "$(size)" -lt 68 ] \
    && pass "with the profile EICAR is cut: curl exit $status, $(size) of 68 bytes reached pod A" || fail "8000 /eicar.com: curl $status, $(size) bytes"
fetch 8001 /tool.bin; status=$?
cmp -s $WORK/got $WORK/www/tool.bin && pass "without the profile the executable arrives whole ($(size) bytes)" || fail "8001 /tool.bin: curl $status, $(size) bytes"
fetch 8000 /tool.bin; status=$?
[ $status != 0 ] && [ "$(size)" = 0 ] \
    && pass "with the profile none of the executable's bytes reach pod A (curl exit $status)" || fail "8000 /tool.bin: curl $status, $(size) bytes"
fetch 8000 /notes.txt; status=$?
cmp -s $WORK/got $WORK/www/notes.txt && pass "a text file passes the profile whole" || fail "8000 /notes.txt: curl $status, $(size) bytes"
fetch 8000 /eicar.com; status=$?
[ $status != 0 ] && pass "EICAR is cut again on a new session (curl exit $status)" || fail "8000 /eicar.com again: curl $status"

kill -TERM ${PIDS[0]}; wait ${PIDS[0]}
files=$(grep '"event_type":"fileinfo"' $WORK/eve.json)
check() {  # PORT FILE ACTION [grep...]: a fileinfo record for FILE on PORT with ACTION
    local line
    line=$(echo "$files" | grep "\"src_port\":$1," | grep "\"filename\":\"$2\"" | grep "\"action\":\"$3\"" | head -1)
    [ -n "$line" ] || return 1
    shift 3
    for want in "$@"; do echo "$line" | grep -q "$want" || return 1; done
}
check 8001 /eicar.com allowed "\"sha256\":\"$EICAR_SHA256\"" '"verdict":"malicious"' '"hash_list":"eicar-test-file"' '"yara":\["eicar_string"\]' \
    && pass "fileinfo: EICAR on 8001 allowed, malicious by the hash list and YARA" || fail "no allowed malicious fileinfo for 8001 /eicar.com"
check 8000 /eicar.com blocked '"profile_action":"block"' '"file_profile":"no-executables"' '"verdict":"malicious"' \
    && pass "fileinfo: EICAR on 8000 blocked by the profile" || fail "no blocked fileinfo for 8000 /eicar.com"
check 8000 /tool.bin blocked '"file_type":"elf"' '"magic":"ELF 64-bit' \
    && pass "fileinfo: the ELF on 8000 blocked by type" || fail "no blocked ELF fileinfo for 8000 /tool.bin"
check 8001 /tool.bin allowed '"file_type":"elf"' '"state":"CLOSED"' && pass "fileinfo: the ELF on 8001 allowed, whole" || fail "no allowed ELF fileinfo on 8001"
check 8000 /notes.txt allowed '"file_type":"text"' && pass "fileinfo: the text file allowed" || fail "no fileinfo for /notes.txt"

if [ $failures -gt 0 ]; then
    echo "--- firewall stderr"; cat $WORK/firewall.err
    echo "--- fileinfo"; echo "$files"
    echo "--- http"; cat $WORK/http.log
    echo "FAILED: $failures check(s)"
    exit 1
fi
echo "ALL PASSED"
