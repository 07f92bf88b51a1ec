import RampartPolicy
import RampartWire

/// Limits of App-ID, allocated once: the byte budget per session and how many sessions
/// can be under identification at the same time.
///
/// ```swift
/// var configuration = ApplicationIdentifierConfiguration()
/// configuration.bytesPerDirection = 8192
/// ```
public struct ApplicationIdentifierConfiguration: Sendable, Equatable {
    /// Sessions identified at once (each holds a state until it ends, a buffer only
    /// while being identified).
    public var maxStates = 65_536
    /// TCP sessions buffering their first bytes at once.
    public var maxBuffers = 8_192
    /// Bytes of each direction App-ID reads before it gives up: the per-session budget.
    public var bytesPerDirection = 4_096
    /// Datagrams of each direction probed before a UDP session is declared unknown.
    public var datagramsPerDirection = 4
    /// States one client may hold at once (0: a quarter of `maxStates`). Beyond it, and when
    /// every state is taken, a session's application is unknown (`app_layer.states_full`).
    public var maxStatesPerSource = 0
    /// Stream buffers one client may hold at once (0: 1/32 of `maxBuffers`, 256 by
    /// default). Beyond it, and when the pool is empty, the session is identified packet
    /// by packet (`app_layer.buffers_full`), so no client can switch App-ID off for others.
    public var maxBuffersPerSource = 0
    /// Stream buffers all clients behind one tunnel source (a node) may hold (0: a quarter
    /// of `maxBuffers`).
    public var maxBuffersPerTunnelSource = 0

    public init() {}

    /// `maxStatesPerSource` with its default applied.
    public var effectiveMaxStatesPerSource: Int { maxStatesPerSource > 0 ? maxStatesPerSource : max(1, maxStates / 4) }
    /// `maxBuffersPerSource` with its default applied.
    public var effectiveMaxBuffersPerSource: Int { maxBuffersPerSource > 0 ? maxBuffersPerSource : max(1, maxBuffers / 32) }
    /// `maxBuffersPerTunnelSource` with its default applied.
    public var effectiveMaxBuffersPerTunnelSource: Int {
        maxBuffersPerTunnelSource > 0 ? maxBuffersPerTunnelSource : max(1, maxBuffers / 4)
    }
}

/// What `ApplicationIdentifier.open` gave a session: a state (or none), and the limit that
/// refused it a state or a buffer, if one did.
///
/// ```swift
/// let opening = appID.open(serverPort: 80, ipProtocol: .tcp, owner: owner)
/// if let limit = opening.limit { statistics.limits.count(limit) }
/// ```
public struct ApplicationOpening: Sendable, Equatable {
    /// The state, or nil when none could be had (`limit` says why).
    public var state: Int32?
    /// The limit that refused a state (no state) or a stream buffer (a state without one:
    /// identified packet by packet).
    public var limit: EngineLimit?
}

/// What App-ID concluded after a probe round.
public enum IdentificationOutcome: Equatable, Sendable {
    /// Still reading: the bytes so far fit some protocol.
    case pending
    /// The application is known.
    case identified(ApplicationID)
    /// Data crossed and no decoder recognises it (`unknown-tcp` / `unknown-udp`).
    case unknown
}

/// App-ID: names each session's application from its first bytes by asking the protocol
/// decoders, most likely first (those whose default ports match), and keeps what they
/// learned for the logs.
///
/// It buffers each TCP direction's first bytes (up to the budget) as the stream
/// reassembler delivers them, and probes each UDP datagram as it comes. A session gets
/// a state when its first data arrives and keeps it until it ends (for its metadata); its
/// buffer is returned as soon as identification and metadata are complete.
///
/// ```swift
/// var appID = ApplicationIdentifier(configuration: ApplicationIdentifierConfiguration())
/// if let state = appID.open(serverPort: 80, ipProtocol: .tcp) {
///     appID.current = state
///     reassembler.process(handle, direction: .toServer, packet: packet, frame: frame, into: &appID)
///     switch appID.identifyStream(state, toServerComplete: false, toClientComplete: false) { ... }
/// }
/// ```
public struct ApplicationIdentifier: StreamConsumer {
    @usableFromInline
    struct State {
        /// Probes not yet excluded.
        var candidates = ProbeSet.all
        var buffer: Int32 = -1
        var toServerCount: Int32 = 0
        var toClientCount: Int32 = 0
        var toServerDatagrams: UInt8 = 0
        var toClientDatagrams: UInt8 = 0
        var serverPort: UInt16 = 0
        var ipProtocol = IPProtocol(rawValue: 0)
        var application: ApplicationID?
        var identifiedBy: ApplicationProbeKind?
        /// Set once metadata has been read from both directions (or can no longer be).
        var finished = false
        /// Bytes seen in each direction when the last probe ran, so a probe runs only on news.
        var probedToServer: Int32 = 0
        var probedToClient: Int32 = 0
        /// Who the state (and its buffer) is charged to.
        var owner = SourceOwner.none
        /// A TCP session without a buffer, identified packet by packet: the first piece of
        /// each direction is probed as it passes; `unbufferedPending` is what that probe said,
        /// `unbufferedOverrun` that more came while it still waited (nothing left to read).
        var unbuffered = false
        var unbufferedPending = false
        var unbufferedOverrun = false
        var metadata = ApplicationMetadata()
    }

    public let configuration: ApplicationIdentifierConfiguration
    /// The states handed out so far (reserved for `maxStates`, grown one at a time: a
    /// state is half a kilobyte, and writing 65,536 of them at start cost `rampart inspect`
    /// most of its start-up), and the ones given back.
    @usableFromInline var states: [State]
    @usableFromInline var freeStates: [Int32]
    @usableFromInline let stateCapacity: Int
    @usableFromInline var buffers: [UInt8]
    @usableFromInline var freeBuffers: [Int32]
    /// The state that `deliver` appends to: set it before handing this identifier to the
    /// stream reassembler as its consumer.
    public var current: Int32 = -1
    /// The signature matcher's window, fed with every delivered byte while it is active
    /// (the reassembler has one consumer; detection reads through App-ID's).
    var tap: DetectionScratch?
    /// States that could not be opened because the table was full.
    public private(set) var exhausted: UInt64 = 0
    /// TCP sessions that got no buffer and were identified packet by packet.
    public private(set) var unbufferedSessions: UInt64 = 0
    @usableFromInline var stateCounts: SourceCounts
    @usableFromInline var bufferCounts: SourceCounts

    /// - Parameter sourceBuckets: buckets of the per-source tables (`SourceLimits.buckets`).
    public init(configuration: ApplicationIdentifierConfiguration, sourceBuckets: Int = SourceLimits().buckets) {
        self.configuration = configuration
        stateCounts = SourceCounts(buckets: sourceBuckets, perClient: configuration.effectiveMaxStatesPerSource, perNode: 0)
        bufferCounts = SourceCounts(
            buckets: sourceBuckets, perClient: configuration.effectiveMaxBuffersPerSource,
            perNode: configuration.effectiveMaxBuffersPerTunnelSource)
        let stateCount = max(1, configuration.maxStates)
        let bufferCount = max(1, configuration.maxBuffers)
        states = []
        states.reserveCapacity(stateCount)
        stateCapacity = stateCount
        freeStates = []
        freeStates.reserveCapacity(stateCount)
        buffers = [UInt8](untouchedCount: bufferCount * 2 * max(1, configuration.bytesPerDirection))
        freeBuffers = (0..<Int32(bufferCount)).reversed()
    }

    /// Reserves a state for a session whose first data just arrived; nil when full.
    /// TCP sessions also get a buffer (if one is free; without one, App-ID still probes the
    /// bytes of each packet as they come).
    public mutating func open(serverPort: UInt16, ipProtocol: IPProtocol) -> Int32? {
        open(serverPort: serverPort, ipProtocol: ipProtocol, owner: .none).state
    }

    /// Reserves a state for a session whose first data just arrived, charged to `owner`
    /// (its client and tunnel source). A TCP session also gets a stream buffer unless the
    /// pool is empty or its owner holds its share; it is then identified packet by packet:
    /// the first piece of each direction is probed as it passes, and a session those
    /// pieces do not name is `unknown-tcp`. Allocates nothing.
    public mutating func open(serverPort: UInt16, ipProtocol: IPProtocol, owner: SourceOwner) -> ApplicationOpening {
        if let refusal = stateCounts.refusal(owner) {
            exhausted &+= 1
            return ApplicationOpening(state: nil, limit: refusal == .client ? .appIDStatesPerSource : .appIDStates)
        }
        let index: Int32
        if let free = freeStates.popLast() {
            index = free
        } else if states.count < stateCapacity {
            // Within the reserved capacity: no allocation, the next page touched only now.
            index = Int32(states.count)
            states.append(State())
        } else {
            exhausted &+= 1
            return ApplicationOpening(state: nil, limit: .appIDStates)
        }
        var state = State()
        state.serverPort = serverPort
        state.ipProtocol = ipProtocol
        state.candidates = ProbeSet.candidates(for: ipProtocol)
        state.owner = owner
        state.metadata.wantsJA3 = tap?.set.wantsJA3 ?? false
        stateCounts.add(owner)
        var limit: EngineLimit?
        if ipProtocol == .tcp {
            if let refusal = bufferCounts.refusal(owner) {
                limit = refusal == .client ? .appIDBuffersPerSource : .appIDBuffersPerTunnelSource
            } else if let buffer = freeBuffers.popLast() {
                state.buffer = buffer
                bufferCounts.add(owner)
            } else {
                limit = .appIDBuffers
            }
            if limit != nil {
                state.unbuffered = true
                unbufferedSessions &+= 1
            }
        }
        states[Int(index)] = state
        return ApplicationOpening(state: index, limit: limit)
    }

    /// Stream buffers the client of `owner` holds now.
    public func buffersHeld(by owner: SourceOwner) -> Int { bufferCounts.held(owner) }

    /// Stream buffers free in the pool.
    public var freeBufferCount: Int { freeBuffers.count }

    /// Releases a session's state (when the session ends).
    public mutating func close(_ index: Int32) {
        guard index >= 0, Int(index) < states.count else { return }
        releaseBuffer(index)
        stateCounts.remove(states[Int(index)].owner)
        states[Int(index)] = State()
        freeStates.append(index)
    }

    /// What App-ID learned about a session, for its records.
    public func metadata(_ index: Int32) -> ApplicationMetadata? {
        guard index >= 0, Int(index) < states.count else { return nil }
        return states[Int(index)].metadata
    }

    /// Keeps what the URL filtering profile decided with the session's metadata, for its
    /// `http` and `tls` records (cold: once per session).
    public mutating func noteURLFiltering(_ index: Int32, _ verdict: URLFilteringVerdict) {
        guard index >= 0, Int(index) < states.count else { return }
        states[Int(index)].metadata.urlFiltering = verdict
    }

    /// The application named so far, if any.
    public func application(_ index: Int32) -> ApplicationID? {
        guard index >= 0, Int(index) < states.count else { return nil }
        return states[Int(index)].application
    }

    /// Whether App-ID still wants this session's bytes.
    public func wantsData(_ index: Int32) -> Bool {
        index >= 0 && Int(index) < states.count && !states[Int(index)].finished
    }

    /// Bytes buffered so far in each direction.
    public func bufferedBytes(_ index: Int32) -> (toServer: Int, toClient: Int) {
        guard index >= 0, Int(index) < states.count else { return (0, 0) }
        return (Int(states[Int(index)].toServerCount), Int(states[Int(index)].toClientCount))
    }

    // MARK: StreamConsumer

    /// Appends reassembled bytes of the `current` session to its buffer, up to the budget.
    /// The signature matcher, when the engine has one, reads the same bytes through `tap`.
    public mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
        if let tap, tap.tapActive { tap.tapDeliver(bytes) }
        let index = Int(current)
        guard index >= 0, index < states.count, !states[index].finished else { return }
        if states[index].buffer < 0 {
            if states[index].unbuffered { deliverUnbuffered(index, bytes, direction: direction) }
            return
        }
        let budget = configuration.bytesPerDirection
        let used = Int(direction == .toServer ? states[index].toServerCount : states[index].toClientCount)
        let take = min(bytes.count, budget - used)
        guard take > 0 else { return }
        let start = bufferStart(states[index].buffer, direction) + used
        buffers.withUnsafeMutableBytes { storage in
            storage.baseAddress!.advanced(by: start).copyMemory(from: bytes.baseAddress!, byteCount: take)
        }
        if direction == .toServer { states[index].toServerCount += Int32(take) } else { states[index].toClientCount += Int32(take) }
    }

    // MARK: Identification

    /// Probes a TCP session's buffered bytes after new data arrived. `complete` flags say
    /// that a direction will bring nothing more (FIN, RST, budget reached).
    public mutating func identifyStream(_ index: Int32, toServerComplete: Bool, toClientComplete: Bool) -> IdentificationOutcome {
        guard index >= 0, Int(index) < states.count else { return .unknown }
        let i = Int(index)
        if states[i].finished { return states[i].application.map { .identified($0) } ?? .unknown }
        guard states[i].buffer >= 0 else {
            return states[i].unbuffered
                ? identifyUnbuffered(index, toServerComplete: toServerComplete, toClientComplete: toClientComplete)
                : .unknown
        }
        let toServer = states[i].toServerCount
        let toClient = states[i].toClientCount
        guard toServer != states[i].probedToServer || toClient != states[i].probedToClient
            || toServerComplete || toClientComplete else {
            return states[i].application.map { .identified($0) } ?? .pending
        }
        states[i].probedToServer = toServer
        states[i].probedToClient = toClient
        let budget = Int32(configuration.bytesPerDirection)
        let serverDone = toServerComplete || toServer >= budget
        let clientDone = toClientComplete || toClient >= budget
        let start = bufferStart(states[i].buffer, .toServer)
        let outcome: IdentificationOutcome = buffers.withUnsafeBytes { storage in
            let base = storage.baseAddress!
            let prefix = StreamPrefix(
                toServer: UnsafeRawBufferPointer(start: base + start, count: Int(toServer)),
                toClient: UnsafeRawBufferPointer(start: base + start + Int(budget), count: Int(toClient)),
                clientPort: 0, serverPort: states[i].serverPort, ipProtocol: .tcp,
                toServerComplete: serverDone, toClientComplete: clientDone)
            return probe(i, prefix)
        }
        // Metadata is complete once both directions were read after identification, or
        // nothing more can come; the buffer then goes back to the pool.
        if case .identified = outcome, toServer > 0 && toClient > 0 || serverDone && clientDone {
            finish(index)
        } else if outcome == .unknown {
            finish(index)
        } else if outcome == .pending && serverDone && clientDone {
            states[i].candidates = ProbeSet()
            finish(index)
            return .unknown
        }
        return outcome
    }

    /// Packet-by-packet identification (no buffer): the first piece of each direction is
    /// probed where it lies, nothing is copied. A piece after the first, in a direction
    /// still undecided, ends identification: App-ID cannot read on without a buffer, and a
    /// session must not stay provisionally allowed on bytes nobody looks at.
    @usableFromInline
    mutating func deliverUnbuffered(_ i: Int, _ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
        guard !bytes.isEmpty else { return }
        let seen = direction == .toServer ? states[i].toServerCount : states[i].toClientCount
        let counted = Int32(clamping: min(bytes.count, configuration.bytesPerDirection))
        if direction == .toServer {
            states[i].toServerCount = max(seen, counted)
        } else {
            states[i].toClientCount = max(seen, counted)
        }
        guard states[i].application == nil else { return }
        if seen > 0 {
            if states[i].unbufferedPending { states[i].unbufferedOverrun = true }
            return
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let prefix = StreamPrefix(
            toServer: direction == .toServer ? bytes : empty, toClient: direction == .toClient ? bytes : empty,
            clientPort: 0, serverPort: states[i].serverPort, ipProtocol: .tcp,
            toServerComplete: false, toClientComplete: false)
        states[i].unbufferedPending = probe(i, prefix) == .pending
    }

    @usableFromInline
    mutating func identifyUnbuffered(_ index: Int32, toServerComplete: Bool, toClientComplete: Bool) -> IdentificationOutcome {
        let i = Int(index)
        let toServer = states[i].toServerCount, toClient = states[i].toClientCount
        if let application = states[i].application {
            // Named from a first piece; no metadata is read from the other direction.
            finish(index)
            return .identified(application)
        }
        let seenAny = toServer > 0 || toClient > 0
        if states[i].unbufferedOverrun || (seenAny && !states[i].unbufferedPending)
            || (toServer > 0 && toClient > 0) || (toServerComplete && toClientComplete) {
            finish(index)
            return .unknown
        }
        return .pending
    }

    /// Probes one UDP datagram's payload.
    public mutating func identifyDatagram(
        _ index: Int32, payload: UnsafeRawBufferPointer, direction: StreamDirection
    ) -> IdentificationOutcome {
        guard index >= 0, Int(index) < states.count else { return .unknown }
        let i = Int(index)
        if states[i].finished { return states[i].application.map { .identified($0) } ?? .unknown }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let prefix = StreamPrefix(
            toServer: direction == .toServer ? payload : empty, toClient: direction == .toClient ? payload : empty,
            clientPort: 0, serverPort: states[i].serverPort, ipProtocol: .udp,
            toServerComplete: true, toClientComplete: true)
        if direction == .toServer { states[i].toServerDatagrams &+= 1 } else { states[i].toClientDatagrams &+= 1 }
        let outcome = probe(i, prefix)
        let limit = UInt8(clamping: configuration.datagramsPerDirection)
        switch outcome {
        case .identified:
            // A reply completes what a request started (a DNS answer's rcode).
            if states[i].toClientDatagrams > 0 { finish(index) }
        case .unknown:
            finish(index)
        case .pending:
            if states[i].toServerDatagrams >= limit || states[i].toClientDatagrams >= limit {
                finish(index)
                return .unknown
            }
        }
        return outcome
    }

    /// Runs the candidate probes, most likely first. Once identified, only the decoder that
    /// identified the session runs again, to complete its metadata.
    @usableFromInline
    mutating func probe(_ i: Int, _ prefix: StreamPrefix) -> IdentificationOutcome {
        if let kind = states[i].identifiedBy, let application = states[i].application {
            _ = kind.probe(prefix, into: &states[i].metadata)
            return .identified(application)
        }
        var sawPending = false
        for kind in ApplicationProbeKind.ordered(forPort: prefix.serverPort) where states[i].candidates.contains(kind) {
            switch kind.probe(prefix, into: &states[i].metadata) {
            case .notThis:
                states[i].candidates.remove(kind)
            case .needMore:
                sawPending = true
            case .identified(let application):
                states[i].application = application
                states[i].identifiedBy = kind
                return .identified(application)
            }
        }
        return sawPending ? .pending : .unknown
    }

    @usableFromInline
    mutating func finish(_ index: Int32) {
        states[Int(index)].finished = true
        releaseBuffer(index)
    }

    mutating func releaseBuffer(_ index: Int32) {
        let buffer = states[Int(index)].buffer
        if buffer >= 0 {
            freeBuffers.append(buffer)
            bufferCounts.remove(states[Int(index)].owner)
            states[Int(index)].buffer = -1
        }
    }

    func bufferStart(_ buffer: Int32, _ direction: StreamDirection) -> Int {
        Int(buffer) * 2 * configuration.bytesPerDirection + (direction == .toServer ? 0 : configuration.bytesPerDirection)
    }
}

/// A set of probes as bits, so excluding one is a single AND.
@usableFromInline
struct ProbeSet: Sendable {
    @usableFromInline var bits: UInt64
    @inlinable init(bits: UInt64 = 0) { self.bits = bits }
    @usableFromInline static let all = ProbeSet(bits: ApplicationProbeKind.allCases.reduce(0) { $0 | 1 << UInt64($1.rawValue) })
    @inlinable func contains(_ kind: ApplicationProbeKind) -> Bool { bits & (1 << UInt64(kind.rawValue)) != 0 }
    @inlinable mutating func remove(_ kind: ApplicationProbeKind) { bits &= ~(1 << UInt64(kind.rawValue)) }

    /// The probes that can run over a transport.
    static func candidates(for ipProtocol: IPProtocol) -> ProbeSet {
        ProbeSet(bits: ApplicationProbeKind.allCases
            .filter { ipProtocol == .tcp ? $0.runsOverTCP : $0.runsOverUDP }
            .reduce(0) { $0 | 1 << UInt64($1.rawValue) })
    }
}
