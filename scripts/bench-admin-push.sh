#!/usr/bin/env bash
# Benchmarks a tag push to the firewall's admin API as the manager makes it: POST /tags over
# mutual TLS (ECDSA P-256 certificates made here), from one client that keeps its connection
# (libcurl, as the manager's pushers do), against the same client sending `Connection:
# close` (a TCP and TLS handshake per push, what every push cost before the admin API kept
# connections). A real rampart-firewall on loopback; ROUNDS rounds of PUSHES pushes each way,
# alternating; then the listener's connection counters.
#
#   swift build -c release --product rampart-firewall
#   scripts/bench-admin-push.sh .build/release
#
# Environment: BENCH_PUSHES (200), BENCH_ROUNDS (3). Loopback only; removes what it made.
set -euo pipefail
case ${1:-} in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
bin=$(cd "${1:?usage: scripts/bench-admin-push.sh BUILD_DIR (e.g. .build/release)}" && pwd)
pushes=${BENCH_PUSHES:-200}
rounds=${BENCH_ROUNDS:-3}
dir=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
    -days 1 -subj /CN=bench-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
sign() {   # NAME EXTENSIONS...
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
    printf '%s\n' "${@:2}" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
sign firewall extendedKeyUsage=serverAuth subjectAltName=IP:127.0.0.1
sign rampart-manager extendedKeyUsage=clientAuth
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > firewall.yaml <<YAML
apiVersion: rampart.io/v1
kind: FirewallConfiguration
metadata: {name: bench}
spec:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:$port
  tls: {certificate: firewall.crt, key: firewall.key, clientCA: ca.crt, clientRoles: {rampart-manager: tag-writer}}
---
apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: bench}
spec:
  zones: [{name: pods, networks: [10.244.0.0/16]}]
YAML
"$bin/rampart-firewall" --config firewall.yaml > firewall.log 2>&1 &
pid=$!
credentials=(--cacert ca.crt --cert rampart-manager.crt --key rampart-manager.key)
for _ in $(seq 100); do
    curl -s -o /dev/null "${credentials[@]}" "https://127.0.0.1:$port/tags" && break
    kill -0 "$pid" 2>/dev/null || { cat firewall.log >&2; exit 1; }
    sleep 0.1
done
sequence=0
measure() {   # LABEL [HEADER]: one curl process, PUSHES pushes, each its own sequence number
    local label=$1 header=${2:-} command=() start end
    for i in $(seq 1 "$pushes"); do
        sequence=$((sequence + 1))
        printf '{"sequence": %d, "address": "10.244.%d.%d", "tags": ["ns:bench", "pod:bench/p%d"]}' \
            "$sequence" $((i / 250)) $((i % 250 + 1)) "$i" > "push-$i.json"
        command+=(--next -sS -f -o /dev/null "${credentials[@]}" -H 'Content-Type: application/json')
        [ -z "$header" ] || command+=(-H "$header")
        command+=(--data-binary "@push-$i.json" "https://127.0.0.1:$port/tags")
    done
    start=$(date +%s%N)
    curl "${command[@]:1}"
    end=$(date +%s%N)
    awk -v l="$label" -v n="$pushes" -v ns=$((end - start)) \
        'BEGIN { printf "%-22s %d pushes in %7.1f ms: %.3f ms a push\n", l, n, ns / 1e6, ns / 1e6 / n }'
}
for _ in $(seq "$rounds"); do
    measure "kept connection"
    measure "Connection: close" "Connection: close"
done
curl -sS "${credentials[@]}" "https://127.0.0.1:$port/metrics" | grep '^rampart_admin_http_connections_total{listener="admin"'
