/// Every anomaly Rampart can name, from a short Ethernet header to a TCP overlap whose
/// bytes differ. Each has one stable dotted name (as Suricata's `decode-events.h`) that
/// appears in `anomaly` events, in counters and in the summary.
///
/// ```swift
/// DecodeEvent.ipv4TooShort.name   // "ipv4.pkt_too_small"
/// ```
public enum DecodeEvent: UInt16, CaseIterable, Sendable {
    // Capture and link layer
    case captureTruncated
    case ethernetTooShort
    case vlanTooShort
    case vlanTooManyTags
    case linuxCookedTooShort
    case unknownEtherType
    // IPv4
    case ipv4TooShort
    case ipv4WrongVersion
    case ipv4HeaderLengthInvalid
    case ipv4TotalLengthInvalid
    case ipv4OptionsInvalid
    case ipv4ChecksumInvalid
    // IPv6
    case ipv6TooShort
    case ipv6WrongVersion
    case ipv6PayloadLengthInvalid
    case ipv6ExtensionHeaderInvalid
    case ipv6TooManyExtensionHeaders
    // Fragments
    case fragmentInvalid
    case fragmentOverlap
    case fragmentOverlapDifferent
    case fragmentTooLarge
    case fragmentTableFull
    case fragmentTimeout
    // Transport
    case tcpTooShort
    case tcpHeaderLengthInvalid
    case tcpOptionsInvalid
    case tcpChecksumInvalid
    case udpTooShort
    case udpLengthInvalid
    case udpChecksumInvalid
    case icmpv4TooShort
    case icmpv6TooShort
    case icmpChecksumInvalid
    // Tunnels
    case vxlanTooShort
    case vxlanFlagsInvalid
    case geneveTooShort
    case geneveVersionInvalid
    case geneveOptionsInvalid
    case geneveUnknownProtocol
    case tunnelTooDeep
    // Streams and sessions
    case streamOverlapDifferent
    case streamOutOfOrderLimit
    case streamPacketAfterClose
    case streamInvalidHandshake
    case sessionTableFull
    // Appended after the first release of this list, so earlier raw values stay put.
    case linkTypeUnsupported
    // Limits of the engine's fixed tables (docs/sessions.md, "Limits")
    /// A client (or a tunnel source) holds its share of the session table: the new
    /// session is refused and its packet dropped.
    case sessionSourceLimit
    /// App-ID's stream buffers are all taken, or the client's (the tunnel source's) share
    /// is: the session is identified packet by packet instead.
    case appIDBuffersFull
    /// App-ID's session states are all taken, or the client's share is: the session's
    /// application is unknown and the policy's rule for that applies.
    case appIDStatesFull
    /// Every stream reassembly slot is taken: the session is not reassembled.
    case streamTableFull
    /// A client (or a tunnel source) holds its share of the fragment table or of the
    /// held-fragment pool: the fragment (or its datagram) is dropped.
    case fragmentSourceLimit
    /// The flow-summary table is full: further sessions of a rule are counted in one
    /// summary without a source.
    case flowSummaryTableFull
    /// A tunnelled packet from an enrolled node whose inner source and destination are both
    /// foreign to that node (no pod of it sends or receives it): spoofed, dropped.
    case tunnelInnerNotLocal
    /// The signature matcher's session states are all taken: the session is inspected
    /// packet by packet (no stream window, no HTTP buffers, no flowbits).
    case detectStateFull
    /// A session holds `detection.flowbitsPerSession` flowbits: setting another is refused.
    case detectFlowbitsFull
    /// The threshold table is full: the match alerts as if over its threshold.
    case detectThresholdTableFull
    /// The xbits table is full: setting another host bit is refused.
    case detectXbitsFull
    /// The DNS tunnelling table has no room for a new parent domain: not tracked.
    case dnsTunnelTableFull
    /// The URL filtering continue table is full: a client that continues past a `continue`
    /// page is not remembered, and sees the page again.
    case urlContinueTableFull
    /// The file table is full: a file (HTTP body, attachment) is not tracked.
    case fileTableFull
    /// Every file inflater is busy: a compressed file is tracked as sent.
    case fileInflatersFull
    /// The AI rate table is full: an exchange is not counted against its client's limits.
    case aiRateTableFull
    /// Model output held more URLs than are looked at in one piece of text (32).
    case aiURLScanLimit
    /// A message held more refused URLs than are listed in its record (8).
    case aiURLDetectionLimit
    /// The HTTP/2 stream table is full, or a connection holds its share: a stream is not
    /// inspected (its body reaches no file or AI inspection).
    case http2StreamTableFull
    /// The AI stream table is full: a streamed answer is inspected from the message buffer at its end.
    case aiStreamTableFull

    /// The stable dotted name used in logs and metrics.
    public var name: String {
        switch self {
        case .captureTruncated: return "capture.pkt_truncated"
        case .ethernetTooShort: return "ethernet.pkt_too_small"
        case .vlanTooShort: return "vlan.pkt_too_small"
        case .vlanTooManyTags: return "vlan.too_many_layers"
        case .linuxCookedTooShort: return "sll.pkt_too_small"
        case .unknownEtherType: return "ethernet.unknown_ethertype"
        case .ipv4TooShort: return "ipv4.pkt_too_small"
        case .ipv4WrongVersion: return "ipv4.wrong_ip_version"
        case .ipv4HeaderLengthInvalid: return "ipv4.hlen_invalid"
        case .ipv4TotalLengthInvalid: return "ipv4.iplen_invalid"
        case .ipv4OptionsInvalid: return "ipv4.opt_invalid"
        case .ipv4ChecksumInvalid: return "ipv4.checksum_invalid"
        case .ipv6TooShort: return "ipv6.pkt_too_small"
        case .ipv6WrongVersion: return "ipv6.wrong_ip_version"
        case .ipv6PayloadLengthInvalid: return "ipv6.trunc_pkt"
        case .ipv6ExtensionHeaderInvalid: return "ipv6.exthdr_invalid"
        case .ipv6TooManyExtensionHeaders: return "ipv6.exthdr_too_many"
        case .fragmentInvalid: return "fragment.invalid"
        case .fragmentOverlap: return "fragment.overlap"
        case .fragmentOverlapDifferent: return "fragment.overlap_different"
        case .fragmentTooLarge: return "fragment.too_large"
        case .fragmentTableFull: return "fragment.table_full"
        case .fragmentTimeout: return "fragment.timeout"
        case .tcpTooShort: return "tcp.pkt_too_small"
        case .tcpHeaderLengthInvalid: return "tcp.hlen_invalid"
        case .tcpOptionsInvalid: return "tcp.opt_invalid"
        case .tcpChecksumInvalid: return "tcp.checksum_invalid"
        case .udpTooShort: return "udp.pkt_too_small"
        case .udpLengthInvalid: return "udp.len_invalid"
        case .udpChecksumInvalid: return "udp.checksum_invalid"
        case .icmpv4TooShort: return "icmpv4.pkt_too_small"
        case .icmpv6TooShort: return "icmpv6.pkt_too_small"
        case .icmpChecksumInvalid: return "icmp.checksum_invalid"
        case .vxlanTooShort: return "vxlan.pkt_too_small"
        case .vxlanFlagsInvalid: return "vxlan.flags_invalid"
        case .geneveTooShort: return "geneve.pkt_too_small"
        case .geneveVersionInvalid: return "geneve.version_invalid"
        case .geneveOptionsInvalid: return "geneve.opt_invalid"
        case .geneveUnknownProtocol: return "geneve.unknown_payload_type"
        case .tunnelTooDeep: return "tunnel.too_deep"
        case .streamOverlapDifferent: return "stream.reassembly_overlap_different_data"
        case .streamOutOfOrderLimit: return "stream.reassembly_out_of_order_limit"
        case .streamPacketAfterClose: return "stream.pkt_after_close"
        case .streamInvalidHandshake: return "stream.invalid_handshake"
        case .sessionTableFull: return "flow.memcap_reached"
        case .linkTypeUnsupported: return "capture.unsupported_linktype"
        case .sessionSourceLimit: return "flow.source_limit"
        case .appIDBuffersFull: return "app_layer.buffers_full"
        case .appIDStatesFull: return "app_layer.states_full"
        case .streamTableFull: return "stream.reassembly_streams_full"
        case .fragmentSourceLimit: return "fragment.source_limit"
        case .flowSummaryTableFull: return "flow.summary_table_full"
        case .tunnelInnerNotLocal: return "tunnel.inner_not_local"
        case .detectStateFull: return "detect.state_full"
        case .detectFlowbitsFull: return "detect.flowbits_full"
        case .detectThresholdTableFull: return "detect.threshold_table_full"
        case .detectXbitsFull: return "detect.xbits_full"
        case .dnsTunnelTableFull: return "dns.tunnel_table_full"
        case .urlContinueTableFull: return "url.continue_table_full"
        case .fileTableFull: return "file.table_full"
        case .fileInflatersFull: return "file.inflaters_full"
        case .aiRateTableFull: return "ai.rate_table_full"
        case .aiURLScanLimit: return "ai.url_scan_limit"
        case .aiURLDetectionLimit: return "ai.url_detection_limit"
        case .http2StreamTableFull: return "http2.stream_table_full"
        case .aiStreamTableFull: return "ai.stream_table_full"
        }
    }
}

/// One counter per `DecodeEvent`, preallocated so counting on the per-packet path is an
/// array store.
///
/// ```swift
/// var counters = DecodeCounters()
/// counters.count(.ipv4TooShort)
/// counters[.ipv4TooShort]   // 1
/// ```
public struct DecodeCounters: Sendable {
    @usableFromInline var values: [UInt64]

    public init() {
        values = [UInt64](repeating: 0, count: DecodeEvent.allCases.count)
    }

    @inlinable
    public mutating func count(_ event: DecodeEvent) {
        values[Int(event.rawValue)] &+= 1
    }

    @inlinable
    public subscript(_ event: DecodeEvent) -> UInt64 {
        values[Int(event.rawValue)]
    }

    /// Sum of all counters.
    public var total: UInt64 { values.reduce(0, &+) }

    /// The non-zero counters, by name.
    public var nonZero: [(event: DecodeEvent, count: UInt64)] {
        DecodeEvent.allCases.compactMap { values[Int($0.rawValue)] > 0 ? ($0, values[Int($0.rawValue)]) : nil }
    }

    public mutating func add(_ other: DecodeCounters) {
        for i in values.indices { values[i] &+= other.values[i] }
    }
}

/// Header parsers return `Result<Header, DecodeEvent>`: a typed failure, so no boxing.
extension DecodeEvent: Error {}
