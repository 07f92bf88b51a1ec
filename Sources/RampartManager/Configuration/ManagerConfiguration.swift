import FoundationEssentials
import RampartHTTP
import RampartPOSIX
import RampartKube
import RampartConfig
import RampartPolicy

/// One watched cluster, as the manager's configuration names it.
public struct ClusterConfiguration: Sendable, Equatable {
    /// At most 20 characters (lower-case letters, digits, '-'); used inside tag names, so
    /// it never changes.
    public var name: String
    /// 1...2048: the VNI its nodes' tunnels carry.
    public var id: Int
    public enum Source: Sendable, Equatable {
        case kubeconfig(path: String, context: String?)
        case credentialFile(path: String, server: String?)
        case inCluster
    }
    public var source: Source
    public var tagStyle: TagStyle = .rampart
    public var labels = LabelFilter()
    public var podSelector: String?
    public var namespaces: [String]?
    public var excludedNamespaces: [String] = []
    /// Seconds without a byte before a watch's connection is taken for dead; nil: the watch's
    /// timeout plus a grace (`Reflector.stallWindow`). Must be above `watchTimeoutSeconds`:
    /// a real API server sends nothing on a watch of a resource that does not change.
    public var stallTimeout: Double?
    /// Each watch asks the server to end it after this (jittered down 20%); it is renewed at once.
    public var watchTimeoutSeconds = 290

    public func credentials() throws(KubeError) -> ClusterCredentials {
        switch source {
        case .kubeconfig(let path, let context): return try .kubeconfig(at: path, context: context)
        case .credentialFile(let path, let server): return try .credentialFile(at: path, server: server)
        case .inCluster: return try .inCluster()
        }
    }
}

/// A firewall the manager keeps current.
public struct FirewallTarget: Sendable, Equatable {
    public var name: String
    /// Its admin API, `http://host:port` or `https://host:port`.
    public var admin: String
    /// The clusters whose addresses it gets (nil: every cluster's).
    public var clusters: [String]?
    /// A file holding the bearer token (role tag-writer) the firewall's admin API expects;
    /// nil: none sent (a firewall whose admin API is open on loopback, or that knows the
    /// manager by its client certificate).
    public var tokenFile: String?
    /// For an `https://` admin API: the CA to verify it with and the client certificate to
    /// present (its own `tls:`, else the configuration's `firewallTLS`); nil: the system's CA
    /// bundle and no client certificate.
    public var tls: FirewallClientTLS?

    public init(name: String, admin: String, clusters: [String]? = nil, tokenFile: String? = nil, tls: FirewallClientTLS? = nil) {
        self.name = name
        self.admin = admin
        self.clusters = clusters
        self.tokenFile = tokenFile
        self.tls = tls
    }

    /// Whether the admin API is reached over TLS.
    public var usesTLS: Bool { admin.hasPrefix("https://") }

    /// What libcurl needs for an `https://` admin API (nil for `http://`), read from the files now.
    public func tlsSettings() throws(ConfigurationErrors) -> TLSSettings? {
        guard usesTLS else { return nil }
        return try (tls ?? FirewallClientTLS()).settings(firewall: name)
    }

    /// The `Authorization` header to send, read from `tokenFile` (first line, trimmed).
    public func authorization() throws(ConfigurationErrors) -> [String] {
        guard let tokenFile else { return [] }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw ConfigurationErrors(["firewall '\(name)': cannot read tokenFile \(tokenFile); it holds the token of a tag-writer line of the firewall's spec.auth.tokensFile"])
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map { $0.trimming(.whitespaces) } ?? ""
        guard token.count >= 16, !token.contains(" ") else {
            throw ConfigurationErrors(["firewall '\(name)': tokenFile \(tokenFile) must hold one token of at least 16 characters on its first line"])
        }
        return ["Authorization: Bearer \(token)"]
    }

    /// Whether this firewall gets `cluster`'s addresses.
    public func serves(_ cluster: String) -> Bool { clusters.map { $0.contains(cluster) } ?? true }
}

/// The manager's configuration file.
///
/// ```yaml
/// apiVersion: rampart.io/v1
/// kind: ManagerConfiguration
/// metadata: {name: main}
/// spec:
///   listen: 127.0.0.1:9690              # the manager's API (bearer tokens off loopback)
///   probes: 127.0.0.1:9692              # /healthz /readyz /metrics, no credentials; or off
///                                       # (absent: listen's host, port + 2)
///   auth:
///     tokensFile: /etc/rampart/manager-tokens   # lines "ROLE NAME TOKEN", mode 0600
///   tls:                                # the API over TLS (absent: plain HTTP)
///     certificate: tls/manager.crt
///     key: tls/manager.key
///     clientCA: tls/ca.crt              # ask clients for certificates it signed
///     clientCertificates: optional      # required (the default with clientCA) or optional
///     clientRoles: {grafana: read-only}
///   firewallTLS:                        # how https:// firewalls are reached (mutual TLS)
///     ca: tls/ca.crt                    # verifies their certificates; absent: system bundle
///     certificate: tls/manager.crt      # presented to them: their clientRoles name it
///     key: tls/manager.key
///   state: /var/lib/rampart/manager.sqlite
///   auditRetentionDays: 90
///   firewallCheckSeconds: 10            # a restarted firewall gets the whole map within this
///   clusters:
///     - name: prod                      # ≤ 20 characters, unique, used in tag names
///       id: 7                           # 1..2048, the VNI
///       kubeconfig: prod.kubeconfig     # or credentialFile: + server:, or inCluster: true
///       tagStyle: both                  # rampart | compatible | both
///       labels: [app, "app.kubernetes.io/*"]
///       podSelector: "rampart.io/tags!=off"
///       excludeNamespaces: [kube-system]
///   firewalls:
///     - name: fw-1
///       admin: http://10.0.0.5:9680
///       clusters: [prod]                # whose addresses it gets; absent: every cluster's
///       tokenFile: fw-1.token           # its admin API's tag-writer token; absent: none sent
///     - name: fw-2
///       admin: https://10.0.0.6:9680    # over TLS, with firewallTLS (or its own tls: block)
/// ```
public struct ManagerConfiguration: Sendable, Equatable {
    public var listen = "127.0.0.1:9690"
    /// The probe listener (`/healthz`, `/readyz`, `/metrics`, no credentials) as configured;
    /// nil: derived from `listen` (see `probeAddress`).
    public var probes: String?
    /// False: no probe listener (`probes: off`).
    public var probesEnabled = true
    /// Where the probe listener binds: `probes`, else `listen`'s host two ports up
    /// (127.0.0.1:9692 by default; 9691 is the node agent's metrics port).
    public var probeAddress: String? {
        guard probesEnabled else { return nil }
        if let probes { return probes }
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else { return nil }
        return "\(listen[..<colon]):\(port == 0 || port > 65533 ? 0 : port + 2)"
    }
    /// The API's bearer tokens; nil: none, allowed only when `listen` is loopback or `tls`
    /// requires client certificates.
    public var tokensFile: String?
    /// The API's TLS; nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// How `https://` firewalls are reached when they have no `tls:` of their own.
    public var firewallTLS: FirewallClientTLS?
    public var state = "/var/lib/rampart/manager.sqlite"
    public var auditRetentionDays = 90
    /// How often each firewall is asked where it stands (`GET /tags`) when no push answered
    /// lately: a new boot id (it restarted) or a sequence the manager did not send gets it
    /// the whole map. Every push answer is checked the same way.
    public var firewallCheckSeconds: Double = 10
    public var clusters: [ClusterConfiguration] = []
    public var firewalls: [FirewallTarget] = []

    public static let kind = "ManagerConfiguration"

    /// Reads and checks `path`; every problem is reported at once, as file:line: message.
    public static func load(path: String) throws(ConfigurationErrors) -> ManagerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationErrors(["\(path): cannot read the file"])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationErrors) -> ManagerConfiguration {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var errors: [String] = []
        // The line of the first mention of `needle` at or after line `from`, for messages.
        func line(of needle: String, from: Int = 0) -> Int {
            guard from < lines.count else { return 1 }
            return (lines[from...].firstIndex { $0.contains(needle) } ?? 0) + 1
        }
        func fail(_ at: Int, _ message: String) { errors.append("\(file):\(at): \(message)") }
        let root: Any?
        do throws(PolicyErrors) { root = try PlainYAML.load(text, file: file) } catch {
            throw ConfigurationErrors(error.errors.map { "\($0.file):\($0.line): \($0.message)" })
        }
        guard let document = root as? [String: Any] else {
            throw ConfigurationErrors(["\(file):1: expected a ManagerConfiguration mapping (apiVersion, kind, spec)"])
        }
        if document["kind"] as? String != kind { fail(line(of: "kind:"), "kind must be \(kind)") }
        if let version = document["apiVersion"] as? String, version != "rampart.io/v1" {
            fail(line(of: "apiVersion:"), "apiVersion must be rampart.io/v1, found '\(version)'")
        }
        guard let spec = document["spec"] as? [String: Any] else {
            throw ConfigurationErrors(errors + ["\(file):1: spec is missing: it lists clusters and firewalls"])
        }
        var configuration = ManagerConfiguration()
        let folder = PathName.folder(of: file)
        func resolve(_ path: String) -> String { path.hasPrefix("/") || folder.isEmpty ? path : "\(folder)/\(path)" }
        let known: Set<String> = ["listen", "probes", "auth", "tls", "firewallTLS", "state", "auditRetentionDays", "firewallCheckSeconds", "clusters", "firewalls"]
        // The line of a dotted key (spec.tls.clientRoles.ops), as deep as it is written.
        func line(ofKey key: String, from: Int = 0) -> Int {
            var at = from
            for part in key.split(separator: ".").dropFirst() {
                guard at < lines.count, let found = lines[at...].firstIndex(where: { $0.contains("\(part):") }) else { break }
                at = found
            }
            return at + 1
        }
        for key in spec.keys.sorted() where !known.contains(key) {
            fail(line(of: "\(key):"), "unknown field 'spec.\(key)'; expected one of \(known.sorted().joined(separator: ", "))")
        }
        if let value = spec["listen"] {
            if let text = value as? String, text.contains(":") { configuration.listen = text } else {
                fail(line(of: "listen:"), "spec.listen must be address:port (e.g. 127.0.0.1:9690)")
            }
        }
        if let value = spec["probes"] {
            if (value as? String) == "off" || (value as? Bool) == false { configuration.probesEnabled = false } else if let text = value as? String, text.contains(":") {
                configuration.probes = text
            } else {
                fail(line(of: "probes:"), "spec.probes must be address:port (e.g. 127.0.0.1:9692, or 0.0.0.0:9692 for kubelet probes) or off")
            }
        }
        if let value = spec["auth"] {
            if let auth = value as? [String: Any], auth.keys.allSatisfy({ $0 == "tokensFile" }), let path = auth["tokensFile"] as? String, !path.isEmpty {
                configuration.tokensFile = resolve(path)
            } else {
                fail(line(of: "auth:"), "spec.auth must be {tokensFile: PATH}: a file of lines 'ROLE NAME TOKEN', mode 0600")
            }
        }
        if let value = spec["tls"] {
            let (tls, problems) = TLSConfiguration.read(value, key: "spec.tls", resolve: resolve)
            configuration.tls = tls
            for problem in problems { fail(line(ofKey: problem.key), problem.message) }
        }
        if let value = spec["firewallTLS"] {
            let (tls, problems) = FirewallClientTLS.read(value, where: "spec.firewallTLS", resolve: resolve)
            configuration.firewallTLS = tls
            for problem in problems { fail(line(of: "firewallTLS:"), problem) }
        }
        if let value = spec["state"] {
            if let text = value as? String, !text.isEmpty { configuration.state = text } else {
                fail(line(of: "state:"), "spec.state must be the path of the SQLite state file")
            }
        }
        if let value = spec["auditRetentionDays"] {
            if let n = value as? Int, n >= 1, n <= 36500 { configuration.auditRetentionDays = n } else {
                fail(line(of: "auditRetentionDays:"), "spec.auditRetentionDays must be between 1 and 36500")
            }
        }
        if let value = spec["firewallCheckSeconds"] {
            let seconds = (value as? Int).map(Double.init) ?? (value as? Double)
            if let seconds, seconds >= 0.5, seconds <= 3600 { configuration.firewallCheckSeconds = seconds } else {
                fail(line(of: "firewallCheckSeconds:"), "spec.firewallCheckSeconds must be between 0.5 and 3600 seconds")
            }
        }
        var searchFrom = 0
        for (index, item) in (spec["clusters"] as? [Any] ?? []).enumerated() {
            guard let cluster = item as? [String: Any], let name = cluster["name"] as? String else {
                fail(line(of: "clusters:"), "spec.clusters[\(index)] needs a name")
                continue
            }
            let at = line(of: name, from: searchFrom)
            searchFrom = at
            let fields: Set<String> = ["name", "id", "kubeconfig", "context", "credentialFile", "server", "inCluster",
                                       "tagStyle", "labels", "excludeLabels", "podSelector", "namespaces", "excludeNamespaces",
                                       "stallTimeout", "watchTimeoutSeconds"]
            for key in cluster.keys.sorted() where !fields.contains(key) {
                fail(line(of: "\(key):", from: at - 1), "cluster '\(name)': unknown field '\(key)'; expected one of \(fields.sorted().joined(separator: ", "))")
            }
            if name.isEmpty || name.count > 20 || !name.allSatisfy({ ($0.isLetter && $0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" }) {
                fail(at, "cluster name '\(name)' must be 1 to 20 lower-case letters, digits or '-' (it is part of tag names)")
            }
            if configuration.clusters.contains(where: { $0.name == name }) { fail(at, "cluster name '\(name)' is used twice") }
            guard let id = cluster["id"] as? Int, (1...2048).contains(id) else {
                fail(at, "cluster '\(name)': id must be 1..2048 (the VNI its tunnels carry)")
                continue
            }
            if configuration.clusters.contains(where: { $0.id == id }) { fail(at, "cluster id \(id) is used twice") }
            let source: ClusterConfiguration.Source
            let sources = ["kubeconfig", "credentialFile", "inCluster"].filter { cluster[$0] != nil }
            if sources.count != 1 {
                fail(at, "cluster '\(name)': give exactly one of kubeconfig, credentialFile (with server) or inCluster: true")
                continue
            }
            if let path = cluster["kubeconfig"] as? String {
                source = .kubeconfig(path: resolve(path), context: cluster["context"] as? String)
            } else if let path = cluster["credentialFile"] as? String {
                source = .credentialFile(path: resolve(path), server: cluster["server"] as? String)
            } else if cluster["inCluster"] as? Bool == true {
                source = .inCluster
            } else {
                fail(at, "cluster '\(name)': kubeconfig and credentialFile are paths; inCluster is true")
                continue
            }
            var entry = ClusterConfiguration(name: name, id: id, source: source)
            if let style = cluster["tagStyle"] {
                if let text = style as? String, let value = TagStyle(rawValue: text) { entry.tagStyle = value } else {
                    fail(line(of: "tagStyle:", from: at - 1), "cluster '\(name)': tagStyle must be rampart, compatible or both")
                }
            }
            if let labels = cluster["labels"] {
                if let list = labels as? [String] { entry.labels.include = list } else {
                    fail(line(of: "labels:", from: at - 1), "cluster '\(name)': labels is a list of label keys (a trailing * matches a prefix)")
                }
            }
            if let extra = cluster["excludeLabels"] as? [String] { entry.labels.exclude += extra }
            entry.podSelector = cluster["podSelector"] as? String
            entry.namespaces = cluster["namespaces"] as? [String]
            entry.excludedNamespaces = cluster["excludeNamespaces"] as? [String] ?? []
            if let value = cluster["stallTimeout"] {
                if let n = value as? Int, n >= 1 { entry.stallTimeout = Double(n) } else if let n = value as? Double, n > 0 { entry.stallTimeout = n } else {
                    fail(line(of: "stallTimeout:", from: at - 1), "cluster '\(name)': stallTimeout is seconds > 0")
                }
            }
            if let value = cluster["watchTimeoutSeconds"] {
                if let n = value as? Int, n >= 1 { entry.watchTimeoutSeconds = n } else {
                    fail(line(of: "watchTimeoutSeconds:", from: at - 1), "cluster '\(name)': watchTimeoutSeconds is a whole number of seconds ≥ 1")
                }
            }
            if let stall = entry.stallTimeout, stall <= Double(entry.watchTimeoutSeconds) {
                fail(line(of: "stallTimeout:", from: at - 1),
                     "cluster '\(name)': stallTimeout (\(cFormat("%g", stall)) s) must be above watchTimeoutSeconds (\(entry.watchTimeoutSeconds) s): an API server sends nothing at all on a watch of a resource that does not change until the watch ends; leave stallTimeout out to derive it")
            }
            configuration.clusters.append(entry)
        }
        if spec["clusters"] != nil && !(spec["clusters"] is [Any]) { fail(line(of: "clusters:"), "spec.clusters must be a list") }
        for (index, item) in (spec["firewalls"] as? [Any] ?? []).enumerated() {
            guard let firewall = item as? [String: Any], let name = firewall["name"] as? String,
                  let admin = firewall["admin"] as? String
            else {
                fail(line(of: "firewalls:"), "spec.firewalls[\(index)] needs a name and admin (http://host:port)")
                continue
            }
            if !admin.hasPrefix("http://") && !admin.hasPrefix("https://") {
                fail(line(of: admin), "firewall '\(name)': admin must be http://host:port or https://host:port, found '\(admin)'")
            }
            if configuration.firewalls.contains(where: { $0.name == name }) { fail(line(of: name), "firewall name '\(name)' is used twice") }
            var clusters: [String]?
            if let value = firewall["clusters"] {
                if let list = value as? [String] {
                    for cluster in list where !configuration.clusters.contains(where: { $0.name == cluster }) {
                        fail(line(of: "clusters:", from: line(of: name) - 1), "firewall '\(name)': no cluster named '\(cluster)' (known: \(configuration.clusters.map(\.name).joined(separator: ", ")))")
                    }
                    clusters = list
                } else {
                    fail(line(of: name), "firewall '\(name)': clusters is a list of cluster names")
                }
            }
            var tokenFile: String?
            if let value = firewall["tokenFile"] {
                if let path = value as? String, !path.isEmpty { tokenFile = resolve(path) } else {
                    fail(line(of: "tokenFile:", from: line(of: name) - 1), "firewall '\(name)': tokenFile is the path of a file holding its admin API token")
                }
            }
            let known: Set<String> = ["name", "admin", "clusters", "tokenFile", "tls"]
            for key in firewall.keys.sorted() where !known.contains(key) {
                fail(line(of: "\(key):", from: line(of: name) - 1), "firewall '\(name)': unknown field '\(key)'; expected one of \(known.sorted().joined(separator: ", "))")
            }
            var tls = admin.hasPrefix("https://") ? configuration.firewallTLS : nil
            if let value = firewall["tls"] {
                let (own, problems) = FirewallClientTLS.read(value, where: "firewall '\(name)': tls", resolve: resolve)
                for problem in problems { fail(line(of: "tls:", from: line(of: name) - 1), problem) }
                if !admin.hasPrefix("https://") {
                    fail(line(of: "tls:", from: line(of: name) - 1), "firewall '\(name)': tls is for an https:// admin API; admin is \(admin)")
                }
                tls = own
            }
            configuration.firewalls.append(FirewallTarget(name: name, admin: admin, clusters: clusters, tokenFile: tokenFile, tls: tls))
        }
        if !errors.isEmpty { throw ConfigurationErrors(errors) }
        return configuration
    }
}

/// Every problem of a configuration file, each as `file:line: message`.
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    public var messages: [String]
    public init(_ messages: [String]) { self.messages = messages }
    public var description: String { messages.joined(separator: "\n") }
}
