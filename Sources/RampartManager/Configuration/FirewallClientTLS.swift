import FoundationEssentials
import RampartConfig
import RampartKube

#if canImport(Glibc)
import Glibc
#endif

/// How the manager speaks to a firewall whose admin API is `https://`: the CA that signs the
/// firewall's certificate (verified, with the URL's host, on every connection) and the
/// client certificate it presents, whose identity the firewall's `spec.tls.clientRoles`
/// gives the role tag-writer (mutual TLS).
///
/// ```yaml
/// firewallTLS:                      # every https:// firewall's, unless it has its own tls:
///   ca: /etc/rampart/tls/ca.crt     # absent: the system's CA bundle
///   certificate: /etc/rampart/tls/tls.crt
///   key: /etc/rampart/tls/tls.key
/// ```
///
/// The files are read before every push; when they changed (a renewed certificate), the
/// pusher opens its next connection with the new ones.
public struct FirewallClientTLS: Sendable, Equatable {
    /// PEM: the CA certificates that sign the firewall's certificate; nil: the system's bundle.
    public var ca: String?
    /// PEM: the certificate presented to the firewall (leaf first); nil: none (TLS without a
    /// client certificate: the firewall then needs the bearer token of `tokenFile`).
    public var certificate: String?
    /// PEM: its private key.
    public var key: String?

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }

    static let fields = ["ca", "certificate", "key"]

    /// Reads a `tls:` mapping of the configuration through the shared reader, each problem
    /// recorded in `r` at its position (`what` names it in messages, e.g. "spec.firewallTLS"
    /// or "firewall 'fw-1': tls"); relative paths through `resolve`. Nil when it has a problem.
    static func read(_ node: YAMLNode, _ what: String, reader r: ConfigReader, resolve: (String) -> String) -> FirewallClientTLS? {
        guard case .mapping = node else {
            r.error(node.location, "\(what) must be a mapping {ca: PATH, certificate: PATH, key: PATH}, found \(r.describe(node))")
            return nil
        }
        let before = r.sink.errors.count
        guard let block = r.fields(node, what, allowed: fields) else { return nil }
        func path(_ field: String, _ meaning: String) -> String? {
            guard let value = block[field] else { return nil }
            guard let text = value.text, !text.isEmpty else {
                r.error(value.location, "\(what).\(field) must be the path of \(meaning), found \(r.describe(value))")
                return nil
            }
            return resolve(text)
        }
        let tls = FirewallClientTLS(
            ca: path("ca", "a PEM file of the CA certificates that sign the firewalls' certificates"),
            certificate: path("certificate", "a PEM file holding the manager's client certificate"),
            key: path("key", "a PEM file holding the client certificate's private key"))
        if (block["certificate"] == nil) != (block["key"] == nil) {
            r.error(node.location, "\(what): certificate and key go together (the client certificate and its private key)")
        }
        return r.sink.errors.count == before ? tls : nil
    }

    /// The files' contents for libcurl; errors name the firewall, the file and what to do.
    public func settings(firewall: String) throws(ConfigErrors) -> TLSSettings {
        func load(_ path: String?, _ what: String) throws(ConfigErrors) -> [UInt8]? {
            guard let path else { return nil }
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
                let reason = access(path, R_OK) == 0 ? "it is empty" : String(cString: strerror(errno))
                throw ConfigErrors(file: path, "firewall '\(firewall)': cannot read the \(what) (\(reason)); put the PEM file there (docs/manager.md, \"Firewalls over mutual TLS\")")
            }
            return Array(data)
        }
        if let key {
            var info = stat()
            if stat(key, &info) == 0, info.st_mode & 0o004 != 0 {
                throw ConfigErrors(file: key, "firewall '\(firewall)': the private key is readable by every user (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(key)")
            }
        }
        return TLSSettings(certificateAuthority: try load(ca, "CA bundle"), clientCertificate: try load(certificate, "client certificate"),
                           clientKey: try load(key, "client key"))
    }
}
