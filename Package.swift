// swift-tools-version:6.0
// Rampart: a Kubernetes-native container firewall. See README.md and docs/.
import PackageDescription

let package = Package(
    name: "Rampart",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rampart", targets: ["rampart"]),
        .executable(name: "rampart-firewall", targets: ["rampart-firewall"]),
        .executable(name: "rampart-manager", targets: ["rampart-manager"]),
        .library(name: "RampartWire", targets: ["RampartWire"]),
        .library(name: "RampartPolicy", targets: ["RampartPolicy"]),
        .library(name: "RampartRules", targets: ["RampartRules"]),
        .library(name: "RampartInspect", targets: ["RampartInspect"]),
        .library(name: "RampartDataplane", targets: ["RampartDataplane"]),
        .library(name: "RampartNetlink", targets: ["RampartNetlink"]),
        .library(name: "RampartKube", targets: ["RampartKube"]),
        .library(name: "RampartManager", targets: ["RampartManager"]),
        .library(name: "RampartCNI", targets: ["RampartCNI"]),
        .executable(name: "rampart-cni", targets: ["rampart-cni"]),
        .executable(name: "rampart-node", targets: ["rampart-node"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Bytes on the wire: borrowed views, checksums, capture files. Imports nothing of ours.
        .target(name: "RampartWire"),
        // The policy language: documents, validation, tags, compiled matcher.
        .target(name: "RampartPolicy", dependencies: ["RampartWire", "RampartConfig"]),
        // The one reader of YAML files (policies, tag files, the daemons' configurations):
        // libyaml's events into positioned nodes with limits, one error type with
        // file:line:column, typed fields with unknown keys refused. Imports only CYaml.
        .target(name: "RampartConfig", dependencies: ["CYaml"]),
        // The Linux calls and structures Glibc's Swift module hides (recvmmsg, sendmmsg,
        // accept4, signalfd, setns, struct mmsghdr), with their layouts checked at compile time.
        .target(name: "CLinux"),
        // The system's libyaml (Debian: libyaml-dev): the tokenizer under the policy's YAML reader.
        .systemLibrary(name: "CYaml", path: "Sources/CYaml"),
        // Debian's PCRE2 (libpcre2-dev): the signatures' `pcre` expressions are compiled with it.
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        // Debian's Vectorscan (libvectorscan-dev): the signature matcher's multi-pattern prefilter.
        .systemLibrary(name: "CVectorscan", path: "Sources/CVectorscan"),
        // Debian's zlib (zlib1g-dev): gzip and deflate HTTP bodies inflated before inspection.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // A header-only software prefetch (no library): the indicator store's batched lookups.
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        // Debian's YARA (libyara-dev): files in HTTP bodies and mail attachments scanned with
        // the firewall's YARA rules.
        .systemLibrary(name: "CYara", path: "Sources/CYara"),
        // The signature language: Suricata 7 rules parsed into a typed model (header, buffers
        // and their ordered match steps, flow state, thresholds), variables, classification.config,
        // load reports. Pure: text in, model out; no files, no clocks.
        .target(name: "RampartRules", dependencies: ["RampartWire", "CPCRE2"]),
        // The engine: sessions, reassembly, App-ID, signature detection, verdicts, events.
        // Pure: no I/O. Links PCRE2 and (on x86-64) Vectorscan for the signature matcher.
        .target(name: "RampartInspect", dependencies: [
            "RampartWire", "RampartPolicy", "RampartRules", "CPCRE2", "CZlib", "CYara", "CPrefetch",
            .target(name: "CVectorscan", condition: .when(platforms: [.linux])),
        ]),
        // The firewall's I/O: tunnel endpoint, batched sockets, return path, admin API.
        .target(name: "RampartDataplane", dependencies: ["CLinux", "RampartConfig", "RampartWire", "RampartPolicy", "RampartInspect", "RampartJSON", "RampartPOSIX", "RampartHTTP", "RampartLog"]),
        // What the daemons need of POSIX that FoundationEssentials lacks (named threads, a lock,
        // a condition, printf formatting, path names), so no daemon links Foundation's ICU.
        // Imports nothing of ours.
        .target(name: "RampartPOSIX"),
        // The one HTTP/1.1 server of the daemons' APIs, probes and metrics: a poll loop, a
        // worker pool, limits, timeouts, TLS and mutual TLS, bearer tokens and client
        // certificates with roles; the `tls:` block of the daemons' configurations. Imports only
        // RampartPOSIX, RampartJSON (its one escaper), RampartConfig (to read that block) and
        // the system's OpenSSL.
        .target(name: "RampartHTTP", dependencies: ["RampartPOSIX", "RampartJSON", "RampartConfig", "COpenSSL", "CCurl"]),
        // The system's OpenSSL (Debian: libssl-dev): the TLS of the HTTP listeners.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        // The release number every executable reports. Imports nothing.
        .target(name: "RampartVersion"),
        // JSON without Foundation: parsed with positions, written back, numbers kept as text.
        // Imports nothing of ours.
        .target(name: "RampartJSON"),
        // The one log line shape of every daemon: JSON objects, one per line, written whole.
        .target(name: "RampartLog", dependencies: ["RampartJSON", "RampartPOSIX"]),
        // A small rtnetlink client: links, addresses, routes, rules, neighbours. Imports only the C shim.
        .target(name: "RampartNetlink", dependencies: ["CLinux"]),
        // CNI spec types, the chained plugin's commands, the steering plan. No Foundation:
        // the plugin starts for every pod.
        .target(name: "RampartCNI", dependencies: ["RampartNetlink", "RampartJSON", "RampartLog"]),
        .executableTarget(
            name: "rampart-cni",
            // The runtime starts the plugin once per pod: ship it built with
            // `--static-swift-stdlib`, which saves ~2.5 ms an ADD (docs/cni.md).
            dependencies: ["RampartCNI", "RampartNetlink", "RampartVersion"]
        ),
        // libcurl's easy interface without C varargs, for the Kubernetes client's HTTPS.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // Kubernetes list/watch client, resource types, cluster sync, tag derivation.
        .target(name: "RampartKube", dependencies: ["RampartConfig", "RampartWire", "RampartPolicy", "RampartJSON", "RampartPOSIX", "RampartHTTP"]),
        // The system's SQLite, the manager's embedded store.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // libpq (Debian: libpq-dev): the log store on PostgreSQL when one is configured.
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres"),
        // Clusters, the audit log, pushing tags to firewalls, the manager's API.
        .target(name: "RampartManager", dependencies: ["CSQLite", "CPostgres", "RampartConfig", "RampartWire", "RampartPolicy", "RampartKube", "RampartJSON", "RampartPOSIX", "RampartHTTP", "RampartLog", "COpenSSL"]),
        // The node agent: plugin installation, the tunnel, the pod cache, steering running pods.
        .target(name: "RampartNode", dependencies: ["CLinux", "RampartConfig", "RampartWire", "RampartCNI", "RampartNetlink", "RampartKube", "RampartPolicy", "RampartJSON", "RampartPOSIX", "RampartHTTP"]),
        .executableTarget(
            name: "rampart-node",
            dependencies: [
                "RampartVersion",
                "RampartNode", "RampartKube", "RampartCNI", "RampartPOSIX", "RampartLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "rampart-manager",
            dependencies: [
                "RampartVersion",
                "RampartManager", "RampartKube", "RampartPOSIX", "RampartHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "rampart-firewall",
            dependencies: [
                "RampartVersion",
                "RampartDataplane", "RampartInspect", "RampartPolicy", "RampartPOSIX", "RampartHTTP", "RampartConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The user's CLI: thin wiring over the libraries.
        .executableTarget(
            name: "rampart",
            dependencies: [
                "RampartVersion",
                "RampartWire", "RampartPolicy", "RampartInspect", "RampartRules", "RampartJSON", "RampartPOSIX", "RampartHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the end-to-end tests share: running scripts with a clean signal mask,
        // finding the built executables.
        .target(name: "RampartTestSupport", path: "Tests/RampartTestSupport"),
        .testTarget(name: "RampartWireTests", dependencies: ["RampartWire", "RampartTestSupport"]),
        .testTarget(name: "RampartPOSIXTests", dependencies: ["RampartPOSIX"]),
        .testTarget(name: "RampartLogTests", dependencies: ["RampartLog", "RampartJSON"]),
        .testTarget(name: "RampartHTTPTests", dependencies: ["RampartHTTP", "RampartConfig", "RampartTestSupport"]),
        .testTarget(name: "RampartPolicyTests", dependencies: ["RampartPolicy", "RampartConfig", "RampartTestSupport"]),
        .testTarget(name: "RampartRulesTests", dependencies: ["RampartRules", "RampartTestSupport"]),
        .testTarget(name: "RampartInspectTests", dependencies: ["RampartInspect", "RampartRules", "RampartTestSupport"]),
        // Runs the built `rampart` over real captures; as root, also records them anew.
        .testTarget(name: "RampartCLITests", dependencies: ["rampart", "RampartWire", "RampartTestSupport", "RampartVersion"]),
        // Unit tests of the data plane, and (as root) the firewall end to end in namespaces.
        .testTarget(
            name: "RampartDataplaneTests",
            dependencies: [
                "RampartDataplane", "RampartWire", "RampartInspect", "RampartPolicy", "RampartHTTP", "rampart-firewall",
                "RampartTestSupport",
            ]),
        .testTarget(name: "RampartNetlinkTests", dependencies: ["RampartNetlink", "RampartTestSupport"]),
        // The plugin's commands, and (as root) the chain of reference plugins + rampart-cni + the firewall.
        // A node in network namespaces, a runtime's plugin chain in miniature, a stub agent:
        // shared by the CNI tests and the system test.
        .target(name: "RampartCNITestSupport", dependencies: ["RampartCNI", "RampartTestSupport"], path: "Tests/RampartCNITestSupport"),
        .testTarget(
            name: "RampartCNITests",
            dependencies: [
                "RampartCNI", "RampartNetlink", "rampart-cni", "rampart-firewall", "RampartTestSupport", "RampartCNITestSupport",
            ]),
        .testTarget(
            name: "RampartNodeTests",
            dependencies: ["RampartNode", "RampartKube", "RampartCNI", "RampartNetlink", "rampart-node", "RampartTestSupport"]),
        // The Kubernetes client against the local API test server (Tests/KubeAPIServer).
        .testTarget(name: "RampartKubeTests", dependencies: ["RampartKube", "RampartTestSupport"]),
        // As root: the API test server, the manager and the node agent in process, the real
        // plugin chain and firewall in network namespaces — the whole path of docs/cni.md.
        .testTarget(
            name: "RampartSystemTests",
            dependencies: [
                "RampartCNI", "RampartNode", "RampartKube", "RampartManager", "RampartNetlink", "rampart-cni",
                "rampart-firewall", "RampartTestSupport", "RampartCNITestSupport",
            ]),
        .testTarget(
            name: "RampartManagerTests",
            dependencies: ["RampartManager", "RampartConfig", "RampartKube", "RampartHTTP", "rampart-manager", "rampart-firewall", "RampartTestSupport"]),
    ]
)
