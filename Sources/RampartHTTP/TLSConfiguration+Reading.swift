import RampartConfig

extension TLSConfiguration {
    static let fields = ["certificate", "key", "clientCA", "clientCertificates", "clientRoles"]

    /// Reads a `tls:` block of a configuration file (`off` or `false` for none) through the
    /// shared reader: every problem is recorded in `reader` at its position, none thrown, so
    /// it is reported with the rest of the file. `key` is where the block sits (`spec.tls`),
    /// for messages; `resolve` turns a relative path into the one to open. Nil when the block
    /// is off or has a problem.
    ///
    /// ```swift
    /// let reader = ConfigReader(file: "m.yaml")
    /// let tls = TLSConfiguration.read(node, key: "spec.tls", reader: reader, resolve: { "/etc/rampart/" + $0 })
    /// try reader.check()
    /// ```
    public static func read(_ node: YAMLNode, key: String, reader r: ConfigReader, resolve: (String) -> String = { $0 }) -> TLSConfiguration? {
        if node.isOff { return nil }
        guard case .mapping = node else {
            r.error(node.location, "\(key) must be a mapping {certificate: PATH, key: PATH, clientCA: PATH, clientCertificates: required|optional, clientRoles: {IDENTITY: ROLE}} or off, found \(r.describe(node))")
            return nil
        }
        let before = r.sink.errors.count
        func fail(_ at: YAMLNode, _ message: String) { r.error(at.location, message) }
        guard let block = r.fields(node, key, allowed: fields) else { return nil }
        func path(_ field: String, _ meaning: String) -> String? {
            guard let value = block[field] else { return nil }
            guard case .scalar(let text, _, _) = value, !value.isNull, !text.isEmpty else {
                fail(value, "\(key).\(field) must be the path of \(meaning), found \(r.describe(value))")
                return nil
            }
            return resolve(text)
        }
        let certificate = path("certificate", "a PEM file holding this listener's certificate (and its chain)")
        let privateKey = path("key", "a PEM file holding the certificate's private key")
        let clientCA = path("clientCA", "a PEM file of the CA certificates that sign the clients' certificates")
        if block["certificate"] == nil {
            fail(node, "\(key).certificate is missing: the path of a PEM file holding this listener's certificate (and its chain)")
        }
        if block["key"] == nil {
            fail(node, "\(key).key is missing: the path of a PEM file holding the certificate's private key")
        }
        var mode: ClientCertificates?
        if let value = block["clientCertificates"] {
            if case .scalar(let text, _, _) = value, let chosen = ClientCertificates(rawValue: text), chosen != .none {
                mode = chosen
            } else {
                fail(value, "\(key).clientCertificates must be required (no handshake without a certificate the clientCA signed) or optional (a client without one needs a bearer token), found \(r.describe(value))")
            }
            if block["clientCA"] == nil {
                fail(value, "\(key).clientCertificates needs \(key).clientCA: the CA certificates that sign the clients' certificates")
            }
        }
        var roles: [String: [TokenRole]] = [:]
        if let value = block["clientRoles"] {
            if block["clientCA"] == nil {
                fail(value, "\(key).clientRoles needs \(key).clientCA: without it no client presents a certificate")
            }
            if case .mapping = value {
                let identities = r.members(value, "\(key).clientRoles") ?? [:]
                for (identity, given) in identities.sorted(by: { $0.key < $1.key }) {
                    let words: [String]?
                    switch given {
                    case .scalar(let text, _, _) where !given.isNull:
                        words = text.split(separator: ",").map { String($0).trimmingSpaces }
                    case .sequence(let items, _):
                        var list: [String]? = []
                        for item in items {
                            guard case .scalar(let text, _, _) = item, !item.isNull else { list = nil; break }
                            list?.append(text.trimmingSpaces)
                        }
                        words = list
                    default:
                        words = nil
                    }
                    let parsed = (words ?? []).compactMap(TokenRole.init(rawValue:))
                    guard let words, !words.isEmpty, parsed.count == words.count, !identity.isEmpty else {
                        fail(given, "\(key).clientRoles.\(identity.prefix(80)) must be a role or a list of roles (\(TokenRole.allCases.map(\.rawValue).joined(separator: ", "))), found \(r.describe(given))")
                        continue
                    }
                    roles[identity] = parsed
                }
            } else {
                fail(value, "\(key).clientRoles must be a mapping of client identities (a certificate's common name) to roles, e.g. {rampart-manager: tag-writer}, found \(r.describe(value))")
            }
        }
        // Anything recorded since the block began (unknown fields included) leaves it unread.
        guard r.sink.errors.count == before, let certificate, let privateKey else { return nil }
        return TLSConfiguration(certificate: certificate, key: privateKey, clientCA: clientCA, clientCertificates: mode, clientRoles: roles)
    }
}
