#!/usr/bin/env bash
# Builds Rampart's OCI images without a Docker engine, from Debian's packages only:
#
#   rampart-firewall  the firewall (runs as uid 65532)
#   rampart-node      the node agent and the fully static rampart-cni it installs on the
#                     host (runs as root: it programs the node's routing, see docs/install.md)
#   rampart-manager   the manager (runs as uid 65532)
#
# Each image holds one release binary (Swift runtime and Foundation linked in statically),
# the shared libraries that binary loads (found with ldd, copied from this Debian system),
# /etc/passwd and /etc/group, and for the manager the CA bundle: no shell, no package
# manager, no compiler. The layers are made with umoci, the archives with skopeo, and
# every file's time is the commit's, so the same commit builds the same layers.
#
#   scripts/images.sh                       # all three, into .build-images/oci/
#   scripts/images.sh --out /tmp/images node
#   scripts/images.sh --help
#
# Output: one OCI archive per image (NAME.tar), which `ctr -n k8s.io images import`,
# `podman load -i` and `skopeo copy oci-archive:NAME.tar docker://REGISTRY/...` accept,
# named localhost/rampart/NAME:VERSION (docs/install.md says how to push them elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
}

out=.build-images/oci
registry=localhost/rampart
wanted=()
while (($# > 0)); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --out) out=${2:?--out needs a folder}; shift 2 ;;
        --registry) registry=${2:?--registry needs a name such as registry.example.com/rampart}; shift 2 ;;
        firewall|node|manager) wanted+=("$1"); shift ;;
        *) echo "images.sh: unknown argument '$1' (expected firewall, node, manager, --out DIR, --registry NAME; see --help)" >&2; exit 64 ;;
    esac
done
((${#wanted[@]} > 0)) || wanted=(firewall node manager)

if [[ $(id -u) -ne 0 ]]; then
    echo "images.sh: run as root (umoci sets the files' owners in the layers)" >&2
    exit 1
fi
for tool in umoci skopeo; do
    command -v "$tool" >/dev/null || { echo "images.sh: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
done

version=$(sed -n 's/.*current = "\([0-9][^"]*\)".*/\1/p' Sources/RampartVersion/RampartVersion.swift)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
epoch=$(date -d "$created" +%s)
scratch=.build-images
mkdir -p "$out"

# Release builds with the Swift runtime linked in statically (one dynamic loader search
# less, and no Swift libraries to ship); rampart-cni fully static, as docs/cni.md says.
build() {
    local product=$1
    echo "== building $product (release, static Swift runtime)" >&2
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" 2>&1 | tail -n 1 >&2
}
build_cni() {
    echo "== building rampart-cni (release, fully static)" >&2
    swift build -c release --product rampart-cni --scratch-path .build-cni-static \
        -Xswiftc -static-executable 2>&1 | tail -n 1 >&2
}

# Copies a binary and every shared library it loads (with the dynamic loader) into a root.
install_binary() {
    local binary=$1 rootfs=$2
    # Foundation proper (JSONSerialization, NSNull, Thread, String(format:)...) links ICU's
    # 34 MB of locale data; the daemons use FoundationEssentials (docs/development.md).
    if nm "$binary" 2>/dev/null | grep -q icudt; then
        echo "images.sh: $binary links ICU's data (icudt*): something calls Foundation proper;" \
             "find it with the lld --why-live recipe in docs/development.md" >&2
        exit 1
    fi
    install -D -m 0755 "$binary" "$rootfs/usr/local/bin/$(basename "$binary")"
    # Symbols stay in the build folder; the image needs none (a crash report is symbolicated
    # against the build of the same commit).
    strip "$rootfs/usr/local/bin/$(basename "$binary")"
    local lib
    while read -r lib; do
        [[ -n $lib ]] || continue
        # The dynamic loader is what the kernel executes first: it must be executable.
        local mode=0644
        [[ $lib == */ld-linux* ]] && mode=0755
        install -D -m "$mode" "$(readlink -f "$lib")" "$rootfs$lib"
    done < <(ldd "$binary" 2>/dev/null | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}')
}

# Writes the files every image has: users, groups, a /tmp, and nsswitch for glibc's resolver.
base_files() {
    local rootfs=$1
    install -d -m 0755 "$rootfs/etc"
    install -d -m 1777 "$rootfs/tmp"
    printf 'root:x:0:0:root:/root:/nonexistent\nrampart:x:65532:65532:rampart:/nonexistent:/nonexistent\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nrampart:x:65532:\n' >"$rootfs/etc/group"
    printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

# Packs a root folder as image NAME with umoci, then writes the OCI archive with skopeo.
pack() {
    local name=$1 rootfs=$2 user=$3 description=$4
    shift 4
    local layout=$work/$name-layout ref=$registry/$name:$version
    find "$rootfs" -exec touch -h -d "@$epoch" {} +
    umoci init --layout "$layout"
    umoci new --image "$layout:$version"
    umoci unpack --image "$layout:$version" "$work/$name-bundle" >/dev/null
    rm -rf "$work/$name-bundle/rootfs"
    cp -a "$rootfs" "$work/$name-bundle/rootfs"
    umoci repack --image "$layout:$version" --history.created "$created" "$work/$name-bundle"
    local labels=(
        --config.label "org.opencontainers.image.title=$name"
        --config.label "org.opencontainers.image.description=$description"
        --config.label "org.opencontainers.image.version=$version"
        --config.label "org.opencontainers.image.revision=$revision"
        --config.label "org.opencontainers.image.created=$created"
        --config.label "org.opencontainers.image.vendor=Rampart"
        --config.label "org.opencontainers.image.documentation=docs/install.md"
    )
    umoci config --image "$layout:$version" --created "$created" --history.created "$created" \
        --config.user "$user" --config.workingdir / "${labels[@]}" "$@"
    umoci gc --layout "$layout"
    rm -f "$out/$name.tar"
    skopeo copy --quiet "oci:$layout:$version" "oci-archive:$out/$name.tar:$ref"
    local bytes
    bytes=$(du -sb "$rootfs" | cut -f1)
    if ((bytes > 60 * 1000 * 1000)); then
        echo "images.sh: $name is $((bytes / 1000000)) MB uncompressed, over the 60 MB budget (docs/PERFORMANCE.md)" >&2
        exit 1
    fi
    printf '%s\t%s\t%s MB uncompressed, %s MB archive\n' "$ref" "$out/$name.tar" \
        "$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')" \
        "$(awk -v b="$(stat -c %s "$out/$name.tar")" 'BEGIN{printf "%.1f", b/1e6}')"
}

work=$(mktemp -d /tmp/rampart-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

for image in "${wanted[@]}"; do
    rootfs=$work/$image-rootfs
    base_files "$rootfs"
    case $image in
        firewall)
            build rampart-firewall
            install_binary "$scratch/release/rampart-firewall" "$rootfs"
            install -d -m 0755 -o 65532 -g 65532 "$rootfs/var/log/rampart" "$rootfs/var/lib/rampart" "$rootfs/var/lib/rampart/lists"
            # External dynamic lists over https:// without a caFile trust the system's bundle.
            install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
            pack rampart-firewall "$rootfs" 65532:65532 \
                "Rampart firewall: App-ID, policy by Kubernetes tags, EVE logs, behind a VXLAN/Geneve tunnel on UDP 6080" \
                --config.entrypoint /usr/local/bin/rampart-firewall \
                --config.cmd --config --config.cmd /etc/rampart/firewall.yaml \
                --config.exposedports 6080/udp --config.exposedports 9680/tcp
            ;;
        node)
            build rampart-node
            build_cni
            install_binary "$scratch/release/rampart-node" "$rootfs"
            # nft (Debian's nftables, with its libraries: about 2.3 MB) installs the one rule
            # that spreads sessions over several firewalls (docs/node-agent.md "Several firewalls").
            if [[ ! -x /usr/sbin/nft ]]; then
                echo "images.sh: /usr/sbin/nft missing: run scripts/setup.sh (package nftables)" >&2
                exit 1
            fi
            install_binary /usr/sbin/nft "$rootfs"
            # The plugin is copied to the host's CNI folder by the agent: it must need nothing
            # from this image, so it is the fully static build.
            if ldd .build-cni-static/release/rampart-cni >/dev/null 2>&1; then
                echo "images.sh: rampart-cni is not fully static" >&2
                exit 1
            fi
            install -D -m 0755 .build-cni-static/release/rampart-cni "$rootfs/usr/local/bin/rampart-cni"
            strip "$rootfs/usr/local/bin/rampart-cni"
            pack rampart-node "$rootfs" 0:0 \
                "Rampart node agent: installs the chained CNI plugin rampart-cni, owns the tunnel, steers protected pods" \
                --config.entrypoint /usr/local/bin/rampart-node \
                --config.cmd run --config.cmd --config --config.cmd /etc/rampart/node.yaml
            ;;
        manager)
            build rampart-manager
            install_binary "$scratch/release/rampart-manager" "$rootfs"
            # Foundation's and libcurl's TLS read the system bundle for API servers with public CAs.
            install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
            install -d -m 0755 -o 65532 -g 65532 "$rootfs/var/lib/rampart"
            pack rampart-manager "$rootfs" 65532:65532 \
                "Rampart manager: watches clusters, keeps every firewall's address-to-tag map current, audit log" \
                --config.entrypoint /usr/local/bin/rampart-manager \
                --config.cmd run --config.cmd --config --config.cmd /etc/rampart/manager.yaml \
                --config.exposedports 9690/tcp
            ;;
    esac
done

# Each archive must be what the tools users load it with accept: skopeo reads its config
# (user, labels), and podman, when installed, loads it into a scratch store under the name
# it was given. (ctr images import is exercised by scripts/containerd-e2e.sh.)
for image in "${wanted[@]}"; do
    archive=$out/rampart-$image.tar
    config=$(skopeo inspect --config "oci-archive:$archive") || { echo "images.sh: skopeo cannot read $archive" >&2; exit 1; }
    CONFIG=$config python3 - "$archive" "$version" <<'PY'
import json, sys
archive, version = sys.argv[1], sys.argv[2]
import os
config = json.loads(os.environ["CONFIG"])["config"]
labels = config.get("Labels") or {}
for key in ("org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.revision"):
    if not labels.get(key):
        sys.exit(f"images.sh: {archive} has no {key} label")
if labels["org.opencontainers.image.version"] != version:
    sys.exit(f"images.sh: {archive} is labelled {labels['org.opencontainers.image.version']}, expected {version}")
if not config.get("Entrypoint"):
    sys.exit(f"images.sh: {archive} has no entrypoint")
PY
    if command -v podman >/dev/null; then
        store=$work/podman
        loaded=$(TMPDIR=$work podman --root "$store/root" --runroot "$store/run" --storage-driver vfs load -i "$archive" 2>&1) \
            || { echo "images.sh: podman load refused $archive: $loaded" >&2; exit 1; }
        grep -qF "$registry/rampart-$image:$version" <<<"$loaded" \
            || { echo "images.sh: podman loaded $archive as something else: $loaded" >&2; exit 1; }
    fi
done
echo "images.sh: every archive read by skopeo$(command -v podman >/dev/null && echo ' and loaded by podman')" >&2
