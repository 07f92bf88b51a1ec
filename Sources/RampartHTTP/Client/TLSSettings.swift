/// How to trust a server and how to prove who we are: PEM bytes held in memory, as a
/// kubeconfig's `*-data` fields or a service-account credential file provide them.
///
/// ```swift
/// let tls = TLSSettings(certificateAuthority: Array(caPEM.utf8))
/// ```
public struct TLSSettings: Sendable, Equatable {
    /// The CA bundle that signs the server's certificate; nil trusts the system's bundle.
    public var certificateAuthority: [UInt8]?
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    /// Skips server verification (kubeconfig `insecure-skip-tls-verify`); logged loudly.
    public var insecureSkipVerify: Bool

    public init(
        certificateAuthority: [UInt8]? = nil, clientCertificate: [UInt8]? = nil, clientKey: [UInt8]? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
    }
}
