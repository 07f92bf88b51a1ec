#!/usr/bin/env bash
# App-ID capture: DNS. dnsmasq (answers only from its own --host-record/--address/--mx-host/
# --txt-record, no upstream) on 53 and on 5300; dig over UDP and TCP: A, AAAA, MX, TXT,
# CNAME, NXDOMAIN, IPv4 and IPv6.
#   scripts/appid/dns.sh OUTDIR
source "$(dirname "$0")/lib.sh"
appid_begin dns "${1:?usage: $0 OUTDIR}"
dnsserve() { # PORT
    serve dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-daemon --port "$1" \
        --listen-address="$SRV4,$SRV6" --bind-interfaces --pid-file="$WORK/dnsmasq-$1.pid" \
        --host-record=web.rampart.test,10.88.0.80,fd00:88::80 \
        --cname=www.rampart.test,web.rampart.test \
        --mx-host=rampart.test,mail.rampart.test,10 \
        --host-record=mail.rampart.test,10.88.0.25 \
        --txt-record=rampart.test,"v=spf1 -all" \
        --address=/api.openai.com/10.88.0.99 --local=/rampart.test/
}
dnsserve 53
dnsserve 5300
wait_port u 53; wait_port t 53; wait_port u 5300; wait_port t 5300
capture_start
label udp 53 dns
label tcp 53 dns
label udp 5300 dns
label tcp 5300 dns
d() { cli dig +time=2 +tries=1 "$@" >/dev/null || true; }
d @"$SRV4" web.rampart.test A
d @"$SRV4" web.rampart.test AAAA
d @"$SRV4" rampart.test MX
d @"$SRV4" rampart.test TXT
d @"$SRV4" www.rampart.test A
d @"$SRV4" missing.rampart.test A
d @"$SRV4" +tcp web.rampart.test A
d @"$SRV6" web.rampart.test AAAA
d @"$SRV4" -p 5300 api.openai.com A
d @"$SRV4" -p 5300 rampart.test MX
d @"$SRV4" -p 5300 +tcp rampart.test TXT
d @"$SRV6" -p 5300 +tcp nothing.rampart.test AAAA
d @"$SRV6" -p 5300 www.rampart.test A
capture_stop
