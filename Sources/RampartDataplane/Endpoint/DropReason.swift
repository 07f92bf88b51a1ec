/// Why the data plane dropped a datagram before or after the engine: each reason has a
/// counter and a Prometheus label.
///
/// ```swift
/// counters.count(.wrongVNI)
/// DropReason.wrongVNI.label   // "wrong_vni"
/// ```
public enum DropReason: Int, CaseIterable, Sendable, Error {
    /// Shorter than a tunnel header plus an Ethernet header, or cut by the receive buffer.
    case truncatedTunnel
    /// Neither a VXLAN header with its I flag nor a Geneve version-0 Ethernet header.
    case badTunnelHeader
    /// A Geneve OAM (control) packet: for tunnel endpoints, not for the tenant.
    case tunnelControl
    /// A VNI not in the allowed list.
    case wrongVNI
    /// The engine's verdict: denied, dropped, or reset (the offending packet itself).
    case policy
    /// The inner frame carried no IP packet (ARP, LLDP): nothing to route back.
    case nonIP
    /// The send queue of the socket was full (overload): dropped, never waited for.
    case sendQueueFull
    /// Any other send error.
    case sendFailed
    /// Longer than a receive slot: the kernel cut it (MSG_TRUNC).
    case receiveTruncated
    /// An allowed TCP/UDP packet whose checksum is wrong: neither valid nor the partial
    /// form checksum offload leaves. Dropped, never repaired.
    case badChecksum
    /// The sender is not an enrolled node nor inside `spec.tunnelSourceNetworks`
    /// (`spec.tunnelSources: nodes`): the datagram is not looked at.
    case tunnelSource

    /// The name used in metrics.
    public var label: String {
        switch self {
        case .truncatedTunnel: return "truncated_tunnel"
        case .badTunnelHeader: return "bad_tunnel_header"
        case .tunnelControl: return "tunnel_control"
        case .wrongVNI: return "wrong_vni"
        case .policy: return "policy"
        case .nonIP: return "non_ip"
        case .sendQueueFull: return "send_queue_full"
        case .sendFailed: return "send_failed"
        case .receiveTruncated: return "receive_truncated"
        case .badChecksum: return "bad_checksum"
        case .tunnelSource: return "tunnel_source"
        }
    }
}

/// The data plane's own counters (the engine keeps its own in `EngineStatistics`).
/// A plain value: the I/O thread owns one and publishes copies.
///
/// ```swift
/// var counters = DataplaneCounters()
/// counters.count(.wrongVNI)
/// counters.drops[DropReason.wrongVNI.rawValue]   // 1
/// ```
public struct DataplaneCounters: Sendable, Equatable {
    public var datagramsReceived: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var datagramsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var framesForwarded: UInt64 = 0
    public var resetsSent: UInt64 = 0
    /// URL filtering pages (block, continue) sent to clients.
    public var urlPagesSent: UInt64 = 0
    /// Inner TCP/UDP checksums completed before sending (offload left them unfinished).
    public var checksumsCompleted: UInt64 = 0
    /// Oversized TCP packets (TSO super-packets) cut to the inner MTU, and the segments made.
    public var framesSegmented: UInt64 = 0
    public var segmentsCreated: UInt64 = 0
    public var receiveBatches: UInt64 = 0
    /// UDP GRO: receives that held several coalesced datagrams, and the datagrams in them.
    public var coalescedReceives: UInt64 = 0
    public var coalescedDatagrams: UInt64 = 0
    /// UDP GSO: sends that carried a run of datagrams, the datagrams in them, and runs
    /// sent one by one instead because the kernel refused them (EIO, EINVAL).
    public var segmentedSends: UInt64 = 0
    public var segmentedDatagrams: UInt64 = 0
    public var segmentedSendFallbacks: UInt64 = 0
    public var policyReloads: UInt64 = 0
    public var policyReloadFailures: UInt64 = 0
    /// Address-to-tag updates applied from the admin API.
    public var tagUpdates: UInt64 = 0
    /// Syslog messages sent whole, and lost by reason (send_failed, queue_full,
    /// disconnected); copied from the worker's `SyslogForwarder` when published.
    public var syslogMessages: UInt64 = 0
    public var syslogErrors: [UInt64] = [0, 0, 0]
    public var syslogTruncated: UInt64 = 0
    public var syslogConnects: UInt64 = 0
    /// Indexed by `DropReason.rawValue`.
    public var drops = [UInt64](repeating: 0, count: DropReason.allCases.count)

    public init() {}

    @inlinable
    public mutating func count(_ reason: DropReason) {
        drops.withUnsafeMutableBufferPointer { $0[reason.rawValue] &+= 1 }
    }

    public func dropped(_ reason: DropReason) -> UInt64 { drops[reason.rawValue] }
}
