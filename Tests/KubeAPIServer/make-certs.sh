#!/usr/bin/env bash
# Creates the TLS material for kube_api_server.py in DIR:
#   ca.crt/ca.key            test CA
#   server.crt/server.key    signed by ca, SAN IP:127.0.0.1, DNS:localhost, DNS:kubernetes.default.svc
#   client.crt/client.key    signed by ca, CN=rampart-watcher, O=rampart (clientAuth)
#   other-ca.crt/other-ca.key  an unrelated CA, for "wrong CA" tests
#   other-client.crt/.key    a client cert signed by the unrelated CA
# EC P-256 keys, so it runs in well under a second.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

days=3650
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

make_ca() { # name subject
  newkey "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$1.crt" 2>/dev/null
}

sign() { # name subject ca extfile
  newkey "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$tmp/$1.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
    -CAserial "$tmp/$3.srl" -days "$days" -sha256 -extfile "$4" -out "$1.crt" 2>/dev/null
}

make_ca ca "/CN=rampart-test-ca"
make_ca other-ca "/CN=unrelated-test-ca"

cat > "$tmp/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:kubernetes
EXT
cat > "$tmp/client.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EXT

sign server "/CN=kube-apiserver" ca "$tmp/server.ext"
sign client "/O=rampart/CN=rampart-watcher" ca "$tmp/client.ext"
sign other-client "/O=rampart/CN=rampart-watcher" other-ca "$tmp/client.ext"

echo "certs written to $(pwd)"
