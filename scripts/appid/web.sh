#!/usr/bin/env bash
# App-ID capture: HTTP/1.x and HTTP/2 (h2c) web traffic.
#   scripts/appid/web.sh OUTDIR      -> OUTDIR/web.pcap + OUTDIR/web.labels
# python3 http.server on 80 and nginx on 8081 (GET, POST with body, HEAD, 404, keep-alive
# with two requests, IPv6, and an HTTP/1.1 `Upgrade: h2c` that nginx ignores: still http);
# nginx h2c (`listen ... http2`, prior knowledge) on 8082 and on 443; an OpenAI-compatible
# request over h2c (nginx reading it and proxying to a local server) on 8085 is openai-api.
source "$(dirname "$0")/lib.sh"
appid_begin web "${1:?usage: $0 OUTDIR}"
mkdir -p "$WORK/www" "$WORK/nginx"
echo hello >"$WORK/www/index.html"
echo '{"ok":true}' >"$WORK/www/data.json"
cat >"$WORK/nginx/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    default_type application/octet-stream;
    types { application/json json; text/html html; }
    server {
        listen 8081; listen [::]:8081;
        root $WORK/www;
        location /post { return 200 "posted\n"; }
    }
    server {
        listen 8082 http2; listen [::]:8082 http2;
        listen 443 http2; listen [::]:443 http2;
        root $WORK/www;
        location /post { return 200 "posted\n"; }
    }
    server {
        listen 8085 http2;
        # Proxied so that nginx reads the request body (a bare return resets the stream first).
        location /v1/ { proxy_pass http://127.0.0.1:8086; }
    }
}
CONF
serve python3 -m http.server 80 --bind :: --directory "$WORK/www"
serve python3 -m http.server 8086 --bind 127.0.0.1 --directory "$WORK/www"
serve nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;'
wait_port t 80; wait_port t 8081; wait_port t 8082; wait_port t 443; wait_port t 8085
capture_start
label tcp 80 http
label tcp 8081 http
label tcp 8082 http2
label tcp 443 http2
label tcp 8085 openai-api
C="curl -sS -o /dev/null"
# python http.server on 80
cli $C "http://$SRV4/"
cli $C -A "Mozilla/5.0 (X11; Linux x86_64) rampart-test" "http://$SRV4/missing"
cli $C -I "http://$SRV4/index.html"
cli $C "http://$SRV4/" "http://$SRV4/data.json"          # keep-alive: two requests
cli $C "http://[$SRV6]/"
cli $C -X POST -H 'Content-Type: application/json' --data '{"a":1}' "http://$SRV4/" || true
# nginx on 8081
cli $C "http://$SRV4:8081/"
cli $C -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data 'a=1&b=2' "http://$SRV4:8081/post"
cli $C -I "http://$SRV4:8081/data.json"
cli $C "http://$SRV4:8081/nothing-here"
cli $C "http://$SRV4:8081/" "http://$SRV4:8081/data.json"
cli $C "http://[$SRV6]:8081/"
cli $C --http2 "http://$SRV4:8081/"                       # Upgrade: h2c, nginx answers 1.1
# nginx h2c, prior knowledge
cli $C --http2-prior-knowledge "http://$SRV4:8082/"
cli $C --http2-prior-knowledge -X POST -H 'Content-Type: application/json' --data '{"a":1}' "http://$SRV4:8082/post" || true
cli $C --http2-prior-knowledge "http://[$SRV6]:8082/data.json"
cli $C --http2-prior-knowledge "http://$SRV4:443/"
cli $C --http2-prior-knowledge "http://$SRV4:443/nothing"
cli $C --http2-prior-knowledge -H 'Content-Type: application/json' -H 'Authorization: Bearer x' \
    --data '{"model":"qwen2.5-0.5b-instruct","messages":[{"role":"user","content":"hi"}]}' "http://$SRV4:8085/v1/chat/completions" || true
capture_stop
