import FoundationEssentials
import RampartHTTP
import RampartPOSIX
import RampartKube
import RampartConfig
import RampartWire

/// One watched cluster, as the manager's configuration names it.
public struct ClusterConfiguration: Sendable, Equatable {
    /// At most 20 characters (lower-case letters, digits, '-'); used inside tag names, so
    /// it never changes.
    public var name: String
    /// The VNI its nodes' tunnels carry (the node agent's `spec.clusterID`).
    public var clusterID: ClusterID
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
    /// The firewall groups it belongs to: a policy commit targets `all` or one group.
    public var groups: [String] = []

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
    public func tlsSettings() throws(ConfigErrors) -> TLSSettings? {
        guard usesTLS else { return nil }
        return try (tls ?? FirewallClientTLS()).settings(firewall: name)
    }

    /// The `Authorization` header to send, read from `tokenFile` (first line, trimmed).
    public func authorization() throws(ConfigErrors) -> [String] {
        guard let tokenFile else { return [] }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw ConfigErrors(file: tokenFile, "firewall '\(name)': cannot read its tokenFile; it holds the token of a tag-writer line of the firewall's spec.auth.tokensFile")
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map { $0.trimming(.whitespaces) } ?? ""
        guard token.count >= 16, !token.contains(" ") else {
            throw ConfigErrors(file: tokenFile, "firewall '\(name)': a tokenFile must hold one token of at least 16 characters on its first line")
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
    /// The image trust rules (docs/image-trust.md); nil: pods are not judged, no trust tag.
    public var imageTrust: ImageTrustConfiguration?
    /// The validating admission webhook's HTTPS listener; nil: no webhook.
    public var admission: AdmissionConfiguration?
    /// GitOps: the branch whose policy file the manager commits (`spec.policy.git`); nil: none.
    public var gitPolicy: GitPolicySource?
    /// The log store (`spec.logs`); nil: firewalls' records are not collected.
    public var logs: LogStoreConfiguration?
    /// Runtime audits over the log store's records (`spec.audits`); only with `spec.logs`.
    public var audits = AuditSettings()
    /// The web console (docs/console.md); nil: none.
    public var console: ConsoleConfiguration?

    public static let kind = "ManagerConfiguration"

    /// Reads and checks `path`; every problem is reported at once, as file:line:column: message.
    public static func load(path: String) throws(ConfigErrors) -> ManagerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "cannot read the file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses a configuration document; `file` names it in errors, and relative paths are
    /// taken from its folder. Every problem is reported at once, in file order, each with its
    /// `file:line:column` and what was expected; unknown and misspelt keys are refused (the
    /// clusters' and firewalls' entries' too).
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> ManagerConfiguration {
        let reader = ConfigReader(file: file)
        let configuration = read(text, reader: reader, file: file)
        try reader.check()
        guard let configuration else { throw ConfigErrors([ConfigError(file: file, line: 1, column: 1, message: "not a ManagerConfiguration")]) }
        return configuration
    }

    static let specKeys = ["listen", "probes", "auth", "tls", "firewallTLS", "state", "auditRetentionDays", "firewallCheckSeconds", "clusters", "firewalls",
                           "imageTrust", "admission", "console"] + controlKeys
    static let clusterKeys = ["name", "clusterID", "kubeconfig", "context", "credentialFile", "server", "inCluster", "tagStyle", "labels", "excludeLabels",
                              "podSelector", "namespaces", "excludeNamespaces", "stallTimeout", "watchTimeoutSeconds"]
    static let firewallKeys = ["name", "admin", "clusters", "tokenFile", "tls", "groups"]

    private static func read(_ text: String, reader r: ConfigReader, file: String) -> ManagerConfiguration? {
        guard let document = r.document(text), let specNode = r.spec(of: document, kind: kind),
              let spec = r.fields(specNode, "spec", allowed: specKeys)
        else { return nil }
        var configuration = ManagerConfiguration()
        let folder = PathName.folder(of: file)
        func resolve(_ path: String) -> String { path.hasPrefix("/") || folder.isEmpty ? path : "\(folder)/\(path)" }

        if let node = spec["listen"] {
            if let text = node.text, text.contains(":") { configuration.listen = text } else {
                r.error(node.location, "spec.listen must be address:port (e.g. 127.0.0.1:9690)")
            }
        }
        if let node = spec["probes"] {
            if node.isOff { configuration.probesEnabled = false } else if let text = node.text, text.contains(":") { configuration.probes = text } else {
                r.error(node.location, "spec.probes must be address:port (e.g. 127.0.0.1:9692, or 0.0.0.0:9692 for kubelet probes) or off")
            }
        }
        if let node = spec["auth"] {
            let expected = "spec.auth must be {tokensFile: PATH}: a file of lines 'ROLE NAME TOKEN', mode 0600"
            if case .mapping = node {
                let before = r.sink.errors.count
                if let auth = r.fields(node, "spec.auth", allowed: ["tokensFile"]) {
                    if let path = auth["tokensFile"]?.text, !path.isEmpty { configuration.tokensFile = resolve(path) } else if r.sink.errors.count == before {
                        r.error((auth["tokensFile"] ?? node).location, expected)
                    }
                }
            } else {
                r.error(node.location, expected)
            }
        }
        if let node = spec["console"] { configuration.console = ConsoleConfiguration.read(node, reader: r, resolve: resolve) }
        if let node = spec["tls"] { configuration.tls = TLSConfiguration.read(node, key: "spec.tls", reader: r, resolve: resolve) }
        if let node = spec["firewallTLS"] { configuration.firewallTLS = FirewallClientTLS.read(node, "spec.firewallTLS", reader: r, resolve: resolve) }
        if let node = spec["state"] {
            if let text = node.text, !text.isEmpty { configuration.state = text } else {
                r.error(node.location, "spec.state must be the path of the SQLite state file")
            }
        }
        if let node = spec["auditRetentionDays"] {
            if let n = node.text.flatMap({ Int($0) }), (1...36500).contains(n) { configuration.auditRetentionDays = n } else {
                r.error(node.location, "spec.auditRetentionDays must be between 1 and 36500")
            }
        }
        if let node = spec["firewallCheckSeconds"] {
            if let seconds = seconds(node), seconds >= 0.5, seconds <= 3600 { configuration.firewallCheckSeconds = seconds } else {
                r.error(node.location, "spec.firewallCheckSeconds must be between 0.5 and 3600 seconds")
            }
        }
        var clusterNames: [String] = []
        // A list left empty (`clusters:` with its entries commented out) lists nothing.
        if let node = spec["clusters"], !node.isNull, let items = r.list(node, "spec.clusters", limit: 2048) {
            var names: [String] = []
            for (index, item) in items.enumerated() {
                if let cluster = readCluster(item, index, reader: r, resolve: resolve, names: names, known: configuration.clusters) {
                    configuration.clusters.append(cluster)
                }
                if let name = item.scalar(forKey: "name"), !names.contains(name) { names.append(name) }
            }
            clusterNames = names
        }
        if let node = spec["firewalls"], !node.isNull, let items = r.list(node, "spec.firewalls", limit: 10_000) {
            var names: [String] = []
            for (index, item) in items.enumerated() {
                if let firewall = readFirewall(item, index, reader: r, resolve: resolve, clusters: clusterNames, names: names,
                                               firewallTLS: configuration.firewallTLS) {
                    configuration.firewalls.append(firewall)
                }
                if let name = item.scalar(forKey: "name") { names.append(name) }
            }
        }
        if let node = spec["imageTrust"], !node.isNull {
            configuration.imageTrust = ImageTrustConfiguration.read(node, reader: r, clusters: clusterNames)
        }
        if let node = spec["admission"], !node.isNull {
            configuration.admission = AdmissionConfiguration.read(node, reader: r, resolve: resolve)
        }
        readControl(spec, into: &configuration, reader: r, resolve: resolve)
        if let git = configuration.gitPolicy, git.target != "all", !configuration.firewallGroups.contains(git.target), let node = spec["policy"] {
            r.error(node.location, "spec.policy.git.target '\(git.target.prefix(80))' is neither all nor a group of spec.firewalls")
        }
        return configuration
    }

    /// A number of seconds, whole or decimal.
    private static func seconds(_ node: YAMLNode) -> Double? {
        guard case .scalar(let text, true, _) = node, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    private static func readCluster(_ item: YAMLNode, _ index: Int, reader r: ConfigReader, resolve: (String) -> String,
                                    names: [String], known: [ClusterConfiguration]) -> ClusterConfiguration? {
        let what = item.scalar(forKey: "name").map { "cluster '\($0.prefix(80))'" } ?? "spec.clusters[\(index)]"
        guard case .mapping = item else {
            r.error(item.location, "spec.clusters[\(index)] must be a mapping {name, clusterID, kubeconfig | credentialFile | inCluster, ...}, found \(r.describe(item))")
            return nil
        }
        guard let c = r.fields(item, what, allowed: clusterKeys) else { return nil }
        guard let nameNode = c["name"], let name = nameNode.text else {
            r.error((c["name"] ?? item).location, "spec.clusters[\(index)] needs a name")
            return nil
        }
        func fail(_ at: YAMLNode, _ message: String) { r.error(at.location, message) }
        if name.isEmpty || name.count > 20 || !name.allSatisfy({ ($0.isLetter && $0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" }) {
            fail(nameNode, "cluster name '\(name.prefix(80))' must be 1 to 20 lower-case letters, digits or '-' (it is part of tag names)")
        }
        if names.contains(name) { fail(nameNode, "cluster name '\(name.prefix(80))' is used twice") }
        guard let idNode = c["clusterID"], let id = idNode.text.flatMap({ Int($0) }).flatMap(ClusterID.init) else {
            fail(c["clusterID"] ?? item, "cluster '\(name)': clusterID must be 1..2048 (the VNI its tunnels carry)")
            return nil
        }
        if known.contains(where: { $0.clusterID == id }) { fail(idNode, "clusterID \(id) is used twice") }
        var source = ClusterConfiguration.Source.inCluster
        let sources = ["kubeconfig", "credentialFile", "inCluster"].compactMap { c[$0] }
        if sources.count != 1 {
            fail(sources.dropFirst().first ?? item, "cluster '\(name)': give exactly one of kubeconfig, credentialFile (with server) or inCluster: true")
            return nil
        } else if c["inCluster"] == nil, let path = sources[0].text {
            if c["kubeconfig"] != nil {
                source = .kubeconfig(path: resolve(path), context: c["context"].flatMap { r.string($0, "cluster '\(name)': context") })
            } else {
                source = .credentialFile(path: resolve(path), server: c["server"].flatMap { r.string($0, "cluster '\(name)': server") })
            }
        } else if case .scalar("true", true, _)? = c["inCluster"] {
            // The pod's own service account: the default.
        } else {
            fail(sources[0], "cluster '\(name)': kubeconfig and credentialFile are paths; inCluster is true")
            return nil
        }
        var entry = ClusterConfiguration(name: name, clusterID: id, source: source)
        if let node = c["tagStyle"] {
            if let style = node.text.flatMap(TagStyle.init(rawValue:)) { entry.tagStyle = style } else {
                fail(node, "cluster '\(name)': tagStyle must be rampart, compatible or both")
            }
        }
        func strings(_ key: String, _ expected: String) -> [String]? {
            guard let node = c[key] else { return nil }
            guard case .sequence(let items, _) = node, items.allSatisfy({ $0.text != nil }) else {
                fail(node, "cluster '\(name)': \(expected)")
                return nil
            }
            return items.compactMap(\.text)
        }
        if let labels = strings("labels", "labels is a list of label keys (a trailing * matches a prefix)") { entry.labels.include = labels }
        if let labels = strings("excludeLabels", "excludeLabels is a list of label keys (a trailing * matches a prefix)") { entry.labels.exclude += labels }
        entry.podSelector = c["podSelector"].flatMap { r.string($0, "cluster '\(name)': podSelector") }
        entry.namespaces = strings("namespaces", "namespaces is a list of namespace names")
        entry.excludedNamespaces = strings("excludeNamespaces", "excludeNamespaces is a list of namespace names") ?? []
        if let node = c["watchTimeoutSeconds"] {
            if let n = node.text.flatMap({ Int($0) }), n >= 1 { entry.watchTimeoutSeconds = n } else {
                fail(node, "cluster '\(name)': watchTimeoutSeconds is a whole number of seconds ≥ 1")
            }
        }
        if let node = c["stallTimeout"] {
            if let stall = seconds(node), stall > 0 {
                entry.stallTimeout = stall
                if stall <= Double(entry.watchTimeoutSeconds) {
                    fail(node, "cluster '\(name)': stallTimeout (\(cFormat("%g", stall)) s) must be above watchTimeoutSeconds (\(entry.watchTimeoutSeconds) s): an API server sends nothing at all on a watch of a resource that does not change until the watch ends; leave stallTimeout out to derive it")
                }
            } else {
                fail(node, "cluster '\(name)': stallTimeout is seconds > 0")
            }
        }
        return entry
    }

    private static func readFirewall(_ item: YAMLNode, _ index: Int, reader r: ConfigReader, resolve: (String) -> String,
                                     clusters known: [String], names: [String], firewallTLS: FirewallClientTLS?) -> FirewallTarget? {
        let what = item.scalar(forKey: "name").map { "firewall '\($0.prefix(80))'" } ?? "spec.firewalls[\(index)]"
        let needs = "spec.firewalls[\(index)] needs a name and admin (http://host:port)"
        guard case .mapping = item else {
            r.error(item.location, needs)
            return nil
        }
        guard let f = r.fields(item, what, allowed: firewallKeys) else { return nil }
        guard let nameNode = f["name"], let name = nameNode.text, let adminNode = f["admin"], let admin = adminNode.text else {
            r.error(item.location, needs)
            return nil
        }
        func fail(_ at: YAMLNode, _ message: String) { r.error(at.location, message) }
        let https = admin.hasPrefix("https://")
        if !admin.hasPrefix("http://") && !https {
            fail(adminNode, "firewall '\(name)': admin must be http://host:port or https://host:port, found '\(admin.prefix(200))'")
        }
        if names.contains(name) { fail(nameNode, "firewall name '\(name)' is used twice") }
        var clusters: [String]?
        if let node = f["clusters"] {
            if case .sequence(let items, _) = node, items.allSatisfy({ $0.text != nil }) {
                for item in items where !known.contains(item.text!) {
                    fail(item, "firewall '\(name)': no cluster named '\(item.text!.prefix(80))' (known: \(known.joined(separator: ", ")))")
                }
                clusters = items.compactMap(\.text)
            } else {
                fail(node, "firewall '\(name)': clusters is a list of cluster names")
            }
        }
        var tokenFile: String?
        if let node = f["tokenFile"] {
            if let path = node.text, !path.isEmpty { tokenFile = resolve(path) } else {
                fail(node, "firewall '\(name)': tokenFile is the path of a file holding its admin API token")
            }
        }
        var tls = https ? firewallTLS : nil
        if let node = f["tls"] {
            tls = FirewallClientTLS.read(node, "firewall '\(name)': tls", reader: r, resolve: resolve)
            if !https { fail(node, "firewall '\(name)': tls is for an https:// admin API; admin is \(admin.prefix(200))") }
        }
        var target = FirewallTarget(name: name, admin: admin, clusters: clusters, tokenFile: tokenFile, tls: tls)
        if let node = f["groups"], let groups = r.strings(node, "firewall '\(name)': groups") {
            for (group, at) in groups where group == "all" || group.isEmpty || group.count > 63 {
                r.error(at.location, "firewall '\(name)': group '\(group.prefix(80))' must be 1 to 63 characters and not 'all' (every firewall is in all)")
            }
            target.groups = groups.map(\.0)
        }
        return target
    }
}
