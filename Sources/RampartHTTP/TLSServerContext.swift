import COpenSSL
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// A TLS listener's OpenSSL context, made from a `TLSConfiguration`: the certificate and its
/// key, TLS 1.2 or later, and, with a client CA, client certificates asked for (optional) or
/// demanded (required) and verified against it.
///
/// Every file is checked when it is made, so a daemon refuses to start (or `--check` fails)
/// with a message that names the setting, the file and what to do. The files are looked at
/// again at most every `reloadInterval` seconds as connections arrive: when one changed (a
/// renewed certificate, a Kubernetes Secret updated in place) and the new set loads, new
/// connections use it; connections already open keep the old one; a set that does not load
/// is logged once and the running one stays.
///
/// ```swift
/// let tls = try TLSServerContext(TLSConfiguration(certificate: "tls.crt", key: "tls.key", clientCA: "ca.crt"),
///                                setting: "spec.tls")
/// let server = try HTTPServer(name: "admin", listen: "0.0.0.0:9680", access: .open, tls: tls) { _ in ... }
/// ```
public final class TLSServerContext: @unchecked Sendable {
    public let configuration: TLSConfiguration
    /// Where the block sits in its file (`spec.tls`), for messages.
    public let setting: String
    /// Seconds between looks at the files' identities (device, inode, size, time).
    public var reloadInterval = 5.0
    /// Where reloads are reported (the server sets its own log).
    public var log: @Sendable (String) -> Void = { StandardError.write($0 + "\n") }

    private let lock = Lock()
    private var context: OpaquePointer
    private var signature: [FileSignature]
    private var lastLook: Double
    private var lastFailure: String?
    /// How many times the files were reloaded since start.
    public private(set) var reloads = 0

    public init(_ configuration: TLSConfiguration, setting: String = "spec.tls") throws(HTTPConfigurationError) {
        self.configuration = configuration
        self.setting = setting
        signature = TLSServerContext.signatures(of: configuration)
        context = try TLSServerContext.make(configuration, setting: setting)
        lastLook = TLSServerContext.now()
    }

    deinit { SSL_CTX_free(context) }

    /// The roles of a client identity; none when `clientRoles` does not name it.
    public func roles(of identity: String) -> [TokenRole] { configuration.clientRoles[identity] ?? [] }

    /// A server-side TLS session over the accepted socket `fd`, from the current context (the
    /// files looked at again first when `reloadInterval` has passed); nil when OpenSSL cannot
    /// make one. The session holds its own reference to the context, so a reload never pulls
    /// it from under an open connection.
    func session(fd: Int32) -> TLSSession? {
        lock.withLock {
            let now = TLSServerContext.now()
            if now - lastLook >= reloadInterval {
                lastLook = now
                reloadIfChanged()
            }
            return TLSSession(context: context, fd: fd)
        }
    }

    /// Reloads the files if they changed (called under `lock`).
    private func reloadIfChanged() {
        let seen = TLSServerContext.signatures(of: configuration)
        guard seen != signature else { return }
        do {
            let fresh = try TLSServerContext.make(configuration, setting: setting)
            SSL_CTX_free(context)
            context = fresh
            signature = seen
            lastFailure = nil
            reloads += 1
            log("\(setting): certificate files changed; new connections use them (\(configuration.certificate))")
        } catch {
            // Logged once per change of the files: a half-written renewal is retried at the next look.
            if lastFailure != error.description {
                lastFailure = error.description
                log("\(setting): certificate files changed but cannot be used, the running ones stay: \(error.description)")
            }
        }
    }

    /// Looks at the files now, whatever the interval (tests; a daemon's SIGHUP).
    public func reloadNow() {
        lock.withLock {
            lastLook = TLSServerContext.now()
            reloadIfChanged()
        }
    }

    // MARK: making a context

    static func make(_ configuration: TLSConfiguration, setting: String) throws(HTTPConfigurationError) -> OpaquePointer {
        try readable(configuration.certificate, "\(setting).certificate", "this listener's PEM certificate (then its chain)")
        try readable(configuration.key, "\(setting).key", "the certificate's PEM private key")
        try notWorldReadable(configuration.key, "\(setting).key")
        if let ca = configuration.clientCA {
            try readable(ca, "\(setting).clientCA", "the PEM certificates of the CA that signs the clients' certificates")
        }
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw HTTPConfigurationError("\(setting): OpenSSL cannot make a TLS context: \(openSSLErrors())")
        }
        func fail(_ message: String) -> HTTPConfigurationError {
            let reason = openSSLErrors()
            SSL_CTX_free(context)
            return HTTPConfigurationError(message + (reason.isEmpty ? "" : " (\(reason))"))
        }
        guard rampart_ssl_ctx_set_min_tls12(context) == 1 else { throw fail("\(setting): OpenSSL refuses TLS 1.2 as the lowest version") }
        rampart_ssl_ctx_set_nonblocking_modes(context)
        rampart_ssl_ctx_set_hardening_options(context)
        guard SSL_CTX_use_certificate_chain_file(context, configuration.certificate) == 1 else {
            throw fail("\(setting).certificate: \(configuration.certificate) is not a usable PEM certificate chain; it must hold the listener's certificate first, then any intermediate CA certificates")
        }
        guard SSL_CTX_use_PrivateKey_file(context, configuration.key, rampart_ssl_filetype_pem()) == 1 else {
            // OpenSSL compares the key with the certificate as it loads it.
            if rampart_err_is_key_mismatch(ERR_peek_last_error()) != 0 {
                throw fail("\(setting).key: \(configuration.key) is not the private key of the certificate in \(configuration.certificate)")
            }
            throw fail("\(setting).key: \(configuration.key) is not a usable PEM private key (an unencrypted key is needed: the daemon asks nobody for a passphrase)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw fail("\(setting).key: \(configuration.key) is not the private key of the certificate in \(configuration.certificate)")
        }
        // Resumed sessions keep the client's verified certificate; they need an id context.
        let id = Array("rampart".utf8)
        _ = SSL_CTX_set_session_id_context(context, id, UInt32(id.count))
        if let ca = configuration.clientCA {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else {
                throw fail("\(setting).clientCA: \(ca) holds no usable PEM CA certificate")
            }
            // The names of acceptable CAs, sent in the CertificateRequest so clients holding
            // several certificates pick the right one.
            if let names = SSL_load_client_CA_file(ca) { SSL_CTX_set_client_CA_list(context, names) }
            var mode = SSL_VERIFY_PEER
            if configuration.clientCertificates == .required { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
            SSL_CTX_set_verify(context, mode, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        return context
    }

    private static func readable(_ path: String, _ setting: String, _ meaning: String) throws(HTTPConfigurationError) {
        guard access(path, R_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            throw HTTPConfigurationError("\(setting): cannot read \(path) (\(reason)); put \(meaning) there, or remove the tls block to serve plain HTTP (docs/security.md, \"Mutual TLS\")")
        }
    }

    /// A private key anyone on the host can read is no secret: refused as the tokens file is.
    private static func notWorldReadable(_ path: String, _ setting: String) throws(HTTPConfigurationError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if info.st_mode & 0o004 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw HTTPConfigurationError("\(setting): the private key \(path) is readable by every user (mode \(mode)); run chmod 600 \(path) (or 640 for one group; in Kubernetes, a Secret volume with defaultMode: 0440)")
        }
    }

    /// What identifies a file's content without reading it: a renewal replaces or rewrites it.
    struct FileSignature: Equatable {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var size: Int64 = -1
        var seconds: Int = 0
        var nanoseconds: Int = 0
    }

    static func signatures(of configuration: TLSConfiguration) -> [FileSignature] {
        [configuration.certificate, configuration.key, configuration.clientCA].map { path in
            var info = stat()
            guard let path, stat(path, &info) == 0 else { return FileSignature() }
            return FileSignature(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                                 seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        }
    }

    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// This thread's OpenSSL error queue as text (emptied): "SSL routines: ee key too small; ...".
func openSSLErrors() -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
        if !parts.contains(reason) { parts.append(reason) }
    }
    return parts.joined(separator: "; ")
}
