import RampartHTTP
import RampartKube
import RampartConfig

/// `spec.imageTrust` of the manager's configuration: the trust rules every watched pod is
/// judged by, in order, first match (docs/image-trust.md).
///
/// ```yaml
/// imageTrust:
///   default: alert                      # allow | alert | deny: an image no rule matches
///   rules:
///     - name: platform                  # named in deny messages, logs and the API
///       clusters: [prod]                # absent: every cluster
///       namespaces: [shop]              # absent: every namespace
///       namespaceSelector: "team in (pay,shop)"
///       registry: registry.example.com  # patterns: * any run (slashes too), ? one character
///       repository: "platform/*"
///       tag: "v*"
///       digest: sha256:…                # the pinned digest, or the one the node pulled
///       effect: allow                   # allow | alert | deny
/// ```
public struct ImageTrustConfiguration: Sendable, Equatable {
    public var policy: ImageTrustPolicy

    public init(policy: ImageTrustPolicy) { self.policy = policy }

    static let keys = ["default", "rules"]
    static let ruleKeys = ["name", "clusters", "namespaces", "namespaceSelector", "registry", "repository", "tag", "digest", "effect"]

    static func read(_ node: YAMLNode, reader r: ConfigReader, clusters known: [String]) -> ImageTrustConfiguration? {
        guard let fields = r.fields(node, "spec.imageTrust", allowed: keys) else { return nil }
        var policy = ImageTrustPolicy()
        if let node = fields["default"] {
            if let effect = node.text.flatMap(ImageTrustEffect.init(rawValue:)) { policy.defaultEffect = effect } else {
                r.error(node.location, "spec.imageTrust.default must be allow, alert or deny (what an image no rule matches gets), found \(r.describe(node))")
            }
        }
        if let node = fields["rules"], !node.isNull, let items = r.list(node, "spec.imageTrust.rules", limit: 10_000) {
            var names: [String] = []
            for (index, item) in items.enumerated() {
                if let rule = readRule(item, index, reader: r, clusters: known, names: names) { policy.rules.append(rule) }
                if let name = item.scalar(forKey: "name") { names.append(name) }
            }
        }
        return ImageTrustConfiguration(policy: policy)
    }

    private static func readRule(_ item: YAMLNode, _ index: Int, reader r: ConfigReader, clusters known: [String], names: [String]) -> ImageTrustRule? {
        let what = item.scalar(forKey: "name").map { "image trust rule '\($0.prefix(80))'" } ?? "spec.imageTrust.rules[\(index)]"
        guard let f = r.fields(item, what, allowed: ruleKeys, required: ["name", "effect"]) else { return nil }
        guard let nameNode = f["name"], let name = r.string(nameNode, "\(what): name"),
              let effectNode = f["effect"]
        else { return nil }
        if name.isEmpty || name.count > 63 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
            r.error(nameNode.location, "\(what): name must be 1 to 63 letters, digits, '-', '_' or '.' (it appears in deny messages)")
        }
        if names.contains(name) { r.error(nameNode.location, "image trust rule name '\(name.prefix(80))' is used twice") }
        guard let effect = effectNode.text.flatMap(ImageTrustEffect.init(rawValue:)) else {
            r.error(effectNode.location, "\(what): effect must be allow, alert or deny, found \(r.describe(effectNode))")
            return nil
        }
        var rule = ImageTrustRule(name: name, effect: effect)
        if let node = f["clusters"], let items = r.strings(node, "\(what): clusters") {
            for (cluster, at) in items where !known.contains(cluster) {
                r.error(at.location, "\(what): no cluster named '\(cluster.prefix(80))' (known: \(known.joined(separator: ", ")))")
            }
            rule.clusters = items.map(\.0)
        }
        if let node = f["namespaces"], let items = r.strings(node, "\(what): namespaces") { rule.namespaces = items.map(\.0) }
        if let node = f["namespaceSelector"], let text = r.string(node, "\(what): namespaceSelector") {
            do throws(LabelSelector.SyntaxError) { rule.namespaceSelector = try LabelSelector.parse(text) } catch {
                r.error(node.location, "\(what): namespaceSelector: \(error.description)")
            }
        }
        if let node = f["registry"], let text = pattern(node, "registry", what, r) {
            var registry = text.lowercased()
            if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = ImageReference.dockerHub }
            rule.registry = ImagePattern(registry)
        }
        if let node = f["repository"], let text = pattern(node, "repository", what, r) {
            // Docker Hub's official images live under library/: `nginx` there is `library/nginx`.
            let official = rule.registry?.text == ImageReference.dockerHub && !text.contains("/") && !text.contains("*")
            rule.repository = ImagePattern(official ? "library/" + text : text)
        }
        if let node = f["tag"], let text = pattern(node, "tag", what, r) { rule.tag = ImagePattern(text) }
        if let node = f["digest"], let text = r.string(node, "\(what): digest") {
            if ImageReference.isDigest(text) { rule.digest = text } else {
                r.error(node.location, "\(what): digest must be sha256: and 64 lower-case hex digits, found '\(text.prefix(80))'")
            }
        }
        return rule
    }

    private static func pattern(_ node: YAMLNode, _ key: String, _ what: String, _ r: ConfigReader) -> String? {
        guard let text = r.string(node, "\(what): \(key)") else { return nil }
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            r.error(node.location, "\(what): \(key) must be a non-empty pattern without spaces (* any run, ? one character)")
            return nil
        }
        return text
    }
}

/// `spec.admission`: the validating admission webhook's HTTPS listener.
///
/// ```yaml
/// admission:
///   listen: 0.0.0.0:9443              # the API server POSTs AdmissionReviews to /admission/CLUSTER
///   tls: {certificate: tls/webhook.crt, key: tls/webhook.key}
///   exemptNamespaces: [kube-system, rampart-system]   # always admitted, never recorded
/// ```
public struct AdmissionConfiguration: Sendable, Equatable {
    public var listen = "0.0.0.0:9443"
    public var tls: TLSConfiguration
    /// Reviews from these namespaces are allowed whatever the rules say: the webhook's
    /// namespaceSelector should keep them from being sent at all; this is the second lock.
    public var exemptNamespaces = ["kube-system"]

    public init(tls: TLSConfiguration) { self.tls = tls }

    static let keys = ["listen", "tls", "exemptNamespaces"]

    static func read(_ node: YAMLNode, reader r: ConfigReader, resolve: (String) -> String) -> AdmissionConfiguration? {
        guard let fields = r.fields(node, "spec.admission", allowed: keys, required: ["tls"]) else { return nil }
        guard let tlsNode = fields["tls"], let tls = TLSConfiguration.read(tlsNode, key: "spec.admission.tls", reader: r, resolve: resolve) else {
            if let tlsNode = fields["tls"], tlsNode.isOff {
                r.error(tlsNode.location, "spec.admission.tls cannot be off: the Kubernetes API server calls webhooks over HTTPS only")
            }
            return nil
        }
        var admission = AdmissionConfiguration(tls: tls)
        if let node = fields["listen"] {
            if let text = node.text, ListenAddress(text) != nil { admission.listen = text } else {
                r.error(node.location, "spec.admission.listen must be address:port (e.g. 0.0.0.0:9443)")
            }
        }
        if let node = fields["exemptNamespaces"], let items = r.strings(node, "spec.admission.exemptNamespaces") {
            admission.exemptNamespaces = items.map(\.0)
        }
        return admission
    }
}
