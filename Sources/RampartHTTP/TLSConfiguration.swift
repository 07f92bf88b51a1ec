/// How an API listener speaks TLS, as a daemon's configuration says it (the `tls:` block
/// of the firewall's and the manager's configuration files):
///
/// ```yaml
/// tls:
///   certificate: /etc/rampart/tls/tls.crt   # PEM: this listener's certificate, then its chain
///   key: /etc/rampart/tls/tls.key           # PEM: its private key (not readable by every user)
///   clientCA: /etc/rampart/tls/ca.crt       # the CA(s) that sign the clients' certificates
///   clientCertificates: required            # required (with clientCA, the default) or optional
///   clientRoles:                            # a client's identity -> its roles
///     rampart-manager: tag-writer
///     ops: [read-only, policy-writer]
/// ```
///
/// A client's identity is its certificate's subject common name, else the first DNS name
/// of its subjectAltName. With `required`, a client without a certificate the CA signed
/// fails the handshake; with `optional`, it may still come in with a bearer token.
public struct TLSConfiguration: Sendable, Equatable {
    /// Whether clients are asked for a certificate.
    public enum ClientCertificates: String, Sendable, Equatable {
        /// Not asked (no `clientCA`): TLS protects the channel, tokens say who calls.
        case none
        /// Asked for and verified when sent; a client without one needs a bearer token.
        case optional
        /// No handshake completes without a certificate signed by `clientCA` (mutual TLS).
        case required
    }

    /// PEM file: the listener's certificate, followed by any intermediate certificates.
    public var certificate: String
    /// PEM file: the certificate's private key.
    public var key: String
    /// PEM file of the CA certificates that sign clients' certificates; nil: none asked for.
    public var clientCA: String?
    public var clientCertificates: ClientCertificates
    /// The roles of each client identity; an identity not named here may do nothing.
    public var clientRoles: [String: [TokenRole]]

    public init(certificate: String, key: String, clientCA: String? = nil,
                clientCertificates: ClientCertificates? = nil, clientRoles: [String: [TokenRole]] = [:]) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
        self.clientCertificates = clientCertificates ?? (clientCA == nil ? .none : .required)
        self.clientRoles = clientRoles
    }

    /// Every caller proves who it is in the handshake, so the listener may leave loopback
    /// without bearer tokens.
    public var requiresClientCertificates: Bool { clientCertificates == .required }

    /// A short description for start-up lines: "TLS, client certificates required (2 identities)".
    public var summary: String {
        switch clientCertificates {
        case .none: "TLS"
        case .optional: "TLS, client certificates optional (\(clientRoles.count) identities with roles)"
        case .required: "mutual TLS, client certificates required (\(clientRoles.count) identities with roles)"
        }
    }

    /// One thing wrong with a `tls:` block: the dotted key it is about
    /// (`spec.tls.clientRoles.ops`) and what was expected.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var message: String
        public var description: String { message }
    }

    static let fields = ["certificate", "key", "clientCA", "clientCertificates", "clientRoles"]

    /// Reads a `tls:` value as the configuration readers hand it over (a mapping of strings,
    /// lists and mappings; `off` or `false` for none). `key` is where it sits (`spec.tls`),
    /// for messages; `resolve` turns a relative path into the one to open. Every problem is
    /// returned, none thrown, so the caller can report them with the rest of its file.
    public static func read(_ value: Any, key: String, resolve: (String) -> String = { $0 }) -> (TLSConfiguration?, [Problem]) {
        if (value as? String) == "off" || (value as? Bool) == false { return (nil, []) }
        guard let block = value as? [String: Any] else {
            return (nil, [Problem(key: key, message: "\(key) must be a mapping {certificate: PATH, key: PATH, clientCA: PATH, clientCertificates: required|optional, clientRoles: {IDENTITY: ROLE}} or off, found '\(value)'")])
        }
        var problems: [Problem] = []
        func problem(_ field: String, _ message: String) { problems.append(Problem(key: "\(key).\(field)", message: message)) }
        for field in block.keys.sorted() where !fields.contains(field) {
            problem(field, "unknown field '\(key).\(field)'; expected one of \(fields.joined(separator: ", "))")
        }
        func path(_ field: String, _ meaning: String) -> String? {
            guard let raw = block[field] else { return nil }
            guard let text = raw as? String, !text.isEmpty else {
                problem(field, "\(key).\(field) must be the path of \(meaning), found '\(raw)'")
                return nil
            }
            return resolve(text)
        }
        let certificate = path("certificate", "a PEM file holding this listener's certificate (and its chain)")
        let privateKey = path("key", "a PEM file holding the certificate's private key")
        let clientCA = path("clientCA", "a PEM file of the CA certificates that sign the clients' certificates")
        if block["certificate"] == nil {
            problem("certificate", "\(key).certificate is missing: the path of a PEM file holding this listener's certificate (and its chain)")
        }
        if block["key"] == nil {
            problem("key", "\(key).key is missing: the path of a PEM file holding the certificate's private key")
        }
        var mode: ClientCertificates?
        if let raw = block["clientCertificates"] {
            if let text = raw as? String, let value = ClientCertificates(rawValue: text), value != .none {
                mode = value
            } else {
                problem("clientCertificates", "\(key).clientCertificates must be required (no handshake without a certificate the clientCA signed) or optional (a client without one needs a bearer token), found '\(raw)'")
            }
            if block["clientCA"] == nil {
                problem("clientCertificates", "\(key).clientCertificates needs \(key).clientCA: the CA certificates that sign the clients' certificates")
            }
        }
        var roles: [String: [TokenRole]] = [:]
        if let raw = block["clientRoles"] {
            if block["clientCA"] == nil {
                problem("clientRoles", "\(key).clientRoles needs \(key).clientCA: without it no client presents a certificate")
            }
            if let mapping = raw as? [String: Any] {
                for identity in mapping.keys.sorted() {
                    let value = mapping[identity]!
                    let words: [String]?
                    if let text = value as? String {
                        words = text.split(separator: ",").map { String($0).trimmingSpaces }
                    } else if let list = value as? [Any], list.allSatisfy({ $0 is String }) {
                        words = list.map { ($0 as! String).trimmingSpaces }
                    } else {
                        words = nil
                    }
                    let parsed = (words ?? []).compactMap(TokenRole.init(rawValue:))
                    guard let words, !words.isEmpty, parsed.count == words.count, !identity.isEmpty else {
                        problem("clientRoles.\(identity)", "\(key).clientRoles.\(identity) must be a role or a list of roles (\(TokenRole.allCases.map(\.rawValue).joined(separator: ", "))), found '\(value)'")
                        continue
                    }
                    roles[identity] = parsed
                }
            } else {
                problem("clientRoles", "\(key).clientRoles must be a mapping of client identities (a certificate's common name) to roles, e.g. {rampart-manager: tag-writer}, found '\(raw)'")
            }
        }
        guard problems.isEmpty, let certificate, let privateKey else { return (nil, problems) }
        return (TLSConfiguration(certificate: certificate, key: privateKey, clientCA: clientCA, clientCertificates: mode, clientRoles: roles), [])
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
