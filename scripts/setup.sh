#!/usr/bin/env bash
# Installs the programs Rampart's tests, sample captures and benchmarks run (Debian 12, as root).
# Idempotent: a package is installed only when its command is missing, and `apt-get update`
# runs only when something needs installing, so a second run takes well under a second.
set -euo pipefail

# command → Debian package that provides it
declare -A PROVIDER=(
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
    [python3]=python3
    [socat]=socat
    [ping]=iputils-ping
    [ethtool]=ethtool               # turning veth offloads off so captures hold wire-sized packets
)

missing=()
for cmd in "${!PROVIDER[@]}"; do
    # nginx and dnsmasq live in /usr/sbin, which a non-login root shell may lack in PATH.
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then
        missing+=("${PROVIDER[$cmd]}")
    fi
done

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"
echo "setup: done"
