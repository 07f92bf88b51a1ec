#!/usr/bin/env bash
# Example of an App-ID capture script: python's HTTP server on 80 and on 8123, with curl.
#   scripts/appid/http-example.sh OUTDIR
source "$(dirname "$0")/lib.sh"
appid_begin http-example "${1:?usage: $0 OUTDIR}"
mkdir -p "$WORK/www"; echo hello >"$WORK/www/index.html"
serve python3 -m http.server 80 --bind :: --directory "$WORK/www"
serve python3 -m http.server 8123 --bind :: --directory "$WORK/www"
wait_port t 80; wait_port t 8123
capture_start
label tcp 80 http
label tcp 8123 http
cli curl -sS -o /dev/null "http://$SRV4/"
cli curl -sS -o /dev/null "http://[$SRV6]:8123/"
capture_stop
