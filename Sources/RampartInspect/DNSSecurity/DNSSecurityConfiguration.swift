/// The DNS security stage's limits (`EngineConfiguration.dnsSecurity`).
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.dnsSecurity.tunnelParents = 16_384
/// ```
public struct DNSSecurityConfiguration: Sendable {
    /// Parent domains whose queries the tunnelling detection tracks at once, per engine
    /// (rounded up to a power of two). About 100 bytes each. When the probed slots are all
    /// active, a new parent is not tracked: `dns_tunnel_parents` is counted on
    /// `rampart_limit_reached_total` and `dns.tunnel_table_full` logged.
    public var tunnelParents = 4096
    /// Another DGA model than the built-in one (`DGAModel.parse` of a file written by
    /// scripts/dga/train.py); nil: the built-in.
    public var model: DGAModel?

    public init() {}
}
