#!/usr/bin/env bash
# App-ID capture: TLS. openssl s_server (-www) on 443 and 8443 (plain ssl), on 6443 and
# 16443 (a "kube-apiserver" cert; clients send SNI kubernetes.default.svc / kubernetes),
# on 9443 (clients send SNI api.openai.com) and 10443 (SNI api.anthropic.com); nginx with
# ssl on 4443. Clients: openssl s_client (TLS 1.2 and 1.3,
# with and without SNI, ALPN), curl -k with ALPN h2 and http/1.1, over IPv4 and IPv6.
#   scripts/appid/tls.sh OUTDIR
source "$(dirname "$0")/lib.sh"
appid_begin tls "${1:?usage: $0 OUTDIR}"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=Rampart/CN=web.rampart.test" \
    -keyout "$WORK/web.key" -out "$WORK/web.crt" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/O=system:masters/CN=kube-apiserver" \
    -keyout "$WORK/kube.key" -out "$WORK/kube.crt" 2>/dev/null

sserve() { # PORT CERT KEY [extra s_server args]
    local port=$1 crt=$2 key=$3; shift 3
    serve openssl s_server -accept "$port" -cert "$crt" -key "$key" -www -quiet "$@"
}
sserve 443 "$WORK/web.crt" "$WORK/web.key" -alpn http/1.1
sserve 8443 "$WORK/web.crt" "$WORK/web.key"
sserve 6443 "$WORK/kube.crt" "$WORK/kube.key" -alpn h2,http/1.1
sserve 16443 "$WORK/kube.crt" "$WORK/kube.key"
sserve 9443 "$WORK/web.crt" "$WORK/web.key"
sserve 10443 "$WORK/web.crt" "$WORK/web.key"
cat >"$WORK/nginx.conf" <<NGINX
daemon off; pid $WORK/nginx.pid; error_log $WORK/nginx.err;
events {}
http { access_log off;
  server { listen 4443 ssl; listen [::]:4443 ssl; ssl_certificate $WORK/web.crt; ssl_certificate_key $WORK/web.key;
           location / { return 200 "hello\n"; } } }
NGINX
serve nginx -c "$WORK/nginx.conf" -p "$WORK"
for p in 443 8443 6443 16443 9443 10443 4443; do wait_port t $p; done
capture_start
label tcp 443 ssl
label tcp 8443 ssl
label tcp 4443 ssl
label tcp 6443 kubernetes-api
label tcp 16443 kubernetes-api
label tcp 9443 openai-api
label tcp 10443 anthropic-api

sc() { # HOST:PORT [s_client args]: one handshake, a GET, close
    local to=$1; shift
    printf 'GET / HTTP/1.0\r\n\r\n' | cli timeout 5 openssl s_client -connect "$to" -quiet "$@" >/dev/null 2>&1 || true
}
sc "$SRV4:443" -tls1_3 -servername web.rampart.test
sc "$SRV4:443" -tls1_2 -servername web.rampart.test
sc "$SRV4:443" -tls1_2 -noservername
sc "[$SRV6]:443" -tls1_3 -noservername
sc "$SRV4:8443" -tls1_2 -servername web.rampart.test -alpn http/1.1
sc "[$SRV6]:8443" -tls1_3 -servername web.rampart.test
cli curl -sk -o /dev/null --http2 --resolve "web.rampart.test:443:$SRV4" https://web.rampart.test/ || true
cli curl -sk -o /dev/null --http1.1 --resolve "web.rampart.test:8443:$SRV4" https://web.rampart.test:8443/ || true
cli curl -sk -o /dev/null --http2 --resolve "web.rampart.test:4443:$SRV4" https://web.rampart.test:4443/ || true
cli curl -sk -o /dev/null --tlsv1.2 --tls-max 1.2 "https://[$SRV6]:4443/" || true
sc "$SRV4:6443" -tls1_3 -servername kubernetes.default.svc -alpn h2,http/1.1
sc "$SRV4:6443" -tls1_2 -servername kubernetes.default.svc.cluster.local
sc "[$SRV6]:16443" -tls1_2 -servername kubernetes
sc "$SRV4:16443" -tls1_3 -servername kubernetes.default
sc "$SRV4:9443" -tls1_3 -servername api.openai.com -alpn http/1.1
sc "$SRV4:10443" -tls1_2 -servername api.anthropic.com
cli curl -sk -o /dev/null --resolve "api.anthropic.com:10443:$SRV4" https://api.anthropic.com:10443/v1/messages || true
capture_stop
