import RampartWire

/// Every fixed-size table of the engine that can fill, by name: each is counted when it
/// refuses something (`EngineStatistics.limits`, `/metrics`
/// `rampart_limit_reached_total{limit}`, the inspect summary) and logged as an anomaly
/// record (rate-limited per kind per second). docs/sessions.md ("Limits") says what each
/// protects and what happens when it fills.
///
/// ```swift
/// engine.statistics.limitCount(.appIDBuffersPerSource)   // sessions identified packet by packet
/// ```
public enum EngineLimit: UInt8, CaseIterable, Sendable {
    /// The session table is full: a session near the new one's slot is evicted (logged).
    case sessionTable
    /// The client holds `sessions.maxPerSource` sessions: its new session is dropped.
    case sessionsPerSource
    /// The tunnel source (node) holds `sessions.maxPerTunnelSource`: new session dropped.
    case sessionsPerTunnelSource
    /// App-ID's states are all taken: the session's application is unknown.
    case appIDStates
    /// The client holds `applications.maxStatesPerSource` states: application unknown.
    case appIDStatesPerSource
    /// App-ID's stream buffer pool is empty: the session is identified packet by packet.
    case appIDBuffers
    /// The client holds `applications.maxBuffersPerSource` buffers: packet by packet.
    case appIDBuffersPerSource
    /// The tunnel source holds `applications.maxBuffersPerTunnelSource`: packet by packet.
    case appIDBuffersPerTunnelSource
    /// Every stream reassembly slot is taken: the session is not reassembled.
    case reassemblyStreams
    /// The out-of-order pool is empty: that direction's reassembly stops.
    case reassemblyPool
    /// The client holds `streams.maxChunksPerSource` out-of-order chunks: reassembly of
    /// that direction stops.
    case reassemblyPerSource
    /// The tunnel source holds `streams.maxChunksPerTunnelSource` chunks: likewise.
    case reassemblyPerTunnelSource
    /// One direction holds `streams.maxBufferedPerDirection` bytes or
    /// `maxChunksPerDirection` chunks out of order: its reassembly stops.
    case reassemblyPerDirection
    /// The fragment table is full (`fragment.table_full`): the fragment is dropped.
    case fragmentTable
    /// The pool of held fragments (or of fragment data) is full (`fragment.table_full`):
    /// the datagram is dropped with the fragments it held.
    case fragmentPool
    /// The client holds `fragments.maxDatagramsPerSource` datagrams, or its share of the
    /// held-fragment pool (`fragment.source_limit`): the fragment (or its datagram) is dropped.
    case fragmentsPerSource
    /// The tunnel source holds `fragments.maxDatagramsPerTunnelSource` datagrams, or its
    /// share of the pool: likewise.
    case fragmentsPerTunnelSource
    /// The flow-summary table holds `records.maxSummaries` keys: further sessions of a
    /// rule are counted in one summary without a source (`flow.summary_table_full`).
    case flowSummaries
    /// The signature matcher's session states are all taken: the session is inspected
    /// packet by packet.
    case detectStates
    /// A session holds its flowbits: setting another is refused.
    case detectFlowbits
    /// The threshold table is full: the match alerts as if over its threshold.
    case detectThresholds
    /// The xbits table is full: setting another host bit is refused.
    case detectXbits
    /// The DNS tunnelling table (`dnsSecurity.tunnelParents`) has no room near a new parent
    /// domain: that parent's queries are not tracked until a slot frees.
    case dnsTunnelParents
    /// The URL filtering continue table (`urlFiltering.continueEntries`) is full: a client
    /// continuing past a `continue` page is not remembered (it sees the page again).
    case urlContinues
    /// The file table is full (`files.maxFiles`): a new file is not tracked.
    case detectFiles
    /// Every inflater is busy (`files.inflaters`): a compressed file is tracked as sent.
    case detectFileInflaters
    /// The AI rate table (`aiRateEntries`) is full: an exchange is not counted against its
    /// client's requests and tokens per minute.
    case aiRateTable
    /// A piece of model output holds more than `AIURLScanner.limit` (32) URLs: those past
    /// it are not looked up.
    case aiURLsPerSegment
    /// A message holds more than `AIDetections.urlCapacity` (8) URLs its profile refuses:
    /// those past it are counted in the record's note, not listed.
    case aiURLDetections
    /// The HTTP/2 stream table (`detection.http2Streams`) is full, or the connection holds
    /// `detection.http2StreamsPerSession` streams: the new stream is not inspected.
    case http2Streams
    /// The AI stream table (`aiStreams`) is full: a streamed answer is inspected from the
    /// message buffer at its end (the first `detection.messageBytes` of it), not as it flows.
    case aiStreams

    /// The stable name used as the `limit` label of `rampart_limit_reached_total`.
    public var label: String {
        switch self {
        case .sessionTable: return "session_table"
        case .sessionsPerSource: return "sessions_per_source"
        case .sessionsPerTunnelSource: return "sessions_per_tunnel_source"
        case .appIDStates: return "appid_states"
        case .appIDStatesPerSource: return "appid_states_per_source"
        case .appIDBuffers: return "appid_buffers"
        case .appIDBuffersPerSource: return "appid_buffers_per_source"
        case .appIDBuffersPerTunnelSource: return "appid_buffers_per_tunnel_source"
        case .reassemblyStreams: return "reassembly_streams"
        case .reassemblyPool: return "reassembly_pool"
        case .reassemblyPerSource: return "reassembly_per_source"
        case .reassemblyPerTunnelSource: return "reassembly_per_tunnel_source"
        case .reassemblyPerDirection: return "reassembly_per_direction"
        case .fragmentTable: return "fragment_table"
        case .fragmentPool: return "fragment_pool"
        case .fragmentsPerSource: return "fragments_per_source"
        case .fragmentsPerTunnelSource: return "fragments_per_tunnel_source"
        case .flowSummaries: return "flow_summaries"
        case .detectStates: return "detect_states"
        case .detectFlowbits: return "detect_flowbits"
        case .detectThresholds: return "detect_thresholds"
        case .detectXbits: return "detect_xbits"
        case .dnsTunnelParents: return "dns_tunnel_parents"
        case .urlContinues: return "url_continues"
        case .detectFiles: return "detect_files"
        case .detectFileInflaters: return "detect_file_inflaters"
        case .aiRateTable: return "ai_rate_table"
        case .aiURLsPerSegment: return "ai_urls_per_segment"
        case .aiURLDetections: return "ai_url_detections"
        case .http2Streams: return "http2_streams"
        case .aiStreams: return "ai_streams"
        }
    }

    /// The anomaly record written (rate-limited) when this limit refuses something.
    public var event: DecodeEvent {
        switch self {
        case .sessionTable: return .sessionTableFull
        case .sessionsPerSource, .sessionsPerTunnelSource: return .sessionSourceLimit
        case .appIDStates, .appIDStatesPerSource: return .appIDStatesFull
        case .appIDBuffers, .appIDBuffersPerSource, .appIDBuffersPerTunnelSource: return .appIDBuffersFull
        case .reassemblyStreams: return .streamTableFull
        case .reassemblyPool, .reassemblyPerSource, .reassemblyPerTunnelSource, .reassemblyPerDirection:
            return .streamOutOfOrderLimit
        case .fragmentTable, .fragmentPool: return .fragmentTableFull
        case .fragmentsPerSource, .fragmentsPerTunnelSource: return .fragmentSourceLimit
        case .flowSummaries: return .flowSummaryTableFull
        case .detectStates: return .detectStateFull
        case .detectFlowbits: return .detectFlowbitsFull
        case .detectThresholds: return .detectThresholdTableFull
        case .detectXbits: return .detectXbitsFull
        case .dnsTunnelParents: return .dnsTunnelTableFull
        case .urlContinues: return .urlContinueTableFull
        case .detectFiles: return .fileTableFull
        case .detectFileInflaters: return .fileInflatersFull
        case .aiRateTable: return .aiRateTableFull
        case .aiURLsPerSegment: return .aiURLScanLimit
        case .aiURLDetections: return .aiURLDetectionLimit
        case .http2Streams: return .http2StreamTableFull
        case .aiStreams: return .aiStreamTableFull
        }
    }
}

/// One counter per `EngineLimit`, preallocated (counting is an array store).
///
/// ```swift
/// var counters = LimitCounters()
/// counters.count(.sessionTable)
/// counters[.sessionTable]   // 1
/// ```
public struct LimitCounters: Sendable, Equatable {
    @usableFromInline var values = [UInt64](repeating: 0, count: EngineLimit.allCases.count)

    public init() {}

    @inlinable
    public mutating func count(_ limit: EngineLimit) { values[Int(limit.rawValue)] &+= 1 }

    @inlinable
    public subscript(_ limit: EngineLimit) -> UInt64 { values[Int(limit.rawValue)] }

    public mutating func add(_ other: LimitCounters) {
        for i in values.indices { values[i] &+= other.values[i] }
    }
}

/// The buckets of a session's owners in the per-source tables: its client (inner source
/// address with the VLAN, VNI and tunnel source it came through) and its tunnel source
/// (the node; -1 for untunnelled traffic, which has no such limit).
///
/// Sources are counted by a seeded hash into a fixed number of buckets: memory does not
/// grow with the number of sources, and a table of sources cannot itself be filled (by
/// spoofed addresses, for instance). Two sources share a bucket, and so a budget, only on a
/// collision: with 65,536 buckets and a seed chosen at start (`SourceLimits.seed`), a given
/// client shares with a given other one with probability 1/65,536, and cannot choose to.
@frozen
public struct SourceOwner: Hashable, Sendable {
    public var client: Int32
    public var node: Int32

    @inlinable
    public init(client: Int32, node: Int32) {
        self.client = client
        self.node = node
    }

    /// Charged to nobody: never refused, never counted (App-ID and reassembly used alone).
    public static let none = SourceOwner(client: -1, node: -1)
}

/// How sources are counted: buckets per table and the hash seed.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.sources.seed = UInt64.random(in: .min ... .max)   // the firewall does
/// ```
public struct SourceLimits: Sendable, Equatable {
    /// Buckets in each per-source table (a power of two; 4 bytes each).
    public var buckets = 65_536
    /// Mixed into the bucket hash; the firewall picks one at random at start so a client
    /// cannot aim at another's bucket. `rampart inspect` uses 0 (reproducible runs).
    public var seed: UInt64 = 0

    public init() {}
}

/// Computes `SourceOwner`s.
@usableFromInline
struct SourceHasher: Sendable {
    @usableFromInline let seed: UInt64
    @usableFromInline let mask: UInt64

    init(_ limits: SourceLimits) {
        var size = 1
        while size < max(1, min(limits.buckets, 1 << 24)) { size <<= 1 }
        mask = UInt64(size - 1)
        seed = limits.seed
    }

    var buckets: Int { Int(mask) + 1 }

    @inlinable
    static func mix(_ h: inout UInt64, _ word: UInt64) {
        h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
    }

    @inlinable
    static func finish(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// The owner of a session whose client is `client`, in `key`'s domain.
    @inlinable
    func owner(client: IPAddress, key: FlowKey) -> SourceOwner {
        owner(client: client, vlanID: key.vlanID, tunnelVNI: key.tunnelVNI, tunnelSource: key.tunnelSource)
    }

    /// The owner of something sent by `client` in that VLAN and tunnel (a fragment).
    @inlinable
    func owner(client: IPAddress, vlanID: UInt16, tunnelVNI: UInt32, tunnelSource: IPAddress) -> SourceOwner {
        var h = seed ^ 0x243F_6A88_85A3_08D3
        Self.mix(&h, client.high)
        Self.mix(&h, client.low)
        Self.mix(&h, UInt64(tunnelVNI) | UInt64(vlanID) << 32)
        Self.mix(&h, tunnelSource.high)
        Self.mix(&h, tunnelSource.low)
        let clientBucket = Int32(truncatingIfNeeded: Self.finish(h) & mask)
        guard tunnelSource != .zero else { return SourceOwner(client: clientBucket, node: -1) }
        var n = seed ^ 0x1319_8A2E_0370_7344
        Self.mix(&n, tunnelSource.high)
        Self.mix(&n, tunnelSource.low)
        return SourceOwner(client: clientBucket, node: Int32(truncatingIfNeeded: Self.finish(n) & mask))
    }
}

/// Counts per bucket for one resource, with one limit for clients and one for tunnel
/// sources. Fixed storage, allocated once; 0 as a limit means no limit.
@usableFromInline
struct SourceCounts: Sendable {
    @usableFromInline var clients: [Int32]
    @usableFromInline var nodes: [Int32]
    @usableFromInline let perClient: Int32
    @usableFromInline let perNode: Int32

    init(buckets: Int, perClient clientLimit: Int, perNode nodeLimit: Int) {
        let n = max(1, buckets)
        perClient = clientLimit > 0 ? Int32(clamping: clientLimit) : .max
        perNode = nodeLimit > 0 ? Int32(clamping: nodeLimit) : .max
        clients = [Int32](repeating: 0, count: clientLimit > 0 ? n : 0)
        nodes = [Int32](repeating: 0, count: nodeLimit > 0 ? n : 0)
    }

    /// Which limit refuses one more for `owner`, if any.
    @inlinable
    func refusal(_ owner: SourceOwner, amount: Int32 = 1) -> SourceRefusal? {
        let c = Int(owner.client), n = Int(owner.node)
        if c >= 0 && c < clients.count && clients[c] > perClient &- amount { return .client }
        if n >= 0 && n < nodes.count && nodes[n] > perNode &- amount { return .node }
        return nil
    }

    @inlinable
    mutating func add(_ owner: SourceOwner, _ amount: Int32 = 1) {
        let c = Int(owner.client), n = Int(owner.node)
        if c >= 0 && c < clients.count { clients[c] &+= amount }
        if n >= 0 && n < nodes.count { nodes[n] &+= amount }
    }

    @inlinable
    mutating func remove(_ owner: SourceOwner, _ amount: Int32 = 1) {
        let c = Int(owner.client), n = Int(owner.node)
        if c >= 0 && c < clients.count { clients[c] = max(0, clients[c] &- amount) }
        if n >= 0 && n < nodes.count { nodes[n] = max(0, nodes[n] &- amount) }
    }

    /// What `owner` holds now (client bucket).
    func held(_ owner: SourceOwner) -> Int {
        let c = Int(owner.client)
        return c >= 0 && c < clients.count ? Int(clients[c]) : 0
    }
}

/// Which share refused: the client's or its tunnel source's.
@usableFromInline
enum SourceRefusal: Sendable {
    case client
    case node
}
