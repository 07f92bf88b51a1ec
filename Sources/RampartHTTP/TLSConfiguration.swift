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
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
